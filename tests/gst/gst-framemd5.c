/*
 * gst-framemd5.c - runs a pipeline to EOS and prints the MD5 of every raw video frame that
 * reaches its appsink (visible pixels only, plane by plane, so strides do not matter).
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Usage:
 *   gst-framemd5 [options] 'PIPELINE ... ! appsink name=sink'
 *   gst-framemd5 [options] --playbin URI | --playbin3 URI
 * Options:
 *   --timeout S          fail (exit 3) when EOS/ERROR does not come within S seconds (30)
 *   --kid2-from N --kid2 HEX
 *                        emulate a demuxer that reads 'seig' sample groups (qtdemux 1.22 does
 *                        not): the GstProtectionMeta of qtdemux's N-th and later buffers
 *                        names KID HEX instead of the tenc default KID
 *   --seek-after N       once N frames arrived, flush-seek (KEY_UNIT) to --seek-to (0)
 *   --seek-to S          the seek's target in seconds (fractions allowed)
 *   --seek-accurate      seek with FLUSH|ACCURATE instead of FLUSH|KEY_UNIT
 *   --context-keys KID:KEY
 *                        the application opens its own device+session, loads a license for
 *                        KID:KEY issued in-process, and shares them through a
 *                        "secdec.session" GstContext answered from a bus sync handler
 *   --sysmem             every frame must be in system memory (caps without features)
 *   --no-map             do not map the frames (md5 printed as "-")
 *   --va                 (built with gstreamer-va-1.0) every frame must be
 *                        video/x-raw(memory:VAMemory) with one GstVaMemory holding a valid
 *                        surface (gst_va_buffer_get_surface, printed after the format); at the
 *                        first frame a gst.va.display.handle context query from the sink
 *                        upstream must answer the GstVaDisplay of the buffers' memory, which
 *                        must also be the one of a GST_MESSAGE_HAVE_CONTEXT seen on the bus
 *   --deny-surface-read  (built with gstreamer-va-1.0) play a VA driver that keeps decoded
 *                        protected pictures in: vaDeriveImage() and vaGetImage() fail with
 *                        VA_STATUS_ERROR_OPERATION_FAILED for every caller in this process
 *                        (the program defines and exports both; otherwise they forward to
 *                        libva's)
 * Output (stdout): one line per frame "<index> <pts-ns> <md5> <format>" (--va: then the
 * surface), "seek after N" where the seek was sent, then "frames N", "decrypted N clear M"
 * and "dropped N" (secdecrypt's counters), "need-context N"
 * when seen, and with --va "va-context ok", "va-have-context N", "va-surfaces N" (distinct).
 * A frame failing --sysmem/--va is reported on stderr ("CHECK: ...") and ends the stream with
 * an error.
 * Exit: 0 on EOS; 2 on a bus ERROR (message and debug on stderr as "ERROR: ..."); 3 timeout.
 */
#include <gst/gst.h>
#include <gst/app/gstappsink.h>
#include <gst/video/video.h>
#include <secdec/secdec.h>
#include <secdec/license.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef HAVE_GST_VA
#include <dlfcn.h>
#include <gst/va/gstva.h>
#endif

static volatile gint n_frames;
static guint64 kid2_from = G_MAXUINT64;
static guint8 kid2[16];
static guint n_need_context;
static SecdecDevice *ctx_device;
static SecdecCryptoSession *ctx_session;
static gboolean check_sysmem, no_map;

#ifdef HAVE_GST_VA
/* ---- --va, --deny-surface-read --------------------------------------------------------------- */

static gboolean check_va;
static gint deny_surface_read;
G_LOCK_DEFINE_STATIC (va);
static GstVaDisplay *have_context_display;      /* from GST_MESSAGE_HAVE_CONTEXT */
static guint n_have_context;
static gboolean va_context_checked;
static GHashTable *va_surfaces;

typedef VAStatus (*DeriveImageFunc) (VADisplay, VASurfaceID, VAImage *);
typedef VAStatus (*GetImageFunc) (VADisplay, VASurfaceID, int, int, unsigned int,
    unsigned int, VAImageID);

/* These two replace libva's for the whole process (the executable is linked with
 * --export-dynamic, so the plugin, libgstva and libavutil resolve them here first). */
VAStatus
vaDeriveImage (VADisplay dpy, VASurfaceID surface, VAImage * image)
{
  static DeriveImageFunc real;

  if (g_atomic_int_get (&deny_surface_read))
    return VA_STATUS_ERROR_OPERATION_FAILED;
  if (real == NULL)
    real = (DeriveImageFunc) dlsym (RTLD_NEXT, "vaDeriveImage");
  return real ? real (dpy, surface, image) : VA_STATUS_ERROR_UNIMPLEMENTED;
}

VAStatus
vaGetImage (VADisplay dpy, VASurfaceID surface, int x, int y, unsigned int width,
    unsigned int height, VAImageID image)
{
  static GetImageFunc real;

  if (g_atomic_int_get (&deny_surface_read))
    return VA_STATUS_ERROR_OPERATION_FAILED;
  if (real == NULL)
    real = (GetImageFunc) dlsym (RTLD_NEXT, "vaGetImage");
  return real ? real (dpy, surface, x, y, width, height, image) :
      VA_STATUS_ERROR_UNIMPLEMENTED;
}

static GstVaDisplay *
context_display (GstContext * ctx)
{
  GstVaDisplay *display = NULL;

  if (ctx && !g_strcmp0 (gst_context_get_context_type (ctx),
          GST_VA_DISPLAY_HANDLE_CONTEXT_TYPE_STR))
    gst_structure_get (gst_context_get_structure (ctx), "gst-display", GST_TYPE_OBJECT,
        &display, NULL);
  return display;
}

/* --va: the frame is a VA surface of the display the pipeline shares */
static gboolean
va_check (GstAppSink * sink, GstCaps * caps, GstBuffer * buf, VASurfaceID * surface)
{
  GstCapsFeatures *features = gst_caps_get_features (caps, 0);
  GstMemory *mem;
  GstVaDisplay *display;
  gboolean ok = TRUE;

  if (features == NULL || !gst_caps_features_contains (features, GST_CAPS_FEATURE_MEMORY_VA)) {
    gchar *s = gst_caps_to_string (caps);

    fprintf (stderr, "CHECK: caps are not memory:VAMemory: %s\n", s);
    g_free (s);
    return FALSE;
  }
  mem = gst_buffer_n_memory (buf) == 1 ? gst_buffer_peek_memory (buf, 0) : NULL;
  if (mem == NULL || mem->allocator == NULL || !GST_IS_VA_ALLOCATOR (mem->allocator)) {
    fprintf (stderr, "CHECK: the buffer does not hold one GstVaMemory (%u memories, "
        "allocator %s)\n", gst_buffer_n_memory (buf),
        mem && mem->allocator ? G_OBJECT_TYPE_NAME (mem->allocator) : "none");
    return FALSE;
  }
  *surface = gst_va_buffer_get_surface (buf);
  display = gst_va_buffer_peek_display (buf);
  if (*surface == VA_INVALID_ID || display == NULL
      || gst_va_display_get_va_dpy (display) == NULL) {
    fprintf (stderr, "CHECK: no valid surface/display (surface %#x)\n", *surface);
    return FALSE;
  }
  G_LOCK (va);
  g_hash_table_add (va_surfaces, GUINT_TO_POINTER (*surface));
  if (!va_context_checked) {
    GstPad *pad = gst_element_get_static_pad (GST_ELEMENT (sink), "sink");
    GstQuery *query = gst_query_new_context (GST_VA_DISPLAY_HANDLE_CONTEXT_TYPE_STR);
    GstContext *ctx = NULL;
    GstVaDisplay *answered = NULL;

    va_context_checked = TRUE;
    if (gst_pad_peer_query (pad, query)) {
      gst_query_parse_context (query, &ctx);
      answered = context_display (ctx);
    }
    if (answered != display) {
      fprintf (stderr, "CHECK: the gst.va.display.handle context query answered %p, the "
          "buffers are on display %p\n", (void *) answered, (void *) display);
      ok = FALSE;
    } else if (have_context_display != display) {
      fprintf (stderr, "CHECK: no GST_MESSAGE_HAVE_CONTEXT with the buffers' display %p "
          "(%u seen, last %p)\n", (void *) display, n_have_context,
          (void *) have_context_display);
      ok = FALSE;
    } else {
      printf ("va-context ok\n");
    }
    gst_clear_object (&answered);
    gst_query_unref (query);
    gst_object_unref (pad);
  }
  G_UNLOCK (va);
  return ok;
}
#endif

static gboolean
parse_hex (const char *s, guint8 *out, gsize n)
{
  gsize i;

  if (strlen (s) != 2 * n)
    return FALSE;
  for (i = 0; i < n; i++) {
    int hi = g_ascii_xdigit_value (s[2 * i]), lo = g_ascii_xdigit_value (s[2 * i + 1]);

    if (hi < 0 || lo < 0)
      return FALSE;
    out[i] = (guint8) (hi << 4 | lo);
  }
  return TRUE;
}

static GstFlowReturn handle_sample (GstAppSink * sink, GstSample * sample);

static GstFlowReturn
on_sample (GstAppSink * sink, gpointer user_data)
{
  return handle_sample (sink, gst_app_sink_pull_sample (sink));
}

/* Prints one frame line (consumes the sample). */
static GstFlowReturn
handle_sample (GstAppSink * sink, GstSample * sample)
{
  GstVideoInfo info;
  GstVideoFrame vf;
  GstBuffer *buf;
  GstCaps *caps;
  GstCapsFeatures *features;
  gchar surface_str[16] = "";
  guint p, y;

  if (sample == NULL)
    return GST_FLOW_ERROR;
  buf = gst_sample_get_buffer (sample);
  caps = gst_sample_get_caps (sample);
  features = caps ? gst_caps_get_features (caps, 0) : NULL;
  if (check_sysmem && features
      && !gst_caps_features_is_equal (features, GST_CAPS_FEATURES_MEMORY_SYSTEM_MEMORY)) {
    gchar *s = gst_caps_features_to_string (features);

    fprintf (stderr, "CHECK: frame %u is not in system memory (%s)\n", n_frames, s);
    g_free (s);
    gst_sample_unref (sample);
    return GST_FLOW_ERROR;
  }
#ifdef HAVE_GST_VA
  if (check_va) {
    VASurfaceID surface = VA_INVALID_ID;

    if (!va_check (sink, caps, buf, &surface)) {
      gst_sample_unref (sample);
      return GST_FLOW_ERROR;
    }
    g_snprintf (surface_str, sizeof surface_str, " %#x", surface);
  }
#endif
  if (caps == NULL || !gst_video_info_from_caps (&info, caps)) {
    fprintf (stderr, "cannot parse the caps of frame %u\n", n_frames);
    gst_sample_unref (sample);
    return GST_FLOW_ERROR;
  }
  if (no_map) {
    printf ("%u %" G_GUINT64_FORMAT " - %s%s\n", n_frames, GST_BUFFER_PTS (buf),
        gst_video_format_to_string (GST_VIDEO_INFO_FORMAT (&info)), surface_str);
    g_atomic_int_inc (&n_frames);
    gst_sample_unref (sample);
    return GST_FLOW_OK;
  }
  if (!gst_video_frame_map (&vf, &info, buf, GST_MAP_READ)) {
    fprintf (stderr, "cannot map frame %u\n", n_frames);
    gst_sample_unref (sample);
    return GST_FLOW_ERROR;
  }
  {
    GChecksum *md5 = g_checksum_new (G_CHECKSUM_MD5);

    for (p = 0; p < GST_VIDEO_FRAME_N_PLANES (&vf); p++) {
      const guint8 *d = GST_VIDEO_FRAME_PLANE_DATA (&vf, p);
      gint stride = GST_VIDEO_FRAME_PLANE_STRIDE (&vf, p);
      gsize row = (gsize) GST_VIDEO_FRAME_COMP_WIDTH (&vf, p) *
          GST_VIDEO_FRAME_COMP_PSTRIDE (&vf, p);

      for (y = 0; y < (guint) GST_VIDEO_FRAME_COMP_HEIGHT (&vf, p); y++)
        g_checksum_update (md5, d + (gsize) y * stride, row);
    }
    printf ("%u %" G_GUINT64_FORMAT " %s %s%s\n", n_frames, GST_BUFFER_PTS (buf),
        g_checksum_get_string (md5), gst_video_format_to_string (GST_VIDEO_INFO_FORMAT (&info)),
        surface_str);
    g_checksum_free (md5);
  }
  g_atomic_int_inc (&n_frames);
  gst_video_frame_unmap (&vf);
  gst_sample_unref (sample);
  return GST_FLOW_OK;
}

/* ---- --kid2-from: rewrite the KID of qtdemux's meta from buffer N on ---------------------- */

static GstPadProbeReturn
kid_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  guint64 *count = user_data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  GstProtectionMeta *meta;

  if ((*count)++ < kid2_from)
    return GST_PAD_PROBE_OK;
  meta = gst_buffer_get_protection_meta (buf);
  if (meta) {
    GstBuffer *kb = gst_buffer_new_memdup (kid2, 16);

    gst_structure_set (meta->info, "kid", GST_TYPE_BUFFER, kb, NULL);
    gst_buffer_unref (kb);
  }
  return GST_PAD_PROBE_OK;
}

static void
on_pad_added (GstElement * el, GstPad * pad, gpointer user_data)
{
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, kid_probe, g_new0 (guint64, 1), g_free);
}

static void
on_element_added (GstBin * bin, GstBin * sub, GstElement * el, gpointer user_data)
{
  GstElementFactory *f = gst_element_get_factory (el);

  if (f && !g_strcmp0 (GST_OBJECT_NAME (f), "qtdemux"))
    g_signal_connect (el, "pad-added", G_CALLBACK (on_pad_added), NULL);
}

/* ---- --context-keys: the application shares its device and session ------------------------ */

static gboolean
setup_context_keys (const char *spec)
{
  SecdecContentKey k;
  uint8_t cert[8192], *lic = NULL;
  uint32_t cert_size = 0;
  size_t lic_size = 0;
  SecdecLicense *parsed = NULL;
  const char *colon = strchr (spec, ':');
  gchar *kidhex;
  SecdecStatus st;

  if (colon == NULL)
    return FALSE;
  kidhex = g_strndup (spec, colon - spec);
  if (!parse_hex (kidhex, k.kid, 16) || !parse_hex (colon + 1, k.key, 16)) {
    g_free (kidhex);
    return FALSE;
  }
  g_free (kidhex);
  st = secdec_device_open (&ctx_device, NULL);
  if (st == SECDEC_OK)
    st = secdec_create_crypto_session (ctx_device, &SECDEC_CRYPTO_TYPE_AES128_CTR,
        &SECDEC_DECODER_PROFILE_H264_VLD_NOFGT, &SECDEC_KEY_EXCHANGE_RSAES_OAEP, &ctx_session);
  if (st == SECDEC_OK)
    st = secdec_crypto_session_get_certificate_size (ctx_device, ctx_session, &cert_size);
  if (st == SECDEC_OK && cert_size > sizeof cert)
    st = SECDEC_E_OUTOFMEMORY;
  if (st == SECDEC_OK)
    st = secdec_crypto_session_get_certificate (ctx_device, ctx_session, cert_size, cert);
  if (st == SECDEC_OK)
    st = secdec_license_issue (cert, cert_size, SECDEC_OAEP_SHA512, &k, 1, &lic, &lic_size);
  if (st == SECDEC_OK)
    st = secdec_license_parse (lic, lic_size, &parsed);
  if (st == SECDEC_OK)
    st = secdec_license_load (ctx_device, ctx_session, parsed);
  secdec_license_free (&parsed);
  secdec_free (lic);
  memset (&k, 0, sizeof k);
  if (st != SECDEC_OK)
    fprintf (stderr, "context keys: %s\n", secdec_status_to_string (st));
  return st == SECDEC_OK;
}

static GstBusSyncReply
sync_handler (GstBus * bus, GstMessage * msg, gpointer user_data)
{
  const gchar *type = NULL;

  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_WARNING) {
    GError *werr = NULL;
    gchar *dbg = NULL;

    gst_message_parse_warning (msg, &werr, &dbg);
    fprintf (stderr, "WARNING: from %s: %s | %s\n", GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)),
        werr->message, dbg ? dbg : "");
    g_clear_error (&werr);
    g_free (dbg);
  }
#ifdef HAVE_GST_VA
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_HAVE_CONTEXT) {
    GstContext *ctx = NULL;
    GstVaDisplay *display;

    gst_message_parse_have_context (msg, &ctx);
    display = context_display (ctx);
    if (display) {
      G_LOCK (va);
      n_have_context++;
      gst_object_replace ((GstObject **) & have_context_display, GST_OBJECT (display));
      G_UNLOCK (va);
      gst_object_unref (display);
    }
    if (ctx)
      gst_context_unref (ctx);
  }
#endif
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_NEED_CONTEXT
      && gst_message_parse_context_type (msg, &type) && !g_strcmp0 (type, "secdec.session")) {
    n_need_context++;
    if (ctx_device) {
      GstContext *ctx = gst_context_new ("secdec.session", FALSE);
      GstStructure *s = gst_context_writable_structure (ctx);

      gst_structure_set (s, "device", G_TYPE_POINTER, ctx_device,
          "session", G_TYPE_POINTER, ctx_session, NULL);
      gst_element_set_context (GST_ELEMENT (GST_MESSAGE_SRC (msg)), ctx);
      gst_context_unref (ctx);
    }
  }
  return GST_BUS_PASS;
}

static void
print_counters (GstElement * pipeline)
{
  GstIterator *it = gst_bin_iterate_recurse (GST_BIN (pipeline));
  GValue item = G_VALUE_INIT;

  while (gst_iterator_next (it, &item) == GST_ITERATOR_OK) {
    GstElement *el = g_value_get_object (&item);
    GstElementFactory *f = gst_element_get_factory (el);

    if (f && !g_strcmp0 (GST_OBJECT_NAME (f), "secdecrypt")) {
      guint64 d = 0, c = 0;

      guint64 dr = 0;

      g_object_get (el, "decrypted-samples", &d, "clear-samples", &c, "dropped-samples", &dr,
          NULL);
      printf ("decrypted %" G_GUINT64_FORMAT " clear %" G_GUINT64_FORMAT "\n", d, c);
      printf ("dropped %" G_GUINT64_FORMAT "\n", dr);
    }
    g_value_reset (&item);
  }
  g_value_unset (&item);
  gst_iterator_free (it);
}

int
main (int argc, char **argv)
{
  GstElement *pipeline = NULL, *sink = NULL;
  GstBus *bus;
  GstMessage *msg;
  GError *err = NULL;
  const char *desc = NULL, *playbin = NULL, *uri = NULL;
  int timeout = 30, i, rc = 0, seek_after = -1;
  gdouble seek_to = 0;
  GstSeekFlags seek_flags = GST_SEEK_FLAG_FLUSH | GST_SEEK_FLAG_KEY_UNIT;

  gst_init (&argc, &argv);
#ifdef HAVE_GST_VA
  va_surfaces = g_hash_table_new (NULL, NULL);
#endif
  for (i = 1; i < argc; i++) {
    if (!strcmp (argv[i], "--timeout") && i + 1 < argc)
      timeout = atoi (argv[++i]);
    else if (!strcmp (argv[i], "--seek-after") && i + 1 < argc)
      seek_after = atoi (argv[++i]);
    else if (!strcmp (argv[i], "--seek-to") && i + 1 < argc)
      seek_to = g_ascii_strtod (argv[++i], NULL);
    else if (!strcmp (argv[i], "--seek-accurate"))
      seek_flags = GST_SEEK_FLAG_FLUSH | GST_SEEK_FLAG_ACCURATE;
    else if (!strcmp (argv[i], "--kid2-from") && i + 1 < argc)
      kid2_from = g_ascii_strtoull (argv[++i], NULL, 10);
    else if (!strcmp (argv[i], "--kid2") && i + 1 < argc) {
      if (!parse_hex (argv[++i], kid2, 16))
        return 64;
    } else if (!strcmp (argv[i], "--context-keys") && i + 1 < argc) {
      if (!setup_context_keys (argv[++i]))
        return 64;
    } else if (!strcmp (argv[i], "--sysmem")) {
      check_sysmem = TRUE;
    } else if (!strcmp (argv[i], "--no-map")) {
      no_map = TRUE;
#ifdef HAVE_GST_VA
    } else if (!strcmp (argv[i], "--va")) {
      check_va = TRUE;
    } else if (!strcmp (argv[i], "--deny-surface-read")) {
      g_atomic_int_set (&deny_surface_read, 1);
#endif
    } else if ((!strcmp (argv[i], "--playbin") || !strcmp (argv[i], "--playbin3"))
        && i + 1 < argc) {
      playbin = argv[i] + 2;
      uri = argv[++i];
    } else if (desc == NULL && argv[i][0] != '-')
      desc = argv[i];
    else {
      fprintf (stderr, "usage: see the comment at the top of gst-framemd5.c\n");
      return 64;
    }
  }
  if (playbin) {
    pipeline = gst_element_factory_make (playbin, NULL);
    sink = gst_element_factory_make ("appsink", "sink");
    if (!pipeline || !sink)
      return 65;
    g_object_set (pipeline, "uri", uri, "video-sink", sink, NULL);
    /* no audio in the test content; keep the audio sink out of the way anyway */
    g_object_set (pipeline, "audio-sink", gst_element_factory_make ("fakesink", NULL), NULL);
    gst_object_ref (sink);
  } else if (desc) {
    pipeline = gst_parse_launch (desc, &err);
    if (pipeline == NULL) {
      fprintf (stderr, "parse error: %s\n", err->message);
      return 65;
    }
    sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  }
  if (pipeline == NULL || sink == NULL) {
    fprintf (stderr, "need a pipeline with 'appsink name=sink' or --playbin URI\n");
    return 64;
  }
  if (seek_after >= 0) {
    /* the frames are pulled here, one at a time: the stream cannot run past the seek point
     * (or to EOS) before the seek is sent */
    g_object_set (sink, "sync", FALSE, "emit-signals", FALSE, "max-buffers", 1, NULL);
  } else {
    g_object_set (sink, "sync", FALSE, "emit-signals", TRUE, "max-buffers", 0, NULL);
    g_signal_connect (sink, "new-sample", G_CALLBACK (on_sample), NULL);
  }
  if (kid2_from != G_MAXUINT64) {
    GstIterator *it = gst_bin_iterate_recurse (GST_BIN (pipeline));
    GValue item = G_VALUE_INIT;

    while (gst_iterator_next (it, &item) == GST_ITERATOR_OK) {
      on_element_added (NULL, NULL, g_value_get_object (&item), NULL);
      g_value_reset (&item);
    }
    g_value_unset (&item);
    gst_iterator_free (it);
    g_signal_connect (pipeline, "deep-element-added", G_CALLBACK (on_element_added), NULL);
  }

  bus = gst_element_get_bus (pipeline);
  gst_bus_set_sync_handler (bus, sync_handler, NULL, NULL);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  if (seek_after >= 0) {
    gint64 end = g_get_monotonic_time () + (gint64) timeout * G_USEC_PER_SEC;

    GstSample *sample;

    msg = NULL;
    while (msg == NULL && g_get_monotonic_time () < end) {
      msg = gst_bus_pop_filtered (bus, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
      if (msg) {
        /* the samples still queued in the appsink */
        while ((sample = gst_app_sink_try_pull_sample (GST_APP_SINK (sink), 0)))
          handle_sample (GST_APP_SINK (sink), sample);
        break;
      }
      if (seek_after < 0 || g_atomic_int_get (&n_frames) < seek_after) {
        sample = gst_app_sink_try_pull_sample (GST_APP_SINK (sink), 10 * GST_MSECOND);
        if (sample && handle_sample (GST_APP_SINK (sink), sample) != GST_FLOW_OK)
          break;
      }
      if (seek_after >= 0 && g_atomic_int_get (&n_frames) >= seek_after) {
        printf ("seek after %d\n", g_atomic_int_get (&n_frames));
        fflush (stdout);
        if (!gst_element_seek_simple (pipeline, GST_FORMAT_TIME, seek_flags,
                (gint64) (seek_to * GST_SECOND)))
          fprintf (stderr, "seek failed\n");
        seek_after = -1;
      }
    }
  } else {
    msg = gst_bus_timed_pop_filtered (bus, (GstClockTime) timeout * GST_SECOND,
        GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  }
  if (msg == NULL) {
    fprintf (stderr, "TIMEOUT after %d s\n", timeout);
    rc = 3;
  } else if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    gchar *dbg = NULL;

    gst_message_parse_error (msg, &err, &dbg);
    fprintf (stderr, "ERROR: from %s: %s | %s\n", GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)),
        err->message, dbg ? dbg : "");
    g_clear_error (&err);
    g_free (dbg);
    rc = 2;
  }
  if (msg)
    gst_message_unref (msg);
  printf ("frames %u\n", n_frames);
  print_counters (pipeline);
  if (n_need_context)
    printf ("need-context %u\n", n_need_context);
#ifdef HAVE_GST_VA
  if (check_va)
    printf ("va-have-context %u\nva-surfaces %u\n", n_have_context,
        g_hash_table_size (va_surfaces));
#endif
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (sink);
  gst_object_unref (pipeline);
#ifdef HAVE_GST_VA
  gst_clear_object (&have_context_display);
  g_hash_table_unref (va_surfaces);
#endif
  secdec_crypto_session_destroy (&ctx_session);
  secdec_device_close (&ctx_device);
  gst_deinit ();
  return rc;
}
