/*
 * log.h - the core's logger: one level filter and an application callback (log.c). Not installed.
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Besides backend.h, the one piece of the core's insides the hardware module (hw/) sees: hw links
 * log.c's object so both halves log through the same code. Thread-safety: sd_log() may be called
 * from any thread; the callback is the application's (SecdecDeviceSettings.logger).
 */

#ifndef SECDEC_LOG_H
#define SECDEC_LOG_H

#include "secdec/secdec.h"

#define SD_INTERNAL __attribute__((visibility("hidden")))

typedef struct SdLogger {
    SecdecLogCallback cb;   /* NULL: to stderr */
    void *cookie;
    SecdecLogLevel level;   /* messages above this level are dropped */
} SdLogger;

/** Formats and delivers one message at `level` through `lg`; nothing when `lg` is NULL or
 *  `level` is above lg->level. Messages longer than 1023 bytes are cut. */
SD_INTERNAL void sd_log(const SdLogger *lg, SecdecLogLevel level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif /* SECDEC_LOG_H */
