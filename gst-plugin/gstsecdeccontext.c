/*
 * gstsecdeccontext.c - the "secdec.session" GstContext.
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "gstsecdeccontext.h"

GST_DEBUG_CATEGORY_STATIC (gst_secdec_context_debug);
#define GST_CAT_DEFAULT gst_secdec_context_debug

static void
ensure_debug (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done)) {
    GST_DEBUG_CATEGORY_INIT (gst_secdec_context_debug, "secdeccontext", 0,
        "secdec.session context");
    g_once_init_leave (&done, 1);
  }
}

GstContext *
gst_secdec_context_new (SecdecDevice * device, SecdecCryptoSession * session)
{
  GstContext *ctx;
  GstStructure *s;

  g_return_val_if_fail (device != NULL, NULL);
  ctx = gst_context_new (GST_SECDEC_SESSION_CONTEXT_TYPE, FALSE);
  s = gst_context_writable_structure (ctx);
  gst_structure_set_name (s, GST_SECDEC_SESSION_CONTEXT_TYPE);
  gst_structure_set (s, "device", G_TYPE_POINTER, device, NULL);
  if (session)
    gst_structure_set (s, "session", G_TYPE_POINTER, session, NULL);
  return ctx;
}

gboolean
gst_secdec_context_parse (GstContext * context, SecdecDevice ** device,
    SecdecCryptoSession ** session)
{
  const GstStructure *s;
  gpointer d = NULL, ss = NULL;

  if (context == NULL
      || g_strcmp0 (gst_context_get_context_type (context),
          GST_SECDEC_SESSION_CONTEXT_TYPE) != 0)
    return FALSE;
  s = gst_context_get_structure (context);
  if (!gst_structure_get (s, "device", G_TYPE_POINTER, &d, NULL) || d == NULL)
    return FALSE;
  if (gst_structure_has_field_typed (s, "session", G_TYPE_POINTER))
    gst_structure_get (s, "session", G_TYPE_POINTER, &ss, NULL);
  *device = d;
  *session = ss;
  return TRUE;
}

static gboolean
run_query (GstElement * element, GstQuery * query, GstPadDirection direction)
{
  GstIterator *it;
  GValue item = G_VALUE_INIT;
  gboolean found = FALSE, done = FALSE;

  it = direction == GST_PAD_SRC ? gst_element_iterate_src_pads (element)
      : gst_element_iterate_sink_pads (element);
  while (!done && !found) {
    switch (gst_iterator_next (it, &item)) {
      case GST_ITERATOR_OK:
        found = gst_pad_peer_query (g_value_get_object (&item), query);
        g_value_reset (&item);
        break;
      case GST_ITERATOR_RESYNC:
        gst_iterator_resync (it);
        break;
      default:
        done = TRUE;
        break;
    }
  }
  g_value_unset (&item);
  gst_iterator_free (it);
  return found;
}

void
gst_secdec_context_find (GstElement * element)
{
  GstQuery *query;
  GstContext *ctx = NULL;

  ensure_debug ();
  query = gst_query_new_context (GST_SECDEC_SESSION_CONTEXT_TYPE);
  if (run_query (element, query, GST_PAD_SRC) || run_query (element, query, GST_PAD_SINK)) {
    gst_query_parse_context (query, &ctx);
    if (ctx) {
      GST_DEBUG_OBJECT (element, "found context %" GST_PTR_FORMAT " by query", ctx);
      gst_element_set_context (element, ctx);
    }
  }
  gst_query_unref (query);
  if (ctx == NULL) {
    GstMessage *msg;

    GST_DEBUG_OBJECT (element, "posting need-context %s", GST_SECDEC_SESSION_CONTEXT_TYPE);
    msg = gst_message_new_need_context (GST_OBJECT_CAST (element),
        GST_SECDEC_SESSION_CONTEXT_TYPE);
    gst_element_post_message (element, msg);
  }
}

gboolean
gst_secdec_context_handle_query (GstElement * element, GstQuery * query,
    SecdecDevice * device, SecdecCryptoSession * session)
{
  const gchar *type = NULL;
  GstContext *ctx;

  if (device == NULL || !gst_query_parse_context_type (query, &type)
      || g_strcmp0 (type, GST_SECDEC_SESSION_CONTEXT_TYPE) != 0)
    return FALSE;
  ctx = gst_secdec_context_new (device, session);
  gst_query_set_context (query, ctx);
  gst_context_unref (ctx);
  return TRUE;
}

GType
gst_secdec_backend_get_type (void)
{
  static gsize id = 0;
  static const GEnumValue values[] = {
    {GST_SECDEC_BACKEND_AUTO, "Hardware when usable, else software (today: software)",
        "auto"},
    {GST_SECDEC_BACKEND_SOFTWARE,
        "Software: decryption with OpenSSL into locked memory, decode with libavcodec",
        "software"},
    {GST_SECDEC_BACKEND_VAAPI, "VA-API protected decode (not available in this release)",
        "vaapi"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&id)) {
    GType t = g_enum_register_static ("GstSecdecBackend", values);
    g_once_init_leave (&id, t);
  }
  return (GType) id;
}
