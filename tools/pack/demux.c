/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* demux.c - secdec-pack's input through libavformat: the first H.264/HEVC video track of an
 * MP4 (codec, sample entry fourcc, timescale, size), and pass 1, the sample table (sizes,
 * timestamps on a zero-based output timeline, keyframes) with the checks that reject
 * truncated, already encrypted or non-monotonic input. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/avutil.h>

#include "pack.h"

void close_input(input *in) { avformat_close_input(&in->fmt); }

int open_input(const char *path, input *in) {
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
int scan_samples(job *j) {
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