-- require("load").data: rows for a scenario's iterations, from a CSV file
-- (RFC 4180, a header row), a JSON lines file (one object per line) or a
-- Lua list. A file is read once per process and shared read-only by every
-- worker thread (the `rows` module, src/core/rows.c).
--   local users = require("load").data("users.csv", {strategy = "queue"})
--   iteration = function(_, i) local u = users:row(i) ... end
-- A relative path is relative to the folder of the file that calls
-- load.data (the scenario's), as k6's open() is; from a chunk with no file,
-- to the current directory.
local options = require "load.options"
local rows = require "rows"

local M = {}
local fail = options.fail

local STRATEGIES = { circular = true, queue = true, shuffle = true, random = true }
-- strategies that give each row once: no iteration past the last row starts
local ONCE = { queue = true, shuffle = true }
local FORMATS = { csv = "csv", jsonl = "jsonl", ndjson = "jsonl" }

-- The files of this state's scenario whose rows run out, in the order they
-- were opened: {name =, rows =} (load.run reads them, M.limit).
local once = {}

-- The folder of the file of the first Lua function `level` calls up from
-- here (past C functions such as pcall); nil for a chunk with no file. A
-- tail call (`return load.data(...)`) leaves no trace of its caller: then
-- nil too.
local function caller_dir(level)
  local info
  repeat
    level = level + 1
    info = debug.getinfo(level, "S")
  until not info or info.what ~= "C"
  local src = info and info.source or ""
  if src:sub(1, 1) ~= "@" then return nil end
  return src:sub(2):match("^(.*)/[^/]*$") or "."
end

local function check_opts(opts)
  opts = opts == nil and {} or opts
  if type(opts) ~= "table" then
    fail("load.data: options must be a table {strategy = ..., format = ...}, got a " .. type(opts))
  end
  for k in pairs(opts) do
    if k ~= "strategy" and k ~= "format" then
      fail(string.format("load.data: unknown option '%s' (strategy, format)", tostring(k)))
    end
  end
  local s = opts.strategy or "circular"
  if not STRATEGIES[s] then
    fail(string.format("load.data: strategy '%s': expected circular, queue, shuffle or random",
      tostring(s)))
  end
  if opts.format ~= nil and not FORMATS[opts.format] then
    fail(string.format("load.data: format '%s': expected csv or jsonl", tostring(opts.format)))
  end
  return { strategy = s, format = opts.format and FORMATS[opts.format] }
end

-- The handle on source's rows; a mistake (a missing or malformed file)
-- is one line and exit 2.
function M.open(source, opts)
  local o = check_opts(opts)
  local h, err
  if type(source) == "table" then
    h, err = rows.wrap(source, o.strategy, "(table)")
    if not h then fail("load.data: " .. err) end
  elseif type(source) == "string" and source ~= "" then
    local format = o.format or FORMATS[source:match("%.(%w+)$") or ""]
    if not format then
      fail(string.format("load.data: %s: say its format: {format = \"csv\"} or "
        .. "{format = \"jsonl\"} (known by the names *.csv, *.jsonl, *.ndjson)", source))
    end
    local dir = source:sub(1, 1) ~= "/" and caller_dir(2)
    h, err = rows.open(dir and dir .. "/" .. source or source, format, o.strategy, source)
    if not h then fail("data file " .. err) end
  else
    fail("load.data: expected a file name or a list of rows, got " ..
      (source == "" and "an empty name" or "a " .. type(source)))
  end
  if ONCE[o.strategy] then
    once[#once + 1] = { name = type(source) == "string" and source or "(table)", rows = #h }
  end
  return h
end

-- Forgets the files opened so far (before a scenario is loaded).
function M.reset() once = {} end

-- The run's last iteration when a file gives each row once: its rows (the
-- fewest of such files), and the file's name; nil otherwise.
function M.limit()
  local best
  for _, f in ipairs(once) do
    if not best or f.rows < best.rows then best = f end
  end
  return best
end

return M
