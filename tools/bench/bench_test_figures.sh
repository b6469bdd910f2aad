#!/bin/sh
# The figures the tests no longer bound (prints figures; not a test). How
# long something takes on a machine that may be busy says more about the
# machine than about the code, so the tests assert what happened and leave
# the time to this script. On 127.0.0.1:
#  A. GET /_stats while 5,000 requests wait at delay 0.5: its median and
#     slowest time, from the run of tests/server/test_stats_load.py (it
#     polls /_stats every 5 ms from a process of its own);
#  B. answers that wait no delay, against `dockscript serve --delay 0.3
#     --client-delay --max-delay 3600 --workers 1 --queue-max 0` with its
#     one slot held: the client's time (curl's time_total, ROUNDS requests
#     each, median and max) of GET /, an unknown path (404), a bad X-Delay
#     (400), a 503 (no slot) and /_stats; the server's own total of the
#     503 (Server-Timing), median and max; then an API route (GET
#     /users/1) of a server at --delay 0, and the Server-Timing queue of
#     a delayed one (X-Delay 0.01; no --workers: no slot to wait for);
#  C. normal requests while 1,000 slowloris connections trickle headers:
#     how many in 1.5 s and the slowest, from tests/server/test_slowloris.py;
#  D. 10,000 lookups by host name on 2 threads at delay 0.5 (ideal 1.0 s),
#     from tests/hostname_test.sh (its own name in a mount namespace);
#  E. calibrate.lua at 100/s and 200/s for 1 s on 1 thread: outside p99
#     (latency minus the server's Server-Timing total: client, kernels);
#  F. 100 connects right after 100 were cancelled mid-connect: median and
#     slowest (curl's clock), from tests/lua/test_gather.lua;
#  G. start lag of the open model at 100/s (chains of 2 GETs at delay
#     0.05, server in-process), from tests/lua/test_runner.lua.
# Every figure is of checked answers: a wrong status, or a test that
# failed, stops the script (exit 1) without it.
# usage: tools/bench/bench_test_figures.sh [BUILD_DIR]
# environment: PARTS="A B C D E F G" (which parts), ROUNDS=100 (part B)
set -eu
cd "$(dirname "$0")/../.."
src=$(pwd)
ds=$(realpath "${1:-build}/dockscript")
rounds=${ROUNDS:-100}
parts=${PARTS:-"A B C D E F G"}
tmp=$(mktemp -d)
pids=
cleanup() { for p in $pids; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT INT TERM
me=bench_test_figures.sh
. tools/bench/bench_lib.sh
[ -x "$ds" ] || die "$ds: not built"

# pytest_figure TEST.py PATTERN: runs the server test, prints what its
# output has from PATTERN on; a failed test prints nothing but the reason.
pytest_figure() {
    DOCKSCRIPT=$ds PYTHONDONTWRITEBYTECODE=1 timeout 300 /usr/bin/python3 \
        "$src/tests/server/$1" >"$tmp/py.out" 2>&1 ||
        { cat "$tmp/py.out" >&2; die "$1 failed (above): no figure"; }
    grep -oE "$2.*" "$tmp/py.out" | sed 's/^/  /' || die "$1: no /$2/ in its output"
}

# answer_times NAME WANT_STATUS CURL_ARGS...: ROUNDS requests, each on its own
# connection; prints the median and max of curl's time_total in ms.
answer_times() {
    name=$1 want=$2
    shift 2
    : >"$tmp/t"
    i=0
    while [ $i -lt "$rounds" ]; do
        out=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' "$@")
        [ "${out% *}" = "$want" ] || die "$name: HTTP ${out% *}, want $want: no figure"
        echo "${out#* }" >>"$tmp/t"
        i=$((i + 1))
    done
    sort -n "$tmp/t" | awk -v name="$name" '{ t[NR] = $1 * 1000 }
        END { printf "  %-34s median %7.3f ms   max %8.3f ms\n", name, t[int((NR + 1) / 2)], t[NR] }'
}

for part in $parts; do
    case $part in
    A)
        echo "== A. GET /_stats while 5,000 requests wait (tests/server/test_stats_load.py) =="
        pytest_figure test_stats_load.py '/_stats while all wait'
        ;;
    B)
        echo "== B. answers at once, $rounds each, server delay 0.3 s, its one slot held =="
        port=$(free_port)
        "$ds" serve --port "$port" --delay 0.3 --client-delay --max-delay 3600 --workers 1 --queue-max 0 \
            --quiet >"$tmp/serve.out" 2>&1 &
        srv=$!
        pids="$pids $srv"
        url=http://127.0.0.1:$port
        i=0
        until curl -sf "$url/" >/dev/null; do
            i=$((i + 1)); [ $i -lt 50 ] || die "dockscript serve did not start"; sleep 0.1
        done
        # holds the one slot for an hour: every API request meanwhile is a 503
        curl -s -o /dev/null -H 'X-Delay: 3600' "$url/users/1" &
        holder=$!
        pids="$pids $holder"
        i=0
        until curl -s "$url/_stats" | grep -q '"in_flight":1'; do
            i=$((i + 1)); [ $i -lt 50 ] || die "the slot was not taken"; sleep 0.1
        done
        answer_times "GET / (tests: timing)" 200 "$url/"
        answer_times "GET /nope, 404 (timing)" 404 "$url/nope"
        answer_times "bad X-Delay, 400 (realistic)" 400 -H 'X-Delay: abc' "$url/customers/1"
        answer_times "no slot, 503 (realistic)" 503 "$url/users/2"
        answer_times "GET /_stats (realistic)" 200 "$url/_stats"
        : >"$tmp/st"
        i=0
        while [ $i -lt "$rounds" ]; do
            curl -s -D - -o /dev/null "$url/users/2" | tr -d '\r' |
                sed -n 's/^Server-Timing: .*total;dur=\([0-9.]*\)$/\1/p' >>"$tmp/st"
            i=$((i + 1))
        done
        [ "$(wc -l <"$tmp/st")" -eq "$rounds" ] || die "a 503 without Server-Timing: no figure"
        sort -n "$tmp/st" | awk '{ t[NR] = $1 } END {
            printf "  %-34s median %7.3f ms   max %8.3f ms\n", "503 total, server (server_timing)",
                t[int((NR + 1) / 2)], t[NR] }'
        kill "$holder" "$srv" 2>/dev/null || true
        wait "$holder" "$srv" 2>/dev/null || true
        pids=
        port=$(free_port)
        "$ds" serve --port "$port" --delay 0 --client-delay --quiet >"$tmp/serve.out" 2>&1 &
        srv=$!
        pids="$pids $srv"
        url=http://127.0.0.1:$port
        i=0
        until curl -sf "$url/" >/dev/null; do
            i=$((i + 1)); [ $i -lt 50 ] || die "dockscript serve did not start"; sleep 0.1
        done
        answer_times "--delay 0: GET /users/1 (schedule)" 200 "$url/users/1"
        : >"$tmp/st"
        i=0
        while [ $i -lt "$rounds" ]; do
            curl -s -D - -o /dev/null -H 'X-Delay: 0.01' "$url/users/1" | tr -d '\r' |
                sed -n 's/^Server-Timing: queue;dur=\([0-9.]*\),.*$/\1/p' >>"$tmp/st"
            i=$((i + 1))
        done
        [ "$(wc -l <"$tmp/st")" -eq "$rounds" ] || die "an answer without Server-Timing: no figure"
        sort -n "$tmp/st" | awk '{ t[NR] = $1 } END {
            printf "  %-34s median %7.3f ms   max %8.3f ms\n", "queue at X-Delay 0.01 (server_timing)",
                t[int((NR + 1) / 2)], t[NR] }'
        kill "$srv" 2>/dev/null || true
        wait "$srv" 2>/dev/null || true
        pids=
        ;;
    C)
        echo "== C. normal requests beside 1,000 slowloris connections (tests/server/test_slowloris.py) =="
        pytest_figure test_slowloris.py 'normal requests meanwhile'
        ;;
    D)
        echo "== D. 10,000 lookups by host name, 2 threads, delay 0.5 s (tests/hostname_test.sh) =="
        timeout 300 "$src/tests/hostname_test.sh" "$ds" >"$tmp/host.out" 2>&1 ||
            { cat "$tmp/host.out" >&2; die "hostname_test.sh failed (above): no figure"; }
        sed -n 's/^10,000 lookups by name: /  /p' "$tmp/host.out"
        ;;
    E)
        echo "== E. outside p99 (latency - server total), calibrate.lua, 1 thread (tests/load_test.sh) =="
        timeout 120 "$ds" calibrate.lua --rates 100,200 --duration 1 --threads 1 --tolerance 5ms \
            --json "$tmp/cal.json" >"$tmp/cal.out" 2>&1 ||
            { cat "$tmp/cal.out" >&2; die "calibrate.lua failed (above): no figure"; }
        "$ds" -e '
          local j = json.decode(assert(io.open(arg[1])):read("a"))
          for _, r in ipairs(j.rows) do
            if r.failed > 0 then io.stderr:write("failed iterations at ", r.rate, "/s\n") os.exit(1) end
            print(string.format("  %4d/s: outside p50 %.3f ms, p99 %.3f ms, p99.9 %.3f ms; start lag p99 %.3f ms",
              r.rate, r.outside_p50 * 1000, r.outside_p99 * 1000, r.outside_p999 * 1000,
              r.start_lag_p99 * 1000))
          end' "$tmp/cal.json" || die "calibrate.lua saw failures: no figure"
        ;;
    F)
        echo "== F. connects after cancelled ones (tests/lua/test_gather.lua) =="
        timeout 180 tests/with_fixture.sh tests/fixture/http_fixture.py -- "$ds" tests/lua/test_gather.lua \
            >"$tmp/gather.out" 2>&1 || { cat "$tmp/gather.out" >&2; die "test_gather.lua failed (above): no figure"; }
        grep -o 'connects after the cancelled ones.*' "$tmp/gather.out" | sed 's/^/  /'
        ;;
    G)
        echo "== G. start lag, open model at 100/s (tests/lua/test_runner.lua) =="
        timeout 120 "$ds" tests/lua/test_runner.lua >"$tmp/runner.out" 2>&1 ||
            { cat "$tmp/runner.out" >&2; die "test_runner.lua failed (above): no figure"; }
        grep -o 'open model at 100/s: start lag.*' "$tmp/runner.out" | sed 's/^/  /'
        ;;
    *) die "PARTS: unknown part '$part' (A B C D E F G)" ;;
    esac
done
