-- The scenario's checks in a run: counts per name added over threads and
-- shards (exactly: they are counts), their pass rates with Wilson's 95%
-- interval, the summary's table and the thresholds on them
-- (`checks:rate>0.99`, all checks; `check:NAME:rate>0.999`, one).
local stats = require "load.stats"

local M = {}

-- {[name] = {passes, fails}} of several raws, added by name.
function M.merge(raws)
  local out = {}
  for _, raw in ipairs(raws) do
    for name, c in pairs(raw.checks or {}) do
      local m = out[name] or { passes = 0, fails = 0 }
      m.passes, m.fails = m.passes + c.passes, m.fails + c.fails
      out[name] = m
    end
  end
  return out
end

local function rated(passes, fails)
  local n = passes + fails
  local lo, hi = stats.wilson(passes, n)
  return { passes = passes, fails = fails, rate = n > 0 and passes / n or nil,
           rate_ci = lo and { lo, hi } or nil }
end

-- The report's checks: {[name] = {passes, fails, rate, rate_ci}}, or nil
-- when the run made none.
function M.report(counts)
  if not counts or next(counts) == nil then return nil end
  local out = {}
  for name, c in pairs(counts) do out[name] = rated(c.passes, c.fails) end
  return out
end

-- All checks as one: passes and fails summed.
function M.total(checks)
  local passes, fails = 0, 0
  for _, c in pairs(checks or {}) do passes, fails = passes + c.passes, fails + c.fails end
  return rated(passes, fails)
end

-- Counts from a JSON file's checks; raises a one-line reason.
function M.read(t)
  local out = {}
  if t == nil then return out end
  if type(t) ~= "table" then error("checks: not an object", 0) end
  for name, c in pairs(t) do
    local p, f = type(c) == "table" and math.tointeger(c.passes), type(c) == "table" and math.tointeger(c.fails)
    if not p or not f then error("checks: " .. tostring(name) .. ": passes and fails must be counts", 0) end
    out[tostring(name)] = { passes = p, fails = f }
  end
  return out
end

local function sorted(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys)
  return keys
end
M.names = sorted

local function pct(x) return x and string.format("%.2f%%", 100 * x) or "-" end

-- The summary's table, or {} when there were no checks.
function M.lines(checks)
  if not checks then return {} end
  local names = sorted(checks)
  local width = 6
  for _, name in ipairs(names) do width = math.max(width, #name) end
  local fmt = "%-" .. width .. "s  %10s  %10s  %8s  %s"
  local out = { string.format(fmt, "checks", "passes", "fails", "rate", "95% interval") }
  for _, name in ipairs(names) do
    local c = checks[name]
    out[#out + 1] = string.format(fmt, name, c.passes, c.fails, pct(c.rate),
      c.rate_ci and pct(c.rate_ci[1]) .. "-" .. pct(c.rate_ci[2]) or "-")
  end
  return out
end

-- Threshold metrics: "checks" (all) or "check:NAME"; nil for others.
function M.metric(metric)
  if metric == "checks" then return "all" end
  return metric:match("^check:(.+)$")
end

-- The figure of a checks threshold (stat rate, passes or fails) from the
-- report: value, or nil, why, and true when it names a check the run did
-- not have (a mistake: exit 2). A checks threshold with no check run fails.
function M.figure(t, report)
  local checks = report.checks
  if not checks then return nil, "no check ran in this run" end
  local which = M.metric(t.metric)
  local c
  if which == "all" then
    c = M.total(checks)
  else
    c = checks[which]
    if not c then
      local near = require("cli").nearest(which, sorted(checks))
      return nil, string.format("no check named '%s' in this run%s", which,
        near and string.format("; did you mean '%s'?", near) or ""), true
    end
  end
  if t.stat == "rate" then return c.rate end
  return c[t.stat]
end

return M
