#!/usr/bin/env bash
# The NEON kernels (backends/cpu/vec_dot_neon.c) against the scalar ones:
# tests/neon_vec_dot_check.c and the kernel sources it needs, cross-compiled
# for aarch64 (static, -Wall -Wextra -Werror) and run under qemu-aarch64:
#   -cpu max         NEON + dotprod: both levels tested, neondot selected
#   -cpu max, EDGEINFER_CPU=neon   the environment lowers the level
#   -cpu cortex-a57  Armv8.0, no dotprod: the neon level alone (an sdot
#                    reached from it would die of SIGILL)
# Skips (77) when aarch64-linux-gnu-gcc or qemu-aarch64 is missing
# (scripts/deps.sh installs both). Built under $EI_BINARY_DIR/neon; in the
# sanitized build with UBSan (trap mode) as well.
set -euo pipefail
src=${EI_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
out=${EI_BINARY_DIR:-$src/build}/neon
cc=${EI_AARCH64_CC:-aarch64-linux-gnu-gcc}
qemu=${EI_QEMU_AARCH64:-qemu-aarch64}

for tool in "$cc" "$qemu"; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "test_neon: $tool not found (scripts/deps.sh installs it): skipped" >&2
    exit 77
  fi
done

mkdir -p "$out"
sources=(
  tests/neon_vec_dot_check.c
  backends/cpu/vec_dot_neon.c backends/cpu/vec_dot_scalar.c backends/cpu/cpu_features.c
  src/quant/quant.c src/quant/legacy.c src/quant/kquants.c src/quant/iquants.c src/quant/iq_lattice.c src/quant/iq_grids.c src/quant/fp16.c
  src/util/error.c
)
# the project's flags (CMakeLists.txt): C11, no contraction of a * b + c
# into an fma behind the code's back
flags=(-std=c11 -O2 -D_GNU_SOURCE -Wall -Wextra -Werror -ffp-contract=off -pthread
       -I"$src/include" -I"$src/src" -I"$src")
# the sanitized build (EI_EXTRA_CFLAGS set): UBSan in trap mode, which
# needs no runtime library (there is no ASan for a static aarch64 program)
if [ -n "${EI_EXTRA_CFLAGS:-}" ]; then
  flags+=(-fsanitize=undefined -fsanitize-undefined-trap-on-error)
fi
objs=()
for s in "${sources[@]}"; do
  o="$out/$(basename "${s%.c}").o"
  "$cc" "${flags[@]}" -c "$src/$s" -o "$o"
  objs+=("$o")
done
"$cc" -static -pthread "${objs[@]}" -lm -o "$out/neon_vec_dot_check"

run() { # label, expected level, qemu cpu, env...
  local label=$1 want=$2 cpu=$3; shift 3
  echo "== $label (qemu -cpu $cpu) ==" >&2
  if ! env "$@" "$qemu" -cpu "$cpu" "$out/neon_vec_dot_check" "$want" >"$out/$label.log" 2>&1; then
    cat "$out/$label.log" >&2
    echo "test_neon: $label failed" >&2
    exit 1
  fi
  cat "$out/$label.log" >&2
}
run neondot neondot max -u EDGEINFER_CPU
run neon-env neon max EDGEINFER_CPU=neon
run scalar-env scalar max EDGEINFER_CPU=scalar
run neon-a57 neon cortex-a57 -u EDGEINFER_CPU
echo "test_neon: all passed" >&2
