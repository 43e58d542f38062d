/*
 * test_decrypt.h - what test_decrypt.c and test_decrypt_ref.c share: the independent reference
 * encryptor (block-at-a-time AES from ISO/IEC 23001-7, not the engine's EVP modes) and the
 * random subsample maps.
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef TEST_DECRYPT_H
#define TEST_DECRYPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "secdec/decrypt.h"

typedef struct Ref {
    SecdecScheme scheme;
    uint8_t key[16];
    uint8_t iv[16]; /* as given: 8 or 16 bytes used */
    unsigned iv_size;
    unsigned crypt, skip;
    /* running state */
    uint8_t ctr[16];
    uint8_t ks[16];
    unsigned ks_used; /* 16 = need a new keystream block */
    uint8_t chain[16];
} Ref;

/** Encrypts `size` bytes of p in place like a packager: the scheme, IV and pattern of r, the
 *  subsample map ss[0..n) (n 0: the whole sample). */
void ref_encrypt(Ref *r, uint8_t *p, size_t size, const SecdecSubsample *ss, unsigned n);
/** A random number below n. */
unsigned rnd(unsigned n);
/** A random subsample map of at most max entries covering size bytes (whole_blocks: encrypted
 *  ranges are multiples of 16, as 'cbc1' needs). Returns the count. */
unsigned random_map(SecdecSubsample *ss, unsigned max, size_t size, bool whole_blocks);

#endif
