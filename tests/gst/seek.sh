#!/bin/bash
# seek.sh - the seek matrix: every frame after a flush seek equals the clear decode at its PTS,
# and the whole stream from the target on arrives, nothing dropped. Backward (into fragments
# qtdemux already pushed: re-sent without GstProtectionMeta) and forward (into fragments not
# parsed yet); FLUSH|KEY_UNIT and FLUSH|ACCURATE; pull mode (filesrc) and push mode (a queue
# in front of qtdemux); secdec-pack cenc/cbcs and Shaka Packager cbcs with Widevine+PlayReady
# pssh. qtdemux 1.22 refuses seeks in fragmented MP4 in push mode, clear files too: there the
# same seek on a clear fragmented copy is the control, and the encrypted file must behave the
# same (refused, the whole stream, every frame right).
# SPDX-License-Identifier: LGPL-2.1-or-later
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/../lib/shaka.sh"
install_license "$KID:$KEY"

ffmpeg -nostdin -v error -y -f lavfi -i testsrc2=size=320x240:rate=30 -t 4 -c:v libx264 -g 15 \
  -bf 2 -pix_fmt yuv420p "$WORK/clear.mp4"
framemd5 "$WORK/ref.txt" "filesrc location=$WORK/clear.mp4 ! qtdemux ! avdec_h264 ! appsink name=sink" \
  || { fail "reference decode"; finish; }
"$SECDEC_PACK" -i "$WORK/clear.mp4" -o "$WORK/pack-cenc.mp4" --scheme cenc --kid $KID --key $KEY --fragment-duration 1
"$SECDEC_PACK" -i "$WORK/clear.mp4" -o "$WORK/pack-cbcs.mp4" --scheme cbcs --kid $KID --key $KEY --fragment-duration 1
ffmpeg -nostdin -v error -y -i "$WORK/clear.mp4" -c copy \
  -movflags frag_keyframe+empty_moov+default_base_moof "$WORK/clear-frag.mp4"
shaka_packager
shaka_ondemand "$WORK/clear.mp4" "$WORK/shaka-cbcs.mp4" cbcs

# seek NAME after-frames target-s flags
for file in pack-cenc pack-cbcs shaka-cbcs; do
  for mode in pull push; do
    src="filesrc location=$WORK/$file.mp4"; [ $mode = push ] && src="$src ! queue"
    for s in "back 90 0.5" "back 100 2.2" "forward 10 3.0" "forward 20 1.6"; do
      set -- $s
      for flags in key-unit accurate; do
        fl=(); [ $flags = accurate ] && fl=(--seek-accurate)
        name="$file $mode: after $2 frames seek $1 to $3 s ($flags)"
        refused=0
        if [ $mode = push ]; then
          framemd5 "$WORK/ctl.txt" --seek-after $2 --seek-to $3 "${fl[@]}" \
            "filesrc location=$WORK/clear-frag.mp4 ! queue ! qtdemux ! avdec_h264 ! appsink name=sink" || true
          grep -q "seek failed" "$WORK/ctl.txt.err" && refused=1
        fi
        if framemd5 "$WORK/out.txt" --seek-after $2 --seek-to $3 "${fl[@]}" \
            "$src ! qtdemux ! secdecrypt ! secdech264dec ! appsink name=sink"; then
          read -r bad missing < <(check_seek "$WORK/ref.txt" "$WORK/out.txt" $3)
          dropped=$(sed -n 's/^dropped //p' "$WORK/out.txt")
          n=$(frames "$WORK/out.txt" | wc -l)
          if [ $refused = 1 ]; then
            if grep -q "seek failed" "$WORK/out.txt.err" && [ "$bad" -eq 0 ] && [ "$n" -eq 120 ] && [ "${dropped:-0}" -eq 0 ]; then
              pass "$name: refused like the clear fragmented control (qtdemux push mode); $n frames identical"
            else fail "$name: the clear control refused the seek; here: $n frames, $bad differ, ${dropped:-?} dropped, $(head -c 100 "$WORK/out.txt.err")"; fi
          elif [ "$bad" -eq 0 ] && [ "$missing" -eq 0 ] && [ "${dropped:-0}" -eq 0 ]; then
            pass "$name: $n frames, each identical to the clear decode at its PTS"
          else fail "$name: $bad frames differ, $missing missing after the seek, ${dropped:-?} dropped"; fi
        else fail "$name: $(head -c 300 "$WORK/out.txt.err")"; fi
      done
    done
  done
done
finish
