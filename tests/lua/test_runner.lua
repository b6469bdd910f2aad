-- The load runner's C engine (require "runner") against the bundled
-- server: both models, shards, collected results, failures, setup errors
-- from a worker, and that no worker thread outlives its run. Its raw
-- results (one per thread) are merged by load.report, as load.lua does.
local T = require "testlib"
local runner = require "runner"
local report = require "load.report"

local srv = server.start({ port = 0, delay = 0.05 })
local dir = os.tmpname()
os.remove(dir)
assert(os.execute("mkdir -p " .. dir))

local function scenario(name, code)
  local path = dir .. "/" .. name .. ".lua"
  local f = assert(io.open(path, "w"))
  f:write(code)
  f:close()
  return path
end

local lookup = scenario("lookup", [[
local docking = require "docking"
return {
  setup = function(args) return { url = args[1], names = { "John", "William" } } end,
  iteration = function(data, i)
    return #docking.customers_of(data.url, data.names[(i - 1) % 2 + 1])
  end,
}]])
local echo = scenario("echo", "return { iteration = function(args, i) return i end }")

-- runner.run takes a resolved spec: every field given.
local function spec(cfg)
  cfg.path, cfg.scripts = package.path, sys.scripts
  cfg.threads = cfg.threads or 2
  cfg.grace = cfg.grace or 5
  cfg.args = cfg.args or { srv.url }
  cfg.shard = cfg.shard or { 1, 1 }
  if cfg.model == "open" then cfg.max_vus = cfg.max_vus or 100
  else cfg.iterations, cfg.duration = cfg.iterations or 0, cfg.duration or 0 end
  return cfg
end

local function run(cfg)
  local result, err, code = runner.run(spec(cfg))
  if not result then error(string.format("%s (code %d)", err, code), 0) end
  T.eq(#result.threads, cfg.threads, "one raw result per thread")
  return report.merge(result.threads)
end

local function threads()
  local n = 0
  for _ in io.popen("ls /proc/self/task"):lines() do n = n + 1 end
  return n
end

T.test("closed model: exactly K iterations, chains true to the server's delay", function()
  local raw = run({ scenario = lookup, model = "closed", vus = 10, iterations = 40 })
  T.eq(raw.iterations.done, 40, "done")
  T.eq(raw.iterations.failed, 0, "failed")
  T.eq(raw.threads, 2, "threads")
  T.eq(raw.chain:count(), 40, "chain count")
  -- a chain is 2 requests of 0.05 s
  T.ok(raw.chain:percentile(50) >= 0.1 and raw.chain:percentile(50) < 0.2,
       "chain p50 " .. raw.chain:percentile(50))
  T.eq(raw.requests["GET /users"].count, 40, "GET /users")
  T.eq(raw.requests["GET /customers"].status["200"], 40, "GET /customers 200s")
  T.ok(raw.requests["GET /users"].bytes > 40 * 100, "bytes counted")
  local sum = 0
  for _, s in ipairs(raw.series) do sum = sum + s.iterations end
  T.eq(sum, 40, "the series adds up to the iterations")
  -- each tag's seconds: requests by the second they ended in, latencies
  local reqs, lat = 0, metrics.histogram(2)
  for _, s in ipairs(raw.series) do
    local q = s.tags and s.tags["GET /users"]
    if q then reqs = reqs + q.requests; lat:merge(q.histogram) end
  end
  T.eq(reqs, 40, "a tag's seconds add up to its requests")
  T.eq(lat:count(), 40, "and hold each latency")
  T.ok(lat:percentile(50) >= 0.05 and lat:percentile(50) < 0.1, "tag p50 " .. lat:percentile(50))
end)

T.test("collected results come back by iteration number across threads", function()
  local raw = run({ scenario = echo, model = "closed", vus = 4, iterations = 25, collect = true,
                    threads = 3 })
  for i = 1, 25 do T.eq(raw.results[i], i, "result " .. i) end
end)

T.test("shard 2 of 3 runs iterations 2, 5, 8, ... only", function()
  local raw = run({ scenario = echo, model = "closed", vus = 6, iterations = 30, collect = true,
                    shard = { 2, 3 } })
  T.eq(raw.iterations.done, 10, "a third")
  for i = 1, 30 do T.eq(raw.results[i], (i - 1) % 3 == 1 and i or nil, "iteration " .. i) end
end)

T.test("open model: the rate is kept and chains count from the scheduled start", function()
  local raw = run({ scenario = lookup, model = "open", max_vus = 200,
                    rate_points = { { t = 0, rate = 100 }, { t = 2, rate = 100 } } })
  T.eq(raw.iterations.done, 200, "100/s for 2 s")
  T.eq(raw.iterations.dropped, 0, "dropped")
  T.ok(raw.duration >= 2 and raw.duration < 2.5, "duration " .. raw.duration)
  -- how late iterations started is the machine's figure, not a bound here
  -- (tools/bench/bench_test_figures.sh): every one has its start lag
  print(string.format("  open model at 100/s: start lag p50 %.3f ms, p99 %.3f ms",
    raw.start_lag:percentile(50) * 1000, raw.start_lag:percentile(99) * 1000))
  T.eq(raw.start_lag:count(), 200, "a start lag per iteration")
  T.ok(raw.chain:percentile(99) < 0.3, "chain p99 " .. raw.chain:percentile(99))
end)

T.test("open model: start lag per second, in the second each iteration was due", function()
  local result = assert(runner.run(spec({ scenario = echo, model = "open", max_vus = 50,
    rate_points = { { t = 0, rate = 200 }, { t = 2, rate = 200 } } })))
  local raw = report.merge(result.threads)
  local sum, all = 0, metrics.histogram(2)
  for t, s in ipairs(raw.series) do
    T.ok(s.start_lag, "second " .. t .. " has its start lag")
    T.eq(s.start_lag:count(), s.iterations + s.errors, "second " .. t .. ": one lag per start")
    sum = sum + s.start_lag:count()
    all:merge(s.start_lag)
  end
  T.eq(sum, raw.start_lag:count(), "the seconds add up to the run's start lag")
  local worst = raw.start_lag:max()
  T.ok(math.abs(all:max() - worst) <= 0.01 * worst, "the worst lag is in a second (2 digits)")
  -- the threads' seconds merge exactly: as one histogram of all of them
  local by_hand = metrics.histogram(2)
  for _, th in ipairs(result.threads) do by_hand:merge(th.series[1].start_lag) end
  T.eq(raw.series[1].start_lag:encode(), by_hand:encode(), "second 1 over the threads")
  local closed = run({ scenario = echo, model = "closed", vus = 2, iterations = 10 })
  T.eq(closed.series[1].start_lag, nil, "the closed model has no start lag")
end)

T.test("open model: a linear ramp starts the integral of its rate", function()
  -- 0 -> 100/s over 2 s: 100 arrivals
  local raw = run({ scenario = echo, model = "open", max_vus = 50,
                    rate_points = { { t = 0, rate = 0 }, { t = 2, rate = 100 } } })
  T.eq(raw.iterations.done, 100, "done")
end)

T.test("open model: an iteration due while every slot is busy is dropped", function()
  local slow = scenario("slow", "return { iteration = function() clock.sleep(1.2) end }")
  local raw = run({ scenario = slow, model = "open", max_vus = 2, threads = 1,
                    rate_points = { { t = 0, rate = 20 }, { t = 1, rate = 20 } } })
  T.eq(raw.iterations.done, 2, "two slots")
  T.eq(raw.iterations.dropped, 18, "the rest dropped")
end)

T.test("failed iterations: counted, distinct messages with counts", function()
  local bad = scenario("bad", [[return { iteration = function(args, i)
    if i % 3 == 0 then error("third " .. i % 2, 0) end
  end }]])
  local raw = run({ scenario = bad, model = "closed", vus = 3, iterations = 12 })
  T.eq(raw.iterations.done, 8, "done")
  T.eq(raw.iterations.failed, 4, "failed")
  T.eq(#raw.errors, 2, "two distinct messages")
  T.eq(raw.errors[1].count + raw.errors[2].count, 4, "counts")
end)

T.test("a refused connection: every iteration fails, the reason is counted", function()
  local raw = run({ scenario = lookup, model = "closed", vus = 2, iterations = 6,
                    args = { "http://127.0.0.1:1" } })
  T.eq(raw.iterations.failed, 6, "failed")
  T.eq(raw.requests["GET /users"].errors["Couldn't connect to server"], 6, "by reason")
  -- one message per URL: curl's "after N ms" does not split them
  T.eq(#raw.errors, 2, "John's and William's lookups")
  T.eq(raw.errors[1].message:find(" after ", 1, true), nil, raw.errors[1].message)
  T.eq(raw.errors[1].message:sub(1, 4), "GET ", "no position before the method")
end)

T.test("a spec that breaks an invariant: nil, message, 2 (no error text to match)", function()
  local function refused(cfg, why)
    local result, err, code = runner.run(spec(cfg))
    T.eq(result, nil, why)
    T.ok(tostring(err):find(why, 1, true), err)
    T.eq(code, 2, why .. ": code")
  end
  refused({ scenario = echo, model = "closed", vus = 1, iterations = 1, threads = 0 }, "'threads'")
  refused({ scenario = echo, model = "closed", vus = 2, iterations = 4, threads = 3 }, "VUs of a shard")
  refused({ scenario = echo, model = "sideways", vus = 1 }, "'model'")
  refused({ scenario = echo, model = "open", rate_points = { { t = 1, rate = 5 } } }, "'rate_points'")
  refused({ scenario = echo, model = "closed", vus = 1, shard = { 3, 2 } }, "'shard'")
  local cfg = spec({ scenario = echo, model = "closed", vus = 1, iterations = 1 })
  cfg.path = nil
  local result, _, code = runner.run(cfg)
  T.eq(result, nil, "no path")
  T.eq(code, 2, "no path: code")
end)

T.test("the open model counts drops arithmetically: a huge rate ends on time", function()
  local t0 = clock.now()
  local raw = run({ scenario = echo, model = "open", max_vus = 4, threads = 2,
                    rate_points = { { t = 0, rate = 1e12 }, { t = 0.5, rate = 1e12 } } })
  T.lt(clock.now() - t0, 3, "bounded by duration + grace")
  T.eq(raw.iterations.done + raw.iterations.failed + raw.iterations.dropped, 5e11,
       "every scheduled iteration accounted for")
  T.ok(raw.iterations.dropped > 4e11, "dropped " .. raw.iterations.dropped)
end)

T.test("failure messages keep the first iteration each failed at", function()
  local bad = scenario("bad2", [[return { iteration = function(args, i)
    error(i % 2 == 0 and "even" or "odd", 0)
  end }]])
  local raw = run({ scenario = bad, model = "closed", vus = 4, iterations = 20, threads = 2 })
  T.eq(raw.iterations.failed, 20, "failed")
  T.eq(raw.errors[1].message, "odd", "iteration 1 failed first")
  T.eq(raw.errors[1].first, 1, "odd first at 1")
  T.eq(raw.errors[2].first, 2, "even first at 2")
  T.eq(raw.errors[1].count + raw.errors[2].count, 20, "counts add up to failed")
end)

T.test("a scenario that clears package.loaded.cjson still collects (no crash)", function()
  local clear = scenario("clear", [[return {
    setup = function() package.loaded.cjson = nil; package.loaded["cjson.safe"] = nil; json = nil end,
    iteration = function(args, i) return { i = i } end }]])
  local raw = run({ scenario = clear, model = "closed", vus = 2, iterations = 6, collect = true })
  T.eq(raw.iterations.done, 6, "done")
  for i = 1, 6 do T.eq(raw.results[i].i, i, "result " .. i) end
end)

T.test("setup raising in a worker stops the run with its message, no thread left", function()
  local before = threads()
  local boom = scenario("boom", [[return {
    setup = function() error("no data for this worker", 0) end,
    iteration = function() end }]])
  T.raises(function() run({ scenario = boom, model = "closed", vus = 4, iterations = 4 }) end,
           "setup: no data for this worker")
  T.raises(function() run({ scenario = dir .. "/nosuch.lua", model = "closed", vus = 1,
                            iterations = 1, threads = 1 }) end, "scenario: cannot open")
  T.raises(function() run({ scenario = scenario("num", "return 42"), model = "closed", vus = 1,
                            iterations = 1, threads = 1 }) end, "returns a number, not a table")
  T.eq(threads(), before, "threads after the runs")
end)

T.test("an iteration running past the grace period is cancelled and counted", function()
  local stuck = scenario("stuck", "return { iteration = function() clock.sleep(30) end }")
  local t0 = clock.now()
  local raw = run({ scenario = stuck, model = "closed", vus = 2, duration = 0.2, grace = 0.3,
                    threads = 1 })
  T.lt(clock.now() - t0, 3, "bounded by duration + grace")
  T.eq(raw.iterations.failed, 2, "cancelled")
  T.ok(raw.errors[1].message:find("cancelled", 1, true), raw.errors[1].message)
end)

T.test("r.timings and opts.name", function()
  local named = scenario("named", [[return { iteration = function(args)
    local r = http.get(args[1] .. "/users/1", { name = "one user" })
    assert(r.timings.connect <= r.timings.first_byte and r.timings.first_byte <= r.timings.total)
    assert(r.elapsed == r.timings.total)
  end }]])
  local raw = run({ scenario = named, model = "closed", vus = 1, iterations = 3, threads = 1 })
  T.eq(raw.iterations.done, 3, "done")
  T.eq(raw.requests["one user"].count, 3, "tagged by opts.name")
end)

srv:stop()
os.execute("rm -rf " .. dir)
T.done()
