/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Splits length-prefixed H.264/HEVC samples into CENC subsamples that keep the
 * length prefixes, NAL headers, whole slice headers and all non-VCL NAL units
 * in the clear and encrypt only whole 16-byte blocks of slice data. */
#ifndef SECDEC_PACK_NALSPLIT_H
#define SECDEC_PACK_NALSPLIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum { PACK_CODEC_H264, PACK_CODEC_HEVC } pack_codec;

typedef struct pack_subsample {
  uint16_t clear;
  uint32_t enc;
} pack_subsample;

/* A growable list of subsamples owned by the caller (free subs with free()). */
typedef struct pack_sublist {
  pack_subsample *v;
  size_t n, cap;
} pack_sublist;

typedef struct nalsplit nalsplit;

/* Parses the avcC / hvcC record (SPS/PPS/VPS are fed to the slice-header parser).
 * Returns NULL and fills err on malformed input or allocation failure. */
nalsplit *nalsplit_new(pack_codec codec, const uint8_t *config, size_t config_len, char *err,
                       size_t errlen);
void nalsplit_free(nalsplit *ns);
int nalsplit_length_size(const nalsplit *ns);

/* Computes the subsamples of one sample into out (reset first). The subsamples
 * cover the sample exactly; every enc count is a multiple of 16 (unless
 * nalsplit_set_encrypt_slice_headers() is on). Returns 0, or -1
 * with err filled when the sample is malformed. */
int nalsplit_sample(nalsplit *ns, const uint8_t *data, size_t size, pack_sublist *out, char *err,
                    size_t errlen);

/* Testing only: keep only the length prefix and the NAL header of slice NAL units clear and
 * encrypt the whole rest (slice header included, enc counts not multiples of 16), as FFmpeg's
 * CENC muxer does. Valid for cenc, cens and cbcs (whose trailing partial block stays clear),
 * not cbc1. Hardware decoders, which parse the slice headers themselves, cannot decode it. */
void nalsplit_set_encrypt_slice_headers(nalsplit *ns, bool on);

/* Replaces out with subsamples describing size bytes, all clear. */
int pack_sublist_all_clear(pack_sublist *out, size_t size);

#endif
