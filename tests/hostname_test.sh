#!/bin/sh
# 10,000 concurrent lookups by host NAME, on 2 worker threads, against
# `dockscript serve` in its own process: every lookup answered, in about
# the time 127.0.0.1 takes. A name goes through curl's threaded resolver,
# whose socketpair curl closes without the close-socket callback; the
# scheduler must not keep an epoll record for its descriptor number.
#
# The name is this machine's own host name, resolved by /etc/hosts (nsswitch
# "files") to a loopback address; not "localhost", which curl 7.88 answers
# itself without its resolver (RFC 6761).
# usage: hostname_test.sh DOCKSCRIPT
set -u
ds=$(realpath "$1")
. "$(dirname "$0")/lib.sh"

host=$(hostname)
addr=$(getent ahostsv4 "$host" | awk 'NR == 1 { print $1 }')
case "$addr" in
127.*) ok "$host resolves to the loopback address $addr" ;;
*)
    fail "$host must resolve to a 127.x address (/etc/hosts), got '$addr'"
    done_tests
    exit 1
    ;;
esac
# Each lookup holds a connection on both sides, and the resolver's socketpair
# while it resolves; the binary raises its soft limit to the hard one.
hard=$(ulimit -Hn)
[ "$hard" = unlimited ] || [ "$hard" -ge 20000 ] && ok "open files hard limit $hard" ||
    fail "open files hard limit $hard: 10,000 lookups need 20,000 (raise ulimit -Hn)"

check "gen_data.lua: 10,000 salespersons" 0 "10000 sales" "$ds" gen_data.lua 10000 "$tmp/data.json"
serve_start --host "$addr" --delay 0.5 --quiet --data "$tmp/data.json"
port=${serve_url##*:}

out=$(timeout 180 "$ds" bench.lua --url "http://$host:$port" --names 10000 --delay 0.5 \
    --sync-max 0 --threads 2 --quiet 2>&1)
code=$?
[ $code -eq 0 ] && ok "bench.lua by host name: exit 0" || fail "bench.lua by host name: exit $code" "$out"
printf '%s\n' "$out" | grep -q '^Results identical: yes' &&
    ok "every lookup answered, results as the sequential lookups'" || fail "results identical" "$out"
# 2 chained requests of 0.5 s; a lookup left to curl's timers would take its
# 30 s timeout or fail. Wide margin for 2 shared cores.
secs=$(printf '%s\n' "$out" | sed -n 's/^Asynchronous (2 threads): \([0-9.]*\)s.*/\1/p')
[ -n "$secs" ] && awk "BEGIN { exit !($secs < 20) }" &&
    ok "10,000 lookups by name in ${secs}s" || fail "10,000 lookups by name: ${secs:-no}s" "$out"

done_tests
