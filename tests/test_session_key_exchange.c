/*
 * test_session_key_exchange.c - NegotiateCryptoSessionKeyExchange (OAEP hashes, sizes, every kind
 * of corrupt blob) and the session-key refresh (Start/FinishSessionKeyRefresh).
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <string.h>

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "internal.h"
#include "test_session.h"
#include "test_util.h"

/* ==================================================== NegotiateCryptoSessionKeyExchange == */

START_TEST(t_negotiate_sha512)
{
    SecdecDevice *dev = tu_open_device(g_home);
    SecdecCryptoSession *s = tu_create_session(dev);
    /* no key yet: the MAC helper refuses */
    uint8_t mac[32];
    ck_assert_status(sd_session_mac(s, "x", (const uint8_t *)"y", 1, NULL, mac),
                     SECDEC_E_INVALIDCALL);

    uint8_t key[16], blob[256], copy[256];
    tu_random(key, 16);
    tu_make_blob(dev, s, EVP_sha512(), key, 16, blob);
    memcpy(copy, blob, 256);
    ck_assert_ok(secdec_negotiate_crypto_session_key_exchange(dev, s, 256, blob));
    ck_assert_mem_eq(blob, copy, 256); /* only read */
    ck_assert(tu_session_key_is(s, key));
    uint8_t other[16];
    memcpy(other, key, 16);
    other[0] ^= 1;
    ck_assert(!tu_session_key_is(s, other)); /* the comparison can fail */

    /* a second exchange replaces the key */
    uint8_t key2[16];
    tu_negotiate(dev, s, key2);
    ck_assert(tu_session_key_is(s, key2));
    ck_assert(!tu_session_key_is(s, key));
    secdec_crypto_session_destroy(&s);
    secdec_device_close(&dev);
}
END_TEST

START_TEST(t_negotiate_other_hashes)
{
    SecdecDevice *dev = tu_open_device(g_home);
    static const struct {
        SecdecOaepHash h;
        const char *md;
    } hashes[] = {{SECDEC_OAEP_SHA256, "SHA256"}, {SECDEC_OAEP_SHA1, "SHA1"},
                  {SECDEC_OAEP_SHA512, "SHA512"}};
    for (size_t i = 0; i < 3; i++) {
        SecdecCryptoSession *s = tu_create_session(dev);
        ck_assert_ok(secdec_crypto_session_set_oaep_hash(dev, s, hashes[i].h));
        uint8_t key[16], blob[256];
        tu_random(key, 16);
        tu_make_blob(dev, s, EVP_get_digestbyname(hashes[i].md), key, 16, blob);
        ck_assert_ok(secdec_negotiate_crypto_session_key_exchange(dev, s, 256, blob));
        ck_assert(tu_session_key_is(s, key));
        /* the same blob is refused once another hash is selected */
        ck_assert_ok(secdec_crypto_session_set_oaep_hash(
            dev, s, hashes[i].h == SECDEC_OAEP_SHA512 ? SECDEC_OAEP_SHA1 : SECDEC_OAEP_SHA512));
        ck_assert_status(secdec_negotiate_crypto_session_key_exchange(dev, s, 256, blob),
                         SECDEC_E_KEY_EXCHANGE);
        ck_assert(tu_session_key_is(s, key)); /* failure changed nothing */
        secdec_crypto_session_destroy(&s);
    }
    SecdecCryptoSession *s = tu_create_session(dev);
    ck_assert_status(secdec_crypto_session_set_oaep_hash(dev, s, (SecdecOaepHash)3),
                     SECDEC_E_INVALIDARG);
    ck_assert_status(secdec_crypto_session_set_oaep_hash(dev, s, (SecdecOaepHash)-1),
                     SECDEC_E_INVALIDARG);
    /* the invalid value did not change the default (SHA-512) */
    tu_negotiate(dev, s, NULL);
    secdec_crypto_session_destroy(&s);
    secdec_device_close(&dev);
}
END_TEST

START_TEST(t_negotiate_bad_size)
{
    SecdecDevice *dev = tu_open_device(g_home);
    SecdecCryptoSession *s = tu_create_session(dev);
    uint8_t key[16], blob[512];
    tu_random(key, 16);
    tu_make_blob(dev, s, EVP_sha512(), key, 16, blob);
    memset(blob + 256, 0, 256);
    static const uint32_t sizes[] = {0, 1, 16, 128, 255, 257, 512};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        ck_assert_msg(secdec_negotiate_crypto_session_key_exchange(dev, s, sizes[i], blob) ==
                          SECDEC_E_INVALIDARG,
                      "size %u", sizes[i]);
    ck_assert_status(secdec_negotiate_crypto_session_key_exchange(dev, s, 256, NULL),
                     SECDEC_E_INVALIDARG);
    ck_assert_status(secdec_negotiate_crypto_session_key_exchange(dev, s, 0, NULL),
                     SECDEC_E_INVALIDARG);
    /* no key was installed by any of these */
    uint8_t rnd[16];
    ck_assert_status(secdec_start_session_key_refresh(dev, s, 16, rnd), SECDEC_E_INVALIDCALL);
    /* and the well-formed blob still works */
    ck_assert_ok(secdec_negotiate_crypto_session_key_exchange(dev, s, 256, blob));
    ck_assert(tu_session_key_is(s, key));
    secdec_crypto_session_destroy(&s);
    secdec_device_close(&dev);
}
END_TEST

/* Corrupt blobs: every one must give exactly SECDEC_E_KEY_EXCHANGE, and leave the previous
 * session key in place. */
enum { BAD_FLIP_0, BAD_FLIP_1, BAD_FLIP_64, BAD_FLIP_128, BAD_FLIP_200, BAD_FLIP_255,
       BAD_ZERO, BAD_FF, BAD_MODULUS_PLUS, BAD_OTHER_DEVICE, BAD_KEY15, BAD_KEY17, BAD_KEY32,
       BAD_KEY0, BAD_HASH256, BAD_HASH1, BAD_PKCS1V15, BAD_RAW_RSA, BAD_COUNT };

START_TEST(t_negotiate_corrupt)
{
    int kind = _i;
    SecdecDevice *dev = tu_open_device(g_home);
    SecdecCryptoSession *s = tu_create_session(dev);
    uint8_t prev[16];
    tu_negotiate(dev, s, prev);

    size_t cert_size;
    uint8_t *cert = tu_get_certificate(dev, s, &cert_size);
    uint8_t key[32], blob[256];
    tu_random(key, sizeof key);
    ck_assert_int_eq(tu_oaep_encrypt(cert, cert_size, EVP_sha512(), key, 16, blob), 0);
    static const int flip_pos[] = {0, 1, 64, 128, 200, 255};
    switch (kind) {
    case BAD_FLIP_0: case BAD_FLIP_1: case BAD_FLIP_64: case BAD_FLIP_128: case BAD_FLIP_200:
    case BAD_FLIP_255:
        blob[flip_pos[kind - BAD_FLIP_0]] ^= 0x10;
        break;
    case BAD_ZERO: memset(blob, 0, 256); break;
    case BAD_FF: memset(blob, 0xff, 256); break;
    case BAD_MODULUS_PLUS: {
        /* exactly the modulus: out of range for RSA */
        EVP_PKEY *pk = tu_cert_pubkey(cert, cert_size);
        BIGNUM *nmod = NULL;
        ck_assert_int_eq(EVP_PKEY_get_bn_param(pk, "n", &nmod), 1);
        ck_assert_int_eq(BN_bn2binpad(nmod, blob, 256), 256);
        BN_free(nmod);
        EVP_PKEY_free(pk);
        break;
    }
    case BAD_OTHER_DEVICE: {
        SecdecDevice *d2 = tu_open_device(g_home2);
        SecdecCryptoSession *s2 = tu_create_session(d2);
        tu_make_blob(d2, s2, EVP_sha512(), key, 16, blob);
        secdec_crypto_session_destroy(&s2);
        secdec_device_close(&d2);
        break;
    }
    case BAD_KEY15: tu_make_blob(dev, s, EVP_sha512(), key, 15, blob); break;
    case BAD_KEY17: tu_make_blob(dev, s, EVP_sha512(), key, 17, blob); break;
    case BAD_KEY32: tu_make_blob(dev, s, EVP_sha512(), key, 32, blob); break;
    case BAD_KEY0: tu_make_blob(dev, s, EVP_sha512(), key, 0, blob); break;
    case BAD_HASH256: tu_make_blob(dev, s, EVP_sha256(), key, 16, blob); break;
    case BAD_HASH1: tu_make_blob(dev, s, EVP_sha1(), key, 16, blob); break;
    case BAD_PKCS1V15:
    case BAD_RAW_RSA: {
        EVP_PKEY *pk = tu_cert_pubkey(cert, cert_size);
        EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(pk, NULL);
        ck_assert_int_eq(EVP_PKEY_encrypt_init(ctx), 1);
        uint8_t msg[256];
        size_t mlen = 16, outlen = 256;
        if (kind == BAD_PKCS1V15) {
            ck_assert_int_gt(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING), 0);
            memcpy(msg, key, 16);
        } else {
            /* 16-byte key right-aligned in a zero block, no padding */
            ck_assert_int_gt(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_NO_PADDING), 0);
            memset(msg, 0, 256);
            memcpy(msg + 240, key, 16);
            mlen = 256;
        }
        ck_assert_int_eq(EVP_PKEY_encrypt(ctx, blob, &outlen, msg, mlen), 1);
        ck_assert_uint_eq(outlen, 256);
        EVP_PKEY_CTX_free(ctx);
        EVP_PKEY_free(pk);
        break;
    }
    }
    ck_assert_status(secdec_negotiate_crypto_session_key_exchange(dev, s, 256, blob),
                     SECDEC_E_KEY_EXCHANGE);
    ck_assert(tu_session_key_is(s, prev));
    /* the session still works afterwards */
    uint8_t fresh[16];
    tu_negotiate(dev, s, fresh);
    ck_assert(tu_session_key_is(s, fresh));

    /* the same corrupt blob on a session without any key: KEY_EXCHANGE, still no key */
    SecdecCryptoSession *s3 = tu_create_session(dev);
    ck_assert_status(secdec_negotiate_crypto_session_key_exchange(dev, s3, 256, blob),
                     SECDEC_E_KEY_EXCHANGE);
    uint8_t rnd[16];
    ck_assert_status(secdec_start_session_key_refresh(dev, s3, 16, rnd), SECDEC_E_INVALIDCALL);
    secdec_crypto_session_destroy(&s3);

    free(cert);
    secdec_crypto_session_destroy(&s);
    secdec_device_close(&dev);
}
END_TEST

/* ======================================================================== key refresh == */

START_TEST(t_refresh_state_errors)
{
    SecdecDevice *dev = tu_open_device(g_home);
    SecdecCryptoSession *s = tu_create_session(dev);
    uint8_t rnd[17];
    memset(rnd, 0xa5, sizeof rnd);
    /* Start without a session key: INVALIDCALL (and nothing written) */
    ck_assert_status(secdec_start_session_key_refresh(dev, s, 16, rnd), SECDEC_E_INVALIDCALL);
    for (int i = 0; i < 17; i++)
        ck_assert_uint_eq(rnd[i], 0xa5);
    /* Finish without Start: INVALIDCALL */
    ck_assert_status(secdec_finish_session_key_refresh(dev, s), SECDEC_E_INVALIDCALL);
    tu_negotiate(dev, s, NULL);
    ck_assert_status(secdec_finish_session_key_refresh(dev, s), SECDEC_E_INVALIDCALL);
    /* sizes other than 16, and NULL: INVALIDARG */
    static const uint32_t sizes[] = {0, 8, 15, 17, 32};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        ck_assert_msg(secdec_start_session_key_refresh(dev, s, sizes[i], rnd) ==
                          SECDEC_E_INVALIDARG,
                      "size %u", sizes[i]);
        for (int j = 0; j < 17; j++)
            ck_assert_uint_eq(rnd[j], 0xa5);
    }
    ck_assert_status(secdec_start_session_key_refresh(dev, s, 16, NULL), SECDEC_E_INVALIDARG);
    /* none of those started a refresh */
    ck_assert_status(secdec_finish_session_key_refresh(dev, s), SECDEC_E_INVALIDCALL);
    secdec_crypto_session_destroy(&s);
    secdec_device_close(&dev);
}
END_TEST

static void xor16(uint8_t out[16], const uint8_t a[16], const uint8_t b[16])
{
    for (int i = 0; i < 16; i++)
        out[i] = a[i] ^ b[i];
}

START_TEST(t_refresh_xor)
{
    SecdecDevice *dev = tu_open_device(g_home);
    SecdecCryptoSession *s = tu_create_session(dev);
    uint8_t k0[16], r1[16], k1[16];
    tu_negotiate(dev, s, k0);

    memset(r1, 0, 16);
    ck_assert_ok(secdec_start_session_key_refresh(dev, s, 16, r1));
    static const uint8_t zero[16];
    ck_assert(memcmp(r1, zero, 16) != 0); /* random was written */
    /* the key does NOT change before Finish */
    ck_assert(tu_session_key_is(s, k0));
    ck_assert_ok(secdec_finish_session_key_refresh(dev, s));
    xor16(k1, k0, r1);
    ck_assert(tu_session_key_is(s, k1));
    ck_assert(!tu_session_key_is(s, k0));
    /* Finish twice: the second has nothing to finish */
    ck_assert_status(secdec_finish_session_key_refresh(dev, s), SECDEC_E_INVALIDCALL);
    ck_assert(tu_session_key_is(s, k1));

    /* A second Start replaces the pending number; random numbers differ. */
    uint8_t ra[16], rb[16], k2[16];
    ck_assert_ok(secdec_start_session_key_refresh(dev, s, 16, ra));
    ck_assert_ok(secdec_start_session_key_refresh(dev, s, 16, rb));
    ck_assert(memcmp(ra, rb, 16) != 0);
    ck_assert(tu_session_key_is(s, k1));
    ck_assert_ok(secdec_finish_session_key_refresh(dev, s));
    xor16(k2, k1, rb);
    ck_assert(tu_session_key_is(s, k2));

    /* A content key wrapped with the refreshed key is accepted and usable */
    uint8_t kid[16], ck[16], wrapped[16];
    tu_kid(kid, 0x33);
    tu_random(ck, 16);
    tu_aes_ecb_encrypt(k2, ck, wrapped);
    ck_assert_ok(secdec_crypto_session_set_content_key(dev, s, kid, 16, wrapped));
    ck_assert_ok(secdec_crypto_session_has_content_key(dev, s, kid));
    uint8_t got[16];
    ck_assert_int_eq(tu_content_key(s, kid, got), 1);
    ck_assert_mem_eq(got, ck, 16);

    /* A new key exchange while a refresh is pending: the pending refresh must not apply on
     * top of the new key (either it is dropped, or Finish is refused). */
    uint8_t rc[16], k3[16];
    ck_assert_ok(secdec_start_session_key_refresh(dev, s, 16, rc));
    tu_negotiate(dev, s, k3);
    SecdecStatus fin = secdec_finish_session_key_refresh(dev, s);
    if (fin == SECDEC_OK) {
        uint8_t k3x[16];
        xor16(k3x, k3, rc);
        ck_assert_msg(tu_session_key_is(s, k3x) || tu_session_key_is(s, k3),
                      "session key is neither the new key nor new ^ random");
    } else {
        ck_assert_status(fin, SECDEC_E_INVALIDCALL);
        ck_assert(tu_session_key_is(s, k3));
    }
    secdec_crypto_session_destroy(&s);
    secdec_device_close(&dev);
}
END_TEST

TCase *session_key_exchange_tcase(void)
{
    TCase *tc = tcase_create("key_exchange");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, t_negotiate_sha512);
    tcase_add_test(tc, t_negotiate_other_hashes);
    tcase_add_test(tc, t_negotiate_bad_size);
    tcase_add_loop_test(tc, t_negotiate_corrupt, 0, BAD_COUNT);
    tcase_add_test(tc, t_refresh_state_errors);
    tcase_add_test(tc, t_refresh_xor);
    return tc;
}
