-- docs/grafana-load-dashboard.json, checked structurally: a dashboard
-- with panels, each with a grid position and Prometheus targets, and every
-- metric an expression names is one load.lua --metrics serves (the names
-- of load/prom.lua's exposition of a run with a tag, a status, a failure,
-- a check and a request without a response). Run by dockscript with the path of
-- the dashboard.
local T = require "testlib"
local prom = require "load.prom"

local path = arg[1]
local dash = json.decode(assert(io.open(path)):read("a"))

-- The series names of an exposition.
local function served()
  local h = metrics.histogram(3)
  h:record(0.01)
  local m = { iterations = { done = 1, failed = 1, dropped = 0 }, chain = h,
    errors = { { message = "boom", count = 1 } }, checks = { ["status 200"] = { passes = 1, fails = 1 } },
    requests = { ["GET /a"] = { count = 2, bytes = 10, status = { ["200"] = 1 },
                                errors = { ["Timeout was reached"] = 1 }, histogram = h } } }
  local names = {}
  for name in prom.text(m, 1, 2):gmatch("\n(dockscript_load_[%w_]+)") do names[name] = true end
  return names
end

T.test("a dashboard with panels, each with a place and targets", function()
  T.eq(type(dash.title), "string", "title")
  T.ok(type(dash.panels) == "table" and #dash.panels >= 5, "panels")
  local ids = {}
  for _, p in ipairs(dash.panels) do
    T.ok(p.id and not ids[p.id], "a unique id: " .. tostring(p.title))
    ids[p.id] = true
    T.ok(p.gridPos and p.gridPos.w and p.gridPos.h, "grid position: " .. p.title)
    T.ok(p.datasource and p.datasource.type == "prometheus", "Prometheus: " .. p.title)
    T.ok(type(p.targets) == "table" and #p.targets > 0, "targets: " .. p.title)
  end
end)

T.test("every metric an expression names is served by --metrics", function()
  local names = served()
  local used = 0
  for _, p in ipairs(dash.panels) do
    for _, t in ipairs(p.targets) do
      T.eq(type(t.expr), "string", "expr of " .. p.title)
      for name in t.expr:gmatch("dockscript_load_[%w_]+") do
        T.ok(names[name], p.title .. ": " .. name .. " is not served")
        used = used + 1
      end
    end
  end
  T.ok(used > 0, "the expressions name metrics")
  for _, v in ipairs(dash.templating.list) do
    if v.query and v.type == "query" then
      local name = v.query:match("dockscript_load_[%w_]+")
      T.ok(name and names[name], "variable " .. v.name .. ": " .. tostring(name))
    end
  end
end)

T.test("latency quantiles aggregate the shards by le", function()
  for _, p in ipairs(dash.panels) do
    for _, t in ipairs(p.targets) do
      if t.expr:find("histogram_quantile", 1, true) then
        T.ok(t.expr:find("sum by %(le[,)]"), p.title .. ": sum by (le...)")
        T.ok(t.expr:find("_bucket", 1, true), p.title .. ": over the buckets")
      end
    end
  end
end)

T.done()
