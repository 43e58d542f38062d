/*
 * test_license.c - licenses: issue, parse, load into a session, the license store, and
 * tampering (every region of the layout in license.c / docs/license-format.md).
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/x509.h>

#include "internal.h"
#include "test_util.h"

/* Layout (license.c): magic 0..7, version 8..9, hash 10, flags 11, fingerprint 12..43,
 * blob 44..299, count 300..301, entries 302.., MAC last 32 bytes. */
#define OFF_HASH 10
#define OFF_FLAGS 11
#define OFF_FP 12
#define OFF_BLOB 44
#define OFF_COUNT 300
#define OFF_ENTRIES 302
#define LIC_SIZE(n) (OFF_ENTRIES + 32 * (n) + 32)

static char *g_home, *g_home2;

typedef struct {
    SecdecDevice *dev;
    SecdecCryptoSession *s;
    uint8_t *cert;
    size_t cert_size;
} Fixture;

static void fx_open(Fixture *fx, const char *home)
{
    fx->dev = tu_open_device(home);
    fx->s = tu_create_session(fx->dev);
    fx->cert = tu_get_certificate(fx->dev, fx->s, &fx->cert_size);
}

static void fx_close(Fixture *fx)
{
    free(fx->cert);
    secdec_crypto_session_destroy(&fx->s);
    secdec_device_close(&fx->dev);
}

static void make_keys(SecdecContentKey *keys, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        tu_random(keys[i].kid, 16);
        tu_random(keys[i].key, 16);
    }
}

static uint8_t *issue(const Fixture *fx, SecdecOaepHash h, const SecdecContentKey *keys, size_t n,
                      size_t *size)
{
    uint8_t *lic = NULL;
    ck_assert_ok(secdec_license_issue(fx->cert, fx->cert_size, h, keys, n, &lic, size));
    ck_assert_ptr_nonnull(lic);
    ck_assert_uint_eq(*size, LIC_SIZE(n));
    return lic;
}

static void assert_keys_loaded(SecdecCryptoSession *s, const SecdecContentKey *keys, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t got[16];
        ck_assert_int_eq(tu_content_key(s, keys[i].kid, got), 1);
        ck_assert_mem_eq(got, keys[i].key, 16);
    }
}

static void assert_no_keys(SecdecDevice *dev, SecdecCryptoSession *s, const SecdecContentKey *keys,
                           size_t n)
{
    for (size_t i = 0; i < n; i++)
        ck_assert_status(secdec_crypto_session_has_content_key(dev, s, keys[i].kid),
                         SECDEC_E_NO_KEY);
}

/* ========================================================================= round trip == */

START_TEST(t_round_trip)
{
    static const SecdecOaepHash hashes[] = {SECDEC_OAEP_SHA512, SECDEC_OAEP_SHA256,
                                            SECDEC_OAEP_SHA1};
    SecdecOaepHash h = hashes[_i];
    Fixture fx;
    fx_open(&fx, g_home);
    SecdecContentKey keys[3];
    make_keys(keys, 3);
    size_t size;
    uint8_t *bytes = issue(&fx, h, keys, 3, &size);
    ck_assert_mem_eq(bytes, "SECDECL1", 8);

    SecdecLicense *lic = NULL;
    ck_assert_ok(secdec_license_parse(bytes, size, &lic));
    ck_assert_uint_eq(secdec_license_get_key_count(lic), 3);
    for (size_t i = 0; i < 3; i++) {
        uint8_t kid[16];
        ck_assert_ok(secdec_license_get_kid(lic, i, kid));
        ck_assert_mem_eq(kid, keys[i].kid, 16);
        ck_assert_int_eq(secdec_license_has_kid(lic, keys[i].kid), 1);
    }
    uint8_t kid[16];
    ck_assert_status(secdec_license_get_kid(lic, 3, kid), SECDEC_E_INVALIDARG);
    tu_kid(kid, 0);
    ck_assert_int_eq(secdec_license_has_kid(lic, kid), 0);
    uint8_t fp[32], dfp[32];
    ck_assert_ok(secdec_license_get_certificate_fingerprint(lic, fp));
    ck_assert_ok(secdec_device_get_certificate_fingerprint(fx.dev, dfp));
    ck_assert_mem_eq(fp, dfp, 32);
    SecdecOaepHash got_h = (SecdecOaepHash)99;
    ck_assert_ok(secdec_license_get_oaep_hash(lic, &got_h));
    ck_assert_int_eq(got_h, h);
    const uint8_t *b;
    size_t bs;
    ck_assert_ok(secdec_license_get_bytes(lic, &b, &bs));
    ck_assert_uint_eq(bs, size);
    ck_assert_mem_eq(b, bytes, size);
    /* the clear content keys appear nowhere in the license */
    for (size_t i = 0; i < 3; i++)
        ck_assert_ptr_null(memmem(bytes, size, keys[i].key, 16));

    assert_no_keys(fx.dev, fx.s, keys, 3);
    ck_assert_ok(secdec_license_load(fx.dev, fx.s, lic));
    assert_keys_loaded(fx.s, keys, 3);

    /* the same license loads into a second session of another handle on the same identity */
    SecdecDevice *dev2 = tu_open_device(g_home);
    SecdecCryptoSession *s2 = tu_create_session(dev2);
    ck_assert_ok(secdec_license_load(dev2, s2, lic));
    assert_keys_loaded(s2, keys, 3);
    secdec_crypto_session_destroy(&s2);

    /* an application can drive the same flow itself from the blob and the wrapped keys */
    s2 = tu_create_session(dev2);
    const uint8_t *blob;
    uint8_t blob_copy[256];
    ck_assert_ok(secdec_license_get_key_exchange_blob(lic, &blob));
    ck_assert_mem_eq(blob, bytes + 44, 256);
    memcpy(blob_copy, blob, 256);
    ck_assert_ok(secdec_crypto_session_set_oaep_hash(dev2, s2, h));
    ck_assert_ok(secdec_negotiate_crypto_session_key_exchange(dev2, s2, 256, blob_copy));
    for (size_t i = 0; i < 3; i++) {
        uint8_t wkid[16], wrapped[16];
        ck_assert_ok(secdec_license_get_wrapped_key(lic, i, wkid, wrapped));
        ck_assert_mem_eq(wkid, keys[i].kid, 16);
        ck_assert_ok(secdec_crypto_session_set_content_key(dev2, s2, wkid, 16, wrapped));
    }
    assert_keys_loaded(s2, keys, 3);
    uint8_t wkid[16], wrapped[16];
    ck_assert_status(secdec_license_get_wrapped_key(lic, 3, wkid, wrapped), SECDEC_E_INVALIDARG);
    ck_assert_status(secdec_license_get_key_exchange_blob(NULL, &blob), SECDEC_E_INVALIDARG);
    secdec_crypto_session_destroy(&s2);
    secdec_device_close(&dev2);

    secdec_license_free(&lic);
    ck_assert_ptr_null(lic);
    secdec_license_free(&lic);
    secdec_license_free(NULL);
    secdec_free(bytes);
    secdec_free(NULL);
    fx_close(&fx);
}
END_TEST

START_TEST(t_issue_twice_differs)
{
    /* Each license has a fresh session key: same keys, different bytes. */
    Fixture fx;
    fx_open(&fx, g_home);
    SecdecContentKey k;
    make_keys(&k, 1);
    size_t n1, n2;
    uint8_t *a = issue(&fx, SECDEC_OAEP_SHA512, &k, 1, &n1);
    uint8_t *b = issue(&fx, SECDEC_OAEP_SHA512, &k, 1, &n2);
    ck_assert_uint_eq(n1, n2);
    ck_assert(memcmp(a + OFF_BLOB, b + OFF_BLOB, 256) != 0);
    ck_assert(memcmp(a + OFF_ENTRIES + 16, b + OFF_ENTRIES + 16, 16) != 0);
    ck_assert_mem_eq(a, b, OFF_BLOB); /* header and fingerprint are the same */
    secdec_free(a);
    secdec_free(b);
    fx_close(&fx);
}
END_TEST

START_TEST(t_max_keys)
{
    Fixture fx;
    fx_open(&fx, g_home);
    size_t n = SECDEC_LICENSE_MAX_KEYS;
    SecdecContentKey *keys = calloc(n + 1, sizeof *keys);
    for (size_t i = 0; i <= n; i++) {
        tu_random(keys[i].key, 16);
        memset(keys[i].kid, 0x5a, 16);
        keys[i].kid[0] = (uint8_t)i;
        keys[i].kid[1] = (uint8_t)(i >> 8);
    }
    size_t size;
    uint8_t *bytes = issue(&fx, SECDEC_OAEP_SHA512, keys, n, &size);
    SecdecLicense *lic = NULL;
    ck_assert_ok(secdec_license_parse(bytes, size, &lic));
    ck_assert_uint_eq(secdec_license_get_key_count(lic), n);
    ck_assert_ok(secdec_license_load(fx.dev, fx.s, lic));
    assert_keys_loaded(fx.s, keys, n);
    secdec_license_free(&lic);
    secdec_free(bytes);

    uint8_t *out = NULL;
    size_t out_size = 0;
    ck_assert_status(secdec_license_issue(fx.cert, fx.cert_size, SECDEC_OAEP_SHA512, keys, n + 1,
                                          &out, &out_size),
                     SECDEC_E_INVALIDARG);
    ck_assert_ptr_null(out);
    free(keys);
    fx_close(&fx);
}
END_TEST

START_TEST(t_issue_errors)
{
    Fixture fx;
    fx_open(&fx, g_home);
    SecdecContentKey keys[2];
    make_keys(keys, 2);
    uint8_t *out = NULL;
    size_t sz = 0;
    const uint8_t *c = fx.cert;
    size_t cs = fx.cert_size;
#define ISSUE(cert, csz, h, k, n, o, s) secdec_license_issue(cert, csz, h, k, n, o, s)
    ck_assert_status(ISSUE(NULL, cs, SECDEC_OAEP_SHA512, keys, 2, &out, &sz), SECDEC_E_INVALIDARG);
    ck_assert_status(ISSUE(c, 0, SECDEC_OAEP_SHA512, keys, 2, &out, &sz), SECDEC_E_INVALIDARG);
    ck_assert_status(ISSUE(c, cs, SECDEC_OAEP_SHA512, NULL, 2, &out, &sz), SECDEC_E_INVALIDARG);
    ck_assert_status(ISSUE(c, cs, SECDEC_OAEP_SHA512, keys, 0, &out, &sz), SECDEC_E_INVALIDARG);
    ck_assert_status(ISSUE(c, cs, (SecdecOaepHash)7, keys, 2, &out, &sz), SECDEC_E_INVALIDARG);
    ck_assert_status(ISSUE(c, cs, SECDEC_OAEP_SHA512, keys, 2, NULL, &sz), SECDEC_E_INVALIDARG);
    ck_assert_status(ISSUE(c, cs, SECDEC_OAEP_SHA512, keys, 2, &out, NULL), SECDEC_E_INVALIDARG);
    memcpy(keys[1].kid, keys[0].kid, 16); /* duplicate KIDs */
    ck_assert_status(ISSUE(c, cs, SECDEC_OAEP_SHA512, keys, 2, &out, &sz), SECDEC_E_INVALIDARG);
    make_keys(keys, 2);
    /* not a certificate */
    static const uint8_t garbage[64] = {0x30, 0x82, 0x01};
    ck_assert_status(ISSUE(garbage, sizeof garbage, SECDEC_OAEP_SHA512, keys, 2, &out, &sz),
                     SECDEC_E_IDENTITY);
    ck_assert_status(ISSUE(c, cs / 2, SECDEC_OAEP_SHA512, keys, 2, &out, &sz), SECDEC_E_IDENTITY);
    /* a certificate with an RSA-1024 key */
    EVP_PKEY *pk = EVP_RSA_gen(1024);
    X509 *x = X509_new();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_set_issuer_name(x, X509_get_subject_name(x));
    X509_set_pubkey(x, pk);
    ck_assert_int_gt(X509_sign(x, pk, EVP_sha256()), 0);
    uint8_t *small = NULL;
    int small_len = i2d_X509(x, &small);
    ck_assert_int_gt(small_len, 0);
    ck_assert_status(ISSUE(small, (size_t)small_len, SECDEC_OAEP_SHA512, keys, 2, &out, &sz),
                     SECDEC_E_IDENTITY);
    ck_assert_ptr_null(out);
    ck_assert_uint_eq(sz, 0);
#undef ISSUE
    OPENSSL_free(small);
    X509_free(x);
    EVP_PKEY_free(pk);
    fx_close(&fx);
}
END_TEST

START_TEST(t_oom)
{
    Fixture fx;
    fx_open(&fx, g_home);
    SecdecContentKey keys[2];
    make_keys(keys, 2);
    uint8_t *bytes = NULL;
    size_t size = 0;
    int n;
    for (n = 0; n < 1000; n++) {
        sd_fault_alloc_countdown(n);
        SecdecStatus st = secdec_license_issue(fx.cert, fx.cert_size, SECDEC_OAEP_SHA512, keys, 2,
                                               &bytes, &size);
        sd_fault_alloc_countdown(-1);
        if (st == SECDEC_OK)
            break;
        ck_assert_msg(st == SECDEC_E_OUTOFMEMORY, "issue n=%d: %s", n, secdec_status_name(st));
        ck_assert_ptr_null(bytes);
    }
    ck_assert_int_gt(n, 0);
    ck_assert_int_lt(n, 1000);
    SecdecLicense *lic = NULL;
    for (n = 0; n < 1000; n++) {
        sd_fault_alloc_countdown(n);
        SecdecStatus st = secdec_license_parse(bytes, size, &lic);
        sd_fault_alloc_countdown(-1);
        if (st == SECDEC_OK)
            break;
        ck_assert_msg(st == SECDEC_E_OUTOFMEMORY, "parse n=%d: %s", n, secdec_status_name(st));
        ck_assert_ptr_null(lic);
    }
    ck_assert_int_gt(n, 0);
    ck_assert_int_lt(n, 1000);
    /* load: the first content key needs the key table */
    for (n = 0; n < 1000; n++) {
        SecdecCryptoSession *s = tu_create_session(fx.dev);
        sd_fault_alloc_countdown(n);
        SecdecStatus st = secdec_license_load(fx.dev, s, lic);
        sd_fault_alloc_countdown(-1);
        int done = st == SECDEC_OK;
        if (done)
            assert_keys_loaded(s, keys, 2);
        else
            ck_assert_msg(st == SECDEC_E_OUTOFMEMORY, "load n=%d: %s", n, secdec_status_name(st));
        secdec_crypto_session_destroy(&s);
        if (done)
            break;
    }
    ck_assert_int_lt(n, 1000);
    secdec_license_free(&lic);
    secdec_free(bytes);
    fx_close(&fx);
}
END_TEST

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

START_TEST(t_foreign_device)
{
    Fixture a, b;
    fx_open(&a, g_home);
    fx_open(&b, g_home2);
    SecdecContentKey keys[2];
    make_keys(keys, 2);
    size_t size;
    uint8_t *bytes = issue(&b, SECDEC_OAEP_SHA512, keys, 2, &size); /* for device b */
    SecdecLicense *lic = NULL;
    ck_assert_ok(secdec_license_parse(bytes, size, &lic));
    ck_assert_status(secdec_license_load(a.dev, a.s, lic), SECDEC_E_LICENSE_FOREIGN);
    assert_no_keys(a.dev, a.s, keys, 2);
    ck_assert_ok(secdec_license_load(b.dev, b.s, lic));
    assert_keys_loaded(b.s, keys, 2);
    secdec_license_free(&lic);

    /* b's license with its fingerprint rewritten to a's: the blob is not for a */
    uint8_t afp[32];
    ck_assert_ok(secdec_device_get_certificate_fingerprint(a.dev, afp));
    memcpy(bytes + OFF_FP, afp, 32);
    ck_assert_ok(secdec_license_parse(bytes, size, &lic));
    ck_assert_status(secdec_license_load(a.dev, a.s, lic), SECDEC_E_KEY_EXCHANGE);
    assert_no_keys(a.dev, a.s, keys, 2);

    /* store_install refuses a foreign license and writes nothing */
    secdec_license_free(&lic);
    ck_assert_ok(secdec_license_parse(bytes, size, &lic));
    ck_assert_status(secdec_license_store_install(a.dev, lic), SECDEC_E_KEY_EXCHANGE);
    SecdecLicense *found = NULL;
    ck_assert_status(secdec_license_store_find(a.dev, keys[0].kid, &found), SECDEC_E_NO_KEY);
    secdec_license_free(&lic);
    secdec_free(bytes);
    bytes = issue(&b, SECDEC_OAEP_SHA512, keys, 2, &size);
    ck_assert_ok(secdec_license_parse(bytes, size, &lic));
    ck_assert_status(secdec_license_store_install(a.dev, lic), SECDEC_E_LICENSE_FOREIGN);
    ck_assert_status(secdec_license_store_find(a.dev, keys[0].kid, &found), SECDEC_E_NO_KEY);

    secdec_license_free(&lic);
    secdec_free(bytes);
    fx_close(&a);
    fx_close(&b);
}
END_TEST

START_TEST(t_load_session_errors)
{
    Fixture a;
    fx_open(&a, g_home);
    SecdecContentKey keys[1];
    make_keys(keys, 1);
    size_t size;
    uint8_t *bytes = issue(&a, SECDEC_OAEP_SHA512, keys, 1, &size);
    SecdecLicense *lic = NULL;
    ck_assert_ok(secdec_license_parse(bytes, size, &lic));
    SecdecDevice *other = tu_open_device(g_home);
    ck_assert_status(secdec_license_load(other, a.s, lic), SECDEC_E_WRONG_DEVICE);
    ck_assert_status(secdec_license_load(a.dev, a.s, NULL), SECDEC_E_INVALIDARG);
    ck_assert_status(secdec_license_load(NULL, a.s, lic), SECDEC_E_INVALIDARG);
    ck_assert_status(secdec_license_load(a.dev, NULL, lic), SECDEC_E_INVALIDARG);
    assert_no_keys(a.dev, a.s, keys, 1);
    secdec_device_close(&other);

    SecdecDevice *stale = a.dev;
    secdec_device_close(&a.dev);
    ck_assert_status(secdec_license_load(stale, a.s, lic), SECDEC_E_DEVICE_REMOVED);
    secdec_license_free(&lic);
    secdec_free(bytes);
    free(a.cert);
    secdec_crypto_session_destroy(&a.s);
}
END_TEST

/* ============================================================================== store == */

START_TEST(t_store)
{
    /* A private copy of the identity, so the store starts empty. */
    char *home = tu_make_tmpdir();
    static const char *const files[] = {"device.key", "device.crt"};
    for (int i = 0; i < 2; i++) {
        char *src = tu_path(g_home, files[i]), *dst = tu_path(home, files[i]);
        FILE *in = fopen(src, "rb");
        int fd = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        ck_assert(in && fd >= 0);
        uint8_t buf[8192];
        size_t n = fread(buf, 1, sizeof buf, in);
        ck_assert_int_eq(write(fd, buf, n), (ssize_t)n);
        close(fd);
        fclose(in);
        free(src);
        free(dst);
    }
    Fixture fx;
    fx_open(&fx, home);
    SecdecContentKey keys[3];
    make_keys(keys, 3);
    size_t size;
    uint8_t *bytes = issue(&fx, SECDEC_OAEP_SHA256, keys, 3, &size);
    SecdecLicense *lic = NULL, *found = NULL;
    ck_assert_ok(secdec_license_parse(bytes, size, &lic));

    ck_assert_status(secdec_license_store_find(fx.dev, keys[0].kid, &found), SECDEC_E_NO_KEY);
    ck_assert_ok(secdec_license_store_install(fx.dev, lic));

    /* one file per KID, mode 0600, in licenses/ */
    char *dir = tu_path(home, "licenses");
    struct stat sb;
    ck_assert_int_eq(stat(dir, &sb), 0);
    ck_assert(S_ISDIR(sb.st_mode));
    ck_assert_uint_eq(sb.st_mode & 077, 0);
    for (int i = 0; i < 3; i++) {
        char name[64];
        for (int j = 0; j < 16; j++)
            snprintf(name + 2 * j, 3, "%02x", keys[i].kid[j]);
        strcat(name, ".lic");
        char *p = tu_path(dir, name);
        ck_assert_msg(stat(p, &sb) == 0, "%s missing", p);
        ck_assert_uint_eq(sb.st_mode & 07777, 0600);
        ck_assert_uint_eq((size_t)sb.st_size, size);
        free(p);
    }

    /* find by each KID, then load into a new session */
    for (int i = 0; i < 3; i++) {
        ck_assert_ok(secdec_license_store_find(fx.dev, keys[i].kid, &found));
        const uint8_t *b;
        size_t bs;
        ck_assert_ok(secdec_license_get_bytes(found, &b, &bs));
        ck_assert_uint_eq(bs, size);
        ck_assert_mem_eq(b, bytes, size);
        SecdecCryptoSession *s = tu_create_session(fx.dev);
        ck_assert_ok(secdec_license_load(fx.dev, s, found));
        assert_keys_loaded(s, keys, 3);
        secdec_crypto_session_destroy(&s);
        secdec_license_free(&found);
    }
    uint8_t absent[16];
    tu_kid(absent, 0xab);
    ck_assert_status(secdec_license_store_find(fx.dev, absent, &found), SECDEC_E_NO_KEY);
    ck_assert_status(secdec_license_store_find(fx.dev, NULL, &found), SECDEC_E_INVALIDARG);
    ck_assert_status(secdec_license_store_find(fx.dev, absent, NULL), SECDEC_E_INVALIDARG);
    ck_assert_status(secdec_license_store_install(fx.dev, NULL), SECDEC_E_INVALIDARG);

    /* a later license for the same KID replaces the earlier one */
    SecdecContentKey newer[1];
    memcpy(newer[0].kid, keys[1].kid, 16);
    tu_random(newer[0].key, 16);
    size_t size2;
    uint8_t *bytes2 = issue(&fx, SECDEC_OAEP_SHA512, newer, 1, &size2);
    SecdecLicense *lic2 = NULL;
    ck_assert_ok(secdec_license_parse(bytes2, size2, &lic2));
    ck_assert_ok(secdec_license_store_install(fx.dev, lic2));
    ck_assert_ok(secdec_license_store_find(fx.dev, keys[1].kid, &found));
    SecdecCryptoSession *s = tu_create_session(fx.dev);
    ck_assert_ok(secdec_license_load(fx.dev, s, found));
    assert_keys_loaded(s, newer, 1);
    secdec_crypto_session_destroy(&s);
    secdec_license_free(&found);

    /* a tampered license is not installed */
    bytes2[size2 - 5] ^= 1;
    SecdecLicense *bad = NULL;
    ck_assert_ok(secdec_license_parse(bytes2, size2, &bad));
    ck_assert_status(secdec_license_store_install(fx.dev, bad), SECDEC_E_LICENSE_INVALID);
    secdec_license_free(&bad);
    ck_assert_ok(secdec_license_store_find(fx.dev, keys[1].kid, &found)); /* still the good one */
    secdec_license_free(&found);

    /* a corrupt stored file: LICENSE_INVALID */
    char name[64];
    for (int j = 0; j < 16; j++)
        snprintf(name + 2 * j, 3, "%02x", keys[2].kid[j]);
    strcat(name, ".lic");
    char *p = tu_path(dir, name);
    int fd = open(p, O_WRONLY | O_TRUNC);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, "garbage", 7), 7);
    close(fd);
    ck_assert_status(secdec_license_store_find(fx.dev, keys[2].kid, &found),
                     SECDEC_E_LICENSE_INVALID);
    /* a valid license filed under a KID it does not carry: LICENSE_INVALID */
    fd = open(p, O_WRONLY | O_TRUNC);
    ck_assert_int_eq(write(fd, bytes2, size2), (ssize_t)size2);
    close(fd);
    ck_assert_status(secdec_license_store_find(fx.dev, keys[2].kid, &found),
                     SECDEC_E_LICENSE_INVALID);
    ck_assert_ptr_null(found);

    /* read_file */
    ck_assert_ok(secdec_license_read_file(p, &found));
    secdec_license_free(&found);
    char *missing = tu_path(dir, "missing.lic");
    ck_assert_status(secdec_license_read_file(missing, &found), SECDEC_E_IO);
    ck_assert_status(secdec_license_read_file(NULL, &found), SECDEC_E_INVALIDARG);
    ck_assert_status(secdec_license_read_file(p, NULL), SECDEC_E_INVALIDARG);
    /* a huge file is refused without reading it all */
    fd = open(p, O_WRONLY | O_TRUNC);
    ck_assert_int_eq(ftruncate(fd, 10 * 1024 * 1024), 0);
    close(fd);
    ck_assert_status(secdec_license_read_file(p, &found), SECDEC_E_LICENSE_INVALID);

    free(missing);
    free(p);
    free(dir);
    secdec_license_free(&lic2);
    secdec_free(bytes2);
    secdec_license_free(&lic);
    secdec_free(bytes);
    fx_close(&fx);
    tu_rmtree_free(home);
}
END_TEST

START_TEST(t_store_device_removed)
{
    Fixture fx;
    fx_open(&fx, g_home);
    SecdecDevice *stale = fx.dev;
    SecdecContentKey k;
    make_keys(&k, 1);
    size_t size;
    uint8_t *bytes = issue(&fx, SECDEC_OAEP_SHA512, &k, 1, &size);
    SecdecLicense *lic = NULL, *found = NULL;
    ck_assert_ok(secdec_license_parse(bytes, size, &lic));
    secdec_device_close(&fx.dev); /* fx.s keeps the device memory alive */
    ck_assert_status(secdec_license_store_install(stale, lic), SECDEC_E_DEVICE_REMOVED);
    ck_assert_status(secdec_license_store_find(stale, k.kid, &found), SECDEC_E_DEVICE_REMOVED);
    secdec_license_free(&lic);
    secdec_free(bytes);
    fx_close(&fx);
}
END_TEST

static Suite *license_suite(void)
{
    Suite *su = suite_create("license");
    TCase *tc = tcase_create("license");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, t_round_trip, 0, 3);
    tcase_add_test(tc, t_issue_twice_differs);
    tcase_add_test(tc, t_max_keys);
    tcase_add_test(tc, t_issue_errors);
    tcase_add_test(tc, t_oom);
    tcase_add_test(tc, t_foreign_device);
    tcase_add_test(tc, t_load_session_errors);
    suite_add_tcase(su, tc);

    tc = tcase_create("tamper");
    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, t_untampered_loads);
    tcase_add_loop_test(tc, t_tamper_every_byte, 0, 8);
    tcase_add_test(tc, t_tamper_sizes);
    tcase_add_test(tc, t_tamper_splice);
    tcase_add_test(tc, t_failed_load_leaves_no_key);
    suite_add_tcase(su, tc);

    tc = tcase_create("store");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, t_store);
    tcase_add_test(tc, t_store_device_removed);
    suite_add_tcase(su, tc);
    return su;
}

int main(void)
{
    char *tmp = tu_make_tmpdir();
    g_home = tu_path(tmp, "home1");
    g_home2 = tu_path(tmp, "home2");
    SecdecDevice *d = NULL;
    SecdecDeviceSettings st;
    tu_settings(&st, g_home, NULL);
    if (secdec_device_open(&d, &st) != SECDEC_OK)
        return EXIT_FAILURE;
    secdec_device_close(&d);
    tu_settings(&st, g_home2, NULL);
    if (secdec_device_open(&d, &st) != SECDEC_OK)
        return EXIT_FAILURE;
    secdec_device_close(&d);

    SRunner *sr = srunner_create(license_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    free(g_home);
    free(g_home2);
    tu_rmtree_free(tmp);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
