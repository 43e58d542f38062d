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
    h->dctx.vadpy_magic = VA_DISPLAY_MAGIC;
    h->dctx.pDriverContext = &h->drv;
    h->dctx.opaque = h;
    h->dctx.vaIsValid = h_is_valid;
    h->dctx.vaDestroy = h_destroy;
    h->dctx.vaGetDriverName = h_name;
    h->dctx.vaGetNumCandidates = h_num_candidates;
    h->dctx.vaGetDriverNameByIndex = h_name_by_index;
#if VA_CHECK_VERSION(1, 20, 0)
    h->dctx.vaGetDriverNames = h_names;
#endif
    h->drv.pDisplayContext = &h->dctx;
    h->drv.display_type = 0; /* no window system, no DRM state */
    return (VADisplay)&h->dctx;
}
