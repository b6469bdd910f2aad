-- load.lua --metrics [ADDR:]PORT: the run's totals for Prometheus, as
-- GET /metrics (text format 0.0.4) from the process's own page server
-- (require "pages"), refreshed once a second from the deltas runner.run
-- hands its `live` function (load/stream.lua describes them). Latencies
-- are classic histograms at the bounds every dockscript process shares
-- (those of `dockscript serve`'s /metrics), so that `sum by (le)` over the
-- shards of a run is exact; names follow Prometheus' conventions (a
-- dockscript_load_ prefix, seconds, _total on counters).
local M = {}
local pages = require "pages"

local PREFIX = "dockscript_load_"
M.TYPE = "text/plain; version=0.0.4; charset=utf-8"

-- "[ADDR:]PORT" (ADDR an IPv4 address, or an IPv6 one in brackets) as
-- host, port; nil and why otherwise.
function M.parse_addr(s, option)
  local host, port = tostring(s):match("^%[([%x:.]+)%]:(%d+)$")
  if not host then host, port = tostring(s):match("^([%d.]+):(%d+)$") end
  if not host then host, port = "127.0.0.1", tostring(s):match("^(%d+)$") end
  port = tonumber(port)
  if not port or port > 65535 then
    return nil, string.format("%s: expected [ADDR:]PORT (PORT 0 to 65535, ADDR numeric), got %q", option, tostring(s))
  end
  return host, math.tointeger(port)
end

-- Starts the page server; nil and the one-line reason when it cannot.
function M.listen(spec, option)
  local host, port = M.parse_addr(spec, option)
  if not host then return nil, port end
  local s, err = pages.start(host, port)
  if not s then return nil, option .. ": " .. err end
  return s, host:find(":", 1, true) and "[" .. host .. "]" or host
end

local function label(v)
  return (tostring(v):gsub("\\", "\\\\"):gsub("\n", "\\n"):gsub('"', '\\"'))
end

local function family(out, name, kind, help)
  out[#out + 1] = string.format("# HELP %s%s %s\n# TYPE %s%s %s\n", PREFIX, name, help, PREFIX,
    name, kind)
end

local function sample(out, name, labels, v)
  out[#out + 1] = string.format("%s%s%s %s\n", PREFIX, name, labels, math.tointeger(v) or
    string.format("%.17g", v))
end

-- A histogram's buckets, _sum and _count; labels: 'tag="GET /a",' or "".
local function histogram(out, name, labels, h)
  local les, cum, sum = pages.buckets(h)
  for i, le in ipairs(les) do
    sample(out, name .. "_bucket", "{" .. labels .. 'le="' .. le .. '"}', cum[i])
  end
  local l = labels ~= "" and "{" .. labels:sub(1, -2) .. "}" or ""
  sample(out, name .. "_sum", l, sum)
  sample(out, name .. "_count", l, cum[#cum])
end

local function sorted_keys(t)
  local k = {}
  for key in pairs(t) do k[#k + 1] = key end
  table.sort(k)
  return k
end

-- The exposition of the totals m (a merged raw), inflight and elapsed.
function M.text(m, inflight, elapsed)
  local out = {}
  family(out, "iterations_total", "counter", "Iterations ended, by result (done or failed).")
  sample(out, "iterations_total", '{result="done"}', m.iterations.done)
  sample(out, "iterations_total", '{result="failed"}', m.iterations.failed)
  family(out, "dropped_iterations_total", "counter",
    "Iterations of the open model that came due while every slot (--max-vus) was busy.")
  sample(out, "dropped_iterations_total", "", m.iterations.dropped)
  family(out, "failures_total", "counter", "Failed iterations, by failure message.")
  for _, e in ipairs(m.errors or {}) do
    sample(out, "failures_total", '{message="' .. label(e.message) .. '"}', e.count)
  end
  family(out, "checks_total", "counter", "check() results, by check name and result (pass or fail).")
  for _, name in ipairs(sorted_keys(m.checks or {})) do
    local c = m.checks[name]
    sample(out, "checks_total", '{check="' .. label(name) .. '",result="pass"}', c.passes)
    sample(out, "checks_total", '{check="' .. label(name) .. '",result="fail"}', c.fails)
  end
  family(out, "in_flight_iterations", "gauge", "Iterations running.")
  sample(out, "in_flight_iterations", "", inflight or 0)
  family(out, "elapsed_seconds", "gauge", "Time since the run started (0 during setup).")
  sample(out, "elapsed_seconds", "", elapsed or 0)
  family(out, "iteration_duration_seconds", "histogram",
    "Iterations done: time from start (the open model: scheduled start) to end.")
  histogram(out, "iteration_duration_seconds", "", m.chain)
  local tags = sorted_keys(m.requests)
  family(out, "requests_total", "counter",
    "Requests finished, by tag and HTTP status (\"error\": no response, see request_errors_total).")
  for _, tag in ipairs(tags) do
    local q = m.requests[tag]
    for _, st in ipairs(sorted_keys(q.status)) do
      sample(out, "requests_total", '{tag="' .. label(tag) .. '",status="' .. st .. '"}', q.status[st])
    end
    local n = 0
    for _, c in pairs(q.errors) do n = n + c end
    if n > 0 then sample(out, "requests_total", '{tag="' .. label(tag) .. '",status="error"}', n) end
  end
  family(out, "request_errors_total", "counter", "Requests without a response, by tag and reason.")
  for _, tag in ipairs(tags) do
    local q = m.requests[tag]
    for _, why in ipairs(sorted_keys(q.errors)) do
      sample(out, "request_errors_total", '{tag="' .. label(tag) .. '",reason="' .. label(why) .. '"}',
        q.errors[why])
    end
  end
  family(out, "request_duration_seconds", "histogram", "Responses' latency, by tag.")
  for _, tag in ipairs(tags) do
    histogram(out, "request_duration_seconds", 'tag="' .. label(tag) .. '",', m.requests[tag].histogram)
  end
  return table.concat(out)
end

-- The exporter: totals kept in place (report.lua's merge in steps), the
-- text set on the server at each call of live.
function M.exporter(server)
  local report = require "load.report"
  local m = report.start({ chain = metrics.histogram(3), start_lag = metrics.histogram(3) })
  local shown = { iterations = m.iterations, errors = {}, chain = m.chain, requests = m.requests }
  server:set("/metrics", M.TYPE, M.text(shown, 0, 0))
  return function(fragments, elapsed, final, inflight)
    for _, f in ipairs(fragments) do -- the totals only: no series kept over an hour
      report.add(m, { threads = 0, duration = 0, iterations = f.iterations, chain = f.chain,
                      start_lag = f.start_lag, requests = f.requests, errors = f.errors,
                      checks = f.checks })
    end
    shown.checks = m.checks
    local errs = m.adding.errors.list
    shown.errors = errs
    server:set("/metrics", M.TYPE, M.text(shown, final and 0 or inflight, elapsed))
  end
end

return M
