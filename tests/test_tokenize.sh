#!/usr/bin/env bash
# `edgeinfer tokenize` end to end, on vocabulary-only files and (where
# fetched) a default model by its catalog name: the output formats, the
# flags, the text sources, and the exit status of bad usage (2) and of a
# file that does not load (1, message on stderr, nothing on stdout).
# Expected ids are llama.cpp's (llama-tokenize) for the same input.
set -euo pipefail
bin=${EI_BIN:?}
vocab="${EI_SHARED_DIR:-}/testdata/vocab"
spm="$vocab/ggml-vocab-llama-spm.gguf"
bert="$vocab/ggml-vocab-bert-bge.gguf"
if [ ! -f "$spm" ]; then
  echo "skip: $spm absent"
  exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

expect() { # description, expected, actual
  if [ "$2" != "$3" ]; then
    printf 'FAIL %s\n  want: %s\n  got:  %s\n' "$1" "$2" "$3"
    exit 1
  fi
}

expect "ids" "[1, 15043, 3186]" "$("$bin" tokenize -m "$spm" -p "Hello world" --ids)"
expect "no-bos" "[15043, 3186]" "$("$bin" tokenize -m "$spm" -p "Hello world" --ids --no-bos --log-disable)"
expect "pieces" "$(printf "     1 -> '<s>'\n 15043 -> ' Hello'\n  3186 -> ' world'")" \
  "$("$bin" tokenize -m "$spm" -p "Hello world")"
expect "count" "Total number of tokens: 3" "$("$bin" tokenize -m "$spm" -p "Hello world" --show-count | tail -n 1)"
expect "escape" "[1, 263, 13, 29890]" "$("$bin" tokenize -m "$spm" -p 'a\nb' --ids)"
expect "no-escape" "[1, 263, 29905, 9877]" "$("$bin" tokenize -m "$spm" -p 'a\nb' --ids --no-escape)"
expect "parse special" "[1, 1, 7251, 2]" "$("$bin" tokenize -m "$spm" -p '<s>hi</s>' --ids)"
expect "no-parse-special" "[1, 529, 29879, 29958, 2918, 829, 29879, 29958]" \
  "$("$bin" tokenize -m "$spm" -p '<s>hi</s>' --ids --no-parse-special)"
expect "stdin as is" "[1, 15043, 3186, 13]" "$(printf 'Hello world\n' | "$bin" tokenize -m "$spm" --stdin --ids)"
printf 'a\\nb' > "$tmp/in.txt"
expect "file as is" "[1, 263, 29905, 9877]" "$("$bin" tokenize -m "$spm" -f "$tmp/in.txt" --ids)"
: > "$tmp/empty.txt"
expect "empty file" "[1]" "$("$bin" tokenize -m "$spm" -f "$tmp/empty.txt" --ids)"
if [ -f "$bert" ]; then # WordPiece: [CLS] ... [SEP]
  expect "bert" "[101, 7592, 2088, 102]" "$("$bin" tokenize -m "$bert" -p "Hello world" --ids)"
fi

# a default model by catalog name, if fetched
models="${EDGEINFER_HOME:-$HOME/.cache/edgeinfer}/models"
if [ -f "$models/SmolLM2-135M-Instruct.Q4_1.gguf" ] && [ -f "$models/catalog.tsv" ]; then
  expect "smollm2 chat" "[1, 4093, 198, 19556, 28, 905, 17, 2]" \
    "$("$bin" tokenize -m smollm2-135m -p '<|im_start|>user\nHello, world!<|im_end|>' --ids)"
fi

# failures
set +e
"$bin" tokenize -p x > /dev/null 2>&1; expect "no model exit" 2 $?
"$bin" tokenize -m "$spm" > /dev/null 2>&1; expect "no text exit" 2 $?
"$bin" tokenize -m "$spm" -p x --stdin < /dev/null > /dev/null 2>&1; expect "two sources exit" 2 $?
"$bin" tokenize -m "$spm" -p x --bogus > /dev/null 2>&1; expect "bad option exit" 2 $?
"$bin" tokenize -m "$spm" -p > /dev/null 2>&1; expect "missing value exit" 2 $?
"$bin" tokenize -m "$spm" -f "$tmp/nope.txt" > "$tmp/o" 2> "$tmp/e"; expect "missing file exit" 1 $?
head -c 100 "$spm" > "$tmp/trunc.gguf"
"$bin" tokenize -m "$tmp/trunc.gguf" -p x > "$tmp/o" 2> "$tmp/e"; expect "bad gguf exit" 1 $?
[ ! -s "$tmp/o" ] || { echo "FAIL stdout not empty on a bad file"; exit 1; }
[ -s "$tmp/e" ] || { echo "FAIL no message on a bad file"; exit 1; }
"$bin" tokenize -m no-such-model-name -p x > /dev/null 2>&1; expect "unknown model exit" 1 $?
"$bin" tokenize --help > /dev/null; expect "help exit" 0 $?
set -e
echo "tokenize: all checks passed"
