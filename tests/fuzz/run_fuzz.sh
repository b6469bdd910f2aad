#!/bin/sh
# Builds the libFuzzer target for the server's routing, query and X-Delay
# parsing and /_stats output with clang straight from the server sources, then runs it for a bounded
# number of inputs; any crash, sanitizer report or failed check fails.
#   run_fuzz.sh SOURCE_DIR BUILD_DIR [RUNS] [MAX_SECONDS]
# Needs Debian's clang and libclang-rt-14-dev (tools/deps.sh --test).
set -eu
src=${1:?usage: run_fuzz.sh SOURCE_DIR BUILD_DIR [RUNS] [MAX_SECONDS]}
out=${2:?usage: run_fuzz.sh SOURCE_DIR BUILD_DIR [RUNS] [MAX_SECONDS]}/fuzz
runs=${3:-200000}
secs=${4:-120}
cc=${CLANG:-clang}

if ! command -v "$cc" >/dev/null 2>&1; then
    echo "run_fuzz.sh: $cc not found: apt-get install clang libclang-rt-14-dev" >&2
    exit 1
fi
mkdir -p "$out/corpus" "$out/artifacts"
s=$src/server
"$cc" -std=c11 -g -O1 -D_GNU_SOURCE \
    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Werror \
    -I "$s" -I "$s/include" $(pkg-config --cflags lua5.4) -o "$out/fuzz_api" "$src/tests/fuzz/fuzz_api.c" \
    "$s/api.c" "$s/route.c" "$s/respond.c" "$s/buf.c" "$s/utf8.c" "$s/store.c" \
    "$s/store_build.c" "$s/seed.c" "$s/plan.c" "$s/fault.c" "$s/dist.c" "$s/rng.c" \
    "$s/stats.c" "$s/dhist.c" "$s/phist.c" "$s/session.c" "$s/login_body.c" \
    "$s/clock.c" $(pkg-config --libs lua5.4-cjson lua5.4 libmicrohttpd) -lm

# New inputs go to the build tree's corpus (first directory); the seed
# corpus in the source tree, regression inputs included, is only read.
# Every seed runs first, so a regression input that crashes fails here.
"$out/fuzz_api" -runs="$runs" -max_total_time="$secs" -max_len=4096 -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$out/artifacts/" \
    "$out/corpus" "$src/tests/fuzz/corpus"
