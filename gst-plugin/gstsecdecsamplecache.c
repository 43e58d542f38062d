/*
 * gstsecdecsamplecache.c - the encryption info of samples already seen, by (PTS, size).
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A hash table from (PTS, size) to an entry, and a FIFO of keys for eviction. Entries hold no
 * key material: KIDs, IVs and subsample maps are public stream metadata.
 */

#include <string.h>

#include "gstsecdecsamplecache.h"

typedef struct
{
  guint64 pts;
  guint64 size;
} CacheKey;

typedef struct
{
  CacheKey key;
  gboolean clear;
  gint family;
  SecdecSampleInfo info;        /* info.subsamples unused: subs below */
  SecdecSubsample *subs;
} CacheEntry;

struct _GstSecdecSampleCache
{
  GHashTable *table;            /* CacheKey* (inside the entry) -> CacheEntry* */
  GQueue order;                 /* CacheEntry*, oldest first */
  guint max_entries;
};

static guint
key_hash (gconstpointer p)
{
  const CacheKey *k = p;
  guint64 h = k->pts * G_GUINT64_CONSTANT (0x9E3779B97F4A7C15) ^ k->size;

  return (guint) (h ^ (h >> 32));
}

static gboolean
key_equal (gconstpointer a, gconstpointer b)
{
  const CacheKey *x = a, *y = b;

  return x->pts == y->pts && x->size == y->size;
}

static void
entry_free (gpointer p)
{
  CacheEntry *e = p;

  g_free (e->subs);
  g_free (e);
}

GstSecdecSampleCache *
gst_secdec_sample_cache_new (guint max_entries)
{
  GstSecdecSampleCache *c = g_new0 (GstSecdecSampleCache, 1);

  c->table = g_hash_table_new_full (key_hash, key_equal, NULL, entry_free);
  g_queue_init (&c->order);
  c->max_entries = MAX (max_entries, 1);
  return c;
}

void
gst_secdec_sample_cache_clear (GstSecdecSampleCache * c)
{
  if (c == NULL)
    return;
  g_queue_clear (&c->order);
  g_hash_table_remove_all (c->table);
}

void
gst_secdec_sample_cache_free (GstSecdecSampleCache * c)
{
  if (c == NULL)
    return;
  gst_secdec_sample_cache_clear (c);
  g_hash_table_unref (c->table);
  g_free (c);
}

guint
gst_secdec_sample_cache_size (const GstSecdecSampleCache * c)
{
  return c ? g_hash_table_size (c->table) : 0;
}

void
gst_secdec_sample_cache_put (GstSecdecSampleCache * c, GstClockTime pts, gsize size,
    const SecdecSampleInfo * info, gint family, gboolean clear)
{
  CacheKey k = { pts, size };
  CacheEntry *e;

  g_return_if_fail (c != NULL && GST_CLOCK_TIME_IS_VALID (pts));
  g_return_if_fail (clear || info != NULL);
  e = g_hash_table_lookup (c->table, &k);
  if (e) {
    /* replaced in place: its position in the FIFO stays */
    g_clear_pointer (&e->subs, g_free);
  } else {
    while (g_hash_table_size (c->table) >= c->max_entries) {
      CacheEntry *old = g_queue_pop_head (&c->order);

      g_hash_table_remove (c->table, &old->key);
    }
    e = g_new0 (CacheEntry, 1);
    e->key = k;
    g_hash_table_insert (c->table, &e->key, e);
    g_queue_push_tail (&c->order, e);
  }
  e->clear = clear;
  e->family = family;
  if (clear) {
    secdec_sample_info_default (&e->info);
    return;
  }
  e->info = *info;
  e->info.subsamples = NULL;
  if (info->n_subsamples > 0)
    e->subs = g_memdup2 (info->subsamples, info->n_subsamples * sizeof (SecdecSubsample));
}

gboolean
gst_secdec_sample_cache_get (const GstSecdecSampleCache * c, GstClockTime pts, gsize size,
    SecdecSampleInfo * info, GArray * subs, gint * family, gboolean * clear)
{
  CacheKey k = { pts, size };
  const CacheEntry *e;

  if (c == NULL || !GST_CLOCK_TIME_IS_VALID (pts))
    return FALSE;
  e = g_hash_table_lookup (c->table, &k);
  if (e == NULL)
    return FALSE;
  *clear = e->clear;
  *family = e->family;
  *info = e->info;
  g_array_set_size (subs, 0);
  if (e->info.n_subsamples > 0) {
    g_array_append_vals (subs, e->subs, e->info.n_subsamples);
    info->subsamples = (const SecdecSubsample *) subs->data;
  } else {
    info->subsamples = NULL;
  }
  return TRUE;
}
