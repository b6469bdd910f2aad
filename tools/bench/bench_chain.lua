-- N concurrent lookups (two chained GETs each) against a Docking API server;
-- prints one JSON line: time, ideal, efficiency. A failed lookup means no
-- figures: the reason on stderr, exit 1.
--   dockscript tools/bench/bench_chain.lua URL N DELAY
local docking = require "docking"
local cli = require "cli"

local p = cli.parser("bench_chain.lua", "N concurrent lookups against a Docking API server; "
  .. "prints time, ideal and efficiency as JSON.")
p:argument("url", "The server."):argname("URL")
p:argument("n", "Lookups."):argname("N"):convert(cli.integer("N", 1))
p:argument("delay", "The server's delay in seconds."):argname("DELAY"):convert(cli.number("DELAY", 0))
local args = cli.parse(p, arg)
local url, n, delay = args.url, args.n, args.delay
local names = cli.call(docking.random_salespersons, url, n, 42)
local t0 = clock.now()
local results, errors = cli.call(http.map, function(name) return docking.customers_of(url, name) end,
  names, { return_errors = true })
local dt = clock.now() - t0
local nerr, first = 0, nil
for i = 1, n do
  if errors[i] then nerr = nerr + 1; first = first or errors[i]
  elseif type(results[i]) ~= "table" or #results[i] == 0 then nerr = nerr + 1 end
end
-- Figures only for answers that were all checked.
if nerr > 0 then
  cli.fail(string.format("%d of %d lookups failed; first: %s", nerr, n, first or "no customers"))
end
print(json.encode({ n = n, seconds = dt, ideal = 2 * delay, efficiency = 2 * delay / dt,
  errors = nerr }))
