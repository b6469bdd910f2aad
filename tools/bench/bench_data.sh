#!/bin/sh
# What a data file costs in memory (require("load").data): the peak RSS of
# `dockscript load.lua` over a scenario that loads a CSV file of ROWS rows
# (1,000,000 by default), run with 2 worker threads, beside the same run
# over a 1-row file; the difference is the file's cost, printed against the
# file's size. One copy per process: the threads share it.
#   tools/bench/bench_data.sh [BUILD_DIR]       (default: build)
#   ROWS=N THREADS=T tools/bench/bench_data.sh
# Needs /usr/bin/time (tools/deps.sh --bench).
set -eu
me=bench_data.sh
cd "$(dirname "$0")/../.."
build=${1:-build}
ds=$(realpath "$build/dockscript")
rows=${ROWS:-1000000}
threads=${THREADS:-2}
[ -x /usr/bin/time ] || { echo "$me: /usr/bin/time is missing: tools/deps.sh --bench" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

# users.csv: id, a name, an e-mail, a password, a quoted field with a comma
awk -v n="$rows" 'BEGIN {
    print "id,name,email,password,city"
    for (i = 1; i <= n; i++)
        printf "%d,user%d,user%d@example.com,pw%08d,\"Springfield, %d\"\n", i, i, i, i * 7919 % 100000000, i % 50
}' >"$tmp/users.csv"
head -n 2 "$tmp/users.csv" >"$tmp/one.csv"

# the scenario takes rows circularly, 20,000 iterations over both threads
for f in users one; do
    cat >"$tmp/$f.lua" <<LUA
local users = require("load").data("$f.csv", { strategy = "circular" })
return { iteration = function(_, i)
  local u = users:row(i)
  assert(u.id and u.city)
end }
LUA
done

# peak KB of a run of scenario $1
peak() {
    /usr/bin/time -v "$ds" load.lua "$tmp/$1.lua" --quiet --vus "$threads" --threads "$threads" \
        --iterations 20000 >"$tmp/out" 2>"$tmp/time" ||
        { cat "$tmp/out" "$tmp/time" >&2; echo "$me: the run failed" >&2; exit 1; }
    grep -q "20,000 done" "$tmp/out" || { cat "$tmp/out" >&2; exit 1; }
    sed -n 's/.*Maximum resident set size (kbytes): //p' "$tmp/time"
}

size=$(wc -c <"$tmp/users.csv")
base=$(peak one)
full=$(peak users)
load_s=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$tmp/time")
awk -v size="$size" -v base="$base" -v full="$full" -v rows="$rows" -v t="$threads" -v w="$load_s" 'BEGIN {
    mb = 1024 * 1024
    printf "file: %d rows, %.1f MB\n", rows, size / mb
    printf "peak RSS, %d threads, the 1-row file:  %.1f MB\n", t, base * 1024 / mb
    printf "peak RSS, %d threads, the %d-row file: %.1f MB (wall %s)\n", t, rows, full * 1024 / mb, w
    printf "the file costs %.1f MB: %.2f x its size\n", (full - base) * 1024 / mb, (full - base) * 1024 / size
}'
