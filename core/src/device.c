/*
 * device.c - SecdecDevice: the Direct3D hDevice. Holds the identity; refcounted so sessions
 * that outlive the application's handle fail cleanly with SECDEC_E_DEVICE_REMOVED.
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend.h"
#include "protected_pool.h"

void secdec_device_default_settings(SecdecDeviceSettings *s)
{
    if (!s)
        return;
    memset(s, 0, sizeof(*s));
    s->backend = SECDEC_BACKEND_AUTO;
    s->home_dir = NULL;
    s->provision = 1;
    s->allow_unlocked_memory = 0;
    s->logger = NULL;
    s->logger_cookie = NULL;
    s->log_level = SECDEC_LOG_WARNING;
}

const char *secdec_backend_name(SecdecBackend backend)
{
    switch (backend) {
    case SECDEC_BACKEND_AUTO: return "auto";
    case SECDEC_BACKEND_SOFTWARE: return "software";
    case SECDEC_BACKEND_VAAPI: return "vaapi";
    }
    return "unknown";
}

/* $SECDEC_HOME, else $XDG_DATA_HOME/secdec, else ~/.local/share/secdec. */
static char *default_home(void)
{
    const char *env = getenv("SECDEC_HOME");
    if (env && *env)
        return sd_strdup(env);
    char buf[4096];
    env = getenv("XDG_DATA_HOME");
    if (env && env[0] == '/') {
        snprintf(buf, sizeof(buf), "%s/secdec", env);
        return sd_strdup(buf);
    }
    env = getenv("HOME");
    if (!env || !*env) {
        struct passwd *pw = getpwuid(getuid());
        env = pw ? pw->pw_dir : NULL;
    }
    if (!env)
        return NULL;
    snprintf(buf, sizeof(buf), "%s/.local/share/secdec", env);
    return sd_strdup(buf);
}

static void device_free(SecdecDevice *dev)
{
    if (dev->hw && dev->hw_dev)
        dev->hw->close(dev->hw_dev);
    sd_pool_unref(dev->pool);
    EVP_PKEY_free(dev->pkey);
    free(dev->cert_der);
    free(dev->home);
    free(dev);
}

void sd_device_ref(SecdecDevice *dev)
{
    atomic_fetch_add(&dev->refs, 1);
}

void sd_device_unref(SecdecDevice *dev)
{
    if (dev && atomic_fetch_sub(&dev->refs, 1) == 1)
        device_free(dev);
}

SecdecStatus secdec_device_open(SecdecDevice **out, const SecdecDeviceSettings *settings)
{
    SecdecDeviceSettings defaults;
    if (!out)
        return SECDEC_E_INVALIDARG;
    if (!settings) {
        secdec_device_default_settings(&defaults);
        settings = &defaults;
    }
    if ((unsigned)settings->backend > SECDEC_BACKEND_VAAPI ||
        (unsigned)settings->log_level > SECDEC_LOG_DEBUG)
        return SECDEC_E_INVALIDARG;
    SdLogger log = {settings->logger, settings->logger_cookie, settings->log_level};
    /* VA-API when asked for (or, for AUTO, when a capable device exists): backend.h. */
    const SdBackendOps *hw = NULL;
    SdBackendDevice *hw_dev = NULL;
    const uint8_t *hw_cert = NULL;
    size_t hw_cert_size = 0;
    if (settings->backend == SECDEC_BACKEND_VAAPI || settings->backend == SECDEC_BACKEND_AUTO) {
        bool forced = settings->backend == SECDEC_BACKEND_VAAPI;
        hw = sd_backend_load(SECDEC_BACKEND_VAAPI, &log);
        SecdecStatus hst = SECDEC_E_NOTAVAILABLE;
        if (hw) {
            SdBackendOpenArgs args = {settings->va_display, forced, settings->logger,
                                      settings->logger_cookie, settings->log_level};
            hst = hw->open(&args, &hw_dev, &hw_cert, &hw_cert_size);
        } else if (forced) {
            sd_log(&log, SECDEC_LOG_ERROR, "the VA-API backend module (libsecdec-vaapi.so) "
                                           "cannot be loaded; see $SECDEC_BACKEND_PATH");
        }
        if (hst != SECDEC_OK) {
            if (forced)
                return hst;
            sd_log(&log, SECDEC_LOG_INFO, "no VA-API protected-content device: software backend");
            hw = NULL;
            hw_dev = NULL;
        }
    }

    SecdecDevice *dev = sd_calloc(1, sizeof(*dev));
    if (!dev) {
        if (hw_dev)
            hw->close(hw_dev);
        return SECDEC_E_OUTOFMEMORY;
    }
    atomic_init(&dev->refs, 1);
    atomic_init(&dev->closed, false);
    dev->backend = SECDEC_BACKEND_SOFTWARE;
    dev->log = log;
    dev->allow_unlocked = settings->allow_unlocked_memory != 0;
    if (hw) {
        dev->backend = hw->backend;
        dev->hw = hw;
        dev->hw_dev = hw_dev;
    }

    SecdecStatus st;
    dev->home = settings->home_dir ? sd_strdup(settings->home_dir) : default_home();
    if (!dev->home) {
        st = settings->home_dir ? SECDEC_E_OUTOFMEMORY : SECDEC_E_IO;
        if (st == SECDEC_E_IO)
            sd_log(&log, SECDEC_LOG_ERROR, "cannot find a home directory for the device identity "
                                           "(set SECDEC_HOME)");
        goto fail;
    }
    st = sd_pool_new(dev->allow_unlocked, &dev->pool);
    if (st != SECDEC_OK)
        goto fail;
    if (hw) {
        /* The identity is the TEE's: its private key never reaches this process. */
        dev->memory_locked = true;
        dev->cert_der = sd_calloc(1, hw_cert_size ? hw_cert_size : 1);
        if (!dev->cert_der) {
            st = SECDEC_E_OUTOFMEMORY;
            goto fail;
        }
        memcpy(dev->cert_der, hw_cert, hw_cert_size);
        dev->cert_size = hw_cert_size;
        if (!EVP_Digest(dev->cert_der, dev->cert_size, dev->cert_fp, NULL, EVP_sha256(), NULL)) {
            st = SECDEC_E_OUTOFMEMORY;
            goto fail;
        }
        *out = dev;
        return SECDEC_OK;
    }
    st = sd_secure_heap_init(dev->allow_unlocked, &dev->memory_locked);
    if (st != SECDEC_OK) {
        sd_log(&log, SECDEC_LOG_ERROR, "cannot lock memory for the device key (RLIMIT_MEMLOCK); "
                                       "raise the limit or allow unlocked memory explicitly");
        goto fail;
    }
    if (!dev->memory_locked)
        sd_log(&log, SECDEC_LOG_WARNING,
               "secret memory is NOT locked (allow_unlocked_memory): keys may be swapped out");
    st = sd_identity_load(dev, settings->provision != 0);
    if (st != SECDEC_OK)
        goto fail;
    *out = dev;
    return SECDEC_OK;
fail:
    device_free(dev);
    return st;
}

void secdec_device_close(SecdecDevice **device)
{
    if (!device || !*device)
        return;
    SecdecDevice *dev = *device;
    *device = NULL;
    atomic_store(&dev->closed, true);
    sd_device_unref(dev);
}

SecdecStatus secdec_device_get_backend(SecdecDevice *device, SecdecBackend *backend)
{
    if (!device || !backend)
        return SECDEC_E_INVALIDARG;
    if (atomic_load(&device->closed))
        return SECDEC_E_DEVICE_REMOVED;
    *backend = device->backend;
    return SECDEC_OK;
}

const char *secdec_device_get_home(SecdecDevice *device)
{
    return device && !atomic_load(&device->closed) ? device->home : NULL;
}

SecdecStatus secdec_device_get_certificate_fingerprint(SecdecDevice *device, uint8_t fp[32])
{
    if (!device || !fp)
        return SECDEC_E_INVALIDARG;
    if (atomic_load(&device->closed))
        return SECDEC_E_DEVICE_REMOVED;
    memcpy(fp, device->cert_fp, 32);
    return SECDEC_OK;
}

int secdec_device_memory_locked(SecdecDevice *device)
{
    if (!device || atomic_load(&device->closed))
        return -1;
    return device->memory_locked ? 1 : 0;
}
