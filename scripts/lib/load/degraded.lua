-- Degraded periods of a run, from its own series against any server: the
-- seconds whose chain p99 or error rate exceed the run's baseline (its
-- median second) by a factor, merged into periods with their start, end,
-- worst second and recovery time. A series second holds the iterations
-- that started in it, so a fault shows where it began.
--   local degraded = require "load.degraded"
--   local periods, baseline = degraded.find(series, {factor = 2, last = 60})
local M = {}

-- An error rate this low never makes a second degraded on its own: with a
-- baseline of no errors at all, one failed iteration in a second would.
M.ERROR_FLOOR = 0.01
-- A period ends at the first of this many good seconds in a row.
M.GOOD_RUN = 3

local function median(list)
  if #list == 0 then return nil end
  table.sort(list)
  local mid = (#list + 1) // 2
  return #list % 2 == 1 and list[mid] or (list[mid] + list[mid + 1]) / 2
end

local function error_rate(s)
  local ended = (s.iterations or 0) + (s.errors or 0)
  return ended > 0 and (s.errors or 0) / ended or nil
end

-- The median second: its p99 (of seconds with a done iteration) and its
-- error rate (of seconds where an iteration ended).
function M.baseline(series, last)
  local p99s, rates = {}, {}
  for _, s in ipairs(series) do
    if s.t <= last then
      if s.p99 then p99s[#p99s + 1] = s.p99 end
      local e = error_rate(s)
      if e then rates[#rates + 1] = e end
    end
  end
  return { p99 = median(p99s), errors = median(rates) }
end

-- How far beyond its limits a second is (> 1: degraded), or nil when no
-- iteration started in it.
local function badness(s, base, factor)
  local e = error_rate(s)
  if not e then return nil end
  local worst = 0
  if s.p99 and base.p99 and base.p99 > 0 then worst = s.p99 / (factor * base.p99) end
  local limit = math.max(factor * (base.errors or 0), M.ERROR_FLOOR)
  return math.max(worst, e / limit)
end

-- Periods {start, end, worst, recovery, p99, errors}: start and end in
-- seconds since the run began (second t covers [t - 1, t)), worst the start
-- of the worst second (its p99 and error rate beside), recovery the time
-- from the start to the first of three good seconds after the period (nil:
-- the run ended first). opts.factor (required), opts.last (the last full
-- second to judge: later ones hold the stragglers of the grace period).
function M.find(series, opts)
  opts = opts or {}
  local factor = assert(opts.factor, "degraded.find: no factor")
  local last = opts.last or #series
  local base = M.baseline(series, last)
  local periods, cur, good = {}, nil, 0
  local function close(recovered_at)
    cur.recovery = recovered_at and recovered_at - cur.start or nil
    periods[#periods + 1] = cur
    cur = nil
  end
  for _, s in ipairs(series) do
    if s.t > last then break end
    local b = badness(s, base, factor)
    if b and b > 1 then
      if not cur then cur = { start = s.t - 1, worst_badness = 0 } end
      cur["end"] = s.t
      if b > cur.worst_badness then
        cur.worst_badness, cur.worst, cur.p99, cur.errors = b, s.t - 1, s.p99, error_rate(s)
      end
      good = 0
    elseif cur and b then
      good = good + 1
      if good == M.GOOD_RUN then close(s.t - M.GOOD_RUN) end
    end
  end
  if cur then close(nil) end
  for _, p in ipairs(periods) do p.worst_badness = nil end
  return periods, base
end

return M
