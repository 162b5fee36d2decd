/*
 * jinja_value.c — values as Python sees them: construction of lists and
 * dicts in the arena, truthiness, equality, and str()/repr() formatting
 * (floats print the shortest round-trip digits, as Python's repr does), plus
 * the growable output buffer everything is written into.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chat/jinja.h"

/* ---- output buffer ----------------------------------------------------------- */

bool jinja_buf_append(jinja_buf *b, const char *p, size_t n) {
    if (b->oom || b->over_limit) return false;
    if (b->limit && (n > b->limit || b->len > b->limit - n)) {
        b->over_limit = true;
        return false;
    }
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1) {
            if (cap > SIZE_MAX / 2) {
                b->oom = true;
                return false;
            }
            cap *= 2;
        }
        char *d = realloc(b->data, cap);
        if (!d) {
            b->oom = true;
            return false;
        }
        b->data = d;
        b->cap = cap;
    }
    if (n) memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return true;
}

bool jinja_buf_append_str(jinja_buf *b, const char *s) { return jinja_buf_append(b, s, strlen(s)); }

void jinja_buf_free(jinja_buf *b) {
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

/* ---- construction ----------------------------------------------------------- */

jv jv_str_copy(jinja_arena *a, const char *p, size_t n) {
    char *d = jinja_arena_alloc(a, n + 1);
    if (!d) return jv_undefined();
    if (n) memcpy(d, p, n);
    return jv_str_ref(d, n);
}

jv jv_list_new(jinja_arena *a, size_t cap_hint) {
    jv_list *l = jinja_arena_alloc(a, sizeof *l);
    if (!l) return jv_undefined();
    if (cap_hint) {
        if (cap_hint > SIZE_MAX / sizeof(jv)) return jv_undefined();
        l->items = jinja_arena_alloc(a, cap_hint * sizeof(jv));
        if (!l->items) return jv_undefined();
        l->cap = cap_hint;
    }
    jv v = {0};
    v.kind = JV_LIST;
    v.u.list = l;
    return v;
}

/* Doubling growth in the arena: the old array is abandoned to it. */
static bool grow(jinja_arena *a, void **items, size_t elem, size_t *cap, size_t need) {
    if (need <= *cap) return true;
    size_t cap2 = *cap ? *cap * 2 : 4;
    if (cap2 < need) cap2 = need;
    if (cap2 > SIZE_MAX / elem) return false;
    void *d = jinja_arena_alloc(a, cap2 * elem);
    if (!d) return false;
    if (*cap) memcpy(d, *items, *cap * elem);
    *items = d;
    *cap = cap2;
    return true;
}

bool jv_list_push(jinja_arena *a, jv list, jv item) {
    jv_list *l = list.u.list;
    void *items = l->items;
    if (!grow(a, &items, sizeof(jv), &l->cap, l->n + 1)) return false;
    l->items = items;
    l->items[l->n++] = item;
    return true;
}

jv jv_dict_new(jinja_arena *a, size_t cap_hint) {
    jv_dict *d = jinja_arena_alloc(a, sizeof *d);
    if (!d) return jv_undefined();
    if (cap_hint) {
        if (cap_hint > SIZE_MAX / sizeof(jv)) return jv_undefined();
        d->keys = jinja_arena_alloc(a, cap_hint * sizeof(jv));
        d->vals = jinja_arena_alloc(a, cap_hint * sizeof(jv));
        if (!d->keys || !d->vals) return jv_undefined();
        d->cap = cap_hint;
    }
    jv v = {0};
    v.kind = JV_DICT;
    v.u.dict = d;
    return v;
}

static ptrdiff_t dict_index(const jv_dict *d, jv key) {
    for (size_t i = 0; i < d->n; i++)
        if (jv_equal(d->keys[i], key)) return (ptrdiff_t)i;
    return -1;
}

bool jv_dict_set(jinja_arena *a, jv dict, jv key, jv val) {
    jv_dict *d = dict.u.dict;
    ptrdiff_t i = dict_index(d, key);
    if (i >= 0) {
        d->vals[i] = val;
        return true;
    }
    if (d->n + 1 > d->cap) {
        size_t cap = d->cap, cap2 = d->cap;
        void *keys = d->keys, *vals = d->vals;
        if (!grow(a, &keys, sizeof(jv), &cap, d->n + 1)) return false;
        if (!grow(a, &vals, sizeof(jv), &cap2, d->n + 1)) return false;
        d->keys = keys;
        d->vals = vals;
        d->cap = cap;
    }
    d->keys[d->n] = key;
    d->vals[d->n] = val;
    d->n++;
    return true;
}

bool jv_dict_set_cstr(jinja_arena *a, jv dict, const char *key, jv val) {
    jv k = jv_str_copy(a, key, strlen(key));
    return k.kind == JV_STRING && jv_dict_set(a, dict, k, val);
}

jv jv_dict_get(jv dict, jv key) {
    if (dict.kind != JV_DICT) return jv_undefined();
    ptrdiff_t i = dict_index(dict.u.dict, key);
    return i >= 0 ? dict.u.dict->vals[i] : jv_undefined();
}

jv jv_dict_get_cstr(jv dict, const char *key) { return jv_dict_get(dict, jv_cstr_ref(key)); }

/* ---- truth and equality ----------------------------------------------------- */

bool jv_truthy(jv v) {
    switch (v.kind) {
    case JV_UNDEFINED: case JV_NONE: return false;
    case JV_BOOL: return v.u.b;
    case JV_INT: return v.u.i != 0;
    case JV_FLOAT: return v.u.f != 0.0;
    case JV_STRING: return v.u.s.len > 0;
    case JV_LIST: return v.u.list->n > 0 || v.u.list->is_generator;
    case JV_DICT: return v.u.dict->n > 0;
    default: return true;
    }
}

static bool is_number(jv v) { return v.kind == JV_BOOL || v.kind == JV_INT || v.kind == JV_FLOAT; }

static double as_double(jv v) {
    return v.kind == JV_FLOAT ? v.u.f : v.kind == JV_INT ? (double)v.u.i : (double)v.u.b;
}

bool jv_equal(jv a, jv b) {
    if (is_number(a) && is_number(b)) {
        if (a.kind != JV_FLOAT && b.kind != JV_FLOAT) {
            int64_t x = a.kind == JV_INT ? a.u.i : a.u.b, y = b.kind == JV_INT ? b.u.i : b.u.b;
            return x == y;
        }
        return as_double(a) == as_double(b);
    }
    if (a.kind != b.kind) return false;
    switch (a.kind) {
    case JV_UNDEFINED: case JV_NONE: return true;
    case JV_STRING:
        return a.u.s.len == b.u.s.len && (a.u.s.len == 0 || memcmp(a.u.s.ptr, b.u.s.ptr, a.u.s.len) == 0);
    case JV_LIST: {
        const jv_list *x = a.u.list, *y = b.u.list;
        if (x == y) return true;
        if (x->n != y->n || x->is_tuple != y->is_tuple || x->is_generator || y->is_generator) return false;
        for (size_t i = 0; i < x->n; i++)
            if (!jv_equal(x->items[i], y->items[i])) return false;
        return true;
    }
    case JV_DICT: {
        const jv_dict *x = a.u.dict, *y = b.u.dict;
        if (x == y) return true;
        if (x->n != y->n || x->is_namespace || y->is_namespace) return false;
        for (size_t i = 0; i < x->n; i++) {
            jv other = jv_dict_get(b, x->keys[i]);
            if (other.kind == JV_UNDEFINED || !jv_equal(x->vals[i], other)) return false;
        }
        return true;
    }
    case JV_MACRO: return a.u.macro.node == b.u.macro.node;
    case JV_BUILTIN: return a.u.builtin == b.u.builtin;
    case JV_LOOP: return a.u.loop == b.u.loop;
    default: return false;
    }
}

const char *jv_kind_name(jv v) {
    switch (v.kind) {
    case JV_UNDEFINED: return "undefined";
    case JV_NONE: return "none";
    case JV_BOOL: return "bool";
    case JV_INT: return "int";
    case JV_FLOAT: return "float";
    case JV_STRING: return "string";
    case JV_LIST: return v.u.list->is_generator ? "generator" : v.u.list->is_tuple ? "tuple" : "list";
    case JV_DICT: return v.u.dict->is_namespace ? "namespace" : "dict";
    case JV_MACRO: return "macro";
    case JV_BUILTIN: return "function";
    case JV_LOOP: return "loop";
    }
    return "value";
}

/* ---- str() and repr() ----------------------------------------------------------- */

/* Python's repr(float): the shortest digits that read back to the same
 * double, fixed notation for exponents in [-4, 16), otherwise scientific. */
static void format_float(double f, char *out, size_t cap) {
    if (isnan(f)) { snprintf(out, cap, "nan"); return; }
    if (isinf(f)) { snprintf(out, cap, f < 0 ? "-inf" : "inf"); return; }
    char sci[40];
    for (int p = 1; p <= 17; p++) {
        snprintf(sci, sizeof sci, "%.*e", p - 1, f);
        if (strtod(sci, NULL) == f) break;
    }
    /* sci is "[-]d[.ddd]e[+-]XX" */
    const char *s = sci;
    bool neg = *s == '-';
    if (neg) s++;
    char digits[24];
    size_t nd = 0;
    for (; *s && *s != 'e'; s++)
        if (*s >= '0' && *s <= '9' && nd < sizeof digits - 1) digits[nd++] = *s;
    digits[nd] = '\0';
    int exp = *s == 'e' ? atoi(s + 1) : 0;
    while (nd > 1 && digits[nd - 1] == '0') digits[--nd] = '\0';
    char body[64];
    size_t k = 0;
    if (exp >= 16 || exp < -4) {
        body[k++] = digits[0];
        if (nd > 1) {
            body[k++] = '.';
            for (size_t i = 1; i < nd; i++) body[k++] = digits[i];
        }
        snprintf(body + k, sizeof body - k, "e%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
    } else if (exp >= 0) {
        for (int i = 0; i <= exp; i++) body[k++] = (size_t)i < nd ? digits[i] : '0';
        body[k++] = '.';
        if ((size_t)exp + 1 < nd)
            for (size_t i = (size_t)exp + 1; i < nd; i++) body[k++] = digits[i];
        else
            body[k++] = '0';
        body[k] = '\0';
    } else {
        body[k++] = '0';
        body[k++] = '.';
        for (int i = 0; i < -exp - 1; i++) body[k++] = '0';
        for (size_t i = 0; i < nd; i++) body[k++] = digits[i];
        body[k] = '\0';
    }
    snprintf(out, cap, "%s%s", neg ? "-" : "", body);
}

static bool append_str_repr(jinja_buf *b, const char *p, size_t n) {
    bool has_single = memchr(p, '\'', n) != NULL, has_double = memchr(p, '"', n) != NULL;
    char q = has_single && !has_double ? '"' : '\'';
    if (!jinja_buf_append(b, &q, 1)) return false;
    size_t run = 0; /* bytes copied as they are, flushed in one append */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        char esc[8];
        const char *rep = NULL;
        if (c == (unsigned char)q || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            esc[2] = '\0';
            rep = esc;
        } else if (c == '\n') rep = "\\n";
        else if (c == '\r') rep = "\\r";
        else if (c == '\t') rep = "\\t";
        else if (c < 0x20 || c == 0x7f) {
            snprintf(esc, sizeof esc, "\\x%02x", c);
            rep = esc;
        }
        if (!rep) {
            run++;
            continue;
        }
        if (!jinja_buf_append(b, p + i - run, run) || !jinja_buf_append_str(b, rep)) return false;
        run = 0;
    }
    return jinja_buf_append(b, p + n - run, run) && jinja_buf_append(b, &q, 1);
}

/* Namespaces are mutable and may contain themselves: nesting is capped. */
#define MAX_PRINT_DEPTH 64

static bool append_value(jinja_buf *b, jv v, bool repr, int depth) {
    char num[96];
    if (depth > MAX_PRINT_DEPTH) return jinja_buf_append_str(b, "...");
    switch (v.kind) {
    case JV_UNDEFINED: return true;
    case JV_NONE: return jinja_buf_append_str(b, "None");
    case JV_BOOL: return jinja_buf_append_str(b, v.u.b ? "True" : "False");
    case JV_INT:
        snprintf(num, sizeof num, "%" PRId64, v.u.i);
        return jinja_buf_append_str(b, num);
    case JV_FLOAT:
        format_float(v.u.f, num, sizeof num);
        return jinja_buf_append_str(b, num);
    case JV_STRING:
        return repr ? append_str_repr(b, v.u.s.ptr, v.u.s.len) : jinja_buf_append(b, v.u.s.ptr, v.u.s.len);
    case JV_LIST: {
        const jv_list *l = v.u.list;
        if (l->is_generator) return jinja_buf_append_str(b, "<generator object>");
        if (!jinja_buf_append_str(b, l->is_tuple ? "(" : "[")) return false;
        for (size_t i = 0; i < l->n; i++) {
            if (i && !jinja_buf_append_str(b, ", ")) return false;
            if (!append_value(b, l->items[i], true, depth + 1)) return false;
        }
        if (l->is_tuple && l->n == 1 && !jinja_buf_append_str(b, ",")) return false;
        return jinja_buf_append_str(b, l->is_tuple ? ")" : "]");
    }
    case JV_DICT: {
        const jv_dict *d = v.u.dict;
        if (d->is_namespace && !jinja_buf_append_str(b, "<Namespace ")) return false;
        if (!jinja_buf_append_str(b, "{")) return false;
        for (size_t i = 0; i < d->n; i++) {
            if (i && !jinja_buf_append_str(b, ", ")) return false;
            if (!append_value(b, d->keys[i], true, depth + 1) || !jinja_buf_append_str(b, ": ") ||
                !append_value(b, d->vals[i], true, depth + 1))
                return false;
        }
        return jinja_buf_append_str(b, d->is_namespace ? "}>" : "}");
    }
    case JV_MACRO: return jinja_buf_append_str(b, "<Macro>");
    case JV_BUILTIN: return jinja_buf_append_str(b, "<built-in function>");
    case JV_LOOP: return jinja_buf_append_str(b, "<LoopContext>");
    }
    return true;
}

bool jv_append_str(jinja_buf *b, jv v) { return append_value(b, v, false, 0); }
bool jv_append_repr(jinja_buf *b, jv v) { return append_value(b, v, true, 0); }
