/*
 * test_hw_device.c - the VA-API backend as a device: backend selection (VAAPI, AUTO,
 * SOFTWARE, no module), the application's own VA display, caps, and the key exchange in the TEE
 * (RSAES-OAEP, content keys, refresh, HW_PROTECTION pass-through).
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include "test_hw.h"
#include "test_util.h"

/* ---- tests -------------------------------------------------------------------------------- */

START_TEST(test_selection)
{
    SecdecDevice *dev = NULL;
    SecdecBackend be;
    ck_assert_int_eq(open_dev(SECDEC_BACKEND_VAAPI, &dev), SECDEC_OK);
    ck_assert_int_eq(secdec_device_get_backend(dev, &be), SECDEC_OK);
    ck_assert_int_eq(be, SECDEC_BACKEND_VAAPI);
    /* the device identity is the TEE's certificate */
    SecdecCryptoSession *s = NULL;
    uint8_t fp[32], md[32];
    ck_assert_int_eq(secdec_create_crypto_session(dev, &SECDEC_CRYPTO_TYPE_AES128_CTR, NULL,
                                                  &SECDEC_KEY_EXCHANGE_RSAES_OAEP, &s),
                     SECDEC_OK);
    uint32_t n;
    ck_assert_int_eq(secdec_crypto_session_get_certificate_size(dev, s, &n), SECDEC_OK);
    uint8_t *cert = malloc(n);
    ck_assert_int_eq(secdec_crypto_session_get_certificate(dev, s, n - 1, cert), SECDEC_E_INVALIDARG);
    ck_assert_int_eq(secdec_crypto_session_get_certificate(dev, s, n, cert), SECDEC_OK);
    unsigned l = 32;
    EVP_Digest(cert, n, md, &l, EVP_sha256(), NULL);
    ck_assert_int_eq(secdec_device_get_certificate_fingerprint(dev, fp), SECDEC_OK);
    ck_assert_int_eq(memcmp(fp, md, 32), 0);
    free(cert);
    secdec_crypto_session_destroy(&s);
    secdec_device_close(&dev);
    /* AUTO picks VA-API when a capable device exists, software when none */
    ck_assert_int_eq(open_dev(SECDEC_BACKEND_AUTO, &dev), SECDEC_OK);
    secdec_device_get_backend(dev, &be);
    ck_assert_int_eq(be, SECDEC_BACKEND_VAAPI);
    secdec_device_close(&dev);
    unsetenv("SECDEC_VA_TEST_DRIVER");
    if (access("/dev/dri", F_OK) != 0) { /* CI: no GPU at all */
        ck_assert_int_eq(open_dev(SECDEC_BACKEND_AUTO, &dev), SECDEC_OK);
        secdec_device_get_backend(dev, &be);
        ck_assert_int_eq(be, SECDEC_BACKEND_SOFTWARE);
        secdec_device_close(&dev);
        ck_assert_int_eq(open_dev(SECDEC_BACKEND_VAAPI, &dev), SECDEC_E_NOTAVAILABLE);
    }
    /* forced software stays software with a capable device present */
    setenv("SECDEC_VA_TEST_DRIVER", "secdec_test", 1);
    ck_assert_int_eq(open_dev(SECDEC_BACKEND_SOFTWARE, &dev), SECDEC_OK);
    secdec_device_get_backend(dev, &be);
    ck_assert_int_eq(be, SECDEC_BACKEND_SOFTWARE);
    secdec_device_close(&dev);
    /* a driver without secdec's TEE protocol / a missing driver: NOTAVAILABLE */
    setenv("SECDEC_VA_TEST_DRIVER", "no_such_driver", 1);
    ck_assert_int_eq(open_dev(SECDEC_BACKEND_VAAPI, &dev), SECDEC_E_NOTAVAILABLE);
}
END_TEST

START_TEST(test_no_module)
{
    /* fresh process (Check forks): the module is not found, VAAPI is NOTAVAILABLE, AUTO falls
     * back to software */
    setenv("SECDEC_BACKEND_PATH", "/nonexistent", 1);
    SecdecDevice *dev = NULL;
    ck_assert_int_eq(open_dev(SECDEC_BACKEND_VAAPI, &dev), SECDEC_E_NOTAVAILABLE);
    ck_assert_int_eq(open_dev(SECDEC_BACKEND_AUTO, &dev), SECDEC_OK);
    SecdecBackend be;
    secdec_device_get_backend(dev, &be);
    ck_assert_int_eq(be, SECDEC_BACKEND_SOFTWARE);
    secdec_device_close(&dev);
}
END_TEST

START_TEST(test_app_display)
{
    /* The application's own display (here: the device's, borrowed through a first device). */
    SecdecDevice *owner = NULL, *dev = NULL;
    ck_assert_int_eq(open_dev(SECDEC_BACKEND_VAAPI, &owner), SECDEC_OK);
    uint8_t skey[16];
    SecdecCryptoSession *s0 = new_session(owner, &SECDEC_CRYPTO_TYPE_AES128_CTR, skey);
    VADisplay dpy;
    VAProtectedSessionID ps;
    ck_assert_int_eq(secdec_vaapi_session_get_display(owner, s0, &dpy, &ps), SECDEC_OK);
    SecdecDeviceSettings set;
    secdec_device_default_settings(&set);
    set.backend = SECDEC_BACKEND_VAAPI;
    set.home_dir = home;
    set.va_display = dpy;
    unsetenv("SECDEC_VA_TEST_DRIVER"); /* only the given display can work */
    ck_assert_int_eq(secdec_device_open(&dev, &set), SECDEC_OK);
    SecdecCryptoSession *s = new_session(dev, &SECDEC_CRYPTO_TYPE_AES128_CBC, skey);
    VADisplay d2;
    ck_assert_int_eq(secdec_vaapi_session_get_display(dev, s, &d2, &ps), SECDEC_OK);
    ck_assert_ptr_eq(d2, dpy);
    secdec_crypto_session_destroy(&s);
    secdec_device_close(&dev);
    /* borrowed: still alive */
    ck_assert_ptr_nonnull(vaQueryVendorString(dpy));
    secdec_crypto_session_destroy(&s0);
    secdec_device_close(&owner);
}
END_TEST

START_TEST(test_caps)
{
    SecdecDevice *dev = NULL;
    ck_assert_int_eq(open_dev(SECDEC_BACKEND_VAAPI, &dev), SECDEC_OK);
    SecdecContentProtectionCaps caps;
    ck_assert_int_eq(secdec_device_get_content_protection_caps(dev, &SECDEC_CRYPTO_TYPE_AES128_CTR,
                                                              &SECDEC_DECODER_PROFILE_HEVC_VLD_MAIN, &caps),
                     SECDEC_OK);
    ck_assert(caps.caps & SECDEC_CAPS_HARDWARE);
    ck_assert(!(caps.caps & SECDEC_CAPS_SOFTWARE));
    ck_assert(caps.caps & SECDEC_CAPS_SEQUENTIAL_CTR_IV);
    ck_assert_uint_eq(caps.key_exchange_type_count, 2);
    SecdecGuid kx;
    ck_assert_int_eq(secdec_device_check_crypto_key_exchange(dev, &SECDEC_CRYPTO_TYPE_AES128_CBC, NULL, 1, &kx),
                     SECDEC_OK);
    ck_assert(secdec_guid_equal(&kx, &SECDEC_KEY_EXCHANGE_HW_PROTECTION));
    ck_assert_int_eq(secdec_device_check_crypto_key_exchange(dev, &SECDEC_CRYPTO_TYPE_AES128_CBC, NULL, 2, &kx),
                     SECDEC_E_INVALIDARG);
    /* the driver has no VP9/AV1/HEVC Main10 decode: what it reports decides */
    ck_assert_int_eq(secdec_device_get_content_protection_caps(dev, &SECDEC_CRYPTO_TYPE_AES128_CTR,
                                                              &SECDEC_DECODER_PROFILE_VP9_VLD_PROFILE0, &caps),
                     SECDEC_E_UNSUPPORTEDCRYPTO);
    ck_assert_int_eq(secdec_device_get_content_protection_caps(dev, &SECDEC_GUID_NULL, NULL, &caps),
                     SECDEC_E_NOTAVAILABLE);
    SecdecCryptoSession *s = NULL;
    ck_assert_int_eq(secdec_create_crypto_session(dev, &SECDEC_CRYPTO_TYPE_AES128_CTR,
                                                  &SECDEC_DECODER_PROFILE_HEVC_VLD_MAIN10,
                                                  &SECDEC_KEY_EXCHANGE_RSAES_OAEP, &s),
                     SECDEC_E_UNSUPPORTEDCRYPTO);
    ck_assert_int_eq(secdec_create_crypto_session(dev, &SECDEC_GUID_NULL, NULL,
                                                  &SECDEC_KEY_EXCHANGE_RSAES_OAEP, &s),
                     SECDEC_E_NOTAVAILABLE);
    ck_assert_int_eq(secdec_create_crypto_session(dev, &SECDEC_CRYPTO_TYPE_AES128_CTR, NULL,
                                                  &SECDEC_DECODER_PROFILE_H264_VLD_NOFGT, &s),
                     SECDEC_E_NOTAVAILABLE);
    secdec_device_close(&dev);
}
END_TEST

START_TEST(test_key_exchange)
{
    SecdecDevice *dev = NULL;
    ck_assert_int_eq(open_dev(SECDEC_BACKEND_VAAPI, &dev), SECDEC_OK);
    SecdecCryptoSession *s = NULL;
    ck_assert_int_eq(secdec_create_crypto_session(dev, &SECDEC_CRYPTO_TYPE_AES128_CTR, NULL,
                                                  &SECDEC_KEY_EXCHANGE_RSAES_OAEP, &s),
                     SECDEC_OK);
    uint8_t kid[16] = {1}, w[16] = {2}, blob[256] = {0};
    /* no session key yet */
    ck_assert_int_eq(secdec_crypto_session_set_content_key(dev, s, kid, 16, w), SECDEC_E_INVALIDCALL);
    ck_assert_int_eq(secdec_negotiate_crypto_session_key_exchange(dev, s, 256, blob), SECDEC_E_KEY_EXCHANGE);
    ck_assert_int_eq(secdec_negotiate_crypto_session_key_exchange(dev, s, 255, blob), SECDEC_E_INVALIDARG);
    /* SHA-256 selected */
    uint32_t n;
    secdec_crypto_session_get_certificate_size(dev, s, &n);
    uint8_t *cert = malloc(n);
    secdec_crypto_session_get_certificate(dev, s, n, cert);
    uint8_t key[16] = {9};
    ck_assert_int_eq(tu_oaep_encrypt(cert, n, EVP_sha256(), key, 16, blob), 0);
    ck_assert_int_eq(secdec_negotiate_crypto_session_key_exchange(dev, s, 256, blob), SECDEC_E_KEY_EXCHANGE);
    ck_assert_int_eq(secdec_crypto_session_set_oaep_hash(dev, s, SECDEC_OAEP_SHA256), SECDEC_OK);
    ck_assert_int_eq(secdec_negotiate_crypto_session_key_exchange(dev, s, 256, blob), SECDEC_OK);
    ck_assert_int_eq(secdec_crypto_session_set_content_key(dev, s, kid, 16, w), SECDEC_OK);
    ck_assert_int_eq(secdec_crypto_session_has_content_key(dev, s, kid), SECDEC_OK);
    ck_assert_int_eq(secdec_crypto_session_remove_content_key(dev, s, kid), SECDEC_OK);
    ck_assert_int_eq(secdec_crypto_session_has_content_key(dev, s, kid), SECDEC_E_NO_KEY);
    /* keys never come out in clear on a hardware session */
    SecdecSampleInfo info;
    secdec_sample_info_default(&info);
    SecdecProtectedBuffer *pb = NULL;
    uint8_t sample[32] = {0}, rnd[16];
    ck_assert_int_eq(secdec_decrypt_sample(dev, s, &info, sample, 32, &pb), SECDEC_E_NOTIMPL);
    /* ... but a sample is copied unchanged into protected memory (no key involved) */
    sample[3] = 0x5a;
    ck_assert_int_eq(secdec_decrypt_sample(dev, s, NULL, sample, 32, &pb), SECDEC_OK);
    {
        const uint8_t *pd = NULL;
        size_t psize = 0;
        ck_assert_int_eq(secdec_protected_buffer_map_for_decode(pb, &pd, &psize), SECDEC_OK);
        ck_assert_uint_eq(psize, 32);
        ck_assert_mem_eq(pd, sample, 32);
        secdec_protected_buffer_release(&pb);
    }
    /* refresh runs in the TEE (test_key_refresh decodes across one) */
    ck_assert_int_eq(secdec_finish_session_key_refresh(dev, s), SECDEC_E_INVALIDCALL);
    ck_assert_int_eq(secdec_start_session_key_refresh(dev, s, 15, rnd), SECDEC_E_INVALIDARG);
    ck_assert_int_eq(secdec_start_session_key_refresh(dev, s, 16, rnd), SECDEC_OK);
    ck_assert_int_eq(secdec_finish_session_key_refresh(dev, s), SECDEC_OK);
    ck_assert_int_eq(secdec_finish_session_key_refresh(dev, s), SECDEC_E_INVALIDCALL);
    free(cert);
    secdec_crypto_session_destroy(&s);
    /* HW_PROTECTION: messages pass through to the TEE */
    ck_assert_int_eq(secdec_create_crypto_session(dev, &SECDEC_CRYPTO_TYPE_AES128_CTR, NULL,
                                                  &SECDEC_KEY_EXCHANGE_HW_PROTECTION, &s),
                     SECDEC_OK);
    ck_assert_int_eq(secdec_crypto_session_get_certificate_size(dev, s, &n), SECDEC_E_NOTAVAILABLE);
    uint8_t msg[3] = {1, 2, 3}, ans[8];
    SecdecVaapiHwProtectionData h = {0, msg, 3, ans, sizeof(ans), 0, 99};
    ck_assert_int_eq(secdec_negotiate_crypto_session_key_exchange(dev, s, sizeof(h), &h), SECDEC_OK);
    ck_assert_uint_eq(h.status, SECDEC_VA_TEE_STATUS_OK);
    ck_assert_uint_eq(h.output_size, 3);
    ck_assert(ans[0] == 3 && ans[1] == 2 && ans[2] == 1);
    ck_assert_int_eq(secdec_negotiate_crypto_session_key_exchange(dev, s, 256, blob), SECDEC_E_INVALIDARG);
    secdec_crypto_session_destroy(&s);
    secdec_device_close(&dev);
}
END_TEST

void hw_add_device_tests(TCase *tc)
{
    tcase_add_test(tc, test_selection);
    tcase_add_test(tc, test_no_module);
    tcase_add_test(tc, test_app_display);
    tcase_add_test(tc, test_caps);
    tcase_add_test(tc, test_key_exchange);
}
