/*
 * json_constraint.c — see json_constraint.h.
 *
 * One function, step(), takes one byte in one mode. A number has no
 * terminator of its own: the byte after it ends it, and is then read again
 * in the mode that follows a value.
 */
#include "json_constraint.h"

#include <math.h>
#include <string.h>

enum jc_mode {
    M_START,       /* before the top-level object: whitespace or '{' */
    M_VALUE,       /* a value (after ':' or an array's ',') */
    M_ARRAY_FIRST, /* after '[': a value or ']' */
    M_OBJ_FIRST,   /* after '{': a key or '}' */
    M_OBJ_KEY,     /* after an object's ',': a key */
    M_COLON,       /* after a key */
    M_AFTER,       /* after a value in a container: ',' or the closing bracket */
    M_STRING,      /* inside a string */
    M_ESC,         /* after '\' */
    M_HEX,         /* in \uXXXX; aux = digits left */
    M_UTF8,        /* inside a multi-byte character; need, lo, hi */
    M_MINUS,       /* after '-' */
    M_ZERO,        /* after a leading 0 */
    M_INT,         /* in the integer digits */
    M_DOT,         /* after '.' */
    M_FRAC,        /* in the fraction digits */
    M_EXP,         /* after 'e' */
    M_EXP_SIGN,    /* after 'e+' or 'e-' */
    M_EXP_DIGITS,  /* in the exponent digits */
    M_LITERAL,     /* in true/false/null; lit, aux = bytes matched */
    M_DONE,        /* the top-level object has closed */
};

static const char *const literals[] = {"true", "false", "null"};

static bool is_ws(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
static bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
static bool is_hex(unsigned char c) {
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

void jc_init(jc_state *s) {
    memset(s, 0, sizeof *s);
    s->mode = M_START;
}

bool jc_done(const jc_state *s) { return s->mode == M_DONE; }

/* A value has ended: back to the enclosing container. */
static void value_done(jc_state *s) { s->mode = s->depth ? M_AFTER : M_DONE; }

static bool open_container(jc_state *s, bool object) {
    if (s->depth >= JC_MAX_DEPTH) return false;
    if (object) s->stack |= (uint64_t)1 << s->depth;
    else s->stack &= ~((uint64_t)1 << s->depth);
    s->depth++;
    s->mode = object ? M_OBJ_FIRST : M_ARRAY_FIRST;
    return true;
}

static bool top_is_object(const jc_state *s) { return (s->stack >> (s->depth - 1)) & 1; }

/* The start of a value (not whitespace). */
static bool begin_value(jc_state *s, unsigned char c) {
    switch (c) {
    case '{': return open_container(s, true);
    case '[': return open_container(s, false);
    case '"': s->mode = M_STRING; s->is_key = 0; return true;
    case '-': s->mode = M_MINUS; return true;
    case '0': s->mode = M_ZERO; return true;
    case 't': case 'f': case 'n':
        s->mode = M_LITERAL;
        s->lit = c == 't' ? 0 : c == 'f' ? 1 : 2;
        s->aux = 1;
        return true;
    default:
        if (c >= '1' && c <= '9') {
            s->mode = M_INT;
            return true;
        }
        return false;
    }
}

/* The first byte of a UTF-8 character inside a string. */
static bool string_lead(jc_state *s, unsigned char c) {
    if (c < 0x20) return false; /* control characters must be escaped */
    if (c < 0x80) return true;
    s->lo = 0x80;
    s->hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) s->need = 1;
    else if (c >= 0xE0 && c <= 0xEF) {
        s->need = 2;
        if (c == 0xE0) s->lo = 0xA0;      /* no overlong forms */
        else if (c == 0xED) s->hi = 0x9F; /* no surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        s->need = 3;
        if (c == 0xF0) s->lo = 0x90;
        else if (c == 0xF4) s->hi = 0x8F; /* nothing past U+10FFFF */
    } else return false;
    s->mode = M_UTF8;
    return true;
}

static bool step(jc_state *s, unsigned char c) {
    if (is_ws(c)) {
        switch (s->mode) {
        case M_START: case M_VALUE: case M_ARRAY_FIRST: case M_OBJ_FIRST:
        case M_OBJ_KEY: case M_COLON: case M_AFTER:
            return ++s->ws <= JC_MAX_WS;
        default: break;
        }
    }
    switch (s->mode) {
    case M_START:
        s->ws = 0;
        return c == '{' && open_container(s, true);
    case M_VALUE:
        s->ws = 0;
        return begin_value(s, c);
    case M_ARRAY_FIRST:
        s->ws = 0;
        if (c == ']') {
            s->depth--;
            value_done(s);
            return true;
        }
        return begin_value(s, c);
    case M_OBJ_FIRST:
    case M_OBJ_KEY:
        s->ws = 0;
        if (c == '}' && s->mode == M_OBJ_FIRST) {
            s->depth--;
            value_done(s);
            return true;
        }
        if (c != '"') return false;
        s->mode = M_STRING;
        s->is_key = 1;
        return true;
    case M_COLON:
        s->ws = 0;
        if (c != ':') return false;
        s->mode = M_VALUE;
        return true;
    case M_AFTER:
        s->ws = 0;
        if (c == ',') {
            s->mode = top_is_object(s) ? M_OBJ_KEY : M_VALUE;
            return true;
        }
        if (c == (top_is_object(s) ? '}' : ']')) {
            s->depth--;
            value_done(s);
            return true;
        }
        return false;
    case M_STRING:
        if (c == '"') {
            if (s->is_key) s->mode = M_COLON;
            else value_done(s);
            return true;
        }
        if (c == '\\') {
            s->mode = M_ESC;
            return true;
        }
        return string_lead(s, c);
    case M_ESC:
        if (c == 'u') {
            s->mode = M_HEX;
            s->aux = 4;
            return true;
        }
        if (!c || !strchr("\"\\/bfnrt", c)) return false;
        s->mode = M_STRING;
        return true;
    case M_HEX:
        if (!is_hex(c)) return false;
        if (--s->aux == 0) s->mode = M_STRING;
        return true;
    case M_UTF8:
        if (c < s->lo || c > s->hi) return false;
        s->lo = 0x80;
        s->hi = 0xBF;
        if (--s->need == 0) s->mode = M_STRING;
        return true;
    case M_MINUS:
        if (c == '0') s->mode = M_ZERO;
        else if (c >= '1' && c <= '9') s->mode = M_INT;
        else return false;
        return true;
    case M_INT:
        if (is_digit(c)) return true;
        /* after the integer part, as after a leading zero: */
        /* fall through */
    case M_ZERO:
        if (c == '.') s->mode = M_DOT;
        else if (c == 'e' || c == 'E') s->mode = M_EXP;
        else break; /* the number ended: read c after the value */
        return true;
    case M_DOT:
        if (!is_digit(c)) return false;
        s->mode = M_FRAC;
        return true;
    case M_FRAC:
        if (is_digit(c)) return true;
        if (c == 'e' || c == 'E') {
            s->mode = M_EXP;
            return true;
        }
        break;
    case M_EXP:
        if (c == '+' || c == '-') s->mode = M_EXP_SIGN;
        else if (is_digit(c)) s->mode = M_EXP_DIGITS;
        else return false;
        return true;
    case M_EXP_SIGN:
        if (!is_digit(c)) return false;
        s->mode = M_EXP_DIGITS;
        return true;
    case M_EXP_DIGITS:
        if (is_digit(c)) return true;
        break;
    case M_LITERAL: {
        const char *lit = literals[s->lit];
        if ((unsigned char)lit[s->aux] != c) return false;
        if (lit[++s->aux] == '\0') value_done(s);
        return true;
    }
    case M_DONE:
    default:
        return false;
    }
    /* a number ended before c (numbers only live inside containers here) */
    value_done(s);
    return step(s, c);
}

bool jc_push(jc_state *s, const char *bytes, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!step(s, (unsigned char)bytes[i])) return false;
    return true;
}

bool jc_accepts(const jc_state *s, const char *bytes, size_t n) {
    jc_state t = *s;
    return jc_push(&t, bytes, n);
}

int32_t jc_mask(const jc_state *s, const jc_vocab *v, float *logits) {
    int32_t allowed = 0;
    if (jc_done(s)) {
        for (int32_t i = 0; i < v->n; i++) {
            if (v->eog[i]) allowed++;
            else logits[i] = -INFINITY;
        }
        return allowed;
    }
    /* most tokens fail on their first byte: decide those with one table */
    bool first[256];
    for (int c = 0; c < 256; c++) {
        char b = (char)c;
        first[c] = jc_accepts(s, &b, 1);
    }
    for (int32_t i = 0; i < v->n; i++) {
        uint32_t a = v->off[i], b = v->off[i + 1];
        bool ok = b > a && !v->eog[i] && first[(unsigned char)v->bytes[a]] &&
                  (b - a == 1 || jc_accepts(s, v->bytes + a, b - a));
        if (ok) allowed++;
        else logits[i] = -INFINITY;
    }
    return allowed;
}
