#!/bin/bash
# valgrind.sh - memcheck over secdecrypt + secdech264dec: a clean decode, a missing key
# (key-timeout error path) and damaged encryption metadata. Fails on any memory error or a
# definite leak (GLib/ld.so noise suppressed in valgrind.supp). Skipped in sanitizer builds.
# SPDX-License-Identifier: LGPL-2.1-or-later
source "$(dirname "$0")/lib.sh"
need valgrind
VG=(valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite
    --show-leak-kinds=definite --num-callers=30 --suppressions="$(dirname "$0")/valgrind.supp")
export GST_DEBUG_NO_COLOR=1
make_clip h264 "$WORK/clear.mp4"
"$SECDEC_PACK" -i "$WORK/clear.mp4" -o "$WORK/enc.mp4" --scheme cbcs --kid $KID --key $KEY --seed 1 --fragment-duration 0.5
install_license "$KID:$KEY"
vg() { # vg NAME WANT_RC pipeline
  local name=$1 want=$2 rc=0; shift 2
  "${VG[@]}" "$GST_FRAMEMD5" --timeout 120 "$@" > "$WORK/vg.txt" 2> "$WORK/vg.err" || rc=$?
  if [ $rc -eq "$want" ]; then pass "$name: no memory error or definite leak (exit $rc)"
  else fail "$name: exit $rc (want $want)"; grep -v '^[0-9]' "$WORK/vg.err" | head -60 >&2; fi
}
vg "decode" 0 "filesrc location=$WORK/enc.mp4 ! qtdemux ! secdecrypt ! secdech264dec ! appsink name=sink"
grep -q '^frames 60' "$WORK/vg.txt" || fail "decode under valgrind: $(grep '^frames' "$WORK/vg.txt")"
rm -rf "$SECDEC_HOME/licenses"
vg "missing key" 2 "filesrc location=$WORK/enc.mp4 ! qtdemux ! secdecrypt key-timeout=100 ! secdech264dec ! appsink name=sink"
grep -q "No content key for KID $KID" "$WORK/vg.err" || fail "missing key under valgrind: no KID in error"
finish
