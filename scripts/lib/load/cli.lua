-- load.lua's command line, parsed by lua-argparse (Debian lua-argparse):
-- a usage error is one line, `load.lua: MESSAGE (see --help)`, exit 2.
local M = {}

local options_fail = function(message) error(message, 0) end

local VALUE_OPTIONS = {
  { "--vus", "N", "Closed model: N virtual users, each running iterations back to back." },
  { "--iterations", "K", "Closed model: K iterations shared by the VUs (default: one per VU)." },
  { "--duration", "S", "How long to run: 10, 10s, 500ms, 2m, 1m30s. Closed model: instead of "
    .. "--iterations; open model with --rate." },
  { "--rate", "R", "Open model: R iterations started per second (with --duration), or the "
    .. "starting rate of --stages (default 0)." },
  { "--stages", "LIST", "Open model: rate ramps linearly to each target over each duration, "
    .. "e.g. 10s:100,30s:1000,10s:0." },
  { "--max-vus", "M", "Open model: at most M iterations in flight; one due beyond that is "
    .. "dropped and counted (default 10000 per shard, fewer if the open-file limit "
    .. "would not hold them)." },
  { "--threads", "T", "Worker threads, each with its own Lua state (default: the number of "
    .. "cores)." },
  { "--shard", "I/N", "Run the I-th of N interleaved shares of the run (iterations i with "
    .. "(i - 1) % N == I - 1, rate / N, VUs / N)." },
  { "--json", "FILE", "Write every figure, with mergeable histograms, to FILE." },
  { "--seed", "S", "Replay: each iteration's math.random is seeded from (S, its number), so "
    .. "the same requests go out in any number of threads or shards." },
  { "--degraded-factor", "F", "A second flagged as slow (significantly more iterations slower "
    .. "than the typical p90) is degraded only when its p99 also exceeds F times the typical "
    .. "second's (default 2)." },
}

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
  for _, o in ipairs(VALUE_OPTIONS) do p:option(o[1], o[3]):argname(o[2]) end
  p:option("--threshold", "Fail (exit 3) unless E holds, e.g. chain:p99<1.2s. Repeatable.")
    :argname("E"):count("*")
  p:flag("--quiet", "No progress line (shown once a second when stderr is a terminal).")
  p:option("--merge", "Print the summary of shard files A.json B.json ... as one run "
    .. "(with --json, --html, --threshold).")
    :args("+"):argname("FILE")
  p:option("--html", "Write the report as one HTML page (works offline) to FILE."):argname("FILE")
  p:option("--baseline", "Compare the run with BASE.json (an earlier --json): p50/p90/p99 "
    .. "then and now, what changed significantly; relative thresholds (chain:p99<+10%).")
    :argname("BASE.json")
  p:option("--compare", "Print the comparison of RUN.json with BASE.json (with --threshold, "
    .. "--json, --html), without running anything.")
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
      or a.baseline and "--baseline"
    for _, o in ipairs(VALUE_OPTIONS) do
      local key = o[1]:sub(3):gsub("-", "_")
      if key ~= "json" and a[key] ~= nil then extra = extra or o[1] end
    end
    if extra then
      fail(mode .. " takes only --json, --html, --threshold and --quiet, not " .. extra .. " (see --help)", 2)
    end
  elseif not a.scenario and not a.compare then
    fail("no scenario: dockscript load.lua SCENARIO.lua [OPTIONS] (see --help)", 2)
  end
  return a
end

-- load.run's spec from the parsed command line: only what was given, so
-- the scenario's options fill the rest.
function M.spec(a)
  local spec = { scenario = a.scenario, args = a.args, quiet = a.quiet or nil }
  for _, o in ipairs(VALUE_OPTIONS) do
    local key = o[1]:sub(3):gsub("-", "_")
    spec[key] = a[key]
  end
  if #a.threshold > 0 then spec.thresholds = a.threshold end
  spec.html, spec.baseline = a.html, a.baseline
  return spec
end

return M
