#!/usr/bin/env bash
# h264_secdec / hevc_secdec with -backend vaapi against the test VA driver (tests/vadriver, no
# GPU): libavcodec's VA-API hwaccel decodes the still-encrypted samples on libsecdec-vaapi's
# wrapped display; the driver's fake TEE decrypts each slice data buffer and logs its SHA-256,
# which must equal the SHA-256 of the clear file's slice NALs (clear-slices.py), in order.
# Usage: ffmpeg-vaapi.sh CASE (h264 | hevc | fallback | faults) with FFMPEG_SECDEC, SECDEC_PACK,
# LIBVA_DRIVERS_PATH, SECDEC_VA_TEST_DRIVER and SECDEC_BACKEND_PATH in the environment.
set -euo pipefail
CASE=$1
FF=${FFMPEG_SECDEC:?}
HERE=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
export SECDEC_HOME=$T/home SECDEC_TEST_TEE_DIR=$T/tee
export SECDEC_TEST_DRV_LOG=$T/drv.log
unset SECDEC_TEST_DRV_FAIL
KID=0123456789abcdef0123456789abcdef
KEY=00112233445566778899aabbccddeeff
KID2=fedcba9876543210fedcba9876543210
KEY2=ffeeddccbbaa99887766554433221100
KEYS=$KID:$KEY,$KID2:$KEY2

fail() { echo "FAIL ($CASE): $*" >&2; exit 1; }
sysff() { ffmpeg -hide_banner -loglevel error -nostdin -y "$@"; }
frames() { grep -v '^#' "$1" || true; }

make_clear() {   # codec -> $T/clear-<codec>.mp4, its framemd5 and its slice hashes
  local c=$1
  if [ "$c" = h264 ]; then
    sysff -f lavfi -i testsrc2=size=320x240:rate=30 -t 2 -c:v libx264 -g 30 -bf 2 \
      -x264-params slices=2 -pix_fmt yuv420p "$T/clear-h264.mp4"
  else
    sysff -f lavfi -i testsrc2=size=320x240:rate=30 -t 2 -c:v libx265 \
      -x265-params log-level=error:keyint=30:slices=2 -tag:v hvc1 -pix_fmt yuv420p "$T/clear-hevc.mp4"
  fi
  sysff -i "$T/clear-$c.mp4" -f framemd5 "$T/clear-$c.md5"
  sysff -i "$T/clear-$c.mp4" -c copy -bsf:v ${c}_mp4toannexb -f $c - |
    "$HERE/clear-slices.py" $c >"$T/clear-$c.sha"
  [ "$(wc -l <"$T/clear-$c.sha")" -ge 60 ] || fail "clear $c: fewer than 60 slices"
}

# run_va OUT ARGS... : the patched ffmpeg with -backend vaapi to framemd5, fresh driver log
run_va() {
  local out=$1; shift
  rm -f "$SECDEC_TEST_DRV_LOG"
  "$FF" -hide_banner -nostdin -loglevel verbose "$@" -f framemd5 - >"$out" 2>"$out.err"
}

check_slices() {   # label codec : every slice decrypted by the TEE, bit-exact, in order
  local label=$1 c=$2
  [ -s "$SECDEC_TEST_DRV_LOG" ] || fail "$label: the driver logged nothing"
  if grep -q '^error' "$SECDEC_TEST_DRV_LOG"; then
    grep '^error' "$SECDEC_TEST_DRV_LOG" | head -n 3 >&2; fail "$label: the driver logged errors"
  fi
  local n_enc; n_enc=$(grep -c '^slice enc ' "$SECDEC_TEST_DRV_LOG" || true)
  if ! diff <(sed 's/^slice \(enc\|clear\) /slice /' "$SECDEC_TEST_DRV_LOG") "$T/clear-$c.sha" >"$T/diff"; then
    head -n 6 "$T/diff" >&2
    fail "$label: the driver's decrypted slices differ from the clear slices"
  fi
  echo "ok: $label: $(wc -l <"$T/clear-$c.sha") slices bit-exact in the TEE ($n_enc decrypted there)"
}

check_frames() {   # label out codec : as many frames as the clear file, VA-API path used
  local label=$1 out=$2 c=$3
  [ "$(frames "$out" | wc -l)" -eq "$(frames "$T/clear-$c.md5" | wc -l)" ] ||
    fail "$label: $(frames "$out" | wc -l) frames, expected $(frames "$T/clear-$c.md5" | wc -l)"
  grep -q "Decoding through the VA-API hwaccel" "$out.err" || fail "$label: VA-API path not taken"
  grep -q "Falling back" "$out.err" && fail "$label: fell back to software"
  return 0
}

pack() {   # codec out args...
  local c=$1 out=$2; shift 2
  "$SECDEC_PACK" -i "$T/clear-$c.mp4" -o "$out" --kid "$KID" --key "$KEY" --seed 7 "$@" ||
    fail "secdec-pack $*"
}

decode_variants() {   # codec variants...
  local c=$1; shift
  for v in "$@"; do
    set -- $v
    case $2 in
      const) pack "$c" "$T/enc.mp4" --scheme "$1" --constant-iv 0f0e0d0c0b0a09080706050403020100 ;;
      rot) pack "$c" "$T/enc.mp4" --scheme "$1" --kid2 $KID2 --key2 $KEY2 --rotate-at 1 ;;
      lead) pack "$c" "$T/enc.mp4" --scheme "$1" --clear-lead 1 ;;
      *) pack "$c" "$T/enc.mp4" --scheme "$1" --iv-size "$2" ;;
    esac
    run_va "$T/out.md5" -c:v ${c}_secdec -backend vaapi -keys "$KEYS" -i "$T/enc.mp4" ||
      { tail -n 5 "$T/out.md5.err" >&2; fail "$c $v: ffmpeg failed"; }
    check_frames "$c $1 $2" "$T/out.md5" "$c"
    check_slices "$c $1 $2" "$c"
  done
}

case $CASE in
h264)
  make_clear h264
  decode_variants h264 "cenc 8" "cenc 16" "cens 16" "cbc1 16" "cbcs 16" "cbcs const" \
    "cenc rot" "cbcs rot" "cenc lead"
  # control: the encrypted file decoded without the TEE (no encryption parameters) must not
  # give the clear slices — the test content really is encrypted
  pack h264 "$T/enc.mp4" --scheme cenc --iv-size 8
  run_va "$T/out.md5" -c:v h264 -i "$T/enc.mp4" || true
  if [ -s "$SECDEC_TEST_DRV_LOG" ] && diff -q <(sed 's/^slice clear /slice /' "$SECDEC_TEST_DRV_LOG") "$T/clear-h264.sha" >/dev/null; then
    fail "control: slices were already clear"
  fi
  echo "ok: control: the packed file is encrypted"
  ;;
hevc)
  make_clear hevc
  decode_variants hevc "cenc 8" "cbcs 16" "cenc rot"
  ;;
fallback)
  # FFmpeg's own cenc-aes-ctr output encrypts the slice headers: software fallback, logged,
  # frames identical to the clear file's.
  for c in h264 hevc; do
    make_clear $c
    sysff -i "$T/clear-$c.mp4" -c copy -encryption_scheme cenc-aes-ctr -encryption_key $KEY \
      -encryption_kid $KID "$T/enc.mp4"
    run_va "$T/out.md5" -c:v ${c}_secdec -backend vaapi -keys "$KID:$KEY" -i "$T/enc.mp4" ||
      { tail -n 5 "$T/out.md5.err" >&2; fail "$c fallback: ffmpeg failed"; }
    grep -q "VA-API decode is not possible for this content: .*Falling back to the software backend" \
      "$T/out.md5.err" || fail "$c fallback: reason not logged"
    diff -q <(frames "$T/out.md5") <(frames "$T/clear-$c.md5") >/dev/null ||
      fail "$c fallback: framemd5 differs from the clear file"
    if grep -q '^slice enc' "$SECDEC_TEST_DRV_LOG" 2>/dev/null; then fail "$c fallback: VA-API decoded"; fi
    echo "ok: $c ffmpeg cenc-aes-ctr -> software fallback ($(frames "$T/out.md5" | wc -l) frames identical)"
  done
  ;;
faults)
  make_clear h264
  pack h264 "$T/enc.mp4" --scheme cbcs
  for f in vaEndPicture:3 vaAttachProtectedSession vaCreateContext; do
    rc=0
    SECDEC_TEST_DRV_FAIL=$f run_va "$T/out.md5" -c:v h264_secdec -backend vaapi -keys "$KEYS" \
      -i "$T/enc.mp4" || rc=$?
    [ $rc -lt 128 ] || fail "fault $f: crashed (rc $rc)"
    n=$(frames "$T/out.md5" | wc -l)
    total=$(frames "$T/clear-h264.md5" | wc -l)
    [ "$rc" -ne 0 ] || [ "$n" -lt "$total" ] || fail "fault $f: no effect (rc 0, $n frames)"
    grep -Eq "VA-API protected decode: |hardware accelerator failed|Failed to|cannot attach|VA-API hwaccel cannot" \
      "$T/out.md5.err" || { tail -n 5 "$T/out.md5.err" >&2; fail "fault $f: no error message"; }
    if [ "$f" = vaAttachProtectedSession ]; then
      grep -q "VA-API protected decode: cannot attach the protected session" "$T/out.md5.err" ||
        fail "fault $f: the reason is not logged"
    fi
    echo "ok: fault $f -> rc $rc, $n of $total frames, error logged: $(grep -Eo "VA-API protected decode: [^.]*|hardware accelerator failed[^.]*|Failed to [^:]*|VA-API hwaccel cannot[^(]*" "$T/out.md5.err" | head -n 1)"
  done
  ;;
*) fail "unknown case" ;;
esac
