#!/bin/bash
# decode.sh CODEC - qtdemux ! secdecrypt ! secdec{h264,h265}dec on every secdec-pack variant;
# every decoded frame must be bit-identical to avdec_{h264,h265} on the clear file.
# SPDX-License-Identifier: LGPL-2.1-or-later
source "$(dirname "$0")/lib.sh"
codec=${1:?codec}
if [ "$codec" = h264 ]; then DEC=secdech264dec; REF=avdec_h264; else DEC=secdech265dec; REF=avdec_h265; fi

make_clip $codec "$WORK/clear.mp4"
framemd5 "$WORK/ref.txt" "filesrc location=$WORK/clear.mp4 ! qtdemux ! $REF ! appsink name=sink" \
  || { cat "$WORK/ref.txt.err" >&2; fail "reference decode"; finish; }
nref=$(frames "$WORK/ref.txt" | wc -l)
[ "$nref" -eq 60 ] || fail "reference decoded $nref frames, expected 60"

# one license per KID in the store, so that the rotation to KID2 needs a second store lookup
install_license "$KID:$KEY"
install_license "$KID2:$KEY2"

PIPE="qtdemux ! secdecrypt ! $DEC ! appsink name=sink"
# variant NAME EXPECT_CLEAR [framemd5 options --] secdec-pack options...
variant() {
  local name="$codec $1" want_clear=$2; shift 2
  local fopts=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do fopts+=("$1"); shift; done
  [ $# -gt 0 ] && shift
  "$SECDEC_PACK" -v -i "$WORK/clear.mp4" -o "$WORK/enc.mp4" --kid $KID --key $KEY --seed 7 "$@" \
    2> "$WORK/plan.txt" || { fail "$name: secdec-pack $*"; return; }
  if ! framemd5 "$WORK/out.txt" "${fopts[@]}" "filesrc location=$WORK/enc.mp4 ! $PIPE"; then
    fail "$name: pipeline failed: $(cat "$WORK/out.txt.err")"; return
  fi
  if ! same_frames "$WORK/ref.txt" "$WORK/out.txt" "$name"; then fail "$name: frames differ"; return; fi
  local counters
  counters=$(grep '^decrypted' "$WORK/out.txt")
  if [ "$counters" != "decrypted $((60 - want_clear)) clear $want_clear" ]; then
    fail "$name: unexpected counters '$counters'"; return
  fi
  pass "$name: $nref frames bit-identical to $REF ($counters)"
}

variant "cenc iv8" 0 -- --scheme cenc --iv-size 8
variant "cenc iv16" 0 -- --scheme cenc --iv-size 16
variant "cbcs" 0 -- --scheme cbcs
variant "cbcs constant-iv" 0 -- --scheme cbcs --constant-iv 000102030405060708090a0b0c0d0e0f
variant "cenc no-pssh" 0 -- --scheme cenc --pssh none
variant "cbcs pssh-common" 0 -- --scheme cbcs --pssh common
variant "cenc clear-lead" 15 -- --scheme cenc --clear-lead 0.5 --fragment-duration 0.5
variant "cbcs clear-lead" 15 -- --scheme cbcs --clear-lead 0.5 --fragment-duration 0.5

# Key rotation. qtdemux 1.22 ignores 'seig' sample groups and reports the tenc KID for every
# sample; secdec-pack also names each fragment's KID in a moof pssh, which qtdemux forwards as
# a protection event and secdecrypt follows from the fragment's first keyframe. The rotated
# file plays through the stock qtdemux with no help.
for scheme in cenc cbcs; do
  "$SECDEC_PACK" -v -i "$WORK/clear.mp4" -o "$WORK/rot.mp4" --scheme $scheme --kid $KID --key $KEY \
    --kid2 $KID2 --key2 $KEY2 --rotate-at 1.0 --fragment-duration 0.5 --seed 9 2> "$WORK/plan.txt" \
    || { fail "$scheme rotation: packaging"; continue; }
  first2=$(awk '/\(kid2\)/ {split($4, r, "\\.\\."); print r[1]; exit}' "$WORK/plan.txt")
  name="$codec $scheme key rotation at sample $first2"
  if framemd5 "$WORK/out.txt" "filesrc location=$WORK/rot.mp4 ! $PIPE" \
      && same_frames "$WORK/ref.txt" "$WORK/out.txt" "$name"; then
    pass "$name: bit-identical through stock qtdemux (moof pssh), KID2 from a second store lookup"
  else fail "$name"; fi
  # control: without moof pssh boxes nothing announces the rotation, so the rotated frames must
  # NOT match (proves the check bites)
  "$SECDEC_PACK" -i "$WORK/clear.mp4" -o "$WORK/rot-nopssh.mp4" --scheme $scheme --kid $KID \
    --key $KEY --kid2 $KID2 --key2 $KEY2 --rotate-at 1.0 --fragment-duration 0.5 --seed 9 \
    --pssh none 2>/dev/null
  framemd5 "$WORK/out.txt" "filesrc location=$WORK/rot-nopssh.mp4 ! $PIPE" || true
  if same_frames "$WORK/ref.txt" "$WORK/out.txt" "control" 2>/dev/null; then
    fail "$name: control decoded correctly without moof pssh (no rotation in the file?)"
  else pass "$name: control: without moof pssh the rotated part differs"; fi
  # and the seig-aware path: a demuxer that names KID2 in the meta (emulated) also works
  if framemd5 "$WORK/out.txt" --kid2-from "$first2" --kid2 $KID2 \
      "filesrc location=$WORK/rot-nopssh.mp4 ! $PIPE" \
      && same_frames "$WORK/ref.txt" "$WORK/out.txt" "$name (seig-aware demuxer)"; then
    pass "$name: per-sample KIDs in the meta (seig-aware demuxer, emulated)"
  else fail "$name (seig-aware demuxer, emulated)"; fi
done

if [ "$codec" = h264 ]; then
  "$SECDEC_PACK" -i "$WORK/clear.mp4" -o "$WORK/enc.mp4" --scheme cenc --kid $KID --key $KEY --seed 3
  # other key sources, with an empty license store
  mv "$SECDEC_HOME/licenses" "$SECDEC_HOME/licenses.off"
  framemd5 "$WORK/out.txt" "filesrc location=$WORK/enc.mp4 ! qtdemux ! secdecrypt keys=$KID:$KEY ! $DEC ! appsink name=sink" \
    && same_frames "$WORK/ref.txt" "$WORK/out.txt" keys && pass "keys property (KID:KEY)" || fail "keys property"
  printf '{"keys":[{"kty":"oct","kid":"ASNFZ4mrze8BI0VniavN7w","k":"ABEiM0RVZneImaq7zN3u_w"}]}' > "$WORK/keys.jwk"
  framemd5 "$WORK/out.txt" "filesrc location=$WORK/enc.mp4 ! qtdemux ! secdecrypt keys=$WORK/keys.jwk ! $DEC ! appsink name=sink" \
    && same_frames "$WORK/ref.txt" "$WORK/out.txt" jwk && pass "keys property (JWK file)" || fail "keys property (JWK)"
  "$SECDEC_LICENSE" issue --certificate "$WORK/device.der" --key "$KID:$KEY" --output "$WORK/prop.lic" > /dev/null
  framemd5 "$WORK/out.txt" "filesrc location=$WORK/enc.mp4 ! qtdemux ! secdecrypt license=$WORK/prop.lic ! $DEC ! appsink name=sink" \
    && same_frames "$WORK/ref.txt" "$WORK/out.txt" license && pass "license property" || fail "license property"
  framemd5 "$WORK/out.txt" --context-keys "$KID:$KEY" "filesrc location=$WORK/enc.mp4 ! qtdemux ! secdecrypt key-timeout=200 ! $DEC ! appsink name=sink" \
    && same_frames "$WORK/ref.txt" "$WORK/out.txt" context && grep -q '^need-context 1' "$WORK/out.txt" \
    && pass "application's device+session through the secdec.session context" || fail "secdec.session context"
  mv "$SECDEC_HOME/licenses.off" "$SECDEC_HOME/licenses"

  # flush-seek back to the start after 20 frames (secdecrypt's flush, avcodec_flush_buffers).
  # qtdemux 1.22 sends the samples of fragments it already pushed again WITHOUT
  # GstProtectionMeta; secdecrypt resolves them from the samples it has seen (by PTS and
  # size). Every frame, before and after the seek, must equal the clear decode at its PTS, the
  # whole stream must follow the seek (60 frames from 0), and nothing may be dropped.
  for cut in 20 40; do
    if framemd5 "$WORK/out.txt" --seek-after $cut "filesrc location=$WORK/enc.mp4 ! qtdemux ! secdecrypt ! $DEC ! appsink name=sink"; then
      n=$(frames "$WORK/out.txt" | wc -l)
      read -r bad _ < <(check_seek "$WORK/ref.txt" "$WORK/out.txt" 0)
      if [ "$n" -ge $((60 + cut - 5)) ] && [ "$bad" -eq 0 ] && ! grep -q "Dropped" "$WORK/out.txt.err"; then
        pass "flush seek to 0 after $cut frames: $n frames, each identical to the clear decode at its PTS"
      else fail "flush seek after $cut: $n frames, $bad differ from the clear decode at their PTS"; fi
    else fail "flush seek after $cut: $(cat "$WORK/out.txt.err")"; fi
  done

  # stock elements cannot touch protected memory: no link to h264parse/avdec_h264
  rc=0; framemd5 "$WORK/out.txt" "filesrc location=$WORK/enc.mp4 ! qtdemux ! secdecrypt ! avdec_h264 ! appsink name=sink" || rc=$?
  if [ $rc -eq 2 ] && [ "$(frames "$WORK/out.txt" | wc -l)" -eq 0 ]; then
    pass "stock avdec_h264 cannot link after secdecrypt: $(head -c 100 "$WORK/out.txt.err")"
  else fail "avdec_h264 after secdecrypt: exit $rc, $(grep '^frames' "$WORK/out.txt")"; fi
fi
finish
