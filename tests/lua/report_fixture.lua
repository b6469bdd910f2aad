-- Writes a synthetic load-run JSON as load.lua --json would, with the
-- series fields a report draws when present (p90, in flight, start lag,
-- per-tag series, "pNN_ci" intervals), to test report.lua and to time it:
--   dockscript report_fixture.lua OUT.json [--seconds S] [--tags N] [--rate R]
--       [--seed X] [--slower F] [--interrupted] [--compare BASE.json] [--plain]
-- Each iteration makes one request of every tag, each a lognormal latency
-- (median 20 ms x (1 + tag/10), sigma 0.3), F times slower with --slower;
-- seconds 40-45% of the run stall (x 3). Every 500th iteration fails with a
-- 500 on one tag, every 2,000th with a transport error. --compare BASE adds
-- the comparison with BASE and relative thresholds; --plain leaves out the
-- new series fields (the format of an older load.lua). The series is built
-- second by second, so an hour of 20 tags needs no hour of histograms. A
-- run lasts 0.3 s past its last second of series; with --interrupted it
-- ends 0.6 s into its last second (a partial second).
local report = require "load.report"
local compare = require "load.compare"

local out = arg[1]
local o = { seconds = "60", tags = "5", rate = "50", seed = "7", slower = "1" }
local i = 2
while i <= #arg do
  local k = arg[i]:sub(3)
  if k == "interrupted" or k == "plain" then o[k] = true; i = i + 1
  else o[k] = arg[i + 1]; i = i + 2 end
end
local seconds, ntags, rate = tonumber(o.seconds), tonumber(o.tags), tonumber(o.rate)
local slower = tonumber(o.slower)
math.randomseed(tonumber(o.seed))

local function normal()
  return math.sqrt(-2 * math.log(1 - math.random())) * math.cos(2 * math.pi * math.random())
end

local tags = {}
for t = 1, ntags do tags[t] = string.format("%s /api/v1/resource%02d", t % 3 == 0 and "POST" or "GET", t) end

local PCTS = { { "p50", 50 }, { "p90", 90 }, { "p99", 99 }, { "p999", 99.9 } }
local function figures(h, row, with_ci, list)
  if h:count() == 0 then return row end
  for _, pc in ipairs(list or PCTS) do
    row[pc[1]] = h:percentile(pc[2])
    if with_ci then row[pc[1] .. "_ci"] = { h:ci(pc[2]) } end
  end
  return row
end
local SERIES_PCTS = { { "p50", 50 }, { "p90", 90 }, { "p99", 99 } }

local chain, lag = metrics.histogram(), metrics.histogram()
local tag_h, tag_rows = {}, {}
for t, name in ipairs(tags) do
  tag_h[t] = metrics.histogram()
  tag_rows[name] = { count = 0, bytes = 0, status = {}, errors = {} }
end
local sec_chain, sec_lag = metrics.histogram(2), metrics.histogram(2)
local sec_tag = {}
for t = 1, ntags do sec_tag[t] = metrics.histogram(2) end

local done, failed, n = 0, 0, 0
local series = {}
local failures = {}
for s = 1, seconds do
  sec_chain:reset(); sec_lag:reset()
  local sec_req, sec_err = {}, {}
  for t = 1, ntags do sec_tag[t]:reset(); sec_req[t], sec_err[t] = 0, 0 end
  local row = { t = s, iterations = 0, requests = 0, errors = 0 }
  local stall = (s > 0.4 * seconds and s <= 0.45 * seconds) and 3 or 1
  for _ = 1, rate do
    n = n + 1
    local total, ok = 0, true
    local start_lag = 0.0001 * math.exp(0.8 * normal())
    lag:record(start_lag); sec_lag:record(start_lag)
    for t, name in ipairs(tags) do
      local v = 0.02 * (1 + t / 10) * math.exp(0.3 * normal()) * slower * stall
      local q = tag_rows[name]
      q.count = q.count + 1
      sec_req[t] = sec_req[t] + 1
      row.requests = row.requests + 1
      if n % 2000 == 0 and t == 1 then
        q.errors["Timeout was reached"] = (q.errors["Timeout was reached"] or 0) + 1
        failures["GET failed: Timeout was reached"] = (failures["GET failed: Timeout was reached"] or 0) + 1
        sec_err[t] = sec_err[t] + 1
        ok = false
        break
      end
      tag_h[t]:record(v); sec_tag[t]:record(v)
      q.bytes = q.bytes + 120
      total = total + v
      local code = (n % 500 == 0 and t == (n // 500) % ntags + 1) and "500" or "200"
      q.status[code] = (q.status[code] or 0) + 1
      if code == "500" then
        failures["HTTP 500 from " .. name] = (failures["HTTP 500 from " .. name] or 0) + 1
        sec_err[t] = sec_err[t] + 1
        ok = false
        break
      end
    end
    if ok then
      done = done + 1
      chain:record(total + start_lag); sec_chain:record(total + start_lag)
      row.iterations = row.iterations + 1
    else
      failed = failed + 1
      row.errors = row.errors + 1
    end
  end
  row.histogram = sec_chain:encode()
  figures(sec_chain, row, not o.plain, SERIES_PCTS)
  if o.plain then
    row.p90, row.p90_ci = nil, nil
  else
    row.inflight = math.floor(rate * 0.02 * ntags * 1.2 * slower * stall + 3 * math.random())
    row.start_lag = { count = sec_lag:count(), p50 = sec_lag:percentile(50),
      p99 = sec_lag:percentile(99), max = sec_lag:max(), histogram = sec_lag:encode() }
    row.tags = {}
    for t, name in ipairs(tags) do
      row.tags[name] = figures(sec_tag[t], { requests = sec_req[t], errors = sec_err[t] }, true, SERIES_PCTS)
    end
  end
  series[s] = row
end

local duration = o.interrupted and seconds - 0.4 or seconds + 0.3
local r = {
  format = report.FORMAT, scenario = "fixture_api.lua", args = { "http://127.0.0.1:8080" },
  model = "open", threads = 2, shard = { 1, 1 }, duration = duration,
  options = { model = "open", rate = rate, duration = seconds, max_vus = 10000 },
  iterations = { done = done, failed = failed, dropped = 0, rate = (done + failed) / seconds },
  chain = figures(chain, { count = chain:count(), histogram = chain:encode(), rate = chain:count() / seconds,
    min = chain:min(), mean = chain:mean(), max = chain:max() }, not o.plain),
  start_lag = figures(lag, { count = lag:count(), histogram = lag:encode(), max = lag:max() }, not o.plain,
    { { "p50", 50 }, { "p99", 99 } }),
  requests = {}, errors = {}, series = series,
  date = "2026-12-01T09:00:00Z", version = "fixture", host = "fixture-host",
}
for t, name in ipairs(tags) do
  local q = tag_rows[name]
  q.histogram = tag_h[t]:encode()
  q.rate = q.count / seconds
  q.min, q.mean, q.max = tag_h[t]:min(), tag_h[t]:mean(), tag_h[t]:max()
  r.requests[name] = figures(tag_h[t], q, not o.plain)
end
for msg, count in pairs(failures) do r.errors[#r.errors + 1] = { message = msg, count = count } end
table.sort(r.errors, function(a, b) return a.count > b.count end)
if o.interrupted then r.interrupted = true end
r.thresholds = {
  { expression = "chain:p99<2s", ok = (r.chain.p99 or 0) < 2, value = r.chain.p99, stat = "p99" },
  { expression = "errors<0.1%", ok = failed / (done + failed) < 0.001, value = failed / (done + failed), stat = "errors" },
}
if o.compare then
  local base = assert(report.read(o.compare))
  r.comparison = compare.reports(base, r, { base_label = o.compare:match("[^/]*$") })
  local rel = {}
  for k, e in ipairs({ "chain:p99<+5%", tags[1] .. ":p50<+5%", "errors<+0.1%" }) do
    rel[k] = assert(compare.parse_relative(e))
  end
  for _, row in ipairs(compare.check_relative(rel, r.comparison)) do r.thresholds[#r.thresholds + 1] = row end
end
assert(report.write(r, out))
