#!/bin/bash
# roundtrip.sh INFO LICENSE - export certificate, issue (--key, --jwk, PEM), show, check,
# install, list; foreign device; tampered and truncated licenses.
# SPDX-License-Identifier: LGPL-2.1-or-later
set -euo pipefail
INFO=$1
LIC=$2
. "$(dirname "$0")/lib.sh"

H1=$TMP/home1
H2=$TMP/home2
O=$TMP/out

# --- secdec-info ---------------------------------------------------------------------------
run_expect 0 "$O" "$INFO" --home "$H1"
assert_grep "libsecdec version" "$O"
assert_grep "software  : available (in use)" "$O"
assert_grep "vaapi     : not available" "$O"
assert_grep "home          : $H1" "$O"
assert_grep "secret memory : locked" "$O"
assert_grep "AES128_CTR {9b6bd711-4f74-41c9-9e7b-0be2d7d93b4f}" "$O"
assert_grep "H264_VLD_NOFGT    : caps 0x" "$O"
assert_grep "key exchange: RSAES_OAEP" "$O"
[ "$(filemode "$H1")" = 700 ] || fail "home mode $(filemode "$H1")"
[ "$(filemode "$H1/device.key")" = 600 ] || fail "device.key mode"
pass "secdec-info prints backends, device and caps"

export SECDEC_HOME=$H1
run_expect 0 "$O" "$INFO" --certificate "$TMP/cert1.der"
[ -s "$TMP/cert1.der" ] || fail "no certificate written"
cmp -s "$TMP/cert1.der" "$H1/device.crt" || fail "exported chain differs from device.crt"
FP1=$(openssl dgst -sha256 -r "$TMP/cert1.der" | cut -c1-64)
FP1_COLON=$(echo "$FP1" | tr a-f A-F | sed 's/../&:/g; s/:$//')
assert_grep "$FP1_COLON" "$O" "export message lacks the fingerprint"
run_expect 0 "$O" "$INFO"
assert_grep "$FP1_COLON" "$O" "info lacks the device fingerprint"
assert_grep "subject : /O=secdec" "$O"
if command -v openssl >/dev/null; then
    openssl x509 -inform DER -in "$TMP/cert1.der" -noout -subject >/dev/null ||
        fail "openssl cannot parse the exported certificate"
    openssl x509 -inform DER -in "$TMP/cert1.der" -out "$TMP/cert1.pem"
fi
run_expect 0 "$O" "$INFO" --json
if command -v python3 >/dev/null; then
    python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["device"]["home"] == sys.argv[2], d["device"]["home"]
assert d["device"]["certificate_fingerprint_sha256"] == sys.argv[3]
assert d["device"]["memory_locked"] is True
assert any(c["status"] == "SECDEC_OK" and "D3D11_KEY_EXCHANGE_RSAES_OAEP" in c["key_exchange_types"] for c in d["caps"])
assert any(c["status"] == "SECDEC_E_UNSUPPORTEDCRYPTO" and c["hresult"] == "0x8876087E" for c in d["caps"])
' "$O" "$H1" "$FP1" || fail "--json output wrong"
else
    assert_grep "\"certificate_fingerprint_sha256\" : \"$FP1\"" "$O"
fi
pass "secdec-info --certificate exports the DER chain; --json"

# A second device.
SECDEC_HOME=$H2 run_expect 0 "$O" "$INFO" --certificate "$TMP/cert2.der"
cmp -s "$TMP/cert1.der" "$TMP/cert2.der" && fail "two homes share a certificate"

# --- issue ---------------------------------------------------------------------------------
KID_A=9eb4050de44b4802932e27d75083e266
KID_A_UUID=9eb4050d-e44b-4802-932e-27d75083e266
KEY_A=166634c675823c235a4a9446fad52e4d
KID_B=00112233445566778899aabbccddeeff
KEY_B=000102030405060708090a0b0c0d0e0f
run_expect 0 "$O" "$LIC" issue --certificate "$TMP/cert1.der" \
    --key "$KID_A_UUID:$KEY_A" -k "$KID_B:$KEY_B" -o "$TMP/a.lic"
[ "$(filesize "$TMP/a.lic")" = $((302 + 2 * 32 + 32)) ] || fail "a.lic has the wrong size"
head -c 8 "$TMP/a.lic" | grep -q SECDECL1 || fail "a.lic lacks the magic"
assert_no_grep "$KEY_A" "$O"
od -An -v -tx1 "$TMP/a.lic" | tr -d ' \n' | grep -q "$KEY_A" && fail "clear key in license"
pass "issue with --key (UUID and hex KIDs)"

# W3C Clear Key JWK (web-platform-tests vector: kid ad13f9ea..., key be7df8a3...).
cat >"$TMP/keys.json" <<'JSON'
{"keys":[{"kty":"oct","alg":"A128KW","kid":"rRP56ivmmLh19QSo48zqZA","k":"vn34o2Z6ao_VZNDtgTOalQ"},
         {"kty":"oct","kid":"ESIzRFVmd4iZqrvM3e7_AA","k":"AAECAwQFBgcICQoLDA0ODw"}],
 "type":"temporary"}
JSON
run_expect 0 "$O" "$LIC" issue -c "$TMP/cert1.der" --jwk "$TMP/keys.json" -o "$TMP/j.lic"
run_expect 0 "$O" "$LIC" show "$TMP/j.lic"
assert_grep "Keys:         2" "$O"
assert_grep "KID 0: ad13f9ea2be698b875f504a8e3ccea64  ad13f9ea-2be6-98b8-75f5-04a8e3ccea64" "$O"
assert_grep "KID 1: 112233445566778899aabbccddeeff00" "$O"
# --key and --jwk together; JWK from standard input; PEM certificate; other OAEP hashes.
run_expect 0 "$O" "$LIC" issue -c "$TMP/cert1.pem" -k "$KID_A:$KEY_A" --jwk - --oaep sha256 \
    -o "$TMP/p.lic" <"$TMP/keys.json"
run_expect 0 "$O" "$LIC" show "$TMP/p.lic"
assert_grep "Keys:         3" "$O"
assert_grep "OAEP hash:    sha256" "$O"
run_expect 0 "$O" "$LIC" issue -c "$TMP/cert1.der" -k "$KID_B:$KEY_B" --oaep sha1 -o "$TMP/s1.lic"
pass "issue with --jwk, stdin, PEM, sha256/sha1"

# Bad JWK sets fail cleanly with a message (exit 1, nothing written).
bad_jwk() {
    printf '%s' "$1" >"$TMP/bad.json"
    rm -f "$TMP/bad.lic"
    run_expect 1 "$O" "$LIC" issue -c "$TMP/cert1.der" --jwk "$TMP/bad.json" -o "$TMP/bad.lic"
    assert_grep "$2" "$O"
    [ ! -e "$TMP/bad.lic" ] || fail "license written despite bad JWK"
}
bad_jwk '{"keys":[' "invalid JSON"
bad_jwk '[1,2]' "top level must be a JSON object"
bad_jwk '{"kids":[]}' 'no "keys" member'
bad_jwk '{"keys":[]}' "has no keys"
bad_jwk '{"keys":[{"kty":"RSA","kid":"rRP56ivmmLh19QSo48zqZA","k":"vn34o2Z6ao_VZNDtgTOalQ"}]}' '"kty" must be "oct"'
bad_jwk '{"keys":[{"kid":"rRP56ivmmLh19QSo48zqZA","k":"vn34o2Z6ao_VZNDtgTOalQ"}]}' 'missing "kty"'
bad_jwk '{"keys":[{"kty":"oct","kid":"rRP56ivmmLh19QSo48zqZA==","k":"vn34o2Z6ao_VZNDtgTOalQ"}]}' "padding"
bad_jwk '{"keys":[{"kty":"oct","kid":"rRP56ivmmLh19QSo48zqZA","k":"vn34o2Z6ao/VZNDtgTOalQ"}]}' "not valid base64url"
bad_jwk '{"keys":[{"kty":"oct","kid":"rRP56ivmmLh19QSo48zq","k":"vn34o2Z6ao_VZNDtgTOalQ"}]}' "decodes to 15 bytes"
bad_jwk '{"keys":[{"kty":"oct","kid":"rRP56ivmmLh19QSo48zqZA","k":42}]}' '"k" is not a string'
bad_jwk '{"keys":[{"kty":"oct","kid":"rRP56ivmmLh19QSo48zqZA"}]}' 'missing "k"'
bad_jwk '{"keys":[{"kty":"oct","kid":"rRP56ivmmLh19QSo48zqZA","k":"vn34o2Z6ao_VZNDtgTOalQ"},{"kty":"oct","kid":"rRP56ivmmLh19QSo48zqZA","k":"vn34o2Z6ao_VZNDtgTOalQ"}]}' "duplicate"
# Non-canonical base64url (trailing bits set): ...ZB decodes like ...ZA but is not canonical.
bad_jwk '{"keys":[{"kty":"oct","kid":"rRP56ivmmLh19QSo48zqZB","k":"vn34o2Z6ao_VZNDtgTOalQ"}]}' "not valid base64url"
# Not a certificate.
run_expect 1 "$O" "$LIC" issue -c "$TMP/keys.json" -k "$KID_A:$KEY_A" -o "$TMP/bad.lic"
assert_grep "holds no certificate" "$O"
pass "bad JWK sets and certificates are rejected with clear messages"

# --- show ----------------------------------------------------------------------------------
run_expect 0 "$O" "$LIC" show "$TMP/a.lic"
assert_grep "Version:      1" "$O"
assert_grep "OAEP hash:    sha512" "$O"
assert_grep "Bound to:     certificate SHA-256 $FP1_COLON" "$O"
assert_grep "Keys:         2" "$O"
assert_grep "KID 0: $KID_A  $KID_A_UUID" "$O"
assert_grep "KID 1: $KID_B  00112233-4455-6677-8899-aabbccddeeff" "$O"
assert_no_grep "$KEY_A" "$O"
assert_no_grep "$KEY_B" "$O"
pass "show"

# --- check ---------------------------------------------------------------------------------
for f in a j p s1; do
    run_expect 0 "$O" "$LIC" check "$TMP/$f.lic"
    assert_grep "license OK for this device" "$O"
done
run_expect 0 "$O" "$LIC" check "$TMP/a.lic"
assert_grep "loaded KID $KID_A  $KID_A_UUID" "$O"
assert_grep "loaded KID $KID_B" "$O"
pass "check loads licenses issued for this device"

# Foreign device: issued for home2's certificate, checked on home1.
run_expect 0 "$O" "$LIC" issue -c "$TMP/cert2.der" -k "$KID_A:$KEY_A" -o "$TMP/foreign.lic"
run_expect 1 "$O" "$LIC" check "$TMP/foreign.lic"
assert_grep "check failed: license bound to another device (SECDEC_E_LICENSE_FOREIGN, 0x80040205)" "$O"
run_expect 0 "$O" "$LIC" --home "$H2" check "$TMP/foreign.lic"
run_expect 0 "$O" "$LIC" check --home "$H2" "$TMP/foreign.lic"
pass "a license for another device fails with LICENSE_FOREIGN (and works there)"

# Tampering. Layout: 0 magic | 8 version | 10 hash | 11 flags | 12 fp | 44 blob | 300 count |
# 302 entries (KID 16 | wrapped key 16) | MAC 32.
tamper() { # name offset expected-status
    cp "$TMP/a.lic" "$TMP/t-$1.lic"
    flip "$TMP/t-$1.lic" "$2"
    run_expect 1 "$O" "$LIC" check "$TMP/t-$1.lic"
    assert_grep "$3" "$O" "tampered $1 (offset $2): expected $3"
    assert_no_grep "loaded KID" "$O"
}
SIZE=$(filesize "$TMP/a.lic")
tamper wrapped-key 318 SECDEC_E_LICENSE_INVALID
tamper second-wrapped-key $((302 + 32 + 31)) SECDEC_E_LICENSE_INVALID
tamper kid 303 SECDEC_E_LICENSE_INVALID
tamper mac-first $((SIZE - 32)) SECDEC_E_LICENSE_INVALID
tamper mac-last $((SIZE - 1)) SECDEC_E_LICENSE_INVALID
tamper magic 0 SECDEC_E_LICENSE_INVALID
tamper version 9 SECDEC_E_LICENSE_INVALID
tamper flags 11 SECDEC_E_LICENSE_INVALID
tamper fingerprint 20 SECDEC_E_LICENSE_FOREIGN
tamper blob 100 SECDEC_E_KEY_EXCHANGE
# Hash byte 0 -> 1 (SHA-512 -> SHA-256): parses, but the key exchange fails.
tamper oaep-hash 10 SECDEC_E_KEY_EXCHANGE
# Hash byte set to an unknown value.
cp "$TMP/a.lic" "$TMP/t-hash9.lic"
unhex 09 | dd of="$TMP/t-hash9.lic" bs=1 seek=10 conv=notrunc status=none
run_expect 1 "$O" "$LIC" check "$TMP/t-hash9.lic"
assert_grep "SECDEC_E_LICENSE_INVALID, 0x80040204" "$O"
# show checks the structure only (the MAC needs the device), so it still works:
run_expect 0 "$O" "$LIC" show "$TMP/t-mac-last.lic"
pass "tampered licenses fail (entries and MAC: LICENSE_INVALID)"

# Truncated / extended / empty licenses fail cleanly (exit 1, not a crash).
for n in 0 1 8 12 44 299 300 301 302 333 $((SIZE - 32)) $((SIZE - 1)); do
    head -c "$n" "$TMP/a.lic" >"$TMP/trunc.lic"
    run_expect 1 "$O" "$LIC" check "$TMP/trunc.lic"
    assert_grep "SECDEC_E_LICENSE_INVALID" "$O" "truncated to $n bytes"
    run_expect 1 "$O" "$LIC" show "$TMP/trunc.lic"
    assert_grep "is not a valid license" "$O"
done
{ cat "$TMP/a.lic"; printf 'x'; } >"$TMP/long.lic"
run_expect 1 "$O" "$LIC" check "$TMP/long.lic"
assert_grep "SECDEC_E_LICENSE_INVALID" "$O"
run_expect 1 "$O" "$LIC" check "$TMP/does-not-exist.lic"
assert_grep "cannot read" "$O"
assert_grep "SECDEC_E_IO" "$O"
pass "truncated, extended and missing licenses fail cleanly"

# --- install / list ------------------------------------------------------------------------
run_expect 0 "$O" "$LIC" list
assert_grep "No licenses installed" "$O"
run_expect 1 "$O" "$LIC" install "$TMP/t-mac-last.lic"
assert_grep "install failed" "$O"
assert_grep "SECDEC_E_LICENSE_INVALID" "$O"
[ ! -e "$H1/licenses/$KID_A.lic" ] || fail "a tampered license was installed"
run_expect 1 "$O" "$LIC" install "$TMP/foreign.lic"
assert_grep "SECDEC_E_LICENSE_FOREIGN" "$O"
[ ! -e "$H1/licenses/$KID_A.lic" ] || fail "a foreign license was installed"

run_expect 0 "$O" "$LIC" install "$TMP/a.lic"
assert_grep "$KID_A.lic" "$O"
for k in $KID_A $KID_B; do
    f=$H1/licenses/$k.lic
    [ -f "$f" ] || fail "$f not installed"
    [ "$(filemode "$f")" = 600 ] || fail "$f has mode $(filemode "$f"), want 600"
    cmp -s "$f" "$TMP/a.lic" || fail "$f differs from the license"
done
[ "$(filemode "$H1/licenses")" = 700 ] || fail "licenses/ has mode $(filemode "$H1/licenses"), want 700"
run_expect 0 "$O" "$LIC" install "$TMP/j.lic"
run_expect 0 "$O" "$LIC" list
assert_grep "^$KID_A  $KID_A_UUID     2  $KID_A.lic" "$O"
assert_grep "^$KID_B  " "$O"
assert_grep "^ad13f9ea2be698b875f504a8e3ccea64  " "$O"
[ "$(grep -c '\.lic$' "$O")" = 4 ] || fail "list should show 4 files"
# A later license for the same KID replaces the earlier one.
run_expect 0 "$O" "$LIC" install "$TMP/p.lic"
cmp -s "$H1/licenses/$KID_A.lic" "$TMP/p.lic" || fail "reinstall did not replace $KID_A.lic"
# list reports a corrupt store file.
head -c 100 "$TMP/a.lic" >"$H1/licenses/$KID_B.lic"
run_expect 1 "$O" "$LIC" list
assert_grep "SECDEC_E_LICENSE_INVALID" "$O"
# list through --home without SECDEC_HOME.
run_expect 0 "$O" env -u SECDEC_HOME "$LIC" --home "$H2" list
assert_grep "No licenses installed" "$O"
pass "install: files 0600 in a 0700 directory; list"

echo "all roundtrip tests passed"
