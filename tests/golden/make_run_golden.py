#!/usr/bin/env python3
"""Greedy completions by llama.cpp (llama-cpp-python) of a few raw prompts,
for tests/test_run.sh: `edgeinfer run -p PROMPT --raw --temp 0 -n N` must
print the same text, up to the first step where llama.cpp's own choice was a
near-tie (top-2 logit margin recorded per step): there, rounding noise of
the size llama.cpp has against itself may pick either token.

usage: make_run_golden.py MODEL.gguf OUT.json [-n 24]
"""
import argparse
import json

import llama_cpp
import numpy as np
from llama_cpp import Llama

PROMPTS = ["The capital of France is", "def fibonacci(n):", "Water boils at"]

p = argparse.ArgumentParser()
p.add_argument("model")
p.add_argument("out")
p.add_argument("-n", type=int, default=24)
a = p.parse_args()
llm = Llama(model_path=a.model, n_ctx=256, n_threads=2, verbose=False, logits_all=True)
vocab = llama_cpp.llama_model_get_vocab(llm._model.model)
cases = []
for text in PROMPTS:
    toks = llm.tokenize(text.encode(), add_bos=True, special=False)
    llm.reset()
    llm.eval(toks)
    out = []
    margins = []  # top-1 minus top-2 logit at each step: how firm the choice was
    for _ in range(a.n):
        row = llm.scores[llm.n_tokens - 1]
        t = int(np.argmax(row))
        top2 = np.partition(row, -2)[-2:]
        margins.append(round(float(top2[1] - top2[0]), 4))
        if llama_cpp.llama_vocab_is_eog(vocab, t):
            break
        out.append(t)
        llm.eval([t])
    completion = llm.detokenize(out).decode("utf-8", errors="replace")
    # the text after each step, so a test can stop comparing at a near-tie
    prefixes = [len(llm.detokenize(out[:i + 1])) for i in range(len(out))]
    cases.append({"prompt": text, "n": a.n, "completion": completion, "margins": margins[:len(out)],
                  "prefix_bytes": prefixes})
json.dump(cases, open(a.out, "w"), indent=1, ensure_ascii=False)
print(json.dumps(cases, indent=1, ensure_ascii=False))
