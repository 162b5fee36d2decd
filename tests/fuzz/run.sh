#!/usr/bin/env bash
# run.sh — build the GGUF fuzz target with clang and fuzz for a bounded time.
#
#   tests/fuzz/run.sh [SECONDS]        (default: $FUZZ_SECONDS, else 60)
#
# Builds into build-fuzz/ (CC=clang, -DEI_FUZZ=ON, tests off), copies the
# checked-in seeds from tests/fuzz/corpus/ into the scratch corpus
# tests/fuzz/corpus-run/ (git-ignored, kept between runs so coverage grows),
# and runs fuzz_gguf there. Exits non-zero if libFuzzer finds a crash, a
# leak, a timeout or an out-of-memory; the reproducer is left in
# build-fuzz/fuzz-artifacts/ (replay: build-fuzz/bin/fuzz_gguf FILE).
set -euo pipefail

seconds=${1:-${FUZZ_SECONDS:-60}}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=$root/build-fuzz
run_corpus=$here/corpus-run
artifacts=$build/fuzz-artifacts

# EI_WERROR=OFF in the environment lets a clang-only warning elsewhere not
# stop a fuzzing session.
CC=${CC:-clang} cmake -B "$build" -S "$root" -DEI_FUZZ=ON -DEI_BUILD_TESTS=OFF \
    -DEI_WERROR="${EI_WERROR:-ON}" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" --target fuzz_gguf -j"$(nproc)"

mkdir -p "$run_corpus" "$artifacts"
cp -n "$here"/corpus/* "$run_corpus"/ 2>/dev/null || true

# -rss_limit_mb: the reader's allocations are bounded by the input size, so
# a small input needing gigabytes is a bug. -timeout: no input may take
# seconds. Two workers at most: the build machines have two cores.
status=0
"$build/bin/fuzz_gguf" "$run_corpus" \
    -max_total_time="$seconds" -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$artifacts/" -print_final_stats=1 || status=$?

if [ "$status" -ne 0 ]; then
    echo "fuzz_gguf: failure (exit $status); reproducers in $artifacts:" >&2
    ls -l "$artifacts" >&2
    exit "$status"
fi
echo "fuzz_gguf: no crash in ${seconds}s; corpus in $run_corpus"
