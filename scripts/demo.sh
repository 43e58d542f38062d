#!/usr/bin/env bash
# The main job: installs what is missing, builds secdec, then runs the demo end to end:
# provision a software device, export its certificate, issue a license for it (as the content
# owner would), inspect, check and install the license, and find it again by KID.
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
echo "demo: OK (outputs in $OUT)"
