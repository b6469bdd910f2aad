-- What a load run reports. A raw result (one worker thread's, from
-- runner.run, or one read back from a --json file) holds counts and
-- mergeable histograms; M.merge is the one merge of raw results, for the
-- threads of a run and the shards of --merge alike, and M.build turns a
-- merged raw result into the report (the JSON's fields). The summary a
-- person reads is load/summary.lua.
local M = {}

M.FORMAT = "dockscript load run 1"
local PERCENTILES = { { "p50", 50 }, { "p90", 90 }, { "p99", 99 }, { "p999", 99.9 } }

-- The seconds that rates are per: the open model's schedule (iterations
-- started per second of it, requests likewise), the closed model's run.
-- A run that lasted under a second has no rate (nil, shown as "-"): n / 0.01 s
-- would be a figure no second saw.
local function window(raw)
  local planned = not raw.interrupted and not raw.data_ran_out and not raw.incomplete
    and raw.options and raw.options.model == "open" and raw.options.duration
  local w = planned or raw.duration
  return (w and w >= 1) and w or nil
end

local function per_second(n, w) return w and n / w or nil end

-- Is second t of the series ([t - 1, t)) partial: did the run, `duration`
-- seconds long, end inside it? Its counts then cover a fraction of a
-- second and would read as a collapse, so the charts of counts per second
-- (plot.lua's PNG, the HTML report) leave it out. nil: duration unknown.
function M.partial_second(t, duration)
  return type(duration) == "number" and t > duration
end

-- count, min, mean, percentiles, max and the encoded histogram; the
-- figures are absent (null) where nothing was recorded.
local function latency(h, w)
  local n = h:count()
  local row = { count = n, histogram = h:encode() }
  if w then row.rate = per_second(n, w) end
  if n > 0 then
    row.min, row.mean, row.max = h:min(), h:mean(), h:max()
    for _, p in ipairs(PERCENTILES) do
      row[p[1]] = h:percentile(p[2])
      row[p[1] .. "_ci"] = { h:ci(p[2]) } -- 95%, distribution-free (metrics: h:ci)
    end
  end
  return row
end

local function copy(t)
  local c = {}
  for k, v in pairs(t or {}) do c[k] = v end
  return c
end

-- How late the open model's iterations started: {count, p50, p99, max,
-- histogram}, the figures absent where none started.
local function start_lag(h)
  local row = { count = h:count(), histogram = h:encode() }
  if row.count > 0 then row.p50, row.p99, row.max = h:percentile(50), h:percentile(99), h:max() end
  return row
end

-- Epoch seconds to the millisecond: a wall clock is not finer.
local function ms(t) return math.floor(t * 1000 + 0.5) / 1000 end

-- A request tag's row of the report.
local function request_row(q, w)
  local row = latency(q.histogram, w)
  row.count = q.count -- the request count (a transport error has no latency)
  row.rate = per_second(q.count, w)
  row.bytes, row.status, row.errors = q.bytes, copy(q.status), copy(q.errors)
  if q.outside then
    row.server_timing = {}
    for name, h in pairs(q.server_timing or {}) do row.server_timing[name] = latency(h, w) end
    row.outside = latency(q.outside, w)
  end
  row.connections = q.connections -- opened by the tag's requests
  if q.phases then
    row.phases = {}
    for name, h in pairs(q.phases) do row.phases[name] = latency(h, w) end
  end
  return row
end

-- A second of the series; start: the run's epoch start, for its wall clock.
local function second_row(s, start)
  local row = { t = s.t, iterations = s.iterations, requests = s.requests, errors = s.errors,
                inflight = s.inflight, histogram = s.histogram:encode() }
  if start then row.wall = ms(start + s.t - 1) end
  if s.histogram:count() > 0 then
    row.p50, row.p90 = s.histogram:percentile(50), s.histogram:percentile(90)
    row.p99 = s.histogram:percentile(99)
  end
  if s.start_lag then row.start_lag = start_lag(s.start_lag) end
  if s.tags and next(s.tags) then
    row.tags = {}
    for tag, q in pairs(s.tags) do
      local t = { requests = q.requests, errors = q.errors, histogram = q.histogram:encode() }
      if q.histogram:count() > 0 then
        t.p50, t.p90, t.p99 = q.histogram:percentile(50), q.histogram:percentile(90),
          q.histogram:percentile(99)
      end
      row.tags[tag] = t
    end
  end
  return row
end

-- The report of a raw result (runner.run's, or M.merge's). raw.options
-- (the resolved options), raw.scenario and raw.args are load.lua's.
function M.build(raw)
  local w = window(raw)
  local it = raw.iterations
  local r = {
    format = M.FORMAT, scenario = raw.scenario, args = raw.args or {}, model = raw.model,
    threads = raw.threads, shard = raw.shard, shards = raw.shards, duration = raw.duration,
    options = raw.options,
    iterations = { done = it.done, failed = it.failed, dropped = it.dropped,
                   rate = per_second(it.done + it.failed, w) },
    chain = latency(raw.chain, w),
    requests = {}, errors = {}, series = {},
  }
  r.start_lag = start_lag(raw.start_lag)
  for tag, q in pairs(raw.requests or {}) do r.requests[tag] = request_row(q, w) end
  for i, e in ipairs(raw.errors or {}) do
    r.errors[i] = { message = e.message, count = e.count, first = e.first }
  end
  r.checks = require("load.checks").report(raw.checks)
  r.interrupted = raw.interrupted or nil
  r.data_ran_out = raw.data_ran_out
  r.incomplete = raw.incomplete or nil -- a stream cut short (load/stream.lua)
  r.planned = raw.planned
  r.start = raw.start and ms(raw.start)
  for i, s in ipairs(raw.series or {}) do r.series[i] = second_row(s, raw.start) end
  r.flows = require("load.flows").build(raw, { window = w, latency = latency, request = request_row,
    second = second_row })
  r.results = raw.results
  M.explain(r, raw)
  return r
end

-- The last second of the run that was wholly scheduled (the seconds after
-- it hold the stragglers of the grace period).
local function last_full_second(raw)
  local o = raw.options or {}
  local planned = not raw.interrupted and not raw.data_ran_out and not raw.incomplete
    and o.duration or raw.duration or 0
  return math.floor(math.min(planned, raw.duration or planned) + 1e-9)
end

-- What the series says of the run: degraded periods (any run) and the
-- capacity knee (a ramp: --stages).
function M.explain(r, raw)
  local o = raw.options or {}
  local last = last_full_second(raw)
  -- a file of a version that recorded no factor ran with the default
  local factor = o.degraded_factor or require("load.optable").row("degraded_factor").default
  local periods, base = require("load.degraded").find(raw.series or {},
    { factor = factor, last = last })
  r.degraded = periods
  r.degraded_baseline = base
  if o.stages and #raw.series > 0 then
    local first = math.max(1, math.floor(o.stages[1].duration))
    r.capacity = require("load.capacity").knee(raw.series,
      require("load.options").rate_points(o), { first = first, last = last })
  end
end

-- The histograms thresholds are checked against.
function M.histograms(raw)
  local req = {}
  for tag, q in pairs(raw.requests or {}) do req[tag] = q.histogram end
  return { chain = raw.chain, start_lag = raw.start_lag, requests = req,
           flows = require("load.flows").histograms(raw) }
end

-- lua-cjson 2.1 writes an empty table as {}: lists that may be empty get a
-- marker that becomes []. (The json module already writes '/' as itself.)
local EMPTY = "\1dockscript-empty-list\1"
local LISTS = { "args", "errors", "series", "thresholds", "shards", "degraded" }

function M.encode(report)
  local r = copy(report)
  r.results = nil
  for _, k in ipairs(LISTS) do
    if r[k] ~= nil and next(r[k]) == nil then r[k] = EMPTY end
  end
  local text = json.encode(r)
  return (text:gsub('"\\u0001dockscript%-empty%-list\\u0001"', "[]"))
end

-- Writes the report to path through a temporary file, so a failure leaves
-- no half-written file. Returns nil and the reason on failure.
function M.write(report, path)
  return require("cli").write_file(path, M.encode(report) .. "\n")
end

-- Reading back: a JSON file as a raw result, or nil and why it is not one.
local function int(v) return math.tointeger(v) end

local function hist(v, what)
  if type(v) ~= "string" then error(what .. ": no histogram", 0) end
  local ok, h = pcall(metrics.decode, v)
  if not ok then error(what .. ": " .. tostring(h), 0) end
  return h
end

local function counts(t, what)
  local out = {}
  if t == nil then return out end
  if type(t) ~= "table" then error(what .. ": not an object", 0) end
  for k, v in pairs(t) do
    out[tostring(k)] = int(v) or error(what .. ": not a count", 0)
  end
  return out
end

-- A report's requests and series back as raw ones (the run's and each
-- flow's).
local function read_requests(requests)
  local out = {}
  for tag, q in pairs(type(requests) == "table" and requests or {}) do
    out[tag] = { count = int(q.count) or 0, bytes = int(q.bytes) or 0,
      histogram = hist(q.histogram, tag), status = counts(q.status, tag .. ": status"),
      errors = counts(q.errors, tag .. ": errors") }
    if type(q.outside) == "table" then
      local t = out[tag]
      t.outside = hist(q.outside.histogram, tag .. ": outside")
      t.server_timing = {}
      for name, m in pairs(type(q.server_timing) == "table" and q.server_timing or {}) do
        t.server_timing[name] = hist(type(m) == "table" and m.histogram, tag .. ": " .. name)
      end
    end
    out[tag].connections = int(q.connections)
    if type(q.phases) == "table" then
      local phases = {}
      for name, m in pairs(q.phases) do
        phases[name] = hist(type(m) == "table" and m.histogram, tag .. ": phase " .. name)
      end
      out[tag].phases = phases
    end
  end
  return out
end

local function read_series(series)
  local out = {}
  for i, s in ipairs(type(series) == "table" and series or {}) do
    out[i] = { t = int(s.t) or error("series: t is not an integer", 0),
      iterations = int(s.iterations) or 0, requests = int(s.requests) or 0,
      errors = int(s.errors) or 0, inflight = tonumber(s.inflight) or 0,
      histogram = hist(s.histogram, "series " .. i) }
    if type(s.start_lag) == "table" then
      out[i].start_lag = hist(s.start_lag.histogram, "series " .. i .. " start_lag")
    end
    if type(s.tags) == "table" then
      out[i].tags = {}
      for tag, q in pairs(s.tags) do
        out[i].tags[tag] = { requests = int(q.requests) or 0, errors = int(q.errors) or 0,
          histogram = hist(q.histogram, "series " .. i .. " " .. tag) }
      end
    end
  end
  return out
end

function M.raw_of(r)
  if type(r) ~= "table" or r.format ~= M.FORMAT then
    error("not a dockscript load run (no \"format\": \"" .. M.FORMAT .. "\")", 0)
  end
  if r.model ~= "open" and r.model ~= "closed" and r.model ~= "flows" then
    error("model: not open, closed or flows", 0)
  end
  local shard = type(r.shard) == "table" and { int(r.shard[1]), int(r.shard[2]) }
  if not shard or not shard[1] or not shard[2] then error("no shard [I, N]", 0) end
  local it = type(r.iterations) == "table" and r.iterations or error("no iterations", 0)
  local raw = {
    scenario = r.scenario, args = r.args, model = r.model, threads = int(r.threads) or 0,
    shard = shard, duration = tonumber(r.duration) or 0, options = r.options,
    iterations = { done = int(it.done), failed = int(it.failed), dropped = int(it.dropped) },
    chain = hist(type(r.chain) == "table" and r.chain.histogram, "chain"),
    start_lag = hist(type(r.start_lag) == "table" and r.start_lag.histogram, "start_lag"),
    requests = {}, errors = {}, series = {}, interrupted = r.interrupted == true or nil,
    start = tonumber(r.start),
    incomplete = r.incomplete == true or nil,
  }
  local out = r.data_ran_out
  if type(out) == "table" and type(out.data) == "string" and int(out.rows) then
    raw.data_ran_out = { data = out.data, rows = int(out.rows) }
  end
  if not (raw.iterations.done and raw.iterations.failed and raw.iterations.dropped) then
    error("iterations: done, failed and dropped must be counts", 0)
  end
  raw.requests = read_requests(r.requests)
  raw.series = read_series(r.series)
  raw.flows = require("load.flows").read_json(r.flows, hist, read_requests, read_series)
  for i, e in ipairs(type(r.errors) == "table" and r.errors or {}) do
    raw.errors[i] = { message = tostring(e.message), count = int(e.count) or 0,
                      first = int(e.first) }
  end
  raw.checks = require("load.checks").read(r.checks)
  return raw
end

-- The raw result stored in a JSON file; nil and a one-line reason if the
-- file cannot be read or is not a dockscript load run.
function M.read(path)
  local f, err = io.open(path)
  if not f then return nil, err end
  local text, rerr = f:read("a")
  f:close()
  if not text then return nil, path .. ": " .. tostring(rerr) end
  local ok, data = pcall(json.decode, text)
  if not ok then return nil, path .. ": not JSON (" .. tostring(data) .. ")" end
  local ok2, raw = pcall(M.raw_of, data)
  if not ok2 then return nil, path .. ": " .. tostring(raw) end
  return raw
end

-- Merging: counts add, histograms merge exactly, series add by second,
-- failure messages add by text (each keeps the lowest iteration number it
-- first failed at, so their order does not depend on how the run was
-- split), collected results join by iteration. Every raw must be of one
-- run: the threads of a run, or its shards (checked by M.check_merge).
local function add_counts(into, from)
  for k, v in pairs(from or {}) do into[k] = (into[k] or 0) + v end
end

local NO_FIRST = math.maxinteger

local function by_first(a, b)
  if a.first ~= b.first then return a.first < b.first end
  return a.message < b.message
end

-- Each message's count and lowest iteration, by text, into acc (by text,
-- and the list in order of first sight).
local function add_errors(acc, raw)
  for _, e in ipairs(raw.errors or {}) do
    local m = acc.by[e.message]
    if not m then
      m = { message = e.message, count = 0, first = NO_FIRST }
      acc.by[e.message] = m
      acc.list[#acc.list + 1] = m
    end
    m.count = m.count + e.count
    m.first = math.min(m.first, e.first or NO_FIRST)
  end
end

local function sorted_errors(acc)
  local out = acc.list
  table.sort(out, by_first)
  for _, e in ipairs(out) do if e.first == NO_FIRST then e.first = nil end end
  return out
end

M.SHOWN_ERRORS = 19
M.OTHER_ERRORS = "(other messages)"

-- The failure messages a person reads: the first 19 distinct (by the
-- iteration that first failed with each), then the rest as one line, so
-- that the counts still add up to the failed iterations.
function M.shown_errors(errors)
  local shown, other = {}, 0
  for _, e in ipairs(errors or {}) do
    if #shown < M.SHOWN_ERRORS and e.message ~= M.OTHER_ERRORS then
      shown[#shown + 1] = e
    else
      other = other + e.count
    end
  end
  if other > 0 then shown[#shown + 1] = { message = M.OTHER_ERRORS, count = other } end
  return shown
end

-- The seconds of raw added into acc.by (by t); acc.last the latest.
local function add_series(acc, raw)
  local by = acc.by
  for _, s in ipairs(raw.series or {}) do
    local m = by[s.t]
    if not m then
      m = { t = s.t, iterations = 0, requests = 0, errors = 0, inflight = 0,
            histogram = metrics.histogram(s.histogram:sigfigs()) }
      by[s.t] = m
    end
    m.iterations, m.requests = m.iterations + s.iterations, m.requests + s.requests
    m.errors = m.errors + s.errors
    m.inflight = m.inflight + (s.inflight or 0)
    m.histogram:merge(s.histogram)
    if s.start_lag then
      m.start_lag = m.start_lag or metrics.histogram(s.start_lag:sigfigs())
      m.start_lag:merge(s.start_lag)
    end
    for tag, q in pairs(s.tags or {}) do
      m.tags = m.tags or {}
      local t = m.tags[tag]
      if not t then
        t = { requests = 0, errors = 0, histogram = metrics.histogram(q.histogram:sigfigs()) }
        m.tags[tag] = t
      end
      t.requests, t.errors = t.requests + q.requests, t.errors + q.errors
      t.histogram:merge(q.histogram)
    end
    acc.last = math.max(acc.last, s.t)
  end
end

-- The series in order: every second 1..last (empty where none was
-- recorded), or when sparse only those recorded.
local function series_list(acc, sparse)
  local out = {}
  if sparse then
    for _, s in pairs(acc.by) do out[#out + 1] = s end
    table.sort(out, function(a, b) return a.t < b.t end)
    return out
  end
  for t = 1, acc.last do
    out[t] = acc.by[t] or { t = t, iterations = 0, requests = 0, errors = 0, inflight = 0,
                            histogram = metrics.histogram(2) }
  end
  return out
end

local function add_requests(out, raw)
  for tag, q in pairs(raw.requests or {}) do
    local t = out[tag]
    if not t then
      t = { count = 0, bytes = 0, status = {}, errors = {},
            histogram = metrics.histogram(q.histogram:sigfigs()) }
      out[tag] = t
    end
    t.count, t.bytes = t.count + q.count, t.bytes + q.bytes
    add_counts(t.status, q.status)
    add_counts(t.errors, q.errors)
    t.histogram:merge(q.histogram)
    if q.outside then
      t.outside = t.outside or metrics.histogram(q.outside:sigfigs())
      t.outside:merge(q.outside)
      t.server_timing = t.server_timing or {}
      for name, h in pairs(q.server_timing or {}) do
        t.server_timing[name] = t.server_timing[name] or metrics.histogram(h:sigfigs())
        t.server_timing[name]:merge(h)
      end
    end
    if q.connections then t.connections = (t.connections or 0) + q.connections end
    if q.phases then
      t.phases = t.phases or {}
      for name, h in pairs(q.phases) do
        t.phases[name] = t.phases[name] or metrics.histogram(h:sigfigs())
        t.phases[name]:merge(h)
      end
    end
  end
end

-- Of lists of raws (load/flows.lua merges each flow's parts with them).
function M.merge_requests(raws)
  local out = {}
  for _, raw in ipairs(raws) do add_requests(out, raw) end
  return out
end

function M.merge_series(raws)
  local acc = { by = {}, last = 0 }
  for _, raw in ipairs(raws) do add_series(acc, raw) end
  return series_list(acc)
end

-- A merge in steps, for raws that come one at a time (a stream's
-- lines): M.start(first) is empty, M.add(m, raw) adds raw into m in place,
-- M.finish(m, sparse) is the merged raw (sparse: its series holds only
-- the seconds recorded, as a stream's line does).
function M.start(first)
  return {
    scenario = first.scenario, args = first.args, model = first.model, options = first.options,
    shard = first.shard, threads = 0, duration = 0,
    iterations = { done = 0, failed = 0, dropped = 0 },
    chain = metrics.histogram(first.chain:sigfigs()),
    start_lag = metrics.histogram(first.start_lag:sigfigs()),
    requests = {},
    adding = { errors = { by = {}, list = {} }, series = { by = {}, last = 0 }, flows = {} },
  }
end

function M.add(m, raw)
  m.threads = m.threads + raw.threads
  m.duration = math.max(m.duration, raw.duration)
  add_counts(m.iterations, raw.iterations)
  m.chain:merge(raw.chain)
  m.start_lag:merge(raw.start_lag)
  m.interrupted = m.interrupted or raw.interrupted
  m.incomplete = m.incomplete or raw.incomplete
  m.data_ran_out = m.data_ran_out or raw.data_ran_out
  m.checks = require("load.checks").merge({ { checks = m.checks }, raw })
  if raw.results then
    m.results = m.results or {}
    for i, v in pairs(raw.results) do m.results[i] = v end
  end
  add_requests(m.requests, raw)
  add_errors(m.adding.errors, raw)
  add_series(m.adding.series, raw)
  if raw.flows then m.adding.flows[#m.adding.flows + 1] = raw end
end

function M.finish(m, sparse)
  m.errors = sorted_errors(m.adding.errors)
  m.series = series_list(m.adding.series, sparse)
  m.flows = require("load.flows").merge(m.adding.flows, M)
  m.adding = nil
  return m
end

-- What m holds so far as a merged raw, m left as it was (so more can be
-- added): the live page's report of a run still going. It shares m's
-- histograms: read it, do not add to it.
function M.view(m)
  local v = {}
  for k, x in pairs(m) do v[k] = x end
  local errs = {}
  for i, e in ipairs(m.adding.errors.list) do errs[i] = { message = e.message, count = e.count, first = e.first } end
  v.errors = sorted_errors({ list = errs })
  v.series = series_list(m.adding.series)
  v.flows = require("load.flows").merge(m.adding.flows, M)
  v.adding = nil
  return v
end

-- One raw result of several: the figures of raws[1]'s run (scenario,
-- model, options, shard) with everything added up.
function M.merge(raws, sparse)
  local m = M.start(raws[1])
  for _, raw in ipairs(raws) do M.add(m, raw) end
  return M.finish(m, sparse)
end

-- Shards placed by the wall clock: each one's seconds shift by the whole
-- seconds it started after the first (rounded: the series is per second),
-- so a shard that started late adds its seconds to the moments they were,
-- not to the others' first seconds. Shards that all carry `start` (epoch
-- seconds) are aligned; otherwise (files of an older version) by t.
-- Returns the shifted copies, the first start, and the shifts.
function M.align(raws)
  local first
  for _, raw in ipairs(raws) do
    if not raw.start then return raws, nil, {} end
    first = math.min(first or raw.start, raw.start)
  end
  local out, shifts = {}, {}
  for i, raw in ipairs(raws) do
    local shift = math.floor(raw.start - first + 0.5)
    shifts[i] = shift
    local c = copy(raw)
    c.series = {}
    for k, s in ipairs(raw.series or {}) do
      c.series[k] = copy(s)
      c.series[k].t = s.t + shift
    end
    c.duration = raw.duration + (raw.start - first)
    out[i] = c
  end
  return out, first, shifts
end

-- The merge of shard files: `shard` is {1, 1} when they are every shard
-- of a run (then the report equals the unsharded run's), otherwise
-- absent; `shards` lists what was merged.
function M.merge_shards(raws)
  local aligned, start, shifts = M.align(raws)
  local m = M.merge(aligned)
  m.start = start
  m.late = {} -- {shard, seconds} of those placed after the first (not in the report)
  for i, shift in ipairs(shifts) do
    if shift > 0 then m.late[#m.late + 1] = { raws[i].shard, shift } end
  end
  local n = raws[1].shard[2]
  m.shards = {}
  for i, raw in ipairs(raws) do m.shards[i] = raw.shard end
  table.sort(m.shards, function(a, b) return a[1] < b[1] end)
  m.shard = nil
  if #raws == n and n > 1 then m.shard = { 1, 1 } end
  if n == 1 and #raws == 1 then m.shard, m.shards = raws[1].shard, nil end
  return m
end

-- Why these raws (read from `paths`) cannot be merged, or nil.
function M.check_merge(raws, paths)
  local first = raws[1]
  local seen = {}
  for i, raw in ipairs(raws) do
    if raw.scenario ~= first.scenario then
      return string.format("%s and %s are runs of different scenarios (%s, %s)", paths[1],
        paths[i], tostring(first.scenario), tostring(raw.scenario))
    end
    if raw.model ~= first.model then
      return string.format("%s and %s are runs of different models (%s, %s)", paths[1],
        paths[i], first.model, raw.model)
    end
    if raw.shard[2] ~= first.shard[2] then
      return string.format("%s and %s are shards of different splits (%d/%d, %d/%d)",
        paths[1], paths[i], first.shard[1], first.shard[2], raw.shard[1], raw.shard[2])
    end
    local key = raw.shard[1]
    if seen[key] then
      return string.format("%s and %s are the same shard (%d/%d)", seen[key], paths[i],
        raw.shard[1], raw.shard[2])
    end
    seen[key] = paths[i]
  end
  return nil
end

return M
