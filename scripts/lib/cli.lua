-- The command line of the bundled scripts: options parsed by lua-argparse
-- (Debian lua-argparse), and the user's mistakes reported as one line.
-- A traceback means a bug in a script; a wrong option, a missing file or an
-- unreachable server is one line naming the script, then an exit status:
-- 2 for usage errors, 1 for the rest.
--
--   local cli = require "cli"
--   local p = cli.parser("plot.lua", "Draws bench.lua's figures.")  -- argparse
--   p:option("--names", "Lookups.", "10"):convert(cli.integer("--names", 1))
--   local args = cli.parse(p, arg)   -- bad usage: `plot.lua: MESSAGE (see --help)`, exit 2
--   cli.fail("MESSAGE", 2)           -- `plot.lua: MESSAGE` on stderr, exit 2 (default 1)
--   local a, b = cli.call(f, x)      -- f(x)'s results; an error in f: cli.fail(error, 1)
local cli = { name = "dockscript" }

local have_argparse, argparse = pcall(require, "argparse")

function cli.fail(msg, code)
  io.stdout:flush() -- what the script printed so far comes before the error
  io.stderr:write(cli.name, ": ", tostring(msg), "\n")
  os.exit(code or 1)
end

-- An argparse parser for `dockscript NAME`; NAME also prefixes cli.fail.
function cli.parser(name, description, epilog)
  cli.name = name
  if not have_argparse then
    cli.fail("needs lua-argparse: apt-get install lua-argparse (or tools/deps.sh)", 1)
  end
  local p = argparse("dockscript " .. name, description, epilog)
  return p:help_max_width(79)
end

-- The parsed arguments; a usage error is one line. argparse's "Did you mean"
-- hint is on a line of its own: it joins the first.
-- argparse reads `--names -3` as an unknown option -3: a negative number
-- after a long option is glued to it, so the value's check says what is
-- wrong ("--names: expected an integer >= 1").
function cli.glue_negatives(argv)
  local out = {}
  for i = 1, #argv do
    local prev = out[#out]
    if prev and argv[i]:match("^%-[%d.]") and prev:match("^%-%-[%w-]+$") then
      out[#out] = prev .. "=" .. argv[i]
    else
      out[#out + 1] = argv[i]
    end
  end
  return out
end

function cli.parse(parser, argv)
  local ok, result = parser:pparse(cli.glue_negatives(argv))
  if ok then return result end
  cli.fail(result:gsub("\nDid you mean", "; did you mean") .. " (see --help)", 2)
end

-- f(...)'s results. Where f fails (an HTTP error, a file that will not open)
-- the failure is a finding about the world, not a bug: one line, exit 1,
-- without the source position a Lua error may start with.
function cli.call(f, ...)
  local function pass(ok, ...)
    if not ok then cli.fail(tostring((...)):gsub("^[^%s:]+%.lua:%d+: ", ""), 1) end
    return ...
  end
  return pass(pcall(f, ...))
end

-- Whether a file can be written at path, found before a long run rather
-- than after it: true, or nil and one line (option names the flag, e.g.
-- "--json").
function cli.check_output(option, path)
  if type(path) ~= "string" or path == "" then return nil, option .. ": expected a file name" end
  local dir = path:match("^(.*)/[^/]*$") or "."
  if dir == "" then dir = "/" end
  local d, derr = io.open(dir .. "/.")
  if not d then
    return nil, string.format("%s %s: folder %s %s", option, path, dir,
      derr:find("No such file", 1, true) and "does not exist" or "cannot be opened: " .. derr)
  end
  d:close()
  local probe = string.format("%s/.dockscript-%d.tmp", dir, math.random(1 << 30))
  local f, werr = io.open(probe, "w")
  if not f then return nil, string.format("%s %s: cannot write in %s (%s)", option, path, dir, werr) end
  f:close()
  os.remove(probe)
  local existing = io.open(path)
  if existing then
    local _, rerr = existing:read(0)
    existing:close()
    if rerr then return nil, string.format("%s %s: %s", option, path, rerr) end
  end
  return true
end

-- The candidate nearest to word by edit distance (case ignored), when it
-- is near enough to be a likely typo: nil otherwise.
function cli.nearest(word, candidates)
  local function distance(a, b)
    a, b = a:lower(), b:lower()
    local prev = {}
    for j = 0, #b do prev[j] = j end
    for i = 1, #a do
      local cur = { [0] = i }
      for j = 1, #b do
        local cost = a:sub(i, i) == b:sub(j, j) and 0 or 1
        cur[j] = math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
      end
      prev = cur
    end
    return prev[#b]
  end
  local best, best_d
  for _, c in ipairs(candidates) do
    local d = distance(word, c)
    if not best_d or d < best_d or (d == best_d and c < best) then best, best_d = c, d end
  end
  if best and best_d <= math.max(2, #word // 3) then return best end
  return nil
end

-- Writes text to path through a temporary file in the same folder, so a
-- failure leaves no half-written file. true, or nil and the reason.
function cli.write_file(path, text)
  local tmp = path .. ".tmp"
  local f, err = io.open(tmp, "wb")
  if not f then return nil, err end
  local ok, werr = f:write(text)
  local closed, cerr = f:close()
  if not ok or not closed then
    os.remove(tmp)
    return nil, werr or cerr
  end
  local moved, merr = os.rename(tmp, path)
  if not moved then os.remove(tmp); return nil, merr end
  return true
end

-- Converters for argparse's :convert(): a number (or an integer) >= min.
local function number_converter(option, min, integer)
  local what = (integer and "an integer" or "a number") .. " >= " .. min
  return function(s)
    local n = tonumber(s)
    if integer then n = n and math.tointeger(n) end
    if not n or n < min then
      return nil, string.format("%s: expected %s, got '%s'", option, what, s)
    end
    return n
  end
end

function cli.number(option, min) return number_converter(option, min or 0, false) end
function cli.integer(option, min) return number_converter(option, min or 0, true) end

return cli
