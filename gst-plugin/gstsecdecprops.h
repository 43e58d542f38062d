/*
 * gstsecdecprops.h - owns the GObject property boilerplate of the secdec elements: a table of
 * plain settings (name, nick, blurb, type, default, struct offset, flags) that installs the
 * properties, sets their defaults, reads and writes them and frees their strings.
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Property ids are the table index + 1 (so an element's PROP_* enum can index the table with
 * designated initializers: [PROP_X - 1] = {...}). Every access takes the object lock. Numeric
 * properties range from 0 to their type's maximum (counts, timeouts, thread numbers); STRING
 * properties default to NULL. An element with extra work on a write (waking a thread) wraps
 * gst_secdec_props_set_property() in its own set_property.
 */
#ifndef GST_SECDEC_PROPS_H
#define GST_SECDEC_PROPS_H

#include <gst/gst.h>

G_BEGIN_DECLS

typedef enum
{
  GST_SECDEC_PROP_STRING,       /* gchar * (owned) */
  GST_SECDEC_PROP_BOOLEAN,      /* gboolean */
  GST_SECDEC_PROP_INT,          /* gint */
  GST_SECDEC_PROP_UINT,         /* guint */
  GST_SECDEC_PROP_UINT64,       /* guint64 */
  GST_SECDEC_PROP_ENUM,         /* an enum of type gtype (gint-sized) */
  GST_SECDEC_PROP_BOXED,        /* a pointer to a boxed gtype, read-only (owned by the element) */
} GstSecdecPropType;

typedef struct
{
  const gchar *name;
  const gchar *nick;
  const gchar *blurb;
  GstSecdecPropType type;
  GType (*gtype) (void);        /* ENUM, BOXED: the type's get_type function */
  gint64 def;                   /* BOOLEAN, INT, UINT, UINT64, ENUM */
  gsize offset;                 /* G_STRUCT_OFFSET of the field in the instance */
  GParamFlags flags;            /* G_PARAM_STATIC_STRINGS is added */
  gboolean secret;              /* STRING: never read back, wiped before it is freed */
} GstSecdecProp;

/** Installs props[i] as property id i + 1 of klass. */
void gst_secdec_props_install (GObjectClass * klass, const GstSecdecProp * props, guint n);

/** Instance init: every writable non-STRING field gets its default. */
void gst_secdec_props_init (GObject * object, const GstSecdecProp * props, guint n);

/** Finalize: frees the STRING fields (secret ones wiped first). */
void gst_secdec_props_finalize (GObject * object, const GstSecdecProp * props, guint n);

/** GObjectClass.set_property / get_property for properties installed by
 *  gst_secdec_props_install(), under the object lock. */
void gst_secdec_props_set_property (GObject * object, guint prop_id, const GValue * value,
    GParamSpec * pspec);
void gst_secdec_props_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec);

G_END_DECLS

#endif
