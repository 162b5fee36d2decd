#!/usr/bin/env bash
# Write the random-weight test models into BUILD_DIR/models (they are not
# kept in git: a few MB each, and the same bytes come back from the same
# script and seed). The parity goldens in tests/data/ were recorded by
# llama.cpp on exactly these bytes; their SHA-256 are checked here.
#   usage: scripts/make_test_models.sh BUILD_DIR
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:?usage: make_test_models.sh BUILD_DIR}/models
venv=${EDGEINFER_HOME:-$HOME/.cache/edgeinfer}/venv-tools
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import gguf, numpy' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check 'gguf==0.19.0' 'numpy>=1.26,<3' >&2
fi
py="$venv/bin/python"
mkdir -p "$out/arch"
if ! (cd "$out/arch" && sha256sum --quiet -c "$OLDPWD/tests/data/arch/SHA256SUMS" >/dev/null 2>&1); then
  "$py" tests/golden/make_arch_models.py "$out/arch" --models-only >/dev/null
  (cd "$out/arch" && sha256sum --quiet -c "$OLDPWD/tests/data/arch/SHA256SUMS") ||
    { echo "make_test_models: tiny architecture models differ from the recorded ones" >&2; exit 1; }
fi
vocab=../shared/testdata/vocab/ggml-vocab-llama-spm.gguf
if [ -f "$vocab" ]; then
  if ! (cd "$out" && sha256sum --quiet -c "$OLDPWD/tests/data/parity/SHA256SUMS" >/dev/null 2>&1); then
    "$py" tests/golden/make_random_model.py "$vocab" "$out/random-llama-q8_0.gguf" >/dev/null
    "$py" tests/golden/make_random_model.py "$vocab" "$out/random-llama-iq-mix.gguf" --type iq-mix >/dev/null
    "$py" tests/golden/make_random_model.py "$vocab" "$out/random-llama-k-mix.gguf" --type k-mix >/dev/null
    (cd "$out" && sha256sum --quiet -c "$OLDPWD/tests/data/parity/SHA256SUMS") ||
      { echo "make_test_models: random Llamas differ from the recorded ones" >&2; exit 1; }
  fi
else
  echo "make_test_models: $vocab absent: the random-Llama parity test will skip" >&2
fi
echo "test models ready in $out" >&2
