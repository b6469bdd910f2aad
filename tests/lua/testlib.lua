-- A minimal test runner for dockscript's Lua tests: named cases, assertions
-- that say what they expected, and an exit status for ctest.
local T = { failed = 0, passed = 0 }

local function fmt(v)
  if type(v) == "string" then return string.format("%q", v) end
  return tostring(v)
end

function T.test(name, fn)
  local ok, err = xpcall(fn, debug.traceback)
  if ok then
    T.passed = T.passed + 1
    io.write("ok   ", name, "\n")
  else
    T.failed = T.failed + 1
    io.write("FAIL ", name, "\n  ", tostring(err):gsub("\n", "\n  "), "\n")
  end
end

function T.eq(got, want, what)
  if got ~= want then
    error(string.format("%s: expected %s, got %s", what or "value", fmt(want), fmt(got)), 2)
  end
end

function T.ok(cond, what)
  if not cond then error("expected true: " .. (what or "condition"), 2) end
end

function T.lt(a, b, what)
  if not (a < b) then
    error(string.format("%s: expected %s < %s", what or "value", fmt(a), fmt(b)), 2)
  end
end

-- fn must raise an error whose message contains every plain-text needle.
function T.raises(fn, ...)
  local ok, err = pcall(fn)
  if ok then error("expected an error, got none", 2) end
  err = tostring(err)
  for _, needle in ipairs({...}) do
    if not err:find(needle, 1, true) then
      error(string.format("error %s does not contain %s", fmt(err), fmt(needle)), 2)
    end
  end
  return err
end

function T.deepeq(a, b)
  if type(a) ~= type(b) then return false end
  if type(a) ~= "table" then return a == b end
  for k, v in pairs(a) do if not T.deepeq(v, b[k]) then return false end end
  for k in pairs(b) do if a[k] == nil then return false end end
  return true
end

function T.fixture()
  local url = os.getenv("FIXTURE_URL")
  assert(url, "FIXTURE_URL is not set: run through tests/with_fixture.sh")
  return url
end

function T.done()
  io.write(string.format("%d passed, %d failed\n", T.passed, T.failed))
  os.exit(T.failed == 0 and T.passed > 0 and 0 or 1)
end

return T
