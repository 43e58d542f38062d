/*
 * drv_surface.c - the test VA driver's surfaces: NV12 in plain memory
 * (pitch = width), creation with the pixel-format attribute, destruction, attributes, sync
 * and status.
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdlib.h>
#include <string.h>

#include "drv_private.h"

void surface_free(Surface *s)
{
    free(s->data);
    free(s);
}

static VAStatus create_surfaces(VADriverContextP ctx, unsigned format, unsigned w, unsigned h,
                                VASurfaceID *out, unsigned n)
{
    Drv *d = drv_of(ctx);
    if ((format & ~VA_RT_FORMAT_PROTECTED) != VA_RT_FORMAT_YUV420)
        return VA_STATUS_ERROR_UNSUPPORTED_RT_FORMAT;
    if (!w || !h || w > MAX_WIDTH || h > MAX_HEIGHT)
        return VA_STATUS_ERROR_RESOLUTION_NOT_SUPPORTED;
    pthread_mutex_lock(&d->lock);
    FAULT(d, "vaCreateSurfaces");
    VAStatus st = VA_STATUS_SUCCESS;
    unsigned i;
    for (i = 0; i < n; i++) {
        Surface *s = calloc(1, sizeof(*s));
        unsigned aw = (w + 1) & ~1u, ah = (h + 1) & ~1u;
        if (s) {
            s->width = (int)aw;
            s->height = (int)ah;
            s->size = (size_t)aw * ah * 3 / 2;
            s->data = malloc(s->size);
        }
        if (!s || !s->data) {
            if (s)
                surface_free(s);
            st = VA_STATUS_ERROR_ALLOCATION_FAILED;
            break;
        }
        memset(s->data, 0x10, (size_t)aw * ah);
        memset(s->data + (size_t)aw * ah, 0x80, (size_t)aw * ah / 2);
        st = obj_add(d, OBJ_SURFACE, s, &out[i]);
        if (st != VA_STATUS_SUCCESS) {
            surface_free(s);
            break;
        }
    }
    if (st != VA_STATUS_SUCCESS)
        while (i-- > 0) {
            Surface *s = obj_remove(d, out[i], OBJ_SURFACE);
            surface_free(s);
        }
    pthread_mutex_unlock(&d->lock);
    return st;
}

VAStatus t_CreateSurfaces(VADriverContextP ctx, int w, int h, int format, int n,
                          VASurfaceID *out)
{
    if (w <= 0 || h <= 0 || n <= 0)
        return VA_STATUS_ERROR_INVALID_PARAMETER;
    return create_surfaces(ctx, (unsigned)format, (unsigned)w, (unsigned)h, out, (unsigned)n);
}

VAStatus t_CreateSurfaces2(VADriverContextP ctx, unsigned format, unsigned w, unsigned h,
                           VASurfaceID *out, unsigned n, VASurfaceAttrib *attribs,
                           unsigned num_attribs)
{
    for (unsigned i = 0; i < num_attribs; i++)
        if (attribs[i].type == VASurfaceAttribPixelFormat &&
            (attribs[i].flags & VA_SURFACE_ATTRIB_SETTABLE) &&
            (uint32_t)attribs[i].value.value.i != VA_FOURCC_NV12)
            return VA_STATUS_ERROR_INVALID_IMAGE_FORMAT;
    return create_surfaces(ctx, format, w, h, out, n);
}

VAStatus t_DestroySurfaces(VADriverContextP ctx, VASurfaceID *list, int n)
{
    Drv *d = drv_of(ctx);
    VAStatus st = VA_STATUS_SUCCESS;
    pthread_mutex_lock(&d->lock);
    for (int i = 0; i < n; i++) {
        Surface *s = obj_remove(d, list[i], OBJ_SURFACE);
        if (!s) {
            st = VA_STATUS_ERROR_INVALID_SURFACE;
            continue;
        }
        surface_free(s);
    }
    pthread_mutex_unlock(&d->lock);
    return st;
}

VAStatus t_QuerySurfaceAttributes(VADriverContextP ctx, VAConfigID config,
                                  VASurfaceAttrib *list, unsigned *num)
{
    VASurfaceAttrib attrs[] = {
        {VASurfaceAttribPixelFormat, VA_SURFACE_ATTRIB_GETTABLE | VA_SURFACE_ATTRIB_SETTABLE,
         {VAGenericValueTypeInteger, {.i = VA_FOURCC_NV12}}},
        {VASurfaceAttribMinWidth, VA_SURFACE_ATTRIB_GETTABLE, {VAGenericValueTypeInteger, {.i = 1}}},
        {VASurfaceAttribMinHeight, VA_SURFACE_ATTRIB_GETTABLE, {VAGenericValueTypeInteger, {.i = 1}}},
        {VASurfaceAttribMaxWidth, VA_SURFACE_ATTRIB_GETTABLE,
         {VAGenericValueTypeInteger, {.i = MAX_WIDTH}}},
        {VASurfaceAttribMaxHeight, VA_SURFACE_ATTRIB_GETTABLE,
         {VAGenericValueTypeInteger, {.i = MAX_HEIGHT}}},
        {VASurfaceAttribMemoryType, VA_SURFACE_ATTRIB_GETTABLE | VA_SURFACE_ATTRIB_SETTABLE,
         {VAGenericValueTypeInteger, {.i = VA_SURFACE_ATTRIB_MEM_TYPE_VA}}},
    };
    if (!obj_exists(drv_of(ctx), config, OBJ_CONFIG))
        return VA_STATUS_ERROR_INVALID_CONFIG;
    if (!list) {
        *num = N_ELEMS(attrs);
        return VA_STATUS_SUCCESS;
    }
    if (*num < N_ELEMS(attrs)) {
        *num = N_ELEMS(attrs);
        return VA_STATUS_ERROR_MAX_NUM_EXCEEDED;
    }
    memcpy(list, attrs, sizeof(attrs));
    *num = N_ELEMS(attrs);
    return VA_STATUS_SUCCESS;
}

VAStatus t_SyncSurface(VADriverContextP ctx, VASurfaceID id)
{
    Drv *d = drv_lock(ctx);
    FAULT(d, "vaSyncSurface");
    bool ok = obj_get(d, id, OBJ_SURFACE) != NULL;
    pthread_mutex_unlock(&d->lock);
    return ok ? VA_STATUS_SUCCESS : VA_STATUS_ERROR_INVALID_SURFACE;
}

VAStatus t_QuerySurfaceStatus(VADriverContextP ctx, VASurfaceID id, VASurfaceStatus *s)
{
    bool ok = obj_exists(drv_of(ctx), id, OBJ_SURFACE);
    if (ok)
        *s = VASurfaceReady;
    return ok ? VA_STATUS_SUCCESS : VA_STATUS_ERROR_INVALID_SURFACE;
}
