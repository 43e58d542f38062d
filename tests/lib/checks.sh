# shellcheck shell=bash
# checks.sh - counted checks for the scripts that run many cases and report every failure
# (sourced; after common.sh when both are used): fail() counts and goes on, pass() prints,
# finish() exits 1 when anything failed.
# SPDX-License-Identifier: LGPL-2.1-or-later
FAILS=0
fail() { echo "FAIL: $*" >&2; FAILS=$((FAILS + 1)); }
pass() { echo "ok: $*"; }
finish() {
  if [ "$FAILS" -ne 0 ]; then
    echo "$FAILS check(s) failed" >&2
    exit 1
  fi
  echo "all checks passed"
}
