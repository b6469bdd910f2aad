-- Writes load-run JSON files as load.lua --json would, from a seeded
-- synthetic run, to test --merge and plot.lua without running a load:
-- shard I of N holds the iterations i with (i - 1) % N == I - 1, so the
-- shards' merge must equal the unsharded file exactly.
--   dockscript load_fixture.lua OUT.json [--shard I/N] [--model open|closed]
--                               [--scenario NAME] [--iterations K]
local report = require "load.report"

local out = arg[1]
local o = { shard = "1/1", model = "open", scenario = "fixture.lua", iterations = 20000 }
for i = 2, #arg, 2 do o[arg[i]:sub(3)] = arg[i + 1] end
local I, N = o.shard:match("^(%d+)/(%d+)$")
I, N = tonumber(I), tonumber(N)
local K = tonumber(o.iterations)

local rate, seconds = K / 20, 20
local raw = {
  scenario = o.scenario, args = { "http://127.0.0.1:5000" }, model = o.model, threads = 2,
  shard = { I, N }, duration = seconds + 0.35,
  options = { model = o.model, rate = rate, duration = seconds, max_vus = 10000 * N },
  iterations = { done = 0, failed = 0, dropped = 0 },
  chain = metrics.histogram(), start_lag = metrics.histogram(), requests = {}, errors = {},
  series = {},
}
local function tag(name)
  raw.requests[name] = raw.requests[name] or { count = 0, bytes = 0,
    histogram = metrics.histogram(), status = {}, errors = {} }
  return raw.requests[name]
end
for t = 1, seconds do
  raw.series[t] = { t = t, iterations = 0, requests = 0, errors = 0, histogram = metrics.histogram(2),
    start_lag = o.model == "open" and metrics.histogram(2) or nil }
end

-- Latencies: 0.1 s per request plus an exponential tail; every 500th
-- iteration fails; seconds 12-13 are slow (a stall).
math.randomseed(42)
local failures = 0
for i = 1, K do
  local a = 0.1 + -math.log(1 - math.random()) * 0.004
  local b = 0.1 + -math.log(1 - math.random()) * 0.004
  local t = math.floor((i - 1) / rate) + 1
  if t == 12 or t == 13 then a = a + 0.3 * math.random() end
  local lag = math.random() * 0.0002
  if (i - 1) % N == I - 1 then
    local s = raw.series[t]
    local users, customers = tag("GET /users"), tag("GET /customers")
    users.count, users.bytes = users.count + 1, users.bytes + 45
    users.histogram:record(a)
    users.status["200"] = (users.status["200"] or 0) + 1
    raw.start_lag:record(lag)
    if s.start_lag then s.start_lag:record(lag) end
    s.requests = s.requests + 1
    if i % 500 == 0 then
      raw.iterations.failed = raw.iterations.failed + 1
      failures = failures + 1
      s.errors = s.errors + 1
    else
      customers.count, customers.bytes = customers.count + 1, customers.bytes + 120
      customers.histogram:record(b)
      customers.status["200"] = (customers.status["200"] or 0) + 1
      raw.iterations.done = raw.iterations.done + 1
      raw.chain:record(a + b + lag)
      s.iterations, s.requests = s.iterations + 1, s.requests + 1
      s.histogram:record(a + b + lag)
    end
  end
end
if failures > 0 then raw.errors[1] = { message = "Sales Nobody cannot be found from the server", count = failures } end
assert(report.write(report.build(raw), out))
