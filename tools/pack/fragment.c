/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fragment.c - secdec-pack's fragments: the plan (fragments start at keyframes; clear lead and
 * key rotation groups), the per-sample IVs, and each moof: mfhd, the per-fragment pssh with key
 * rotation, traf with tfhd, tfdt, trun, the 'seig' sbgp/sgpd, saiz, saio and senc. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "pack.h"

/* Fragment plan: start a fragment at a keyframe once the current one reaches
 * the target duration, and always at the first keyframe at/after the clear
 * lead. Fragments starting at/after --rotate-at use the second key. */
int plan_fragments(job *j) {
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

int make_iv(const options *o, uint64_t index, uint8_t iv[16]) {
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

void fragbuf_free(fragbuf *fb) {
  boxw_free(&fb->moof);
  boxw_free(&fb->mdat);
  for (size_t i = 0; i < fb->cap; i++)
    free(fb->subs[i].v);
  free(fb->subs);
  free(fb->iv);
}

int fragbuf_reserve(fragbuf *fb, size_t n) {
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
int build_moof(const job *j, size_t fi, fragbuf *fb) {
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
      write_pssh(w, pack_sysid_secdec, kid, NULL);
    if (o->pssh & PSSH_COMMON)
      write_pssh(w, pack_sysid_common, kid, NULL);
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