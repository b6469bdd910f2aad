#!/bin/sh
# The whole test suite, as CI runs it: installs what is missing, then builds
# three times, every build with warnings as errors (DS_WERROR, off in a
# user's build): the normal build and an AddressSanitizer + UBSan build, each
# running the ctest tests, and the Release build users and packagers make
# (gcc -O3, whose warnings the others do not see), built only. memcheck
# (valgrind), server_fuzz and hist_fuzz (their own clang sanitizer
# binaries) run only in the first. Each build ends with its counts of tests
# run, passed, failed and skipped; in CI (CI set) a skipped test fails the check.
#   tools/check.sh [--fast]     --fast: the normal build only
set -eu
cd "$(dirname "$0")/.."
case ${1:-} in
'' | --fast) ;;
*) echo "usage: tools/check.sh [--fast]" >&2; exit 2 ;;
esac
tools/deps.sh --test
# Every tool was just installed: a test that misses one fails, never skips.
DS_REQUIRE_TOOLS=1
export DS_REQUIRE_TOOLS
jobs=$(nproc 2>/dev/null || echo 2)
summary=

# junit_count FILE ATTRIBUTE: tests, failures, disabled or skipped, from
# the <testsuite> element of ctest's JUnit file.
junit_count() {
    tr '\n' ' ' <"$1" | sed -n "s/.*<testsuite [^>]*[[:space:]]$2=\"\([0-9]*\)\".*/\1/p"
}

# The names of the skipped tests, on one line.
junit_skipped() {
    tr '\n' ' ' <"$1" | grep -o '<testcase name="[^"]*"[^>]*status="notrun">[[:space:]]*<skipped' |
        sed 's/^<testcase name="\([^"]*\)".*/\1/' | tr '\n' ' '
}

# counts NAME JUNIT: one line of counts, added to the summary; exits 1 if
# a test was skipped in CI.
counts() {
    if [ ! -s "$2" ]; then
        line="$1: no counts (ctest wrote no $2)"
    else
        total=$(junit_count "$2" tests) failed=$(junit_count "$2" failures)
        skipped=$(($(junit_count "$2" skipped) + $(junit_count "$2" disabled)))
        run=$((total - skipped))
        line="$1: $run tests run, $((run - failed)) passed, $failed failed, $skipped skipped"
        [ "$skipped" -eq 0 ] || line="$line ($(junit_skipped "$2"| sed 's/ $//'))"
    fi
    summary="$summary$line
"
    echo "check.sh: $line"
    case ${CI:-} in
    '' | 0 | false) ;;
    *) if [ "${skipped:-0}" -ne 0 ]; then
        echo "check.sh: FAIL: $skipped tests skipped in CI, where every test must run" >&2
        exit 1
    fi ;;
    esac
}

build() { # build-dir cmake-args...
    dir=$1
    shift
    cmake -S . -B "$dir" -DDS_WERROR=ON "$@" >/dev/null
    cmake --build "$dir" -j "$jobs"
}

run_suite() { # name build-dir cmake-args...
    name=$1 dir=$2
    shift 2
    build "$dir" "$@"
    rm -f "$dir/ctest-junit.xml"
    rc=0
    ctest --test-dir "$dir" --output-on-failure --output-junit ctest-junit.xml || rc=$?
    counts "$name" "$dir/ctest-junit.xml"
    if [ $rc -ne 0 ]; then
        echo "check.sh: FAIL: ctest in $dir exited $rc (the failures are above)" >&2
        exit 1
    fi
}

run_suite "normal build" build -DCMAKE_BUILD_TYPE=RelWithDebInfo
if [ "${1:-}" = "--fast" ]; then
    echo "check.sh: the normal build passed (--fast: no sanitizer build)"
    exit 0
fi
build build-release -DCMAKE_BUILD_TYPE=Release
summary="${summary}Release build: built with warnings as errors (no tests run)
"
# Every process the tests start inherits these: a sanitizer report fails it.
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export ASAN_OPTIONS UBSAN_OPTIONS
run_suite "sanitizer build" build-asan -DCMAKE_BUILD_TYPE=Debug -DDS_SANITIZE=ON
printf '%s' "$summary" | sed 's/^/check.sh: /'
echo "check.sh: all suites passed (normal and sanitizer builds; the Release build built)"
