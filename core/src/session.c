/*
 * session.c - SecdecCryptoSession: CreateCryptoSession, certificate, RSAES-OAEP key exchange,
 * session-key refresh, session status and content keys (DecoderBeginFrame semantics).
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include "backend.h"
#include "protected_pool.h"
#include "session.h"

#define CANARY 0x5ecdec5e55105e5eULL

static atomic_uint_fast64_t next_handle = 1;

const EVP_MD *sd_oaep_md(SecdecOaepHash hash)
{
    switch (hash) {
    case SECDEC_OAEP_SHA512: return EVP_sha512();
    case SECDEC_OAEP_SHA256: return EVP_sha256();
    case SECDEC_OAEP_SHA1: return EVP_sha1();
    }
    return NULL;
}

SecdecStatus sd_session_check(SecdecDevice *dev, SecdecCryptoSession *s)
{
    if (!dev || !s)
        return SECDEC_E_INVALIDARG;
    if (s->device != dev)
        return SECDEC_E_WRONG_DEVICE;
    if (atomic_load(&dev->closed))
        return SECDEC_E_DEVICE_REMOVED;
    return SECDEC_OK;
}

bool sd_session_alive(const SecdecCryptoSession *s)
{
    return s->sec->canary == CANARY;
}

SecdecStatus secdec_create_crypto_session(SecdecDevice *device, const SecdecGuid *crypto_type,
                                          const SecdecGuid *decoder_profile,
                                          const SecdecGuid *key_exchange_type,
                                          SecdecCryptoSession **out)
{
    if (!device || !crypto_type || !key_exchange_type || !out)
        return SECDEC_E_INVALIDARG;
    if (atomic_load(&device->closed))
        return SECDEC_E_DEVICE_REMOVED;
    /* A hardware backend answers the CreateCryptoSession checks itself (backend.h). */
    SecdecStatus st = device->hw ? SECDEC_OK
                                 : sd_caps_check(device->backend, crypto_type, decoder_profile,
                                                 key_exchange_type);
    if (st != SECDEC_OK)
        return st;

    SecdecCryptoSession *s = sd_calloc(1, sizeof(*s));
    if (!s)
        return SECDEC_E_OUTOFMEMORY;
    s->handle = atomic_fetch_add(&next_handle, 1);
    if (device->hw) {
        st = device->hw->session_create(device->hw_dev, crypto_type, decoder_profile,
                                        key_exchange_type, s->handle, &s->hw);
        if (st != SECDEC_OK) {
            free(s);
            return st;
        }
    }
    st = sd_secmem_alloc(&s->secret_mem, sizeof(SdSessionSecrets), device->allow_unlocked);
    if (st != SECDEC_OK) {
        if (s->hw)
            device->hw->session_destroy(s->hw);
        free(s);
        return st;
    }
    /* Writer-preferring: with glibc's default (readers first) a steady stream of readers
     * (has_content_key, MAC checks, decrypt key lookups from several threads) can starve a
     * key install or refresh for seconds. Nothing takes s->lock for reading recursively. */
    pthread_rwlockattr_t rwattr;
    pthread_rwlockattr_init(&rwattr);
    pthread_rwlockattr_setkind_np(&rwattr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    int rw_err = pthread_rwlock_init(&s->lock, &rwattr);
    pthread_rwlockattr_destroy(&rwattr);
    if (rw_err != 0) {
        if (s->hw)
            device->hw->session_destroy(s->hw);
        sd_secmem_free(&s->secret_mem);
        free(s);
        return SECDEC_E_OUTOFMEMORY;
    }
    if (pthread_mutex_init(&s->kx_lock, NULL) != 0) {
        if (s->hw)
            device->hw->session_destroy(s->hw);
        pthread_rwlock_destroy(&s->lock);
        sd_secmem_free(&s->secret_mem);
        free(s);
        return SECDEC_E_OUTOFMEMORY;
    }
    s->dec_ctx = sd_fault_alloc_should_fail() ? NULL : EVP_CIPHER_CTX_new();
    if (!s->dec_ctx || pthread_mutex_init(&s->dec_lock, NULL) != 0) {
        EVP_CIPHER_CTX_free(s->dec_ctx);
        if (s->hw)
            device->hw->session_destroy(s->hw);
        pthread_mutex_destroy(&s->kx_lock);
        pthread_rwlock_destroy(&s->lock);
        sd_secmem_free(&s->secret_mem);
        free(s);
        return SECDEC_E_OUTOFMEMORY;
    }
    s->sec = s->secret_mem.ptr;
    s->sec->canary = CANARY;
    s->crypto_type = *crypto_type;
    s->decoder_profile = decoder_profile ? *decoder_profile : SECDEC_GUID_NULL;
    s->key_exchange = *key_exchange_type;
    s->oaep = SECDEC_OAEP_SHA512;
    s->device = device;
    sd_device_ref(device);
    *out = s;
    return SECDEC_OK;
}

void secdec_crypto_session_destroy(SecdecCryptoSession **session)
{
    if (!session || !*session)
        return;
    SecdecCryptoSession *s = *session;
    *session = NULL;
    if (s->hw)
        s->device->hw->session_destroy(s->hw);
    EVP_CIPHER_CTX_free(s->dec_ctx); /* cleanses the cached key schedule */
    pthread_mutex_destroy(&s->dec_lock);
    sd_secmem_free(&s->keytab_mem);
    sd_secmem_free(&s->secret_mem);
    pthread_mutex_destroy(&s->kx_lock);
    pthread_rwlock_destroy(&s->lock);
    SecdecDevice *dev = s->device;
    free(s);
    sd_device_unref(dev);
}

#define SESSION_PROLOGUE(dev, s)                                                                  \
    do {                                                                                          \
        SecdecStatus check_ = sd_session_check(dev, s);                                           \
        if (check_ != SECDEC_OK)                                                                  \
            return check_;                                                                        \
    } while (0)

SecdecStatus secdec_crypto_session_get_crypto_type(SecdecDevice *device,
                                                   SecdecCryptoSession *session, SecdecGuid *out)
{
    SESSION_PROLOGUE(device, session);
    if (!out)
        return SECDEC_E_INVALIDARG;
    *out = session->crypto_type;
    return SECDEC_OK;
}

SecdecStatus secdec_crypto_session_get_decoder_profile(SecdecDevice *device,
                                                       SecdecCryptoSession *session,
                                                       SecdecGuid *out)
{
    SESSION_PROLOGUE(device, session);
    if (!out)
        return SECDEC_E_INVALIDARG;
    *out = session->decoder_profile;
    return SECDEC_OK;
}

SecdecStatus secdec_crypto_session_get_key_exchange_type(SecdecDevice *device,
                                                         SecdecCryptoSession *session,
                                                         SecdecGuid *out)
{
    SESSION_PROLOGUE(device, session);
    if (!out)
        return SECDEC_E_INVALIDARG;
    *out = session->key_exchange;
    return SECDEC_OK;
}

SecdecStatus secdec_crypto_session_get_handle(SecdecDevice *device, SecdecCryptoSession *session,
                                              uint64_t *handle)
{
    SESSION_PROLOGUE(device, session);
    if (!handle)
        return SECDEC_E_INVALIDARG;
    *handle = session->handle;
    return SECDEC_OK;
}

static bool uses_certificate(const SecdecCryptoSession *s)
{
    return secdec_guid_equal(&s->key_exchange, &SECDEC_KEY_EXCHANGE_RSAES_OAEP);
}

SecdecStatus secdec_crypto_session_get_certificate_size(SecdecDevice *device,
                                                        SecdecCryptoSession *session,
                                                        uint32_t *size)
{
    SESSION_PROLOGUE(device, session);
    if (!size)
        return SECDEC_E_INVALIDARG;
    if (session->hw)
        return device->hw->session_certificate(session->hw, size, NULL);
    if (!uses_certificate(session))
        return SECDEC_E_NOTAVAILABLE;
    *size = (uint32_t)device->cert_size;
    return SECDEC_OK;
}

SecdecStatus secdec_crypto_session_get_certificate(SecdecDevice *device,
                                                   SecdecCryptoSession *session, uint32_t size,
                                                   uint8_t *buf)
{
    SESSION_PROLOGUE(device, session);
    if (session->hw)
        return buf ? device->hw->session_certificate(session->hw, &size, buf)
                   : SECDEC_E_INVALIDARG;
    if (!buf || size < device->cert_size)
        return SECDEC_E_INVALIDARG;
    if (!uses_certificate(session))
        return SECDEC_E_NOTAVAILABLE;
    memcpy(buf, device->cert_der, device->cert_size);
    return SECDEC_OK;
}

SecdecStatus secdec_crypto_session_set_oaep_hash(SecdecDevice *device,
                                                 SecdecCryptoSession *session,
                                                 SecdecOaepHash hash)
{
    SESSION_PROLOGUE(device, session);
    if (!sd_oaep_md(hash))
        return SECDEC_E_INVALIDARG;
    pthread_mutex_lock(&session->kx_lock);
    session->oaep = hash;
    pthread_mutex_unlock(&session->kx_lock);
    return SECDEC_OK;
}

/* Constant-time helpers: all ones when the condition holds, else zero. */
static unsigned ct_eq_size(size_t a, size_t b)
{
    size_t x = a ^ b;
    /* x == 0 <=> (x | -x) has its top bit clear */
    return (unsigned)(((x | (0 - x)) >> (sizeof(size_t) * 8 - 1)) - 1) & 0xffu;
}

static unsigned ct_eq_int(int a, int b)
{
    return ct_eq_size((size_t)(unsigned)a, (size_t)(unsigned)b);
}

SecdecStatus secdec_negotiate_crypto_session_key_exchange(SecdecDevice *device,
                                                          SecdecCryptoSession *session,
                                                          uint32_t size, void *data)
{
    SESSION_PROLOGUE(device, session);
    if (session->hw) { /* the TEE unwraps (RSAES-OAEP) or receives (HW_PROTECTION) the data */
        if (!data)
            return SECDEC_E_INVALIDARG;
        pthread_mutex_lock(&session->kx_lock);
        SecdecOaepHash hash = session->oaep;
        pthread_mutex_unlock(&session->kx_lock);
        return device->hw->negotiate(session->hw, hash, size, data);
    }
    if (!data || size != SECDEC_KEY_EXCHANGE_OAEP_SIZE)
        return SECDEC_E_INVALIDARG;
    if (!uses_certificate(session))
        return SECDEC_E_NOTAVAILABLE;

    SecdecStatus st = SECDEC_OK;
    pthread_mutex_lock(&session->kx_lock);
    SdSessionSecrets *sec = session->sec;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, device->pkey, NULL);
    const EVP_MD *md = sd_oaep_md(session->oaep);
    if (!ctx || EVP_PKEY_decrypt_init(ctx) != 1 ||
        EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) != 1 ||
        EVP_PKEY_CTX_set_rsa_oaep_md(ctx, md) != 1 || EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, md) != 1) {
        st = SECDEC_E_OUTOFMEMORY;
        goto out;
    }
    /* The decrypted key lands in locked memory. Whatever goes wrong (padding, length), the
     * same work follows and one status comes back: no padding oracle. */
    size_t outlen = sizeof(sec->kx_scratch);
    int r = EVP_PKEY_decrypt(ctx, sec->kx_scratch, &outlen, (const unsigned char *)data, size);
    unsigned ok = ct_eq_int(r, 1) & ct_eq_size(outlen, SECDEC_KEY_SIZE);
    uint8_t mask = (uint8_t)ok;

    pthread_rwlock_wrlock(&session->lock);
    for (size_t i = 0; i < SECDEC_KEY_SIZE; i++)
        sec->session_key[i] =
            (uint8_t)((sec->kx_scratch[i] & mask) | (sec->session_key[i] & (uint8_t)~mask));
    sec->has_session_key |= (uint8_t)(mask & 1u);
    sec->refresh_pending &= (uint8_t)~mask; /* a new key cancels a pending refresh */
    session->key_gen += mask & 1u;
    pthread_rwlock_unlock(&session->lock);
    OPENSSL_cleanse(sec->kx_scratch, sizeof(sec->kx_scratch));
    ERR_clear_error(); /* nothing about the failure stays behind */
    st = mask ? SECDEC_OK : SECDEC_E_KEY_EXCHANGE;
out:
    EVP_PKEY_CTX_free(ctx);
    pthread_mutex_unlock(&session->kx_lock);
    return st;
}

SecdecStatus secdec_start_session_key_refresh(SecdecDevice *device, SecdecCryptoSession *session,
                                              uint32_t size, void *random)
{
    SESSION_PROLOGUE(device, session);
    if (!random || size != SECDEC_KEY_SIZE)
        return SECDEC_E_INVALIDARG;
    if (session->hw) /* the TEE draws the number and keeps it (hw/README.md) */
        return device->hw->refresh_start(session->hw, random);
    SecdecStatus st = SECDEC_OK;
    pthread_rwlock_wrlock(&session->lock);
    SdSessionSecrets *sec = session->sec;
    if (!sd_session_alive(session)) {
        st = SECDEC_E_KEY_LOST;
    } else if (!sec->has_session_key) {
        st = SECDEC_E_INVALIDCALL;
    } else if (RAND_priv_bytes(sec->refresh_random, SECDEC_KEY_SIZE) != 1) {
        st = SECDEC_E_OUTOFMEMORY;
    } else {
        sec->refresh_pending = 1;
        memcpy(random, sec->refresh_random, SECDEC_KEY_SIZE);
    }
    pthread_rwlock_unlock(&session->lock);
    return st;
}

SecdecStatus secdec_finish_session_key_refresh(SecdecDevice *device, SecdecCryptoSession *session)
{
    SESSION_PROLOGUE(device, session);
    if (session->hw)
        return device->hw->refresh_finish(session->hw);
    SecdecStatus st = SECDEC_OK;
    pthread_rwlock_wrlock(&session->lock);
    SdSessionSecrets *sec = session->sec;
    if (!sd_session_alive(session)) {
        st = SECDEC_E_KEY_LOST;
    } else if (!sec->refresh_pending) {
        st = SECDEC_E_INVALIDCALL;
    } else {
        for (size_t i = 0; i < SECDEC_KEY_SIZE; i++)
            sec->session_key[i] ^= sec->refresh_random[i];
        OPENSSL_cleanse(sec->refresh_random, SECDEC_KEY_SIZE);
        sec->refresh_pending = 0;
        session->key_gen++;
    }
    pthread_rwlock_unlock(&session->lock);
    return st;
}

SecdecStatus secdec_check_crypto_session_status(SecdecDevice *device,
                                                SecdecCryptoSession *session,
                                                SecdecCryptoSessionStatus *status)
{
    SESSION_PROLOGUE(device, session);
    if (!status)
        return SECDEC_E_INVALIDARG;
    if (session->hw)
        return device->hw->status(session->hw, status);
    pthread_rwlock_rdlock(&session->lock);
    if (sd_session_alive(session))
        *status = SECDEC_SESSION_STATUS_OK;
    else if (sd_pool_outstanding(device->pool) > 0)
        *status = SECDEC_SESSION_STATUS_KEY_AND_CONTENT_LOST;
    else
        *status = SECDEC_SESSION_STATUS_KEY_LOST;
    pthread_rwlock_unlock(&session->lock);
    return SECDEC_OK;
}

/* ---- content keys ------------------------------------------------------------------------- */

/* Caller holds the lock. */
SdKeyEntry *sd_session_find_key(SecdecCryptoSession *s, const uint8_t kid[SECDEC_KID_SIZE])
{
    if (!sd_session_alive(s))
        return NULL;
    SdKeyEntry *tab = s->keytab_mem.ptr;
    for (size_t i = 0; i < s->n_keys; i++)
        if (memcmp(tab[i].kid, kid, SECDEC_KID_SIZE) == 0)
            return &tab[i];
    return NULL;
}

/* Caller holds the write lock. Makes room for one more entry. */
static SecdecStatus grow_keytab(SecdecCryptoSession *s)
{
    if (s->n_keys < s->cap_keys)
        return SECDEC_OK;
    size_t cap = s->cap_keys ? s->cap_keys * 2 : 64;
    if (cap > SIZE_MAX / sizeof(SdKeyEntry))
        return SECDEC_E_OUTOFMEMORY;
    SdSecmem mem;
    SecdecStatus st = sd_secmem_alloc(&mem, cap * sizeof(SdKeyEntry), s->device->allow_unlocked);
    if (st != SECDEC_OK)
        return st;
    if (s->n_keys)
        memcpy(mem.ptr, s->keytab_mem.ptr, s->n_keys * sizeof(SdKeyEntry));
    sd_secmem_free(&s->keytab_mem);
    s->keytab_mem = mem;
    s->cap_keys = cap;
    return SECDEC_OK;
}

static bool aes128_ecb_decrypt_block(const uint8_t key[16], const uint8_t in[16], uint8_t out[16])
{
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int len = 0;
    bool ok = ctx && EVP_DecryptInit_ex(ctx, EVP_aes_128_ecb(), NULL, key, NULL) == 1 &&
              EVP_CIPHER_CTX_set_padding(ctx, 0) == 1 &&
              EVP_DecryptUpdate(ctx, out, &len, in, 16) == 1 && len == 16;
    EVP_CIPHER_CTX_free(ctx); /* cleanses the key schedule */
    return ok;
}

SecdecStatus secdec_crypto_session_set_content_key(SecdecDevice *device,
                                                   SecdecCryptoSession *session,
                                                   const uint8_t kid[SECDEC_KID_SIZE],
                                                   uint32_t key_size, const void *key)
{
    SESSION_PROLOGUE(device, session);
    if (!kid || (key_size != 0 && key_size != SECDEC_KEY_SIZE) || (key_size == 0) != (key == NULL))
        return SECDEC_E_INVALIDARG;
    if (session->hw) /* stays wrapped: only the TEE holds the session key */
        return device->hw->set_content_key(session->hw, kid, key_size, key);
    SecdecStatus st = SECDEC_OK;
    pthread_rwlock_wrlock(&session->lock);
    SdSessionSecrets *sec = session->sec;
    if (!sd_session_alive(session)) {
        st = SECDEC_E_KEY_LOST;
        goto out;
    }
    if (!sec->has_session_key) {
        st = SECDEC_E_INVALIDCALL;
        goto out;
    }
    SdKeyKind kind;
    if (key_size == 0) {
        kind = SD_KEY_CLEAR;
    } else if (sd_ct_is_zero(key, SECDEC_KEY_SIZE)) {
        kind = SD_KEY_SESSION;
    } else if (aes128_ecb_decrypt_block(sec->session_key, key, sec->unwrap_scratch)) {
        kind = SD_KEY_CONTENT;
    } else {
        st = SECDEC_E_OUTOFMEMORY;
        goto out;
    }
    SdKeyEntry *e = sd_session_find_key(session, kid);
    if (!e) {
        st = grow_keytab(session);
        if (st != SECDEC_OK)
            goto out;
        e = &((SdKeyEntry *)session->keytab_mem.ptr)[session->n_keys++];
        memcpy(e->kid, kid, SECDEC_KID_SIZE);
    }
    if (kind == SD_KEY_CONTENT)
        memcpy(e->key, sec->unwrap_scratch, SECDEC_KEY_SIZE);
    else
        OPENSSL_cleanse(e->key, SECDEC_KEY_SIZE);
    e->kind = kind;
    session->key_gen++;
out:
    OPENSSL_cleanse(sec->unwrap_scratch, SECDEC_KEY_SIZE);
    ERR_clear_error();
    pthread_rwlock_unlock(&session->lock);
    return st;
}

SecdecStatus secdec_crypto_session_remove_content_key(SecdecDevice *device,
                                                      SecdecCryptoSession *session,
                                                      const uint8_t kid[SECDEC_KID_SIZE])
{
    SESSION_PROLOGUE(device, session);
    if (!kid)
        return SECDEC_E_INVALIDARG;
    if (session->hw)
        return device->hw->remove_content_key(session->hw, kid);
    SecdecStatus st = SECDEC_E_NO_KEY;
    pthread_rwlock_wrlock(&session->lock);
    SdKeyEntry *e = sd_session_find_key(session, kid);
    if (e) {
        SdKeyEntry *last = &((SdKeyEntry *)session->keytab_mem.ptr)[session->n_keys - 1];
        if (e != last)
            memcpy(e, last, sizeof(*e));
        OPENSSL_cleanse(last, sizeof(*last));
        session->n_keys--;
        session->key_gen++;
        st = SECDEC_OK;
    }
    pthread_rwlock_unlock(&session->lock);
    return st;
}

SecdecStatus secdec_crypto_session_has_content_key(SecdecDevice *device,
                                                   SecdecCryptoSession *session,
                                                   const uint8_t kid[SECDEC_KID_SIZE])
{
    SESSION_PROLOGUE(device, session);
    if (!kid)
        return SECDEC_E_INVALIDARG;
    if (session->hw)
        return device->hw->has_content_key(session->hw, kid);
    pthread_rwlock_rdlock(&session->lock);
    SecdecStatus st = sd_session_find_key(session, kid) ? SECDEC_OK : SECDEC_E_NO_KEY;
    pthread_rwlock_unlock(&session->lock);
    return st;
}

/* ---- MACs keyed from the session key ------------------------------------------------------ */

static SecdecStatus mac_from_key(const uint8_t *key, const char *label, const uint8_t *data,
                                 size_t len, uint8_t out[32])
{
    /* The derived MAC key is a secret too: keep it in OpenSSL's (locked) secure heap. */
    uint8_t *mk = OPENSSL_secure_malloc(32);
    size_t mlen = 0;
    SecdecStatus st = SECDEC_E_OUTOFMEMORY;
    if (mk && EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key, SECDEC_KEY_SIZE,
                        (const unsigned char *)label, strlen(label), mk, 32, &mlen) &&
        mlen == 32 &&
        EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, mk, 32, data, len, out, 32, &mlen) &&
        mlen == 32)
        st = SECDEC_OK;
    OPENSSL_secure_clear_free(mk, 32);
    ERR_clear_error();
    return st;
}

SecdecStatus sd_mac_with_key(const uint8_t key[SECDEC_KEY_SIZE], const char *label,
                             const uint8_t *data, size_t len, uint8_t out[32])
{
    return mac_from_key(key, label, data, len, out);
}

SecdecStatus sd_session_mac(SecdecCryptoSession *s, const char *label, const uint8_t *data,
                            size_t len, const uint8_t expected[32], uint8_t out[32])
{
    uint8_t mac[32];
    SecdecStatus st;
    if (s->hw)
        return SECDEC_E_NOTIMPL; /* the session key is inside the TEE (hw/README.md) */
    pthread_rwlock_rdlock(&s->lock);
    if (!sd_session_alive(s))
        st = SECDEC_E_KEY_LOST;
    else if (!s->sec->has_session_key)
        st = SECDEC_E_INVALIDCALL;
    else
        st = mac_from_key(s->sec->session_key, label, data, len, mac);
    pthread_rwlock_unlock(&s->lock);
    if (st != SECDEC_OK)
        return st;
    if (expected && CRYPTO_memcmp(mac, expected, 32) != 0)
        st = SECDEC_E_LICENSE_INVALID;
    if (out)
        memcpy(out, mac, 32);
    return st;
}

void sd_session_reset_key(SecdecCryptoSession *s)
{
    pthread_rwlock_wrlock(&s->lock);
    OPENSSL_cleanse(s->sec->session_key, SECDEC_KEY_SIZE);
    OPENSSL_cleanse(s->sec->refresh_random, SECDEC_KEY_SIZE);
    s->sec->has_session_key = 0;
    s->sec->refresh_pending = 0;
    s->key_gen++;
    pthread_rwlock_unlock(&s->lock);
}
