#!/bin/bash
# player-vaapi.sh - secdec-player --backend vaapi against the test VA driver (tests/vadriver, no
# GPU): the player drives the Direct3D flow through secdecrypt's action signals, but the
# certificate is the TEE's, the key exchange and the wrapped content keys go into the TEE, and
# the decoder decodes the still-encrypted samples with libavcodec's VA-API hwaccel. The test
# driver really decodes H.264 (tests/vadriver/drv_decode_h264.c), so the player's frames must
# be the clear decode, byte for byte. Also: session-key refresh in the TEE during playback, and
# recovery from a simulated power event that loses the TEE's sessions.
# SPDX-License-Identifier: LGPL-2.1-or-later
source "$(dirname "$0")/lib.sh"
: "${LIBVA_DRIVERS_PATH:?}" "${SECDEC_VA_TEST_DRIVER:?}" "${SECDEC_BACKEND_PATH:?}"
export SECDEC_TEST_TEE_DIR=$WORK/tee SECDEC_TEST_DRV_LOG=$WORK/drv.log
unset SECDEC_TEST_DRV_FAIL SECDEC_TEST_DRV_LOSE_AFTER
jwk "$WORK/keys.json" "$KID:$KEY" "$KID2:$KEY2"
make_clip "$WORK/clear2.mp4" 2
make_clip "$WORK/clear4.mp4" 4
start_server "$WORK/keys.json"

tee_cert_sha() {   # the SHA-256 of the TEE's certificate (DER), as the license server logs it
  openssl x509 -in "$SECDEC_TEST_TEE_DIR/tee.crt" -outform DER | sha256sum | cut -c1-64
}
slices() { grep -c '^slice enc ' "$SECDEC_TEST_DRV_LOG" 2>/dev/null || true; }

# 1. cenc and cbcs: the license is bound to the TEE's certificate, every slice is decrypted in
#    the TEE, the frames are the clear decode
for scheme in cenc cbcs; do
  "$SECDEC_PACK" -i "$WORK/clear2.mp4" -o "$WORK/enc.mp4" --scheme $scheme --kid $KID --key $KEY --seed 1
  fresh_home
  rm -f "$SECDEC_TEST_DRV_LOG"
  if play "$WORK/out" --backend vaapi --license-server "$SERVER_URL" --y4m "$WORK/out.y4m" --no-sync "$WORK/enc.mp4" \
     && same_y4m "$WORK/clear2.mp4" "$WORK/out.y4m" \
     && grep -q "1 license request, 1 content key installed" "$WORK/out.err" \
     && [ "$(slices)" -ge 60 ] && ! grep -q '^error' "$SECDEC_TEST_DRV_LOG"; then
    sha=$(tee_cert_sha || true)
    if [ -n "$sha" ] && grep -q "grant cert-sha256=$sha kids=$KID " "$WORK/server.err"; then
      pass "$scheme: $(grep -ao FRAME "$WORK/out.y4m" | wc -l) frames identical to the clear decode, $(slices) slices decrypted in the TEE, license bound to the TEE's certificate"
    else fail "$scheme: the license was not issued to the TEE's certificate ($sha)"; fi
  else fail "$scheme: $(tail -n 5 "$WORK/out.err"; tail -n 3 "$SECDEC_TEST_DRV_LOG" 2>/dev/null)"; fi
done

# 2. session-key refresh inside the TEE on a timer, with key rotation after it
"$SECDEC_PACK" -i "$WORK/clear4.mp4" -o "$WORK/rot.mp4" --scheme cbcs --kid $KID --key $KEY \
  --kid2 $KID2 --key2 $KEY2 --rotate-at 2 --fragment-duration 1 --seed 3
fresh_home
rm -f "$SECDEC_TEST_DRV_LOG"
if play "$WORK/out" --backend vaapi --license-server "$SERVER_URL" --y4m "$WORK/out.y4m" --refresh-interval 0.3 -v "$WORK/rot.mp4" \
   && same_y4m "$WORK/clear4.mp4" "$WORK/out.y4m" && ! grep -q '^error' "$SECDEC_TEST_DRV_LOG"; then
  n=$(sed -n 's/.* \([0-9]*\) session-key refresh.*/\1/p' "$WORK/out.err")
  if [ "${n:-0}" -ge 4 ] && grep -q "KID $KID2: license installed" "$WORK/out.err"; then
    pass "refresh: $n session-key refreshes in the TEE during playback, rotation to KID2, frames identical"
  else fail "refresh: ${n:-0} refreshes; $(tail -n 5 "$WORK/out.err")"; fi
else fail "refresh: $(tail -n 5 "$WORK/out.err"; tail -n 3 "$SECDEC_TEST_DRV_LOG" 2>/dev/null)"; fi

# 3. a power event after 20 pictures loses the TEE's sessions: secdecrypt replaces the session
#    (key exchange and keys again), the decoder resumes at the next keyframe (every 15 frames)
"$SECDEC_PACK" -i "$WORK/clear2.mp4" -o "$WORK/enc.mp4" --scheme cenc --kid $KID --key $KEY --seed 1
fresh_home
rm -f "$SECDEC_TEST_DRV_LOG"
if SECDEC_TEST_DRV_LOSE_AFTER=20 play "$WORK/out" --backend vaapi --license-server "$SERVER_URL" \
     --y4m "$WORK/out.y4m" --no-sync -v "$WORK/enc.mp4" \
   && grep -q 'event power-loss' "$SECDEC_TEST_DRV_LOG"; then
  n=$(grep -ao FRAME "$WORK/out.y4m" | wc -l)
  # the frames after the recovery are the clear decode's last frames
  ffmpeg -nostdin -v error -y -i "$WORK/clear2.mp4" -f yuv4mpegpipe "$WORK/ref.y4m"
  fsize=$((320 * 240 * 3 / 2 + 6))
  tail -c $((30 * fsize)) "$WORK/ref.y4m" > "$WORK/ref.tail"
  tail -c $((30 * fsize)) "$WORK/out.y4m" > "$WORK/out.tail"
  if [ "$n" -ge 40 ] && [ "$n" -lt 60 ] && cmp -s "$WORK/ref.tail" "$WORK/out.tail"; then
    pass "power loss: recovered, $n of 60 frames, the last 30 identical to the clear decode"
  else fail "power loss: $n frames; $(tail -n 5 "$WORK/out.err")"; fi
else fail "power loss: $(tail -n 5 "$WORK/out.err"; tail -n 3 "$SECDEC_TEST_DRV_LOG" 2>/dev/null)"; fi

finish
