/*
 * decrypt.h - CENC sample decryption (ISO/IEC 23001-7: cenc, cens, cbc1, cbcs) into protected
 * buffers, with the Direct3D buffer-description forms accepted as well.
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Conventions are those of secdec.h. The key for a sample is the content key installed in the
 * session for the sample's KID (secdec_crypto_session_set_content_key()), or the session key
 * when that content key was all zero, or no key at all when the KID was installed as clear.
 * Clear output is written only into protected buffers: locked (mlock), excluded from core
 * dumps (MADV_DONTDUMP), wiped in forked children (MADV_WIPEONFORK) and wiped on release.
 */

#ifndef SECDEC_DECRYPT_H
#define SECDEC_DECRYPT_H

#include <secdec/secdec.h>

#ifdef __cplusplus
extern "C" {
#endif

/** CENC protection schemes (the 'schm' four-character codes). */
typedef enum SecdecScheme {
    SECDEC_SCHEME_CENC = 0, /**< AES-128-CTR, no pattern; needs an AES128_CTR session */
    SECDEC_SCHEME_CENS,     /**< AES-128-CTR with crypt:skip pattern; AES128_CTR session */
    SECDEC_SCHEME_CBC1,     /**< AES-128-CBC chained across subsamples; AES128_CBC session */
    SECDEC_SCHEME_CBCS,     /**< AES-128-CBC, IV reset per subsample, pattern; AES128_CBC */
} SecdecScheme;

/** The scheme for a four-character code ("cenc", "cens", "cbc1", "cbcs").
 *  @return SECDEC_OK or SECDEC_E_INVALIDARG. */
SECDEC_API SecdecStatus secdec_scheme_from_fourcc(const char *fourcc, SecdecScheme *scheme);
/** The four-character code of a scheme, or "?". Static string. */
SECDEC_API const char *secdec_scheme_fourcc(SecdecScheme scheme);

/** One subsample: clear bytes followed by encrypted bytes (CENC's senc entry). */
typedef struct SecdecSubsample {
    uint32_t clear_bytes;
    uint32_t encrypted_bytes;
} SecdecSubsample;

/** Most subsamples one sample may carry. */
#define SECDEC_MAX_SUBSAMPLES 65535u
/** Largest sample size accepted, bytes. */
#define SECDEC_MAX_SAMPLE_SIZE (256u * 1024u * 1024u)

/** Encryption info of one sample, as CENC (and GstProtectionMeta / AVEncryptionInfo) carry it. */
typedef struct SecdecSampleInfo {
    SecdecScheme scheme;
    uint8_t kid[SECDEC_KID_SIZE];
    /** Per-sample IV, or the constant IV ('cbcs' with tenc constant IV). For CTR an 8-byte IV
     *  is the counter block IV || 0^64; the low 64 bits count blocks and wrap. For CBC an
     *  8-byte IV is zero-padded to 16 bytes. */
    uint8_t iv[16];
    uint32_t iv_size;                    /**< 8 or 16 */
    const SecdecSubsample *subsamples;   /**< NULL with n_subsamples 0: whole sample encrypted */
    uint32_t n_subsamples;
    /** Pattern in 16-byte blocks ('cens', 'cbcs'): crypt then skip, repeating inside each
     *  encrypted range; 0:0 means every block. Each at most 15 (4-bit fields in 'tenc'). A
     *  trailing run shorter than `crypt_byte_block` decrypts its whole blocks; a trailing
     *  partial block always stays clear in CBC schemes. */
    uint32_t crypt_byte_block;
    uint32_t skip_byte_block;
} SecdecSampleInfo;

/** Fills info with: scheme cenc, zero KID, zero 16-byte IV, no subsamples, no pattern. */
SECDEC_API void secdec_sample_info_default(SecdecSampleInfo *info);

/* ---- the Direct3D forms ------------------------------------------------------------------- */

/** D3D11_AES_CTR_IV: both members hold their value in big-endian byte order in memory, i.e.
 *  the 16-byte counter block is the 8 bytes of `iv` followed by the 8 bytes of `count`. */
typedef struct SecdecD3DAesCtrIv {
    uint64_t iv;
    uint64_t count;
} SecdecD3DAesCtrIv;

/** D3D11_ENCRYPTED_BLOCK_INFO: byte-granular partial encryption. The first
 *  `encrypted_bytes_at_beginning` bytes are encrypted; then `bytes_in_skip_pattern` clear bytes
 *  and `bytes_in_encrypt_pattern` encrypted bytes alternate to the end. */
typedef struct SecdecD3DEncryptedBlockInfo {
    uint32_t num_encrypted_bytes_at_beginning;
    uint32_t num_bytes_in_skip_pattern;
    uint32_t num_bytes_in_encrypt_pattern;
} SecdecD3DEncryptedBlockInfo;

/** D3D11_VIDEO_DECODER_SUB_SAMPLE_MAPPING_BLOCK. */
typedef struct SecdecD3DSubSampleMappingBlock {
    uint32_t clear_size;
    uint32_t encrypted_size;
} SecdecD3DSubSampleMappingBlock;

/** A decoder buffer as D3D11_VIDEO_DECODER_BUFFER_DESC / DESC1 / DESC2 describe its
 *  encryption, on an AES128_CTR session: exactly one of `block_info` (DESC) or `mapping`
 *  (DESC1/DESC2) may be set; neither means the whole buffer is encrypted. `stripe_*` are
 *  DESC2's cBlocksStripeEncrypted / cBlocksStripeClear ('cens' pattern, 16-byte blocks). */
typedef struct SecdecD3DBufferDesc {
    const SecdecD3DAesCtrIv *iv;        /**< required (IVSize 16) */
    const SecdecD3DEncryptedBlockInfo *block_info;
    const SecdecD3DSubSampleMappingBlock *mapping;
    uint32_t mapping_count;
    uint32_t stripe_encrypted;
    uint32_t stripe_clear;
} SecdecD3DBufferDesc;

/* ---- protected buffers -------------------------------------------------------------------- */

/** Decrypted (clear) sample bytes in protected memory. Opaque. */
typedef struct SecdecProtectedBuffer SecdecProtectedBuffer;

/**
 * Decrypts one sample into a new protected buffer. Everything is validated before any byte is
 * touched; the input is only read, and each byte is written once, straight into the protected
 * buffer (no intermediate copy).
 * @param info   encryption info; NULL means the sample is clear (copied into protected memory).
 *               On a hardware (VA-API) session only NULL is accepted: the bytes are copied
 *               unchanged (e.g. a still-encrypted sample for the TEE); with info,
 *               SECDEC_E_NOTIMPL (the decoder decrypts inside the TEE).
 * @param data, size  the sample as stored (1..SECDEC_MAX_SAMPLE_SIZE bytes).
 * @param out    receives the buffer; release it with secdec_protected_buffer_release().
 * @return SECDEC_OK;
 *         SECDEC_E_INVALIDARG     NULL data/out, or a session/device mismatch of NULLs;
 *         SECDEC_E_WRONG_DEVICE / SECDEC_E_DEVICE_REMOVED (as every session call);
 *         SECDEC_E_BAD_SAMPLE     size 0 or above SECDEC_MAX_SAMPLE_SIZE, unknown scheme;
 *         SECDEC_E_BAD_IV         iv_size not 8 or 16;
 *         SECDEC_E_BAD_SUBSAMPLES the map's clear+encrypted sum is not `size` (or overflows),
 *                                 too many subsamples, subsamples NULL with a count, or a
 *                                 'cbc1' encrypted range that is not a multiple of 16;
 *         SECDEC_E_BAD_PATTERN    pattern on 'cenc'/'cbc1', crypt 0 with skip > 0, > 15;
 *         SECDEC_E_UNSUPPORTEDCRYPTO the scheme's cipher is not the session's crypto type;
 *         SECDEC_E_NO_KEY         no key installed for the KID (front-ends may wait, ask the
 *                                 application, or fail);
 *         SECDEC_E_INVALIDCALL    the KID's key is the session key, and none is negotiated;
 *         SECDEC_E_KEY_LOST       the session's keys are lost (forked child);
 *         SECDEC_E_MEMLOCK        protected memory cannot be locked (RLIMIT_MEMLOCK) and the
 *                                 device was not opened with allow_unlocked_memory;
 *         SECDEC_E_OUTOFMEMORY.
 * Thread-safe; decryptions on one session are serialised, on different sessions parallel.
 */
SECDEC_API SecdecStatus secdec_decrypt_sample(SecdecDevice *device, SecdecCryptoSession *session,
                                             const SecdecSampleInfo *info, const uint8_t *data,
                                             size_t size, SecdecProtectedBuffer **out);

/**
 * Decrypts one AUDIO sample into ordinary memory: the one call that releases clear bytes
 * outside protected buffers, and only on a session created with
 * SECDEC_DECODER_PROFILE_AUDIO_CLEAR_OUTPUT (audio is outside the protected path; see that
 * GUID). Same validation, keys and schemes as secdec_decrypt_sample().
 * @param info   encryption info (required; a clear sample needs no call).
 * @param data, size  the sample as stored (1..SECDEC_MAX_SAMPLE_SIZE bytes).
 * @param out    receives `size` clear bytes (caller's memory); may be `data` itself (in
 *               place). Untouched when validation fails.
 * @return SECDEC_OK; SECDEC_E_INVALIDCALL when the session's decoder profile is not
 *         SECDEC_DECODER_PROFILE_AUDIO_CLEAR_OUTPUT (video stays protected);
 *         SECDEC_E_NOTIMPL on a hardware session; SECDEC_E_INVALIDARG for NULL info, data or
 *         out; otherwise as secdec_decrypt_sample().
 * Thread-safe as secdec_decrypt_sample().
 */
SECDEC_API SecdecStatus secdec_decrypt_audio_sample(SecdecDevice *device,
                                                   SecdecCryptoSession *session,
                                                   const SecdecSampleInfo *info,
                                                   const uint8_t *data, size_t size,
                                                   uint8_t *out);

/**
 * Direct3D form of secdec_decrypt_sample(): `kid` names the content key as the KID given to
 * secdec_crypto_session_set_content_key() (DecoderBeginFrame's key), `desc` describes the
 * encryption (AES-128-CTR; 'cenc', or 'cens' when a stripe pattern is given).
 * @return as secdec_decrypt_sample(); SECDEC_E_INVALIDARG when desc->iv is NULL or both
 *         block_info and mapping are set.
 */
SECDEC_API SecdecStatus secdec_decrypt_d3d11(SecdecDevice *device, SecdecCryptoSession *session,
                                            const uint8_t kid[SECDEC_KID_SIZE],
                                            const SecdecD3DBufferDesc *desc, const uint8_t *data,
                                            size_t size, SecdecProtectedBuffer **out);

/** Every protected buffer is followed by at least this many zero bytes, so decoders that read
 *  ahead (libavcodec's AV_INPUT_BUFFER_PADDING_SIZE) can consume it in place. */
#define SECDEC_PROTECTED_BUFFER_PADDING 64

/** Size in bytes of the sample in the buffer (0 for NULL). */
SECDEC_API size_t secdec_protected_buffer_get_size(const SecdecProtectedBuffer *buffer);

/** 1 if the buffer's memory is locked, 0 if it lives in the explicitly allowed unlocked mode. */
SECDEC_API int secdec_protected_buffer_is_locked(const SecdecProtectedBuffer *buffer);

/**
 * The decode path's accessor: read-only view of the clear sample, for the decoder that
 * consumes it (the front-ends' secure decoders). Valid until the buffer is released. Nothing
 * else in secdec hands out the clear bytes.
 * @return SECDEC_OK; SECDEC_E_INVALIDARG.
 */
SECDEC_API SecdecStatus secdec_protected_buffer_map_for_decode(const SecdecProtectedBuffer *buffer,
                                                              const uint8_t **data,
                                                              size_t *size);

/** Wipes the buffer, returns its memory to the device's pool and sets *buffer to NULL. NULL
 *  is a no-op. Buffers may be released from any thread, after their session or device. */
SECDEC_API void secdec_protected_buffer_release(SecdecProtectedBuffer **buffer);

#ifdef __cplusplus
}
#endif

#endif /* SECDEC_DECRYPT_H */
