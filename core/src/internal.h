/*
 * internal.h - libsecdec internals shared between the core's source files. Not installed.
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef SECDEC_INTERNAL_H
#define SECDEC_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "secdec/license.h"
#include "secdec/secdec.h"

#include "log.h" /* SD_INTERNAL, SdLogger, sd_log() */

/* ---- fault injection (tests only; reachable through the internal static library) ---------- */

/** After `n` more successful allocations through sd_malloc()/sd_secmem_alloc(), the next one
 *  fails (once). n < 0 disables. Used to test the E_OUTOFMEMORY paths. */
SD_INTERNAL void sd_fault_alloc_countdown(int n);
/** 1 when the armed allocation fault fires now (consumes it). */
SD_INTERNAL bool sd_fault_alloc_should_fail(void);

/** calloc() that honours fault injection. */
SD_INTERNAL void *sd_calloc(size_t n, size_t size);
/** strdup() that honours fault injection. */
SD_INTERNAL char *sd_strdup(const char *s);

/* ---- logging: log.h (also seen by the hardware module) ------------------------------ */

/* ---- secure memory ------------------------------------------------------------------------ */

/**
 * Secret memory: whole pages from mmap, mlock'ed, MADV_DONTDUMP, MADV_WIPEONFORK, zeroed;
 * wiped (OPENSSL_cleanse) and unlocked on free. `allow_unlocked`: when mlock fails, continue
 * unlocked and set *locked = false instead of failing with SECDEC_E_MEMLOCK.
 */
typedef struct SdSecmem {
    void *ptr;      /* usable bytes start here */
    size_t size;    /* usable size asked for */
    size_t mapped;  /* whole pages mapped */
    bool locked;
} SdSecmem;

SD_INTERNAL SecdecStatus sd_secmem_alloc(SdSecmem *mem, size_t size, bool allow_unlocked);
SD_INTERNAL void sd_secmem_free(SdSecmem *mem);

/** Initialises OpenSSL's secure heap (for private-key bignums) once per process.
 *  Returns SECDEC_OK, or SECDEC_E_MEMLOCK when it could not be locked and !allow_unlocked. */
SD_INTERNAL SecdecStatus sd_secure_heap_init(bool allow_unlocked, bool *locked);

/** Constant-time: 1 if all n bytes are zero, else 0. */
SD_INTERNAL int sd_ct_is_zero(const uint8_t *p, size_t n);

/* ---- device ------------------------------------------------------------------------------- */

typedef struct SdPool SdPool;
struct SdBackendOps;
struct SdBackendDevice;

struct SecdecDevice {
    atomic_int refs;          /* 1 for the app's handle + 1 per live session */
    atomic_bool closed;       /* app handle closed: calls through sessions get DEVICE_REMOVED */
    SecdecBackend backend;
    char *home;
    SdLogger log;
    bool allow_unlocked;
    bool memory_locked;
    EVP_PKEY *pkey;           /* private key, bignums in OpenSSL's secure heap */
    uint8_t *cert_der;        /* certificate chain (public) */
    size_t cert_size;
    uint8_t cert_fp[32];      /* SHA-256(cert_der) */
    SdPool *pool;             /* protected buffers (protected_pool.c); buffers hold references */
    /* Hardware backend (backend.h); NULL for software. cert_der/cert_size then point at the
     * module's certificate (not owned) and pkey is NULL. */
    const struct SdBackendOps *hw;
    struct SdBackendDevice *hw_dev;
};

SD_INTERNAL void sd_device_ref(SecdecDevice *dev);
SD_INTERNAL void sd_device_unref(SecdecDevice *dev);

/** Loads (or provisions) the identity of a software device into dev->pkey/cert_der. */
SD_INTERNAL SecdecStatus sd_identity_load(SecdecDevice *dev, bool provision);

/* ---- capabilities ------------------------------------------------------------------------- */

/** Validates crypto type / decoder profile / key-exchange type for a backend, with the
 *  CreateCryptoSession error semantics. key_exchange may be NULL (not checked). */
SD_INTERNAL SecdecStatus sd_caps_check(SecdecBackend backend, const SecdecGuid *crypto_type,
                                       const SecdecGuid *decoder_profile,
                                       const SecdecGuid *key_exchange);

/* ---- crypto sessions ---------------------------------------------------------------------- */

/** Validates (device, session) per the DDI rule: same device, device not closed. */
SD_INTERNAL SecdecStatus sd_session_check(SecdecDevice *dev, SecdecCryptoSession *s);

/** HMAC-SHA256 keyed by HMAC-SHA256(session_key, label): lets a license be authenticated with
 *  the negotiated session key without the key leaving locked memory. Constant-time compare
 *  with `expected` when non-NULL (returns SECDEC_E_LICENSE_INVALID on mismatch); writes the
 *  MAC to `out` when non-NULL. SECDEC_E_INVALIDCALL when no session key is set. */
SD_INTERNAL SecdecStatus sd_session_mac(SecdecCryptoSession *s, const char *label,
                                        const uint8_t *data, size_t len,
                                        const uint8_t expected[32], uint8_t out[32]);

/** Forgets the session key (e.g. after a license failed its integrity check). */
SD_INTERNAL void sd_session_reset_key(SecdecCryptoSession *s);

/** Same MAC computed from a clear session key (issuer side). */
SD_INTERNAL SecdecStatus sd_mac_with_key(const uint8_t key[SECDEC_KEY_SIZE], const char *label,
                                         const uint8_t *data, size_t len, uint8_t out[32]);

/** The label license MACs use. */
#define SD_LICENSE_MAC_LABEL "secdec license v1 mac"

/** OAEP hash id to OpenSSL digest. NULL for unknown values. */
SD_INTERNAL const EVP_MD *sd_oaep_md(SecdecOaepHash hash);

/* ---- license store helpers ---------------------------------------------------------------- */

/** Hex encoding (lower case) of n bytes into out (2n+1 bytes). */
SD_INTERNAL void sd_hex(const uint8_t *in, size_t n, char *out);

/** mkdir -p with the given mode for each created component. */
SD_INTERNAL int sd_mkdir_p(const char *path, unsigned mode);

/** Reads a whole regular file (at most max bytes). 0 on success, -1 with errno. */
SD_INTERNAL int sd_read_file(const char *path, size_t max, uint8_t **data, size_t *size);

/** Writes a file atomically (temp file + rename) with mode. 0 on success, -1 with errno. */
SD_INTERNAL int sd_write_file_atomic(const char *path, const uint8_t *data, size_t size,
                                     unsigned mode);

#endif /* SECDEC_INTERNAL_H */
