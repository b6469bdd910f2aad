-- require "load": load tests of any scenario (a Lua file returning {setup, iteration,
-- options}) run as a measured load, in the closed model (VUs running
-- iterations back to back) or the open model (iterations started at a rate),
-- on every core, one shard of many, with percentiles, thresholds and JSON.
--   local load = require "load"; local report = load.run{scenario = "s.lua", vus = 10}
-- The command (dockscript load.lua) is scripts/load.lua.
-- The worker threads are C (the `runner` module); this file checks the
-- options, reads the scenario, and turns the raw result into the report.
local data = require "load.data"
local flows = require "load.flows"
local options = require "load.options"
local report_mod = require "load.report"
local summary = require "load.summary"
local threshold = require "load.threshold"

local load = {}
local fail = options.fail
local serving -- the page servers of the run (--metrics, --dashboard), for load.linger

-- Scenario loading ---------------------------------------------------------

-- A scenario named without a folder that is not here is looked up among
-- the bundled scenarios, then where `require` looks (so `load.lua
-- docking_scenario.lua` works anywhere).
local function find_scenario(path)
  if type(path) ~= "string" or path == "" then fail("no scenario: dockscript load.lua SCENARIO.lua (see --help)") end
  local f, err = io.open(path)
  if f then f:close(); return path end
  if not path:find("/", 1, true) then
    local name = path:gsub("%.lua$", "")
    local found = package.searchpath(name, sys.scripts .. "/scenarios/?.lua;" .. package.path)
    if found then return found end
  end
  fail("scenario " .. tostring(err), 2)
end

local function absolute(path)
  if path:sub(1, 1) == "/" then return path end
  local cwd = sys.cwd()
  return cwd and (cwd .. "/" .. path):gsub("/%./", "/") or path
end

local function first_line(s) return (tostring(s):match("^[^\n]*")) end

-- The scenario table, loaded in this state as the workers will load it:
-- its mistakes are found here, before any thread starts.
local function read_scenario(path)
  local f, err = io.open(path)
  if not f then fail("scenario " .. tostring(err), 2) end
  local ok_read, rerr = f:read(0)
  f:close()
  if ok_read == nil and rerr then fail("scenario " .. path .. ": " .. rerr, 2) end
  local chunk, lerr = loadfile(path)
  if not chunk then fail("scenario " .. first_line(lerr), 1) end
  local ok, sc = pcall(chunk)
  if not ok and options.is_failure(sc) then error(sc, 0) end -- load.data's: exit 2
  if not ok then fail("scenario " .. path .. " raised while loading: " .. first_line(sc), 1) end
  if type(sc) ~= "table" then
    fail(string.format("scenario %s returns %s, not a table {setup =, iteration =, options =}",
      path, sc == nil and "nothing" or "a " .. type(sc)), 1)
  end
  if sc.flows == nil and type(sc.iteration) ~= "function" then
    fail("scenario " .. path .. " has no iteration function (iteration = function(data, i) ... end)", 1)
  end
  if sc.setup ~= nil and type(sc.setup) ~= "function" then
    fail("scenario " .. path .. ": setup is a " .. type(sc.setup) .. ", not a function", 1)
  end
  if sc.options ~= nil and type(sc.options) ~= "table" then
    fail("scenario " .. path .. ": options is a " .. type(sc.options) .. ", not a table", 1)
  end
  return sc
end

-- Checks before the run ----------------------------------------------------

-- An output file (--json, --junit) must be writable where it is going,
-- said before the run.
local function check_output_target(option, path)
  local ok, err = require("cli").check_output(option, path)
  if not ok then fail(err) end
end

local function check_json_target(path) check_output_target("--json", path) end

-- A --html page needs a writable place and Debian's Chart.js: said
-- before the run.
local function check_html_target(path)
  local ok, err = require("cli").check_output("--html", path)
  if not ok then fail(err) end
  local can, why = require("report.html").check()
  if not can then fail("--html: " .. why, 1) end
end

-- The baseline's raw result, read before the run (a bad file is a usage
-- error, found before minutes of load).
local function read_baseline(path)
  local raw, err = report_mod.read(path)
  if not raw then fail("--baseline: " .. err, 2) end
  return raw
end

-- load.run's fields that are not options (load/optable.lua).
local PLUMBING = { scenario = true, args = true, collect = true, progress = true }
-- A page server for --metrics or --dashboard, listening before the run
-- (a port in use is a usage error, said before minutes of load); its
-- address on stderr, where a person or a script finds it.
local function listen(option, addr, path)
  local prom = require "load.prom"
  local s, host = prom.listen(addr, option)
  if not s then fail(host, 2) end
  io.stderr:write(string.format("load.lua: %s at http://%s:%d%s\n", option:sub(3), host, s:port(), path))
  return s
end

-- The options of spec (load.run's fields; the command line's) merged
-- over the scenario's, checked: {o = resolved options, sc = scenario,
-- path = absolute scenario path, thresholds = parsed}.
local function prepare(spec)
  local path = absolute(find_scenario(spec.scenario))
  -- the scenario's own modules first, here and in the workers
  local entry = path:match("^(.*)/[^/]*$") .. "/?.lua;"
  if package.path:sub(1, #entry) ~= entry then package.path = entry .. package.path end
  data.reset()
  local sc = read_scenario(path)
  local caller = options.from_spec(spec, PLUMBING)
  local fl = flows.read(sc, path, fail)
  flows.check_options(fl, caller, sc.options, fail)
  local merged = options.merge(caller, sc.options)
  local o = options.resolve(merged)
  local parsed = threshold.parse_all(o.thresholds, fail)
  flows.check_thresholds(parsed, fl, fail)
  local flow_models, parts
  if fl and fl.kind == "models" then flow_models, parts = flows.resolve(fl, sc, merged, options) end
  if o.json then check_json_target(o.json) end
  local base = o.baseline and read_baseline(o.baseline)
  threshold.need_baseline(parsed, base ~= nil, fail)
  if o.html then check_html_target(o.html) end
  if o.junit then check_output_target("--junit", o.junit) end
  if o.out then check_output_target("--out", o.out) end
  local p = { o = o, sc = sc, path = path, thresholds = parsed, args = spec.args or {},
              limit = data.limit(),
              collect = spec.collect and true or false, baseline = base, html = o.html,
              flows = fl, flow_models = flow_models, parts = parts }
  if o.dashboard then
    local can, why = require("report.html").check()
    if not can then fail("--dashboard: " .. why, 1) end
  end
  if o.metrics then p.metrics = listen("--metrics", o.metrics, "/metrics") end
  if o.dashboard then p.dashboard = listen("--dashboard", o.dashboard, "/") end
  return p
end

-- The spec runner.run takes: the options the table sends to the engine,
-- every one resolved, and what the workers need to load the scenario.
local function config(p, progress)
  local cfg = options.engine(p.o)
  cfg.scenario, cfg.args, cfg.collect, cfg.progress = p.path, p.args, p.collect, progress
  cfg.path, cfg.scripts = package.path, sys.scripts
  cfg.limit = p.limit and p.limit.rows
  if p.flows then cfg.flows, cfg.parts = p.flows.list, p.parts end
  return cfg
end

-- The options as the report records them: with flows of their own model,
-- each flow's.
local function recorded_options(o, flow_models)
  if not flow_models then return options.recorded(o) end
  return { model = "flows", flows = flows.recorded(flow_models), seed = o.seed,
           degraded_factor = o.degraded_factor }
end

-- Progress -------------------------------------------------------------------

-- One line on stderr, rewritten about once a second: elapsed, done per
-- second, in flight, p50/p99 of the last second, errors.
local function progress_line(planned)
  local last_done, last_t = 0, 0
  return function(p)
    if p.setup then -- before the run: what setup waits for (Ctrl-C ends it)
      io.stderr:write(string.format("\rsetup: %ds%s\27[K", math.floor(p.elapsed + 0.5),
        p.waiting and ", waiting for " .. p.waiting or ""))
      io.stderr:flush()
      return
    end
    local dt = (p.elapsed or 0) - last_t
    local rate = dt > 0 and ((p.done or 0) - last_done) / dt or 0
    last_done, last_t = p.done or 0, p.elapsed or 0
    io.stderr:write(string.format("\r%ds%s  %s done/s  %s in flight  p50 %s  p99 %s  %s errors\27[K",
      math.floor((p.elapsed or 0) + 0.5), planned and string.format("/%gs", planned) or "",
      summary.count(math.floor(rate + 0.5)), summary.count(p.inflight or 0), summary.time(p.p50),
      summary.time(p.p99), summary.count(p.errors or p.failed or 0)))
    io.stderr:flush()
  end
end

-- Running --------------------------------------------------------------------

-- The report of a raw result, compared with the baseline's when there is
-- one, with the thresholds checked.
local function finish(raw, parsed, base)
  local report = report_mod.build(raw)
  report.date = os.date("!%Y-%m-%dT%H:%M:%SZ")
  report.version, report.host = sys.version, sys.hostname()
  if base then report.comparison = require("load.compare").reports(base, raw) end
  report.thresholds = threshold.check(parsed, report, report_mod.histograms(raw))
  if #report.thresholds == 0 then report.thresholds = nil end
  return report
end

-- A setup that ended after --start-at started this shard late: said, since
-- --merge then places its seconds by the wall clock, after the others'.
local function late_start(start_at, start)
  if start_at and start and start - start_at > require("load.start_at").PAST_SLACK then
    io.stderr:write(string.format("load.lua: started %.1f s after --start-at: setup took until "
      .. "then\n", start - start_at))
  end
end

-- The --out stream's writer (load/stream.lua), its header written.
local function open_stream(p)
  local o = p.o
  local w, err = require("load.stream").writer(o.out, {
    scenario = p.path:match("[^/]*$"), args = p.args, model = p.flow_models and "flows" or o.model,
    options = recorded_options(o, p.flow_models), shard = o.shard, threads = o.threads,
    date = os.date("!%Y-%m-%dT%H:%M:%SZ") })
  if not w then fail("--out " .. o.out .. ": " .. tostring(err), 2) end
  return w
end

-- One raw result per worker thread, merged as shards are.
local function execute(p, show_progress)
  local runner = require "runner"
  local progress = show_progress and progress_line(p.o.model == "open" and p.o.duration) or nil
  local cfg = config(p, progress)
  local stream = p.o.out and open_stream(p)
  local export = p.metrics and require("load.prom").exporter(p.metrics)
  local dash = p.dashboard and require("load.dashboard").new(p.dashboard, {
    scenario = p.path:match("[^/]*$"), args = p.args, model = p.o.model,
    options = recorded_options(p.o, p.flow_models), shard = p.o.shard, threads = p.o.threads })
  if stream or export or dash then
    cfg.live = function(fragments, elapsed, final, inflight)
      if p.flows then
        for _, f in ipairs(fragments) do flows.run_tags(f, report_mod) end
      end
      if stream then stream.live(fragments, elapsed, final) end
      if export then export(fragments, elapsed, final, inflight) end
      if dash then dash.live(fragments, elapsed, final) end
      -- the deltas' histograms are C memory the collector does not see
      -- (a few MB a second): collected here, else they pile up
      collectgarbage()
    end
  end
  local result, err, code = runner.run(cfg)
  if progress then io.stderr:write("\r\27[K") end
  if not result then fail(first_line(err), code) end
  if stream then stream.close(result.interrupted) end
  for _, t in ipairs(result.threads) do flows.split(t, report_mod) end
  local raw = report_mod.merge(result.threads)
  for _, t in ipairs(result.threads) do
    if t.ran_out then raw.data_ran_out = { data = p.limit.name, rows = p.limit.rows } end
  end
  raw.scenario = p.path:match("[^/]*$")
  raw.args = p.args
  raw.options = recorded_options(p.o, p.flow_models)
  if p.flow_models then raw.model = "flows" end
  raw.interrupted = result.interrupted or nil
  raw.start = result.start
  late_start(p.o.start_at, result.start)
  local report = finish(raw, p.thresholds, p.baseline)
  if dash then dash.finish(report) end
  return report, raw
end

-- JUnit XML of the thresholds and checks, for CI systems' test reports.
local function write_junit(report, path)
  local ok, err = require("cli").write_file(path, require("load.junit").text(report))
  if not ok then fail("--junit " .. path .. ": " .. tostring(err), 1) end
end

local function write_html(report, path)
  local ok, err = require("report.html").write(report, path, { source = report.scenario })
  if not ok then fail("--html " .. path .. ": " .. tostring(err), 1) end
end

-- Runs spec (the options as fields, `scenario` a path, `args` the
-- scenario's words, `collect` to get iterations' return values in
-- report.results) and returns the report; writes spec.json if given.
-- Raises a one-line error for any mistake.
local function run(spec, show_progress)
  local p = prepare(spec)
  serving = { p.metrics, p.dashboard, linger = p.o.linger or 0 }
  local report, raw = execute(p, show_progress)
  if p.o.json then
    local ok, err = report_mod.write(report, p.o.json)
    if not ok then fail("--json " .. p.o.json .. ": " .. tostring(err), 1) end
  end
  if p.html then write_html(report, p.html) end
  if p.o.junit then write_junit(report, p.o.junit) end
  return report, raw
end

-- After the run and its output: --dashboard and --metrics stay up
-- --linger seconds (a person reads the final page, Prometheus scrapes the
-- last figures), then stop.
function load.linger()
  local s = serving
  serving = nil
  if not s or not (s[1] or s[2]) then return end
  if s.linger > 0 then
    io.stderr:write(string.format("load.lua: serving the final figures for %gs (Ctrl-C ends it)\n", s.linger))
    pcall(clock.sleep, s.linger)
  end
  for i = 1, 2 do if s[i] then s[i]:stop() end end
end

function load.run(spec)
  if type(spec) ~= "table" then error("load.run: expected a table {scenario = PATH, ...}", 2) end
  local ok, report, raw = pcall(run, spec, spec.progress)
  if not ok then error(options.is_failure(report) and report.message or report, 0) end
  return report, raw
end

-- A run against a baseline, both from their files: the run's report with
-- the comparison, relative thresholds checked (absolute ones too).
local function compare_files(base_path, run_path, thresholds)
  local parsed = threshold.parse_all(thresholds, fail)
  local base = read_baseline(base_path)
  local raw, err = report_mod.read(run_path)
  if not raw then fail("--compare: " .. err, 2) end
  return finish(raw, parsed, base)
end

-- The merged report of shard files (paths), thresholds checked.
local function merge_files(paths, thresholds)
  local parsed = threshold.parse_all(thresholds, fail)
  local raws = {}
  for i, path in ipairs(paths) do
    local raw, err = require("load.stream").read(path)
    if not raw then fail("--merge: " .. err, 2) end
    raws[i] = raw
  end
  local why = report_mod.check_merge(raws, paths)
  if why then fail("--merge: " .. why, 2) end
  local merged = report_mod.merge_shards(raws)
  for _, l in ipairs(merged.late) do
    io.stderr:write(string.format("load.lua: shard %d/%d started %d s after the first: its seconds "
      .. "are placed by the wall clock\n", l[1][1], l[1][2], l[2]))
  end
  local n = raws[1].shard[2]
  if not merged.shard then
    io.stderr:write(string.format("load.lua: merging %d of %d shards: the figures cover only those\n",
      #raws, n))
  end
  return finish(merged, parsed)
end

function load.merge(paths, thresholds)
  local ok, report = pcall(merge_files, paths, thresholds)
  if not ok then error(options.is_failure(report) and report.message or report, 0) end
  return report
end

-- require("load").data(SOURCE [, {strategy =, format =}]): load/data.lua
load.data = data.open
load.summary = summary.text
load.write_json = report_mod.write
load.read_json = report_mod.read

-- Why a report shows no successful iteration (the first failure, or what
-- kept iterations from running), or nil when one succeeded.
function load.no_success(report)
  local it = report.iterations
  if it.done > 0 then return nil end
  local first = report.errors and report.errors[1]
  if first then return first.message end
  if it.dropped > 0 then
    return string.format("%d dropped: every slot (--max-vus) was busy", it.dropped)
  end
  return "none started"
end

load.is_failure = options.is_failure
load.fail = fail
load.run_spec = run
load.merge_files = merge_files
load.compare_files = compare_files
load.write_html = write_html
load.write_junit = write_junit
load.check_json_target = check_json_target
load.check_output_target = check_output_target

return load
