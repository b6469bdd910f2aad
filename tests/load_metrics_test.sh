#!/bin/sh
# load.lua --metrics: GET /metrics of a load run, scraped by Debian's
# Prometheus server (started here on 127.0.0.1, stopped at the end): two
# shards of one run, each its own process, and
# histogram_quantile(0.99, sum by (le) (...)) over them agrees with the
# merged JSON's p99 within one bucket; promtool finds nothing to say of
# the exposition; a port in use fails before the run.
# usage: load_metrics_test.sh DOCKSCRIPT
set -u
ds=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
if ! command -v prometheus >/dev/null || ! command -v promtool >/dev/null; then
    if [ -n "${DS_REQUIRE_TOOLS:-}${CI:-}" ]; then
        echo "FAIL prometheus/promtool not found (tools/deps.sh --test installs Debian's prometheus)"
        exit 1
    fi
    echo "skipped: prometheus not found (tools/deps.sh --test installs it)"
    exit 77
fi
prom_pid=
trap '[ -n "$serve_pid" ] && kill -9 $serve_pid 2>/dev/null; [ -n "$prom_pid" ] && kill $prom_pid 2>/dev/null; rm -rf "$tmp"' EXIT INT TERM

serve_start --delay 0.002 --quiet
scen=docking_scenario.lua

# url_of FILE: the address load.lua said on stderr (waits up to 20 s).
url_of() {
    i=0
    until grep -q "metrics at http" "$1" 2>/dev/null || [ $i -ge 200 ]; do sleep 0.1; i=$((i + 1)); done
    grep -o 'http://[0-9.:]*/metrics' "$1" | head -n 1
}

for s in 1 2; do
    "$ds" load.lua $scen --quiet --rate 200 --duration 12 --threads 2 --shard $s/2 --metrics 0 \
        --json "$tmp/shard$s.json" -- "$serve_url" >"$tmp/run$s.out" 2>"$tmp/run$s.err" &
    eval "pid$s=\$!"
done
url1=$(url_of "$tmp/run1.err")
url2=$(url_of "$tmp/run2.err")
[ -n "$url1" ] && [ -n "$url2" ] && ok "each shard says where its /metrics is" ||
    fail "no metrics address" "$(cat "$tmp/run1.err" "$tmp/run2.err")"
i=0 # the tags appear with the first requests, after setup
until curl -s "$url1" >"$tmp/m1.txt" && grep -q 'tag="GET /users"' "$tmp/m1.txt" || [ $i -ge 100 ]; do
    sleep 0.1
    i=$((i + 1))
done
grep -q '^dockscript_load_request_duration_seconds_bucket{tag="GET /users",le="+Inf"}' "$tmp/m1.txt" &&
    ok "per-tag latency histograms" || fail "no per-tag histogram" "$(head -c 3000 "$tmp/m1.txt")"
out=$(promtool check metrics <"$tmp/m1.txt" 2>&1) && ok "promtool check metrics: nothing to say" ||
    fail "promtool check metrics" "$out"

# Prometheus on a free port, scraping both shards every second.
pport=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
hostport() { echo "$1" | sed 's|http://||; s|/metrics||'; }
cat >"$tmp/prometheus.yml" <<YML
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: load
    static_configs:
      - targets: ['$(hostport "$url1")', '$(hostport "$url2")']
YML
prometheus --config.file="$tmp/prometheus.yml" --storage.tsdb.path="$tmp/tsdb" \
    --web.listen-address="127.0.0.1:$pport" >"$tmp/prom.log" 2>&1 &
prom_pid=$!
i=0
until curl -sf "http://127.0.0.1:$pport/-/ready" >/dev/null || [ $i -ge 300 ]; do sleep 0.1; i=$((i + 1)); done
curl -sf "http://127.0.0.1:$pport/-/ready" >/dev/null && ok "prometheus is up" ||
    fail "prometheus did not start" "$(tail -n 20 "$tmp/prom.log")"

for s in 1 2; do
    eval "p=\$pid$s"
    i=0
    while kill -0 "$p" 2>/dev/null && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
    wait "$p"
    code=$?
    [ $code -eq 0 ] && ok "shard $s ran (exit 0)" || fail "shard $s: exit $code" "$(cat "$tmp/run$s.err")"
done
sleep 2 # a scrape after the last line of figures (each process sets them before it ends)

# query EXPR: the value of an instant query, or "none".
query() {
    curl -s "http://127.0.0.1:$pport/api/v1/query" --data-urlencode "query=$1" |
        "$ds" -e 'local j = json.decode(io.read("a"))
            local r = j.data and j.data.result and j.data.result[1]
            print(r and r.value[2] or "none")'
}
scraped=$(query 'count(last_over_time(dockscript_load_elapsed_seconds[5m]))')
[ "$scraped" = 2 ] && ok "both shards scraped" || fail "shards scraped: $scraped" "$(tail -n 20 "$tmp/prom.log")"
q=$(query 'histogram_quantile(0.99, sum by (le) (last_over_time(dockscript_load_iteration_duration_seconds_bucket[5m])))')
done_prom=$(query 'sum(last_over_time(dockscript_load_iterations_total{result="done"}[5m]))')
"$ds" load.lua --merge "$tmp/shard1.json" "$tmp/shard2.json" --json "$tmp/merged.json" >/dev/null 2>&1
# within one bucket: the bucket index (of the shared bounds) of each
res=$("$ds" -e '
    local j = json.decode(io.open(arg[1]):read("a"))
    local q, done = tonumber(arg[2]), tonumber(arg[3])
    local bounds = { 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60 }
    local function bucket(v) for i, b in ipairs(bounds) do if v <= b then return i end end return #bounds + 1 end
    if not q then print("no quantile from prometheus: " .. arg[2]) return end
    local p99 = j.chain.p99
    local ok = math.abs(bucket(q) - bucket(p99)) <= 1
    local cover = done and done / j.iterations.done or 0
    print(string.format("%s p99 prometheus %.4fs (bucket %d), merged JSON %.4fs (bucket %d); done %s of %d",
      ok and cover > 0.8 and cover <= 1 and "yes" or "no", q, bucket(q), p99, bucket(p99),
      tostring(done), j.iterations.done))' "$tmp/merged.json" "$q" "$done_prom")
case $res in
yes*) ok "histogram_quantile over both shards = the merged p99 within a bucket (${res#yes })" ;;
*) fail "quantile: $res" ;;
esac
kill $prom_pid
wait $prom_pid 2>/dev/null
prom_pid=

# A port in use: one line, exit 2, before any run.
"$ds" -e 'local s = require("pages").start("127.0.0.1", 0); print(s:port()); io.stdout:flush(); clock.sleep(20)' >"$tmp/busy" &
busy=$!
i=0
until [ -s "$tmp/busy" ] || [ $i -ge 100 ]; do sleep 0.1; i=$((i + 1)); done
check "--metrics on a port in use: exit 2" 2 '^load.lua: --metrics: cannot listen on 127.0.0.1:[0-9]+: Address already in use$' \
    "$ds" load.lua $scen --metrics "$(cat "$tmp/busy")" --rate 1 --duration 1 -- "$serve_url"
kill $busy
check "--metrics with a bad address: exit 2" 2 '^load.lua: --metrics: expected \[ADDR:\]PORT' \
    "$ds" load.lua $scen --metrics localhost:x --rate 1 --duration 1 -- "$serve_url"
done_tests
