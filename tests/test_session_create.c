/*
 * test_session_create.c - CreateCryptoSession (each return code, allocation failures), a
 * session used with the wrong device or after its device was closed, the certificate chain and
 * the session handle.
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "internal.h"
#include "test_session.h"
#include "test_util.h"

/* ==================================================================== CreateCryptoSession == */

START_TEST(t_create_ok)
{
    SecdecDevice *dev = tu_open_device(g_home);
    SecdecCryptoSession *s = NULL;
    ck_assert_ok(secdec_create_crypto_session(dev, &SECDEC_CRYPTO_TYPE_AES128_CTR,
                                              &SECDEC_DECODER_PROFILE_H264_VLD_NOFGT,
                                              &SECDEC_KEY_EXCHANGE_RSAES_OAEP, &s));
    ck_assert_ptr_nonnull(s);
    SecdecGuid g;
    ck_assert_ok(secdec_crypto_session_get_crypto_type(dev, s, &g));
    ck_assert(secdec_guid_equal(&g, &SECDEC_CRYPTO_TYPE_AES128_CTR));
    ck_assert_ok(secdec_crypto_session_get_decoder_profile(dev, s, &g));
    ck_assert(secdec_guid_equal(&g, &SECDEC_DECODER_PROFILE_H264_VLD_NOFGT));
    ck_assert_ok(secdec_crypto_session_get_key_exchange_type(dev, s, &g));
    ck_assert(secdec_guid_equal(&g, &SECDEC_KEY_EXCHANGE_RSAES_OAEP));
    ck_assert_status(secdec_crypto_session_get_crypto_type(dev, s, NULL), SECDEC_E_INVALIDARG);
    ck_assert_status(secdec_crypto_session_get_decoder_profile(dev, s, NULL), SECDEC_E_INVALIDARG);
    ck_assert_status(secdec_crypto_session_get_key_exchange_type(dev, s, NULL),
                     SECDEC_E_INVALIDARG);
    secdec_crypto_session_destroy(&s);
    ck_assert_ptr_null(s);
    secdec_crypto_session_destroy(&s);  /* no-op */
    secdec_crypto_session_destroy(NULL); /* no-op */
    secdec_device_close(&dev);
}
END_TEST

START_TEST(t_create_no_profile)
{
    /* NULL and NULL-GUID profile: not used for decoding; GetDecoderProfile gives GUID_NULL. */
    SecdecDevice *dev = tu_open_device(g_home);
    for (int i = 0; i < 2; i++) {
        SecdecCryptoSession *s = NULL;
        ck_assert_ok(secdec_create_crypto_session(dev, &SECDEC_CRYPTO_TYPE_AES128_CBC,
                                                  i ? &SECDEC_GUID_NULL : NULL,
                                                  &SECDEC_KEY_EXCHANGE_RSAES_OAEP, &s));
        SecdecGuid g = SECDEC_CRYPTO_TYPE_AES128_CTR;
        ck_assert_ok(secdec_crypto_session_get_decoder_profile(dev, s, &g));
        ck_assert(secdec_guid_equal(&g, &SECDEC_GUID_NULL));
        secdec_crypto_session_destroy(&s);
    }
    secdec_device_close(&dev);
}
END_TEST

static void expect_create(SecdecDevice *dev, const SecdecGuid *ct, const SecdecGuid *prof,
                          const SecdecGuid *kx, SecdecStatus want, const char *what)
{
    SecdecCryptoSession *s = (SecdecCryptoSession *)(uintptr_t)1;
    SecdecStatus got = secdec_create_crypto_session(dev, ct, prof, kx, &s);
    ck_assert_msg(got == want, "%s: got %s, expected %s", what, secdec_status_name(got),
                  secdec_status_name(want));
    ck_assert_msg(s == (SecdecCryptoSession *)(uintptr_t)1, "%s: *out written on error", what);
}

START_TEST(t_create_errors)
{
    SecdecDevice *dev = tu_open_device(g_home);
    const SecdecGuid *ctr = &SECDEC_CRYPTO_TYPE_AES128_CTR, *cbc = &SECDEC_CRYPTO_TYPE_AES128_CBC;
    const SecdecGuid *oaep = &SECDEC_KEY_EXCHANGE_RSAES_OAEP;
    /* D3DDDIERR_NOTAVAILABLE: the NULL GUID or an unsupported crypto-type GUID. */
    expect_create(dev, &SECDEC_GUID_NULL, NULL, oaep, SECDEC_E_NOTAVAILABLE, "NULL GUID crypto");
    expect_create(dev, &CRYPTO_PROPRIETARY, NULL, oaep, SECDEC_E_NOTAVAILABLE, "proprietary");
    expect_create(dev, &SECDEC_DECODER_PROFILE_H264_VLD_NOFGT, NULL, oaep, SECDEC_E_NOTAVAILABLE,
                  "profile GUID as crypto type");
    /* ... decided on the crypto type before the profile is looked at. */
    expect_create(dev, &SECDEC_GUID_NULL, &SECDEC_DECODER_PROFILE_VP9_VLD_PROFILE0, oaep,
                  SECDEC_E_NOTAVAILABLE, "NULL GUID crypto + VP9");
    expect_create(dev, &CRYPTO_PROPRIETARY, &PROFILE_UNKNOWN, oaep, SECDEC_E_NOTAVAILABLE,
                  "proprietary + unknown profile");
    /* D3DDDIERR_UNSUPPORTEDCRYPTO: the profile cannot use the crypto type. */
    expect_create(dev, cbc, &SECDEC_DECODER_PROFILE_VP9_VLD_PROFILE0, oaep,
                  SECDEC_E_UNSUPPORTEDCRYPTO, "CBC + VP9");
    expect_create(dev, ctr, &PROFILE_UNKNOWN, oaep, SECDEC_E_UNSUPPORTEDCRYPTO,
                  "unknown profile");
    expect_create(dev, cbc, &PROFILE_UNKNOWN, oaep, SECDEC_E_UNSUPPORTEDCRYPTO,
                  "CBC + unknown profile");
    /* Key exchange types not offered by the software backend. */
    expect_create(dev, ctr, NULL, &SECDEC_KEY_EXCHANGE_HW_PROTECTION, SECDEC_E_NOTAVAILABLE,
                  "HW_PROTECTION");
    expect_create(dev, ctr, &SECDEC_DECODER_PROFILE_H264_VLD_NOFGT,
                  &SECDEC_KEY_EXCHANGE_HW_PROTECTION, SECDEC_E_NOTAVAILABLE,
                  "HW_PROTECTION + H264");
    expect_create(dev, ctr, NULL, &KEY_EXCHANGE_DXVA, SECDEC_E_NOTAVAILABLE, "DXVA key exchange");
    expect_create(dev, ctr, NULL, &SECDEC_GUID_NULL, SECDEC_E_NOTAVAILABLE, "NULL GUID kx");
    /* NULL pointers */
    expect_create(NULL, ctr, NULL, oaep, SECDEC_E_INVALIDARG, "NULL device");
    expect_create(dev, NULL, NULL, oaep, SECDEC_E_INVALIDARG, "NULL crypto type");
    expect_create(dev, ctr, NULL, NULL, SECDEC_E_INVALIDARG, "NULL key exchange");
    ck_assert_status(secdec_create_crypto_session(dev, ctr, NULL, oaep, NULL),
                     SECDEC_E_INVALIDARG);
    secdec_device_close(&dev);
}
END_TEST

START_TEST(t_create_oom)
{
    /* sd_fault_alloc_countdown(n) for n = 0, 1, 2, ... until creation succeeds: every failure
     * is E_OUTOFMEMORY and leaks nothing (checked by ASan's leak checker in CI). */
    SecdecDevice *dev = tu_open_device(g_home);
    int n;
    for (n = 0; n < 1000; n++) {
        SecdecCryptoSession *s = NULL;
        sd_fault_alloc_countdown(n);
        SecdecStatus st = secdec_create_crypto_session(dev, &SECDEC_CRYPTO_TYPE_AES128_CTR,
                                                       &SECDEC_DECODER_PROFILE_H264_VLD_NOFGT,
                                                       &SECDEC_KEY_EXCHANGE_RSAES_OAEP, &s);
        sd_fault_alloc_countdown(-1);
        if (st == SECDEC_OK) {
            /* the session that finally got its memory works */
            tu_negotiate(dev, s, NULL);
            secdec_crypto_session_destroy(&s);
            break;
        }
        ck_assert_msg(st == SECDEC_E_OUTOFMEMORY, "n=%d: %s", n, secdec_status_name(st));
        ck_assert_ptr_null(s);
    }
    ck_assert_msg(n > 0, "CreateCryptoSession made no allocation through the fault hook");
    ck_assert_int_lt(n, 1000);
    secdec_device_close(&dev);
}
END_TEST

START_TEST(t_negotiate_and_content_key_oom)
{
    SecdecDevice *dev = tu_open_device(g_home);
    SecdecCryptoSession *s = tu_create_session(dev);
    uint8_t key[16], blob[256];
    tu_random(key, 16);
    tu_make_blob(dev, s, EVP_sha512(), key, 16, blob);
    int n;
    for (n = 0; n < 1000; n++) {
        sd_fault_alloc_countdown(n);
        SecdecStatus st = secdec_negotiate_crypto_session_key_exchange(dev, s, 256, blob);
        sd_fault_alloc_countdown(-1);
        if (st == SECDEC_OK)
            break;
        ck_assert_msg(st == SECDEC_E_OUTOFMEMORY, "n=%d: %s", n, secdec_status_name(st));
    }
    ck_assert_int_lt(n, 1000);
    ck_assert(tu_session_key_is(s, key));

    uint8_t kid[16], ck[16], wrapped[16];
    tu_kid(kid, 0x42);
    tu_random(ck, 16);
    tu_aes_ecb_encrypt(key, ck, wrapped);
    for (n = 0; n < 1000; n++) {
        sd_fault_alloc_countdown(n);
        SecdecStatus st = secdec_crypto_session_set_content_key(dev, s, kid, 16, wrapped);
        sd_fault_alloc_countdown(-1);
        if (st == SECDEC_OK)
            break;
        ck_assert_msg(st == SECDEC_E_OUTOFMEMORY, "n=%d: %s", n, secdec_status_name(st));
        ck_assert_status(secdec_crypto_session_has_content_key(dev, s, kid), SECDEC_E_NO_KEY);
    }
    ck_assert_int_lt(n, 1000);
    ck_assert_ok(secdec_crypto_session_has_content_key(dev, s, kid));
    secdec_crypto_session_destroy(&s);
    secdec_device_close(&dev);
}
END_TEST

/* ========================================================= wrong device / device removed == */

/* Calls every session function with (dev, s) and expects `want` from each; outputs must stay
 * untouched. */
static void expect_all_session_calls(SecdecDevice *dev, SecdecCryptoSession *s, SecdecStatus want)
{
    SecdecGuid g = SECDEC_GUID_NULL;
    uint64_t h = 0;
    uint32_t size = 0;
    uint8_t buf[4096], blob[256], rnd[16], kid[16], wrapped[16];
    SecdecCryptoSessionStatus cs = (SecdecCryptoSessionStatus)77;
    memset(buf, 0xa5, sizeof buf);
    memset(blob, 0x11, sizeof blob);
    memset(rnd, 0xa5, sizeof rnd);
    memset(wrapped, 0x22, sizeof wrapped);
    tu_kid(kid, 0x01);

    ck_assert_status(secdec_crypto_session_get_crypto_type(dev, s, &g), want);
    ck_assert_status(secdec_crypto_session_get_decoder_profile(dev, s, &g), want);
    ck_assert_status(secdec_crypto_session_get_key_exchange_type(dev, s, &g), want);
    ck_assert(secdec_guid_equal(&g, &SECDEC_GUID_NULL));
    ck_assert_status(secdec_crypto_session_get_handle(dev, s, &h), want);
    ck_assert_uint_eq(h, 0);
    ck_assert_status(secdec_crypto_session_get_certificate_size(dev, s, &size), want);
    ck_assert_uint_eq(size, 0);
    ck_assert_status(secdec_crypto_session_get_certificate(dev, s, sizeof buf, buf), want);
    ck_assert_uint_eq(buf[0], 0xa5);
    ck_assert_status(secdec_crypto_session_set_oaep_hash(dev, s, SECDEC_OAEP_SHA256), want);
    ck_assert_status(secdec_negotiate_crypto_session_key_exchange(dev, s, sizeof blob, blob),
                     want);
    ck_assert_status(secdec_start_session_key_refresh(dev, s, sizeof rnd, rnd), want);
    ck_assert_uint_eq(rnd[0], 0xa5);
    ck_assert_uint_eq(rnd[15], 0xa5);
    ck_assert_status(secdec_finish_session_key_refresh(dev, s), want);
    ck_assert_status(secdec_check_crypto_session_status(dev, s, &cs), want);
    ck_assert_int_eq(cs, 77);
    ck_assert_status(secdec_crypto_session_set_content_key(dev, s, kid, 16, wrapped), want);
    ck_assert_status(secdec_crypto_session_set_content_key(dev, s, kid, 0, NULL), want);
    ck_assert_status(secdec_crypto_session_remove_content_key(dev, s, kid), want);
    ck_assert_status(secdec_crypto_session_has_content_key(dev, s, kid), want);
}

START_TEST(t_wrong_device)
{
    /* Two handles, even on the same identity, are two devices. */
    SecdecDevice *a = tu_open_device(g_home);
    SecdecDevice *b = tu_open_device(g_home);
    SecdecDevice *c = tu_open_device(g_home2);
    SecdecCryptoSession *s = tu_create_session(a);
    uint8_t key[16];
    tu_negotiate(a, s, key);
    uint8_t kid[16], ck[16], wrapped[16];
    tu_kid(kid, 0x01);
    tu_random(ck, 16);
    tu_aes_ecb_encrypt(key, ck, wrapped);
    ck_assert_ok(secdec_crypto_session_set_content_key(a, s, kid, 16, wrapped));

    expect_all_session_calls(b, s, SECDEC_E_WRONG_DEVICE);
    expect_all_session_calls(c, s, SECDEC_E_WRONG_DEVICE);

    /* Nothing the wrong device asked for happened. */
    ck_assert(tu_session_key_is(s, key));
    ck_assert_ok(secdec_crypto_session_has_content_key(a, s, kid));
    SecdecGuid g;
    ck_assert_ok(secdec_crypto_session_get_crypto_type(a, s, &g));

    /* NULL device / session */
    expect_all_session_calls(NULL, s, SECDEC_E_INVALIDARG);
    expect_all_session_calls(a, NULL, SECDEC_E_INVALIDARG);

    secdec_crypto_session_destroy(&s);
    secdec_device_close(&a);
    secdec_device_close(&b);
    secdec_device_close(&c);
}
END_TEST

START_TEST(t_device_removed)
{
    SecdecDevice *dev = tu_open_device(g_home);
    SecdecCryptoSession *s1 = tu_create_session(dev);
    SecdecCryptoSession *s2 = tu_create_session(dev);
    tu_negotiate(dev, s1, NULL);
    SecdecDevice *stale = dev;
    secdec_device_close(&dev);
    ck_assert_ptr_null(dev);

    /* The device's memory stays valid until the last session is destroyed. */
    expect_all_session_calls(stale, s1, SECDEC_E_DEVICE_REMOVED);
    expect_all_session_calls(stale, s2, SECDEC_E_DEVICE_REMOVED);
    SecdecCryptoSession *s3 = (SecdecCryptoSession *)(uintptr_t)1;
    ck_assert_status(secdec_create_crypto_session(stale, &SECDEC_CRYPTO_TYPE_AES128_CTR, NULL,
                                                  &SECDEC_KEY_EXCHANGE_RSAES_OAEP, &s3),
                     SECDEC_E_DEVICE_REMOVED);
    ck_assert_ptr_eq(s3, (SecdecCryptoSession *)(uintptr_t)1);
    SecdecContentProtectionCaps caps;
    ck_assert_status(secdec_device_get_content_protection_caps(
                         stale, &SECDEC_CRYPTO_TYPE_AES128_CTR, NULL, &caps),
                     SECDEC_E_DEVICE_REMOVED);
    SecdecBackend be;
    ck_assert_status(secdec_device_get_backend(stale, &be), SECDEC_E_DEVICE_REMOVED);
    uint8_t fp[32];
    ck_assert_status(secdec_device_get_certificate_fingerprint(stale, fp),
                     SECDEC_E_DEVICE_REMOVED);
    ck_assert_int_eq(secdec_device_memory_locked(stale), -1);

    secdec_crypto_session_destroy(&s1);
    ck_assert_ptr_null(s1);
    expect_all_session_calls(stale, s2, SECDEC_E_DEVICE_REMOVED);
    secdec_crypto_session_destroy(&s2); /* frees the device (ASan: no leak, no UAF) */
    ck_assert_ptr_null(s2);
}
END_TEST

START_TEST(t_session_outlives_device_then_other_device)
{
    /* A session of a closed device used with a live device: WRONG_DEVICE (the live one did not
     * create it) or DEVICE_REMOVED are both acceptable; it must not succeed. */
    SecdecDevice *dev = tu_open_device(g_home);
    SecdecDevice *other = tu_open_device(g_home);
    SecdecCryptoSession *s = tu_create_session(dev);
    secdec_device_close(&dev);
    SecdecGuid g;
    SecdecStatus st = secdec_crypto_session_get_crypto_type(other, s, &g);
    ck_assert_msg(st == SECDEC_E_WRONG_DEVICE || st == SECDEC_E_DEVICE_REMOVED, "%s",
                  secdec_status_name(st));
    secdec_crypto_session_destroy(&s);
    secdec_device_close(&other);
}
END_TEST

/* ========================================================== certificate / handle / getters == */

START_TEST(t_certificate)
{
    SecdecDevice *dev = tu_open_device(g_home);
    SecdecCryptoSession *s = tu_create_session(dev);
    uint32_t n = 0;
    ck_assert_ok(secdec_crypto_session_get_certificate_size(dev, s, &n));
    ck_assert_uint_gt(n, 256);

    uint8_t *buf = malloc(n + 64);
    memset(buf, 0xa5, n + 64);
    /* too small: INVALIDARG and nothing written */
    ck_assert_status(secdec_crypto_session_get_certificate(dev, s, n - 1, buf),
                     SECDEC_E_INVALIDARG);
    ck_assert_status(secdec_crypto_session_get_certificate(dev, s, 0, buf), SECDEC_E_INVALIDARG);
    for (uint32_t i = 0; i < n + 64; i++)
        ck_assert_uint_eq(buf[i], 0xa5);
    ck_assert_status(secdec_crypto_session_get_certificate(dev, s, n, NULL), SECDEC_E_INVALIDARG);
    ck_assert_status(secdec_crypto_session_get_certificate_size(dev, s, NULL),
                     SECDEC_E_INVALIDARG);

    /* larger buffer: OK, exactly n bytes written */
    ck_assert_ok(secdec_crypto_session_get_certificate(dev, s, n + 64, buf));
    for (uint32_t i = n; i < n + 64; i++)
        ck_assert_uint_eq(buf[i], 0xa5);

    /* leaf first: parses as X.509 DER, RSA-2048 */
    const uint8_t *p = buf;
    X509 *x = d2i_X509(NULL, &p, (long)n);
    ck_assert_ptr_nonnull(x);
    ck_assert(p <= buf + n);
    EVP_PKEY *pk = X509_get0_pubkey(x);
    ck_assert_ptr_nonnull(pk);
    ck_assert_int_eq(EVP_PKEY_get_base_id(pk), EVP_PKEY_RSA);
    ck_assert_int_eq(EVP_PKEY_get_bits(pk), 2048);
    /* the rest of the chain, if any, is DER certificates too */
    while (p < buf + n) {
        X509 *y = d2i_X509(NULL, &p, (long)(buf + n - p));
        ck_assert_ptr_nonnull(y);
        X509_free(y);
    }
    ck_assert_ptr_eq(p, buf + n);
    X509_free(x);

    /* the chain is the device.crt of the home */
    char *crt = tu_path(g_home, "device.crt");
    ck_assert(tu_file_equals(crt, buf, n));
    free(crt);

    /* every session of the device returns the same chain */
    SecdecCryptoSession *s2 = NULL;
    ck_assert_ok(secdec_create_crypto_session(dev, &SECDEC_CRYPTO_TYPE_AES128_CBC,
                                              &SECDEC_DECODER_PROFILE_AV1_VLD_PROFILE0,
                                              &SECDEC_KEY_EXCHANGE_RSAES_OAEP, &s2));
    size_t n2;
    uint8_t *b2 = tu_get_certificate(dev, s2, &n2);
    ck_assert_uint_eq(n2, n);
    ck_assert_mem_eq(b2, buf, n);
    free(b2);
    secdec_crypto_session_destroy(&s2);
    free(buf);
    secdec_crypto_session_destroy(&s);
    secdec_device_close(&dev);
}
END_TEST

START_TEST(t_handle)
{
    SecdecDevice *a = tu_open_device(g_home);
    SecdecDevice *b = tu_open_device(g_home2);
    SecdecCryptoSession *s[4] = {tu_create_session(a), tu_create_session(a), tu_create_session(b),
                                 tu_create_session(b)};
    uint64_t h[4];
    for (int i = 0; i < 4; i++) {
        SecdecDevice *d = i < 2 ? a : b;
        h[i] = 0;
        ck_assert_ok(secdec_crypto_session_get_handle(d, s[i], &h[i]));
        ck_assert_uint_ne(h[i], 0);
        uint64_t again = 0;
        ck_assert_ok(secdec_crypto_session_get_handle(d, s[i], &again));
        ck_assert_uint_eq(again, h[i]); /* stable */
        for (int j = 0; j < i; j++)
            ck_assert_uint_ne(h[i], h[j]); /* process-unique */
        ck_assert_status(secdec_crypto_session_get_handle(d, s[i], NULL), SECDEC_E_INVALIDARG);
    }
    for (int i = 0; i < 4; i++)
        secdec_crypto_session_destroy(&s[i]);
    /* a new session after destroying gets a handle not in use */
    SecdecCryptoSession *t = tu_create_session(a);
    uint64_t ht;
    ck_assert_ok(secdec_crypto_session_get_handle(a, t, &ht));
    ck_assert_uint_ne(ht, 0);
    secdec_crypto_session_destroy(&t);
    secdec_device_close(&a);
    secdec_device_close(&b);
}
END_TEST

TCase *session_create_tcase(void)
{
    TCase *tc = tcase_create("create");
    tcase_add_test(tc, t_create_ok);
    tcase_add_test(tc, t_create_no_profile);
    tcase_add_test(tc, t_create_errors);
    tcase_add_test(tc, t_create_oom);
    tcase_add_test(tc, t_negotiate_and_content_key_oom);
    tcase_add_test(tc, t_wrong_device);
    tcase_add_test(tc, t_device_removed);
    tcase_add_test(tc, t_session_outlives_device_then_other_device);
    tcase_add_test(tc, t_certificate);
    tcase_add_test(tc, t_handle);
    return tc;
}
