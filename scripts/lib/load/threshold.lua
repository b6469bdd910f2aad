-- Thresholds: `chain:p99<1.2s`, `GET /users:p95<300ms`, `errors<0.1%`,
-- `dropped<=0`, `rate>=990`. Parsed before a run (a bad one is a usage
-- error), checked against the report after it.
local M = {}

-- Run-wide figures, from report.iterations; `errors` is failed / (done +
-- failed), written as a fraction or with %.
local RUN = { errors = true, dropped = true, failed = true, done = true, rate = true }
-- Statistics of a metric (chain, start_lag or a request tag).
local STATS = { count = true, rate = true, min = true, mean = true, max = true }
local TIME_UNITS = { s = 1, ms = 1e-3, us = 1e-6 }
local OPS = {
  ["<"] = function(a, b) return a < b end, ["<="] = function(a, b) return a <= b end,
  [">"] = function(a, b) return a > b end, [">="] = function(a, b) return a >= b end,
  ["=="] = function(a, b) return a == b end,
}

-- p95 -> 95, p99.9 -> 99.9, p999 -> 99.9 and p9999 -> 99.99 (the JSON's
-- names); nil if not a percentile.
local function percentile_of(stat)
  local digits = stat:match("^p(%d+%.?%d*)$")
  if not digits then return nil end
  local p = tonumber(digits)
  if p > 100 and digits:match("^99%d+$") then p = tonumber("99." .. digits:sub(3)) end
  if p < 0 or p > 100 then return nil end
  return p
end
M.percentile_of = percentile_of

local function is_time(stat) return stat == "min" or stat == "mean" or stat == "max" or percentile_of(stat) end

local checks = require "load.checks"
-- The statistics of `checks` and `check:NAME`: a pass rate (a fraction, or
-- with %) and the counts.
local CHECK_STATS = { rate = true, passes = true, fails = true }

-- The value with its unit, in the threshold's own terms.
local function parse_value(v, stat)
  local num, unit = v:match("^(%-?%d*%.?%d+)%s*(%a*%%?)$")
  num = tonumber(num)
  if not num then return nil, "expected a number after the comparison" end
  if unit == "" then return num end
  if unit == "%" then
    if stat ~= "errors" and stat ~= "check rate" then return nil, "% is for errors and check rates only" end
    return num / 100
  end
  if TIME_UNITS[unit] and is_time(stat) then return num * TIME_UNITS[unit] end
  return nil, string.format("unit '%s' does not fit %s (times take s, ms or us; errors %%)", unit, stat)
end

-- One expression as {expr, metric (nil for run-wide), stat, op, value};
-- nil and a one-line reason if it does not parse.
function M.parse(expr)
  if type(expr) ~= "string" then return nil, "expected a string" end
  local lhs, op, rhs = expr:match("^%s*(.-)%s*([<>=]=?)%s*(.-)%s*$")
  if not lhs or lhs == "" or rhs == "" or op == "=" then
    return nil, "expected METRIC:STAT OP VALUE (chain:p99<1.2s) or errors/dropped/failed/done/rate"
      .. " OP VALUE (errors<0.1%)"
  end
  local t = { expr = expr, op = op }
  local metric, stat = lhs:match("^(.*):%s*([%w.]+)$")
  if metric then
    t.metric, t.stat = metric, stat
    if metric == "" then return nil, "no metric before ':'" end
    if checks.metric(metric) then
      if not CHECK_STATS[stat] then
        return nil, string.format("unknown statistic '%s' of %s (rate, passes or fails)", stat, metric)
      end
    elseif not STATS[stat] and not percentile_of(stat) then
      return nil, string.format("unknown statistic '%s' (count, rate, min, mean, max or pNN like p95, p99.9; p0 is the min, p100 the max)", stat)
    end
  else
    if not RUN[lhs] then
      return nil, string.format("unknown figure '%s': errors, dropped, failed, done, rate, or "
        .. "METRIC:STAT like chain:p99", lhs)
    end
    t.stat = lhs
  end
  local check_rate = t.metric and checks.metric(t.metric) and t.stat == "rate"
  local value, err = parse_value(rhs, check_rate and "check rate" or t.stat)
  if not value then return nil, err end
  -- errors are a fraction: a bare 1 or more would be 100% or beyond
  if t.stat == "errors" and not rhs:find("%", 1, true) and value >= 1 then
    return nil, string.format("errors%s%s is %g00%%: write errors%s%s%% or errors%s%g",
      op, rhs, value, op, rhs, op, value / 100)
  end
  if check_rate and not rhs:find("%", 1, true) and value > 1 then
    return nil, string.format("a check rate is a fraction: %s%s%s%% or %s%s%g", lhs, op, rhs, lhs,
      op, value / 100)
  end
  t.value = value
  return t
end

-- Every expression parsed, or a load error naming the first bad one.
-- Relative ones (`chain:p99<+10%`, against a baseline) are load.compare's
-- and marked `relative`.
function M.parse_all(list, fail)
  local compare = require "load.compare"
  local out = {}
  for i, expr in ipairs(list or {}) do
    local relative = compare.is_relative(expr)
    local t, err
    if relative then t, err = compare.parse_relative(expr) else t, err = M.parse(expr) end
    if not t then fail(string.format("--threshold '%s': %s", tostring(expr), err)) end
    t.relative = relative
    out[i] = t
  end
  return out
end

-- The first relative threshold, when there is no baseline to check it
-- against: a usage error before the run.
function M.need_baseline(parsed, has_baseline, fail)
  if has_baseline then return end
  for _, t in ipairs(parsed) do
    if t.relative then
      fail(string.format("--threshold '%s': a relative threshold needs a baseline: "
        .. "--baseline BASE.json (or load.lua --compare BASE.json RUN.json)", t.expr))
    end
  end
end

-- The figure a threshold names, from the report and its histograms
-- (hists.chain, hists.start_lag, hists.requests[tag]); nil and why if the
-- run has none, and true when the threshold names what no run of this
-- scenario could have (a mistake of the user's, not a failed threshold).
local function figure(t, report, hists)
  local it = report.iterations
  if not t.metric then
    if t.stat == "rate" and not it.rate then return nil, "the run lasted under 1 s: no rate" end
    if t.stat == "errors" then
      local ended = it.done + it.failed
      return ended > 0 and it.failed / ended or 0
    end
    return it[t.stat]
  end
  if checks.metric(t.metric) then return checks.figure(t, report) end
  local row, h
  local flow = t.metric:match("^flow:(.*)$")
  if flow then
    local f = report.flows and report.flows[flow]
    if not f then return nil, string.format("the run has no flow '%s'", flow), true end
    row, h = f.chain, hists.flows[flow]
  elseif t.metric == "chain" or t.metric == "start_lag" then
    row, h = report[t.metric], hists[t.metric]
    if t.metric == "start_lag" and report.model ~= "open" and report.model ~= "flows" then
      return nil, "start_lag is measured in the open model only", true
    end
  else
    row, h = report.requests[t.metric], hists.requests[t.metric]
    if not row then
      local seen = { "chain", "start_lag" }
      for tag in pairs(report.requests) do seen[#seen + 1] = tag end
      local near = require("cli").nearest(t.metric, seen)
      return nil, string.format("no request tagged '%s' in this run%s", t.metric,
        near and string.format("; did you mean '%s'?", near) or ""), true
    end
  end
  if t.stat == "count" then return h:count() end
  if t.stat == "rate" then
    if not row.rate then return nil, "the run lasted under 1 s: no rate" end
    return row.rate
  end
  if h:count() == 0 then return nil, "no values recorded" end
  local p = percentile_of(t.stat)
  if p then return h:percentile(p) end
  return h[t.stat](h)
end

-- Each threshold checked: {expression, ok, value, note}.
function M.check(parsed, report, hists)
  local results, relative, at = {}, {}, {}
  for i, t in ipairs(parsed) do
    if t.relative then
      relative[#relative + 1], at[#at + 1] = t, i
    else
      local v, why, unknown = figure(t, report, hists)
      results[i] = { expression = t.expr, ok = v ~= nil and OPS[t.op](v, t.value), value = v,
                     note = why, unknown = unknown,
                     stat = t.metric and checks.metric(t.metric) and "check " .. t.stat or t.stat }
    end
  end
  if #relative > 0 then
    local rows = report.comparison and require("load.compare").check_relative(relative,
      report.comparison) or {}
    for k, i in ipairs(at) do
      results[i] = rows[k] or { expression = relative[k].expr, ok = false,
        note = "no baseline to compare with", stat = relative[k].stat, relative = true }
    end
  end
  return results
end

-- The first threshold that names a metric or tag the run did not have:
-- "--threshold 'chian:p99<1s': no request tagged 'chian' ...; did you mean
-- 'chain'?", or nil. The command exits 2 on it, not 3: a typo is no
-- regression.
function M.unknown(results)
  for _, r in ipairs(results or {}) do
    if r.unknown then return string.format("--threshold '%s': %s", r.expression, r.note) end
  end
end

return M
