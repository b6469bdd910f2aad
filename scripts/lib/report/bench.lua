-- The report page of bench.lua's JSON: the experiment's setup, time
-- against N (sequential, concurrent and their ideals, log-log), the
-- efficiency against the ideals, and the table of every size.
-- M.page(data, opts) -> {title, body (HTML), charts}.
local util = require "report.util"

local esc = util.esc
local M = {}

function M.is_bench(data)
  return type(data) == "table" and type(data.runs) == "table" and #data.runs > 0
    and type(data.runs[1]) == "table" and data.runs[1].names ~= nil
end

local function header(d, opts)
  local delay = type(d.delay) == "number" and string.format("%gs", d.delay) or d.delay
  return util.facts({
    { "server", esc(d.bundled_server and "the bundled Docking API server" or d.url) },
    { "delay", esc(delay) },
    { "server slots", esc(d.workers == 0 and "unlimited" or d.workers) },
    { "in flight", esc(d.limit == 0 and "all at once" or d.limit) },
    { "client", esc((d.threads or 0) > 0 and string.format("load runner, %d threads", d.threads)
      or "http.map on one thread") },
    { "repeats", esc(d["repeat"]) },
    { "seed", esc(d.seed) },
    { "date", esc(d.date) },
    { "version", esc(d.version) },
    { "host", esc(d.host) },
    { "file", esc(opts.source) },
    { "report written", esc(opts.now) },
  })
end

local function secs(x) return type(x) == "number" and string.format("%.3fs", x) or "-" end

local function spread(r, key)
  local med, lo, hi = r[key .. "_median"], r[key .. "_min"], r[key .. "_max"]
  if type(med) ~= "number" then return r.sync_skipped and key == "sync" and "skipped" or "-" end
  if type(lo) == "number" and type(hi) == "number" and hi > lo then
    return string.format("%s<br><small>%s..%s</small>", secs(med), secs(lo), secs(hi))
  end
  return secs(med)
end

local function runs_table(d)
  local rows = {}
  for _, r in ipairs(d.runs) do
    rows[#rows + 1] = { util.count(r.names), spread(r, "sync"), secs(r.ideal_sync), spread(r, "async"),
      secs(r.ideal_async), util.pct(r.sync_efficiency), util.pct(r.async_efficiency),
      type(r.speedup) == "number" and string.format("%.1fx", r.speedup) or "-",
      r.identical and "yes" or (r.identical == false and { "no", "fail" } or "-") }
  end
  return util.table({ "N", "sequential", "ideal", "concurrent", "ideal", "seq. efficiency",
    "conc. efficiency", "speedup", "results identical" }, rows, "grid num")
end

local function column(d, key, scale)
  local out, any = {}, false
  for i, r in ipairs(d.runs) do
    local v = r[key]
    if type(v) == "number" and v > 0 then out[i] = util.round(v * (scale or 1), 6); any = true
    else out[i] = json.null end
  end
  return any and out or nil
end

local function charts(d)
  local x = {}
  for i, r in ipairs(d.runs) do x[i] = r.names end
  local xaxis = { label = "lookups N (2 chained GETs each)", scale = "log", values = x }
  local time = {}
  for _, s in ipairs({ { "sync_median", "sequential", "#1f77b4" }, { "ideal_sync", "sequential ideal: N x 2 x delay", "#1f77b4", true },
                       { "async_median", "concurrent", "#d62728" }, { "ideal_async", "concurrent ideal", "#d62728", true } }) do
    local y = column(d, s[1])
    if y then time[#time + 1] = { label = s[2], y = y, color = s[3], dash = s[4] or nil, points = not s[4] } end
  end
  local list = {}
  if #time > 0 then
    list[#list + 1] = { id = "bench-time", title = "Time against N", type = "line", x = xaxis,
      y = { unit = "s", scale = "log" }, series = time }
  end
  local eff = {}
  for _, s in ipairs({ { "sync_efficiency", "sequential", "#1f77b4" }, { "async_efficiency", "concurrent", "#d62728" } }) do
    local y = column(d, s[1], 100)
    if y then eff[#eff + 1] = { label = s[2], y = y, color = s[3], points = true } end
  end
  if #eff > 0 then
    list[#list + 1] = { id = "bench-efficiency", title = "Efficiency: ideal / measured time", type = "line",
      x = xaxis, y = { unit = "%", min = 0 }, series = eff }
  end
  return list
end

function M.page(d, opts)
  local title = "dockscript bench.lua: the experiment"
  local body = { "<h1>" .. esc(title) .. "</h1>", header(d, opts) }
  local list = charts(d)
  for _, ch in ipairs(list) do
    body[#body + 1] = string.format('<div class="chart"><canvas id="%s" data-chart="%s"></canvas></div>',
      esc(ch.id), esc(ch.id))
  end
  if type(d.delay) ~= "number" then
    body[#body + 1] = string.format('<p class="note">No ideal: the delay %s is a distribution.</p>',
      esc(d.delay))
  end
  body[#body + 1] = "<h2>Every size</h2>" .. runs_table(d)
  body[#body + 1] = '<p class="note">Efficiency is the ideal time over the measured one; under '
    .. "a time, the spread of its repeats. How the ideals are computed: bench.lua --help.</p>"
  return { title = title, body = table.concat(body, "\n"), charts = list }
end

return M
