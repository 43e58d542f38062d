/*
 * gstsecdecavcodec.c - the secdec video decoders' libavcodec path: opening and closing the
 * codec context (software, or libavcodec's VA-API hwaccel on libsecdec-vaapi's display),
 * packets straight from protected memory in, frames out (system memory or VA surfaces), and
 * the recovery when the TEE loses a protected session.
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstsecdecviddec-priv.h"

#include <string.h>
#include <libavutil/pixdesc.h>

#define GST_CAT_DEFAULT gst_secdec_viddec_debug

/* ---- libavcodec context ------------------------------------------------------------------ */

/* retire: the element stops, the VA device goes next (gst_secdec_va_retire) */
void
gst_secdec_avcodec_close (GstSecdecVidDec * self, gboolean retire)
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
  gst_secdec_avcodec_close (self, FALSE);
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
gboolean
gst_secdec_avcodec_va_context_query (GstSecdecVidDec * self, GstQuery * query)
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
gboolean
gst_secdec_avcodec_open (GstSecdecVidDec * self, const GstSecdecSampleMeta * meta)
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

void
gst_secdec_avcodec_update_latency (GstSecdecVidDec * self)
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
    fmt = gst_secdec_pix_fmt_to_gst (f->format);
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
  gst_secdec_avcodec_update_latency (self);
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

void
gst_secdec_avcodec_release_memory (void *opaque, uint8_t * data)
{
  gst_memory_unref (GST_MEMORY_CAST (opaque));
}

#ifdef HAVE_SECDEC_VAAPI
/* Whether the failed picture's session is one the TEE lost (CheckCryptoSessionStatus). */
gboolean
gst_secdec_avcodec_va_session_lost (GstSecdecVidDec * self)
{
  SecdecCryptoSessionStatus status = SECDEC_SESSION_STATUS_OK;

  return self->cur_session != NULL
      && secdec_check_crypto_session_status (self->cur_device, self->cur_session,
      &status) == SECDEC_OK && status != SECDEC_SESSION_STATUS_OK;
}

/* Direct3D's KEY_LOST recovery, decoder side: ask secdecrypt (upstream event) for a new
 * session, forget libavcodec's references (decoded with the lost keys' pictures) and every
 * pending frame, and drop input until a keyframe comes with another session. */
GstFlowReturn
gst_secdec_avcodec_va_recover (GstSecdecVidDec * self)
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

GstFlowReturn
gst_secdec_avcodec_send_packet (GstSecdecVidDec * self, AVPacket * pkt)
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
    if (gst_secdec_avcodec_va_session_lost (self))
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
