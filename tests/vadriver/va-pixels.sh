#!/usr/bin/env bash
# The test VA driver decodes H.264 for real (drv_decode_h264.c): clear H.264 clips are encrypted
# with secdec-pack (cenc, cbcs), decoded through libavcodec's VA-API hwaccel on the driver — the
# fake TEE decrypts every slice, the driver rebuilds SPS/PPS from the VA buffers and decodes —
# and the frames read back from the surfaces must be bit-identical to a software decode of the
# clear file:
#   - FFmpeg: the patched ffmpeg -c:v h264_secdec -backend vaapi (frames downloaded, NV12) vs
#     the system ffmpeg on the clear file (-f framemd5, both NV12);
#   - GStreamer (when built): qtdemux ! secdecrypt backend=vaapi ! secdech264dec vs avdec_h264
#     on the clear file (gst-framemd5, both converted to I420).
# Clips: High with B-frames and 2 slices; CQM (scaling lists), 4 refs, B-pyramid, weighted and
# temporal-direct prediction; MBAFF (interlaced, coded 320x256 shown 320x240); Constrained
# Baseline (CAVLC); 200x120 (cropped right and bottom). A wrong key must give other pixels.
# Environment: SECDEC_PACK, LIBVA_DRIVERS_PATH, SECDEC_VA_TEST_DRIVER, SECDEC_BACKEND_PATH, and
# FFMPEG_SECDEC and/or GST_FRAMEMD5 (+ the GStreamer variables). Exit 77 when tools are missing.
set -euo pipefail
: "${SECDEC_PACK:?}" "${LIBVA_DRIVERS_PATH:?}" "${SECDEC_VA_TEST_DRIVER:?}"
FF=${FFMPEG_SECDEC:-}
GFM=${GST_FRAMEMD5:-}
skip() { echo "SKIP: $*"; exit 77; }
command -v ffmpeg >/dev/null || skip "ffmpeg not installed"
[[ $(ffmpeg -hide_banner -encoders 2>/dev/null) == *libx264* ]] || skip "ffmpeg has no libx264"
[ -n "$FF" ] && [ ! -x "$FF" ] && FF=
[ -n "$GFM" ] && [ ! -x "$GFM" ] && GFM=
# avdec_h264 (the reference) is gst-libav's; secdech264dec is built with gst-framemd5. (No
# gst-inspect-1.0: it cannot load the plugin of a sanitizer build.)
if [ -n "$GFM" ] && [ ! -e "${GST_PLUGIN_SYSTEM_PATH_1_0:-}/libgstlibav.so" ]; then
  echo "note: GStreamer part skipped: no gst-libav (avdec_h264) in '${GST_PLUGIN_SYSTEM_PATH_1_0:-}'"
  GFM=
fi
[ -n "$FF$GFM" ] || skip "neither the patched ffmpeg nor the GStreamer plugin is built"

T=$(mktemp -d "${SECDEC_TEST_TMP:-${TMPDIR:-/tmp}}/va-pixels.XXXXXX")
trap 'rm -rf "$T"' EXIT
export SECDEC_HOME=$T/home SECDEC_TEST_TEE_DIR=$T/tee HOME=$T/nohome
export SECDEC_TEST_DRV_LOG=$T/drv.log SECDEC_TEST_DRV_LOG_PICTURES=1
unset SECDEC_TEST_DRV_FAIL SECDEC_TEST_DRV_LOSE_AFTER SECDEC_TEST_DRV_NO_ENCRYPTION
KID=0123456789abcdef0123456789abcdef
KEY=00112233445566778899aabbccddeeff
WRONG=ffeeddccbbaa99887766554433221100

fail() { echo "FAIL: $*" >&2; exit 1; }
sysff() { ffmpeg -hide_banner -loglevel error -nostdin -y "$@"; }
md5s() { awk -F', *' '!/^#/ {print $5, $6}' "$1"; }   # framemd5: size and hash per frame
gmd5s() { awk '/^[0-9]/ {print $1, $3}' "$1"; }       # gst-framemd5: index and hash

# make CLIP SIZE X264-ARGS... : $T/CLIP.mp4, 2 s of testsrc2 at 30 fps, 2 slices per picture
make() {
  local clip=$1 size=$2; shift 2
  sysff -f lavfi -i testsrc2=size=$size:rate=30 -t 2 -c:v libx264 -g 30 "$@" -pix_fmt yuv420p \
    "$T/$clip.mp4" || fail "$clip: libx264 encode failed"
}

# check_driver LABEL FRAMES : the driver decrypted and decoded every picture, no error
check_driver() {
  local label=$1 n=$2
  [ -s "$SECDEC_TEST_DRV_LOG" ] || fail "$label: the driver logged nothing (VA-API path not taken)"
  if grep -q '^error' "$SECDEC_TEST_DRV_LOG"; then
    grep '^error' "$SECDEC_TEST_DRV_LOG" | sort | uniq -c | head -n 5 >&2
    fail "$label: the driver logged errors"
  fi
  local enc dec
  enc=$(grep -c '^slice enc ' "$SECDEC_TEST_DRV_LOG" || true)
  dec=$(grep -c '^picture decoded ' "$SECDEC_TEST_DRV_LOG" || true)
  [ "$enc" -gt 0 ] || fail "$label: no slice was decrypted in the TEE"
  [ "$dec" -eq "$n" ] || fail "$label: the driver decoded $dec pictures, expected $n"
  echo "$enc slices decrypted, $dec pictures decoded by the driver"
}

ffmpeg_va() {   # label clip enc.mp4 : patched ffmpeg through the driver vs the clear framemd5
  local label=$1 clip=$2 enc=$3
  rm -f "$SECDEC_TEST_DRV_LOG"
  "$FF" -hide_banner -nostdin -loglevel verbose -c:v h264_secdec -backend vaapi \
    -keys "$KID:$KEY" -i "$enc" -pix_fmt nv12 -f framemd5 - >"$T/out.md5" 2>"$T/out.err" ||
    { tail -n 5 "$T/out.err" >&2; fail "ffmpeg $label: ffmpeg failed"; }
  grep -q "Decoding through the VA-API hwaccel" "$T/out.err" || fail "ffmpeg $label: VA-API path not taken"
  ! grep -q "Falling back" "$T/out.err" || fail "ffmpeg $label: fell back to software"
  ! grep -Eq 'Sanitizer|runtime error:' "$T/out.err" || fail "ffmpeg $label: sanitizer error"
  local n summary
  n=$(md5s "$T/$clip.md5" | wc -l)
  [ "$(md5s "$T/out.md5" | wc -l)" -eq "$n" ] ||
    fail "ffmpeg $label: $(md5s "$T/out.md5" | wc -l) frames, expected $n"
  summary=$(check_driver "ffmpeg $label" "$n")
  if ! diff <(md5s "$T/out.md5") <(md5s "$T/$clip.md5") >"$T/diff"; then
    echo "$(grep -c '^>' "$T/diff") of $n frames differ; first:" >&2
    head -n 4 "$T/diff" >&2
    fail "ffmpeg $label: decoded pixels differ from the clear file's"
  fi
  echo "ok: ffmpeg $label: $n frames bit-identical to the clear file ($summary)"
}

gst_va() {   # label clip enc.mp4 : the GStreamer VA-API path vs avdec_h264 on the clear file
  local label=$1 clip=$2 enc=$3 rc=0
  rm -f "$SECDEC_TEST_DRV_LOG"
  ASAN_OPTIONS=${VA_PIXELS_GST_ASAN_OPTIONS:-${ASAN_OPTIONS:-}} "$GFM" --timeout 120 \
    "filesrc location=$enc ! qtdemux ! secdecrypt backend=vaapi keys=$KID:$KEY ! secdech264dec ! videoconvert ! video/x-raw,format=I420 ! appsink name=sink" \
    >"$T/gout" 2>"$T/gout.err" || rc=$?
  [ $rc -eq 0 ] || { tail -n 5 "$T/gout.err" >&2; fail "gst $label: pipeline failed ($rc)"; }
  ! grep -q "Falling back" "$T/gout.err" || fail "gst $label: fell back to software"
  ! grep -Eq 'Sanitizer|runtime error:' "$T/gout.err" || fail "gst $label: sanitizer error"
  local n summary
  n=$(gmd5s "$T/$clip.gref" | wc -l)
  [ "$(gmd5s "$T/gout" | wc -l)" -eq "$n" ] || fail "gst $label: $(gmd5s "$T/gout" | wc -l) frames, expected $n"
  summary=$(check_driver "gst $label" "$n")
  if ! diff <(gmd5s "$T/gout") <(gmd5s "$T/$clip.gref") >"$T/diff"; then
    echo "$(grep -c '^>' "$T/diff") of $n frames differ; first:" >&2
    head -n 4 "$T/diff" >&2
    fail "gst $label: decoded pixels differ from avdec_h264's on the clear file"
  fi
  echo "ok: gst $label: $n frames bit-identical to avdec_h264 on the clear file ($summary)"
}

CLIPS=(
  "high 320x240 -bf 2 -x264-params slices=2"
  "tools 352x288 -bf 3 -x264-params slices=2:cqm=jvt:ref=4:b-pyramid=normal:weightp=2:weightb=1:direct=temporal"
  "mbaff 320x240 -bf 2 -x264-params slices=2:interlaced=1:tff=1"
  "cavlc 320x240 -profile:v baseline -x264-params slices=2"
  "crop 200x120 -bf 2 -x264-params slices=2"
)
for c in "${CLIPS[@]}"; do
  set -- $c
  clip=$1; shift
  make "$clip" "$@"
  sysff -i "$T/$clip.mp4" -pix_fmt nv12 -f framemd5 "$T/$clip.md5"
  if [ -n "$GFM" ]; then
    ASAN_OPTIONS=${VA_PIXELS_GST_ASAN_OPTIONS:-${ASAN_OPTIONS:-}} "$GFM" --timeout 120 \
      "filesrc location=$T/$clip.mp4 ! qtdemux ! avdec_h264 ! videoconvert ! video/x-raw,format=I420 ! appsink name=sink" \
      >"$T/$clip.gref" 2>"$T/$clip.gref.err" || fail "$clip: reference decode (avdec_h264) failed"
  fi
  for scheme in cenc cbcs; do
    "$SECDEC_PACK" -i "$T/$clip.mp4" -o "$T/enc.mp4" --scheme $scheme --kid $KID --key $KEY \
      --seed 7 >/dev/null || fail "secdec-pack $clip $scheme"
    [ -z "$FF" ] || ffmpeg_va "$clip $scheme" "$clip" "$T/enc.mp4"
    [ -z "$GFM" ] || gst_va "$clip $scheme" "$clip" "$T/enc.mp4"
  done
done

# Control: with a wrong content key the TEE decrypts garbage, and the frames must differ — the
# comparison above really looks at pixels the driver produced from the decrypted slices.
"$SECDEC_PACK" -i "$T/high.mp4" -o "$T/enc.mp4" --scheme cenc --kid $KID --key $KEY --seed 7 >/dev/null
rm -f "$SECDEC_TEST_DRV_LOG"
if [ -n "$FF" ]; then
  "$FF" -hide_banner -nostdin -loglevel error -c:v h264_secdec -backend vaapi -keys "$KID:$WRONG" \
    -i "$T/enc.mp4" -pix_fmt nv12 -f framemd5 - >"$T/out.md5" 2>"$T/ctl.err" || true
  out=$T/out.md5 n_same=$(md5s "$T/out.md5" | grep -cxFf <(md5s "$T/high.md5") || true)
else
  ASAN_OPTIONS=${VA_PIXELS_GST_ASAN_OPTIONS:-${ASAN_OPTIONS:-}} "$GFM" --timeout 120 \
    "filesrc location=$T/enc.mp4 ! qtdemux ! secdecrypt backend=vaapi keys=$KID:$WRONG ! secdech264dec ! videoconvert ! video/x-raw,format=I420 ! appsink name=sink" \
    >"$T/gout" 2>"$T/ctl.err" || true
  out=$T/gout n_same=$(gmd5s "$T/gout" | grep -cxFf <(gmd5s "$T/high.gref") || true)
fi
# (garbage slice data: libavcodec in the driver conceals and complains, it must not crash)
if grep -Eq 'Sanitizer|runtime error:' "$T/ctl.err"; then
  grep -E -A5 'Sanitizer|runtime error:' "$T/ctl.err" | head -n 20 >&2; fail "control: sanitizer error"
fi
grep -q '^slice enc ' "$SECDEC_TEST_DRV_LOG" 2>/dev/null || fail "control: the driver decrypted nothing"
[ "$n_same" -eq 0 ] || fail "control: $n_same frames decoded with a wrong key equal the clear ones"
echo "ok: control: a wrong key gives no clear frame ($(grep -c '^error decode' "$SECDEC_TEST_DRV_LOG" || true) pictures the driver could not decode, $(wc -l <"$out") output lines)"
