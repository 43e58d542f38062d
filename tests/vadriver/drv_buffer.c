/*
 * drv_buffer.c - the test VA driver's buffers: creation (exec buffers on
 * protected sessions, the rest on contexts; VAEncryptionParameterBufferType's segments
 * deep-copied), map/unmap, element count, info, destruction.
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdlib.h>
#include <string.h>

#include "drv_private.h"

void buffer_free(Buffer *b)
{
    if (!b)
        return;
    if (!b->borrowed)
        free(b->data);
    free(b->segments);
    free(b);
}

VAStatus t_CreateBuffer(VADriverContextP ctx, VAContextID owner, VABufferType type,
                        unsigned size, unsigned num, void *data, VABufferID *id)
{
    Drv *d = drv_of(ctx);
    if (!size || !num || (uint64_t)size * num > (1u << 30))
        return VA_STATUS_ERROR_INVALID_PARAMETER;
    pthread_mutex_lock(&d->lock);
    FAULT(d, "vaCreateBuffer");
    int ot = obj_type(d, owner);
    pthread_mutex_unlock(&d->lock);
    /* Exec buffers belong to a protected session (see va_prot.h); the rest to contexts. */
    if (type == VAProtectedSessionExecuteBufferType) {
        if (ot != OBJ_PSESSION || size != sizeof(VAProtectedSessionExecuteBuffer) || num != 1)
            return VA_STATUS_ERROR_INVALID_BUFFER;
    } else if (ot != OBJ_CONTEXT && type != VAImageBufferType) {
        return VA_STATUS_ERROR_INVALID_CONTEXT;
    }
    if (type == VAEncryptionParameterBufferType && (size != sizeof(VAEncryptionParameters) || num != 1))
        return VA_STATUS_ERROR_INVALID_BUFFER;
    Buffer *b = calloc(1, sizeof(*b));
    if (!b)
        return VA_STATUS_ERROR_ALLOCATION_FAILED;
    b->type = type;
    b->size = size;
    b->num_elements = num;
    b->data = calloc(num, size);
    if (!b->data) {
        free(b);
        return VA_STATUS_ERROR_ALLOCATION_FAILED;
    }
    if (data)
        memcpy(b->data, data, (size_t)size * num);
    if (type == VAEncryptionParameterBufferType) {
        VAEncryptionParameters *e = (VAEncryptionParameters *)b->data;
        if (e->num_segments > 65536 || (e->num_segments && !e->segment_info)) {
            buffer_free(b);
            return VA_STATUS_ERROR_INVALID_PARAMETER;
        }
        if (e->num_segments) { /* segment_info is the client's pointer: deep-copy it now */
            b->segments = malloc(e->num_segments * sizeof(*b->segments));
            if (!b->segments) {
                buffer_free(b);
                return VA_STATUS_ERROR_ALLOCATION_FAILED;
            }
            memcpy(b->segments, e->segment_info, e->num_segments * sizeof(*b->segments));
        }
        e->segment_info = b->segments;
    }
    pthread_mutex_lock(&d->lock);
    VAStatus st = obj_add(d, OBJ_BUFFER, b, id);
    pthread_mutex_unlock(&d->lock);
    if (st != VA_STATUS_SUCCESS)
        buffer_free(b);
    return st;
}

VAStatus t_BufferSetNumElements(VADriverContextP ctx, VABufferID id, unsigned num)
{
    Drv *d = drv_lock(ctx);
    Buffer *b = obj_get(d, id, OBJ_BUFFER);
    VAStatus st = VA_STATUS_SUCCESS;
    if (!b)
        st = VA_STATUS_ERROR_INVALID_BUFFER;
    else if (num > b->num_elements || num == 0)
        st = VA_STATUS_ERROR_INVALID_PARAMETER;
    else
        b->num_elements = num;
    pthread_mutex_unlock(&d->lock);
    return st;
}

VAStatus t_MapBuffer(VADriverContextP ctx, VABufferID id, void **p)
{
    Drv *d = drv_lock(ctx);
    FAULT(d, "vaMapBuffer");
    Buffer *b = obj_get(d, id, OBJ_BUFFER);
    if (b)
        *p = b->data;
    pthread_mutex_unlock(&d->lock);
    return b ? VA_STATUS_SUCCESS : VA_STATUS_ERROR_INVALID_BUFFER;
}

VAStatus t_UnmapBuffer(VADriverContextP ctx, VABufferID id)
{
    return obj_exists(drv_of(ctx), id, OBJ_BUFFER) ? VA_STATUS_SUCCESS
                                                    : VA_STATUS_ERROR_INVALID_BUFFER;
}

VAStatus t_DestroyBuffer(VADriverContextP ctx, VABufferID id)
{
    Buffer *b = obj_take(drv_of(ctx), id, OBJ_BUFFER);
    if (!b)
        return VA_STATUS_ERROR_INVALID_BUFFER;
    buffer_free(b);
    return VA_STATUS_SUCCESS;
}

VAStatus t_BufferInfo(VADriverContextP ctx, VABufferID id, VABufferType *type,
                      unsigned *size, unsigned *num)
{
    Drv *d = drv_lock(ctx);
    Buffer *b = obj_get(d, id, OBJ_BUFFER);
    if (b) {
        *type = b->type;
        *size = b->size;
        *num = b->num_elements;
    }
    pthread_mutex_unlock(&d->lock);
    return b ? VA_STATUS_SUCCESS : VA_STATUS_ERROR_INVALID_BUFFER;
}
