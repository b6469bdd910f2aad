#!/bin/sh
# 10,000 concurrent lookups by host NAME, on 2 worker threads, against
# `dockscript serve` in its own process: every lookup answered, results as
# the sequential lookups'. A name goes through curl's threaded resolver,
# whose socketpair curl closes without the close-socket callback; the
# scheduler must not keep an epoll record for its descriptor number (if it
# did, a later connection given that number would never be woken and its
# lookup would fail on its timeout).
#
# The name is the test's own, not the machine's: tests/own_hosts.sh runs
# this script again in a mount namespace where /etc/hosts maps it to
# 127.0.0.1 and nsswitch.conf says "hosts: files". Not "localhost", which
# curl 7.88 answers itself without its resolver (RFC 6761). How long the
# lookups take is a figure of tools/bench/bench_test_figures.sh, not a bound.
# usage: hostname_test.sh DOCKSCRIPT
set -u
host=dockscript-hostname-test
if [ "${DS_OWN_HOSTS:-}" != "$host" ]; then
    DS_OWN_HOSTS=$host exec "$(dirname "$0")/own_hosts.sh" "$host" 127.0.0.1 sh "$0" "$@"
fi
ds=$(realpath "$1")
. "$(dirname "$0")/lib.sh"

addr=$(getent ahostsv4 "$host" | awk 'NR == 1 { print $1 }')
if [ "$addr" = 127.0.0.1 ]; then
    ok "$host resolves to 127.0.0.1 (the test's own /etc/hosts)"
else
    fail "$host must resolve to 127.0.0.1 in the test's mount namespace, got '$addr'"
    done_tests
    exit 1
fi
# Each lookup holds a connection on both sides, and the resolver's socketpair
# while it resolves; the binary raises its soft limit to the hard one.
hard=$(ulimit -Hn)
[ "$hard" = unlimited ] || [ "$hard" -ge 20000 ] && ok "open files hard limit $hard" ||
    fail "open files hard limit $hard: 10,000 lookups need 20,000 (raise ulimit -Hn)"

check "gen_data.lua: 10,000 salespersons" 0 "10000 sales" "$ds" gen_data.lua 10000 "$tmp/data.json"
serve_start --host 127.0.0.1 --delay 0.5 --quiet --data "$tmp/data.json"
port=${serve_url##*:}

out=$(timeout 180 "$ds" bench.lua --url "http://$host:$port" --names 10000 --delay 0.5 \
    --sync-max 0 --threads 2 --quiet 2>&1)
code=$?
[ $code -eq 0 ] && ok "bench.lua by host name: exit 0" || fail "bench.lua by host name: exit $code" "$out"
printf '%s\n' "$out" | grep -q '^Results identical: yes' &&
    ok "every lookup answered, results as the sequential lookups'" || fail "results identical" "$out"
printf '%s\n' "$out" | grep -q "^Asynchronous (2 threads): .*s" &&
    ok "10,000 lookups by name: $(printf '%s\n' "$out" | grep '^Asynchronous (2 threads)')" ||
    fail "no 'Asynchronous (2 threads)' line" "$out"

done_tests
