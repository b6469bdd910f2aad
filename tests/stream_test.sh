#!/bin/sh
# load.lua --out: the per-second stream of a run against `dockscript
# serve` on 127.0.0.1. A complete stream merges (--merge) to the same
# figures as the run's own --json, both models, with failures; a run
# killed with SIGKILL midway leaves a stream that merges, exit 0, marked
# incomplete, to the sums of its whole lines, the cut last line dropped.
# usage: stream_test.sh DOCKSCRIPT
set -u
ds=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
cmp=$here/lua/stream_check.lua

# jcheck NAME FILE LUA-CONDITION: the condition holds for j, the decoded file.
jcheck() {
    res=$("$ds" -e '
        local j = json.decode(io.open(arg[1]):read("a"))
        local f = assert(load("local j = ...; return " .. arg[2]))
        print(f(j) and "yes" or "no")' "$2" "$3" 2>&1)
    [ "$res" = yes ] && ok "$1" || fail "$1: $3: $res" "$(head -c 2000 "$2")"
}

serve_start --delay 0.005 --quiet
# two tags, checks (one made in setup), and failures with three messages
# (every 7th iteration)
cat >"$tmp/scen.lua" <<'LUA'
return {
  setup = function(args)
    check(1, { ["setup ran"] = true })
    return { url = args[1] }
  end,
  iteration = function(d, i)
    local r = http.get(d.url .. "/users", { name = "users" })
    check(r, { ["status 200"] = function(x) return x.status == 200 end, ["odd i"] = i % 2 == 1 })
    if i % 7 == 0 then error("boom " .. i % 3, 0) end
    http.get(d.url .. "/customers", { name = "customers" })
  end,
}
LUA

# same NAME ARGS...: a run with --out and --json; the stream's merge has
# the same figures as the JSON.
same() {
    name=$1
    shift
    rm -f "$tmp/s.ndjson" "$tmp/r.json" "$tmp/m.json"
    if ! timeout 60 "$ds" load.lua "$tmp/scen.lua" --quiet --out "$tmp/s.ndjson" \
        --json "$tmp/r.json" "$@" -- "$serve_url" >"$tmp/run.out" 2>&1; then
        fail "$name: the run" "$(cat "$tmp/run.out")"
        return
    fi
    if ! "$ds" load.lua --merge "$tmp/s.ndjson" --json "$tmp/m.json" >"$tmp/merge.out" 2>&1; then
        fail "$name: --merge of the stream" "$(cat "$tmp/merge.out")"
        return
    fi
    res=$("$ds" "$cmp" "$tmp/r.json" "$tmp/m.json" 2>&1) && ok "$name: the stream merges to the run's figures" ||
        fail "$name: the stream's merge differs from --json" "$res"
    lines=$(wc -l <"$tmp/s.ndjson")
    [ "$lines" -ge 4 ] && ok "$name: a line a second ($lines lines)" || fail "$name: $lines lines"
}
same "open model" --rate 200 --duration 3 --threads 2
same "closed model" --vus 4 --duration 3 --threads 2
jcheck "the run failed some iterations" "$tmp/r.json" 'j.iterations.failed > 0 and #j.errors == 3'
jcheck "... and made checks, setup's too" "$tmp/r.json" 'j.checks["odd i"].fails > 0 and j.checks["setup ran"].passes == 2'

# A run killed with SIGKILL once its stream holds 3 seconds.
"$ds" load.lua "$tmp/scen.lua" --quiet --rate 200 --duration 60 --threads 2 \
    --out "$tmp/k.ndjson" -- "$serve_url" >/dev/null 2>&1 &
kpid=$!
i=0
while [ $i -lt 200 ] && [ "$({ wc -l <"$tmp/k.ndjson"; } 2>/dev/null || echo 0)" -lt 4 ]; do
    sleep 0.1
    i=$((i + 1))
done
kill -9 $kpid
wait $kpid 2>/dev/null
check "--merge of a killed run's stream: exit 0, incomplete on the first line" 0 \
    '^incomplete: a stream cut off after [0-9.]+s' \
    "$ds" load.lua --merge "$tmp/k.ndjson" --json "$tmp/km.json"
jcheck "its JSON says incomplete" "$tmp/km.json" 'j.incomplete == true and j.iterations.done > 0'
res=$("$ds" "$cmp" "$tmp/km.json" --sums "$tmp/k.ndjson" 2>&1) &&
    ok "its counts are the sums of the stream's lines ($res)" || fail "sums of the lines" "$res"

# The last line cut in half, as a kill during a write leaves it: dropped.
lines=$(wc -l <"$tmp/k.ndjson")
last=$(tail -n 1 "$tmp/k.ndjson")
head -n $((lines - 1)) "$tmp/k.ndjson" >"$tmp/cut.ndjson"
printf '%s' "$last" | head -c $((${#last} / 2)) >>"$tmp/cut.ndjson"
head -n $((lines - 1)) "$tmp/k.ndjson" >"$tmp/whole.ndjson"
"$ds" load.lua --merge "$tmp/cut.ndjson" --json "$tmp/cut.json" >/dev/null 2>&1
"$ds" load.lua --merge "$tmp/whole.ndjson" --json "$tmp/whole.json" >/dev/null 2>&1
res=$("$ds" "$cmp" "$tmp/cut.json" "$tmp/whole.json" 2>&1) &&
    ok "a cut last line is dropped, the rest merged" || fail "cut last line" "$res"
jcheck "... and the merge is incomplete" "$tmp/cut.json" 'j.incomplete == true'

# A broken line that is not the last is an error, not a silent loss.
{ head -n 2 "$tmp/k.ndjson"; echo '{"elapsed": 1, broken'; tail -n 1 "$tmp/k.ndjson"; } >"$tmp/bad.ndjson"
check "a broken line in the middle: one line, exit 2" 2 'bad.ndjson: line 3 is not JSON' \
    "$ds" load.lua --merge "$tmp/bad.ndjson"
# --out into a folder that does not exist: said before the run.
check "--out into a missing folder: exit 2" 2 '^load.lua: --out .*folder .* does not exist' \
    "$ds" load.lua "$tmp/scen.lua" --out "$tmp/no/such/s.ndjson" --rate 1 --duration 1 -- "$serve_url"
check "--merge refuses --out" 2 'not --out' "$ds" load.lua --merge "$tmp/whole.ndjson" --out "$tmp/x"
done_tests
