-- The report's section of the scenario's checks: per name the passes,
-- fails and pass rate with its 95% interval; "" when the run had none.
local util = require "report.util"

local M = {}
local esc = util.esc

function M.section(r)
  if type(r.checks) ~= "table" or next(r.checks) == nil then return "" end
  local rows = {}
  for _, name in ipairs(util.sorted_keys(r.checks)) do
    local c = r.checks[name]
    local ci = type(c.rate_ci) == "table" and c.rate_ci
    rows[#rows + 1] = { class = (c.fails or 0) > 0 and "bad" or "ok", esc(name),
      util.count(c.passes), util.count(c.fails), esc(util.pct(c.rate, 2)),
      esc(ci and util.pct(ci[1], 2) .. " - " .. util.pct(ci[2], 2) or "-") }
  end
  return "<h2>Checks</h2><p>Each named condition of <code>check()</code>: a failed check does "
    .. "not fail its iteration. The interval is Wilson's, at 95%.</p>"
    .. util.table({ "check", "passes", "fails", "rate", "95% interval" }, rows, "grid num")
end

return M
