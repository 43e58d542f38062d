/*
 * drv_tee.c - the test VA driver's software TEE: its identity (RSA-2048
 * key + self-signed certificate, kept in $SECDEC_TEST_TEE_DIR when set) and
 * vaProtectedSessionExecute() speaking secdec's protocol (hw/include/secdec/va-tee.h):
 * certificate, RSAES-OAEP key exchange, liveness, wrapped-key check, HW_PROTECTION
 * pass-through, session-key refresh, test invalidation.
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "secdec/va-tee.h"

#include "drv_private.h"

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

/* ---- the TEE's functions ------------------------------------------------------------------ */

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

VAStatus t_ProtectedSessionExecute(VADriverContextP ctx, VAProtectedSessionID id,
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
