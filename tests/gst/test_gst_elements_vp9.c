/*
 * test_gst_elements_vp9.c - VP9: secdecrypt ! secdecvp9dec against avdec_vp9 on the same
 * frames.
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

void
secdec_add_vp9_tests (TCase * tc)
{
  tcase_add_test (tc, test_vp9_decode);
}
