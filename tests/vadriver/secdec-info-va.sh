#!/bin/sh
# secdec-info against the VA test driver: lists the device and what it supports, and uses it.
set -eu
INFO=$1
H=$(mktemp -d "${SECDEC_TEST_TMP:-/tmp}/info-va.XXXXXX")
trap 'rm -rf "$H"' EXIT
O=$(SECDEC_VA_TEST_DRIVER=secdec_test SECDEC_HOME=$H "$INFO" --allow-unlocked-memory)
fail() { echo "FAIL: $*"; echo "$O"; exit 1; }
echo "$O" | grep -q "test driver secdec_test: secdec test VA driver" || fail "device not listed"
echo "$O" | grep -q "protected content : AES-128 CTR CBC, subsample; secdec TEE protocol: yes" || fail "pc caps"
echo "$O" | grep -q "D3D11_DECODER_PROFILE_HEVC_VLD_MAIN *: cenc/cens (CTR) cbcs/cbc1 (CBC)" || fail "HEVC"
echo "$O" | grep -q "vaapi     : available (in use)" || fail "backend not in use"
echo "$O" | grep -q "subject : /CN=secdec test VA TEE" || fail "TEE certificate"
echo "$O" | grep -q "key exchange: RSAES_OAEP, HW_PROTECTION" || fail "key exchanges"
# without the test driver (and no GPU): software, and VA-API not available
if [ ! -e /dev/dri ]; then
  O=$(SECDEC_VA_TEST_DRIVER= SECDEC_HOME=$H "$INFO" --allow-unlocked-memory)
  echo "$O" | grep -q "vaapi     : not available" || fail "vaapi should be unavailable"
  echo "$O" | grep -q "(none: no /dev/dri/renderD\* and no \$SECDEC_VA_TEST_DRIVER)" || fail "no devices"
fi
echo PASS
