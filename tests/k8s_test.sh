#!/bin/sh
# docs/k8s-load-job.yaml checked offline against the Kubernetes object
# schema of Debian's python3-kubernetes models (tests/k8s_check.py: unknown
# fields, wrong types, the models' own validation), a misspelled field and
# a wrong type made to fail, the Indexed Job's numbers checked against each
# other, and the pods' own commands run here: 4 shards as the Job's pods
# (JOB_COMPLETION_INDEX, --shard auto, --start-at from the annotation) and
# the merge Job's, against `dockscript serve` on 127.0.0.1.
# Without /usr/bin/python3's yaml and kubernetes modules: skipped (exit 77),
# in CI (CI or DS_REQUIRE_TOOLS=1) failed.
# usage: k8s_test.sh DOCKSCRIPT
set -u
ds=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
py=/usr/bin/python3
checker="$py $here/k8s_check.py"
manifest=$here/../docs/k8s-load-job.yaml

if ! $py -c 'import yaml, kubernetes' 2>/dev/null; then
    echo "k8s_test: needs python3-yaml and python3-kubernetes: tools/deps.sh --test" >&2
    for v in "${DS_REQUIRE_TOOLS:-}" "${CI:-}"; do
        case $v in
        '' | 0 | false) ;;
        *) echo "k8s_test: FAIL: in CI every test runs, none is skipped" >&2; exit 1 ;;
        esac
    done
    echo "k8s_test: skipped" >&2
    exit 77
fi

# --- the schema ------------------------------------------------------------------
check "docs/k8s-load-job.yaml: every object well-formed" 0 "^k8s_check: 3 objects well-formed" \
    $checker "$manifest"

# mutant NAME SED-SCRIPT PATTERN: the manifest changed by SED-SCRIPT fails
# the check with a line matching PATTERN.
mutant() {
    sed "$2" "$manifest" >"$tmp/mutant.yaml"
    if cmp -s "$manifest" "$tmp/mutant.yaml"; then
        fail "$1: the mutation changed nothing"
        return
    fi
    check "$1" 1 "$3" $checker "$tmp/mutant.yaml"
}
mutant "a misspelled field (completionMod) fails, naming the right one" \
    's/completionMode: Indexed/completionMod: Indexed/' \
    "Job dockscript-load: spec.completionMod: unknown field of V1JobSpec; did you mean 'completionMode'\?"
mutant "a misspelled container field (comand) fails" '0,/command:/s//comand:/' \
    "spec.template.spec.containers\[0\].comand: unknown field of V1Container; did you mean 'command'\?"
mutant "a misspelled field of the merge Job (restartpolicy) fails" \
    '/name: dockscript-load-merge/,$s/restartPolicy:/restartpolicy:/' \
    "Job dockscript-load-merge: spec.template.spec.restartpolicy: unknown field of V1PodSpec"
mutant "a string where an int is due (completions: \"4\") fails" 's/completions: 4/completions: "4"/' \
    "spec.completions: expected int, got a string '4'"
mutant "an int where a string is due (JOB_COMPLETIONS value: 4) fails" 's/value: "4"/value: 4/' \
    "containers\[0\].env\[0\].value: expected str, got an int 4"
mutant "a string where a list is due (command) fails" '0,/command: \[.*\]/s//command: "\/bin\/sh -c"/' \
    "containers\[0\].command: expected a list, got a string"
mutant "a container without a name fails (the models' own validation)" '/- name: load/{s/- name: load/- imagePullPolicy: Always/}' \
    "V1Job: Invalid value for .name., must not be .None."
mutant "an unknown kind fails" '0,/kind: Job/s//kind: Jobs/' "unknown apiVersion/kind: batch/v1/Jobs"

# --- the Indexed Job's numbers and the pods' commands ----------------------------
$py - "$manifest" "$tmp" <<'PYEND' >"$tmp/extract.out" 2>&1
import sys, yaml
docs = list(yaml.safe_load_all(open(sys.argv[1])))
out = sys.argv[2]
jobs = [d for d in docs if d["kind"] == "Job"]
shards = [j for j in jobs if j["spec"].get("completionMode") == "Indexed"][0]
merge = [j for j in jobs if j is not shards][0]
spec = shards["spec"]
pod = spec["template"]
c = pod["spec"]["containers"][0]
env = {e["name"]: e for e in c["env"]}
problems = []
n = spec["completions"]
if spec["parallelism"] != n:
    problems.append("parallelism %s is not completions %s: the shards would not run at once" % (spec["parallelism"], n))
if env["JOB_COMPLETIONS"].get("value") != str(n):
    problems.append("JOB_COMPLETIONS is not completions %s" % n)
ref = env["START_AT"]["valueFrom"]["fieldRef"]["fieldPath"]
key = "dockscript.io/start-at"
if ref != "metadata.annotations['%s']" % key or key not in pod["metadata"]["annotations"]:
    problems.append("START_AT does not come from the pod's %s annotation" % key)
cmd = c["args"][0]
for want in ('--shard auto', '--start-at "$START_AT"', "--json /results/shard-$JOB_COMPLETION_INDEX.json"):
    if want not in cmd:
        problems.append("the shard command lacks " + want)
mcmd = merge["spec"]["template"]["spec"]["containers"][0]["args"][0]
if "n=%d;" % n not in mcmd or "--merge /results/shard-*.json" not in mcmd:
    problems.append("the merge Job does not wait for %d files and merge them" % n)
# the pods' commands, for this machine: a short run against the local server
subst = [("dockscript load.lua", '"$DS" load.lua'), ("/results", '"$RESULTS"'),
         ("http://docking-api:5000", '"$URL"'), ("--rate 4000 --duration 60 --threads 2", "--rate 40 --duration 2 --threads 1")]
for a, b in subst:
    if a not in cmd:
        problems.append("the shard command has no '%s' to run it here" % a)
    cmd = cmd.replace(a, b)
for a, b in subst[:2] + [("sleep 5", "sleep 0.2")]:
    mcmd = mcmd.replace(a, b)
open(out + "/pod.sh", "w").write(cmd + "\n")
open(out + "/merge.sh", "w").write(mcmd + "\n")
open(out + "/n", "w").write("%d\n" % n)
print("\n".join(problems) if problems else "consistent")
PYEND
[ "$(cat "$tmp/extract.out")" = consistent ] &&
    ok "the Indexed Job: completions = parallelism = JOB_COMPLETIONS = the merge's n; --shard auto, --start-at from the annotation" ||
    fail "the Indexed Job's numbers" "$(cat "$tmp/extract.out")"

serve_start --delay 0.05 --quiet
pods=$(cat "$tmp/n")
mkdir -p "$tmp/results"
# what the documented sed writes into the annotation: a time a few seconds on
start=$("$ds" -e 'print(os.date("!%Y-%m-%dT%H:%M:%SZ", os.time() + 5))')
pids=
i=0
while [ $i -lt "$pods" ]; do
    DS=$ds RESULTS=$tmp/results URL=$serve_url JOB_COMPLETION_INDEX=$i JOB_COMPLETIONS=$pods \
        START_AT=$start timeout 60 sh "$tmp/pod.sh" >"$tmp/pod$i.out" 2>&1 &
    pids="$pids $!"
    i=$((i + 1))
done
all=0
for p in $pids; do wait "$p" || all=1; done
[ $all -eq 0 ] && ok "the Indexed Job's command, as its $pods pods: exit 0" ||
    fail "the pods' command" "$(cat "$tmp"/pod*.out)"
check "the merge Job's command: the whole run, its thresholds held" 0 \
    "merged $pods of $pods shards" env DS="$ds" RESULTS="$tmp/results" sh "$tmp/merge.sh"
res=$("$ds" -e '
    local m = json.decode(io.open(arg[1]):read("a"))
    local at = require("load.start_at").epoch(arg[2])
    local ok = m.iterations.done == 80 and m.shard[1] == 1 and #m.shards == tonumber(arg[3])
      and math.abs(m.start - at) < 0.5 and m.options.start_at == at
    for _, t in ipairs(m.thresholds) do ok = ok and t.ok end
    print(ok and "yes" or "no: " .. m.iterations.done .. " done, start " .. tostring(m.start))' \
    "$tmp/results/merged.json" "$start" "$pods" 2>&1)
[ "$res" = yes ] && ok "merged.json: 80 iterations of $pods shards, started at the annotation's time" ||
    fail "merged.json" "$res"

done_tests
