#!/bin/sh
# load.lua --seed: each iteration's math.random and clock.think (and its gathers') are seeded
# from (S, i), so the same scenario and seed send the same requests in any
# number of threads or shards; compared from the server's access log.
# usage: replay_test.sh DOCKSCRIPT
set -u
ds=$(realpath "$1")
. "$(dirname "$0")/lib.sh"

cat >"$tmp/rand.lua" <<'LUA'
return { iteration = function(args, i)
  local id = math.random(1, 5)
  -- think time draws from the same generator
  local pause = string.format("%.9f", clock.think("uniform:0,0.004"))
  http.get(args[1] .. "/users/" .. id, { params = { i = i, x = math.random(1000), t = pause } })
  -- a nested gather: its tasks draw from seeds of the iteration's own
  local sub = http.gather({ function() return math.random(100) end,
                            function() clock.sleep(0.001 * math.random(3)) return math.random(100) end })
  http.get(args[1] .. "/customers/" .. math.random(1, 5), { params = { i = i, a = sub[1], b = sub[2] } })
end }
LUA

# run NAME LOAD-ARGS...: the requests the server saw, sorted (the order of
# concurrent iterations is the scheduler's, their requests are the seed's)
run() {
    name=$1
    shift
    "$ds" serve --port 0 --delay 0.005 --log >"$tmp/$name.serve" 2>"$tmp/$name.log" &
    spid=$!
    i=0
    until grep -q "http://" "$tmp/$name.serve" || [ $i -ge 100 ]; do sleep 0.1; i=$((i + 1)); done
    url=$(grep -o 'http://[0-9.:]*' "$tmp/$name.serve" | head -n 1)
    : >"$tmp/$name.out"
    pids=
    for shard in "$@"; do
        # shell words: "--shard 1/2" and the like, each a separate process
        # shellcheck disable=SC2086
        timeout 60 "$ds" load.lua "$tmp/rand.lua" --vus 6 --iterations 60 --quiet $shard -- "$url" \
            >>"$tmp/$name.out" 2>&1 &
        pids="$pids $!"
    done
    for p in $pids; do wait "$p"; done
    kill $spid
    wait $spid 2>/dev/null
    grep '^GET ' "$tmp/$name.log" | awk '{print $1, $2}' | sort >"$tmp/$name.req"
}

run one "--seed 7 --threads 1"
run two "--seed 7 --threads 2"
run shards "--seed 7 --threads 1 --shard 1/2" "--seed 7 --threads 2 --shard 2/2"
run other "--seed 8 --threads 1"
for name in one two shards other; do
    [ "$(wc -l <"$tmp/$name.req")" -eq 120 ] && ok "$name: 120 requests (60 iterations of 2)" ||
        fail "$name: requests: $(wc -l <"$tmp/$name.req")" "$(cat "$tmp/$name.out")"
done
cmp -s "$tmp/one.req" "$tmp/two.req" && ok "--seed 7: 1 thread and 2 threads send the same requests" ||
    fail "1 thread vs 2 threads" "$(diff "$tmp/one.req" "$tmp/two.req" | head -20)"
cmp -s "$tmp/one.req" "$tmp/shards.req" && ok "--seed 7: 2 shards (1 and 2 threads) send the same requests" ||
    fail "1 thread vs 2 shards" "$(diff "$tmp/one.req" "$tmp/shards.req" | head -20)"
cmp -s "$tmp/one.req" "$tmp/other.req" && fail "--seed 8 sends the same requests as --seed 7" ||
    ok "--seed 8 sends other requests"
done_tests
