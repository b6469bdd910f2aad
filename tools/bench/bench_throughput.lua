-- Client cost: COUNT GETs of URL through http.gather with `limit` tasks in
-- flight; prints one JSON line with the figures. Every answer is checked:
-- one that is not a 200, or a failed request, means no figures (the
-- reason on stderr, exit 1).
--   dockscript tools/bench/bench_throughput.lua URL [COUNT=20000] [LIMIT=64]
local cli = require "cli"

local p = cli.parser("bench_throughput.lua", "COUNT GETs of URL through http.gather, LIMIT "
  .. "in flight; prints req/s as JSON.")
p:argument("url", "What to GET."):argname("URL")
p:argument("count", "Requests (default 20000)."):args("?"):argname("COUNT")
  :convert(cli.integer("COUNT", 1))
p:argument("limit", "Requests in flight (default 64)."):args("?"):argname("LIMIT")
  :convert(cli.integer("LIMIT", 1))
local args = cli.parse(p, arg)
local url, count, limit = args.url, args.count or 20000, args.limit or 64

-- `limit` workers, each pulling the next request number: the same shape as
-- wrk's connections, and no 20,000-element task table.
local next_i, errors, bytes, first_error = 0, 0, 0, nil
local function worker()
  while next_i < count do
    next_i = next_i + 1
    local ok, r = pcall(http.get, url)
    if ok and r.status == 200 then
      bytes = bytes + #r.body
    else
      errors = errors + 1
      first_error = first_error or (ok and "HTTP " .. r.status or r)
    end
  end
end
local workers = {}
for i = 1, limit do workers[i] = worker end

local warm = cli.call(http.get, url) -- also warms the connection cache
if warm.status ~= 200 then cli.fail(url .. " answers HTTP " .. warm.status .. ", not 200") end
local t0 = clock.now()
http.gather(workers)
local dt = clock.now() - t0
if errors > 0 then
  cli.fail(string.format("%d of %d requests failed; first: %s", errors, count, first_error))
end
print(json.encode({ requests = count, limit = limit, seconds = dt, rps = count / dt,
  errors = errors, bytes = bytes }))
