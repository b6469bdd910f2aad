-- The report's sections for what the measurements explain: per tag the
-- server's own Server-Timing and what lay outside it, and the phases of its
-- requests; degraded periods
-- (where they began, how long until three good seconds); the capacity
-- knee of a ramp. Each returns "" when the run has none of it.
local util = require "report.util"

local M = {}
local esc = util.esc

function M.server_timing(r)
  local rows = {}
  for _, tag in ipairs(util.sorted_keys(r.requests)) do
    local q = r.requests[tag]
    if type(q.outside) == "table" then
      for _, name in ipairs(util.sorted_keys(q.server_timing or {})) do
        local m = q.server_timing[name]
        rows[#rows + 1] = { esc(tag), esc(name), util.count(m.count), esc(util.time(m.p50)),
          esc(util.time(m.p99)), esc(util.time(m.p999)), esc(util.time(m.max)) }
      end
      local o = q.outside
      rows[#rows + 1] = { class = "outside", esc(tag), "outside", util.count(o.count),
        esc(util.time(o.p50)), esc(util.time(o.p99)), esc(util.time(o.p999)), esc(util.time(o.max)) }
    end
  end
  if #rows == 0 then return "" end
  return "<h2>Server timing</h2><p>What the server says it spent (its Server-Timing header), "
    .. "and <em>outside</em>: each latency minus the server's <code>total</code> (or minus the "
    .. "sum of its metrics): the network's, the kernel's and the client's share. A slow p99 with "
    .. "a small outside p99 is the server's.</p>"
    .. util.table({ "tag", "metric", "count", "p50", "p99", "p99.9", "max" }, rows, "grid num")
end

-- What the test compares each second with, in words.
local function degraded_rule(base)
  return string.format("A second is degraded when it holds significantly more failed iterations, "
    .. "or more iterations slower than the typical p90 (%s), than the whole run predicts "
    .. "(errors %s, slow %s; an exact binomial test over the run's %d seconds, family-wise level "
    .. "%g), and for slowness its p99 also exceeds the typical p99 (%s) by the run's factor. "
    .. "Typical is the median second's.", esc(util.time(base.p90)),
    esc(util.pct(base.errors or 0, 2)), esc(util.pct(base.slow or 0, 1)), base.seconds or 0,
    base.alpha or 0, esc(util.time(base.p99)))
end

-- Per tag: each phase of its requests (r.timings) and the connections
-- they opened, so that "p99 is new TLS handshakes" shows.
local PHASES = { "dns", "connect", "tls", "wait", "receive" }
function M.phases(r)
  local rows = {}
  for _, tag in ipairs(util.sorted_keys(r.requests)) do
    local q = r.requests[tag]
    if type(q.phases) == "table" then
      for _, name in ipairs(PHASES) do
        local m = q.phases[name]
        if type(m) == "table" then
          rows[#rows + 1] = { esc(tag), name, util.count(m.count), esc(util.time(m.p50)),
            esc(util.time(m.p99)), esc(util.time(m.p999)), esc(util.time(m.max)),
            name == "dns" and util.count(q.connections or 0) or "" }
        end
      end
    end
  end
  if #rows == 0 then return "" end
  return "<h2>Phases</h2><p>Where each request's time went, from curl's clock: name lookup, TCP "
    .. "connect, TLS handshake, <em>wait</em> (from connected to the answer's first byte: "
    .. "sending the request and the server's time) and <em>receive</em> (first byte to last). "
    .. "A request on a reused or multiplexed connection has no lookup, connect or handshake "
    .. "(0), so a p99 far above the p50 there is the new connections'.</p>"
    .. util.table({ "tag", "phase", "count", "p50", "p99", "p99.9", "max", "connections" }, rows,
      "grid num")
end

function M.degraded(r)
  local list = type(r.degraded) == "table" and r.degraded or {}
  local base = type(r.degraded_baseline) == "table" and r.degraded_baseline or {}
  if not base.seconds or base.seconds == 0 then return "" end
  if #list == 0 then
    return "<h2>Degraded periods</h2><p>None. " .. degraded_rule(base) .. "</p>"
  end
  local rows = {}
  for _, p in ipairs(list) do
    rows[#rows + 1] = { class = "bad", esc(string.format("%gs-%gs", p.start, p["end"])),
      esc(string.format("%gs", p.worst)),
      esc(p.kind == "errors" and "failed" or "slower than p90"),
      esc(string.format("%d of %d", p.observed or 0, p.count or 0)),
      esc(string.format("%.1f", p.expected or 0)), esc(util.time(p.p99)),
      esc(util.pct(p.errors or 0, 1)),
      esc(p.recovery and string.format("%gs", p.recovery) or "not recovered") }
  end
  return "<h2>Degraded periods</h2><p>" .. degraded_rule(base) .. " Seconds in a row make a "
    .. "period; recovery is from its start to the first of three good seconds after it. A second "
    .. "holds the iterations that started in it.</p>"
    .. util.table({ "period", "worst second", "its flag", "observed", "expected", "its p99",
      "its errors", "recovery" }, rows, "grid")
end

function M.capacity(r)
  local c = r.capacity
  if type(c) ~= "table" or not c.knee_rate then return "" end
  return string.format('<h2>Capacity</h2><p class="%s">%s</p>', c.reason and "bad" or "",
    c.reason and esc(string.format("Kept up to %s iterations/s (the second at %gs); queueing "
      .. "began after it: %s.", util.rate(c.knee_rate):gsub("/s$", ""), c.at, c.reason))
    or esc(string.format("Kept up with the whole ramp, up to %s iterations/s.",
      util.rate(c.knee_rate):gsub("/s$", ""))))
end

return M
