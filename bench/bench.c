/*
 * bench.c - secdec-bench: libsecdec against the plain OpenSSL work it wraps, measured in the
 * same run on the same key, printed as one table.
 *
 *   secdec-bench [--iterations N] [--home DIR]
 *
 * By default the device identity is provisioned in a temporary SECDEC home that is removed
 * at exit (--home DIR uses, and if needed provisions, DIR instead). Each row times one
 * operation N times (after a warm-up) and reports the median; `ratio` is secdec / reference
 * for times (lower is better) and reference / secdec for throughputs, so a ratio above the
 * goal is always a miss.
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "secdec/decrypt.h"
#include "secdec/secdec.h"

/* ---- shared state ------------------------------------------------------------------------- */

typedef struct Bench {
    SecdecDevice *dev;
    EVP_PKEY *priv;         /* the device's own key, loaded from device.key (reference) */
    uint8_t blob[256];      /* a session key encrypted to the device (OAEP SHA-512) */
    uint8_t session_key[16];
    int iterations;
    /* decrypt rows */
    SecdecCryptoSession *ctr_sess, *cbc_sess;
    uint8_t kid[16], content_key[16], iv[16];
    uint8_t *input, *output; /* input: "encrypted" sample; output: the reference's plain buffer */
    size_t size;             /* sample size of the current row */
    EVP_CIPHER_CTX *ref_ctr, *ref_cbc;
} Bench;

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static void die(const char *what, const char *why)
{
    fprintf(stderr, "secdec-bench: %s: %s\n", what, why);
    exit(1);
}

static void die_ssl(const char *what)
{
    char buf[256];
    ERR_error_string_n(ERR_get_error(), buf, sizeof buf);
    die(what, buf);
}

/* ---- measured operations: each returns the elapsed microseconds of one operation ---------- */

typedef double (*OpFn)(Bench *b);

/* secdec: CreateCryptoSession + NegotiateCryptoSessionKeyExchange (destroy not timed). */
static double op_secdec_session_kx(Bench *b)
{
    SecdecCryptoSession *s = NULL;
    double t0 = now_us();
    SecdecStatus st = secdec_create_crypto_session(b->dev, &SECDEC_CRYPTO_TYPE_AES128_CTR, NULL,
                                                   &SECDEC_KEY_EXCHANGE_RSAES_OAEP, &s);
    if (st == SECDEC_OK)
        st = secdec_negotiate_crypto_session_key_exchange(b->dev, s, sizeof b->blob, b->blob);
    double t1 = now_us();
    if (st != SECDEC_OK)
        die("session create + key exchange", secdec_status_to_string(st));
    secdec_crypto_session_destroy(&s);
    return t1 - t0;
}

/* reference: what a minimal implementation does per key exchange with OpenSSL: a context for
 * the key, OAEP SHA-512 / MGF1 SHA-512 parameters, EVP_PKEY_decrypt. */
static double op_ref_oaep_decrypt(Bench *b)
{
    uint8_t out[256];
    size_t outlen = sizeof out;
    double t0 = now_us();
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, b->priv, NULL);
    int ok = ctx && EVP_PKEY_decrypt_init(ctx) == 1 &&
             EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) == 1 &&
             EVP_PKEY_CTX_set_rsa_oaep_md(ctx, EVP_sha512()) == 1 &&
             EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, EVP_sha512()) == 1 &&
             EVP_PKEY_decrypt(ctx, out, &outlen, b->blob, sizeof b->blob) == 1;
    EVP_PKEY_CTX_free(ctx);
    double t1 = now_us();
    if (!ok || outlen != 16 || memcmp(out, b->session_key, 16) != 0)
        die_ssl("raw OpenSSL OAEP decrypt");
    return t1 - t0;
}

/* ---- decrypt throughput ------------------------------------------------------------------ */

/* One subsample: a 64-byte clear header (length prefix, NAL and slice header), the rest
 * encrypted in whole blocks, as secdec-pack lays out a video slice. */
static void sample_map(const Bench *b, SecdecSubsample *ss)
{
    size_t enc = (b->size - 64) / 16 * 16;
    ss->clear_bytes = (uint32_t)(b->size - enc);
    ss->encrypted_bytes = (uint32_t)enc;
}

static double secdec_decrypt_op(Bench *b, SecdecScheme scheme)
{
    SecdecSubsample ss;
    sample_map(b, &ss);
    SecdecSampleInfo info;
    secdec_sample_info_default(&info);
    info.scheme = scheme;
    memcpy(info.kid, b->kid, 16);
    memcpy(info.iv, b->iv, 16);
    info.subsamples = &ss;
    info.n_subsamples = 1;
    if (scheme == SECDEC_SCHEME_CBCS) {
        info.crypt_byte_block = 1;
        info.skip_byte_block = 9;
    }
    SecdecProtectedBuffer *pb = NULL;
    double t0 = now_us();
    SecdecStatus st = secdec_decrypt_sample(
        b->dev, scheme == SECDEC_SCHEME_CENC ? b->ctr_sess : b->cbc_sess, &info, b->input,
        b->size, &pb);
    double t1 = now_us();
    secdec_protected_buffer_release(&pb);
    if (st != SECDEC_OK)
        die("decrypt", secdec_status_to_string(st));
    return t1 - t0;
}

static double op_secdec_cenc(Bench *b)
{
    return secdec_decrypt_op(b, SECDEC_SCHEME_CENC);
}

static double op_secdec_cbcs(Bench *b)
{
    return secdec_decrypt_op(b, SECDEC_SCHEME_CBCS);
}

/* Releasing a protected buffer wipes it: timed apart from decryption. */
static double op_secdec_release(Bench *b)
{
    SecdecProtectedBuffer *pb = NULL;
    if (secdec_decrypt_sample(b->dev, b->ctr_sess, NULL, b->input, b->size, &pb) != SECDEC_OK)
        die("clear sample", "cannot copy into protected memory");
    double t0 = now_us();
    secdec_protected_buffer_release(&pb);
    return now_us() - t0;
}

static double op_ref_cleanse(Bench *b)
{
    double t0 = now_us();
    OPENSSL_cleanse(b->output, b->size);
    return now_us() - t0;
}

/* reference: OpenSSL AES-128-CTR over the same bytes into a plain buffer (context and key
 * schedule reused; IV set per sample). */
static double op_ref_ctr(Bench *b)
{
    SecdecSubsample ss;
    sample_map(b, &ss);
    int len;
    double t0 = now_us();
    memcpy(b->output, b->input, ss.clear_bytes);
    int ok = EVP_DecryptInit_ex(b->ref_ctr, NULL, NULL, NULL, b->iv) == 1 &&
             EVP_DecryptUpdate(b->ref_ctr, b->output + ss.clear_bytes, &len,
                               b->input + ss.clear_bytes, (int)ss.encrypted_bytes) == 1;
    double t1 = now_us();
    if (!ok)
        die_ssl("AES-128-CTR");
    return t1 - t0;
}

/* reference: OpenSSL AES-128-CBC doing the same cbcs 1:9 work (decrypt one block in ten,
 * copy the nine skipped blocks) into a plain buffer. */
static double op_ref_cbc_pattern(Bench *b)
{
    SecdecSubsample ss;
    sample_map(b, &ss);
    int len, ok;
    double t0 = now_us();
    memcpy(b->output, b->input, ss.clear_bytes);
    ok = EVP_DecryptInit_ex(b->ref_cbc, NULL, NULL, NULL, b->iv) == 1;
    const uint8_t *in = b->input + ss.clear_bytes;
    uint8_t *out = b->output + ss.clear_bytes;
    size_t n = ss.encrypted_bytes;
    for (size_t pos = 0; ok && pos + 16 <= n;) {
        ok = EVP_DecryptUpdate(b->ref_cbc, out + pos, &len, in + pos, 16) == 1;
        pos += 16;
        size_t skip = n - pos < 144 ? n - pos : 144;
        memcpy(out + pos, in + pos, skip);
        pos += skip;
    }
    double t1 = now_us();
    if (!ok)
        die_ssl("AES-128-CBC");
    return t1 - t0;
}

/* ---- rows --------------------------------------------------------------------------------- */

typedef enum { UNIT_TIME_US, UNIT_THROUGHPUT_MBS } Unit;

typedef struct Row {
    const char *name;
    const char *reference_name; /* printed under the table */
    Unit unit;
    OpFn secdec;
    OpFn reference;
    double bytes_per_op; /* throughput rows: bytes processed per operation (sample size) */
    double goal;         /* time rows: ratio <= goal; throughput rows: ratio >= goal */
} Row;

static const Row rows[] = {
    {"session create + key exchange",
     "raw OpenSSL RSA-2048 OAEP-SHA512 decrypt (EVP_PKEY_decrypt, same device key)",
     UNIT_TIME_US, op_secdec_session_kx, op_ref_oaep_decrypt, 0, 1.2},
    {"decrypt cenc, 16 KiB samples", "OpenSSL EVP AES-128-CTR, same bytes, plain buffer",
     UNIT_THROUGHPUT_MBS, op_secdec_cenc, op_ref_ctr, 16384, 0.9},
    {"decrypt cenc, 1 MiB samples", "OpenSSL EVP AES-128-CTR, same bytes, plain buffer",
     UNIT_THROUGHPUT_MBS, op_secdec_cenc, op_ref_ctr, 1048576, 0.9},
    {"decrypt cbcs 1:9, 16 KiB samples",
     "OpenSSL EVP AES-128-CBC on the same 1:9 pattern, plain buffer", UNIT_THROUGHPUT_MBS,
     op_secdec_cbcs, op_ref_cbc_pattern, 16384, 0.9},
    {"decrypt cbcs 1:9, 1 MiB samples",
     "OpenSSL EVP AES-128-CBC on the same 1:9 pattern, plain buffer", UNIT_THROUGHPUT_MBS,
     op_secdec_cbcs, op_ref_cbc_pattern, 1048576, 0.9},
    {"release (wipe) 1 MiB buffer", "OPENSSL_cleanse of 1 MiB of plain memory", UNIT_TIME_US,
     op_secdec_release, op_ref_cleanse, 1048576, 1.2},
};

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median_of(Bench *b, OpFn fn)
{
    int n = b->iterations;
    double *t = malloc((size_t)n * sizeof *t);
    if (!t)
        die("malloc", strerror(errno));
    for (int i = 0; i < n / 10 + 3; i++) /* warm-up */
        fn(b);
    for (int i = 0; i < n; i++)
        t[i] = fn(b);
    qsort(t, (size_t)n, sizeof *t, cmp_double);
    double m = n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
    free(t);
    return m;
}

static void format_value(char *buf, size_t n, const Row *r, double us)
{
    if (r->unit == UNIT_TIME_US)
        snprintf(buf, n, "%.1f us", us);
    else
        snprintf(buf, n, "%.1f MB/s", r->bytes_per_op / us); /* bytes/us == MB/s */
}

/* ---- setup -------------------------------------------------------------------------------- */

static char tmp_home[4096];

static void remove_tmp_home(void)
{
    static const char *const files[] = {"device.key", "device.crt", ".lock"};
    char p[4200];
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(p, sizeof p, "%s/%s", tmp_home, files[i]);
        unlink(p);
    }
    rmdir(tmp_home);
}

static EVP_PKEY *load_device_key(const char *home)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/device.key", home);
    FILE *f = fopen(path, "rb");
    if (!f)
        die(path, strerror(errno));
    uint8_t buf[16384];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    const uint8_t *p = buf;
    EVP_PKEY *pk = d2i_AutoPrivateKey(NULL, &p, (long)n);
    OPENSSL_cleanse(buf, sizeof buf);
    if (!pk)
        die_ssl(path);
    return pk;
}

static void make_blob(Bench *b)
{
    SecdecCryptoSession *s = NULL;
    uint32_t size = 0;
    uint8_t cert[16384];
    if (secdec_create_crypto_session(b->dev, &SECDEC_CRYPTO_TYPE_AES128_CTR, NULL,
                                     &SECDEC_KEY_EXCHANGE_RSAES_OAEP, &s) != SECDEC_OK ||
        secdec_crypto_session_get_certificate_size(b->dev, s, &size) != SECDEC_OK ||
        size > sizeof cert || secdec_crypto_session_get_certificate(b->dev, s, size, cert) != 0)
        die("certificate", "cannot get the device certificate");
    secdec_crypto_session_destroy(&s);
    const uint8_t *p = cert;
    X509 *x = d2i_X509(NULL, &p, size);
    EVP_PKEY_CTX *ctx = x ? EVP_PKEY_CTX_new_from_pkey(NULL, X509_get0_pubkey(x), NULL) : NULL;
    size_t outlen = sizeof b->blob;
    if (RAND_bytes(b->session_key, 16) != 1 || !ctx || EVP_PKEY_encrypt_init(ctx) != 1 ||
        EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) != 1 ||
        EVP_PKEY_CTX_set_rsa_oaep_md(ctx, EVP_sha512()) != 1 ||
        EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, EVP_sha512()) != 1 ||
        EVP_PKEY_encrypt(ctx, b->blob, &outlen, b->session_key, 16) != 1 || outlen != 256)
        die_ssl("OAEP encrypt");
    EVP_PKEY_CTX_free(ctx);
    X509_free(x);
}

/* Sessions with the session key from make_blob() and one content key, plus the reference
 * contexts with the same content key. */
static void setup_decrypt(Bench *b)
{
    const SecdecGuid *types[2] = {&SECDEC_CRYPTO_TYPE_AES128_CTR, &SECDEC_CRYPTO_TYPE_AES128_CBC};
    SecdecCryptoSession **sess[2] = {&b->ctr_sess, &b->cbc_sess};
    RAND_bytes(b->kid, 16);
    RAND_bytes(b->content_key, 16);
    RAND_bytes(b->iv, 16);
    uint8_t wrapped[16];
    int len;
    EVP_CIPHER_CTX *ecb = EVP_CIPHER_CTX_new();
    if (!ecb || EVP_EncryptInit_ex(ecb, EVP_aes_128_ecb(), NULL, b->session_key, NULL) != 1 ||
        EVP_CIPHER_CTX_set_padding(ecb, 0) != 1 ||
        EVP_EncryptUpdate(ecb, wrapped, &len, b->content_key, 16) != 1)
        die_ssl("wrap content key");
    EVP_CIPHER_CTX_free(ecb);
    for (int i = 0; i < 2; i++) {
        SecdecStatus st = secdec_create_crypto_session(b->dev, types[i], NULL,
                                                       &SECDEC_KEY_EXCHANGE_RSAES_OAEP, sess[i]);
        if (st == SECDEC_OK)
            st = secdec_negotiate_crypto_session_key_exchange(b->dev, *sess[i], sizeof b->blob,
                                                              b->blob);
        if (st == SECDEC_OK)
            st = secdec_crypto_session_set_content_key(b->dev, *sess[i], b->kid, 16, wrapped);
        if (st != SECDEC_OK)
            die("decrypt session", secdec_status_to_string(st));
    }
    b->input = malloc(1 << 20);
    b->output = malloc(1 << 20);
    if (!b->input || !b->output)
        die("malloc", strerror(errno));
    RAND_bytes(b->input, 1 << 20);
    b->ref_ctr = EVP_CIPHER_CTX_new();
    b->ref_cbc = EVP_CIPHER_CTX_new();
    if (!b->ref_ctr || !b->ref_cbc ||
        EVP_DecryptInit_ex(b->ref_ctr, EVP_aes_128_ctr(), NULL, b->content_key, b->iv) != 1 ||
        EVP_DecryptInit_ex(b->ref_cbc, EVP_aes_128_cbc(), NULL, b->content_key, b->iv) != 1 ||
        EVP_CIPHER_CTX_set_padding(b->ref_cbc, 0) != 1)
        die_ssl("reference contexts");
}

static void usage(const char *argv0)
{
    fprintf(stderr, "usage: %s [--iterations N] [--home DIR]\n", argv0);
    exit(2);
}

int main(int argc, char **argv)
{
    Bench b;
    memset(&b, 0, sizeof b);
    b.iterations = 200;
    const char *home = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--iterations") == 0 && i + 1 < argc) {
            b.iterations = atoi(argv[++i]);
            if (b.iterations < 1)
                usage(argv[0]);
        } else if (strcmp(argv[i], "--home") == 0 && i + 1 < argc) {
            home = argv[++i];
        } else {
            usage(argv[0]);
        }
    }
    if (!home) {
        const char *tmp = getenv("TMPDIR");
        snprintf(tmp_home, sizeof tmp_home, "%s/secdec-bench-XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(tmp_home))
            die("mkdtemp", strerror(errno));
        atexit(remove_tmp_home);
        home = tmp_home;
    }

    SecdecDeviceSettings st;
    secdec_device_default_settings(&st);
    st.backend = SECDEC_BACKEND_SOFTWARE;
    st.home_dir = home;
    st.allow_unlocked_memory = 1; /* reported below; a low RLIMIT_MEMLOCK must not stop a bench */
    SecdecStatus rc = secdec_device_open(&b.dev, &st);
    if (rc != SECDEC_OK)
        die("device open", secdec_status_to_string(rc));
    b.priv = load_device_key(home);
    make_blob(&b);
    setup_decrypt(&b);

    printf("secdec %s benchmark: median of %d iterations; home %s%s; secret memory %s\n\n",
           secdec_version(), b.iterations, home, home == tmp_home ? " (temporary)" : "",
           secdec_device_memory_locked(b.dev) == 1 ? "locked" : "NOT locked");
    printf("| %-32s | %12s | %12s | %7s | %7s |\n", "benchmark", "secdec", "reference", "ratio",
           "goal");
    printf("|%s|%s|%s|%s|%s|\n", "----------------------------------", "--------------",
           "--------------", "---------", "---------");
    int missed = 0;
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const Row *r = &rows[i];
        b.size = r->bytes_per_op > 0 ? (size_t)r->bytes_per_op : 0;
        /* interleave to spread drift (frequency scaling, other load) over both sides */
        double sd = median_of(&b, r->secdec);
        double ref = median_of(&b, r->reference);
        double sd2 = median_of(&b, r->secdec);
        double ref2 = median_of(&b, r->reference);
        sd = sd < sd2 ? sd : sd2;
        ref = ref < ref2 ? ref : ref2;
        double ratio = sd / ref; /* time rows: secdec time over reference time */
        char vs[32], vr[32], goal[16], rs[16];
        format_value(vs, sizeof vs, r, sd);
        format_value(vr, sizeof vr, r, ref);
        snprintf(rs, sizeof rs, "%.2fx", ratio);
        int miss;
        if (r->unit == UNIT_THROUGHPUT_MBS) { /* secdec throughput over reference */
            ratio = ref / sd;
            snprintf(rs, sizeof rs, "%.2fx", ratio);
            snprintf(goal, sizeof goal, ">= %.1fx", r->goal);
            miss = ratio < r->goal;
        } else {
            snprintf(goal, sizeof goal, "<= %.1fx", r->goal);
            miss = ratio > r->goal;
        }
        missed += miss;
        printf("| %-32s | %12s | %12s | %7s | %7s |%s\n", r->name, vs, vr, rs, goal,
               miss ? " MISS" : "");
    }
    printf("\ndecrypt rows time secdec_decrypt_sample() until the protected buffer is ready;\n"
           "the wipe when the decoder releases it is the 'release' row.\n");
    printf("\nreference per row:\n");
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        printf("  %s: %s\n", rows[i].name, rows[i].reference_name);
    if (missed)
        printf("\n%d row(s) miss their goal\n", missed);

    EVP_PKEY_free(b.priv);
    secdec_crypto_session_destroy(&b.ctr_sess);
    secdec_crypto_session_destroy(&b.cbc_sess);
    EVP_CIPHER_CTX_free(b.ref_ctr);
    EVP_CIPHER_CTX_free(b.ref_cbc);
    free(b.input);
    free(b.output);
    secdec_device_close(&b.dev);
    return 0;
}
