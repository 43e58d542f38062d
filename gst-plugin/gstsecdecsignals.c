/*
 * gstsecdecsignals.c - owns secdecrypt's signals: key-needed and protection-event, and the
 * action signals through which the application drives the Direct3D key flow itself
 * (get-certificate, negotiate-key-exchange, add-content-key, start/finish-key-refresh), with
 * the application's key exchange and wrapped keys kept to be replayed into sessions created
 * later.
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

/* What the application gave add-content-key, for sessions created later. */
typedef struct
{
  guint8 kid[SECDEC_KID_SIZE];
  guint8 wrapped[SECDEC_KEY_SIZE];
  guint32 size;                 /* 16, or 0 for a clear KID */
} AppKey;

void
gst_secdecrypt_emit_key_needed (GstSecdecrypt * self, const gchar * kidhex)
{
  g_signal_emit (self, signals[SIGNAL_KEY_NEEDED], 0, kidhex);
}

void
gst_secdecrypt_emit_protection_event (GstSecdecrypt * self, const gchar * system_id,
    GstBuffer * data, const gchar * origin)
{
  g_signal_emit (self, signals[SIGNAL_PROTECTION_EVENT], 0, system_id, data, origin);
}

/* The application's key exchange and wrapped keys into a new session. */
void
gst_secdecrypt_replay_app_keys_locked (GstSecdecrypt * self, SecdecCryptoSession * sess)
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

void
gst_secdecrypt_forget_app_keys_locked (GstSecdecrypt * self)
{
  g_clear_pointer (&self->app_blob, g_bytes_unref);
  if (self->app_keys) {
    memset (self->app_keys->data, 0, (gsize) self->app_keys->len * sizeof (AppKey));
    g_array_set_size (self->app_keys, 0);
  }
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
  st = gst_secdecrypt_get_session_locked (self, current_family (self), &sess);
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
  st = gst_secdecrypt_get_session_locked (self, current_family (self), &sess);
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

void
gst_secdecrypt_install_signals (GstSecdecryptClass * klass)
{
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
}
