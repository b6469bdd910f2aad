-- load.lua's parts that need no run: options, stages, shards, thresholds,
-- the report built from a raw result (real histograms), its JSON, and the
-- merge of shards against one histogram that recorded everything.
--   dockscript tests/lua/test_load.lua
local T = require "testlib"
local options = require "load.options"
local report = require "load.report"
local summary = require "load.summary"
local threshold = require "load.threshold"

local tmp = os.tmpname()

-- The message and exit code of a load failure raised by fn.
local function failure(fn)
  local ok, e = pcall(fn)
  assert(not ok, "expected a failure, got none")
  assert(options.is_failure(e), "expected a load failure, got " .. tostring(e))
  return e.message, e.code
end

T.test("durations: plain seconds and units", function()
  for text, want in pairs({ ["10"] = 10, ["10s"] = 10, ["500ms"] = 0.5, ["2m"] = 120,
                            ["1m30s"] = 90, ["1h"] = 3600, ["0.25s"] = 0.25, [" 3 s "] = 3 }) do
    T.eq(options.seconds(text), want, text)
  end
  for _, bad in ipairs({ "", "x", "10x", "1m30", "s", "-1s", "1.2.3" }) do
    T.eq(options.seconds(bad), nil, "'" .. bad .. "'")
  end
end)

local function resolve(caller, scenario_opts)
  return options.resolve(options.merge(caller, scenario_opts))
end

T.test("stages: rate points from --rate (or 0) through each target", function()
  local o = resolve({ stages = "10s:100,30s:1000,10s:0" })
  T.eq(o.model, "open")
  T.ok(T.deepeq(o.rate_points, { { t = 0, rate = 0 }, { t = 10, rate = 100 },
    { t = 40, rate = 1000 }, { t = 50, rate = 0 } }), "points")
  T.eq(o.duration, 50, "duration")
  o = resolve({ stages = "1m:10", rate = 5 })
  T.ok(T.deepeq(o.rate_points, { { t = 0, rate = 5 }, { t = 60, rate = 10 } }), "from --rate")
  o = resolve({ rate = 20, duration = "5s" })
  T.ok(T.deepeq(o.rate_points, { { t = 0, rate = 20 }, { t = 5, rate = 20 } }), "constant rate")
  T.ok(o.max_vus >= 1 and o.max_vus <= options.DEFAULT_MAX_VUS,
       "no --max-vus: 10,000, or what the open-file limit holds: " .. o.max_vus)
  T.eq(resolve({ rate = 20, duration = "5s", max_vus = 7 }).max_vus, 7, "--max-vus")
  for _, bad in ipairs({ "10s", "10s:", "x:10", "10s:-1", "0s:10", "10s:10,,5s:1", "" }) do
    local msg, code = failure(function() resolve({ stages = bad }) end)
    T.ok(msg:find("^%-%-stages: ") ~= nil, msg)
    T.eq(code, 2, bad)
  end
  T.ok(failure(function() resolve({ stages = "10s:0" }) end):find("every rate is 0"), "all zero")
end)

T.test("closed model: defaults and counts", function()
  local o = resolve({})
  T.eq(o.model, "closed")
  T.eq(o.vus, 1)
  T.eq(o.iterations, 1, "one iteration per VU by default")
  o = resolve({ vus = "8", duration = "2s" })
  T.eq(o.vus, 8)
  T.eq(o.iterations, nil)
  T.eq(o.duration, 2)
  T.ok(o.threads >= 1 and o.threads <= 8, "threads from the cores, at most one per VU")
  T.eq(resolve({ vus = 3, iterations = 7, threads = 2 }).threads, 2)
end)

T.test("bad values: one message each, exit 2", function()
  local cases = {
    { { rate = 0, duration = 1 }, "--rate: expected a number > 0, got '0'" },
    { { rate = "-5", duration = 1 }, "--rate: expected a number > 0" },
    { { rate = "fast", duration = 1 }, "--rate: expected a number > 0, got 'fast'" },
    { { rate = 10 }, "--rate needs --duration" },
    { { vus = 0 }, "--vus: expected an integer >= 1, got '0'" },
    { { vus = 1.5 }, "--vus: expected an integer >= 1" },
    { { iterations = -1 }, "--iterations: expected an integer >= 1" },
    { { duration = "0s" }, "--duration: expected a duration > 0" },
    { { duration = "soon" }, "--duration: expected a duration > 0" },
    { { threads = 0 }, "--threads: expected an integer >= 1, got '0'" },
    { { shard = "3/2" }, "--shard: expected I/N with 1 <= I <= N, like 1/4, got '3/2'" },
    { { shard = "0/2" }, "got '0/2'" },
    { { shard = "a/b" }, "got 'a/b'" },
    { { vus = 3, rate = 5, duration = 1 }, "--vus and --rate cannot be used together" },
    { { iterations = 3, duration = 1 }, "--iterations and --duration cannot be used together" },
    { { stages = "1s:1", duration = 1 }, "--duration and --stages cannot be used together" },
    { { max_vus = 5, duration = 1 }, "--max-vus is for the open model" },
    { { vus = 1, shard = "1/2" }, "--vus: expected an integer >= 2" },
  }
  for _, c in ipairs(cases) do
    local msg, code = failure(function() resolve(c[1]) end)
    T.ok(msg:find(c[2], 1, true) ~= nil, string.format("%q contains %q", msg, c[2]))
    T.eq(code, 2, c[2])
    T.ok(not msg:find("\n"), "one line")
  end
end)

T.test("scenario options are defaults: the caller's win, excluded ones are dropped", function()
  local sc = { rate = 100, duration = 10, max_vus = 50 }
  local o = resolve({}, sc)
  T.eq(o.model, "open")
  T.eq(o.max_vus, 50)
  o = resolve({ rate = 200 }, sc)
  T.eq(o.rate, 200, "caller's rate")
  T.eq(o.duration, 10, "scenario's duration kept")
  o = resolve({ vus = 4 }, sc)
  T.eq(o.model, "closed", "the caller's --vus drops the scenario's rate and max_vus")
  T.eq(o.duration, 10)
  o = resolve({ iterations = 5 }, sc)
  T.eq(o.iterations, 5)
  T.eq(o.duration, nil, "the caller's iterations drop the scenario's duration")
  local msg = failure(function() resolve({}, { vus = 2, rate = 3, duration = 1 }) end)
  T.ok(msg:find("^scenario options: %-%-vus and %-%-rate") ~= nil, msg)
  msg = failure(function() resolve({}, { xyzzy = 3 }) end)
  T.eq(msg, "scenario options: unknown option 'xyzzy'")
  local code
  msg, code = failure(function() resolve({}, { rat = 3, duration = 1 }) end)
  T.eq(msg, "scenario options: unknown option 'rat'; did you mean 'rate'?")
  T.eq(code, 2, "exit 2")
  msg, code = failure(function() resolve({}, { shard = "1/2" }) end)
  T.eq(msg, "scenario options: 'shard' is not for a scenario: give --shard on the command line")
  T.eq(code, 2, "exit 2")
  msg = failure(function() resolve({}, { html = "r.html" }) end)
  T.ok(msg:find("'html' is not for a scenario", 1, true) ~= nil, msg)
  msg = failure(function() resolve({}, { model = "open" }) end)
  T.ok(msg:find("unknown option 'model'", 1, true) ~= nil, "derived: not an option: " .. msg)
  T.eq(resolve({}, { threshold = "chain:p99<1s" }).thresholds[1], "chain:p99<1s", "--threshold's name")
  T.eq(resolve({}, { ["max-vus"] = 7, rate = 1, duration = 1 }).max_vus, 7, "dashes too")
  o = resolve({ stages = "1s:20" }, sc)
  T.eq(o.rate_points[1].rate, 0, "the caller's stages start at 0, not at the scenario's rate")
  o = resolve({ rate = 5, duration = 3 }, { stages = "1s:20" })
  T.eq(o.stages, nil, "the caller's rate replaces the scenario's stages")
  T.eq(o.duration, 3)
end)

T.test("shards", function()
  T.ok(T.deepeq({ options.shard("2/3") }, { 2, 3 }), "2/3")
  T.ok(T.deepeq({ options.shard({ 1, 1 }) }, { 1, 1 }), "table")
  local o = resolve({ vus = 4, iterations = 10, shard = "2/2" })
  T.ok(T.deepeq(o.shard, { 2, 2 }), "resolved")
  T.eq(resolve({ rate = 1, duration = 1, shard = "1/3", max_vus = 300 }).max_vus, 300,
       "--max-vus is the whole run's")
end)

-- A raw result as runner.run returns it, from lists of latencies.
local function raw_of(spec)
  local raw = {
    model = spec.model or "closed", threads = spec.threads or 1, shard = spec.shard or { 1, 1 },
    duration = spec.duration or 2,
    iterations = { done = #spec.chain, failed = spec.failed or 0, dropped = spec.dropped or 0 },
    chain = metrics.histogram(), start_lag = metrics.histogram(),
    requests = {}, errors = spec.errors or {}, series = {},
    scenario = spec.scenario or "s.lua", args = {},
    options = spec.options or { model = spec.model or "closed", vus = 2, iterations = 10 },
  }
  for _, v in ipairs(spec.chain) do raw.chain:record(v) end
  for _, v in ipairs(spec.lag or {}) do raw.start_lag:record(v) end
  for tag, q in pairs(spec.requests or {}) do
    local h = metrics.histogram()
    for _, v in ipairs(q.values) do h:record(v) end
    raw.requests[tag] = { count = #q.values + (q.refused or 0), bytes = 100 * #q.values,
      histogram = h, status = q.status or { ["200"] = #q.values },
      errors = q.refused and { ["Couldn't connect to server"] = q.refused } or {} }
  end
  for t, values in ipairs(spec.series or {}) do
    local h = metrics.histogram(2)
    for _, v in ipairs(values) do h:record(v) end
    raw.series[t] = { t = t, iterations = #values, requests = 2 * #values, errors = 0, histogram = h }
  end
  return raw
end

local function load_summary_has(r, pattern)
  return summary.text(r):find(pattern) ~= nil
end

local function values(n, base, step)
  local out = {}
  for i = 1, n do out[i] = base + step * i end
  return out
end

T.test("report: the JSON's fields (docs/load.md) from a raw result", function()
  local raw = raw_of({ chain = values(1000, 0.1, 0.0001), failed = 10, dropped = 3,
    requests = { ["GET /users"] = { values = values(1000, 0.05, 0.00005), refused = 10 } },
    series = { values(500, 0.1, 0.0001), values(500, 0.15, 0.0001) },
    errors = { { message = "boom", count = 10 } } })
  local r = report.build(raw)
  T.eq(r.format, report.FORMAT)
  T.eq(r.iterations.done, 1000)
  T.eq(r.iterations.failed, 10)
  T.eq(r.iterations.dropped, 3)
  T.eq(r.iterations.rate, 505, "(done + failed) / duration")
  for _, k in ipairs({ "count", "min", "mean", "p50", "p90", "p99", "p999", "max", "histogram" }) do
    T.ok(r.chain[k] ~= nil, "chain." .. k)
  end
  T.lt(math.abs(r.chain.p50 - 0.15), 0.15 * 0.001 + 1e-6, "p50 within 0.1%")
  T.lt(math.abs(r.chain.p99 - 0.199), 0.199 * 0.001 + 1e-6, "p99 within 0.1%")
  local u = r.requests["GET /users"]
  T.eq(u.count, 1010)
  T.eq(u.status["200"], 1000)
  T.eq(u.errors["Couldn't connect to server"], 10)
  T.eq(u.bytes, 100000)
  T.eq(metrics.decode(u.histogram):count(), 1000, "decodable histogram")
  T.eq(#r.series, 2)
  T.ok(r.series[2].p50 > r.series[1].p50, "series p50")
  T.eq(metrics.decode(r.series[1].histogram):sigfigs(), 2, "series at 2 digits")
  T.eq(r.start_lag.count, 0)
  T.eq(metrics.decode(r.chain.histogram):percentile(99), raw.chain:percentile(99), "round trip")
end)

T.test("open model: rates over the schedule, start lag", function()
  local raw = raw_of({ model = "open", chain = values(100, 0.2, 0), lag = values(100, 0, 0.00001),
    duration = 11, options = { model = "open", rate = 10, duration = 10 } })
  local r = report.build(raw)
  T.eq(r.iterations.rate, 10, "started per second of the 10 s schedule, not of the 11 s run")
  T.eq(r.chain.rate, 10)
  T.ok(r.start_lag.p99 > 0 and r.start_lag.max >= r.start_lag.p99, "start_lag figures")
  local text = summary.text(r)
  T.ok(text:find("start lag: p50 ", 1, true), text)
  T.ok(text:find("open model, 10/s for 10s", 1, true), text)
end)

T.test("thresholds: parse", function()
  local t = assert(threshold.parse("chain:p99<1.2s"))
  T.eq(t.metric, "chain"); T.eq(t.stat, "p99"); T.eq(t.op, "<"); T.eq(t.value, 1.2)
  t = assert(threshold.parse("GET /users:p95<300ms"))
  T.eq(t.metric, "GET /users"); T.eq(t.value, 0.3)
  T.eq(assert(threshold.parse("errors<0.1%")).value, 0.001)
  T.eq(assert(threshold.parse("errors<0.001")).value, 0.001)
  T.eq(assert(threshold.parse("dropped<=0")).op, "<=")
  T.eq(assert(threshold.parse("rate >= 990")).value, 990)
  T.eq(assert(threshold.parse("chain:p99.9<=250us")).value, 0.00025)
  T.eq(assert(threshold.parse("chain:count==10")).op, "==")
  for _, bad in ipairs({ "chain:p1000<1s", "chain:p101<1s", "chain:avg<1s", "chain:p99",
      "chain:p99=1", "latency<1", "chain:p99<1kg", "dropped<1%", "chain:count>5ms", "<1", "" }) do
    T.eq(threshold.parse(bad), nil, bad)
  end
  local ok, e = pcall(threshold.parse_all, { "chain:p99<1s", "chain:p42x<1" }, options.fail)
  T.ok(not ok and e.message:find("^%-%-threshold 'chain:p42x<1': unknown statistic 'p42x'"), e.message)
end)

T.test("thresholds: checked against the report", function()
  local raw = raw_of({ chain = values(100, 0.1, 0.001), failed = 1, dropped = 0,
    requests = { ["GET /users"] = { values = values(100, 0.05, 0.001) } } })
  local r = report.build(raw)
  local parsed = threshold.parse_all({ "chain:p99<1.2s", "chain:p50>1s", "errors<0.1%",
    "errors<2%", "dropped<=0", "rate>=990", "GET /users:p95<300ms", "GET /nope:p95<1s",
    "start_lag:p99<1s", "chain:count==100", "GET /users:max<=0.151" }, options.fail)
  local res = threshold.check(parsed, r, report.histograms(raw))
  local want = { true, false, false, true, true, false, true, false, false, true, true }
  for i, w in ipairs(want) do T.eq(res[i].ok, w, res[i].expression) end
  T.eq(res[8].note, "no request tagged 'GET /nope' in this run")
  T.ok(res[9].note:find("open model"), "start_lag in the closed model")
  r.thresholds = res
  local text = summary.text(r)
  T.ok(text:find("thresholds: 6 passed, 5 failed", 1, true), text)
  T.ok(text:find("FAIL  GET /nope:p95<1s +no request tagged"), text)
  T.ok(text:find("ok    chain:p99<1.2s +199%.%d%dms"), text)
end)

T.test("summary: iterations, one row per tag, errors by reason", function()
  local raw = raw_of({ chain = values(10, 0.2, 0.001), failed = 5,
    requests = { ["GET /users"] = { values = values(10, 0.1, 0.001), refused = 5,
                                    status = { ["200"] = 8, ["503"] = 2 } } },
    errors = { { message = "GET http://x/users: Couldn't connect to server", count = 5 } } })
  local text = summary.text(report.build(raw))
  T.ok(text:find("iterations: 10 done, 5 failed (33.33%), 0 dropped, 7.5/s", 1, true), text)
  T.ok(text:find("\nchain +10 +5%.0/s +20%d%.%d%dms"), text)
  T.ok(text:find("\nGET /users +15 +7%.5/s .*2xx 8  5xx 2  errors 5\n"), text)
  T.ok(text:find("GET /users: Couldn't connect to server", 1, true), text)
  T.ok(text:find("failed iterations:\n +5  GET http://x/users", 1), text)
  local first = text:match("^[^\n]*")
  T.ok(not first:find("seed") and not first:find("degraded factor"), "no seed, default factor: " .. first)
  raw.options = { model = "closed", vus = 2, iterations = 10, seed = 7, degraded_factor = 2 }
  first = summary.text(report.build(raw)):match("^[^\n]*")
  T.ok(first:find("closed model, 2 VUs, 10 iterations, seed 7, 1 thread", 1, true), first)
  raw.options.degraded_factor = 3
  first = summary.text(report.build(raw)):match("^[^\n]*")
  T.ok(first:find(", seed 7, degraded factor 3, ", 1, true), first)
  T.eq(summary.count(1234567), "1,234,567")
  T.eq(summary.time(0.000523), "523us")
  T.eq(summary.time(0.01234), "12.34ms")
  T.eq(summary.time(1.0024), "1.002s")
end)

T.test("JSON: [] for empty lists, '/' unescaped, read back the same", function()
  local raw = raw_of({ chain = values(50, 0.01, 0.001),
    requests = { ["GET /users/{id}"] = { values = values(50, 0.005, 0.001) } },
    series = { values(50, 0.01, 0.001) } })
  local r = report.build(raw)
  T.ok(report.write(r, tmp))
  local text = io.open(tmp):read("a")
  T.ok(text:find('"errors":[]', 1, true), "errors: []")
  T.ok(text:find('"args":[]', 1, true), "args: []")
  T.ok(text:find('"GET /users/{id}"', 1, true), "no \\/ in the tag")
  T.ok(not text:find("\\/", 1, true), "no \\/ at all")
  local back = assert(report.read(tmp))
  local r2 = report.build(back)
  T.eq(r2.chain.p99, r.chain.p99)
  T.eq(r2.chain.count, 50)
  T.eq(math.type(r2.iterations.done), "integer", "counts back as integers")
  T.eq(r2.requests["GET /users/{id}"].count, 50)
  T.eq(r2.series[1].iterations, 50)
end)

T.test("merge: two shards equal one run that recorded everything", function()
  local a_chain, b_chain = values(700, 0.1, 0.0003), values(300, 0.15, 0.0007)
  local a = raw_of({ shard = { 1, 2 }, chain = a_chain, failed = 2, dropped = 1, duration = 3,
    requests = { ["GET /users"] = { values = a_chain, status = { ["200"] = 690, ["500"] = 10 } } },
    series = { values(300, 0.1, 0.0003), values(400, 0.2, 0.0002) },
    errors = { { message = "x", count = 1, first = 5 }, { message = "y", count = 1, first = 9 } } })
  local b = raw_of({ shard = { 2, 2 }, chain = b_chain, failed = 3, dropped = 0, duration = 4,
    requests = { ["GET /users"] = { values = b_chain, refused = 4 },
                 ["GET /customers"] = { values = b_chain } },
    series = { values(100, 0.3, 0.0001), values(100, 0.3, 0.0001), values(100, 0.3, 0.0001) },
    errors = { { message = "y", count = 3, first = 2 } } })
  local all = metrics.histogram()
  for _, v in ipairs(a_chain) do all:record(v) end
  for _, v in ipairs(b_chain) do all:record(v) end
  T.eq(report.check_merge({ a, b }, { "a.json", "b.json" }), nil, "mergeable")
  local m = report.merge_shards({ a, b })
  T.ok(T.deepeq(m.shard, { 1, 1 }), "complete: shard 1/1")
  T.eq(m.iterations.done, 1000)
  T.eq(m.iterations.failed, 5)
  T.eq(m.iterations.dropped, 1)
  T.eq(m.threads, 2)
  T.eq(m.duration, 4, "the longest shard")
  for _, p in ipairs({ 0, 50, 90, 99, 99.9, 100 }) do
    T.eq(m.chain:percentile(p), all:percentile(p), "p" .. p)
  end
  T.eq(m.chain:mean(), all:mean(), "mean")
  local u = m.requests["GET /users"]
  T.eq(u.count, 1004)
  T.eq(u.status["200"], 990)
  T.eq(u.status["500"], 10)
  T.eq(u.errors["Couldn't connect to server"], 4)
  T.eq(m.requests["GET /customers"].count, 300)
  T.eq(#m.series, 3)
  T.eq(m.series[1].iterations, 400)
  T.eq(m.series[3].iterations, 100)
  -- by the iteration that first failed with each: y at 2, x at 5
  T.eq(m.errors[1].message, "y")
  T.eq(m.errors[1].count, 4)
  T.eq(m.errors[1].first, 2)
  T.eq(m.errors[2].message, "x")
  -- and through JSON files, as --merge reads them
  local paths = { tmp .. ".a", tmp .. ".b" }
  T.ok(report.write(report.build(a), paths[1]))
  T.ok(report.write(report.build(b), paths[2]))
  local m2 = report.merge_shards({ assert(report.read(paths[1])), assert(report.read(paths[2])) })
  local r1, r2 = report.build(m), report.build(m2)
  T.eq(r2.chain.p99, r1.chain.p99)
  T.eq(r2.chain.count, r1.chain.count)
  T.eq(r2.requests["GET /users"].p999, r1.requests["GET /users"].p999)
  T.eq(r2.series[2].p99, r1.series[2].p99)
  os.remove(paths[1]); os.remove(paths[2])
end)

T.test("start lag per second: merged exactly over shards, and through --merge's JSON", function()
  local function with_lag(shard, lags)
    local raw = raw_of({ model = "open", shard = shard, chain = {}, duration = #lags,
      series = lags, options = { model = "open", rate = 10, duration = #lags } })
    for t, list in ipairs(lags) do
      raw.series[t].start_lag = metrics.histogram(2)
      for _, v in ipairs(list) do raw.series[t].start_lag:record(v); raw.start_lag:record(v) end
    end
    return raw
  end
  local a = with_lag({ 1, 2 }, { values(50, 0.0001, 0.00002), values(30, 0.002, 0.0001) })
  local b = with_lag({ 2, 2 }, { values(40, 0.0005, 0.00003), values(20, 0.01, 0.001), { 0.3 } })
  local want = {}
  for t = 1, 3 do
    want[t] = metrics.histogram(2)
    for _, raw in ipairs({ a, b }) do
      if raw.series[t] then want[t]:merge(raw.series[t].start_lag) end
    end
  end
  local m = report.merge_shards({ a, b })
  for t = 1, 3 do T.eq(m.series[t].start_lag:encode(), want[t]:encode(), "second " .. t) end
  local r = report.build(m)
  T.eq(r.series[2].start_lag.count, 50)
  T.eq(r.series[2].start_lag.p99, want[2]:percentile(99), "p99 of the merged second")
  T.eq(r.series[3].start_lag.max, want[3]:max(), "max")
  T.eq(r.series[1].start_lag.p50, want[1]:percentile(50), "p50")
  local paths = { tmp .. ".a", tmp .. ".b" }
  T.ok(report.write(report.build(a), paths[1]))
  T.ok(report.write(report.build(b), paths[2]))
  local m2 = report.merge_shards({ assert(report.read(paths[1])), assert(report.read(paths[2])) })
  os.remove(paths[1]); os.remove(paths[2])
  for t = 1, 3 do T.eq(m2.series[t].start_lag:encode(), want[t]:encode(), "from JSON, second " .. t) end
  T.ok(T.deepeq(report.build(m2).series, r.series), "the same series in the report")
  T.eq(report.build(raw_of({ chain = { 0.1 }, series = { { 0.1 } } })).series[1].start_lag, nil,
    "the closed model: no start lag per second")
end)

-- A ramp's raw result that kept up (every iteration started when due, 10 ms
-- each), except in the seconds short(t) names, which start half of theirs.
local function ramp(stages, duration, short)
  local o = resolve({ stages = stages })
  local arrivals = require("load.capacity").arrivals
  local total = arrivals(o.rate_points, o.duration)
  local per = {}
  for k = 0, math.ceil(total) - 1 do
    -- iteration k + 1 is due once k arrivals were scheduled: bisect for when
    local lo, hi = 0, o.duration
    for _ = 1, 60 do
      local mid = (lo + hi) / 2
      if arrivals(o.rate_points, mid) >= k then hi = mid else lo = mid end
    end
    local t = math.floor(hi) + 1
    per[t] = (per[t] or 0) + 1
  end
  local raw = raw_of({ model = "open", chain = {}, duration = duration, options = o })
  for t = 1, math.ceil(duration) do
    local n = per[t] or 0
    if short and short(t) then n = n // 2 end
    local h = metrics.histogram(2)
    for _ = 1, n do h:record(0.01) end
    raw.series[t] = { t = t, iterations = n, requests = n, errors = 0, inflight = n * 0.01,
                      histogram = h }
  end
  return report.build(raw)
end

T.test("capacity: a ramp that kept up reports the peak scheduled rate it reached", function()
  -- 0 -> 50/s -> 0 over 4 s: its seconds average 12.5, 37.5, 37.5, 12.5/s
  local r = ramp("2s:50,2s:0", 3.8)
  T.ok(r.capacity, "a capacity line")
  T.eq(r.capacity.reason, nil, "kept up with the whole ramp")
  T.eq(r.capacity.knee_rate, 50, "the 50/s peak, not a second's mean of 37.5")
  T.ok(summary.text(r):find("capacity: kept up with the whole ramp, up to 50.0 iterations/s", 1, true),
    summary.text(r))
  -- a ramp that ends at its peak
  T.eq(ramp("3s:30", 3.2).capacity.knee_rate, 30, "0 -> 30/s")
end)

T.test("capacity: the knee is the peak rate reached by the last second that kept up", function()
  -- 0 -> 100/s over 4 s; seconds 3 and 4 start half of theirs (queueing)
  local r = ramp("4s:100", 4.3, function(t) return t >= 3 end)
  T.eq(r.capacity.knee_rate, 50, "the rate at the end of second 2, not its mean 37.5")
  T.eq(r.capacity.at, 1, "the second that began at 1 s")
  T.ok(r.capacity.reason:find("^achieved %d+%.%d%% of the 63 iterations due in it"), r.capacity.reason)
  T.ok(summary.text(r):find("capacity: kept up to 50.0 iterations/s (at 1s)", 1, true), summary.text(r))
end)

T.test("capacity: a rate of 10.3/s is 10 or 11 iterations a second, not a shortfall", function()
  -- seconds 2 and 3 hold 10 iterations each (10.3 x 2 = 20.6, 30.9): 97% of
  -- 10.3, which read as two seconds in a row that fell behind
  local r = ramp("1s:10.3,4s:10.3", 5.1)
  T.eq(r.capacity.reason, nil, "kept up")
  T.eq(r.capacity.knee_rate, 10.3)
end)

T.test("--shard auto: Kubernetes and Slurm variables, a one-line error elsewhere", function()
  local auto = require "load.shard_auto"
  local function env(t) return function(k) return t[k] end end
  T.ok(T.deepeq({ auto.resolve(env({ JOB_COMPLETION_INDEX = "0", JOB_COMPLETIONS = "4" })) },
    { 1, 4 }), "Kubernetes index 0 of 4: shard 1/4")
  T.ok(T.deepeq({ auto.resolve(env({ JOB_COMPLETION_INDEX = "3", JOB_COMPLETIONS = "4" })) },
    { 4, 4 }), "index 3: 4/4")
  T.ok(T.deepeq({ auto.resolve(env({ SLURM_ARRAY_TASK_ID = "7", SLURM_ARRAY_TASK_MIN = "5",
    SLURM_ARRAY_TASK_COUNT = "3" })) }, { 3, 3 }), "Slurm --array=5-7, task 7: 3/3")
  T.ok(T.deepeq({ auto.resolve(env({ SLURM_ARRAY_TASK_ID = "4", SLURM_ARRAY_TASK_MIN = "0",
    SLURM_ARRAY_TASK_COUNT = "4", SLURM_ARRAY_TASK_STEP = "2" })) }, { 3, 4 }),
    "Slurm --array=0-6:2, task 4: 3/4")
  local m, code = failure(function() auto.resolve(env({})) end)
  T.eq(code, 2)
  T.eq(m, "--shard auto: found none of JOB_COMPLETION_INDEX with JOB_COMPLETIONS (a Kubernetes "
    .. "Indexed Job) or SLURM_ARRAY_TASK_ID with SLURM_ARRAY_TASK_COUNT and SLURM_ARRAY_TASK_MIN "
    .. "(a Slurm job array)")
  T.ok(not m:find("\n"), "one line")
  T.eq(failure(function() auto.resolve(env({ JOB_COMPLETION_INDEX = "1" })) end),
    "--shard auto: JOB_COMPLETION_INDEX is set but JOB_COMPLETIONS is not")
  T.eq(failure(function() auto.resolve(env({ JOB_COMPLETION_INDEX = "4", JOB_COMPLETIONS = "4" })) end),
    "--shard auto: JOB_COMPLETION_INDEX/JOB_COMPLETIONS gives shard 5 of 4, not one of 1..4")
  T.eq(failure(function() auto.resolve(env({ SLURM_ARRAY_TASK_ID = "x", SLURM_ARRAY_TASK_MIN = "0",
    SLURM_ARRAY_TASK_COUNT = "2" })) end), "--shard auto: SLURM_ARRAY_TASK_ID: expected an integer >= 0, got 'x'")
  T.eq(failure(function() auto.resolve(env({ SLURM_ARRAY_TASK_ID = "3", SLURM_ARRAY_TASK_MIN = "0",
    SLURM_ARRAY_TASK_COUNT = "2" })) end), "--shard auto: SLURM_ARRAY_TASK_ID/MIN/COUNT gives shard 4 of 2, not one of 1..2")
  -- through the option, from this process's environment (none of them here)
  if not os.getenv("JOB_COMPLETION_INDEX") and not os.getenv("SLURM_ARRAY_TASK_ID") then
    T.ok(failure(function() resolve({ vus = 2, shard = "auto" }) end):find("^%-%-shard auto: found none of"),
      "--shard auto from options")
  end
end)

T.test("--start-at: epoch seconds or RFC 3339, not in the past", function()
  local start_at = require "load.start_at"
  T.eq(start_at.epoch("1970-01-01T00:00:00Z"), 0)
  T.eq(start_at.epoch("2026-12-06T08:00:00Z"), 1796544000)
  T.eq(start_at.epoch("2026-12-06T08:00:00.25Z"), 1796544000.25)
  T.eq(start_at.epoch("2026-12-06T09:30:00+01:30"), 1796544000, "an offset")
  T.eq(start_at.epoch("2000-02-29T00:00:00Z"), 951782400, "a leap day")
  T.eq(start_at.epoch("1796544000"), 1796544000)
  T.eq(start_at.epoch("1796544000.5"), 1796544000.5)
  for _, bad in ipairs({ "soon", "2026-12-06", "2026-12-06T08:00:00", "2026-13-01T00:00:00Z",
                         "2026-12-06T08:00:00.Z", "-5", "" }) do
    T.eq(start_at.epoch(bad), nil, "'" .. bad .. "'")
  end
  local now = 1796544000
  T.eq(start_at.parse("1796544010", now), 1796544010, "in the future")
  T.eq(start_at.parse("1796543999.5", now), 1796543999.5, "half a second ago: a late start, allowed")
  local m, code = failure(function() start_at.parse("1796543998", now) end)
  T.eq(code, 2)
  T.eq(m, "--start-at: 1796543998 is 2.0 s in the past (now is 2026-12-06T08:00:00Z)")
  T.ok(failure(function() start_at.parse("soon", now) end):find("^%-%-start%-at: expected epoch seconds"))
  local o = resolve({ vus = 2, start_at = string.format("%.3f", clock.wall() + 60) })
  T.ok(o.start_at > clock.wall(), "resolved to epoch seconds")
end)

T.test("merge by the wall clock: a shard that started 3 s late shifts nothing", function()
  local c = values(30, 0.1, 0.001)
  local function shard(i, start, series)
    local r = raw_of({ shard = { i, 2 }, chain = c, series = series, duration = #series })
    r.start = start
    return r
  end
  local t0 = 1796544000.2
  local a = shard(1, t0, { values(10, 0.1, 0), values(20, 0.1, 0), values(30, 0.1, 0) })
  local b = shard(2, t0 + 3.01, { values(1, 0.1, 0), values(2, 0.1, 0), values(3, 0.1, 0) })
  local m = report.merge_shards({ b, a })
  T.eq(m.start, t0, "the first shard's start")
  T.ok(T.deepeq(m.late, { { { 2, 2 }, 3 } }), "shard 2/2 placed 3 s after")
  local got = {}
  for i, s in ipairs(m.series) do got[i] = s.iterations end
  T.ok(T.deepeq(got, { 10, 20, 30, 1, 2, 3 }), "seconds at their wall-clock places: "
    .. table.concat(got, ","))
  T.ok(math.abs(m.duration - 6.01) < 1e-6, "the span of both")
  local r = report.build(m)
  T.eq(r.start, 1796544000.2)
  T.eq(r.series[4].wall, 1796544003.2, "each second's wall-clock start")
  -- a few milliseconds apart (shards started by --start-at): the same seconds
  b.start = t0 + 0.004
  m = report.merge_shards({ a, b })
  T.eq(#m.late, 0)
  T.eq(m.series[1].iterations, 11)
  T.eq(m.series[3].iterations, 33)
  -- through JSON files, as --merge reads them
  local path = tmp .. ".w"
  T.ok(report.write(report.build(a), path))
  T.eq(assert(report.read(path)).start, t0)
  os.remove(path)
end)


T.test("failure messages: one rule for threads and shards, counts add up to failed", function()
  -- 30 distinct messages, iteration i failing with message (i % 30); the
  -- unsplit run, and the same iterations split over 2 shards of 2 threads
  local function raw_with(filter)
    local by, failed = {}, 0
    for i = 1, 300 do
      if filter(i) then
        local m = "message " .. (i % 30)
        by[m] = by[m] or { message = m, count = 0, first = i }
        by[m].count = by[m].count + 1
        failed = failed + 1
      end
    end
    local list = {}
    for _, e in pairs(by) do list[#list + 1] = e end
    return raw_of({ chain = {}, failed = failed, errors = list })
  end
  local whole = report.build(report.merge({ raw_with(function() return true end) }))
  local parts = {}
  for k = 0, 3 do parts[#parts + 1] = raw_with(function(i) return (i - 1) % 4 == k end) end
  local split = report.build(report.merge(parts))
  T.ok(T.deepeq(split.errors, whole.errors), "the split run's messages equal the whole run's")
  local shown, sum = report.shown_errors(split.errors), 0
  T.eq(#shown, 20, "19 messages and (other messages)")
  T.eq(shown[1].message, "message 1", "in the order they first failed")
  T.eq(shown[20].message, "(other messages)")
  for _, e in ipairs(shown) do sum = sum + e.count end
  T.eq(sum, 300, "the shown counts add up to failed")
  T.ok(load_summary_has(split, "%(other messages%)"), "the summary folds them")
end)

T.test("JSON keeps a backslash before a slash (one writer, no second unescape)", function()
  local r = report.build(raw_of({ chain = { 0.1 }, failed = 1,
    errors = { { message = [[C:\/dir a\b /x]], count = 1, first = 1 } } }))
  local back = json.decode(report.encode(r))
  T.eq(back.errors[1].message, [[C:\/dir a\b /x]])
  T.ok(not report.encode(r):find("\\/x", 1, true), "a plain slash stays a slash")
end)

T.test("merge refuses what is not one run", function()
  local function r(t) return raw_of(t) end
  local p = { "a.json", "b.json" }
  local c = { values(3, 0.1, 0.1) }
  T.ok(report.check_merge({ r({ chain = c[1], shard = { 1, 2 } }),
    r({ chain = c[1], shard = { 2, 2 }, scenario = "other.lua" }) }, p):find("different scenarios"), "scenario")
  T.ok(report.check_merge({ r({ chain = c[1], shard = { 1, 2 } }),
    r({ chain = c[1], shard = { 2, 2 }, model = "open" }) }, p):find("different models"), "model")
  T.ok(report.check_merge({ r({ chain = c[1], shard = { 1, 2 } }),
    r({ chain = c[1], shard = { 1, 2 } }) }, p):find("a.json and b.json are the same shard %(1/2%)"), "twice")
  T.ok(report.check_merge({ r({ chain = c[1], shard = { 1, 2 } }),
    r({ chain = c[1], shard = { 2, 3 } }) }, p):find("different splits"), "splits")
  local m = report.merge_shards({ r({ chain = c[1], shard = { 1, 3 } }), r({ chain = c[1], shard = { 3, 3 } }) })
  T.eq(m.shard, nil, "incomplete: no shard")
  T.eq(#m.shards, 2)
  local f = io.open(tmp, "w"); f:write('{"runs": []}'); f:close()
  T.ok(select(2, report.read(tmp)):find("not a dockscript load run"), "bench JSON")
  f = io.open(tmp, "w"); f:write("not json"); f:close()
  T.ok(select(2, report.read(tmp)):find("not JSON"), "not JSON")
  T.ok(select(2, report.read(tmp .. ".missing")):find("No such file"), "missing")
  local good = report.build(r({ chain = c[1] }))
  good.chain.histogram = "HISTFAAAbroken"
  T.ok(report.write(good, tmp))
  T.ok(select(2, report.read(tmp)):find("chain: metrics.decode"), "broken histogram")
end)

os.remove(tmp)
T.done()
