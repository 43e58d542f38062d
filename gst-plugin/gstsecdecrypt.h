/*
 * gstsecdecrypt.h - secdecrypt: CENC / WebM decryptor into protected memory.
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef GST_SECDECRYPT_H
#define GST_SECDECRYPT_H

#include <gst/gst.h>
#include <gst/base/gstbasetransform.h>

G_BEGIN_DECLS

#define GST_TYPE_SECDECRYPT (gst_secdecrypt_get_type ())
G_DECLARE_FINAL_TYPE (GstSecdecrypt, gst_secdecrypt, GST, SECDECRYPT, GstBaseTransform)

GST_ELEMENT_REGISTER_DECLARE (secdecrypt);

G_END_DECLS

#endif
