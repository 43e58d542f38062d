/*
 * test_license_tamper.c - tampered licenses: every byte with a bit flipped, every size,
 * spliced licenses; each rejected with the code of its region, and a failed load leaves no key
 * (and after a failed integrity check no session key) in the session.
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "test_license.h"
#include "test_util.h"

/* ========================================================================== tampering == */

typedef struct {
    Fixture fx;
    SecdecContentKey keys[2];
    uint8_t *bytes;
    size_t size;
} TamperFx;

static void tfx_open(TamperFx *t)
{
    fx_open(&t->fx, g_home);
    make_keys(t->keys, 2);
    /* KIDs far apart so that one bit flip cannot make them equal */
    memset(t->keys[0].kid, 0x11, 16);
    memset(t->keys[1].kid, 0xee, 16);
    t->bytes = issue(&t->fx, SECDEC_OAEP_SHA512, t->keys, 2, &t->size);
}

static void tfx_close(TamperFx *t)
{
    secdec_free(t->bytes);
    fx_close(&t->fx);
}

/* Parses and loads `data` into a fresh session; returns the first error (or OK). After a
 * failure, checks that no key of the license is in the session, and that after a failed
 * integrity check the session key is gone. */
static SecdecStatus parse_and_load(TamperFx *t, const uint8_t *data, size_t size,
                                   int *parse_failed)
{
    SecdecLicense *lic = NULL;
    SecdecStatus st = secdec_license_parse(data, size, &lic);
    *parse_failed = st != SECDEC_OK;
    if (st != SECDEC_OK) {
        ck_assert_ptr_null(lic);
        return st;
    }
    SecdecCryptoSession *s = tu_create_session(t->fx.dev);
    st = secdec_license_load(t->fx.dev, s, lic);
    if (st != SECDEC_OK) {
        assert_no_keys(t->fx.dev, s, t->keys, 2);
        if (st == SECDEC_E_LICENSE_INVALID) {
            uint8_t mac[32];
            ck_assert_status(sd_session_mac(s, "x", data, 1, NULL, mac), SECDEC_E_INVALIDCALL);
        }
    }
    secdec_crypto_session_destroy(&s);
    secdec_license_free(&lic);
    return st;
}

START_TEST(t_untampered_loads)
{
    TamperFx t;
    tfx_open(&t);
    int pf;
    ck_assert_ok(parse_and_load(&t, t.bytes, t.size, &pf));
    tfx_close(&t);
}
END_TEST

/* Every byte of the license, one bit flipped (bit _i): rejected, with the code of the region. */
START_TEST(t_tamper_every_byte)
{
    TamperFx t;
    tfx_open(&t);
    uint8_t *copy = malloc(t.size);
    const size_t mac_off = t.size - 32;
    for (size_t off = 0; off < t.size; off++) {
        memcpy(copy, t.bytes, t.size);
        copy[off] ^= (uint8_t)(1u << _i);
        int pf = 0;
        SecdecStatus st = parse_and_load(&t, copy, t.size, &pf);
        const char *region;
        if (off < OFF_HASH || off == OFF_FLAGS) {
            region = "header";
            ck_assert_msg(pf && st == SECDEC_E_LICENSE_INVALID, "%s byte %zu: %s", region, off,
                          secdec_status_name(st));
        } else if (off == OFF_HASH) {
            /* another valid hash id parses, then the key exchange fails */
            region = "hash";
            ck_assert_msg(pf ? st == SECDEC_E_LICENSE_INVALID : st == SECDEC_E_KEY_EXCHANGE,
                          "%s byte %zu: %s (parse %s)", region, off, secdec_status_name(st),
                          pf ? "failed" : "ok");
        } else if (off < OFF_BLOB) {
            region = "fingerprint";
            ck_assert_msg(!pf && st == SECDEC_E_LICENSE_FOREIGN, "%s byte %zu: %s", region, off,
                          secdec_status_name(st));
        } else if (off < OFF_COUNT) {
            region = "blob";
            ck_assert_msg(!pf && st == SECDEC_E_KEY_EXCHANGE, "%s byte %zu: %s", region, off,
                          secdec_status_name(st));
        } else if (off < OFF_ENTRIES) {
            region = "count";
            ck_assert_msg(pf && st == SECDEC_E_LICENSE_INVALID, "%s byte %zu: %s", region, off,
                          secdec_status_name(st));
        } else if (off < mac_off) {
            region = "entries";
            ck_assert_msg(!pf && st == SECDEC_E_LICENSE_INVALID, "%s byte %zu: %s", region, off,
                          secdec_status_name(st));
        } else {
            region = "mac";
            ck_assert_msg(!pf && st == SECDEC_E_LICENSE_INVALID, "%s byte %zu: %s", region, off,
                          secdec_status_name(st));
        }
    }
    free(copy);
    tfx_close(&t);
}
END_TEST

START_TEST(t_tamper_sizes)
{
    TamperFx t;
    tfx_open(&t);
    uint8_t *big = calloc(1, t.size + 64);
    memcpy(big, t.bytes, t.size);
    int pf;
    /* truncated anywhere */
    static const size_t cuts[] = {1, 16, 31, 32, 33, 64};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++)
        ck_assert_msg(parse_and_load(&t, big, t.size - cuts[i], &pf) == SECDEC_E_LICENSE_INVALID &&
                          pf,
                      "cut %zu", cuts[i]);
    static const size_t short_sizes[] = {0, 1, 8, 12, 44, 299, 300, 302, 334, 365};
    for (size_t i = 0; i < sizeof short_sizes / sizeof short_sizes[0]; i++)
        ck_assert_msg(parse_and_load(&t, big, short_sizes[i], &pf) == SECDEC_E_LICENSE_INVALID &&
                          pf,
                      "size %zu", short_sizes[i]);
    /* trailing bytes */
    for (size_t extra = 1; extra <= 64; extra *= 2)
        ck_assert_msg(parse_and_load(&t, big, t.size + extra, &pf) == SECDEC_E_LICENSE_INVALID &&
                          pf,
                      "trailing %zu", extra);
    /* count that does not match the size: 1 and 3 keys for 2 entries, 0, max+1 */
    static const uint16_t counts[] = {0, 1, 3, 1025, 0xffff};
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
        uint8_t *c = malloc(t.size);
        memcpy(c, t.bytes, t.size);
        c[OFF_COUNT] = (uint8_t)(counts[i] >> 8);
        c[OFF_COUNT + 1] = (uint8_t)counts[i];
        ck_assert_msg(parse_and_load(&t, c, t.size, &pf) == SECDEC_E_LICENSE_INVALID && pf,
                      "count %u", counts[i]);
        free(c);
    }
    /* a consistent-size license with count 1 (entry and MAC cut): parses, MAC fails */
    {
        size_t n1 = LIC_SIZE(1);
        uint8_t *c = malloc(n1);
        memcpy(c, t.bytes, n1);
        c[OFF_COUNT] = 0;
        c[OFF_COUNT + 1] = 1;
        ck_assert_status(parse_and_load(&t, c, n1, &pf), SECDEC_E_LICENSE_INVALID);
        ck_assert(!pf);
        free(c);
    }
    /* duplicate KIDs: refused by the parser */
    {
        uint8_t *c = malloc(t.size);
        memcpy(c, t.bytes, t.size);
        memcpy(c + OFF_ENTRIES + 32, c + OFF_ENTRIES, 16);
        ck_assert_status(parse_and_load(&t, c, t.size, &pf), SECDEC_E_LICENSE_INVALID);
        ck_assert(pf);
        free(c);
    }
    /* NULL arguments */
    SecdecLicense *lic = NULL;
    ck_assert_status(secdec_license_parse(NULL, t.size, &lic), SECDEC_E_INVALIDARG);
    ck_assert_status(secdec_license_parse(t.bytes, t.size, NULL), SECDEC_E_INVALIDARG);
    free(big);
    tfx_close(&t);
}
END_TEST

START_TEST(t_tamper_splice)
{
    /* Entries of one license under the header/blob/MAC of another license for the same
     * device: the MAC does not verify. And a license's entries swapped: same. */
    TamperFx t;
    tfx_open(&t);
    size_t n2;
    uint8_t *other = issue(&t.fx, SECDEC_OAEP_SHA512, t.keys, 2, &n2);
    uint8_t *c = malloc(t.size);
    int pf;
    memcpy(c, t.bytes, t.size);
    memcpy(c + OFF_ENTRIES, other + OFF_ENTRIES, 64);
    ck_assert_status(parse_and_load(&t, c, t.size, &pf), SECDEC_E_LICENSE_INVALID);
    memcpy(c, t.bytes, t.size);
    memcpy(c + OFF_ENTRIES, t.bytes + OFF_ENTRIES + 32, 32);
    memcpy(c + OFF_ENTRIES + 32, t.bytes + OFF_ENTRIES, 32);
    ck_assert_status(parse_and_load(&t, c, t.size, &pf), SECDEC_E_LICENSE_INVALID);
    /* the blob of another license with this license's MAC */
    memcpy(c, t.bytes, t.size);
    memcpy(c + OFF_BLOB, other + OFF_BLOB, 256);
    ck_assert_status(parse_and_load(&t, c, t.size, &pf), SECDEC_E_LICENSE_INVALID);
    free(c);
    secdec_free(other);
    tfx_close(&t);
}
END_TEST

START_TEST(t_failed_load_leaves_no_key)
{
    /* A session with a negotiated key and a content key of its own; a tampered license (bad
     * MAC) fails, installs nothing from it, and resets the session key (license.h). */
    TamperFx t;
    tfx_open(&t);
    SecdecCryptoSession *s = tu_create_session(t.fx.dev);
    uint8_t sk[16], own_kid[16], ck[16], wrapped[16];
    tu_negotiate(t.fx.dev, s, sk);
    tu_kid(own_kid, 0x77);
    tu_random(ck, 16);
    tu_aes_ecb_encrypt(sk, ck, wrapped);
    ck_assert_ok(secdec_crypto_session_set_content_key(t.fx.dev, s, own_kid, 16, wrapped));

    uint8_t *c = malloc(t.size);
    memcpy(c, t.bytes, t.size);
    c[t.size - 1] ^= 0x80;
    SecdecLicense *lic = NULL;
    ck_assert_ok(secdec_license_parse(c, t.size, &lic));
    ck_assert_status(secdec_license_load(t.fx.dev, s, lic), SECDEC_E_LICENSE_INVALID);
    assert_no_keys(t.fx.dev, s, t.keys, 2);
    uint8_t mac[32];
    ck_assert_status(sd_session_mac(s, "x", c, 1, NULL, mac), SECDEC_E_INVALIDCALL);
    /* no session key any more: content keys cannot be installed until a new exchange */
    ck_assert_status(secdec_crypto_session_set_content_key(t.fx.dev, s, t.keys[0].kid, 16,
                                                           t.keys[0].key),
                     SECDEC_E_INVALIDCALL);
    uint8_t rnd[16];
    ck_assert_status(secdec_start_session_key_refresh(t.fx.dev, s, 16, rnd), SECDEC_E_INVALIDCALL);
    secdec_license_free(&lic);

    /* the good license still loads into the same session afterwards */
    ck_assert_ok(secdec_license_parse(t.bytes, t.size, &lic));
    ck_assert_ok(secdec_license_load(t.fx.dev, s, lic));
    assert_keys_loaded(s, t.keys, 2);
    secdec_license_free(&lic);
    free(c);
    secdec_crypto_session_destroy(&s);
    tfx_close(&t);
}
END_TEST

TCase *license_tamper_tcase(void)
{
    TCase *tc = tcase_create("tamper");
    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, t_untampered_loads);
    tcase_add_loop_test(tc, t_tamper_every_byte, 0, 8);
    tcase_add_test(tc, t_tamper_sizes);
    tcase_add_test(tc, t_tamper_splice);
    tcase_add_test(tc, t_failed_load_leaves_no_key);
    return tc;
}
