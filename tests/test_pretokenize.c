/*
 * test_pretokenize.c — the Unicode layer (unicode.h) and the byte-level BPE
 * pre-tokenizer (pretokenize.h).
 *
 * - UTF-8 decoding is llama.cpp's: overlongs and surrogates decode, a bad
 *   or truncated sequence is one U+FFFD per byte, every byte is consumed once;
 * - category flags, white space, lower case and NFD agree with Unicode 15.1
 *   (llama.cpp's tables) on chosen code points and in totals;
 * - every tokenizer.ggml.pre name builds, unknown names are refused;
 * - splits equal golden data (tests/data/pretok, made by
 *   tests/golden/make_pretok_golden.py and checked there against llama.cpp's
 *   own unicode_regex_split) for 32 tricky inputs and every rule set;
 * - readable cases, including where llama.cpp differs from a Python/HF
 *   tokenizer running the same regex (the C code follows llama.cpp):
 *   * categories are collapsed, so \p{Lu} \p{Ll} are just \p{L} and a
 *     non-ASCII letter is both [^a-z] and [^A-Z] (tekken, gpt-4o: "ÉCOLE"
 *     -> "É" "COLE"; youtu, tiny_aya: case is not told apart);
 *   * outside those rules, non-ASCII white space is matched as U+000B, so a
 *     class like [ࠀ-一] no longer holds U+3000 (deepseek-llm/coder);
 *   * \d, \s, \w are ASCII-only (superbpe: "٣٤٥٦" is not cut in threes);
 *   * llama.cpp's hand-written splitters replace some regexes (Kimi K2
 *     ignores case: "HelloWorld" stays whole);
 * - hostile input (random bytes, long runs) splits without error, covering
 *   every byte exactly once (run under the sanitizers).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edgeinfer.h"
#include "testutil.h"
#include "tokenizer/pretok_internal.h"
#include "tokenizer/pretokenize.h"
#include "tokenizer/regex.h"
#include "tokenizer/unicode.h"

/* ---- UTF-8 ---------------------------------------------------------------- */

/* Decode all of s; returns the count, code points in cps, bytes used in used. */
static size_t decode_all(const char *s, size_t len, uint32_t *cps, size_t *used) {
    size_t pos = 0, n = 0;
    while (pos < len) {
        size_t before = pos;
        cps[n] = ei_utf8_next(s, len, &pos);
        used[n++] = pos - before;
    }
    return n;
}

#define DECODES_TO(bytes, ...)                                                                                       \
    do {                                                                                                             \
        const uint32_t want[] = {__VA_ARGS__};                                                                       \
        uint32_t got[64];                                                                                            \
        size_t used[64];                                                                                             \
        size_t n = decode_all(bytes, sizeof(bytes) - 1, got, used);                                                 \
        assert_int_equal(n, sizeof want / sizeof want[0]);                                                           \
        for (size_t i_ = 0; i_ < n; i_++) assert_int_equal(got[i_], want[i_]);                                       \
    } while (0)

static void test_utf8_decode(void **state) {
    (void)state;
    DECODES_TO("a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 'a', 0xE9, 0x20AC, 0x1F600);
    /* Stray continuation bytes and F8..FF leads: one U+FFFD each. */
    DECODES_TO("\x80\xbf\xf8\xff", 0xFFFD, 0xFFFD, 0xFFFD, 0xFFFD);
    /* Truncated: U+FFFD for the lead byte, then the rest byte by byte. */
    DECODES_TO("\xc3", 0xFFFD);
    DECODES_TO("\xe2\x82", 0xFFFD, 0xFFFD);
    DECODES_TO("\xf0\x9f\x98", 0xFFFD, 0xFFFD, 0xFFFD);
    DECODES_TO("\xc3x\xe2\x82y", 0xFFFD, 'x', 0xFFFD, 0xFFFD, 'y');
    /* llama.cpp checks no more than the lead's class and the continuation
     * bytes: overlongs, surrogates and values past U+10FFFF decode. */
    DECODES_TO("\xc0\x80", 0);
    DECODES_TO("\xe0\x80\xaf", 0x2F);
    DECODES_TO("\xed\xa0\x80", 0xD800);
    DECODES_TO("\xf4\x90\x80\x80", 0x110000);
    DECODES_TO("\xf7\xbf\xbf\xbf", 0x1FFFFF);
    /* Past the end: U+FFFD without moving. */
    size_t pos = 3;
    assert_int_equal(ei_utf8_next("abc", 3, &pos), 0xFFFD);
    assert_int_equal(pos, 3);
    /* NUL is a character like any other. */
    DECODES_TO("a\0b", 'a', 0, 'b');
}

static void test_utf8_random_bytes_consumed_once(void **state) {
    (void)state;
    uint64_t seed = 42;
    unsigned char buf[257];
    uint32_t cps[257];
    size_t used[257];
    for (int round = 0; round < 2000; round++) {
        size_t len = (size_t)(tu_rand_u64(&seed) % sizeof buf);
        for (size_t i = 0; i < len; i++) {
            uint64_t r = tu_rand_u64(&seed);
            /* Bias towards lead and continuation bytes. */
            buf[i] = (unsigned char)(r % 3 == 0 ? 0x80 | (r >> 8) % 64 : r % 3 == 1 ? 0xC0 | (r >> 8) % 64 : r >> 8);
        }
        size_t n = decode_all((const char *)buf, len, cps, used), total = 0;
        for (size_t i = 0; i < n; i++) {
            assert_true(used[i] >= 1 && used[i] <= 4);
            if (used[i] == 1 && buf[total] >= 0x80) assert_int_equal(cps[i], 0xFFFD);
            total += used[i];
        }
        assert_int_equal(total, len);
    }
}

static void test_utf8_encode(void **state) {
    (void)state;
    char out[4];
    /* Every code point, surrogates included, comes back from its bytes. */
    for (uint32_t cp = 0; cp <= 0x10FFFF; cp++) {
        int n = ei_utf8_put(cp, out);
        assert_true(n >= 1 && n <= 4);
        assert_int_equal(n, ei_utf8_len((unsigned char)out[0]));
        size_t pos = 0;
        assert_int_equal(ei_utf8_next(out, (size_t)n, &pos), cp);
        assert_int_equal(pos, (size_t)n);
    }
    assert_int_equal(ei_utf8_put(0x110000, out), 3);
    assert_memory_equal(out, "\xef\xbf\xbd", 3);
    assert_int_equal(ei_utf8_put(0xFFFFFFFFu, out), 3);
}

static void test_utf8_len(void **state) {
    (void)state;
    const struct {
        unsigned char c;
        int len, llama;
    } cases[] = {{0x00, 1, 1}, {'a', 1, 1}, {0x7F, 1, 1}, {0x80, 1, 1}, {0xBF, 1, 1}, {0xC0, 2, 2}, {0xDF, 2, 2},
                 {0xE0, 3, 3}, {0xEF, 3, 3}, {0xF0, 4, 4}, {0xF7, 4, 4}, {0xF8, 1, 4}, {0xFF, 1, 4}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(ei_utf8_len(cases[i].c), cases[i].len);
        assert_int_equal(ei_utf8_len_llama(cases[i].c), cases[i].llama);
    }
}

/* ---- properties ---------------------------------------------------------- */

static void test_flags(void **state) {
    (void)state;
    enum { L = EI_UCAT_LETTER, N = EI_UCAT_NUMBER, Z = EI_UCAT_SEPARATOR, M = EI_UCAT_ACCENT_MARK,
           P = EI_UCAT_PUNCTUATION, S = EI_UCAT_SYMBOL, C = EI_UCAT_CONTROL, W = EI_UCAT_WHITESPACE,
           LO = EI_UCAT_LOWERCASE, UP = EI_UCAT_UPPERCASE };
    const struct {
        uint32_t cp;
        unsigned flags;
    } cases[] = {
        {'A', L | UP}, {'z', L | LO}, {'0', N}, {' ', Z | W}, {'\t', C | W}, {'\n', C | W}, {0x0B, C | W},
        {0x1C, C},             /* str.isspace() says yes, White_Space (and llama.cpp) no */
        {0x85, C | W}, {0xA0, Z | W}, {0x1680, Z | W}, {0x2028, Z | W}, {0x3000, Z | W},
        {0x200B, C},           /* zero width space: Cf, not white space */
        {'!', P}, {'_', P}, {'$', S}, {'~', S}, {'^', S}, {0xB2, N}, {0xBD, N}, {0x2162, N}, {0x0663, N},
        {0x0301, M}, {0x093F, M}, {0x01C5, L} /* Lt */, {0x02B0, L} /* Lm */, {0x4E00, L}, {0xAC00, L},
        {0x00DF, L | LO}, {0x0130, L | UP}, {0xFF21, L | UP}, {0x1F600, S}, {0xFFFD, S},
        {0x0378, 0},           /* unassigned: llama.cpp's UNDEFINED */
        {0xE000, C}, {0xD800, C}, {0xF0000, C}, {0xFFFE, 0}, {0xE0001, C},
        {0x0CF3, M},           /* new in Unicode 15.0 */
        {0x2EBF0, L},          /* new in Unicode 15.1 */
        {0x1C89, 0},           /* new in Unicode 16.0: not yet */
        {0x10FFFF, 0}, {0x110000, 0}, {0xFFFFFFFFu, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (ei_unicode_flags(cases[i].cp) != cases[i].flags)
            fail_msg("U+%04X: flags 0x%x, want 0x%x", cases[i].cp, ei_unicode_flags(cases[i].cp), cases[i].flags);
    }
    /* One category per assigned code point; White_Space has 25 members. */
    const unsigned cats = L | N | Z | M | P | S | C;
    size_t n_space = 0, n_assigned = 0;
    for (uint32_t cp = 0; cp < 0x110000; cp++) {
        unsigned f = ei_unicode_flags(cp), c = f & cats;
        assert_true(c == 0 || (c & (c - 1)) == 0);
        n_space += (f & W) != 0;
        n_assigned += c != 0;
        if (f & (LO | UP)) assert_true(f & L);
    }
    assert_int_equal(n_space, 25);
    assert_int_equal(n_assigned, 0x110000 - 824718); /* Cn count of Unicode 15.1 */
    assert_string_equal(ei_unicode_version(), "15.1.0");
}

static void test_tolower(void **state) {
    (void)state;
    const uint32_t cases[][2] = {
        {'A', 'a'}, {'Z', 'z'}, {'a', 'a'}, {'@', '@'}, {0xC0, 0xE0}, {0xDE, 0xFE}, {0xD7, 0xD7},
        {0x0130, 'i'},          /* İ: first code point of "i̇", as llama.cpp takes it */
        {0x212A, 'k'}, {0x2126, 0x03C9}, {0x03A3, 0x03C3}, {0x017F, 0x017F}, {0x0100, 0x0101}, {0x0101, 0x0101},
        {0x01C5, 0x01C6}, {0xFF21, 0xFF41}, {0x10400, 0x10428}, {0x1E921, 0x1E943}, {0x4E00, 0x4E00},
        {0x110000, 0x110000}, {0xFFFFFFFFu, 0xFFFFFFFFu},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if (ei_unicode_tolower(cases[i][0]) != cases[i][1])
            fail_msg("tolower(U+%04X) = U+%04X, want U+%04X", cases[i][0], ei_unicode_tolower(cases[i][0]),
                     cases[i][1]);
    size_t changed = 0;
    for (uint32_t cp = 0; cp < 0x110000; cp++) changed += ei_unicode_tolower(cp) != cp;
    assert_int_equal(changed, 1433);
}

#define NFD_IS(cp, ...)                                                                                              \
    do {                                                                                                             \
        const uint32_t want[] = {__VA_ARGS__};                                                                       \
        uint32_t got[4] = {0};                                                                                       \
        int n = ei_unicode_nfd(cp, got);                                                                             \
        assert_int_equal(n, (int)(sizeof want / sizeof want[0]));                                                    \
        for (int i_ = 0; i_ < n; i_++) assert_int_equal(got[i_], want[i_]);                                          \
    } while (0)

static void test_nfd(void **state) {
    (void)state;
    NFD_IS('a', 'a');
    NFD_IS(0xE9, 'e', 0x301);
    NFD_IS(0x1E09, 'c', 0x327, 0x301);    /* recursive */
    NFD_IS(0x1F82, 0x3B1, 0x313, 0x300, 0x345); /* the longest: 4 */
    NFD_IS(0x212B, 'A', 0x30A);           /* singleton, then decomposed */
    NFD_IS(0x2126, 0x3A9);
    NFD_IS(0x0344, 0x308, 0x301);
    NFD_IS(0x1D160, 0x1D158, 0x1D165, 0x1D16E);
    NFD_IS(0xAC00, 0x1100, 0x1161);       /* Hangul by arithmetic */
    NFD_IS(0xAC01, 0x1100, 0x1161, 0x11A8);
    NFD_IS(0xD7A3, 0x1112, 0x1175, 0x11C2);
    NFD_IS(0xD7A4, 0xD7A4);
    NFD_IS(0x110000, 0x110000);
    NFD_IS(0xFFFFFFFFu, 0xFFFFFFFFu);
    size_t n_decomposing = 0;
    for (uint32_t cp = 0; cp < 0x110000; cp++) {
        uint32_t out[4];
        int n = ei_unicode_nfd(cp, out);
        assert_true(n >= 1 && n <= 4);
        n_decomposing += (n > 1 || out[0] != cp);
    }
    assert_int_equal(n_decomposing, 13233);
}

/* ---- the regex subset ------------------------------------------------------ */

static ei_regex *compile_ascii(const char *pat) {
    uint32_t cps[256];
    size_t n = strlen(pat);
    assert_true(n < 256);
    for (size_t i = 0; i < n; i++) cps[i] = (unsigned char)pat[i];
    ei_regex *re = NULL;
    return ei_regex_compile(cps, n, &re) == EI_OK ? re : NULL;
}

static void test_regex_refuses_outside_subset(void **state) {
    (void)state;
    const char *bad[] = {"^a", "a\\b", "\\p{L}", "(?i:a)", "(?<=a)b", "(a", "a)", "[a", "[]", "[z-a]", "a**",
                         "(a*)*", "(?:a|)+", "x{2,1}", "*a", "\\1", "a{100001}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ei_regex *re = compile_ascii(bad[i]);
        if (re) fail_msg("compiled %s", bad[i]);
    }
}

/* Leftmost-first matches of pat in text, as "start:len" pairs. */
static void assert_matches(const char *pat, const char *text, const char *want) {
    ei_regex *re = compile_ascii(pat);
    assert_non_null(re);
    uint32_t t[256];
    size_t n = strlen(text);
    for (size_t i = 0; i < n; i++) t[i] = (unsigned char)text[i];
    char got[512] = "";
    ei_regex_stack st = {0};
    size_t from = 0, mb, me;
    while (from <= n && ei_regex_search(re, t, from, n, 0, &st, &mb, &me) == 1) {
        snprintf(got + strlen(got), sizeof got - strlen(got), "%s%zu:%zu", *got ? " " : "", mb, me - mb);
        from = me > mb ? me : me + 1;
    }
    ei_regex_stack_free(&st);
    ei_regex_free(re);
    assert_string_equal(got, want);
}

static void test_regex_semantics(void **state) {
    (void)state;
    assert_matches("a|ab", "ab", "0:1");                 /* first alternative wins, not the longest */
    assert_matches("ab|a", "ab", "0:2");
    assert_matches("a+?b", "aaab", "0:4");
    assert_matches("a{2,3}", "aaaaaaa", "0:3 3:3");
    assert_matches("a{2,3}?", "aaaaa", "0:2 2:2");
    assert_matches("(?:ab){1,2}c", "ababcabc", "0:5 5:3");
    assert_matches("\\s+(?!\\S)", "a   b  ", "1:2 5:2");
    assert_matches("x(?=y)", "xxyxy", "1:1 3:1");
    assert_matches("\\s+$", "a  b  ", "4:2");
    assert_matches("[^\\s\\d]+", "ab 12c\td", "0:2 5:1 7:1");
    assert_matches("[\\[-\\]]+", "a[\\]b", "1:3");
    assert_matches("[-a]+", "--a-b", "0:4");
    assert_matches("\\w+", "ab_1 c", "0:4 5:1");
    assert_matches("(?=(\\d{3})+(?!\\d))", "1234567", "1:0 4:0");
}

/* ---- pre-tokenizer --------------------------------------------------------- */

static void test_every_name_builds(void **state) {
    (void)state;
    static const char sample[] = "Hello  world's 1234567 中文 ÉCOLE\n\n\t😀 \xff end ";
    size_t n_names = 0;
    for (const char *name; (name = pretok_rules_name(n_names)); n_names++) {
        ei_pretok *p = NULL;
        if (ei_pretok_new(name, &p) != EI_OK) fail_msg("%s: %s", name, ei_last_error());
        ei_span *sp;
        size_t n;
        assert_int_equal(ei_pretok_split(p, sample, sizeof sample - 1, &sp, &n), EI_OK);
        size_t off = 0;
        for (size_t i = 0; i < n; i++) {
            assert_int_equal(sp[i].off, off);
            assert_true(sp[i].len > 0);
            off += sp[i].len;
        }
        assert_int_equal(off, sizeof sample - 1);
        free(sp);
        ei_pretok_free(p);
    }
    assert_true(n_names >= 90);

    ei_pretok *p = NULL;
    assert_int_equal(ei_pretok_new(NULL, &p), EI_OK); /* no key: llama.cpp's default */
    assert_true(ei_pretok_byte_encode(p));
    ei_pretok_free(p);
    assert_int_equal(ei_pretok_new("gemma4", &p), EI_OK);
    assert_false(ei_pretok_byte_encode(p));
    ei_pretok_free(p);
    assert_int_equal(ei_pretok_new("no-such-pre", &p), EI_ERR_UNSUPPORTED);
    assert_null(p);
    assert_non_null(strstr(ei_last_error(), "no-such-pre"));
    ei_pretok_free(NULL);
}

/* Pieces of text under rule set `name`, joined with '|' for comparison. */
static void assert_split(const char *name, const char *text, const char *want) {
    ei_pretok *p = NULL;
    assert_int_equal(ei_pretok_new(name, &p), EI_OK);
    ei_span *sp;
    size_t n;
    assert_int_equal(ei_pretok_split(p, text, strlen(text), &sp, &n), EI_OK);
    char got[1024] = "";
    for (size_t i = 0; i < n; i++) {
        size_t at = strlen(got);
        assert_true(at + sp[i].len + 2 < sizeof got);
        if (i) got[at++] = '|';
        memcpy(got + at, text + sp[i].off, sp[i].len);
        got[at + sp[i].len] = 0;
    }
    free(sp);
    ei_pretok_free(p);
    if (strcmp(got, want) != 0) fail_msg("%s: \"%s\" -> \"%s\", want \"%s\"", name, text, got, want);
}

static void test_readable_splits(void **state) {
    (void)state;
    /* Words keep their leading space; contractions, digits and space runs. */
    assert_split("llama-bpe", "Hello world", "Hello| world");
    assert_split("llama-bpe", "I'm DON'T", "I|'m| DON|'T");
    assert_split("llama-bpe", "1234567", "123|456|7");
    assert_split("llama-bpe", "a  b", "a| | b");           /* \s+(?!\S) leaves the last space to the word */
    assert_split("llama-bpe", "a  ", "a|  ");             /* trailing spaces stay together */
    assert_split("llama-bpe", "x\n\ny", "x|\n\n|y");
    assert_split("llama-bpe", "  \n  x", "  \n| | x");
    assert_split("gpt-2", "1234567 x", "1234567| x");
    assert_split("gpt-2", "x\n\ny", "x|\n|\n|y");
    assert_split("qwen2", "2024", "2|0|2|4");
    assert_split("qwen35", "ca\xcc\x81" "fe\xcc\x81 x", "ca\xcc\x81" "fe\xcc\x81| x"); /* marks stay with letters */
    assert_split("smollm", "x 12 ab", "x| |1|2| ab");
    assert_split("default", "hello, world!! 12345", "hello|,| world|!!| |123|45");
    assert_split("whitespace", "  a b\tc  ", "  |a| |b|\t|c|  ");
    assert_split("gemma4", "a\n\nb c", "a|\n\n|b c");
    assert_split("bloom", "Hello, world. Yes!", "Hello|,| world|.| Yes|!");
    assert_split("deepseek-llm", "Hello   \n", "Hello|   |\n");
    assert_split("superbpe", "1234567", "1|234|567");
    assert_split("tiny_aya", "x1234567", "x|1|234|567");
    /* Each rule splits the pieces of the one before: chameleon's sentinel
     * is cut by its later digit and punctuation rules. */
    assert_split("chameleon", "<sentinel:3>IMGIMGABZ  x", "<|sentinel|:|3|>|IMGIMGABZ|  |x");
    /* llama.cpp, not Hugging Face: collapsed categories make É both upper
     * and lower case for tekken/gpt-4o, and no case at all for youtu. */
    assert_split("tekken", "\xc3\x89" "COLE \xc3\xa9" "cole HTTPServer", "\xc3\x89|COLE| \xc3\xa9" "cole| HTTPServer");
    assert_split("gpt-4o", "\xc3\x89" "COLE HTTPServer", "\xc3\x89|COLE| HTTPServer");
    assert_split("youtu", "\xc3\x89" "COLE \xc3\x89mile", "\xc3\x89" "COLE| \xc3\x89mile");
    /* Kimi K2's hand-written splitter: Han runs apart, no case split. */
    assert_split("kimi-k2", "HelloWorld\xe4\xb8\xad\xe6\x96\x87" "abc's", "HelloWorld|\xe4\xb8\xad\xe6\x96\x87|abc's");
    /* Fullwidth letters are letters, fullwidth digits digits. */
    assert_split("deepseek-coder", "\xef\xbd\x81\xef\xbd\x82\xef\xbc\x91\xef\xbc\x92",
                 "\xef\xbd\x81\xef\xbd\x82|\xef\xbc\x91|\xef\xbc\x92");
    /* Invalid bytes act as U+FFFD (a symbol) but stay the bytes they were. */
    assert_split("llama-bpe", "ab\xff\xfe cd", "ab|\xff\xfe| cd");
    assert_split("llama-bpe", "\xc0\x80x", "\xc0\x80x"); /* overlong NUL: a control char, then a letter */
}

/* ---- golden data ----------------------------------------------------------- */

/* Next line of a golden file that is not a comment, with any trailing
 * "  # ..." note cut; NULL at the end. */
static char *next_line(char **cursor) {
    while (**cursor) {
        char *line = *cursor, *nl = strchr(line, '\n');
        *cursor = nl ? nl + 1 : line + strlen(line);
        if (nl) *nl = 0;
        if (line[0] == '#') continue;
        char *note = strstr(line, "  #");
        if (note) *note = 0;
        return line;
    }
    return NULL;
}

#define MAX_INPUTS 64

static void test_golden_splits(void **state) {
    (void)state;
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/data/pretok/inputs.txt", EI_SOURCE_DIR);
    size_t size;
    char *inputs_file = (char *)tu_read_file(path, &size);
    if (!inputs_file) fail_msg("%s missing: run tests/golden/make_pretok_golden.py", path);
    unsigned char *inputs[MAX_INPUTS];
    size_t lens[MAX_INPUTS], n_inputs = 0;
    char *cur = inputs_file;
    for (char *line; (line = next_line(&cur));) {
        assert_true(n_inputs < MAX_INPUTS);
        size_t hex = strcmp(line, "-") == 0 ? 0 : strlen(line);
        lens[n_inputs] = hex / 2;
        inputs[n_inputs] = malloc(hex / 2 + 1);
        for (size_t i = 0; i < hex / 2; i++) {
            unsigned v;
            assert_int_equal(sscanf(line + 2 * i, "%2x", &v), 1);
            inputs[n_inputs][i] = (unsigned char)v;
        }
        n_inputs++;
    }
    assert_true(n_inputs >= 30);

    size_t n_files = 0;
    for (size_t k = 0; pretok_rules_name(k); k++) {
        const char *name = pretok_rules_name(k);
        snprintf(path, sizeof path, "%s/tests/data/pretok/%s.txt", EI_SOURCE_DIR, name);
        char *file = (char *)tu_read_file(path, &size);
        if (!file) continue; /* one file per rule set, under one of its names */
        n_files++;
        ei_pretok *p = NULL;
        assert_int_equal(ei_pretok_new(name, &p), EI_OK);
        cur = file;
        for (size_t i = 0; i < n_inputs; i++) {
            char *want = next_line(&cur);
            assert_non_null(want);
            ei_span *sp;
            size_t n;
            assert_int_equal(ei_pretok_split(p, (const char *)inputs[i], lens[i], &sp, &n), EI_OK);
            char got[2048] = "";
            for (size_t j = 0; j < n; j++)
                snprintf(got + strlen(got), sizeof got - strlen(got), "%s%zu", j ? " " : "", sp[j].len);
            if (n == 0) strcpy(got, "-");
            if (strcmp(got, want) != 0) fail_msg("%s, input %zu: got \"%s\", want \"%s\"", name, i, got, want);
            free(sp);
        }
        ei_pretok_free(p);
        free(file);
    }
    assert_int_equal(n_files, 35); /* every distinct rule set */
    for (size_t i = 0; i < n_inputs; i++) free(inputs[i]);
    free(inputs_file);
}

/* ---- hostile input --------------------------------------------------------- */

static void split_and_check(const ei_pretok *p, const char *text, size_t len) {
    ei_span *sp;
    size_t n, off = 0;
    assert_int_equal(ei_pretok_split(p, text, len, &sp, &n), EI_OK);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(sp[i].off, off);
        assert_true(sp[i].len > 0);
        off += sp[i].len;
    }
    assert_int_equal(off, len);
    free(sp);
}

static void test_hostile_input(void **state) {
    (void)state;
    uint64_t seed = 7;
    static const char *const alphabet[] = {"a", "Z", "7", " ", "  ", "\n", "\r\n", "\t", "'", "'s", ".", "!",
                                           "\xc3\xa9", "\xcc\x81", "\xe4\xb8\xad", "\xf0\x9f\x98\x80", "\xc2\xa0",
                                           "\xe3\x80\x80", "\xff", "\xc0\x80", "\xed\xa0\x80", "\xe2\x82", "\x80",
                                           "\xf7\xbf\xbf\xbf", "\x00", "\x1c", "<", "IMG", "\xd9\xa3"};
    const size_t n_alpha = sizeof alphabet / sizeof alphabet[0];
    char *buf = malloc(1 << 16);
    assert_non_null(buf);
    for (size_t k = 0; pretok_rules_name(k); k++) {
        ei_pretok *p = NULL;
        assert_int_equal(ei_pretok_new(pretok_rules_name(k), &p), EI_OK);
        for (int round = 0; round < 20; round++) {
            size_t len = 0, parts = 1 + tu_rand_u64(&seed) % 80;
            for (size_t i = 0; i < parts; i++) {
                const char *s = alphabet[tu_rand_u64(&seed) % n_alpha];
                size_t l = strlen(s) ? strlen(s) : 1; /* "\x00" is one NUL byte */
                memcpy(buf + len, s, l);
                len += l;
            }
            split_and_check(p, buf, len);
        }
        ei_pretok_free(p);
    }
    /* Long runs: one piece of 8000 spaces (jais-2's \s{512} cascade,
     * deepseek-llm's \s+$), a long word, a long digit run. */
    const char *runs[] = {" ", "a", "7", "\xc3\x89", "\n"};
    const char *sets[] = {"jais-2", "deepseek-llm", "tekken", "exaone-moe", "superbpe", "llama-bpe", "gpt-2"};
    for (size_t r = 0; r < sizeof runs / sizeof runs[0]; r++) {
        size_t l = strlen(runs[r]), len = 0;
        while (len + l < 8000) {
            memcpy(buf + len, runs[r], l);
            len += l;
        }
        buf[len++] = 'x';
        for (size_t s = 0; s < sizeof sets / sizeof sets[0]; s++) {
            ei_pretok *p = NULL;
            assert_int_equal(ei_pretok_new(sets[s], &p), EI_OK);
            split_and_check(p, buf, len);
            ei_pretok_free(p);
        }
    }
    free(buf);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_utf8_decode),
        cmocka_unit_test(test_utf8_random_bytes_consumed_once),
        cmocka_unit_test(test_utf8_encode),
        cmocka_unit_test(test_utf8_len),
        cmocka_unit_test(test_flags),
        cmocka_unit_test(test_tolower),
        cmocka_unit_test(test_nfd),
        cmocka_unit_test(test_regex_refuses_outside_subset),
        cmocka_unit_test(test_regex_semantics),
        cmocka_unit_test(test_every_name_builds),
        cmocka_unit_test(test_readable_splits),
        cmocka_unit_test(test_golden_splits),
        cmocka_unit_test(test_hostile_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
