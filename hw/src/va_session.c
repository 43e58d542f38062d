/*
 * va_session.c - the VA-API backend's crypto sessions: one VA protected
 * session each, the TEE calls of a session (certificate, RSAES-OAEP key exchange,
 * HW_PROTECTION pass-through, liveness, session-key refresh), the wrapped content keys per
 * KID, and the registry through which the public API (secdec_vaapi_session_get_display(),
 * secdec_vaapi_attach()/detach()) finds a session from the core's handle.
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "vaapi_internal.h"

/* The public API finds a module session from the core session's handle. */
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static SdBackendSession *registry;

SecdecStatus sd_va_session_create(SdBackendDevice *d, const SecdecGuid *crypto,
                                  const SecdecGuid *profile, const SecdecGuid *kx,
                                  uint64_t handle, SdBackendSession **out)
{
    bool ctr;
    SecdecStatus st = sd_va_check_pair(d, crypto, profile, true, &ctr);
    if (st != SECDEC_OK)
        return st;
    bool hwp = secdec_guid_equal(kx, &SECDEC_KEY_EXCHANGE_HW_PROTECTION);
    if (!hwp && !secdec_guid_equal(kx, &SECDEC_KEY_EXCHANGE_RSAES_OAEP))
        return SECDEC_E_NOTAVAILABLE;
    SdBackendSession *s = calloc(1, sizeof(*s));
    if (!s)
        return SECDEC_E_OUTOFMEMORY;
    s->dev = d;
    s->handle = handle;
    s->ctr = ctr;
    s->hw_protection = hwp;
    pthread_mutex_lock(&d->lock);
    st = sd_va_pc_session_new(d, ctr, &s->config, &s->ps);
    pthread_mutex_unlock(&d->lock);
    if (st != SECDEC_OK) {
        free(s);
        return st;
    }
    pthread_mutex_init(&s->lock, NULL);
    pthread_mutex_lock(&registry_lock);
    s->next = registry;
    registry = s;
    pthread_mutex_unlock(&registry_lock);
    *out = s;
    return SECDEC_OK;
}

void sd_va_session_destroy(SdBackendSession *s)
{
    pthread_mutex_lock(&registry_lock);
    for (SdBackendSession **p = &registry; *p; p = &(*p)->next)
        if (*p == s) {
            *p = s->next;
            break;
        }
    pthread_mutex_unlock(&registry_lock);
    pthread_mutex_lock(&s->dev->lock);
    vaDestroyProtectedSession(s->dev->dpy, s->ps);
    vaDestroyConfig(s->dev->dpy, s->config);
    pthread_mutex_unlock(&s->dev->lock);
    free(s->keys);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

static SecdecStatus exec(SdBackendSession *s, uint32_t func, const void *in, uint32_t in_size,
                         void *out, uint32_t out_cap, uint32_t *out_size, uint32_t *tee)
{
    pthread_mutex_lock(&s->dev->lock);
    SecdecStatus st = sd_va_tee_exec(&s->dev->log, s->dev->dpy, s->ps, func, in, in_size, out,
                                     out_cap, out_size, tee);
    pthread_mutex_unlock(&s->dev->lock);
    return st;
}

SecdecStatus sd_va_session_certificate(SdBackendSession *s, uint32_t *size, uint8_t *buf)
{
    if (s->hw_protection)
        return SECDEC_E_NOTAVAILABLE;
    uint8_t *tmp = malloc(MAX_CERT);
    if (!tmp)
        return SECDEC_E_OUTOFMEMORY;
    uint32_t n = 0, tee = 0;
    SecdecStatus st = exec(s, SECDEC_VA_TEE_FUNC_GET_CERTIFICATE, NULL, 0, tmp, MAX_CERT, &n, &tee);
    if (st == SECDEC_OK)
        st = sd_va_tee_status(tee);
    if (st == SECDEC_OK && (n == 0 || n > MAX_CERT))
        st = SECDEC_E_NOTAVAILABLE;
    if (st == SECDEC_OK) {
        if (!buf)
            *size = n;
        else if (*size < n)
            st = SECDEC_E_INVALIDARG;
        else
            memcpy(buf, tmp, n);
    }
    free(tmp);
    return st;
}

SecdecStatus sd_va_negotiate(SdBackendSession *s, SecdecOaepHash hash, uint32_t size, void *data)
{
    uint32_t tee = 0;
    SecdecStatus st;
    if (s->hw_protection) {
        if (size != sizeof(SecdecVaapiHwProtectionData))
            return SECDEC_E_INVALIDARG;
        SecdecVaapiHwProtectionData *h = data;
        if ((h->input_size && !h->input) || (h->output_capacity && !h->output))
            return SECDEC_E_INVALIDARG;
        uint32_t func = h->function_id ? h->function_id : SECDEC_VA_TEE_FUNC_HW_PROTECTION;
        uint32_t n = 0;
        st = exec(s, func, h->input, h->input_size, h->output, h->output_capacity, &n, &tee);
        if (st != SECDEC_OK)
            return st;
        h->status = tee;
        h->output_size = n;
        /* Only secdec's own function has statuses secdec knows; vendor ones are the caller's. */
        return func == SECDEC_VA_TEE_FUNC_HW_PROTECTION ? sd_va_tee_status(tee) : SECDEC_OK;
    }
    if (size != SECDEC_KEY_EXCHANGE_OAEP_SIZE)
        return SECDEC_E_INVALIDARG;
    SecdecVaTeeKeyExchange kx;
    memset(&kx, 0, sizeof(kx));
    kx.oaep_hash = (uint32_t)hash;
    kx.blob_size = sizeof(kx.blob);
    memcpy(kx.blob, data, sizeof(kx.blob));
    st = exec(s, SECDEC_VA_TEE_FUNC_KEY_EXCHANGE, &kx, sizeof(kx), NULL, 0, NULL, &tee);
    return st != SECDEC_OK ? st : sd_va_tee_status(tee);
}

/* Caller holds s->lock. */
static KeyEntry *find_key(SdBackendSession *s, const uint8_t kid[SECDEC_KID_SIZE])
{
    for (size_t i = 0; i < s->n_keys; i++)
        if (memcmp(s->keys[i].kid, kid, SECDEC_KID_SIZE) == 0)
            return &s->keys[i];
    return NULL;
}

SecdecStatus sd_va_set_content_key(SdBackendSession *s, const uint8_t kid[SECDEC_KID_SIZE],
                                   uint32_t key_size, const void *key)
{
    /* The TEE checks that the session is alive and has a session key (as software does). */
    uint8_t wrapped[16] = {0};
    if (key_size)
        memcpy(wrapped, key, 16);
    uint32_t tee = 0;
    SecdecStatus st = exec(s, SECDEC_VA_TEE_FUNC_CHECK_WRAPPED_KEY, wrapped, 16, NULL, 0, NULL, &tee);
    if (st == SECDEC_OK)
        st = sd_va_tee_status(tee);
    if (st != SECDEC_OK)
        return st;
    pthread_mutex_lock(&s->lock);
    KeyEntry *e = find_key(s, kid);
    if (!e) {
        KeyEntry *k = realloc(s->keys, (s->n_keys + 1) * sizeof(*k));
        if (!k) {
            pthread_mutex_unlock(&s->lock);
            return SECDEC_E_OUTOFMEMORY;
        }
        s->keys = k;
        e = &k[s->n_keys++];
        memcpy(e->kid, kid, SECDEC_KID_SIZE);
    }
    memcpy(e->wrapped, wrapped, 16);
    e->clear = key_size == 0;
    pthread_mutex_unlock(&s->lock);
    return SECDEC_OK;
}

SecdecStatus sd_va_remove_content_key(SdBackendSession *s, const uint8_t kid[SECDEC_KID_SIZE])
{
    pthread_mutex_lock(&s->lock);
    KeyEntry *e = find_key(s, kid);
    if (e)
        *e = s->keys[--s->n_keys];
    pthread_mutex_unlock(&s->lock);
    return e ? SECDEC_OK : SECDEC_E_NO_KEY;
}

SecdecStatus sd_va_has_content_key(SdBackendSession *s, const uint8_t kid[SECDEC_KID_SIZE])
{
    pthread_mutex_lock(&s->lock);
    bool found = find_key(s, kid) != NULL;
    pthread_mutex_unlock(&s->lock);
    return found ? SECDEC_OK : SECDEC_E_NO_KEY;
}

SecdecStatus sd_va_session_status(SdBackendSession *s, SecdecCryptoSessionStatus *status)
{
    uint8_t alive = 0;
    uint32_t n = 0, tee = 0;
    SecdecStatus st = exec(s, SECDEC_VA_TEE_FUNC_IS_SESSION_ALIVE, NULL, 0, &alive, 1, &n, &tee);
    if (st != SECDEC_OK)
        return st;
    if (tee != SECDEC_VA_TEE_STATUS_OK || n != 1)
        return SECDEC_E_NOTAVAILABLE;
    *status = alive == SECDEC_VA_TEE_SESSION_ALIVE ? SECDEC_SESSION_STATUS_OK
                                                   : SECDEC_SESSION_STATUS_KEY_LOST;
    return SECDEC_OK;
}

SecdecStatus sd_va_refresh_start(SdBackendSession *s, uint8_t random[SECDEC_KEY_SIZE])
{
    if (s->hw_protection)
        return SECDEC_E_NOTAVAILABLE; /* the vendor DRM component owns that session's keys */
    uint8_t r[SECDEC_KEY_SIZE];
    uint32_t n = 0, tee = 0;
    SecdecStatus st = exec(s, SECDEC_VA_TEE_FUNC_START_KEY_REFRESH, NULL, 0, r, sizeof(r), &n,
                           &tee);
    if (st == SECDEC_OK)
        st = sd_va_tee_status(tee);
    if (st == SECDEC_OK && n != sizeof(r))
        st = SECDEC_E_NOTAVAILABLE;
    if (st == SECDEC_OK)
        memcpy(random, r, sizeof(r));
    return st;
}

/* The TEE switches the session key and re-wraps the installed content keys; s->lock is held
 * across the call so that no key is installed with the old session key meanwhile. A frame
 * whose encryption parameters were built before the switch fails: refresh between frames. */
SecdecStatus sd_va_refresh_finish(SdBackendSession *s)
{
    if (s->hw_protection)
        return SECDEC_E_NOTAVAILABLE;
    pthread_mutex_lock(&s->lock);
    size_t n = 0;
    for (size_t i = 0; i < s->n_keys; i++)
        n += !s->keys[i].clear;
    if (n > 256) {
        pthread_mutex_unlock(&s->lock);
        return SECDEC_E_INVALIDARG;
    }
    uint8_t *blobs = malloc(n ? 32 * n : 1), *rewrapped = blobs + 16 * n;
    if (!blobs) {
        pthread_mutex_unlock(&s->lock);
        return SECDEC_E_OUTOFMEMORY;
    }
    for (size_t i = 0, k = 0; i < s->n_keys; i++)
        if (!s->keys[i].clear)
            memcpy(blobs + 16 * k++, s->keys[i].wrapped, 16);
    uint32_t out = 0, tee = 0;
    SecdecStatus st = exec(s, SECDEC_VA_TEE_FUNC_FINISH_KEY_REFRESH, n ? blobs : NULL,
                           (uint32_t)(16 * n), n ? rewrapped : NULL, (uint32_t)(16 * n), &out,
                           &tee);
    if (st == SECDEC_OK)
        st = sd_va_tee_status(tee);
    if (st == SECDEC_OK && out != 16 * n)
        st = SECDEC_E_NOTAVAILABLE;
    if (st == SECDEC_OK)
        for (size_t i = 0, k = 0; i < s->n_keys; i++)
            if (!s->keys[i].clear)
                memcpy(s->keys[i].wrapped, rewrapped + 16 * k++, 16);
    pthread_mutex_unlock(&s->lock);
    free(blobs);
    return st;
}

/* ---- public API (secdec/vaapi.h) ---------------------------------------------------------- */

/* Finds the module session of (device, session); the core validates the pair. The registry
 * lock is held on success: call session_put(). */
static SecdecStatus session_get(SecdecDevice *device, SecdecCryptoSession *session,
                                SdBackendSession **out)
{
    uint64_t handle;
    SecdecStatus st = secdec_crypto_session_get_handle(device, session, &handle);
    if (st != SECDEC_OK)
        return st;
    pthread_mutex_lock(&registry_lock);
    for (SdBackendSession *s = registry; s; s = s->next)
        if (s->handle == handle) {
            *out = s;
            return SECDEC_OK;
        }
    pthread_mutex_unlock(&registry_lock);
    return SECDEC_E_NOTAVAILABLE;
}

static void session_put(void)
{
    pthread_mutex_unlock(&registry_lock);
}

SecdecStatus secdec_vaapi_session_get_display(SecdecDevice *device, SecdecCryptoSession *session,
                                              VADisplay *display,
                                              VAProtectedSessionID *protected_session)
{
    if (!display || !protected_session)
        return SECDEC_E_INVALIDARG;
    SdBackendSession *s;
    SecdecStatus st = session_get(device, session, &s);
    if (st != SECDEC_OK)
        return st;
    *display = s->dev->dpy;
    *protected_session = s->ps;
    session_put();
    return SECDEC_OK;
}

static SecdecStatus attach_detach(SecdecDevice *device, SecdecCryptoSession *session,
                                  VAContextID context, bool attach)
{
    SdBackendSession *s;
    SecdecStatus st = session_get(device, session, &s);
    if (st != SECDEC_OK)
        return st;
    pthread_mutex_lock(&s->dev->lock);
    VAStatus vst = attach ? vaAttachProtectedSession(s->dev->dpy, context, s->ps)
                          : vaDetachProtectedSession(s->dev->dpy, context);
    pthread_mutex_unlock(&s->dev->lock);
    if (vst != VA_STATUS_SUCCESS) {
        sd_log(&s->dev->log, SECDEC_LOG_ERROR, "va%sProtectedSession: %s",
             attach ? "Attach" : "Detach", vaErrorStr(vst));
        st = vst == VA_STATUS_ERROR_INVALID_CONTEXT ? SECDEC_E_INVALIDARG : sd_va_status(vst);
    }
    session_put();
    return st;
}

SecdecStatus secdec_vaapi_attach(SecdecDevice *device, SecdecCryptoSession *session,
                                 VAContextID context)
{
    return attach_detach(device, session, context, true);
}

SecdecStatus secdec_vaapi_detach(SecdecDevice *device, SecdecCryptoSession *session,
                                 VAContextID context)
{
    return attach_detach(device, session, context, false);
}

SecdecStatus sd_va_session_content_key(SecdecDevice *device, SecdecCryptoSession *session,
                                       const uint8_t kid[SECDEC_KID_SIZE], uint8_t wrapped[16],
                                       bool *clear, bool *ctr)
{
    SdBackendSession *s;
    SecdecStatus st = session_get(device, session, &s);
    if (st != SECDEC_OK)
        return st;
    pthread_mutex_lock(&s->lock);
    KeyEntry *e = find_key(s, kid);
    if (e) {
        memcpy(wrapped, e->wrapped, 16);
        *clear = e->clear;
    }
    pthread_mutex_unlock(&s->lock);
    *ctr = s->ctr;
    session_put();
    return e ? SECDEC_OK : SECDEC_E_NO_KEY;
}
