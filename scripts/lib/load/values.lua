-- The values of load options: durations ("10s", "500ms", "1m30s"), stages
-- ("10s:100,30s:1000"), shards ("2/4"), numbers in a range, and the rate
-- over time they make. Every bad value raises a load failure (M.fail): one
-- line naming the option, and an exit status.
local M = {}

-- A failure the command turns into `load.lua: MESSAGE` and exit `code`.
local Failure = {}
Failure.__index = Failure
Failure.__tostring = function(e) return e.message end

function M.fail(message, code)
  error(setmetatable({ message = message, code = code or 2 }, Failure), 0)
end

function M.is_failure(e) return getmetatable(e) == Failure end

-- Seconds from 10, "10", "10s", "500ms", "2m", "1h", "1m30s"; nil if it
-- does not parse.
local UNITS = { ms = 0.001, s = 1, m = 60, h = 3600, [""] = 1 }
function M.seconds(v)
  if type(v) == "number" then return v end
  if type(v) ~= "string" then return nil end
  local s, total, pos = v:gsub("%s", ""), 0, 1
  if s == "" then return nil end
  while pos <= #s do
    local num, unit, next_pos = s:match("^(%d*%.?%d+)(%a*)()", pos)
    if not num or not UNITS[unit] then return nil end
    if unit == "" and (pos > 1 or next_pos <= #s) then return nil end -- "1m30" is unclear
    total = total + tonumber(num) * UNITS[unit]
    pos = next_pos
  end
  return total
end

-- v as a finite number for which ok(n) holds, or a failure "NAME: expected
-- WHAT, got 'v'".
function M.number(name, v, what, ok)
  local n = tonumber(v)
  if not n or n ~= n or n == math.huge or not ok(n) then
    M.fail(string.format("%s: expected %s, got '%s'", name, what, tostring(v)))
  end
  return n
end

function M.positive(name, v)
  return M.number(name, v, "a number > 0", function(n) return n > 0 end)
end

function M.count(name, v, min)
  local n = M.number(name, v, "an integer >= " .. min,
    function(n) return math.tointeger(n) ~= nil and n >= min end)
  return math.tointeger(n)
end

function M.integer(name, v)
  local n = math.tointeger(tonumber(v))
  if not n then M.fail(string.format("%s: expected an integer, got '%s'", name, tostring(v))) end
  return n
end

function M.duration(name, v)
  local s = M.seconds(v)
  if not s or s ~= s or s <= 0 or s == math.huge then
    M.fail(string.format("%s: expected a duration > 0 like 10, 10s, 500ms or 2m, got '%s'",
      name, tostring(v)))
  end
  return s
end

-- "10s:100,30s:1000,10s:0" (or a list of {duration =, target =}) as a list
-- of {duration = seconds, target = rate}.
function M.stages(v)
  local bad = "--stages: expected DURATION:RATE,... like 10s:100,30s:1000,10s:0, got '"
    .. tostring(v) .. "'"
  local list = {}
  if type(v) == "table" then
    for i, st in ipairs(v) do
      if type(st) ~= "table" then M.fail(bad) end
      list[i] = { duration = st.duration, target = st.target }
    end
  elseif type(v) == "string" then
    for item in (v .. ","):gmatch("([^,]*),") do
      local d, r = item:match("^%s*([^:]+):%s*(.-)%s*$")
      if not d then M.fail(bad) end
      list[#list + 1] = { duration = d, target = r }
    end
  end
  if #list == 0 then M.fail(bad) end
  for i, st in ipairs(list) do
    local d = M.seconds(st.duration)
    local r = tonumber(st.target)
    if not d or d <= 0 or d == math.huge or not r or r < 0 or r == math.huge or r ~= r then
      M.fail(string.format("--stages: stage %d: expected DURATION:RATE with a duration > 0 and "
        .. "a rate >= 0, like 10s:100", i))
    end
    st.duration, st.target = d, r
  end
  return list
end

-- A file or folder the run will read (a certificate, a CA): its name, or a
-- load failure saying why it cannot be read, before the run.
function M.readable(flag, v)
  if type(v) ~= "string" or v == "" then
    M.fail(string.format("%s: expected a file name, got '%s'", flag, tostring(v)))
  end
  local f, err = io.open(v)
  if not f then M.fail(string.format("%s: %s", flag, err)) end
  f:close()
  return v
end

-- "I/N" (or {I, N}) as I, N with 1 <= I <= N; "auto" from the engine's
-- variables (load/shard_auto.lua).
function M.shard(v)
  if v == "auto" then return require("load.shard_auto").resolve(os.getenv) end
  local i, n
  if type(v) == "table" then i, n = math.tointeger(v[1]), math.tointeger(v[2])
  elseif type(v) == "string" then
    local a, b = v:match("^%s*(%d+)%s*/%s*(%d+)%s*$")
    i, n = math.tointeger(tonumber(a)), math.tointeger(tonumber(b))
  end
  if not i or not n or n < 1 or i < 1 or i > n then
    M.fail(string.format("--shard: expected I/N with 1 <= I <= N, like 1/4, got '%s'",
      type(v) == "table" and table.concat(v, "/") or tostring(v)))
  end
  return i, n
end

-- The rate over time of the open model (o.rate, o.stages, o.duration), as
-- points {t =, rate =}.
function M.rate_points(o)
  if not o.stages then
    return { { t = 0, rate = o.rate }, { t = o.duration, rate = o.rate } }
  end
  local points, t = { { t = 0, rate = o.rate or 0 } }, 0
  local any = (o.rate or 0) > 0
  for _, st in ipairs(o.stages) do
    t = t + st.duration
    points[#points + 1] = { t = t, rate = st.target }
    any = any or st.target > 0
  end
  if not any then M.fail("--stages: every rate is 0: no iteration would start") end
  return points
end

-- Descriptors: each iteration in flight holds a connection (and its
-- server end too, when a server.start server runs in this process); a
-- thread needs a few more (epoll, curl's resolver pipes, the scenario's
-- files). descriptors() -> free, the limit, descriptors per iteration.
M.FDS_PER_THREAD, M.FDS_SPARE = 8, 64

function M.descriptors()
  local avail, limit, servers = require("runner").fd_budget()
  return avail, limit, servers > 0 and 2 or 1
end

return M
