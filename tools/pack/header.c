/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* header.c - secdec-pack's boxes before the fragments: ftyp, moov (mvhd, one video trak whose
 * 'encv' sample entry keeps the input's avcC/hvcC and carries sinf/frma/schm/schi/tenc, mvex,
 * pssh boxes) and the sidx that indexes every fragment (written last, at its placeholder). */
#include <string.h>

#include "pack.h"

const uint8_t pack_sysid_secdec[16] = {0x8f, 0x8f, 0xca, 0xac, 0x0c, 0xe0, 0x46, 0x3e,
                                       0x8b, 0x43, 0xb7, 0xab, 0xf7, 0x82, 0x2a, 0x5d};
const uint8_t pack_sysid_common[16] = {0x10, 0x77, 0xef, 0xec, 0xc0, 0xb2, 0x4d, 0x02,
                                       0xac, 0xe3, 0x3c, 0x1e, 0x52, 0xe2, 0xfb, 0x4b};

void write_ftyp(boxw *w) {
  boxw_begin(w, "ftyp");
  boxw_fourcc(w, "iso6");
  boxw_u32(w, 0);
  static const char *brands[] = {"iso6", "cmfc", "dash", "mp41"};
  for (size_t i = 0; i < sizeof(brands) / sizeof(brands[0]); i++)
    boxw_fourcc(w, brands[i]);
  boxw_end(w);
}

static void write_matrix(boxw *w) {
  static const uint32_t m[9] = {0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000};
  for (int i = 0; i < 9; i++)
    boxw_u32(w, m[i]);
}

static void write_tenc(boxw *w, const options *o) {
  int pattern = o->scheme == PACK_SCHEME_CBCS || o->scheme == PACK_SCHEME_CENS;
  boxw_fbegin(w, "tenc", pattern ? 1 : 0, 0);
  boxw_u8(w, 0);
  boxw_u8(w, pattern ? (uint8_t)(o->crypt << 4 | o->skip) : 0);
  boxw_u8(w, 1); /* isProtected */
  boxw_u8(w, (uint8_t)o->iv_size);
  boxw_bytes(w, o->kid, 16);
  if (o->iv_size == 0) {
    boxw_u8(w, 16);
    boxw_bytes(w, o->const_iv, 16);
  }
  boxw_end(w);
}

/* In moov: all the KIDs of the file. With key rotation a pssh naming only the KID of its
 * fragment also goes in every moof (as DASH packagers do), so demuxers that ignore 'seig'
 * groups (qtdemux 1.22, FFmpeg 5.1) still tell the decryptor which key each fragment needs:
 * qtdemux forwards it as a protection event with origin "isobmff/moof". */
void write_pssh(boxw *w, const uint8_t sysid[16], const uint8_t kid[16], const uint8_t *kid2) {
  boxw_fbegin(w, "pssh", 1, 0);
  boxw_bytes(w, sysid, 16);
  boxw_u32(w, kid2 ? 2 : 1);
  boxw_bytes(w, kid, 16);
  if (kid2)
    boxw_bytes(w, kid2, 16);
  boxw_u32(w, 0); /* DataSize */
  boxw_end(w);
}

void write_moov(boxw *w, const job *j) {
  const options *o = &j->opt;
  const input *in = &j->in;
  AVCodecParameters *par = in->fmt->streams[in->stream]->codecpar;
  boxw_begin(w, "moov");
  boxw_fbegin(w, "mvhd", 0, 0);
  boxw_u32(w, 0);
  boxw_u32(w, 0);
  boxw_u32(w, in->timescale);
  boxw_u32(w, 0); /* duration: unknown in the fragmented header */
  boxw_u32(w, 0x00010000);
  boxw_u16(w, 0x0100);
  boxw_zeros(w, 10);
  write_matrix(w);
  boxw_zeros(w, 24);
  boxw_u32(w, 2); /* next_track_ID */
  boxw_end(w);

  boxw_begin(w, "trak");
  boxw_fbegin(w, "tkhd", 0, 3);
  boxw_u32(w, 0);
  boxw_u32(w, 0);
  boxw_u32(w, 1); /* track_ID */
  boxw_u32(w, 0);
  boxw_u32(w, 0);
  boxw_zeros(w, 8);
  boxw_u16(w, 0);
  boxw_u16(w, 0);
  boxw_u16(w, 0);
  boxw_u16(w, 0);
  write_matrix(w);
  boxw_u32(w, (uint32_t)in->width << 16);
  boxw_u32(w, (uint32_t)in->height << 16);
  boxw_end(w);

  boxw_begin(w, "mdia");
  boxw_fbegin(w, "mdhd", 0, 0);
  boxw_u32(w, 0);
  boxw_u32(w, 0);
  boxw_u32(w, in->timescale);
  boxw_u32(w, 0);
  boxw_u16(w, 0x55c4); /* 'und' */
  boxw_u16(w, 0);
  boxw_end(w);
  boxw_fbegin(w, "hdlr", 0, 0);
  boxw_u32(w, 0);
  boxw_fourcc(w, "vide");
  boxw_zeros(w, 12);
  boxw_bytes(w, "VideoHandler", 13);
  boxw_end(w);
  boxw_begin(w, "minf");
  boxw_fbegin(w, "vmhd", 0, 1);
  boxw_zeros(w, 8);
  boxw_end(w);
  boxw_begin(w, "dinf");
  boxw_fbegin(w, "dref", 0, 0);
  boxw_u32(w, 1);
  boxw_fbegin(w, "url ", 0, 1);
  boxw_end(w);
  boxw_end(w);
  boxw_end(w);
  boxw_begin(w, "stbl");
  boxw_fbegin(w, "stsd", 0, 0);
  boxw_u32(w, 1);
  boxw_begin(w, "encv");
  boxw_zeros(w, 6);
  boxw_u16(w, 1); /* data_reference_index */
  boxw_zeros(w, 16);
  boxw_u16(w, (uint16_t)in->width);
  boxw_u16(w, (uint16_t)in->height);
  boxw_u32(w, 0x00480000);
  boxw_u32(w, 0x00480000);
  boxw_u32(w, 0);
  boxw_u16(w, 1); /* frame_count */
  boxw_zeros(w, 32);
  boxw_u16(w, 0x0018);
  boxw_u16(w, 0xffff);
  boxw_begin(w, in->codec == PACK_CODEC_H264 ? "avcC" : "hvcC");
  boxw_bytes(w, par->extradata, (size_t)par->extradata_size);
  boxw_end(w);
  if (par->sample_aspect_ratio.num > 0 && par->sample_aspect_ratio.den > 0) {
    boxw_begin(w, "pasp");
    boxw_u32(w, (uint32_t)par->sample_aspect_ratio.num);
    boxw_u32(w, (uint32_t)par->sample_aspect_ratio.den);
    boxw_end(w);
  }
  boxw_begin(w, "sinf");
  boxw_begin(w, "frma");
  boxw_fourcc(w, in->fourcc);
  boxw_end(w);
  boxw_fbegin(w, "schm", 0, 0);
  boxw_fourcc(w, pack_scheme_fourcc(o->scheme));
  boxw_u32(w, 0x00010000);
  boxw_end(w);
  boxw_begin(w, "schi");
  write_tenc(w, o);
  boxw_end(w); /* schi */
  boxw_end(w); /* sinf */
  boxw_end(w); /* encv */
  boxw_end(w); /* stsd */
  static const char *empty[] = {"stts", "stsc", "stco"};
  for (int i = 0; i < 3; i++) {
    boxw_fbegin(w, empty[i], 0, 0);
    boxw_u32(w, 0);
    boxw_end(w);
  }
  boxw_fbegin(w, "stsz", 0, 0);
  boxw_u32(w, 0);
  boxw_u32(w, 0);
  boxw_end(w);
  boxw_end(w); /* stbl */
  boxw_end(w); /* minf */
  boxw_end(w); /* mdia */
  boxw_end(w); /* trak */

  boxw_begin(w, "mvex");
  boxw_fbegin(w, "trex", 0, 0);
  boxw_u32(w, 1); /* track_ID */
  boxw_u32(w, 1); /* default_sample_description_index */
  boxw_u32(w, 0);
  boxw_u32(w, 0);
  boxw_u32(w, 0);
  boxw_end(w);
  boxw_end(w);

  if (o->pssh & PSSH_SECDEC)
    write_pssh(w, pack_sysid_secdec, o->kid, o->have_kid2 ? o->kid2 : NULL);
  if (o->pssh & PSSH_COMMON)
    write_pssh(w, pack_sysid_common, o->kid, o->have_kid2 ? o->kid2 : NULL);
  boxw_end(w); /* moov */
}

size_t sidx_size(size_t nf) { return 12 + 4 + 4 + 8 + 8 + 2 + 2 + 12 * nf; }

void write_sidx(boxw *w, const job *j) {
  boxw_fbegin(w, "sidx", 1, 0);
  boxw_u32(w, 1); /* reference_ID */
  boxw_u32(w, j->in.timescale);
  int64_t ept = INT64_MAX;
  for (size_t k = 0; k < j->f[0].count; k++)
    if (j->s[j->f[0].first + k].pts < ept)
      ept = j->s[j->f[0].first + k].pts;
  boxw_u64(w, (uint64_t)ept);
  boxw_u64(w, 0); /* first_offset: fragments follow the sidx directly */
  boxw_u16(w, 0);
  boxw_u16(w, (uint16_t)j->nf);
  for (size_t i = 0; i < j->nf; i++) {
    boxw_u32(w, (uint32_t)j->f[i].size & 0x7fffffff);
    boxw_u32(w, (uint32_t)j->f[i].duration);
    boxw_u32(w, j->s[j->f[i].first].key ? 0x90000000u : 0); /* starts_with_SAP, type 1 */
  }
  boxw_end(w);
}