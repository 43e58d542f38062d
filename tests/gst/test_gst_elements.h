/*
 * test_gst_elements.h - what the files of the gst-elements test share (test_gst_elements_main.c):
 * the test key, caps strings, the private home, the key-needed counters and buffer helpers.
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef SECDEC_TEST_GST_ELEMENTS_H
#define SECDEC_TEST_GST_ELEMENTS_H

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>

extern const guint8 KID[16];
extern const guint8 KEY[16];

#define KIDHEX "0123456789abcdef0123456789abcdef"
#define KEYS_PROP KIDHEX ":00112233445566778899aabbccddeeff"
#define CENC_CAPS "application/x-cenc, original-media-type=(string)video/x-h264, " \
  "stream-format=(string)avc, alignment=(string)au, cipher-mode=(string)cenc"
#define WEBM_CAPS "application/x-webm-enc, original-media-type=(string)video/x-vp9, " \
  "encryption-algorithm=(string)AES, encoding-scope=(string)frame, cipher-mode=(string)CTR"

/* The private SECDEC_HOME of the elements. */
extern gchar *tmp_home;
/* How often key-needed was seen, and the last KID it named (on_key_needed). */
extern gint key_needed_count;
extern gchar *key_needed_kid;
/* The "key-needed" signal handler counting into them (test_gst_elements_decrypt.c). */
void on_key_needed (GstElement * e, const gchar * kid, gpointer user_data);

/* AES-128-CTR over the encrypted ranges of subsamples (one keystream), 8-byte IV. */
void ctr_encrypt (guint8 * data, gsize size, const guint8 iv8[8], const guint32 * clear,
    const guint32 * enc, guint n);
GstBuffer *make_buffer (const guint8 * data, gsize size);
/* Attaches a meta like qtdemux's (cipher_mode != NULL) or matroskademux's (NULL). */
void add_meta (GstBuffer * buf, const guint8 kid[16], const guint8 iv8[8],
    const guint32 * clear, const guint32 * enc, guint n, const gchar * cipher_mode);
gboolean output_equals (GstBuffer * out, const guint8 * want, gsize size);
GstHarness *new_decrypt_harness (const gchar * caps);

/* Each file adds its tests to the "elements" test case, in the order of the main file. */
void secdec_add_registry_tests (TCase * tc);    /* test_gst_elements_registry.c */
void secdec_add_decrypt_tests (TCase * tc);     /* test_gst_elements_decrypt.c */
void secdec_add_app_tests (TCase * tc);         /* test_gst_elements_app.c */
void secdec_add_vp9_tests (TCase * tc);         /* test_gst_elements_vp9.c */

#endif /* SECDEC_TEST_GST_ELEMENTS_H */
