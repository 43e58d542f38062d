#!/bin/bash
# Malformed input and bad options: non-zero exit, an error message, no crash
# (exit status >= 128 means a signal). One clean and one corrupt run under
# valgrind when it is installed: no invalid access and no definite leak.
source "$(dirname "$0")/lib.sh"
make_clip h264 "$WORK/clear.mp4"
P=("$SECDEC_PACK" --kid "$KID" --key "$KEY" -o "$WORK/out.mp4")

expect_error() { # NAME ARGS...
  local name=$1; shift
  local rc=0
  "$@" > "$WORK/out.txt" 2> "$WORK/err.txt" || rc=$?
  if [ $rc -eq 0 ]; then fail "$name: exit status 0"
  elif [ $rc -ge 128 ]; then fail "$name: crashed (status $rc)"
  elif ! grep -q "^secdec-pack: error: " "$WORK/err.txt"; then fail "$name: no error message"
  else pass "$name: status $rc, $(grep -m1 "^secdec-pack: error: " "$WORK/err.txt")"; fi
}

size=$(stat -c %s "$WORK/clear.mp4")
for cut in 16 100 1000 $((size / 2)) $((size - 5000)); do
  head -c $cut "$WORK/clear.mp4" > "$WORK/trunc.mp4"
  expect_error "truncated to $cut bytes" "${P[@]}" -i "$WORK/trunc.mp4"
done
# moov first (faststart) and fragmented inputs truncated inside the sample data
ffmpeg -nostdin -v error -y -i "$WORK/clear.mp4" -c copy -movflags faststart "$WORK/fs.mp4"
ffmpeg -nostdin -v error -y -i "$WORK/clear.mp4" -c copy -movflags frag_keyframe+empty_moov "$WORK/frag.mp4"
for f in fs frag; do
  for cut in 2000 40000 $(($(stat -c %s "$WORK/$f.mp4") - 1000)); do
    head -c $cut "$WORK/$f.mp4" > "$WORK/trunc.mp4"
    expect_error "$f input truncated to $cut bytes" "${P[@]}" -i "$WORK/trunc.mp4"
  done
done
head -c 20000 /dev/urandom > "$WORK/garbage.mp4"
expect_error "random bytes" "${P[@]}" -i "$WORK/garbage.mp4"
: > "$WORK/empty.mp4"
expect_error "empty file" "${P[@]}" -i "$WORK/empty.mp4"
expect_error "missing file" "${P[@]}" -i "$WORK/does-not-exist.mp4"
# corrupt sample data: overwrite bytes in the middle of mdat (NAL lengths break)
cp "$WORK/clear.mp4" "$WORK/corrupt.mp4"
off=$(grep -a -b -o mdat "$WORK/corrupt.mp4" | head -n1 | cut -d: -f1)
printf '\xff\xff\xff\xff\xff\xff\xff\xff' | dd of="$WORK/corrupt.mp4" bs=1 seek=$((off + 4)) conv=notrunc status=none
expect_error "corrupt first NAL length" "${P[@]}" -i "$WORK/corrupt.mp4"
# audio-only input
ffmpeg -nostdin -v error -y -f lavfi -i sine=d=1 -c:a aac "$WORK/audio.mp4"
expect_error "no video track" "${P[@]}" -i "$WORK/audio.mp4"
# a non-MP4 container
ffmpeg -nostdin -v error -y -i "$WORK/clear.mp4" -c copy -f mpegts "$WORK/clear.ts"
expect_error "MPEG-TS input" "${P[@]}" -i "$WORK/clear.ts"

# already-encrypted input (FFmpeg's own non-fragmented CENC output)
ffmpeg -nostdin -v error -y -i "$WORK/clear.mp4" -c copy -encryption_scheme cenc-aes-ctr \
  -encryption_key $KEY -encryption_kid $KID "$WORK/ffenc.mp4"
expect_error "already encrypted input" "${P[@]}" -i "$WORK/ffenc.mp4"

# options
expect_error "no key" "$SECDEC_PACK" -i "$WORK/clear.mp4" -o "$WORK/out.mp4" --kid $KID
expect_error "short key" "${P[@]}" -i "$WORK/clear.mp4" --key 0011
expect_error "bad scheme" "${P[@]}" -i "$WORK/clear.mp4" --scheme ctr
expect_error "cbcs with 8-byte IVs" "${P[@]}" -i "$WORK/clear.mp4" --scheme cbcs --iv-size 8
expect_error "constant IV with cenc" "${P[@]}" -i "$WORK/clear.mp4" --scheme cenc --constant-iv $KEY
expect_error "rotation without key2" "${P[@]}" -i "$WORK/clear.mp4" --rotate-at 1
expect_error "bad fragment duration" "${P[@]}" -i "$WORK/clear.mp4" --fragment-duration -1
expect_error "unwritable output" "$SECDEC_PACK" --kid $KID --key $KEY -i "$WORK/clear.mp4" -o /nonexistent/dir/out.mp4
printf '{"keys":[{"kty":"oct","kid":"AAEC"' > "$WORK/bad.jwk"
expect_error "truncated JWK" "$SECDEC_PACK" -i "$WORK/clear.mp4" -o "$WORK/out.mp4" --jwk "$WORK/bad.jwk"
[ ! -e "$WORK/out.mp4" ] || fail "a failed run left an output file behind"

# JWK keys equal the same keys given in hex
b64u() { echo -n "$1" | xxd -r -p | base64 | tr '+/' '-_' | tr -d '='; }
printf '{"keys":[{"kty":"oct","kid":"%s","k":"%s"}],"type":"temporary"}' "$(b64u $KID)" "$(b64u $KEY)" > "$WORK/keys.jwk"
"$SECDEC_PACK" -i "$WORK/clear.mp4" -o "$WORK/a.mp4" --kid $KID --key $KEY --seed 1 --scheme cenc
"$SECDEC_PACK" -i "$WORK/clear.mp4" -o "$WORK/b.mp4" --jwk "$WORK/keys.jwk" --seed 1 --scheme cenc
cmp -s "$WORK/a.mp4" "$WORK/b.mp4" && pass "--jwk gives the same output as --kid/--key" || fail "--jwk output differs"
"$SECDEC_PACK" --help | grep -q -- "--clear-lead" && pass "--help" || fail "--help"

libs=$(ldd "$SECDEC_PACK" 2>/dev/null || true)
if command -v valgrind > /dev/null && [[ $libs != *libasan* ]]; then
  vg=(valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite --show-leak-kinds=definite)
  rc=0; "${vg[@]}" "${P[@]}" -i "$WORK/clear.mp4" --scheme cbcs > /dev/null 2> "$WORK/vg.txt" || rc=$?
  [ $rc -eq 0 ] && pass "valgrind clean run" || { fail "valgrind clean run (status $rc)"; cat "$WORK/vg.txt" >&2; }
  rc=0; "${vg[@]}" "${P[@]}" -i "$WORK/corrupt.mp4" > /dev/null 2> "$WORK/vg.txt" || rc=$?
  [ $rc -eq 1 ] && pass "valgrind corrupt input (status 1, no memory errors)" || { fail "valgrind corrupt input (status $rc)"; cat "$WORK/vg.txt" >&2; }
else
  echo "note: valgrind not installed, or the binary is ASan-instrumented (ASan checks it instead): valgrind run skipped"
fi
finish
