/*
 * backend.h - the interface between libsecdec's core and a hardware backend module.
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The core links OpenSSL only. Hardware backends are separate shared objects that the core
 * dlopen()s on demand (backend.c): the VA-API backend is hw/'s libsecdec-vaapi.so. A module
 * exports one symbol, SD_BACKEND_ENTRY_SYMBOL, returning its SdBackendOps. The software
 * backend is the core itself (device.c, session.c, decrypt.c), not a table.
 *
 * Not installed: a module is built from this source tree, and SD_BACKEND_ABI must match
 * (checked at load). Every function returns a SecdecStatus with the meaning secdec.h gives the
 * public call it implements; the core has already validated handles, NULL pointers and the
 * device/session relationship. Thread-safety: as the public calls.
 */

#ifndef SECDEC_BACKEND_H
#define SECDEC_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "secdec/secdec.h"

#define SD_BACKEND_ABI 2
#define SD_BACKEND_ENTRY_SYMBOL "secdec_backend_entry_v1"

typedef struct SdBackendDevice SdBackendDevice;   /* the module's device */
typedef struct SdBackendSession SdBackendSession; /* the module's crypto session */

typedef struct SdBackendOpenArgs {
    void *va_display;              /* SecdecDeviceSettings.va_display (borrowed) or NULL */
    int forced;                    /* 1: SECDEC_BACKEND_VAAPI asked for; log failures as errors */
    SecdecLogCallback logger;      /* the application's logger; NULL: errors/warnings to stderr */
    void *logger_cookie;
    SecdecLogLevel log_level;
} SdBackendOpenArgs;

/** Most key-exchange types one (crypto type, profile) pair may offer. */
#define SD_BACKEND_MAX_KX 4

typedef struct SdBackendOps {
    uint32_t abi;          /* SD_BACKEND_ABI */
    SecdecBackend backend; /* which SecdecBackend this module implements */

    /** Opens a device; SECDEC_E_NOTAVAILABLE when there is none usable. On success *cert and
     *  *cert_size describe the device's certificate chain (owned by the module device, valid
     *  until close). */
    SecdecStatus (*open)(const SdBackendOpenArgs *args, SdBackendDevice **out,
                         const uint8_t **cert, size_t *cert_size);
    void (*close)(SdBackendDevice *dev);

    /** GetContentProtectionCaps + CheckCryptoKeyExchange for one pair. profile NULL: not used
     *  for decoding. Fills caps and kx[0..caps->key_exchange_type_count-1]. */
    SecdecStatus (*caps)(SdBackendDevice *dev, const SecdecGuid *crypto_type,
                         const SecdecGuid *decoder_profile, SecdecContentProtectionCaps *caps,
                         SecdecGuid kx[SD_BACKEND_MAX_KX]);

    /** CreateCryptoSession (with its NOTAVAILABLE / UNSUPPORTEDCRYPTO answers). `handle` is the
     *  core session's handle (secdec_crypto_session_get_handle()), so the module's public API
     *  can find its session from a (device, session) pair. */
    SecdecStatus (*session_create)(SdBackendDevice *dev, const SecdecGuid *crypto_type,
                                   const SecdecGuid *decoder_profile,
                                   const SecdecGuid *key_exchange, uint64_t handle,
                                   SdBackendSession **out);
    void (*session_destroy)(SdBackendSession *s);

    /** GetCertificateSize (buf NULL) / GetCertificate (size = capacity of buf). */
    SecdecStatus (*session_certificate)(SdBackendSession *s, uint32_t *size, uint8_t *buf);
    /** NegotiateCryptoSessionKeyExchange. */
    SecdecStatus (*negotiate)(SdBackendSession *s, SecdecOaepHash hash, uint32_t size,
                              void *data);
    /** Content keys as secdec_crypto_session_set_content_key(): the key stays wrapped. */
    SecdecStatus (*set_content_key)(SdBackendSession *s, const uint8_t kid[SECDEC_KID_SIZE],
                                    uint32_t key_size, const void *key);
    SecdecStatus (*remove_content_key)(SdBackendSession *s, const uint8_t kid[SECDEC_KID_SIZE]);
    SecdecStatus (*has_content_key)(SdBackendSession *s, const uint8_t kid[SECDEC_KID_SIZE]);
    /** CheckCryptoSessionStatus. */
    SecdecStatus (*status)(SdBackendSession *s, SecdecCryptoSessionStatus *status);
    /** StartSessionKeyRefresh: 16 random bytes from the TEE; FinishSessionKeyRefresh: the TEE
     *  switches the session key and re-wraps the installed content keys (ABI 2). */
    SecdecStatus (*refresh_start)(SdBackendSession *s, uint8_t random[SECDEC_KEY_SIZE]);
    SecdecStatus (*refresh_finish)(SdBackendSession *s);
} SdBackendOps;

typedef const SdBackendOps *(*SdBackendEntry)(void);

/** The core side (backend.c): the module for a backend, loaded once per process from
 *  $SECDEC_BACKEND_PATH (a directory) or the install directory <libdir>/secdec. NULL when
 *  it cannot be loaded (the reason goes to lg). */
struct SdLogger;
const SdBackendOps *sd_backend_load(SecdecBackend backend, const struct SdLogger *lg)
    __attribute__((visibility("hidden")));

#endif /* SECDEC_BACKEND_H */
