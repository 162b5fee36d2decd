#!/usr/bin/env python3
# Copy of the team's ../shared/tools/mkmodel.py (same authors, MIT like this
# repository), kept here because a user's clone has no ../shared.
# Used by scripts/make_bench_models.sh.
"""Write a Llama-architecture GGUF with random weights and a real vocabulary.

Used to measure speed and logit parity on the same file in two engines.
The vocabulary (tokenizer.* keys) is copied from an existing GGUF.
usage: mkmodel.py VOCAB.gguf OUT.gguf [--dim N --layers N --heads N --kv-heads N --ffn N --ctx N --seed N]
"""
import argparse, numpy as np, gguf

p = argparse.ArgumentParser()
p.add_argument("vocab"); p.add_argument("out")
p.add_argument("--dim", type=int, default=2048); p.add_argument("--layers", type=int, default=16)
p.add_argument("--heads", type=int, default=32); p.add_argument("--kv-heads", type=int, default=8)
p.add_argument("--ffn", type=int, default=8192); p.add_argument("--ctx", type=int, default=4096)
p.add_argument("--seed", type=int, default=1)
p.add_argument("--out-scale", type=float, default=1.0, help="multiply output weights: larger gives peakier next-token distributions")
a = p.parse_args()

r = gguf.GGUFReader(a.vocab)
w = gguf.GGUFWriter(a.out, "llama")
w.add_name("random-llama")
w.add_context_length(a.ctx); w.add_embedding_length(a.dim); w.add_block_count(a.layers)
w.add_feed_forward_length(a.ffn); w.add_head_count(a.heads); w.add_head_count_kv(a.kv_heads)
w.add_rope_dimension_count(a.dim // a.heads); w.add_layer_norm_rms_eps(1e-5)
w.add_rope_freq_base(10000.0); w.add_file_type(gguf.LlamaFileType.MOSTLY_F16)
nvocab = None
for f in r.fields.values():
    if not f.name.startswith("tokenizer."):
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
        try:
            w.add_key_value(f.name, val, vt, sub_type=et)
        except TypeError:  # older gguf: element type inferred from values
            w.add_key_value(f.name, val, vt)
    elif vt == gguf.GGUFValueType.STRING:
        w.add_key_value(f.name, bytes(f.parts[-1]).decode("utf-8", "replace"), vt)
    else:
        w.add_key_value(f.name, f.parts[-1][0].item(), vt)

rng = np.random.default_rng(a.seed)
def t(name, *shape, norm=False, scale=1.0):
    if norm:
        x = (1.0 + 0.1 * rng.standard_normal(shape)).astype(np.float32)
    else:
        x = (scale * rng.standard_normal(shape) / np.sqrt(shape[-1])).astype(np.float16)
    w.add_tensor(name, x)
d, hd = a.dim, a.dim // a.heads
t("token_embd.weight", nvocab, d)
for i in range(a.layers):
    b = f"blk.{i}."
    t(b + "attn_norm.weight", d, norm=True)
    t(b + "attn_q.weight", d, d); t(b + "attn_k.weight", a.kv_heads * hd, d)
    t(b + "attn_v.weight", a.kv_heads * hd, d); t(b + "attn_output.weight", d, d)
    t(b + "ffn_norm.weight", d, norm=True)
    t(b + "ffn_gate.weight", a.ffn, d); t(b + "ffn_up.weight", a.ffn, d); t(b + "ffn_down.weight", d, a.ffn)
t("output_norm.weight", d, norm=True)
t("output.weight", nvocab, d, scale=a.out_scale)
w.write_header_to_file(); w.write_kv_data_to_file(); w.write_tensors_to_file(); w.close()
print("wrote", a.out, "vocab", nvocab)
