/*
 * backend.c - finds and loads hardware backend modules (see backend.h). The core never links
 * a hardware API: libsecdec-vaapi.so is dlopen()ed the first time a device asks for VA-API.
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

#include "backend.h"
#include "internal.h"

#ifndef SECDEC_BACKEND_DIR
#define SECDEC_BACKEND_DIR "/usr/local/lib/secdec"
#endif

static pthread_mutex_t load_lock = PTHREAD_MUTEX_INITIALIZER;

static const SdBackendOps *try_load(const char *path, const SdLogger *lg)
{
    /* RTLD_NODELETE: module code stays valid for the life of the process, so the cached table
     * never dangles. RTLD_LOCAL: its dependencies (libva) do not leak into the global scope. */
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
    if (!h) {
        sd_log(lg, SECDEC_LOG_DEBUG, "backend module %s: %s", path, dlerror());
        return NULL;
    }
    SdBackendEntry entry = NULL;
    *(void **)&entry = dlsym(h, SD_BACKEND_ENTRY_SYMBOL);
    const SdBackendOps *ops = entry ? entry() : NULL;
    if (!ops || ops->abi != SD_BACKEND_ABI) {
        sd_log(lg, SECDEC_LOG_WARNING, "backend module %s: no %s or ABI mismatch (ignored)", path,
               SD_BACKEND_ENTRY_SYMBOL);
        dlclose(h);
        return NULL;
    }
    sd_log(lg, SECDEC_LOG_DEBUG, "backend module %s loaded", path);
    return ops;
}

const SdBackendOps *sd_backend_load(SecdecBackend backend, const SdLogger *lg)
{
    static const SdBackendOps *vaapi;
    static bool vaapi_tried;
    if (backend != SECDEC_BACKEND_VAAPI)
        return NULL;
    pthread_mutex_lock(&load_lock);
    if (!vaapi_tried) {
        char path[4096];
        const char *dir = getenv("SECDEC_BACKEND_PATH");
        if (dir && *dir) {
            snprintf(path, sizeof(path), "%s/libsecdec-vaapi.so", dir);
            vaapi = try_load(path, lg);
        }
        if (!vaapi) {
            snprintf(path, sizeof(path), "%s/libsecdec-vaapi.so", SECDEC_BACKEND_DIR);
            vaapi = try_load(path, lg);
        }
        /* Only a successful load is final: a later device may run with the path set. */
        vaapi_tried = vaapi != NULL;
    }
    const SdBackendOps *ops = vaapi;
    pthread_mutex_unlock(&load_lock);
    if (!ops)
        sd_log(lg, SECDEC_LOG_DEBUG, "no VA-API backend module (libsecdec-vaapi.so)");
    return ops;
}
