/*
 * gstsecdecviddec.c - secdech264dec, secdech265dec, secdecvp9dec.
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * GstVideoDecoder subclasses that decode with libavcodec straight from the libsecdec protected
 * buffer of each input sample (caps feature memory:SecDecProtected): the AVPacket points at
 * the buffer returned by secdec_protected_buffer_map_for_decode() and owns a reference to the
 * GstMemory through av_buffer_create(), so libavcodec (frame threads included) never copies
 * the clear sample and the memory is released when libavcodec drops its last reference.
 * Protected buffers carry SECDEC_PROTECTED_BUFFER_PADDING zero bytes, which covers
 * AV_INPUT_BUFFER_PADDING_SIZE.
 *
 * VA-API (issue 6, built with hw/): buffers from a secdecrypt on a VA-API device hold the
 * sample still encrypted and carry a GstSecdecSampleMeta (encryption info + the device and
 * session). On the first such buffer the codec is reopened on libavcodec's VA-API hwaccel with
 * libsecdec-vaapi's wrapped VADisplay (secdec_vaapi_decode_display_create) as an
 * AVHWDeviceContext, get_format -> AV_PIX_FMT_VAAPI, one thread; each sample is registered with
 * secdec_vaapi_decode_display_set_sample() while libavcodec renders it (the TEE decrypts the
 * slice data in the driver) and frames are downloaded to system memory (NV12).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstsecdecviddec.h"
#include "gstsecdecmemory.h"
#include "gstsecdeccontext.h"

#include <string.h>
#include <gst/video/video.h>
#include <libavcodec/avcodec.h>
#include <libavutil/pixdesc.h>
#include <libavutil/log.h>
#ifdef HAVE_SECDEC_VAAPI
#include <libavutil/hwcontext.h>
#include <libavutil/hwcontext_vaapi.h>
#include <secdec/vaapi.h>
#endif
#include <stdarg.h>

G_STATIC_ASSERT (SECDEC_PROTECTED_BUFFER_PADDING >= AV_INPUT_BUFFER_PADDING_SIZE);

GST_DEBUG_CATEGORY_STATIC (gst_secdec_viddec_debug);
#define GST_CAT_DEFAULT gst_secdec_viddec_debug

#define PROTECTED "(" GST_CAPS_FEATURE_MEMORY_SECDEC_PROTECTED ")"

#define SRC_CAPS GST_VIDEO_CAPS_MAKE ("{ I420, NV12, I420_10LE, P010_10LE, I420_12LE, " \
    "Y42B, I422_10LE, Y444, Y444_10LE, GRAY8 }")

typedef struct
{
  const gchar *element;
  const gchar *longname;
  const gchar *description;
  const gchar *sink_caps;
  enum AVCodecID codec_id;
} CodecDesc;

static const CodecDesc codecs[] = {
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

#define DEFAULT_MAX_THREADS 0
#define DEFAULT_BACKEND GST_SECDEC_BACKEND_AUTO

enum
{
  PROP_0,
  PROP_MAX_THREADS,
  PROP_BACKEND,
};

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
  SecdecVaapiDecodeDisplay *vadd;       /* owned by va_device_ref (its free callback) */
  AVBufferRef *va_device_ref;
  AVFrame *sw_frame;
#endif
} GstSecdecVidDec;

typedef struct
{
  GstVideoDecoderClass parent_class;
  const CodecDesc *desc;
} GstSecdecVidDecClass;

#define GST_SECDEC_VIDDEC(obj) ((GstSecdecVidDec *) (obj))
#define GST_SECDEC_VIDDEC_GET_CLASS(obj) \
  ((GstSecdecVidDecClass *) G_TYPE_INSTANCE_GET_CLASS ((obj), G_TYPE_FROM_INSTANCE (obj), \
      GstSecdecVidDecClass))

static GstElementClass *parent_class;

static GstVideoFormat
pix_fmt_to_gst (enum AVPixelFormat f)
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

/* ---- libavcodec context ------------------------------------------------------------------ */

static void
close_codec (GstSecdecVidDec * self)
{
  avcodec_free_context (&self->ctx);
#ifdef HAVE_SECDEC_VAAPI
  /* the wrapped display is freed with the last reference (frames are gone with the codec) */
  av_buffer_unref (&self->va_device_ref);
  self->vadd = NULL;
#endif
  self->va = FALSE;
  self->out_pix_fmt = AV_PIX_FMT_NONE;
  self->out_width = self->out_height = 0;
}

#ifdef HAVE_SECDEC_VAAPI
static void
va_device_free (AVHWDeviceContext * ctx)
{
  SecdecVaapiDecodeDisplay *dd = ctx->user_opaque;

  secdec_vaapi_decode_display_free (&dd);
}

static enum AVPixelFormat
va_get_format (AVCodecContext * ctx, const enum AVPixelFormat *fmts)
{
  const enum AVPixelFormat *p;

  for (p = fmts; *p != AV_PIX_FMT_NONE; p++)
    if (*p == AV_PIX_FMT_VAAPI)
      return *p;
  av_log (ctx, AV_LOG_ERROR, "The VA-API hwaccel cannot decode this stream (profile or "
      "format not supported by the device).\n");
  return AV_PIX_FMT_NONE;
}

/* The AVHWDeviceContext (VAAPI) on libsecdec-vaapi's wrapped display for meta's session. */
static gboolean
va_open_device (GstSecdecVidDec * self, const GstSecdecSampleMeta * meta)
{
  SecdecVaapiDecodeDisplay *dd = NULL;
  AVHWDeviceContext *dctx;
  AVBufferRef *ref;
  VADisplay dpy = NULL;
  SecdecStatus st;
  int r;

  st = secdec_vaapi_decode_display_create (meta->device, meta->session, &dd, &dpy);
  if (st != SECDEC_OK) {
    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ_WRITE,
        ("Cannot create the protected VA-API display"), ("%s (%s)",
            secdec_status_to_string (st), secdec_status_name (st)));
    return FALSE;
  }
  ref = av_hwdevice_ctx_alloc (AV_HWDEVICE_TYPE_VAAPI);
  if (ref == NULL) {
    secdec_vaapi_decode_display_free (&dd);
    return FALSE;
  }
  dctx = (AVHWDeviceContext *) ref->data;
  dctx->user_opaque = dd;
  dctx->free = va_device_free;
  ((AVVAAPIDeviceContext *) dctx->hwctx)->display = dpy;
  r = av_hwdevice_ctx_init (ref);
  if (r < 0) {
    av_buffer_unref (&ref);     /* frees dd */
    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ_WRITE,
        ("Cannot create the protected VA-API display"),
        ("av_hwdevice_ctx_init: %s", av_err2str (r)));
    return FALSE;
  }
  self->va_device_ref = ref;
  self->vadd = dd;
  return TRUE;
}
#endif

/* meta != NULL: on the VA-API hwaccel for meta's session (hw/), else software. */
static gboolean
open_codec (GstSecdecVidDec * self, const GstSecdecSampleMeta * meta)
{
  const AVCodec *codec = avcodec_find_decoder (self->desc->codec_id);
  const GstStructure *s;
  const GValue *cd;
  guint threads;
  int ret;

  close_codec (self);
  if (codec == NULL) {
    GST_ELEMENT_ERROR (self, LIBRARY, INIT, ("libavcodec has no %s decoder",
            avcodec_get_name (self->desc->codec_id)), (NULL));
    return FALSE;
  }
  self->ctx = avcodec_alloc_context3 (codec);
  if (self->ctx == NULL)
    return FALSE;

  s = gst_caps_get_structure (self->input_state->caps, 0);
  cd = gst_structure_get_value (s, "codec_data");
  if (cd && GST_VALUE_HOLDS_BUFFER (cd)) {
    GstBuffer *buf = gst_value_get_buffer (cd);
    gsize size = gst_buffer_get_size (buf);

    self->ctx->extradata = av_mallocz (size + AV_INPUT_BUFFER_PADDING_SIZE);
    if (self->ctx->extradata == NULL)
      return FALSE;
    gst_buffer_extract (buf, 0, self->ctx->extradata, size);
    self->ctx->extradata_size = (int) size;
  }
  if (self->input_state->info.width > 0) {
    self->ctx->width = self->input_state->info.width;
    self->ctx->height = self->input_state->info.height;
  }

  threads = self->max_threads > 0 ? (guint) self->max_threads :
      MIN (g_get_num_processors (), 16u);
  self->ctx->thread_count = (int) threads;
  self->ctx->thread_type = FF_THREAD_FRAME | FF_THREAD_SLICE;
  self->ctx->pkt_timebase = (AVRational) {
  1, 1};
  if (meta) {
#ifdef HAVE_SECDEC_VAAPI
    if (!va_open_device (self, meta)) {
      close_codec (self);
      return FALSE;
    }
    /* One thread: each packet's pictures are rendered while its encryption info is
     * registered with the display. */
    self->ctx->thread_count = 1;
    self->ctx->get_format = va_get_format;
    self->ctx->hw_device_ctx = av_buffer_ref (self->va_device_ref);
    if (self->ctx->hw_device_ctx == NULL) {
      close_codec (self);
      return FALSE;
    }
    self->va = TRUE;
#else
    close_codec (self);
    return FALSE;
#endif
  }

  ret = avcodec_open2 (self->ctx, codec, NULL);
  if (ret < 0) {
    GST_ELEMENT_ERROR (self, LIBRARY, INIT, ("Cannot open the libavcodec %s decoder",
            codec->name), ("avcodec_open2: %s", av_err2str (ret)));
    close_codec (self);
    return FALSE;
  }
  GST_INFO_OBJECT (self, "opened libavcodec %s%s, %d threads (type %d), extradata %d bytes",
      codec->name, self->va ? " on the VA-API hwaccel (protected session attached)" : "",
      self->ctx->thread_count, self->ctx->active_thread_type, self->ctx->extradata_size);
  return TRUE;
}

static void
update_latency (GstSecdecVidDec * self)
{
  gint frames = self->ctx ? self->ctx->has_b_frames : 0;
  gint fps_n = self->input_state ? self->input_state->info.fps_n : 0;
  gint fps_d = self->input_state ? self->input_state->info.fps_d : 1;
  GstClockTime lat;

  if (self->ctx && (self->ctx->active_thread_type & FF_THREAD_FRAME))
    frames += self->ctx->thread_count - 1;
  if (frames == self->latency_frames)
    return;
  self->latency_frames = frames;
  if (fps_n <= 0 || fps_d <= 0) {
    fps_n = 25;
    fps_d = 1;
  }
  lat = gst_util_uint64_scale_ceil (frames, GST_SECOND * fps_d, fps_n);
  GST_DEBUG_OBJECT (self, "latency %d frames = %" GST_TIME_FORMAT, frames,
      GST_TIME_ARGS (lat));
  gst_video_decoder_set_latency (GST_VIDEO_DECODER (self), lat, lat);
}

/* ---- output -------------------------------------------------------------------------------- */

static gboolean
ensure_output_state (GstSecdecVidDec * self, const AVFrame * f)
{
  GstVideoDecoder *dec = GST_VIDEO_DECODER (self);
  GstVideoCodecState *state;
  GstVideoFormat fmt;
  gint par_n = f->sample_aspect_ratio.num, par_d = f->sample_aspect_ratio.den;
  GstVideoColorimetry *c;

  if (par_n <= 0 || par_d <= 0) {
    par_n = self->input_state->info.par_n;
    par_d = self->input_state->info.par_d;
  }
  if (f->format == self->out_pix_fmt && f->width == self->out_width
      && f->height == self->out_height && par_n == self->out_par_n
      && par_d == self->out_par_d && gst_pad_has_current_caps (dec->srcpad))
    return TRUE;

  fmt = pix_fmt_to_gst (f->format);
  if (fmt == GST_VIDEO_FORMAT_UNKNOWN) {
    GST_ELEMENT_ERROR (self, STREAM, FORMAT, ("Unsupported decoded pixel format %s",
            av_get_pix_fmt_name (f->format)), (NULL));
    return FALSE;
  }
  GST_INFO_OBJECT (self, "output %s %dx%d (was %s %dx%d)", av_get_pix_fmt_name (f->format),
      f->width, f->height, av_get_pix_fmt_name (self->out_pix_fmt), self->out_width,
      self->out_height);
  state = gst_video_decoder_set_output_state (dec, fmt, f->width, f->height,
      self->input_state);
  state->info.par_n = par_n;
  state->info.par_d = par_d;
  c = &state->info.colorimetry;
  if (f->color_range == AVCOL_RANGE_JPEG || f->format == AV_PIX_FMT_YUVJ420P
      || f->format == AV_PIX_FMT_YUVJ422P || f->format == AV_PIX_FMT_YUVJ444P)
    c->range = GST_VIDEO_COLOR_RANGE_0_255;
  else if (f->color_range == AVCOL_RANGE_MPEG)
    c->range = GST_VIDEO_COLOR_RANGE_16_235;
  if (f->colorspace != AVCOL_SPC_UNSPECIFIED && f->colorspace != AVCOL_SPC_RESERVED)
    c->matrix = gst_video_color_matrix_from_iso (f->colorspace);
  if (f->color_trc != AVCOL_TRC_UNSPECIFIED && f->color_trc != AVCOL_TRC_RESERVED)
    c->transfer = gst_video_transfer_function_from_iso (f->color_trc);
  if (f->color_primaries != AVCOL_PRI_UNSPECIFIED && f->color_primaries != AVCOL_PRI_RESERVED)
    c->primaries = gst_video_color_primaries_from_iso (f->color_primaries);
  gst_video_codec_state_unref (state);

  if (!gst_video_decoder_negotiate (dec)) {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, ("Cannot negotiate the decoded format"),
        ("%s %dx%d", gst_video_format_to_string (fmt), f->width, f->height));
    return FALSE;
  }
  self->out_pix_fmt = f->format;
  self->out_width = f->width;
  self->out_height = f->height;
  self->out_par_n = par_n;
  self->out_par_d = par_d;
  update_latency (self);
  return TRUE;
}

static gboolean
copy_frame (GstSecdecVidDec * self, const AVFrame * f, GstBuffer * out)
{
  GstVideoCodecState *state = gst_video_decoder_get_output_state (GST_VIDEO_DECODER (self));
  GstVideoFrame vf;
  guint p, y;

  if (state == NULL)
    return FALSE;
  if (!gst_video_frame_map (&vf, &state->info, out, GST_MAP_WRITE)) {
    gst_video_codec_state_unref (state);
    return FALSE;
  }
  for (p = 0; p < GST_VIDEO_FRAME_N_PLANES (&vf); p++) {
    guint8 *dst = GST_VIDEO_FRAME_PLANE_DATA (&vf, p);
    gint dst_stride = GST_VIDEO_FRAME_PLANE_STRIDE (&vf, p);
    const guint8 *src = f->data[p];
    gint src_stride = f->linesize[p];
    /* for every format above, plane p starts with component p */
    gsize row = (gsize) GST_VIDEO_FRAME_COMP_WIDTH (&vf, p) *
        GST_VIDEO_FRAME_COMP_PSTRIDE (&vf, p);
    guint rows = GST_VIDEO_FRAME_COMP_HEIGHT (&vf, p);

    for (y = 0; y < rows; y++)
      memcpy (dst + (gsize) y * dst_stride, src + (gssize) y * src_stride, row);
  }
  gst_video_frame_unmap (&vf);
  gst_video_codec_state_unref (state);
  return TRUE;
}

/* Takes every decoded frame libavcodec has ready. */
static GstFlowReturn
receive_frames (GstSecdecVidDec * self)
{
  GstVideoDecoder *dec = GST_VIDEO_DECODER (self);
  GstFlowReturn ret = GST_FLOW_OK;
  int r;

  while (ret == GST_FLOW_OK && (r = avcodec_receive_frame (self->ctx, self->frame)) == 0) {
    GstVideoCodecFrame *out = gst_video_decoder_get_frame (dec, (int) self->frame->pts);
    const AVFrame *f = self->frame;

    if (out == NULL) {
      GST_WARNING_OBJECT (self, "decoded a frame for unknown input %" G_GINT64_FORMAT,
          (gint64) self->frame->pts);
      av_frame_unref (self->frame);
      continue;
    }
#ifdef HAVE_SECDEC_VAAPI
    if (self->frame->format == AV_PIX_FMT_VAAPI) {
      /* download the VA surface (NV12) to system memory */
      int tr;

      av_frame_unref (self->sw_frame);
      tr = av_hwframe_transfer_data (self->sw_frame, self->frame, 0);
      if (tr >= 0)
        tr = av_frame_copy_props (self->sw_frame, self->frame);
      if (tr < 0) {
        av_frame_unref (self->frame);
        gst_video_decoder_release_frame (dec, out);
        GST_ELEMENT_ERROR (self, STREAM, DECODE, ("Cannot download a VA-API frame"),
            ("av_hwframe_transfer_data: %s", av_err2str (tr)));
        return GST_FLOW_ERROR;
      }
      f = self->sw_frame;
    }
#endif
    if (!ensure_output_state (self, f)) {
      av_frame_unref (self->frame);
      gst_video_decoder_release_frame (dec, out);
      return GST_FLOW_NOT_NEGOTIATED;
    }
    if (gst_video_decoder_get_max_decode_time (dec, out) < 0) {
      /* QoS: too late to be shown */
      GST_LOG_OBJECT (self, "dropping late frame %u", out->system_frame_number);
      ret = gst_video_decoder_drop_frame (dec, out);
    } else {
      ret = gst_video_decoder_allocate_output_frame (dec, out);
      if (ret == GST_FLOW_OK) {
        if (!copy_frame (self, f, out->output_buffer)) {
          GST_ELEMENT_ERROR (self, RESOURCE, WRITE, ("Cannot write the output frame"), (NULL));
          gst_video_decoder_release_frame (dec, out);
          ret = GST_FLOW_ERROR;
        } else {
          if (f->flags & AV_FRAME_FLAG_CORRUPT)
            GST_BUFFER_FLAG_SET (out->output_buffer, GST_BUFFER_FLAG_CORRUPTED);
          ret = gst_video_decoder_finish_frame (dec, out);
        }
      } else {
        gst_video_decoder_release_frame (dec, out);
      }
    }
    av_frame_unref (self->frame);
#ifdef HAVE_SECDEC_VAAPI
    av_frame_unref (self->sw_frame);
#endif
  }
  return ret;
}

static void
release_memory (void *opaque, uint8_t * data)
{
  gst_memory_unref (GST_MEMORY_CAST (opaque));
}

static GstFlowReturn
send_packet (GstSecdecVidDec * self, AVPacket * pkt)
{
  GstFlowReturn ret = GST_FLOW_OK;
  int r;

  for (;;) {
    r = avcodec_send_packet (self->ctx, pkt);
    if (r != AVERROR (EAGAIN))
      break;
    /* the decoder wants its output taken first */
    ret = receive_frames (self);
    if (ret != GST_FLOW_OK)
      return ret;
  }
  if (r < 0 && r != AVERROR_EOF && self->va) {
    /* no concealment on the VA-API path: a failed hwaccel or picture is a hard error, with
     * the wrapped display's reason when it has one */
    gchar err[256];
    const gchar *why = NULL;

#ifdef HAVE_SECDEC_VAAPI
    why = secdec_vaapi_decode_display_get_error (self->vadd, err, sizeof err);
#endif
    if (why)
      GST_ELEMENT_ERROR (self, STREAM, DECODE, ("VA-API protected decode failed: %s", why),
          ("avcodec_send_packet: %s", av_err2str (r)));
    else
      GST_ELEMENT_ERROR (self, STREAM, DECODE, ("VA-API hardware decode failed: %s",
              av_err2str (r)), ("avcodec_send_packet (libavcodec's VA-API hwaccel; debug "
              "category secdeclibav has its messages)"));
    return GST_FLOW_ERROR;
  }
  if (r < 0 && r != AVERROR_EOF) {
    GST_VIDEO_DECODER_ERROR (self, 1, STREAM, DECODE, ("Decoding error"),
        ("avcodec_send_packet: %s", av_err2str (r)), ret);
    if (ret != GST_FLOW_OK)
      return ret;
  }
  return receive_frames (self);
}

/* ---- GstVideoDecoder ---------------------------------------------------------------------- */

static gboolean
gst_secdec_viddec_start (GstVideoDecoder * dec)
{
  GstSecdecVidDec *self = GST_SECDEC_VIDDEC (dec);

#ifndef HAVE_SECDEC_VAAPI
  if (self->backend == GST_SECDEC_BACKEND_VAAPI) {
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
        ("The VA-API backend is not available in this build"),
        ("backend=vaapi was requested; the plugin was built without libsecdec-vaapi (hw/). "
            "Use backend=auto or backend=software."));
    return FALSE;
  }
#else
  self->sw_frame = av_frame_alloc ();
  if (self->sw_frame == NULL)
    return FALSE;
#endif
  self->frame = av_frame_alloc ();
  self->latency_frames = -1;
  self->out_pix_fmt = AV_PIX_FMT_NONE;
  return self->frame != NULL;
}

static gboolean
gst_secdec_viddec_stop (GstVideoDecoder * dec)
{
  GstSecdecVidDec *self = GST_SECDEC_VIDDEC (dec);

  close_codec (self);
  av_frame_free (&self->frame);
#ifdef HAVE_SECDEC_VAAPI
  av_frame_free (&self->sw_frame);
#endif
  g_clear_pointer (&self->input_state, gst_video_codec_state_unref);
  return TRUE;
}

static GstFlowReturn
drain (GstSecdecVidDec * self)
{
  GstFlowReturn ret;

  if (self->ctx == NULL)
    return GST_FLOW_OK;
  ret = send_packet (self, NULL);
  avcodec_flush_buffers (self->ctx);    /* leave the EOF state */
  return ret;
}

static gboolean
gst_secdec_viddec_set_format (GstVideoDecoder * dec, GstVideoCodecState * state)
{
  GstSecdecVidDec *self = GST_SECDEC_VIDDEC (dec);

  if (self->input_state && self->ctx
      && gst_caps_is_equal (self->input_state->caps, state->caps))
    return TRUE;
  GST_DEBUG_OBJECT (self, "new input caps %" GST_PTR_FORMAT, state->caps);
  drain (self);
  g_clear_pointer (&self->input_state, gst_video_codec_state_unref);
  self->input_state = gst_video_codec_state_ref (state);
  self->latency_frames = -1;
  /* software first; the first buffer of a VA-API secdecrypt reopens it on the hwaccel */
  if (!open_codec (self, NULL))
    return FALSE;
  update_latency (self);
  return TRUE;
}

static GstFlowReturn
gst_secdec_viddec_handle_frame (GstVideoDecoder * dec, GstVideoCodecFrame * frame)
{
  GstSecdecVidDec *self = GST_SECDEC_VIDDEC (dec);
  GstMemory *mem = gst_secdec_buffer_peek_memory (frame->input_buffer);
  GstSecdecSampleMeta *meta = gst_buffer_get_secdec_sample_meta (frame->input_buffer);
  GstSecdecBackend backend;
  const guint8 *data = NULL;
  gsize size = 0;
  AVPacket *pkt;
  GstFlowReturn ret;

  if (self->ctx == NULL) {
    gst_video_codec_frame_unref (frame);
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, ("No input format"), (NULL));
    return GST_FLOW_NOT_NEGOTIATED;
  }
  if (mem == NULL || !gst_secdec_memory_map_for_decode (mem, &data, &size) || size == 0
      || size > G_MAXINT) {
    gst_video_decoder_release_frame (dec, frame);
    GST_ELEMENT_ERROR (self, STREAM, DECODE,
        ("Input sample is not in secdec protected memory"),
        ("expected one memory:SecDecProtected memory per buffer (from secdecrypt)"));
    return GST_FLOW_ERROR;
  }

  GST_OBJECT_LOCK (self);
  backend = self->backend;
  GST_OBJECT_UNLOCK (self);
  if ((meta != NULL) != self->va || (!meta && backend == GST_SECDEC_BACKEND_VAAPI)) {
    const gchar *why = NULL;

    if (meta && backend == GST_SECDEC_BACKEND_SOFTWARE)
      why = "backend=software, but the sample is still encrypted for VA-API decode "
          "(secdecrypt uses a VA-API device)";
    else if (!meta && backend == GST_SECDEC_BACKEND_VAAPI)
      why = "backend=vaapi, but secdecrypt decrypted the sample in software";
    else if (meta && self->desc->codec_id != AV_CODEC_ID_H264
        && self->desc->codec_id != AV_CODEC_ID_HEVC)
      why = "only H.264 and HEVC decode through VA-API";
#ifndef HAVE_SECDEC_VAAPI
    else if (meta)
      why = "the plugin was built without libsecdec-vaapi (hw/)";
#endif
    if (why) {
      gst_video_decoder_release_frame (dec, frame);
      GST_ELEMENT_ERROR (self, STREAM, DECODE, ("Cannot decode this input"), ("%s", why));
      return GST_FLOW_ERROR;
    }
    GST_INFO_OBJECT (self, "input is %s: reopening the decoder",
        meta ? "still encrypted for VA-API" : "decrypted in software");
    drain (self);
    if (!open_codec (self, meta)) {
      gst_video_decoder_release_frame (dec, frame);
      if (self->ctx == NULL && meta == NULL)
        GST_ELEMENT_ERROR (self, LIBRARY, INIT, ("Cannot reopen the decoder"), (NULL));
      return GST_FLOW_ERROR;
    }
  }

  pkt = av_packet_alloc ();
  if (pkt == NULL) {
    gst_video_decoder_release_frame (dec, frame);
    return GST_FLOW_ERROR;
  }
  /* libavcodec references the protected buffer in place: no copy of the clear sample */
  pkt->buf = av_buffer_create ((uint8_t *) data, size, release_memory, gst_memory_ref (mem),
      AV_BUFFER_FLAG_READONLY);
  if (pkt->buf == NULL) {
    gst_memory_unref (mem);
    av_packet_free (&pkt);
    gst_video_decoder_release_frame (dec, frame);
    return GST_FLOW_ERROR;
  }
  pkt->data = (uint8_t *) data;
  pkt->size = (int) size;
  pkt->pts = frame->system_frame_number;
  if (GST_VIDEO_CODEC_FRAME_IS_SYNC_POINT (frame))
    pkt->flags |= AV_PKT_FLAG_KEY;
  gst_video_codec_frame_unref (frame);

#ifdef HAVE_SECDEC_VAAPI
  if (self->va) {
    SecdecStatus st = secdec_vaapi_decode_display_set_sample (self->vadd, meta->session,
        meta->encrypted ? &meta->info : NULL, data, size);

    if (st != SECDEC_OK) {
      av_packet_free (&pkt);
      GST_ELEMENT_ERROR (self, STREAM, DECRYPT, ("Cannot describe a sample to the TEE"),
          ("secdec_vaapi_decode_display_set_sample: %s (%s)", secdec_status_to_string (st),
              secdec_status_name (st)));
      return GST_FLOW_ERROR;
    }
  }
#endif
  /* VA-API: one thread, so libavcodec renders this packet's pictures inside send_packet()
   * (avcodec_send_packet, or avcodec_receive_frame for a packet queued behind an output
   * frame — send_packet() takes every ready frame) while the sample is registered */
  ret = send_packet (self, pkt);
  av_packet_free (&pkt);
#ifdef HAVE_SECDEC_VAAPI
  if (self->va) {
    gchar err[256];

    secdec_vaapi_decode_display_set_sample (self->vadd, NULL, NULL, NULL, 0);
    if (secdec_vaapi_decode_display_get_error (self->vadd, err, sizeof err)) {
      GST_ELEMENT_ERROR (self, STREAM, DECODE, ("VA-API protected decode failed: %s", err),
          (NULL));
      return GST_FLOW_ERROR;
    }
  }
#endif
  return ret;
}

static gboolean
gst_secdec_viddec_flush (GstVideoDecoder * dec)
{
  GstSecdecVidDec *self = GST_SECDEC_VIDDEC (dec);

  if (self->ctx)
    avcodec_flush_buffers (self->ctx);
  return TRUE;
}

static GstFlowReturn
gst_secdec_viddec_drain (GstVideoDecoder * dec)
{
  return drain (GST_SECDEC_VIDDEC (dec));
}

/* ---- GObject -------------------------------------------------------------------------------- */

static void
gst_secdec_viddec_set_property (GObject * object, guint prop_id, const GValue * value,
    GParamSpec * pspec)
{
  GstSecdecVidDec *self = GST_SECDEC_VIDDEC (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_MAX_THREADS:
      self->max_threads = g_value_get_int (value);
      break;
    case PROP_BACKEND:
      self->backend = g_value_get_enum (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_secdec_viddec_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  GstSecdecVidDec *self = GST_SECDEC_VIDDEC (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_MAX_THREADS:
      g_value_set_int (value, self->max_threads);
      break;
    case PROP_BACKEND:
      g_value_set_enum (value, self->backend);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_secdec_viddec_init (GTypeInstance * instance, gpointer g_class)
{
  GstSecdecVidDec *self = (GstSecdecVidDec *) instance;
  GstSecdecVidDecClass *klass = g_class;

  self->desc = klass->desc;
  self->max_threads = DEFAULT_MAX_THREADS;
  self->backend = DEFAULT_BACKEND;
  self->out_pix_fmt = AV_PIX_FMT_NONE;
  gst_video_decoder_set_packetized (GST_VIDEO_DECODER (self), TRUE);
  gst_video_decoder_set_needs_format (GST_VIDEO_DECODER (self), TRUE);
}

static void
gst_secdec_viddec_class_init (gpointer g_class, gpointer class_data)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (g_class);
  GstElementClass *element_class = GST_ELEMENT_CLASS (g_class);
  GstVideoDecoderClass *vd_class = GST_VIDEO_DECODER_CLASS (g_class);
  GstSecdecVidDecClass *klass = g_class;
  const CodecDesc *desc = class_data;
  GstCaps *caps;

  parent_class = g_type_class_peek_parent (g_class);
  klass->desc = desc;

  gobject_class->set_property = gst_secdec_viddec_set_property;
  gobject_class->get_property = gst_secdec_viddec_get_property;

  g_object_class_install_property (gobject_class, PROP_MAX_THREADS,
      g_param_spec_int ("max-threads", "Maximum decode threads",
          "Maximum number of libavcodec decode threads (frame and slice threading); "
          "0 = one per CPU core, at most 16", 0, G_MAXINT, DEFAULT_MAX_THREADS,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_BACKEND,
      g_param_spec_enum ("backend", "Backend",
          "Decode backend: auto (follows secdecrypt: VA-API when its device is a VA-API one), "
          "software (libavcodec from decrypted samples), or vaapi (require still-encrypted "
          "samples decoded with libavcodec's VA-API hwaccel, the TEE decrypting)",
          GST_TYPE_SECDEC_BACKEND, DEFAULT_BACKEND,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY));

  caps = gst_caps_from_string (desc->sink_caps);
  gst_element_class_add_pad_template (element_class,
      gst_pad_template_new ("sink", GST_PAD_SINK, GST_PAD_ALWAYS, caps));
  gst_caps_unref (caps);
  caps = gst_caps_from_string (SRC_CAPS);
  gst_element_class_add_pad_template (element_class,
      gst_pad_template_new ("src", GST_PAD_SRC, GST_PAD_ALWAYS, caps));
  gst_caps_unref (caps);
  gst_element_class_set_static_metadata (element_class, desc->longname,
      "Codec/Decoder/Video", desc->description, "secdec developers");

  vd_class->start = GST_DEBUG_FUNCPTR (gst_secdec_viddec_start);
  vd_class->stop = GST_DEBUG_FUNCPTR (gst_secdec_viddec_stop);
  vd_class->set_format = GST_DEBUG_FUNCPTR (gst_secdec_viddec_set_format);
  vd_class->handle_frame = GST_DEBUG_FUNCPTR (gst_secdec_viddec_handle_frame);
  vd_class->flush = GST_DEBUG_FUNCPTR (gst_secdec_viddec_flush);
  vd_class->drain = GST_DEBUG_FUNCPTR (gst_secdec_viddec_drain);
  vd_class->finish = GST_DEBUG_FUNCPTR (gst_secdec_viddec_drain);
}

GST_DEBUG_CATEGORY_STATIC (gst_secdec_libav_debug);

/* libavcodec's log goes to the GStreamer debug log (category "secdeclibav"), not stderr. */
static void
log_callback (void *avcl, int level, const char *fmt, va_list vl)
{
  GstDebugLevel gl;
  gchar *msg;
  gsize len;

  if (level > AV_LOG_DEBUG)
    return;
  gl = level <= AV_LOG_ERROR ? GST_LEVEL_WARNING : level <= AV_LOG_WARNING ?
      GST_LEVEL_INFO : level <= AV_LOG_INFO ? GST_LEVEL_DEBUG : GST_LEVEL_LOG;
  if (gl > gst_debug_category_get_threshold (gst_secdec_libav_debug))
    return;
  msg = g_strdup_vprintf (fmt, vl);
  len = strlen (msg);
  if (len > 0 && msg[len - 1] == '\n')
    msg[len - 1] = '\0';
  gst_debug_log (gst_secdec_libav_debug, gl, __FILE__, G_STRFUNC, __LINE__, NULL, "%s", msg);
  g_free (msg);
}

gboolean
gst_secdec_viddec_register (GstPlugin * plugin)
{
  guint i;

  GST_DEBUG_CATEGORY_INIT (gst_secdec_viddec_debug, "secdecviddec", 0,
      "secdec video decoders");
  GST_DEBUG_CATEGORY_INIT (gst_secdec_libav_debug, "secdeclibav", 0,
      "libavcodec messages of the secdec decoders");
  /* Like gst-libav: libavcodec has one process-wide log callback. When gst-libav is loaded
   * too, whichever plugin registers last wins; both route to the GStreamer log. */
  av_log_set_callback (log_callback);
  for (i = 0; i < G_N_ELEMENTS (codecs); i++) {
    GTypeInfo info = {
      sizeof (GstSecdecVidDecClass), NULL, NULL,
      gst_secdec_viddec_class_init, NULL, &codecs[i],
      sizeof (GstSecdecVidDec), 0, gst_secdec_viddec_init, NULL
    };
    gchar *type_name;
    GType type;

    if (avcodec_find_decoder (codecs[i].codec_id) == NULL) {
      GST_WARNING ("libavcodec has no %s decoder: %s not registered",
          avcodec_get_name (codecs[i].codec_id), codecs[i].element);
      continue;
    }
    type_name = g_strdup_printf ("GstSecdec%s", codecs[i].element + strlen ("secdec"));
    type_name[9] = g_ascii_toupper (type_name[9]);
    type = g_type_from_name (type_name);
    if (type == 0)
      type = g_type_register_static (GST_TYPE_VIDEO_DECODER, type_name, &info, 0);
    g_free (type_name);
    if (!gst_element_register (plugin, codecs[i].element, GST_RANK_PRIMARY + 1, type))
      return FALSE;
  }
  return TRUE;
}
