#!/bin/bash
# openssl_interop.sh INFO LICENSE NEGOTIATE OPENSSL - interop with the openssl command line:
#  - session keys RSAES-OAEP-encrypted by `openssl pkeyutl` to the exported certificate are
#    accepted by NegotiateCryptoSessionKeyExchange (SHA-512 default, SHA-256, SHA-1), and
#    rejected with SECDEC_E_KEY_EXCHANGE / SECDEC_E_INVALIDARG when they must be;
#  - proof that the right key arrived: a license assembled by hand with openssl (per
#    docs/license-format.md) around the openssl-made blob loads on the device only when its
#    HMAC was keyed with that very session key;
#  - the reverse: openssl, given the device's private key, opens a license that
#    `secdec-license issue` made (OAEP blob, wrapped content keys, HMAC).
# SPDX-License-Identifier: LGPL-2.1-or-later
set -euo pipefail
INFO=$1
LIC=$2
NEG=$3
OPENSSL=$4
. "$(dirname "$0")/lib.sh"
O=$TMP/out
H1=$TMP/home1
H2=$TMP/home2
export SECDEC_HOME=$H1

hexstdin() { od -An -v -tx1 | tr -d ' \n'; }
ossl() { "$OPENSSL" "$@"; }

run_expect 0 "$O" "$INFO" --certificate "$TMP/cert1.der"
run_expect 0 "$O" "$INFO" --home "$H2" --certificate "$TMP/cert2.der"
ossl x509 -inform DER -in "$TMP/cert1.der" -pubkey -noout >"$TMP/pub1.pem"
ossl x509 -inform DER -in "$TMP/cert2.der" -pubkey -noout >"$TMP/pub2.pem"
grep -q "BEGIN PUBLIC KEY" "$TMP/pub1.pem" || fail "no public key extracted"

# enc PUBKEY HASH IN OUT: RSAES-OAEP with HASH and MGF1-HASH, empty label.
enc() {
    ossl pkeyutl -encrypt -pubin -inkey "$1" -in "$3" -out "$4" \
        -pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:"$2" -pkeyopt rsa_mgf1_md:"$2"
    [ "$(filesize "$4")" = 256 ] || fail "openssl made a $(filesize "$4")-byte blob"
}

ossl rand 16 >"$TMP/sk.bin"
SK=$(hexof "$TMP/sk.bin")
ossl rand 16 >"$TMP/ck.bin"
CK=$(hexof "$TMP/ck.bin")
KID=$(ossl rand -hex 16)
ossl enc -aes-128-ecb -nopad -K "$SK" -in "$TMP/ck.bin" -out "$TMP/wrapped.bin"
[ "$(filesize "$TMP/wrapped.bin")" = 16 ] || fail "wrapped key is not 16 bytes"

for h in sha512 sha256 sha1; do
    enc "$TMP/pub1.pem" $h "$TMP/sk.bin" "$TMP/blob-$h.bin"
    enc "$TMP/pub2.pem" $h "$TMP/sk.bin" "$TMP/blob2-$h.bin"
done

# --- negotiation ---------------------------------------------------------------------------
neg_ok() { run_expect 0 "$O" "$NEG" "$@"; assert_grep '^OK$' "$O"; }
neg_fail() { # STATUS args...
    local want=$1
    shift
    run_expect 1 "$O" "$NEG" "$@"
    assert_grep "secdec_negotiate_crypto_session_key_exchange: $want" "$O"
}
neg_ok "$TMP/blob-sha512.bin"                       # default hash is SHA-512 (OPM)
neg_ok --oaep sha512 --kid "$KID" --wrapped "$TMP/wrapped.bin" "$TMP/blob-sha512.bin"
neg_ok --oaep sha256 --kid "$KID" --wrapped "$TMP/wrapped.bin" "$TMP/blob-sha256.bin"
neg_ok --oaep sha1 --kid "$KID" --wrapped "$TMP/wrapped.bin" "$TMP/blob-sha1.bin"
pass "openssl pkeyutl OAEP blobs (sha512, sha256, sha1) negotiate; wrapped content key installs"

# Proof that the right keys arrived: decrypt a 'cenc' sample encrypted by `openssl enc
# -aes-128-ctr` with the content key (unwrapped with the negotiated session key) and with the
# session key itself (all-zero content key), and compare the protected buffer with the clear
# text. The IV's low 64 bits stay far from wrapping, so openssl's 128-bit counter and CENC's
# 64-bit counter agree.
ZKID=$(ossl rand -hex 16)
IV=$(ossl rand -hex 8)0000000000000001
head -c 1000 /dev/urandom >"$TMP/clear.bin"
ossl enc -aes-128-ctr -K "$CK" -iv "$IV" -in "$TMP/clear.bin" -out "$TMP/enc-ck.bin"
ossl enc -aes-128-ctr -K "$SK" -iv "$IV" -in "$TMP/clear.bin" -out "$TMP/enc-sk.bin"
cmp -s "$TMP/clear.bin" "$TMP/enc-ck.bin" && fail "openssl did not encrypt"
for h in sha512 sha256 sha1; do
    neg_ok --oaep $h --kid "$KID" --wrapped "$TMP/wrapped.bin" --zero-kid "$ZKID" \
        --decrypt "$KID" "$IV" "$TMP/enc-ck.bin" "$TMP/clear.bin" \
        --decrypt "$ZKID" "$IV" "$TMP/enc-sk.bin" "$TMP/clear.bin" "$TMP/blob-$h.bin"
done
# Negative controls: the same check fails for the wrong key/KID pairing and a wrong IV.
run_expect 1 "$O" "$NEG" --kid "$KID" --wrapped "$TMP/wrapped.bin" --zero-kid "$ZKID" \
    --decrypt "$KID" "$IV" "$TMP/enc-sk.bin" "$TMP/clear.bin" "$TMP/blob-sha512.bin"
assert_grep "MISMATCH" "$O"
run_expect 1 "$O" "$NEG" --kid "$KID" --wrapped "$TMP/wrapped.bin" \
    --decrypt "$KID" "$(ossl rand -hex 16)" "$TMP/enc-ck.bin" "$TMP/clear.bin" "$TMP/blob-sha512.bin"
assert_grep "MISMATCH" "$O"
pass "samples encrypted by openssl with the content key and the session key decrypt correctly"

# Wrong OAEP hash.
neg_fail SECDEC_E_KEY_EXCHANGE "$TMP/blob-sha256.bin"
neg_fail SECDEC_E_KEY_EXCHANGE --oaep sha1 "$TMP/blob-sha256.bin"
neg_fail SECDEC_E_KEY_EXCHANGE --oaep sha256 "$TMP/blob-sha512.bin"
neg_fail SECDEC_E_KEY_EXCHANGE --oaep sha512 "$TMP/blob-sha1.bin"
# Encrypted to another device's certificate.
neg_fail SECDEC_E_KEY_EXCHANGE "$TMP/blob2-sha512.bin"
neg_fail SECDEC_E_KEY_EXCHANGE --oaep sha256 "$TMP/blob2-sha256.bin"
SECDEC_HOME=$H2 neg_ok "$TMP/blob2-sha512.bin"
# Session keys of the wrong size inside valid OAEP.
head -c 15 "$TMP/sk.bin" >"$TMP/sk15.bin"
{ cat "$TMP/sk.bin"; printf 'x'; } >"$TMP/sk17.bin"
enc "$TMP/pub1.pem" sha512 "$TMP/sk15.bin" "$TMP/blob-sk15.bin"
enc "$TMP/pub1.pem" sha512 "$TMP/sk17.bin" "$TMP/blob-sk17.bin"
neg_fail SECDEC_E_KEY_EXCHANGE "$TMP/blob-sk15.bin"
neg_fail SECDEC_E_KEY_EXCHANGE "$TMP/blob-sk17.bin"
# Garbage and a flipped ciphertext byte.
ossl rand 256 >"$TMP/random.bin"
neg_fail SECDEC_E_KEY_EXCHANGE "$TMP/random.bin"
cp "$TMP/blob-sha512.bin" "$TMP/blob-flip.bin"
flip "$TMP/blob-flip.bin" 200
neg_fail SECDEC_E_KEY_EXCHANGE "$TMP/blob-flip.bin"
# Wrong sizes.
head -c 255 "$TMP/blob-sha512.bin" >"$TMP/b255.bin"
{ cat "$TMP/blob-sha512.bin"; printf '\0'; } >"$TMP/b257.bin"
: >"$TMP/b0.bin"
neg_fail SECDEC_E_INVALIDARG "$TMP/b255.bin"
neg_fail SECDEC_E_INVALIDARG "$TMP/b257.bin"
neg_fail SECDEC_E_INVALIDARG "$TMP/b0.bin"
pass "wrong hash / foreign certificate / bad key size -> KEY_EXCHANGE; 255/257/0 bytes -> INVALIDARG"

# --- proof that the right session key arrived: hand-made license ---------------------------
# build OUT HASHBYTE BLOB MACKEY-HEX CERT: docs/license-format.md, with the openssl CLI only.
build() {
    local out=$1 hb=$2 blob=$3 mackey=$4 cert=$5 k
    {
        printf 'SECDECL1'
        unhex 0001
        unhex "$hb"
        unhex 00
        ossl dgst -sha256 -binary "$cert"
        cat "$blob"
        unhex 0001
        unhex "$KID"
        cat "$TMP/wrapped.bin"
    } >"$out.body"
    k=$(printf 'secdec license v1 mac' | ossl dgst -sha256 -mac HMAC -macopt hexkey:"$mackey" -binary | hexstdin)
    { cat "$out.body"; ossl dgst -sha256 -mac HMAC -macopt hexkey:"$k" -binary "$out.body"; } >"$out"
    rm -f "$out.body"
}
build "$TMP/hand512.lic" 00 "$TMP/blob-sha512.bin" "$SK" "$TMP/cert1.der"
build "$TMP/hand256.lic" 01 "$TMP/blob-sha256.bin" "$SK" "$TMP/cert1.der"
build "$TMP/hand1.lic" 02 "$TMP/blob-sha1.bin" "$SK" "$TMP/cert1.der"
[ "$(filesize "$TMP/hand512.lic")" = 366 ] || fail "hand-made license has the wrong size"
for l in hand512 hand256 hand1; do
    run_expect 0 "$O" "$LIC" check "$TMP/$l.lic"
    assert_grep "loaded KID $KID" "$O"
done
run_expect 0 "$O" "$LIC" show "$TMP/hand256.lic"
assert_grep "OAEP hash:    sha256" "$O"
assert_grep "KID 0: $KID" "$O"
# Negative controls: MAC keyed with another session key; hash byte not matching the blob;
# blob for the other device under this device's fingerprint.
ossl rand 16 >"$TMP/sk-other.bin"
build "$TMP/hand-wrongmac.lic" 00 "$TMP/blob-sha512.bin" "$(hexof "$TMP/sk-other.bin")" "$TMP/cert1.der"
run_expect 1 "$O" "$LIC" check "$TMP/hand-wrongmac.lic"
assert_grep "(SECDEC_E_LICENSE_INVALID, 0x80040204)" "$O"
build "$TMP/hand-hash.lic" 00 "$TMP/blob-sha256.bin" "$SK" "$TMP/cert1.der"
run_expect 1 "$O" "$LIC" check "$TMP/hand-hash.lic"
assert_grep "SECDEC_E_KEY_EXCHANGE" "$O"
build "$TMP/hand-foreignblob.lic" 00 "$TMP/blob2-sha512.bin" "$SK" "$TMP/cert1.der"
run_expect 1 "$O" "$LIC" check "$TMP/hand-foreignblob.lic"
assert_grep "SECDEC_E_KEY_EXCHANGE" "$O"
build "$TMP/hand-foreign.lic" 00 "$TMP/blob2-sha512.bin" "$SK" "$TMP/cert2.der"
run_expect 1 "$O" "$LIC" check "$TMP/hand-foreign.lic"
assert_grep "SECDEC_E_LICENSE_FOREIGN" "$O"
run_expect 0 "$O" "$LIC" --home "$H2" check "$TMP/hand-foreign.lic"
run_expect 0 "$O" "$LIC" install "$TMP/hand512.lic"
[ -f "$H1/licenses/$KID.lic" ] || fail "hand-made license not installed"
pass "hand-made license around the openssl blob loads (only with the right session key)"

# --- the reverse: openssl opens a license secdec-license issued --------------------------------
KID2=$(ossl rand -hex 16)
CK2=$(ossl rand -hex 16)
for h in sha512 sha256 sha1; do
    run_expect 0 "$O" "$LIC" issue -c "$TMP/cert1.der" --oaep $h -k "$KID:$CK" -k "$KID2:$CK2" \
        -o "$TMP/issued-$h.lic"
    f=$TMP/issued-$h.lic
    [ "$(filesize "$f")" = $((302 + 64 + 32)) ] || fail "issued license has the wrong size"
    [ "$(head -c 12 "$f" | hexstdin)" = "$(printf SECDECL1 | hexstdin)0001$(case $h in sha512) echo 00 ;; sha256) echo 01 ;; sha1) echo 02 ;; esac)00" ] ||
        fail "issued header wrong"
    [ "$(tail -c +13 "$f" | head -c 32 | hexstdin)" = "$(ossl dgst -sha256 -binary "$TMP/cert1.der" | hexstdin)" ] ||
        fail "issued fingerprint is not SHA-256 of the certificate"
    tail -c +45 "$f" | head -c 256 >"$TMP/iblob.bin"
    ossl pkeyutl -decrypt -inkey "$H1/device.key" -keyform DER -in "$TMP/iblob.bin" \
        -out "$TMP/isk.bin" -pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:$h \
        -pkeyopt rsa_mgf1_md:$h || fail "openssl cannot decrypt the issued $h key exchange"
    [ "$(filesize "$TMP/isk.bin")" = 16 ] || fail "session key is not 16 bytes"
    ISK=$(hexof "$TMP/isk.bin")
    [ "$(tail -c +301 "$f" | head -c 2 | hexstdin)" = 0002 ] || fail "key count"
    [ "$(tail -c +303 "$f" | head -c 16 | hexstdin)" = "$KID" ] || fail "KID 0"
    [ "$(tail -c +335 "$f" | head -c 16 | hexstdin)" = "$KID2" ] || fail "KID 1"
    [ "$(tail -c +319 "$f" | head -c 16 | ossl enc -d -aes-128-ecb -nopad -K "$ISK" | hexstdin)" = "$CK" ] ||
        fail "content key 0 does not unwrap with the session key"
    [ "$(tail -c +351 "$f" | head -c 16 | ossl enc -d -aes-128-ecb -nopad -K "$ISK" | hexstdin)" = "$CK2" ] ||
        fail "content key 1 does not unwrap with the session key"
    MK=$(printf 'secdec license v1 mac' | ossl dgst -sha256 -mac HMAC -macopt hexkey:"$ISK" -binary | hexstdin)
    head -c 366 "$f" >"$TMP/ibody.bin"
    [ "$(ossl dgst -sha256 -mac HMAC -macopt hexkey:"$MK" -binary "$TMP/ibody.bin" | hexstdin)" = "$(tail -c 32 "$f" | hexstdin)" ] ||
        fail "HMAC of the issued license does not match docs/license-format.md"
done
pass "openssl decrypts and verifies licenses issued by secdec-license (sha512, sha256, sha1)"
echo "all openssl interop tests passed"
