#!/usr/bin/env bash
# Runs the whole secdec test suite: installs missing dependencies, then builds and tests
#   1. build/        the normal build, warnings as errors (every meson test)
#   2. build-asan/   AddressSanitizer + UndefinedBehaviorSanitizer (every meson test)
#   3. build-fuzz/   clang + libFuzzer targets, each run for a bounded number of inputs
# and prints one closing line "secdec: N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh || exit 1

passed=0
failed=0
rc=0

run_build() {   # name, meson test args..., -- setup args...
  local dir=$1; shift
  local test_args=()
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do test_args+=("$1"); shift; done
  shift
  echo "=== $dir: meson setup $*"
  if [ ! -d "$dir" ]; then
    meson setup "$dir" "$@" >"$dir.setup.log" 2>&1 || { cat "$dir.setup.log"; failed=$((failed+1)); rc=1; return; }
  fi
  if ! ninja -C "$dir"; then failed=$((failed+1)); rc=1; return; fi
  meson test -C "$dir" --print-errorlogs --num-processes 2 "${test_args[@]}"
  local r=$?
  [ $r -eq 0 ] || rc=1
  local log="$dir/meson-logs/testlog.json"
  if [ -f "$log" ]; then
    local p f
    p=$(grep -c '"result": "OK"' "$log" || true)
    f=$(grep -c -E '"result": "(FAIL|TIMEOUT|ERROR|UNEXPECTEDPASS)"' "$log" || true)
    passed=$((passed+p)); failed=$((failed+f))
  fi
}

run_build build -- -Dwerror=true
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:fast_unwind_on_malloc=0 \
LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp \
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  run_build build-asan -- -Dwerror=true -Db_sanitize=address,undefined -Db_lundef=false
CC=clang run_build build-fuzz --suite fuzz -- -Dfuzzing=true -Dwerror=true -Dgst-plugin=false -Dffmpeg-hwaccel=false

echo "secdec: $passed passed, $failed failed"
exit $rc
