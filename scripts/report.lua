-- An offline HTML report of load.lua's or bench.lua's --json.
-- A load run's JSON (one shard or a merge) or bench.lua's becomes one
-- self-contained page: every script and style inlined, nothing fetched.
--   dockscript report.lua RUN.json [-o RUN.html]
local cli = require "cli"
local html = require "report.html"

local p = cli.parser("report.lua", "Writes the report of a load run (load.lua --json, a shard "
  .. "or load.lua --merge's JSON) or of bench.lua --json as one self-contained HTML page: "
  .. "header, thresholds, the summary with 95% intervals, latency over time, rates, errors, "
  .. "the percentile spectrum, status codes, failures and the comparison with a baseline. "
  .. "It loads nothing from the network; the charts are Chart.js (Debian libjs-chart.js), "
  .. "inlined from " .. html.CHARTJS .. ".")
p:argument("input", "load.lua or bench.lua --json output."):argname("RUN.json")
p:option("-o --output", "The page to write (default: RUN.html beside RUN.json)."):argname("RUN.html")
local args = cli.parse(p, arg)

local function read_json(path)
  local f, err = io.open(path)
  if not f then cli.fail("cannot open " .. err, 1) end
  local text = f:read("a")
  f:close()
  local ok, data = pcall(json.decode, text or "")
  if not ok then cli.fail(string.format("%s is not JSON (%s)", path, data), 1) end
  return data
end

local input = args.input
local output = args.output or (input:gsub("%.[Jj][Ss][Oo][Nn]$", "") .. ".html")
if output == input then cli.fail("the output would overwrite the input " .. input, 2) end
local data = read_json(input)
local ok, err = html.write(data, output, { source = input:match("[^/]*$") })
if not ok then cli.fail(input .. ": " .. tostring(err), 1) end
print("wrote " .. output)
