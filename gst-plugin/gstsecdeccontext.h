/*
 * gstsecdeccontext.h - sharing a libsecdec device and crypto session through GstContext.
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Context type "secdec.session" (GST_SECDEC_SESSION_CONTEXT_TYPE). Its structure, also named
 * "secdec.session", has these fields:
 *
 *   device   (G_TYPE_POINTER, required)  a SecdecDevice * opened by the application
 *   session  (G_TYPE_POINTER, optional)  a SecdecCryptoSession * created on that device with
 *                                        SECDEC_CRYPTO_TYPE_AES128_CTR or _AES128_CBC, into
 *                                        which the application negotiated its keys
 *
 * Both stay owned by the application, which must keep them open until every element that
 * received the context is back in the NULL state. Elements never close or destroy them.
 * A stream whose cipher family differs from the shared session's crypto type gets a new
 * session on the shared device.
 *
 * How an element gets it (like other GStreamer context users): on NULL->READY it runs a
 * GST_QUERY_CONTEXT downstream, then upstream, then posts GST_MESSAGE_NEED_CONTEXT; the
 * application answers with gst_element_set_context() from a bus sync handler, or sets the
 * context on the pipeline beforehand.
 */
#ifndef GST_SECDEC_CONTEXT_H
#define GST_SECDEC_CONTEXT_H

#include <gst/gst.h>
#include <secdec/secdec.h>

G_BEGIN_DECLS

#define GST_SECDEC_SESSION_CONTEXT_TYPE "secdec.session"

/** A new (non-persistent) context holding device and (optionally) session. */
GstContext *gst_secdec_context_new (SecdecDevice * device, SecdecCryptoSession * session);

/** Reads a "secdec.session" context. Returns FALSE when context is of another type or has
 *  no device. *session may be set to NULL. */
gboolean gst_secdec_context_parse (GstContext * context, SecdecDevice ** device,
    SecdecCryptoSession ** session);

/** Looks for a "secdec.session" context: query downstream, then upstream, then post
 *  NEED_CONTEXT. Whatever is found arrives through the element's set_context(). */
void gst_secdec_context_find (GstElement * element);

/** Answers a GST_QUERY_CONTEXT for "secdec.session" with device/session (if device is not
 *  NULL). Returns TRUE when answered. */
gboolean gst_secdec_context_handle_query (GstElement * element, GstQuery * query,
    SecdecDevice * device, SecdecCryptoSession * session);

/**
 * GstSecdecBackend: the "backend" property of the secdec elements (the seam for the hardware
 * backend of issue 6). Only the software backend exists in this release; "vaapi" fails
 * with a clear error when the element starts.
 */
typedef enum
{
  GST_SECDEC_BACKEND_AUTO = 0,
  GST_SECDEC_BACKEND_SOFTWARE = 1,
  GST_SECDEC_BACKEND_VAAPI = 2,
} GstSecdecBackend;

#define GST_TYPE_SECDEC_BACKEND (gst_secdec_backend_get_type ())
GType gst_secdec_backend_get_type (void);

G_END_DECLS

#endif
