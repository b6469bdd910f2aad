-- metrics.histogram's encoding against HdrHistogram itself: the Java
-- reference implementation (Debian libhdrhistogram-java, 2.1.11) decodes
-- what dockscript encodes and must read the same counts, min, max, mean,
-- stdev, percentiles and percentile spectrum; dockscript decodes what Java
-- encodes back; and HistogramLogProcessor, HdrHistogram's log tool, reads a
-- log of our histograms and prints the spectrum of their merge as ours.
--   dockscript test_hist_compat.lua HistCompat.java
-- Without java or the jar it names the package to install and is skipped
-- (77), except in CI (CI set, or DS_REQUIRE_TOOLS=1 from tools/check.sh):
-- there a missing tool fails.
local T = require "testlib"
local compat_java = assert(arg[1], "usage: test_hist_compat.lua HistCompat.java")
local JAR = "/usr/share/java/hdrhistogram.jar"
local HIGHEST = 3600000000

local function sh_ok(cmd) return os.execute(cmd .. " >/dev/null 2>&1") == true end
local function set(name)
  local v = os.getenv(name) or ""
  return v ~= "" and v ~= "0" and v ~= "false"
end
local missing = not sh_ok("command -v java") and "java (apt-get install openjdk-17-jre-headless)"
  or not io.open(JAR) and JAR .. " (apt-get install libhdrhistogram-java)"
if missing then
  print("hist_compat: " .. missing .. " not found; tools/deps.sh --test installs it")
  if set("DS_REQUIRE_TOOLS") or set("CI") then
    print("hist_compat: FAIL: in CI every test runs, none is skipped")
    os.exit(1)
  end
  print("hist_compat: skipped")
  os.exit(77)
end

local function us(s) return math.floor(s * 1e6 + 0.5) end

-- Deterministic pseudo-random numbers in [0, 1): a 31-bit LCG.
local seed = 12345
local function rand()
  seed = (seed * 1103515245 + 12345) % 2147483648
  return seed / 2147483648
end

local function hist(digits, fill)
  local h = metrics.histogram(digits)
  fill(h)
  return h
end

local sets = {
  {"uniform", hist(3, function(h) for i = 1, 100000 do h:record(i / 1e6) end end)},
  {"bimodal", hist(3, function(h)
    for i = 1, 9900 do h:record((2000 + i % 100) / 1e6) end
    for i = 1, 100 do h:record(1.5 + i / 1000) end
  end)},
  {"single", hist(3, function(h) h:record(42e-6) end)},
  {"empty", hist(3, function() end)},
  {"lograndom", hist(3, function(h) for _ = 1, 20000 do h:record(1e-6 * 1e8 ^ rand()) end end)},
  {"clamped", hist(3, function(h) h:record(1); h:record(7200); h:record(18000, 3) end)},
  {"zeros", hist(3, function(h) h:record(0, 5); h:record(1e-6); h:record(4e-7) end)},
  {"counts", hist(3, function(h) h:record(0.25, 1 << 40); h:record(0.5, 7) end)},
  {"digits2", hist(2, function(h) for _ = 1, 20000 do h:record(1e-6 * 1e8 ^ rand()) end end)},
  {"digits1", hist(1, function(h) for i = 1, 3000 do h:record(i / 1e5) end end)},
  {"digits5", hist(5, function(h) for i = 1, 3000 do h:record(i * 997 / 1e6) end end)},
}

local dir = os.tmpname()
os.remove(dir)
assert(os.execute("mkdir -p " .. dir))
local input = assert(io.open(dir .. "/in.txt", "w"))
for _, s in ipairs(sets) do input:write(s[1], " ", s[2]:encode(), "\n") end
input:close()

local function run(cmd)
  local p = assert(io.popen("timeout 120 " .. cmd .. " 2>&1"))
  local out = p:read("a")
  local ok = p:close()
  assert(ok, "failed: " .. cmd .. "\n" .. out)
  return out
end

-- Java's report, by histogram name: {count =, ..., p = {}, rows = {}, enc =}.
local java = {}
do
  local cur
  local out = run(string.format("java -cp %s %q %q", JAR, compat_java, dir .. "/in.txt"))
  for line in out:gmatch("[^\n]+") do
    local key, rest = line:match("^(%S+) (.*)$")
    if key == "==" then
      cur = {p = {}, rows = {}}
      java[rest] = cur
    elseif key == "p" then
      local p, v = rest:match("^(%S+) (%S+)$")
      cur.p[#cur.p + 1] = {tonumber(p), tonumber(v)}
    elseif key == "row" then
      local v, p, n = rest:match("^(%S+) (%S+) (%S+)$")
      cur.rows[#cur.rows + 1] = {tonumber(v), tonumber(p), tonumber(n)}
    elseif key == "enc" then
      cur.enc = rest
    elseif cur and key then
      cur[key] = tonumber(rest)
    end
  end
end

-- Java does not cap the highest equivalent value of a clamped value at 1 h;
-- dockscript does (documented): compare capped.
local function cap(v) return math.min(v, HIGHEST) end

local function near(a, b, what)
  T.ok(math.abs(a - b) <= 1e-9 * math.max(1, math.abs(b)),
       string.format("%s: dockscript %.17g, Java %.17g", what, a, b))
end

for _, s in ipairs(sets) do
  local name, h = s[1], s[2]
  T.test("Java reads " .. name .. " as dockscript does", function()
    local j = java[name]
    T.ok(j, "Java reported on " .. name)
    T.eq(h:count(), j.count, "count")
    T.eq(h:sigfigs(), j.sigfigs, "significant digits")
    T.eq(us(h:min()), j.min, "min")
    T.eq(us(h:max()), cap(j.max), "max")
    near(h:mean() * 1e6, j.mean, "mean")
    near(h:stdev() * 1e6, j.stdev, "stdev")
    for _, pv in ipairs(j.p) do
      T.eq(us(h:percentile(pv[1])), cap(pv[2]), "p" .. pv[1])
    end
    local rows = h:spectrum(5)
    T.eq(#rows, #j.rows, "spectrum rows")
    for i, r in ipairs(j.rows) do
      T.eq(us(rows[i].value), cap(r[1]), "row " .. i .. " value")
      near(rows[i].percentile, r[2], "row " .. i .. " percentile")
      T.eq(rows[i].count, r[3], "row " .. i .. " count")
    end
  end)
  T.test("dockscript reads Java's encoding of " .. name, function()
    local back = metrics.decode(java[name].enc)
    T.eq(back:encode(), h:encode(), "re-encoded")
  end)
end

T.test("HistogramLogProcessor reads a log of our histograms", function()
  -- An hlog (HdrHistogram's log format) of the 3-digit sets, one a second.
  local merged = metrics.histogram(3)
  local log = assert(io.open(dir .. "/run.hlog", "w"))
  log:write("#[Histogram log format version 1.3]\n",
    '"StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"\n')
  for i, s in ipairs(sets) do
    if s[2]:sigfigs() == 3 then
      merged:merge(s[2])
      log:write(string.format("%d.000,1.000,%.3f,%s\n", i, s[2]:max() * 1e6, s[2]:encode()))
    end
  end
  log:close()
  local out = run(string.format("java -cp %s org.HdrHistogram.HistogramLogProcessor -csv "
    .. "-outputValueUnitRatio 1 -i %q", JAR, dir .. "/run.hlog"))
  local rows = merged:spectrum(5)
  local n = 0
  for v, p, c in out:gmatch("\n([%d.]+),([%d.]+),(%d+),") do
    n = n + 1
    T.ok(rows[n], "a row " .. n .. " in dockscript's spectrum")
    T.eq(us(rows[n].value), cap(math.floor(tonumber(v) + 0.5)), "row " .. n .. " value")
    T.ok(math.abs(rows[n].percentile / 100 - tonumber(p)) < 1e-12, "row " .. n .. " percentile")
    T.eq(rows[n].count, tonumber(c), "row " .. n .. " count")
  end
  T.eq(n, #rows, "rows printed by HistogramLogProcessor")
end)

os.execute("rm -rf " .. dir)
T.done()
