#!/bin/bash
# Benchmark of `dockscript serve`. Prints figures; fails (exit 1)
# when a run did not measure what it claims: nginx serving other bytes, any
# non-2xx answer or socket error wrk reports, or dockscript's own /_stats
# counting fewer answers than wrk received.
#   tools/bench/bench_server.sh [DOCKSCRIPT] [SECONDS]
# 1. delay 0, wrk -t1 -c64 on /customers?salesId=1 against: dockscript serve;
#    nginx (one worker, access log off) serving the same bytes as a static
#    file, the practical ceiling of the machine; the original-style Flask
#    app under uWSGI (4 processes x 2 threads). Prints req/s and ratios.
# 2. delay 0.5, wrk -c5000: throughput against the limit connections/delay,
#    p99 latency, and the server's peak RSS; then the peak RSS with 10,000
#    waiting connections.
# Needs the Debian packages wrk, nginx-light, uwsgi-core,
# uwsgi-plugin-python3, python3-flask. Everything listens on 127.0.0.1.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
exe=${1:-$here/../../build/dockscript}
secs=${2:-10}
path='/customers?salesId=1'
tmp=$(mktemp -d)
# nginx started as root reads files as its worker user
chmod 755 "$tmp"
pids=()

cleanup() {
    for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    rm -rf "$tmp"
}
trap cleanup EXIT

for tool in wrk nginx uwsgi curl; do
    command -v "$tool" >/dev/null || { echo "bench_server: $tool not found" >&2; exit 1; }
done
[ -x "$exe" ] || { echo "bench_server: $exe is not executable (build first)" >&2; exit 1; }
# 10,000 connections need 10,000+ descriptors in wrk and in the server
ulimit -n "$(ulimit -Hn)"

free_port() {
    /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

wait_http() {  # url: wait up to 10 s for an answer
    for _ in $(seq 100); do
        curl -s -o /dev/null "$1" && return 0
        sleep 0.1
    done
    echo "bench_server: nothing answers at $1" >&2
    exit 1
}

start_dockscript() {  # delay -> sets ds_pid, ds_port
    "$exe" serve --port 0 --delay "$1" --quiet >"$tmp/ds.out" 2>"$tmp/ds.err" &
    ds_pid=$!
    pids+=("$ds_pid")
    ds_port=
    for _ in $(seq 100); do
        ds_port=$(sed -n 's|.*listening on http://127\.0\.0\.1:\([0-9]*\) .*|\1|p' "$tmp/ds.out")
        [ -n "$ds_port" ] && break
        sleep 0.1
    done
    [ -n "$ds_port" ] || { echo "bench_server: dockscript serve did not start" >&2; cat "$tmp/ds.err" >&2; exit 1; }
}

stop_pid() {
    kill -TERM "$1"
    wait "$1" || true
}

# wrk_checked OUT WRK-ARGS...: runs wrk into OUT; exits 1 when wrk saw an
# error answer or a socket error, since the figures would then be wrong.
wrk_checked() {
    local out=$1
    shift
    wrk "$@" >"$out"
    if grep -qE '^ *(Non-2xx or 3xx responses|Socket errors):' "$out"; then
        echo "bench_server: wrk $* saw errors, figures not valid:" >&2
        grep -E '^ *(Non-2xx or 3xx responses|Socket errors):' "$out" >&2
        exit 1
    fi
}

rps() {  # url -> requests/s; wrk's request count in $tmp/requests
    wrk_checked "$tmp/rps.txt" -t1 -c64 -d"${secs}s" "$1"
    awk '/ requests in / {print $1}' "$tmp/rps.txt" >"$tmp/requests"
    awk '/^Requests\/sec:/ {printf "%d", $2}' "$tmp/rps.txt"
}

peak_rss_mb() {
    awk '/^VmHWM:/ {printf "%.1f", $2 / 1024}' "/proc/$1/status"
}

echo "== 1. requests/s at delay 0, wrk -t1 -c64 -d${secs}s $path"

start_dockscript 0
curl -s "http://127.0.0.1:$ds_port$path" >"$tmp/customers.json"
chmod 644 "$tmp/customers.json"
wrk_checked "$tmp/warm.txt" -t1 -c64 -d1s "http://127.0.0.1:$ds_port$path"  # warm-up
ds_rps=$(rps "http://127.0.0.1:$ds_port$path")
# the server counts every answer in /_stats as it serves: its count of 200s
# must cover what wrk received (warm-up and the first curl included)
served=$(curl -s "http://127.0.0.1:$ds_port/_stats" | sed -n 's/.*"by_status":{[^}]*"200":\([0-9]*\).*/\1/p')
if [ -z "$served" ] || [ "$served" -lt "$(cat "$tmp/requests")" ]; then
    echo "bench_server: /_stats counted ${served:-nothing} answers, wrk received $(cat "$tmp/requests")" >&2
    exit 1
fi
stop_pid "$ds_pid"
echo "dockscript serve:       $ds_rps req/s ($served answers counted by its /_stats)"

ng_port=$(free_port)
mkdir -p "$tmp/nginx"
cat >"$tmp/nginx.conf" <<CONF
worker_processes 1;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/error.log;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_requests 100000000;
    client_body_temp_path $tmp/nginx;
    proxy_temp_path $tmp/nginx;
    fastcgi_temp_path $tmp/nginx;
    uwsgi_temp_path $tmp/nginx;
    scgi_temp_path $tmp/nginx;
    server {
        listen 127.0.0.1:$ng_port;
        location = /customers {
            default_type application/json;
            alias $tmp/customers.json;
        }
    }
}
CONF
nginx -c "$tmp/nginx.conf" -p "$tmp/nginx" -e "$tmp/nginx/error.log" -g 'daemon off;' 2>/dev/null &
ng_pid=$!
pids+=("$ng_pid")
wait_http "http://127.0.0.1:$ng_port$path"
curl -s "http://127.0.0.1:$ng_port$path" >"$tmp/nginx.body"
cmp -s "$tmp/nginx.body" "$tmp/customers.json" || {
    echo "bench_server: nginx serves different bytes:" >&2
    head -c 300 "$tmp/nginx.body" >&2
    cat "$tmp/nginx/error.log" >&2
    exit 1
}
wrk_checked "$tmp/warm.txt" -t1 -c64 -d1s "http://127.0.0.1:$ng_port$path"
ng_rps=$(rps "http://127.0.0.1:$ng_port$path")
stop_pid "$ng_pid"
echo "nginx (static file):    $ng_rps req/s"

fl_port=$(free_port)
DOCKING_DELAY=0 uwsgi --plugins http,python3 --http "127.0.0.1:$fl_port" --http-keepalive \
    --so-keepalive --wsgi-file "$here/flask_docking.py" --callable app --processes 4 \
    --threads 2 --master --disable-logging --die-on-term >"$tmp/uwsgi.log" 2>&1 &
fl_pid=$!
pids+=("$fl_pid")
wait_http "http://127.0.0.1:$fl_port$path"
wrk_checked "$tmp/warm.txt" -t1 -c64 -d1s "http://127.0.0.1:$fl_port$path"
fl_rps=$(rps "http://127.0.0.1:$fl_port$path")
stop_pid "$fl_pid"
echo "Flask under uWSGI 4x2:  $fl_rps req/s"

awk -v d="$ds_rps" -v n="$ng_rps" -v f="$fl_rps" 'BEGIN {
    printf "dockscript / nginx:     %.2fx (target >= 1.0x)\n", d / n
    printf "dockscript / Flask:     %.1fx\n", d / f
    printf "nginx / Flask:          %.1fx\n", n / f }'

# the first delay of a run answers nothing: measure long enough to amortise it
secs=$((secs * 2))
delay=0.5

# delayed CONNS TITLE: wrk with CONNS connections at the delay; prints
# throughput against connections/delay, p99 and the server's peak RSS.
delayed() {
    conns=$1
    echo
    echo "== $2"
    start_dockscript "$delay"
    wrk_checked "$tmp/wrk.txt" -t1 -c"$conns" -d"${secs}s" --latency --timeout 5s \
        "http://127.0.0.1:$ds_port$path"
    rss=$(peak_rss_mb "$ds_pid")
    stop_pid "$ds_pid"
    awk -v c="$conns" -v d="$delay" '/^Requests\/sec:/ { r = $2 } $1 == "99%" { p = $2 } END {
        printf "throughput:             %.0f req/s = %.1f%% of connections/delay (%d/s; target >= 90%%)\n",
               r, 100 * r / (c / d), c / d
        print "p99 latency:            " p " (target < delay + 100 ms = 600ms)" }' "$tmp/wrk.txt"
    echo "peak server RSS:        $rss MB"
}

delayed 5000 "2. delay $delay, wrk -t1 -c5000 -d${secs}s --latency"
delayed 10000 "3. 10000 waiting connections, delay $delay (peak RSS target < 100 MB)"
