/*
 * test_util.c - shared helpers for the libsecdec unit tests (Check).
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "test_util.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "internal.h"
#include "session.h"

char *tu_make_tmpdir(void)
{
    const char *base = getenv("SECDEC_TEST_TMP");
    if (base == NULL || base[0] == '\0')
        base = getenv("TMPDIR");
    if (base == NULL || base[0] == '\0')
        base = "/tmp";
    size_t n = strlen(base) + 32;
    char *path = malloc(n);
    if (path == NULL)
        abort();
    snprintf(path, n, "%s/secdec-test-XXXXXX", base);
    if (mkdtemp(path) == NULL) {
        /* no ck_assert: this also runs outside tests (main), where Check cannot report */
        fprintf(stderr, "mkdtemp(%s): %s\n", path, strerror(errno));
        abort();
    }
    return path;
}

static int rm_one(const char *fpath, const struct stat *sb, int typeflag, struct FTW *ftwbuf)
{
    (void)sb;
    (void)ftwbuf;
    if (typeflag == FTW_DP || typeflag == FTW_D || typeflag == FTW_DNR)
        rmdir(fpath);
    else
        unlink(fpath);
    return 0;
}

void tu_rmtree_free(char *path)
{
    if (path == NULL)
        return;
    /* Make unreadable directories readable again so that they can be removed. */
    chmod(path, 0700);
    nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    free(path);
}

char *tu_path(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (p == NULL)
        abort();
    snprintf(p, n, "%s/%s", dir, name);
    return p;
}

void tu_log_cb(void *cookie, SecdecLogLevel level, const char *message)
{
    (void)level;
    TuLog *log = cookie;
    if (log == NULL || message == NULL)
        return;
    log->count++;
    size_t room = sizeof log->text - log->len;
    if (room <= 1)
        return;
    int w = snprintf(log->text + log->len, room, "%s\n", message);
    if (w > 0)
        log->len += ((size_t)w < room) ? (size_t)w : room - 1;
}

static void discard_log(void *cookie, SecdecLogLevel level, const char *message)
{
    (void)cookie;
    (void)level;
    (void)message;
}

void tu_settings(SecdecDeviceSettings *st, const char *home, TuLog *log)
{
    secdec_device_default_settings(st);
    st->backend = SECDEC_BACKEND_SOFTWARE;
    st->home_dir = home;
    st->provision = 1;
    st->allow_unlocked_memory = 1;
    st->logger = log ? tu_log_cb : discard_log;
    st->logger_cookie = log;
    st->log_level = SECDEC_LOG_DEBUG;
}

SecdecDevice *tu_open_device(const char *home)
{
    SecdecDeviceSettings st;
    TuLog log;
    memset(&log, 0, sizeof log);
    tu_settings(&st, home, &log);
    /* The logger must stay valid as long as the device: use the discarding one. */
    st.logger = discard_log;
    st.logger_cookie = NULL;
    SecdecDevice *dev = NULL;
    ck_assert_ok(secdec_device_open(&dev, &st));
    ck_assert_ptr_nonnull(dev);
    return dev;
}

SecdecCryptoSession *tu_create_session(SecdecDevice *dev)
{
    SecdecCryptoSession *s = NULL;
    ck_assert_ok(secdec_create_crypto_session(dev, &SECDEC_CRYPTO_TYPE_AES128_CTR, NULL,
                                              &SECDEC_KEY_EXCHANGE_RSAES_OAEP, &s));
    ck_assert_ptr_nonnull(s);
    return s;
}

uint8_t *tu_get_certificate(SecdecDevice *dev, SecdecCryptoSession *s, size_t *size)
{
    uint32_t n = 0;
    ck_assert_ok(secdec_crypto_session_get_certificate_size(dev, s, &n));
    ck_assert_uint_gt(n, 0);
    uint8_t *buf = malloc(n);
    ck_assert_ptr_nonnull(buf);
    ck_assert_ok(secdec_crypto_session_get_certificate(dev, s, n, buf));
    *size = n;
    return buf;
}

EVP_PKEY *tu_cert_pubkey(const uint8_t *der, size_t size)
{
    const uint8_t *p = der;
    X509 *x = d2i_X509(NULL, &p, (long)size);
    if (x == NULL)
        return NULL;
    EVP_PKEY *pk = X509_get_pubkey(x);
    X509_free(x);
    return pk;
}

int tu_oaep_encrypt(const uint8_t *cert_der, size_t cert_size, const EVP_MD *md,
                    const uint8_t *msg, size_t msg_len, uint8_t out[256])
{
    int ret = -1;
    EVP_PKEY *pk = tu_cert_pubkey(cert_der, cert_size);
    EVP_PKEY_CTX *ctx = NULL;
    if (pk == NULL)
        goto done;
    ctx = EVP_PKEY_CTX_new(pk, NULL);
    if (ctx == NULL || EVP_PKEY_encrypt_init(ctx) <= 0 ||
        EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) <= 0 ||
        EVP_PKEY_CTX_set_rsa_oaep_md(ctx, md) <= 0 || EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, md) <= 0)
        goto done;
    size_t outlen = 256;
    if (EVP_PKEY_encrypt(ctx, out, &outlen, msg, msg_len) <= 0 || outlen != 256)
        goto done;
    ret = 0;
done:
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(pk);
    return ret;
}

void tu_make_blob(SecdecDevice *dev, SecdecCryptoSession *s, const EVP_MD *md,
                  const uint8_t *key, size_t key_len, uint8_t blob[256])
{
    size_t cert_size = 0;
    uint8_t *cert = tu_get_certificate(dev, s, &cert_size);
    ck_assert_int_eq(tu_oaep_encrypt(cert, cert_size, md, key, key_len, blob), 0);
    free(cert);
}

void tu_negotiate(SecdecDevice *dev, SecdecCryptoSession *s, uint8_t key[16])
{
    uint8_t k[16], blob[256];
    tu_random(k, sizeof k);
    tu_make_blob(dev, s, EVP_sha512(), k, sizeof k, blob);
    ck_assert_ok(secdec_negotiate_crypto_session_key_exchange(dev, s, sizeof blob, blob));
    if (key != NULL)
        memcpy(key, k, 16);
}

void tu_aes_ecb_encrypt(const uint8_t wrap_key[16], const uint8_t in[16], uint8_t out[16])
{
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    ck_assert_ptr_nonnull(ctx);
    int len = 0, fin = 0;
    ck_assert_int_eq(EVP_EncryptInit_ex(ctx, EVP_aes_128_ecb(), NULL, wrap_key, NULL), 1);
    EVP_CIPHER_CTX_set_padding(ctx, 0);
    ck_assert_int_eq(EVP_EncryptUpdate(ctx, out, &len, in, 16), 1);
    ck_assert_int_eq(EVP_EncryptFinal_ex(ctx, out + len, &fin), 1);
    ck_assert_int_eq(len + fin, 16);
    EVP_CIPHER_CTX_free(ctx);
}

void tu_random(void *buf, size_t n)
{
    ck_assert_int_eq(RAND_bytes(buf, (int)n), 1);
}

void tu_kid(uint8_t kid[16], uint8_t b)
{
    memset(kid, b, 16);
}

int tu_session_key_is(SecdecCryptoSession *s, const uint8_t key[16])
{
    static const uint8_t msg[] = "secdec test message for session-key comparison";
    uint8_t got[32], want[32];
    if (sd_session_mac(s, "secdec test label", msg, sizeof msg, NULL, got) != SECDEC_OK)
        return 0;
    ck_assert_ok(sd_mac_with_key(key, "secdec test label", msg, sizeof msg, want));
    return memcmp(got, want, 32) == 0;
}

int tu_content_key(SecdecCryptoSession *s, const uint8_t kid[16], uint8_t key[16])
{
    pthread_rwlock_rdlock(&s->lock);
    SdKeyEntry *e = sd_session_find_key(s, kid);
    int kind = e ? (int)e->kind : 0;
    if (e && key)
        memcpy(key, e->key, 16);
    pthread_rwlock_unlock(&s->lock);
    return kind;
}

int tu_run_in_child(int (*fn)(void *), void *arg)
{
    fflush(NULL);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0)
        _exit(fn(arg));
    int st = 0;
    while (waitpid(pid, &st, 0) < 0) {
        if (errno != EINTR)
            ck_abort_msg("waitpid: %s", strerror(errno));
    }
    if (WIFEXITED(st))
        return WEXITSTATUS(st);
    if (WIFSIGNALED(st))
        return 128 + WTERMSIG(st);
    return 255;
}
