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

# wrong_at_pts REF OUT: how many frames of OUT differ from REF's frame at the same PTS (or
# have a PTS REF does not have). PTS count from each file's first frame: the clear file's edit
# list shifts its timeline, secdec-pack's fragmented output has none.
# (compared in whole milliseconds: the two timelines round differently)
wrong_at_pts() {
  awk 'function frame() { return NF == 4 && $1 ~ /^[0-9]+$/ }
       NR == FNR { if (frame()) { if (!("r" in m) || $2 < m["r"]) m["r"] = $2; rp[++nr] = $2; rh[nr] = $3 } next }
       frame() { if (!("o" in m) || $2 < m["o"]) m["o"] = $2; op[++no] = $2; oh[no] = $3 }
       END { for (i = 1; i <= nr; i++) ref[int((rp[i] - m["r"]) / 1000000 + 0.5)] = rh[i]
             for (i = 1; i <= no; i++) if (ref[int((op[i] - m["o"]) / 1000000 + 0.5)] != oh[i]) bad++
             print bad + 0 }' "$1" "$2"
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

