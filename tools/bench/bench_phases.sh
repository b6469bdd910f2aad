#!/bin/sh
# What the phases of a request (r.timings by phase, and a load run's
# histogram per phase and tag with its count of new connections) cost the
# client: instructions per request (callgrind, so the figure does not depend
# on what else the machine does) of the same closed load run, 1 GET per
# iteration against `dockscript serve --delay 0`, by this build and by a
# build of a commit without them.
#   tools/bench/bench_phases.sh BASE_BUILD_DIR [BUILD_DIR] [ITERATIONS]
# e.g. git archive 48044e7 | tar -x -C /tmp/base && cmake -S /tmp/base -B
# /tmp/base/build -DCMAKE_BUILD_TYPE=RelWithDebInfo && cmake --build
# /tmp/base/build --target dockscript; tools/bench/bench_phases.sh /tmp/base/build
set -eu
cd "$(dirname "$0")/../.."
me=bench_phases.sh
[ $# -ge 1 ] || { echo "usage: tools/bench/$me BASE_BUILD_DIR [BUILD_DIR] [ITERATIONS]" >&2; exit 2; }
base=$(realpath "$1/dockscript")
ds=$(realpath "${2:-build}/dockscript")
n=${3:-3000}
command -v valgrind >/dev/null || { echo "$me: valgrind not found: apt-get install valgrind" >&2; exit 1; }
tmp=$(mktemp -d)
spid=
trap '[ -n "$spid" ] && kill $spid 2>/dev/null; rm -rf "$tmp"' EXIT INT TERM
cat >"$tmp/one.lua" <<'LUA'
return { iteration = function(args) http.get(args[1] .. "/users/1", { name = "one" }) end }
LUA

# instructions BINARY: its instructions for $n iterations, and the
# recorder's (the transfers' observer, inclusive)
instructions() {
    valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.out" "$1" load.lua "$tmp/one.lua" \
        --vus 16 --iterations "$n" --threads 1 --quiet -- "$url" >"$tmp/run.out" 2>"$tmp/vg.err" ||
        { echo "$me: the run failed:" >&2; cat "$tmp/run.out" "$tmp/vg.err" >&2; exit 1; }
    grep -Eq "^iterations: [0-9,]+ done, 0 failed" "$tmp/run.out" ||
        { echo "$me: not every iteration succeeded:" >&2; cat "$tmp/run.out" >&2; exit 1; }
    total=$(grep -E "^(summary|totals):" "$tmp/cg.out" | head -1 | awk '{print $2}')
    rec=$(callgrind_annotate --inclusive=yes "$tmp/cg.out" 2>/dev/null |
        awk '/lscenario.c:record_request/ {gsub(",", "", $1); print $1; exit}')
    echo "$total ${rec:-0}"
}

"$ds" serve --port 0 --delay 0 --quiet --no-server-timing >"$tmp/serve.out" 2>/dev/null &
spid=$!
i=0
until grep -q "http://" "$tmp/serve.out" || [ $i -ge 100 ]; do sleep 0.1; i=$((i + 1)); done
url=$(grep -o 'http://[0-9.:]*' "$tmp/serve.out" | head -n 1)
[ -n "$url" ] || { echo "$me: dockscript serve did not start" >&2; exit 1; }

# shellcheck disable=SC2046 # two numbers
set -- $(instructions "$ds")
with=$1 rec_with=$2
# shellcheck disable=SC2046 # two numbers
set -- $(instructions "$base")
without=$1 rec_without=$2
awk -v w="$with" -v o="$without" -v rw="$rec_with" -v ro="$rec_without" -v n="$n" 'BEGIN {
    printf "client instructions per request, %d requests, callgrind:\n", n
    printf "  this build:  %.1fk, of which the recorder %.2fk\n", w / n / 1000, rw / n / 1000
    printf "  base build:  %.1fk, of which the recorder %.2fk\n", o / n / 1000, ro / n / 1000
    printf "  recording the phases and connections: %+.2f%% of a request (target <= 3%%)\n", 100 * (rw - ro) / o
    printf "  the whole difference (curl getinfos, r.timings by phase, recording): %+.2f%%\n", 100 * (w - o) / o }'
