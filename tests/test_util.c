/*
 * test_util.c - shared helpers for the libsecdec tests (Check) that use libsecdec's public API
 * only: temporary homes and files, a recording logger, devices and sessions, child processes,
 * provisioning and running a suite. The OpenSSL-only helpers are in test_util_crypto.c, the
 * ones that look into libsecdec's insides in test_util_internal.c.
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "test_util.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

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

uint8_t *tu_read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
    uint8_t *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n == cap) {
            cap = cap ? cap * 2 : 4096;
            buf = realloc(buf, cap);
            ck_assert_ptr_nonnull(buf);
        }
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (r == 0)
            break;
    }
    fclose(f);
    *size = n;
    return buf;
}

void tu_write_file(const char *path, const void *data, size_t size, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    ck_assert_msg(fd >= 0, "%s: %s", path, strerror(errno));
    ck_assert_int_eq(write(fd, data, size), (ssize_t)size);
    ck_assert_int_eq(fchmod(fd, mode), 0);
    close(fd);
}

void tu_copy_file(const char *from, const char *to, mode_t mode)
{
    size_t n;
    uint8_t *d = tu_read_file(from, &n);
    tu_write_file(to, d, n, mode);
    free(d);
}

char *tu_clone_home(const char *src)
{
    char *dst = tu_make_tmpdir();
    static const char *const files[] = {"device.key", "device.crt"};
    for (size_t i = 0; i < 2; i++) {
        char *a = tu_path(src, files[i]), *b = tu_path(dst, files[i]);
        tu_copy_file(a, b, i == 0 ? 0600 : 0644);
        free(a);
        free(b);
    }
    return dst;
}

int tu_file_equals(const char *path, const uint8_t *data, size_t size)
{
    size_t n;
    uint8_t *d = tu_read_file(path, &n);
    int eq = n == size && memcmp(d, data, n) == 0;
    free(d);
    return eq;
}

int tu_file_exists(const char *path)
{
    struct stat sb;
    return lstat(path, &sb) == 0;
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

int tu_provision_two_homes(char **tmp, char **home1, char **home2)
{
    *tmp = tu_make_tmpdir();
    *home1 = tu_path(*tmp, "home1");
    *home2 = tu_path(*tmp, "home2");
    const char *homes[2] = {*home1, *home2};
    for (int i = 0; i < 2; i++) {
        SecdecDevice *dev = NULL;
        SecdecDeviceSettings st;
        tu_settings(&st, homes[i], NULL);
        if (secdec_device_open(&dev, &st) != SECDEC_OK) {
            fprintf(stderr, "cannot provision %s\n", homes[i]);
            return -1;
        }
        secdec_device_close(&dev);
    }
    return 0;
}

int tu_run_suite(Suite *su)
{
    SRunner *sr = srunner_create(su);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed;
}
