#!/usr/bin/env bash
# Write the benchmark models: a Llama-shaped 1.1B model with random weights
# and a real 32000-token vocabulary (TinyLlama's shape: dim 2048, 16 layers,
# 32 heads, 8 KV heads, FFN 8192), in F16, quantized to Q4_0, Q4_K_M and
# Q8_0 by llama.cpp's llama-quantize. Its speed is the speed of a real model
# of that shape (random weights only change the text, not the work).
#
#   scripts/make_bench_models.sh [--vocab VOCAB.gguf] [--keep-f16|--rm-f16] [--more]
#
# --more also writes Q5_K_M, Q6_K, Q3_K_M, Q2_K, IQ4_XS, IQ4_NL, Q5_0, Q5_1 and Q4_1 (the
# other types people download; ~4.8 GB more, ~9 min).
# Output: ${EDGEINFER_HOME:-~/.cache/edgeinfer}/bench/
#   random-llama-1.1b-f16.gguf     (2.2 GB; kept unless --rm-f16)
#   random-llama-1.1b-q4_0.gguf    random-llama-1.1b-q4_k_m.gguf
#   random-llama-1.1b-q8_0.gguf
# Files already there are kept (idempotent); each is written to a temporary
# name and renamed, so an interrupted run leaves nothing half-written.
# Prints the quantized models' paths, one a line.
#
# Needs: llama-quantize (scripts/build_llama_bench.sh builds it, or finds it
# on PATH), Python 3 with venv (the gguf and numpy packages go into
# ${EDGEINFER_HOME}/venv-tools, shared with make_test_models.sh).
# The vocabulary: --vocab, else ../shared/testdata/vocab/ggml-vocab-llama-spm.gguf
# (team checkouts), else the same file in the llama.cpp sources that
# build_llama_bench.sh unpacked (models/ggml-vocab-llama-spm.gguf).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
home=${EDGEINFER_HOME:-$HOME/.cache/edgeinfer}
out=$home/bench
vocab="" rm_f16=0 more=0
while [ $# -gt 0 ]; do
  case $1 in
    --vocab) vocab=${2:?--vocab needs a file}; shift ;;
    --rm-f16) rm_f16=1 ;;
    --keep-f16) rm_f16=0 ;;
    --more) more=1 ;;
    -h|--help) sed -n '2,25p' "$0"; exit 0 ;;
    *) echo "make_bench_models.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
log() { echo "make_bench_models.sh: $*" >&2; }
base=random-llama-1.1b
types=(Q4_0 Q4_K_M Q8_0)
[ $more = 1 ] && types+=(Q5_K_M Q6_K Q3_K_M Q2_K IQ4_XS IQ4_NL Q5_0 Q5_1 Q4_1)
mkdir -p "$out"

qpath() { echo "$out/$base-$(echo "$1" | tr '[:upper:]' '[:lower:]').gguf"; }
all_there=1
for t in "${types[@]}"; do [ -s "$(qpath "$t")" ] || all_there=0; done
if [ $all_there = 1 ]; then
  for t in "${types[@]}"; do qpath "$t"; done
  exit 0
fi

bindir=$("$here/build_llama_bench.sh" | tail -n1)
quantize=$bindir/llama-quantize
[ -x "$quantize" ] || { log "no llama-quantize in $bindir"; exit 1; }

f16=$out/$base-f16.gguf
if [ ! -s "$f16" ]; then
  if [ -z "$vocab" ]; then
    for v in "$repo/../shared/testdata/vocab/ggml-vocab-llama-spm.gguf" \
             "$home"/llama.cpp-*/src/models/ggml-vocab-llama-spm.gguf \
             "${LLAMA_CPP_SRC:-/nonexistent}/models/ggml-vocab-llama-spm.gguf"; do
      if [ -f "$v" ]; then vocab=$v; break; fi
    done
  fi
  if [ -z "$vocab" ] || [ ! -f "$vocab" ]; then log "no vocabulary GGUF found (give --vocab)"; exit 1; fi
  venv=$home/venv-tools
  if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import gguf, numpy' 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check 'gguf==0.19.0' 'numpy>=1.26,<3' >&2
  fi
  log "writing $f16 (vocab $vocab; needs ~3 GB of memory, a minute or two)"
  "$venv/bin/python" "$here/mkmodel.py" "$vocab" "$f16.tmp" \
    --dim 2048 --layers 16 --heads 32 --kv-heads 8 --ffn 8192 --ctx 4096 --seed 1 >&2
  mv "$f16.tmp" "$f16"
fi

for t in "${types[@]}"; do
  q=$(qpath "$t")
  [ -s "$q" ] && continue
  log "quantizing to $t -> $q"
  nice "$quantize" "$f16" "$q.tmp" "$t" "$(nproc)" >"$out/quantize-$t.log" 2>&1 ||
    { log "llama-quantize failed, see $out/quantize-$t.log"; rm -f "$q.tmp"; exit 1; }
  mv "$q.tmp" "$q"
done
[ $rm_f16 = 1 ] && rm -f "$f16"
for t in "${types[@]}"; do qpath "$t"; done
