/*
 * protected_pool.c - protected buffers: decrypted samples live only here. Regions are whole
 * pages, mlock'ed, MADV_DONTDUMP, MADV_WIPEONFORK, wiped when a buffer is released, and
 * recycled through a small per-device cache so steady-state playback maps nothing new.
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "protected_pool.h"

#define POOL_MIN_REGION (64u * 1024u)
#define POOL_MAX_CACHED 16
#define POOL_MAX_CACHED_BYTES (16u * 1024u * 1024u)

struct SecdecProtectedBuffer {
    SdPool *pool;         /* holds a reference: the pool outlives the buffer */
    SdSecmem mem;
    size_t size;          /* bytes of sample data */
};

struct SdPool {
    atomic_int refs;         /* the device's + one per outstanding buffer */
    atomic_size_t outstanding;
    bool allow_unlocked;
    pthread_mutex_t lock;
    SdSecmem cached[POOL_MAX_CACHED];
    size_t n_cached;
    size_t cached_bytes;
};

SecdecStatus sd_pool_new(bool allow_unlocked, SdPool **out)
{
    SdPool *p = sd_calloc(1, sizeof(*p));
    if (!p)
        return SECDEC_E_OUTOFMEMORY;
    atomic_init(&p->refs, 1);
    atomic_init(&p->outstanding, 0);
    p->allow_unlocked = allow_unlocked;
    if (pthread_mutex_init(&p->lock, NULL) != 0) {
        free(p);
        return SECDEC_E_OUTOFMEMORY;
    }
    *out = p;
    return SECDEC_OK;
}

void sd_pool_unref(SdPool *p)
{
    if (!p || atomic_fetch_sub(&p->refs, 1) != 1)
        return;
    for (size_t i = 0; i < p->n_cached; i++)
        sd_secmem_free(&p->cached[i]);
    pthread_mutex_destroy(&p->lock);
    free(p);
}

static size_t region_size(size_t n)
{
    size_t r = POOL_MIN_REGION;
    while (r < n && r <= SIZE_MAX / 2)
        r *= 2;
    return r < n ? n : r;
}

size_t sd_pool_outstanding(SdPool *p)
{
    return atomic_load(&p->outstanding);
}

SecdecStatus sd_pool_acquire(SdPool *p, const SdLogger *log, size_t size,
                             SecdecProtectedBuffer **out)
{
    if (size > SIZE_MAX / 2)
        return SECDEC_E_OUTOFMEMORY;
    SecdecProtectedBuffer *b = sd_calloc(1, sizeof(*b));
    if (!b)
        return SECDEC_E_OUTOFMEMORY;
    size_t need = size + SECDEC_PROTECTED_BUFFER_PADDING; /* zero tail for decoders */
    size_t want = region_size(need);
    bool found = false;
    pthread_mutex_lock(&p->lock);
    /* Best fit among cached regions that are large enough and not wastefully so. */
    size_t best = SIZE_MAX;
    for (size_t i = 0; i < p->n_cached; i++)
        if (p->cached[i].size >= need && p->cached[i].size <= 4 * want &&
            (best == SIZE_MAX || p->cached[i].size < p->cached[best].size))
            best = i;
    if (best != SIZE_MAX) {
        b->mem = p->cached[best];
        p->cached_bytes -= b->mem.size;
        p->cached[best] = p->cached[--p->n_cached];
        found = true;
    }
    pthread_mutex_unlock(&p->lock);
    if (!found) {
        SecdecStatus st = sd_secmem_alloc(&b->mem, want, p->allow_unlocked);
        if (st != SECDEC_OK) {
            free(b);
            if (st == SECDEC_E_MEMLOCK)
                sd_log(log, SECDEC_LOG_ERROR,
                       "cannot lock %zu bytes of protected memory (RLIMIT_MEMLOCK too low?)",
                       want);
            return st;
        }
        if (!b->mem.locked)
            sd_log(log, SECDEC_LOG_WARNING,
                   "protected buffer of %zu bytes is NOT locked (allow_unlocked_memory)", want);
    }
    b->size = size;
    b->pool = p;
    atomic_fetch_add(&p->refs, 1);
    atomic_fetch_add(&p->outstanding, 1);
    *out = b;
    return SECDEC_OK;
}

uint8_t *sd_pool_buffer_data(SecdecProtectedBuffer *b)
{
    return b->mem.ptr;
}

void secdec_protected_buffer_release(SecdecProtectedBuffer **buffer)
{
    if (!buffer || !*buffer)
        return;
    SecdecProtectedBuffer *b = *buffer;
    *buffer = NULL;
    SdPool *p = b->pool;
    OPENSSL_cleanse(b->mem.ptr, b->size);
    pthread_mutex_lock(&p->lock);
    if (p->n_cached < POOL_MAX_CACHED && p->cached_bytes + b->mem.size <= POOL_MAX_CACHED_BYTES) {
        p->cached[p->n_cached++] = b->mem;
        p->cached_bytes += b->mem.size;
        b->mem.ptr = NULL;
    }
    pthread_mutex_unlock(&p->lock);
    sd_secmem_free(&b->mem); /* no-op when cached */
    atomic_fetch_sub(&p->outstanding, 1);
    free(b);
    sd_pool_unref(p);
}

size_t secdec_protected_buffer_get_size(const SecdecProtectedBuffer *buffer)
{
    return buffer ? buffer->size : 0;
}

int secdec_protected_buffer_is_locked(const SecdecProtectedBuffer *buffer)
{
    return buffer && buffer->mem.locked ? 1 : 0;
}

SecdecStatus secdec_protected_buffer_map_for_decode(const SecdecProtectedBuffer *buffer,
                                                    const uint8_t **data, size_t *size)
{
    if (!buffer || !data || !size)
        return SECDEC_E_INVALIDARG;
    *data = buffer->mem.ptr;
    *size = buffer->size;
    return SECDEC_OK;
}
