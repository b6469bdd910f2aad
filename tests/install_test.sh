#!/bin/sh
# `cmake --install` into a temporary prefix: the installed binary finds its
# bundled scripts under PREFIX/share/dockscript, from any directory.
# usage: install_test.sh BUILD_DIR
set -u
build=$(realpath "$1")
ds=/nonexistent
. "$(dirname "$0")/lib.sh"
check "cmake --install --prefix" 0 "" cmake --install "$build" --prefix "$tmp/prefix"
ds=$tmp/prefix/bin/dockscript
prefix=$(realpath "$tmp/prefix")
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
