/*
 * plugin.c - the GStreamer plugin "secdec": registers the secdec elements.
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/gst.h>

#include "gstsecdecmemory.h"
#include "gstsecdecrypt.h"
#include "gstsecdecviddec.h"

static gboolean
plugin_init (GstPlugin * plugin)
{
  gboolean ok;

  gst_secdec_memory_init_once ();
  ok = GST_ELEMENT_REGISTER (secdecrypt, plugin);
  ok &= gst_secdec_viddec_register (plugin);
  return ok;
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, secdec,
    "secdec protected decode: CENC/WebM decryption into libsecdec protected memory and "
    "secure H.264, H.265 and VP9 decoders",
    plugin_init, VERSION, "LGPL", GST_PACKAGE_NAME, GST_PACKAGE_ORIGIN)
