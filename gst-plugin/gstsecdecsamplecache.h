/*
 * gstsecdecsamplecache.h - the encryption info of samples secdecrypt has seen, by PTS and size.
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * qtdemux 1.22 attaches a sample's GstProtectionMeta once: when a seek re-enters a fragment
 * whose samples it already pushed, it sends them again without meta. secdecrypt remembers the
 * resolved info (scheme, KID after key rotation, IV, subsamples, pattern, or "clear") of every
 * sample it passes, keyed by (PTS, size), and looks re-sent samples up here. Bounded: the
 * oldest entries go first. Not thread-safe: the streaming thread owns it.
 */

#ifndef GST_SECDEC_SAMPLE_CACHE_H
#define GST_SECDEC_SAMPLE_CACHE_H

#include <gst/gst.h>
#include <secdec/decrypt.h>

G_BEGIN_DECLS

typedef struct _GstSecdecSampleCache GstSecdecSampleCache;

/** Most samples remembered: 2^18, over two hours of 30 fps video (about 100 bytes each). */
#define GST_SECDEC_SAMPLE_CACHE_MAX 262144u

/* A new, empty cache holding at most max_entries samples. Free with _free(). */
GstSecdecSampleCache *gst_secdec_sample_cache_new (guint max_entries);
void gst_secdec_sample_cache_free (GstSecdecSampleCache * cache);
/* Forgets every sample (a new stream: PTS values may repeat). */
void gst_secdec_sample_cache_clear (GstSecdecSampleCache * cache);
guint gst_secdec_sample_cache_size (const GstSecdecSampleCache * cache);

/* Remembers the sample at (pts, size): `clear`, or `info` (its subsamples copied) and the
 * cipher family. A sample already there is replaced. pts must be valid. */
void gst_secdec_sample_cache_put (GstSecdecSampleCache * cache, GstClockTime pts, gsize size,
    const SecdecSampleInfo * info, gint family, gboolean clear);

/* Looks the sample up. TRUE: *clear, *family and *info are filled, info->subsamples pointing
 * into `subs` (resized); FALSE: never seen (or evicted). */
gboolean gst_secdec_sample_cache_get (const GstSecdecSampleCache * cache, GstClockTime pts,
    gsize size, SecdecSampleInfo * info, GArray * subs, gint * family, gboolean * clear);

G_END_DECLS

#endif
