-- JUnit XML of a run's verdicts, the format CI systems show as tests
-- (GitLab's test reports, Jenkins' junit step, GitHub's test reporters):
-- one testsuite "thresholds" with a testcase per threshold, one
-- "checks" with a testcase per check name; a failed threshold, or a
-- check with any fails, is a <failure> saying why.
--   require("load.junit").text(report) -> string
local M = {}

local function esc(s)
  return (tostring(s):gsub("[&<>\"']", { ["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;",
    ['"'] = "&quot;", ["'"] = "&apos;" }):gsub("[%z\1-\8\11\12\14-\31]", "?"))
end

local function suite(name, cases, time)
  local failures = 0
  for _, c in ipairs(cases) do if c.failure then failures = failures + 1 end end
  local out = { string.format('  <testsuite name="%s" tests="%d" failures="%d" errors="0" '
    .. 'skipped="0" time="%.3f">', esc(name), #cases, failures, time) }
  for _, c in ipairs(cases) do
    local open = string.format('    <testcase classname="%s" name="%s" time="0"', esc(name), esc(c.name))
    if c.failure then
      out[#out + 1] = open .. ">"
      out[#out + 1] = string.format('      <failure message="%s">%s</failure>', esc(c.failure),
        esc(c.detail or c.failure))
      out[#out + 1] = "    </testcase>"
    else
      out[#out + 1] = open .. "/>"
    end
  end
  out[#out + 1] = "  </testsuite>"
  return table.concat(out, "\n")
end

local function threshold_cases(report)
  local shown = require("load.summary").threshold_value
  local cases = {}
  for _, t in ipairs(report.thresholds or {}) do
    local value = shown(t)
    cases[#cases + 1] = { name = t.expression,
      failure = not t.ok and string.format("%s: %s", t.expression, value) or nil }
  end
  return cases
end

local function check_cases(report)
  local checks = require "load.checks"
  local cases = {}
  for _, name in ipairs(checks.names(report.checks or {})) do
    local c = report.checks[name]
    cases[#cases + 1] = { name = name, failure = c.fails > 0 and string.format(
      "%d of %d failed (pass rate %.2f%%)", c.fails, c.passes + c.fails, 100 * (c.rate or 0)) or nil }
  end
  return cases
end

function M.text(report)
  local time = tonumber(report.duration) or 0
  local suites = {
    suite("thresholds", threshold_cases(report), time),
    suite("checks", check_cases(report), time),
  }
  return '<?xml version="1.0" encoding="UTF-8"?>\n'
    .. string.format('<testsuites name="%s">\n', esc("dockscript load " .. tostring(report.scenario)))
    .. table.concat(suites, "\n") .. "\n</testsuites>\n"
end

return M
