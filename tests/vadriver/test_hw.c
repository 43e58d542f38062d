/*
 * test_hw.c - libsecdec's VA-API backend (hw/, libsecdec-vaapi.so) against the VA test driver:
 * backend selection, caps, TEE key exchange, VAEncryptionParameters built by
 * secdec_vaapi_build_encryption() decrypted bit-exactly by the driver (cenc, cens, cbc1, cbcs,
 * 8/16-byte IVs, key rotation), session loss and recovery, every fault-knob failure.
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <secdec/decrypt.h>
#include <secdec/secdec.h>
#include <secdec/va-tee.h>
#include <secdec/vaapi.h>

static char home[4096];
static char log_path[4200];

static void setup(void)
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

static void teardown(void)
{
    unlink(log_path);
}

static SecdecStatus open_dev(SecdecBackend backend, SecdecDevice **dev)
{
    SecdecDeviceSettings set;
    secdec_device_default_settings(&set);
    set.backend = backend;
    set.home_dir = home;
    set.log_level = SECDEC_LOG_ERROR;
    set.allow_unlocked_memory = 1;
    return secdec_device_open(dev, &set);
}

static void oaep(const uint8_t *cert, uint32_t n, const EVP_MD *md, const uint8_t key[16],
                 uint8_t blob[256])
{
    const unsigned char *p = cert;
    X509 *x = d2i_X509(NULL, &p, n);
    ck_assert_ptr_nonnull(x);
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(NULL, X509_get0_pubkey(x), NULL);
    size_t len = 256;
    ck_assert(c && EVP_PKEY_encrypt_init(c) == 1 &&
              EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_OAEP_PADDING) == 1 &&
              EVP_PKEY_CTX_set_rsa_oaep_md(c, md) == 1 && EVP_PKEY_CTX_set_rsa_mgf1_md(c, md) == 1 &&
              EVP_PKEY_encrypt(c, blob, &len, key, 16) == 1 && len == 256);
    EVP_PKEY_CTX_free(c);
    X509_free(x);
}

static void ecb(const uint8_t key[16], const uint8_t in[16], uint8_t out[16])
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int len;
    ck_assert(EVP_EncryptInit_ex(c, EVP_aes_128_ecb(), NULL, key, NULL) == 1);
    EVP_CIPHER_CTX_set_padding(c, 0);
    ck_assert(EVP_EncryptUpdate(c, out, &len, in, 16) == 1);
    EVP_CIPHER_CTX_free(c);
}

/* A negotiated session (certificate from the TEE, RSAES-OAEP SHA-512 by default). */
static SecdecCryptoSession *new_session(SecdecDevice *dev, const SecdecGuid *crypto,
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
    oaep(cert, n, EVP_sha512(), skey, blob);
    ck_assert_int_eq(secdec_negotiate_crypto_session_key_exchange(dev, s, 256, blob), SECDEC_OK);
    free(cert);
    return s;
}

/* The TEE loses the session's keys, as on a reset (test driver function). */
static void tee_invalidate(SecdecDevice *dev, SecdecCryptoSession *s)
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

static void set_key(SecdecDevice *dev, SecdecCryptoSession *s, const uint8_t kid[16],
                    const uint8_t skey[16], const uint8_t ckey[16])
{
    uint8_t w[16];
    ecb(skey, ckey, w);
    ck_assert_int_eq(secdec_crypto_session_set_content_key(dev, s, kid, 16, w), SECDEC_OK);
}

/* ---- a CENC encryptor (independent of core's decrypt engine; cross-checked against it) ---- */

static void cenc_encrypt(const SecdecSampleInfo *in, const uint8_t key[16], const uint8_t *clear,
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

typedef struct Va {
    VADisplay dpy;
    VAConfigID cfg;
    VASurfaceID surf;
    VAContextID ctx;
} Va;

static void va_open(SecdecDevice *dev, SecdecCryptoSession *s, Va *va)
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

static void va_close(Va *va)
{
    vaDestroyContext(va->dpy, va->ctx);
    vaDestroySurfaces(va->dpy, &va->surf, 1);
    vaDestroyConfig(va->dpy, va->cfg);
}

/* Renders `data` as slices of the given sizes with the sample's encryption; returns the VA
 * status of vaEndPicture (SECDEC status problems fail the test). */
static VAStatus va_decode(SecdecDevice *dev, SecdecCryptoSession *s, Va *va,
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

static char *read_log(void)
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
static void expected_log(const uint8_t *clear, const size_t *sizes, int n, const char *kind,
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
    oaep(cert, n, EVP_sha256(), key, blob);
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

/* Sample layouts of the matrix. */
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
    oaep(cert, n, EVP_sha512(), sskey, blob);
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

START_TEST(test_builder)
{
    /* CTR counter across subsamples: low 64 bits wrap, high bits untouched, partial blocks */
    SecdecSampleInfo info;
    secdec_sample_info_default(&info);
    memset(info.iv, 0xff, 16);
    info.iv[0] = 0x12;
    SecdecSubsample sub[3] = {{3, 21}, {0, 11}, {2, 40}};
    info.subsamples = sub;
    info.n_subsamples = 3;
    uint8_t wk[16] = {0x42};
    SecdecVaapiEncryption e;
    ck_assert_int_eq(secdec_vaapi_fill_encryption(&info, wk, 1, NULL, 77, 1000, &e), SECDEC_OK);
    ck_assert_uint_eq(e.n_segments, 3);
    ck_assert_uint_eq(e.params.encryption_type, VA_ENCRYPTION_TYPE_SUBSAMPLE_CTR);
    ck_assert_uint_eq(e.params.key_blob_size, 16);
    ck_assert_int_eq(e.params.wrapped_decrypt_blob[0], 0x42);
    ck_assert_uint_eq(e.segments[1].segment_start_offset, 1024);
    ck_assert_uint_eq(e.segments[1].partial_aes_block_size, 5);   /* 21 % 16 */
    ck_assert_int_eq(e.segments[1].aes_cbc_iv_or_ctr[15], 0x00); /* +1 block: wrapped */
    ck_assert_int_eq(e.segments[1].aes_cbc_iv_or_ctr[8], 0x00);
    ck_assert_int_eq(e.segments[1].aes_cbc_iv_or_ctr[7], 0xff);  /* no carry upwards */
    ck_assert_uint_eq(e.segments[2].partial_aes_block_size, 0);   /* 5 + 11 = 16 */
    ck_assert_int_eq(e.segments[2].aes_cbc_iv_or_ctr[15], 0x01);
    ck_assert_uint_eq(e.segments[2].init_byte_length, 2);
    secdec_vaapi_encryption_clear(&e);
    /* validation as secdec_decrypt_sample() */
    ck_assert_int_eq(secdec_vaapi_fill_encryption(&info, wk, 1, NULL, 78, 0, &e), SECDEC_E_BAD_SUBSAMPLES);
    ck_assert_int_eq(secdec_vaapi_fill_encryption(&info, wk, 0, NULL, 77, 0, &e), SECDEC_E_UNSUPPORTEDCRYPTO);
    info.iv_size = 12;
    ck_assert_int_eq(secdec_vaapi_fill_encryption(&info, wk, 1, NULL, 77, 0, &e), SECDEC_E_BAD_IV);
    info.iv_size = 16;
    info.crypt_byte_block = 1;
    ck_assert_int_eq(secdec_vaapi_fill_encryption(&info, wk, 1, NULL, 77, 0, &e), SECDEC_E_BAD_PATTERN);
}
END_TEST

START_TEST(test_slice_headers)
{
    /* [len 4][IDR slice NAL 0x65 ...] [len 4][SPS 0x67 ...] */
    uint8_t s[4 + 40 + 4 + 8] = {0, 0, 0, 40, 0x65};
    s[44 + 3] = 8;
    s[48] = 0x67;
    SecdecSubsample ffmpeg_like[2] = {{5, 39}, {12, 0}};
    SecdecSubsample proper[2] = {{12, 32}, {12, 0}};
    SecdecSampleInfo info;
    secdec_sample_info_default(&info);
    info.subsamples = ffmpeg_like;
    info.n_subsamples = 2;
    const char *why = NULL;
    ck_assert_int_eq(secdec_vaapi_check_slice_headers(&info, s, sizeof(s), SECDEC_VAAPI_CODEC_H264, 4, &why),
                     SECDEC_E_NOTIMPL);
    ck_assert_ptr_nonnull(why);
    info.subsamples = proper;
    ck_assert_int_eq(secdec_vaapi_check_slice_headers(&info, s, sizeof(s), SECDEC_VAAPI_CODEC_H264, 4, &why),
                     SECDEC_OK);
    info.n_subsamples = 0;
    ck_assert_int_eq(secdec_vaapi_check_slice_headers(&info, s, sizeof(s), SECDEC_VAAPI_CODEC_H264, 4, &why),
                     SECDEC_E_NOTIMPL);
    s[3] = 99; /* lengths do not fit */
    ck_assert_int_eq(secdec_vaapi_check_slice_headers(&info, s, sizeof(s), SECDEC_VAAPI_CODEC_H264, 4, &why),
                     SECDEC_E_BAD_SAMPLE);
}
END_TEST

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
        oaep(cert, n, EVP_sha512(), skey, blob);
        st = secdec_negotiate_crypto_session_key_exchange(dev, s, 256, blob);
        failures += st != SECDEC_OK;
        if (st == SECDEC_OK) {
            uint8_t w[16];
            ecb(skey, ckey, w);
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

int main(void)
{
    Suite *su = suite_create("hw");
    TCase *tc = tcase_create("vaapi");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_selection);
    tcase_add_test(tc, test_no_module);
    tcase_add_test(tc, test_app_display);
    tcase_add_test(tc, test_caps);
    tcase_add_test(tc, test_key_exchange);
    tcase_add_loop_test(tc, test_decrypt_matrix, 0, (int)(sizeof(cases) / sizeof(cases[0])));
    tcase_add_test(tc, test_key_rotation_and_loss);
    tcase_add_test(tc, test_key_refresh);
    tcase_add_test(tc, test_builder);
    tcase_add_test(tc, test_slice_headers);
    tcase_add_loop_test(tc, test_faults, 0, (int)(sizeof(faults) / sizeof(faults[0])));
    suite_add_tcase(su, tc);
    SRunner *sr = srunner_create(su);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
