/*
 * drv_object.c - the test VA driver's object table (every config, surface,
 * context, buffer, image and protected session is an id in one list under the driver's lock),
 * the fault knob ($SECDEC_TEST_DRV_FAIL) and the log ($SECDEC_TEST_DRV_LOG).
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drv_private.h"

void *obj_get(Drv *d, uint32_t id, int type)
{
    for (size_t i = 0; i < d->n; i++)
        if (d->objs[i].id == id && d->objs[i].type == type)
            return d->objs[i].p;
    return NULL;
}

int obj_type(Drv *d, uint32_t id)
{
    for (size_t i = 0; i < d->n; i++)
        if (d->objs[i].id == id)
            return d->objs[i].type;
    return 0;
}

void *drv_grow(void *array, size_t *cap, size_t need, size_t elem_size, size_t first_cap)
{
    if (need <= *cap)
        return array;
    size_t n = *cap ? *cap * 2 : first_cap;
    if (n < need)
        n = need;
    void *p = realloc(array, n * elem_size);
    if (p)
        *cap = n;
    return p;
}

VAStatus obj_add(Drv *d, int type, void *p, uint32_t *id)
{
    Obj *o = drv_grow(d->objs, &d->cap, d->n + 1, sizeof(*o), 64);
    if (!o)
        return VA_STATUS_ERROR_ALLOCATION_FAILED;
    d->objs = o;
    d->objs[d->n++] = (Obj){++d->next_id, type, p};
    *id = d->next_id;
    return VA_STATUS_SUCCESS;
}

void *obj_remove(Drv *d, uint32_t id, int type)
{
    for (size_t i = 0; i < d->n; i++)
        if (d->objs[i].id == id && d->objs[i].type == type) {
            void *p = d->objs[i].p;
            d->objs[i] = d->objs[--d->n];
            return p;
        }
    return NULL;
}

bool obj_exists(Drv *d, uint32_t id, int type)
{
    pthread_mutex_lock(&d->lock);
    bool found = obj_get(d, id, type) != NULL;
    pthread_mutex_unlock(&d->lock);
    return found;
}

void *obj_take(Drv *d, uint32_t id, int type)
{
    pthread_mutex_lock(&d->lock);
    void *p = obj_remove(d, id, type);
    pthread_mutex_unlock(&d->lock);
    return p;
}

/* ---- fault knob --------------------------------------------------------------------------- */

/* Caller holds d->lock. */
bool fault(Drv *d, const char *name)
{
    const char *spec = getenv("SECDEC_TEST_DRV_FAIL");
    if (!spec || !*spec) {
        d->fault_spec[0] = 0;
        return false;
    }
    if (strcmp(spec, d->fault_spec) != 0) { /* a new spec restarts the count */
        snprintf(d->fault_spec, sizeof(d->fault_spec), "%s", spec);
        d->fault_calls = 0;
    }
    const char *colon = strchr(spec, ':');
    size_t len = colon ? (size_t)(colon - spec) : strlen(spec);
    if (len != strlen(name) || strncmp(spec, name, len) != 0)
        return false;
    d->fault_calls++;
    if (!colon)
        return true;
    return d->fault_calls == (unsigned)strtoul(colon + 1, NULL, 10);
}

/* ---- logging of decrypted slices ---------------------------------------------------------- */

void drv_log(const char *fmt, ...)
{
    const char *path = getenv("SECDEC_TEST_DRV_LOG");
    if (!path || !*path)
        return;
    FILE *f = fopen(path, "a");
    if (!f)
        return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(f, fmt, ap);
    va_end(ap);
    fclose(f);
}
