#!/bin/bash
# player.sh - secdec-player acquires its keys from secdec-license-server like an application:
# key-needed -> get-certificate -> POST /license -> negotiate-key-exchange + add-content-key,
# with an EMPTY license store. Frames are compared byte for byte with FFmpeg's clear decode.
# SPDX-License-Identifier: LGPL-2.1-or-later
source "$(dirname "$0")/lib.sh"
jwk "$WORK/keys.json" "$KID:$KEY" "$KID2:$KEY2"
jwk "$WORK/only2.json" "$KID2:$KEY2"
make_clip "$WORK/clear2.mp4" 2
make_clip "$WORK/clear4.mp4" 4
start_server "$WORK/keys.json"

# store_empty: the player's license store stayed empty (keys came only from the server)
store_empty() { [ -z "$(ls -A "$SECDEC_HOME/licenses" 2>/dev/null)" ]; }

# 1. cenc and cbcs
for scheme in cenc cbcs; do
  "$SECDEC_PACK" -i "$WORK/clear2.mp4" -o "$WORK/enc.mp4" --scheme $scheme --kid $KID --key $KEY --seed 1
  fresh_home
  grants0=$(grep -c ' grant ' "$WORK/server.err" || true)
  if play "$WORK/out" --license-server "$SERVER_URL" --y4m "$WORK/out.y4m" --no-sync "$WORK/enc.mp4" \
     && same_y4m "$WORK/clear2.mp4" "$WORK/out.y4m" \
     && grep -q "1 license request, 1 content key installed" "$WORK/out.err" \
     && [ "$(grep -c ' grant ' "$WORK/server.err")" -eq $((grants0 + 1)) ] \
     && grep -q "grant cert-sha256=[0-9a-f]\{64\} kids=$KID " "$WORK/server.err" && store_empty; then
    pass "$scheme: $(grep -ao FRAME "$WORK/out.y4m" | wc -l) frames identical to the clear decode, key from the server"
  else fail "$scheme: $(cat "$WORK/out.err")"; fi
done

# 2. key rotation: a second key-needed (KID2) -> a second license request
"$SECDEC_PACK" -i "$WORK/clear4.mp4" -o "$WORK/rot.mp4" --scheme cenc --kid $KID --key $KEY \
  --kid2 $KID2 --key2 $KEY2 --rotate-at 2 --seed 2
fresh_home
if play "$WORK/out" --license-server "$SERVER_URL" --y4m "$WORK/out.y4m" --no-sync "$WORK/rot.mp4" \
   && same_y4m "$WORK/clear4.mp4" "$WORK/out.y4m" \
   && grep -q "2 license requests, 2 content keys installed" "$WORK/out.err" \
   && grep -q "KID $KID2: license installed" "$WORK/out.err" && store_empty; then
  pass "rotation: KID then KID2 from two license requests, frames identical"
else fail "rotation: $(cat "$WORK/out.err")"; fi

# 3. session-key refresh on a timer during real-time playback (plus rotation after refreshes:
#    the second license's key exchange replaces the refreshed session key)
"$SECDEC_PACK" -i "$WORK/clear4.mp4" -o "$WORK/rot3.mp4" --scheme cbcs --kid $KID --key $KEY \
  --kid2 $KID2 --key2 $KEY2 --rotate-at 2 --fragment-duration 1 --seed 3
fresh_home
if play "$WORK/out" --license-server "$SERVER_URL" --y4m "$WORK/out.y4m" --refresh-interval 0.3 -v "$WORK/rot3.mp4" \
   && same_y4m "$WORK/clear4.mp4" "$WORK/out.y4m"; then
  n=$(sed -n 's/.* \([0-9]*\) session-key refresh.*/\1/p' "$WORK/out.err")
  # the second request must come after at least one refresh
  first_refresh=$(grep -n "session key refreshed (1)" "$WORK/out.err" | cut -d: -f1 || true)
  second_req=$(grep -n "KID $KID2: requesting" "$WORK/out.err" | cut -d: -f1 || true)
  if [ "${n:-0}" -ge 8 ] && [ -n "$first_refresh" ] && [ -n "$second_req" ] && [ "$first_refresh" -lt "$second_req" ]; then
    pass "refresh: $n session-key refreshes during playback, KID2 licensed after them, frames identical"
  else fail "refresh: $n refreshes; $(cat "$WORK/out.err")"; fi
else fail "refresh: $(cat "$WORK/out.err")"; fi

# 4. snapshots: PNGs of the frames at the given times
fresh_home
"$SECDEC_PACK" -i "$WORK/clear2.mp4" -o "$WORK/enc.mp4" --scheme cenc --kid $KID --key $KEY --seed 1
if play "$WORK/out" --license-server "$SERVER_URL" --snapshot 1.5,0.5 --snapshot-dir "$WORK/snaps" --no-sync "$WORK/enc.mp4" \
   && [ -s "$WORK/snaps/snapshot-0.500.png" ] && [ -s "$WORK/snaps/snapshot-1.500.png" ]; then
  ok=1
  for t in 0.5 1.5; do
    ffmpeg -nostdin -v error -y -ss $t -i "$WORK/clear2.mp4" -frames:v 1 "$WORK/ref.png"
    psnr=$(ffmpeg -nostdin -i "$WORK/snaps/snapshot-$(printf %.3f $t).png" -i "$WORK/ref.png" \
      -filter_complex "[0:v]format=rgb24[a];[1:v]format=rgb24[b];[a][b]psnr" -f null - 2>&1 \
      | sed -n 's/.*average:\([0-9.inf]*\).*/\1/p')
    awk -v p="$psnr" 'BEGIN { exit !(p == "inf" || p >= 30) }' || { ok=0; echo "snapshot $t: PSNR $psnr" >&2; }
  done
  [ $ok = 1 ] && pass "snapshots at 0.5 and 1.5 s match the clear frames" || fail "snapshots differ from the clear frames"
else fail "snapshots: $(cat "$WORK/out.err")"; fi

# 5. refused: the server has no key for KID -> clear error naming the KID, exit 4
start_server "$WORK/only2.json"
fresh_home
rc=0; play "$WORK/out" --license-server "$SERVER_URL" --y4m "$WORK/out.y4m" --no-sync "$WORK/enc.mp4" || rc=$?
if [ $rc -eq 4 ] && grep -q "error: license server refused KID $KID: HTTP 403 Forbidden (unknown-kid): no content key for KID $KID" "$WORK/out.err"; then
  pass "refused: exit 4, $(grep error: "$WORK/out.err")"
else fail "refused: exit $rc: $(cat "$WORK/out.err")"; fi

# 6. 5xx answers are retried with backoff
start_server "$WORK/keys.json" --fail-first 2
fresh_home
if play "$WORK/out" --license-server "$SERVER_URL" --y4m "$WORK/out.y4m" --no-sync "$WORK/enc.mp4" \
   && same_y4m "$WORK/clear2.mp4" "$WORK/out.y4m" \
   && [ "$(grep -c 'HTTP 503 .*retrying in' "$WORK/out.err")" -eq 2 ] \
   && grep -q "3 license requests, 1 content key installed" "$WORK/out.err"; then
  pass "5xx: two 503 answers retried, third attempt granted"
else fail "5xx retry: $(cat "$WORK/out.err")"; fi

# 7. no server listening: bounded retries, then exit 3 naming the KID
url=$SERVER_URL
stop_server
fresh_home
t0=$(date +%s)
rc=0; play "$WORK/out" --license-server "$url" --retries 3 --headless --no-sync "$WORK/enc.mp4" || rc=$?
t1=$(date +%s)
if [ $rc -eq 3 ] && grep -q "error: license server ${url}license unreachable for KID $KID: .*(gave up after 3 attempts)" "$WORK/out.err" \
   && [ "$(grep -c 'retrying in' "$WORK/out.err")" -eq 2 ] && [ $((t1 - t0)) -lt 15 ]; then
  pass "unreachable: exit 3 after 3 attempts in $((t1 - t0)) s"
else fail "unreachable: exit $rc: $(cat "$WORK/out.err")"; fi

# 8. usage and input errors
rc=0; play "$WORK/out" --license-server "$url" "$WORK/missing.mp4" || rc=$?
[ $rc -eq 1 ] && grep -q "error: no such file: $WORK/missing.mp4" "$WORK/out.err" \
  && pass "missing file: exit 1" || fail "missing file: exit $rc $(cat "$WORK/out.err")"
rc=0; play "$WORK/out" --no-sync --headless "$WORK/enc.mp4" || rc=$?
[ $rc -eq 4 ] && grep -q "needs a key for KID $KID and no license server was given" "$WORK/out.err" \
  && pass "no server given: exit 4" || fail "no server given: exit $rc $(cat "$WORK/out.err")"
rc=0; (unset DISPLAY WAYLAND_DISPLAY; play "$WORK/out" "$WORK/enc.mp4") || rc=$?
[ $rc -eq 1 ] && grep -q "error: no display" "$WORK/out.err" \
  && pass "window mode without a display: exit 1" || fail "no display: exit $rc $(cat "$WORK/out.err")"
rc=0; play "$WORK/out" --bogus "$WORK/enc.mp4" || rc=$?
[ $rc -eq 2 ] && pass "bad option: exit 2" || fail "bad option: exit $rc"
rc=0; play "$WORK/out" --snapshot 1,x "$WORK/enc.mp4" || rc=$?
[ $rc -eq 2 ] && pass "bad --snapshot: exit 2" || fail "bad --snapshot: exit $rc"
"$SECDEC_PLAYER" --help > "$WORK/help.txt" && grep -q -- "--refresh-interval" "$WORK/help.txt" \
  && grep -q "Exit status" "$WORK/help.txt" && pass "--help" || fail "--help"
"$SECDEC_PLAYER" --version | grep -q "^secdec-player [0-9]" && pass "--version" || fail "--version"
finish
