#!/usr/bin/env bash
# The GStreamer VA-API path against the test VA driver (tests/vadriver, no GPU):
#   filesrc ! qtdemux ! secdecrypt backend=vaapi ! secdech264dec|secdech265dec ! appsink
# secdecrypt passes the samples on still encrypted (protected memory + GstSecdecSampleMeta); the
# decoder decodes them with the system libavcodec's VA-API hwaccel on libsecdec-vaapi's wrapped
# display; the driver's fake TEE decrypts each slice and logs its SHA-256, compared with the
# clear file's slices by va-slices-check.py (every slice whole and bit-exact, including those the
# system libavcodec cuts short at 00 00 01/02 in the ciphertext — see hw/README.md).
# Usage: vaapi.sh h264|hevc|fallback|lost|faults, with GST_FRAMEMD5, SECDEC_PACK, LIBVA_DRIVERS_PATH,
# SECDEC_VA_TEST_DRIVER, SECDEC_BACKEND_PATH and the GStreamer test environment set.
set -euo pipefail
CASE=$1
: "${GST_FRAMEMD5:?}" "${SECDEC_PACK:?}"
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib/common.sh"
make_tmpdir gst-vaapi
. "$HERE/../lib/vaapi-env.sh"
export HOME=$T/nohome

nframes() { grep -c '^[0-9]' "$1" || true; }

make_clear() {   # codec -> $T/clear-<codec>.mp4 (2 slices per picture), .annexb, frame count
  make_clear_slices "$1"
  CLEAR_FRAMES=$(grep -vc '^#' "$T/clear-$1.md5")
}

dec() { [ "$1" = h264 ] && echo secdech264dec || echo secdech265dec; }

# run OUT FILE CODEC [secdecrypt props...]: the pipeline to appsink, fresh driver log
run() {
  local out=$1 file=$2 c=$3; shift 3
  rm -f "$SECDEC_TEST_DRV_LOG"
  "$GST_FRAMEMD5" --timeout 60 "filesrc location=$file ! qtdemux ! secdecrypt $* ! $(dec "$c") ! appsink name=sink" \
    >"$out" 2>"$out.err"
}

decode_variants() {   # codec variants...
  local c=$1; shift
  for v in "$@"; do
    set -- $v
    case $2 in
      rot) pack "$c" "$T/enc.mp4" --scheme "$1" --kid2 $KID2 --key2 $KEY2 --rotate-at 1 ;;
      *) pack "$c" "$T/enc.mp4" --scheme "$1" --iv-size "$2" ;;
    esac
    run "$T/out" "$T/enc.mp4" "$c" backend=vaapi "keys=$KEYS" ||
      { tail -n 5 "$T/out.err" >&2; fail "$c $v: pipeline failed"; }
    grep -q "Falling back" "$T/out.err" && fail "$c $v: fell back to software"
    [ "$(nframes "$T/out")" -eq "$CLEAR_FRAMES" ] ||
      fail "$c $v: $(nframes "$T/out") frames, expected $CLEAR_FRAMES"
    [ -s "$SECDEC_TEST_DRV_LOG" ] || fail "$c $v: the driver logged nothing (VA-API path not taken)"
    n_enc=$(grep -c '^slice enc ' "$SECDEC_TEST_DRV_LOG" || true)
    [ "$n_enc" -gt 0 ] || fail "$c $v: no slice was decrypted in the TEE"
    ffmpeg -loglevel quiet -nostdin -y -i "$T/enc.mp4" -c copy -bsf:v ${c}_mp4toannexb -f $c "$T/enc.annexb"
    summary=$("$HERE/va-slices-check.py" "$c" "$T/clear-$c.annexb" "$T/enc.annexb" \
      "$SECDEC_TEST_DRV_LOG") || fail "$c $v: the driver's slices differ from the clear slices"
    echo "ok: $c $v: $CLEAR_FRAMES frames; $summary ($n_enc decrypted in the TEE)"
  done
}

case $CASE in
h264)
  make_clear h264
  # (qtdemux 1.22 rejects 'cens'/'cbc1' files: "This file is corrupt")
  decode_variants h264 "cenc 8" "cenc 16" "cbcs 16" "cenc rot" "cbcs rot"
  ;;
hevc)
  make_clear hevc
  decode_variants hevc "cenc 8" "cbcs 16" "cenc rot"
  ;;
fallback)
  # Content whose slice headers are encrypted (secdec-pack --encrypt-slice-headers: only length
  # prefixes and NAL headers clear, as FFmpeg's CENC muxer does) cannot be decoded by hardware:
  # secdecrypt backend=auto|vaapi posts a warning with the reason and decrypts in software;
  # the frames must be identical to the reference decoder's on the clear file.
  for c in h264 hevc; do
    make_clear $c
    ref=avdec_h264; [ $c = hevc ] && ref=avdec_h265
    "$GST_FRAMEMD5" --timeout 60 "filesrc location=$T/clear-$c.mp4 ! qtdemux ! $ref ! appsink name=sink" \
      >"$T/ref" 2>"$T/ref.err" || fail "$c fallback: reference decode ($ref) failed"
    for v in "cenc vaapi" "cbcs auto"; do
      set -- $v
      pack "$c" "$T/enc.mp4" --scheme "$1" --iv-size 16 --encrypt-slice-headers
      run "$T/out" "$T/enc.mp4" "$c" backend=$2 "keys=$KID:$KEY" ||
        { tail -n 5 "$T/out.err" >&2; fail "$c $v fallback: pipeline failed"; }
      grep -q "^WARNING: from secdecrypt.*VA-API decode is not possible for this content: .*Falling back to the software backend" \
        "$T/out.err" || fail "$c $v fallback: reason not posted"
      [ "$(nframes "$T/out")" -eq "$CLEAR_FRAMES" ] || fail "$c $v fallback: $(nframes "$T/out") frames"
      diff -q <(awk '/^[0-9]/ {print $1, $3}' "$T/out") <(awk '/^[0-9]/ {print $1, $3}' "$T/ref") >/dev/null ||
        fail "$c $v fallback: frames differ from $ref on the clear file"
      if grep -q '^slice' "$SECDEC_TEST_DRV_LOG" 2>/dev/null; then fail "$c $v fallback: VA-API decoded"; fi
      echo "ok: $c $1 encrypted slice headers, backend=$2 -> software fallback ($(nframes "$T/out") frames identical to $ref), $(grep -o 'VA-API decode is not possible[^|]*' "$T/out.err" | head -n 1)"
    done
  done
  # backend=auto with no VA-API protected-content device: software, no warning needed
  make_clear h264
  pack h264 "$T/enc.mp4" --scheme cbcs
  "$GST_FRAMEMD5" --timeout 60 "filesrc location=$T/clear-h264.mp4 ! qtdemux ! avdec_h264 ! appsink name=sink" \
    >"$T/ref" 2>"$T/ref.err" || fail "reference decode failed"
  mkdir -p "$T/nodrivers"
  LIBVA_DRIVERS_PATH=$T/nodrivers run "$T/out" "$T/enc.mp4" h264 backend=auto "keys=$KID:$KEY" ||
    { tail -n 5 "$T/out.err" >&2; fail "auto without a VA device: pipeline failed"; }
  diff -q <(awk '/^[0-9]/ {print $1, $3}' "$T/out") <(awk '/^[0-9]/ {print $1, $3}' "$T/ref") >/dev/null ||
    fail "auto without a VA device: frames differ from avdec_h264 on the clear file"
  if grep -q '^slice' "$SECDEC_TEST_DRV_LOG" 2>/dev/null; then fail "auto without a VA device: VA-API decoded"; fi
  echo "ok: backend=auto without a VA-API device -> software ($(nframes "$T/out") frames identical)"
  # backend=vaapi with no VA-API protected-content device: a clear error, no frames
  rc=0
  LIBVA_DRIVERS_PATH=$T/nodrivers run "$T/out" "$T/enc.mp4" h264 backend=vaapi "keys=$KID:$KEY" || rc=$?
  [ $rc -ne 0 ] || fail "backend=vaapi without a VA device: the pipeline succeeded"
  grep -q "^ERROR: from secdecrypt.*The requested secdec backend is not available" "$T/out.err" ||
    { tail -n 3 "$T/out.err" >&2; fail "backend=vaapi without a VA device: no clear error"; }
  echo "ok: backend=vaapi without a VA-API device -> $(grep -m1 '^ERROR' "$T/out.err" | cut -c1-120)"
  ;;
lost)
  # A simulated power event (test driver: SECDEC_TEST_DRV_LOSE_AFTER=N, once per process) loses
  # every protected session: the decoder's picture fails, it finds the session KEY_LOST, asks
  # secdecrypt (upstream event) for a new one, which negotiates and loads the keys again; the
  # pictures up to the next keyframe are dropped. Exit 0, a warning naming the loss, every
  # slice decrypted before and after bit-exact, the whole second GOP (1 s .. 2 s) present (HEVC:
# but the RASL pictures of the CRA decoding resumes at).
  for c in h264 hevc; do
    make_clear $c
    for sc in cenc cbcs; do
      pack "$c" "$T/enc.mp4" --scheme $sc --iv-size 16
      SECDEC_TEST_DRV_LOSE_AFTER=12 run "$T/out" "$T/enc.mp4" "$c" backend=vaapi "keys=$KEYS" ||
        { tail -n 5 "$T/out.err" >&2; fail "$c $sc: the pipeline did not recover"; }
      grep -q "^WARNING: from secdecrypt.*lost its keys; recovering with a new session" "$T/out.err" ||
        fail "$c $sc: no recovery warning"
      grep -q "^WARNING: from $(dec $c).*dropped" "$T/out.err" ||
        fail "$c $sc: the decoder did not say what it dropped"
      ffmpeg -loglevel quiet -nostdin -y -i "$T/enc.mp4" -c copy -bsf:v ${c}_mp4toannexb -f $c "$T/enc.annexb"
      summary=$("$HERE/va-slices-check.py" "$c" "$T/clear-$c.annexb" "$T/enc.annexb" \
        "$SECDEC_TEST_DRV_LOG" --power-loss) || fail "$c $sc: the driver's slices are wrong"
      n=$(nframes "$T/out")
      second=$(awk '/^[0-9]/ && $2 >= 1000000000 {n++} END {print n+0}' "$T/out")
      # HEVC (open GOP): a decoder starting at the CRA skips its RASL pictures
      want=30; [ $c = hevc ] && want=26
      [ "$second" -ge $want ] && [ "$second" -le 30 ] ||
        fail "$c $sc: $second frames of the second GOP, expected $want..30"
      [ "$n" -lt "$CLEAR_FRAMES" ] && [ "$n" -ge 36 ] ||
        fail "$c $sc: $n frames (the clear file has $CLEAR_FRAMES; 12 decoded before the loss)"
      echo "ok: $c $sc power loss after 12 pictures -> recovered, $n of $CLEAR_FRAMES frames; $summary"
    done
  done
  ;;
faults)
  make_clear h264
  pack h264 "$T/enc.mp4" --scheme cbcs
  for f in vaEndPicture:3 vaAttachProtectedSession vaCreateContext; do
    rc=0
    SECDEC_TEST_DRV_FAIL=$f run "$T/out" "$T/enc.mp4" h264 backend=vaapi "keys=$KEYS" || rc=$?
    [ $rc -eq 2 ] || { tail -n 3 "$T/out.err" >&2; fail "fault $f: exit $rc, expected a bus error (2)"; }
    grep -q '^ERROR: from secdech264dec.*VA-API' "$T/out.err" ||
      { tail -n 3 "$T/out.err" >&2; fail "fault $f: no error from the decoder"; }
    echo "ok: fault $f -> $(nframes "$T/out") of $CLEAR_FRAMES frames, $(grep -m1 '^ERROR' "$T/out.err")"
  done
  ;;
*) fail "unknown case" ;;
esac
