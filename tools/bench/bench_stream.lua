-- The cost of load.lua --out on a synthetic hour (prints figures; not a
-- test): SECONDS seconds (3600) of a run of THREADS threads (2), TAGS tags
-- (20), RATE requests a second per tag (500), fed to the stream writer as
-- runner.run feeds it (per thread, each second's fragment: 3-digit chain
-- and per-tag histograms, the two seconds of the series it touches). The
-- making of the fragments is not timed; the writer's work (merge of the
-- threads, encoding, write, flush) is. Then the --merge of that stream:
-- its time and the process's peak RSS. The writer's CPU a second, over a
-- client's core, is its share of the client's CPU at worst (a client
-- saturating one core).
--   dockscript tools/bench/bench_stream.lua [SECONDS] [TAGS] [RATE] [THREADS] [OUT.ndjson]
local stream = require "load.stream"
local report = require "load.report"

local seconds, ntags = tonumber(arg[1] or 3600), tonumber(arg[2] or 20)
local rate, threads = tonumber(arg[3] or 500), tonumber(arg[4] or 2)
local out = arg[5] or os.tmpname()
math.randomseed(7)

local function latency() return 0.005 + -math.log(1 - math.random()) * 0.01 end

local function fragment(t)
  local f = { model = "open", threads = 0, duration = 0, shard = { 1, 1 },
              iterations = { done = 0, failed = 0, dropped = 0 },
              chain = metrics.histogram(3), start_lag = metrics.histogram(3), requests = {},
              errors = {}, series = {} }
  local secs = { { t = t - 1, iterations = 0, errors = 0, requests = 0, inflight = 0.5,
                   histogram = metrics.histogram(2), start_lag = metrics.histogram(2), tags = {} },
                 { t = t, iterations = 0, errors = 0, requests = 0, inflight = 3.5,
                   histogram = metrics.histogram(2), start_lag = metrics.histogram(2), tags = {} } }
  local per = rate // threads
  for k = 1, ntags do
    local tag = "GET /api/endpoint/" .. k
    local q = { count = per, bytes = per * 512, status = { ["200"] = per }, errors = {},
                histogram = metrics.histogram(3) }
    local s1 = { requests = 0, errors = 0, histogram = metrics.histogram(2) }
    local s2 = { requests = 0, errors = 0, histogram = metrics.histogram(2) }
    for _ = 1, per do
      local v = latency()
      q.histogram:record(v)
      local s = math.random() < 0.1 and s1 or s2
      s.requests = s.requests + 1
      s.histogram:record(v)
    end
    f.requests[tag] = q
    secs[1].tags[tag], secs[2].tags[tag] = s1, s2
    secs[1].requests, secs[2].requests = secs[1].requests + s1.requests, secs[2].requests + s2.requests
  end
  for _ = 1, per do
    local v = latency() * 3
    f.chain:record(v); f.start_lag:record(0.0002)
    local s = math.random() < 0.1 and secs[1] or secs[2]
    s.iterations = s.iterations + 1
    s.histogram:record(v); s.start_lag:record(0.0002)
  end
  f.iterations.done = per
  f.series = t > 1 and secs or { secs[2] }
  return f
end

local function rss_peak_kb()
  local f = io.open("/proc/self/status")
  local kb = f and f:read("a"):match("VmHWM:%s*(%d+)")
  if f then f:close() end
  return tonumber(kb)
end

local w = assert(stream.writer(out, { scenario = "bench.lua", args = {}, model = "open",
  options = { model = "open", rate = rate, duration = seconds }, shard = { 1, 1 }, threads = threads }))
local spent, worst = 0, 0
for t = 1, seconds do
  local frags = {}
  for i = 1, threads do frags[i] = fragment(t) end
  local u0, s0 = sys.cpu()
  w.live(frags, t, false)
  local u1, s1 = sys.cpu()
  local dt = (u1 - u0) + (s1 - s0)
  spent, worst = spent + dt, math.max(worst, dt)
  if t % 64 == 0 then collectgarbage() end
end
w.live({}, seconds, true)
w.close(false)
local size = io.open(out):seek("end")
print(string.format("stream of %d s, %d tags, %d req/s a tag, %d threads: %.1f MB (%.1f KB a line)",
  seconds, ntags, rate, threads, size / 1e6, size / 1e3 / seconds))
print(string.format("writer CPU: %.2f ms a second on average (%.2f%% of one core), worst second %.1f ms",
  spent / seconds * 1e3, spent / seconds * 100, worst * 1e3))
collectgarbage()
print(string.format("writer process peak RSS so far: %.0f MB", (rss_peak_kb() or 0) / 1024))
local u0, s0 = sys.cpu()
local c0 = clock.now()
local raw = assert(stream.read(out))
local r = report.build(raw)
local u1, s1 = sys.cpu()
print(string.format("--merge of the stream: %.1f s wall, %.1f s CPU, %d iterations, %d seconds; peak RSS %.0f MB",
  clock.now() - c0, (u1 - u0) + (s1 - s0), r.iterations.done, #r.series, (rss_peak_kb() or 0) / 1024))
if not arg[5] then os.remove(out) end
