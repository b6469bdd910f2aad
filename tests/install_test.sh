#!/bin/sh
# `cmake --install` into a temporary prefix: exactly the binary, the README,
# the man page and scripts/ (under PREFIX/share/dockscript) are installed,
# the installed binary finds its bundled scripts there, from any directory,
# and `man dockscript` finds the page for PREFIX/bin on PATH.
# usage: install_test.sh BUILD_DIR
set -u
build=$(realpath "$1")
ds=/nonexistent
. "$(dirname "$0")/lib.sh"
check "cmake --install --prefix" 0 "" cmake --install "$build" --prefix "$tmp/prefix"
ds=$tmp/prefix/bin/dockscript
prefix=$(realpath "$tmp/prefix")
src=$(cd "$(dirname "$0")/.." && pwd)

# What is installed: scripts/ as it is under PREFIX/share/dockscript (every
# file and folder, nothing else there), and outside it the binary, the
# README and the man page only (nothing of tools/ or tests/).
listing() { (cd "$1" && find . | sed 's|^\./||' | sort | while read -r f; do
    [ "$f" = . ] && continue
    if [ -d "$f" ]; then echo "$f/"; else echo "$f"; fi
done); }
listing "$src/scripts" >"$tmp/want"
listing "$prefix/share/dockscript" >"$tmp/got"
cmp -s "$tmp/want" "$tmp/got" &&
    ok "installed: PREFIX/share/dockscript holds exactly scripts/ ($(grep -cv '/$' "$tmp/want") files)" ||
    fail "installed: PREFIX/share/dockscript is not scripts/ (< only in scripts/, > only installed)" \
        "$(diff "$tmp/want" "$tmp/got" | grep '^[<>]')"
bad=$(cd "$src/scripts" && find . -type f | while read -r f; do
    cmp -s "$f" "$prefix/share/dockscript/$f" || echo "${f#./}"; done)
[ -z "$bad" ] && ok "installed: every script with the content of its source" ||
    fail "installed: scripts whose content differs from scripts/" "$bad"
printf '%s\n' bin/dockscript share/doc/dockscript/README.md share/man/man1/dockscript.1 >"$tmp/want"
listing "$prefix" | grep -v '/$' | grep -v '^share/dockscript/' >"$tmp/got"
cmp -s "$tmp/want" "$tmp/got" && ok "installed: besides the scripts, only bin/dockscript, the README and the man page" ||
    fail "installed: besides the scripts, other files than bin/dockscript, the README and the man page" \
        "$(diff "$tmp/want" "$tmp/got" | grep '^[<>]')"
[ -x "$ds" ] && ok "installed: bin/dockscript is executable" || fail "installed: bin/dockscript is not executable"
check "installed: --help names PREFIX/share/dockscript, a clean path" 0 "^  $prefix/share/dockscript$" "$ds" --help
check "installed: --help points at the installed README" 0 "^Documentation: $prefix/share/doc/dockscript/README\.md$" \
    "$ds" --help
cmp -s "$prefix/share/doc/dockscript/README.md" "$(dirname "$0")/../README.md" &&
    ok "installed: README.md in PREFIX/share/doc/dockscript" || fail "installed: README.md missing"
cmp -s "$prefix/share/man/man1/dockscript.1" "$src/docs/dockscript.1" &&
    ok "installed: docs/dockscript.1 in PREFIX/share/man/man1" || fail "installed: the man page missing or different"
# man(1) maps PREFIX/bin on PATH to PREFIX/share/man: no MANPATH needed.
check "installed: man -w dockscript finds PREFIX's page from PATH alone" 0 \
    "^$prefix/share/man/man1/dockscript\.1$" env -u MANPATH PATH="$prefix/bin:$PATH" man -w dockscript
check "installed: man -w dockscript finds it through MANPATH" 0 "^$prefix/share/man/man1/dockscript\.1$" \
    env MANPATH="$prefix/share/man" man -w dockscript
check "installed: man dockscript renders the page" 0 "^DOCKSCRIPT\(1\) .*User Commands" \
    env -u MANPATH PATH="$prefix/bin:$PATH" MANPAGER=cat MANWIDTH=80 man dockscript
check "installed: bench.lua finds lua-argparse and the cli helper" 0 "^Usage: dockscript bench.lua" \
    sh -c "cd / && '$ds' bench.lua --help"
check "installed: DOCKSCRIPT_SCRIPTS replaces the scripts folder" 1 \
    "^dockscript: cannot open bench.lua: not in the current directory \(/\) nor in the scripts folder /nonexistent \(from DOCKSCRIPT_SCRIPTS\)$" \
    sh -c "cd / && DOCKSCRIPT_SCRIPTS=/nonexistent '$ds' bench.lua"
check "installed: bench.lua runs from /" 0 "^Results identical: yes$" \
    sh -c "cd / && '$ds' bench.lua --names 3 --delay 0.01 --quiet"
check "installed: require \"docking\" from -e" 0 "^function$" \
    sh -c "cd / && '$ds' -e 'print(type(require(\"docking\").customers_of))'"
done_tests
