/*
 * messages.c - secdec-player's messages on standard error: notes, and the one fatal error
 * that sets the exit status and ends the main loop. A progress line on the terminal is
 * cleared first so that messages start on a clean line.
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <stdarg.h>
#include <stdio.h>

#include "player.h"

static void vmessage(Player *p, const char *prefix, const char *fmt, va_list ap)
    G_GNUC_PRINTF(3, 0);

static void
vmessage(Player *p, const char *prefix, const char *fmt, va_list ap)
{
    gchar *text = g_strdup_vprintf(fmt, ap);

    ui_end_progress_line(p);
    fprintf(stderr, "secdec-player: %s%s\n", prefix, text);
    g_free(text);
}

void
player_fatal(Player *p, int code, const char *fmt, ...)
{
    va_list ap;

    if (p->failed)
        return;
    p->failed = TRUE;
    p->exit_code = code;
    va_start(ap, fmt);
    vmessage(p, "error: ", fmt, ap);
    va_end(ap);
    g_main_loop_quit(p->loop);
}

void
player_note(Player *p, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vmessage(p, "", fmt, ap);
    va_end(ap);
}
