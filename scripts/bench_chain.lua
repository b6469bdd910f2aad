-- N concurrent lookups (two chained GETs each) against a Docking API server;
-- prints one JSON line: time, ideal, efficiency, errors.
--   dockscript scripts/bench_chain.lua URL N DELAY
local docking = require "docking"
local url, n, delay = arg[1], math.tointeger(tonumber(arg[2] or "")), tonumber(arg[3] or "")
if not (url and n and delay) then
  io.stderr:write("usage: bench_chain.lua URL N DELAY\n")
  os.exit(2)
end
local names = docking.random_salespersons(url, n, 42)
local t0 = clock.now()
local results, errors = http.map(function(name) return docking.customers_of(url, name) end,
  names, { return_errors = true })
local dt = clock.now() - t0
local nerr, first = 0, nil
for i = 1, n do
  if errors[i] then nerr = nerr + 1; first = first or errors[i]
  elseif type(results[i]) ~= "table" or #results[i] == 0 then nerr = nerr + 1 end
end
print(json.encode({ n = n, seconds = dt, ideal = 2 * delay, efficiency = 2 * delay / dt,
  errors = nerr, first_error = first }))
