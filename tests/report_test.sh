#!/bin/sh
# The HTML report (scripts/report.lua, report.html, bench.lua --html) in a
# real browser: pages of a synthetic run with every optional field and a
# baseline comparison, of two shards merged by load.lua --merge, of a real
# run against `dockscript serve`, of a real bench.lua sweep, of the
# committed bench results and of a 1-hour run of 20 tags are opened in
# headless Chromium (tests/report_browser.py): no script error, every chart
# drew all of its points, no request but the page itself. Two broken pages
# (a thrown error; an image from the network, without the page's CSP) must
# fail that check. Screenshots: SHOTS_DIR/<page>.png and <page>-<k>.png.
# Chromium missing is a failure (no skip): install the Debian package
# chromium (tools/deps.sh --test).
# usage: report_test.sh DOCKSCRIPT SHOTS_DIR
set -u
ds=$(realpath "$1")
shots=$2
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
chromium=${CHROMIUM:-/usr/bin/chromium}
browser="/usr/bin/python3 $here/report_browser.py"  # Debian's, as every Python test
fixture=$here/lua/report_fixture.lua
mkdir -p "$shots"
shots=$(cd "$shots" && pwd)
rm -f "$shots"/*.png

if [ ! -x "$chromium" ]; then
    fail "Chromium not found at $chromium: install the Debian package chromium (tools/deps.sh --test)"
    done_tests
    exit 1
fi

# report NAME ARGS...: dockscript report.lua ARGS, which must print "wrote".
report() {
    name=$1
    shift
    out=$(timeout 60 "$ds" report.lua "$@" 2>&1)
    rc=$?
    [ $rc -eq 0 ] && printf '%s\n' "$out" | grep -q '^wrote ' && ok "report.lua: $name" ||
        fail "report.lua: $name: exit $rc" "$out"
}

# --- the pages ---------------------------------------------------------------
cd "$tmp"
"$ds" "$fixture" base.json --seconds 60 --tags 5 --seed 1 --plain
"$ds" "$fixture" run.json --seconds 60 --tags 5 --seed 2 --slower 1.1 --interrupted --compare base.json
report "a run with every field, default output beside it" run.json
[ -s run.html ] && ok "RUN.html beside RUN.json" || fail "RUN.html beside RUN.json"

"$ds" "$here/lua/load_fixture.lua" s1.json --shard 1/2 --iterations 4000
"$ds" "$here/lua/load_fixture.lua" s2.json --shard 2/2 --iterations 4000
out=$(timeout 60 "$ds" load.lua --merge s1.json s2.json --json merged.json 2>&1) ||
    fail "load.lua --merge" "$out"
report "merged shards" merged.json -o merged.html

serve_start --delay lognormal:0.05,0.2 --quiet
out=$(timeout 60 "$ds" load.lua docking_scenario.lua --rate 200 --duration 2 --quiet --json real.json \
    -- "$serve_url" 2>&1) || fail "load.lua run" "$out"
cat >flows.lua <<'LUA'
return { setup = function(args) return args[1] end, flows = {
  steady = { rate = 50, duration = 2, iteration = function(url) http.get(url .. "/users") end },
  late = { vus = 2, duration = 1, start = 1, iteration = function(url) http.get(url .. "/customers/1") end },
} }
LUA
out=$(timeout 60 "$ds" load.lua flows.lua --quiet --json flows.json -- "$serve_url" 2>&1) ||
    fail "load.lua run of flows" "$out"
kill -TERM "$serve_pid"
wait "$serve_pid" 2>/dev/null
serve_pid=
report "a real run" real.json -o real.html
report "a run of flows" flows.json -o flows.html
grep -q '<h2>Flows</h2>.*flow late.*flow steady' flows.html && ok "flows.html: a flows table" ||
    fail "flows.html: a flows table"
grep -q '<h2>Phases</h2>' real.html && ok "a real run's page shows the phases of its requests" ||
    fail "a real run's page has no Phases section"

out=$(timeout 120 "$ds" bench.lua --sweep 1,2,5 --delay 0.05 --quiet --json sweep.json --html sweep.html 2>&1)
rc=$?
[ $rc -eq 0 ] && [ -s sweep.html ] && ok "bench.lua --html" || fail "bench.lua --html: exit $rc" "$out"
report "bench.lua's committed results" "$here/../docs/bench-results.json" -o bench-results.html

"$ds" "$fixture" hour_base.json --seconds 3600 --tags 20 --seed 1 --plain
"$ds" "$fixture" hour.json --seconds 3600 --tags 20 --seed 2 --slower 1.05 --compare hour_base.json
report "a 1-hour run of 20 tags" hour.json -o hour.html
size=$(wc -c <hour.html)
[ "$size" -lt 3000000 ] && ok "the 1-hour page is under 3 MB ($size bytes)" ||
    fail "the 1-hour page is $size bytes"
grep -q 'one point per 6 seconds' hour.html && ok "the 1-hour page says it is downsampled" ||
    fail "the 1-hour page says it is downsampled"
# The partial last second: out of the charts of counts (report.lua's rule,
# as plot.lua's), and the page says so; start lag per second is drawn.
for page in run real; do
    res=$("$ds" -e '
        local r = json.decode(io.open(arg[1]):read("a"))
        local text = io.open(arg[2]):read("a")
        local charts = json.decode(text:match("id=\"report%-charts\">(.-)</script>"))
        local by = {}
        for _, c in ipairs(charts) do by[c.id] = c end
        local n = #r.series
        local partial = require("load.report").partial_second(r.series[n].t, r.duration)
        local bad = {}
        if not partial then bad[#bad + 1] = "no partial last second in the input" end
        for _, id in ipairs({ "rates", "errors", "inflight" }) do
            for _, s in ipairs(by[id] and by[id].series or {}) do
                if s.y[n] ~= json.null then bad[#bad + 1] = id .. " draws it" end
                if s.y[n - 1] == json.null then bad[#bad + 1] = id .. " lost second " .. (n - 1) end
            end
        end
        if not text:find("into its second " .. n .. ": that partial second is left out", 1, true) then
            bad[#bad + 1] = "no note"
        end
        local lag = by["start-lag"]
        if not (lag and #lag.series == 2 and lag.series[2].y[1] ~= json.null) then
            bad[#bad + 1] = "no start lag p50/p99 per second"
        end
        print(#bad == 0 and "clean" or table.concat(bad, "; "))' "$page.json" "$page.html" 2>&1)
    [ "$res" = clean ] && ok "$page.html: the partial last second left out of the rates; start lag drawn" ||
        fail "$page.html: $res"
done

# --- what the files hold -----------------------------------------------------
# Every address in a page is text the input itself holds (the target's URL);
# nothing is fetched from anywhere (no src/href/url() to a network), and the
# page's policy forbids it.
for page in run merged real flows sweep bench-results hour; do
    input=$page.json
    [ "$page" = bench-results ] && input=$here/../docs/bench-results.json
    res=$("$ds" -e '
        local page = io.open(arg[1]):read("a")
        local input = io.open(arg[2]):read("a")
        local bad = {}
        for url in page:gmatch("https?://[^%s\"<>]*") do
            if not input:find(url, 1, true) then bad[#bad + 1] = url end
        end
        for attr in page:gmatch("[%s\"](%a+)%s*=%s*\"[a-z]+:") do
            if attr == "src" or attr == "href" then bad[#bad + 1] = attr .. "=..." end
        end
        local csp = "http-equiv=\"Content-Security-Policy\" content=\"default-src \039none\039;"
        if not page:find(csp, 1, true) then
            bad[#bad + 1] = "no Content-Security-Policy"
        end
        print(#bad == 0 and "clean" or table.concat(bad, " "))' "$page.html" "$input" 2>&1)
    [ "$res" = clean ] && ok "$page.html: no address but the input's, a CSP" ||
        fail "$page.html: $res"
done

# --- mistakes ---------------------------------------------------------------
check "a missing file: one line, exit 1" 1 '^report\.lua: cannot open nope\.json' \
    "$ds" report.lua nope.json
echo '{"x": 1}' >other.json
check "not a report: one line, exit 1" 1 'not a load run \(load\.lua --json\) nor a bench\.lua' \
    "$ds" report.lua other.json
echo '{' >bad.json
check "not JSON: one line, exit 1" 1 'bad\.json is not JSON' "$ds" report.lua bad.json
check "no input: usage, exit 2" 2 "missing argument 'input'" "$ds" report.lua
check "Chart.js missing: names the package" 0 'libjs-chart.js \(apt-get install libjs-chart.js\)' \
    "$ds" -e 'local h = require "report.html"
        local text, err = h.render(json.decode(io.open("run.json"):read("a")), { chartjs = "/nonexistent/chart.js" })
        assert(text == nil); print(err)
        local ok, cerr = h.check({ chartjs = "/nonexistent/chart.js" }); assert(not ok and cerr == err)'

# --- in the browser ---------------------------------------------------------
out=$(timeout 240 $browser "$chromium" "$shots" \
    "run.html=latency-chain:300,latency-tag-5:300,rates:118,errors:59,inflight:59,start-lag:120,spectrum-chain:20,spectrum-tags:50,comparison:36" \
    "merged.html=latency-chain:40,rates:40,errors:20,spectrum-chain:20,spectrum-tags:20" \
    "real.html=latency-chain:6,latency-tag-1:6,latency-tag-2:6,inflight:2,rates:4,start-lag:4,spectrum-chain:10,spectrum-tags:10" \
    "flows.html=latency-chain:6,latency-flow-1:3,latency-flow-2:6" \
    "sweep.html=bench-time:9,bench-efficiency:6" \
    "bench-results.html=bench-time:30,bench-efficiency:14" \
    "hour.html=latency-chain:3000,latency-tag-20:3000,rates:1200,spectrum-tags:200,comparison:126" 2>&1)
rc=$?
printf '%s\n' "$out"
[ $rc -eq 0 ] && ok "in Chromium: every page drew, no error, no request" || fail "in Chromium"

# The check itself fails on a broken page: a thrown error, and a page that
# asks the network for an image (its CSP taken out so that the request is
# made and must be caught by the interception).
sed 's|</main>|<script>throw new Error("deliberate")</script></main>|' run.html >broken-error.html
sed -e 's|<meta http-equiv="Content-Security-Policy"[^>]*>||' \
    -e 's|</main>|<img src="http://192.0.2.1/pixel.png" alt=""></main>|' run.html >broken-net.html
out=$(timeout 120 $browser "$chromium" "$tmp/controls" broken-error.html broken-net.html 2>&1)
rc=$?
[ $rc -ne 0 ] && printf '%s\n' "$out" | grep -q '^FAIL broken-error: no script error .*deliberate' &&
    ok "a thrown error fails the check" || fail "a thrown error fails the check" "$out"
[ $rc -ne 0 ] && printf '%s\n' "$out" | grep -q '^FAIL broken-net: no request but the page itself.*192\.0\.2\.1' &&
    ok "a network request fails the check" || fail "a network request fails the check" "$out"
ls "$shots"/*.png >/dev/null 2>&1 && ok "screenshots in $shots" || fail "no screenshot in $shots"
done_tests
