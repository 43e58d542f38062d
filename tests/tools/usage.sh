#!/bin/bash
# usage.sh INFO LICENSE - --help / --version for every command; usage errors exit 2.
# SPDX-License-Identifier: LGPL-2.1-or-later
set -euo pipefail
INFO=$1
LIC=$2
. "$(dirname "$0")/lib.sh"
O=$TMP/out
export SECDEC_HOME=$TMP/home

for section in NAME SYNOPSIS DESCRIPTION OPTIONS ENVIRONMENT "EXIT STATUS" EXAMPLES; do
    run_expect 0 "$O" "$INFO" --help
    assert_grep "^$section" "$O" "secdec-info --help lacks $section"
done
for section in NAME SYNOPSIS DESCRIPTION COMMANDS "GLOBAL OPTIONS" ENVIRONMENT "EXIT STATUS" EXAMPLES; do
    run_expect 0 "$O" "$LIC" --help
    assert_grep "^$section" "$O" "secdec-license --help lacks $section"
done
run_expect 0 "$O" "$LIC" -h
assert_grep "SECDEC_HOME" "$O"
for cmd in issue show check install list; do
    run_expect 0 "$O" "$LIC" "$cmd" --help
    assert_grep "^NAME" "$O"
    assert_grep "secdec-license $cmd - " "$O"
    assert_grep "^SYNOPSIS" "$O"
    assert_grep "^EXIT STATUS" "$O"
    run_expect 0 "$O" "$LIC" help "$cmd"
    assert_grep "secdec-license $cmd - " "$O"
done
run_expect 0 "$O" "$LIC" help
assert_grep "^COMMANDS" "$O"
[ ! -e "$SECDEC_HOME" ] || fail "--help created the device home"
pass "--help for both tools and every command"

run_expect 0 "$O" "$INFO" --version
assert_grep "^secdec-info (secdec) [0-9]" "$O"
assert_grep "^libsecdec [0-9]" "$O"
run_expect 0 "$O" "$LIC" --version
assert_grep "^secdec-license (secdec) [0-9]" "$O"
pass "--version"

# usage_error MESSAGE-PATTERN cmd...: exit 2, message and hint on stderr, nothing on stdout.
usage_error() {
    local pat=$1 rc=0
    shift
    "$@" >"$TMP/stdout" 2>"$TMP/stderr" || rc=$?
    [ "$rc" = 2 ] || { cat "$TMP/stderr" >&2; fail "expected exit 2, got $rc: $*"; }
    assert_grep "$pat" "$TMP/stderr"
    assert_grep "Try '.* --help' for more information" "$TMP/stderr"
    [ ! -s "$TMP/stdout" ] || fail "usage error wrote to stdout: $*"
}
CERT=$TMP/cert.der
run_expect 0 "$O" "$INFO" --certificate "$CERT"

usage_error "unknown option '--bogus'" "$INFO" --bogus
usage_error "unknown option '-x'" "$INFO" -x
usage_error "unexpected argument 'foo'" "$INFO" foo
usage_error "option '--certificate' requires an argument" "$INFO" --certificate
usage_error "option '--home' requires an argument" "$INFO" --home
usage_error "cannot be combined" "$INFO" --json --certificate "$TMP/x"

usage_error "no command given" "$LIC"
usage_error "unknown command 'frobnicate'" "$LIC" frobnicate
usage_error "unknown option '--bogus'" "$LIC" --bogus
usage_error "unknown option '--bogus'" "$LIC" show --bogus "$TMP/x"
usage_error "only valid for 'issue'" "$LIC" check --key "00112233445566778899aabbccddeeff:00112233445566778899aabbccddeeff" "$TMP/x"
usage_error "missing license FILE" "$LIC" show
usage_error "missing license FILE" "$LIC" check
usage_error "missing license FILE" "$LIC" install
usage_error "unexpected argument 'b'" "$LIC" show a b
usage_error "unexpected argument 'x'" "$LIC" list x
usage_error "help: unknown command 'nope'" "$LIC" help nope
usage_error "--certificate CERT is required" "$LIC" issue -k 00112233445566778899aabbccddeeff:00112233445566778899aabbccddeeff -o "$TMP/o.lic"
usage_error "--output FILE is required" "$LIC" issue -c "$CERT" -k 00112233445566778899aabbccddeeff:00112233445566778899aabbccddeeff
usage_error "at least one --key" "$LIC" issue -c "$CERT" -o "$TMP/o.lic"
usage_error "expected KID:KEY" "$LIC" issue -c "$CERT" -k 00112233445566778899aabbccddeeff -o "$TMP/o.lic"
usage_error "KID '0011' is not 32 hex digits" "$LIC" issue -c "$CERT" -k 0011:00112233445566778899aabbccddeeff -o "$TMP/o.lic"
usage_error "KEY for KID .* is not 32 hex digits" "$LIC" issue -c "$CERT" -k 00112233445566778899aabbccddeeff:0011223344556677889900aabbccddeeff -o "$TMP/o.lic"
usage_error "KEY for KID .* is not 32 hex digits" "$LIC" issue -c "$CERT" -k 00112233445566778899aabbccddeeff:0011223344556677-8899aabbccddeeff -o "$TMP/o.lic"
usage_error "KID '.*' is not 32 hex digits" "$LIC" issue -c "$CERT" -k 0011223344556677889gaabbccddeeff:00112233445566778899aabbccddeeff -o "$TMP/o.lic"
usage_error "duplicate KID" "$LIC" issue -c "$CERT" -k 00112233445566778899aabbccddeeff:00112233445566778899aabbccddeeff -k 00112233-4455-6677-8899-aabbccddeeff:00112233445566778899aabbccddeef0 -o "$TMP/o.lic"
usage_error "--oaep 'md5'" "$LIC" issue -c "$CERT" --oaep md5 -k 00112233445566778899aabbccddeeff:00112233445566778899aabbccddeeff -o "$TMP/o.lic"
usage_error "option '--jwk' requires an argument" "$LIC" issue -c "$CERT" --jwk
usage_error "unexpected argument 'extra'" "$LIC" issue -c "$CERT" -k 00112233445566778899aabbccddeeff:00112233445566778899aabbccddeeff -o "$TMP/o.lic" extra
[ ! -e "$TMP/o.lic" ] || fail "a usage error wrote a license"
pass "usage errors exit 2 with a message"

# Operation failures exit 1 (not 2) and name the status.
run_expect 1 "$O" "$LIC" show "$TMP/missing.lic"
assert_grep "SECDEC_E_IO" "$O"
run_expect 1 "$O" "$INFO" --no-provision --home "$TMP/empty-home"
assert_grep "cannot open device: .*(SECDEC_E_IDENTITY, 0x80040201)" "$O"
pass "operation failures exit 1"
echo "all usage tests passed"
