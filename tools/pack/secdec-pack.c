/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* secdec-pack: packages a clear H.264/HEVC MP4 as fragmented, CENC-encrypted
 * MP4 (ftyp, moov, sidx, then moof/mdat pairs with saiz/saio/senc in every
 * traf), the layout DASH/CMAF packagers write. See README.md. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavformat/avformat.h>
#include <libavutil/avutil.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <glib.h>

#include "boxw.h"
#include "cencrypt.h"
#include <secdec-common/hex.h>
#include <secdec-common/jwk.h>
#include "nalsplit.h"

static const uint8_t SYSID_SECDEC[16] = {0x8f, 0x8f, 0xca, 0xac, 0x0c, 0xe0, 0x46, 0x3e,
                                         0x8b, 0x43, 0xb7, 0xab, 0xf7, 0x82, 0x2a, 0x5d};
static const uint8_t SYSID_COMMON[16] = {0x10, 0x77, 0xef, 0xec, 0xc0, 0xb2, 0x4d, 0x02,
                                         0xac, 0xe3, 0x3c, 0x1e, 0x52, 0xe2, 0xfb, 0x4b};

enum { PSSH_NONE = 0, PSSH_SECDEC = 1, PSSH_COMMON = 2, PSSH_BOTH = 3 };
enum { GROUP_KEY1 = 0, GROUP_KEY2 = 1, GROUP_CLEAR = 2 };

typedef struct options {
  const char *in, *out, *jwk;
  pack_scheme scheme;
  uint8_t kid[16], key[16], kid2[16], key2[16], const_iv[16];
  int have_kid, have_key, have_kid2, have_key2, have_const_iv;
  int iv_size; /* per-sample IV size written in tenc/senc (0 with a constant IV) */
  int iv_size_given;
  unsigned crypt, skip;
  double frag_dur, clear_lead, rotate_at;
  int pssh;
  int have_seed;
  uint64_t seed;
  int verbose;
  int encrypt_slice_headers;
} options;

typedef struct sample_meta {
  int64_t dts, pts; /* output timeline (dts from 0, min pts 0) */
  uint32_t size, dur;
  int key;
} sample_meta;

typedef struct frag {
  size_t first, count;
  int group;
  uint64_t size;     /* moof + mdat bytes, known once written */
  uint64_t duration; /* sum of sample durations */
} frag;

typedef struct input {
  AVFormatContext *fmt;
  int stream;
  pack_codec codec;
  char fourcc[5];
  uint32_t timescale;
  int width, height;
} input;

typedef struct job {
  options opt;
  input in;
  nalsplit *ns;
  sample_meta *s;
  size_t ns_count, ns_cap;
  frag *f;
  size_t nf;
  int trun_v1;
} job;

static void die_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void die_msg(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("secdec-pack: error: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
}

static void usage(FILE *f) {
  fputs(
      "Usage: secdec-pack [OPTIONS] -i IN.mp4 -o OUT.mp4 --kid HEX32 --key HEX32\n"
      "\n"
      "Encrypts the H.264 or HEVC video track of a clear MP4 (fragmented or not) with\n"
      "ISO/IEC 23001-7 Common Encryption and writes a fragmented MP4 (ftyp, moov with an\n"
      "'encv' sample entry, sidx, moof/mdat pairs; every traf carries tfhd, tfdt, trun,\n"
      "saiz, saio and senc). Length prefixes, NAL headers, whole slice headers and\n"
      "non-VCL NAL units stay clear; only whole 16-byte blocks of slice data are\n"
      "encrypted.\n"
      "\n"
      "Options:\n"
      "  -i, --input FILE          clear input MP4 (first H.264/HEVC video track)\n"
      "  -o, --output FILE         output MP4 (must be seekable: a regular file)\n"
      "  -s, --scheme NAME         cenc | cbcs | cens | cbc1 (default cbcs)\n"
      "                            cbcs and cens use the 1:9 crypt:skip pattern\n"
      "      --kid HEX32           key ID (16 bytes in hex; dashes allowed)\n"
      "      --key HEX32           AES-128 content key\n"
      "      --jwk FILE            read kid/key (and kid2/key2) from a W3C Clear Key\n"
      "                            JWK set ({\"keys\":[{\"kty\":\"oct\",\"kid\":..,\"k\":..}]})\n"
      "      --iv-size 8|16        per-sample IV size (cenc/cens/cbc1; default 8;\n"
      "                            cbcs always uses 16)\n"
      "      --constant-iv HEX32   cbcs only: one constant IV stored in tenc, no\n"
      "                            per-sample IVs in senc\n"
      "      --fragment-duration S target fragment duration in seconds (default 2);\n"
      "                            fragments always start at keyframes\n"
      "      --clear-lead S        leave the first S seconds clear (rounded up to the\n"
      "                            next keyframe; whole fragments, marked with a 'seig'\n"
      "                            sample group with isProtected=0)\n"
      "      --kid2 HEX32 --key2 HEX32 --rotate-at S\n"
      "                            key rotation: fragments starting at or after S\n"
      "                            seconds use KID2/KEY2 ('seig' sample groups)\n"
      "      --pssh MODE           none | secdec | common | both (default both):\n"
      "                            version-1 pssh boxes at the end of moov\n"
      "      --seed N              derive IVs deterministically from N (for tests);\n"
      "                            default: random IVs from OpenSSL\n"
      "      --encrypt-slice-headers\n"
      "                            testing only: encrypt the slice headers too (only\n"
      "                            length prefixes and NAL headers stay clear, like\n"
      "                            FFmpeg's CENC muxer); hardware decoders cannot\n"
      "                            decode such content\n"
      "  -v, --verbose             print the fragment plan\n"
      "  -h, --help                show this help\n"
      "\n"
      "Exit status: 0 on success, 1 on any error (bad options, malformed input, I/O).\n",
      f);
}

static int parse_seconds(const char *s, double *out) {
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (errno || end == s || *end || !isfinite(v) || v < 0 || v > 1e7)
    return -1;
  *out = v;
  return 0;
}

enum {
  OPT_KID = 256, OPT_KEY, OPT_KID2, OPT_KEY2, OPT_ROTATE, OPT_IVSIZE, OPT_CIV, OPT_FRAG,
  OPT_LEAD, OPT_PSSH, OPT_SEED, OPT_JWK, OPT_ENCHDR
};

static int parse_options(int argc, char **argv, options *o) {
  static const struct option longopts[] = {
      {"input", required_argument, NULL, 'i'},      {"output", required_argument, NULL, 'o'},
      {"scheme", required_argument, NULL, 's'},     {"kid", required_argument, NULL, OPT_KID},
      {"key", required_argument, NULL, OPT_KEY},    {"kid2", required_argument, NULL, OPT_KID2},
      {"key2", required_argument, NULL, OPT_KEY2},  {"rotate-at", required_argument, NULL, OPT_ROTATE},
      {"iv-size", required_argument, NULL, OPT_IVSIZE},
      {"constant-iv", required_argument, NULL, OPT_CIV},
      {"fragment-duration", required_argument, NULL, OPT_FRAG},
      {"clear-lead", required_argument, NULL, OPT_LEAD},
      {"pssh", required_argument, NULL, OPT_PSSH}, {"seed", required_argument, NULL, OPT_SEED},
      {"jwk", required_argument, NULL, OPT_JWK},   {"verbose", no_argument, NULL, 'v'},
      {"encrypt-slice-headers", no_argument, NULL, OPT_ENCHDR},
      {"help", no_argument, NULL, 'h'},             {NULL, 0, NULL, 0}};
  memset(o, 0, sizeof(*o));
  o->scheme = PACK_SCHEME_CBCS;
  o->frag_dur = 2.0;
  o->rotate_at = -1;
  o->pssh = PSSH_BOTH;
  int c;
  while ((c = getopt_long(argc, argv, "i:o:s:vh", longopts, NULL)) != -1) {
    switch (c) {
    case 'i': o->in = optarg; break;
    case 'o': o->out = optarg; break;
    case 's':
      if (!strcmp(optarg, "cenc")) o->scheme = PACK_SCHEME_CENC;
      else if (!strcmp(optarg, "cbcs")) o->scheme = PACK_SCHEME_CBCS;
      else if (!strcmp(optarg, "cens")) o->scheme = PACK_SCHEME_CENS;
      else if (!strcmp(optarg, "cbc1")) o->scheme = PACK_SCHEME_CBC1;
      else { die_msg("unknown scheme '%s' (cenc, cbcs, cens, cbc1)", optarg); return -1; }
      break;
    case OPT_KID: case OPT_KEY: case OPT_KID2: case OPT_KEY2: case OPT_CIV: {
      uint8_t *dst = c == OPT_KID ? o->kid : c == OPT_KEY ? o->key : c == OPT_KID2 ? o->kid2
                     : c == OPT_KEY2 ? o->key2 : o->const_iv;
      if (sdc_hex_decode(optarg, strlen(optarg), dst, 16, true) < 0) {
        die_msg("'%s' is not 16 bytes of hex", optarg);
        return -1;
      }
      *(c == OPT_KID ? &o->have_kid : c == OPT_KEY ? &o->have_key : c == OPT_KID2 ? &o->have_kid2
        : c == OPT_KEY2 ? &o->have_key2 : &o->have_const_iv) = 1;
      break;
    }
    case OPT_IVSIZE:
      if (strcmp(optarg, "8") && strcmp(optarg, "16")) {
        die_msg("--iv-size must be 8 or 16");
        return -1;
      }
      o->iv_size = atoi(optarg);
      o->iv_size_given = 1;
      break;
    case OPT_FRAG:
      if (parse_seconds(optarg, &o->frag_dur) < 0 || o->frag_dur <= 0) {
        die_msg("bad --fragment-duration '%s'", optarg);
        return -1;
      }
      break;
    case OPT_LEAD:
      if (parse_seconds(optarg, &o->clear_lead) < 0) {
        die_msg("bad --clear-lead '%s'", optarg);
        return -1;
      }
      break;
    case OPT_ROTATE:
      if (parse_seconds(optarg, &o->rotate_at) < 0) {
        die_msg("bad --rotate-at '%s'", optarg);
        return -1;
      }
      break;
    case OPT_PSSH:
      if (!strcmp(optarg, "none")) o->pssh = PSSH_NONE;
      else if (!strcmp(optarg, "secdec")) o->pssh = PSSH_SECDEC;
      else if (!strcmp(optarg, "common")) o->pssh = PSSH_COMMON;
      else if (!strcmp(optarg, "both")) o->pssh = PSSH_BOTH;
      else { die_msg("unknown --pssh '%s' (none, secdec, common, both)", optarg); return -1; }
      break;
    case OPT_SEED: {
      char *end;
      errno = 0;
      unsigned long long v = strtoull(optarg, &end, 0);
      if (errno || end == optarg || *end) {
        die_msg("bad --seed '%s'", optarg);
        return -1;
      }
      o->seed = v;
      o->have_seed = 1;
      break;
    }
    case OPT_JWK: o->jwk = optarg; break;
    case OPT_ENCHDR: o->encrypt_slice_headers = 1; break;
    case 'v': o->verbose = 1; break;
    case 'h': usage(stdout); exit(0);
    default: usage(stderr); return -1;
    }
  }
  if (optind < argc) {
    die_msg("unexpected argument '%s'", argv[optind]);
    return -1;
  }
  if (o->jwk) {
    SecdecContentKey *keys = NULL;
    size_t n = 0;
    char err[256];
    gchar *text = NULL;
    gsize len = 0;
    GError *gerr = NULL;
    if (!g_file_get_contents(o->jwk, &text, &len, &gerr)) {
      die_msg("%s: %s", o->jwk, gerr->message);
      g_error_free(gerr);
      return -1;
    }
    int r = sdc_jwk_parse_keys((const uint8_t *)text, len, &keys, &n, err, sizeof(err));
    g_free(text);
    if (r < 0) {
      die_msg("%s: %s", o->jwk, err);
      return -1;
    }
    if (!o->have_kid && !o->have_key) {
      memcpy(o->kid, keys[0].kid, 16);
      memcpy(o->key, keys[0].key, 16);
      o->have_kid = o->have_key = 1;
    }
    if (n > 1 && !o->have_kid2 && !o->have_key2) {
      memcpy(o->kid2, keys[1].kid, 16);
      memcpy(o->key2, keys[1].key, 16);
      o->have_kid2 = o->have_key2 = 1;
    }
    OPENSSL_cleanse(keys, n * sizeof(*keys));
    free(keys);
  }
  if (!o->in || !o->out) {
    die_msg("both -i INPUT and -o OUTPUT are required (see --help)");
    return -1;
  }
  if (!o->have_kid || !o->have_key) {
    die_msg("--kid and --key (or --jwk) are required");
    return -1;
  }
  if (o->have_kid2 != o->have_key2 || (o->have_kid2 != (o->rotate_at >= 0))) {
    die_msg("key rotation needs all of --kid2, --key2 and --rotate-at");
    return -1;
  }
  if (o->have_kid2 && !memcmp(o->kid, o->kid2, 16)) {
    die_msg("--kid2 must differ from --kid");
    return -1;
  }
  switch (o->scheme) {
  case PACK_SCHEME_CBCS:
    if (o->iv_size_given && o->iv_size != 16) {
      die_msg("cbcs needs 16-byte IVs (or --constant-iv)");
      return -1;
    }
    if (o->have_const_iv && o->iv_size_given) {
      die_msg("--constant-iv and --iv-size are mutually exclusive");
      return -1;
    }
    o->iv_size = o->have_const_iv ? 0 : 16;
    o->crypt = 1;
    o->skip = 9;
    break;
  case PACK_SCHEME_CENS:
    o->crypt = 1;
    o->skip = 9;
    /* fall through */
  default:
    if (o->have_const_iv) {
      die_msg("--constant-iv is only valid with --scheme cbcs");
      return -1;
    }
    if (!o->iv_size_given)
      o->iv_size = 8;
  }
  if (o->encrypt_slice_headers && o->scheme == PACK_SCHEME_CBC1) {
    die_msg("--encrypt-slice-headers needs --scheme cenc, cens or cbcs (cbc1 encrypts whole "
            "blocks only)");
    return -1;
  }
  return 0;
}

/* ---- input ------------------------------------------------------------ */

static void close_input(input *in) { avformat_close_input(&in->fmt); }

static int open_input(const char *path, input *in) {
  memset(in, 0, sizeof(*in));
  in->stream = -1;
  int ret = avformat_open_input(&in->fmt, path, NULL, NULL);
  if (ret < 0) {
    die_msg("%s: cannot open as a media file: %s", path, av_err2str(ret));
    return -1;
  }
  if (strcmp(in->fmt->iformat->name, "mov,mp4,m4a,3gp,3g2,mj2")) {
    die_msg("%s: not an MP4 file (detected '%s')", path, in->fmt->iformat->name);
    goto fail;
  }
  for (unsigned i = 0; i < in->fmt->nb_streams; i++) {
    AVCodecParameters *par = in->fmt->streams[i]->codecpar;
    if (par->codec_type != AVMEDIA_TYPE_VIDEO)
      continue;
    if (par->codec_id == AV_CODEC_ID_H264 || par->codec_id == AV_CODEC_ID_HEVC) {
      in->stream = (int)i;
      break;
    }
  }
  if (in->stream < 0) {
    die_msg("%s: no H.264 or HEVC video track", path);
    goto fail;
  }
  AVStream *st = in->fmt->streams[in->stream];
  AVCodecParameters *par = st->codecpar;
  in->codec = par->codec_id == AV_CODEC_ID_H264 ? PACK_CODEC_H264 : PACK_CODEC_HEVC;
  uint32_t tag = par->codec_tag;
  if (in->codec == PACK_CODEC_H264)
    strcpy(in->fourcc, "avc1");
  else if (tag == MKTAG('h', 'e', 'v', '1'))
    strcpy(in->fourcc, "hev1");
  else
    strcpy(in->fourcc, "hvc1");
  if (tag == MKTAG('a', 'v', 'c', '3') || tag == MKTAG('a', 'v', 'c', '4'))
    memcpy(in->fourcc, &tag, 4);
  if (st->time_base.num <= 0 || st->time_base.den <= 0) {
    die_msg("%s: invalid track time base", path);
    goto fail;
  }
  in->timescale = st->time_base.num == 1 && (unsigned)st->time_base.den <= UINT32_MAX
                      ? (uint32_t)st->time_base.den
                      : 90000;
  in->width = par->width;
  in->height = par->height;
  if (in->width <= 0 || in->height <= 0 || in->width > 65535 || in->height > 65535) {
    die_msg("%s: invalid video dimensions %dx%d", path, in->width, in->height);
    goto fail;
  }
  return 0;
fail:
  close_input(in);
  return -1;
}

static int64_t to_ts(const input *in, int64_t v) {
  AVRational tb = in->fmt->streams[in->stream]->time_base;
  if (tb.num == 1 && (uint32_t)tb.den == in->timescale)
    return v;
  return av_rescale_q(v, tb, (AVRational){1, (int)in->timescale});
}

/* Pass 1: sample table (sizes, timestamps, keyframes) of the video track. */
static int scan_samples(job *j) {
  AVPacket *pkt = av_packet_alloc();
  if (!pkt)
    return -1;
  int rc = -1, ret;
  int64_t last_dur = 0;
  while ((ret = av_read_frame(j->in.fmt, pkt)) >= 0) {
    if (pkt->stream_index != j->in.stream) {
      av_packet_unref(pkt);
      continue;
    }
    if (pkt->dts == AV_NOPTS_VALUE || pkt->size <= 0) {
      die_msg("sample %zu has no decode timestamp or no data", j->ns_count);
      goto out;
    }
    if (pkt->flags & AV_PKT_FLAG_CORRUPT) {
      die_msg("sample %zu is incomplete (truncated file?)", j->ns_count);
      goto out;
    }
    if (av_packet_get_side_data(pkt, AV_PKT_DATA_ENCRYPTION_INFO, NULL)) {
      die_msg("the input is already encrypted; secdec-pack needs a clear MP4");
      goto out;
    }
    if (j->ns_count == j->ns_cap) {
      size_t cap = j->ns_cap ? j->ns_cap * 2 : 256;
      sample_meta *s = realloc(j->s, cap * sizeof(*s));
      if (!s) {
        die_msg("out of memory");
        goto out;
      }
      j->s = s;
      j->ns_cap = cap;
    }
    sample_meta *m = &j->s[j->ns_count++];
    m->dts = to_ts(&j->in, pkt->dts);
    m->pts = to_ts(&j->in, pkt->pts == AV_NOPTS_VALUE ? pkt->dts : pkt->pts);
    m->size = (uint32_t)pkt->size;
    m->key = !!(pkt->flags & AV_PKT_FLAG_KEY);
    last_dur = pkt->duration > 0 ? to_ts(&j->in, pkt->duration) : last_dur;
    m->dur = 0;
    av_packet_unref(pkt);
  }
  if (ret != AVERROR_EOF) {
    die_msg("reading the input failed: %s", av_err2str(ret));
    goto out;
  }
  if (!j->ns_count) {
    die_msg("the video track has no samples");
    goto out;
  }
  /* samples listed in the index but never delivered: the file is truncated */
  int indexed = avformat_index_get_entries_count(j->in.fmt->streams[j->in.stream]);
  if (indexed > 0 && (size_t)indexed > j->ns_count) {
    die_msg("the track lists %d samples but only %zu could be read (truncated file?)", indexed,
            j->ns_count);
    goto out;
  }
  int64_t dts0 = j->s[0].dts, minpts = INT64_MAX;
  for (size_t i = 0; i < j->ns_count; i++) {
    if (i + 1 < j->ns_count) {
      int64_t d = j->s[i + 1].dts - j->s[i].dts;
      if (d <= 0 || d > UINT32_MAX) {
        die_msg("decode timestamps are not increasing at sample %zu", i + 1);
        goto out;
      }
      j->s[i].dur = (uint32_t)d;
    } else {
      int64_t d = last_dur > 0 ? last_dur : (i ? j->s[i - 1].dur : 1);
      j->s[i].dur = d > 0 && d <= UINT32_MAX ? (uint32_t)d : 1;
    }
    if (j->s[i].pts < minpts)
      minpts = j->s[i].pts;
  }
  for (size_t i = 0; i < j->ns_count; i++) {
    j->s[i].dts -= dts0;
    j->s[i].pts -= minpts;
    int64_t off = j->s[i].pts - j->s[i].dts;
    if (off < INT32_MIN || off > INT32_MAX) {
      die_msg("composition offset out of range at sample %zu", i);
      goto out;
    }
    if (off < 0)
      j->trun_v1 = 1;
  }
  if (!j->s[0].key)
    fprintf(stderr, "secdec-pack: warning: the first sample is not a keyframe\n");
  rc = 0;
out:
  av_packet_free(&pkt);
  return rc;
}

/* Fragment plan: start a fragment at a keyframe once the current one reaches
 * the target duration, and always at the first keyframe at/after the clear
 * lead. Fragments starting at/after --rotate-at use the second key. */
static int plan_fragments(job *j) {
  const options *o = &j->opt;
  double ts = j->in.timescale;
  int64_t target = (int64_t)llround(o->frag_dur * ts);
  int64_t lead = (int64_t)llround(o->clear_lead * ts);
  int64_t rot = o->rotate_at >= 0 ? (int64_t)llround(o->rotate_at * ts) : -1;
  if (target <= 0)
    target = 1;
  j->f = calloc(j->ns_count, sizeof(*j->f));
  if (!j->f) {
    die_msg("out of memory");
    return -1;
  }
  int in_lead = lead > 0;
  size_t cur = 0;
  j->nf = 0;
  for (size_t i = 0; i <= j->ns_count; i++) {
    int cut = i == j->ns_count;
    if (!cut && i > cur && j->s[i].key) {
      if (j->s[i].dts - j->s[cur].dts >= target)
        cut = 1;
      if (in_lead && j->s[i].dts >= lead)
        cut = 1;
    }
    if (!cut)
      continue;
    frag *f = &j->f[j->nf++];
    f->first = cur;
    f->count = i - cur;
    if (in_lead && j->s[cur].dts < lead)
      f->group = GROUP_CLEAR;
    else
      f->group = rot >= 0 && j->s[cur].dts >= rot ? GROUP_KEY2 : GROUP_KEY1;
    for (size_t k = cur; k < i; k++)
      f->duration += j->s[k].dur;
    if (i < j->ns_count && j->s[i].dts >= lead)
      in_lead = 0;
    cur = i;
  }
  if (j->nf > UINT16_MAX) {
    die_msg("too many fragments (%zu); use a longer --fragment-duration", j->nf);
    return -1;
  }
  if (o->verbose)
    for (size_t i = 0; i < j->nf; i++)
      fprintf(stderr, "fragment %zu: samples %zu..%zu (%s)\n", i + 1, j->f[i].first,
              j->f[i].first + j->f[i].count - 1,
              j->f[i].group == GROUP_CLEAR ? "clear" : j->f[i].group == GROUP_KEY2 ? "kid2" : "kid1");
  return 0;
}

/* ---- output boxes ------------------------------------------------------- */

static void write_ftyp(boxw *w) {
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

static void write_pssh(boxw *w, const uint8_t sysid[16], const options *o) {
  boxw_fbegin(w, "pssh", 1, 0);
  boxw_bytes(w, sysid, 16);
  boxw_u32(w, o->have_kid2 ? 2 : 1);
  boxw_bytes(w, o->kid, 16);
  if (o->have_kid2)
    boxw_bytes(w, o->kid2, 16);
  boxw_u32(w, 0); /* DataSize */
  boxw_end(w);
}

/* A pssh naming only the KID that a fragment's samples use. With key rotation it goes in
 * every moof (as DASH packagers do), so demuxers that ignore 'seig' groups (qtdemux 1.22,
 * FFmpeg 5.1) still tell the decryptor which key each fragment needs: qtdemux forwards it as
 * a protection event with origin "isobmff/moof". */
static void write_fragment_pssh(boxw *w, const uint8_t sysid[16], const uint8_t kid[16]) {
  boxw_fbegin(w, "pssh", 1, 0);
  boxw_bytes(w, sysid, 16);
  boxw_u32(w, 1);
  boxw_bytes(w, kid, 16);
  boxw_u32(w, 0); /* DataSize */
  boxw_end(w);
}

static void write_moov(boxw *w, const job *j) {
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
    write_pssh(w, SYSID_SECDEC, o);
  if (o->pssh & PSSH_COMMON)
    write_pssh(w, SYSID_COMMON, o);
  boxw_end(w); /* moov */
}

static size_t sidx_size(size_t nf) { return 12 + 4 + 4 + 8 + 8 + 2 + 2 + 12 * nf; }

static void write_sidx(boxw *w, const job *j) {
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

/* Writes the seig sample group entry for a fragment (sgpd payload). */
static void write_seig(boxw *w, const options *o, int group) {
  int pattern = o->scheme == PACK_SCHEME_CBCS || o->scheme == PACK_SCHEME_CENS;
  int prot = group != GROUP_CLEAR;
  boxw_u8(w, 0);
  boxw_u8(w, pattern ? (uint8_t)(o->crypt << 4 | o->skip) : 0);
  boxw_u8(w, (uint8_t)prot);
  /* The per-sample IV size stays that of tenc even for clear samples so that
   * the senc entries of the fragment keep one layout (see README). */
  boxw_u8(w, (uint8_t)o->iv_size);
  boxw_bytes(w, group == GROUP_KEY2 ? o->kid2 : o->kid, 16);
  if (prot && o->iv_size == 0) {
    boxw_u8(w, 16);
    boxw_bytes(w, o->const_iv, 16);
  }
}

static int make_iv(const options *o, uint64_t index, uint8_t iv[16]) {
  memset(iv, 0, 16);
  if (o->iv_size == 0) {
    memcpy(iv, o->const_iv, 16);
    return 0;
  }
  uint8_t buf[32];
  if (o->have_seed) {
    uint8_t in[24];
    for (int i = 0; i < 8; i++) {
      in[i] = (uint8_t)(o->seed >> (8 * i));
      in[8 + i] = (uint8_t)(index >> (8 * i));
    }
    memcpy(in + 16, "secdecIV", 8);
    unsigned n = 0;
    if (!EVP_Digest(in, sizeof(in), buf, &n, EVP_sha256(), NULL))
      return -1;
  } else if (RAND_bytes(buf, 16) != 1) {
    return -1;
  }
  memcpy(iv, buf, (size_t)o->iv_size);
  /* 16-byte CTR IVs: keep the low 64-bit counter far from wrapping, so readers
   * that increment 64 or 128 bits agree. */
  if (o->iv_size == 16 && (o->scheme == PACK_SCHEME_CENC || o->scheme == PACK_SCHEME_CENS))
    memset(iv + 8, 0, 4);
  return 0;
}

typedef struct fragbuf {
  boxw moof, mdat;
  uint8_t (*iv)[16];
  pack_sublist *subs;
  size_t cap;
} fragbuf;

static void fragbuf_free(fragbuf *fb) {
  boxw_free(&fb->moof);
  boxw_free(&fb->mdat);
  for (size_t i = 0; i < fb->cap; i++)
    free(fb->subs[i].v);
  free(fb->subs);
  free(fb->iv);
}

static int fragbuf_reserve(fragbuf *fb, size_t n) {
  if (n <= fb->cap)
    return 0;
  uint8_t(*iv)[16] = realloc(fb->iv, n * sizeof(*iv));
  if (!iv)
    return -1;
  fb->iv = iv;
  pack_sublist *s = realloc(fb->subs, n * sizeof(*s));
  if (!s)
    return -1;
  memset(s + fb->cap, 0, (n - fb->cap) * sizeof(*s));
  fb->subs = s;
  fb->cap = n;
  return 0;
}

/* Builds moof (into fb->moof) for fragment fi whose encrypted samples are in fb->mdat. */
static int build_moof(const job *j, size_t fi, fragbuf *fb) {
  const options *o = &j->opt;
  const frag *f = &j->f[fi];
  boxw *w = &fb->moof;
  int groups = o->clear_lead > 0 || o->have_kid2;
  boxw_reset(w);
  boxw_begin(w, "moof");
  boxw_fbegin(w, "mfhd", 0, 0);
  boxw_u32(w, (uint32_t)fi + 1);
  boxw_end(w);
  if (o->have_kid2) {
    const uint8_t *kid = f->group == GROUP_KEY2 ? o->kid2 : o->kid;
    if (o->pssh & PSSH_SECDEC)
      write_fragment_pssh(w, SYSID_SECDEC, kid);
    if (o->pssh & PSSH_COMMON)
      write_fragment_pssh(w, SYSID_COMMON, kid);
  }
  boxw_begin(w, "traf");
  boxw_fbegin(w, "tfhd", 0, 0x020000); /* default-base-is-moof */
  boxw_u32(w, 1);
  boxw_end(w);
  boxw_fbegin(w, "tfdt", 1, 0);
  boxw_u64(w, (uint64_t)j->s[f->first].dts);
  boxw_end(w);
  boxw_fbegin(w, "trun", j->trun_v1 ? 1 : 0, 0x000001 | 0x000100 | 0x000200 | 0x000400 | 0x000800);
  boxw_u32(w, (uint32_t)f->count);
  size_t data_offset_at = w->len;
  boxw_u32(w, 0);
  for (size_t k = 0; k < f->count; k++) {
    const sample_meta *m = &j->s[f->first + k];
    boxw_u32(w, m->dur);
    boxw_u32(w, m->size);
    boxw_u32(w, m->key ? 0x02000000u : 0x01010000u);
    boxw_u32(w, (uint32_t)(int32_t)(m->pts - m->dts));
  }
  boxw_end(w);
  if (groups) {
    boxw_fbegin(w, "sbgp", 0, 0);
    boxw_fourcc(w, "seig");
    boxw_u32(w, 1);
    boxw_u32(w, (uint32_t)f->count);
    boxw_u32(w, 0x10001); /* first fragment-local group description */
    boxw_end(w);
    boxw_fbegin(w, "sgpd", 1, 0);
    boxw_fourcc(w, "seig");
    size_t at = w->len;
    boxw_u32(w, 0); /* default_length, patched */
    boxw_u32(w, 1);
    size_t start = w->len;
    write_seig(w, o, f->group);
    boxw_patch_u32(w, at, (uint32_t)(w->len - start));
    boxw_end(w);
  }
  /* saiz: per-sample aux info sizes */
  size_t ivs = (size_t)o->iv_size;
  int uniform = 1;
  size_t first_size = ivs + 2 + 6 * fb->subs[0].n;
  for (size_t k = 0; k < f->count; k++) {
    size_t sz = ivs + 2 + 6 * fb->subs[k].n;
    if (sz > 255) {
      die_msg("sample %zu needs %zu subsamples, more than saiz can describe",
              f->first + k, fb->subs[k].n);
      return -1;
    }
    if (sz != first_size)
      uniform = 0;
  }
  boxw_fbegin(w, "saiz", 0, 0);
  boxw_u8(w, uniform ? (uint8_t)first_size : 0);
  boxw_u32(w, (uint32_t)f->count);
  if (!uniform)
    for (size_t k = 0; k < f->count; k++)
      boxw_u8(w, (uint8_t)(ivs + 2 + 6 * fb->subs[k].n));
  boxw_end(w);
  boxw_fbegin(w, "saio", 0, 0);
  boxw_u32(w, 1);
  size_t saio_at = w->len;
  boxw_u32(w, 0);
  boxw_end(w);
  size_t senc_at = w->len;
  boxw_fbegin(w, "senc", 0, 0x2);
  boxw_u32(w, (uint32_t)f->count);
  for (size_t k = 0; k < f->count; k++) {
    boxw_bytes(w, fb->iv[k], ivs);
    boxw_u16(w, (uint16_t)fb->subs[k].n);
    for (size_t s = 0; s < fb->subs[k].n; s++) {
      boxw_u16(w, fb->subs[k].v[s].clear);
      boxw_u32(w, fb->subs[k].v[s].enc);
    }
  }
  boxw_end(w);
  boxw_end(w); /* traf */
  boxw_end(w); /* moof */
  if (w->len > UINT32_MAX - 8 - fb->mdat.len) {
    die_msg("fragment %zu is too large", fi + 1);
    return -1;
  }
  boxw_patch_u32(w, saio_at, (uint32_t)(senc_at + 16)); /* senc header + sample_count */
  boxw_patch_u32(w, data_offset_at, (uint32_t)(w->len + 8));
  return w->failed ? -1 : 0;
}

static int write_all(FILE *fp, const void *p, size_t n, const char *path) {
  if (n && fwrite(p, 1, n, fp) != n) {
    die_msg("%s: write failed: %s", path, strerror(errno));
    return -1;
  }
  return 0;
}

/* Pass 2: read the samples again, encrypt them fragment by fragment, write. */
static int package(job *j) {
  const options *o = &j->opt;
  input in2;
  if (open_input(o->in, &in2) < 0)
    return -1;
  FILE *fp = fopen(o->out, "wb");
  if (!fp) {
    die_msg("%s: cannot create: %s", o->out, strerror(errno));
    close_input(&in2);
    return -1;
  }
  int rc = -1;
  boxw head;
  boxw_init(&head);
  fragbuf fb;
  memset(&fb, 0, sizeof(fb));
  AVPacket *pkt = av_packet_alloc();
  char err[256];
  if (!pkt)
    goto out;
  write_ftyp(&head);
  write_moov(&head, j);
  size_t sidx_at = head.len;
  boxw_zeros(&head, sidx_size(j->nf)); /* placeholder, rewritten at the end */
  if (head.failed || write_all(fp, head.data, head.len, o->out) < 0)
    goto out;

  size_t si = 0; /* next sample index */
  for (size_t fi = 0; fi < j->nf; fi++) {
    frag *f = &j->f[fi];
    const uint8_t *key = f->group == GROUP_KEY2 ? o->key2 : o->key;
    if (fragbuf_reserve(&fb, f->count) < 0) {
      die_msg("out of memory");
      goto out;
    }
    boxw_reset(&fb.mdat);
    boxw_begin(&fb.mdat, "mdat");
    for (size_t k = 0; k < f->count; k++, si++) {
      int ret;
      while ((ret = av_read_frame(in2.fmt, pkt)) >= 0 && pkt->stream_index != in2.stream)
        av_packet_unref(pkt);
      if (ret < 0) {
        die_msg("input changed while reading (sample %zu): %s", si, av_err2str(ret));
        goto out;
      }
      if ((uint32_t)pkt->size != j->s[si].size) {
        die_msg("input changed while reading (sample %zu size)", si);
        goto out;
      }
      pack_sublist *sl = &fb.subs[k];
      if (nalsplit_sample(j->ns, pkt->data, (size_t)pkt->size, sl, err, sizeof(err)) < 0) {
        die_msg("sample %zu: %s", si, err);
        goto out;
      }
      if (make_iv(o, si, fb.iv[k]) < 0) {
        die_msg("cannot generate an IV (OpenSSL)");
        goto out;
      }
      if (f->group == GROUP_CLEAR) {
        /* isProtected=0: describe the whole sample as clear bytes */
        if (pack_sublist_all_clear(sl, (size_t)pkt->size) < 0) {
          die_msg("out of memory");
          goto out;
        }
      } else if (pack_encrypt_sample(o->scheme, key, fb.iv[k], o->crypt, o->skip, pkt->data,
                                     (size_t)pkt->size, sl->v, sl->n) < 0) {
        die_msg("encryption failed (OpenSSL)");
        goto out;
      }
      boxw_bytes(&fb.mdat, pkt->data, (size_t)pkt->size);
      av_packet_unref(pkt);
    }
    boxw_end(&fb.mdat);
    if (fb.mdat.failed) {
      die_msg("out of memory or fragment too large");
      goto out;
    }
    if (build_moof(j, fi, &fb) < 0)
      goto out;
    f->size = fb.moof.len + fb.mdat.len;
    if (f->size > 0x7fffffff) {
      die_msg("fragment %zu is too large for sidx", fi + 1);
      goto out;
    }
    if (write_all(fp, fb.moof.data, fb.moof.len, o->out) < 0 ||
        write_all(fp, fb.mdat.data, fb.mdat.len, o->out) < 0)
      goto out;
  }
  boxw_reset(&head);
  write_sidx(&head, j);
  if (head.failed || head.len != sidx_size(j->nf)) {
    die_msg("internal error writing sidx");
    goto out;
  }
  if (fseeko(fp, (off_t)sidx_at, SEEK_SET) != 0) {
    die_msg("%s: output is not seekable", o->out);
    goto out;
  }
  if (write_all(fp, head.data, head.len, o->out) < 0)
    goto out;
  rc = 0;
out:
  if (fclose(fp) != 0 && rc == 0) {
    die_msg("%s: close failed: %s", o->out, strerror(errno));
    rc = -1;
  }
  if (rc < 0)
    remove(o->out);
  av_packet_free(&pkt);
  fragbuf_free(&fb);
  boxw_free(&head);
  close_input(&in2);
  return rc;
}

int main(int argc, char **argv) {
  job j;
  memset(&j, 0, sizeof(j));
  if (parse_options(argc, argv, &j.opt) < 0)
    return 1;
  av_log_set_level(AV_LOG_ERROR);
  int rc = 1;
  if (open_input(j.opt.in, &j.in) < 0)
    return 1;
  char err[256];
  AVCodecParameters *par = j.in.fmt->streams[j.in.stream]->codecpar;
  j.ns = nalsplit_new(j.in.codec, par->extradata, (size_t)par->extradata_size, err, sizeof(err));
  if (!j.ns) {
    die_msg("%s: %s", j.opt.in, err);
    goto out;
  }
  /* the samples are checked here; FFmpeg's parser messages would only be noise */
  av_log_set_level(AV_LOG_FATAL);
  if (scan_samples(&j) < 0 || plan_fragments(&j) < 0)
    goto out;
  /* the parser keeps in-band parameter sets; start pass 2 from the config again */
  nalsplit_free(j.ns);
  j.ns = nalsplit_new(j.in.codec, par->extradata, (size_t)par->extradata_size, err, sizeof(err));
  if (!j.ns) {
    die_msg("%s: %s", j.opt.in, err);
    goto out;
  }
  nalsplit_set_encrypt_slice_headers(j.ns, j.opt.encrypt_slice_headers != 0);
  if (package(&j) < 0)
    goto out;
  rc = 0;
out:
  nalsplit_free(j.ns);
  free(j.s);
  free(j.f);
  close_input(&j.in);
  return rc;
}
