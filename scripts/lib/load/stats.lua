-- The statistics the load run's verdicts rest on: normal quantiles and
-- tails, the exact binomial tail, Wilson's interval of a proportion.
--   local stats = require "load.stats"
--   stats.probit(0.975)                 --> 1.959963985
--   stats.binomial_tail(5, 50, 0.02)    --> P(X >= 5) for X ~ Bin(50, 0.02)
--   stats.wilson(98, 100)               --> lo, hi (95%)
local M = {}

-- The standard normal quantile (Acklam's rational approximation, relative
-- error below 1.2e-9), for 0 < q < 1.
local A = { -3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
  1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00 }
local B = { -5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
  6.680131188771972e+01, -1.328068155288572e+01 }
local C = { -7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
  -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00 }
local D = { 7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
  3.754408661907416e+00 }

local function tail_quantile(q) -- q < 0.02425
  local r = math.sqrt(-2 * math.log(q))
  return (((((C[1] * r + C[2]) * r + C[3]) * r + C[4]) * r + C[5]) * r + C[6])
    / ((((D[1] * r + D[2]) * r + D[3]) * r + D[4]) * r + 1)
end

function M.probit(q)
  if q < 0.02425 then return tail_quantile(q) end
  if q > 1 - 0.02425 then return -tail_quantile(1 - q) end
  local s = q - 0.5
  local r = s * s
  return (((((A[1] * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * r + A[6]) * s
    / (((((B[1] * r + B[2]) * r + B[3]) * r + B[4]) * r + B[5]) * r + 1)
end

-- The upper tail P(Z > z), for p-values (Abramowitz and Stegun 7.1.26 on
-- erfc, absolute error below 1.5e-7: enough to print).
function M.upper_tail(z)
  local x = math.abs(z) / math.sqrt(2)
  local t = 1 / (1 + 0.3275911 * x)
  local erfc = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741
    + t * (-1.453152027 + t * 1.061405429)))) * math.exp(-x * x)
  return z >= 0 and erfc / 2 or 1 - erfc / 2
end

-- ln(n!): exact below 20, Stirling's series above (error below 1e-12).
local LOG_FACT = { [0] = 0 }
for n = 1, 19 do LOG_FACT[n] = LOG_FACT[n - 1] + math.log(n) end
local function log_fact(n)
  if n < 20 then return LOG_FACT[n] end
  return n * math.log(n) - n + 0.5 * math.log(2 * math.pi * n)
    + 1 / (12 * n) - 1 / (360 * n ^ 3) + 1 / (1260 * n ^ 5)
end

local function log_pmf(j, n, lp, lq)
  return log_fact(n) - log_fact(j) - log_fact(n - j) + j * lp + (n - j) * lq
end

-- Terms from j in steps of dir (+1 or -1) until they no longer add to the
-- sum; past the mode they shrink at least geometrically, so few are summed.
local function sum_from(j, stop, dir, n, lp, lq)
  local sum = 0
  while (stop - j) * dir >= 0 do
    local term = math.exp(log_pmf(j, n, lp, lq))
    sum = sum + term
    if term < sum * 1e-17 then break end
    j = j + dir
  end
  return sum
end

-- P(X >= k) for X ~ Binomial(n, p), exact (to 1e-12 relative): the chance of
-- k or more events where n p are expected. Sums the shorter side's terms.
function M.binomial_tail(k, n, p)
  if k <= 0 then return 1 end
  if k > n or p <= 0 then return 0 end
  if p >= 1 then return 1 end
  local lp, lq = math.log(p), math.log(1 - p)
  if k > n * p then return math.min(1, sum_from(k, n, 1, n, lp, lq)) end
  return math.max(0, 1 - sum_from(k - 1, 0, -1, n, lp, lq))
end

-- Wilson's score interval of a proportion (passes of n) at a level (0.95):
-- lo, hi. Unlike the plain p -+ z sqrt(p(1-p)/n), it stays inside [0, 1]
-- and is not empty at 0 or n passes. nil, nil when n is 0.
function M.wilson(passes, n, level)
  if n <= 0 then return nil, nil end
  local z = M.probit(1 - (1 - (level or 0.95)) / 2)
  local p, z2 = passes / n, z * z
  local centre = (p + z2 / (2 * n)) / (1 + z2 / n)
  local half = z / (1 + z2 / n) * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
  return math.max(0, centre - half), math.min(1, centre + half)
end

return M
