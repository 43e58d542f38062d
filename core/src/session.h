/*
 * session.h - the crypto session's private layout, shared by session.c and the decrypt engine.
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef SECDEC_SESSION_H
#define SECDEC_SESSION_H

#include "internal.h"

/* Everything secret about a session, in one locked, non-dumpable, wipe-on-fork page. After a
 * fork the child sees all zeroes, so canary == 0 means the keys are lost. */
typedef struct SdSessionSecrets {
    uint64_t canary;
    uint8_t session_key[SECDEC_KEY_SIZE];
    uint8_t refresh_random[SECDEC_KEY_SIZE];
    uint8_t kx_scratch[SECDEC_KEY_EXCHANGE_OAEP_SIZE]; /* RSA plaintext (kx_lock) */
    uint8_t unwrap_scratch[SECDEC_KEY_SIZE];           /* content key being unwrapped (lock) */
    uint8_t has_session_key;
    uint8_t refresh_pending;
} SdSessionSecrets;

typedef enum SdKeyKind {
    SD_KEY_NONE = 0,
    SD_KEY_CONTENT, /* key[] holds the unwrapped content key */
    SD_KEY_SESSION, /* all-zero content key: use the session key */
    SD_KEY_CLEAR,   /* no content key: samples are not encrypted */
} SdKeyKind;

typedef struct SdKeyEntry {
    uint8_t kid[SECDEC_KID_SIZE];
    uint8_t key[SECDEC_KEY_SIZE];
    uint32_t kind;
} SdKeyEntry;

struct SecdecCryptoSession {
    SecdecDevice *device; /* holds a reference */
    SecdecGuid crypto_type;
    SecdecGuid decoder_profile;
    SecdecGuid key_exchange;
    uint64_t handle;
    SecdecOaepHash oaep;          /* guarded by kx_lock */
    pthread_mutex_t kx_lock;      /* one key exchange at a time (kx_scratch) */
    pthread_rwlock_t lock;        /* keys: readers decrypt, writers install/refresh */
    SdSecmem secret_mem;          /* SdSessionSecrets */
    SdSessionSecrets *sec;
    SdSecmem keytab_mem;          /* SdKeyEntry[cap_keys] */
    size_t n_keys, cap_keys;
    uint64_t key_gen;             /* bumped (under lock) whenever any key changes */
    pthread_mutex_t dec_lock;     /* serialises decryption; guards the cipher cache */
    EVP_CIPHER_CTX *dec_ctx;      /* reused across samples; key set when the cache is stale */
    uint8_t dec_kid[SECDEC_KID_SIZE];
    uint64_t dec_gen;
    bool dec_valid;
    /* Hardware backend session (backend.h) when the device is not software; NULL otherwise.
     * Keys then live in the TEE and the secrets above stay unused. */
    struct SdBackendSession *hw;
};

/** 1 while the session's secret page has not been wiped (e.g. by fork). */
SD_INTERNAL bool sd_session_alive(const SecdecCryptoSession *s);

/** Looks up a KID; caller holds s->lock. NULL when absent or the session is lost. */
SD_INTERNAL SdKeyEntry *sd_session_find_key(SecdecCryptoSession *s,
                                            const uint8_t kid[SECDEC_KID_SIZE]);

#endif /* SECDEC_SESSION_H */
