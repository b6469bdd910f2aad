#!/bin/sh
# Client benchmark (prints figures; not a test). On 127.0.0.1:
#  A. the client's own cost at delay 0: 20,000 GETs of a small JSON file served
#     by nginx (one worker) through http.gather with 64 in flight, beside
#     tools/bench/curl_floor (the same GETs from bare libcurl: the engine's
#     floor), wrk -t1 -c64, hey -c 64 -cpus 1 and an aiohttp client (one
#     session, 64 connections); req/s medians over the rounds and the ratios
#     dockscript/wrk, dockscript/hey, dockscript/curl_floor, curl_floor/wrk;
#  B. N concurrent lookups of two chained GETs against `dockscript serve
#     --delay 0.5` in its own process: time, ideal, efficiency and the
#     client's peak RSS, for N = 10, 100, 1,000, 10,000, beside the time of the
#     same chains from a minimal C client (floor_client: the machine's floor)
#     and from curl_floor --chain (libcurl's).
# Every figure is for checked answers only: before timing, curl must get
# 200 and exactly the served bytes; a client that saw anything but 200 (or
# a socket error) stops the run with the reason on stderr and exit 1.
# With --url URL, part A measures that URL instead of nginx's file: your own
# server's GET, with the same clients, rounds and table (URL must answer a
# GET with 200; every answer is checked likewise). Part B needs the Docking
# API, so --url runs part A only.
# usage: tools/bench/bench_client.sh [--url URL] [BUILD_DIR]   (needs tools/deps.sh --bench)
# environment: PARTS="A B" (which parts), ROUNDS=5, COUNT=20000 (part A),
#              SIZES="10 100 1000 10000", DELAY=0.5 (part B),
#              BASE=DIR (part A: another build's dockscript in the same rounds,
#              running BASE_SCRIPT, by default tools/bench/bench_throughput.lua:
#              before and after a change, on the same noise)
set -eu
me=bench_client.sh
target=
build=build
while [ $# -gt 0 ]; do
    case $1 in
    --url) [ $# -ge 2 ] || { echo "$me: --url needs a URL" >&2; exit 2; }; target=$2; shift 2 ;;
    --url=*) target=${1#--url=}; shift ;;
    -h | --help) sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "$me: unknown option '$1' (usage: bench_client.sh [--url URL] [BUILD_DIR])" >&2; exit 2 ;;
    *) build=$1; shift ;;
    esac
done
case $target in
"" | http://* | https://*) ;;
*) echo "$me: --url: expected http://HOST[:PORT]/PATH, got '$target'" >&2; exit 2 ;;
esac
if [ -n "$target" ]; then
    case ${PARTS:-A} in
    A) ;;
    *) echo "$me: --url measures part A only (PARTS=${PARTS})" >&2; exit 2 ;;
    esac
fi
cd "$(dirname "$0")/../.."
ds=$(realpath "$build/dockscript")
floor=$(realpath "$build/floor_client")
curl_floor=$(realpath "$build/curl_floor")
base=${BASE:+$(realpath "$BASE/dockscript")}
base_script=$(realpath "${BASE_SCRIPT:-tools/bench/bench_throughput.lua}")
delay=${DELAY:-0.5}
sizes=${SIZES:-"10 100 1000 10000"}
count=${COUNT:-20000}
rounds=${ROUNDS:-5}
parts=${PARTS:-"A B"}
[ -z "$target" ] || parts=A
tmp=$(mktemp -d)
pids=
cleanup() { for p in $pids; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT INT TERM

. tools/bench/bench_lib.sh
[ -x "$curl_floor" ] || die "$curl_floor: not built (cmake --build BUILD_DIR --target curl_floor)"
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
run_base() {
    "$base" "$base_script" "$url" "$count" 64 >"$tmp/out" || die "BASE's http.gather: see above"
    [ "$(field "$tmp/out" errors)" = 0 ] || die "BASE's http.gather saw errors: $(cat "$tmp/out")"
    field "$tmp/out" rps >>"$tmp/base"
}
run_cf() {  # so does curl_floor (exit 1 on the first answer that is not a 200)
    "$curl_floor" "$url" "$count" 64 >"$tmp/out" || die "curl_floor: see above"
    [ "$(field "$tmp/out" errors)" = 0 ] || die "curl_floor saw errors: $(cat "$tmp/out")"
    field "$tmp/out" rps >>"$tmp/cf"
}
run_aio() {  # so does bench_aiohttp.py
    /usr/bin/python3 tools/bench/bench_aiohttp.py "$url" "$count" 64 >"$tmp/out" || die "aiohttp: see above"
    [ "$(field "$tmp/out" errors)" = 0 ] || die "aiohttp saw errors: $(cat "$tmp/out")"
    field "$tmp/out" rps >>"$tmp/aio"
}

# check_url URL: URL answers a GET with 200 (10 s to start), else no figure.
check_url() {
    i=0
    while :; do
        code=$(curl -s -o /dev/null -w '%{http_code}' "$1" || true)
        [ "$code" = 000 ] && [ $i -lt 100 ] || break
        sleep 0.1
        i=$((i + 1))
    done
    [ "$code" = 200 ] || die "$1 answers HTTP $code, not 200: nothing measured"
}

part_a() {
    [ -z "$base" ] || [ -x "$base" ] || die "BASE: $base is not executable"
    if [ -n "$target" ]; then
        echo "== A. client cost against $target ($count GETs, 64 in flight) =="
        url=$target
        check_url "$url"
    else
        echo "== A. client cost at delay 0 ($count GETs, 64 in flight, nginx one worker) =="
        start_nginx
        check_target "$url" "$tmp/www/customers.json"
    fi
    # Rounds interleave the clients, each round starting one client later,
    # so that the shared machine's noise and any drift hit all of them; the
    # medians are compared, and the ratios within each round show the spread.
    clients="wrk hey cf ds aio${base:+ base}"
    for c in $clients; do : >"$tmp/$c"; done
    r=0
    while [ $r -lt "$rounds" ]; do
        set -- $clients
        i=0
        while [ $i -lt $((r % $#)) ]; do c=$1; shift; set -- "$@" "$c"; i=$((i + 1)); done
        for c in "$@"; do "run_$c"; done
        r=$((r + 1))
    done
    [ -n "$target" ] || kill "$(cat "$tmp/nginx.pid")" 2>/dev/null || true
    /usr/bin/python3 - "$tmp" $clients <<'EOP'
import statistics, sys
d, clients = sys.argv[1], sys.argv[2:]
runs = {c: [float(x) for x in open(f"{d}/{c}").read().split()] for c in clients}
med = {c: statistics.median(xs) for c, xs in runs.items()}
names = {"wrk": "wrk -t1 -c64", "hey": "hey -c 64 -cpus 1", "cf": "curl_floor (libcurl)",
         "ds": "dockscript http.gather", "base": "BASE http.gather", "aio": "aiohttp asyncio.gather"}
print("%-24s %12s   %s" % ("client", "median req/s", "runs, in round order"))
for c in ("wrk", "hey", "cf", "ds", "base", "aio"):
    if c in runs:
        print("%-24s %12.0f   %s" % (names[c], med[c], " ".join("%.0f" % x for x in runs[c])))
print()
print("%-24s %12s   %s" % ("ratio", "of medians", "per round: min median max"))
pairs = [("ds", "wrk", "target >= 0.5x"), ("ds", "hey", ""), ("ds", "cf", ""), ("cf", "wrk", ""),
         ("ds", "aio", "target >= 5x"), ("base", "cf", ""), ("ds", "base", "")]
short = {"ds": "dockscript", "cf": "curl_floor", "base": "BASE", "aio": "aiohttp"}
for a, b, note in pairs:
    if a not in runs or b not in runs:
        continue
    per = sorted(x / y for x, y in zip(runs[a], runs[b]))
    label = "%s / %s" % (short.get(a, a), short.get(b, b))
    print("%-24s %11.2fx   %.2f %.2f %.2f%s" % (label, med[a] / med[b], per[0], statistics.median(per),
          per[-1], "   (" + note + ")" if note else ""))
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
    # and the server alone cost on this machine; curl floor: the same chains
    # from bare libcurl (tools/bench/curl_floor.c), what the engine cannot
    # beat.
    printf '%8s %9s %9s %10s %12s %9s %11s\n' N seconds ideal efficiency "client RSS" floor "curl floor"
    for n in $sizes; do
        # bench_chain.lua checks every lookup and exits 1 on the first failure
        /usr/bin/time -f '%M' -o "$tmp/rss" "$ds" tools/bench/bench_chain.lua "$surl" "$n" "$delay" >"$tmp/run.json" ||
            die "N=$n: the dockscript client failed: see above"
        sleep 1
        "$floor" "${surl##*:}" "$n" >"$tmp/floor.json" || true
        [ "$(field "$tmp/floor.json" errors 2>/dev/null)" = 0 ] || die "N=$n: floor_client saw errors: $(cat "$tmp/floor.json")"
        sleep 1
        "$curl_floor" --chain "$surl" "$n" >"$tmp/cf.json" || die "N=$n: curl_floor --chain failed: see above"
        /usr/bin/python3 - "$tmp/run.json" "$tmp/rss" "$tmp/floor.json" "$tmp/cf.json" <<'EOP'
import json, sys
r = json.load(open(sys.argv[1]))
rss = int(open(sys.argv[2]).read().split()[-1]) / 1024
f = json.load(open(sys.argv[3]))
c = json.load(open(sys.argv[4]))
print('%8d %9.3f %9.3f %9.1f%% %9.1f MB %9.3f %11.3f' % (r['n'], r['seconds'], r['ideal'], 100 * r['efficiency'], rss,
      f['seconds'], c['seconds']))
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
