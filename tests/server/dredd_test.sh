#!/bin/sh
# Contract test: docs/DockingAPIServer.apib checked by Dredd against a
# running `dockscript serve`. Fails (never skips) when Dredd is missing.
# usage: dredd_test.sh DOCKSCRIPT APIB
# Dredd comes from $DREDD or <repo>/.dredd, where .ci/run installs it:
#   npm install --prefix <repo>/.dredd --no-audit --no-fund dredd@14.1.0
set -u
exe=$1
apib=$2
root=$(cd "$(dirname "$0")/../.." && pwd)
dredd=${DREDD:-$root/.dredd/node_modules/.bin/dredd}
want=14.1.0

if [ ! -x "$dredd" ]; then
    echo "dredd_test: Dredd not found at $dredd;" \
         "install it: npm install --prefix $root/.dredd dredd@$want" >&2
    exit 1
fi
version=$("$dredd" --version 2>/dev/null | sed -n 's/^dredd v\{0,1\}\([0-9.]*\).*/\1/p')
if [ "$version" != "$want" ]; then
    echo "dredd_test: need dredd $want, found '$version' at $dredd" >&2
    exit 1
fi

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
