#!/bin/bash
# playbin.sh - playbin and playbin3 play secdec-pack content with the license in the store and
# no options at all, with and without pssh, H.264 and HEVC; frames bit-identical to avdec.
# SPDX-License-Identifier: LGPL-2.1-or-later
source "$(dirname "$0")/lib.sh"
install_license "$KID:$KEY"
for codec in h264 hevc; do
  if [ $codec = h264 ]; then REF=avdec_h264; else REF=avdec_h265; fi
  make_clip $codec "$WORK/clear.mp4"
  framemd5 "$WORK/ref.txt" "filesrc location=$WORK/clear.mp4 ! qtdemux ! $REF ! appsink name=sink caps=video/x-raw,format=I420" \
    || { fail "$codec reference"; continue; }
  for pssh in both none; do
    scheme=cenc; [ $pssh = none ] && [ $codec = hevc ] && scheme=cbcs
    "$SECDEC_PACK" -i "$WORK/clear.mp4" -o "$WORK/enc.mp4" --scheme $scheme --pssh $pssh --kid $KID --key $KEY --seed 1
    for pb in playbin playbin3; do
      name="$pb $codec $scheme pssh=$pssh"
      if framemd5 "$WORK/out.txt" --$pb "file://$WORK/enc.mp4" && same_frames "$WORK/ref.txt" "$WORK/out.txt" "$name"; then
        pass "$name: $(frames "$WORK/out.txt" | wc -l) frames identical ($(grep '^decrypted' "$WORK/out.txt"))"
      else fail "$name: $(cat "$WORK/out.txt.err")"; fi
    done
  done
done
finish
