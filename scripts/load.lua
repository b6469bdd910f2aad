-- A load test of any Lua scenario: latencies, rates, errors.
--
-- Any scenario (a Lua file returning {setup,
-- iteration, options}) run as a measured load test, closed model (VUs
-- running iterations back to back) or open model (iterations started at a
-- rate), on every core, one shard of many, with percentiles, thresholds
-- and JSON. The work is the `load` module (scripts/lib/load/).
--   dockscript load.lua SCENARIO.lua [OPTIONS] [-- ARGS...]
--   dockscript load.lua --merge A.json B.json ... [--json FILE] [--threshold E]...
local load = require "load"
local fail = load.fail

-- The command -------------------------------------------------------------

local function thresholds_failed(report)
  for _, t in ipairs(report.thresholds or {}) do if not t.ok then return true end end
  return false
end

local function main(argv)
  local cli = require "load.cli"
  local a = cli.parse(argv, fail)
  local report
  if a.merge or a.compare then
    if a.json then load.check_json_target(a.json) end
    if a.junit then load.check_output_target("--junit", a.junit) end
    report = a.merge and load.merge_files(a.merge, a.threshold)
      or load.compare_files(a.compare[1], a.compare[2], a.threshold)
    if a.json then
      local ok, err = load.write_json(report, a.json)
      if not ok then fail("--json " .. a.json .. ": " .. tostring(err), 1) end
    end
    if a.html then load.write_html(report, a.html) end
    if a.junit then load.write_junit(report, a.junit) end
  else
    local spec = cli.spec(a)
    local tty = not spec.quiet and sys.isatty(2)
    report = load.run_spec(spec, tty)
  end
  io.write(load.summary(report))
  io.stdout:flush()
  load.linger()
  -- the summary and the JSON are out; now the verdict
  if report.interrupted then return 130 end
  local why = load.no_success(report)
  if why then fail("no iteration succeeded: " .. why, 1) end
  local typo = require("load.threshold").unknown(report.thresholds)
  if typo then fail(typo, 2) end
  return thresholds_failed(report) and 3 or 0
end

-- A mistake of the user's is one line; anything else is a bug here, and
-- its traceback helps.
local ok, code = xpcall(main, function(e)
  if load.is_failure(e) then return e end
  return debug.traceback(tostring(e), 2)
end, arg)
if not ok then
  io.stdout:flush()
  if load.is_failure(code) then
    io.stderr:write("load.lua: ", code.message, "\n")
    os.exit(code.code)
  end
  io.stderr:write("load.lua: ", tostring(code), "\n")
  os.exit(1)
end
os.exit(code)
