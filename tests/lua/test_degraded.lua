-- load.degraded on simulated runs whose truth is known: stationary runs
-- (one fixed error rate and latency distribution) rarely report a period;
-- a failing window and a slow window are found within a second of their
-- edges. The real server's windows: tests/load_test.sh.
local T = require "testlib"
local degraded = require "load.degraded"

local function normal()
  return math.sqrt(-2 * math.log(1 - math.random())) * math.cos(2 * math.pi * math.random())
end

-- A run of `seconds` seconds at `rate` iterations a second: each fails
-- with probability errors(t), else takes a log-normal latency (median 50 ms,
-- p99 about 300 ms) times slow(t).
local function run(rate, seconds, errors, slow)
  local series = {}
  for t = 1, seconds do
    local s = { t = t, iterations = 0, errors = 0, histogram = metrics.histogram() }
    for _ = 1, rate do
      if math.random() < errors(t) then
        s.errors = s.errors + 1
      else
        s.iterations = s.iterations + 1
        s.histogram:record(0.05 * math.exp(0.77 * normal()) * slow(t))
      end
    end
    series[t] = s
  end
  return series
end

local function const(v) return function() return v end end
local function window(a, b, inside, outside)
  return function(t) return (t > a and t <= b) and inside or outside end
end

T.test("stationary runs of 60 s at 20 to 200/s: at most 5% report any period", function()
  math.randomseed(20261206)
  local runs, alarmed, periods = 0, 0, 0
  for _, rate in ipairs({ 20, 50, 100, 200 }) do
    for _ = 1, 30 do
      local found = degraded.find(run(rate, 60, const(0.02), const(1)), { factor = 2, last = 60 })
      runs = runs + 1
      if #found > 0 then alarmed, periods = alarmed + 1, periods + #found end
    end
  end
  io.write(string.format("     %d of %d stationary runs reported a period (%d periods)\n",
    alarmed, runs, periods))
  T.ok(alarmed <= 0.05 * runs, string.format("%d of %d runs alarmed", alarmed, runs))
end)

T.test("the same runs with the old rule's trap: 5 failures in a second at 50/s is chance", function()
  local series = run(50, 30, const(0), const(1))
  for _, s in ipairs(series) do s.errors, s.iterations = 1, s.iterations - 1 end
  series[4].errors, series[4].iterations = 5, series[4].iterations - 4
  T.eq(#degraded.find(series, { factor = 2, last = 30 }), 0, "periods")
end)

local function near_edges(p, a, b, what)
  T.ok(math.abs(p.start - a) <= 1 and math.abs(p["end"] - b) <= 1,
    string.format("%s: found %gs-%gs, was %gs-%gs", what, p.start, p["end"], a, b))
end

T.test("a failing window and a slow one, each found within a second of its edges", function()
  math.randomseed(7)
  for _, rate in ipairs({ 50, 200 }) do
    local series = run(rate, 60, window(20, 30, 0.5, 0.02), window(40, 45, 4, 1))
    local found, base = degraded.find(series, { factor = 2, last = 60 })
    T.eq(#found, 2, rate .. "/s: periods")
    near_edges(found[1], 20, 30, rate .. "/s failing")
    T.eq(found[1].kind, "errors", "the first is failures")
    T.ok(found[1].observed > found[1].expected, "observed above expected")
    near_edges(found[2], 40, 45, rate .. "/s slow")
    T.eq(found[2].kind, "latency", "the second is slowness")
    T.ok(found[2].p99 > 2 * base.p99, "its p99 above twice the typical")
    T.eq(found[1].recovery ~= nil, true, "recovered")
  end
end)

T.test("a slow second below the factor is not an incident", function()
  math.randomseed(11)
  -- 1.3x slower for 10 s: significant in counts, below twice the p99
  local found = degraded.find(run(200, 60, const(0), window(20, 30, 1.3, 1)), { factor = 2, last = 60 })
  T.eq(#found, 0, "periods")
end)

T.test("seconds after the last judged one are left out", function()
  math.randomseed(3)
  local series = run(50, 12, window(10, 12, 1, 0), const(1))
  T.eq(#degraded.find(series, { factor = 2, last = 10 }), 0, "periods within 10 s")
  T.eq(#degraded.find(series, { factor = 2, last = 12 }), 1, "periods within 12 s")
end)

T.done()
