/*
 * license.c - license bytes: issue (content owner), parse, and load into a session.
 *
 * Layout (all integers big-endian; docs/license-format.md is the full description):
 *   0    8   magic "SECDECL1"
 *   8    2   version = 1
 *   10   1   OAEP hash: 0 SHA-512, 1 SHA-256, 2 SHA-1 (SecdecOaepHash)
 *   11   1   flags = 0
 *   12   32  SHA-256 of the device certificate chain (DER) the license is bound to
 *   44   256 RSAES-OAEP(certificate public key, session key)
 *   300  2   key count N, 1..1024
 *   302  32N N x { KID (16) | AES-128-ECB(session key, content key) (16) }
 *   302+32N 32 HMAC-SHA256(K, bytes 0 .. 302+32N), K = HMAC-SHA256(session key,
 *              "secdec license v1 mac")
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "internal.h"

#define LIC_MAGIC "SECDECL1"
#define LIC_VERSION 1
#define LIC_HDR 12
#define LIC_OFF_FP 12
#define LIC_OFF_BLOB 44
#define LIC_OFF_COUNT 300
#define LIC_OFF_ENTRIES 302
#define LIC_ENTRY 32
#define LIC_MAC 32
#define LIC_MAX_FILE (LIC_OFF_ENTRIES + LIC_ENTRY * SECDEC_LICENSE_MAX_KEYS + LIC_MAC)

struct SecdecLicense {
    uint8_t *bytes;
    size_t size;
    SecdecOaepHash hash;
    size_t n_keys;
};

void secdec_free(void *ptr)
{
    /* Everything this library hands out with a size is allocated with a size prefix so it
     * can be wiped here. */
    if (!ptr)
        return;
    size_t *base = (size_t *)ptr - 2;
    OPENSSL_clear_free(base, base[0] + 2 * sizeof(size_t));
}

static uint8_t *sized_alloc(size_t n)
{
    if (n > SIZE_MAX - 2 * sizeof(size_t))
        return NULL;
    size_t *base = sd_calloc(1, n + 2 * sizeof(size_t));
    if (!base)
        return NULL;
    base[0] = n;
    return (uint8_t *)(base + 2);
}

static uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static void wr16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static bool kids_unique_keys(const SecdecContentKey *keys, size_t n)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            if (memcmp(keys[i].kid, keys[j].kid, SECDEC_KID_SIZE) == 0)
                return false;
    return true;
}

static bool kids_unique_entries(const uint8_t *entries, size_t n)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            if (memcmp(entries + i * LIC_ENTRY, entries + j * LIC_ENTRY, SECDEC_KID_SIZE) == 0)
                return false;
    return true;
}

SecdecStatus secdec_license_issue(const uint8_t *cert_der, size_t cert_size, SecdecOaepHash hash,
                                  const SecdecContentKey *keys, size_t n_keys, uint8_t **out,
                                  size_t *out_size)
{
    if (!cert_der || !cert_size || !keys || !out || !out_size || n_keys == 0 ||
        n_keys > SECDEC_LICENSE_MAX_KEYS || !sd_oaep_md(hash) || !kids_unique_keys(keys, n_keys))
        return SECDEC_E_INVALIDARG;

    SecdecStatus st = SECDEC_E_OUTOFMEMORY;
    const unsigned char *p = cert_der;
    X509 *x = d2i_X509(NULL, &p, (long)cert_size);
    EVP_PKEY_CTX *pctx = NULL;
    EVP_CIPHER_CTX *cctx = NULL;
    uint8_t *session_key = NULL;
    uint8_t *lic = NULL;
    size_t total = LIC_OFF_ENTRIES + LIC_ENTRY * n_keys + LIC_MAC;
    EVP_PKEY *pub = x ? X509_get0_pubkey(x) : NULL;
    if (!pub || !EVP_PKEY_is_a(pub, "RSA") || EVP_PKEY_get_bits(pub) != 2048) {
        st = SECDEC_E_IDENTITY;
        goto out;
    }
    lic = sized_alloc(total);
    session_key = OPENSSL_secure_malloc(SECDEC_KEY_SIZE);
    if (!lic || !session_key)
        goto out;
    if (RAND_priv_bytes(session_key, SECDEC_KEY_SIZE) != 1)
        goto out;

    memcpy(lic, LIC_MAGIC, 8);
    wr16(lic + 8, LIC_VERSION);
    lic[10] = (uint8_t)hash;
    lic[11] = 0;
    if (!EVP_Digest(cert_der, cert_size, lic + LIC_OFF_FP, NULL, EVP_sha256(), NULL))
        goto out;

    const EVP_MD *md = sd_oaep_md(hash);
    size_t blob_len = SECDEC_KEY_EXCHANGE_OAEP_SIZE;
    pctx = EVP_PKEY_CTX_new_from_pkey(NULL, pub, NULL);
    if (!pctx || EVP_PKEY_encrypt_init(pctx) != 1 ||
        EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_OAEP_PADDING) != 1 ||
        EVP_PKEY_CTX_set_rsa_oaep_md(pctx, md) != 1 ||
        EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) != 1 ||
        EVP_PKEY_encrypt(pctx, lic + LIC_OFF_BLOB, &blob_len, session_key, SECDEC_KEY_SIZE) != 1 ||
        blob_len != SECDEC_KEY_EXCHANGE_OAEP_SIZE)
        goto out;

    wr16(lic + LIC_OFF_COUNT, (uint16_t)n_keys);
    cctx = EVP_CIPHER_CTX_new();
    if (!cctx || EVP_EncryptInit_ex(cctx, EVP_aes_128_ecb(), NULL, session_key, NULL) != 1 ||
        EVP_CIPHER_CTX_set_padding(cctx, 0) != 1)
        goto out;
    for (size_t i = 0; i < n_keys; i++) {
        uint8_t *e = lic + LIC_OFF_ENTRIES + i * LIC_ENTRY;
        int len = 0;
        memcpy(e, keys[i].kid, SECDEC_KID_SIZE);
        if (EVP_EncryptUpdate(cctx, e + 16, &len, keys[i].key, SECDEC_KEY_SIZE) != 1 || len != 16)
            goto out;
    }
    size_t body = total - LIC_MAC;
    st = sd_mac_with_key(session_key, SD_LICENSE_MAC_LABEL, lic, body, lic + body);
    if (st != SECDEC_OK)
        goto out;
    *out = lic;
    *out_size = total;
    lic = NULL;
out:
    secdec_free(lic);
    OPENSSL_secure_clear_free(session_key, SECDEC_KEY_SIZE);
    EVP_CIPHER_CTX_free(cctx);
    EVP_PKEY_CTX_free(pctx);
    X509_free(x);
    ERR_clear_error();
    return st;
}

SecdecStatus secdec_license_parse(const uint8_t *data, size_t size, SecdecLicense **out)
{
    if (!data || !out)
        return SECDEC_E_INVALIDARG;
    if (size < LIC_OFF_ENTRIES + LIC_ENTRY + LIC_MAC || size > LIC_MAX_FILE ||
        memcmp(data, LIC_MAGIC, 8) != 0 || rd16(data + 8) != LIC_VERSION ||
        !sd_oaep_md((SecdecOaepHash)data[10]) || data[11] != 0)
        return SECDEC_E_LICENSE_INVALID;
    size_t n = rd16(data + LIC_OFF_COUNT);
    if (n == 0 || n > SECDEC_LICENSE_MAX_KEYS ||
        size != LIC_OFF_ENTRIES + LIC_ENTRY * n + LIC_MAC ||
        !kids_unique_entries(data + LIC_OFF_ENTRIES, n))
        return SECDEC_E_LICENSE_INVALID;
    SecdecLicense *lic = sd_calloc(1, sizeof(*lic));
    uint8_t *bytes = lic ? sd_calloc(1, size) : NULL;
    if (!bytes) {
        free(lic);
        return SECDEC_E_OUTOFMEMORY;
    }
    memcpy(bytes, data, size);
    lic->bytes = bytes;
    lic->size = size;
    lic->hash = (SecdecOaepHash)data[10];
    lic->n_keys = n;
    *out = lic;
    return SECDEC_OK;
}

SecdecStatus secdec_license_read_file(const char *path, SecdecLicense **out)
{
    if (!path || !out)
        return SECDEC_E_INVALIDARG;
    uint8_t *data;
    size_t size;
    if (sd_read_file(path, LIC_MAX_FILE + 1, &data, &size) != 0)
        return errno == EFBIG ? SECDEC_E_LICENSE_INVALID : SECDEC_E_IO;
    SecdecStatus st = secdec_license_parse(data, size, out);
    free(data);
    return st;
}

void secdec_license_free(SecdecLicense **license)
{
    if (!license || !*license)
        return;
    free((*license)->bytes);
    free(*license);
    *license = NULL;
}

size_t secdec_license_get_key_count(const SecdecLicense *license)
{
    return license ? license->n_keys : 0;
}

SecdecStatus secdec_license_get_kid(const SecdecLicense *license, size_t index,
                                    uint8_t kid[SECDEC_KID_SIZE])
{
    if (!license || !kid || index >= license->n_keys)
        return SECDEC_E_INVALIDARG;
    memcpy(kid, license->bytes + LIC_OFF_ENTRIES + index * LIC_ENTRY, SECDEC_KID_SIZE);
    return SECDEC_OK;
}

int secdec_license_has_kid(const SecdecLicense *license, const uint8_t kid[SECDEC_KID_SIZE])
{
    if (!license || !kid)
        return 0;
    for (size_t i = 0; i < license->n_keys; i++)
        if (memcmp(license->bytes + LIC_OFF_ENTRIES + i * LIC_ENTRY, kid, SECDEC_KID_SIZE) == 0)
            return 1;
    return 0;
}

SecdecStatus secdec_license_get_certificate_fingerprint(const SecdecLicense *license,
                                                        uint8_t fp[32])
{
    if (!license || !fp)
        return SECDEC_E_INVALIDARG;
    memcpy(fp, license->bytes + LIC_OFF_FP, 32);
    return SECDEC_OK;
}

SecdecStatus secdec_license_get_oaep_hash(const SecdecLicense *license, SecdecOaepHash *hash)
{
    if (!license || !hash)
        return SECDEC_E_INVALIDARG;
    *hash = license->hash;
    return SECDEC_OK;
}

SecdecStatus secdec_license_get_key_exchange_blob(const SecdecLicense *license,
                                                  const uint8_t **blob)
{
    if (!license || !blob)
        return SECDEC_E_INVALIDARG;
    *blob = license->bytes + LIC_OFF_BLOB;
    return SECDEC_OK;
}

SecdecStatus secdec_license_get_wrapped_key(const SecdecLicense *license, size_t index,
                                            uint8_t kid[SECDEC_KID_SIZE],
                                            uint8_t wrapped[SECDEC_KEY_SIZE])
{
    if (!license || !kid || !wrapped || index >= license->n_keys)
        return SECDEC_E_INVALIDARG;
    const uint8_t *e = license->bytes + LIC_OFF_ENTRIES + index * LIC_ENTRY;
    memcpy(kid, e, SECDEC_KID_SIZE);
    memcpy(wrapped, e + SECDEC_KID_SIZE, SECDEC_KEY_SIZE);
    return SECDEC_OK;
}

SecdecStatus secdec_license_get_bytes(const SecdecLicense *license, const uint8_t **data,
                                      size_t *size)
{
    if (!license || !data || !size)
        return SECDEC_E_INVALIDARG;
    *data = license->bytes;
    *size = license->size;
    return SECDEC_OK;
}

SecdecStatus secdec_license_load(SecdecDevice *device, SecdecCryptoSession *session,
                                 const SecdecLicense *license)
{
    SecdecStatus st = sd_session_check(device, session);
    if (st != SECDEC_OK)
        return st;
    if (!license)
        return SECDEC_E_INVALIDARG;
    uint8_t fp[32];
    st = secdec_device_get_certificate_fingerprint(device, fp);
    if (st != SECDEC_OK)
        return st;
    if (memcmp(fp, license->bytes + LIC_OFF_FP, 32) != 0)
        return SECDEC_E_LICENSE_FOREIGN;

    /* The Direct3D flow, through the public API. */
    uint8_t blob[SECDEC_KEY_EXCHANGE_OAEP_SIZE];
    memcpy(blob, license->bytes + LIC_OFF_BLOB, sizeof(blob));
    st = secdec_crypto_session_set_oaep_hash(device, session, license->hash);
    if (st == SECDEC_OK)
        st = secdec_negotiate_crypto_session_key_exchange(device, session, sizeof(blob), blob);
    if (st != SECDEC_OK)
        return st;
    size_t body = license->size - LIC_MAC;
    st = sd_session_mac(session, SD_LICENSE_MAC_LABEL, license->bytes, body,
                        license->bytes + body, NULL);
    if (st != SECDEC_OK) {
        sd_session_reset_key(session);
        return st;
    }
    for (size_t i = 0; i < license->n_keys; i++) {
        const uint8_t *e = license->bytes + LIC_OFF_ENTRIES + i * LIC_ENTRY;
        st = secdec_crypto_session_set_content_key(device, session, e, SECDEC_KEY_SIZE, e + 16);
        if (st != SECDEC_OK)
            return st;
    }
    return SECDEC_OK;
}
