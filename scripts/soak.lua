-- Soak: many lookups through http.map in batches against a Docking API
-- server, printing the client's and the server's RSS as it goes. Both must
-- stay flat after warm-up. Not a test: a measurement.
--   dockscript scripts/soak.lua [--url URL --pid PID] [--total 1000000]
--                               [--batch 1000] [--every 100000]
-- Without --url it starts `dockscript serve --delay 0` itself (a separate
-- process, so the two RSS figures are separate).
local docking = require "docking"

local o = { total = 1000000, batch = 1000, every = 100000 }
local i = 1
while arg[i] do
  local k, v = arg[i]:match("^%-%-(%w+)$"), arg[i + 1]
  if not k or not v then io.stderr:write("usage: soak.lua [--url URL --pid PID] [--total N] [--batch N] [--every N]\n"); os.exit(2) end
  o[k] = tonumber(v) or v
  i = i + 2
end

local function rss_kb(pid)
  local f = io.open("/proc/" .. pid .. "/status")
  if not f then return nil end
  local kb = f:read("a"):match("VmRSS:%s*(%d+)")
  f:close()
  return tonumber(kb)
end

local child
if not o.url then
  local out = os.tmpname()
  -- $PPID of the shell is this dockscript process: run the same binary.
  os.execute(string.format('"$(readlink /proc/$PPID/exe)" serve --port 0 --delay 0 --quiet'
    .. ' > %s 2>&1 & echo $! > %s.pid', out, out))
  for _ = 1, 100 do
    local f = io.open(out)
    local text = f and f:read("a") or ""
    if f then f:close() end
    o.url = text:match("(http://[%d.:]+)")
    if o.url then break end
    clock.sleep(0.05)
  end
  local pf = assert(io.open(out .. ".pid"))
  o.pid = pf:read("l")
  pf:close()
  os.remove(out); os.remove(out .. ".pid")
  child = o.pid
  assert(o.url, "dockscript serve did not start")
end

print(string.format("soak: %d lookups (2 GETs each) in batches of %d against %s (server pid %s)",
  o.total, o.batch, o.url, tostring(o.pid)))
print(string.format("%10s %9s %10s %12s %12s", "lookups", "errors", "req/s", "client RSS", "server RSS"))
local names = docking.random_salespersons(o.url, o.batch, 1)
local done, errors, t_mark, done_mark = 0, 0, clock.now(), 0
while done < o.total do
  local n = math.min(o.batch, o.total - done)
  local batch = n == o.batch and names or table.move(names, 1, n, 1, {})
  local res, errs = http.map(function(name) return docking.customers_of(o.url, name) end, batch,
    { return_errors = true, limit = 256 })
  for k = 1, n do if errs[k] or not res[k] then errors = errors + 1 end end
  done = done + n
  if done % o.every == 0 or done == o.total then
    local now = clock.now()
    collectgarbage()
    print(string.format("%10d %9d %10.0f %9.1f MB %9.1f MB", done, errors,
      2 * (done - done_mark) / (now - t_mark), rss_kb("self") / 1024,
      (o.pid and rss_kb(o.pid) or 0) / 1024))
    io.stdout:flush()
    t_mark, done_mark = now, done
  end
end
if child then os.execute("kill " .. child) end
os.exit(errors == 0 and 0 or 1)
