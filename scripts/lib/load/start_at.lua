-- --start-at TIME: the wall-clock instant a run starts at, after its
-- setup, so that shards on several machines start their seconds together.
-- TIME is epoch seconds (1796544000, 1796544000.5) or RFC 3339
-- (2026-12-06T08:00:00Z, with a fraction or an offset like +01:00).
local M = {}

-- A start this far in the past is a mistake (a stale time in a script),
-- not the small lag of a process that started late.
M.PAST_SLACK = 1

local function fail(message) require("load.options").fail("--start-at: " .. message, 2) end

-- Days from 1970-01-01 to year-month-day of the proleptic Gregorian
-- calendar (no time zone involved, unlike os.time).
local function days(y, m, d)
  y = m <= 2 and y - 1 or y
  local era = y // 400
  local yoe = y - era * 400
  local doy = (153 * (m + (m > 2 and -3 or 9)) + 2) // 5 + d - 1
  return era * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719468
end

local function rfc3339(s)
  local y, mo, d, h, mi, sec, frac, zone = s:match(
    "^(%d%d%d%d)%-(%d%d)%-(%d%d)[Tt ](%d%d):(%d%d):(%d%d)(%.?%d*)(.*)$")
  if not y then return nil end
  y, mo, d, h, mi, sec = tonumber(y), tonumber(mo), tonumber(d), tonumber(h), tonumber(mi), tonumber(sec)
  if mo < 1 or mo > 12 or d < 1 or d > 31 or h > 23 or mi > 59 or sec > 60 then return nil end
  if frac == "." then return nil end
  local offset = 0
  if zone ~= "Z" and zone ~= "z" then
    local sign, oh, om = zone:match("^([+-])(%d%d):(%d%d)$")
    if not sign then return nil end
    offset = (tonumber(oh) * 3600 + tonumber(om) * 60) * (sign == "-" and -1 or 1)
  end
  return days(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec + (tonumber(frac ~= "" and frac) or 0)
    - offset
end

-- TIME as epoch seconds, or nil when it is neither form.
function M.epoch(v)
  if type(v) == "number" then return v end
  if type(v) ~= "string" then return nil end
  if v:match("^%s*%d+%.?%d*%s*$") then return tonumber(v) end
  return rfc3339(v)
end

-- The checked start (epoch seconds) of --start-at v; now: clock.wall().
function M.parse(v, now)
  local t = M.epoch(v)
  if not t or t ~= t or t == math.huge then
    fail(string.format("expected epoch seconds or an RFC 3339 time like 2026-12-06T08:00:00Z, "
      .. "got '%s'", tostring(v)))
  end
  if t < now - M.PAST_SLACK then
    fail(string.format("%s is %.1f s in the past (now is %s)", tostring(v), now - t,
      os.date("!%Y-%m-%dT%H:%M:%SZ", math.floor(now))))
  end
  return t
end

return M
