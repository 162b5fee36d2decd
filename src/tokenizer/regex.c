/*
 * regex.c — parse a pattern into a tree, compile the tree into a small
 * instruction list, and run it by depth-first backtracking (see regex.h for
 * the subset and the semantics).
 *
 * Guarantees: any pattern either compiles or is refused with a message; any
 * text is matched without recursion proportional to its length and without
 * reading outside [from, end). Sizes are bounded (pattern nesting, program
 * length) and every allocation is checked.
 */
#include "tokenizer/regex.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"

#define INF UINT32_MAX
#define MAX_DEPTH 64          /* nesting of groups: bounds parser and lookahead recursion */
#define MAX_PROG (1u << 20)   /* instructions, after {n,m} copies */
#define MAX_COUNT 100000u     /* largest n or m in {n,m} */

/* ---- tree ------------------------------------------------------------------ */

enum { N_EMPTY, N_CHAR, N_CLASS, N_ANY, N_EOL, N_CAT, N_ALT, N_LOOK, N_REPEAT };

typedef struct node {
    uint8_t kind;
    bool flag;          /* N_LOOK: negative; N_REPEAT: greedy */
    uint32_t val;       /* N_CHAR: code point; N_CLASS: class index */
    uint32_t min, max;  /* N_REPEAT */
    int32_t child, next; /* first child and next sibling, -1 if none */
} node;

/* A class is ranges[off, off+n) of the range pool, sorted and disjoint. */
typedef struct cls {
    size_t off, n;
    bool neg;
} cls;

typedef struct range {
    uint32_t lo, hi;
} range;

/* ---- program --------------------------------------------------------------- */

enum { OP_CHAR, OP_CLASS, OP_ANY, OP_EOL, OP_SPLIT, OP_JMP, OP_LOOK, OP_REP, OP_MATCH };

typedef struct inst {
    uint8_t op;
    uint8_t mop;       /* OP_REP: what one repetition matches (OP_CHAR, OP_CLASS or OP_ANY) */
    bool flag;         /* OP_LOOK: negative; OP_REP: greedy */
    uint32_t arg;      /* code point or class index */
    uint32_t x, y;     /* OP_SPLIT: first choice x, then y; OP_JMP/OP_LOOK: x = where to go on */
    uint32_t min, max; /* OP_REP */
} inst;

struct ei_regex {
    inst *prog;
    size_t n_prog;
    cls *classes;
    range *ranges;
};

/* ---- growable arrays ------------------------------------------------------- */

static bool grow(void **p, size_t *cap, size_t need, size_t elem) {
    if (need <= *cap) return true;
    size_t c = *cap ? *cap : 16;
    while (c < need) {
        if (c > SIZE_MAX / 2 / elem) return false;
        c *= 2;
    }
    void *q = realloc(*p, c * elem);
    if (!q) return false;
    *p = q;
    *cap = c;
    return true;
}

/* ---- parser ---------------------------------------------------------------- */

typedef struct parser {
    const uint32_t *p;
    size_t n, i;
    int depth;
    node *nodes;
    size_t n_nodes, cap_nodes;
    cls *classes;
    size_t n_classes, cap_classes;
    range *ranges;
    size_t n_ranges, cap_ranges;
    range *tmp; /* ranges of the class being parsed */
    size_t n_tmp, cap_tmp;
    ei_status err;
} parser;

static int32_t fail_at(parser *ps, const char *what) {
    if (ps->err == EI_OK) ps->err = ei_error(EI_ERR_UNSUPPORTED, "regex: %s at offset %zu", what, ps->i);
    return -1;
}

static int32_t nomem(parser *ps) {
    if (ps->err == EI_OK) ps->err = ei_error(EI_ERR_NOMEM, "regex: out of memory");
    return -1;
}

static int32_t new_node(parser *ps, uint8_t kind) {
    if (ps->n_nodes >= INT32_MAX || !grow((void **)&ps->nodes, &ps->cap_nodes, ps->n_nodes + 1, sizeof(node)))
        return nomem(ps);
    node *nd = &ps->nodes[ps->n_nodes];
    memset(nd, 0, sizeof *nd);
    nd->kind = kind;
    nd->child = nd->next = -1;
    return (int32_t)ps->n_nodes++;
}

static bool at(const parser *ps, uint32_t c) { return ps->i < ps->n && ps->p[ps->i] == c; }

static bool add_tmp(parser *ps, uint32_t lo, uint32_t hi) {
    if (!grow((void **)&ps->tmp, &ps->cap_tmp, ps->n_tmp + 1, sizeof(range))) return false;
    ps->tmp[ps->n_tmp++] = (range){lo, hi};
    return true;
}

static int cmp_range(const void *a, const void *b) {
    const range *x = a, *y = b;
    return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* The ASCII sets of \d \s \w (libstdc++ classifies with the C locale, so
 * no code point above 0x7F is in any of them). */
static const range DIGIT[] = {{'0', '9'}};
static const range SPACE[] = {{'\t', '\r'}, {' ', ' '}};
static const range WORD[] = {{'0', '9'}, {'A', 'Z'}, {'_', '_'}, {'a', 'z'}};

/* Add set (or its complement) to the class under construction. */
static bool add_set(parser *ps, const range *set, size_t n, bool negate) {
    if (!negate) {
        for (size_t k = 0; k < n; k++)
            if (!add_tmp(ps, set[k].lo, set[k].hi)) return false;
        return true;
    }
    uint32_t next = 0;
    for (size_t k = 0; k < n; k++) {
        if (set[k].lo > next && !add_tmp(ps, next, set[k].lo - 1)) return false;
        next = set[k].hi + 1;
    }
    return add_tmp(ps, next, INF);
}

/* Sort and merge the collected ranges into a new class; returns its index. */
static int32_t finish_class(parser *ps, bool neg) {
    qsort(ps->tmp, ps->n_tmp, sizeof(range), cmp_range);
    size_t m = 0;
    for (size_t k = 0; k < ps->n_tmp; k++) {
        if (m > 0 && (ps->tmp[k].lo <= ps->tmp[m - 1].hi || ps->tmp[k].lo - 1 == ps->tmp[m - 1].hi)) {
            if (ps->tmp[k].hi > ps->tmp[m - 1].hi) ps->tmp[m - 1].hi = ps->tmp[k].hi;
        } else {
            ps->tmp[m++] = ps->tmp[k];
        }
    }
    if (ps->n_classes >= INT32_MAX ||
        !grow((void **)&ps->ranges, &ps->cap_ranges, ps->n_ranges + m, sizeof(range)) ||
        !grow((void **)&ps->classes, &ps->cap_classes, ps->n_classes + 1, sizeof(cls)))
        return nomem(ps);
    memcpy(ps->ranges + ps->n_ranges, ps->tmp, m * sizeof(range));
    ps->classes[ps->n_classes] = (cls){ps->n_ranges, m, neg};
    ps->n_ranges += m;
    ps->n_tmp = 0;
    return (int32_t)ps->n_classes++;
}

static int hexval(uint32_t c) {
    if (c >= '0' && c <= '9') return (int)(c - '0');
    if (c >= 'a' && c <= 'f') return (int)(c - 'a' + 10);
    if (c >= 'A' && c <= 'F') return (int)(c - 'A' + 10);
    return -1;
}

/* After a backslash: a class escape sets *set (and *negate) and returns 1;
 * a character escape stores the code point in *cp and returns 0; -1 for an
 * escape outside the subset. */
static int parse_escape(parser *ps, uint32_t *cp, const range **set, size_t *n_set, bool *negate) {
    if (ps->i >= ps->n) return -1;
    uint32_t c = ps->p[ps->i++];
    *negate = (c == 'D' || c == 'S' || c == 'W');
    switch (c) {
    case 'd': case 'D': *set = DIGIT; *n_set = 1; return 1;
    case 's': case 'S': *set = SPACE; *n_set = 2; return 1;
    case 'w': case 'W': *set = WORD; *n_set = 4; return 1;
    case 'r': *cp = '\r'; return 0;
    case 'n': *cp = '\n'; return 0;
    case 't': *cp = '\t'; return 0;
    case 'f': *cp = '\f'; return 0;
    case 'v': *cp = '\v'; return 0;
    case '0': *cp = 0; return 0;
    case 'x': case 'u': {
        int digits = c == 'x' ? 2 : 4;
        uint32_t v = 0;
        for (int k = 0; k < digits; k++) {
            int h = ps->i < ps->n ? hexval(ps->p[ps->i]) : -1;
            if (h < 0) return -1;
            v = v * 16 + (uint32_t)h;
            ps->i++;
        }
        *cp = v;
        return 0;
    }
    default:
        /* Identity escapes of punctuation (\[ \$ \| ...); letters and
         * digits would be escapes with other meanings (\b, \p, \1). */
        if (c < 0x80 && ((c | 0x20) - 'a' < 26 || c - '0' < 10)) return -1;
        *cp = c;
        return 0;
    }
}

static int32_t parse_class(parser *ps) {
    bool neg = at(ps, '^');
    if (neg) ps->i++;
    ps->n_tmp = 0;
    /* ECMAScript reads "[]" as the empty class and "[^]" as any character;
     * no rule set needs either, so they are refused rather than guessed. */
    if (at(ps, ']')) return fail_at(ps, "empty class");
    for (;;) {
        if (ps->i >= ps->n) return fail_at(ps, "unterminated [");
        uint32_t c = ps->p[ps->i++];
        if (c == ']') break;
        uint32_t lo = c;
        if (c == '\\') {
            const range *set;
            size_t n_set;
            bool negate;
            int e = parse_escape(ps, &lo, &set, &n_set, &negate);
            if (e < 0) return fail_at(ps, "unsupported escape in class");
            if (e == 1) {
                if (!add_set(ps, set, n_set, negate)) return nomem(ps);
                continue;
            }
        }
        /* A '-' between two characters makes a range; first or last it is literal. */
        uint32_t hi = lo;
        if (at(ps, '-') && ps->i + 1 < ps->n && ps->p[ps->i + 1] != ']') {
            ps->i++;
            hi = ps->p[ps->i++];
            if (hi == '\\') {
                const range *set;
                size_t n_set;
                bool negate;
                if (parse_escape(ps, &hi, &set, &n_set, &negate) != 0) return fail_at(ps, "class escape as range end");
            }
            if (hi < lo) return fail_at(ps, "range out of order");
        }
        if (!add_tmp(ps, lo, hi)) return nomem(ps);
    }
    return finish_class(ps, neg);
}

static int32_t parse_alt(parser *ps);

static bool parse_count(parser *ps, uint32_t *v) {
    if (ps->i >= ps->n || ps->p[ps->i] - '0' >= 10) return false;
    uint32_t x = 0;
    while (ps->i < ps->n && ps->p[ps->i] - '0' < 10) {
        x = x * 10 + (ps->p[ps->i++] - '0');
        if (x > MAX_COUNT) return false;
    }
    *v = x;
    return true;
}

static int32_t parse_atom(parser *ps) {
    uint32_t c = ps->p[ps->i++];
    int32_t nd;
    switch (c) {
    case '(': {
        if (++ps->depth > MAX_DEPTH) return fail_at(ps, "groups nested too deeply");
        int kind = 0; /* 0 group, 1 lookahead, 2 negative lookahead */
        if (at(ps, '?')) {
            uint32_t k = ps->i + 1 < ps->n ? ps->p[ps->i + 1] : 0;
            if (k == ':') kind = 0;
            else if (k == '=') kind = 1;
            else if (k == '!') kind = 2;
            else return fail_at(ps, "unsupported group (?");
            ps->i += 2;
        }
        int32_t inner = parse_alt(ps);
        if (inner < 0) return -1;
        if (!at(ps, ')')) return fail_at(ps, "missing )");
        ps->i++;
        ps->depth--;
        if (kind == 0) return inner;
        if ((nd = new_node(ps, N_LOOK)) < 0) return -1;
        ps->nodes[nd].flag = (kind == 2);
        ps->nodes[nd].child = inner;
        return nd;
    }
    case '[': {
        int32_t k = parse_class(ps);
        if (k < 0) return -1;
        if ((nd = new_node(ps, N_CLASS)) < 0) return -1;
        ps->nodes[nd].val = (uint32_t)k;
        return nd;
    }
    case '.': return new_node(ps, N_ANY);
    case '$': return new_node(ps, N_EOL);
    case '^': return fail_at(ps, "^ is not supported");
    case '*': case '+': case '?': case '{': return fail_at(ps, "nothing to repeat");
    case '\\': {
        uint32_t cp = 0;
        const range *set;
        size_t n_set;
        bool negate;
        int e = parse_escape(ps, &cp, &set, &n_set, &negate);
        if (e < 0) return fail_at(ps, "unsupported escape");
        if (e == 1) {
            ps->n_tmp = 0;
            if (!add_set(ps, set, n_set, negate)) return nomem(ps);
            int32_t k = finish_class(ps, false);
            if (k < 0) return -1;
            if ((nd = new_node(ps, N_CLASS)) < 0) return -1;
            ps->nodes[nd].val = (uint32_t)k;
            return nd;
        }
        c = cp;
        break;
    }
    default: break;
    }
    if ((nd = new_node(ps, N_CHAR)) < 0) return -1;
    ps->nodes[nd].val = c;
    return nd;
}

/* Can the subtree match the empty string? */
static bool nullable(const parser *ps, int32_t k) {
    const node *nd = &ps->nodes[k];
    switch (nd->kind) {
    case N_CHAR: case N_CLASS: case N_ANY: return false;
    case N_CAT:
        for (int32_t c = nd->child; c >= 0; c = ps->nodes[c].next)
            if (!nullable(ps, c)) return false;
        return true;
    case N_ALT:
        for (int32_t c = nd->child; c >= 0; c = ps->nodes[c].next)
            if (nullable(ps, c)) return true;
        return false;
    case N_REPEAT: return nd->min == 0 || nullable(ps, nd->child);
    default: return true; /* empty, $, lookahead */
    }
}

/* An atom followed by any number of quantifiers. */
static int32_t parse_quantified(parser *ps) {
    int32_t a = parse_atom(ps);
    while (a >= 0 && ps->i < ps->n) {
        uint32_t c = ps->p[ps->i], mn, mx;
        if (c == '*') mn = 0, mx = INF;
        else if (c == '+') mn = 1, mx = INF;
        else if (c == '?') mn = 0, mx = 1;
        else if (c == '{') {
            ps->i++;
            if (!parse_count(ps, &mn)) return fail_at(ps, "bad {n,m}");
            mx = mn;
            if (at(ps, ',')) {
                ps->i++;
                mx = INF;
                if (!at(ps, '}') && !parse_count(ps, &mx)) return fail_at(ps, "bad {n,m}");
            }
            if (!at(ps, '}') || mx < mn) return fail_at(ps, "bad {n,m}");
        } else {
            break;
        }
        ps->i++;
        bool greedy = true;
        if (at(ps, '?')) {
            greedy = false;
            ps->i++;
        }
        if (nullable(ps, a)) return fail_at(ps, "quantifier over a pattern that can match empty");
        int32_t r = new_node(ps, N_REPEAT);
        if (r < 0) return -1;
        ps->nodes[r].child = a;
        ps->nodes[r].min = mn;
        ps->nodes[r].max = mx;
        ps->nodes[r].flag = greedy;
        a = r;
    }
    return a;
}

static int32_t parse_seq(parser *ps) {
    int32_t seq = new_node(ps, N_CAT), last = -1;
    if (seq < 0) return -1;
    while (ps->i < ps->n && ps->p[ps->i] != '|' && ps->p[ps->i] != ')') {
        int32_t a = parse_quantified(ps);
        if (a < 0) return -1;
        if (last < 0) ps->nodes[seq].child = a;
        else ps->nodes[last].next = a;
        last = a;
    }
    return seq;
}

static int32_t parse_alt(parser *ps) {
    int32_t first = parse_seq(ps);
    if (first < 0 || !at(ps, '|')) return first;
    int32_t alt = new_node(ps, N_ALT), last = first;
    if (alt < 0) return -1;
    ps->nodes[alt].child = first;
    while (at(ps, '|')) {
        ps->i++;
        int32_t s = parse_seq(ps);
        if (s < 0) return -1;
        ps->nodes[last].next = s;
        last = s;
    }
    return alt;
}

/* ---- compiler -------------------------------------------------------------- */

typedef struct compiler {
    const parser *ps;
    inst *prog;
    size_t n, cap;
    bool failed;
} compiler;

static uint32_t emit(compiler *cc, uint8_t op) {
    if (cc->failed) return 0;
    if (cc->n >= MAX_PROG || !grow((void **)&cc->prog, &cc->cap, cc->n + 1, sizeof(inst))) {
        cc->failed = true;
        return 0;
    }
    memset(&cc->prog[cc->n], 0, sizeof(inst));
    cc->prog[cc->n].op = op;
    return (uint32_t)cc->n++;
}

/* Patch instruction k (harmless after a failure: k is 0 and prog may be empty). */
#define PATCH(cc, k, field, v)                                                                                       \
    do {                                                                                                             \
        if (!(cc)->failed) (cc)->prog[k].field = (v);                                                                \
    } while (0)

static void compile(compiler *cc, int32_t k) {
    const node *nd = &cc->ps->nodes[k];
    uint32_t here;
    switch (nd->kind) {
    case N_EMPTY: return;
    case N_CHAR: here = emit(cc, OP_CHAR); PATCH(cc, here, arg, nd->val); return;
    case N_CLASS: here = emit(cc, OP_CLASS); PATCH(cc, here, arg, nd->val); return;
    case N_ANY: emit(cc, OP_ANY); return;
    case N_EOL: emit(cc, OP_EOL); return;
    case N_CAT:
        for (int32_t c = nd->child; c >= 0 && !cc->failed; c = cc->ps->nodes[c].next) compile(cc, c);
        return;
    case N_ALT: {
        /* SPLIT a,next; a; JMP end; next: SPLIT b,next2; b; JMP end; ... z; end: */
        size_t n_alts = 0;
        for (int32_t c = nd->child; c >= 0; c = cc->ps->nodes[c].next) n_alts++;
        uint32_t *jumps = calloc(n_alts, sizeof *jumps);
        if (!jumps) {
            cc->failed = true;
            return;
        }
        size_t j = 0;
        for (int32_t c = nd->child; c >= 0 && !cc->failed; c = cc->ps->nodes[c].next) {
            if (cc->ps->nodes[c].next < 0) {
                compile(cc, c);
                break;
            }
            uint32_t split = emit(cc, OP_SPLIT);
            PATCH(cc, split, x, split + 1);
            compile(cc, c);
            jumps[j++] = emit(cc, OP_JMP);
            PATCH(cc, split, y, (uint32_t)cc->n);
        }
        for (size_t m = 0; m < j; m++) PATCH(cc, jumps[m], x, (uint32_t)cc->n);
        free(jumps);
        return;
    }
    case N_LOOK: {
        uint32_t look = emit(cc, OP_LOOK);
        PATCH(cc, look, flag, nd->flag);
        compile(cc, nd->child);
        emit(cc, OP_MATCH);
        PATCH(cc, look, x, (uint32_t)cc->n);
        return;
    }
    case N_REPEAT: {
        const node *ch = &cc->ps->nodes[nd->child];
        if (ch->kind == N_CHAR || ch->kind == N_CLASS || ch->kind == N_ANY) {
            /* One instruction that counts, whatever the bounds: \s{512}
             * stays small and a long run costs one backtracking frame. */
            uint32_t r = emit(cc, OP_REP);
            PATCH(cc, r, mop, ch->kind == N_CHAR ? OP_CHAR : ch->kind == N_CLASS ? OP_CLASS : OP_ANY);
            PATCH(cc, r, arg, ch->val);
            PATCH(cc, r, min, nd->min);
            PATCH(cc, r, max, nd->max);
            PATCH(cc, r, flag, nd->flag);
            return;
        }
        for (uint32_t m = 0; m < nd->min && !cc->failed; m++) compile(cc, nd->child);
        if (nd->max == INF) {
            /* loop: SPLIT body,out; body; JMP loop; out: */
            uint32_t loop = emit(cc, OP_SPLIT);
            compile(cc, nd->child);
            uint32_t jmp = emit(cc, OP_JMP);
            PATCH(cc, jmp, x, loop);
            PATCH(cc, loop, x, nd->flag ? loop + 1 : (uint32_t)cc->n);
            PATCH(cc, loop, y, nd->flag ? (uint32_t)cc->n : loop + 1);
            return;
        }
        /* Optional copies that all leave to one end: skipping one skips the rest. */
        uint32_t n_opt = nd->max - nd->min;
        uint32_t *splits = calloc(n_opt ? n_opt : 1, sizeof *splits);
        if (!splits) {
            cc->failed = true;
            return;
        }
        for (uint32_t m = 0; m < n_opt && !cc->failed; m++) {
            splits[m] = emit(cc, OP_SPLIT);
            compile(cc, nd->child);
        }
        for (uint32_t m = 0; m < n_opt && !cc->failed; m++) {
            PATCH(cc, splits[m], x, nd->flag ? splits[m] + 1 : (uint32_t)cc->n);
            PATCH(cc, splits[m], y, nd->flag ? (uint32_t)cc->n : splits[m] + 1);
        }
        free(splits);
        return;
    }
    }
}

ei_status ei_regex_compile(const uint32_t *pat, size_t n, ei_regex **out) {
    *out = NULL;
    parser ps = {.p = pat, .n = n};
    int32_t root = parse_alt(&ps);
    if (root >= 0 && ps.i < ps.n) root = fail_at(&ps, "unbalanced )");
    ei_regex *re = NULL;
    compiler cc = {.ps = &ps};
    if (root >= 0) {
        compile(&cc, root);
        emit(&cc, OP_MATCH);
        if (!cc.failed) re = calloc(1, sizeof *re);
        if (!re) ps.err = cc.n >= MAX_PROG ? ei_error(EI_ERR_UNSUPPORTED, "regex: program too long")
                                           : ei_error(EI_ERR_NOMEM, "regex: out of memory");
    }
    free(ps.nodes);
    free(ps.tmp);
    if (!re) {
        free(cc.prog);
        free(ps.classes);
        free(ps.ranges);
        return ps.err;
    }
    re->prog = cc.prog;
    re->n_prog = cc.n;
    re->classes = ps.classes;
    re->ranges = ps.ranges;
    *out = re;
    return EI_OK;
}

void ei_regex_free(ei_regex *re) {
    if (!re) return;
    free(re->prog);
    free(re->classes);
    free(re->ranges);
    free(re);
}

/* ---- matcher --------------------------------------------------------------- */

enum { F_BRANCH, F_REP_GREEDY, F_REP_LAZY };

typedef struct frame {
    uint32_t pc, kind;
    size_t sp; /* F_BRANCH: where to resume; F_REP_*: where the repetition started */
    size_t c;  /* F_REP_*: how many repetitions to try next */
    size_t lim; /* F_REP_LAZY: the most that matched */
} frame;

void ei_regex_stack_free(ei_regex_stack *st) {
    free(st->frames);
    st->frames = NULL;
    st->n = st->cap = 0;
}

static bool push(ei_regex_stack *st, frame f) {
    if (!grow(&st->frames, &st->cap, st->n + 1, sizeof(frame))) return false;
    ((frame *)st->frames)[st->n++] = f;
    return true;
}

static bool class_has(const ei_regex *re, uint32_t k, uint32_t c) {
    const cls *cl = &re->classes[k];
    const range *r = re->ranges + cl->off;
    size_t lo = 0, hi = cl->n;
    bool in = false;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c < r[mid].lo) hi = mid;
        else if (c > r[mid].hi) lo = mid + 1;
        else {
            in = true;
            break;
        }
    }
    return in != cl->neg;
}

static bool match1(const ei_regex *re, uint8_t op, uint32_t arg, uint32_t c) {
    switch (op) {
    case OP_CHAR: return c == arg;
    case OP_CLASS: return class_has(re, arg, c);
    default: return c != '\n' && c != '\r' && c != 0x2028 && c != 0x2029; /* ECMAScript '.' */
    }
}

/* Run the program from pc at text position sp. top: this is the whole
 * pattern (not a lookahead), whose match may have to be non-empty.
 * Returns 1 with *mend, 0, or -1 out of memory. Frames above the entry
 * depth belong to this call and are dropped on return. */
static int run(const ei_regex *re, const uint32_t *t, size_t end, uint32_t pc, size_t sp, ei_regex_stack *st,
               bool top, unsigned flags, size_t *mend) {
    const size_t base = st->n;
    const size_t start = sp;
    for (;;) {
        const inst *in = &re->prog[pc];
        switch (in->op) {
        case OP_CHAR:
        case OP_CLASS:
        case OP_ANY:
            if (sp < end && match1(re, in->op, in->arg, t[sp])) {
                sp++;
                pc++;
                continue;
            }
            goto fail;
        case OP_EOL:
            if (sp != end) goto fail;
            pc++;
            continue;
        case OP_JMP: pc = in->x; continue;
        case OP_SPLIT:
            if (!push(st, (frame){in->y, F_BRANCH, sp, 0, 0})) goto oom;
            pc = in->x;
            continue;
        case OP_LOOK: {
            size_t ignored;
            int r = run(re, t, end, pc + 1, sp, st, false, flags, &ignored);
            if (r < 0) goto oom;
            if ((r == 1) == in->flag) goto fail; /* flag: negative lookahead */
            pc = in->x;
            continue;
        }
        case OP_REP: {
            size_t k = 0, most = end - sp;
            if (in->max != INF && in->max < most) most = in->max;
            while (k < most && match1(re, in->mop, in->arg, t[sp + k])) k++;
            if (k < in->min) goto fail;
            if (in->flag) {
                if (k > in->min && !push(st, (frame){pc, F_REP_GREEDY, sp, k - 1, 0})) goto oom;
                sp += k;
            } else {
                if (k > in->min && !push(st, (frame){pc, F_REP_LAZY, sp, (size_t)in->min + 1, k})) goto oom;
                sp += in->min;
            }
            pc++;
            continue;
        }
        case OP_MATCH:
            if (top && (flags & EI_RX_NOT_NULL) && sp == start) goto fail;
            *mend = sp;
            st->n = base;
            return 1;
        }
    fail:
        if (st->n == base) return 0;
        {
            frame f = ((frame *)st->frames)[--st->n];
            if (f.kind == F_BRANCH) {
                pc = f.pc;
                sp = f.sp;
                continue;
            }
            const inst *r = &re->prog[f.pc];
            /* Re-pushing into the slot just freed cannot fail. */
            if (f.kind == F_REP_GREEDY && f.c > r->min) push(st, (frame){f.pc, F_REP_GREEDY, f.sp, f.c - 1, 0});
            if (f.kind == F_REP_LAZY && f.c < f.lim) push(st, (frame){f.pc, F_REP_LAZY, f.sp, f.c + 1, f.lim});
            sp = f.sp + f.c;
            pc = f.pc + 1;
        }
    }
oom:
    st->n = base;
    return -1;
}

int ei_regex_search(const ei_regex *re, const uint32_t *text, size_t from, size_t end, unsigned flags,
                    ei_regex_stack *st, size_t *mb, size_t *me) {
    for (size_t s = from; s <= end; s++) {
        int r = run(re, text, end, 0, s, st, true, flags, me);
        if (r != 0) {
            *mb = s;
            return r;
        }
        if (flags & EI_RX_CONTINUOUS) break;
    }
    return 0;
}
