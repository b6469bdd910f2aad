-- The end-of-run summary: what a wrk or k6 user reads at a glance. One
-- line for the run and its iterations, a table with a row for the chain
-- and one per request tag (count, rate, min, p50, p90, p99, p99.9, max,
-- status classes), then what failed, the open model's start lag and the
-- thresholds.
local M = {}

-- 1234567 -> "1,234,567"
function M.count(n)
  local s = string.format("%d", n)
  local sign, digits = s:match("^(-?)(%d+)$")
  digits = digits:reverse():gsub("(%d%d%d)", "%1,"):reverse():gsub("^,", "")
  return sign .. digits
end

-- Seconds in a unit that keeps 3-4 significant digits: 523us, 12.34ms, 1.002s.
function M.time(s)
  if s == nil then return "-" end
  if s < 0.001 then return string.format("%.0fus", s * 1e6) end
  if s < 1 then return string.format("%.2fms", s * 1e3) end
  if s < 100 then return string.format("%.3fs", s) end
  return string.format("%.1fs", s)
end

function M.rate(r) return r and string.format("%.1f/s", r) or "-" end

local function pct(x) return string.format("%.2f%%", 100 * x) end

-- "2xx 9,990  5xx 10  errors 3" from status and transport-error counts.
function M.outcomes(row, sep)
  local classes = {}
  for code, n in pairs(row.status or {}) do
    local c = tostring(code):sub(1, 1) .. "xx"
    classes[c] = (classes[c] or 0) + n
  end
  local keys = {}
  for c in pairs(classes) do keys[#keys + 1] = c end
  table.sort(keys)
  local parts = {}
  for _, c in ipairs(keys) do parts[#parts + 1] = c .. " " .. M.count(classes[c]) end
  local errs = 0
  for _, n in pairs(row.errors or {}) do errs = errs + n end
  if errs > 0 then parts[#parts + 1] = "errors " .. M.count(errs) end
  return table.concat(parts, sep or "  ")
end

local function sorted_tags(requests)
  local tags = {}
  for tag in pairs(requests or {}) do tags[#tags + 1] = tag end
  table.sort(tags)
  return tags
end

local function header(r)
  local o = r.options or {}
  local what
  if r.model == "flows" then
    what = require("load.flows").describe(o, M)
  elseif r.model == "open" then
    what = o.stages and string.format("open model, %s stages over %gs", #o.stages, o.duration)
      or string.format("open model, %g/s for %gs", o.rate or 0, o.duration or 0)
  else
    local function plural(n, word) return M.count(n) .. " " .. word .. (n == 1 and "" or "s") end
    what = string.format("closed model, %s, %s", plural(o.vus or 0, "VU"),
      o.iterations and plural(o.iterations, "iteration") or string.format("%gs", o.duration or 0))
  end
  if o.from_scenario then
    local names = {}
    for i, k in ipairs(o.from_scenario) do names[i] = (k:gsub("_", "-")) end
    what = what .. string.format(" (%s from the scenario)", table.concat(names, ", "))
  end
  for _, w in ipairs(require("load.optable").summary_words(o)) do what = what .. ", " .. w end
  local where
  if r.shards then
    local n = r.shards[1] and r.shards[1][2] or 1
    where = string.format("merged %d of %d shards", #r.shards, n)
  elseif r.shard and r.shard[2] > 1 then
    where = string.format("shard %d/%d", r.shard[1], r.shard[2])
  end
  return string.format("%s: %s, %d thread%s%s, ran %.2fs", r.scenario or "?", what, r.threads,
    r.threads == 1 and "" or "s", where and ", " .. where or "", r.duration or 0)
end

local function iterations_line(r)
  local it = r.iterations
  local ended = it.done + it.failed
  return string.format("iterations: %s done, %s failed (%s), %s dropped, %s", M.count(it.done),
    M.count(it.failed), pct(ended > 0 and it.failed / ended or 0), M.count(it.dropped),
    M.rate(it.rate))
end

local COLS = { "count", "rate", "min", "p50", "p90", "p99", "p99.9", "max" }

local function table_lines(r)
  local rows = { { "chain", r.chain } }
  for _, tag in ipairs(sorted_tags(r.requests)) do rows[#rows + 1] = { tag, r.requests[tag] } end
  local width = 5
  for _, row in ipairs(rows) do width = math.max(width, #row[1]) end
  local fmt = "%-" .. width .. "s %10s %10s" .. string.rep(" %9s", 6) .. "  %s"
  local head = { "", table.unpack(COLS) }
  head[#head + 1] = "status"
  local out = { string.format(fmt, table.unpack(head)) }
  for _, row in ipairs(rows) do
    local name, x = row[1], row[2]
    local line = string.format(fmt, name, M.count(x.count), M.rate(x.rate), M.time(x.min),
      M.time(x.p50), M.time(x.p90), M.time(x.p99), M.time(x.p999), M.time(x.max),
      name == "chain" and "" or M.outcomes(x))
    out[#out + 1] = (line:gsub("%s+$", ""))
  end
  return out
end

local function error_lines(r)
  local out = {}
  local reasons = {}
  for _, tag in ipairs(sorted_tags(r.requests)) do
    for reason, n in pairs(r.requests[tag].errors or {}) do
      reasons[#reasons + 1] = string.format("  %10s  %s: %s", M.count(n), tag, reason)
    end
  end
  if #reasons > 0 then
    table.sort(reasons)
    out[#out + 1] = "transport errors:"
    for _, l in ipairs(reasons) do out[#out + 1] = l end
  end
  if #(r.errors or {}) > 0 then
    out[#out + 1] = "failed iterations:"
    for _, e in ipairs(require("load.report").shown_errors(r.errors)) do
      out[#out + 1] = string.format("  %10s  %s", M.count(e.count), e.message)
    end
  end
  return out
end

-- A checked threshold's value (or why it has none), as the summary shows it.
function M.threshold_value(t)
  local v = t.value
  return t.relative and v and string.format(t.stat == "errors" and "%+.3f points%s"
      or "%+.1f%%%s", v, t.note and " (" .. t.note .. ")" or (t.significant and ", significant" or ""))
    or t.note or ((t.stat == "errors" or t.stat == "check rate") and pct(v))
    or ((t.stat == "count" or t.stat == "dropped" or t.stat == "failed" or t.stat == "done"
         or t.stat == "check passes" or t.stat == "check fails") and M.count(v))
    or (t.stat == "rate" and M.rate(v)) or M.time(v)
end

local function threshold_lines(r)
  if not r.thresholds or #r.thresholds == 0 then return {} end
  local failed = 0
  for _, t in ipairs(r.thresholds) do if not t.ok then failed = failed + 1 end end
  local out = { string.format("thresholds: %d passed, %d failed", #r.thresholds - failed, failed) }
  local width = 0
  for _, t in ipairs(r.thresholds) do width = math.max(width, #t.expression) end
  for _, t in ipairs(r.thresholds) do
    out[#out + 1] = string.format("  %-4s  %-" .. width .. "s  %s", t.ok and "ok" or "FAIL",
      t.expression, M.threshold_value(t))
  end
  return out
end

-- How wide each percentile's 95% interval is, as +- of the value: a p99.9
-- of a few thousand values is one of the last few, and "1.007s" alone
-- would claim more than the run measured.
local function interval_lines(r)
  local rows = { { "chain", r.chain } }
  for _, tag in ipairs(sorted_tags(r.requests)) do rows[#rows + 1] = { tag, r.requests[tag] } end
  local width = 5
  for _, row in ipairs(rows) do width = math.max(width, #row[1]) end
  local out = {}
  for _, row in ipairs(rows) do
    local x, parts = row[2], {}
    for _, p in ipairs({ { "p50", "p50" }, { "p90", "p90" }, { "p99", "p99" }, { "p999", "p99.9" } }) do
      local v, ci = x[p[1]], x[p[1] .. "_ci"]
      if v and ci and v > 0 then
        local half = math.max(v - ci[1], ci[2] - v) / v
        parts[#parts + 1] = string.format("%s %s", p[2], half < 0.0005 and "exact"
          or string.format("+-%.1f%%", 100 * half))
      end
    end
    if #parts > 0 then
      out[#out + 1] = string.format("  %-" .. width .. "s  %s", row[1], table.concat(parts, "  "))
    end
  end
  if #out > 0 then table.insert(out, 1, "95% intervals of the percentiles (distribution-free):") end
  return out
end

-- Per tag with Server-Timing: what the server says it spent (each metric's
-- p50 and p99) and what the latency left outside it (the network, the
-- kernel, the client: p50, p99, p99.9).
local function server_timing_lines(r)
  local out = {}
  for _, tag in ipairs(sorted_tags(r.requests)) do
    local q = r.requests[tag]
    if q.outside then
      local names = {}
      for name in pairs(q.server_timing or {}) do names[#names + 1] = name end
      table.sort(names)
      local parts = {}
      for _, name in ipairs(names) do
        local m = q.server_timing[name]
        parts[#parts + 1] = string.format("%s %s/%s", name, M.time(m.p50), M.time(m.p99))
      end
      out[#out + 1] = string.format("  %s: %s; outside %s/%s/%s", tag, table.concat(parts, ", "),
        M.time(q.outside.p50), M.time(q.outside.p99), M.time(q.outside.p999))
    end
  end
  if #out > 0 then
    table.insert(out, 1, "server timing (p50/p99 as the server says; outside = latency - total, p50/p99/p99.9):")
  end
  return out
end

-- A degraded period's evidence: "48 of 50 slower than p90, 5.0 expected".
function M.degraded_counts(p)
  if not p.kind then return "" end
  return string.format("%d of %d %s, %.1f expected", p.observed or 0, p.count or 0,
    p.kind == "errors" and "failed" or "slower than the run's p90", p.expected or 0)
end

-- Per tag: where its requests spent their time (each phase's p50 and p99,
-- r.timings' phases) and how many connections they opened.
local PHASES = { "dns", "connect", "tls", "wait", "receive" }
local function phase_lines(r)
  local out = {}
  for _, tag in ipairs(sorted_tags(r.requests)) do
    local q = r.requests[tag]
    if q.phases then
      local parts = {}
      for _, name in ipairs(PHASES) do
        local m = q.phases[name]
        if m then
          parts[#parts + 1] = string.format("%s %s/%s", name, M.time(m.p50), M.time(m.p99))
        end
      end
      local conns = q.connections or 0
      out[#out + 1] = string.format("  %s: %s; %d connection%s%s", tag, table.concat(parts, ", "),
        conns, conns == 1 and "" or "s",
        conns > 0 and string.format(", %.4g requests each", q.count / conns) or "")
    end
  end
  if #out > 0 then table.insert(out, 1, "phases (p50/p99; connections opened):") end
  return out
end

-- Degraded periods and the capacity knee, one line each.
local function explain_lines(r)
  local out = {}
  for _, p in ipairs(r.degraded or {}) do
    out[#out + 1] = string.format("degraded: %gs-%gs (worst at %gs: %s; p99 %s, errors %s), %s",
      p.start, p["end"], p.worst, M.degraded_counts(p), M.time(p.p99), pct(p.errors or 0),
      p.recovery and string.format("recovered %gs after it began", p.recovery)
        or "not recovered when the run ended")
  end
  local c = r.capacity
  if c then
    out[#out + 1] = c.reason and string.format("capacity: kept up to %s iterations/s (at %gs); "
      .. "queueing began after it: %s", M.rate(c.knee_rate):gsub("/s$", ""), c.at, c.reason)
      or string.format("capacity: kept up with the whole ramp, up to %s iterations/s",
        M.rate(c.knee_rate):gsub("/s$", ""))
  end
  return out
end

-- "interrupted after 3.2s of 10s" (or "of 1,000 iterations").
local function interrupted_line(r)
  local o = r.options or {}
  local planned = o.iterations and not o.duration and M.count(o.iterations) .. " iterations"
    or o.duration and string.format("%gs", o.duration) or "the run"
  return string.format("interrupted after %.1fs of %s", r.duration or 0, planned)
end

-- The summary as lines of text.
function M.lines(r)
  local out = { header(r), iterations_line(r) }
  if r.interrupted then table.insert(out, 1, interrupted_line(r)) end
  local d = r.data_ran_out
  if d then
    out[#out + 1] = string.format("data '%s' ran out after %s rows: the run ended there", d.data,
      M.count(d.rows))
  end
  if r.incomplete then
    table.insert(out, 1, string.format("incomplete: a stream cut off after %.1fs (the process "
      .. "died); the figures are those of what it holds", r.duration or 0))
  end
  local o = r.options or {}
  if r.iterations.dropped > 0 and o.max_vus then
    out[#out + 1] = string.format("dropped: %s iterations came due while --max-vus %s were in "
      .. "flight (%.2f%% of those scheduled)", M.count(r.iterations.dropped), M.count(o.max_vus),
      100 * r.iterations.dropped / (r.iterations.dropped + r.iterations.done + r.iterations.failed))
  end
  for _, l in ipairs(table_lines(r)) do out[#out + 1] = l end
  for _, l in ipairs(require("load.flows").summary_lines(r, M)) do out[#out + 1] = l end
  for _, l in ipairs(require("load.checks").lines(r.checks)) do out[#out + 1] = l end
  for _, l in ipairs(error_lines(r)) do out[#out + 1] = l end
  if r.model == "open" or (r.model == "flows" and (r.start_lag.count or 0) > 0) then
    local l = r.start_lag
    out[#out + 1] = string.format("start lag: p50 %s, p99 %s, max %s", M.time(l.p50),
      M.time(l.p99), M.time(l.max))
  end
  for _, l in ipairs(interval_lines(r)) do out[#out + 1] = l end
  for _, l in ipairs(server_timing_lines(r)) do out[#out + 1] = l end
  for _, l in ipairs(phase_lines(r)) do out[#out + 1] = l end
  if r.comparison then
    for _, l in ipairs(require("load.compare").lines(r.comparison)) do out[#out + 1] = l end
  end
  for _, l in ipairs(explain_lines(r)) do out[#out + 1] = l end
  for _, l in ipairs(threshold_lines(r)) do out[#out + 1] = l end
  return out
end

function M.text(r) return table.concat(M.lines(r), "\n") .. "\n" end

return M
