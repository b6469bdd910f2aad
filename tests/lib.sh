# Shared by the shell test suites: sourced after setting `ds` (the
# dockscript binary). Gives a temp dir, ok/fail/check/lines that count and
# report, serve_start for a `dockscript serve` in the background, and done.
tmp=$(mktemp -d)
serve_pid=
trap '[ -n "$serve_pid" ] && kill -9 $serve_pid 2>/dev/null; rm -rf "$tmp"' EXIT INT TERM
fails=0
n=0

ok() { n=$((n + 1)); echo "ok   $1"; }

# fail NAME [OUTPUT]
fail() {
    n=$((n + 1))
    fails=$((fails + 1))
    echo "FAIL $1"
    [ -n "${2:-}" ] && printf '%s\n' "$2" | sed 's/^/  /'
    return 0
}

# check NAME WANT_CODE PATTERN(stdout+stderr, grep -E) COMMAND...
check() {
    name=$1 want=$2 pattern=$3
    shift 3
    out=$(timeout 30 "$@" 2>&1)
    code=$?
    if [ "$code" -ne "$want" ]; then
        fail "$name: exit $code, want $want" "$out"
    elif ! printf '%s\n' "$out" | grep -Eq -- "$pattern"; then
        fail "$name: output does not match /$pattern/" "$out"
    else
        ok "$name"
    fi
}

# jcheck NAME FILE LUA-CONDITION [OTHER]: the condition holds for j, the
# decoded JSON file (and s, the decoded OTHER file, when given).
jcheck() {
    res=$("$ds" -e '
        local j = json.decode(io.open(arg[1]):read("a"))
        local s = arg[3] ~= "" and json.decode(io.open(arg[3]):read("a")) or nil
        local f = assert(load("local j, s = ...; return " .. arg[2]))
        print(f(j, s) and "yes" or "no")' "$2" "$3" "${4:-}" 2>&1)
    [ "$res" = yes ] && ok "$1" || fail "$1: $3: $res" "$(head -c 2000 "$2")"
}

# lines NAME COUNT COMMAND...: the command's stderr has exactly COUNT lines
lines() {
    name=$1 want=$2
    shift 2
    got=$(timeout 30 "$@" 2>&1 >/dev/null | wc -l)
    [ "$got" -eq "$want" ] && ok "$name" || fail "$name: $got stderr lines, want $want"
}

# serve_start ARGS...: runs `dockscript serve --port 0 ARGS` in the
# background; sets serve_url and serve_pid, or exits if it does not start
# within 10 s.
# Each server writes its own file: the shell truncates a reused one only
# once the new process runs, so a wait could read the previous server's URL.
serve_start() {
    serve_n=$((${serve_n:-0} + 1))
    serve_out=$tmp/serve.$serve_n.out
    "$ds" serve --port 0 "$@" >"$serve_out" 2>&1 &
    serve_pid=$!
    i=0
    until grep -q "http://" "$serve_out" || [ $i -ge 100 ]; do sleep 0.1; i=$((i + 1)); done
    serve_url=$(grep -o 'http://[0-9.:]*' "$serve_out" | head -n 1)
    [ -n "$serve_url" ] || { echo "dockscript serve did not start: $(cat "$serve_out")"; exit 1; }
}

# interrupted AFTER OUT CMD...: runs CMD in the background (output to OUT),
# sends SIGINT after AFTER seconds (a list: "1.5 0.5" sends a second one
# 0.5 s later), waits at most 20 s for it to end; sets code.
interrupted() {
    after=$1 out=$2
    shift 2
    "$@" >"$out" 2>&1 &
    ipid=$!
    for s in $after; do
        sleep "$s"
        kill -INT $ipid
    done
    timeout 20 sh -c "while kill -0 $ipid 2>/dev/null; do sleep 0.1; done"
    wait $ipid
    code=$?
}

# done_tests: the summary line and the exit status
done_tests() {
    echo "$((n - fails)) passed, $fails failed"
    [ "$fails" -eq 0 ] && [ "$n" -gt 0 ]
}
