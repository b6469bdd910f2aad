-- The flows section of a load run's report page (a scenario's `flows`):
-- a table with a row per flow (its iterations and chain latencies) and its
-- request tags under it, then each flow's chain latency per second.
local util = require "report.util"
local charts = require "report.charts"

local esc = util.esc
local M = {}

local PCTS = { { "p50", 50 }, { "p90", 90 }, { "p99", 99 }, { "p999", 99.9 } }

-- A flow's series over the run's seconds: the seconds it has no entry
-- for are empty, so every flow's chart shares the run's x axis.
local function dense(series, n)
  local by = {}
  for _, s in ipairs(series or {}) do by[s.t] = s end
  local out = {}
  for t = 1, math.max(n, #series > 0 and series[#series].t or 0) do
    out[t] = by[t] or { t = t, iterations = 0, errors = 0 }
  end
  return out
end

-- {html, charts}; nil for a run without flows. cell(row, key, p) is the
-- page's percentile cell (the value over its 95% interval).
function M.section(r, cell, max_points)
  if type(r.flows) ~= "table" or next(r.flows) == nil then return nil end
  local rows = {}
  local function add(name, row, what, class)
    local cells = { esc(name), esc(what), util.count(row.count), esc(util.rate(row.rate)),
                    esc(util.time(row.min)) }
    for _, pc in ipairs(PCTS) do cells[#cells + 1] = cell(row, pc[1], pc[2]) end
    cells[#cells + 1] = esc(util.time(row.max))
    cells.class = class
    rows[#rows + 1] = cells
  end
  local list = {}
  for _, name in ipairs(util.sorted_keys(r.flows)) do
    local f = r.flows[name]
    local it = f.iterations or {}
    add("flow " .. name, f.chain or {}, string.format("%s done, %s failed", util.count(it.done or 0),
      util.count(it.failed or 0)), "flow")
    for _, tag in ipairs(util.sorted_keys(f.requests)) do
      local q = f.requests[tag]
      add("\u{2003}" .. tag, q, require("load.summary").outcomes(q, ", "))
    end
    local over = charts.over_time({ series = dense(f.series, #(r.series or {})) }, max_points)
    for _, ch in ipairs(over) do
      if ch.id == "latency-chain" then
        ch.id, ch.title, ch.small = "latency-flow-" .. #list + 1, "flow " .. name, true
        list[#list + 1] = ch
      end
    end
  end
  local html = { "<h2>Flows</h2>", util.table({ "", "iterations / status", "count", "rate", "min",
    "p50", "p90", "p99", "p99.9", "max" }, rows, "grid num"),
    '<p class="note">Each flow\'s chain is its iterations\' latency; its tags are the requests '
    .. "its iterations made (the summary's tags add up every flow's).</p>" }
  return { html = table.concat(html), charts = list }
end

return M
