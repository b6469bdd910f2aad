-- Degraded periods of a run, from its own series against any server: the
-- seconds that hold significantly more failures, or significantly more slow
-- iterations, than the whole run predicts, merged into periods with their
-- start, end, worst second and recovery time. A series second holds the
-- iterations that started in it, so a fault shows where it began.
--
-- The test. Each judged second s has n_s iterations that ended, e_s of them
-- failed, and d_s done of which k_s are slower than the run's typical p90.
-- If the server behaved the same all run long, e_s is a draw of
-- Binomial(n_s, E / N) and k_s one of Binomial(d_s, K / D), the rates of the
-- whole run. A second is flagged when the exact binomial tail P(X >= e_s)
-- (or P(X >= k_s)) is below ALPHA / (2 m), m the judged seconds: Bonferroni
-- over the run's 2 m tests, so a run whose server never changed reports any
-- period at all with probability at most ALPHA (tests/lua/test_degraded.lua
-- measures it on simulated runs). A latency flag also needs the second's
-- p99 above `factor` x the typical p99, so that a significant but slight
-- slowdown of a busy second is not called an incident.
--
-- "Typical" is the median second's (its p90, its p99), not the whole run's:
-- a fault window holding more than 1% (10%) of the iterations makes the
-- run's p99 (p90) the fault's own value, and the window would then look
-- like the run. The median second stays the healthy server's as long as
-- the fault lasts less than half the run. The expected rates are the whole
-- run's: a fault makes them larger, so the test errs on the side of silence.
--   local degraded = require "load.degraded"
--   local periods, baseline = degraded.find(series, {factor = 2, last = 60})
-- series: the raw series (rows with t, iterations, errors and histogram, a
-- metrics.histogram of the chain latencies of the iterations done).
local stats = require "load.stats"

local M = {}

-- Family-wise: the chance that a run whose server never changed reports
-- any period. 1%, so that 19 runs in 20 stay silent with room to spare for
-- the ways real seconds are not independent draws.
M.ALPHA = 0.01
-- A period ends at the first of this many good seconds in a row.
M.GOOD_RUN = 3

local function median(list)
  if #list == 0 then return nil end
  table.sort(list)
  local mid = (#list + 1) // 2
  return #list % 2 == 1 and list[mid] or (list[mid] + list[mid + 1]) / 2
end

local function ended(s) return (s.iterations or 0) + (s.errors or 0) end

local function judged(series, last)
  local out = {}
  for _, s in ipairs(series) do
    if s.t > last then break end
    if ended(s) > 0 then out[#out + 1] = s end
  end
  return out
end

-- What the whole run predicts of a second: its typical p90 and p99 (the
-- median second's), the share of failures and of done iterations slower
-- than that p90, and the level each test is held to.
function M.baseline(series, last)
  local seconds = judged(series, last)
  local p90s, p99s, errors, total, slow, done = {}, {}, 0, 0, 0, 0
  for _, s in ipairs(seconds) do
    local h = s.histogram
    if h:count() > 0 then
      p90s[#p90s + 1], p99s[#p99s + 1] = h:percentile(90), h:percentile(99)
    end
    errors, total = errors + (s.errors or 0), total + ended(s)
  end
  local base = { p90 = median(p90s), p99 = median(p99s), seconds = #seconds,
                 errors = total > 0 and errors / total or nil, alpha = M.ALPHA }
  if base.p90 then
    for _, s in ipairs(seconds) do
      slow, done = slow + s.histogram:count_above(base.p90), done + s.histogram:count()
    end
    base.slow = done > 0 and slow / done or nil
  end
  return base, seconds
end

-- The second's verdict: nil when it is fine, else the stronger of its two
-- flags {kind, observed, expected, n, p_value}.
local function verdict(s, base, level, factor)
  local flags = {}
  local n = ended(s)
  if base.errors and (s.errors or 0) > 0 then
    flags[#flags + 1] = { kind = "errors", observed = s.errors, n = n,
      expected = n * base.errors, p_value = stats.binomial_tail(s.errors, n, base.errors) }
  end
  local h = s.histogram
  if base.slow and h:count() > 0 and h:percentile(99) > factor * base.p99 then
    local k, d = h:count_above(base.p90), h:count()
    flags[#flags + 1] = { kind = "latency", observed = k, n = d, expected = d * base.slow,
      p_value = stats.binomial_tail(k, d, base.slow) }
  end
  local best
  for _, f in ipairs(flags) do
    if f.p_value < level and (not best or f.p_value < best.p_value
        or f.p_value == best.p_value and f.observed / f.expected > best.observed / best.expected) then
      best = f
    end
  end
  return best
end

local function stronger(a, b)
  return a.p_value < b.p_value
    or a.p_value == b.p_value and a.observed / a.expected > b.observed / b.expected
end

-- Periods {start, end, worst, recovery, p99, errors, kind, observed,
-- expected, count, p_value}: start and end in seconds since the run began
-- (second t covers [t - 1, t)), worst the start of the worst second (its
-- p99, error rate and strongest flag beside), recovery the time from the
-- start to the first of three good seconds after the period (nil: the run
-- ended first). opts.factor (required: the option table's default is the
-- run's), opts.last (the last full second to judge: later ones hold the
-- stragglers of the grace period).
function M.find(series, opts)
  opts = opts or {}
  local factor = assert(opts.factor, "degraded.find: no factor")
  local base, seconds = M.baseline(series, opts.last or math.huge)
  local level = M.ALPHA / (2 * math.max(1, base.seconds))
  local periods, cur, good = {}, nil, 0
  local function close(recovered_at)
    cur.recovery = recovered_at and recovered_at - cur.start or nil
    periods[#periods + 1] = cur
    cur = nil
  end
  for _, s in ipairs(seconds) do
    local v = verdict(s, base, level, factor)
    if v then
      if not cur then cur = { start = s.t - 1 } end
      cur["end"] = s.t
      if not cur.p_value or stronger(v, cur) then
        cur.worst, cur.kind, cur.observed, cur.expected = s.t - 1, v.kind, v.observed, v.expected
        cur.count, cur.p_value = v.n, v.p_value
        cur.p99 = s.histogram:count() > 0 and s.histogram:percentile(99) or nil
        cur.errors = (s.errors or 0) / ended(s)
      end
      good = 0
    elseif cur then
      good = good + 1
      if good == M.GOOD_RUN then close(s.t - M.GOOD_RUN) end
    end
  end
  if cur then close(nil) end
  return periods, base
end

return M
