#!/bin/sh
# 10,000 concurrent lookups by host NAME, on 2 worker threads (the load
# run of `bench.lua --threads 2`: scenario bench_lookup.lua, one VU per
# name), against `dockscript serve` in its own process: every lookup
# answered, each as the same lookup by 127.0.0.1 answers it. A name goes
# through curl's threaded resolver, whose socketpair curl closes without
# the close-socket callback; the scheduler must not keep an epoll record
# for its descriptor number (if it did, a later connection given that
# number would never be woken, and its lookup would never end).
#
# The name is the test's own, not the machine's: tests/own_hosts.sh runs
# this script again in a mount namespace where /etc/hosts maps it to
# 127.0.0.1 and nsswitch.conf says "hosts: files". Not "localhost", which
# curl 7.88 answers itself without its resolver (RFC 6761). How long the
# lookups take is a figure of tools/bench/bench_test_figures.sh, not a bound.
# usage: hostname_test.sh DOCKSCRIPT
set -u
host=dockscript-hostname-test
if [ "${DS_OWN_HOSTS:-}" != "$host" ]; then
    DS_OWN_HOSTS=$host exec "$(dirname "$0")/own_hosts.sh" "$host" 127.0.0.1 sh "$0" "$@"
fi
ds=$(realpath "$1")
. "$(dirname "$0")/lib.sh"

addr=$(getent ahostsv4 "$host" | awk 'NR == 1 { print $1 }')
if [ "$addr" = 127.0.0.1 ]; then
    ok "$host resolves to 127.0.0.1 (the test's own /etc/hosts)"
else
    fail "$host must resolve to 127.0.0.1 in the test's mount namespace, got '$addr'"
    done_tests
    exit 1
fi
# Each lookup holds a connection on both sides, and the resolver's socketpair
# while it resolves; the binary raises its soft limit to the hard one.
hard=$(ulimit -Hn)
[ "$hard" = unlimited ] || [ "$hard" -ge 20000 ] && ok "open files hard limit $hard" ||
    fail "open files hard limit $hard: 10,000 lookups need 20,000 (raise ulimit -Hn)"

check "gen_data.lua: 10,000 salespersons" 0 "10000 sales" "$ds" gen_data.lua 10000 "$tmp/data.json"
serve_start --host 127.0.0.1 --delay 0.5 --quiet --data "$tmp/data.json"
port=${serve_url##*:}

# The run's grace is 600 s, not load.run's 30: on 2 busy shared cores the
# lookups have taken 40 s; how long they take is not what this test checks.
cat >"$tmp/byname.lua" <<'LUA'
-- args: URL_BY_NAME URL_BY_ADDRESS COUNT
local docking = require "docking"
local by_name, by_addr, n = arg[1], arg[2], tonumber(arg[3])
local names = docking.random_salespersons(by_addr, n, 1)
local args = { by_name }
for i, name in ipairs(names) do args[i + 1] = name end
local r = require("load").run({ scenario = "bench_lookup.lua", args = args, vus = n,
  iterations = n, threads = 2, collect = true, grace = 600, quiet = true })
local want = http.map(function(name) return docking.customers_of(by_addr, name) end, names)
-- deep, not json.encode: each worker's Lua state orders a table's keys its own way
local function same(a, b)
  if type(a) ~= "table" or type(b) ~= "table" then return a == b end
  for k, v in pairs(a) do if not same(v, b[k]) then return false end end
  for k in pairs(b) do if a[k] == nil then return false end end
  return true
end
local differ = 0
for i = 1, n do
  if not same(r.results[i], want[i]) then differ = differ + 1 end
end
print(string.format("lookups by name: %d done, %d failed, %d differ from the lookups by address",
  r.iterations.done, r.iterations.failed, differ))
if r.errors[1] then print("first failure: " .. r.errors[1].message) end
print(string.format("10,000 lookups by name: %.3fs on 2 threads, ideal 1.000s", r.duration))
os.exit(r.iterations.failed == 0 and differ == 0 and 0 or 1)
LUA
out=$(timeout 240 "$ds" "$tmp/byname.lua" "http://$host:$port" "$serve_url" 10000 2>&1)
code=$?
[ $code -eq 0 ] && ok "10,000 lookups by host name on 2 threads: exit 0" ||
    fail "10,000 lookups by host name: exit $code" "$out"
printf '%s\n' "$out" | grep -q '^lookups by name: 10000 done, 0 failed, 0 differ from the lookups by address$' &&
    ok "every lookup answered, as the same lookup by 127.0.0.1" || fail "every lookup answered" "$out"
printf '%s\n' "$out" | grep '^10,000 lookups by name: '

done_tests
