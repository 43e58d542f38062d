/*
 * fuzz_jwk.c - libFuzzer target for the W3C Clear Key JWK set reader (tools/jwk.c) that
 * secdec-license, secdec-pack and the samples share: any bytes give keys or an error message,
 * never a crash or a leak.
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdint.h>
#include <stdlib.h>

#include "jwk.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    SecdecContentKey *keys = NULL;
    size_t n = 0;
    char err[256];
    if (jwk_parse_keys(data, size, &keys, &n, err, sizeof(err)) == 0 && n == 0)
        abort(); /* success means at least one key */
    free(keys);
    uint8_t out[64];
    char text[4 * 64 / 3 + 4]; /* base64url of up to 60 bytes, NUL */
    if (size <= 60) {
        /* base64url: decode(encode(x)) == x */
        jwk_base64url_encode(data, size, text);
        if (jwk_base64url_decode(text, out, sizeof(out)) != (long)size)
            abort();
        for (size_t i = 0; i < size; i++)
            if (out[i] != data[i])
                abort();
    }
    return 0;
}
