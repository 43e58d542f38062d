/*
 * secdec-common/jwk.h - W3C Clear Key JSON Web Key sets (content keys): the one reader used by
 * secdec-license, secdec-pack, the license server and the secdecrypt "keys" property.
 *
 * Thread-safety: every function is reentrant (no global state).
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef SECDEC_COMMON_JWK_H
#define SECDEC_COMMON_JWK_H

#include <stddef.h>
#include <stdint.h>

#include <secdec/license.h>

/**
 * Parses a W3C Clear Key JWK set:
 *   {"keys":[{"kty":"oct","kid":"<base64url>","k":"<base64url>"}, ...], "type":"temporary"}
 * Each key must have kty "oct" and a "kid" and a "k" that are base64url without padding and
 * decode to 16 bytes; other members ("alg", ...) are ignored, as is "type" at the top level.
 * Duplicate KIDs are an error.
 *
 * On success appends the keys to *keys (realloc'ed; *n_keys updated) and returns 0. On
 * failure returns -1 and writes a one-line message into err (nothing is appended). The caller
 * owns *keys (free() it after wiping it with OPENSSL_cleanse()).
 */
int sdc_jwk_parse_keys(const uint8_t *json, size_t size, SecdecContentKey **keys, size_t *n_keys,
                   char *err, size_t err_size);

/**
 * Strict base64url decoding (RFC 4648 section 5, no padding, no whitespace, canonical:
 * unused trailing bits must be zero). Returns the number of bytes written, or -1 when s is
 * not valid or would not fit into max bytes.
 */
long sdc_base64url_decode(const char *s, uint8_t *out, size_t max);

/** base64url without padding of n bytes into out (4*ceil(n/3)+1 bytes suffice). */
void sdc_base64url_encode(const uint8_t *in, size_t n, char *out);

#endif /* SECDEC_COMMON_JWK_H */
