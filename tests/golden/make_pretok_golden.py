#!/usr/bin/env python3
"""Golden splits for tests/test_pretokenize.c, written to tests/data/pretok/.

For every rule set of src/tokenizer/pretok_rules.c (its regex strings are
read from that file, so there is one copy of them), split a fixed list of
tricky inputs the way llama.cpp's unicode_regex_split does, computing the
regex matches with Python's `regex` module:

- text is decoded like llama.cpp (invalid or truncated UTF-8: U+FFFD for the
  first byte, then go on at the next byte; overlongs and surrogates decode);
- regexes that name a category are matched against llama.cpp's "collapsed"
  text and its rewritten pattern (every non-ASCII code point replaced by one
  stand-in per category), the others against the code points with non-ASCII
  white space replaced by U+000B; both with ASCII-only \\s \\d \\w, as
  std::regex has in the C locale;
- each regex splits each piece of the previous one separately, and matches
  and the unmatched stretches between them are both pieces (std::regex_iterator
  order, empty pieces dropped);
- the regexes llama.cpp replaces by hand-written code (unicode.cpp's
  unicode_regex_split_custom): the GPT-2, llama3, qwen2 and qwen35 ones are
  matched as regexes too (the code agrees with them), Kimi K2's, AFMoE's
  digit split and the newline split are re-coded below after llama.cpp,
  since no regex says what they do.

Where plain `regex` on the raw text with the same pattern would split
differently, the output line says so ("# plain regex: ..."): those are the
places llama.cpp differs from a Python tokenizer and the C code follows
llama.cpp. The outputs were also checked against llama.cpp's own
unicode_regex_split (unicode.cpp from llama-cpp-python 0.3.36, built as a
test harness), with no difference.

Needs Python 3.13 (unicodedata 15.1, the version of llama.cpp's tables) and
the `regex` package:
    python3.13 -m venv /tmp/tokvenv && /tmp/tokvenv/bin/pip install regex
    /tmp/tokvenv/bin/python tests/golden/make_pretok_golden.py

Output: inputs.txt (one hex-encoded input per line) and, per rule set, NAME.txt
with one line per input: the byte lengths of its pieces.
"""
import os
import re
import sys
import unicodedata

import regex

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
OUT = os.path.join(ROOT, "tests", "data", "pretok")

if unicodedata.unidata_version != "15.1.0":
    sys.exit("needs unicodedata 15.1.0 (Python 3.13), have %s" % unicodedata.unidata_version)

# ---- inputs -------------------------------------------------------------------

INPUTS = [
    "",
    "Hello world",
    " Hello  world  ",
    "I'm don't you'll we've they're she'd it's",
    "I'M DON'T YOU'LL 'Ll ' s 'ſ",
    "1 12 123 1234 12345 1234567",
    "3.14159, 1,000,000 and 12,345.67",
    "line1\nline2\r\n\r\nline3\n\n\n",
    "  leading and trailing   ",
    "tabs\tand\t\tmore\t \n",
    "a \n b\n\n  c   \r\n d",
    "中文测试 and 日本語のテキスト 한국어 텍스트",
    "emoji 😀👍🏽🇺🇸 test👨‍👩‍👧",
    "über naïve café résumé Ærø",
    "HelloWorld CamelCase ALLCAPS lowercase MiXeD",
    "Ünïcödé ÉCOLE ÉcOlE ΣΊΣΥΦΟΣ",
    "a\u00a0b\u3000c\u2028d\u0085e \u2009f",
    "x\u0301y\u0308 e\u0301\u0301",
    "$100 + 200 = <300> ^_^ `code` ~tilde~ |pipe|",
    "<sentinel:12>IMGIMGABCZ    x  y\t\tz",
    "abc123def4567 x٣٤٥٦ ²³½",
    "'s 's's'S  's",
    "...!!!??? ！？ “quoted” ‘single’ — …",
    "a-b_c.d/e\\f",
    "नमस्ते दुनिया สวัสดีครับ مرحبا بالعالم",
    "x\x1c\x1cy\x00z\x7f",
    "   ",
    "\n",
    b"bad \xff bytes \xc3( trunc \xe2\x82",
    b"overlong \xc0\x80 \xe0\x80\xaf surrogate \xed\xa0\x80 end",
    b"\x80\x80abc\xf0\x9f\x98",
    "def foo(x):\n    return x**2  # comment\n\n\tpass",
]


def as_bytes(x):
    return x if isinstance(x, bytes) else x.encode("utf-8")


# ---- rule sets, from pretok_rules.c -------------------------------------------


def c_unescape(body):
    out, i = [], 0
    while i < len(body):
        c = body[i]
        if c == "\\":
            out.append({"n": "\n", "r": "\r", "t": "\t", "\\": "\\", '"': '"', "'": "'"}[body[i + 1]])
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def read_rules():
    src = open(os.path.join(ROOT, "src", "tokenizer", "pretok_rules.c"), encoding="utf-8").read()
    lists = {}
    for m in re.finditer(r"static const char \*const RX_(\w+)\[\] = \{\n(.*?)\n\s*NULL,\n\};", src, re.S):
        lists["SET_" + m.group(1)] = [c_unescape(x) for x in re.findall(r'^\s*"((?:[^"\\]|\\.)*)",$', m.group(2), re.M)]
    names = re.findall(r'^\s*\{"([^"]+)", (SET_\w+)\},$', src, re.M)
    return lists, names


# ---- llama.cpp's text model ----------------------------------------------------


def decode_with_lengths(b):
    """unicode_cpts_from_utf8, and how many bytes each code point took."""
    cps, lens, i = [], [], 0
    while i < len(b):
        c = b[i]
        need = 0 if c < 0x80 else -1 if c < 0xC0 else 1 if c < 0xE0 else 2 if c < 0xF0 else 3 if c < 0xF8 else -1
        tail = b[i + 1:i + 1 + need] if need > 0 else b""
        if need == 0:
            cps.append(c)
            n = 1
        elif need > 0 and len(tail) == need and all(0x80 <= x < 0xC0 for x in tail):
            v = c & (0x1F if need == 1 else 0x0F if need == 2 else 0x07)
            for x in tail:
                v = (v << 6) | (x & 0x3F)
            cps.append(v)
            n = need + 1
        else:
            cps.append(0xFFFD)
            n = 1
        lens.append(n)
        i += n
    return cps, lens


def decode(b):
    return decode_with_lengths(b)[0]


# White_Space, llama.cpp's \s (scripts/gen_unicode.py derives and checks the same set).
WHITE_SPACE = {0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20, 0x85, 0xA0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000}
WHITE_SPACE |= set(range(0x2000, 0x200B))


def category(cp):
    if cp >= 0x110000:
        return "Cn"
    return unicodedata.category(chr(cp))


def collapse_cp(cp):
    if cp < 0x80:
        return chr(cp)
    if cp in WHITE_SPACE:
        return "\x0b"
    return {"N": "\xd1", "L": "\xd2", "P": "\xd3", "M": "\xd4", "S": "\xd5"}.get(category(cp)[0], "\xd0")


UCAT = [("\\p{N}", "\xd1", "0-9"), ("\\p{L}", "\xd2", "A-Za-z"), ("\\p{P}", "\xd3", "!-#%-*,-/:-;?-@\\[-\\]_\\{\\}"),
        ("\\p{M}", "\xd4", ""), ("\\p{S}", "\xd5", "\\$\\+<->^`\\|\\~")] + \
       [("\\p{L%s}" % k, "\xd2", "A-Za-z") for k in "ultmo"]


def uses_categories(rx):
    return any(name in rx for name, _, _ in UCAT)


def collapse_regex(rx):
    out, inside, i = [], False, 0
    while i < len(rx):
        if rx[i] == "[" and (i == 0 or rx[i - 1] != "\\"):
            out.append("[")
            inside = True
        elif inside and rx[i] == "]" and rx[i - 1] != "\\":
            out.append("]")
            inside = False
        else:
            hit = None
            if rx[i] == "\\" and i + 3 < len(rx) and rx[i + 1] == "p" and rx[i + 2] == "{":
                close = rx.find("}", i + 3)
                if close != -1 and close <= i + 10:
                    pat = rx[i:close + 1]
                    hit = next((u for u in UCAT if u[0] == pat), None)
            if hit:
                out.append(("" if inside else "[") + hit[1] + hit[2] + ("" if inside else "]"))
                i = close
            else:
                out.append(rx[i])
        i += 1
    return "".join(out)


def ecmascript_to_python(rx):
    """std::regex's $ is the end of the text only."""
    out, inside, i = [], False, 0
    while i < len(rx):
        c = rx[i]
        if c == "\\":
            out.append(rx[i:i + 2])
            i += 2
            continue
        if c == "[":
            inside = True
        elif c == "]":
            inside = False
        out.append("\\Z" if c == "$" and not inside else c)
        i += 1
    return "".join(out)


def regex_split(pat, text, pieces):
    """unicode_regex_split_stl: std::regex_iterator over each piece."""
    out = []
    start = 0
    for n in pieces:
        end, pos, done = start + n, start, start
        while True:
            m = pat.search(text, pos, end)
            if not m:
                break
            out += [m.start() - done, m.end() - m.start()]
            done = pos = m.end()
            if m.start() == m.end():
                if m.end() == end:
                    break
                # std::regex tries a non-empty match at the same place first;
                # regex.match gives the preferred one only, which is enough
                # for the one rule set with an empty-matching pattern
                # (superbpe's lookahead, which only ever matches empty).
                m2 = pat.match(text, pos, end)
                if m2 and m2.end() > m2.start():
                    out += [0, m2.end() - m2.start()]
                    done = pos = m2.end()
                else:
                    pos += 1
        out.append(end - done)
        start = end
    return [x for x in out if x]


# ---- llama.cpp's hand-written splitters that stand for no regex ----------------

OUT_OF_RANGE = -1


def is_han(c):
    return any(a <= c <= b for a, b in [(0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF), (0x2A700, 0x2B73F),
                                         (0x2B740, 0x2B81F), (0x2B820, 0x2CEAF), (0x2CEB0, 0x2EBEF), (0xF900, 0xFAFF),
                                         (0x2F800, 0x2FA1F)])


def lower1(c):
    return ord(chr(c).lower()[0]) if 0 <= c < 0x110000 else c


def custom_split(kind, cps, pieces):
    out = []
    start = 0
    for n in pieces:
        ini, end = start, start + n
        start = end
        cp = lambda p: cps[p] if ini <= p < end else OUT_OF_RANGE
        cat = lambda p: category(cps[p]) if ini <= p < end else ""
        L = lambda p: cat(p)[:1] == "L"
        N = lambda p: cat(p)[:1] == "N"
        WS = lambda p: ini <= p < end and cps[p] in WHITE_SPACE
        inr = lambda p: ini <= p < end
        prev = [ini]

        def add(e):
            if e > prev[0]:
                out.append(e - prev[0])
            prev[0] = e

        pos = ini
        if kind == "newlines":
            while pos < end:
                nl = cps[pos] == 10
                while pos < end and (cps[pos] == 10) == nl:
                    pos += 1
                add(pos)
        elif kind == "afmoe":
            while pos < end:
                if N(pos):
                    s0, cnt = pos, 0
                    while N(pos) and pos < end:
                        cnt += 1
                        pos += 1
                    cur, rem = s0, cnt % 3
                    if rem:
                        add(cur + rem)
                        cur += rem
                    while cur < s0 + cnt:
                        add(cur + 3)
                        cur += 3
                    continue
                pos += 1
            if prev[0] < end:
                add(end)
        elif kind == "kimi":
            while pos < end:
                c = cp(pos)
                if is_han(c):
                    while is_han(cp(pos)):
                        pos += 1
                    add(pos)
                    continue
                nhl = lambda p: L(p) and not is_han(cp(p))
                can_lead = not (c in (10, 13) or L(pos) or N(pos))
                if (L(pos) and not is_han(c)) or (can_lead and nhl(pos + 1)):
                    lead = False
                    if can_lead:
                        lead = True
                        pos += 1
                    has = False
                    while nhl(pos):
                        has = True
                        pos += 1
                    if has or (not lead and nhl(pos)):
                        if not has:
                            pos += 1
                        while nhl(pos):
                            pos += 1
                        if cp(pos) == 0x27 and pos + 1 < end:
                            a = lower1(cp(pos + 1))
                            if chr(a) in "stmd":
                                pos += 2
                            elif pos + 2 < end:
                                b = lower1(cp(pos + 2))
                                if (chr(a), chr(b)) in [("r", "e"), ("v", "e"), ("l", "l")]:
                                    pos += 3
                        add(pos)
                        continue
                    elif lead:
                        pos -= 1
                if N(pos):
                    i0 = pos
                    while N(pos):
                        pos += 1
                        if pos - i0 >= 3:
                            add(pos)
                            i0 = pos
                    add(pos)
                    continue
                q = pos + 1 if c == 0x20 else pos
                if inr(q) and not (WS(q) or L(q) or N(q)):
                    pos += c == 0x20
                    while inr(pos) and not (WS(pos) or L(pos) or N(pos)):
                        pos += 1
                    while cp(pos) in (10, 13):
                        pos += 1
                    add(pos)
                    continue
                nws, last = 0, 0
                while WS(pos + nws):
                    if cp(pos + nws) in (10, 13):
                        last = pos + nws + 1
                    nws += 1
                if last:
                    pos = last
                elif nws > 1 and cp(pos + nws) != OUT_OF_RANGE:
                    pos += nws - 1
                elif nws:
                    pos += nws
                else:
                    pos += 1
                add(pos)
    return out


CUSTOM_OTHER = {"\\p{Han}+": "kimi", "\\p{AFMoE_digits}": "afmoe", "\\d{1,3}(?=(?:\\d{3})*\\b)": "afmoe",
                "[^\\n]+|[\\n]+": "newlines"}


def llama_split(regexes, b):
    cps = decode(b)
    collapsed = "".join(collapse_cp(c) for c in cps)
    wide = "".join("\x0b" if c > 0x7F and c in WHITE_SPACE else chr(c) if c < 0x110000 else "\ufffe" for c in cps)
    pieces = [len(cps)] if cps else []
    for rx in regexes:
        if rx in CUSTOM_OTHER:
            pieces = custom_split(CUSTOM_OTHER[rx], cps, pieces)
        elif uses_categories(rx):
            pat = regex.compile(ecmascript_to_python(collapse_regex(rx)), regex.ASCII | regex.V0)
            pieces = regex_split(pat, collapsed, pieces)
        else:
            pat = regex.compile(ecmascript_to_python(rx), regex.ASCII | regex.V0)
            pieces = regex_split(pat, wide, pieces)
    return pieces


def plain_split(regexes, b):
    """What Python's regex does with the same patterns on the raw text
    (Unicode classes, every regex a regex), for the comparison notes."""
    text = b.decode("utf-8", "replace")
    pieces = [len(text)] if text else []
    for rx in regexes:
        if rx in CUSTOM_OTHER:
            return None
        pieces = regex_split(regex.compile(ecmascript_to_python(rx), regex.V0), text, pieces)
    return pieces


def to_bytes(b, pieces):
    lens = decode_with_lengths(b)[1]
    out, i = [], 0
    for n in pieces:
        out.append(sum(lens[i:i + n]))
        i += n
    assert sum(out) == len(b)
    return out


def main():
    lists, names = read_rules()
    os.makedirs(OUT, exist_ok=True)
    inputs = [as_bytes(x) for x in INPUTS]
    with open(os.path.join(OUT, "inputs.txt"), "w") as f:
        f.write("# inputs of the pre-tokenizer golden files, hex; made by tests/golden/make_pretok_golden.py\n")
        for b in inputs:
            f.write((b.hex() or "-") + "\n")
    done = set()
    for name, set_id in names:
        if set_id in done:
            continue
        done.add(set_id)
        rx = lists[set_id]
        lines = ["# rule set %s (%s), tokenizer.ggml.pre = %s" % (set_id, ", ".join(n for n, s in names if s == set_id), name),
                 "# per input line of inputs.txt: byte lengths of the pieces, as llama.cpp splits"]
        for b in inputs:
            got = to_bytes(b, llama_split(rx, b))
            line = " ".join(map(str, got)) or "-"
            plain = plain_split(rx, b)
            text = b.decode("utf-8", "replace")
            if plain is not None and text.encode("utf-8") == b:  # valid UTF-8 only: else the texts differ anyway
                plain_bytes = [len(x.encode("utf-8")) for x in _slices(text, plain)]
                if plain_bytes != got:
                    line += "  # plain regex: " + (" ".join(map(str, plain_bytes)) or "-")
            lines.append(line)
        with open(os.path.join(OUT, name + ".txt"), "w") as f:
            f.write("\n".join(lines) + "\n")
    print("wrote %d rule sets x %d inputs to %s" % (len(done), len(inputs), OUT))


def _slices(text, pieces):
    i = 0
    for n in pieces:
        yield text[i:i + n]
        i += n


if __name__ == "__main__":
    main()
