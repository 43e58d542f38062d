/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Small ISO-BMFF box writer: a growable byte buffer plus a stack of open boxes. */
#ifndef SECDEC_PACK_BOXW_H
#define SECDEC_PACK_BOXW_H

#include <stddef.h>
#include <stdint.h>

#define BOXW_MAX_DEPTH 16

typedef struct boxw {
  uint8_t *data;
  size_t len, cap;
  size_t open[BOXW_MAX_DEPTH]; /* offsets of the size fields of open boxes */
  int depth;
  int failed; /* sticky: allocation failure or box misuse */
} boxw;

void boxw_init(boxw *w);
void boxw_free(boxw *w);
void boxw_reset(boxw *w);

void boxw_u8(boxw *w, uint8_t v);
void boxw_u16(boxw *w, uint16_t v);
void boxw_u24(boxw *w, uint32_t v);
void boxw_u32(boxw *w, uint32_t v);
void boxw_u64(boxw *w, uint64_t v);
void boxw_bytes(boxw *w, const void *p, size_t n);
void boxw_zeros(boxw *w, size_t n);
void boxw_fourcc(boxw *w, const char *fourcc);

/* Opens a box (size patched by boxw_end); boxw_fbegin adds version and flags. */
void boxw_begin(boxw *w, const char *type);
void boxw_fbegin(boxw *w, const char *type, uint8_t version, uint32_t flags);
void boxw_end(boxw *w);

/* Overwrites a big-endian u32 at an absolute offset already written. */
void boxw_patch_u32(boxw *w, size_t at, uint32_t v);

#endif
