/*
 * test_gst_elements.c - gst-check tests of the secdec elements: registration and protection
 * system selection, non-mappable protected memory, caps, decryption from GstProtectionMeta,
 * the WebM signal-byte fix, protection events, key-needed (message, signal, timeout, flush),
 * the Direct3D key exchange and session-key refresh driven through action signals, and VP9
 * decode.
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/video/video.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <string.h>

#include "gstsecdecmemory.h"
#include "gstsecdeccontext.h"
#include <secdec/decrypt.h>
#include <secdec/license.h>

static const guint8 KID[16] = { 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
  0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef
};
static const guint8 KEY[16] = { 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
  0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff
};

#define KIDHEX "0123456789abcdef0123456789abcdef"
#define KEYS_PROP KIDHEX ":00112233445566778899aabbccddeeff"
#define CENC_CAPS "application/x-cenc, original-media-type=(string)video/x-h264, " \
  "stream-format=(string)avc, alignment=(string)au, cipher-mode=(string)cenc"
#define WEBM_CAPS "application/x-webm-enc, original-media-type=(string)video/x-vp9, " \
  "encryption-algorithm=(string)AES, encoding-scope=(string)frame, cipher-mode=(string)CTR"

static gchar *tmp_home;

/* ---- helpers ----------------------------------------------------------------------------- */

/* AES-128-CTR over the encrypted ranges of subsamples (one keystream), 8-byte IV. */
static void
ctr_encrypt (guint8 * data, gsize size, const guint8 iv8[8], const guint32 * clear,
    const guint32 * enc, guint n)
{
  EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new ();
  guint8 iv[16] = { 0 };
  int outl;
  guint i;
  gsize off = 0;

  memcpy (iv, iv8, 8);
  fail_unless (EVP_EncryptInit_ex (c, EVP_aes_128_ctr (), NULL, KEY, iv) == 1);
  if (n == 0) {
    EVP_EncryptUpdate (c, data, &outl, data, (int) size);
  } else {
    for (i = 0; i < n; i++) {
      off += clear[i];
      EVP_EncryptUpdate (c, data + off, &outl, data + off, (int) enc[i]);
      off += enc[i];
    }
  }
  EVP_CIPHER_CTX_free (c);
}

static GstBuffer *
make_buffer (const guint8 * data, gsize size)
{
  return gst_buffer_new_memdup (data, size);
}

/* Attaches a meta like qtdemux's (cipher_mode != NULL) or matroskademux's (NULL). */
static void
add_meta (GstBuffer * buf, const guint8 kid[16], const guint8 iv8[8], const guint32 * clear,
    const guint32 * enc, guint n, const gchar * cipher_mode)
{
  GstStructure *s;
  GstBuffer *kb = gst_buffer_new_memdup (kid, 16), *ivb = gst_buffer_new_memdup (iv8, 8);
  guint i;

  s = gst_structure_new ("application/x-cenc", "iv_size", G_TYPE_UINT, 8,
      "encrypted", G_TYPE_BOOLEAN, TRUE, "kid", GST_TYPE_BUFFER, kb,
      "iv", GST_TYPE_BUFFER, ivb, "subsample_count", G_TYPE_UINT, n, NULL);
  if (cipher_mode)
    gst_structure_set (s, "cipher-mode", G_TYPE_STRING, cipher_mode, NULL);
  if (n) {
    guint8 *ss = g_malloc (6 * n);
    GstBuffer *sb;

    for (i = 0; i < n; i++) {
      guint8 *e = ss + 6 * i;   /* byte by byte: the GST_WRITE macros are unaligned (UBSan) */

      e[0] = (guint8) (clear[i] >> 8);
      e[1] = (guint8) clear[i];
      e[2] = (guint8) (enc[i] >> 24);
      e[3] = (guint8) (enc[i] >> 16);
      e[4] = (guint8) (enc[i] >> 8);
      e[5] = (guint8) enc[i];
    }
    sb = gst_buffer_new_wrapped (ss, 6 * n);
    gst_structure_set (s, "subsamples", GST_TYPE_BUFFER, sb, NULL);
    gst_buffer_unref (sb);
  }
  gst_buffer_add_protection_meta (buf, s);
  gst_buffer_unref (kb);
  gst_buffer_unref (ivb);
}

/* The clear bytes of an output buffer, through the decoder accessor. */
static gboolean
output_equals (GstBuffer * out, const guint8 * want, gsize size)
{
  GstMemory *mem = gst_secdec_buffer_peek_memory (out);
  const guint8 *d;
  gsize s, i;

  if (mem == NULL || !gst_secdec_memory_map_for_decode (mem, &d, &s) || s != size)
    return FALSE;
  for (i = 0; i < SECDEC_PROTECTED_BUFFER_PADDING; i++)
    if (d[size + i] != 0)
      return FALSE;
  return memcmp (d, want, size) == 0;
}

static GstHarness *
new_decrypt_harness (const gchar * caps)
{
  GstHarness *h = gst_harness_new ("secdecrypt");

  g_object_set (h->element, "home", tmp_home, NULL);
  gst_harness_set_src_caps_str (h, caps);
  return h;
}

/* ---- registration and protection-system selection ---------------------------------------- */

GST_START_TEST (test_registry)
{
  const gchar *ids_secdec[] = { "8f8fcaac-0ce0-463e-8b43-b7abf7822a5d", NULL };
  const gchar *ids_common[] = { "edef8ba9-79d6-4ace-a3c8-27dcd51d21ed",
    "1077efec-c0b2-4d02-ace3-3c1e52e2fb4b", NULL
  };
  const gchar *ids_other[] = { "edef8ba9-79d6-4ace-a3c8-27dcd51d21ed", NULL };
  GstElementFactory *f;
  const gchar *names[] = { "secdech264dec", "secdech265dec", "secdecvp9dec" };
  guint i;

  f = gst_element_factory_find ("secdecrypt");
  fail_unless (f != NULL);
  fail_unless (strstr (gst_element_factory_get_metadata (f, GST_ELEMENT_METADATA_KLASS),
          "Decryptor") != NULL);
  fail_unless (gst_plugin_feature_get_rank (GST_PLUGIN_FEATURE (f)) >= GST_RANK_MARGINAL);
  fail_unless (gst_element_factory_list_is_type (f, GST_ELEMENT_FACTORY_TYPE_DECRYPTOR));
  gst_object_unref (f);

  fail_unless_equals_string (gst_protection_select_system (ids_secdec), ids_secdec[0]);
  fail_unless_equals_string (gst_protection_select_system (ids_common), ids_common[1]);
  fail_unless (gst_protection_select_system (ids_other) == NULL);

  for (i = 0; i < G_N_ELEMENTS (names); i++) {
    f = gst_element_factory_find (names[i]);
    fail_unless (f != NULL, "%s missing", names[i]);
    fail_unless_equals_string (gst_element_factory_get_metadata (f,
            GST_ELEMENT_METADATA_KLASS), "Codec/Decoder/Video");
    fail_unless (gst_plugin_feature_get_rank (GST_PLUGIN_FEATURE (f)) > GST_RANK_PRIMARY);
    gst_object_unref (f);
  }
}

GST_END_TEST;

/* ---- protected memory --------------------------------------------------------------------- */

GST_START_TEST (test_memory_not_mappable)
{
  SecdecDeviceSettings st;
  SecdecDevice *dev = NULL;
  SecdecCryptoSession *sess = NULL;
  SecdecProtectedBuffer *pb = NULL;
  guint8 sample[100];
  GstMemory *mem;
  GstBuffer *buf;
  GstMapInfo map;

  secdec_device_default_settings (&st);
  st.home_dir = tmp_home;
  fail_unless_equals_int (secdec_device_open (&dev, &st), SECDEC_OK);
  fail_unless_equals_int (secdec_create_crypto_session (dev, &SECDEC_CRYPTO_TYPE_AES128_CTR,
          NULL, &SECDEC_KEY_EXCHANGE_RSAES_OAEP, &sess), SECDEC_OK);
  RAND_bytes (sample, sizeof sample);
  fail_unless_equals_int (secdec_decrypt_sample (dev, sess, NULL, sample, sizeof sample, &pb),
      SECDEC_OK);
  mem = gst_secdec_memory_new (pb);
  fail_unless (gst_is_secdec_memory (mem));
  fail_unless_equals_int ((int) gst_memory_get_sizes (mem, NULL, NULL), sizeof sample);
  fail_if (gst_memory_map (mem, &map, GST_MAP_READ));
  fail_if (gst_memory_map (mem, &map, GST_MAP_WRITE));
  fail_unless (gst_memory_copy (mem, 0, -1) == NULL);
  buf = gst_buffer_new ();
  gst_buffer_append_memory (buf, mem);
  fail_if (gst_buffer_map (buf, &map, GST_MAP_READ));
  fail_unless (output_equals (buf, sample, sizeof sample));
  gst_buffer_unref (buf);       /* releases the protected buffer */
  secdec_crypto_session_destroy (&sess);
  secdec_device_close (&dev);
}

GST_END_TEST;

/* ---- caps ----------------------------------------------------------------------------------- */

GST_START_TEST (test_caps)
{
  GstElement *e = gst_element_factory_make ("secdecrypt", NULL);
  GstPad *sink = gst_element_get_static_pad (e, "sink");
  GstPad *src = gst_element_get_static_pad (e, "src");
  GstCaps *in = gst_caps_from_string (CENC_CAPS ", protection-system=(string)"
      "1077efec-c0b2-4d02-ace3-3c1e52e2fb4b, width=(int)320");
  GstCaps *want = gst_caps_from_string ("video/x-h264(memory:SecDecProtected), "
      "stream-format=(string)avc, alignment=(string)au, width=(int)320");
  GstCaps *tmpl, *out;

  fail_unless (gst_pad_query_accept_caps (sink, in));
  tmpl = gst_pad_get_pad_template_caps (src);
  fail_unless (gst_caps_features_contains (gst_caps_get_features (tmpl, 0),
          GST_CAPS_FEATURE_MEMORY_SECDEC_PROTECTED));
  gst_caps_unref (tmpl);
  /* transform sink->src through the element's caps query on the src pad */
  {
    GstHarness *h = gst_harness_new_with_element (e, "sink", "src");
    GstEvent *ev;

    g_object_set (e, "home", tmp_home, NULL);
    gst_harness_set_src_caps (h, gst_caps_ref (in));
    gst_harness_play (h);
    /* drain events up to caps */
    while ((ev = gst_harness_try_pull_event (h))) {
      if (GST_EVENT_TYPE (ev) == GST_EVENT_CAPS) {
        gst_event_parse_caps (ev, &out);
        fail_unless (gst_caps_is_equal (out, want), "got %" GST_PTR_FORMAT, out);
        gst_event_unref (ev);
        break;
      }
      gst_event_unref (ev);
    }
    gst_harness_teardown (h);
  }
  /* stock H.264 caps without the feature are not producible */
  {
    GstCaps *plain = gst_caps_from_string ("video/x-h264");

    fail_if (gst_caps_can_intersect (plain, gst_static_caps_get (&(GstStaticCaps)
                GST_STATIC_CAPS ("video/x-h264(memory:SecDecProtected)"))));
    gst_caps_unref (plain);
  }
  gst_caps_unref (in);
  gst_caps_unref (want);
  gst_object_unref (sink);
  gst_object_unref (src);
}

GST_END_TEST;

/* ---- decryption from GstProtectionMeta ----------------------------------------------------- */

GST_START_TEST (test_decrypt_cenc_meta)
{
  GstHarness *h = new_decrypt_harness (CENC_CAPS);
  guint8 clear[1000], data[1000];
  const guint8 iv[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
  const guint32 c[2] = { 5, 300 }, n[2] = { 400, 295 };
  GstBuffer *in, *out;
  guint64 dec = 0, clr = 0;

  g_object_set (h->element, "keys", KEYS_PROP, NULL);
  RAND_bytes (clear, sizeof clear);
  memcpy (data, clear, sizeof data);
  ctr_encrypt (data, sizeof data, iv, c, n, 2);
  fail_if (memcmp (data, clear, sizeof data) == 0);

  /* encrypted sample */
  in = make_buffer (data, sizeof data);
  GST_BUFFER_PTS (in) = 42;
  add_meta (in, KID, iv, c, n, 2, "cenc");
  out = gst_harness_push_and_pull (h, in);
  fail_unless (out != NULL);
  fail_unless_equals_uint64 (GST_BUFFER_PTS (out), 42);
  fail_unless (gst_buffer_get_protection_meta (out) == NULL);
  fail_unless (output_equals (out, clear, sizeof clear));
  gst_buffer_unref (out);

  /* clear sample (clear lead: meta with encrypted=false): copied into protected memory */
  in = make_buffer (clear, 100);
  GST_BUFFER_PTS (in) = 10;
  gst_buffer_add_protection_meta (in, gst_structure_new ("application/x-cenc",
          "encrypted", G_TYPE_BOOLEAN, FALSE, NULL));
  out = gst_harness_push_and_pull (h, in);
  fail_unless (output_equals (out, clear, 100));
  gst_buffer_unref (out);

  /* the encrypted sample again without meta (qtdemux after a seek back): its info is the
   * one seen at (PTS 42, 1000 bytes) */
  in = make_buffer (data, sizeof data);
  GST_BUFFER_PTS (in) = 42;
  out = gst_harness_push_and_pull (h, in);
  fail_unless (out != NULL);
  fail_unless (output_equals (out, clear, sizeof clear));
  gst_buffer_unref (out);

  /* a sample never seen, without meta: dropped, never passed on as clear; so is the delta
   * frame after it, even with meta; the next keyframe with meta resumes */
  {
    guint64 dropped = 0;

    in = make_buffer (data, sizeof data);
    GST_BUFFER_PTS (in) = 77;
    GST_BUFFER_FLAG_SET (in, GST_BUFFER_FLAG_DELTA_UNIT);
    fail_unless_equals_int (gst_harness_push (h, in), GST_FLOW_OK);
    in = make_buffer (data, sizeof data);
    GST_BUFFER_PTS (in) = 78;
    GST_BUFFER_FLAG_SET (in, GST_BUFFER_FLAG_DELTA_UNIT);
    add_meta (in, KID, iv, c, n, 2, "cenc");
    fail_unless_equals_int (gst_harness_push (h, in), GST_FLOW_OK);
    fail_unless (gst_harness_try_pull (h) == NULL);
    g_object_get (h->element, "dropped-samples", &dropped, NULL);
    fail_unless_equals_uint64 (dropped, 2);
    in = make_buffer (data, sizeof data);
    GST_BUFFER_PTS (in) = 79;
    add_meta (in, KID, iv, c, n, 2, "cenc");
    out = gst_harness_push_and_pull (h, in);
    fail_unless (output_equals (out, clear, sizeof clear));
    fail_unless_equals_uint64 (GST_BUFFER_PTS (out), 79);
    gst_buffer_unref (out);
  }

  g_object_get (h->element, "decrypted-samples", &dec, "clear-samples", &clr, NULL);
  fail_unless_equals_uint64 (dec, 3);
  fail_unless_equals_uint64 (clr, 1);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_webm)
{
  GstHarness *h = new_decrypt_harness (WEBM_CAPS);
  guint8 clear[500], data[501];
  const guint8 iv[8] = { 0xa0, 0, 0, 0, 0, 0, 0, 1 };
  GstBuffer *in, *out;
  GstStructure *events = NULL;
  const GValue *list;
  GstBuffer *kidbuf = gst_buffer_new_memdup (KID, 16);

  g_object_set (h->element, "keys", KEYS_PROP, NULL);
  RAND_bytes (clear, sizeof clear);
  clear[0] = 0x82;              /* a VP9 frame marker */

  /* matroskademux's protection event: raw KID, unspecified system */
  gst_harness_push_event (h, gst_event_new_protection ("unspecified-system-id", kidbuf,
          "matroskademux"));
  gst_buffer_unref (kidbuf);

  /* encrypted block: full-sample CTR, meta without cipher-mode */
  memcpy (data, clear, sizeof clear);
  ctr_encrypt (data, sizeof clear, iv, NULL, NULL, 0);
  in = make_buffer (data, sizeof clear);
  add_meta (in, KID, iv, NULL, NULL, 0, NULL);
  out = gst_harness_push_and_pull (h, in);
  fail_unless (output_equals (out, clear, sizeof clear));
  gst_buffer_unref (out);

  /* clear block of an encrypted track: matroskademux 1.22 leaves the 0x00 signal byte */
  data[0] = 0x00;
  memcpy (data + 1, clear, sizeof clear);
  out = gst_harness_push_and_pull (h, make_buffer (data, sizeof data));
  fail_unless (output_equals (out, clear, sizeof clear), "signal byte not stripped");
  gst_buffer_unref (out);

  g_object_get (h->element, "protection-events", &events, NULL);
  fail_unless (events != NULL);
  list = gst_structure_get_value (events, "events");
  fail_unless_equals_int (gst_value_list_get_size (list), 1);
  {
    const GstStructure *ev = gst_value_get_structure (gst_value_list_get_value (list, 0));

    fail_unless_equals_string (gst_structure_get_string (ev, "system-id"),
        "unspecified-system-id");
    fail_unless_equals_string (gst_structure_get_string (ev, "origin"), "matroskademux");
  }
  gst_structure_free (events);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_corrupt_meta)
{
  GstHarness *h = new_decrypt_harness (CENC_CAPS);
  guint8 data[100] = { 0 };
  const guint8 iv[8] = { 0 };
  const guint32 c[1] = { 10 }, n[1] = { 95 };   /* 105 != 100 */
  GstBuffer *in;
  GstBus *bus = gst_bus_new ();
  GstMessage *msg;
  GError *err = NULL;

  gst_element_set_bus (h->element, bus);
  g_object_set (h->element, "keys", KEYS_PROP, NULL);
  in = make_buffer (data, sizeof data);
  add_meta (in, KID, iv, c, n, 1, "cenc");
  fail_unless_equals_int (gst_harness_push (h, in), GST_FLOW_ERROR);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL);
  gst_message_parse_error (msg, &err, NULL);
  fail_unless (g_error_matches (err, GST_STREAM_ERROR, GST_STREAM_ERROR_DECRYPT));
  fail_unless (strstr (err->message, "Corrupt encryption metadata") != NULL, "%s",
      err->message);
  g_error_free (err);
  gst_message_unref (msg);
  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* ---- missing keys ---------------------------------------------------------------------------- */

static gint key_needed_count;
static gchar *key_needed_kid;

static void
on_key_needed (GstElement * e, const gchar * kid, gpointer user_data)
{
  g_atomic_int_inc (&key_needed_count);
  g_free (key_needed_kid);
  key_needed_kid = g_strdup (kid);
}

GST_START_TEST (test_key_timeout)
{
  GstHarness *h = new_decrypt_harness (CENC_CAPS);
  guint8 data[100] = { 0 };
  const guint8 iv[8] = { 0 };
  GstBuffer *in;
  GstBus *bus = gst_bus_new ();
  GstMessage *msg;
  GError *err = NULL;
  gchar *dbg = NULL;
  gint64 t0;

  key_needed_count = 0;
  gst_element_set_bus (h->element, bus);
  g_object_set (h->element, "key-timeout", 200, NULL);
  g_signal_connect (h->element, "key-needed", G_CALLBACK (on_key_needed), NULL);
  in = make_buffer (data, sizeof data);
  add_meta (in, KID, iv, NULL, NULL, 0, "cenc");
  t0 = g_get_monotonic_time ();
  fail_unless_equals_int (gst_harness_push (h, in), GST_FLOW_ERROR);
  fail_unless (g_get_monotonic_time () - t0 >= 190 * 1000);
  fail_unless_equals_int (key_needed_count, 1);
  fail_unless_equals_string (key_needed_kid, KIDHEX);

  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT);
  fail_unless (msg != NULL);
  fail_unless (gst_message_has_name (msg, "secdec-key-needed"));
  fail_unless_equals_string (gst_structure_get_string (gst_message_get_structure (msg),
          "kid"), KIDHEX);
  gst_message_unref (msg);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL);
  gst_message_parse_error (msg, &err, &dbg);
  fail_unless (g_error_matches (err, GST_STREAM_ERROR, GST_STREAM_ERROR_DECRYPT_NOKEY));
  fail_unless (strstr (err->message, KIDHEX) != NULL, "%s", err->message);
  g_error_free (err);
  g_free (dbg);
  gst_message_unref (msg);
  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);
}

GST_END_TEST;

typedef struct
{
  GstHarness *h;
  GstBuffer *buf;
  GstFlowReturn ret;
} PushCtx;

static gpointer
push_thread (gpointer data)
{
  PushCtx *p = data;

  p->ret = gst_harness_push (p->h, p->buf);
  return NULL;
}

GST_START_TEST (test_flush_cancels_wait)
{
  GstHarness *h = new_decrypt_harness (CENC_CAPS);
  guint8 data[100] = { 0 };
  const guint8 iv[8] = { 0 };
  PushCtx p = { h, NULL, GST_FLOW_OK };
  GThread *t;
  gint64 t0;

  key_needed_count = 0;
  g_object_set (h->element, "key-timeout", 60000, NULL);
  g_signal_connect (h->element, "key-needed", G_CALLBACK (on_key_needed), NULL);
  p.buf = make_buffer (data, sizeof data);
  add_meta (p.buf, KID, iv, NULL, NULL, 0, "cenc");
  t0 = g_get_monotonic_time ();
  t = g_thread_new ("push", push_thread, &p);
  while (g_atomic_int_get (&key_needed_count) == 0)
    g_usleep (1000);
  g_usleep (50 * 1000);
  fail_unless (gst_harness_push_event (h, gst_event_new_flush_start ()));
  g_thread_join (t);
  fail_unless_equals_int (p.ret, GST_FLOW_FLUSHING);
  fail_unless (g_get_monotonic_time () - t0 < 10 * G_USEC_PER_SEC);
  gst_harness_push_event (h, gst_event_new_flush_stop (TRUE));

  /* a state change ends the wait too */
  key_needed_count = 0;
  p.buf = make_buffer (data, sizeof data);
  add_meta (p.buf, KID, iv, NULL, NULL, 0, "cenc");
  gst_harness_push_event (h, gst_event_new_segment (&(GstSegment) {
          .format = GST_FORMAT_TIME,.rate = 1.0,.applied_rate = 1.0,.stop = -1,.duration =
          -1}));
  t = g_thread_new ("push", push_thread, &p);
  while (g_atomic_int_get (&key_needed_count) == 0)
    g_usleep (1000);
  gst_element_set_state (h->element, GST_STATE_READY);
  g_thread_join (t);
  fail_unless_equals_int (p.ret, GST_FLOW_FLUSHING);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* ---- the Direct3D flow through action signals ----------------------------------------------- */

static void
app_provide_key (GstElement * e)
{
  GBytes *cert = NULL, *blob, *kid, *wrapped;
  const guint8 *cd;
  gsize cs;
  X509 *x;
  EVP_PKEY *pk;
  EVP_PKEY_CTX *pc;
  guint8 session_key[16], out[256], wk[16];
  size_t outlen = sizeof out;
  EVP_CIPHER_CTX *c;
  int l;
  gint st = -1;

  g_signal_emit_by_name (e, "get-certificate", &cert);
  fail_unless (cert != NULL);
  cd = g_bytes_get_data (cert, &cs);
  x = d2i_X509 (NULL, &cd, (long) cs);
  fail_unless (x != NULL);
  pk = X509_get_pubkey (x);
  RAND_bytes (session_key, sizeof session_key);
  pc = EVP_PKEY_CTX_new (pk, NULL);
  fail_unless (EVP_PKEY_encrypt_init (pc) == 1);
  EVP_PKEY_CTX_set_rsa_padding (pc, RSA_PKCS1_OAEP_PADDING);
  EVP_PKEY_CTX_set_rsa_oaep_md (pc, EVP_sha512 ());
  EVP_PKEY_CTX_set_rsa_mgf1_md (pc, EVP_sha512 ());
  fail_unless (EVP_PKEY_encrypt (pc, out, &outlen, session_key, sizeof session_key) == 1);
  fail_unless_equals_int ((int) outlen, 256);
  blob = g_bytes_new (out, outlen);
  g_signal_emit_by_name (e, "negotiate-key-exchange", blob, &st);
  fail_unless_equals_int (st, SECDEC_OK);

  c = EVP_CIPHER_CTX_new ();
  EVP_EncryptInit_ex (c, EVP_aes_128_ecb (), NULL, session_key, NULL);
  EVP_CIPHER_CTX_set_padding (c, 0);
  EVP_EncryptUpdate (c, wk, &l, KEY, 16);
  EVP_CIPHER_CTX_free (c);
  kid = g_bytes_new (KID, 16);
  wrapped = g_bytes_new (wk, 16);
  st = -1;
  g_signal_emit_by_name (e, "add-content-key", kid, wrapped, &st);
  fail_unless_equals_int (st, SECDEC_OK);

  g_bytes_unref (kid);
  g_bytes_unref (wrapped);
  g_bytes_unref (blob);
  g_bytes_unref (cert);
  EVP_PKEY_CTX_free (pc);
  EVP_PKEY_free (pk);
  X509_free (x);
}

static gpointer
app_thread (gpointer e)
{
  g_usleep (100 * 1000);        /* the stream is waiting by now */
  app_provide_key (e);
  return NULL;
}

static GThread *app_t;

static void
on_key_needed_start_app (GstElement * e, const gchar * kid, gpointer user_data)
{
  on_key_needed (e, kid, NULL);
  app_t = g_thread_new ("app", app_thread, e);
}

GST_START_TEST (test_app_key_exchange)
{
  GstHarness *h = new_decrypt_harness (CENC_CAPS);
  guint8 clear[300], data[300];
  const guint8 iv[8] = { 9, 9, 9, 9, 0, 0, 0, 0 };
  GstBuffer *in, *out;
  gint64 t0;
  gint st = 0;
  GBytes *bad = g_bytes_new_static ("x", 1);

  /* malformed calls are refused */
  g_signal_emit_by_name (h->element, "negotiate-key-exchange", bad, &st);
  fail_unless_equals_int (st, SECDEC_E_INVALIDARG);
  g_bytes_unref (bad);

  key_needed_count = 0;
  g_object_set (h->element, "key-timeout", 10000, NULL);
  g_signal_connect (h->element, "key-needed", G_CALLBACK (on_key_needed_start_app), NULL);
  RAND_bytes (clear, sizeof clear);
  memcpy (data, clear, sizeof data);
  ctr_encrypt (data, sizeof data, iv, NULL, NULL, 0);
  in = make_buffer (data, sizeof data);
  add_meta (in, KID, iv, NULL, NULL, 0, "cenc");
  t0 = g_get_monotonic_time ();
  out = gst_harness_push_and_pull (h, in);
  fail_unless (g_get_monotonic_time () - t0 < 5 * G_USEC_PER_SEC);
  g_thread_join (app_t);
  fail_unless_equals_int (key_needed_count, 1);
  fail_unless (out != NULL);
  fail_unless (output_equals (out, clear, sizeof clear));
  gst_buffer_unref (out);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* ---- session-key refresh through action signals -------------------------------------------- */

/* Negotiates a fresh session key through the action signals; returns it in session_key. */
static void
app_negotiate (GstElement * e, guint8 session_key[16])
{
  GBytes *cert = NULL, *blob;
  const guint8 *cd;
  gsize cs;
  X509 *x;
  EVP_PKEY *pk;
  EVP_PKEY_CTX *pc;
  guint8 out[256];
  size_t outlen = sizeof out;
  gint st = -1;

  g_signal_emit_by_name (e, "get-certificate", &cert);
  fail_unless (cert != NULL);
  cd = g_bytes_get_data (cert, &cs);
  x = d2i_X509 (NULL, &cd, (long) cs);
  fail_unless (x != NULL);
  pk = X509_get_pubkey (x);
  RAND_bytes (session_key, 16);
  pc = EVP_PKEY_CTX_new (pk, NULL);
  fail_unless (EVP_PKEY_encrypt_init (pc) == 1);
  EVP_PKEY_CTX_set_rsa_padding (pc, RSA_PKCS1_OAEP_PADDING);
  EVP_PKEY_CTX_set_rsa_oaep_md (pc, EVP_sha512 ());
  EVP_PKEY_CTX_set_rsa_mgf1_md (pc, EVP_sha512 ());
  fail_unless (EVP_PKEY_encrypt (pc, out, &outlen, session_key, 16) == 1);
  blob = g_bytes_new (out, outlen);
  g_signal_emit_by_name (e, "negotiate-key-exchange", blob, &st);
  fail_unless_equals_int (st, SECDEC_OK);
  g_bytes_unref (blob);
  g_bytes_unref (cert);
  EVP_PKEY_CTX_free (pc);
  EVP_PKEY_free (pk);
  X509_free (x);
}

/* add-content-key with the key AES-128-ECB-wrapped under wrap_key */
static gint
app_add_key (GstElement * e, const guint8 kid[16], const guint8 key[16], const guint8 wrap_key[16])
{
  EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new ();
  guint8 wk[16];
  int l;
  gint st = -1;
  GBytes *kb, *wb;

  EVP_EncryptInit_ex (c, EVP_aes_128_ecb (), NULL, wrap_key, NULL);
  EVP_CIPHER_CTX_set_padding (c, 0);
  EVP_EncryptUpdate (c, wk, &l, key, 16);
  EVP_CIPHER_CTX_free (c);
  kb = g_bytes_new (kid, 16);
  wb = g_bytes_new (wk, 16);
  g_signal_emit_by_name (e, "add-content-key", kb, wb, &st);
  g_bytes_unref (kb);
  g_bytes_unref (wb);
  return st;
}

/* pushes a whole-sample 'cenc' sample of kid encrypted with key; TRUE if it decrypts */
static gboolean
push_sample_decrypts (GstHarness * h, const guint8 kid[16], const guint8 key[16])
{
  guint8 clear[256], data[256], iv[16] = { 0 };
  EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new ();
  GstBuffer *in, *out;
  gboolean ok;
  int l;

  RAND_bytes (clear, sizeof clear);
  RAND_bytes (iv, 8);
  EVP_EncryptInit_ex (c, EVP_aes_128_ctr (), NULL, key, iv);
  EVP_EncryptUpdate (c, data, &l, clear, sizeof clear);
  EVP_CIPHER_CTX_free (c);
  in = make_buffer (data, sizeof data);
  add_meta (in, kid, iv, NULL, NULL, 0, "cenc");
  out = gst_harness_push_and_pull (h, in);
  fail_unless (out != NULL);
  ok = output_equals (out, clear, sizeof clear);
  gst_buffer_unref (out);
  return ok;
}

GST_START_TEST (test_app_key_refresh)
{
  static const guint8 KID2[16] = { 0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10,
    0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10
  };
  static const guint8 KEY2[16] = { 0xff, 0xee, 0xdd, 0xcc, 0xbb, 0xaa, 0x99, 0x88,
    0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 0x00
  };
  GstHarness *h = new_decrypt_harness (CENC_CAPS);
  guint8 session_key[16], refreshed[16];
  const guint8 *r;
  GBytes *random = NULL;
  gsize rs = 0;
  gint st = 0, i;

  g_object_set (h->element, "key-timeout", 0, NULL);
  /* nothing to refresh before a session key exists */
  g_signal_emit_by_name (h->element, "start-key-refresh", &random);
  fail_unless (random == NULL);
  g_signal_emit_by_name (h->element, "finish-key-refresh", &st);
  fail_unless_equals_int (st, SECDEC_E_INVALIDCALL);

  app_negotiate (h->element, session_key);
  fail_unless_equals_int (app_add_key (h->element, KID, KEY, session_key), SECDEC_OK);
  fail_unless (push_sample_decrypts (h, KID, KEY));

  /* StartSessionKeyRefresh / FinishSessionKeyRefresh */
  g_signal_emit_by_name (h->element, "start-key-refresh", &random);
  fail_unless (random != NULL);
  r = g_bytes_get_data (random, &rs);
  fail_unless_equals_int ((gint) rs, 16);
  for (i = 0; i < 16; i++)
    refreshed[i] = session_key[i] ^ r[i];
  g_bytes_unref (random);
  st = -1;
  g_signal_emit_by_name (h->element, "finish-key-refresh", &st);
  fail_unless_equals_int (st, SECDEC_OK);
  /* a second finish has nothing to finish */
  g_signal_emit_by_name (h->element, "finish-key-refresh", &st);
  fail_unless_equals_int (st, SECDEC_E_INVALIDCALL);

  /* the content key installed before the refresh stays valid */
  fail_unless (push_sample_decrypts (h, KID, KEY));
  /* keys added after the refresh are wrapped with the refreshed session key */
  fail_unless_equals_int (app_add_key (h->element, KID2, KEY2, refreshed), SECDEC_OK);
  fail_unless (push_sample_decrypts (h, KID2, KEY2));
  fail_unless (push_sample_decrypts (h, KID, KEY));

  /* a new key exchange replaces the refreshed session key */
  app_negotiate (h->element, session_key);
  fail_unless_equals_int (app_add_key (h->element, KID2, KEY2, session_key), SECDEC_OK);
  fail_unless (push_sample_decrypts (h, KID2, KEY2));
  gst_harness_teardown (h);
}

GST_END_TEST;

/* ---- VP9: secdecrypt ! secdecvp9dec against avdec_vp9 ---------------------------------------- */

static GPtrArray *
collect (const gchar * desc, GstCaps ** caps_out)
{
  GError *err = NULL;
  GstElement *p = gst_parse_launch (desc, &err);
  GstElement *sink;
  GPtrArray *arr = g_ptr_array_new_with_free_func ((GDestroyNotify) gst_sample_unref);
  GstSample *s;

  fail_unless (p != NULL, "%s", err ? err->message : "?");
  sink = gst_bin_get_by_name (GST_BIN (p), "sink");
  g_object_set (sink, "sync", FALSE, NULL);
  gst_element_set_state (p, GST_STATE_PLAYING);
  while ((s = gst_app_sink_try_pull_sample (GST_APP_SINK (sink), 30 * GST_SECOND)))
    g_ptr_array_add (arr, s);
  fail_unless (gst_app_sink_is_eos (GST_APP_SINK (sink)));
  if (caps_out && arr->len)
    *caps_out = gst_caps_ref (gst_sample_get_caps (g_ptr_array_index (arr, 0)));
  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (sink);
  gst_object_unref (p);
  return arr;
}

static gchar *
frame_md5 (GstSample * s)
{
  GstVideoInfo info;
  GstVideoFrame vf;
  GChecksum *md5 = g_checksum_new (G_CHECKSUM_MD5);
  gchar *r;
  guint p, y;

  fail_unless (gst_video_info_from_caps (&info, gst_sample_get_caps (s)));
  fail_unless (gst_video_frame_map (&vf, &info, gst_sample_get_buffer (s), GST_MAP_READ));
  for (p = 0; p < GST_VIDEO_FRAME_N_PLANES (&vf); p++)
    for (y = 0; y < (guint) GST_VIDEO_FRAME_COMP_HEIGHT (&vf, p); y++)
      g_checksum_update (md5, (guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&vf, p) +
          (gsize) y * GST_VIDEO_FRAME_PLANE_STRIDE (&vf, p),
          (gsize) GST_VIDEO_FRAME_COMP_WIDTH (&vf, p) * GST_VIDEO_FRAME_COMP_PSTRIDE (&vf, p));
  gst_video_frame_unmap (&vf);
  r = g_strdup (g_checksum_get_string (md5));
  g_checksum_free (md5);
  return r;
}

GST_START_TEST (test_vp9_decode)
{
  gchar *webm = g_build_filename (tmp_home, "clear.webm", NULL);
  gchar *cmd, *desc;
  gint status = -1;
  GPtrArray *frames, *ref, *out;
  GstCaps *vp9caps = NULL;
  GstElement *p, *src, *sink;
  GError *err = NULL;
  guint i;
  GstSample *s;

  cmd = g_strdup_printf ("ffmpeg -nostdin -v error -y -f lavfi -i "
      "testsrc2=size=320x240:rate=30 -t 1 -c:v libvpx-vp9 -deadline realtime -cpu-used 8 "
      "-g 10 %s", webm);
  if (!g_spawn_command_line_sync (cmd, NULL, NULL, &status, NULL) || status != 0) {
    g_free (cmd);
    g_free (webm);
    g_print ("SKIP: ffmpeg with libvpx-vp9 not available: VP9 test skipped\n");
    return;
  }
  g_free (cmd);

  desc = g_strdup_printf ("filesrc location=%s ! matroskademux ! appsink name=sink", webm);
  frames = collect (desc, &vp9caps);
  g_free (desc);
  desc = g_strdup_printf ("filesrc location=%s ! matroskademux ! avdec_vp9 ! "
      "appsink name=sink", webm);
  ref = collect (desc, NULL);
  g_free (desc);
  fail_unless_equals_int (frames->len, 30);
  fail_unless_equals_int (ref->len, 30);

  /* What matroskademux 1.22 outputs for an encrypted WebM track: application/x-webm-enc
   * caps, encrypted blocks with a meta (no cipher-mode, 8-byte IV, whole frame), clear
   * blocks without meta and with the 0x00 signal byte still in front. */
  p = gst_parse_launch ("appsrc name=src format=time ! secdecrypt name=d ! secdecvp9dec ! "
      "appsink name=sink", &err);
  fail_unless (p != NULL);
  src = gst_bin_get_by_name (GST_BIN (p), "src");
  sink = gst_bin_get_by_name (GST_BIN (p), "sink");
  {
    GstCaps *c = gst_caps_copy (vp9caps);
    GstStructure *st = gst_caps_get_structure (c, 0);

    gst_structure_set_name (st, "application/x-webm-enc");
    gst_structure_set (st, "original-media-type", G_TYPE_STRING, "video/x-vp9",
        "encryption-algorithm", G_TYPE_STRING, "AES", "encoding-scope", G_TYPE_STRING,
        "frame", "cipher-mode", G_TYPE_STRING, "CTR", NULL);
    g_object_set (src, "caps", c, NULL);
    gst_caps_unref (c);
  }
  {
    GstElement *d = gst_bin_get_by_name (GST_BIN (p), "d");

    g_object_set (d, "keys", KEYS_PROP, "home", tmp_home, NULL);
    gst_object_unref (d);
  }
  g_object_set (sink, "sync", FALSE, NULL);
  gst_element_set_state (p, GST_STATE_PLAYING);
  for (i = 0; i < frames->len; i++) {
    GstBuffer *b = gst_sample_get_buffer (g_ptr_array_index (frames, i));
    GstMapInfo m;
    GstBuffer *nb;
    guint8 iv[8] = { 0xa0, 0, 0, 0, 0, 0, 0, (guint8) i };

    gst_buffer_map (b, &m, GST_MAP_READ);
    if (i % 3 == 1) {
      guint8 *d = g_malloc (m.size + 1);

      d[0] = 0x00;
      memcpy (d + 1, m.data, m.size);
      nb = gst_buffer_new_wrapped (d, m.size + 1);
    } else {
      guint8 *d = g_memdup2 (m.data, m.size);

      ctr_encrypt (d, m.size, iv, NULL, NULL, 0);
      nb = gst_buffer_new_wrapped (d, m.size);
      add_meta (nb, KID, iv, NULL, NULL, 0, NULL);
    }
    gst_buffer_unmap (b, &m);
    gst_buffer_copy_into (nb, b, GST_BUFFER_COPY_TIMESTAMPS | GST_BUFFER_COPY_FLAGS, 0, -1);
    fail_unless_equals_int (gst_app_src_push_buffer (GST_APP_SRC (src), nb), GST_FLOW_OK);
  }
  gst_app_src_end_of_stream (GST_APP_SRC (src));
  out = g_ptr_array_new_with_free_func ((GDestroyNotify) gst_sample_unref);
  while ((s = gst_app_sink_try_pull_sample (GST_APP_SINK (sink), 30 * GST_SECOND)))
    g_ptr_array_add (out, s);
  fail_unless_equals_int (out->len, ref->len);
  for (i = 0; i < out->len; i++) {
    gchar *a = frame_md5 (g_ptr_array_index (ref, i));
    gchar *b = frame_md5 (g_ptr_array_index (out, i));

    fail_unless_equals_string (a, b);
    g_free (a);
    g_free (b);
  }
  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (src);
  gst_object_unref (sink);
  gst_object_unref (p);
  g_ptr_array_unref (frames);
  g_ptr_array_unref (ref);
  g_ptr_array_unref (out);
  gst_caps_unref (vp9caps);
  g_free (webm);
}

GST_END_TEST;

static Suite *
secdec_suite (void)
{
  Suite *s = suite_create ("secdec-gst");
  TCase *tc = tcase_create ("elements");
  const gchar *base = g_getenv ("SECDEC_TEST_TMP");

  tmp_home = g_build_filename (base ? base : g_get_tmp_dir (), "gst-elements-home", NULL);
  g_mkdir_with_parents (tmp_home, 0700);
  g_setenv ("SECDEC_HOME", tmp_home, TRUE);
  tcase_set_timeout (tc, 60);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_registry);
  tcase_add_test (tc, test_memory_not_mappable);
  tcase_add_test (tc, test_caps);
  tcase_add_test (tc, test_decrypt_cenc_meta);
  tcase_add_test (tc, test_webm);
  tcase_add_test (tc, test_corrupt_meta);
  tcase_add_test (tc, test_key_timeout);
  tcase_add_test (tc, test_flush_cancels_wait);
  tcase_add_test (tc, test_app_key_exchange);
  tcase_add_test (tc, test_app_key_refresh);
  tcase_add_test (tc, test_vp9_decode);
  return s;
}

GST_CHECK_MAIN (secdec);
