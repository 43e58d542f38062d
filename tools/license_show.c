/*
 * license_show.c - secdec-license show: what a license file says without a device — format
 * version, OAEP hash, the certificate it is bound to, its KIDs. (Its MAC can only be checked
 * on the bound device: 'check'.)
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <stdio.h>

#include "license_cmd.h"

static const char *oaep_long(SecdecOaepHash hash)
{
    switch (hash) {
    case SECDEC_OAEP_SHA512:
        return "SHA-512";
    case SECDEC_OAEP_SHA256:
        return "SHA-256";
    case SECDEC_OAEP_SHA1:
        return "SHA-1";
    }
    return "?";
}

int cmd_show(const char *path)
{
    SecdecLicense *lic = NULL;
    const uint8_t *bytes;
    size_t size;
    SecdecOaepHash hash;
    uint8_t fp[32];
    char fps[96];
    size_t n;

    if (license_read(path, &lic) != SECDEC_OK)
        return TOOL_EXIT_FAILURE;
    if (secdec_license_get_bytes(lic, &bytes, &size) != SECDEC_OK ||
        secdec_license_get_oaep_hash(lic, &hash) != SECDEC_OK ||
        secdec_license_get_certificate_fingerprint(lic, fp) != SECDEC_OK || size < 10) {
        tool_error("%s: cannot read the license's fields", path);
        secdec_license_free(&lic);
        return TOOL_EXIT_FAILURE;
    }
    n = secdec_license_get_key_count(lic);
    tool_fingerprint(fp, fps);
    printf("License:      %s (%zu bytes)\n", path, size);
    /* The version is the big-endian u16 after the 8-byte magic (docs/license-format.md). */
    printf("Version:      %u\n", (unsigned)bytes[8] << 8 | bytes[9]);
    printf("OAEP hash:    %s (RSAES-OAEP with %s, MGF1 with %s, empty label)\n",
           tool_oaep_name(hash), oaep_long(hash), oaep_long(hash));
    printf("Bound to:     certificate SHA-256 %s\n", fps);
    printf("Keys:         %zu\n", n);
    for (size_t i = 0; i < n; i++) {
        uint8_t kid[SECDEC_KID_SIZE];
        char prefix[32];
        if (secdec_license_get_kid(lic, i, kid) != SECDEC_OK) {
            tool_error("%s: cannot read KID %zu", path, i);
            secdec_license_free(&lic);
            return TOOL_EXIT_FAILURE;
        }
        snprintf(prefix, sizeof prefix, "  KID %zu: ", i);
        license_print_kid(prefix, kid);
    }
    printf("Integrity:    HMAC-SHA256, verifiable only on the bound device "
           "('secdec-license check')\n");
    secdec_license_free(&lic);
    return TOOL_EXIT_OK;
}
