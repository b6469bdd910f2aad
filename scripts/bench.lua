-- The experiment: chained lookups run sequentially, then concurrently with
-- http.map, against the Docking API; prints the original's lines, the
-- speedup, the ideal times and how close the runs came to them.
--   dockscript bench.lua --help
local docking = require "docking"

local USAGE = [[
usage: dockscript bench.lua [OPTIONS]
  --url URL        a running Docking API server (default: start the bundled
                   server in-process)
  --names N        salespersons to look up (default 10)
  --delay S        the server's delay in seconds (default 0.5); with --url,
                   what the remote server is known to use, for the ideals
  --workers W      the server's request slots, 0 = unlimited (default 0);
                   8 reproduces the original uWSGI setup
  --seed S         random seed for the names (default 42)
  --sweep LIST     comma-separated N values, e.g. 1,10,100,1000: print a table
  --repeat K       run each measurement K times; report median and spread
  --sync-max S     skip the sequential run when its ideal exceeds S seconds
                   (default 60)
  --limit L        at most L lookups in flight (default 0 = all at once)
  --json FILE      write every figure as JSON (for scripts/plot.lua)
  --quiet          no progress on stderr
  --help
]]

local function usage_error(msg)
  io.stderr:write("bench.lua: ", msg, "\n", USAGE)
  os.exit(2)
end

local function parse_number(name, v, min, integer)
  local n = tonumber(v)
  if not n or n < min or (integer and math.type(n) ~= "integer" and n ~= math.floor(n)) then
    usage_error(string.format("%s: expected %s >= %s, got %s", name,
      integer and "an integer" or "a number", min, tostring(v)))
  end
  return integer and math.tointeger(n) or n
end

local function parse_args(argv)
  local o = { names = 10, delay = 0.5, workers = 0, seed = 42, ["repeat"] = 1,
              ["sync-max"] = 60, limit = 0 }
  local i = 1
  while i <= #argv do
    local a = argv[i]
    local name, inline = a:match("^%-%-([%w-]+)=(.*)$")
    name = name or a:match("^%-%-([%w-]+)$")
    if not name then usage_error("unexpected argument '" .. a .. "'") end
    local function value()
      if inline then return inline end
      i = i + 1
      if argv[i] == nil then usage_error("--" .. name .. " needs a value") end
      return argv[i]
    end
    if name == "help" then io.write(USAGE); os.exit(0)
    elseif name == "quiet" then o.quiet = true
    elseif name == "url" then o.url = value():gsub("/+$", "")
    elseif name == "json" then o.json = value()
    elseif name == "names" or name == "workers" or name == "seed" or name == "repeat"
        or name == "limit" then
      o[name] = parse_number("--" .. name, value(), name == "names" and 1 or
        (name == "repeat" and 1 or 0), true)
    elseif name == "delay" or name == "sync-max" then
      o[name] = parse_number("--" .. name, value(), 0, false)
    elseif name == "sweep" then
      o.sweep = {}
      for v in value():gmatch("[^,]+") do o.sweep[#o.sweep + 1] = parse_number("--sweep", v, 1, true) end
      if #o.sweep == 0 then usage_error("--sweep: expected a list like 1,10,100") end
    else
      usage_error("unknown option '--" .. name .. "'")
    end
    i = i + 1
  end
  if o.url and not o.url:match("^https?://") then usage_error("--url: expected http://HOST:PORT") end
  return o
end

-- The time the lookups need when nothing but the server's delay costs
-- anything: every request holds one of `workers` slots for `delay` seconds
-- and waiting requests are served in arrival order, as in uWSGI.
local function ideal_async(n, delay, workers)
  if workers == 0 then return 2 * delay end
  local queue, head, rounds = {}, 1, 0
  for i = 1, n do queue[i] = 1 end
  while head <= #queue do
    local take = math.min(workers, #queue - head + 1)
    for _ = 1, take do
      if queue[head] == 1 then queue[#queue + 1] = 2 end
      head = head + 1
    end
    rounds = rounds + 1
  end
  return rounds * delay
end

local function ideal_sync(n, delay) return n * 2 * delay end

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

local function progress_fn(o, label)
  if o.quiet or not o.tty then return nil end
  local last = 0
  return function(done, total)
    local now = clock.now()
    if done == total or now - last > 0.2 then
      last = now
      io.stderr:write(string.format("\r%s: %d/%d", label, done, total),
        done == total and "\r\27[K" or "")
    end
  end
end

local function run_sync(url, names)
  local t0 = clock.now()
  local out = {}
  for i, name in ipairs(names) do out[i] = docking.customers_of(url, name) end
  return clock.now() - t0, out
end

local function run_async(o, url, names)
  local t0 = clock.now()
  local out = http.map(function(name) return docking.customers_of(url, name) end, names,
    { limit = o.limit, progress = progress_fn(o, "async lookups") })
  return clock.now() - t0, out
end

-- One size: K runs of each method, the results checked against each other.
local function measure(o, url, n, print_lines)
  local names = docking.random_salespersons(url, n, o.seed)
  local row = { names = n, sync = {}, async = {},
                ideal_sync = ideal_sync(n, o.delay),
                ideal_async = ideal_async(n, o.delay, o.workers) }
  local do_sync = row.ideal_sync <= o["sync-max"]
  local sync_result
  for _ = 1, o["repeat"] do
    if do_sync then
      if print_lines then print("Timing for synchronous method in multiple calls...") end
      local t, res = run_sync(url, names)
      sync_result = sync_result or res
      row.sync[#row.sync + 1] = t
      if print_lines then print(string.format("Synchronous method takes: %.3fs", t)) end
    end
    if print_lines then print("Timing for asynchronous method in multiple calls...") end
    local t, res = run_async(o, url, names)
    row.async[#row.async + 1] = t
    if print_lines then print(string.format("Asynchronous method takes: %.3fs", t)) end
    if sync_result then
      assert(same(sync_result, res), "synchronous and asynchronous results differ")
      row.identical = true
    end
  end
  row.sync_skipped = not do_sync
  row.sync_median, row.sync_min, row.sync_max = median(row.sync)
  if not do_sync then row.sync = nil end -- lua-cjson 2.1 would write {} for []
  row.async_median, row.async_min, row.async_max = median(row.async)
  if row.sync_median then
    row.speedup = row.sync_median / row.async_median
    row.sync_efficiency = row.ideal_sync / row.sync_median
  end
  row.async_efficiency = row.ideal_async / row.async_median
  return row
end

local function pct(x) return x and string.format("%.1f%%", 100 * x) or "-" end
local function secs(x) return x and string.format("%.3fs", x) or "-" end

local function print_summary(o, row)
  local spread = function(med, lo, hi)
    if o["repeat"] == 1 then return secs(med) end
    return string.format("%s (median of %d, %s..%s)", secs(med), o["repeat"], secs(lo), secs(hi))
  end
  print()
  if row.sync_median then
    print(string.format("Results identical: %s", row.identical and "yes" or "no"))
    print(string.format("Speedup: %.2fx", row.speedup))
    print(string.format("Synchronous:  %s, ideal %s (%d names x 2 requests x %gs), efficiency %s",
      spread(row.sync_median, row.sync_min, row.sync_max), secs(row.ideal_sync), row.names,
      o.delay, pct(row.sync_efficiency)))
  else
    print(string.format("Synchronous run skipped: its ideal %s exceeds --sync-max %gs",
      secs(row.ideal_sync), o["sync-max"]))
  end
  local why = o.workers == 0 and "2 chained requests x " .. o.delay .. "s"
    or string.format("%d names on %d server slots, %gs each", row.names, o.workers, o.delay)
  print(string.format("Asynchronous: %s, ideal %s (%s), efficiency %s",
    spread(row.async_median, row.async_min, row.async_max), secs(row.ideal_async), why,
    pct(row.async_efficiency)))
end

local function print_table(o, rows)
  print()
  print(string.format("%8s %10s %10s %10s %10s %8s %8s %9s", "N", "sync", "ideal", "async",
    "ideal", "sync eff", "asyn eff", "speedup"))
  for _, r in ipairs(rows) do
    print(string.format("%8d %10s %10s %10s %10s %8s %8s %9s", r.names, secs(r.sync_median),
      secs(r.ideal_sync), secs(r.async_median), secs(r.ideal_async), pct(r.sync_efficiency),
      pct(r.async_efficiency), r.speedup and string.format("%.1fx", r.speedup) or "-"))
  end
  local skipped = {}
  for _, r in ipairs(rows) do if r.sync_skipped then skipped[#skipped + 1] = r.names end end
  if #skipped > 0 then
    print(string.format("sync skipped for N = %s: ideal above --sync-max %gs",
      table.concat(skipped, ", "), o["sync-max"]))
  end
end

local function write_json(o, url, rows)
  local f, err = io.open(o.json, "w")
  if not f then error("--json: " .. err, 0) end
  f:write(json.encode({
    url = url, delay = o.delay, workers = o.workers, seed = o.seed, ["repeat"] = o["repeat"],
    limit = o.limit, bundled_server = o.url == nil, date = os.date("!%Y-%m-%dT%H:%M:%SZ"),
    runs = rows,
  }), "\n")
  f:close()
end

local function main(argv)
  local o = parse_args(argv)
  o.tty = not o.quiet and os.execute("test -t 2") == true
  local url, srv = o.url, nil
  if not url then
    srv = server.start({ port = 0, delay = o.delay, workers = o.workers })
    url = srv.url
    print(string.format("Started the bundled Docking API server at %s (delay %gs, %s)", url,
      o.delay, o.workers == 0 and "unlimited workers" or o.workers .. " workers"))
  end
  local ok, err = pcall(http.get, url .. "/", { timeout = 10 })
  if not ok then
    io.stderr:write("bench.lua: cannot reach the Docking API at ", url, ": ", err, "\n")
    os.exit(1)
  end
  local rows = {}
  if o.sweep then
    for _, n in ipairs(o.sweep) do
      rows[#rows + 1] = measure(o, url, n, false)
    end
    print_table(o, rows)
  else
    rows[1] = measure(o, url, o.names, true)
    print_summary(o, rows[1])
  end
  if o.json then write_json(o, url, rows) end
  if srv then srv:stop() end
end

-- Failures of the run (a lookup error, too few descriptors, results that
-- differ) are one line, not a traceback: they are findings, not bugs.
local ok, err = pcall(main, arg)
if not ok then
  io.stderr:write("bench.lua: ", tostring(err), "\n")
  os.exit(1)
end
