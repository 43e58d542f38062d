/*
 * secdec.h - libsecdec: devices, crypto sessions and protected decode for Linux.
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * libsecdec models the Direct3D crypto-session API (ID3D11VideoDevice::CreateCryptoSession,
 * ID3D11CryptoSession, ID3D11VideoContext::NegotiateCryptoSessionKeyExchange, session-key
 * refresh, DecoderBeginFrame content keys) one to one, so that code ported from Direct3D maps
 * call for call and status for status (see secdec_status_to_hresult()).
 *
 * Conventions used by every function in this header
 * -------------------------------------------------
 * - Every function returns a SecdecStatus. SECDEC_OK (0) is success; every other value is
 *   an error and the function has no effect unless its documentation says otherwise.
 *   Output parameters are only written on success.
 * - A NULL pointer where an object or output is required gives SECDEC_E_INVALIDARG.
 * - Objects are opaque. Whoever creates an object owns it and releases it with the matching
 *   close/destroy function, which takes a pointer to the caller's handle and sets it to NULL.
 * - Thread-safety: a SecdecDevice and a SecdecCryptoSession may be used from several threads at
 *   once (one thread decrypting while another refreshes the session key or adds content keys);
 *   every function except the close/destroy functions is thread-safe. Close/destroy must not
 *   race with other calls on the same object.
 * - Secrets (the device private key, session keys, content keys) are kept in locked,
 *   non-dumpable memory and wiped on release; they never cross this API in clear except where
 *   a function says so.
 */

#ifndef SECDEC_SECDEC_H
#define SECDEC_SECDEC_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) && defined(SECDEC_BUILDING_LIBRARY)
#define SECDEC_API __attribute__((visibility("default")))
#else
#define SECDEC_API
#endif

#define SECDEC_VERSION_MAJOR 0
#define SECDEC_VERSION_MINOR 1
#define SECDEC_VERSION_PATCH 0

/** Returns the library version as "MAJOR.MINOR.PATCH". Static string; thread-safe. */
SECDEC_API const char *secdec_version(void);

/* ------------------------------------------------------------------------------------------ */
/* Status codes                                                                                */
/* ------------------------------------------------------------------------------------------ */

/**
 * One status enum for the whole library. Each code has a Direct3D / COM HRESULT equivalent
 * (secdec_status_to_hresult()). Codes without a Direct3D counterpart use custom HRESULTs in
 * FACILITY_ITF (0x8004xxxx, codes 0x0200 and up), the range COM reserves for interface-specific
 * errors.
 */
typedef enum SecdecStatus {
    SECDEC_OK = 0,                 /**< S_OK */
    SECDEC_E_OUTOFMEMORY,          /**< E_OUTOFMEMORY 0x8007000E */
    SECDEC_E_INVALIDARG,           /**< E_INVALIDARG 0x80070057: parameters validated and incorrect */
    SECDEC_E_NOTAVAILABLE,         /**< D3DDDIERR_NOTAVAILABLE 0x8876086A: GUID unsupported or NULL */
    SECDEC_E_UNSUPPORTEDCRYPTO,    /**< D3DDDIERR_UNSUPPORTEDCRYPTO 0x8876087E: crypto type vs profile */
    SECDEC_E_WRONG_DEVICE,         /**< E_HANDLE 0x80070006: object used with another device */
    SECDEC_E_DEVICE_REMOVED,       /**< D3DDDIERR_DEVICEREMOVED 0x88760870: device already closed */
    SECDEC_E_INVALIDCALL,          /**< D3DERR_INVALIDCALL 0x8876086C: call not valid in this state */
    SECDEC_E_KEY_EXCHANGE,         /**< 0x80040200: key-exchange blob rejected (one generic error) */
    SECDEC_E_IDENTITY,             /**< 0x80040201: device identity corrupt, unreadable or unsafe */
    SECDEC_E_IO,                   /**< 0x80040202: file-system error */
    SECDEC_E_NO_KEY,               /**< 0x80040203: no content key for this KID */
    SECDEC_E_LICENSE_INVALID,      /**< 0x80040204: license malformed or tampered with */
    SECDEC_E_LICENSE_FOREIGN,      /**< 0x80040205: license bound to another device */
    SECDEC_E_MEMLOCK,              /**< D3DDDIERR_OUTOFHWPROTECTEDMEMORY 0x88760887: cannot lock memory */
    SECDEC_E_BAD_SUBSAMPLES,       /**< 0x80040206: subsample map does not describe the sample */
    SECDEC_E_BAD_IV,               /**< 0x80040207: IV size not 8 or 16 / missing IV */
    SECDEC_E_BAD_PATTERN,          /**< 0x80040208: crypt:skip pattern out of range for the scheme */
    SECDEC_E_BAD_SAMPLE,           /**< 0x80040209: empty or oversized sample */
    SECDEC_E_NOTIMPL,              /**< E_NOTIMPL 0x80004001: not implemented by this backend */
    SECDEC_E_KEY_LOST,             /**< 0x8004020A: session key lost (see CheckCryptoSessionStatus) */
    SECDEC_STATUS_COUNT            /**< number of codes; not a status */
} SecdecStatus;

/** Short English description of a status, e.g. "key exchange failed". Static string; never NULL
 *  (unknown values give "unknown status"). Thread-safe. */
SECDEC_API const char *secdec_status_to_string(SecdecStatus status);

/** Symbolic name of a status, e.g. "SECDEC_E_NOTAVAILABLE". Static string; never NULL. */
SECDEC_API const char *secdec_status_name(SecdecStatus status);

/** The Direct3D / COM HRESULT equivalent of a status (S_OK is 0). Unknown values give E_FAIL
 *  (0x80004005). Thread-safe. */
SECDEC_API uint32_t secdec_status_to_hresult(SecdecStatus status);

/* ------------------------------------------------------------------------------------------ */
/* GUIDs                                                                                       */
/* ------------------------------------------------------------------------------------------ */

/** A GUID laid out exactly like the Windows GUID struct (Data1..Data4). */
typedef struct SecdecGuid {
    uint32_t data1;
    uint16_t data2;
    uint16_t data3;
    uint8_t data4[8];
} SecdecGuid;

/* The GUIDs below have the same values as the Direct3D ones of the same name. */
SECDEC_API extern const SecdecGuid SECDEC_GUID_NULL;
/** D3D11_CRYPTO_TYPE_AES128_CTR {9b6bd711-4f74-41c9-9e7b-0be2d7d93b4f}: AES-128-CTR bitstream
 *  encryption (CENC schemes 'cenc' and 'cens'). */
SECDEC_API extern const SecdecGuid SECDEC_CRYPTO_TYPE_AES128_CTR;
/** D3D11_DECODER_BITSTREAM_ENCRYPTION_TYPE_CBCS {422d9319-9d21-4bb7-9371-faf5a82c3e04}: used by
 *  secdec as the crypto type for AES-128-CBC bitstream encryption (CENC 'cbcs' and 'cbc1').
 *  Direct3D has no AES-CBC crypto-type GUID, so secdec reuses this one. */
SECDEC_API extern const SecdecGuid SECDEC_CRYPTO_TYPE_AES128_CBC;
/** D3D11_KEY_EXCHANGE_RSAES_OAEP {c1949895-d72a-4a1d-8e5d-ed857d171520}. */
SECDEC_API extern const SecdecGuid SECDEC_KEY_EXCHANGE_RSAES_OAEP;
/** D3D11_KEY_EXCHANGE_HW_PROTECTION {b1170d8a-628d-4da3-ad3b-82ddb08b4970}. */
SECDEC_API extern const SecdecGuid SECDEC_KEY_EXCHANGE_HW_PROTECTION;
/** D3D11_DECODER_PROFILE_H264_VLD_NOFGT {1b81be68-a0c7-11d3-b984-00c04f2e73c5}. */
SECDEC_API extern const SecdecGuid SECDEC_DECODER_PROFILE_H264_VLD_NOFGT;
/** D3D11_DECODER_PROFILE_HEVC_VLD_MAIN {5b11d51b-2f4c-4452-bcc3-09f2a1160cc0}. */
SECDEC_API extern const SecdecGuid SECDEC_DECODER_PROFILE_HEVC_VLD_MAIN;
/** D3D11_DECODER_PROFILE_HEVC_VLD_MAIN10 {107af0e0-ef1a-4d19-aba8-67a163073d13}. */
SECDEC_API extern const SecdecGuid SECDEC_DECODER_PROFILE_HEVC_VLD_MAIN10;
/** D3D11_DECODER_PROFILE_VP9_VLD_PROFILE0 {463707f8-a1d0-4585-876d-83aa6d60b89e}. */
SECDEC_API extern const SecdecGuid SECDEC_DECODER_PROFILE_VP9_VLD_PROFILE0;
/** D3D11_DECODER_PROFILE_AV1_VLD_PROFILE0 {b8be4ccb-cf53-46ba-8d59-d6b8a6da5d2a}. */
SECDEC_API extern const SecdecGuid SECDEC_DECODER_PROFILE_AV1_VLD_PROFILE0;
/** secdec's own profile, no Direct3D counterpart {fd44a2b4-d67f-424a-a561-d31576be1b02}:
 *  compressed audio, decrypted into ORDINARY memory (secdec_decrypt_audio_sample()). Audio is
 *  outside the protected path, as in the hardware DRMs: its content key still arrives wrapped
 *  by the session key and lives in protected memory, but its decrypted samples do not. Only
 *  a session created with this profile releases clear bytes; software backend only. */
SECDEC_API extern const SecdecGuid SECDEC_DECODER_PROFILE_AUDIO_CLEAR_OUTPUT;

/** Returns 1 if a and b are the same GUID, else 0. NULL equals only NULL. Thread-safe. */
SECDEC_API int secdec_guid_equal(const SecdecGuid *a, const SecdecGuid *b);

/** Formats a GUID as "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" (lower case) into buf, which must
 *  hold at least 37 bytes. Returns buf. */
SECDEC_API char *secdec_guid_to_string(const SecdecGuid *guid, char buf[37]);

/** Parses a GUID string (with or without braces). Returns SECDEC_OK or SECDEC_E_INVALIDARG. */
SECDEC_API SecdecStatus secdec_guid_from_string(const char *str, SecdecGuid *guid);

/** A known GUID's Direct3D name ("D3D11_CRYPTO_TYPE_AES128_CTR", ...), or NULL. */
SECDEC_API const char *secdec_guid_name(const SecdecGuid *guid);

/* ------------------------------------------------------------------------------------------ */
/* Devices                                                                                     */
/* ------------------------------------------------------------------------------------------ */

/** The Direct3D hDevice: one protected-decode engine with one identity (RSA-2048 key and
 *  certificate). Opaque. */
typedef struct SecdecDevice SecdecDevice;

typedef enum SecdecBackend {
    /** VA-API when a VA device with protected content (a TEE speaking secdec's protocol,
     *  hw/include/secdec/va-tee.h) is found, else software. */
    SECDEC_BACKEND_AUTO = 0,
    SECDEC_BACKEND_SOFTWARE,   /**< OpenSSL in this process; secrets in locked memory */
    /** VA-API protected content through the loadable module libsecdec-vaapi.so (hw/,
     *  hw/README.md); SECDEC_E_NOTAVAILABLE when the module or a capable device is absent.
     *  Keys stay in the device's TEE: secdec_decrypt_sample() is SECDEC_E_NOTIMPL on such a
     *  device, frames are decrypted by the decoder (hw/include/secdec/vaapi.h). */
    SECDEC_BACKEND_VAAPI,
} SecdecBackend;

typedef enum SecdecLogLevel {
    SECDEC_LOG_ERROR = 0,
    SECDEC_LOG_WARNING,
    SECDEC_LOG_INFO,
    SECDEC_LOG_DEBUG,
} SecdecLogLevel;

/** Log callback: receives one complete message without trailing newline. Messages never
 *  contain secrets. May be called from any thread that calls into the library. */
typedef void (*SecdecLogCallback)(void *cookie, SecdecLogLevel level, const char *message);

typedef struct SecdecDeviceSettings {
    SecdecBackend backend;         /**< default SECDEC_BACKEND_AUTO */
    /** Directory holding the device identity and the license store. NULL (default) means
     *  $SECDEC_HOME, else $XDG_DATA_HOME/secdec, else $HOME/.local/share/secdec. The string is
     *  copied by secdec_device_open(). */
    const char *home_dir;
    /** 1 (default): create the identity on first use when the directory holds none.
     *  0: a missing identity is SECDEC_E_IDENTITY. An existing but corrupt identity is never
     *  replaced either way. */
    int provision;
    /** 0 (default): failing to lock secret memory (RLIMIT_MEMLOCK too low) is the error
     *  SECDEC_E_MEMLOCK. 1: continue with unlocked (still non-dumpable, wiped) memory; this is
     *  reported through the logger and secdec_device_memory_locked(). Never a silent downgrade. */
    int allow_unlocked_memory;
    SecdecLogCallback logger;      /**< default: errors and warnings to stderr */
    void *logger_cookie;
    SecdecLogLevel log_level;      /**< default SECDEC_LOG_WARNING */
    /** VA-API backend: a VADisplay the application already initialised (vaInitialize), used
     *  instead of opening /dev/dri/renderD*. Borrowed: secdec never terminates it, and it must
     *  outlive the device and every session created on it. Default NULL. Ignored by the
     *  software backend. */
    void *va_display;
} SecdecDeviceSettings;

/** Fills settings with the defaults above. Thread-safe. */
SECDEC_API void secdec_device_default_settings(SecdecDeviceSettings *settings);

/**
 * Opens a device, loading its identity (and provisioning it on first use if allowed).
 * The identity is "device.key" (PKCS#8 DER, mode 0600) and "device.crt" (X.509 DER) inside the
 * home directory (mode 0700, created if missing).
 *
 * @param out       receives the new device; the caller owns it (secdec_device_close()).
 * @param settings  NULL for defaults.
 * @return SECDEC_OK;
 *         SECDEC_E_INVALIDARG   out is NULL or settings are out of range;
 *         SECDEC_E_NOTAVAILABLE the requested backend is not available here;
 *         SECDEC_E_IDENTITY     the identity is missing (provision=0), corrupt, not RSA-2048,
 *                               key and certificate do not match, or the key file is accessible
 *                               by group/others (details go to the logger);
 *         SECDEC_E_IO           the home directory cannot be created or read;
 *         SECDEC_E_MEMLOCK      secret memory cannot be locked and allow_unlocked_memory is 0;
 *         SECDEC_E_OUTOFMEMORY.
 */
SECDEC_API SecdecStatus secdec_device_open(SecdecDevice **out, const SecdecDeviceSettings *settings);

/**
 * Closes the caller's handle and sets *device to NULL. Sessions created on the device stay
 * valid objects: every later call on them returns SECDEC_E_DEVICE_REMOVED, and the device's
 * memory is released when the last such session is destroyed. NULL or *device == NULL is a
 * no-op.
 */
SECDEC_API void secdec_device_close(SecdecDevice **device);

/** The backend actually in use. Returns SECDEC_E_INVALIDARG or SECDEC_E_DEVICE_REMOVED. */
SECDEC_API SecdecStatus secdec_device_get_backend(SecdecDevice *device, SecdecBackend *backend);

/** Human-readable backend name ("software", "vaapi"). Static string. */
SECDEC_API const char *secdec_backend_name(SecdecBackend backend);

/** The home directory in use (for the identity and license store). The string belongs to the
 *  device and lives as long as the device handle. Returns NULL for an invalid device. */
SECDEC_API const char *secdec_device_get_home(SecdecDevice *device);

/** Writes the SHA-256 fingerprint of the device certificate (DER) into fp. */
SECDEC_API SecdecStatus secdec_device_get_certificate_fingerprint(SecdecDevice *device,
                                                                 uint8_t fp[32]);

/** 1 if the device's secret memory is locked (mlock), 0 if it runs in the explicitly allowed
 *  unlocked mode, -1 for an invalid device. */
SECDEC_API int secdec_device_memory_locked(SecdecDevice *device);

/* ------------------------------------------------------------------------------------------ */
/* Capabilities: GetContentProtectionCaps / CheckCryptoKeyExchange                             */
/* ------------------------------------------------------------------------------------------ */

/* D3D11_CONTENT_PROTECTION_CAPS flags, same values. */
#define SECDEC_CAPS_SOFTWARE                          0x0001u
#define SECDEC_CAPS_HARDWARE                          0x0002u
#define SECDEC_CAPS_PROTECTION_ALWAYS_ON              0x0004u
#define SECDEC_CAPS_PARTIAL_DECRYPTION                0x0008u
#define SECDEC_CAPS_CONTENT_KEY                       0x0010u
#define SECDEC_CAPS_FRESHEN_SESSION_KEY               0x0020u
#define SECDEC_CAPS_ENCRYPTED_READ_BACK               0x0040u
#define SECDEC_CAPS_ENCRYPTED_READ_BACK_KEY           0x0080u
#define SECDEC_CAPS_SEQUENTIAL_CTR_IV                 0x0100u
#define SECDEC_CAPS_ENCRYPT_SLICEDATA_ONLY            0x0200u
#define SECDEC_CAPS_DECRYPTION_BLT                    0x0400u
#define SECDEC_CAPS_HARDWARE_PROTECT_UNCOMPRESSED     0x0800u
#define SECDEC_CAPS_HARDWARE_PROTECTED_MEMORY_PAGEABLE 0x1000u
#define SECDEC_CAPS_HARDWARE_TEARDOWN                 0x2000u
#define SECDEC_CAPS_HARDWARE_DRM_COMMUNICATION        0x4000u

/** D3D11_VIDEO_CONTENT_PROTECTION_CAPS. */
typedef struct SecdecContentProtectionCaps {
    uint32_t caps;                    /**< SECDEC_CAPS_* flags */
    uint32_t key_exchange_type_count; /**< number of key-exchange GUIDs (CheckCryptoKeyExchange) */
    uint32_t block_alignment_size;    /**< alignment of encrypted blocks, bytes */
    uint64_t protected_memory_size;   /**< bytes of protected memory available for buffers */
} SecdecContentProtectionCaps;

/**
 * GetContentProtectionCaps: what the device offers for a crypto type and decoder profile.
 * @param crypto_type  a crypto-type GUID (NULL or SECDEC_GUID_NULL: NOTAVAILABLE).
 * @param decoder_profile NULL or SECDEC_GUID_NULL for "not used for decoding".
 * @return SECDEC_OK; SECDEC_E_INVALIDARG (device/caps NULL); SECDEC_E_DEVICE_REMOVED;
 *         SECDEC_E_NOTAVAILABLE (crypto type unknown, NULL or unsupported; profile unknown);
 *         SECDEC_E_UNSUPPORTEDCRYPTO (the profile cannot use this crypto type).
 */
SECDEC_API SecdecStatus secdec_device_get_content_protection_caps(SecdecDevice *device,
                                                                 const SecdecGuid *crypto_type,
                                                                 const SecdecGuid *decoder_profile,
                                                                 SecdecContentProtectionCaps *caps);

/**
 * CheckCryptoKeyExchange: the index-th key-exchange type for a crypto type and profile.
 * @return as secdec_device_get_content_protection_caps(), plus SECDEC_E_INVALIDARG when
 *         index >= key_exchange_type_count.
 */
SECDEC_API SecdecStatus secdec_device_check_crypto_key_exchange(SecdecDevice *device,
                                                               const SecdecGuid *crypto_type,
                                                               const SecdecGuid *decoder_profile,
                                                               uint32_t index,
                                                               SecdecGuid *key_exchange_type);

/** Lists the crypto types (index 0..n-1) and decoder profiles the library knows, so tools can
 *  print a caps table. Return NULL past the end. Static data; thread-safe. */
SECDEC_API const SecdecGuid *secdec_known_crypto_type(unsigned index);
SECDEC_API const SecdecGuid *secdec_known_decoder_profile(unsigned index);

/* ------------------------------------------------------------------------------------------ */
/* Crypto sessions                                                                             */
/* ------------------------------------------------------------------------------------------ */

/** ID3D11CryptoSession. Opaque. */
typedef struct SecdecCryptoSession SecdecCryptoSession;

/**
 * CreateCryptoSession.
 * @param device          the creating device; the session remembers it and every later call
 *                        naming another device fails with SECDEC_E_WRONG_DEVICE.
 * @param crypto_type     SECDEC_CRYPTO_TYPE_*.
 * @param decoder_profile NULL or SECDEC_GUID_NULL: the session is not used for decoding.
 * @param key_exchange_type SECDEC_KEY_EXCHANGE_RSAES_OAEP (software) or
 *                        SECDEC_KEY_EXCHANGE_HW_PROTECTION (hardware backends only).
 * @param out             receives the session; the caller owns it (secdec_crypto_session_destroy()).
 * @return SECDEC_OK;
 *         SECDEC_E_OUTOFMEMORY       allocation failed;
 *         SECDEC_E_NOTAVAILABLE      crypto type unsupported or the NULL GUID, or the key-exchange
 *                                    type is not offered for it (HW_PROTECTION on software);
 *         SECDEC_E_UNSUPPORTEDCRYPTO decoder_profile is not NULL and cannot use the crypto type
 *                                    (or is an unknown profile);
 *         SECDEC_E_INVALIDARG        device, out, crypto_type or key_exchange_type is NULL;
 *         SECDEC_E_DEVICE_REMOVED    the device handle was closed;
 *         SECDEC_E_MEMLOCK           the session's key memory cannot be locked.
 */
SECDEC_API SecdecStatus secdec_create_crypto_session(SecdecDevice *device,
                                                    const SecdecGuid *crypto_type,
                                                    const SecdecGuid *decoder_profile,
                                                    const SecdecGuid *key_exchange_type,
                                                    SecdecCryptoSession **out);

/** Destroys a session, wiping its keys, and sets *session to NULL. NULL is a no-op. Must not
 *  race with other calls on the same session. */
SECDEC_API void secdec_crypto_session_destroy(SecdecCryptoSession **session);

/*
 * The following calls all take the device the caller believes owns the session, as the
 * Direct3D DDI does. Each returns, in addition to what it lists:
 *   SECDEC_E_INVALIDARG     device or session (or a required output) is NULL;
 *   SECDEC_E_WRONG_DEVICE   device is not the device that created the session;
 *   SECDEC_E_DEVICE_REMOVED the creating device's handle has been closed.
 */

/** GetCryptoType. */
SECDEC_API SecdecStatus secdec_crypto_session_get_crypto_type(SecdecDevice *device,
                                                             SecdecCryptoSession *session,
                                                             SecdecGuid *crypto_type);
/** GetDecoderProfile (SECDEC_GUID_NULL when the session is not used for decoding). */
SECDEC_API SecdecStatus secdec_crypto_session_get_decoder_profile(SecdecDevice *device,
                                                                 SecdecCryptoSession *session,
                                                                 SecdecGuid *decoder_profile);
/** The key-exchange type the session was created with. */
SECDEC_API SecdecStatus secdec_crypto_session_get_key_exchange_type(SecdecDevice *device,
                                                                   SecdecCryptoSession *session,
                                                                   SecdecGuid *key_exchange_type);
/** GetCryptoSessionHandle: a process-unique, non-zero value that associates the session with a
 *  decoder (front-ends pass it around instead of the pointer). */
SECDEC_API SecdecStatus secdec_crypto_session_get_handle(SecdecDevice *device,
                                                        SecdecCryptoSession *session,
                                                        uint64_t *handle);

/** GetCertificateSize: size in bytes of the device's certificate chain (DER certificates,
 *  leaf first, concatenated). SECDEC_E_NOTAVAILABLE for HW_PROTECTION sessions. */
SECDEC_API SecdecStatus secdec_crypto_session_get_certificate_size(SecdecDevice *device,
                                                                  SecdecCryptoSession *session,
                                                                  uint32_t *size);
/** GetCertificate: copies the chain into buf. SECDEC_E_INVALIDARG when size is smaller than
 *  the chain (nothing is written); SECDEC_E_NOTAVAILABLE for HW_PROTECTION sessions. */
SECDEC_API SecdecStatus secdec_crypto_session_get_certificate(SecdecDevice *device,
                                                             SecdecCryptoSession *session,
                                                             uint32_t size, uint8_t *buf);

/** OAEP parameters for RSAES-OAEP key exchange. Hash and MGF1 hash are the same. */
typedef enum SecdecOaepHash {
    SECDEC_OAEP_SHA512 = 0, /**< default: OPM's parameters (SHA-512, MGF1-SHA-512, empty label) */
    SECDEC_OAEP_SHA256,     /**< SHA-256, MGF1-SHA-256, empty label (interop) */
    SECDEC_OAEP_SHA1,       /**< SHA-1, MGF1-SHA-1, empty label (interop with older tools) */
} SecdecOaepHash;

/** Selects the OAEP hash used by the next NegotiateCryptoSessionKeyExchange. Default SHA-512.
 *  @return SECDEC_OK; SECDEC_E_INVALIDARG for an unknown value. */
SECDEC_API SecdecStatus secdec_crypto_session_set_oaep_hash(SecdecDevice *device,
                                                           SecdecCryptoSession *session,
                                                           SecdecOaepHash hash);

/** Size in bytes of the RSAES-OAEP key-exchange buffer (RSA-2048 ciphertext). */
#define SECDEC_KEY_EXCHANGE_OAEP_SIZE 256
/** Size in bytes of session keys and content keys (AES-128). */
#define SECDEC_KEY_SIZE 16
/** Size in bytes of a key ID (KID). */
#define SECDEC_KID_SIZE 16

/**
 * NegotiateCryptoSessionKeyExchange.
 * For RSAES-OAEP sessions, data holds exactly 256 bytes: a 16-byte session key encrypted with
 * RSAES-OAEP to the public key of the session's certificate. On success the session key is
 * installed (replacing any previous one; content keys already installed stay valid). The
 * buffer is only read.
 * @return SECDEC_OK;
 *         SECDEC_E_INVALIDARG    data is NULL or size is not 256;
 *         SECDEC_E_KEY_EXCHANGE  the blob does not decrypt to a 16-byte session key. This one
 *                                error is returned whatever went wrong, after the same work,
 *                                so it reveals nothing about why (no padding oracle);
 *         SECDEC_E_NOTAVAILABLE  the session's key-exchange type is not available here;
 *         SECDEC_E_OUTOFMEMORY.
 */
SECDEC_API SecdecStatus secdec_negotiate_crypto_session_key_exchange(SecdecDevice *device,
                                                                    SecdecCryptoSession *session,
                                                                    uint32_t size, void *data);

/**
 * StartSessionKeyRefresh: writes a fresh random number of `size` bytes (must be
 * SECDEC_KEY_SIZE) to random. The new session key, old key XOR random, takes effect only at
 * secdec_finish_session_key_refresh(). A second start replaces the pending number.
 * @return SECDEC_OK; SECDEC_E_INVALIDARG (size != 16, random NULL);
 *         SECDEC_E_INVALIDCALL (no session key negotiated yet).
 */
SECDEC_API SecdecStatus secdec_start_session_key_refresh(SecdecDevice *device,
                                                        SecdecCryptoSession *session,
                                                        uint32_t size, void *random);

/** FinishSessionKeyRefresh: switches to the refreshed session key.
 *  @return SECDEC_OK; SECDEC_E_INVALIDCALL when no refresh was started. */
SECDEC_API SecdecStatus secdec_finish_session_key_refresh(SecdecDevice *device,
                                                         SecdecCryptoSession *session);

/** D3D11_CRYPTO_SESSION_STATUS. */
typedef enum SecdecCryptoSessionStatus {
    SECDEC_SESSION_STATUS_OK = 0,
    SECDEC_SESSION_STATUS_KEY_LOST = 1,             /**< keys gone (e.g. in a forked child) */
    SECDEC_SESSION_STATUS_KEY_AND_CONTENT_LOST = 2, /**< keys and protected buffers gone */
} SecdecCryptoSessionStatus;

/**
 * CheckCryptoSessionStatus. Software backend: the session's locked key memory is marked
 * MADV_WIPEONFORK, so in a forked child the keys are gone and the status is KEY_LOST
 * (KEY_AND_CONTENT_LOST when protected buffers were outstanding). Recovery: destroy the
 * session, create a new one and negotiate keys again.
 * @return SECDEC_OK (status written).
 */
SECDEC_API SecdecStatus secdec_check_crypto_session_status(SecdecDevice *device,
                                                          SecdecCryptoSession *session,
                                                          SecdecCryptoSessionStatus *status);

/**
 * Installs the content key for a KID, the way DecoderBeginFrame takes it:
 *  - key_size 16, key = the content key AES-128-ECB-encrypted with the session key;
 *  - key_size 16, key all zero: samples with this KID are encrypted with the session key
 *    itself (follows later refreshes);
 *  - key_size 0, key NULL: samples with this KID are not encrypted (clear pass-through).
 * Any number of KIDs may be installed at once (key rotation); installing a KID again replaces
 * its key. The unwrapped key is only kept in locked memory.
 * @return SECDEC_OK; SECDEC_E_INVALIDARG (kid NULL, size not 0 or 16, NULL/size mismatch);
 *         SECDEC_E_INVALIDCALL (no session key negotiated yet); SECDEC_E_OUTOFMEMORY;
 *         SECDEC_E_MEMLOCK.
 */
SECDEC_API SecdecStatus secdec_crypto_session_set_content_key(SecdecDevice *device,
                                                             SecdecCryptoSession *session,
                                                             const uint8_t kid[SECDEC_KID_SIZE],
                                                             uint32_t key_size, const void *key);

/** Removes the key for a KID. @return SECDEC_OK; SECDEC_E_NO_KEY when none is installed. */
SECDEC_API SecdecStatus secdec_crypto_session_remove_content_key(SecdecDevice *device,
                                                                SecdecCryptoSession *session,
                                                                const uint8_t kid[SECDEC_KID_SIZE]);

/** Whether a key (of any kind) is installed for a KID: SECDEC_OK if yes, SECDEC_E_NO_KEY if not.
 *  Front-ends use this to decide whether to wait for or ask for a key. */
SECDEC_API SecdecStatus secdec_crypto_session_has_content_key(SecdecDevice *device,
                                                             SecdecCryptoSession *session,
                                                             const uint8_t kid[SECDEC_KID_SIZE]);

#ifdef __cplusplus
}
#endif

#endif /* SECDEC_SECDEC_H */
