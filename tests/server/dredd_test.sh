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

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$exe" serve --port 0 --delay 0 >"$tmp/out" 2>"$tmp/err" &
server=$!

# the start line carries the port; wait for it at most 10 s
port=
i=0
while [ $i -lt 100 ] && [ -z "$port" ]; do
    port=$(sed -n 's|.*listening on http://127\.0\.0\.1:\([0-9]*\) .*|\1|p' "$tmp/out")
    [ -n "$port" ] || sleep 0.1
    i=$((i + 1))
done
if [ -z "$port" ]; then
    echo "dredd_test: the server did not start:" >&2
    cat "$tmp/err" >&2
    kill "$server" 2>/dev/null
    wait "$server"
    exit 1
fi

# Dredd's closing line is not a test-runner line: its exit code decides
"$dredd" "$apib" "http://127.0.0.1:$port" --hookfiles="$(dirname "$0")/dredd_hooks.js" \
    --loglevel=warning --color=false
rc=$?

kill -TERM "$server"
wait "$server"
server_rc=$?
if [ "$server_rc" -ne 0 ]; then
    echo "dredd_test: server exited with $server_rc" >&2
    cat "$tmp/err" >&2
    [ "$rc" -ne 0 ] || rc=1
fi
exit $rc
