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

fails({port = "x"}, "'port' must be an integer 0..65535")
fails({port = 70000}, "'port' must be an integer 0..65535")
fails({port = 1.5}, "'port' must be an integer")
fails({delay = -1}, "'delay' must be 0..3600 seconds")
fails({delay = "slow"}, "'delay' 'slow': expected seconds 0..3600 or SECONDS, uniform:A,B")
fails({delay = true}, "'delay' must be seconds or a delay spec string")
fails({delay = "exp:-1"}, "'exp:-1': expected exp:MEAN with MEAN seconds > 0")
fails({delay = "uniform:3,1"}, "'uniform:3,1': A must not be greater than B")
fails({delay = "lognormal:1,0.5"}, "'lognormal:1,0.5': P99 must be greater than MEDIAN")
fails({delay = "zipf:1"}, "unknown distribution 'zipf'")
fails({route_delay = {nosuch = 1}}, "'route_delay': unknown route 'nosuch'")
fails({route_delay = {users = "exp:0"}}, "'exp:0'")
fails({route_delay = "users=1"}, "'route_delay' must be a table")
fails({fail = 1.5}, "'fail' must be a fraction 0..1, got 1.5")
fails({fail = "abc"}, "'fail' must be a fraction 0..1, got abc")
fails({reset = -0.1}, "'reset' must be a fraction 0..1")
fails({fail = 0.6, hang = 0.6}, "fail + reset + hang must be at most 1")
fails({seed = -1}, "'seed' must be an integer >= 0")
fails({seed = 1.5}, "'seed' must be an integer >= 0")
fails({client_delay = 1}, "'client_delay' must be a boolean")
fails({max_delay = 4000}, "'max_delay' must be seconds 0..3600, got 4000")
fails({timeout = -1}, "'timeout' must be seconds 0..86400")
fails({queue_max = 4}, "queue max needs workers")
fails({workers = 2, queue_max = -1}, "'queue_max' must be an integer 0..1000000")
fails({stats = "no"}, "'stats' must be a boolean")
fails({workers = -2}, "'workers' must be an integer")
fails({log = "yes"}, "'log' must be a boolean")
fails({data = 42}, "'data' must be a string")
fails({dealy = 0.5}, "unknown option 'dealy'")
fails({data = "/nonexistent/data.json"}, "data file '/nonexistent/data.json': cannot open")
fails(42, "bad argument #1")

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
