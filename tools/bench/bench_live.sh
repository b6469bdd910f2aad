#!/bin/sh
# The client cost of watching a run (prints figures; not a test): the same
# closed-model run of docking_scenario.lua against `dockscript serve
# --delay 0` on 127.0.0.1, plain and with --out, --metrics and --dashboard
# all on (Prometheus-style scrapes of /metrics each second meanwhile),
# ROUNDS times each, alternated on the same noise. Prints the client's CPU
# (user + sys) per 1,000 iterations for each round, the medians and their
# ratio.
# usage: tools/bench/bench_live.sh [BUILD_DIR]
# environment: ROUNDS=5, DURATION=5, VUS=32, THREADS=2
set -eu
build=${1:-build}
ds=$(realpath "$build/dockscript")
rounds=${ROUNDS:-5} duration=${DURATION:-5} vus=${VUS:-32} threads=${THREADS:-2}
tmp=$(mktemp -d)
"$ds" serve --port 0 --delay 0 --quiet >"$tmp/serve.out" 2>&1 &
serve=$!
trap 'kill $serve 2>/dev/null; rm -rf "$tmp"' EXIT INT TERM
i=0
until grep -q "http://" "$tmp/serve.out" || [ $i -ge 100 ]; do sleep 0.1; i=$((i + 1)); done
url=$(grep -o 'http://[0-9.:]*' "$tmp/serve.out" | head -n 1)

# one KIND: CPU ms per 1,000 iterations of one run (KIND plain or live)
one() {
    extra=
    [ "$1" = live ] && extra="--out $tmp/s.ndjson --metrics 0 --dashboard 0"
    # shellcheck disable=SC2086
    /usr/bin/time -f "%U %S" -o "$tmp/time" "$ds" load.lua docking_scenario.lua --quiet \
        --vus "$vus" --duration "$duration" --threads "$threads" --json "$tmp/r.json" $extra \
        -- "$url" >/dev/null 2>"$tmp/err" &
    pid=$!
    if [ "$1" = live ]; then
        i=0
        until grep -q "metrics at" "$tmp/err" 2>/dev/null || [ $i -ge 100 ]; do sleep 0.1; i=$((i + 1)); done
        m=$(grep -o 'http://[^ ]*/metrics' "$tmp/err")
        while kill -0 $pid 2>/dev/null; do curl -s "$m" >/dev/null || true; sleep 1; done
    fi
    wait $pid
    done_n=$("$ds" -e 'local j = json.decode(io.open(arg[1]):read("a")) print(math.tointeger(j.iterations.done))' "$tmp/r.json")
    awk -v n="$done_n" '{ printf "%.3f\n", ($1 + $2) * 1e6 / n }' "$tmp/time"
}

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

: >"$tmp/plain"
: >"$tmp/live"
r=1
while [ $r -le "$rounds" ]; do
    p=$(one plain)
    l=$(one live)
    echo "round $r: plain $p ms, live $l ms of client CPU per 1,000 iterations"
    echo "$p" >>"$tmp/plain"
    echo "$l" >>"$tmp/live"
    r=$((r + 1))
done
mp=$(median <"$tmp/plain")
ml=$(median <"$tmp/live")
echo "median: plain $mp ms, with --out --metrics --dashboard $ml ms per 1,000 iterations;" \
    "live / plain = $(awk -v a="$ml" -v b="$mp" 'BEGIN { printf "%.3f", a / b }')"
