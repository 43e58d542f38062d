/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ISO/IEC 23001-7 sample encryption (cenc, cens, cbc1, cbcs) with OpenSSL EVP. */
#ifndef SECDEC_PACK_CENCRYPT_H
#define SECDEC_PACK_CENCRYPT_H

#include <stddef.h>
#include <stdint.h>

#include "nalsplit.h"

typedef enum { PACK_SCHEME_CENC, PACK_SCHEME_CBCS, PACK_SCHEME_CENS, PACK_SCHEME_CBC1 } pack_scheme;

const char *pack_scheme_fourcc(pack_scheme s);

/* Encrypts the protected ranges of one sample in place. iv is 16 bytes (an
 * 8-byte IV is given zero-padded). crypt/skip are the pattern in 16-byte blocks
 * (0:0 = no pattern). Returns 0, or -1 on an OpenSSL failure or when the
 * subsamples do not cover exactly size bytes. */
int pack_encrypt_sample(pack_scheme scheme, const uint8_t key[16], const uint8_t iv[16],
                        unsigned crypt, unsigned skip, uint8_t *data, size_t size,
                        const pack_subsample *subs, size_t nsubs);

#endif
