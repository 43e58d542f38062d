/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Minimal reader for W3C Clear Key JWK sets: {"keys":[{"kty":"oct","kid":B64URL,"k":B64URL},..]} */
#ifndef SECDEC_PACK_JWK_H
#define SECDEC_PACK_JWK_H

#include <stddef.h>
#include <stdint.h>

typedef struct pack_jwk_key {
  uint8_t kid[16], key[16];
} pack_jwk_key;

/* Loads up to max keys in file order. Returns the number loaded (>= 1), or -1 with err. */
int pack_jwk_load(const char *path, pack_jwk_key *keys, int max, char *err, size_t errlen);

/* Same, from a NUL-free buffer of len bytes. */
int pack_jwk_parse(const char *text, size_t len, pack_jwk_key *keys, int max, char *err,
                   size_t errlen);

#endif
