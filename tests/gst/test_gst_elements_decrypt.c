/*
 * test_gst_elements_decrypt.c - decryption from GstProtectionMeta, the WebM signal-byte fix,
 * corrupt meta, and missing keys (key-needed message and signal, timeout, a flush cancelling
 * the wait).
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

#include "test_gst_elements.h"

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

void
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

void
secdec_add_decrypt_tests (TCase * tc)
{
  tcase_add_test (tc, test_decrypt_cenc_meta);
  tcase_add_test (tc, test_webm);
  tcase_add_test (tc, test_corrupt_meta);
  tcase_add_test (tc, test_key_timeout);
  tcase_add_test (tc, test_flush_cancels_wait);
}
