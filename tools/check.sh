#!/bin/sh
# The whole test suite, as CI runs it: installs what is missing, then builds
# and runs the ctest tests twice: a normal build with warnings as errors,
# and an AddressSanitizer + UBSan build (leak detection on). memcheck
# (valgrind), server_fuzz and hist_fuzz (their own clang sanitizer
# binaries) run only in the first.
#   tools/check.sh [--fast]     --fast: the normal build only
set -eu
cd "$(dirname "$0")/.."
tools/deps.sh --test
# Dredd was just installed: its test must run, not be skipped as missing.
DS_REQUIRE_DREDD=1
export DS_REQUIRE_DREDD
jobs=$(nproc 2>/dev/null || echo 2)

run_suite() { # build-dir cmake-args...
    dir=$1
    shift
    cmake -S . -B "$dir" -DDS_WERROR=ON "$@" >/dev/null
    cmake --build "$dir" -j "$jobs"
    ctest --test-dir "$dir" --output-on-failure
}

run_suite build -DCMAKE_BUILD_TYPE=RelWithDebInfo
[ "${1:-}" = "--fast" ] && exit 0
# Every process the tests start inherits these: a sanitizer report fails it.
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export ASAN_OPTIONS UBSAN_OPTIONS
run_suite build-asan -DCMAKE_BUILD_TYPE=Debug -DDS_SANITIZE=ON
echo "check.sh: all suites passed (normal and sanitizer builds)"
