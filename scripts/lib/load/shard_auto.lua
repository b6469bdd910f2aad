-- --shard auto: this process's shard from the engine that placed it.
--   Kubernetes Indexed Job: JOB_COMPLETION_INDEX (0-based, set by
--     Kubernetes) with JOB_COMPLETIONS, which the manifest sets to the
--     Job's completions (the downward API cannot read spec.completions).
--   Slurm job array: SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_MIN and
--     SLURM_ARRAY_TASK_COUNT (and SLURM_ARRAY_TASK_STEP for --array=0-6:2).
-- Anywhere else --shard auto is a usage error that names what it looked for.
local M = {}

M.LOOKED_FOR = "JOB_COMPLETION_INDEX with JOB_COMPLETIONS (a Kubernetes Indexed Job) or "
  .. "SLURM_ARRAY_TASK_ID with SLURM_ARRAY_TASK_COUNT and SLURM_ARRAY_TASK_MIN (a Slurm job array)"

local function fail(message) require("load.options").fail("--shard auto: " .. message, 2) end

-- The integer in variable `name`, which `by` (the engine's variable that
-- is set) needs.
local function int(getenv, name, min, by)
  local v = getenv(name)
  local n = math.tointeger(tonumber(v))
  if v == nil then fail(string.format("%s is set but %s is not", by, name)) end
  if not n or n < min then
    fail(string.format("%s: expected an integer >= %d, got '%s'", name, min, tostring(v)))
  end
  return n
end

local function checked(i, n, from)
  if i < 1 or i > n then
    fail(string.format("%s gives shard %d of %d, not one of 1..%d", from, i, n, n))
  end
  return i, n
end

local function kubernetes(getenv)
  local by = "JOB_COMPLETION_INDEX"
  local index, count = int(getenv, by, 0, by), int(getenv, "JOB_COMPLETIONS", 1, by)
  return checked(index + 1, count, "JOB_COMPLETION_INDEX/JOB_COMPLETIONS")
end

local function slurm(getenv)
  local by = "SLURM_ARRAY_TASK_ID"
  local id, min = int(getenv, by, 0, by), int(getenv, "SLURM_ARRAY_TASK_MIN", 0, by)
  local count = int(getenv, "SLURM_ARRAY_TASK_COUNT", 1, by)
  local step = getenv("SLURM_ARRAY_TASK_STEP") and int(getenv, "SLURM_ARRAY_TASK_STEP", 1, by) or 1
  if (id - min) % step ~= 0 then
    fail(string.format("SLURM_ARRAY_TASK_ID %d is not MIN %d plus a multiple of STEP %d: "
      .. "use an evenly spaced --array like 0-%d", id, min, step, count - 1))
  end
  return checked((id - min) // step + 1, count, "SLURM_ARRAY_TASK_ID/MIN/COUNT")
end

-- I, N from the environment (getenv: os.getenv, or a table's lookup in a
-- test); a usage error when no engine's variables are there.
function M.resolve(getenv)
  getenv = getenv or os.getenv
  if getenv("JOB_COMPLETION_INDEX") then return kubernetes(getenv) end
  if getenv("SLURM_ARRAY_TASK_ID") then return slurm(getenv) end
  fail("found none of " .. M.LOOKED_FOR)
end

return M
