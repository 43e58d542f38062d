/*
 * drv_config.c - the test VA driver's profiles, entrypoints and config
 * attributes (decode: H.264 and HEVC at VLD with VAConfigAttribEncryption; VAProfileProtected
 * at ProtectedContent), the $SECDEC_TEST_DRV_NO_ENCRYPTION knob, and config objects.
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdlib.h>
#include <string.h>

#include "drv_private.h"

const VAProfile drv_decode_profiles[DRV_N_DECODE_PROFILES] = {
    VAProfileH264High, VAProfileH264Main, VAProfileH264ConstrainedBaseline, VAProfileHEVCMain,
};

bool is_decode_profile(VAProfile p)
{
    for (size_t i = 0; i < DRV_N_DECODE_PROFILES; i++)
        if (drv_decode_profiles[i] == p)
            return true;
    return false;
}

#define PC_MODES (VA_PC_CIPHER_MODE_CTR | VA_PC_CIPHER_MODE_CBC)
#define ENC_TYPES (VA_ENCRYPTION_TYPE_SUBSAMPLE_CTR | VA_ENCRYPTION_TYPE_SUBSAMPLE_CBC)

VAStatus t_QueryConfigProfiles(VADriverContextP ctx, VAProfile *list, int *num)
{
    int n = 0;
    for (size_t i = 0; i < DRV_N_DECODE_PROFILES; i++)
        list[n++] = drv_decode_profiles[i];
    list[n++] = VAProfileProtected;
    *num = n;
    return VA_STATUS_SUCCESS;
}

VAStatus t_QueryConfigEntrypoints(VADriverContextP ctx, VAProfile profile,
                                  VAEntrypoint *list, int *num)
{
    if (profile == VAProfileProtected) {
        list[0] = VAEntrypointProtectedContent;
        *num = 1;
        return VA_STATUS_SUCCESS;
    }
    if (!is_decode_profile(profile))
        return VA_STATUS_ERROR_UNSUPPORTED_PROFILE;
    list[0] = VAEntrypointVLD;
    *num = 1;
    return VA_STATUS_SUCCESS;
}

/* SECDEC_TEST_DRV_NO_ENCRYPTION=<item>[,<item>...]: VAConfigAttribEncryption without some
 * types, to test front-ends on a device that cannot decrypt a profile or scheme. Items: h264,
 * hevc (that codec's profiles have no encryption), ctr, cbc (no SUBSAMPLE_CTR / _CBC on any
 * decode profile). Protected sessions keep both cipher modes. */
static uint32_t enc_types(VAProfile profile)
{
    uint32_t types = ENC_TYPES;
    const char *p = getenv("SECDEC_TEST_DRV_NO_ENCRYPTION");
    bool hevc = profile == VAProfileHEVCMain;
    while (p && *p) {
        size_t n = strcspn(p, ",");
        if (n == 4 && !strncmp(p, hevc ? "hevc" : "h264", 4))
            types = 0;
        else if (n == 3 && !strncmp(p, "ctr", 3))
            types &= ~(uint32_t)VA_ENCRYPTION_TYPE_SUBSAMPLE_CTR;
        else if (n == 3 && !strncmp(p, "cbc", 3))
            types &= ~(uint32_t)VA_ENCRYPTION_TYPE_SUBSAMPLE_CBC;
        p += n + (p[n] == ',');
    }
    return types ? types : VA_ATTRIB_NOT_SUPPORTED;
}

static uint32_t attrib_value(VAProfile profile, VAEntrypoint ep, VAConfigAttribType type)
{
    if (profile == VAProfileProtected && ep == VAEntrypointProtectedContent) {
        switch ((int)type) {
        case VAConfigAttribProtectedContentCipherAlgorithm: return VA_PC_CIPHER_AES;
        case VAConfigAttribProtectedContentCipherBlockSize: return VA_PC_BLOCK_SIZE_128;
        case VAConfigAttribProtectedContentCipherMode: return PC_MODES;
        case VAConfigAttribProtectedContentCipherSampleType: return VA_PC_SAMPLE_TYPE_SUBSAMPLE;
        case VAConfigAttribProtectedContentUsage: return VA_PC_USAGE_DEFAULT;
        default: return VA_ATTRIB_NOT_SUPPORTED;
        }
    }
    if (is_decode_profile(profile) && ep == VAEntrypointVLD) {
        switch ((int)type) {
        case VAConfigAttribRTFormat: return VA_RT_FORMAT_YUV420;
        case VAConfigAttribEncryption: return enc_types(profile);
        default: return VA_ATTRIB_NOT_SUPPORTED;
        }
    }
    return VA_ATTRIB_NOT_SUPPORTED;
}

static VAStatus check_pair(VAProfile profile, VAEntrypoint ep)
{
    if (profile == VAProfileProtected)
        return ep == VAEntrypointProtectedContent ? VA_STATUS_SUCCESS
                                                  : VA_STATUS_ERROR_UNSUPPORTED_ENTRYPOINT;
    if (!is_decode_profile(profile))
        return VA_STATUS_ERROR_UNSUPPORTED_PROFILE;
    return ep == VAEntrypointVLD ? VA_STATUS_SUCCESS : VA_STATUS_ERROR_UNSUPPORTED_ENTRYPOINT;
}

VAStatus t_GetConfigAttributes(VADriverContextP ctx, VAProfile profile, VAEntrypoint ep,
                               VAConfigAttrib *list, int num)
{
    Drv *d = drv_lock(ctx);
    FAULT(d, "vaGetConfigAttributes");
    pthread_mutex_unlock(&d->lock);
    VAStatus st = check_pair(profile, ep);
    if (st != VA_STATUS_SUCCESS)
        return st;
    for (int i = 0; i < num; i++)
        list[i].value = attrib_value(profile, ep, list[i].type);
    return VA_STATUS_SUCCESS;
}

VAStatus t_CreateConfig(VADriverContextP ctx, VAProfile profile, VAEntrypoint ep,
                        VAConfigAttrib *list, int num, VAConfigID *id)
{
    Drv *d = drv_of(ctx);
    VAStatus st = check_pair(profile, ep);
    if (st != VA_STATUS_SUCCESS)
        return st;
    Config *c = calloc(1, sizeof(*c));
    if (!c)
        return VA_STATUS_ERROR_ALLOCATION_FAILED;
    c->profile = profile;
    c->entrypoint = ep;
    for (int i = 0; i < num; i++) {
        uint32_t sup = attrib_value(profile, ep, list[i].type);
        uint32_t v = list[i].value;
        bool ok;
        switch ((int)list[i].type) {
        case VAConfigAttribProtectedContentUsage: ok = sup != VA_ATTRIB_NOT_SUPPORTED && v == sup; break;
        case VAConfigAttribProtectedContentCipherMode:
            ok = sup != VA_ATTRIB_NOT_SUPPORTED && (v == VA_PC_CIPHER_MODE_CTR || v == VA_PC_CIPHER_MODE_CBC);
            c->cipher_mode = v;
            break;
        case VAConfigAttribEncryption:
            ok = sup != VA_ATTRIB_NOT_SUPPORTED && v && (v & ~sup) == 0;
            c->encryption = v;
            break;
        default: ok = sup != VA_ATTRIB_NOT_SUPPORTED && v && (v & ~sup) == 0; break;
        }
        if (!ok) {
            free(c);
            return VA_STATUS_ERROR_INVALID_VALUE;
        }
    }
    pthread_mutex_lock(&d->lock);
    if (fault(d, "vaCreateConfig")) {
        pthread_mutex_unlock(&d->lock);
        free(c);
        return VA_STATUS_ERROR_OPERATION_FAILED;
    }
    st = obj_add(d, OBJ_CONFIG, c, id);
    pthread_mutex_unlock(&d->lock);
    if (st != VA_STATUS_SUCCESS)
        free(c);
    return st;
}

VAStatus t_DestroyConfig(VADriverContextP ctx, VAConfigID id)
{
    Config *c = obj_take(drv_of(ctx), id, OBJ_CONFIG);
    free(c);
    return c ? VA_STATUS_SUCCESS : VA_STATUS_ERROR_INVALID_CONFIG;
}

VAStatus t_QueryConfigAttributes(VADriverContextP ctx, VAConfigID id, VAProfile *profile,
                                 VAEntrypoint *ep, VAConfigAttrib *list, int *num)
{
    Drv *d = drv_lock(ctx);
    Config *c = obj_get(d, id, OBJ_CONFIG);
    Config copy = c ? *c : (Config){0};
    pthread_mutex_unlock(&d->lock);
    if (!c)
        return VA_STATUS_ERROR_INVALID_CONFIG;
    *profile = copy.profile;
    *ep = copy.entrypoint;
    int n = 0;
    if (copy.entrypoint == VAEntrypointVLD) {
        list[n++] = (VAConfigAttrib){VAConfigAttribRTFormat, VA_RT_FORMAT_YUV420};
        if (copy.encryption)
            list[n++] = (VAConfigAttrib){VAConfigAttribEncryption, copy.encryption};
    } else if (copy.cipher_mode) {
        list[n++] = (VAConfigAttrib){VAConfigAttribProtectedContentCipherMode, copy.cipher_mode};
    }
    *num = n;
    return VA_STATUS_SUCCESS;
}
