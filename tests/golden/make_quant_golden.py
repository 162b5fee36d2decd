#!/usr/bin/env python3
"""Golden data for tests/test_quant.c, made with gguf-py: the PyPI package
`gguf` 0.19.0 (gguf.quants, gguf.constants) on numpy 2.4.6.

usage: make_quant_golden.py [OUTDIR]      (default: tests/data/quant)

Writes, for each type T:

  T.deq  dequantization (every type gguf-py dequantizes that we support):
         block bytes, and gguf.quants.dequantize of them
  T.q    quantization (every type gguf-py quantizes that we support):
         input floats, and gguf.quants.quantize of them

and types.txt: one line "id name block_size block_bytes" per type of
gguf.constants.GGML_QUANT_SIZES, which the table in src/quant/quant.c must
agree with.

File layout of .deq and .q (little-endian):
  "EIQG"  u32 type_id  u32 n_elements  u32 n_bytes
  n_elements f32   (.deq: gguf-py's dequantization; .q: the input)
  n_bytes of blocks (.deq: the input; .q: gguf-py's quantization)
The floats come first so that both parts are 4-byte aligned in memory.

Inputs to quantize (blocks of 32 values): normal random data at scales from
1e-3 to 1e3, all zeros, a constant block, one outlier in small noise, all
negative values, a half-integer grid (-8, -7.5, ... 7.5: rounding ties), tiny
values (1e-6: the f16 scale is subnormal), huge values (up to 7e4: Q4_1/Q5_1
minimums overflow f16 to -inf, as in ggml). F16 and BF16 also get special
values (zeros, infinities, quiet NaNs, the f16 max and the rounding edges
around it, subnormal ties, f32 subnormals) and random f32 bit patterns
(F16: exponents near the f16 range; BF16: all of them, any NaN). Signalling
NaNs are left out of F16 input: numpy's conversion quiets them or not
depending on the CPU, while ours always does.

Blocks to dequantize: the blocks quantized above (types gguf-py quantizes)
and random bytes (every type), with each f16 scale field replaced by a
finite value from 1e-7 (subnormal) to 6e4 of either sign, so every code
pattern, scale and sign is exercised. F16 and BF16 random bytes are left as
they are (NaNs and infinities included).
"""
import os
import struct
import sys

import numpy as np
from gguf import GGMLQuantizationType as T
from gguf import quants
from gguf.constants import GGML_QUANT_SIZES

HERE = os.path.dirname(os.path.abspath(__file__))
out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "data", "quant")
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(7)

QUANTIZABLE = [T.F16, T.BF16, T.Q4_0, T.Q4_1, T.Q5_0, T.Q5_1, T.Q8_0]
DEQUANTIZABLE = QUANTIZABLE + [T.Q2_K, T.Q3_K, T.Q4_K, T.Q5_K, T.Q6_K, T.IQ4_NL, T.IQ4_XS]
# read-only types (no quantizer here), last so that the files above keep their bytes
DEQUANTIZABLE += [T.IQ2_XXS, T.IQ2_XS, T.IQ2_S, T.IQ3_XXS, T.IQ3_S, T.IQ1_S, T.IQ1_M, T.TQ1_0, T.TQ2_0, T.MXFP4]
# byte offsets of the f16 scale fields inside one block
F16_FIELDS = {
    T.Q4_0: [0], T.Q4_1: [0, 2], T.Q5_0: [0], T.Q5_1: [0, 2], T.Q8_0: [0],
    T.Q2_K: [80, 82], T.Q3_K: [108], T.Q4_K: [0, 2], T.Q5_K: [0, 2], T.Q6_K: [208],
    T.IQ4_NL: [0], T.IQ4_XS: [0],
    T.IQ2_XXS: [0], T.IQ2_XS: [0], T.IQ2_S: [0], T.IQ3_XXS: [0], T.IQ3_S: [0], T.IQ1_S: [0],
    T.TQ1_0: [52], T.TQ2_0: [64],
    # IQ1_M's f16 scale is spread over nibbles and MXFP4's is an exponent byte: random
}


def f32(bits):
    return np.array(bits, dtype=np.uint32).view(np.float32)


def inputs():
    b = 32
    x = [rng.standard_normal(b) * 10.0 ** rng.uniform(-3, 3) for _ in range(6)]
    x.append(np.zeros(b))
    x.append(np.full(b, 0.75))
    o = rng.standard_normal(b) * 0.01
    o[b // 3] = 5.0
    x.append(o)
    x.append(-np.abs(rng.standard_normal(b)))
    x.append(-8 + 0.5 * np.arange(b))
    x.append(rng.standard_normal(b) * 1e-6)
    h = rng.uniform(-7e4, 7e4, b)
    h[0], h[1] = -7e4, 6.5e4
    x.append(h)
    return np.concatenate(x).astype(np.float32)


def float_specials(qt):
    s = [0.0, -0.0, np.inf, -np.inf, 1.0, -1.0, 65504.0, -65504.0, 65519.0, 65520.0, 65536.0,
         2.0 ** -14, 2.0 ** -24, 2.0 ** -25, 3 * 2.0 ** -26, -(2.0 ** -25), 2.0 ** -26,
         1 + 2.0 ** -11, 1 + 3 * 2.0 ** -11, 1 + 2.0 ** -8, 1 + 3 * 2.0 ** -8, 3.4e38, 1e-40, -1e-45]
    v = np.array(s, dtype=np.float32)
    nans = f32([0x7FC00000, 0xFFC00000, 0x7FC02000, 0x7FFFFFFF])
    if qt == T.BF16:
        nans = np.concatenate([nans, f32([0x7F800001, 0xFF812345])])  # signalling: gguf-py quiets
        bits = rng.integers(0, 2 ** 32, 256, dtype=np.uint64).astype(np.uint32)
    else:
        exp = rng.integers(96, 146, 256).astype(np.uint32)  # 2^-31 .. 2^18
        bits = (rng.integers(0, 2, 256).astype(np.uint32) << 31) | (exp << 23) | \
            rng.integers(0, 2 ** 23, 256).astype(np.uint32)
    v = np.concatenate([v, nans, bits.view(np.float32)])
    pad = (-v.size) % 32
    return np.concatenate([v, np.zeros(pad, dtype=np.float32)])


def random_blocks(qt, nb):
    block, size = GGML_QUANT_SIZES[qt]
    raw = bytearray(rng.integers(0, 256, nb * size, dtype=np.uint8).tobytes())
    for b in range(nb):
        for off in F16_FIELDS.get(qt, []):
            v = min(rng.uniform(-2, 2) * 10.0 ** rng.integers(-7, 5), 6e4)
            raw[b * size + off: b * size + off + 2] = np.float16(v).tobytes()
    return bytes(raw)


def write(path, qtype, n, floats, blocks):
    floats = np.asarray(floats, dtype="<f4").reshape(-1)
    assert floats.size == n
    with open(path, "wb") as f:
        f.write(b"EIQG" + struct.pack("<III", int(qtype), n, len(blocks)))
        f.write(floats.tobytes())
        f.write(blocks)


with open(os.path.join(out, "types.txt"), "w") as f:
    for qt in sorted(GGML_QUANT_SIZES, key=int):
        f.write("%d %s %d %d\n" % (int(qt), qt.name, *GGML_QUANT_SIZES[qt]))

for qt in DEQUANTIZABLE:
    block, size = GGML_QUANT_SIZES[qt]
    blocks = b""
    if qt in QUANTIZABLE:
        x = inputs()
        if qt in (T.F16, T.BF16):
            x = np.concatenate([x, float_specials(qt)])
        q = quants.quantize(x, qt).tobytes()
        write(os.path.join(out, qt.name + ".q"), qt, x.size, x, q)
        blocks = q
    nb = 4 if block == 256 else 8 if block == 32 else 64
    blocks += random_blocks(qt, nb)
    deq = quants.dequantize(np.frombuffer(blocks, dtype=np.uint8), qt).reshape(-1)
    write(os.path.join(out, qt.name + ".deq"), qt, deq.size, deq, blocks)
    print(qt.name, deq.size, "elements")
