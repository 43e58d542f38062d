#!/usr/bin/env bash
# Builds the patched FFmpeg (Debian bookworm's 5.1.9 plus patches/series) with the secdec
# hardware device and the h264_secdec / hevc_secdec decoders, linked against the libsecdec of a
# meson build tree. The result is OUT_DIR/ffmpeg.
#
# Usage: build.sh OUT_DIR SECDEC_BUILD_DIR [SECDEC_SOURCE_DIR] [-- EXTRA_LDFLAGS...]
#
#   OUT_DIR            where everything goes: dl/ (the Debian source package), src/ (patched
#                      tree), obj/ (FFmpeg's build), pkgconfig/secdec.pc, build.log, stamp
#   SECDEC_BUILD_DIR   the meson build directory holding core/libsecdec.so
#   SECDEC_SOURCE_DIR  the secdec checkout (default: this script's parent directory)
#   EXTRA_LDFLAGS      e.g. -fsanitize=address,undefined when libsecdec is a sanitizer build
#
# Cached: nothing is rebuilt when OUT_DIR/stamp holds the hash of this script, the patches, the
# libsecdec headers and the extra flags. The source is fetched with `apt-get source` through a
# private sources list (deb-src bookworm main), so the machine needs no deb-src lines; set
# FFMPEG_DEB_SOURCE_DIR to a directory holding ffmpeg_*.dsc and its files to skip the download.
# Needs: gcc make nasm pkg-config dpkg-dev xz-utils libx264-dev (scripts/install-deps.sh).
set -euo pipefail

usage() { echo "usage: $0 OUT_DIR SECDEC_BUILD_DIR [SECDEC_SOURCE_DIR] [-- LDFLAGS...]" >&2; exit 2; }
[ $# -ge 2 ] || usage
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=$1; SECDEC_BUILD=$(cd "$2" && pwd); shift 2
SECDEC_SRC=$(cd "$HERE/.." && pwd)
if [ $# -gt 0 ] && [ "$1" != "--" ]; then SECDEC_SRC=$(cd "$1" && pwd); shift; fi
[ $# -gt 0 ] && [ "$1" = "--" ] && shift
EXTRA_LDFLAGS="$*"
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

DEB_VERSION=7:5.1.9-0+deb12u1     # the version the patches were written against
PATCHES=$HERE/patches
JOBS=$(nproc 2>/dev/null || echo 2)

# ---- cache key ---------------------------------------------------------------------------
hash=$( {
  cat "$0" "$PATCHES/series"
  while read -r p; do [ -n "$p" ] && [ "${p#\#}" = "$p" ] && cat "$PATCHES/$p"; done <"$PATCHES/series"
  cat "$SECDEC_SRC"/core/include/secdec/*.h "$SECDEC_SRC"/hw/include/secdec/*.h
  if [ -e "$SECDEC_BUILD/hw/libsecdec-vaapi.so" ]; then echo vaapi; fi
  echo "$EXTRA_LDFLAGS $SECDEC_BUILD $SECDEC_SRC"
} | sha256sum | cut -d' ' -f1)
if [ -x "$OUT/ffmpeg" ] && [ "$(cat "$OUT/stamp" 2>/dev/null)" = "$hash" ]; then
  touch "$OUT/ffmpeg"
  echo "ffmpeg-hwaccel: up to date ($OUT/ffmpeg)"
  exit 0
fi
rm -f "$OUT/stamp"
LOG=$OUT/build.log
: >"$LOG"
fail() { echo "ffmpeg-hwaccel: $*" >&2; echo "--- last lines of $LOG:" >&2; tail -n 40 "$LOG" >&2; exit 1; }
start=$(date +%s)

for tool in gcc make nasm pkg-config dpkg-source xz; do
  command -v "$tool" >/dev/null || fail "missing '$tool' (run scripts/install-deps.sh)"
done

# ---- 1. the Debian source package ------------------------------------------------------------
DL=${FFMPEG_DEB_SOURCE_DIR:-$OUT/dl}
mkdir -p "$DL"
if ! ls "$DL"/ffmpeg_*.dsc >/dev/null 2>&1; then
  echo "ffmpeg-hwaccel: fetching the ffmpeg source package (apt-get source, bookworm)"
  mkdir -p "$OUT/apt/lists/partial"
  echo "deb-src http://deb.debian.org/debian bookworm main" >"$OUT/apt/sources.list"
  APT=(-o "Dir::Etc::SourceList=$OUT/apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
       -o "Dir::State::Lists=$OUT/apt/lists" -o "Dir::Cache=$OUT/apt/cache"
       -o APT::Sandbox::User=root -o Debug::NoLocking=1)
  apt-get "${APT[@]}" -qq update >>"$LOG" 2>&1 || fail "apt-get update (deb-src bookworm) failed"
  # The pinned version first; bookworm may have moved on, then the patches must still apply.
  (cd "$DL" && { apt-get "${APT[@]}" -qq --download-only source "ffmpeg=$DEB_VERSION" ||
                 apt-get "${APT[@]}" -qq --download-only source ffmpeg; } >>"$LOG" 2>&1) ||
    fail "apt-get source ffmpeg failed"
fi
DSC=$(ls "$DL"/ffmpeg_*.dsc | sort -V | tail -n 1)

rm -rf "$OUT/src" "$OUT/obj"
echo "ffmpeg-hwaccel: unpacking $(basename "$DSC")"
dpkg-source --no-copy -x "$DSC" "$OUT/src" >>"$LOG" 2>&1 || fail "dpkg-source -x failed"

# ---- 2. the patch series -------------------------------------------------------------------
while read -r p; do
  [ -z "$p" ] || [ "${p#\#}" != "$p" ] && continue
  echo "ffmpeg-hwaccel: applying $p" >>"$LOG"
  patch -d "$OUT/src" -p1 --forward --batch <"$PATCHES/$p" >>"$LOG" 2>&1 || fail "patch $p does not apply"
done <"$PATCHES/series"

# ---- 3. secdec.pc for the uninstalled libsecdec --------------------------------------------
[ -e "$SECDEC_BUILD/core/libsecdec.so" ] || fail "$SECDEC_BUILD/core/libsecdec.so not built"
ver=$(sed -n 's/^#define SECDEC_VERSION_\(MAJOR\|MINOR\|PATCH\) \([0-9]*\)/\2/p' \
      "$SECDEC_SRC/core/include/secdec/secdec.h" | paste -sd.)
mkdir -p "$OUT/pkgconfig"
cat >"$OUT/pkgconfig/secdec.pc" <<EOF
Name: secdec
Description: libsecdec from the build tree $SECDEC_BUILD
Version: $ver
Libs: -L$SECDEC_BUILD/core -Wl,-rpath,$SECDEC_BUILD/core -lsecdec
Cflags: -I$SECDEC_SRC/core/include
EOF

# secdec-vaapi.pc when the VA-API backend module was built (meson -Dvaapi): h264_secdec /
# hevc_secdec then also decode through libavcodec's VA-API hwaccel (backend=vaapi). The
# binary links the module from the build tree; libsecdec's dlopen() of the same file
# ($SECDEC_BACKEND_PATH=<build>/hw) then finds it already loaded.
vaapi=()
if [ -e "$SECDEC_BUILD/hw/libsecdec-vaapi.so" ] && pkg-config --exists libva; then
  cat >"$OUT/pkgconfig/secdec-vaapi.pc" <<EOF
Name: secdec-vaapi
Description: libsecdec's VA-API backend from the build tree $SECDEC_BUILD
Version: $ver
Requires: libva
Libs: -L$SECDEC_BUILD/hw -Wl,-rpath,$SECDEC_BUILD/hw -lsecdec-vaapi
Cflags: -I$SECDEC_SRC/hw/include
EOF
  vaapi=(--enable-vaapi --enable-hwaccel=h264_vaapi,hevc_vaapi)
else
  rm -f "$OUT/pkgconfig/secdec-vaapi.pc"
fi

# ---- 4. configure and build: static libav*, only what the tests and the benchmark use ------
mkdir -p "$OUT/obj"
cd "$OUT/obj"
x264=()
if pkg-config --exists x264; then x264=(--enable-gpl --enable-libx264 --enable-encoder=libx264); fi
echo "ffmpeg-hwaccel: configure" | tee -a "$LOG"
PKG_CONFIG_PATH="$OUT/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}" \
"$OUT/src/configure" \
  --disable-autodetect --disable-everything --disable-doc --disable-programs --enable-ffmpeg \
  --disable-shared --enable-static --disable-debug --enable-pthreads \
  --enable-libsecdec \
  --enable-protocol=file,pipe \
  --enable-demuxer=mov,rawvideo,yuv4mpegpipe \
  --enable-muxer=framemd5,md5,null,rawvideo,yuv4mpegpipe,mp4,mov \
  --enable-decoder=h264,hevc,h264_secdec,hevc_secdec,rawvideo,wrapped_avframe \
  --enable-parser=h264,hevc \
  --enable-bsf=null \
  --enable-encoder=rawvideo,wrapped_avframe \
  --enable-filter=buffer,buffersink,format,null,scale,hwdownload,setpts,trim \
  --enable-swscale \
  "${x264[@]}" "${vaapi[@]}" \
  --extra-ldflags="$EXTRA_LDFLAGS" >>"$LOG" 2>&1 || fail "configure failed"
grep -q '^CONFIG_H264_SECDEC_DECODER=yes' ffbuild/config.mak || fail "h264_secdec not enabled"
if [ ${#vaapi[@]} -gt 0 ]; then
  grep -q '^#define HAVE_LIBSECDEC_VAAPI 1' config.h || fail "libsecdec-vaapi not found by configure"
  grep -q '^CONFIG_H264_VAAPI_HWACCEL=yes' ffbuild/config.mak || fail "h264_vaapi not enabled"
fi
echo "ffmpeg-hwaccel: make -j$JOBS ffmpeg" | tee -a "$LOG"
make -j"$JOBS" ffmpeg >>"$LOG" 2>&1 || fail "make failed"
cp ffmpeg "$OUT/ffmpeg.tmp" && mv "$OUT/ffmpeg.tmp" "$OUT/ffmpeg"
echo "$hash" >"$OUT/stamp"
echo "ffmpeg-hwaccel: built $OUT/ffmpeg in $(( $(date +%s) - start )) s"
