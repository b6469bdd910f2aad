#!/bin/sh
# usage: with_fixture.sh FIXTURE.py -- COMMAND...
# Starts the fixture server, exports FIXTURE_URL, runs COMMAND (bounded by
# TEST_TIMEOUT seconds, default 120), stops the fixture, exits with COMMAND's
# status.
set -u
fixture=$1
shift 2
out=$(mktemp)
/usr/bin/python3 "$fixture" >"$out" &
pid=$!
trap 'kill $pid 2>/dev/null; rm -f "$out"' EXIT INT TERM
port=
i=0
while [ $i -lt 100 ]; do # 10 s at most
    port=$(head -n 1 "$out")
    [ -n "$port" ] && break
    kill -0 $pid 2>/dev/null || { echo "fixture $fixture died" >&2; exit 1; }
    sleep 0.1
    i=$((i + 1))
done
[ -n "$port" ] || { echo "fixture $fixture did not print its port" >&2; exit 1; }
FIXTURE_URL="http://127.0.0.1:$port"
export FIXTURE_URL
timeout "${TEST_TIMEOUT:-120}" "$@"
