#!/usr/bin/env python3
"""Write one tiny random-weight GGUF per supported architecture, and record
llama.cpp's logits on each, so every architecture's forward pass is checked
against llama.cpp by tests/test_arch.c without a network or a real model.

Each model has a 320-token SentencePiece-style vocabulary (3 specials, 256
byte tokens, 61 letters and pairs), width 64, and enough layers to reach
every layer kind (gemma2/3 sliding-window and global layers, with a window of
5 so a 24-token sequence is masked). Weights are f32 for matrices that are
small and q8_0 for the embedding, so both paths are used. Deterministic:
same seed, same bytes.

Writes tests/data/arch/ARCH.gguf and tests/data/arch/ARCH.logits: a header
"EIAL" u32 version=1 u32 n_vocab u32 n_tokens, i32 tokens[n], then
f32 logits[n][n_vocab] from one batch (logits of every position), then
u32 n_gen, i32 greedy[n_gen] continuing the same tokens one at a time.

The .gguf files are not kept in git: scripts/test.sh writes them again with
--models-only (same bytes; needs only gguf and numpy) before the tests run.

usage: make_arch_models.py OUTDIR [--arch NAME ...] [--models-only]
       (recording needs llama-cpp-python)
"""
import argparse
import os
import struct

import gguf
import numpy as np

VOCAB = 320
DIM, HEADS, KV_HEADS, HEAD_DIM, FFN = 64, 4, 2, 16, 128
N_TOKENS, N_GEN = 24, 8


def vocab(w):
    tokens, scores, types = ["<unk>", "<s>", "</s>"], [0.0, 0.0, 0.0], [2, 3, 3]
    for b in range(256):
        tokens.append(f"<0x{b:02X}>")
        scores.append(0.0)
        types.append(6)
    letters = [chr(c) for c in range(ord("a"), ord("z") + 1)]
    pieces = ["\u2581" + c for c in letters] + letters + ["\u2581the", "in", "er", "on", "an"]
    for i, p in enumerate(pieces):
        tokens.append(p)
        scores.append(-float(i))
        types.append(1)
    # control tokens some architectures look up by text (phi3: <|end|>)
    for p in ["<|end|>", "<|endoftext|>", "<|user|>", "<|assistant|>"]:
        tokens.append(p)
        scores.append(0.0)
        types.append(3)
    assert len(tokens) == VOCAB, len(tokens)
    w.add_tokenizer_model("llama")
    w.add_token_list(tokens)
    w.add_token_scores(scores)
    w.add_token_types(types)
    w.add_bos_token_id(1)
    w.add_eos_token_id(2)
    w.add_unk_token_id(0)


def build(arch, path, seed):
    rng = np.random.default_rng(seed)
    w = gguf.GGUFWriter(path, arch)
    layers = {"gemma2": 4, "gemma3": 7}.get(arch, 2)
    w.add_name(f"tiny-{arch}")
    w.add_context_length(256)
    w.add_embedding_length(DIM)
    w.add_block_count(layers)
    w.add_feed_forward_length(FFN)
    w.add_head_count(HEADS)
    w.add_head_count_kv(KV_HEADS)
    w.add_key_length(HEAD_DIM)
    w.add_value_length(HEAD_DIM)
    w.add_rope_dimension_count(HEAD_DIM)
    w.add_layer_norm_rms_eps(1e-6)
    w.add_rope_freq_base(10000.0)
    w.add_file_type(gguf.LlamaFileType.ALL_F32)
    if arch in ("gemma2", "gemma3"):
        w.add_sliding_window(5)
    if arch == "gemma2":
        w.add_attn_logit_softcapping(50.0)
        w.add_final_logit_softcapping(30.0)
    vocab(w)

    def mat(name, n_out, n_in, q8=False, scale=1.0):
        x = (scale * rng.standard_normal((n_out, n_in)) / np.sqrt(n_in)).astype(np.float32)
        if q8:
            w.add_tensor(name, gguf.quants.quantize(x, gguf.GGMLQuantizationType.Q8_0),
                         raw_dtype=gguf.GGMLQuantizationType.Q8_0)
        else:
            w.add_tensor(name, x)

    def vec(name, n, around=1.0, spread=0.1):
        w.add_tensor(name, (around + spread * rng.standard_normal(n)).astype(np.float32))

    q, kv = HEADS * HEAD_DIM, KV_HEADS * HEAD_DIM
    mat("token_embd.weight", VOCAB, DIM, q8=True)
    for i in range(layers):
        b = f"blk.{i}."
        vec(b + "attn_norm.weight", DIM)
        if arch == "phi3":
            mat(b + "attn_qkv.weight", q + 2 * kv, DIM)
        else:
            mat(b + "attn_q.weight", q, DIM)
            mat(b + "attn_k.weight", kv, DIM)
            mat(b + "attn_v.weight", kv, DIM)
        if arch == "qwen2":
            vec(b + "attn_q.bias", q, 0.0, 0.5)
            vec(b + "attn_k.bias", kv, 0.0, 0.5)
            vec(b + "attn_v.bias", kv, 0.0, 0.5)
        if arch in ("qwen3", "gemma3"):
            vec(b + "attn_q_norm.weight", HEAD_DIM)
            vec(b + "attn_k_norm.weight", HEAD_DIM)
        mat(b + "attn_output.weight", DIM, q)
        if arch in ("gemma2", "gemma3"):
            vec(b + "post_attention_norm.weight", DIM)
        vec(b + "ffn_norm.weight", DIM)
        if arch == "phi3":
            mat(b + "ffn_up.weight", 2 * FFN, DIM)
        else:
            mat(b + "ffn_gate.weight", FFN, DIM)
            mat(b + "ffn_up.weight", FFN, DIM)
        mat(b + "ffn_down.weight", DIM, FFN)
        if arch in ("gemma2", "gemma3"):
            vec(b + "post_ffw_norm.weight", DIM)
    vec("output_norm.weight", DIM)
    if arch not in ("gemma", "gemma2", "gemma3"):  # gemma ties the output to the embedding
        mat("output.weight", VOCAB, DIM, scale=4.0)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def record(path, out, seed):
    from llama_cpp import Llama

    llm = Llama(model_path=path, n_ctx=64, n_batch=64, n_ubatch=64, logits_all=True, n_threads=2,
                verbose=False, flash_attn=False)
    rng = np.random.default_rng(seed + 1000)
    toks = [1] + [int(t) for t in rng.integers(3, VOCAB, N_TOKENS - 1)]
    llm.reset()
    llm.eval(toks)
    logits = np.asarray(llm.scores[:N_TOKENS], dtype=np.float32)
    gen = []
    for _ in range(N_GEN):
        t = int(np.argmax(llm.scores[llm.n_tokens - 1]))
        gen.append(t)
        llm.eval([t])
    with open(out, "wb") as f:
        f.write(b"EIAL" + struct.pack("<III", 1, VOCAB, N_TOKENS))
        f.write(np.asarray(toks, dtype="<i4").tobytes())
        f.write(logits.astype("<f4").tobytes())
        f.write(struct.pack("<I", len(gen)) + np.asarray(gen, dtype="<i4").tobytes())


ARCHS = ["llama", "qwen2", "qwen3", "gemma", "gemma2", "gemma3", "phi3"]
p = argparse.ArgumentParser()
p.add_argument("outdir")
p.add_argument("--arch", action="append")
p.add_argument("--models-only", action="store_true")
a = p.parse_args()
os.makedirs(a.outdir, exist_ok=True)
for i, arch in enumerate(a.arch or ARCHS):
    path = os.path.join(a.outdir, arch + ".gguf")
    build(arch, path, seed=100 + i)
    if not a.models_only:
        record(path, os.path.join(a.outdir, arch + ".logits"), seed=100 + i)
    print("wrote", path)
