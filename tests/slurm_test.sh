#!/bin/sh
# docs/slurm-load.sh end to end on a one-node Slurm cluster that this test
# starts on localhost (munged, slurmctld, slurmd, with config files, keys,
# state and free ports of its own in a temp dir; no cgroups) and stops at
# the end: a job array of 3 shards (--shard auto, --start-at) against
# `dockscript serve` on 127.0.0.1, a dependent job that merges them with
# thresholds; the merged report checked against the server's own count
# (/_stats) and against the same run unsharded on this machine.
# Needs root (slurmd runs jobs as their user) and Debian's slurm-wlm and
# munge (tools/deps.sh --test); without them skipped (exit 77), in CI
# (CI or DS_REQUIRE_TOOLS=1) failed.
# usage: slurm_test.sh DOCKSCRIPT
set -u
ds=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
script=$here/../docs/slurm-load.sh

cannot() {
    echo "slurm_test: $1" >&2
    for v in "${DS_REQUIRE_TOOLS:-}" "${CI:-}"; do
        case $v in
        '' | 0 | false) ;;
        *) echo "slurm_test: FAIL: in CI every test runs, none is skipped" >&2; exit 1 ;;
        esac
    done
    echo "slurm_test: skipped" >&2
    exit 77
}
for tool in munged mungekey slurmctld slurmd sbatch squeue scontrol sinfo scancel curl; do
    command -v $tool >/dev/null 2>&1 || PATH=$PATH:/usr/sbin command -v $tool >/dev/null 2>&1 ||
        cannot "$tool not found; install it: tools/deps.sh --test (slurm-wlm, munge)"
done
PATH=$PATH:/usr/sbin
[ "$(id -u)" -eq 0 ] || cannot "needs root: slurmd runs each job as its user"

# --- the cluster ---------------------------------------------------------------
# Every daemon is ours (started below, stopped by its pid); jobs still
# running at the end are cancelled first, so no slurmstepd outlives them.
c=$tmp/cluster
mkdir -p "$c/munge" "$c/ctld" "$c/spool" "$c/log"
chmod 700 "$c/munge"
export SLURM_CONF=$c/slurm.conf
munge_pid='' ctld_pid='' slurmd_pid=''
stop_cluster() {
    if [ -n "$ctld_pid" ]; then
        scancel --quiet --user=root 2>/dev/null
        i=0
        while [ -n "$(squeue -h 2>/dev/null)" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    fi
    for p in $slurmd_pid $ctld_pid; do kill "$p" 2>/dev/null; done
    for p in $slurmd_pid $ctld_pid; do wait "$p" 2>/dev/null; done
    [ -n "$munge_pid" ] && kill "$munge_pid" 2>/dev/null && wait "$munge_pid" 2>/dev/null
    [ -n "$serve_pid" ] && kill -9 "$serve_pid" 2>/dev/null
    rm -rf "$tmp"
}
trap stop_cluster EXIT
trap 'exit 130' INT TERM

# two free ports on 127.0.0.1, for slurmctld and slurmd
ports=$(/usr/bin/python3 -c 'import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(*[x.getsockname()[1] for x in s])')
set -- $ports
# this machine's CPUs and memory as slurmd detects them, under the name localhost
hw=$(slurmd -C | sed -n '1s/^NodeName=[^ ]* //p')
cat >"$SLURM_CONF" <<EOF
ClusterName=dockscript-test
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=$1
SlurmdPort=$2
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$c/munge/munge.socket
CredType=cred/munge
StateSaveLocation=$c/ctld
SlurmdSpoolDir=$c/spool
SlurmctldPidFile=$c/slurmctld.pid
SlurmdPidFile=$c/slurmd.pid
SlurmctldLogFile=$c/log/slurmctld.log
SlurmdLogFile=$c/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
MailProg=/bin/true
NodeName=localhost NodeHostname=localhost NodeAddr=127.0.0.1 $hw State=UNKNOWN
# the shards run at once whatever the CPUs: they must start together
PartitionName=local Nodes=localhost Default=YES MaxTime=10 State=UP OverSubscribe=FORCE:4
EOF
mungekey --create --keyfile="$c/munge/munge.key" --bits=1024 || fail "mungekey"
# in the foreground of a child of ours: stopped and reaped by its pid
munged --foreground --socket="$c/munge/munge.socket" --key-file="$c/munge/munge.key" \
    --log-file="$c/munge/munged.log" --pid-file="$c/munge/munged.pid" \
    --seed-file="$c/munge/munged.seed" --origin=127.0.0.1 --force 2>"$c/log/munged.err" &
munge_pid=$!
i=0
until [ -S "$c/munge/munge.socket" ] || [ $i -ge 100 ]; do sleep 0.1; i=$((i + 1)); done
[ -S "$c/munge/munge.socket" ] || { fail "munged did not start" "$(cat "$c/log/munged.err")"; exit 1; }
slurmctld -D -i -f "$SLURM_CONF" >"$c/log/slurmctld.out" 2>&1 &
ctld_pid=$!
# -N localhost: the node is localhost whatever this machine's hostname
slurmd -D -N localhost -f "$SLURM_CONF" >"$c/log/slurmd.out" 2>&1 &
slurmd_pid=$!
i=0
until [ "$(sinfo -h -o %t 2>/dev/null)" = idle ] || [ $i -ge 300 ]; do sleep 0.1; i=$((i + 1)); done
if [ "$(sinfo -h -o %t 2>/dev/null)" = idle ]; then
    ok "a one-node cluster on localhost: munged, slurmctld and slurmd of this test"
else
    fail "the node is not idle after 30 s: $(sinfo -h -o '%t %E' 2>&1)" \
        "$(tail -n 20 "$c/log/slurmctld.log" "$c/log/slurmd.log" "$c/log/"*.out 2>&1)"
    done_tests
    exit 1
fi

# --- the run: 3 shards as a job array, then the merge ----------------------------
serve_start --delay 0.05 --quiet
run="docking_scenario.lua --rate 60 --duration 4 --threads 1"
out=$(DOCKSCRIPT=$ds "$script" -n 3 -d "$tmp/run" -w 8 -t 'dropped<=0' -t 'errors<=0' \
    -t 'chain:p99<1s' -- $run -- "$serve_url" 2>&1)
code=$?
merge=$(printf '%s\n' "$out" | sed -n 's/^merge: job \([0-9]*\) .*/\1/p')
shards=$(printf '%s\n' "$out" | sed -n 's/^shards: job \([0-9]*\) .*/\1/p')
[ $code -eq 0 ] && [ -n "$merge" ] && [ -n "$shards" ] && ok "slurm-load.sh submitted an array and a merge" ||
    fail "slurm-load.sh: exit $code" "$out"
dep=$(scontrol show job "$merge" 2>&1 | grep -o 'Dependency=[^ ]*')
[ "$dep" = "Dependency=afterok:${shards}_*(unfulfilled)" ] && ok "the merge waits for every shard: $dep" ||
    fail "the merge's dependency: $dep"
# bounded: the start is 8 s away, the run 4 s, the merge a second
state() { scontrol show job "$merge" 2>/dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p'; }
i=0
while :; do
    s=$(state)
    case $s in COMPLETED | FAILED | CANCELLED | TIMEOUT | NODE_FAIL | OUT_OF_MEMORY) break ;; esac
    [ $i -ge 900 ] && break
    sleep 0.2
    i=$((i + 1))
done
[ "$s" = COMPLETED ] && ok "the merge job completed (exit 0: every threshold held)" ||
    fail "the merge job: ${s:-gone}" "$(cat "$tmp/run/"*.out 2>&1; scontrol show job "$shards" 2>&1 | head -20)"
printf 'merged summary (3 Slurm array tasks):\n%s\n' "$(cat "$tmp/run/merge.out" 2>&1)"

# the server's own count: every request of the merged report reached it,
# and the one of each thread's setup (GET /users?role=sales)
total=$(curl -s "$serve_url/_stats" | /usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["requests"]["total"])')
res=$("$ds" -e '
    local m = json.decode(io.open(arg[1]):read("a"))
    local sum = 0
    for _, q in pairs(m.requests) do sum = sum + q.count end
    local ok = m.shard[1] == 1 and m.shard[2] == 1 and #m.shards == 3 and m.iterations.done == 240
      and m.threads == 3 and sum + m.threads == tonumber(arg[2])
    for _, t in ipairs(m.thresholds) do ok = ok and t.ok end
    print(ok and "yes" or string.format("no: %d done, %d requests + %d setups, shards %s",
      m.iterations.done, sum, m.threads, json.encode(m.shards)))' "$tmp/run/merged.json" "$total" 2>&1)
[ "$res" = yes ] && ok "merged: 3 of 3 shards, 240 iterations; its 480 requests + 3 setups = the server's /_stats total ($total)" ||
    fail "merged report vs /_stats total $total: $res"
res=$("$ds" -e '
    local at
    for i = 0, 2 do
      local j = json.decode(io.open(arg[1] .. "/shard-" .. i .. ".json"):read("a"))
      if j.shard[1] ~= i + 1 or j.shard[2] ~= 3 then print("no: task " .. i .. " ran shard " .. j.shard[1]) return end
      at = at or j.options.start_at
      if j.options.start_at ~= at or j.start < at or j.start > at + 0.5 then
        print(string.format("no: shard %d: --start-at %s, started %.3f", i + 1, j.options.start_at, j.start)) return
      end
    end
    print("yes")' "$tmp/run" 2>&1)
[ "$res" = yes ] && ok "array task k ran shard k+1 of 3, each started at the one --start-at" ||
    fail "the shards' starts: $res"

# the same run unsharded on this machine, against a fresh server
kill $serve_pid; wait $serve_pid 2>/dev/null
serve_start --delay 0.05 --quiet
"$ds" load.lua $run --quiet --json "$tmp/whole.json" -- "$serve_url" >"$tmp/whole.out" 2>&1 ||
    fail "the unsharded run" "$(cat "$tmp/whole.out")"
printf 'the same run unsharded on one machine:\n%s\n' "$(cat "$tmp/whole.out")"
res=$("$ds" -e '
    local m = json.decode(io.open(arg[1]):read("a"))
    local w = json.decode(io.open(arg[2]):read("a"))
    if m.iterations.done ~= w.iterations.done then print("no: done " .. m.iterations.done .. " vs " .. w.iterations.done) return end
    for t = 1, 4 do
      if m.series[t].iterations ~= w.series[t].iterations then
        print(string.format("no: second %d: %d vs %d", t, m.series[t].iterations, w.series[t].iterations)) return
      end
    end
    print("yes")' "$tmp/run/merged.json" "$tmp/whole.json" 2>&1)
[ "$res" = yes ] && ok "merged series equal the unsharded run's, second by second" ||
    fail "merged vs unsharded: $res"

done_tests
