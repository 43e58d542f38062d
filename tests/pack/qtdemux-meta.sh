#!/bin/bash
# GStreamer 1.22 qtdemux: every sample of cenc / cbcs output (the schemes qtdemux
# accepts) carries a GstProtectionMeta, one protection event arrives per pssh
# box, and decrypting every sample from its meta gives the clear sample.
source "$(dirname "$0")/lib.sh"
codec=$1
[ -n "${QTDEMUX_META_CHECK:-}" ] || { echo "SKIP: qtdemux-meta-check not built"; exit 77; }
make_clip "$codec" "$WORK/clear.mp4"

variants=("cenc --iv-size 8" "cenc --iv-size 16" "cbcs" "cbcs --constant-iv 000102030405060708090a0b0c0d0e0f")
for v in "${variants[@]}"; do
  for pssh in none secdec common both; do
    case $pssh in none) events=0 ;; both) events=2 ;; *) events=1 ;; esac
    name="$codec ${v// /_} pssh=$pssh"
    # shellcheck disable=SC2086
    if ! "$SECDEC_PACK" -i "$WORK/clear.mp4" -o "$WORK/enc.mp4" --scheme $v --kid $KID --key $KEY \
        --pssh $pssh --fragment-duration 0.5 --seed 3; then
      fail "$name: packaging failed"; continue
    fi
    if "$QTDEMUX_META_CHECK" --enc "$WORK/enc.mp4" --clear "$WORK/clear.mp4" --key $KEY \
        --expect-events $events --expect-mode "${v%% *}" > "$WORK/check.log" 2>&1; then
      pass "$name: $(grep -E '^(buffers|decrypted)' "$WORK/check.log" | tr '\n' ' ')"
    else
      fail "$name:"; cat "$WORK/check.log" >&2
    fi
  done
done
finish
