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
-- The blocks of a document run in order in ONE shell (`sh -e`), in one new
-- folder, as a reader following it in one terminal would: a file, a
-- variable or a background server one block leaves, the next one meets.
-- A ```lua block is saved to a file the shell runs with dockscript. The
-- shell has a network namespace of its own (unshare --net), so `dockscript
-- serve &` listens on 127.0.0.1:5000 as the docs say without meeting
-- anything else on the machine, but it meets the document's earlier
-- servers: an example that starts one must stop the one before it, or use
-- its own port. Around a `dockscript serve ... &` line the test checks
-- that nothing listens on its port yet (else the new server would fail
-- with "Address already in use" in the background, and the commands after
-- it reach the old one), then waits until that very server accepts
-- connections, failing if it exited (/usr/bin/python3 connects; no request
-- is made, so /_stats counts only the example's). When the document ends
-- the test fails if a background command exited non-zero on its own, or
-- still runs (a reader going on to the next document would meet it). `tools` and `build` in the folder are the source
-- tree's tools/ and BUILD_DIR, as at the source tree's root.
-- A block right after `<!-- doc-test: not run: REASON -->` is not run (the
-- reason is printed): for commands that install packages or run the whole
-- suite.
local src, ds, build = arg[1], arg[2], arg[3]
assert(src and ds and build, "usage: doc_examples.lua SOURCE_DIR DOCKSCRIPT BUILD_DIR [FILE.md...]")

-- A document may take this long per example it runs.
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

-- What the test adds to the document's shell. __ds_free PORT: nothing
-- listens there yet. __ds_up PORT PID: process PID, still running, accepts
-- connections on PORT within 10 s. __ds_end (on exit): a background
-- command that exited on its own must have exited 0, and none may still
-- run after the last example (it is stopped, and fails the document).
-- Each example's end, and the shell's exit status, are marked in the
-- output so that each example's lines can be told apart.
local HELPERS = [[
__ds_free() {
  /usr/bin/python3 -c 'import socket, sys
try:
    socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()
except OSError:
    sys.exit(0)
sys.exit("doc_examples: an earlier example'"'"'s server still listens on 127.0.0.1:%s: "
         "stop it first (kill $!; wait $!) or give this one its own --port" % sys.argv[1])' "$1"
}
__ds_up() {
  /usr/bin/python3 -c 'import socket, sys, time
def running(pid):
    try:
        with open("/proc/%s/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
for _ in range(100):
    if not running(sys.argv[2]):
        sys.exit("doc_examples: the server started on 127.0.0.1:%s exited: see its message above" % sys.argv[1])
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.1)
sys.exit("doc_examples: nothing listens on 127.0.0.1:%s after 10 s" % sys.argv[1])' "$1" "$2"
}
__ds_bg=
__ds_end() {
  __ds_code=$?
  for p in $__ds_bg; do
    if [ "$(sed 's/.*) \(.\).*/\1/' /proc/$p/stat 2>/dev/null)" = "" ] ||
       [ "$(sed 's/.*) \(.\).*/\1/' /proc/$p/stat 2>/dev/null)" = Z ]; then
      __ds_st=0
      wait "$p" 2>/dev/null || __ds_st=$?
      # 127: the example waited for it itself
      if [ "$__ds_st" -ne 0 ] && [ "$__ds_st" -ne 127 ]; then
        echo "doc_examples: background command $p exited $__ds_st" >&2
        [ "$__ds_code" -ne 0 ] || __ds_code=1
      fi
    else
      if [ "$__ds_code" -eq 0 ]; then
        echo "doc_examples: '$(tr '\0' ' ' </proc/$p/cmdline)' still runs when the document ends:" \
          "stop it in the example that starts it, as a reader going on to the next document must" >&2
        __ds_code=1
      fi
      kill "$p" 2>/dev/null || true
      wait "$p" 2>/dev/null || true
    fi
  done
  printf '\n@@doc_examples exit %d@@\n' "$__ds_code"
  exit "$__ds_code"
}
trap __ds_end EXIT
trap 'exit 143' TERM
trap 'exit 130' INT
]]

-- A sh example's lines with the test's additions around `... &` lines.
local function sh_lines(code, out)
  for line in code:gmatch("([^\n]*)\n") do
    local cmd = line:gsub("%s+#.*$", "")
    local serve = cmd:match("[^&]&%s*$") and cmd:match("^%s*dockscript serve")
    local port = serve and (cmd:match("%-%-port[%s=]+(%d+)") or "5000")
    assert(port ~= "0", "a `dockscript serve --port 0 &` example cannot be waited for")
    if port then out[#out + 1] = "__ds_free " .. port end
    out[#out + 1] = line
    if cmd:match("[^&]&%s*$") then
      out[#out + 1] = '__ds_bg="$__ds_bg $!"'
      if port then out[#out + 1] = "__ds_up " .. port .. ' "$!"' end
    end
  end
end

-- The document as one shell script; writes the lua examples beside it.
local function doc_script(examples, dir)
  local out = { "set -e", HELPERS }
  for k, b in ipairs(examples) do
    if b.lang == "lua" then
      local name = string.format(".example-%d.lua", k)
      local f = assert(io.open(dir .. "/" .. name, "w"))
      f:write(b.code)
      f:close()
      out[#out + 1] = "dockscript " .. name
    else
      sh_lines(b.code, out)
    end
    out[#out + 1] = string.format("printf '\\n@@doc_examples end %d@@\\n'", k)
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

-- The examples run in another folder: the paths given, absolute.
local function absolute(p)
  local ok, _, out = capture("realpath -e " .. sh_quote(p))
  assert(ok, "doc_examples: " .. p .. ": no such file")
  return (out:gsub("\n$", ""))
end
src, ds, build = absolute(src), absolute(ds), absolute(build)

local top = os.tmpname()
os.remove(top)
assert(run("mkdir -p " .. sh_quote(top .. "/bin")))
assert(run(string.format("ln -s %s %s", sh_quote(ds), sh_quote(top .. "/bin/dockscript"))))
local path = top .. "/bin:" .. os.getenv("PATH")

-- A new folder for a document's examples.
local function new_folder(k)
  local dir = string.format("%s/doc%d", top, k)
  assert(run("mkdir " .. sh_quote(dir)))
  assert(run(string.format("ln -s %s %s/tools && ln -s %s %s/build", sh_quote(src .. "/tools"),
    sh_quote(dir), sh_quote(build), sh_quote(dir))))
  return dir
end

-- Runs a document's examples in one shell in its folder. Returns, per
-- example, its output lines and whether it ended, and the shell's exit
-- status (nil when it was cut by the timeout).
local function run_document(examples, dir)
  local file = dir .. "/.document.sh"
  local f = assert(io.open(file, "w"))
  f:write(doc_script(examples, dir))
  f:close()
  local cmd = string.format("cd %s && env -u DOCKSCRIPT_SCRIPTS PATH=%s timeout %d %s sh -c %s </dev/null",
    sh_quote(dir), sh_quote(path), BLOCK_TIMEOUT * #examples, unshare,
    sh_quote("ip link set lo up && exec sh .document.sh"))
  local _, _, out = capture(cmd)
  local per, k, status = { { lines = {} } }, 1, nil
  for line in out:gmatch("[^\n]+") do
    local ended = line:match("^@@doc_examples end (%d+)@@$")
    local code = line:match("^@@doc_examples exit (%d+)@@$")
    if ended then
      per[k].ended = true
      k = k + 1
      per[k] = { lines = {} }
    elseif code then
      status = tonumber(code)
    else
      table.insert(per[k].lines, line)
    end
  end
  return per, status
end

local total, failed, skipped, ends = 0, 0, 0, 0
for d, doc in ipairs(documents()) do
  local f = assert(io.open(doc))
  local text = f:read("a")
  f:close()
  local name = doc:sub(1, #src + 1) == src .. "/" and doc:sub(#src + 2) or doc
  local examples = {}
  for _, b in ipairs(blocks_of(text)) do
    if b.lang == "lua" or b.lang == "sh" then
      total = total + 1
      b.where = string.format("%s:%d (%s)", name, b.line, b.lang)
      if b.skip then
        skipped = skipped + 1
        print(string.format("not run  %s: %s", b.where, b.skip))
      else
        examples[#examples + 1] = b
      end
    end
  end
  if #examples > 0 then
    local t0 = clock.now()
    local per, status = run_document(examples, new_folder(d))
    for k, b in ipairs(examples) do
      local got = per[k] and per[k].lines or {}
      local want = expected_lines(b.code)
      local i = 1
      for _, line in ipairs(got) do
        if want[i] and norm(line):match(pattern_of(want[i])) then i = i + 1 end
      end
      local why = not per[k] and "not reached: an earlier example failed"
        or not per[k].ended and (status and "the shell exited " .. status .. " in it"
          or "cut after " .. BLOCK_TIMEOUT * #examples .. " s for the document")
        or want[i] and string.format("no line matches %q (expected line %d of %d)", want[i], i, #want)
      if why then
        failed = failed + 1
        print(string.format("FAIL %s: %s\n  output:\n  %s", b.where, why, table.concat(got, "\n  ")))
      else
        print(string.format("ok   %s: %d expected lines", b.where, #want))
      end
    end
    -- What the document's end printed (a background command that failed).
    local tail = per[#examples + 1] and per[#examples + 1].lines or {}
    if status ~= 0 and per[#examples] and per[#examples].ended then
      ends = ends + 1
      print(string.format("FAIL %s: after its last example, exit %s\n  %s", name, tostring(status),
        table.concat(tail, "\n  ")))
    end
    print(string.format("     %s: %d examples in one shell, %.1fs", name, #examples, clock.now() - t0))
  end
end
run("rm -rf " .. sh_quote(top))
print(string.format("%d examples: %d passed, %d failed, %d not run%s", total,
  total - failed - skipped, failed, skipped,
  ends > 0 and string.format("; %d documents failed after their last example", ends) or ""))
os.exit(failed == 0 and ends == 0 and total - skipped > 0 and 0 or 1)
