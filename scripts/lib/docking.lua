-- The lookup of the original experiment, written once. Called directly it
-- blocks; called inside http.gather / http.map every http.get in it yields,
-- so the same function runs sequentially or concurrently.
local M = {}

local function get_json(url, params)
  local r = http.get(url, { params = params })
  if r.status ~= 200 then
    error(string.format("GET %s: HTTP %d: %s", r.url, r.status, r.body), 0)
  end
  return r:json()
end

-- The customers of the first salesperson whose name matches `name`: GET
-- /users?name=NAME, then GET /customers?salesId=ID. The two errors are the
-- original's, word for word.
function M.customers_of(base_url, name)
  local sales = get_json(base_url .. "/users", { name = name })
  if #sales == 0 then
    error(string.format("Sales %s cannot be found from the server", name), 0)
  end
  local customers = get_json(base_url .. "/customers", { salesId = sales[1].id })
  if #customers == 0 then
    error(string.format("Sales %s has no customers!", name), 0)
  end
  return customers
end

-- `n` names drawn at random (with replacement, like the original) from the
-- server's salespersons; math.randomseed(seed) makes the draw reproducible.
function M.random_salespersons(base_url, n, seed)
  local users = get_json(base_url .. "/users", { role = "sales" })
  if #users == 0 then error("the server has no salespersons (GET /users?role=sales)", 0) end
  math.randomseed(seed)
  local names = {}
  for i = 1, n do names[i] = users[math.random(#users)].name end
  return names
end

return M
