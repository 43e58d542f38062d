/*
 * secdec_test_drv_video.c - a VA-API driver for secdec's tests: no GPU, a software "TEE".
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * What it offers (see tests/vadriver/README.md):
 *  - VAProfileProtected / VAEntrypointProtectedContent with the ProtectedContent attributes
 *    (AES, 128-bit blocks, CTR|CBC, subsample, default usage), protected sessions and
 *    vaProtectedSessionExecute() speaking secdec's TEE protocol (hw/include/secdec/va-tee.h);
 *  - H.264 High/Main/ConstrainedBaseline and HEVC Main at VAEntrypointVLD with
 *    VAConfigAttribEncryption = SUBSAMPLE_CTR|SUBSAMPLE_CBC;
 *  - enough of the decode entrypoint for libavcodec's VA-API hwaccel: NV12 surfaces in plain
 *    memory, contexts, buffers, Begin/Render/EndPicture, images (derive, create + get).
 *    H.264 pictures are decoded (drv_decode_h264.c: parameter sets rebuilt from the VA buffers,
 *    libavcodec); HEVC pictures, and H.264 ones that cannot be decoded, get a pattern derived
 *    from the SHA-256 of the picture's (decrypted) slice data in the luma plane.
 *  - it decrypts the slice data of pictures rendered with a VAEncryptionParameterBufferType
 *    buffer and appends one line per slice to the file named by $SECDEC_TEST_DRV_LOG:
 *        slice <enc|clear> <sha256 of the clear slice data, hex> <size>
 *    so tests compare these against the SHA-256 of the clear slices;
 *  - a fault knob: $SECDEC_TEST_DRV_FAIL=<name>[:N] makes the N-th call (every call without
 *    N) of <name> fail with VA_STATUS_ERROR_OPERATION_FAILED. <name> is a driver hook
 *    ("vaCreateProtectedSession", "vaEndPicture", ...) or a TEE function ("GET_CERTIFICATE",
 *    "KEY_EXCHANGE", "IS_SESSION_ALIVE", "CHECK_WRAPPED_KEY", "HW_PROTECTION").
 *
 * The TEE's identity is an RSA-2048 key with a self-signed certificate. With
 * $SECDEC_TEST_TEE_DIR set it is kept there (tee.key, tee.crt, PEM; created on first use, so
 * every process sees the same "hardware"); otherwise a fresh one is made per process.
 */

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <va/va.h>
#include <va/va_backend.h>
#include <va/va_backend_prot.h>

#include "secdec/va-tee.h"

#include "drv_decode_h264.h"

#define EXPORT __attribute__((visibility("default")))
#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))
#define CAT3(a, b, c) a##b##_##c
#define INIT_NAME(maj, min) CAT3(__vaDriverInit_, maj, min)
#define DRIVER_INIT INIT_NAME(VA_MAJOR_VERSION, VA_MINOR_VERSION)

#define MAX_WIDTH 4096
#define MAX_HEIGHT 4096

/* ---- objects ------------------------------------------------------------------------------ */

enum { OBJ_CONFIG = 1, OBJ_SURFACE, OBJ_CONTEXT, OBJ_BUFFER, OBJ_IMAGE, OBJ_PSESSION };

typedef struct Config {
    VAProfile profile;
    VAEntrypoint entrypoint;
    uint32_t encryption; /* VA_ENCRYPTION_TYPE_* asked for (decode) */
    uint32_t cipher_mode; /* protected content */
} Config;

typedef struct Surface {
    int width, height;
    uint8_t *data; /* NV12, pitch = width */
    size_t size;
} Surface;

typedef struct Buffer {
    VABufferType type;
    unsigned size, num_elements;
    uint8_t *data;        /* size * num_elements bytes */
    bool borrowed;        /* data belongs to a surface (vaDeriveImage) */
    VAEncryptionSegmentInfo *segments; /* VAEncryptionParameterBufferType: deep copy */
} Buffer;

typedef struct Image {
    VAImage image;
    VASurfaceID derived_from;
} Image;

typedef struct PSession {
    bool alive;
    bool has_key;
    uint8_t session_key[16];
    bool refresh_pending;     /* START_KEY_REFRESH drew refresh_random */
    uint8_t refresh_random[16];
} PSession;

typedef struct Context {
    VAConfigID config;
    VASurfaceID target;
    bool in_picture;
    VAProtectedSessionID session; /* VA_INVALID_ID: none */
    /* the current picture */
    uint8_t *slices;
    size_t slices_size, slices_cap;
    size_t *slice_ends;
    size_t n_slices, cap_slices;
    bool has_enc;
    VAEncryptionParameters enc;
    VAEncryptionSegmentInfo *enc_segments;
    DrvH264 *h264; /* H.264 configs: the decoder (drv_decode_h264.c) */
} Context;

typedef struct Obj {
    uint32_t id;
    int type;
    void *p;
} Obj;

typedef struct Drv {
    pthread_mutex_t lock;
    Obj *objs;
    size_t n, cap;
    uint32_t next_id;
    char fault_spec[128];
    unsigned fault_calls;
    unsigned enc_pictures; /* protected pictures ended, for SECDEC_TEST_DRV_LOSE_AFTER */
    bool lost_once;        /* the simulated power event happened */
} Drv;

static Drv *drv_of(VADriverContextP ctx)
{
    return ctx->pDriverData;
}

static void *obj_get(Drv *d, uint32_t id, int type)
{
    for (size_t i = 0; i < d->n; i++)
        if (d->objs[i].id == id && d->objs[i].type == type)
            return d->objs[i].p;
    return NULL;
}

static int obj_type(Drv *d, uint32_t id)
{
    for (size_t i = 0; i < d->n; i++)
        if (d->objs[i].id == id)
            return d->objs[i].type;
    return 0;
}

static VAStatus obj_add(Drv *d, int type, void *p, uint32_t *id)
{
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 64;
        Obj *o = realloc(d->objs, cap * sizeof(*o));
        if (!o)
            return VA_STATUS_ERROR_ALLOCATION_FAILED;
        d->objs = o;
        d->cap = cap;
    }
    d->objs[d->n++] = (Obj){++d->next_id, type, p};
    *id = d->next_id;
    return VA_STATUS_SUCCESS;
}

static void *obj_remove(Drv *d, uint32_t id, int type)
{
    for (size_t i = 0; i < d->n; i++)
        if (d->objs[i].id == id && d->objs[i].type == type) {
            void *p = d->objs[i].p;
            d->objs[i] = d->objs[--d->n];
            return p;
        }
    return NULL;
}

/* ---- fault knob --------------------------------------------------------------------------- */

/* Caller holds d->lock. */
static bool fault(Drv *d, const char *name)
{
    const char *spec = getenv("SECDEC_TEST_DRV_FAIL");
    if (!spec || !*spec) {
        d->fault_spec[0] = 0;
        return false;
    }
    if (strcmp(spec, d->fault_spec) != 0) { /* a new spec restarts the count */
        snprintf(d->fault_spec, sizeof(d->fault_spec), "%s", spec);
        d->fault_calls = 0;
    }
    const char *colon = strchr(spec, ':');
    size_t len = colon ? (size_t)(colon - spec) : strlen(spec);
    if (len != strlen(name) || strncmp(spec, name, len) != 0)
        return false;
    d->fault_calls++;
    if (!colon)
        return true;
    return d->fault_calls == (unsigned)strtoul(colon + 1, NULL, 10);
}

static void drv_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* SECDEC_TEST_DRV_LOSE_AFTER=N: a simulated power event. When the (N+1)th protected picture
 * ends, every protected session loses its keys (as a TEE reset does); it happens once per
 * process so that a recovered session keeps working. Caller holds d->lock. */
static void lose_sessions_knob(Drv *d)
{
    const char *spec = getenv("SECDEC_TEST_DRV_LOSE_AFTER");
    if (!spec || !*spec || d->lost_once)
        return;
    if (d->enc_pictures++ != (unsigned)strtoul(spec, NULL, 10))
        return;
    d->lost_once = true;
    for (size_t i = 0; i < d->n; i++)
        if (d->objs[i].type == OBJ_PSESSION) {
            PSession *ps = d->objs[i].p;
            ps->alive = false;
            ps->has_key = false;
        }
    drv_log("event power-loss: every protected session lost its keys\n");
}

#define FAULT(d, name)                                                                           \
    do {                                                                                         \
        if (fault(d, name)) {                                                                    \
            pthread_mutex_unlock(&(d)->lock);                                                    \
            return VA_STATUS_ERROR_OPERATION_FAILED;                                             \
        }                                                                                        \
    } while (0)

/* ---- logging of decrypted slices ---------------------------------------------------------- */

static void drv_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#include <stdarg.h>
static void drv_log(const char *fmt, ...)
{
    const char *path = getenv("SECDEC_TEST_DRV_LOG");
    if (!path || !*path)
        return;
    FILE *f = fopen(path, "a");
    if (!f)
        return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(f, fmt, ap);
    va_end(ap);
    fclose(f);
}

/* ---- the TEE's identity ------------------------------------------------------------------- */

static pthread_once_t tee_once = PTHREAD_ONCE_INIT;
static EVP_PKEY *tee_key;
static uint8_t *tee_cert;
static size_t tee_cert_size;

static X509 *make_cert(EVP_PKEY *key)
{
    X509 *x = X509_new();
    X509_NAME *name = x ? X509_get_subject_name(x) : NULL;
    if (!x || X509_set_version(x, 2) != 1 ||
        ASN1_INTEGER_set(X509_get_serialNumber(x), 1) != 1 || !X509_gmtime_adj(X509_getm_notBefore(x), 0) ||
        !X509_gmtime_adj(X509_getm_notAfter(x), 10L * 365 * 24 * 3600) ||
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                   (const unsigned char *)"secdec test VA TEE", -1, -1, 0) != 1 ||
        X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                                   (const unsigned char *)"secdec tests (not hardware)", -1, -1,
                                   0) != 1 ||
        X509_set_issuer_name(x, name) != 1 || X509_set_pubkey(x, key) != 1 ||
        X509_sign(x, key, EVP_sha256()) <= 0) {
        X509_free(x);
        return NULL;
    }
    return x;
}

static void tee_init(void)
{
    const char *dir = getenv("SECDEC_TEST_TEE_DIR");
    char kpath[4096] = "", cpath[4096] = "";
    EVP_PKEY *key = NULL;
    X509 *x = NULL;
    if (dir && *dir) {
        mkdir(dir, 0700);
        snprintf(kpath, sizeof(kpath), "%s/tee.key", dir);
        snprintf(cpath, sizeof(cpath), "%s/tee.crt", dir);
        FILE *kf = fopen(kpath, "r"), *cf = fopen(cpath, "r");
        if (kf && cf) {
            key = PEM_read_PrivateKey(kf, NULL, NULL, NULL);
            x = PEM_read_X509(cf, NULL, NULL, NULL);
        }
        if (kf)
            fclose(kf);
        if (cf)
            fclose(cf);
        if (!key || !x) {
            EVP_PKEY_free(key);
            X509_free(x);
            key = NULL;
            x = NULL;
        }
    }
    if (!key) {
        key = EVP_RSA_gen(2048);
        x = key ? make_cert(key) : NULL;
        if (!x) {
            EVP_PKEY_free(key);
            return;
        }
        if (kpath[0]) {
            FILE *kf = fopen(kpath, "w"), *cf = fopen(cpath, "w");
            if (kf && cf) {
                chmod(kpath, 0600);
                PEM_write_PrivateKey(kf, key, NULL, NULL, 0, NULL, NULL);
                PEM_write_X509(cf, x);
            }
            if (kf)
                fclose(kf);
            if (cf)
                fclose(cf);
        }
    }
    unsigned char *der = NULL;
    int len = i2d_X509(x, &der);
    X509_free(x);
    if (len <= 0) {
        EVP_PKEY_free(key);
        return;
    }
    tee_cert = malloc((size_t)len);
    if (!tee_cert) {
        OPENSSL_free(der);
        EVP_PKEY_free(key);
        return;
    }
    memcpy(tee_cert, der, (size_t)len);
    OPENSSL_free(der);
    tee_cert_size = (size_t)len;
    tee_key = key;
}

static bool tee_ready(void)
{
    pthread_once(&tee_once, tee_init);
    return tee_key != NULL;
}

/* ---- AES helpers (block at a time; this is a test driver) --------------------------------- */

typedef struct Aes {
    EVP_CIPHER_CTX *enc, *dec;
} Aes;

static bool aes_init(Aes *a, const uint8_t key[16])
{
    a->enc = EVP_CIPHER_CTX_new();
    a->dec = EVP_CIPHER_CTX_new();
    return a->enc && a->dec &&
           EVP_EncryptInit_ex(a->enc, EVP_aes_128_ecb(), NULL, key, NULL) == 1 &&
           EVP_DecryptInit_ex(a->dec, EVP_aes_128_ecb(), NULL, key, NULL) == 1 &&
           EVP_CIPHER_CTX_set_padding(a->enc, 0) == 1 && EVP_CIPHER_CTX_set_padding(a->dec, 0) == 1;
}

static void aes_free(Aes *a)
{
    EVP_CIPHER_CTX_free(a->enc);
    EVP_CIPHER_CTX_free(a->dec);
}

static bool aes_block(EVP_CIPHER_CTX *c, const uint8_t in[16], uint8_t out[16])
{
    int len = 0;
    return EVP_CipherUpdate(c, out, &len, in, 16) == 1 && len == 16;
}

static void inc64(uint8_t ctr[16])
{
    for (int i = 15; i >= 8; i--)
        if (++ctr[i])
            break;
}

/* CTR key stream state: counter block and offset into its key stream block. */
typedef struct Ks {
    uint8_t ctr[16];
    uint8_t block[16];
    unsigned off;
} Ks;

static bool ks_xor(Aes *a, Ks *ks, uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (ks->off == 0 && !aes_block(a->enc, ks->ctr, ks->block))
            return false;
        p[i] ^= ks->block[ks->off];
        if (++ks->off == 16) {
            ks->off = 0;
            inc64(ks->ctr);
        }
    }
    return true;
}

/* CBC-decrypts whole blocks in place, chaining through iv. */
static bool cbc_dec(Aes *a, uint8_t iv[16], uint8_t *p, size_t nblocks)
{
    uint8_t c[16], o[16];
    for (size_t b = 0; b < nblocks; b++) {
        memcpy(c, p + 16 * b, 16);
        if (!aes_block(a->dec, c, o))
            return false;
        for (int i = 0; i < 16; i++)
            p[16 * b + i] = o[i] ^ iv[i];
        memcpy(iv, c, 16);
    }
    return true;
}

/* Decrypts the picture's slice data in place. Returns a VA status and logs the reason. */
static VAStatus decrypt_picture(Drv *d, Context *c)
{
    const VAEncryptionParameters *e = &c->enc;
    PSession *ps = c->session != VA_INVALID_ID ? obj_get(d, c->session, OBJ_PSESSION) : NULL;
    if (!ps) {
        drv_log("error no-protected-session\n");
        return VA_STATUS_ERROR_INVALID_CONTEXT;
    }
    if (!ps->alive) {
        drv_log("error session-lost\n");
        return VA_STATUS_ERROR_OPERATION_FAILED;
    }
    if (!ps->has_key) {
        drv_log("error no-session-key\n");
        return VA_STATUS_ERROR_OPERATION_FAILED;
    }
    bool ctr = e->encryption_type == VA_ENCRYPTION_TYPE_SUBSAMPLE_CTR;
    if (!ctr && e->encryption_type != VA_ENCRYPTION_TYPE_SUBSAMPLE_CBC) {
        drv_log("error encryption-type %u\n", e->encryption_type);
        return VA_STATUS_ERROR_INVALID_PARAMETER;
    }
    if (e->key_blob_size != 16 && e->key_blob_size != VA_PC_BLOCK_SIZE_128) {
        drv_log("error key-blob-size %u\n", e->key_blob_size);
        return VA_STATUS_ERROR_INVALID_PARAMETER;
    }
    uint32_t crypt = e->blocks_stripe_encrypted, skip = e->blocks_stripe_clear;
    if ((crypt == 0) != (skip == 0 && crypt == 0) || crypt > 255 || skip > 255) {
        drv_log("error pattern %u:%u\n", crypt, skip);
        return VA_STATUS_ERROR_INVALID_PARAMETER;
    }
    /* Unwrap the content key with the session key, inside the "TEE". */
    uint8_t key[16];
    static const uint8_t zero[16];
    Aes a = {0};
    if (memcmp(e->wrapped_decrypt_blob, zero, 16) == 0) {
        memcpy(key, ps->session_key, 16);
    } else {
        Aes s = {0};
        bool ok = aes_init(&s, ps->session_key) && aes_block(s.dec, e->wrapped_decrypt_blob, key);
        aes_free(&s);
        if (!ok)
            return VA_STATUS_ERROR_ALLOCATION_FAILED;
    }
    bool ok = aes_init(&a, key);
    memset(key, 0, sizeof(key));
    VAStatus st = ok ? VA_STATUS_SUCCESS : VA_STATUS_ERROR_ALLOCATION_FAILED;
    for (uint32_t i = 0; st == VA_STATUS_SUCCESS && i < e->num_segments; i++) {
        const VAEncryptionSegmentInfo *s = &c->enc_segments[i];
        if ((uint64_t)s->segment_start_offset + s->segment_length > c->slices_size ||
            s->init_byte_length > s->segment_length || s->partial_aes_block_size > 15 ||
            (!ctr && s->partial_aes_block_size)) {
            drv_log("error segment %u\n", i);
            st = VA_STATUS_ERROR_INVALID_PARAMETER;
            break;
        }
        uint8_t *p = c->slices + s->segment_start_offset + s->init_byte_length;
        size_t n = s->segment_length - s->init_byte_length;
        if (ctr) {
            Ks ks = {.off = s->partial_aes_block_size};
            memcpy(ks.ctr, s->aes_cbc_iv_or_ctr, 16);
            if (ks.off && !aes_block(a.enc, ks.ctr, ks.block)) {
                st = VA_STATUS_ERROR_OPERATION_FAILED;
                break;
            }
            if (!crypt) {
                ok = ks_xor(&a, &ks, p, n);
            } else {
                size_t pos = 0;
                ok = true;
                while (ok && n - pos >= 16) {
                    size_t blocks = (n - pos) / 16, cb = (blocks < crypt ? blocks : crypt) * 16;
                    ok = ks_xor(&a, &ks, p + pos, cb);
                    pos += cb;
                    pos += (size_t)skip * 16 < n - pos ? (size_t)skip * 16 : n - pos;
                }
            }
        } else {
            uint8_t iv[16];
            memcpy(iv, s->aes_cbc_iv_or_ctr, 16);
            if (!crypt) {
                ok = cbc_dec(&a, iv, p, n / 16);
            } else {
                size_t pos = 0;
                ok = true;
                while (ok && n - pos >= 16) {
                    size_t blocks = (n - pos) / 16, cb = blocks < crypt ? blocks : crypt;
                    ok = cbc_dec(&a, iv, p + pos, cb);
                    pos += cb * 16;
                    pos += (size_t)skip * 16 < n - pos ? (size_t)skip * 16 : n - pos;
                }
            }
        }
        if (!ok)
            st = VA_STATUS_ERROR_OPERATION_FAILED;
    }
    aes_free(&a);
    return st;
}

static void hexsha(const uint8_t *p, size_t n, char out[65], uint8_t raw[32])
{
    unsigned len = 32;
    EVP_Digest(p, n, raw, &len, EVP_sha256(), NULL);
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", raw[i]);
}

/* ---- driver hooks ------------------------------------------------------------------------- */

static const VAProfile decode_profiles[] = {
    VAProfileH264High, VAProfileH264Main, VAProfileH264ConstrainedBaseline, VAProfileHEVCMain,
};

static bool is_decode_profile(VAProfile p)
{
    for (size_t i = 0; i < N_ELEMS(decode_profiles); i++)
        if (decode_profiles[i] == p)
            return true;
    return false;
}

#define PC_MODES (VA_PC_CIPHER_MODE_CTR | VA_PC_CIPHER_MODE_CBC)
#define ENC_TYPES (VA_ENCRYPTION_TYPE_SUBSAMPLE_CTR | VA_ENCRYPTION_TYPE_SUBSAMPLE_CBC)

static VAStatus t_Terminate(VADriverContextP ctx)
{
    Drv *d = drv_of(ctx);
    for (size_t i = 0; i < d->n; i++) {
        Obj *o = &d->objs[i];
        if (o->type == OBJ_SURFACE)
            free(((Surface *)o->p)->data);
        else if (o->type == OBJ_BUFFER) {
            Buffer *b = o->p;
            if (!b->borrowed)
                free(b->data);
            free(b->segments);
        } else if (o->type == OBJ_CONTEXT) {
            Context *c = o->p;
            free(c->slices);
            free(c->slice_ends);
            free(c->enc_segments);
            drv_h264_free(c->h264);
        }
        free(o->p);
    }
    free(d->objs);
    pthread_mutex_destroy(&d->lock);
    free(d);
    ctx->pDriverData = NULL;
    return VA_STATUS_SUCCESS;
}

static VAStatus t_QueryConfigProfiles(VADriverContextP ctx, VAProfile *list, int *num)
{
    int n = 0;
    for (size_t i = 0; i < N_ELEMS(decode_profiles); i++)
        list[n++] = decode_profiles[i];
    list[n++] = VAProfileProtected;
    *num = n;
    return VA_STATUS_SUCCESS;
}

static VAStatus t_QueryConfigEntrypoints(VADriverContextP ctx, VAProfile profile,
                                         VAEntrypoint *list, int *num)
{
    if (profile == VAProfileProtected) {
        list[0] = VAEntrypointProtectedContent;
        *num = 1;
        return VA_STATUS_SUCCESS;
    }
    if (!is_decode_profile(profile))
        return VA_STATUS_ERROR_UNSUPPORTED_PROFILE;
    list[0] = VAEntrypointVLD;
    *num = 1;
    return VA_STATUS_SUCCESS;
}

/* SECDEC_TEST_DRV_NO_ENCRYPTION=<item>[,<item>...]: VAConfigAttribEncryption without some
 * types, to test front-ends on a device that cannot decrypt a profile or scheme. Items: h264,
 * hevc (that codec's profiles have no encryption), ctr, cbc (no SUBSAMPLE_CTR / _CBC on any
 * decode profile). Protected sessions keep both cipher modes. */
static uint32_t enc_types(VAProfile profile)
{
    uint32_t types = ENC_TYPES;
    const char *p = getenv("SECDEC_TEST_DRV_NO_ENCRYPTION");
    bool hevc = profile == VAProfileHEVCMain;
    while (p && *p) {
        size_t n = strcspn(p, ",");
        if (n == 4 && !strncmp(p, hevc ? "hevc" : "h264", 4))
            types = 0;
        else if (n == 3 && !strncmp(p, "ctr", 3))
            types &= ~(uint32_t)VA_ENCRYPTION_TYPE_SUBSAMPLE_CTR;
        else if (n == 3 && !strncmp(p, "cbc", 3))
            types &= ~(uint32_t)VA_ENCRYPTION_TYPE_SUBSAMPLE_CBC;
        p += n + (p[n] == ',');
    }
    return types ? types : VA_ATTRIB_NOT_SUPPORTED;
}

static uint32_t attrib_value(VAProfile profile, VAEntrypoint ep, VAConfigAttribType type)
{
    if (profile == VAProfileProtected && ep == VAEntrypointProtectedContent) {
        switch ((int)type) {
        case VAConfigAttribProtectedContentCipherAlgorithm: return VA_PC_CIPHER_AES;
        case VAConfigAttribProtectedContentCipherBlockSize: return VA_PC_BLOCK_SIZE_128;
        case VAConfigAttribProtectedContentCipherMode: return PC_MODES;
        case VAConfigAttribProtectedContentCipherSampleType: return VA_PC_SAMPLE_TYPE_SUBSAMPLE;
        case VAConfigAttribProtectedContentUsage: return VA_PC_USAGE_DEFAULT;
        default: return VA_ATTRIB_NOT_SUPPORTED;
        }
    }
    if (is_decode_profile(profile) && ep == VAEntrypointVLD) {
        switch ((int)type) {
        case VAConfigAttribRTFormat: return VA_RT_FORMAT_YUV420;
        case VAConfigAttribEncryption: return enc_types(profile);
        default: return VA_ATTRIB_NOT_SUPPORTED;
        }
    }
    return VA_ATTRIB_NOT_SUPPORTED;
}

static VAStatus check_pair(VAProfile profile, VAEntrypoint ep)
{
    if (profile == VAProfileProtected)
        return ep == VAEntrypointProtectedContent ? VA_STATUS_SUCCESS
                                                  : VA_STATUS_ERROR_UNSUPPORTED_ENTRYPOINT;
    if (!is_decode_profile(profile))
        return VA_STATUS_ERROR_UNSUPPORTED_PROFILE;
    return ep == VAEntrypointVLD ? VA_STATUS_SUCCESS : VA_STATUS_ERROR_UNSUPPORTED_ENTRYPOINT;
}

static VAStatus t_GetConfigAttributes(VADriverContextP ctx, VAProfile profile, VAEntrypoint ep,
                                      VAConfigAttrib *list, int num)
{
    Drv *d = drv_of(ctx);
    pthread_mutex_lock(&d->lock);
    FAULT(d, "vaGetConfigAttributes");
    pthread_mutex_unlock(&d->lock);
    VAStatus st = check_pair(profile, ep);
    if (st != VA_STATUS_SUCCESS)
        return st;
    for (int i = 0; i < num; i++)
        list[i].value = attrib_value(profile, ep, list[i].type);
    return VA_STATUS_SUCCESS;
}

static VAStatus t_CreateConfig(VADriverContextP ctx, VAProfile profile, VAEntrypoint ep,
                               VAConfigAttrib *list, int num, VAConfigID *id)
{
    Drv *d = drv_of(ctx);
    VAStatus st = check_pair(profile, ep);
    if (st != VA_STATUS_SUCCESS)
        return st;
    Config *c = calloc(1, sizeof(*c));
    if (!c)
        return VA_STATUS_ERROR_ALLOCATION_FAILED;
    c->profile = profile;
    c->entrypoint = ep;
    for (int i = 0; i < num; i++) {
        uint32_t sup = attrib_value(profile, ep, list[i].type);
        uint32_t v = list[i].value;
        bool ok;
        switch ((int)list[i].type) {
        case VAConfigAttribProtectedContentUsage: ok = sup != VA_ATTRIB_NOT_SUPPORTED && v == sup; break;
        case VAConfigAttribProtectedContentCipherMode:
            ok = sup != VA_ATTRIB_NOT_SUPPORTED && (v == VA_PC_CIPHER_MODE_CTR || v == VA_PC_CIPHER_MODE_CBC);
            c->cipher_mode = v;
            break;
        case VAConfigAttribEncryption:
            ok = sup != VA_ATTRIB_NOT_SUPPORTED && v && (v & ~sup) == 0;
            c->encryption = v;
            break;
        default: ok = sup != VA_ATTRIB_NOT_SUPPORTED && v && (v & ~sup) == 0; break;
        }
        if (!ok) {
            free(c);
            return VA_STATUS_ERROR_INVALID_VALUE;
        }
    }
    pthread_mutex_lock(&d->lock);
    if (fault(d, "vaCreateConfig")) {
        pthread_mutex_unlock(&d->lock);
        free(c);
        return VA_STATUS_ERROR_OPERATION_FAILED;
    }
    st = obj_add(d, OBJ_CONFIG, c, id);
    pthread_mutex_unlock(&d->lock);
    if (st != VA_STATUS_SUCCESS)
        free(c);
    return st;
}

static VAStatus t_DestroyConfig(VADriverContextP ctx, VAConfigID id)
{
    Drv *d = drv_of(ctx);
    pthread_mutex_lock(&d->lock);
    Config *c = obj_remove(d, id, OBJ_CONFIG);
    pthread_mutex_unlock(&d->lock);
    free(c);
    return c ? VA_STATUS_SUCCESS : VA_STATUS_ERROR_INVALID_CONFIG;
}

static VAStatus t_QueryConfigAttributes(VADriverContextP ctx, VAConfigID id, VAProfile *profile,
                                        VAEntrypoint *ep, VAConfigAttrib *list, int *num)
{
    Drv *d = drv_of(ctx);
    pthread_mutex_lock(&d->lock);
    Config *c = obj_get(d, id, OBJ_CONFIG);
    Config copy = c ? *c : (Config){0};
    pthread_mutex_unlock(&d->lock);
    if (!c)
        return VA_STATUS_ERROR_INVALID_CONFIG;
    *profile = copy.profile;
    *ep = copy.entrypoint;
    int n = 0;
    if (copy.entrypoint == VAEntrypointVLD) {
        list[n++] = (VAConfigAttrib){VAConfigAttribRTFormat, VA_RT_FORMAT_YUV420};
        if (copy.encryption)
            list[n++] = (VAConfigAttrib){VAConfigAttribEncryption, copy.encryption};
    } else if (copy.cipher_mode) {
        list[n++] = (VAConfigAttrib){VAConfigAttribProtectedContentCipherMode, copy.cipher_mode};
    }
    *num = n;
    return VA_STATUS_SUCCESS;
}

static VAStatus create_surfaces(VADriverContextP ctx, unsigned format, unsigned w, unsigned h,
                                VASurfaceID *out, unsigned n)
{
    Drv *d = drv_of(ctx);
    if ((format & ~VA_RT_FORMAT_PROTECTED) != VA_RT_FORMAT_YUV420)
        return VA_STATUS_ERROR_UNSUPPORTED_RT_FORMAT;
    if (!w || !h || w > MAX_WIDTH || h > MAX_HEIGHT)
        return VA_STATUS_ERROR_RESOLUTION_NOT_SUPPORTED;
    pthread_mutex_lock(&d->lock);
    FAULT(d, "vaCreateSurfaces");
    VAStatus st = VA_STATUS_SUCCESS;
    unsigned i;
    for (i = 0; i < n; i++) {
        Surface *s = calloc(1, sizeof(*s));
        unsigned aw = (w + 1) & ~1u, ah = (h + 1) & ~1u;
        if (s) {
            s->width = (int)aw;
            s->height = (int)ah;
            s->size = (size_t)aw * ah * 3 / 2;
            s->data = malloc(s->size);
        }
        if (!s || !s->data) {
            if (s)
                free(s->data);
            free(s);
            st = VA_STATUS_ERROR_ALLOCATION_FAILED;
            break;
        }
        memset(s->data, 0x10, (size_t)aw * ah);
        memset(s->data + (size_t)aw * ah, 0x80, (size_t)aw * ah / 2);
        st = obj_add(d, OBJ_SURFACE, s, &out[i]);
        if (st != VA_STATUS_SUCCESS) {
            free(s->data);
            free(s);
            break;
        }
    }
    if (st != VA_STATUS_SUCCESS)
        while (i-- > 0) {
            Surface *s = obj_remove(d, out[i], OBJ_SURFACE);
            free(s->data);
            free(s);
        }
    pthread_mutex_unlock(&d->lock);
    return st;
}

static VAStatus t_CreateSurfaces(VADriverContextP ctx, int w, int h, int format, int n,
                                 VASurfaceID *out)
{
    if (w <= 0 || h <= 0 || n <= 0)
        return VA_STATUS_ERROR_INVALID_PARAMETER;
    return create_surfaces(ctx, (unsigned)format, (unsigned)w, (unsigned)h, out, (unsigned)n);
}

static VAStatus t_CreateSurfaces2(VADriverContextP ctx, unsigned format, unsigned w, unsigned h,
                                  VASurfaceID *out, unsigned n, VASurfaceAttrib *attribs,
                                  unsigned num_attribs)
{
    for (unsigned i = 0; i < num_attribs; i++)
        if (attribs[i].type == VASurfaceAttribPixelFormat &&
            (attribs[i].flags & VA_SURFACE_ATTRIB_SETTABLE) &&
            (uint32_t)attribs[i].value.value.i != VA_FOURCC_NV12)
            return VA_STATUS_ERROR_INVALID_IMAGE_FORMAT;
    return create_surfaces(ctx, format, w, h, out, n);
}

static VAStatus t_DestroySurfaces(VADriverContextP ctx, VASurfaceID *list, int n)
{
    Drv *d = drv_of(ctx);
    VAStatus st = VA_STATUS_SUCCESS;
    pthread_mutex_lock(&d->lock);
    for (int i = 0; i < n; i++) {
        Surface *s = obj_remove(d, list[i], OBJ_SURFACE);
        if (!s) {
            st = VA_STATUS_ERROR_INVALID_SURFACE;
            continue;
        }
        free(s->data);
        free(s);
    }
    pthread_mutex_unlock(&d->lock);
    return st;
}

static VAStatus t_QuerySurfaceAttributes(VADriverContextP ctx, VAConfigID config,
                                         VASurfaceAttrib *list, unsigned *num)
{
    VASurfaceAttrib attrs[] = {
        {VASurfaceAttribPixelFormat, VA_SURFACE_ATTRIB_GETTABLE | VA_SURFACE_ATTRIB_SETTABLE,
         {VAGenericValueTypeInteger, {.i = VA_FOURCC_NV12}}},
        {VASurfaceAttribMinWidth, VA_SURFACE_ATTRIB_GETTABLE, {VAGenericValueTypeInteger, {.i = 1}}},
        {VASurfaceAttribMinHeight, VA_SURFACE_ATTRIB_GETTABLE, {VAGenericValueTypeInteger, {.i = 1}}},
        {VASurfaceAttribMaxWidth, VA_SURFACE_ATTRIB_GETTABLE,
         {VAGenericValueTypeInteger, {.i = MAX_WIDTH}}},
        {VASurfaceAttribMaxHeight, VA_SURFACE_ATTRIB_GETTABLE,
         {VAGenericValueTypeInteger, {.i = MAX_HEIGHT}}},
        {VASurfaceAttribMemoryType, VA_SURFACE_ATTRIB_GETTABLE | VA_SURFACE_ATTRIB_SETTABLE,
         {VAGenericValueTypeInteger, {.i = VA_SURFACE_ATTRIB_MEM_TYPE_VA}}},
    };
    Drv *d = drv_of(ctx);
    pthread_mutex_lock(&d->lock);
    bool ok = obj_get(d, config, OBJ_CONFIG) != NULL;
    pthread_mutex_unlock(&d->lock);
    if (!ok)
        return VA_STATUS_ERROR_INVALID_CONFIG;
    if (!list) {
        *num = N_ELEMS(attrs);
        return VA_STATUS_SUCCESS;
    }
    if (*num < N_ELEMS(attrs)) {
        *num = N_ELEMS(attrs);
        return VA_STATUS_ERROR_MAX_NUM_EXCEEDED;
    }
    memcpy(list, attrs, sizeof(attrs));
    *num = N_ELEMS(attrs);
    return VA_STATUS_SUCCESS;
}

static VAStatus t_CreateContext(VADriverContextP ctx, VAConfigID config, int w, int h, int flag,
                                VASurfaceID *targets, int n_targets, VAContextID *id)
{
    Drv *d = drv_of(ctx);
    pthread_mutex_lock(&d->lock);
    FAULT(d, "vaCreateContext");
    Config *cfg = obj_get(d, config, OBJ_CONFIG);
    VAStatus st = VA_STATUS_SUCCESS;
    if (!cfg || cfg->entrypoint != VAEntrypointVLD) /* ProtectedContent configs: sessions only */
        st = VA_STATUS_ERROR_INVALID_CONFIG;
    Context *c = st == VA_STATUS_SUCCESS ? calloc(1, sizeof(*c)) : NULL;
    if (st == VA_STATUS_SUCCESS && !c)
        st = VA_STATUS_ERROR_ALLOCATION_FAILED;
    if (c && drv_h264_profile(cfg->profile) && !(c->h264 = drv_h264_new(cfg->profile))) {
        free(c);
        c = NULL;
        st = VA_STATUS_ERROR_ALLOCATION_FAILED;
    }
    if (c) {
        c->config = config;
        c->target = VA_INVALID_ID;
        c->session = VA_INVALID_ID;
        st = obj_add(d, OBJ_CONTEXT, c, id);
        if (st != VA_STATUS_SUCCESS) {
            drv_h264_free(c->h264);
            free(c);
        }
    }
    pthread_mutex_unlock(&d->lock);
    return st;
}

static void picture_reset(Context *c)
{
    c->slices_size = 0;
    c->n_slices = 0;
    c->has_enc = false;
    free(c->enc_segments);
    c->enc_segments = NULL;
    c->in_picture = false;
    drv_h264_picture_reset(c->h264);
}

static VAStatus t_DestroyContext(VADriverContextP ctx, VAContextID id)
{
    Drv *d = drv_of(ctx);
    pthread_mutex_lock(&d->lock);
    Context *c = obj_remove(d, id, OBJ_CONTEXT);
    pthread_mutex_unlock(&d->lock);
    if (!c)
        return VA_STATUS_ERROR_INVALID_CONTEXT;
    picture_reset(c);
    free(c->slices);
    free(c->slice_ends);
    drv_h264_free(c->h264);
    free(c);
    return VA_STATUS_SUCCESS;
}

static void buffer_free(Buffer *b)
{
    if (!b)
        return;
    if (!b->borrowed)
        free(b->data);
    free(b->segments);
    free(b);
}

static VAStatus t_CreateBuffer(VADriverContextP ctx, VAContextID owner, VABufferType type,
                               unsigned size, unsigned num, void *data, VABufferID *id)
{
    Drv *d = drv_of(ctx);
    if (!size || !num || (uint64_t)size * num > (1u << 30))
        return VA_STATUS_ERROR_INVALID_PARAMETER;
    pthread_mutex_lock(&d->lock);
    FAULT(d, "vaCreateBuffer");
    int ot = obj_type(d, owner);
    pthread_mutex_unlock(&d->lock);
    /* Exec buffers belong to a protected session (see va_prot.h); the rest to contexts. */
    if (type == VAProtectedSessionExecuteBufferType) {
        if (ot != OBJ_PSESSION || size != sizeof(VAProtectedSessionExecuteBuffer) || num != 1)
            return VA_STATUS_ERROR_INVALID_BUFFER;
    } else if (ot != OBJ_CONTEXT && type != VAImageBufferType) {
        return VA_STATUS_ERROR_INVALID_CONTEXT;
    }
    if (type == VAEncryptionParameterBufferType && (size != sizeof(VAEncryptionParameters) || num != 1))
        return VA_STATUS_ERROR_INVALID_BUFFER;
    Buffer *b = calloc(1, sizeof(*b));
    if (!b)
        return VA_STATUS_ERROR_ALLOCATION_FAILED;
    b->type = type;
    b->size = size;
    b->num_elements = num;
    b->data = calloc(num, size);
    if (!b->data) {
        free(b);
        return VA_STATUS_ERROR_ALLOCATION_FAILED;
    }
    if (data)
        memcpy(b->data, data, (size_t)size * num);
    if (type == VAEncryptionParameterBufferType) {
        VAEncryptionParameters *e = (VAEncryptionParameters *)b->data;
        if (e->num_segments > 65536 || (e->num_segments && !e->segment_info)) {
            buffer_free(b);
            return VA_STATUS_ERROR_INVALID_PARAMETER;
        }
        if (e->num_segments) { /* segment_info is the client's pointer: deep-copy it now */
            b->segments = malloc(e->num_segments * sizeof(*b->segments));
            if (!b->segments) {
                buffer_free(b);
                return VA_STATUS_ERROR_ALLOCATION_FAILED;
            }
            memcpy(b->segments, e->segment_info, e->num_segments * sizeof(*b->segments));
        }
        e->segment_info = b->segments;
    }
    pthread_mutex_lock(&d->lock);
    VAStatus st = obj_add(d, OBJ_BUFFER, b, id);
    pthread_mutex_unlock(&d->lock);
    if (st != VA_STATUS_SUCCESS)
        buffer_free(b);
    return st;
}

static VAStatus t_BufferSetNumElements(VADriverContextP ctx, VABufferID id, unsigned num)
{
    Drv *d = drv_of(ctx);
    pthread_mutex_lock(&d->lock);
    Buffer *b = obj_get(d, id, OBJ_BUFFER);
    VAStatus st = VA_STATUS_SUCCESS;
    if (!b)
        st = VA_STATUS_ERROR_INVALID_BUFFER;
    else if (num > b->num_elements || num == 0)
        st = VA_STATUS_ERROR_INVALID_PARAMETER;
    else
        b->num_elements = num;
    pthread_mutex_unlock(&d->lock);
    return st;
}

static VAStatus t_MapBuffer(VADriverContextP ctx, VABufferID id, void **p)
{
    Drv *d = drv_of(ctx);
    pthread_mutex_lock(&d->lock);
    FAULT(d, "vaMapBuffer");
    Buffer *b = obj_get(d, id, OBJ_BUFFER);
    if (b)
        *p = b->data;
    pthread_mutex_unlock(&d->lock);
    return b ? VA_STATUS_SUCCESS : VA_STATUS_ERROR_INVALID_BUFFER;
}

static VAStatus t_UnmapBuffer(VADriverContextP ctx, VABufferID id)
{
    Drv *d = drv_of(ctx);
    pthread_mutex_lock(&d->lock);
    Buffer *b = obj_get(d, id, OBJ_BUFFER);
    pthread_mutex_unlock(&d->lock);
    return b ? VA_STATUS_SUCCESS : VA_STATUS_ERROR_INVALID_BUFFER;
}

static VAStatus t_DestroyBuffer(VADriverContextP ctx, VABufferID id)
{
    Drv *d = drv_of(ctx);
    pthread_mutex_lock(&d->lock);
    Buffer *b = obj_remove(d, id, OBJ_BUFFER);
    pthread_mutex_unlock(&d->lock);
    if (!b)
        return VA_STATUS_ERROR_INVALID_BUFFER;
    buffer_free(b);
    return VA_STATUS_SUCCESS;
}

static VAStatus t_BufferInfo(VADriverContextP ctx, VABufferID id, VABufferType *type,
                             unsigned *size, unsigned *num)
{
    Drv *d = drv_of(ctx);
    pthread_mutex_lock(&d->lock);
    Buffer *b = obj_get(d, id, OBJ_BUFFER);
    if (b) {
        *type = b->type;
        *size = b->size;
        *num = b->num_elements;
    }
    pthread_mutex_unlock(&d->lock);
    return b ? VA_STATUS_SUCCESS : VA_STATUS_ERROR_INVALID_BUFFER;
}

static VAStatus t_BeginPicture(VADriverContextP ctx, VAContextID id, VASurfaceID target)
{
    Drv *d = drv_of(ctx);
    pthread_mutex_lock(&d->lock);
    FAULT(d, "vaBeginPicture");
    Context *c = obj_get(d, id, OBJ_CONTEXT);
    VAStatus st = VA_STATUS_SUCCESS;
    if (!c)
        st = VA_STATUS_ERROR_INVALID_CONTEXT;
    else if (!obj_get(d, target, OBJ_SURFACE))
        st = VA_STATUS_ERROR_INVALID_SURFACE;
    else {
        picture_reset(c);
        c->target = target;
        c->in_picture = true;
    }
    pthread_mutex_unlock(&d->lock);
    return st;
}

/* Caller holds the lock. Copies what the picture needs (clients may destroy buffers before
 * vaEndPicture). */
static VAStatus render_one(Context *c, Buffer *b)
{
    if (b->type == VASliceDataBufferType) {
        size_t n = (size_t)b->size * b->num_elements;
        if (c->slices_size + n > c->slices_cap) {
            size_t cap = (c->slices_size + n) * 2;
            uint8_t *p = realloc(c->slices, cap);
            if (!p)
                return VA_STATUS_ERROR_ALLOCATION_FAILED;
            c->slices = p;
            c->slices_cap = cap;
        }
        if (c->n_slices == c->cap_slices) {
            size_t cap = c->cap_slices ? c->cap_slices * 2 : 16;
            size_t *p = realloc(c->slice_ends, cap * sizeof(*p));
            if (!p)
                return VA_STATUS_ERROR_ALLOCATION_FAILED;
            c->slice_ends = p;
            c->cap_slices = cap;
        }
        memcpy(c->slices + c->slices_size, b->data, n);
        c->slices_size += n;
        c->slice_ends[c->n_slices++] = c->slices_size;
    } else if (b->type == VAEncryptionParameterBufferType) {
        if (c->has_enc)
            return VA_STATUS_ERROR_INVALID_PARAMETER; /* one per picture */
        memcpy(&c->enc, b->data, sizeof(c->enc));
        size_t n = c->enc.num_segments;
        if (n) {
            c->enc_segments = malloc(n * sizeof(*c->enc_segments));
            if (!c->enc_segments)
                return VA_STATUS_ERROR_ALLOCATION_FAILED;
            memcpy(c->enc_segments, b->segments, n * sizeof(*c->enc_segments));
        }
        c->enc.segment_info = c->enc_segments;
        c->has_enc = true;
    } else if (c->h264) { /* picture, IQ matrix, slice parameters */
        return drv_h264_render(c->h264, b->type, b->data, b->size, b->num_elements, c->n_slices);
    }
    return VA_STATUS_SUCCESS;
}

static VAStatus t_RenderPicture(VADriverContextP ctx, VAContextID id, VABufferID *bufs, int n)
{
    Drv *d = drv_of(ctx);
    pthread_mutex_lock(&d->lock);
    FAULT(d, "vaRenderPicture");
    Context *c = obj_get(d, id, OBJ_CONTEXT);
    VAStatus st = VA_STATUS_SUCCESS;
    if (!c)
        st = VA_STATUS_ERROR_INVALID_CONTEXT;
    else if (!c->in_picture)
        st = VA_STATUS_ERROR_OPERATION_FAILED;
    for (int i = 0; st == VA_STATUS_SUCCESS && i < n; i++) {
        Buffer *b = obj_get(d, bufs[i], OBJ_BUFFER);
        st = b ? render_one(c, b) : VA_STATUS_ERROR_INVALID_BUFFER;
    }
    pthread_mutex_unlock(&d->lock);
    return st;
}

/* Caller holds the lock. Logs "error decode <reason>" when the picture cannot be decoded, and
 * with $SECDEC_TEST_DRV_LOG_PICTURES=1 "picture decoded <surface> <width>x<height>". */
static void decode_h264(Context *c, Surface *s)
{
    char why[128];
    int r = drv_h264_end_picture(c->h264, c->slices, c->slice_ends, c->n_slices, s->data,
                                 s->width, s->height, why, sizeof(why));
    const char *pictures = getenv("SECDEC_TEST_DRV_LOG_PICTURES");
    if (r == DRV_H264_FAILED)
        drv_log("error decode %s\n", why);
    else if (r == DRV_H264_DECODED && pictures && strcmp(pictures, "1") == 0)
        drv_log("picture decoded %u %dx%d\n", c->target, s->width, s->height);
}

static VAStatus t_EndPicture(VADriverContextP ctx, VAContextID id)
{
    Drv *d = drv_of(ctx);
    pthread_mutex_lock(&d->lock);
    FAULT(d, "vaEndPicture");
    Context *c = obj_get(d, id, OBJ_CONTEXT);
    VAStatus st = VA_STATUS_SUCCESS;
    if (!c || !c->in_picture) {
        pthread_mutex_unlock(&d->lock);
        return c ? VA_STATUS_ERROR_OPERATION_FAILED : VA_STATUS_ERROR_INVALID_CONTEXT;
    }
    bool enc = c->has_enc && c->enc.num_segments > 0;
    if (enc)
        lose_sessions_knob(d);
    if (enc)
        st = decrypt_picture(d, c);
    uint8_t raw[32] = {0};
    if (st == VA_STATUS_SUCCESS) {
        size_t start = 0;
        for (size_t i = 0; i < c->n_slices; i++) {
            char hex[65];
            hexsha(c->slices + start, c->slice_ends[i] - start, hex, raw);
            drv_log("slice %s %s %zu\n", enc ? "enc" : "clear", hex, c->slice_ends[i] - start);
            start = c->slice_ends[i];
        }
        char hex[65];
        hexsha(c->slices ? c->slices : raw, c->slices_size, hex, raw);
        /* HEVC, and H.264 pictures that cannot be decoded: a pattern made from the clear
         * bitstream. H.264: decoded with libavcodec (drv_decode_h264.c). */
        Surface *s = obj_get(d, c->target, OBJ_SURFACE);
        if (s)
            for (size_t i = 0; i < (size_t)s->width * s->height; i++)
                s->data[i] = raw[i % 32];
        if (s && c->h264)
            decode_h264(c, s);
    }
    picture_reset(c);
    pthread_mutex_unlock(&d->lock);
    return st;
}

static VAStatus t_SyncSurface(VADriverContextP ctx, VASurfaceID id)
{
    Drv *d = drv_of(ctx);
    pthread_mutex_lock(&d->lock);
    FAULT(d, "vaSyncSurface");
    bool ok = obj_get(d, id, OBJ_SURFACE) != NULL;
    pthread_mutex_unlock(&d->lock);
    return ok ? VA_STATUS_SUCCESS : VA_STATUS_ERROR_INVALID_SURFACE;
}

static VAStatus t_QuerySurfaceStatus(VADriverContextP ctx, VASurfaceID id, VASurfaceStatus *s)
{
    Drv *d = drv_of(ctx);
    pthread_mutex_lock(&d->lock);
    bool ok = obj_get(d, id, OBJ_SURFACE) != NULL;
    pthread_mutex_unlock(&d->lock);
    if (ok)
        *s = VASurfaceReady;
    return ok ? VA_STATUS_SUCCESS : VA_STATUS_ERROR_INVALID_SURFACE;
}

static const VAImageFormat nv12_format = {VA_FOURCC_NV12, VA_LSB_FIRST, 12, 0, 0, 0, 0, 0, {0}};

static VAStatus t_QueryImageFormats(VADriverContextP ctx, VAImageFormat *list, int *num)
{
    list[0] = nv12_format;
    *num = 1;
    return VA_STATUS_SUCCESS;
}

/* Caller holds the lock. Creates an NV12 image; data: NULL allocates, else borrowed. */
static VAStatus image_new(Drv *d, int w, int h, uint8_t *data, VASurfaceID from, VAImage *out)
{
    if (w <= 0 || h <= 0 || w > MAX_WIDTH || h > MAX_HEIGHT)
        return VA_STATUS_ERROR_INVALID_PARAMETER;
    unsigned aw = ((unsigned)w + 1) & ~1u, ah = ((unsigned)h + 1) & ~1u;
    Image *im = calloc(1, sizeof(*im));
    Buffer *b = calloc(1, sizeof(*b));
    if (!im || !b) {
        free(im);
        free(b);
        return VA_STATUS_ERROR_ALLOCATION_FAILED;
    }
    b->type = VAImageBufferType;
    b->size = aw * ah * 3 / 2;
    b->num_elements = 1;
    b->borrowed = data != NULL;
    b->data = data ? data : calloc(1, b->size);
    if (!b->data) {
        free(im);
        free(b);
        return VA_STATUS_ERROR_ALLOCATION_FAILED;
    }
    VAImage *v = &im->image;
    v->format = nv12_format;
    v->width = (uint16_t)w;
    v->height = (uint16_t)h;
    v->data_size = b->size;
    v->num_planes = 2;
    v->pitches[0] = v->pitches[1] = aw;
    v->offsets[0] = 0;
    v->offsets[1] = aw * ah;
    im->derived_from = from;
    VAStatus st = obj_add(d, OBJ_BUFFER, b, &v->buf);
    if (st == VA_STATUS_SUCCESS) {
        st = obj_add(d, OBJ_IMAGE, im, &v->image_id);
        if (st != VA_STATUS_SUCCESS)
            obj_remove(d, v->buf, OBJ_BUFFER);
    }
    if (st != VA_STATUS_SUCCESS) {
        buffer_free(b);
        free(im);
        return st;
    }
    *out = *v;
    return VA_STATUS_SUCCESS;
}

static VAStatus t_CreateImage(VADriverContextP ctx, VAImageFormat *format, int w, int h,
                              VAImage *image)
{
    Drv *d = drv_of(ctx);
    if (format->fourcc != VA_FOURCC_NV12)
        return VA_STATUS_ERROR_INVALID_IMAGE_FORMAT;
    pthread_mutex_lock(&d->lock);
    FAULT(d, "vaCreateImage");
    VAStatus st = image_new(d, w, h, NULL, VA_INVALID_ID, image);
    pthread_mutex_unlock(&d->lock);
    return st;
}

static VAStatus t_DeriveImage(VADriverContextP ctx, VASurfaceID surface, VAImage *image)
{
    Drv *d = drv_of(ctx);
    pthread_mutex_lock(&d->lock);
    FAULT(d, "vaDeriveImage");
    Surface *s = obj_get(d, surface, OBJ_SURFACE);
    VAStatus st = s ? image_new(d, s->width, s->height, s->data, surface, image)
                    : VA_STATUS_ERROR_INVALID_SURFACE;
    pthread_mutex_unlock(&d->lock);
    return st;
}

static VAStatus t_DestroyImage(VADriverContextP ctx, VAImageID id)
{
    Drv *d = drv_of(ctx);
    pthread_mutex_lock(&d->lock);
    Image *im = obj_remove(d, id, OBJ_IMAGE);
    Buffer *b = im ? obj_remove(d, im->image.buf, OBJ_BUFFER) : NULL;
    pthread_mutex_unlock(&d->lock);
    buffer_free(b);
    free(im);
    return im ? VA_STATUS_SUCCESS : VA_STATUS_ERROR_INVALID_IMAGE;
}

static VAStatus t_GetImage(VADriverContextP ctx, VASurfaceID surface, int x, int y, unsigned w,
                           unsigned h, VAImageID image)
{
    Drv *d = drv_of(ctx);
    pthread_mutex_lock(&d->lock);
    FAULT(d, "vaGetImage");
    Surface *s = obj_get(d, surface, OBJ_SURFACE);
    Image *im = obj_get(d, image, OBJ_IMAGE);
    Buffer *b = im ? obj_get(d, im->image.buf, OBJ_BUFFER) : NULL;
    VAStatus st = VA_STATUS_SUCCESS;
    if (!s)
        st = VA_STATUS_ERROR_INVALID_SURFACE;
    else if (!im || !b)
        st = VA_STATUS_ERROR_INVALID_IMAGE;
    else if (x < 0 || y < 0 || (x | y) & 1 || x + w > (unsigned)s->width ||
             y + h > (unsigned)s->height || w > im->image.width || h > im->image.height)
        st = VA_STATUS_ERROR_INVALID_PARAMETER;
    else {
        unsigned sp = (unsigned)s->width, dp = im->image.pitches[0];
        const uint8_t *suv = s->data + (size_t)sp * s->height;
        for (unsigned r = 0; r < h; r++)
            memcpy(b->data + (size_t)r * dp, s->data + (size_t)(y + r) * sp + x, w);
        for (unsigned r = 0; r < (h + 1) / 2; r++)
            memcpy(b->data + im->image.offsets[1] + (size_t)r * dp,
                   suv + (size_t)(y / 2 + r) * sp + x, (w + 1) & ~1u);
    }
    pthread_mutex_unlock(&d->lock);
    return st;
}

#define UNIMPL VA_STATUS_ERROR_UNIMPLEMENTED
static VAStatus u_SetImagePalette(VADriverContextP c, VAImageID i, unsigned char *p) { return UNIMPL; }
static VAStatus u_PutImage(VADriverContextP c, VASurfaceID s, VAImageID i, int sx, int sy,
                           unsigned sw, unsigned sh, int dx, int dy, unsigned dw, unsigned dh)
{
    return UNIMPL;
}
static VAStatus u_CreateSubpicture(VADriverContextP c, VAImageID i, VASubpictureID *s) { return UNIMPL; }
static VAStatus u_DestroySubpicture(VADriverContextP c, VASubpictureID s) { return UNIMPL; }
static VAStatus u_SetSubpictureImage(VADriverContextP c, VASubpictureID s, VAImageID i) { return UNIMPL; }
static VAStatus u_SetSubpictureChromakey(VADriverContextP c, VASubpictureID s, unsigned a,
                                         unsigned b, unsigned m)
{
    return UNIMPL;
}
static VAStatus u_SetSubpictureGlobalAlpha(VADriverContextP c, VASubpictureID s, float a) { return UNIMPL; }
static VAStatus u_AssociateSubpicture(VADriverContextP c, VASubpictureID s, VASurfaceID *t, int n,
                                      short sx, short sy, unsigned short sw, unsigned short sh,
                                      short dx, short dy, unsigned short dw, unsigned short dh,
                                      unsigned flags)
{
    return UNIMPL;
}
static VAStatus u_DeassociateSubpicture(VADriverContextP c, VASubpictureID s, VASurfaceID *t, int n)
{
    return UNIMPL;
}
static VAStatus u_GetDisplayAttributes(VADriverContextP c, VADisplayAttribute *l, int n) { return UNIMPL; }
static VAStatus u_SetDisplayAttributes(VADriverContextP c, VADisplayAttribute *l, int n) { return UNIMPL; }

static VAStatus t_QuerySubpictureFormats(VADriverContextP ctx, VAImageFormat *list,
                                         unsigned *flags, unsigned *num)
{
    *num = 0;
    return VA_STATUS_SUCCESS;
}

static VAStatus t_QueryDisplayAttributes(VADriverContextP ctx, VADisplayAttribute *list, int *num)
{
    *num = 0;
    return VA_STATUS_SUCCESS;
}

/* ---- protected content -------------------------------------------------------------------- */

static VAStatus t_CreateProtectedSession(VADriverContextP ctx, VAConfigID config,
                                         VAProtectedSessionID *id)
{
    Drv *d = drv_of(ctx);
    pthread_mutex_lock(&d->lock);
    FAULT(d, "vaCreateProtectedSession");
    Config *cfg = obj_get(d, config, OBJ_CONFIG);
    VAStatus st = VA_STATUS_SUCCESS;
    PSession *ps = NULL;
    if (!cfg || cfg->entrypoint != VAEntrypointProtectedContent)
        st = VA_STATUS_ERROR_INVALID_CONFIG;
    else if (!(ps = calloc(1, sizeof(*ps))))
        st = VA_STATUS_ERROR_ALLOCATION_FAILED;
    else {
        ps->alive = true;
        st = obj_add(d, OBJ_PSESSION, ps, id);
        if (st != VA_STATUS_SUCCESS)
            free(ps);
    }
    pthread_mutex_unlock(&d->lock);
    return st;
}

static VAStatus t_DestroyProtectedSession(VADriverContextP ctx, VAProtectedSessionID id)
{
    Drv *d = drv_of(ctx);
    pthread_mutex_lock(&d->lock);
    PSession *ps = obj_remove(d, id, OBJ_PSESSION);
    if (ps)
        for (size_t i = 0; i < d->n; i++)
            if (d->objs[i].type == OBJ_CONTEXT && ((Context *)d->objs[i].p)->session == id)
                ((Context *)d->objs[i].p)->session = VA_INVALID_ID;
    pthread_mutex_unlock(&d->lock);
    if (ps)
        OPENSSL_cleanse(ps, sizeof(*ps));
    free(ps);
    return ps ? VA_STATUS_SUCCESS : VA_STATUS_ERROR_INVALID_PARAMETER;
}

static VAStatus t_AttachProtectedSession(VADriverContextP ctx, VAContextID context,
                                         VAProtectedSessionID id)
{
    Drv *d = drv_of(ctx);
    pthread_mutex_lock(&d->lock);
    FAULT(d, "vaAttachProtectedSession");
    Context *c = obj_get(d, context, OBJ_CONTEXT);
    VAStatus st = VA_STATUS_SUCCESS;
    if (!c)
        st = VA_STATUS_ERROR_INVALID_CONTEXT;
    else if (!obj_get(d, id, OBJ_PSESSION))
        st = VA_STATUS_ERROR_INVALID_PARAMETER;
    else
        c->session = id;
    pthread_mutex_unlock(&d->lock);
    return st;
}

static VAStatus t_DetachProtectedSession(VADriverContextP ctx, VAContextID context)
{
    Drv *d = drv_of(ctx);
    pthread_mutex_lock(&d->lock);
    Context *c = obj_get(d, context, OBJ_CONTEXT);
    if (c)
        c->session = VA_INVALID_ID;
    pthread_mutex_unlock(&d->lock);
    return c ? VA_STATUS_SUCCESS : VA_STATUS_ERROR_INVALID_CONTEXT;
}

static const EVP_MD *oaep_md(uint32_t h)
{
    switch (h) {
    case SECDEC_VA_TEE_OAEP_SHA512: return EVP_sha512();
    case SECDEC_VA_TEE_OAEP_SHA256: return EVP_sha256();
    case SECDEC_VA_TEE_OAEP_SHA1: return EVP_sha1();
    }
    return NULL;
}

static uint32_t tee_key_exchange(PSession *ps, const VAProtectedSessionBuffer *in)
{
    if (in->data_size != sizeof(SecdecVaTeeKeyExchange) || !in->data)
        return SECDEC_VA_TEE_STATUS_BAD_INPUT;
    const SecdecVaTeeKeyExchange *kx = in->data;
    const EVP_MD *md = oaep_md(kx->oaep_hash);
    if (!md || kx->blob_size != sizeof(kx->blob))
        return SECDEC_VA_TEE_STATUS_BAD_INPUT;
    uint8_t out[256];
    size_t outlen = sizeof(out);
    EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_pkey(NULL, tee_key, NULL);
    bool ok = pc && EVP_PKEY_decrypt_init(pc) == 1 &&
              EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_OAEP_PADDING) == 1 &&
              EVP_PKEY_CTX_set_rsa_oaep_md(pc, md) == 1 &&
              EVP_PKEY_CTX_set_rsa_mgf1_md(pc, md) == 1 &&
              EVP_PKEY_decrypt(pc, out, &outlen, kx->blob, sizeof(kx->blob)) == 1 && outlen == 16;
    EVP_PKEY_CTX_free(pc);
    if (ok) {
        memcpy(ps->session_key, out, 16);
        ps->has_key = true;
        ps->refresh_pending = false; /* a new session key cancels a pending refresh */
    }
    OPENSSL_cleanse(out, sizeof(out));
    return ok ? SECDEC_VA_TEE_STATUS_OK : SECDEC_VA_TEE_STATUS_KEY_EXCHANGE;
}

/* FINISH_KEY_REFRESH: re-wraps the input keys from the current to the refreshed session key
 * into `rewrapped`, then switches. Nothing changes on error. */
static uint32_t tee_finish_refresh(PSession *ps, const VAProtectedSessionBuffer *in,
                                   VAProtectedSessionBuffer *out)
{
    if (!ps->alive)
        return SECDEC_VA_TEE_STATUS_SESSION_LOST;
    if (!ps->has_key)
        return SECDEC_VA_TEE_STATUS_NO_SESSION_KEY;
    if (!ps->refresh_pending)
        return SECDEC_VA_TEE_STATUS_NO_REFRESH;
    if (in->data_size % 16 || in->data_size > 256 * 16 || (in->data_size && !in->data))
        return SECDEC_VA_TEE_STATUS_BAD_INPUT;
    if (out->max_data_size < in->data_size || (in->data_size && !out->data)) {
        out->data_size = in->data_size;
        return SECDEC_VA_TEE_STATUS_SHORT_BUFFER;
    }
    uint8_t next[16], *tmp = malloc(in->data_size ? in->data_size : 1);
    Aes cur = {0}, nxt = {0};
    for (int i = 0; i < 16; i++)
        next[i] = ps->session_key[i] ^ ps->refresh_random[i];
    bool ok = tmp && aes_init(&cur, ps->session_key) && aes_init(&nxt, next);
    static const uint8_t zero[16];
    for (uint32_t k = 0; ok && k < in->data_size / 16; k++) {
        const uint8_t *w = (const uint8_t *)in->data + 16 * k;
        uint8_t key[16];
        if (memcmp(w, zero, 16) == 0) {
            memcpy(tmp + 16 * k, zero, 16);
            continue;
        }
        ok = aes_block(cur.dec, w, key) && aes_block(nxt.enc, key, tmp + 16 * k);
        OPENSSL_cleanse(key, sizeof(key));
    }
    aes_free(&cur);
    aes_free(&nxt);
    if (ok) {
        if (in->data_size)
            memcpy(out->data, tmp, in->data_size);
        out->data_size = in->data_size;
        memcpy(ps->session_key, next, 16);
        OPENSSL_cleanse(ps->refresh_random, 16);
        ps->refresh_pending = false;
    }
    OPENSSL_cleanse(next, sizeof(next));
    if (tmp)
        OPENSSL_cleanse(tmp, in->data_size ? in->data_size : 1);
    free(tmp);
    return ok ? SECDEC_VA_TEE_STATUS_OK : SECDEC_VA_TEE_STATUS_BAD_INPUT;
}

static uint32_t put_output(VAProtectedSessionBuffer *out, const void *data, size_t n)
{
    if (out->max_data_size < n || (n && !out->data)) {
        out->data_size = (uint32_t)n;
        return SECDEC_VA_TEE_STATUS_SHORT_BUFFER;
    }
    if (n)
        memcpy(out->data, data, n);
    out->data_size = (uint32_t)n;
    return SECDEC_VA_TEE_STATUS_OK;
}

static const char *tee_func_name(uint32_t f)
{
    switch (f) {
    case SECDEC_VA_TEE_FUNC_GET_CERTIFICATE: return "GET_CERTIFICATE";
    case SECDEC_VA_TEE_FUNC_KEY_EXCHANGE: return "KEY_EXCHANGE";
    case SECDEC_VA_TEE_FUNC_IS_SESSION_ALIVE: return "IS_SESSION_ALIVE";
    case SECDEC_VA_TEE_FUNC_CHECK_WRAPPED_KEY: return "CHECK_WRAPPED_KEY";
    case SECDEC_VA_TEE_FUNC_HW_PROTECTION: return "HW_PROTECTION";
    case SECDEC_VA_TEE_FUNC_START_KEY_REFRESH: return "START_KEY_REFRESH";
    case SECDEC_VA_TEE_FUNC_FINISH_KEY_REFRESH: return "FINISH_KEY_REFRESH";
    case SECDEC_VA_TEE_FUNC_TEST_INVALIDATE_SESSION: return "TEST_INVALIDATE_SESSION";
    }
    return "?";
}

static VAStatus t_ProtectedSessionExecute(VADriverContextP ctx, VAProtectedSessionID id,
                                          VABufferID buf)
{
    Drv *d = drv_of(ctx);
    if (!tee_ready())
        return VA_STATUS_ERROR_OPERATION_FAILED;
    pthread_mutex_lock(&d->lock);
    FAULT(d, "vaProtectedSessionExecute");
    PSession *ps = obj_get(d, id, OBJ_PSESSION);
    Buffer *b = obj_get(d, buf, OBJ_BUFFER);
    if (!ps || !b || b->type != VAProtectedSessionExecuteBufferType) {
        pthread_mutex_unlock(&d->lock);
        return ps ? VA_STATUS_ERROR_INVALID_BUFFER : VA_STATUS_ERROR_INVALID_PARAMETER;
    }
    VAProtectedSessionExecuteBuffer *x = (VAProtectedSessionExecuteBuffer *)b->data;
    FAULT(d, tee_func_name(x->function_id));
    const VAProtectedSessionBuffer *in = &x->input;
    VAProtectedSessionBuffer *out = &x->output;
    uint32_t status = SECDEC_VA_TEE_STATUS_OK;
    switch (x->function_id) {
    case SECDEC_VA_TEE_FUNC_GET_CERTIFICATE:
        status = put_output(out, tee_cert, tee_cert_size);
        break;
    case SECDEC_VA_TEE_FUNC_KEY_EXCHANGE:
        status = ps->alive ? tee_key_exchange(ps, in) : SECDEC_VA_TEE_STATUS_SESSION_LOST;
        out->data_size = 0;
        break;
    case SECDEC_VA_TEE_FUNC_IS_SESSION_ALIVE: {
        uint8_t v = ps->alive ? SECDEC_VA_TEE_SESSION_ALIVE : SECDEC_VA_TEE_SESSION_DEAD;
        status = put_output(out, &v, 1);
        break;
    }
    case SECDEC_VA_TEE_FUNC_CHECK_WRAPPED_KEY:
        if (in->data_size != 16 || !in->data)
            status = SECDEC_VA_TEE_STATUS_BAD_INPUT;
        else if (!ps->alive)
            status = SECDEC_VA_TEE_STATUS_SESSION_LOST;
        else if (!ps->has_key)
            status = SECDEC_VA_TEE_STATUS_NO_SESSION_KEY;
        out->data_size = 0;
        break;
    case SECDEC_VA_TEE_FUNC_HW_PROTECTION: {
        if (!ps->alive) {
            status = SECDEC_VA_TEE_STATUS_SESSION_LOST;
            break;
        }
        if (in->data_size > 65536 || (in->data_size && !in->data)) {
            status = SECDEC_VA_TEE_STATUS_BAD_INPUT;
            break;
        }
        uint8_t *rev = malloc(in->data_size ? in->data_size : 1);
        if (!rev) {
            pthread_mutex_unlock(&d->lock);
            return VA_STATUS_ERROR_ALLOCATION_FAILED;
        }
        for (uint32_t i = 0; i < in->data_size; i++)
            rev[i] = ((const uint8_t *)in->data)[in->data_size - 1 - i];
        status = put_output(out, rev, in->data_size);
        free(rev);
        break;
    }
    case SECDEC_VA_TEE_FUNC_START_KEY_REFRESH:
        if (!ps->alive)
            status = SECDEC_VA_TEE_STATUS_SESSION_LOST;
        else if (!ps->has_key)
            status = SECDEC_VA_TEE_STATUS_NO_SESSION_KEY;
        else if (out->max_data_size < 16 || !out->data) {
            out->data_size = 16;
            status = SECDEC_VA_TEE_STATUS_SHORT_BUFFER;
        } else if (RAND_priv_bytes(ps->refresh_random, 16) != 1) {
            status = SECDEC_VA_TEE_STATUS_BAD_INPUT;
        } else {
            ps->refresh_pending = true;
            status = put_output(out, ps->refresh_random, 16);
        }
        break;
    case SECDEC_VA_TEE_FUNC_FINISH_KEY_REFRESH:
        status = tee_finish_refresh(ps, in, out);
        if (status != SECDEC_VA_TEE_STATUS_OK && status != SECDEC_VA_TEE_STATUS_SHORT_BUFFER)
            out->data_size = 0;
        break;
    case SECDEC_VA_TEE_FUNC_TEST_INVALIDATE_SESSION:
        ps->alive = false;
        ps->has_key = false;
        OPENSSL_cleanse(ps->session_key, sizeof(ps->session_key));
        out->data_size = 0;
        break;
    default:
        status = SECDEC_VA_TEE_STATUS_UNKNOWN_FUNCTION;
        break;
    }
    x->status = status;
    pthread_mutex_unlock(&d->lock);
    return VA_STATUS_SUCCESS;
}

/* ---- entry point -------------------------------------------------------------------------- */

EXPORT VAStatus DRIVER_INIT(VADriverContextP ctx);

VAStatus DRIVER_INIT(VADriverContextP ctx)
{
    Drv *d = calloc(1, sizeof(*d));
    if (!d)
        return VA_STATUS_ERROR_ALLOCATION_FAILED;
    pthread_mutex_init(&d->lock, NULL);
    if (fault(d, "vaDriverInit")) {
        pthread_mutex_destroy(&d->lock);
        free(d);
        return VA_STATUS_ERROR_OPERATION_FAILED;
    }
    ctx->pDriverData = d;
    ctx->version_major = VA_MAJOR_VERSION;
    ctx->version_minor = VA_MINOR_VERSION;
    ctx->max_profiles = (int)N_ELEMS(decode_profiles) + 1;
    ctx->max_entrypoints = 1;
    ctx->max_attributes = 8;
    ctx->max_image_formats = 1;
    ctx->max_subpic_formats = 1;
    ctx->max_display_attributes = 1;
    ctx->str_vendor = "secdec test VA driver 0.1 (no GPU, software TEE)";

    struct VADriverVTable *v = ctx->vtable;
    v->vaTerminate = t_Terminate;
    v->vaQueryConfigProfiles = t_QueryConfigProfiles;
    v->vaQueryConfigEntrypoints = t_QueryConfigEntrypoints;
    v->vaQueryConfigAttributes = t_QueryConfigAttributes;
    v->vaCreateConfig = t_CreateConfig;
    v->vaDestroyConfig = t_DestroyConfig;
    v->vaGetConfigAttributes = t_GetConfigAttributes;
    v->vaCreateSurfaces = t_CreateSurfaces;
    v->vaCreateSurfaces2 = t_CreateSurfaces2;
    v->vaDestroySurfaces = t_DestroySurfaces;
    v->vaQuerySurfaceAttributes = t_QuerySurfaceAttributes;
    v->vaCreateContext = t_CreateContext;
    v->vaDestroyContext = t_DestroyContext;
    v->vaCreateBuffer = t_CreateBuffer;
    v->vaBufferSetNumElements = t_BufferSetNumElements;
    v->vaMapBuffer = t_MapBuffer;
    v->vaUnmapBuffer = t_UnmapBuffer;
    v->vaDestroyBuffer = t_DestroyBuffer;
    v->vaBufferInfo = t_BufferInfo;
    v->vaBeginPicture = t_BeginPicture;
    v->vaRenderPicture = t_RenderPicture;
    v->vaEndPicture = t_EndPicture;
    v->vaSyncSurface = t_SyncSurface;
    v->vaQuerySurfaceStatus = t_QuerySurfaceStatus;
    v->vaQueryImageFormats = t_QueryImageFormats;
    v->vaCreateImage = t_CreateImage;
    v->vaDeriveImage = t_DeriveImage;
    v->vaDestroyImage = t_DestroyImage;
    v->vaGetImage = t_GetImage;
    v->vaQuerySubpictureFormats = t_QuerySubpictureFormats;
    v->vaQueryDisplayAttributes = t_QueryDisplayAttributes;
    /* Mandatory for libva but meaningless here: VA_STATUS_ERROR_UNIMPLEMENTED. */
    v->vaSetImagePalette = u_SetImagePalette;
    v->vaPutImage = u_PutImage;
    v->vaCreateSubpicture = u_CreateSubpicture;
    v->vaDestroySubpicture = u_DestroySubpicture;
    v->vaSetSubpictureImage = u_SetSubpictureImage;
    v->vaSetSubpictureChromakey = u_SetSubpictureChromakey;
    v->vaSetSubpictureGlobalAlpha = u_SetSubpictureGlobalAlpha;
    v->vaAssociateSubpicture = u_AssociateSubpicture;
    v->vaDeassociateSubpicture = u_DeassociateSubpicture;
    v->vaGetDisplayAttributes = u_GetDisplayAttributes;
    v->vaSetDisplayAttributes = u_SetDisplayAttributes;

    if (ctx->vtable_prot) { /* libva >= 2.11 */
        struct VADriverVTableProt *p = ctx->vtable_prot;
        p->vaCreateProtectedSession = t_CreateProtectedSession;
        p->vaDestroyProtectedSession = t_DestroyProtectedSession;
        p->vaAttachProtectedSession = t_AttachProtectedSession;
        p->vaDetachProtectedSession = t_DetachProtectedSession;
        p->vaProtectedSessionExecute = t_ProtectedSessionExecute;
    }
    return VA_STATUS_SUCCESS;
}
