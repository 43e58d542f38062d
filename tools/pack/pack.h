/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* pack.h - secdec-pack's private header: the options, the sample table and fragment plan of a
 * job, and what each of the tool's files offers the others. Not installed; the reusable parts
 * (boxw, nalsplit, cencrypt) have their own headers and form secdec_pack_core.
 *
 *   secdec-pack.c  main and pass 2: read each fragment's samples, split, encrypt, write
 *   options.c      the command line (--help text, parsing, checks), --jwk key loading
 *   demux.c        the input (libavformat): the video track, pass 1's sample table
 *   header.c       ftyp, moov (encv, sinf/schm/tenc, mvex, pssh) and the sidx
 *   fragment.c     the fragment plan, per-sample IVs, and each moof (trun, seig groups,
 *                  saiz/saio/senc)
 */
#ifndef SECDEC_PACK_PACK_H
#define SECDEC_PACK_PACK_H

#include <stdint.h>
#include <stdio.h>

#include <libavformat/avformat.h>

#include "boxw.h"
#include "cencrypt.h"
#include "nalsplit.h"

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
/* secdec-pack.c: "secdec-pack: error: ..." on stderr. */
void die_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* options.c: fills o from the command line (and the --jwk file); -1 after a message. Exits 0
 * after --help. */
int parse_options(int argc, char **argv, options *o);

/* demux.c */
int open_input(const char *path, input *in);
void close_input(input *in);
/* Pass 1: sample table (sizes, timestamps, keyframes) of the video track into j->s. */
int scan_samples(job *j);

/* header.c */
extern const uint8_t pack_sysid_secdec[16], pack_sysid_common[16];
void write_ftyp(boxw *w);
void write_moov(boxw *w, const job *j);
/* A version-1 pssh naming kid (and kid2 unless NULL), no data. */
void write_pssh(boxw *w, const uint8_t sysid[16], const uint8_t kid[16], const uint8_t *kid2);
size_t sidx_size(size_t nf);
void write_sidx(boxw *w, const job *j);

/* fragment.c */
/* The fragment plan j->f (see the comment there); -1 after a message. */
int plan_fragments(job *j);
/* The IV of sample index: constant IV, SHA-256 of --seed and index, or random. */
int make_iv(const options *o, uint64_t index, uint8_t iv[16]);

/* One fragment being written: its boxes, and the IV and subsamples of each sample. */
typedef struct fragbuf {
  boxw moof, mdat;
  uint8_t (*iv)[16];
  pack_sublist *subs;
  size_t cap;
} fragbuf;

void fragbuf_free(fragbuf *fb);
int fragbuf_reserve(fragbuf *fb, size_t n);
/* Builds moof (into fb->moof) for fragment fi whose encrypted samples are in fb->mdat. */
int build_moof(const job *j, size_t fi, fragbuf *fb);

#endif
