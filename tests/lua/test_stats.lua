-- load.stats: the normal quantile, the exact binomial tail and Wilson's
-- interval against values computed independently (R's qnorm, pbinom,
-- binom.test's score interval formula by hand).
local T = require "testlib"
local stats = require "load.stats"

local function near(got, want, rel, what)
  T.ok(math.abs(got - want) <= rel * math.abs(want), string.format("%s: %.12g vs %.12g", what, got, want))
end

T.test("probit: the normal quantiles", function()
  T.ok(math.abs(stats.probit(0.975) - 1.959963985) < 1e-8, "0.975")
  T.ok(math.abs(stats.probit(0.5)) < 1e-12, "0.5")
  T.ok(math.abs(stats.probit(0.005) + 2.575829304) < 1e-8, "0.005")
  T.ok(math.abs(stats.probit(5e-6) + 4.417173413) < 1e-7, "5e-6")
end)

-- The tail by direct summation of exact terms (small n only).
local function direct(k, n, p)
  local sum = 0
  for j = k, n do
    local c = 1
    for x = 1, j do c = c * (n - j + x) / x end
    sum = sum + c * p ^ j * (1 - p) ^ (n - j)
  end
  return sum
end

T.test("binomial_tail: exact against direct sums", function()
  for _, case in ipairs({ { 5, 50, 0.02 }, { 1, 50, 0.02 }, { 0, 10, 0.3 }, { 3, 10, 0.3 },
      { 10, 10, 0.3 }, { 25, 40, 0.5 }, { 15, 60, 0.1 }, { 2, 60, 0.1 } }) do
    local k, n, p = case[1], case[2], case[3]
    near(stats.binomial_tail(k, n, p), direct(k, n, p), 1e-9, string.format("P(X>=%d; %d, %g)", k, n, p))
  end
  T.eq(stats.binomial_tail(51, 50, 0.5), 0, "k > n")
  T.eq(stats.binomial_tail(1, 50, 0), 0, "p = 0")
  T.eq(stats.binomial_tail(1, 50, 1), 1, "p = 1")
end)

T.test("binomial_tail: large n (R: pbinom(5199, 100000, 0.05, lower.tail = FALSE))", function()
  -- mean 5000, sd 68.9: 200 above is 2.9 sd; R gives 0.002051...
  local p = stats.binomial_tail(5200, 100000, 0.05)
  T.ok(p > 0.0018 and p < 0.0023, "tail at 2.9 sd: " .. p)
  T.ok(stats.binomial_tail(4000, 100000, 0.05) > 0.999999, "far below the mean")
end)

T.test("wilson: the score interval", function()
  local lo, hi = stats.wilson(98, 100)
  near(lo, 0.9300, 1e-3, "98/100 lo")
  near(hi, 0.9945, 1e-3, "98/100 hi")
  lo, hi = stats.wilson(0, 10)
  T.eq(lo, 0, "0/10 lo")
  near(hi, 0.2775, 1e-3, "0/10 hi")
  lo, hi = stats.wilson(10, 10)
  near(lo, 0.7225, 1e-3, "10/10 lo")
  T.eq(hi, 1, "10/10 hi")
  T.eq(stats.wilson(0, 0), nil, "no trials")
end)

T.done()
