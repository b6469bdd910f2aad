-- The metrics module: histograms in seconds, from Lua (src/lmetrics.c).
local T = require "testlib"

local function near(got, want, rel, what)
  T.ok(math.abs(got - want) <= want * rel,
       string.format("%s: %.9g not within %g of %.9g", what, got, rel, want))
end

T.test("a global and a module", function()
  T.eq(require "metrics", metrics, "require 'metrics'")
  T.eq(type(metrics.histogram), "function", "metrics.histogram")
  T.eq(type(metrics.decode), "function", "metrics.decode")
end)

T.test("statistics of 1..10000 ms, within 0.1%", function()
  local h = metrics.histogram()
  T.eq(h:sigfigs(), 3, "default digits")
  for i = 1, 10000 do h:record(i / 1000) end
  T.eq(h:count(), 10000, "count")
  near(h:min(), 0.001, 0.001, "min")
  near(h:max(), 10, 0.001, "max")
  near(h:mean(), 5.0005, 0.001, "mean")
  near(h:stdev(), 2.88661, 0.001, "stdev")
  for _, p in ipairs({1, 50, 90, 99, 99.9, 100}) do
    local exact = math.ceil(p * 100) / 1000        -- the value at rank ceil(p% of 10000)
    local got = h:percentile(p)
    T.ok(got >= exact and got - exact <= exact * 0.001, "p" .. p .. " = " .. got)
  end
  T.eq(h:percentile(0), h:min(), "p0 is the min")
end)

T.test("record with a count; 1 us resolution; 1 h range", function()
  local h = metrics.histogram()
  h:record(0.000250, 4)
  h:record(0.0000004)                                -- rounds to 0 us
  h:record(0, 0)                                     -- a count of 0 records nothing
  T.eq(h:count(), 5, "count")
  T.eq(h:min(), 0, "sub-microsecond values count as 0")
  T.eq(h:percentile(50), 0.00025, "exact below 2 ms")
  h:record(7200)                                     -- 2 h clamps to 1 h
  T.eq(h:max(), 3600, "clamped to 1 h")
  T.eq(h:count(), 6, "clamped values are counted")
  h:record(math.huge)
  T.eq(h:max(), 3600, "inf clamps too")
end)

T.test("empty histograms report 0", function()
  local h = metrics.histogram()
  T.eq(h:count(), 0, "count")
  for _, f in ipairs({"min", "max", "mean", "stdev"}) do T.eq(h[f](h), 0, f) end
  T.eq(h:percentile(99), 0, "p99")
  T.eq(#h:spectrum(), 0, "spectrum rows")
end)

T.test("merge equals recording both; encodings byte-identical", function()
  local a, b, both = metrics.histogram(), metrics.histogram(), metrics.histogram()
  for i = 1, 5000 do
    local v = (i * 7919 % 100000) / 1e5
    if i % 2 == 0 then a:record(v) else b:record(v) end
    both:record(v)
  end
  T.eq(a:merge(b), a, "merge returns the target")
  T.eq(a:count(), 5000, "merged count")
  T.eq(a:encode(), both:encode(), "merged encoding")
  T.eq(b:count(), 2500, "the source is unchanged")
end)

T.test("merging 2 digits into 3 re-records within 1%", function()
  local h2, h3 = metrics.histogram(2), metrics.histogram(3)
  for i = 1, 1000 do h2:record(i / 1000) end
  h3:merge(h2)
  T.eq(h3:count(), 1000, "count")
  near(h3:percentile(50), 0.5, 0.01, "p50")
  T.eq(h3:sigfigs(), 3, "the target keeps its digits")
end)

T.test("encode / decode round trip", function()
  local h = metrics.histogram()
  for i = 1, 2000 do h:record(1e-6 * 1.01 ^ i) end
  local s = h:encode()
  T.ok(s:match("^HISTFAAA[%w+/]+=*$"), "HdrHistogram V2 compressed base64: " .. s:sub(1, 16))
  local d = metrics.decode(s)
  T.eq(d:count(), h:count(), "count")
  T.eq(d:encode(), s, "re-encoded")
  for _, p in ipairs({0, 50, 99, 100}) do T.eq(d:percentile(p), h:percentile(p), "p" .. p) end
  T.eq(d:mean(), h:mean(), "mean")
  local e = metrics.decode(metrics.histogram(2):encode())
  T.eq(e:sigfigs(), 2, "digits survive")
  T.eq(e:count(), 0, "empty survives")
end)

T.test("spectrum: wrk2's percentile rows", function()
  local h = metrics.histogram()
  for i = 1, 1000 do h:record(i / 1000) end
  local rows = h:spectrum()
  T.eq(rows[1].percentile, 0, "first row")
  T.eq(rows[2].percentile, 10, "5 ticks per half distance")
  T.eq(rows[#rows].percentile, 100, "last row")
  T.eq(rows[#rows].count, 1000, "last count")
  T.eq(rows[#rows].value, h:max(), "last value")
  T.lt(#metrics.histogram():spectrum(), 1, "no rows when empty")
  T.lt(#rows, #h:spectrum(10), "more ticks, more rows")
end)

T.test("ci: the order statistics around a percentile, in seconds", function()
  local h = metrics.histogram()
  for i = 1, 1000 do h:record(i / 1e6) end           -- 1..1000 us: exact buckets
  local lo, hi = h:ci(50)
  T.eq(lo, 469e-6, "p50 lower: rank 500 - 1.96 * sqrt(250), rounded down")
  T.eq(hi, 531e-6, "p50 upper: rank 500 + 31, rounded up")
  lo, hi = h:ci(50, 0.99)
  T.eq(lo, 459e-6, "wider at 0.99")
  T.eq(hi, 541e-6, "wider at 0.99 (upper)")
  lo, hi = h:ci(100)
  T.eq(lo, 0.001, "p100 lower")
  T.eq(hi, h:max(), "p100 upper is the max")
  T.eq(select("#", h:ci(90)), 2, "two values")
  local e = metrics.histogram()
  lo, hi = e:ci(99)
  T.eq(lo, 0, "empty: 0")
  T.eq(hi, 0, "empty: 0 (upper)")
end)

T.test("ci holds the percentile, survives encode and merge", function()
  local a, b = metrics.histogram(), metrics.histogram()
  for i = 1, 20000 do
    local v = 0.05 * math.exp(((i * 7919) % 10007) / 10007 * 3)
    if i % 2 == 0 then a:record(v) else b:record(v) end
  end
  local both = metrics.decode(a:encode()):merge(b)
  for _, p in ipairs({0, 50, 90, 99, 99.9, 100}) do
    local lo, hi = both:ci(p)
    local v = both:percentile(p)
    T.ok(lo <= v and v <= hi, string.format("p%g %.6f in %.6f..%.6f", p, v, lo, hi))
    local alo, ahi = a:ci(p)
    if p > 0 and p < 100 then
      T.ok(hi - lo < ahi - alo, string.format("p%g: twice the values, a narrower interval", p))
    end
  end
  local d = metrics.decode(both:encode())
  T.eq(select(2, d:ci(99)), select(2, both:ci(99)), "decoded: the same interval")
end)

T.test("reset and tostring", function()
  local h = metrics.histogram()
  h:record(0.5)
  T.ok(tostring(h):match("^histogram %(1 values, p50 0%.5%d* s"), tostring(h))
  T.eq(h:reset(), h, "reset returns the histogram")
  T.eq(h:count(), 0, "reset empties")
end)

T.test("bad arguments say what is wrong", function()
  local h = metrics.histogram()
  T.raises(function() h:record(-1) end, "bad argument #1 to 'record'", "seconds must be >= 0")
  T.raises(function() h:record(0 / 0) end, "seconds must be >= 0")
  T.raises(function() h:record("fast") end, "number expected, got string")
  T.raises(function() h:record(1, -2) end, "count must be >= 0")
  T.raises(function() h:record(1, 1.5) end, "number has no integer representation")
  T.raises(function() h:percentile(101) end, "percentile must be 0..100, got 101")
  T.raises(function() h:percentile(-0.1) end, "percentile must be 0..100")
  T.raises(function() h:percentile(0 / 0) end, "percentile must be 0..100")
  T.raises(function() h:ci(101) end, "bad argument #1 to 'ci'", "percentile must be 0..100, got 101")
  T.raises(function() h:ci(0 / 0) end, "percentile must be 0..100")
  T.raises(function() h:ci() end, "number expected, got no value")
  T.raises(function() h:ci(50, 1) end, "bad argument #2 to 'ci'", "level must be between 0 and 1, got 1")
  T.raises(function() h:ci(50, 0) end, "level must be between 0 and 1")
  T.raises(function() h:ci(50, 95) end, "level must be between 0 and 1, got 95")
  T.raises(function() h:ci(50, "high") end, "number expected, got string")
  T.raises(function() h.ci({}, 50) end, "dockscript.histogram expected")
  T.raises(function() h:merge({}) end, "dockscript.histogram expected, got table")
  T.raises(function() h.count({}) end, "dockscript.histogram expected")
  T.raises(function() h:spectrum(0) end, "ticks per half distance must be 1..1000")
  T.raises(function() metrics.histogram(0) end, "significant digits must be 1..5")
  T.raises(function() metrics.histogram(6) end, "significant digits must be 1..5")
end)

T.test("metrics.decode rejects bad input with a reason", function()
  T.raises(function() metrics.decode("") end, "metrics.decode: truncated")
  T.raises(function() metrics.decode("not base64!") end, "metrics.decode: not base64")
  T.raises(function() metrics.decode("aGVsbG8gd29ybGQh") end, "not an HdrHistogram V2 encoding")
  local s = metrics.histogram():encode()
  T.raises(function() metrics.decode(s:sub(1, 20)) end, "metrics.decode: truncated")
  T.raises(function() metrics.decode(42) end, "metrics.decode")
  T.raises(function() metrics.decode() end, "string expected, got no value")
end)

T.done()
