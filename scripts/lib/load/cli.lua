-- load.lua's command line, parsed by lua-argparse (Debian lua-argparse):
-- a usage error is one line, `load.lua: MESSAGE (see --help)`, exit 2.
local M = {}

local options_fail = function(message) error(message, 0) end

-- Every run option is a row of the option table (its flag, argument,
-- help and default); this file adds only the scenario and the modes.
local optable = require "load.optable"

local function flags(rows)
  local out = {}
  for _, row in ipairs(rows) do
    if row.cli ~= false and not row.derived then out[#out + 1] = row end
  end
  return out
end
local FLAGS = flags(optable.rows)

local EPILOG = [[
A scenario is a Lua file returning {setup = function(args) ... end (optional),
iteration = function(data, i) ... end, options = {rate = 100, duration = 10}
(optional defaults; the command line wins)}. ARGS after -- go to setup.
Instead of iteration, flows = {NAME = {iteration = fn, weight = 9}, ...}
(each iteration picks one by weight, from (seed, i)) or flows with their own
model ({iteration = fn, rate = 5, duration = "1m", start = "30s"}).

Thresholds: METRIC:STAT OP VALUE, METRIC chain, start_lag, flow:NAME or a
request tag (GET /users), STAT count, rate, min, mean, max or pNN (p95, p99.9), times in
s, ms or us; or errors (failed / (done + failed), as % or a fraction),
dropped, failed, done, rate. OP < <= > >= ==. Examples: chain:p99<1.2s,
"GET /users:p95<300ms", errors<0.1%, dropped<=0, rate>=990.

Ctrl-C stops new iterations and lets those in flight finish (a second
cancels them); the summary and --json of what ran are written, exit 130.

Exit status: 0 done, 1 runtime error (scenario or setup failed, or no
iteration succeeded), 2 usage error, 3 a threshold failed, 130 interrupted.]]

-- "  docking_scenario.lua  options: duration = 10, rate = 10" for each
-- bundled scenario: a scenario's options are defaults the command line
-- overrides, and a user should know they are there.
local function bundled_scenarios()
  local dir = sys.scripts .. "/scenarios"
  local lines = {}
  for _, name in ipairs(sys.dir(dir) or {}) do
    if name:match("%.lua$") then
      local chunk = loadfile(dir .. "/" .. name)
      local ok, sc = pcall(chunk or error)
      local opts = {}
      if ok and type(sc) == "table" and type(sc.options) == "table" then
        for k, v in pairs(sc.options) do opts[#opts + 1] = string.format("%s = %s", k, tostring(v)) end
      end
      table.sort(opts)
      lines[#lines + 1] = string.format("  %-22s %s", name,
        #opts > 0 and "options: " .. table.concat(opts, ", ") or "no options of its own")
    end
  end
  if #lines == 0 then return "" end
  return "\n\nBundled scenarios (found by bare name; their options are defaults that the\n"
    .. "command line overrides, and the summary's first line names those in force):\n"
    .. table.concat(lines, "\n")
end

-- "--json, --html, --threshold and --quiet": the options --merge and
-- --compare take.
function M.merge_flags()
  local list = {}
  for _, row in ipairs(FLAGS) do if row.with_merge then list[#list + 1] = row.flag end end
  return table.concat(list, ", ", 1, #list - 1) .. " and " .. list[#list]
end

-- The parsed value of row's flag (argparse's key: the flag's name with
-- "_" for "-"), nil when not given.
local function given(a, row)
  local v = a[row.alias:gsub("-", "_")]
  if row.repeatable and type(v) == "table" and #v == 0 then return nil end
  if v == false then return nil end
  return v
end

function M.parser()
  local ok, argparse = pcall(require, "argparse")
  if not ok then
    options_fail("needs lua-argparse: apt-get install lua-argparse (or tools/deps.sh)", 1)
  end
  local p = argparse("dockscript load.lua",
    "Runs SCENARIO.lua as a load test and prints its latencies, rates and errors.",
    EPILOG .. bundled_scenarios())
    :help_max_width(79)
  p:usage("Usage: dockscript load.lua SCENARIO.lua [OPTIONS] [-- ARGS...]\n"
    .. "       dockscript load.lua --merge A.json B.json ... [--json FILE] [--threshold E]...")
  p:argument("scenario", "The scenario file (also looked up among the bundled scripts).")
    :args("?"):argname("SCENARIO.lua")
  for _, row in ipairs(FLAGS) do
    if not row.arg then
      p:flag(row.flag, optable.help(row))
    else
      local o = p:option(row.flag, optable.help(row)):argname(row.arg)
      if row.repeatable then o:count("*") end
    end
  end
  p:option("--merge", "Print the summary of shard files A.json B.json ... as one run "
    .. "(with " .. M.merge_flags() .. ").")
    :args("+"):argname("FILE")
  p:option("--compare", "Print the comparison of RUN.json with BASE.json (with "
    .. M.merge_flags() .. "), without running anything.")
    :args(2):argname({ "BASE.json", "RUN.json" })
  return p
end

-- The parsed command line: argparse's result, plus `args` (the words after
-- `--`). fail(message, code) reports a usage error.
function M.parse(argv, fail)
  options_fail = fail
  local before, after = {}, {}
  local target = before
  for i = 1, #argv do
    if target == before and argv[i] == "--" then target = after else target[#target + 1] = argv[i] end
  end
  local ok, a = M.parser():pparse(require("cli").glue_negatives(before))
  if not ok then
    fail(tostring(a):gsub("\nDid you mean", "; did you mean") .. " (see --help)", 2)
  end
  a.args = after
  if a.merge and a.compare then fail("--merge and --compare cannot be used together (see --help)", 2) end
  if a.merge or a.compare then
    local mode = a.merge and "--merge" or "--compare"
    local extra = a.scenario and "a scenario" or #after > 0 and "scenario arguments"
    for _, row in ipairs(FLAGS) do
      if not row.with_merge and given(a, row) ~= nil then extra = extra or row.flag end
    end
    if extra then
      fail(mode .. " takes only " .. M.merge_flags() .. ", not " .. extra .. " (see --help)", 2)
    end
  elseif not a.scenario and not a.compare then
    fail("no scenario: dockscript load.lua SCENARIO.lua [OPTIONS] (see --help)", 2)
  end
  return a
end

-- load.run's spec from the parsed command line: only what was given, so
-- the scenario's options fill the rest.
function M.spec(a)
  local spec = { scenario = a.scenario, args = a.args }
  for _, row in ipairs(FLAGS) do spec[row.name] = given(a, row) end
  return spec
end

return M
