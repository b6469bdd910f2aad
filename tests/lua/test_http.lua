-- http.get / http.request against the fixture server on 127.0.0.1.
local T = require "testlib"
local base = T.fixture()

T.test("status, body and headers round trip", function()
  local r = http.get(base .. "/echo", { headers = { ["X-Test"] = "hello" } })
  T.eq(r.status, 200, "status")
  T.eq(r.headers["content-type"], "application/json", "content-type")
  T.eq(r.headers["x-multi"], "a, b", "repeated header joined")
  local e = r:json()
  T.eq(e.method, "GET", "method")
  T.eq(e.headers["x-test"], "hello", "request header")
  T.eq(r.url, base .. "/echo", "url")
  T.ok(r.elapsed > 0 and r.elapsed < 5, "elapsed in seconds")
end)

T.test("User-Agent: dockscript/VERSION unless opts.headers set one", function()
  local ua = function(opts) return http.get(base .. "/echo", opts):json().headers["user-agent"] end
  T.ok(ua():match("^dockscript/%d+%.%d+%.%d+$"), "default")
  T.ok(ua({ headers = { ["X-A"] = "1" } }):match("^dockscript/"), "with other headers")
  T.eq(ua({ headers = { ["user-agent"] = "mine/1" } }), "mine/1", "overridden")
  T.ok(http.request("POST", base .. "/echo", { body = "x" }):json().headers["user-agent"]:match("^dockscript/"), "with a body")
end)

T.test("r.headers is parsed once, on first use, and stays", function()
  local r = http.get(base .. "/echo")
  T.eq(rawget(r, "headers"), nil, "not parsed before use")
  local h = r.headers
  T.eq(h["content-length"], tostring(#r.body), "content-length")
  T.ok(r.headers == h, "same table on the second read")
  T.ok(rawget(r, "headers") == h, "a plain field afterwards")
  T.eq(r.nosuchfield, nil, "unknown fields are nil")
  T.eq(type(r.json), "function", "method")
end)

T.test("params: spaces, & and = and non-ASCII are escaped, keys sorted", function()
  local r = http.get(base .. "/echo", { params = { z = "a b", a = "x&y=z", m = "Jörg ü", n = 5 } })
  T.eq(r.url, base .. "/echo?a=x%26y%3Dz&m=J%C3%B6rg%20%C3%BC&n=5&z=a%20b", "url")
  local q = r:json().query
  T.eq(q.z[1], "a b", "space")
  T.eq(q.a[1], "x&y=z", "& and =")
  T.eq(q.m[1], "Jörg ü", "non-ASCII")
  T.eq(q.n[1], "5", "number")
end)

T.test("params append to an existing query; lists repeat the key", function()
  local r = http.get(base .. "/echo?x=1", { params = { id = { 1, 2 } } })
  T.eq(r:json().rawquery, "x=1&id=1&id=2", "query")
end)

T.test("params go before a #fragment", function()
  local r = http.get(base .. "/echo#top", { params = { a = 1 } })
  T.eq(r:json().rawquery, "a=1", "query the server got")
  T.eq(r.url, base .. "/echo?a=1#top", "url")
  T.eq(http.get(base .. "/echo?x=1#top?y", { params = { a = 1 } }):json().rawquery, "x=1&a=1",
       "appended to an existing query")
end)

T.test("opts.headers as a list is an error that shows the expected form", function()
  T.raises(function() http.get(base .. "/echo", { headers = { "X-A: b" } }) end,
    'opts.headers: expected a table of name = value (like {["X-A"] = "b"}), got a list')
  T.raises(function() http.get(base .. "/echo", { headers = { ["X-A"] = "b", "X-B: c" } }) end,
    "opts.headers: expected a table of name = value", "got a list")
  T.raises(function() http.get(base .. "/echo", { headers = { [true] = "b" } }) end,
    "opts.headers: names must be strings, got a boolean")
  T.raises(function() http.get(base .. "/echo", { headers = { ["X-A"] = {} } }) end,
    'opts.headers["X-A"]: expected a string, got table')
  T.eq(http.get(base .. "/echo", { headers = { ["X-N"] = 5 } }):json().headers["x-n"], "5",
       "a number value is sent as text")
end)

T.test("request: method and body", function()
  local r = http.request("post", base .. "/echo", { body = "a=1\0b", headers = { ["Content-Type"] = "text/plain" } })
  local e = r:json()
  T.eq(e.method, "POST", "method")
  T.eq(e.body, "a=1\0b", "body with NUL")
  T.eq(http.request("PUT", base .. "/echo", { body = "x" }):json().method, "PUT", "PUT")
  T.eq(http.request("DELETE", base .. "/echo"):json().method, "DELETE", "DELETE")
  local h = http.request("HEAD", base .. "/echo")
  T.eq(h.status, 200, "HEAD status")
  T.eq(h.body, "", "HEAD has no body")
end)

T.test("HTTP error statuses do not raise", function()
  T.eq(http.get(base .. "/status/404").status, 404, "404")
  T.eq(http.get(base .. "/status/500").status, 500, "500")
  T.eq(http.get(base .. "/status/404"):json().status, 404, "404 body")
end)

T.test("refused connection raises an error naming method, URL and reason", function()
  T.raises(function() http.get("http://127.0.0.1:1/x") end,
    "GET http://127.0.0.1:1/x", "Couldn't connect")
end)

T.test("a server that never answers times out, naming the URL", function()
  local t0 = clock.now()
  T.raises(function() http.get(base .. "/hang", { timeout = 0.3 }) end,
    "GET " .. base .. "/hang", "imed out")
  T.lt(clock.now() - t0, 5, "time to fail")
end)

T.test("bad URL and unsupported scheme raise", function()
  T.raises(function() http.get("ftp://127.0.0.1/") end, "GET ftp://127.0.0.1/", "not supported")
  T.raises(function() http.get("http://[::1") end, "GET http://[::1")
end)

T.test("a 10 MB body comes back intact", function()
  local n = 10 * 1024 * 1024
  local r = http.get(base .. "/big", { params = { bytes = n } })
  T.eq(#r.body, n, "length")
  local pattern = {}
  for i = 0, 255 do pattern[#pattern + 1] = string.char(i) end
  pattern = table.concat(pattern)
  T.eq(r.body:sub(1, 256), pattern, "first block")
  T.eq(r.body:sub(n - 255, n), pattern, "last block")
end)

T.test("a body with NUL bytes comes back intact", function()
  T.eq(http.get(base .. "/nul").body, "a\0b\0\0c\255", "body")
end)

T.test("200 sequential GETs reuse one connection", function()
  local before = http.get(base .. "/conns"):json().accepted
  for _ = 1, 200 do T.eq(http.get(base .. "/echo").status, 200, "status") end
  local after = http.get(base .. "/conns"):json().accepted
  T.eq(after - before, 0, "new connections")
end)

T.test("r:json() on a body that is not JSON raises naming the URL", function()
  local r = http.get(base .. "/notjson")
  T.raises(function() r:json() end, "GET " .. base .. "/notjson", "not JSON")
end)

T.test("argument errors are luaL_check style", function()
  T.raises(function() http.get() end, "bad argument #1 to 'get'")
  T.raises(function() http.get(base, 5) end, "bad argument #2 to 'get'")
  T.raises(function() http.get(base, { timeout = "x" }) end, "opts.timeout")
  T.raises(function() http.get(base, { timeout = -1 }) end, "opts.timeout")
  T.raises(function() http.get(base, { timeout = 1e300 }) end, "opts.timeout")
  T.raises(function() http.get(base, { timeout = 0 / 0 }) end, "opts.timeout")
  T.raises(function() http.get(base, { params = { a = {} , b = function() end } }) end, "opts.params.b")
  T.raises(function() http.get(base, { headers = 1 }) end, "opts.headers")
  T.raises(function() http.get(base, { headers = { ["X-A"] = "1\r\nX-Evil: 2" } }) end, "opts.headers")
  T.raises(function() http.get(base, { headers = { ["X-A\n"] = "1" } }) end, "opts.headers")
  T.raises(function() http.get(base, { headers = { ["X-A"] = "a\0b" } }) end, "opts.headers")
  T.raises(function() http.get(base, { headers = { [""] = "a" } }) end, "opts.headers")
  T.raises(function() http.get(base, { params = { ["a\0b"] = 1 } }) end, "opts.params")
  T.eq(http.get(base .. "/echo", { params = { a = "x\0y" } }):json().query.a[1], "x\0y", "NUL in a value is escaped")
  T.raises(function() http.get(base .. "/echo\0/x") end, "bad argument #1 to 'get' (URL contains a NUL byte)")
  T.raises(function() http.request(nil, base) end, "bad argument #1 to 'request'")
  T.raises(function() http.request("GET /x HTTP/1.1\r\nX:", base) end, "not an HTTP method")
  T.raises(function() http.request("", base) end, "not an HTTP method")
  T.raises(function() http.get(base .. "/a b\r\nX: y") end, "GET " .. base)
end)

T.test("json and cjson are the same lua-cjson module", function()
  T.ok(json == require "cjson", "json global")
  T.eq(json.encode({ a = 1 }), '{"a":1}', "encode")
end)

T.test("clock.now is monotonic seconds and clock.sleep blocks outside tasks", function()
  local t0 = clock.now()
  clock.sleep(0.05)
  local dt = clock.now() - t0
  T.ok(dt >= 0.05 and dt < 2, "slept about 0.05 s, got " .. dt)
  T.raises(function() clock.sleep(-1) end, "bad argument #1 to 'sleep'")
end)

T.test("an unknown option key is an error naming it, not silently ignored", function()
  T.raises(function() http.get(base .. "/status/200", { timout = 1 }) end,
           "bad argument #2", "unknown option 'timout'")
  T.raises(function() http.request("GET", base .. "/status/200", { [1] = true }) end,
           "bad argument #3", "option keys must be strings")
  T.eq(http.get(base .. "/status/200", { timeout = 5, follow = false }).status, 200, "known keys")
end)

T.test("timings, http_version, connects and tls: the same before and after r.headers", function()
  local r = http.get(base .. "/echo", { http_version = "1.1" })
  T.eq(r.headers["content-type"], "application/json", "headers first")
  local t = r.timings
  T.eq(t.total, r.elapsed, "total")
  T.lt(math.abs(t.dns + t.connect + t.tls + t.wait + t.receive - t.total), 1e-6, "sum - total")
  T.eq(rawequal(r.timings, t), true, "made once")
  T.eq(r.http_version, "1.1", "http_version")
  T.ok(r.connects == 0 or r.connects == 1, "connects")
  T.eq(r.tls, nil, "no tls over plain HTTP")
  local again = http.get(base .. "/echo")
  T.eq(again.connects, 0, "a reused connection")
  T.eq(again.timings.connect, 0, "no connect on it")
  T.eq(again.headers["content-type"], "application/json", "headers after")
  local seen = {}
  for k in pairs(again) do seen[k] = true end
  T.ok(seen.timings and seen.connects and seen.headers, "read fields are then in pairs(r)")
end)

T.done()
