/*
 * vaapi_backend.c - libsecdec's VA-API backend (libsecdec-vaapi.so): devices are VA displays
 * with protected content, crypto sessions are VA protected sessions, the key exchange runs
 * in the driver's TEE through vaProtectedSessionExecute() (secdec/va-tee.h).
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <va/va.h>
#include <va/va_drm.h>

#include "backend.h"
#include "internal.h" /* sd_log(), SdLogger */
#include "secdec/va-tee.h"
#include "secdec/vaapi.h"
#include "va_headless.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_CERT 16384

/* ---- the decoder profiles, in secdec_known_decoder_profile() terms -------------------------- */

typedef struct ProfileMap {
    const SecdecGuid *guid;
    VAProfile va[3]; /* candidates, VAProfileNone terminated */
} ProfileMap;

/* Filled at run time: the GUIDs are objects exported by libsecdec. */
static ProfileMap g_maps[5];
static pthread_once_t g_maps_once = PTHREAD_ONCE_INIT;
static void maps_init(void)
{
    g_maps[0] = (ProfileMap){&SECDEC_DECODER_PROFILE_H264_VLD_NOFGT,
                             {VAProfileH264High, VAProfileH264Main, VAProfileH264ConstrainedBaseline}};
    g_maps[1] = (ProfileMap){&SECDEC_DECODER_PROFILE_HEVC_VLD_MAIN, {VAProfileHEVCMain, VAProfileNone}};
    g_maps[2] = (ProfileMap){&SECDEC_DECODER_PROFILE_HEVC_VLD_MAIN10, {VAProfileHEVCMain10, VAProfileNone}};
    g_maps[3] = (ProfileMap){&SECDEC_DECODER_PROFILE_VP9_VLD_PROFILE0, {VAProfileVP9Profile0, VAProfileNone}};
    g_maps[4] = (ProfileMap){&SECDEC_DECODER_PROFILE_AV1_VLD_PROFILE0, {VAProfileAV1Profile0, VAProfileNone}};
}

static int profile_index(const SecdecGuid *g)
{
    pthread_once(&g_maps_once, maps_init);
    for (size_t i = 0; i < N_ELEMS(g_maps); i++)
        if (secdec_guid_equal(g_maps[i].guid, g))
            return (int)i;
    return -1;
}

/* ---- probing a display -------------------------------------------------------------------- */

typedef struct Probe {
    bool pc;               /* VAProfileProtected / VAEntrypointProtectedContent */
    uint32_t modes;        /* VA_PC_CIPHER_MODE_* with AES-128 and subsample */
    uint32_t samples;
    uint32_t enc[5];       /* VA_ENCRYPTION_TYPE_* per g_maps entry */
    VAProfile va_profile[5];
} Probe;

static bool has_entrypoint(VADisplay dpy, VAProfile p, VAEntrypoint want)
{
    int max = vaMaxNumEntrypoints(dpy), n = 0;
    if (max <= 0)
        return false;
    VAEntrypoint *eps = calloc((size_t)max, sizeof(*eps));
    bool found = false;
    if (eps && vaQueryConfigEntrypoints(dpy, p, eps, &n) == VA_STATUS_SUCCESS)
        for (int i = 0; i < n; i++)
            found |= eps[i] == want;
    free(eps);
    return found;
}

static bool has_profile(const VAProfile *list, int n, VAProfile p)
{
    for (int i = 0; i < n; i++)
        if (list[i] == p)
            return true;
    return false;
}

static void probe(VADisplay dpy, Probe *pr)
{
    memset(pr, 0, sizeof(*pr));
    pthread_once(&g_maps_once, maps_init);
    int max = vaMaxNumProfiles(dpy), n = 0;
    VAProfile *profiles = max > 0 ? calloc((size_t)max, sizeof(*profiles)) : NULL;
    if (!profiles || vaQueryConfigProfiles(dpy, profiles, &n) != VA_STATUS_SUCCESS) {
        free(profiles);
        return;
    }
    if (has_profile(profiles, n, VAProfileProtected) &&
        has_entrypoint(dpy, VAProfileProtected, VAEntrypointProtectedContent)) {
        VAConfigAttrib a[5] = {
            {VAConfigAttribProtectedContentCipherAlgorithm, 0},
            {VAConfigAttribProtectedContentCipherBlockSize, 0},
            {VAConfigAttribProtectedContentCipherMode, 0},
            {VAConfigAttribProtectedContentCipherSampleType, 0},
            {VAConfigAttribProtectedContentUsage, 0},
        };
        if (vaGetConfigAttributes(dpy, VAProfileProtected, VAEntrypointProtectedContent, a, 5) ==
                VA_STATUS_SUCCESS &&
            a[0].value != VA_ATTRIB_NOT_SUPPORTED && (a[0].value & VA_PC_CIPHER_AES) &&
            a[1].value != VA_ATTRIB_NOT_SUPPORTED && (a[1].value & VA_PC_BLOCK_SIZE_128) &&
            a[2].value != VA_ATTRIB_NOT_SUPPORTED && a[3].value != VA_ATTRIB_NOT_SUPPORTED &&
            (a[3].value & VA_PC_SAMPLE_TYPE_SUBSAMPLE) && a[4].value != VA_ATTRIB_NOT_SUPPORTED) {
            pr->pc = true;
            pr->modes = a[2].value & (VA_PC_CIPHER_MODE_CTR | VA_PC_CIPHER_MODE_CBC);
            pr->samples = a[3].value;
        }
    }
    for (size_t m = 0; m < N_ELEMS(g_maps); m++) {
        pr->va_profile[m] = VAProfileNone;
        for (size_t k = 0; k < 3 && g_maps[m].va[k] != VAProfileNone; k++) {
            VAProfile p = g_maps[m].va[k];
            if (!has_profile(profiles, n, p) || !has_entrypoint(dpy, p, VAEntrypointVLD))
                continue;
            VAConfigAttrib a = {VAConfigAttribEncryption, 0};
            if (vaGetConfigAttributes(dpy, p, VAEntrypointVLD, &a, 1) != VA_STATUS_SUCCESS ||
                a.value == VA_ATTRIB_NOT_SUPPORTED)
                continue;
            uint32_t v = a.value & (VA_ENCRYPTION_TYPE_SUBSAMPLE_CTR |
                                    VA_ENCRYPTION_TYPE_SUBSAMPLE_CBC);
            if (v) {
                pr->enc[m] = v;
                pr->va_profile[m] = p;
                break;
            }
        }
    }
    free(profiles);
}

/* ---- devices and sessions ----------------------------------------------------------------- */

typedef struct KeyEntry {
    uint8_t kid[SECDEC_KID_SIZE];
    uint8_t wrapped[16]; /* all zero: the session key */
    bool clear;
} KeyEntry;

struct SdBackendDevice {
    SdLogger log;
    VADisplay dpy;
    bool own_dpy;
    int fd;
    Probe pr;
    uint8_t *cert;
    size_t cert_size;
    pthread_mutex_t lock; /* VA calls of protected sessions */
};

struct SdBackendSession {
    SdBackendDevice *dev;
    uint64_t handle;
    VAConfigID config;
    VAProtectedSessionID ps;
    bool ctr;
    bool hw_protection;
    pthread_mutex_t lock;
    KeyEntry *keys;
    size_t n_keys;
    SdBackendSession *next; /* registry */
};

/* The public API finds a module session from the core session's handle. */
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static SdBackendSession *registry;

static SecdecStatus va_to_status(VAStatus st)
{
    return st == VA_STATUS_ERROR_ALLOCATION_FAILED ? SECDEC_E_OUTOFMEMORY : SECDEC_E_NOTAVAILABLE;
}

static SecdecStatus tee_status(uint32_t s)
{
    switch (s) {
    case SECDEC_VA_TEE_STATUS_OK: return SECDEC_OK;
    case SECDEC_VA_TEE_STATUS_BAD_INPUT:
    case SECDEC_VA_TEE_STATUS_SHORT_BUFFER: return SECDEC_E_INVALIDARG;
    case SECDEC_VA_TEE_STATUS_KEY_EXCHANGE: return SECDEC_E_KEY_EXCHANGE;
    case SECDEC_VA_TEE_STATUS_NO_SESSION_KEY: return SECDEC_E_INVALIDCALL;
    case SECDEC_VA_TEE_STATUS_SESSION_LOST: return SECDEC_E_KEY_LOST;
    case SECDEC_VA_TEE_STATUS_NO_REFRESH: return SECDEC_E_INVALIDCALL;
    default: return SECDEC_E_NOTIMPL;
    }
}

/* One vaProtectedSessionExecute() round trip. *tee gets the TEE's status; the return value
 * says whether the command got there. */
static SecdecStatus tee_exec(const SdLogger *lg, VADisplay dpy, VAProtectedSessionID ps,
                             uint32_t func, const void *in, uint32_t in_size, void *out,
                             uint32_t out_cap, uint32_t *out_size, uint32_t *tee)
{
    VAProtectedSessionExecuteBuffer x;
    memset(&x, 0, sizeof(x));
    x.function_id = func;
    x.input.data = (void *)(uintptr_t)in;
    x.input.data_size = in_size;
    x.output.data = out;
    x.output.max_data_size = out_cap;
    VABufferID buf = VA_INVALID_ID;
    /* Exec buffers belong to the protected session, not to a context (va_prot.h). */
    VAStatus st = vaCreateBuffer(dpy, ps, VAProtectedSessionExecuteBufferType, sizeof(x), 1, &x,
                                 &buf);
    if (st == VA_STATUS_SUCCESS)
        st = vaProtectedSessionExecute(dpy, ps, buf);
    VAProtectedSessionExecuteBuffer *res = NULL;
    if (st == VA_STATUS_SUCCESS)
        st = vaMapBuffer(dpy, buf, (void **)&res);
    if (st == VA_STATUS_SUCCESS) {
        *tee = res->status;
        if (out_size)
            *out_size = res->output.data_size;
        vaUnmapBuffer(dpy, buf);
    }
    if (buf != VA_INVALID_ID)
        vaDestroyBuffer(dpy, buf);
    if (st != VA_STATUS_SUCCESS) {
        sd_log(lg, SECDEC_LOG_ERROR, "TEE function 0x%x: %s", func, vaErrorStr(st));
        return va_to_status(st);
    }
    return SECDEC_OK;
}

static SecdecStatus pc_session_new(SdBackendDevice *d, bool ctr, VAConfigID *cfg,
                                   VAProtectedSessionID *ps)
{
    VAConfigAttrib a[5] = {
        {VAConfigAttribProtectedContentCipherAlgorithm, VA_PC_CIPHER_AES},
        {VAConfigAttribProtectedContentCipherBlockSize, VA_PC_BLOCK_SIZE_128},
        {VAConfigAttribProtectedContentCipherMode, ctr ? VA_PC_CIPHER_MODE_CTR : VA_PC_CIPHER_MODE_CBC},
        {VAConfigAttribProtectedContentCipherSampleType, VA_PC_SAMPLE_TYPE_SUBSAMPLE},
        {VAConfigAttribProtectedContentUsage, VA_PC_USAGE_DEFAULT},
    };
    VAStatus st = vaCreateConfig(d->dpy, VAProfileProtected, VAEntrypointProtectedContent, a, 5, cfg);
    if (st != VA_STATUS_SUCCESS) {
        sd_log(&d->log, SECDEC_LOG_ERROR, "vaCreateConfig(VAProfileProtected): %s", vaErrorStr(st));
        return va_to_status(st);
    }
    st = vaCreateProtectedSession(d->dpy, *cfg, ps);
    if (st != VA_STATUS_SUCCESS) {
        sd_log(&d->log, SECDEC_LOG_ERROR, "vaCreateProtectedSession: %s", vaErrorStr(st));
        vaDestroyConfig(d->dpy, *cfg);
        return va_to_status(st);
    }
    return SECDEC_OK;
}

/* Fetches the TEE's certificate through a short-lived protected session. */
static SecdecStatus fetch_certificate(SdBackendDevice *d)
{
    VAConfigID cfg;
    VAProtectedSessionID ps;
    SecdecStatus st = pc_session_new(d, (d->pr.modes & VA_PC_CIPHER_MODE_CTR) != 0, &cfg, &ps);
    if (st != SECDEC_OK)
        return st;
    uint8_t *buf = malloc(MAX_CERT);
    uint32_t n = 0, tee = 0;
    st = buf ? tee_exec(&d->log, d->dpy, ps, SECDEC_VA_TEE_FUNC_GET_CERTIFICATE, NULL, 0, buf,
                        MAX_CERT, &n, &tee)
             : SECDEC_E_OUTOFMEMORY;
    if (st == SECDEC_OK && (tee != SECDEC_VA_TEE_STATUS_OK || n == 0 || n > MAX_CERT)) {
        sd_log(&d->log, SECDEC_LOG_WARNING,
             "the VA driver's TEE does not speak secdec's protocol (GET_CERTIFICATE status %u)",
             tee);
        st = SECDEC_E_NOTAVAILABLE;
    }
    if (st == SECDEC_OK) {
        d->cert = buf;
        d->cert_size = n;
        buf = NULL;
    }
    free(buf);
    vaDestroyProtectedSession(d->dpy, ps);
    vaDestroyConfig(d->dpy, cfg);
    return st;
}

static void quiet_cb(void *ctx, const char *msg)
{
}

static VADisplay open_display(const char *test_driver, const char *node, int *fd)
{
    VADisplay dpy = NULL;
    *fd = -1;
    if (test_driver) {
        dpy = sd_va_headless_display(test_driver);
    } else {
        *fd = open(node, O_RDWR | O_CLOEXEC);
        if (*fd < 0)
            return NULL;
        dpy = vaGetDisplayDRM(*fd);
    }
    if (!dpy) {
        if (*fd >= 0)
            close(*fd);
        *fd = -1;
        return NULL;
    }
    vaSetInfoCallback(dpy, quiet_cb, NULL);
    int major, minor;
    if (vaInitialize(dpy, &major, &minor) != VA_STATUS_SUCCESS) {
        vaTerminate(dpy);
        if (*fd >= 0)
            close(*fd);
        *fd = -1;
        return NULL;
    }
    return dpy;
}

static void close_display(VADisplay dpy, int fd)
{
    if (dpy)
        vaTerminate(dpy);
    if (fd >= 0)
        close(fd);
}

static bool usable(const Probe *pr)
{
    if (!pr->pc || !pr->modes)
        return false;
    for (size_t i = 0; i < N_ELEMS(pr->enc); i++)
        if (pr->enc[i])
            return true;
    return false;
}

static void dev_free(SdBackendDevice *d)
{
    if (!d)
        return;
    if (d->own_dpy)
        close_display(d->dpy, d->fd);
    free(d->cert);
    pthread_mutex_destroy(&d->lock);
    free(d);
}

static SecdecStatus b_open(const SdBackendOpenArgs *args, SdBackendDevice **out,
                           const uint8_t **cert, size_t *cert_size)
{
    SdBackendDevice *d = calloc(1, sizeof(*d));
    if (!d)
        return SECDEC_E_OUTOFMEMORY;
    pthread_mutex_init(&d->lock, NULL);
    d->log = (SdLogger){args->logger, args->logger_cookie, args->log_level};
    d->fd = -1;
    SecdecLogLevel miss = args->forced ? SECDEC_LOG_ERROR : SECDEC_LOG_INFO;
    const char *test_driver = getenv("SECDEC_VA_TEST_DRIVER");
    if (args->va_display) {
        d->dpy = args->va_display;
        probe(d->dpy, &d->pr);
    } else if (test_driver && *test_driver) {
        d->dpy = open_display(test_driver, NULL, &d->fd);
        d->own_dpy = d->dpy != NULL;
        if (d->dpy)
            probe(d->dpy, &d->pr);
    } else {
        for (int i = 128; i < 192 && !d->dpy; i++) {
            char node[64];
            snprintf(node, sizeof(node), "/dev/dri/renderD%d", i);
            if (access(node, F_OK) != 0)
                continue;
            int fd;
            VADisplay dpy = open_display(NULL, node, &fd);
            if (!dpy)
                continue;
            probe(dpy, &d->pr);
            if (usable(&d->pr)) {
                d->dpy = dpy;
                d->fd = fd;
                d->own_dpy = true;
            } else {
                sd_log(&d->log, SECDEC_LOG_INFO, "%s: no VA-API protected content", node);
                close_display(dpy, fd);
            }
        }
    }
    if (!d->dpy || !usable(&d->pr)) {
        sd_log(&d->log, miss, "no VA-API device with protected content (AES-128 subsample "
                            "decryption for a decode profile)");
        dev_free(d);
        return SECDEC_E_NOTAVAILABLE;
    }
    SecdecStatus st = fetch_certificate(d);
    if (st != SECDEC_OK) {
        dev_free(d);
        return st == SECDEC_E_OUTOFMEMORY ? st : SECDEC_E_NOTAVAILABLE;
    }
    sd_log(&d->log, SECDEC_LOG_INFO, "VA-API device: %s", vaQueryVendorString(d->dpy));
    *out = d;
    *cert = d->cert;
    *cert_size = d->cert_size;
    return SECDEC_OK;
}

static void b_close(SdBackendDevice *d)
{
    dev_free(d);
}

static bool is_null_guid(const SecdecGuid *g)
{
    return !g || secdec_guid_equal(g, &SECDEC_GUID_NULL);
}

/* CreateCryptoSession's checks. create: an unknown profile is UNSUPPORTEDCRYPTO (else
 * NOTAVAILABLE, GetContentProtectionCaps's rule). */
static SecdecStatus check_pair(SdBackendDevice *d, const SecdecGuid *crypto,
                               const SecdecGuid *profile, bool create, bool *ctr)
{
    if (is_null_guid(crypto))
        return SECDEC_E_NOTAVAILABLE;
    if (secdec_guid_equal(crypto, &SECDEC_CRYPTO_TYPE_AES128_CTR))
        *ctr = true;
    else if (secdec_guid_equal(crypto, &SECDEC_CRYPTO_TYPE_AES128_CBC))
        *ctr = false;
    else
        return SECDEC_E_NOTAVAILABLE;
    if (!(d->pr.modes & (*ctr ? VA_PC_CIPHER_MODE_CTR : VA_PC_CIPHER_MODE_CBC)))
        return SECDEC_E_NOTAVAILABLE;
    if (is_null_guid(profile))
        return SECDEC_OK;
    int i = profile_index(profile);
    if (i < 0)
        return create ? SECDEC_E_UNSUPPORTEDCRYPTO : SECDEC_E_NOTAVAILABLE;
    uint32_t need = *ctr ? VA_ENCRYPTION_TYPE_SUBSAMPLE_CTR : VA_ENCRYPTION_TYPE_SUBSAMPLE_CBC;
    return d->pr.enc[i] & need ? SECDEC_OK : SECDEC_E_UNSUPPORTEDCRYPTO;
}

static SecdecStatus b_caps(SdBackendDevice *d, const SecdecGuid *crypto, const SecdecGuid *profile,
                           SecdecContentProtectionCaps *caps, SecdecGuid kx[SD_BACKEND_MAX_KX])
{
    bool ctr;
    SecdecStatus st = check_pair(d, crypto, profile, false, &ctr);
    if (st != SECDEC_OK)
        return st;
    caps->caps = SECDEC_CAPS_HARDWARE | SECDEC_CAPS_CONTENT_KEY | SECDEC_CAPS_PARTIAL_DECRYPTION |
                 SECDEC_CAPS_ENCRYPT_SLICEDATA_ONLY | SECDEC_CAPS_HARDWARE_TEARDOWN |
                 SECDEC_CAPS_HARDWARE_DRM_COMMUNICATION | SECDEC_CAPS_FRESHEN_SESSION_KEY;
    if (ctr)
        caps->caps |= SECDEC_CAPS_SEQUENTIAL_CTR_IV;
    caps->key_exchange_type_count = 2;
    caps->block_alignment_size = 16;
    caps->protected_memory_size = 0; /* VA-API does not report it */
    kx[0] = SECDEC_KEY_EXCHANGE_RSAES_OAEP;
    kx[1] = SECDEC_KEY_EXCHANGE_HW_PROTECTION;
    return SECDEC_OK;
}

static SecdecStatus b_session_create(SdBackendDevice *d, const SecdecGuid *crypto,
                                     const SecdecGuid *profile, const SecdecGuid *kx,
                                     uint64_t handle, SdBackendSession **out)
{
    bool ctr;
    SecdecStatus st = check_pair(d, crypto, profile, true, &ctr);
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
    st = pc_session_new(d, ctr, &s->config, &s->ps);
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

static void b_session_destroy(SdBackendSession *s)
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
    SecdecStatus st = tee_exec(&s->dev->log, s->dev->dpy, s->ps, func, in, in_size, out, out_cap,
                               out_size, tee);
    pthread_mutex_unlock(&s->dev->lock);
    return st;
}

static SecdecStatus b_session_certificate(SdBackendSession *s, uint32_t *size, uint8_t *buf)
{
    if (s->hw_protection)
        return SECDEC_E_NOTAVAILABLE;
    uint8_t *tmp = malloc(MAX_CERT);
    if (!tmp)
        return SECDEC_E_OUTOFMEMORY;
    uint32_t n = 0, tee = 0;
    SecdecStatus st = exec(s, SECDEC_VA_TEE_FUNC_GET_CERTIFICATE, NULL, 0, tmp, MAX_CERT, &n, &tee);
    if (st == SECDEC_OK)
        st = tee_status(tee);
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

static SecdecStatus b_negotiate(SdBackendSession *s, SecdecOaepHash hash, uint32_t size, void *data)
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
        return func == SECDEC_VA_TEE_FUNC_HW_PROTECTION ? tee_status(tee) : SECDEC_OK;
    }
    if (size != SECDEC_KEY_EXCHANGE_OAEP_SIZE)
        return SECDEC_E_INVALIDARG;
    SecdecVaTeeKeyExchange kx;
    memset(&kx, 0, sizeof(kx));
    kx.oaep_hash = (uint32_t)hash;
    kx.blob_size = sizeof(kx.blob);
    memcpy(kx.blob, data, sizeof(kx.blob));
    st = exec(s, SECDEC_VA_TEE_FUNC_KEY_EXCHANGE, &kx, sizeof(kx), NULL, 0, NULL, &tee);
    return st != SECDEC_OK ? st : tee_status(tee);
}

/* Caller holds s->lock. */
static KeyEntry *find_key(SdBackendSession *s, const uint8_t kid[SECDEC_KID_SIZE])
{
    for (size_t i = 0; i < s->n_keys; i++)
        if (memcmp(s->keys[i].kid, kid, SECDEC_KID_SIZE) == 0)
            return &s->keys[i];
    return NULL;
}

static SecdecStatus b_set_content_key(SdBackendSession *s, const uint8_t kid[SECDEC_KID_SIZE],
                                      uint32_t key_size, const void *key)
{
    /* The TEE checks that the session is alive and has a session key (as software does). */
    uint8_t wrapped[16] = {0};
    if (key_size)
        memcpy(wrapped, key, 16);
    uint32_t tee = 0;
    SecdecStatus st = exec(s, SECDEC_VA_TEE_FUNC_CHECK_WRAPPED_KEY, wrapped, 16, NULL, 0, NULL, &tee);
    if (st == SECDEC_OK)
        st = tee_status(tee);
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

static SecdecStatus b_remove_content_key(SdBackendSession *s, const uint8_t kid[SECDEC_KID_SIZE])
{
    pthread_mutex_lock(&s->lock);
    KeyEntry *e = find_key(s, kid);
    if (e)
        *e = s->keys[--s->n_keys];
    pthread_mutex_unlock(&s->lock);
    return e ? SECDEC_OK : SECDEC_E_NO_KEY;
}

static SecdecStatus b_has_content_key(SdBackendSession *s, const uint8_t kid[SECDEC_KID_SIZE])
{
    pthread_mutex_lock(&s->lock);
    bool found = find_key(s, kid) != NULL;
    pthread_mutex_unlock(&s->lock);
    return found ? SECDEC_OK : SECDEC_E_NO_KEY;
}

static SecdecStatus b_status(SdBackendSession *s, SecdecCryptoSessionStatus *status)
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

static SecdecStatus b_refresh_start(SdBackendSession *s, uint8_t random[SECDEC_KEY_SIZE])
{
    if (s->hw_protection)
        return SECDEC_E_NOTAVAILABLE; /* the vendor DRM component owns that session's keys */
    uint8_t r[SECDEC_KEY_SIZE];
    uint32_t n = 0, tee = 0;
    SecdecStatus st = exec(s, SECDEC_VA_TEE_FUNC_START_KEY_REFRESH, NULL, 0, r, sizeof(r), &n,
                           &tee);
    if (st == SECDEC_OK)
        st = tee_status(tee);
    if (st == SECDEC_OK && n != sizeof(r))
        st = SECDEC_E_NOTAVAILABLE;
    if (st == SECDEC_OK)
        memcpy(random, r, sizeof(r));
    return st;
}

/* The TEE switches the session key and re-wraps the installed content keys; s->lock is held
 * across the call so that no key is installed with the old session key meanwhile. A frame
 * whose encryption parameters were built before the switch fails: refresh between frames. */
static SecdecStatus b_refresh_finish(SdBackendSession *s)
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
        st = tee_status(tee);
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

static const SdBackendOps vaapi_ops = {
    .abi = SD_BACKEND_ABI,
    .backend = SECDEC_BACKEND_VAAPI,
    .open = b_open,
    .close = b_close,
    .caps = b_caps,
    .session_create = b_session_create,
    .session_destroy = b_session_destroy,
    .session_certificate = b_session_certificate,
    .negotiate = b_negotiate,
    .set_content_key = b_set_content_key,
    .remove_content_key = b_remove_content_key,
    .has_content_key = b_has_content_key,
    .status = b_status,
    .refresh_start = b_refresh_start,
    .refresh_finish = b_refresh_finish,
};

__attribute__((visibility("default"))) const SdBackendOps *secdec_backend_entry_v1(void);
const SdBackendOps *secdec_backend_entry_v1(void)
{
    return &vaapi_ops;
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
        st = vst == VA_STATUS_ERROR_INVALID_CONTEXT ? SECDEC_E_INVALIDARG : va_to_status(vst);
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

void secdec_vaapi_encryption_clear(SecdecVaapiEncryption *out)
{
    if (!out)
        return;
    free(out->segments);
    memset(out, 0, sizeof(*out));
}

static bool scheme_is_ctr(SecdecScheme s)
{
    return s == SECDEC_SCHEME_CENC || s == SECDEC_SCHEME_CENS;
}

static void ctr_add(uint8_t ctr[16], uint64_t blocks)
{
    uint64_t low = 0;
    for (int i = 8; i < 16; i++)
        low = low << 8 | ctr[i];
    low += blocks; /* wraps in 64 bits, as CENC counts */
    for (int i = 15; i >= 8; i--) {
        ctr[i] = (uint8_t)low;
        low >>= 8;
    }
}

SecdecStatus secdec_vaapi_fill_encryption(const SecdecSampleInfo *info,
                                          const uint8_t wrapped_key[16], int ctr,
                                          const uint8_t *data, size_t size, uint32_t base_offset,
                                          SecdecVaapiEncryption *out)
{
    if (!info || !wrapped_key || !out)
        return SECDEC_E_INVALIDARG;
    /* The same validation as secdec_decrypt_sample(). */
    SecdecScheme sch = info->scheme;
    if (size == 0 || size > SECDEC_MAX_SAMPLE_SIZE || (unsigned)sch > SECDEC_SCHEME_CBCS ||
        (uint64_t)base_offset + size > UINT32_MAX)
        return SECDEC_E_BAD_SAMPLE;
    if (info->iv_size != 8 && info->iv_size != 16)
        return SECDEC_E_BAD_IV;
    if (info->n_subsamples > SECDEC_VAAPI_MAX_SEGMENTS || (info->n_subsamples && !info->subsamples))
        return SECDEC_E_BAD_SUBSAMPLES;
    bool pattern_scheme = sch == SECDEC_SCHEME_CENS || sch == SECDEC_SCHEME_CBCS;
    uint32_t crypt = info->crypt_byte_block, skip = info->skip_byte_block;
    if (crypt > 15 || skip > 15 || (!pattern_scheme && (crypt || skip)) || (crypt == 0 && skip))
        return SECDEC_E_BAD_PATTERN;
    if ((ctr != 0) != scheme_is_ctr(sch))
        return SECDEC_E_UNSUPPORTEDCRYPTO;
    uint32_t n = info->n_subsamples ? info->n_subsamples : 1;
    uint64_t total = 0;
    for (uint32_t i = 0; i < info->n_subsamples; i++) {
        total += (uint64_t)info->subsamples[i].clear_bytes + info->subsamples[i].encrypted_bytes;
        if (sch == SECDEC_SCHEME_CBC1 && info->subsamples[i].encrypted_bytes % 16)
            return SECDEC_E_BAD_SUBSAMPLES;
    }
    if (info->n_subsamples && total != size)
        return SECDEC_E_BAD_SUBSAMPLES;
    if (sch == SECDEC_SCHEME_CBC1 && !data)
        return SECDEC_E_INVALIDARG;

    VAEncryptionSegmentInfo *seg = calloc(n, sizeof(*seg));
    if (!seg)
        return SECDEC_E_OUTOFMEMORY;
    uint8_t iv[16] = {0};
    memcpy(iv, info->iv, info->iv_size); /* 8-byte IV: CTR block IV || 0^64, CBC zero-padded */
    uint8_t cur[16];
    memcpy(cur, iv, 16);
    uint32_t partial = 0;
    size_t pos = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t clear = info->n_subsamples ? info->subsamples[i].clear_bytes : 0;
        uint32_t enc = info->n_subsamples ? info->subsamples[i].encrypted_bytes : (uint32_t)size;
        seg[i].segment_start_offset = base_offset + (uint32_t)pos;
        seg[i].segment_length = clear + enc;
        seg[i].init_byte_length = clear;
        if (ctr) {
            memcpy(seg[i].aes_cbc_iv_or_ctr, cur, 16);
            seg[i].partial_aes_block_size = partial;
            uint64_t used; /* key-stream bytes this range consumes */
            if (!crypt) {
                used = enc;
            } else {
                uint64_t blocks = enc / 16, period = crypt + skip;
                uint64_t rem = blocks % period;
                used = 16 * (blocks / period * crypt + (rem < crypt ? rem : crypt));
            }
            uint64_t t = partial + used;
            ctr_add(cur, t / 16);
            partial = (uint32_t)(t % 16);
        } else if (sch == SECDEC_SCHEME_CBCS) {
            memcpy(seg[i].aes_cbc_iv_or_ctr, iv, 16); /* reset per subsample */
        } else {
            memcpy(seg[i].aes_cbc_iv_or_ctr, cur, 16); /* cbc1: chained */
            size_t whole = enc / 16 * 16;
            if (whole)
                memcpy(cur, data + pos + clear + whole - 16, 16);
        }
        pos += (size_t)clear + enc;
    }
    memset(out, 0, sizeof(*out));
    out->segments = seg;
    out->n_segments = n;
    VAEncryptionParameters *p = &out->params;
    p->encryption_type = ctr ? VA_ENCRYPTION_TYPE_SUBSAMPLE_CTR : VA_ENCRYPTION_TYPE_SUBSAMPLE_CBC;
    p->num_segments = n;
    p->segment_info = seg;
    memcpy(p->wrapped_decrypt_blob, wrapped_key, 16);
    p->key_blob_size = 16;
    p->blocks_stripe_encrypted = crypt;
    p->blocks_stripe_clear = skip;
    return SECDEC_OK;
}

SecdecStatus secdec_vaapi_build_encryption(SecdecDevice *device, SecdecCryptoSession *session,
                                           const SecdecSampleInfo *info, const uint8_t *data,
                                           size_t size, uint32_t base_offset,
                                           SecdecVaapiEncryption *out)
{
    if (!info || !out)
        return SECDEC_E_INVALIDARG;
    SdBackendSession *s;
    SecdecStatus st = session_get(device, session, &s);
    if (st != SECDEC_OK)
        return st;
    uint8_t wrapped[16];
    bool clear = false;
    pthread_mutex_lock(&s->lock);
    KeyEntry *e = find_key(s, info->kid);
    if (e) {
        memcpy(wrapped, e->wrapped, 16);
        clear = e->clear;
    }
    pthread_mutex_unlock(&s->lock);
    bool ctr = s->ctr;
    session_put();
    if (!e)
        return SECDEC_E_NO_KEY;
    st = secdec_vaapi_fill_encryption(info, wrapped, ctr, data, size, base_offset, out);
    if (st == SECDEC_OK && clear) {
        secdec_vaapi_encryption_clear(out);
        out->clear = 1;
    }
    return st;
}

SecdecStatus secdec_vaapi_check_slice_headers(const SecdecSampleInfo *info, const uint8_t *data,
                                              size_t size, SecdecVaapiCodec codec,
                                              unsigned nal_length_size, const char **reason)
{
    if (!info || !data || !reason || (nal_length_size != 1 && nal_length_size != 2 &&
                                      nal_length_size != 4) ||
        (codec != SECDEC_VAAPI_CODEC_H264 && codec != SECDEC_VAAPI_CODEC_HEVC))
        return SECDEC_E_INVALIDARG;
    *reason = NULL;
    if (info->n_subsamples && !info->subsamples)
        return SECDEC_E_BAD_SUBSAMPLES;
    unsigned hdr = codec == SECDEC_VAAPI_CODEC_H264 ? 1 : 2;
    size_t pos = 0;
    while (pos < size) {
        if (size - pos < nal_length_size)
            return SECDEC_E_BAD_SAMPLE;
        size_t len = 0;
        for (unsigned i = 0; i < nal_length_size; i++)
            len = len << 8 | data[pos + i];
        size_t start = pos + nal_length_size;
        if (len == 0 || len > size - start)
            return SECDEC_E_BAD_SAMPLE;
        bool slice;
        if (codec == SECDEC_VAAPI_CODEC_H264) {
            unsigned t = data[start] & 0x1f;
            slice = t == 1 || t == 5;
        } else {
            slice = ((data[start] >> 1) & 0x3f) <= 21;
        }
        if (slice) {
            /* Clear bytes from the NAL's first byte on (subsample map, or none at all). */
            size_t clear_end = 0;
            if (info->n_subsamples) {
                size_t p = 0;
                for (uint32_t i = 0; i < info->n_subsamples; i++) {
                    size_t c = info->subsamples[i].clear_bytes,
                           e = info->subsamples[i].encrypted_bytes;
                    if (start >= p && start < p + c) {
                        clear_end = p + c;
                        break;
                    }
                    p += c + e;
                    if (start < p)
                        break; /* the NAL starts inside an encrypted range */
                }
            }
            size_t clear_after_hdr = clear_end > start + hdr ? clear_end - start - hdr : 0;
            if (clear_end < start + len && clear_after_hdr < 2) {
                *reason = info->n_subsamples
                              ? "slice headers are encrypted (only the NAL length and header "
                                "are clear): a VA driver cannot parse them, decode in software"
                              : "the whole sample is encrypted (no subsamples): a VA driver "
                                "needs clear slice headers, decode in software";
                return SECDEC_E_NOTIMPL;
            }
        }
        pos = start + len;
    }
    return SECDEC_OK;
}

int secdec_vaapi_list_devices(void (*cb)(void *cookie, const SecdecVaapiDeviceInfo *info),
                              void *cookie)
{
    int count = 0;
    const char *test_driver = getenv("SECDEC_VA_TEST_DRIVER");
    for (int i = 127; i < 192; i++) {
        char node[96];
        int fd = -1;
        VADisplay dpy;
        if (i == 127) {
            if (!test_driver || !*test_driver)
                continue;
            snprintf(node, sizeof(node), "test driver %s", test_driver);
            dpy = open_display(test_driver, NULL, &fd);
        } else {
            snprintf(node, sizeof(node), "/dev/dri/renderD%d", i);
            if (access(node, F_OK) != 0)
                continue;
            dpy = open_display(NULL, node, &fd);
        }
        SecdecVaapiDeviceInfo info;
        memset(&info, 0, sizeof(info));
        info.path = node;
        count++;
        if (dpy) {
            SdBackendDevice d;
            memset(&d, 0, sizeof(d));
            d.dpy = dpy;
            d.log = (SdLogger){NULL, NULL, SECDEC_LOG_ERROR};
            pthread_mutex_init(&d.lock, NULL);
            probe(dpy, &d.pr);
            info.vendor = vaQueryVendorString(dpy);
            info.protected_content = d.pr.pc;
            info.cipher_modes = d.pr.modes;
            info.sample_types = d.pr.samples;
            for (size_t k = 0; k < N_ELEMS(d.pr.enc); k++)
                info.encryption_types[k] = d.pr.enc[k];
            if (usable(&d.pr) && fetch_certificate(&d) == SECDEC_OK)
                info.secdec_tee = 1;
            free(d.cert);
            pthread_mutex_destroy(&d.lock);
        }
        if (cb)
            cb(cookie, &info);
        close_display(dpy, fd);
    }
    return count;
}
