/*
 * va-tee.h - secdec's TEE protocol over libva's vaProtectedSessionExecute().
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * libva (>= 2.11) carries protected-content commands to the driver's TEE in a
 * VAProtectedSessionExecuteBuffer {function_id; input; output; status}, created with
 * vaCreateBuffer() on the *protected session id* (type VAProtectedSessionExecuteBufferType) and
 * run with vaProtectedSessionExecute(). libva leaves function ids, payloads and status values
 * to the hardware vendor. This header is the one definition of what secdec sends; a vendor
 * driver (or a shim in front of a vendor TEE) that implements it can back libsecdec's VA-API
 * backend. tests/vadriver/ implements it in software for the test suite.
 *
 * Conventions
 *  - Every integer in a payload is little-endian (host order on every platform VA-API runs on).
 *  - The driver returns VA_STATUS_SUCCESS from vaProtectedSessionExecute() whenever it
 *    understood the buffer, and puts the command's result in the buffer's `status`
 *    (SECDEC_VA_TEE_STATUS_*), which the caller reads back with vaMapBuffer(). A VA error
 *    status means the command could not be delivered (bad buffer, bad session id).
 *  - `output.max_data_size` is the capacity of `output.data`; the driver writes
 *    `output.data_size`. A too-small output is SECDEC_VA_TEE_STATUS_SHORT_BUFFER with
 *    `output.data_size` set to the size needed (nothing else written).
 *
 * Frame decryption (what the TEE does with VAEncryptionParameters) is described at the end.
 */

#ifndef SECDEC_VA_TEE_H
#define SECDEC_VA_TEE_H

#include <stdint.h>

/* Function ids live in a vendor-private range so they cannot be confused with libva's
 * generic VA_TEE_EXECUTE_FUNCTION_ID_PASS_THROUGH (1) / GET_FIRMWARE_VERSION (2). */
#define SECDEC_VA_TEE_FUNC_BASE 0x5ec0de00u

/** Output: the TEE's certificate chain (DER X.509 certificates, leaf first, concatenated). The
 *  leaf's public key is RSA-2048; its private key never leaves the TEE. Input: none. */
#define SECDEC_VA_TEE_FUNC_GET_CERTIFICATE (SECDEC_VA_TEE_FUNC_BASE + 1)

/** Input: SecdecVaTeeKeyExchange. The TEE RSAES-OAEP-decrypts the blob with its private key
 *  and, when it holds exactly 16 bytes, installs them as this protected session's session key
 *  (replacing any earlier one). The session key stays inside the TEE. Output: none.
 *  Status: OK, or KEY_EXCHANGE for every kind of failure (one answer: no padding oracle). */
#define SECDEC_VA_TEE_FUNC_KEY_EXCHANGE (SECDEC_VA_TEE_FUNC_BASE + 2)

/** Output: 1 byte, SECDEC_VA_TEE_SESSION_*. Input: none. Mirrors Chromium's
 *  IS_SESSION_ALIVE: a lost session (TEE reset, power event, teardown) answers DEAD and never
 *  comes back; the client destroys it, creates a new one and negotiates keys again. */
#define SECDEC_VA_TEE_FUNC_IS_SESSION_ALIVE (SECDEC_VA_TEE_FUNC_BASE + 3)

/** Input: 16 bytes, a content key AES-128-ECB-wrapped with the session key (the value later
 *  placed in VAEncryptionParameters.wrapped_decrypt_blob). The TEE checks that a session key
 *  is installed and the session is alive; it does not (cannot: ECB has no integrity) check the
 *  key itself. Output: none. Status: OK, NO_SESSION_KEY, SESSION_LOST. */
#define SECDEC_VA_TEE_FUNC_CHECK_WRAPPED_KEY (SECDEC_VA_TEE_FUNC_BASE + 4)

/** Direct3D D3D11_KEY_EXCHANGE_HW_PROTECTION: the input and output are the vendor DRM
 *  component's private messages, passed to the TEE unchanged. Output: whatever the TEE
 *  answers. The test driver echoes the input back, byte-reversed, so round trips are visible. */
#define SECDEC_VA_TEE_FUNC_HW_PROTECTION (SECDEC_VA_TEE_FUNC_BASE + 5)

/** Direct3D StartSessionKeyRefresh. Input: none. Output: 16 bytes, a fresh random number the
 *  TEE keeps as this session's pending refresh (a second START replaces it). The session key
 *  does not change yet. Status: OK, NO_SESSION_KEY, SESSION_LOST. */
#define SECDEC_VA_TEE_FUNC_START_KEY_REFRESH (SECDEC_VA_TEE_FUNC_BASE + 6)

/** Direct3D FinishSessionKeyRefresh. Input: N x 16 bytes (0 <= N <= 256), content keys
 *  AES-128-ECB-wrapped with the current session key (the client's installed keys). The TEE
 *  switches the session key to (current key XOR the pending random number) and outputs the N
 *  keys re-wrapped with the new session key, in order (output.max_data_size >= 16 N), so that
 *  keys installed before a refresh stay valid and never leave the TEE in clear. An all-zero
 *  entry ("the session key itself") is output unchanged. Status: OK, NO_REFRESH (no START
 *  since the last KEY_EXCHANGE / FINISH), NO_SESSION_KEY, SESSION_LOST, BAD_INPUT,
 *  SHORT_BUFFER (nothing changed on any error). */
#define SECDEC_VA_TEE_FUNC_FINISH_KEY_REFRESH (SECDEC_VA_TEE_FUNC_BASE + 7)

/** Test drivers only: the session loses its keys as a real TEE does on a reset; from now on
 *  IS_SESSION_ALIVE answers DEAD and decryption with it fails. Input and output: none. */
#define SECDEC_VA_TEE_FUNC_TEST_INVALIDATE_SESSION (SECDEC_VA_TEE_FUNC_BASE + 0xff)

/** OAEP hash (and MGF1 hash; empty label), same values as SecdecOaepHash. */
#define SECDEC_VA_TEE_OAEP_SHA512 0u
#define SECDEC_VA_TEE_OAEP_SHA256 1u
#define SECDEC_VA_TEE_OAEP_SHA1 2u

/** KEY_EXCHANGE input (input.data_size == sizeof(SecdecVaTeeKeyExchange), 264 bytes). */
typedef struct SecdecVaTeeKeyExchange {
    uint32_t oaep_hash;  /**< SECDEC_VA_TEE_OAEP_*; 0 (SHA-512) is the default */
    uint32_t blob_size;  /**< 256 */
    uint8_t blob[256];   /**< RSAES-OAEP(TEE certificate's public key, 16-byte session key) */
} SecdecVaTeeKeyExchange;

/* IS_SESSION_ALIVE output values. */
#define SECDEC_VA_TEE_SESSION_DEAD 0u
#define SECDEC_VA_TEE_SESSION_ALIVE 1u

/* `status` values. */
#define SECDEC_VA_TEE_STATUS_OK 0u
#define SECDEC_VA_TEE_STATUS_BAD_INPUT 1u        /**< wrong input size or field value */
#define SECDEC_VA_TEE_STATUS_SHORT_BUFFER 2u     /**< output too small; data_size = needed */
#define SECDEC_VA_TEE_STATUS_KEY_EXCHANGE 3u     /**< blob rejected (one generic answer) */
#define SECDEC_VA_TEE_STATUS_NO_SESSION_KEY 4u   /**< no KEY_EXCHANGE yet */
#define SECDEC_VA_TEE_STATUS_SESSION_LOST 5u     /**< the session's keys are gone */
#define SECDEC_VA_TEE_STATUS_UNKNOWN_FUNCTION 6u /**< function id not implemented */
#define SECDEC_VA_TEE_STATUS_NO_REFRESH 7u       /**< FINISH_KEY_REFRESH without a START */

/*
 * Frame decryption
 * ----------------
 * A decode context (VAEntrypointVLD) with the protected session attached
 * (vaAttachProtectedSession) takes, between vaBeginPicture and vaEndPicture, at most one
 * VAEncryptionParameterBufferType buffer. Its segments address the concatenation, in render
 * order, of the picture's VASliceDataBufferType buffers (segment_start_offset is an offset into
 * that concatenation). The fields are used as follows:
 *
 *  encryption_type        VA_ENCRYPTION_TYPE_SUBSAMPLE_CTR ('cenc', 'cens') or
 *                         VA_ENCRYPTION_TYPE_SUBSAMPLE_CBC ('cbcs', 'cbc1').
 *  wrapped_decrypt_blob   the first 16 bytes: the content key AES-128-ECB-wrapped with the
 *                         session key; 16 zero bytes: the session key itself is the content key.
 *  key_blob_size          16 (bytes; VA_PC_BLOCK_SIZE_128 (1) is accepted as a synonym). The
 *                         first 16 bytes of each segment's aes_cbc_iv_or_ctr are used.
 *  blocks_stripe_encrypted / blocks_stripe_clear
 *                         the 'cens'/'cbcs' pattern in 16-byte blocks (0/0: no pattern).
 *  per segment            [segment_start_offset, + segment_length) is one subsample:
 *                         init_byte_length clear bytes, then the encrypted range.
 *   CTR                   aes_cbc_iv_or_ctr is the counter block of the encrypted range's
 *                         first byte, and partial_aes_block_size (0..15) how many bytes of that
 *                         block's key stream an earlier segment already used. The counter
 *                         increments in its low 64 bits (wrapping), as CENC specifies. With a
 *                         pattern, only the encrypted blocks consume key stream, and a
 *                         trailing partial block stays clear.
 *   CBC                   aes_cbc_iv_or_ctr is the IV the encrypted range starts with ('cbcs':
 *                         the sample's constant IV for every segment; 'cbc1': the previous
 *                         segment's last cipher block). A trailing partial block stays clear.
 * A picture without the buffer (or with num_segments 0) is clear.
 */

#endif /* SECDEC_VA_TEE_H */
