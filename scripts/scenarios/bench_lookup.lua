-- The load scenario of `bench.lua --threads`: iteration i looks up the
-- i-th name given after the URL (docking.lua's chained lookup), and its
-- customers come back to bench.lua through load.run{collect = true}.
--   args: URL NAME1 NAME2 ...
local docking = require "docking"

return {
  setup = function(args)
    local names = {}
    for i = 2, #args do names[i - 1] = args[i] end
    return { url = args[1], names = names }
  end,
  iteration = function(data, i) return docking.customers_of(data.url, data.names[i]) end,
}
