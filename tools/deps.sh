#!/bin/sh
# Installs what dockscript needs from Debian 12's packages (and Dredd from
# npm), skipping what is already there. Run as root (or it uses sudo).
#   tools/deps.sh           build + run the experiment
#   tools/deps.sh --test    also what every test needs (Java for hist_compat,
#                             Dredd for server_dredd, valgrind, clang, nginx
#                             and nghttpd for the TLS and HTTP/2 tests, ...)
#   tools/deps.sh --bench   also what tools/bench/ runs (curl, wrk, hey,
#                             nginx, uWSGI + Flask, aiohttp, /usr/bin/time, ss)
# A step that fails prints its error, then what failed and how to retry.
# No system service is left enabled or running that was not before (the
# nginx, slurm-wlm and munge packages enable and start theirs; the
# benchmarks and the slurm test run their own).
set -eu
cd "$(dirname "$0")/.."

usage() { echo "usage: tools/deps.sh [--test] [--bench]" >&2; exit 2; }
say() { echo "deps.sh: $*"; }
sudo=
[ "$(id -u)" -eq 0 ] || sudo=sudo

# step WHAT COMMAND...: runs COMMAND; when it fails, its own error is above:
# says what failed and the command to retry, and exits 1.
step() {
    what=$1
    shift
    "$@" && return 0
    rc=$?
    say "$what failed (exit $rc): $*" >&2
    say "fix the cause above, then retry: $* (or tools/deps.sh $args)" >&2
    exit 1
}

# --- Debian packages, by who needs them ---------------------------------------
packages_build() {
    echo cmake pkg-config gcc make
    echo liblua5.4-dev lua-cjson-dev lua-argparse        # Lua 5.4, its JSON, the scripts' options
    echo libcurl4-openssl-dev libmicrohttpd-dev zlib1g-dev
    echo libcsv-dev                                      # load.data: CSV data files (RFC 4180)
    echo libgnutls28-dev                                 # serve --tls-self-signed: the key and certificate
    echo libssl-dev                                      # r.tls: the TLS version and cipher of curl's OpenSSL
    echo libjs-chart.js                                  # report.lua, --html: Chart.js, inlined in the page
    echo man-db                                          # `man dockscript` after cmake --install
}

packages_test() {
    echo python3 python3-requests python3-aiohttp        # tests/server/*.py (Debian's /usr/bin/python3)
    echo python3-yaml                                    # k8s_manifest: docs/k8s-load-job.yaml is read
    echo python3-kubernetes                              # k8s_manifest: the Jobs against the V1Job models
    echo slurm-wlm munge                                 # slurm: slurmctld + slurmd + munged on localhost
    echo chromium                                        # report_browser: the report pages in headless Chromium
    echo valgrind                                        # memcheck
    echo clang libclang-rt-14-dev                        # server_fuzz, hist_fuzz (libFuzzer)
    echo gnuplot-nox                                     # plot, bench, load: plot.lua
    echo openjdk-17-jre-headless libhdrhistogram-java    # hist_compat: HdrHistogram's Java implementation
    echo curl wrk hey iproute2                           # doc_examples: the docs' curl and bench_client.sh
                                                         # --url examples; ip for its namespaces
    echo groff-base man-db                               # man_page (groff -ww), install (man -w)
    echo prometheus                                      # server_metrics: promtool check metrics
    echo openssl                                         # server_tls, tls_peers: test keys and certificates
    echo nginx-light                                     # tls_peers: TLS, mutual TLS, HTTP/2 peer
    echo nghttp2-server                                  # tls_peers: nghttpd, the h2c peer
    command -v npm >/dev/null 2>&1 || echo nodejs npm    # server_dredd: Dredd comes from npm
}

packages_bench() {
    echo curl                                            # every bench_*.sh checks its target's answer
    echo wrk hey                                         # the reference load generators
    echo nginx-light                                     # the static-file ceiling, on its own port
    echo uwsgi-core uwsgi-plugin-python3 python3-flask   # bench_server.sh: the original Flask app
    echo python3 python3-aiohttp                         # bench_client.sh: the aiohttp client
    echo time                                            # /usr/bin/time: the client's peak RSS
    echo iproute2                                        # ss: bench_load.sh waits out TIME_WAIT
    echo gnuplot-nox                                     # plot.lua of bench.lua --json
}

# --- services -------------------------------------------------------------------
# While apt installs, /usr/sbin/policy-rc.d (the hook invoke-rc.d and
# deb-systemd-invoke ask, with or without systemd running) denies every
# start; an existing one is put back afterwards. Then each service the
# install enabled is disabled again, and stopped should it run: it came
# with a package that was not installed, so it neither ran nor was enabled.
policy=/usr/sbin/policy-rc.d
ours='' saved_policy=''

deny_service_starts() {
    ours=1
    if [ -e "$policy" ]; then
        saved_policy=$policy.deps-sh-saved
        $sudo mv "$policy" "$saved_policy"
    fi
    printf '#!/bin/sh\n# tools/deps.sh: no service starts while it installs packages\nexit 101\n' >"$tmpdir/policy"
    $sudo install -m 755 "$tmpdir/policy" "$policy"
}

restore_service_policy() {
    [ -n "$ours" ] || return 0
    $sudo rm -f "$policy"
    if [ -n "$saved_policy" ]; then $sudo mv "$saved_policy" "$policy"; fi
    ours='' saved_policy=''
}

# The services enabled at boot, one a line: systemd's wants links and SysV's S links.
enabled_services() {
    {
        ls /etc/systemd/system/*.wants/ 2>/dev/null | sed -n 's/\.service$//p'
        ls /etc/rc2.d /etc/rc3.d /etc/rc4.d /etc/rc5.d 2>/dev/null | sed -n 's/^S[0-9][0-9]//p'
    } | sort -u
}

disable_service() { # name
    say "$1: the install enabled this service; disabling it"
    if command -v systemctl >/dev/null 2>&1; then
        $sudo systemctl disable --quiet "$1" 2>/dev/null || true # offline without systemd; SysV links too
    else
        $sudo deb-systemd-helper disable "$1.service" 2>/dev/null || true
    fi
    if [ -x "/etc/init.d/$1" ]; then $sudo update-rc.d "$1" disable >/dev/null 2>&1 || true; fi
    if [ -d /run/systemd/system ]; then
        if systemctl is-active --quiet "$1"; then say "$1: running; stopping it"; $sudo systemctl stop "$1"; fi
    elif [ -x "/etc/init.d/$1" ] && "/etc/init.d/$1" status >/dev/null 2>&1; then
        say "$1: running; stopping it"
        $sudo "/etc/init.d/$1" stop >/dev/null
    fi
}

# install_packages PACKAGE...: apt-get install, no service left behind.
install_packages() {
    say "installing: $*"
    step "apt-get update" $sudo apt-get update -qq
    before=$(enabled_services)
    deny_service_starts
    step "apt-get install" $sudo env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends "$@"
    restore_service_policy
    for s in $(enabled_services); do
        printf '%s\n' "$before" | grep -qxF "$s" || disable_service "$s"
    done
}

# --- npm ------------------------------------------------------------------------
# Dredd, the API Blueprint contract tester, pinned, into the source tree
# (gitignored); tests/server/dredd_test.sh runs it from there.
install_dredd() {
    [ -x .dredd/node_modules/.bin/dredd ] && return 0
    say "installing dredd@14.1.0 into .dredd/"
    step "npm install of Dredd" npm install --no-audit --no-fund --loglevel=error --prefix .dredd dredd@14.1.0
}

# --- main -------------------------------------------------------------------------
args="$*"
test='' bench=''
for a in "$@"; do
    case $a in
    --test) test=1 ;;
    --bench) bench=1 ;;
    *) usage ;;
    esac
done
tmpdir=$(mktemp -d)
trap 'restore_service_policy; rm -rf "$tmpdir"' EXIT
trap 'exit 130' INT TERM

want=$({ packages_build; [ -z "$test" ] || packages_test; [ -z "$bench" ] || packages_bench; } |
    tr -s ' ' '\n' | sed '/^$/d' | sort -u)
missing=
for p in $want; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    # shellcheck disable=SC2086 # a list of package names
    install_packages $missing
fi
if [ -n "$test" ]; then install_dredd; fi
say "ok: what ${args:-the build} needs is installed"
