#!/usr/bin/env bash
# FFmpeg's own `-encryption_scheme cenc-aes-ctr` output (H.264 and HEVC, non-fragmented): every
# sample decrypted by libsecdec equals the clear sample, read through libavformat's side data.
set -euo pipefail
VERIFY=$1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
export SECDEC_HOME="$T/home"
KID=0123456789abcdef0123456789abcdef
KEY=00112233445566778899aabbccddeeff
ff() { ffmpeg -hide_banner -loglevel error -nostdin -y "$@"; }
ff -f lavfi -i testsrc2=size=320x240:rate=30 -t 2 -c:v libx264 -g 15 -pix_fmt yuv420p "$T/clear264.mp4"
ff -f lavfi -i testsrc2=size=320x240:rate=30 -t 1 -c:v libx265 -x265-params log-level=error \
   -tag:v hvc1 -pix_fmt yuv420p "$T/clear265.mp4"
for c in 264 265; do
  ff -i "$T/clear$c.mp4" -c copy -encryption_scheme cenc-aes-ctr -encryption_key $KEY \
     -encryption_kid $KID "$T/enc$c.mp4"
  "$VERIFY" --key $KID:$KEY --min-encrypted 30 "$T/enc$c.mp4" "$T/clear$c.mp4"
  # the wrong key must not verify
  if "$VERIFY" --key $KID:ffeeddccbbaa99887766554433221100 "$T/enc$c.mp4" "$T/clear$c.mp4" \
       >/dev/null 2>&1; then
    echo "FAIL: a wrong key verified" >&2; exit 1
  fi
  # a KID we have no key for gives SECDEC_E_NO_KEY, not garbage
  if "$VERIFY" --key ffffffffffffffffffffffffffffffff:$KEY "$T/enc$c.mp4" "$T/clear$c.mp4" \
       2>"$T/err" >/dev/null; then
    echo "FAIL: unknown KID verified" >&2; exit 1
  fi
  grep -q SECDEC_E_NO_KEY "$T/err"
done
echo "ffmpeg-cenc-verify: OK"
