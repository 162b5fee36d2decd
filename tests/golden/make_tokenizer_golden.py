#!/usr/bin/env python3
"""Golden tokenizer data from llama.cpp (through llama-cpp-python) for the
default models, read by tests/test_tokenizer.c.

usage: make_tokenizer_golden.py [MODELS_DIR]   (default: $EDGEINFER_HOME/models
       or ~/.cache/edgeinfer/models); writes tests/data/tokenizer/<model>.golden

Only the vocabulary is loaded (vocab_only). The low-level calls are used so
that what is recorded is llama.cpp's own llama_tokenize, llama_detokenize
(remove_special = false) and llama_token_to_piece (lstrip = 0).

File format, one record per line (texts and pieces as hex, "-" if empty):
  file NAME | n_tokens N | bos ID | eos ID | adds_bos 0/1 | eog ID...
  tok ADD_SPECIAL PARSE_SPECIAL HEX : ID...
  detok SPECIAL ID... : HEX
  piece ID SPECIAL : HEX
"""
import ctypes, hashlib, os, random, sys

import llama_cpp as L

MODELS = ["SmolLM2-135M-Instruct.Q4_1.gguf", "gemma-3-270m-q4_k_m.gguf"]

TEXTS = [
    b"",
    b"Hello",
    b" Hello",
    b"Hello, world! This is a test of the tokenizer.",
    b"The quick brown fox jumps over the lazy dog. It's 5 o'clock; we'll see, won't we?",
    b"I've been 'told he's there, 'RE you sure? 'M not sure I'll make it, 'D you like some tea? We'Ve a'lL",
    b"3 33 333 3333 33333 1234567890 3.14159 1,000,000 -42 0x1F 1e-9",
    # code
    b"#include <stdio.h>\n\nint main(void) {\n\tprintf(\"hello\\n\");\n\treturn 0;\n}\n",
    b"def f(x):\n    if x > 0:\n        return [i ** 2 for i in range(x)]  # squares\n    return None\n",
    b"for (let i = 0; i < n; i++) { a[i] = b[i] !== c ? d : e; } // => done",
    b"SELECT name, COUNT(*) FROM users WHERE age >= 18 GROUP BY name;",
    # chat markup (special tokens of either model; plain text for the other)
    b"<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n",
    b"<bos><start_of_turn>user\nWhat is 2+2?<end_of_turn>\n<start_of_turn>model\n4<end_of_turn>\n",
    b"<|endoftext|><s></s><unk><pad><eos><mask>[INST] hi [/INST]",
    b"text<|im_end|>more<|im_start|> spaced <end_of_turn> x",
    b"<|im_start|><|im_start|><|im_end|>",
    # unicode
    "Führer Ærøskøbing naïve café résumé".encode(),
    "нещо на Български и Русский язык".encode(),
    "我想在apple工作1314151天～ 日本語のテキスト、カタカナ。".encode(),
    "한국어 텍스트입니다. العربية هنا. हिन्दी पाठ. ไทย".encode(),
    "កាន់តែពិសេសអាចខលចេញ".encode(),
    "e\u0301 a\u0308 combining marks \u0301\u0302 alone; ﬁ ligature; Ⅻ ½ ² ℌ".encode(),
    "\u00a0nbsp\u3000ideographic\u2028line\u200bzw".encode(),
    "\u2581 lower one eighth block \u2581\u2581x".encode(),
    # emoji
    "🦙🦙 🚀 (normal) 😶\u200d🌫️ (multiple emojis concatenated) ✅ 👨\u200d👩\u200d👧 🇺🇸".encode(),
    # invalid UTF-8 and odd bytes
    b"a\xffb",
    b"\xc0\x80 overlong",
    b"truncated \xe2\x82",
    b"end \xe2",
    b"\x80\x81\x82 continuation",
    b"\xed\xa0\x80 surrogate",
    b"\xf0\x9f\xa6 cut emoji",
    b"a\x00b\x01c\x7f",
    b"<0x0A> <0xFF> byte-token text",
    # whitespace runs
    b" ",
    b"   ",
    b"\n",
    b"\n\n\n",
    b"\t\t",
    b" \n \n ",
    b"a  b   c    d     e",
    b"  leading and trailing  ",
    b"line1\r\nline2\rline3\n\n\nline4",
    b"\n \n\n \n\n\n \t \t\t \t\n  \n   \n    \n     \n",
    b"    Hello\n    Hello",
]


def quiet():
    cb = ctypes.CFUNCTYPE(None, ctypes.c_int, ctypes.c_char_p, ctypes.c_void_p)(lambda a, b, c: None)
    L.llama_log_set(cb, None)
    return cb


def hx(b):
    return b.hex() if b else "-"


def main():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    home = os.environ.get("EDGEINFER_HOME") or os.path.expanduser("~/.cache/edgeinfer")
    models_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(home, "models")
    out_dir = os.path.join(root, "tests", "data", "tokenizer")
    os.makedirs(out_dir, exist_ok=True)
    keep = quiet()
    L.llama_backend_init()
    for name in MODELS:
        path = os.path.join(models_dir, name)
        if not os.path.exists(path):
            print(f"skip {name}: not in {models_dir}")
            continue
        p = L.llama_model_default_params()
        p.vocab_only = True
        model = L.llama_model_load_from_file(path.encode(), p)
        assert model, path
        v = L.llama_model_get_vocab(model)
        n = L.llama_vocab_n_tokens(v)

        def tok(b, add, parse):
            cap = len(b) * 3 + 8
            buf = (L.llama_token * cap)()
            r = L.llama_tokenize(v, b, len(b), buf, cap, add, parse)
            assert r >= 0
            return list(buf[:r])

        def detok(ids, special):
            arr = (L.llama_token * max(1, len(ids)))(*ids)
            cap = 64
            while True:
                buf = ctypes.create_string_buffer(cap)
                r = L.llama_detokenize(v, arr, len(ids), buf, cap, False, special)
                if r >= 0:
                    return buf.raw[:r]
                cap = -r + 1

        def piece(t, special):
            buf = ctypes.create_string_buffer(4096)
            r = L.llama_token_to_piece(v, t, buf, 4096, 0, special)
            assert r >= 0
            return buf.raw[:r]

        h = hashlib.sha256()
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        lines = [
            f"# made by tests/golden/make_tokenizer_golden.py with llama-cpp-python {L.__version__}",
            f"# from {name} (sha256 {h.hexdigest()})",
            f"file {name}",
            f"n_tokens {n}",
            f"bos {L.llama_vocab_bos(v)}",
            f"eos {L.llama_vocab_eos(v)}",
            f"adds_bos {int(L.llama_vocab_get_add_bos(v))}",
            "eog " + " ".join(str(t) for t in range(n) if L.llama_vocab_is_eog(v, t)),
        ]
        for text in TEXTS:
            for add, parse in ((0, 0), (0, 1), (1, 1)):
                ids = tok(text, bool(add), bool(parse))
                lines.append(f"tok {add} {parse} {hx(text)} : " + " ".join(map(str, ids)))
                if add:
                    for special in (0, 1):
                        lines.append(f"detok {special} " + " ".join(map(str, ids)) + f" : {hx(detok(ids, bool(special)))}")
        rnd = random.Random(1)
        ids = sorted(set(range(min(n, 300))) | {rnd.randrange(n) for _ in range(300)} |
                     {t for t in range(n) if L.llama_vocab_get_attr(v, t) & (1 | 8 | 16) and t < 2048})
        for t in ids:
            for special in (0, 1):
                lines.append(f"piece {t} {special} : {hx(piece(t, bool(special)))}")
        stem = name[:-len(".gguf")]
        with open(os.path.join(out_dir, stem + ".golden"), "w") as f:
            f.write("\n".join(lines) + "\n")
        print(f"{stem}.golden: {len(lines)} lines")
        L.llama_model_free(model)
    del keep


if __name__ == "__main__":
    main()
