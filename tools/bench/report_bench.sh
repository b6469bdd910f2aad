#!/bin/sh
# The report of a 1-hour run (not a test): writes a synthetic run of 3,600
# seconds and 20 request tags with every series field (per-tag series,
# intervals, in flight, start lag) and a comparison with a baseline of the
# same length, then times `dockscript report.lua` on it and prints the time
# (the fastest of ROUNDS) and the page's size against the targets: under 2 s
# and under 3 MB. Exit 1 when a target is missed.
# usage: tools/bench/report_bench.sh [BUILD_DIR]
# environment: ROUNDS=3, SECONDS_RUN=3600, TAGS=20, RATE=20 (iterations/s)
set -eu
cd "$(dirname "$0")/../.."
ds=$(realpath "${1:-build}/dockscript")
fixture=tests/lua/report_fixture.lua
rounds=${ROUNDS:-3}
secs=${SECONDS_RUN:-3600}
tags=${TAGS:-20}
rate=${RATE:-20}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

"$ds" "$fixture" "$tmp/base.json" --seconds "$secs" --tags "$tags" --rate "$rate" --seed 1 --plain
"$ds" "$fixture" "$tmp/run.json" --seconds "$secs" --tags "$tags" --rate "$rate" --seed 2 \
    --slower 1.05 --compare "$tmp/base.json"
now() { date +%s.%N; }
best=
i=1
while [ "$i" -le "$rounds" ]; do
    t0=$(now)
    "$ds" report.lua "$tmp/run.json" -o "$tmp/run.html" >/dev/null
    t1=$(now)
    best=$(awk -v a="$t0" -v b="$t1" -v best="$best" \
        'BEGIN { t = b - a; if (best == "" || t < best) best = t; printf "%.3f", best }')
    i=$((i + 1))
done
size=$(wc -c <"$tmp/run.html")
json=$(wc -c <"$tmp/run.json")
printf 'input:  %s seconds x %s tags, %s iterations/s: %s bytes of JSON\n' "$secs" "$tags" "$rate" "$json"
printf 'report: written in %s s (fastest of %s), %s bytes (%s MB)\n' "$best" "$rounds" "$size" \
    "$(awk -v s="$size" 'BEGIN { printf "%.2f", s / 1e6 }')"
miss=0
if awk -v t="$best" 'BEGIN { exit !(t < 2) }'; then echo "time:   under the 2 s target"
else echo "time:   OVER the 2 s target"; miss=1; fi
if [ "$size" -lt 3000000 ]; then echo "size:   under the 3 MB target"
else echo "size:   OVER the 3 MB target"; miss=1; fi
exit $miss
