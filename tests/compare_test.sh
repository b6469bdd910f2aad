#!/bin/sh
# load.compare on runs of the real server (`dockscript serve`, load.lua):
# 20 pairs of runs of one configuration, each run against a server started
# with its own seed, must not flag anything; a server 10% slower (every
# delay x 1.1) with 3x the injected failures must flag p50 and p99 of the
# chain and of each tag, and the error rate, in runs of 5,000 chains
# (pairs: 1,000 chains each).
# The delay is lognormal so that the seeds matter. A run whose client fell
# behind its schedule (start lag p99 over load.compare's limit: another
# process had the cores) measured the client, not the server: it is run
# again after a pause, up to 5 times; a comparison with such a run warns.
# About 2 minutes.
# usage: compare_test.sh DOCKSCRIPT
set -u
ds=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
check_lua=$here/lua/compare_check.lua
pairs=20
delay=lognormal:0.2,0.2836       # median 200 ms, sigma 0.15
slower=lognormal:0.22,0.31196    # the same x 1.1

# one_run OUT.json SEED DELAY FAIL RATE SECONDS: a server of its own, one
# run (up to 5 while the client falls behind).
repeats=0
one_run() {
    attempt=1
    while :; do
        one_attempt "$@"
        lag=$("$ds" "$check_lua" lag "$1") && return
        [ $attempt -ge 5 ] && { echo "$1: $lag after 5 runs; kept"; return; }
        echo "$1: $lag: the client fell behind; run again"
        sleep 1
        attempt=$((attempt + 1))
        repeats=$((repeats + 1))
    done
}

one_attempt() {
    serve_start --delay "$3" --seed "$2" --fail "$4" --quiet
    timeout 60 "$ds" load.lua docking_scenario.lua --rate "$5" --duration "$6" --quiet \
        --json "$1" -- "$serve_url" >"$tmp/load.out" 2>&1
    rc=$?
    kill -TERM "$serve_pid"
    wait "$serve_pid" 2>/dev/null
    serve_pid=
    if [ $rc -ne 0 ]; then
        fail "load.lua run $1 (seed $2): exit $rc" "$(cat "$tmp/load.out")"
        done_tests
        exit 1
    fi
}

# (serve_start uses $i)
pair=1
while [ $pair -le $pairs ]; do
    one_run "$tmp/base_$pair.json" $((2 * pair - 1)) "$delay" 0.01 500 2
    one_run "$tmp/run_$pair.json" $((2 * pair)) "$delay" 0.01 500 2
    pair=$((pair + 1))
done
out=$(timeout 120 "$ds" "$check_lua" same "$tmp" $pairs 2>&1)
rc=$?
printf '%s\n' "$out"
[ $rc -eq 0 ] && ok "$pairs pairs of one configuration" || fail "$pairs pairs of one configuration"

one_run "$tmp/fast.json" 101 "$delay" 0.01 500 10
one_run "$tmp/slow.json" 102 "$slower" 0.03 500 10
echo "runs repeated because the client fell behind: $repeats"
out=$(timeout 60 "$ds" "$check_lua" slower "$tmp/fast.json" "$tmp/slow.json" 2>&1)
rc=$?
printf '%s\n' "$out"
[ $rc -eq 0 ] && ok "a 10% slower server" || fail "a 10% slower server"
done_tests
