#!/bin/bash
# secdec-gst-bench.sh - decode throughput of the secdec GStreamer pipeline on encrypted content
# against the stock pipeline on the clear file, in the same run:
#   secdec:    filesrc ! qtdemux ! secdecrypt ! secdech264dec ! fakesink   (enc.mp4, cenc)
#   reference: filesrc ! qtdemux ! avdec_h264 ! fakesink                   (clear.mp4)
# Prints one line: name | secdec | reference | ratio | goal   (frames per second; goal 0.95)
#
# Environment (set by `ninja -C BUILD bench-gst`; or by hand):
#   GST_PLUGIN_PATH  the build directory of gst-plugin/ (holding libgstsecdec.so)
#   SECDEC_PACK, SECDEC_INFO, SECDEC_LICENSE  the tools from the same build
#   BENCH_SIZE (1280x720), BENCH_SECONDS (10), BENCH_RUNS (3; the best run counts)
# SPDX-License-Identifier: LGPL-2.1-or-later
set -euo pipefail
: "${GST_PLUGIN_PATH:?}" "${SECDEC_PACK:?}" "${SECDEC_INFO:?}" "${SECDEC_LICENSE:?}"
SIZE=${BENCH_SIZE:-1280x720}
SECS=${BENCH_SECONDS:-10}
RUNS=${BENCH_RUNS:-3}
KID=0123456789abcdef0123456789abcdef
KEY=00112233445566778899aabbccddeeff
W=$(mktemp -d "${TMPDIR:-/tmp}/secdec-gst-bench.XXXXXX")
trap 'rm -rf "$W"' EXIT
export SECDEC_HOME="$W/home" GST_REGISTRY="$W/registry.bin"

ffmpeg -nostdin -v error -y -f lavfi -i "testsrc2=size=$SIZE:rate=30" -t "$SECS" \
  -c:v libx264 -preset veryfast -g 60 -bf 2 -pix_fmt yuv420p "$W/clear.mp4"
"$SECDEC_PACK" -i "$W/clear.mp4" -o "$W/enc.mp4" --scheme cenc --kid $KID --key $KEY --seed 1
"$SECDEC_INFO" --certificate "$W/device.der" > /dev/null
"$SECDEC_LICENSE" issue --certificate "$W/device.der" --key "$KID:$KEY" --output "$W/lic" > /dev/null
"$SECDEC_LICENSE" install "$W/lic" > /dev/null
frames=$((SECS * 30))
gst-inspect-1.0 secdecrypt > /dev/null   # build the registry outside the timed runs

run() { # run PIPELINE... -> seconds (wall clock)
  local t0 t1
  t0=$(date +%s%N)
  gst-launch-1.0 -q "$@" > "$W/out.txt" 2>&1 || { cat "$W/out.txt" >&2; exit 1; }
  t1=$(date +%s%N)
  echo $(( (t1 - t0) / 1000 ))
}
best_s=0; best_r=0
for _ in $(seq "$RUNS"); do
  s=$(run filesrc location="$W/enc.mp4" ! qtdemux ! secdecrypt ! secdech264dec ! fakesink sync=false)
  r=$(run filesrc location="$W/clear.mp4" ! qtdemux ! avdec_h264 ! fakesink sync=false)
  if [ "$best_s" = 0 ] || [ "$s" -lt "$best_s" ]; then best_s=$s; fi
  if [ "$best_r" = 0 ] || [ "$r" -lt "$best_r" ]; then best_r=$r; fi
done
awk -v f="$frames" -v s="$best_s" -v r="$best_r" -v size="$SIZE" 'BEGIN {
  fs = f / (s / 1e6); fr = f / (r / 1e6);
  printf "gst h264 %s decode fps (enc+secdecrypt+secdech264dec vs clear+avdec_h264) | %.1f | %.1f | %.3f | >= 0.95\n",
    size, fs, fr, fs / fr }'
