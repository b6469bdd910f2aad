#!/bin/sh
# scripts/load.lua end to end against `dockscript serve` on 127.0.0.1:
# both models, thresholds, JSON, shards run as separate processes and
# merged, progress, plot, and every bad input. Runs are a few seconds each.
# usage: load_test.sh DOCKSCRIPT
set -u
ds=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
fixture=$here/lua/load_fixture.lua


# usage_error NAME CODE PATTERN ARGS...: one line on stderr matching
# PATTERN, nothing on stdout, exit CODE.
usage_error() {
    name=$1 want=$2 pattern=$3
    shift 3
    timeout 30 "$ds" load.lua "$@" >"$tmp/out" 2>"$tmp/err"
    code=$?
    if [ $code -ne "$want" ] || [ -s "$tmp/out" ] || [ "$(wc -l <"$tmp/err")" -ne 1 ] ||
        ! grep -Eq -- "$pattern" "$tmp/err"; then
        fail "$name: exit $code (want $want), stderr /$pattern/, empty stdout" \
            "$(cat "$tmp/out" "$tmp/err")"
    else
        ok "$name"
    fi
}

serve_start --delay 0.1 --quiet
scen=docking_scenario.lua

# --- bad input, found before any run ---------------------------------------
printf 'error("broken at load")\n' >"$tmp/raises.lua"
printf 'return 42\n' >"$tmp/number.lua"
printf 'return {setup = function() end}\n' >"$tmp/noiter.lua"
printf 'return {\n' >"$tmp/syntax.lua"
printf 'return {setup = function() error("no data here") end, iteration = function() end}\n' \
    >"$tmp/setup.lua"
printf 'return {iteration = function() end, options = {vus = 2, rate = 5}}\n' >"$tmp/opts.lua"
usage_error "missing scenario: exit 2" 2 "^load.lua: scenario $tmp/none.lua: No such file" "$tmp/none.lua"
usage_error "no scenario: exit 2" 2 "^load.lua: no scenario" --vus 2
usage_error "scenario raising while loading: exit 1" 1 "raised while loading: .*broken at load$" "$tmp/raises.lua"
usage_error "scenario returning no table: exit 1" 1 "returns a number, not a table" "$tmp/number.lua"
usage_error "scenario without iteration: exit 1" 1 "has no iteration function" "$tmp/noiter.lua"
usage_error "scenario with a syntax error: exit 1" 1 "^load.lua: scenario $tmp/syntax.lua:[0-9]+: " "$tmp/syntax.lua"
usage_error "setup raising: exit 1" 1 "^load.lua: setup: .*no data here$" "$tmp/setup.lua" --vus 2 --iterations 2 --threads 2
usage_error "scenario options that exclude each other" 2 "^load.lua: scenario options: --vus and --rate" "$tmp/opts.lua"
printf 'return {iteration = function() end, options = {rat = 5, duration = 1}}\n' >"$tmp/typo_opt.lua"
usage_error "a scenario option that is no option: did you mean" 2 \
    "^load.lua: scenario options: unknown option 'rat'; did you mean 'rate'\?$" "$tmp/typo_opt.lua"
printf 'return {iteration = function() end, options = {shard = "1/2"}}\n' >"$tmp/shard_opt.lua"
usage_error "an option a scenario may not set" 2 \
    "^load.lua: scenario options: 'shard' is not for a scenario: give --shard on the command line$" \
    "$tmp/shard_opt.lua"
usage_error "--rate 0" 2 "^load.lua: --rate: expected a number > 0, got '0'$" $scen --rate 0 --duration 1
usage_error "--rate -5" 2 "^load.lua: --rate: expected a number > 0, got '-5'$" $scen --rate -5 --duration 1
usage_error "--rate x" 2 "^load.lua: --rate: expected a number > 0, got 'x'$" $scen --rate x --duration 1
usage_error "--vus -1" 2 "^load.lua: --vus: expected an integer >= 1" $scen --vus -1
usage_error "--duration soon" 2 "^load.lua: --duration: expected a duration" $scen --vus 1 --duration soon
usage_error "--stages that do not parse" 2 "^load.lua: --stages: " $scen --stages 10s-100
usage_error "--stages with a bad rate" 2 "^load.lua: --stages: stage 2: " $scen --stages 1s:10,1s:fast
usage_error "--vus with --rate" 2 "^load.lua: --vus and --rate cannot be used together" $scen --vus 2 --rate 5 --duration 1
usage_error "--iterations with --rate" 2 "^load.lua: --iterations and --rate cannot" $scen --iterations 2 --rate 5 --duration 1
printf 'return {iteration = function() end}\n' >"$tmp/plain.lua"
usage_error "--rate without a duration" 2 "^load.lua: --rate needs --duration" "$tmp/plain.lua" --rate 5
usage_error "threshold that does not parse" 2 "^load.lua: --threshold 'chain:p99 1s': expected" $scen --threshold 'chain:p99 1s'
usage_error "threshold with an unknown statistic" 2 "unknown statistic 'p42x'" $scen --threshold 'chain:p42x<1s'
usage_error "threshold with a wrong unit" 2 "unit 'kg' does not fit" $scen --threshold 'chain:p99<1kg'
usage_error "--json into a missing folder, before the run" 2 "^load.lua: --json $tmp/no/r.json: folder $tmp/no does not exist$" \
    $scen --vus 1 --iterations 1 --json "$tmp/no/r.json"
usage_error "--threads 0" 2 "^load.lua: --threads: expected an integer >= 1, got '0'$" $scen --threads 0
for s in 3/2 0/2 a/b 1/0 2; do
    usage_error "--shard $s" 2 "^load.lua: --shard: expected I/N with 1 <= I <= N, like 1/4, got '$s'$" $scen --shard $s
done
usage_error "unknown option" 2 "^load.lua: unknown option '--vu'; did you mean '--vus'\? \(see --help\)$" $scen --vu 2
check "--help: full usage, exit 0" 0 "--threshold E" "$ds" load.lua --help

# --- closed model ------------------------------------------------------------
check "closed, 4 VUs, 20 iterations" 0 "^iterations: 20 done, 0 failed" \
    "$ds" load.lua $scen --vus 4 --iterations 20 --quiet --json "$tmp/closed.json" -- "$serve_url"
jcheck "closed: exactly K done, each a chain of 2 requests" "$tmp/closed.json" \
    'j.model == "closed" and j.iterations.done == 20 and j.iterations.failed == 0
     and j.requests["GET /users"].count == 20 and j.requests["GET /customers"].status["200"] == 20
     and j.chain.p50 >= 0.2 and j.chain.p50 < 0.3'
check "closed, 2 VUs for 1.5 s" 0 "^iterations: [0-9]+ done" \
    "$ds" load.lua $scen --vus 2 --duration 1.5s --quiet --json "$tmp/dur.json" -- "$serve_url"
jcheck "closed with duration: ran about that long, VUs kept busy" "$tmp/dur.json" \
    'j.duration >= 1.5 and j.duration < 3 and j.iterations.done >= 10 and j.iterations.done <= 16'

# A scenario's own module beside it is found by every worker thread.
printf 'return {word = "beside"}\n' >"$tmp/helper.lua"
printf 'local h = require "helper"\nreturn {iteration = function() return h.word end}\n' >"$tmp/withmod.lua"
check "a scenario's module beside it, in every thread" 0 "^iterations: 4 done, 0 failed" \
    "$ds" load.lua "$tmp/withmod.lua" --vus 2 --iterations 4 --threads 2

# --- open model --------------------------------------------------------------
check "open, 50/s for 4 s, thresholds pass: exit 0" 0 "thresholds: 2 passed, 0 failed" \
    "$ds" load.lua $scen --rate 50 --duration 4 --quiet --json "$tmp/open.json" \
    --threshold 'chain:p50<300ms' --threshold 'dropped<=0' -- "$serve_url"
jcheck "open: every scheduled iteration, at the rate, none dropped" "$tmp/open.json" \
    'j.model == "open" and j.iterations.done + j.iterations.failed == 200
     and j.iterations.dropped == 0 and j.iterations.rate >= 47.5 and j.iterations.rate <= 52.5'
jcheck "open: chain p50 true to the server delay (2 x 0.1 s)" "$tmp/open.json" \
    'j.chain.p50 >= 0.2 and j.chain.p50 < 0.25 and j.requests["GET /users"].p50 >= 0.1
     and j.requests["GET /users"].p50 < 0.125'
jcheck "JSON: the fields of docs/load.md" "$tmp/open.json" '
    type(j.scenario) == "string" and j.threads >= 1 and j.shard[1] == 1 and j.shard[2] == 1
    and j.duration >= 4 and j.chain.count and j.chain.min and j.chain.mean and j.chain.p90
    and j.chain.p99 and j.chain.p999 and j.chain.max and j.start_lag.p50 and j.start_lag.p99
    and j.start_lag.max and type(j.errors) == "table" and #j.series >= 4 and j.series[1].t == 1
    and j.series[2].iterations > 0 and j.series[2].requests > 0 and j.series[2].p50
    and j.requests["GET /users"].rate and j.requests["GET /users"].bytes > 0
    and j.thresholds[1].ok == true'
jcheck "JSON: every histogram decodes to its count" "$tmp/open.json" '
    metrics.decode(j.chain.histogram):count() == j.chain.count
    and metrics.decode(j.start_lag.histogram):count() == j.iterations.done + j.iterations.failed
    and metrics.decode(j.requests["GET /customers"].histogram):count() == j.requests["GET /customers"].count
    and metrics.decode(j.series[2].histogram):count() == j.series[2].iterations'
jcheck "JSON: start lag per second, one per iteration started in it, adding up to the run's" \
    "$tmp/open.json" '(function()
      local sum = 0
      for _, s in ipairs(j.series) do
        local lag = s.start_lag
        if not lag or lag.count ~= s.iterations + s.errors
           or metrics.decode(lag.histogram):count() ~= lag.count
           or (lag.count > 0 and not (lag.p50 and lag.p99 and lag.max)) then return false end
        sum = sum + lag.count
      end
      return sum == j.start_lag.count end)()'
check "stages 1s:20,1s:0: the ramp's iterations" 0 "^iterations: (19|20|21) done" \
    "$ds" load.lua $scen --stages 1s:20,1s:0 --quiet -- "$serve_url"
check "--max-vus 2 drops what it cannot start; dropped<=0 fails: exit 3" 3 "FAIL +dropped<=0" \
    "$ds" load.lua $scen --rate 40 --duration 1 --max-vus 2 --threshold 'dropped<=0' -- "$serve_url"
check "a failing threshold: exit 3, the summary says which" 3 "FAIL +chain:p50<100ms +2[0-9][0-9]\.[0-9]+ms" \
    "$ds" load.lua $scen --rate 20 --duration 1 --threshold 'chain:p50<100ms' --threshold 'errors<1%' -- "$serve_url"
check "a threshold on a tag the run never saw: a usage error (exit 2), not a regression" 2 \
    "^load.lua: --threshold 'GET /nope:p99<1s': no request tagged 'GET /nope' in this run" \
    "$ds" load.lua $scen --vus 1 --iterations 1 --threshold 'GET /nope:p99<1s' -- "$serve_url"
check "a threshold on a tag typo names the nearest tag seen" 2 \
    "FAIL +GET /user:p99<1s +no request tagged 'GET /user' in this run; did you mean 'GET /users'\?" \
    "$ds" load.lua $scen --vus 1 --iterations 1 --threshold 'GET /user:p99<1s' -- "$serve_url"
check "chian:p99: exit 2 and did you mean 'chain'" 2 \
    "^load.lua: --threshold 'chian:p99<300ms': no request tagged 'chian' in this run; did you mean 'chain'\?$" \
    "$ds" load.lua $scen --vus 1 --iterations 1 --threshold 'chian:p99<300ms' -- "$serve_url"
check "start_lag in the closed model: exit 2" 2 "^load.lua: --threshold 'start_lag:p99<1ms': start_lag is measured in the open model only$" \
    "$ds" load.lua $scen --vus 1 --iterations 1 --threshold 'start_lag:p99<1ms' -- "$serve_url"
"$ds" load.lua $scen --vus 1 --iterations 3 --quiet --threshold 'chain:p100<60s' --threshold 'chain:p0>0' \
    --json "$tmp/p100.json" -- "$serve_url" >/dev/null 2>&1
jcheck "p100 is the max and p0 the min" "$tmp/p100.json" \
    'j.thresholds[1].value == j.chain.max and j.thresholds[2].value == j.chain.min'
usage_error "p101 is no percentile" 2 "unknown statistic 'p101'.*p100 the max" \
    $scen --vus 1 --iterations 1 --threshold 'chain:p101<1s' -- "$serve_url"
usage_error "errors<1 (a bare number >= 1) is refused with the spellings that work" 2 \
    "^load.lua: --threshold 'errors<1': errors<1 is 100%: write errors<1% or errors<0.01$" \
    $scen --vus 1 --iterations 1 --threshold 'errors<1' -- "$serve_url"
check "a run under 1 s has no rate: '-', never a figure no second saw" 0 \
    "^iterations: 2 done, 0 failed \(0.00%\), 0 dropped, -$" \
    "$ds" load.lua $scen --vus 1 --iterations 2 --quiet -- "$serve_url"
check "the summary's first line names the options the scenario gave" 0 \
    "^docking_scenario.lua: open model, 10/s for 1s \(rate from the scenario\), " \
    "$ds" load.lua $scen --duration 1 --quiet -- "$serve_url"
check "load.lua --help lists the bundled scenarios and their options" 0 \
    "^  docking_scenario.lua +options: duration = 10, rate = 10$" "$ds" load.lua --help

# --- a server that refuses every connection -----------------------------------
check "refused: no iteration succeeded: exit 1, summary first, one line naming the first failure" 1 \
    "^load.lua: no iteration succeeded: GET http://127.0.0.1:1/users\?name=John: .*Couldn't connect to server$" \
    "$ds" load.lua $scen --rate 50 --duration 1 --json "$tmp/refused.json" -- http://127.0.0.1:1 John
jcheck "refused: the JSON is still written: 50 failed, none done, errors by reason" "$tmp/refused.json" \
    'j.iterations.failed == 50 and j.iterations.done == 0 and j.chain.count == 0
     and j.requests["GET /users"].errors["Couldn'"'"'t connect to server"] == 50
     and (function() local n = 0  -- curl says "after N ms": a message per N
          for _, e in ipairs(j.errors) do if e.message:find("Couldn'"'"'t connect") then n = n + e.count end end
          return n == 50 end)()'
check "refused with errors<1%: no success wins over thresholds: exit 1" 1 "FAIL +errors<1% +100.00%" \
    "$ds" load.lua $scen --vus 2 --iterations 4 --threshold 'errors<1%' -- http://127.0.0.1:1 John
printf 'return { iteration = function() error("typo in the scenario", 0) end }\n' >"$tmp/typo.lua"
check "every iteration raising: exit 1 with the scenario's message" 1 \
    "^load.lua: no iteration succeeded: typo in the scenario$" \
    "$ds" load.lua "$tmp/typo.lua" --vus 2 --iterations 6 --quiet

# --- reports and baselines from the command line --------------------------------
check "--html writes one page beside --json" 0 "^iterations: 20 done" \
    "$ds" load.lua $scen --rate 20 --duration 1 --quiet --json "$tmp/base.json" --html "$tmp/base.html" \
    -- "$serve_url"
grep -q '^<!DOCTYPE html>' "$tmp/base.html" && grep -q 'Content-Security-Policy' "$tmp/base.html" &&
    ok "--html: a page that forbids the network" || fail "--html: no page" "$(head -c 300 "$tmp/base.html")"
check "--baseline: the comparison in the summary, a relative threshold checked" 0 \
    "^  ok +chain:p99<\+50% +[-+][0-9.]+%" \
    "$ds" load.lua $scen --rate 20 --duration 1 --quiet --json "$tmp/run.json" --baseline "$tmp/base.json" \
    --threshold 'chain:p99<+50%' -- "$serve_url"
jcheck "--baseline: the JSON's comparison and intervals" "$tmp/run.json" \
    'j.comparison and #j.comparison.rows == 9 and j.comparison.errors and #j.chain.p99_ci == 2
     and j.chain.p99_ci[1] <= j.chain.p99 and j.chain.p99 <= j.chain.p99_ci[2]'
check "--compare BASE RUN: the rows then and now, without a run" 0 "^chain +p99 +[0-9.]+ms +[0-9.]+ms" \
    "$ds" load.lua --compare "$tmp/base.json" "$tmp/run.json"
usage_error "--compare with run options is refused" 2 "^load.lua: --compare takes only --json, --html" \
    --compare "$tmp/base.json" "$tmp/run.json" --vus 2
usage_error "a relative threshold without a baseline is refused before the run" 2 \
    "a relative threshold needs a baseline" $scen --threshold 'chain:p99<+10%' -- "$serve_url"
usage_error "--baseline that is not a run is refused before the run" 2 "^load.lua: --baseline: " \
    $scen --baseline "$tmp/base.html" -- "$serve_url"

# --- calibrate.lua: its own server, the outside figures, a verdict ------------------
check "calibrate.lua: per rate the figures, then one verdict line" 0 \
    "^verdict: with 1 thread, (this machine measures latencies within 5.000ms up to [0-9]+ iterations/s|no rate tried stayed within 5.000ms)$" \
    "$ds" calibrate.lua --rates 100,200 --duration 1 --threads 1 --tolerance 5ms --json "$tmp/cal.json"
# (how large outside is on this machine: tools/bench/bench_test_figures.sh)
jcheck "calibrate.lua --json: rows with outside from Server-Timing, server CPU, max_rate" "$tmp/cal.json" \
    '#j.rows == 2 and j.rows[1].rate == 100 and j.rows[2].outside_p99 and j.rows[2].outside_p99 > 0
     and j.rows[1].server_cpu and j.rows[1].achieved > 0.9
     and (j.max_rate == nil or j.max_rate == 100 or j.max_rate == 200)'
usage_error_cmd() { # like usage_error, for another bundled script
    name=$1 want=$2 pattern=$3
    shift 3
    timeout 30 "$ds" "$@" >"$tmp/out" 2>"$tmp/err"
    code=$?
    [ $code -eq "$want" ] && [ ! -s "$tmp/out" ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] &&
        grep -Eq -- "$pattern" "$tmp/err" && ok "$name" || fail "$name: exit $code" "$(cat "$tmp/out" "$tmp/err")"
}
usage_error_cmd "calibrate.lua --rates x: one line, exit 2" 2 "^calibrate.lua: --rates: expected rates > 0" \
    calibrate.lua --rates x

# --- the seams: huge rates, a scenario that breaks cjson, Ctrl-C ------------------
t0=$(date +%s)
check "--rate 1e12 --duration 2 ends on time, drops counted" 0 "^iterations: .* [0-9,]{10,} dropped" \
    "$ds" load.lua $scen --rate 1e12 --duration 2 --max-vus 50 --quiet -- "$serve_url"
[ $(( $(date +%s) - t0 )) -le 12 ] && ok "--rate 1e12 took $(( $(date +%s) - t0 )) s (duration + grace at most)" ||
    fail "--rate 1e12 took $(( $(date +%s) - t0 )) s"
cat >"$tmp/nocjson.lua" <<'LUA'
return {
  setup = function() package.loaded.cjson = nil; package.loaded["cjson.safe"] = nil; json = nil end,
  iteration = function(data, i) return { i = i } end,
}
LUA
check "a scenario that clears package.loaded.cjson, collected: no crash" 0 "^ok 8$" \
    "$ds" -e "local r = require('load').run{scenario = '$tmp/nocjson.lua', vus = 2, iterations = 8,
      collect = true, quiet = true}
      local n = 0 for i = 1, 8 do if r.results[i].i == i then n = n + 1 end end print('ok ' .. n)"
# Ctrl-C: the first SIGINT stops new iterations, the summary and the JSON
# tell what ran, exit 130
interrupted 2 "$tmp/int.out" "$ds" load.lua $scen --rate 20 --duration 30 --json "$tmp/int.json" -- "$serve_url"
[ $code -eq 130 ] && ok "SIGINT: exit 130" || fail "SIGINT: exit $code, want 130" "$(cat "$tmp/int.out")"
grep -Eq '^interrupted after [0-9.]+s of 30s$' "$tmp/int.out" && ok "SIGINT: the summary's first line says so" ||
    fail "SIGINT: no 'interrupted after' line" "$(cat "$tmp/int.out")"
jcheck "SIGINT: the JSON is written, interrupted = true, what ran counted" "$tmp/int.json" \
    'j.interrupted == true and j.iterations.done >= 20 and j.iterations.done <= 80 and j.duration < 10'
# a SIGINT during setup ends setup's requests at once (the server would
# answer after 60 s; the wait is bounded at 20 s)
serve_pid_main=$serve_pid
serve_url_main=$serve_url
serve_start --delay 60 --quiet
printf 'return { setup = function(a) return http.get(a[1] .. "/users"):json() end,\n  iteration = function() end }\n' \
    >"$tmp/slowsetup.lua"
interrupted 1 "$tmp/int0.out" "$ds" load.lua "$tmp/slowsetup.lua" --vus 2 --duration 1 -- "$serve_url"
[ $code -eq 130 ] && grep -q "^load.lua: interrupted during setup$" "$tmp/int0.out" &&
    ok "SIGINT during setup: its requests cancelled, exit 130, interrupted during setup" ||
    fail "SIGINT during setup: exit $code" "$(cat "$tmp/int0.out")"
kill $serve_pid; wait $serve_pid 2>/dev/null
serve_pid=$serve_pid_main
serve_url=$serve_url_main
# a second SIGINT cancels the iterations in flight at once
printf 'return { iteration = function() clock.sleep(30) end }\n' >"$tmp/sleepy.lua"
interrupted "1.5 0.5" "$tmp/int2.out" "$ds" load.lua "$tmp/sleepy.lua" --vus 3 --duration 60 --quiet
[ $code -eq 130 ] && grep -q "3  interrupted: cancelled" "$tmp/int2.out" &&
    ok "a second SIGINT cancels those in flight: exit 130, counted" ||
    fail "second SIGINT: exit $code" "$(cat "$tmp/int2.out")"

# --- what the series explain: degraded periods, the capacity knee -------------
serve_pid_main=$serve_pid
serve_url_main=$serve_url
serve_start --delay 0.05 --client-delay --quiet
cat >"$tmp/window.lua" <<'LUA'
-- iterations started in 3-5 s are slow, those in 8-9 s fail
return { iteration = function(data, i)
  http.get(data[1] .. "/users/1", { headers = { ["X-Delay"] = (i > 150 and i <= 250) and "0.3" or "0.05" } })
  if i > 400 and i <= 450 then error("injected", 0) end
end }
LUA
check "degraded periods: a slow window and a failing one, each where it was" 0 \
    "^degraded: 3s-5s \(worst at [34]s: [0-9]+ of [0-9]+ slower than the run's p90, [0-9.]+ expected; p99 3[0-9.]+ms, errors 0.00%\), recovered 2s after it began$" \
    "$ds" load.lua "$tmp/window.lua" --rate 50 --duration 12 --quiet --json "$tmp/window.json" -- "$serve_url"
jcheck "degraded periods in the JSON: [3, 5] slow, [8, 9] failing" "$tmp/window.json" \
    '#j.degraded == 2 and j.degraded[1].start == 3 and j.degraded[1]["end"] == 5
     and j.degraded[1].kind == "latency" and j.degraded[1].observed > j.degraded[1].expected
     and j.degraded[2].start == 8 and j.degraded[2]["end"] == 9 and j.degraded[2].errors == 1
     and j.degraded[2].kind == "errors" and j.degraded[2].observed == 50
     and j.degraded[2].recovery == 1'
kill $serve_pid; wait $serve_pid 2>/dev/null
# against the server's own fault schedule (gaps of 4 s between windows: a
# period ends at the first of 3 good seconds after it)
serve_start --delay 0.05 --timeout 3 --quiet --schedule "2s-4s fail=0.5; 8s-10s delay=lognormal:0.5,2; 14s-15s hang=1"
cat >"$tmp/one.lua" <<'LUA'
return { iteration = function(data)
  local r = http.get(data[1] .. "/users/1", { name = "one" })
  if r.status ~= 200 then error("HTTP " .. r.status, 0) end
end }
LUA
"$ds" load.lua "$tmp/one.lua" --rate 50 --duration 19 --quiet --json "$tmp/sched.json" -- "$serve_url" \
    >"$tmp/sched.out" 2>&1
jcheck "degraded periods: each window of serve --schedule found within 1 s of where it was" \
    "$tmp/sched.json" '(function() local d = j.degraded
      local want = { { 2, 4 }, { 8, 10 }, { 14, 15 } }
      if #d ~= 3 then return false end
      for k, w in ipairs(want) do
        if math.abs(d[k].start - w[1]) > 1 or math.abs(d[k]["end"] - w[2]) > 1 then return false end
      end
      return d[1].errors > 0.3 and d[2].p99 > 0.5 and d[3].errors > 0.5 end)()'
kill $serve_pid; wait $serve_pid 2>/dev/null
# a server whose behaviour never changes: no period (the old rule of twice
# the median second reported some in 2 runs of 3)
serve_start --delay lognormal:0.05,0.3 --fail 0.02 --quiet
"$ds" load.lua $scen --rate 50 --duration 20 --quiet --json "$tmp/steady.json" -- "$serve_url" John William \
    >"$tmp/steady.out" 2>&1
jcheck "degraded periods: none in 20 s against a server that never changed" "$tmp/steady.json" \
    '#j.degraded == 0 and j.iterations.failed > 0 and j.degraded_baseline.seconds == 20'
kill $serve_pid; wait $serve_pid 2>/dev/null
# serve --workers 50 --delay 0.1 answers 500 requests/s: 250 chains/s of 2
serve_start --delay 0.1 --workers 50 --quiet
"$ds" load.lua $scen --rate 50 --stages 20s:500 --quiet --json "$tmp/knee.json" -- "$serve_url" >"$tmp/knee.out" 2>&1
grep -q "^capacity: kept up to " "$tmp/knee.out" && ok "capacity: the summary says where queueing began" ||
    fail "capacity: no summary line" "$(cat "$tmp/knee.out")"
jcheck "capacity: the knee of a ramp to 500/s against 250/s of capacity is within 15% of 250" \
    "$tmp/knee.json" 'j.capacity and j.capacity.knee_rate >= 212.5 and j.capacity.knee_rate <= 287.5'
kill $serve_pid; wait $serve_pid 2>/dev/null
serve_pid=$serve_pid_main
serve_url=$serve_url_main

# --- shards as separate processes, merged -------------------------------------
# Shards as N local processes, each with its JOB_COMPLETION_INDEX (the
# manifest itself: the k8s_manifest test; --shard auto: load_sync).
mkdir -p "$tmp/results"
pids=
for index in 0 1; do
    JOB_COMPLETION_INDEX=$index timeout 60 sh -c 'exec "$0" load.lua docking_scenario.lua \
        --vus 4 --iterations 40 --quiet --shard $((JOB_COMPLETION_INDEX + 1))/2 \
        --json "$1/shard-$JOB_COMPLETION_INDEX.json" -- "$2"' "$ds" "$tmp/results" "$serve_url" >/dev/null 2>&1 &
    pids="$pids $!"
done
all=0
for p in $pids; do wait "$p" || all=1; done
[ $all -eq 0 ] && ok "2 shards run as 2 processes, as the Indexed Job's pods" || fail "2 shard processes"
jcheck "shard 1/2 ran its half" "$tmp/results/shard-0.json" 'j.iterations.done == 20 and j.shard[1] == 1 and j.shard[2] == 2'
check "--merge of the shards: the whole run's counts" 0 "^iterations: 40 done, 0 failed" \
    "$ds" load.lua --merge "$tmp"/results/shard-*.json --json "$tmp/merged.json" --threshold 'chain:p50<1s'
jcheck "merged JSON equals the unsharded run's counts" "$tmp/merged.json" '
    j.iterations.done == 40 and j.requests["GET /users"].count == 40 and j.shard[1] == 1
    and j.shard[2] == 1 and #j.shards == 2 and j.thresholds[1].ok'
# synthetic shards of known data: the merge equals the unsharded file exactly
"$ds" "$fixture" "$tmp/u.json" && "$ds" "$fixture" "$tmp/f1.json" --shard 1/2 &&
    "$ds" "$fixture" "$tmp/f2.json" --shard 2/2 && "$ds" "$fixture" "$tmp/other.json" --shard 2/2 --scenario other.lua &&
    "$ds" "$fixture" "$tmp/closed2.json" --shard 2/2 --model closed || fail "load_fixture.lua"
check "--merge of synthetic shards" 0 "merged 2 of 2 shards" \
    "$ds" load.lua --merge "$tmp/f1.json" "$tmp/f2.json" --json "$tmp/fm.json"
res=$("$ds" -e '
    local a = json.decode(io.open(arg[1]):read("a"))
    local b = json.decode(io.open(arg[2]):read("a"))
    local same = a.iterations.done == b.iterations.done and a.iterations.failed == b.iterations.failed
    for _, k in ipairs({"p50", "p90", "p99", "p999", "max", "min", "mean"}) do
      same = same and a.chain[k] == b.chain[k] and a.requests["GET /users"][k] == b.requests["GET /users"][k]
    end
    for t = 1, #b.series do same = same and a.series[t].p99 == b.series[t].p99 and a.series[t].iterations == b.series[t].iterations end
    for t = 1, #b.series do
      local x, y = a.series[t].start_lag, b.series[t].start_lag
      same = same and x and y and x.count == y.count and x.p99 == y.p99 and x.histogram == y.histogram
    end
    print(same and "same" or "differ")' "$tmp/fm.json" "$tmp/u.json" 2>&1)
[ "$res" = same ] && ok "merged figures equal the unsharded run's (same data)" || fail "merged vs unsharded: $res"
printf '{"runs": [{"names": 1}]}\n' >"$tmp/bench.json"
usage_error "--merge: different scenarios" 2 "^load.lua: --merge: .* are runs of different scenarios" --merge "$tmp/f1.json" "$tmp/other.json"
usage_error "--merge: different models" 2 "^load.lua: --merge: .* are runs of different models" --merge "$tmp/f1.json" "$tmp/closed2.json"
usage_error "--merge: the same shard twice" 2 "are the same shard \(2/2\)$" --merge "$tmp/f2.json" "$tmp/f1.json" "$tmp/f2.json"
usage_error "--merge: not a dockscript run" 2 "^load.lua: --merge: $tmp/bench.json: not a dockscript load run" --merge "$tmp/f1.json" "$tmp/bench.json"
usage_error "--merge: a missing file" 2 "^load.lua: --merge: $tmp/gone.json: No such file" --merge "$tmp/f1.json" "$tmp/gone.json"
usage_error "--merge with run options" 2 "^load.lua: --merge takes only --json, --html, --threshold, --quiet and --junit" --merge "$tmp/f1.json" --vus 2


# --- progress, module, plot --------------------------------------------------
out=$(timeout 30 script -qc "'$ds' load.lua $scen --rate 20 --duration 2.5 -- $serve_url" /dev/null 2>&1)
printf '%s' "$out" | grep -q "done/s .* in flight .* p99 " && ok "progress on a terminal" || fail "progress on a terminal" "$out"
serve_pid_main=$serve_pid
serve_url_main=$serve_url
serve_start --delay 2.5 --quiet
out=$(timeout 30 script -qc "'$ds' load.lua '$tmp/slowsetup.lua' --vus 1 --iterations 1 -- $serve_url" /dev/null 2>&1)
printf '%s' "$out" | grep -q "setup: [12]s, waiting for GET $serve_url/users" &&
    ok "setup on a terminal: what it waits for" || fail "setup on a terminal" "$out"
kill $serve_pid; wait $serve_pid 2>/dev/null
serve_pid=$serve_pid_main
serve_url=$serve_url_main
out=$(timeout 30 script -qc "'$ds' load.lua $scen --rate 20 --duration 1.5 --quiet -- $serve_url" /dev/null 2>&1)
printf '%s' "$out" | grep -q "done/s" && fail "--quiet: no progress" "$out" || ok "--quiet: no progress"
out=$(timeout 30 "$ds" load.lua $scen --rate 20 --duration 1.5 -- "$serve_url" 2>&1)
printf '%s' "$out" | grep -q "done/s" && fail "no progress without a terminal" "$out" || ok "no progress without a terminal"

check "load.run from Lua, results collected" 0 "^6.6.true$" "$ds" -e '
    local load = require "load"
    local r = load.run{scenario = "docking_scenario.lua", vus = 2, iterations = 6, collect = true,
                       args = {arg[1]}}
    print(r.iterations.done, #r.results, r.results[1][1].name ~= nil)' "$serve_url"
check "load.run: a field that is no option names the nearest" 0 \
    "^load.run: unknown field 'vu'; did you mean 'vus'\?$" "$ds" -e '
    local ok, err = pcall(require("load").run, {scenario = "docking_scenario.lua", vu = 2})
    print(err)'
check "load.run raises one line on bad input" 0 "^--rate: expected a number > 0, got '0'$" "$ds" -e '
    local ok, err = pcall(require("load").run, {scenario = "docking_scenario.lua", rate = 0, duration = 1})
    print(err)'

check "plot.lua draws a load run" 0 "^wrote " "$ds" plot.lua "$tmp/open.json" "$tmp/open.png"
[ "$(head -c 8 "$tmp/open.png" 2>/dev/null | od -An -c | tr -d ' ')" = '211PNG\r\n032\n' ] &&
    ok "plot.lua: a PNG" || fail "plot.lua: a PNG"

done_tests
