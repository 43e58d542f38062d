/*
 * license_store.c - $SECDEC_HOME/licenses/<kid-hex>.lic: where front-ends find keys by KID.
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static int store_path(SecdecDevice *dev, const uint8_t *kid, char *buf, size_t n)
{
    char hex[2 * SECDEC_KID_SIZE + 1];
    if (kid)
        sd_hex(kid, SECDEC_KID_SIZE, hex);
    int r = kid ? snprintf(buf, n, "%s/licenses/%s.lic", dev->home, hex)
                : snprintf(buf, n, "%s/licenses", dev->home);
    return r > 0 && (size_t)r < n ? 0 : -1;
}

SecdecStatus secdec_license_store_install(SecdecDevice *device, const SecdecLicense *license)
{
    if (!device || !license)
        return SECDEC_E_INVALIDARG;
    if (atomic_load(&device->closed))
        return SECDEC_E_DEVICE_REMOVED;

    /* Check it fully, as a front-end would load it, before it goes into the store. */
    SecdecCryptoSession *s = NULL;
    SecdecStatus st = secdec_create_crypto_session(device, &SECDEC_CRYPTO_TYPE_AES128_CTR, NULL,
                                                   &SECDEC_KEY_EXCHANGE_RSAES_OAEP, &s);
    if (st == SECDEC_OK)
        st = secdec_license_load(device, s, license);
    secdec_crypto_session_destroy(&s);
    if (st != SECDEC_OK)
        return st;

    char path[4096];
    const uint8_t *bytes;
    size_t size;
    secdec_license_get_bytes(license, &bytes, &size);
    if (store_path(device, NULL, path, sizeof(path)) != 0 || sd_mkdir_p(path, 0700) != 0) {
        sd_log(&device->log, SECDEC_LOG_ERROR, "cannot create the license store %s: %s", path,
               strerror(errno));
        return SECDEC_E_IO;
    }
    for (size_t i = 0; i < secdec_license_get_key_count(license); i++) {
        uint8_t kid[SECDEC_KID_SIZE];
        secdec_license_get_kid(license, i, kid);
        if (store_path(device, kid, path, sizeof(path)) != 0 ||
            sd_write_file_atomic(path, bytes, size, 0600) != 0) {
            sd_log(&device->log, SECDEC_LOG_ERROR, "cannot write %s: %s", path, strerror(errno));
            return SECDEC_E_IO;
        }
    }
    return SECDEC_OK;
}

SecdecStatus secdec_license_store_find(SecdecDevice *device, const uint8_t kid[SECDEC_KID_SIZE],
                                       SecdecLicense **out)
{
    if (!device || !kid || !out)
        return SECDEC_E_INVALIDARG;
    if (atomic_load(&device->closed))
        return SECDEC_E_DEVICE_REMOVED;
    char path[4096];
    if (store_path(device, kid, path, sizeof(path)) != 0)
        return SECDEC_E_IO;
    SecdecLicense *lic = NULL;
    SecdecStatus st = secdec_license_read_file(path, &lic);
    if (st == SECDEC_E_IO && errno == ENOENT)
        return SECDEC_E_NO_KEY;
    if (st != SECDEC_OK)
        return st;
    if (!secdec_license_has_kid(lic, kid)) {
        secdec_license_free(&lic);
        return SECDEC_E_LICENSE_INVALID;
    }
    *out = lic;
    return SECDEC_OK;
}
