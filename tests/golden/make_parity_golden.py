#!/usr/bin/env python3
"""Record llama.cpp's next-token distributions on a model, for the parity
test (tests/test_parity.c) to compare ours with.

Runs llama.cpp through the PyPI package llama-cpp-python on MODEL over the
tokens of TEXT (tokenized by llama.cpp), in chunks of --chunk tokens each
evaluated from an empty context (the first token of each chunk is BOS when
the model adds one), and on a few prompts continued greedily.

It also measures how well llama.cpp agrees with itself when the first chunk
is evaluated one token at a time instead of as one batch: on random-weight
models, many next-token choices are near-ties that rounding alone flips, and
that self-agreement is the fair bar for ours.

Output (little-endian binary, tests/data/parity/NAME.bin):
  "EIPG" u32 version=2 u32 n_vocab u32 top_k u32 n_chunks
  f32 self_kld f32 self_same_top (llama.cpp batch vs one token at a time)
  per chunk: u32 n, i32 tokens[n], then for positions 0..n-2 (predicting
             token i+1): i32 ids[top_k], f32 logprobs[top_k] (log-softmax,
             best first), f32 logprob_rest (log of the remaining mass)
  u32 n_prompts; per prompt: u32 n, i32 prompt[n], u32 m, i32 greedy[m],
             f32 margin[m] (log-prob gap between the best and second token)
Only the top_k most likely tokens are kept (plus the rest as one bucket), so
the file stays small; the KL-divergence computed over these top_k+1 bins is a
lower bound of the full one, tight when the top tokens hold most of the mass.

usage: make_parity_golden.py MODEL.gguf TEXT.txt OUT.bin [--chunk 1024 --chunks 2 --top-k 16 --gen 32]
"""
import argparse
import struct

import numpy as np
from llama_cpp import Llama

PROMPTS = [
    "The capital of France is",
    "def fibonacci(n):\n",
    "Once upon a time, in a small village,",
    "1, 2, 3, 4, 5,",
]

p = argparse.ArgumentParser()
p.add_argument("model")
p.add_argument("text")
p.add_argument("out")
p.add_argument("--chunk", type=int, default=1024)
p.add_argument("--chunks", type=int, default=2)
p.add_argument("--top-k", type=int, default=16)
p.add_argument("--gen", type=int, default=32)
p.add_argument("--mode", choices=["batch", "single"], default="batch",
               help="how llama.cpp evaluates each chunk for the recorded logits")
a = p.parse_args()

llm = Llama(model_path=a.model, n_ctx=a.chunk, n_batch=a.chunk, n_ubatch=a.chunk, logits_all=True,
            n_threads=2, verbose=False, flash_attn=False)
n_vocab = llm.n_vocab()
add_bos = llm._model.add_bos_token() if hasattr(llm._model, "add_bos_token") else True
bos = llm.token_bos()
text = open(a.text, encoding="utf-8").read()
ids = llm.tokenize(text.encode("utf-8"), add_bos=False, special=False)
body = a.chunk - 1 if add_bos else a.chunk
assert len(ids) >= body * a.chunks, f"text has {len(ids)} tokens, need {body * a.chunks}"


def log_softmax(x):
    x = x.astype(np.float64)
    m = x.max()
    return x - (m + np.log(np.exp(x - m).sum()))


def chunk_tokens(c):
    return ([bos] if add_bos else []) + ids[c * body:(c + 1) * body]


def lsm_rows(x):
    x = x.astype(np.float64)
    m = x.max(1, keepdims=True)
    return x - (m + np.log(np.exp(x - m).sum(1, keepdims=True)))


toks = chunk_tokens(0)
llm.reset()
llm.eval(toks)
batch = lsm_rows(np.asarray(llm.scores[: len(toks)]))
llm.reset()
for t in toks:
    llm.eval([t])
single = lsm_rows(np.asarray(llm.scores[: len(toks)]))
self_kld = float((np.exp(batch) * (batch - single)).sum(1).mean())
self_same = float((batch.argmax(1) == single.argmax(1)).mean())
print(f"llama.cpp batch vs one-by-one: mean KLD {self_kld:.6f}, same top {100 * self_same:.2f}%")

out = open(a.out, "wb")
out.write(b"EIPG" + struct.pack("<IIII", 2, n_vocab, a.top_k, a.chunks))
out.write(struct.pack("<ff", self_kld, self_same))
for c in range(a.chunks):
    toks = chunk_tokens(c)
    llm.reset()
    if a.mode == "batch":
        llm.eval(toks)
    else:
        for t in toks:
            llm.eval([t])
    scores = np.asarray(llm.scores[: len(toks)])
    out.write(struct.pack("<I", len(toks)) + np.asarray(toks, dtype="<i4").tobytes())
    for i in range(len(toks) - 1):
        lp = log_softmax(scores[i])
        top = np.argsort(-lp, kind="stable")[: a.top_k]
        rest = 1.0 - np.exp(lp[top]).sum()
        out.write(top.astype("<i4").tobytes())
        out.write(lp[top].astype("<f4").tobytes())
        out.write(struct.pack("<f", float(np.log(max(rest, 1e-30)))))
out.write(struct.pack("<I", len(PROMPTS)))
for text in PROMPTS:
    prompt = llm.tokenize(text.encode("utf-8"), add_bos=add_bos, special=False)
    llm.reset()
    llm.eval(prompt)
    gen, margins = [], []
    for _ in range(a.gen):
        row = np.asarray(llm.scores[llm.n_tokens - 1], dtype=np.float64)
        t = int(np.argmax(row))
        second = np.partition(row, -2)[-2]
        gen.append(t)
        margins.append(float(row[t] - second))
        if t == llm.token_eos():
            break
        llm.eval([t])
    out.write(struct.pack("<I", len(prompt)) + np.asarray(prompt, dtype="<i4").tobytes())
    out.write(struct.pack("<I", len(gen)) + np.asarray(gen, dtype="<i4").tobytes())
    out.write(np.asarray(margins, dtype="<f4").tobytes())
out.close()
print("wrote", a.out, "n_vocab", n_vocab, "add_bos", add_bos)
