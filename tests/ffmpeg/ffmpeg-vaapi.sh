#!/usr/bin/env bash
# h264_secdec / hevc_secdec with -backend vaapi against the test VA driver (tests/vadriver, no
# GPU): libavcodec's VA-API hwaccel decodes the still-encrypted samples on libsecdec-vaapi's
# wrapped display; the driver's fake TEE decrypts each slice data buffer and logs its SHA-256,
# which must equal the SHA-256 of the clear file's slice NALs (clear-slices.py), in order.
# Usage: ffmpeg-vaapi.sh CASE (h264 | hevc | fallback | faults | lost | auto) with FFMPEG_SECDEC,
# SECDEC_PACK, SECDEC_INFO, SECDEC_LICENSE, LIBVA_DRIVERS_PATH, SECDEC_VA_TEST_DRIVER and
# SECDEC_BACKEND_PATH in the environment.
set -euo pipefail
CASE=$1
FF=${FFMPEG_SECDEC:?}
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib/common.sh"
make_tmpdir ffmpeg-vaapi
. "$HERE/../lib/vaapi-env.sh"

make_clear() {   # codec -> $T/clear-<codec>.mp4, .md5, .annexb and its slice hashes .sha
  local c=$1
  make_clear_slices "$c"
  "$HERE/clear-slices.py" $c <"$T/clear-$c.annexb" >"$T/clear-$c.sha"
  [ "$(wc -l <"$T/clear-$c.sha")" -ge 60 ] || fail "clear $c: fewer than 60 slices"
}

# run_va OUT ARGS... : the patched ffmpeg with -backend vaapi to framemd5, fresh driver log
run_va() {
  local out=$1; shift
  rm -f "$SECDEC_TEST_DRV_LOG"
  "$FF" -hide_banner -nostdin -loglevel verbose "$@" -f framemd5 - >"$out" 2>"$out.err"
}

check_slices() {   # label codec : every slice decrypted by the TEE, bit-exact, in order
  local label=$1 c=$2
  [ -s "$SECDEC_TEST_DRV_LOG" ] || fail "$label: the driver logged nothing"
  if grep -q '^error' "$SECDEC_TEST_DRV_LOG"; then
    grep '^error' "$SECDEC_TEST_DRV_LOG" | head -n 3 >&2; fail "$label: the driver logged errors"
  fi
  local n_enc; n_enc=$(grep -c '^slice enc ' "$SECDEC_TEST_DRV_LOG" || true)
  if ! diff <(sed 's/^slice \(enc\|clear\) /slice /' "$SECDEC_TEST_DRV_LOG") "$T/clear-$c.sha" >"$T/diff"; then
    head -n 6 "$T/diff" >&2
    fail "$label: the driver's decrypted slices differ from the clear slices"
  fi
  echo "ok: $label: $(wc -l <"$T/clear-$c.sha") slices bit-exact in the TEE ($n_enc decrypted there)"
}

check_frames() {   # label out codec : as many frames as the clear file, VA-API path used
  local label=$1 out=$2 c=$3
  [ "$(frames "$out" | wc -l)" -eq "$(frames "$T/clear-$c.md5" | wc -l)" ] ||
    fail "$label: $(frames "$out" | wc -l) frames, expected $(frames "$T/clear-$c.md5" | wc -l)"
  grep -q "Decoding through the VA-API hwaccel" "$out.err" || fail "$label: VA-API path not taken"
  grep -q "Falling back" "$out.err" && fail "$label: fell back to software"
  return 0
}

no_crash() {   # label rc errfile : a clean exit, no sanitizer report (ASan exits 1 too)
  [ "$2" -lt 124 ] || fail "$1: crashed or hung (rc $2)"
  if grep -Eq "ERROR: (Address|Leak)Sanitizer|runtime error:" "$3"; then
    grep -E -m 3 "Sanitizer|runtime error:" "$3" >&2; fail "$1: sanitizer report"
  fi
  return 0
}

keyframes() {   # file -> decode-order indices of the keyframes, one per line
  ffprobe -v error -select_streams v:0 -show_entries packet=flags -of csv=p=0 "$1" |
    awk '/^K/ { print NR - 1 }'
}

# lost LABEL CODEC N ARGS... : the TEE loses every session when protected picture N (decode
# order, from 0) ends; the decoder must recover (new sessions, keys again), keep what it had
# decoded before, drop what depends on the lost picture up to the next keyframe and resume
# there with every slice decrypted bit-exactly again.
lost() {
  local label=$1 c=$2 n=$3; shift 3
  local total; total=$(frames "$T/clear-$c.md5" | wc -l)
  run_va "$T/ref.md5" -c:v ${c}_secdec -backend vaapi "$@" -i "$T/enc.mp4" ||
    { tail -n 5 "$T/ref.md5.err" >&2; fail "$label: reference decode failed"; }
  [ "$(frames "$T/ref.md5" | wc -l)" -eq "$total" ] || fail "$label: reference decode incomplete"
  local rc=0
  SECDEC_TEST_DRV_LOSE_AFTER=$n run_va "$T/out.md5" -c:v ${c}_secdec -backend vaapi "$@" \
    -i "$T/enc.mp4" || rc=$?
  no_crash "$label" $rc "$T/out.md5.err"
  [ $rc -eq 0 ] || { tail -n 5 "$T/out.md5.err" >&2; fail "$label: ffmpeg failed (rc $rc)"; }
  grep -q '^event power-loss' "$SECDEC_TEST_DRV_LOG" || fail "$label: no power event in the driver log"
  grep -q "The protected session lost its keys (CheckCryptoSessionStatus: KEY_LOST" "$T/out.md5.err" ||
    fail "$label: the loss is not logged"
  local re="Recovered from the lost protected session (recovery 1): new crypto sessions, key"
  grep -q "$re exchange and content keys loaded again" "$T/out.md5.err" ||
    fail "$label: no recovery logged"
  local msg d x y
  re="Dropped \([0-9]*\) pictures after the protected session lost its keys (recovery 1): "
  re+="\([0-9]*\) the decoder had not output when the picture failed and \([0-9]*\) up to the "
  msg=$(grep -o "${re}next keyframe" "$T/out.md5.err") ||
    fail "$label: the dropped pictures are not logged"
  read -r d x y < <(echo "$msg" | sed "s/${re}next keyframe/\1 \2 \3/")
  # what the content predicts: resume at the first keyframe after picture n; the pictures in
  # between are dropped; the decoder may also lose the picture it had selected for output
  local k; k=$(keyframes "$T/clear-$c.mp4" | awk -v n="$n" '$1 > n { print; exit }')
  [ -n "$k" ] || fail "$label: no keyframe after picture $n in the test content"
  [ "$y" -eq $((k - n - 1)) ] || fail "$label: $y pictures skipped, expected $((k - n - 1)) (keyframe $k)"
  [ "$x" -ge 1 ] && [ "$x" -le 2 ] || fail "$label: $x pictures lost inside the decoder (1..2 expected)"
  [ "$d" -eq $((x + y)) ] || fail "$label: dropped count $d is not $x + $y"
  "$HERE/clear-slices.py" $c --pictures "$k" <"$T/clear-$c.annexb" >"$T/after.pics"
  local after expect got
  after=$(wc -l <"$T/after.pics")
  expect=$((n - (x - 1) + after))
  got=$(frames "$T/out.md5" | wc -l)
  [ "$got" -eq "$expect" ] || fail "$label: $got frames, expected $expect ($n before the loss," \
    "$((x - 1)) lost in the decoder, $after from keyframe $k on)"
  # every frame output is the picture a decode without the loss gives at that pts
  if ! awk -F', *' 'NR == FNR { if ($0 !~ /^#/) ref[$3 " " $6] = 1; next }
                    $0 !~ /^#/ && !(($3 " " $6) in ref) { print; bad = 1 } END { exit bad }' \
       "$T/ref.md5" "$T/out.md5" >"$T/bad"; then
    head -n 3 "$T/bad" >&2; fail "$label: frames that a decode without the loss does not give"
  fi
  # the driver's log: the slices before the loss, the failed picture, then from keyframe k on
  # every slice decrypted in the TEE and equal to the clear slice
  local log=$SECDEC_TEST_DRV_LOG
  sed -n '/^event power-loss/q; p' "$log" >"$T/rest"
  grep '^error' "$T/rest" >"$T/errs" &&
    { head -n 3 "$T/errs" >&2; fail "$label: the driver logged errors before the loss"; }
  grep '^slice ' "$T/rest" | sed 's/^slice \(enc\|clear\) /slice /' >"$T/before"
  sed -n '/^event power-loss/,$p' "$log" | sed 1d >"$T/rest"
  grep '^error' "$T/rest" | grep -vx 'error session-lost' >"$T/errs" &&
    { head -n 3 "$T/errs" >&2; fail "$label: the driver logged other errors after the loss"; }
  grep -q '^slice clear' "$T/rest" && fail "$label: slices after the recovery were not decrypted in the TEE"
  grep '^slice ' "$T/rest" | sed 's/^slice enc /slice /' >"$T/after"
  "$HERE/clear-slices.py" $c 0 "$n" <"$T/clear-$c.annexb" | diff - "$T/before" >"$T/diff" ||
    { head -n 4 "$T/diff" >&2; fail "$label: the slices before the loss differ"; }
  "$HERE/clear-slices.py" $c "$k" <"$T/clear-$c.annexb" | diff - "$T/after" >"$T/diff" ||
    { head -n 4 "$T/diff" >&2; fail "$label: the slices after the recovery differ from the clear slices"; }
  echo "ok: $label: loss at picture $n, recovered, $d dropped ($x in the decoder, $y to" \
    "keyframe $k), $got of $total frames, $(wc -l <"$T/after") slices bit-exact after the recovery"
}

# lost_fail LABEL CODEC FAULT ARGS... : the n-th FAULT call (the fault knob) fails during the
# recovery, for the smallest n that lets decoding reach the power event: a clean error exit
lost_fail() {
  local label=$1 c=$2 f=$3; shift 3
  for i in $(seq 1 16); do
    local rc=0
    rm -f "$SECDEC_TEST_DRV_LOG"
    SECDEC_TEST_DRV_LOSE_AFTER=5 SECDEC_TEST_DRV_FAIL=$f:$i timeout 120 \
      "$FF" -hide_banner -nostdin -loglevel verbose -c:v ${c}_secdec -backend vaapi "$@" \
      -i "$T/enc.mp4" -f framemd5 - >"$T/out.md5" 2>"$T/out.md5.err" || rc=$?
    no_crash "$label ($f:$i)" $rc "$T/out.md5.err"
    grep -q "Cannot recover from the lost protected session" "$T/out.md5.err" || continue
    [ $rc -ne 0 ] || fail "$label ($f:$i): the recovery failed but ffmpeg exited 0"
    grep -q '^event power-loss' "$SECDEC_TEST_DRV_LOG" || fail "$label ($f:$i): no power event"
    grep -q "needs a content key that is not available: stopping" "$T/out.md5.err" ||
      fail "$label ($f:$i): ffmpeg did not stop"
    echo "ok: $label: $f:$i fails the recovery -> rc $rc:" \
      "$(grep -o "Cannot recover from the lost protected session: [^.]*" "$T/out.md5.err")"
    return 0
  done
  fail "$label: no $f call made the recovery fail"
}

decode_variants() {   # codec variants...
  local c=$1; shift
  for v in "$@"; do
    set -- $v
    case $2 in
      const) pack "$c" "$T/enc.mp4" --scheme "$1" --constant-iv 0f0e0d0c0b0a09080706050403020100 ;;
      rot) pack "$c" "$T/enc.mp4" --scheme "$1" --kid2 $KID2 --key2 $KEY2 --rotate-at 1 ;;
      lead) pack "$c" "$T/enc.mp4" --scheme "$1" --clear-lead 1 ;;
      *) pack "$c" "$T/enc.mp4" --scheme "$1" --iv-size "$2" ;;
    esac
    run_va "$T/out.md5" -c:v ${c}_secdec -backend vaapi -keys "$KEYS" -i "$T/enc.mp4" ||
      { tail -n 5 "$T/out.md5.err" >&2; fail "$c $v: ffmpeg failed"; }
    check_frames "$c $1 $2" "$T/out.md5" "$c"
    check_slices "$c $1 $2" "$c"
  done
}

case $CASE in
h264)
  make_clear h264
  decode_variants h264 "cenc 8" "cenc 16" "cens 16" "cbc1 16" "cbcs 16" "cbcs const" \
    "cenc rot" "cbcs rot" "cenc lead"
  # control: the encrypted file decoded without the TEE (no encryption parameters) must not
  # give the clear slices — the test content really is encrypted
  pack h264 "$T/enc.mp4" --scheme cenc --iv-size 8
  run_va "$T/out.md5" -c:v h264 -i "$T/enc.mp4" || true
  if [ -s "$SECDEC_TEST_DRV_LOG" ] && diff -q <(sed 's/^slice clear /slice /' "$SECDEC_TEST_DRV_LOG") "$T/clear-h264.sha" >/dev/null; then
    fail "control: slices were already clear"
  fi
  echo "ok: control: the packed file is encrypted"
  ;;
hevc)
  make_clear hevc
  decode_variants hevc "cenc 8" "cbcs 16" "cenc rot"
  ;;
fallback)
  # FFmpeg's own cenc-aes-ctr output encrypts the slice headers: software fallback, logged,
  # frames identical to the clear file's.
  for c in h264 hevc; do
    make_clear $c
    sysff -i "$T/clear-$c.mp4" -c copy -encryption_scheme cenc-aes-ctr -encryption_key $KEY \
      -encryption_kid $KID "$T/enc.mp4"
    run_va "$T/out.md5" -c:v ${c}_secdec -backend vaapi -keys "$KID:$KEY" -i "$T/enc.mp4" ||
      { tail -n 5 "$T/out.md5.err" >&2; fail "$c fallback: ffmpeg failed"; }
    grep -q "VA-API decode is not possible for this content: .*Falling back to the software backend" \
      "$T/out.md5.err" || fail "$c fallback: reason not logged"
    diff -q <(frames "$T/out.md5") <(frames "$T/clear-$c.md5") >/dev/null ||
      fail "$c fallback: framemd5 differs from the clear file"
    if grep -q '^slice enc' "$SECDEC_TEST_DRV_LOG" 2>/dev/null; then fail "$c fallback: VA-API decoded"; fi
    echo "ok: $c ffmpeg cenc-aes-ctr -> software fallback ($(frames "$T/out.md5" | wc -l) frames identical)"
  done
  ;;
faults)
  make_clear h264
  pack h264 "$T/enc.mp4" --scheme cbcs
  for f in vaEndPicture:3 vaAttachProtectedSession vaCreateContext; do
    rc=0
    SECDEC_TEST_DRV_FAIL=$f run_va "$T/out.md5" -c:v h264_secdec -backend vaapi -keys "$KEYS" \
      -i "$T/enc.mp4" || rc=$?
    [ $rc -lt 128 ] || fail "fault $f: crashed (rc $rc)"
    n=$(frames "$T/out.md5" | wc -l)
    total=$(frames "$T/clear-h264.md5" | wc -l)
    [ "$rc" -ne 0 ] || [ "$n" -lt "$total" ] || fail "fault $f: no effect (rc 0, $n frames)"
    grep -Eq "VA-API protected decode: |hardware accelerator failed|Failed to|cannot attach|VA-API hwaccel cannot" \
      "$T/out.md5.err" || { tail -n 5 "$T/out.md5.err" >&2; fail "fault $f: no error message"; }
    if [ "$f" = vaAttachProtectedSession ]; then
      grep -q "VA-API protected decode: cannot attach the protected session" "$T/out.md5.err" ||
        fail "fault $f: the reason is not logged"
    fi
    echo "ok: fault $f -> rc $rc, $n of $total frames, error logged: $(grep -Eo "VA-API protected decode: [^.]*|hardware accelerator failed[^.]*|Failed to [^:]*|VA-API hwaccel cannot[^(]*" "$T/out.md5.err" | head -n 1)"
  done
  ;;
lost)
  # power event (SECDEC_TEST_DRV_LOSE_AFTER): Direct3D-style recovery, keys from -keys, a
  # license file or the license store
  command -v ffprobe >/dev/null || fail "ffprobe not installed"
  "$SECDEC_INFO" --certificate "$T/tee.der" >/dev/null || fail "secdec-info --certificate"
  "$SECDEC_LICENSE" issue --certificate "$T/tee.der" --key "$KID:$KEY" --output "$T/lic.bin" \
    >/dev/null || fail "secdec-license issue"
  for c in h264 hevc; do
    make_clear $c
    pack $c "$T/enc.mp4" --scheme cenc --iv-size 8
    lost "$c cenc -keys" $c 5 -keys "$KEYS"
    pack $c "$T/enc.mp4" --scheme cbcs
    lost "$c cbcs -keys" $c 5 -keys "$KEYS"
    lost "$c cbcs -license" $c 12 -license "$T/lic.bin"
    # the store (secdec-license install cannot check a license on a VA-API device: the
    # session key is in the TEE, so the file is put where the store looks)
    mkdir -p "$SECDEC_HOME/licenses"
    cp "$T/lic.bin" "$SECDEC_HOME/licenses/$KID.lic"
    lost "$c cbcs license store" $c 20
    rm -r "$SECDEC_HOME/licenses"
  done
  # recovery impossible: the new key exchange or the new protected session fails
  pack h264 "$T/enc.mp4" --scheme cbcs
  lost_fail "h264 cbcs -keys, key exchange" h264 KEY_EXCHANGE -keys "$KEYS"
  pack hevc "$T/enc.mp4" --scheme cenc --iv-size 8
  lost_fail "hevc cenc -license, protected session" hevc vaCreateProtectedSession -license "$T/lic.bin"
  ;;
auto)
  # backend selection: auto takes the VA device when it can decrypt the stream, else software;
  # vaapi without a usable device is an error
  mkdir -p "$T/no-drivers"
  for c in h264 hevc; do
    make_clear $c
    pack $c "$T/enc.mp4" --scheme cbcs
    run_va "$T/out.md5" -c:v ${c}_secdec -backend auto -keys "$KEYS" -i "$T/enc.mp4" ||
      { tail -n 5 "$T/out.md5.err" >&2; fail "$c auto: ffmpeg failed"; }
    check_frames "$c auto, test driver" "$T/out.md5" $c
    check_slices "$c auto, test driver" $c
    # no VA device at all
    LIBVA_DRIVERS_PATH=$T/no-drivers run_va "$T/out.md5" -c:v ${c}_secdec -backend auto \
      -keys "$KEYS" -i "$T/enc.mp4" || { tail -n 5 "$T/out.md5.err" >&2; fail "$c auto, no VA device: ffmpeg failed"; }
    grep -q "no VA-API protected-content device: software backend" "$T/out.md5.err" ||
      fail "$c auto, no VA device: the software backend is not logged"
    grep -q "Decoding through the VA-API hwaccel" "$T/out.md5.err" && fail "$c auto, no VA device: VA-API used"
    diff -q <(frames "$T/out.md5") <(frames "$T/clear-$c.md5") >/dev/null ||
      fail "$c auto, no VA device: framemd5 differs from the clear file"
    echo "ok: $c auto, no VA device -> software ($(frames "$T/out.md5" | wc -l) frames identical)"
    rc=0
    LIBVA_DRIVERS_PATH=$T/no-drivers run_va "$T/out.md5" -c:v ${c}_secdec -backend vaapi \
      -keys "$KEYS" -i "$T/enc.mp4" || rc=$?
    no_crash "$c vaapi, no VA device" $rc "$T/out.md5.err"
    [ $rc -ne 0 ] || fail "$c vaapi, no VA device: ffmpeg exited 0"
    [ "$(frames "$T/out.md5" | wc -l)" -eq 0 ] || fail "$c vaapi, no VA device: frames written"
    grep -q "The secdec backend 'vaapi' found no VA-API device with protected content" \
      "$T/out.md5.err" || fail "$c vaapi, no VA device: no clear error"
    echo "ok: $c vaapi, no VA device -> rc $rc, error logged"
  done
  # a VA device that cannot decrypt this profile or scheme (SECDEC_TEST_DRV_NO_ENCRYPTION)
  for v in "hevc cbcs hevc HEVC Main" "h264 cbcs cbc H.264" "h264 cenc ctr H.264"; do
    set -- $v
    c=$1 scheme=$2 knob=$3; shift 3
    what="'$scheme' (AES-128-$([ $scheme = cenc ] && echo CTR || echo CBC)) for $*"
    pack $c "$T/enc.mp4" --scheme $scheme
    SECDEC_TEST_DRV_NO_ENCRYPTION=$knob run_va "$T/out.md5" -c:v ${c}_secdec -keys "$KEYS" \
      -i "$T/enc.mp4" || { tail -n 5 "$T/out.md5.err" >&2; fail "$c $scheme, no $knob: ffmpeg failed"; }
    re="VA-API decode is not possible for this content: the VA-API device cannot decrypt $what"
    grep -q "$re: .*UNSUPPORTEDCRYPTO.*Falling back to the software backend" "$T/out.md5.err" ||
      fail "$c $scheme, no $knob: the fallback and its reason are not logged"
    diff -q <(frames "$T/out.md5") <(frames "$T/clear-$c.md5") >/dev/null ||
      fail "$c $scheme, no $knob: framemd5 differs from the clear file"
    if grep -q '^slice enc' "$SECDEC_TEST_DRV_LOG" 2>/dev/null; then fail "$c $scheme, no $knob: VA-API decoded"; fi
    echo "ok: $c $scheme, VA device without $knob encryption, auto -> software ($(frames "$T/out.md5" | wc -l) frames identical)"
    rc=0
    SECDEC_TEST_DRV_NO_ENCRYPTION=$knob run_va "$T/out.md5" -c:v ${c}_secdec -backend vaapi \
      -keys "$KEYS" -i "$T/enc.mp4" || rc=$?
    no_crash "$c $scheme, no $knob, vaapi" $rc "$T/out.md5.err"
    [ $rc -ne 0 ] || fail "$c $scheme, no $knob, vaapi: ffmpeg exited 0"
    [ "$(frames "$T/out.md5" | wc -l)" -eq 0 ] || fail "$c $scheme, no $knob, vaapi: frames written"
    [ "$(grep -c "The VA-API backend was requested, but the VA-API device cannot decrypt $what" "$T/out.md5.err")" -eq 1 ] ||
      fail "$c $scheme, no $knob, vaapi: the error is not logged once"
    echo "ok: $c $scheme, VA device without $knob encryption, vaapi -> rc $rc, error logged"
  done
  # the knob is specific: the same device decrypts the other scheme through VA-API
  pack h264 "$T/enc.mp4" --scheme cenc --iv-size 8
  SECDEC_TEST_DRV_NO_ENCRYPTION=cbc run_va "$T/out.md5" -c:v h264_secdec -keys "$KEYS" \
    -i "$T/enc.mp4" || { tail -n 5 "$T/out.md5.err" >&2; fail "h264 cenc, no cbc: ffmpeg failed"; }
  check_frames "h264 cenc, VA device without cbc, auto" "$T/out.md5" h264
  check_slices "h264 cenc, VA device without cbc, auto" h264
  ;;
*) fail "unknown case" ;;
esac
