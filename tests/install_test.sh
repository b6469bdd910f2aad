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
check "installed: --help names PREFIX/share/dockscript" 0 "prefix/bin/\.\./share/dockscript$" "$ds" --help
check "installed: bench.lua runs from /" 0 "^Results identical: yes$" \
    sh -c "cd / && '$ds' bench.lua --names 3 --delay 0.01 --quiet"
check "installed: require \"docking\" from -e" 0 "^function$" \
    sh -c "cd / && '$ds' -e 'print(type(require(\"docking\").customers_of))'"
done_tests
