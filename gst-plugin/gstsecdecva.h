/*
 * gstsecdecva.h - the VA-API side of the secdec decoders: libsecdec-vaapi's decode display as
 * a GstVaDisplay, libavcodec's VA-API hwaccel decoding into the surfaces of a GstVaPool, and
 * reading decoded surfaces back into system memory where the driver allows it.
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef GST_SECDEC_VA_H
#define GST_SECDEC_VA_H

#include <gst/gst.h>
#include <gst/video/video.h>
#include <gst/va/gstva.h>
#include <libavcodec/avcodec.h>
#include <secdec/vaapi.h>

G_BEGIN_DECLS

typedef struct _GstSecdecVa GstSecdecVa;

/**
 * gst_secdec_va_new:
 * A decode display (secdec_vaapi_decode_display_create) for @device, wrapped as a GstVaDisplay
 * (gst_va_display_wrapped_new: the display is already initialized and is never terminated
 * from GStreamer), and an AVHWDeviceContext (VAAPI) on the same VADisplay. The decode display
 * is freed with the GstVaDisplay's last reference, i.e. after every surface allocated on it
 * (GstVaAllocators hold a reference) and libavcodec's device context are gone.
 * Returns NULL with *error set (g_free) on failure.
 */
GstSecdecVa *gst_secdec_va_new (SecdecDevice * device, SecdecCryptoSession * session,
    gchar ** error);

/** Drops the element's references (call after avcodec_free_context()): the pool is
 *  deactivated (buffers still downstream return to it and are freed then). NULL: no-op. */
void gst_secdec_va_free (GstSecdecVa * va);

/**
 * gst_secdec_va_retire:
 * gst_secdec_va_free() when the element stops: the VA-API device (secdecrypt's) is closed right
 * after, while buffers may still be held downstream (an appsink keeps its last sample until it
 * starts again or is disposed). The display is invalidated (every later libva call on it fails
 * with VA_STATUS_ERROR_INVALID_DISPLAY instead of reaching a terminated driver): surfaces still
 * held then can no longer be mapped, and are reclaimed when the device terminates the driver.
 */
void gst_secdec_va_retire (GstSecdecVa * va);

/** (transfer none) */
GstVaDisplay *gst_secdec_va_get_display (GstSecdecVa * va);
SecdecVaapiDecodeDisplay *gst_secdec_va_get_decode_display (GstSecdecVa * va);

/** A new reference to the AVHWDeviceContext for AVCodecContext.hw_device_ctx. */
AVBufferRef *gst_secdec_va_ref_device (GstSecdecVa * va);

/**
 * gst_secdec_va_setup_frames:
 * For libavcodec's get_format() callback (AV_PIX_FMT_VAAPI chosen): sets ctx->hw_frames_ctx to
 * a VAAPI AVHWFramesContext whose surfaces come from a GstVaPool on the display (coded size,
 * the hwaccel's surface format; caps memory:VAMemory with the display size). The pool is kept
 * when format and sizes are unchanged. ctx->get_buffer2 must be gst_secdec_va_get_buffer2.
 */
gboolean gst_secdec_va_setup_frames (GstSecdecVa * va, AVCodecContext * ctx, gchar ** error);

/** AVCodecContext.get_buffer2: VAAPI frames get a buffer acquired from the frames context's
 *  GstVaPool (AVFrame.buf[0] holds the GstBuffer, data[3] is its surface); other formats go
 *  to avcodec_default_get_buffer2(). */
int gst_secdec_va_get_buffer2 (AVCodecContext * ctx, AVFrame * frame, int flags);

/** (transfer none) The pool of the current frames context, or NULL. */
GstBufferPool *gst_secdec_va_get_pool (GstSecdecVa * va);

/** TRUE once after the pool was replaced (the output must be negotiated again). */
gboolean gst_secdec_va_take_pool_changed (GstSecdecVa * va);

/** (transfer none) The GstBuffer (GstVaMemory) a VAAPI frame of ours was decoded into, or NULL
 *  when @f is not one. */
GstBuffer *gst_secdec_va_frame_buffer (const AVFrame * f);

/** The GstVideoFormat of a VAAPI frame's surfaces (NV12, P010_10LE), UNKNOWN otherwise. */
GstVideoFormat gst_secdec_va_frame_format (const AVFrame * f);

typedef enum
{
  GST_SECDEC_VA_READ_OK,
  GST_SECDEC_VA_READ_FORBIDDEN, /* the driver refused both vaDeriveImage and vaGetImage */
  GST_SECDEC_VA_READ_FAILED,    /* anything else (sync, map, sizes) */
} GstSecdecVaReadResult;

/**
 * gst_secdec_va_download:
 * Copies the visible part of VAAPI frame @f into @dst (system memory, same format and size):
 * vaSyncSurface, then vaDeriveImage, else vaCreateImage + vaGetImage. *detail (g_free) says
 * what failed.
 */
GstSecdecVaReadResult gst_secdec_va_download (GstSecdecVa * va, const AVFrame * f,
    GstVideoFrame * dst, gchar ** detail);

G_END_DECLS

#endif
