-- The charts of a load run, as data for page.js: latency over time (the
-- chain and each tag), rates, errors, in flight and start lag per second,
-- the percentile spectrum, and the comparison with a baseline.
--
-- A chart is {id, title, type = "line" | "interval", x = {label, scale =
-- "linear" | "log" | "spectrum", values}, y = {label, unit = "ms" | "/s" |
-- "%" | "", scale}, series = {{label, y, x (optional, else the chart's),
-- color, dash, band = {lo, hi}}}}; page.js turns it into a Chart.js
-- configuration and counts what was drawn.
local util = require "report.util"
local partial_second = require("load.report").partial_second

local M = {}

-- Charts over time draw at most this many points per line; longer runs are
-- drawn in buckets of whole seconds, and the page says so.
M.MAX_POINTS = 600

local COLORS = { p50 = "#1f77b4", p90 = "#ff7f0e", p99 = "#d62728" }
local PALETTE = { "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
  "#7f7f7f", "#bcbd22", "#17becf", "#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173",
  "#3182bd", "#e6550d", "#31a354", "#756bb1", "#636363" }
function M.color(i) return PALETTE[(i - 1) % #PALETTE + 1] end

local PCTS = { "p50", "p90", "p99" }

-- Buckets --------------------------------------------------------------

-- The series in buckets of k seconds (k = 1 when it fits): each bucket is
-- {t = its first second, len = seconds in it, rows = the entries}.
local function buckets(series, max_points)
  local n = #series
  local k = math.max(1, math.ceil(n / max_points))
  local out = {}
  for i = 1, n, k do
    local b = { t = series[i].t, rows = {} }
    for j = i, math.min(n, i + k - 1) do b.rows[#b.rows + 1] = series[j] end
    b.len = #b.rows
    out[#out + 1] = b
  end
  return out, k
end

-- The mean per second of a count over the whole seconds of a bucket; nil
-- when the bucket is only the run's partial last second.
local function mean_of(b, get, duration)
  local sum, n = 0, 0
  for _, row in ipairs(b.rows) do
    if not partial_second(row.t, duration) then
      sum, n = sum + (tonumber(get(row)) or 0), n + 1
    end
  end
  return n > 0 and util.round(sum / n, 5) or nil
end

-- The highest (or lowest) value of a bucket; nil when none has one.
local function extreme(b, get, lowest)
  local best
  for _, row in ipairs(b.rows) do
    local v = get(row)
    if type(v) == "number" and (best == nil or (lowest and v < best) or (not lowest and v > best)) then
      best = v
    end
  end
  return best
end

local function column(bs, f)
  local out = {}
  for i, b in ipairs(bs) do
    local v = f(b)
    out[i] = v == nil and json.null or v
  end
  return out
end

local function any_value(col)
  for _, v in ipairs(col) do if v ~= json.null then return true end end
  return false
end

local function ci_side(row, key, side)
  local ci = row and row[key .. "_ci"]
  return type(ci) == "table" and ci[side] or nil
end

-- Latency lines (p50/p90/p99, or `keys`) of `get(row)` (a table with pNN
-- fields), in ms, labelled `prefix` .. key; p99 gets its interval band when
-- the rows have "p99_ci".
local function latency_series(bs, get, keys, prefix)
  local list = {}
  for _, key in ipairs(keys or PCTS) do
    local y = column(bs, function(b)
      return util.ms(extreme(b, function(row) local t = get(row); return t and t[key] end))
    end)
    if any_value(y) then
      local s = { label = (prefix or "") .. key, y = y, color = COLORS[key] }
      if key == "p99" then
        local lo = column(bs, function(b)
          return util.ms(extreme(b, function(row) return ci_side(get(row), key, 1) end, true))
        end)
        local hi = column(bs, function(b)
          return util.ms(extreme(b, function(row) return ci_side(get(row), key, 2) end))
        end)
        if any_value(lo) and any_value(hi) then s.band = { lo = lo, hi = hi, label = "p99 95% interval" } end
      end
      list[#list + 1] = s
    end
  end
  return list
end

local function tag_names(series)
  local seen = {}
  for _, row in ipairs(series) do
    for tag in pairs(type(row.tags) == "table" and row.tags or {}) do seen[tag] = true end
  end
  return util.sorted_keys(seen)
end

-- Every chart over time, and the note on downsampling (nil when none).
function M.over_time(r, max_points)
  local series = r.series or {}
  if #series == 0 then return {}, nil, {} end
  local bs, k = buckets(series, max_points or M.MAX_POINTS)
  local x = column(bs, function(b) return b.t end)
  local charts = {}
  local xaxis = { label = "second of the run", scale = "linear", values = x, integer = true }
  local lat = latency_series(bs, function(row) return row end)
  if #lat > 0 then
    charts[#charts + 1] = { id = "latency-chain", title = "Chain latency per second", type = "line",
      x = xaxis, y = { unit = "ms" }, series = lat }
  end
  local tags = tag_names(series)
  local tag_charts = {}
  for i, tag in ipairs(tags) do
    local s = latency_series(bs, function(row) return type(row.tags) == "table" and row.tags[tag] or nil end)
    if #s > 0 then
      tag_charts[#tag_charts + 1] = { id = "latency-tag-" .. i, title = tag, type = "line",
        x = xaxis, y = { unit = "ms" }, series = s, small = true }
    end
  end
  -- counts per second: the run's partial last second left out
  local duration = r.duration
  local function per_second(key)
    return column(bs, function(b)
      return mean_of(b, function(row) return row[key] end, duration)
    end)
  end
  local rates = {}
  for _, f in ipairs({ { "requests", "requests", "#1f77b4" }, { "iterations", "iterations", "#2ca02c" } }) do
    rates[#rates + 1] = { label = f[2] .. "/s", color = f[3], y = per_second(f[1]) }
  end
  charts[#charts + 1] = { id = "rates", title = "Requests and iterations per second", type = "line",
    x = xaxis, y = { unit = "/s", min = 0 }, series = rates }
  charts[#charts + 1] = { id = "errors", title = "Errors per second", type = "line",
    x = xaxis, y = { unit = "/s", min = 0 }, series = { { label = "errors/s",
      color = "#d62728", y = per_second("errors") } } }
  local inflight = column(bs, function(b)
    return util.round(extreme(b, function(row)
      if not partial_second(row.t, duration) then return row.inflight end
    end), 4)
  end)
  if any_value(inflight) then
    charts[#charts + 1] = { id = "inflight", title = "Iterations in flight (mean of each second)", type = "line",
      x = xaxis, y = { label = "iterations", unit = "", min = 0 },
      series = { { label = "in flight", color = "#9467bd", y = inflight } } }
  end
  -- the open model's start lag: a second's own percentiles, whole or not
  local lag = latency_series(bs, function(row)
    return type(row.start_lag) == "table" and row.start_lag or nil
  end, { "p50", "p99" }, "start lag ")
  if #lag > 0 then
    charts[#charts + 1] = { id = "start-lag", title = "Start lag per second (p50, p99)",
      type = "line", x = xaxis, y = { unit = "ms", min = 0 }, series = lag }
  end
  local note
  if k > 1 then
    note = string.format("This run has %s seconds of series: the charts over time draw one point "
      .. "per %d seconds (%s points): latency and in flight are the highest per-second value of "
      .. "each %d seconds, rates their mean per second.", util.count(#series), k, util.count(#bs), k)
  end
  return charts, note, tag_charts
end

-- The spectrum ------------------------------------------------------------

local function decoded(row)
  if type(row) ~= "table" or type(row.histogram) ~= "string" then return nil end
  local ok, h = pcall(metrics.decode, row.histogram)
  return ok and h or nil
end
M.decoded = decoded

-- HdrHistogram's percentile distribution: value against 1/(1-p), the last
-- row (p = 100, infinitely far right) left out as its plotter does.
local function spectrum_series(h, label, color, width)
  local xs, ys = {}, {}
  for _, row in ipairs(h:spectrum(5)) do
    if row.percentile < 100 then
      xs[#xs + 1] = util.round(1 / (1 - row.percentile / 100), 6)
      ys[#ys + 1] = util.ms(row.value)
    end
  end
  if #xs == 0 then return nil end
  return { label = label, x = xs, y = ys, color = color, width = width, points = false }
end

-- The chain's spectrum, and the tags' together on their own scale (a chain
-- of many requests would flatten them).
function M.spectrum(r, hists)
  local out = {}
  local chain = hists.chain
  if chain and chain:count() > 1 then
    out[#out + 1] = { id = "spectrum-chain", title = "Percentile spectrum of the chain", type = "line",
      x = { label = "percentile", scale = "spectrum" }, y = { unit = "ms", min = 0 },
      series = { spectrum_series(chain, "chain", "#000000", 2) } }
  end
  local list = {}
  for i, tag in ipairs(util.sorted_keys(r.requests)) do
    local h = hists.requests[tag]
    if h and h:count() > 1 then list[#list + 1] = spectrum_series(h, tag, M.color(i), 1.5) end
  end
  if #list > 0 then
    out[#out + 1] = { id = "spectrum-tags", title = "Percentile spectrum of each request tag",
      type = "line", x = { label = "percentile", scale = "spectrum" }, y = { unit = "ms", min = 0 },
      series = list, tall = #list > 8 }
  end
  return out
end

-- The comparison ----------------------------------------------------------

-- Each row's change with its interval, a bar per row.
function M.comparison(c)
  if type(c) ~= "table" or type(c.rows) ~= "table" then return nil end
  local labels, lo, hi, mid, sig = {}, {}, {}, {}, {}
  for _, row in ipairs(c.rows) do
    if type(row.change_pct) == "number" and type(row.change_ci_pct) == "table" then
      labels[#labels + 1] = row.name .. " " .. row.stat
      lo[#lo + 1] = util.round(row.change_ci_pct[1], 4)
      hi[#hi + 1] = util.round(row.change_ci_pct[2], 4)
      mid[#mid + 1] = util.round(row.change_pct, 4)
      sig[#sig + 1] = row.significant and true or false
    end
  end
  if #labels == 0 then return nil end
  return { id = "comparison", title = "Change against the baseline, with its interval",
    type = "interval", labels = labels, lo = lo, hi = hi, mid = mid, significant = sig,
    x = { label = "change %", unit = "%" }, rows = #labels }
end

return M
