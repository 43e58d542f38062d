/*
 * test_hw_fixture.c - what the tests of the hw executable share: the checked fixture
 * (home, driver log, test driver), devices and negotiated sessions, an independent CENC
 * encryptor, decoding one sample through VA with the session attached, the driver's log.
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/rand.h>
#include "test_hw.h"
#include "test_util.h"

char home[4096];
char log_path[4200];

void setup(void)
{
    const char *tmp = getenv("SECDEC_TEST_TMP");
    snprintf(home, sizeof(home), "%s/hw-home", tmp ? tmp : "/tmp");
    mkdir(home, 0700);
    snprintf(log_path, sizeof(log_path), "%s/hw-drv.%d.log", tmp ? tmp : "/tmp", (int)getpid());
    unlink(log_path);
    setenv("SECDEC_TEST_DRV_LOG", log_path, 1);
    setenv("SECDEC_VA_TEST_DRIVER", "secdec_test", 1);
    unsetenv("SECDEC_TEST_DRV_FAIL");
}

void teardown(void)
{
    unlink(log_path);
}

SecdecStatus open_dev(SecdecBackend backend, SecdecDevice **dev)
{
    SecdecDeviceSettings set;
    secdec_device_default_settings(&set);
    set.backend = backend;
    set.home_dir = home;
    set.log_level = SECDEC_LOG_ERROR;
    set.allow_unlocked_memory = 1;
    return secdec_device_open(dev, &set);
}

/* A negotiated session (certificate from the TEE, RSAES-OAEP SHA-512 by default). */
SecdecCryptoSession *new_session(SecdecDevice *dev, const SecdecGuid *crypto,
                                 uint8_t skey[16])
{
    SecdecCryptoSession *s = NULL;
    ck_assert_int_eq(secdec_create_crypto_session(dev, crypto, &SECDEC_DECODER_PROFILE_H264_VLD_NOFGT,
                                                  &SECDEC_KEY_EXCHANGE_RSAES_OAEP, &s),
                     SECDEC_OK);
    uint32_t n = 0;
    ck_assert_int_eq(secdec_crypto_session_get_certificate_size(dev, s, &n), SECDEC_OK);
    uint8_t *cert = malloc(n);
    ck_assert_int_eq(secdec_crypto_session_get_certificate(dev, s, n, cert), SECDEC_OK);
    uint8_t blob[256];
    RAND_bytes(skey, 16);
    ck_assert_int_eq(tu_oaep_encrypt(cert, n, EVP_sha512(), skey, 16, blob), 0);
    ck_assert_int_eq(secdec_negotiate_crypto_session_key_exchange(dev, s, 256, blob), SECDEC_OK);
    free(cert);
    return s;
}

/* The TEE loses the session's keys, as on a reset (test driver function). */
void tee_invalidate(SecdecDevice *dev, SecdecCryptoSession *s)
{
    VADisplay dpy;
    VAProtectedSessionID ps;
    secdec_vaapi_session_get_display(dev, s, &dpy, &ps);
    VAProtectedSessionExecuteBuffer x = {.function_id = SECDEC_VA_TEE_FUNC_TEST_INVALIDATE_SESSION};
    VABufferID b;
    ck_assert_int_eq(vaCreateBuffer(dpy, ps, VAProtectedSessionExecuteBufferType, sizeof(x), 1, &x, &b), 0);
    ck_assert_int_eq(vaProtectedSessionExecute(dpy, ps, b), 0);
    vaDestroyBuffer(dpy, b);
}

void set_key(SecdecDevice *dev, SecdecCryptoSession *s, const uint8_t kid[16],
             const uint8_t skey[16], const uint8_t ckey[16])
{
    uint8_t w[16];
    tu_aes_ecb_encrypt(skey, ckey, w);
    ck_assert_int_eq(secdec_crypto_session_set_content_key(dev, s, kid, 16, w), SECDEC_OK);
}

/* ---- a CENC encryptor (independent of core's decrypt engine; cross-checked against it) ---- */

void cenc_encrypt(const SecdecSampleInfo *in, const uint8_t key[16], const uint8_t *clear,
                  uint8_t *out, size_t size)
{
    bool ctr = in->scheme == SECDEC_SCHEME_CENC || in->scheme == SECDEC_SCHEME_CENS;
    uint8_t iv[16] = {0};
    memcpy(iv, in->iv, in->iv_size);
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    ck_assert(EVP_EncryptInit_ex(c, ctr ? EVP_aes_128_ctr() : EVP_aes_128_cbc(), NULL, key, iv) == 1);
    EVP_CIPHER_CTX_set_padding(c, 0);
    memcpy(out, clear, size);
    SecdecSubsample whole = {0, (uint32_t)size};
    const SecdecSubsample *sub = in->n_subsamples ? in->subsamples : &whole;
    uint32_t ns = in->n_subsamples ? in->n_subsamples : 1;
    size_t pos = 0;
    int len;
    for (uint32_t i = 0; i < ns; i++) {
        pos += sub[i].clear_bytes;
        size_t n = sub[i].encrypted_bytes;
        uint8_t *p = out + pos;
        if (in->scheme == SECDEC_SCHEME_CBCS)
            ck_assert(EVP_EncryptInit_ex(c, NULL, NULL, NULL, iv) == 1);
        if (!in->crypt_byte_block) {
            size_t e = ctr ? n : n / 16 * 16;
            if (e)
                ck_assert(EVP_EncryptUpdate(c, p, &len, p, (int)e) == 1);
        } else {
            size_t q = 0;
            while (n - q >= 16) {
                size_t b = (n - q) / 16, cb = (b < in->crypt_byte_block ? b : in->crypt_byte_block) * 16;
                ck_assert(EVP_EncryptUpdate(c, p + q, &len, p + q, (int)cb) == 1);
                q += cb;
                size_t sk = (size_t)in->skip_byte_block * 16;
                q += sk < n - q ? sk : n - q;
            }
        }
        pos += n;
    }
    EVP_CIPHER_CTX_free(c);
}

/* ---- decoding one sample through VA with the session attached ------------------------------ */

void va_open(SecdecDevice *dev, SecdecCryptoSession *s, Va *va)
{
    VAProtectedSessionID ps;
    ck_assert_int_eq(secdec_vaapi_session_get_display(dev, s, &va->dpy, &ps), SECDEC_OK);
    VAConfigAttrib a[2] = {{VAConfigAttribRTFormat, VA_RT_FORMAT_YUV420},
                           {VAConfigAttribEncryption,
                            VA_ENCRYPTION_TYPE_SUBSAMPLE_CTR | VA_ENCRYPTION_TYPE_SUBSAMPLE_CBC}};
    ck_assert_int_eq(vaCreateConfig(va->dpy, VAProfileH264High, VAEntrypointVLD, a, 2, &va->cfg), 0);
    ck_assert_int_eq(vaCreateSurfaces(va->dpy, VA_RT_FORMAT_YUV420, 64, 48, &va->surf, 1, NULL, 0), 0);
    ck_assert_int_eq(vaCreateContext(va->dpy, va->cfg, 64, 48, VA_PROGRESSIVE, &va->surf, 1, &va->ctx), 0);
    ck_assert_int_eq(secdec_vaapi_attach(dev, s, va->ctx), SECDEC_OK);
}

void va_close(Va *va)
{
    vaDestroyContext(va->dpy, va->ctx);
    vaDestroySurfaces(va->dpy, &va->surf, 1);
    vaDestroyConfig(va->dpy, va->cfg);
}

/* Renders `data` as slices of the given sizes with the sample's encryption; returns the VA
 * status of vaEndPicture (SECDEC status problems fail the test). */
VAStatus va_decode(SecdecDevice *dev, SecdecCryptoSession *s, Va *va,
                   const SecdecSampleInfo *info, const uint8_t *data, const size_t *sizes,
                   int n)
{
    size_t size = 0;
    for (int i = 0; i < n; i++)
        size += sizes[i];
    SecdecVaapiEncryption enc;
    ck_assert_int_eq(secdec_vaapi_build_encryption(dev, s, info, data, size, 0, &enc), SECDEC_OK);
    VABufferID bufs[17];
    int nb = 0;
    ck_assert_int_eq(vaBeginPicture(va->dpy, va->ctx, va->surf), 0);
    if (!enc.clear)
        ck_assert_int_eq(vaCreateBuffer(va->dpy, va->ctx, VAEncryptionParameterBufferType,
                                        sizeof(enc.params), 1, &enc.params, &bufs[nb++]),
                         0);
    secdec_vaapi_encryption_clear(&enc); /* the driver copied the segments */
    size_t off = 0;
    for (int i = 0; i < n; i++) {
        ck_assert_int_eq(vaCreateBuffer(va->dpy, va->ctx, VASliceDataBufferType, (unsigned)sizes[i], 1,
                                        (void *)(data + off), &bufs[nb++]),
                         0);
        off += sizes[i];
    }
    VAStatus st = vaRenderPicture(va->dpy, va->ctx, bufs, nb);
    if (!st)
        st = vaEndPicture(va->dpy, va->ctx);
    for (int i = 0; i < nb; i++)
        vaDestroyBuffer(va->dpy, bufs[i]);
    return st;
}

char *read_log(void)
{
    static char buf[1 << 16];
    FILE *f = fopen(log_path, "r");
    size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
    if (f)
        fclose(f);
    buf[n] = 0;
    unlink(log_path);
    return buf;
}

/* The log lines the driver must have written for these clear slices. */
void expected_log(const uint8_t *clear, const size_t *sizes, int n, const char *kind,
                  char *out, size_t cap)
{
    size_t off = 0, w = 0;
    out[0] = 0;
    for (int i = 0; i < n; i++) {
        uint8_t md[32];
        unsigned len = 32;
        EVP_Digest(clear + off, sizes[i], md, &len, EVP_sha256(), NULL);
        w += (size_t)snprintf(out + w, cap - w, "slice %s ", kind);
        for (int k = 0; k < 32; k++)
            w += (size_t)snprintf(out + w, cap - w, "%02x", md[k]);
        w += (size_t)snprintf(out + w, cap - w, " %zu\n", sizes[i]);
        off += sizes[i];
    }
}
