# shellcheck shell=bash
# shaka.sh - content from an independent packager: Shaka Packager's Linux binary, from the npm
# package `shaka-packager` (installed here on first use, never vendored). Sourced after
# common.sh.
#   shaka_packager          sets SHAKA to the binary; installs shaka-packager@$SHAKA_VERSION
#                           with npm into $SECDEC_TEST_CACHE (meson: <build>/test-cache) once
#   shaka_dash SRC OUT SCHEME [STREAMS]
#                           DASH of SRC into directory OUT: init segments + 2-s media segments
#                           (v_init.mp4 v_1.m4s ..., a_init.mp4 a_1.m4s ...), manifest m.mpd,
#                           KID/KEY, SCHEME (cenc|cbcs), Widevine + PlayReady pssh, no clear
#                           lead; STREAMS "video" or "video audio" (default)
#   shaka_ondemand SRC OUT SCHEME
#                           one fragmented MP4 of SRC's video (sidx, 1-s fragments)
# Set SHAKA_PACKAGER to use another binary.
# SPDX-License-Identifier: LGPL-2.1-or-later

SHAKA_VERSION=3.4.2

shaka_packager() {
  if [ -n "${SHAKA_PACKAGER:-}" ]; then SHAKA=$SHAKA_PACKAGER; return 0; fi
  local dir=${SECDEC_TEST_CACHE:?SECDEC_TEST_CACHE not set}/shaka-packager-$SHAKA_VERSION
  SHAKA=$dir/node_modules/shaka-packager/bin/packager-linux-x64
  if [ ! -x "$SHAKA" ]; then
    command -v npm >/dev/null || fail "npm is missing (scripts/install-deps.sh installs it)"
    mkdir -p "$dir"
    # one install per cache, whichever test gets here first; npm's own cache stays inside
    ( flock 9
      [ -x "$SHAKA" ] || npm_config_cache="$dir/npm-cache" npm install --prefix "$dir" \
        --no-audit --no-fund --no-save --loglevel=error "shaka-packager@$SHAKA_VERSION" >&2
    ) 9>"$dir.lock" || fail "npm install shaka-packager@$SHAKA_VERSION failed"
  fi
  "$SHAKA" --version >/dev/null 2>&1 || fail "$SHAKA does not run"
}

shaka_dash() {
  local src=$1 out=$2 scheme=$3 streams=${4:-video audio} args=() s p
  mkdir -p "$out"
  for s in $streams; do
    p=${s:0:1}
    args+=("in=$src,stream=$s,init_segment=$out/${p}_init.mp4,segment_template=$out/${p}_\$Number\$.m4s")
  done
  "$SHAKA" "${args[@]}" --enable_raw_key_encryption \
    --keys "label=:key_id=$KID:key=$KEY" --protection_scheme "$scheme" \
    --protection_systems Widevine,PlayReady --clear_lead 0 --segment_duration 2 \
    --mpd_output "$out/m.mpd" >"$out/packager.log" 2>&1 ||
    { tail -n 5 "$out/packager.log" >&2; fail "shaka packager ($scheme)"; }
}

shaka_ondemand() {
  local src=$1 out=$2 scheme=$3
  "$SHAKA" "in=$src,stream=video,output=$out" --enable_raw_key_encryption \
    --keys "label=:key_id=$KID:key=$KEY" --protection_scheme "$scheme" \
    --protection_systems Widevine,PlayReady --clear_lead 0 --fragment_duration 1 \
    --segment_duration 2 >"$out.log" 2>&1 ||
    { tail -n 5 "$out.log" >&2; fail "shaka packager on-demand ($scheme)"; }
}
