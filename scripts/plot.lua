-- A PNG of bench.lua's or load.lua's --json figures (gnuplot).
-- Draws bench.lua's --json figures as a PNG with gnuplot: time against N for
-- the sequential and concurrent runs and their ideal lines (log-log). A load
-- run's JSON (load.lua --json) is drawn by plot_load.lua.
--   dockscript scripts/plot.lua RESULTS.json OUT.png
local cli = require "cli"

local p = cli.parser("plot.lua", "Draws bench.lua's or load.lua's --json figures as a PNG with gnuplot.")
p:argument("input", "bench.lua or load.lua --json output."):argname("RESULTS.json")
p:argument("output", "The PNG to write."):argname("OUT.png")
local args = cli.parse(p, arg)
local input, output = args.input, args.output

-- The figures, or one line saying what is wrong with the file (exit 2).
local function read_json(path)
  local f, err = io.open(path)
  if not f then cli.fail("cannot open " .. err, 2) end
  local text = f:read("a")
  f:close()
  local ok, data = pcall(json.decode, text)
  if not ok then
    cli.fail(string.format("%s is not JSON (%s)", path, data), 2)
  end
  return data
end
local data = read_json(input)
local plot_load = require "plot_load"
if type(data) == "table" and plot_load.is_load_run(data) then
  plot_load.draw(data, output)
  print("wrote " .. output)
  return
end
if type(data) ~= "table" or type(data.runs) ~= "table" or #data.runs == 0 then
  cli.fail(input .. " has no runs to plot (write one with bench.lua or load.lua --json FILE)", 2)
end

local dat = os.tmpname()
local out = io.open(dat, "w") or cli.fail("cannot write a temporary file " .. dat)
-- "-" marks a missing value (sync skipped, no ideal, or 0 on a log scale)
-- for gnuplot's `set datafile missing`; the lowest value sets the y range.
local lowest = math.huge
local function v(x)
  if not x or x <= 0 then return "-" end
  lowest = math.min(lowest, x)
  return string.format("%.6f", x)
end
for _, r in ipairs(data.runs) do
  out:write(string.format("%d %s %s %s %s\n", r.names, v(r.sync_median), v(r.async_median),
    v(r.ideal_sync), v(r.ideal_async)))
end
out:close()

local delay = tonumber(data.delay) and data.delay .. "s" or tostring(data.delay)
local title = string.format("dockscript: %s, delay %s, %s", data.date or "",
  delay, data.workers == 0 and "unlimited workers" or data.workers .. " workers")
-- A curve for each column with a value somewhere: gnuplot fails on one
-- without any (every sequential run skipped, no ideals for a delay SPEC).
local curves = {
  { 2, "sync_median", "linespoints lw 2 pt 7", "sequential (measured)" },
  { 4, "ideal_sync", "lines dt 2 lw 1", "sequential ideal: N x 2 x delay" },
  { 3, "async_median", "linespoints lw 2 pt 5", "http.map (measured)" },
  { 5, "ideal_async", "lines dt 2 lw 1", "concurrent ideal" },
}
local plots = {}
for _, c in ipairs(curves) do
  local any = false
  for _, r in ipairs(data.runs) do any = any or r[c[2]] ~= nil end
  if any then
    plots[#plots + 1] = string.format("'%s' using 1:%d with %s title '%s'", dat, c[1], c[3], c[4])
  end
end

local script = string.format([[
set terminal pngcairo size 900,600 font "sans,11"
set output '%s'
set title '%s'
set xlabel 'lookups N (2 chained GETs each)'
set ylabel 'seconds'
set logscale xy
set yrange [%g:*]
set grid
set key top left
set datafile missing '-'
plot %s
]], output, title, lowest / 2, table.concat(plots, ", "))
local gp = io.popen("gnuplot", "w")
gp:write(script)
local ok = gp:close()
os.remove(dat)
if not ok then cli.fail("gnuplot failed (is gnuplot-nox installed? tools/deps.sh --bench)") end
print("wrote " .. output)
