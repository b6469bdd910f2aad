-- load.compare without a run: relative thresholds parsed and checked, and
-- comparisons of synthetic runs whose difference is known. The real
-- server's pairs are in tests/compare_test.sh.
local T = require "testlib"
local compare = require "load.compare"

-- A raw-like run: n chains from a lognormal (median m, sigma s), tags
-- "GET /a" and "GET /b" half of it each, `failed` failed iterations.
local function normal()
  return math.sqrt(-2 * math.log(1 - math.random())) * math.cos(2 * math.pi * math.random())
end

local function run(seed, n, m, s, failed, tags)
  math.randomseed(seed)
  local r = { iterations = { done = n - (failed or 0), failed = failed or 0, dropped = 0 },
              chain = metrics.histogram(), requests = {} }
  for _, tag in ipairs(tags or { "GET /a", "GET /b" }) do
    r.requests[tag] = { histogram = metrics.histogram() }
  end
  for _ = 1, n do
    local a, b = m / 2 * math.exp(s * normal()), m / 2 * math.exp(s * normal())
    r.chain:record(a + b)
    if r.requests["GET /a"] then r.requests["GET /a"].histogram:record(a) end
    if r.requests["GET /b"] then r.requests["GET /b"].histogram:record(b) end
  end
  return r
end

T.test("parse_relative: percentiles and the error rate", function()
  local t = assert(compare.parse_relative("chain:p99<+10%"))
  T.eq(t.metric, "chain", "metric")
  T.eq(t.stat, "p99", "stat")
  T.eq(t.bound, 10, "bound")
  T.eq(t.op, "<", "op")
  t = assert(compare.parse_relative("GET /users:p50 <= +5.5 %"))
  T.eq(t.metric, "GET /users", "a tag with a space")
  T.eq(t.bound, 5.5, "decimal bound")
  T.eq(t.op, "<=", "<=")
  t = assert(compare.parse_relative("GET http://h:8080/x:p90<+1%"))
  T.eq(t.metric, "GET http://h:8080/x", "a tag with ':' in it")
  t = assert(compare.parse_relative("errors<+0.1%"))
  T.eq(t.stat, "errors", "errors")
  T.eq(t.metric, nil, "errors is run-wide")
  T.eq(t.bound, 0.1, "percentage points")
end)

T.test("parse_relative: mistakes say what is wrong", function()
  local function bad(expr, want)
    local t, err = compare.parse_relative(expr)
    T.eq(t, nil, expr .. " parsed")
    T.ok(err:find(want, 1, true), string.format("%s: %q lacks %q", expr, err, want))
  end
  bad("chain:p99<10%", "expected METRIC:STAT<+N%")
  bad("chain:p99<+10ms", "expected METRIC:STAT<+N%")
  bad("chain:p99>+10%", "expected METRIC:STAT<+N%")
  bad("chain:p95<+10%", "p50, p90 or p99, not 'p95'")
  bad("chain:max<+10%", "not 'max'")
  bad("dropped<+1%", "expected METRIC:STAT or errors")
  bad(":p99<+1%", "expected METRIC:STAT or errors")
  bad(42, "expected a string")
  T.ok(compare.is_relative("chain:p99<+10%"), "is_relative")
  T.ok(compare.is_relative("errors<+0.1%"), "is_relative errors")
  T.ok(not compare.is_relative("errors<0.1%"), "absolute errors")
  T.ok(not compare.is_relative("chain:p99<1.2s"), "absolute time")
end)

T.test("the same distribution, other seeds: nothing flags", function()
  local flags = 0
  for i = 1, 20 do
    local c = compare.reports(run(2 * i, 2000, 0.4, 0.15, 20), run(2 * i + 1, 2000, 0.4, 0.15, 20))
    flags = flags + #compare.flags(c)
    T.eq(#c.rows, 9, "3 names x 3 percentiles")
  end
  T.eq(flags, 0, "flags in 20 pairs")
end)

T.test("10% slower: every percentile flags, with its change", function()
  local c = compare.reports(run(1, 5000, 0.4, 0.15), run(2, 5000, 0.44, 0.15))
  for _, row in ipairs(c.rows) do
    T.ok(row.significant, row.name .. " " .. row.stat .. " not significant")
    T.ok(row.change_pct > 5 and row.change_pct < 15, row.name .. " " .. row.stat .. " change "
      .. row.change_pct)
    T.ok(row.change_ci_pct[1] > 0 and row.change_ci_pct[2] > row.change_pct, "its interval")
    T.ok(row.base_ci[1] <= row.base and row.base <= row.base_ci[2], "base in its interval")
  end
  T.eq(c.rows[1].name, "chain", "the chain first")
  T.eq(c.rows[4].name, "GET /a", "then the tags, sorted")
  T.eq(c.tests, 10, "9 percentiles and the error rate")
  T.ok(math.abs(c.z - 4.417) < 0.001, "critical z of 1e-4 / 10: " .. c.z)
end)

T.test("small runs: a 10% change is not significant", function()
  local c = compare.reports(run(1, 100, 0.4, 0.5), run(2, 100, 0.44, 0.5))
  T.eq(#compare.flags(c), 0, "flags at 100 chains of a wide spread")
end)

T.test("the error rate: a two-proportion test", function()
  local c = compare.reports(run(1, 5000, 0.4, 0.25, 50), run(2, 5000, 0.4, 0.25, 150))
  local e = c.errors
  T.eq(e.base, 0.01, "1% then")
  T.eq(e.run, 0.03, "3% now")
  T.ok(math.abs(e.change_pp - 2) < 1e-9, "+2 points")
  T.ok(e.significant and e.z > 7, "significant: z " .. e.z)
  T.ok(e.p_value < 1e-9, "p-value")
  c = compare.reports(run(1, 1000, 0.4, 0.25, 10), run(2, 1000, 0.4, 0.25, 14))
  T.ok(not c.errors.significant, "10 vs 14 of 1000 is noise")
  c = compare.reports(run(1, 100, 0.4, 0.25), run(2, 100, 0.4, 0.25))
  T.eq(c.errors.z, 0, "no errors at all")
  T.eq(c.errors.significant, false, "no errors: not significant")
end)

T.test("reports, JSON and raw results compare alike; unmatched tags listed", function()
  local function as_report(r)
    local t = { iterations = r.iterations, chain = { histogram = r.chain:encode() }, requests = {} }
    for tag, q in pairs(r.requests) do t.requests[tag] = { histogram = q.histogram:encode() } end
    return json.decode(json.encode(t))
  end
  local a, b = run(1, 3000, 0.4, 0.25), run(2, 3000, 0.43, 0.25, 0, { "GET /a", "GET /c" })
  local raw = compare.reports(a, b)
  local rep = compare.reports(as_report(a), as_report(b))
  T.eq(#raw.rows, 6, "chain and GET /a")
  T.ok(T.deepeq(raw.rows, rep.rows), "same rows from JSON")
  T.eq(table.concat(raw.unmatched, ","), "GET /b,GET /c", "tags in one run only")
  T.eq(json.encode(raw.rows) ~= nil, true, "encodes as JSON")
end)

T.test("an empty side gives a note, not a verdict", function()
  local a = run(1, 1000, 0.4, 0.25)
  local b = { iterations = { done = 0, failed = 5, dropped = 0 }, chain = metrics.histogram(),
              requests = { ["GET /a"] = { histogram = metrics.histogram() } } }
  local c = compare.reports(a, b)
  T.eq(c.rows[1].note, "no values in this run", "note")
  T.eq(c.rows[1].significant, false, "no verdict")
  local rows = compare.check_relative({ assert(compare.parse_relative("chain:p99<+10%")) }, c)
  T.eq(rows[1].ok, false, "a threshold with nothing to check fails")
  T.eq(rows[1].note, "no values in this run", "and says why")
end)

T.test("check_relative: fails only over the bound and significant", function()
  local c = compare.reports(run(1, 5000, 0.4, 0.15, 50), run(2, 5000, 0.44, 0.15, 150))
  local exprs = { "chain:p99<+5%", "chain:p50<+20%", "GET /a:p90<+5%", "errors<+1%",
                  "errors<+5%", "GET /zz:p50<+5%" }
  local parsed = {}
  for i, e in ipairs(exprs) do parsed[i] = assert(compare.parse_relative(e)) end
  local rows = compare.check_relative(parsed, c)
  local want = { false, true, false, false, true, false }
  for i, row in ipairs(rows) do
    T.eq(row.expression, exprs[i], "expression")
    T.eq(row.ok, want[i], exprs[i])
  end
  T.ok(rows[1].value > 5, "the change is the value")
  T.ok(math.abs(rows[4].value - 2) < 1e-9, "errors in points")
  T.eq(rows[6].note, "no 'GET /zz' in both runs", "unknown tag")
  -- Over the bound but within noise: passes, and says so.
  local small = compare.reports(run(1, 200, 0.4, 0.15), run(2, 200, 0.412, 0.15))
  local r = compare.check_relative({ assert(compare.parse_relative("chain:p50<+1%")) }, small)[1]
  T.ok(r.value > 1, "over +1%: " .. r.value)
  T.eq(r.ok, true, "not significant: ok")
  T.eq(r.note, "over the bound, but not significant", "note")
end)

T.test("a client that fell behind (start lag) is warned about", function()
  local a, b = run(1, 1000, 0.4, 0.15), run(2, 1000, 0.4, 0.15)
  a.model, b.model = "open", "open"
  a.start_lag, b.start_lag = metrics.histogram(), metrics.histogram()
  for i = 1, 1000 do a.start_lag:record(0.0005); b.start_lag:record(i <= 980 and 0.001 or 0.05) end
  local c = compare.reports(a, b)
  T.eq(#(c.warnings or {}), 1, "one warning")
  T.ok(c.warnings[1]:find("this run fell behind its schedule (start lag p99 50.0 ms", 1, true), c.warnings[1])
  T.ok(compare.text(c):find("warning: this run fell behind", 1, true), "in the text")
  T.eq(compare.start_lag_p99({ model = "closed", start_lag = a.start_lag }), nil, "closed model: no lag")
  T.eq(compare.start_lag_p99({ model = "open", start_lag = { p99 = 0.002 } }), 0.002, "from a report")
  a.model, b.model = nil, nil
  T.eq(compare.reports(a, b).warnings, nil, "no model, no warning")
end)

T.test("text: one line per row and the error rate", function()
  local c = compare.reports(run(1, 5000, 0.4, 0.15), run(2, 5000, 0.44, 0.15),
    { base_label = "base.json" })
  local text = compare.text(c)
  T.ok(text:find("against base.json", 1, true), text)
  T.ok(text:find("chain%s+p99.-significant"), "chain p99 row")
  T.ok(text:find("errors: 0.000%% then"), "errors line")
  local n = 0
  for _ in text:gmatch("\n") do n = n + 1 end
  T.eq(n, 2 + 9 + 1, "lines")
end)

T.done()
