-- Driven by test_lua_module.py: checks server.start's argument errors, then
-- starts a server, prints its url, waits for a line on stdin (the driver
-- queries the server meanwhile), stops it and prints "done".
local server = server or require "server"

local function fails(opts, pattern)
  local ok, err = pcall(server.start, opts)
  assert(not ok, "server.start should have failed for " .. pattern)
  assert(tostring(err):find(pattern, 1, true),
         ("error %q does not mention %q"):format(tostring(err), pattern))
end

-- the messages are dockscript serve's (test_options.py compares them),
-- naming the key
fails({port = "x"}, "server.start: 'port': expected an integer 0..65535, got 'x'")
fails({port = 70000}, "'port': expected an integer 0..65535, got '70000'")
fails({port = 1.5}, "'port': expected an integer 0..65535, got '1.5'")
fails({port = true}, "'port': expected an integer 0..65535, got boolean")
fails({delay = -1}, "'delay': expected seconds 0..3600 or uniform:A,B, exp:MEAN or "
                    .. "lognormal:MEDIAN,P99, got '-1'")
fails({delay = 4000.5}, "got '4000.5'")
fails({delay = "slow"}, "'delay': expected seconds 0..3600 or uniform:A,B")
fails({delay = true}, "'delay': expected seconds 0..3600 or uniform:A,B, exp:MEAN or "
                      .. "lognormal:MEDIAN,P99, got boolean")
fails({delay = "exp:-1"}, "'delay': expected exp:MEAN with MEAN seconds > 0 and <= 3600, got 'exp:-1'")
fails({delay = "uniform:3,1"}, "'delay': expected uniform:A,B with A <= B, got 'uniform:3,1'")
fails({delay = "lognormal:1,0.5"}, "expected lognormal:MEDIAN,P99 with P99 > MEDIAN, got 'lognormal:1,0.5'")
fails({delay = "zipf:1"}, "unknown distribution 'zipf'")
fails({route_delay = {nosuch = 1}}, "'route_delay': unknown route 'nosuch'")
fails({route_delay = {[1] = 1}}, "'route_delay': unknown route '1'")
fails({route_delay = {users = "exp:0"}}, "'route_delay.users': expected exp:MEAN")
fails({route_delay = {customer = -2}}, "'route_delay.customer': expected seconds 0..3600")
fails({route_delay = "users=1"}, "'route_delay': expected a table {ROUTE = SPEC}, got string")
fails({fail = 1.5}, "'fail': expected a fraction 0..1, got '1.5'")
fails({fail = "abc"}, "'fail': expected a fraction 0..1, got 'abc'")
fails({reset = -0.1}, "'reset': expected a fraction 0..1, got '-0.1'")
fails({hang = 0 / 0}, "'hang': expected a fraction 0..1")
fails({fail = 0.6, hang = 0.6}, "'fail' + 'reset' + 'hang' must be at most 1, got 1.2")
fails({seed = -1}, "'seed': expected an integer 0..2^64-1, got '-1'")
fails({seed = 1.5}, "'seed': expected an integer 0..2^64-1, got '1.5'")
fails({client_delay = 1}, "'client_delay': expected a boolean, got number")
fails({max_delay = 4000}, "'max_delay': expected seconds 0..3600, got '4000'")
fails({timeout = -1}, "'timeout': expected seconds 0..86400, got '-1'")
fails({timeout = math.huge}, "'timeout': expected seconds 0..86400, got 'inf'")
fails({queue_max = 4}, "'queue_max' needs 'workers': a queue forms only when every worker is busy")
fails({workers = 2, queue_max = -1}, "'queue_max': expected an integer 0..1000000, got '-1'")
fails({stats = "no"}, "'stats': expected a boolean, got string")
fails({workers = -2}, "'workers': expected an integer 0..1000000, got '-2'")
fails({log = "yes"}, "'log': expected a boolean, got string")
fails({data = 42}, "'data': expected a string, got number")
fails({host = ""}, "'host': must not be empty")
fails({host = {}}, "'host': expected a string, got table")
fails({dealy = 0.5}, "server.start: unknown option 'dealy'; did you mean 'delay'?")
fails({dely = 0.5}, "server.start: unknown option 'dely'; did you mean 'delay'?")
fails({wrokers = 2}, "unknown option 'wrokers'; did you mean 'workers'?")
fails({[1] = 2}, "unknown option '1'")
do  -- nothing to suggest: the message ends with the name
  local ok, err = pcall(server.start, {bogus = 1})
  assert(not ok and err == "server.start: unknown option 'bogus'", err)
end
fails({data = "/nonexistent/data.json"}, "data file '/nonexistent/data.json': cannot open")
fails(42, "bad argument #1")

-- data files are decoded in this state, by a cjson of server.start's own:
-- not the one a script may have replaced in package.loaded
do
  local function file(text)
    local path = os.tmpname()
    local f = assert(io.open(path, "w"))
    f:write(text)
    f:close()
    return path
  end
  local bad = file('{"users": [],\n "customers": [1,]}')
  fails({data = bad}, "data file '" .. bad .. "': not valid JSON: line 2, column 18: ")
  local good = file('{"users": [{"id": "7", "name": "Ann", "role": "sales"}], "customers": []}')
  local saved = package.loaded.cjson
  package.loaded.cjson = {decode = function() error("not this one") end}
  local s = server.start{data = good, delay = 0}
  package.loaded.cjson = saved
  local r = http.get(s.url .. "/users/7")
  assert(r.status == 200 and r:json().name == "Ann", r.body)
  s:stop()
  os.remove(bad)
  os.remove(good)
end

-- what the options table takes besides strings: a whole float for an
-- integer, numbers as strings, every route
do
  local s = server.start{port = 0.0, workers = "2", delay = 0.1, seed = 2^40,
                         route_delay = {users = 0.2, user = "0", customers = "exp:0.1",
                                        customer = 0}}
  s:stop()
end

local srv = server.start{port = 0, delay = 0.2, workers = 0, log = false}
assert(srv.url:match("^http://127%.0%.0%.1:%d+$"), srv.url)
assert(math.type(srv.port) == "integer" and srv.port > 0)
assert(srv.url == "http://127.0.0.1:" .. srv.port)
assert(srv.running == true)

-- a busy port is one clear error
fails({port = srv.port}, "in use")

-- a second server, never stopped explicitly: __gc must stop it
local other = server.start{delay = 0}
assert(other.port ~= srv.port)

print(srv.url)
io.stdout:flush()
local line = io.read("l")
assert(line == "stop", "driver said " .. tostring(line))

srv:stop()
srv:stop()   -- idempotent
assert(srv.running == false)
assert(tostring(srv):find("stopped", 1, true))
other = nil
collectgarbage()
collectgarbage()
do
  local closing <close> = server.start{delay = 0}
  assert(closing.running)
end
print("done")
