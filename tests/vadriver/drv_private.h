/*
 * drv_private.h - what the test VA driver's source files share: its objects (config, surface,
 * context, buffer, image, protected session) and the driver state, the object table, the fault
 * and log knobs, the AES helpers, and the driver hooks each file implements for the vtable that
 * secdec_test_drv_video.c (the entry point) fills. Not installed; everything is hidden (the
 * module is built with hidden visibility, only __vaDriverInit_* is exported).
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef SECDEC_DRV_PRIVATE_H
#define SECDEC_DRV_PRIVATE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include <va/va.h>
#include <va/va_backend.h>
#include <va/va_backend_prot.h>

#include "drv_decode_h264.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

#define MAX_WIDTH 4096
#define MAX_HEIGHT 4096

/* ---- objects ------------------------------------------------------------------------------ */

enum { OBJ_CONFIG = 1, OBJ_SURFACE, OBJ_CONTEXT, OBJ_BUFFER, OBJ_IMAGE, OBJ_PSESSION };

typedef struct Config {
    VAProfile profile;
    VAEntrypoint entrypoint;
    uint32_t encryption; /* VA_ENCRYPTION_TYPE_* asked for (decode) */
    uint32_t cipher_mode; /* protected content */
} Config;

typedef struct Surface {
    int width, height;
    uint8_t *data; /* NV12, pitch = width */
    size_t size;
} Surface;

typedef struct Buffer {
    VABufferType type;
    unsigned size, num_elements;
    uint8_t *data;        /* size * num_elements bytes */
    bool borrowed;        /* data belongs to a surface (vaDeriveImage) */
    VAEncryptionSegmentInfo *segments; /* VAEncryptionParameterBufferType: deep copy */
} Buffer;

typedef struct Image {
    VAImage image;
    VASurfaceID derived_from;
} Image;

typedef struct PSession {
    bool alive;
    bool has_key;
    uint8_t session_key[16];
    bool refresh_pending;     /* START_KEY_REFRESH drew refresh_random */
    uint8_t refresh_random[16];
} PSession;

typedef struct Context {
    VAConfigID config;
    VASurfaceID target;
    bool in_picture;
    VAProtectedSessionID session; /* VA_INVALID_ID: none */
    /* the current picture */
    uint8_t *slices;
    size_t slices_size, slices_cap;
    size_t *slice_ends;
    size_t n_slices, cap_slices;
    bool has_enc;
    VAEncryptionParameters enc;
    VAEncryptionSegmentInfo *enc_segments;
    DrvH264 *h264; /* H.264 configs: the decoder (drv_decode_h264.c) */
} Context;

typedef struct Obj {
    uint32_t id;
    int type;
    void *p;
} Obj;

typedef struct Drv {
    pthread_mutex_t lock;
    Obj *objs;
    size_t n, cap;
    uint32_t next_id;
    char fault_spec[128];
    unsigned fault_calls;
    unsigned enc_pictures; /* protected pictures ended, for SECDEC_TEST_DRV_LOSE_AFTER */
    bool lost_once;        /* the simulated power event happened */
} Drv;

static inline Drv *drv_of(VADriverContextP ctx)
{
    return ctx->pDriverData;
}

/* The driver with its lock taken: a hook's prologue. */
static inline Drv *drv_lock(VADriverContextP ctx)
{
    Drv *d = drv_of(ctx);
    pthread_mutex_lock(&d->lock);
    return d;
}

/* ---- drv_object.c: the object table (caller holds d->lock), fault knob, log --------------- */

void *obj_get(Drv *d, uint32_t id, int type);
int obj_type(Drv *d, uint32_t id); /* 0: no such object */
VAStatus obj_add(Drv *d, int type, void *p, uint32_t *id);
void *obj_remove(Drv *d, uint32_t id, int type);
/* `array` (of *cap elements) grown to hold at least `need` elements: doubled, first_cap at
 * first. NULL when out of memory (array is still valid then, *cap unchanged). */
void *drv_grow(void *array, size_t *cap, size_t need, size_t elem_size, size_t first_cap);
/* The same taking d->lock themselves: whether `id` is an object of `type`; removing it. */
bool obj_exists(Drv *d, uint32_t id, int type);
void *obj_take(Drv *d, uint32_t id, int type);

/* $SECDEC_TEST_DRV_FAIL=<name>[:N]: true when this call of `name` must fail. Caller holds
 * d->lock. */
bool fault(Drv *d, const char *name);

/* Returns VA_STATUS_ERROR_OPERATION_FAILED (unlocking) when the fault knob hits `name`. */
#define FAULT(d, name)                                                                           \
    do {                                                                                         \
        if (fault(d, name)) {                                                                    \
            pthread_mutex_unlock(&(d)->lock);                                                    \
            return VA_STATUS_ERROR_OPERATION_FAILED;                                             \
        }                                                                                        \
    } while (0)

/* Appends a line to $SECDEC_TEST_DRV_LOG (nothing when unset). */
void drv_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- drv_config.c ------------------------------------------------------------------------- */

#define DRV_N_DECODE_PROFILES 4
extern const VAProfile drv_decode_profiles[DRV_N_DECODE_PROFILES];
bool is_decode_profile(VAProfile p);

/* ---- drv_context.c / drv_buffer.c --------------------------------------------------------- */

/* Forgets the current picture of a context (vaBeginPicture, end of vaEndPicture). */
void picture_reset(Context *c);
/* Caller holds d->lock. The context `id` (*c) and whether object `other` of `type` exists:
 * VA_STATUS_SUCCESS, VA_STATUS_ERROR_INVALID_CONTEXT (*c NULL) or `missing`. */
VAStatus context_with(Drv *d, VAContextID id, uint32_t other, int type, VAStatus missing,
                      Context **c);
/* Frees a context and what it owns (its picture, the H.264 decoder). */
void context_free(Context *c);
/* Frees a surface and its memory. */
void surface_free(Surface *s);
/* Frees a buffer and what it owns (not borrowed surface memory). NULL-safe. */
void buffer_free(Buffer *b);

/* ---- drv_protected.c ---------------------------------------------------------------------- */

/* $SECDEC_TEST_DRV_LOSE_AFTER: counts a protected picture, maybe loses every session's keys.
 * Caller holds d->lock. */
void lose_sessions_knob(Drv *d);

/* ---- drv_decrypt.c ------------------------------------------------------------------------ */

/* AES-128-ECB one block at a time (this is a test driver). */
typedef struct Aes {
    EVP_CIPHER_CTX *enc, *dec;
} Aes;

bool aes_init(Aes *a, const uint8_t key[16]);
void aes_free(Aes *a);
bool aes_block(EVP_CIPHER_CTX *c, const uint8_t in[16], uint8_t out[16]);

/* Decrypts the picture's slice data in place with the attached protected session's keys.
 * Returns a VA status and logs the reason. Caller holds d->lock. */
VAStatus decrypt_picture(Drv *d, Context *c);

/* ---- driver hooks, by file (secdec_test_drv_video.c puts them in the vtable) -------------- */

/* drv_config.c */
VAStatus t_QueryConfigProfiles(VADriverContextP ctx, VAProfile *list, int *num);
VAStatus t_QueryConfigEntrypoints(VADriverContextP ctx, VAProfile profile,
                                  VAEntrypoint *list, int *num);
VAStatus t_GetConfigAttributes(VADriverContextP ctx, VAProfile profile, VAEntrypoint ep,
                               VAConfigAttrib *list, int num);
VAStatus t_CreateConfig(VADriverContextP ctx, VAProfile profile, VAEntrypoint ep,
                        VAConfigAttrib *list, int num, VAConfigID *id);
VAStatus t_DestroyConfig(VADriverContextP ctx, VAConfigID id);
VAStatus t_QueryConfigAttributes(VADriverContextP ctx, VAConfigID id, VAProfile *profile,
                                 VAEntrypoint *ep, VAConfigAttrib *list, int *num);

/* drv_surface.c */
VAStatus t_CreateSurfaces(VADriverContextP ctx, int w, int h, int format, int n,
                          VASurfaceID *out);
VAStatus t_CreateSurfaces2(VADriverContextP ctx, unsigned format, unsigned w, unsigned h,
                           VASurfaceID *out, unsigned n, VASurfaceAttrib *attribs,
                           unsigned num_attribs);
VAStatus t_DestroySurfaces(VADriverContextP ctx, VASurfaceID *list, int n);
VAStatus t_QuerySurfaceAttributes(VADriverContextP ctx, VAConfigID config,
                                  VASurfaceAttrib *list, unsigned *num);
VAStatus t_SyncSurface(VADriverContextP ctx, VASurfaceID id);
VAStatus t_QuerySurfaceStatus(VADriverContextP ctx, VASurfaceID id, VASurfaceStatus *s);

/* drv_context.c */
VAStatus t_CreateContext(VADriverContextP ctx, VAConfigID config, int w, int h, int flag,
                         VASurfaceID *targets, int n_targets, VAContextID *id);
VAStatus t_DestroyContext(VADriverContextP ctx, VAContextID id);

/* drv_buffer.c */
VAStatus t_CreateBuffer(VADriverContextP ctx, VAContextID owner, VABufferType type,
                        unsigned size, unsigned num, void *data, VABufferID *id);
VAStatus t_BufferSetNumElements(VADriverContextP ctx, VABufferID id, unsigned num);
VAStatus t_MapBuffer(VADriverContextP ctx, VABufferID id, void **p);
VAStatus t_UnmapBuffer(VADriverContextP ctx, VABufferID id);
VAStatus t_DestroyBuffer(VADriverContextP ctx, VABufferID id);
VAStatus t_BufferInfo(VADriverContextP ctx, VABufferID id, VABufferType *type,
                      unsigned *size, unsigned *num);

/* drv_picture.c */
VAStatus t_BeginPicture(VADriverContextP ctx, VAContextID id, VASurfaceID target);
VAStatus t_RenderPicture(VADriverContextP ctx, VAContextID id, VABufferID *bufs, int n);
VAStatus t_EndPicture(VADriverContextP ctx, VAContextID id);

/* drv_image.c */
VAStatus t_QueryImageFormats(VADriverContextP ctx, VAImageFormat *list, int *num);
VAStatus t_CreateImage(VADriverContextP ctx, VAImageFormat *format, int w, int h,
                       VAImage *image);
VAStatus t_DeriveImage(VADriverContextP ctx, VASurfaceID surface, VAImage *image);
VAStatus t_DestroyImage(VADriverContextP ctx, VAImageID id);
VAStatus t_GetImage(VADriverContextP ctx, VASurfaceID surface, int x, int y, unsigned w,
                    unsigned h, VAImageID image);

/* drv_protected.c */
VAStatus t_CreateProtectedSession(VADriverContextP ctx, VAConfigID config,
                                  VAProtectedSessionID *id);
VAStatus t_DestroyProtectedSession(VADriverContextP ctx, VAProtectedSessionID id);
VAStatus t_AttachProtectedSession(VADriverContextP ctx, VAContextID context,
                                  VAProtectedSessionID id);
VAStatus t_DetachProtectedSession(VADriverContextP ctx, VAContextID context);

/* drv_tee.c */
VAStatus t_ProtectedSessionExecute(VADriverContextP ctx, VAProtectedSessionID id,
                                   VABufferID buf);

#endif
