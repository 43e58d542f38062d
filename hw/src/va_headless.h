/*
 * va_headless.h - a VADisplay without a window system or a DRM device, for test drivers.
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef SECDEC_VA_HEADLESS_H
#define SECDEC_VA_HEADLESS_H

#include <va/va.h>

/** A display whose driver is `driver_name` (loaded as <name>_drv_video.so from
 *  $LIBVA_DRIVERS_PATH by vaInitialize()). NULL when out of memory. vaTerminate() frees it.
 *  Built on libva's public va_backend.h (libva 2.17's VADisplayContext: vaIsValid, vaDestroy,
 *  vaGetNumCandidates, vaGetDriverNameByIndex; libva >= 2.20 also needs vaGetDriverNames). */
VADisplay sd_va_headless_display(const char *driver_name)
    __attribute__((visibility("hidden")));

#endif
