/*
 * jinja_lexer.c — template text to tokens, with Jinja2's whitespace rules as
 * HuggingFace configures them (trim_blocks=True, lstrip_blocks=True,
 * keep_trailing_newline=False):
 *
 *   - newlines are normalized to "\n" and one trailing newline is dropped;
 *   - "{%-", "{{-", "{#-" strip all whitespace before the tag, "-%}", "-}}",
 *     "-#}" all whitespace after it;
 *   - lstrip_blocks: spaces and tabs between the start of a line and a block
 *     or comment tag are dropped (not before "{{", not with "{%+");
 *   - trim_blocks: one newline right after "%}" or "#}" is dropped (not after
 *     "}}", not with "+%}");
 *   - {% raw %}...{% endraw %} passes its content through untouched.
 *
 * The code mirrors jinja2/lexer.py so that the byte-exact output matches.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chat/jinja_internal.h"
#include "util/error.h"

typedef struct lexer {
    jinja_arena *arena;
    const char *s; /* normalized source */
    size_t n, pos;
    int line;          /* line of `line_pos` */
    size_t line_pos;   /* position up to which newlines are counted */
    size_t line_start; /* position of the first byte of `line` */
    bool line_starting;
    jtok *toks;
    size_t ntoks, cap;
    jop brace_stack[256];
    int brace_depth;
} lexer;

/* Advance the line counter to `pos` (positions only grow). */
static void locate(lexer *lx, size_t pos, int *line, int *col) {
    for (; lx->line_pos < pos && lx->line_pos < lx->n; lx->line_pos++)
        if (lx->s[lx->line_pos] == '\n') {
            lx->line++;
            lx->line_start = lx->line_pos + 1;
        }
    *line = lx->line;
    *col = (int)(pos - lx->line_start) + 1;
}

static ei_status lex_error(lexer *lx, size_t pos, const char *what) {
    int line, col;
    locate(lx, pos, &line, &col);
    return ei_error(EI_ERR_FORMAT, "syntax error at %d:%d: %s", line, col, what);
}

static jtok *push(lexer *lx, jtok_kind kind, size_t pos) {
    if (lx->ntoks == lx->cap) {
        size_t cap = lx->cap ? lx->cap * 2 : 256;
        jtok *t = jinja_arena_alloc(lx->arena, cap * sizeof *t);
        if (!t) return NULL;
        if (lx->ntoks) memcpy(t, lx->toks, lx->ntoks * sizeof *t);
        lx->toks = t;
        lx->cap = cap;
    }
    jtok *t = &lx->toks[lx->ntoks++];
    memset(t, 0, sizeof *t);
    t->kind = kind;
    locate(lx, pos, &t->line, &t->col);
    return t;
}

static bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }
static bool is_ident_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
static bool is_digit(char c) { return c >= '0' && c <= '9'; }

/* Emit text s[from, to) after the whitespace control of the tag that follows
 * it: sign '-' strips all trailing whitespace; lstrip_blocks strips spaces
 * and tabs back to the line start when only those stand there. */
static ei_status emit_text(lexer *lx, size_t from, size_t to, char sign, bool lstrip_applies) {
    if (sign == '-') {
        while (to > from && is_ws(lx->s[to - 1])) to--;
    } else if (sign != '+' && lstrip_applies) {
        size_t l = to;
        while (l > from && lx->s[l - 1] != '\n') l--;
        bool after_newline = l > from;
        if ((after_newline || lx->line_starting) && l < to) {
            bool blank = true;
            for (size_t i = l; i < to; i++)
                if (!is_ws(lx->s[i])) { blank = false; break; }
            if (blank) to = l;
        }
    }
    if (to > from) {
        jtok *t = push(lx, JT_TEXT, from);
        if (!t) return EI_ERR_NOMEM;
        t->text = lx->s + from;
        t->len = to - from;
    }
    return EI_OK;
}

/* After a closing tag at `pos` (just past its last character): "-" eats all
 * whitespace, "+" nothing, otherwise (blocks and comments) one newline. */
static void after_close(lexer *lx, char sign, bool trim_newline) {
    size_t start = lx->pos;
    if (sign == '-') {
        while (lx->pos < lx->n && is_ws(lx->s[lx->pos])) lx->pos++;
    } else if (sign != '+' && trim_newline && lx->pos < lx->n && lx->s[lx->pos] == '\n') {
        lx->pos++;
    }
    lx->line_starting = lx->pos > start ? lx->s[lx->pos - 1] == '\n' : false;
}

/* ---- strings and numbers -------------------------------------------------------- */

static size_t put_utf8(char *d, unsigned long cp) {
    if (cp < 0x80) { d[0] = (char)cp; return 1; }
    if (cp < 0x800) { d[0] = (char)(0xC0 | (cp >> 6)); d[1] = (char)(0x80 | (cp & 0x3F)); return 2; }
    if (cp < 0x10000) {
        d[0] = (char)(0xE0 | (cp >> 12));
        d[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        d[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    d[0] = (char)(0xF0 | (cp >> 18));
    d[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    d[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    d[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* A quoted literal with Python's escapes (Jinja decodes with
 * "unicode-escape"); unknown escapes keep their backslash. */
static ei_status lex_string(lexer *lx) {
    size_t start = lx->pos;
    char q = lx->s[lx->pos++];
    size_t end = lx->pos;
    while (end < lx->n && lx->s[end] != q) end += lx->s[end] == '\\' ? 2 : 1;
    if (end >= lx->n) return lex_error(lx, start, "unterminated string literal");
    char *d = jinja_arena_alloc(lx->arena, end - lx->pos + 1);
    if (!d) return EI_ERR_NOMEM;
    size_t k = 0;
    for (size_t i = lx->pos; i < end; i++) {
        char c = lx->s[i];
        if (c != '\\') {
            d[k++] = c;
            continue;
        }
        char e = lx->s[++i];
        switch (e) {
        case 'n': d[k++] = '\n'; break;
        case 't': d[k++] = '\t'; break;
        case 'r': d[k++] = '\r'; break;
        case 'a': d[k++] = '\a'; break;
        case 'b': d[k++] = '\b'; break;
        case 'f': d[k++] = '\f'; break;
        case 'v': d[k++] = '\v'; break;
        case '\\': case '\'': case '"': d[k++] = e; break;
        case '\n': break; /* line continuation */
        case 'x': case 'u': case 'U': {
            int digits = e == 'x' ? 2 : e == 'u' ? 4 : 8;
            unsigned long cp = 0;
            int got = 0;
            while (got < digits && i + 1 < end && hexval(lx->s[i + 1]) >= 0) cp = cp * 16 + (unsigned long)hexval(lx->s[++i]), got++;
            if (got < digits || cp > 0x10FFFF) return lex_error(lx, i, "truncated \\x, \\u or \\U escape in a string");
            k += put_utf8(d + k, cp); /* at most 4 bytes for >= 4 source bytes */
            break;
        }
        default:
            if (e >= '0' && e <= '7') {
                unsigned long cp = (unsigned long)(e - '0');
                for (int m = 0; m < 2 && i + 1 < end && lx->s[i + 1] >= '0' && lx->s[i + 1] <= '7'; m++)
                    cp = cp * 8 + (unsigned long)(lx->s[++i] - '0');
                k += put_utf8(d + k, cp); /* up to 2 bytes for >= 2 source bytes */
            } else {
                d[k++] = '\\';
                d[k++] = e;
            }
        }
    }
    jtok *t = push(lx, JT_STRING, start);
    if (!t) return EI_ERR_NOMEM;
    t->text = d;
    t->len = k;
    lx->pos = end + 1;
    return EI_OK;
}

static ei_status lex_number(lexer *lx, bool after_dot) {
    size_t start = lx->pos, i = lx->pos;
    char buf[64];
    size_t k = 0;
    bool is_float = false;
    while (i < lx->n && (is_digit(lx->s[i]) || (lx->s[i] == '_' && i + 1 < lx->n && is_digit(lx->s[i + 1])))) {
        if (lx->s[i] != '_' && k < sizeof buf - 1) buf[k++] = lx->s[i];
        i++;
    }
    if (!after_dot && i + 1 < lx->n && lx->s[i] == '.' && is_digit(lx->s[i + 1])) {
        is_float = true;
        buf[k < sizeof buf - 1 ? k++ : k] = '.';
        i++;
        while (i < lx->n && (is_digit(lx->s[i]) || lx->s[i] == '_')) {
            if (lx->s[i] != '_' && k < sizeof buf - 1) buf[k++] = lx->s[i];
            i++;
        }
    }
    if (!after_dot && i < lx->n && (lx->s[i] == 'e' || lx->s[i] == 'E')) {
        size_t j = i + 1;
        if (j < lx->n && (lx->s[j] == '+' || lx->s[j] == '-')) j++;
        if (j < lx->n && is_digit(lx->s[j])) {
            is_float = true;
            for (; i < j; i++)
                if (k < sizeof buf - 1) buf[k++] = lx->s[i];
            while (i < lx->n && is_digit(lx->s[i]))
                if (k < sizeof buf - 1) buf[k++] = lx->s[i++]; else i++;
        }
    }
    buf[k] = '\0';
    jtok *t = push(lx, is_float ? JT_FLOAT : JT_INT, start);
    if (!t) return EI_ERR_NOMEM;
    if (is_float) {
        t->f = strtod(buf, NULL);
    } else {
        int64_t v = 0;
        for (size_t m = 0; m < k; m++) {
            if (v > (INT64_MAX - (buf[m] - '0')) / 10) return lex_error(lx, start, "integer literal too large");
            v = v * 10 + (buf[m] - '0');
        }
        t->i = v;
    }
    lx->pos = i;
    return EI_OK;
}

/* ---- operators ---------------------------------------------------------------------- */

static const struct { const char *text; jop op; } OPS[] = {
    {"//", JOP_FLOORDIV}, {"**", JOP_POW}, {"==", JOP_EQ}, {"!=", JOP_NE}, {"<=", JOP_LE}, {">=", JOP_GE},
    {"+", JOP_ADD}, {"-", JOP_SUB}, {"*", JOP_MUL}, {"/", JOP_DIV}, {"%", JOP_MOD}, {"~", JOP_TILDE},
    {"<", JOP_LT}, {">", JOP_GT}, {"=", JOP_ASSIGN}, {"|", JOP_PIPE}, {".", JOP_DOT}, {",", JOP_COMMA},
    {":", JOP_COLON}, {"(", JOP_LPAREN}, {")", JOP_RPAREN}, {"[", JOP_LBRACKET}, {"]", JOP_RBRACKET},
    {"{", JOP_LBRACE}, {"}", JOP_RBRACE},
};

static ei_status lex_operator(lexer *lx) {
    for (size_t k = 0; k < sizeof OPS / sizeof OPS[0]; k++) {
        size_t len = strlen(OPS[k].text);
        if (lx->pos + len > lx->n || memcmp(lx->s + lx->pos, OPS[k].text, len) != 0) continue;
        jop op = OPS[k].op;
        if (op == JOP_LPAREN || op == JOP_LBRACKET || op == JOP_LBRACE) {
            if (lx->brace_depth == (int)(sizeof lx->brace_stack / sizeof lx->brace_stack[0]))
                return lex_error(lx, lx->pos, "brackets nested too deeply");
            lx->brace_stack[lx->brace_depth++] = op == JOP_LPAREN ? JOP_RPAREN : op == JOP_LBRACKET ? JOP_RBRACKET : JOP_RBRACE;
        } else if (op == JOP_RPAREN || op == JOP_RBRACKET || op == JOP_RBRACE) {
            if (lx->brace_depth == 0) return lex_error(lx, lx->pos, "unexpected closing bracket");
            if (lx->brace_stack[--lx->brace_depth] != op) return lex_error(lx, lx->pos, "mismatched closing bracket");
        }
        jtok *t = push(lx, JT_OP, lx->pos);
        if (!t) return EI_ERR_NOMEM;
        t->op = op;
        t->text = lx->s + lx->pos;
        t->len = len;
        lx->pos += len;
        return EI_OK;
    }
    char msg[64];
    snprintf(msg, sizeof msg, "unexpected character '%c'", lx->s[lx->pos]);
    return lex_error(lx, lx->pos, msg);
}

/* Tokens inside {{ }} or {% %} up to the matching close; `block` picks which. */
static ei_status lex_tag(lexer *lx, bool block) {
    size_t open = lx->pos;
    lx->brace_depth = 0;
    for (;;) {
        while (lx->pos < lx->n && is_ws(lx->s[lx->pos])) lx->pos++;
        if (lx->pos >= lx->n)
            return lex_error(lx, open, block ? "unexpected end of template: missing '%}'" : "unexpected end of template: missing '}}'");
        const char *p = lx->s + lx->pos;
        size_t left = lx->n - lx->pos;
        char close0 = block ? '%' : '}';
        if (lx->brace_depth == 0) {
            char sign = 0;
            size_t skip = 0;
            if (left >= 3 && (p[0] == '-' || (block && p[0] == '+')) && p[1] == close0 && p[2] == '}') {
                sign = p[0];
                skip = 3;
            } else if (left >= 2 && p[0] == close0 && p[1] == '}') {
                skip = 2;
            }
            if (skip) {
                if (!push(lx, block ? JT_BLOCK_END : JT_VAR_END, lx->pos)) return EI_ERR_NOMEM;
                lx->pos += skip;
                after_close(lx, sign, block);
                return EI_OK;
            }
        }
        ei_status s;
        char c = *p;
        if (c == '\'' || c == '"') {
            s = lex_string(lx);
        } else if (is_digit(c)) {
            bool after_dot = lx->ntoks && lx->toks[lx->ntoks - 1].kind == JT_OP && lx->toks[lx->ntoks - 1].op == JOP_DOT;
            s = lex_number(lx, after_dot);
        } else if (is_ident_start(c)) {
            size_t start = lx->pos;
            while (lx->pos < lx->n && (is_ident_start(lx->s[lx->pos]) || is_digit(lx->s[lx->pos]))) lx->pos++;
            jtok *t = push(lx, JT_NAME, start);
            if (!t) return EI_ERR_NOMEM;
            t->text = lx->s + start;
            t->len = lx->pos - start;
            s = EI_OK;
        } else {
            s = lex_operator(lx);
        }
        if (s != EI_OK) return s;
    }
}

/* "{%[-+]? raw [-]?%}" at pos: its length, or 0. */
static size_t match_raw_tag(const lexer *lx, size_t pos, const char *word, char *open_sign, char *close_sign) {
    const char *s = lx->s;
    size_t i = pos + 2, wl = strlen(word);
    *open_sign = 0;
    if (i < lx->n && (s[i] == '-' || s[i] == '+')) *open_sign = s[i++];
    while (i < lx->n && is_ws(s[i])) i++;
    if (i + wl > lx->n || memcmp(s + i, word, wl) != 0) return 0;
    i += wl;
    if (i < lx->n && (is_ident_start(s[i]) || is_digit(s[i]))) return 0;
    while (i < lx->n && is_ws(s[i])) i++;
    *close_sign = 0;
    if (i < lx->n && (s[i] == '-' || s[i] == '+')) *close_sign = s[i++];
    if (i + 2 > lx->n || s[i] != '%' || s[i + 1] != '}') return 0;
    return i + 2 - pos;
}

static ei_status lex_raw(lexer *lx, size_t tag_len, char close_sign) {
    lx->pos += tag_len;
    /* raw's own end tag: "-%}" eats whitespace; no trim_blocks newline here */
    if (close_sign == '-') after_close(lx, '-', false);
    else lx->line_starting = false;
    for (size_t i = lx->pos; i + 1 < lx->n; i++) {
        if (lx->s[i] != '{' || lx->s[i + 1] != '%') continue;
        char os, cs;
        size_t len = match_raw_tag(lx, i, "endraw", &os, &cs);
        if (!len) continue;
        ei_status st = emit_text(lx, lx->pos, i, os, true);
        if (st != EI_OK) return st;
        lx->pos = i + len;
        after_close(lx, cs, true);
        return EI_OK;
    }
    return lex_error(lx, lx->pos, "missing {% endraw %}");
}

ei_status jinja_lex(jinja_arena *a, const char *src, size_t len, jtok **out, size_t *n_out) {
    /* Normalize newlines and drop one trailing newline, as Jinja does. */
    char *s = jinja_arena_alloc(a, len + 1);
    if (!s) return ei_error(EI_ERR_NOMEM, "out of memory");
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        if (src[i] == '\r') {
            s[n++] = '\n';
            if (i + 1 < len && src[i + 1] == '\n') i++;
        } else {
            s[n++] = src[i];
        }
    }
    if (n && s[n - 1] == '\n') n--;
    s[n] = '\0';

    lexer lx = {.arena = a, .s = s, .n = n, .line = 1, .line_starting = true};
    while (lx.pos < lx.n) {
        /* the next tag opener */
        size_t i = lx.pos;
        while (i + 1 < lx.n && !(lx.s[i] == '{' && (lx.s[i + 1] == '{' || lx.s[i + 1] == '%' || lx.s[i + 1] == '#'))) i++;
        if (i + 1 >= lx.n) {
            ei_status st = emit_text(&lx, lx.pos, lx.n, 0, false);
            if (st != EI_OK) return st == EI_ERR_NOMEM ? ei_error(st, "out of memory") : st;
            lx.pos = lx.n;
            break;
        }
        char kind = lx.s[i + 1];
        char sign = i + 2 < lx.n && (lx.s[i + 2] == '-' || lx.s[i + 2] == '+') ? lx.s[i + 2] : 0;
        ei_status st;
        char raw_open, raw_close;
        size_t raw_len = kind == '%' ? match_raw_tag(&lx, i, "raw", &raw_open, &raw_close) : 0;
        st = emit_text(&lx, lx.pos, i, sign, kind != '{');
        if (st != EI_OK) return st == EI_ERR_NOMEM ? ei_error(st, "out of memory") : st;
        lx.line_starting = false;
        lx.pos = i;
        if (raw_len) {
            st = lex_raw(&lx, raw_len, raw_close);
        } else if (kind == '#') {
            size_t j = i + 2 + (sign ? 1 : 0);
            while (j + 1 < lx.n && !(lx.s[j] == '#' && lx.s[j + 1] == '}')) j++;
            if (j + 1 >= lx.n) return lex_error(&lx, i, "missing end of comment tag '#}'");
            char close = j > i + 2 + (sign ? 1u : 0u) && (lx.s[j - 1] == '-' || lx.s[j - 1] == '+') ? lx.s[j - 1] : 0;
            lx.pos = j + 2;
            after_close(&lx, close, true);
            st = EI_OK;
        } else {
            if (!push(&lx, kind == '%' ? JT_BLOCK_BEGIN : JT_VAR_BEGIN, i)) return ei_error(EI_ERR_NOMEM, "out of memory");
            lx.pos = i + 2 + (sign ? 1 : 0);
            st = lex_tag(&lx, kind == '%');
        }
        if (st != EI_OK) return st == EI_ERR_NOMEM ? ei_error(st, "out of memory") : st;
    }
    if (!push(&lx, JT_EOF, lx.n)) return ei_error(EI_ERR_NOMEM, "out of memory");
    *out = lx.toks;
    *n_out = lx.ntoks;
    return EI_OK;
}
