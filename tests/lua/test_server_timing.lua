-- Server-Timing from any server (the fixture's /timing: db and app, no
-- total, a quoted desc with separators, a metric without dur, two header
-- lines): r.server_timing in seconds, and a load run's per-tag metrics and
-- `outside` (latency minus the metrics' sum, or minus total).
local T = require "testlib"
local base = assert(os.getenv("FIXTURE_URL"), "run under with_fixture.sh")

T.test("r.server_timing: seconds by name, from two header lines", function()
  local r = http.get(base .. "/timing?db=0.03&app=0.01")
  T.eq(r.status, 200)
  T.lt(math.abs(r.server_timing.db - 0.03), 1e-9, "db")
  T.lt(math.abs(r.server_timing.app - 0.01), 1e-9, "app")
  T.eq(r.server_timing.cache, 0, "a metric without dur counts 0")
  T.eq(r.server_timing.c, nil, "the desc's separators stay in its quotes")
  T.ok(r.elapsed >= 0.04, "the client's latency includes the server's time")
end)

T.test("r.server_timing without the header: an empty table", function()
  local r = http.get(base .. "/echo")
  T.eq(next(r.server_timing), nil)
end)

T.test("a load run records each metric per tag and what is outside", function()
  local dir = os.tmpname()
  local f = assert(io.open(dir, "w"))
  f:write([[return { iteration = function(args)
    http.get(args[1] .. "/timing?db=0.02&app=0.01", { name = "timed" })
  end }]])
  f:close()
  local report = require("load").run({ scenario = dir, vus = 2, iterations = 20, threads = 1,
    args = { base } })
  os.remove(dir)
  local q = report.requests.timed
  T.eq(q.server_timing.db.count, 20, "db per request")
  T.lt(math.abs(q.server_timing.db.p50 - 0.02), 0.0005, "db p50 " .. q.server_timing.db.p50)
  T.lt(math.abs(q.server_timing.app.p50 - 0.01), 0.0005, "app p50")
  T.eq(q.outside.count, 20, "outside per request")
  -- outside = latency - (db + app + cache): the fixture's own overhead
  T.ok(q.outside.p50 > 0 and q.outside.p50 < q.p50 - 0.029, "outside p50 " .. q.outside.p50)
  T.ok(require("load.summary").text(report):find("timed: app [%d.]+ms/[%d.]+ms, cache 0us/0us, db"),
       "the summary's server timing line")
  -- and through JSON, as --merge reads it
  local rep = require "load.report"
  local path = os.tmpname()
  assert(rep.write(report, path))
  local back = assert(rep.read(path))
  os.remove(path)
  T.eq(back.requests.timed.outside:count(), 20, "outside read back")
  T.eq(back.requests.timed.server_timing.db:count(), 20, "db read back")
end)

T.done()
