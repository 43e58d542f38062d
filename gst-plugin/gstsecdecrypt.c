/*
 * gstsecdecrypt.c - secdecrypt: decrypts CENC (qtdemux) and WebM (matroskademux) samples into
 * libsecdec protected memory.
 *
 * This file owns the element itself: caps (templates, transform_caps, set_caps), the transform
 * entry point, events, queries, start/stop, the GstContext hooks, the properties and
 * class_init. The rest of secdecrypt: gstsecdecrypt-priv.h (instance struct),
 * gstsecdecmeta.c, gstsecdeckeysource.c, gstsecdecsession.c, gstsecdecsignals.c.
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:element-secdecrypt
 *
 * Decrypts the samples of a Common Encryption ('cenc', 'cbcs') or WebM encrypted video stream
 * into libsecdec protected buffers. Output buffers hold one non-mappable GstMemory with the
 * caps feature "memory:SecDecProtected"; only the secdec decoders (secdech264dec,
 * secdech265dec, secdecvp9dec) can read them.
 *
 * Where keys come from, in this order, whenever a sample names a KID that has no key yet
 * (key rotation included):
 *  1. a device and crypto session shared by the application through a GstContext of type
 *     "secdec.session" (see gstsecdeccontext.h),
 *  2. the license store of the device ($SECDEC_HOME/licenses, see secdec-license install),
 *  3. the "license" property,
 *  4. the "keys" property (testing only),
 *  5. the application: the element posts an element message "secdec-key-needed" (field
 *     "kid", hex string), emits "key-needed" and waits "key-timeout" ms for the application
 *     to drive the key exchange through the action signals "get-certificate",
 *     "negotiate-key-exchange" and "add-content-key", then fails naming the KID.
 *
 * |[
 * gst-launch-1.0 filesrc location=enc.mp4 ! qtdemux ! secdecrypt ! secdech264dec ! \
 *     videoconvert ! autovideosink
 * gst-launch-1.0 playbin uri=file:///path/enc.mp4      # license installed in the store
 * ]|
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstsecdecrypt-priv.h"
#include "gstsecdecmemory.h"
#include "gstsecdeckeys.h"
#include "gstsecdecprops.h"

#include <string.h>

GST_DEBUG_CATEGORY (gst_secdecrypt_debug);
#define GST_CAT_DEFAULT gst_secdecrypt_debug

#define CENC_TYPES "original-media-type=(string){ video/x-h264, video/x-h265 }"
/* one structure per system: gst_protection_select_system() reads protection-system as a
 * string, not a list */
#define CENC_SYSTEM(id) "application/x-cenc, " CENC_TYPES ", protection-system=(string)" id "; "
#define SINK_CAPS \
  CENC_SYSTEM (SECDEC_SYSTEM_ID) CENC_SYSTEM (COMMON_SYSTEM_ID) \
  CENC_SYSTEM (WIDEVINE_SYSTEM_ID) CENC_SYSTEM (PLAYREADY_SYSTEM_ID) \
  CENC_SYSTEM (FAIRPLAY_SYSTEM_ID) CENC_SYSTEM (CLEARKEY_DASHIF_SYSTEM_ID) \
  "application/x-cenc, " CENC_TYPES "; " \
  "application/x-webm-enc, original-media-type=(string){ video/x-vp8, video/x-vp9 }"

#define SRC_CAPS \
  "video/x-h264(" GST_CAPS_FEATURE_MEMORY_SECDEC_PROTECTED "); " \
  "video/x-h265(" GST_CAPS_FEATURE_MEMORY_SECDEC_PROTECTED "); " \
  "video/x-vp8(" GST_CAPS_FEATURE_MEMORY_SECDEC_PROTECTED "); " \
  "video/x-vp9(" GST_CAPS_FEATURE_MEMORY_SECDEC_PROTECTED ")"

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS (SINK_CAPS));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS (SRC_CAPS));

#define DEFAULT_KEY_TIMEOUT 5000

enum
{
  PROP_0,
  PROP_LICENSE,
  PROP_KEYS,
  PROP_KEY_TIMEOUT,
  PROP_BACKEND,
  PROP_HOME,
  PROP_PROTECTION_EVENTS,
  PROP_DECRYPTED_SAMPLES,
  PROP_CLEAR_SAMPLES,
  PROP_DROPPED_SAMPLES,
};

/* name, nick, blurb; type, enum/boxed type, default, field; flags, secret */
static const GstSecdecProp props[] = {
  [PROP_LICENSE - 1] = {"license", "License file",
        "A secdec license file (from 'secdec-license issue') to load when a sample's KID "
        "has no key from the shared session or the license store",
        GST_SECDEC_PROP_STRING, NULL, 0, G_STRUCT_OFFSET (GstSecdecrypt, license_path),
        G_PARAM_READWRITE | GST_PARAM_MUTABLE_PLAYING, FALSE},
  [PROP_KEYS - 1] = {"keys", "Clear content keys (testing only)",
        "FOR TESTING ONLY: clear content keys as \"KID:KEY[,KID:KEY...]\" (32 hex digits "
        "each) or the path of a W3C Clear Key JWK set file. They are issued as a license "
        "to this device in-process and loaded through the key exchange. Write-only",
        GST_SECDEC_PROP_STRING, NULL, 0, G_STRUCT_OFFSET (GstSecdecrypt, keys_spec),
        G_PARAM_WRITABLE | GST_PARAM_MUTABLE_PLAYING, TRUE},
  [PROP_KEY_TIMEOUT - 1] = {"key-timeout", "Key timeout",
        "How long to wait (ms) for the application to provide a missing key after "
        "\"key-needed\" before failing; flushing and state changes end the wait",
        GST_SECDEC_PROP_UINT, NULL, DEFAULT_KEY_TIMEOUT,
        G_STRUCT_OFFSET (GstSecdecrypt, key_timeout),
        G_PARAM_READWRITE | GST_PARAM_MUTABLE_PLAYING, FALSE},
  [PROP_BACKEND - 1] = {"backend", "Backend",
        "secdec device backend for a device the element opens itself (not used with a "
        "shared secdec.session context)",
        GST_SECDEC_PROP_ENUM, gst_secdec_backend_get_type, GST_SECDEC_BACKEND_AUTO,
        G_STRUCT_OFFSET (GstSecdecrypt, backend),
        G_PARAM_READWRITE | GST_PARAM_MUTABLE_READY, FALSE},
  [PROP_HOME - 1] = {"home", "secdec home",
        "Directory of the device identity and license store for a device the element "
        "opens itself (NULL: $SECDEC_HOME, else $XDG_DATA_HOME/secdec)",
        GST_SECDEC_PROP_STRING, NULL, 0, G_STRUCT_OFFSET (GstSecdecrypt, home),
        G_PARAM_READWRITE | GST_PARAM_MUTABLE_READY, FALSE},
  [PROP_PROTECTION_EVENTS - 1] = {"protection-events", "Protection events",
        "The protection events received so far: a structure \"secdec-protection-events\" "
        "whose field \"events\" lists structures \"protection-event\" with system-id "
        "(string), origin (\"isobmff/moov\", \"isobmff/moof\", \"matroskademux\") and data "
        "(buffer: a whole pssh box, or a raw 16-byte KID from matroskademux)",
        GST_SECDEC_PROP_BOXED, gst_structure_get_type, 0,
        G_STRUCT_OFFSET (GstSecdecrypt, events),
        G_PARAM_READABLE, FALSE},
  [PROP_DECRYPTED_SAMPLES - 1] = {"decrypted-samples", "Decrypted samples",
        "Samples decrypted since the element started",
        GST_SECDEC_PROP_UINT64, NULL, 0, G_STRUCT_OFFSET (GstSecdecrypt, n_decrypted),
        G_PARAM_READABLE, FALSE},
  [PROP_CLEAR_SAMPLES - 1] = {"clear-samples", "Clear samples",
        "Clear samples (clear lead, unencrypted blocks) moved into protected memory since "
        "the element started",
        GST_SECDEC_PROP_UINT64, NULL, 0, G_STRUCT_OFFSET (GstSecdecrypt, n_clear),
        G_PARAM_READABLE, FALSE},
  [PROP_DROPPED_SAMPLES - 1] = {"dropped-samples", "Dropped samples",
        "Samples of an encrypted track dropped because they arrived without encryption "
        "info that secdecrypt could resolve (and the samples after them up to the next "
        "keyframe), since the element started; each run is also posted as a warning",
        GST_SECDEC_PROP_UINT64, NULL, 0, G_STRUCT_OFFSET (GstSecdecrypt, n_dropped),
        G_PARAM_READABLE, FALSE},
};

#define parent_class gst_secdecrypt_parent_class
G_DEFINE_TYPE (GstSecdecrypt, gst_secdecrypt, GST_TYPE_BASE_TRANSFORM);
GST_ELEMENT_REGISTER_DEFINE (secdecrypt, "secdecrypt", GST_RANK_PRIMARY, GST_TYPE_SECDECRYPT);

/* ---- GstBaseTransform ----------------------------------------------------------------------- */

static GstCaps *
gst_secdecrypt_transform_caps (GstBaseTransform * base, GstPadDirection direction,
    GstCaps * caps, GstCaps * filter)
{
  GstCaps *res = gst_caps_new_empty ();
  guint i, j;

  for (i = 0; i < gst_caps_get_size (caps); i++) {
    const GstStructure *s = gst_caps_get_structure (caps, i);
    const gchar *name = gst_structure_get_name (s);

    if (direction == GST_PAD_SINK) {
      const GValue *omt = gst_structure_get_value (s, "original-media-type");
      guint n;

      if (omt == NULL || (!gst_structure_has_name (s, "application/x-cenc")
              && !gst_structure_has_name (s, "application/x-webm-enc")))
        continue;
      n = GST_VALUE_HOLDS_LIST (omt) ? gst_value_list_get_size (omt) : 1;
      for (j = 0; j < n; j++) {
        const GValue *v = GST_VALUE_HOLDS_LIST (omt) ? gst_value_list_get_value (omt, j) : omt;
        GstStructure *t;

        if (!G_VALUE_HOLDS_STRING (v))
          continue;
        t = gst_structure_copy (s);
        gst_structure_set_name (t, g_value_get_string (v));
        gst_structure_remove_fields (t, "original-media-type", "protection-system",
            "cipher-mode", "encryption-algorithm", "encoding-scope", NULL);
        res = gst_caps_merge_structure_full (res, t,
            gst_caps_features_new (GST_CAPS_FEATURE_MEMORY_SECDEC_PROTECTED, NULL));
      }
    } else {
      gboolean cenc = !g_strcmp0 (name, "video/x-h264") || !g_strcmp0 (name, "video/x-h265");
      gboolean webm = !g_strcmp0 (name, "video/x-vp8") || !g_strcmp0 (name, "video/x-vp9");
      GstStructure *t;

      if (!cenc && !webm)
        continue;
      t = gst_structure_copy (s);
      gst_structure_set_name (t, cenc ? "application/x-cenc" : "application/x-webm-enc");
      gst_structure_set (t, "original-media-type", G_TYPE_STRING, name, NULL);
      res = gst_caps_merge_structure (res, t);
    }
  }
  if (filter) {
    GstCaps *tmp = gst_caps_intersect_full (filter, res, GST_CAPS_INTERSECT_FIRST);

    gst_caps_unref (res);
    res = tmp;
  }
  GST_DEBUG_OBJECT (base, "%s %" GST_PTR_FORMAT " -> %" GST_PTR_FORMAT,
      direction == GST_PAD_SINK ? "sink" : "src", caps, res);
  return res;
}

static gboolean
gst_secdecrypt_set_caps (GstBaseTransform * base, GstCaps * incaps, GstCaps * outcaps)
{
  GstSecdecrypt *self = GST_SECDECRYPT (base);
  const GstStructure *s = gst_caps_get_structure (incaps, 0);
  const gchar *omt = gst_structure_get_string (s, "original-media-type");

  self->is_webm = gst_structure_has_name (s, "application/x-webm-enc");
  self->caps_family = self->is_webm ? FAMILY_CTR :
      gst_secdecrypt_family_from_cipher_mode (gst_structure_get_string (s, "cipher-mode"),
      FAMILY_CTR);
  if (!g_strcmp0 (omt, "video/x-h264"))
    self->profile = &SECDEC_DECODER_PROFILE_H264_VLD_NOFGT;
  else if (!g_strcmp0 (omt, "video/x-h265"))
    self->profile = &SECDEC_DECODER_PROFILE_HEVC_VLD_MAIN;
  else if (!g_strcmp0 (omt, "video/x-vp9"))
    self->profile = &SECDEC_DECODER_PROFILE_VP9_VLD_PROFILE0;
  else
    self->profile = NULL;
  self->nal_length_size = 0;
  {
    const GValue *cd = gst_structure_get_value (s, "codec_data");
    GstMapInfo m;

    if (cd && GST_VALUE_HOLDS_BUFFER (cd)
        && gst_buffer_map (gst_value_get_buffer (cd), &m, GST_MAP_READ)) {
      /* avcC: lengthSizeMinusOne in byte 4; hvcC: in byte 21 */
      if (self->profile == &SECDEC_DECODER_PROFILE_H264_VLD_NOFGT && m.size >= 7
          && m.data[0] == 1)
        self->nal_length_size = (m.data[4] & 3) + 1;
      else if (self->profile == &SECDEC_DECODER_PROFILE_HEVC_VLD_MAIN && m.size >= 23
          && m.data[0] == 1)
        self->nal_length_size = (m.data[21] & 3) + 1;
      gst_buffer_unmap (gst_value_get_buffer (cd), &m);
    }
  }
  GST_INFO_OBJECT (self, "input %s, %s, NAL length size %u", omt,
      gst_secdecrypt_family_name (self->caps_family), self->nal_length_size);
  return TRUE;
}

static gboolean
gst_secdecrypt_decide_allocation (GstBaseTransform * base, GstQuery * query)
{
  /* Output memory comes from decryption only; no pool to set up. */
  return TRUE;
}

static GstFlowReturn
gst_secdecrypt_prepare_output_buffer (GstBaseTransform * base, GstBuffer * inbuf,
    GstBuffer ** outbuf)
{
  *outbuf = gst_buffer_new ();
  gst_buffer_copy_into (*outbuf, inbuf, GST_BUFFER_COPY_FLAGS | GST_BUFFER_COPY_TIMESTAMPS,
      0, -1);
  return GST_FLOW_OK;
}

GstFlowReturn
gst_secdecrypt_post_decrypt_error (GstSecdecrypt * self, SecdecStatus st, const guint8 * kid)
{
  gchar *why = gst_secdec_status_describe (st);
  gchar kidhex[33] = "-";

  if (kid)
    gst_secdec_kid_to_string (kid, kidhex);
  switch (st) {
    case SECDEC_E_BAD_SUBSAMPLES:
    case SECDEC_E_BAD_IV:
    case SECDEC_E_BAD_PATTERN:
    case SECDEC_E_BAD_SAMPLE:
    case SECDEC_E_UNSUPPORTEDCRYPTO:
      GST_ELEMENT_ERROR (self, STREAM, DECRYPT,
          ("Corrupt encryption metadata: %s", secdec_status_to_string (st)),
          ("KID %s: %s", kidhex, why));
      break;
    case SECDEC_E_NO_KEY:
      GST_ELEMENT_ERROR (self, STREAM, DECRYPT_NOKEY,
          ("No content key for KID %s", kidhex), ("%s", why));
      break;
    default:
      GST_ELEMENT_ERROR (self, STREAM, DECRYPT,
          ("Decryption failed: %s", secdec_status_to_string (st)), ("KID %s: %s", kidhex, why));
      break;
  }
  g_free (why);
  return GST_FLOW_ERROR;
}

static GstFlowReturn
gst_secdecrypt_transform (GstBaseTransform * base, GstBuffer * inbuf, GstBuffer * outbuf)
{
  GstSecdecrypt *self = GST_SECDECRYPT (base);
  GstProtectionMeta *meta = gst_buffer_get_protection_meta (inbuf);
  SecdecSampleInfo info;
  GArray *subs = g_array_new (FALSE, FALSE, sizeof (SecdecSubsample));
  gint family = self->caps_family;
  gboolean clear = TRUE;
  GstMapInfo map;
  const guint8 *data;
  gsize size;
  SecdecProtectedBuffer *pbuf = NULL;
  SecdecCryptoSession *sess = NULL;
  SecdecStatus st;
  GstFlowReturn ret = GST_FLOW_OK;
  int attempt;

  if (!gst_buffer_map (inbuf, &map, GST_MAP_READ)) {
    g_array_unref (subs);
    GST_ELEMENT_ERROR (self, STREAM, FAILED, ("Cannot read the input sample"), (NULL));
    return GST_FLOW_ERROR;
  }
  data = map.data;
  size = map.size;
  if (meta == NULL && self->is_webm && size > 0 && data[0] == 0x00) {
    /* matroskademux 1.22 leaves the signal byte (0x00: unencrypted) in front of clear
     * blocks of an encrypted track. A VP8/VP9 frame never starts with 0x00. */
    data++;
    size--;
  }
  if (meta) {
    const gchar *reason = NULL;

    if (!gst_secdecrypt_parse_meta (self, meta->info, size, &info, subs, &family, &clear,
            &reason)) {
      GST_ELEMENT_ERROR (self, STREAM, DECRYPT,
          ("Corrupt encryption metadata: %s", reason),
          ("GstProtectionMeta %" GST_PTR_FORMAT, meta->info));
      ret = GST_FLOW_ERROR;
      goto out;
    }
  }
  gst_secdecrypt_apply_rotation (self, inbuf, meta != NULL && !clear, &info);
  if (!self->is_webm) {
    ret = gst_secdecrypt_resolve_from_cache (self, inbuf, meta != NULL, size, &info, subs,
        &family, &clear);
    if (ret != GST_FLOW_OK)
      goto out;
  }
  if (size == 0) {
    GST_ELEMENT_ERROR (self, STREAM, DECRYPT, ("Empty sample"), (NULL));
    ret = GST_FLOW_ERROR;
    goto out;
  }

  ret = gst_secdecrypt_va_check (self, &info, clear, data, size);
  if (ret != GST_FLOW_OK)
    goto out;

  for (attempt = 0; attempt < 3; attempt++) {
    if (!clear) {
      ret = gst_secdecrypt_ensure_key (self, family, info.kid);
      if (ret != GST_FLOW_OK)
        goto out;
    }
    g_mutex_lock (&self->lock);
    st = gst_secdecrypt_get_session_locked (self, family, &sess);
    g_mutex_unlock (&self->lock);
    /* VA-API: the sample is copied still encrypted; the TEE decrypts it in the decoder */
    if (st == SECDEC_OK)
      st = secdec_decrypt_sample (self->device, sess, clear || self->va ? NULL : &info, data,
          size, &pbuf);
    if (st != SECDEC_E_NO_KEY)
      break;
    /* the key went away between the check and the decryption (removed/replaced): again */
  }
  if (st != SECDEC_OK) {
    ret = gst_secdecrypt_post_decrypt_error (self, st, clear ? NULL : info.kid);
    goto out;
  }
  gst_buffer_append_memory (outbuf, gst_secdec_memory_new (pbuf));
  if (self->va)
    gst_buffer_add_secdec_sample_meta (outbuf, self->device, sess, clear ? NULL : &info);
  GST_OBJECT_LOCK (self);
  if (clear)
    self->n_clear++;
  else
    self->n_decrypted++;
  GST_OBJECT_UNLOCK (self);
  if (GST_BUFFER_PTS_IS_VALID (inbuf)) {
    GstClockTime end = GST_BUFFER_PTS (inbuf) +
        (GST_BUFFER_DURATION_IS_VALID (inbuf) ? GST_BUFFER_DURATION (inbuf) : 0);

    if (!GST_CLOCK_TIME_IS_VALID (self->max_end) || end > self->max_end)
      self->max_end = end;
  }

out:
  gst_buffer_unmap (inbuf, &map);
  g_array_unref (subs);
  return ret;
}

/* A demuxer reaching the end of a truncated file usually just sends EOS (qtdemux 1.22 does
 * for fragmented MP4). When the container announced a duration and the samples ended well
 * before it, say so on the bus. A warning, not an error: the announced duration is that of
 * the whole file, and another track (audio) may legitimately run longer than this one. */
static void
warn_if_truncated (GstSecdecrypt * self)
{
  GstBaseTransform *base = GST_BASE_TRANSFORM (self);
  gint64 duration = -1;
  GstClockTime end, stop;

  if (!self->whole_stream || !GST_CLOCK_TIME_IS_VALID (self->max_end)
      || !gst_pad_peer_query_duration (base->sinkpad, GST_FORMAT_TIME, &duration)
      || duration <= 0)
    return;
  end = gst_segment_to_stream_time (&self->segment, GST_FORMAT_TIME, self->max_end);
  stop = gst_segment_to_stream_time (&self->segment, GST_FORMAT_TIME, self->segment.stop);
  /* a segment that stops before the end (a seek with a stop) is not a truncation */
  if (!GST_CLOCK_TIME_IS_VALID (end)
      || (GST_CLOCK_TIME_IS_VALID (stop) && stop < (GstClockTime) duration))
    return;
  if ((GstClockTime) duration > end + 200 * GST_MSECOND) {
    GST_ELEMENT_WARNING (self, STREAM, DEMUX,
        ("The stream ended at %" GST_TIME_FORMAT " of %" GST_TIME_FORMAT
            ": the file is probably truncated", GST_TIME_ARGS (end),
            GST_TIME_ARGS ((GstClockTime) duration)),
        ("EOS %" GST_TIME_FORMAT " before the duration the demuxer announced",
            GST_TIME_ARGS ((GstClockTime) duration - end)));
  }
}

static gboolean
gst_secdecrypt_sink_event (GstBaseTransform * base, GstEvent * event)
{
  GstSecdecrypt *self = GST_SECDECRYPT (base);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_PROTECTION:
      /* pssh boxes (qtdemux) or raw KIDs (matroskademux): exposed to the application
       * through "protection-event" / "protection-events", not passed downstream */
      gst_secdecrypt_record_protection_event (self, event);
      gst_event_unref (event);
      return TRUE;
    case GST_EVENT_FLUSH_START:
      g_mutex_lock (&self->lock);
      self->flushing = TRUE;
      g_cond_broadcast (&self->cond);
      g_mutex_unlock (&self->lock);
      break;
    case GST_EVENT_FLUSH_STOP:
      g_mutex_lock (&self->lock);
      self->flushing = FALSE;
      g_mutex_unlock (&self->lock);
      break;
    case GST_EVENT_SEGMENT:{
      const GstSegment *seg;

      gst_event_parse_segment (event, &seg);
      /* only a forward, unbounded play from the start can tell a short stream */
      self->whole_stream = seg->format == GST_FORMAT_TIME && seg->rate > 0 && seg->time == 0;
      gst_segment_copy_into (seg, &self->segment);
      self->max_end = GST_CLOCK_TIME_NONE;
      break;
    }
    case GST_EVENT_EOS:
      gst_secdecrypt_report_drops (self, "until the end of the stream");
      warn_if_truncated (self);
      break;
    case GST_EVENT_STREAM_START:
      /* a new stream (next period, gapless): its PTS values may repeat the old ones */
      gst_secdec_sample_cache_clear (self->seen);
      break;
    default:
      break;
  }
  return GST_BASE_TRANSFORM_CLASS (parent_class)->sink_event (base, event);
}

static gboolean
gst_secdecrypt_src_event (GstBaseTransform * base, GstEvent * event)
{
  GstSecdecrypt *self = GST_SECDECRYPT (base);

  if (GST_EVENT_TYPE (event) == GST_EVENT_CUSTOM_UPSTREAM &&
      gst_event_has_name (event, "secdec-session-lost")) {
    gboolean ret = gst_secdecrypt_handle_session_lost (self, gst_event_get_structure (event));

    gst_event_unref (event);
    return ret;
  }
  return GST_BASE_TRANSFORM_CLASS (parent_class)->src_event (base, event);
}

static gboolean
gst_secdecrypt_query (GstBaseTransform * base, GstPadDirection direction, GstQuery * query)
{
  GstSecdecrypt *self = GST_SECDECRYPT (base);

  if (GST_QUERY_TYPE (query) == GST_QUERY_CONTEXT) {
    gboolean ret = FALSE;

    /* Only an application's context is handed on: its lifetime is the application's. */
    g_mutex_lock (&self->lock);
    if (self->context) {
      gst_query_set_context (query, self->context);
      ret = TRUE;
    }
    g_mutex_unlock (&self->lock);
    if (ret)
      return TRUE;
  }
  return GST_BASE_TRANSFORM_CLASS (parent_class)->query (base, direction, query);
}

static gboolean
gst_secdecrypt_start (GstBaseTransform * base)
{
  GstSecdecrypt *self = GST_SECDECRYPT (base);
  SecdecStatus st;

  g_mutex_lock (&self->lock);
  self->flushing = FALSE;
  self->force_software = FALSE;
  st = gst_secdecrypt_open_device_locked (self);
  gst_secdecrypt_update_backend_locked (self);
  g_mutex_unlock (&self->lock);
  if (st != SECDEC_OK) {
    gchar *why = gst_secdec_status_describe (st);

    if (st == SECDEC_E_NOTAVAILABLE)
      GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
          ("The requested secdec backend is not available"),
          ("backend=%s: no VA-API device with protected content (or libsecdec-vaapi) "
              "was found (%s)",
              self->backend == GST_SECDEC_BACKEND_VAAPI ? "vaapi" : "auto", why));
    else
      GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ_WRITE,
          ("Cannot open the secdec device"), ("%s", why));
    g_free (why);
    return FALSE;
  }
  self->n_decrypted = self->n_clear = 0;
  GST_OBJECT_LOCK (self);
  self->n_dropped = 0;
  GST_OBJECT_UNLOCK (self);
  self->dropping = FALSE;
  self->drop_run = 0;
  gst_secdec_sample_cache_free (self->seen);
  self->seen = gst_secdec_sample_cache_new (GST_SECDEC_SAMPLE_CACHE_MAX);
  self->pending_kid_valid = self->fragment_kid_valid = FALSE;
  self->max_end = GST_CLOCK_TIME_NONE;
  self->whole_stream = FALSE;
  gst_segment_init (&self->segment, GST_FORMAT_TIME);
  return TRUE;
}

static gboolean
gst_secdecrypt_stop (GstBaseTransform * base)
{
  GstSecdecrypt *self = GST_SECDECRYPT (base);

  g_mutex_lock (&self->lock);
  gst_secdecrypt_close_all_locked (self);
  g_mutex_unlock (&self->lock);
  GST_OBJECT_LOCK (self);
  g_clear_pointer (&self->events, gst_structure_free);
  GST_OBJECT_UNLOCK (self);
  g_clear_pointer (&self->seen, gst_secdec_sample_cache_free);
  return TRUE;
}

/* ---- GstElement ------------------------------------------------------------------------------ */

static void
gst_secdecrypt_set_context (GstElement * element, GstContext * context)
{
  GstSecdecrypt *self = GST_SECDECRYPT (element);
  SecdecDevice *dev = NULL;
  SecdecCryptoSession *sess = NULL;

  if (gst_secdec_context_parse (context, &dev, &sess)) {
    g_mutex_lock (&self->lock);
    if (self->device && !self->device_shared) {
      GST_WARNING_OBJECT (self, "context arrived after the element opened its own device; "
          "it is used from the next start");
    }
    if (self->context) {
    gst_context_unref (self->context);
    self->context = NULL;
  }
    self->context = gst_context_ref (context);
    g_cond_broadcast (&self->cond);
    g_mutex_unlock (&self->lock);
    GST_INFO_OBJECT (self, "got a secdec.session context (device %p, session %p)", dev, sess);
  }
  GST_ELEMENT_CLASS (parent_class)->set_context (element, context);
}

static GstStateChangeReturn
gst_secdecrypt_change_state (GstElement * element, GstStateChange transition)
{
  GstSecdecrypt *self = GST_SECDECRYPT (element);

  switch (transition) {
    case GST_STATE_CHANGE_NULL_TO_READY:
      g_mutex_lock (&self->lock);
      if (self->context == NULL) {
        g_mutex_unlock (&self->lock);
        gst_secdec_context_find (element);
      } else {
        g_mutex_unlock (&self->lock);
      }
      break;
    case GST_STATE_CHANGE_PAUSED_TO_READY:
      /* stop waiting for a key before the streaming thread is joined */
      g_mutex_lock (&self->lock);
      self->flushing = TRUE;
      g_cond_broadcast (&self->cond);
      g_mutex_unlock (&self->lock);
      break;
    default:
      break;
  }
  return GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);
}

/* ---- GObject ------------------------------------------------------------------------------- */

static void
gst_secdecrypt_set_property (GObject * object, guint prop_id, const GValue * value,
    GParamSpec * pspec)
{
  GstSecdecrypt *self = GST_SECDECRYPT (object);

  gst_secdec_props_set_property (object, prop_id, value, pspec);
  if (prop_id == PROP_KEYS || prop_id == PROP_LICENSE) {
    /* a new key source: let a waiting stream look again */
    g_mutex_lock (&self->lock);
    if (prop_id == PROP_KEYS)
      self->keys_issued = FALSE;
    g_cond_broadcast (&self->cond);
    g_mutex_unlock (&self->lock);
  }
}

static void
gst_secdecrypt_finalize (GObject * object)
{
  GstSecdecrypt *self = GST_SECDECRYPT (object);

  gst_secdecrypt_close_all_locked (self);
  g_ptr_array_unref (self->licenses);
  g_ptr_array_unref (self->retired);
  if (self->app_keys)
    g_array_unref (self->app_keys);
  if (self->context) {
    gst_context_unref (self->context);
    self->context = NULL;
  }
  gst_secdec_props_finalize (object, props, G_N_ELEMENTS (props));
  g_free (self->last_key_source);
  g_clear_pointer (&self->events, gst_structure_free);
  g_clear_pointer (&self->seen, gst_secdec_sample_cache_free);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
free_license (gpointer p)
{
  SecdecLicense *lic = p;

  secdec_license_free (&lic);
}

static void
gst_secdecrypt_init (GstSecdecrypt * self)
{
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  gst_secdec_props_init (G_OBJECT (self), props, G_N_ELEMENTS (props));
  self->licenses = g_ptr_array_new_with_free_func (free_license);
  self->retired = g_ptr_array_new ();
  self->caps_family = FAMILY_CTR;
  self->refresh_family = -1;
  gst_base_transform_set_passthrough (GST_BASE_TRANSFORM (self), FALSE);
  gst_base_transform_set_in_place (GST_BASE_TRANSFORM (self), FALSE);
}

static void
gst_secdecrypt_class_init (GstSecdecryptClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *bt_class = GST_BASE_TRANSFORM_CLASS (klass);

  GST_DEBUG_CATEGORY_INIT (gst_secdecrypt_debug, "secdecrypt", 0, "secdec decryptor");
  gst_secdec_memory_init_once ();

  gobject_class->set_property = gst_secdecrypt_set_property;
  gobject_class->get_property = gst_secdec_props_get_property;
  gobject_class->finalize = gst_secdecrypt_finalize;

  gst_secdec_props_install (gobject_class, props, G_N_ELEMENTS (props));
  gst_secdecrypt_install_signals (klass);

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class,
      "secdec CENC decryptor", "Decryptor/Video",
      "Decrypts Common Encryption (cenc, cbcs) and WebM encrypted video into libsecdec "
      "protected memory (memory:SecDecProtected) for the secdec decoders",
      "secdec developers");

  element_class->set_context = GST_DEBUG_FUNCPTR (gst_secdecrypt_set_context);
  element_class->change_state = GST_DEBUG_FUNCPTR (gst_secdecrypt_change_state);

  bt_class->transform_caps = GST_DEBUG_FUNCPTR (gst_secdecrypt_transform_caps);
  bt_class->set_caps = GST_DEBUG_FUNCPTR (gst_secdecrypt_set_caps);
  bt_class->decide_allocation = GST_DEBUG_FUNCPTR (gst_secdecrypt_decide_allocation);
  bt_class->prepare_output_buffer = GST_DEBUG_FUNCPTR (gst_secdecrypt_prepare_output_buffer);
  bt_class->transform = GST_DEBUG_FUNCPTR (gst_secdecrypt_transform);
  bt_class->sink_event = GST_DEBUG_FUNCPTR (gst_secdecrypt_sink_event);
  bt_class->src_event = GST_DEBUG_FUNCPTR (gst_secdecrypt_src_event);
  bt_class->query = GST_DEBUG_FUNCPTR (gst_secdecrypt_query);
  bt_class->start = GST_DEBUG_FUNCPTR (gst_secdecrypt_start);
  bt_class->stop = GST_DEBUG_FUNCPTR (gst_secdecrypt_stop);
  bt_class->passthrough_on_same_caps = FALSE;
  bt_class->transform_ip_on_passthrough = FALSE;

  gst_type_mark_as_plugin_api (GST_TYPE_SECDEC_BACKEND, 0);
}
