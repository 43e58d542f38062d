#!/usr/bin/env bash
# secdec-pack output in every scheme, IV size and codec, with clear lead: libsecdec's
# decryption of every sample (read by FFmpeg's demuxer as AV_PKT_DATA_ENCRYPTION_INFO) equals
# the clear sample.
set -euo pipefail
VERIFY=$1
export SECDEC_PACK=$2
. "$(dirname "$0")/../pack/lib.sh"
export SECDEC_HOME="$WORK/home"
for codec in h264 h265; do
  make_clip $codec "$WORK/clear-$codec.mp4"
  for variant in "cenc 8" "cenc 16" "cens 8" "cens 16" "cbc1 8" "cbc1 16" "cbcs 16" "cbcs const" \
                 "cenc 8 lead" "cbcs const lead"; do
    set -- $variant
    args=(--scheme "$1" --kid $KID --key $KEY --seed 7)
    if [ "$2" = const ]; then args+=(--constant-iv 000102030405060708090a0b0c0d0e0f)
    else args+=(--iv-size "$2"); fi
    min=60
    if [ "${3:-}" = lead ]; then args+=(--clear-lead 0.5); min=30; fi
    out="$WORK/$codec-${variant// /-}.mp4"
    "$SECDEC_PACK" "${args[@]}" -i "$WORK/clear-$codec.mp4" -o "$out" 2>/dev/null
    if "$VERIFY" --key $KID:$KEY --min-encrypted $min "$out" "$WORK/clear-$codec.mp4" >"$WORK/v.out" 2>&1
    then pass "$codec $variant: $(cat "$WORK/v.out")"
    else fail "$codec $variant: $(cat "$WORK/v.out")"; fi
  done
done
finish
