/*
 * gstsecdecmemory.h - GstMemory wrapping a libsecdec protected buffer.
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Buffers that carry decrypted samples hold exactly one GstSecdecMemory. It is NOT mappable:
 * gst_memory_map() / gst_buffer_map() fail, so no stock element can read the clear bytes.
 * Caps that carry such buffers have the caps feature "memory:SecDecProtected", which keeps
 * every element that does not announce that feature (stock parsers and decoders) from
 * linking. Only the secure decoders read the sample, through
 * gst_secdec_memory_map_for_decode().
 */
#ifndef GST_SECDEC_MEMORY_H
#define GST_SECDEC_MEMORY_H

#include <gst/gst.h>
#include <secdec/decrypt.h>

G_BEGIN_DECLS

/** The caps feature of buffers whose memory is a GstSecdecMemory. */
#define GST_CAPS_FEATURE_MEMORY_SECDEC_PROTECTED "memory:SecDecProtected"
/** Name of the allocator (gst_allocator_find()). */
#define GST_SECDEC_ALLOCATOR_NAME "SecDecProtected"

#define GST_TYPE_SECDEC_ALLOCATOR (gst_secdec_allocator_get_type ())
G_DECLARE_FINAL_TYPE (GstSecdecAllocator, gst_secdec_allocator, GST, SECDEC_ALLOCATOR,
    GstAllocator)

/** Registers the allocator (idempotent; called from plugin_init). */
void gst_secdec_memory_init_once (void);

/** Wraps a protected buffer; the memory takes ownership and releases it when freed. */
GstMemory *gst_secdec_memory_new (SecdecProtectedBuffer * pbuf);

/** TRUE if mem is a GstSecdecMemory. */
gboolean gst_is_secdec_memory (GstMemory * mem);

/** The decoder's accessor: read-only view of the clear sample (followed by
 *  SECDEC_PROTECTED_BUFFER_PADDING zero bytes). Valid as long as mem is referenced. */
gboolean gst_secdec_memory_map_for_decode (GstMemory * mem, const guint8 ** data,
    gsize * size);

/** The decoder's accessor for a buffer: its single GstSecdecMemory, or NULL. */
GstMemory *gst_secdec_buffer_peek_memory (GstBuffer * buf);

G_END_DECLS

#endif
