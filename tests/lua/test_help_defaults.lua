-- Every default `load.lua --help` prints is the value a run uses: the help
-- text is parsed as a user reads it, and runs made without the option
-- record the value in their JSON (`options`, or `threads` and `shard`).
-- A flag whose help shows a default this file cannot check fails.
--   dockscript tests/lua/test_help_defaults.lua DOCKSCRIPT
local T = require "testlib"

local ds = assert(arg[1], "usage: test_help_defaults.lua DOCKSCRIPT")
local dir = os.tmpname()
os.remove(dir)
assert(os.execute("mkdir " .. dir))
local scenario = dir .. "/plain.lua"
local f = assert(io.open(scenario, "w"))
f:write("return {iteration = function() end}\n")
f:close()

local function sh(cmd)
  local p = assert(io.popen("timeout 60 " .. cmd .. " 2>&1"))
  local out = p:read("a")
  local ok, _, code = p:close()
  return out, ok and 0 or code
end

-- {["--flag"] = its help text on one line}
local function help_texts()
  local out, code = sh(ds .. " load.lua --help")
  assert(code == 0, "load.lua --help: exit " .. tostring(code) .. "\n" .. out)
  local texts, cur = {}, nil
  for line in out:gmatch("[^\n]*") do
    local flag, rest = line:match("^   (%-%-[%w-]+)(.*)$")
    if flag then
      cur = flag
      texts[cur] = rest
    elseif cur and line:match("^%s%s%s%s+%S") then
      texts[cur] = texts[cur] .. " " .. line:match("^%s*(.-)$")
    else
      cur = nil
    end
  end
  return texts
end

-- The decoded JSON of `load.lua plain.lua ARGS --json FILE`, run under
-- `ulimit -n LIMIT` when given.
local runs = 0
local function run(args, limit)
  runs = runs + 1
  local path = string.format("%s/run%d.json", dir, runs)
  local cmd = string.format("%s load.lua %s %s --quiet --json %s", ds, scenario, args, path)
  if limit then cmd = string.format("sh -c 'ulimit -n %s && exec %s'", limit, cmd) end
  local out, code = sh(cmd)
  assert(code == 0, cmd .. ": exit " .. tostring(code) .. "\n" .. out)
  return json.decode(assert(io.open(path)):read("a"))
end

local function number(text, what)
  local n = tonumber((text:match("^([%d.]+)")))
  assert(n, what .. ": no number in '" .. text .. "'")
  return n
end

local plain = run("")
local stages = run("--stages 0.2s:5,0.3s:1")

-- How each flag's printed default is checked against runs without it.
local CHECKS = {
  ["--vus"] = function(text)
    T.eq(text, number(text, "--vus") .. " per shard", "--vus")
    T.eq(plain.options.vus, number(text, "--vus"), "a run without --vus")
    T.eq(run("--shard 2/3").options.vus, 3 * number(text, "--vus"), "a shard of 3 without --vus")
  end,
  ["--iterations"] = function(text)
    T.eq(text, "one per VU, without --duration", "--iterations")
    T.eq(plain.options.iterations, plain.options.vus, "a run without --iterations")
    T.eq(run("--vus 3").options.iterations, 3, "--vus 3 without --iterations")
  end,
  ["--duration"] = function(text)
    T.eq(text, "with --stages, their total", "--duration")
    T.eq(stages.options.duration, 0.5, "--stages 0.2s:5,0.3s:1 without --duration")
  end,
  ["--rate"] = function(text)
    T.eq(text, number(text, "--rate") .. " with --stages", "--rate")
    T.eq(stages.options.rate, number(text, "--rate"), "--stages without --rate")
  end,
  ["--max-vus"] = function(text)
    local cap = number(text, "--max-vus")
    T.eq(text, string.format("%d per shard, fewer if the open-file limit would not hold them", cap),
      "--max-vus")
    -- the hard limit, when it holds cap iterations and the threads' own
    local hard = tonumber((sh("sh -c 'ulimit -Hn'"):match("%d+")))
    if hard and hard >= cap + 1000 then
      T.eq(run("--rate 5 --duration 0.2", hard).options.max_vus, cap, "an open run")
      T.eq(run("--rate 5 --duration 0.2 --shard 1/2", hard).options.max_vus, 2 * cap, "a shard of 2")
    end
    local low = run("--rate 5 --duration 0.2 --threads 1", 300).options.max_vus
    T.ok(low >= 1 and low < cap, "fewer under ulimit -n 300: " .. low)
  end,
  ["--threads"] = function(text)
    local cores = number(text:match("may use, (.*)$") or "", "--threads")
    T.eq(text, string.format("the cores this process may use, %d here; at most one per VU", cores),
      "--threads")
    T.eq(cores, sys.cores(), "the cores")
    T.eq(run("--vus 64 --iterations 64").threads, math.min(cores, 64), "64 VUs without --threads")
    T.eq(plain.threads, 1, "one VU: one thread")
  end,
  ["--shard"] = function(text)
    local i, n = text:match("^(%d+)/(%d+)$")
    T.ok(i, "--shard: I/N: " .. text)
    T.ok(T.deepeq(plain.shard, { tonumber(i), tonumber(n) }), "a run without --shard")
  end,
  ["--degraded-factor"] = function(text)
    T.eq(plain.options.degraded_factor, number(text, "--degraded-factor"),
      "a run without --degraded-factor")
  end,
}

local texts = help_texts()
T.test("--help has option lines to check", function()
  T.ok(texts["--vus"] and texts["--threshold"], "--vus and --threshold in --help")
end)
local flags = {}
for flag in pairs(texts) do flags[#flags + 1] = flag end
table.sort(flags)
for _, flag in ipairs(flags) do
  local default = texts[flag]:match("%(default:? ([^()]*)%)")
  if default then
    T.test(flag .. ": --help's default (" .. default .. ") is the run's", function()
      local check = CHECKS[flag]
      T.ok(check, "no check here for the default of " .. flag)
      check(default)
    end)
  end
end
T.test("every default this file checks is printed", function()
  for flag in pairs(CHECKS) do
    T.ok(texts[flag] and texts[flag]:find("(default", 1, true), flag .. " prints its default")
  end
end)

os.execute("rm -rf " .. dir)
T.done()
