#!/bin/sh
# check() in scenarios, end to end against `dockscript serve --fail`: pass
# rates true to the server's own fault count, thresholds on checks, the
# exact merge over threads and shards, and bad input.
# usage: checks_test.sh DOCKSCRIPT
set -u
ds=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"


cat >"$tmp/checked.lua" <<'LUA'
return {
  iteration = function(data)
    local r = http.get(data[1] .. "/users/1")
    local all = check(r, {
      ["is 200"] = function(res) return res.status == 200 end,
      ["has a body"] = function(res) return #res.body > 0 end,
    })
    -- check returns whether all passed, and a failed check fails nothing
    if all ~= (r.status == 200) then error("check returned " .. tostring(all)) end
  end,
}
LUA

serve_start --delay 0 --fail 0.1 --seed 3 --quiet
"$ds" load.lua "$tmp/checked.lua" --vus 4 --iterations 1000 --threads 2 --quiet \
    --json "$tmp/a.json" -- "$serve_url" >"$tmp/a.out" 2>&1
code=$?
curl -s "$serve_url/_stats" >"$tmp/stats.json"
[ $code -eq 0 ] && ok "a run with failing checks exits 0" || fail "exit $code" "$(cat "$tmp/a.out")"
jcheck "a failed check does not fail the iteration" "$tmp/a.json" \
    'j.iterations.done == 1000 and j.iterations.failed == 0'
jcheck "check fails equal the server's own count of injected 500s" "$tmp/a.json" \
    'j.checks["is 200"].fails == s.faults.fail and j.checks["is 200"].passes == 1000 - s.faults.fail
     and j.checks["has a body"].passes == 1000' "$tmp/stats.json"
jcheck "the pass rate's 95% Wilson interval holds the injected 90%" "$tmp/a.json" \
    'j.checks["is 200"].rate_ci[1] <= 0.9 and j.checks["is 200"].rate_ci[2] >= 0.9
     and math.abs(j.checks["is 200"].rate - (1000 - s.faults.fail) / 1000) < 1e-12' "$tmp/stats.json"
grep -Eq '^is 200 +[0-9]+ +[0-9]+ +[0-9.]+% +[0-9.]+%-[0-9.]+%$' "$tmp/a.out" &&
    grep -q '^checks  *passes  *fails  *rate  *95% interval$' "$tmp/a.out" &&
    ok "the summary's checks table" || fail "summary: no checks table" "$(cat "$tmp/a.out")"
kill $serve_pid; wait $serve_pid 2>/dev/null

# thresholds on checks
serve_start --delay 0 --fail 0.1 --seed 3 --quiet
check "checks:rate>0.99 fails against 10% of 500s: exit 3" 3 "FAIL +checks:rate>0.99 +9[0-9].[0-9]+%" \
    "$ds" load.lua "$tmp/checked.lua" --vus 2 --iterations 200 --threshold 'checks:rate>0.99' -- "$serve_url"
check "check:NAME:rate>0.5 holds; a percentage works too" 0 "ok +check:is 200:rate>0.5 " \
    "$ds" load.lua "$tmp/checked.lua" --vus 2 --iterations 200 --threshold 'check:is 200:rate>0.5' \
    --threshold 'check:has a body:rate>=100%' -- "$serve_url"
check "a check name the run never saw: exit 2, did you mean" 2 \
    "^load.lua: --threshold 'check:is 20:rate>0.5': no check named 'is 20' in this run; did you mean 'is 200'\\?$" \
    "$ds" load.lua "$tmp/checked.lua" --vus 1 --iterations 5 --threshold 'check:is 20:rate>0.5' -- "$serve_url"
printf 'return { iteration = function(d) http.get(d[1] .. "/") end }\n' >"$tmp/nochecks.lua"
check "a checks threshold with no check run fails, saying so (k6 passed it)" 3 \
    "FAIL +checks:rate>0.9 +no check ran in this run" \
    "$ds" load.lua "$tmp/nochecks.lua" --vus 1 --iterations 5 --threshold 'checks:rate>0.9' -- "$serve_url"
check "checks:p99 is no statistic of checks: exit 2" 2 "unknown statistic 'p99' of checks \\(rate, passes or fails\\)" \
    "$ds" load.lua "$tmp/checked.lua" --vus 1 --iterations 5 --threshold 'checks:p99<1' -- "$serve_url"
check "checks:rate>99 would be 9900%: exit 2" 2 "a check rate is a fraction" \
    "$ds" load.lua "$tmp/checked.lua" --vus 1 --iterations 5 --threshold 'checks:rate>99' -- "$serve_url"
"$ds" load.lua "$tmp/checked.lua" --vus 2 --iterations 100 --quiet --threshold 'checks:rate>0.99' \
    --threshold 'chain:p99<60s' --junit "$tmp/junit.xml" -- "$serve_url" >/dev/null 2>&1
res=$(/usr/bin/python3 - "$tmp/junit.xml" <<'PY' 2>&1
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
suites = {s.get("name"): s for s in root.findall("testsuite")}
th, ck = suites["thresholds"], suites["checks"]
cases = {c.get("name"): c for c in th.findall("testcase")}
ok = (root.tag == "testsuites" and th.get("tests") == "2" and th.get("failures") == "1"
      and cases["checks:rate>0.99"].find("failure") is not None
      and cases["chain:p99<60s"].find("failure") is None
      and {c.get("name") for c in ck.findall("testcase")} == {"is 200", "has a body"}
      and ck.get("failures") == "1")
print("ok" if ok else ET.tostring(root).decode())
PY
)
[ "$res" = ok ] && ok "--junit: thresholds and checks as JUnit test cases, failures where they failed" ||
    fail "--junit" "$res"
check "--junit into a folder that does not exist: exit 2 before the run" 2 "^load.lua: --junit" \
    "$ds" load.lua "$tmp/checked.lua" --vus 1 --iterations 1 --junit "$tmp/nowhere/j.xml" -- "$serve_url"
kill $serve_pid; wait $serve_pid 2>/dev/null

# shards: their merge has exactly the counts of the server's faults
serve_start --delay 0 --fail 0.2 --seed 5 --quiet
for i in 1 2; do
    "$ds" load.lua "$tmp/checked.lua" --vus 2 --iterations 400 --threads 2 --shard $i/2 --quiet \
        --json "$tmp/shard$i.json" -- "$serve_url" >/dev/null 2>&1 || fail "shard $i/2"
done
curl -s "$serve_url/_stats" >"$tmp/stats.json"
"$ds" load.lua --merge "$tmp/shard1.json" "$tmp/shard2.json" --json "$tmp/merged.json" >/dev/null 2>&1 ||
    fail "--merge of 2 shards"
jcheck "2 shards x 2 threads merge to the server's exact counts" "$tmp/merged.json" \
    'j.checks["is 200"].passes + j.checks["is 200"].fails == 400
     and j.checks["is 200"].fails == s.faults.fail and j.checks["has a body"].passes == 400' "$tmp/stats.json"
kill $serve_pid; wait $serve_pid 2>/dev/null

# check outside a load run, and bad input
check "check in a plain script: returns whether all passed" 0 "^true false 1$" "$ds" -e '
    local seen = 0
    local a = check(5, { five = function(v) seen = seen + 1 return v == 5 end })
    local b = check(5, { five = function(v) return v == 5 end, truthy = false })
    print(string.format("%s %s %d", a, b, seen))'
check "a check name that is not a string: one line" 1 "check: a check's name must be a string, got number" \
    "$ds" -e 'check(1, { [1] = function() return true end })'
check "check without a table: one line" 1 "bad argument #2 to 'check' \\(table expected" "$ds" -e 'check(1)'
done_tests
