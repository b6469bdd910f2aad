-- clock.think: pauses drawn from the server's delay distributions (--delay's
-- syntax), slept like clock.sleep (yielding in a task), and seeded per
-- iteration under load.lua --seed.
--   dockscript tests/lua/test_clock.lua
local T = require "testlib"

T.test("clock.think: a fixed pause is that many seconds, slept", function()
  local t0 = clock.now()
  T.eq(clock.think("0.02"), 0.02, "returned")
  T.ok(clock.now() - t0 >= 0.02, "slept at least that long")
end)

T.test("clock.think: uniform draws within A..B, their mean (A + B) / 2", function()
  local n, sum = 200, 0
  for _ = 1, n do
    local t0 = clock.now()
    local s = clock.think("uniform:0.001,0.002")
    T.ok(s >= 0.001 and s <= 0.002, "in range: " .. s)
    T.ok(clock.now() - t0 >= s, "slept the draw")
    sum = sum + s
  end
  -- the mean of n uniform draws: sd (B - A) / sqrt(12 n); 5 sd either side
  local sd = 0.001 / math.sqrt(12 * n)
  T.ok(math.abs(sum / n - 0.0015) < 5 * sd, "mean " .. sum / n)
end)

T.test("clock.think: exp and lognormal draw positive pauses around their median", function()
  local below = 0
  for _ = 1, 100 do
    local s = clock.think("lognormal:0.001,0.003")
    T.ok(s > 0, "lognormal > 0")
    if s < 0.001 then below = below + 1 end
  end
  -- half fall below the median: binomial(100, 0.5) stays in 25..75 (5 sd)
  T.ok(below >= 25 and below <= 75, "below the median: " .. below)
  T.ok(clock.think("exp:0.001") >= 0, "exp >= 0")
end)

T.test("clock.think: a spec that does not parse is one line naming it", function()
  local cases = {
    { "uniform:3,1", "clock.think: expected uniform:A,B with A <= B, got 'uniform:3,1'" },
    { "gauss:1", "clock.think: unknown distribution 'gauss' (use uniform:A,B, exp:MEAN or "
      .. "lognormal:MEDIAN,P99), got 'gauss:1'" },
    { "-1", "clock.think: expected seconds 0..3600 or uniform:A,B, exp:MEAN or "
      .. "lognormal:MEDIAN,P99, got '-1'" },
  }
  for _, c in ipairs(cases) do
    local ok, err = pcall(clock.think, c[1])
    T.eq(ok, false, c[1])
    T.eq(err, c[2], c[1])
  end
  T.ok(not pcall(clock.think), "no spec")
end)

T.test("clock.think yields in a task: a shorter sleep beside it ends first", function()
  local order = {}
  local r = http.gather({
    function() local s = clock.think("0.2"); order[#order + 1] = "think"; return s end,
    function() clock.sleep(0.01); order[#order + 1] = "sleep" end,
  })
  T.eq(r[1], 0.2, "the task's result")
  T.eq(table.concat(order, " "), "sleep think", "order")
end)

T.test("clock.think outside --seed: math.randomseed replays it", function()
  math.randomseed(42)
  local a = { clock.think("uniform:0,0.001"), clock.think("uniform:0,0.001") }
  math.randomseed(42)
  local b = { clock.think("uniform:0,0.001"), clock.think("uniform:0,0.001") }
  T.ok(a[1] == b[1] and a[2] == b[2] and a[1] ~= a[2], "the same two draws")
end)

-- A load run whose iteration i returns its pauses (one in the iteration,
-- one in each task of a gather).
local scenario = os.tmpname() .. ".lua"
local f = assert(io.open(scenario, "w"))
f:write([[
return { iteration = function(_, i)
  local own = clock.think("uniform:0,0.004")
  local sub = http.gather({ function() return clock.think("exp:0.001") end,
                            function() return clock.think("uniform:0,0.002") end })
  return { own, sub[1], sub[2] }
end }
]])
f:close()
local function pauses(spec)
  spec.scenario, spec.collect, spec.vus, spec.iterations = scenario, true, 4, 40
  local report = require("load").run(spec)
  T.eq(report.iterations.done, 40, "done")
  return report.results
end

T.test("clock.think under --seed: iteration i thinks the same pauses in 1 or 2 threads, "
  .. "and other pauses under another seed", function()
  local one = pauses({ seed = 7, threads = 1 })
  local two = pauses({ seed = 7, threads = 2 })
  local other = pauses({ seed = 8, threads = 2 })
  local same, differ, distinct = 0, 0, {}
  for i = 1, 40 do
    if T.deepeq(one[i], two[i]) then same = same + 1 end
    if one[i][1] ~= other[i][1] then differ = differ + 1 end
    distinct[one[i][1]] = true
  end
  T.eq(same, 40, "iterations with the same pauses")
  T.eq(differ, 40, "iterations with other pauses under --seed 8")
  local n = 0
  for _ in pairs(distinct) do n = n + 1 end
  T.eq(n, 40, "each iteration its own draw")
end)

os.remove(scenario)
T.done()
