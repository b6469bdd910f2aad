-- load.lua's options: values parsed (durations, stages, shards), the
-- scenario's `options` table merged under the caller's, and the whole set
-- checked and turned into the configuration runner.run takes.
-- Every mistake raises a load error (M.fail): one line and an exit status.
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

local function number_of(name, v, what, ok)
  local n = tonumber(v)
  if not n or n ~= n or n == math.huge or not ok(n) then
    M.fail(string.format("%s: expected %s, got '%s'", name, what, tostring(v)))
  end
  return n
end

local function positive(name, v) return number_of(name, v, "a number > 0", function(n) return n > 0 end) end

local function count(name, v, min)
  local n = number_of(name, v, "an integer >= " .. min,
    function(n) return math.tointeger(n) ~= nil and n >= min end)
  return math.tointeger(n)
end

local function duration(name, v)
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

-- CPUs this process may use (sched_getaffinity: a container's set counts).
function M.cores() return sys.cores() end

-- Descriptors: each iteration in flight holds a connection (and its
-- server end too, when a server.start server runs in this process); a
-- thread needs a few more (epoll, curl's resolver pipes, the scenario's
-- files). Without --max-vus an open run allows 10,000 in flight per shard,
-- fewer where the open-file limit would not hold them. A run that would
-- need more than the limit is refused before it starts (exit 2).
M.DEFAULT_MAX_VUS = 10000
local FDS_PER_THREAD, FDS_SPARE = 8, 64

function M.fit_descriptors(r)
  local avail, limit, servers = require("runner").fd_budget()
  local per_conn = servers > 0 and 2 or 1
  local n = r.shard[2]
  if r.model == "open" and not r.max_vus then
    local fit = (avail - r.threads * FDS_PER_THREAD - FDS_SPARE) // per_conn
    r.max_vus = math.max(1, math.min(fit, M.DEFAULT_MAX_VUS)) * n
  end
  local inflight = math.min((r.model == "open" and r.max_vus or r.vus) // n + 1, 100000)
  local need = inflight * per_conn + r.threads * FDS_PER_THREAD
  if need > avail then
    M.fail(string.format("%d threads with up to %d iterations in flight need about %d open "
      .. "files%s, but only %d of the limit of %d are free; lower --threads or --max-vus/--vus, "
      .. "or raise `ulimit -Hn`", r.threads, inflight, need,
      servers > 0 and " (client and in-process server)" or "", avail, limit), 2)
  end
end

-- The option names a caller may give (spec fields; the command line's
-- --max-vus is max_vus), and the pairs that exclude each other.
M.NAMES = { "vus", "iterations", "duration", "rate", "stages", "max_vus", "threads", "shard",
            "json", "thresholds", "quiet", "grace", "degraded_factor", "seed", "keep_cookies",
            "start_at" }
local OPEN_CLOSED = "--vus and --iterations are the closed model, --rate, --stages and "
  .. "--max-vus the open one"
local CONFLICTS = {
  { "vus", "rate", OPEN_CLOSED }, { "vus", "stages", OPEN_CLOSED },
  { "iterations", "rate", OPEN_CLOSED }, { "iterations", "stages", OPEN_CLOSED },
  { "max_vus", "vus", OPEN_CLOSED }, { "max_vus", "iterations", OPEN_CLOSED },
  { "iterations", "duration", "a closed run ends after its iterations or after a duration" },
  { "duration", "stages", "the stages set the duration" },
}

local function flag(name) return "--" .. name:gsub("_", "-") end

-- The scenario's options under the caller's: the caller's value wins, and
-- where a caller's option excludes one the scenario set (the caller's
-- --vus against the scenario's rate), the scenario's is dropped. Two that
-- exclude each other from the same source are an error.
function M.merge(caller, scenario_opts)
  local known = {}
  for _, k in ipairs(M.NAMES) do known[k] = true end
  local from_scenario = {}
  for k, v in pairs(scenario_opts or {}) do
    local key = type(k) == "string" and k:gsub("-", "_") or k
    if key == "threshold" then key = "thresholds" end
    if not known[key] then
      M.fail(string.format("scenario options: unknown option '%s'", tostring(k)))
    end
    from_scenario[key] = v
  end
  local o = {}
  for k, v in pairs(from_scenario) do o[k] = v end
  for k, v in pairs(caller) do o[k] = v end
  for _, c in ipairs(CONFLICTS) do
    local a, b = c[1], c[2]
    if o[a] ~= nil and o[b] ~= nil then
      local a_caller, b_caller = caller[a] ~= nil, caller[b] ~= nil
      if a_caller == b_caller then
        M.fail(string.format("%s%s and %s cannot be used together: %s",
          a_caller and "" or "scenario options: ", flag(a), flag(b), c[3]))
      end
      if a_caller then o[b] = nil else o[a] = nil end
    end
  end
  -- --rate starts --stages when both come from one place; the caller's
  -- stages are not meant to start from the scenario's constant rate, nor
  -- the caller's rate to start the scenario's stages.
  if caller.stages ~= nil and caller.rate == nil then o.rate = nil end
  if caller.rate ~= nil and caller.stages == nil and from_scenario.stages ~= nil then o.stages = nil end
  -- which of the options in force the scenario gave, for the summary
  o.from_scenario = {}
  for _, k in ipairs(M.NAMES) do
    if caller[k] == nil and from_scenario[k] ~= nil and o[k] ~= nil then
      o.from_scenario[#o.from_scenario + 1] = k
    end
  end
  return o
end

-- The rate over time of the open model, as points {t =, rate =}.
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

-- Checked values of every option (o from M.merge), the model and its
-- numbers filled in; `shard` becomes {I, N}.
function M.resolve(o)
  local r = { quiet = o.quiet and true or false, json = o.json }
  r.shard = { M.shard(o.shard or { 1, 1 }) }
  local n = r.shard[2]
  r.grace = o.grace ~= nil and number_of("grace", o.grace, "a number >= 0",
    function(x) return x >= 0 end) or 30
  if o.rate ~= nil then r.rate = positive("--rate", o.rate) end
  if o.stages ~= nil then r.stages = M.stages(o.stages) end
  if o.duration ~= nil then r.duration = duration("--duration", o.duration) end
  if r.rate or r.stages then
    r.model = "open"
    if not r.stages and not r.duration then
      M.fail("--rate needs --duration (or use --stages): how long should the run last?")
    end
    r.rate_points = M.rate_points(r)
    r.duration = r.rate_points[#r.rate_points].t
    r.max_vus = o.max_vus ~= nil and count("--max-vus", o.max_vus, n) or nil
  else
    r.model = "closed"
    if o.max_vus ~= nil then
      M.fail("--max-vus is for the open model (--rate or --stages): " .. OPEN_CLOSED)
    end
    r.vus = o.vus ~= nil and count("--vus", o.vus, n) or n
    if o.iterations ~= nil then r.iterations = count("--iterations", o.iterations, 1)
    elseif not r.duration then r.iterations = r.vus end
  end
  r.threads = o.threads ~= nil and count("--threads", o.threads, 1) or M.cores()
  -- a closed run has at most one thread per VU of its shard: a thread
  -- without one would leave its share of the iterations undone
  if r.model == "closed" then r.threads = math.min(r.threads, r.vus // n) end
  M.fit_descriptors(r)
  r.degraded_factor = o.degraded_factor ~= nil and number_of("--degraded-factor",
    o.degraded_factor, "a number > 1", function(x) return x > 1 end) or nil
  if o.seed ~= nil then
    r.seed = math.tointeger(tonumber(o.seed))
    if not r.seed then M.fail(string.format("--seed: expected an integer, got '%s'", tostring(o.seed))) end
  end
  if o.keep_cookies ~= nil and type(o.keep_cookies) ~= "boolean" then
    M.fail(string.format("keep_cookies: expected true or false, got '%s'", tostring(o.keep_cookies)))
  end
  r.keep_cookies = o.keep_cookies or false
  if o.start_at ~= nil then r.start_at = require("load.start_at").parse(o.start_at, clock.wall()) end
  r.from_scenario = o.from_scenario
  r.thresholds = o.thresholds
  if type(r.thresholds) == "string" then r.thresholds = { r.thresholds } end
  return r
end

return M
