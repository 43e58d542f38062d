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

/**
 * GstSecdecSampleMeta: on buffers secdecrypt produces for a VA-API session (hw/). The memory
 * then holds the sample STILL ENCRYPTED (copied unchanged into protected memory); this meta says
 * how: `encrypted` FALSE for a clear sample, else `info` (its `subsamples` point into the meta's
 * own copy). `device` and `session` are the secdecrypt element's (borrowed: valid while that
 * element is in PAUSED or PLAYING — downstream elements stop before it); the decoder hands them
 * to secdec_vaapi_decode_display_*().
 * Not copied by transformations (the buffer is not meant to leave secdec's elements).
 */
typedef struct
{
  GstMeta meta;

  gboolean encrypted;
  SecdecSampleInfo info;
  SecdecSubsample *subsamples;  /* owned, info.subsamples == subsamples */
  SecdecDevice *device;
  SecdecCryptoSession *session;
} GstSecdecSampleMeta;

GType gst_secdec_sample_meta_api_get_type (void);
#define GST_SECDEC_SAMPLE_META_API_TYPE (gst_secdec_sample_meta_api_get_type ())
const GstMetaInfo *gst_secdec_sample_meta_get_info (void);

/** Adds the meta (info NULL: a clear sample); copies info and its subsamples. */
GstSecdecSampleMeta *gst_buffer_add_secdec_sample_meta (GstBuffer * buf,
    SecdecDevice * device, SecdecCryptoSession * session, const SecdecSampleInfo * info);

#define gst_buffer_get_secdec_sample_meta(b) \
  ((GstSecdecSampleMeta *) gst_buffer_get_meta ((b), GST_SECDEC_SAMPLE_META_API_TYPE))

G_END_DECLS

#endif
