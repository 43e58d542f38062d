/*
 * va_decode_display.c - a VADisplay for an unmodified VA-API decoder (libavcodec's hwaccel,
 * GStreamer's va plugin, ...) that decodes protected samples: the driver vtable is wrapped so
 * that the decode contexts get the crypto session's protected session attached and every
 * picture gets the VAEncryptionParameterBufferType buffer of the sample being decoded. See
 * secdec_vaapi_decode_display_create() in include/secdec/vaapi.h and hw/README.md.
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memmem */
#endif
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <va/va_backend.h>
#include <va/va_backend_prot.h>

#include "secdec/vaapi.h"

#define MAX_CONTEXTS 32

/* One slice data buffer of the current picture: where it is in the picture's concatenated
 * slice data and where its bytes are in the registered sample. */
typedef struct Slice {
    uint32_t concat_off;
    size_t sample_off;
    size_t size;
} Slice;

typedef struct Ctx {
    VAContextID id;
    SecdecCryptoSession *attached; /* session attached to it (NULL: none) */
    Slice *slices;
    size_t n_slices, cap_slices;
    uint32_t concat_size;
    bool failed;                   /* a slice of this picture could not be mapped */
    /* slice data buffers created here to replace cut ones, destroyed after vaEndPicture */
    VABufferID *own;
    size_t n_own, cap_own;
    size_t repaired;               /* slices passed whole, for the log */
} Ctx;

struct SecdecVaapiDecodeDisplay {
    /* What libva sees: a display context and a driver context copied from the session's
     * display, whose vtable is ours. Hooks forward to the original vtable with the original
     * driver context, so the driver always sees its own context. */
    struct VADisplayContext dctx;
    struct VADriverContext drv;
    struct VADriverVTable vt;
    VADriverContextP orig;
    struct VADriverVTable *ovt;

    SecdecDevice *device;
    pthread_mutex_t lock;

    /* the registered sample */
    SecdecCryptoSession *session; /* NULL: no sample or clear */
    const uint8_t *sample;
    size_t sample_size;
    size_t cursor;
    SecdecVaapiEncryption enc;

    Ctx ctxs[MAX_CONTEXTS];
    unsigned n_ctxs;
    char error[256];
};

#define DD_OF(ctx) ((SecdecVaapiDecodeDisplay *)((char *)(ctx) - offsetof(SecdecVaapiDecodeDisplay, drv)))

static void set_error(SecdecVaapiDecodeDisplay *dd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void set_error(SecdecVaapiDecodeDisplay *dd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(dd->error, sizeof(dd->error), fmt, ap);
    va_end(ap);
}

/* Caller holds the lock. */
static Ctx *ctx_find(SecdecVaapiDecodeDisplay *dd, VAContextID id)
{
    for (unsigned i = 0; i < dd->n_ctxs; i++)
        if (dd->ctxs[i].id == id)
            return &dd->ctxs[i];
    return NULL;
}

static VAStatus w_CreateContext(VADriverContextP ctx, VAConfigID config, int w, int h, int flag,
                                VASurfaceID *targets, int n, VAContextID *out)
{
    SecdecVaapiDecodeDisplay *dd = DD_OF(ctx);
    VAStatus st = dd->ovt->vaCreateContext(dd->orig, config, w, h, flag, targets, n, out);
    if (st != VA_STATUS_SUCCESS)
        return st;
    pthread_mutex_lock(&dd->lock);
    if (dd->n_ctxs == MAX_CONTEXTS) {
        pthread_mutex_unlock(&dd->lock);
        dd->ovt->vaDestroyContext(dd->orig, *out);
        return VA_STATUS_ERROR_MAX_NUM_EXCEEDED;
    }
    Ctx *c = &dd->ctxs[dd->n_ctxs++];
    memset(c, 0, sizeof(*c));
    c->id = *out;
    SecdecCryptoSession *session = dd->session;
    pthread_mutex_unlock(&dd->lock);
    /* Attach the current sample's session now; a later sample of the other cipher mode (or
     * a clear lead) re-attaches at vaEndPicture. */
    if (session) {
        SecdecStatus sst = secdec_vaapi_attach(dd->device, session, *out);
        pthread_mutex_lock(&dd->lock);
        if (sst == SECDEC_OK) {
            c = ctx_find(dd, *out);
            if (c)
                c->attached = session;
        } else {
            set_error(dd, "cannot attach the protected session to decode context %#x: %s",
                      *out, secdec_status_to_string(sst));
        }
        pthread_mutex_unlock(&dd->lock);
        if (sst != SECDEC_OK) {
            ctx->vtable->vaDestroyContext(ctx, *out);
            return VA_STATUS_ERROR_OPERATION_FAILED;
        }
    }
    return VA_STATUS_SUCCESS;
}

static VAStatus w_DestroyContext(VADriverContextP ctx, VAContextID id)
{
    SecdecVaapiDecodeDisplay *dd = DD_OF(ctx);
    pthread_mutex_lock(&dd->lock);
    Ctx *c = ctx_find(dd, id);
    VABufferID *own = NULL;
    size_t n_own = 0;
    if (c) {
        free(c->slices);
        own = c->own;
        n_own = c->n_own;
        *c = dd->ctxs[--dd->n_ctxs];
    }
    pthread_mutex_unlock(&dd->lock);
    for (size_t i = 0; i < n_own; i++)
        dd->ovt->vaDestroyBuffer(dd->orig, own[i]);
    free(own);
    return dd->ovt->vaDestroyContext(dd->orig, id);
}

static VAStatus w_BeginPicture(VADriverContextP ctx, VAContextID id, VASurfaceID target)
{
    SecdecVaapiDecodeDisplay *dd = DD_OF(ctx);
    VAStatus st = dd->ovt->vaBeginPicture(dd->orig, id, target);
    pthread_mutex_lock(&dd->lock);
    Ctx *c = ctx_find(dd, id);
    if (c) {
        c->n_slices = 0;
        c->concat_size = 0;
        c->failed = false;
        c->repaired = 0;
    }
    pthread_mutex_unlock(&dd->lock);
    return st;
}

/* Caller holds the lock. The end of the encrypted range of the registered sample's segments
 * that strictly contains sample offset `pos`, or 0 when `pos` is not inside one. */
static size_t encrypted_range_end(const SecdecVaapiDecodeDisplay *dd, size_t pos)
{
    for (uint32_t i = 0; i < dd->enc.n_segments; i++) {
        const VAEncryptionSegmentInfo *s = &dd->enc.segments[i];
        size_t enc = (size_t)s->segment_start_offset + s->init_byte_length;
        size_t end = (size_t)s->segment_start_offset + s->segment_length;
        if (pos > enc && pos < end)
            return end;
    }
    return 0;
}

/* Caller holds the lock. Finds the slice data buffer's bytes in the registered sample and
 * records the slice. A buffer that ends strictly inside an encrypted range was cut short by
 * the decoder's parser (a start-code-like 00 00 01/02 in the ciphertext: libavcodec up to at
 * least 5.1 ends even a length-prefixed NAL there) — in NAL-structured CENC an encrypted range
 * always ends with its NAL. Then *whole gets the NAL's full size (the caller passes the whole
 * NAL to the driver instead); otherwise *whole = 0. Returns false when the buffer is skipped
 * because it lies inside a slice already passed whole (the parser's bogus remainder). */
static bool record_slice(SecdecVaapiDecodeDisplay *dd, Ctx *c, VABufferID id, unsigned size,
                         unsigned num, size_t *sample_off, size_t *whole)
{
    size_t n = (size_t)size * num;
    *whole = 0;
    if (!dd->session || dd->enc.clear || c->failed) {
        c->concat_size += (uint32_t)n;
        return true;
    }
    void *p = NULL;
    if (dd->ovt->vaMapBuffer(dd->orig, id, &p) != VA_STATUS_SUCCESS || !p) {
        set_error(dd, "cannot map slice data buffer %#x", id);
        c->failed = true;
        return true;
    }
    const uint8_t *hit = NULL;
    if (n && n <= dd->sample_size) {
        if (dd->cursor < dd->sample_size)
            hit = memmem(dd->sample + dd->cursor, dd->sample_size - dd->cursor, p, n);
        if (!hit)
            hit = memmem(dd->sample, dd->sample_size, p, n);
    }
    dd->ovt->vaUnmapBuffer(dd->orig, id);
    if (!hit) {
        set_error(dd, "a %zu-byte slice data buffer is not part of the registered sample "
                  "(%zu bytes)", n, dd->sample_size);
        c->failed = true;
        return true;
    }
    size_t off = (size_t)(hit - dd->sample);
    if (c->n_slices) {
        const Slice *last = &c->slices[c->n_slices - 1];
        if (off > last->sample_off && off + n <= last->sample_off + last->size &&
            encrypted_range_end(dd, off))
            return false; /* the rest of a slice already passed whole */
    }
    size_t end = encrypted_range_end(dd, off + n);
    if (end && num == 1 && end - off <= UINT32_MAX) {
        *whole = end - off;
        n = *whole;
    }
    if (c->n_slices == c->cap_slices) {
        size_t cap = c->cap_slices ? 2 * c->cap_slices : 16;
        Slice *s = realloc(c->slices, cap * sizeof(*s));
        if (!s) {
            set_error(dd, "out of memory");
            c->failed = true;
            return true;
        }
        c->slices = s;
        c->cap_slices = cap;
    }
    c->slices[c->n_slices++] = (Slice){c->concat_size, off, n};
    c->concat_size += (uint32_t)n;
    dd->cursor = off + n;
    *sample_off = off;
    return true;
}

/* Caller holds the lock. Replaces slice data buffer bufs[k] (cut short by the decoder's
 * parser) with a new buffer holding the whole NAL, and sets slice_data_size in the slice
 * parameter buffer bufs[k - 1] (VASliceParameterBufferBase is the first member of every
 * codec's slice parameters). Returns false (error set) when that cannot be done. */
static bool pass_whole(SecdecVaapiDecodeDisplay *dd, Ctx *c, VAContextID id, VABufferID *bufs,
                       int k, unsigned cut, size_t off, size_t whole)
{
    VABufferType type;
    unsigned psize = 0, pnum = 0;
    void *p = NULL;
    if (k < 1 ||
        dd->ovt->vaBufferInfo(dd->orig, bufs[k - 1], &type, &psize, &pnum) != VA_STATUS_SUCCESS ||
        type != VASliceParameterBufferType || pnum != 1 || psize < sizeof(uint32_t) ||
        dd->ovt->vaMapBuffer(dd->orig, bufs[k - 1], &p) != VA_STATUS_SUCCESS || !p) {
        set_error(dd, "a slice data buffer was cut short by the decoder (%u of %zu bytes, a "
                  "start-code-like sequence in the ciphertext) and its slice parameters cannot "
                  "be corrected", cut, whole);
        return false;
    }
    uint32_t *slice_data_size = p; /* VASliceParameterBufferBase.slice_data_size */
    bool ok = *slice_data_size == cut;
    if (ok)
        *slice_data_size = (uint32_t)whole;
    dd->ovt->vaUnmapBuffer(dd->orig, bufs[k - 1]);
    VABufferID nb = VA_INVALID_ID;
    if (ok && c->n_own == c->cap_own) {
        size_t cap = c->cap_own ? 2 * c->cap_own : 8;
        VABufferID *o = realloc(c->own, cap * sizeof(*o));
        if (o) {
            c->own = o;
            c->cap_own = cap;
        }
        ok = o != NULL;
    }
    if (ok)
        ok = dd->ovt->vaCreateBuffer(dd->orig, id, VASliceDataBufferType, (unsigned)whole, 1,
                                     (void *)(uintptr_t)(dd->sample + off), &nb) ==
             VA_STATUS_SUCCESS;
    if (!ok) {
        set_error(dd, "cannot pass a slice cut short by the decoder (%u of %zu bytes) whole",
                  cut, whole);
        return false;
    }
    c->own[c->n_own++] = nb;
    bufs[k] = nb;
    c->repaired++;
    return true;
}

static VAStatus w_RenderPicture(VADriverContextP ctx, VAContextID id, VABufferID *bufs, int n)
{
    SecdecVaapiDecodeDisplay *dd = DD_OF(ctx);
    if (n <= 0 || !bufs)
        return dd->ovt->vaRenderPicture(dd->orig, id, bufs, n);
    /* a copy: cut slice data buffers are replaced, bogus remainders dropped */
    VABufferID stack[64], *copy = (size_t)n <= 64 ? stack : malloc((size_t)n * sizeof(*copy));
    if (!copy)
        return VA_STATUS_ERROR_ALLOCATION_FAILED;
    int m = 0;
    bool failed = false;
    pthread_mutex_lock(&dd->lock);
    Ctx *c = ctx_find(dd, id);
    for (int i = 0; i < n; i++) {
        copy[m++] = bufs[i];
        VABufferType type;
        unsigned size = 0, num = 0;
        if (!c || dd->ovt->vaBufferInfo(dd->orig, bufs[i], &type, &size, &num) !=
                      VA_STATUS_SUCCESS ||
            type != VASliceDataBufferType)
            continue;
        size_t off = 0, whole = 0;
        if (!record_slice(dd, c, bufs[i], size, num, &off, &whole)) {
            /* drop it and its slice parameters */
            m--;
            if (m > 0 && i > 0 && copy[m - 1] == bufs[i - 1] &&
                dd->ovt->vaBufferInfo(dd->orig, bufs[i - 1], &type, &size, &num) ==
                    VA_STATUS_SUCCESS &&
                type == VASliceParameterBufferType)
                m--;
            continue;
        }
        if (whole && !pass_whole(dd, c, id, copy, m - 1, size, off, whole)) {
            c->failed = true;
            failed = true;
        }
    }
    pthread_mutex_unlock(&dd->lock);
    VAStatus st = failed ? VA_STATUS_ERROR_INVALID_PARAMETER
                         : dd->ovt->vaRenderPicture(dd->orig, id, copy, m);
    if (copy != stack)
        free(copy);
    return st;
}

/* Caller holds the lock. Translates the sample's segments (offsets in the sample) into
 * segments of the picture's concatenated slice data. Returns the number of segments, or -1
 * (error set). */
static long map_segments(SecdecVaapiDecodeDisplay *dd, Ctx *c, VAEncryptionSegmentInfo *out)
{
    long n = 0;
    for (uint32_t i = 0; i < dd->enc.n_segments; i++) {
        const VAEncryptionSegmentInfo *s = &dd->enc.segments[i];
        size_t start = s->segment_start_offset, enc = start + s->init_byte_length;
        size_t end = start + s->segment_length;
        if (end == enc)
            continue; /* all clear */
        const Slice *hit = NULL;
        for (size_t k = 0; k < c->n_slices; k++) {
            const Slice *sl = &c->slices[k];
            if (enc >= sl->sample_off && enc < sl->sample_off + sl->size) {
                hit = sl;
                break;
            }
            if (sl->sample_off < end && enc < sl->sample_off + sl->size) {
                set_error(dd, "a slice data buffer starts inside encrypted range %u (sample "
                          "bytes %zu..%zu): its NAL or slice header is encrypted", i, enc, end);
                return -1;
            }
        }
        if (!hit)
            continue; /* a NAL this picture does not render (SEI, the other field) */
        size_t win_end = hit->sample_off + hit->size;
        size_t cs = start > hit->sample_off ? start : hit->sample_off;
        size_t ce = end < win_end ? end : win_end;
        VAEncryptionSegmentInfo *o = &out[n++];
        *o = *s;
        o->segment_start_offset = hit->concat_off + (uint32_t)(cs - hit->sample_off);
        o->init_byte_length = (uint32_t)(enc - cs);
        o->segment_length = (uint32_t)(ce - cs);
    }
    return n;
}

/* Destroys the slice data buffers created for context `id`'s picture. */
static void destroy_own(SecdecVaapiDecodeDisplay *dd, VAContextID id)
{
    pthread_mutex_lock(&dd->lock);
    Ctx *c = ctx_find(dd, id);
    VABufferID *own = NULL;
    size_t n = 0;
    if (c) {
        own = c->own;
        n = c->n_own;
        c->own = NULL;
        c->n_own = c->cap_own = 0;
    }
    pthread_mutex_unlock(&dd->lock);
    for (size_t i = 0; i < n; i++)
        dd->ovt->vaDestroyBuffer(dd->orig, own[i]);
    free(own);
}

static VAStatus w_EndPicture(VADriverContextP ctx, VAContextID id)
{
    SecdecVaapiDecodeDisplay *dd = DD_OF(ctx);
    VABufferID buf = VA_INVALID_ID;
    VAStatus st = VA_STATUS_SUCCESS;
    SecdecCryptoSession *attach = NULL, *detach = NULL;

    pthread_mutex_lock(&dd->lock);
    Ctx *c = ctx_find(dd, id);
    if (c && c->failed) {
        st = VA_STATUS_ERROR_INVALID_PARAMETER;
    } else if (c && c->n_slices && dd->session && !dd->enc.clear) {
        VAEncryptionSegmentInfo *segs = calloc(dd->enc.n_segments ? dd->enc.n_segments : 1,
                                               sizeof(*segs));
        long n = segs ? map_segments(dd, c, segs) : -1;
        if (!segs)
            set_error(dd, "out of memory");
        if (n < 0) {
            st = VA_STATUS_ERROR_INVALID_PARAMETER;
        } else if (n > 0) {
            VAEncryptionParameters params = dd->enc.params;
            params.num_segments = (uint32_t)n;
            params.segment_info = segs;
            st = dd->ovt->vaCreateBuffer(dd->orig, id, VAEncryptionParameterBufferType,
                                         sizeof(params), 1, &params, &buf);
            if (st != VA_STATUS_SUCCESS)
                set_error(dd, "cannot create the encryption parameter buffer: %s",
                          vaErrorStr(st));
            else if (c->attached != dd->session) {
                detach = c->attached;
                attach = dd->session;
            }
        }
        free(segs);
    }
    pthread_mutex_unlock(&dd->lock);

    if (st == VA_STATUS_SUCCESS && attach) {
        SecdecStatus sst = SECDEC_OK;
        if (detach)
            sst = secdec_vaapi_detach(dd->device, detach, id);
        if (sst == SECDEC_OK)
            sst = secdec_vaapi_attach(dd->device, attach, id);
        pthread_mutex_lock(&dd->lock);
        c = ctx_find(dd, id);
        if (sst == SECDEC_OK && c)
            c->attached = attach;
        else if (sst != SECDEC_OK) {
            if (c)
                c->attached = NULL;
            set_error(dd, "cannot attach the protected session to decode context %#x: %s", id,
                      secdec_status_to_string(sst));
            st = VA_STATUS_ERROR_OPERATION_FAILED;
        }
        pthread_mutex_unlock(&dd->lock);
    }
    if (st == VA_STATUS_SUCCESS && buf != VA_INVALID_ID) {
        st = dd->ovt->vaRenderPicture(dd->orig, id, &buf, 1);
        if (st != VA_STATUS_SUCCESS) {
            pthread_mutex_lock(&dd->lock);
            set_error(dd, "cannot render the encryption parameter buffer: %s", vaErrorStr(st));
            pthread_mutex_unlock(&dd->lock);
        }
    }
    /* Always end the picture the driver has begun. */
    VAStatus est = dd->ovt->vaEndPicture(dd->orig, id);
    if (buf != VA_INVALID_ID)
        dd->ovt->vaDestroyBuffer(dd->orig, buf);
    destroy_own(dd, id);
    if (st == VA_STATUS_SUCCESS && est != VA_STATUS_SUCCESS) {
        pthread_mutex_lock(&dd->lock);
        if (dd->session && !dd->enc.clear)
            set_error(dd, "the driver failed the protected picture: %s", vaErrorStr(est));
        pthread_mutex_unlock(&dd->lock);
    }
    return st != VA_STATUS_SUCCESS ? st : est;
}

static VAStatus w_Terminate(VADriverContextP ctx)
{
    (void)ctx; /* the display belongs to the secdec device: never terminated from here */
    return VA_STATUS_SUCCESS;
}

static void d_destroy(VADisplayContextP dctx)
{
    (void)dctx;
}

SecdecStatus secdec_vaapi_decode_display_create(SecdecDevice *device,
                                                SecdecCryptoSession *session,
                                                SecdecVaapiDecodeDisplay **out,
                                                VADisplay *display)
{
    if (!device || !session || !out || !display)
        return SECDEC_E_INVALIDARG;
    *out = NULL;
    *display = NULL;
    VADisplay odpy;
    VAProtectedSessionID ps;
    SecdecStatus st = secdec_vaapi_session_get_display(device, session, &odpy, &ps);
    if (st != SECDEC_OK)
        return st;
    VADisplayContextP odctx = odpy;
    if (!odctx || !odctx->pDriverContext || !odctx->pDriverContext->vtable)
        return SECDEC_E_NOTAVAILABLE;
    SecdecVaapiDecodeDisplay *dd = calloc(1, sizeof(*dd));
    if (!dd)
        return SECDEC_E_OUTOFMEMORY;
    pthread_mutex_init(&dd->lock, NULL);
    dd->device = device;
    dd->orig = odctx->pDriverContext;
    dd->ovt = dd->orig->vtable;
    dd->dctx = *odctx;
    dd->dctx.pDriverContext = &dd->drv;
    dd->dctx.vaDestroy = d_destroy;
    dd->drv = *dd->orig;
    dd->drv.pDisplayContext = &dd->dctx;
    dd->vt = *dd->ovt;
    dd->drv.vtable = &dd->vt;
    dd->vt.vaTerminate = w_Terminate;
    dd->vt.vaCreateContext = w_CreateContext;
    dd->vt.vaDestroyContext = w_DestroyContext;
    dd->vt.vaBeginPicture = w_BeginPicture;
    dd->vt.vaRenderPicture = w_RenderPicture;
    dd->vt.vaEndPicture = w_EndPicture;
    *out = dd;
    *display = (VADisplay)&dd->dctx;
    return SECDEC_OK;
}

SecdecStatus secdec_vaapi_decode_display_set_sample(SecdecVaapiDecodeDisplay *dd,
                                                    SecdecCryptoSession *session,
                                                    const SecdecSampleInfo *info,
                                                    const uint8_t *data, size_t size)
{
    if (!dd || (info && (!session || !data)))
        return SECDEC_E_INVALIDARG;
    SecdecVaapiEncryption enc = {0};
    SecdecStatus st = SECDEC_OK;
    if (info)
        st = secdec_vaapi_build_encryption(dd->device, session, info, data, size, 0, &enc);
    pthread_mutex_lock(&dd->lock);
    secdec_vaapi_encryption_clear(&dd->enc);
    dd->session = NULL;
    dd->sample = NULL;
    dd->sample_size = 0;
    dd->cursor = 0;
    if (st == SECDEC_OK && info) {
        dd->enc = enc;
        dd->session = session;
        dd->sample = data;
        dd->sample_size = size;
    }
    pthread_mutex_unlock(&dd->lock);
    return st;
}

const char *secdec_vaapi_decode_display_get_error(SecdecVaapiDecodeDisplay *dd, char *buf,
                                                  size_t size)
{
    if (!dd || !buf || !size)
        return NULL;
    pthread_mutex_lock(&dd->lock);
    const char *ret = NULL;
    if (dd->error[0]) {
        snprintf(buf, size, "%s", dd->error);
        dd->error[0] = 0;
        ret = buf;
    }
    pthread_mutex_unlock(&dd->lock);
    return ret;
}

void secdec_vaapi_decode_display_free(SecdecVaapiDecodeDisplay **pdd)
{
    if (!pdd || !*pdd)
        return;
    SecdecVaapiDecodeDisplay *dd = *pdd;
    for (unsigned i = 0; i < dd->n_ctxs; i++) {
        free(dd->ctxs[i].slices);
        free(dd->ctxs[i].own); /* the buffers went with the driver's contexts */
    }
    secdec_vaapi_encryption_clear(&dd->enc);
    pthread_mutex_destroy(&dd->lock);
    free(dd);
    *pdd = NULL;
}
