/*
 * test_decrypt_ref.c - the reference CENC encryptor the decryption tests check the engine
 * against: AES one block at a time (tu_aes_ecb_encrypt), counters and CBC chaining written
 * from ISO/IEC 23001-7, patterns and subsamples; and random subsample maps.
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "test_decrypt.h"
#include "test_util.h"

static void ref_ctr_next(Ref *r)
{
    tu_aes_ecb_encrypt(r->key, r->ctr, r->ks);
    r->ks_used = 0;
    for (int i = 15; i >= 8; i--) /* increment the low 64 bits only, wrapping */
        if (++r->ctr[i])
            break;
}

static void ref_ctr(Ref *r, uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (r->ks_used == 16)
            ref_ctr_next(r);
        p[i] ^= r->ks[r->ks_used++];
    }
}

static void ref_cbc(Ref *r, uint8_t *p, size_t nblocks)
{
    for (size_t b = 0; b < nblocks; b++) {
        uint8_t x[16];
        for (int i = 0; i < 16; i++)
            x[i] = p[16 * b + i] ^ r->chain[i];
        tu_aes_ecb_encrypt(r->key, x, p + 16 * b);
        memcpy(r->chain, p + 16 * b, 16);
    }
}

static bool ref_is_ctr(const Ref *r)
{
    return r->scheme == SECDEC_SCHEME_CENC || r->scheme == SECDEC_SCHEME_CENS;
}

/* Encrypts one protected range in place, per ISO/IEC 23001-7. */
static void ref_range(Ref *r, uint8_t *p, size_t n)
{
    if (r->scheme == SECDEC_SCHEME_CBCS) {
        memset(r->chain, 0, 16);
        memcpy(r->chain, r->iv, r->iv_size);
    }
    if (!r->crypt) {
        if (ref_is_ctr(r))
            ref_ctr(r, p, n);
        else
            ref_cbc(r, p, n / 16);
        return;
    }
    size_t pos = 0;
    while (n - pos >= 16) {
        size_t blocks = (n - pos) / 16;
        size_t c = blocks < r->crypt ? blocks : r->crypt;
        if (ref_is_ctr(r))
            ref_ctr(r, p + pos, c * 16);
        else
            ref_cbc(r, p + pos, c);
        pos += c * 16;
        size_t s = (size_t)r->skip * 16;
        pos += s < n - pos ? s : n - pos;
    }
}

void ref_encrypt(Ref *r, uint8_t *p, size_t size, const SecdecSubsample *ss, unsigned n)
{
    memset(r->ctr, 0, 16);
    memcpy(r->ctr, r->iv, r->iv_size);
    memset(r->chain, 0, 16);
    memcpy(r->chain, r->iv, r->iv_size);
    r->ks_used = 16;
    if (!n) {
        ref_range(r, p, size);
        return;
    }
    size_t pos = 0;
    for (unsigned i = 0; i < n; i++) {
        pos += ss[i].clear_bytes;
        ref_range(r, p + pos, ss[i].encrypted_bytes);
        pos += ss[i].encrypted_bytes;
    }
}

/* ---- helpers ------------------------------------------------------------------------------ */

unsigned rnd(unsigned n)
{
    unsigned v;
    RAND_bytes((uint8_t *)&v, sizeof(v));
    return n ? v % n : 0;
}

/* Random subsample map over size bytes; cbc1 ranges in whole blocks. */
unsigned random_map(SecdecSubsample *ss, unsigned max, size_t size, bool whole_blocks)
{
    unsigned n = 0;
    size_t left = size;
    while (left && n < max - 1) {
        size_t c = rnd(64) < 8 ? 0 : rnd((unsigned)(left < 300 ? left : 300) + 1);
        if (c > left)
            c = left;
        size_t e = rnd((unsigned)(left - c) + 1);
        if (rnd(4) == 0)
            e = (left - c) / 2;
        if (whole_blocks)
            e -= e % 16;
        ss[n++] = (SecdecSubsample){(uint32_t)c, (uint32_t)e};
        left -= c + e;
        if (rnd(3) == 0)
            break;
    }
    if (left)
        ss[n++] = (SecdecSubsample){(uint32_t)left, 0};
    return n;
}
