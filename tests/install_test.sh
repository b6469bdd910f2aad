#!/bin/sh
# `cmake --install` into a temporary prefix: exactly the binary, the README
# and scripts/ (under PREFIX/share/dockscript) are installed, and the
# installed binary finds its bundled scripts there, from any directory.
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
# file and folder, nothing else there), and outside it the binary and the
# README only (nothing of tools/ or tests/).
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
printf '%s\n' bin/dockscript share/doc/dockscript/README.md >"$tmp/want"
listing "$prefix" | grep -v '/$' | grep -v '^share/dockscript/' >"$tmp/got"
cmp -s "$tmp/want" "$tmp/got" && ok "installed: besides the scripts, only bin/dockscript and the README" ||
    fail "installed: besides the scripts, other files than bin/dockscript and the README" "$(cat "$tmp/got")"
[ -x "$ds" ] && ok "installed: bin/dockscript is executable" || fail "installed: bin/dockscript is not executable"
check "installed: --help names PREFIX/share/dockscript, a clean path" 0 "^  $prefix/share/dockscript$" "$ds" --help
check "installed: --help points at the installed README" 0 "^Documentation: $prefix/share/doc/dockscript/README\.md$" \
    "$ds" --help
cmp -s "$prefix/share/doc/dockscript/README.md" "$(dirname "$0")/../README.md" &&
    ok "installed: README.md in PREFIX/share/doc/dockscript" || fail "installed: README.md missing"
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
