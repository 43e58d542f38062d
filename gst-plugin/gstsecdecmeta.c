/*
 * gstsecdecmeta.c - owns what secdecrypt reads about each sample's encryption: the
 * GstProtectionMeta of qtdemux/matroskademux (cipher mode, KID, IV, pattern, subsample map)
 * turned into a SecdecSampleInfo, the GST_EVENT_PROTECTION events (recorded, signalled), and
 * key rotation announced by the pssh boxes of each moof, and the samples qtdemux re-sends
 * without meta after a seek (resolved from the samples seen, gstsecdecsamplecache.h).
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstsecdecrypt-priv.h"

#include <string.h>

#define GST_CAT_DEFAULT gst_secdecrypt_debug


gint
gst_secdecrypt_family_from_cipher_mode (const gchar * mode, gint fallback)
{
  if (mode == NULL)
    return fallback;
  if (!g_ascii_strcasecmp (mode, "cbcs") || !g_ascii_strcasecmp (mode, "cbc1"))
    return FAMILY_CBC;
  return FAMILY_CTR;
}

/* Fills info from a GstProtectionMeta. Returns FALSE (with *reason) when the metadata is
 * malformed. *clear is set when the sample has no encrypted byte. */
gboolean
gst_secdecrypt_parse_meta (GstSecdecrypt * self, const GstStructure * s, gsize size,
    SecdecSampleInfo * info, GArray * subs, gint * family, gboolean * clear, const gchar ** reason)
{
  gboolean encrypted = TRUE;
  guint iv_size = 0, n_subs = 0, crypt = 0, skip = 0;
  const GValue *v;
  GstBuffer *b;
  GstMapInfo map;
  const gchar *mode = gst_structure_get_string (s, "cipher-mode");
  guint i;
  guint64 enc_total = 0;

  secdec_sample_info_default (info);
  *clear = FALSE;
  if (gst_structure_get_boolean (s, "encrypted", &encrypted) && !encrypted) {
    *clear = TRUE;
    return TRUE;
  }
  *family = gst_secdecrypt_family_from_cipher_mode (mode, self->caps_family);
  if (mode == NULL)
    info->scheme = self->caps_family == FAMILY_CBC ? SECDEC_SCHEME_CBCS : SECDEC_SCHEME_CENC;
  else if (!g_ascii_strcasecmp (mode, "cenc") || !g_ascii_strcasecmp (mode, "ctr"))
    info->scheme = SECDEC_SCHEME_CENC;
  else if (!g_ascii_strcasecmp (mode, "cbcs"))
    info->scheme = SECDEC_SCHEME_CBCS;
  else if (!g_ascii_strcasecmp (mode, "cens"))
    info->scheme = SECDEC_SCHEME_CENS;
  else if (!g_ascii_strcasecmp (mode, "cbc1"))
    info->scheme = SECDEC_SCHEME_CBC1;
  else {
    *reason = "unknown cipher-mode";
    return FALSE;
  }

  /* KID */
  v = gst_structure_get_value (s, "kid");
  if (v == NULL || !GST_VALUE_HOLDS_BUFFER (v) || !(b = gst_value_get_buffer (v))
      || gst_buffer_get_size (b) != SECDEC_KID_SIZE) {
    *reason = "missing or malformed kid";
    return FALSE;
  }
  gst_buffer_extract (b, 0, info->kid, SECDEC_KID_SIZE);

  /* IV */
  if (!gst_structure_get_uint (s, "iv_size", &iv_size) || (iv_size != 8 && iv_size != 16)) {
    *reason = "iv_size is not 8 or 16";
    return FALSE;
  }
  v = gst_structure_get_value (s, "iv");
  if (v == NULL || !GST_VALUE_HOLDS_BUFFER (v) || !(b = gst_value_get_buffer (v))
      || gst_buffer_get_size (b) != iv_size) {
    *reason = "iv missing or not iv_size bytes";
    return FALSE;
  }
  gst_buffer_extract (b, 0, info->iv, iv_size);
  info->iv_size = iv_size;

  /* pattern */
  if (gst_structure_get_uint (s, "crypt_byte_block", &crypt))
    info->crypt_byte_block = crypt;
  if (gst_structure_get_uint (s, "skip_byte_block", &skip))
    info->skip_byte_block = skip;

  /* subsamples: u16 BE clear + u32 BE encrypted, 6 bytes each */
  gst_structure_get_uint (s, "subsample_count", &n_subs);
  g_array_set_size (subs, 0);
  if (n_subs > 0) {
    v = gst_structure_get_value (s, "subsamples");
    if (v == NULL || !GST_VALUE_HOLDS_BUFFER (v) || !(b = gst_value_get_buffer (v))
        || gst_buffer_get_size (b) != (gsize) n_subs * 6) {
      *reason = "subsamples missing or not 6 bytes per subsample_count";
      return FALSE;
    }
    if (!gst_buffer_map (b, &map, GST_MAP_READ)) {
      *reason = "cannot read subsamples";
      return FALSE;
    }
    for (i = 0; i < n_subs; i++) {
      SecdecSubsample ss;

      const guint8 *e = map.data + 6 * i;

      /* byte by byte: GST_READ_UINT32_BE does unaligned loads on x86 (UBSan) */
      ss.clear_bytes = (guint32) e[0] << 8 | e[1];
      ss.encrypted_bytes = (guint32) e[2] << 24 | (guint32) e[3] << 16 | (guint32) e[4] << 8 | e[5];
      enc_total += ss.encrypted_bytes;
      g_array_append_val (subs, ss);
    }
    gst_buffer_unmap (b, &map);
    info->subsamples = (const SecdecSubsample *) subs->data;
    info->n_subsamples = n_subs;
    if (enc_total == 0) {
      /* A clear sample described as "encrypted" (clear lead in secdec-pack output): no key
       * is needed, but the map must still describe the sample. */
      guint64 total = 0;

      for (i = 0; i < n_subs; i++)
        total += g_array_index (subs, SecdecSubsample, i).clear_bytes;
      if (total != size) {
        *reason = "subsample map does not describe the sample";
        return FALSE;
      }
      *clear = TRUE;
    }
  }
  return TRUE;
}

/* Key rotation announced by moof pssh boxes: the KID switches at the fragment's first keyframe.
 * encrypted: the sample has a GstProtectionMeta and is not clear; its info->kid is then the
 * fragment's KID. */
void
gst_secdecrypt_apply_rotation (GstSecdecrypt * self, GstBuffer * inbuf, gboolean encrypted,
    SecdecSampleInfo * info)
{
  GST_OBJECT_LOCK (self);
  if (self->pending_kid_valid && !GST_BUFFER_FLAG_IS_SET (inbuf, GST_BUFFER_FLAG_DELTA_UNIT)) {
    memcpy (self->fragment_kid, self->pending_kid, SECDEC_KID_SIZE);
    self->fragment_kid_valid = TRUE;
    self->pending_kid_valid = FALSE;
  }
  if (encrypted && self->fragment_kid_valid && !self->is_webm)
    memcpy (info->kid, self->fragment_kid, SECDEC_KID_SIZE);
  GST_OBJECT_UNLOCK (self);
}

void
gst_secdecrypt_report_drops (GstSecdecrypt * self, const gchar * until)
{
  if (self->drop_run == 0)
    return;
  GST_ELEMENT_WARNING (self, STREAM, DECRYPT,
      ("Dropped %" G_GUINT64_FORMAT " encrypted samples that arrived without encryption info "
          "(%s)", self->drop_run, until),
      ("the demuxer re-sent samples without GstProtectionMeta that secdecrypt had not seen "
          "before; they are never decoded as clear"));
  self->drop_run = 0;
}

/* MP4: remembers the info of a sample that carried meta; resolves one that arrived without
 * (qtdemux re-sends a re-entered fragment's samples bare) from the samples seen before. An
 * unresolvable sample, and everything after it up to a keyframe with known info, is dropped.
 * Returns GST_FLOW_OK (info/family/clear filled) or GST_BASE_TRANSFORM_FLOW_DROPPED. */
GstFlowReturn
gst_secdecrypt_resolve_from_cache (GstSecdecrypt * self, GstBuffer * inbuf, gboolean has_meta,
    gsize size, SecdecSampleInfo * info, GArray * subs, gint * family, gboolean * clear)
{
  GstClockTime pts = GST_BUFFER_PTS (inbuf);
  gboolean known = has_meta;

  if (has_meta && GST_CLOCK_TIME_IS_VALID (pts))
    gst_secdec_sample_cache_put (self->seen, pts, size, info, *family, *clear);
  else if (!has_meta)
    known = gst_secdec_sample_cache_get (self->seen, pts, size, info, subs, family, clear);
  if (known && self->dropping && !GST_BUFFER_FLAG_IS_SET (inbuf, GST_BUFFER_FLAG_DELTA_UNIT)) {
    gchar *until = g_strdup_printf ("until the keyframe at %" GST_TIME_FORMAT,
        GST_TIME_ARGS (pts));

    gst_secdecrypt_report_drops (self, until);
    g_free (until);
    self->dropping = FALSE;
  }
  if (known && !self->dropping)
    return GST_FLOW_OK;
  if (!self->dropping)
    GST_WARNING_OBJECT (self, "sample at %" GST_TIME_FORMAT " (%" G_GSIZE_FORMAT " bytes) "
        "has no encryption info and was not seen before: dropping up to the next keyframe",
        GST_TIME_ARGS (pts), size);
  self->dropping = TRUE;
  self->drop_run++;
  GST_OBJECT_LOCK (self);
  self->n_dropped++;
  GST_OBJECT_UNLOCK (self);
  return GST_BASE_TRANSFORM_FLOW_DROPPED;
}

/* The single KID of a version-1 pssh box, if it names exactly one. */
static gboolean
pssh_single_kid (GstBuffer * box, guint8 kid[SECDEC_KID_SIZE])
{
  GstMapInfo map;
  gboolean ok = FALSE;

  if (box == NULL || !gst_buffer_map (box, &map, GST_MAP_READ))
    return FALSE;
  /* size(4) 'pssh'(4) version(1) flags(3) SystemID(16) KID_count(4) KIDs(16 each) ... */
  if (map.size >= 48 && memcmp (map.data + 4, "pssh", 4) == 0 && map.data[8] == 1
      && GST_READ_UINT32_BE (map.data) <= map.size
      && GST_READ_UINT32_BE (map.data + 28) == 1) {
    memcpy (kid, map.data + 32, SECDEC_KID_SIZE);
    ok = TRUE;
  }
  gst_buffer_unmap (box, &map);
  return ok;
}

void
gst_secdecrypt_record_protection_event (GstSecdecrypt * self, GstEvent * event)
{
  const gchar *system_id = NULL, *origin = NULL;
  GstBuffer *data = NULL;
  GstStructure *ev;
  GValue list = G_VALUE_INIT, item = G_VALUE_INIT;

  gst_event_parse_protection (event, &system_id, &data, &origin);
  GST_INFO_OBJECT (self, "protection event: system %s, origin %s, %" G_GSIZE_FORMAT " bytes",
      system_id, origin, data ? gst_buffer_get_size (data) : 0);
  /* a version-1 pssh names its KIDs in a header every system shares */
  if (origin && !strcmp (origin, "isobmff/moof") && system_id) {
    guint8 kid[SECDEC_KID_SIZE];

    if (pssh_single_kid (data, kid)) {
      GST_OBJECT_LOCK (self);
      memcpy (self->pending_kid, kid, SECDEC_KID_SIZE);
      self->pending_kid_valid = TRUE;
      GST_OBJECT_UNLOCK (self);
    }
  }
  ev = gst_structure_new ("protection-event",
      "system-id", G_TYPE_STRING, system_id,
      "origin", G_TYPE_STRING, origin, "data", GST_TYPE_BUFFER, data, NULL);

  GST_OBJECT_LOCK (self);
  if (self->events == NULL) {
    g_value_init (&list, GST_TYPE_LIST);
    self->events = gst_structure_new_empty ("secdec-protection-events");
    gst_structure_take_value (self->events, "events", &list);
  }
  g_value_init (&item, GST_TYPE_STRUCTURE);
  gst_value_set_structure (&item, ev);
  gst_value_list_append_and_take_value ((GValue *) gst_structure_get_value (self->events,
          "events"), &item);
  GST_OBJECT_UNLOCK (self);
  gst_structure_free (ev);

  gst_secdecrypt_emit_protection_event (self, system_id, data, origin);
  g_object_notify (G_OBJECT (self), "protection-events");
}
