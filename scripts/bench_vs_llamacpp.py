#!/usr/bin/env python3
"""edgeinfer vs llama.cpp, side by side on the same GGUF files.

For each model, in several rounds, runs `edgeinfer bench` and llama.cpp's
`llama-bench` (both with -o json) one after the other, alternating which
goes first, and prints a markdown table of tokens/s and their ratio, the
share of the memory-bandwidth limit reached in generation, peak memory and
start-up time. Python 3 standard library only. See docs/benchmarks.md.

  scripts/bench_vs_llamacpp.py                      # default models, pp512 + tg128, 2 threads
  scripts/bench_vs_llamacpp.py --setup              # first build llama-bench, write/fetch the models
  scripts/bench_vs_llamacpp.py -m q4_0 -m smollm2-135m -p 128 -n 32 -r 2 --rounds 2
  scripts/bench_vs_llamacpp.py --json results.json  # also write everything measured as JSON
  scripts/bench_vs_llamacpp.py -m smollm2-135m -p 0 -n 64 -d 2048   # generation after 2048 tokens of context
  scripts/bench_vs_llamacpp.py --avx2 -m q4_0       # both engines as on a CPU without AVX-512

Models (-m, repeatable): a .gguf path, a catalog name from models/catalog.tsv
(smollm2-135m, gemma3-270m), or q4_0 / q4_k_m / q8_0 / f16 for the random
1.1B Llama written by scripts/make_bench_models.sh (and q5_k_m / q6_k /
q3_k_m / q2_k / iq4_xs / iq4_nl / q5_0 / q5_1 / q4_1, written by its --more). Default: the
three 1.1B quantizations and the two catalog models.

What is measured, per model and engine:
  t/s     pp (prompt of -p tokens as one batch) and tg (-n tokens one at a
          time), each the mean of -r repetitions after a warm-up, as both
          tools define it; the table shows the median over rounds (--stat).
  %BW     tg t/s x model bytes / read bandwidth: model bytes are
          llama-bench's model_size (all tensor data in the file; this counts
          the token-embedding table in full although generation reads one
          row of it, so the share is slightly overstated for models with a
          separate output matrix); bandwidth is tests/microbench/membw.c
          with -t threads over 2 GiB. Two figures:
          %BW    against the bandwidth around the run: the mean of the
                 median passes of membw runs made just before and just
                 after that benchmark run, per round (on a shared VM the
                 bandwidth drifts by a third within minutes, so each run is
                 held against what the machine gave at that time);
          %best  against the best pass of all membw runs of the session
                 (the most the machine ever gave), or --bw GB/s.
  RSS     peak resident memory of the benchmark process (getrusage of the
          child via os.wait4), MiB; includes the mmap'd file pages touched.
  start   wall time of a separate process doing `-p 1 -n 0 -r 1` (load,
          context, one warm-up decode and one timed decode of one token,
          exit); page cache warm. edgeinfer's own load_ms is in the JSON.
"""
import argparse
import json
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HOME = os.environ.get("EDGEINFER_HOME") or os.path.join(os.path.expanduser("~"), ".cache", "edgeinfer")
BENCH_DIR = os.path.join(HOME, "bench")
# the three types, then the other common llama-quantize types (make_bench_models.sh --more)
BENCH_TYPES = ("q4_0", "q4_k_m", "q8_0")
MORE_TYPES = ("q5_k_m", "q6_k", "q3_k_m", "q2_k", "iq4_xs", "iq4_nl", "q5_0", "q5_1", "q4_1")
BENCH_ALIASES = {a: f"random-llama-1.1b-{a}.gguf" for a in BENCH_TYPES + MORE_TYPES + ("f16",)}
DEFAULT_MODELS = ["q4_0", "q4_k_m", "q8_0", "smollm2-135m", "gemma3-270m"]


def log(*a):
    print("bench_vs_llamacpp:", *a, file=sys.stderr, flush=True)


def catalog():
    rows = {}
    path = os.path.join(REPO, "models", "catalog.tsv")
    try:
        with open(path) as f:
            head = f.readline().rstrip("\n").split("\t")
            for line in f:
                r = dict(zip(head, line.rstrip("\n").split("\t")))
                rows[r["name"]] = r
    except OSError:
        pass
    return rows


def resolve_model(spec):
    """A path, a bench alias or a catalog name -> (label, path or None)."""
    if spec.lower() in BENCH_ALIASES:
        p = os.path.join(BENCH_DIR, BENCH_ALIASES[spec.lower()])
        return os.path.basename(p)[:-5], p if os.path.isfile(p) else None
    cat = catalog()
    if spec in cat:
        p = os.path.join(HOME, "models", cat[spec]["file"])
        return cat[spec]["file"][:-5], p if os.path.isfile(p) else None
    if os.path.isfile(spec):
        b = os.path.basename(spec)
        return (b[:-5] if b.endswith(".gguf") else b), os.path.abspath(spec)
    return spec, None


def find_llama_bench(given, avx2):
    if given:
        return given
    p = None if avx2 else shutil.which("llama-bench")
    if p:
        return p
    try:
        for d in sorted(os.listdir(HOME), reverse=True):
            c = os.path.join(HOME, d, "bin-avx2" if avx2 else "bin", "llama-bench")
            if d.startswith("llama.cpp-") and os.access(c, os.X_OK):
                return c
    except OSError:
        pass
    return None


def run_child(cmd, timeout):
    """Run cmd; return (rc, stdout, stderr, wall_s, maxrss_kib). The child is
    reaped with os.wait4 so its own peak RSS is known."""
    with tempfile.TemporaryFile() as fo, tempfile.TemporaryFile() as fe:
        t0 = time.monotonic()
        p = subprocess.Popen(cmd, stdout=fo, stderr=fe, stdin=subprocess.DEVNULL)
        killer = threading.Timer(timeout, p.kill)  # blocking wait4: no polling on a 2-core machine
        killer.start()
        try:
            _, status, ru = os.wait4(p.pid, 0)
        finally:
            killer.cancel()
        wall = time.monotonic() - t0
        p.returncode = os.waitstatus_to_exitcode(status)  # already reaped
        fo.seek(0)
        fe.seek(0)
        return p.returncode, fo.read().decode("utf-8", "replace"), fe.read().decode("utf-8", "replace"), wall, ru.ru_maxrss


def parse_json_array(text):
    """The JSON array a tool printed on stdout (tolerates text around it)."""
    i = text.find("[")
    j = text.rfind("]")
    if i < 0 or j < i:
        raise ValueError("no JSON array in output")
    return json.loads(text[i : j + 1])


def bench_cmd(engine, exe, model, p, n, t, r, extra, d=0):
    depth = ["-d", str(d)] if d else []
    if engine == "edgeinfer":
        return [exe, "bench", "-m", model, "-p", str(p), "-n", str(n)] + depth + ["-t", str(t), "-r", str(r), "-o", "json"] + extra
    return [exe, "-m", model, "-p", str(p), "-n", str(n)] + depth + ["-t", str(t), "-r", str(r), "-o", "json"] + extra


def run_bench(engine, exe, model, args, extra):
    cmd = bench_cmd(engine, exe, model, args.p, args.n, args.threads, args.reps, extra, args.depth)
    rc, out, err, wall, rss = run_child(cmd, args.timeout)
    res = {"cmd": cmd, "rc": rc, "wall_s": wall, "maxrss_kib": rss, "tests": {}}
    if rc != 0:
        res["error"] = err.strip().splitlines()[-5:]
        if wall >= args.timeout:
            res["error"].append(f"timed out after {args.timeout:g} s")
        return res
    try:
        arr = parse_json_array(out)
    except ValueError as e:
        res["error"] = [str(e)]
        return res
    for o in arr:
        name = f"pp{o['n_prompt']}" if o.get("n_prompt") else f"tg{o['n_gen']}"
        if o.get("n_depth"):
            name += f" @ d{o['n_depth']}"
        res["tests"][name] = {k: o.get(k) for k in ("avg_ts", "stddev_ts", "avg_ns", "model_size", "model_n_params",
                                                    "model_type", "n_threads", "load_ms", "samples_ts")
                              if k in o}
    return res


def run_start(engine, exe, model, args, extra):
    cmd = bench_cmd(engine, exe, model, 1, 0, args.threads, 1, extra)
    rc, out, err, wall, rss = run_child(cmd, args.timeout)
    res = {"rc": rc, "wall_ms": wall * 1e3, "maxrss_kib": rss}
    if rc == 0 and engine == "edgeinfer":
        try:
            res["load_ms"] = parse_json_array(out)[0].get("load_ms")
        except (ValueError, IndexError):
            pass
    return res


def membw(args, passes=20):
    """Read bandwidth in GB/s with args.threads threads: build and run membw.c."""
    src = os.path.join(REPO, "tests", "microbench", "membw.c")
    exe = os.path.join(BENCH_DIR, "membw")
    os.makedirs(BENCH_DIR, exist_ok=True)
    if not os.path.exists(exe) or os.path.getmtime(exe) < os.path.getmtime(src):
        cc = os.environ.get("CC", "cc")
        r = subprocess.run([cc, "-O2", "-march=native", "-pthread", src, "-o", exe], capture_output=True, text=True)
        if r.returncode != 0:
            r = subprocess.run([cc, "-O2", "-pthread", src, "-o", exe], capture_output=True, text=True)
        if r.returncode != 0:
            log("membw: build failed:", r.stderr.strip())
            return None
    r = subprocess.run([exe, "-t", str(args.threads), "-m", str(args.bw_mib), "-r", str(passes), "-j"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        log("membw failed:", r.stderr.strip())
        return None
    return json.loads(r.stdout)


def machine_info():
    info = {"cpu": platform.processor() or platform.machine(), "nproc": os.cpu_count(), "flags": []}
    try:
        with open("/proc/cpuinfo") as f:
            txt = f.read()
        m = re.search(r"^model name\s*:\s*(.*)$", txt, re.M)
        if m:
            info["cpu"] = m.group(1).strip()
        m = re.search(r"^flags\s*:\s*(.*)$", txt, re.M)
        if m:
            fl = m.group(1).split()
            info["flags"] = [x for x in fl if x.startswith(("avx", "amx")) or x in ("fma", "f16c")]
    except OSError:
        pass
    try:
        with open("/proc/meminfo") as f:
            m = re.search(r"MemTotal:\s*(\d+)", f.read())
            info["mem_gib"] = round(int(m.group(1)) / 1048576, 1)
    except (OSError, AttributeError):
        pass
    return info


def agg(values, stat):
    values = [v for v in values if v is not None]
    if not values:
        return None
    return max(values) if stat == "best" else statistics.median(values)


def summarize(results, stat, bw_gbps):
    """Per model and test: aggregated t/s of both engines, ratio, %BW."""
    rows = []
    for m in results["models"]:
        if m.get("skipped"):
            continue
        tests = []
        for rnd in m["rounds"]:
            for e in ("edgeinfer", "llama.cpp"):
                for name in rnd.get(e, {}).get("tests", {}):
                    if name not in tests:
                        tests.append(name)
        size = None
        for rnd in m["rounds"]:
            for e in ("llama.cpp", "edgeinfer"):
                for t in rnd.get(e, {}).get("tests", {}).values():
                    if size is None and t.get("model_size"):
                        size = t["model_size"]
        mstat = {"model": m["label"], "path": m["path"], "file_bytes": m["file_bytes"], "model_bytes": size}
        for e in ("edgeinfer", "llama.cpp"):
            rss = [rnd[e]["maxrss_kib"] for rnd in m["rounds"] if e in rnd and rnd[e].get("rc") == 0]
            mstat[e + "_peak_rss_mib"] = max(rss) / 1024 if rss else None
            st = [rnd[e + "_start"]["wall_ms"] for rnd in m["rounds"]
                  if e + "_start" in rnd and rnd[e + "_start"]["rc"] == 0]
            mstat[e + "_start_ms"] = agg(st, "median") if st else None
        lm = [rnd["edgeinfer_start"].get("load_ms") for rnd in m["rounds"] if "edgeinfer_start" in rnd]
        mstat["edgeinfer_load_ms"] = agg(lm, "median")
        mstat["tests"] = {}
        for name in tests:
            row = {}
            for e in ("edgeinfer", "llama.cpp"):
                vals = [rnd[e]["tests"][name]["avg_ts"] for rnd in m["rounds"]
                        if e in rnd and name in rnd[e].get("tests", {})]
                row[e] = agg(vals, stat)
                row[e + "_rounds"] = vals
                weights_only = name.startswith("tg") and "@" not in name  # at depth the cache is read too
                if weights_only and row[e] and size and bw_gbps:
                    row[e + "_best_pct"] = 100.0 * row[e] * size / (bw_gbps * 1e9)
                paired = [100.0 * rnd[e]["tests"][name]["avg_ts"] * size / (rnd[e]["bw_around_gbps"] * 1e9)
                          for rnd in m["rounds"]
                          if e in rnd and name in rnd[e].get("tests", {}) and rnd[e].get("bw_around_gbps") and size]
                if weights_only and paired:
                    row[e + "_bw_pct"] = agg(paired, stat)
            if row["edgeinfer"] and row["llama.cpp"]:
                row["ratio"] = row["edgeinfer"] / row["llama.cpp"]
            mstat["tests"][name] = row
        rows.append(mstat)
    return rows


def fmt(x, spec="{:.1f}", none="—"):
    return none if x is None else spec.format(x)


def spread(vals):
    return f" ± {statistics.stdev(vals):.1f}" if len(vals) > 1 else ""


def markdown(summary, results):
    a = results["args"]
    bws = [mb["best_gbps"] for mb in results.get("membw_runs", [])]
    meds = [mb["median_gbps"] for mb in results.get("membw_runs", [])]
    mi = results["machine"]
    out = [f"{mi.get('cpu')}, {mi.get('nproc')} CPUs, {mi.get('mem_gib')} GiB; "
           f"edgeinfer {results['edgeinfer']}; llama-bench {results['llama_bench']}."]
    out.append(f"{a['threads']} threads, {a['rounds']} rounds x {a['reps']} repetitions, {a['stat']} of rounds (± sd across rounds); "
               f"read bandwidth {fmt(results.get('bw_gbps'), '{:.1f}')} GB/s"
               + (f" (best pass of {len(bws)} membw runs with {a['threads']} threads: the %best limit; "
                  f"median passes {min(meds):.1f}-{max(meds):.1f}, those around each run give %BW)"
                  if bws else " (given)" if a.get("bw") else " (not measured)") + ".")
    out.append("")
    out.append("| model | size | test | edgeinfer t/s | llama.cpp t/s | ratio | %BW edgeinfer | %BW llama.cpp "
               "| %best edgeinfer | %best llama.cpp |")
    out.append("| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for m in summary:
        size = m["model_bytes"] or m["file_bytes"]
        for name, r in m["tests"].items():
            out.append(f"| {m['model']} | {size / 2**20:.0f} MiB | {name} "
                       f"| {fmt(r['edgeinfer'], '{:.2f}')}{spread(r['edgeinfer_rounds'])} "
                       f"| {fmt(r['llama.cpp'], '{:.2f}')}{spread(r['llama.cpp_rounds'])} "
                       f"| {fmt(r.get('ratio'), '{:.2f}')} "
                       f"| {fmt(r.get('edgeinfer_bw_pct'), '{:.0f} %', '')} "
                       f"| {fmt(r.get('llama.cpp_bw_pct'), '{:.0f} %', '')} "
                       f"| {fmt(r.get('edgeinfer_best_pct'), '{:.0f} %', '')} "
                       f"| {fmt(r.get('llama.cpp_best_pct'), '{:.0f} %', '')} |")
    out.append("")
    out.append("| model | peak RSS edgeinfer | peak RSS llama.cpp | start edgeinfer | start llama.cpp | edgeinfer load |")
    out.append("| --- | ---: | ---: | ---: | ---: | ---: |")
    for m in summary:
        out.append(f"| {m['model']} | {fmt(m['edgeinfer_peak_rss_mib'], '{:.0f} MiB')} "
                   f"| {fmt(m['llama.cpp_peak_rss_mib'], '{:.0f} MiB')} "
                   f"| {fmt(m['edgeinfer_start_ms'], '{:.0f} ms')} | {fmt(m['llama.cpp_start_ms'], '{:.0f} ms')} "
                   f"| {fmt(m['edgeinfer_load_ms'], '{:.0f} ms')} |")
    skipped = [m["spec"] for m in results["models"] if m.get("skipped")]
    if skipped:
        out += ["", "Not found, skipped: " + ", ".join(skipped) + "."]
    return "\n".join(out)


def setup(args):
    bindir = subprocess.run([os.path.join(REPO, "scripts", "build_llama_bench.sh")] + (["--avx2"] if args.avx2 else []), check=True,
                            stdout=subprocess.PIPE, text=True).stdout.strip().splitlines()[-1]
    if not args.llama_bench:
        args.llama_bench = os.path.join(bindir, "llama-bench")
    specs = args.models or DEFAULT_MODELS
    if any(s.lower() in BENCH_ALIASES for s in specs):
        more = ["--more"] if any(s.lower() in MORE_TYPES for s in specs) else []
        subprocess.run([os.path.join(REPO, "scripts", "make_bench_models.sh")] + more, check=True,
                       stdout=subprocess.DEVNULL)
    names = [s for s in specs if s in catalog()]
    if names:
        subprocess.run([os.path.join(REPO, "models", "fetch.sh")] + names, check=True, stdout=subprocess.DEVNULL)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__[__doc__.find("\n"):])
    ap.add_argument("-m", "--model", dest="models", action="append", help="model (repeatable); default: %s" % " ".join(DEFAULT_MODELS))
    ap.add_argument("-p", type=int, default=512, help="prompt tokens for pp (0: skip pp)")
    ap.add_argument("-n", type=int, default=128, help="generated tokens for tg (0: skip tg)")
    ap.add_argument("-d", "--depth", type=int, default=0, help="tokens already in the cache when each test starts")
    ap.add_argument("-t", "--threads", type=int, default=2)
    ap.add_argument("-r", "--reps", type=int, default=3, help="repetitions per run (both tools' -r)")
    ap.add_argument("--rounds", type=int, default=3, help="alternating rounds per model")
    ap.add_argument("--stat", choices=("median", "best"), default="median", help="how rounds are combined")
    ap.add_argument("--edgeinfer", default=os.path.join(REPO, "build", "bin", "edgeinfer"))
    ap.add_argument("--llama-bench", help="llama-bench binary (default: PATH, then the build_llama_bench.sh cache)")
    ap.add_argument("--ei-args", default="", help="extra arguments for edgeinfer bench")
    ap.add_argument("--llama-args", default="", help="extra arguments for llama-bench (e.g. '-fa 0')")
    ap.add_argument("--bw", type=float, help="read bandwidth in GB/s (skip the membw measurement)")
    ap.add_argument("--bw-mib", type=int, default=2048, help="membw buffer size (default 2048 MiB)")
    ap.add_argument("--no-start", action="store_true", help="skip the start-up time runs")
    ap.add_argument("--timeout", type=float, default=3600, help="seconds per tool run")
    ap.add_argument("--setup", action="store_true", help="build llama-bench, write and fetch the models first")
    ap.add_argument("--avx2", action="store_true",
                    help="as on a CPU without AVX-512: edgeinfer with EDGEINFER_CPU=avx2, llama.cpp built by "
                         "build_llama_bench.sh --avx2")
    ap.add_argument("--json", help="write all results as JSON to this file ('-': stdout, table to stderr)")
    args = ap.parse_args()

    if args.setup:
        setup(args)
    ei = os.path.abspath(args.edgeinfer)
    if not os.access(ei, os.X_OK):
        sys.exit(f"bench_vs_llamacpp: no edgeinfer at {ei} (build it, or give --edgeinfer)")
    lb = find_llama_bench(args.llama_bench, args.avx2)
    if not lb:
        sys.exit("bench_vs_llamacpp: no llama-bench (run scripts/build_llama_bench.sh%s, or give --llama-bench, or --setup)"
                 % (" --avx2" if args.avx2 else ""))
    if args.avx2:
        os.environ["EDGEINFER_CPU"] = "avx2"  # inherited by every edgeinfer run; llama-bench ignores it
    engines = {"edgeinfer": (ei, shlex.split(args.ei_args)), "llama.cpp": (lb, shlex.split(args.llama_args))}

    results = {"machine": machine_info(), "edgeinfer": ei, "llama_bench": lb,
               "args": {k: v for k, v in vars(args).items() if k not in ("setup",)}, "models": []}
    results["args"]["models"] = args.models or DEFAULT_MODELS
    log(f"edgeinfer {ei}; llama-bench {lb}")

    # The bandwidth is measured at the start and after each benchmark run
    # that measures generation; see %BW and %best above.
    results["membw_runs"] = []

    def measure_bw(passes=20):
        if args.bw:
            return None
        mb = membw(args, passes)
        if mb:
            results["membw_runs"].append(mb)
            log(f"read bandwidth {mb['best_gbps']:.1f} GB/s best, {mb['median_gbps']:.1f} median "
                f"({mb['threads']} threads, {mb['passes']} passes)")
        return mb

    # the bandwidth around each benchmark run that measures generation
    last_bw = [None]

    def bw_around(run):
        if args.bw or args.n <= 0:
            return
        before = last_bw[0] or measure_bw(10)
        after = measure_bw(10)
        last_bw[0] = after
        if before and after:
            run["bw_around_gbps"] = (before["median_gbps"] + after["median_gbps"]) / 2

    if args.bw:
        results["bw_gbps"] = args.bw
    last_bw[0] = measure_bw()

    for spec in args.models or DEFAULT_MODELS:
        label, path = resolve_model(spec)
        if not path:
            hint = "scripts/make_bench_models.sh" if spec.lower() in BENCH_ALIASES else "models/fetch.sh"
            log(f"{spec}: model not found, skipped (see {hint}, or --setup)")
            results["models"].append({"spec": spec, "label": label, "skipped": True})
            continue
        m = {"spec": spec, "label": label, "path": path, "file_bytes": os.path.getsize(path), "rounds": []}
        results["models"].append(m)
        for k in range(args.rounds):
            order = ["edgeinfer", "llama.cpp"] if k % 2 == 0 else ["llama.cpp", "edgeinfer"]
            rnd = {}
            for e in order:
                exe, extra = engines[e]
                if not args.no_start:
                    rnd[e + "_start"] = run_start(e, exe, path, args, extra)
                r = run_bench(e, exe, path, args, extra)
                bw_around(r)
                rnd[e] = r
                if r["rc"] != 0 or "error" in r:
                    log(f"{label} round {k + 1}: {e} failed (rc {r['rc']}):", *r.get("error", []))
                else:
                    log(f"{label} round {k + 1}: {e} " + ", ".join(
                        f"{n} {t['avg_ts']:.2f} t/s" for n, t in r["tests"].items())
                        + f", peak RSS {r['maxrss_kib'] / 1024:.0f} MiB")
            m["rounds"].append(rnd)

    if not args.bw and results["membw_runs"]:
        results["bw_gbps"] = max(mb["best_gbps"] for mb in results["membw_runs"])
    summary = summarize(results, args.stat, results.get("bw_gbps"))
    results["summary"] = summary
    table = markdown(summary, results)
    if args.json == "-":
        print(table, file=sys.stderr)
        json.dump(results, sys.stdout, indent=1)
        print()
    else:
        print(table)
        if args.json:
            with open(args.json, "w") as f:
                json.dump(results, f, indent=1)
            log(f"wrote {args.json}")


if __name__ == "__main__":
    main()
