/*
 * test_vadriver.c - the VA test driver itself (secdec_test_drv_video.so), through libva with a
 * headless display: caps, protected sessions and the TEE protocol, decryption of rendered
 * slice data, images, the fault knob.
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <va/va.h>

#include "secdec/va-tee.h"
#include "test_util.h"
#include "va_headless.h"

static VADisplay dpy;

static void setup(void)
{
    unsetenv("SECDEC_TEST_DRV_FAIL");
    dpy = sd_va_headless_display("secdec_test");
    ck_assert_ptr_nonnull(dpy);
    int maj, min;
    ck_assert_int_eq(vaInitialize(dpy, &maj, &min), VA_STATUS_SUCCESS);
}

static void teardown(void)
{
    vaTerminate(dpy);
    unsetenv("SECDEC_TEST_DRV_FAIL");
}

static char log_path[4096];

static void fresh_log(const char *name)
{
    const char *tmp = getenv("SECDEC_TEST_TMP");
    snprintf(log_path, sizeof(log_path), "%s/%s.%d.log", tmp ? tmp : "/tmp", name, (int)getpid());
    unlink(log_path);
    setenv("SECDEC_TEST_DRV_LOG", log_path, 1);
}

static char *read_log(void)
{
    FILE *f = fopen(log_path, "r");
    static char buf[65536];
    size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
    if (f)
        fclose(f);
    buf[n] = 0;
    return buf;
}

static void sha_hex(const uint8_t *p, size_t n, char out[65])
{
    uint8_t md[32];
    unsigned len = 32;
    EVP_Digest(p, n, md, &len, EVP_sha256(), NULL);
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static VAConfigID pc_config(uint32_t mode)
{
    VAConfigAttrib a[2] = {{VAConfigAttribProtectedContentCipherMode, mode},
                           {VAConfigAttribProtectedContentCipherSampleType,
                            VA_PC_SAMPLE_TYPE_SUBSAMPLE}};
    VAConfigID cfg;
    ck_assert_int_eq(vaCreateConfig(dpy, VAProfileProtected, VAEntrypointProtectedContent, a, 2, &cfg),
                     VA_STATUS_SUCCESS);
    return cfg;
}

/* Runs one TEE function; returns the VA status, fills *status and *out_size. */
static VAStatus tee(VAProtectedSessionID ps, uint32_t func, const void *in, uint32_t in_size,
                    void *out, uint32_t cap, uint32_t *status, uint32_t *out_size)
{
    VAProtectedSessionExecuteBuffer x = {0};
    x.function_id = func;
    x.input.data = (void *)in;
    x.input.data_size = in_size;
    x.output.data = out;
    x.output.max_data_size = cap;
    VABufferID b;
    VAStatus st = vaCreateBuffer(dpy, ps, VAProtectedSessionExecuteBufferType, sizeof(x), 1, &x, &b);
    if (st != VA_STATUS_SUCCESS)
        return st;
    st = vaProtectedSessionExecute(dpy, ps, b);
    if (st == VA_STATUS_SUCCESS) {
        VAProtectedSessionExecuteBuffer *r;
        ck_assert_int_eq(vaMapBuffer(dpy, b, (void **)&r), VA_STATUS_SUCCESS);
        *status = r->status;
        if (out_size)
            *out_size = r->output.data_size;
        vaUnmapBuffer(dpy, b);
    }
    vaDestroyBuffer(dpy, b);
    return st;
}

static EVP_PKEY *tee_pubkey(VAProtectedSessionID ps, uint8_t *der_out, uint32_t *der_size)
{
    static uint8_t cert[16384];
    uint32_t st = 99, n = 0;
    ck_assert_int_eq(tee(ps, SECDEC_VA_TEE_FUNC_GET_CERTIFICATE, NULL, 0, cert, sizeof(cert), &st, &n),
                     VA_STATUS_SUCCESS);
    ck_assert_uint_eq(st, SECDEC_VA_TEE_STATUS_OK);
    const unsigned char *p = cert;
    X509 *x = d2i_X509(NULL, &p, n);
    ck_assert_ptr_nonnull(x);
    ck_assert_ptr_eq(p, cert + n);
    EVP_PKEY *pub = X509_get_pubkey(x);
    ck_assert_int_eq(EVP_PKEY_get_bits(pub), 2048);
    ck_assert_int_eq(X509_verify(x, pub), 1); /* self-signed */
    X509_free(x);
    if (der_out) {
        memcpy(der_out, cert, n);
        *der_size = n;
    }
    return pub;
}

/* The session-key message for the TEE: RSAES-OAEP (md) of key to the TEE's public key. */
static void oaep(EVP_PKEY *pub, const EVP_MD *md, const uint8_t key[16], SecdecVaTeeKeyExchange *kx)
{
    ck_assert_int_eq(tu_oaep_encrypt_pkey(pub, md, key, 16, kx->blob), 0);
    kx->blob_size = 256;
}

START_TEST(test_caps)
{
    ck_assert_ptr_nonnull(strstr(vaQueryVendorString(dpy), "secdec test VA driver"));
    VAProfile profiles[16];
    int n = 0;
    ck_assert_int_le(vaMaxNumProfiles(dpy), 16);
    ck_assert_int_eq(vaQueryConfigProfiles(dpy, profiles, &n), VA_STATUS_SUCCESS);
    int seen = 0;
    for (int i = 0; i < n; i++)
        seen |= (profiles[i] == VAProfileProtected) << 0 | (profiles[i] == VAProfileH264High) << 1 |
                (profiles[i] == VAProfileH264Main) << 2 |
                (profiles[i] == VAProfileH264ConstrainedBaseline) << 3 |
                (profiles[i] == VAProfileHEVCMain) << 4;
    ck_assert_int_eq(seen, 0x1f);
    VAEntrypoint ep[4];
    ck_assert_int_eq(vaQueryConfigEntrypoints(dpy, VAProfileProtected, ep, &n), VA_STATUS_SUCCESS);
    ck_assert_int_eq(n, 1);
    ck_assert_int_eq(ep[0], VAEntrypointProtectedContent);
    VAConfigAttrib a[5] = {{VAConfigAttribProtectedContentCipherAlgorithm, 0},
                           {VAConfigAttribProtectedContentCipherBlockSize, 0},
                           {VAConfigAttribProtectedContentCipherMode, 0},
                           {VAConfigAttribProtectedContentCipherSampleType, 0},
                           {VAConfigAttribProtectedContentUsage, 0}};
    ck_assert_int_eq(vaGetConfigAttributes(dpy, VAProfileProtected, VAEntrypointProtectedContent, a, 5),
                     VA_STATUS_SUCCESS);
    ck_assert_uint_eq(a[0].value, VA_PC_CIPHER_AES);
    ck_assert_uint_eq(a[1].value, VA_PC_BLOCK_SIZE_128);
    ck_assert_uint_eq(a[2].value, VA_PC_CIPHER_MODE_CTR | VA_PC_CIPHER_MODE_CBC);
    ck_assert_uint_eq(a[3].value, VA_PC_SAMPLE_TYPE_SUBSAMPLE);
    ck_assert_uint_eq(a[4].value, VA_PC_USAGE_DEFAULT);
    VAConfigAttrib e = {VAConfigAttribEncryption, 0};
    ck_assert_int_eq(vaGetConfigAttributes(dpy, VAProfileHEVCMain, VAEntrypointVLD, &e, 1), VA_STATUS_SUCCESS);
    ck_assert_uint_eq(e.value, VA_ENCRYPTION_TYPE_SUBSAMPLE_CTR | VA_ENCRYPTION_TYPE_SUBSAMPLE_CBC);
    /* A ProtectedContent config is for sessions only. */
    VAConfigID cfg = pc_config(VA_PC_CIPHER_MODE_CTR);
    VAContextID ctx;
    ck_assert_int_eq(vaCreateContext(dpy, cfg, 64, 64, 0, NULL, 0, &ctx), VA_STATUS_ERROR_INVALID_CONFIG);
    /* An unsupported cipher mode is refused. */
    VAConfigAttrib bad = {VAConfigAttribProtectedContentCipherMode, VA_PC_CIPHER_MODE_ECB};
    VAConfigID c2;
    ck_assert_int_ne(vaCreateConfig(dpy, VAProfileProtected, VAEntrypointProtectedContent, &bad, 1, &c2),
                     VA_STATUS_SUCCESS);
    vaDestroyConfig(dpy, cfg);
}
END_TEST

START_TEST(test_tee_protocol)
{
    VAConfigID cfg = pc_config(VA_PC_CIPHER_MODE_CTR);
    VAProtectedSessionID ps;
    ck_assert_int_eq(vaCreateProtectedSession(dpy, cfg, &ps), VA_STATUS_SUCCESS);
    EVP_PKEY *pub = tee_pubkey(ps, NULL, NULL);
    uint32_t st = 99, n = 99;
    uint8_t small[8], alive = 7;
    /* too-small output: SHORT_BUFFER with the size needed */
    ck_assert_int_eq(tee(ps, SECDEC_VA_TEE_FUNC_GET_CERTIFICATE, NULL, 0, small, sizeof(small), &st, &n),
                     VA_STATUS_SUCCESS);
    ck_assert_uint_eq(st, SECDEC_VA_TEE_STATUS_SHORT_BUFFER);
    ck_assert_uint_gt(n, 500);
    /* no session key yet */
    uint8_t wrapped[16] = {1};
    ck_assert_int_eq(tee(ps, SECDEC_VA_TEE_FUNC_CHECK_WRAPPED_KEY, wrapped, 16, NULL, 0, &st, NULL), 0);
    ck_assert_uint_eq(st, SECDEC_VA_TEE_STATUS_NO_SESSION_KEY);
    /* key exchange, SHA-512 default, then SHA-256 selected; wrong hash rejected */
    uint8_t key[16];
    RAND_bytes(key, 16);
    SecdecVaTeeKeyExchange kx = {0};
    oaep(pub, EVP_sha512(), key, &kx);
    ck_assert_int_eq(tee(ps, SECDEC_VA_TEE_FUNC_KEY_EXCHANGE, &kx, sizeof(kx), NULL, 0, &st, NULL), 0);
    ck_assert_uint_eq(st, SECDEC_VA_TEE_STATUS_OK);
    kx.oaep_hash = SECDEC_VA_TEE_OAEP_SHA256;
    ck_assert_int_eq(tee(ps, SECDEC_VA_TEE_FUNC_KEY_EXCHANGE, &kx, sizeof(kx), NULL, 0, &st, NULL), 0);
    ck_assert_uint_eq(st, SECDEC_VA_TEE_STATUS_KEY_EXCHANGE);
    oaep(pub, EVP_sha256(), key, &kx);
    ck_assert_int_eq(tee(ps, SECDEC_VA_TEE_FUNC_KEY_EXCHANGE, &kx, sizeof(kx), NULL, 0, &st, NULL), 0);
    ck_assert_uint_eq(st, SECDEC_VA_TEE_STATUS_OK);
    kx.blob[10] ^= 1;
    ck_assert_int_eq(tee(ps, SECDEC_VA_TEE_FUNC_KEY_EXCHANGE, &kx, sizeof(kx), NULL, 0, &st, NULL), 0);
    ck_assert_uint_eq(st, SECDEC_VA_TEE_STATUS_KEY_EXCHANGE);
    ck_assert_int_eq(tee(ps, SECDEC_VA_TEE_FUNC_KEY_EXCHANGE, &kx, 100, NULL, 0, &st, NULL), 0);
    ck_assert_uint_eq(st, SECDEC_VA_TEE_STATUS_BAD_INPUT);
    ck_assert_int_eq(tee(ps, SECDEC_VA_TEE_FUNC_CHECK_WRAPPED_KEY, wrapped, 16, NULL, 0, &st, NULL), 0);
    ck_assert_uint_eq(st, SECDEC_VA_TEE_STATUS_OK);
    /* HW_PROTECTION pass-through: the test TEE answers the input reversed */
    uint8_t msg[5] = {1, 2, 3, 4, 5}, ans[8] = {0};
    ck_assert_int_eq(tee(ps, SECDEC_VA_TEE_FUNC_HW_PROTECTION, msg, 5, ans, sizeof(ans), &st, &n), 0);
    ck_assert_uint_eq(st, SECDEC_VA_TEE_STATUS_OK);
    ck_assert_uint_eq(n, 5);
    ck_assert_int_eq(ans[0], 5);
    ck_assert_int_eq(ans[4], 1);
    /* alive, then invalidated */
    ck_assert_int_eq(tee(ps, SECDEC_VA_TEE_FUNC_IS_SESSION_ALIVE, NULL, 0, &alive, 1, &st, &n), 0);
    ck_assert_uint_eq(alive, SECDEC_VA_TEE_SESSION_ALIVE);
    ck_assert_int_eq(tee(ps, SECDEC_VA_TEE_FUNC_TEST_INVALIDATE_SESSION, NULL, 0, NULL, 0, &st, NULL), 0);
    ck_assert_int_eq(tee(ps, SECDEC_VA_TEE_FUNC_IS_SESSION_ALIVE, NULL, 0, &alive, 1, &st, &n), 0);
    ck_assert_uint_eq(alive, SECDEC_VA_TEE_SESSION_DEAD);
    ck_assert_int_eq(tee(ps, SECDEC_VA_TEE_FUNC_CHECK_WRAPPED_KEY, wrapped, 16, NULL, 0, &st, NULL), 0);
    ck_assert_uint_eq(st, SECDEC_VA_TEE_STATUS_SESSION_LOST);
    ck_assert_int_eq(tee(ps, 0x1234, NULL, 0, NULL, 0, &st, NULL), 0);
    ck_assert_uint_eq(st, SECDEC_VA_TEE_STATUS_UNKNOWN_FUNCTION);
    /* exec buffers belong to the session: not to a decode context or nothing */
    VAProtectedSessionExecuteBuffer x = {0};
    VABufferID b;
    ck_assert_int_ne(vaCreateBuffer(dpy, 0xdead, VAProtectedSessionExecuteBufferType, sizeof(x), 1, &x, &b),
                     VA_STATUS_SUCCESS);
    EVP_PKEY_free(pub);
    ck_assert_int_eq(vaDestroyProtectedSession(dpy, ps), VA_STATUS_SUCCESS);
    vaDestroyConfig(dpy, cfg);
}
END_TEST

/* A decode context with a surface, and one picture rendered with the given slices. */
typedef struct Dec {
    VAConfigID cfg;
    VASurfaceID surf;
    VAContextID ctx;
} Dec;

static void dec_open(Dec *d)
{
    VAConfigAttrib a[2] = {{VAConfigAttribRTFormat, VA_RT_FORMAT_YUV420},
                           {VAConfigAttribEncryption, VA_ENCRYPTION_TYPE_SUBSAMPLE_CTR}};
    ck_assert_int_eq(vaCreateConfig(dpy, VAProfileH264High, VAEntrypointVLD, a, 2, &d->cfg), 0);
    ck_assert_int_eq(vaCreateSurfaces(dpy, VA_RT_FORMAT_YUV420, 64, 48, &d->surf, 1, NULL, 0), 0);
    ck_assert_int_eq(vaCreateContext(dpy, d->cfg, 64, 48, VA_PROGRESSIVE, &d->surf, 1, &d->ctx), 0);
}

static void dec_close(Dec *d)
{
    vaDestroyContext(dpy, d->ctx);
    vaDestroySurfaces(dpy, &d->surf, 1);
    vaDestroyConfig(dpy, d->cfg);
}

static VAStatus render(Dec *d, const uint8_t *data, const size_t *sizes, int n_slices,
                       VAEncryptionParameters *enc, VAEncryptionSegmentInfo *segs_to_scribble)
{
    VABufferID bufs[9];
    int nb = 0;
    VAStatus st = vaBeginPicture(dpy, d->ctx, d->surf);
    if (st)
        return st;
    if (enc) {
        ck_assert_int_eq(vaCreateBuffer(dpy, d->ctx, VAEncryptionParameterBufferType, sizeof(*enc), 1,
                                        enc, &bufs[nb++]),
                         0);
        if (segs_to_scribble) /* the driver must have copied them */
            memset(segs_to_scribble, 0xa5, enc->num_segments * sizeof(*segs_to_scribble));
    }
    size_t off = 0;
    for (int i = 0; i < n_slices; i++) {
        ck_assert_int_eq(vaCreateBuffer(dpy, d->ctx, VASliceDataBufferType, (unsigned)sizes[i], 1,
                                        (void *)(data + off), &bufs[nb++]),
                         0);
        off += sizes[i];
    }
    st = vaRenderPicture(dpy, d->ctx, bufs, nb);
    if (!st)
        st = vaEndPicture(dpy, d->ctx);
    for (int i = 0; i < nb; i++)
        vaDestroyBuffer(dpy, bufs[i]);
    return st;
}

static void ctr_encrypt(const uint8_t key[16], const uint8_t iv[16], uint8_t *p, size_t n)
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int len;
    ck_assert(EVP_EncryptInit_ex(c, EVP_aes_128_ctr(), NULL, key, iv) == 1);
    ck_assert(EVP_EncryptUpdate(c, p, &len, p, (int)n) == 1);
    EVP_CIPHER_CTX_free(c);
}

START_TEST(test_decrypt_slices)
{
    fresh_log("drv_decrypt");
    VAConfigID cfg = pc_config(VA_PC_CIPHER_MODE_CTR);
    VAProtectedSessionID ps;
    ck_assert_int_eq(vaCreateProtectedSession(dpy, cfg, &ps), 0);
    EVP_PKEY *pub = tee_pubkey(ps, NULL, NULL);
    uint8_t skey[16], ckey[16], wrapped[16];
    RAND_bytes(skey, 16);
    RAND_bytes(ckey, 16);
    SecdecVaTeeKeyExchange kx = {0};
    oaep(pub, EVP_sha512(), skey, &kx);
    uint32_t st;
    ck_assert_int_eq(tee(ps, SECDEC_VA_TEE_FUNC_KEY_EXCHANGE, &kx, sizeof(kx), NULL, 0, &st, NULL), 0);
    ck_assert_uint_eq(st, 0);
    tu_aes_ecb_encrypt(skey, ckey, wrapped);

    /* Two slices (100 and 77 bytes); one segment per slice: 5 clear bytes, the rest in CTR
     * with one key stream across both (the second starts mid-block). */
    uint8_t clear[177], data[177];
    RAND_bytes(clear, sizeof(clear));
    size_t sizes[2] = {100, 77};
    uint8_t iv[16];
    RAND_bytes(iv, 8);
    memset(iv + 8, 0, 8);
    memcpy(data, clear, sizeof(data));
    uint8_t ks_in[95 + 72];
    memcpy(ks_in, clear + 5, 95);
    memcpy(ks_in + 95, clear + 105, 72);
    ctr_encrypt(ckey, iv, ks_in, sizeof(ks_in));
    memcpy(data + 5, ks_in, 95);
    memcpy(data + 105, ks_in + 95, 72);
    VAEncryptionSegmentInfo seg[2] = {0};
    seg[0] = (VAEncryptionSegmentInfo){.segment_start_offset = 0, .segment_length = 100,
                                       .init_byte_length = 5};
    memcpy(seg[0].aes_cbc_iv_or_ctr, iv, 16);
    seg[1] = (VAEncryptionSegmentInfo){.segment_start_offset = 100, .segment_length = 77,
                                       .init_byte_length = 5, .partial_aes_block_size = 95 % 16};
    memcpy(seg[1].aes_cbc_iv_or_ctr, iv, 16);
    seg[1].aes_cbc_iv_or_ctr[15] = 95 / 16;
    VAEncryptionParameters enc = {0};
    enc.encryption_type = VA_ENCRYPTION_TYPE_SUBSAMPLE_CTR;
    enc.num_segments = 2;
    enc.segment_info = seg;
    enc.key_blob_size = 16;
    memcpy(enc.wrapped_decrypt_blob, wrapped, 16);

    Dec d;
    dec_open(&d);
    /* without the session attached the driver refuses */
    ck_assert_int_ne(render(&d, data, sizes, 2, &enc, NULL), 0);
    ck_assert_int_eq(vaAttachProtectedSession(dpy, d.ctx, ps), 0);
    VAEncryptionSegmentInfo copy[2];
    memcpy(copy, seg, sizeof(seg));
    enc.segment_info = copy;
    ck_assert_int_eq(render(&d, data, sizes, 2, &enc, copy), 0);
    enc.segment_info = seg;
    /* a clear picture */
    ck_assert_int_eq(render(&d, clear, sizes, 1, NULL, NULL), 0);
    char h0[65], h1[65], expect[512];
    sha_hex(clear, 100, h0);
    sha_hex(clear + 100, 77, h1);
    snprintf(expect, sizeof(expect), "error no-protected-session\nslice enc %s 100\nslice enc %s 77\nslice clear %s 100\n",
             h0, h1, h0);
    ck_assert_str_eq(read_log(), expect);

    /* the surface holds the picture's pattern; vaDeriveImage and vaGetImage both see it */
    VAImage im;
    ck_assert_int_eq(vaDeriveImage(dpy, d.surf, &im), 0);
    uint8_t *p;
    ck_assert_int_eq(vaMapBuffer(dpy, im.buf, (void **)&p), 0);
    uint8_t first = p[0], second = p[1];
    vaUnmapBuffer(dpy, im.buf);
    vaDestroyImage(dpy, im.image_id);
    VAImageFormat fmt = {.fourcc = VA_FOURCC_NV12};
    ck_assert_int_eq(vaCreateImage(dpy, &fmt, 64, 48, &im), 0);
    ck_assert_int_eq(vaGetImage(dpy, d.surf, 0, 0, 64, 48, im.image_id), 0);
    ck_assert_int_eq(vaMapBuffer(dpy, im.buf, (void **)&p), 0);
    ck_assert_int_eq(p[0], first);
    ck_assert_int_eq(p[1], second);
    ck_assert_int_eq(p[im.offsets[1]], 0x80);
    vaUnmapBuffer(dpy, im.buf);
    vaDestroyImage(dpy, im.image_id);

    /* a wrong wrapped key decrypts to garbage: the hashes differ (the check can fail) */
    fresh_log("drv_decrypt_wrong");
    enc.wrapped_decrypt_blob[0] ^= 1;
    ck_assert_int_eq(render(&d, data, sizes, 2, &enc, NULL), 0);
    ck_assert_ptr_null(strstr(read_log(), h0));
    enc.wrapped_decrypt_blob[0] ^= 1;
    /* a segment past the data is refused */
    seg[1].segment_length = 78;
    ck_assert_int_eq(render(&d, data, sizes, 2, &enc, NULL), VA_STATUS_ERROR_INVALID_PARAMETER);
    seg[1].segment_length = 77;
    /* a lost session no longer decrypts */
    ck_assert_int_eq(tee(ps, SECDEC_VA_TEE_FUNC_TEST_INVALIDATE_SESSION, NULL, 0, NULL, 0, &st, NULL), 0);
    ck_assert_int_ne(render(&d, data, sizes, 2, &enc, NULL), 0);
    ck_assert_ptr_nonnull(strstr(read_log(), "error session-lost"));
    EVP_PKEY_free(pub);
    dec_close(&d);
    vaDestroyProtectedSession(dpy, ps);
    vaDestroyConfig(dpy, cfg);
    unsetenv("SECDEC_TEST_DRV_LOG");
}
END_TEST

START_TEST(test_fault_knob)
{
    VAConfigID cfg = pc_config(VA_PC_CIPHER_MODE_CBC);
    VAProtectedSessionID ps[3];
    setenv("SECDEC_TEST_DRV_FAIL", "vaCreateProtectedSession:2", 1);
    ck_assert_int_eq(vaCreateProtectedSession(dpy, cfg, &ps[0]), 0);
    ck_assert_int_eq(vaCreateProtectedSession(dpy, cfg, &ps[1]), VA_STATUS_ERROR_OPERATION_FAILED);
    ck_assert_int_eq(vaCreateProtectedSession(dpy, cfg, &ps[2]), 0);
    setenv("SECDEC_TEST_DRV_FAIL", "IS_SESSION_ALIVE", 1);
    uint8_t alive;
    uint32_t st, n;
    ck_assert_int_eq(tee(ps[0], SECDEC_VA_TEE_FUNC_IS_SESSION_ALIVE, NULL, 0, &alive, 1, &st, &n),
                     VA_STATUS_ERROR_OPERATION_FAILED);
    ck_assert_int_eq(tee(ps[0], SECDEC_VA_TEE_FUNC_IS_SESSION_ALIVE, NULL, 0, &alive, 1, &st, &n),
                     VA_STATUS_ERROR_OPERATION_FAILED);
    unsetenv("SECDEC_TEST_DRV_FAIL");
    ck_assert_int_eq(tee(ps[0], SECDEC_VA_TEE_FUNC_IS_SESSION_ALIVE, NULL, 0, &alive, 1, &st, &n), 0);
    vaDestroyProtectedSession(dpy, ps[0]);
    vaDestroyProtectedSession(dpy, ps[2]);
    vaDestroyConfig(dpy, cfg);
}
END_TEST

/* SECDEC_TEST_TEE_DIR keeps one identity across processes (Check forks per test). */
static void tee_dir_cert(uint8_t *der, uint32_t *n)
{
    VAConfigID cfg = pc_config(VA_PC_CIPHER_MODE_CTR);
    VAProtectedSessionID ps;
    ck_assert_int_eq(vaCreateProtectedSession(dpy, cfg, &ps), 0);
    EVP_PKEY_free(tee_pubkey(ps, der, n));
    vaDestroyProtectedSession(dpy, ps);
    vaDestroyConfig(dpy, cfg);
}

START_TEST(test_tee_dir)
{
    char dir[4096];
    const char *tmp = getenv("SECDEC_TEST_TMP");
    snprintf(dir, sizeof(dir), "%s/tee-dir-test", tmp ? tmp : "/tmp");
    char path[4200];
    snprintf(path, sizeof(path), "%s/tee.crt", dir);
    FILE *f = fopen(path, "r");
    if (_i == 0 && f) { /* first run: start from scratch */
        fclose(f);
        unlink(path);
        snprintf(path, sizeof(path), "%s/tee.key", dir);
        unlink(path);
        f = NULL;
    }
    if (f)
        fclose(f);
    setenv("SECDEC_TEST_TEE_DIR", dir, 1);
    static uint8_t der[16384];
    uint32_t n;
    tee_dir_cert(der, &n);
    /* what the first process stored is what the next one uses */
    snprintf(path, sizeof(path), "%s/tee.crt", dir);
    f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    unsigned char *d2 = NULL;
    int l2 = i2d_X509(x, &d2);
    ck_assert_int_eq(l2, (int)n);
    ck_assert_int_eq(memcmp(d2, der, n), 0);
    OPENSSL_free(d2);
    X509_free(x);
    unsetenv("SECDEC_TEST_TEE_DIR");
}
END_TEST

/* One H.264 picture through the driver's decoder (drv_decode_h264.c): picture + slice
 * parameters + one slice; returns the driver log. */
static const char *h264_picture(Dec *d, const VAPictureParameterBufferH264 *pp, const uint8_t *nal,
                                unsigned n)
{
    VASliceParameterBufferH264 sp = {.slice_data_size = n, .slice_data_flag = VA_SLICE_DATA_FLAG_ALL};
    VABufferID b[3];
    fresh_log("h264");
    ck_assert_int_eq(vaCreateBuffer(dpy, d->ctx, VAPictureParameterBufferType, sizeof(*pp), 1,
                                    (void *)pp, &b[0]),
                     0);
    ck_assert_int_eq(vaCreateBuffer(dpy, d->ctx, VASliceParameterBufferType, sizeof(sp), 1, &sp, &b[1]), 0);
    ck_assert_int_eq(vaCreateBuffer(dpy, d->ctx, VASliceDataBufferType, n, 1, (void *)nal, &b[2]), 0);
    ck_assert_int_eq(vaBeginPicture(dpy, d->ctx, d->surf), 0);
    ck_assert_int_eq(vaRenderPicture(dpy, d->ctx, b, 3), 0);
    ck_assert_int_eq(vaEndPicture(dpy, d->ctx), 0);
    for (int i = 0; i < 3; i++)
        vaDestroyBuffer(dpy, b[i]);
    return read_log();
}

/* Pictures the decoder cannot decode: "error decode <reason>" logged, the surface keeps the
 * pattern (its luma starts with the SHA-256 of the slice data). Decoded pixels are tested
 * end to end by va-pixels.sh. */
START_TEST(test_h264_decode_errors)
{
    Dec d;
    dec_open(&d);
    VAPictureParameterBufferH264 pp = {0};
    pp.CurrPic.picture_id = d.surf;
    pp.picture_width_in_mbs_minus1 = 3; /* 64x48 */
    pp.picture_height_in_mbs_minus1 = 2;
    pp.num_ref_frames = 1;
    pp.seq_fields.bits.chroma_format_idc = 1;
    pp.seq_fields.bits.frame_mbs_only_flag = 1;
    pp.seq_fields.bits.direct_8x8_inference_flag = 1;
    /* IDR, I slice, PPS 0, frame_num 0, idr_pic_id 0, poc lsb 0, no long-term marking,
     * slice_qp_delta 0, then macroblock data that is not a valid picture */
    static const uint8_t idr[] = {0x65, 0x88, 0x84, 0x21, 0xa5, 0x5a, 0xc3, 0x3c, 0x0f, 0xf0,
                                  0x96, 0x69, 0x81, 0x18};
    static const uint8_t sei[] = {0x06, 0x05, 0x01, 0x80};
    static const uint8_t cut[] = {0x65, 0x00};
    static const struct {
        const uint8_t *nal;
        unsigned n;
        unsigned poc_type, width_mbs;
        const char *reason; /* NULL: libavcodec's verdict */
    } cases[] = {
        {sei, sizeof(sei), 0, 4, "slice-nal-type"},
        {cut, 1, 0, 4, "slice-too-short"},
        {cut, sizeof(cut), 0, 4, "slice-header"},
        {idr, sizeof(idr), 1, 4, "pic-order-cnt-type-1"},
        {idr, sizeof(idr), 0, 8, "surface-too-small 64x48 for 128x48"},
        {idr, sizeof(idr), 0, 4, NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        pp.seq_fields.bits.pic_order_cnt_type = cases[i].poc_type;
        pp.picture_width_in_mbs_minus1 = (uint16_t)(cases[i].width_mbs - 1);
        const char *log = h264_picture(&d, &pp, cases[i].nal, cases[i].n);
        const char *e = strstr(log, "\nerror decode ");
        ck_assert_msg(e && !strstr(e + 1, "\nerror"), "case %zu: %s", i, log);
        if (cases[i].reason) {
            char want[128];
            snprintf(want, sizeof(want), "\nerror decode %s\n", cases[i].reason);
            ck_assert_msg(strcmp(e, want) == 0, "case %zu: %s", i, log);
        } else {
            ck_assert_msg(strncmp(e, "\nerror decode libavcodec-", 25) == 0 ||
                              strncmp(e, "\nerror decode avcodec-send-packet ", 34) == 0,
                          "case %zu: %s", i, log);
        }
        VAImage im;
        uint8_t *px, md[32];
        unsigned len = 32;
        EVP_Digest(cases[i].nal, cases[i].n, md, &len, EVP_sha256(), NULL);
        ck_assert_int_eq(vaDeriveImage(dpy, d.surf, &im), 0);
        ck_assert_int_eq(vaMapBuffer(dpy, im.buf, (void **)&px), 0);
        ck_assert_msg(memcmp(px, md, 32) == 0, "case %zu: the pattern was overwritten", i);
        vaUnmapBuffer(dpy, im.buf);
        vaDestroyImage(dpy, im.image_id);
    }
    /* no picture parameter buffer (as in test_decrypt_slices): nothing decoded, nothing logged */
    size_t n = sizeof(idr);
    fresh_log("h264");
    ck_assert_int_eq(render(&d, idr, &n, 1, NULL, NULL), 0);
    ck_assert_ptr_null(strstr(read_log(), "decode"));
    dec_close(&d);
    unsetenv("SECDEC_TEST_DRV_LOG");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("vadriver");
    TCase *tc = tcase_create("driver");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_caps);
    tcase_add_test(tc, test_tee_protocol);
    tcase_add_test(tc, test_decrypt_slices);
    tcase_add_test(tc, test_fault_knob);
    tcase_add_test(tc, test_h264_decode_errors);
    tcase_add_loop_test(tc, test_tee_dir, 0, 2);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
