/*
 * license.h - secdec licenses: a session key for one device plus content keys wrapped by it.
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A license is what the content owner sends a device (docs/license-format.md has the byte
 * layout): the 256-byte RSAES-OAEP key-exchange blob of a fresh session key, encrypted to the
 * device certificate; each content key AES-128-ECB-wrapped with that session key, by KID; the
 * SHA-256 fingerprint of the certificate it is bound to; and an HMAC-SHA256 over all of it
 * keyed from the session key, so only the device can verify it and any change is detected.
 *
 * Loading a license (secdec_license_load()) is exactly the Direct3D flow an application would
 * drive itself: NegotiateCryptoSessionKeyExchange with the blob, then each wrapped content key.
 *
 * Conventions are those of secdec.h (status codes, ownership, thread-safety). SecdecLicense
 * objects are immutable after parsing and may be shared between threads.
 */

#ifndef SECDEC_LICENSE_H
#define SECDEC_LICENSE_H

#include <secdec/secdec.h>

#ifdef __cplusplus
extern "C" {
#endif

/** A parsed license. Opaque and immutable; holds no clear secrets. */
typedef struct SecdecLicense SecdecLicense;

/** A clear content key, as held by the content owner (issuer side only). */
typedef struct SecdecContentKey {
    uint8_t kid[SECDEC_KID_SIZE];
    uint8_t key[SECDEC_KEY_SIZE];
} SecdecContentKey;

/** Largest number of keys one license may carry. */
#define SECDEC_LICENSE_MAX_KEYS 1024

/** Frees memory returned by this library (e.g. secdec_license_issue()'s output). NULL is a
 *  no-op. The memory is wiped before it is freed. */
SECDEC_API void secdec_free(void *ptr);

/**
 * Issues a license (content owner's side; needs no device).
 * @param cert_der, cert_size  the device certificate chain as GetCertificate returns it (the
 *                             first certificate's RSA-2048 public key is used).
 * @param hash                 OAEP hash for the key exchange (SECDEC_OAEP_SHA512 default).
 * @param keys, n_keys         1..SECDEC_LICENSE_MAX_KEYS clear content keys; KIDs must be
 *                             unique.
 * @param out, out_size        receive the license bytes; free with secdec_free().
 * @return SECDEC_OK; SECDEC_E_INVALIDARG (NULLs, n_keys out of range, duplicate KIDs, unknown
 *         hash); SECDEC_E_IDENTITY (the certificate does not parse or is not RSA-2048);
 *         SECDEC_E_OUTOFMEMORY. Thread-safe.
 */
SECDEC_API SecdecStatus secdec_license_issue(const uint8_t *cert_der, size_t cert_size,
                                            SecdecOaepHash hash, const SecdecContentKey *keys,
                                            size_t n_keys, uint8_t **out, size_t *out_size);

/**
 * Parses license bytes (any input is safe: fuzzed).
 * @return SECDEC_OK; SECDEC_E_INVALIDARG (NULLs); SECDEC_E_LICENSE_INVALID (malformed,
 *         truncated, trailing bytes, unknown version or hash, duplicate KIDs);
 *         SECDEC_E_OUTOFMEMORY. The integrity check needs the device and happens at load.
 */
SECDEC_API SecdecStatus secdec_license_parse(const uint8_t *data, size_t size,
                                            SecdecLicense **out);

/** Reads and parses a license file. Adds SECDEC_E_IO (cannot read; details to stderr-free
 *  return only) to secdec_license_parse()'s codes. */
SECDEC_API SecdecStatus secdec_license_read_file(const char *path, SecdecLicense **out);

/** Frees a license and sets *license to NULL. NULL is a no-op. */
SECDEC_API void secdec_license_free(SecdecLicense **license);

/** Number of content keys in the license (0 for NULL). */
SECDEC_API size_t secdec_license_get_key_count(const SecdecLicense *license);

/** KID of the index-th key. @return SECDEC_OK or SECDEC_E_INVALIDARG. */
SECDEC_API SecdecStatus secdec_license_get_kid(const SecdecLicense *license, size_t index,
                                              uint8_t kid[SECDEC_KID_SIZE]);

/** 1 if the license carries a key for kid, else 0. */
SECDEC_API int secdec_license_has_kid(const SecdecLicense *license,
                                      const uint8_t kid[SECDEC_KID_SIZE]);

/** SHA-256 fingerprint of the certificate the license is bound to. */
SECDEC_API SecdecStatus secdec_license_get_certificate_fingerprint(const SecdecLicense *license,
                                                                  uint8_t fp[32]);

/** OAEP hash the license's key exchange uses. */
SECDEC_API SecdecStatus secdec_license_get_oaep_hash(const SecdecLicense *license,
                                                    SecdecOaepHash *hash);

/** The 256-byte RSAES-OAEP key-exchange blob (owned by the license), for applications that
 *  drive NegotiateCryptoSessionKeyExchange themselves. Not secret: only the device can open
 *  it. @return SECDEC_OK or SECDEC_E_INVALIDARG. */
SECDEC_API SecdecStatus secdec_license_get_key_exchange_blob(const SecdecLicense *license,
                                                            const uint8_t **blob);

/** KID and wrapped content key (AES-128-ECB under the license's session key) of the index-th
 *  entry, as secdec_crypto_session_set_content_key() takes it. Not secret without the device.
 *  @return SECDEC_OK or SECDEC_E_INVALIDARG. */
SECDEC_API SecdecStatus secdec_license_get_wrapped_key(const SecdecLicense *license, size_t index,
                                                      uint8_t kid[SECDEC_KID_SIZE],
                                                      uint8_t wrapped[SECDEC_KEY_SIZE]);

/** The raw license bytes (owned by the license). */
SECDEC_API SecdecStatus secdec_license_get_bytes(const SecdecLicense *license,
                                                const uint8_t **data, size_t *size);

/**
 * Loads a license into a session: checks the certificate binding, negotiates the key exchange
 * (secdec_crypto_session_set_oaep_hash + secdec_negotiate_crypto_session_key_exchange), verifies
 * the license's HMAC with the negotiated session key, then installs every wrapped content key
 * (secdec_crypto_session_set_content_key). Thread-safe with respect to other sessions.
 * @return SECDEC_OK;
 *         SECDEC_E_LICENSE_FOREIGN  the license is bound to another device's certificate;
 *         SECDEC_E_KEY_EXCHANGE     the key-exchange blob is not for this device;
 *         SECDEC_E_LICENSE_INVALID  the HMAC does not verify (tampered license); the session's
 *                                   key is reset and no content key from it is installed;
 *         and the codes of the session calls it makes.
 */
SECDEC_API SecdecStatus secdec_license_load(SecdecDevice *device, SecdecCryptoSession *session,
                                           const SecdecLicense *license);

/**
 * Installs a license into the device's license store ($SECDEC_HOME/licenses/), after checking
 * it fully in a temporary session (as secdec_license_load()). Stored as one file per KID,
 * "<kid-hex>.lic", mode 0600; a later license for the same KID replaces the earlier one.
 * @return SECDEC_OK; SECDEC_E_IO; and secdec_license_load()'s codes.
 */
SECDEC_API SecdecStatus secdec_license_store_install(SecdecDevice *device,
                                                    const SecdecLicense *license);

/**
 * Finds the stored license that carries a key for kid.
 * @return SECDEC_OK (*out owned by the caller); SECDEC_E_NO_KEY when the store has none;
 *         SECDEC_E_IO; SECDEC_E_LICENSE_INVALID (stored file corrupt).
 */
SECDEC_API SecdecStatus secdec_license_store_find(SecdecDevice *device,
                                                 const uint8_t kid[SECDEC_KID_SIZE],
                                                 SecdecLicense **out);

#ifdef __cplusplus
}
#endif

#endif /* SECDEC_LICENSE_H */
