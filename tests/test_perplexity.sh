#!/usr/bin/env bash
# `edgeinfer perplexity` end to end on the tiny random Llama
# (scripts/make_test_models.sh): the perplexity is a finite number; a
# _logits_ base file written by the model and read back by the same model
# gives KL divergence 0 and the same top token (but for 16-bit ties); broken base files
# and bad arguments give a clear message and a non-zero exit, never a crash.
set -euo pipefail
bin=${EI_BIN:?}
src=${EI_SOURCE_DIR:?}
model=${EI_BINARY_DIR:?}/models/random-llama-q8_0.gguf
text=$src/tests/data/text/gpl-3.txt
if [ ! -f "$model" ]; then
  echo "skip: $model absent (run scripts/make_test_models.sh $EI_BINARY_DIR)"
  exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
ppl=("$bin" perplexity -m "$model" -t 2)

# ---- perplexity -------------------------------------------------------------
"${ppl[@]}" -f "$text" -c 128 --chunks 4 > "$tmp/ppl.out" 2> "$tmp/ppl.err" || { cat "$tmp/ppl.err"; fail "perplexity run"; }
python3 - "$tmp/ppl.out" <<'PY' || fail "perplexity output"
import math, re, sys
out = open(sys.argv[1]).read()
run = re.findall(r"\[(\d+)\]([0-9.]+),", out)
assert [int(i) for i, _ in run] == [1, 2, 3, 4], out
m = re.search(r"^Final estimate: PPL = ([0-9.]+) \+/- ([0-9.]+)$", out, re.M)
assert m, out
ppl, err = float(m.group(1)), float(m.group(2))
assert math.isfinite(ppl) and ppl > 1 and math.isfinite(err) and err > 0, (ppl, err)
assert abs(ppl - float(run[-1][1])) <= 1e-4 * ppl, (ppl, run[-1])
print("perplexity: PPL = %g +/- %g" % (ppl, err))
PY

# ---- writing the base file ---------------------------------------------------
base=$tmp/base.bin
"${ppl[@]}" -f "$text" -c 128 --chunks 4 --kl-divergence-base "$base" > "$tmp/w.out" 2> "$tmp/w.err" ||
  { cat "$tmp/w.err"; fail "writing the base file"; }
python3 - "$base" "$tmp/ppl.out" "$tmp/w.out" <<'PY' || fail "base file layout"
import os, re, struct, sys
path, plain, written = sys.argv[1:]
b = open(path, "rb").read()
assert b[:8] == b"_logits_", b[:8]
n_ctx, n_vocab, n_chunk = struct.unpack("<3i", b[8:20])
assert (n_ctx, n_vocab, n_chunk) == (128, 32000, 4), (n_ctx, n_vocab, n_chunk)
nv = 2 * ((n_vocab + 1) // 2) + 4
scored = n_ctx - 1 - n_ctx // 2
assert len(b) == 20 + 4 * n_ctx * n_chunk + 2 * nv * scored * n_chunk, len(b)
toks = struct.unpack("<%di" % (n_ctx * n_chunk), b[20:20 + 4 * n_ctx * n_chunk])
assert all(0 <= t < n_vocab for t in toks)
# each record: scale > 0, min_log_prob <= 0, and some entry at 65535 (the most likely token)
off = 20 + 4 * n_ctx * n_chunk
for r in (0, scored * n_chunk - 1):
    rec = b[off + 2 * nv * r: off + 2 * nv * (r + 1)]
    scale, minlp = struct.unpack("<2f", rec[:8])
    q = struct.unpack("<%dH" % n_vocab, rec[8:8 + 2 * n_vocab])
    assert scale > 0 and minlp <= 0 and max(q) == 65535, (scale, minlp, max(q))
# the same perplexity, up to the float rounding of the file path's -log p
f = lambda s: float(re.search(r"Final estimate: PPL = ([0-9.]+)", open(s).read()).group(1))
assert abs(f(plain) - f(written)) <= 1e-5 * f(plain), (f(plain), f(written))
PY

# ---- reading it back with the same model: identical distributions ----------
"${ppl[@]}" --kl-divergence-base "$base" --kl-divergence > "$tmp/k.out" 2> "$tmp/k.err" ||
  { cat "$tmp/k.err"; fail "--kl-divergence run"; }
for line in "====== Perplexity statistics ======" "Mean PPL(Q)" "Mean PPL(base)" "Cor(ln(PPL(Q)), ln(PPL(base)))" \
  "Mean ln(PPL(Q)/PPL(base))" "Mean PPL(Q)/PPL(base)" "Mean PPL(Q)-PPL(base)" "====== KL divergence statistics ======" \
  "Mean    KLD:" "Maximum KLD:" "99.9%   KLD:" "99.0%   KLD:" "Median  KLD:" "10.0%   KLD:" " 5.0%   KLD:" \
  " 1.0%   KLD:" " 0.1%   KLD:" "Minimum KLD:" "====== Token probability statistics ======" "Mean    Δp:" \
  "Maximum Δp:" "Median  Δp:" "Minimum Δp:" "RMS Δp" "Same top p:"; do
  grep -qF -- "$line" "$tmp/k.out" || fail "no '$line' in the KL-divergence output"
done
python3 - "$tmp/k.out" "$tmp/w.out" "$base" <<'PY' || { cat "$tmp/k.out"; fail "KL divergence of a model with itself"; }
import array, re, struct, sys
out = open(sys.argv[1]).read()
# Records whose top log-probability is shared by two tokens after 16-bit
# rounding (a near-tie in the logits): the stored argmax is then the lower id,
# which need not be the model's. Every other token must agree.
b = open(sys.argv[3], "rb").read()
n_ctx, n_vocab, n_chunk = struct.unpack("<3i", b[8:20])
nv, n_rec = 2 * ((n_vocab + 1) // 2) + 4, (n_ctx - 1 - n_ctx // 2) * n_chunk
off = 20 + 4 * n_ctx * n_chunk
q = array.array("H", b[off:off + 2 * nv * n_rec])
ties = sum(q[r * nv + 4:r * nv + 4 + n_vocab].count(65535) > 1 for r in range(n_rec))
rows = re.findall(r"^ +(\d+) +[0-9.]+ ± ", out, re.M)
assert rows == ["1", "2", "3", "4"], rows
num = lambda label: float(re.search(re.escape(label) + r" *:? *(-?[0-9.]+)", out).group(1))
# Not exactly 0: the file rounds each log-probability to within scale/2
# (16/65535/2 = 1.2e-4), so a token's KLD is within about that of 0, with
# either sign; the mean is smaller still (it prints as 0.000000 or +-0.000001).
assert abs(num("Mean    KLD:")) <= 2e-6, num("Mean    KLD:")
assert abs(num("Maximum KLD:")) < 2e-4 and abs(num("Minimum KLD:")) < 2e-4
assert num("Same top p:") >= 100.0 * (n_rec - ties) / n_rec - 1e-3, (num("Same top p:"), ties, n_rec)
assert abs(num("RMS Δp    :")) < 1e-3
# PPL(Q) is the perplexity printed while the file was written (the same float arithmetic)
ppl_w = float(re.search(r"Final estimate: PPL = ([0-9.]+)", open(sys.argv[2]).read()).group(1))
assert abs(num("Mean PPL(Q)") - ppl_w) <= 1e-4 + 1e-9 * ppl_w, (num("Mean PPL(Q)"), ppl_w)
print("kl-divergence with itself: KLD %g, same top %g%% (%d of %d records with a tie at the top)"
      % (num("Mean    KLD:"), num("Same top p:"), ties, n_rec))
PY
# a -c that differs from the file's is noted, the file's n_ctx is used
"${ppl[@]}" --kl-divergence-base "$base" --kl-divergence -c 64 > "$tmp/k2.out" 2> "$tmp/k2.err" || fail "-c with a base file"
grep -q "n_ctx 128" "$tmp/k2.err" || fail "no note about the file's n_ctx"
cmp -s "$tmp/k.out" "$tmp/k2.out" || fail "-c changed the KL-divergence output"

# ---- broken base files: exit 1, a message naming the problem, nothing on stdout
expect_fail() { # description, pattern, args...
  local what=$1 pat=$2
  shift 2
  set +e
  "$@" > "$tmp/o" 2> "$tmp/e"
  local rc=$?
  set -e
  [ $rc -eq 1 ] || { cat "$tmp/e"; fail "$what: exit $rc, expected 1"; }
  grep -qi -- "$pat" "$tmp/e" || { cat "$tmp/e"; fail "$what: message lacks '$pat'"; }
}
kld() { "${ppl[@]}" --kl-divergence-base "$1" --kl-divergence; }
size=$(stat -c %s "$base")
head -c $((size - 1000)) "$base" > "$tmp/trunc.bin"
expect_fail "truncated file" "truncated" kld "$tmp/trunc.bin"
head -c 14 "$base" > "$tmp/short.bin"
expect_fail "truncated header" "truncated header" kld "$tmp/short.bin"
head -c 5000 "$base" > "$tmp/tokens.bin"
expect_fail "file cut in the tokens" "truncated" kld "$tmp/tokens.bin"
head -c 100000 /dev/urandom > "$tmp/garbage.bin"
expect_fail "garbage" "does not look like" kld "$tmp/garbage.bin"
: > "$tmp/empty.bin"
expect_fail "empty file" "does not look like" kld "$tmp/empty.bin"
expect_fail "missing file" "failed to open" kld "$tmp/no-such-file.bin"
python3 - "$base" "$tmp" <<'PY'
import struct, sys
b = bytearray(open(sys.argv[1], "rb").read())
def put(name, data):
    open(sys.argv[2] + "/" + name, "wb").write(data)
put("huge.bin", b[:8] + struct.pack("<3i", 2**31 - 1, 2**31 - 1, 2**31 - 1) + b[20:])
put("negative.bin", b[:8] + struct.pack("<3i", 128, -5, 4) + b[20:])
put("nochunks.bin", b[:8] + struct.pack("<3i", 128, 32000, 0) + b[20:])
put("tinyctx.bin", b[:8] + struct.pack("<3i", 2, 32000, 4) + b[20:])
t = bytearray(b); t[20 + 4 * 7:20 + 4 * 8] = struct.pack("<i", 40000); put("badtoken.bin", t)
put("vocab.bin", b[:8] + struct.pack("<3i", 128, 31999, 4) + b[20:])  # same record size, other vocabulary
PY
expect_fail "huge sizes" "truncated\|overflow" kld "$tmp/huge.bin"
expect_fail "negative n_vocab" "n_vocab" kld "$tmp/negative.bin"
expect_fail "no chunks" "no chunks" kld "$tmp/nochunks.bin"
expect_fail "tiny n_ctx" "n_ctx" kld "$tmp/tinyctx.bin"
expect_fail "token out of range" "outside the vocabulary" kld "$tmp/badtoken.bin"
expect_fail "other vocabulary" "vocabulary" kld "$tmp/vocab.bin"

# ---- other errors -------------------------------------------------------------
printf 'Only a few words.\n' > "$tmp/short.txt"
expect_fail "text too short" "tokenizes to only" "${ppl[@]}" -f "$tmp/short.txt" -c 128
grep -q "at least 256 tokens" "$tmp/e" || fail "too-short message lacks the size needed"
expect_fail "missing text" "cannot open" "${ppl[@]}" -f "$tmp/no-such.txt" -c 128
expect_fail "unwritable base file" "failed to write" "${ppl[@]}" -f "$text" -c 128 --chunks 1 \
  --kl-divergence-base "$tmp/no-such-dir/base.bin"
expect_fail "missing model" "" "$bin" perplexity -m "$tmp/no-such-model.gguf" -f "$text"
cp "$model" "$tmp/model.gguf"
expect_fail "base file = the model" "refusing to overwrite" "$bin" perplexity -m "$tmp/model.gguf" -f "$text" \
  -c 128 --chunks 1 --kl-divergence-base "$tmp/model.gguf"
cmp -s "$model" "$tmp/model.gguf" || fail "the model was overwritten"
if ls "$tmp" | grep -E '\.(bin|gguf)\.[A-Za-z0-9]{6}$'; then fail "temporary files left behind"; fi

# usage errors exit 2
usage_error() { # description, args...
  local what=$1
  shift
  set +e
  "$@" > /dev/null 2> "$tmp/e"
  local rc=$?
  set -e
  [ $rc -eq 2 ] || { cat "$tmp/e"; fail "$what: exit $rc, expected 2"; }
  [ -s "$tmp/e" ] || fail "$what: no message"
}
usage_error "missing -f" "${ppl[@]}" -c 128
usage_error "missing -m" "$bin" perplexity -f "$text"
usage_error "--kl-divergence without a base" "${ppl[@]}" --kl-divergence
usage_error "bad -c" "${ppl[@]}" -f "$text" -c 0
usage_error "non-numeric -c" "${ppl[@]}" -f "$text" -c abc
usage_error "bad --chunks" "${ppl[@]}" -f "$text" --chunks 0
usage_error "unknown option" "${ppl[@]}" -f "$text" --bogus
usage_error "option without value" "${ppl[@]}" -f
"$bin" perplexity --help | grep -q "kl-divergence-base" || fail "--help"
echo "perplexity: all checks passed"
