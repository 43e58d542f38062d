/*
 * protected_pool.h - the per-device pool of protected (locked, non-dumpable) buffers.
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef SECDEC_PROTECTED_POOL_H
#define SECDEC_PROTECTED_POOL_H

#include "internal.h"
#include "secdec/decrypt.h"

SD_INTERNAL SecdecStatus sd_pool_new(SdPool **out);
SD_INTERNAL void sd_pool_free(SdPool *pool);
/** A buffer of at least `size` bytes of protected memory; takes a device reference. */
SD_INTERNAL SecdecStatus sd_pool_acquire(SecdecDevice *dev, size_t size,
                                         SecdecProtectedBuffer **out);
/** Writable start of a buffer (the decrypt engine fills it). */
SD_INTERNAL uint8_t *sd_pool_buffer_data(SecdecProtectedBuffer *b);

#endif /* SECDEC_PROTECTED_POOL_H */
