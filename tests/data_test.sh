#!/bin/sh
# require("load").data end to end: which row each iteration got, seen in the
# access log of `dockscript serve` (each iteration asks for
# /users/1?i=I&row=ID), over threads and shards run as separate processes;
# RFC 4180 quoting; malformed and missing files failing before the run; a
# file read once per process however many threads.
# usage: data_test.sh DOCKSCRIPT
set -u
ds=$(realpath "$1")
. "$(dirname "$0")/lib.sh"


# 200 users; the data file lives beside the scenario, which names it
# relative to itself (the runs start from another directory)
mkdir -p "$tmp/scen" "$tmp/elsewhere"
awk 'BEGIN { print "id,name"; for (i = 1; i <= 200; i++) printf "%d,user %d\n", i, i }' \
    >"$tmp/scen/users.csv"

# scenario STRATEGY: asks the server for the row it got
scenario() {
    cat >"$tmp/scen/$1.lua" <<LUA
local users = require("load").data("users.csv", {strategy = "$1"})
return { iteration = function(args, i)
  local u = users:row(i)
  local r = http.get(args[1] .. "/users/1", { params = { i = i, row = u.id } })
  assert(r.status == 200, "status " .. r.status)
end }
LUA
}
for s in queue circular shuffle random; do scenario $s; done

# run NAME STRATEGY "LOAD-ARGS" ["LOAD-ARGS"...]: each LOAD-ARGS a separate
# process (a shard) at once; the server's log of it as "I ROW" lines sorted
# by I in $tmp/NAME.rows, the summaries in $tmp/NAME.out
run() {
    name=$1 strategy=$2
    shift 2
    # a file of its own: the shell truncates a reused one only once the
    # server's process runs, and the previous server's address would be read
    "$ds" serve --port 0 --delay 0 --log >"$tmp/$name.serve" 2>"$tmp/$name.log" &
    spid=$!
    i=0
    until grep -q "http://" "$tmp/$name.serve" || [ $i -ge 100 ]; do sleep 0.1; i=$((i + 1)); done
    url=$(grep -o 'http://[0-9.:]*' "$tmp/$name.serve" | head -n 1)
    : >"$tmp/$name.out"
    pids= k=0
    for shard in "$@"; do
        k=$((k + 1))
        # shellcheck disable=SC2086
        (cd "$tmp/elsewhere" && timeout 60 "$ds" load.lua "$tmp/scen/$strategy.lua" --quiet \
            --json "$tmp/$name.$k.json" $shard -- "$url") >>"$tmp/$name.out" 2>&1 &
        pids="$pids $!"
    done
    for p in $pids; do wait "$p" || echo "exit $?" >>"$tmp/$name.out"; done
    kill $spid
    wait $spid 2>/dev/null
    grep '^GET /users/1' "$tmp/$name.log" | sed -n 's/.*[?&]i=\([0-9]*\)&row=\([0-9]*\).*/\1 \2/p;
        s/.*[?&]row=\([0-9]*\)&i=\([0-9]*\).*/\2 \1/p' | sort -n >"$tmp/$name.rows"
}

# --- queue: each row once over 2 shards x 2 threads, iteration i gets row i,
# and the run ends when the rows run out ----------------------------------
run queue queue "--vus 4 --threads 2 --iterations 500 --shard 1/2" \
    "--vus 4 --threads 2 --iterations 500 --shard 2/2"
if [ "$(wc -l <"$tmp/queue.rows")" -eq 200 ] && [ "$(cut -d' ' -f2 "$tmp/queue.rows" | sort -n | uniq | wc -l)" -eq 200 ] &&
    awk '$1 != $2 || $1 < 1 || $1 > 200 { bad = 1 } END { exit bad }' "$tmp/queue.rows"; then
    ok "queue over 2 shards x 2 threads: each of 200 rows once, iteration i got row i"
else
    fail "queue over 2 shards x 2 threads" "$(head -20 "$tmp/queue.rows"; cat "$tmp/queue.out")"
fi
[ "$(grep -c "^data 'users.csv' ran out after 200 rows" "$tmp/queue.out")" -eq 2 ] &&
    ok "queue: both shards' summaries say the data ran out" ||
    fail "queue: ran-out line" "$(cat "$tmp/queue.out")"
jcheck "queue: JSON data_ran_out" "$tmp/queue.1.json" \
    'j.data_ran_out.data == "users.csv" and j.data_ran_out.rows == 200 and j.iterations.done == 100'
"$ds" load.lua --merge "$tmp/queue.1.json" "$tmp/queue.2.json" --json "$tmp/queue.m.json" \
    >"$tmp/merge.out" 2>&1
jcheck "queue: the merged shards: 200 done, ran out" "$tmp/queue.m.json" \
    'j.iterations.done == 200 and j.data_ran_out.rows == 200'

# the open model: an iteration past the rows never starts (one dropped for a
# busy slot leaves its row unused)
run qopen queue "--rate 400 --duration 20 --max-vus 50 --threads 2"
jcheck "queue, open model: done + dropped = 200 rows, no more" "$tmp/qopen.1.json" \
    'j.iterations.done + j.iterations.dropped + j.iterations.failed == 200 and j.data_ran_out.rows == 200'
[ "$(cut -d' ' -f2 "$tmp/qopen.rows" | sort -n | uniq -d | wc -l)" -eq 0 ] &&
    [ "$(wc -l <"$tmp/qopen.rows")" -ge 1 ] && ok "queue, open model: no row twice" ||
    fail "queue, open model: rows" "$(cat "$tmp/qopen.out")"

# iterations dropped for busy slots take rows; none past the rows is counted
cat >"$tmp/scen/slow.lua" <<'LUA'
local users = require("load").data("users.csv", { strategy = "queue" })
return { iteration = function(_, i) users:row(i); clock.sleep(0.5) end }
LUA
timeout 60 "$ds" load.lua "$tmp/scen/slow.lua" --rate 1000 --duration 5 --max-vus 4 --threads 2 \
    --quiet --json "$tmp/slow.json" >"$tmp/slow.out" 2>&1
jcheck "queue, open model with drops: done + dropped = 200, none past the rows" "$tmp/slow.json" \
    'j.iterations.dropped > 0 and j.iterations.done + j.iterations.dropped == 200'

# --- the same rows whatever the threads or shards ------------------------
for s in circular shuffle random; do
    run "$s.1" $s "--vus 4 --threads 1 --iterations 300 --seed 7"
    run "$s.2" $s "--vus 4 --threads 2 --iterations 300 --seed 7"
    run "$s.s" $s "--vus 4 --threads 2 --iterations 300 --seed 7 --shard 1/2" \
        "--vus 4 --threads 1 --iterations 300 --seed 7 --shard 2/2"
    run "$s.o" $s "--vus 4 --threads 1 --iterations 300 --seed 8"
    if [ -s "$tmp/$s.1.rows" ] && cmp -s "$tmp/$s.1.rows" "$tmp/$s.2.rows" &&
        cmp -s "$tmp/$s.1.rows" "$tmp/$s.s.rows"; then
        ok "$s: the same row for each i in 1 thread, 2 threads, 2 shards"
    else
        fail "$s: rows differ by threads or shards" "$(diff "$tmp/$s.1.rows" "$tmp/$s.2.rows" | head
            diff "$tmp/$s.1.rows" "$tmp/$s.s.rows" | head; cat "$tmp/$s.1.out" "$tmp/$s.2.out" "$tmp/$s.s.out")"
    fi
done
awk '$2 != ($1 - 1) % 200 + 1 { bad = 1 } END { exit bad || NR != 300 }' "$tmp/circular.1.rows" &&
    ok "circular: iteration i got row ((i - 1) mod 200) + 1, 300 iterations" ||
    fail "circular rows" "$(head "$tmp/circular.1.rows")"
cmp -s "$tmp/circular.1.rows" "$tmp/circular.o.rows" && ok "circular: the seed does not matter" ||
    fail "circular: changed with the seed"
if [ "$(wc -l <"$tmp/shuffle.1.rows")" -eq 200 ] &&
    [ "$(cut -d' ' -f2 "$tmp/shuffle.1.rows" | sort -n | uniq | wc -l)" -eq 200 ] &&
    awk '$1 != $2 { moved++ } END { exit moved < 150 }' "$tmp/shuffle.1.rows" &&
    ! cmp -s "$tmp/shuffle.1.rows" "$tmp/shuffle.o.rows"; then
    ok "shuffle: each of 200 rows once, out of order, another order with another seed"
else
    fail "shuffle rows" "$(head "$tmp/shuffle.1.rows"; cat "$tmp/shuffle.1.out")"
fi
grep -q "^data 'users.csv' ran out after 200 rows" "$tmp/shuffle.1.out" && ok "shuffle: ran out" ||
    fail "shuffle: ran-out line" "$(cat "$tmp/shuffle.1.out")"
[ "$(wc -l <"$tmp/random.1.rows")" -eq 300 ] && [ "$(cut -d' ' -f2 "$tmp/random.1.rows" | sort -u | wc -l)" -gt 100 ] &&
    ! cmp -s "$tmp/random.1.rows" "$tmp/random.o.rows" &&
    ok "random: 300 draws over many rows, others with another seed" ||
    fail "random rows" "$(head "$tmp/random.1.rows")"

# --- RFC 4180: quoting, CRLF, spaces, empty fields; JSON lines; a table -----
printf '\357\273\277id,text,empty\r\n1,"a, b",\r\n2,"say ""hi""","x"\r\n3,"two\r\nlines",\r\n4, padded ,""\r\n5,last,' \
    >"$tmp/scen/rfc.csv"
printf '\357\273\277{"id":1,"tags":["a","b"],"n":{"k":2}}\r\n\n{"id":2,"tags":[],"n":null}\n' >"$tmp/scen/users.jsonl"
cat >"$tmp/scen/rfc.lua" <<'LUA'
local load = require "load"
local csv, jl = load.data("rfc.csv"), load.data("users.jsonl")
local tbl = load.data({ { id = "t1" }, { id = "t2" } }, { strategy = "queue" })
local out = {}
for i = 1, #csv do out[#out + 1] = csv:row(i) end
local j = jl:row(1)
print(json.encode({ rows = out, n = csv:count(), jl = { #jl, j.tags[2], j.n.k, jl:row(2).id },
                    tbl = { #tbl, tbl:row(2).id } }))
return { iteration = function() end }
LUA
out=$("$ds" "$tmp/scen/rfc.lua" 2>&1)
want='{"jl":[2,"b",2,2],"n":5,"rows":[{"empty":"","id":"1","text":"a, b"},{"empty":"x","id":"2","text":"say \"hi\""},{"empty":"","id":"3","text":"two\r\nlines"},{"empty":"","id":"4","text":" padded "},{"empty":"","id":"5","text":"last"}],"tbl":[2,"t2"]}'
"$ds" -e '
    local ok, a = pcall(json.decode, arg[1])
    local b = json.decode(arg[2])
    local function same(x, y)
      if type(x) ~= "table" or type(y) ~= "table" then return x == y end
      for k, v in pairs(x) do if not same(v, y[k]) then return false end end
      for k in pairs(y) do if x[k] == nil then return false end end
      return true
    end
    os.exit(ok and same(a, b) and 0 or 1)' "$out" "$want" &&
    ok "RFC 4180: commas, doubled quotes, CRLF inside quotes, spaces kept, empty fields, BOM, no last newline; JSON lines; a table" ||
    fail "RFC 4180 rows" "got:  $out
want: $want"

# --- read once per process: 4 threads hold one file ------------------------
cat >"$tmp/scen/held.lua" <<'LUA'
local users = require("load").data("users.csv")
local again = require("load").data("../scen/users.csv", { strategy = "random" })
local rows = require "rows"
-- one iteration per thread, each waiting (a bounded number of times) until
-- every thread holds its handles, then holding on a while so that the
-- others, looking every 10 ms, see them all too
return { iteration = function(_, i)
  local files, refs
  for _ = 1, 500 do
    files, refs = rows.held()
    if refs == 2 + 2 * 4 then break end
    clock.sleep(0.01)
  end
  clock.sleep(0.5)
  assert(files == 1, "files held: " .. files)
  -- the main state's 2 handles and 2 per worker thread
  assert(refs == 2 + 2 * 4, "handles: " .. refs)
  assert(users:row(i).id == tostring(i) and again:row(i).id)
end }
LUA
check "one copy of a file for 4 threads and 2 names of it" 0 "iterations: 4 done, 0 failed" \
    "$ds" load.lua "$tmp/scen/held.lua" --vus 4 --threads 4 --iterations 4

# --- mistakes: one line, exit 2, before the run ------------------------------
# bad NAME PATTERN FILE-CONTENT [DATA-ARGS]: a scenario loading the file
bad() {
    name=$1 pattern=$2
    printf '%b' "$3" >"$tmp/scen/bad.${5:-csv}"
    printf 'local d = require("load").data("bad.%s"%s)\nreturn {iteration = function(_, i) d:row(i) end}\n' \
        "${5:-csv}" "${4:-}" >"$tmp/scen/bad.lua"
    timeout 30 "$ds" load.lua "$tmp/scen/bad.lua" --vus 1 --iterations 1 >"$tmp/out" 2>"$tmp/err"
    code=$?
    if [ $code -ne 2 ] || [ -s "$tmp/out" ] || [ "$(wc -l <"$tmp/err")" -ne 1 ] ||
        ! grep -Eq -- "$pattern" "$tmp/err"; then
        fail "$name: exit $code (want 2), stderr /$pattern/, empty stdout" "$(cat "$tmp/out" "$tmp/err")"
    else
        ok "$name"
    fi
}
bad "unterminated quote: file and line" "^load.lua: data file $tmp/scen/bad.csv:3: a quoted field in the row that starts here is never closed$" \
    'id,name\n1,a\n2,"b\n3,c\n'
bad "wrong column count: file and line" "^load.lua: data file $tmp/scen/bad.csv:4: 3 fields where the header has 2$" \
    'id,name\n1,a\n\n2,b,x\n'
bad "a quote inside a field: file and line" "^load.lua: data file $tmp/scen/bad.csv:2: a quote inside an unquoted field" \
    'id,name\n1,a"b\n'
bad "text after a closing quote" "^load.lua: data file $tmp/scen/bad.csv:3: a quote inside an unquoted field, or text after a closing quote$" \
    'id,name\n1,a\n2,"b"c\n'
bad "a header only" "^load.lua: data file $tmp/scen/bad.csv: no rows after the header$" 'id,name\n'
bad "a header naming a column twice" "^load.lua: data file $tmp/scen/bad.csv:1: column name 'id' twice" 'id,id\n1,2\n'
bad "an empty file" "^load.lua: data file $tmp/scen/bad.csv: empty: no header row$" ''
bad "bad JSON line" "^load.lua: data file $tmp/scen/bad.jsonl:2: not JSON: " '{"id":1}\n{"id":\n' "" jsonl
bad "a JSON line that is not an object" "^load.lua: data file $tmp/scen/bad.jsonl:1: not a JSON object" '[1]\n' "" jsonl
bad "unknown strategy" "^load.lua: load.data: strategy 'fifo': expected circular, queue, shuffle or random$" \
    'id\n1\n' ', {strategy = "fifo"}'
bad "unknown format" "^load.lua: load.data: bad.txt: say its format" 'id\n1\n' "" txt
bad "a short last row without a newline" "^load.lua: data file $tmp/scen/bad.csv:3: 1 field where the header has 2$" \
    'id,name\n1,a\n2'
printf 'local d = require("load").data({})\nreturn {iteration = function() end}\n' >"$tmp/scen/empty.lua"
check "an empty table: exit 2" 2 "^load.lua: load.data: the table has no rows" \
    "$ds" load.lua "$tmp/scen/empty.lua" --vus 1 --iterations 1
printf 'local d = require("load").data("nowhere.csv")\nreturn {iteration = function() end}\n' >"$tmp/scen/missing.lua"
check "missing file: exit 2 and its path" 2 "^load.lua: data file $tmp/scen/nowhere.csv: No such file or directory$" \
    "$ds" load.lua "$tmp/scen/missing.lua" --vus 1 --iterations 1

done_tests
