#!/bin/sh
# Client benchmark (prints figures; not a test). On 127.0.0.1:
#  A. the client's own cost at delay 0: 20,000 GETs of a small JSON file served
#     by nginx (one worker) through http.gather with 64 in flight, beside
#     wrk -t1 -c64 and an aiohttp client (one session, 64 connections);
#  B. N concurrent lookups of two chained GETs against `dockscript serve
#     --delay 0.5` in its own process: time, ideal, efficiency, errors and the
#     client's peak RSS, for N = 10, 100, 1,000, 10,000, beside a minimal C
#     client's time for the same chains (the machine's floor).
# usage: scripts/bench_client.sh [BUILD_DIR]   (needs scripts/deps.sh --bench)
set -eu
cd "$(dirname "$0")/.."
ds=$(realpath "${1:-build}/dockscript")
floor=$(realpath "${1:-build}/floor_client")
delay=${DELAY:-0.5}
sizes=${SIZES:-"10 100 1000 10000"}
count=${COUNT:-20000}
tmp=$(mktemp -d)
pids=
cleanup() { for p in $pids; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT INT TERM

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
field() { /usr/bin/python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())[sys.argv[1]])' "$1"; }

echo "== A. client cost at delay 0 ($count GETs, 64 in flight, nginx one worker) =="
port=$(free_port)
mkdir -p "$tmp/www"
printf '[{"id":"1","name":"Andy Ziemmer","salesId":"1"},{"id":"2","name":"Michael Jordan","salesId":"1"}]' >"$tmp/www/customers.json"
cat >"$tmp/nginx.conf" <<EOC
worker_processes 1;
daemon off;
pid $tmp/nginx.pid;
error_log $tmp/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  server { listen 127.0.0.1:$port; root $tmp/www; default_type application/json; }
}
EOC
nginx -c "$tmp/nginx.conf" &
pids="$pids $!"
sleep 0.5
url="http://127.0.0.1:$port/customers.json"
# Rounds interleave the three clients so that noise from the shared machine
# hits all of them; the medians are compared.
rounds=${ROUNDS:-5}
: >"$tmp/wrk" ; : >"$tmp/ds" ; : >"$tmp/aio"
r=0
while [ $r -lt "$rounds" ]; do
    wrk -t1 -c64 -d3s "$url" | awk '/Requests\/sec/ {print $2}' >>"$tmp/wrk"
    "$ds" scripts/bench_throughput.lua "$url" "$count" 64 | field rps >>"$tmp/ds"
    /usr/bin/python3 scripts/bench_aiohttp.py "$url" "$count" 64 | field rps >>"$tmp/aio"
    r=$((r + 1))
done
kill "$(cat "$tmp/nginx.pid")" 2>/dev/null || true
/usr/bin/python3 - "$tmp/wrk" "$tmp/ds" "$tmp/aio" <<'EOP'
import statistics, sys
w, d, a = ([float(x) for x in open(f).read().split()] for f in sys.argv[1:])
for name, xs in (("wrk -t1 -c64", w), ("dockscript http.gather", d), ("aiohttp asyncio.gather", a)):
    print("%-24s median %8.0f req/s   (runs: %s)" % (name, statistics.median(xs), " ".join("%.0f" % x for x in xs)))
mw, md, ma = statistics.median(w), statistics.median(d), statistics.median(a)
print("dockscript / wrk = %.2fx (target >= 0.5x), dockscript / aiohttp = %.1fx (target >= 5x)" % (md / mw, md / ma))
EOP

echo
echo "== B. N lookups (2 chained GETs) against dockscript serve --delay $delay (own process) =="
"$ds" serve --port 0 --delay "$delay" --quiet >"$tmp/serve.out" &
pids="$pids $!"
i=0
until grep -q "http://" "$tmp/serve.out" 2>/dev/null || [ $i -ge 50 ]; do sleep 0.1; i=$((i + 1)); done
surl=$(grep -o 'http://[0-9.:]*' "$tmp/serve.out" | head -n 1)
[ -n "$surl" ] || { echo "dockscript serve did not start"; exit 1; }
# floor: the same chains from tools/floor_client.c (plain C, epoll, no curl,
# no Lua) against the same server, right after: what the kernel and the
# server alone cost on this machine.
printf '%8s %9s %9s %10s %7s %12s %9s\n' N seconds ideal efficiency errors "client RSS" floor
for n in $sizes; do
    /usr/bin/time -f '%M' -o "$tmp/rss" "$ds" scripts/bench_chain.lua "$surl" "$n" "$delay" >"$tmp/run.json"
    sleep 1
    "$floor" "${surl##*:}" "$n" >"$tmp/floor.json" || true
    /usr/bin/python3 - "$tmp/run.json" "$tmp/rss" "$tmp/floor.json" <<'EOP'
import json, sys
r = json.load(open(sys.argv[1]))
rss = int(open(sys.argv[2]).read().split()[-1]) / 1024
f = json.load(open(sys.argv[3]))
floor = '%9.3f' % f['seconds'] if f['errors'] == 0 else '%d errors' % f['errors']
print('%8d %9.3f %9.3f %9.1f%% %7d %9.1f MB %s' % (r['n'], r['seconds'], r['ideal'], 100 * r['efficiency'], r['errors'], rss, floor))
if r.get('first_error'):
    print('    first error:', r['first_error'])
EOP
    sleep 1
done
