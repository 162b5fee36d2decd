#!/usr/bin/env bash
# From a fresh Debian 12 machine to the main job: install what is missing,
# build, fetch the default model, and chat with it in the terminal.
# Extra arguments go to `edgeinfer run` (e.g. -p "Hello" for one answer).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$(nproc 2>/dev/null || echo 2)" >/dev/null
models/fetch.sh smollm2-135m >&2
exec build/bin/edgeinfer run -m "$(models/fetch.sh --path smollm2-135m)" "$@"
