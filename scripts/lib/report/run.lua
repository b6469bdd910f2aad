-- The report page of a load run (load.lua --json, one shard or merged):
-- its header, thresholds, the summary with intervals, the charts
-- (report/charts.lua), status codes, failures and the comparison with a
-- baseline. M.page(report, opts) -> {title, body (HTML), charts}.
local util = require "report.util"
local charts = require "report.charts"

local esc = util.esc
local M = {}

local PCTS = { { "p50", 50 }, { "p90", 90 }, { "p99", 99 }, { "p999", 99.9 } }

-- Header -------------------------------------------------------------------

local function model_text(r)
  local o = r.options or {}
  if r.model == "flows" then return require("load.flows").describe(o, require("load.summary")) end
  if r.model == "open" then
    if type(o.stages) == "table" and #o.stages > 0 then
      local parts = {}
      for _, st in ipairs(o.stages) do
        parts[#parts + 1] = string.format("%gs to %g/s", st.duration or 0, st.target or 0)
      end
      return string.format("open, stages %s", table.concat(parts, ", "))
    end
    return string.format("open, %g iterations/s for %gs", o.rate or 0, o.duration or 0)
  end
  local how = o.iterations and (util.count(o.iterations) .. " iterations")
    or (o.duration and string.format("%gs", o.duration)) or "?"
  return string.format("closed, %s VUs, %s", util.count(o.vus or 0), how)
end

local function shards_text(r)
  if type(r.shards) == "table" and #r.shards > 0 then
    local n = type(r.shards[1]) == "table" and r.shards[1][2] or #r.shards
    local list = {}
    for _, s in ipairs(r.shards) do list[#list + 1] = string.format("%d/%d", s[1], s[2]) end
    return string.format("merged %d of %d shards (%s)", #r.shards, n, table.concat(list, ", "))
  end
  if type(r.shard) == "table" and (r.shard[2] or 1) > 1 then
    return string.format("shard %d of %d", r.shard[1], r.shard[2])
  end
  return "1 (unsharded)"
end

local function header(r, opts)
  local it = r.iterations or {}
  local ended = (it.done or 0) + (it.failed or 0)
  local args = {}
  for i, a in ipairs(r.args or {}) do args[i] = esc(a) end
  return util.facts({
    { "scenario", esc(r.scenario or "?") },
    { "arguments", #args > 0 and table.concat(args, " ") or nil },
    { "model", esc(model_text(r)) },
    { "threads", esc(r.threads) },
    { "shards", esc(shards_text(r)) },
    { "ran", esc(util.time(r.duration)) },
    { "iterations", esc(string.format("%s done, %s failed (%s), %s dropped, %s", util.count(it.done),
      util.count(it.failed), util.pct(ended > 0 and (it.failed or 0) / ended or 0, 2),
      util.count(it.dropped), util.rate(it.rate))) },
    { "date", esc(r.date) },
    { "version", esc(r.version) },
    { "host", esc(r.host) },
    { "file", esc(opts.source) },
    { "report written", esc(opts.now) },
  })
end

-- Thresholds ---------------------------------------------------------------

local function threshold_value(t)
  local v = t.value
  if type(v) ~= "number" then return "-" end
  if t.relative then
    return t.stat == "errors" and string.format("%+.3f points", v) or util.signed_pct(v)
  end
  if t.stat == "errors" or t.stat == "check rate" then return util.pct(v, 2) end
  if t.stat == "rate" then return util.rate(v) end
  if t.stat == "count" or t.stat == "dropped" or t.stat == "failed" or t.stat == "done"
      or t.stat == "check passes" or t.stat == "check fails" then
    return util.count(v)
  end
  return util.time(v)
end

local function thresholds(r)
  local list = r.thresholds
  if type(list) ~= "table" or #list == 0 then return nil end
  local rows, failed = {}, 0
  for _, t in ipairs(list) do
    if not t.ok then failed = failed + 1 end
    rows[#rows + 1] = { class = t.ok and "ok" or "bad", esc(t.expression),
      { t.ok and "ok" or "FAIL", t.ok and "pass" or "fail" }, esc(threshold_value(t)), esc(t.note) }
  end
  return string.format("<h2>Thresholds: %d passed, %d failed</h2>", #list - failed, failed)
    .. util.table({ "threshold", "result", "value", "note" }, rows)
end

-- Summary ------------------------------------------------------------------

-- The interval of row[key]: the JSON's "pNN_ci", else from the histogram.
local function interval(row, key, p, h)
  local ci = row[key .. "_ci"]
  if type(ci) == "table" and type(ci[1]) == "number" then return ci[1], ci[2] end
  if h and h:count() > 0 then return h:ci(p) end
  return nil
end

local function percentile_cell(row, key, p, h)
  local v = row[key]
  if type(v) ~= "number" then return "-" end
  local lo, hi = interval(row, key, p, h)
  if not lo then return esc(util.time(v)) end
  return string.format('%s<br><small title="95%% interval">%s..%s</small>', esc(util.time(v)),
    esc(util.time(lo)), esc(util.time(hi)))
end

-- "2xx 9,990, 5xx 10, errors 3": the summary's, with commas
local function outcomes(row) return require("load.summary").outcomes(row, ", ") end

local function summary(r, hists)
  local rows = {}
  local function add(name, row, h, is_tag)
    if type(row) ~= "table" then return end
    local cells = { esc(name), util.count(row.count), esc(util.rate(row.rate)), esc(util.time(row.min)) }
    for _, pc in ipairs(PCTS) do cells[#cells + 1] = percentile_cell(row, pc[1], pc[2], h) end
    cells[#cells + 1] = esc(util.time(row.max))
    cells[#cells + 1] = is_tag and esc(outcomes(row)) or ""
    rows[#rows + 1] = cells
  end
  add("chain", r.chain, hists.chain)
  for _, tag in ipairs(util.sorted_keys(r.requests)) do add(tag, r.requests[tag], hists.requests[tag], true) end
  local html = { "<h2>Summary</h2>", util.table({ "", "count", "rate", "min", "p50", "p90", "p99", "p99.9",
    "max", "status" }, rows, "grid num") }
  local lag = r.start_lag
  if (r.model == "open" or r.model == "flows") and type(lag) == "table" and (lag.count or 0) > 0 then
    html[#html + 1] = "<h3>Start lag: how late the open model's iterations started</h3>"
      .. util.table({ "", "count", "p50", "p99", "max" }, { { "start lag", util.count(lag.count),
        percentile_cell(lag, "p50", 50, hists.start_lag), percentile_cell(lag, "p99", 99, hists.start_lag),
        esc(util.time(lag.max)) } }, "grid num")
  end
  html[#html + 1] = '<p class="note">Under each percentile its 95% distribution-free interval '
    .. "(order statistics through the histogram). An interval that ends at the max had too few "
    .. "values above the percentile to bound it: it holds the true value less often.</p>"
  return table.concat(html)
end

-- Status codes and failures -------------------------------------------------

local function status_table(r)
  local codes = {}
  for _, q in pairs(r.requests or {}) do
    for code in pairs(q.status or {}) do codes[tostring(code)] = true end
  end
  local list = util.sorted_keys(codes)
  local head = { "" }
  for _, c in ipairs(list) do head[#head + 1] = esc(c) end
  head[#head + 1] = "transport errors"
  local rows = {}
  for _, tag in ipairs(util.sorted_keys(r.requests)) do
    local q = r.requests[tag]
    local cells = { esc(tag) }
    for _, c in ipairs(list) do
      local n = (q.status or {})[c]
      local bad = tonumber(c) and tonumber(c) >= 400
      cells[#cells + 1] = n and { util.count(n), bad and "bad" or "" } or ""
    end
    local errs = 0
    for _, n in pairs(q.errors or {}) do errs = errs + n end
    cells[#cells + 1] = errs > 0 and { util.count(errs), "bad" } or "0"
    rows[#rows + 1] = cells
  end
  if #rows == 0 then return "" end
  return "<h2>Status codes</h2>" .. util.table(head, rows, "grid num")
end

local function failures(r)
  local rows = {}
  for _, e in ipairs(type(r.errors) == "table" and r.errors or {}) do
    rows[#rows + 1] = { util.count(e.count), "failed iteration", esc(e.message) }
  end
  for _, tag in ipairs(util.sorted_keys(r.requests)) do
    local errs = r.requests[tag].errors or {}
    for _, reason in ipairs(util.sorted_keys(errs)) do
      rows[#rows + 1] = { util.count(errs[reason]), esc(tag), esc(reason) }
    end
  end
  if #rows == 0 then return "<h2>Failures</h2><p>None.</p>" end
  return "<h2>Failures</h2>" .. util.table({ "count", "where", "message" }, rows, "grid")
end

-- Comparison ---------------------------------------------------------------

local function comparison(c)
  if type(c) ~= "table" then return nil end
  local rows = {}
  for _, row in ipairs(c.rows or {}) do
    if type(row.change_pct) == "number" then
      local ci = row.change_ci_pct or {}
      rows[#rows + 1] = { class = row.significant and "bad" or nil, esc(row.name), esc(row.stat),
        esc(util.time(row.base)), esc(util.time(row.run)), esc(util.signed_pct(row.change_pct)),
        esc(util.signed_pct(ci[1]) .. ".." .. util.signed_pct(ci[2])),
        row.significant and { "significant", "fail" } or "" }
    else
      rows[#rows + 1] = { esc(row.name), esc(row.stat), "-", "-", "-", "", esc(row.note) }
    end
  end
  local e = c.errors or {}
  local base = c.baseline or {}
  local html = { "<h2>Against the baseline</h2>",
    string.format("<p>Baseline: %s. A change is significant when its interval (at the "
      .. "comparison's family-wise level %s, over %s tests) leaves out 0.</p>",
      esc(base.label or base.scenario or "?"), esc(c.alpha), esc(c.tests)),
    util.table({ "", "", "then", "now", "change", "interval", "" }, rows, "grid num") }
  if #rows > 30 then -- the chart below shows every row; the table on demand
    html[3] = string.format("<details><summary>The %d rows as a table</summary>%s</details>",
      #rows, html[3])
  end
  if type(e.base) == "number" then
    html[#html + 1] = string.format("<p%s>Error rate: %s then, %s now, %+.3f points (two-proportion "
      .. "test, p = %.2g)%s.</p>", e.significant and ' class="bad"' or "", util.pct(e.base, 3),
      util.pct(e.run, 3), e.change_pp or 0, e.p_value or 1, e.significant and ", significant" or "")
  end
  for _, w in ipairs(type(c.warnings) == "table" and c.warnings or {}) do
    html[#html + 1] = '<p class="banner">' .. esc(w) .. ".</p>"
  end
  if type(c.unmatched) == "table" and #c.unmatched > 0 then
    local names = {}
    for i, n in ipairs(c.unmatched) do names[i] = esc(n) end
    html[#html + 1] = "<p>In one run only: " .. table.concat(names, ", ") .. ".</p>"
  end
  return table.concat(html)
end

-- The page -----------------------------------------------------------------

local function chart_div(ch)
  local class = "chart" .. (ch.small and " small" or "") .. (ch.tall and " tall" or "")
  local style = ch.type == "interval" and string.format(' style="height:%dpx"', 60 + 22 * ch.rows) or ""
  return string.format('<div class="%s"%s><canvas id="%s" data-chart="%s"></canvas></div>', class,
    style, esc(ch.id), esc(ch.id))
end

-- What the charts of counts per second leave out (report.lua's rule).
local function partial_note(r)
  local series, d = r.series or {}, r.duration
  local last = series[#series]
  if not (last and require("load.report").partial_second(last.t, d)) then return nil end
  return string.format('<p class="note">The run ended %s into its second %d: that partial '
    .. "second is left out of the requests, iterations, errors and in-flight charts (its counts "
    .. "would read as a drop).</p>", esc(util.time(d - (last.t - 1))), last.t)
end

local function histograms(r)
  local req = {}
  for tag, q in pairs(r.requests or {}) do req[tag] = charts.decoded(q) end
  return { chain = charts.decoded(r.chain), start_lag = charts.decoded(r.start_lag), requests = req }
end

function M.page(r, opts)
  local hists = histograms(r)
  local list = {}
  local body = {}
  local function add(html) if html and html ~= "" then body[#body + 1] = html end end
  local function chart(ch)
    if not ch then return end
    list[#list + 1] = ch
    add(chart_div(ch))
  end
  local title = string.format("%s: load run", r.scenario or "dockscript")
  add("<h1>" .. esc(title) .. "</h1>")
  if r.interrupted then
    add('<p class="banner">Interrupted: this run was stopped before its end; the figures are '
      .. "of what ran.</p>")
  end
  add(header(r, opts))
  add(thresholds(r))
  add(summary(r, hists))
  add(require("report.checks").section(r))
  local flows = require("report.flows").section(r, function(row, key, p)
    return percentile_cell(row, key, p, charts.decoded(row))
  end, opts.max_points)
  if flows then
    add(flows.html)
    if #flows.charts > 0 then
      add("<h3>Chain latency per second of each flow</h3>")
      add('<div class="grid-charts">')
      for _, ch in ipairs(flows.charts) do chart(ch) end
      add("</div>")
    end
  end
  local cmp = comparison(r.comparison)
  if cmp then
    add(cmp)
    chart(charts.comparison(r.comparison))
  end
  local over, note, tag_charts = charts.over_time(r, opts.max_points)
  add("<h2>Over time</h2>")
  if note then add('<p class="note">' .. esc(note) .. "</p>") end
  if #over == 0 then add("<p>No series in this file.</p>") end
  for _, ch in ipairs(over) do
    if ch.id == "latency-chain" then chart(ch) end
  end
  if #tag_charts > 0 then
    add("<h3>Latency per second of each request tag</h3>")
    add('<div class="grid-charts">')
    for _, ch in ipairs(tag_charts) do chart(ch) end
    add("</div>")
  elseif #over > 0 then
    add('<p class="note">This file has no per-tag series.</p>')
  end
  if #over > 1 then
    add("<h3>Rates, errors, in flight and start lag per second</h3>")
    add(partial_note(r))
    add('<div class="grid-charts wide">')
    for _, ch in ipairs(over) do
      if ch.id ~= "latency-chain" then ch.small = true; chart(ch) end
    end
    add("</div>")
  end
  add("<h2>Percentile spectrum</h2>")
  local sp = charts.spectrum(r, hists)
  if #sp > 0 then
    add('<p class="note">HdrHistogram\'s percentile distribution: the x axis is 1/(1-p), so '
      .. "each step right is a tenth of the values left above.</p>")
    for _, ch in ipairs(sp) do chart(ch) end
  else
    add("<p>Too few values for a spectrum.</p>")
  end
  local explain = require "report.explain"
  add(explain.server_timing(r))
  add(explain.phases(r))
  add(explain.degraded(r))
  add(explain.capacity(r))
  add(status_table(r))
  add(failures(r))
  return { title = title, body = table.concat(body, "\n"), charts = list }
end

return M
