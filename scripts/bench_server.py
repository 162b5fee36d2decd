#!/usr/bin/env python3
"""Throughput of `edgeinfer serve` under load (continuous batching).

Starts a server (or uses --url), then measures, with streaming chat
completions that each generate exactly --max-tokens tokens (end-of-generation
tokens are banned through logit_bias, so every answer has the same length):

  single   one client at a time: generated tokens per second
  load     --clients concurrent streaming clients: total generated tokens per
           second, and time to first token (median, p90, max)

and prints the ratio load/single (the goal with --parallel 4 and 16 clients:
at least 2.5x). Standard library only. Not a test: timings depend on the
machine; docs/server.md records the figures.

usage: scripts/bench_server.py -m MODEL [--bin build/bin/edgeinfer] [--parallel 4]
       [--clients 16] [--max-tokens 64] [--rounds 2] [--json]
   or: scripts/bench_server.py --url http://127.0.0.1:8080 ...
   or: scripts/bench_server.py -m MODEL --llama-server PATH   (the same load on
       llama.cpp's llama-server, --parallel slots of --ctx tokens each;
       scripts/build_llama_bench.sh --server builds one)
"""
import argparse
import http.client
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse

PROMPTS = [
    "Write a short story about a lighthouse keeper.",
    "Explain how a bicycle works.",
    "Describe the water cycle for a child.",
    "List some facts about the moon.",
    "Tell me about the history of tea.",
    "Why is the sky blue?",
    "Write a poem about autumn leaves.",
    "How do bees make honey?",
]


def post(base, path, body, stream=False):
    u = urllib.parse.urlparse(base)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=3600)
    conn.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
    return conn, conn.getresponse()


def eog_bias(base):
    bias = {}
    for text in ["</s>", "<|im_end|>", "<|endoftext|>", "<end_of_turn>", "<|eot_id|>", "<eos>"]:
        conn, r = post(base, "/tokenize", {"content": text, "parse_special": True})
        toks = json.loads(r.read())["tokens"]
        conn.close()
        if len(toks) == 1:
            bias[str(toks[0])] = -100
    return bias


def one_stream(base, prompt, max_tokens, bias):
    """(generated tokens, seconds, seconds to the first token) of one streamed answer."""
    t0 = time.perf_counter()
    conn, r = post(base, "/v1/chat/completions", {
        "messages": [{"role": "user", "content": prompt}], "max_tokens": max_tokens, "temperature": 0.7,
        "seed": 1, "stream": True, "stream_options": {"include_usage": True}, "logit_bias": bias})
    if r.status != 200:
        raise RuntimeError(f"HTTP {r.status}: {r.read()[:200]!r}")
    ttft, n = None, 0
    for line in r:
        line = line.strip()
        if not line.startswith(b"data: ") or line == b"data: [DONE]":
            continue
        ev = json.loads(line[6:])
        if ev["choices"] and ev["choices"][0]["delta"].get("content") and ttft is None:
            ttft = time.perf_counter() - t0
        if ev.get("usage"):
            n = ev["usage"]["completion_tokens"]
    conn.close()
    return n, time.perf_counter() - t0, ttft if ttft is not None else float("nan")


def pct(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))]


def start_server(args):
    cmd = [args.bin, "serve", "-m", args.model, "--port", "0", "--parallel", str(args.parallel), "-c",
           str(args.ctx), "--queue", str(max(64, args.clients))]
    if args.threads:
        cmd += ["-t", str(args.threads)]
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
    url = None
    for line in proc.stderr:
        m = re.search(r"listening on (http://\S+)", line)
        if m:
            url = m.group(1)
        if "ready in" in line:
            break
    if not url:
        proc.kill()
        sys.exit("bench_server: the server did not start")
    threading.Thread(target=lambda: [None for _ in proc.stderr], daemon=True).start()  # drain its log
    return proc, url


def start_llama_server(args):
    """llama.cpp's server on a free port with the same slots, threads and per-slot context."""
    with socket.socket() as so:
        so.bind(("127.0.0.1", 0))
        port = so.getsockname()[1]
    cmd = [args.llama_server, "-m", args.model, "--host", "127.0.0.1", "--port", str(port), "-np",
           str(args.parallel), "-c", str(args.ctx * args.parallel), "-t", str(args.threads or 2), "--no-webui"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):
        time.sleep(0.1)
        if proc.poll() is not None:
            sys.exit(f"bench_server: llama-server exited ({proc.returncode}): {' '.join(cmd)}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/health")
            ok = conn.getresponse().status == 200
            conn.close()
            if ok:
                return proc, base
        except OSError:
            pass
    proc.kill()
    sys.exit("bench_server: llama-server did not become healthy in 60 s")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-m", "--model")
    ap.add_argument("--bin", default=os.path.join(os.path.dirname(__file__), "..", "build", "bin", "edgeinfer"))
    ap.add_argument("--url")
    ap.add_argument("--llama-server", help="run the load on this llama-server binary instead")
    ap.add_argument("--parallel", type=int, default=4)
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--max-tokens", type=int, default=64)
    ap.add_argument("--rounds", type=int, default=2, help="requests per client under load")
    ap.add_argument("--single", type=int, default=3, help="requests for the single-client figure")
    ap.add_argument("--ctx", type=int, default=1024)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = ap.parse_args()
    if not args.url and not args.model:
        ap.error("give -m MODEL (a server is started) or --url of a running one")
    proc = None
    base = args.url
    if not base:
        proc, base = start_llama_server(args) if args.llama_server else start_server(args)
    try:
        bias = eog_bias(base)
        one_stream(base, "Hi", 4, bias)  # warm up

        # single client
        t0 = time.perf_counter()
        single = [one_stream(base, PROMPTS[i % len(PROMPTS)], args.max_tokens, bias) for i in range(args.single)]
        single_wall = time.perf_counter() - t0
        single_tps = sum(n for n, _, _ in single) / single_wall

        # many clients
        results, errors = [], []
        lock = threading.Lock()

        def client(k):
            for r in range(args.rounds):
                try:
                    res = one_stream(base, PROMPTS[(k + r) % len(PROMPTS)], args.max_tokens, bias)
                    with lock:
                        results.append(res)
                except Exception as e:  # noqa: BLE001
                    with lock:
                        errors.append(repr(e))

        threads = [threading.Thread(target=client, args=(k,)) for k in range(args.clients)]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        load_wall = time.perf_counter() - t0
        if errors:
            sys.exit(f"bench_server: {len(errors)} requests failed, e.g. {errors[0]}")
        load_tps = sum(n for n, _, _ in results) / load_wall
        ttfts = [t for _, _, t in results]
        out = {
            "parallel": args.parallel, "clients": args.clients, "max_tokens": args.max_tokens,
            "single_tok_s": round(single_tps, 1),
            "single_ttft_ms": round(statistics.median(t for _, _, t in single) * 1e3, 1),
            "load_tok_s": round(load_tps, 1),
            "speedup": round(load_tps / single_tps, 2),
            "load_ttft_ms_median": round(statistics.median(ttfts) * 1e3, 1),
            "load_ttft_ms_p90": round(pct(ttfts, 0.9) * 1e3, 1),
            "load_ttft_ms_max": round(max(ttfts) * 1e3, 1),
            "load_requests": len(results),
        }
        if args.json:
            print(json.dumps(out))
        else:
            print(f"single client:       {out['single_tok_s']:8.1f} tok/s  (first token {out['single_ttft_ms']} ms)")
            print(f"{args.clients} clients, {args.parallel} slots: {out['load_tok_s']:8.1f} tok/s  "
                  f"= {out['speedup']}x single")
            print(f"time to first token under load: median {out['load_ttft_ms_median']} ms, "
                  f"p90 {out['load_ttft_ms_p90']} ms, max {out['load_ttft_ms_max']} ms")
    finally:
        if proc:
            proc.terminate()
            proc.wait(timeout=60)


if __name__ == "__main__":
    main()
