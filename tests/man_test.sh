#!/bin/sh
# The man page docs/dockscript.1: groff renders it without a single warning
# (-ww), every bundled script (scripts/*.lua) and bundled scenario has its
# entry, and every option of `dockscript serve --help` is described.
# usage: man_test.sh SOURCE_DIR DOCKSCRIPT
set -u
src=$(realpath "$1")
ds=$2
. "$(dirname "$0")/lib.sh"
page=$src/docs/dockscript.1

command -v groff >/dev/null 2>&1 || { fail "groff not found: apt-get install groff-base"; done_tests; exit; }
timeout 30 groff -man -Tutf8 -ww -z "$page" >"$tmp/warnings" 2>&1
code=$?
[ "$code" -eq 0 ] && [ ! -s "$tmp/warnings" ] && ok "groff -man -ww renders it without a warning" ||
    fail "groff -man -ww: exit $code, warnings:" "$(cat "$tmp/warnings")"
timeout 30 groff -man -Tutf8 "$page" 2>/dev/null | sed 's/.\x08//g' >"$tmp/text"
for section in NAME SYNOPSIS DESCRIPTION COMMANDS "BUNDLED SCRIPTS" OPTIONS "EXIT STATUS" \
    ENVIRONMENT FILES "SEE ALSO"; do
    grep -q "^$section\$" "$tmp/text" && ok "section $section" || fail "no section $section"
done

# The source of one section (from its .SH to the next).
section() { awk -v s=".SH $1" '$0 == s || $0 == ".SH \"" substr(s, 5) "\"" {on = 1; next}
    /^\.SH / {on = 0} on' "$page"; }
section "BUNDLED SCRIPTS" >"$tmp/bundled"
[ -s "$tmp/bundled" ] || fail "no .SH BUNDLED SCRIPTS in the source"
for f in "$src"/scripts/*.lua; do
    name=$(basename "$f")
    grep -q "^\.B $name\( \|$\)" "$tmp/bundled" && ok "BUNDLED SCRIPTS: an entry for $name" ||
        fail "BUNDLED SCRIPTS: no entry (.TP / .B $name) for scripts/$name"
done
for f in "$src"/scripts/scenarios/*.lua; do
    name=$(basename "$f")
    grep -q "$name" "$tmp/bundled" && ok "BUNDLED SCRIPTS: the scenario $name named" ||
        fail "BUNDLED SCRIPTS: the bundled scenario $name is not named"
done

# serve's options as its --help lists them, each with an entry under OPTIONS.
section OPTIONS >"$tmp/options"
opts=$("$ds" serve --help | grep -o -- '--[a-z][a-z-]*' | sort -u)
[ -n "$opts" ] || fail "dockscript serve --help lists no option"
for o in $opts; do
    roff=$(printf '%s' "$o" | sed 's/-/\\\\-/g')
    grep -q "^\.[BIR]\{1,2\} \(.* \)\{0,1\}$roff\( \|$\)" "$tmp/options" && ok "OPTIONS: serve $o" ||
        fail "OPTIONS: no entry for serve $o (a line .B $roff, .BI $roff ARG or .BR ... $roff)"
done
done_tests
