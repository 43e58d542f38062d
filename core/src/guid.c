/*
 * guid.c - Direct3D GUIDs secdec understands, and GUID helpers.
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdio.h>
#include <string.h>

#include "internal.h"

const SecdecGuid SECDEC_GUID_NULL = {0, 0, 0, {0, 0, 0, 0, 0, 0, 0, 0}};
const SecdecGuid SECDEC_CRYPTO_TYPE_AES128_CTR = {
    0x9b6bd711, 0x4f74, 0x41c9, {0x9e, 0x7b, 0x0b, 0xe2, 0xd7, 0xd9, 0x3b, 0x4f}};
const SecdecGuid SECDEC_CRYPTO_TYPE_AES128_CBC = {
    0x422d9319, 0x9d21, 0x4bb7, {0x93, 0x71, 0xfa, 0xf5, 0xa8, 0x2c, 0x3e, 0x04}};
const SecdecGuid SECDEC_KEY_EXCHANGE_RSAES_OAEP = {
    0xc1949895, 0xd72a, 0x4a1d, {0x8e, 0x5d, 0xed, 0x85, 0x7d, 0x17, 0x15, 0x20}};
const SecdecGuid SECDEC_KEY_EXCHANGE_HW_PROTECTION = {
    0xb1170d8a, 0x628d, 0x4da3, {0xad, 0x3b, 0x82, 0xdd, 0xb0, 0x8b, 0x49, 0x70}};
const SecdecGuid SECDEC_DECODER_PROFILE_H264_VLD_NOFGT = {
    0x1b81be68, 0xa0c7, 0x11d3, {0xb9, 0x84, 0x00, 0xc0, 0x4f, 0x2e, 0x73, 0xc5}};
const SecdecGuid SECDEC_DECODER_PROFILE_HEVC_VLD_MAIN = {
    0x5b11d51b, 0x2f4c, 0x4452, {0xbc, 0xc3, 0x09, 0xf2, 0xa1, 0x16, 0x0c, 0xc0}};
const SecdecGuid SECDEC_DECODER_PROFILE_HEVC_VLD_MAIN10 = {
    0x107af0e0, 0xef1a, 0x4d19, {0xab, 0xa8, 0x67, 0xa1, 0x63, 0x07, 0x3d, 0x13}};
const SecdecGuid SECDEC_DECODER_PROFILE_VP9_VLD_PROFILE0 = {
    0x463707f8, 0xa1d0, 0x4585, {0x87, 0x6d, 0x83, 0xaa, 0x6d, 0x60, 0xb8, 0x9e}};
const SecdecGuid SECDEC_DECODER_PROFILE_AV1_VLD_PROFILE0 = {
    0xb8be4ccb, 0xcf53, 0x46ba, {0x8d, 0x59, 0xd6, 0xb8, 0xa6, 0xda, 0x5d, 0x2a}};
const SecdecGuid SECDEC_DECODER_PROFILE_AUDIO_CLEAR_OUTPUT = {
    0xfd44a2b4, 0xd67f, 0x424a, {0xa5, 0x61, 0xd3, 0x15, 0x76, 0xbe, 0x1b, 0x02}};

static const struct {
    const SecdecGuid *guid;
    const char *name;
} guid_names[] = {
    {&SECDEC_GUID_NULL, "GUID_NULL"},
    {&SECDEC_CRYPTO_TYPE_AES128_CTR, "D3D11_CRYPTO_TYPE_AES128_CTR"},
    {&SECDEC_CRYPTO_TYPE_AES128_CBC, "D3D11_DECODER_BITSTREAM_ENCRYPTION_TYPE_CBCS"},
    {&SECDEC_KEY_EXCHANGE_RSAES_OAEP, "D3D11_KEY_EXCHANGE_RSAES_OAEP"},
    {&SECDEC_KEY_EXCHANGE_HW_PROTECTION, "D3D11_KEY_EXCHANGE_HW_PROTECTION"},
    {&SECDEC_DECODER_PROFILE_H264_VLD_NOFGT, "D3D11_DECODER_PROFILE_H264_VLD_NOFGT"},
    {&SECDEC_DECODER_PROFILE_HEVC_VLD_MAIN, "D3D11_DECODER_PROFILE_HEVC_VLD_MAIN"},
    {&SECDEC_DECODER_PROFILE_HEVC_VLD_MAIN10, "D3D11_DECODER_PROFILE_HEVC_VLD_MAIN10"},
    {&SECDEC_DECODER_PROFILE_VP9_VLD_PROFILE0, "D3D11_DECODER_PROFILE_VP9_VLD_PROFILE0"},
    {&SECDEC_DECODER_PROFILE_AV1_VLD_PROFILE0, "D3D11_DECODER_PROFILE_AV1_VLD_PROFILE0"},
    {&SECDEC_DECODER_PROFILE_AUDIO_CLEAR_OUTPUT, "SECDEC_DECODER_PROFILE_AUDIO_CLEAR_OUTPUT"},
};

int secdec_guid_equal(const SecdecGuid *a, const SecdecGuid *b)
{
    if (!a || !b)
        return a == b;
    return a->data1 == b->data1 && a->data2 == b->data2 && a->data3 == b->data3 &&
           memcmp(a->data4, b->data4, sizeof(a->data4)) == 0;
}

char *secdec_guid_to_string(const SecdecGuid *g, char buf[37])
{
    if (!g) {
        snprintf(buf, 37, "(null)");
        return buf;
    }
    snprintf(buf, 37, "%08x-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x", (unsigned)g->data1,
             g->data2, g->data3, g->data4[0], g->data4[1], g->data4[2], g->data4[3], g->data4[4],
             g->data4[5], g->data4[6], g->data4[7]);
    return buf;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

SecdecStatus secdec_guid_from_string(const char *str, SecdecGuid *guid)
{
    if (!str || !guid)
        return SECDEC_E_INVALIDARG;
    size_t len = strlen(str);
    int braces = 0;
    if (len == 38 && str[0] == '{' && str[37] == '}') {
        str++;
        len -= 2;
        braces = 1;
    }
    (void)braces;
    if (len != 36 || str[8] != '-' || str[13] != '-' || str[18] != '-' || str[23] != '-')
        return SECDEC_E_INVALIDARG;
    uint8_t b[16];
    int n = 0;
    for (size_t i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23)
            continue;
        int hi = hexval(str[i]), lo = hexval(str[i + 1]);
        if (hi < 0 || lo < 0)
            return SECDEC_E_INVALIDARG;
        b[n++] = (uint8_t)(hi << 4 | lo);
        i++;
    }
    guid->data1 = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
    guid->data2 = (uint16_t)(b[4] << 8 | b[5]);
    guid->data3 = (uint16_t)(b[6] << 8 | b[7]);
    memcpy(guid->data4, b + 8, 8);
    return SECDEC_OK;
}

const char *secdec_guid_name(const SecdecGuid *guid)
{
    for (size_t i = 0; i < sizeof(guid_names) / sizeof(guid_names[0]); i++)
        if (secdec_guid_equal(guid, guid_names[i].guid))
            return guid_names[i].name;
    return NULL;
}
