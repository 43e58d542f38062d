/*
 * pipeline.c - secdec-player's playbin: the video sink (the window by default, --video-sink,
 * or the headless appsink), the secdecrypt instance playbin creates (key timeout, home,
 * backend), the bus (errors, end of stream, key requests, the --start seek and --pause), seeks,
 * and the --refresh-interval session-key refresh through the element's action signals.
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <stdio.h>
#include <string.h>

#include <secdec/secdec.h>

#include "player.h"

#define GST_PLAY_FLAG_VIDEO (1 << 0)
#define GST_PLAY_FLAG_NATIVE_VIDEO (1 << 6)

/* ---- session-key refresh -------------------------------------------------------------------- */

/* StartSessionKeyRefresh / FinishSessionKeyRefresh through the element. Keys installed stay
 * valid; the next license's key exchange replaces the refreshed key anyway (the license server
 * makes a fresh session key per license), so the random is not needed by anyone else. */
static void
refresh_session_key(Player *p, GstElement *dec)
{
    GBytes *random = NULL;
    gint st = -1;

    g_signal_emit_by_name(dec, "start-key-refresh", &random);
    if (!random)
        return;
    g_signal_emit_by_name(dec, "finish-key-refresh", &st);
    if (st == SECDEC_OK) {
        p->n_refresh++;
        if (p->verbose)
            player_note(p, "session key refreshed (%u)", p->n_refresh);
    } else {
        player_note(p, "finish-key-refresh failed: %s", secdec_status_to_string((SecdecStatus)st));
    }
    g_bytes_unref(random);
}

/* The --refresh-interval timer: refreshes only while playing and once playbin made the
 * decryptor. */
static gboolean
refresh_cb(gpointer data)
{
    Player *p = data;
    GstElement *dec;
    GstState state = GST_STATE_NULL;

    gst_element_get_state(p->playbin, &state, NULL, 0);
    g_mutex_lock(&p->lock);
    dec = p->decryptor ? gst_object_ref(p->decryptor) : NULL;
    g_mutex_unlock(&p->lock);
    if (dec && state == GST_STATE_PLAYING)
        refresh_session_key(p, dec);
    g_clear_pointer(&dec, gst_object_unref);
    return G_SOURCE_CONTINUE;
}

static void
on_element_setup(GstElement *playbin, GstElement *element, gpointer data)
{
    Player *p = data;
    GstElementFactory *f = gst_element_get_factory(element);

    if (!f || strcmp(gst_plugin_feature_get_name(GST_PLUGIN_FEATURE(f)), "secdecrypt") != 0)
        return;
    /* long enough for the license request, its retries and backoff */
    g_object_set(element, "key-timeout", p->key_timeout_ms, NULL);
    if (p->home)
        g_object_set(element, "home", p->home, NULL);
    if (p->backend)
        gst_util_set_object_arg(G_OBJECT(element), "backend", p->backend);
    g_mutex_lock(&p->lock);
    if (p->decryptor)
        gst_object_unref(p->decryptor);
    p->decryptor = gst_object_ref(element);
    g_mutex_unlock(&p->lock);
    if (p->verbose)
        player_note(p, "using decryptor %s", GST_ELEMENT_NAME(element));
}


void
pipeline_seek_to(Player *p, gdouble seconds)
{
    gint64 dur = -1;

    if (gst_element_query_duration(p->playbin, GST_FORMAT_TIME, &dur) && dur > 0 &&
        seconds * GST_SECOND > dur)
        seconds = (gdouble)dur / GST_SECOND;
    if (seconds < 0)
        seconds = 0;
    gst_element_seek_simple(p->playbin, GST_FORMAT_TIME,
                            GST_SEEK_FLAG_FLUSH | GST_SEEK_FLAG_ACCURATE,
                            (gint64)(seconds * GST_SECOND));
}

static gboolean
on_bus(GstBus *bus, GstMessage *msg, gpointer data)
{
    Player *p = data;

    switch (GST_MESSAGE_TYPE(msg)) {
    case GST_MESSAGE_ERROR: {
        GError *err = NULL;
        gchar *dbg = NULL;

        gst_message_parse_error(msg, &err, &dbg);
        if (!p->failed) {
            if (p->verbose && dbg)
                player_note(p, "debug: %s", dbg);
            player_fatal(p, EXIT_PLAYBACK, "%s (%s)", err->message,
                         GST_OBJECT_NAME(GST_MESSAGE_SRC(msg)));
        }
        g_error_free(err);
        g_free(dbg);
        break;
    }
    case GST_MESSAGE_WARNING: {
        GError *err = NULL;

        gst_message_parse_warning(msg, &err, NULL);
        player_note(p, "warning: %s", err->message);
        g_error_free(err);
        break;
    }
    case GST_MESSAGE_EOS:
        p->eos = TRUE;
        g_main_loop_quit(p->loop);
        break;
    case GST_MESSAGE_ELEMENT: {
        const GstStructure *s = gst_message_get_structure(msg);

        if (s && gst_structure_has_name(s, "secdec-key-needed") &&
            GST_IS_ELEMENT(GST_MESSAGE_SRC(msg)))
            license_client_key_needed(p, GST_ELEMENT(GST_MESSAGE_SRC(msg)),
                                      gst_structure_get_string(s, "kid"));
        break;
    }
    case GST_MESSAGE_ASYNC_DONE:
        if (p->phase == 0) {
            if (p->start > 0) {
                p->phase = 1;
                pipeline_seek_to(p, p->start);
                break;
            }
            p->phase = 2;
        } else if (p->phase == 1) {
            p->phase = 2;
        } else {
            break;
        }
        if (p->start_paused) {
            p->user_paused = TRUE;
            ui_print_position(p, "paused", TRUE);
        } else {
            gst_element_set_state(p->playbin, GST_STATE_PLAYING);
            ui_print_position(p, "playing", TRUE);
        }
        break;
    case GST_MESSAGE_CLOCK_LOST:
        if (!p->user_paused) {
            gst_element_set_state(p->playbin, GST_STATE_PAUSED);
            gst_element_set_state(p->playbin, GST_STATE_PLAYING);
        }
        break;
    case GST_MESSAGE_BUFFERING: {
        gint percent = 0;

        gst_message_parse_buffering(msg, &percent);
        if (p->phase == 2 && !p->user_paused)
            gst_element_set_state(p->playbin, percent < 100 ? GST_STATE_PAUSED : GST_STATE_PLAYING);
        break;
    }
    default:
        break;
    }
    return G_SOURCE_CONTINUE;
}

int
pipeline_create(Player *p)
{
    GError *err = NULL;
    GstBus *bus;

    p->playbin = gst_element_factory_make("playbin", NULL);
    if (!p->playbin) {
        fprintf(stderr,
                "secdec-player: error: GStreamer has no playbin (gstreamer1.0-plugins-base)\n");
        return EXIT_PLAYBACK;
    }
    if (gst_element_factory_find("secdecrypt") == NULL)
        player_note(p, "warning: the secdec GStreamer plugin is not found (set GST_PLUGIN_PATH); "
                    "protected content will not play");
    g_object_set(p->playbin, "uri", p->uri, NULL);
    g_signal_connect(p->playbin, "element-setup", G_CALLBACK(on_element_setup), p);
    if (p->headless) {
        GstElement *sink = headless_make_sink(p);

        if (!sink)
            return EXIT_PLAYBACK;
        g_object_set(p->playbin, "video-sink", sink, "flags",
                     GST_PLAY_FLAG_VIDEO | GST_PLAY_FLAG_NATIVE_VIDEO, NULL);
    } else if (p->video_sink) {
        GstElement *sink = gst_parse_bin_from_description(p->video_sink, TRUE, &err);

        if (!sink) {
            fprintf(stderr, "secdec-player: --video-sink: %s\n", err->message);
            return EXIT_USAGE;
        }
        g_object_set(p->playbin, "video-sink", sink, NULL);
    }
    bus = gst_element_get_bus(p->playbin);
    gst_bus_add_watch(bus, on_bus, p);
    gst_object_unref(bus);
    return EXIT_PLAYED;
}

void
pipeline_run(Player *p)
{
    GstStateChangeReturn ret;

    ret = gst_element_set_state(p->playbin, GST_STATE_PAUSED);
    if (ret == GST_STATE_CHANGE_FAILURE) {
        /* the error message on the bus says why */
        GstMessage *m = gst_bus_pop_filtered(GST_ELEMENT_BUS(p->playbin), GST_MESSAGE_ERROR);

        if (m) {
            on_bus(NULL, m, p);
            gst_message_unref(m);
        } else {
            player_fatal(p, EXIT_PLAYBACK, "cannot play %s", p->uri);
        }
    } else {
        g_main_loop_run(p->loop);
    }
}

void
pipeline_start_refresh(Player *p)
{
    if (p->refresh_interval > 0)
        p->refresh_source = g_timeout_add((guint)(p->refresh_interval * 1000), refresh_cb, p);
}

void
pipeline_stop(Player *p)
{
    if (p->refresh_source)
        g_source_remove(p->refresh_source);
    p->refresh_source = 0;
    gst_element_set_state(p->playbin, GST_STATE_NULL);
    g_mutex_lock(&p->lock);
    g_clear_pointer(&p->decryptor, gst_object_unref);
    g_mutex_unlock(&p->lock);
}

void
pipeline_free(Player *p)
{
    gst_object_unref(p->playbin);
}
