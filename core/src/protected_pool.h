/*
 * protected_pool.h - the per-device pool of protected (locked, non-dumpable) buffers.
 *
 * The pool knows nothing of devices (device.c owns one pool; the arrow runs device -> pool):
 * it is reference-counted, and every buffer holds a reference, so a buffer may outlive the
 * device it was decrypted on.
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef SECDEC_PROTECTED_POOL_H
#define SECDEC_PROTECTED_POOL_H

#include "internal.h"
#include "secdec/decrypt.h"

/** A pool with one reference. allow_unlocked: regions that cannot be mlock'ed are used
 *  unlocked (with a warning) instead of failing with SECDEC_E_MEMLOCK. */
SD_INTERNAL SecdecStatus sd_pool_new(bool allow_unlocked, SdPool **out);
/** Drops a reference; the last one frees the cached regions (wiped). NULL is a no-op. */
SD_INTERNAL void sd_pool_unref(SdPool *pool);
/** A buffer of at least `size` bytes of protected memory; takes a pool reference. Failures are
 *  logged through `log` (the caller's device logger). */
SD_INTERNAL SecdecStatus sd_pool_acquire(SdPool *pool, const SdLogger *log, size_t size,
                                         SecdecProtectedBuffer **out);
/** Buffers acquired from the pool and not yet released. */
SD_INTERNAL size_t sd_pool_outstanding(SdPool *pool);
/** Writable start of a buffer (the decrypt engine fills it). */
SD_INTERNAL uint8_t *sd_pool_buffer_data(SecdecProtectedBuffer *b);

#endif /* SECDEC_PROTECTED_POOL_H */
