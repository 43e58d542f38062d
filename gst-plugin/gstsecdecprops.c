/*
 * gstsecdecprops.c - owns the table-driven GObject properties of the secdec elements
 * (gstsecdecprops.h): installing, defaults, get/set under the object lock, freeing strings.
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "gstsecdecprops.h"

#include <string.h>

/* Each GParamSpec installed here carries its table row. */
static GQuark
prop_quark (void)
{
  static gsize q;

  if (g_once_init_enter (&q))
    g_once_init_leave (&q, g_quark_from_static_string ("gst-secdec-prop"));
  return (GQuark) q;
}

static GParamSpec *
param_spec_new (const GstSecdecProp * p)
{
  GParamFlags flags = p->flags | G_PARAM_STATIC_STRINGS;

  switch (p->type) {
    case GST_SECDEC_PROP_STRING:
      return g_param_spec_string (p->name, p->nick, p->blurb, NULL, flags);
    case GST_SECDEC_PROP_BOOLEAN:
      return g_param_spec_boolean (p->name, p->nick, p->blurb, p->def != 0, flags);
    case GST_SECDEC_PROP_INT:
      return g_param_spec_int (p->name, p->nick, p->blurb, 0, G_MAXINT, (gint) p->def, flags);
    case GST_SECDEC_PROP_UINT:
      return g_param_spec_uint (p->name, p->nick, p->blurb, 0, G_MAXUINT, (guint) p->def,
          flags);
    case GST_SECDEC_PROP_UINT64:
      return g_param_spec_uint64 (p->name, p->nick, p->blurb, 0, G_MAXUINT64,
          (guint64) p->def, flags);
    case GST_SECDEC_PROP_ENUM:
      return g_param_spec_enum (p->name, p->nick, p->blurb, p->gtype (), (gint) p->def,
          flags);
    case GST_SECDEC_PROP_BOXED:
      return g_param_spec_boxed (p->name, p->nick, p->blurb, p->gtype (), flags);
  }
  g_return_val_if_reached (NULL);
}

void
gst_secdec_props_install (GObjectClass * klass, const GstSecdecProp * props, guint n)
{
  guint i;

  for (i = 0; i < n; i++) {
    GParamSpec *pspec = param_spec_new (&props[i]);

    g_param_spec_set_qdata (pspec, prop_quark (), (gpointer) & props[i]);
    g_object_class_install_property (klass, i + 1, pspec);
  }
}

#define FIELD(obj, p, type) ((type *) (gpointer) ((guint8 *) (obj) + (p)->offset))

void
gst_secdec_props_init (GObject * object, const GstSecdecProp * props, guint n)
{
  guint i;

  for (i = 0; i < n; i++) {
    const GstSecdecProp *p = &props[i];

    if (!(p->flags & G_PARAM_WRITABLE))
      continue;
    switch (p->type) {
      case GST_SECDEC_PROP_BOOLEAN:
        *FIELD (object, p, gboolean) = p->def != 0;
        break;
      case GST_SECDEC_PROP_INT:
      case GST_SECDEC_PROP_ENUM:
        *FIELD (object, p, gint) = (gint) p->def;
        break;
      case GST_SECDEC_PROP_UINT:
        *FIELD (object, p, guint) = (guint) p->def;
        break;
      case GST_SECDEC_PROP_UINT64:
        *FIELD (object, p, guint64) = (guint64) p->def;
        break;
      case GST_SECDEC_PROP_STRING:
      case GST_SECDEC_PROP_BOXED:
        break;
    }
  }
}

static void
free_string (const GstSecdecProp * p, gchar ** field)
{
  if (*field && p->secret)
    memset (*field, 0, strlen (*field));
  g_clear_pointer (field, g_free);
}

void
gst_secdec_props_finalize (GObject * object, const GstSecdecProp * props, guint n)
{
  guint i;

  for (i = 0; i < n; i++)
    if (props[i].type == GST_SECDEC_PROP_STRING)
      free_string (&props[i], FIELD (object, &props[i], gchar *));
}

void
gst_secdec_props_set_property (GObject * object, guint prop_id, const GValue * value,
    GParamSpec * pspec)
{
  const GstSecdecProp *p = g_param_spec_get_qdata (pspec, prop_quark ());

  if (p == NULL) {
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    return;
  }
  GST_OBJECT_LOCK (object);
  switch (p->type) {
    case GST_SECDEC_PROP_STRING:
      free_string (p, FIELD (object, p, gchar *));
      *FIELD (object, p, gchar *) = g_value_dup_string (value);
      break;
    case GST_SECDEC_PROP_BOOLEAN:
      *FIELD (object, p, gboolean) = g_value_get_boolean (value);
      break;
    case GST_SECDEC_PROP_INT:
      *FIELD (object, p, gint) = g_value_get_int (value);
      break;
    case GST_SECDEC_PROP_UINT:
      *FIELD (object, p, guint) = g_value_get_uint (value);
      break;
    case GST_SECDEC_PROP_UINT64:
      *FIELD (object, p, guint64) = g_value_get_uint64 (value);
      break;
    case GST_SECDEC_PROP_ENUM:
      *FIELD (object, p, gint) = g_value_get_enum (value);
      break;
    case GST_SECDEC_PROP_BOXED:
      /* read-only: GObject never writes it */
      break;
  }
  GST_OBJECT_UNLOCK (object);
}

void
gst_secdec_props_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  const GstSecdecProp *p = g_param_spec_get_qdata (pspec, prop_quark ());

  if (p == NULL) {
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    return;
  }
  GST_OBJECT_LOCK (object);
  switch (p->type) {
    case GST_SECDEC_PROP_STRING:
      g_value_set_string (value, p->secret ? NULL : *FIELD (object, p, gchar *));
      break;
    case GST_SECDEC_PROP_BOOLEAN:
      g_value_set_boolean (value, *FIELD (object, p, gboolean));
      break;
    case GST_SECDEC_PROP_INT:
      g_value_set_int (value, *FIELD (object, p, gint));
      break;
    case GST_SECDEC_PROP_UINT:
      g_value_set_uint (value, *FIELD (object, p, guint));
      break;
    case GST_SECDEC_PROP_UINT64:
      g_value_set_uint64 (value, *FIELD (object, p, guint64));
      break;
    case GST_SECDEC_PROP_ENUM:
      g_value_set_enum (value, *FIELD (object, p, gint));
      break;
    case GST_SECDEC_PROP_BOXED:
      g_value_set_boxed (value, *FIELD (object, p, gpointer));
      break;
  }
  GST_OBJECT_UNLOCK (object);
}
