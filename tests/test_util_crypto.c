/*
 * test_util_crypto.c - the test helpers that need only OpenSSL and Check (no libsecdec):
 * RSAES-OAEP wrapping to a certificate's key, AES-128-ECB key wrapping, random bytes, KIDs.
 * Linked by the unit tests and by the VA driver tests (tests/vadriver).
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "test_util.h"

#include <string.h>

#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

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

int tu_oaep_encrypt_pkey(EVP_PKEY *pk, const EVP_MD *md, const uint8_t *msg, size_t msg_len,
                         uint8_t out[256])
{
    int ret = -1;
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
    return ret;
}

int tu_oaep_encrypt(const uint8_t *cert_der, size_t cert_size, const EVP_MD *md,
                    const uint8_t *msg, size_t msg_len, uint8_t out[256])
{
    EVP_PKEY *pk = tu_cert_pubkey(cert_der, cert_size);
    int ret = tu_oaep_encrypt_pkey(pk, md, msg, msg_len, out);
    EVP_PKEY_free(pk);
    return ret;
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
