# shellcheck shell=bash disable=SC2034
# Shared helpers for the secdec-pack test scripts (sourced).
set -euo pipefail
: "${SECDEC_PACK:?SECDEC_PACK must point at the secdec-pack binary}"
KEY=00112233445566778899aabbccddeeff
KID=0123456789abcdef0123456789abcdef
KEY2=ffeeddccbbaa99887766554433221100
KID2=fedcba9876543210fedcba9876543210
WORK=$(mktemp -d "${TMPDIR:-/tmp}/secdec-pack-test.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
FAILS=0
fail() { echo "FAIL: $*" >&2; FAILS=$((FAILS + 1)); }
pass() { echo "ok: $*"; }
need() { command -v "$1" >/dev/null || { echo "SKIP: $1 not installed"; exit 77; }; }

# make_clip CODEC OUT: a 2 s 320x240 clip with a keyframe every 15 frames.
make_clip() {
  local codec=$1 out=$2
  need ffmpeg
  if [ "$codec" = h264 ]; then
    ffmpeg -nostdin -v error -y -f lavfi -i testsrc2=size=320x240:rate=30 -t 2 \
      -c:v libx264 -g 15 -pix_fmt yuv420p "$out"
  else
    ffmpeg -nostdin -v error -y -f lavfi -i testsrc2=size=320x240:rate=30 -t 2 \
      -c:v libx265 -x265-params log-level=error:keyint=15:min-keyint=15:scenecut=0:open-gop=0 -pix_fmt yuv420p -tag:v hvc1 "$out"
  fi
}

framemd5() { # framemd5 FILE [ffmpeg input options...]
  local f=$1; shift
  ffmpeg -nostdin -v error "$@" -i "$f" -f framemd5 - 2>"$WORK/ffmpeg.err"
}

finish() {
  if [ "$FAILS" -ne 0 ]; then
    echo "$FAILS check(s) failed" >&2
    exit 1
  fi
  echo "all checks passed"
}
