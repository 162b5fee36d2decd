#!/usr/bin/env python3
"""Golden data for tests/test_quant.c, from gguf-py (the PyPI package `gguf`,
version 0.19.0, with numpy): for each type,

  tests/data/quant/TYPE.deq  dequantization: block bytes made by quantizing
                             random data plus hand-made blocks, and
                             gguf.quants.dequantize of them
  tests/data/quant/TYPE.q    quantization (types gguf-py quantizes): input
                             floats and gguf.quants.quantize of them

File layout (little-endian): "EIQG" u32 type_id u32 n_elements u32 n_bytes,
then the n_bytes of blocks, then n_elements f32 (.deq: the blocks' values
as gguf-py dequantizes them; .q: the input the blocks were quantized from).

Inputs: 8 blocks' worth of normal random values with a different scale per
block (1e-3 .. 1e3), plus an all-zero block, a constant block and one with a
single outlier. For dequantization of the K-quants (which gguf-py cannot
quantize) the block bytes are random, with every f16 scale field replaced by
a finite value, so every bit pattern of the codes is exercised.

usage: make_quant_golden.py OUTDIR
"""
import os
import struct
import sys

import numpy as np
from gguf import GGMLQuantizationType as T
from gguf import quants
from gguf.constants import GGML_QUANT_SIZES

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(7)

QUANTIZABLE = [T.F16, T.BF16, T.Q4_0, T.Q4_1, T.Q5_0, T.Q5_1, T.Q8_0]
DEQUANT_ONLY = [T.Q2_K, T.Q3_K, T.Q4_K, T.Q5_K, T.Q6_K, T.IQ4_NL, T.IQ4_XS]
# byte offsets of f16 scale fields inside one block, to make them finite
F16_FIELDS = {
    T.Q2_K: [80, 82], T.Q3_K: [108], T.Q4_K: [0, 2], T.Q5_K: [0, 2], T.Q6_K: [208],
    T.IQ4_NL: [0], T.IQ4_XS: [0],
}


def inputs(block):
    n_rand = 8
    x = [rng.standard_normal(block) * 10.0 ** rng.uniform(-3, 3) for _ in range(n_rand)]
    x.append(np.zeros(block))
    x.append(np.full(block, 0.75))
    o = rng.standard_normal(block) * 0.01
    o[block // 3] = 5.0
    x.append(o)
    return np.concatenate(x).astype(np.float32)


def write(path, qtype, n, blocks, floats):
    with open(path, "wb") as f:
        f.write(b"EIQG" + struct.pack("<III", int(qtype), n, len(blocks)))
        f.write(blocks)
        f.write(floats.astype("<f4").tobytes())


for qt in QUANTIZABLE + DEQUANT_ONLY:
    block, size = GGML_QUANT_SIZES[qt]
    if qt in QUANTIZABLE:
        x = inputs(max(block, 32))
        q = quants.quantize(x, qt)
        write(os.path.join(out, qt.name + ".q"), qt, x.size, q.tobytes(), x)
        blocks = q.tobytes()
        n = x.size
    else:
        nb = 12
        raw = bytearray(rng.integers(0, 256, nb * size, dtype=np.uint8).tobytes())
        for b in range(nb):
            for off in F16_FIELDS[qt]:
                h = np.float16(rng.uniform(-2, 2) * 10.0 ** rng.integers(-3, 1))
                raw[b * size + off: b * size + off + 2] = h.tobytes()
        blocks = bytes(raw)
        n = nb * block
    deq = quants.dequantize(np.frombuffer(blocks, dtype=np.uint8), qt).reshape(-1)
    write(os.path.join(out, qt.name + ".deq"), qt, n, blocks, deq)
    print(qt.name, n, "elements")
