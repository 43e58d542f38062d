/*
 * vaapi_internal.h - what the VA-API backend module's source files share: the device and
 * session objects behind SdBackendDevice / SdBackendSession (core/src/backend.h) and the
 * functions one file offers the others. Not installed; every symbol is hidden (the module
 * is built with hidden visibility; only secdec_backend_entry_v1() and secdec/vaapi.h are
 * exported).
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef SECDEC_VAAPI_INTERNAL_H
#define SECDEC_VAAPI_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <va/va.h>

#include "backend.h"
#include "log.h" /* sd_log(), SdLogger (core/src/log.c, linked into the module) */
#include "secdec/va-tee.h"
#include "secdec/vaapi.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_CERT 16384     /* the largest TEE certificate chain accepted */
#define SD_VA_N_PROFILES 5 /* decoder profiles mapped to VA profiles (va_device.c) */

/* What a display can decrypt (va_device.c's probe). */
typedef struct Probe {
    bool pc;               /* VAProfileProtected / VAEntrypointProtectedContent */
    uint32_t modes;        /* VA_PC_CIPHER_MODE_* with AES-128 and subsample */
    uint32_t samples;
    uint32_t enc[SD_VA_N_PROFILES];       /* VA_ENCRYPTION_TYPE_* per profile map entry */
    VAProfile va_profile[SD_VA_N_PROFILES];
} Probe;

typedef struct KeyEntry {
    uint8_t kid[SECDEC_KID_SIZE];
    uint8_t wrapped[16]; /* all zero: the session key */
    bool clear;
} KeyEntry;

struct SdBackendDevice {
    SdLogger log;
    VADisplay dpy;
    bool own_dpy;
    int fd;
    Probe pr;
    uint8_t *cert;
    size_t cert_size;
    pthread_mutex_t lock; /* VA calls of protected sessions */
};

struct SdBackendSession {
    SdBackendDevice *dev;
    uint64_t handle;
    VAConfigID config;
    VAProtectedSessionID ps;
    bool ctr;
    bool hw_protection;
    pthread_mutex_t lock;
    KeyEntry *keys;
    size_t n_keys;
    SdBackendSession *next; /* registry */
};

/* ---- va_tee.c: VA and TEE statuses, the protocol's round trip ----------------------------- */

/* A failed VA call: SECDEC_E_OUTOFMEMORY (allocation failed) or SECDEC_E_NOTAVAILABLE. */
SecdecStatus sd_va_status(VAStatus st);
/* A TEE status (SECDEC_VA_TEE_STATUS_*) as the SecdecStatus the API gives for it. */
SecdecStatus sd_va_tee_status(uint32_t s);
SecdecStatus sd_va_tee_exec(const SdLogger *lg, VADisplay dpy, VAProtectedSessionID ps,
                            uint32_t func, const void *in, uint32_t in_size, void *out,
                            uint32_t out_cap, uint32_t *out_size, uint32_t *tee);
/* A ProtectedContent config with the cipher mode (CTR or CBC) and a protected session on it. */
SecdecStatus sd_va_pc_session_new(SdBackendDevice *d, bool ctr, VAConfigID *cfg,
                                  VAProtectedSessionID *ps);
/* Sets d->cert / d->cert_size from the TEE (GET_CERTIFICATE); NOTAVAILABLE when the driver's
 * TEE does not speak secdec's protocol. */
SecdecStatus sd_va_fetch_certificate(SdBackendDevice *d);

/* ---- va_device.c: SdBackendOps open/close/caps -------------------------------------------- */

SecdecStatus sd_va_device_open(const SdBackendOpenArgs *args, SdBackendDevice **out,
                               const uint8_t **cert, size_t *cert_size);
void sd_va_device_close(SdBackendDevice *d);
SecdecStatus sd_va_device_caps(SdBackendDevice *d, const SecdecGuid *crypto,
                               const SecdecGuid *profile, SecdecContentProtectionCaps *caps,
                               SecdecGuid kx[SD_BACKEND_MAX_KX]);
/* The crypto type / decoder profile checks of GetContentProtectionCaps (create false) and
 * CreateCryptoSession (create true); *ctr: the crypto type is AES-128-CTR. */
SecdecStatus sd_va_check_pair(SdBackendDevice *d, const SecdecGuid *crypto,
                              const SecdecGuid *profile, bool create, bool *ctr);

/* ---- va_session.c: SdBackendOps sessions and keys ----------------------------------------- */

SecdecStatus sd_va_session_create(SdBackendDevice *d, const SecdecGuid *crypto,
                                  const SecdecGuid *profile, const SecdecGuid *kx,
                                  uint64_t handle, SdBackendSession **out);
void sd_va_session_destroy(SdBackendSession *s);
SecdecStatus sd_va_session_certificate(SdBackendSession *s, uint32_t *size, uint8_t *buf);
SecdecStatus sd_va_negotiate(SdBackendSession *s, SecdecOaepHash hash, uint32_t size,
                             void *data);
SecdecStatus sd_va_set_content_key(SdBackendSession *s, const uint8_t kid[SECDEC_KID_SIZE],
                                   uint32_t key_size, const void *key);
SecdecStatus sd_va_remove_content_key(SdBackendSession *s, const uint8_t kid[SECDEC_KID_SIZE]);
SecdecStatus sd_va_has_content_key(SdBackendSession *s, const uint8_t kid[SECDEC_KID_SIZE]);
SecdecStatus sd_va_session_status(SdBackendSession *s, SecdecCryptoSessionStatus *status);
SecdecStatus sd_va_refresh_start(SdBackendSession *s, uint8_t random[SECDEC_KEY_SIZE]);
SecdecStatus sd_va_refresh_finish(SdBackendSession *s);

/* The installed key of `kid` in the module session of (device, session): its wrapped bytes,
 * whether the KID is clear, and whether the session is AES-CTR. SECDEC_E_NO_KEY when the KID
 * has no key; the errors of secdec_crypto_session_get_handle(); SECDEC_E_NOTAVAILABLE when the
 * session is not a VA-API one. */
SecdecStatus sd_va_session_content_key(SecdecDevice *device, SecdecCryptoSession *session,
                                       const uint8_t kid[SECDEC_KID_SIZE], uint8_t wrapped[16],
                                       bool *clear, bool *ctr);

#endif
