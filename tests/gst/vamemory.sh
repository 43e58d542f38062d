#!/usr/bin/env bash
# memory:VAMemory output of secdech264dec/secdech265dec on the VA-API path, against the test VA
# driver (tests/vadriver, no GPU):
#   filesrc ! qtdemux ! secdecrypt backend=vaapi ! secdech26xdec ! video/x-raw(memory:VAMemory) ! appsink
# checks that the frames are GstVaMemory surfaces (gst-framemd5 --va), that they are the very
# surfaces libavcodec decoded into (the decoder's log of libavcodec's surface per frame), that
# surfaces are recycled, that the VA display is shared through the gst.va.display.handle context,
# and that mapping them gives the same bytes as the system-memory path (surfaces read back with
# vaDeriveImage, or vaGetImage when deriving fails) of the same content. A driver that refuses
# reading surfaces (gst-framemd5 --deny-surface-read) must still give every frame as VAMemory
# and make a system-memory downstream fail with a clear error. The software backend keeps its
# system-memory output.
# Usage: vamemory.sh h264|hevc|valgrind, with GST_FRAMEMD5 (built with gstreamer-va-1.0),
# SECDEC_PACK, LIBVA_DRIVERS_PATH, SECDEC_VA_TEST_DRIVER, SECDEC_BACKEND_PATH and the GStreamer
# test environment set (tests/gst/meson.build).
set -euo pipefail
CASE=$1
: "${GST_FRAMEMD5:?}" "${SECDEC_PACK:?}" "${SECDEC_VA_TEST_DRIVER:?}" "${LIBVA_DRIVERS_PATH:?}"
T=$(mktemp -d "${SECDEC_TEST_TMP:-${TMPDIR:-/tmp}}/gst-vamemory.XXXXXX")
trap 'rm -rf "$T"' EXIT
export SECDEC_HOME=$T/home SECDEC_TEST_TEE_DIR=$T/tee HOME=$T/nohome
export SECDEC_TEST_DRV_LOG=$T/drv.log GST_DEBUG_NO_COLOR=1
unset SECDEC_TEST_DRV_FAIL GST_DEBUG GST_DEBUG_FILE
command -v ffmpeg >/dev/null || { echo "SKIP: ffmpeg not installed"; exit 77; }
KID=0123456789abcdef0123456789abcdef
KEY=00112233445566778899aabbccddeeff
FAILS=0

fail() { echo "FAIL ($CASE): $*" >&2; FAILS=$((FAILS + 1)); }
die() { echo "FAIL ($CASE): $*" >&2; exit 1; }
ok() { echo "ok: $*"; }
sysff() { ffmpeg -hide_banner -loglevel error -nostdin -y "$@"; }
nframes() { grep -c '^[0-9]' "$1" || true; }
# "pts md5" of every frame, by pts (the index order is the same, but pts is what is compared)
pts_md5() { awk '/^[0-9]/ {print $2, $3}' "$1" | sort -n; }
show() { tail -n 40 "$1.err" >&2 || true; }

make_clear() {   # codec [size] -> $T/clear.mp4 (2 slices per picture, B-frames), CLEAR_FRAMES
  local size=${2:-320x240}
  if [ "$1" = h264 ]; then
    sysff -f lavfi -i testsrc2=size=$size:rate=30 -t 2 -c:v libx264 -g 30 -bf 2 \
      -x264-params slices=2 -pix_fmt yuv420p "$T/clear.mp4"
  else
    sysff -f lavfi -i testsrc2=size=$size:rate=30 -t 2 -c:v libx265 \
      -x265-params log-level=error:keyint=30:slices=2:bframes=2 -tag:v hvc1 -pix_fmt yuv420p \
      "$T/clear.mp4"
  fi
  sysff -i "$T/clear.mp4" -f framemd5 "$T/clear.md5"
  CLEAR_FRAMES=$(grep -vc '^#' "$T/clear.md5")
}

pack() {   # scheme iv-size -> $T/enc.mp4
  "$SECDEC_PACK" -i "$T/clear.mp4" -o "$T/enc.mp4" --kid "$KID" --key "$KEY" --seed 7 \
    --scheme "$1" --iv-size "$2" >/dev/null || die "secdec-pack --scheme $1"
}

# run OUT BACKEND TAIL [gst-framemd5 options...]: the pipeline ending in TAIL; exit status
run() {
  local out=$1 backend=$2 tail=$3 rc=0; shift 3
  rm -f "$SECDEC_TEST_DRV_LOG"
  "$GST_FRAMEMD5" --timeout 90 "$@" "filesrc location=$T/enc.mp4 ! qtdemux ! secdecrypt backend=$backend keys=$KID:$KEY ! $DEC ! $tail" \
    >"$out" 2>"$out.err" || rc=$?
  return $rc
}

VA_TAIL='video/x-raw(memory:VAMemory) ! appsink name=sink'
SYS_TAIL='video/x-raw ! appsink name=sink'

check_codec() {
  local c=$1 rc
  DEC=secdech264dec; [ "$c" = hevc ] && DEC=secdech265dec
  make_clear "$c"
  pack cenc 8

  # 1. memory:VAMemory: the surfaces libavcodec decoded into, shared display, recycled surfaces
  local fails0=$FAILS
  rc=0
  GST_DEBUG=secdecviddec:6 GST_DEBUG_FILE=$T/va.log run "$T/va" vaapi "$VA_TAIL" --va || rc=$?
  [ $rc -eq 0 ] || { show "$T/va"; die "$c VAMemory: pipeline failed (exit $rc)"; }
  [ "$(nframes "$T/va")" -eq "$CLEAR_FRAMES" ] ||
    fail "$c VAMemory: $(nframes "$T/va") frames, expected $CLEAR_FRAMES"
  grep -q '^slice enc ' "$SECDEC_TEST_DRV_LOG" 2>/dev/null ||
    fail "$c VAMemory: no slice was decrypted in the TEE (VA-API path not taken)"
  grep -q '^va-context ok$' "$T/va" || fail "$c VAMemory: display context not shared"
  local have surfaces distinct
  have=$(sed -n 's/^va-have-context //p' "$T/va")
  [ "${have:-0}" -ge 1 ] || fail "$c VAMemory: no GST_MESSAGE_HAVE_CONTEXT for the VA display"
  surfaces=$(sed -n 's/^va-surfaces //p' "$T/va")
  # the pool hands out recycled surfaces: fewer distinct surfaces than frames
  [ "${surfaces:-0}" -ge 2 ] && [ "$surfaces" -lt "$CLEAR_FRAMES" ] ||
    fail "$c VAMemory: $surfaces distinct surfaces for $CLEAR_FRAMES frames (not recycled?)"
  # zero copy: each frame's surface is the one libavcodec decoded it into
  sed -n 's/.*frame [0-9]* pts \([0-9]*\): libavcodec surface \([0-9a-fx]*\) pushed as memory:VAMemory.*/\1 \2/p' \
    "$T/va.log" | sort -n >"$T/decoded-surfaces"
  awk '/^[0-9]/ && NF == 5 {print $2, $5}' "$T/va" | sort -n >"$T/pushed-surfaces"
  [ "$(wc -l <"$T/pushed-surfaces")" -eq "$CLEAR_FRAMES" ] ||
    fail "$c VAMemory: $(wc -l <"$T/pushed-surfaces") frames with a surface, expected $CLEAR_FRAMES"
  diff -q "$T/decoded-surfaces" "$T/pushed-surfaces" >/dev/null ||
    fail "$c VAMemory: the surfaces pushed are not those libavcodec decoded into ($(diff "$T/decoded-surfaces" "$T/pushed-surfaces" | head -n 3 | tr '\n' ' '))"
  distinct=$(awk '/^[0-9]/ {print $3}' "$T/va" | sort -u | wc -l)
  [ "$distinct" -gt 1 ] || fail "$c VAMemory: every frame maps to the same bytes"
  [ "$FAILS" -eq "$fails0" ] &&
    ok "$c: $(nframes "$T/va") frames as memory:VAMemory, $surfaces surfaces recycled, each the one libavcodec decoded into; display shared (context query + $have have-context); $distinct distinct pictures"

  # 2. a system-memory downstream: the surfaces read back, same bytes as mapping the VA frames
  rc=0
  run "$T/sys" vaapi "$SYS_TAIL" --sysmem || rc=$?
  [ $rc -eq 0 ] || { show "$T/sys"; fail "$c system memory: pipeline failed (exit $rc)"; }
  if diff -q <(pts_md5 "$T/va") <(pts_md5 "$T/sys") >/dev/null && [ "$(nframes "$T/sys")" -eq "$CLEAR_FRAMES" ]; then
    ok "$c: system-memory downstream: $(nframes "$T/sys") frames read back, identical to the mapped VAMemory frames"
  else
    fail "$c system memory: $(nframes "$T/sys") frames, differing from the VAMemory frames"
  fi

  # 3. downstream with ANY caps and no GstVideoMeta support (appsink): system memory, like the
  # va decoders
  rc=0
  run "$T/any" vaapi 'appsink name=sink' --sysmem || rc=$?
  if [ $rc -eq 0 ] && diff -q <(pts_md5 "$T/va") <(pts_md5 "$T/any") >/dev/null; then
    ok "$c: ANY downstream without GstVideoMeta (appsink): $(nframes "$T/any") frames in system memory, identical"
  else
    show "$T/any"; fail "$c ANY downstream: exit $rc, $(nframes "$T/any") frames"
  fi

  # 4. vaDeriveImage refused (driver fault): read back with vaCreateImage + vaGetImage
  rc=0
  SECDEC_TEST_DRV_FAIL=vaDeriveImage run "$T/get" vaapi "$SYS_TAIL" --sysmem || rc=$?
  if [ $rc -eq 0 ] && diff -q <(pts_md5 "$T/va") <(pts_md5 "$T/get") >/dev/null; then
    ok "$c: vaDeriveImage refused: $(nframes "$T/get") frames read with vaGetImage, identical"
  else
    show "$T/get"; fail "$c vaGetImage fallback: exit $rc, $(nframes "$T/get") frames"
  fi

  # 5. a driver that lets no decoded picture out: system memory is a clear error ...
  rc=0
  run "$T/deny" vaapi "$SYS_TAIL" --deny-surface-read || rc=$?
  if [ $rc -eq 2 ] && [ "$(nframes "$T/deny")" -eq 0 ] &&
      grep -q "^ERROR: from $DEC.*does not allow reading the decoded protected surfaces.*downstream must accept video/x-raw(memory:VAMemory)" "$T/deny.err"; then
    ok "$c: driver refuses reads, system-memory downstream -> $(grep -m1 '^ERROR' "$T/deny.err" | cut -c1-160)"
  else
    show "$T/deny"; fail "$c refused reads: exit $rc (want 2), $(nframes "$T/deny") frames, no clear error"
  fi
  # ... while memory:VAMemory needs no read: every frame still comes out
  rc=0
  run "$T/deny-va" vaapi "$VA_TAIL" --deny-surface-read --va --no-map || rc=$?
  if [ $rc -eq 0 ] && [ "$(nframes "$T/deny-va")" -eq "$CLEAR_FRAMES" ]; then
    ok "$c: driver refuses reads, VAMemory downstream -> all $CLEAR_FRAMES frames"
  else
    show "$T/deny-va"; fail "$c refused reads with VAMemory: exit $rc, $(nframes "$T/deny-va") frames"
  fi

  # 6. software backend: system memory as before; it never offers VAMemory
  rc=0
  run "$T/sw" software 'appsink name=sink' --sysmem || rc=$?
  if [ $rc -eq 0 ] && [ "$(nframes "$T/sw")" -eq "$CLEAR_FRAMES" ] &&
      ! grep -q '^slice' "$SECDEC_TEST_DRV_LOG" 2>/dev/null; then
    ok "$c: backend=software: $(nframes "$T/sw") frames in system memory"
  else
    show "$T/sw"; fail "$c software: exit $rc, $(nframes "$T/sw") frames"
  fi
  rc=0
  run "$T/sw-va" software "$VA_TAIL" || rc=$?
  if [ $rc -eq 2 ] && [ "$(nframes "$T/sw-va")" -eq 0 ]; then
    ok "$c: backend=software with a memory:VAMemory-only downstream -> $(grep -m1 '^ERROR' "$T/sw-va.err" | cut -c1-100)"
  else
    fail "$c software: memory:VAMemory downstream did not fail (exit $rc)"
  fi

  # 7. a height that is not a multiple of the coding block (320x180): surfaces of the coded
  # size, caps and video meta of the visible size; mapped and read-back frames identical
  make_clear "$c" 320x180
  pack cbcs 16
  local r1=0 r2=0
  run "$T/va180" vaapi "$VA_TAIL" --va || r1=$?
  run "$T/sys180" vaapi "$SYS_TAIL" --sysmem || r2=$?
  if [ $r1 -eq 0 ] && [ $r2 -eq 0 ] && [ "$(nframes "$T/va180")" -eq "$CLEAR_FRAMES" ]; then
    if diff -q <(pts_md5 "$T/va180") <(pts_md5 "$T/sys180") >/dev/null; then
      ok "$c 320x180: $(nframes "$T/va180") VAMemory frames identical to the read-back ones"
    else
      fail "$c 320x180: VAMemory and read-back frames differ"
    fi
  else
    show "$T/va180"; show "$T/sys180"
    fail "$c 320x180: exit $r1/$r2, $(nframes "$T/va180") frames (expected $CLEAR_FRAMES)"
  fi
}

# GStreamer's leaks tracer over the VAMemory and the read-back pipelines: every GstBuffer,
# pool, allocator, display and context must be released by the end (gst_deinit)
check_leaks() {
  local c=$1 name tail rc
  for name in va sys; do
    tail=$VA_TAIL; [ $name = sys ] && tail=$SYS_TAIL
    rc=0
    GST_TRACERS=leaks GST_DEBUG='GST_TRACER:7' GST_DEBUG_FILE=$T/leaks-$name.log \
      run "$T/leaks-$name" vaapi "$tail" || rc=$?
    [ $rc -eq 0 ] || { show "$T/leaks-$name"; fail "$c leaks tracer ($name): exit $rc"; continue; }
    grep -q 'new format string: object-alive' "$T/leaks-$name.log" ||
      fail "$c leaks tracer ($name) did not run"
    if grep -q 'object-alive, type-name=(string)[A-Za-z]' "$T/leaks-$name.log"; then
      fail "$c leaks tracer ($name): alive at exit: $(grep -o 'object-alive, type-name=(string)[A-Za-z]*' "$T/leaks-$name.log" | sed 's/.*(string)//' | sort | uniq -c | tr '\n' ' ')"
    fi
  done
  ok "$c: no GStreamer object alive at exit (leaks tracer, VAMemory and read-back)"
}

case $CASE in
h264 | hevc)
  check_codec "$CASE"
  check_leaks "$CASE"
  ;;
valgrind)
  command -v valgrind >/dev/null || { echo "SKIP: valgrind not installed"; exit 77; }
  HERE=$(cd "$(dirname "$0")" && pwd)
  DEC=secdech264dec
  make_clear h264
  pack cbcs 16
  VG=(valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite
      --show-leak-kinds=definite --num-callers=30 --suppressions="$HERE/valgrind.supp")
  for name in va sys deny; do
    tail=$VA_TAIL want=0 extra=(--va)
    [ $name = sys ] && tail=$SYS_TAIL extra=(--sysmem)
    [ $name = deny ] && tail=$SYS_TAIL want=2 extra=(--deny-surface-read)
    rc=0
    "${VG[@]}" "$GST_FRAMEMD5" --timeout 240 "${extra[@]}" \
      "filesrc location=$T/enc.mp4 ! qtdemux ! secdecrypt backend=vaapi keys=$KID:$KEY ! $DEC ! $tail" \
      >"$T/vg-$name" 2>"$T/vg-$name.err" || rc=$?
    if [ $rc -eq $want ]; then
      ok "memcheck $name: no memory error or definite leak (exit $rc, $(nframes "$T/vg-$name") frames)"
    else
      fail "memcheck $name: exit $rc (want $want)"; grep -v '^[0-9]' "$T/vg-$name.err" | head -n 60 >&2
    fi
  done
  [ "$(nframes "$T/vg-va")" -eq "$CLEAR_FRAMES" ] || fail "memcheck: $(nframes "$T/vg-va") VAMemory frames"
  ;;
*) die "unknown case" ;;
esac
[ "$FAILS" -eq 0 ] || { echo "$FAILS check(s) failed" >&2; exit 1; }
echo "all checks passed"
