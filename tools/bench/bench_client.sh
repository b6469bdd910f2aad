#!/bin/sh
# Client benchmark (prints figures; not a test). On 127.0.0.1:
#  A. the client's own cost at delay 0: 20,000 GETs of a small JSON file served
#     by nginx (one worker) through http.gather with 64 in flight, beside
#     wrk -t1 -c64, hey -c 64 -cpus 1 and an aiohttp client (one session, 64
#     connections);
#  B. N concurrent lookups of two chained GETs against `dockscript serve
#     --delay 0.5` in its own process: time, ideal, efficiency and the
#     client's peak RSS, for N = 10, 100, 1,000, 10,000, beside a minimal C
#     client's time for the same chains (the machine's floor).
# Every figure is for checked answers only: before timing, curl must get
# 200 and exactly the served bytes; a client that saw anything but 200 (or
# a socket error) stops the run with the reason on stderr and exit 1.
# usage: tools/bench/bench_client.sh [BUILD_DIR]   (needs tools/deps.sh --bench)
# environment: PARTS="A B" (which parts), ROUNDS=5, COUNT=20000 (part A),
#              SIZES="10 100 1000 10000", DELAY=0.5 (part B)
set -eu
cd "$(dirname "$0")/../.."
ds=$(realpath "${1:-build}/dockscript")
floor=$(realpath "${1:-build}/floor_client")
delay=${DELAY:-0.5}
sizes=${SIZES:-"10 100 1000 10000"}
count=${COUNT:-20000}
rounds=${ROUNDS:-5}
parts=${PARTS:-"A B"}
tmp=$(mktemp -d)
pids=
cleanup() { for p in $pids; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT INT TERM

me=bench_client.sh
. tools/bench/bench_lib.sh
field() { /usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }

# One client each: a req/s figure appended to its file, or die with the reason.
run_wrk() {
    wrk -t1 -c64 -d3s "$url" >"$tmp/out" 2>&1 || die "wrk failed: $(cat "$tmp/out")"
    ! grep -q 'Non-2xx or 3xx responses' "$tmp/out" || die "wrk saw answers other than 2xx/3xx: $(grep 'Non-2xx' "$tmp/out")"
    ! grep -q 'Socket errors' "$tmp/out" || die "wrk saw socket errors: $(grep 'Socket errors' "$tmp/out")"
    awk '/^Requests\/sec:/ {print $2; found = 1} END {exit !found}' "$tmp/out" >>"$tmp/wrk" ||
        die "wrk printed no Requests/sec: $(cat "$tmp/out")"
}
run_hey() {  # hey sends n / c requests per worker: a multiple of 64
    n=$((count / 64 * 64))
    hey -n "$n" -c 64 -cpus 1 "$url" >"$tmp/out" 2>&1 || die "hey failed: $(cat "$tmp/out")"
    ! grep -q 'Error distribution' "$tmp/out" || die "hey saw errors: $(sed -n '/Error distribution/,$p' "$tmp/out")"
    statuses=$(sed -n '/Status code distribution/,/^$/p' "$tmp/out" | grep '\[' || true)
    [ "$(echo "$statuses" | tr -s ' \t' ' ')" = " [200] $n responses" ] ||
        die "hey saw answers other than $n x 200: $statuses"
    awk '/Requests\/sec:/ {print $2}' "$tmp/out" >>"$tmp/hey"
}
run_ds() {  # bench_throughput.lua checks every status itself and exits 1
    "$ds" tools/bench/bench_throughput.lua "$url" "$count" 64 >"$tmp/out" || die "dockscript http.gather: see above"
    [ "$(field "$tmp/out" errors)" = 0 ] || die "dockscript http.gather saw errors: $(cat "$tmp/out")"
    field "$tmp/out" rps >>"$tmp/ds"
}
run_aio() {  # so does bench_aiohttp.py
    /usr/bin/python3 tools/bench/bench_aiohttp.py "$url" "$count" 64 >"$tmp/out" || die "aiohttp: see above"
    [ "$(field "$tmp/out" errors)" = 0 ] || die "aiohttp saw errors: $(cat "$tmp/out")"
    field "$tmp/out" rps >>"$tmp/aio"
}

part_a() {
    echo "== A. client cost at delay 0 ($count GETs, 64 in flight, nginx one worker) =="
    start_nginx
    check_target "$url" "$tmp/www/customers.json"
    # Rounds interleave the clients so that noise from the shared machine
    # hits all of them; the medians are compared.
    : >"$tmp/wrk"; : >"$tmp/hey"; : >"$tmp/ds"; : >"$tmp/aio"
    r=0
    while [ $r -lt "$rounds" ]; do
        run_wrk; run_hey; run_ds; run_aio
        r=$((r + 1))
    done
    kill "$(cat "$tmp/nginx.pid")" 2>/dev/null || true
    /usr/bin/python3 - "$tmp/wrk" "$tmp/hey" "$tmp/ds" "$tmp/aio" <<'EOP'
import statistics, sys
w, h, d, a = ([float(x) for x in open(f).read().split()] for f in sys.argv[1:])
for name, xs in (("wrk -t1 -c64", w), ("hey -c 64 -cpus 1", h), ("dockscript http.gather", d),
                 ("aiohttp asyncio.gather", a)):
    print("%-24s median %8.0f req/s   (runs: %s)" % (name, statistics.median(xs), " ".join("%.0f" % x for x in xs)))
mw, mh, md, ma = (statistics.median(x) for x in (w, h, d, a))
print("dockscript / wrk = %.2fx (target >= 0.5x), dockscript / hey = %.2fx, dockscript / aiohttp = %.1fx (target >= 5x)"
      % (md / mw, md / mh, md / ma))
EOP
}

part_b() {
    echo "== B. N lookups (2 chained GETs) against dockscript serve --delay $delay (own process) =="
    "$ds" serve --port 0 --delay "$delay" --quiet >"$tmp/serve.out" &
    pids="$pids $!"
    i=0
    until grep -q "http://" "$tmp/serve.out" 2>/dev/null || [ $i -ge 50 ]; do sleep 0.1; i=$((i + 1)); done
    surl=$(grep -o 'http://[0-9.:]*' "$tmp/serve.out" | head -n 1)
    [ -n "$surl" ] || die "dockscript serve did not start"
    # floor: the same chains from tools/bench/floor_client.c (plain C, epoll, no
    # curl, no Lua) against the same server, right after: what the kernel
    # and the server alone cost on this machine.
    printf '%8s %9s %9s %10s %12s %9s\n' N seconds ideal efficiency "client RSS" floor
    for n in $sizes; do
        # bench_chain.lua checks every lookup and exits 1 on the first failure
        /usr/bin/time -f '%M' -o "$tmp/rss" "$ds" tools/bench/bench_chain.lua "$surl" "$n" "$delay" >"$tmp/run.json" ||
            die "N=$n: the dockscript client failed: see above"
        sleep 1
        "$floor" "${surl##*:}" "$n" >"$tmp/floor.json" || true
        [ "$(field "$tmp/floor.json" errors 2>/dev/null)" = 0 ] || die "N=$n: floor_client saw errors: $(cat "$tmp/floor.json")"
        /usr/bin/python3 - "$tmp/run.json" "$tmp/rss" "$tmp/floor.json" <<'EOP'
import json, sys
r = json.load(open(sys.argv[1]))
rss = int(open(sys.argv[2]).read().split()[-1]) / 1024
f = json.load(open(sys.argv[3]))
print('%8d %9.3f %9.3f %9.1f%% %9.1f MB %9.3f' % (r['n'], r['seconds'], r['ideal'], 100 * r['efficiency'], rss, f['seconds']))
EOP
        sleep 1
    done
}

for p in $parts; do
    case $p in
    A) part_a ;;
    B) part_b ;;
    *) die "PARTS: expected A and/or B, got '$p'" ;;
    esac
    echo
done
