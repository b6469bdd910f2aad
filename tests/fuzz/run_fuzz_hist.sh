#!/bin/sh
# Builds the libFuzzer target for the histogram decoder (fuzz_hist.c) with
# clang from src/hist*.c, then runs it for a bounded number of inputs; any
# crash, sanitizer report or failed check fails.
#   run_fuzz_hist.sh SOURCE_DIR BUILD_DIR [RUNS] [MAX_SECONDS]
# Needs Debian's clang, libclang-rt-14-dev and zlib1g-dev.
set -eu
src=${1:?usage: run_fuzz_hist.sh SOURCE_DIR BUILD_DIR [RUNS] [MAX_SECONDS]}
out=${2:?usage: run_fuzz_hist.sh SOURCE_DIR BUILD_DIR [RUNS] [MAX_SECONDS]}/fuzz_hist
runs=${3:-200000}
secs=${4:-60}
cc=${CLANG:-clang}

if ! command -v "$cc" >/dev/null 2>&1; then
    echo "run_fuzz_hist.sh: $cc not found: apt-get install clang libclang-rt-14-dev" >&2
    exit 1
fi
mkdir -p "$out/corpus" "$out/artifacts"
"$cc" -std=c11 -g -O1 -D_GNU_SOURCE \
    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Werror \
    -I "$src/src" -o "$out/fuzz_hist" "$src/tests/fuzz/fuzz_hist.c" \
    "$src/src/hist/hist.c" "$src/src/hist/hist_codec.c" -lz -lm

# New inputs go to the build tree's corpus; the seeds are only read.
"$out/fuzz_hist" -runs="$runs" -max_total_time="$secs" -max_len=8192 -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$out/artifacts/" \
    "$out/corpus" "$src/tests/fuzz/corpus_hist"
