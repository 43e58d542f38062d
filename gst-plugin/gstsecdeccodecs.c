/*
 * gstsecdeccodecs.c - the codecs the secdec video decoders handle, one row per element
 * (element name, descriptions, sink caps, libavcodec codec ID), and libavcodec's pixel formats
 * in GStreamer terms. A new codec is a row here (and its caps in secdecrypt).
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstsecdecviddec-priv.h"

const CodecDesc gst_secdec_codecs[] = {
  {"secdech264dec", "secdec H.264 decoder",
        "Decodes H.264 (avc/avc3, access units) from libsecdec protected memory with "
        "libavcodec",
        "video/x-h264" PROTECTED ", stream-format=(string){ avc, avc3 }, "
        "alignment=(string)au", AV_CODEC_ID_H264},
  {"secdech265dec", "secdec H.265 decoder",
        "Decodes H.265/HEVC (hvc1/hev1, access units) from libsecdec protected memory "
        "with libavcodec",
        "video/x-h265" PROTECTED ", stream-format=(string){ hvc1, hev1 }, "
        "alignment=(string)au", AV_CODEC_ID_HEVC},
  {"secdecvp9dec", "secdec VP9 decoder",
        "Decodes VP9 from libsecdec protected memory with libavcodec",
        "video/x-vp9" PROTECTED, AV_CODEC_ID_VP9},
};

const guint gst_secdec_n_codecs = G_N_ELEMENTS (gst_secdec_codecs);

GstVideoFormat
gst_secdec_pix_fmt_to_gst (enum AVPixelFormat f)
{
  switch (f) {
    case AV_PIX_FMT_YUV420P:
    case AV_PIX_FMT_YUVJ420P:
      return GST_VIDEO_FORMAT_I420;
    case AV_PIX_FMT_NV12:
      return GST_VIDEO_FORMAT_NV12;
    case AV_PIX_FMT_YUV420P10LE:
      return GST_VIDEO_FORMAT_I420_10LE;
    case AV_PIX_FMT_P010LE:
      return GST_VIDEO_FORMAT_P010_10LE;
    case AV_PIX_FMT_YUV420P12LE:
      return GST_VIDEO_FORMAT_I420_12LE;
    case AV_PIX_FMT_YUV422P:
    case AV_PIX_FMT_YUVJ422P:
      return GST_VIDEO_FORMAT_Y42B;
    case AV_PIX_FMT_YUV422P10LE:
      return GST_VIDEO_FORMAT_I422_10LE;
    case AV_PIX_FMT_YUV444P:
    case AV_PIX_FMT_YUVJ444P:
      return GST_VIDEO_FORMAT_Y444;
    case AV_PIX_FMT_YUV444P10LE:
      return GST_VIDEO_FORMAT_Y444_10LE;
    case AV_PIX_FMT_GRAY8:
      return GST_VIDEO_FORMAT_GRAY8;
    default:
      return GST_VIDEO_FORMAT_UNKNOWN;
  }
}
