/*
 * va_tee.c - the VA-API backend's side of secdec's TEE protocol
 * (secdec/va-tee.h): one vaProtectedSessionExecute() round trip, the TEE's and VA's statuses
 * as SecdecStatus, a protected session on a ProtectedContent config, and the device
 * certificate fetched through a short-lived one.
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdlib.h>
#include <string.h>

#include "vaapi_internal.h"

SecdecStatus sd_va_status(VAStatus st)
{
    return st == VA_STATUS_ERROR_ALLOCATION_FAILED ? SECDEC_E_OUTOFMEMORY : SECDEC_E_NOTAVAILABLE;
}

SecdecStatus sd_va_tee_status(uint32_t s)
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
SecdecStatus sd_va_tee_exec(const SdLogger *lg, VADisplay dpy, VAProtectedSessionID ps,
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
        return sd_va_status(st);
    }
    return SECDEC_OK;
}

SecdecStatus sd_va_pc_session_new(SdBackendDevice *d, bool ctr, VAConfigID *cfg,
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
        return sd_va_status(st);
    }
    st = vaCreateProtectedSession(d->dpy, *cfg, ps);
    if (st != VA_STATUS_SUCCESS) {
        sd_log(&d->log, SECDEC_LOG_ERROR, "vaCreateProtectedSession: %s", vaErrorStr(st));
        vaDestroyConfig(d->dpy, *cfg);
        return sd_va_status(st);
    }
    return SECDEC_OK;
}

/* Fetches the TEE's certificate through a short-lived protected session. */
SecdecStatus sd_va_fetch_certificate(SdBackendDevice *d)
{
    VAConfigID cfg;
    VAProtectedSessionID ps;
    bool ctr = (d->pr.modes & VA_PC_CIPHER_MODE_CTR) != 0;
    SecdecStatus st = sd_va_pc_session_new(d, ctr, &cfg, &ps);
    if (st != SECDEC_OK)
        return st;
    uint8_t *buf = malloc(MAX_CERT);
    uint32_t n = 0, tee = 0;
    st = buf ? sd_va_tee_exec(&d->log, d->dpy, ps, SECDEC_VA_TEE_FUNC_GET_CERTIFICATE, NULL, 0, buf,
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
