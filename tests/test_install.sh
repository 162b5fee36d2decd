#!/usr/bin/env bash
# Install the library into a temporary prefix and build the example in
# docs/examples against it through pkg-config, as a user would; then run it.
set -euo pipefail
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
cmake --install "$EI_BINARY_DIR" --prefix "$prefix" >/dev/null
test -f "$prefix/include/edgeinfer.h"
pcdir=$(dirname "$(find "$prefix" -name edgeinfer.pc | head -n1)")
export PKG_CONFIG_PATH="$pcdir"
cflags=$(pkg-config --cflags edgeinfer)
libdir=$(pkg-config --variable=libdir edgeinfer)
example="$EI_SOURCE_DIR/docs/examples/gguf_summary.c"
# linked against the shared library, as pkg-config gives it ...
cc ${EI_EXTRA_CFLAGS:-} -std=c11 -Wall -Wextra -Werror $cflags "$example" \
   $(pkg-config --libs edgeinfer) -Wl,-rpath,"$libdir" -o "$prefix/summary"
# ... and against the static one, with its private dependencies
cc ${EI_EXTRA_CFLAGS:-} -std=c11 -Wall -Wextra -Werror $cflags "$example" \
   "$libdir/libedgeinfer.a" -lpthread -lm -o "$prefix/summary-static"
# usage error without arguments
if "$prefix/summary" 2>/dev/null; then echo "expected usage error"; exit 1; fi
# a real file, where the shared test data is present
vocab="$EI_SHARED_DIR/testdata/vocab/ggml-vocab-gpt-2.gguf"
if [ -f "$vocab" ]; then
  for exe in summary summary-static; do
    out=$("$prefix/$exe" "$vocab")
    grep -q '^architecture: gpt2$' <<<"$out"
    grep -q '^tensors: 0$' <<<"$out"
  done
fi
# a file that is not GGUF: clear error, exit 1
echo "not a gguf" > "$prefix/bad.gguf"
if "$prefix/summary" "$prefix/bad.gguf" 2>"$prefix/err"; then echo "bad file accepted"; exit 1; fi
grep -q "bad magic" "$prefix/err"
# the generation example: a complete program over the public API
cc ${EI_EXTRA_CFLAGS:-} -std=c11 -Wall -Wextra -Werror $cflags "$EI_SOURCE_DIR/docs/examples/chat_once.c" \
   $(pkg-config --libs edgeinfer) -Wl,-rpath,"$libdir" -o "$prefix/chat_once"
tiny="$EI_BINARY_DIR/models/arch/llama.gguf"
if [ -f "$tiny" ]; then
  out=$("$prefix/chat_once" --raw "$tiny" "hello" 8 2>"$prefix/err")
  grep -q "generated" "$prefix/err" || { echo "chat_once: no summary: $(cat "$prefix/err")"; exit 1; }
  [ "$out" = "$("$prefix/chat_once" --raw "$tiny" "hello" 8 2>/dev/null)" ] || { echo "chat_once not deterministic"; exit 1; }
fi
smol="${EDGEINFER_HOME:-$HOME/.cache/edgeinfer}/models/SmolLM2-135M-Instruct.Q4_1.gguf"
if [ -f "$smol" ]; then
  "$prefix/chat_once" "$smol" "Say hello." 16 > "$prefix/answer" 2>/dev/null
  [ -s "$prefix/answer" ] || { echo "chat_once: empty answer"; exit 1; }
fi
if "$prefix/chat_once" "$prefix/bad.gguf" hi 2>/dev/null; then echo "chat_once accepted a bad file"; exit 1; fi
echo "install + pkg-config example: ok"
