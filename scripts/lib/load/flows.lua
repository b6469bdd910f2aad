-- Several flows in one run: a scenario returns `flows` instead of
-- `iteration`, either weighted (each iteration picks one, from (seed, i)
-- in C: load/flows.c) or each with its own model, run side by side.
--   flows = {browse = {iteration = fn, weight = 9}, buy = {iteration = fn, weight = 1}}
--   flows = {steady = {iteration = fn, rate = 5, duration = "1m", start = "30s"},
--            spike = {iteration = fn, vus = 10, iterations = 100, start = "10s"}}
-- This file checks them before the run, gives runner.run their specs, and
-- turns each thread's raw result into per-flow figures: the requests of a
-- flow's iterations come filed as "FLOW\31TAG"; a raw result keeps the
-- run's requests summed over the flows (thresholds and tables as without
-- flows) and each flow's own in raw.flows[NAME].requests.
local M = {}

M.SEP = "\31"
-- A flow's model: the closed and open model options of the command line.
local MODEL = { "vus", "iterations", "rate", "stages", "max_vus", "duration" }
local KNOWN = { iteration = true, weight = true, start = true }
for _, k in ipairs(MODEL) do KNOWN[k] = true end

local function sorted_keys(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  return keys
end

-- Checks scenario sc's flows (path names it in messages): nil for a
-- scenario without, else {kind = "weighted" | "models", names = sorted,
-- list = {{name, weight}}}. Mistakes are usage errors (exit 2).
function M.read(sc, path, fail)
  if sc.flows == nil then return nil end
  local where = "scenario " .. path .. ": "
  if sc.iteration ~= nil then
    fail(where .. "returns both flows and iteration: give one (flows replace iteration)")
  end
  if type(sc.flows) ~= "table" or next(sc.flows) == nil then
    fail(where .. "flows must be a table of NAME = {iteration = function, ...}")
  end
  local weighted, models, list = {}, {}, {}
  for _, name in ipairs(sorted_keys(sc.flows)) do
    local f = sc.flows[name]
    if type(name) ~= "string" or name == "" or name:find(M.SEP, 1, true) then
      fail(where .. "a flow's name must be a non-empty string, got " .. tostring(name))
    end
    if type(f) ~= "table" or type(f.iteration) ~= "function" then
      fail(string.format("%sflow %s has no iteration function (iteration = function(data, i) ... end)",
        where, name))
    end
    for k in pairs(f) do
      if not KNOWN[k] then fail(string.format("%sflow %s: unknown field '%s'", where, name, tostring(k))) end
    end
    local has_model = f.start ~= nil
    for _, k in ipairs(MODEL) do has_model = has_model or f[k] ~= nil end
    if f.weight ~= nil then
      local w = f.weight
      if type(w) ~= "number" or w ~= w or w <= 0 or w == math.huge then
        fail(string.format("%sflow %s: weight must be a number > 0, got %s", where, name,
          type(w) == "string" and "'" .. w .. "'" or tostring(w)))
      end
      weighted[#weighted + 1] = name
    end
    if has_model then models[#models + 1] = name end
    list[#list + 1] = { name = name, weight = f.weight or 1 }
  end
  if #weighted > 0 and #models > 0 then
    fail(string.format("%sflows %s (weight) and %s (a model of its own) cannot be mixed: "
      .. "either every iteration picks a flow by weight, or each flow runs its own model",
      where, weighted[1], models[1]))
  end
  local names = {}
  for i, f in ipairs(list) do names[i] = f.name end
  return { kind = #models > 0 and "models" or "weighted", names = names, list = list }
end

local function flag(k) return "--" .. k:gsub("_", "-") end

-- Flows with their own model: a model option from the command line or the
-- scenario's options would be ambiguous (exit 2).
function M.check_options(fl, caller, scenario_opts, fail)
  if not fl or fl.kind ~= "models" then return end
  for _, k in ipairs(MODEL) do
    if caller[k] ~= nil then
      fail(string.format("%s: the scenario's flows have their own models (%s); model options "
        .. "cannot be given for the whole run", flag(k), table.concat(fl.names, ", ")))
    end
    if scenario_opts and (scenario_opts[k] ~= nil or scenario_opts[(k:gsub("_", "-"))] ~= nil) then
      fail(string.format("scenario options: %s: the scenario's flows have their own models; "
        .. "give it in the flow", k))
    end
  end
end

-- Each flow's options resolved as a run's (options.resolve, the run's
-- threads and shard): {NAME = resolved} and the runner's parts, in the
-- order of fl.names.
function M.resolve(fl, sc, o, options)
  local resolved, parts = {}, {}
  for i, name in ipairs(fl.names) do
    local f = sc.flows[name]
    local own = { threads = o.threads, shard = o.shard }
    for _, k in ipairs(MODEL) do own[k] = f[k] end
    local ok, r = pcall(options.resolve, options.merge(own, nil))
    if not ok then
      if options.is_failure(r) then options.fail("flow " .. name .. ": " .. r.message, r.code) end
      error(r, 0)
    end
    local start = 0
    if f.start ~= nil then
      start = options.seconds(f.start)
      if not start or start ~= start or start < 0 or start == math.huge then
        options.fail(string.format("flow %s: start: expected a duration >= 0 like 30s, got '%s'",
          name, tostring(f.start)))
      end
    end
    r.start = start
    resolved[name] = r
    local part = { flow = i, start = start, threads = r.threads, model = r.model }
    if r.model == "open" then
      part.rate_points, part.max_vus = r.rate_points, r.max_vus
    else
      part.vus, part.iterations, part.duration = r.vus, r.iterations or 0, r.duration or 0
    end
    parts[i] = part
  end
  return resolved, parts
end

-- The options the report records of each flow with its own model.
function M.recorded(resolved)
  local out = {}
  for name, r in pairs(resolved) do
    out[name] = { model = r.model, vus = r.vus, iterations = r.iterations, duration = r.duration,
                  rate = r.rate, stages = r.stages, max_vus = r.max_vus, start = r.start,
                  threads = r.threads }
  end
  return out
end

-- The flow thresholds name flows of this scenario (known before the run):
-- `flow:NAME:STAT`; an unknown name is a usage error with a suggestion.
function M.check_thresholds(parsed, fl, fail)
  for _, t in ipairs(parsed) do
    local name = t.metric and t.metric:match("^flow:(.*)$")
    if name and not t.relative then
      local known = fl and fl.names or {}
      local ok = false
      for _, n in ipairs(known) do ok = ok or n == name end
      if not ok then
        local near = require("cli").nearest(name, known)
        fail(string.format("--threshold '%s': %s%s", t.expr,
          #known == 0 and "the scenario has no flows" or "no flow named '" .. name .. "'",
          near and string.format("; did you mean 'flow:%s'?", near) or ""))
      end
    end
  end
end

-- Splitting a thread's raw result -------------------------------------------

-- "FLOW\31TAG" -> FLOW, TAG; nil for a tag of no flow.
local function split_tag(tag)
  local at = tag:find(M.SEP, 1, true)
  if not at then return nil end
  return tag:sub(1, at - 1), tag:sub(at + 1)
end

-- A second's figures of a tag added into tags[key].
local function add_tag(tags, key, q)
  local t = tags[key]
  if not t then
    t = { requests = 0, errors = 0, histogram = metrics.histogram(q.histogram:sigfigs()) }
    tags[key] = t
  end
  t.requests, t.errors = t.requests + q.requests, t.errors + q.errors
  t.histogram:merge(q.histogram)
end

-- Second t of a flow's series gets tags (its requests counted too).
local function add_second_tags(series, t, tags)
  local row
  for _, s in ipairs(series) do if s.t == t then row = s end end
  if not row then
    row = { t = t, iterations = 0, errors = 0, requests = 0, inflight = 0,
            histogram = metrics.histogram(2) }
    series[#series + 1] = row
    table.sort(series, function(a, b) return a.t < b.t end)
  end
  row.tags = tags
  for _, q in pairs(tags) do row.requests = row.requests + q.requests end
end

-- A live delta (load/stream.lua) of a run of flows: its requests filed
-- under "FLOW\x1fTAG" summed into the run's tags. The deltas carry no
-- per-flow iterations or chains, so the stream, --metrics and --dashboard
-- show the run's figures, not each flow's.
function M.run_tags(raw, report)
  local names = {}
  local function note(tag)
    local name = split_tag(tag)
    if name then names[name] = true end
  end
  for tag in pairs(raw.requests or {}) do note(tag) end
  for _, s in ipairs(raw.series or {}) do for tag in pairs(s.tags or {}) do note(tag) end end
  if not next(names) then return raw end
  raw.flows = {}
  for name in pairs(names) do
    raw.flows[name] = { done = 0, failed = 0, dropped = 0, chain = metrics.histogram(3) }
  end
  M.split(raw, report)
  raw.flows = nil
  return raw
end

-- raw.requests and each second's tags: the flows' own into raw.flows, the
-- run's summed over the flows. runner.run's raw.flows[NAME] = {done,
-- failed, chain, series} becomes {iterations = {done, failed}, chain,
-- requests, series}.
function M.split(raw, report)
  if not raw.flows then return raw end
  local flows = {}
  for name, f in pairs(raw.flows) do
    local series = {}
    for _, s in ipairs(f.series or {}) do
      series[#series + 1] = { t = s.t, iterations = s.iterations, errors = s.errors, requests = 0,
                              inflight = 0, histogram = s.histogram }
    end
    flows[name] = { iterations = { done = f.done, failed = f.failed, dropped = f.dropped or 0 },
                    chain = f.chain,
                    requests = {}, series = series }
  end
  local own = {}
  for tag, q in pairs(raw.requests or {}) do
    local name, rest = split_tag(tag)
    if name and flows[name] then
      flows[name].requests[rest] = q
      own[#own + 1] = { requests = { [rest] = q } }
    else
      own[#own + 1] = { requests = { [tag] = q } }
    end
  end
  raw.requests = report.merge_requests(own)
  for _, s in ipairs(raw.series or {}) do
    if s.tags then
      local summed, by_flow = {}, {}
      for tag, q in pairs(s.tags) do
        local name, rest = split_tag(tag)
        if name and flows[name] then
          by_flow[name] = by_flow[name] or {}
          by_flow[name][rest] = q
        end
        add_tag(summed, flows[name or ""] and rest or tag, q)
      end
      s.tags = summed
      for name, t in pairs(by_flow) do add_second_tags(flows[name].series, s.t, t) end
    end
  end
  raw.flows = flows
  return raw
end

-- Merging and reading back -----------------------------------------------------

-- The flows of raws merged (threads of a run or its shards).
function M.merge(raws, report)
  local out
  for _, raw in ipairs(raws) do
    for name, f in pairs(raw.flows or {}) do
      out = out or {}
      local m = out[name]
      if not m then
        m = { iterations = { done = 0, failed = 0, dropped = 0 },
              chain = metrics.histogram(f.chain:sigfigs()),
              parts = {} }
        out[name] = m
      end
      m.iterations.done = m.iterations.done + f.iterations.done
      m.iterations.failed = m.iterations.failed + f.iterations.failed
      m.iterations.dropped = m.iterations.dropped + (f.iterations.dropped or 0)
      m.chain:merge(f.chain)
      m.parts[#m.parts + 1] = f
    end
  end
  for _, m in pairs(out or {}) do
    m.requests = report.merge_requests(m.parts)
    m.series = report.merge_series(m.parts)
    m.parts = nil
  end
  return out
end

-- A report's flows back as raw ones (report.read), with its readers of
-- requests and series.
function M.read_json(flows, hist, read_requests, read_series)
  if type(flows) ~= "table" then return nil end
  local out = {}
  for name, f in pairs(flows) do
    if type(f) ~= "table" or type(f.iterations) ~= "table" then
      error("flows: " .. tostring(name) .. ": no iterations", 0)
    end
    out[name] = {
      iterations = { done = math.tointeger(f.iterations.done) or 0,
                     failed = math.tointeger(f.iterations.failed) or 0,
                     dropped = math.tointeger(f.iterations.dropped) or 0 },
      chain = hist(type(f.chain) == "table" and f.chain.histogram, "flows: " .. name),
      requests = read_requests(f.requests), series = read_series(f.series),
    }
  end
  return out
end

-- The seconds a flow's rates are per: an open flow's schedule (as the
-- open model's run), else the run's (w).
local function window(raw, name, w)
  local o = raw.options and raw.options.flows and raw.options.flows[name]
  if not raw.interrupted and o and o.model == "open" and (o.duration or 0) >= 1 then
    return o.duration
  end
  return w
end

-- The report's flows: {NAME = {iterations, chain, requests, series}}, each
-- built as the run's own figures are (report.lua's builders, b.window the
-- run's seconds of rates).
function M.build(raw, b)
  if not raw.flows then return nil end
  local out = {}
  for name, f in pairs(raw.flows) do
    local w = window(raw, name, b.window)
    local it = f.iterations
    local row = { iterations = { done = it.done, failed = it.failed, dropped = it.dropped or 0,
                                 rate = w and (it.done + it.failed) / w or nil },
                  chain = b.latency(f.chain, w), requests = {}, series = {} }
    for tag, q in pairs(f.requests or {}) do row.requests[tag] = b.request(q, w) end
    for i, s in ipairs(f.series or {}) do row.series[i] = b.second(s) end
    out[name] = row
  end
  return out
end

-- Thresholds: the histograms of flow:NAME.
function M.histograms(raw)
  local out = {}
  for name, f in pairs(raw.flows or {}) do out[name] = f.chain end
  return out
end

-- Summary ---------------------------------------------------------------------

-- "flows: browse (open, 5/s for 60s from 30s), spike (closed, ...)".
function M.describe(o, summary)
  local parts = {}
  for _, name in ipairs(sorted_keys(o.flows or {})) do
    local f = o.flows[name]
    local what
    if f.model == "open" then
      what = f.stages and string.format("open, %d stages over %gs", #f.stages, f.duration or 0)
        or string.format("open, %g/s for %gs", f.rate or 0, f.duration or 0)
    else
      what = string.format("closed, %s VUs, %s", summary.count(f.vus or 0), f.iterations
        and summary.count(f.iterations) .. " iterations" or string.format("%gs", f.duration or 0))
    end
    if (f.start or 0) > 0 then what = what .. string.format(", from %gs", f.start) end
    parts[#parts + 1] = string.format("%s (%s)", name, what)
  end
  return "flows " .. table.concat(parts, ", ")
end

-- The summary's flows table: a `flow NAME` row per flow (its chain), then
-- its request tags, indented; nothing for a run without flows.
function M.summary_lines(r, summary)
  if not r.flows then return {} end
  local rows = {}
  for _, name in ipairs(sorted_keys(r.flows)) do
    local f = r.flows[name]
    local it = f.iterations
    rows[#rows + 1] = { "flow " .. name, f.chain, string.format("%s done, %s failed",
      summary.count(it.done), summary.count(it.failed)) }
    for _, tag in ipairs(sorted_keys(f.requests)) do
      rows[#rows + 1] = { "  " .. tag, f.requests[tag], summary.outcomes(f.requests[tag]) }
    end
  end
  local width = 5
  for _, row in ipairs(rows) do width = math.max(width, #row[1]) end
  local fmt = "%-" .. width .. "s %10s %10s" .. string.rep(" %9s", 6) .. "  %s"
  local out = { string.format(fmt, "flows", "count", "rate", "min", "p50", "p90", "p99", "p99.9",
    "max", "iterations / status") }
  for _, row in ipairs(rows) do
    local x = row[2]
    out[#out + 1] = (string.format(fmt, row[1], summary.count(x.count), summary.rate(x.rate),
      summary.time(x.min), summary.time(x.p50), summary.time(x.p90), summary.time(x.p99),
      summary.time(x.p999), summary.time(x.max), row[3]):gsub("%s+$", ""))
  end
  return out
end

return M
