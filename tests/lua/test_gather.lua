-- http.gather / http.map against the fixture server on 127.0.0.1.
local T = require "testlib"
local base = T.fixture()

local function delayed(s, id)
  return http.get(base .. "/delay", { params = { s = s, id = id } }):json().id
end

T.test("results come back in task order when completions arrive out of order", function()
  local order = {}
  local tasks = {}
  for i = 1, 6 do
    tasks[i] = function()
      local id = delayed(0.05 * (7 - i), "t" .. i) -- the last task finishes first
      order[#order + 1] = i
      return id
    end
  end
  local res = http.gather(tasks)
  for i = 1, 6 do T.eq(res[i], "t" .. i, "result " .. i) end
  T.eq(order[1], 6, "first to complete")
  T.eq(order[6], 1, "last to complete")
end)

T.test("http.map runs fn(item) for each item, in item order", function()
  local res = http.map(function(x) return delayed(0.05, x) .. "!" end, { "a", "b", "c" })
  T.eq(table.concat(res, ","), "a!,b!,c!", "results")
end)

T.test("clock.sleep inside tasks overlaps", function()
  local t0 = clock.now()
  local tasks = {}
  for i = 1, 10 do tasks[i] = function() clock.sleep(0.2); return i end end
  local res = http.gather(tasks)
  local dt = clock.now() - t0
  T.eq(#res, 10, "results")
  T.ok(dt >= 0.2, "at least one sleep, got " .. dt)
  T.lt(dt, 1.0, "10 x 0.2 s sleeps overlapped")
end)

T.test("nested gather inside a task", function()
  local res = http.gather({
    function()
      local inner = http.gather({
        function() return delayed(0.1, "x") end,
        function() clock.sleep(0.05); return "y" end,
      })
      return inner[1] .. inner[2]
    end,
    function() return delayed(0.05, "z") end,
  })
  T.eq(res[1], "xy", "nested results")
  T.eq(res[2], "z", "sibling")
end)

T.test("limit caps the tasks in flight (seen by the server)", function()
  http.get(base .. "/inflight", { params = { reset = 1 } })
  local running, peak = 0, 0
  local res = http.map(function(i)
    running = running + 1
    peak = math.max(peak, running)
    local id = delayed(0.05, i)
    running = running - 1
    return id
  end, { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 }, { limit = 3 })
  T.eq(#res, 12, "all done")
  T.eq(res[12], "12", "last result")
  local seen = http.get(base .. "/inflight", { params = { reset = 1 } }):json().max
  T.ok(seen <= 3, "server saw at most 3 in flight, saw " .. seen)
  T.ok(seen >= 2, "but it did run concurrently, saw " .. seen)
  T.eq(peak, 3, "tasks running at once")
end)

T.test("progress(done, total) is called as tasks finish", function()
  local calls = {}
  http.map(function(i) clock.sleep(0.01 * i) end, { 1, 2, 3, 4 },
    { progress = function(done, total) calls[#calls + 1] = done .. "/" .. total end })
  T.eq(table.concat(calls, " "), "1/4 2/4 3/4 4/4", "calls")
end)

T.test("a task error cancels the rest and names the task", function()
  local t0 = clock.now()
  local finished = 0
  local tasks = {}
  for i = 1, 5 do
    tasks[i] = function()
      if i == 3 then clock.sleep(0.1); error("lookup failed") end
      http.get(base .. "/hang", { timeout = 30 })
      finished = finished + 1
    end
  end
  T.raises(function() http.gather(tasks) end, "task 3: ", "lookup failed")
  T.lt(clock.now() - t0, 5, "gather raised promptly")
  T.eq(finished, 0, "cancelled tasks did not go on")
  -- the scheduler is still usable afterwards
  T.eq(http.gather({ function() return delayed(0.01, "after") end })[1], "after", "next gather")
end)

T.test("return_errors returns results and errors", function()
  local res, errs = http.gather({
    function() return "fine" end,
    function() error("bad one", 0) end,
    function() return http.get("http://127.0.0.1:1/").status end,
    function() error({}) end,
  }, { return_errors = true })
  T.eq(res[1], "fine", "result 1")
  T.eq(errs[1], nil, "no error 1")
  T.eq(errs[2], "bad one", "error 2")
  T.ok(errs[3]:find("GET http://127.0.0.1:1/", 1, true), "error 3 names the URL: " .. errs[3])
  T.ok(errs[4]:find("table value", 1, true), "error 4: " .. errs[4])
end)

T.test("http.get inside a user's coroutine.wrap inside a task still works", function()
  local res = http.gather({
    function()
      local f = coroutine.wrap(function(x)
        local id = delayed(0.05, x)
        coroutine.yield(id)
        return "second"
      end)
      return f("wrapped") .. "+" .. f()
    end,
    function() return delayed(0.05, "plain") end,
  })
  T.eq(res[1], "wrapped+second", "wrapped")
  T.eq(res[2], "plain", "sibling")
end)

T.test("a bare coroutine.yield in a task just lets others run", function()
  local trace = {}
  http.gather({
    function() trace[#trace + 1] = "a1"; coroutine.yield(); trace[#trace + 1] = "a2" end,
    function() trace[#trace + 1] = "b1"; coroutine.yield(); trace[#trace + 1] = "b2" end,
  })
  T.eq(table.concat(trace, " "), "a1 b1 a2 b2", "interleaving")
end)

T.test("http.get where a task cannot yield (sort comparator) blocks instead", function()
  local res = http.gather({ function()
    local t = { 3, 1, 2 }
    table.sort(t, function(a, b)
      return tonumber(delayed(0, a)) < tonumber(delayed(0, b))
    end)
    return table.concat(t, ",")
  end })
  T.eq(res[1], "1,2,3", "sorted")
end)

T.test("gather of a nested blocking gather inside a wrapped coroutine", function()
  local res = http.gather({
    function()
      return coroutine.wrap(function()
        return table.concat(http.map(function(x) return delayed(0.02, x) end, { "p", "q" }), "")
      end)()
    end,
    function() clock.sleep(0.05); return "r" end,
  })
  T.eq(res[1], "pq", "inner")
  T.eq(res[2], "r", "outer sibling")
end)

T.test("gathers, empty ones too, release their registry references", function()
  -- live entries: a freed reference stays as a number in luaL_ref's free
  -- list, and how many slots a round needs depends on when the collector
  -- ran, so those do not count
  local function registry_size()
    collectgarbage(); collectgarbage()
    local n = 0
    for _, v in pairs(debug.getregistry()) do
      if type(v) ~= "number" then n = n + 1 end
    end
    return n
  end
  local function churn()
    for _ = 1, 2000 do
      http.gather({})
      http.map(function(x) return x end, { 1 }, { progress = function() end })
    end
  end
  churn()
  local after_first = registry_size()
  churn()
  T.eq(registry_size(), after_first, "registry entries after a second round")
end)

T.test("argument errors", function()
  T.raises(function() http.gather(5) end, "bad argument #1 to 'gather'")
  T.raises(function() http.gather({ 1 }) end, "tasks[1] is a number")
  T.raises(function() http.gather({}, { limit = -1 }) end, "opts.limit")
  T.raises(function() http.gather({}, { progress = 1 }) end, "opts.progress")
  T.raises(function() http.map({}, {}) end, "bad argument #1 to 'map'")
  T.eq(#http.gather({}), 0, "empty gather")
end)

T.test("300 chains of two GETs (over one shard) open at most 300 connections", function()
  local before = http.get(base .. "/conns"):json().accepted
  local items = {}
  for i = 1, 300 do items[i] = i end -- more than one scheduler shard (256)
  local res = http.map(function(i)
    http.get(base .. "/delay", { params = { s = 0.1, id = i } })
    return http.get(base .. "/echo").status
  end, items)
  T.eq(#res, 300, "results")
  local opened = http.get(base .. "/conns"):json().accepted - before
  T.ok(opened <= 300, "300 chains opened " .. opened .. " connections")
end)

T.test("1,000 tasks of two chained GETs return what the sequential run returns", function()
  local function lookup(i)
    local a = http.get(base .. "/delay", { params = { s = 0.05, id = i } }):json().id
    return http.get(base .. "/echo", { params = { id = a } }):json().query.id[1]
  end
  local names = {}
  for i = 1, 1000 do names[i] = tostring(i) end
  local sync = {}
  for i = 1, 20 do sync[i] = lookup(names[i]) end
  local res = http.map(lookup, names, { limit = 200 })
  T.eq(#res, 1000, "results")
  for i = 1, 20 do T.eq(res[i], sync[i], "same as sync " .. i) end
  for i = 1, 1000 do T.eq(res[i], names[i], "result " .. i) end
end)

T.test("kept-alive connections the server closes while idle cost no CPU, then get replaced", function()
  local srv = server.start { port = 0, delay = 0, timeout = 1 }
  local items = {}
  for i = 1, 50 do items[i] = i end
  local function get() return http.get(srv.url .. "/users/1").status end
  T.eq(#http.map(get, items), 50, "first round")
  -- the server times the 50 idle connections out during this sleep; the
  -- scheduler must stop watching them, not spin on their end-of-file
  local cpu0 = os.clock()
  http.gather({ function() clock.sleep(2.5) end })
  local cpu = os.clock() - cpu0
  T.lt(cpu, 1.0, "process CPU seconds during a 2.5 s sleep")
  local res = http.map(get, items)
  for i = 1, 50 do T.eq(res[i], 200, "second round " .. i) end
  srv:stop()
end)

T.test("a stray coroutine.resume of a sleeping task does not end its sleep", function()
  local co, slept
  local res = http.gather({
    function()
      co = coroutine.running()
      local t0 = clock.now()
      clock.sleep(0.2)
      slept = clock.now() - t0
      return "slept"
    end,
    function()
      clock.sleep(0.02)
      local ok = coroutine.resume(co)
      return tostring(ok) .. " " .. coroutine.status(co)
    end,
  })
  T.eq(res[1], "slept", "the sleeper's result")
  T.eq(res[2], "true suspended", "the stray resume returned; the sleeper still sleeps")
  T.ok(slept >= 0.19, "slept its full 0.2 s, got " .. slept)
  T.lt(slept, 2, "and woke")
end)

T.test("tasks cancelled or resumed mid-sleep leave nothing in the sleep heap", function()
  local co
  local tasks = {}
  for i = 1, 50 do tasks[i] = function() clock.sleep(0.01 * i) end end
  tasks[51] = function() co = coroutine.running(); clock.sleep(5) end
  tasks[52] = function() clock.sleep(0.005); error("stop") end
  T.raises(function() http.gather(tasks) end, "task 52: ", "stop")
  -- the records of the cancelled sleepers are freed with their group; one
  -- left in the heap would be read after free by the sleeps below
  collectgarbage()
  collectgarbage()
  local ok, err = coroutine.resume(co)
  T.eq(ok, false, "resuming a cancelled sleeper fails")
  T.ok(tostring(err):find("clock.sleep: resumed after its task was cancelled", 1, true), tostring(err))
  local t0 = clock.now()
  local res = http.map(function(s) clock.sleep(s); return s end, { 0.1, 0.3, 0.2 })
  T.eq(table.concat(res, " "), "0.1 0.3 0.2", "later sleeps")
  local dt = clock.now() - t0
  T.ok(dt >= 0.29 and dt < 2, "the longest sleep decides, got " .. dt)
end)

T.test("a cancelled task's request raises in it when its coroutine is resumed", function()
  local co
  T.raises(function()
    http.gather({
      function() co = coroutine.running(); http.get(base .. "/hang", { timeout = 30 }) end,
      function() clock.sleep(0.05); error("stop") end,
    })
  end, "task 2: ", "stop")
  local ok, err = coroutine.resume(co)
  T.eq(ok, false, "resuming it fails")
  T.ok(tostring(err):find("resumed after its task was cancelled", 1, true), tostring(err))
end)

T.test("sockets of transfers cancelled mid-connect leave epoll: later connects are prompt", function()
  -- 100 GETs to a server nothing is connected to yet are connecting after
  -- the scheduler's first turn, when task 101 fails; curl 7.88 closes those
  -- sockets without its close callback, and the next batch gets the same
  -- descriptor numbers. A registration kept for a number whose socket is
  -- gone would leave a new connect to curl's 200 ms timer.
  local srv = server.start { port = 0, delay = 0 }
  local tasks = {}
  for i = 1, 100 do tasks[i] = function() return http.get(srv.url .. "/").status end end
  tasks[101] = function() clock.sleep(0); error("stop") end
  T.raises(function() http.gather(tasks) end, "task 101: ", "stop")
  local items = {}
  for i = 1, 100 do items[i] = i end
  local connects = http.map(function() return http.get(srv.url .. "/").timings.connect end, items)
  srv:stop()
  T.eq(#connects, 100, "all answered")
  table.sort(connects)
  print(string.format("  connects after the cancelled ones (curl's clock): median %.2f ms, slowest %.2f ms",
    connects[50] * 1000, connects[100] * 1000))
  -- Each of the 100 numbers is reused: with stale registrations every
  -- connect would wait for the timer. The slowest one on a busy machine
  -- says more about the machine (its figure: tools/bench/bench_test_figures.sh).
  T.lt(connects[50], 0.2, "median connect in seconds against curl's 200 ms timer")
end)

T.test("an unknown gather/map option is an error naming it", function()
  T.raises(function() http.map(function(x) return x end, { 1 }, { limmit = 1 }) end,
           "bad argument #3", "unknown option 'limmit'")
  T.raises(function() http.gather({}, { retrun_errors = true }) end,
           "bad argument #2", "unknown option 'retrun_errors'")
  T.eq(http.map(function(x) return x end, { 7 }, { limit = 1, return_errors = false })[1], 7,
       "known keys")
end)

T.done()
