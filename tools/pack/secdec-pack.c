/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* secdec-pack: packages a clear H.264/HEVC MP4 as fragmented, CENC-encrypted
 * MP4 (ftyp, moov, sidx, then moof/mdat pairs with saiz/saio/senc in every
 * traf), the layout DASH/CMAF packagers write. See README.md.
 *
 * This file owns main and pass 2: it reads the samples again fragment by fragment, splits
 * them into subsamples (nalsplit), encrypts them (cencrypt) and writes moof/mdat, then the
 * sidx. pack.h lists the other parts. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/avutil.h>

#include "pack.h"

void die_msg(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("secdec-pack: error: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
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