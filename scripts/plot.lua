-- A PNG of bench.lua's or load.lua's --json figures (gnuplot).
-- bench.lua's: time against N for the sequential and the concurrent runs,
-- each beside its ideal (log-log); a load run's: plot_load.lua's panels.
-- A mistake (a file that will not open or is no run, a folder that does
-- not exist, no gnuplot) is one line and exit 2, found before gnuplot runs;
-- gnuplot's own output goes nowhere, so a PNG never reaches a terminal.
--   dockscript plot.lua RESULTS.json OUT.png
local cli = require "cli"
local plot_load = require "plot_load"

local GNUPLOT = "gnuplot-nox" -- the Debian package with gnuplot's pngcairo terminal

local p = cli.parser("plot.lua", "Draws bench.lua's or load.lua's --json figures as a PNG with gnuplot.",
  "Needs gnuplot: apt-get install " .. GNUPLOT .. ".")
p:argument("input", "bench.lua or load.lua --json output."):argname("RESULTS.json")
p:argument("output", "The PNG to write."):argname("OUT.png")
local args = cli.parse(p, arg)
local input, output = args.input, args.output

-- The decoded file, or one line saying what is wrong with it (exit 2).
local function read_json(path)
  local f, err = io.open(path)
  if not f then cli.fail("cannot open " .. err, 2) end
  local text, rerr = f:read("a")
  f:close()
  if not text then cli.fail(string.format("cannot read %s: %s", path, rerr), 2) end
  local ok, data = pcall(json.decode, text)
  if not ok then cli.fail(string.format("%s is not JSON (%s)", path, data), 2) end
  return data
end

-- The PNG's folder exists and takes a file. A device (/dev/stdout, a
-- terminal) is refused: gnuplot's own output goes to /dev/null, and a PNG
-- has no business on a terminal.
local function check_output(path)
  if path:match("^/dev/") or path:match("^/proc/") then
    cli.fail("output " .. path .. " is not a file: name the .png file to write", 2)
  end
  local ok, err = cli.check_output("output", path)
  if not ok then cli.fail(err, 2) end
end

local function num(x) return type(x) == "number" and x == x and x or nil end
local function quote(s) return "'" .. tostring(s):gsub("'", "''") .. "'" end

-- bench.lua's figures: the gnuplot script and its data file. Raises one
-- line when a run is not bench.lua's.
local function bench_script(data, out_png)
  local rows, lowest, highest, seen = {}, math.huge, 0, {}
  -- "-" marks a missing value (sync skipped, no ideal, or 0 on a log scale)
  -- for gnuplot's `set datafile missing`; the values set the y range.
  local function v(x)
    x = num(x)
    if not x or x <= 0 then return "-" end
    lowest, highest = math.min(lowest, x), math.max(highest, x)
    return string.format("%.6f", x)
  end
  local columns = { "sync_median", "async_median", "ideal_sync", "ideal_async" }
  for i, r in ipairs(data.runs) do
    if type(r) ~= "table" or not math.tointeger(r.names) or r.names < 1 then
      error(string.format("runs[%d] has no names count (N)", i), 0)
    end
    local line = { tostring(r.names) }
    for c, key in ipairs(columns) do
      line[c + 1] = v(r[key])
      seen[key] = seen[key] or line[c + 1] ~= "-"
    end
    rows[i] = table.concat(line, " ")
  end
  if lowest == math.huge then error("its runs have no times", 0) end
  local dat = os.tmpname()
  local f = assert(io.open(dat, "w"))
  f:write(table.concat(rows, "\n"), "\n")
  f:close()

  local delay = num(data.delay) and data.delay .. "s" or tostring(data.delay)
  local workers = math.tointeger(data.workers)
  local title = string.format("dockscript bench.lua %s: delay %s, %s", tostring(data.date or ""),
    delay, (workers == 0 or not workers) and "unlimited workers" or workers .. " workers")
  -- The measured lines first: wide, in translucent colour; the ideals after
  -- them, on top: black dashes with open marks larger than the measured
  -- points, so that an ideal the measurement meets still shows through it.
  -- A curve without any value is left out: gnuplot fails on it.
  local curves = {
    { 2, "sync_median", "linespoints lw 5 pt 7 ps 1.3 lc rgb '#507b2fbe'", "sequential http.get (measured)" },
    { 3, "async_median", "linespoints lw 5 pt 5 ps 1.3 lc rgb '#500072b2'", "concurrent http.map (measured)" },
    { 4, "ideal_sync", "linespoints dt (10,6) lw 2 pt 6 ps 2.2 lc rgb 'black'", "sequential ideal: N x 2 x delay" },
    { 5, "ideal_async", "linespoints dt (4,4) lw 2 pt 4 ps 2.2 lc rgb 'black'", "concurrent ideal: 2 x delay" },
  }
  local plots = {}
  for _, c in ipairs(curves) do
    if seen[c[2]] then
      plots[#plots + 1] = string.format("%s using 1:%d with %s title '%s'", quote(dat), c[1], c[3], c[4])
    end
  end
  local script = table.concat({
    'set terminal pngcairo noenhanced size 900,680 font "sans,11"',
    "set output " .. quote(out_png),
    "set title " .. quote(title),
    "set xlabel 'lookups N (2 chained GETs each)'",
    "set ylabel 'seconds'",
    "set logscale xy",
    string.format("set yrange [%g:%g]", lowest / 2, highest * 2),
    "set offsets graph 0.03, graph 0.03, 0, 0", -- the first and last marks clear of the border
    "set grid",
    "set key outside bottom center horizontal maxrows 2 width 2",
    "set bmargin 7", -- the key under the x axis' label, not on it
    "set datafile missing '-'",
    "plot " .. table.concat(plots, ", "),
  }, "\n") .. "\n"
  return script, { dat }
end

-- gnuplot run on script, its stdout to /dev/null: true, or false and its
-- complaint as one line.
local function run_gnuplot(script)
  local errfile = os.tmpname()
  local gp = io.popen("gnuplot >/dev/null 2>" .. quote(errfile), "w")
  if not gp then return false, "cannot run gnuplot" end
  gp:write(script)
  local ok = gp:close()
  local ef = io.open(errfile)
  local err = ef and ef:read("a") or ""
  if ef then ef:close() end
  os.remove(errfile)
  if ok then return true end
  local why = err:match('[^\n]*line %d+:[^\n]*') or err:match("[^\n]*%S[^\n]*") or "no message"
  return false, (why:gsub("^%s+", ""))
end

local data = read_json(input)
local kind, build
if plot_load.is_load_run(data) then
  kind, build = "load.lua", plot_load.script
elseif type(data) == "table" and type(data.runs) == "table" and #data.runs > 0 then
  kind, build = "bench.lua", bench_script
else
  cli.fail(input .. " is not a run: no figures of bench.lua --json or load.lua --json to plot", 2)
end
check_output(output)
if not os.execute("command -v gnuplot >/dev/null 2>&1") then
  cli.fail("gnuplot not found: install it (apt-get install " .. GNUPLOT .. ")", 2)
end
local ok, script, files = pcall(build, data, output)
if not ok then cli.fail(string.format("%s is not a readable run of %s --json: %s", input, kind, script), 2) end
local drawn, why = run_gnuplot(script)
for _, f in ipairs(files) do os.remove(f) end
-- gnuplot failing on a script made here is this script's bug: exit 1
if not drawn then cli.fail("gnuplot failed: " .. why, 1) end
print("wrote " .. output)
