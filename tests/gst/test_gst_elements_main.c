/*
 * test_gst_elements_main.c - the gst-check suite of the secdec elements (gst-elements): the
 * private home, the helpers the test files share, and the one "elements" test case. The tests:
 * test_gst_elements_registry.c (registration, protection-system selection, protected memory,
 * caps), _decrypt.c (GstProtectionMeta, WebM, key-needed, timeout, flush), _app.c (the Direct3D
 * key exchange and session-key refresh through action signals), _vp9.c (VP9 decode).
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

const guint8 KID[16] = { 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
  0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef
};
const guint8 KEY[16] = { 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
  0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff
};

gchar *tmp_home;
gint key_needed_count;
gchar *key_needed_kid;

/* ---- helpers ----------------------------------------------------------------------------- */

/* AES-128-CTR over the encrypted ranges of subsamples (one keystream), 8-byte IV. */
void
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

GstBuffer *
make_buffer (const guint8 * data, gsize size)
{
  return gst_buffer_new_memdup (data, size);
}

/* Attaches a meta like qtdemux's (cipher_mode != NULL) or matroskademux's (NULL). */
void
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
gboolean
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

GstHarness *
new_decrypt_harness (const gchar * caps)
{
  GstHarness *h = gst_harness_new ("secdecrypt");

  g_object_set (h->element, "home", tmp_home, NULL);
  gst_harness_set_src_caps_str (h, caps);
  return h;
}

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
  secdec_add_registry_tests (tc);
  secdec_add_decrypt_tests (tc);
  secdec_add_app_tests (tc);
  secdec_add_vp9_tests (tc);
  return s;
}

GST_CHECK_MAIN (secdec);
