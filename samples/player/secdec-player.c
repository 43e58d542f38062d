/*
 * secdec-player.c - a video player that embeds secdec: playbin plays the content with the
 * secdec elements, and keys are acquired the way a real application does it: on the
 * decryptor's "secdec-key-needed" message the player takes the device certificate through
 * the element's "get-certificate" action signal, asks a license server over HTTP (libsoup 3),
 * and feeds the key exchange and the wrapped content keys back through the element's
 * "negotiate-key-exchange" and "add-content-key" action signals.
 *
 * This file owns main: the options and their checks, start-up, the main loop and teardown
 * and the summary line. The other parts are listed in player.h.
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * samples/README.md documents the options, the protocol and the exit statuses.
 */
#include <errno.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <gst/gst.h>
#include <libsoup/soup.h>

#include <secdec/secdec.h>

#include "player.h"

static const char *description =
    "Keys: space play/pause, left/right arrow seek -/+5 s, q quit (when standard input is a\n"
    "terminal). With --snapshot or --y4m the player runs headless (no window, no audio).\n"
    "\n"
    "Keys come from the license server: on the decryptor's secdec-key-needed message the\n"
    "player POSTs {\"certificate\": <base64 DER>, \"kids\": [<base64url KID>]} to the\n"
    "--license-server URL (\"license\" is appended when it ends with '/') and loads the\n"
    "license it gets through the element's negotiate-key-exchange and add-content-key\n"
    "action signals. Connection failures and 5xx answers are retried with exponential\n"
    "backoff (0.25 s doubling, at most 8 s between attempts, --retries attempts in all);\n"
    "a 4xx answer stops playback with the server's reason.\n"
    "\n"
    "Exit status:\n"
    "  0    played to the end, or quit by the user\n"
    "  1    cannot play: missing file, pipeline or decode error, output I/O error\n"
    "  2    usage error\n"
    "  3    license server unreachable or failing (5xx) after all attempts\n"
    "  4    license request refused (4xx), or a key is needed and no server was given\n"
    "  5    the license is invalid (does not parse, other device, key exchange failed)\n"
    "  130  interrupted (SIGINT, SIGTERM, SIGHUP)\n"
    "\n"
    "Environment: SECDEC_HOME (device identity; the element still consults its license\n"
    "store first), GST_PLUGIN_PATH (where the secdec GStreamer plugin is).";

int
main(int argc, char **argv)
{
    Player pl = { 0 }, *p = &pl;
    gchar *snapshots = NULL;
    gdouble key_timeout = 120.0;
    gint retries = 5;
    gboolean version = FALSE;
    gchar **args = NULL;
    GOptionEntry entries[] = {
        { "license-server", 's', 0, G_OPTION_ARG_STRING, &p->server_url,
          "license server URL, e.g. http://127.0.0.1:8080/license", "URL" },
        { "snapshot", 0, 0, G_OPTION_ARG_STRING, &snapshots,
          "headless: write the frames shown at these times (seconds) as PNG", "T1,T2,..." },
        { "snapshot-dir", 0, 0, G_OPTION_ARG_FILENAME, &p->snapshot_dir,
          "directory for snapshot-T.png files (default .)", "DIR" },
        { "y4m", 0, 0, G_OPTION_ARG_FILENAME, &p->y4m_path,
          "headless: write every frame (I420) to a YUV4MPEG2 file", "FILE" },
        { "headless", 0, 0, G_OPTION_ARG_NONE, &p->headless,
          "no window, no audio (implied by --snapshot and --y4m)", NULL },
        { "no-sync", 0, 0, G_OPTION_ARG_NONE, &p->no_sync,
          "headless: decode as fast as possible instead of in real time", NULL },
        { "refresh-interval", 0, 0, G_OPTION_ARG_DOUBLE, &p->refresh_interval,
          "refresh the crypto session key every SECONDS while playing (0: never)", "SECONDS" },
        { "start", 0, 0, G_OPTION_ARG_DOUBLE, &p->start, "start at this position", "SECONDS" },
        { "pause", 0, 0, G_OPTION_ARG_NONE, &p->start_paused,
          "start paused (on the first frame, or the --start frame)", NULL },
        { "video-sink", 0, 0, G_OPTION_ARG_STRING, &p->video_sink,
          "video sink description (default: autovideosink)", "DESC" },
        { "home", 0, 0, G_OPTION_ARG_FILENAME, &p->home,
          "secdec home of the device identity (default $SECDEC_HOME)", "DIR" },
        { "backend", 0, 0, G_OPTION_ARG_STRING, &p->backend,
          "decrypt/decode backend: auto (VA-API protected content when the device has it, "
          "else software; default), software, vaapi", "NAME" },
        { "retries", 0, 0, G_OPTION_ARG_INT, &retries,
          "license request attempts before giving up (default 5)", "N" },
        { "http-timeout", 0, 0, G_OPTION_ARG_DOUBLE, &p->http_timeout,
          "seconds per license request attempt (default 10)", "SECONDS" },
        { "key-timeout", 0, 0, G_OPTION_ARG_DOUBLE, &key_timeout,
          "seconds the decryptor waits for a key (default 120)", "SECONDS" },
        { "verbose", 'v', 0, G_OPTION_ARG_NONE, &p->verbose, "more messages", NULL },
        { "version", 0, 0, G_OPTION_ARG_NONE, &version, "print the version and exit", NULL },
        { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &args, NULL, "FILE|URI" },
        { NULL, 0, 0, 0, NULL, NULL, NULL }
    };
    GOptionContext *ctx;
    GError *err = NULL;
    int code;

    setlocale(LC_ALL, "");
    p->http_timeout = 10.0;
    ctx = g_option_context_new("FILE|URI - play secdec-protected video");
    g_option_context_set_summary(ctx, "Plays a file or URI through playbin and the secdec elements, "
                                      "acquiring keys from a license server.");
    g_option_context_set_description(ctx, description);
    g_option_context_add_main_entries(ctx, entries, NULL);
    g_option_context_add_group(ctx, gst_init_get_option_group());
    if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
        fprintf(stderr, "secdec-player: %s (try --help)\n", err->message);
        g_error_free(err);
        return EXIT_USAGE;
    }
    g_option_context_free(ctx);
    if (version) {
        printf("secdec-player %s (libsecdec %s, %s, libsoup %u.%u.%u)\n", SECDEC_PROJECT_VERSION,
               secdec_version(), gst_version_string(), soup_get_major_version(),
               soup_get_minor_version(), soup_get_micro_version());
        return EXIT_PLAYED;
    }
    if (!args || !args[0] || args[1]) {
        fprintf(stderr, "secdec-player: give exactly one FILE or URI (try --help)\n");
        return EXIT_USAGE;
    }
    if (retries < 1 || retries > 20 || !(p->http_timeout > 0) || !(key_timeout > 0) ||
        key_timeout > 86400 || !(p->refresh_interval >= 0) || !(p->start >= 0) ||
        (p->refresh_interval > 0 && p->refresh_interval < 0.01)) {
        fprintf(stderr, "secdec-player: option out of range (try --help)\n");
        return EXIT_USAGE;
    }
    if (p->backend && strcmp(p->backend, "auto") != 0 && strcmp(p->backend, "software") != 0 &&
        strcmp(p->backend, "vaapi") != 0) {
        fprintf(stderr, "secdec-player: --backend takes auto, software or vaapi\n");
        return EXIT_USAGE;
    }
    if (snapshots && !headless_parse_snapshots(p, snapshots)) {
        fprintf(stderr, "secdec-player: --snapshot takes seconds, e.g. 0.5,1,2.25\n");
        return EXIT_USAGE;
    }
    p->retries = (guint)retries;
    p->key_timeout_ms = (guint)(key_timeout * 1000);
    if (snapshots || p->y4m_path)
        p->headless = TRUE;
    if (!p->snapshot_dir)
        p->snapshot_dir = g_strdup(".");
    if (p->server_url) {
        GUri *u = g_uri_parse(p->server_url, G_URI_FLAGS_NONE, NULL);

        if (!u || (g_strcmp0(g_uri_get_scheme(u), "http") != 0 &&
                   g_strcmp0(g_uri_get_scheme(u), "https") != 0)) {
            fprintf(stderr, "secdec-player: --license-server needs an http:// URL: %s\n",
                    p->server_url);
            if (u)
                g_uri_unref(u);
            return EXIT_USAGE;
        }
        g_uri_unref(u);
        if (g_str_has_suffix(p->server_url, "/")) {
            gchar *s = g_strconcat(p->server_url, "license", NULL);

            g_free(p->server_url);
            p->server_url = s;
        }
    }
    if (gst_uri_is_valid(args[0])) {
        p->uri = g_strdup(args[0]);
    } else {
        if (!g_file_test(args[0], G_FILE_TEST_IS_REGULAR)) {
            fprintf(stderr, "secdec-player: error: no such file: %s\n", args[0]);
            return EXIT_PLAYBACK;
        }
        p->uri = gst_filename_to_uri(args[0], NULL);
    }
    if (p->snap_times && g_mkdir_with_parents(p->snapshot_dir, 0755) != 0) {
        fprintf(stderr, "secdec-player: error: cannot create %s: %s\n", p->snapshot_dir,
                g_strerror(errno));
        return EXIT_PLAYBACK;
    }
    if (!p->headless && !p->video_sink && !g_getenv("DISPLAY") && !g_getenv("WAYLAND_DISPLAY")) {
        fprintf(stderr, "secdec-player: error: no display (DISPLAY and WAYLAND_DISPLAY unset); "
                        "use --headless, --snapshot or --y4m, or --video-sink\n");
        return EXIT_PLAYBACK;
    }
    if (p->y4m_path) {
        p->y4m = g_fopen(p->y4m_path, "wb");
        if (!p->y4m) {
            fprintf(stderr, "secdec-player: error: cannot write %s: %s\n", p->y4m_path,
                    g_strerror(errno));
            return EXIT_PLAYBACK;
        }
    }

    g_mutex_init(&p->lock);
    p->loop = g_main_loop_new(NULL, FALSE);
    license_client_init(p);
    code = pipeline_create(p);
    if (code != EXIT_PLAYED)
        return code;
    ui_start(p);
    pipeline_start_refresh(p);

    pipeline_run(p);

    ui_stop(p);
    license_client_cancel(p);
    pipeline_stop(p);
    headless_finish(p);
    if (p->headless || p->verbose || p->n_requests)
        fprintf(stderr, "secdec-player: %u license request%s, %u content key%s installed, "
                        "%u session-key refresh%s, %u frame%s output\n",
                p->n_requests, p->n_requests == 1 ? "" : "s", p->n_keys, p->n_keys == 1 ? "" : "s",
                p->n_refresh, p->n_refresh == 1 ? "" : "es", p->n_frames,
                p->n_frames == 1 ? "" : "s");
    pipeline_free(p);
    license_client_free(p);
    g_main_loop_unref(p->loop);
    g_mutex_clear(&p->lock);
    g_free(p->uri);
    g_free(p->server_url);
    g_free(p->home);
    g_free(p->backend);
    g_free(p->video_sink);
    g_free(p->y4m_path);
    g_free(p->snapshot_dir);
    g_free(snapshots);
    g_strfreev(args);
    return p->exit_code;
}
