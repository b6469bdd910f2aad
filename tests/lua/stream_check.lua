-- Compares two load-run JSON files (a run's --json and the --merge of its
-- --out stream) figure by figure: iterations, the chain and start lag
-- histograms, every tag's counts, statuses, errors and histogram, the
-- checks, the failure messages and every second of the series. Prints what differs;
-- exit 0 when nothing does. With --sums STREAM instead of a second JSON
-- file, checks the first file's counts against the sums of the stream's
-- lines (a stream cut short: what it holds is what was merged).
--   dockscript stream_check.lua A.json B.json
--   dockscript stream_check.lua A.json --sums S.ndjson
local function read(path) return json.decode(assert(io.open(path)):read("a")) end
local a = read(arg[1])
local bad = 0
local function differ(what, x, y)
  bad = bad + 1
  if bad <= 20 then print(string.format("%s: %s vs %s", what, tostring(x), tostring(y))) end
end
local function same_hist(what, x, y)
  local hx, hy = metrics.decode(x), metrics.decode(y)
  if hx:count() ~= hy:count() or hx:min() ~= hy:min() or hx:max() ~= hy:max()
      or hx:percentile(50) ~= hy:percentile(50) or hx:percentile(99) ~= hy:percentile(99)
      or hx:percentile(99.9) ~= hy:percentile(99.9) or hx:mean() ~= hy:mean() then
    differ(what .. " histogram", hx:count(), hy:count())
  end
end
local function same_counts(what, x, y)
  for k, v in pairs(x or {}) do if (y or {})[k] ~= v then differ(what .. " " .. k, v, (y or {})[k]) end end
  for k, v in pairs(y or {}) do if (x or {})[k] ~= v then differ(what .. " " .. k, (x or {})[k], v) end end
end

if arg[2] == "--sums" then
  local sum = { done = 0, failed = 0, dropped = 0, requests = 0, errors = 0, lines = 0 }
  local f = assert(io.open(arg[3]))
  f:read("L")
  for line in f:lines("L") do
    local ok, l = pcall(json.decode, line)
    if ok and line:sub(-1) == "\n" then
      sum.lines = sum.lines + 1
      for _, k in ipairs({ "done", "failed", "dropped" }) do
        sum[k] = sum[k] + ((l.iterations or {})[k] or 0)
      end
      for _, q in pairs(l.requests or {}) do sum.requests = sum.requests + q.count end
      for _, e in ipairs(l.errors or {}) do sum.errors = sum.errors + e.count end
    end
  end
  local req, errs = 0, 0
  for _, q in pairs(a.requests) do req = req + q.count end
  for _, e in ipairs(a.errors) do errs = errs + e.count end
  for _, k in ipairs({ "done", "failed", "dropped" }) do
    if a.iterations[k] ~= sum[k] then differ("iterations " .. k, a.iterations[k], sum[k]) end
  end
  if req ~= sum.requests then differ("requests", req, sum.requests) end
  if errs ~= sum.errors then differ("failure messages", errs, sum.errors) end
  print(string.format("%d lines: %d done, %d failed, %d requests", sum.lines, sum.done,
    sum.failed, sum.requests))
  os.exit(bad == 0 and 0 or 1)
end

local b = read(arg[2])
same_counts("iterations", { done = a.iterations.done, failed = a.iterations.failed,
  dropped = a.iterations.dropped }, { done = b.iterations.done, failed = b.iterations.failed,
  dropped = b.iterations.dropped })
same_hist("chain", a.chain.histogram, b.chain.histogram)
same_hist("start_lag", a.start_lag.histogram, b.start_lag.histogram)
if math.abs(a.duration - b.duration) > 1e-9 then differ("duration", a.duration, b.duration) end
for tag, q in pairs(a.requests) do
  local r = b.requests[tag]
  if not r then differ("tag " .. tag, "present", "absent") else
    same_counts(tag, { count = q.count, bytes = q.bytes }, { count = r.count, bytes = r.bytes })
    same_counts(tag .. " status", q.status, r.status)
    same_counts(tag .. " errors", q.errors, r.errors)
    same_hist(tag, q.histogram, r.histogram)
  end
end
for tag in pairs(b.requests) do if not a.requests[tag] then differ("tag " .. tag, "absent", "present") end end
for name, c in pairs(a.checks or {}) do
  local d = (b.checks or {})[name] or {}
  same_counts("check " .. name, { passes = c.passes, fails = c.fails }, { passes = d.passes, fails = d.fails })
end
for name in pairs(b.checks or {}) do
  if not (a.checks or {})[name] then differ("check " .. name, "absent", "present") end
end
if #a.errors ~= #b.errors then differ("failure messages", #a.errors, #b.errors) end
for i, e in ipairs(a.errors) do
  local f = b.errors[i] or {}
  if e.message ~= f.message or e.count ~= f.count or e.first ~= f.first then
    differ("failure " .. i, e.message .. " x" .. e.count, tostring(f.message) .. " x" .. tostring(f.count))
  end
end
if #a.series ~= #b.series then differ("seconds", #a.series, #b.series) end
for i, s in ipairs(a.series) do
  local t = b.series[i] or {}
  same_counts("second " .. i, { t = s.t, iterations = s.iterations, requests = s.requests,
    errors = s.errors }, { t = t.t, iterations = t.iterations, requests = t.requests, errors = t.errors })
  if math.abs((s.inflight or 0) - (t.inflight or 0)) > 1e-6 then
    differ("second " .. i .. " inflight", s.inflight, t.inflight)
  end
  if t.histogram then same_hist("second " .. i, s.histogram, t.histogram) end
  for tag, q in pairs(s.tags or {}) do
    local r = (t.tags or {})[tag] or {}
    same_counts("second " .. i .. " " .. tag, { requests = q.requests, errors = q.errors },
      { requests = r.requests, errors = r.errors })
    if r.histogram then same_hist("second " .. i .. " " .. tag, q.histogram, r.histogram) end
  end
end
print(bad == 0 and "same" or string.format("%d differences", bad))
os.exit(bad == 0 and 0 or 1)
