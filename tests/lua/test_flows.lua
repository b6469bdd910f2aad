-- load/flows.lua without a run: each thread's raw result (as runner.run
-- gives it: per-flow chains and series, a flow's requests filed under
-- "FLOW\31TAG") split into per-flow figures and the run's summed tags, and
-- the merge of shards through their JSON files equal to one thread that
-- ran every iteration.
--   dockscript tests/lua/test_flows.lua
local T = require "testlib"
local report = require "load.report"
local flows = require "load.flows"

local tmp = os.tmpname()
local SEP = "\31"

-- Iteration i (1..N) of a weighted run: its flow, chain latency, failure,
-- and the requests it made (tag, latency, status).
local N = 2000
local function iteration(i)
  local buy = i % 7 == 0
  local chain = 0.01 + (i * 37 % 1000) / 1e5
  local reqs = { { buy and "GET /customers" or "GET /users", chain / 2, buy and i % 3 == 0 and 500 or 200 } }
  if buy then reqs[2] = { "GET /users", chain / 3, 200 } end
  return { flow = buy and "buy" or "browse", chain = chain, failed = i % 101 == 0, reqs = reqs,
           t = 1 + i % 5 }
end

local function hist(digits) return metrics.histogram(digits or 3) end

-- A thread's raw result holding the iterations `take(i)` says it ran.
local function thread_raw(take, shard)
  local raw = { model = "closed", threads = 1, shard = shard, duration = 5,
    iterations = { done = 0, failed = 0, dropped = 0 }, chain = hist(), start_lag = hist(),
    requests = {}, errors = {}, series = {}, flows = {} }
  for t = 1, 5 do
    raw.series[t] = { t = t, iterations = 0, errors = 0, requests = 0, inflight = 0,
                      histogram = hist(2), tags = {} }
  end
  for i = 1, N do
    if take(i) then
      local it = iteration(i)
      local f = raw.flows[it.flow]
      if not f then
        f = { done = 0, failed = 0, chain = hist(), series = {} }
        raw.flows[it.flow] = f
      end
      local fs = f.series[it.t]
      if not fs then
        fs = { t = it.t, iterations = 0, errors = 0, histogram = hist(2) }
        f.series[it.t] = fs
      end
      local s = raw.series[it.t]
      if it.failed then
        raw.iterations.failed, f.failed, fs.errors, s.errors = raw.iterations.failed + 1,
          f.failed + 1, fs.errors + 1, s.errors + 1
      else
        raw.iterations.done, f.done, fs.iterations, s.iterations = raw.iterations.done + 1,
          f.done + 1, fs.iterations + 1, s.iterations + 1
        raw.chain:record(it.chain); f.chain:record(it.chain)
        fs.histogram:record(it.chain); s.histogram:record(it.chain)
      end
      for _, rq in ipairs(it.reqs) do
        local tag = it.flow .. SEP .. rq[1]
        local q = raw.requests[tag]
        if not q then
          q = { count = 0, bytes = 0, histogram = hist(), status = {}, errors = {} }
          raw.requests[tag] = q
        end
        q.count, q.bytes = q.count + 1, q.bytes + 100
        q.histogram:record(rq[2])
        local code = tostring(rq[3])
        q.status[code] = (q.status[code] or 0) + 1
        local st = s.tags[tag]
        if not st then
          st = { requests = 0, errors = 0, histogram = hist(2) }
          s.tags[tag] = st
        end
        st.requests = st.requests + 1
        st.histogram:record(rq[2])
        s.requests = s.requests + 1
      end
    end
  end
  for _, f in pairs(raw.flows) do -- runner.run lists the seconds with iterations only
    local list = {}
    for t = 1, 5 do if f.series[t] then list[#list + 1] = f.series[t] end end
    f.series = list
  end
  return raw
end

local function run_of(threads, shard)
  for _, t in ipairs(threads) do flows.split(t, report) end
  local raw = report.merge(threads)
  raw.scenario, raw.args = "flows.lua", {}
  raw.options = { model = "closed", vus = 4, iterations = N }
  return raw
end

T.test("split: a flow's requests under the flow, the run's tags summed over the flows", function()
  local raw = run_of({ thread_raw(function() return true end, { 1, 1 }) })
  local r = report.build(raw)
  T.eq(r.iterations.done + r.iterations.failed, N)
  local browse, buy = r.flows.browse, r.flows.buy
  T.eq(browse.iterations.done + browse.iterations.failed + buy.iterations.done + buy.iterations.failed, N)
  T.eq(buy.iterations.done + buy.iterations.failed, N // 7)
  T.eq(buy.chain.count, buy.iterations.done)
  T.eq(browse.requests["GET /customers"], nil, "browse made no GET /customers")
  T.eq(buy.requests["GET /customers"].count, N // 7)
  T.eq(r.requests["GET /users"].count, browse.requests["GET /users"].count + buy.requests["GET /users"].count)
  T.eq(r.requests["GET /customers"].status["500"], buy.requests["GET /customers"].status["500"])
  for tag in pairs(r.requests) do T.ok(not tag:find(SEP, 1, true), "no flow prefix in " .. tag) end
  local n = 0
  for _, s in ipairs(buy.series) do
    n = n + s.iterations
    for tag in pairs(s.tags or {}) do T.ok(not tag:find(SEP, 1, true), "series tag " .. tag) end
  end
  T.eq(n, buy.iterations.done, "buy's series adds up to its iterations")
  local tagged = 0
  for _, s in ipairs(r.series) do
    for tag, q in pairs(s.tags or {}) do
      T.ok(not tag:find(SEP, 1, true), "run series tag " .. tag)
      tagged = tagged + q.requests
    end
  end
  T.eq(tagged, r.requests["GET /users"].count + r.requests["GET /customers"].count)
  local lines = table.concat(require("load.summary").lines(r), "\n")
  T.ok(lines:find("\nflow buy ", 1, true) and lines:find("\n  GET /customers ", 1, true), "summary rows")
end)

T.test("merge: 2 shards of 2 threads through JSON equal one thread of every iteration", function()
  local whole = report.build(run_of({ thread_raw(function() return true end, { 1, 1 }) }))
  local paths = {}
  for I = 1, 2 do
    local threads = {}
    for j = 0, 1 do
      threads[#threads + 1] = thread_raw(function(i) return (i - 1) % 2 == I - 1 and (i - 1) // 2 % 2 == j end, { I, 2 })
    end
    paths[I] = tmp .. "." .. I
    T.ok(report.write(report.build(run_of(threads)), paths[I]))
  end
  local merged = report.build(report.merge_shards({ assert(report.read(paths[1])), assert(report.read(paths[2])) }))
  for _, name in ipairs({ "browse", "buy" }) do
    local a, b = whole.flows[name], merged.flows[name]
    T.ok(T.deepeq(b.iterations, a.iterations), name .. " iterations")
    for _, k in ipairs({ "count", "min", "p50", "p90", "p99", "p999", "max", "mean" }) do
      T.eq(b.chain[k], a.chain[k], name .. " chain " .. k)
    end
    for tag, q in pairs(a.requests) do
      T.eq(b.requests[tag].count, q.count, name .. " " .. tag)
      T.eq(b.requests[tag].p99, q.p99, name .. " " .. tag .. " p99")
      T.ok(T.deepeq(b.requests[tag].status, q.status), name .. " " .. tag .. " status")
    end
    T.eq(#b.series, #a.series, name .. " seconds")
    for t, s in ipairs(a.series) do
      T.eq(b.series[t].iterations, s.iterations, name .. " second " .. t)
      T.eq(b.series[t].p99, s.p99, name .. " second " .. t .. " p99")
      T.eq(b.series[t].requests, s.requests, name .. " second " .. t .. " requests")
    end
  end
  for tag, q in pairs(whole.requests) do T.eq(merged.requests[tag].count, q.count, tag) end
  os.remove(paths[1]); os.remove(paths[2])
end)

T.test("thresholds flow:NAME:STAT read the flow's chain", function()
  local threshold = require "load.threshold"
  local raw = run_of({ thread_raw(function() return true end, { 1, 1 }) })
  local r = report.build(raw)
  local parsed = threshold.parse_all({ "flow:buy:count<1000", "flow:browse:p99<1ms", "flow:nope:p50<1s" },
    error)
  local res = threshold.check(parsed, r, report.histograms(raw))
  T.eq(res[1].ok, true)
  T.eq(res[1].value, r.flows.buy.chain.count)
  T.eq(res[2].ok, false)
  T.eq(res[2].value, r.flows.browse.chain.p99)
  T.eq(res[3].unknown, true, "a flow the run did not have")
end)

T.test("read: bad flows are one line each, before a run", function()
  local msgs = {}
  local function fail(m) error({ m = m }, 0) end
  local function try(sc)
    local ok, e = pcall(flows.read, sc, "s.lua", fail)
    return ok and "ok" or e.m
  end
  local fn = function() end
  T.eq(try({ iteration = fn }), "ok")
  T.ok(try({ iteration = fn, flows = { a = { iteration = fn } } }):find("both flows and iteration"))
  T.ok(try({ flows = { a = { iteration = fn, weight = 0 } } }):find("weight must be a number > 0, got 0"))
  T.ok(try({ flows = { a = { iteration = fn, weight = 0 / 0 } } }):find("weight must be"))
  T.ok(try({ flows = { a = { weight = 1 } } }):find("flow a has no iteration function"))
  T.ok(try({ flows = { a = { iteration = fn, weight = 1 }, b = { iteration = fn, vus = 1 } } })
    :find("cannot be mixed"))
  local fl = flows.read({ flows = { b = { iteration = fn, weight = 3 }, a = { iteration = fn } } }, "s.lua", fail)
  T.eq(fl.kind, "weighted")
  T.ok(T.deepeq(fl.names, { "a", "b" }), "sorted names")
  T.eq(fl.list[1].weight, 1, "weight defaults to 1")
  T.eq(#msgs, 0)
end)

os.remove(tmp)
T.done()
