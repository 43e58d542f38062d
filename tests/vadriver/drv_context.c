/*
 * drv_context.c - the test VA driver's decode contexts: creation on a
 * VLD config (with an H.264 decoder, drv_decode_h264.c, for H.264 profiles), destruction, and
 * forgetting the current picture.
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdlib.h>

#include "drv_private.h"

VAStatus t_CreateContext(VADriverContextP ctx, VAConfigID config, int w, int h, int flag,
                         VASurfaceID *targets, int n_targets, VAContextID *id)
{
    Drv *d = drv_lock(ctx);
    FAULT(d, "vaCreateContext");
    Config *cfg = obj_get(d, config, OBJ_CONFIG);
    VAStatus st = VA_STATUS_SUCCESS;
    if (!cfg || cfg->entrypoint != VAEntrypointVLD) /* ProtectedContent configs: sessions only */
        st = VA_STATUS_ERROR_INVALID_CONFIG;
    Context *c = st == VA_STATUS_SUCCESS ? calloc(1, sizeof(*c)) : NULL;
    if (st == VA_STATUS_SUCCESS && !c)
        st = VA_STATUS_ERROR_ALLOCATION_FAILED;
    if (c && drv_h264_profile(cfg->profile) && !(c->h264 = drv_h264_new(cfg->profile))) {
        free(c);
        c = NULL;
        st = VA_STATUS_ERROR_ALLOCATION_FAILED;
    }
    if (c) {
        c->config = config;
        c->target = VA_INVALID_ID;
        c->session = VA_INVALID_ID;
        st = obj_add(d, OBJ_CONTEXT, c, id);
        if (st != VA_STATUS_SUCCESS) {
            drv_h264_free(c->h264);
            free(c);
        }
    }
    pthread_mutex_unlock(&d->lock);
    return st;
}

void picture_reset(Context *c)
{
    c->slices_size = 0;
    c->n_slices = 0;
    c->has_enc = false;
    free(c->enc_segments);
    c->enc_segments = NULL;
    c->in_picture = false;
    drv_h264_picture_reset(c->h264);
}

VAStatus t_DestroyContext(VADriverContextP ctx, VAContextID id)
{
    Context *c = obj_take(drv_of(ctx), id, OBJ_CONTEXT);
    if (!c)
        return VA_STATUS_ERROR_INVALID_CONTEXT;
    context_free(c);
    return VA_STATUS_SUCCESS;
}

VAStatus context_with(Drv *d, VAContextID id, uint32_t other, int type, VAStatus missing,
                      Context **c)
{
    *c = obj_get(d, id, OBJ_CONTEXT);
    if (!*c)
        return VA_STATUS_ERROR_INVALID_CONTEXT;
    return obj_get(d, other, type) ? VA_STATUS_SUCCESS : missing;
}

void context_free(Context *c)
{
    picture_reset(c);
    free(c->slices);
    free(c->slice_ends);
    drv_h264_free(c->h264);
    free(c);
}
