/*
 * test_session.c - devices, capabilities, crypto sessions, key exchange, session-key refresh,
 * content keys, session status and thread safety, each return code on the path the Direct3D
 * documents give for it.
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "internal.h"
#include "test_util.h"

/* d3d9's D3DCRYPTOTYPE_PROPRIETARY and D3DKEYEXCHANGE_DXVA: valid GUIDs secdec does not offer. */
static const SecdecGuid CRYPTO_PROPRIETARY = {
    0xab4e9afd, 0x1d1c, 0x46e6, {0xa7, 0x2f, 0x08, 0x69, 0x91, 0x7b, 0x0d, 0xe8}};
static const SecdecGuid KEY_EXCHANGE_DXVA = {
    0x43d3775c, 0x38e5, 0x4924, {0x8d, 0x86, 0xd3, 0xfc, 0xcf, 0x15, 0x3e, 0x9b}};
/* A made-up decoder profile. */
static const SecdecGuid PROFILE_UNKNOWN = {
    0x12345678, 0x9abc, 0xdef0, {0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88}};

/* One provisioned home shared by the tests of this process (each Check test runs in its own
 * fork, so provisioning once in main() saves an RSA key generation per test). */
static char *g_home;
static char *g_home2; /* a second, different identity */

/* ---- file helpers ------------------------------------------------------------------------- */

static uint8_t *read_all(const char *path, size_t *size)
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

static void write_all(const char *path, const void *data, size_t size, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    ck_assert_msg(fd >= 0, "%s: %s", path, strerror(errno));
    ck_assert_int_eq(write(fd, data, size), (ssize_t)size);
    ck_assert_int_eq(fchmod(fd, mode), 0);
    close(fd);
}

static void copy_file(const char *from, const char *to, mode_t mode)
{
    size_t n;
    uint8_t *d = read_all(from, &n);
    write_all(to, d, n, mode);
    free(d);
}

/* Copies g_home's identity into a new temporary home (fast: no key generation). */
static char *clone_home(const char *src)
{
    char *dst = tu_make_tmpdir();
    static const char *const files[] = {"device.key", "device.crt"};
    for (size_t i = 0; i < 2; i++) {
        char *a = tu_path(src, files[i]), *b = tu_path(dst, files[i]);
        copy_file(a, b, i == 0 ? 0600 : 0644);
        free(a);
        free(b);
    }
    return dst;
}

static int file_equals(const char *path, const uint8_t *data, size_t size)
{
    size_t n;
    uint8_t *d = read_all(path, &n);
    int eq = n == size && memcmp(d, data, n) == 0;
    free(d);
    return eq;
}

static int file_exists(const char *path)
{
    struct stat sb;
    return lstat(path, &sb) == 0;
}

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
    uint8_t *kder = read_all(key, &klen), *cder = read_all(crt, &clen);
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
    char *home = clone_home(g_home);
    char *key = tu_path(home, "device.key"), *crt = tu_path(home, "device.crt");
    size_t klen, clen;
    uint8_t *kder = read_all(key, &klen), *cder = read_all(crt, &clen);

    uint8_t fp1[32], fp2[32], fp_other[32];
    SecdecDevice *dev = tu_open_device(home);
    ck_assert_ok(secdec_device_get_certificate_fingerprint(dev, fp1));
    secdec_device_close(&dev);
    dev = tu_open_device(home);
    ck_assert_ok(secdec_device_get_certificate_fingerprint(dev, fp2));
    secdec_device_close(&dev);
    ck_assert_mem_eq(fp1, fp2, 32);
    /* ... and the files were not rewritten. */
    ck_assert(file_equals(key, kder, klen));
    ck_assert(file_equals(crt, cder, clen));

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
    char *home = clone_home(g_home);
    char *key = tu_path(home, "device.key"), *crt = tu_path(home, "device.crt");
    size_t klen, clen;
    uint8_t *kder = read_all(key, &klen), *cder = read_all(crt, &clen);
    static const uint8_t garbage[] = "this is not DER at all";

    switch (kind) {
    case DMG_KEY_GARBAGE: write_all(key, garbage, sizeof garbage, 0600); break;
    case DMG_KEY_TRUNCATED: write_all(key, kder, klen / 2, 0600); break;
    case DMG_KEY_EMPTY: write_all(key, "", 0, 0600); break;
    case DMG_CERT_GARBAGE: write_all(crt, garbage, sizeof garbage, 0644); break;
    case DMG_CERT_TRUNCATED: write_all(crt, cder, clen - 10, 0644); break;
    case DMG_MISMATCH: {
        char *other = tu_path(g_home2, "device.key");
        copy_file(other, key, 0600);
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
        write_all(key, d, klen + 1, 0600);
        free(d);
        break;
    }
    }
    struct stat before_k, before_c, after;
    int have_k = lstat(key, &before_k) == 0, have_c = lstat(crt, &before_c) == 0;
    size_t k2len = 0, c2len = 0;
    if (kind == DMG_KEY_IS_DIR)
        have_k = 0; /* compared below as "still there" only */
    uint8_t *k2 = have_k ? read_all(key, &k2len) : NULL, *c2 = have_c ? read_all(crt, &c2len) : NULL;

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
            ck_assert_int_eq(file_exists(key), have_k);
        }
        if (kind == DMG_KEY_SYMLINK) {
            struct stat ls;
            ck_assert_int_eq(lstat(key, &ls), 0);
            ck_assert(S_ISLNK(ls.st_mode));
        }
        ck_assert_int_eq(file_exists(crt), have_c);
        if (have_k) {
            ck_assert(file_equals(key, k2, k2len));
            ck_assert_int_eq(lstat(key, &after), 0);
            ck_assert_uint_eq(after.st_mode, before_k.st_mode);
        }
        if (have_c) {
            ck_assert(file_equals(crt, c2, c2len));
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
    ck_assert(!file_exists(key));
    ck_assert(!file_exists(crt));
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
    write_all(key, kder, (size_t)klen, 0600);
    write_all(crt, cder, (size_t)clen, 0644);

    SecdecDeviceSettings st;
    tu_settings(&st, home, NULL);
    SecdecDevice *dev = NULL;
    ck_assert_status(secdec_device_open(&dev, &st), SECDEC_E_IDENTITY);
    ck_assert(file_equals(key, kder, (size_t)klen));

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
    write_all(file, "x", 1, 0600);
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
    char *home = clone_home(g_home);
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
    char *home = clone_home(g_home);
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

/* =================================================================================== caps == */

START_TEST(t_caps_software)
{
    SecdecDevice *dev = tu_open_device(g_home);
    SecdecContentProtectionCaps caps;
    memset(&caps, 0xff, sizeof caps);
    ck_assert_ok(secdec_device_get_content_protection_caps(dev, &SECDEC_CRYPTO_TYPE_AES128_CTR,
                                                           NULL, &caps));
    const uint32_t must = SECDEC_CAPS_SOFTWARE | SECDEC_CAPS_CONTENT_KEY |
                          SECDEC_CAPS_FRESHEN_SESSION_KEY | SECDEC_CAPS_PARTIAL_DECRYPTION;
    const uint32_t must_not = SECDEC_CAPS_HARDWARE | SECDEC_CAPS_HARDWARE_PROTECT_UNCOMPRESSED |
                              SECDEC_CAPS_HARDWARE_PROTECTED_MEMORY_PAGEABLE |
                              SECDEC_CAPS_HARDWARE_TEARDOWN |
                              SECDEC_CAPS_HARDWARE_DRM_COMMUNICATION |
                              SECDEC_CAPS_ENCRYPTED_READ_BACK |
                              SECDEC_CAPS_ENCRYPTED_READ_BACK_KEY |
                              SECDEC_CAPS_DECRYPTION_BLT | SECDEC_CAPS_PROTECTION_ALWAYS_ON;
    ck_assert_uint_eq(caps.caps & must, must);
    ck_assert_uint_eq(caps.caps & must_not, 0);
    ck_assert_uint_eq(caps.caps & ~0x7fffu, 0); /* only defined flags */
    ck_assert_uint_eq(caps.caps & SECDEC_CAPS_SEQUENTIAL_CTR_IV, SECDEC_CAPS_SEQUENTIAL_CTR_IV);
    ck_assert_uint_eq(caps.key_exchange_type_count, 1);
    ck_assert_uint_eq(caps.block_alignment_size, 16);
    ck_assert_uint_gt(caps.protected_memory_size, 0);

    /* CBC: same software caps, but no sequential CTR IVs. */
    ck_assert_ok(secdec_device_get_content_protection_caps(dev, &SECDEC_CRYPTO_TYPE_AES128_CBC,
                                                           &SECDEC_DECODER_PROFILE_H264_VLD_NOFGT,
                                                           &caps));
    ck_assert_uint_eq(caps.caps & must, must);
    ck_assert_uint_eq(caps.caps & must_not, 0);
    ck_assert_uint_eq(caps.caps & SECDEC_CAPS_SEQUENTIAL_CTR_IV, 0);
    ck_assert_uint_eq(caps.key_exchange_type_count, 1);

    /* CheckCryptoKeyExchange: index 0 is RSAES-OAEP, index 1 is out of range. */
    SecdecGuid kx = SECDEC_GUID_NULL;
    ck_assert_ok(secdec_device_check_crypto_key_exchange(dev, &SECDEC_CRYPTO_TYPE_AES128_CTR,
                                                         &SECDEC_DECODER_PROFILE_HEVC_VLD_MAIN, 0,
                                                         &kx));
    ck_assert(secdec_guid_equal(&kx, &SECDEC_KEY_EXCHANGE_RSAES_OAEP));
    kx = SECDEC_GUID_NULL;
    ck_assert_status(secdec_device_check_crypto_key_exchange(
                         dev, &SECDEC_CRYPTO_TYPE_AES128_CTR, NULL, 1, &kx),
                     SECDEC_E_INVALIDARG);
    ck_assert(secdec_guid_equal(&kx, &SECDEC_GUID_NULL)); /* untouched */
    ck_assert_status(secdec_device_check_crypto_key_exchange(
                         dev, &SECDEC_CRYPTO_TYPE_AES128_CTR, NULL, 0, NULL),
                     SECDEC_E_INVALIDARG);
    ck_assert_status(secdec_device_check_crypto_key_exchange(dev, &SECDEC_GUID_NULL, NULL, 0, &kx),
                     SECDEC_E_NOTAVAILABLE);
    ck_assert_status(secdec_device_check_crypto_key_exchange(
                         dev, &SECDEC_CRYPTO_TYPE_AES128_CBC,
                         &SECDEC_DECODER_PROFILE_VP9_VLD_PROFILE0, 0, &kx),
                     SECDEC_E_UNSUPPORTEDCRYPTO);
    secdec_device_close(&dev);
}
END_TEST

START_TEST(t_caps_errors)
{
    SecdecDevice *dev = tu_open_device(g_home);
    SecdecContentProtectionCaps caps, orig;
    memset(&caps, 0x5a, sizeof caps);
    orig = caps;
    /* crypto type NULL pointer, NULL GUID, unknown GUID: NOTAVAILABLE */
    ck_assert_status(secdec_device_get_content_protection_caps(dev, NULL, NULL, &caps),
                     SECDEC_E_NOTAVAILABLE);
    ck_assert_status(secdec_device_get_content_protection_caps(dev, &SECDEC_GUID_NULL, NULL, &caps),
                     SECDEC_E_NOTAVAILABLE);
    ck_assert_status(
        secdec_device_get_content_protection_caps(dev, &CRYPTO_PROPRIETARY, NULL, &caps),
        SECDEC_E_NOTAVAILABLE);
    /* a profile that cannot use the crypto type: UNSUPPORTEDCRYPTO */
    ck_assert_status(secdec_device_get_content_protection_caps(
                         dev, &SECDEC_CRYPTO_TYPE_AES128_CBC,
                         &SECDEC_DECODER_PROFILE_VP9_VLD_PROFILE0, &caps),
                     SECDEC_E_UNSUPPORTEDCRYPTO);
    /* an unknown profile: NOTAVAILABLE (secdec.h, GetContentProtectionCaps) */
    ck_assert_status(secdec_device_get_content_protection_caps(
                         dev, &SECDEC_CRYPTO_TYPE_AES128_CTR, &PROFILE_UNKNOWN, &caps),
                     SECDEC_E_NOTAVAILABLE);
    ck_assert_mem_eq(&caps, &orig, sizeof caps);
    ck_assert_status(secdec_device_get_content_protection_caps(
                         dev, &SECDEC_CRYPTO_TYPE_AES128_CTR, NULL, NULL),
                     SECDEC_E_INVALIDARG);
    ck_assert_status(secdec_device_get_content_protection_caps(
                         NULL, &SECDEC_CRYPTO_TYPE_AES128_CTR, NULL, &caps),
                     SECDEC_E_INVALIDARG);
    secdec_device_close(&dev);
}
END_TEST

START_TEST(t_caps_match_create)
{
    /* For every known crypto type x profile (and no profile), CreateCryptoSession succeeds
     * exactly when GetContentProtectionCaps does, with the same error otherwise; and only
     * CBC + VP9 is refused. */
    SecdecDevice *dev = tu_open_device(g_home);
    for (unsigned c = 0; secdec_known_crypto_type(c); c++) {
        const SecdecGuid *ct = secdec_known_crypto_type(c);
        for (unsigned p = 0; p <= 5; p++) {
            const SecdecGuid *prof = p == 0 ? NULL : secdec_known_decoder_profile(p - 1);
            SecdecContentProtectionCaps caps;
            SecdecStatus s1 = secdec_device_get_content_protection_caps(dev, ct, prof, &caps);
            SecdecCryptoSession *s = NULL;
            SecdecStatus s2 = secdec_create_crypto_session(dev, ct, prof,
                                                           &SECDEC_KEY_EXCHANGE_RSAES_OAEP, &s);
            ck_assert_msg(s1 == s2, "%s/%s: caps %s, create %s", secdec_guid_name(ct),
                          prof ? secdec_guid_name(prof) : "NULL", secdec_status_name(s1),
                          secdec_status_name(s2));
            int refused = secdec_guid_equal(ct, &SECDEC_CRYPTO_TYPE_AES128_CBC) &&
                          secdec_guid_equal(prof, &SECDEC_DECODER_PROFILE_VP9_VLD_PROFILE0);
            ck_assert_int_eq(s2, refused ? SECDEC_E_UNSUPPORTEDCRYPTO : SECDEC_OK);
            if (s2 == SECDEC_OK) {
                SecdecGuid g;
                ck_assert_ok(secdec_crypto_session_get_crypto_type(dev, s, &g));
                ck_assert(secdec_guid_equal(&g, ct));
                ck_assert_ok(secdec_crypto_session_get_decoder_profile(dev, s, &g));
                ck_assert(secdec_guid_equal(&g, prof ? prof : &SECDEC_GUID_NULL));
            } else {
                ck_assert_ptr_null(s);
            }
            secdec_crypto_session_destroy(&s);
        }
    }
    secdec_device_close(&dev);
}
END_TEST

/* ==================================================================== CreateCryptoSession == */

START_TEST(t_create_ok)
{
    SecdecDevice *dev = tu_open_device(g_home);
    SecdecCryptoSession *s = NULL;
    ck_assert_ok(secdec_create_crypto_session(dev, &SECDEC_CRYPTO_TYPE_AES128_CTR,
                                              &SECDEC_DECODER_PROFILE_H264_VLD_NOFGT,
                                              &SECDEC_KEY_EXCHANGE_RSAES_OAEP, &s));
    ck_assert_ptr_nonnull(s);
    SecdecGuid g;
    ck_assert_ok(secdec_crypto_session_get_crypto_type(dev, s, &g));
    ck_assert(secdec_guid_equal(&g, &SECDEC_CRYPTO_TYPE_AES128_CTR));
    ck_assert_ok(secdec_crypto_session_get_decoder_profile(dev, s, &g));
    ck_assert(secdec_guid_equal(&g, &SECDEC_DECODER_PROFILE_H264_VLD_NOFGT));
    ck_assert_ok(secdec_crypto_session_get_key_exchange_type(dev, s, &g));
    ck_assert(secdec_guid_equal(&g, &SECDEC_KEY_EXCHANGE_RSAES_OAEP));
    ck_assert_status(secdec_crypto_session_get_crypto_type(dev, s, NULL), SECDEC_E_INVALIDARG);
    ck_assert_status(secdec_crypto_session_get_decoder_profile(dev, s, NULL), SECDEC_E_INVALIDARG);
    ck_assert_status(secdec_crypto_session_get_key_exchange_type(dev, s, NULL),
                     SECDEC_E_INVALIDARG);
    secdec_crypto_session_destroy(&s);
    ck_assert_ptr_null(s);
    secdec_crypto_session_destroy(&s);  /* no-op */
    secdec_crypto_session_destroy(NULL); /* no-op */
    secdec_device_close(&dev);
}
END_TEST

START_TEST(t_create_no_profile)
{
    /* NULL and NULL-GUID profile: not used for decoding; GetDecoderProfile gives GUID_NULL. */
    SecdecDevice *dev = tu_open_device(g_home);
    for (int i = 0; i < 2; i++) {
        SecdecCryptoSession *s = NULL;
        ck_assert_ok(secdec_create_crypto_session(dev, &SECDEC_CRYPTO_TYPE_AES128_CBC,
                                                  i ? &SECDEC_GUID_NULL : NULL,
                                                  &SECDEC_KEY_EXCHANGE_RSAES_OAEP, &s));
        SecdecGuid g = SECDEC_CRYPTO_TYPE_AES128_CTR;
        ck_assert_ok(secdec_crypto_session_get_decoder_profile(dev, s, &g));
        ck_assert(secdec_guid_equal(&g, &SECDEC_GUID_NULL));
        secdec_crypto_session_destroy(&s);
    }
    secdec_device_close(&dev);
}
END_TEST

static void expect_create(SecdecDevice *dev, const SecdecGuid *ct, const SecdecGuid *prof,
                          const SecdecGuid *kx, SecdecStatus want, const char *what)
{
    SecdecCryptoSession *s = (SecdecCryptoSession *)(uintptr_t)1;
    SecdecStatus got = secdec_create_crypto_session(dev, ct, prof, kx, &s);
    ck_assert_msg(got == want, "%s: got %s, expected %s", what, secdec_status_name(got),
                  secdec_status_name(want));
    ck_assert_msg(s == (SecdecCryptoSession *)(uintptr_t)1, "%s: *out written on error", what);
}

START_TEST(t_create_errors)
{
    SecdecDevice *dev = tu_open_device(g_home);
    const SecdecGuid *ctr = &SECDEC_CRYPTO_TYPE_AES128_CTR, *cbc = &SECDEC_CRYPTO_TYPE_AES128_CBC;
    const SecdecGuid *oaep = &SECDEC_KEY_EXCHANGE_RSAES_OAEP;
    /* D3DDDIERR_NOTAVAILABLE: the NULL GUID or an unsupported crypto-type GUID. */
    expect_create(dev, &SECDEC_GUID_NULL, NULL, oaep, SECDEC_E_NOTAVAILABLE, "NULL GUID crypto");
    expect_create(dev, &CRYPTO_PROPRIETARY, NULL, oaep, SECDEC_E_NOTAVAILABLE, "proprietary");
    expect_create(dev, &SECDEC_DECODER_PROFILE_H264_VLD_NOFGT, NULL, oaep, SECDEC_E_NOTAVAILABLE,
                  "profile GUID as crypto type");
    /* ... decided on the crypto type before the profile is looked at. */
    expect_create(dev, &SECDEC_GUID_NULL, &SECDEC_DECODER_PROFILE_VP9_VLD_PROFILE0, oaep,
                  SECDEC_E_NOTAVAILABLE, "NULL GUID crypto + VP9");
    expect_create(dev, &CRYPTO_PROPRIETARY, &PROFILE_UNKNOWN, oaep, SECDEC_E_NOTAVAILABLE,
                  "proprietary + unknown profile");
    /* D3DDDIERR_UNSUPPORTEDCRYPTO: the profile cannot use the crypto type. */
    expect_create(dev, cbc, &SECDEC_DECODER_PROFILE_VP9_VLD_PROFILE0, oaep,
                  SECDEC_E_UNSUPPORTEDCRYPTO, "CBC + VP9");
    expect_create(dev, ctr, &PROFILE_UNKNOWN, oaep, SECDEC_E_UNSUPPORTEDCRYPTO,
                  "unknown profile");
    expect_create(dev, cbc, &PROFILE_UNKNOWN, oaep, SECDEC_E_UNSUPPORTEDCRYPTO,
                  "CBC + unknown profile");
    /* Key exchange types not offered by the software backend. */
    expect_create(dev, ctr, NULL, &SECDEC_KEY_EXCHANGE_HW_PROTECTION, SECDEC_E_NOTAVAILABLE,
                  "HW_PROTECTION");
    expect_create(dev, ctr, &SECDEC_DECODER_PROFILE_H264_VLD_NOFGT,
                  &SECDEC_KEY_EXCHANGE_HW_PROTECTION, SECDEC_E_NOTAVAILABLE,
                  "HW_PROTECTION + H264");
    expect_create(dev, ctr, NULL, &KEY_EXCHANGE_DXVA, SECDEC_E_NOTAVAILABLE, "DXVA key exchange");
    expect_create(dev, ctr, NULL, &SECDEC_GUID_NULL, SECDEC_E_NOTAVAILABLE, "NULL GUID kx");
    /* NULL pointers */
    expect_create(NULL, ctr, NULL, oaep, SECDEC_E_INVALIDARG, "NULL device");
    expect_create(dev, NULL, NULL, oaep, SECDEC_E_INVALIDARG, "NULL crypto type");
    expect_create(dev, ctr, NULL, NULL, SECDEC_E_INVALIDARG, "NULL key exchange");
    ck_assert_status(secdec_create_crypto_session(dev, ctr, NULL, oaep, NULL),
                     SECDEC_E_INVALIDARG);
    secdec_device_close(&dev);
}
END_TEST

START_TEST(t_create_oom)
{
    /* sd_fault_alloc_countdown(n) for n = 0, 1, 2, ... until creation succeeds: every failure
     * is E_OUTOFMEMORY and leaks nothing (checked by ASan's leak checker in CI). */
    SecdecDevice *dev = tu_open_device(g_home);
    int n;
    for (n = 0; n < 1000; n++) {
        SecdecCryptoSession *s = NULL;
        sd_fault_alloc_countdown(n);
        SecdecStatus st = secdec_create_crypto_session(dev, &SECDEC_CRYPTO_TYPE_AES128_CTR,
                                                       &SECDEC_DECODER_PROFILE_H264_VLD_NOFGT,
                                                       &SECDEC_KEY_EXCHANGE_RSAES_OAEP, &s);
        sd_fault_alloc_countdown(-1);
        if (st == SECDEC_OK) {
            /* the session that finally got its memory works */
            tu_negotiate(dev, s, NULL);
            secdec_crypto_session_destroy(&s);
            break;
        }
        ck_assert_msg(st == SECDEC_E_OUTOFMEMORY, "n=%d: %s", n, secdec_status_name(st));
        ck_assert_ptr_null(s);
    }
    ck_assert_msg(n > 0, "CreateCryptoSession made no allocation through the fault hook");
    ck_assert_int_lt(n, 1000);
    secdec_device_close(&dev);
}
END_TEST

START_TEST(t_negotiate_and_content_key_oom)
{
    SecdecDevice *dev = tu_open_device(g_home);
    SecdecCryptoSession *s = tu_create_session(dev);
    uint8_t key[16], blob[256];
    tu_random(key, 16);
    tu_make_blob(dev, s, EVP_sha512(), key, 16, blob);
    int n;
    for (n = 0; n < 1000; n++) {
        sd_fault_alloc_countdown(n);
        SecdecStatus st = secdec_negotiate_crypto_session_key_exchange(dev, s, 256, blob);
        sd_fault_alloc_countdown(-1);
        if (st == SECDEC_OK)
            break;
        ck_assert_msg(st == SECDEC_E_OUTOFMEMORY, "n=%d: %s", n, secdec_status_name(st));
    }
    ck_assert_int_lt(n, 1000);
    ck_assert(tu_session_key_is(s, key));

    uint8_t kid[16], ck[16], wrapped[16];
    tu_kid(kid, 0x42);
    tu_random(ck, 16);
    tu_aes_ecb_encrypt(key, ck, wrapped);
    for (n = 0; n < 1000; n++) {
        sd_fault_alloc_countdown(n);
        SecdecStatus st = secdec_crypto_session_set_content_key(dev, s, kid, 16, wrapped);
        sd_fault_alloc_countdown(-1);
        if (st == SECDEC_OK)
            break;
        ck_assert_msg(st == SECDEC_E_OUTOFMEMORY, "n=%d: %s", n, secdec_status_name(st));
        ck_assert_status(secdec_crypto_session_has_content_key(dev, s, kid), SECDEC_E_NO_KEY);
    }
    ck_assert_int_lt(n, 1000);
    ck_assert_ok(secdec_crypto_session_has_content_key(dev, s, kid));
    secdec_crypto_session_destroy(&s);
    secdec_device_close(&dev);
}
END_TEST

/* ========================================================= wrong device / device removed == */

/* Calls every session function with (dev, s) and expects `want` from each; outputs must stay
 * untouched. */
static void expect_all_session_calls(SecdecDevice *dev, SecdecCryptoSession *s, SecdecStatus want)
{
    SecdecGuid g = SECDEC_GUID_NULL;
    uint64_t h = 0;
    uint32_t size = 0;
    uint8_t buf[4096], blob[256], rnd[16], kid[16], wrapped[16];
    SecdecCryptoSessionStatus cs = (SecdecCryptoSessionStatus)77;
    memset(buf, 0xa5, sizeof buf);
    memset(blob, 0x11, sizeof blob);
    memset(rnd, 0xa5, sizeof rnd);
    memset(wrapped, 0x22, sizeof wrapped);
    tu_kid(kid, 0x01);

    ck_assert_status(secdec_crypto_session_get_crypto_type(dev, s, &g), want);
    ck_assert_status(secdec_crypto_session_get_decoder_profile(dev, s, &g), want);
    ck_assert_status(secdec_crypto_session_get_key_exchange_type(dev, s, &g), want);
    ck_assert(secdec_guid_equal(&g, &SECDEC_GUID_NULL));
    ck_assert_status(secdec_crypto_session_get_handle(dev, s, &h), want);
    ck_assert_uint_eq(h, 0);
    ck_assert_status(secdec_crypto_session_get_certificate_size(dev, s, &size), want);
    ck_assert_uint_eq(size, 0);
    ck_assert_status(secdec_crypto_session_get_certificate(dev, s, sizeof buf, buf), want);
    ck_assert_uint_eq(buf[0], 0xa5);
    ck_assert_status(secdec_crypto_session_set_oaep_hash(dev, s, SECDEC_OAEP_SHA256), want);
    ck_assert_status(secdec_negotiate_crypto_session_key_exchange(dev, s, sizeof blob, blob),
                     want);
    ck_assert_status(secdec_start_session_key_refresh(dev, s, sizeof rnd, rnd), want);
    ck_assert_uint_eq(rnd[0], 0xa5);
    ck_assert_uint_eq(rnd[15], 0xa5);
    ck_assert_status(secdec_finish_session_key_refresh(dev, s), want);
    ck_assert_status(secdec_check_crypto_session_status(dev, s, &cs), want);
    ck_assert_int_eq(cs, 77);
    ck_assert_status(secdec_crypto_session_set_content_key(dev, s, kid, 16, wrapped), want);
    ck_assert_status(secdec_crypto_session_set_content_key(dev, s, kid, 0, NULL), want);
    ck_assert_status(secdec_crypto_session_remove_content_key(dev, s, kid), want);
    ck_assert_status(secdec_crypto_session_has_content_key(dev, s, kid), want);
}

START_TEST(t_wrong_device)
{
    /* Two handles, even on the same identity, are two devices. */
    SecdecDevice *a = tu_open_device(g_home);
    SecdecDevice *b = tu_open_device(g_home);
    SecdecDevice *c = tu_open_device(g_home2);
    SecdecCryptoSession *s = tu_create_session(a);
    uint8_t key[16];
    tu_negotiate(a, s, key);
    uint8_t kid[16], ck[16], wrapped[16];
    tu_kid(kid, 0x01);
    tu_random(ck, 16);
    tu_aes_ecb_encrypt(key, ck, wrapped);
    ck_assert_ok(secdec_crypto_session_set_content_key(a, s, kid, 16, wrapped));

    expect_all_session_calls(b, s, SECDEC_E_WRONG_DEVICE);
    expect_all_session_calls(c, s, SECDEC_E_WRONG_DEVICE);

    /* Nothing the wrong device asked for happened. */
    ck_assert(tu_session_key_is(s, key));
    ck_assert_ok(secdec_crypto_session_has_content_key(a, s, kid));
    SecdecGuid g;
    ck_assert_ok(secdec_crypto_session_get_crypto_type(a, s, &g));

    /* NULL device / session */
    expect_all_session_calls(NULL, s, SECDEC_E_INVALIDARG);
    expect_all_session_calls(a, NULL, SECDEC_E_INVALIDARG);

    secdec_crypto_session_destroy(&s);
    secdec_device_close(&a);
    secdec_device_close(&b);
    secdec_device_close(&c);
}
END_TEST

START_TEST(t_device_removed)
{
    SecdecDevice *dev = tu_open_device(g_home);
    SecdecCryptoSession *s1 = tu_create_session(dev);
    SecdecCryptoSession *s2 = tu_create_session(dev);
    tu_negotiate(dev, s1, NULL);
    SecdecDevice *stale = dev;
    secdec_device_close(&dev);
    ck_assert_ptr_null(dev);

    /* The device's memory stays valid until the last session is destroyed. */
    expect_all_session_calls(stale, s1, SECDEC_E_DEVICE_REMOVED);
    expect_all_session_calls(stale, s2, SECDEC_E_DEVICE_REMOVED);
    SecdecCryptoSession *s3 = (SecdecCryptoSession *)(uintptr_t)1;
    ck_assert_status(secdec_create_crypto_session(stale, &SECDEC_CRYPTO_TYPE_AES128_CTR, NULL,
                                                  &SECDEC_KEY_EXCHANGE_RSAES_OAEP, &s3),
                     SECDEC_E_DEVICE_REMOVED);
    ck_assert_ptr_eq(s3, (SecdecCryptoSession *)(uintptr_t)1);
    SecdecContentProtectionCaps caps;
    ck_assert_status(secdec_device_get_content_protection_caps(
                         stale, &SECDEC_CRYPTO_TYPE_AES128_CTR, NULL, &caps),
                     SECDEC_E_DEVICE_REMOVED);
    SecdecBackend be;
    ck_assert_status(secdec_device_get_backend(stale, &be), SECDEC_E_DEVICE_REMOVED);
    uint8_t fp[32];
    ck_assert_status(secdec_device_get_certificate_fingerprint(stale, fp),
                     SECDEC_E_DEVICE_REMOVED);
    ck_assert_int_eq(secdec_device_memory_locked(stale), -1);

    secdec_crypto_session_destroy(&s1);
    ck_assert_ptr_null(s1);
    expect_all_session_calls(stale, s2, SECDEC_E_DEVICE_REMOVED);
    secdec_crypto_session_destroy(&s2); /* frees the device (ASan: no leak, no UAF) */
    ck_assert_ptr_null(s2);
}
END_TEST

START_TEST(t_session_outlives_device_then_other_device)
{
    /* A session of a closed device used with a live device: WRONG_DEVICE (the live one did not
     * create it) or DEVICE_REMOVED are both acceptable; it must not succeed. */
    SecdecDevice *dev = tu_open_device(g_home);
    SecdecDevice *other = tu_open_device(g_home);
    SecdecCryptoSession *s = tu_create_session(dev);
    secdec_device_close(&dev);
    SecdecGuid g;
    SecdecStatus st = secdec_crypto_session_get_crypto_type(other, s, &g);
    ck_assert_msg(st == SECDEC_E_WRONG_DEVICE || st == SECDEC_E_DEVICE_REMOVED, "%s",
                  secdec_status_name(st));
    secdec_crypto_session_destroy(&s);
    secdec_device_close(&other);
}
END_TEST

/* ========================================================== certificate / handle / getters == */

START_TEST(t_certificate)
{
    SecdecDevice *dev = tu_open_device(g_home);
    SecdecCryptoSession *s = tu_create_session(dev);
    uint32_t n = 0;
    ck_assert_ok(secdec_crypto_session_get_certificate_size(dev, s, &n));
    ck_assert_uint_gt(n, 256);

    uint8_t *buf = malloc(n + 64);
    memset(buf, 0xa5, n + 64);
    /* too small: INVALIDARG and nothing written */
    ck_assert_status(secdec_crypto_session_get_certificate(dev, s, n - 1, buf),
                     SECDEC_E_INVALIDARG);
    ck_assert_status(secdec_crypto_session_get_certificate(dev, s, 0, buf), SECDEC_E_INVALIDARG);
    for (uint32_t i = 0; i < n + 64; i++)
        ck_assert_uint_eq(buf[i], 0xa5);
    ck_assert_status(secdec_crypto_session_get_certificate(dev, s, n, NULL), SECDEC_E_INVALIDARG);
    ck_assert_status(secdec_crypto_session_get_certificate_size(dev, s, NULL),
                     SECDEC_E_INVALIDARG);

    /* larger buffer: OK, exactly n bytes written */
    ck_assert_ok(secdec_crypto_session_get_certificate(dev, s, n + 64, buf));
    for (uint32_t i = n; i < n + 64; i++)
        ck_assert_uint_eq(buf[i], 0xa5);

    /* leaf first: parses as X.509 DER, RSA-2048 */
    const uint8_t *p = buf;
    X509 *x = d2i_X509(NULL, &p, (long)n);
    ck_assert_ptr_nonnull(x);
    ck_assert(p <= buf + n);
    EVP_PKEY *pk = X509_get0_pubkey(x);
    ck_assert_ptr_nonnull(pk);
    ck_assert_int_eq(EVP_PKEY_get_base_id(pk), EVP_PKEY_RSA);
    ck_assert_int_eq(EVP_PKEY_get_bits(pk), 2048);
    /* the rest of the chain, if any, is DER certificates too */
    while (p < buf + n) {
        X509 *y = d2i_X509(NULL, &p, (long)(buf + n - p));
        ck_assert_ptr_nonnull(y);
        X509_free(y);
    }
    ck_assert_ptr_eq(p, buf + n);
    X509_free(x);

    /* the chain is the device.crt of the home */
    char *crt = tu_path(g_home, "device.crt");
    ck_assert(file_equals(crt, buf, n));
    free(crt);

    /* every session of the device returns the same chain */
    SecdecCryptoSession *s2 = NULL;
    ck_assert_ok(secdec_create_crypto_session(dev, &SECDEC_CRYPTO_TYPE_AES128_CBC,
                                              &SECDEC_DECODER_PROFILE_AV1_VLD_PROFILE0,
                                              &SECDEC_KEY_EXCHANGE_RSAES_OAEP, &s2));
    size_t n2;
    uint8_t *b2 = tu_get_certificate(dev, s2, &n2);
    ck_assert_uint_eq(n2, n);
    ck_assert_mem_eq(b2, buf, n);
    free(b2);
    secdec_crypto_session_destroy(&s2);
    free(buf);
    secdec_crypto_session_destroy(&s);
    secdec_device_close(&dev);
}
END_TEST

START_TEST(t_handle)
{
    SecdecDevice *a = tu_open_device(g_home);
    SecdecDevice *b = tu_open_device(g_home2);
    SecdecCryptoSession *s[4] = {tu_create_session(a), tu_create_session(a), tu_create_session(b),
                                 tu_create_session(b)};
    uint64_t h[4];
    for (int i = 0; i < 4; i++) {
        SecdecDevice *d = i < 2 ? a : b;
        h[i] = 0;
        ck_assert_ok(secdec_crypto_session_get_handle(d, s[i], &h[i]));
        ck_assert_uint_ne(h[i], 0);
        uint64_t again = 0;
        ck_assert_ok(secdec_crypto_session_get_handle(d, s[i], &again));
        ck_assert_uint_eq(again, h[i]); /* stable */
        for (int j = 0; j < i; j++)
            ck_assert_uint_ne(h[i], h[j]); /* process-unique */
        ck_assert_status(secdec_crypto_session_get_handle(d, s[i], NULL), SECDEC_E_INVALIDARG);
    }
    for (int i = 0; i < 4; i++)
        secdec_crypto_session_destroy(&s[i]);
    /* a new session after destroying gets a handle not in use */
    SecdecCryptoSession *t = tu_create_session(a);
    uint64_t ht;
    ck_assert_ok(secdec_crypto_session_get_handle(a, t, &ht));
    ck_assert_uint_ne(ht, 0);
    secdec_crypto_session_destroy(&t);
    secdec_device_close(&a);
    secdec_device_close(&b);
}
END_TEST

/* ==================================================== NegotiateCryptoSessionKeyExchange == */

START_TEST(t_negotiate_sha512)
{
    SecdecDevice *dev = tu_open_device(g_home);
    SecdecCryptoSession *s = tu_create_session(dev);
    /* no key yet: the MAC helper refuses */
    uint8_t mac[32];
    ck_assert_status(sd_session_mac(s, "x", (const uint8_t *)"y", 1, NULL, mac),
                     SECDEC_E_INVALIDCALL);

    uint8_t key[16], blob[256], copy[256];
    tu_random(key, 16);
    tu_make_blob(dev, s, EVP_sha512(), key, 16, blob);
    memcpy(copy, blob, 256);
    ck_assert_ok(secdec_negotiate_crypto_session_key_exchange(dev, s, 256, blob));
    ck_assert_mem_eq(blob, copy, 256); /* only read */
    ck_assert(tu_session_key_is(s, key));
    uint8_t other[16];
    memcpy(other, key, 16);
    other[0] ^= 1;
    ck_assert(!tu_session_key_is(s, other)); /* the comparison can fail */

    /* a second exchange replaces the key */
    uint8_t key2[16];
    tu_negotiate(dev, s, key2);
    ck_assert(tu_session_key_is(s, key2));
    ck_assert(!tu_session_key_is(s, key));
    secdec_crypto_session_destroy(&s);
    secdec_device_close(&dev);
}
END_TEST

START_TEST(t_negotiate_other_hashes)
{
    SecdecDevice *dev = tu_open_device(g_home);
    static const struct {
        SecdecOaepHash h;
        const char *md;
    } hashes[] = {{SECDEC_OAEP_SHA256, "SHA256"}, {SECDEC_OAEP_SHA1, "SHA1"},
                  {SECDEC_OAEP_SHA512, "SHA512"}};
    for (size_t i = 0; i < 3; i++) {
        SecdecCryptoSession *s = tu_create_session(dev);
        ck_assert_ok(secdec_crypto_session_set_oaep_hash(dev, s, hashes[i].h));
        uint8_t key[16], blob[256];
        tu_random(key, 16);
        tu_make_blob(dev, s, EVP_get_digestbyname(hashes[i].md), key, 16, blob);
        ck_assert_ok(secdec_negotiate_crypto_session_key_exchange(dev, s, 256, blob));
        ck_assert(tu_session_key_is(s, key));
        /* the same blob is refused once another hash is selected */
        ck_assert_ok(secdec_crypto_session_set_oaep_hash(
            dev, s, hashes[i].h == SECDEC_OAEP_SHA512 ? SECDEC_OAEP_SHA1 : SECDEC_OAEP_SHA512));
        ck_assert_status(secdec_negotiate_crypto_session_key_exchange(dev, s, 256, blob),
                         SECDEC_E_KEY_EXCHANGE);
        ck_assert(tu_session_key_is(s, key)); /* failure changed nothing */
        secdec_crypto_session_destroy(&s);
    }
    SecdecCryptoSession *s = tu_create_session(dev);
    ck_assert_status(secdec_crypto_session_set_oaep_hash(dev, s, (SecdecOaepHash)3),
                     SECDEC_E_INVALIDARG);
    ck_assert_status(secdec_crypto_session_set_oaep_hash(dev, s, (SecdecOaepHash)-1),
                     SECDEC_E_INVALIDARG);
    /* the invalid value did not change the default (SHA-512) */
    tu_negotiate(dev, s, NULL);
    secdec_crypto_session_destroy(&s);
    secdec_device_close(&dev);
}
END_TEST

START_TEST(t_negotiate_bad_size)
{
    SecdecDevice *dev = tu_open_device(g_home);
    SecdecCryptoSession *s = tu_create_session(dev);
    uint8_t key[16], blob[512];
    tu_random(key, 16);
    tu_make_blob(dev, s, EVP_sha512(), key, 16, blob);
    memset(blob + 256, 0, 256);
    static const uint32_t sizes[] = {0, 1, 16, 128, 255, 257, 512};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        ck_assert_msg(secdec_negotiate_crypto_session_key_exchange(dev, s, sizes[i], blob) ==
                          SECDEC_E_INVALIDARG,
                      "size %u", sizes[i]);
    ck_assert_status(secdec_negotiate_crypto_session_key_exchange(dev, s, 256, NULL),
                     SECDEC_E_INVALIDARG);
    ck_assert_status(secdec_negotiate_crypto_session_key_exchange(dev, s, 0, NULL),
                     SECDEC_E_INVALIDARG);
    /* no key was installed by any of these */
    uint8_t rnd[16];
    ck_assert_status(secdec_start_session_key_refresh(dev, s, 16, rnd), SECDEC_E_INVALIDCALL);
    /* and the well-formed blob still works */
    ck_assert_ok(secdec_negotiate_crypto_session_key_exchange(dev, s, 256, blob));
    ck_assert(tu_session_key_is(s, key));
    secdec_crypto_session_destroy(&s);
    secdec_device_close(&dev);
}
END_TEST

/* Corrupt blobs: every one must give exactly SECDEC_E_KEY_EXCHANGE, and leave the previous
 * session key in place. */
enum { BAD_FLIP_0, BAD_FLIP_1, BAD_FLIP_64, BAD_FLIP_128, BAD_FLIP_200, BAD_FLIP_255,
       BAD_ZERO, BAD_FF, BAD_MODULUS_PLUS, BAD_OTHER_DEVICE, BAD_KEY15, BAD_KEY17, BAD_KEY32,
       BAD_KEY0, BAD_HASH256, BAD_HASH1, BAD_PKCS1V15, BAD_RAW_RSA, BAD_COUNT };

START_TEST(t_negotiate_corrupt)
{
    int kind = _i;
    SecdecDevice *dev = tu_open_device(g_home);
    SecdecCryptoSession *s = tu_create_session(dev);
    uint8_t prev[16];
    tu_negotiate(dev, s, prev);

    size_t cert_size;
    uint8_t *cert = tu_get_certificate(dev, s, &cert_size);
    uint8_t key[32], blob[256];
    tu_random(key, sizeof key);
    ck_assert_int_eq(tu_oaep_encrypt(cert, cert_size, EVP_sha512(), key, 16, blob), 0);
    static const int flip_pos[] = {0, 1, 64, 128, 200, 255};
    switch (kind) {
    case BAD_FLIP_0: case BAD_FLIP_1: case BAD_FLIP_64: case BAD_FLIP_128: case BAD_FLIP_200:
    case BAD_FLIP_255:
        blob[flip_pos[kind - BAD_FLIP_0]] ^= 0x10;
        break;
    case BAD_ZERO: memset(blob, 0, 256); break;
    case BAD_FF: memset(blob, 0xff, 256); break;
    case BAD_MODULUS_PLUS: {
        /* exactly the modulus: out of range for RSA */
        EVP_PKEY *pk = tu_cert_pubkey(cert, cert_size);
        BIGNUM *nmod = NULL;
        ck_assert_int_eq(EVP_PKEY_get_bn_param(pk, "n", &nmod), 1);
        ck_assert_int_eq(BN_bn2binpad(nmod, blob, 256), 256);
        BN_free(nmod);
        EVP_PKEY_free(pk);
        break;
    }
    case BAD_OTHER_DEVICE: {
        SecdecDevice *d2 = tu_open_device(g_home2);
        SecdecCryptoSession *s2 = tu_create_session(d2);
        tu_make_blob(d2, s2, EVP_sha512(), key, 16, blob);
        secdec_crypto_session_destroy(&s2);
        secdec_device_close(&d2);
        break;
    }
    case BAD_KEY15: tu_make_blob(dev, s, EVP_sha512(), key, 15, blob); break;
    case BAD_KEY17: tu_make_blob(dev, s, EVP_sha512(), key, 17, blob); break;
    case BAD_KEY32: tu_make_blob(dev, s, EVP_sha512(), key, 32, blob); break;
    case BAD_KEY0: tu_make_blob(dev, s, EVP_sha512(), key, 0, blob); break;
    case BAD_HASH256: tu_make_blob(dev, s, EVP_sha256(), key, 16, blob); break;
    case BAD_HASH1: tu_make_blob(dev, s, EVP_sha1(), key, 16, blob); break;
    case BAD_PKCS1V15:
    case BAD_RAW_RSA: {
        EVP_PKEY *pk = tu_cert_pubkey(cert, cert_size);
        EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(pk, NULL);
        ck_assert_int_eq(EVP_PKEY_encrypt_init(ctx), 1);
        uint8_t msg[256];
        size_t mlen = 16, outlen = 256;
        if (kind == BAD_PKCS1V15) {
            ck_assert_int_gt(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING), 0);
            memcpy(msg, key, 16);
        } else {
            /* 16-byte key right-aligned in a zero block, no padding */
            ck_assert_int_gt(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_NO_PADDING), 0);
            memset(msg, 0, 256);
            memcpy(msg + 240, key, 16);
            mlen = 256;
        }
        ck_assert_int_eq(EVP_PKEY_encrypt(ctx, blob, &outlen, msg, mlen), 1);
        ck_assert_uint_eq(outlen, 256);
        EVP_PKEY_CTX_free(ctx);
        EVP_PKEY_free(pk);
        break;
    }
    }
    ck_assert_status(secdec_negotiate_crypto_session_key_exchange(dev, s, 256, blob),
                     SECDEC_E_KEY_EXCHANGE);
    ck_assert(tu_session_key_is(s, prev));
    /* the session still works afterwards */
    uint8_t fresh[16];
    tu_negotiate(dev, s, fresh);
    ck_assert(tu_session_key_is(s, fresh));

    /* the same corrupt blob on a session without any key: KEY_EXCHANGE, still no key */
    SecdecCryptoSession *s3 = tu_create_session(dev);
    ck_assert_status(secdec_negotiate_crypto_session_key_exchange(dev, s3, 256, blob),
                     SECDEC_E_KEY_EXCHANGE);
    uint8_t rnd[16];
    ck_assert_status(secdec_start_session_key_refresh(dev, s3, 16, rnd), SECDEC_E_INVALIDCALL);
    secdec_crypto_session_destroy(&s3);

    free(cert);
    secdec_crypto_session_destroy(&s);
    secdec_device_close(&dev);
}
END_TEST

/* ======================================================================== key refresh == */

START_TEST(t_refresh_state_errors)
{
    SecdecDevice *dev = tu_open_device(g_home);
    SecdecCryptoSession *s = tu_create_session(dev);
    uint8_t rnd[17];
    memset(rnd, 0xa5, sizeof rnd);
    /* Start without a session key: INVALIDCALL (and nothing written) */
    ck_assert_status(secdec_start_session_key_refresh(dev, s, 16, rnd), SECDEC_E_INVALIDCALL);
    for (int i = 0; i < 17; i++)
        ck_assert_uint_eq(rnd[i], 0xa5);
    /* Finish without Start: INVALIDCALL */
    ck_assert_status(secdec_finish_session_key_refresh(dev, s), SECDEC_E_INVALIDCALL);
    tu_negotiate(dev, s, NULL);
    ck_assert_status(secdec_finish_session_key_refresh(dev, s), SECDEC_E_INVALIDCALL);
    /* sizes other than 16, and NULL: INVALIDARG */
    static const uint32_t sizes[] = {0, 8, 15, 17, 32};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        ck_assert_msg(secdec_start_session_key_refresh(dev, s, sizes[i], rnd) ==
                          SECDEC_E_INVALIDARG,
                      "size %u", sizes[i]);
        for (int j = 0; j < 17; j++)
            ck_assert_uint_eq(rnd[j], 0xa5);
    }
    ck_assert_status(secdec_start_session_key_refresh(dev, s, 16, NULL), SECDEC_E_INVALIDARG);
    /* none of those started a refresh */
    ck_assert_status(secdec_finish_session_key_refresh(dev, s), SECDEC_E_INVALIDCALL);
    secdec_crypto_session_destroy(&s);
    secdec_device_close(&dev);
}
END_TEST

static void xor16(uint8_t out[16], const uint8_t a[16], const uint8_t b[16])
{
    for (int i = 0; i < 16; i++)
        out[i] = a[i] ^ b[i];
}

START_TEST(t_refresh_xor)
{
    SecdecDevice *dev = tu_open_device(g_home);
    SecdecCryptoSession *s = tu_create_session(dev);
    uint8_t k0[16], r1[16], k1[16];
    tu_negotiate(dev, s, k0);

    memset(r1, 0, 16);
    ck_assert_ok(secdec_start_session_key_refresh(dev, s, 16, r1));
    static const uint8_t zero[16];
    ck_assert(memcmp(r1, zero, 16) != 0); /* random was written */
    /* the key does NOT change before Finish */
    ck_assert(tu_session_key_is(s, k0));
    ck_assert_ok(secdec_finish_session_key_refresh(dev, s));
    xor16(k1, k0, r1);
    ck_assert(tu_session_key_is(s, k1));
    ck_assert(!tu_session_key_is(s, k0));
    /* Finish twice: the second has nothing to finish */
    ck_assert_status(secdec_finish_session_key_refresh(dev, s), SECDEC_E_INVALIDCALL);
    ck_assert(tu_session_key_is(s, k1));

    /* A second Start replaces the pending number; random numbers differ. */
    uint8_t ra[16], rb[16], k2[16];
    ck_assert_ok(secdec_start_session_key_refresh(dev, s, 16, ra));
    ck_assert_ok(secdec_start_session_key_refresh(dev, s, 16, rb));
    ck_assert(memcmp(ra, rb, 16) != 0);
    ck_assert(tu_session_key_is(s, k1));
    ck_assert_ok(secdec_finish_session_key_refresh(dev, s));
    xor16(k2, k1, rb);
    ck_assert(tu_session_key_is(s, k2));

    /* A content key wrapped with the refreshed key is accepted and usable */
    uint8_t kid[16], ck[16], wrapped[16];
    tu_kid(kid, 0x33);
    tu_random(ck, 16);
    tu_aes_ecb_encrypt(k2, ck, wrapped);
    ck_assert_ok(secdec_crypto_session_set_content_key(dev, s, kid, 16, wrapped));
    ck_assert_ok(secdec_crypto_session_has_content_key(dev, s, kid));
    uint8_t got[16];
    ck_assert_int_eq(tu_content_key(s, kid, got), 1);
    ck_assert_mem_eq(got, ck, 16);

    /* A new key exchange while a refresh is pending: the pending refresh must not apply on
     * top of the new key (either it is dropped, or Finish is refused). */
    uint8_t rc[16], k3[16];
    ck_assert_ok(secdec_start_session_key_refresh(dev, s, 16, rc));
    tu_negotiate(dev, s, k3);
    SecdecStatus fin = secdec_finish_session_key_refresh(dev, s);
    if (fin == SECDEC_OK) {
        uint8_t k3x[16];
        xor16(k3x, k3, rc);
        ck_assert_msg(tu_session_key_is(s, k3x) || tu_session_key_is(s, k3),
                      "session key is neither the new key nor new ^ random");
    } else {
        ck_assert_status(fin, SECDEC_E_INVALIDCALL);
        ck_assert(tu_session_key_is(s, k3));
    }
    secdec_crypto_session_destroy(&s);
    secdec_device_close(&dev);
}
END_TEST

/* ======================================================================= content keys == */

START_TEST(t_content_keys)
{
    SecdecDevice *dev = tu_open_device(g_home);
    SecdecCryptoSession *s = tu_create_session(dev);
    uint8_t kid[8][16], ck[8][16], wrapped[8][16];
    for (int i = 0; i < 8; i++) {
        tu_kid(kid[i], (uint8_t)(0x10 + i));
        tu_random(ck[i], 16);
    }
    /* before the key exchange: INVALIDCALL */
    ck_assert_status(secdec_crypto_session_set_content_key(dev, s, kid[0], 16, ck[0]),
                     SECDEC_E_INVALIDCALL);
    ck_assert_status(secdec_crypto_session_has_content_key(dev, s, kid[0]), SECDEC_E_NO_KEY);

    uint8_t sk[16];
    tu_negotiate(dev, s, sk);
    for (int i = 0; i < 8; i++)
        tu_aes_ecb_encrypt(sk, ck[i], wrapped[i]);

    /* several KIDs at once */
    for (int i = 0; i < 6; i++)
        ck_assert_ok(secdec_crypto_session_set_content_key(dev, s, kid[i], 16, wrapped[i]));
    /* all-zero key = the session key itself */
    static const uint8_t zero[16];
    ck_assert_ok(secdec_crypto_session_set_content_key(dev, s, kid[6], 16, zero));
    /* NULL/0 = clear pass-through */
    ck_assert_ok(secdec_crypto_session_set_content_key(dev, s, kid[7], 0, NULL));
    for (int i = 0; i < 8; i++)
        ck_assert_ok(secdec_crypto_session_has_content_key(dev, s, kid[i]));
    /* what was installed: the unwrapped (AES-128-ECB-decrypted) key per KID */
    for (int i = 0; i < 6; i++) {
        uint8_t got[16];
        ck_assert_int_eq(tu_content_key(s, kid[i], got), 1 /* SD_KEY_CONTENT */);
        ck_assert_mem_eq(got, ck[i], 16);
    }
    ck_assert_int_eq(tu_content_key(s, kid[6], NULL), 2 /* SD_KEY_SESSION */);
    ck_assert_int_eq(tu_content_key(s, kid[7], NULL), 3 /* SD_KEY_CLEAR */);
    uint8_t absent[16];
    tu_kid(absent, 0xee);
    ck_assert_status(secdec_crypto_session_has_content_key(dev, s, absent), SECDEC_E_NO_KEY);
    /* KIDs differing in one byte are different KIDs */
    uint8_t near[16];
    memcpy(near, kid[0], 16);
    near[15] ^= 1;
    ck_assert_status(secdec_crypto_session_has_content_key(dev, s, near), SECDEC_E_NO_KEY);

    /* remove */
    ck_assert_ok(secdec_crypto_session_remove_content_key(dev, s, kid[2]));
    ck_assert_status(secdec_crypto_session_has_content_key(dev, s, kid[2]), SECDEC_E_NO_KEY);
    ck_assert_status(secdec_crypto_session_remove_content_key(dev, s, kid[2]), SECDEC_E_NO_KEY);
    ck_assert_status(secdec_crypto_session_remove_content_key(dev, s, absent), SECDEC_E_NO_KEY);
    ck_assert_ok(secdec_crypto_session_has_content_key(dev, s, kid[3]));
    ck_assert_ok(secdec_crypto_session_remove_content_key(dev, s, kid[7])); /* clear kind */
    ck_assert_ok(secdec_crypto_session_remove_content_key(dev, s, kid[6])); /* zero kind */

    /* reinstall replaces */
    uint8_t got[16];
    ck_assert_ok(secdec_crypto_session_set_content_key(dev, s, kid[0], 16, wrapped[1]));
    ck_assert_int_eq(tu_content_key(s, kid[0], got), 1);
    ck_assert_mem_eq(got, ck[1], 16);
    ck_assert_ok(secdec_crypto_session_set_content_key(dev, s, kid[0], 0, NULL));
    ck_assert_ok(secdec_crypto_session_has_content_key(dev, s, kid[0]));
    ck_assert_int_eq(tu_content_key(s, kid[0], NULL), 3);
    ck_assert_ok(secdec_crypto_session_set_content_key(dev, s, kid[0], 16, wrapped[0]));
    ck_assert_int_eq(tu_content_key(s, kid[0], got), 1);
    ck_assert_mem_eq(got, ck[0], 16);
    /* removal moved another entry: the others are intact */
    for (int i = 3; i < 6; i++) {
        ck_assert_int_eq(tu_content_key(s, kid[i], got), 1);
        ck_assert_mem_eq(got, ck[i], 16);
    }

    /* a new key exchange keeps installed content keys (already unwrapped) */
    uint8_t sk2[16];
    tu_negotiate(dev, s, sk2);
    ck_assert_int_eq(tu_content_key(s, kid[5], got), 1);
    ck_assert_mem_eq(got, ck[5], 16);
    /* ... and new wrapped keys are unwrapped with the new session key */
    uint8_t w2[16];
    tu_aes_ecb_encrypt(sk2, ck[6], w2);
    ck_assert_ok(secdec_crypto_session_set_content_key(dev, s, kid[6], 16, w2));
    ck_assert_int_eq(tu_content_key(s, kid[6], got), 1);
    ck_assert_mem_eq(got, ck[6], 16);

    /* many KIDs (key rotation) */
    for (int i = 0; i < 300; i++) {
        uint8_t k[16];
        memset(k, 0, 16);
        k[0] = (uint8_t)i;
        k[1] = (uint8_t)(i >> 8);
        k[15] = 0x77;
        ck_assert_ok(secdec_crypto_session_set_content_key(dev, s, k, 16, wrapped[0]));
    }
    for (int i = 0; i < 300; i++) {
        uint8_t k[16];
        memset(k, 0, 16);
        k[0] = (uint8_t)i;
        k[1] = (uint8_t)(i >> 8);
        k[15] = 0x77;
        ck_assert_ok(secdec_crypto_session_has_content_key(dev, s, k));
    }
    secdec_crypto_session_destroy(&s);
    secdec_device_close(&dev);
}
END_TEST

START_TEST(t_content_key_args)
{
    SecdecDevice *dev = tu_open_device(g_home);
    SecdecCryptoSession *s = tu_create_session(dev);
    tu_negotiate(dev, s, NULL);
    uint8_t kid[16], key[32];
    tu_kid(kid, 0x55);
    tu_random(key, sizeof key);
    static const uint32_t sizes[] = {1, 8, 15, 17, 24, 32};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        ck_assert_msg(secdec_crypto_session_set_content_key(dev, s, kid, sizes[i], key) ==
                          SECDEC_E_INVALIDARG,
                      "size %u", sizes[i]);
    ck_assert_status(secdec_crypto_session_set_content_key(dev, s, kid, 16, NULL),
                     SECDEC_E_INVALIDARG); /* size/NULL mismatch */
    ck_assert_status(secdec_crypto_session_set_content_key(dev, s, kid, 0, key),
                     SECDEC_E_INVALIDARG); /* size/NULL mismatch */
    ck_assert_status(secdec_crypto_session_set_content_key(dev, s, NULL, 16, key),
                     SECDEC_E_INVALIDARG);
    ck_assert_status(secdec_crypto_session_has_content_key(dev, s, NULL), SECDEC_E_INVALIDARG);
    ck_assert_status(secdec_crypto_session_remove_content_key(dev, s, NULL), SECDEC_E_INVALIDARG);
    /* none of those installed anything */
    ck_assert_status(secdec_crypto_session_has_content_key(dev, s, kid), SECDEC_E_NO_KEY);
    secdec_crypto_session_destroy(&s);
    secdec_device_close(&dev);
}
END_TEST

/* ===================================================================== session status == */

static int child_status(void *arg)
{
    void **a = arg;
    SecdecDevice *dev = a[0];
    SecdecCryptoSession *s = a[1];
    const uint8_t *key = a[2];
    SecdecCryptoSessionStatus st = SECDEC_SESSION_STATUS_OK;
    if (secdec_check_crypto_session_status(dev, s, &st) != SECDEC_OK)
        return 10;
    if (st != SECDEC_SESSION_STATUS_KEY_LOST)
        return 20 + (int)st;
    /* the key is really gone in the child */
    if (tu_session_key_is(s, key))
        return 30;
    return 0;
}

START_TEST(t_session_status)
{
    SecdecDevice *dev = tu_open_device(g_home);
    SecdecCryptoSession *s = tu_create_session(dev);
    SecdecCryptoSessionStatus st = (SecdecCryptoSessionStatus)77;
    /* OK before and after key exchange */
    ck_assert_ok(secdec_check_crypto_session_status(dev, s, &st));
    ck_assert_int_eq(st, SECDEC_SESSION_STATUS_OK);
    uint8_t key[16];
    tu_negotiate(dev, s, key);
    st = (SecdecCryptoSessionStatus)77;
    ck_assert_ok(secdec_check_crypto_session_status(dev, s, &st));
    ck_assert_int_eq(st, SECDEC_SESSION_STATUS_OK);
    ck_assert_status(secdec_check_crypto_session_status(dev, s, NULL), SECDEC_E_INVALIDARG);

    /* In a fork()ed child the key memory is wiped (MADV_WIPEONFORK): KEY_LOST. */
    void *args[3] = {dev, s, key};
    int rc = tu_run_in_child(child_status, args);
    ck_assert_msg(rc == 0, "child: exit %d (10: call failed, 2x: status x, 30: key present)", rc);

    /* the parent is unaffected */
    ck_assert_ok(secdec_check_crypto_session_status(dev, s, &st));
    ck_assert_int_eq(st, SECDEC_SESSION_STATUS_OK);
    ck_assert(tu_session_key_is(s, key));
    secdec_crypto_session_destroy(&s);
    secdec_device_close(&dev);
}
END_TEST

/* ===================================================================== thread safety == */

typedef struct {
    SecdecDevice *dev;
    SecdecCryptoSession *s;
    atomic_int stop;
    atomic_int errors;
    int iterations;
} Shared;

static void *writer_thread(void *arg)
{
    Shared *sh = arg;
    uint8_t kid[16], wrapped[16], rnd[16];
    for (int i = 0; i < sh->iterations; i++) {
        tu_kid(kid, (uint8_t)(i % 8));
        memset(wrapped, i & 0xff, 16);
        wrapped[0] |= 1;
        SecdecStatus st = SECDEC_OK;
        switch (i % 5) {
        case 0:
        case 1: st = secdec_crypto_session_set_content_key(sh->dev, sh->s, kid, 16, wrapped); break;
        case 2: st = secdec_crypto_session_set_content_key(sh->dev, sh->s, kid, 0, NULL); break;
        case 3:
            st = secdec_start_session_key_refresh(sh->dev, sh->s, 16, rnd);
            if (st == SECDEC_OK)
                st = secdec_finish_session_key_refresh(sh->dev, sh->s);
            break;
        case 4:
            st = secdec_crypto_session_remove_content_key(sh->dev, sh->s, kid);
            if (st == SECDEC_E_NO_KEY)
                st = SECDEC_OK;
            break;
        }
        if (st != SECDEC_OK)
            atomic_fetch_add(&sh->errors, 1);
    }
    atomic_store(&sh->stop, 1);
    return NULL;
}

static void *reader_thread(void *arg)
{
    Shared *sh = arg;
    uint8_t kid[16], mac[32];
    static const uint8_t msg[64];
    int i = 0;
    while (!atomic_load(&sh->stop)) {
        tu_kid(kid, (uint8_t)(i++ % 8));
        SecdecStatus st = secdec_crypto_session_has_content_key(sh->dev, sh->s, kid);
        if (st != SECDEC_OK && st != SECDEC_E_NO_KEY)
            atomic_fetch_add(&sh->errors, 1);
        if (sd_session_mac(sh->s, "thread test", msg, sizeof msg, NULL, mac) != SECDEC_OK)
            atomic_fetch_add(&sh->errors, 1);
        SecdecCryptoSessionStatus cs;
        if (secdec_check_crypto_session_status(sh->dev, sh->s, &cs) != SECDEC_OK ||
            cs != SECDEC_SESSION_STATUS_OK)
            atomic_fetch_add(&sh->errors, 1);
        uint64_t h;
        if (secdec_crypto_session_get_handle(sh->dev, sh->s, &h) != SECDEC_OK)
            atomic_fetch_add(&sh->errors, 1);
    }
    return NULL;
}

START_TEST(t_threads)
{
    Shared sh;
    memset(&sh, 0, sizeof sh);
    sh.dev = tu_open_device(g_home);
    sh.s = tu_create_session(sh.dev);
    sh.iterations = 20000;
    tu_negotiate(sh.dev, sh.s, NULL);
    pthread_t w, r1, r2;
    ck_assert_int_eq(pthread_create(&r1, NULL, reader_thread, &sh), 0);
    ck_assert_int_eq(pthread_create(&r2, NULL, reader_thread, &sh), 0);
    ck_assert_int_eq(pthread_create(&w, NULL, writer_thread, &sh), 0);
    pthread_join(w, NULL);
    pthread_join(r1, NULL);
    pthread_join(r2, NULL);
    ck_assert_int_eq(atomic_load(&sh.errors), 0);
    secdec_crypto_session_destroy(&sh.s);
    secdec_device_close(&sh.dev);
}
END_TEST

static void *negotiate_thread(void *arg)
{
    Shared *sh = arg;
    for (int i = 0; i < sh->iterations; i++) {
        uint8_t key[16], blob[256];
        tu_random(key, 16);
        tu_make_blob(sh->dev, sh->s, EVP_sha512(), key, 16, blob);
        if (secdec_negotiate_crypto_session_key_exchange(sh->dev, sh->s, 256, blob) != SECDEC_OK)
            atomic_fetch_add(&sh->errors, 1);
    }
    atomic_store(&sh->stop, 1);
    return NULL;
}

START_TEST(t_threads_negotiate)
{
    /* Key exchanges racing with content-key installs and session creation on the device. */
    Shared sh;
    memset(&sh, 0, sizeof sh);
    sh.dev = tu_open_device(g_home);
    sh.s = tu_create_session(sh.dev);
    sh.iterations = 30;
    tu_negotiate(sh.dev, sh.s, NULL);
    pthread_t n, r;
    ck_assert_int_eq(pthread_create(&r, NULL, reader_thread, &sh), 0);
    ck_assert_int_eq(pthread_create(&n, NULL, negotiate_thread, &sh), 0);
    uint8_t kid[16], wrapped[16];
    tu_kid(kid, 3);
    memset(wrapped, 0x3c, 16);
    int i = 0;
    while (!atomic_load(&sh.stop)) {
        if (secdec_crypto_session_set_content_key(sh.dev, sh.s, kid, 16, wrapped) != SECDEC_OK)
            atomic_fetch_add(&sh.errors, 1);
        if (i++ % 16 == 0) {
            SecdecCryptoSession *t = tu_create_session(sh.dev);
            secdec_crypto_session_destroy(&t);
        }
    }
    pthread_join(n, NULL);
    pthread_join(r, NULL);
    ck_assert_int_eq(atomic_load(&sh.errors), 0);
    secdec_crypto_session_destroy(&sh.s);
    secdec_device_close(&sh.dev);
}
END_TEST

static void *session_churn_thread(void *arg)
{
    Shared *sh = arg;
    for (int i = 0; i < sh->iterations; i++) {
        SecdecCryptoSession *s = NULL;
        if (secdec_create_crypto_session(sh->dev, &SECDEC_CRYPTO_TYPE_AES128_CTR, NULL,
                                         &SECDEC_KEY_EXCHANGE_RSAES_OAEP, &s) != SECDEC_OK) {
            atomic_fetch_add(&sh->errors, 1);
            continue;
        }
        uint8_t kid[16];
        tu_kid(kid, (uint8_t)i);
        uint64_t h = 0;
        if (secdec_crypto_session_get_handle(sh->dev, s, &h) != SECDEC_OK || h == 0 ||
            secdec_crypto_session_has_content_key(sh->dev, s, kid) != SECDEC_E_NO_KEY)
            atomic_fetch_add(&sh->errors, 1);
        secdec_crypto_session_destroy(&s);
    }
    return NULL;
}

static void *destroy_half_thread(void *arg)
{
    SecdecCryptoSession **ss = arg;
    for (int i = 0; i < 32; i++)
        secdec_crypto_session_destroy(&ss[i]);
    return NULL;
}

START_TEST(t_threads_sessions)
{
    /* Sessions created and destroyed on one device from several threads (device refcount,
     * handle counter), and the device closed while sessions of other threads still live. */
    Shared sh;
    memset(&sh, 0, sizeof sh);
    sh.dev = tu_open_device(g_home);
    sh.iterations = 2000;
    pthread_t t[3];
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, session_churn_thread, &sh), 0);
    for (int i = 0; i < 3; i++)
        pthread_join(t[i], NULL);
    ck_assert_int_eq(atomic_load(&sh.errors), 0);

    /* sessions destroyed concurrently after the device handle was closed */
    enum { NS = 64 }; /* destroy_half_thread takes the first 32 */
    SecdecCryptoSession *ss[NS];
    for (int i = 0; i < NS; i++)
        ss[i] = tu_create_session(sh.dev);
    secdec_device_close(&sh.dev);
    pthread_t d;
    ck_assert_int_eq(pthread_create(&d, NULL, destroy_half_thread, ss), 0);
    for (int i = NS / 2; i < NS; i++)
        secdec_crypto_session_destroy(&ss[i]); /* whichever is last frees the device */
    pthread_join(d, NULL);
}
END_TEST

/* ============================================================================== main == */

static Suite *session_suite(void)
{
    Suite *su = suite_create("session");
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
    suite_add_tcase(su, tc);

    tc = tcase_create("caps");
    tcase_add_test(tc, t_caps_software);
    tcase_add_test(tc, t_caps_errors);
    tcase_add_test(tc, t_caps_match_create);
    suite_add_tcase(su, tc);

    tc = tcase_create("create");
    tcase_add_test(tc, t_create_ok);
    tcase_add_test(tc, t_create_no_profile);
    tcase_add_test(tc, t_create_errors);
    tcase_add_test(tc, t_create_oom);
    tcase_add_test(tc, t_negotiate_and_content_key_oom);
    tcase_add_test(tc, t_wrong_device);
    tcase_add_test(tc, t_device_removed);
    tcase_add_test(tc, t_session_outlives_device_then_other_device);
    tcase_add_test(tc, t_certificate);
    tcase_add_test(tc, t_handle);
    suite_add_tcase(su, tc);

    tc = tcase_create("key_exchange");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, t_negotiate_sha512);
    tcase_add_test(tc, t_negotiate_other_hashes);
    tcase_add_test(tc, t_negotiate_bad_size);
    tcase_add_loop_test(tc, t_negotiate_corrupt, 0, BAD_COUNT);
    tcase_add_test(tc, t_refresh_state_errors);
    tcase_add_test(tc, t_refresh_xor);
    suite_add_tcase(su, tc);

    tc = tcase_create("content_keys");
    tcase_add_test(tc, t_content_keys);
    tcase_add_test(tc, t_content_key_args);
    tcase_add_test(tc, t_session_status);
    suite_add_tcase(su, tc);

    tc = tcase_create("threads");
    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, t_threads);
    tcase_add_test(tc, t_threads_negotiate);
    tcase_add_test(tc, t_threads_sessions);
    suite_add_tcase(su, tc);
    return su;
}

int main(void)
{
    /* Two identities, provisioned once for all tests of this executable. */
    char *tmp = tu_make_tmpdir();
    g_home = tu_path(tmp, "home1");
    g_home2 = tu_path(tmp, "home2");
    SecdecDevice *d1 = NULL, *d2 = NULL;
    SecdecDeviceSettings st;
    tu_settings(&st, g_home, NULL);
    if (secdec_device_open(&d1, &st) != SECDEC_OK) {
        fprintf(stderr, "cannot provision %s\n", g_home);
        return EXIT_FAILURE;
    }
    tu_settings(&st, g_home2, NULL);
    if (secdec_device_open(&d2, &st) != SECDEC_OK) {
        fprintf(stderr, "cannot provision %s\n", g_home2);
        return EXIT_FAILURE;
    }
    secdec_device_close(&d1);
    secdec_device_close(&d2);

    SRunner *sr = srunner_create(session_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    free(g_home);
    free(g_home2);
    tu_rmtree_free(tmp);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
