-- Draws bench.lua's --json figures as a PNG with gnuplot: time against N for
-- the sequential and concurrent runs and their ideal lines (log-log). A load
-- run's JSON (load.lua --json) is drawn by plot_load.lua.
--   dockscript scripts/plot.lua RESULTS.json OUT.png
local input, output = arg[1], arg[2]
if not (input and output) then
  io.stderr:write("usage: plot.lua RESULTS.json OUT.png\n")
  os.exit(2)
end
local f = assert(io.open(input))
local data = json.decode(f:read("a"))
f:close()
local plot_load = require "plot_load"
if plot_load.is_load_run(data) then
  plot_load.draw(data, output)
  print("wrote " .. output)
  return
end
if not data.runs or #data.runs == 0 then error(input .. ": no runs to plot", 0) end

local dat = os.tmpname()
local out = assert(io.open(dat, "w"))
-- "-" marks a missing value (sync skipped) for gnuplot's `set datafile missing`
local function v(x) return x and string.format("%.6f", x) or "-" end
for _, r in ipairs(data.runs) do
  out:write(string.format("%d %s %s %s %s\n", r.names, v(r.sync_median), v(r.async_median),
    v(r.ideal_sync), v(r.ideal_async)))
end
out:close()

local title = string.format("dockscript: %s, delay %gs, %s", data.date or "",
  data.delay, data.workers == 0 and "unlimited workers" or data.workers .. " workers")
local script = string.format([[
set terminal pngcairo size 900,600 font "sans,11"
set output '%s'
set title '%s'
set xlabel 'lookups N (2 chained GETs each)'
set ylabel 'seconds'
set logscale xy
set yrange [0.5:*]
set grid
set key top left
set datafile missing '-'
plot '%s' using 1:2 with linespoints lw 2 pt 7 title 'sequential (measured)', \
     '%s' using 1:4 with lines dt 2 lw 1 title 'sequential ideal: N x 2 x delay', \
     '%s' using 1:3 with linespoints lw 2 pt 5 title 'http.map (measured)', \
     '%s' using 1:5 with lines dt 2 lw 1 title 'concurrent ideal'
]], output, title, dat, dat, dat, dat)
local gp = assert(io.popen("gnuplot", "w"))
gp:write(script)
local ok = gp:close()
os.remove(dat)
if not ok then error("gnuplot failed (is gnuplot-nox installed? scripts/deps.sh --bench)", 0) end
print("wrote " .. output)
