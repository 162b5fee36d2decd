#!/usr/bin/env bash
# `edgeinfer info` end to end: every shared vocabulary file and the default
# models (where present) print, as text and as valid JSON; malformed files
# give a message on stderr, nothing on stdout, and exit status 1.
set -euo pipefail
bin=${EI_BIN:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

files=()
if [ -d "$EI_SHARED_DIR/testdata/vocab" ]; then
  for f in "$EI_SHARED_DIR"/testdata/vocab/*.gguf; do files+=("$f"); done
fi
models="${EDGEINFER_HOME:-$HOME/.cache/edgeinfer}/models"
if [ -d "$models" ]; then
  for f in "$models"/*.gguf; do [ -f "$f" ] && files+=("$f"); done
fi
for f in "${files[@]}"; do
  "$bin" info "$f" > "$tmp/out.txt"
  grep -q '^GGUF version [23],' "$tmp/out.txt" || { echo "no header line for $f"; exit 1; }
  grep -q 'general.architecture' "$tmp/out.txt" || { echo "no architecture for $f"; exit 1; }
  "$bin" info --json "$f" > "$tmp/out.json"
  python3 - "$tmp/out.json" "$f" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["version"] in (2, 3), d["version"]
assert "general.architecture" in d["metadata"]
for t in d["tensors"]:
    assert t["size"] > 0 and len(t["shape"]) >= 1, t
PY
done
echo "info ok on ${#files[@]} files"

# a model's tensor table: one line per tensor
for f in "$models"/*.gguf; do
  [ -f "$f" ] || continue
  n=$("$bin" info --json "$f" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["tensors"]))')
  [ "$n" -gt 10 ] || { echo "too few tensors in $f: $n"; exit 1; }
  lines=$("$bin" info "$f" | grep -cE '^  [a-z_0-9.]+ +(F32|F16|Q[0-9]_[0-9K]|Q[0-9]_K|BF16) ')
  [ "$lines" -eq "$n" ] || { echo "$f: $lines tensor lines for $n tensors"; exit 1; }
done

# malformed input: exit 1, message on stderr, empty stdout
expect_reject() { # file, pattern
  if "$bin" info "$1" > "$tmp/o" 2> "$tmp/e"; then echo "accepted: $1"; exit 1; fi
  [ ! -s "$tmp/o" ] || { echo "stdout not empty for $1"; exit 1; }
  grep -q "$2" "$tmp/e" || { echo "message for $1 lacks '$2':"; cat "$tmp/e"; exit 1; }
}
: > "$tmp/empty.gguf"; expect_reject "$tmp/empty.gguf" "empty file"
printf 'GGML\x03\x00\x00\x00' > "$tmp/magic.gguf"; expect_reject "$tmp/magic.gguf" "bad magic"
printf 'GGUF\x01\x00\x00\x00' > "$tmp/v1.gguf"; expect_reject "$tmp/v1.gguf" "version 1"
expect_reject "$tmp/does-not-exist.gguf" "No such file"
if [ ${#files[@]} -gt 0 ]; then
  head -c 1000 "${files[0]}" > "$tmp/trunc.gguf"; expect_reject "$tmp/trunc.gguf" "truncated\|exceeds\|cannot fit"
fi
# usage errors exit 2
set +e
"$bin" info > /dev/null 2>&1; [ $? -eq 2 ] || { echo "no-arg exit code"; exit 1; }
"$bin" info --bogus x > /dev/null 2>&1; [ $? -eq 2 ] || { echo "bad option exit code"; exit 1; }
"$bin" nosuchverb > /dev/null 2>&1; [ $? -eq 2 ] || { echo "bad verb exit code"; exit 1; }
echo "info: all checks passed"
