#!/bin/bash
# FFmpeg 5.1 round trip: every scheme / IV variant, with and without pssh, must
# decrypt (-decryption_key) to exactly the clear file's framemd5; without the key
# no frame may match.
source "$(dirname "$0")/lib.sh"
codec=$1
make_clip "$codec" "$WORK/clear.mp4"
framemd5 "$WORK/clear.mp4" > "$WORK/clear.md5"
[ "$(grep -vc '^#' "$WORK/clear.md5")" -eq 60 ] || { echo "clear clip does not have 60 frames"; exit 1; }

variants=(
  "cenc --iv-size 8" "cenc --iv-size 16" "cens --iv-size 8" "cens --iv-size 16"
  "cbc1 --iv-size 8" "cbc1 --iv-size 16" "cbcs" "cbcs --constant-iv 000102030405060708090a0b0c0d0e0f"
)
for v in "${variants[@]}"; do
  for pssh in none both; do
    name="$codec ${v// /_} pssh=$pssh"
    out="$WORK/enc.mp4"
    # shellcheck disable=SC2086
    if ! "$SECDEC_PACK" -i "$WORK/clear.mp4" -o "$out" --scheme $v --kid $KID --key $KEY \
        --pssh $pssh --fragment-duration 0.5 --seed 7; then
      fail "$name: packaging failed"; continue
    fi
    if framemd5 "$out" -decryption_key $KEY > "$WORK/dec.md5" && cmp -s "$WORK/clear.md5" "$WORK/dec.md5"; then
      pass "$name: framemd5 identical"
    else
      fail "$name: framemd5 differs: $(head -c 300 "$WORK/ffmpeg.err")"
    fi
    framemd5 "$out" > "$WORK/nokey.md5" || true
    same=$(join -j1 <(grep -v '^#' "$WORK/clear.md5" | awk -F, '{print $6}' | sort) \
                    <(grep -v '^#' "$WORK/nokey.md5" | awk -F, '{print $6}' | sort) | wc -l)
    if [ "$same" -eq 0 ]; then pass "$name: no frame decodes without the key"
    else fail "$name: $same frames match without the key (not encrypted?)"; fi
  done
done
finish
