/*
 * decrypt.c - the CENC decrypt engine (ISO/IEC 23001-7 cenc, cens, cbc1, cbcs) and the
 * Direct3D buffer-description front door. One engine: both vocabularies are normalised into a
 * SecdecSampleInfo, validated completely, then decrypted straight from the caller's bytes
 * into a protected buffer with the session's reused OpenSSL EVP context.
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>

#include "protected_pool.h"
#include "secdec/decrypt.h"
#include "session.h"

#define BLOCK 16u

_Static_assert(sizeof(SecdecD3DSubSampleMappingBlock) == sizeof(SecdecSubsample) &&
                   offsetof(SecdecD3DSubSampleMappingBlock, encrypted_size) ==
                       offsetof(SecdecSubsample, encrypted_bytes),
               "D3D mapping blocks and CENC subsamples share one layout");

static const char *const scheme_fourcc[] = {"cenc", "cens", "cbc1", "cbcs"};

SecdecStatus secdec_scheme_from_fourcc(const char *fourcc, SecdecScheme *scheme)
{
    if (!fourcc || !scheme)
        return SECDEC_E_INVALIDARG;
    for (unsigned i = 0; i < 4; i++)
        if (strcmp(fourcc, scheme_fourcc[i]) == 0) {
            *scheme = (SecdecScheme)i;
            return SECDEC_OK;
        }
    return SECDEC_E_INVALIDARG;
}

const char *secdec_scheme_fourcc(SecdecScheme scheme)
{
    return (unsigned)scheme < 4 ? scheme_fourcc[scheme] : "?";
}

void secdec_sample_info_default(SecdecSampleInfo *info)
{
    if (!info)
        return;
    memset(info, 0, sizeof(*info));
    info->scheme = SECDEC_SCHEME_CENC;
    info->iv_size = 16;
}

static bool is_ctr(SecdecScheme s)
{
    return s == SECDEC_SCHEME_CENC || s == SECDEC_SCHEME_CENS;
}

static bool has_pattern(SecdecScheme s)
{
    return s == SECDEC_SCHEME_CENS || s == SECDEC_SCHEME_CBCS;
}

/* Everything about the sample is checked here, before any memory is touched. */
static SecdecStatus validate(const SecdecSampleInfo *in, size_t size)
{
    if (size == 0 || size > SECDEC_MAX_SAMPLE_SIZE || (unsigned)in->scheme > SECDEC_SCHEME_CBCS)
        return SECDEC_E_BAD_SAMPLE;
    if (in->iv_size != 8 && in->iv_size != 16)
        return SECDEC_E_BAD_IV;
    if (in->n_subsamples > SECDEC_MAX_SUBSAMPLES || (in->n_subsamples && !in->subsamples))
        return SECDEC_E_BAD_SUBSAMPLES;
    if (in->crypt_byte_block > 15 || in->skip_byte_block > 15)
        return SECDEC_E_BAD_PATTERN;
    if (!has_pattern(in->scheme) && (in->crypt_byte_block || in->skip_byte_block))
        return SECDEC_E_BAD_PATTERN;
    if (in->crypt_byte_block == 0 && in->skip_byte_block != 0)
        return SECDEC_E_BAD_PATTERN;
    if (in->n_subsamples) {
        uint64_t total = 0; /* at most 65535 * 2 * 2^32: no overflow in 64 bits */
        for (uint32_t i = 0; i < in->n_subsamples; i++) {
            total += (uint64_t)in->subsamples[i].clear_bytes + in->subsamples[i].encrypted_bytes;
            if (in->scheme == SECDEC_SCHEME_CBC1 && in->subsamples[i].encrypted_bytes % BLOCK)
                return SECDEC_E_BAD_SUBSAMPLES;
        }
        if (total != size)
            return SECDEC_E_BAD_SUBSAMPLES;
    }
    return SECDEC_OK;
}

/* ---- AES-CTR with CENC's 64-bit block counter -------------------------------------------- */

/* OpenSSL's CTR mode carries into the upper 64 bits of the counter block; CENC (like FFmpeg and
 * hardware) counts in the lower 64 bits and wraps. Split at the wrap point and restart there. */
typedef struct CtrStream {
    EVP_CIPHER_CTX *ctx;
    uint8_t counter[16];
    uint64_t bytes_to_wrap; /* UINT64_MAX: the wrap is out of reach for this sample */
} CtrStream;

static uint64_t rd64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

static bool ctr_start(CtrStream *cs, EVP_CIPHER_CTX *ctx, const uint8_t iv[16])
{
    cs->ctx = ctx;
    memcpy(cs->counter, iv, 16);
    uint64_t low = rd64(iv + 8);
    /* A sample is at most 2^28 bytes = 2^24 blocks. */
    cs->bytes_to_wrap = low > UINT64_MAX - (1u << 25) ? (0 - low) * BLOCK : UINT64_MAX;
    return EVP_DecryptInit_ex(ctx, NULL, NULL, NULL, cs->counter) == 1;
}

static bool ctr_xor(CtrStream *cs, const uint8_t *in, uint8_t *out, size_t n)
{
    while (n) {
        size_t chunk = n;
        if (cs->bytes_to_wrap < chunk)
            chunk = (size_t)cs->bytes_to_wrap;
        int len = 0;
        if (chunk && (EVP_DecryptUpdate(cs->ctx, out, &len, in, (int)chunk) != 1 ||
                      (size_t)len != chunk))
            return false;
        in += chunk;
        out += chunk;
        n -= chunk;
        if (cs->bytes_to_wrap != UINT64_MAX)
            cs->bytes_to_wrap -= chunk;
        if (cs->bytes_to_wrap == 0) {
            memset(cs->counter + 8, 0, 8); /* low 64 bits wrap to zero, high bits stay */
            cs->bytes_to_wrap = UINT64_MAX;
            if (EVP_DecryptInit_ex(cs->ctx, NULL, NULL, NULL, cs->counter) != 1)
                return false;
        }
    }
    return true;
}

static bool cbc_blocks(EVP_CIPHER_CTX *ctx, const uint8_t *in, uint8_t *out, size_t n)
{
    int len = 0;
    return n == 0 || (EVP_DecryptUpdate(ctx, out, &len, in, (int)n) == 1 && (size_t)len == n);
}

/* ---- one encrypted range ------------------------------------------------------------------ */

typedef struct Engine {
    SecdecScheme scheme;
    CtrStream ctr;
    EVP_CIPHER_CTX *ctx;
    uint8_t iv[16];
    uint32_t crypt, skip; /* pattern in blocks; crypt 0 = no pattern */
} Engine;

/* Decrypts `n` bytes of one encrypted range from in to out (out == in: in place). */
static bool decrypt_range(Engine *e, const uint8_t *in, uint8_t *out, size_t n)
{
    if (e->scheme == SECDEC_SCHEME_CBCS &&
        EVP_DecryptInit_ex(e->ctx, NULL, NULL, NULL, e->iv) != 1) /* IV reset per subsample */
        return false;
    if (!e->crypt) {
        if (is_ctr(e->scheme))
            return ctr_xor(&e->ctr, in, out, n);
        size_t whole = n / BLOCK * BLOCK; /* CBC: a trailing partial block stays clear */
        memmove(out + whole, in + whole, n - whole);
        return cbc_blocks(e->ctx, in, out, whole);
    }
    size_t pos = 0;
    while (n - pos >= BLOCK) {
        size_t blocks = (n - pos) / BLOCK;
        size_t c = (blocks < e->crypt ? blocks : e->crypt) * BLOCK;
        if (!(is_ctr(e->scheme) ? ctr_xor(&e->ctr, in + pos, out + pos, c)
                                : cbc_blocks(e->ctx, in + pos, out + pos, c)))
            return false;
        pos += c;
        size_t s = (size_t)e->skip * BLOCK;
        if (s > n - pos)
            s = n - pos;
        memmove(out + pos, in + pos, s);
        pos += s;
    }
    memmove(out + pos, in + pos, n - pos); /* trailing partial block: clear */
    return true;
}

/* ---- the session's cipher cache ----------------------------------------------------------- */

/* With s->dec_lock held: makes s->dec_ctx ready for kid's key. */
static SecdecStatus prepare_key(SecdecCryptoSession *s, const uint8_t kid[SECDEC_KID_SIZE],
                                bool *clear)
{
    SecdecStatus st = SECDEC_OK;
    *clear = false;
    pthread_rwlock_rdlock(&s->lock);
    if (!sd_session_alive(s)) {
        st = SECDEC_E_KEY_LOST;
        goto out;
    }
    SdKeyEntry *e = sd_session_find_key(s, kid);
    if (!e) {
        st = SECDEC_E_NO_KEY;
        goto out;
    }
    if (e->kind == SD_KEY_CLEAR) {
        *clear = true;
        goto out;
    }
    if (e->kind == SD_KEY_SESSION && !s->sec->has_session_key) {
        st = SECDEC_E_INVALIDCALL;
        goto out;
    }
    if (s->dec_valid && s->dec_gen == s->key_gen && memcmp(s->dec_kid, kid, SECDEC_KID_SIZE) == 0)
        goto out; /* cached: no key expansion */
    const uint8_t *key = e->kind == SD_KEY_SESSION ? s->sec->session_key : e->key;
    const EVP_CIPHER *cipher =
        secdec_guid_equal(&s->crypto_type, &SECDEC_CRYPTO_TYPE_AES128_CTR) ? EVP_aes_128_ctr()
                                                                           : EVP_aes_128_cbc();
    s->dec_valid = false;
    if (EVP_DecryptInit_ex(s->dec_ctx, cipher, NULL, key, NULL) != 1 ||
        EVP_CIPHER_CTX_set_padding(s->dec_ctx, 0) != 1) {
        st = SECDEC_E_OUTOFMEMORY;
        goto out;
    }
    memcpy(s->dec_kid, kid, SECDEC_KID_SIZE);
    s->dec_gen = s->key_gen;
    s->dec_valid = true;
out:
    pthread_rwlock_unlock(&s->lock);
    return st;
}

static SecdecStatus decrypt_into(SecdecCryptoSession *s, const SecdecSampleInfo *info,
                                 const uint8_t *in, size_t size, uint8_t *out)
{
    Engine e = {.scheme = info->scheme, .ctx = s->dec_ctx};
    memcpy(e.iv, info->iv, info->iv_size);
    /* 8-byte IVs: CTR counter block IV || 0^64; CBC IV zero-padded. */
    if (info->iv_size == 8)
        memset(e.iv + 8, 0, 8);
    if (has_pattern(info->scheme)) {
        e.crypt = info->crypt_byte_block;
        e.skip = info->skip_byte_block;
    }
    bool ok;
    if (is_ctr(e.scheme))
        ok = ctr_start(&e.ctr, s->dec_ctx, e.iv);
    else
        ok = EVP_DecryptInit_ex(s->dec_ctx, NULL, NULL, NULL, e.iv) == 1;
    if (ok && info->n_subsamples == 0) {
        ok = decrypt_range(&e, in, out, size);
    } else {
        size_t pos = 0;
        for (uint32_t i = 0; ok && i < info->n_subsamples; i++) {
            size_t c = info->subsamples[i].clear_bytes, n = info->subsamples[i].encrypted_bytes;
            if (out != in)
                memcpy(out + pos, in + pos, c);
            pos += c;
            if (n)
                ok = decrypt_range(&e, in + pos, out + pos, n);
            pos += n;
        }
    }
    OPENSSL_cleanse(&e.ctr.counter, sizeof(e.ctr.counter));
    ERR_clear_error();
    if (!ok)
        s->dec_valid = false;
    return ok ? SECDEC_OK : SECDEC_E_OUTOFMEMORY;
}

/* validate(), then the scheme's cipher against the session's crypto type. */
static SecdecStatus validate_for_session(const SecdecCryptoSession *session,
                                         const SecdecSampleInfo *info, size_t size)
{
    SecdecStatus st = validate(info, size);
    if (st != SECDEC_OK)
        return st;
    bool ctr_session = secdec_guid_equal(&session->crypto_type, &SECDEC_CRYPTO_TYPE_AES128_CTR);
    return ctr_session == is_ctr(info->scheme) ? SECDEC_OK : SECDEC_E_UNSUPPORTEDCRYPTO;
}

SecdecStatus secdec_decrypt_sample(SecdecDevice *device, SecdecCryptoSession *session,
                                   const SecdecSampleInfo *info, const uint8_t *data, size_t size,
                                   SecdecProtectedBuffer **out)
{
    SecdecStatus st = sd_session_check(device, session);
    if (st != SECDEC_OK)
        return st;
    if (!data || !out)
        return SECDEC_E_INVALIDARG;
    if (session->hw && info) {
        /* Hardware sessions never release clear samples: the decoder decrypts inside the TEE
         * (hw/include/secdec/vaapi.h builds its VAEncryptionParameters). Copying a sample as
         * it is (info NULL: still encrypted, or clear) into protected memory is allowed: it
         * needs no key (the GStreamer front-end carries VA-API samples this way). */
        sd_log(&device->log, SECDEC_LOG_ERROR,
               "secdec_decrypt_sample: a %s session decrypts in the decoder, not into memory",
               secdec_backend_name(device->backend));
        return SECDEC_E_NOTIMPL;
    }
    if (info) {
        st = validate_for_session(session, info, size);
        if (st != SECDEC_OK)
            return st;
    } else if (size == 0 || size > SECDEC_MAX_SAMPLE_SIZE) {
        return SECDEC_E_BAD_SAMPLE;
    }

    SecdecProtectedBuffer *buf = NULL;
    pthread_mutex_lock(&session->dec_lock);
    bool clear = info == NULL;
    if (info)
        st = prepare_key(session, info->kid, &clear);
    if (st == SECDEC_OK)
        st = sd_pool_acquire(device->pool, &device->log, size, &buf);
    if (st == SECDEC_OK) {
        uint8_t *dst = sd_pool_buffer_data(buf);
        if (clear)
            memcpy(dst, data, size);
        else
            st = decrypt_into(session, info, data, size, dst);
    }
    pthread_mutex_unlock(&session->dec_lock);
    if (st != SECDEC_OK) {
        secdec_protected_buffer_release(&buf);
        return st;
    }
    *out = buf;
    return SECDEC_OK;
}

SecdecStatus secdec_decrypt_audio_sample(SecdecDevice *device, SecdecCryptoSession *session,
                                         const SecdecSampleInfo *info, const uint8_t *data,
                                         size_t size, uint8_t *out)
{
    SecdecStatus st = sd_session_check(device, session);
    if (st != SECDEC_OK)
        return st;
    if (!info || !data || !out)
        return SECDEC_E_INVALIDARG;
    if (session->hw)
        return SECDEC_E_NOTIMPL;
    if (!secdec_guid_equal(&session->decoder_profile, &SECDEC_DECODER_PROFILE_AUDIO_CLEAR_OUTPUT)) {
        sd_log(&device->log, SECDEC_LOG_ERROR,
               "secdec_decrypt_audio_sample: the session's profile %s keeps its output protected",
               secdec_guid_name(&session->decoder_profile));
        return SECDEC_E_INVALIDCALL;
    }
    st = validate_for_session(session, info, size);
    if (st != SECDEC_OK)
        return st;
    pthread_mutex_lock(&session->dec_lock);
    bool clear = false;
    st = prepare_key(session, info->kid, &clear);
    if (st == SECDEC_OK) {
        if (clear) {
            if (out != data)
                memmove(out, data, size);
        } else {
            st = decrypt_into(session, info, data, size, out);
        }
    }
    pthread_mutex_unlock(&session->dec_lock);
    return st;
}

/* ---- Direct3D buffer descriptions --------------------------------------------------------- */

/* D3D11_ENCRYPTED_BLOCK_INFO to a subsample map: [enc N] then ([clear skip][enc E])... */
static SecdecStatus block_info_map(const SecdecD3DEncryptedBlockInfo *bi, size_t size,
                                   SecdecSubsample **map, uint32_t *count)
{
    size_t first = bi->num_encrypted_bytes_at_beginning < size ? bi->num_encrypted_bytes_at_beginning
                                                                : size;
    size_t rest = size - first;
    size_t period = (size_t)bi->num_bytes_in_skip_pattern + bi->num_bytes_in_encrypt_pattern;
    size_t n = 1;
    if (rest && period && bi->num_bytes_in_encrypt_pattern)
        n += (rest + period - 1) / period;
    else if (rest)
        n += 1; /* no pattern: the rest is clear */
    if (n > SECDEC_MAX_SUBSAMPLES)
        return SECDEC_E_BAD_SUBSAMPLES;
    SecdecSubsample *m = sd_calloc(n, sizeof(*m));
    if (!m)
        return SECDEC_E_OUTOFMEMORY;
    uint32_t k = 0;
    m[k++] = (SecdecSubsample){0, (uint32_t)first};
    if (rest && period && bi->num_bytes_in_encrypt_pattern) {
        while (rest) {
            size_t c = bi->num_bytes_in_skip_pattern < rest ? bi->num_bytes_in_skip_pattern : rest;
            rest -= c;
            size_t e = bi->num_bytes_in_encrypt_pattern < rest ? bi->num_bytes_in_encrypt_pattern
                                                               : rest;
            rest -= e;
            m[k++] = (SecdecSubsample){(uint32_t)c, (uint32_t)e};
        }
    } else if (rest) {
        m[k++] = (SecdecSubsample){(uint32_t)rest, 0};
    }
    *map = m;
    *count = k;
    return SECDEC_OK;
}

SecdecStatus secdec_decrypt_d3d11(SecdecDevice *device, SecdecCryptoSession *session,
                                  const uint8_t kid[SECDEC_KID_SIZE],
                                  const SecdecD3DBufferDesc *desc, const uint8_t *data,
                                  size_t size, SecdecProtectedBuffer **out)
{
    if (!kid || !desc || !desc->iv || (desc->block_info && desc->mapping) ||
        (desc->mapping_count && !desc->mapping))
        return SECDEC_E_INVALIDARG;
    if (size == 0 || size > SECDEC_MAX_SAMPLE_SIZE)
        return SECDEC_E_BAD_SAMPLE;
    SecdecSampleInfo info;
    secdec_sample_info_default(&info);
    memcpy(info.kid, kid, SECDEC_KID_SIZE);
    /* Members "in big-endian format": their bytes, as stored, form the counter block. */
    memcpy(info.iv, &desc->iv->iv, 8);
    memcpy(info.iv + 8, &desc->iv->count, 8);
    info.iv_size = 16;
    if (desc->stripe_encrypted || desc->stripe_clear) {
        info.scheme = SECDEC_SCHEME_CENS;
        info.crypt_byte_block = desc->stripe_encrypted;
        info.skip_byte_block = desc->stripe_clear;
    }
    SecdecSubsample *owned = NULL;
    if (desc->block_info) {
        SecdecStatus st = block_info_map(desc->block_info, size, &owned, &info.n_subsamples);
        if (st != SECDEC_OK)
            return st;
        info.subsamples = owned;
    } else if (desc->mapping) {
        /* Same layout as SecdecSubsample: {clear, encrypted} pairs of uint32_t. */
        info.subsamples = (const SecdecSubsample *)(const void *)desc->mapping;
        info.n_subsamples = desc->mapping_count;
    }
    SecdecStatus st = secdec_decrypt_sample(device, session, &info, data, size, out);
    free(owned);
    return st;
}
