#!/bin/sh
# Starts `dockscript serve --delay 0.5` for tests/lua/test_faults.lua to kill,
# then runs that suite through the fixture server.
# usage: fault_test.sh DOCKSCRIPT
set -u
ds=$(realpath "$1")
here=$(dirname "$(realpath "$0")")
out=$(mktemp)
"$ds" serve --port 0 --delay 0.5 --quiet >"$out" &
pid=$!
trap 'kill -9 $pid 2>/dev/null; rm -f "$out"' EXIT INT TERM
i=0
until grep -q "http://" "$out" || [ $i -ge 100 ]; do sleep 0.1; i=$((i + 1)); done
SERVE_URL=$(grep -o 'http://[0-9.:]*' "$out" | head -n 1)
[ -n "$SERVE_URL" ] || { echo "dockscript serve did not start"; exit 1; }
SERVE_PID=$pid
export SERVE_URL SERVE_PID
"$here/with_fixture.sh" "$here/fixture/http_fixture.py" -- "$ds" "$here/lua/test_faults.lua"
