#!/bin/bash
# Clear lead and key rotation ('seig' sample groups), checked with FFmpeg 5.1 and
# qtdemux. FFmpeg's -decryption_key takes one key, so for rotation each key is
# checked only on the frames it covers (by presentation index).
source "$(dirname "$0")/lib.sh"
QT=${QTDEMUX_META_CHECK:-}
for codec in h264 hevc; do
  make_clip $codec "$WORK/clear.mp4"
  framemd5 "$WORK/clear.mp4" -fflags +genpts > "$WORK/clear.md5"
  for scheme in cenc cbcs; do
    # --- clear lead: 0.5 s -> fragments before the keyframe at 0.5 s are clear
    name="$codec $scheme clear-lead"
    "$SECDEC_PACK" -v -i "$WORK/clear.mp4" -o "$WORK/lead.mp4" --scheme $scheme --kid $KID --key $KEY \
      --clear-lead 0.5 --fragment-duration 0.5 --seed 5 2> "$WORK/plan.txt" || { fail "$name: packaging"; continue; }
    nclear=$(awk '/\(clear\)/ {split($4, r, "\\.\\."); n = r[2] + 1} END {print n + 0}' "$WORK/plan.txt")
    [ "$nclear" -eq 15 ] || fail "$name: expected 15 clear samples, plan says $nclear"
    if framemd5 "$WORK/lead.mp4" -decryption_key $KEY -fflags +genpts > "$WORK/dec.md5" && cmp -s "$WORK/clear.md5" "$WORK/dec.md5"; then
      pass "$name: FFmpeg framemd5 identical"
    else fail "$name: FFmpeg framemd5 differs"; fi
    # without the key the clear-lead frames (and only those) decode correctly
    framemd5 "$WORK/lead.mp4" -fflags +genpts > "$WORK/nokey.md5" || true
    good=$(paste -d' ' <(grep -v '^#' "$WORK/clear.md5" | awk -F, '{print $3, $6}') \
                      <(grep -v '^#' "$WORK/nokey.md5" | awk -F, '{print $3, $6}') | awk '$2 == $4' | wc -l)
    if [ "$good" -eq "$nclear" ]; then pass "$name: exactly the $nclear clear-lead frames decode without key"
    else fail "$name: $good frames decode without key, expected $nclear"; fi
    if [ -n "$QT" ]; then
      if "$QT" --enc "$WORK/lead.mp4" --clear "$WORK/clear.mp4" --key $KEY --clear-samples "$nclear" > "$WORK/qt.log" 2>&1; then
        pass "$name: qtdemux $(grep -E '^(buffers|decrypted|clear lead)' "$WORK/qt.log" | tr '\n' ' ')"
      else fail "$name: qtdemux"; cat "$WORK/qt.log" >&2; fi
    fi

    # --- key rotation at 1.0 s
    name="$codec $scheme rotation"
    "$SECDEC_PACK" -v -i "$WORK/clear.mp4" -o "$WORK/rot.mp4" --scheme $scheme --kid $KID --key $KEY \
      --kid2 $KID2 --key2 $KEY2 --rotate-at 1.0 --fragment-duration 0.5 --seed 9 2> "$WORK/plan.txt" \
      || { fail "$name: packaging"; continue; }
    first2=$(awk '/\(kid2\)/ {split($4, r, "\\.\\."); print r[1]; exit}' "$WORK/plan.txt")
    [ "$first2" = 30 ] || fail "$name: expected rotation at sample 30, plan says '$first2'"
    # frames are numbered by presentation index in framemd5 (pts column)
    cmp_part() { # KEY WHICH(lt|ge)
      framemd5 "$WORK/rot.mp4" -decryption_key "$1" -fflags +genpts > "$WORK/part.md5" || true
      local sel="\$3 < $first2"; [ "$2" = ge ] && sel="\$3 >= $first2"
      diff <(grep -v '^#' "$WORK/clear.md5" | awk -F', *' "$sel {print \$3, \$6}") \
           <(grep -v '^#' "$WORK/part.md5" | awk -F', *' "$sel {print \$3, \$6}") > /dev/null
    }
    if cmp_part $KEY lt; then pass "$name: FFmpeg with key 1: frames before the rotation identical"
    else fail "$name: FFmpeg with key 1 differs before the rotation"; fi
    if cmp_part $KEY2 ge; then pass "$name: FFmpeg with key 2: frames from the rotation on identical"
    else fail "$name: FFmpeg with key 2 differs after the rotation"; fi
    if cmp_part $KEY ge; then fail "$name: key 1 decrypts frames after the rotation (no rotation?)"
    else pass "$name: key 1 does not decrypt the rotated part"; fi
    if [ -n "$QT" ]; then
      if "$QT" --enc "$WORK/rot.mp4" --clear "$WORK/clear.mp4" --key $KEY --key2 $KEY2 --key2-from "$first2" > "$WORK/qt.log" 2>&1; then
        pass "$name: qtdemux $(grep -E '^(buffers|decrypted)' "$WORK/qt.log" | tr '\n' ' ')"
      else fail "$name: qtdemux"; cat "$WORK/qt.log" >&2; fi
    fi
    # the seig groups are present in every traf
    n_sgpd=$(grep -c -a -o sgpd "$WORK/rot.mp4" || true)
    n_moof=$(grep -c -a -o moof "$WORK/rot.mp4" || true)
    [ "$n_sgpd" -eq "$n_moof" ] && [ "$n_moof" -gt 1 ] || fail "$name: $n_sgpd sgpd boxes for $n_moof moof boxes"
  done
done
finish
