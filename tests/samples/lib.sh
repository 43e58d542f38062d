# shellcheck shell=bash disable=SC2034
# lib.sh - shared helpers for the samples tests (sourced): content, keys, the license server.
# SPDX-License-Identifier: LGPL-2.1-or-later
set -euo pipefail
: "${SECDEC_PLAYER:?}" "${SECDEC_LICENSE_SERVER:?}" "${SECDEC_PACK:?}"
KEY=00112233445566778899aabbccddeeff
KID=0123456789abcdef0123456789abcdef
KEY2=ffeeddccbbaa99887766554433221100
KID2=fedcba9876543210fedcba9876543210
KID3=33333333333333333333333333333333
KEY3=44444444444444444444444444444444
WORK=$(mktemp -d "${SECDEC_TEST_TMP:-${TMPDIR:-/tmp}}/samples-test.XXXXXX")
SERVER_PID=
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
export HOME="$WORK/nohome"
export XDG_RUNTIME_DIR="$WORK/run"
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
unset XDG_DATA_HOME SECDEC_HOME
# counted checks: fail goes on, finish reports
. "$(dirname "${BASH_SOURCE[0]}")/../lib/checks.sh"
need() { command -v "$1" >/dev/null || { echo "SKIP: $1 not installed"; exit 77; }; }
need ffmpeg

# base64url without padding of 32 hex digits (a JWK "kid"/"k")
b64u() { xxd -r -p <<< "$1" | base64 | tr '+/' '-_' | tr -d '=\n'; }
# jwk OUT KID:KEY...: a W3C Clear Key JWK set
jwk() {
  local out=$1 sep= k; shift
  { printf '{"keys":['
    for k in "$@"; do
      printf '%s{"kty":"oct","kid":"%s","k":"%s"}' "$sep" "$(b64u "${k%%:*}")" "$(b64u "${k##*:}")"
      sep=,
    done
    printf ']}\n'; } > "$out"
}

# make_clip OUT SECONDS: 320x240 H.264 at 30 fps, keyframe every 15 frames, B-frames
make_clip() {
  ffmpeg -nostdin -v error -y -f lavfi -i "testsrc2=size=320x240:rate=30" -t "$2" \
    -c:v libx264 -g 15 -bf 2 -pix_fmt yuv420p "$1"
}

# fresh_home: an empty device identity and license store for the next player run
fresh_home() { export SECDEC_HOME; SECDEC_HOME=$(mktemp -d "$WORK/home.XXXXXX"); }

# start_server KEYFILE [options]: on a free loopback port; sets SERVER_URL, SERVER_PORT
start_server() {
  local keys=$1 i; shift
  stop_server
  "$SECDEC_LICENSE_SERVER" --keys "$keys" --port 0 "$@" > "$WORK/server.out" 2> "$WORK/server.err" &
  SERVER_PID=$!
  for i in $(seq 100); do
    SERVER_URL=$(sed -n 's/^listening on //p' "$WORK/server.out" | head -1)
    [ -n "$SERVER_URL" ] && break
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.05
  done
  [ -n "$SERVER_URL" ] || { cat "$WORK/server.err" >&2; echo "license server did not start" >&2; exit 1; }
  SERVER_PORT=${SERVER_URL##*:}; SERVER_PORT=${SERVER_PORT%/}
}
stop_server() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  SERVER_PID=
}

# play OUT ARGS...: runs the player (bounded), stdout to OUT, stderr to OUT.err; returns its status
play() {
  local out=$1 rc=0; shift
  timeout 60 "$SECDEC_PLAYER" "$@" > "$out" 2> "$out.err" < /dev/null || rc=$?
  return $rc
}

# y4m_payload FILE: the frames of a YUV4MPEG2 file (everything after the stream header)
y4m_payload() { tail -n +2 "$1"; }
# same_y4m CLEAR.mp4 PLAYER.y4m: the player's frames are the clear decode, byte for byte
same_y4m() {
  local n
  ffmpeg -nostdin -v error -y -i "$1" -f yuv4mpegpipe "$WORK/ref.y4m"
  n=$(grep -ao FRAME "$WORK/ref.y4m" | wc -l)
  [ "$n" -gt 0 ] || return 1
  if cmp -s <(y4m_payload "$WORK/ref.y4m") <(y4m_payload "$2"); then
    return 0
  fi
  echo "--- frames differ: reference $n frames, player $(grep -ao FRAME "$2" | wc -l)" >&2
  return 1
}

