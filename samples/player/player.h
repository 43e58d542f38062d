/*
 * player.h - secdec-player's private header: the Player state every part shares, the exit
 * statuses, and what each file offers the others. Not installed.
 *
 *   secdec-player.c   main: options, start-up checks, the main loop, teardown and summary
 *   messages.c        error and note messages to standard error (fatal ends the main loop)
 *   license-client.c  license acquisition over HTTP (libsoup 3): requests, retries, install
 *   pipeline.c        playbin: video sink, the secdecrypt element, bus, seeks, key refresh
 *   headless-output.c headless output from an appsink: Y4M frames and PNG snapshots
 *   terminal-ui.c     the terminal: raw keys, progress and state lines, SIGINT/SIGTERM/SIGHUP
 *
 * Threads: everything runs on the main loop's thread except the appsink callback of
 * headless-output.c (streaming thread); what both touch is guarded by Player.lock.
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef SECDEC_PLAYER_H
#define SECDEC_PLAYER_H

#include <stdio.h>
#include <termios.h>

#include <glib.h>
#include <gst/gst.h>
#include <libsoup/soup.h>

/* Exit statuses (documented in --help and samples/README.md). */
enum {
    EXIT_PLAYED = 0,       /* played to the end, or the user quit */
    EXIT_PLAYBACK = 1,     /* cannot play: missing file, pipeline or decode error, output I/O */
    EXIT_USAGE = 2,        /* bad command line */
    EXIT_UNREACHABLE = 3,  /* license server unreachable or failing (5xx) after the retries */
    EXIT_REFUSED = 4,      /* license server refused the request (4xx), or no server given */
    EXIT_BAD_LICENSE = 5,  /* the license did not parse or load (key exchange, content key) */
    EXIT_INTERRUPTED = 130 /* SIGINT / SIGTERM / SIGHUP */
};

typedef struct Player {
    /* options */
    gchar *uri;
    gchar *server_url;
    gchar *home;
    gchar *backend;          /* secdecrypt's backend: auto, software, vaapi (NULL: default) */
    gchar *video_sink;
    gchar *y4m_path;
    gchar *snapshot_dir;
    GArray *snap_times;      /* gdouble, ascending */
    gdouble refresh_interval;
    gdouble start;
    gdouble http_timeout;
    guint retries;
    guint key_timeout_ms;
    gboolean start_paused;
    gboolean headless;
    gboolean no_sync;
    gboolean verbose;

    GMainLoop *loop;
    GstElement *playbin;
    SoupSession *http;
    GCancellable *cancel;
    GHashTable *requests;    /* kidhex -> KeyRequest*: in flight (license-client.c) */
    int exit_code;
    gboolean failed;
    guint n_requests, n_keys, n_refresh;
    guint refresh_source, progress_source, stdin_watch;
    gint phase;              /* 0 prerolling, 1 seeking to --start, 2 running */
    gboolean user_paused;
    gboolean eos;

    GMutex lock;             /* guards what the streaming thread touches */
    GstElement *decryptor;   /* the secdecrypt instance (ref) */
    FILE *y4m;
    gboolean y4m_header;
    gboolean output_error;
    guint snap_next;
    GstSample *prev_sample;
    gdouble prev_time;
    guint n_frames;

    gboolean tty_in, tty_out;
    struct termios saved_termios;
    gboolean termios_saved;
    gchar keybuf[8];
    gsize keylen;
} Player;

/* messages.c */
/* Fatal error: the message once (the first error wins), the exit code, quit the main loop. */
void player_fatal(Player *p, int code, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
/* A line "secdec-player: ..." on standard error. */
void player_note(Player *p, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/* license-client.c */
/* Creates p->http (timeout p->http_timeout), p->cancel and p->requests. */
void license_client_init(Player *p);
/* The decryptor asked for a key (bus message "secdec-key-needed", main thread): one request
 * per KID, answered asynchronously. */
void license_client_key_needed(Player *p, GstElement *decryptor, const char *kidhex);
/* Cancels every request in flight; no callback touches a request after this. */
void license_client_cancel(Player *p);
/* Frees what license_client_init made (after license_client_cancel). */
void license_client_free(Player *p);

/* pipeline.c */
/* playbin for p->uri with the headless sink, --video-sink or the default window; bus watch.
 * Returns EXIT_PLAYED, or the exit status to stop with (message printed). */
int pipeline_create(Player *p);
/* Starts prerolling and runs the main loop until the end, an error or a quit. */
void pipeline_run(Player *p);
/* Flushing accurate seek, clamped to [0, duration]. */
void pipeline_seek_to(Player *p, gdouble seconds);
/* Starts the --refresh-interval timer (if any). */
void pipeline_start_refresh(Player *p);
/* Stops the refresh timer, sets playbin to NULL and drops the decryptor. */
void pipeline_stop(Player *p);
void pipeline_free(Player *p);

/* headless-output.c */
/* Parses --snapshot "T1,T2,..." into p->snap_times (sorted); FALSE when malformed. */
gboolean headless_parse_snapshots(Player *p, const char *spec);
/* "videoconvert ! I420 ! appsink" writing to p->y4m and snapshots; NULL on error (printed). */
GstElement *headless_make_sink(Player *p);
/* After playbin stopped: snapshots still due at the end of stream, close the Y4M file (an
 * output error becomes EXIT_PLAYBACK), free the snapshot times. */
void headless_finish(Player *p);

/* terminal-ui.c */
/* Raw keys when stdin is a terminal, the progress line when stdout is one, signal handlers. */
void ui_start(Player *p);
/* Ends the progress line, stops key input and restores the terminal. */
void ui_stop(Player *p);
/* Clears the progress line (before a message on a terminal). */
void ui_end_progress_line(Player *p);
/* The progress line (terminal) or, when event_line, "STATE at T s of D s" (not a terminal). */
void ui_print_position(Player *p, const char *state, gboolean event_line);

#endif
