#!/bin/sh
# Contract test: docs/DockingAPIServer.apib checked by Dredd against a
# running `dockscript serve`.
# usage: dredd_test.sh DOCKSCRIPT APIB
# Dredd comes from $DREDD or <repo>/.dredd, where `tools/deps.sh --test`
# installs it. Without it (or with another version) the test is skipped:
# exit 77, ctest's SKIP_RETURN_CODE, with the install command; in CI (CI
# set, or DS_REQUIRE_TOOLS=1 from tools/check.sh) a missing Dredd fails.
set -u
exe=$1
apib=$2
root=$(cd "$(dirname "$0")/../.." && pwd)
dredd=${DREDD:-$root/.dredd/node_modules/.bin/dredd}
want=14.1.0

no_dredd() {
    echo "dredd_test: $1; install it: tools/deps.sh --test" \
         "(or npm install --prefix $root/.dredd dredd@$want)" >&2
    for v in "${DS_REQUIRE_TOOLS:-}" "${CI:-}"; do
        case $v in
        '' | 0 | false) ;;
        *) echo "dredd_test: FAIL: in CI every test runs, none is skipped" >&2; exit 1 ;;
        esac
    done
    echo "dredd_test: skipped" >&2
    exit 77
}

[ -x "$dredd" ] || no_dredd "Dredd not found at $dredd"
version=$("$dredd" --version 2>/dev/null | sed -n 's/^dredd v\{0,1\}\([0-9.]*\).*/\1/p')
[ "$version" = "$want" ] || no_dredd "need dredd $want, found '$version' at $dredd"

. "$root/tests/lib.sh"
ds=$exe
serve_start --delay 0

# Dredd's closing line is not a test-runner line: its exit code decides
"$dredd" "$apib" "$serve_url" --hookfiles="$(dirname "$0")/dredd_hooks.js" \
    --loglevel=warning --color=false
rc=$?

kill -TERM "$serve_pid"
wait "$serve_pid"
server_rc=$?
serve_pid=
if [ "$server_rc" -ne 0 ]; then
    echo "dredd_test: server exited with $server_rc" >&2
    cat "$tmp/serve.out" >&2
    [ "$rc" -ne 0 ] || rc=1
fi
exit $rc
