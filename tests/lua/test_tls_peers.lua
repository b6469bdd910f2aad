-- The client's TLS and HTTP/2 against real peers (tests/with_tls_peers.sh):
-- nginx over TLS (HTTP/2 by ALPN, mutual TLS, a certificate for another
-- name, keepalive_requests 10 for GOAWAY) and nghttpd (h2c).
local T = require "testlib"
local dir = assert(os.getenv("TLS_DIR"), "run through tests/with_tls_peers.sh")
local function url(port_var, path)
  return "https://127.0.0.1:" .. assert(os.getenv(port_var), port_var) .. (path or "/")
end
local h2, mtls, goaway, wrong = url("TLS_H2_PORT"), url("TLS_MTLS_PORT"), url("TLS_GOAWAY_PORT"),
                                url("TLS_WRONGNAME_PORT")
local h2c = "http://127.0.0.1:" .. os.getenv("H2C_PORT") .. "/index.html"
local ca, otherca = dir .. "/ca.pem", dir .. "/otherca.pem"

local function sum(list, f)
  local n = 0
  for _, v in ipairs(list) do n = n + f(v) end
  return n
end

-- First: the connections to these peers are new only once per process.
T.test("phases of a new TLS connection and of a reused one add up to the total", function()
  local r = http.get(h2, { cafile = ca, http_version = "1.1" })
  local t = r.timings
  T.eq(r.connects, 1, "a new connection")
  T.ok(t.connect > 0 and t.tls > 0 and t.wait > 0 and t.dns >= 0 and t.receive >= 0, "phases")
  T.lt(math.abs(t.dns + t.connect + t.tls + t.wait + t.receive - t.total), 1e-6, "sum - total")
  T.eq(t.total, r.elapsed, "total")
  local again = http.get(h2, { cafile = ca, http_version = "1.1" })
  t = again.timings
  T.eq(again.connects, 0, "reused")
  T.eq(t.dns + t.connect + t.tls, 0, "no lookup, connect or handshake on a reused connection")
  T.lt(math.abs(t.wait + t.receive - t.total), 1e-6, "sum - total")
  local plain = http.get(h2c, { http_version = "h2c" }).timings
  T.eq(plain.tls, 0, "no handshake without TLS")
  T.ok(plain.connect > 0, "connect")
end)

T.test("verification: cafile and capath pass, the system's CAs and another CA fail", function()
  local r = http.get(h2, { cafile = ca })
  T.eq(r.status, 200, "status")
  T.eq(r.tls.version, "TLSv1.2", "this server speaks TLS 1.2 only")
  T.ok(r.tls.cipher:find("^ECDHE%-ECDSA%-"), "an ECDHE-ECDSA cipher: " .. r.tls.cipher)
  T.eq(http.get(h2, { capath = dir .. "/capath" }).status, 200, "capath")
  T.raises(function() http.get(h2) end, "GET " .. h2 .. ": ", "SSL certificate problem")
  T.raises(function() http.get(h2, { cafile = otherca }) end, "127.0.0.1",
           "SSL certificate problem")
  T.eq(http.get(h2, { insecure = true }).status, 200, "insecure")
  T.eq(http.get(h2c, { http_version = "h2c" }).tls, nil, "no r.tls without TLS")
end)

T.test("verification: a certificate for another name fails, insecure passes", function()
  T.raises(function() http.get(wrong, { cafile = ca }) end, "127.0.0.1",
           "no alternative certificate subject name matches target host name '127.0.0.1'")
  T.eq(http.get(wrong, { cafile = ca, insecure = true }).status, 200, "insecure")
end)

T.test("mutual TLS: the client certificate is required and accepted", function()
  local r = http.get(mtls, { cafile = ca })
  T.eq(r.status, 400, "no client certificate: nginx's 400")
  T.ok(r.body:find("No required SSL certificate was sent", 1, true), r.body)
  r = http.get(mtls, { cafile = ca, cert = dir .. "/client.pem", key = dir .. "/client.key" })
  T.eq(r.status, 200, "status")
  T.eq(r.body, "client CN=client\n", "nginx saw the certificate")
  T.eq(r.tls.version, "TLSv1.3", "this server speaks TLS 1.3 only")
  T.ok(r.tls.cipher:find("^TLS_"), "a TLS 1.3 cipher suite: " .. r.tls.cipher)
  r = http.get(mtls, { cafile = ca, cert = dir .. "/client-and-key.pem" })
  T.eq(r.body, "client CN=client\n", "certificate and key in one file")
  r = http.get(mtls, { cafile = ca, cert = dir .. "/server.pem", key = dir .. "/server.key" })
  T.eq(r.status, 400, "a certificate the server's CA did not sign for a client")
  T.raises(function() http.get(mtls, { cafile = ca, cert = dir .. "/nosuch.pem" }) end,
           "GET " .. mtls .. ": ", "client certificate")
end)

T.test("bad TLS and HTTP version options are errors naming them", function()
  T.raises(function() http.get(h2, { http_version = "3" }) end,
           "opts.http_version: expected \"1.1\", \"2\" or \"h2c\", got '3'")
  T.raises(function() http.get(h2, { http_version = 2 }) end, "opts.http_version", "got number")
  T.raises(function() http.get(h2, { insecure = "yes" }) end, "opts.insecure: expected a boolean")
  T.raises(function() http.get(h2, { cafile = "" }) end, "opts.cafile: expected a non-empty string")
  T.raises(function() http.get(h2, { key = "k.pem" }) end, "opts.key needs opts.cert")
  T.raises(function() http.get(h2, { cafle = ca }) end, "unknown option 'cafle'")
end)

T.test("HTTP/2 by ALPN: r.http_version, and 50 concurrent requests on one connection", function()
  -- a fresh host name: no connection from the tests above to reuse (curl
  -- reuses an open connection whatever version it speaks)
  local lh = h2:gsub("127%.0%.0%.1", "localhost")
  local items = {}
  for i = 1, 50 do items[i] = i end
  local rs = http.map(function() return http.get(lh, { cafile = ca, http_version = "2" }) end,
                      items)
  T.eq(sum(rs, function(r) return r.status == 200 and 1 or 0 end), 50, "answered")
  T.eq(sum(rs, function(r) return r.http_version == "2" and 1 or 0 end), 50, "all HTTP/2")
  T.eq(sum(rs, function(r) return r.connects end), 1, "connections opened")
  T.eq(http.get(h2, { cafile = ca, http_version = "1.1" }).http_version, "1.1", "1.1")
end)

T.test("HTTP/1.1: concurrent requests need connections of their own", function()
  local lh = h2:gsub("127%.0%.0%.1", "localhost") .. "one"
  local items = {}
  for i = 1, 20 do items[i] = i end
  local rs = http.map(function() return http.get(lh, { insecure = true, http_version = "1.1" }) end,
                      items)
  T.eq(sum(rs, function(r) return r.status == 200 and 1 or 0 end), 20, "answered")
  T.lt(1, sum(rs, function(r) return r.connects end), "connections opened")
end)

T.test("h2c by prior knowledge (nghttpd): 50 concurrent requests", function()
  local r = http.get(h2c, { http_version = "h2c" })
  T.eq(r.status, 200, "status")
  T.eq(r.http_version, "2", "HTTP/2 without TLS")
  T.eq(r.body, "hello\n", "body")
  local items = {}
  for i = 1, 50 do items[i] = i end
  local other = h2c:gsub("127%.0%.0%.1", "localhost")
  local rs = http.map(function() return http.get(other, { http_version = "h2c" }) end, items)
  T.eq(sum(rs, function(x) return x.status == 200 and 1 or 0 end), 50, "answered")
  T.eq(sum(rs, function(x) return x.http_version == "2" and 1 or 0 end), 50, "all HTTP/2")
  -- libcurl before 8.0.0 cannot reuse a prior-knowledge connection (curl
  -- issue 10634): there each h2c request has its own (core/xfer.c)
  local vernum = tonumber(assert(os.getenv("LIBCURL_VERNUM")), 16)
  T.eq(sum(rs, function(x) return x.connects end), vernum >= 0x080000 and 1 or 50,
       "connections opened")
end)

T.test("GOAWAY after 10 requests a connection loses no request", function()
  -- 4 tasks x 25 sequential requests over HTTP/2; nginx ends each
  -- connection after its 10th request
  local rs = http.map(function()
    local out = {}
    for i = 1, 25 do out[i] = http.get(goaway, { cafile = ca, http_version = "2" }) end
    return out
  end, { 1, 2, 3, 4 })
  local ok, conns = 0, 0
  for _, list in ipairs(rs) do
    ok = ok + sum(list, function(r) return r.status == 200 and 1 or 0 end)
    conns = conns + sum(list, function(r) return r.connects end)
  end
  T.eq(ok, 100, "answered")
  T.ok(conns >= 10, "at least 100 / 10 connections, got " .. conns)
end)

T.test("a load run: phases and connections per tag, certificate failures counted", function()
  local runner = require "runner"
  local report = require "load.report"
  local path = dir .. "/scenario.lua"
  local f = assert(io.open(path, "w"))
  f:write([[return { iteration = function(args)
    http.get(args[1], { name = "one", cafile = args[2], http_version = args[3] })
  end }]])
  f:close()
  local function run(args, vus)
    local result, err = runner.run({ scenario = path, model = "closed", vus = vus,
      iterations = 200, duration = 0, threads = 1, grace = 5, args = args, shard = { 1, 1 },
      path = package.path, scripts = sys.scripts })
    assert(result, err)
    local raw = report.merge(result.threads)
    return report.build(raw), raw
  end
  -- a fresh host name: this run's connections are its own
  local lh = h2:gsub("127%.0%.0%.1", "localhost") .. "load"
  local r = run({ lh, ca, "2" }, 20)
  local q = r.requests.one
  T.eq(r.iterations.done, 200, "done")
  T.eq(q.connections, 1, "20 VUs multiplexed on one HTTP/2 connection")
  T.eq(q.phases.tls.count, 200, "a tls phase per response")
  T.ok(q.phases.tls.max > 0 and q.phases.tls.p50 == 0, "one handshake, 199 without")
  T.ok(q.phases.wait.p50 > 0, "wait")
  r = run({ lh:gsub("localhost", "127.0.0.1"), otherca, "2" }, 4)
  T.eq(r.iterations.failed, 200, "every iteration fails verification")
  T.eq(#r.errors, 1, "one message")
  T.ok(r.errors[1].message:find("127.0.0.1", 1, true)
       and r.errors[1].message:find("SSL certificate problem", 1, true), r.errors[1].message)
  T.eq(r.errors[1].count, 200, "counted")
end)

T.test("a load run's --cafile, --http-version, --cert and --key: every request's defaults", function()
  local load = require "load"
  local path = dir .. "/plain_scenario.lua"
  local f = assert(io.open(path, "w"))
  f:write([[return { iteration = function(args)
    local r = http.get(args[1], { name = "one" })
    if r.status ~= 200 then error("HTTP " .. r.status, 0) end
    if args[2] and r.http_version ~= args[2] then error("HTTP/" .. r.http_version, 0) end
  end }]])
  f:close()
  local lh = h2:gsub("127%.0%.0%.1", "localhost") .. "runwide"
  local r = load.run({ scenario = path, vus = 20, iterations = 200, threads = 1, args = { lh, "2" },
                       cafile = ca, http_version = "2" })
  T.eq(r.iterations.done, 200, "done with the run's CA and HTTP/2")
  T.eq(r.requests.one.connections, 1, "multiplexed on one connection")
  T.eq(r.options.http_version, "2", "recorded")
  T.eq(r.options.cafile, ca, "recorded")
  r = load.run({ scenario = path, vus = 2, iterations = 10, threads = 1, args = { mtls },
                 cafile = ca, cert = dir .. "/client.pem", key = dir .. "/client.key" })
  T.eq(r.iterations.done, 10, "mutual TLS from the run's --cert and --key")
  r = load.run({ scenario = path, vus = 2, iterations = 10, threads = 1, args = { mtls },
                 cafile = ca })
  T.eq(r.iterations.failed, 10, "no client certificate: nginx's 400")
  r = load.run({ scenario = path, vus = 2, iterations = 10, threads = 1, args = { wrong },
                 insecure = true })
  T.eq(r.iterations.done, 10, "--insecure: a certificate for another name passes")
  T.raises(function() load.run({ scenario = path, vus = 1, cafile = dir .. "/nosuch.pem" }) end,
    "--cafile: " .. dir .. "/nosuch.pem: No such file or directory")
  T.raises(function() load.run({ scenario = path, vus = 1, http_version = "3" }) end,
    "--http-version: expected 1.1, 2 or h2c, got '3'")
end)

T.done()
