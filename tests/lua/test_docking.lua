-- scripts/docking.lua against the bundled server: the seed's answer for
-- "John" and the original's two error messages, word for word.
local T = require "testlib"
local docking = require "docking"

local data = os.tmpname()
local f = assert(io.open(data, "w"))
f:write(json.encode({
  users = {
    { id = "1", name = "John Liu", role = "sales" },
    { id = "2", name = "Lonely Seller", role = "sales" },
  },
  customers = { { id = "1", name = "Andy Ziemmer", salesId = "1" } },
}))
f:close()

local seed = server.start({ port = 0, delay = 0 })
local custom = server.start({ port = 0, delay = 0, data = data })

T.test("John's customers are the original's documented answer", function()
  local c = docking.customers_of(seed.url, "John")
  T.eq(#c, 2, "customers")
  T.ok(T.deepeq(c[1], { id = "1", name = "Andy Ziemmer", salesId = "1" }), "first")
  T.ok(T.deepeq(c[2], { id = "2", name = "Michael Jordan", salesId = "1" }), "second")
end)

T.test("a name that matches nobody: the original's first error", function()
  local ok, err = pcall(docking.customers_of, custom.url, "Nobody Here")
  T.eq(ok, false, "raised")
  T.eq(err, "Sales Nobody Here cannot be found from the server", "message")
end)

T.test("a salesperson without customers: the original's second error", function()
  local ok, err = pcall(docking.customers_of, custom.url, "Lonely")
  T.eq(ok, false, "raised")
  T.eq(err, "Sales Lonely has no customers!", "message")
end)

T.test("the same errors come out of http.map, named by task", function()
  local _, errs = http.map(function(n) return docking.customers_of(custom.url, n) end,
    { "John", "Nobody", "Lonely" }, { return_errors = true })
  T.eq(errs[1], nil, "John found")
  T.eq(errs[2], "Sales Nobody cannot be found from the server", "task 2")
  T.eq(errs[3], "Sales Lonely has no customers!", "task 3")
end)

T.test("random_salespersons is reproducible for a seed and draws only salespersons", function()
  local a = docking.random_salespersons(seed.url, 20, 7)
  local b = docking.random_salespersons(seed.url, 20, 7)
  T.ok(T.deepeq(a, b), "same seed, same names")
  for _, n in ipairs(a) do T.ok(n == "John Liu" or n == "William Ott", "a salesperson: " .. n) end
end)

T.test("1,000 concurrent lookups on a delaying server equal the sequential ones", function()
  local slow = server.start({ port = 0, delay = 0.2 })
  local names = docking.random_salespersons(slow.url, 1000, 3)
  local sync = {}
  for i = 1, 4 do sync[i] = docking.customers_of(seed.url, names[i]) end
  local t0 = clock.now()
  -- no limit: 1,000 transfers in flight span several scheduler shards
  local res = http.map(function(n) return docking.customers_of(slow.url, n) end, names)
  local dt = clock.now() - t0
  slow:stop()
  T.eq(#res, 1000, "results")
  for i = 1, 4 do T.ok(T.deepeq(res[i], sync[i]), "same as sync " .. i) end
  for i = 1, 1000 do
    local want = names[i] == "John Liu" and 2 or 3
    T.eq(#res[i], want, "customers of " .. names[i] .. " (" .. i .. ")")
  end
  T.lt(dt, 10, "concurrent, not 1,000 x 0.4 s")
end)

seed:stop()
custom:stop()
os.remove(data)
T.done()
