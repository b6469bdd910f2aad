-- Client cost: COUNT GETs of URL through http.gather with `limit` tasks in
-- flight; prints one JSON line with the figures.
--   dockscript scripts/bench_throughput.lua URL [COUNT=20000] [LIMIT=64]
local url = arg[1] or error("usage: bench_throughput.lua URL [COUNT] [LIMIT]")
local count = math.tointeger(tonumber(arg[2] or 20000))
local limit = math.tointeger(tonumber(arg[3] or 64))

-- `limit` workers, each pulling the next request number: the same shape as
-- wrk's connections, and no 20,000-element task table.
local next_i, errors, bytes = 0, 0, 0
local function worker()
  while next_i < count do
    next_i = next_i + 1
    local ok, r = pcall(http.get, url)
    if ok and r.status == 200 then bytes = bytes + #r.body else errors = errors + 1 end
  end
end
local workers = {}
for i = 1, limit do workers[i] = worker end

http.get(url) -- warm the connection cache
local t0 = clock.now()
http.gather(workers)
local dt = clock.now() - t0
print(json.encode({ requests = count, limit = limit, seconds = dt, rps = count / dt,
  errors = errors, bytes = bytes }))
