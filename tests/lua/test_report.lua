-- report.html without a browser: what the page holds for a load run, a
-- merged one, bench.lua's JSON and broken input; escaping; downsampling.
-- tests/report_test.sh opens the pages in Chromium.
local T = require "testlib"
local html = require "report.html"
local report = require "load.report"

-- A raw result as runner.run returns it: `seconds` of series, two tags.
local function raw(seconds, opts)
  opts = opts or {}
  local r = { scenario = "t.lua", args = { "http://127.0.0.1:1" }, model = "open", threads = 2,
    shard = { 1, 1 }, duration = seconds, options = { model = "open", rate = 10, duration = seconds },
    iterations = { done = 0, failed = 0, dropped = 0 }, chain = metrics.histogram(),
    start_lag = metrics.histogram(), requests = {}, errors = {}, series = {} }
  local tags = opts.tags or { "GET /a", "GET /b" }
  for _, tag in ipairs(tags) do
    r.requests[tag] = { count = 0, bytes = 0, histogram = metrics.histogram(), status = {}, errors = {} }
  end
  for t = 1, seconds do
    local s = { t = t, iterations = 0, requests = 0, errors = 0, histogram = metrics.histogram(2) }
    for i = 1, 10 do
      local v = 0.1 + 0.001 * ((t * 7 + i * 13) % 50)
      s.histogram:record(v); r.chain:record(v); r.start_lag:record(0.0001 * i)
      s.iterations, s.requests = s.iterations + 1, s.requests + #tags
      r.iterations.done = r.iterations.done + 1
      for _, tag in ipairs(tags) do
        local q = r.requests[tag]
        q.count = q.count + 1
        q.histogram:record(v / 2)
        q.status["200"] = (q.status["200"] or 0) + 1
      end
    end
    r.series[t] = s
  end
  r.requests[tags[1]].status["503"] = 3
  r.requests[tags[1]].errors["Connection refused"] = 2
  r.errors[1] = { message = "it failed <badly>", count = 2 }
  return r
end

local function page(r, opts)
  local text, err = html.render(json.decode(report.encode(r)), opts)
  if not text then error(err, 2) end
  return text
end

local function charts_of(text)
  return json.decode(text:match('<script type="application/json" id="report%-charts">(.-)</script>'))
end

local function chart(list, id)
  for _, c in ipairs(list) do if c.id == id then return c end end
  return nil
end

T.test("a load run: header, summary with intervals, status, failures, charts", function()
  local text = page(report.build(raw(20)), { source = "x.json", now = "then" })
  T.ok(text:find("<!DOCTYPE html>", 1, true) == 1, "a document")
  T.ok(text:find("default-src 'none'", 1, true), "the policy")
  T.ok(text:find("<dt>scenario</dt><dd>t.lua</dd>", 1, true), "scenario")
  T.ok(text:find("open, 10 iterations/s for 20s", 1, true), "model and rate")
  T.ok(text:find("<dt>file</dt><dd>x.json</dd>", 1, true), "source")
  T.ok(text:find('<small title="95%% interval">'), "intervals under the percentiles")
  T.ok(text:find("<th>503</th>", 1, true), "a status column")
  T.ok(text:find("Connection refused", 1, true), "a transport error")
  T.ok(text:find("it failed &lt;badly&gt;", 1, true), "failure messages, escaped")
  T.ok(text:find("Start lag", 1, true), "start lag of the open model")
  T.ok(not text:find("Interrupted", 1, true), "no banner")
  local list = charts_of(text)
  local lat = chart(list, "latency-chain")
  T.eq(#lat.x.values, 20, "a point per second")
  T.eq(#lat.series, 3, "p50, p90 and p99")
  T.ok(chart(list, "rates") and chart(list, "errors"), "rates and errors")
  T.ok(chart(list, "spectrum-chain") and chart(list, "spectrum-tags"), "spectra")
  T.eq(chart(list, "inflight"), nil, "no in flight without the field")
  T.eq(chart(list, "latency-tag-1"), nil, "no tag series without the field")
  T.ok(text:find("This file has no per-tag series.", 1, true), "and says so")
end)

T.test("the new series fields are drawn when present; intervals from the JSON", function()
  local r = report.build(raw(10))
  for _, s in ipairs(r.series) do
    s.p99_ci, s.inflight, s.start_lag = { 0.11, 0.16 }, 7, { count = 10, p50 = 0.0001, p99 = 0.0004 }
    s.tags = { ["GET /a"] = { requests = 10, errors = 0, p50 = 0.05, p90 = 0.06, p99 = 0.07 } }
  end
  r.chain.p50_ci = { 0.001, 0.002 }
  r.interrupted = true
  local text = page(r)
  T.ok(text:find("Interrupted", 1, true), "the banner")
  T.ok(text:find("<small title=\"95%% interval\">1.00ms..2.00ms</small>"), "p50_ci from the JSON")
  local list = charts_of(text)
  local lat = chart(list, "latency-chain")
  T.eq(#lat.series, 3, "p50, p90, p99")
  T.eq(lat.series[3].band.hi[1], 160, "the p99 band, in ms")
  T.eq(chart(list, "inflight").series[1].y[1], 7, "in flight")
  local lag = chart(list, "start-lag")
  T.eq(lag.series[1].label, "start lag p50")
  T.eq(lag.series[1].y[1], 0.1, "start lag p50 in ms")
  T.eq(lag.series[2].y[1], 0.4, "start lag p99 in ms")
  T.eq(chart(list, "latency-tag-1").title, "GET /a", "a chart per tag")
end)

T.test("start lag per second, as load.lua records it: p50 and p99 drawn", function()
  local r = raw(6)
  for t, s in ipairs(r.series) do
    s.start_lag = metrics.histogram(2)
    for i = 1, 10 do s.start_lag:record(0.0001 * i * t) end
  end
  local text = page(report.build(r))
  local lag = chart(charts_of(text), "start-lag")
  T.ok(lag, "a start-lag chart")
  T.eq(#lag.series, 2, "p50 and p99")
  T.eq(#lag.series[2].y, 6, "a point per second")
  T.ok(math.abs(lag.series[2].y[6] - 6) <= 0.06, "second 6's p99 in ms (6 x 1 ms, 2 digits)")
  T.ok(lag.series[1].y[6] < lag.series[2].y[6], "p50 under p99")
  local closed = raw(3)
  closed.model, closed.options.model = "closed", "closed"
  T.eq(chart(charts_of(page(report.build(closed))), "start-lag"), nil, "none without the field")
end)

T.test("the partial last second: out of the charts of counts, kept in latency", function()
  local r = raw(5)
  r.duration = 4.3 -- the run ended 0.3 s into its fifth second
  for _, s in ipairs(r.series) do s.inflight = 3 end
  r.series[5].iterations, r.series[5].requests, r.series[5].inflight = 3, 6, 0.9
  local text = page(report.build(r))
  local list = charts_of(text)
  local rates = chart(list, "rates")
  T.eq(rates.series[2].y[4], 10, "second 4: its iterations")
  T.eq(rates.series[2].y[5], json.null, "second 5 (partial): left out, not a drop to 3")
  T.eq(rates.series[1].y[5], json.null, "requests too")
  T.eq(chart(list, "errors").series[1].y[5], json.null, "errors too")
  T.eq(chart(list, "inflight").series[1].y[5], json.null, "in flight too")
  T.ok(chart(list, "latency-chain").series[1].y[5] ~= json.null, "its latency is drawn")
  T.ok(text:find("The run ended 300.00ms into its second 5", 1, true), "the page says so")
  -- one rule with plot.lua's PNG
  T.eq(report.partial_second(5, 4.3), true)
  T.eq(report.partial_second(4, 4.3), false)
  T.eq(report.partial_second(5, 5), false, "a run of exactly 5 s has no partial second")
  local whole = raw(5)
  text = page(report.build(whole))
  T.eq(chart(charts_of(text), "rates").series[2].y[5], 10, "a whole last second is drawn")
  T.ok(not text:find("partial", 1, true), "and no note")
  -- in buckets: the mean over the bucket's whole seconds
  local long = raw(1299)
  long.duration = 1298.5
  long.series[1299].iterations = 1
  local rates_long = chart(charts_of(page(report.build(long), { max_points = 600 })), "rates")
  T.eq(#rates_long.series[2].y, 433, "buckets of 3 seconds")
  T.eq(rates_long.series[2].y[433], 10, "the last bucket: its whole seconds' mean")
end)

T.test("a long run is drawn in buckets, and the page says so", function()
  local text = page(report.build(raw(1300)), { max_points = 600 })
  T.ok(text:find("one point per 3 seconds (434 points)", 1, true), "the note")
  local lat = chart(charts_of(text), "latency-chain")
  T.eq(#lat.x.values, 434, "buckets")
  T.eq(lat.x.values[2], 4, "a bucket starts at its first second")
  local rates = chart(charts_of(text), "rates")
  T.eq(rates.series[2].y[1], 10, "rates: the mean per second")
end)

T.test("a merged run names its shards", function()
  local a, b = raw(5), raw(5)
  a.shard, b.shard = { 1, 2 }, { 2, 2 }
  local text = page(report.build(report.merge_shards({ a, b })))
  T.ok(text:find("merged 2 of 2 shards (1/2, 2/2)", 1, true), "shards")
end)

T.test("names are escaped, and the charts' JSON cannot end its element", function()
  local r = raw(3, { tags = { "GET /x</script><script>alert(1)</script>" } })
  local text = page(report.build(r))
  T.ok(not text:find("<script>alert", 1, true), "no injected element")
  T.ok(text:find("GET /x&lt;/script&gt;", 1, true), "escaped in the tables")
  local n = 0
  for _ in text:gmatch("</script>") do n = n + 1 end
  T.eq(n, 3, "</script> closes only the page's own three elements")
  T.eq(chart(charts_of(text), "spectrum-tags").series[1].label, "GET /x</script><script>alert(1)</script>",
    "the name survives in the data")
end)

T.test("a run without series or requests still renders", function()
  local r = report.build(raw(1))
  r.series, r.requests = {}, {}
  local text = page(r)
  T.ok(text:find("No series in this file.", 1, true), "no series")
  T.eq(#charts_of(text), 1, "only the chain's spectrum")
end)

T.test("bench.lua's JSON: time and efficiency against N", function()
  local d = json.decode(io.open(arg[0]:gsub("[^/]*$", "") .. "../../docs/bench-results.json"):read("a"))
  local text = assert(html.render(d))
  T.ok(text:find("the experiment", 1, true), "title")
  local list = charts_of(text)
  T.eq(chart(list, "bench-time").x.values[8], 1000, "N")
  T.eq(#chart(list, "bench-time").series, 4, "measured and ideal, both ways")
  T.ok(text:find("skipped", 1, true), "skipped sequential runs")
end)

T.test("what is not a report, and a missing Chart.js, are errors", function()
  local text, err = html.render({ hello = 1 })
  T.eq(text, nil, "unknown JSON")
  T.ok(err:find("not a load run", 1, true), err)
  text, err = html.render(42)
  T.ok(not text and err:find("not a report", 1, true), "not a table")
  text, err = html.render(report.build(raw(1)), { chartjs = "/nonexistent.js" })
  T.ok(not text and err:find("install the Debian package libjs-chart.js", 1, true), err)
  T.eq(html.check(), true, "the real Chart.js is there")
  T.ok(not html.check({ chartjs = "/nonexistent.js" }), "check says so too")
end)

T.test("write: through a temporary file", function()
  local path = os.tmpname()
  T.eq(html.write(json.decode(report.encode(report.build(raw(2)))), path), true, "written")
  local text = io.open(path):read("a")
  os.remove(path)
  T.ok(text:find("</html>", 1, true), "whole")
  local ok, err = html.write(report.build(raw(1)), "/nonexistent-dir/x.html")
  T.ok(not ok and err, "an unwritable path is an error")
end)

T.done()
