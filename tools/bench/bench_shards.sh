#!/bin/sh
# What one shard costs, the figure that sizes a Slurm array task (-c) or a
# Kubernetes pod (its cpu limit); prints figures, not a test. On 127.0.0.1
# against `dockscript serve --delay 0.05` in its own process,
# docking_scenario.lua (a chain of 2 lookups) for 10 s on 1 thread:
#  A. one process at RATE chains/s: achieved rate and the client's CPU
#     (user + sys from /usr/bin/time) per second of the run: the cores a
#     shard at RATE keeps busy;
#  B. the same run as 2 shards (--shard I/2: RATE / 2 each; two processes,
#     one --start-at),
#     merged: achieved rate, both shards' CPU per second, how far apart
#     they started.
# Medians of ROUNDS rounds. Every figure is of checked answers (all 200, no
# failed iteration) or the script stops (exit 1).
# usage: tools/bench/bench_shards.sh [BUILD_DIR]   (needs tools/deps.sh --bench)
# environment: RATE=1000, ROUNDS=3
set -eu
cd "$(dirname "$0")/../.."
ds=$(realpath "${1:-build}/dockscript")
rate=${RATE:-1000}
rounds=${ROUNDS:-3}
tmp=$(mktemp -d)
pids=
cleanup() { for p in $pids; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT INT TERM
me=bench_shards.sh
. tools/bench/bench_lib.sh
[ -x /usr/bin/time ] || die "/usr/bin/time not found: tools/deps.sh --bench"

port=$(free_port)
"$ds" serve --port "$port" --delay 0.05 --quiet >/dev/null 2>&1 &
pids="$pids $!"
url="http://127.0.0.1:$port"
i=0
until curl -sf "$url/" >/dev/null; do
    i=$((i + 1)); [ $i -lt 50 ] || die "dockscript serve did not start"; sleep 0.1
done

# run NAME RATE [OPTIONS]: one load run of 10 s; its CPU seconds in NAME.cpu
run() {
    name=$1 r=$2
    shift 2
    /usr/bin/time -f "%U %S" -o "$tmp/$name.time" "$ds" load.lua docking_scenario.lua \
        --rate "$r" --duration 10 --threads 1 --quiet --json "$tmp/$name.json" "$@" -- "$url" \
        >/dev/null 2>"$tmp/$name.err" || die "$name: $(cat "$tmp/$name.err")"
    awk '{ printf "%.3f\n", $1 + $2 }' "$tmp/$name.time" >"$tmp/$name.cpu"
}

# checked FILE: "rate p99" of a run whose every answer was a 200
checked() {
    "$ds" -e '
      local r = json.decode(assert(io.open(arg[1])):read("a"))
      local bad = r.iterations.failed + r.iterations.dropped
      for _, q in pairs(r.requests) do
        for code, n in pairs(q.status) do if code ~= "200" then bad = bad + n end end
        for _, n in pairs(q.errors) do bad = bad + n end
      end
      if bad > 0 then io.stderr:write(arg[1], ": ", bad, " failed, dropped or not 200\n"); os.exit(1) end
      print(string.format("%.1f %.4f", r.iterations.rate, r.chain.p99))' "$1" ||
        die "a run saw errors (above): no figure printed (a busy machine? a lower RATE)"
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

: >"$tmp/a" && : >"$tmp/b" && : >"$tmp/spread"
k=1
while [ $k -le "$rounds" ]; do
    run whole "$rate"
    res=$(checked "$tmp/whole.json") || exit 1
    set -- $res
    echo "$(awk -v c="$(cat "$tmp/whole.cpu")" 'BEGIN { printf "%.3f", c / 10 }') $1 $2" >>"$tmp/a"
    at=$(( $(date +%s) + 3 ))
    run s1 "$rate" --shard 1/2 --start-at "$at" &
    p1=$!
    run s2 "$rate" --shard 2/2 --start-at "$at"
    wait $p1 || die "shard 1/2 failed"
    "$ds" load.lua --merge "$tmp/s1.json" "$tmp/s2.json" --json "$tmp/merged.json" >/dev/null ||
        die "--merge failed"
    res=$(checked "$tmp/merged.json") || exit 1
    set -- $res
    echo "$(awk -v a="$(cat "$tmp/s1.cpu")" -v b="$(cat "$tmp/s2.cpu")" 'BEGIN { printf "%.3f", (a + b) / 10 }') $1 $2" >>"$tmp/b"
    "$ds" -e '
      local a = json.decode(io.open(arg[1]):read("a")).start
      local b = json.decode(io.open(arg[2]):read("a")).start
      print(string.format("%.1f", math.abs(a - b) * 1000))' "$tmp/s1.json" "$tmp/s2.json" >>"$tmp/spread"
    k=$((k + 1))
done

echo "== docking_scenario.lua at $rate chains/s for 10 s, serve --delay 0.05, medians of $rounds =="
echo "A. one shard, 1 thread: $(cut -d' ' -f1 "$tmp/a" | median) cores busy (client CPU / s)," \
    "$(cut -d' ' -f2 "$tmp/a" | median)/s achieved, chain p99 $(cut -d' ' -f3 "$tmp/a" | median) s" \
    "(per round: $(cut -d' ' -f1 "$tmp/a" | tr '\n' ' ')cores)"
echo "B. 2 shards of $((rate / 2))/s, one --start-at, merged: $(cut -d' ' -f1 "$tmp/b" | median) cores" \
    "busy in all, $(cut -d' ' -f2 "$tmp/b" | median)/s achieved, chain p99 $(cut -d' ' -f3 "$tmp/b" | median) s;" \
    "started $(median <"$tmp/spread") ms apart (per round: $(tr '\n' ' ' <"$tmp/spread")ms)"
