#!/bin/bash
# window.sh - the player's real window (autovideosink) under Xvfb: paused at 1.0 s, the
# screenshot of the window area is compared with FFmpeg's clear frame at 1.0 s (PSNR; the
# colour conversion differs) and must be clearly closer to it than to the frame at 2.0 s.
# SPDX-License-Identifier: LGPL-2.1-or-later
source "$(dirname "$0")/lib.sh"
need Xvfb
need xwd
jwk "$WORK/keys.json" "$KID:$KEY"
make_clip "$WORK/clear.mp4" 3
"$SECDEC_PACK" -i "$WORK/clear.mp4" -o "$WORK/enc.mp4" --scheme cbcs --kid $KID --key $KEY --seed 1
start_server "$WORK/keys.json"
fresh_home

# Xvfb on a free display (it picks the number itself and writes it to fd 5)
Xvfb -displayfd 5 -screen 0 640x480x24 -nolisten tcp 5> "$WORK/display" 2> "$WORK/xvfb.err" &
XVFB_PID=$!
PLAYER_PID=
trap 'kill $PLAYER_PID $XVFB_PID 2>/dev/null || true; cleanup' EXIT
for i in $(seq 100); do [ -s "$WORK/display" ] && break; sleep 0.05; done
[ -s "$WORK/display" ] || { cat "$WORK/xvfb.err" >&2; echo "Xvfb did not start" >&2; exit 1; }
export DISPLAY=":$(head -1 "$WORK/display")"

timeout 60 "$SECDEC_PLAYER" --license-server "$SERVER_URL" --start 1.0 --pause "$WORK/enc.mp4" \
  > "$WORK/player.out" 2> "$WORK/player.err" < /dev/null &
PLAYER_PID=$!
for i in $(seq 200); do grep -q '^paused at' "$WORK/player.out" && break; sleep 0.05; done
if ! grep -q '^paused at 1.000 s' "$WORK/player.out"; then
  fail "player did not pause at 1.0 s: $(cat "$WORK/player.out" "$WORK/player.err")"
  finish
fi
sleep 1   # the preroll frame is on screen by now
xwd -root -silent > "$WORK/screen.xwd"
ffmpeg -nostdin -v error -y -i "$WORK/screen.xwd" "$WORK/screen.png"
kill -INT $PLAYER_PID; rc=0; wait $PLAYER_PID || rc=$?
[ $rc -eq 130 ] && pass "player stopped by SIGINT: exit 130" || fail "SIGINT: exit $rc"
grep -q "KID $KID: license installed" "$WORK/player.err" && pass "key from the license server" \
  || fail "no license: $(cat "$WORK/player.err")"

# the window is at the origin with the video size (no window manager)
psnr() {
  ffmpeg -nostdin -i "$WORK/screen.png" -i "$1" -filter_complex \
    "[0:v]crop=320:240:0:0,format=rgb24[a];[1:v]format=rgb24[b];[a][b]psnr" -f null - 2>&1 \
    | sed -n 's/.*average:\([0-9.inf]*\).*/\1/p'
}
ffmpeg -nostdin -v error -y -ss 1.0 -i "$WORK/clear.mp4" -frames:v 1 "$WORK/ref1.png"
ffmpeg -nostdin -v error -y -ss 2.0 -i "$WORK/clear.mp4" -frames:v 1 "$WORK/ref2.png"
p1=$(psnr "$WORK/ref1.png"); p2=$(psnr "$WORK/ref2.png")
if awk -v a="$p1" -v b="$p2" 'BEGIN { exit !((a == "inf" || a >= 24) && b < 20) }'; then
  pass "window shows the clear frame at 1.0 s: PSNR $p1 dB (frame at 2.0 s: $p2 dB)"
else
  fail "window content: PSNR $p1 dB against the frame at 1.0 s, $p2 dB against 2.0 s"
fi
if [ -n "${SECDEC_KEEP_SCREENSHOT:-}" ]; then cp "$WORK/screen.png" "$SECDEC_KEEP_SCREENSHOT"; fi
finish
