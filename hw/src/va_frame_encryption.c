/*
 * va_frame_encryption.c - per-frame encryption parameters for VA-API decoding: a
 * SecdecSampleInfo and the KID's wrapped key as VAEncryptionParameters + segments
 * (secdec_vaapi_fill_encryption(), secdec_vaapi_build_encryption()), and the check that a
 * sample's slice headers are clear enough for a VA driver (secdec_vaapi_check_slice_headers()).
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "vaapi_internal.h"

void secdec_vaapi_encryption_clear(SecdecVaapiEncryption *out)
{
    if (!out)
        return;
    free(out->segments);
    memset(out, 0, sizeof(*out));
}

static bool scheme_is_ctr(SecdecScheme s)
{
    return s == SECDEC_SCHEME_CENC || s == SECDEC_SCHEME_CENS;
}

static void ctr_add(uint8_t ctr[16], uint64_t blocks)
{
    uint64_t low = 0;
    for (int i = 8; i < 16; i++)
        low = low << 8 | ctr[i];
    low += blocks; /* wraps in 64 bits, as CENC counts */
    for (int i = 15; i >= 8; i--) {
        ctr[i] = (uint8_t)low;
        low >>= 8;
    }
}

SecdecStatus secdec_vaapi_fill_encryption(const SecdecSampleInfo *info,
                                          const uint8_t wrapped_key[16], int ctr,
                                          const uint8_t *data, size_t size, uint32_t base_offset,
                                          SecdecVaapiEncryption *out)
{
    if (!info || !wrapped_key || !out)
        return SECDEC_E_INVALIDARG;
    /* The same validation as secdec_decrypt_sample(). */
    SecdecScheme sch = info->scheme;
    if (size == 0 || size > SECDEC_MAX_SAMPLE_SIZE || (unsigned)sch > SECDEC_SCHEME_CBCS ||
        (uint64_t)base_offset + size > UINT32_MAX)
        return SECDEC_E_BAD_SAMPLE;
    if (info->iv_size != 8 && info->iv_size != 16)
        return SECDEC_E_BAD_IV;
    if (info->n_subsamples > SECDEC_VAAPI_MAX_SEGMENTS || (info->n_subsamples && !info->subsamples))
        return SECDEC_E_BAD_SUBSAMPLES;
    bool pattern_scheme = sch == SECDEC_SCHEME_CENS || sch == SECDEC_SCHEME_CBCS;
    uint32_t crypt = info->crypt_byte_block, skip = info->skip_byte_block;
    if (crypt > 15 || skip > 15 || (!pattern_scheme && (crypt || skip)) || (crypt == 0 && skip))
        return SECDEC_E_BAD_PATTERN;
    if ((ctr != 0) != scheme_is_ctr(sch))
        return SECDEC_E_UNSUPPORTEDCRYPTO;
    uint32_t n = info->n_subsamples ? info->n_subsamples : 1;
    uint64_t total = 0;
    for (uint32_t i = 0; i < info->n_subsamples; i++) {
        total += (uint64_t)info->subsamples[i].clear_bytes + info->subsamples[i].encrypted_bytes;
        if (sch == SECDEC_SCHEME_CBC1 && info->subsamples[i].encrypted_bytes % 16)
            return SECDEC_E_BAD_SUBSAMPLES;
    }
    if (info->n_subsamples && total != size)
        return SECDEC_E_BAD_SUBSAMPLES;
    if (sch == SECDEC_SCHEME_CBC1 && !data)
        return SECDEC_E_INVALIDARG;

    VAEncryptionSegmentInfo *seg = calloc(n, sizeof(*seg));
    if (!seg)
        return SECDEC_E_OUTOFMEMORY;
    uint8_t iv[16] = {0};
    memcpy(iv, info->iv, info->iv_size); /* 8-byte IV: CTR block IV || 0^64, CBC zero-padded */
    uint8_t cur[16];
    memcpy(cur, iv, 16);
    uint32_t partial = 0;
    size_t pos = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t clear = info->n_subsamples ? info->subsamples[i].clear_bytes : 0;
        uint32_t enc = info->n_subsamples ? info->subsamples[i].encrypted_bytes : (uint32_t)size;
        seg[i].segment_start_offset = base_offset + (uint32_t)pos;
        seg[i].segment_length = clear + enc;
        seg[i].init_byte_length = clear;
        if (ctr) {
            memcpy(seg[i].aes_cbc_iv_or_ctr, cur, 16);
            seg[i].partial_aes_block_size = partial;
            uint64_t used; /* key-stream bytes this range consumes */
            if (!crypt) {
                used = enc;
            } else {
                uint64_t blocks = enc / 16, period = crypt + skip;
                uint64_t rem = blocks % period;
                used = 16 * (blocks / period * crypt + (rem < crypt ? rem : crypt));
            }
            uint64_t t = partial + used;
            ctr_add(cur, t / 16);
            partial = (uint32_t)(t % 16);
        } else if (sch == SECDEC_SCHEME_CBCS) {
            memcpy(seg[i].aes_cbc_iv_or_ctr, iv, 16); /* reset per subsample */
        } else {
            memcpy(seg[i].aes_cbc_iv_or_ctr, cur, 16); /* cbc1: chained */
            size_t whole = enc / 16 * 16;
            if (whole)
                memcpy(cur, data + pos + clear + whole - 16, 16);
        }
        pos += (size_t)clear + enc;
    }
    memset(out, 0, sizeof(*out));
    out->segments = seg;
    out->n_segments = n;
    VAEncryptionParameters *p = &out->params;
    p->encryption_type = ctr ? VA_ENCRYPTION_TYPE_SUBSAMPLE_CTR : VA_ENCRYPTION_TYPE_SUBSAMPLE_CBC;
    p->num_segments = n;
    p->segment_info = seg;
    memcpy(p->wrapped_decrypt_blob, wrapped_key, 16);
    p->key_blob_size = 16;
    p->blocks_stripe_encrypted = crypt;
    p->blocks_stripe_clear = skip;
    return SECDEC_OK;
}

SecdecStatus secdec_vaapi_build_encryption(SecdecDevice *device, SecdecCryptoSession *session,
                                           const SecdecSampleInfo *info, const uint8_t *data,
                                           size_t size, uint32_t base_offset,
                                           SecdecVaapiEncryption *out)
{
    if (!info || !out)
        return SECDEC_E_INVALIDARG;
    uint8_t wrapped[16];
    bool clear, ctr;
    SecdecStatus st = sd_va_session_content_key(device, session, info->kid, wrapped, &clear, &ctr);
    if (st != SECDEC_OK)
        return st;
    st = secdec_vaapi_fill_encryption(info, wrapped, ctr, data, size, base_offset, out);
    if (st == SECDEC_OK && clear) {
        secdec_vaapi_encryption_clear(out);
        out->clear = 1;
    }
    return st;
}

SecdecStatus secdec_vaapi_check_slice_headers(const SecdecSampleInfo *info, const uint8_t *data,
                                              size_t size, SecdecVaapiCodec codec,
                                              unsigned nal_length_size, const char **reason)
{
    if (!info || !data || !reason || (nal_length_size != 1 && nal_length_size != 2 &&
                                      nal_length_size != 4) ||
        (codec != SECDEC_VAAPI_CODEC_H264 && codec != SECDEC_VAAPI_CODEC_HEVC))
        return SECDEC_E_INVALIDARG;
    *reason = NULL;
    if (info->n_subsamples && !info->subsamples)
        return SECDEC_E_BAD_SUBSAMPLES;
    unsigned hdr = codec == SECDEC_VAAPI_CODEC_H264 ? 1 : 2;
    size_t pos = 0;
    while (pos < size) {
        if (size - pos < nal_length_size)
            return SECDEC_E_BAD_SAMPLE;
        size_t len = 0;
        for (unsigned i = 0; i < nal_length_size; i++)
            len = len << 8 | data[pos + i];
        size_t start = pos + nal_length_size;
        if (len == 0 || len > size - start)
            return SECDEC_E_BAD_SAMPLE;
        bool slice;
        if (codec == SECDEC_VAAPI_CODEC_H264) {
            unsigned t = data[start] & 0x1f;
            slice = t == 1 || t == 5;
        } else {
            slice = ((data[start] >> 1) & 0x3f) <= 21;
        }
        if (slice) {
            /* Clear bytes from the NAL's first byte on (subsample map, or none at all). */
            size_t clear_end = 0;
            if (info->n_subsamples) {
                size_t p = 0;
                for (uint32_t i = 0; i < info->n_subsamples; i++) {
                    size_t c = info->subsamples[i].clear_bytes,
                           e = info->subsamples[i].encrypted_bytes;
                    if (start >= p && start < p + c) {
                        clear_end = p + c;
                        break;
                    }
                    p += c + e;
                    if (start < p)
                        break; /* the NAL starts inside an encrypted range */
                }
            }
            size_t clear_after_hdr = clear_end > start + hdr ? clear_end - start - hdr : 0;
            if (clear_end < start + len && clear_after_hdr < 2) {
                *reason = info->n_subsamples
                              ? "slice headers are encrypted (only the NAL length and header "
                                "are clear): a VA driver cannot parse them, decode in software"
                              : "the whole sample is encrypted (no subsamples): a VA driver "
                                "needs clear slice headers, decode in software";
                return SECDEC_E_NOTIMPL;
            }
        }
        pos = start + len;
    }
    return SECDEC_OK;
}
