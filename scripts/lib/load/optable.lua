-- The load run's options, each once (server/options.c's discipline): its
-- name (the load.run field and scenario option; the flag is --name with
-- "-" for "_" unless the row says `flag`), the flag's argument, help, how a value is parsed and
-- checked, its default, and where it goes. This table drives load.lua's
-- command line and --help (the defaults printed from here), load.run{},
-- a scenario's `options`, the summary and JSON `options`, and the spec the
-- C engine (runner.run) reads. Adding an option is one row here plus the
-- code that uses it.
--
-- A row: name; arg (the flag's argument; nil: a flag without one); help;
-- parse(v, get, row) -> value (raises a load failure); default: a value,
-- applied when(get) if given, or function(get, row) -> value, described by
-- default_help(row); cli = false: no flag (load.run and scenarios only);
-- scenario = false: a scenario's options may not set it; with_merge: also
-- for --merge and --compare; record: kept in the JSON's `options`; engine:
-- passed to runner.run; derived: computed, never given (value(get));
-- excludes: {{name, why}} options it cannot be used with; repeatable;
-- summary(v) -> words for the summary's first line when v is not the
-- default ("seed 7").
-- get(name) is another option's resolved value: a row may use any other.
local values = require "load.values"

local M = {}

local function flag(name) return "--" .. name:gsub("_", "-") end

local OPEN_CLOSED = "--vus and --iterations are the closed model, --rate, --stages and "
  .. "--max-vus the open one"

-- "[ADDR:]PORT", checked (load/prom.lua parses it again to listen).
local function addr(flag_name, v)
  local host, why = require("load.prom").parse_addr(v, flag_name)
  if not host then values.fail(why) end
  return tostring(v)
end

local function shards(get) return get("shard")[2] end
local function closed(get) return get("model") == "closed" end

-- A closed run has at most one thread per VU of its shard: a thread
-- without one would leave its share of the iterations undone.
local function fit_threads(t, get)
  if closed(get) then return math.min(t, get("vus") // shards(get)) end
  return t
end

M.rows = {
  { name = "model", derived = true, record = true, engine = true,
    value = function(get)
      if not (get("rate") or get("stages")) then return "closed" end
      if not get("duration") then
        values.fail("--rate needs --duration (or use --stages): how long should the run last?")
      end
      return "open"
    end },
  { name = "vus", arg = "N", record = true, engine = true, per_shard = 1,
    help = "Closed model: N virtual users, each running iterations back to back.",
    excludes = { { "rate", OPEN_CLOSED }, { "stages", OPEN_CLOSED } },
    parse = function(v, get, row) return values.count(row.flag, v, shards(get)) end,
    default = function(get, row) return closed(get) and row.per_shard * shards(get) or nil end,
    default_help = function(row) return row.per_shard .. " per shard" end },
  { name = "iterations", arg = "K", record = true, engine = true,
    help = "Closed model: K iterations shared by the VUs.",
    excludes = { { "rate", OPEN_CLOSED }, { "stages", OPEN_CLOSED },
                 { "duration", "a closed run ends after its iterations or after a duration" } },
    parse = function(v, _, row) return values.count(row.flag, v, 1) end,
    default = function(get) return closed(get) and not get("duration") and get("vus") or nil end,
    default_help = function() return "one per VU, without --duration" end },
  { name = "duration", arg = "S", record = true, engine = true,
    help = "How long to run: 10, 10s, 500ms, 2m, 1m30s. Closed model: instead of "
      .. "--iterations; open model with --rate.",
    excludes = { { "stages", "the stages set the duration" } },
    parse = function(v, _, row) return values.duration(row.flag, v) end,
    default = function(get)
      local total = nil
      for _, st in ipairs(get("stages") or {}) do total = (total or 0) + st.duration end
      return total
    end,
    default_help = function() return "with --stages, their total" end },
  { name = "rate", arg = "R", record = true,
    help = "Open model: R iterations started per second (with --duration), or the "
      .. "starting rate of --stages.",
    parse = function(v, _, row) return values.positive(row.flag, v) end,
    default = 0, when = function(get) return get("stages") ~= nil end, when_help = "with --stages" },
  { name = "stages", arg = "LIST", record = true,
    help = "Open model: rate ramps linearly to each target over each duration, "
      .. "e.g. 10s:100,30s:1000,10s:0.",
    parse = function(v) return values.stages(v) end },
  { name = "rate_points", derived = true, engine = true,
    value = function(get)
      if closed(get) then return nil end
      return values.rate_points({ rate = get("rate"), stages = get("stages"),
                                  duration = get("duration") })
    end },
  { name = "max_vus", arg = "M", record = true, engine = true, cap = 10000,
    help = "Open model: at most M iterations in flight; one due beyond that is "
      .. "dropped and counted.",
    excludes = { { "vus", OPEN_CLOSED }, { "iterations", OPEN_CLOSED } },
    parse = function(v, get, row)
      if closed(get) then
        values.fail(row.flag .. " is for the open model (--rate or --stages): " .. OPEN_CLOSED)
      end
      return values.count(row.flag, v, shards(get))
    end,
    -- each iteration in flight holds a descriptor or two: without
    -- --max-vus, as many as the open-file limit holds, up to cap per shard
    default = function(get, row)
      if closed(get) then return nil end
      local avail, _, per_conn = values.descriptors()
      local fit = (avail - get("threads") * values.FDS_PER_THREAD - values.FDS_SPARE) // per_conn
      return math.max(1, math.min(fit, row.cap)) * shards(get)
    end,
    default_help = function(row)
      return row.cap .. " per shard, fewer if the open-file limit would not hold them"
    end },
  { name = "threads", arg = "T", engine = true,
    help = "Worker threads, each with its own Lua state.",
    parse = function(v, get, row) return fit_threads(values.count(row.flag, v, 1), get) end,
    default = function(get) return fit_threads(sys.cores(), get) end,
    default_help = function()
      return string.format("the cores this process may use, %d here; at most one per VU",
        sys.cores())
    end },
  { name = "shard", arg = "I/N", engine = true, scenario = false, default = { 1, 1 },
    format = function(v) return v[1] .. "/" .. v[2] end,
    help = "Run the I-th of N interleaved shares of the run (iterations i with "
      .. "(i - 1) % N == I - 1, rate / N, VUs / N); auto: I and N from a Kubernetes Indexed "
      .. "Job or a Slurm job array.",
    parse = function(v) return { values.shard(v) } end },
  { name = "start_at", arg = "TIME", record = true, engine = true,
    help = "Start the run (after setup) at TIME, epoch seconds or RFC 3339 like "
      .. "2026-12-06T08:00:00Z: shards on many machines start together.",
    parse = function(v) return require("load.start_at").parse(v, clock.wall()) end },
  { name = "seed", arg = "S", record = true, engine = true,
    summary = function(v) return "seed " .. v end,
    help = "Replay: each iteration's math.random is seeded from (S, its number), so "
      .. "the same requests go out in any number of threads or shards.",
    parse = function(v, _, row) return values.integer(row.flag, v) end },
  { name = "degraded_factor", arg = "F", record = true, default = 2,
    summary = function(v) return string.format("degraded factor %g", v) end,
    help = "A second flagged as slow (significantly more iterations slower than the "
      .. "typical p90) is degraded only when its p99 also exceeds F times the typical "
      .. "second's.",
    parse = function(v, _, row)
      return values.number(row.flag, v, "a number > 1", function(x) return x > 1 end)
    end },
  { name = "json", arg = "FILE", with_merge = true,
    help = "Write every figure, with mergeable histograms, to FILE." },
  { name = "html", arg = "FILE", with_merge = true, scenario = false,
    help = "Write the report as one HTML page (works offline) to FILE." },
  { name = "thresholds", flag = "--threshold", arg = "E", with_merge = true, repeatable = true,
    help = "Fail (exit 3) unless E holds, e.g. chain:p99<1.2s. Repeatable.",
    parse = function(v) return type(v) == "string" and { v } or v end },
  { name = "quiet", with_merge = true, default = false,
    help = "No progress line (shown once a second when stderr is a terminal).",
    parse = function(v) return v and true or false end },
  { name = "baseline", arg = "BASE.json", scenario = false,
    help = "Compare the run with BASE.json (an earlier --json): p50/p90/p99 then and now, "
      .. "what changed significantly; relative thresholds (chain:p99<+10%)." },
  { name = "http_version", arg = "V", record = true, engine = true,
    help = "Every request's HTTP version unless its own options say: 1.1, 2 (HTTP/2 by ALPN "
      .. "over TLS, multiplexed) or h2c (HTTP/2 without TLS, by prior knowledge).",
    parse = function(v, _, row)
      if v ~= "1.1" and v ~= "2" and v ~= "h2c" then
        values.fail(string.format("%s: expected 1.1, 2 or h2c, got '%s'", row.flag, tostring(v)))
      end
      return v
    end },
  { name = "insecure", record = true, engine = true, default = false,
    help = "Do not verify the servers' TLS certificates (a test server's own, say).",
    parse = function(v) return v and true or false end },
  { name = "cafile", arg = "FILE", record = true, engine = true,
    help = "Trust the CA certificates in FILE (PEM) instead of the system's.",
    parse = function(v, _, row) return values.readable(row.flag, v) end },
  { name = "capath", arg = "DIR", record = true, engine = true,
    help = "Trust the CA certificates in DIR (c_rehash'ed) instead of the system's.",
    parse = function(v, _, row) return values.readable(row.flag, v) end },
  { name = "cert", arg = "FILE", record = true, engine = true,
    help = "Present the client certificate in FILE (PEM): mutual TLS.",
    parse = function(v, _, row) return values.readable(row.flag, v) end },
  { name = "key", arg = "FILE", record = true, engine = true,
    help = "The client certificate's private key, when not in --cert's file.",
    parse = function(v, get, row)
      if not get("cert") then values.fail(row.flag .. " needs --cert (the client certificate)") end
      return values.readable(row.flag, v)
    end },
  { name = "junit", arg = "FILE", with_merge = true, scenario = false,
    help = "Write the thresholds and checks as JUnit XML test cases to FILE (for CI "
      .. "systems' test reports)." },
  -- watching a run (load/stream.lua, load/prom.lua, load/dashboard.lua)
  { name = "out", arg = "FILE", scenario = false,
    help = "Stream the run to FILE as it goes: one JSON line a second, flushed, so that a "
      .. "run killed midway still merges (--merge FILE) into the report of what ran." },
  { name = "metrics", arg = "[ADDR:]PORT", scenario = false,
    help = "Serve GET /metrics for Prometheus while the run goes, on PORT (0: any free "
      .. "one; the address is said on stderr) of 127.0.0.1, or of ADDR if given.",
    parse = function(v, _, row) return addr(row.flag, v) end },
  { name = "dashboard", arg = "[ADDR:]PORT", scenario = false,
    help = "Serve the HTML report page while the run goes, updated each second; at the end "
      .. "it holds the final report (address as --metrics).",
    parse = function(v, _, row) return addr(row.flag, v) end },
  { name = "linger", arg = "S", scenario = false,
    help = "After the run, its summary and files, keep serving --dashboard and --metrics for "
      .. "S seconds (30, 5m; Ctrl-C ends the wait); without it the process ends with the run.",
    parse = function(v, _, row)
      local s = values.seconds(v)
      if not s or s ~= s or s < 0 or s > 86400 then
        values.fail(string.format("%s: expected seconds from 0 to 86400 (30, 30s, 5m), got '%s'",
          row.flag, tostring(v)))
      end
      return s
    end },
  { name = "keep_cookies", cli = false, engine = true, default = false,
    record = true,
    parse = function(v, _, row)
      if type(v) ~= "boolean" then
        values.fail(string.format("%s: expected true or false, got '%s'", row.name, tostring(v)))
      end
      return v
    end },
  { name = "grace", cli = false, engine = true, default = 30,
    parse = function(v, _, row)
      return values.number(row.name, v, "a number >= 0", function(x) return x >= 0 end)
    end },
}

M.by_name = {}
for _, row in ipairs(M.rows) do
  row.flag = row.flag or flag(row.name)
  -- the flag's name as a key ("threshold", "max-vus") is the option too
  row.alias = row.flag:sub(3)
  M.by_name[row.name] = row
end

function M.row(name) return M.by_name[name] end

-- The default, as --help says it: "(default 2)", "(default 0 with
-- --stages)", "(default: 10000 per shard, ...)"; "" without one.
function M.default_text(row)
  if type(row.default) == "function" then
    return row.default_help and " (default: " .. row.default_help(row) .. ")" or ""
  end
  if row.default == nil or row.default == false then return "" end
  local v = row.format and row.format(row.default) or tostring(row.default)
  return " (default " .. v .. (row.when_help and " " .. row.when_help or "") .. ")"
end

function M.help(row) return row.help .. M.default_text(row) end

-- The resolved options of o (given values by name, already merged):
-- every row's value, parsed, checked and defaulted, each row free to use
-- any other's through get. The rows are resolved in table order (which
-- decides which of two mistakes is reported first).
function M.resolve(o)
  local r, state = {}, {}
  local function get(name)
    if state[name] == "done" then return r[name] end
    local row = M.by_name[name]
    assert(row, "no option " .. tostring(name))
    assert(state[name] == nil, "option table: " .. name .. " depends on itself")
    state[name] = "busy"
    local v = o[name]
    if row.derived then
      v = row.value(get, row)
    elseif v ~= nil then
      if row.parse then v = row.parse(v, get, row) end
    elseif type(row.default) == "function" then
      v = row.default(get, row)
    elseif row.when == nil or row.when(get) then
      v = row.default
      if type(v) == "table" then v = table.move(v, 1, #v, 1, {}) end
    end
    r[name], state[name] = v, "done"
    return v
  end
  for _, row in ipairs(M.rows) do get(row.name) end
  return r
end

-- The words the summary's first line adds for the options of a run's
-- JSON (recorded ones) that differ from their defaults: {"seed 7", ...}.
function M.summary_words(o)
  local words = {}
  for _, row in ipairs(M.rows) do
    local v = row.summary and o[row.name]
    if v ~= nil and v ~= row.default then words[#words + 1] = row.summary(v) end
  end
  return words
end

-- The fields of r that rows marked `key` name (record, engine).
function M.pick(r, key)
  local out = {}
  for _, row in ipairs(M.rows) do
    if row[key] then out[row.name] = r[row.name] end
  end
  return out
end

return M
