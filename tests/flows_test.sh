#!/bin/sh
# load.lua with a scenario's flows, against `dockscript serve` on 127.0.0.1:
# weighted flows picked from (seed, i) (the same iterations run the same
# flow in 1 or 2 threads and over 2 shards, read from the server's access
# log; a 9:1 mix within its binomial interval), flows with their own model
# (a start offset, shards split each flow), per-flow tags, JSON, merge,
# thresholds flow:NAME:STAT, and every bad input.
# usage: flows_test.sh DOCKSCRIPT
set -u
ds=$(realpath "$1")
. "$(dirname "$0")/lib.sh"


# usage_error NAME PATTERN ARGS...: one line on stderr, nothing on
# stdout, exit 2, and no request reached the server (before the run).
usage_error() {
    name=$1 pattern=$2
    shift 2
    before=$(grep -c '^GET ' "$tmp/serve.log")
    timeout 30 "$ds" load.lua "$@" >"$tmp/out" 2>"$tmp/err"
    code=$?
    after=$(grep -c '^GET ' "$tmp/serve.log")
    if [ $code -ne 2 ] || [ -s "$tmp/out" ] || [ "$(wc -l <"$tmp/err")" -ne 1 ] ||
        ! grep -Eq -- "$pattern" "$tmp/err" || [ "$before" -ne "$after" ]; then
        fail "$name: exit $code (want 2), stderr /$pattern/, empty stdout, no request" \
            "$(cat "$tmp/out" "$tmp/err")"
    else
        ok "$name"
    fi
}

"$ds" serve --port 0 --delay 0 --log >"$tmp/serve.out" 2>"$tmp/serve.log" &
serve_pid=$!
i=0
until grep -q "http://" "$tmp/serve.out" || [ $i -ge 100 ]; do sleep 0.1; i=$((i + 1)); done
url=$(grep -o 'http://[0-9.:]*' "$tmp/serve.out" | head -n 1)
[ -n "$url" ] || { echo "dockscript serve did not start"; exit 1; }

# --- weighted flows ---------------------------------------------------------------
cat >"$tmp/mix.lua" <<'LUA'
return {
  setup = function(args) return args[1] end,
  flows = {
    browse = { weight = 9, iteration = function(url, i) http.get(url .. "/users", { params = { i = i } }) end },
    buy = { weight = 1, iteration = function(url, i)
      http.get(url .. "/customers/1", { params = { i = i } })
      http.get(url .. "/users", { params = { i = i }, name = "users" })
    end },
  },
}
LUA

# picks NAME LOAD-ARGS...: the requests of each run (shell words: one
# process each), then the server's log of them as "PATH?i=N" lines, sorted
picks() {
    name=$1
    shift
    from=$(($(wc -l <"$tmp/serve.log") + 1))
    pids=
    for args in "$@"; do
        # shellcheck disable=SC2086
        timeout 60 "$ds" load.lua "$tmp/mix.lua" --vus 4 --iterations 3000 --quiet $args -- "$url" \
            >>"$tmp/$name.out" 2>&1 &
        pids="$pids $!"
    done
    for p in $pids; do wait "$p"; done
    tail -n +"$from" "$tmp/serve.log" | grep '^GET ' | awk '{print $2}' | sort >"$tmp/$name.req"
}
picks one "--seed 7 --threads 1 --json $tmp/one.json"
picks two "--seed 7 --threads 2 --json $tmp/two.json"
picks shards "--seed 7 --threads 1 --shard 1/2 --json $tmp/s1.json" \
    "--seed 7 --threads 2 --shard 2/2 --json $tmp/s2.json"
picks other "--seed 8 --threads 2 --json $tmp/other.json"
picks plain "--threads 2 --json $tmp/plain.json"
picks plain2 "--threads 1 --json $tmp/plain2.json"
buys() { grep -c '^/customers/1?' "$tmp/$1.req"; }
[ "$(wc -l <"$tmp/one.req")" -eq $((3000 + $(buys one))) ] &&
    ok "3000 iterations: one request per browse, two per buy" ||
    fail "requests of 3000 iterations: $(wc -l <"$tmp/one.req")" "$(cat "$tmp/one.out")"
cmp -s "$tmp/one.req" "$tmp/two.req" && ok "--seed 7: iteration i runs the same flow in 1 and 2 threads" ||
    fail "1 thread vs 2 threads" "$(diff "$tmp/one.req" "$tmp/two.req" | head -10)"
cmp -s "$tmp/one.req" "$tmp/shards.req" && ok "--seed 7: ... and over 2 shards" ||
    fail "1 thread vs 2 shards" "$(diff "$tmp/one.req" "$tmp/shards.req" | head -10)"
cmp -s "$tmp/one.req" "$tmp/other.req" && fail "--seed 8 picks as --seed 7 does" ||
    ok "--seed 8 picks other flows"
cmp -s "$tmp/plain.req" "$tmp/plain2.req" && ok "without --seed: the same picks on every run, any threads" ||
    fail "without --seed, 2 runs" "$(diff "$tmp/plain.req" "$tmp/plain2.req" | head -10)"
# 9:1 over 3000: buy ~ Binomial(3000, 0.1), mean 300, sd 16.4; 99.99%: +-3.89 sd
for run in one other plain; do
    b=$(buys $run)
    [ "$b" -ge 236 ] && [ "$b" -le 364 ] && ok "$run: $b buys of 3000 within the 99.99% binomial interval [236, 364]" ||
        fail "$run: $b buys of 3000, outside [236, 364]"
done
b=$(buys one)
jcheck "JSON: flows' iterations are the server's counts" "$tmp/one.json" \
    "j.flows.buy.iterations.done == $b and j.flows.browse.iterations.done == 3000 - $b
     and j.flows.buy.chain.count == $b and j.iterations.done == 3000"
jcheck "JSON: tags per flow, the run's summed over the flows" "$tmp/one.json" \
    "j.flows.buy.requests['GET /customers/1'].count == $b and j.flows.buy.requests.users.count == $b
     and j.flows.browse.requests['GET /users'].count == 3000 - $b and j.flows.browse.requests.users == nil
     and j.flows.browse.requests['GET /customers/1'] == nil
     and j.requests['GET /users'].count == 3000 - $b and j.requests.users.count == $b"
jcheck "JSON: each flow's series adds up to its iterations" "$tmp/one.json" "
     (function() local n = 0 for _, s in ipairs(j.flows.buy.series) do n = n + s.iterations end
       return n == $b end)()"
check "--merge of 2 shards: the flows' counts of the unsharded run" 0 \
    "^flow buy +$b " "$ds" load.lua --merge "$tmp/s1.json" "$tmp/s2.json" --json "$tmp/merged.json"
"$ds" -e '
  local function load(p) return json.decode(io.open(p):read("a")) end
  local a, m = load(arg[1]), load(arg[2])
  for name, f in pairs(a.flows) do
    local g = m.flows[name]
    assert(g.iterations.done == f.iterations.done and g.iterations.failed == f.iterations.failed, name)
    for tag, q in pairs(f.requests) do assert(g.requests[tag].count == q.count, name .. " " .. tag) end
    for tag in pairs(g.requests) do assert(f.requests[tag], name .. " " .. tag) end
  end
  for name in pairs(m.flows) do assert(a.flows[name], name) end' "$tmp/two.json" "$tmp/merged.json" \
    >"$tmp/cmp.out" 2>&1 && ok "merged shards: every flow and flow tag counts the unsharded run's" ||
    fail "merged shards vs unsharded" "$(cat "$tmp/cmp.out")"

# a flow's requests made in gathers, nested ones too, are the flow's
cat >"$tmp/nested.lua" <<'LUA'
return { setup = function(args) return args[1] end, flows = {
  a = { iteration = function(url)
    http.gather({ function() return http.get(url .. "/users/1") end,
                  function() return http.gather({ function() return http.get(url .. "/users/2") end }) end })
  end },
  b = { iteration = function(url) http.get(url .. "/users/3") end } } }
LUA
"$ds" load.lua "$tmp/nested.lua" --vus 4 --iterations 200 --threads 2 --quiet --json "$tmp/nested.json" -- "$url" >/dev/null 2>&1
jcheck "requests in (nested) gathers are their iteration's flow's" "$tmp/nested.json" \
    "j.flows.a.requests['GET /users/2'].count == j.flows.a.iterations.done
     and j.flows.a.requests['GET /users/1'].count == j.flows.a.iterations.done
     and j.flows.b.requests['GET /users/3'].count == j.flows.b.iterations.done
     and j.flows.b.requests['GET /users/1'] == nil and j.flows.a.requests['GET /users/3'] == nil
     and j.flows.a.iterations.done + j.flows.b.iterations.done == 200"

# --- thresholds on flows ----------------------------------------------------------------
check "flow:buy:p99<10s passes" 0 "ok +flow:buy:p99<10s" \
    "$ds" load.lua "$tmp/mix.lua" --vus 2 --iterations 200 --threshold 'flow:buy:p99<10s' -- "$url"
check "flow:browse:count>=1000000 fails: exit 3" 3 "FAIL +flow:browse:count>=1000000" \
    "$ds" load.lua "$tmp/mix.lua" --vus 2 --iterations 200 --threshold 'flow:browse:count>=1000000' -- "$url"
usage_error "an unknown flow in a threshold: did you mean, before the run" \
    "^load.lua: --threshold 'flow:bruwse:p99<1s': no flow named 'bruwse'; did you mean 'flow:browse'\?$" \
    "$tmp/mix.lua" --vus 2 --iterations 20 --threshold 'flow:bruwse:p99<1s' -- "$url"

# --- flows with their own model -----------------------------------------------------
cat >"$tmp/models.lua" <<'LUA'
return {
  setup = function(args) return args[1] end,
  flows = {
    steady = { rate = 20, duration = "3s", iteration = function(url, i) http.get(url .. "/users") end },
    late = { vus = 2, iterations = 10, start = "2s",
             iteration = function(url, i) http.get(url .. "/customers/1", { params = { late = i } }) end },
  },
}
LUA
check "flows with their own model run side by side" 0 "^models.lua: flows late \(closed, 2 VUs, 10 iterations, from 2s\), steady \(open, 20/s for 3s\)" \
    "$ds" load.lua "$tmp/models.lua" --threads 2 --json "$tmp/models.json" -- "$url"
jcheck "each flow ran its own model: 60 scheduled, 10 iterations" "$tmp/models.json" \
    "j.model == 'flows' and j.flows.steady.iterations.done == 60 and j.flows.late.iterations.done == 10
     and j.iterations.done == 70 and j.options.flows.late.start == 2"
jcheck "an open flow's rates are per second of its schedule" "$tmp/models.json" \
    "j.flows.steady.iterations.rate == 20 and j.flows.steady.chain.rate == 20"
cat >"$tmp/drops.lua" <<'LUA'
return { flows = {
  slow = { rate = 50, duration = 1, max_vus = 1, iteration = function() clock.sleep(0.2) end },
  quick = { vus = 1, iterations = 5, iteration = function() end } } }
LUA
"$ds" load.lua "$tmp/drops.lua" --threads 1 --quiet --json "$tmp/drops.json" >/dev/null 2>&1
jcheck "an open flow's drops are its own" "$tmp/drops.json" \
    "j.flows.slow.iterations.dropped > 0 and j.flows.slow.iterations.dropped == j.iterations.dropped
     and j.flows.quick.iterations.dropped == 0 and j.flows.quick.iterations.done == 5"
jcheck "the late flow's first iteration starts at its offset (second 3 of the series on)" "$tmp/models.json" "
     j.flows.steady.series[1].t == 1 and j.flows.steady.series[1].iterations > 0
     and (function() for _, s in ipairs(j.flows.late.series) do
       if s.iterations + s.errors > 0 then return s.t >= 3 end end end)()"
from=$(($(wc -l <"$tmp/serve.log") + 1))
"$ds" load.lua "$tmp/models.lua" --threads 1 --shard 1/2 --json "$tmp/m1.json" --quiet -- "$url" >/dev/null 2>&1
"$ds" load.lua "$tmp/models.lua" --threads 1 --shard 2/2 --json "$tmp/m2.json" --quiet -- "$url" >/dev/null 2>&1
jcheck "shards split each flow: shard 1/2 ran half of each" "$tmp/m1.json" \
    "j.flows.steady.iterations.done == 30 and j.flows.late.iterations.done == 5"
late=$(tail -n +"$from" "$tmp/serve.log" | grep '^GET /customers/1?late=' | awk '{print $2}' | sort -t= -k2 -n | tr '\n' ' ')
want=$(seq 1 10 | sed 's|^|/customers/1?late=|' | tr '\n' ' ')
[ "$late" = "$want" ] && ok "2 shards: the late flow's iterations 1..10, each once" ||
    fail "late flow's iterations over 2 shards: $late"
check "--merge of the shards of a run of flows" 0 "^flow late +10 " \
    "$ds" load.lua --merge "$tmp/m1.json" "$tmp/m2.json"

# --- bad input: one line, exit 2, before the run -------------------------------------------
bad() { printf 'return { setup = function(a) return a[1] end, %s }\n' "$2" >"$tmp/$1.lua"; }
bad both 'iteration = function() end, flows = { a = { iteration = function() end } }'
bad mixed 'flows = { a = { weight = 1, iteration = function() end }, b = { rate = 1, duration = 1, iteration = function() end } }'
bad zero 'flows = { a = { weight = 0, iteration = function() end } }'
bad word 'flows = { a = { weight = "heavy", iteration = function() end } }'
bad noiter 'flows = { a = { weight = 1 }, b = { weight = 1, iteration = function() end } }'
bad empty 'flows = {}'
bad typo 'flows = { a = { wieght = 1, iteration = function() end } }'
bad start 'flows = { a = { vus = 1, iterations = 1, start = "soon", iteration = function() end } }'
usage_error "flows and iteration" "returns both flows and iteration" "$tmp/both.lua" -- "$url"
usage_error "weighted and own-model flows mixed" "flows a \(weight\) and b \(a model of its own\) cannot be mixed" "$tmp/mixed.lua" -- "$url"
usage_error "a weight of 0" "flow a: weight must be a number > 0, got 0$" "$tmp/zero.lua" -- "$url"
usage_error "a weight that is a word" "flow a: weight must be a number > 0, got 'heavy'$" "$tmp/word.lua" -- "$url"
usage_error "a flow with no iteration" "flow a has no iteration function" "$tmp/noiter.lua" -- "$url"
usage_error "no flows in flows" "flows must be a table" "$tmp/empty.lua" -- "$url"
usage_error "an unknown field of a flow" "flow a: unknown field 'wieght'$" "$tmp/typo.lua" -- "$url"
usage_error "a start that is no duration" "flow a: start: expected a duration >= 0" "$tmp/start.lua" -- "$url"
usage_error "--vus with flows of their own model" "^load.lua: --vus: the scenario's flows have their own models" \
    "$tmp/models.lua" --vus 3 -- "$url"
usage_error "--rate with flows of their own model" "^load.lua: --rate: the scenario's flows have their own models" \
    "$tmp/models.lua" --rate 3 --duration 1 -- "$url"
bad plain 'iteration = function(url) http.get(url .. "/users") end'
usage_error "a flow threshold for a scenario without flows" "the scenario has no flows" \
    "$tmp/plain.lua" --vus 1 --threshold 'flow:a:p99<1s' -- "$url"

kill $serve_pid
wait $serve_pid 2>/dev/null
serve_pid=
done_tests
