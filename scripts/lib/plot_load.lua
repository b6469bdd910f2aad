-- Draws a load run's JSON (load.lua --json) with gnuplot: above, the
-- chain's p50 and p99 and the throughput over time; below, the percentile
-- spectrum of the chain and of each request tag, on HdrHistogram's axis
-- (1/(1 - p), log scale), so the tail reads as easily as the median.
--   local plot_load = require "plot_load"; plot_load.draw(run, "out.png")
local M = {}

-- Is this decoded JSON a load run (rather than bench.lua's figures)?
function M.is_load_run(data)
  return type(data) == "table" and type(data.chain) == "table" and type(data.series) == "table"
end

local function v(x) return x and string.format("%.6f", x) or "-" end

local function write(path, lines)
  local f = assert(io.open(path, "w"))
  f:write(table.concat(lines, "\n"), "\n")
  f:close()
end

-- Seconds since start, chain p50 and p99 (ms), iterations and errors per second.
local function series_lines(data)
  local out = {}
  for _, s in ipairs(data.series) do
    out[#out + 1] = string.format("%d %s %s %d %d", s.t, v(s.p50 and s.p50 * 1e3),
      v(s.p99 and s.p99 * 1e3), s.iterations or 0, s.errors or 0)
  end
  return out
end

-- 1/(1 - p) and the value (ms) at the minimum, then at levels ten to a
-- decade from p50 to the last value: the spectrum of an encoded histogram.
local function spectrum_lines(encoded)
  local h = metrics.decode(encoded)
  local n = h:count()
  local out = {}
  if n == 0 then return out end
  out[1] = string.format("1 %.6f", h:min() * 1e3)
  local j = 10 * math.log(2, 10) -- p50
  while true do
    local tail = 10 ^ (-j / 10)
    if tail < 1 / n then break end
    out[#out + 1] = string.format("%.6g %.6f", 1 / tail, h:percentile(100 * (1 - tail)) * 1e3)
    j = j + 1
  end
  out[#out + 1] = string.format("%.6g %.6f", n, h:max() * 1e3)
  return out
end

-- The metrics to draw in the spectrum: the chain, then the tags by count.
local function metrics_to_draw(data)
  local list = { { "chain", data.chain.histogram } }
  local tags = {}
  for tag, q in pairs(data.requests or {}) do tags[#tags + 1] = { tag, q.histogram, q.count or 0 } end
  table.sort(tags, function(a, b) return a[3] > b[3] or (a[3] == b[3] and a[1] < b[1]) end)
  for i = 1, math.min(#tags, 5) do list[#list + 1] = tags[i] end
  return list
end

local function title_of(data)
  local o = data.options or {}
  local what = data.model == "open"
    and (o.stages and "open model, stages" or string.format("open model, %g/s", o.rate or 0))
    or string.format("closed model, %d VUs", o.vus or 0)
  return string.format("%s: %s, %d threads, %.1fs", data.scenario or "?", what,
    data.threads or 0, data.duration or 0)
end

-- Tics at 0%, 50%, 90%, 99%, ... up to the widest curve. Tic labels are
-- formats to gnuplot: %% is a percent sign.
local function spectrum_tics(widest)
  local tics = { '"0%%" 1', '"50%%" 2' }
  local x, label = 10, "90"
  while x <= widest do
    tics[#tics + 1] = string.format('"%s%%%%" %d', label, x)
    x, label = x * 10, label == "90" and "99" or (label:find("%.") and label .. "9" or label .. ".9")
  end
  return "set xtics (" .. table.concat(tics, ", ") .. ")"
end

local function quote(s) return "'" .. tostring(s):gsub("'", "''") .. "'" end

-- Writes the PNG; raises with gnuplot's complaint if it fails.
function M.draw(data, output)
  local files = { os.tmpname() }
  write(files[1], series_lines(data))
  local curves, widest, busiest = {}, 2, 1
  for _, row in ipairs(data.series) do busiest = math.max(busiest, row.iterations or 0) end
  for _, m in ipairs(metrics_to_draw(data)) do
    local lines = spectrum_lines(m[2])
    if #lines > 0 then
      local path = os.tmpname()
      write(path, lines)
      files[#files + 1] = path
      widest = math.max(widest, tonumber(lines[#lines]:match("^%S+")))
      curves[#curves + 1] = string.format("%s using 1:2 with linespoints pt 7 ps 0.5 lw 2 title %s",
        quote(path), quote(m[1]))
    end
  end
  if #curves == 0 then curves[1] = "NaN notitle" end
  local script = table.concat({
    -- noenhanced: an _ in a scenario or tag name is not a subscript
    'set terminal pngcairo noenhanced size 1000,900 font "sans,10"',
    "set output " .. quote(output),
    "set multiplot layout 2,1 title " .. quote(title_of(data)) .. ' font "sans,12"',
    "set datafile missing '-'",
    "set grid",
    "set key bottom right box opaque",
    "set offsets graph 0, 0, 0.15, 0", -- room above the highest line
    "set title 'chain latency and throughput over time'",
    "set xlabel 'seconds since start'",
    "set ylabel 'chain latency (ms)'",
    "set y2label 'iterations per second'",
    "set yrange [0:*]",
    string.format("set y2range [0:%g]", busiest * 1.3), -- the rate line clear of the border
    "set ytics nomirror", "set y2tics",
    string.format("plot %s using 1:2 with lines lw 2 title 'p50', "
      .. "%s using 1:3 with lines lw 2 title 'p99', "
      .. "%s using 1:4 axes x1y2 with steps lw 1 dt 2 title 'iterations done/s', "
      .. "%s using 1:5 axes x1y2 with steps lw 1 title 'errors/s'",
      quote(files[1]), quote(files[1]), quote(files[1]), quote(files[1])),
    "unset y2tics", "unset y2label", "set ytics mirror",
    "set title 'percentile spectrum'",
    "set xlabel 'percentile'",
    "set ylabel 'latency (ms)'",
    "set logscale x",
    string.format("set xrange [1:%g]", widest),
    spectrum_tics(widest),
    "plot " .. table.concat(curves, ", "),
    "unset multiplot",
  }, "\n") .. "\n"
  local gp = io.popen("gnuplot 2>&1", "w")
  if not gp then error("cannot run gnuplot", 0) end
  gp:write(script)
  local ok = gp:close()
  for _, f in ipairs(files) do os.remove(f) end
  if not ok then error("gnuplot failed (is gnuplot-nox installed? tools/deps.sh --test)", 0) end
end

return M
