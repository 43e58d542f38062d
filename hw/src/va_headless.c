/*
 * va_headless.c - see va_headless.h.
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdlib.h>
#include <string.h>

#include <va/va_backend.h>

#include "va_headless.h"

typedef struct Headless {
    struct VADisplayContext dctx;
    struct VADriverContext drv;
    char *name;
} Headless;

static int h_is_valid(VADisplayContextP dctx)
{
    return dctx && dctx->pDriverContext != NULL;
}

static void h_destroy(VADisplayContextP dctx)
{
    if (!dctx)
        return;
    Headless *h = dctx->opaque;
    free(h->name);
    free(h);
}

static VAStatus h_num_candidates(VADisplayContextP dctx, int *n)
{
    *n = 1;
    return VA_STATUS_SUCCESS;
}

static VAStatus h_name_by_index(VADisplayContextP dctx, char **name, int index)
{
    Headless *h = dctx->opaque;
    if (index != 0)
        return VA_STATUS_ERROR_INVALID_PARAMETER;
    *name = strdup(h->name); /* libva frees it */
    return *name ? VA_STATUS_SUCCESS : VA_STATUS_ERROR_ALLOCATION_FAILED;
}

static VAStatus h_name(VADisplayContextP dctx, char **name)
{
    return h_name_by_index(dctx, name, 0);
}

#if VA_CHECK_VERSION(1, 20, 0)
static VAStatus h_names(VADisplayContextP dctx, char **names, unsigned *num)
{
    if (*num < 1)
        return VA_STATUS_ERROR_INVALID_PARAMETER;
    *num = 1;
    return h_name_by_index(dctx, &names[0], 0);
}
#endif

VADisplay sd_va_headless_display(const char *driver_name)
{
    Headless *h = calloc(1, sizeof(*h));
    if (!h)
        return NULL;
    h->name = strdup(driver_name);
    if (!h->name) {
        free(h);
        return NULL;
    }
    h->dctx = (struct VADisplayContext){
        .vadpy_magic = VA_DISPLAY_MAGIC,
        .pDriverContext = &h->drv,
        .opaque = h,
        .vaIsValid = h_is_valid,
        .vaDestroy = h_destroy,
        .vaGetDriverName = h_name,
        .vaGetNumCandidates = h_num_candidates,
        .vaGetDriverNameByIndex = h_name_by_index,
#if VA_CHECK_VERSION(1, 20, 0)
        .vaGetDriverNames = h_names,
#endif
    };
    /* no window system, no DRM state */
    h->drv = (struct VADriverContext){.pDisplayContext = &h->dctx, .display_type = 0};
    return (VADisplay)&h->dctx;
}
