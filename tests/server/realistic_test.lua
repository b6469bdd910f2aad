-- The realistic server seen by the dockscript client: delay
-- distributions over 2,000 requests, injected 500s and resets, and
-- srv:stats() against GET /_stats. Run by ctest as
--   dockscript tests/server/realistic_test.lua
-- Prints the measured figures; any check that fails raises.
local function range(n)
  local t = {}
  for i = 1, n do t[i] = i end
  return t
end

local function check(cond, fmt, ...)
  if not cond then error(string.format(fmt, ...), 2) end
end

-- Each request's own elapsed time (curl's, from the client's side). The
-- server runs in this process: at 200 requests at once on 2 shared cores
-- the client's own work added 7 ms to the mean; at 50, 1.5 ms.
local function elapsed_of(url, n, limit)
  return http.map(function()
    local r = http.get(url)
    check(r.status == 200, "status %d", r.status)
    return r.elapsed
  end, range(n), {limit = limit})
end

local function sorted(t)
  local s = {table.unpack(t)}
  table.sort(s)
  return s
end

local function mean(t)
  local sum = 0
  for _, v in ipairs(t) do sum = sum + v end
  return sum / #t
end

-- 1. exp:0.1, seed 1: the sample mean within 10% of 0.1 s, the p99 within
-- 20% of the exponential's (0.1 ln 100 = 0.4605 s).
do
  local srv = server.start{delay = "exp:0.1", seed = 1}
  local t = elapsed_of(srv.url .. "/users/1", 2000, 50)
  local s = sorted(t)
  local m, p99 = mean(t), s[math.ceil(0.99 * #s)]
  local want99 = 0.1 * math.log(100)
  print(string.format("exp:0.1 over %d requests: mean %.4f s, p99 %.4f s (exponential: 0.1, %.4f)",
                      #t, m, p99, want99))
  check(math.abs(m - 0.1) <= 0.01, "mean %.4f not within 10%% of 0.1", m)
  check(math.abs(p99 - want99) <= 0.2 * want99, "p99 %.4f not within 20%% of %.4f", p99, want99)
  -- a request is counted when it completes, which may be a moment after the
  -- client has its answer: the figures after the stop have every one
  srv:stop()
  local st = srv:stats()
  check(st.requests.by_status["200"] == 2000, "by_status %s", tostring(st.requests.by_status["200"]))
  print(string.format("  server side: delay p50 %.4f s, p99 %.4f s", st.delay.p50, st.delay.p99))
  check(math.abs(st.delay.p50 - 0.1 * math.log(2)) < 0.1 * 0.15, "server p50 %.4f", st.delay.p50)
end

-- 2. uniform:0.1,0.3: every request inside [0.1, 0.3] plus scheduling slack.
do
  local srv = server.start{delay = "uniform:0.1,0.3", seed = 2}
  local s = sorted(elapsed_of(srv.url .. "/customers?salesId=2", 500, 50))
  print(string.format("uniform:0.1,0.3 over %d requests: min %.4f s, max %.4f s", #s, s[1], s[#s]))
  check(s[1] >= 0.1, "min %.4f below 0.1", s[1])
  check(s[#s] <= 0.3 + 0.1, "max %.4f above 0.3 + 0.1 slack", s[#s])
  srv:stop()
end

-- 3. fail 0.1 over 2,000: 10% +- 2% answered 500 InjectedFault, the rest
-- right. +-2% is 3 standard deviations of the count: 99.7% of seeds pass.
do
  local srv = server.start{delay = 0, fail = 0.1, seed = 1}
  local kinds = http.map(function()
    local r = http.get(srv.url .. "/customers/3")
    if r.status == 500 then
      check(r:json().type == "InjectedFault", "500 body %s", r.body)
      return "fail"
    end
    check(r.status == 200 and r:json().name == "Kobe Bryant", "answer %d %s", r.status, r.body)
    return "ok"
  end, range(2000), {limit = 50})
  local fails = 0
  for _, k in ipairs(kinds) do if k == "fail" then fails = fails + 1 end end
  print(string.format("fail 0.1 over 2000 requests: %d answered 500 (%.1f%%)", fails, fails / 20))
  check(fails >= 160 and fails <= 240, "%d fails", fails)
  srv:stop()
  check(srv:stats().faults.fail == fails, "faults.fail %d", srv:stats().faults.fail)
  check(srv:stats().requests.by_status["500"] == fails, "500s counted")
end

-- 4. reset 0.05: transport errors seen by http.get. On a fresh connection
-- each time, about 5%; on keep-alive connections curl sends a request again
-- once when a reused connection closes before any byte of the answer, so
-- only a reset of that second try is seen.
local function resets(opts, n)
  local srv = server.start{delay = 0, reset = 0.05, seed = 1}
  local _, errors = http.map(function()
    return http.get(srv.url .. "/users/2", opts).status
  end, range(n), {limit = 20, return_errors = true})
  local seen = 0
  for i = 1, n do
    if errors[i] then
      seen = seen + 1
      -- curl names it "Connection reset by peer", "Empty reply from server"
      -- or "select/poll returned error", depending on when the RST lands
      check(errors[i]:find("GET " .. srv.url .. "/users/2: ", 1, true), "error %s", errors[i])
    end
  end
  check(http.get(srv.url .. "/").status == 200, "the server still serves")
  local drawn = srv:stats().faults.reset
  srv:stop()
  return seen, drawn
end
do
  local seen, drawn = resets({headers = {Connection = "close"}}, 2000)
  print(string.format("reset 0.05, new connection per request: %d of 2000 failed (%.1f%%), %d reset",
                      seen, seen / 20, drawn))
  check(seen >= 60 and seen <= 140, "%d transport errors", seen)
  check(seen == drawn, "every reset seen: %d of %d", seen, drawn)
  seen, drawn = resets(nil, 2000)
  print(string.format("reset 0.05, keep-alive: %d of 2000 failed (%.2f%%), %d reset",
                      seen, seen / 20, drawn))
  check(seen < drawn, "curl retried the resets of reused connections")
end

-- 5. srv:stats() is the table GET /_stats encodes.
do
  local srv = server.start{delay = 0.01, workers = 4, queue_max = 10}
  http.map(function(p) return http.get(srv.url .. p).status end,
           {"/users", "/users/1", "/customers", "/customers/9", "/", "/nope"})
  -- both before GET /_stats counts itself (at its completion, which may
  -- come a moment after the client has the answer)
  local got = http.get(srv.url .. "/_stats"):json()
  local mine
  for _ = 1, 100 do
    mine = srv:stats()
    if mine.requests.total == 7 then break end
    clock.sleep(0.01)
  end
  check(mine.requests.by_route.stats == 1, "the GET /_stats completed")
  mine.requests.by_route.stats = 0
  mine.requests.total = mine.requests.total - 1
  mine.requests.by_status["200"] = mine.requests.by_status["200"] - 1
  -- JSON's null is an absent key in srv:stats(); uptime and the CPU
  -- seconds move between the two reads
  local function same(a, b, path)
    for k, v in pairs(a) do
      if v == json.null then
        check(b[k] == nil or b[k] == json.null, "%s%s: null vs %s", path, k, tostring(b[k]))
      else
        check(b[k] ~= nil, "%s%s missing on one side", path, k)
        if type(v) == "table" then same(v, b[k], path .. k .. ".")
        elseif k ~= "uptime" and path ~= "cpu." then
          check(math.abs(v - b[k]) < 1e-6, "%s%s: %s vs %s", path, k, tostring(v),
                tostring(b[k]))
        end
      end
    end
  end
  same(got, mine, "")
  same(mine, got, "")
  check(got.phase == json.null and got.schedule == json.null and mine.phase == nil,
        "no schedule, no phase")
  -- 6 timed answers: everything but the GET /_stats
  check(mine.server_timing.count == 6, "server_timing.count %d", mine.server_timing.count)
  check(mine.cpu.user > 0 and mine.cpu.system >= 0, "cpu seconds")
  check(math.type(mine.requests.total) == "integer" and mine.requests.total == 6, "total")
  check(mine.in_flight == 0 and mine.in_flight_max >= 1 and mine.queued == 0, "in flight")
  check(mine.requests.by_status["404"] == 2, "404s")
  srv:stop()
  check(srv:stats().requests.total == 7, "after the stop: the last figures")
  print("srv:stats() and GET /_stats agree")
end
print("realistic server checks passed")
