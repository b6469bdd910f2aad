#!/bin/bash
# One load run spread over a Slurm job array, then merged by a job that
# runs after every shard succeeded.
#
#   docs/slurm-load.sh [-n N] [-d DIR] [-w SECONDS] [-c CPUS] [-t THRESHOLD]... \
#       -- SCENARIO.lua [LOAD OPTIONS] [-- ARGS]
#
#   docs/slurm-load.sh -n 4 -d /shared/run1 -c 2 \
#       -t 'chain:p99<1.2s' -t 'errors<0.1%' -t 'dropped<=0' \
#       -- docking_scenario.lua --rate 4000 --duration 60 --threads 2 -- http://docking-api:5000
#
# On the submit host it submits itself twice: as a job array of N tasks
# (--array=0-N-1), each running one shard (`load.lua --shard auto`: Slurm
# sets SLURM_ARRAY_TASK_ID, _MIN and _COUNT) that waits for the same
# instant (`--start-at`, now + SECONDS: long enough for every task to be
# placed and its setup run) and writes DIR/shard-ID.json; then as a job
# that depends on the array (--dependency=afterok) and runs `load.lua
# --merge DIR/shard-*.json --json DIR/merged.json --threshold ...`, its
# summary in DIR/merge.out (exit 3 when a threshold fails). A shard that
# fails (one still queued past the start is refused, exit 2) cancels the
# merge (--kill-on-invalid-dep). DIR must be shared by the nodes.
#
#   -n N          shards, one per array task (default 2)
#   -d DIR        where the shards' and the merge's files go (default ./dockscript-load)
#   -w SECONDS    from submission to the common start (default 30)
#   -c CPUS       CPUs per shard (--cpus-per-task; match --threads; default 1)
#   -t THRESHOLD  a threshold the merge checks; repeatable
# $DOCKSCRIPT names the program (default: dockscript on the nodes' PATH);
# the jobs get the submitter's environment (--export=ALL).
#SBATCH --job-name=dockscript-load
set -eu
ds=${DOCKSCRIPT:-dockscript}

case ${DS_ROLE:-submit} in
shard)
    exec "$ds" load.lua --shard auto --start-at "$DS_START_AT" --quiet \
        --json "$DS_DIR/shard-$SLURM_ARRAY_TASK_ID.json" "$@"
    ;;
merge)
    exec "$ds" load.lua --merge "$DS_DIR"/shard-*.json --json "$DS_DIR/merged.json" "$@"
    ;;
esac

usage() {
    echo "usage: slurm-load.sh [-n N] [-d DIR] [-w SECONDS] [-c CPUS] [-t THRESHOLD]..." \
        "-- SCENARIO.lua [LOAD OPTIONS] [-- ARGS]" >&2
    exit 2
}
n=2 dir=./dockscript-load wait=30 cpus=1 thresholds=()
while getopts n:d:w:c:t: opt; do
    case $opt in
    n) n=$OPTARG ;;
    d) dir=$OPTARG ;;
    w) wait=$OPTARG ;;
    c) cpus=$OPTARG ;;
    t) thresholds+=(--threshold "$OPTARG") ;;
    *) usage ;;
    esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || usage
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
rm -f "$dir"/shard-*.json "$dir/merged.json"
start=$(($(date +%s) + wait))
shards=$(DS_ROLE=shard DS_START_AT=$start DS_DIR=$dir sbatch --parsable --export=ALL \
    --array=0-$((n - 1)) --cpus-per-task="$cpus" --output="$dir/shard-%a.out" "$0" "$@")
shards=${shards%%;*}
merge=$(DS_ROLE=merge DS_DIR=$dir sbatch --parsable --export=ALL \
    --dependency=afterok:"$shards" --kill-on-invalid-dep=yes --output="$dir/merge.out" \
    "$0" "${thresholds[@]}")
merge=${merge%%;*}
echo "shards: job $shards (array 0-$((n - 1)), starting at $(date -u -d "@$start" +%Y-%m-%dT%H:%M:%SZ))"
echo "merge: job $merge (after every shard succeeds): $dir/merge.out, $dir/merged.json"
