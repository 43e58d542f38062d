/*
 * test_session_device.c - the device: provisioning the identity on first use, reopening it,
 * every kind of damaged or unusable identity, concurrent provisioning, SecdecDeviceSettings
 * (arguments, $SECDEC_HOME, memory locking) and allocation failures while opening.
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "internal.h"
#include "test_session.h"
#include "test_util.h"

/* ================================================================================= device == */

START_TEST(t_provision_first_use)
{
    char *tmp = tu_make_tmpdir();
    char *home = tu_path(tmp, "nested/home"); /* does not exist yet */
    SecdecDevice *dev = tu_open_device(home);

    struct stat sb;
    ck_assert_int_eq(stat(home, &sb), 0);
    ck_assert(S_ISDIR(sb.st_mode));
    ck_assert_uint_eq(sb.st_mode & 07777, 0700);

    char *key = tu_path(home, "device.key"), *crt = tu_path(home, "device.crt");
    ck_assert_int_eq(lstat(key, &sb), 0);
    ck_assert(S_ISREG(sb.st_mode));
    ck_assert_uint_eq(sb.st_mode & 07777, 0600);
    ck_assert_int_eq(lstat(crt, &sb), 0);
    ck_assert(S_ISREG(sb.st_mode));
    ck_assert_uint_eq(sb.st_mode & 077, sb.st_mode & 044); /* not writable by others */

    /* device.key is PKCS#8 DER RSA-2048; device.crt is X.509 DER of the same key. */
    size_t klen, clen;
    uint8_t *kder = tu_read_file(key, &klen), *cder = tu_read_file(crt, &clen);
    const uint8_t *p = kder;
    PKCS8_PRIV_KEY_INFO *p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, (long)klen);
    ck_assert_ptr_nonnull(p8);
    ck_assert_ptr_eq(p, kder + klen);
    EVP_PKEY *priv = EVP_PKCS82PKEY(p8);
    ck_assert_ptr_nonnull(priv);
    EVP_PKEY *pub = tu_cert_pubkey(cder, clen);
    ck_assert_ptr_nonnull(pub);
    ck_assert_int_eq(EVP_PKEY_get_base_id(pub), EVP_PKEY_RSA);
    ck_assert_int_eq(EVP_PKEY_get_bits(pub), 2048);
    ck_assert_int_eq(EVP_PKEY_eq(priv, pub), 1);
    EVP_PKEY_free(pub);
    EVP_PKEY_free(priv);
    PKCS8_PRIV_KEY_INFO_free(p8);

    /* The fingerprint is SHA-256 of the certificate DER. */
    uint8_t fp[32], want[32];
    ck_assert_ok(secdec_device_get_certificate_fingerprint(dev, fp));
    ck_assert_int_eq(EVP_Digest(cder, clen, want, NULL, EVP_sha256(), NULL), 1);
    ck_assert_mem_eq(fp, want, 32);

    SecdecBackend be = SECDEC_BACKEND_VAAPI;
    ck_assert_ok(secdec_device_get_backend(dev, &be));
    ck_assert_int_eq(be, SECDEC_BACKEND_SOFTWARE);
    ck_assert_str_eq(secdec_device_get_home(dev), home);
    int locked = secdec_device_memory_locked(dev);
    ck_assert(locked == 0 || locked == 1);

    secdec_device_close(&dev);
    ck_assert_ptr_null(dev);
    free(kder);
    free(cder);
    free(key);
    free(crt);
    free(home);
    tu_rmtree_free(tmp);
}
END_TEST

START_TEST(t_reopen_same_identity)
{
    char *home = tu_clone_home(g_home);
    char *key = tu_path(home, "device.key"), *crt = tu_path(home, "device.crt");
    size_t klen, clen;
    uint8_t *kder = tu_read_file(key, &klen), *cder = tu_read_file(crt, &clen);

    uint8_t fp1[32], fp2[32], fp_other[32];
    SecdecDevice *dev = tu_open_device(home);
    ck_assert_ok(secdec_device_get_certificate_fingerprint(dev, fp1));
    secdec_device_close(&dev);
    dev = tu_open_device(home);
    ck_assert_ok(secdec_device_get_certificate_fingerprint(dev, fp2));
    secdec_device_close(&dev);
    ck_assert_mem_eq(fp1, fp2, 32);
    /* ... and the files were not rewritten. */
    ck_assert(tu_file_equals(key, kder, klen));
    ck_assert(tu_file_equals(crt, cder, clen));

    /* A different home has a different identity. */
    dev = tu_open_device(g_home2);
    ck_assert_ok(secdec_device_get_certificate_fingerprint(dev, fp_other));
    secdec_device_close(&dev);
    ck_assert(memcmp(fp1, fp_other, 32) != 0);

    free(kder);
    free(cder);
    free(key);
    free(crt);
    tu_rmtree_free(home);
}
END_TEST

/* Identity damage cases: each must give SECDEC_E_IDENTITY (with provisioning on) and leave
 * the files exactly as they were. */
enum { DMG_KEY_GARBAGE, DMG_KEY_TRUNCATED, DMG_KEY_EMPTY, DMG_CERT_GARBAGE, DMG_CERT_TRUNCATED,
       DMG_MISMATCH, DMG_KEY_MODE_644, DMG_KEY_MODE_640, DMG_CERT_MISSING, DMG_KEY_MISSING,
       DMG_KEY_TRAILING, DMG_KEY_SYMLINK, DMG_KEY_IS_DIR, DMG_COUNT };

START_TEST(t_identity_damaged)
{
    int kind = _i;
    char *home = tu_clone_home(g_home);
    char *key = tu_path(home, "device.key"), *crt = tu_path(home, "device.crt");
    size_t klen, clen;
    uint8_t *kder = tu_read_file(key, &klen), *cder = tu_read_file(crt, &clen);
    static const uint8_t garbage[] = "this is not DER at all";

    switch (kind) {
    case DMG_KEY_GARBAGE: tu_write_file(key, garbage, sizeof garbage, 0600); break;
    case DMG_KEY_TRUNCATED: tu_write_file(key, kder, klen / 2, 0600); break;
    case DMG_KEY_EMPTY: tu_write_file(key, "", 0, 0600); break;
    case DMG_CERT_GARBAGE: tu_write_file(crt, garbage, sizeof garbage, 0644); break;
    case DMG_CERT_TRUNCATED: tu_write_file(crt, cder, clen - 10, 0644); break;
    case DMG_MISMATCH: {
        char *other = tu_path(g_home2, "device.key");
        tu_copy_file(other, key, 0600);
        free(other);
        break;
    }
    case DMG_KEY_MODE_644: ck_assert_int_eq(chmod(key, 0644), 0); break;
    case DMG_KEY_MODE_640: ck_assert_int_eq(chmod(key, 0640), 0); break;
    case DMG_CERT_MISSING: ck_assert_int_eq(unlink(crt), 0); break;
    case DMG_KEY_MISSING: ck_assert_int_eq(unlink(key), 0); break;
    case DMG_KEY_SYMLINK: {
        /* a symlink to a perfectly good key (mode 0600) is not accepted as the identity */
        char *real = tu_path(home, "real.key");
        ck_assert_int_eq(rename(key, real), 0);
        ck_assert_int_eq(symlink(real, key), 0);
        free(real);
        break;
    }
    case DMG_KEY_IS_DIR:
        ck_assert_int_eq(unlink(key), 0);
        ck_assert_int_eq(mkdir(key, 0700), 0);
        break;
    case DMG_KEY_TRAILING: {
        uint8_t *d = malloc(klen + 1);
        memcpy(d, kder, klen);
        d[klen] = 0;
        tu_write_file(key, d, klen + 1, 0600);
        free(d);
        break;
    }
    }
    struct stat before_k, before_c, after;
    int have_k = lstat(key, &before_k) == 0, have_c = lstat(crt, &before_c) == 0;
    size_t k2len = 0, c2len = 0;
    if (kind == DMG_KEY_IS_DIR)
        have_k = 0; /* compared below as "still there" only */
    uint8_t *k2 = have_k ? tu_read_file(key, &k2len) : NULL, *c2 = have_c ? tu_read_file(crt, &c2len) : NULL;

    for (int provision = 1; provision >= 0; provision--) {
        SecdecDeviceSettings st;
        TuLog log;
        memset(&log, 0, sizeof log);
        tu_settings(&st, home, &log);
        st.provision = provision;
        SecdecDevice *dev = (SecdecDevice *)(uintptr_t)1; /* must stay untouched */
        ck_assert_status(secdec_device_open(&dev, &st), SECDEC_E_IDENTITY);
        ck_assert_ptr_eq(dev, (SecdecDevice *)(uintptr_t)1);
        ck_assert_msg(log.count > 0, "no detail sent to the logger");

        /* Nothing was replaced, created or re-moded. */
        if (kind == DMG_KEY_IS_DIR) {
            struct stat ds;
            ck_assert_int_eq(lstat(key, &ds), 0);
            ck_assert(S_ISDIR(ds.st_mode));
        } else {
            ck_assert_int_eq(tu_file_exists(key), have_k);
        }
        if (kind == DMG_KEY_SYMLINK) {
            struct stat ls;
            ck_assert_int_eq(lstat(key, &ls), 0);
            ck_assert(S_ISLNK(ls.st_mode));
        }
        ck_assert_int_eq(tu_file_exists(crt), have_c);
        if (have_k) {
            ck_assert(tu_file_equals(key, k2, k2len));
            ck_assert_int_eq(lstat(key, &after), 0);
            ck_assert_uint_eq(after.st_mode, before_k.st_mode);
        }
        if (have_c) {
            ck_assert(tu_file_equals(crt, c2, c2len));
            ck_assert_int_eq(lstat(crt, &after), 0);
            ck_assert_uint_eq(after.st_mode, before_c.st_mode);
        }
    }
    free(k2);
    free(c2);
    free(kder);
    free(cder);
    free(key);
    free(crt);
    tu_rmtree_free(home);
}
END_TEST

START_TEST(t_concurrent_provision)
{
    /* Several processes opening the same fresh home at once end up with one identity. */
    char *tmp = tu_make_tmpdir();
    char *home = tu_path(tmp, "home");
    enum { N = 4 };
    int fds[N][2];
    pid_t pids[N];
    for (int i = 0; i < N; i++) {
        ck_assert_int_eq(pipe(fds[i]), 0);
        fflush(NULL);
        pids[i] = fork();
        ck_assert_int_ge(pids[i], 0);
        if (pids[i] == 0) {
            SecdecDeviceSettings st;
            tu_settings(&st, home, NULL);
            SecdecDevice *dev = NULL;
            uint8_t fp[32];
            if (secdec_device_open(&dev, &st) != SECDEC_OK ||
                secdec_device_get_certificate_fingerprint(dev, fp) != SECDEC_OK)
                _exit(1);
            if (write(fds[i][1], fp, 32) != 32)
                _exit(2);
            secdec_device_close(&dev);
            _exit(0);
        }
        close(fds[i][1]);
    }
    uint8_t fps[N][32];
    for (int i = 0; i < N; i++) {
        ck_assert_int_eq(read(fds[i][0], fps[i], 32), 32);
        close(fds[i][0]);
        int wst;
        ck_assert_int_eq(waitpid(pids[i], &wst, 0), pids[i]);
        ck_assert(WIFEXITED(wst) && WEXITSTATUS(wst) == 0);
    }
    for (int i = 1; i < N; i++)
        ck_assert_mem_eq(fps[i], fps[0], 32);
    SecdecDevice *dev = tu_open_device(home);
    uint8_t fp[32];
    ck_assert_ok(secdec_device_get_certificate_fingerprint(dev, fp));
    ck_assert_mem_eq(fp, fps[0], 32);
    secdec_device_close(&dev);
    free(home);
    tu_rmtree_free(tmp);
}
END_TEST

START_TEST(t_identity_missing_no_provision)
{
    char *home = tu_make_tmpdir();
    SecdecDeviceSettings st;
    TuLog log;
    memset(&log, 0, sizeof log);
    tu_settings(&st, home, &log);
    st.provision = 0;
    SecdecDevice *dev = NULL;
    ck_assert_status(secdec_device_open(&dev, &st), SECDEC_E_IDENTITY);
    ck_assert_ptr_null(dev);
    ck_assert_int_gt(log.count, 0);
    char *key = tu_path(home, "device.key"), *crt = tu_path(home, "device.crt");
    ck_assert(!tu_file_exists(key));
    ck_assert(!tu_file_exists(crt));
    free(key);
    free(crt);
    tu_rmtree_free(home);
}
END_TEST

START_TEST(t_identity_not_rsa2048)
{
    /* A valid, matching RSA-1024 identity is still rejected. */
    char *home = tu_make_tmpdir();
    EVP_PKEY *pk = EVP_RSA_gen(1024);
    ck_assert_ptr_nonnull(pk);
    X509 *x = X509_new();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
                               (const unsigned char *)"small", -1, -1, 0);
    X509_set_issuer_name(x, X509_get_subject_name(x));
    X509_set_pubkey(x, pk);
    ck_assert_int_gt(X509_sign(x, pk, EVP_sha256()), 0);
    uint8_t *cder = NULL, *kder = NULL;
    int clen = i2d_X509(x, &cder);
    PKCS8_PRIV_KEY_INFO *p8 = EVP_PKEY2PKCS8(pk);
    int klen = i2d_PKCS8_PRIV_KEY_INFO(p8, &kder);
    ck_assert_int_gt(clen, 0);
    ck_assert_int_gt(klen, 0);
    char *key = tu_path(home, "device.key"), *crt = tu_path(home, "device.crt");
    tu_write_file(key, kder, (size_t)klen, 0600);
    tu_write_file(crt, cder, (size_t)clen, 0644);

    SecdecDeviceSettings st;
    tu_settings(&st, home, NULL);
    SecdecDevice *dev = NULL;
    ck_assert_status(secdec_device_open(&dev, &st), SECDEC_E_IDENTITY);
    ck_assert(tu_file_equals(key, kder, (size_t)klen));

    OPENSSL_free(cder);
    OPENSSL_free(kder);
    PKCS8_PRIV_KEY_INFO_free(p8);
    X509_free(x);
    EVP_PKEY_free(pk);
    free(key);
    free(crt);
    tu_rmtree_free(home);
}
END_TEST

START_TEST(t_device_open_args)
{
    SecdecDeviceSettings st;
    tu_settings(&st, g_home, NULL);
    ck_assert_status(secdec_device_open(NULL, &st), SECDEC_E_INVALIDARG);

    SecdecDevice *dev = NULL;
    st.backend = (SecdecBackend)42;
    ck_assert_status(secdec_device_open(&dev, &st), SECDEC_E_INVALIDARG);
    ck_assert_ptr_null(dev);

    tu_settings(&st, g_home, NULL);
    st.log_level = (SecdecLogLevel)42;
    ck_assert_status(secdec_device_open(&dev, &st), SECDEC_E_INVALIDARG);
    ck_assert_ptr_null(dev);

    /* VA-API is not available in this release. */
    tu_settings(&st, g_home, NULL);
    st.backend = SECDEC_BACKEND_VAAPI;
    ck_assert_status(secdec_device_open(&dev, &st), SECDEC_E_NOTAVAILABLE);
    ck_assert_ptr_null(dev);

    /* AUTO falls back to software. */
    tu_settings(&st, g_home, NULL);
    st.backend = SECDEC_BACKEND_AUTO;
    ck_assert_ok(secdec_device_open(&dev, &st));
    SecdecBackend be;
    ck_assert_ok(secdec_device_get_backend(dev, &be));
    ck_assert_int_eq(be, SECDEC_BACKEND_SOFTWARE);
    ck_assert_status(secdec_device_get_backend(dev, NULL), SECDEC_E_INVALIDARG);
    ck_assert_status(secdec_device_get_backend(NULL, &be), SECDEC_E_INVALIDARG);
    ck_assert_status(secdec_device_get_certificate_fingerprint(dev, NULL), SECDEC_E_INVALIDARG);
    ck_assert_status(secdec_device_get_certificate_fingerprint(NULL, (uint8_t[32]){0}),
                     SECDEC_E_INVALIDARG);
    ck_assert_ptr_null(secdec_device_get_home(NULL));
    ck_assert_int_eq(secdec_device_memory_locked(NULL), -1);
    secdec_device_close(&dev);

    /* close is NULL-safe */
    secdec_device_close(NULL);
    secdec_device_close(&dev);
}
END_TEST

START_TEST(t_device_home_io_error)
{
    /* The home's parent is a regular file: the home cannot be created. */
    char *tmp = tu_make_tmpdir();
    char *file = tu_path(tmp, "file");
    tu_write_file(file, "x", 1, 0600);
    char *home = tu_path(file, "home");
    SecdecDeviceSettings st;
    tu_settings(&st, home, NULL);
    SecdecDevice *dev = NULL;
    ck_assert_status(secdec_device_open(&dev, &st), SECDEC_E_IO);
    ck_assert_ptr_null(dev);
    free(home);
    free(file);
    tu_rmtree_free(tmp);
}
END_TEST

START_TEST(t_device_home_from_env)
{
    /* settings.home_dir NULL: $SECDEC_HOME. */
    char *home = tu_clone_home(g_home);
    ck_assert_int_eq(setenv("SECDEC_HOME", home, 1), 0);
    SecdecDeviceSettings st;
    tu_settings(&st, NULL, NULL);
    SecdecDevice *dev = NULL;
    ck_assert_ok(secdec_device_open(&dev, &st));
    ck_assert_str_eq(secdec_device_get_home(dev), home);
    secdec_device_close(&dev);
    unsetenv("SECDEC_HOME");
    tu_rmtree_free(home);
}
END_TEST

START_TEST(t_device_memlock_strict)
{
    /* allow_unlocked_memory = 0: either locked memory or SECDEC_E_MEMLOCK, never a silent
     * downgrade. */
    SecdecDeviceSettings st;
    tu_settings(&st, g_home, NULL);
    st.allow_unlocked_memory = 0;
    SecdecDevice *dev = NULL;
    SecdecStatus s = secdec_device_open(&dev, &st);
    ck_assert_msg(s == SECDEC_OK || s == SECDEC_E_MEMLOCK, "%s", secdec_status_name(s));
    if (s == SECDEC_OK) {
        ck_assert_int_eq(secdec_device_memory_locked(dev), 1);
        secdec_device_close(&dev);
    } else {
        ck_assert_ptr_null(dev);
    }
}
END_TEST

START_TEST(t_device_open_oom)
{
    /* Every allocation failure while opening an existing identity is E_OUTOFMEMORY. */
    char *home = tu_clone_home(g_home);
    SecdecDeviceSettings st;
    tu_settings(&st, home, NULL);
    int n;
    for (n = 0; n < 1000; n++) {
        SecdecDevice *dev = NULL;
        sd_fault_alloc_countdown(n);
        SecdecStatus s = secdec_device_open(&dev, &st);
        sd_fault_alloc_countdown(-1);
        if (s == SECDEC_OK) {
            secdec_device_close(&dev);
            break;
        }
        ck_assert_msg(s == SECDEC_E_OUTOFMEMORY, "n=%d: %s", n, secdec_status_name(s));
        ck_assert_ptr_null(dev);
    }
    ck_assert_int_gt(n, 0);
    ck_assert_int_lt(n, 1000);
    tu_rmtree_free(home);
}
END_TEST

TCase *session_device_tcase(void)
{
    TCase *tc = tcase_create("device");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, t_provision_first_use);
    tcase_add_test(tc, t_reopen_same_identity);
    tcase_add_loop_test(tc, t_identity_damaged, 0, DMG_COUNT);
    tcase_add_test(tc, t_identity_missing_no_provision);
    tcase_add_test(tc, t_concurrent_provision);
    tcase_add_test(tc, t_identity_not_rsa2048);
    tcase_add_test(tc, t_device_open_args);
    tcase_add_test(tc, t_device_home_io_error);
    tcase_add_test(tc, t_device_home_from_env);
    tcase_add_test(tc, t_device_memlock_strict);
    tcase_add_test(tc, t_device_open_oom);
    return tc;
}
