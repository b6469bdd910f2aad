#!/bin/sh
# Installs what dockscript needs from Debian 12's packages, skipping what is
# already there. Run as root (or it uses sudo).
#   tools/deps.sh           build + run the experiment
#   tools/deps.sh --test    also what the test suite needs (incl. Dredd from npm;
#                             hist_compat also uses the machine's java if present)
#   tools/deps.sh --bench   also what the benchmark scripts need
set -eu
cd "$(dirname "$0")/.."

build="cmake pkg-config gcc make liblua5.4-dev lua-cjson-dev lua-argparse libcurl4-openssl-dev libmicrohttpd-dev zlib1g-dev"
test="gnuplot-nox libhdrhistogram-java python3 python3-requests python3-aiohttp python3-flask python3-yaml uwsgi-core uwsgi-plugin-python3 valgrind clang libclang-rt-14-dev"
bench="wrk hey nginx-light hyperfine gnuplot-nox python3-aiohttp python3-flask uwsgi-core uwsgi-plugin-python3 time"

want=$build
for a in "$@"; do
    case $a in
    --test) want="$want $test" ;;
    --bench) want="$want $bench" ;;
    *) echo "usage: tools/deps.sh [--test] [--bench]" >&2; exit 2 ;;
    esac
done
case " $* " in *" --test "*) command -v npm >/dev/null 2>&1 || want="$want nodejs npm" ;; esac

missing=
for p in $want; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
sudo=
[ "$(id -u)" -eq 0 ] || sudo=sudo
if [ -n "$missing" ]; then
    echo "installing:$missing"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing
fi

# Dredd, the API Blueprint contract tester, pinned, into the source tree
# (gitignored); tests/server/dredd_test.sh runs it from there.
case " $* " in
*" --test "*)
    if [ ! -x .dredd/node_modules/.bin/dredd ]; then
        echo "installing dredd@14.1.0 into .dredd/"
        npm install --silent --no-audit --no-fund --prefix .dredd dredd@14.1.0
    fi ;;
esac
