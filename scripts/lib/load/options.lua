-- load.lua's options: the caller's (command line or load.run{}) merged
-- over the scenario's `options`, resolved through the option table
-- (load/optable.lua), and checked as a whole. Every mistake raises a load
-- error (M.fail): one line and an exit status.
local values = require "load.values"
local optable = require "load.optable"

local M = {}

M.fail, M.is_failure = values.fail, values.is_failure
M.seconds, M.stages, M.shard, M.rate_points = values.seconds, values.stages, values.shard,
  values.rate_points
M.DEFAULT_MAX_VUS = optable.row("max_vus").cap

-- The names a caller may give: every option that is not derived.
M.NAMES = {}
for _, row in ipairs(optable.rows) do
  if not row.derived then M.NAMES[#M.NAMES + 1] = row.name end
end

-- The row a caller's or a scenario's key names ("max_vus", "max-vus",
-- "threshold"), or nil.
local function row_of(key)
  if type(key) ~= "string" then return nil end
  local row = optable.row(key) or optable.row((key:gsub("-", "_")))
  if not row then
    for _, r in ipairs(optable.rows) do if r.alias == key then row = r end end
  end
  if row and row.derived then return nil end
  return row
end

-- " (did you mean 'x'?)" for a key near one of names.
local function did_you_mean(key, names)
  local near = require("cli").nearest(tostring(key), names)
  return near and string.format("; did you mean '%s'?", near) or ""
end

-- The scenario's options as {name = value}: a key that is no option, or
-- an option a scenario may not set, is one line.
local function scenario_options(opts)
  local out, settable = {}, {}
  for _, row in ipairs(optable.rows) do
    if not row.derived and row.scenario ~= false then settable[#settable + 1] = row.name end
  end
  for k, v in pairs(opts or {}) do
    local row = row_of(k)
    if not row then
      M.fail(string.format("scenario options: unknown option '%s'%s", tostring(k),
        did_you_mean(k, settable)))
    end
    if row.scenario == false then
      M.fail(string.format("scenario options: '%s' is not for a scenario: give %s on the "
        .. "command line", tostring(k), row.flag))
    end
    out[row.name] = v
  end
  return out
end

-- The options of a load.run spec (or the command line's) by name; a key
-- that is neither an option nor one of load.run's own fields (`plumbing`)
-- is one line.
function M.from_spec(spec, plumbing)
  local caller = {}
  for k, v in pairs(spec) do
    local row = row_of(k)
    if row then
      caller[row.name] = v
    elseif not plumbing[k] then
      local names = {}
      for _, n in ipairs(M.NAMES) do names[#names + 1] = n end
      for n in pairs(plumbing) do names[#names + 1] = n end
      M.fail(string.format("load.run: unknown field '%s'%s", tostring(k), did_you_mean(k, names)))
    end
  end
  return caller
end

-- The scenario's options under the caller's: the caller's value wins, and
-- where a caller's option excludes one the scenario set (the caller's
-- --vus against the scenario's rate), the scenario's is dropped. Two that
-- exclude each other from the same source are an error.
function M.merge(caller, scenario_opts)
  local from_scenario = scenario_options(scenario_opts)
  local o = {}
  for k, v in pairs(from_scenario) do o[k] = v end
  for k, v in pairs(caller) do o[k] = v end
  for _, row in ipairs(optable.rows) do
    for _, x in ipairs(row.excludes or {}) do
      local a, b = row.name, x[1]
      if o[a] ~= nil and o[b] ~= nil then
        local a_caller, b_caller = caller[a] ~= nil, caller[b] ~= nil
        if a_caller == b_caller then
          M.fail(string.format("%s%s and %s cannot be used together: %s",
            a_caller and "" or "scenario options: ", row.flag, optable.row(b).flag, x[2]))
        end
        if a_caller then o[b] = nil else o[a] = nil end
      end
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

-- A run that would need more descriptors than the limit leaves is refused
-- before it starts (exit 2).
local function check_descriptors(r)
  local avail, limit, per_conn = values.descriptors()
  local n = r.shard[2]
  local inflight = math.min((r.model == "open" and r.max_vus or r.vus) // n + 1, 100000)
  local need = inflight * per_conn + r.threads * values.FDS_PER_THREAD
  if need > avail then
    M.fail(string.format("%d threads with up to %d iterations in flight need about %d open "
      .. "files%s, but only %d of the limit of %d are free; lower --threads or --max-vus/--vus, "
      .. "or raise `ulimit -Hn`", r.threads, inflight, need,
      per_conn > 1 and " (client and in-process server)" or "", avail, limit), 2)
  end
end

-- Checked values of every option (o from M.merge), the model and its
-- numbers filled in; `shard` is {I, N}.
function M.resolve(o)
  local r = optable.resolve(o)
  check_descriptors(r)
  r.from_scenario = o.from_scenario
  return r
end

-- The options as the JSON records them.
function M.recorded(r)
  local out = optable.pick(r, "record")
  out.from_scenario = r.from_scenario and #r.from_scenario > 0 and r.from_scenario or nil
  return out
end

-- The options runner.run takes.
function M.engine(r) return optable.pick(r, "engine") end

return M
