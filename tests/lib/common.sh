# shellcheck shell=bash disable=SC2034
# common.sh - helpers shared by the shell tests (sourced; tests/README.md): the test keys, a
# private temporary directory, fail, the system ffmpeg, framemd5 frame lines, secdec-pack with
# the test key, installing a license for this device. Source it as
#   . "$(dirname "$0")/../lib/common.sh"
# fail() ends the script with the message (CASE, when set, names the case); tests/gst/lib.sh
# replaces it with one that counts failures and lets the script go on.
# SPDX-License-Identifier: LGPL-2.1-or-later

# The test content keys (also tests/gst/test_gst_elements.h).
KID=0123456789abcdef0123456789abcdef
KEY=00112233445566778899aabbccddeeff
KID2=fedcba9876543210fedcba9876543210
KEY2=ffeeddccbbaa99887766554433221100
KEYS=$KID:$KEY,$KID2:$KEY2

# make_tmpdir PREFIX: T = a new directory below $SECDEC_TEST_TMP (else $TMPDIR, else /tmp),
# removed when the script exits.
make_tmpdir() {
  T=$(mktemp -d "${SECDEC_TEST_TMP:-${TMPDIR:-/tmp}}/$1.XXXXXX")
  trap 'rm -rf "$T"' EXIT
}

fail() { echo "FAIL${CASE:+ ($CASE)}: $*" >&2; exit 1; }

# the system ffmpeg, quiet, overwriting
sysff() { ffmpeg -hide_banner -loglevel error -nostdin -y "$@"; }

# frames FILE: the frame lines of a framemd5 (its header names the libavformat version)
frames() { grep -v '^#' "$1" || true; }

# pack CODEC OUT ARGS...: secdec-pack $T/clear-CODEC.mp4 to OUT with KID/KEY (seed 7)
pack() {
  local c=$1 out=$2; shift 2
  "$SECDEC_PACK" -i "$T/clear-$c.mp4" -o "$out" --kid "$KID" --key "$KEY" --seed 7 "$@" ||
    fail "secdec-pack $*"
}

# install_license KID:KEY...: issue a license for this device ($SECDEC_HOME) and install it in
# its store
install_license() {
  local args=() k
  for k in "$@"; do args+=(--key "$k"); done
  "$SECDEC_INFO" --certificate "$T/device.der" >/dev/null
  "$SECDEC_LICENSE" issue --certificate "$T/device.der" "${args[@]}" --output "$T/lic.bin" >/dev/null
  "$SECDEC_LICENSE" install "$T/lic.bin" >/dev/null
}
