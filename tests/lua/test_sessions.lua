-- Cookie sessions against the bundled server's POST /login and GET /me:
-- a plain script's one jar (gathers share it), http.cookies(), and in load
-- runs one jar per VU (iteration slot), emptied at each iteration unless
-- keep_cookies, shared by the gathers of an iteration.
local T = require "testlib"
local runner = require "runner"
local report = require "load.report"

local srv = server.start({ port = 0, delay = 0 })
local dir = os.tmpname()
os.remove(dir)
assert(os.execute("mkdir -p " .. dir))

local function login(name)
  return http.request("POST", srv.url .. "/login", { body = "name=" .. name })
end

local function me()
  local r = http.get(srv.url .. "/me")
  return r.status == 200 and r:json().name or r.status
end

T.test("a plain script: one jar, read by http.cookies(), shared by gathers", function()
  T.eq(#http.cookies(), 0, "no cookie before a login")
  T.eq(me(), 401, "logged out")
  T.eq(login("john").status, 200, "login")
  local c = http.cookies()
  T.eq(#c, 1, "one cookie")
  T.eq(c[1].name, "session", "name")
  T.ok(c[1].value:match("^%x+$") and #c[1].value == 40, "value " .. c[1].value)
  T.eq(c[1].domain, "127.0.0.1", "domain")
  T.eq(c[1].path, "/", "path")
  T.eq(c[1].httponly, true, "httponly")
  T.eq(c[1].secure, false, "secure")
  T.eq(c[1].expires, 0, "a session cookie")
  T.eq(me(), "John Liu", "GET /me")
  local got = http.map(function() return me() end, { 1, 2, 3, 4 })
  for i = 1, 4 do T.eq(got[i], "John Liu", "gather task " .. i) end
  -- a task's login is the script's: one jar
  http.gather({ function() return login("ott") end })
  T.eq(me(), "William Ott", "after a gather task logged in")
  T.eq(http.request("POST", srv.url .. "/logout").status, 204, "logout")
  T.eq(#http.cookies(), 0, "the expired cookie left the jar")
  T.eq(me(), 401, "logged out again")
end)

local function scenario(name, code)
  local path = dir .. "/" .. name .. ".lua"
  local f = assert(io.open(path, "w"))
  f:write(code)
  f:close()
  return path
end

-- Each iteration: /me at its start, a login (John for odd i, William for
-- even), a pause so both VUs are logged in at once, then /me from three
-- tasks of a gather and the cookie jar as http.cookies() reads it.
local sessions = scenario("sessions", [[
local function me(url)
  local r = http.get(url .. "/me")
  return r.status == 200 and r:json().name or r.status
end
return {
  setup = function(args) return args[1] end,
  iteration = function(url, i)
    local out = { before = me(url), cookies_before = #http.cookies() }
    local name = i % 2 == 1 and "john" or "william"
    -- logged in from a gather task: the iteration's jar
    local r = http.gather({ function()
      return http.request("POST", url .. "/login", { body = "name=" .. name }).status
    end })
    out.login = r[1]
    clock.sleep(0.05)
    out.me = http.map(function() return me(url) end, { 1, 2, 3 })
    -- a coroutine of the scenario's own is no task: its request blocks,
    -- still with the VU's cookies, as does a gather started in it
    out.wrapped = coroutine.wrap(function()
      return me(url), http.map(function() return me(url) end, { 1 })[1]
    end)
    out.wrapped = { out.wrapped() }
    local c = http.cookies()
    out.cookie = #c == 1 and c[1].name or #c
    out.want = i % 2 == 1 and "John Liu" or "William Ott"
    return out
  end,
}]])

local function run(cfg)
  cfg.scenario, cfg.path, cfg.scripts = sessions, package.path, sys.scripts
  cfg.args, cfg.shard, cfg.grace, cfg.collect = { srv.url }, { 1, 1 }, 5, true
  if cfg.model == "open" then cfg.max_vus = cfg.max_vus or 10
  else cfg.duration = 0 end
  local result, err, code = runner.run(cfg)
  if not result then error(string.format("%s (code %d)", err, code), 0) end
  local raw = report.merge(result.threads)
  T.eq(raw.iterations.failed, 0, "failed iterations")
  return raw.results, raw.iterations.done
end

local function check_iteration(i, out, logged_in_before)
  T.eq(out.login, 200, "iteration " .. i .. " login")
  for k = 1, 3 do T.eq(out.me[k], out.want, "iteration " .. i .. " /me from task " .. k) end
  T.eq(out.wrapped[1], out.want, "iteration " .. i .. " /me from its own coroutine")
  T.eq(out.wrapped[2], out.want, "iteration " .. i .. " /me from a gather in it")
  T.eq(out.cookie, "session", "iteration " .. i .. " http.cookies()")
  if logged_in_before then
    T.ok(out.before == "John Liu" or out.before == "William Ott",
         "iteration " .. i .. " starts logged in: " .. tostring(out.before))
  else
    T.eq(out.before, 401, "iteration " .. i .. " starts logged out")
    T.eq(out.cookies_before, 0, "iteration " .. i .. " starts with an empty jar")
  end
end

T.test("closed model: two VUs on one thread keep separate sessions", function()
  local results, done = run({ model = "closed", vus = 2, threads = 1, iterations = 8 })
  T.eq(done, 8, "iterations")
  for i = 1, 8 do check_iteration(i, results[i], false) end
end)

T.test("closed model, 2 threads x 2 VUs", function()
  local results, done = run({ model = "closed", vus = 4, threads = 2, iterations = 12 })
  T.eq(done, 12, "iterations")
  for i = 1, 12 do check_iteration(i, results[i], false) end
end)

T.test("keep_cookies: a VU's next iteration starts logged in", function()
  local results, done = run({ model = "closed", vus = 1, threads = 1, iterations = 3,
                              keep_cookies = true })
  T.eq(done, 3, "iterations")
  T.eq(results[1].before, 401, "the first iteration starts logged out")
  -- one VU: iteration i + 1 sees the login of iteration i
  T.eq(results[2].before, "John Liu", "iteration 2 starts as iteration 1 left it")
  T.eq(results[3].before, "William Ott", "iteration 3 starts as iteration 2 left it")
  for i = 1, 3 do check_iteration(i, results[i], i > 1) end
end)

T.test("open model: every iteration starts logged out", function()
  local results, done = run({ model = "open", threads = 1, max_vus = 10,
                              rate_points = { { t = 0, rate = 40 }, { t = 0.5, rate = 40 } } })
  T.ok(done >= 10, "iterations " .. done)
  local n = 0
  for i, out in pairs(results) do
    check_iteration(i, out, false)
    n = n + 1
  end
  T.eq(n, done, "every iteration collected")
end)

T.test("load.run: keep_cookies from the scenario's options; a bad value is one line", function()
  local load = require "load"
  local kept = scenario("kept", [[
    local s = dofile("]] .. sessions .. [[")
    s.options = { keep_cookies = true }
    return s]])
  local report = load.run({ scenario = kept, vus = 1, iterations = 2, threads = 1,
                            args = { srv.url }, collect = true })
  T.eq(report.iterations.done, 2, "iterations")
  T.eq(report.results[1].before, 401, "the first iteration starts logged out")
  T.eq(report.results[2].before, "John Liu", "the second as the first left it")
  T.eq(report.options.keep_cookies, true, "the JSON options record it")
  T.ok(load.summary(report):match("^[^\n]*keep%-cookies"), "the summary names it")
  report = load.run({ scenario = sessions, vus = 1, iterations = 2, threads = 1,
                      args = { srv.url }, collect = true })
  T.eq(report.results[2].before, 401, "without it, logged out again")
  T.eq(report.options.keep_cookies, false, "recorded off")
  T.raises(function()
    load.run({ scenario = sessions, vus = 1, iterations = 1, args = { srv.url },
               keep_cookies = "yes" })
  end, "keep_cookies: expected true or false, got 'yes'")
end)

srv:stop()
os.execute("rm -rf " .. dir)
T.done()
