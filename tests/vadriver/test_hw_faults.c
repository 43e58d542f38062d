/*
 * test_hw_faults.c - every fault knob of the test driver (SECDEC_TEST_DRV_FAIL) gives a
 * clean failing status, no crash or leak, and the next device works again.
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdlib.h>

#include <openssl/evp.h>
#include "test_hw.h"
#include "test_util.h"

/* Every fault of the driver gives a clean status (and no crash or leak under ASan). */
static const char *const faults[] = {
    "vaDriverInit",          "vaCreateConfig",           "GET_CERTIFICATE:1",
    "GET_CERTIFICATE:2",     "vaCreateProtectedSession:2", "vaCreateBuffer:2",
    "vaProtectedSessionExecute:3", "vaMapBuffer:2",      "KEY_EXCHANGE",
    "CHECK_WRAPPED_KEY",     "IS_SESSION_ALIVE",         "vaAttachProtectedSession",
    "vaGetConfigAttributes",
};

START_TEST(test_faults)
{
    setenv("SECDEC_TEST_DRV_FAIL", faults[_i], 1);
    SecdecDevice *dev = NULL;
    SecdecCryptoSession *s = NULL;
    SecdecStatus st = open_dev(SECDEC_BACKEND_VAAPI, &dev);
    int failures = st != SECDEC_OK;
    if (st == SECDEC_OK)
        st = secdec_create_crypto_session(dev, &SECDEC_CRYPTO_TYPE_AES128_CTR,
                                          &SECDEC_DECODER_PROFILE_H264_VLD_NOFGT,
                                          &SECDEC_KEY_EXCHANGE_RSAES_OAEP, &s);
    failures += dev && st != SECDEC_OK;
    uint8_t *cert = NULL;
    uint32_t n = 0;
    if (s) {
        st = secdec_crypto_session_get_certificate_size(dev, s, &n);
        failures += st != SECDEC_OK;
        if (st == SECDEC_OK) {
            cert = malloc(n);
            st = secdec_crypto_session_get_certificate(dev, s, n, cert);
            failures += st != SECDEC_OK;
        }
    }
    uint8_t skey[16] = {1}, blob[256], kid[16] = {4}, ckey[16] = {5};
    if (s && st == SECDEC_OK) {
        ck_assert_int_eq(tu_oaep_encrypt(cert, n, EVP_sha512(), skey, 16, blob), 0);
        st = secdec_negotiate_crypto_session_key_exchange(dev, s, 256, blob);
        failures += st != SECDEC_OK;
        if (st == SECDEC_OK) {
            uint8_t w[16];
            tu_aes_ecb_encrypt(skey, ckey, w);
            st = secdec_crypto_session_set_content_key(dev, s, kid, 16, w);
            failures += st != SECDEC_OK;
        }
        SecdecCryptoSessionStatus status;
        failures += secdec_check_crypto_session_status(dev, s, &status) != SECDEC_OK;
        VADisplay dpy;
        VAProtectedSessionID ps;
        ck_assert_int_eq(secdec_vaapi_session_get_display(dev, s, &dpy, &ps), SECDEC_OK);
        VAConfigAttrib a = {VAConfigAttribRTFormat, VA_RT_FORMAT_YUV420};
        VAConfigID cfg;
        VASurfaceID surf;
        VAContextID ctx;
        if (vaCreateConfig(dpy, VAProfileH264High, VAEntrypointVLD, &a, 1, &cfg) == 0) {
            ck_assert_int_eq(vaCreateSurfaces(dpy, VA_RT_FORMAT_YUV420, 16, 16, &surf, 1, NULL, 0), 0);
            ck_assert_int_eq(vaCreateContext(dpy, cfg, 16, 16, 0, &surf, 1, &ctx), 0);
            SecdecStatus ast = secdec_vaapi_attach(dev, s, ctx);
            failures += ast != SECDEC_OK;
            vaDestroyContext(dpy, ctx);
            vaDestroySurfaces(dpy, &surf, 1);
            vaDestroyConfig(dpy, cfg);
        } else {
            failures++;
        }
    }
    /* each fault surfaced as (at least) one failing call, and nothing else broke */
    ck_assert_int_ge(failures, 1);
    free(cert);
    secdec_crypto_session_destroy(&s);
    secdec_device_close(&dev);
    unsetenv("SECDEC_TEST_DRV_FAIL");
    ck_assert_int_eq(open_dev(SECDEC_BACKEND_VAAPI, &dev), SECDEC_OK);
    secdec_device_close(&dev);
}
END_TEST

void hw_add_fault_tests(TCase *tc)
{
    tcase_add_loop_test(tc, test_faults, 0, (int)(sizeof(faults) / sizeof(faults[0])));
}
