/*
 * vaapi.h - libsecdec's VA-API backend: what a decoder needs to decrypt frames inside the
 * device's TEE (libsecdec-vaapi.so, hw/).
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A device opened with SECDEC_BACKEND_VAAPI (or AUTO on a capable machine) keeps every key
 * inside the VA driver's TEE: the session key arrives RSAES-OAEP-wrapped and is unwrapped by
 * the TEE, content keys stay AES-128-ECB-wrapped with it. secdec_decrypt_sample() is therefore
 * SECDEC_E_NOTIMPL on such sessions; instead the application decodes with VA-API itself:
 *
 *   secdec_vaapi_session_get_display(dev, s, &dpy);     // the VADisplay to decode on
 *   ... vaCreateConfig(VLD, VAConfigAttribEncryption), vaCreateContext(&va_ctx) ...
 *   secdec_vaapi_attach(dev, s, va_ctx);                 // vaAttachProtectedSession
 *   per frame:
 *     SecdecVaapiEncryption enc;
 *     secdec_vaapi_build_encryption(dev, s, &info, sample, size, 0, &enc);
 *     if (!enc.clear) vaCreateBuffer(dpy, va_ctx, VAEncryptionParameterBufferType,
 *                                    sizeof(enc.params), 1, &enc.params, &buf);
 *     vaBeginPicture / vaRenderPicture(params, slices, buf) / vaEndPicture
 *     secdec_vaapi_encryption_clear(&enc);
 *
 * Link with libsecdec-vaapi (pkg-config secdec-vaapi) and libsecdec. All functions return a
 * SecdecStatus as in secdec.h and are thread-safe.
 */

#ifndef SECDEC_VAAPI_H
#define SECDEC_VAAPI_H

#include <stddef.h>
#include <stdint.h>

#include <va/va.h>

#include <secdec/decrypt.h>
#include <secdec/secdec.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define SECDEC_VAAPI_API __attribute__((visibility("default")))
#else
#define SECDEC_VAAPI_API
#endif

/** The NegotiateCryptoSessionKeyExchange data of a D3D11_KEY_EXCHANGE_HW_PROTECTION session
 *  (D3D11_KEY_EXCHANGE_HW_PROTECTION_DATA): one message between the application's DRM
 *  component and the TEE, passed through vaProtectedSessionExecute(). Pass
 *  sizeof(SecdecVaapiHwProtectionData) as the size. */
typedef struct SecdecVaapiHwProtectionData {
    /** The TEE function: 0 means SECDEC_VA_TEE_FUNC_HW_PROTECTION (secdec/va-tee.h); any other
     *  value is passed to the driver unchanged (vendor-specific). */
    uint32_t function_id;
    const void *input;        /**< message to the TEE (may be NULL with input_size 0) */
    uint32_t input_size;
    void *output;             /**< answer buffer */
    uint32_t output_capacity;
    uint32_t output_size;     /**< out: bytes the TEE wrote */
    uint32_t status;          /**< out: the TEE's status (SECDEC_VA_TEE_STATUS_* for secdec's) */
} SecdecVaapiHwProtectionData;

/** The VADisplay a VA-API session lives on (the application's, or one secdec opened; owned by
 *  the device either way) and its VAProtectedSessionID. SECDEC_E_NOTAVAILABLE for sessions of
 *  another backend. */
SECDEC_VAAPI_API SecdecStatus secdec_vaapi_session_get_display(SecdecDevice *device,
                                                              SecdecCryptoSession *session,
                                                              VADisplay *display,
                                                              VAProtectedSessionID *protected_session);

/** vaAttachProtectedSession / vaDetachProtectedSession for a decode context created on the
 *  session's display. */
SECDEC_VAAPI_API SecdecStatus secdec_vaapi_attach(SecdecDevice *device,
                                                 SecdecCryptoSession *session,
                                                 VAContextID context);
SECDEC_VAAPI_API SecdecStatus secdec_vaapi_detach(SecdecDevice *device,
                                                 SecdecCryptoSession *session,
                                                 VAContextID context);

/** Most segments one sample may produce (one per subsample). */
#define SECDEC_VAAPI_MAX_SEGMENTS 65535u

/** A frame's VAEncryptionParameters and the segment array params.segment_info points to. */
typedef struct SecdecVaapiEncryption {
    VAEncryptionParameters params;
    VAEncryptionSegmentInfo *segments; /**< owned; params.segment_info == segments */
    uint32_t n_segments;
    int clear;                         /**< 1: the KID is clear, render no encryption buffer */
} SecdecVaapiEncryption;

/**
 * Turns one sample's CENC description into VAEncryptionParameters (secdec/va-tee.h, "Frame
 * decryption"): one segment per subsample (the whole sample when there are none), the CTR
 * counter and partial_aes_block_size advanced across subsamples as CENC does (the low 64 bits
 * count and wrap; with a 'cens' pattern only encrypted blocks count), the IV reset for every
 * 'cbcs' subsample and chained for 'cbc1', the pattern as stripes, and the KID's wrapped
 * content key in wrapped_decrypt_blob.
 * @param data, size   the sample as stored (read only for 'cbc1', whose chained IVs are
 *                     cipher blocks; may be NULL for other schemes).
 * @param base_offset  where the sample starts in the picture's concatenated slice data.
 * @param out          filled on success; release with secdec_vaapi_encryption_clear().
 * @return SECDEC_OK; the validation errors of secdec_decrypt_sample() (BAD_SAMPLE, BAD_IV,
 *         BAD_SUBSAMPLES, BAD_PATTERN, UNSUPPORTEDCRYPTO); SECDEC_E_NO_KEY;
 *         SECDEC_E_NOTAVAILABLE (not a VA-API session); SECDEC_E_OUTOFMEMORY.
 */
SECDEC_VAAPI_API SecdecStatus secdec_vaapi_build_encryption(SecdecDevice *device,
                                                           SecdecCryptoSession *session,
                                                           const SecdecSampleInfo *info,
                                                           const uint8_t *data, size_t size,
                                                           uint32_t base_offset,
                                                           SecdecVaapiEncryption *out);

/** The same without a session: `wrapped_key` is the 16-byte wrapped content key (all zero:
 *  the session key), `ctr` selects AES-CTR (else CBC) for the scheme check. */
SECDEC_VAAPI_API SecdecStatus secdec_vaapi_fill_encryption(const SecdecSampleInfo *info,
                                                          const uint8_t wrapped_key[16], int ctr,
                                                          const uint8_t *data, size_t size,
                                                          uint32_t base_offset,
                                                          SecdecVaapiEncryption *out);

/** Frees out->segments and zeroes *out. NULL is a no-op. */
SECDEC_VAAPI_API void secdec_vaapi_encryption_clear(SecdecVaapiEncryption *out);

/** Codecs for secdec_vaapi_check_slice_headers(). */
typedef enum SecdecVaapiCodec {
    SECDEC_VAAPI_CODEC_H264 = 0,
    SECDEC_VAAPI_CODEC_HEVC,
} SecdecVaapiCodec;

/**
 * Subsample decryption in a VA driver needs every slice header in clear: the driver parses
 * nothing, libavcodec parses the headers before the TEE decrypts. Content whose subsamples
 * leave only the length prefix and NAL header clear (FFmpeg's own 'cenc' muxer output) cannot
 * go this way and must use the software backend. This scans a length-prefixed sample
 * (nal_length_size 1, 2 or 4) and returns SECDEC_OK when every slice NAL keeps at least two
 * bytes after its NAL header clear, else SECDEC_E_NOTIMPL with *reason (static string) saying
 * why software fallback is needed. A heuristic: the exact header length needs the SPS/PPS.
 * @return also SECDEC_E_INVALIDARG (NULL arguments, bad nal_length_size),
 *         SECDEC_E_BAD_SAMPLE (the NAL lengths do not describe the sample).
 */
SECDEC_VAAPI_API SecdecStatus secdec_vaapi_check_slice_headers(const SecdecSampleInfo *info,
                                                              const uint8_t *data, size_t size,
                                                              SecdecVaapiCodec codec,
                                                              unsigned nal_length_size,
                                                              const char **reason);

/**
 * A VADisplay for an unmodified VA-API decoder (libavcodec's VA-API hwaccel, GStreamer's va
 * plugin) decoding protected samples with a VA-API crypto session. It shares the session's
 * display and driver (same driver instance, surfaces, buffers) but its driver vtable is wrapped:
 *
 *  - vaCreateContext: the decode context also gets the registered sample's protected session
 *    attached (secdec_vaapi_attach); a context created during a clear sample is attached later.
 *  - vaBeginPicture / vaRenderPicture: every VASliceDataBufferType buffer rendered is looked up
 *    in the registered sample (its bytes are a substring of the sample: libavcodec submits each
 *    slice NAL as stored, NAL header included, length prefix/start code excluded, emulation
 *    prevention bytes kept), giving its offset in the sample.
 *  - vaEndPicture: the sample's segments (secdec_vaapi_build_encryption, offsets in the sample)
 *    are translated into offsets in the picture's concatenated slice data, clear bytes clipped
 *    to each slice buffer, segments of NALs the picture does not render dropped; one
 *    VAEncryptionParameterBufferType buffer with them is rendered (re-attaching the session when
 *    the sample's cipher mode changed), then the picture ends and the buffer is destroyed.
 *    A slice buffer that starts inside an encrypted range (encrypted slice header) or is not in
 *    the sample fails the picture with VA_STATUS_ERROR_INVALID_PARAMETER. A slice buffer that
 *    ends inside an encrypted range was cut by the decoder's parser at a start-code-like byte of
 *    the ciphertext (libavcodec <= 5.1): it is replaced by a buffer holding the whole NAL and the
 *    slice parameters' slice_data_size is corrected (hw/README.md).
 *  - vaTerminate does nothing: never vaTerminate() the returned display; free it with
 *    secdec_vaapi_decode_display_free() after the decoder (and its contexts) are gone, and
 *    before the session's device is closed.
 *
 * Every other call reaches the driver with a copy of its VADriverContext (same pDriverData).
 * Usage, with the decoder on one thread (pictures of a sample are rendered while it is
 * registered — no frame threading):
 *
 *   secdec_vaapi_decode_display_create(dev, session, &dd, &dpy);   // dpy -> the decoder
 *   per sample: secdec_vaapi_decode_display_set_sample(dd, s, &info, data, size);
 *               decode it (the decoder renders its slices); set_sample(dd, NULL, NULL, NULL, 0)
 *
 * @param session  any VA-API session of the device (gives the display).
 */
typedef struct SecdecVaapiDecodeDisplay SecdecVaapiDecodeDisplay;

SECDEC_VAAPI_API SecdecStatus secdec_vaapi_decode_display_create(SecdecDevice *device,
                                                               SecdecCryptoSession *session,
                                                               SecdecVaapiDecodeDisplay **out,
                                                               VADisplay *display);

/** Registers the sample the decoder is about to decode (`data` is borrowed until the next
 *  call), encrypted with `session`'s keys (CTR or CBC session); info NULL: a clear sample. The
 *  encryption parameters are built here: the errors of secdec_vaapi_build_encryption() (NO_KEY,
 *  BAD_SUBSAMPLES, ...) are returned and the sample is then treated as clear. */
SECDEC_VAAPI_API SecdecStatus secdec_vaapi_decode_display_set_sample(SecdecVaapiDecodeDisplay *dd,
                                                                   SecdecCryptoSession *session,
                                                                   const SecdecSampleInfo *info,
                                                                   const uint8_t *data,
                                                                   size_t size);

/** The reason of the last failure inside a hook (copied into buf, then forgotten), or NULL. */
SECDEC_VAAPI_API const char *secdec_vaapi_decode_display_get_error(SecdecVaapiDecodeDisplay *dd,
                                                                  char *buf, size_t size);

/** Frees the wrapper (not the display it wraps). NULL and *dd == NULL are no-ops. */
SECDEC_VAAPI_API void secdec_vaapi_decode_display_free(SecdecVaapiDecodeDisplay **dd);

/** One VA device as secdec_vaapi_list_devices() found it. Strings are valid during the
 *  callback only. */
typedef struct SecdecVaapiDeviceInfo {
    const char *path;          /**< "/dev/dri/renderD128", or "test driver <name>" */
    const char *vendor;        /**< vaQueryVendorString(), or NULL when vaInitialize failed */
    int protected_content;     /**< VAProfileProtected + VAEntrypointProtectedContent found */
    uint32_t cipher_modes;     /**< VA_PC_CIPHER_MODE_* (0 without protected content) */
    uint32_t sample_types;     /**< VA_PC_SAMPLE_TYPE_* */
    int secdec_tee;            /**< the TEE answered secdec's GET_CERTIFICATE */
    /** VA_ENCRYPTION_TYPE_* per decoder profile, in the order of
     *  secdec_known_decoder_profile() (0: profile absent or no encryption). */
    uint32_t encryption_types[8];
} SecdecVaapiDeviceInfo;

/** Lists the VA devices of this machine (render nodes, plus the test driver named by
 *  $SECDEC_VA_TEST_DRIVER) and what each supports. Returns the number found (>= 0). */
SECDEC_VAAPI_API int secdec_vaapi_list_devices(void (*cb)(void *cookie,
                                                          const SecdecVaapiDeviceInfo *info),
                                              void *cookie);

#ifdef __cplusplus
}
#endif

#endif /* SECDEC_VAAPI_H */
