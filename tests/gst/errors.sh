#!/bin/bash
# errors.sh - missing key, wrong license, corrupt encryption metadata, truncated file, vaapi:
# a bus ERROR that names the cause, no hang (gst-framemd5 --timeout), no crash.
# SPDX-License-Identifier: LGPL-2.1-or-later
source "$(dirname "$0")/lib.sh"
make_clip h264 "$WORK/clear.mp4"
"$SECDEC_PACK" -i "$WORK/clear.mp4" -o "$WORK/enc.mp4" --scheme cenc --kid $KID --key $KEY --seed 1
PIPE="qtdemux ! secdecrypt key-timeout=300 ! secdech264dec ! appsink name=sink"

# expect_error NAME PATTERN [gst-framemd5 args...]: exit 2 (bus ERROR) with PATTERN in it
expect_error() {
  local name=$1 pat=$2 rc=0; shift 2
  "$GST_FRAMEMD5" --timeout 30 "$@" > "$WORK/e.txt" 2> "$WORK/e.err" || rc=$?
  if [ $rc -eq 2 ] && tr '\n' ' ' < "$WORK/e.err" | grep -q -e "$pat"; then
    pass "$name: $(grep -m1 '^ERROR' "$WORK/e.err" | cut -c1-160)"
  else
    fail "$name: exit $rc (want 2 with '$pat')"; cat "$WORK/e.err" >&2
  fi
}

# 1. no key anywhere: key-needed, then the error names the KID after key-timeout
start=$(date +%s%N)
expect_error "missing key" "No content key for KID $KID" "filesrc location=$WORK/enc.mp4 ! $PIPE"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ $ms -lt 10000 ] || fail "missing key took $ms ms"

# 2. a license for another device in the store, and one as the license property
export SECDEC_HOME="$WORK/other"; "$SECDEC_INFO" --certificate "$WORK/other.der" > /dev/null
export SECDEC_HOME="$WORK/home"; "$SECDEC_INFO" --certificate "$WORK/device.der" > /dev/null
"$SECDEC_LICENSE" issue --certificate "$WORK/other.der" --key "$KID:$KEY" --output "$WORK/foreign.lic" > /dev/null
expect_error "foreign license (property)" "No content key for KID $KID.*bound to another device\|No content key for KID $KID.*LICENSE_FOREIGN" \
  "filesrc location=$WORK/enc.mp4 ! qtdemux ! secdecrypt key-timeout=200 license=$WORK/foreign.lic ! secdech264dec ! appsink name=sink"
mkdir -p "$SECDEC_HOME/licenses"; cp "$WORK/foreign.lic" "$SECDEC_HOME/licenses/$KID.lic"; chmod 600 "$SECDEC_HOME/licenses/$KID.lic"
expect_error "foreign license (store)" "No content key for KID $KID.*license store: license bound to another device" "filesrc location=$WORK/enc.mp4 ! $PIPE"
rm -f "$SECDEC_HOME/licenses/$KID.lic"
# a license with the wrong key for the KID: decrypts to garbage -> decoder errors, no crash
"$SECDEC_LICENSE" issue --certificate "$WORK/device.der" --key "$KID:$KEY2" --output "$WORK/wrongkey.lic" > /dev/null
rc=0; "$GST_FRAMEMD5" --timeout 30 "filesrc location=$WORK/enc.mp4 ! qtdemux ! secdecrypt license=$WORK/wrongkey.lic ! secdech264dec ! appsink name=sink" > "$WORK/w.txt" 2> "$WORK/w.err" || rc=$?
if [ $rc -eq 0 ] || [ $rc -eq 2 ]; then pass "wrong content key: no crash/hang (exit $rc, $(grep '^frames' "$WORK/w.txt"))"; else fail "wrong content key: exit $rc"; fi

# 3. corrupt encryption metadata: break the subsample map in the first senc (the sum of
# clear+encrypted no longer matches the sample)
install_license "$KID:$KEY"
cp "$WORK/enc.mp4" "$WORK/badsenc.mp4"
off=$(grep -obUa senc "$WORK/badsenc.mp4" | head -1 | cut -d: -f1)
# senc: 'senc' flags(4) count(4), entry 1: IV(8) n_subsamples(2) clear(2) enc(4): change a
# byte of the first subsample's encrypted count
pos=$((off + 4 + 4 + 4 + 8 + 2 + 2 + 3))
b=$(od -An -tu1 -j $pos -N1 "$WORK/badsenc.mp4" | tr -d ' ')
printf "\\x$(printf '%02x' $((b ^ 0x40)))" | dd of="$WORK/badsenc.mp4" bs=1 seek=$pos conv=notrunc status=none
cmp -s "$WORK/enc.mp4" "$WORK/badsenc.mp4" && fail "damaged senc: file unchanged"
expect_error "damaged senc" "Corrupt encryption metadata\|subsample" "filesrc location=$WORK/badsenc.mp4 ! $PIPE"

# 4. truncated file: half of it
head -c $(( $(stat -c %s "$WORK/enc.mp4") / 2 )) "$WORK/enc.mp4" > "$WORK/trunc.mp4"
rc=0; "$GST_FRAMEMD5" --timeout 30 "filesrc location=$WORK/trunc.mp4 ! $PIPE" > "$WORK/t.txt" 2> "$WORK/t.err" || rc=$?
# qtdemux 1.22 just ends a truncated fragmented file with EOS; secdecrypt compares where the
# samples stopped with the duration the demuxer announced and warns on the bus
if [ $rc -eq 2 ] && grep -q ERROR "$WORK/t.err"; then pass "truncated file: $(grep -m1 '^ERROR' "$WORK/t.err" | cut -c1-160)"
elif [ $rc -eq 0 ] && grep -q "WARNING: from secdecrypt.*probably truncated" "$WORK/t.err"; then
  pass "truncated file: $(grep -m1 '^WARNING' "$WORK/t.err" | cut -d'|' -f1), $(grep '^frames' "$WORK/t.txt")"
else fail "truncated file: exit $rc, no error or truncation warning"; cat "$WORK/t.err" >&2; fi
# ... and says nothing about a complete file
rc=0; "$GST_FRAMEMD5" --timeout 30 "filesrc location=$WORK/enc.mp4 ! $PIPE" > "$WORK/t.txt" 2> "$WORK/t.err" || rc=$?
if [ $rc -eq 0 ] && ! grep -q "truncated" "$WORK/t.err"; then pass "complete file: no truncation warning"
else fail "complete file: exit $rc or a false truncation warning"; cat "$WORK/t.err" >&2; fi

# 5. the hardware seam: vaapi is refused clearly (no VA device here: the test driver is not set)
expect_error "backend=vaapi (decoder)" "backend=vaapi, but secdecrypt decrypted the sample in software" \
  "filesrc location=$WORK/enc.mp4 ! qtdemux ! secdecrypt ! secdech264dec backend=vaapi ! appsink name=sink"
expect_error "backend=vaapi (secdecrypt)" "backend is not available" \
  "filesrc location=$WORK/enc.mp4 ! qtdemux ! secdecrypt backend=vaapi ! secdech264dec ! appsink name=sink"
finish
