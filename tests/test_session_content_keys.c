/*
 * test_session_content_keys.c - content keys (install, unwrap, remove, replace, many KIDs, bad
 * arguments) and CheckCryptoSessionStatus (the key lost in a fork()ed child).
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <string.h>
#include "test_session.h"
#include "test_util.h"

/* ======================================================================= content keys == */

/* The i-th KID of the key-rotation part of t_content_keys. */
static void rotation_kid(uint8_t k[16], int i)
{
    memset(k, 0, 16);
    k[0] = (uint8_t)i;
    k[1] = (uint8_t)(i >> 8);
    k[15] = 0x77;
}

START_TEST(t_content_keys)
{
    SecdecDevice *dev = tu_open_device(g_home);
    SecdecCryptoSession *s = tu_create_session(dev);
    uint8_t kid[8][16], ck[8][16], wrapped[8][16];
    for (int i = 0; i < 8; i++) {
        tu_kid(kid[i], (uint8_t)(0x10 + i));
        tu_random(ck[i], 16);
    }
    /* before the key exchange: INVALIDCALL */
    ck_assert_status(secdec_crypto_session_set_content_key(dev, s, kid[0], 16, ck[0]),
                     SECDEC_E_INVALIDCALL);
    ck_assert_status(secdec_crypto_session_has_content_key(dev, s, kid[0]), SECDEC_E_NO_KEY);

    uint8_t sk[16];
    tu_negotiate(dev, s, sk);
    for (int i = 0; i < 8; i++)
        tu_aes_ecb_encrypt(sk, ck[i], wrapped[i]);

    /* several KIDs at once */
    for (int i = 0; i < 6; i++)
        ck_assert_ok(secdec_crypto_session_set_content_key(dev, s, kid[i], 16, wrapped[i]));
    /* all-zero key = the session key itself */
    static const uint8_t zero[16];
    ck_assert_ok(secdec_crypto_session_set_content_key(dev, s, kid[6], 16, zero));
    /* NULL/0 = clear pass-through */
    ck_assert_ok(secdec_crypto_session_set_content_key(dev, s, kid[7], 0, NULL));
    for (int i = 0; i < 8; i++)
        ck_assert_ok(secdec_crypto_session_has_content_key(dev, s, kid[i]));
    /* what was installed: the unwrapped (AES-128-ECB-decrypted) key per KID */
    for (int i = 0; i < 6; i++) {
        uint8_t got[16];
        ck_assert_int_eq(tu_content_key(s, kid[i], got), 1 /* SD_KEY_CONTENT */);
        ck_assert_mem_eq(got, ck[i], 16);
    }
    ck_assert_int_eq(tu_content_key(s, kid[6], NULL), 2 /* SD_KEY_SESSION */);
    ck_assert_int_eq(tu_content_key(s, kid[7], NULL), 3 /* SD_KEY_CLEAR */);
    uint8_t absent[16];
    tu_kid(absent, 0xee);
    ck_assert_status(secdec_crypto_session_has_content_key(dev, s, absent), SECDEC_E_NO_KEY);
    /* KIDs differing in one byte are different KIDs */
    uint8_t near[16];
    memcpy(near, kid[0], 16);
    near[15] ^= 1;
    ck_assert_status(secdec_crypto_session_has_content_key(dev, s, near), SECDEC_E_NO_KEY);

    /* remove */
    ck_assert_ok(secdec_crypto_session_remove_content_key(dev, s, kid[2]));
    ck_assert_status(secdec_crypto_session_has_content_key(dev, s, kid[2]), SECDEC_E_NO_KEY);
    ck_assert_status(secdec_crypto_session_remove_content_key(dev, s, kid[2]), SECDEC_E_NO_KEY);
    ck_assert_status(secdec_crypto_session_remove_content_key(dev, s, absent), SECDEC_E_NO_KEY);
    ck_assert_ok(secdec_crypto_session_has_content_key(dev, s, kid[3]));
    ck_assert_ok(secdec_crypto_session_remove_content_key(dev, s, kid[7])); /* clear kind */
    ck_assert_ok(secdec_crypto_session_remove_content_key(dev, s, kid[6])); /* zero kind */

    /* reinstall replaces */
    uint8_t got[16];
    ck_assert_ok(secdec_crypto_session_set_content_key(dev, s, kid[0], 16, wrapped[1]));
    ck_assert_int_eq(tu_content_key(s, kid[0], got), 1);
    ck_assert_mem_eq(got, ck[1], 16);
    ck_assert_ok(secdec_crypto_session_set_content_key(dev, s, kid[0], 0, NULL));
    ck_assert_ok(secdec_crypto_session_has_content_key(dev, s, kid[0]));
    ck_assert_int_eq(tu_content_key(s, kid[0], NULL), 3);
    ck_assert_ok(secdec_crypto_session_set_content_key(dev, s, kid[0], 16, wrapped[0]));
    ck_assert_int_eq(tu_content_key(s, kid[0], got), 1);
    ck_assert_mem_eq(got, ck[0], 16);
    /* removal moved another entry: the others are intact */
    for (int i = 3; i < 6; i++) {
        ck_assert_int_eq(tu_content_key(s, kid[i], got), 1);
        ck_assert_mem_eq(got, ck[i], 16);
    }

    /* a new key exchange keeps installed content keys (already unwrapped) */
    uint8_t sk2[16];
    tu_negotiate(dev, s, sk2);
    ck_assert_int_eq(tu_content_key(s, kid[5], got), 1);
    ck_assert_mem_eq(got, ck[5], 16);
    /* ... and new wrapped keys are unwrapped with the new session key */
    uint8_t w2[16];
    tu_aes_ecb_encrypt(sk2, ck[6], w2);
    ck_assert_ok(secdec_crypto_session_set_content_key(dev, s, kid[6], 16, w2));
    ck_assert_int_eq(tu_content_key(s, kid[6], got), 1);
    ck_assert_mem_eq(got, ck[6], 16);

    /* many KIDs (key rotation) */
    for (int i = 0; i < 300; i++) {
        uint8_t k[16];
        rotation_kid(k, i);
        ck_assert_ok(secdec_crypto_session_set_content_key(dev, s, k, 16, wrapped[0]));
    }
    for (int i = 0; i < 300; i++) {
        uint8_t k[16];
        rotation_kid(k, i);
        ck_assert_ok(secdec_crypto_session_has_content_key(dev, s, k));
    }
    secdec_crypto_session_destroy(&s);
    secdec_device_close(&dev);
}
END_TEST

START_TEST(t_content_key_args)
{
    SecdecDevice *dev = tu_open_device(g_home);
    SecdecCryptoSession *s = tu_create_session(dev);
    tu_negotiate(dev, s, NULL);
    uint8_t kid[16], key[32];
    tu_kid(kid, 0x55);
    tu_random(key, sizeof key);
    static const uint32_t sizes[] = {1, 8, 15, 17, 24, 32};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        ck_assert_msg(secdec_crypto_session_set_content_key(dev, s, kid, sizes[i], key) ==
                          SECDEC_E_INVALIDARG,
                      "size %u", sizes[i]);
    ck_assert_status(secdec_crypto_session_set_content_key(dev, s, kid, 16, NULL),
                     SECDEC_E_INVALIDARG); /* size/NULL mismatch */
    ck_assert_status(secdec_crypto_session_set_content_key(dev, s, kid, 0, key),
                     SECDEC_E_INVALIDARG); /* size/NULL mismatch */
    ck_assert_status(secdec_crypto_session_set_content_key(dev, s, NULL, 16, key),
                     SECDEC_E_INVALIDARG);
    ck_assert_status(secdec_crypto_session_has_content_key(dev, s, NULL), SECDEC_E_INVALIDARG);
    ck_assert_status(secdec_crypto_session_remove_content_key(dev, s, NULL), SECDEC_E_INVALIDARG);
    /* none of those installed anything */
    ck_assert_status(secdec_crypto_session_has_content_key(dev, s, kid), SECDEC_E_NO_KEY);
    secdec_crypto_session_destroy(&s);
    secdec_device_close(&dev);
}
END_TEST

/* ===================================================================== session status == */

static int child_status(void *arg)
{
    void **a = arg;
    SecdecDevice *dev = a[0];
    SecdecCryptoSession *s = a[1];
    const uint8_t *key = a[2];
    SecdecCryptoSessionStatus st = SECDEC_SESSION_STATUS_OK;
    if (secdec_check_crypto_session_status(dev, s, &st) != SECDEC_OK)
        return 10;
    if (st != SECDEC_SESSION_STATUS_KEY_LOST)
        return 20 + (int)st;
    /* the key is really gone in the child */
    if (tu_session_key_is(s, key))
        return 30;
    return 0;
}

START_TEST(t_session_status)
{
    SecdecDevice *dev = tu_open_device(g_home);
    SecdecCryptoSession *s = tu_create_session(dev);
    SecdecCryptoSessionStatus st = (SecdecCryptoSessionStatus)77;
    /* OK before and after key exchange */
    ck_assert_ok(secdec_check_crypto_session_status(dev, s, &st));
    ck_assert_int_eq(st, SECDEC_SESSION_STATUS_OK);
    uint8_t key[16];
    tu_negotiate(dev, s, key);
    st = (SecdecCryptoSessionStatus)77;
    ck_assert_ok(secdec_check_crypto_session_status(dev, s, &st));
    ck_assert_int_eq(st, SECDEC_SESSION_STATUS_OK);
    ck_assert_status(secdec_check_crypto_session_status(dev, s, NULL), SECDEC_E_INVALIDARG);

    /* In a fork()ed child the key memory is wiped (MADV_WIPEONFORK): KEY_LOST. */
    void *args[3] = {dev, s, key};
    int rc = tu_run_in_child(child_status, args);
    ck_assert_msg(rc == 0, "child: exit %d (10: call failed, 2x: status x, 30: key present)", rc);

    /* the parent is unaffected */
    ck_assert_ok(secdec_check_crypto_session_status(dev, s, &st));
    ck_assert_int_eq(st, SECDEC_SESSION_STATUS_OK);
    ck_assert(tu_session_key_is(s, key));
    secdec_crypto_session_destroy(&s);
    secdec_device_close(&dev);
}
END_TEST

TCase *session_content_keys_tcase(void)
{
    TCase *tc = tcase_create("content_keys");
    tcase_add_test(tc, t_content_keys);
    tcase_add_test(tc, t_content_key_args);
    tcase_add_test(tc, t_session_status);
    return tc;
}
