#!/bin/sh
# scripts/plot.lua: a PNG for each kind of input (a real load run on the
# bundled server, a merged shard run, bench.lua's sweep and the committed
# docs/bench-results.json), what the load plot draws (thresholds, the
# partial last second, the failures' own axis), and every user error as one
# stderr line, exit 2 and nothing on stdout, gnuplot missing included.
# usage: plot_test.sh DOCKSCRIPT
set -u
ds=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
fixture=$here/lua/load_fixture.lua

# png NAME FILE WIDTH HEIGHT: FILE is a PNG (magic bytes) of that size in
# pixels (its IHDR) and of more than 20 kB (curves, not an empty frame).
png() {
    magic=$(head -c 8 "$2" 2>/dev/null | od -An -c | tr -d ' ')
    dims=$(od -An -tu1 -j16 -N8 "$2" 2>/dev/null |
        awk '{ printf "%dx%d", (($1 * 256 + $2) * 256 + $3) * 256 + $4, (($5 * 256 + $6) * 256 + $7) * 256 + $8 }')
    bytes=$(wc -c <"$2" 2>/dev/null || echo 0)
    if [ "$magic" != '211PNG\r\n032\n' ]; then fail "$1: not a PNG ($magic)"
    elif [ "$dims" != "$3x$4" ]; then fail "$1: ${dims} pixels, want $3x$4"
    elif [ "$bytes" -le 20000 ]; then fail "$1: $bytes bytes, want > 20000"
    else ok "$1"; fi
}

# plot NAME INPUT OUT WIDTH HEIGHT: exit 0, "wrote OUT" on stdout, nothing
# on stderr, and the PNG.
plot() {
    timeout 60 "$ds" plot.lua "$2" "$3" >"$tmp/out" 2>"$tmp/err"
    code=$?
    if [ $code -ne 0 ] || [ "$(cat "$tmp/out")" != "wrote $3" ] || [ -s "$tmp/err" ]; then
        fail "$1: exit $code, stdout 'wrote $3', empty stderr" "$(cat "$tmp/out" "$tmp/err")"
    else
        png "$1" "$3" "$4" "$5"
    fi
}

# user_error NAME CODE PATTERN ARGS...: plot.lua ARGS prints one stderr line
# matching PATTERN, nothing on stdout, and exits CODE.
user_error() {
    name=$1 want=$2 pattern=$3
    shift 3
    timeout 30 "$ds" plot.lua "$@" >"$tmp/out" 2>"$tmp/err"
    code=$?
    if [ $code -ne "$want" ] || [ -s "$tmp/out" ] || [ "$(wc -l <"$tmp/err")" -ne 1 ] ||
        ! grep -Eq -- "$pattern" "$tmp/err"; then
        fail "$name: exit $code (want $want), one stderr line /$pattern/, empty stdout" \
            "$(cat "$tmp/err"; head -c 300 "$tmp/out")"
    else
        ok "$name"
    fi
}

# --- inputs ------------------------------------------------------------------
serve_start --delay 0.05 --quiet
timeout 60 "$ds" load.lua docking_scenario.lua --rate 50 --duration 2 --threshold 'chain:p99<1s' \
    --threshold 'GET /users:p99<2s' --quiet --json "$tmp/run.json" -- "$serve_url" >/dev/null 2>&1 ||
    fail "load.lua run for the plot" "$(head -c 500 "$tmp/run.json" 2>/dev/null)"
timeout 60 "$ds" bench.lua --url "$serve_url" --sweep 1,3 --delay 0.05 --quiet --json "$tmp/sweep.json" \
    >/dev/null 2>&1 || fail "bench.lua --sweep for the plot"
kill "$serve_pid"
wait "$serve_pid" 2>/dev/null
serve_pid=
"$ds" "$fixture" "$tmp/f1.json" --shard 1/2 && "$ds" "$fixture" "$tmp/f2.json" --shard 2/2 ||
    fail "load_fixture.lua shards"
timeout 60 "$ds" load.lua --merge "$tmp/f1.json" "$tmp/f2.json" --json "$tmp/merged.json" \
    --threshold 'chain:p99<400ms' --threshold 'GET /users:p99.9<500ms' >/dev/null 2>&1
[ $? -eq 3 ] || fail "load.lua --merge: chain:p99<400ms fails on the fixture (exit 3)"

# --- a PNG for each kind -----------------------------------------------------
plot "a load run: a PNG" "$tmp/run.json" "$tmp/run.png" 1000 1250
plot "a merged shard run: a PNG" "$tmp/merged.json" "$tmp/merged.png" 1000 1250
plot "bench.lua --sweep: a PNG" "$tmp/sweep.json" "$tmp/sweep.png" 900 680
plot "docs/bench-results.json: a PNG" "$here/../docs/bench-results.json" "$tmp/docs.png" 900 680
# from another folder, to a relative path
(cd "$tmp" && mkdir -p sub && timeout 60 "$ds" plot.lua run.json sub/rel.png >/dev/null 2>&1)
png "a relative output path" "$tmp/sub/rel.png" 1000 1250

# --- what the load plot draws (its gnuplot script) ----------------------------
# script NAME FILE LUA-CONDITION: the condition holds for s, the gnuplot
# script plot_load makes for FILE.
script() {
    res=$("$ds" -e '
        local run = json.decode(io.open(arg[1]):read("a"))
        local s, files = require("plot_load").script(run, "/dev/null")
        for _, f in ipairs(files) do os.remove(f) end
        local f = assert(load("local s = ...; return " .. arg[2]))
        print(f(s) and "yes" or "no")' "$2" "$3" 2>&1)
    [ "$res" = yes ] && ok "$1" || fail "$1: $3: $res"
}
script "a threshold: a line at its limit, its result in the label" "$tmp/run.json" \
    's:find("from first 0, first 1000 to first 2.", 1, true)
     and s:find("chain:p99<1s: ok (", 1, true) and s:find("GET /users:p99<2s: ok (", 1, true)'
script "a threshold on the spectrum: up to its percentile, a dot there" "$tmp/run.json" \
    's:find("from first 1, first 1000 to first 100, first 1000 nohead", 1, true)
     and s:find("at first 100, first 1000 point", 1, true)'
script "a failed threshold is labelled FAIL" "$tmp/merged.json" \
    's:find("chain:p99<400ms: FAIL (", 1, true) and s:find("to first 1000, first 500 nohead", 1, true)'
script "failed iterations on a labelled right axis" "$tmp/merged.json" \
    's:find("axes x1y2 with boxes", 1, true) and s:find("set y2label .failed iterations per second.")'
script "the partial last second is shaded and said" "$tmp/run.json" \
    's:find("set object 1 rect from first 2,", 1, true) and s:find("a partial second, its rates not drawn", 1, true)'
script "the legend is outside the data" "$tmp/run.json" 's:find("set key outside", 1, true)'
# the merged run's seconds have no row past 20 s: the rate steps stop there
script "the merged run: its title names the shards" "$tmp/merged.json" 's:find("2 shards merged", 1, true)'

# --- user errors: one line, exit 2, nothing on stdout --------------------------
printf 'not JSON {\n' >"$tmp/bad.json"
printf '{"runs": []}\n' >"$tmp/empty.json"
printf '{"chain": {"histogram": "xyz"}, "series": []}\n' >"$tmp/badhist.json"
printf '{"runs": [{"names": "ten"}]}\n' >"$tmp/badbench.json"
user_error "the output's folder does not exist" 2 \
    "^plot.lua: output /nonexistent/x.png: folder /nonexistent does not exist$" "$tmp/run.json" /nonexistent/x.png
[ -e /nonexistent/x.png ] && fail "nothing written for a missing folder" || ok "nothing written for a missing folder"
user_error "the output is a folder" 2 "^plot.lua: output $tmp: Is a directory$" "$tmp/run.json" "$tmp"
user_error "the output is /dev/stdout" 2 "^plot.lua: output /dev/stdout is not a file: name the .png file to write$" \
    "$tmp/run.json" /dev/stdout
user_error "a missing input" 2 "^plot.lua: cannot open $tmp/nosuch.json: No such file or directory$" \
    "$tmp/nosuch.json" "$tmp/x.png"
user_error "not JSON" 2 "^plot.lua: $tmp/bad.json is not JSON \(.*\)$" "$tmp/bad.json" "$tmp/x.png"
user_error "JSON that is no run" 2 "^plot.lua: $tmp/empty.json is not a run: no figures of bench.lua --json or load.lua --json to plot$" \
    "$tmp/empty.json" "$tmp/x.png"
user_error "a load run with a broken histogram" 2 \
    "^plot.lua: $tmp/badhist.json is not a readable run of load.lua --json: chain: metrics.decode: " \
    "$tmp/badhist.json" "$tmp/x.png"
user_error "a bench run without N" 2 \
    "^plot.lua: $tmp/badbench.json is not a readable run of bench.lua --json: runs\[1\] has no names count \(N\)$" \
    "$tmp/badbench.json" "$tmp/x.png"
user_error "a missing argument" 2 "^plot.lua: missing argument 'output' \(see --help\)$" "$tmp/run.json"
[ -e "$tmp/x.png" ] && fail "no PNG written by a failed plot" || ok "no PNG written by a failed plot"
# gnuplot missing: a PATH without it
mkdir -p "$tmp/nogp"
out=$(timeout 30 env PATH="$tmp/nogp" "$ds" plot.lua "$tmp/run.json" "$tmp/x.png" 2>"$tmp/err")
code=$?
[ $code -eq 2 ] && [ -z "$out" ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] &&
    grep -q '^plot.lua: gnuplot not found: install it (apt-get install gnuplot-nox)$' "$tmp/err" &&
    ok "gnuplot missing: one line naming the package, exit 2" ||
    fail "gnuplot missing: exit $code" "$out$(cat "$tmp/err")"
# on a terminal: the error, never the PNG's bytes
out=$(timeout 30 script -qc "'$ds' plot.lua '$tmp/run.json' /nonexistent/x.png" /dev/null 2>&1)
printf '%s' "$out" | grep -q PNG && fail "a terminal gets no PNG bytes" "$out" ||
    ok "a terminal gets no PNG bytes"
printf '%s' "$out" | grep -q 'folder /nonexistent does not exist' && ok "a terminal gets the error" ||
    fail "a terminal gets the error" "$out"

done_tests
