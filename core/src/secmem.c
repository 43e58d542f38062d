/*
 * secmem.c - memory for secrets: locked, never dumped, wiped on fork and on release.
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "internal.h"

#ifndef MADV_WIPEONFORK
#define MADV_WIPEONFORK 18
#endif

SecdecStatus sd_secmem_alloc(SdSecmem *mem, size_t size, bool allow_unlocked)
{
    mem->ptr = NULL;
    mem->size = mem->mapped = 0;
    mem->locked = false;
    if (size == 0)
        return SECDEC_E_INVALIDARG;
    if (sd_fault_alloc_should_fail())
        return SECDEC_E_OUTOFMEMORY;
    long page = sysconf(_SC_PAGESIZE);
    if (page <= 0)
        page = 4096;
    if (size > SIZE_MAX - (size_t)page)
        return SECDEC_E_OUTOFMEMORY;
    size_t mapped = (size + (size_t)page - 1) / (size_t)page * (size_t)page;
    void *p = mmap(NULL, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return SECDEC_E_OUTOFMEMORY;
    /* Never in a core dump, and a forked child sees zeroes instead of our keys. Both are
     * advisory on old kernels; a failure there is not fatal but wiping on fork is what
     * CheckCryptoSessionStatus relies on, so WIPEONFORK failing leaves KEY_LOST undetectable
     * (the child then still holds a copy, like any fork of an unprotected process). */
    (void)madvise(p, mapped, MADV_DONTDUMP);
    (void)madvise(p, mapped, MADV_WIPEONFORK);
    bool locked = mlock(p, mapped) == 0;
    if (!locked && !allow_unlocked) {
        munmap(p, mapped);
        return SECDEC_E_MEMLOCK;
    }
    mem->ptr = p;
    mem->size = size;
    mem->mapped = mapped;
    mem->locked = locked;
    return SECDEC_OK;
}

void sd_secmem_free(SdSecmem *mem)
{
    if (!mem || !mem->ptr)
        return;
    OPENSSL_cleanse(mem->ptr, mem->mapped);
    if (mem->locked)
        munlock(mem->ptr, mem->mapped);
    munmap(mem->ptr, mem->mapped);
    mem->ptr = NULL;
    mem->size = mem->mapped = 0;
    mem->locked = false;
}

static pthread_once_t heap_once = PTHREAD_ONCE_INIT;
static int heap_result; /* 0 failed, 1 locked, 2 unlocked (OpenSSL's codes) */

static void heap_init(void)
{
    if (CRYPTO_secure_malloc_initialized()) {
        heap_result = 1; /* the application set it up; trust its choice */
        return;
    }
    /* 256 KiB holds the bignums of many RSA-2048 keys; must be a power of two. */
    heap_result = CRYPTO_secure_malloc_init(256 * 1024, 32);
}

SecdecStatus sd_secure_heap_init(bool allow_unlocked, bool *locked)
{
    pthread_once(&heap_once, heap_init);
    if (heap_result == 1) {
        *locked = true;
        return SECDEC_OK;
    }
    *locked = false;
    if (heap_result == 2 && allow_unlocked)
        return SECDEC_OK;
    if (heap_result == 0 && allow_unlocked)
        return SECDEC_OK; /* private key then lives in OpenSSL's ordinary heap; reported */
    return SECDEC_E_MEMLOCK;
}

int sd_ct_is_zero(const uint8_t *p, size_t n)
{
    volatile uint8_t acc = 0;
    for (size_t i = 0; i < n; i++)
        acc |= p[i];
    /* (acc - 1) >> 8 is all ones only when acc == 0 */
    return (int)((((unsigned)acc) - 1u) >> 8 & 1u);
}
