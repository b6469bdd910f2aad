#!/bin/sh
# load.lua --dashboard: the live report page of a run against `dockscript
# serve` on 127.0.0.1, watched in headless Chromium (dashboard_browser.py):
# charts gain points while the run goes, no script error, no request but
# the page's own, the final report at the end (--linger keeps it served);
# clients of the event stream that hang up midway do not disturb the run.
# The mid-run screenshot goes to SHOTS_DIR/dashboard-live.png.
# usage: dashboard_test.sh DOCKSCRIPT SHOTS_DIR
set -u
ds=$(realpath "$1")
shots=$2
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
chromium=${CHROMIUM:-/usr/bin/chromium}
[ -x "$chromium" ] || { echo "FAIL Chromium not found at $chromium (tools/deps.sh --test)"; exit 1; }
mkdir -p "$shots"

serve_start --delay 0.01 --quiet
"$ds" load.lua docking_scenario.lua --quiet --rate 50 --duration 10 --threads 2 --dashboard 0 \
    --linger 15 --json "$tmp/run.json" -- "$serve_url" >"$tmp/run.out" 2>"$tmp/run.err" &
run=$!
i=0
until grep -q "dashboard at http" "$tmp/run.err" 2>/dev/null || [ $i -ge 200 ]; do sleep 0.1; i=$((i + 1)); done
url=$(grep -o 'http://[0-9.:]*/' "$tmp/run.err" | head -n 1)
[ -n "$url" ] && ok "the dashboard's address on stderr: $url" || fail "no address" "$(cat "$tmp/run.err")"

# clients that hang up midway, some before reading anything
for k in 1 2 3; do timeout 1 curl -sN "${url}events" >/dev/null 2>&1 & done
timeout 1 curl -s "$url" -o /dev/null --limit-rate 1k 2>/dev/null &

out=$(timeout 120 /usr/bin/python3 "$here/dashboard_browser.py" "$chromium" "$shots" "$url" 2>&1)
code=$?
printf '%s\n' "$out" | sed 's/^/  /'
[ $code -eq 0 ] && ok "the live page in Chromium" || fail "the live page in Chromium (exit $code)"
curl -s -D "$tmp/h" "$url" -o "$tmp/page.html"
grep -qi "^content-security-policy: default-src 'none';.*connect-src 'self'" "$tmp/h" &&
    ok "its policy: nothing but its own event stream" || fail "policy" "$(cat "$tmp/h")"
kill -INT $run 2>/dev/null # ends the --linger wait
i=0
while kill -0 $run 2>/dev/null && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
wait $run
jcheck_done=$("$ds" -e 'local j = json.decode(io.open(arg[1]):read("a")) print(math.tointeger(j.iterations.done))' "$tmp/run.json" 2>&1)
[ "$jcheck_done" = 500 ] && ok "the run was undisturbed: 500 iterations done" ||
    fail "iterations done: $jcheck_done" "$(cat "$tmp/run.err")"
done_tests
