#!/usr/bin/env bash
# Benchmark of h264_secdec: decode time of a 10 s 720p H.264 clip (FFmpeg's cenc-aes-ctr
# output) against the clear file's decode and against stock FFmpeg decrypting in its demuxer
# (-decryption_key), all with the same patched ffmpeg binary and default threading, output
# discarded (-f null). Each time is the median of RUNS runs of `-benchmark`'s rtime.
#
# Usage: ffmpeg-hwaccel/bench.sh BUILD_DIR [RUNS]     (BUILD_DIR: the meson build directory)
# Prints:  name | secdec | reference | ratio | goal    (times in seconds; ratio = reference /
# secdec, i.e. secdec's speed relative to the reference; goal: at least 0.97 of clear).
set -euo pipefail
BUILD=$(cd "${1:?usage: bench.sh BUILD_DIR [RUNS]}" && pwd)
RUNS=${2:-7}
FF=$BUILD/ffmpeg-hwaccel/ffmpeg
ninja -C "$BUILD" ffmpeg-hwaccel/ffmpeg >/dev/null || { echo "bench: cannot build $FF" >&2; exit 1; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
export SECDEC_HOME=$T/home
KID=0123456789abcdef0123456789abcdef
KEY=00112233445566778899aabbccddeeff
sysff() { ffmpeg -hide_banner -loglevel error -nostdin -y "$@"; }

sysff -f lavfi -i testsrc2=size=1280x720:rate=30 -t 10 -c:v libx264 -preset veryfast -g 60 \
  -pix_fmt yuv420p "$T/clear.mp4"
sysff -i "$T/clear.mp4" -c copy -encryption_scheme cenc-aes-ctr -encryption_key $KEY \
  -encryption_kid $KID "$T/enc.mp4"
"$BUILD/tools/secdec-info" --certificate "$T/dev.der" >/dev/null
"$BUILD/tools/secdec-license" issue -c "$T/dev.der" -k $KID:$KEY -o "$T/lic.bin" >/dev/null
"$BUILD/tools/secdec-license" install "$T/lic.bin" >/dev/null

median_rtime() {   # ffmpeg args... -> median wall time in seconds
  local i
  for ((i = 0; i < RUNS; i++)); do
    "$FF" -hide_banner -nostdin -benchmark "$@" -f null - 2>&1 |
      sed -n 's/.*bench: utime=.* rtime=\([0-9.]*\)s.*/\1/p'
  done | sort -n | awk '{ a[NR] = $1 } END { if (NR == 0) exit 1; print a[int((NR + 1) / 2)] }'
}
row() {   # name secdec reference goal
  awk -v n="$1" -v s="$2" -v r="$3" -v g="$4" \
    'BEGIN { printf "%s | %.3f s | %.3f s | %.3f | %s\n", n, s, r, r / s, g }'
}

# warm-up (page cache, identity), then the measurements
"$FF" -hide_banner -nostdin -loglevel error -hwaccel secdec -c:v h264_secdec -i "$T/enc.mp4" -f null -
clear=$(median_rtime -i "$T/clear.mp4")
stock=$(median_rtime -decryption_key $KEY -i "$T/enc.mp4")
hw=$(median_rtime -hwaccel secdec -c:v h264_secdec -i "$T/enc.mp4")
sw=$(median_rtime -c:v h264_secdec -i "$T/enc.mp4")
echo "name | secdec | reference | ratio | goal"
row "h264_secdec -hwaccel secdec vs clear decode (720p 10 s, median of $RUNS)" "$hw" "$clear" ">= 0.97"
row "h264_secdec (no -hwaccel) vs clear decode" "$sw" "$clear" ">= 0.97"
row "h264_secdec -hwaccel secdec vs stock -decryption_key" "$hw" "$stock" "report"
