#!/bin/sh
# The layers of the C tree, checked on the includes of src/ and server/ (the
# rules of docs/design.md, "Layout"): each broken rule prints FILE:LINE and what it
# broke. Rules:
#   core       src/core includes no Lua header (lua.h, lauxlib.h, lualib.h,
#              luaconf.h, lua-cjson.h) and no "lua/..." or "load/..." header
#   hist       src/hist likewise
#   load       src/load includes no Lua header and no "lua/..." header
#   cycles     no cycle among the headers of src/ and server/ (quoted includes)
#   by-folder  no header of a src/ subfolder included by bare name ("sched.h"
#              for "core/sched.h": with src/ the one include directory, a
#              bare name can fall through to a system header)
# First each rule is shown to fire: violations of it are planted in copies of
# the tree and the check must name each. Then the real tree must pass the
# rules of --rules (all by default).
# usage: layers_test.sh [--rules LIST] SOURCE_DIR     (LIST: comma-separated)
#        layers_test.sh --check [--rules LIST] DIR    (only check DIR)
set -u
all_rules=core,hist,load,cycles,by-folder
only_check=
rules=$all_rules
while [ $# -gt 1 ]; do
    case $1 in
    --check) only_check=1; shift ;;
    --rules) rules=$2; shift 2 ;;
    *) break ;;
    esac
done
[ $# -eq 1 ] && [ -d "$1/src" ] || { echo "usage: layers_test.sh [--check] [--rules LIST] SOURCE_DIR" >&2; exit 2; }
for r in $(echo "$rules" | tr , ' '); do
    case ,$all_rules, in *,$r,*) ;; *) echo "layers_test.sh: unknown rule '$r' (rules: $all_rules)" >&2; exit 2 ;; esac
done

# check_tree DIR RULES: prints every violation as FILE:LINE: message (FILE
# relative to DIR); status 1 when there is any.
check_tree() (
    cd "$1" || exit 2
    # every header of the tree, then every include as FILE LINE KIND NAME
    find src server -name '*.h' | sort >"$tmp/headers"
    find src server -name '*.[ch]' | sort | xargs awk '
        match($0, /^[ \t]*#[ \t]*include[ \t]*[<"][^>"]+[>"]/) {
            s = substr($0, RSTART, RLENGTH)
            sub(/^[^<"]*/, "", s)
            kind = substr(s, 1, 1) == "<" ? "angle" : "quote"
            print FILENAME, FNR, kind, substr(s, 2, length(s) - 2)
        }' >"$tmp/includes"
    awk -v rules=",$2," '
        # the headers: all of them, in order, and the src/ subfolder of each
        FNR == NR {
            header[$1] = 1
            order[++nh] = $1
            if (split($1, p, "/") == 3 && p[1] == "src") sub_of[p[3]] = p[2]
            next
        }
        function bad(file, line, msg) { print file ":" line ": " msg; found = 1 }
        function lua_header(name,   b) { b = name; sub(/.*\//, "", b); return b ~ /^(lua|lauxlib|lualib|luaconf|lua-cjson)\.h$/ }
        function dir_of(f,   d) { d = f; sub(/\/[^\/]*$/, "", d); return d }
        # where the compiler finds a quoted include: the folder of the file
        # that includes it, src/ (dockscript compiles server/include/ too
        # with -I src), server/ for the files of server/, server/include/
        function resolve(f, name,   d) {
            d = dir_of(f)
            if ((d "/" name) in header) return d "/" name
            if (("src/" name) in header) return "src/" name
            if (f ~ /^server\// && ("server/" name) in header) return "server/" name
            if (("server/include/" name) in header) return "server/include/" name
            return ""
        }
        {
            file = $1; line = $2; kind = $3; name = $4
            split(file, p, "/")
            layer = p[1] == "src" && p[3] != "" ? p[2] : ""
            if ((layer == "core" || layer == "hist") && index(rules, "," layer ",")) {
                if (lua_header(name))
                    bad(file, line, "includes the Lua header " name ": src/" layer " is Lua-free")
                else if (kind == "quote" && name ~ /^(lua|load)\//)
                    bad(file, line, "includes \"" name "\": src/" layer " depends on no binding and no load run")
            }
            if (layer == "load" && index(rules, ",load,")) {
                if (lua_header(name))
                    bad(file, line, "includes the Lua header " name ": src/load is Lua-free")
                else if (kind == "quote" && name ~ /^lua\//)
                    bad(file, line, "includes \"" name "\": src/load depends on no binding")
            }
            if (kind != "quote")
                next
            if (index(rules, ",by-folder,") && name !~ /\// && (name in sub_of) && !(("src/" name) in header) &&
                !(dir_of(file) ~ /^server/ && resolve(file, name) != ""))
                bad(file, line, "includes \"" name "\" by bare name: write \"" sub_of[name] "/" name "\"")
            if (file ~ /\.h$/ && (to = resolve(file, name)) != "") {
                edges[file] = edges[file] SUBSEP to SUBSEP line
                nodes[file] = 1
            }
        }
        # the cycle path[k..depth], each step with the line of its include,
        # told from its first file in sort order
        function cycle(k,   n, j, m, q, msg) {
            n = depth - k + 1
            m = 0
            for (j = 1; j < n; j++) if (path[k + j] < path[k + m]) m = j
            msg = "include cycle:"
            for (j = 0; j < n; j++) { q = k + (m + j) % n; msg = msg " " path[q] ":" at[q] " ->" }
            bad(path[k + m], at[k + m], msg " " path[k + m])
        }
        # depth-first; a grey header reached again closes a cycle
        function visit(h,   n, e, i, k) {
            color[h] = 1
            path[++depth] = h
            n = split(substr(edges[h], 2), e, SUBSEP)
            for (i = 1; i < n; i += 2) {
                at[depth] = e[i + 1]
                if (color[e[i]] == 1) {
                    for (k = depth; path[k] != e[i]; k--) ;
                    cycle(k)
                } else if (!color[e[i]])
                    visit(e[i])
            }
            depth--
            color[h] = 2
        }
        END {
            if (index(rules, ",cycles,"))
                for (i = 1; i <= nh; i++) if ((order[i] in nodes) && !color[order[i]]) visit(order[i])
            exit found
        }' "$tmp/headers" "$tmp/includes"
)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
src=$(cd "$1" && pwd)
if [ -n "$only_check" ]; then
    check_tree "$src" "$rules"
    exit
fi

fails=0
ok() { echo "ok   $1"; }
fail() { echo "FAIL $1"; [ -n "${2:-}" ] && printf '%s\n' "$2" | sed 's/^/  /'; fails=$((fails + 1)); }

# fresh: a copy of src/ and server/ to plant in; add FILE LINE...: appends
# the LINEs to the copy's FILE (created if new); expect RULE WANT: the check
# of RULE alone fails and prints WANT (a fixed string, FILE:LINE: ...).
fresh() { rm -rf "$tmp/copy" && mkdir -p "$tmp/copy" && cp -R "$src/src" "$src/server" "$tmp/copy/"; }
add() {
    f=$tmp/copy/$1
    shift
    mkdir -p "$(dirname "$f")"
    printf '%s\n' "$@" >>"$f"
}
expect() {
    out=$(check_tree "$tmp/copy" "$1" 2>&1)
    code=$?
    if [ $code -ne 1 ]; then
        fail "$1 fires: exit $code, want 1 and '$2'" "$out"
    elif ! printf '%s\n' "$out" | grep -qF -- "$2"; then
        fail "$1 fires: no line '$2'" "$out"
    else
        ok "$1 fires: $2"
    fi
}
plant() { # RULE FILE WANT LINE...
    fresh
    r=$1 f=$2 w=$3
    shift 3
    add "$f" "$@"
    expect "$r" "$w"
}
next_line() { echo $(($(wc -l <"$src/$1") + 1)); }

n=$(next_line src/hist/hist.c)
plant hist src/hist/hist.c "src/hist/hist.c:$n: includes the Lua header lua.h" '#include <lua.h>'
plant hist src/hist/hist.c "src/hist/hist.c:$n: includes the Lua header lua-cjson.h" '#include "lua-cjson.h"'
plant hist src/hist/hist.c "src/hist/hist.c:$n: includes \"load/runner.h\"" '#include "load/runner.h"'
n=$(next_line src/core/grow.c)
plant core src/core/grow.c "src/core/grow.c:$n: includes the Lua header lauxlib.h" '  #  include <lauxlib.h>'
plant core src/core/grow.c "src/core/grow.c:$n: includes \"lua/rt.h\"" '#include "lua/rt.h"'
plant core src/core/new.h "src/core/new.h:2: includes the Lua header luaconf.h" '#pragma once' '#include <luaconf.h>'
plant core src/core/new.h "src/core/new.h:1: includes the Lua header lua5.4/lualib.h" '#include <lua5.4/lualib.h>'
n=$(next_line src/load/runner.c)
plant load src/load/runner.c "src/load/runner.c:$n: includes the Lua header lualib.h" '#include <lualib.h>'
plant load src/load/runner.c "src/load/runner.c:$n: includes \"lua/task.h\"" '#include "lua/task.h"'
plant by-folder src/load/new.c 'src/load/new.c:2: includes "sched.h" by bare name: write "core/sched.h"' \
    '#include "load/runner.h"' '#include "sched.h"'
plant by-folder src/main2.c 'src/main2.c:1: includes "hist.h" by bare name: write "hist/hist.h"' '#include "hist.h"'
plant by-folder server/new.c 'server/new.c:1: includes "grow.h" by bare name: write "core/grow.h"' '#include "grow.h"'
n=$(next_line src/core/grow.h)
plant cycles src/core/grow.h "src/core/grow.h:$n: include cycle: src/core/grow.h:$n -> src/core/grow.h" \
    '#include "core/grow.h"'
n=$(next_line src/hist/hist.h)
plant cycles src/hist/hist.h "include cycle: src/hist/hist.h:$n -> src/hist/hist_impl.h:" '#include "hist/hist_impl.h"'
# server headers by bare name from their own folder
fresh
add server/clock.h '#include "buf.h"'
add server/buf.h '#include "clock.h"'
expect cycles "include cycle: server/buf.h:$(next_line server/buf.h) -> server/clock.h:$(next_line server/clock.h) -> server/buf.h"
# three headers through src/ and server/include
fresh
add src/lua/lsys.h '#include "lua/opts.h"'
add src/lua/opts.h '#include "server.h"'
add server/include/server.h '#include "lua/lsys.h"'
expect cycles "server/include/server.h:$(next_line server/include/server.h): include cycle: server/include/server.h:$(next_line server/include/server.h) -> src/lua/lsys.h:$(next_line src/lua/lsys.h) -> src/lua/opts.h:$(next_line src/lua/opts.h) -> server/include/server.h"

# The real tree.
out=$(check_tree "$src" "$rules" 2>&1)
code=$?
[ $code -eq 0 ] && ok "the tree passes $rules" || fail "the tree breaks a layer rule ($rules)" "$out"
echo "$fails failed"
[ $fails -eq 0 ]
