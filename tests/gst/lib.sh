# shellcheck shell=bash disable=SC2034
# lib.sh - shared helpers for the GStreamer plugin tests (sourced).
# SPDX-License-Identifier: LGPL-2.1-or-later
set -euo pipefail
: "${GST_FRAMEMD5:?}" "${SECDEC_PACK:?}" "${SECDEC_LICENSE:?}" "${SECDEC_INFO:?}"
. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
make_tmpdir gst-test
WORK=$T
# a private device identity and license store; no user registry/home is touched
export SECDEC_HOME="$WORK/home"
export HOME="$WORK/nohome"
unset XDG_DATA_HOME
# counted checks: fail goes on, finish reports (replaces common.sh's fail)
. "$(dirname "${BASH_SOURCE[0]}")/../lib/checks.sh"
need() { command -v "$1" >/dev/null || { echo "SKIP: $1 not installed"; exit 77; }; }
need ffmpeg
# (only our own binaries load the plugin: gst-launch-1.0/gst-inspect-1.0 cannot load an
# ASan-built plugin, so the sanitizer build runs these scripts too)

# make_clip CODEC OUT: a 2 s 320x240 clip, keyframe every 15 frames, with B-frames.
make_clip() {
  local codec=$1 out=$2
  if [ "$codec" = h264 ]; then
    ffmpeg -nostdin -v error -y -f lavfi -i testsrc2=size=320x240:rate=30 -t 2 \
      -c:v libx264 -g 15 -bf 2 -pix_fmt yuv420p "$out"
  else
    ffmpeg -nostdin -v error -y -f lavfi -i testsrc2=size=320x240:rate=30 -t 2 \
      -c:v libx265 -x265-params log-level=error:keyint=15:min-keyint=15:scenecut=0:open-gop=0:bframes=2 \
      -pix_fmt yuv420p -tag:v hvc1 "$out"
  fi
}

# framemd5 OUT [gst-framemd5 args...]: runs gst-framemd5, frame lines to OUT (+ OUT.err);
# returns its exit status.
framemd5() {
  local out=$1; shift
  local rc=0
  "$GST_FRAMEMD5" --timeout 60 "$@" > "$out" 2> "$out.err" || rc=$?
  return $rc
}

# frames FILE: just "index md5" of the frame lines
frames() { awk 'NF == 4 && $1 ~ /^[0-9]+$/ {print $1, $3}' "$1"; }

# check_seek REF OUT TARGET_S: prints "bad missing": frames of OUT differing from REF's frame
# at the same PTS (or at a PTS REF does not have),
# and REF frames at or after TARGET_S that did not arrive after OUT's "seek after" line.
# PTS count from each file's first frame (the clear file's edit list shifts its timeline,
# secdec-pack's fragmented output has none), in whole milliseconds (the two timelines round
# differently).
check_seek() {
  awk -v target="$3" '
    function frame() { return NF == 4 && $1 ~ /^[0-9]+$/ }
    function ms(p, base) { return int((p - base) / 1000000 + 0.5) }
    NR == FNR { if (frame()) { n++; rp[n] = $2; rh[n] = $3; if (n == 1 || $2 < rb) rb = $2 } next }
    /^seek after/ { after = 1; next }
    frame() { m++; op[m] = $2; oh[m] = $3; oa[m] = after; if (m == 1 || $2 < ob) ob = $2 }
    END {
      for (i = 1; i <= n; i++) ref[ms(rp[i], rb)] = rh[i]
      for (i = 1; i <= m; i++) { t = ms(op[i], ob); if (ref[t] != oh[i]) bad++; if (oa[i]) got[t] = 1 }
      for (i = 1; i <= n; i++) { t = ms(rp[i], rb); if (t >= target * 1000 - 1 && !(t in got)) missing++ }
      print bad + 0, missing + 0
    }' "$1" "$2"
}

# same_frames REF OUT NAME: frame lists identical and non-empty
same_frames() {
  local n
  n=$(frames "$1" | wc -l)
  if [ "$n" -gt 0 ] && diff <(frames "$1") <(frames "$2") > "$WORK/diff.txt"; then
    return 0
  fi
  echo "--- $3: reference $n frames, got $(frames "$2" | wc -l); first differences:" >&2
  head -5 "$WORK/diff.txt" >&2 || true
  cat "$2.err" >&2 || true
  return 1
}

