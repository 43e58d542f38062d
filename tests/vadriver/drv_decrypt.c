/*
 * drv_decrypt.c - the test VA driver's decryption, as the "TEE" would do it
 * on the decode path: AES-128 block helpers, the content key unwrapped with the attached
 * protected session's session key, and a picture's slice data decrypted in place from its
 * VAEncryptionParameters segments (CTR and CBC, with or without a pattern).
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <string.h>

#include "drv_private.h"

bool aes_init(Aes *a, const uint8_t key[16])
{
    a->enc = EVP_CIPHER_CTX_new();
    a->dec = EVP_CIPHER_CTX_new();
    return a->enc && a->dec &&
           EVP_EncryptInit_ex(a->enc, EVP_aes_128_ecb(), NULL, key, NULL) == 1 &&
           EVP_DecryptInit_ex(a->dec, EVP_aes_128_ecb(), NULL, key, NULL) == 1 &&
           EVP_CIPHER_CTX_set_padding(a->enc, 0) == 1 && EVP_CIPHER_CTX_set_padding(a->dec, 0) == 1;
}

void aes_free(Aes *a)
{
    EVP_CIPHER_CTX_free(a->enc);
    EVP_CIPHER_CTX_free(a->dec);
}

bool aes_block(EVP_CIPHER_CTX *c, const uint8_t in[16], uint8_t out[16])
{
    int len = 0;
    return EVP_CipherUpdate(c, out, &len, in, 16) == 1 && len == 16;
}

static void inc64(uint8_t ctr[16])
{
    for (int i = 15; i >= 8; i--)
        if (++ctr[i])
            break;
}

/* CTR key stream state: counter block and offset into its key stream block. */
typedef struct Ks {
    uint8_t ctr[16];
    uint8_t block[16];
    unsigned off;
} Ks;

static bool ks_xor(Aes *a, Ks *ks, uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (ks->off == 0 && !aes_block(a->enc, ks->ctr, ks->block))
            return false;
        p[i] ^= ks->block[ks->off];
        if (++ks->off == 16) {
            ks->off = 0;
            inc64(ks->ctr);
        }
    }
    return true;
}

/* CBC-decrypts whole blocks in place, chaining through iv. */
static bool cbc_dec(Aes *a, uint8_t iv[16], uint8_t *p, size_t nblocks)
{
    uint8_t c[16], o[16];
    for (size_t b = 0; b < nblocks; b++) {
        memcpy(c, p + 16 * b, 16);
        if (!aes_block(a->dec, c, o))
            return false;
        for (int i = 0; i < 16; i++)
            p[16 * b + i] = o[i] ^ iv[i];
        memcpy(iv, c, 16);
    }
    return true;
}

/* Decrypts the picture's slice data in place. Returns a VA status and logs the reason. */
VAStatus decrypt_picture(Drv *d, Context *c)
{
    const VAEncryptionParameters *e = &c->enc;
    PSession *ps = c->session != VA_INVALID_ID ? obj_get(d, c->session, OBJ_PSESSION) : NULL;
    if (!ps) {
        drv_log("error no-protected-session\n");
        return VA_STATUS_ERROR_INVALID_CONTEXT;
    }
    if (!ps->alive) {
        drv_log("error session-lost\n");
        return VA_STATUS_ERROR_OPERATION_FAILED;
    }
    if (!ps->has_key) {
        drv_log("error no-session-key\n");
        return VA_STATUS_ERROR_OPERATION_FAILED;
    }
    bool ctr = e->encryption_type == VA_ENCRYPTION_TYPE_SUBSAMPLE_CTR;
    if (!ctr && e->encryption_type != VA_ENCRYPTION_TYPE_SUBSAMPLE_CBC) {
        drv_log("error encryption-type %u\n", e->encryption_type);
        return VA_STATUS_ERROR_INVALID_PARAMETER;
    }
    if (e->key_blob_size != 16 && e->key_blob_size != VA_PC_BLOCK_SIZE_128) {
        drv_log("error key-blob-size %u\n", e->key_blob_size);
        return VA_STATUS_ERROR_INVALID_PARAMETER;
    }
    uint32_t crypt = e->blocks_stripe_encrypted, skip = e->blocks_stripe_clear;
    if ((crypt == 0) != (skip == 0 && crypt == 0) || crypt > 255 || skip > 255) {
        drv_log("error pattern %u:%u\n", crypt, skip);
        return VA_STATUS_ERROR_INVALID_PARAMETER;
    }
    /* Unwrap the content key with the session key, inside the "TEE". */
    uint8_t key[16];
    static const uint8_t zero[16];
    Aes a = {0};
    if (memcmp(e->wrapped_decrypt_blob, zero, 16) == 0) {
        memcpy(key, ps->session_key, 16);
    } else {
        Aes s = {0};
        bool ok = aes_init(&s, ps->session_key) && aes_block(s.dec, e->wrapped_decrypt_blob, key);
        aes_free(&s);
        if (!ok)
            return VA_STATUS_ERROR_ALLOCATION_FAILED;
    }
    bool ok = aes_init(&a, key);
    memset(key, 0, sizeof(key));
    VAStatus st = ok ? VA_STATUS_SUCCESS : VA_STATUS_ERROR_ALLOCATION_FAILED;
    for (uint32_t i = 0; st == VA_STATUS_SUCCESS && i < e->num_segments; i++) {
        const VAEncryptionSegmentInfo *s = &c->enc_segments[i];
        if ((uint64_t)s->segment_start_offset + s->segment_length > c->slices_size ||
            s->init_byte_length > s->segment_length || s->partial_aes_block_size > 15 ||
            (!ctr && s->partial_aes_block_size)) {
            drv_log("error segment %u\n", i);
            st = VA_STATUS_ERROR_INVALID_PARAMETER;
            break;
        }
        uint8_t *p = c->slices + s->segment_start_offset + s->init_byte_length;
        size_t n = s->segment_length - s->init_byte_length;
        if (ctr) {
            Ks ks = {.off = s->partial_aes_block_size};
            memcpy(ks.ctr, s->aes_cbc_iv_or_ctr, 16);
            if (ks.off && !aes_block(a.enc, ks.ctr, ks.block)) {
                st = VA_STATUS_ERROR_OPERATION_FAILED;
                break;
            }
            if (!crypt) {
                ok = ks_xor(&a, &ks, p, n);
            } else {
                size_t pos = 0;
                ok = true;
                while (ok && n - pos >= 16) {
                    size_t blocks = (n - pos) / 16, cb = (blocks < crypt ? blocks : crypt) * 16;
                    ok = ks_xor(&a, &ks, p + pos, cb);
                    pos += cb;
                    pos += (size_t)skip * 16 < n - pos ? (size_t)skip * 16 : n - pos;
                }
            }
        } else {
            uint8_t iv[16];
            memcpy(iv, s->aes_cbc_iv_or_ctr, 16);
            if (!crypt) {
                ok = cbc_dec(&a, iv, p, n / 16);
            } else {
                size_t pos = 0;
                ok = true;
                while (ok && n - pos >= 16) {
                    size_t blocks = (n - pos) / 16, cb = blocks < crypt ? blocks : crypt;
                    ok = cbc_dec(&a, iv, p + pos, cb);
                    pos += cb * 16;
                    pos += (size_t)skip * 16 < n - pos ? (size_t)skip * 16 : n - pos;
                }
            }
        }
        if (!ok)
            st = VA_STATUS_ERROR_OPERATION_FAILED;
    }
    aes_free(&a);
    return st;
}
