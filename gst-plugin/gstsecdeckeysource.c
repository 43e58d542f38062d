/*
 * gstsecdeckeysource.c - owns where secdecrypt's content keys come from, whenever a sample names
 * a KID the session has no key for: the shared session, the license store, the "license" and
 * "keys" properties, and finally the application (secdec-key-needed message, key-needed
 * signal, up to key-timeout ms of waiting); licenses go into every session (also VA-API
 * sessions, through the license's accessors) and are replayed into sessions created later.
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstsecdecrypt-priv.h"
#include "gstsecdeckeys.h"

#include <string.h>

#define GST_CAT_DEFAULT gst_secdecrypt_debug


static void
set_key_error (GstSecdecrypt * self, const gchar * source, SecdecStatus st)
{
  self->last_key_error = st;
  g_free (self->last_key_source);
  self->last_key_source = g_strdup (source);
}

/* secdec_license_load(), or on a VA-API session (the session key is in the TEE, so the
 * license's MAC cannot be checked there: SECDEC_E_NOTIMPL) the Direct3D flow from the
 * license's accessors: its key exchange, then its wrapped content keys. On such a session the
 * last key exchange wins (as with FFmpeg's h264_secdec -backend vaapi). */
static SecdecStatus
license_load_any (GstSecdecrypt * self, SecdecCryptoSession * sess, const SecdecLicense * lic)
{
  SecdecStatus st = secdec_license_load (self->device, sess, lic);
  const uint8_t *blob;
  uint8_t copy[SECDEC_KEY_EXCHANGE_OAEP_SIZE];
  SecdecOaepHash hash;
  SecdecBackend b;
  size_t i;

  if (st != SECDEC_E_NOTIMPL || secdec_device_get_backend (self->device, &b) != SECDEC_OK
      || b != SECDEC_BACKEND_VAAPI)
    return st;
  st = secdec_license_get_oaep_hash (lic, &hash);
  if (st == SECDEC_OK)
    st = secdec_crypto_session_set_oaep_hash (self->device, sess, hash);
  if (st == SECDEC_OK)
    st = secdec_license_get_key_exchange_blob (lic, &blob);
  if (st == SECDEC_OK) {
    memcpy (copy, blob, sizeof copy);
    st = secdec_negotiate_crypto_session_key_exchange (self->device, sess, sizeof copy, copy);
  }
  for (i = 0; st == SECDEC_OK && i < secdec_license_get_key_count (lic); i++) {
    uint8_t kid[SECDEC_KID_SIZE], wrapped[SECDEC_KEY_SIZE];

    st = secdec_license_get_wrapped_key (lic, i, kid, wrapped);
    if (st == SECDEC_OK)
      st = secdec_crypto_session_set_content_key (self->device, sess, kid, sizeof wrapped,
          wrapped);
    memset (wrapped, 0, sizeof wrapped);
  }
  return st;
}

static void
load_license_into (GstSecdecrypt * self, SecdecCryptoSession * sess, const SecdecLicense * lic)
{
  SecdecStatus st = license_load_any (self, sess, lic);

  if (st != SECDEC_OK)
    GST_WARNING_OBJECT (self, "replaying a license failed: %s", secdec_status_to_string (st));
}

/* Every license loaded so far into a new session. */
void
gst_secdecrypt_replay_licenses_locked (GstSecdecrypt * self, SecdecCryptoSession * sess)
{
  guint i;

  for (i = 0; i < self->licenses->len; i++)
    load_license_into (self, sess, g_ptr_array_index (self->licenses, i));
}

/* Loads a license into every open session and remembers it for sessions created later.
 * Takes ownership of lic. */
static SecdecStatus
adopt_license_locked (GstSecdecrypt * self, SecdecLicense * lic, const gchar * source)
{
  SecdecStatus st = SECDEC_OK, first = SECDEC_OK;
  gint f;

  for (f = 0; f < N_FAMILIES; f++) {
    if (self->sessions[f] == NULL)
      continue;
    st = license_load_any (self, self->sessions[f], lic);
    /* the license's key exchange replaced the session key (or, failing, reset it) */
    self->app_key_current[f] = FALSE;
    if (self->refresh_family == f)
      self->refresh_family = -1;
    if (st != SECDEC_OK && first == SECDEC_OK)
      first = st;
  }
  if (first != SECDEC_OK) {
    GST_WARNING_OBJECT (self, "license from %s rejected: %s", source,
        secdec_status_to_string (first));
    set_key_error (self, source, first);
    secdec_license_free (&lic);
    return first;
  }
  GST_INFO_OBJECT (self, "loaded license from %s (%" G_GSIZE_FORMAT " keys)", source,
      (gsize) secdec_license_get_key_count (lic));
  g_ptr_array_add (self->licenses, lic);
  return SECDEC_OK;
}

static gboolean
has_key_locked (GstSecdecrypt * self, SecdecCryptoSession * sess, const guint8 * kid)
{
  return secdec_crypto_session_has_content_key (self->device, sess, kid) == SECDEC_OK;
}

/* Key sources 2-4 for one KID; returns TRUE when the session now has the key. */
static gboolean
try_key_sources_locked (GstSecdecrypt * self, SecdecCryptoSession * sess, const guint8 * kid)
{
  SecdecLicense *lic = NULL;
  SecdecStatus st;
  gchar *path, *spec;

  if (has_key_locked (self, sess, kid))
    return TRUE;

  /* 2. the license store */
  st = secdec_license_store_find (self->device, kid, &lic);
  if (st == SECDEC_OK) {
    adopt_license_locked (self, lic, "the license store");
    if (has_key_locked (self, sess, kid))
      return TRUE;
  } else if (st != SECDEC_E_NO_KEY) {
    set_key_error (self, "the license store", st);
  }

  /* 3. the license property */
  GST_OBJECT_LOCK (self);
  path = g_strdup (self->license_path);
  spec = g_strdup (self->keys_spec);
  GST_OBJECT_UNLOCK (self);
  if (path && g_strcmp0 (path, self->prop_license_loaded) != 0) {
    g_free (self->prop_license_loaded);
    self->prop_license_loaded = g_strdup (path);
    secdec_license_free (&self->prop_license);
    st = secdec_license_read_file (path, &self->prop_license);
    if (st != SECDEC_OK)
      set_key_error (self, "the license property", st);
    else if (secdec_license_has_kid (self->prop_license, kid)) {
      SecdecLicense *copy = NULL;
      const uint8_t *bytes;
      size_t size;

      /* The cached one is kept so that the file is not read for every KID. */
      secdec_license_get_bytes (self->prop_license, &bytes, &size);
      if (secdec_license_parse (bytes, size, &copy) == SECDEC_OK)
        adopt_license_locked (self, copy, "the license property");
    }
  }
  g_free (path);
  if (has_key_locked (self, sess, kid)) {
    g_free (spec);
    return TRUE;
  }

  /* 4. the keys property (testing only): issued to this device in-process, then loaded */
  if (spec && !self->keys_issued) {
    GError *err = NULL;
    GArray *keys = gst_secdec_keys_parse (spec, &err);

    self->keys_issued = TRUE;
    if (keys == NULL) {
      GST_WARNING_OBJECT (self, "keys property: %s", err->message);
      set_key_error (self, "the keys property", SECDEC_E_INVALIDARG);
      g_clear_error (&err);
    } else {
      st = gst_secdec_keys_issue_license (self->device, sess,
          (const SecdecContentKey *) keys->data, keys->len, &lic);
      gst_secdec_keys_free (keys);
      if (st == SECDEC_OK)
        adopt_license_locked (self, lic, "the keys property");
      else
        set_key_error (self, "the keys property", st);
    }
  }
  g_free (spec);
  return has_key_locked (self, sess, kid);
}

/* Makes sure the session has a key for kid: key sources, then the application (message,
 * signal), then waits up to key-timeout. Called without the lock. */
GstFlowReturn
gst_secdecrypt_ensure_key (GstSecdecrypt * self, gint family, const guint8 * kid)
{
  SecdecCryptoSession *sess = NULL;
  SecdecStatus st;
  gchar kidhex[33];
  gboolean have, asked = FALSE;
  gint64 deadline = 0;
  guint timeout = 0;

  gst_secdec_kid_to_string (kid, kidhex);
  g_mutex_lock (&self->lock);
  for (;;) {
    st = gst_secdecrypt_get_session_locked (self, family, &sess);
    if (st != SECDEC_OK) {
      gchar *why = gst_secdec_status_describe (st);

      g_mutex_unlock (&self->lock);
      GST_ELEMENT_ERROR (self, RESOURCE, FAILED,
          ("Cannot open a secdec %s crypto session", gst_secdecrypt_family_name (family)),
          ("%s", why));
      g_free (why);
      return GST_FLOW_ERROR;
    }
    have = try_key_sources_locked (self, sess, kid);
    if (have)
      break;
    if (self->flushing) {
      g_mutex_unlock (&self->lock);
      return GST_FLOW_FLUSHING;
    }
    if (!asked) {
      GstStructure *s;

      asked = TRUE;
      g_mutex_unlock (&self->lock);
      GST_INFO_OBJECT (self, "no key for KID %s: asking the application", kidhex);
      s = gst_structure_new ("secdec-key-needed", "kid", G_TYPE_STRING, kidhex, NULL);
      gst_element_post_message (GST_ELEMENT_CAST (self),
          gst_message_new_element (GST_OBJECT_CAST (self), s));
      gst_secdecrypt_emit_key_needed (self, kidhex);
      GST_OBJECT_LOCK (self);
      timeout = self->key_timeout;
      GST_OBJECT_UNLOCK (self);
      deadline = g_get_monotonic_time () + (gint64) timeout * G_TIME_SPAN_MILLISECOND;
      g_mutex_lock (&self->lock);
      continue;
    }
    if (!g_cond_wait_until (&self->cond, &self->lock, deadline)) {
      /* timed out: one last look */
      if (try_key_sources_locked (self, sess, kid))
        break;
      {
        gchar *why = self->last_key_error != SECDEC_OK ?
            gst_secdec_status_describe (self->last_key_error) : NULL;
        gchar *src = g_strdup (self->last_key_source);
        const gchar *home = secdec_device_get_home (self->device);
        gchar *homecopy = g_strdup (home ? home : "?");

        g_mutex_unlock (&self->lock);
        GST_ELEMENT_ERROR (self, STREAM, DECRYPT_NOKEY,
            ("No content key for KID %s", kidhex),
            ("No key for KID %s after waiting %u ms. Tried: shared session, license store "
                "in %s, license property, keys property, application (key-needed).%s%s%s%s",
                kidhex, timeout, homecopy, why ? " Last failure: " : "", why && src ? src : "",
                why ? ": " : "", why ? why : ""));
        g_free (why);
        g_free (src);
        g_free (homecopy);
        return GST_FLOW_ERROR;
      }
    }
  }
  g_mutex_unlock (&self->lock);
  return GST_FLOW_OK;
}
