#!/bin/sh
# Load runner benchmark (prints figures; not a test). On 127.0.0.1:
#  A. open model against `dockscript serve --delay 0.5` (a chain of 2 is
#     1.0 s): 1,000/s for 10 s on 1 thread, 5,000/s for 10 s on 2 threads:
#     achieved rate, dropped, chain p50/p99;
#  B. the server stalled for 1 s (SIGSTOP/SIGCONT) during an open-model run
#     and during a closed-model run of the same scenario: the open model's
#     p99/max show the stall, the closed model hides most of it;
#  C. client cost at delay 0 against nginx (one GET per iteration, 64 VUs,
#     recording on) beside wrk -t1 -c64 and hey -c 64 -cpus 1, then 2
#     threads beside wrk -t2 -c64; medians of interleaved rounds;
#  D. 10,000 VUs in flight at delay 0.5: the client's peak RSS; then
#     bench.lua --names 10000 --threads 2 beside the same 10,000 chains from
#     tools/bench/floor_client (plain sockets: the machine's floor) and
#     tools/bench/curl_floor --chain (bare libcurl, one thread: the engine's).
# Every figure is of checked answers: a run with a non-200 answer, a
# transport error or a failed iteration stops the script (exit 1).
# usage: tools/bench/bench_load.sh [BUILD_DIR]   (needs tools/deps.sh --bench)
# environment: PARTS="A B C D" (which parts), ROUNDS=3,
#              BASE=DIR (part D: another build's `dockscript bench.lua` in the
#              same rounds: before and after a change, on the same noise)
set -eu
cd "$(dirname "$0")/../.."
ds=$(realpath "${1:-build}/dockscript")
floor=$(realpath "${1:-build}/floor_client")
curl_floor=$(realpath "${1:-build}/curl_floor")
base=${BASE:+$(realpath "$BASE/dockscript")}
rounds=${ROUNDS:-3}
parts=${PARTS:-"A B C D"}
tmp=$(mktemp -d)
chmod 755 "$tmp"
pids=
cleanup() { for p in $pids; do kill -CONT "$p" 2>/dev/null; kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT INT TERM
me=bench_load.sh
. tools/bench/bench_lib.sh
[ -x "$curl_floor" ] || die "$curl_floor: not built (cmake --build BUILD_DIR --target curl_floor)"
[ -z "$base" ] || [ -x "$base" ] || die "BASE: $base is not executable"

# serve DELAY: starts `dockscript serve` in its own process; sets $srv_pid, $srv_url
serve() {
    port=$(free_port)
    "$ds" serve --port "$port" --delay "$1" >/dev/null 2>&1 &
    srv_pid=$!
    pids="$pids $srv_pid"
    srv_url="http://127.0.0.1:$port"
    i=0
    until curl -sf "$srv_url/" >/dev/null; do
        i=$((i + 1)); [ $i -lt 50 ] || die "dockscript serve did not start"; sleep 0.1
    done
}

# check JSON: every iteration done, every answer 200, no transport error;
# prints "rate dropped p50 p99 max p90" of the run.
check() {
    "$ds" -e '
      local r = json.decode(assert(io.open(arg[1])):read("a"))
      local bad = {}
      if r.iterations.failed > 0 then bad[#bad + 1] = r.iterations.failed .. " failed iterations" end
      for tag, q in pairs(r.requests) do
        for code, n in pairs(q.status) do
          if code ~= "200" then bad[#bad + 1] = n .. " answers " .. code .. " on " .. tag end
        end
        for why, n in pairs(q.errors) do bad[#bad + 1] = n .. " x " .. why .. " on " .. tag end
      end
      if #bad > 0 then io.stderr:write("unchecked run: ", table.concat(bad, "; "), "\n"); os.exit(1) end
      print(string.format("%.1f %d %.4f %.4f %.4f %.4f", r.iterations.rate, r.iterations.dropped,
        r.chain.p50, r.chain.p99, r.chain.max, r.chain.p90))' "$1" || die "a run saw errors (above): no figure printed"
}

load() { "$ds" load.lua "$@"; }
# A run of 10,000 connections leaves as many client sockets in TIME_WAIT for
# a minute: a connect whose 4-tuple is in TIME_WAIT hunts for another port.
# With net.ipv4.tcp_tw_reuse on for loopback (1, or 2: the kernel's default)
# a TIME_WAIT socket older than 1 s is reused at once, so 2 s of rest are
# enough (measured: floor_client's 10,000 chains in 1.29-1.38 s after rests
# of 1-5 s with 25,000-39,000 sockets in TIME_WAIT, other agents' included;
# 2.1-2.2 s started right after the previous run). Without it, waits (70 s
# at most) until they are gone, so that every timed run starts alike.
drain() {
    sleep 2
    case $(cat /proc/sys/net/ipv4/tcp_tw_reuse 2>/dev/null) in 1 | 2) return ;; esac
    i=0
    while [ "$(ss -tan state time-wait | wc -l)" -gt 500 ] && [ $i -lt 70 ]; do sleep 1; i=$((i + 1)); done
}
docking=$(realpath scripts/scenarios/docking_scenario.lua)

part_a() {
    echo "== A. open model against dockscript serve --delay 0.5 =="
    serve 0.5
    for spec in "1000 1" "5000 2"; do
        set -- $spec
        load "$docking" --rate "$1" --duration 10 --threads "$2" --quiet \
            --json "$tmp/a.json" -- "$srv_url" >/dev/null
        set -- $spec $(check "$tmp/a.json")
        echo "rate $1/s, threads $2: achieved $3/s ($(awk "BEGIN{printf \"%.1f\", 100*$3/$1}")%), dropped $4, chain p50 $5 s, p99 $6 s, max $7 s"
    done
    kill "$srv_pid"
}

part_b() {
    echo "== B. the server stalled for 1 s (delay 0.05, 200 iterations/s or 20 VUs, 8 s) =="
    for model in open closed; do
        serve 0.05
        if [ $model = open ]; then m="--rate 200"; else m="--vus 20"; fi
        ( sleep 3; kill -STOP "$srv_pid"; sleep 1; kill -CONT "$srv_pid" ) &
        load "$docking" $m --duration 8 --threads 1 --quiet --json "$tmp/b.json" -- "$srv_url" >/dev/null
        wait $!
        set -- $(check "$tmp/b.json")
        echo "$model model: chain p50 $3 s, p90 $6 s, p99 $4 s, max $5 s, $1 iterations/s"
        kill "$srv_pid"
    done
}

# One figure each for part C: wrk, hey, load.lua (threads), against $url.
wrk_rps() { # threads
    out=$(wrk -t"$1" -c64 -d3s "$url")
    echo "$out" | grep -qE 'Non-2xx|Socket errors' && die "wrk saw errors: $out"
    echo "$out" | awk '/Requests\/sec/ {print $2}'
}
hey_rps() {
    out=$(hey -c 64 -cpus 1 -z 3s "$url")
    echo "$out" | grep -E '^\s+\[[0-9]+\]' | grep -vq '\[200\]' && die "hey saw non-200 answers: $out"
    echo "$out" | grep -q 'Error distribution' && die "hey saw errors: $out"
    echo "$out" | awk '/Requests\/sec/ {print $2}'
}
ds_rps() { # threads
    load "$tmp/get.lua" --vus 64 --duration 3 --threads "$1" --quiet --json "$tmp/c.json" -- "$url" >/dev/null
    check "$tmp/c.json" | cut -d' ' -f1
}

part_c() {
    echo "== C. client cost at delay 0 (nginx, one GET per iteration, 64 VUs, recording on) =="
    start_nginx
    check_target "$url" "$tmp/www/customers.json"
    cat >"$tmp/get.lua" <<'EOS'
-- one GET per iteration: the client's cost per request
return { iteration = function(args) return http.get(args[1]).status end }
EOS
    : >"$tmp/w1"; : >"$tmp/h1"; : >"$tmp/d1"; : >"$tmp/w2"; : >"$tmp/d2"
    r=0
    while [ $r -lt "$rounds" ]; do
        wrk_rps 1 >>"$tmp/w1"; ds_rps 1 >>"$tmp/d1"; hey_rps >>"$tmp/h1"
        wrk_rps 2 >>"$tmp/w2"; ds_rps 2 >>"$tmp/d2"
        r=$((r + 1))
    done
    /usr/bin/python3 - "$tmp" <<'EOP'
import statistics, sys
m = {k: statistics.median(float(x) for x in open(f"{sys.argv[1]}/{k}").read().split())
     for k in ("w1", "h1", "d1", "w2", "d2")}
print(f"1 thread: wrk -t1 -c64 {m['w1']:.0f} req/s, hey -c 64 -cpus 1 {m['h1']:.0f}, "
      f"dockscript load.lua {m['d1']:.0f} ({m['d1']/m['w1']:.2f}x wrk, {m['d1']/m['h1']:.2f}x hey)")
print(f"2 threads: wrk -t2 -c64 {m['w2']:.0f} req/s, dockscript --threads 2 {m['d2']:.0f} "
      f"({m['d2']/m['w2']:.2f}x wrk; 2 cores shared with nginx)")
EOP
    kill "$(cat "$tmp/nginx.pid")" 2>/dev/null || true
}

part_d() {
    echo "== D. 10,000 in flight at delay 0.5 =="
    serve 0.5
    drain
    /usr/bin/time -f "%M" -o "$tmp/rss" "$ds" load.lua "$docking" --vus 10000 --iterations 10000 \
        --threads 1 --quiet --json "$tmp/d.json" -- "$srv_url" >/dev/null
    set -- $(check "$tmp/d.json")
    echo "10,000 VUs, 1 thread: peak RSS $(awk '{printf "%.0f", $1/1024}' "$tmp/rss") MB, chain p50 $3 s, max $5 s"
    : >"$tmp/bench"; : >"$tmp/base"; : >"$tmp/floor"; : >"$tmp/cf"; : >"$tmp/rss_all"
    r=0
    while [ $r -lt "$rounds" ]; do
        # BASE and this build take turns going first
        if [ -n "$base" ] && [ $((r % 2)) = 1 ]; then bench_lookups "$base" "$tmp/base"; fi
        bench_lookups "$ds" "$tmp/bench"
        if [ -n "$base" ] && [ $((r % 2)) = 0 ]; then bench_lookups "$base" "$tmp/base"; fi
        drain
        "$floor" "${srv_url##*:}" 10000 | /usr/bin/python3 -c 'import json,sys; d=json.loads(sys.stdin.readline()); assert d["errors"]==0, d; print(d["seconds"])' >>"$tmp/floor" ||
            die "floor_client saw errors"
        drain
        "$curl_floor" --chain "$srv_url" 10000 >"$tmp/cf.json" || die "curl_floor --chain: see above"
        /usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["seconds"])' "$tmp/cf.json" >>"$tmp/cf"
        r=$((r + 1))
    done
    /usr/bin/python3 - "$tmp" <<'EOP'
import statistics, sys
d = sys.argv[1]
def runs(k):
    return [float(x) for x in open(f"{d}/{k}").read().split()]
b, base, f, c = runs("bench"), runs("base"), runs("floor"), runs("cf")
m = statistics.median
rss = max(int(x) for x in open(f"{d}/rss_all").read().split()) / 1024
print(f"bench.lua --names 10000 --threads 2: median {m(b):.3f} s of {b}, client peak RSS {rss:.0f} MB")
if base:
    print(f"BASE bench.lua: median {m(base):.3f} s of {base}")
print(f"floor_client: median {m(f):.3f} s of {f}")
print(f"curl_floor --chain (one thread): median {m(c):.3f} s of {c}")
ratios = [("bench.lua / floor_client", b, f), ("bench.lua / curl_floor", b, c), ("curl_floor / floor_client", c, f)]
if base:
    ratios += [("BASE / floor_client", base, f), ("BASE / curl_floor", base, c), ("bench.lua / BASE", b, base)]
for name, x, y in ratios:
    per = sorted(p / q for p, q in zip(x, y))
    print(f"{name:26s} {m(x) / m(y):.2f}x of medians, per round {per[0]:.2f} {m(per):.2f} {per[-1]:.2f}")
EOP
}

# bench_lookups DOCKSCRIPT FILE: one checked bench.lua run of 10,000 lookups
# on 2 threads after a rest; its time appended to FILE, its RSS to rss_all.
bench_lookups() {
    drain
    /usr/bin/time -f "%M" -o "$tmp/rss2" "$1" bench.lua --url "$srv_url" --names 10000 --sync-max 0 \
        --threads 2 --quiet --json "$tmp/bench.json" >"$tmp/bench.out" || die "bench.lua failed: $(cat "$tmp/bench.out")"
    "$ds" -e '
      local r = json.decode(assert(io.open(arg[1])):read("a"))
      local run = r.runs[1]
      assert(run.identical == true, "results not checked identical")
      print(run.async_median)' "$tmp/bench.json" >>"$2" || die "bench.lua: results not identical"
    [ "$1" != "$ds" ] || cat "$tmp/rss2" >>"$tmp/rss_all"
}

for p in $parts; do
    case $p in
    A) part_a ;;
    B) part_b ;;
    C) part_c ;;
    D) part_d ;;
    *) die "PARTS: expected some of A B C D, got '$p'" ;;
    esac
done
