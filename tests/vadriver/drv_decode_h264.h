/*
 * drv_decode_h264.h - the test VA driver's H.264 decoder: rebuilds SPS/PPS from the VA buffers
 * and decodes each picture's (decrypted) slices with libavcodec into the target surface.
 *
 * Copyright (C) 2026 secdec developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef SECDEC_DRV_DECODE_H264_H
#define SECDEC_DRV_DECODE_H264_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <va/va.h>

typedef struct DrvH264 DrvH264;

/* True for the H.264 profiles the decoder handles (the driver's H.264 decode profiles). */
bool drv_h264_profile(VAProfile profile);

/* One per VA context of an H.264 config; NULL when out of memory. libavcodec is opened lazily
 * at the first picture that has a picture parameter buffer. */
DrvH264 *drv_h264_new(VAProfile profile);
void drv_h264_free(DrvH264 *h);

/* Forgets the current picture's buffers (vaBeginPicture, end of vaEndPicture). NULL-safe. */
void drv_h264_picture_reset(DrvH264 *h);

/* Records a picture, IQ matrix or slice parameter buffer of the current picture (other types
 * are ignored). data_index: how many slice data buffers the picture had before this buffer —
 * the data buffer its slice parameters describe. */
VAStatus drv_h264_render(DrvH264 *h, VABufferType type, const void *data, unsigned size,
                         unsigned num_elements, size_t data_index);

enum {
    DRV_H264_FAILED = -1,  /* why says why; the surface is left alone */
    DRV_H264_SKIPPED = 0,  /* no picture parameter buffer: nothing to decode */
    DRV_H264_DECODED = 1,  /* the surface holds the decoded picture */
};

/* Decodes the current picture. slices: the picture's slice data buffers (already decrypted)
 * concatenated, slice_ends[i] the end of buffer i. nv12: the surface (pitch = width, the UV
 * plane after width * height luma bytes). */
int drv_h264_end_picture(DrvH264 *h, const uint8_t *slices, const size_t *slice_ends,
                         size_t n_slices, uint8_t *nv12, int width, int height, char *why,
                         size_t why_size);

#endif
