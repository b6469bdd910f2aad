#!/bin/sh
# The client's cost over HTTPS and HTTP/2 beside bare libcurl: instructions
# per request (callgrind, so the figure does not depend on what else the
# machine does) of dockscript's http.gather (64 tasks) and of curl_floor
# (the same GETs from bare libcurl on one multi) in four modes, after plain
# HTTP/1.1 as the reference:
#   0. HTTP/1.1 without TLS, connections reused (nginx)
#   a. HTTPS, HTTP/1.1, connections reused     (nginx, TLS 1.2)
#   b. HTTPS, a new connection per request     (nginx without keep-alive)
#   c. HTTP/2 over TLS, multiplexed            (nginx, ALPN)
#   d. h2c by prior knowledge                  (nghttpd; libcurl < 8.0.0
#      cannot reuse an h2c connection, so one per request, both clients)
# Each client runs N and 2N requests; per request is the difference over N,
# so neither's start-up counts. The peers come from tests/with_tls_peers.sh.
#   tools/bench/bench_tls.sh [BUILD_DIR] [N]
set -eu
self=$(realpath "$0")
cd "$(dirname "$0")/../.."
me=bench_tls.sh
build=$(realpath "${1:-build}")
n=${2:-2000}
command -v valgrind >/dev/null || { echo "$me: valgrind not found: apt-get install valgrind" >&2; exit 1; }
[ -x "$build/curl_floor" ] || { echo "$me: no $build/curl_floor: cmake --build $build" >&2; exit 1; }
if [ -z "${TLS_DIR:-}" ]; then
    TEST_TIMEOUT=3600 exec tests/with_tls_peers.sh "$self" "$build" "$n"
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
ca=$TLS_DIR/ca.pem

# instructions CMD...: the instructions callgrind counts for CMD, which must succeed
instructions() {
    valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.out" "$@" >"$tmp/out" 2>"$tmp/err" ||
        { echo "$me: failed: $*" >&2; cat "$tmp/out" "$tmp/err" >&2; exit 1; }
    grep -E "^(summary|totals):" "$tmp/cg.out" | head -1 | awk '{print $2}'
}

# ds URL COUNT OPTS: COUNT GETs by 64 tasks of one http.gather (as
# bench_throughput.lua), each a 200
ds() {
    instructions "$build/dockscript" -e "
local left, opts = $2, $3
local function worker()
  while left > 0 do
    left = left - 1
    local st = http.get('$1', opts).status
    assert(st == 200, 'status ' .. st)
  end
end
local tasks = {}
for i = 1, 64 do tasks[i] = worker end
http.gather(tasks)"
}

# floor URL COUNT ARGS...: curl_floor's COUNT GETs, 64 in flight
floor() {
    url=$1 count=$2
    shift 2
    instructions "$build/curl_floor" "$@" "$url" "$count" 64
}

# mode NAME COUNT URL DS_OPTS FLOOR_ARGS...: one line of figures
mode() {
    name=$1 count=$2 url=$3 opts=$4
    shift 4
    d1=$(ds "$url" "$count" "$opts")
    d2=$(ds "$url" $((2 * count)) "$opts")
    f1=$(floor "$url" "$count" "$@")
    f2=$(floor "$url" $((2 * count)) "$@")
    awk -v name="$name" -v n="$count" -v d1="$d1" -v d2="$d2" -v f1="$f1" -v f2="$f2" 'BEGIN {
        d = (d2 - d1) / n; f = (f2 - f1) / n
        printf "  %-44s dockscript %8.1fk  libcurl %8.1fk  dockscript / libcurl %.3f\n",
            name, d / 1000, f / 1000, d / f }'
}

echo "client instructions per request (callgrind, the difference of $n and $((2 * n)) requests):"
h2=https://localhost:$TLS_H2_PORT/
mode "0. HTTP/1.1 without TLS, connections reused" "$n" "http://127.0.0.1:$PLAIN_PORT/" \
    "{http_version = '1.1'}" --http 1.1
mode "a. HTTPS/1.1, connections reused" "$n" "$h2" \
    "{cafile = '$ca', http_version = '1.1'}" --cafile "$ca" --http 1.1
mode "b. HTTPS/1.1, a new connection per request" $((n / 10)) "https://localhost:$TLS_CLOSE_PORT/" \
    "{cafile = '$ca', http_version = '1.1'}" --cafile "$ca" --http 1.1
mode "c. HTTP/2 over TLS, multiplexed" "$n" "$h2" \
    "{cafile = '$ca', http_version = '2'}" --cafile "$ca" --http 2
mode "d. h2c (a connection per request)" $((n / 10)) "http://127.0.0.1:$H2C_PORT/index.html" \
    "{http_version = 'h2c'}" --http h2c --fresh
