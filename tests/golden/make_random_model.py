#!/usr/bin/env python3
"""Write a small Llama-architecture GGUF with random weights and a real
vocabulary, deterministically (same arguments, same bytes), for parity tests
against llama.cpp on a model whose numbers we control.

The vocabulary (tokenizer.* keys) is copied from an existing GGUF, e.g. the
SmolLM2 model or a file of ../shared/testdata/vocab. Matrices are written in
--type (f16, q8_0, q4_0, q4_1, q5_0, q5_1: types gguf.quants quantizes and our
reference quantizer matches byte for byte); norms stay f32.

The types nothing here quantizes (iq2_xxs, iq2_xs, iq2_s, iq3_xxs, iq3_s,
iq1_s, iq1_m, tq1_0, tq2_0, mxfp4) get random blocks (every byte pattern is a
valid block) with the block scale set so that the weights have the standard
deviation the float ones would; --type iq-mix gives the matrices these ten
types in turn (token_embd IQ2_XXS, blk.0.attn_q IQ2_XS, ...). --type k-mix
does the same with random blocks of Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, IQ4_XS and IQ4_NL
(their minimum scale, where they have one, set like the scale) and Q5_1
quantized from float weights (its m is the block's minimum).

usage: make_random_model.py VOCAB.gguf OUT.gguf [--type q8_0] [--dim 256 --layers 4
       --heads 8 --kv-heads 4 --ffn 768 --ctx 2048 --seed 1 --out-scale 4]
"""
import argparse

import gguf
import numpy as np

p = argparse.ArgumentParser()
p.add_argument("vocab")
p.add_argument("out")
p.add_argument("--type", default="q8_0")
p.add_argument("--dim", type=int, default=256)
p.add_argument("--layers", type=int, default=4)
p.add_argument("--heads", type=int, default=8)
p.add_argument("--kv-heads", type=int, default=4)
p.add_argument("--ffn", type=int, default=768)
p.add_argument("--ctx", type=int, default=2048)
p.add_argument("--seed", type=int, default=1)
p.add_argument("--out-scale", type=float, default=4.0, help="larger gives peakier next-token distributions")
a = p.parse_args()

T = gguf.GGMLQuantizationType
RANDOM_BLOCKS = [T.IQ2_XXS, T.IQ2_XS, T.IQ2_S, T.IQ3_XXS, T.IQ3_S, T.IQ1_S, T.IQ1_M, T.TQ1_0, T.TQ2_0, T.MXFP4]
K_MIX = [T.Q2_K, T.Q3_K, T.Q4_K, T.Q5_K, T.Q6_K, T.IQ4_XS, T.IQ4_NL, T.Q5_1]
MIX = {"iq-mix": RANDOM_BLOCKS, "k-mix": K_MIX}.get(a.type)
if MIX or a.type.upper() in T.__members__ and T[a.type.upper()] in RANDOM_BLOCKS:
    qtype = None if MIX else T[a.type.upper()]
    ftype = gguf.LlamaFileType.GUESSED if MIX else gguf.LlamaFileType[
        "MOSTLY_MXFP4_MOE" if a.type == "mxfp4" else "MOSTLY_" + a.type.upper()]
else:
    qtype = {
    "f16": gguf.GGMLQuantizationType.F16, "q8_0": gguf.GGMLQuantizationType.Q8_0,
    "q4_0": gguf.GGMLQuantizationType.Q4_0, "q4_1": gguf.GGMLQuantizationType.Q4_1,
    "q5_0": gguf.GGMLQuantizationType.Q5_0, "q5_1": gguf.GGMLQuantizationType.Q5_1,
}[a.type]
    ftype = {
    "f16": gguf.LlamaFileType.MOSTLY_F16, "q8_0": gguf.LlamaFileType.MOSTLY_Q8_0,
    "q4_0": gguf.LlamaFileType.MOSTLY_Q4_0, "q4_1": gguf.LlamaFileType.MOSTLY_Q4_1,
    "q5_0": gguf.LlamaFileType.MOSTLY_Q5_0, "q5_1": gguf.LlamaFileType.MOSTLY_Q5_1,
    }[a.type]

r = gguf.GGUFReader(a.vocab)
w = gguf.GGUFWriter(a.out, "llama")
w.add_name("random-llama")
w.add_context_length(a.ctx)
w.add_embedding_length(a.dim)
w.add_block_count(a.layers)
w.add_feed_forward_length(a.ffn)
w.add_head_count(a.heads)
w.add_head_count_kv(a.kv_heads)
w.add_rope_dimension_count(a.dim // a.heads)
w.add_layer_norm_rms_eps(1e-5)
w.add_rope_freq_base(10000.0)
w.add_file_type(ftype)
nvocab = None
for f in r.fields.values():
    if not f.name.startswith("tokenizer.") or f.name == "tokenizer.chat_template":
        continue
    vt = f.types[0]
    if vt == gguf.GGUFValueType.ARRAY:
        et = f.types[1]
        if et == gguf.GGUFValueType.STRING:
            val = [bytes(f.parts[i]).decode("utf-8", "replace") for i in f.data]
        else:
            val = [f.parts[i][0].item() for i in f.data]
        if f.name == "tokenizer.ggml.tokens":
            nvocab = len(val)
        w.add_key_value(f.name, val, vt, sub_type=et)
    elif vt == gguf.GGUFValueType.STRING:
        w.add_key_value(f.name, bytes(f.parts[-1]).decode("utf-8", "replace"), vt)
    else:
        w.add_key_value(f.name, f.parts[-1][0].item(), vt)

rng = np.random.default_rng(a.seed)
n_matrices = 0
# byte offset of the f16 block scale (None: IQ1_M's is spread over nibbles,
# MXFP4's is an exponent byte)
SCALE_AT = {T.IQ2_XXS: 0, T.IQ2_XS: 0, T.IQ2_S: 0, T.IQ3_XXS: 0, T.IQ3_S: 0, T.IQ1_S: 0, T.TQ1_0: 52, T.TQ2_0: 64,
            T.Q2_K: 80, T.Q3_K: 108, T.Q4_K: 0, T.Q5_K: 0, T.Q6_K: 208, T.IQ4_XS: 0, T.IQ4_NL: 0}
MIN_AT = {T.Q2_K: 82, T.Q4_K: 2, T.Q5_K: 2}  # the f16 minimum scale (dmin)


def set_scale(raw, qt, size, value):
    """Write the block scale `value` (f16; MXFP4: the power of two nearest) into every block."""
    blocks = raw.reshape(-1, size)
    if qt == T.MXFP4:
        blocks[:, 0] = np.uint8(128 + int(np.round(np.log2(value))))  # scale 2^(e - 128)
    elif qt == T.IQ1_M:
        h = int(np.float16(value).view(np.uint16))
        for q in range(4):
            blocks[:, 48 + 2 * q + 1] = (blocks[:, 48 + 2 * q + 1] & 0x0F) | (((h >> 4 * q) & 0xF) << 4)
    else:
        for at in (SCALE_AT[qt], MIN_AT.get(qt)):
            if at is not None:
                blocks[:, at:at + 2] = np.frombuffer(np.float16(value).tobytes(), dtype=np.uint8)


def random_blocks(qt, shape, std):
    block, size = gguf.constants.GGML_QUANT_SIZES[qt]
    raw = rng.integers(0, 256, shape[0] * shape[1] // block * size, dtype=np.uint8)
    set_scale(raw, qt, size, 1.0)
    std1 = gguf.quants.dequantize(raw, qt).astype(np.float64).std()
    set_scale(raw, qt, size, std / std1)
    return raw.reshape(shape[0], shape[1] // block * size)


def t(name, *shape, norm=False, scale=1.0):
    global n_matrices
    if norm:
        w.add_tensor(name, (1.0 + 0.1 * rng.standard_normal(shape)).astype(np.float32))
        return
    qt = MIX[n_matrices % len(MIX)] if MIX else qtype
    n_matrices += 1
    if qt in RANDOM_BLOCKS or qt in SCALE_AT:
        w.add_tensor(name, random_blocks(qt, shape, scale / np.sqrt(shape[-1])), raw_dtype=qt)
        return
    x = (scale * rng.standard_normal(shape) / np.sqrt(shape[-1])).astype(np.float32)
    if qtype == gguf.GGMLQuantizationType.F16:
        w.add_tensor(name, x.astype(np.float16))
    else:
        w.add_tensor(name, gguf.quants.quantize(x, qt), raw_dtype=qt)


d, hd = a.dim, a.dim // a.heads
t("token_embd.weight", nvocab, d)
for i in range(a.layers):
    b = f"blk.{i}."
    t(b + "attn_norm.weight", d, norm=True)
    t(b + "attn_q.weight", d, d)
    t(b + "attn_k.weight", a.kv_heads * hd, d)
    t(b + "attn_v.weight", a.kv_heads * hd, d)
    t(b + "attn_output.weight", d, d)
    t(b + "ffn_norm.weight", d, norm=True)
    t(b + "ffn_gate.weight", a.ffn, d)
    t(b + "ffn_up.weight", a.ffn, d)
    t(b + "ffn_down.weight", d, a.ffn)
t("output_norm.weight", d, norm=True)
t("output.weight", nvocab, d, scale=a.out_scale)
w.write_header_to_file()
w.write_kv_data_to_file()
w.write_tensors_to_file()
w.close()
print("wrote", a.out, "vocab", nvocab)
