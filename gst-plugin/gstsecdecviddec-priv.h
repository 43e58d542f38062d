/*
 * gstsecdecviddec-priv.h - what the secdec video decoders' files share: the instance and class
 * structs, the codec table's type, and the libavcodec decode path's entry points. Not
 * installed.
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * gstsecdecviddec.c   the GstVideoDecoder element: vmethods, negotiation, properties, registration
 * gstsecdeccodecs.c   the codec table (one row per element) and pixel-format mapping
 * gstsecdecavcodec.c  libavcodec: context, VA-API hwaccel, packets in, frames out
 */
#ifndef GST_SECDEC_VIDDEC_PRIV_H
#define GST_SECDEC_VIDDEC_PRIV_H

#include "gstsecdecviddec.h"
#include "gstsecdecmemory.h"
#include "gstsecdeccontext.h"
#ifdef HAVE_SECDEC_VAAPI
#include "gstsecdecva.h"
#endif

#include <gst/video/video.h>
#include <libavcodec/avcodec.h>

G_BEGIN_DECLS

GST_DEBUG_CATEGORY_EXTERN (gst_secdec_viddec_debug);

#define PROTECTED "(" GST_CAPS_FEATURE_MEMORY_SECDEC_PROTECTED ")"

#define SRC_CAPS GST_VIDEO_CAPS_MAKE ("{ I420, NV12, I420_10LE, P010_10LE, I420_12LE, " \
    "Y42B, I422_10LE, Y444, Y444_10LE, GRAY8 }")
/* the surfaces of the VA-API path (H.264 and HEVC) */
#define VA_SRC_CAPS GST_VIDEO_CAPS_MAKE_WITH_FEATURES ("memory:VAMemory", "{ NV12, P010_10LE }")

typedef struct
{
  const gchar *element;
  const gchar *longname;
  const gchar *description;
  const gchar *sink_caps;
  enum AVCodecID codec_id;
} CodecDesc;

/* The codec table (gstsecdeccodecs.c): one element per row. */
extern const CodecDesc gst_secdec_codecs[];
extern const guint gst_secdec_n_codecs;
GstVideoFormat gst_secdec_pix_fmt_to_gst (enum AVPixelFormat f);

typedef struct
{
  GstVideoDecoder parent;

  const CodecDesc *desc;
  AVCodecContext *ctx;
  AVFrame *frame;
  GstVideoCodecState *input_state;
  enum AVPixelFormat out_pix_fmt;
  gint out_width, out_height;
  gint out_par_n, out_par_d;
  gint latency_frames;

  gint max_threads;
  GstSecdecBackend backend;

  /* VA-API mode (streaming thread) */
  gboolean va;
#ifdef HAVE_SECDEC_VAAPI
  GstSecdecVa *va_ctx;          /* display, device context, surface pool */
  GstVaDisplay *va_display;     /* object lock: what context queries get */
  gboolean va_output;           /* memory:VAMemory negotiated */
  gchar *va_fail;               /* why get_format() failed */
  /* KEY_LOST recovery: the session of the sample being decoded; after a loss, the lost
   * session and frames are dropped until a keyframe arrives with a new session */
  SecdecDevice *cur_device;
  SecdecCryptoSession *cur_session;
  SecdecCryptoSession *lost_session;
  gboolean wait_keyframe;
  guint n_lost_dropped;
#endif
} GstSecdecVidDec;

/* send_packet(): the picture failed because the TEE lost the protected session */
#define FLOW_SESSION_LOST GST_FLOW_CUSTOM_SUCCESS

typedef struct
{
  GstVideoDecoderClass parent_class;
  const CodecDesc *desc;
} GstSecdecVidDecClass;

#define GST_SECDEC_VIDDEC(obj) ((GstSecdecVidDec *) (obj))
#define GST_SECDEC_VIDDEC_GET_CLASS(obj) \
  ((GstSecdecVidDecClass *) G_TYPE_INSTANCE_GET_CLASS ((obj), G_TYPE_FROM_INSTANCE (obj), \
      GstSecdecVidDecClass))

/* ---- gstsecdecavcodec.c ---- */
/* Closes the codec context (retire: the element stops; the VA device goes too). */
void gst_secdec_avcodec_close (GstSecdecVidDec * self, gboolean retire);
#ifdef HAVE_SECDEC_VAAPI
/* Answers a gst.va.display.handle context query with the decode display. */
gboolean gst_secdec_avcodec_va_context_query (GstSecdecVidDec * self, GstQuery * query);
#endif
/* Opens the codec for the stream: software, or VA-API when meta (a VA-API sample) is given. */
gboolean gst_secdec_avcodec_open (GstSecdecVidDec * self, const GstSecdecSampleMeta * meta);
/* Reports the decoder latency from the codec's delay. */
void gst_secdec_avcodec_update_latency (GstSecdecVidDec * self);
/* av_buffer_create() free callback: drops the GstMemory reference a packet held. */
void gst_secdec_avcodec_release_memory (void *opaque, uint8_t * data);
#ifdef HAVE_SECDEC_VAAPI
/* TRUE when the TEE lost the protected session of the sample being decoded. */
gboolean gst_secdec_avcodec_va_session_lost (GstSecdecVidDec * self);
#endif
#ifdef HAVE_SECDEC_VAAPI
/* After a lost session: tells secdecrypt, waits for a keyframe with a new session. */
GstFlowReturn gst_secdec_avcodec_va_recover (GstSecdecVidDec * self);
#endif
/* Sends one packet and outputs every frame libavcodec has ready. */
GstFlowReturn gst_secdec_avcodec_send_packet (GstSecdecVidDec * self, AVPacket * pkt);

G_END_DECLS

#endif
