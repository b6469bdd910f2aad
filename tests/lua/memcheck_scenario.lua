-- Run under valgrind by tests/memcheck_test.sh: sync GETs, a gather whose
-- error cancels transfers in flight, nested gathers, and an in-process
-- server started and stopped.
local srv = server.start({ port = 0, delay = 0.2 })
for _ = 1, 5 do assert(http.get(srv.url .. "/users"):json()[1].name == "John Liu") end
assert(http.get(srv.url .. "/users/99").status == 404)
assert(not pcall(http.get, "http://127.0.0.1:1/"))

local tasks = {}
for i = 1, 20 do
  tasks[i] = function()
    if i == 7 then clock.sleep(0.05); error("cancel the rest") end
    return http.get(srv.url .. "/customers", { params = { salesId = "1" } }).status
  end
end
local ok, err = pcall(http.gather, tasks)
assert(not ok and err:find("task 7: ", 1, true), err)

local res = http.map(function(id)
  return http.gather({ function() return http.get(srv.url .. "/users/" .. id):json().name end })[1]
end, { "1", "2", "3" }, { limit = 2 })
assert(res[3] == "Jordan Lin", res[3])
srv:stop()
print("memcheck scenario done")
