/*
 * drv_picture.c - the test VA driver's Begin/Render/EndPicture: slice data
 * and encryption parameters collected per picture, decryption at vaEndPicture (drv_decrypt.c),
 * the per-slice SHA-256 log lines, the pattern surface and the H.264 decode hand-off
 * (drv_decode_h264.c).
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "drv_decode_h264.h"

#include "drv_private.h"

static void hexsha(const uint8_t *p, size_t n, char out[65], uint8_t raw[32])
{
    unsigned len = 32;
    EVP_Digest(p, n, raw, &len, EVP_sha256(), NULL);
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", raw[i]);
}

VAStatus t_BeginPicture(VADriverContextP ctx, VAContextID id, VASurfaceID target)
{
    Drv *d = drv_lock(ctx);
    FAULT(d, "vaBeginPicture");
    Context *c;
    VAStatus st = context_with(d, id, target, OBJ_SURFACE, VA_STATUS_ERROR_INVALID_SURFACE, &c);
    if (st == VA_STATUS_SUCCESS) {
        picture_reset(c);
        c->target = target;
        c->in_picture = true;
    }
    pthread_mutex_unlock(&d->lock);
    return st;
}

/* Caller holds the lock. Copies what the picture needs (clients may destroy buffers before
 * vaEndPicture). */
static VAStatus render_one(Context *c, Buffer *b)
{
    if (b->type == VASliceDataBufferType) {
        size_t n = (size_t)b->size * b->num_elements;
        uint8_t *bytes = drv_grow(c->slices, &c->slices_cap, c->slices_size + n, 1, 2 * n);
        if (!bytes)
            return VA_STATUS_ERROR_ALLOCATION_FAILED;
        c->slices = bytes;
        size_t *ends = drv_grow(c->slice_ends, &c->cap_slices, c->n_slices + 1, sizeof(*ends), 16);
        if (!ends)
            return VA_STATUS_ERROR_ALLOCATION_FAILED;
        c->slice_ends = ends;
        memcpy(c->slices + c->slices_size, b->data, n);
        c->slices_size += n;
        c->slice_ends[c->n_slices++] = c->slices_size;
    } else if (b->type == VAEncryptionParameterBufferType) {
        if (c->has_enc)
            return VA_STATUS_ERROR_INVALID_PARAMETER; /* one per picture */
        memcpy(&c->enc, b->data, sizeof(c->enc));
        size_t n = c->enc.num_segments;
        if (n) {
            c->enc_segments = malloc(n * sizeof(*c->enc_segments));
            if (!c->enc_segments)
                return VA_STATUS_ERROR_ALLOCATION_FAILED;
            memcpy(c->enc_segments, b->segments, n * sizeof(*c->enc_segments));
        }
        c->enc.segment_info = c->enc_segments;
        c->has_enc = true;
    } else if (c->h264) { /* picture, IQ matrix, slice parameters */
        return drv_h264_render(c->h264, b->type, b->data, b->size, b->num_elements, c->n_slices);
    }
    return VA_STATUS_SUCCESS;
}

VAStatus t_RenderPicture(VADriverContextP ctx, VAContextID id, VABufferID *bufs, int n)
{
    Drv *d = drv_lock(ctx);
    FAULT(d, "vaRenderPicture");
    Context *c = obj_get(d, id, OBJ_CONTEXT);
    VAStatus st = !c               ? VA_STATUS_ERROR_INVALID_CONTEXT
                  : !c->in_picture ? VA_STATUS_ERROR_OPERATION_FAILED
                                   : VA_STATUS_SUCCESS;
    for (int i = 0; st == VA_STATUS_SUCCESS && i < n; i++) {
        Buffer *b = obj_get(d, bufs[i], OBJ_BUFFER);
        st = b ? render_one(c, b) : VA_STATUS_ERROR_INVALID_BUFFER;
    }
    pthread_mutex_unlock(&d->lock);
    return st;
}

/* Caller holds the lock. Logs "error decode <reason>" when the picture cannot be decoded, and
 * with $SECDEC_TEST_DRV_LOG_PICTURES=1 "picture decoded <surface> <width>x<height>". */
static void decode_h264(Context *c, Surface *s)
{
    char why[128];
    int r = drv_h264_end_picture(c->h264, c->slices, c->slice_ends, c->n_slices, s->data,
                                 s->width, s->height, why, sizeof(why));
    const char *pictures = getenv("SECDEC_TEST_DRV_LOG_PICTURES");
    if (r == DRV_H264_FAILED)
        drv_log("error decode %s\n", why);
    else if (r == DRV_H264_DECODED && pictures && strcmp(pictures, "1") == 0)
        drv_log("picture decoded %u %dx%d\n", c->target, s->width, s->height);
}

VAStatus t_EndPicture(VADriverContextP ctx, VAContextID id)
{
    Drv *d = drv_lock(ctx);
    FAULT(d, "vaEndPicture");
    Context *c = obj_get(d, id, OBJ_CONTEXT);
    VAStatus st = VA_STATUS_SUCCESS;
    if (!c || !c->in_picture) {
        pthread_mutex_unlock(&d->lock);
        return c ? VA_STATUS_ERROR_OPERATION_FAILED : VA_STATUS_ERROR_INVALID_CONTEXT;
    }
    bool enc = c->has_enc && c->enc.num_segments > 0;
    if (enc)
        lose_sessions_knob(d);
    if (enc)
        st = decrypt_picture(d, c);
    uint8_t raw[32] = {0};
    if (st == VA_STATUS_SUCCESS) {
        size_t start = 0;
        for (size_t i = 0; i < c->n_slices; i++) {
            char hex[65];
            hexsha(c->slices + start, c->slice_ends[i] - start, hex, raw);
            drv_log("slice %s %s %zu\n", enc ? "enc" : "clear", hex, c->slice_ends[i] - start);
            start = c->slice_ends[i];
        }
        char hex[65];
        hexsha(c->slices ? c->slices : raw, c->slices_size, hex, raw);
        /* HEVC, and H.264 pictures that cannot be decoded: a pattern made from the clear
         * bitstream. H.264: decoded with libavcodec (drv_decode_h264.c). */
        Surface *s = obj_get(d, c->target, OBJ_SURFACE);
        if (s)
            for (size_t i = 0; i < (size_t)s->width * s->height; i++)
                s->data[i] = raw[i % 32];
        if (s && c->h264)
            decode_h264(c, s);
    }
    picture_reset(c);
    pthread_mutex_unlock(&d->lock);
    return st;
}
