/*
 * vaapi_backend.c - libsecdec's VA-API backend module (libsecdec-vaapi.so):
 * its entry point, secdec_backend_entry_v1(), which core/src/backend.c dlopen()s and calls,
 * and the SdBackendOps table it returns. Devices are VA displays with protected content
 * (va_device.c), crypto sessions are VA protected sessions (va_session.c) whose key exchange
 * runs in the driver's TEE through vaProtectedSessionExecute() (va_tee.c, secdec/va-tee.h);
 * frames get VAEncryptionParameters (va_frame_encryption.c); unmodified decoders use a wrapped
 * display (va_decode_display.c). Shared declarations: vaapi_internal.h.
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "vaapi_internal.h"

static const SdBackendOps vaapi_ops = {
    .abi = SD_BACKEND_ABI,
    .backend = SECDEC_BACKEND_VAAPI,
    .open = sd_va_device_open,
    .close = sd_va_device_close,
    .caps = sd_va_device_caps,
    .session_create = sd_va_session_create,
    .session_destroy = sd_va_session_destroy,
    .session_certificate = sd_va_session_certificate,
    .negotiate = sd_va_negotiate,
    .set_content_key = sd_va_set_content_key,
    .remove_content_key = sd_va_remove_content_key,
    .has_content_key = sd_va_has_content_key,
    .status = sd_va_session_status,
    .refresh_start = sd_va_refresh_start,
    .refresh_finish = sd_va_refresh_finish,
};

__attribute__((visibility("default"))) const SdBackendOps *secdec_backend_entry_v1(void);
const SdBackendOps *secdec_backend_entry_v1(void)
{
    return &vaapi_ops;
}
