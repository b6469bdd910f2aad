-- The verdicts of load.compare on runs of the real server, for
-- tests/compare_test.sh:
--   compare_check.lua same DIR N     DIR/base_I.json against DIR/run_I.json, I = 1..N:
--                                    two runs of one configuration: nothing may flag,
--                                    and every relative threshold holds
--   compare_check.lua lag RUN.json   exit 0 when the run kept its schedule (start lag
--                                    p99 within load.compare's LAG_LIMIT), else 1
--   compare_check.lua slower BASE RUN  RUN's server is 10% slower, with 3x the
--                                    failures: p50 and p99 of the chain and of each
--                                    tag flag, the error rate flags, and the
--                                    relative thresholds over +10% fail
-- Prints each comparison's largest |z| (and the critical z) and one line per
-- check; exits 1 when a check fails.
local report = require "load.report"
local compare = require "load.compare"
local T = require "testlib"

local function read(path)
  local raw, err = report.read(path)
  if not raw then error(err, 0) end
  return raw
end

local function largest_z(c)
  local z, at = 0, "-"
  for _, row in ipairs(c.rows) do
    if row.z and math.abs(row.z) > z then z, at = math.abs(row.z), row.name .. ":" .. row.stat end
  end
  if math.abs(c.errors.z) > z then z, at = math.abs(c.errors.z), "errors" end
  return z, at
end

local function parse_all(list)
  local out = {}
  for i, e in ipairs(list) do out[i] = assert(compare.parse_relative(e)) end
  return out
end

local mode = arg[1]
if mode == "lag" then
  local lag = compare.start_lag_p99(read(arg[2]))
  print(string.format("start lag p99 %.2f ms", (lag or 0) * 1e3))
  os.exit(lag and lag <= compare.LAG_LIMIT and 0 or 1)
elseif mode == "same" then
  local dir, n = arg[2], tonumber(arg[3])
  local held = parse_all({ "chain:p50<+1%", "chain:p99<+2%", "GET /users:p50<+1%",
                           "GET /customers:p99<+2%", "errors<+0.1%" })
  local flags, failed_thresholds = {}, {}
  for i = 1, n do
    local c = compare.reports(read(dir .. "/base_" .. i .. ".json"), read(dir .. "/run_" .. i .. ".json"))
    local z, at = largest_z(c)
    local f = compare.flags(c)
    print(string.format("pair %2d: %d rows, largest |z| %.2f (%s), critical %.2f, flags: %s", i,
      #c.rows, z, at, c.z, #f > 0 and table.concat(f, ", ") or "none"))
    for _, name in ipairs(f) do flags[#flags + 1] = i .. ":" .. name end
    if #f > 0 then io.write(compare.text(c)) end
    for _, r in ipairs(compare.check_relative(held, c)) do
      if not r.ok then failed_thresholds[#failed_thresholds + 1] = i .. ":" .. r.expression end
    end
    if #c.rows ~= 9 then flags[#flags + 1] = i .. ": " .. #c.rows .. " rows, not 9" end
  end
  print(string.format("false flags in %d pairs: %d", n, #flags))
  T.test(string.format("%d pairs of one configuration: no flag", n), function()
    T.eq(table.concat(flags, "; "), "", "flags")
  end)
  T.test("relative thresholds hold between runs of one configuration", function()
    T.eq(table.concat(failed_thresholds, "; "), "", "failed")
  end)
elseif mode == "slower" then
  local c = compare.reports(read(arg[2]), read(arg[3]), { base_label = "the 10% faster server" })
  io.write(compare.text(c))
  T.test("10% slower: p50 and p99 of the chain and of each tag flag", function()
    local seen = 0
    for _, row in ipairs(c.rows) do
      if row.stat ~= "p90" then
        seen = seen + 1
        T.ok(row.significant, row.name .. ":" .. row.stat .. " did not flag")
        T.ok(row.change_pct > 3 and row.change_pct < 17,
          string.format("%s:%s changed %+.1f%%, not about +10%%", row.name, row.stat, row.change_pct))
      end
    end
    T.eq(seen, 6, "rows checked")
  end)
  T.test("3x the failures: the error rate flags", function()
    T.ok(c.errors.significant, string.format("errors %.3f%% -> %.3f%%, z %.2f", 100 * c.errors.base,
      100 * c.errors.run, c.errors.z))
  end)
  T.test("relative thresholds: over the bound and significant fail, others hold", function()
    local exprs = { "chain:p99<+5%", "chain:p50<+5%", "GET /users:p50<+5%", "errors<+0.5%",
                    "chain:p99<+30%", "chain:p50<+30%", "errors<+10%" }
    local want = { false, false, false, false, true, true, true }
    for i, r in ipairs(compare.check_relative(parse_all(exprs), c)) do
      T.eq(r.ok, want[i], r.expression .. string.format(" (change %+.2f)", r.value or 0))
    end
  end)
else
  io.stderr:write("usage: compare_check.lua same DIR N | slower BASE.json RUN.json\n")
  os.exit(2)
end
T.done()
