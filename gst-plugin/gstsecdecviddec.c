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
 *
 * Files: gstsecdecviddec-priv.h says which file owns what (codec table, libavcodec path,
 * element).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstsecdecviddec-priv.h"
#include "gstsecdecprops.h"

#include <string.h>
#include <libavutil/pixdesc.h>
#include <libavutil/log.h>
#include <stdarg.h>

G_STATIC_ASSERT (SECDEC_PROTECTED_BUFFER_PADDING >= AV_INPUT_BUFFER_PADDING_SIZE);

GST_DEBUG_CATEGORY (gst_secdec_viddec_debug);
#define GST_CAT_DEFAULT gst_secdec_viddec_debug

#define DEFAULT_MAX_THREADS 0
#define DEFAULT_BACKEND GST_SECDEC_BACKEND_AUTO

enum
{
  PROP_0,
  PROP_MAX_THREADS,
  PROP_BACKEND,
};

static GstElementClass *parent_class;

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

  gst_secdec_avcodec_close (self, TRUE);
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
  ret = gst_secdec_avcodec_send_packet (self, NULL);
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
  if (!gst_secdec_avcodec_open (self, NULL))
    return FALSE;
  gst_secdec_avcodec_update_latency (self);
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
    if (!gst_secdec_avcodec_open (self, meta)) {
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
  pkt->buf = av_buffer_create ((uint8_t *) data, size, gst_secdec_avcodec_release_memory, gst_memory_ref (mem),
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
  /* VA-API: one thread, so libavcodec renders this packet's pictures inside gst_secdec_avcodec_send_packet()
   * (avcodec_send_packet, or avcodec_receive_frame for a packet queued behind an output
   * frame — gst_secdec_avcodec_send_packet() takes every ready frame) while the sample is registered */
  ret = gst_secdec_avcodec_send_packet (self, pkt);
  av_packet_free (&pkt);
#ifdef HAVE_SECDEC_VAAPI
  if (self->va) {
    SecdecVaapiDecodeDisplay *dd = gst_secdec_va_get_decode_display (self->va_ctx);
    gchar err[256];

    secdec_vaapi_decode_display_set_sample (dd, NULL, NULL, NULL, 0);
    if (ret == FLOW_SESSION_LOST)
      return gst_secdec_avcodec_va_recover (self);
    if (secdec_vaapi_decode_display_get_error (dd, err, sizeof err)) {
      /* a picture can also fail inside libavcodec without an error from gst_secdec_avcodec_send_packet() */
      if (gst_secdec_avcodec_va_session_lost (self))
        return gst_secdec_avcodec_va_recover (self);
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
      && gst_secdec_avcodec_va_context_query (GST_SECDEC_VIDDEC (dec), query))
    return TRUE;
#endif
  return GST_VIDEO_DECODER_CLASS (parent_class)->src_query (dec, query);
}

static gboolean
gst_secdec_viddec_sink_query (GstVideoDecoder * dec, GstQuery * query)
{
#ifdef HAVE_SECDEC_VAAPI
  if (GST_QUERY_TYPE (query) == GST_QUERY_CONTEXT
      && gst_secdec_avcodec_va_context_query (GST_SECDEC_VIDDEC (dec), query))
    return TRUE;
#endif
  return GST_VIDEO_DECODER_CLASS (parent_class)->sink_query (dec, query);
}

/* ---- GObject -------------------------------------------------------------------------------- */

/* name, nick, blurb; type, enum type, default, field; flags, secret */
static const GstSecdecProp props[] = {
  [PROP_MAX_THREADS - 1] = {"max-threads", "Maximum decode threads",
        "Maximum number of libavcodec decode threads (frame and slice threading); "
        "0 = one per CPU core, at most 16",
        GST_SECDEC_PROP_INT, NULL, DEFAULT_MAX_THREADS,
        G_STRUCT_OFFSET (GstSecdecVidDec, max_threads),
        G_PARAM_READWRITE | GST_PARAM_MUTABLE_READY, FALSE},
  [PROP_BACKEND - 1] = {"backend", "Backend",
        "Decode backend: auto (follows secdecrypt: VA-API when its device is a VA-API one), "
        "software (libavcodec from decrypted samples), or vaapi (require still-encrypted "
        "samples decoded with libavcodec's VA-API hwaccel, the TEE decrypting)",
        GST_SECDEC_PROP_ENUM, gst_secdec_backend_get_type, DEFAULT_BACKEND,
        G_STRUCT_OFFSET (GstSecdecVidDec, backend),
        G_PARAM_READWRITE | GST_PARAM_MUTABLE_READY, FALSE},
};

static void
gst_secdec_viddec_init (GTypeInstance * instance, gpointer g_class)
{
  GstSecdecVidDec *self = (GstSecdecVidDec *) instance;
  GstSecdecVidDecClass *klass = g_class;

  self->desc = klass->desc;
  gst_secdec_props_init (G_OBJECT (self), props, G_N_ELEMENTS (props));
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

  gobject_class->set_property = gst_secdec_props_set_property;
  gobject_class->get_property = gst_secdec_props_get_property;
  gst_secdec_props_install (gobject_class, props, G_N_ELEMENTS (props));

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
  for (i = 0; i < gst_secdec_n_codecs; i++) {
    GTypeInfo info = {
      sizeof (GstSecdecVidDecClass), NULL, NULL,
      gst_secdec_viddec_class_init, NULL, &gst_secdec_codecs[i],
      sizeof (GstSecdecVidDec), 0, gst_secdec_viddec_init, NULL
    };
    gchar *type_name;
    GType type;

    if (avcodec_find_decoder (gst_secdec_codecs[i].codec_id) == NULL) {
      GST_WARNING ("libavcodec has no %s decoder: %s not registered",
          avcodec_get_name (gst_secdec_codecs[i].codec_id), gst_secdec_codecs[i].element);
      continue;
    }
    type_name = g_strdup_printf ("GstSecdec%s", gst_secdec_codecs[i].element + strlen ("secdec"));
    type_name[9] = g_ascii_toupper (type_name[9]);
    type = g_type_from_name (type_name);
    if (type == 0)
      type = g_type_register_static (GST_TYPE_VIDEO_DECODER, type_name, &info, 0);
    g_free (type_name);
    if (!gst_element_register (plugin, gst_secdec_codecs[i].element, GST_RANK_PRIMARY + 1, type))
      return FALSE;
  }
  return TRUE;
}
