-- A big Docking API data set for `dockscript serve --data`.
--   dockscript gen_data.lua N out.json [CUSTOMERS_PER_SALES] [SEED]
-- N salespersons (role "sales"), one manager per 10 of them, and 1..2*C-1
-- customers per salesperson (C = CUSTOMERS_PER_SALES, default 3, so 3 on
-- average). Names are unique and end in the user's id, so the name lookup
-- of scripts/docking.lua finds the intended salesperson first. The same
-- N and SEED always give the same file.
local json = json or require "cjson"
local cli = require "cli"

local p = cli.parser("gen_data.lua", "Writes a Docking API data set for dockscript serve --data.")
p:argument("n", "Salespersons."):argname("N"):convert(cli.integer("N", 1))
p:argument("out", "The JSON file to write."):argname("out.json")
p:argument("per", "Customers per salesperson on average (default 3)."):args("?")
  :argname("CUSTOMERS_PER_SALES"):convert(cli.integer("CUSTOMERS_PER_SALES", 1))
p:argument("seed", "Random seed (default 1)."):args("?"):argname("SEED")
  :convert(cli.integer("SEED", 0))
local args = cli.parse(p, arg)
local n, out, per, seed = args.n, args.out, args.per or 3, args.seed or 1

local first = {"Ada", "Bela", "Chen", "Dara", "Emil", "Farah", "Goran", "Hana", "Ivo",
               "Jun", "Kemal", "Lena", "Milo", "Nia", "Oren", "Priya", "Quinn", "Rosa",
               "Sven", "Tala", "Umar", "Vera", "Wen", "Xenia", "Yuki", "Zane"}
local last = {"Abara", "Brandt", "Castillo", "Dunn", "Eze", "Fischer", "Garcia", "Holm",
              "Ito", "Jensen", "Kowal", "Lind", "Moreau", "Novak", "Okafor", "Petrov",
              "Quist", "Rossi", "Sato", "Tan", "Ueda", "Varga", "Weber", "Xu", "Young",
              "Zhou"}

local function person(i)
  return ("%s %s %d"):format(first[i % #first + 1], last[(i // #first) % #last + 1], i)
end

local f, err = io.open(out, "w")
if not f then cli.fail("cannot write " .. err) end

local function record(fields)
  local parts = {}
  for _, kv in ipairs(fields) do
    parts[#parts + 1] = json.encode(kv[1]) .. ":" .. json.encode(kv[2])
  end
  return "{" .. table.concat(parts, ",") .. "}"
end

math.randomseed(seed)
local managers = (n + 9) // 10
f:write('{"users":[\n')
for i = 1, n + managers do
  local role = i <= n and "sales" or "manager"
  f:write(record{{"id", tostring(i)}, {"name", person(i)}, {"role", role}},
          i < n + managers and ",\n" or "\n")
end
f:write('],"customers":[\n')
local id = 0
local lines = {}
for s = 1, n do
  for _ = 1, math.random(1, 2 * per - 1) do
    id = id + 1
    lines[#lines + 1] = record{{"id", tostring(id)}, {"name", "Customer " .. id},
                               {"salesId", tostring(s)}}
  end
end
f:write(table.concat(lines, ",\n"), "\n]}\n")
f:close()
print(("gen_data.lua: wrote %s: %d users (%d sales), %d customers"):format(
  out, n + managers, n, id))
