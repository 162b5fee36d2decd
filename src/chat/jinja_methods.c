/*
 * jinja_methods.c — Python methods that templates call on values:
 * str (strip, lstrip, rstrip, split, startswith, endswith, upper, lower,
 * title, capitalize, replace, find, rfind, count, join, format, splitlines,
 * isdigit, isalpha, isalnum, isspace, islower, isupper), dict (items, keys,
 * values, get), list (index, count) and loop.cycle(). Case mapping is ASCII.
 * Mutating methods (append, update, pop, ...) are refused, as in the
 * immutable sandbox HuggingFace renders with.
 */
#include <stdlib.h>
#include <string.h>

#include "chat/jinja_internal.h"

#define IS(s) (len == sizeof(s) - 1 && memcmp(name, s, len) == 0)

static bool finish(jinja_eval *e, const jinja_node *site, jinja_buf *b, jv *out) {
    if (b->oom || b->over_limit) {
        jinja_fail_buffer(e, site, b);
        jinja_buf_free(b);
        return false;
    }
    *out = jv_str_copy(e->arena, b->data ? b->data : "", b->len);
    jinja_buf_free(b);
    return out->kind == JV_STRING || jinja_fail_memory(e, site);
}

static bool need_str(jinja_eval *e, const jinja_node *site, jv v, const char *method) {
    if (v.kind == JV_STRING) return true;
    return jinja_fail(e, site, EI_ERR_FORMAT, "%s() argument must be a string, not '%s'", method, jv_kind_name(v));
}

/* str.split(sep=None, maxsplit=-1). */
static bool str_split(jinja_eval *e, const jinja_node *site, jv s, const jinja_args *a, jv *out) {
    jv sep = jinja_arg(a, 0, "sep", jv_none()), maxv = jinja_arg(a, 1, "maxsplit", jv_int(-1));
    int64_t max = maxv.kind == JV_INT ? maxv.u.i : -1;
    if (!jinja_charge(e, site, s.u.s.len / 16)) return false;
    jv l = jv_list_new(e->arena, 0);
    if (l.kind != JV_LIST) return jinja_fail_memory(e, site);
    const char *p = s.u.s.ptr;
    size_t n = s.u.s.len, i = 0;
    int64_t splits = 0;
    if (sep.kind != JV_STRING) { /* runs of whitespace, ends trimmed */
        for (;;) {
            size_t k;
            while (i < n && (k = jinja_space_len(p + i, n - i))) i += k;
            if (i >= n) break;
            size_t start = i;
            if (max >= 0 && splits >= max) {
                jv rest = jinja_strip(jv_str_ref(p + start, n - start), NULL, 2);
                if (!jv_list_push(e->arena, l, rest)) return jinja_fail_memory(e, site);
                break;
            }
            while (i < n && !jinja_space_len(p + i, n - i)) i += jinja_utf8_len(p + i, n - i);
            if (!jv_list_push(e->arena, l, jv_str_ref(p + start, i - start))) return jinja_fail_memory(e, site);
            splits++;
        }
        *out = l;
        return true;
    }
    if (sep.u.s.len == 0) return jinja_fail(e, site, EI_ERR_FORMAT, "empty separator");
    size_t start = 0;
    while (i + sep.u.s.len <= n && (max < 0 || splits < max)) {
        if (memcmp(p + i, sep.u.s.ptr, sep.u.s.len) == 0) {
            if (!jv_list_push(e->arena, l, jv_str_ref(p + start, i - start))) return jinja_fail_memory(e, site);
            i += sep.u.s.len;
            start = i;
            splits++;
        } else {
            i++;
        }
    }
    if (!jv_list_push(e->arena, l, jv_str_ref(p + start, n - start))) return jinja_fail_memory(e, site);
    *out = l;
    return true;
}

static bool str_splitlines(jinja_eval *e, const jinja_node *site, jv s, jv *out) {
    jv l = jv_list_new(e->arena, 0);
    if (l.kind != JV_LIST) return jinja_fail_memory(e, site);
    const char *p = s.u.s.ptr;
    size_t n = s.u.s.len, start = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] != '\n' && p[i] != '\r') continue;
        if (!jv_list_push(e->arena, l, jv_str_ref(p + start, i - start))) return jinja_fail_memory(e, site);
        if (p[i] == '\r' && i + 1 < n && p[i + 1] == '\n') i++;
        start = i + 1;
    }
    if (start < n && !jv_list_push(e->arena, l, jv_str_ref(p + start, n - start))) return jinja_fail_memory(e, site);
    *out = l;
    return true;
}

/* startswith/endswith with a string or a tuple of strings. */
static bool str_affix(jinja_eval *e, const jinja_node *site, jv s, jv arg, bool end, jv *out) {
    size_t n = arg.kind == JV_LIST ? arg.u.list->n : 1;
    for (size_t i = 0; i < n; i++) {
        jv x = arg.kind == JV_LIST ? arg.u.list->items[i] : arg;
        if (!need_str(e, site, x, end ? "endswith" : "startswith")) return false;
        if (x.u.s.len <= s.u.s.len &&
            memcmp(s.u.s.ptr + (end ? s.u.s.len - x.u.s.len : 0), x.u.s.ptr, x.u.s.len) == 0) {
            *out = jv_bool(true);
            return true;
        }
    }
    *out = jv_bool(false);
    return true;
}

/* find / rfind / count of a substring; result in characters for find. */
static bool str_search(jinja_eval *e, const jinja_node *site, jv s, jv sub, int mode, jv *out) {
    if (!need_str(e, site, sub, mode == 2 ? "count" : "find")) return false;
    if (!jinja_charge(e, site, s.u.s.len / 32)) return false;
    int64_t found = -1, count = 0;
    size_t m = sub.u.s.len;
    for (size_t i = 0; i + m <= s.u.s.len;) {
        if (memcmp(s.u.s.ptr + i, sub.u.s.ptr, m) == 0) {
            if (found < 0 || mode == 1) found = (int64_t)i;
            if (mode == 0) break;
            count++;
            i += m ? m : 1;
            if (!m && mode == 1) found = (int64_t)s.u.s.len;
        } else {
            i++;
        }
    }
    if (mode == 2) {
        *out = jv_int(m ? count : count + 1);
        return true;
    }
    if (found > 0) { /* byte offset to character index */
        int64_t chars = 0;
        for (size_t i = 0; i < (size_t)found; i += jinja_utf8_len(s.u.s.ptr + i, s.u.s.len - i)) chars++;
        found = chars;
    }
    *out = jv_int(found);
    return true;
}

/* str.format with {}, {0}, {name} and {{ }} escapes; no format specs. */
static bool str_format(jinja_eval *e, const jinja_node *site, jv s, const jinja_args *a, jv *out) {
    jinja_buf b = {.limit = e->opts->limits.max_output_bytes};
    size_t auto_index = 0;
    const char *p = s.u.s.ptr;
    size_t n = s.u.s.len;
    for (size_t i = 0; i < n; i++) {
        if ((p[i] == '{' || p[i] == '}') && i + 1 < n && p[i + 1] == p[i]) {
            jinja_buf_append(&b, p + i, 1);
            i++;
            continue;
        }
        if (p[i] != '{') {
            jinja_buf_append(&b, p + i, 1);
            continue;
        }
        const char *close = memchr(p + i, '}', n - i);
        if (!close) {
            jinja_buf_free(&b);
            return jinja_fail(e, site, EI_ERR_FORMAT, "single '{' encountered in format string");
        }
        const char *field = p + i + 1;
        size_t flen = (size_t)(close - field);
        const char *colon = memchr(field, ':', flen);
        if (colon) flen = (size_t)(colon - field);
        jv v = jv_undefined();
        if (flen == 0) {
            v = jinja_arg(a, auto_index++, NULL, jv_undefined());
        } else if (field[0] >= '0' && field[0] <= '9') {
            v = jinja_arg(a, (size_t)strtoul(field, NULL, 10), NULL, jv_undefined());
        } else {
            for (size_t k = 0; k < a->nkw; k++)
                if (a->kwnames[k]->name_len == flen && memcmp(a->kwnames[k]->name, field, flen) == 0) v = a->kw[k];
        }
        if (v.kind == JV_UNDEFINED) {
            jinja_buf_free(&b);
            return jinja_fail(e, site, EI_ERR_FORMAT, "format field '%.*s' has no argument", (int)flen, field);
        }
        jv_append_str(&b, v);
        i = (size_t)(close - p);
    }
    return finish(e, site, &b, out);
}

/* str.isX(): every character satisfies `kind`, and there is at least one. */
static jv str_is(jv s, char kind) {
    if (!s.u.s.len) return jv_bool(false);
    bool cased = false;
    for (size_t i = 0; i < s.u.s.len; i++) {
        unsigned char c = (unsigned char)s.u.s.ptr[i];
        bool digit = c >= '0' && c <= '9', lower = c >= 'a' && c <= 'z', upper = c >= 'A' && c <= 'Z';
        bool ok;
        switch (kind) {
        case 'd': ok = digit; break;
        case 'a': ok = lower || upper; break;
        case 'n': ok = digit || lower || upper; break;
        case 's': ok = jinja_space_len(s.u.s.ptr + i, s.u.s.len - i) > 0; break;
        case 'l': ok = !upper; cased |= lower; break;
        default: ok = !lower; cased |= upper; break;
        }
        if (!ok) return jv_bool(false);
    }
    return jv_bool(kind == 'l' || kind == 'u' ? cased : true);
}

/* Python str.title(): a letter is uppercased after a non-letter. */
static bool str_title(jinja_eval *e, const jinja_node *site, jv s, bool capitalize, jv *out) {
    char *d = jinja_arena_alloc(e->arena, s.u.s.len + 1);
    if (!d) return jinja_fail_memory(e, site);
    bool prev_letter = false;
    for (size_t i = 0; i < s.u.s.len; i++) {
        char c = s.u.s.ptr[i];
        /* non-ASCII bytes count as letters: right for accented Latin text */
        bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (unsigned char)c >= 0x80;
        bool up = capitalize ? i == 0 : !prev_letter;
        if (letter && (unsigned char)c < 0x80) d[i] = up ? (c >= 'a' ? (char)(c - 32) : c) : (c <= 'Z' ? (char)(c + 32) : c);
        else d[i] = c;
        prev_letter = letter;
    }
    *out = jv_str_ref(d, s.u.s.len);
    return true;
}

static bool str_case(jinja_eval *e, const jinja_node *site, jv s, bool upper, jv *out) {
    char *d = jinja_arena_alloc(e->arena, s.u.s.len + 1);
    if (!d) return jinja_fail_memory(e, site);
    for (size_t i = 0; i < s.u.s.len; i++) {
        char c = s.u.s.ptr[i];
        d[i] = upper ? (c >= 'a' && c <= 'z' ? (char)(c - 32) : c) : (c >= 'A' && c <= 'Z' ? (char)(c + 32) : c);
    }
    *out = jv_str_ref(d, s.u.s.len);
    return true;
}

static bool str_join(jinja_eval *e, const jinja_node *site, jv sep, jv iterable, jv *out) {
    jv items;
    if (!jinja_iterate(e, site, iterable, &items)) return false;
    jinja_buf b = {.limit = e->opts->limits.max_output_bytes};
    for (size_t i = 0; i < items.u.list->n; i++) {
        jv x = items.u.list->items[i];
        if (x.kind != JV_STRING) {
            jinja_buf_free(&b);
            return jinja_fail(e, site, EI_ERR_FORMAT, "join: item %zu is '%s', not a string", i, jv_kind_name(x));
        }
        if (i) jinja_buf_append(&b, sep.u.s.ptr, sep.u.s.len);
        jinja_buf_append(&b, x.u.s.ptr, x.u.s.len);
    }
    return finish(e, site, &b, out);
}

static int string_method(jinja_eval *e, const jinja_node *site, jv s, const char *name, size_t len,
                         const jinja_args *a, jv *out) {
    jv arg0 = jinja_arg(a, 0, NULL, jv_none());
    if (IS("strip") || IS("lstrip") || IS("rstrip")) {
        *out = jinja_strip(s, arg0.kind == JV_STRING ? &arg0 : NULL, IS("strip") ? 3 : IS("lstrip") ? 1 : 2);
        return 1;
    }
    if (IS("split")) return str_split(e, site, s, a, out);
    if (IS("splitlines")) return str_splitlines(e, site, s, out);
    if (IS("startswith") || IS("endswith")) return str_affix(e, site, s, arg0, IS("endswith"), out);
    if (IS("upper") || IS("lower")) return str_case(e, site, s, IS("upper"), out);
    if (IS("title") || IS("capitalize")) {
        if (IS("capitalize") && !str_case(e, site, s, false, &s)) return 0;
        return str_title(e, site, s, IS("capitalize"), out);
    }
    if (IS("replace")) {
        jv old = jinja_arg(a, 0, NULL, jv_undefined()), new_ = jinja_arg(a, 1, NULL, jv_undefined());
        jv count = jinja_arg(a, 2, NULL, jv_int(-1));
        if (!need_str(e, site, old, "replace") || !need_str(e, site, new_, "replace")) return 0;
        return jinja_replace(e, site, s, old, new_, count.kind == JV_INT ? count.u.i : -1, out);
    }
    if (IS("find")) return str_search(e, site, s, arg0, 0, out);
    if (IS("rfind")) return str_search(e, site, s, arg0, 1, out);
    if (IS("count")) return str_search(e, site, s, arg0, 2, out);
    if (IS("join")) return str_join(e, site, s, arg0, out);
    if (IS("format")) return str_format(e, site, s, a, out);
    if (IS("isdigit")) { *out = str_is(s, 'd'); return 1; }
    if (IS("isalpha")) { *out = str_is(s, 'a'); return 1; }
    if (IS("isalnum")) { *out = str_is(s, 'n'); return 1; }
    if (IS("isspace")) { *out = str_is(s, 's'); return 1; }
    if (IS("islower")) { *out = str_is(s, 'l'); return 1; }
    if (IS("isupper")) { *out = str_is(s, 'u'); return 1; }
    return -1;
}

static int dict_method(jinja_eval *e, const jinja_node *site, jv d, const char *name, size_t len, const jinja_args *a,
                       jv *out) {
    if (IS("items")) return jinja_dict_items(e, site, d, out);
    if (IS("keys") || IS("values")) {
        jv l = jv_list_new(e->arena, d.u.dict->n);
        if (l.kind != JV_LIST) return jinja_fail_memory(e, site);
        for (size_t i = 0; i < d.u.dict->n; i++)
            jv_list_push(e->arena, l, IS("keys") ? d.u.dict->keys[i] : d.u.dict->vals[i]);
        *out = l;
        return 1;
    }
    if (IS("get")) {
        jv v = jv_dict_get(d, jinja_arg(a, 0, NULL, jv_undefined()));
        *out = v.kind == JV_UNDEFINED ? jinja_arg(a, 1, NULL, jv_none()) : v;
        return 1;
    }
    return -1;
}

static int list_method(jinja_eval *e, const jinja_node *site, jv l, const char *name, size_t len, const jinja_args *a,
                       jv *out) {
    jv x = jinja_arg(a, 0, NULL, jv_undefined());
    if (IS("index")) {
        for (size_t i = 0; i < l.u.list->n; i++)
            if (jv_equal(l.u.list->items[i], x)) {
                *out = jv_int((int64_t)i);
                return 1;
            }
        return jinja_fail(e, site, EI_ERR_FORMAT, "list.index(x): x not in list");
    }
    if (IS("count")) {
        int64_t c = 0;
        for (size_t i = 0; i < l.u.list->n; i++) c += jv_equal(l.u.list->items[i], x);
        *out = jv_int(c);
        return 1;
    }
    return -1;
}

bool jinja_call_method(jinja_eval *e, const jinja_node *site, jv obj, const char *name, size_t len,
                       const jinja_args *a, jv *out) {
    int r = -1;
    if (obj.kind == JV_STRING) r = string_method(e, site, obj, name, len, a, out);
    else if (obj.kind == JV_DICT) r = dict_method(e, site, obj, name, len, a, out);
    else if (obj.kind == JV_LIST) r = list_method(e, site, obj, name, len, a, out);
    else if (obj.kind == JV_LOOP && IS("cycle")) {
        if (!a->npos) return jinja_fail(e, site, EI_ERR_FORMAT, "loop.cycle() needs at least one argument");
        *out = a->pos[(size_t)obj.u.loop->index0 % a->npos];
        return true;
    }
    if (r >= 0) return r == 1;
    if (IS("append") || IS("extend") || IS("insert") || IS("pop") || IS("remove") || IS("clear") || IS("update") ||
        IS("setdefault") || IS("popitem") || IS("sort") || IS("reverse"))
        return jinja_fail(e, site, EI_ERR_FORMAT, "'%s' object is immutable here ('%.*s' is not allowed)",
                          jv_kind_name(obj), (int)len, name);
    return jinja_fail(e, site, EI_ERR_FORMAT, "'%s' object has no method '%.*s'", jv_kind_name(obj), (int)len, name);
}
