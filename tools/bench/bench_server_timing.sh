#!/bin/sh
# What recording Server-Timing costs the client: instructions per request
# (callgrind counts instructions, so the figure does not depend on what else
# the machine does) of the same closed load run, 1 GET per iteration, against
# `dockscript serve --delay 0` with and without its Server-Timing header.
# With the header the client parses it and records each metric and
# `outside` per tag; without it, it records the latency only.
#   tools/bench/bench_server_timing.sh [BUILD_DIR] [ITERATIONS]
set -eu
cd "$(dirname "$0")/../.."
ds=$(realpath "${1:-build}/dockscript")
n=${2:-3000}
me=bench_server_timing.sh
command -v valgrind >/dev/null || { echo "$me: valgrind not found: apt-get install valgrind" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'kill $spid 2>/dev/null; rm -rf "$tmp"' EXIT INT TERM
cat >"$tmp/one.lua" <<'LUA'
return { iteration = function(args) http.get(args[1] .. "/users/1", { name = "one" }) end }
LUA

# instructions URL: the client's instructions for $n iterations
instructions() {
    valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.out" "$ds" load.lua "$tmp/one.lua" \
        --vus 16 --iterations "$n" --threads 1 --quiet -- "$1" >"$tmp/run.out" 2>"$tmp/vg.err" ||
        { echo "$me: the run failed:" >&2; cat "$tmp/run.out" "$tmp/vg.err" >&2; exit 1; }
    grep -q "^iterations: $(printf "%'d" "$n" 2>/dev/null || echo "$n") done" "$tmp/run.out" ||
        grep -Eq "^iterations: [0-9,]+ done, 0 failed" "$tmp/run.out" ||
        { echo "$me: not every iteration succeeded:" >&2; cat "$tmp/run.out" >&2; exit 1; }
    total=$(grep -E "^(summary|totals):" "$tmp/cg.out" | head -1 | awk '{print $2}')
    # the recorder's own share: the transfers' observer, inclusive
    rec=$(callgrind_annotate --inclusive=yes "$tmp/cg.out" 2>/dev/null |
        awk '/lscenario.c:record_request/ {gsub(",", "", $1); print $1; exit}')
    echo "$total ${rec:-0}"
}

# serve ARGS: the server in its own process (not measured); sets url, spid
serve() {
    "$ds" serve --port 0 --delay 0 --quiet "$@" >"$tmp/serve.out" 2>/dev/null &
    spid=$!
    i=0
    until grep -q "http://" "$tmp/serve.out" || [ $i -ge 100 ]; do sleep 0.1; i=$((i + 1)); done
    url=$(grep -o 'http://[0-9.:]*' "$tmp/serve.out" | head -n 1)
    [ -n "$url" ] || { echo "$me: dockscript serve did not start" >&2; exit 1; }
}

serve
set -- $(instructions "$url")
with=$1 rec_with=$2
kill $spid; wait $spid 2>/dev/null || true
serve --no-server-timing
set -- $(instructions "$url")
without=$1 rec_without=$2
kill $spid; wait $spid 2>/dev/null || true
awk -v w="$with" -v o="$without" -v rw="$rec_with" -v ro="$rec_without" -v n="$n" 'BEGIN {
    printf "client instructions per request, %d requests, callgrind:\n", n
    printf "  with Server-Timing (3 metrics): %.1fk, of which the recorder %.2fk\n", w / n / 1000, rw / n / 1000
    printf "  without the header:            %.1fk, of which the recorder %.2fk\n", o / n / 1000, ro / n / 1000
    printf "  recording Server-Timing (parsing it, 3 metrics and outside): %+.2f%% of a request (target < 3%%)\n", 100 * (rw - ro) / o
    printf "  the header as a whole (curl reading one more line, and the recording): %+.2f%%\n", 100 * (w - o) / o }'
