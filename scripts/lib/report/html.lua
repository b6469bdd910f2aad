-- One self-contained HTML page of a load run's report (load.lua --json, a
-- shard or a merge of shards) or of bench.lua's JSON: every script and
-- style inlined, charts by Chart.js (Debian libjs-chart.js) read from
-- /usr/share/javascript when the page is written, and a
-- Content-Security-Policy that lets the page load nothing at all.
--   local html = require "report.html"
--   local text, err = html.render(report [, opts])   -- the page, or nil and why
--   local ok, err = html.write(report, path [, opts]) -- through a temporary file
--   local ok, err = html.check([opts])               -- before a long run: can it write?
-- report is the decoded JSON (or load.report.build's table). opts:
--   chartjs     Chart.js's file (default M.CHARTJS)
--   max_points  points per line over time before the series is bucketed
--               (default report.charts.MAX_POINTS)
--   source      the JSON file's name, shown in the header
--   now         the time shown as "report written" (default: now, UTC)
local util = require "report.util"
local run = require "report.run"
local bench = require "report.bench"

local M = {}

M.CHARTJS = "/usr/share/javascript/chart.js/chart.min.js"
M.CHARTJS_PACKAGE = "libjs-chart.js"

local function read_file(path)
  local f, err = io.open(path, "rb")
  if not f then return nil, err end
  local text = f:read("a")
  f:close()
  return text
end

-- page.js and page.css live beside this module.
local function asset(name, ext)
  local path = package.searchpath("report." .. name, (package.path:gsub("%.lua", "." .. ext)))
  if not path then return nil, "report/" .. name .. "." .. ext .. " not found on package.path" end
  return read_file(path)
end

-- Chart.js's banner comments name its web sites; they go (the copyright and
-- license lines stay), so that the page holds no address to fetch.
local function chartjs(path)
  local text, err = read_file(path)
  if not text then
    return nil, string.format("Chart.js not found (%s): install the Debian package %s "
      .. "(apt-get install %s)", err, M.CHARTJS_PACKAGE, M.CHARTJS_PACKAGE)
  end
  return (text:gsub("\n %* https?://[^\n]*", ""))
end

-- JSON inside <script type="application/json">: "</script" would end the
-- element and "<!--" change how it is read, so no "<" is left as is ("<"
-- only ever stands in a JSON string, where \u003c means the same).
local function script_json(v)
  return (json.encode(v):gsub("<", "\\u003c"))
end

-- Whether a page can be written (Chart.js and the page's own files are
-- there): true, or nil and the one-line reason render would give.
function M.check(opts)
  opts = opts or {}
  local f, err = io.open(opts.chartjs or M.CHARTJS, "rb")
  if not f then
    return nil, select(2, chartjs(opts.chartjs or M.CHARTJS)) or err
  end
  f:close()
  for _, a in ipairs({ { "page", "js" }, { "page", "css" } }) do
    local text, aerr = asset(a[1], a[2])
    if not text then return nil, aerr end
  end
  return true
end

local CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
  .. "img-src data:; base-uri 'none'; form-action 'none'"

-- The page of report: {title, body, charts}, or nil and why.
local function page_of(report, opts)
  if type(report) ~= "table" then return nil, "not a report (expected a JSON object)" end
  local o = { source = opts.source, max_points = opts.max_points,
              now = opts.now or os.date("!%Y-%m-%d %H:%M:%S UTC") }
  if bench.is_bench(report) then return bench.page(report, o) end
  if type(report.format) == "string" and report.format:match("^dockscript load run") then
    return run.page(report, o)
  end
  return nil, "not a load run (load.lua --json) nor a bench.lua --json file"
end

-- The live page (load.lua --dashboard) may also open its own event stream.
M.LIVE_CSP = CSP .. "; connect-src 'self'"

-- opts.live: the live page of load.lua --dashboard (live.js added, and
-- connect-src 'self' for its event stream).
function M.render(report, opts)
  opts = opts or {}
  local lib, err = chartjs(opts.chartjs or M.CHARTJS)
  if not lib then return nil, err end
  local js, jerr = asset("page", "js")
  if not js then return nil, jerr end
  local css, cerr = asset("page", "css")
  if not css then return nil, cerr end
  local livejs = ""
  if opts.live then
    local l, lerr = asset("live", "js")
    if not l then return nil, lerr end
    livejs = "<script>\n" .. l .. "\n</script>\n"
  end
  local page, perr = page_of(report, opts)
  if not page then return nil, perr end
  return table.concat({
    "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">",
    '<meta http-equiv="Content-Security-Policy" content="', opts.live and M.LIVE_CSP or CSP, '">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    "<title>", util.esc(page.title), "</title>\n<style>\n", css, "\n</style></head>\n<body>\n",
    '<main>\n', page.body, "\n</main>\n",
    '<footer>Written by dockscript; charts by Chart.js (MIT License). This page loads nothing '
      .. (opts.live and "but its own event stream.</footer>\n" or "from the network.</footer>\n"),
    '<script type="application/json" id="report-charts">', script_json(page.charts), "</script>\n",
    "<script>\n", lib, "\n</script>\n<script>\n", js, "\n</script>\n", livejs, "</body></html>\n",
  })
end

-- One event of the live page's stream: the report's body and charts as
-- JSON on one line (live.js reads it).
function M.live_event(report, opts, final)
  local page, err = page_of(report, opts or {})
  if not page then return nil, err end
  return (json.encode({ main = page.body, charts = page.charts, final = final or false }))
end

function M.write(report, path, opts)
  local text, err = M.render(report, opts)
  if not text then return nil, err end
  return require("cli").write_file(path, text)
end

return M
