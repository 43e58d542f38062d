/*
 * gstsecdecsession.c - owns the lifecycle of secdecrypt's libsecdec device and crypto sessions:
 * opening the device (the application's shared one, or its own with the chosen backend), one
 * session per cipher family created on demand and given the keys loaded so far, closing
 * everything at stop; VA-API mode and its fall back to software before the first sample; and
 * the replacement of a VA-API session the TEE lost (KEY_LOST).
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
#ifdef HAVE_SECDEC_VAAPI
#include <secdec/vaapi.h>
#endif

#define GST_CAT_DEFAULT gst_secdecrypt_debug

static const SecdecGuid *
family_crypto_type (gint family)
{
  return family == FAMILY_CBC ? &SECDEC_CRYPTO_TYPE_AES128_CBC : &SECDEC_CRYPTO_TYPE_AES128_CTR;
}

const gchar *
gst_secdecrypt_family_name (gint family)
{
  return family == FAMILY_CBC ? "AES128_CBC" : "AES128_CTR";
}

/* ---- device and sessions (lock held) ----------------------------------------------------- */

SecdecStatus
gst_secdecrypt_open_device_locked (GstSecdecrypt * self)
{
  SecdecDeviceSettings settings;
  SecdecStatus st;
  gchar *home;

  if (self->device)
    return SECDEC_OK;
  if (self->context) {
    SecdecDevice *dev = NULL;
    SecdecCryptoSession *sess = NULL;

    if (gst_secdec_context_parse (self->context, &dev, &sess)) {
      self->device = dev;
      self->device_shared = TRUE;
      if (sess) {
        SecdecGuid type;

        if (secdec_crypto_session_get_crypto_type (dev, sess, &type) == SECDEC_OK) {
          gint f = secdec_guid_equal (&type, &SECDEC_CRYPTO_TYPE_AES128_CBC) ?
              FAMILY_CBC : FAMILY_CTR;
          self->sessions[f] = sess;
          self->session_shared[f] = TRUE;
          GST_INFO_OBJECT (self, "using the application's %s session",
              gst_secdecrypt_family_name (f));
        } else {
          GST_WARNING_OBJECT (self, "shared session does not belong to the shared device");
        }
      }
      return SECDEC_OK;
    }
  }
  secdec_device_default_settings (&settings);
  GST_OBJECT_LOCK (self);
  settings.backend = self->backend == GST_SECDEC_BACKEND_VAAPI ? SECDEC_BACKEND_VAAPI :
      self->backend == GST_SECDEC_BACKEND_SOFTWARE ? SECDEC_BACKEND_SOFTWARE :
      SECDEC_BACKEND_AUTO;
  if (self->force_software)
    settings.backend = SECDEC_BACKEND_SOFTWARE;
  home = g_strdup (self->home);
  GST_OBJECT_UNLOCK (self);
  settings.home_dir = home;
  st = secdec_device_open (&self->device, &settings);
  g_free (home);
  self->device_shared = FALSE;
  return st;
}

/* After the device is open: VA-API mode when its backend is VA-API. */
void
gst_secdecrypt_update_backend_locked (GstSecdecrypt * self)
{
  SecdecBackend b = SECDEC_BACKEND_SOFTWARE;

  self->va = FALSE;
  if (self->device && secdec_device_get_backend (self->device, &b) == SECDEC_OK
      && b == SECDEC_BACKEND_VAAPI) {
#ifdef HAVE_SECDEC_VAAPI
    self->va = TRUE;
#endif
  }
}

/* The session of a cipher family, created (and given every key loaded so far) on demand. */
SecdecStatus
gst_secdecrypt_get_session_locked (GstSecdecrypt * self, gint family,
    SecdecCryptoSession ** out)
{
  SecdecStatus st;

  st = gst_secdecrypt_open_device_locked (self);
  if (st != SECDEC_OK)
    return st;
  if (self->sessions[family] == NULL) {
    const SecdecGuid *profile = self->profile;

    if (family == FAMILY_CBC && profile == &SECDEC_DECODER_PROFILE_VP9_VLD_PROFILE0)
      profile = NULL;
    st = secdec_create_crypto_session (self->device, family_crypto_type (family), profile,
        &SECDEC_KEY_EXCHANGE_RSAES_OAEP, &self->sessions[family]);
    if (st != SECDEC_OK)
      return st;
    self->session_shared[family] = FALSE;
    GST_INFO_OBJECT (self, "created %s crypto session", gst_secdecrypt_family_name (family));
    /* Keys loaded into the other family's session so far are loaded here too: licenses
     * again, and the application's key exchange (its blob and wrapped keys are ciphertext
     * kept for exactly this). */
    gst_secdecrypt_replay_licenses_locked (self, self->sessions[family]);
    gst_secdecrypt_replay_app_keys_locked (self, self->sessions[family]);
  }
  *out = self->sessions[family];
  return SECDEC_OK;
}

void
gst_secdecrypt_close_all_locked (GstSecdecrypt * self)
{
  gint f;

  for (f = 0; f < N_FAMILIES; f++) {
    if (!self->session_shared[f])
      secdec_crypto_session_destroy (&self->sessions[f]);
    self->sessions[f] = NULL;
    self->session_shared[f] = FALSE;
    self->app_key_current[f] = FALSE;
  }
  while (self->retired->len) {
    SecdecCryptoSession *old = g_ptr_array_steal_index (self->retired, self->retired->len - 1);

    secdec_crypto_session_destroy (&old);
  }
  self->n_recoveries = 0;
  self->refresh_family = -1;
  self->va = FALSE;
  self->va_checked = FALSE;
  if (!self->device_shared)
    secdec_device_close (&self->device);
  self->device = NULL;
  self->device_shared = FALSE;
  g_ptr_array_set_size (self->licenses, 0);
  secdec_license_free (&self->prop_license);
  g_clear_pointer (&self->prop_license_loaded, g_free);
  self->keys_issued = FALSE;
  gst_secdecrypt_forget_app_keys_locked (self);
}

/* ---- VA-API mode ---------------------------------------------------------------------------- */

#ifdef HAVE_SECDEC_VAAPI
/* VA-API mode, content that cannot decode through VA-API: before any sample went out, the
 * VA-API device is closed and a software device opened (keys are acquired again from the key
 * sources: licenses bound to the TEE's certificate do not load on it). */
static GstFlowReturn
fallback_software (GstSecdecrypt * self, const gchar * reason)
{
  SecdecStatus st;
  guint64 out;

  GST_OBJECT_LOCK (self);
  out = self->n_decrypted + self->n_clear;
  GST_OBJECT_UNLOCK (self);
  g_mutex_lock (&self->lock);
  if (self->device_shared || out > 0) {
    g_mutex_unlock (&self->lock);
    GST_ELEMENT_ERROR (self, STREAM, DECRYPT,
        ("VA-API decode is not possible for this content: %s", reason),
        ("%s", out > 0 ? "samples were already passed on for VA-API decode; no software "
            "fallback mid-stream" : "the application's secdec.session device uses VA-API; "
            "no software fallback"));
    return GST_FLOW_ERROR;
  }
  gst_secdecrypt_close_all_locked (self);
  self->force_software = TRUE;
  st = gst_secdecrypt_open_device_locked (self);
  gst_secdecrypt_update_backend_locked (self);
  g_mutex_unlock (&self->lock);
  if (st != SECDEC_OK) {
    gchar *why = gst_secdec_status_describe (st);

    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ_WRITE,
        ("Cannot open a software secdec device for the fallback"), ("%s", why));
    g_free (why);
    return GST_FLOW_ERROR;
  }
  GST_ELEMENT_WARNING (self, STREAM, DECRYPT,
      ("VA-API decode is not possible for this content: %s. Falling back to the software "
          "backend.", reason), (NULL));
  return GST_FLOW_OK;
}

/* VA-API mode: whether this content decodes through VA-API (codec; the slice headers of the
 * first encrypted sample must be clear, libavcodec parses them); if not, the software
 * fallback. GST_FLOW_OK: go on (on whichever device is open now). */
static GstFlowReturn
va_check (GstSecdecrypt * self, const SecdecSampleInfo * info, gboolean clear,
    const guint8 * data, gsize size)
{
  const gchar *reason = NULL;
  SecdecStatus st;

  if (self->profile != &SECDEC_DECODER_PROFILE_H264_VLD_NOFGT
      && self->profile != &SECDEC_DECODER_PROFILE_HEVC_VLD_MAIN) {
    reason = "only H.264 and HEVC decode through secdec's VA-API path";
  } else if (!clear && !self->va_checked) {
    /* The driver parses nothing, libavcodec parses the slice headers: they must be clear */
    if (self->nal_length_size == 0) {
      reason = "the stream is not length-prefixed (no avcC/hvcC codec_data), its slice "
          "headers cannot be checked";
    } else {
      st = secdec_vaapi_check_slice_headers (info, data, size,
          self->profile == &SECDEC_DECODER_PROFILE_H264_VLD_NOFGT ?
          SECDEC_VAAPI_CODEC_H264 : SECDEC_VAAPI_CODEC_HEVC, self->nal_length_size,
          &reason);
      if (st == SECDEC_OK) {
        reason = NULL;
        self->va_checked = TRUE;
      } else if (st != SECDEC_E_NOTIMPL) {
        return gst_secdecrypt_post_decrypt_error (self, st, info->kid);
      }
    }
  }
  if (reason)
    return fallback_software (self, reason);
  return GST_FLOW_OK;
}
#endif

GstFlowReturn
gst_secdecrypt_va_check (GstSecdecrypt * self, const SecdecSampleInfo * info, gboolean clear,
    const guint8 * data, gsize size)
{
#ifdef HAVE_SECDEC_VAAPI
  if (self->va)
    return va_check (self, info, clear, data, size);
#endif
  return GST_FLOW_OK;
}

/* ---- session loss ---------------------------------------------------------------------------- */

/* The decoder found a VA-API session dead (the TEE answered KEY_LOST: reset, power event).
 * Direct3D's recovery: the session is replaced by a new one on the same device, with a new key
 * exchange and the content keys loaded again (gst_secdecrypt_get_session_locked() replays every
 * license and the application's key exchange into it); the decoder resumes at the next keyframe. The dead
 * session stays allocated until stop (buffers in flight name it). An application's shared
 * session cannot be replaced here: that is an error for the application to handle. */
gboolean
gst_secdecrypt_handle_session_lost (GstSecdecrypt * self, const GstStructure * s)
{
  gpointer lost = NULL;
  gint f, family = -1;
  gboolean shared = FALSE;
  guint n;

  if (!gst_structure_get (s, "session", G_TYPE_POINTER, &lost, NULL) || lost == NULL)
    return FALSE;
  g_mutex_lock (&self->lock);
  for (f = 0; f < N_FAMILIES; f++) {
    if (self->sessions[f] == lost) {
      family = f;
      shared = self->session_shared[f];
      if (!shared) {
        g_ptr_array_add (self->retired, self->sessions[f]);
        self->sessions[f] = NULL;
        self->app_key_current[f] = FALSE;
        if (self->refresh_family == f)
          self->refresh_family = -1;
      }
    }
  }
  n = family >= 0 && !shared ? ++self->n_recoveries : self->n_recoveries;
  g_mutex_unlock (&self->lock);
  if (family < 0) {
    GST_DEBUG_OBJECT (self, "session-lost for a session already replaced");
    return TRUE;
  }
  if (shared) {
    GST_ELEMENT_ERROR (self, RESOURCE, FAILED,
        ("The application's protected session lost its keys"),
        ("the TEE reports KEY_LOST for the %s session of the secdec.session context: the "
            "application must create a new crypto session and negotiate again",
            gst_secdecrypt_family_name (family)));
    return TRUE;
  }
  GST_ELEMENT_WARNING (self, RESOURCE, FAILED,
      ("The protected session lost its keys; recovering with a new session"),
      ("the TEE reports KEY_LOST for the %s session (recovery %u): a new crypto session is "
          "created, the key exchange and the content keys are done again; the decoder resumes "
          "at the next keyframe", gst_secdecrypt_family_name (family), n));
  gst_element_post_message (GST_ELEMENT_CAST (self),
      gst_message_new_element (GST_OBJECT_CAST (self),
          gst_structure_new ("secdec-session-lost", "cipher", G_TYPE_STRING,
              gst_secdecrypt_family_name (family), "recovery", G_TYPE_UINT, n, NULL)));
  return TRUE;
}
