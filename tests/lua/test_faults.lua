-- Client-side faults: a server that never answers, one that closes mid-body,
-- and one killed in the middle of a gather (SERVE_URL / SERVE_PID: a
-- `dockscript serve --delay 0.5` process started by tests/fault_test.sh).
local T = require "testlib"
local base = T.fixture()
local serve_url, serve_pid = os.getenv("SERVE_URL"), os.getenv("SERVE_PID")

T.test("a server that accepts and never answers: every task times out", function()
  local t0 = clock.now()
  local items = {}
  for i = 1, 50 do items[i] = i end
  local res, errs = http.map(function()
    return http.get(base .. "/hang", { timeout = 0.5 }).status
  end, items, { return_errors = true })
  local dt = clock.now() - t0
  for i = 1, 50 do
    T.eq(res[i], nil, "no result " .. i)
    T.ok(errs[i] and errs[i]:find("GET " .. base .. "/hang: ", 1, true) and errs[i]:find("imed out"),
      "timeout error " .. i .. ": " .. tostring(errs[i]))
  end
  T.lt(dt, 5, "all 50 timeouts fired together")
end)

T.test("a server that closes mid-body: an error, not a truncated success", function()
  T.raises(function() http.get(base .. "/cut") end, "GET " .. base .. "/cut: ", "closed")
  local _, errs = http.gather({ function() return http.get(base .. "/cut").body end },
    { return_errors = true })
  T.ok(errs[1] and errs[1]:find("GET " .. base .. "/cut: ", 1, true), "in a task too: " .. tostring(errs[1]))
end)

T.test("the server killed in the middle of a gather of 500 lookups", function()
  assert(serve_url and serve_pid, "SERVE_URL and SERVE_PID are not set: run through tests/fault_test.sh")
  local docking = require "docking"
  T.eq(http.get(serve_url .. "/").status, 200, "server up")
  local items = {}
  for i = 1, 500 do items[i] = "John" end
  local tasks = {}
  for i = 1, 500 do tasks[i] = function() return docking.customers_of(serve_url, items[i]) end end
  tasks[501] = function()
    clock.sleep(0.2) -- every lookup is now waiting out the server's delay
    os.execute("kill -9 " .. serve_pid)
    return "killed"
  end
  local t0 = clock.now()
  local res, errs = http.gather(tasks, { return_errors = true })
  local dt = clock.now() - t0
  T.eq(res[501], "killed", "killer ran")
  for i = 1, 500 do
    T.eq(res[i], nil, "no result " .. i)
    T.ok(errs[i] and errs[i]:find("GET " .. serve_url .. "/users?name=John: ", 1, true),
      "error names the URL " .. i .. ": " .. tostring(errs[i]))
  end
  T.lt(dt, 10, "gather returned promptly")
  -- and without return_errors, gather raises promptly naming a task
  T.raises(function()
    http.map(function() return docking.customers_of(serve_url, "John") end, { 1, 2, 3 })
  end, "task ", "GET " .. serve_url .. "/users?name=John: ")
end)

T.done()
