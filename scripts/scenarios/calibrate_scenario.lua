-- The scenario of calibrate.lua: one GET /users/1 per iteration, tagged
-- "calibrate", against the URL given after `--`.
return {
  iteration = function(args) http.get(args[1] .. "/users/1", { name = "calibrate" }) end,
}
