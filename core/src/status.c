/*
 * status.c - the status enum: names, descriptions and Direct3D HRESULT equivalents.
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "internal.h"

/* MAKE_D3DHRESULT(code) = MAKE_HRESULT(1, _FACD3D = 0x876, code) */
#define D3DHR(code) (0x88760000u | (uint32_t)(code))
/* Custom interface-specific HRESULTs: MAKE_HRESULT(1, FACILITY_ITF = 4, 0x0200 + n). */
#define ITFHR(n) (0x80040200u + (uint32_t)(n))

static const struct {
    const char *name;
    const char *text;
    uint32_t hresult;
} status_table[SECDEC_STATUS_COUNT] = {
    [SECDEC_OK] = {"SECDEC_OK", "success", 0x00000000u},
    [SECDEC_E_OUTOFMEMORY] = {"SECDEC_E_OUTOFMEMORY", "out of memory", 0x8007000Eu},
    [SECDEC_E_INVALIDARG] = {"SECDEC_E_INVALIDARG", "invalid argument", 0x80070057u},
    [SECDEC_E_NOTAVAILABLE] = {"SECDEC_E_NOTAVAILABLE",
                               "not available (unsupported or NULL GUID)", D3DHR(2154)},
    [SECDEC_E_UNSUPPORTEDCRYPTO] = {"SECDEC_E_UNSUPPORTEDCRYPTO",
                                    "crypto type not supported for this decoder profile",
                                    D3DHR(2174)},
    [SECDEC_E_WRONG_DEVICE] = {"SECDEC_E_WRONG_DEVICE",
                               "object belongs to another device", 0x80070006u},
    [SECDEC_E_DEVICE_REMOVED] = {"SECDEC_E_DEVICE_REMOVED", "device has been closed",
                                 D3DHR(2160)},
    [SECDEC_E_INVALIDCALL] = {"SECDEC_E_INVALIDCALL", "call not valid in this state",
                              D3DHR(2156)},
    [SECDEC_E_KEY_EXCHANGE] = {"SECDEC_E_KEY_EXCHANGE", "key exchange failed", ITFHR(0)},
    [SECDEC_E_IDENTITY] = {"SECDEC_E_IDENTITY",
                           "device identity missing, corrupt or unsafe", ITFHR(1)},
    [SECDEC_E_IO] = {"SECDEC_E_IO", "file-system error", ITFHR(2)},
    [SECDEC_E_NO_KEY] = {"SECDEC_E_NO_KEY", "no key for this KID", ITFHR(3)},
    [SECDEC_E_LICENSE_INVALID] = {"SECDEC_E_LICENSE_INVALID",
                                  "license malformed or tampered with", ITFHR(4)},
    [SECDEC_E_LICENSE_FOREIGN] = {"SECDEC_E_LICENSE_FOREIGN",
                                  "license bound to another device", ITFHR(5)},
    [SECDEC_E_MEMLOCK] = {"SECDEC_E_MEMLOCK",
                          "cannot lock memory for secrets (RLIMIT_MEMLOCK)", D3DHR(2183)},
    [SECDEC_E_BAD_SUBSAMPLES] = {"SECDEC_E_BAD_SUBSAMPLES",
                                 "subsample map does not match the sample", ITFHR(6)},
    [SECDEC_E_BAD_IV] = {"SECDEC_E_BAD_IV", "bad IV (size must be 8 or 16)", ITFHR(7)},
    [SECDEC_E_BAD_PATTERN] = {"SECDEC_E_BAD_PATTERN", "bad encryption pattern", ITFHR(8)},
    [SECDEC_E_BAD_SAMPLE] = {"SECDEC_E_BAD_SAMPLE", "empty or oversized sample", ITFHR(9)},
    [SECDEC_E_NOTIMPL] = {"SECDEC_E_NOTIMPL", "not implemented", 0x80004001u},
    [SECDEC_E_KEY_LOST] = {"SECDEC_E_KEY_LOST", "session key lost", ITFHR(10)},
};

static int status_valid(SecdecStatus s)
{
    return (unsigned)s < SECDEC_STATUS_COUNT;
}

const char *secdec_status_to_string(SecdecStatus status)
{
    return status_valid(status) ? status_table[status].text : "unknown status";
}

const char *secdec_status_name(SecdecStatus status)
{
    return status_valid(status) ? status_table[status].name : "SECDEC_E_UNKNOWN";
}

uint32_t secdec_status_to_hresult(SecdecStatus status)
{
    return status_valid(status) ? status_table[status].hresult : 0x80004005u; /* E_FAIL */
}

const char *secdec_version(void)
{
#define SD_STR2(x) #x
#define SD_STR(x) SD_STR2(x)
    return SD_STR(SECDEC_VERSION_MAJOR) "." SD_STR(SECDEC_VERSION_MINOR) "." SD_STR(
        SECDEC_VERSION_PATCH);
}
