/*
 * headless-output.c - secdec-player's headless output: playbin's video sink becomes
 * "videoconvert ! I420 ! appsink", and every frame (streaming thread, under Player.lock) is
 * written to the --y4m file (the header FFmpeg's yuv4mpegpipe muxer writes) and turned into
 * the --snapshot PNGs due at its time (the frame on screen at T). Also parses --snapshot.
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>

#include <glib/gstdio.h>
#include <gst/app/gstappsink.h>
#include <gst/video/video.h>

#include "player.h"

static gboolean
write_y4m_frame(Player *p, GstSample *sample)
{
    GstVideoInfo info;
    GstVideoFrame frame;
    GstBuffer *buf = gst_sample_get_buffer(sample);
    gboolean ok = TRUE;

    if (!gst_video_info_from_caps(&info, gst_sample_get_caps(sample)) ||
        GST_VIDEO_INFO_FORMAT(&info) != GST_VIDEO_FORMAT_I420)
        return FALSE;
    if (!p->y4m_header) {
        gint fn = GST_VIDEO_INFO_FPS_N(&info), fd = GST_VIDEO_INFO_FPS_D(&info);
        gint pn = GST_VIDEO_INFO_PAR_N(&info), pd = GST_VIDEO_INFO_PAR_D(&info);

        if (fn <= 0 || fd <= 0) {
            fn = 25;
            fd = 1;
        }
        GstVideoChromaSite site = GST_VIDEO_INFO_CHROMA_SITE(&info);
        const char *chroma = site == GST_VIDEO_CHROMA_SITE_MPEG2 ? "420mpeg2 XYSCSS=420MPEG2" :
                             site == GST_VIDEO_CHROMA_SITE_DV ? "420paldv XYSCSS=420PALDV" :
                             "420jpeg XYSCSS=420JPEG";

        /* the header FFmpeg's yuv4mpegpipe muxer writes for yuv420p */
        fprintf(p->y4m, "YUV4MPEG2 W%d H%d F%d:%d Ip A%d:%d C%s\n",
                GST_VIDEO_INFO_WIDTH(&info), GST_VIDEO_INFO_HEIGHT(&info), fn, fd, pn, pd, chroma);
        p->y4m_header = TRUE;
    }
    if (!gst_video_frame_map(&frame, &info, buf, GST_MAP_READ))
        return FALSE;
    fputs("FRAME\n", p->y4m);
    for (guint c = 0; c < 3; c++) {
        const guint8 *d = GST_VIDEO_FRAME_COMP_DATA(&frame, c);
        gint stride = GST_VIDEO_FRAME_COMP_STRIDE(&frame, c);
        gint w = GST_VIDEO_FRAME_COMP_WIDTH(&frame, c), h = GST_VIDEO_FRAME_COMP_HEIGHT(&frame, c);

        for (gint y = 0; y < h; y++)
            if (fwrite(d + (gsize)y * stride, 1, (gsize)w, p->y4m) != (gsize)w)
                ok = FALSE;
    }
    gst_video_frame_unmap(&frame);
    return ok;
}

static gboolean
write_snapshot(Player *p, GstSample *sample, gdouble t, gdouble frame_time)
{
    GstCaps *png_caps = gst_caps_new_empty_simple("image/png");
    GError *err = NULL;
    GstSample *png = gst_video_convert_sample(sample, png_caps, 10 * GST_SECOND, &err);
    gchar name[64], *path;
    gboolean ok = FALSE;

    gst_caps_unref(png_caps);
    g_snprintf(name, sizeof name, "snapshot-%.3f.png", t);
    path = g_build_filename(p->snapshot_dir, name, NULL);
    if (png) {
        GstMapInfo map;
        GstBuffer *b = gst_sample_get_buffer(png);

        if (gst_buffer_map(b, &map, GST_MAP_READ)) {
            ok = g_file_set_contents(path, (const gchar *)map.data, (gssize)map.size, &err);
            gst_buffer_unmap(b, &map);
        }
        gst_sample_unref(png);
    }
    if (ok)
        printf("snapshot %.3f s: %s (frame at %.3f s)\n", t, path, frame_time);
    else
        fprintf(stderr, "secdec-player: snapshot at %.3f s failed: %s\n", t,
                err ? err->message : "cannot map the PNG");
    fflush(stdout);
    g_clear_error(&err);
    g_free(path);
    return ok;
}

/* Snapshot at T = the frame on screen at T: the last frame whose time is <= T. Called with
 * each new frame (lock held); `sample` NULL means end of stream. */
static void
take_snapshots_locked(Player *p, GstSample *sample, gdouble t_new)
{
    while (p->snap_times && p->snap_next < p->snap_times->len) {
        gdouble t = g_array_index(p->snap_times, gdouble, p->snap_next);

        if (sample && t >= t_new)
            break;   /* the new frame (or a later one) is the one shown at t */
        if (p->prev_sample) {
            if (!write_snapshot(p, p->prev_sample, t, p->prev_time))
                p->output_error = TRUE;
        } else if (sample) {
            if (!write_snapshot(p, sample, t, t_new))   /* t before the first frame */
                p->output_error = TRUE;
        } else {
            fprintf(stderr, "secdec-player: snapshot at %.3f s: no frame\n", t);
            p->output_error = TRUE;
        }
        p->snap_next++;
    }
}

static GstFlowReturn
on_new_sample(GstAppSink *sink, gpointer data)
{
    Player *p = data;
    GstSample *sample = gst_app_sink_pull_sample(sink);
    GstBuffer *buf;
    const GstSegment *seg;
    guint64 st;
    gdouble t;

    if (!sample)
        return GST_FLOW_EOS;
    buf = gst_sample_get_buffer(sample);
    seg = gst_sample_get_segment(sample);
    st = GST_BUFFER_PTS_IS_VALID(buf) && seg ?
             gst_segment_to_stream_time(seg, GST_FORMAT_TIME, GST_BUFFER_PTS(buf)) :
             GST_CLOCK_TIME_NONE;
    t = GST_CLOCK_TIME_IS_VALID(st) ? (gdouble)st / GST_SECOND : 0.0;
    g_mutex_lock(&p->lock);
    p->n_frames++;
    if (p->y4m && !p->output_error && !write_y4m_frame(p, sample)) {
        fprintf(stderr, "secdec-player: writing %s failed\n", p->y4m_path);
        p->output_error = TRUE;
    }
    take_snapshots_locked(p, sample, t);
    if (p->prev_sample)
        gst_sample_unref(p->prev_sample);
    p->prev_sample = sample;
    p->prev_time = t;
    g_mutex_unlock(&p->lock);
    return GST_FLOW_OK;
}

GstElement *
headless_make_sink(Player *p)
{
    GError *err = NULL;
    GstElement *bin = gst_parse_bin_from_description(
        "videoconvert ! video/x-raw,format=I420 ! appsink name=sink", TRUE, &err);
    GstElement *sink;
    GstAppSinkCallbacks cb = { 0 };

    if (!bin) {
        fprintf(stderr, "secdec-player: %s\n", err->message);
        g_error_free(err);
        return NULL;
    }
    sink = gst_bin_get_by_name(GST_BIN(bin), "sink");
    cb.new_sample = on_new_sample;
    gst_app_sink_set_callbacks(GST_APP_SINK(sink), &cb, p, NULL);
    g_object_set(sink, "sync", !p->no_sync, "max-buffers", 4u, "drop", FALSE, NULL);
    gst_object_unref(sink);
    return bin;
}

static int
compare_double(gconstpointer a, gconstpointer b)
{
    gdouble x = *(const gdouble *)a, y = *(const gdouble *)b;

    return x < y ? -1 : x > y;
}

gboolean
headless_parse_snapshots(Player *p, const char *spec)
{
    gchar **parts = g_strsplit(spec, ",", -1);
    gboolean ok = TRUE;

    p->snap_times = g_array_new(FALSE, FALSE, sizeof(gdouble));
    for (gchar **s = parts; *s; s++) {
        gchar *end = NULL;
        gdouble t = g_ascii_strtod(*s, &end);

        if (end == *s || *end || !(t >= 0) || !isfinite(t)) {
            ok = FALSE;
            break;
        }
        g_array_append_val(p->snap_times, t);
    }
    g_strfreev(parts);
    if (ok && p->snap_times->len == 0)
        ok = FALSE;
    g_array_sort(p->snap_times, compare_double);
    return ok;
}

void
headless_finish(Player *p)
{
    g_mutex_lock(&p->lock);
    if (p->eos && !p->failed)
        take_snapshots_locked(p, NULL, 0);
    if (p->output_error && p->exit_code == EXIT_PLAYED)
        p->exit_code = EXIT_PLAYBACK;
    g_clear_pointer(&p->prev_sample, gst_sample_unref);
    g_mutex_unlock(&p->lock);
    g_clear_pointer(&p->snap_times, g_array_unref);
    if (p->y4m && fclose(p->y4m) != 0 && p->exit_code == EXIT_PLAYED) {
        fprintf(stderr, "secdec-player: writing %s failed: %s\n", p->y4m_path, g_strerror(errno));
        p->exit_code = EXIT_PLAYBACK;
    }
    p->y4m = NULL;
}
