/*
 * jinja_json.c — JSON in and out of template values.
 *
 * Out: byte-for-byte what Python's json.dumps(v, ensure_ascii=False,
 * indent=indent, sort_keys=...) writes, which is HuggingFace's tojson: ", "
 * and ": " separators without indent, "," and newlines with it; floats as
 * Python's repr; control characters as \uXXXX; non-ASCII passed through.
 * In: a strict parser (RFC 8259) used for tools, tool calls and extra
 * template variables handed over as JSON; nesting is bounded.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chat/jinja.h"
#include "util/error.h"

#define MAX_JSON_DEPTH 128

/* ---- dump ------------------------------------------------------------------------------------ */

static bool dump_string(jinja_buf *b, const char *p, size_t n) {
    if (!jinja_buf_append(b, "\"", 1)) return false;
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        char esc[8];
        const char *rep = NULL;
        switch (c) {
        case '"': rep = "\\\""; break;
        case '\\': rep = "\\\\"; break;
        case '\n': rep = "\\n"; break;
        case '\r': rep = "\\r"; break;
        case '\t': rep = "\\t"; break;
        case '\b': rep = "\\b"; break;
        case '\f': rep = "\\f"; break;
        default:
            if (c < 0x20) {
                snprintf(esc, sizeof esc, "\\u%04x", c);
                rep = esc;
            }
        }
        if (!rep) {
            run++;
            continue;
        }
        if (!jinja_buf_append(b, p + i - run, run) || !jinja_buf_append_str(b, rep)) return false;
        run = 0;
    }
    return jinja_buf_append(b, p + n - run, run) && jinja_buf_append(b, "\"", 1);
}

static bool newline_indent(jinja_buf *b, int indent, int level) {
    if (!jinja_buf_append(b, "\n", 1)) return false;
    for (int i = 0; i < indent * level; i++)
        if (!jinja_buf_append(b, " ", 1)) return false;
    return true;
}

/* A dict key as json.dumps writes it: strings as they are, numbers,
 * booleans and None converted; anything else is not serializable. */
static bool dump_key(jinja_buf *b, jv k) {
    switch (k.kind) {
    case JV_STRING: return dump_string(b, k.u.s.ptr, k.u.s.len);
    case JV_NONE: return jinja_buf_append_str(b, "\"null\"");
    case JV_BOOL: return jinja_buf_append_str(b, k.u.b ? "\"true\"" : "\"false\"");
    case JV_INT: case JV_FLOAT: {
        jinja_buf tmp = {0};
        bool ok = jv_append_str(&tmp, k) && dump_string(b, tmp.data, tmp.len);
        jinja_buf_free(&tmp);
        return ok;
    }
    default: return false;
    }
}

static int key_cmp(jv a, jv b) {
    if (a.kind == JV_STRING && b.kind == JV_STRING) {
        size_t n = a.u.s.len < b.u.s.len ? a.u.s.len : b.u.s.len;
        int c = n ? memcmp(a.u.s.ptr, b.u.s.ptr, n) : 0;
        return c ? c : (a.u.s.len > b.u.s.len) - (a.u.s.len < b.u.s.len);
    }
    return 0;
}

static bool dump(jinja_buf *b, jv v, int indent, bool sort_keys, int level) {
    if (level > MAX_JSON_DEPTH) return false;
    switch (v.kind) {
    case JV_NONE: return jinja_buf_append_str(b, "null");
    case JV_BOOL: return jinja_buf_append_str(b, v.u.b ? "true" : "false");
    case JV_INT: return jv_append_str(b, v);
    case JV_FLOAT:
        if (v.u.f != v.u.f) return jinja_buf_append_str(b, "NaN");
        if (v.u.f > 1.7976931348623157e308) return jinja_buf_append_str(b, "Infinity");
        if (v.u.f < -1.7976931348623157e308) return jinja_buf_append_str(b, "-Infinity");
        return jv_append_str(b, v);
    case JV_STRING: return dump_string(b, v.u.s.ptr, v.u.s.len);
    case JV_LIST: {
        const jv_list *l = v.u.list;
        if (l->is_generator) return false;
        if (l->n == 0) return jinja_buf_append_str(b, "[]");
        if (!jinja_buf_append_str(b, "[")) return false;
        for (size_t i = 0; i < l->n; i++) {
            if (i && !jinja_buf_append_str(b, indent >= 0 ? "," : ", ")) return false;
            if (indent >= 0 && !newline_indent(b, indent, level + 1)) return false;
            if (!dump(b, l->items[i], indent, sort_keys, level + 1)) return false;
        }
        if (indent >= 0 && !newline_indent(b, indent, level)) return false;
        return jinja_buf_append_str(b, "]");
    }
    case JV_DICT: {
        const jv_dict *d = v.u.dict;
        if (d->is_namespace) return false;
        if (d->n == 0) return jinja_buf_append_str(b, "{}");
        size_t *order = malloc(d->n * sizeof *order);
        if (!order) return false;
        for (size_t i = 0; i < d->n; i++) order[i] = i;
        if (sort_keys) /* insertion sort: stable, dicts here are small */
            for (size_t i = 1; i < d->n; i++)
                for (size_t j = i; j > 0 && key_cmp(d->keys[order[j - 1]], d->keys[order[j]]) > 0; j--) {
                    size_t t = order[j];
                    order[j] = order[j - 1];
                    order[j - 1] = t;
                }
        bool ok = jinja_buf_append_str(b, "{");
        for (size_t k = 0; ok && k < d->n; k++) {
            size_t i = order[k];
            if (k) ok = jinja_buf_append_str(b, indent >= 0 ? "," : ", ");
            if (ok && indent >= 0) ok = newline_indent(b, indent, level + 1);
            ok = ok && dump_key(b, d->keys[i]) && jinja_buf_append_str(b, ": ") &&
                 dump(b, d->vals[i], indent, sort_keys, level + 1);
        }
        free(order);
        if (ok && indent >= 0) ok = newline_indent(b, indent, level);
        return ok && jinja_buf_append_str(b, "}");
    }
    default:
        return false; /* undefined, macros, functions, loop: not serializable */
    }
}

bool jinja_json_dump(jinja_buf *b, jv v, int indent, bool sort_keys) { return dump(b, v, indent, sort_keys, 0); }

/* ---- parse ------------------------------------------------------------------------------------- */

typedef struct jparser {
    jinja_arena *a;
    const char *s;
    size_t n, i;
    int depth;
} jparser;

static void skip_ws(jparser *p) {
    while (p->i < p->n && (p->s[p->i] == ' ' || p->s[p->i] == '\t' || p->s[p->i] == '\n' || p->s[p->i] == '\r')) p->i++;
}

static ei_status jerr(jparser *p, const char *what) {
    return ei_error(EI_ERR_FORMAT, "invalid JSON at byte %zu: %s", p->i, what);
}

static int hex4(const char *s) {
    int v = 0;
    for (int k = 0; k < 4; k++) {
        char c = s[k];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0) return -1;
        v = v * 16 + d;
    }
    return v;
}

static ei_status parse_string(jparser *p, jv *out) {
    p->i++; /* opening quote */
    size_t start = p->i;
    size_t end = start;
    while (end < p->n && p->s[end] != '"') end += p->s[end] == '\\' ? 2 : 1;
    if (end >= p->n) return jerr(p, "unterminated string");
    char *d = jinja_arena_alloc(p->a, end - start + 1);
    if (!d) return ei_error(EI_ERR_NOMEM, "out of memory");
    size_t k = 0;
    for (size_t i = start; i < end; i++) {
        unsigned char c = (unsigned char)p->s[i];
        if (c < 0x20) {
            p->i = i;
            return jerr(p, "control character in string");
        }
        if (c != '\\') {
            d[k++] = (char)c;
            continue;
        }
        char e = p->s[++i];
        switch (e) {
        case '"': case '\\': case '/': d[k++] = e; break;
        case 'b': d[k++] = '\b'; break;
        case 'f': d[k++] = '\f'; break;
        case 'n': d[k++] = '\n'; break;
        case 'r': d[k++] = '\r'; break;
        case 't': d[k++] = '\t'; break;
        case 'u': {
            if (i + 4 >= end) {
                p->i = i;
                return jerr(p, "truncated \\u escape");
            }
            int cp = hex4(p->s + i + 1);
            if (cp < 0) {
                p->i = i;
                return jerr(p, "bad \\u escape");
            }
            i += 4;
            unsigned long u = (unsigned long)cp;
            if (cp >= 0xD800 && cp <= 0xDBFF && i + 6 < end && p->s[i + 1] == '\\' && p->s[i + 2] == 'u') {
                int lo = hex4(p->s + i + 3);
                if (lo >= 0xDC00 && lo <= 0xDFFF) {
                    u = 0x10000 + (((unsigned long)cp - 0xD800) << 10) + ((unsigned long)lo - 0xDC00);
                    i += 6;
                }
            }
            /* at most 4 bytes out for at least 6 bytes in */
            if (u < 0x80) d[k++] = (char)u;
            else if (u < 0x800) { d[k++] = (char)(0xC0 | (u >> 6)); d[k++] = (char)(0x80 | (u & 0x3F)); }
            else if (u < 0x10000) {
                d[k++] = (char)(0xE0 | (u >> 12));
                d[k++] = (char)(0x80 | ((u >> 6) & 0x3F));
                d[k++] = (char)(0x80 | (u & 0x3F));
            } else {
                d[k++] = (char)(0xF0 | (u >> 18));
                d[k++] = (char)(0x80 | ((u >> 12) & 0x3F));
                d[k++] = (char)(0x80 | ((u >> 6) & 0x3F));
                d[k++] = (char)(0x80 | (u & 0x3F));
            }
            break;
        }
        default:
            p->i = i;
            return jerr(p, "bad escape");
        }
    }
    p->i = end + 1;
    *out = jv_str_ref(d, k);
    return EI_OK;
}

static ei_status parse_number(jparser *p, jv *out) {
    size_t start = p->i;
    bool is_float = false;
    if (p->i < p->n && p->s[p->i] == '-') p->i++;
    if (p->i >= p->n || p->s[p->i] < '0' || p->s[p->i] > '9') return jerr(p, "bad number");
    if (p->s[p->i] == '0') p->i++;
    else while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9') p->i++;
    if (p->i < p->n && p->s[p->i] == '.') {
        is_float = true;
        p->i++;
        if (p->i >= p->n || p->s[p->i] < '0' || p->s[p->i] > '9') return jerr(p, "bad number");
        while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9') p->i++;
    }
    if (p->i < p->n && (p->s[p->i] == 'e' || p->s[p->i] == 'E')) {
        is_float = true;
        p->i++;
        if (p->i < p->n && (p->s[p->i] == '+' || p->s[p->i] == '-')) p->i++;
        if (p->i >= p->n || p->s[p->i] < '0' || p->s[p->i] > '9') return jerr(p, "bad number");
        while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9') p->i++;
    }
    char buf[64];
    size_t len = p->i - start;
    if (len >= sizeof buf) {
        is_float = true;
        len = sizeof buf - 1;
    }
    memcpy(buf, p->s + start, len);
    buf[len] = '\0';
    if (!is_float) {
        char *end;
        long long v = strtoll(buf, &end, 10);
        if (*end == '\0' && !((v == LLONG_MAX || v == LLONG_MIN) && len > 18)) {
            *out = jv_int(v);
            return EI_OK;
        }
    }
    *out = jv_float(strtod(buf, NULL));
    return EI_OK;
}

static ei_status parse_value(jparser *p, jv *out);

static ei_status parse_container(jparser *p, bool object, jv *out) {
    if (++p->depth > MAX_JSON_DEPTH) return jerr(p, "nested too deeply");
    p->i++;
    jv c = object ? jv_dict_new(p->a, 0) : jv_list_new(p->a, 0);
    if (c.kind == JV_UNDEFINED) return ei_error(EI_ERR_NOMEM, "out of memory");
    char close = object ? '}' : ']';
    skip_ws(p);
    if (p->i < p->n && p->s[p->i] == close) {
        p->i++;
        p->depth--;
        *out = c;
        return EI_OK;
    }
    for (;;) {
        skip_ws(p);
        jv key = jv_undefined(), val;
        if (object) {
            if (p->i >= p->n || p->s[p->i] != '"') return jerr(p, "expected a string key");
            ei_status s = parse_string(p, &key);
            if (s != EI_OK) return s;
            skip_ws(p);
            if (p->i >= p->n || p->s[p->i] != ':') return jerr(p, "expected ':'");
            p->i++;
        }
        ei_status s = parse_value(p, &val);
        if (s != EI_OK) return s;
        bool ok = object ? jv_dict_set(p->a, c, key, val) : jv_list_push(p->a, c, val);
        if (!ok) return ei_error(EI_ERR_NOMEM, "out of memory");
        skip_ws(p);
        if (p->i < p->n && p->s[p->i] == ',') {
            p->i++;
            continue;
        }
        if (p->i < p->n && p->s[p->i] == close) {
            p->i++;
            break;
        }
        return jerr(p, object ? "expected ',' or '}'" : "expected ',' or ']'");
    }
    p->depth--;
    *out = c;
    return EI_OK;
}

static bool word(jparser *p, const char *w) {
    size_t len = strlen(w);
    if (p->n - p->i < len || memcmp(p->s + p->i, w, len) != 0) return false;
    p->i += len;
    return true;
}

static ei_status parse_value(jparser *p, jv *out) {
    skip_ws(p);
    if (p->i >= p->n) return jerr(p, "unexpected end of input");
    char c = p->s[p->i];
    if (c == '{' || c == '[') return parse_container(p, c == '{', out);
    if (c == '"') return parse_string(p, out);
    if (c == '-' || (c >= '0' && c <= '9')) return parse_number(p, out);
    if (word(p, "true")) { *out = jv_bool(true); return EI_OK; }
    if (word(p, "false")) { *out = jv_bool(false); return EI_OK; }
    if (word(p, "null")) { *out = jv_none(); return EI_OK; }
    return jerr(p, "unexpected character");
}

ei_status jinja_json_parse(jinja_arena *a, const char *text, size_t len, jv *out) {
    if (!text) return ei_error(EI_ERR_ARG, "JSON text is NULL");
    jparser p = {.a = a, .s = text, .n = len};
    ei_status s = parse_value(&p, out);
    if (s != EI_OK) return s;
    skip_ws(&p);
    if (p.i != p.n) return jerr(&p, "trailing characters");
    return EI_OK;
}
