# lib.sh - shared helpers for the tools tests (sourced). SPDX-License-Identifier: LGPL-2.1-or-later

TMP=$(mktemp -d "${TMPDIR:-/tmp}/secdec-tools-test.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
unset SECDEC_HOME XDG_DATA_HOME
export HOME="$TMP/no-such-home"

fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok - $*"; }

# run_expect RC OUTFILE cmd...: runs cmd, stdout+stderr to OUTFILE, asserts exit status RC.
run_expect() {
    local want=$1 out=$2 rc=0
    shift 2
    "$@" >"$out" 2>&1 || rc=$?
    if [ "$rc" != "$want" ]; then
        echo "--- output of: $*" >&2
        cat "$out" >&2
        fail "expected exit $want, got $rc: $*"
    fi
}

# assert_grep PATTERN FILE [what]
assert_grep() {
    grep -q -e "$1" "$2" || { echo "--- $2:" >&2; cat "$2" >&2; fail "${3:-'$1' not found in $2}"; }
}
assert_no_grep() {
    if grep -q -e "$1" "$2"; then echo "--- $2:" >&2; cat "$2" >&2; fail "${3:-'$1' unexpectedly in $2}"; fi
}

# hexof FILE: lower-case hex of a file, one line.
hexof() { od -An -v -tx1 "$1" | tr -d ' \n'; }

# unhex HEX > FILE
unhex() {
    local h=$1 i out=""
    for ((i = 0; i < ${#h}; i += 2)); do out+="\\x${h:i:2}"; done
    printf "$out"
}

# flip FILE OFFSET: XOR the byte at OFFSET with 0x01, in place.
flip() {
    local b
    b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
    [ -n "$b" ] || fail "flip: offset $2 beyond $1"
    unhex "$(printf '%02x' $((b ^ 1)))" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

filesize() { stat -c %s "$1"; }
filemode() { stat -c %a "$1"; }
