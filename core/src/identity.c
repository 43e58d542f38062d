/*
 * identity.c - the software device's identity: an RSA-2048 key and a self-signed X.509
 * certificate, provisioned on first use into the device home and never silently replaced.
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "internal.h"

#define KEY_FILE "device.key"
#define CERT_FILE "device.crt"
#define LOCK_FILE ".lock"
#define MAX_IDENTITY_FILE (64 * 1024)

static char *join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s", dir, name);
    return p;
}

/* Creates a new key and self-signed certificate, DER-encoded. The key bytes are returned in
 * secure memory (OPENSSL_secure_*). */
static SecdecStatus generate_identity(SecdecDevice *dev, uint8_t **key_der, size_t *key_len,
                                      uint8_t **cert_der, size_t *cert_len)
{
    SecdecStatus st = SECDEC_E_OUTOFMEMORY;
    EVP_PKEY *pkey = NULL;
    X509 *x = NULL;
    BIO *kbio = NULL;
    uint8_t *cbuf = NULL;
    *key_der = *cert_der = NULL;

    pkey = EVP_RSA_gen(2048);
    x = X509_new();
    kbio = BIO_new(BIO_s_secmem());
    if (!pkey || !x || !kbio)
        goto out;

    uint8_t serial[16];
    if (RAND_bytes(serial, sizeof(serial)) != 1)
        goto out;
    serial[0] &= 0x7f; /* positive */
    BIGNUM *sn = BN_bin2bn(serial, sizeof(serial), NULL);
    if (!sn)
        goto out;
    int ok = BN_to_ASN1_INTEGER(sn, X509_get_serialNumber(x)) != NULL;
    BN_free(sn);
    if (!ok || X509_set_version(x, 2) != 1)
        goto out;
    if (!X509_gmtime_adj(X509_getm_notBefore(x), 0) ||
        !X509_time_adj_ex(X509_getm_notAfter(x), 20 * 365, 0, NULL))
        goto out;
    X509_NAME *name = X509_get_subject_name(x);
    if (X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, (const unsigned char *)"secdec", -1,
                                   -1, 0) != 1 ||
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                   (const unsigned char *)"secdec software device", -1, -1,
                                   0) != 1 ||
        X509_set_issuer_name(x, name) != 1 || X509_set_pubkey(x, pkey) != 1)
        goto out;
    X509V3_CTX v3;
    X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
    static const struct {
        int nid;
        const char *value;
    } exts[] = {
        {NID_basic_constraints, "critical,CA:FALSE"},
        {NID_key_usage, "critical,keyEncipherment,digitalSignature"},
        {NID_subject_key_identifier, "hash"},
    };
    for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
        X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &v3, exts[i].nid, exts[i].value);
        if (!e)
            goto out;
        ok = X509_add_ext(x, e, -1);
        X509_EXTENSION_free(e);
        if (!ok)
            goto out;
    }
    if (X509_sign(x, pkey, EVP_sha256()) <= 0)
        goto out;

    int clen = i2d_X509(x, &cbuf);
    if (clen <= 0)
        goto out;
    if (i2d_PKCS8PrivateKey_bio(kbio, pkey, NULL, NULL, 0, NULL, NULL) != 1)
        goto out;
    BUF_MEM *bm = NULL;
    BIO_get_mem_ptr(kbio, &bm);
    if (!bm || bm->length == 0)
        goto out;
    *key_der = OPENSSL_secure_malloc(bm->length);
    if (!*key_der)
        goto out;
    memcpy(*key_der, bm->data, bm->length);
    *key_len = bm->length;
    *cert_der = cbuf;
    *cert_len = (size_t)clen;
    cbuf = NULL;
    st = SECDEC_OK;
out:
    if (st != SECDEC_OK)
        sd_log(&dev->log, SECDEC_LOG_ERROR, "cannot generate device identity (OpenSSL failure)");
    OPENSSL_free(cbuf);
    BIO_free(kbio); /* secmem BIO: cleansed */
    X509_free(x);
    EVP_PKEY_free(pkey);
    ERR_clear_error();
    return st;
}

static SecdecStatus provision(SecdecDevice *dev, const char *key_path, const char *cert_path)
{
    uint8_t *key_der, *cert_der;
    size_t key_len, cert_len;
    SecdecStatus st = generate_identity(dev, &key_der, &key_len, &cert_der, &cert_len);
    if (st != SECDEC_OK)
        return st;
    /* Certificate first: a crash in between leaves a certificate without a key, which the
     * next open reports as an incomplete identity rather than replacing anything. */
    if (sd_write_file_atomic(cert_path, cert_der, cert_len, 0644) != 0 ||
        sd_write_file_atomic(key_path, key_der, key_len, 0600) != 0) {
        sd_log(&dev->log, SECDEC_LOG_ERROR, "cannot write device identity in %s: %s", dev->home,
               strerror(errno));
        st = SECDEC_E_IO;
    } else {
        sd_log(&dev->log, SECDEC_LOG_INFO, "provisioned a new device identity in %s", dev->home);
    }
    OPENSSL_secure_clear_free(key_der, key_len);
    OPENSSL_free(cert_der);
    return st;
}

static SecdecStatus load(SecdecDevice *dev, const char *key_path, const char *cert_path)
{
    SecdecStatus st = SECDEC_E_IDENTITY;
    uint8_t *kbuf = NULL, *cbuf = NULL;
    size_t klen = 0, clen = 0;
    EVP_PKEY *pkey = NULL;
    X509 *x = NULL;
    struct stat sb;

    if (lstat(key_path, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        sd_log(&dev->log, SECDEC_LOG_ERROR, "%s: not a regular file", key_path);
        goto out;
    }
    if (sb.st_mode & 077) {
        sd_log(&dev->log, SECDEC_LOG_ERROR,
               "%s: private key is accessible by group or others (mode %04o); "
               "run chmod 600 on it", key_path, (unsigned)(sb.st_mode & 07777));
        goto out;
    }
    if (sd_read_file(key_path, MAX_IDENTITY_FILE, &kbuf, &klen) != 0) {
        sd_log(&dev->log, SECDEC_LOG_ERROR, "%s: cannot read: %s", key_path, strerror(errno));
        goto out;
    }
    if (sd_read_file(cert_path, MAX_IDENTITY_FILE, &cbuf, &clen) != 0) {
        sd_log(&dev->log, SECDEC_LOG_ERROR, "%s: cannot read: %s", cert_path, strerror(errno));
        goto out;
    }
    const unsigned char *p = kbuf;
    pkey = d2i_AutoPrivateKey(NULL, &p, (long)klen);
    if (!pkey || p != kbuf + klen) {
        sd_log(&dev->log, SECDEC_LOG_ERROR, "%s: not a DER private key", key_path);
        goto out;
    }
    if (!EVP_PKEY_is_a(pkey, "RSA") || EVP_PKEY_get_bits(pkey) != 2048) {
        sd_log(&dev->log, SECDEC_LOG_ERROR, "%s: not an RSA-2048 key", key_path);
        goto out;
    }
    p = cbuf;
    x = d2i_X509(NULL, &p, (long)clen);
    if (!x || p != cbuf + clen) {
        sd_log(&dev->log, SECDEC_LOG_ERROR, "%s: not a DER X.509 certificate", cert_path);
        goto out;
    }
    if (EVP_PKEY_eq(X509_get0_pubkey(x), pkey) != 1) {
        sd_log(&dev->log, SECDEC_LOG_ERROR, "%s does not match %s", cert_path, key_path);
        goto out;
    }
    if (!EVP_Digest(cbuf, clen, dev->cert_fp, NULL, EVP_sha256(), NULL)) {
        st = SECDEC_E_OUTOFMEMORY;
        goto out;
    }
    dev->pkey = pkey;
    dev->cert_der = cbuf;
    dev->cert_size = clen;
    pkey = NULL;
    cbuf = NULL;
    st = SECDEC_OK;
out:
    if (kbuf)
        OPENSSL_clear_free(kbuf, klen);
    free(cbuf);
    X509_free(x);
    EVP_PKEY_free(pkey);
    ERR_clear_error();
    return st;
}

SecdecStatus sd_identity_load(SecdecDevice *dev, bool allow_provision)
{
    SecdecStatus st;
    char *key_path = join(dev->home, KEY_FILE);
    char *cert_path = join(dev->home, CERT_FILE);
    char *lock_path = join(dev->home, LOCK_FILE);
    int lock_fd = -1;
    if (!key_path || !cert_path || !lock_path) {
        st = SECDEC_E_OUTOFMEMORY;
        goto out;
    }
    if (sd_mkdir_p(dev->home, 0700) != 0) {
        sd_log(&dev->log, SECDEC_LOG_ERROR, "cannot create %s: %s", dev->home, strerror(errno));
        st = SECDEC_E_IO;
        goto out;
    }
    /* Serialise first-use provisioning between processes sharing the home. */
    lock_fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (lock_fd < 0 || flock(lock_fd, LOCK_EX) != 0) {
        sd_log(&dev->log, SECDEC_LOG_ERROR, "cannot lock %s: %s", lock_path, strerror(errno));
        st = SECDEC_E_IO;
        goto out;
    }
    struct stat sb;
    bool have_key = lstat(key_path, &sb) == 0;
    bool have_cert = lstat(cert_path, &sb) == 0;
    if (!have_key && !have_cert) {
        if (!allow_provision) {
            sd_log(&dev->log, SECDEC_LOG_ERROR, "no device identity in %s (provisioning disabled)",
                   dev->home);
            st = SECDEC_E_IDENTITY;
            goto out;
        }
        st = provision(dev, key_path, cert_path);
        if (st != SECDEC_OK)
            goto out;
    } else if (!have_key || !have_cert) {
        sd_log(&dev->log, SECDEC_LOG_ERROR,
               "incomplete device identity in %s: %s is missing; refusing to replace it "
               "(move the directory away to provision a new identity)",
               dev->home, have_key ? CERT_FILE : KEY_FILE);
        st = SECDEC_E_IDENTITY;
        goto out;
    }
    st = load(dev, key_path, cert_path);
out:
    if (lock_fd >= 0)
        close(lock_fd); /* releases the flock */
    free(key_path);
    free(cert_path);
    free(lock_path);
    return st;
}
