# shellcheck shell=bash
# vaapi-env.sh - the environment and content of the tests that decode on the VA test driver
# (tests/vadriver, no GPU): tests/ffmpeg/ffmpeg-vaapi.sh and tests/gst/vaapi.sh. Sourced after
# common.sh and make_tmpdir; needs LIBVA_DRIVERS_PATH and SECDEC_VA_TEST_DRIVER (meson sets both
# with SECDEC_BACKEND_PATH).
# SPDX-License-Identifier: LGPL-2.1-or-later
: "${SECDEC_VA_TEST_DRIVER:?}" "${LIBVA_DRIVERS_PATH:?}"
# A private device home and TEE state; the driver logs each slice it decrypts to drv.log; no
# fault knob from the caller.
export SECDEC_HOME=$T/home SECDEC_TEST_TEE_DIR=$T/tee
export SECDEC_TEST_DRV_LOG=$T/drv.log
unset SECDEC_TEST_DRV_FAIL SECDEC_TEST_DRV_LOSE_AFTER SECDEC_TEST_DRV_NO_ENCRYPTION
command -v ffmpeg >/dev/null || { echo "SKIP: ffmpeg not installed"; exit 77; }

# make_clear_slices CODEC: $T/clear-CODEC.mp4 (2 s 320x240, 2 slices per picture), its framemd5
# $T/clear-CODEC.md5 and its Annex B stream $T/clear-CODEC.annexb.
make_clear_slices() {
  local c=$1
  if [ "$c" = h264 ]; then
    sysff -f lavfi -i testsrc2=size=320x240:rate=30 -t 2 -c:v libx264 -g 30 -bf 2 \
      -x264-params slices=2 -pix_fmt yuv420p "$T/clear-h264.mp4"
  else
    sysff -f lavfi -i testsrc2=size=320x240:rate=30 -t 2 -c:v libx265 \
      -x265-params log-level=error:keyint=30:slices=2 -tag:v hvc1 -pix_fmt yuv420p "$T/clear-hevc.mp4"
  fi
  sysff -i "$T/clear-$c.mp4" -f framemd5 "$T/clear-$c.md5"
  sysff -i "$T/clear-$c.mp4" -c copy -bsf:v ${c}_mp4toannexb -f $c "$T/clear-$c.annexb"
}
