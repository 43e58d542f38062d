/*
 * terminal-ui.c - secdec-player's terminal: when standard input is a terminal it is put into
 * non-canonical, no-echo mode (restored at exit, on q and on signals) and read for keys — space
 * play/pause, left/right seek -/+5 s, q quit; when standard output is one, a progress line
 * ("Playing 0:01.25 / 0:04.00"), otherwise one line per state change. SIGINT, SIGTERM and
 * SIGHUP end the main loop with exit status 130.
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <stdio.h>
#include <stdlib.h>
#include <termios.h>
#include <unistd.h>

#include <glib-unix.h>

#include "player.h"

static struct termios *atexit_termios;

static void
restore_terminal(void)
{
    if (atexit_termios)
        tcsetattr(STDIN_FILENO, TCSANOW, atexit_termios);
}

void
ui_end_progress_line(Player *p)
{
    if (p->tty_out) {
        fputs("\r\033[K", stdout);
        fflush(stdout);
    }
}

/* ---- position ------------------------------------------------------------------------------- */

static gchar *
format_time(gint64 t)
{
    if (t < 0)
        return g_strdup("--:--.--");
    return g_strdup_printf("%" G_GINT64_FORMAT ":%05.2f", t / (60 * GST_SECOND),
                           (gdouble)(t % (60 * GST_SECOND)) / GST_SECOND);
}

void
ui_print_position(Player *p, const char *state, gboolean event_line)
{
    gint64 pos = -1, dur = -1;
    gchar *ps, *ds;

    if (!gst_element_query_position(p->playbin, GST_FORMAT_TIME, &pos))
        pos = -1;
    if (!gst_element_query_duration(p->playbin, GST_FORMAT_TIME, &dur))
        dur = -1;
    if (p->tty_out) {
        ps = format_time(pos);
        ds = format_time(dur);
        printf("\r\033[K%s %s / %s   [space] pause  [<-/->] seek 5 s  [q] quit", state, ps, ds);
        fflush(stdout);
        g_free(ps);
        g_free(ds);
    } else if (event_line) {
        printf("%s at %.3f s of %.3f s\n", state, pos >= 0 ? (gdouble)pos / GST_SECOND : 0.0,
               dur >= 0 ? (gdouble)dur / GST_SECOND : 0.0);
        fflush(stdout);
    }
}

static gboolean
progress_cb(gpointer data)
{
    Player *p = data;
    GstState state = GST_STATE_NULL;

    gst_element_get_state(p->playbin, &state, NULL, 0);
    if (p->phase == 2)
        ui_print_position(p, state == GST_STATE_PLAYING ? "Playing" : "Paused ", FALSE);
    return G_SOURCE_CONTINUE;
}

static void
seek_relative(Player *p, gdouble delta)
{
    gint64 pos = 0;

    if (!gst_element_query_position(p->playbin, GST_FORMAT_TIME, &pos))
        return;
    pipeline_seek_to(p, (gdouble)pos / GST_SECOND + delta);
}

static void
toggle_pause(Player *p)
{
    p->user_paused = !p->user_paused;
    gst_element_set_state(p->playbin, p->user_paused ? GST_STATE_PAUSED : GST_STATE_PLAYING);
}

/* ---- keys and signals ----------------------------------------------------------------------- */

static gboolean
on_stdin(gint fd, GIOCondition cond, gpointer data)
{
    Player *p = data;
    gchar c;
    ssize_t n = read(fd, &c, 1);

    if (n <= 0)
        return G_SOURCE_REMOVE;
    if (p->keylen == 0 && c != 0x1b) {
        if (c == ' ')
            toggle_pause(p);
        else if (c == 'q' || c == 'Q')
            g_main_loop_quit(p->loop);
        return G_SOURCE_CONTINUE;
    }
    /* escape sequences: ESC [ C (right), ESC [ D (left) */
    p->keybuf[p->keylen++] = c;
    if (p->keylen == 2 && c != '[' && c != 'O') {
        p->keylen = 0;
    } else if (p->keylen == 3) {
        if (c == 'C')
            seek_relative(p, 5.0);
        else if (c == 'D')
            seek_relative(p, -5.0);
        p->keylen = 0;
    }
    return G_SOURCE_CONTINUE;
}

static void
terminal_raw(Player *p)
{
    struct termios t;

    if (!p->tty_in || tcgetattr(STDIN_FILENO, &p->saved_termios) != 0)
        return;
    p->termios_saved = TRUE;
    atexit_termios = &p->saved_termios;
    atexit(restore_terminal);
    t = p->saved_termios;
    t.c_lflag &= ~(tcflag_t)(ICANON | ECHO);   /* ISIG stays: Ctrl-C still interrupts */
    t.c_cc[VMIN] = 1;
    t.c_cc[VTIME] = 0;
    tcsetattr(STDIN_FILENO, TCSANOW, &t);
}

static gboolean
on_signal(gpointer data)
{
    Player *p = data;

    if (!p->failed)
        p->exit_code = EXIT_INTERRUPTED;
    p->failed = TRUE;
    g_main_loop_quit(p->loop);
    return G_SOURCE_CONTINUE;
}

void
ui_start(Player *p)
{
    p->tty_in = isatty(STDIN_FILENO);
    p->tty_out = isatty(STDOUT_FILENO);
    terminal_raw(p);
    if (p->tty_in)
        p->stdin_watch = g_unix_fd_add(STDIN_FILENO, G_IO_IN, on_stdin, p);
    g_unix_signal_add(SIGINT, on_signal, p);
    g_unix_signal_add(SIGTERM, on_signal, p);
    g_unix_signal_add(SIGHUP, on_signal, p);
    if (p->tty_out)
        p->progress_source = g_timeout_add(250, progress_cb, p);
}

void
ui_stop(Player *p)
{
    ui_end_progress_line(p);
    if (p->progress_source)
        g_source_remove(p->progress_source);
    p->progress_source = 0;
    if (p->stdin_watch)
        g_source_remove(p->stdin_watch);
    p->stdin_watch = 0;
    if (p->termios_saved)
        tcsetattr(STDIN_FILENO, TCSANOW, &p->saved_termios);
}
