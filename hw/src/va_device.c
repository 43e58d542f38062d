/*
 * va_device.c - the VA-API backend's devices: opening a VA display (the
 * application's, $SECDEC_VA_TEST_DRIVER's headless one, or the first capable
 * /dev/dri/renderD*), probing what it can decrypt (ProtectedContent attributes,
 * VAConfigAttribEncryption per decode profile), GetContentProtectionCaps, the
 * crypto type / profile checks CreateCryptoSession shares, and secdec_vaapi_list_devices().
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <va/va_drm.h>

#include "va_headless.h"
#include "vaapi_internal.h"

/* ---- the decoder profiles, in secdec_known_decoder_profile() terms -------------------------- */

typedef struct ProfileMap {
    const SecdecGuid *guid;
    VAProfile va[3]; /* candidates, VAProfileNone terminated */
} ProfileMap;

/* Filled at run time: the GUIDs are objects exported by libsecdec. */
static ProfileMap g_maps[SD_VA_N_PROFILES];
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

/* ---- opening and closing -------------------------------------------------------------- */

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

SecdecStatus sd_va_device_open(const SdBackendOpenArgs *args, SdBackendDevice **out,
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
    SecdecStatus st = sd_va_fetch_certificate(d);
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

void sd_va_device_close(SdBackendDevice *d)
{
    dev_free(d);
}

static bool is_null_guid(const SecdecGuid *g)
{
    return !g || secdec_guid_equal(g, &SECDEC_GUID_NULL);
}

/* CreateCryptoSession's checks. create: an unknown profile is UNSUPPORTEDCRYPTO (else
 * NOTAVAILABLE, GetContentProtectionCaps's rule). */
SecdecStatus sd_va_check_pair(SdBackendDevice *d, const SecdecGuid *crypto,
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

SecdecStatus sd_va_device_caps(SdBackendDevice *d, const SecdecGuid *crypto,
                               const SecdecGuid *profile, SecdecContentProtectionCaps *caps,
                               SecdecGuid kx[SD_BACKEND_MAX_KX])
{
    bool ctr;
    SecdecStatus st = sd_va_check_pair(d, crypto, profile, false, &ctr);
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
            if (usable(&d.pr) && sd_va_fetch_certificate(&d) == SECDEC_OK)
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
