-- load.lua --dashboard [ADDR:]PORT: the run's HTML report page (report/
-- html.lua: the same offline assets and Content-Security-Policy as --html,
-- plus connect-src 'self' for its own event stream) served while the run
-- goes, from the process's page server (require "pages"). GET / is the
-- report so far; GET /events is a Server-Sent Events stream that sends the
-- report again (body and charts, report/live.js draws them) as the run
-- goes; when the run ends, both hold the final report. The figures come
-- from the deltas runner.run hands its `live` function, added up in place
-- (load/report.lua's merge in steps).
--
-- A report of the run so far costs in proportion to its seconds (the
-- series is rebuilt): it is made each second for the first 5 minutes,
-- then every elapsed / 300 seconds (every 12 s at an hour), so that the
-- page costs the client about as much at the end of a long run as at its
-- start.
local report = require "load.report"
local html = require "report.html"

local M = {}

local TYPE = "text/html; charset=utf-8"

-- The raw fields of a run that load.lua records (scenario, args, options).
function M.new(server, info)
  local m = report.start({ chain = metrics.histogram(3), start_lag = metrics.histogram(3) })
  m.scenario, m.args, m.model, m.options, m.shard = info.scenario, info.args, info.model,
    info.options, info.shard
  m.threads = 0
  local threads = info.threads
  local next_at = 0
  local d = {}

  local function publish(r, final)
    local page, err = html.render(r, { live = true, source = "live" })
    if not page then error("--dashboard: " .. tostring(err), 0) end
    server:set("/", TYPE, page, html.LIVE_CSP)
    server:event("/events", assert(html.live_event(r, { source = "live" }, final)))
  end

  local function so_far(elapsed)
    local raw = report.view(m)
    raw.threads, raw.duration = threads, elapsed
    raw.interrupted = nil
    raw.incomplete = true -- rates over the seconds so far, not the plan
    local r = report.build(raw)
    r.incomplete = nil
    r.date, r.version, r.host = os.date("!%Y-%m-%dT%H:%M:%SZ"), sys.version, sys.hostname()
    return r
  end

  -- the page before the first second: an empty report
  publish(so_far(0), false)

  function d.live(fragments, elapsed, final)
    for _, f in ipairs(fragments) do report.add(m, f) end
    if final or elapsed < next_at then return end
    next_at = elapsed + math.max(1, elapsed / 300) - 0.05
    publish(so_far(elapsed), false)
  end

  -- The final report (load.lua's, thresholds and all) for good.
  function d.finish(r) publish(r, true) end

  return d
end

return M
