#!/bin/sh
# valgrind memcheck of tests/lua/memcheck_scenario.lua: no invalid reads or
# writes, nothing definitely lost.
# usage: memcheck_test.sh DOCKSCRIPT
set -u
ds=$(realpath "$1")
here=$(dirname "$(realpath "$0")")
log=$(mktemp)
trap 'rm -f "$log"' EXIT
timeout 300 valgrind --quiet --error-exitcode=99 --leak-check=full \
    --errors-for-leak-kinds=definite --show-leak-kinds=definite \
    "$ds" "$here/lua/memcheck_scenario.lua" >"$log" 2>&1
code=$?
cat "$log"
[ $code -eq 0 ] || { echo "FAIL: valgrind exit $code"; exit 1; }
grep -q "memcheck scenario done" "$log" || { echo "FAIL: scenario did not finish"; exit 1; }
echo "ok   valgrind memcheck: no errors, nothing definitely lost"
