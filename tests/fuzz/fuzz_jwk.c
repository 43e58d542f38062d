/*
 * fuzz_jwk.c - libFuzzer target for the content-key readers of common/ that secdec-license,
 * secdec-pack, the plugin and the samples share (the W3C Clear Key JWK set reader, base64url,
 * hex KIDs and "KID:KEY" pairs): any bytes give keys or an error, never a crash or a leak.
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <secdec-common/hex.h>
#include <secdec-common/jwk.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    SecdecContentKey *keys = NULL;
    size_t n = 0;
    char err[256];
    if (sdc_jwk_parse_keys(data, size, &keys, &n, err, sizeof(err)) == 0 && n == 0)
        abort(); /* success means at least one key */
    free(keys);
    uint8_t out[64];
    char text[4 * 64 / 3 + 4]; /* base64url of up to 60 bytes, NUL */
    if (size <= 60) {
        /* base64url: decode(encode(x)) == x */
        sdc_base64url_encode(data, size, text);
        if (sdc_base64url_decode(text, out, sizeof(out)) != (long)size)
            abort();
        for (size_t i = 0; i < size; i++)
            if (out[i] != data[i])
                abort();
    }
    /* The hex readers, on the same bytes as a C string and as a counted string. */
    if (size <= 256) {
        char str[257];
        uint8_t kid[16], key[16], kid2[16];
        char hex[33];
        memcpy(str, data, size);
        str[size] = '\0';
        if (sdc_kid_parse(str, kid) == 0 && strlen(str) != 22) {
            /* a hex KID: parsing its canonical form gives the same bytes */
            sdc_hex_encode(kid, 16, hex);
            if (sdc_kid_parse(hex, kid2) != 0 || memcmp(kid, kid2, 16) != 0)
                abort();
        }
        if (sdc_parse_kid_key((const char *)data, size, kid, key) != 0)
            for (size_t i = 0; i < 16; i++)
                if (key[i])
                    abort(); /* a failed parse leaves no key bytes behind */
    }
    return 0;
}
