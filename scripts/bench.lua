-- The experiment: chained lookups, one by one and concurrently.
-- The experiment: chained lookups run sequentially, then concurrently with
-- http.map, against the Docking API; prints the original's lines, the
-- speedup, the ideal times and how close the runs came to them.
--   dockscript bench.lua --help
local docking = require "docking"
local cli = require "cli"

-- --delay: seconds, or a distribution SPEC as `dockscript serve --delay`
-- takes it (uniform:A,B, exp:MEAN, lognormal:MEDIAN,P99). A SPEC is passed
-- to the server unchanged; a distribution has no ideal.
local SPEC_PARAMS = { uniform = 2, exp = 1, lognormal = 2 }

local function delay_arg(s)
  local n = tonumber(s)
  if n and n >= 0 then return n end
  local kind, params = s:match("^(%a+):(.+)$")
  local count, numbers = 0, true
  for v in (params or ""):gmatch("[^,]+") do
    count = count + 1
    numbers = numbers and tonumber(v) ~= nil
  end
  if numbers and SPEC_PARAMS[kind] == count then return s end
  return nil, "--delay: expected seconds >= 0 or uniform:A,B, exp:MEAN or lognormal:MEDIAN,P99, got '"
    .. s .. "'"
end

local function sweep_arg(s)
  local list, to_n = {}, cli.integer("--sweep", 1)
  for v in s:gmatch("[^,]+") do
    local n, err = to_n(v)
    if not n then return nil, err end
    list[#list + 1] = n
  end
  if #list == 0 then return nil, "--sweep: expected a list like 1,10,100, got '" .. s .. "'" end
  return list
end

local function url_arg(s)
  if not s:match("^https?://") then return nil, "--url: expected http://HOST:PORT, got '" .. s .. "'" end
  return (s:gsub("/+$", ""))
end

local function parse_args(argv)
  local p = cli.parser("bench.lua", "The experiment: N chained lookups (GET /users?name=, then "
    .. "GET /customers?salesId=) run sequentially, then concurrently with http.map; prints "
    .. "the times, the speedup, the ideal times and the efficiency against them.",
    "How the ideals are computed (with --limit and --workers too): docs/bench.md in the source "
    .. "tree, \"The ideals\".")
  p:option("--url", "A running Docking API server (default: start the bundled server "
    .. "in-process). Its delay is measured first."):argname("URL"):convert(url_arg)
  p:option("--names", "Salespersons to look up.", "10"):argname("N"):convert(cli.integer("--names", 1))
  p:option("--delay", "The server's delay: seconds, or a SPEC (uniform:A,B, exp:MEAN, "
    .. "lognormal:MEDIAN,P99; no ideal then). Default 0.5; with --url, what the server "
    .. "is measured to use."):argname("S"):convert(delay_arg)
  p:option("--workers", "The server's request slots, 0 = unlimited; 8 reproduces the "
    .. "original uWSGI setup.", "0"):argname("W"):convert(cli.integer("--workers", 0))
  p:option("--seed", "Random seed for the names.", "42"):argname("S"):convert(cli.integer("--seed", 0))
  p:option("--sweep", "Comma-separated N values, e.g. 1,10,100,1000: print a table."):argname("LIST")
    :convert(sweep_arg)
  p:option("--repeat", "Run each measurement K times; report median and spread.", "1")
    :argname("K"):target("rep"):convert(cli.integer("--repeat", 1))
  p:option("--sync-max", "Skip the sequential run when its ideal exceeds S seconds "
    .. "(with a SPEC: when S is 0).", "60")
    :argname("S"):convert(cli.number("--sync-max", 0))
  p:option("--limit", "At most L lookups in flight, 0 = all at once.", "0"):argname("L")
    :convert(cli.integer("--limit", 0))
  p:option("--threads", "Run the concurrent lookups as a load run on T worker threads "
    .. "(load.lua's runner, each thread its own Lua state); 0: http.map on this thread.", "0")
    :argname("T"):convert(cli.integer("--threads", 0))
  p:option("--json", "Write every figure as JSON (for plot.lua)."):argname("FILE")
  p:option("--html", "Write the figures as a self-contained HTML report (as report.lua "
    .. "writes from --json)."):argname("FILE")
  p:flag("--quiet", "No progress on stderr.")
  return cli.parse(p, argv)
end

-- Rounds of the delay the lookups need when nothing but the server's delay
-- costs anything: each round, the server answers up to `workers` queued
-- requests (0 = all), in arrival order as uWSGI does; a lookup's second
-- request joins the queue when its first is answered; the client keeps at
-- most `limit` lookups in flight (0 = all) and starts the next one when a
-- lookup ends.
local function ideal_rounds(n, workers, limit)
  local slots = workers == 0 and math.huge or workers
  local started = limit == 0 and n or math.min(limit, n)
  local queue, head, rounds = {}, 1, 0 -- queue[i]: 1 or 2, which request of its lookup
  for i = 1, started do queue[i] = 1 end
  while head <= #queue do
    local take, ended = math.min(slots, #queue - head + 1), 0
    for _ = 1, take do
      if queue[head] == 1 then queue[#queue + 1] = 2 else ended = ended + 1 end
      head = head + 1
    end
    for _ = 1, math.min(ended, n - started) do queue[#queue + 1] = 1 end
    started = math.min(n, started + ended)
    rounds = rounds + 1
  end
  return rounds
end

-- The ideals in seconds; none when the delay is a distribution (a SPEC).
local function ideal_async(o, n)
  if type(o.delay) ~= "number" then return nil end
  return ideal_rounds(n, o.workers, o.limit) * o.delay
end

local function ideal_sync(o, n)
  if type(o.delay) ~= "number" then return nil end
  return n * 2 * o.delay
end

-- How the concurrent ideal comes about, for the summary line.
local function ideal_why(o, n)
  local limited = o.limit > 0 and o.limit < n
  if o.workers == 0 and not limited then
    return string.format("2 chained requests x %gs", o.delay)
  elseif o.workers == 0 then
    return string.format("%d names, %d at a time, 2 chained requests x %gs", n, o.limit, o.delay)
  elseif not limited then
    return string.format("%d names on %d server slots, %gs each", n, o.workers, o.delay)
  end
  return string.format("%d names, %d at a time, on %d server slots, %gs each", n, o.limit,
    o.workers, o.delay)
end

local function median(xs)
  if #xs == 0 then return nil end
  local s = {}
  for i, v in ipairs(xs) do s[i] = v end
  table.sort(s)
  local m = #s // 2
  return #s % 2 == 1 and s[m + 1] or (s[m] + s[m + 1]) / 2, s[1], s[#s]
end

local function same(a, b)
  if type(a) ~= type(b) then return false end
  if type(a) ~= "table" then return a == b end
  for k, v in pairs(a) do if not same(v, b[k]) then return false end end
  for k in pairs(b) do if a[k] == nil then return false end end
  return true
end

-- Ctrl-C (or SIGTERM) stops the experiment at the next finished lookup;
-- what was measured so far is printed and written, and the exit status is
-- 130. The signal is counted (sys.catch_interrupts), and the loops look.
local INTERRUPTED = setmetatable({}, { __tostring = function() return "interrupted" end })

local function check_interrupt()
  if sys.interrupts() > 0 then error(INTERRUPTED, 0) end
end

-- f(...)'s results; a failure is one line and exit 1 (cli.call), unless
-- an interrupt caused it.
local function attempt(f, ...)
  local function pass(ok, ...)
    if ok then return ... end
    if sys.interrupts() > 0 or (...) == INTERRUPTED then error(INTERRUPTED, 0) end
    cli.fail(tostring((...)):gsub("^[^%s:]+%.lua:%d+: ", ""), 1)
  end
  return pass(pcall(f, ...))
end

local function progress_fn(o, label)
  local show = not o.quiet and o.tty
  local last = 0
  return function(done, total)
    check_interrupt()
    local now = clock.now()
    if show and (done == total or now - last > 0.2) then
      last = now
      io.stderr:write(string.format("\r%s: %d/%d", label, done, total),
        done == total and "\r\27[K" or "")
    end
  end
end

local function run_sync(url, names)
  local t0 = clock.now()
  local out = {}
  for i, name in ipairs(names) do
    out[i] = docking.customers_of(url, name)
    check_interrupt()
  end
  return clock.now() - t0, out
end

local function run_map(o, url, names)
  local t0 = clock.now()
  local out = http.map(function(name) return docking.customers_of(url, name) end, names,
    { limit = o.limit, progress = progress_fn(o, "async lookups") })
  return clock.now() - t0, out
end

-- The same lookups as a closed load run: N iterations on N VUs (or
-- --limit), split over --threads worker threads. Its time runs from the
-- workers' common start (after each loaded the scenario) to the last
-- lookup's end; the customers come back by iteration number.
local function run_threads(o, url, names)
  local args = { url }
  for i, name in ipairs(names) do args[i + 1] = name end
  local n = #names
  local vus = (o.limit > 0 and o.limit < n) and o.limit or n
  local report = require("load").run({ scenario = "bench_lookup.lua", args = args, vus = vus,
    iterations = n, threads = math.min(o.threads, vus), collect = true })
  if report.interrupted then error(INTERRUPTED, 0) end
  if report.iterations.failed > 0 then
    error(string.format("%d of %d lookups failed; first: %s", report.iterations.failed, n,
      report.errors[1].message), 0)
  end
  return report.duration, report.results
end

local function run_async(o, url, names)
  if o.threads > 0 then return run_threads(o, url, names) end
  return run_map(o, url, names)
end

-- What each distinct name's lookup gives, run once with http.map on this
-- thread: the check of a threaded run whose sequential run was skipped.
local function reference(url, names)
  local distinct, seen = {}, {}
  for _, name in ipairs(names) do
    if not seen[name] then seen[name] = true; distinct[#distinct + 1] = name end
  end
  local res = http.map(function(name) return docking.customers_of(url, name) end, distinct)
  local by_name = {}
  for i, name in ipairs(distinct) do by_name[name] = res[i] end
  local out = {}
  for i, name in ipairs(names) do out[i] = by_name[name] end
  return out
end

-- Whether the sequential run fits under --sync-max. Without an ideal (a
-- delay SPEC) it always runs, unless --sync-max is 0.
local function sync_fits(o, ideal)
  if ideal then return ideal <= o.sync_max end
  return o.sync_max > 0
end

local function sync_skip_note(o)
  return type(o.delay) == "number" and string.format("ideal above --sync-max %gs", o.sync_max)
    or "--sync-max 0"
end

-- The statistics of a row's times so far.
local function finish_row(row)
  row.sync_median, row.sync_min, row.sync_max = median(row.sync)
  if not row.sync_median then row.sync = nil end -- lua-cjson 2.1 would write {} for []
  row.async_median, row.async_min, row.async_max = median(row.async)
  if row.sync_median and row.async_median then row.speedup = row.sync_median / row.async_median end
  row.sync_efficiency = row.ideal_sync and row.sync_median and row.ideal_sync / row.sync_median
  row.async_efficiency = row.ideal_async and row.async_median and row.ideal_async / row.async_median
  return row
end

-- One size: K runs of each method, the results checked against each other.
-- A failing lookup is a finding about the server: one line, exit 1. The
-- row fills in as it goes, so that an interrupt keeps what was measured.
local function measure(o, url, n, print_lines, row)
  row.names, row.sync, row.async = n, {}, {}
  row.ideal_sync, row.ideal_async = ideal_sync(o, n), ideal_async(o, n)
  local names = attempt(docking.random_salespersons, url, n, o.seed)
  local do_sync = sync_fits(o, row.ideal_sync)
  row.sync_skipped = not do_sync
  local sync_result
  for _ = 1, o.rep do
    if do_sync then
      if print_lines then print("Timing for synchronous method in multiple calls...") end
      local t, res = attempt(run_sync, url, names)
      sync_result = sync_result or res
      row.sync[#row.sync + 1] = t
      if print_lines then print(string.format("Synchronous method takes: %.3fs", t)) end
    end
    if print_lines then print("Timing for asynchronous method in multiple calls...") end
    local t, res = attempt(run_async, o, url, names)
    row.async[#row.async + 1] = t
    if print_lines then print(string.format("Asynchronous method takes: %.3fs", t)) end
    if not sync_result and o.threads > 0 then sync_result = attempt(reference, url, names) end
    if sync_result then
      if not same(sync_result, res) then cli.fail("synchronous and asynchronous results differ") end
      row.identical = true
    end
  end
  return finish_row(row)
end

local function pct(x) return x and string.format("%.1f%%", 100 * x) or "-" end
local function secs(x) return x and string.format("%.3fs", x) or "-" end

-- "ideal 1.000s (why), efficiency 99.5%", or why there is none.
local function against_ideal(o, ideal, why, efficiency)
  if not ideal then return string.format("no ideal (the delay %s is a distribution)", o.delay) end
  return string.format("ideal %s (%s), efficiency %s", secs(ideal), why, pct(efficiency))
end

local function print_summary(o, row)
  local spread = function(med, lo, hi)
    if o.rep == 1 then return secs(med) end
    return string.format("%s (median of %d, %s..%s)", secs(med), o.rep, secs(lo), secs(hi))
  end
  print()
  if row.sync_median then
    print(string.format("Results identical: %s", row.identical and "yes" or "no"))
    if row.speedup then print(string.format("Speedup: %.2fx", row.speedup)) end
    print(string.format("Synchronous:  %s, %s", spread(row.sync_median, row.sync_min, row.sync_max),
      against_ideal(o, row.ideal_sync, row.ideal_sync and string.format(
        "%d names x 2 requests x %gs", row.names, o.delay), row.sync_efficiency)))
  elseif row.ideal_sync then
    print(string.format("Synchronous run skipped: its ideal %s exceeds --sync-max %gs",
      secs(row.ideal_sync), o.sync_max))
  else
    print("Synchronous run skipped: --sync-max 0")
  end
  if not row.sync_median and row.identical then
    print("Results identical: yes (against one http.map lookup of each distinct name)")
  end
  print(string.format("Asynchronous%s: %s, %s",
    o.threads > 0 and string.format(" (%d threads)", o.threads) or "",
    spread(row.async_median, row.async_min, row.async_max),
    against_ideal(o, row.ideal_async, row.ideal_async and ideal_why(o, row.names),
      row.async_efficiency)))
end

local function print_table(o, rows)
  print()
  local fmt = "%7s %9s %9s %10s %9s %8s %8s %8s  %s"
  print(string.format("%7s %19s %20s %17s", "", "sequential", "concurrent", "efficiency"))
  print(string.format(fmt, "names", "time", "ideal", "time", "ideal", "seq.", "conc.", "speedup",
    "identical"))
  for _, r in ipairs(rows) do
    print(string.format(fmt, r.names, secs(r.sync_median), secs(r.ideal_sync),
      secs(r.async_median), secs(r.ideal_async), pct(r.sync_efficiency), pct(r.async_efficiency),
      r.speedup and string.format("%.1fx", r.speedup) or "-",
      r.identical and "yes" or r.identical == false and "NO" or "-"))
  end
  local skipped = {}
  for _, r in ipairs(rows) do if r.sync_skipped then skipped[#skipped + 1] = r.names end end
  if #skipped > 0 then
    print(string.format("sync skipped for N = %s: %s", table.concat(skipped, ", "),
      sync_skip_note(o)))
  end
  if type(o.delay) ~= "number" then
    print(string.format("no ideal: the delay %s is a distribution", o.delay))
  end
end

local function results(o, url, rows, interrupted)
  return {
    url = url, delay = o.delay, workers = o.workers, seed = o.seed, ["repeat"] = o.rep,
    limit = o.limit, threads = o.threads, bundled_server = o.url == nil, date = os.date("!%Y-%m-%dT%H:%M:%SZ"),
    runs = rows, interrupted = interrupted or nil,
  }
end

local function write_json(o, url, rows, interrupted)
  local f, err = io.open(o.json, "w")
  if not f then cli.fail("--json: " .. err) end
  f:write(json.encode(results(o, url, rows, interrupted)):gsub('"runs":{}', '"runs":[]'), "\n") -- cjson writes an empty list as {}
  f:close()
end

-- --html: checked before the runs (a missing Chart.js is known at once),
-- written after them.
local function check_html(o)
  if not o.html then return end
  local ok, err = require("report.html").check()
  if not ok then cli.fail("--html: " .. err) end
end

local function write_html(o, url, rows, interrupted)
  local ok, err = require("report.html").write(results(o, url, rows, interrupted), o.html)
  if not ok then cli.fail("--html " .. o.html .. ": " .. tostring(err)) end
end

local function delay_text(d) return type(d) == "number" and string.format("%gs", d) or d end

local function start_server(o)
  local ok, srv = pcall(server.start, { port = 0, delay = o.delay, workers = o.workers })
  if not ok then cli.fail("the bundled server did not start: " .. tostring(srv)) end
  print(string.format("Started the bundled Docking API server at %s (delay %s, %s)", srv.url,
    delay_text(o.delay), o.workers == 0 and "unlimited workers" or o.workers .. " workers"))
  return srv
end

local function check_reachable(url)
  local ok, r = pcall(http.get, url .. "/", { timeout = 10 })
  local why = not ok and r or r.status ~= 200 and "GET / answered HTTP " .. r.status
  if why then cli.fail("cannot reach the Docking API at " .. url .. ": " .. why) end
end

-- With --url, the server's delay: the fastest of 3 timed GET /users/1 (a
-- 404 waits too), rounded down to the millisecond, since the loopback and
-- the client only add to a fixed delay. It stands in for a missing --delay; a --delay more than
-- 10% (and 5 ms) away from it gets a warning. A SPEC is not compared.
local function check_delay(o, url)
  if type(o.delay) == "string" then return end
  local fastest = math.huge
  for _ = 1, 3 do fastest = math.min(fastest, cli.call(http.get, url .. "/users/1").elapsed) end
  if not o.delay then
    o.delay = math.floor(fastest * 1000) / 1000
    print(string.format("Measured the server's delay: %gs (the fastest of 3 GET /users/1)", o.delay))
  elseif math.abs(fastest - o.delay) > math.max(0.1 * o.delay, 0.005) then
    io.stderr:write(string.format("bench.lua: warning: --delay is %gs, but %s answers GET "
      .. "/users/1 in %.3fs (the fastest of 3); the ideals use --delay\n", o.delay, url, fastest))
  end
end

-- Every size asked for, into rows; an interrupt ends it early.
local function measure_all(o, url, rows)
  if o.sweep then
    for _, n in ipairs(o.sweep) do
      rows[#rows + 1] = {}
      measure(o, url, n, false, rows[#rows])
    end
  else
    rows[1] = {}
    measure(o, url, o.names, true, rows[1])
  end
end

local function report(o, rows)
  if o.sweep then print_table(o, rows) elseif rows[1] then print_summary(o, rows[1]) end
end

local function main(argv)
  local o = parse_args(argv)
  check_html(o)
  o.tty = not o.quiet and sys.isatty(2)
  if o.json then
    local ok, err = cli.check_output("--json", o.json)
    if not ok then cli.fail(err, 2) end
  end
  sys.catch_interrupts()
  local url, srv = o.url, nil
  if url then
    check_reachable(url)
    check_delay(o, url)
  else
    o.delay = o.delay or 0.5
    srv = start_server(o)
    url = srv.url
    check_reachable(url)
  end
  local rows = {}
  local ok, err = pcall(measure_all, o, url, rows)
  if not ok and err ~= INTERRUPTED then error(err, 0) end
  if not ok then
    -- what was measured: the sizes done, and the times of the one cut short
    if #rows > 0 and #rows[#rows].sync == 0 and #rows[#rows].async == 0 then rows[#rows] = nil end
    for _, row in ipairs(rows) do finish_row(row) end
    io.stdout:write("\n")
    io.stderr:write(#rows > 0 and "bench.lua: interrupted: what was measured so far follows\n"
      or "bench.lua: interrupted before any measurement ended: nothing to report\n")
  end
  report(o, rows)
  if o.json then write_json(o, url, rows, not ok) end
  if o.html then write_html(o, url, rows, not ok) end
  if srv then srv:stop() end
  if not ok then os.exit(130) end
end

main(arg)
