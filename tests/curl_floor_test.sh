#!/bin/sh
# tools/bench/curl_floor (the benchmarks' bare libcurl client) against
# `dockscript serve --delay 0`: a few hundred GETs and chains, each answer
# checked; its JSON line has bench_throughput.lua's fields and byte count;
# a refused port, a 404 and a bad argument fail it.
# usage: curl_floor_test.sh DOCKSCRIPT CURL_FLOOR
set -u
ds=$(realpath "$1")
cf=$(realpath "$2")
. "$(dirname "$0")/lib.sh"
bench=$(realpath "$(dirname "$0")/../tools/bench")

serve_start --delay 0 --quiet
url="$serve_url/customers?salesId=1"
body_len=$(curl -s "$url" | wc -c)
[ "$body_len" -gt 0 ] && ok "the served answer has $body_len bytes" || fail "curl got no body from $url"

# json_is NAME FILE LUA-CONDITION-ON-j: the file's one JSON line satisfies it
json_is() {
    res=$("$ds" -e '
        local j = json.decode(assert(io.open(arg[1])):read("l"))
        local f = assert(load("local j = ...; return " .. arg[2]))
        print(f(j) and "yes" or "no")' "$2" "$3" 2>&1)
    [ "$res" = yes ] && ok "$1" || fail "$1 ($3): $res" "$(cat "$2")"
}

out=$(timeout 30 "$cf" "$url" 300 16 2>&1 >"$tmp/get.json")
code=$?
[ $code -eq 0 ] && ok "300 GETs, 16 in flight: exit 0" || fail "300 GETs: exit $code, want 0" "$out"
json_is "300 GETs: every answer counted, whole bodies" "$tmp/get.json" \
    "j.requests == 300 and j.limit == 16 and j.errors == 0 and j.bytes == 300 * $body_len
     and j.seconds > 0 and math.abs(j.rps * j.seconds - 300) < 1"

# The same workload from bench_throughput.lua: the same fields, the same bytes.
timeout 30 "$ds" "$bench/bench_throughput.lua" "$url" 300 16 >"$tmp/lua.json" 2>&1 ||
    fail "bench_throughput.lua against the same server" "$(cat "$tmp/lua.json")"
res=$("$ds" -e '
    local a = json.decode(assert(io.open(arg[1])):read("l"))
    local b = json.decode(assert(io.open(arg[2])):read("l"))
    for k in pairs(a) do if b[k] == nil then print("bench_throughput.lua lacks " .. k) return end end
    for k in pairs(b) do if a[k] == nil then print("curl_floor lacks " .. k) return end end
    print(a.bytes == b.bytes and a.requests == b.requests and "same" or "bytes or requests differ")' \
    "$tmp/get.json" "$tmp/lua.json" 2>&1)
[ "$res" = same ] && ok "JSON fields and bytes as bench_throughput.lua's" ||
    fail "JSON as bench_throughput.lua's: $res" "$(cat "$tmp/get.json" "$tmp/lua.json")"

for cap in 256 7 0; do
    out=$(timeout 30 "$cf" --shard-cap $cap --chain "$serve_url" 200 2>&1 >"$tmp/chain.json")
    code=$?
    [ $code -eq 0 ] && ok "200 chains, shard cap $cap: exit 0" || fail "200 chains, cap $cap: exit $code" "$out"
    json_is "200 chains, shard cap $cap: two GETs each, all 200" "$tmp/chain.json" \
        'j.n == 200 and j.requests == 400 and j.limit == 200 and j.errors == 0 and j.bytes > 0'
done

check "a 404 fails the run, naming URL and status" 1 "^curl_floor: $serve_url/nope answers HTTP 404, not 200$" \
    "$cf" "$serve_url/nope" 10
kill "$serve_pid" && wait "$serve_pid" 2>/dev/null
serve_pid=
# The server's port, now closed: every connect is refused.
check "a refused port: exit 1 and curl's reason" 1 \
    "^curl_floor: $(printf '%s' "$url" | sed 's/[.?]/\\&/g'): (Failed to connect|Couldn't connect)" \
    "$cf" "$url" 100
out=$(timeout 30 "$cf" --chain "$serve_url" 50 2>"$tmp/err" >"$tmp/refused.json")
code=$?
[ $code -eq 1 ] && ok "chains to a refused port: exit 1" || fail "chains to a refused port: exit $code" "$(cat "$tmp/err")"
json_is "chains to a refused port: every chain an error, no request answered" "$tmp/refused.json" \
    'j.n == 50 and j.errors == 50 and j.bytes == 0'
grep -q "^curl_floor: 50 of 50 chains failed; first: $serve_url/users?name=John: " "$tmp/err" &&
    ok "chains to a refused port: the first failure on stderr" || fail "the first failure on stderr" "$(cat "$tmp/err")"

check "no URL: usage, exit 2" 2 "^usage: curl_floor " "$cf"
check "COUNT 0: usage, exit 2" 2 "^usage: curl_floor " "$cf" "$url" 0
check "--chain without N: usage, exit 2" 2 "^usage: curl_floor " "$cf" --chain "$serve_url"
check "an unknown option: usage, exit 2" 2 "^usage: curl_floor " "$cf" --limit 3 "$url"
done_tests
