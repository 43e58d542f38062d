#!/usr/bin/env bash
# Installs what secdec needs to build and test, from Debian 12 (bookworm) packages only.
# Idempotent: does nothing when everything is present. Needs root (or sudo) to install.
set -euo pipefail

PACKAGES=(
  # build
  build-essential meson ninja-build pkg-config clang libclang-rt-14-dev
  # core
  libssl-dev openssl
  # tests
  check valgrind xxd python3-cryptography
  # tools
  libglib2.0-dev libjson-glib-dev
  # content (packager, reference decoders)
  ffmpeg libavformat-dev libavcodec-dev libavutil-dev
  # hw/ (VA-API backend module and its test driver)
  libva-dev libdrm-dev
  # ffmpeg-hwaccel (patched FFmpeg build: apt-get source + dpkg-source, nasm, libx264)
  nasm libx264-dev dpkg-dev xz-utils
  # GStreamer (libgstreamer-plugins-bad1.0-dev also brings gstreamer-va-1.0, which the
  # decoders' memory:VAMemory output uses)
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev libgstreamer-plugins-bad1.0-dev
  gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good
  gstreamer1.0-plugins-bad gstreamer1.0-libav
  # samples/ (player, license server) and their tests: libsoup 3, X11 sink, Xvfb, screenshots
  libsoup-3.0-dev gstreamer1.0-x xvfb x11-apps xauth curl
)

# npm installs Shaka Packager (npm package shaka-packager) for the tests' independent content;
# the machine's own Node.js/npm is used when there is one, else Debian's.
command -v npm >/dev/null || PACKAGES+=(npm)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
SUDO=
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
