-- Soak: many lookups through http.map in batches against a Docking API
-- server, printing the client's and the server's RSS as it goes. Both must
-- stay flat after warm-up. Not a test: a measurement.
--   dockscript soak.lua [--url URL --pid PID] [--total 1000000]
--                       [--batch 1000] [--every 100000]
-- Without --url it starts `dockscript serve --delay 0` itself (a separate
-- process, so the two RSS figures are separate). Every answer is checked
-- against the customers a sequential lookup found for the same name; a
-- batch with a failed or different lookup ends the run: the reason on
-- stderr, exit 1, no figure for it.
local docking = require "docking"
local cli = require "cli"

local function parse_args()
  local p = cli.parser("soak.lua", "Lookups in batches against a Docking API server; prints "
    .. "both processes' RSS as it goes.")
  p:option("--url", "A running Docking API server (default: start `dockscript serve "
    .. "--delay 0`).", nil):argname("URL")
  p:option("--pid", "That server's process id, for its RSS."):argname("PID")
    :convert(cli.integer("--pid", 1))
  p:option("--total", "Lookups in all.", "1000000"):argname("N"):convert(cli.integer("--total", 1))
  p:option("--batch", "Lookups per http.map.", "1000"):argname("N"):convert(cli.integer("--batch", 1))
  p:option("--every", "Print a line every N lookups.", "100000"):argname("N")
    :convert(cli.integer("--every", 1))
  return cli.parse(p, arg)
end

local function rss_kb(pid)
  local f = io.open("/proc/" .. pid .. "/status")
  if not f then return nil end
  local kb = f:read("a"):match("VmRSS:%s*(%d+)")
  f:close()
  return tonumber(kb)
end

-- `dockscript serve --port 0 --delay 0` in the background; its URL and pid.
local function start_server()
  local out = os.tmpname()
  -- $PPID of the shell is this dockscript process: run the same binary.
  os.execute(string.format('"$(readlink /proc/$PPID/exe)" serve --port 0 --delay 0 --quiet'
    .. ' > %s 2>&1 & echo $! > %s.pid', out, out))
  local url
  for _ = 1, 100 do
    local f = io.open(out)
    url = f and f:read("a"):match("(http://[%d.:]+)")
    if f then f:close() end
    if url then break end
    clock.sleep(0.05)
  end
  local pf = io.open(out .. ".pid")
  local pid = pf and pf:read("l")
  if pf then pf:close() end
  os.remove(out); os.remove(out .. ".pid")
  if not url then
    if pid then os.execute("kill " .. pid) end
    cli.fail("dockscript serve did not start")
  end
  return url, pid
end

-- The customers of each distinct name, looked up once, sequentially.
local function expected_customers(url, names)
  local want = {}
  for _, name in ipairs(names) do
    want[name] = want[name] or cli.call(docking.customers_of, url, name)
  end
  return want
end

local function same_customers(got, want)
  if type(got) ~= "table" or #got ~= #want then return false end
  for i = 1, #want do if got[i].id ~= want[i].id then return false end end
  return true
end

-- One batch; nil, or why it failed (the count and the first failure).
local function run_batch(url, batch, want)
  local res, errs = http.map(function(name) return docking.customers_of(url, name) end, batch,
    { return_errors = true, limit = 256 })
  local failed, first = 0, nil
  for k, name in ipairs(batch) do
    local why = errs[k] or (not same_customers(res[k], want[name])
      and "the customers of " .. name .. " differ from the sequential lookup's")
    if why then failed, first = failed + 1, first or why end
  end
  if failed > 0 then return string.format("%d of %d lookups failed; first: %s", failed, #batch, first) end
end

local o = parse_args()
local child
if not o.url then
  o.url, o.pid = start_server()
  child = o.pid
end
local function stop() if child then os.execute("kill " .. child) end end

print(string.format("soak: %d lookups (2 GETs each) in batches of %d against %s (server pid %s)",
  o.total, o.batch, o.url, tostring(o.pid)))
print(string.format("%10s %10s %12s %12s", "lookups", "req/s", "client RSS", "server RSS"))
local names = cli.call(docking.random_salespersons, o.url, o.batch, 1)
local want = expected_customers(o.url, names)
local done, t_mark, done_mark = 0, clock.now(), 0
while done < o.total do
  local n = math.min(o.batch, o.total - done)
  local batch = n == o.batch and names or table.move(names, 1, n, 1, {})
  local why = run_batch(o.url, batch, want)
  if why then
    stop()
    cli.fail(string.format("after %d lookups: %s", done, why))
  end
  done = done + n
  if done % o.every == 0 or done == o.total then
    local now = clock.now()
    collectgarbage()
    print(string.format("%10d %10.0f %9.1f MB %9.1f MB", done,
      2 * (done - done_mark) / (now - t_mark), rss_kb("self") / 1024,
      (o.pid and rss_kb(o.pid) or 0) / 1024))
    io.stdout:flush()
    t_mark, done_mark = now, done
  end
end
stop()
