-- load.lua --out FILE.ndjson: the run as it goes, one JSON line a second,
-- and --merge of such a stream, whole or cut short by kill -9.
--
-- Line 1 is the header (format, scenario, args, model, options, shard,
-- threads, date). Every
-- other line is a delta: what the process's threads recorded since the
-- line before, in the shape of a report (counts, failure messages, encoded
-- histograms, and the seconds of the series it touched, keyed as the
-- report's are: iterations by the second they started in, requests by the
-- second they ended in), with "elapsed", the time since the start, and
-- "start", the wall clock at the start in epoch seconds. A
-- second's figures thus arrive over several lines (an iteration that
-- started in second 5 and ended in second 9 is in the line of second 9),
-- and --merge adds the lines up with the merge that adds threads and
-- shards: any prefix of the lines merges to exactly what had been recorded
-- when its last line was written, no waiting for a second to settle. The
-- last line has "final": true and the run's duration.
--
-- Each line is written whole and flushed (write + fflush): it is then in
-- the kernel, which keeps it when the process dies, kill -9 included;
-- only a crash of the machine loses the page cache's last seconds, which
-- an fsync a second would save at the cost of a disk write a second. A
-- reader takes every whole line; a last line cut short is dropped, and a
-- stream with no final line merges as "incomplete".
local report = require "load.report"

local M = {}
M.FORMAT = "dockscript load stream 1"

local function encoded(h) return { histogram = h:encode() } end

-- A merged fragment as a line's JSON object (the report's shape, without
-- the figures that histograms give).
local function line_of(m, elapsed)
  local r = { elapsed = elapsed, iterations = m.iterations, chain = encoded(m.chain),
              start_lag = encoded(m.start_lag), requests = {}, errors = m.errors, series = {},
              checks = m.checks and next(m.checks) and m.checks or nil }
  for tag, q in pairs(m.requests) do
    local row = encoded(q.histogram)
    row.count, row.bytes, row.status, row.errors = q.count, q.bytes, q.status, q.errors
    if q.outside then
      row.outside, row.server_timing = encoded(q.outside), {}
      for name, h in pairs(q.server_timing or {}) do row.server_timing[name] = encoded(h) end
    end
    r.requests[tag] = row
  end
  for i, s in ipairs(m.series) do
    local row = { t = s.t, iterations = s.iterations, requests = s.requests, errors = s.errors,
                  inflight = s.inflight, histogram = s.histogram:encode() }
    if s.start_lag then row.start_lag = encoded(s.start_lag) end
    if s.tags then
      row.tags = {}
      for tag, q in pairs(s.tags) do
        row.tags[tag] = { requests = q.requests, errors = q.errors, histogram = q.histogram:encode() }
      end
    end
    r.series[i] = row
  end
  return r
end

-- The writer: opens path (nil and why when it cannot, before the run),
-- writes the header, and returns {live = the function runner.run calls
-- with each second's fragments (one per thread), close = a function that
-- writes the final line}. A write that fails (a full disk) is said once
-- on stderr; the run goes on.
function M.writer(path, header)
  local f, err = io.open(path, "w")
  if not f then return nil, err end
  local h = { format = M.FORMAT }
  for k, v in pairs(header) do h[k] = v end
  local broken, last = false, nil
  local function put(obj)
    if broken then return end
    local ok, werr = f:write(json.encode(obj), "\n")
    if ok then ok, werr = f:flush() end
    if not ok then
      broken = true
      io.stderr:write("load.lua: --out " .. path .. ": " .. tostring(werr) .. "; the stream stops here\n")
    end
  end
  put(h)
  local w = {}
  -- the last call (final) is kept for close, which knows how the run ended
  function w.live(fragments, elapsed, final)
    if broken then return end
    local ok, obj = pcall(function()
      return #fragments > 0 and line_of(report.merge(fragments, true), elapsed) or { elapsed = elapsed }
    end)
    if not ok then
      broken = true
      io.stderr:write("load.lua: --out " .. path .. ": " .. tostring(obj) .. "; the stream stops here\n")
    elseif final then last = obj else put(obj) end
  end
  function w.close(interrupted)
    if not f then return end
    local obj = last or {}
    obj.final, obj.duration, obj.interrupted = true, obj.elapsed, interrupted or nil
    put(obj)
    f:close()
    f = nil
  end
  return w
end

-- A line's delta as a raw fragment (report.raw_of reads the report shape).
local function fragment(obj, header)
  obj.format, obj.model, obj.shard = report.FORMAT, header.model, header.shard
  obj.chain = obj.chain or { histogram = metrics.histogram(3):encode() }
  obj.start_lag = obj.start_lag or { histogram = metrics.histogram(3):encode() }
  obj.iterations = obj.iterations or { done = 0, failed = 0, dropped = 0 }
  local raw = report.raw_of(obj)
  raw.threads, raw.duration = 0, tonumber(obj.elapsed) or 0
  return raw
end

-- The raw result of the stream f (its header line read), the lines added
-- up one at a time (a line's histograms are freed as soon as they are
-- added: memory stays that of one report, however long the run).
-- raw.incomplete when there is no final line (the process died).
local function read_lines(f, header)
  local m, final, start
  local n = 1
  while true do
    local line = f:read("L")
    if not line then break end
    n = n + 1
    local whole = line:sub(-1) == "\n"
    local ok, obj = pcall(json.decode, line)
    if not ok or type(obj) ~= "table" then
      if not whole and not f:read(0) then break end -- the cut last line of a killed run
      error(string.format("line %d is not JSON", n), 0)
    end
    local ok2, raw = pcall(fragment, obj, header)
    if not ok2 then error(string.format("line %d: %s", n, tostring(raw)), 0) end
    m = m or report.start(raw)
    report.add(m, raw)
    if obj.final then final = obj end
    start = tonumber(obj.start) or start
    -- a histogram's counts are C memory the collector does not see: the
    -- lines' garbage is collected by hand, else it piles up
    if n % 32 == 0 then collectgarbage() end
  end
  m = m or report.start({ chain = metrics.histogram(3), start_lag = metrics.histogram(3) })
  local raw = report.finish(m)
  raw.scenario, raw.args, raw.model, raw.options = header.scenario, header.args, header.model,
    header.options
  raw.shard = { math.tointeger(header.shard and header.shard[1]) or 1,
                math.tointeger(header.shard and header.shard[2]) or 1 }
  raw.threads = math.tointeger(header.threads) or 0
  raw.start = start -- series by the wall clock, as --json's (--merge aligns shards by it)
  if final then
    raw.duration = tonumber(final.duration) or raw.duration
    raw.interrupted = final.interrupted == true or nil
  else
    raw.incomplete = true
  end
  -- the series runs to the end of the run, as the run's own report does
  for t = #raw.series + 1, math.ceil(raw.duration - 1e-9) do
    raw.series[t] = { t = t, iterations = 0, requests = 0, errors = 0, inflight = 0,
                      histogram = metrics.histogram(2) }
  end
  return raw
end

-- The raw result of a --json file or of a stream; nil and a one-line
-- reason when it is neither or cannot be read.
function M.read(path)
  local f, err = io.open(path)
  if not f then return nil, err end
  local first = f:read("L") or ""
  local ok, header = pcall(json.decode, first)
  if not (ok and type(header) == "table" and header.format == M.FORMAT) then
    f:close()
    return report.read(path)
  end
  local ok2, raw = pcall(read_lines, f, header)
  f:close()
  if not ok2 then return nil, path .. ": " .. tostring(raw) end
  return raw
end

return M
