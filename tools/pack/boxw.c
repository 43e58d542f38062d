/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "boxw.h"

#include <stdlib.h>
#include <string.h>

void boxw_init(boxw *w) { memset(w, 0, sizeof(*w)); }

void boxw_free(boxw *w) {
  free(w->data);
  memset(w, 0, sizeof(*w));
}

void boxw_reset(boxw *w) {
  w->len = 0;
  w->depth = 0;
  w->failed = 0;
}

static uint8_t *grow(boxw *w, size_t n) {
  if (w->failed)
    return NULL;
  if (n > SIZE_MAX - w->len) {
    w->failed = 1;
    return NULL;
  }
  if (w->len + n > w->cap) {
    size_t cap = w->cap ? w->cap : 256;
    while (cap < w->len + n) {
      if (cap > SIZE_MAX / 2) {
        w->failed = 1;
        return NULL;
      }
      cap *= 2;
    }
    uint8_t *p = realloc(w->data, cap);
    if (!p) {
      w->failed = 1;
      return NULL;
    }
    w->data = p;
    w->cap = cap;
  }
  uint8_t *p = w->data + w->len;
  w->len += n;
  return p;
}

static void put_be(uint8_t *p, uint64_t v, int n) {
  for (int i = n - 1; i >= 0; i--) {
    p[i] = (uint8_t)(v & 0xff);
    v >>= 8;
  }
}

static void be(boxw *w, uint64_t v, int n) {
  uint8_t *p = grow(w, (size_t)n);
  if (p)
    put_be(p, v, n);
}

void boxw_u8(boxw *w, uint8_t v) { be(w, v, 1); }
void boxw_u16(boxw *w, uint16_t v) { be(w, v, 2); }
void boxw_u24(boxw *w, uint32_t v) { be(w, v & 0xffffff, 3); }
void boxw_u32(boxw *w, uint32_t v) { be(w, v, 4); }
void boxw_u64(boxw *w, uint64_t v) { be(w, v, 8); }

void boxw_bytes(boxw *w, const void *src, size_t n) {
  uint8_t *p = grow(w, n);
  if (p && n)
    memcpy(p, src, n);
}

void boxw_zeros(boxw *w, size_t n) {
  uint8_t *p = grow(w, n);
  if (p)
    memset(p, 0, n);
}

void boxw_fourcc(boxw *w, const char *fourcc) { boxw_bytes(w, fourcc, 4); }

void boxw_begin(boxw *w, const char *type) {
  if (w->depth >= BOXW_MAX_DEPTH) {
    w->failed = 1;
    return;
  }
  w->open[w->depth++] = w->len;
  boxw_u32(w, 0);
  boxw_fourcc(w, type);
}

void boxw_fbegin(boxw *w, const char *type, uint8_t version, uint32_t flags) {
  boxw_begin(w, type);
  boxw_u8(w, version);
  boxw_u24(w, flags);
}

void boxw_end(boxw *w) {
  if (w->depth <= 0) {
    w->failed = 1;
    return;
  }
  size_t start = w->open[--w->depth];
  if (w->failed)
    return;
  if (w->len - start > UINT32_MAX) {
    w->failed = 1;
    return;
  }
  put_be(w->data + start, w->len - start, 4);
}

void boxw_patch_u32(boxw *w, size_t at, uint32_t v) {
  if (w->failed || at > w->len || w->len - at < 4) {
    w->failed = 1;
    return;
  }
  put_be(w->data + at, v, 4);
}
