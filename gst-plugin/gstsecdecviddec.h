/*
 * gstsecdecviddec.h - secdech264dec, secdech265dec, secdecvp9dec: libavcodec decoders that
 * read libsecdec protected memory.
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef GST_SECDEC_VIDDEC_H
#define GST_SECDEC_VIDDEC_H

#include <gst/gst.h>

G_BEGIN_DECLS

/** Registers the three decoders. */
gboolean gst_secdec_viddec_register (GstPlugin * plugin);

G_END_DECLS

#endif
