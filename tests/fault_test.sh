#!/bin/sh
# Starts `dockscript serve --delay 0.5` for tests/lua/test_faults.lua to kill,
# then runs that suite through the fixture server.
# usage: fault_test.sh DOCKSCRIPT
set -u
ds=$(realpath "$1")
here=$(dirname "$(realpath "$0")")
. "$here/lib.sh"
serve_start --delay 0.5 --quiet
SERVE_URL=$serve_url
SERVE_PID=$serve_pid
export SERVE_URL SERVE_PID
"$here/with_fixture.sh" "$here/fixture/http_fixture.py" -- "$ds" "$here/lua/test_faults.lua"
