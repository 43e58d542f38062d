/*
 * log.c - logging through the device's callback, and allocation with fault injection.
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static atomic_int fault_countdown = -1;

void sd_fault_alloc_countdown(int n)
{
    atomic_store(&fault_countdown, n);
}

bool sd_fault_alloc_should_fail(void)
{
    int cur = atomic_load(&fault_countdown);
    while (cur >= 0) {
        if (atomic_compare_exchange_weak(&fault_countdown, &cur, cur - 1))
            return cur == 0;
    }
    return false;
}

void *sd_calloc(size_t n, size_t size)
{
    if (sd_fault_alloc_should_fail())
        return NULL;
    return calloc(n, size);
}

char *sd_strdup(const char *s)
{
    if (sd_fault_alloc_should_fail())
        return NULL;
    return strdup(s);
}

void sd_log(const SdLogger *lg, SecdecLogLevel level, const char *fmt, ...)
{
    if (!lg || level > lg->level)
        return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (lg->cb) {
        lg->cb(lg->cookie, level, msg);
    } else {
        static const char *const names[] = {"error", "warning", "info", "debug"};
        fprintf(stderr, "secdec %s: %s\n", names[level], msg);
    }
}
