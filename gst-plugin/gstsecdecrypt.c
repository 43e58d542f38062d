/*
 * gstsecdecrypt.c - secdecrypt: decrypts CENC (qtdemux) and WebM (matroskademux) samples into
 * libsecdec protected memory.
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

#include "gstsecdecrypt.h"
#include "gstsecdecsamplecache.h"
#include "gstsecdecmemory.h"
#include "gstsecdeccontext.h"
#include "gstsecdeckeys.h"

#include <string.h>
#include <secdec/decrypt.h>
#include <secdec/license.h>
#ifdef HAVE_SECDEC_VAAPI
#include <secdec/vaapi.h>
#endif

GST_DEBUG_CATEGORY_STATIC (gst_secdecrypt_debug);
#define GST_CAT_DEFAULT gst_secdecrypt_debug

/* The protection systems secdecrypt serves. The key comes by KID (keys property, license
 * store, license file, the application), never from a system's pssh payload, so every system
 * a real stream may carry is listed: qtdemux picks its decryptor by the pssh system IDs it
 * finds (gst_protection_select_system()), and most commercial CENC content carries only
 * Widevine and PlayReady (often FairPlay, DASH-IF Clear Key) boxes. The protection events of
 * every system stay visible to the application ("protection-events"). */
#define SECDEC_SYSTEM_ID "8f8fcaac-0ce0-463e-8b43-b7abf7822a5d"
#define COMMON_SYSTEM_ID "1077efec-c0b2-4d02-ace3-3c1e52e2fb4b"
#define WIDEVINE_SYSTEM_ID "edef8ba9-79d6-4ace-a3c8-27dcd51d21ed"
#define PLAYREADY_SYSTEM_ID "9a04f079-9840-4286-ab92-e65be0885f95"
#define FAIRPLAY_SYSTEM_ID "94ce86fb-07ff-4f43-adb8-93d2fa968ca2"
#define CLEARKEY_DASHIF_SYSTEM_ID "e2719d58-a985-b3c9-781a-b030af78d30e"

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

enum
{
  FAMILY_CTR = 0,               /* cenc, cens, WebM: SECDEC_CRYPTO_TYPE_AES128_CTR */
  FAMILY_CBC = 1,               /* cbcs, cbc1: SECDEC_CRYPTO_TYPE_AES128_CBC */
  N_FAMILIES
};

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

enum
{
  SIGNAL_KEY_NEEDED,
  SIGNAL_PROTECTION_EVENT,
  SIGNAL_GET_CERTIFICATE,
  SIGNAL_NEGOTIATE_KEY_EXCHANGE,
  SIGNAL_ADD_CONTENT_KEY,
  SIGNAL_START_KEY_REFRESH,
  SIGNAL_FINISH_KEY_REFRESH,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

typedef struct
{
  guint8 kid[SECDEC_KID_SIZE];
  guint8 wrapped[SECDEC_KEY_SIZE];
  guint32 size;                 /* 16, or 0 for a clear KID */
} AppKey;

struct _GstSecdecrypt
{
  GstBaseTransform parent;

  /* properties, under the object lock */
  gchar *license_path;
  gchar *keys_spec;
  guint key_timeout;
  GstSecdecBackend backend;
  gchar *home;

  /* key state, under lock; cond signals "a key may have arrived / stop waiting" */
  GMutex lock;
  GCond cond;
  gboolean flushing;
  GstContext *context;          /* application's secdec.session context, if any */
  SecdecDevice *device;
  gboolean device_shared;
  SecdecCryptoSession *sessions[N_FAMILIES];
  gboolean session_shared[N_FAMILIES];
  GPtrArray *licenses;          /* SecdecLicense*: loaded, replayed into new sessions */
  SecdecLicense *prop_license;  /* parsed "license" property */
  gchar *prop_license_loaded;   /* path prop_license was read from */
  gboolean keys_issued;         /* "keys" turned into a license already */
  GBytes *app_blob;             /* application's key-exchange blob (ciphertext) */
  GArray *app_keys;             /* AppKey: application's wrapped keys */
  /* TRUE while a session's key is the application's (app_blob, possibly refreshed through
   * start/finish-key-refresh); a license loaded into the session replaces it */
  gboolean app_key_current[N_FAMILIES];
  gint refresh_family;          /* session with a refresh started, or -1 */
  SecdecStatus last_key_error;  /* why the last key source failed */
  gchar *last_key_source;

  /* VA-API mode (hw/): the device's backend is VA-API, samples go out still encrypted with a
   * GstSecdecSampleMeta. force_software: a fallback happened, the next device is software
   * (until stop). va_checked: the first encrypted sample passed the slice-header check. */
  gboolean va;
  gboolean force_software;
  gboolean va_checked;
  guint nal_length_size;        /* from avcC/hvcC codec_data, 0 unknown */
  /* VA-API sessions the TEE lost (KEY_LOST, reported by the decoder with an upstream
   * "secdec-session-lost" event): replaced by new ones, kept until stop because samples in
   * flight still name them in their GstSecdecSampleMeta */
  GPtrArray *retired;
  guint n_recoveries;

  /* stream state (streaming thread) */
  gboolean is_webm;
  gint caps_family;
  const SecdecGuid *profile;

  /* protection events, under object lock */
  GstStructure *events;
  guint64 n_decrypted, n_clear;

  /* Key rotation (under object lock). qtdemux 1.22 ignores 'seig' sample groups and gives
   * every sample the default KID, but forwards the pssh boxes of each moof as protection
   * events (origin "isobmff/moof"), one sample ahead of the fragment. A moof pssh of ours or
   * of the common system naming exactly one KID names the KID of that fragment's samples: it
   * takes effect at the next keyframe (fragments start with one). */
  guint8 pending_kid[SECDEC_KID_SIZE];
  gboolean pending_kid_valid;
  guint8 fragment_kid[SECDEC_KID_SIZE];
  gboolean fragment_kid_valid;

  /* Truncation check at EOS (streaming thread): the latest sample end seen, whether the
   * segment asks for the whole stream, and where the segment says it stops. */
  GstClockTime max_end;
  gboolean whole_stream;
  GstSegment segment;

  /* Samples re-sent without meta after a seek (streaming thread): the info of every sample
   * passed so far (gstsecdecsamplecache.h). A sample of an encrypted MP4 track that is in
   * neither its meta nor the cache is dropped, and so is everything up to the next keyframe
   * whose info is known: never decoded as clear. n_dropped under the object lock. */
  GstSecdecSampleCache *seen;
  gboolean dropping;
  guint64 drop_run;
  guint64 n_dropped;
};

#define parent_class gst_secdecrypt_parent_class
G_DEFINE_TYPE (GstSecdecrypt, gst_secdecrypt, GST_TYPE_BASE_TRANSFORM);
GST_ELEMENT_REGISTER_DEFINE (secdecrypt, "secdecrypt", GST_RANK_PRIMARY, GST_TYPE_SECDECRYPT);

static const SecdecGuid *
family_crypto_type (gint family)
{
  return family == FAMILY_CBC ? &SECDEC_CRYPTO_TYPE_AES128_CBC : &SECDEC_CRYPTO_TYPE_AES128_CTR;
}

static const gchar *
family_name (gint family)
{
  return family == FAMILY_CBC ? "AES128_CBC" : "AES128_CTR";
}

static void
set_key_error (GstSecdecrypt * self, const gchar * source, SecdecStatus st)
{
  self->last_key_error = st;
  g_free (self->last_key_source);
  self->last_key_source = g_strdup (source);
}

/* ---- device and sessions (lock held) ----------------------------------------------------- */

static SecdecStatus
open_device_locked (GstSecdecrypt * self)
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
          GST_INFO_OBJECT (self, "using the application's %s session", family_name (f));
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
static void
update_backend_locked (GstSecdecrypt * self)
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

static void
app_keys_into (GstSecdecrypt * self, SecdecCryptoSession * sess)
{
  gsize size;
  gconstpointer blob;
  guint8 copy[SECDEC_KEY_EXCHANGE_OAEP_SIZE];
  guint i;

  if (self->app_blob == NULL)
    return;
  blob = g_bytes_get_data (self->app_blob, &size);
  if (size != sizeof copy)
    return;
  memcpy (copy, blob, size);
  if (secdec_negotiate_crypto_session_key_exchange (self->device, sess, size, copy) != SECDEC_OK)
    return;
  for (i = 0; i < N_FAMILIES; i++)
    if (self->sessions[i] == sess)
      self->app_key_current[i] = TRUE;
  for (i = 0; self->app_keys && i < self->app_keys->len; i++) {
    AppKey *k = &g_array_index (self->app_keys, AppKey, i);

    secdec_crypto_session_set_content_key (self->device, sess, k->kid, k->size,
        k->size ? k->wrapped : NULL);
  }
}

/* The session of a cipher family, created (and given every key loaded so far) on demand. */
static SecdecStatus
get_session_locked (GstSecdecrypt * self, gint family, SecdecCryptoSession ** out)
{
  SecdecStatus st;
  guint i;

  st = open_device_locked (self);
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
    GST_INFO_OBJECT (self, "created %s crypto session", family_name (family));
    /* Keys loaded into the other family's session so far are loaded here too: licenses
     * again, and the application's key exchange (its blob and wrapped keys are ciphertext
     * kept for exactly this). */
    for (i = 0; i < self->licenses->len; i++)
      load_license_into (self, self->sessions[family], g_ptr_array_index (self->licenses, i));
    app_keys_into (self, self->sessions[family]);
  }
  *out = self->sessions[family];
  return SECDEC_OK;
}

static void
close_all_locked (GstSecdecrypt * self)
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
  g_clear_pointer (&self->app_blob, g_bytes_unref);
  if (self->app_keys) {
    memset (self->app_keys->data, 0, (gsize) self->app_keys->len * sizeof (AppKey));
    g_array_set_size (self->app_keys, 0);
  }
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
static GstFlowReturn
ensure_key (GstSecdecrypt * self, gint family, const guint8 * kid)
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
    st = get_session_locked (self, family, &sess);
    if (st != SECDEC_OK) {
      gchar *why = gst_secdec_status_describe (st);

      g_mutex_unlock (&self->lock);
      GST_ELEMENT_ERROR (self, RESOURCE, FAILED,
          ("Cannot open a secdec %s crypto session", family_name (family)), ("%s", why));
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
      g_signal_emit (self, signals[SIGNAL_KEY_NEEDED], 0, kidhex);
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

static gint
family_from_cipher_mode (const gchar * mode, gint fallback)
{
  if (mode == NULL)
    return fallback;
  if (!g_ascii_strcasecmp (mode, "cbcs") || !g_ascii_strcasecmp (mode, "cbc1"))
    return FAMILY_CBC;
  return FAMILY_CTR;
}

static gboolean
gst_secdecrypt_set_caps (GstBaseTransform * base, GstCaps * incaps, GstCaps * outcaps)
{
  GstSecdecrypt *self = GST_SECDECRYPT (base);
  const GstStructure *s = gst_caps_get_structure (incaps, 0);
  const gchar *omt = gst_structure_get_string (s, "original-media-type");

  self->is_webm = gst_structure_has_name (s, "application/x-webm-enc");
  self->caps_family = self->is_webm ? FAMILY_CTR :
      family_from_cipher_mode (gst_structure_get_string (s, "cipher-mode"), FAMILY_CTR);
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
      family_name (self->caps_family), self->nal_length_size);
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

/* Fills info from a GstProtectionMeta. Returns FALSE (with *reason) when the metadata is
 * malformed. *clear is set when the sample has no encrypted byte. */
static gboolean
parse_meta (GstSecdecrypt * self, const GstStructure * s, gsize size, SecdecSampleInfo * info,
    GArray * subs, gint * family, gboolean * clear, const gchar ** reason)
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
  *family = family_from_cipher_mode (mode, self->caps_family);
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

static GstFlowReturn
post_decrypt_error (GstSecdecrypt * self, SecdecStatus st, const guint8 * kid)
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
  close_all_locked (self);
  self->force_software = TRUE;
  st = open_device_locked (self);
  update_backend_locked (self);
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

static void
report_drops (GstSecdecrypt * self, const gchar * until)
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
static GstFlowReturn
resolve_from_cache (GstSecdecrypt * self, GstBuffer * inbuf, gboolean has_meta, gsize size,
    SecdecSampleInfo * info, GArray * subs, gint * family, gboolean * clear)
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

    report_drops (self, until);
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

    if (!parse_meta (self, meta->info, size, &info, subs, &family, &clear, &reason)) {
      GST_ELEMENT_ERROR (self, STREAM, DECRYPT,
          ("Corrupt encryption metadata: %s", reason),
          ("GstProtectionMeta %" GST_PTR_FORMAT, meta->info));
      ret = GST_FLOW_ERROR;
      goto out;
    }
  }
  /* key rotation announced by moof pssh boxes: switch at the fragment's first keyframe */
  GST_OBJECT_LOCK (self);
  if (self->pending_kid_valid && !GST_BUFFER_FLAG_IS_SET (inbuf, GST_BUFFER_FLAG_DELTA_UNIT)) {
    memcpy (self->fragment_kid, self->pending_kid, SECDEC_KID_SIZE);
    self->fragment_kid_valid = TRUE;
    self->pending_kid_valid = FALSE;
  }
  if (meta && !clear && self->fragment_kid_valid && !self->is_webm)
    memcpy (info.kid, self->fragment_kid, SECDEC_KID_SIZE);
  GST_OBJECT_UNLOCK (self);
  if (!self->is_webm) {
    ret = resolve_from_cache (self, inbuf, meta != NULL, size, &info, subs, &family, &clear);
    if (ret != GST_FLOW_OK)
      goto out;
  }
  if (size == 0) {
    GST_ELEMENT_ERROR (self, STREAM, DECRYPT, ("Empty sample"), (NULL));
    ret = GST_FLOW_ERROR;
    goto out;
  }

#ifdef HAVE_SECDEC_VAAPI
  if (self->va) {
    const gchar *reason = NULL;

    if (self->profile != &SECDEC_DECODER_PROFILE_H264_VLD_NOFGT
        && self->profile != &SECDEC_DECODER_PROFILE_HEVC_VLD_MAIN) {
      reason = "only H.264 and HEVC decode through secdec's VA-API path";
    } else if (!clear && !self->va_checked) {
      /* The driver parses nothing, libavcodec parses the slice headers: they must be clear */
      if (self->nal_length_size == 0) {
        reason = "the stream is not length-prefixed (no avcC/hvcC codec_data), its slice "
            "headers cannot be checked";
      } else {
        st = secdec_vaapi_check_slice_headers (&info, data, size,
            self->profile == &SECDEC_DECODER_PROFILE_H264_VLD_NOFGT ?
            SECDEC_VAAPI_CODEC_H264 : SECDEC_VAAPI_CODEC_HEVC, self->nal_length_size,
            &reason);
        if (st == SECDEC_OK) {
          reason = NULL;
          self->va_checked = TRUE;
        } else if (st != SECDEC_E_NOTIMPL) {
          ret = post_decrypt_error (self, st, info.kid);
          goto out;
        }
      }
    }
    if (reason) {
      ret = fallback_software (self, reason);
      if (ret != GST_FLOW_OK)
        goto out;
    }
  }
#endif

  for (attempt = 0; attempt < 3; attempt++) {
    if (!clear) {
      ret = ensure_key (self, family, info.kid);
      if (ret != GST_FLOW_OK)
        goto out;
    }
    g_mutex_lock (&self->lock);
    st = get_session_locked (self, family, &sess);
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
    ret = post_decrypt_error (self, st, clear ? NULL : info.kid);
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

static void
record_protection_event (GstSecdecrypt * self, GstEvent * event)
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

  g_signal_emit (self, signals[SIGNAL_PROTECTION_EVENT], 0, system_id, data, origin);
  g_object_notify (G_OBJECT (self), "protection-events");
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
      record_protection_event (self, event);
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
      report_drops (self, "until the end of the stream");
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

/* The decoder found a VA-API session dead (the TEE answered KEY_LOST: reset, power event).
 * Direct3D's recovery: the session is replaced by a new one on the same device, with a new key
 * exchange and the content keys loaded again (get_session_locked() replays every license and
 * the application's key exchange into it); the decoder resumes at the next keyframe. The dead
 * session stays allocated until stop (buffers in flight name it). An application's shared
 * session cannot be replaced here: that is an error for the application to handle. */
static gboolean
handle_session_lost (GstSecdecrypt * self, const GstStructure * s)
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
            family_name (family)));
    return TRUE;
  }
  GST_ELEMENT_WARNING (self, RESOURCE, FAILED,
      ("The protected session lost its keys; recovering with a new session"),
      ("the TEE reports KEY_LOST for the %s session (recovery %u): a new crypto session is "
          "created, the key exchange and the content keys are done again; the decoder resumes "
          "at the next keyframe", family_name (family), n));
  gst_element_post_message (GST_ELEMENT_CAST (self),
      gst_message_new_element (GST_OBJECT_CAST (self),
          gst_structure_new ("secdec-session-lost", "cipher", G_TYPE_STRING,
              family_name (family), "recovery", G_TYPE_UINT, n, NULL)));
  return TRUE;
}

static gboolean
gst_secdecrypt_src_event (GstBaseTransform * base, GstEvent * event)
{
  GstSecdecrypt *self = GST_SECDECRYPT (base);

  if (GST_EVENT_TYPE (event) == GST_EVENT_CUSTOM_UPSTREAM &&
      gst_event_has_name (event, "secdec-session-lost")) {
    gboolean ret = handle_session_lost (self, gst_event_get_structure (event));

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
  st = open_device_locked (self);
  update_backend_locked (self);
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
  close_all_locked (self);
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

/* ---- action signals: the Direct3D flow driven by the application ---------------------------- */

static gint
current_family (GstSecdecrypt * self)
{
  return self->caps_family;
}

static GBytes *
gst_secdecrypt_get_certificate (GstSecdecrypt * self)
{
  SecdecCryptoSession *sess = NULL;
  SecdecStatus st;
  GBytes *cert = NULL;

  g_mutex_lock (&self->lock);
  st = get_session_locked (self, current_family (self), &sess);
  if (st == SECDEC_OK)
    cert = gst_secdec_get_certificate (self->device, sess, &st);
  g_mutex_unlock (&self->lock);
  if (cert == NULL)
    GST_WARNING_OBJECT (self, "get-certificate: %s", secdec_status_to_string (st));
  return cert;
}

static gint
gst_secdecrypt_negotiate (GstSecdecrypt * self, GBytes * blob)
{
  SecdecCryptoSession *sess = NULL;
  SecdecStatus st;
  guint8 copy[SECDEC_KEY_EXCHANGE_OAEP_SIZE];
  gsize size = 0;
  gconstpointer data;
  gint f;

  if (blob == NULL)
    return SECDEC_E_INVALIDARG;
  data = g_bytes_get_data (blob, &size);
  if (size != sizeof copy)
    return SECDEC_E_INVALIDARG;
  g_mutex_lock (&self->lock);
  st = get_session_locked (self, current_family (self), &sess);
  for (f = 0; st == SECDEC_OK && f < N_FAMILIES; f++) {
    if (self->sessions[f] == NULL)
      continue;
    memcpy (copy, data, size);
    st = secdec_negotiate_crypto_session_key_exchange (self->device, self->sessions[f],
        (uint32_t) size, copy);
    self->app_key_current[f] = st == SECDEC_OK;
    if (self->refresh_family == f)
      self->refresh_family = -1;
  }
  if (st == SECDEC_OK) {
    g_clear_pointer (&self->app_blob, g_bytes_unref);
    self->app_blob = g_bytes_ref (blob);
    if (self->app_keys)
      g_array_set_size (self->app_keys, 0);
  }
  g_mutex_unlock (&self->lock);
  GST_INFO_OBJECT (self, "negotiate-key-exchange: %s", secdec_status_to_string (st));
  return st;
}

static gint
gst_secdecrypt_add_content_key (GstSecdecrypt * self, GBytes * kid, GBytes * wrapped)
{
  SecdecStatus st = SECDEC_OK;
  AppKey k;
  gsize ks = 0, ws = 0;
  gconstpointer kd, wd = NULL;
  gint f;

  if (kid == NULL)
    return SECDEC_E_INVALIDARG;
  kd = g_bytes_get_data (kid, &ks);
  if (wrapped)
    wd = g_bytes_get_data (wrapped, &ws);
  if (ks != SECDEC_KID_SIZE || (ws != 0 && ws != SECDEC_KEY_SIZE))
    return SECDEC_E_INVALIDARG;
  memset (&k, 0, sizeof k);
  memcpy (k.kid, kd, ks);
  if (ws)
    memcpy (k.wrapped, wd, ws);
  k.size = (guint32) ws;

  g_mutex_lock (&self->lock);
  if (self->app_blob == NULL) {
    st = SECDEC_E_INVALIDCALL;  /* no key exchange negotiated by the application */
  } else {
    for (f = 0; st == SECDEC_OK && f < N_FAMILIES; f++) {
      if (self->sessions[f] == NULL)
        continue;
      /* a license loaded meanwhile may have replaced the session key: restore the
       * application's before unwrapping its key (but keep a key the application refreshed) */
      if (!self->app_key_current[f]) {
        guint8 copy[SECDEC_KEY_EXCHANGE_OAEP_SIZE];
        gsize bs;
        gconstpointer b = g_bytes_get_data (self->app_blob, &bs);

        memcpy (copy, b, bs);
        st = secdec_negotiate_crypto_session_key_exchange (self->device, self->sessions[f],
            (uint32_t) bs, copy);
        self->app_key_current[f] = st == SECDEC_OK;
      }
      if (st == SECDEC_OK)
        st = secdec_crypto_session_set_content_key (self->device, self->sessions[f], k.kid,
            k.size, k.size ? k.wrapped : NULL);
    }
    if (st == SECDEC_OK) {
      if (self->app_keys == NULL)
        self->app_keys = g_array_new (FALSE, TRUE, sizeof (AppKey));
      g_array_append_val (self->app_keys, k);
      g_cond_broadcast (&self->cond);
    }
  }
  g_mutex_unlock (&self->lock);
  memset (&k, 0, sizeof k);
  GST_INFO_OBJECT (self, "add-content-key: %s", secdec_status_to_string (st));
  return st;
}

/* StartSessionKeyRefresh on the session of the stream's cipher family (the one
 * get-certificate and key-needed are about). Returns the 16-byte random, or NULL. */
static GBytes *
gst_secdecrypt_start_key_refresh (GstSecdecrypt * self)
{
  SecdecStatus st;
  guint8 random[SECDEC_KEY_SIZE];
  GBytes *res = NULL;
  gint f;

  g_mutex_lock (&self->lock);
  f = current_family (self);
  if (self->device == NULL || self->sessions[f] == NULL) {
    st = SECDEC_E_INVALIDCALL;  /* no session yet: nothing to refresh */
  } else {
    st = secdec_start_session_key_refresh (self->device, self->sessions[f], sizeof random,
        random);
    if (st == SECDEC_OK) {
      self->refresh_family = f;
      res = g_bytes_new (random, sizeof random);
    }
  }
  g_mutex_unlock (&self->lock);
  GST_INFO_OBJECT (self, "start-key-refresh: %s", secdec_status_to_string (st));
  return res;
}

/* FinishSessionKeyRefresh on the session the last start-key-refresh was for. */
static gint
gst_secdecrypt_finish_key_refresh (GstSecdecrypt * self)
{
  SecdecStatus st;
  gint f;

  g_mutex_lock (&self->lock);
  f = self->refresh_family;
  if (f < 0 || self->device == NULL || self->sessions[f] == NULL)
    st = SECDEC_E_INVALIDCALL;
  else
    st = secdec_finish_session_key_refresh (self->device, self->sessions[f]);
  self->refresh_family = -1;
  g_mutex_unlock (&self->lock);
  GST_INFO_OBJECT (self, "finish-key-refresh: %s", secdec_status_to_string (st));
  return st;
}

/* ---- GObject ------------------------------------------------------------------------------- */

static void
gst_secdecrypt_set_property (GObject * object, guint prop_id, const GValue * value,
    GParamSpec * pspec)
{
  GstSecdecrypt *self = GST_SECDECRYPT (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_LICENSE:
      g_free (self->license_path);
      self->license_path = g_value_dup_string (value);
      break;
    case PROP_KEYS:
      if (self->keys_spec) {
        memset (self->keys_spec, 0, strlen (self->keys_spec));
        g_free (self->keys_spec);
      }
      self->keys_spec = g_value_dup_string (value);
      break;
    case PROP_KEY_TIMEOUT:
      self->key_timeout = g_value_get_uint (value);
      break;
    case PROP_BACKEND:
      self->backend = g_value_get_enum (value);
      break;
    case PROP_HOME:
      g_free (self->home);
      self->home = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
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
gst_secdecrypt_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  GstSecdecrypt *self = GST_SECDECRYPT (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_LICENSE:
      g_value_set_string (value, self->license_path);
      break;
    case PROP_KEYS:
      /* write-only: keys are never read back */
      g_value_set_string (value, NULL);
      break;
    case PROP_KEY_TIMEOUT:
      g_value_set_uint (value, self->key_timeout);
      break;
    case PROP_BACKEND:
      g_value_set_enum (value, self->backend);
      break;
    case PROP_HOME:
      g_value_set_string (value, self->home);
      break;
    case PROP_PROTECTION_EVENTS:
      g_value_set_boxed (value, self->events);
      break;
    case PROP_DECRYPTED_SAMPLES:
      g_value_set_uint64 (value, self->n_decrypted);
      break;
    case PROP_CLEAR_SAMPLES:
      g_value_set_uint64 (value, self->n_clear);
      break;
    case PROP_DROPPED_SAMPLES:
      g_value_set_uint64 (value, self->n_dropped);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_secdecrypt_finalize (GObject * object)
{
  GstSecdecrypt *self = GST_SECDECRYPT (object);

  close_all_locked (self);
  g_ptr_array_unref (self->licenses);
  g_ptr_array_unref (self->retired);
  if (self->app_keys)
    g_array_unref (self->app_keys);
  if (self->context) {
    gst_context_unref (self->context);
    self->context = NULL;
  }
  g_free (self->license_path);
  if (self->keys_spec)
    memset (self->keys_spec, 0, strlen (self->keys_spec));
  g_free (self->keys_spec);
  g_free (self->home);
  g_free (self->last_key_source);
  g_clear_pointer (&self->events, gst_structure_free);
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
  self->key_timeout = DEFAULT_KEY_TIMEOUT;
  self->backend = GST_SECDEC_BACKEND_AUTO;
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
  gobject_class->get_property = gst_secdecrypt_get_property;
  gobject_class->finalize = gst_secdecrypt_finalize;

  g_object_class_install_property (gobject_class, PROP_LICENSE,
      g_param_spec_string ("license", "License file",
          "A secdec license file (from 'secdec-license issue') to load when a sample's KID "
          "has no key from the shared session or the license store", NULL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_KEYS,
      g_param_spec_string ("keys", "Clear content keys (testing only)",
          "FOR TESTING ONLY: clear content keys as \"KID:KEY[,KID:KEY...]\" (32 hex digits "
          "each) or the path of a W3C Clear Key JWK set file. They are issued as a license "
          "to this device in-process and loaded through the key exchange. Write-only",
          NULL, G_PARAM_WRITABLE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_KEY_TIMEOUT,
      g_param_spec_uint ("key-timeout", "Key timeout",
          "How long to wait (ms) for the application to provide a missing key after "
          "\"key-needed\" before failing; flushing and state changes end the wait", 0,
          G_MAXUINT, DEFAULT_KEY_TIMEOUT,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_BACKEND,
      g_param_spec_enum ("backend", "Backend",
          "secdec device backend for a device the element opens itself (not used with a "
          "shared secdec.session context)", GST_TYPE_SECDEC_BACKEND,
          GST_SECDEC_BACKEND_AUTO,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_HOME,
      g_param_spec_string ("home", "secdec home",
          "Directory of the device identity and license store for a device the element "
          "opens itself (NULL: $SECDEC_HOME, else $XDG_DATA_HOME/secdec)", NULL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_PROTECTION_EVENTS,
      g_param_spec_boxed ("protection-events", "Protection events",
          "The protection events received so far: a structure \"secdec-protection-events\" "
          "whose field \"events\" lists structures \"protection-event\" with system-id "
          "(string), origin (\"isobmff/moov\", \"isobmff/moof\", \"matroskademux\") and data "
          "(buffer: a whole pssh box, or a raw 16-byte KID from matroskademux)",
          GST_TYPE_STRUCTURE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_DECRYPTED_SAMPLES,
      g_param_spec_uint64 ("decrypted-samples", "Decrypted samples",
          "Samples decrypted since the element started", 0, G_MAXUINT64, 0,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_CLEAR_SAMPLES,
      g_param_spec_uint64 ("clear-samples", "Clear samples",
          "Clear samples (clear lead, unencrypted blocks) moved into protected memory since "
          "the element started", 0, G_MAXUINT64, 0,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_DROPPED_SAMPLES,
      g_param_spec_uint64 ("dropped-samples", "Dropped samples",
          "Samples of an encrypted track dropped because they arrived without encryption "
          "info that secdecrypt could resolve (and the samples after them up to the next "
          "keyframe), since the element started; each run is also posted as a warning",
          0, G_MAXUINT64, 0, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  /**
   * GstSecdecrypt::key-needed:
   * @kid: the KID (32 lower-case hex digits)
   *
   * A sample names a KID that no key source has. Emitted from the streaming thread; the
   * handler may provide the key right away (action signals, or the "keys"/"license"
   * properties); otherwise the element waits "key-timeout" ms.
   */
  signals[SIGNAL_KEY_NEEDED] = g_signal_new ("key-needed", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  /**
   * GstSecdecrypt::protection-event:
   * @system_id: protection system UUID, or "unspecified-system-id"
   * @data: the pssh box (qtdemux) or the raw KID (matroskademux)
   * @origin: where it came from
   */
  signals[SIGNAL_PROTECTION_EVENT] = g_signal_new ("protection-event",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 3,
      G_TYPE_STRING, GST_TYPE_BUFFER, G_TYPE_STRING);
  /**
   * GstSecdecrypt::get-certificate:
   *
   * Action signal (GetCertificate): the device certificate chain (DER), to send to the
   * license server. Returns NULL on failure.
   */
  signals[SIGNAL_GET_CERTIFICATE] = g_signal_new_class_handler ("get-certificate",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
      G_CALLBACK (gst_secdecrypt_get_certificate), NULL, NULL, NULL, G_TYPE_BYTES, 0);
  /**
   * GstSecdecrypt::negotiate-key-exchange:
   * @blob: 256 bytes: a 16-byte session key RSAES-OAEP-encrypted (SHA-512) to the
   *   certificate
   *
   * Action signal (NegotiateCryptoSessionKeyExchange). Returns a SecdecStatus (0 = OK).
   */
  signals[SIGNAL_NEGOTIATE_KEY_EXCHANGE] = g_signal_new_class_handler
      ("negotiate-key-exchange", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION, G_CALLBACK (gst_secdecrypt_negotiate), NULL, NULL,
      NULL, G_TYPE_INT, 1, G_TYPE_BYTES);
  /**
   * GstSecdecrypt::add-content-key:
   * @kid: 16-byte KID
   * @wrapped: the content key AES-128-ECB-encrypted with the negotiated session key (16
   *   bytes), or empty/NULL for a KID whose samples are clear
   *
   * Action signal (the DecoderBeginFrame content key). Returns a SecdecStatus (0 = OK);
   * wakes a stream waiting for this KID.
   */
  signals[SIGNAL_ADD_CONTENT_KEY] = g_signal_new_class_handler ("add-content-key",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
      G_CALLBACK (gst_secdecrypt_add_content_key), NULL, NULL, NULL, G_TYPE_INT, 2,
      G_TYPE_BYTES, G_TYPE_BYTES);
  /**
   * GstSecdecrypt::start-key-refresh:
   *
   * Action signal (StartSessionKeyRefresh) on the crypto session of the stream's cipher
   * family. Returns the 16-byte random number (GBytes), or NULL when there is no session or
   * no session key yet. The new session key is the old one XOR this number; it takes effect
   * at "finish-key-refresh". Content keys already installed stay valid; keys given to
   * "add-content-key" after the refresh must be wrapped with the refreshed session key
   * (unless "negotiate-key-exchange" installs a new session key first).
   */
  signals[SIGNAL_START_KEY_REFRESH] = g_signal_new_class_handler ("start-key-refresh",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
      G_CALLBACK (gst_secdecrypt_start_key_refresh), NULL, NULL, NULL, G_TYPE_BYTES, 0);
  /**
   * GstSecdecrypt::finish-key-refresh:
   *
   * Action signal (FinishSessionKeyRefresh): switches the session of the last
   * "start-key-refresh" to the refreshed key. Returns a SecdecStatus (0 = OK;
   * SECDEC_E_INVALIDCALL without a started refresh).
   */
  signals[SIGNAL_FINISH_KEY_REFRESH] = g_signal_new_class_handler ("finish-key-refresh",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
      G_CALLBACK (gst_secdecrypt_finish_key_refresh), NULL, NULL, NULL, G_TYPE_INT, 0);

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
