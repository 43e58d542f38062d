/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "nalsplit.h"

#include <gst/codecparsers/gsth264parser.h>
#include <gst/codecparsers/gsth265parser.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct nalsplit {
  pack_codec codec;
  int nls; /* NAL length prefix size: 1, 2 or 4 */
  GstH264NalParser *h264;
  GstH265Parser *h265;
  bool encrypt_slice_headers;
};

static void seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void seterr(char *err, size_t errlen, const char *fmt, ...) {
  if (!err || !errlen)
    return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
}

static uint32_t rd_be(const uint8_t *p, int n) {
  uint32_t v = 0;
  for (int i = 0; i < n; i++)
    v = (v << 8) | p[i];
  return v;
}

/* Feeds one parameter-set NAL unit (no length prefix inside cfg; the 2-byte
 * length at cfg[off] is the prefix) to the parser. */
static int feed_param_set(nalsplit *ns, const uint8_t *cfg, size_t off, size_t len, char *err,
                          size_t errlen) {
  if (ns->codec == PACK_CODEC_H264) {
    GstH264NalUnit nalu;
    memset(&nalu, 0, sizeof(nalu));
    if (gst_h264_parser_identify_nalu_avc(ns->h264, cfg, (guint)off, len, 2, &nalu) !=
        GST_H264_PARSER_OK) {
      seterr(err, errlen, "avcC: cannot identify parameter-set NAL unit");
      return -1;
    }
    if ((nalu.type == GST_H264_NAL_SPS || nalu.type == GST_H264_NAL_PPS ||
         nalu.type == GST_H264_NAL_SUBSET_SPS) &&
        gst_h264_parser_parse_nal(ns->h264, &nalu) != GST_H264_PARSER_OK) {
      seterr(err, errlen, "avcC: cannot parse %s", nalu.type == GST_H264_NAL_PPS ? "PPS" : "SPS");
      return -1;
    }
  } else {
    GstH265NalUnit nalu;
    memset(&nalu, 0, sizeof(nalu));
    if (gst_h265_parser_identify_nalu_hevc(ns->h265, cfg, (guint)off, len, 2, &nalu) !=
        GST_H265_PARSER_OK) {
      seterr(err, errlen, "hvcC: cannot identify parameter-set NAL unit");
      return -1;
    }
    if (nalu.type >= GST_H265_NAL_VPS && nalu.type <= GST_H265_NAL_PPS &&
        gst_h265_parser_parse_nal(ns->h265, &nalu) != GST_H265_PARSER_OK) {
      seterr(err, errlen, "hvcC: cannot parse parameter set (NAL type %d)", nalu.type);
      return -1;
    }
  }
  return 0;
}

/* Reads one u16-length-prefixed NAL unit at *off of cfg and feeds it. */
static int config_nal(nalsplit *ns, const uint8_t *cfg, size_t len, size_t *off, char *err,
                      size_t errlen) {
  if (len - *off < 2) {
    seterr(err, errlen, "codec configuration record truncated");
    return -1;
  }
  size_t n = rd_be(cfg + *off, 2);
  if (n == 0 || n > len - *off - 2) {
    seterr(err, errlen, "codec configuration record: bad parameter-set length %zu", n);
    return -1;
  }
  if (feed_param_set(ns, cfg, *off, len, err, errlen) < 0)
    return -1;
  *off += 2 + n;
  return 0;
}

static int parse_avcc(nalsplit *ns, const uint8_t *c, size_t len, char *err, size_t errlen) {
  if (len < 7 || c[0] != 1) {
    seterr(err, errlen, "extradata is not an avcC record (Annex B input is not supported)");
    return -1;
  }
  ns->nls = (c[4] & 3) + 1;
  size_t off = 6;
  for (unsigned i = 0, nsps = c[5] & 0x1f; i < nsps; i++)
    if (config_nal(ns, c, len, &off, err, errlen) < 0)
      return -1;
  if (off >= len) {
    seterr(err, errlen, "avcC truncated before the PPS count");
    return -1;
  }
  unsigned npps = c[off++];
  for (unsigned i = 0; i < npps; i++)
    if (config_nal(ns, c, len, &off, err, errlen) < 0)
      return -1;
  return 0;
}

static int parse_hvcc(nalsplit *ns, const uint8_t *c, size_t len, char *err, size_t errlen) {
  if (len < 23 || c[0] != 1) {
    seterr(err, errlen, "extradata is not an hvcC record (Annex B input is not supported)");
    return -1;
  }
  ns->nls = (c[21] & 3) + 1;
  size_t off = 23;
  for (unsigned a = 0, narrays = c[22]; a < narrays; a++) {
    if (len - off < 3) {
      seterr(err, errlen, "hvcC truncated in NAL array %u", a);
      return -1;
    }
    unsigned count = rd_be(c + off + 1, 2);
    off += 3;
    for (unsigned i = 0; i < count; i++)
      if (config_nal(ns, c, len, &off, err, errlen) < 0)
        return -1;
  }
  return 0;
}

nalsplit *nalsplit_new(pack_codec codec, const uint8_t *config, size_t config_len, char *err,
                       size_t errlen) {
  if (!config || !config_len) {
    seterr(err, errlen, "the video stream has no codec configuration (avcC/hvcC)");
    return NULL;
  }
  nalsplit *ns = calloc(1, sizeof(*ns));
  if (!ns) {
    seterr(err, errlen, "out of memory");
    return NULL;
  }
  ns->codec = codec;
  int rc;
  if (codec == PACK_CODEC_H264) {
    ns->h264 = gst_h264_nal_parser_new();
    rc = ns->h264 ? parse_avcc(ns, config, config_len, err, errlen) : -1;
  } else {
    ns->h265 = gst_h265_parser_new();
    rc = ns->h265 ? parse_hvcc(ns, config, config_len, err, errlen) : -1;
  }
  if (rc == 0 && ns->nls == 3) {
    seterr(err, errlen, "unsupported NAL length size 3");
    rc = -1;
  }
  if (rc < 0) {
    nalsplit_free(ns);
    return NULL;
  }
  return ns;
}

void nalsplit_free(nalsplit *ns) {
  if (!ns)
    return;
  if (ns->h264)
    gst_h264_nal_parser_free(ns->h264);
  if (ns->h265)
    gst_h265_parser_free(ns->h265);
  free(ns);
}

int nalsplit_length_size(const nalsplit *ns) { return ns->nls; }

static int push(pack_sublist *out, uint16_t clear, uint32_t enc) {
  if (out->n == out->cap) {
    size_t cap = out->cap ? out->cap * 2 : 16;
    pack_subsample *v = realloc(out->v, cap * sizeof(*v));
    if (!v)
      return -1;
    out->v = v;
    out->cap = cap;
  }
  out->v[out->n].clear = clear;
  out->v[out->n].enc = enc;
  out->n++;
  return 0;
}

/* Emits clear bytes (split into u16-sized pieces) followed by enc bytes. */
static int emit(pack_sublist *out, uint64_t clear, uint32_t enc) {
  while (clear > UINT16_MAX) {
    if (push(out, UINT16_MAX, 0) < 0)
      return -1;
    clear -= UINT16_MAX;
  }
  return push(out, (uint16_t)clear, enc);
}

/* Bytes at the start of a VCL NAL unit that must stay clear (NAL header +
 * slice header), or 0 for a NAL unit that stays entirely clear. -1 on error. */
static long clear_head(nalsplit *ns, const uint8_t *data, size_t size, size_t off, size_t nal_len,
                       char *err, size_t errlen) {
  if (ns->codec == PACK_CODEC_H264) {
    GstH264NalUnit nalu;
    memset(&nalu, 0, sizeof(nalu));
    if (gst_h264_parser_identify_nalu_avc(ns->h264, data, (guint)off, size, (guint8)ns->nls,
                                          &nalu) != GST_H264_PARSER_OK) {
      seterr(err, errlen, "cannot identify H.264 NAL unit at offset %zu", off);
      return -1;
    }
    if (nalu.type == GST_H264_NAL_SLICE || nalu.type == GST_H264_NAL_SLICE_IDR) {
      GstH264SliceHdr slice;
      memset(&slice, 0, sizeof(slice));
      if (gst_h264_parser_parse_slice_hdr(ns->h264, &nalu, &slice, TRUE, TRUE) !=
          GST_H264_PARSER_OK) {
        seterr(err, errlen, "cannot parse H.264 slice header at offset %zu (missing SPS/PPS?)",
               off);
        return -1;
      }
      if (ns->encrypt_slice_headers)
        return (long)nalu.header_bytes;
      return (long)(nalu.header_bytes + (slice.header_size + 7) / 8 +
                    slice.n_emulation_prevention_bytes);
    }
    if ((nalu.type == GST_H264_NAL_SPS || nalu.type == GST_H264_NAL_PPS ||
         nalu.type == GST_H264_NAL_SUBSET_SPS) &&
        gst_h264_parser_parse_nal(ns->h264, &nalu) != GST_H264_PARSER_OK) {
      seterr(err, errlen, "cannot parse in-band H.264 parameter set at offset %zu", off);
      return -1;
    }
    return 0;
  }
  GstH265NalUnit nalu;
  memset(&nalu, 0, sizeof(nalu));
  if (gst_h265_parser_identify_nalu_hevc(ns->h265, data, (guint)off, size, (guint8)ns->nls,
                                         &nalu) != GST_H265_PARSER_OK) {
    seterr(err, errlen, "cannot identify HEVC NAL unit at offset %zu", off);
    return -1;
  }
  if (nalu.type <= GST_H265_NAL_SLICE_RASL_R ||
      (nalu.type >= GST_H265_NAL_SLICE_BLA_W_LP && nalu.type <= GST_H265_NAL_SLICE_CRA_NUT)) {
    GstH265SliceHdr slice;
    memset(&slice, 0, sizeof(slice));
    if (gst_h265_parser_parse_slice_hdr(ns->h265, &nalu, &slice) != GST_H265_PARSER_OK) {
      gst_h265_slice_hdr_free(&slice);
      seterr(err, errlen, "cannot parse HEVC slice header at offset %zu (missing VPS/SPS/PPS?)",
             off);
      return -1;
    }
    long n = (long)(nalu.header_bytes + (slice.header_size + 7) / 8 +
                    slice.n_emulation_prevention_bytes);
    if (ns->encrypt_slice_headers)
      n = (long)nalu.header_bytes;
    gst_h265_slice_hdr_free(&slice);
    return n;
  }
  if (nalu.type >= GST_H265_NAL_VPS && nalu.type <= GST_H265_NAL_PPS &&
      gst_h265_parser_parse_nal(ns->h265, &nalu) != GST_H265_PARSER_OK) {
    seterr(err, errlen, "cannot parse in-band HEVC parameter set at offset %zu", off);
    return -1;
  }
  (void)nal_len;
  return 0;
}

void nalsplit_set_encrypt_slice_headers(nalsplit *ns, bool on) {
  ns->encrypt_slice_headers = on;
}

int nalsplit_sample(nalsplit *ns, const uint8_t *data, size_t size, pack_sublist *out, char *err,
                    size_t errlen) {
  out->n = 0;
  if (size == 0) {
    seterr(err, errlen, "empty sample");
    return -1;
  }
  if (size > UINT32_MAX) {
    seterr(err, errlen, "sample too large");
    return -1;
  }
  uint64_t pending = 0; /* clear bytes not yet emitted */
  size_t off = 0;
  while (off < size) {
    if (size - off < (size_t)ns->nls) {
      seterr(err, errlen, "truncated NAL length prefix at offset %zu", off);
      return -1;
    }
    size_t nal_len = rd_be(data + off, ns->nls);
    if (nal_len == 0 || nal_len > size - off - (size_t)ns->nls) {
      seterr(err, errlen, "NAL length %zu at offset %zu exceeds the sample (%zu bytes)", nal_len,
             off, size);
      return -1;
    }
    long head = clear_head(ns, data, size, off, nal_len, err, errlen);
    if (head < 0)
      return -1;
    size_t total = (size_t)ns->nls + nal_len;
    size_t enc = 0;
    if (head > 0 && (size_t)head < nal_len)
      enc = ns->encrypt_slice_headers ? nal_len - (size_t)head
                                      : (nal_len - (size_t)head) & ~(size_t)15;
    pending += total - enc;
    if (enc) {
      if (emit(out, pending, (uint32_t)enc) < 0)
        goto oom;
      pending = 0;
    }
    off += total;
  }
  if (pending && emit(out, pending, 0) < 0)
    goto oom;
  return 0;
oom:
  seterr(err, errlen, "out of memory");
  return -1;
}

int pack_sublist_all_clear(pack_sublist *out, size_t size) {
  out->n = 0;
  return emit(out, size, 0);
}
