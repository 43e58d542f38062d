/*
 * test_session_caps.c - GetContentProtectionCaps and CheckCryptoKeyExchange of the software
 * backend, their errors, and that CreateCryptoSession agrees with the caps for every crypto
 * type and profile.
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <string.h>
#include "test_session.h"
#include "test_util.h"

/* =================================================================================== caps == */

START_TEST(t_caps_software)
{
    SecdecDevice *dev = tu_open_device(g_home);
    SecdecContentProtectionCaps caps;
    memset(&caps, 0xff, sizeof caps);
    ck_assert_ok(secdec_device_get_content_protection_caps(dev, &SECDEC_CRYPTO_TYPE_AES128_CTR,
                                                           NULL, &caps));
    const uint32_t must = SECDEC_CAPS_SOFTWARE | SECDEC_CAPS_CONTENT_KEY |
                          SECDEC_CAPS_FRESHEN_SESSION_KEY | SECDEC_CAPS_PARTIAL_DECRYPTION;
    const uint32_t must_not = SECDEC_CAPS_HARDWARE | SECDEC_CAPS_HARDWARE_PROTECT_UNCOMPRESSED |
                              SECDEC_CAPS_HARDWARE_PROTECTED_MEMORY_PAGEABLE |
                              SECDEC_CAPS_HARDWARE_TEARDOWN |
                              SECDEC_CAPS_HARDWARE_DRM_COMMUNICATION |
                              SECDEC_CAPS_ENCRYPTED_READ_BACK |
                              SECDEC_CAPS_ENCRYPTED_READ_BACK_KEY |
                              SECDEC_CAPS_DECRYPTION_BLT | SECDEC_CAPS_PROTECTION_ALWAYS_ON;
    ck_assert_uint_eq(caps.caps & must, must);
    ck_assert_uint_eq(caps.caps & must_not, 0);
    ck_assert_uint_eq(caps.caps & ~0x7fffu, 0); /* only defined flags */
    ck_assert_uint_eq(caps.caps & SECDEC_CAPS_SEQUENTIAL_CTR_IV, SECDEC_CAPS_SEQUENTIAL_CTR_IV);
    ck_assert_uint_eq(caps.key_exchange_type_count, 1);
    ck_assert_uint_eq(caps.block_alignment_size, 16);
    ck_assert_uint_gt(caps.protected_memory_size, 0);

    /* CBC: same software caps, but no sequential CTR IVs. */
    ck_assert_ok(secdec_device_get_content_protection_caps(dev, &SECDEC_CRYPTO_TYPE_AES128_CBC,
                                                           &SECDEC_DECODER_PROFILE_H264_VLD_NOFGT,
                                                           &caps));
    ck_assert_uint_eq(caps.caps & must, must);
    ck_assert_uint_eq(caps.caps & must_not, 0);
    ck_assert_uint_eq(caps.caps & SECDEC_CAPS_SEQUENTIAL_CTR_IV, 0);
    ck_assert_uint_eq(caps.key_exchange_type_count, 1);

    /* CheckCryptoKeyExchange: index 0 is RSAES-OAEP, index 1 is out of range. */
    SecdecGuid kx = SECDEC_GUID_NULL;
    ck_assert_ok(secdec_device_check_crypto_key_exchange(dev, &SECDEC_CRYPTO_TYPE_AES128_CTR,
                                                         &SECDEC_DECODER_PROFILE_HEVC_VLD_MAIN, 0,
                                                         &kx));
    ck_assert(secdec_guid_equal(&kx, &SECDEC_KEY_EXCHANGE_RSAES_OAEP));
    kx = SECDEC_GUID_NULL;
    ck_assert_status(secdec_device_check_crypto_key_exchange(
                         dev, &SECDEC_CRYPTO_TYPE_AES128_CTR, NULL, 1, &kx),
                     SECDEC_E_INVALIDARG);
    ck_assert(secdec_guid_equal(&kx, &SECDEC_GUID_NULL)); /* untouched */
    ck_assert_status(secdec_device_check_crypto_key_exchange(
                         dev, &SECDEC_CRYPTO_TYPE_AES128_CTR, NULL, 0, NULL),
                     SECDEC_E_INVALIDARG);
    ck_assert_status(secdec_device_check_crypto_key_exchange(dev, &SECDEC_GUID_NULL, NULL, 0, &kx),
                     SECDEC_E_NOTAVAILABLE);
    ck_assert_status(secdec_device_check_crypto_key_exchange(
                         dev, &SECDEC_CRYPTO_TYPE_AES128_CBC,
                         &SECDEC_DECODER_PROFILE_VP9_VLD_PROFILE0, 0, &kx),
                     SECDEC_E_UNSUPPORTEDCRYPTO);
    secdec_device_close(&dev);
}
END_TEST

START_TEST(t_caps_errors)
{
    SecdecDevice *dev = tu_open_device(g_home);
    SecdecContentProtectionCaps caps, orig;
    memset(&caps, 0x5a, sizeof caps);
    orig = caps;
    /* crypto type NULL pointer, NULL GUID, unknown GUID: NOTAVAILABLE */
    ck_assert_status(secdec_device_get_content_protection_caps(dev, NULL, NULL, &caps),
                     SECDEC_E_NOTAVAILABLE);
    ck_assert_status(secdec_device_get_content_protection_caps(dev, &SECDEC_GUID_NULL, NULL, &caps),
                     SECDEC_E_NOTAVAILABLE);
    ck_assert_status(
        secdec_device_get_content_protection_caps(dev, &CRYPTO_PROPRIETARY, NULL, &caps),
        SECDEC_E_NOTAVAILABLE);
    /* a profile that cannot use the crypto type: UNSUPPORTEDCRYPTO */
    ck_assert_status(secdec_device_get_content_protection_caps(
                         dev, &SECDEC_CRYPTO_TYPE_AES128_CBC,
                         &SECDEC_DECODER_PROFILE_VP9_VLD_PROFILE0, &caps),
                     SECDEC_E_UNSUPPORTEDCRYPTO);
    /* an unknown profile: NOTAVAILABLE (secdec.h, GetContentProtectionCaps) */
    ck_assert_status(secdec_device_get_content_protection_caps(
                         dev, &SECDEC_CRYPTO_TYPE_AES128_CTR, &PROFILE_UNKNOWN, &caps),
                     SECDEC_E_NOTAVAILABLE);
    ck_assert_mem_eq(&caps, &orig, sizeof caps);
    ck_assert_status(secdec_device_get_content_protection_caps(
                         dev, &SECDEC_CRYPTO_TYPE_AES128_CTR, NULL, NULL),
                     SECDEC_E_INVALIDARG);
    ck_assert_status(secdec_device_get_content_protection_caps(
                         NULL, &SECDEC_CRYPTO_TYPE_AES128_CTR, NULL, &caps),
                     SECDEC_E_INVALIDARG);
    secdec_device_close(&dev);
}
END_TEST

START_TEST(t_caps_match_create)
{
    /* For every known crypto type x profile (and no profile), CreateCryptoSession succeeds
     * exactly when GetContentProtectionCaps does, with the same error otherwise; and only
     * CBC + VP9 is refused. */
    SecdecDevice *dev = tu_open_device(g_home);
    for (unsigned c = 0; secdec_known_crypto_type(c); c++) {
        const SecdecGuid *ct = secdec_known_crypto_type(c);
        for (unsigned p = 0; p <= 5; p++) {
            const SecdecGuid *prof = p == 0 ? NULL : secdec_known_decoder_profile(p - 1);
            SecdecContentProtectionCaps caps;
            SecdecStatus s1 = secdec_device_get_content_protection_caps(dev, ct, prof, &caps);
            SecdecCryptoSession *s = NULL;
            SecdecStatus s2 = secdec_create_crypto_session(dev, ct, prof,
                                                           &SECDEC_KEY_EXCHANGE_RSAES_OAEP, &s);
            ck_assert_msg(s1 == s2, "%s/%s: caps %s, create %s", secdec_guid_name(ct),
                          prof ? secdec_guid_name(prof) : "NULL", secdec_status_name(s1),
                          secdec_status_name(s2));
            int refused = secdec_guid_equal(ct, &SECDEC_CRYPTO_TYPE_AES128_CBC) &&
                          secdec_guid_equal(prof, &SECDEC_DECODER_PROFILE_VP9_VLD_PROFILE0);
            ck_assert_int_eq(s2, refused ? SECDEC_E_UNSUPPORTEDCRYPTO : SECDEC_OK);
            if (s2 == SECDEC_OK) {
                SecdecGuid g;
                ck_assert_ok(secdec_crypto_session_get_crypto_type(dev, s, &g));
                ck_assert(secdec_guid_equal(&g, ct));
                ck_assert_ok(secdec_crypto_session_get_decoder_profile(dev, s, &g));
                ck_assert(secdec_guid_equal(&g, prof ? prof : &SECDEC_GUID_NULL));
            } else {
                ck_assert_ptr_null(s);
            }
            secdec_crypto_session_destroy(&s);
        }
    }
    secdec_device_close(&dev);
}
END_TEST

TCase *session_caps_tcase(void)
{
    TCase *tc = tcase_create("caps");
    tcase_add_test(tc, t_caps_software);
    tcase_add_test(tc, t_caps_errors);
    tcase_add_test(tc, t_caps_match_create);
    return tc;
}
