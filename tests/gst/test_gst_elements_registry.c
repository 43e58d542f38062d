/*
 * test_gst_elements_registry.c - registration and protection-system selection, non-mappable
 * protected memory, caps of the secdec elements.
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

/* ---- registration and protection-system selection ---------------------------------------- */

GST_START_TEST (test_registry)
{
  const gchar *ids_secdec[] = { "8f8fcaac-0ce0-463e-8b43-b7abf7822a5d", NULL };
  const gchar *ids_common[] = { "edef8ba9-79d6-4ace-a3c8-27dcd51d21ed",
    "1077efec-c0b2-4d02-ace3-3c1e52e2fb4b", NULL
  };
  /* Widevine, PlayReady, FairPlay, DASH-IF Clear Key: each alone selects secdecrypt (the key
   * comes by KID, not from the system's pssh payload) */
  const gchar *ids_drm[] = { "edef8ba9-79d6-4ace-a3c8-27dcd51d21ed",
    "9a04f079-9840-4286-ab92-e65be0885f95", "94ce86fb-07ff-4f43-adb8-93d2fa968ca2",
    "e2719d58-a985-b3c9-781a-b030af78d30e"
  };
  const gchar *ids_other[] = { "00112233-4455-6677-8899-aabbccddeeff", NULL };
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
  for (i = 0; i < G_N_ELEMENTS (ids_drm); i++) {
    const gchar *one[] = { ids_drm[i], NULL };

    fail_unless_equals_string (gst_protection_select_system (one), ids_drm[i]);
  }
  /* a system nobody announced is still not claimed */
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

void
secdec_add_registry_tests (TCase * tc)
{
  tcase_add_test (tc, test_registry);
  tcase_add_test (tc, test_memory_not_mappable);
  tcase_add_test (tc, test_caps);
}
