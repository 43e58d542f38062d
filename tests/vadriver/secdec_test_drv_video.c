/*
 * secdec_test_drv_video.c - a VA-API driver for secdec's tests: no GPU, a software "TEE".
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * What it offers (see tests/vadriver/README.md):
 *  - VAProfileProtected / VAEntrypointProtectedContent with the ProtectedContent attributes
 *    (AES, 128-bit blocks, CTR|CBC, subsample, default usage), protected sessions and
 *    vaProtectedSessionExecute() speaking secdec's TEE protocol (hw/include/secdec/va-tee.h);
 *  - H.264 High/Main/ConstrainedBaseline and HEVC Main at VAEntrypointVLD with
 *    VAConfigAttribEncryption = SUBSAMPLE_CTR|SUBSAMPLE_CBC;
 *  - enough of the decode entrypoint for libavcodec's VA-API hwaccel: NV12 surfaces in plain
 *    memory, contexts, buffers, Begin/Render/EndPicture, images (derive, create + get).
 *    H.264 pictures are decoded (drv_decode_h264.c: parameter sets rebuilt from the VA buffers,
 *    libavcodec); HEVC pictures, and H.264 ones that cannot be decoded, get a pattern derived
 *    from the SHA-256 of the picture's (decrypted) slice data in the luma plane.
 *  - it decrypts the slice data of pictures rendered with a VAEncryptionParameterBufferType
 *    buffer and appends one line per slice to the file named by $SECDEC_TEST_DRV_LOG:
 *        slice <enc|clear> <sha256 of the clear slice data, hex> <size>
 *    so tests compare these against the SHA-256 of the clear slices;
 *  - a fault knob: $SECDEC_TEST_DRV_FAIL=<name>[:N] makes the N-th call (every call without
 *    N) of <name> fail with VA_STATUS_ERROR_OPERATION_FAILED. <name> is a driver hook
 *    ("vaCreateProtectedSession", "vaEndPicture", ...) or a TEE function ("GET_CERTIFICATE",
 *    "KEY_EXCHANGE", "IS_SESSION_ALIVE", "CHECK_WRAPPED_KEY", "HW_PROTECTION").
 *
 * The TEE's identity is an RSA-2048 key with a self-signed certificate. With
 * $SECDEC_TEST_TEE_DIR set it is kept there (tee.key, tee.crt, PEM; created on first use, so
 * every process sees the same "hardware"); otherwise a fresh one is made per process.
 *
 * This file is the driver's entry point: __vaDriverInit_<major>_<minor> fills the vtable with
 * the hooks of drv_config.c, drv_surface.c, drv_context.c, drv_buffer.c, drv_picture.c,
 * drv_image.c, drv_protected.c and drv_tee.c (declared in drv_private.h), and vaTerminate frees
 * every object.
 */

#include <stdlib.h>

#include "drv_decode_h264.h"
#include "drv_private.h"

#define EXPORT __attribute__((visibility("default")))
#define CAT3(a, b, c) a##b##_##c
#define INIT_NAME(maj, min) CAT3(__vaDriverInit_, maj, min)
#define DRIVER_INIT INIT_NAME(VA_MAJOR_VERSION, VA_MINOR_VERSION)

static VAStatus t_Terminate(VADriverContextP ctx)
{
    Drv *d = drv_of(ctx);
    for (size_t i = 0; i < d->n; i++) {
        Obj *o = &d->objs[i];
        if (o->type == OBJ_SURFACE)
            surface_free(o->p);
        else if (o->type == OBJ_BUFFER)
            buffer_free(o->p);
        else if (o->type == OBJ_CONTEXT)
            context_free(o->p);
        else
            free(o->p); /* configs, images, protected sessions */
    }
    free(d->objs);
    pthread_mutex_destroy(&d->lock);
    free(d);
    ctx->pDriverData = NULL;
    return VA_STATUS_SUCCESS;
}

#define UNIMPL VA_STATUS_ERROR_UNIMPLEMENTED
static VAStatus u_SetImagePalette(VADriverContextP c, VAImageID i, unsigned char *p) { return UNIMPL; }
static VAStatus u_PutImage(VADriverContextP c, VASurfaceID s, VAImageID i, int sx, int sy,
                           unsigned sw, unsigned sh, int dx, int dy, unsigned dw, unsigned dh)
{
    return UNIMPL;
}
static VAStatus u_CreateSubpicture(VADriverContextP c, VAImageID i, VASubpictureID *s) { return UNIMPL; }
static VAStatus u_DestroySubpicture(VADriverContextP c, VASubpictureID s) { return UNIMPL; }
static VAStatus u_SetSubpictureImage(VADriverContextP c, VASubpictureID s, VAImageID i) { return UNIMPL; }
static VAStatus u_SetSubpictureChromakey(VADriverContextP c, VASubpictureID s, unsigned a,
                                         unsigned b, unsigned m)
{
    return UNIMPL;
}
static VAStatus u_SetSubpictureGlobalAlpha(VADriverContextP c, VASubpictureID s, float a) { return UNIMPL; }
static VAStatus u_AssociateSubpicture(VADriverContextP c, VASubpictureID s, VASurfaceID *t, int n,
                                      short sx, short sy, unsigned short sw, unsigned short sh,
                                      short dx, short dy, unsigned short dw, unsigned short dh,
                                      unsigned flags)
{
    return UNIMPL;
}
static VAStatus u_DeassociateSubpicture(VADriverContextP c, VASubpictureID s, VASurfaceID *t, int n)
{
    return UNIMPL;
}
static VAStatus u_GetDisplayAttributes(VADriverContextP c, VADisplayAttribute *l, int n) { return UNIMPL; }
static VAStatus u_SetDisplayAttributes(VADriverContextP c, VADisplayAttribute *l, int n) { return UNIMPL; }

static VAStatus t_QuerySubpictureFormats(VADriverContextP ctx, VAImageFormat *list,
                                         unsigned *flags, unsigned *num)
{
    *num = 0;
    return VA_STATUS_SUCCESS;
}

static VAStatus t_QueryDisplayAttributes(VADriverContextP ctx, VADisplayAttribute *list, int *num)
{
    *num = 0;
    return VA_STATUS_SUCCESS;
}

/* ---- entry point -------------------------------------------------------------------------- */

EXPORT VAStatus DRIVER_INIT(VADriverContextP ctx);

VAStatus DRIVER_INIT(VADriverContextP ctx)
{
    Drv *d = calloc(1, sizeof(*d));
    if (!d)
        return VA_STATUS_ERROR_ALLOCATION_FAILED;
    pthread_mutex_init(&d->lock, NULL);
    if (fault(d, "vaDriverInit")) {
        pthread_mutex_destroy(&d->lock);
        free(d);
        return VA_STATUS_ERROR_OPERATION_FAILED;
    }
    ctx->pDriverData = d;
    ctx->version_major = VA_MAJOR_VERSION;
    ctx->version_minor = VA_MINOR_VERSION;
    ctx->max_profiles = (int)DRV_N_DECODE_PROFILES + 1;
    ctx->max_entrypoints = 1;
    ctx->max_attributes = 8;
    ctx->max_image_formats = 1;
    ctx->max_subpic_formats = 1;
    ctx->max_display_attributes = 1;
    ctx->str_vendor = "secdec test VA driver 0.1 (no GPU, software TEE)";

    struct VADriverVTable *v = ctx->vtable;
    v->vaTerminate = t_Terminate;
    v->vaQueryConfigProfiles = t_QueryConfigProfiles;
    v->vaQueryConfigEntrypoints = t_QueryConfigEntrypoints;
    v->vaQueryConfigAttributes = t_QueryConfigAttributes;
    v->vaCreateConfig = t_CreateConfig;
    v->vaDestroyConfig = t_DestroyConfig;
    v->vaGetConfigAttributes = t_GetConfigAttributes;
    v->vaCreateSurfaces = t_CreateSurfaces;
    v->vaCreateSurfaces2 = t_CreateSurfaces2;
    v->vaDestroySurfaces = t_DestroySurfaces;
    v->vaQuerySurfaceAttributes = t_QuerySurfaceAttributes;
    v->vaCreateContext = t_CreateContext;
    v->vaDestroyContext = t_DestroyContext;
    v->vaCreateBuffer = t_CreateBuffer;
    v->vaBufferSetNumElements = t_BufferSetNumElements;
    v->vaMapBuffer = t_MapBuffer;
    v->vaUnmapBuffer = t_UnmapBuffer;
    v->vaDestroyBuffer = t_DestroyBuffer;
    v->vaBufferInfo = t_BufferInfo;
    v->vaBeginPicture = t_BeginPicture;
    v->vaRenderPicture = t_RenderPicture;
    v->vaEndPicture = t_EndPicture;
    v->vaSyncSurface = t_SyncSurface;
    v->vaQuerySurfaceStatus = t_QuerySurfaceStatus;
    v->vaQueryImageFormats = t_QueryImageFormats;
    v->vaCreateImage = t_CreateImage;
    v->vaDeriveImage = t_DeriveImage;
    v->vaDestroyImage = t_DestroyImage;
    v->vaGetImage = t_GetImage;
    v->vaQuerySubpictureFormats = t_QuerySubpictureFormats;
    v->vaQueryDisplayAttributes = t_QueryDisplayAttributes;
    /* Mandatory for libva but meaningless here: VA_STATUS_ERROR_UNIMPLEMENTED. */
    v->vaSetImagePalette = u_SetImagePalette;
    v->vaPutImage = u_PutImage;
    v->vaCreateSubpicture = u_CreateSubpicture;
    v->vaDestroySubpicture = u_DestroySubpicture;
    v->vaSetSubpictureImage = u_SetSubpictureImage;
    v->vaSetSubpictureChromakey = u_SetSubpictureChromakey;
    v->vaSetSubpictureGlobalAlpha = u_SetSubpictureGlobalAlpha;
    v->vaAssociateSubpicture = u_AssociateSubpicture;
    v->vaDeassociateSubpicture = u_DeassociateSubpicture;
    v->vaGetDisplayAttributes = u_GetDisplayAttributes;
    v->vaSetDisplayAttributes = u_SetDisplayAttributes;

    if (ctx->vtable_prot) { /* libva >= 2.11 */
        struct VADriverVTableProt *p = ctx->vtable_prot;
        p->vaCreateProtectedSession = t_CreateProtectedSession;
        p->vaDestroyProtectedSession = t_DestroyProtectedSession;
        p->vaAttachProtectedSession = t_AttachProtectedSession;
        p->vaDetachProtectedSession = t_DetachProtectedSession;
        p->vaProtectedSessionExecute = t_ProtectedSessionExecute;
    }
    return VA_STATUS_SUCCESS;
}
