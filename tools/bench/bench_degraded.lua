-- How often degraded periods cry wolf: simulated stationary runs (one
-- fixed error rate and log-normal latency for the whole run) at several
-- rates, judged by load.degraded as a real run's series are; prints the
-- share of runs that reported any period. Not a test (tests/lua/
-- test_degraded.lua bounds it at 5% of 120 runs): more runs, a figure.
--   dockscript tools/bench/bench_degraded.lua [RUNS_PER_RATE=100] [SEED=5]
local degraded = require "load.degraded"
local per_rate = tonumber(arg[1]) or 100
math.randomseed(tonumber(arg[2]) or 5)

local function normal()
  return math.sqrt(-2 * math.log(1 - math.random())) * math.cos(2 * math.pi * math.random())
end

-- 60 s at `rate` iterations a second: 2% fail, the rest take a log-normal
-- latency (median 50 ms, p99 about 300 ms)
local function run(rate)
  local series = {}
  for t = 1, 60 do
    local s = { t = t, iterations = 0, errors = 0, histogram = metrics.histogram() }
    for _ = 1, rate do
      if math.random() < 0.02 then
        s.errors = s.errors + 1
      else
        s.iterations = s.iterations + 1
        s.histogram:record(0.05 * math.exp(0.77 * normal()))
      end
    end
    series[t] = s
  end
  return series
end

local total, alarmed = 0, 0
for _, rate in ipairs({ 20, 50, 100, 200 }) do
  local here = 0
  for _ = 1, per_rate do
    if #degraded.find(run(rate), { factor = 2, last = 60 }) > 0 then here = here + 1 end
  end
  print(string.format("%4d/s: %d of %d stationary runs of 60 s reported a period", rate, here, per_rate))
  total, alarmed = total + per_rate, alarmed + here
end
print(string.format("all: %d of %d (%.2f%%); the family-wise level is %g", alarmed, total,
  100 * alarmed / total, degraded.ALPHA))
