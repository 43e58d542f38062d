/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target for the avcC/hvcC parser and the NAL/subsample splitter.
 * Input: byte 0 bit 0 = codec (0 H.264, 1 HEVC); bytes 1-2 = big-endian length
 * L of the codec configuration record that follows; the rest is a sequence of
 * samples, each a big-endian u16 length and that many bytes. */
#include <stdint.h>
#include <stdlib.h>

#include "nalsplit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 3)
    return 0;
  pack_codec codec = (data[0] & 1) ? PACK_CODEC_HEVC : PACK_CODEC_H264;
  size_t cfg_len = (size_t)data[1] << 8 | data[2];
  data += 3;
  size -= 3;
  if (cfg_len > size)
    return 0;
  char err[256];
  nalsplit *ns = nalsplit_new(codec, data, cfg_len, err, sizeof(err));
  if (!ns)
    return 0;
  data += cfg_len;
  size -= cfg_len;
  pack_sublist subs = {0};
  while (size >= 2) {
    size_t n = (size_t)data[0] << 8 | data[1];
    data += 2;
    size -= 2;
    if (n > size)
      n = size;
    if (nalsplit_sample(ns, data, n, &subs, err, sizeof(err)) == 0) {
      /* invariants the packager relies on */
      uint64_t total = 0;
      for (size_t i = 0; i < subs.n; i++) {
        if (subs.v[i].enc % 16)
          abort();
        total += subs.v[i].clear + (uint64_t)subs.v[i].enc;
      }
      if (total != n)
        abort();
    }
    data += n;
    size -= n;
  }
  free(subs.v);
  nalsplit_free(ns);
  return 0;
}
