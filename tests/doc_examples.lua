-- Runs every example of README.md and docs/*.md as a reader would, and
-- checks what it prints.
--   dockscript tests/doc_examples.lua SOURCE_DIR DOCKSCRIPT BUILD_DIR [FILE.md...]
--
-- ```lua blocks run with dockscript; ```sh blocks run with `sh -e`, with
-- `dockscript` on PATH meaning the build's binary. Lines marked
-- `--> expected` (`# --> expected` in sh) must be printed (stdout and
-- stderr), in that order; `...` in one stands for any text, and
-- 127.0.0.1:PORT for any port. Other blocks (```text, ```yaml, ...) are
-- output or syntax, not run.
--
-- The blocks of a document run in order in one new folder, as a reader
-- following it would (a file one block writes, the next may read), each
-- inside its own network namespace (unshare --net), so `dockscript serve &`
-- listens on 127.0.0.1:5000 as the docs say without meeting anything else
-- on the machine. In sh blocks the test adds two things: after a
-- `dockscript serve ... &` line it waits until that server accepts
-- connections (/usr/bin/python3 connects; no request is made, so /_stats
-- counts only the example's), and when the block ends it stops what the
-- block left running in the background. `tools` and `build` in the folder
-- are the source tree's tools/ and BUILD_DIR, as at the source tree's root.
-- A block right after `<!-- doc-test: not run: REASON -->` is not run (the
-- reason is printed): for commands that install packages or run the whole
-- suite.
local src, ds, build = arg[1], arg[2], arg[3]
assert(src and ds and build, "usage: doc_examples.lua SOURCE_DIR DOCKSCRIPT BUILD_DIR [FILE.md...]")

local BLOCK_TIMEOUT = 60

local function sh_quote(s) return "'" .. s:gsub("'", "'\\''") .. "'" end

local function run(cmd)
  local ok, _, code = os.execute(cmd)
  return ok, code
end

local function capture(cmd)
  local p = io.popen(cmd .. " 2>&1")
  local out = p:read("a")
  local ok, _, code = p:close()
  return ok, code, out
end

-- The documents: README.md and docs/*.md, or the files named.
local function documents()
  local files = {}
  for i = 4, #arg do files[#files + 1] = arg[i] end
  if #files > 0 then return files end
  files[1] = src .. "/README.md"
  local names = sys.dir(src .. "/docs") or {}
  table.sort(names)
  for _, name in ipairs(names) do
    if name:match("%.md$") then files[#files + 1] = src .. "/docs/" .. name end
  end
  return files
end

-- Blocks of a Markdown text: {lang, code, line, skip}.
local function blocks_of(text)
  local out, n, open, skip = {}, 0, nil, nil
  for line in (text .. "\n"):gmatch("(.-)\n") do
    n = n + 1
    if open then
      if line:match("^```%s*$") then
        out[#out + 1] = open
        open = nil
      else
        open.code = open.code .. line .. "\n"
      end
    else
      local lang = line:match("^```(%S*)")
      if lang then
        open = { lang = lang, code = "", line = n, skip = skip }
        skip = nil
      elseif line:match("%S") then
        skip = line:match("^<!%-%- doc%-test: not run: (.-) %-%->$")
      end
    end
  end
  assert(not open, "unclosed ``` block at line " .. (open and open.line or 0))
  return out
end

local function norm(s)
  return (s:gsub("127%.0%.0%.1:%d+", "127.0.0.1:PORT"):gsub("%s+", " "):gsub("^ ", ""):gsub(" $", ""))
end

-- An expected line as an anchored pattern: `...` is any text.
local function pattern_of(expected)
  local parts = {}
  for piece in (expected .. "..."):gmatch("(.-)%.%.%.") do
    parts[#parts + 1] = piece:gsub("[%^%$%(%)%%%.%[%]%*%+%-%?]", "%%%0")
  end
  return "^" .. table.concat(parts, ".-") .. "$"
end

local function expected_lines(code)
  local want = {}
  for line in code:gmatch("[^\n]+") do
    local e = line:match("%-%->%s(.*)$")
    if e then want[#want + 1] = norm(e) end
  end
  return want
end

-- The sh block with the test's additions: a wait after each `dockscript
-- serve ... &`, and every background job recorded to be stopped.
local WAIT = [[
__ds_wait() {
  /usr/bin/python3 -c 'import socket, sys, time
for _ in range(100):
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.1)
sys.exit("doc_examples: nothing listens on 127.0.0.1:%s after 10 s" % sys.argv[1])' "$1"
}
__ds_bg=
__ds_stop() { for p in $__ds_bg; do kill "$p" 2>/dev/null || true; done; wait; }
trap __ds_stop EXIT
]]

local function sh_script(code)
  local out = { "set -e", WAIT }
  for line in code:gmatch("([^\n]*)\n") do
    out[#out + 1] = line
    local cmd = line:gsub("%s+#.*$", "")
    if cmd:match("[^&]&%s*$") then
      out[#out + 1] = '__ds_bg="$__ds_bg $!"'
      if cmd:match("^%s*dockscript serve") then
        local port = cmd:match("%-%-port%s+(%d+)") or "5000"
        assert(port ~= "0", "a `dockscript serve --port 0 &` example cannot be waited for")
        out[#out + 1] = "__ds_wait " .. port
      end
    end
  end
  return table.concat(out, "\n") .. "\n"
end

-- The namespace: root makes a network namespace; anyone else also a user
-- namespace that maps them to root in it.
local unshare = select(3, capture("id -u")):match("^0%s") and "unshare --net" or "unshare --net --map-root-user"
do
  local ok = run(unshare .. " sh -c 'ip link set lo up' 2>/dev/null")
  if not ok then
    print("FAIL the examples need a network namespace of their own: `" .. unshare
      .. " sh -c 'ip link set lo up'` failed (util-linux's unshare, iproute2's ip, and user "
      .. "namespaces or root)")
    os.exit(1)
  end
end

local top = os.tmpname()
os.remove(top)
assert(run("mkdir -p " .. sh_quote(top .. "/bin")))
assert(run(string.format("ln -s %s %s", sh_quote(ds), sh_quote(top .. "/bin/dockscript"))))
local path = top .. "/bin:" .. os.getenv("PATH")

-- A new folder for a document's blocks.
local function new_folder(k)
  local dir = string.format("%s/doc%d", top, k)
  assert(run("mkdir " .. sh_quote(dir)))
  assert(run(string.format("ln -s %s %s/tools && ln -s %s %s/build", sh_quote(src .. "/tools"),
    sh_quote(dir), sh_quote(build), sh_quote(dir))))
  return dir
end

-- Runs one block in the document's folder; returns ok, exit code, output lines.
local function run_block(b, dir)
  local file = dir .. (b.lang == "lua" and "/.example.lua" or "/.example.sh")
  local f = assert(io.open(file, "w"))
  f:write(b.lang == "lua" and b.code or sh_script(b.code))
  f:close()
  local inner = b.lang == "lua" and "dockscript .example.lua" or "sh .example.sh"
  local cmd = string.format("cd %s && env -u DOCKSCRIPT_SCRIPTS PATH=%s timeout %d %s sh -c %s </dev/null",
    sh_quote(dir), sh_quote(path), BLOCK_TIMEOUT, unshare,
    sh_quote("ip link set lo up && exec " .. inner))
  local ok, code, out = capture(cmd)
  local got = {}
  for line in out:gmatch("[^\n]+") do got[#got + 1] = line end
  return ok, code, got
end

local total, failed, skipped = 0, 0, 0
for k, doc in ipairs(documents()) do
  local dir = new_folder(k)
  local f = assert(io.open(doc))
  local text = f:read("a")
  f:close()
  local name = doc:sub(1, #src + 1) == src .. "/" and doc:sub(#src + 2) or doc
  for _, b in ipairs(blocks_of(text)) do
    if b.lang == "lua" or b.lang == "sh" then
      total = total + 1
      local where = string.format("%s:%d (%s)", name, b.line, b.lang)
      if b.skip then
        skipped = skipped + 1
        print(string.format("not run  %s: %s", where, b.skip))
      else
        local want = expected_lines(b.code)
        local t0 = clock.now()
        local ok, code, got = run_block(b, dir)
        local i = 1
        for _, line in ipairs(got) do
          if want[i] and norm(line):match(pattern_of(want[i])) then i = i + 1 end
        end
        if not ok or i <= #want then
          failed = failed + 1
          print(string.format("FAIL %s: exit %s%s\n  output:\n  %s", where, tostring(code),
            want[i] and string.format(", no line matches %q (expected line %d of %d)", want[i], i,
              #want) or "", table.concat(got, "\n  ")))
        else
          print(string.format("ok   %s: %d expected lines, %.1fs", where, #want, clock.now() - t0))
        end
      end
    end
  end
end
run("rm -rf " .. sh_quote(top))
print(string.format("%d examples: %d passed, %d failed, %d not run", total,
  total - failed - skipped, failed, skipped))
os.exit(failed == 0 and total - skipped > 0 and 0 or 1)
