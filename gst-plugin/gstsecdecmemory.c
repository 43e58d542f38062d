/*
 * gstsecdecmemory.c - GstMemory wrapping a libsecdec protected buffer (not mappable).
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "gstsecdecmemory.h"

GST_DEBUG_CATEGORY_STATIC (gst_secdec_memory_debug);
#define GST_CAT_DEFAULT gst_secdec_memory_debug

typedef struct
{
  GstMemory mem;
  SecdecProtectedBuffer *pbuf;
} GstSecdecMemory;

struct _GstSecdecAllocator
{
  GstAllocator parent;
};

static void gst_secdec_allocator_class_init (gpointer klass, gpointer data);
static void gst_secdec_allocator_init (GTypeInstance * instance, gpointer klass);

/* Registered by name, and an existing registration is reused: the tests link these files
 * statically and also load the plugin, so two copies of this code may share one process.
 * Both copies are identical, so either one's class works for the other's memory. */
GType
gst_secdec_allocator_get_type (void)
{
  static gsize id = 0;

  if (g_once_init_enter (&id)) {
    GType t = g_type_from_name ("GstSecdecAllocator");

    if (t == 0)
      t = g_type_register_static_simple (GST_TYPE_ALLOCATOR, "GstSecdecAllocator",
          sizeof (GstSecdecAllocatorClass), gst_secdec_allocator_class_init,
          sizeof (GstSecdecAllocator), gst_secdec_allocator_init, 0);
    g_once_init_leave (&id, t);
  }
  return (GType) id;
}

static GstAllocator *secdec_allocator;

static GstMemory *
gst_secdec_allocator_alloc (GstAllocator * allocator, gsize size,
    GstAllocationParams * params)
{
  /* Protected memory is only ever created by decrypting a sample. */
  GST_WARNING_OBJECT (allocator, "protected memory cannot be allocated empty");
  return NULL;
}

static void
gst_secdec_allocator_free (GstAllocator * allocator, GstMemory * memory)
{
  GstSecdecMemory *m = (GstSecdecMemory *) memory;

  secdec_protected_buffer_release (&m->pbuf);
  g_slice_free (GstSecdecMemory, m);
}

static gpointer
gst_secdec_mem_map (GstMemory * mem, gsize maxsize, GstMapFlags flags)
{
  GST_DEBUG ("refusing to map protected memory %p", mem);
  return NULL;
}

static void
gst_secdec_mem_unmap (GstMemory * mem)
{
}

static GstMemory *
gst_secdec_mem_copy (GstMemory * mem, gssize offset, gssize size)
{
  GST_DEBUG ("refusing to copy protected memory %p", mem);
  return NULL;
}

static GstMemory *
gst_secdec_mem_share (GstMemory * mem, gssize offset, gssize size)
{
  return NULL;
}

static gboolean
gst_secdec_mem_is_span (GstMemory * mem1, GstMemory * mem2, gsize * offset)
{
  return FALSE;
}

static void
gst_secdec_allocator_class_init (gpointer klass, gpointer data)
{
  GstAllocatorClass *aclass = GST_ALLOCATOR_CLASS (klass);

  aclass->alloc = gst_secdec_allocator_alloc;
  aclass->free = gst_secdec_allocator_free;
}

static void
gst_secdec_allocator_init (GTypeInstance * instance, gpointer klass)
{
  GstAllocator *alloc = GST_ALLOCATOR (instance);

  alloc->mem_type = GST_SECDEC_ALLOCATOR_NAME;
  alloc->mem_map = gst_secdec_mem_map;
  alloc->mem_unmap = gst_secdec_mem_unmap;
  alloc->mem_copy = gst_secdec_mem_copy;
  alloc->mem_share = gst_secdec_mem_share;
  alloc->mem_is_span = gst_secdec_mem_is_span;
  GST_OBJECT_FLAG_SET (alloc, GST_ALLOCATOR_FLAG_CUSTOM_ALLOC);
}

void
gst_secdec_memory_init_once (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done)) {
    GST_DEBUG_CATEGORY_INIT (gst_secdec_memory_debug, "secdecmemory", 0,
        "secdec protected memory");
    secdec_allocator = gst_allocator_find (GST_SECDEC_ALLOCATOR_NAME);
    if (secdec_allocator == NULL) {
      secdec_allocator = g_object_new (GST_TYPE_SECDEC_ALLOCATOR, NULL);
      gst_object_ref_sink (secdec_allocator);
      /* gst_allocator_register() takes a reference; the allocator lives as long as the
       * process, like every registered allocator. */
      gst_allocator_register (GST_SECDEC_ALLOCATOR_NAME, gst_object_ref (secdec_allocator));
    }
    g_once_init_leave (&done, 1);
  }
}

GstMemory *
gst_secdec_memory_new (SecdecProtectedBuffer * pbuf)
{
  GstSecdecMemory *m;
  gsize size;

  g_return_val_if_fail (pbuf != NULL, NULL);
  gst_secdec_memory_init_once ();

  size = secdec_protected_buffer_get_size (pbuf);
  m = g_slice_new0 (GstSecdecMemory);
  gst_memory_init (GST_MEMORY_CAST (m),
      GST_MEMORY_FLAG_NOT_MAPPABLE | GST_MEMORY_FLAG_READONLY, secdec_allocator, NULL,
      size, 0, 0, size);
  m->pbuf = pbuf;
  return GST_MEMORY_CAST (m);
}

gboolean
gst_is_secdec_memory (GstMemory * mem)
{
  return mem != NULL && mem->allocator != NULL &&
      GST_IS_SECDEC_ALLOCATOR (mem->allocator);
}

gboolean
gst_secdec_memory_map_for_decode (GstMemory * mem, const guint8 ** data, gsize * size)
{
  GstSecdecMemory *m = (GstSecdecMemory *) mem;
  const uint8_t *d = NULL;
  size_t s = 0;

  if (!gst_is_secdec_memory (mem) || mem->parent != NULL)
    return FALSE;
  if (secdec_protected_buffer_map_for_decode (m->pbuf, &d, &s) != SECDEC_OK)
    return FALSE;
  *data = d;
  *size = s;
  return TRUE;
}

GstMemory *
gst_secdec_buffer_peek_memory (GstBuffer * buf)
{
  GstMemory *mem;

  if (gst_buffer_n_memory (buf) != 1)
    return NULL;
  mem = gst_buffer_peek_memory (buf, 0);
  return gst_is_secdec_memory (mem) ? mem : NULL;
}

/* ---- GstSecdecSampleMeta ------------------------------------------------------------------- */

GType
gst_secdec_sample_meta_api_get_type (void)
{
  static GType type = 0;
  static const gchar *tags[] = { NULL };

  if (g_once_init_enter (&type)) {
    GType t = gst_meta_api_type_register ("GstSecdecSampleMetaAPI", tags);
    g_once_init_leave (&type, t);
  }
  return type;
}

static gboolean
sample_meta_init (GstMeta * meta, gpointer params, GstBuffer * buffer)
{
  GstSecdecSampleMeta *m = (GstSecdecSampleMeta *) meta;

  m->encrypted = FALSE;
  secdec_sample_info_default (&m->info);
  m->subsamples = NULL;
  m->device = NULL;
  m->session = NULL;
  return TRUE;
}

static void
sample_meta_free (GstMeta * meta, GstBuffer * buffer)
{
  GstSecdecSampleMeta *m = (GstSecdecSampleMeta *) meta;

  g_free (m->subsamples);
  m->subsamples = NULL;
}

const GstMetaInfo *
gst_secdec_sample_meta_get_info (void)
{
  static const GstMetaInfo *info = NULL;

  if (g_once_init_enter ((GstMetaInfo **) & info)) {
    const GstMetaInfo *mi = gst_meta_register (GST_SECDEC_SAMPLE_META_API_TYPE,
        "GstSecdecSampleMeta", sizeof (GstSecdecSampleMeta), sample_meta_init,
        sample_meta_free, NULL);
    g_once_init_leave ((GstMetaInfo **) & info, (GstMetaInfo *) mi);
  }
  return info;
}

GstSecdecSampleMeta *
gst_buffer_add_secdec_sample_meta (GstBuffer * buf, SecdecDevice * device,
    SecdecCryptoSession * session, const SecdecSampleInfo * info)
{
  GstSecdecSampleMeta *m = (GstSecdecSampleMeta *) gst_buffer_add_meta (buf,
      gst_secdec_sample_meta_get_info (), NULL);

  if (m == NULL)
    return NULL;
  m->device = device;
  m->session = session;
  if (info) {
    m->encrypted = TRUE;
    m->info = *info;
    if (info->n_subsamples > 0 && info->subsamples) {
      m->subsamples = g_memdup2 (info->subsamples,
          (gsize) info->n_subsamples * sizeof (SecdecSubsample));
      m->info.subsamples = m->subsamples;
    } else {
      m->info.subsamples = NULL;
      m->info.n_subsamples = 0;
    }
  }
  return m;
}
