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
 * slice data in the driver). libavcodec decodes into the surfaces of a GstVaPool on a
 * GstVaDisplay wrapping that same VADisplay (gstsecdecva.c). Output: those very buffers as
 * video/x-raw(memory:VAMemory) when downstream accepts it (the va decoders' rule), else the
 * surfaces are read into system memory - which fails with a clear error when the driver does
 * not let protected surfaces out. The display is shared with downstream va elements through
 * the gst.va.display.handle context (context queries, GST_MESSAGE_HAVE_CONTEXT).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstsecdecviddec.h"
#include "gstsecdecmemory.h"
#include "gstsecdeccontext.h"
#ifdef HAVE_SECDEC_VAAPI
#include "gstsecdecva.h"
#endif

#include <string.h>
#include <gst/video/video.h>
#include <libavcodec/avcodec.h>
#include <libavutil/pixdesc.h>
#include <libavutil/log.h>
#include <stdarg.h>

G_STATIC_ASSERT (SECDEC_PROTECTED_BUFFER_PADDING >= AV_INPUT_BUFFER_PADDING_SIZE);

GST_DEBUG_CATEGORY_STATIC (gst_secdec_viddec_debug);
#define GST_CAT_DEFAULT gst_secdec_viddec_debug

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

/* retire: the element stops, the VA device goes next (gst_secdec_va_retire) */
static void
close_codec_full (GstSecdecVidDec * self, gboolean retire)
{
  avcodec_free_context (&self->ctx);
#ifdef HAVE_SECDEC_VAAPI
  {
    GstVaDisplay *display;

    /* libavcodec's frames are gone with the codec; buffers still downstream keep the
     * display (and the decode display it wraps) alive through their allocator */
    if (retire)
      g_clear_pointer (&self->va_ctx, gst_secdec_va_retire);
    else
      g_clear_pointer (&self->va_ctx, gst_secdec_va_free);
    GST_OBJECT_LOCK (self);
    display = self->va_display;
    self->va_display = NULL;
    GST_OBJECT_UNLOCK (self);
    gst_clear_object (&display);
    self->va_output = FALSE;
    g_clear_pointer (&self->va_fail, g_free);
  }
#endif
  self->va = FALSE;
  self->out_pix_fmt = AV_PIX_FMT_NONE;
  self->out_width = self->out_height = 0;
}

static void
close_codec (GstSecdecVidDec * self)
{
  close_codec_full (self, FALSE);
}

#ifdef HAVE_SECDEC_VAAPI
static void
va_set_fail (GstSecdecVidDec * self, gchar * why)
{
  g_free (self->va_fail);
  self->va_fail = why;
}

/* libavcodec found the stream's parameters: decode into surfaces of our GstVaPool */
static enum AVPixelFormat
va_get_format (AVCodecContext * ctx, const enum AVPixelFormat *fmts)
{
  GstSecdecVidDec *self = ctx->opaque;
  const enum AVPixelFormat *p;
  gchar *error = NULL;

  for (p = fmts; *p != AV_PIX_FMT_NONE; p++)
    if (*p == AV_PIX_FMT_VAAPI)
      break;
  if (*p != AV_PIX_FMT_VAAPI) {
    va_set_fail (self, g_strdup ("the VA-API hwaccel cannot decode this stream (profile or "
            "format not supported by the device)"));
    return AV_PIX_FMT_NONE;
  }
  if (!gst_secdec_va_setup_frames (self->va_ctx, ctx, &error)) {
    va_set_fail (self, error);
    return AV_PIX_FMT_NONE;
  }
  va_set_fail (self, NULL);
  return AV_PIX_FMT_VAAPI;
}

/* The VA display and libavcodec's device context for meta's device. */
static gboolean
va_open_device (GstSecdecVidDec * self, const GstSecdecSampleMeta * meta)
{
  gchar *error = NULL;

  self->va_ctx = gst_secdec_va_new (meta->device, meta->session, &error);
  if (self->va_ctx == NULL) {
    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ_WRITE,
        ("Cannot create the protected VA-API display"), ("%s", error));
    g_free (error);
    return FALSE;
  }
  return TRUE;
}

/* Context queries (either pad) for gst.va.display.handle get the display we decode on. */
static gboolean
va_context_query (GstSecdecVidDec * self, GstQuery * query)
{
  GstVaDisplay *display;
  gboolean ret;

  GST_OBJECT_LOCK (self);
  display = self->va_display ? gst_object_ref (self->va_display) : NULL;
  GST_OBJECT_UNLOCK (self);
  ret = gst_va_handle_context_query (GST_ELEMENT (self), query, display);
  gst_clear_object (&display);
  return ret;
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
     * registered with the display. Frames are surfaces of our GstVaPool. */
    self->ctx->thread_count = 1;
    self->ctx->opaque = self;
    self->ctx->get_format = va_get_format;
    self->ctx->get_buffer2 = gst_secdec_va_get_buffer2;
    self->ctx->hw_device_ctx = gst_secdec_va_ref_device (self->va_ctx);
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
#ifdef HAVE_SECDEC_VAAPI
  if (self->va) {
    GstVaDisplay *display = gst_secdec_va_get_display (self->va_ctx);

    GST_OBJECT_LOCK (self);
    gst_object_replace ((GstObject **) & self->va_display, GST_OBJECT (display));
    GST_OBJECT_UNLOCK (self);
    /* like the va elements: downstream va elements (vapostproc, vah264enc, ...) that ask
     * later, and the pipeline, learn the display the surfaces live on */
    gst_va_element_propagate_display_context (GST_ELEMENT (self), display);
  }
#endif
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

/* @fmt: the format of a hardware frame's surfaces; GST_VIDEO_FORMAT_UNKNOWN: from f->format */
static gboolean
ensure_output_state (GstSecdecVidDec * self, const AVFrame * f, GstVideoFormat fmt)
{
  GstVideoDecoder *dec = GST_VIDEO_DECODER (self);
  GstVideoCodecState *state;
  gint par_n = f->sample_aspect_ratio.num, par_d = f->sample_aspect_ratio.den;
  GstVideoColorimetry *c;
  gboolean pool_changed = FALSE;

  if (par_n <= 0 || par_d <= 0) {
    par_n = self->input_state->info.par_n;
    par_d = self->input_state->info.par_d;
  }
#ifdef HAVE_SECDEC_VAAPI
  /* new surfaces (format or size): decide_allocation must see the new pool */
  if (self->va_ctx)
    pool_changed = gst_secdec_va_take_pool_changed (self->va_ctx);
#endif
  if (!pool_changed && f->format == self->out_pix_fmt && f->width == self->out_width
      && f->height == self->out_height && par_n == self->out_par_n
      && par_d == self->out_par_d && gst_pad_has_current_caps (dec->srcpad))
    return TRUE;

  if (fmt == GST_VIDEO_FORMAT_UNKNOWN)
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

#ifdef HAVE_SECDEC_VAAPI
/* One VAAPI frame out: the buffer libavcodec decoded into (memory:VAMemory), or its surface read
 * into a system-memory buffer. Consumes @out. */
static GstFlowReturn
output_va_frame (GstSecdecVidDec * self, GstVideoCodecFrame * out, AVFrame * f)
{
  GstVideoDecoder *dec = GST_VIDEO_DECODER (self);
  GstBuffer *vabuf = gst_secdec_va_frame_buffer (f);
  GstVideoFormat fmt = gst_secdec_va_frame_format (f);
  gboolean corrupt = (f->flags & AV_FRAME_FLAG_CORRUPT) != 0;
  GstVideoCodecState *state;
  GstSecdecVaReadResult rr;
  GstVideoFrame vf;
  gchar *detail = NULL;
  GstFlowReturn ret;

  if (vabuf == NULL || fmt == GST_VIDEO_FORMAT_UNKNOWN) {
    gst_video_decoder_release_frame (dec, out);
    GST_ELEMENT_ERROR (self, STREAM, DECODE, ("VA-API protected decode failed: libavcodec "
            "output a frame that is not one of the decoder's surfaces"), (NULL));
    return GST_FLOW_ERROR;
  }
  if (!ensure_output_state (self, f, fmt)) {
    gst_video_decoder_release_frame (dec, out);
    return GST_FLOW_NOT_NEGOTIATED;
  }
  /* downstream asked to renegotiate: choose VAMemory or system memory before this frame is
   * made (GstVideoDecoder would otherwise renegotiate in finish_frame, after the choice) */
  if (gst_pad_check_reconfigure (dec->srcpad) && !gst_video_decoder_negotiate (dec)) {
    gst_pad_mark_reconfigure (dec->srcpad);
    gst_video_decoder_release_frame (dec, out);
    return GST_PAD_IS_FLUSHING (dec->srcpad) ? GST_FLOW_FLUSHING : GST_FLOW_NOT_NEGOTIATED;
  }
  if (gst_video_decoder_get_max_decode_time (dec, out) < 0) {
    GST_LOG_OBJECT (self, "dropping late frame %u", out->system_frame_number);
    return gst_video_decoder_drop_frame (dec, out);
  }

  if (!self->va_output) {
    ret = gst_video_decoder_allocate_output_frame (dec, out);
    if (ret != GST_FLOW_OK) {
      gst_video_decoder_release_frame (dec, out);
      return ret;
    }
  }
  /* (a reconfigure that came meanwhile may have been handled by the allocation) */
  if (self->va_output) {
    /* zero copy: the very surface libavcodec decoded into. libavcodec keeps its own
     * reference while the picture is a reference; the GstBuffer returns to the GstVaPool
     * when the last of libavcodec and downstream lets go. */
    GST_LOG_OBJECT (self, "frame %u pts %" G_GUINT64_FORMAT ": libavcodec surface %#x "
        "pushed as memory:VAMemory (buffer %p)", out->system_frame_number, out->pts,
        (guint) (uintptr_t) f->data[3], vabuf);
    gst_buffer_replace (&out->output_buffer, vabuf);
    av_frame_unref (f);
    if (corrupt) {
      /* not on the pool's buffer while libavcodec shares it */
      out->output_buffer = gst_buffer_make_writable (out->output_buffer);
      GST_BUFFER_FLAG_SET (out->output_buffer, GST_BUFFER_FLAG_CORRUPTED);
    }
    return gst_video_decoder_finish_frame (dec, out);
  }

  /* system memory: only where the driver lets the decoded picture out */
  state = gst_video_decoder_get_output_state (dec);
  if (state == NULL || !gst_video_frame_map (&vf, &state->info, out->output_buffer,
          GST_MAP_WRITE)) {
    g_clear_pointer (&state, gst_video_codec_state_unref);
    gst_video_decoder_release_frame (dec, out);
    GST_ELEMENT_ERROR (self, RESOURCE, WRITE, ("Cannot write the output frame"), (NULL));
    return GST_FLOW_ERROR;
  }
  rr = gst_secdec_va_download (self->va_ctx, f, &vf, &detail);
  gst_video_frame_unmap (&vf);
  gst_video_codec_state_unref (state);
  switch (rr) {
    case GST_SECDEC_VA_READ_OK:
      break;
    case GST_SECDEC_VA_READ_FORBIDDEN:
      gst_video_decoder_release_frame (dec, out);
      GST_ELEMENT_ERROR (self, RESOURCE, READ, ("The VA driver does not allow reading the "
              "decoded protected surfaces into system memory: downstream must accept "
              "video/x-raw(memory:VAMemory)"), ("%s", detail));
      g_free (detail);
      return GST_FLOW_ERROR;
    case GST_SECDEC_VA_READ_FAILED:
    default:
      gst_video_decoder_release_frame (dec, out);
      GST_ELEMENT_ERROR (self, STREAM, DECODE, ("Cannot read a decoded VA-API frame"),
          ("%s", detail));
      g_free (detail);
      return GST_FLOW_ERROR;
  }
  if (corrupt)
    GST_BUFFER_FLAG_SET (out->output_buffer, GST_BUFFER_FLAG_CORRUPTED);
  return gst_video_decoder_finish_frame (dec, out);
}
#endif

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
      ret = output_va_frame (self, out, self->frame);
      av_frame_unref (self->frame);
      continue;
    }
#endif
    if (!ensure_output_state (self, f, GST_VIDEO_FORMAT_UNKNOWN)) {
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
  }
  return ret;
}

static void
release_memory (void *opaque, uint8_t * data)
{
  gst_memory_unref (GST_MEMORY_CAST (opaque));
}

#ifdef HAVE_SECDEC_VAAPI
/* Whether the failed picture's session is one the TEE lost (CheckCryptoSessionStatus). */
static gboolean
va_session_lost (GstSecdecVidDec * self)
{
  SecdecCryptoSessionStatus status = SECDEC_SESSION_STATUS_OK;

  return self->cur_session != NULL
      && secdec_check_crypto_session_status (self->cur_device, self->cur_session,
      &status) == SECDEC_OK && status != SECDEC_SESSION_STATUS_OK;
}

/* Direct3D's KEY_LOST recovery, decoder side: ask secdecrypt (upstream event) for a new
 * session, forget libavcodec's references (decoded with the lost keys' pictures) and every
 * pending frame, and drop input until a keyframe comes with another session. */
static GstFlowReturn
va_recover (GstSecdecVidDec * self)
{
  GstVideoDecoder *dec = GST_VIDEO_DECODER (self);
  GList *frames, *l;
  gchar err[256];
  guint n = 0;

  secdec_vaapi_decode_display_get_error (gst_secdec_va_get_decode_display (self->va_ctx),
      err, sizeof err);
  GST_WARNING_OBJECT (self, "the TEE lost protected session %p: recovering", self->cur_session);
  self->lost_session = self->cur_session;
  self->wait_keyframe = TRUE;
  gst_pad_push_event (GST_VIDEO_DECODER_SINK_PAD (dec),
      gst_event_new_custom (GST_EVENT_CUSTOM_UPSTREAM,
          gst_structure_new ("secdec-session-lost", "session", G_TYPE_POINTER,
              self->cur_session, NULL)));
  avcodec_flush_buffers (self->ctx);
  frames = gst_video_decoder_get_frames (dec);
  for (l = frames; l; l = l->next, n++)
    gst_video_decoder_drop_frame (dec, l->data);
  g_list_free (frames);
  self->n_lost_dropped = n;
  return GST_FLOW_OK;
}
#endif

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
     * the wrapped display's reason when it has one — unless the TEE lost the session */
    gchar err[256];
    const gchar *why = NULL;

#ifdef HAVE_SECDEC_VAAPI
    if (va_session_lost (self))
      return FLOW_SESSION_LOST;
    why = secdec_vaapi_decode_display_get_error (gst_secdec_va_get_decode_display
        (self->va_ctx), err, sizeof err);
    if (why == NULL && self->va_fail)
      why = self->va_fail;
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

  close_codec_full (self, TRUE);
  av_frame_free (&self->frame);
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

#ifdef HAVE_SECDEC_VAAPI
  if (self->va && self->wait_keyframe) {
    if (!GST_VIDEO_CODEC_FRAME_IS_SYNC_POINT (frame)
        || (meta->encrypted && meta->session == self->lost_session)) {
      self->n_lost_dropped++;
      return gst_video_decoder_drop_frame (dec, frame);
    }
    self->wait_keyframe = FALSE;
    GST_ELEMENT_WARNING (self, STREAM, DECODE,
        ("The protected session was lost and replaced: %u frames dropped up to this keyframe",
            self->n_lost_dropped),
        ("the TEE answered KEY_LOST (reset, power event); secdecrypt negotiated a new session "
            "and decoding resumes at the keyframe at %" GST_TIME_FORMAT,
            GST_TIME_ARGS (frame->pts)));
  }
  self->cur_device = meta && meta->encrypted ? meta->device : NULL;
  self->cur_session = meta && meta->encrypted ? meta->session : NULL;
#endif
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
    SecdecStatus st =
        secdec_vaapi_decode_display_set_sample (gst_secdec_va_get_decode_display
        (self->va_ctx), meta->session, meta->encrypted ? &meta->info : NULL, data, size);

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
    SecdecVaapiDecodeDisplay *dd = gst_secdec_va_get_decode_display (self->va_ctx);
    gchar err[256];

    secdec_vaapi_decode_display_set_sample (dd, NULL, NULL, NULL, 0);
    if (ret == FLOW_SESSION_LOST)
      return va_recover (self);
    if (secdec_vaapi_decode_display_get_error (dd, err, sizeof err)) {
      /* a picture can also fail inside libavcodec without an error from send_packet() */
      if (va_session_lost (self))
        return va_recover (self);
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

#ifdef HAVE_SECDEC_VAAPI
/* Does downstream take @info as memory:VAMemory? The va decoders' rule: a downstream that
 * names the feature; one with ANY caps only when it handles GstVideoMeta (it must map the
 * surfaces with the pool's strides). */
static gboolean
va_downstream_accepts (GstSecdecVidDec * self, const GstVideoInfo * info)
{
  GstPad *srcpad = GST_VIDEO_DECODER_SRC_PAD (self);
  GstCaps *va_caps = gst_video_info_to_caps (info);
  GstCaps *peer;
  gboolean ret = FALSE;
  guint i;

  gst_caps_set_features_simple (va_caps,
      gst_caps_features_new (GST_CAPS_FEATURE_MEMORY_VA, NULL));
  peer = gst_pad_peer_query_caps (srcpad, NULL);
  if (peer == NULL) {
    ret = FALSE;
  } else if (gst_caps_is_any (peer)) {
    GstQuery *query = gst_query_new_allocation (va_caps, FALSE);

    ret = gst_pad_peer_query (srcpad, query)
        && gst_query_find_allocation_meta (query, GST_VIDEO_META_API_TYPE, NULL);
    gst_query_unref (query);
  } else {
    for (i = 0; i < gst_caps_get_size (peer) && !ret; i++) {
      GstCapsFeatures *features = gst_caps_get_features (peer, i);
      GstCaps *one;

      if (features == NULL || gst_caps_features_is_any (features)
          || !gst_caps_features_contains (features, GST_CAPS_FEATURE_MEMORY_VA))
        continue;
      one = gst_caps_new_full (gst_structure_copy (gst_caps_get_structure (peer, i)), NULL);
      gst_caps_set_features_simple (one, gst_caps_features_copy (features));
      ret = gst_caps_can_intersect (one, va_caps);
      gst_caps_unref (one);
    }
  }
  GST_DEBUG_OBJECT (self, "downstream %s %" GST_PTR_FORMAT, ret ? "accepts" : "refuses",
      va_caps);
  gst_clear_caps (&peer);
  gst_caps_unref (va_caps);
  return ret;
}
#endif

static gboolean
gst_secdec_viddec_negotiate (GstVideoDecoder * dec)
{
#ifdef HAVE_SECDEC_VAAPI
  GstSecdecVidDec *self = GST_SECDEC_VIDDEC (dec);
  GstVideoCodecState *state = gst_video_decoder_get_output_state (dec);

  /* VA-API: the same format and size either as the surfaces themselves or read into system
   * memory; decided again at every negotiation (downstream may change) */
  if (state && self->va && self->va_ctx) {
    gboolean va = va_downstream_accepts (self, &state->info);
    GstCaps *caps = gst_video_info_to_caps (&state->info);

    if (va)
      gst_caps_set_features_simple (caps,
          gst_caps_features_new (GST_CAPS_FEATURE_MEMORY_VA, NULL));
    gst_caps_replace (&state->caps, caps);
    gst_caps_replace (&state->allocation_caps, caps);
    gst_caps_unref (caps);
    if (va != self->va_output)
      GST_INFO_OBJECT (self, "output: %s", va ? "memory:VAMemory (the decoded surfaces)" :
          "system memory (surfaces read back)");
    self->va_output = va;
  }
  g_clear_pointer (&state, gst_video_codec_state_unref);
#endif
  return GST_VIDEO_DECODER_CLASS (parent_class)->negotiate (dec);
}

static gboolean
gst_secdec_viddec_decide_allocation (GstVideoDecoder * dec, GstQuery * query)
{
#ifdef HAVE_SECDEC_VAAPI
  GstSecdecVidDec *self = GST_SECDEC_VIDDEC (dec);
  GstBufferPool *pool = self->va_ctx ? gst_secdec_va_get_pool (self->va_ctx) : NULL;

  if (self->va_output && pool) {
    /* the buffers pushed are those libavcodec decodes into: our pool, whatever downstream
     * offers (its surfaces would be on another display, or need a copy) */
    GstStructure *config = gst_buffer_pool_get_config (pool);
    guint size = 0, min = 0, max = 0;

    gst_buffer_pool_config_get_params (config, NULL, &size, &min, &max);
    gst_structure_free (config);
    if (gst_query_get_n_allocation_pools (query) > 0)
      gst_query_set_nth_allocation_pool (query, 0, pool, size, min, max);
    else
      gst_query_add_allocation_pool (query, pool, size, min, max);
    return TRUE;
  }
#endif
  return GST_VIDEO_DECODER_CLASS (parent_class)->decide_allocation (dec, query);
}

static gboolean
gst_secdec_viddec_src_query (GstVideoDecoder * dec, GstQuery * query)
{
#ifdef HAVE_SECDEC_VAAPI
  if (GST_QUERY_TYPE (query) == GST_QUERY_CONTEXT
      && va_context_query (GST_SECDEC_VIDDEC (dec), query))
    return TRUE;
#endif
  return GST_VIDEO_DECODER_CLASS (parent_class)->src_query (dec, query);
}

static gboolean
gst_secdec_viddec_sink_query (GstVideoDecoder * dec, GstQuery * query)
{
#ifdef HAVE_SECDEC_VAAPI
  if (GST_QUERY_TYPE (query) == GST_QUERY_CONTEXT
      && va_context_query (GST_SECDEC_VIDDEC (dec), query))
    return TRUE;
#endif
  return GST_VIDEO_DECODER_CLASS (parent_class)->sink_query (dec, query);
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
#ifdef HAVE_SECDEC_VAAPI
  /* H.264 and HEVC decode through VA-API too: their surfaces first (preferred when
   * downstream takes them) */
  if (desc->codec_id == AV_CODEC_ID_H264 || desc->codec_id == AV_CODEC_ID_HEVC)
    caps = gst_caps_from_string (VA_SRC_CAPS "; " SRC_CAPS);
  else
#endif
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
  vd_class->negotiate = GST_DEBUG_FUNCPTR (gst_secdec_viddec_negotiate);
  vd_class->decide_allocation = GST_DEBUG_FUNCPTR (gst_secdec_viddec_decide_allocation);
  vd_class->src_query = GST_DEBUG_FUNCPTR (gst_secdec_viddec_src_query);
  vd_class->sink_query = GST_DEBUG_FUNCPTR (gst_secdec_viddec_sink_query);
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
