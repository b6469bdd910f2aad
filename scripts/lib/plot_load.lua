-- The gnuplot script for a load run's JSON (load.lua --json), in three
-- panels: the chain's latency per second (p50, p90, p99; a second holds the
-- iterations that started in it) with its latency thresholds; iterations
-- and requests per second, with the failed iterations per second on their
-- own right axis (a few failures beside thousands of iterations would lie
-- flat on the left one); and the percentile spectrum of the chain and of
-- each request tag on HdrHistogram's axis (1/(1 - p), log scale), where a
-- threshold `chain:p99<150ms` is a line at 150 ms up to the 99th
-- percentile: the curve must stay under it there. The run's last second is
-- usually partial (a run of 5.08 s has 0.08 s in its sixth): its counts
-- would read as a collapse, so it is shaded and its rates are not drawn.
-- Legends sit above the panels, off the data.
--   local plot_load = require "plot_load"
--   if plot_load.is_load_run(data) then
--     local script, files = plot_load.script(data, "out.png")  -- raises one line on bad data
--   end
local threshold = require "load.threshold"
local partial_second = require("load.report").partial_second
local M = {}

-- Is this decoded JSON a load run (rather than bench.lua's figures)?
function M.is_load_run(data)
  return type(data) == "table" and type(data.chain) == "table" and type(data.series) == "table"
end

-- No green nor red among the curves: those are a threshold's ok and FAIL.
local COLORS = { "#7b2fbe", "#0072b2", "#e69f00", "#cc79a7", "#8c564b", "#56595c" }
local OK_COLOR, FAIL_COLOR, ERROR_COLOR = "#1a7f37", "#cf222e", "#d1242f"
local DASHES = { "(10,6)", "(4,4)", "(14,4,3,4)", "(2,3)" }

local function num(x) return type(x) == "number" and x == x and x or nil end
local function ms(x) return num(x) and string.format("%.3f", x * 1e3) or "-" end
local function quote(s) return "'" .. tostring(s):gsub("'", "''") .. "'" end

local function write(path, lines)
  local f = assert(io.open(path, "w"))
  f:write(table.concat(lines, "\n"), "\n")
  f:close()
end

-- The seconds of the run, each {mid =, p50, p90, p99 (s), iterations,
-- requests, errors, partial}; a second that starts after the run ended is
-- left out, the one the run ended in is partial.
local function seconds(data)
  local duration = num(data.duration)
  local out = {}
  for i, s in ipairs(data.series) do
    if type(s) ~= "table" or not math.tointeger(s.t) then
      error(string.format("series[%d]: expected {t = SECOND, ...}", i), 0)
    end
    local from, to = s.t - 1, s.t
    if duration and from >= duration then break end
    local partial = partial_second(s.t, duration)
    if partial then to = duration end
    out[#out + 1] = { mid = (from + to) / 2, p50 = num(s.p50), p90 = num(s.p90), p99 = num(s.p99),
      iterations = num(s.iterations) or 0, requests = num(s.requests) or 0,
      errors = num(s.errors) or 0, partial = partial, from = from, to = to }
  end
  return out
end

-- The rate the open model scheduled, as points {t, rate}: the constant
-- --rate, or --stages ramping from --rate (or 0) stage by stage.
local function scheduled(data)
  local o = type(data.options) == "table" and data.options or {}
  if data.model ~= "open" then return nil end
  local rate = num(o.rate)
  if type(o.stages) ~= "table" then
    return rate and num(o.duration) and { { 0, rate }, { o.duration, rate } } or nil
  end
  local points, t = { { 0, rate or 0 } }, 0
  for _, st in ipairs(o.stages) do
    if not (type(st) == "table" and num(st.duration) and num(st.target)) then return nil end
    t = t + st.duration
    points[#points + 1] = { t, st.target }
  end
  return points
end

-- A histogram's spectrum: 1/(1 - p) and the value (ms) at the minimum,
-- then at levels ten to a decade from p50 to the last value.
local function spectrum_lines(name, encoded)
  if type(encoded) ~= "string" then error(name .. ": no histogram", 0) end
  local ok, h = pcall(metrics.decode, encoded)
  if not ok then error(name .. ": " .. tostring(h), 0) end
  local n = h:count()
  local out = {}
  if n == 0 then return out, 0, 0 end
  out[1] = string.format("1 %.6f", h:min() * 1e3)
  local j = 10 * math.log(2, 10) -- p50
  while true do
    local tail = 10 ^ (-j / 10)
    if tail < 1 / n then break end
    out[#out + 1] = string.format("%.6g %.6f", 1 / tail, h:percentile(100 * (1 - tail)) * 1e3)
    j = j + 1
  end
  out[#out + 1] = string.format("%.6g %.6f", n, h:max() * 1e3)
  return out, n, h:max()
end

-- The metrics of the spectrum: the chain, then the 5 busiest tags.
local function metrics_to_draw(data)
  local list = { { name = "chain", histogram = data.chain.histogram } }
  local tags = {}
  for tag, q in pairs(type(data.requests) == "table" and data.requests or {}) do
    if type(q) == "table" then tags[#tags + 1] = { name = tag, histogram = q.histogram, count = num(q.count) or 0 } end
  end
  table.sort(tags, function(a, b) return a.count > b.count or (a.count == b.count and a.name < b.name) end)
  for i = 1, math.min(#tags, 5) do list[#list + 1] = tags[i] end
  return list
end

-- The latency thresholds of the run: {metric, limit (s), x (1/(1-p), nil
-- for the whole axis), label, color}.
local function time_thresholds(data)
  local out = {}
  for _, r in ipairs(type(data.thresholds) == "table" and data.thresholds or {}) do
    local t = type(r) == "table" and threshold.parse(r.expression)
    if t and t.metric and t.stat ~= "count" and t.stat ~= "rate" then
      local p = threshold.percentile_of(t.stat)
      local x = p and 1 / (1 - p / 100) or (t.stat == "min" and 1) or nil
      local result = num(r.value) and string.format("%.2fms", r.value * 1e3) or "no value"
      out[#out + 1] = { metric = t.metric, limit = t.value, x = x,
        label = string.format("%s: %s (%s)", r.expression, r.ok and "ok" or "FAIL", result),
        color = r.ok and OK_COLOR or FAIL_COLOR }
    end
  end
  table.sort(out, function(a, b) return a.limit < b.limit end)
  -- each its own dash pattern, the same in every panel: two of one colour tell apart
  for i, t in ipairs(out) do t.dash = DASHES[(i - 1) % #DASHES + 1] end
  return out
end

-- Thresholds drawn in a panel: a dashed line at each limit (ms), across
-- the panel or, on the percentile axis (spectrum), up to its percentile
-- with a dot there. Their labels are key entries, outside the data.
-- Returns the commands and the key entries (plot items).
local function threshold_commands(list, x_from, x_to, spectrum)
  local cmds, keys = {}, {}
  for _, t in ipairs(list) do
    local y = t.limit * 1e3
    local x = spectrum and math.min(t.x or x_to, x_to) or x_to
    local dot = spectrum and t.x
    local style = string.format("dt %s lw 2 lc rgb '%s'", t.dash, t.color)
    cmds[#cmds + 1] = string.format("set arrow from first %g, first %g to first %g, first %g nohead %s front",
      x_from, y, x, y, style)
    if dot then
      cmds[#cmds + 1] = string.format("set label '' at first %g, first %g point pt 7 ps 1.3 lc rgb '%s' front",
        x, y, t.color)
    end
    keys[#keys + 1] = string.format("NaN with %s %s title %s", dot and "linespoints pt 7 ps 1.3" or "lines",
      style, quote(t.label))
  end
  return cmds, keys
end

-- The plot command of a panel, after a top margin that holds its key: a
-- title line and the entries (all but `untitled` of the plots) in 2 columns.
local function plot_command(plots, untitled)
  local entries = #plots - (untitled or 0)
  return string.format("set tmargin %g\nplot %s", 2.5 + math.ceil(entries / 2), table.concat(plots, ", "))
end

local function reset_decorations() return "unset arrow; unset label; unset object" end

local function title_of(data)
  local o = type(data.options) == "table" and data.options or {}
  local what
  if data.model == "open" then
    local total = 0
    for _, st in ipairs(type(o.stages) == "table" and o.stages or {}) do total = total + (num(st.duration) or 0) end
    what = type(o.stages) == "table" and string.format("open model, %d stages over %gs", #o.stages, total)
      or string.format("open model, %g/s for %gs", num(o.rate) or 0, num(o.duration) or 0)
  else
    what = string.format("closed model, %d VUs", math.tointeger(o.vus) or 0)
      .. (num(o.duration) and string.format(" for %gs", o.duration) or "")
      .. (math.tointeger(o.iterations) and string.format(", %d iterations", o.iterations) or "")
  end
  local shards = type(data.shards) == "table" and #data.shards > 1
    and string.format(", %d shards merged", #data.shards) or ""
  local ran = string.format("%s %.2fs", data.interrupted and "interrupted after" or "ran",
    num(data.duration) or 0)
  return string.format("%s: %s, %d threads%s, %s", tostring(data.scenario or "?"), what,
    math.tointeger(data.threads) or 0, shards, ran)
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

-- Panel 1: the chain's latency per second, and its thresholds.
local function latency_panel(secs, file, thresholds, end_t, partial)
  local top = 1e-3
  for _, s in ipairs(secs) do top = math.max(top, s.p99 or 0, s.p90 or 0, s.p50 or 0) end
  local chain = {}
  for _, t in ipairs(thresholds) do
    if t.metric == "chain" then chain[#chain + 1] = t; top = math.max(top, t.limit) end
  end
  top = top * 1e3 * 1.25
  local cmds = {
    "set key title 'chain latency per second (of the iterations that started in it)'",
    "set xlabel 'seconds since start'", "set ylabel 'latency (ms)'",
    string.format("set xrange [0:%g]", end_t), string.format("set yrange [0:%g]", top),
    "unset y2tics", "unset y2label", "set ytics mirror",
  }
  if partial then cmds[#cmds + 1] = partial.shade end
  local tcmds, keys = threshold_commands(chain, 0, end_t, false)
  for _, c in ipairs(tcmds) do cmds[#cmds + 1] = c end
  local q = quote(file)
  local plots = {}
  for i, p in ipairs({ { 2, "p50", COLORS[2] }, { 3, "p90", COLORS[3] }, { 4, "p99", COLORS[1] } }) do
    plots[i] = string.format("%s using 1:%d with linespoints pt 7 ps 0.6 lw 2 lc rgb '%s' title '%s'",
      q, p[1], p[3], p[2])
  end
  for _, k in ipairs(keys) do plots[#plots + 1] = k end
  cmds[#cmds + 1] = plot_command(plots)
  return cmds
end

-- Panel 2: iterations and requests per second (counts, steps from each
-- second's start); failed iterations per second on y2, as boxes kept to
-- the lower part of the panel.
local function rate_panel(secs, file, counts, sched_file, end_t, partial)
  local top, worst = 1, 0
  for _, s in ipairs(secs) do
    if not s.partial then
      top = math.max(top, s.iterations, s.requests)
      worst = math.max(worst, s.errors)
    end
  end
  local sched = sched_file and sched_file.top or 0
  top = math.max(top, sched) * 1.2
  local y2top = math.max(worst, 1) * 2.5
  local q = quote(file)
  local cmds = {
    reset_decorations(),
    "set key title 'per second (iterations by the second they started in)'",
    "set xlabel 'seconds since start'", "set ylabel 'per second'",
    string.format("set xrange [0:%g]", end_t),
    string.format("set yrange [0:%g]", top),
    "set ytics nomirror",
    string.format("set y2range [0:%g]", y2top),
    string.format("set y2tics 0, %d tc rgb '%s'", math.max(1, math.ceil(worst / 4)), ERROR_COLOR),
    string.format("set y2label 'failed iterations per second' tc rgb '%s'", ERROR_COLOR),
  }
  if partial then cmds[#cmds + 1] = partial.shade; cmds[#cmds + 1] = partial.note end
  -- the failures' boxes drawn first, behind the lines; their key entry last
  local boxes = "with boxes fs transparent solid 0.3 noborder lc rgb '" .. ERROR_COLOR .. "'"
  local plots = {
    string.format("%s using 1:7 axes x1y2 %s notitle", q, boxes),
    string.format("%s using 1:2 with steps lw 2 lc rgb '%s' title 'iterations done/s'", quote(counts), COLORS[2]),
    string.format("%s using 1:3 with steps lw 1.5 lc rgb '%s' title 'requests/s'", quote(counts), COLORS[6]),
  }
  if sched_file then
    plots[#plots + 1] = string.format("%s using 1:2 with lines dt 2 lw 1.5 lc rgb 'black' title 'scheduled'",
      quote(sched_file.path))
  end
  plots[#plots + 1] = string.format("NaN axes x1y2 %s title 'failed iterations/s (right axis)%s'",
    boxes, worst == 0 and ": none" or "")
  cmds[#cmds + 1] = "set boxwidth 0.6 absolute"
  cmds[#cmds + 1] = plot_command(plots, 1)
  return cmds
end

-- Panel 3: the spectrum of the chain and of the tags, with every latency
-- threshold on a drawn metric.
local function spectrum_panel(curves, thresholds, widest, top)
  local drawn = {}
  for _, c in ipairs(curves) do drawn[c.name] = true end
  local mine = {}
  for _, t in ipairs(thresholds) do
    if drawn[t.metric] then mine[#mine + 1] = t; top = math.max(top, t.limit) end
  end
  top = top * 1e3 * 1.2
  local cmds = {
    reset_decorations(),
    "unset y2tics", "unset y2label", "set ytics mirror",
    "set key title 'percentile spectrum of the whole run (a threshold pNN is a line up to that percentile)'",
    "set xlabel 'percentile'", "set ylabel 'latency (ms)'",
    "set logscale x", string.format("set xrange [1:%g]", widest),
    string.format("set yrange [0:%g]", top), spectrum_tics(widest),
  }
  local tcmds, keys = threshold_commands(mine, 1, widest, true)
  for _, c in ipairs(tcmds) do cmds[#cmds + 1] = c end
  local plots = {}
  for i, c in ipairs(curves) do
    plots[#plots + 1] = string.format("%s using 1:2 with linespoints pt 7 ps 0.5 lw %g lc rgb '%s' title %s",
      quote(c.path), i == 1 and 2.5 or 1.5, COLORS[(i - 1) % #COLORS + 1], quote(c.name))
  end
  if #plots == 0 then plots[1] = "NaN title 'no latency recorded'" end
  for _, k in ipairs(keys) do plots[#plots + 1] = k end
  cmds[#cmds + 1] = plot_command(plots)
  return cmds
end

-- The gnuplot script writing data's plot to output, and the temporary
-- files it reads (the caller removes them). Raises one line on data that
-- is not a well-formed load run.
function M.script(data, output)
  local files = {}
  local function temp(lines)
    local path = os.tmpname()
    files[#files + 1] = path
    write(path, lines)
    return path
  end
  local ok, script = pcall(function()
    local secs = seconds(data)
    local end_t = num(data.duration) or (#secs > 0 and secs[#secs].to) or 1
    -- per second: the latencies (every second), the counts (full seconds
    -- only, as steps from each second's start to the next's)
    local rows, steps, full_to, last = {}, {}, 0, nil
    for _, s in ipairs(secs) do
      local r = s.partial and "-" or nil
      rows[#rows + 1] = string.format("%.3f %s %s %s %s %s %s", s.mid, ms(s.p50), ms(s.p90), ms(s.p99),
        r or s.iterations, r or s.requests, r or s.errors)
      if not s.partial then
        steps[#steps + 1] = string.format("%g %g %g", s.from, s.iterations, s.requests)
        full_to, last = s.to, s
      end
    end
    if last then steps[#steps + 1] = string.format("%g %g %g", full_to, last.iterations, last.requests) end
    if #rows == 0 then rows[1] = "0 - - - - - -" end
    if #steps == 0 then steps[1] = "0 - -" end
    local partial
    if end_t - full_to > 0.005 then
      partial = {
        shade = string.format("set object 1 rect from first %g, graph 0 to first %g, graph 1 "
          .. "fc rgb '#d8d8d8' fs solid 0.6 noborder behind", full_to, end_t),
        note = string.format("set label 99 'last %.2f s: a partial second, its rates not drawn' at %s "
          .. "tc rgb '#555555'", end_t - full_to, full_to > 0
          and string.format("first %g, graph 0.95 right offset -0.5,0", full_to) or "graph 0.5, graph 0.5 center"),
      }
    end
    local series, counts = temp(rows), temp(steps)
    local sched
    local points = scheduled(data)
    if points then
      local lines, top = {}, 0
      for _, p in ipairs(points) do
        lines[#lines + 1] = string.format("%g %g", p[1], p[2])
        top = math.max(top, p[2])
      end
      sched = { path = temp(lines), top = top }
    end
    local curves, widest, slowest = {}, 2, 1e-3
    for _, m in ipairs(metrics_to_draw(data)) do
      local lines, n, max = spectrum_lines(m.name, m.histogram)
      if n > 0 then
        curves[#curves + 1] = { name = m.name, path = temp(lines) }
        widest, slowest = math.max(widest, n), math.max(slowest, max)
      end
    end
    local thresholds = time_thresholds(data)
    local cmds = {
      -- noenhanced: an _ in a scenario or tag name is not a subscript
      'set terminal pngcairo noenhanced size 1000,1250 font "sans,10"',
      "set output " .. quote(output),
      "set multiplot layout 3,1 title " .. quote(title_of(data)) .. ' font "sans,12"',
      "set datafile missing '-'",
      "set grid",
      -- the same margins in every panel: the two time axes line up
      "set lmargin 10", "set rmargin 10",
      "set key outside top center horizontal maxcols 2 noopaque nobox",
    }
    local function add(list) for _, c in ipairs(list) do cmds[#cmds + 1] = c end end
    add(latency_panel(secs, series, thresholds, end_t, partial))
    add(rate_panel(secs, series, counts, sched, end_t, partial))
    add(spectrum_panel(curves, thresholds, widest, slowest))
    cmds[#cmds + 1] = "unset multiplot"
    return table.concat(cmds, "\n") .. "\n"
  end)
  if not ok then
    for _, f in ipairs(files) do os.remove(f) end
    error(script, 0)
  end
  return script, files
end

return M
