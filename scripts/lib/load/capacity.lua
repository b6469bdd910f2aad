-- The capacity knee of a ramp (--stages): the highest scheduled rate at
-- which the system still kept up, judged second by second from the run's
-- own series. A second keeps up when
--   - achieved >= 99% of scheduled: the iterations that started in it
--     against those the ramp made due in it (the rest were dropped), give
--     or take one at its edges;
--   - Little's law holds within 10%: its mean in-flight count against the
--     rate times the mean chain latency (a growing queue breaks it first:
--     the iterations started now wait longer than those still in flight);
--   - its chain p99 is at most 2x the first stage's.
-- The knee is the peak scheduled rate reached by the end of the last second
-- that kept up before the first two in a row that did not: a ramp up to
-- 50/s and down again that kept up reports 50/s, not the mean rate of its
-- busiest whole second (37.5/s).
--   local capacity = require "load.capacity"
--   local c = capacity.knee(raw_series, rate_points, {last = 40})
local M = {}

M.ACHIEVED = 0.99
M.LITTLE = 0.10
M.P99_FACTOR = 2
M.BAD_RUN = 2

-- Iterations scheduled in [0, t] by a piecewise-linear rate.
local function arrivals(points, t)
  local total = 0
  for k = 1, #points - 1 do
    local a, b = points[k], points[k + 1]
    if t <= a.t then break end
    local dt = b.t - a.t
    local x = math.min(t, b.t) - a.t
    local slope = dt > 0 and (b.rate - a.rate) / dt or 0
    total = total + a.rate * x + slope * x * x / 2
  end
  return total
end

-- The scheduled rate at t, and the highest it reached in [0, t] (a
-- piecewise-linear rate peaks at one of its points or at t).
local function rate_at(points, t)
  for k = 1, #points - 1 do
    local a, b = points[k], points[k + 1]
    if t <= b.t then
      return b.t > a.t and a.rate + (b.rate - a.rate) * (t - a.t) / (b.t - a.t) or b.rate
    end
  end
  return points[#points].rate
end

local function peak(points, t)
  local best = rate_at(points, t)
  for _, p in ipairs(points) do
    if p.t <= t and p.rate > best then best = p.rate end
  end
  return best
end

-- The iterations the schedule made due in [t - 1, t): iteration i is due
-- once i - 1 arrivals were scheduled (the runner's rule), so a second of
-- 10.3 arrivals holds 10 or 11 of them, never 10.3.
local function due_in(points, t)
  return math.ceil(arrivals(points, t) - 1e-9) - math.ceil(arrivals(points, t - 1) - 1e-9)
end

-- Why second s did not keep up, or nil.
local function judge(s, due, base_p99)
  local started = s.iterations + s.errors
  if due > 0 and started + 1 < M.ACHIEVED * due then
    return string.format("achieved %.1f%% of the %d iterations due in it", 100 * started / due, due)
  end
  local h = s.histogram
  if h:count() > 0 then
    local expected = started * h:mean()
    if expected >= 1 and math.abs(s.inflight - expected) > M.LITTLE * expected then
      return string.format("in flight %.1f against rate x latency %.1f (Little's law)", s.inflight,
        expected)
    end
    local p99 = h:percentile(99)
    if base_p99 and p99 > M.P99_FACTOR * base_p99 then
      return string.format("p99 %.3gs above %gx the first stage's %.3gs", p99, M.P99_FACTOR, base_p99)
    end
  end
  return nil
end

-- {knee_rate, at, reason, baseline_p99}: knee_rate the peak scheduled rate
-- reached by the end of the last second that kept up (at: that second's
-- start), reason what the first bad second after it broke (nil: the whole
-- ramp kept up). series: raw seconds
-- {t, iterations, errors, inflight, histogram}; points: the rate points
-- {t, rate}; opts.first (the first stage's seconds), opts.last (the last
-- full second of the schedule).
function M.knee(series, points, opts)
  local last = math.min(opts.last or #series, #series)
  local first = math.max(1, math.min(opts.first or 1, last))
  local base = metrics.histogram(2)
  for t = 1, first do base:merge(series[t].histogram) end
  local base_p99 = base:count() > 0 and base:percentile(99) or nil
  local knee, bad, reason
  for t = 1, last do
    local s = series[t]
    local why = judge(s, due_in(points, t), base_p99)
    if not why then
      knee = { rate = peak(points, t), at = t - 1 }
      bad, reason = 0, nil
    else
      bad = (bad or 0) + 1
      reason = reason or why
      if bad >= M.BAD_RUN and knee then break end
    end
  end
  if not knee then return nil end
  return { knee_rate = knee.rate, at = knee.at, reason = bad and bad >= M.BAD_RUN and reason or nil,
           baseline_p99 = base_p99 }
end

M.arrivals, M.peak, M.due_in = arrivals, peak, due_in

return M
