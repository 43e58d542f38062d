/*
 * drv_image.c - the test VA driver's images: the NV12 image format,
 * vaCreateImage + vaGetImage (copy) and vaDeriveImage (the surface's memory).
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdlib.h>
#include <string.h>

#include "drv_private.h"

static const VAImageFormat nv12_format = {VA_FOURCC_NV12, VA_LSB_FIRST, 12, 0, 0, 0, 0, 0, {0}};

VAStatus t_QueryImageFormats(VADriverContextP ctx, VAImageFormat *list, int *num)
{
    list[0] = nv12_format;
    *num = 1;
    return VA_STATUS_SUCCESS;
}

/* Caller holds the lock. Creates an NV12 image; data: NULL allocates, else borrowed. */
static VAStatus image_new(Drv *d, int w, int h, uint8_t *data, VASurfaceID from, VAImage *out)
{
    if (w <= 0 || h <= 0 || w > MAX_WIDTH || h > MAX_HEIGHT)
        return VA_STATUS_ERROR_INVALID_PARAMETER;
    unsigned aw = ((unsigned)w + 1) & ~1u, ah = ((unsigned)h + 1) & ~1u;
    Image *im = calloc(1, sizeof(*im));
    Buffer *b = calloc(1, sizeof(*b));
    if (!im || !b) {
        free(im);
        free(b);
        return VA_STATUS_ERROR_ALLOCATION_FAILED;
    }
    b->type = VAImageBufferType;
    b->size = aw * ah * 3 / 2;
    b->num_elements = 1;
    b->borrowed = data != NULL;
    b->data = data ? data : calloc(1, b->size);
    if (!b->data) {
        free(im);
        free(b);
        return VA_STATUS_ERROR_ALLOCATION_FAILED;
    }
    VAImage *v = &im->image;
    v->format = nv12_format;
    v->width = (uint16_t)w;
    v->height = (uint16_t)h;
    v->data_size = b->size;
    v->num_planes = 2;
    v->pitches[0] = v->pitches[1] = aw;
    v->offsets[0] = 0;
    v->offsets[1] = aw * ah;
    im->derived_from = from;
    VAStatus st = obj_add(d, OBJ_BUFFER, b, &v->buf);
    if (st == VA_STATUS_SUCCESS) {
        st = obj_add(d, OBJ_IMAGE, im, &v->image_id);
        if (st != VA_STATUS_SUCCESS)
            obj_remove(d, v->buf, OBJ_BUFFER);
    }
    if (st != VA_STATUS_SUCCESS) {
        buffer_free(b);
        free(im);
        return st;
    }
    *out = *v;
    return VA_STATUS_SUCCESS;
}

VAStatus t_CreateImage(VADriverContextP ctx, VAImageFormat *format, int w, int h,
                       VAImage *image)
{
    Drv *d = drv_of(ctx);
    if (format->fourcc != VA_FOURCC_NV12)
        return VA_STATUS_ERROR_INVALID_IMAGE_FORMAT;
    pthread_mutex_lock(&d->lock);
    FAULT(d, "vaCreateImage");
    VAStatus st = image_new(d, w, h, NULL, VA_INVALID_ID, image);
    pthread_mutex_unlock(&d->lock);
    return st;
}

VAStatus t_DeriveImage(VADriverContextP ctx, VASurfaceID surface, VAImage *image)
{
    Drv *d = drv_lock(ctx);
    FAULT(d, "vaDeriveImage");
    Surface *s = obj_get(d, surface, OBJ_SURFACE);
    VAStatus st = s ? image_new(d, s->width, s->height, s->data, surface, image)
                    : VA_STATUS_ERROR_INVALID_SURFACE;
    pthread_mutex_unlock(&d->lock);
    return st;
}

VAStatus t_DestroyImage(VADriverContextP ctx, VAImageID id)
{
    Drv *d = drv_lock(ctx);
    Image *im = obj_remove(d, id, OBJ_IMAGE);
    Buffer *b = im ? obj_remove(d, im->image.buf, OBJ_BUFFER) : NULL;
    pthread_mutex_unlock(&d->lock);
    buffer_free(b);
    free(im);
    return im ? VA_STATUS_SUCCESS : VA_STATUS_ERROR_INVALID_IMAGE;
}

VAStatus t_GetImage(VADriverContextP ctx, VASurfaceID surface, int x, int y, unsigned w,
                    unsigned h, VAImageID image)
{
    Drv *d = drv_lock(ctx);
    FAULT(d, "vaGetImage");
    Surface *s = obj_get(d, surface, OBJ_SURFACE);
    Image *im = obj_get(d, image, OBJ_IMAGE);
    Buffer *b = im ? obj_get(d, im->image.buf, OBJ_BUFFER) : NULL;
    VAStatus st = VA_STATUS_SUCCESS;
    if (!s)
        st = VA_STATUS_ERROR_INVALID_SURFACE;
    else if (!im || !b)
        st = VA_STATUS_ERROR_INVALID_IMAGE;
    else if (x < 0 || y < 0 || (x | y) & 1 || x + w > (unsigned)s->width ||
             y + h > (unsigned)s->height || w > im->image.width || h > im->image.height)
        st = VA_STATUS_ERROR_INVALID_PARAMETER;
    else {
        unsigned sp = (unsigned)s->width, dp = im->image.pitches[0];
        const uint8_t *suv = s->data + (size_t)sp * s->height;
        for (unsigned r = 0; r < h; r++)
            memcpy(b->data + (size_t)r * dp, s->data + (size_t)(y + r) * sp + x, w);
        for (unsigned r = 0; r < (h + 1) / 2; r++)
            memcpy(b->data + im->image.offsets[1] + (size_t)r * dp,
                   suv + (size_t)(y / 2 + r) * sp + x, (w + 1) & ~1u);
    }
    pthread_mutex_unlock(&d->lock);
    return st;
}
