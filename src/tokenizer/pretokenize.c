/*
 * pretokenize.c — split text by a rule set, the way llama.cpp's
 * unicode_regex_split does it, so that the same text gives the same pieces.
 *
 * The text is decoded into code points (invalid bytes become U+FFFD, one
 * per byte). Each regex of the set then splits every piece made so far:
 * - llama.cpp's hand-written splitters where it has one (pretok_fast.c);
 * - otherwise its std::regex path, reproduced here: matches and the
 *   unmatched stretches between them both become pieces, each piece is
 *   searched on its own (so (?!\S) and $ see the piece's end), and after an
 *   empty match the search goes on as std::regex_iterator does.
 *   A regex naming a category (\p{L} \p{N} \p{P} \p{M} \p{S} \p{Lu} ...)
 *   is matched against a "collapsed" text, in which every code point above
 *   0x7F stands for its category (one code point per category, 0x0B for
 *   white space), with each \p{..} rewritten into a class of that stand-in
 *   plus the ASCII members. So \p{Lu} matches any letter, and [^a-z] any
 *   non-ASCII letter: llama.cpp's results, not Unicode's. Other regexes see
 *   the code points, non-ASCII white space turned into 0x0B.
 * Finally the pieces, in code points, become byte spans of the input.
 *
 * Guarantees: any input splits (invalid UTF-8 included); the spans cover
 * every byte once, in order, none empty; the only failure is EI_ERR_NOMEM.
 */
#include "tokenizer/pretokenize.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "tokenizer/pretok_internal.h"
#include "tokenizer/regex.h"
#include "tokenizer/unicode.h"
#include "util/error.h"

typedef enum step_kind { STEP_FAST, STEP_COLLAPSED, STEP_WIDE } step_kind;

typedef struct step {
    step_kind kind;
    pretok_fast fast; /* STEP_FAST */
    ei_regex *re;     /* STEP_COLLAPSED, STEP_WIDE */
} step;

struct ei_pretok {
    step *steps; /* (n_steps) */
    size_t n_steps;
    bool need_collapsed, need_wide;
    bool byte_encode;
};

bool pretok_pieces_push(pretok_pieces *p, size_t len) {
    if (len == 0) return true;
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 64;
        if (cap > SIZE_MAX / sizeof(size_t)) return false;
        size_t *q = realloc(p->len, cap * sizeof(size_t));
        if (!q) return false;
        p->len = q;
        p->cap = cap;
    }
    p->len[p->n++] = len;
    return true;
}

/* ---- llama.cpp's category collapsing ------------------------------------ */

/* The stand-ins of the collapsed text (k_ucat_cpt in unicode.cpp). */
enum { C_OTHER = 0xD0, C_NUMBER = 0xD1, C_LETTER = 0xD2, C_PUNCT = 0xD3, C_MARK = 0xD4, C_SYMBOL = 0xD5 };

static const struct {
    const char *name; /* as written in a regex */
    uint32_t stand_in;
    const char *ascii; /* the ASCII members, as a class body (k_ucat_map) */
} k_ucat[] = {
    {"\\p{N}", C_NUMBER, "0-9"},
    {"\\p{L}", C_LETTER, "A-Za-z"},
    {"\\p{P}", C_PUNCT, "!-#%-*,-/:-;?-@\\[-\\]_\\{\\}"},
    {"\\p{M}", C_MARK, ""},
    {"\\p{S}", C_SYMBOL, "\\$\\+<->^`\\|\\~"},
    {"\\p{Lu}", C_LETTER, "A-Za-z"}, /* every letter category collapses to \p{L} */
    {"\\p{Ll}", C_LETTER, "A-Za-z"},
    {"\\p{Lt}", C_LETTER, "A-Za-z"},
    {"\\p{Lm}", C_LETTER, "A-Za-z"},
    {"\\p{Lo}", C_LETTER, "A-Za-z"},
};
#define N_UCAT (sizeof k_ucat / sizeof k_ucat[0])

static bool uses_categories(const char *re) {
    for (size_t k = 0; k < N_UCAT; k++)
        if (strstr(re, k_ucat[k].name)) return true;
    return false;
}

static uint32_t collapse(uint32_t cp, unsigned flags) {
    if (cp < 0x80) return cp;
    if (flags & EI_UCAT_WHITESPACE) return 0x0B; /* std::regex's \s knows only ASCII white space */
    switch (flags & (EI_UCAT_NUMBER | EI_UCAT_LETTER | EI_UCAT_PUNCTUATION | EI_UCAT_ACCENT_MARK | EI_UCAT_SYMBOL)) {
    case EI_UCAT_NUMBER: return C_NUMBER;
    case EI_UCAT_LETTER: return C_LETTER;
    case EI_UCAT_PUNCTUATION: return C_PUNCT;
    case EI_UCAT_ACCENT_MARK: return C_MARK;
    case EI_UCAT_SYMBOL: return C_SYMBOL;
    default: return C_OTHER;
    }
}

typedef struct cpbuf {
    uint32_t *v;
    size_t n, cap;
} cpbuf;

static bool cp_push(cpbuf *b, uint32_t c) {
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 256;
        uint32_t *q = realloc(b->v, cap * sizeof(uint32_t));
        if (!q) return false;
        b->v = q;
        b->cap = cap;
    }
    b->v[b->n++] = c;
    return true;
}

static bool cp_push_str(cpbuf *b, const char *s) {
    for (; *s; s++)
        if (!cp_push(b, (unsigned char)*s)) return false;
    return true;
}

/* The collapsed form of a regex, byte by byte as unicode_regex_split builds
 * it (its bracket tracking, its 10-byte limit on \p{..}). Returns
 * EI_ERR_UNSUPPORTED for non-ASCII, which llama.cpp refuses too. */
static ei_status collapse_regex(const char *re, cpbuf *out) {
    size_t n = strlen(re);
    bool inside = false;
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)re[i] >= 0x80)
            return ei_error(EI_ERR_UNSUPPORTED, "pre-tokenizer regex mixes categories and non-ASCII: %s", re);
    }
    for (size_t i = 0; i < n; i++) {
        bool ok = true;
        if (re[i] == '[' && (i == 0 || re[i - 1] != '\\')) {
            inside = true;
            ok = cp_push(out, '[');
        } else if (inside && re[i] == ']' && re[i - 1] != '\\') {
            inside = false;
            ok = cp_push(out, ']');
        } else {
            size_t k = N_UCAT;
            if (re[i] == '\\' && i + 3 < n && re[i + 1] == 'p' && re[i + 2] == '{') {
                const char *close = strchr(re + i + 3, '}');
                size_t len = close ? (size_t)(close - (re + i)) + 1 : 0;
                if (close && (size_t)(close - re) <= i + 10)
                    for (k = 0; k < N_UCAT; k++)
                        if (strlen(k_ucat[k].name) == len && memcmp(re + i, k_ucat[k].name, len) == 0) break;
                if (k < N_UCAT) {
                    ok = (inside || cp_push(out, '[')) && cp_push(out, k_ucat[k].stand_in) &&
                         cp_push_str(out, k_ucat[k].ascii) && (inside || cp_push(out, ']'));
                    i += len - 1;
                }
            }
            if (k == N_UCAT) ok = cp_push(out, (unsigned char)re[i]);
        }
        if (!ok) return ei_error(EI_ERR_NOMEM, "out of memory");
    }
    return EI_OK;
}

/* ---- setup ----------------------------------------------------------------- */

void ei_pretok_free(ei_pretok *p) {
    if (!p) return;
    for (size_t i = 0; i < p->n_steps; i++) ei_regex_free(p->steps[i].re);
    free(p->steps);
    free(p);
}

static ei_status compile_step(const char *re, step *st) {
    st->fast = pretok_fast_for(re);
    if (st->fast != FAST_NONE) {
        st->kind = STEP_FAST;
        return EI_OK;
    }
    cpbuf pat = {0};
    ei_status s = EI_OK;
    if (uses_categories(re)) {
        st->kind = STEP_COLLAPSED;
        s = collapse_regex(re, &pat);
    } else {
        st->kind = STEP_WIDE;
        size_t n = strlen(re);
        for (size_t pos = 0; pos < n && s == EI_OK;)
            if (!cp_push(&pat, ei_utf8_next(re, n, &pos))) s = ei_error(EI_ERR_NOMEM, "out of memory");
    }
    if (s == EI_OK) s = ei_regex_compile(pat.v, pat.n, &st->re);
    free(pat.v);
    return s;
}

ei_status ei_pretok_new(const char *pre_name, ei_pretok **out) {
    *out = NULL;
    const pretok_rules *rules = pretok_rules_find(pre_name);
    if (!rules) return ei_error(EI_ERR_UNSUPPORTED, "unknown pre-tokenizer type: '%s'", pre_name);
    ei_pretok *p = calloc(1, sizeof *p);
    size_t n = 0;
    while (rules->regexes[n]) n++;
    if (!p || !(p->steps = calloc(n, sizeof *p->steps))) {
        free(p);
        return ei_error(EI_ERR_NOMEM, "out of memory");
    }
    p->byte_encode = rules->byte_encode;
    for (size_t i = 0; i < n; i++) {
        ei_status s = compile_step(rules->regexes[i], &p->steps[i]);
        p->n_steps = i + 1;
        if (s != EI_OK) {
            ei_pretok_free(p);
            return ei_error_prefix(s, "pre-tokenizer '%s', rule %zu", pre_name ? pre_name : "default", i);
        }
        p->need_collapsed |= p->steps[i].kind == STEP_COLLAPSED;
        p->need_wide |= p->steps[i].kind == STEP_WIDE;
    }
    *out = p;
    return EI_OK;
}

bool ei_pretok_byte_encode(const ei_pretok *p) { return p->byte_encode; }

/* ---- splitting ------------------------------------------------------------- */

/* Split each piece of `in` by re over text t, as unicode_regex_split_stl
 * drives std::regex_iterator. Returns false when out of memory. */
static bool regex_split(const ei_regex *re, const uint32_t *t, const pretok_pieces *in, pretok_pieces *out,
                        ei_regex_stack *st) {
    size_t start = 0;
    for (size_t i = 0; i < in->n; i++) {
        const size_t end = start + in->len[i];
        size_t from = start, done = start, mb, me;
        unsigned flags = 0;
        for (;;) {
            int r = ei_regex_search(re, t, from, end, flags, st, &mb, &me);
            if (r < 0) return false;
            if (r == 0) {
                if (flags == 0) break;
                /* No non-empty match right after an empty one: search on
                 * from the next code point. */
                from++;
                flags = 0;
                continue;
            }
            if (!pretok_pieces_push(out, mb - done) || !pretok_pieces_push(out, me - mb)) return false;
            done = me;
            from = me;
            flags = 0;
            if (mb == me) {
                if (me == end) break;
                flags = EI_RX_NOT_NULL | EI_RX_CONTINUOUS; /* std::regex_iterator's next try */
            }
        }
        if (!pretok_pieces_push(out, end - done)) return false;
        start = end;
    }
    return true;
}

ei_status ei_pretok_split(const ei_pretok *p, const char *text, size_t len, ei_span **spans, size_t *n) {
    *spans = NULL;
    *n = 0;
    if (len == 0) return EI_OK;
    ei_status status = EI_ERR_NOMEM;
    /* Per code point: the code point, its flags, its first byte; at most
     * one code point per byte. */
    if (len > SIZE_MAX / sizeof(size_t) - 1) return ei_error(EI_ERR_NOMEM, "text too long");
    uint32_t *cps = malloc(len * sizeof *cps);
    uint16_t *flags = malloc(len * sizeof *flags);
    size_t *byte_at = malloc((len + 1) * sizeof *byte_at);
    uint32_t *collapsed = p->need_collapsed ? malloc(len * sizeof *collapsed) : NULL;
    uint32_t *wide = p->need_wide ? malloc(len * sizeof *wide) : NULL;
    pretok_pieces a = {0}, b = {0};
    ei_regex_stack st = {0};
    ei_span *out = NULL;
    if (!cps || !flags || !byte_at || (p->need_collapsed && !collapsed) || (p->need_wide && !wide)) goto done;

    size_t n_cps = 0;
    for (size_t pos = 0; pos < len;) {
        byte_at[n_cps] = pos;
        uint32_t c = ei_utf8_next(text, len, &pos);
        unsigned f = ei_unicode_flags(c);
        cps[n_cps] = c;
        flags[n_cps] = (uint16_t)f;
        if (collapsed) collapsed[n_cps] = collapse(c, f);
        if (wide) wide[n_cps] = (c > 0x7F && (f & EI_UCAT_WHITESPACE)) ? 0x0B : c;
        n_cps++;
    }
    byte_at[n_cps] = len;

    const pretok_text t = {cps, flags, n_cps};
    if (!pretok_pieces_push(&a, n_cps)) goto done;
    for (size_t i = 0; i < p->n_steps; i++) {
        const step *s = &p->steps[i];
        b.n = 0;
        bool ok = s->kind == STEP_FAST ? pretok_fast_split(s->fast, &t, &a, &b)
                                       : regex_split(s->re, s->kind == STEP_COLLAPSED ? collapsed : wide, &a, &b, &st);
        if (!ok) goto done;
        pretok_pieces tmp = a;
        a = b;
        b = tmp;
    }

    out = malloc((a.n ? a.n : 1) * sizeof *out);
    if (!out) goto done;
    size_t cp = 0;
    for (size_t i = 0; i < a.n; i++) {
        out[i].off = byte_at[cp];
        cp += a.len[i];
        out[i].len = byte_at[cp] - out[i].off;
    }
    *spans = out;
    *n = a.n;
    out = NULL;
    status = EI_OK;
done:
    if (status != EI_OK) ei_error(EI_ERR_NOMEM, "pre-tokenizer: out of memory for %zu bytes of text", len);
    free(out);
    free(cps);
    free(flags);
    free(byte_at);
    free(collapsed);
    free(wide);
    free(a.len);
    free(b.len);
    ei_regex_stack_free(&st);
    return status;
}
