/*
 * test_license_issue.c - issuing licenses and loading them: the round trip for each OAEP
 * hash, fresh randomness per issue, the largest license, bad arguments, allocation failures,
 * a license for another device, and loading into an unsuitable session.
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>

#include "internal.h"
#include "test_license.h"
#include "test_util.h"

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

TCase *license_issue_tcase(void)
{
    TCase *tc = tcase_create("license");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, t_round_trip, 0, 3);
    tcase_add_test(tc, t_issue_twice_differs);
    tcase_add_test(tc, t_max_keys);
    tcase_add_test(tc, t_issue_errors);
    tcase_add_test(tc, t_oom);
    tcase_add_test(tc, t_foreign_device);
    tcase_add_test(tc, t_load_session_errors);
    return tc;
}
