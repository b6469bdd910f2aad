-- Runs every ```lua block of README.md with dockscript and checks that the
-- lines marked `--> expected` are printed, in order.
--   dockscript tests/readme_examples.lua README.md DOCKSCRIPT
local readme, ds = arg[1], arg[2]
assert(readme and ds, "usage: readme_examples.lua README.md DOCKSCRIPT")
local f = assert(io.open(readme))
local text = f:read("a")
f:close()

local function norm(s)
  return (s:gsub("127%.0%.0%.1:%d+", "127.0.0.1:PORT"):gsub("%s+", " "):gsub("^ ", ""):gsub(" $", ""))
end

local blocks, failed = 0, 0
for code in text:gmatch("```lua\n(.-)```") do
  blocks = blocks + 1
  local want = {}
  for line in code:gmatch("[^\n]+") do
    local e = line:match("%-%->%s(.*)$")
    if e then want[#want + 1] = norm(e) end
  end
  local path = os.tmpname()
  local out = assert(io.open(path, "w"))
  out:write(code)
  out:close()
  local p = io.popen(string.format("timeout 60 %q %q 2>&1", ds, path))
  local got = {}
  for line in p:lines() do got[#got + 1] = norm(line) end
  local ok, _, code_ = p:close()
  os.remove(path)
  local i = 1
  for _, line in ipairs(got) do if line == want[i] then i = i + 1 end end
  if not ok or i <= #want then
    failed = failed + 1
    print(string.format("FAIL block %d (exit %s): expected %q\n  output:\n  %s", blocks,
      tostring(code_), want[i] or "(exit 0)", table.concat(got, "\n  ")))
  else
    print(string.format("ok   block %d (%d expected lines)", blocks, #want))
  end
end
print(string.format("%d blocks, %d failed", blocks, failed))
os.exit(failed == 0 and blocks > 0 and 0 or 1)
