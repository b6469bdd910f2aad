#!/bin/sh
# The command line: exit codes, messages, `arg`, package.path.
# usage: cli_test.sh DOCKSCRIPT
set -u
ds=$(realpath "$1")
. "$(dirname "$0")/lib.sh"

printf 'local x = \n' >"$tmp/syntax.lua"
printf 'local function f() error("kaput") end\nf()\n' >"$tmp/runtime.lua"
printf 'print(#arg, arg[0], arg[1], arg[2], select("#", ...), ...)\n' >"$tmp/args.lua"
printf 'return {answer = 42}\n' >"$tmp/helper.lua"
printf 'print(require("helper").answer)\n' >"$tmp/usehelper.lua"
printf 'os.exit(7)\n' >"$tmp/exit7.lua"

check "no arguments is a usage error" 2 "usage: dockscript" "$ds"
check "--help prints usage, exit 0" 0 "usage: dockscript SCRIPT.lua" "$ds" --help
check "--version" 0 "^dockscript [0-9]+\.[0-9]+\.[0-9]+ \(Lua 5\.4" "$ds" --version
check "unknown option is a usage error" 2 "unknown option '--frobnicate'" "$ds" --frobnicate
check "-e without code is a usage error" 2 "-e needs" "$ds" -e
check "missing script: one clear line, exit 1" 1 "^dockscript: cannot open nope/missing\.lua" "$ds" nope/missing.lua
lines "missing script: no traceback" 1 "$ds" nope/missing.lua
check "missing bare name: says where it looked, exit 1" 1 \
    "^dockscript: cannot open nosuch\.lua: not in the current directory \(/\) nor in the scripts folder /.*/scripts$" \
    sh -c "cd / && '$ds' nosuch.lua"
lines "missing bare name: one line" 1 sh -c "cd / && '$ds' nosuch.lua"
check "unreadable script (a directory): one clear line, exit 1" 1 "^dockscript: cannot read .*: Is a directory$" "$ds" "$tmp"
lines "unreadable script: no traceback" 1 "$ds" "$tmp"
check "syntax error: exit 1 naming file and line" 1 "syntax\.lua:2: unexpected symbol near <eof>" "$ds" "$tmp/syntax.lua"
lines "syntax error: one line" 1 "$ds" "$tmp/syntax.lua"
check "runtime error: exit 1 with message" 1 "^dockscript: .*runtime\.lua:1: kaput" "$ds" "$tmp/runtime.lua"
check "runtime error: traceback" 1 "stack traceback:" "$ds" "$tmp/runtime.lua"
check "script args in arg and ..." 0 "^2	.*args\.lua	a b	c	2	a b	c$" "$ds" "$tmp/args.lua" "a b" c
check "-e args in arg and ..." 0 "^x	y	2$" "$ds" -e 'print(arg[1], arg[2], select("#", ...))' x y
check "-e runtime error exit 1" 1 "command line\):1: oops" "$ds" -e 'error("oops")'
check "script dir is on package.path" 0 "^42$" sh -c "cd / && '$ds' '$tmp/usehelper.lua'"
check "os.exit code passes through" 7 "" "$ds" "$tmp/exit7.lua"
mkdir "$tmp/bundled"
mkdir -p "$tmp/bundled/lib"
printf 'return {where = "bundled"}\n' >"$tmp/bundled/lib/bmod.lua"
printf 'print("bundled script", require("bmod").where)\n' >"$tmp/bundled/bscript.lua"
check "bundled scripts dir is on package.path" 0 "^bundled$" \
    env DOCKSCRIPT_SCRIPTS="$tmp/bundled" "$ds" -e 'print(require("bmod").where)'
check "a script that is not a file is looked up in the bundled dir" 0 "^bundled script	bundled$" \
    sh -c "cd / && DOCKSCRIPT_SCRIPTS='$tmp/bundled' '$ds' bscript.lua"
check "the build-tree binary finds the source tree's bench.lua" 0 "/scripts$" "$ds" --help
check "--help points at the README" 0 "^Documentation: /.*/README\.md$" "$ds" --help
check "stdin script" 0 "^from stdin$" sh -c "echo 'print(\"from stdin\")' | '$ds' -"
check "globals http json clock server exist" 0 "^table	table	table	table$" \
    "$ds" -e 'print(type(http), type(json), type(clock), type(server))'

# json.encode writes '/' as is (lua-cjson 2.1.0 writes "\/"), in every
# instance; escaped backslashes stay escaped.
check "json.encode: slashes unescaped" 0 '^\{"u":"http://x/y"\}[[:space:]]\["a\\\\/b"\]$' \
    "$ds" -e 'print(json.encode({u = "http://x/y"}), json.encode({"a\\/b"}))'
check "cjson.safe and json.new(): slashes unescaped too" 0 '^\["/"\][[:space:]]\["/"\][[:space:]]nil[[:space:]]Cannot serialise' \
    "$ds" -e 'local s = require "cjson.safe" print(s.encode({"/"}), json.new().encode({"/"}), s.encode(print))'
check "json.decode still reads \/" 0 '^a/b$' "$ds" -e 'print(json.decode([["a\/b"]]))'

# A test whose tool is missing is skipped (ctest SKIP_RETURN_CODE 77) with
# the install command; in CI (CI set, or DS_REQUIRE_TOOLS=1 from check.sh)
# it fails instead.
dredd_test="$(dirname "$0")/server/dredd_test.sh"
apib="$(dirname "$0")/../docs/DockingAPIServer.apib"
check "dredd_test without Dredd: skipped (77) with the install command" 77 "tools/deps\.sh --test" \
    env DREDD=/nonexistent/dredd DS_REQUIRE_TOOLS= CI= "$dredd_test" "$ds" "$apib"
check "dredd_test without Dredd, DS_REQUIRE_TOOLS=1: fails" 1 "Dredd not found" \
    env DREDD=/nonexistent/dredd DS_REQUIRE_TOOLS=1 CI= "$dredd_test" "$ds" "$apib"
check "dredd_test without Dredd, CI=true: fails" 1 "in CI every test runs" \
    env DREDD=/nonexistent/dredd DS_REQUIRE_TOOLS= CI=true "$dredd_test" "$ds" "$apib"
hist_compat="$(dirname "$0")/lua/test_hist_compat.lua"
check "hist_compat without java: skipped (77), naming the package" 77 \
    "^hist_compat: java \(apt-get install openjdk-17-jre-headless\) not found" \
    env PATH=/nonexistent DS_REQUIRE_TOOLS= CI= "$ds" "$hist_compat" HistCompat.java
check "hist_compat without java, DS_REQUIRE_TOOLS=1: fails" 1 "in CI every test runs" \
    env PATH=/nonexistent DS_REQUIRE_TOOLS=1 CI= "$ds" "$hist_compat" HistCompat.java
check "hist_compat without java, CI=true: fails" 1 "in CI every test runs" \
    env PATH=/nonexistent DS_REQUIRE_TOOLS= CI=true "$ds" "$hist_compat" HistCompat.java

gather600='local t = {} for i = 1, 600 do t[i] = function() return i end end
local lim = tonumber(arg[1]) print(#http.gather(t, {limit = lim}))'
check "a gather needing more descriptors than the hard limit fails up front" 1 \
    "600 concurrent tasks need about 600 open files, but only [0-9]+ of the limit of 300 are free" \
    sh -c "ulimit -n 300 && exec '$ds' -e '$gather600' 0"
check "the same gather with opts.limit under the limit runs" 0 "^600$" \
    sh -c "ulimit -n 300 && exec '$ds' -e '$gather600' 100"
check "the soft limit is raised to the hard limit at start" 0 "^4000$" \
    sh -c "ulimit -S -n 256 && ulimit -H -n 4000 && exec '$ds' -e 'local p = io.popen(\"ulimit -S -n\") print(p:read(\"l\")) p:close()'"

inproc='local srv = server.start{delay = 0} local t = {} for i = 1, 600 do t[i] = i end
print(#http.map(function() return http.get(srv.url .. "/").status end, t))'
check "an in-process server doubles the descriptors a gather needs" 1 \
    "600 concurrent tasks need about 1200 open files \(client and in-process server\)" \
    sh -c "ulimit -n 1000 && exec '$ds' -e '$inproc'"

serve_start --delay 0 --quiet
url=$serve_url
twice='local t = {} for i = 1, 600 do t[i] = i end
local function batch() return #http.map(function() return http.get(arg[1] .. "/users/1").status end, t) end
print(batch(), batch())'
check "a second big gather counts the idle connections it will reuse" 0 "^600	600$" \
    sh -c "ulimit -n 1000 && exec '$ds' -e '$twice' '$url'"

# sys: facts from C. A CPU set (taskset, a container's cgroup) counts, as
# /proc/cpuinfo does not; load.lua's default --threads follows it.
check "sys.cores() follows the CPU set (taskset -c 0)" 0 "^1$" taskset -c 0 "$ds" -e 'print(sys.cores())'
check "load.lua's default threads follow the CPU set" 0 "^1$" taskset -c 0 "$ds" -e \
    'print(require("load.options").resolve({ vus = 4, iterations = 4 }).threads)'
check "sys.isatty: a pipe is not a terminal" 0 "^false$" sh -c "'$ds' -e 'print(sys.isatty(1))' | cat"
check "sys.isatty: a terminal is (script(1) gives it one)" 0 "^true" \
    script -qc "'$ds' -e 'print(sys.isatty(1))'" /dev/null
check "sys.cwd: the working directory" 0 "^/tmp$" sh -c "cd /tmp && '$ds' -e 'print(sys.cwd())'"
check "sys.dir: a missing folder is nil and the reason" 0 "^nil	/nonexistent: No such file or directory$" \
    "$ds" -e 'print(sys.dir("/nonexistent"))'

# --help: every module and every bundled command, one line each
help=$("$ds" --help)
for m in http json clock server metrics sys runner; do
    printf '%s\n' "$help" | grep -Eq "^  $m +[a-z]" && ok "--help names the $m module" ||
        fail "--help names the $m module" "$help"
done
for f in "$(dirname "$0")"/../scripts/*.lua; do
    name=$(basename "$f")
    summary=$(head -1 "$f" | sed 's/^-- //')
    printf '%s\n' "$help" | grep -Fq "  $(printf '%-15s' "$name") $summary" &&
        ok "--help lists $name with its summary line" || fail "--help lists $name" "$help"
done
[ "$(printf '%s\n' "$help" | awk 'length > 79' | wc -l)" -eq 0 ] && ok "--help fits 79 columns" ||
    fail "--help has lines over 79 columns" "$(printf '%s\n' "$help" | awk 'length > 79')"

# a second serve on a taken port says who answers there, so that a
# background `serve ... &` that failed is not missed
serve_start --quiet
port=${serve_url##*:}
check "serve on a port an earlier serve holds: exit 1, says requests reach the earlier one" 1 \
    "an earlier dockscript serve already answers at $serve_url: requests there reach it, not this server" \
    "$ds" serve --port "$port" --quiet
kill $serve_pid; wait $serve_pid 2>/dev/null
done_tests
