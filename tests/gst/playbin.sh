#!/bin/bash
# playbin.sh - playbin and playbin3 play secdec-pack content with the license in the store and
# no options at all, with and without pssh, H.264 and HEVC; frames bit-identical to avdec.
# Then content nobody on the team made: Shaka Packager (npm shaka-packager) cenc and cbcs with
# Widevine + PlayReady pssh only (no common or secdec pssh), 3 fragments, through the manual
# pipeline, playbin and playbin3.
# SPDX-License-Identifier: LGPL-2.1-or-later
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/../lib/shaka.sh"
install_license "$KID:$KEY"

# both_playbins NAME FILE: playbin and playbin3 play FILE with no options, frames as ref.txt
both_playbins() {
  local pb
  for pb in playbin playbin3; do
    if framemd5 "$WORK/out.txt" --$pb "file://$2" && same_frames "$WORK/ref.txt" "$WORK/out.txt" "$pb $1"; then
      pass "$pb $1: $(frames "$WORK/out.txt" | wc -l) frames identical ($(grep '^decrypted' "$WORK/out.txt"))"
    else fail "$pb $1: $(cat "$WORK/out.txt.err")"; fi
  done
}
for codec in h264 hevc; do
  if [ $codec = h264 ]; then REF=avdec_h264; else REF=avdec_h265; fi
  make_clip $codec "$WORK/clear.mp4"
  framemd5 "$WORK/ref.txt" "filesrc location=$WORK/clear.mp4 ! qtdemux ! $REF ! appsink name=sink caps=video/x-raw,format=I420" \
    || { fail "$codec reference"; continue; }
  for pssh in both none; do
    scheme=cenc; [ $pssh = none ] && [ $codec = hevc ] && scheme=cbcs
    "$SECDEC_PACK" -i "$WORK/clear.mp4" -o "$WORK/enc.mp4" --scheme $scheme --pssh $pssh --kid $KID --key $KEY --seed 1
    both_playbins "$codec $scheme pssh=$pssh" "$WORK/enc.mp4"
  done
done

shaka_packager
ffmpeg -nostdin -v error -y -f lavfi -i testsrc2=size=320x240:rate=30 -t 6 -c:v libx264 -g 30 \
  -bf 2 -pix_fmt yuv420p "$WORK/shaka-clear.mp4"
framemd5 "$WORK/ref.txt" "filesrc location=$WORK/shaka-clear.mp4 ! qtdemux ! avdec_h264 ! appsink name=sink caps=video/x-raw,format=I420" \
  || fail "Shaka reference"
for scheme in cenc cbcs; do
  shaka_ondemand "$WORK/shaka-clear.mp4" "$WORK/shaka-$scheme.mp4" $scheme
  name="Shaka $scheme (Widevine+PlayReady pssh), qtdemux ! secdecrypt ! secdech264dec"
  if framemd5 "$WORK/out.txt" "filesrc location=$WORK/shaka-$scheme.mp4 ! qtdemux ! secdecrypt ! secdech264dec ! appsink name=sink" \
      && same_frames "$WORK/ref.txt" "$WORK/out.txt" "$name"; then
    pass "$name: $(frames "$WORK/out.txt" | wc -l) frames identical"
  else fail "$name: $(cat "$WORK/out.txt.err")"; fi
  both_playbins "Shaka $scheme (Widevine+PlayReady pssh)" "$WORK/shaka-$scheme.mp4"
done
finish
