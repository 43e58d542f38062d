#!/usr/bin/env bash
# The whole benchmark table, measured in one run: libsecdec against raw OpenSSL (secdec-bench),
# the GStreamer secure pipeline against avdec_h264 on the clear file (bench-gst), and the
# FFmpeg wrapper against FFmpeg's clear decode and its own demuxer decryption (bench.sh).
#   bench/run-all.sh [BUILD_DIR]      (what `make bench` runs)
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build}
ninja -C "$B" >/dev/null
"$B/bench/secdec-bench"
echo
echo "front-ends (ratio = secdec throughput / reference throughput):"
printf '| %-70s | %12s | %12s | %7s | %9s |\n' benchmark secdec reference ratio goal
rows() { awk -F' [|] ' 'NF == 5 && $1 != "name" { printf "| %-70s | %12s | %12s | %7s | %9s |\n", $1, $2, $3, $4, $5 }'; }
if [ -f "$B/build.ninja" ] && ninja -C "$B" -t targets all 2>/dev/null | grep -q '^bench-gst:'; then
  ninja -C "$B" bench-gst 2>/dev/null | rows
fi
if [ -x "$B/ffmpeg-hwaccel/ffmpeg" ]; then
  ffmpeg-hwaccel/bench.sh "$B" 5 2>/dev/null | rows
fi
