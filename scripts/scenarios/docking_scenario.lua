-- A load scenario: the original experiment's chained lookup (docking.lua's
-- customers_of: GET /users?name=, then GET /customers?salesId=) for the
-- salespersons of a Docking API server, one lookup per iteration.
--   dockscript serve &
--   dockscript load.lua docking_scenario.lua --rate 100 --duration 10 [-- URL [NAME...]]
-- URL defaults to http://127.0.0.1:5000 (where `dockscript serve` listens);
-- without NAMEs, setup asks the server for its salespersons.
local docking = require "docking"

return {
  setup = function(args)
    local url = (args[1] or "http://127.0.0.1:5000"):gsub("/+$", "")
    local names = {}
    for i = 2, #args do names[#names + 1] = args[i] end
    if #names == 0 then
      for _, user in ipairs(http.get(url .. "/users", { params = { role = "sales" } }):json()) do
        names[#names + 1] = user.name
      end
      if #names == 0 then error("no salespersons at " .. url .. "/users?role=sales", 0) end
    end
    return { url = url, names = names }
  end,

  -- Iteration i looks up the names in turn, so every shard and thread
  -- looks up the same mix.
  iteration = function(data, i)
    return docking.customers_of(data.url, data.names[(i - 1) % #data.names + 1])
  end,

  options = { rate = 10, duration = 10 },
}
