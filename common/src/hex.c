/*
 * hex.c - hexadecimal KIDs and keys (secdec-common/hex.h).
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <secdec-common/hex.h>
#include <secdec-common/jwk.h>

#include <string.h>

#include <openssl/crypto.h>

void sdc_hex_encode(const uint8_t *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
}

static int digit_value(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int sdc_hex_decode(const char *s, size_t len, uint8_t *out, size_t n, bool allow_dashes)
{
    size_t got = 0;
    int hi = -1;

    if (allow_dashes && len >= 2 && s[0] == '{' && s[len - 1] == '}') {
        s++;
        len -= 2;
    }
    for (size_t i = 0; i < len; i++) {
        int v;
        /* A dash only between two whole bytes: never first, last, doubled or mid-byte. */
        if (s[i] == '-' && allow_dashes && hi < 0 && i > 0 && i + 1 < len && s[i + 1] != '-')
            continue;
        v = digit_value((unsigned char)s[i]);
        if (v < 0 || got >= n)
            return -1;
        if (hi < 0) {
            hi = v;
        } else {
            out[got++] = (uint8_t)(hi << 4 | v);
            hi = -1;
        }
    }
    return (got == n && hi < 0) ? 0 : -1;
}

int sdc_kid_parse(const char *s, uint8_t kid[16])
{
    size_t len = strlen(s);

    if (len == 22)
        return sdc_base64url_decode(s, kid, 16) == 16 ? 0 : -1;
    return sdc_hex_decode(s, len, kid, 16, true);
}

int sdc_parse_kid_key(const char *s, size_t len, uint8_t kid[16], uint8_t key[16])
{
    const char *colon = memchr(s, ':', len);

    if (colon && sdc_hex_decode(s, (size_t)(colon - s), kid, 16, true) == 0 &&
        sdc_hex_decode(colon + 1, len - (size_t)(colon - s) - 1, key, 16, false) == 0)
        return 0;
    OPENSSL_cleanse(key, 16);
    return -1;
}
