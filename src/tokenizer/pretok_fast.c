/*
 * pretok_fast.c — llama.cpp's hand-written pre-tokenizer splitters
 * (unicode.cpp: unicode_regex_split_custom_gpt2, _llama3, _qwen2, _qwen35,
 * _kimi_k2, _afmoe, _newlines), re-written here step for step.
 *
 * They stand in for regexes, but not exactly: the GPT-2 one also matches
 * a lone \s+ the regex leaves unmatched, Kimi K2's ignores letter case,
 * AFMoE's glues the text before a digit run to its first group. Parity with
 * llama.cpp means keeping these differences, so each function follows its
 * original's order of tests; the comments name the regex branch each test
 * stands for.
 *
 * Conventions (as in llama.cpp): inside one piece [ini, end), a position at
 * or past `end` reads as OUT_OF_RANGE with no flags (fl() == 0), while every
 * position inside has a nonzero fl(), unassigned code points included.
 */
#include <string.h>

#include "tokenizer/pretok_internal.h"
#include "tokenizer/unicode.h"

#define OUT_OF_RANGE 0xFFFFFFFFu
#define F_IN (1u << 15) /* "inside the piece": llama.cpp's flags.as_uint() != 0 */

typedef struct scan {
    const pretok_text *t;
    size_t end;      /* end of the current piece */
    size_t prev_end; /* end of the last emitted token */
    pretok_pieces *out;
    bool oom;
} scan;

static uint32_t cpt(const scan *s, size_t pos) { return pos < s->end ? s->t->cps[pos] : OUT_OF_RANGE; }
static unsigned fl(const scan *s, size_t pos) { return pos < s->end ? (s->t->flags[pos] | F_IN) : 0; }

static bool is_letter(unsigned f) { return f & EI_UCAT_LETTER; }
static bool is_number(unsigned f) { return f & EI_UCAT_NUMBER; }
static bool is_space(unsigned f) { return f & EI_UCAT_WHITESPACE; }
static bool is_crlf(uint32_t c) { return c == '\r' || c == '\n'; }

/* Emit [prev_end, end) if not empty; returns its length (llama.cpp's _add_token). */
static size_t add_token(scan *s, size_t end) {
    size_t len = end - s->prev_end;
    if (len > 0 && !pretok_pieces_push(s->out, len)) s->oom = true;
    s->prev_end = end;
    return len;
}

/* (?i:'s|'t|'re|'ve|'m|'ll|'d) at pos, case folded with ei_unicode_tolower
 * when fold is set; returns the match length (0 if none). */
static size_t contraction(const scan *s, size_t pos, bool fold) {
    if (cpt(s, pos) != '\'' || pos + 1 >= s->end) return 0;
    uint32_t a = cpt(s, pos + 1);
    if (fold) a = ei_unicode_tolower(a);
    if (a == 's' || a == 't' || a == 'm' || a == 'd') return 2;
    if (pos + 2 >= s->end) return 0;
    uint32_t b = cpt(s, pos + 2);
    if (fold) b = ei_unicode_tolower(b);
    if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return 3;
    return 0;
}

/* The whitespace tail shared by the llama3-like splitters:
 * \s*[\r\n]+ | \s+(?!\S) | \s+ | (no match: one code point). */
static size_t whitespace_tail(scan *s, size_t pos, bool with_crlf) {
    size_t n_ws = 0, last_crlf_end = 0;
    while (is_space(fl(s, pos + n_ws))) {
        if (with_crlf && is_crlf(cpt(s, pos + n_ws))) last_crlf_end = pos + n_ws + 1;
        n_ws++;
    }
    if (last_crlf_end > 0) pos = last_crlf_end;                               /* \s*[\r\n]+ */
    else if (n_ws > 1 && cpt(s, pos + n_ws) != OUT_OF_RANGE) pos += n_ws - 1; /* \s+(?!\S) */
    else if (n_ws > 0) pos += n_ws;                                           /* \s+ */
    else pos++;                                                               /* no match */
    add_token(s, pos);
    return pos;
}

/* 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+ */
static void split_gpt2(scan *s, size_t pos) {
    while (pos < s->end && !s->oom) {
        const uint32_t c = cpt(s, pos);
        const unsigned f = fl(s, pos);
        size_t k = contraction(s, pos, false);
        if (k) {
            pos += add_token(s, pos + k);
            continue;
        }
        unsigned f2 = (c == ' ') ? fl(s, pos + 1) : f;
        if (is_letter(f2)) { /* <space>?\p{L}+ */
            pos += (c == ' ');
            while (is_letter(f2)) f2 = fl(s, ++pos);
            add_token(s, pos);
            continue;
        }
        if (is_number(f2)) { /* <space>?\p{N}+ */
            pos += (c == ' ');
            while (is_number(f2)) f2 = fl(s, ++pos);
            add_token(s, pos);
            continue;
        }
        if (!(is_space(f2) || is_letter(f2) || is_number(f2)) && f2) { /* <space>?[^\s\p{L}\p{N}]+ */
            pos += (c == ' ');
            while (!(is_space(f2) || is_letter(f2) || is_number(f2)) && f2) f2 = fl(s, ++pos);
            add_token(s, pos);
            continue;
        }
        pos = whitespace_tail(s, pos, false);
    }
}

/* (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,G}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
 * with G = group (3 for llama3, 1 for qwen2); marks: qwen35's [\p{L}\p{M}]+
 * and [^\s\p{L}\p{M}\p{N}]. */
static void split_llama3(scan *s, size_t pos, size_t group, bool marks) {
    const unsigned word = EI_UCAT_LETTER | (marks ? EI_UCAT_ACCENT_MARK : 0);
    while (pos < s->end && !s->oom) {
        const uint32_t c = cpt(s, pos);
        const unsigned f = fl(s, pos);
        size_t k = contraction(s, pos, true);
        if (k) {
            pos += add_token(s, pos + k);
            continue;
        }
        if (!(is_crlf(c) || is_number(f)) && ((f & word) || (fl(s, pos + 1) & word))) { /* [^\r\n\p{L}\p{N}]?\p{L}+ */
            pos++;
            while (fl(s, pos) & word) pos++;
            add_token(s, pos);
            continue;
        }
        if (is_number(f)) { /* \p{N}{1,group} */
            size_t ini = pos;
            while (is_number(fl(s, pos))) {
                if (++pos - ini >= group) {
                    add_token(s, pos);
                    ini = pos;
                }
            }
            add_token(s, pos);
            continue;
        }
        /* <space>?[^\s\p{L}\p{N}]+[\r\n]*; llama.cpp tests the current
         * position's flags (always set inside the piece) before the loop. */
        unsigned f2 = (c == ' ') ? fl(s, pos + 1) : f;
        if (!(is_space(f2) || (f2 & word) || is_number(f2)) && f) {
            pos += (c == ' ');
            while (!(is_space(f2) || (f2 & word) || is_number(f2)) && f2) f2 = fl(s, ++pos);
            while (is_crlf(cpt(s, pos))) pos++;
            add_token(s, pos);
            continue;
        }
        pos = whitespace_tail(s, pos, true);
    }
}

/* llama.cpp's unicode_cpt_is_han: fixed CJK ideograph blocks, not the Han
 * script property (so no U+3005, U+3007, radicals...). */
static bool is_han(uint32_t c) {
    return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF) ||
           (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B820 && c <= 0x2CEAF) ||
           (c >= 0x2CEB0 && c <= 0x2EBEF) || (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

static bool non_han_letter(const scan *s, size_t pos) { return is_letter(fl(s, pos)) && !is_han(cpt(s, pos)); }

/* Kimi K2 (tokenization_kimi.py's pattern, as llama.cpp codes it):
 * [\p{Han}]+ | [^\r\n\p{L}\p{N}]? non-Han letters + optional contraction
 * (upper/lower case not told apart) | \p{N}{1,3} | ?[^\s\p{L}\p{N}]+[\r\n]*
 * | the whitespace tail. */
static void split_kimi_k2(scan *s, size_t pos) {
    while (pos < s->end && !s->oom) {
        const uint32_t c = cpt(s, pos);
        const unsigned f = fl(s, pos);
        if (is_han(c)) {
            while (is_han(cpt(s, pos))) pos++;
            add_token(s, pos);
            continue;
        }
        const bool can_lead = !(is_crlf(c) || is_letter(f) || is_number(f));
        if ((is_letter(f) && !is_han(c)) || (can_lead && non_han_letter(s, pos + 1))) {
            bool has_leading = false;
            if (can_lead) {
                has_leading = true;
                pos++;
            }
            bool has_letters = false;
            while (non_han_letter(s, pos)) {
                has_letters = true;
                pos++;
            }
            if (has_letters || (!has_leading && non_han_letter(s, pos))) {
                if (!has_letters) pos++;
                while (non_han_letter(s, pos)) pos++;
                pos += contraction(s, pos, true);
                add_token(s, pos);
                continue;
            } else if (has_leading) {
                pos--;
            }
        }
        if (is_number(f)) { /* \p{N}{1,3} */
            size_t ini = pos;
            while (is_number(fl(s, pos))) {
                if (++pos - ini >= 3) {
                    add_token(s, pos);
                    ini = pos;
                }
            }
            add_token(s, pos);
            continue;
        }
        unsigned f2 = (c == ' ') ? fl(s, pos + 1) : f;
        if (!(is_space(f2) || is_letter(f2) || is_number(f2)) && f2) { /* ?[^\s\p{L}\p{N}]+[\r\n]* */
            pos += (c == ' ');
            while (!(is_space(f2) || is_letter(f2) || is_number(f2)) && f2) f2 = fl(s, ++pos);
            while (is_crlf(cpt(s, pos))) pos++;
            add_token(s, pos);
            continue;
        }
        pos = whitespace_tail(s, pos, true);
    }
}

/* Runs of \p{N} cut so that the groups after the first have 3 digits
 * ("1234567" -> 1 234 567). Text before a run is not a piece of its own:
 * it joins the run's first group (llama.cpp emits from the last cut). */
static void split_afmoe(scan *s, size_t pos) {
    while (pos < s->end && !s->oom) {
        if (is_number(fl(s, pos))) {
            size_t start = pos, count = 0;
            while (pos < s->end && is_number(fl(s, pos))) {
                count++;
                pos++;
            }
            size_t cur = start, rem = count % 3;
            if (rem > 0) {
                add_token(s, cur + rem);
                cur += rem;
            }
            while (cur < start + count) {
                add_token(s, cur + 3);
                cur += 3;
            }
            continue;
        }
        pos++;
    }
    if (s->prev_end < s->end) add_token(s, s->end);
}

/* [^\n]+|[\n]+ */
static void split_newlines(scan *s, size_t pos) {
    while (pos < s->end && !s->oom) {
        bool nl = cpt(s, pos) == '\n';
        while (pos < s->end && (cpt(s, pos) == '\n') == nl) pos++;
        add_token(s, pos);
    }
}

pretok_fast pretok_fast_for(const char *re) {
    /* The strings unicode_regex_split_custom compares with. */
    static const struct {
        const char *regex;
        pretok_fast kind;
    } k_fast[] = {
        {"'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)", FAST_GPT2},
        {"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|"
         "\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
         FAST_LLAMA3},
        {"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| "
         "?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
         FAST_LLAMA3},
        {"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| "
         "?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
         FAST_QWEN2},
        {"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?[\\p{L}\\p{M}]+|\\p{N}| "
         "?[^\\s\\p{L}\\p{M}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
         FAST_QWEN35},
        {"\\p{Han}+", FAST_KIMI_K2},
        {"\\p{AFMoE_digits}", FAST_AFMOE},
        {"[^\\n]+|[\\n]+", FAST_NEWLINES},
        {"\\d{1,3}(?=(?:\\d{3})*\\b)", FAST_AFMOE},
    };
    for (size_t i = 0; i < sizeof k_fast / sizeof k_fast[0]; i++)
        if (strcmp(re, k_fast[i].regex) == 0) return k_fast[i].kind;
    return FAST_NONE;
}

bool pretok_fast_split(pretok_fast kind, const pretok_text *t, const pretok_pieces *in, pretok_pieces *out) {
    size_t start = 0;
    for (size_t i = 0; i < in->n; i++) {
        scan s = {.t = t, .end = start + in->len[i], .prev_end = start, .out = out};
        switch (kind) {
        case FAST_GPT2: split_gpt2(&s, start); break;
        case FAST_LLAMA3: split_llama3(&s, start, 3, false); break;
        case FAST_QWEN2: split_llama3(&s, start, 1, false); break;
        case FAST_QWEN35: split_llama3(&s, start, 1, true); break;
        case FAST_KIMI_K2: split_kimi_k2(&s, start); break;
        case FAST_AFMOE: split_afmoe(&s, start); break;
        case FAST_NEWLINES: split_newlines(&s, start); break;
        case FAST_NONE: break;
        }
        if (s.oom) return false;
        start = s.end;
    }
    return true;
}
