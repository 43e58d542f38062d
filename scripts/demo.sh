#!/usr/bin/env bash
# The main job: installs what is missing, builds secdec, then runs the demo end to end:
# provision a software device, export its certificate, issue a license for it (as the content
# owner would), inspect, check and install the license; encrypt a clip with secdec-pack, and
# play it through GStreamer's playbin (writing a PNG of a decoded frame) and through
# ffmpeg -hwaccel secdec; finally secdec-player fetches the key from secdec-license-server
# (empty license store) and writes a PNG snapshot.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
[ -d build ] || meson setup build
ninja -C build

OUT=${DEMO_OUT:-$PWD/out/demo}
rm -rf "$OUT"; mkdir -p "$OUT"
export SECDEC_HOME="$OUT/device-home"     # a fresh device for the demo; default is ~/.local/share/secdec
INFO=build/tools/secdec-info
LIC=build/tools/secdec-license

echo "== 1. the device (provisioned on first use into $SECDEC_HOME)"
"$INFO" --certificate "$OUT/device.crt"

echo "== 2. the content owner issues a license for that certificate"
cat > "$OUT/keys.json" <<'JSON'
{"keys":[
  {"kty":"oct","kid":"ASNFZ4mrze8BI0VniavN7w","k":"ABEiM0RVZneImaq7zN3u_w"},
  {"kty":"oct","kid":"_u3cu6qZiHdmVUQzIhEAAA","k":"DxEiM0RVZneImaq7zN3u_w"}
]}
JSON
"$LIC" issue --certificate "$OUT/device.crt" --jwk "$OUT/keys.json" -o "$OUT/demo.lic"
"$LIC" show "$OUT/demo.lic"

echo "== 3. the device loads it through the Direct3D-style API, then installs it"
"$LIC" check "$OUT/demo.lic"
"$LIC" install "$OUT/demo.lic"
ls -l "$SECDEC_HOME/licenses"

echo "== 4. a license for another device is refused"
SECDEC_HOME="$OUT/other-device" "$INFO" --certificate "$OUT/other.crt" >/dev/null
"$LIC" issue --certificate "$OUT/other.crt" --key 0123456789abcdef0123456789abcdef:00112233445566778899aabbccddeeff -o "$OUT/other.lic"
if "$LIC" check "$OUT/other.lic"; then echo "demo: foreign license accepted!" >&2; exit 1; fi
echo "== 5. the content owner encrypts a clip with secdec-pack (cbcs 1:9, slice headers clear)"
ffmpeg -hide_banner -loglevel error -nostdin -y -f lavfi -i testsrc2=size=640x360:rate=30 -t 4 \
  -c:v libx264 -g 30 -pix_fmt yuv420p "$OUT/clear.mp4"
build/tools/pack/secdec-pack --scheme cbcs --kid 0123456789abcdef0123456789abcdef \
  --key 00112233445566778899aabbccddeeff -i "$OUT/clear.mp4" -o "$OUT/protected.mp4"
echo "   every sample of protected.mp4, decrypted by libsecdec into protected memory, equals the clear one:"
build/tests/cenc/cenc-verify --key 0123456789abcdef0123456789abcdef:00112233445566778899aabbccddeeff \
  "$OUT/protected.mp4" "$OUT/clear.mp4"
echo "== 6. playbin plays it through secdec (key from the license store installed in step 3)"
export GST_PLUGIN_PATH=$PWD/build/gst-plugin
rm -f "$OUT"/frame-*.png
gst-launch-1.0 -q playbin uri="file://$OUT/protected.mp4" audio-sink=fakesink \
  video-sink="videoconvert ! pngenc ! multifilesink location=$OUT/frame-%03d.png max-files=1"
png=$(ls "$OUT"/frame-*.png)
echo "   last decoded frame: $png"

echo "== 7. and so does ffmpeg -hwaccel secdec -c:v h264_secdec (frames identical to the clear file)"
build/ffmpeg-hwaccel/ffmpeg -hide_banner -loglevel fatal -nostdin -hwaccel secdec -c:v h264_secdec \
  -i "$OUT/protected.mp4" -f framemd5 - | grep -v '^#' | cut -d, -f6 > "$OUT/secdec.md5"
ffmpeg -hide_banner -loglevel error -nostdin -i "$OUT/clear.mp4" -f framemd5 - | grep -v '^#' \
  | cut -d, -f6 > "$OUT/clear.md5"
cmp "$OUT/secdec.md5" "$OUT/clear.md5"
echo "   $(wc -l < "$OUT/secdec.md5") frames, identical"

echo "== 8. a player app acquires the key itself: secdec-license-server + secdec-player, EMPTY license store"
# the license server holds the content keys (keys.json) on a free loopback port
build/samples/secdec-license-server --keys "$OUT/keys.json" --port 0 \
  > "$OUT/license-server.out" 2> "$OUT/license-server.log" &
SERVER_PID=$!
trap 'kill $SERVER_PID 2>/dev/null || true' EXIT
for _ in $(seq 100); do grep -q '^listening on ' "$OUT/license-server.out" 2>/dev/null && break; sleep 0.05; done
URL=$(sed -n 's/^listening on //p' "$OUT/license-server.out" | head -1)
echo "   license server: $URL"
# a fresh device with an empty license store: the key can only come from the server
SECDEC_HOME="$OUT/player-home" build/samples/secdec-player --license-server "$URL" \
  --snapshot 2.0 --snapshot-dir "$OUT" --refresh-interval 0.5 "$OUT/protected.mp4"
ls "$OUT/player-home/licenses" 2>/dev/null | grep -q . && { echo "demo: the player used the license store!" >&2; exit 1; }
kill $SERVER_PID; wait $SERVER_PID 2>/dev/null || true
trap - EXIT
echo "   server log: $(grep ' grant ' "$OUT/license-server.log")"
echo "   snapshot: $OUT/snapshot-2.000.png"
echo "demo: OK (outputs in $OUT)"
