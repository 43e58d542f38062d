/*
 * test_decrypt.c - CENC sample decryption: every scheme against an independent reference
 * encryptor (block-at-a-time AES written from ISO/IEC 23001-7, not the engine's EVP modes),
 * the Direct3D forms, validation before any byte is touched, keys by KID, protected memory.
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "internal.h"
#include "test_util.h"
#include "test_decrypt.h"
#include "secdec/decrypt.h"
#include "secdec/secdec.h"

/* ---- fixture: a device and a session with a known session key ----------------------------- */

static char home[512];
static SecdecDevice *dev;
static SecdecCryptoSession *ctr_sess, *cbc_sess;
static uint8_t skey_ctr[16], skey_cbc[16];

static void install_key(SecdecCryptoSession *s, const uint8_t skey[16], const uint8_t kid[16],
                        const uint8_t ckey[16])
{
    uint8_t wrapped[16];
    tu_aes_ecb_encrypt(skey, ckey, wrapped); /* ECB-encrypt the content key with the session key */
    ck_assert_int_eq(secdec_crypto_session_set_content_key(dev, s, kid, 16, wrapped), SECDEC_OK);
}

static void setup(void)
{
    const char *tmp = getenv("SECDEC_TEST_TMP");
    snprintf(home, sizeof(home), "%s/decrypt-home-XXXXXX", tmp ? tmp : "/tmp");
    ck_assert_ptr_nonnull(mkdtemp(home));
    SecdecDeviceSettings st;
    secdec_device_default_settings(&st);
    st.home_dir = home;
    ck_assert_int_eq(secdec_device_open(&dev, &st), SECDEC_OK);
    ck_assert_int_eq(secdec_create_crypto_session(dev, &SECDEC_CRYPTO_TYPE_AES128_CTR,
                                                  &SECDEC_DECODER_PROFILE_H264_VLD_NOFGT,
                                                  &SECDEC_KEY_EXCHANGE_RSAES_OAEP, &ctr_sess),
                     SECDEC_OK);
    ck_assert_int_eq(secdec_create_crypto_session(dev, &SECDEC_CRYPTO_TYPE_AES128_CBC,
                                                  &SECDEC_DECODER_PROFILE_HEVC_VLD_MAIN,
                                                  &SECDEC_KEY_EXCHANGE_RSAES_OAEP, &cbc_sess),
                     SECDEC_OK);
    tu_negotiate(dev, ctr_sess, skey_ctr);
    tu_negotiate(dev, cbc_sess, skey_cbc);
}

static void teardown(void)
{
    secdec_crypto_session_destroy(&ctr_sess);
    secdec_crypto_session_destroy(&cbc_sess);
    secdec_device_close(&dev);
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", home);
    (void)system(cmd);
}

/* ---- the reference encryptor -------------------------------------------------------------- */

static void check_roundtrip(SecdecScheme scheme, size_t size, unsigned iv_size, unsigned crypt,
                            unsigned skip, bool subsamples, const uint8_t *iv_opt)
{
    bool ctr = scheme == SECDEC_SCHEME_CENC || scheme == SECDEC_SCHEME_CENS;
    SecdecCryptoSession *s = ctr ? ctr_sess : cbc_sess;
    uint8_t kid[16], ckey[16];
    RAND_bytes(kid, 16);
    RAND_bytes(ckey, 16);
    install_key(s, ctr ? skey_ctr : skey_cbc, kid, ckey);

    uint8_t *clear = malloc(size), *enc = malloc(size);
    RAND_bytes(clear, (int)size);
    memcpy(enc, clear, size);
    SecdecSubsample ss[40];
    unsigned n = subsamples ? random_map(ss, 40, size, scheme == SECDEC_SCHEME_CBC1) : 0;

    Ref r = {.scheme = scheme, .iv_size = iv_size, .crypt = crypt, .skip = skip};
    memcpy(r.key, ckey, 16);
    if (iv_opt)
        memcpy(r.iv, iv_opt, 16);
    else
        RAND_bytes(r.iv, 16);
    ref_encrypt(&r, enc, size, ss, n);

    SecdecSampleInfo info;
    secdec_sample_info_default(&info);
    info.scheme = scheme;
    memcpy(info.kid, kid, 16);
    memcpy(info.iv, r.iv, iv_size);
    info.iv_size = iv_size;
    info.subsamples = n ? ss : NULL;
    info.n_subsamples = n;
    info.crypt_byte_block = crypt;
    info.skip_byte_block = skip;
    SecdecProtectedBuffer *pb = NULL;
    SecdecStatus st = secdec_decrypt_sample(dev, s, &info, enc, size, &pb);
    ck_assert_msg(st == SECDEC_OK, "%s size %zu: %s", secdec_scheme_fourcc(scheme), size,
                  secdec_status_name(st));
    const uint8_t *out;
    size_t osize;
    ck_assert_int_eq(secdec_protected_buffer_map_for_decode(pb, &out, &osize), SECDEC_OK);
    ck_assert_uint_eq(osize, size);
    ck_assert_msg(memcmp(out, clear, size) == 0, "%s iv%u %u:%u size %zu subsamples %u mismatch",
                  secdec_scheme_fourcc(scheme), iv_size, crypt, skip, size, n);
    /* ... and the input really was encrypted somewhere when it had a whole block to encrypt */
    secdec_protected_buffer_release(&pb);
    ck_assert_ptr_null(pb);
    free(clear);
    free(enc);
}

/* ---- tests -------------------------------------------------------------------------------- */

START_TEST(test_all_schemes_random)
{
    static const struct {
        SecdecScheme s;
        unsigned crypt, skip;
    } cases[] = {
        {SECDEC_SCHEME_CENC, 0, 0}, {SECDEC_SCHEME_CBC1, 0, 0}, {SECDEC_SCHEME_CENS, 1, 9},
        {SECDEC_SCHEME_CENS, 5, 5}, {SECDEC_SCHEME_CBCS, 1, 9}, {SECDEC_SCHEME_CBCS, 2, 3},
        {SECDEC_SCHEME_CBCS, 0, 0}, {SECDEC_SCHEME_CENS, 15, 15}, {SECDEC_SCHEME_CBCS, 1, 0},
    };
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++)
        for (int iter = 0; iter < 40; iter++) {
            size_t size = 1 + rnd(iter < 20 ? 200 : 40000);
            unsigned iv = rnd(2) ? 16 : 8;
            check_roundtrip(cases[c].s, size, iv, cases[c].crypt, cases[c].skip, iter % 4 != 0,
                            NULL);
        }
}
END_TEST

START_TEST(test_audio_clear_output)
{
    /* Only a session with the audio profile decrypts into ordinary memory; out-of-place and in
     * place give the reference clear text, for CTR and CBC schemes. */
    SecdecCryptoSession *actr = NULL, *acbc = NULL;
    uint8_t ak_ctr[16], ak_cbc[16];
    ck_assert_int_eq(secdec_create_crypto_session(dev, &SECDEC_CRYPTO_TYPE_AES128_CTR,
                                                  &SECDEC_DECODER_PROFILE_AUDIO_CLEAR_OUTPUT,
                                                  &SECDEC_KEY_EXCHANGE_RSAES_OAEP, &actr),
                     SECDEC_OK);
    ck_assert_int_eq(secdec_create_crypto_session(dev, &SECDEC_CRYPTO_TYPE_AES128_CBC,
                                                  &SECDEC_DECODER_PROFILE_AUDIO_CLEAR_OUTPUT,
                                                  &SECDEC_KEY_EXCHANGE_RSAES_OAEP, &acbc),
                     SECDEC_OK);
    tu_negotiate(dev, actr, ak_ctr);
    tu_negotiate(dev, acbc, ak_cbc);
    static const struct {
        SecdecScheme s;
        unsigned crypt, skip;
    } cases[] = {{SECDEC_SCHEME_CENC, 0, 0}, {SECDEC_SCHEME_CBCS, 1, 9}, {SECDEC_SCHEME_CBCS, 0, 0},
                 {SECDEC_SCHEME_CENS, 1, 9}, {SECDEC_SCHEME_CBC1, 0, 0}};
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++)
        for (int iter = 0; iter < 20; iter++) {
            bool ctr = cases[c].s == SECDEC_SCHEME_CENC || cases[c].s == SECDEC_SCHEME_CENS;
            SecdecCryptoSession *as = ctr ? actr : acbc, *vs = ctr ? ctr_sess : cbc_sess;
            uint8_t kid[16], ckey[16];
            RAND_bytes(kid, 16);
            RAND_bytes(ckey, 16);
            install_key(as, ctr ? ak_ctr : ak_cbc, kid, ckey);
            install_key(vs, ctr ? skey_ctr : skey_cbc, kid, ckey);
            size_t size = 1 + rnd(iter < 10 ? 300 : 4000);
            uint8_t *clear = malloc(size), *enc = malloc(size), *out = malloc(size);
            RAND_bytes(clear, (int)size);
            memcpy(enc, clear, size);
            SecdecSubsample ss[40];
            unsigned n = iter % 2 ? random_map(ss, 40, size, cases[c].s == SECDEC_SCHEME_CBC1) : 0;
            Ref r = {.scheme = cases[c].s, .iv_size = 16, .crypt = cases[c].crypt,
                     .skip = cases[c].skip};
            memcpy(r.key, ckey, 16);
            RAND_bytes(r.iv, 16);
            ref_encrypt(&r, enc, size, ss, n);
            SecdecSampleInfo info;
            secdec_sample_info_default(&info);
            info.scheme = cases[c].s;
            memcpy(info.kid, kid, 16);
            memcpy(info.iv, r.iv, 16);
            info.iv_size = 16;
            info.subsamples = n ? ss : NULL;
            info.n_subsamples = n;
            info.crypt_byte_block = cases[c].crypt;
            info.skip_byte_block = cases[c].skip;
            ck_assert_int_eq(secdec_decrypt_audio_sample(dev, as, &info, enc, size, out), SECDEC_OK);
            ck_assert_msg(memcmp(out, clear, size) == 0, "%s size %zu: out of place",
                          secdec_scheme_fourcc(cases[c].s), size);
            /* a video session never writes clear bytes into ordinary memory */
            memset(out, 0xa5, size);
            ck_assert_int_eq(secdec_decrypt_audio_sample(dev, vs, &info, enc, size, out),
                             SECDEC_E_INVALIDCALL);
            for (size_t i = 0; i < size; i++)
                ck_assert_uint_eq(out[i], 0xa5);
            ck_assert_int_eq(secdec_decrypt_audio_sample(dev, as, &info, enc, size, enc), SECDEC_OK);
            ck_assert_msg(memcmp(enc, clear, size) == 0, "%s size %zu: in place",
                          secdec_scheme_fourcc(cases[c].s), size);
            free(clear);
            free(enc);
            free(out);
        }
    /* the same validation as secdec_decrypt_sample() */
    uint8_t buf[64] = {0}, kid[16] = {9};
    SecdecSampleInfo info;
    secdec_sample_info_default(&info);
    memcpy(info.kid, kid, 16);
    info.iv_size = 16;
    ck_assert_int_eq(secdec_decrypt_audio_sample(dev, actr, NULL, buf, 64, buf), SECDEC_E_INVALIDARG);
    ck_assert_int_eq(secdec_decrypt_audio_sample(dev, actr, &info, NULL, 64, buf), SECDEC_E_INVALIDARG);
    ck_assert_int_eq(secdec_decrypt_audio_sample(dev, actr, &info, buf, 64, NULL), SECDEC_E_INVALIDARG);
    ck_assert_int_eq(secdec_decrypt_audio_sample(dev, actr, &info, buf, 0, buf), SECDEC_E_BAD_SAMPLE);
    ck_assert_int_eq(secdec_decrypt_audio_sample(dev, actr, &info, buf, 64, buf), SECDEC_E_NO_KEY);
    info.iv_size = 12;
    ck_assert_int_eq(secdec_decrypt_audio_sample(dev, actr, &info, buf, 64, buf), SECDEC_E_BAD_IV);
    info.iv_size = 16;
    SecdecSubsample bad = {10, 10};
    info.subsamples = &bad;
    info.n_subsamples = 1;
    ck_assert_int_eq(secdec_decrypt_audio_sample(dev, actr, &info, buf, 64, buf),
                     SECDEC_E_BAD_SUBSAMPLES);
    info.subsamples = NULL;
    info.n_subsamples = 0;
    info.scheme = SECDEC_SCHEME_CBCS;
    ck_assert_int_eq(secdec_decrypt_audio_sample(dev, actr, &info, buf, 64, buf),
                     SECDEC_E_UNSUPPORTEDCRYPTO);
    secdec_crypto_session_destroy(&actr);
    secdec_crypto_session_destroy(&acbc);
}
END_TEST

START_TEST(test_ctr_counter_wraps_in_64_bits)
{
    /* The low 64 bits are 2 blocks from wrapping: the keystream must wrap them to zero and
     * leave the high 64 bits alone (as FFmpeg and hardware do). */
    uint8_t iv[16] = {0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 0xff, 0xff, 0xff, 0xff,
                      0xff, 0xff, 0xff, 0xfe};
    for (int i = 0; i < 20; i++)
        check_roundtrip(SECDEC_SCHEME_CENC, 16 + rnd(300), 16, 0, 0, i % 2, iv);
    check_roundtrip(SECDEC_SCHEME_CENS, 1000, 16, 1, 1, true, iv);
}
END_TEST

START_TEST(test_known_answer_cenc)
{
    /* Independent of both implementations above: the CENC counter block for an 8-byte IV is
     * IV || 0^64, so the first keystream block is AES(key, IV || 0). */
    uint8_t kid[16] = {1}, key[16] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
                                      0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff};
    install_key(ctr_sess, skey_ctr, kid, key);
    uint8_t ctr0[16] = {0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x00};
    uint8_t ks[16];
    tu_aes_ecb_encrypt(key, ctr0, ks);
    uint8_t enc[16];
    for (int i = 0; i < 16; i++)
        enc[i] = (uint8_t)('A' + i) ^ ks[i];
    SecdecSampleInfo info;
    secdec_sample_info_default(&info);
    memcpy(info.kid, kid, 16);
    memcpy(info.iv, ctr0, 8);
    info.iv_size = 8;
    SecdecProtectedBuffer *pb;
    ck_assert_int_eq(secdec_decrypt_sample(dev, ctr_sess, &info, enc, 16, &pb), SECDEC_OK);
    const uint8_t *out;
    size_t n;
    secdec_protected_buffer_map_for_decode(pb, &out, &n);
    ck_assert_mem_eq(out, "ABCDEFGHIJKLMNOP", 16);
    secdec_protected_buffer_release(&pb);
}
END_TEST

static SecdecStatus try_decrypt(SecdecCryptoSession *s, SecdecSampleInfo *info, size_t size)
{
    uint8_t *data = calloc(1, size ? size : 1);
    SecdecProtectedBuffer *pb = (SecdecProtectedBuffer *)(uintptr_t)1; /* must stay untouched */
    SecdecStatus st = secdec_decrypt_sample(dev, s, info, data, size, &pb);
    if (st == SECDEC_OK)
        secdec_protected_buffer_release(&pb);
    else
        ck_assert_ptr_eq(pb, (void *)(uintptr_t)1);
    free(data);
    return st;
}

START_TEST(test_validation)
{
    uint8_t kid[16] = {7}, key[16] = {9};
    install_key(ctr_sess, skey_ctr, kid, key);
    install_key(cbc_sess, skey_cbc, kid, key);
    SecdecSampleInfo info;
    secdec_sample_info_default(&info);
    memcpy(info.kid, kid, 16);
    ck_assert_int_eq(try_decrypt(ctr_sess, &info, 100), SECDEC_OK);
    /* empty and oversized samples */
    ck_assert_int_eq(try_decrypt(ctr_sess, &info, 0), SECDEC_E_BAD_SAMPLE);
    ck_assert_int_eq(secdec_decrypt_sample(dev, ctr_sess, &info, (const uint8_t *)"x",
                                           (size_t)SECDEC_MAX_SAMPLE_SIZE + 1, &(SecdecProtectedBuffer *){NULL}),
                     SECDEC_E_BAD_SAMPLE);
    /* IV sizes */
    for (unsigned iv = 0; iv < 40; iv++) {
        info.iv_size = iv;
        ck_assert_int_eq(try_decrypt(ctr_sess, &info, 100),
                         iv == 8 || iv == 16 ? SECDEC_OK : SECDEC_E_BAD_IV);
    }
    info.iv_size = 16;
    /* subsample sums */
    SecdecSubsample ss[3] = {{10, 32}, {5, 53}, {0, 0}};
    info.subsamples = ss;
    info.n_subsamples = 2;
    ck_assert_int_eq(try_decrypt(ctr_sess, &info, 100), SECDEC_OK);
    ck_assert_int_eq(try_decrypt(ctr_sess, &info, 99), SECDEC_E_BAD_SUBSAMPLES);
    ck_assert_int_eq(try_decrypt(ctr_sess, &info, 101), SECDEC_E_BAD_SUBSAMPLES);
    ss[1].encrypted_bytes = UINT32_MAX; /* 32-bit overflow must not wrap to a match */
    ck_assert_int_eq(try_decrypt(ctr_sess, &info, 100), SECDEC_E_BAD_SUBSAMPLES);
    ss[0] = (SecdecSubsample){UINT32_MAX, UINT32_MAX};
    ss[1] = (SecdecSubsample){2, 0};
    ck_assert_int_eq(try_decrypt(ctr_sess, &info, 0x100000000ull), SECDEC_E_BAD_SAMPLE);
    ck_assert_int_eq(try_decrypt(ctr_sess, &info, 100), SECDEC_E_BAD_SUBSAMPLES);
    info.subsamples = NULL; /* count without a map */
    ck_assert_int_eq(try_decrypt(ctr_sess, &info, 100), SECDEC_E_BAD_SUBSAMPLES);
    info.n_subsamples = SECDEC_MAX_SUBSAMPLES + 1;
    info.subsamples = ss;
    ck_assert_int_eq(try_decrypt(ctr_sess, &info, 100), SECDEC_E_BAD_SUBSAMPLES);
    info.n_subsamples = 0;
    info.subsamples = NULL;
    /* patterns */
    info.crypt_byte_block = 1;
    info.skip_byte_block = 9;
    ck_assert_int_eq(try_decrypt(ctr_sess, &info, 100), SECDEC_E_BAD_PATTERN); /* cenc */
    info.scheme = SECDEC_SCHEME_CENS;
    ck_assert_int_eq(try_decrypt(ctr_sess, &info, 100), SECDEC_OK);
    info.crypt_byte_block = 16;
    ck_assert_int_eq(try_decrypt(ctr_sess, &info, 100), SECDEC_E_BAD_PATTERN);
    info.crypt_byte_block = 0;
    ck_assert_int_eq(try_decrypt(ctr_sess, &info, 100), SECDEC_E_BAD_PATTERN);
    info.crypt_byte_block = 1;
    info.skip_byte_block = 16;
    ck_assert_int_eq(try_decrypt(ctr_sess, &info, 100), SECDEC_E_BAD_PATTERN);
    info.skip_byte_block = 9;
    /* cbc1: encrypted ranges in whole blocks */
    info.scheme = SECDEC_SCHEME_CBC1;
    info.crypt_byte_block = info.skip_byte_block = 0;
    SecdecSubsample cb[2] = {{4, 32}, {4, 60}};
    info.subsamples = cb;
    info.n_subsamples = 2;
    ck_assert_int_eq(try_decrypt(cbc_sess, &info, 100), SECDEC_E_BAD_SUBSAMPLES);
    cb[1] = (SecdecSubsample){16, 48};
    ck_assert_int_eq(try_decrypt(cbc_sess, &info, 100), SECDEC_OK);
    /* scheme vs session crypto type */
    ck_assert_int_eq(try_decrypt(ctr_sess, &info, 100), SECDEC_E_UNSUPPORTEDCRYPTO);
    info.scheme = (SecdecScheme)9;
    ck_assert_int_eq(try_decrypt(cbc_sess, &info, 100), SECDEC_E_BAD_SAMPLE);
    /* NULLs */
    info.scheme = SECDEC_SCHEME_CBC1;
    SecdecProtectedBuffer *pb;
    ck_assert_int_eq(secdec_decrypt_sample(dev, cbc_sess, &info, NULL, 100, &pb),
                     SECDEC_E_INVALIDARG);
    ck_assert_int_eq(secdec_decrypt_sample(dev, cbc_sess, &info, (const uint8_t *)"x", 1, NULL),
                     SECDEC_E_INVALIDARG);
    ck_assert_int_eq(secdec_decrypt_sample(NULL, cbc_sess, &info, (const uint8_t *)"x", 1, &pb),
                     SECDEC_E_INVALIDARG);
}
END_TEST

START_TEST(test_keys_by_kid)
{
    uint8_t kid_a[16] = {0xa}, kid_b[16] = {0xb}, kid_clear[16] = {0xc}, kid_sess[16] = {0xd},
            unknown[16] = {0xe};
    uint8_t key_a[16] = {1, 2, 3}, key_b[16] = {4, 5, 6}, zero[16] = {0};
    install_key(ctr_sess, skey_ctr, kid_a, key_a);
    install_key(ctr_sess, skey_ctr, kid_b, key_b);
    ck_assert_int_eq(secdec_crypto_session_set_content_key(dev, ctr_sess, kid_clear, 0, NULL),
                     SECDEC_OK);
    ck_assert_int_eq(secdec_crypto_session_set_content_key(dev, ctr_sess, kid_sess, 16, zero),
                     SECDEC_OK);

    uint8_t clear[64], enc[64];
    RAND_bytes(clear, sizeof(clear));
    struct {
        const uint8_t *kid;
        const uint8_t *key; /* NULL: clear pass-through */
    } cases[] = {{kid_a, key_a}, {kid_b, key_b}, {kid_sess, skey_ctr}, {kid_clear, NULL},
                 {kid_a, key_a}};
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        SecdecSampleInfo info;
        secdec_sample_info_default(&info);
        memcpy(info.kid, cases[c].kid, 16);
        RAND_bytes(info.iv, 16);
        memcpy(enc, clear, sizeof(enc));
        if (cases[c].key) {
            Ref r = {.scheme = SECDEC_SCHEME_CENC, .iv_size = 16};
            memcpy(r.key, cases[c].key, 16);
            memcpy(r.iv, info.iv, 16);
            ref_encrypt(&r, enc, sizeof(enc), NULL, 0);
        }
        SecdecProtectedBuffer *pb;
        ck_assert_int_eq(secdec_decrypt_sample(dev, ctr_sess, &info, enc, sizeof(enc), &pb),
                         SECDEC_OK);
        const uint8_t *out;
        size_t n;
        secdec_protected_buffer_map_for_decode(pb, &out, &n);
        ck_assert_mem_eq(out, clear, sizeof(clear));
        secdec_protected_buffer_release(&pb);
    }
    /* unknown KID: its own status, and nothing allocated */
    SecdecSampleInfo info;
    secdec_sample_info_default(&info);
    memcpy(info.kid, unknown, 16);
    ck_assert_int_eq(try_decrypt(ctr_sess, &info, 64), SECDEC_E_NO_KEY);
    /* the session-key KID follows a refresh */
    uint8_t rnd16[16];
    ck_assert_int_eq(secdec_start_session_key_refresh(dev, ctr_sess, 16, rnd16), SECDEC_OK);
    ck_assert_int_eq(secdec_finish_session_key_refresh(dev, ctr_sess), SECDEC_OK);
    uint8_t newkey[16];
    for (int i = 0; i < 16; i++)
        newkey[i] = skey_ctr[i] ^ rnd16[i];
    memcpy(info.kid, kid_sess, 16);
    RAND_bytes(info.iv, 16);
    memcpy(enc, clear, sizeof(enc));
    Ref r = {.scheme = SECDEC_SCHEME_CENC, .iv_size = 16};
    memcpy(r.key, newkey, 16);
    memcpy(r.iv, info.iv, 16);
    ref_encrypt(&r, enc, sizeof(enc), NULL, 0);
    SecdecProtectedBuffer *pb;
    ck_assert_int_eq(secdec_decrypt_sample(dev, ctr_sess, &info, enc, sizeof(enc), &pb), SECDEC_OK);
    const uint8_t *out;
    size_t n;
    secdec_protected_buffer_map_for_decode(pb, &out, &n);
    ck_assert_mem_eq(out, clear, sizeof(clear));
    secdec_protected_buffer_release(&pb);
    /* removing a key makes its KID unknown again */
    ck_assert_int_eq(secdec_crypto_session_remove_content_key(dev, ctr_sess, kid_a), SECDEC_OK);
    memcpy(info.kid, kid_a, 16);
    ck_assert_int_eq(try_decrypt(ctr_sess, &info, 64), SECDEC_E_NO_KEY);
    /* clear samples (info NULL) are copied into protected memory */
    ck_assert_int_eq(secdec_decrypt_sample(dev, ctr_sess, NULL, clear, sizeof(clear), &pb),
                     SECDEC_OK);
    secdec_protected_buffer_map_for_decode(pb, &out, &n);
    ck_assert_mem_eq(out, clear, sizeof(clear));
    ck_assert_int_eq(secdec_protected_buffer_is_locked(pb), 1);
    secdec_protected_buffer_release(&pb);
}
END_TEST

START_TEST(test_d3d11_forms)
{
    uint8_t kid[16] = {0x3d}, key[16] = {0x11, 0x22};
    install_key(ctr_sess, skey_ctr, kid, key);
    enum { N = 1000 };
    uint8_t clear[N], enc[N];
    RAND_bytes(clear, N);
    /* D3D11_AES_CTR_IV: IV and block count, each big-endian in memory */
    SecdecD3DAesCtrIv iv;
    uint8_t ivbytes[16] = {0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80, 0, 0, 0, 0, 0, 0, 0, 5};
    memcpy(&iv.iv, ivbytes, 8);
    memcpy(&iv.count, ivbytes + 8, 8);

    /* (a) DESC1 sub-sample mapping blocks */
    SecdecD3DSubSampleMappingBlock map[3] = {{5, 300}, {7, 400}, {288, 0}};
    SecdecSubsample ss[3] = {{5, 300}, {7, 400}, {288, 0}};
    Ref r = {.scheme = SECDEC_SCHEME_CENC, .iv_size = 16};
    memcpy(r.key, key, 16);
    memcpy(r.iv, ivbytes, 16);
    memcpy(enc, clear, N);
    ref_encrypt(&r, enc, N, ss, 3);
    SecdecD3DBufferDesc desc = {.iv = &iv, .mapping = map, .mapping_count = 3};
    SecdecProtectedBuffer *pb;
    const uint8_t *out;
    size_t n;
    ck_assert_int_eq(secdec_decrypt_d3d11(dev, ctr_sess, kid, &desc, enc, N, &pb), SECDEC_OK);
    secdec_protected_buffer_map_for_decode(pb, &out, &n);
    ck_assert_mem_eq(out, clear, N);
    secdec_protected_buffer_release(&pb);

    /* (b) D3D11_ENCRYPTED_BLOCK_INFO: 100 encrypted, then skip 30 / encrypt 50 repeating */
    SecdecD3DEncryptedBlockInfo bi = {100, 30, 50};
    SecdecSubsample bss[20];
    unsigned k = 0;
    bss[k++] = (SecdecSubsample){0, 100};
    for (size_t pos = 100; pos < N;) {
        size_t c = N - pos < 30 ? N - pos : 30;
        pos += c;
        size_t e = N - pos < 50 ? N - pos : 50;
        pos += e;
        bss[k++] = (SecdecSubsample){(uint32_t)c, (uint32_t)e};
    }
    memcpy(enc, clear, N);
    ref_encrypt(&r, enc, N, bss, k);
    SecdecD3DBufferDesc desc2 = {.iv = &iv, .block_info = &bi};
    ck_assert_int_eq(secdec_decrypt_d3d11(dev, ctr_sess, kid, &desc2, enc, N, &pb), SECDEC_OK);
    secdec_protected_buffer_map_for_decode(pb, &out, &n);
    ck_assert_mem_eq(out, clear, N);
    secdec_protected_buffer_release(&pb);

    /* (c) DESC2 stripes: the cens pattern */
    Ref rc = {.scheme = SECDEC_SCHEME_CENS, .iv_size = 16, .crypt = 1, .skip = 9};
    memcpy(rc.key, key, 16);
    memcpy(rc.iv, ivbytes, 16);
    memcpy(enc, clear, N);
    ref_encrypt(&rc, enc, N, ss, 3);
    SecdecD3DBufferDesc desc3 = {.iv = &iv, .mapping = map, .mapping_count = 3,
                                 .stripe_encrypted = 1, .stripe_clear = 9};
    ck_assert_int_eq(secdec_decrypt_d3d11(dev, ctr_sess, kid, &desc3, enc, N, &pb), SECDEC_OK);
    secdec_protected_buffer_map_for_decode(pb, &out, &n);
    ck_assert_mem_eq(out, clear, N);
    secdec_protected_buffer_release(&pb);

    /* both forms at once, or no IV: invalid */
    SecdecD3DBufferDesc bad = {.iv = &iv, .mapping = map, .mapping_count = 3, .block_info = &bi};
    ck_assert_int_eq(secdec_decrypt_d3d11(dev, ctr_sess, kid, &bad, enc, N, &pb),
                     SECDEC_E_INVALIDARG);
    SecdecD3DBufferDesc noiv = {.mapping = map, .mapping_count = 3};
    ck_assert_int_eq(secdec_decrypt_d3d11(dev, ctr_sess, kid, &noiv, enc, N, &pb),
                     SECDEC_E_INVALIDARG);
    map[2].clear_size = 287; /* mapping must cover the buffer exactly */
    ck_assert_int_eq(secdec_decrypt_d3d11(dev, ctr_sess, kid, &desc, enc, N, &pb),
                     SECDEC_E_BAD_SUBSAMPLES);
}
END_TEST

START_TEST(test_wrong_device_and_lost_keys)
{
    uint8_t kid[16] = {0x42}, key[16] = {1};
    install_key(ctr_sess, skey_ctr, kid, key);
    SecdecSampleInfo info;
    secdec_sample_info_default(&info);
    memcpy(info.kid, kid, 16);
    char home2[600];
    snprintf(home2, sizeof(home2), "%s/other", home);
    SecdecDeviceSettings st;
    secdec_device_default_settings(&st);
    st.home_dir = home2;
    SecdecDevice *dev2;
    ck_assert_int_eq(secdec_device_open(&dev2, &st), SECDEC_OK);
    uint8_t data[32] = {0};
    SecdecProtectedBuffer *pb = NULL;
    ck_assert_int_eq(secdec_decrypt_sample(dev2, ctr_sess, &info, data, 32, &pb),
                     SECDEC_E_WRONG_DEVICE);
    secdec_device_close(&dev2);

    /* A buffer outstanding across fork: in the child, keys and content are gone. */
    ck_assert_int_eq(secdec_decrypt_sample(dev, ctr_sess, &info, data, 32, &pb), SECDEC_OK);
    pid_t pid = fork();
    if (pid == 0) {
        SecdecCryptoSessionStatus cs;
        int code = 10;
        if (secdec_check_crypto_session_status(dev, ctr_sess, &cs) == SECDEC_OK &&
            cs == SECDEC_SESSION_STATUS_KEY_AND_CONTENT_LOST) {
            const uint8_t *out;
            size_t n;
            secdec_protected_buffer_map_for_decode(pb, &out, &n);
            SecdecProtectedBuffer *pb2 = NULL;
            code = sd_ct_is_zero(out, n) &&
                           secdec_decrypt_sample(dev, ctr_sess, &info, data, 32, &pb2) ==
                               SECDEC_E_KEY_LOST
                       ? 0
                       : 11;
        }
        _exit(code);
    }
    int wst;
    ck_assert_int_eq(waitpid(pid, &wst, 0), pid);
    ck_assert_msg(WIFEXITED(wst) && WEXITSTATUS(wst) == 0, "child status %d", WEXITSTATUS(wst));
    secdec_protected_buffer_release(&pb);
    SecdecCryptoSessionStatus cs;
    ck_assert_int_eq(secdec_check_crypto_session_status(dev, ctr_sess, &cs), SECDEC_OK);
    ck_assert_int_eq(cs, SECDEC_SESSION_STATUS_OK);
}
END_TEST

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

START_TEST(test_memlock_limit)
{
#ifdef UNDER_ASAN
    /* AddressSanitizer replaces mlock() with a no-op that always succeeds, so the limit can't
     * be observed here; the normal build runs this test. */
    return;
#endif
    /* In a child with RLIMIT_MEMLOCK = 0, locking protected memory fails: an error by
     * default, and an explicitly reported unlocked mode when the caller opted in. */
    pid_t pid = fork();
    if (pid == 0) {
        struct rlimit rl = {0, 0};
        if (setrlimit(RLIMIT_MEMLOCK, &rl) != 0)
            _exit(20);
        if (geteuid() == 0) {
            /* root may lock regardless of the limit: drop CAP_IPC_LOCK by becoming nobody */
            if (setgid(65534) != 0 || setuid(65534) != 0)
                _exit(21);
        }
        uint8_t kid[16] = {0x77}, key[16] = {5};
        (void)key;
        SecdecSampleInfo info;
        secdec_sample_info_default(&info);
        memcpy(info.kid, kid, 16);
        uint8_t data[64] = {0};
        SecdecProtectedBuffer *pb = NULL;
        /* the existing session: its key memory was locked before; new buffers cannot be */
        SecdecStatus st = secdec_decrypt_sample(dev, ctr_sess, NULL, data, 64, &pb);
        if (st == SECDEC_OK) {
            /* a cached region from the pool may be reused; ask for a larger one */
            secdec_protected_buffer_release(&pb);
            uint8_t *big = calloc(1, 8 << 20);
            st = secdec_decrypt_sample(dev, ctr_sess, NULL, big, 8 << 20, &pb);
            free(big);
        }
        _exit(st == SECDEC_E_MEMLOCK ? 0 : 22);
    }
    int wst;
    ck_assert_int_eq(waitpid(pid, &wst, 0), pid);
    ck_assert_msg(WIFEXITED(wst) && WEXITSTATUS(wst) == 0, "child status %d", WEXITSTATUS(wst));

    /* opted-in unlocked mode: works and says so */
    pid = fork();
    if (pid == 0) {
        struct rlimit rl = {0, 0};
        if (setrlimit(RLIMIT_MEMLOCK, &rl) != 0)
            _exit(20);
        if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0))
            _exit(21);
        SecdecDeviceSettings st;
        secdec_device_default_settings(&st);
        st.home_dir = home; /* identity readable: same files, but now as nobody -> copy */
        st.allow_unlocked_memory = 1;
        st.log_level = SECDEC_LOG_ERROR;
        SecdecDevice *d = NULL;
        SecdecStatus s = secdec_device_open(&d, &st);
        if (s == SECDEC_E_IO || s == SECDEC_E_IDENTITY) {
            /* nobody cannot read root's identity: use a fresh home under /tmp */
            char h[] = "/tmp/secdec-unlocked-XXXXXX";
            if (!mkdtemp(h))
                _exit(23);
            st.home_dir = h;
            s = secdec_device_open(&d, &st);
        }
        if (s != SECDEC_OK)
            _exit(24);
        SecdecCryptoSession *cs = NULL;
        if (secdec_create_crypto_session(d, &SECDEC_CRYPTO_TYPE_AES128_CTR, NULL,
                                         &SECDEC_KEY_EXCHANGE_RSAES_OAEP, &cs) != SECDEC_OK)
            _exit(25);
        uint8_t big[100000] = {1};
        SecdecProtectedBuffer *pb = NULL;
        if (secdec_decrypt_sample(d, cs, NULL, big, sizeof(big), &pb) != SECDEC_OK)
            _exit(26);
        int locked = secdec_protected_buffer_is_locked(pb);
        secdec_protected_buffer_release(&pb);
        secdec_crypto_session_destroy(&cs);
        secdec_device_close(&d);
        _exit(locked == 0 ? 0 : 27);
    }
    ck_assert_int_eq(waitpid(pid, &wst, 0), pid);
    ck_assert_msg(WIFEXITED(wst) && WEXITSTATUS(wst) == 0, "child status %d", WEXITSTATUS(wst));
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("decrypt");
    TCase *tc = tcase_create("decrypt");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_all_schemes_random);
    tcase_add_test(tc, test_ctr_counter_wraps_in_64_bits);
    tcase_add_test(tc, test_audio_clear_output);
    tcase_add_test(tc, test_known_answer_cenc);
    tcase_add_test(tc, test_validation);
    tcase_add_test(tc, test_keys_by_kid);
    tcase_add_test(tc, test_d3d11_forms);
    tcase_add_test(tc, test_wrong_device_and_lost_keys);
    tcase_add_test(tc, test_memlock_limit);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
