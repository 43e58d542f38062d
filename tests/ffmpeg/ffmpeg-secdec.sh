#!/usr/bin/env bash
# Tests of the patched ffmpeg (ffmpeg-hwaccel/): h264_secdec / hevc_secdec against the clear
# file's framemd5. Usage: ffmpeg-secdec.sh CASE, with FFMPEG_SECDEC (the patched ffmpeg),
# SECDEC_PACK, SECDEC_LICENSE and SECDEC_INFO in the environment. Content is generated with the
# system ffmpeg (libx264/libx265). Every case prints what it checked and exits non-zero on the
# first mismatch.
set -euo pipefail
CASE=$1
FF=${FFMPEG_SECDEC:?}
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib/common.sh"
. "$HERE/../lib/shaka.sh"
make_tmpdir ffmpeg-secdec
export SECDEC_HOME=$T/home

# secdec decode to framemd5: secdec_md5 OUT ARGS... (ARGS before -i included); returns ffmpeg's rc
secdec_md5() { local out=$1; shift; "$FF" -hide_banner -nostdin -loglevel error "$@" -f framemd5 - >"$out" 2>"$out.err"; }

make_clear() {   # codec -> $T/clear-<codec>.mp4 and its framemd5
  local c=$1
  if [ "$c" = h264 ]; then
    sysff -f lavfi -i testsrc2=size=320x240:rate=30 -t 4 -c:v libx264 -g 30 -bf 2 -pix_fmt yuv420p "$T/clear-h264.mp4"
  else
    sysff -f lavfi -i testsrc2=size=320x240:rate=30 -t 4 -c:v libx265 -x265-params log-level=error:keyint=30 \
      -tag:v hvc1 -pix_fmt yuv420p "$T/clear-hevc.mp4"
  fi
  sysff -i "$T/clear-$c.mp4" -f framemd5 "$T/clear-$c.md5"
  [ "$(frames "$T/clear-$c.md5" | wc -l)" -eq 120 ] || fail "clear $c has not 120 frames"
}

expect_same() {   # label md5file clearmd5
  if ! diff -q <(frames "$2") <(frames "$3") >/dev/null; then
    echo "--- stderr:" >&2; grep -v '^\[\(NULL\|h264\|hevc\) @' "$2.err" | tail -n 20 >&2 || true
    fail "$1: framemd5 differs from the clear file ($(frames "$2" | wc -l) frames)"
  fi
  echo "ok: $1 ($(frames "$2" | wc -l) frames identical)"
}

movenc_encrypt() {   # in out: FFmpeg's own non-fragmented CENC (cenc-aes-ctr) with KID/KEY
  sysff -i "$1" -c copy -encryption_scheme cenc-aes-ctr -encryption_key $KEY -encryption_kid $KID "$2"
}

case $CASE in
movenc-cenc)
  # FFmpeg's own non-fragmented -encryption_scheme cenc-aes-ctr output, key from the store.
  install_license "$KID:$KEY"
  for c in h264 hevc; do
    make_clear $c
    movenc_encrypt "$T/clear-$c.mp4" "$T/enc-$c.mp4"
    secdec_md5 "$T/out.md5" -hwaccel secdec -c:v ${c}_secdec -i "$T/enc-$c.mp4" || fail "$c: ffmpeg failed"
    expect_same "movenc cenc-aes-ctr $c, -hwaccel secdec, license store" "$T/out.md5" "$T/clear-$c.md5"
    # without -hwaccel the wrapper opens a default device (same SECDEC_HOME)
    secdec_md5 "$T/out.md5" -c:v ${c}_secdec -i "$T/enc-$c.mp4" || fail "$c: ffmpeg failed"
    expect_same "movenc cenc-aes-ctr $c, default device" "$T/out.md5" "$T/clear-$c.md5"
    # -hwaccel_output_format secdec (software backend: frames are software frames anyway)
    "$FF" -hide_banner -nostdin -loglevel error -hwaccel secdec -hwaccel_output_format secdec \
      -c:v ${c}_secdec -i "$T/enc-$c.mp4" -f null - 2>/dev/null || fail "$c: opaque frames"
    echo "ok: -hwaccel_output_format secdec accepted ($c)"
    # the demuxer really hands out encrypted samples: the native decoder refuses them
    if "$FF" -hide_banner -nostdin -loglevel quiet -i "$T/enc-$c.mp4" -f framemd5 - >"$T/native.md5" 2>/dev/null; then
      fail "$c: the native decoder accepted the encrypted file"
    fi
  done
  ;;
pack-h264|pack-hevc)
  # secdec-pack output: every scheme and IV size, keys from the store; cbcs also via -keys.
  c=${CASE#pack-}
  make_clear "$c"
  install_license "$KID:$KEY"
  for v in "cenc 8" "cenc 16" "cens 8" "cens 16" "cbc1 8" "cbc1 16" "cbcs 16" "cbcs const"; do
    set -- $v
    if [ "$2" = const ]; then
      pack "$c" "$T/enc.mp4" --scheme "$1" --constant-iv 0f0e0d0c0b0a09080706050403020100
    else
      pack "$c" "$T/enc.mp4" --scheme "$1" --iv-size "$2"
    fi
    secdec_md5 "$T/out.md5" -hwaccel secdec -c:v ${c}_secdec -i "$T/enc.mp4" || fail "$v: ffmpeg failed"
    expect_same "secdec-pack $c $1 iv $2, license store" "$T/out.md5" "$T/clear-$c.md5"
  done
  # keys option, empty store
  SECDEC_HOME=$T/home-keys secdec_md5 "$T/out.md5" -hwaccel secdec -c:v ${c}_secdec \
    -keys "$KID:$KEY" -i "$T/enc.mp4" || fail "-keys: ffmpeg failed"
  expect_same "secdec-pack $c cbcs, -keys option" "$T/out.md5" "$T/clear-$c.md5"
  # license option, empty store
  SECDEC_HOME=$T/home-keys secdec_md5 "$T/out.md5" -c:v ${c}_secdec -license "$T/lic.bin" \
    -i "$T/enc.mp4" && fail "a license of another device was accepted"
  grep -q "SECDEC_E_LICENSE_FOREIGN" "$T/out.md5.err" || fail "foreign license: no clear message"
  echo "ok: a license issued to another device is refused"
  ;;
lead-rotation)
  make_clear h264
  install_license "$KID:$KEY" "$KID2:$KEY2"
  for s in cenc cbcs; do
    pack h264 "$T/lead.mp4" --scheme $s --clear-lead 1
    secdec_md5 "$T/out.md5" -hwaccel secdec -c:v h264_secdec -i "$T/lead.mp4" || fail "clear lead $s"
    expect_same "secdec-pack h264 $s --clear-lead 1" "$T/out.md5" "$T/clear-h264.md5"
  done
  # Key rotation as 'seig' sample groups (patch 0005 teaches mov.c to read them): every
  # frame must match, for cenc and cbcs, with and without moof pssh boxes.
  for s in cenc cbcs; do
    for pssh in both none; do
      pack h264 "$T/rot.mp4" --scheme $s --kid2 $KID2 --key2 $KEY2 --rotate-at 1 --pssh $pssh
      secdec_md5 "$T/out.md5" -hwaccel secdec -c:v h264_secdec -i "$T/rot.mp4" \
        || fail "rotation $s pssh=$pssh: ffmpeg failed"
      expect_same "secdec-pack h264 $s --rotate-at 1 (KID2 from seig) pssh=$pssh" "$T/out.md5" \
        "$T/clear-h264.md5"
    done
  done
  # control: with only KEY1 in the store, the rotated fragments name KID2 and must fail
  # cleanly (no key), which proves the KIDs really come from the seig groups
  rm -rf "$SECDEC_HOME/licenses"
  install_license "$KID:$KEY"
  if secdec_md5 "$T/out.md5" -hwaccel secdec -c:v h264_secdec -key_timeout 0 -i "$T/rot.mp4"; then
    fail "rotation: decoded without KID2's key"
  fi
  grep -qi "$KID2" "$T/out.md5.err" || fail "rotation: the missing KID2 is not named"
  echo "ok: rotation without KID2's key fails naming KID2"
  ;;
transcode)
  make_clear h264
  movenc_encrypt "$T/clear-h264.mp4" "$T/enc.mp4"
  install_license "$KID:$KEY"
  "$FF" -hide_banner -nostdin -loglevel error -hwaccel secdec -c:v h264_secdec -i "$T/enc.mp4" \
    -f yuv4mpegpipe "$T/out.y4m" || fail "to y4m"
  sysff -i "$T/clear-h264.mp4" -f yuv4mpegpipe "$T/clear.y4m"
  cmp -s "$T/out.y4m" "$T/clear.y4m" || fail "y4m differs from the clear file's"
  echo "ok: transcode to yuv4mpegpipe, identical to the clear file's"
  if "$FF" -hide_banner -encoders 2>/dev/null | grep -q libx264; then
    "$FF" -hide_banner -nostdin -loglevel error -hwaccel secdec -c:v h264_secdec -i "$T/enc.mp4" \
      -c:v libx264 -preset ultrafast -crf 10 "$T/out.mp4" || fail "to libx264"
    n=$(ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames \
        -of csv=p=0 "$T/out.mp4")
    [ "$n" = 120 ] || fail "libx264 output has $n frames"
    psnr=$(ffmpeg -hide_banner -nostdin -i "$T/out.mp4" -i "$T/clear-h264.mp4" -lavfi psnr \
           -f null - 2>&1 | sed -n 's/.*PSNR.* average:\([0-9.inf]*\).*/\1/p')
    awk -v p="$psnr" 'BEGIN { exit !(p == "inf" || p + 0 > 40) }' || fail "libx264 output PSNR $psnr dB"
    echo "ok: transcode to libx264 mp4 (120 frames, PSNR $psnr dB against the clear file)"
  else
    echo "note: this ffmpeg has no libx264 encoder; transcoding checked with y4m only"
  fi
  ;;
errors)
  make_clear h264
  movenc_encrypt "$T/clear-h264.mp4" "$T/enc.mp4"
  # 1. missing key: the KID is named, exit status non-zero, no frame written
  rc=0; secdec_md5 "$T/out.md5" -hwaccel secdec -c:v h264_secdec -i "$T/enc.mp4" || rc=$?
  [ $rc -ne 0 ] || fail "missing key: exit status 0"
  grep -q "No key for KID $KID" "$T/out.md5.err" || fail "missing key: the KID is not named"
  [ "$(frames "$T/out.md5" | wc -l)" -eq 0 ] || fail "missing key: frames were written"
  echo "ok: missing key -> rc $rc, KID named, no frames"
  # 1b. key_timeout: waits, then the same error
  start=$(date +%s)
  secdec_md5 "$T/out.md5" -c:v h264_secdec -key_timeout 1 -i "$T/enc.mp4" && fail "key_timeout: rc 0"
  [ $(( $(date +%s) - start )) -ge 1 ] || fail "key_timeout did not wait"
  echo "ok: key_timeout 1 waits, then fails"
  # 1c. the key arriving in the store while waiting is picked up
  install_license "$KID:$KEY"
  mv "$SECDEC_HOME/licenses" "$T/licenses.later"
  ( sleep 1; mv "$T/licenses.later" "$SECDEC_HOME/licenses" ) &
  secdec_md5 "$T/out.md5" -c:v h264_secdec -key_timeout 20 -i "$T/enc.mp4" || fail "late key: ffmpeg failed"
  wait
  expect_same "key installed while waiting (key_timeout)" "$T/out.md5" "$T/clear-h264.md5"
  # 2. tampered license given with -license
  cp "$T/lic.bin" "$T/bad.lic"
  printf '\x55' | dd of="$T/bad.lic" bs=1 seek=300 conv=notrunc 2>/dev/null
  SECDEC_HOME=$T/home secdec_md5 "$T/out.md5" -c:v h264_secdec -license "$T/bad.lic" -i "$T/enc.mp4" &&
    fail "tampered license accepted"
  grep -q "license '$T/bad.lic'.*SECDEC_E_LICENSE_INVALID" "$T/out.md5.err" || fail "tampered license: no clear message"
  echo "ok: tampered license -> $(grep -o 'SECDEC_E_[A-Z_]*' "$T/out.md5.err" | head -n 1)"
  # 3. bad -keys syntax
  secdec_md5 "$T/out.md5" -c:v h264_secdec -keys "$KID" -i "$T/enc.mp4" && fail "bad -keys accepted"
  grep -q "Invalid keys option" "$T/out.md5.err" || fail "bad -keys: no clear message"
  echo "ok: malformed -keys refused"
  # 4. corrupt encryption side data: every senc subsample map made inconsistent
  python3 - "$T/enc.mp4" "$T/corrupt.mp4" <<'PY'
import struct, sys
d = bytearray(open(sys.argv[1], 'rb').read())
i = d.find(b'senc') - 4
n = struct.unpack('>I', d[i + 12:i + 16])[0]
p = i + 16
for _ in range(n):                      # movenc: 8-byte IV, flag 0x2 (subsamples)
    p += 8
    cnt = struct.unpack('>H', d[p:p + 2])[0]; p += 2
    for _ in range(cnt):
        clear, prot = struct.unpack('>HI', d[p:p + 6])
        d[p + 2:p + 6] = struct.pack('>I', prot - 1) if prot else d[p + 2:p + 6]
        p += 6
open(sys.argv[2], 'wb').write(d)
PY
  rc=0; secdec_md5 "$T/out.md5" -hwaccel secdec -c:v h264_secdec -i "$T/corrupt.mp4" || rc=$?
  [ $rc -ne 0 ] || fail "corrupt side data: exit status 0"
  grep -q "SECDEC_E_BAD_SUBSAMPLES" "$T/out.md5.err" || fail "corrupt side data: no clear message"
  [ "$(frames "$T/out.md5" | wc -l)" -eq 0 ] || fail "corrupt side data: frames written"
  echo "ok: corrupt subsample maps -> rc $rc, SECDEC_E_BAD_SUBSAMPLES, no frames"
  # 5. unusable devices
  echo x >"$T/notadir"
  rc=0; secdec_md5 "$T/out.md5" -hwaccel secdec -hwaccel_device "$T/notadir" -c:v h264_secdec -i "$T/enc.mp4" || rc=$?
  [ $rc -ne 0 ] || fail "unusable home: exit status 0"
  grep -q "Cannot open the secdec device" "$T/out.md5.err" || fail "unusable home: no clear message"
  echo "ok: -hwaccel secdec with an unusable home -> rc $rc"
  rc=0; secdec_md5 "$T/out.md5" -hwaccel secdec -hwaccel_device backend=bogus -c:v h264_secdec -i "$T/enc.mp4" || rc=$?
  [ $rc -ne 0 ] && grep -q "Unknown secdec backend 'bogus'" "$T/out.md5.err" || fail "bad backend (device)"
  rc=0; secdec_md5 "$T/out.md5" -c:v h264_secdec -backend vaapi -i "$T/enc.mp4" || rc=$?
  [ $rc -ne 0 ] && grep -q "backend 'vaapi' found no VA-API device" "$T/out.md5.err" || fail "backend vaapi"
  rc=0; secdec_md5 "$T/out.md5" -init_hw_device secdec=sd:backend=vaapi -hwaccel secdec -hwaccel_device sd \
    -c:v h264_secdec -i "$T/enc.mp4" || rc=$?
  [ $rc -ne 0 ] && grep -q "backend 'vaapi' found no VA-API device" "$T/out.md5.err" || fail "backend vaapi (-init_hw_device)"
  echo "ok: bad and unavailable backends refused with a clear message"
  # 6. -init_hw_device with home= and license= options decodes (store emptied first)
  rm -rf "$SECDEC_HOME/licenses"
  secdec_md5 "$T/out.md5" -init_hw_device "secdec=sd:home=$SECDEC_HOME,license=$T/lic.bin" \
    -hwaccel secdec -hwaccel_device sd -c:v h264_secdec -i "$T/enc.mp4" || fail "-init_hw_device license="
  expect_same "-init_hw_device secdec=sd:home=..,license=.." "$T/out.md5" "$T/clear-h264.md5"
  ;;
shaka)
  # Content from Shaka Packager (npm shaka-packager): H.264 + AAC, cenc and cbcs, Widevine and
  # PlayReady pssh only, 2-s segments. Keys from the license store, no -c:v.
  #  - DASH segments concatenated after their init segment (no sidx, 3 fragments): stock
  #    FFmpeg 5.1 pairs the first samples with the second fragment's senc (patch 0013 fixes
  #    it); the result must equal the clear file's framemd5.
  #  - on-demand fMP4 (sidx, 1-s fragments): equal to the clear file and to stock FFmpeg's own
  #    -decryption_key decode (an independent decryptor).
  shaka_packager
  install_license "$KID:$KEY"
  sysff -f lavfi -i testsrc2=size=320x240:rate=30 -f lavfi -i sine=f=440:r=48000 -t 6 \
    -c:v libx264 -g 30 -bf 2 -pix_fmt yuv420p -c:a aac -b:a 96k "$T/av.mp4"
  sysff -i "$T/av.mp4" -map 0:v -f framemd5 "$T/clear-v.md5"
  [ "$(frames "$T/clear-v.md5" | wc -l)" -eq 180 ] || fail "clear file has not 180 frames"
  for scheme in cenc cbcs; do
    shaka_dash "$T/av.mp4" "$T/dash-$scheme" $scheme
    n=$(ls "$T/dash-$scheme"/v_*.m4s | wc -l)
    [ "$n" -ge 3 ] || fail "$scheme: only $n video segments"
    grep -qi "edef8ba9-79d6-4ace-a3c8-27dcd51d21ed" "$T/dash-$scheme/m.mpd" || fail "no Widevine ContentProtection"
    grep -qi "9a04f079-9840-4286-ab92-e65be0885f95" "$T/dash-$scheme/m.mpd" || fail "no PlayReady ContentProtection"
    cat "$T/dash-$scheme/v_init.mp4" $(ls "$T/dash-$scheme"/v_*.m4s | sort -V) > "$T/vcat-$scheme.mp4"
    secdec_md5 "$T/out.md5" -hwaccel secdec -i "$T/vcat-$scheme.mp4" || fail "$scheme concatenated: ffmpeg failed: $(tail -n 3 "$T/out.md5.err")"
    expect_same "Shaka $scheme DASH segments concatenated ($n fragments, no sidx), -hwaccel secdec" "$T/out.md5" "$T/clear-v.md5"
    # for the record: stock FFmpeg's own decryption of the same file
    if ffmpeg -hide_banner -nostdin -loglevel error -decryption_key $KEY -i "$T/vcat-$scheme.mp4" \
        -map 0:v -f framemd5 - >"$T/stock.md5" 2>"$T/stock.err" &&
        diff -q <(frames "$T/stock.md5") <(frames "$T/clear-v.md5") >/dev/null; then
      echo "note: stock ffmpeg -decryption_key also decodes the concatenated $scheme file"
    else
      echo "note: stock ffmpeg -decryption_key fails on it: $(head -n 1 "$T/stock.err")"
    fi
    shaka_ondemand "$T/av.mp4" "$T/od-$scheme.mp4" $scheme
    ffmpeg -hide_banner -nostdin -loglevel error -decryption_key $KEY -i "$T/od-$scheme.mp4" \
      -f framemd5 - >"$T/stock.md5" 2>"$T/stock.err" || fail "$scheme on-demand: stock decryption failed"
    secdec_md5 "$T/out.md5" -hwaccel secdec -i "$T/od-$scheme.mp4" || fail "$scheme on-demand: ffmpeg failed"
    expect_same "Shaka $scheme on-demand, -hwaccel secdec vs the clear file" "$T/out.md5" "$T/clear-v.md5"
    expect_same "Shaka $scheme on-demand, -hwaccel secdec vs stock -decryption_key" "$T/out.md5" "$T/stock.md5"
  done
  ;;
hwaccel-alone)
  # -hwaccel secdec with no -c:v: the secure path is chosen (patch 0012), for FFmpeg's own
  # cenc output and secdec-pack cbcs, H.264 and HEVC, keys from the store.
  install_license "$KID:$KEY"
  for c in h264 hevc; do
    make_clear $c
    movenc_encrypt "$T/clear-$c.mp4" "$T/enc-$c.mp4"
    secdec_md5 "$T/out.md5" -hwaccel secdec -i "$T/enc-$c.mp4" || fail "$c: ffmpeg failed"
    expect_same "-hwaccel secdec alone, movenc cenc $c" "$T/out.md5" "$T/clear-$c.md5"
    pack $c "$T/pack-$c.mp4" --scheme cbcs
    secdec_md5 "$T/out.md5" -hwaccel secdec -i "$T/pack-$c.mp4" || fail "$c cbcs: ffmpeg failed"
    expect_same "-hwaccel secdec alone, secdec-pack cbcs $c" "$T/out.md5" "$T/clear-$c.md5"
  done
  # clear input through -hwaccel secdec: the wrapper passes clear samples on unchanged
  secdec_md5 "$T/out.md5" -hwaccel secdec -i "$T/clear-h264.mp4" || fail "clear input"
  expect_same "-hwaccel secdec alone, clear input" "$T/out.md5" "$T/clear-h264.md5"
  # the same command with no key: an error naming the KID, non-zero exit, no frame
  rm -rf "$SECDEC_HOME/licenses"
  rc=0; secdec_md5 "$T/out.md5" -hwaccel secdec -key_timeout 0 -i "$T/enc-h264.mp4" || rc=$?
  [ $rc -ne 0 ] || fail "no key: exit status 0"
  grep -qi "$KID" "$T/out.md5.err" || fail "no key: the KID is not named"
  [ "$(frames "$T/out.md5" | wc -l)" -eq 0 ] || fail "no key: frames were written"
  echo "ok: -hwaccel secdec alone without the key -> rc $rc, KID named, no frames"
  ;;
never-clear)
  # Whatever the options, a packet with encryption info is never decoded as clear (patch 0011):
  # the native decoders refuse it with an error naming the scheme and the KID.
  make_clear h264
  movenc_encrypt "$T/clear-h264.mp4" "$T/enc.mp4"
  pack h264 "$T/cbcs.mp4" --scheme cbcs
  for f in enc cbcs; do
    for opts in "" "-c:v h264" "-hwaccel none" "-threads 1" "-c:v h264 -threads 4 -thread_type frame"; do
      rc=0; secdec_md5 "$T/out.md5" $opts -i "$T/$f.mp4" || rc=$?
      [ $rc -ne 0 ] || fail "$f [$opts]: native decode of ciphertext exited 0"
      grep -q "Encrypted packet (scheme '[a-z0-9]*', KID $KID)" "$T/out.md5.err" ||
        { tail -n 5 "$T/out.md5.err" >&2; fail "$f [$opts]: the KID is not named"; }
      [ "$(frames "$T/out.md5" | wc -l)" -eq 0 ] || fail "$f [$opts]: frames decoded from ciphertext"
      echo "ok: $f.mp4 [${opts:-no options}] -> rc $rc, KID named, no frame"
    done
  done
  # Stream copy is not decoding: it still works and keeps the encryption.
  "$FF" -hide_banner -nostdin -loglevel error -i "$T/enc.mp4" -c copy -f mp4 "$T/copy.mp4" ||
    fail "stream copy of an encrypted file failed"
  echo "ok: -c copy of an encrypted file still works"
  # The demuxer decrypting with -decryption_key hands out clear packets: they decode.
  secdec_md5 "$T/out.md5" -decryption_key $KEY -i "$T/enc.mp4" || fail "-decryption_key failed"
  expect_same "stock -decryption_key (the demuxer decrypts)" "$T/out.md5" "$T/clear-h264.md5"
  ;;
*)
  fail "unknown case"
  ;;
esac
echo "$CASE: OK"
