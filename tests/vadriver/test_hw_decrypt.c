/*
 * test_hw_decrypt.c - VAEncryptionParameters built by secdec_vaapi_build_encryption()
 * decrypted bit-exactly by the driver (cenc, cens, cbc1, cbcs, 8/16-byte IVs), cross-checked
 * with core's software engine; key rotation, session loss and recovery; the session-key
 * refresh inside the TEE.
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>
#include "test_hw.h"
#include "test_util.h"

typedef struct Case {
    const char *name;
    SecdecScheme scheme;
    uint32_t iv_size, crypt, skip;
    SecdecSubsample sub[4];
    uint32_t n_sub;
    size_t slices[3]; /* how the sample is cut into slice data buffers */
} Case;

static const Case cases[] = {
    {"cenc-16", SECDEC_SCHEME_CENC, 16, 0, 0, {{5, 37}, {3, 100}, {0, 7}}, 3, {42, 103, 7}},
    {"cenc-8", SECDEC_SCHEME_CENC, 8, 0, 0, {{1, 15}, {20, 33}}, 2, {16, 53, 0}},
    {"cenc-whole", SECDEC_SCHEME_CENC, 16, 0, 0, {{0, 0}}, 0, {77, 0, 0}},
    {"cens-1:9", SECDEC_SCHEME_CENS, 16, 1, 9, {{7, 400}, {2, 170}}, 2, {407, 172, 0}},
    {"cbcs-1:9", SECDEC_SCHEME_CBCS, 16, 1, 9, {{7, 400}, {2, 170}, {9, 31}}, 3, {407, 172, 40}},
    {"cbcs-8iv", SECDEC_SCHEME_CBCS, 8, 1, 0, {{4, 96}}, 1, {100, 0, 0}},
    {"cbc1", SECDEC_SCHEME_CBC1, 16, 0, 0, {{10, 64}, {3, 32}}, 2, {74, 35, 0}},
};

START_TEST(test_decrypt_matrix)
{
    const Case *c = &cases[_i];
    SecdecDevice *dev = NULL, *sw = NULL;
    ck_assert_int_eq(open_dev(SECDEC_BACKEND_VAAPI, &dev), SECDEC_OK);
    bool ctr = c->scheme == SECDEC_SCHEME_CENC || c->scheme == SECDEC_SCHEME_CENS;
    const SecdecGuid *crypto = ctr ? &SECDEC_CRYPTO_TYPE_AES128_CTR : &SECDEC_CRYPTO_TYPE_AES128_CBC;
    uint8_t skey[16], ckey[16], kid[16];
    SecdecCryptoSession *s = new_session(dev, crypto, skey);
    RAND_bytes(ckey, 16);
    RAND_bytes(kid, 16);
    set_key(dev, s, kid, skey, ckey);

    SecdecSampleInfo info;
    secdec_sample_info_default(&info);
    info.scheme = c->scheme;
    memcpy(info.kid, kid, 16);
    RAND_bytes(info.iv, 16);
    info.iv[8] = 0; /* keep the counter's low 64 bits far from their wrap */
    info.iv_size = c->iv_size;
    info.subsamples = c->sub;
    info.n_subsamples = c->n_sub;
    info.crypt_byte_block = c->crypt;
    info.skip_byte_block = c->skip;
    size_t size = c->slices[0] + c->slices[1] + c->slices[2];
    int n_slices = c->slices[2] ? 3 : c->slices[1] ? 2 : 1;
    uint8_t *clear = malloc(size), *enc = malloc(size);
    RAND_bytes(clear, (int)size);
    cenc_encrypt(&info, ckey, clear, enc, size);
    ck_assert_int_ne(memcmp(clear, enc, size), 0);

    /* the encryptor agrees with core's software engine */
    ck_assert_int_eq(open_dev(SECDEC_BACKEND_SOFTWARE, &sw), SECDEC_OK);
    uint8_t sskey[16];
    SecdecCryptoSession *ss = NULL;
    ck_assert_int_eq(secdec_create_crypto_session(sw, crypto, NULL, &SECDEC_KEY_EXCHANGE_RSAES_OAEP, &ss), 0);
    uint32_t n;
    secdec_crypto_session_get_certificate_size(sw, ss, &n);
    uint8_t *cert = malloc(n), blob[256];
    secdec_crypto_session_get_certificate(sw, ss, n, cert);
    RAND_bytes(sskey, 16);
    ck_assert_int_eq(tu_oaep_encrypt(cert, n, EVP_sha512(), sskey, 16, blob), 0);
    ck_assert_int_eq(secdec_negotiate_crypto_session_key_exchange(sw, ss, 256, blob), 0);
    set_key(sw, ss, kid, sskey, ckey);
    SecdecProtectedBuffer *pb = NULL;
    ck_assert_int_eq(secdec_decrypt_sample(sw, ss, &info, enc, size, &pb), SECDEC_OK);
    const uint8_t *dec;
    size_t dsize;
    secdec_protected_buffer_map_for_decode(pb, &dec, &dsize);
    ck_assert_int_eq(memcmp(dec, clear, size), 0);
    secdec_protected_buffer_release(&pb);
    secdec_crypto_session_destroy(&ss);
    secdec_device_close(&sw);
    free(cert);

    /* the VA driver decrypts the same bytes with the parameters secdec built */
    Va va;
    va_open(dev, s, &va);
    char want[2048];
    expected_log(clear, c->slices, n_slices, "enc", want, sizeof(want));
    read_log();
    ck_assert_int_eq(va_decode(dev, s, &va, &info, enc, c->slices, n_slices), 0);
    ck_assert_str_eq(read_log(), want);
    /* and the check can fail: another content key gives other bytes */
    uint8_t other[16];
    RAND_bytes(other, 16);
    set_key(dev, s, kid, skey, other);
    ck_assert_int_eq(va_decode(dev, s, &va, &info, enc, c->slices, n_slices), 0);
    ck_assert_str_ne(read_log(), want);
    va_close(&va);
    free(clear);
    free(enc);
    secdec_crypto_session_destroy(&s);
    secdec_device_close(&dev);
}
END_TEST

START_TEST(test_key_rotation_and_loss)
{
    SecdecDevice *dev = NULL;
    ck_assert_int_eq(open_dev(SECDEC_BACKEND_VAAPI, &dev), SECDEC_OK);
    uint8_t skey[16], k1[16], k2[16], kid1[16] = {1}, kid2[16] = {2}, kid3[16] = {3};
    RAND_bytes(k1, 16);
    RAND_bytes(k2, 16);
    SecdecCryptoSession *s = new_session(dev, &SECDEC_CRYPTO_TYPE_AES128_CTR, skey);
    set_key(dev, s, kid1, skey, k1);
    set_key(dev, s, kid2, skey, k2);
    ck_assert_int_eq(secdec_crypto_session_set_content_key(dev, s, kid3, 0, NULL), SECDEC_OK);
    Va va;
    va_open(dev, s, &va);
    SecdecSubsample sub[2] = {{4, 60}, {4, 60}};
    SecdecSampleInfo info;
    secdec_sample_info_default(&info);
    info.subsamples = sub;
    info.n_subsamples = 2;
    size_t sizes[2] = {64, 64};
    uint8_t clear[128], enc[128];
    char want[1024];
    for (int frame = 0; frame < 4; frame++) {
        RAND_bytes(clear, 128);
        RAND_bytes(info.iv, 8);
        info.iv_size = 8;
        memcpy(info.kid, frame % 2 ? kid2 : kid1, 16);
        cenc_encrypt(&info, frame % 2 ? k2 : k1, clear, enc, 128);
        ck_assert_int_eq(va_decode(dev, s, &va, &info, enc, sizes, 2), 0);
        expected_log(clear, sizes, 2, "enc", want, sizeof(want));
        ck_assert_str_eq(read_log(), want);
    }
    /* a clear KID renders no encryption buffer */
    memcpy(info.kid, kid3, 16);
    ck_assert_int_eq(va_decode(dev, s, &va, &info, clear, sizes, 2), 0);
    expected_log(clear, sizes, 2, "clear", want, sizeof(want));
    ck_assert_str_eq(read_log(), want);
    /* unknown KID */
    SecdecVaapiEncryption e;
    memset(info.kid, 7, 16);
    ck_assert_int_eq(secdec_vaapi_build_encryption(dev, s, &info, enc, 128, 0, &e), SECDEC_E_NO_KEY);

    /* the TEE loses the session: status says so, decoding fails */
    SecdecCryptoSessionStatus status;
    ck_assert_int_eq(secdec_check_crypto_session_status(dev, s, &status), SECDEC_OK);
    ck_assert_int_eq(status, SECDEC_SESSION_STATUS_OK);
    tee_invalidate(dev, s);
    ck_assert_int_eq(secdec_check_crypto_session_status(dev, s, &status), SECDEC_OK);
    ck_assert_int_eq(status, SECDEC_SESSION_STATUS_KEY_LOST);
    memcpy(info.kid, kid1, 16);
    cenc_encrypt(&info, k1, clear, enc, 128);
    ck_assert_int_ne(va_decode(dev, s, &va, &info, enc, sizes, 2), 0);
    ck_assert_int_eq(secdec_crypto_session_set_content_key(dev, s, kid1, 16, k1), SECDEC_E_KEY_LOST);
    read_log();
    /* recovery: a new session, keys again, attach, decode */
    va_close(&va);
    secdec_crypto_session_destroy(&s);
    s = new_session(dev, &SECDEC_CRYPTO_TYPE_AES128_CTR, skey);
    set_key(dev, s, kid1, skey, k1);
    va_open(dev, s, &va);
    ck_assert_int_eq(va_decode(dev, s, &va, &info, enc, sizes, 2), 0);
    expected_log(clear, sizes, 2, "enc", want, sizeof(want));
    ck_assert_str_eq(read_log(), want);
    ck_assert_int_eq(secdec_check_crypto_session_status(dev, s, &status), SECDEC_OK);
    ck_assert_int_eq(status, SECDEC_SESSION_STATUS_OK);
    va_close(&va);
    secdec_crypto_session_destroy(&s);
    secdec_device_close(&dev);
}
END_TEST

/* Session-key refresh inside the TEE: the number comes from the TEE, the new key (old XOR
 * number) takes effect at finish, content keys installed before stay valid (the TEE re-wraps
 * them), keys installed after are wrapped with the new key, the all-zero KID follows the
 * refreshed session key, and a lost session refuses. */
START_TEST(test_key_refresh)
{
    SecdecDevice *dev = NULL;
    ck_assert_int_eq(open_dev(SECDEC_BACKEND_VAAPI, &dev), SECDEC_OK);
    uint8_t skey[16], k1[16], k2[16], rnd[16], rnd2[16];
    uint8_t kid1[16] = {1}, kid2[16] = {2}, kid0[16] = {9}, zero[16] = {0};
    RAND_bytes(k1, 16);
    RAND_bytes(k2, 16);
    SecdecCryptoSession *s = new_session(dev, &SECDEC_CRYPTO_TYPE_AES128_CTR, skey);
    set_key(dev, s, kid1, skey, k1);
    ck_assert_int_eq(secdec_crypto_session_set_content_key(dev, s, kid0, 16, zero), SECDEC_OK);
    Va va;
    va_open(dev, s, &va);
    SecdecSubsample sub[2] = {{4, 60}, {4, 60}};
    SecdecSampleInfo info;
    secdec_sample_info_default(&info);
    info.subsamples = sub;
    info.n_subsamples = 2;
    info.iv_size = 8;
    size_t sizes[2] = {64, 64};
    uint8_t clear[128], enc[128];
    char want[1024];
#define DECODE_OK(kid_, key_)                                                                     \
    do {                                                                                         \
        RAND_bytes(clear, 128);                                                                  \
        RAND_bytes(info.iv, 8);                                                                  \
        memcpy(info.kid, kid_, 16);                                                              \
        cenc_encrypt(&info, key_, clear, enc, 128);                                              \
        ck_assert_int_eq(va_decode(dev, s, &va, &info, enc, sizes, 2), 0);                       \
        expected_log(clear, sizes, 2, "enc", want, sizeof(want));                                \
        ck_assert_str_eq(read_log(), want);                                                      \
    } while (0)
    DECODE_OK(kid1, k1);
    DECODE_OK(kid0, skey);
    ck_assert_int_eq(secdec_start_session_key_refresh(dev, s, 16, rnd2), SECDEC_OK);
    ck_assert_int_eq(secdec_start_session_key_refresh(dev, s, 16, rnd), SECDEC_OK); /* replaces */
    ck_assert_mem_ne(rnd, rnd2, 16);
    DECODE_OK(kid0, skey); /* nothing changes before finish */
    ck_assert_int_eq(secdec_finish_session_key_refresh(dev, s), SECDEC_OK);
    for (int i = 0; i < 16; i++)
        skey[i] ^= rnd[i];
    DECODE_OK(kid1, k1);   /* installed before the refresh: re-wrapped by the TEE */
    DECODE_OK(kid0, skey); /* the session key itself: the refreshed one */
    set_key(dev, s, kid2, skey, k2);
    DECODE_OK(kid2, k2);   /* wrapped with the new session key */
#undef DECODE_OK
    /* a lost session refuses refreshes */
    tee_invalidate(dev, s);
    ck_assert_int_eq(secdec_start_session_key_refresh(dev, s, 16, rnd), SECDEC_E_KEY_LOST);
    ck_assert_int_eq(secdec_finish_session_key_refresh(dev, s), SECDEC_E_KEY_LOST);
    va_close(&va);
    secdec_crypto_session_destroy(&s);
    secdec_device_close(&dev);
}
END_TEST

void hw_add_decrypt_tests(TCase *tc)
{
    tcase_add_loop_test(tc, test_decrypt_matrix, 0, (int)(sizeof(cases) / sizeof(cases[0])));
    tcase_add_test(tc, test_key_rotation_and_loss);
    tcase_add_test(tc, test_key_refresh);
}
