-- A run against a baseline: for the chain and every request tag both runs
-- have, p50, p90 and p99 then and now, the change in %, and whether the
-- change is more than the runs' sampling noise; the error rate's change
-- with a two-proportion test; and relative thresholds (`chain:p99<+10%`)
-- that fail only when a change is both over their bound and significant.
--   local compare = require "load.compare"
--   local c = compare.reports(base, run [, opts])   -- the "comparison" table
--   local t, err = compare.parse_relative("GET /users:p50<+5%")
--   local rows = compare.check_relative({t, ...}, c) -- {expression, ok, value, note}
--   io.write(compare.text(c))                       -- for the summary
-- base and run are raw results (load.report.read, runner.run) or reports
-- (load.report.build, or their JSON decoded): histograms are used as they
-- come, or decoded from their "histogram" strings. opts: alpha (family-wise
-- level, default M.ALPHA), base_label and run_label (what to call them).
--
-- The test. Each percentile's interval is distribution-free (h:ci: the
-- order statistics at ranks n*p -+ z*sqrt(n*p*(1-p))). Whether two runs'
-- intervals overlap makes a poor test: disjoint 95% intervals are a ~0.5%
-- test of each percentile, and a comparison makes 3 per row, so unchanged
-- runs would flag something in one comparison of a few dozen. Instead, as
-- Price and Bonett (2002) do for a ratio of medians, each interval gives
-- its percentile's standard error on the log scale, se = (ln hi - ln lo) /
-- (2 * z95), and the log ratio d = ln(now / then) is significant when
-- |d| / sqrt(se_then^2 + se_now^2) exceeds the critical z of a family-wise
-- level alpha split over every test of the comparison (Bonferroni), so that
-- a comparison of unchanged runs flags anything at all with probability at
-- most alpha, however many tags it has. alpha is 1e-4, not the textbook
-- 0.05 or 0.001: real runs are not perfectly independent draws, and at
-- 0.001 pairs of runs of one configuration on the real server flagged about
-- one comparison in 100 (the largest |z| of 20 pairs reached 3.9, the
-- critical value at 0.001 over 10 tests), ten times the nominal rate; at
-- 1e-4 (z 4.4 over 10 tests) a 10% slower server still flags p50 and p99
-- with z of 7 and more in runs of 5,000 chains. An interval narrower than
-- the histogram's resolution (10^-digits) counts as that wide: values in
-- one bucket cannot be told apart. The change's interval, at the same
-- level, excludes 0 exactly when the change is significant.
--
-- The test assumes each run's samples are independent draws of one latency
-- distribution. A machine that is slower for the whole of one run (another
-- load on its cores) shifts every percentile by more than sampling noise,
-- and no test on the samples can tell that from a slower server: relative
-- thresholds keep a bound for that reason, a change must exceed it too. A
-- client that fell behind shows in the open model's start lag, and the
-- comparison warns about it (M.LAG_LIMIT).
local M = {}

M.PERCENTILES = { { "p50", 50 }, { "p90", 90 }, { "p99", 99 } }
M.ALPHA = 1e-4  -- family-wise: the chance that unchanged runs flag anything
M.LEVEL = 0.95  -- the intervals shown beside each percentile
-- A run of the open model whose start lag p99 is above this fell behind its
-- schedule: the client, not the server, was slow, and its latencies carry
-- the client's delay. The comparison warns about such a run.
M.LAG_LIMIT = 0.005

local stats = require "load.stats"

-- Two-sided: P(|Z| > z) = a.
local function critical(a) return -stats.probit(a / 2) end

local upper_tail = stats.upper_tail

-- Inputs ------------------------------------------------------------------

local function hist_of(x)
  if x == nil then return nil end
  if type(x) == "userdata" then return x end
  if type(x) == "table" then return hist_of(x.histogram) end
  if type(x) == "string" then
    local ok, h = pcall(metrics.decode, x)
    if ok then return h end
  end
  return nil
end

-- name -> histogram for the chain and each tag.
local function series_of(r)
  local out = { chain = hist_of(r.chain) }
  for tag, q in pairs(r.requests or {}) do out[tag] = hist_of(q) end
  return out
end

local function errors_of(r)
  local it = r.iterations or {}
  local failed, ended = it.failed or 0, (it.done or 0) + (it.failed or 0)
  return failed, ended
end

-- The chain first, then the tags both runs have, sorted.
local function common_names(a, b)
  local names = {}
  for name in pairs(a) do
    if name ~= "chain" and b[name] then names[#names + 1] = name end
  end
  table.sort(names)
  if a.chain and b.chain then table.insert(names, 1, "chain") end
  return names
end

-- Percentile rows ---------------------------------------------------------

local TINY = 1e-6 -- 1 us, the histogram's unit: a 0 has no logarithm

local function log_se(h, p, z95)
  local lo, hi = h:ci(p, M.LEVEL)
  local se = (math.log(math.max(hi, TINY)) - math.log(math.max(lo, TINY))) / (2 * z95)
  return math.max(se, 10 ^ -h:sigfigs()), lo, hi
end

local function percentile_row(name, stat, p, hb, hr, zc, z95)
  local row = { name = name, stat = stat, base_count = hb:count(), run_count = hr:count() }
  if hb:count() == 0 or hr:count() == 0 then
    row.note = "no values in " .. (hb:count() == 0 and "the baseline" or "this run")
    row.significant = false
    return row
  end
  local seb, blo, bhi = log_se(hb, p, z95)
  local ser, rlo, rhi = log_se(hr, p, z95)
  row.base, row.run = hb:percentile(p), hr:percentile(p)
  row.base_ci, row.run_ci = { blo, bhi }, { rlo, rhi }
  local d = math.log(math.max(row.run, TINY)) - math.log(math.max(row.base, TINY))
  local se = math.sqrt(seb * seb + ser * ser)
  row.change_pct = 100 * (math.exp(d) - 1)
  row.change_ci_pct = { 100 * (math.exp(d - zc * se) - 1), 100 * (math.exp(d + zc * se) - 1) }
  row.z = d / se
  row.significant = math.abs(row.z) > zc
  return row
end

-- The error rate: failed / ended iterations, pooled two-proportion z-test.
local function error_row(base, run, zc)
  local bf, bn = errors_of(base)
  local rf, rn = errors_of(run)
  local row = { base_failed = bf, base_ended = bn, run_failed = rf, run_ended = rn,
                base = bn > 0 and bf / bn or 0, run = rn > 0 and rf / rn or 0 }
  row.change_pp = 100 * (row.run - row.base)
  local pooled = (bn + rn) > 0 and (bf + rf) / (bn + rn) or 0
  local se = (bn > 0 and rn > 0) and math.sqrt(pooled * (1 - pooled) * (1 / bn + 1 / rn)) or 0
  row.z = se > 0 and (row.run - row.base) / se or 0
  row.p_value = math.min(1, 2 * upper_tail(math.abs(row.z)))
  row.significant = math.abs(row.z) > zc
  return row
end

-- The start lag p99 of an open-model run, in seconds (nil otherwise).
function M.start_lag_p99(r)
  if r.model ~= "open" or r.start_lag == nil then return nil end
  if type(r.start_lag) == "table" and type(r.start_lag.p99) == "number" then return r.start_lag.p99 end
  local h = hist_of(r.start_lag)
  return h and h:count() > 0 and h:percentile(99) or nil
end

local function lag_warnings(base, run)
  local out = {}
  for _, side in ipairs({ { "the baseline", base }, { "this run", run } }) do
    local lag = M.start_lag_p99(side[2])
    if lag and lag > M.LAG_LIMIT then
      out[#out + 1] = string.format("%s fell behind its schedule (start lag p99 %.1f ms, above "
        .. "%g ms): its latencies include the client's own delay", side[1], lag * 1e3, M.LAG_LIMIT * 1e3)
    end
  end
  return out
end

local function label(r, given)
  return { label = given, scenario = r.scenario, model = r.model, duration = r.duration,
           date = r.date, iterations = select(2, errors_of(r)) }
end

function M.reports(base, run, opts)
  opts = opts or {}
  local alpha = opts.alpha or M.ALPHA
  local hb, hr = series_of(base), series_of(run)
  local names = common_names(hb, hr)
  local tests = #names * #M.PERCENTILES + 1 -- and the error rate
  local zc, z95 = critical(alpha / tests), critical(1 - M.LEVEL)
  local c = {
    method = "log ratio of percentiles, standard errors from their distribution-free "
      .. "intervals; Bonferroni over the comparison's tests",
    alpha = alpha, level = M.LEVEL, tests = tests, z = zc,
    baseline = label(base, opts.base_label), run = label(run, opts.run_label),
    rows = {}, errors = error_row(base, run, zc),
  }
  for _, name in ipairs(names) do
    for _, pc in ipairs(M.PERCENTILES) do
      c.rows[#c.rows + 1] = percentile_row(name, pc[1], pc[2], hb[name], hr[name], zc, z95)
    end
  end
  local only = {}
  for name in pairs(hb) do if not hr[name] then only[#only + 1] = name end end
  for name in pairs(hr) do if not hb[name] then only[#only + 1] = name end end
  table.sort(only)
  if #only > 0 then c.unmatched = only end
  local warn = lag_warnings(base, run)
  if #warn > 0 then c.warnings = warn end
  return c
end

-- The rows that flagged, for a one-line verdict.
function M.flags(c)
  local out = {}
  for _, row in ipairs(c.rows) do
    if row.significant then out[#out + 1] = row.name .. ":" .. row.stat end
  end
  if c.errors.significant then out[#out + 1] = "errors" end
  return out
end

-- Relative thresholds -----------------------------------------------------

local STATS = {}
for _, pc in ipairs(M.PERCENTILES) do STATS[pc[1]] = true end

-- Whether a --threshold expression is a relative one (its bound is +N%).
function M.is_relative(expr)
  return type(expr) == "string" and expr:match("<=?%s*%+%s*%d*%.?%d+%s*%%%s*$") ~= nil
end

-- `chain:p99<+10%`, `GET /users:p50<+5%`: the percentile may grow by at
-- most 10%; `errors<+0.1%`: the error rate by at most 0.1 percentage
-- points. As {expr, metric (nil for errors), stat, op, bound}; nil and a
-- one-line reason if it does not parse.
function M.parse_relative(expr)
  if type(expr) ~= "string" then return nil, "expected a string" end
  local lhs, op, num = expr:match("^%s*(.-)%s*(<=?)%s*%+%s*(%d*%.?%d+)%s*%%%s*$")
  if not lhs or lhs == "" then
    return nil, "expected METRIC:STAT<+N% (chain:p99<+10%) or errors<+N% (errors<+0.1%)"
  end
  local t = { expr = expr, op = op, bound = tonumber(num) }
  if lhs == "errors" then
    t.stat = "errors"
    return t
  end
  local metric, stat = lhs:match("^(.*):%s*([%w.]+)$")
  if not metric or metric == "" then
    return nil, string.format("expected METRIC:STAT or errors before '%s', got '%s'", op, lhs)
  end
  if not STATS[stat] then
    return nil, string.format("a relative threshold compares p50, p90 or p99, not '%s'", stat)
  end
  t.metric, t.stat = metric, stat
  return t
end

local function find_row(c, metric, stat)
  for _, row in ipairs(c.rows) do
    if row.name == metric and row.stat == stat then return row end
  end
  return nil
end

local function exceeds(op, v, bound)
  if op == "<" then return v >= bound end
  return v > bound
end

-- Each relative threshold checked against a comparison: {expression, ok,
-- value (the change: % or percentage points), note, stat, significant}.
-- It fails when the change exceeds its bound and is significant, or when
-- the comparison has nothing to check it against.
function M.check_relative(parsed, c)
  local out = {}
  for i, t in ipairs(parsed) do
    local v, sig, note
    if t.stat == "errors" then
      v, sig = c.errors.change_pp, c.errors.significant
    else
      local row = find_row(c, t.metric, t.stat)
      if not row then
        note = string.format("no '%s' in both runs", t.metric)
      elseif row.change_pct == nil then
        note = row.note
      else
        v, sig = row.change_pct, row.significant
      end
    end
    local over = v ~= nil and exceeds(t.op, v, t.bound)
    if v ~= nil and over and not sig then note = "over the bound, but not significant" end
    out[i] = { expression = t.expr, ok = v ~= nil and not (over and sig), value = v, note = note,
               stat = t.stat, relative = true, significant = sig or false }
  end
  return out
end

-- Text --------------------------------------------------------------------

local function time(s)
  if s == nil then return "-" end
  if s < 0.001 then return string.format("%.0fus", s * 1e6) end
  if s < 1 then return string.format("%.2fms", s * 1e3) end
  return string.format("%.3fs", s)
end

local function signed(x, unit) return string.format("%+.1f%s", x, unit) end

-- The comparison as lines: a row per name and percentile, then errors.
function M.lines(c)
  local width = 5
  for _, row in ipairs(c.rows) do width = math.max(width, #row.name) end
  local fmt = "%-" .. width .. "s %-4s %10s %10s %8s  %-18s %s"
  local out = { string.format("against %s (alpha %g over %d tests):",
      c.baseline.label or c.baseline.scenario or "the baseline", c.alpha, c.tests),
    (string.format(fmt, "", "", "then", "now", "change", "interval", ""):gsub("%s+$", "")) }
  for _, row in ipairs(c.rows) do
    if row.change_pct then
      out[#out + 1] = (string.format(fmt, row.name, row.stat, time(row.base), time(row.run),
        signed(row.change_pct, "%"), string.format("%s..%s", signed(row.change_ci_pct[1], "%"),
        signed(row.change_ci_pct[2], "%")), row.significant and "significant" or ""):gsub("%s+$", ""))
    else
      out[#out + 1] = string.format(fmt, row.name, row.stat, "-", "-", "-", "", row.note or "")
    end
  end
  for _, w in ipairs(c.warnings or {}) do out[#out + 1] = "warning: " .. w end
  local e = c.errors
  out[#out + 1] = string.format("errors: %.3f%% then, %.3f%% now, %s (p = %.2g)%s",
    100 * e.base, 100 * e.run, string.format("%+.3f points", e.change_pp), e.p_value,
    e.significant and ", significant" or "")
  return out
end

function M.text(c) return table.concat(M.lines(c), "\n") .. "\n" end

return M
