/*
 * test_gst_elements_app.c - the Direct3D flow driven by an application through the action
 * signals of secdecrypt: key exchange, content keys, session-key refresh.
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

void
secdec_add_app_tests (TCase * tc)
{
  tcase_add_test (tc, test_app_key_exchange);
  tcase_add_test (tc, test_app_key_refresh);
}
