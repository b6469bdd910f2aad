#!/bin/sh
# Shards started together on the wall clock and merged by it, as on many
# machines: --shard auto from the engine's variables, --start-at (a shard
# made to start 3 s late still lands on its own seconds; Ctrl-C while
# waiting exits 130; a past time is a usage error) and --merge placing the
# shards' seconds by their epoch starts. Against `dockscript serve` on
# 127.0.0.1. usage: sync_test.sh DOCKSCRIPT
set -u
ds=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
# none of an engine's variables from the environment the test runs in
unset JOB_COMPLETION_INDEX JOB_COMPLETIONS SLURM_ARRAY_TASK_ID SLURM_ARRAY_TASK_MIN \
    SLURM_ARRAY_TASK_COUNT SLURM_ARRAY_TASK_STEP

# lua NAME LUA-CONDITION FILE...: the condition holds for j[1], j[2], ...
# (the decoded files).
lua() {
    name=$1 cond=$2
    shift 2
    res=$("$ds" -e '
        local j = {}
        for i = 2, #arg do j[i - 1] = json.decode(io.open(arg[i]):read("a")) end
        local f = assert(load("local j = ...; " .. arg[1]))
        local ok, why = f(j)
        print(ok and "yes" or "no: " .. tostring(why))' "$cond" "$@" 2>&1)
    [ "$res" = yes ] && ok "$name" || fail "$name: $res"
}

# usage_error NAME CODE PATTERN ARGS...: one line on stderr, nothing on stdout.
usage_error() {
    name=$1 want=$2 pattern=$3
    shift 3
    timeout 30 "$ds" load.lua "$@" >"$tmp/out" 2>"$tmp/err"
    code=$?
    if [ $code -ne "$want" ] || [ -s "$tmp/out" ] || [ "$(wc -l <"$tmp/err")" -ne 1 ] ||
        ! grep -Eq -- "$pattern" "$tmp/err"; then
        fail "$name: exit $code (want $want), stderr /$pattern/" "$(cat "$tmp/out" "$tmp/err")"
    else
        ok "$name"
    fi
}

serve_start --quiet
run="docking_scenario.lua --rate 30 --duration 3 --threads 1 --quiet"
now() { "$ds" -e 'print(string.format("%.3f", clock.wall()))'; }

# --- usage errors --------------------------------------------------------------
usage_error "--shard auto outside an engine: the variables looked for, exit 2" 2 \
    "^load.lua: --shard auto: found none of JOB_COMPLETION_INDEX with JOB_COMPLETIONS .* SLURM_ARRAY_TASK_ID with SLURM_ARRAY_TASK_COUNT and SLURM_ARRAY_TASK_MIN" \
    $run --shard auto -- "$serve_url"
past=$(( $(date +%s) - 5 ))
usage_error "--start-at 5 s in the past: exit 2" 2 "^load.lua: --start-at: $past is [0-9.]+ s in the past" \
    $run --start-at $past -- "$serve_url"
usage_error "--start-at not a time: exit 2" 2 "^load.lua: --start-at: expected epoch seconds or an RFC 3339 time" \
    $run --start-at tomorrow -- "$serve_url"

# --- Ctrl-C while waiting --------------------------------------------------------
interrupted 1.5 "$tmp/int.out" "$ds" load.lua $run --start-at $(( $(date +%s) + 120 )) \
    --json "$tmp/int.json" -- "$serve_url"
[ "$code" -eq 130 ] && grep -q "interrupted while waiting for --start-at" "$tmp/int.out" &&
    ok "Ctrl-C while waiting for a --start-at 120 s away: exit 130" ||
    fail "Ctrl-C while waiting: exit $code" "$(cat "$tmp/int.out")"
[ ! -e "$tmp/int.json" ] && ok "nothing ran: no --json" || fail "an interrupted wait wrote --json"

# --- a setup that ends after --start-at: the run starts then, and says so ---------
cat >"$tmp/slow.lua" <<'LUA'
return { setup = function() clock.sleep(2.5) end, iteration = function() end }
LUA
at=$(( $(date +%s) + 1 ))
"$ds" load.lua "$tmp/slow.lua" --vus 1 --iterations 1 --start-at $at --quiet --json "$tmp/slow.json" \
    >"$tmp/slow.out" 2>&1
code=$?
[ $code -eq 0 ] && grep -Eq "^load.lua: started [0-9.]+ s after --start-at: setup took until then$" "$tmp/slow.out" &&
    ok "a setup longer than the wait: the run starts after it, and says so" ||
    fail "a late setup: exit $code" "$(cat "$tmp/slow.out")"
lua "its start is the setup's end, after --start-at" "return j[1].start > $at + 1" "$tmp/slow.json"

# --- shards started together, one of them launched 2 s late ------------------------
# The unsharded run, then 2 shards of the same run with one --start-at: the
# second process launched 2 s after the first still starts with it.
"$ds" load.lua $run --json "$tmp/whole.json" -- "$serve_url" >/dev/null 2>&1 ||
    fail "the unsharded run"
at=$(( $(date +%s) + 5 ))
JOB_COMPLETION_INDEX=0 JOB_COMPLETIONS=2 timeout 60 "$ds" load.lua $run --shard auto \
    --start-at $at --json "$tmp/t1.json" -- "$serve_url" >"$tmp/t1.out" 2>&1 &
p1=$!
sleep 2
JOB_COMPLETION_INDEX=1 JOB_COMPLETIONS=2 timeout 60 "$ds" load.lua $run --shard auto \
    --start-at $at --json "$tmp/t2.json" -- "$serve_url" >"$tmp/t2.out" 2>&1
c2=$?
wait $p1
c1=$?
[ $c1 -eq 0 ] && [ $c2 -eq 0 ] && ok "2 shards from JOB_COMPLETION_INDEX/JOB_COMPLETIONS: exit 0" ||
    fail "2 shards: exit $c1, $c2" "$(cat "$tmp/t1.out" "$tmp/t2.out")"
lua "each started at --start-at, not before, not a second after" "
    for i = 1, 2 do
      if j[i].start < $at or j[i].start > $at + 0.5 then return false, 'shard ' .. i .. ' started at ' .. j[i].start end
      if j[i].shard[1] ~= i or j[i].shard[2] ~= 2 then return false, 'shard ' .. i .. ' is ' .. j[i].shard[1] end
      if j[i].series[1].wall ~= j[i].start then return false, 'series[1].wall' end
    end
    return true" "$tmp/t1.json" "$tmp/t2.json"
check "--merge of shards started together: no shard placed late" 0 "^iterations: 90 done" \
    "$ds" load.lua --merge "$tmp/t1.json" "$tmp/t2.json" --json "$tmp/together.json"
printf '%s' "$out" | grep -q "started .* after the first" && fail "a shard placed late" "$out"
lua "merged series equal the unsharded run's, second by second" "
    local m, w = j[1], j[2]
    for t = 1, 3 do
      if m.series[t].iterations ~= w.series[t].iterations then
        return false, 'second ' .. t .. ': ' .. m.series[t].iterations .. ' vs ' .. w.series[t].iterations
      end
    end
    return m.series[1].iterations == 30" "$tmp/together.json" "$tmp/whole.json"

# --- a shard made to start 3 s late by its own --start-at --------------------------
at=$(( $(date +%s) + 4 ))
for i in 0 1 2; do
    late=0
    [ $i -eq 2 ] && late=3
    JOB_COMPLETION_INDEX=$i JOB_COMPLETIONS=3 timeout 60 "$ds" load.lua $run --shard auto \
        --start-at $((at + late)) --json "$tmp/s$i.json" -- "$serve_url" >"$tmp/s$i.out" 2>&1 &
    eval "p$i=\$!"
done
all=0
for p in $p0 $p1 $p2; do wait "$p" || all=1; done
[ $all -eq 0 ] && ok "3 shards, the third with --start-at 3 s later: exit 0" ||
    fail "3 shards" "$(cat "$tmp"/s?.out)"
"$ds" load.lua --merge "$tmp/s0.json" "$tmp/s1.json" "$tmp/s2.json" --json "$tmp/late.json" \
    >"$tmp/late.out" 2>"$tmp/late.err"
[ $? -eq 0 ] && grep -q "^load.lua: shard 3/3 started 3 s after the first: its seconds are placed by the wall clock$" \
    "$tmp/late.err" && ok "--merge says shard 3/3 started 3 s after the first" ||
    fail "--merge of a late shard" "$(cat "$tmp/late.out" "$tmp/late.err")"
lua "the late shard's seconds at their wall-clock places, the others' unshifted" "
    local m = j[4]
    local function at(wall)
      for _, s in ipairs(m.series) do if math.abs(s.wall - wall) < 0.5 then return s end end
    end
    if math.abs(j[3].start - j[1].start - 3) > 0.5 then return false, 'shard 3 did not start 3 s late' end
    for t = 1, 3 do
      local a, b, c = j[1].series[t], j[2].series[t], j[3].series[t]
      local ma, mc = at(a.wall), at(c.wall)
      if not ma or not mc then return false, 'no merged second at ' .. a.wall .. ' or ' .. c.wall end
      if ma.t ~= t or mc.t ~= t + 3 then return false, 'second ' .. t .. ' merged at ' .. ma.t .. ', ' .. mc.t end
      if ma.iterations ~= a.iterations + b.iterations then return false, 'second ' .. t .. ' of shards 1-2' end
      if mc.iterations ~= c.iterations then return false, 'second ' .. t .. ' of shard 3 at ' .. mc.t end
    end
    return m.iterations.done + m.iterations.failed == 90 and m.series[1].iterations == 20
      and m.series[4].iterations == 10" "$tmp/s0.json" "$tmp/s1.json" "$tmp/s2.json" "$tmp/late.json"

done_tests
