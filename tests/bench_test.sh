#!/bin/sh
# scripts/bench.lua end to end at a small delay, on the bundled server.
# usage: bench_test.sh DOCKSCRIPT
set -u
ds=$(realpath "$1")
. "$(dirname "$0")/lib.sh"
# the benchmark harnesses are not installed: run them from tools/bench
bench=$(realpath "$(dirname "$0")/../tools/bench")

# An N=8 run at delay 0.05: every line there and parseable.
out=$(cd / && timeout 60 "$ds" bench.lua --names 8 --delay 0.05 --quiet --json "$tmp/run.json" 2>&1)
code=$?
[ $code -eq 0 ] && ok "bench.lua exits 0" || fail "bench.lua exits 0 (got $code)" "$out"
for pattern in \
    '^Started the bundled Docking API server at http://127\.0\.0\.1:[0-9]+ \(delay 0\.05s, unlimited workers\)$' \
    '^Timing for synchronous method in multiple calls\.\.\.$' \
    '^Synchronous method takes: [0-9]+\.[0-9]{3}s$' \
    '^Timing for asynchronous method in multiple calls\.\.\.$' \
    '^Asynchronous method takes: [0-9]+\.[0-9]{3}s$' \
    '^Results identical: yes$' \
    '^Speedup: [0-9]+\.[0-9]{2}x$' \
    '^Synchronous:  [0-9.]+s, ideal 0\.800s \(8 names x 2 requests x 0\.05s\), efficiency [0-9.]+%$' \
    '^Asynchronous: [0-9.]+s, ideal 0\.100s \(2 chained requests x 0\.05s\), efficiency [0-9.]+%$'; do
    printf '%s\n' "$out" | grep -Eq "$pattern" && ok "line /$pattern/" || fail "line /$pattern/" "$out"
done

# The printed figures agree with the model, with wide margins for a noisy machine.
check_json() { # name file lua-condition-on-r (r = runs[1], j = the whole file)
    res=$("$ds" -e '
        local j = json.decode(io.open(arg[1]):read("a"))
        local r = j.runs[1]
        local f = assert(load("local j, r = ...; return " .. arg[2]))
        print(f(j, r) and "yes" or "no")' "$2" "$3" 2>&1)
    [ "$res" = yes ] && ok "json: $1" || fail "json: $1 ($3): $res" "$(cat "$2")"
}
check_json "every field" "$tmp/run.json" 'j.delay == 0.05 and j.workers == 0 and j.seed == 42 and j.bundled_server == true
    and type(j.url) == "string" and type(j.date) == "string" and r.names == 8 and r.identical == true
    and #r.sync == 1 and #r.async == 1 and r.ideal_sync == 0.8 and r.ideal_async == 0.1
    and r.sync_median and r.async_median and r.speedup and r.sync_efficiency and r.async_efficiency'
check_json "sync at least its ideal, at most 3x" "$tmp/run.json" 'r.sync_median >= 0.8 and r.sync_median < 2.4'
check_json "async at least its ideal, well under sync" "$tmp/run.json" 'r.async_median >= 0.1 and r.async_median < r.sync_median / 2'

# --workers 2: 8 lookups = 16 requests on 2 slots take 8 rounds of the delay.
out=$(timeout 60 "$ds" bench.lua --names 8 --delay 0.05 --workers 2 --quiet --json "$tmp/w.json" 2>&1)
printf '%s\n' "$out" | grep -Eq '^Asynchronous: .* ideal 0\.400s \(8 names on 2 server slots, 0\.05s each\)' &&
    ok "--workers 2: the ideal follows the slot model" || fail "--workers 2 ideal" "$out"
check_json "--workers 2: async takes about 8 x delay" "$tmp/w.json" \
    'r.async_median >= 0.4 and r.async_median < 1.2'

# --limit L: at most L lookups in flight, so ceil(N/L) rounds of 2 x delay;
# with --workers too, the FIFO model fed L lookups at a time (6 lookups, 4
# at a time, on 3 slots: 5 rounds, more than either bound alone gives).
out=$(timeout 60 "$ds" bench.lua --names 20 --limit 5 --delay 0.05 --sync-max 0 --quiet --json "$tmp/l.json" 2>&1)
printf '%s\n' "$out" | grep -Eq '^Asynchronous: .* ideal 0\.400s \(20 names, 5 at a time, 2 chained requests x 0\.05s\)' &&
    ok "--limit 5: the ideal counts rounds of 5 lookups" || fail "--limit ideal" "$out"
check_json "--limit 5: async takes about 4 x 2 x delay" "$tmp/l.json" \
    'j.limit == 5 and r.ideal_async == 0.4 and r.async_median >= 0.4 and r.async_median < 1.2'
out=$(timeout 60 "$ds" bench.lua --names 6 --limit 4 --workers 3 --delay 0.05 --sync-max 0 --quiet --json "$tmp/lw.json" 2>&1)
printf '%s\n' "$out" | grep -Eq '^Asynchronous: .* ideal 0\.250s \(6 names, 4 at a time, on 3 server slots, 0\.05s each\)' &&
    ok "--limit 4 --workers 3: the ideal follows both" || fail "--limit with --workers ideal" "$out"
check_json "--limit 4 --workers 3: async takes about 5 x delay" "$tmp/lw.json" \
    'r.async_median >= 0.25 and r.async_median < 0.75'

# --sweep and --repeat.
out=$(timeout 120 "$ds" bench.lua --sweep 1,4,40 --delay 0.02 --repeat 3 --sync-max 1 --quiet --json "$tmp/s.json" 2>&1)
printf '%s\n' "$out" | grep -Eq '^ +40 +- +1\.600s +[0-9.]+s +0\.040s' && ok "--sweep: a row per N, sync skipped above --sync-max" ||
    fail "--sweep table" "$out"
printf '%s\n' "$out" | grep -q 'sync skipped for N = 40' && ok "--sweep says what it skipped" || fail "--sweep skip note" "$out"
check_json "--repeat 3 keeps every run" "$tmp/s.json" \
    '#j.runs == 3 and #j.runs[2].async == 3 and j.runs[3].sync == nil and j.runs[3].sync_skipped'

# --threads T: the concurrent phase as a load run over T worker threads;
# results come back in order and match the sequential run, or, where that
# is skipped, one lookup of each distinct name.
out=$(timeout 60 "$ds" bench.lua --names 12 --delay 0.05 --threads 2 --quiet --json "$tmp/t.json" 2>&1)
printf '%s\n' "$out" | grep -Eq '^Results identical: yes$' && ok "--threads 2: results identical to the sequential run" ||
    fail "--threads 2: results identical" "$out"
printf '%s\n' "$out" | grep -Eq '^Asynchronous \(2 threads\): [0-9.]+s, ideal 0\.100s' && ok "--threads 2: the ideal line" ||
    fail "--threads 2: the ideal line" "$out"
check_json "--threads 2: about 2 x delay, threads recorded" "$tmp/t.json" \
    'j.threads == 2 and r.identical == true and r.async_median >= 0.1 and r.async_median < 0.5'
out=$(timeout 60 "$ds" bench.lua --names 300 --delay 0.05 --threads 3 --sync-max 0 --limit 100 --quiet 2>&1)
printf '%s\n' "$out" | grep -q '^Results identical: yes (against one http.map lookup of each distinct name)$' &&
    ok "--threads without the sequential run: checked against each distinct name" ||
    fail "--threads --sync-max 0: identical check" "$out"

# Progress on stderr only when it is a terminal (script(1) gives it a pty).
out=$(timeout 60 script -qc "'$ds' bench.lua --names 50 --delay 0.02 --sync-max 0" /dev/null 2>&1)
printf '%s' "$out" | grep -q "async lookups: 50/50" && ok "progress shown on a terminal" ||
    fail "progress shown on a terminal" "$out"
out=$(timeout 60 "$ds" bench.lua --names 50 --delay 0.02 --sync-max 0 2>&1)
printf '%s' "$out" | grep -q "async lookups" && fail "no progress without a terminal" "$out" ||
    ok "no progress without a terminal"

# The plot script turns the --json file into a PNG.
out=$(timeout 60 "$ds" plot.lua "$tmp/s.json" "$tmp/plot.png" 2>&1)
[ "$(head -c 8 "$tmp/plot.png" 2>/dev/null | od -An -c | tr -d ' ')" = '211PNG\r\n032\n' ] &&
    ok "plot.lua writes a PNG" || fail "plot.lua writes a PNG" "$out"

# A generated data set served by `dockscript serve --data`, measured with --url;
# and smoke runs of the benchmark scripts at tiny sizes.
check "gen_data.lua writes a data set" 0 "" "$ds" gen_data.lua 50 "$tmp/data.json"
res=$("$ds" -e 'local d = json.decode(io.open(arg[1]):read("a")) local s = 0
    for _, u in ipairs(d.users) do if u.role == "sales" then s = s + 1 end end
    print(s, #d.customers > 0)' "$tmp/data.json" 2>&1)
[ "$res" = "50	true" ] && ok "gen_data.lua: 50 salespersons with customers" || fail "gen_data.lua content" "$res"
serve_start --delay 0.02 --quiet --data "$tmp/data.json"
check "bench.lua --url on generated data" 0 "^Results identical: yes$" \
    "$ds" bench.lua --url "$serve_url" --names 20 --delay 0.02 --quiet
lines "bench.lua --url: a --delay that matches the server, no warning" 0 \
    "$ds" bench.lua --url "$serve_url" --names 2 --delay 0.02 --quiet

# --url measures the server's delay: it stands in for a missing --delay,
# and a --delay more than 10% away from it gets a warning.
check "--url without --delay: the measured delay" 0 \
    "^Asynchronous: .* ideal 0\.[0-9]{3}s \(2 chained requests x 0\.0[2-9][0-9]*s\)" \
    "$ds" bench.lua --url "$serve_url" --names 2 --quiet
check "--url without --delay: says it measured" 0 "^Measured the server's delay: 0\.0[2-9][0-9]*s" \
    "$ds" bench.lua --url "$serve_url" --names 2 --quiet
check "--url with a wrong --delay: a warning" 0 \
    "^bench.lua: warning: --delay is 0\.1s, but $serve_url answers GET /users/1 in 0\.0[2-9][0-9]s" \
    "$ds" bench.lua --url "$serve_url" --names 2 --delay 0.1 --quiet

# A delay SPEC (a distribution) is passed on, and has no ideal.
out=$(timeout 60 "$ds" bench.lua --url "$serve_url" --names 2 --delay exp:0.02 --quiet --json "$tmp/spec.json" 2>&1)
[ "$(printf '%s\n' "$out" | grep -c 'no ideal (the delay exp:0.02 is a distribution)$')" -eq 2 ] &&
    ok "--delay exp:0.02: no ideal, sync and async" || fail "--delay SPEC: no ideal" "$out"
check_json "--delay SPEC: written as given, no ideals" "$tmp/spec.json" \
    'j.delay == "exp:0.02" and r.ideal_sync == nil and r.ideal_async == nil and r.async_median > 0'
check "plot.lua draws a run without ideals" 0 "^wrote " "$ds" plot.lua "$tmp/spec.json" "$tmp/spec.png"

# Written JSON has plain slashes: lua-cjson 2.1.0 would write http:\/\/.
grep -q '"url":"http://127\.0\.0\.1:' "$tmp/spec.json" && ! grep -qF '\/' "$tmp/spec.json" &&
    ok "--json: the URL's slashes are not escaped" || fail "--json: escaped slashes" "$(cat "$tmp/spec.json")"

check "bench_chain.lua smoke" 0 '"errors":0' "$ds" "$bench/bench_chain.lua" "$serve_url" 20 0.02
check "bench_throughput.lua smoke" 0 '"errors":0' "$ds" "$bench/bench_throughput.lua" "$serve_url/users/1" 200 8
# Benchmark helpers print figures only for checked answers.
check "bench_throughput.lua: a 404 is no figure, one line, exit 1" 1 \
    "^bench_throughput.lua: $serve_url/users/nobody answers HTTP 404, not 200$" \
    "$ds" "$bench/bench_throughput.lua" "$serve_url/users/nobody" 20 4
lines "bench_throughput.lua: only the reason on stderr" 1 "$ds" "$bench/bench_throughput.lua" "$serve_url/users/nobody" 20 4
check "bench_chain.lua: unreachable server, one line, exit 1" 1 \
    "^bench_chain.lua: GET http://127.0.0.1:1/users\?role=sales: .*Couldn't connect" \
    "$ds" "$bench/bench_chain.lua" http://127.0.0.1:1 5 0
floor=$(dirname "$ds")/floor_client
check "floor_client: 20 chains" 0 '^\{"n":20,"seconds":[0-9.]+,"errors":0\}$' "$floor" "${serve_url##*:}" 20 4
check "floor_client: refused" 1 '"errors":5' "$floor" 1 5
check "floor_client: usage" 2 "^usage: floor_client PORT N" "$floor" "${serve_url##*:}"
check "soak.lua smoke" 0 "^ +2000 +[0-9]+ +[0-9.]+ MB +[0-9.]+ MB$" \
    "$ds" "$bench/soak.lua" --url "$serve_url" --pid "$serve_pid" --total 2000 --batch 500 --every 1000
check "soak.lua: a failed lookup stops the run, one line, exit 1" 1 \
    "^soak.lua: GET http://127.0.0.1:1/users\?role=sales: .*Couldn't connect" \
    "$ds" "$bench/soak.lua" --url http://127.0.0.1:1 --total 10

# Errors.
out=$(timeout 30 "$ds" bench.lua --url http://127.0.0.1:1 2>&1)
code=$?
[ $code -eq 1 ] && [ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ] &&
    printf '%s\n' "$out" | grep -q "cannot reach the Docking API at http://127.0.0.1:1: .*Couldn't connect" &&
    ok "unreachable --url: one line, exit 1" || fail "unreachable --url (exit $code)" "$out"
# A user error in a bundled script is one line, exit 2; --help the whole usage.
for bad in "--names 0" "--names x" "--bogus" "--delay" "--delay exp:x" "--sweep ," "--url ftp://x" "extra"; do
    out=$(timeout 30 "$ds" bench.lua $bad 2>&1)
    code=$?
    [ $code -eq 2 ] && [ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ] &&
        printf '%s\n' "$out" | grep -q "^bench.lua: .* (see --help)$" &&
        ok "bad option '$bad': one line, exit 2" || fail "bad option '$bad' (exit $code)" "$out"
done
check "a typo names the option and the likely one" 2 \
    "^bench.lua: unknown option '--nmes'; did you mean '--names'\? \(see --help\)$" "$ds" bench.lua --nmes 5
check "--help: the whole usage, exit 0" 0 "--sweep LIST" "$ds" bench.lua --help
printf 'not JSON {\n' >"$tmp/bad.json"
printf '{"runs": []}\n' >"$tmp/empty.json"
check "plot.lua: a missing file, exit 2" 2 "^plot.lua: cannot open nosuch.json: No such file or directory$" \
    "$ds" plot.lua nosuch.json "$tmp/x.png"
check "plot.lua: not JSON, exit 2" 2 "^plot.lua: .*bad.json is not JSON \(.*\)$" "$ds" plot.lua "$tmp/bad.json" "$tmp/x.png"
check "plot.lua: no runs, exit 2" 2 "^plot.lua: .*empty.json is not a run: no figures" "$ds" plot.lua "$tmp/empty.json" "$tmp/x.png"
check "plot.lua: a missing argument, exit 2" 2 "^plot.lua: missing argument 'output' \(see --help\)$" \
    "$ds" plot.lua "$tmp/s.json"
check "gen_data.lua: a bad N, exit 2" 2 "^gen_data.lua: N: expected an integer >= 1, got 'x' \(see --help\)$" \
    "$ds" gen_data.lua x "$tmp/d.json"
check "gen_data.lua: an unwritable file, exit 1" 1 "^gen_data.lua: cannot write /nonexistent/d.json: No such file" \
    "$ds" gen_data.lua 5 /nonexistent/d.json
check "soak.lua: a typo, exit 2" 2 "^soak.lua: unknown option '--totl'; did you mean '--total'\? \(see --help\)$" \
    "$ds" "$bench/soak.lua" --totl 5
for cmd in "plot.lua nosuch.json x.png" "plot.lua $tmp/bad.json x.png" "plot.lua" "gen_data.lua x y" \
           "$bench/soak.lua --totl 5" "$bench/bench_chain.lua" "$bench/bench_throughput.lua"; do
    lines "one stderr line, no traceback: $cmd" 1 "$ds" $cmd
done

# Ctrl-C: what was measured so far is printed and written, exit 130
interrupted 3 "$tmp/int.out" sh -c 'cd / && exec "$0" bench.lua --sweep 1,2,3,4 --delay 0.3 --json "$1"' \
    "$ds" "$tmp/int.json"
[ $code -eq 130 ] && ok "bench.lua SIGINT: exit 130" || fail "bench.lua SIGINT: exit $code" "$(cat "$tmp/int.out")"
grep -Eq '^ +1 +0\.[0-9]{3}s' "$tmp/int.out" && grep -q "interrupted: what was measured so far" "$tmp/int.out" &&
    ok "bench.lua SIGINT: the sizes measured are printed" ||
    fail "bench.lua SIGINT: no table of what ran" "$(cat "$tmp/int.out")"
"$ds" -e 'local j = json.decode(io.open(arg[1]):read("a"))
  assert(j.interrupted == true and #j.runs >= 1 and j.runs[1].names == 1, "runs")' "$tmp/int.json" &&
    ok "bench.lua SIGINT: --json written, interrupted = true" || fail "bench.lua SIGINT: JSON" "$(cat "$tmp/int.json")"
check "bench.lua --names -3: the value's own message, exit 2" 2 \
    "^bench.lua: --names: expected an integer >= 1, got '-3' \(see --help\)$" "$ds" bench.lua --names -3
check "bench.lua --sweep: the table's header in words, results checked per size" 0 \
    "^ +names +time +ideal +time +ideal +seq\. +conc\. +speedup +identical$" \
    "$ds" bench.lua --sweep 1,2 --delay 0.02 --quiet
check "bench.lua --sweep: identical per size" 0 "^ +2 +[0-9.]+s .* yes$" \
    "$ds" bench.lua --sweep 1,2 --delay 0.02 --quiet
check "bench.lua --json to a missing folder: refused before the run, exit 2" 2 \
    "^bench.lua: --json /nonexistent/b.json: folder /nonexistent does not exist$" \
    "$ds" bench.lua --json /nonexistent/b.json

done_tests
