/*
 * jinja_filters.c — the filters ({{ x | name(args) }}) that chat templates
 * use, each with the behaviour of Jinja2's built-in of the same name (and
 * HuggingFace's tojson: no HTML escaping, non-ASCII kept). Case mapping is
 * ASCII-only. Filters not listed here are rejected when the template is
 * parsed.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chat/jinja_internal.h"

#define MEM(e, site) jinja_fail_memory((e), (site))

static bool str_of(jinja_eval *e, const jinja_node *site, jv v, jv *out) { return jinja_to_string(e, site, v, out); }

static bool new_string(jinja_eval *e, const jinja_node *site, jinja_buf *b, jv *out) {
    if (b->oom || b->over_limit) {
        jinja_fail_buffer(e, site, b);
        jinja_buf_free(b);
        return false;
    }
    *out = jv_str_copy(e->arena, b->data ? b->data : "", b->len);
    jinja_buf_free(b);
    return out->kind == JV_STRING || MEM(e, site);
}

static bool is_str_arg(jv v) { return v.kind == JV_STRING; }

/* ---- strings -------------------------------------------------------------------------------- */

jv jinja_strip(jv s, const jv *chars, int which) {
    const char *p = s.u.s.ptr;
    size_t b = 0, en = s.u.s.len;
    bool ws = !chars || chars->kind != JV_STRING;
    if (which & 1) {
        while (b < en) {
            size_t k = ws ? jinja_space_len(p + b, en - b) : 0;
            if (!ws) {
                size_t len = jinja_utf8_len(p + b, en - b);
                for (size_t c = 0; c < chars->u.s.len; c += jinja_utf8_len(chars->u.s.ptr + c, chars->u.s.len - c))
                    if (jinja_utf8_len(chars->u.s.ptr + c, chars->u.s.len - c) == len &&
                        memcmp(chars->u.s.ptr + c, p + b, len) == 0) {
                        k = len;
                        break;
                    }
            }
            if (!k) break;
            b += k;
        }
    }
    if (which & 2) {
        while (en > b) {
            size_t start = en - 1;
            while (start > b && ((unsigned char)p[start] & 0xC0) == 0x80 && en - start < 4) start--;
            if (jinja_utf8_len(p + start, en - start) != en - start) start = en - 1;
            size_t len = en - start;
            bool hit = false;
            if (ws) {
                hit = jinja_space_len(p + start, len) == len;
            } else {
                for (size_t c = 0; c < chars->u.s.len; c += jinja_utf8_len(chars->u.s.ptr + c, chars->u.s.len - c))
                    if (jinja_utf8_len(chars->u.s.ptr + c, chars->u.s.len - c) == len &&
                        memcmp(chars->u.s.ptr + c, p + start, len) == 0) {
                        hit = true;
                        break;
                    }
            }
            if (!hit) break;
            en = start;
        }
    }
    return jv_str_ref(p + b, en - b);
}

static char lower_c(char c) { return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c; }
static char upper_c(char c) { return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c; }

/* mode: 'u' upper, 'l' lower, 'c' capitalize, 't' Jinja's title. */
static bool map_case(jinja_eval *e, const jinja_node *site, jv in, char mode, jv *out) {
    jv s;
    if (!str_of(e, site, in, &s)) return false;
    char *d = jinja_arena_alloc(e->arena, s.u.s.len + 1);
    if (!d) return MEM(e, site);
    bool word_start = true;
    for (size_t i = 0; i < s.u.s.len; i++) {
        char c = s.u.s.ptr[i];
        switch (mode) {
        case 'u': d[i] = upper_c(c); break;
        case 'l': d[i] = lower_c(c); break;
        case 'c': d[i] = i == 0 ? upper_c(c) : lower_c(c); break;
        default: {
            bool sep = c == '-' || c == ' ' || (c >= '\t' && c <= '\r') || c == '(' || c == '{' || c == '[' || c == '<';
            d[i] = sep ? c : word_start ? upper_c(c) : lower_c(c);
            word_start = sep;
        }
        }
    }
    *out = jv_str_ref(d, s.u.s.len);
    return true;
}

bool jinja_replace(jinja_eval *e, const jinja_node *site, jv s, jv old, jv new_, int64_t count, jv *out) {
    if (!jinja_charge(e, site, s.u.s.len / 32)) return false;
    jinja_buf b = {.limit = e->opts->limits.max_output_bytes};
    size_t i = 0, done = 0;
    if (old.u.s.len == 0) { /* Python inserts `new` between every character */
        for (; i <= s.u.s.len; done++) {
            if (count >= 0 && (int64_t)done >= count) break;
            jinja_buf_append(&b, new_.u.s.ptr, new_.u.s.len);
            if (i == s.u.s.len) { i++; break; }
            size_t len = jinja_utf8_len(s.u.s.ptr + i, s.u.s.len - i);
            jinja_buf_append(&b, s.u.s.ptr + i, len);
            i += len;
        }
        if (i <= s.u.s.len) jinja_buf_append(&b, s.u.s.ptr + i, s.u.s.len - i);
        return new_string(e, site, &b, out);
    }
    while (i + old.u.s.len <= s.u.s.len && (count < 0 || (int64_t)done < count)) {
        const char *hit = NULL;
        for (size_t k = i; k + old.u.s.len <= s.u.s.len; k++)
            if (memcmp(s.u.s.ptr + k, old.u.s.ptr, old.u.s.len) == 0) {
                hit = s.u.s.ptr + k;
                break;
            }
        if (!hit) break;
        size_t at = (size_t)(hit - s.u.s.ptr);
        jinja_buf_append(&b, s.u.s.ptr + i, at - i);
        jinja_buf_append(&b, new_.u.s.ptr, new_.u.s.len);
        i = at + old.u.s.len;
        done++;
    }
    jinja_buf_append(&b, s.u.s.ptr + i, s.u.s.len - i);
    return new_string(e, site, &b, out);
}

static bool f_trim(jinja_eval *e, const jinja_node *site, jv in, const jinja_args *a, jv *out) {
    jv s, chars = jinja_arg(a, 0, "chars", jv_none());
    if (!str_of(e, site, in, &s)) return false;
    *out = jinja_strip(s, is_str_arg(chars) ? &chars : NULL, 3);
    return true;
}
static bool f_upper(jinja_eval *e, const jinja_node *site, jv in, const jinja_args *a, jv *out) { (void)a; return map_case(e, site, in, 'u', out); }
static bool f_lower(jinja_eval *e, const jinja_node *site, jv in, const jinja_args *a, jv *out) { (void)a; return map_case(e, site, in, 'l', out); }
static bool f_capitalize(jinja_eval *e, const jinja_node *site, jv in, const jinja_args *a, jv *out) { (void)a; return map_case(e, site, in, 'c', out); }
static bool f_title(jinja_eval *e, const jinja_node *site, jv in, const jinja_args *a, jv *out) { (void)a; return map_case(e, site, in, 't', out); }

static bool f_replace(jinja_eval *e, const jinja_node *site, jv in, const jinja_args *a, jv *out) {
    jv s, old, new_, count = jinja_arg(a, 2, "count", jv_none());
    if (!str_of(e, site, in, &s) || !str_of(e, site, jinja_arg(a, 0, "old", jv_undefined()), &old) ||
        !str_of(e, site, jinja_arg(a, 1, "new", jv_undefined()), &new_))
        return false;
    return jinja_replace(e, site, s, old, new_, count.kind == JV_INT ? count.u.i : -1, out);
}

static bool f_string(jinja_eval *e, const jinja_node *site, jv in, const jinja_args *a, jv *out) {
    (void)a;
    return str_of(e, site, in, out);
}

static bool f_safe(jinja_eval *e, const jinja_node *site, jv in, const jinja_args *a, jv *out) {
    (void)e; (void)site; (void)a;
    *out = in;
    return true;
}

static bool f_escape(jinja_eval *e, const jinja_node *site, jv in, const jinja_args *a, jv *out) {
    (void)a;
    jv s;
    if (!str_of(e, site, in, &s)) return false;
    jinja_buf b = {.limit = e->opts->limits.max_output_bytes};
    for (size_t i = 0; i < s.u.s.len; i++) {
        char c = s.u.s.ptr[i];
        const char *rep = c == '&' ? "&amp;" : c == '<' ? "&lt;" : c == '>' ? "&gt;" : c == '"' ? "&#34;" : c == '\'' ? "&#39;" : NULL;
        if (rep) jinja_buf_append_str(&b, rep);
        else jinja_buf_append(&b, &c, 1);
    }
    return new_string(e, site, &b, out);
}

static bool percent_format(jinja_eval *e, const jinja_node *site, jv fmt, const jinja_args *a, jv *out);

bool jinja_percent_format(jinja_eval *e, const jinja_node *site, jv fmt, jv args, jv *out) {
    jinja_args a = {0};
    if (args.kind == JV_LIST && args.u.list->is_tuple) {
        a.pos = args.u.list->items;
        a.npos = args.u.list->n;
    } else if (args.kind != JV_DICT) {
        a.pos = &args;
        a.npos = 1;
    }
    return percent_format(e, site, fmt, &a, out);
}

static bool f_format(jinja_eval *e, const jinja_node *site, jv in, const jinja_args *a, jv *out) {
    jv fmt;
    if (!str_of(e, site, in, &fmt)) return false;
    return percent_format(e, site, fmt, a, out);
}

static bool percent_format(jinja_eval *e, const jinja_node *site, jv fmt, const jinja_args *a, jv *out) {
    jinja_buf b = {.limit = e->opts->limits.max_output_bytes};
    size_t next = 0;
    for (size_t i = 0; i < fmt.u.s.len; i++) {
        char c = fmt.u.s.ptr[i];
        if (c != '%' || i + 1 >= fmt.u.s.len) {
            jinja_buf_append(&b, &c, 1);
            continue;
        }
        char spec = fmt.u.s.ptr[++i];
        if (spec == '%') {
            jinja_buf_append(&b, "%", 1);
            continue;
        }
        if (next >= a->npos) {
            jinja_buf_free(&b);
            return jinja_fail(e, site, EI_ERR_FORMAT, "not enough arguments for format string");
        }
        jv arg = a->pos[next++];
        if (spec == 'r') jv_append_repr(&b, arg);
        else if (spec == 'd' || spec == 'i') jv_append_str(&b, arg.kind == JV_FLOAT ? jv_int((int64_t)arg.u.f) : arg);
        else if (spec == 's') jv_append_str(&b, arg);
        else {
            jinja_buf_free(&b);
            return jinja_fail(e, site, EI_ERR_FORMAT, "unsupported format character '%c'", spec);
        }
    }
    if (next < a->npos && !(a->npos == 1 && a->pos[0].kind == JV_DICT)) {
        jinja_buf_free(&b);
        return jinja_fail(e, site, EI_ERR_FORMAT, "not all arguments converted during string formatting");
    }
    return new_string(e, site, &b, out);
}

static bool f_indent(jinja_eval *e, const jinja_node *site, jv in, const jinja_args *a, jv *out) {
    jv s, width = jinja_arg(a, 0, "width", jv_int(4));
    bool first = jv_truthy(jinja_arg(a, 1, "first", jv_bool(false)));
    bool blank = jv_truthy(jinja_arg(a, 2, "blank", jv_bool(false)));
    if (!str_of(e, site, in, &s)) return false;
    jv pad = width;
    if (width.kind == JV_INT) {
        if (width.u.i < 0 || width.u.i > 4096) return jinja_fail(e, site, EI_ERR_FORMAT, "indent width out of range");
        char *d = jinja_arena_alloc(e->arena, (size_t)width.u.i + 1);
        if (!d) return MEM(e, site);
        memset(d, ' ', (size_t)width.u.i);
        pad = jv_str_ref(d, (size_t)width.u.i);
    } else if (width.kind != JV_STRING) {
        return jinja_fail(e, site, EI_ERR_FORMAT, "indent width must be an integer or a string");
    }
    jinja_buf b = {.limit = e->opts->limits.max_output_bytes};
    size_t i = 0, line = 0;
    while (i <= s.u.s.len) {
        const char *nl = memchr(s.u.s.ptr + i, '\n', s.u.s.len - i);
        size_t end = nl ? (size_t)(nl - s.u.s.ptr) : s.u.s.len;
        bool is_blank = end == i;
        if ((line > 0 || first) && (blank || !is_blank)) jinja_buf_append(&b, pad.u.s.ptr, pad.u.s.len);
        jinja_buf_append(&b, s.u.s.ptr + i, end - i);
        if (!nl) break;
        jinja_buf_append(&b, "\n", 1);
        i = end + 1;
        line++;
    }
    return new_string(e, site, &b, out);
}

static bool f_wordcount(jinja_eval *e, const jinja_node *site, jv in, const jinja_args *a, jv *out) {
    (void)a;
    jv s;
    if (!str_of(e, site, in, &s)) return false;
    int64_t words = 0;
    bool in_word = false;
    for (size_t i = 0; i < s.u.s.len; i++) {
        char c = s.u.s.ptr[i];
        bool w = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                 (unsigned char)c >= 0x80;
        if (w && !in_word) words++;
        in_word = w;
    }
    *out = jv_int(words);
    return true;
}

static bool f_tojson(jinja_eval *e, const jinja_node *site, jv in, const jinja_args *a, jv *out) {
    jv indent = jinja_arg(a, 0, "indent", jv_none());
    bool sort_keys = jv_truthy(jinja_arg(a, 3, "sort_keys", jv_bool(false)));
    if (indent.kind != JV_NONE && indent.kind != JV_INT)
        return jinja_fail(e, site, EI_ERR_FORMAT, "tojson indent must be an integer");
    jinja_buf b = {.limit = e->opts->limits.max_output_bytes};
    if (!jinja_json_dump(&b, in, indent.kind == JV_INT ? (int)(indent.u.i > 64 ? 64 : indent.u.i) : -1, sort_keys)) {
        bool mem = b.oom || b.over_limit;
        if (mem) jinja_fail_buffer(e, site, &b);
        jinja_buf_free(&b);
        if (mem) return false;
        return jinja_fail(e, site, EI_ERR_FORMAT, "object of type '%s' is not JSON serializable", jv_kind_name(in));
    }
    return new_string(e, site, &b, out);
}

/* ---- numbers ----------------------------------------------------------------------------------- */

/* Python int(str) / float(str), tolerant of surrounding whitespace. */
static bool parse_number(jv s, bool want_float, jv *out) {
    char buf[128];
    jv t = jinja_strip(s, NULL, 3);
    size_t k = 0;
    for (size_t i = 0; i < t.u.s.len; i++) {
        if (t.u.s.ptr[i] == '_') continue;
        if (k >= sizeof buf - 1) return false;
        buf[k++] = t.u.s.ptr[i];
    }
    buf[k] = '\0';
    if (!k) return false;
    char *end;
    if (!want_float) {
        long long v = strtoll(buf, &end, 10);
        if (*end == '\0' && end != buf) {
            *out = jv_int(v);
            return true;
        }
    }
    double f = strtod(buf, &end);
    if (*end != '\0' || end == buf) return false;
    if (want_float) *out = jv_float(f);
    else if (isfinite(f) && fabs(f) < 9.2e18) *out = jv_int((int64_t)f);
    else return false;
    return true;
}

static bool f_int(jinja_eval *e, const jinja_node *site, jv in, const jinja_args *a, jv *out) {
    (void)e; (void)site;
    jv dflt = jinja_arg(a, 0, "default", jv_int(0));
    switch (in.kind) {
    case JV_INT: *out = in; return true;
    case JV_BOOL: *out = jv_int(in.u.b); return true;
    case JV_FLOAT:
        if (isfinite(in.u.f) && fabs(in.u.f) < 9.2e18) *out = jv_int((int64_t)in.u.f);
        else *out = dflt;
        return true;
    case JV_STRING:
        if (!parse_number(in, false, out)) *out = dflt;
        return true;
    default: *out = dflt; return true;
    }
}

static bool f_float(jinja_eval *e, const jinja_node *site, jv in, const jinja_args *a, jv *out) {
    (void)e; (void)site;
    jv dflt = jinja_arg(a, 0, "default", jv_float(0.0));
    switch (in.kind) {
    case JV_INT: *out = jv_float((double)in.u.i); return true;
    case JV_BOOL: *out = jv_float(in.u.b); return true;
    case JV_FLOAT: *out = in; return true;
    case JV_STRING:
        if (!parse_number(in, true, out)) *out = dflt;
        return true;
    default: *out = dflt; return true;
    }
}

static bool f_abs(jinja_eval *e, const jinja_node *site, jv in, const jinja_args *a, jv *out) {
    (void)a;
    if (in.kind == JV_INT && in.u.i != INT64_MIN) *out = jv_int(in.u.i < 0 ? -in.u.i : in.u.i);
    else if (in.kind == JV_BOOL) *out = jv_int(in.u.b);
    else if (in.kind == JV_FLOAT) *out = jv_float(fabs(in.u.f));
    else return jinja_fail(e, site, EI_ERR_FORMAT, "bad operand type for abs(): '%s'", jv_kind_name(in));
    return true;
}

static bool f_round(jinja_eval *e, const jinja_node *site, jv in, const jinja_args *a, jv *out) {
    jv prec = jinja_arg(a, 0, "precision", jv_int(0)), method = jinja_arg(a, 1, "method", jv_str_ref("common", 6));
    if (in.kind != JV_INT && in.kind != JV_FLOAT && in.kind != JV_BOOL)
        return jinja_fail(e, site, EI_ERR_FORMAT, "round() needs a number, not '%s'", jv_kind_name(in));
    int p = prec.kind == JV_INT ? (int)(prec.u.i < 0 ? 0 : prec.u.i > 17 ? 17 : prec.u.i) : 0;
    bool common = method.kind == JV_STRING && method.u.s.len == 6 && memcmp(method.u.s.ptr, "common", 6) == 0;
    if (common && in.kind != JV_FLOAT) { /* round(int, n) stays an int */
        *out = in.kind == JV_BOOL ? jv_int(in.u.b) : in;
        return true;
    }
    double x = in.kind == JV_FLOAT ? in.u.f : in.kind == JV_INT ? (double)in.u.i : (double)in.u.b;
    if (common) {
        char buf[400];
        snprintf(buf, sizeof buf, "%.*f", p, x); /* exact decimal rounding, half to even, as Python */
        *out = jv_float(strtod(buf, NULL));
        return true;
    }
    double scale = pow(10.0, p);
    bool ceil_m = method.kind == JV_STRING && method.u.s.len == 4 && memcmp(method.u.s.ptr, "ceil", 4) == 0;
    *out = jv_float((ceil_m ? ceil(x * scale) : floor(x * scale)) / scale);
    return true;
}

/* ---- sequences ------------------------------------------------------------------------------------- */

static bool f_length(jinja_eval *e, const jinja_node *site, jv in, const jinja_args *a, jv *out) {
    (void)a;
    int64_t n;
    if (!jinja_length(e, site, in, &n)) return false;
    *out = jv_int(n);
    return true;
}

static bool f_list(jinja_eval *e, const jinja_node *site, jv in, const jinja_args *a, jv *out) {
    (void)a;
    jv items;
    if (!jinja_iterate(e, site, in, &items)) return false;
    jv l = jv_list_new(e->arena, items.u.list->n);
    if (l.kind != JV_LIST) return MEM(e, site);
    for (size_t i = 0; i < items.u.list->n; i++) jv_list_push(e->arena, l, items.u.list->items[i]);
    *out = l;
    return true;
}

static bool f_first_last(jinja_eval *e, const jinja_node *site, jv in, bool last, jv *out) {
    jv items;
    if (last && in.kind == JV_LIST && in.u.list->is_generator)
        return jinja_fail(e, site, EI_ERR_FORMAT, "'generator' object is not reversible (use '| list | last')");
    if (!jinja_iterate(e, site, in, &items)) return false;
    size_t n = items.u.list->n;
    *out = n ? items.u.list->items[last ? n - 1 : 0] : jv_undefined();
    return true;
}
static bool f_first(jinja_eval *e, const jinja_node *site, jv in, const jinja_args *a, jv *out) { (void)a; return f_first_last(e, site, in, false, out); }
static bool f_last(jinja_eval *e, const jinja_node *site, jv in, const jinja_args *a, jv *out) { (void)a; return f_first_last(e, site, in, true, out); }

static bool f_default(jinja_eval *e, const jinja_node *site, jv in, const jinja_args *a, jv *out) {
    (void)e; (void)site;
    jv dflt = jinja_arg(a, 0, "default_value", jv_str_ref("", 0));
    bool boolean = jv_truthy(jinja_arg(a, 1, "boolean", jv_bool(false)));
    *out = (in.kind == JV_UNDEFINED || (boolean && !jv_truthy(in))) ? dflt : in;
    return true;
}

/* item.attribute with dotted paths ("a.b") and integer parts. */
static jv attr_path(jinja_eval *e, const jinja_node *site, jv item, jv path) {
    if (path.kind == JV_INT) {
        jv out;
        return jinja_getitem(e, site, item, path, &out) ? out : jv_undefined();
    }
    if (path.kind != JV_STRING) return jv_undefined();
    const char *p = path.u.s.ptr;
    size_t n = path.u.s.len, i = 0;
    while (i <= n) {
        const char *dot = memchr(p + i, '.', n - i);
        size_t end = dot ? (size_t)(dot - p) : n;
        bool digits = end > i;
        for (size_t k = i; k < end; k++)
            if (p[k] < '0' || p[k] > '9') digits = false;
        if (digits && item.kind == JV_LIST) {
            jv out;
            if (!jinja_getitem(e, site, item, jv_int(strtoll(p + i, NULL, 10)), &out)) return jv_undefined();
            item = out;
        } else {
            item = jinja_getattr(e, item, p + i, end - i);
        }
        if (!dot) break;
        i = end + 1;
    }
    return item;
}

static bool f_join(jinja_eval *e, const jinja_node *site, jv in, const jinja_args *a, jv *out) {
    jv sep = jinja_arg(a, 0, "d", jv_str_ref("", 0)), attr = jinja_arg(a, 1, "attribute", jv_none()), items;
    if (!jinja_iterate(e, site, in, &items) || !str_of(e, site, sep, &sep)) return false;
    jinja_buf b = {.limit = e->opts->limits.max_output_bytes};
    for (size_t i = 0; i < items.u.list->n; i++) {
        jv item = items.u.list->items[i];
        if (attr.kind != JV_NONE) item = attr_path(e, site, item, attr);
        if (i) jinja_buf_append(&b, sep.u.s.ptr, sep.u.s.len);
        jv_append_str(&b, item);
    }
    return new_string(e, site, &b, out);
}

static bool f_reverse(jinja_eval *e, const jinja_node *site, jv in, const jinja_args *a, jv *out) {
    (void)a;
    jv items;
    if (!jinja_iterate(e, site, in, &items)) return false;
    size_t n = items.u.list->n;
    if (in.kind == JV_STRING) {
        jinja_buf b = {.limit = e->opts->limits.max_output_bytes};
        for (size_t i = n; i-- > 0;) jinja_buf_append(&b, items.u.list->items[i].u.s.ptr, items.u.list->items[i].u.s.len);
        return new_string(e, site, &b, out);
    }
    jv l = jv_list_new(e->arena, n);
    if (l.kind != JV_LIST) return MEM(e, site);
    l.u.list->is_generator = in.kind == JV_LIST && !in.u.list->is_generator; /* reversed(list) is an iterator */
    for (size_t i = n; i-- > 0;) jv_list_push(e->arena, l, items.u.list->items[i]);
    *out = l;
    return true;
}

/* Sort key: the attribute if asked, lowercased when not case sensitive. */
static bool sort_key(jinja_eval *e, const jinja_node *site, jv item, jv attr, bool case_sensitive, jv *key) {
    *key = attr.kind != JV_NONE ? attr_path(e, site, item, attr) : item;
    if (!case_sensitive && key->kind == JV_STRING) return map_case(e, site, *key, 'l', key);
    return true;
}

/* Stable merge sort of keys[] with their values[], by jinja_compare. */
static bool merge_sort(jinja_eval *e, const jinja_node *site, jv *keys, jv *vals, jv *tk, jv *tv, size_t n, bool rev) {
    if (n < 2) return true;
    size_t h = n / 2;
    if (!merge_sort(e, site, keys, vals, tk, tv, h, rev) || !merge_sort(e, site, keys + h, vals + h, tk, tv, n - h, rev))
        return false;
    if (!jinja_charge(e, site, n)) return false;
    size_t i = 0, j = h, k = 0;
    while (i < h && j < n) {
        int c;
        if (!jinja_compare(e, site, keys[j], keys[i], &c)) return false;
        bool take_right = rev ? c > 0 : c < 0;
        if (take_right) { tk[k] = keys[j]; tv[k++] = vals[j++]; }
        else { tk[k] = keys[i]; tv[k++] = vals[i++]; }
    }
    while (i < h) { tk[k] = keys[i]; tv[k++] = vals[i++]; }
    while (j < n) { tk[k] = keys[j]; tv[k++] = vals[j++]; }
    memcpy(keys, tk, n * sizeof(jv));
    memcpy(vals, tv, n * sizeof(jv));
    return true;
}

static bool sorted(jinja_eval *e, const jinja_node *site, jv items, jv attr, bool cs, bool rev, jv *out) {
    size_t n = items.u.list->n;
    jv *buf = jinja_arena_alloc(e->arena, 4 * (n ? n : 1) * sizeof(jv));
    if (!buf) return MEM(e, site);
    jv *keys = buf, *vals = buf + n, *tk = buf + 2 * n, *tv = buf + 3 * n;
    for (size_t i = 0; i < n; i++) {
        vals[i] = items.u.list->items[i];
        if (!sort_key(e, site, vals[i], attr, cs, &keys[i])) return false;
    }
    if (!merge_sort(e, site, keys, vals, tk, tv, n, rev)) return false;
    jv l = jv_list_new(e->arena, n);
    if (l.kind != JV_LIST) return MEM(e, site);
    for (size_t i = 0; i < n; i++) jv_list_push(e->arena, l, vals[i]);
    *out = l;
    return true;
}

static bool f_sort(jinja_eval *e, const jinja_node *site, jv in, const jinja_args *a, jv *out) {
    bool rev = jv_truthy(jinja_arg(a, 0, "reverse", jv_bool(false)));
    bool cs = jv_truthy(jinja_arg(a, 1, "case_sensitive", jv_bool(false)));
    jv attr = jinja_arg(a, 2, "attribute", jv_none()), items;
    return jinja_iterate(e, site, in, &items) && sorted(e, site, items, attr, cs, rev, out);
}

static bool dict_pairs(jinja_eval *e, const jinja_node *site, jv in, jv *out) {
    if (in.kind == JV_UNDEFINED) {
        *out = jv_list_new(e->arena, 0);
        return out->kind == JV_LIST || MEM(e, site);
    }
    if (in.kind != JV_DICT) return jinja_fail(e, site, EI_ERR_FORMAT, "can only get items of a mapping, not '%s'", jv_kind_name(in));
    jv l = jv_list_new(e->arena, in.u.dict->n);
    if (l.kind != JV_LIST) return MEM(e, site);
    for (size_t i = 0; i < in.u.dict->n; i++) {
        jv pair = jv_list_new(e->arena, 2);
        if (pair.kind != JV_LIST) return MEM(e, site);
        pair.u.list->is_tuple = true;
        jv_list_push(e->arena, pair, in.u.dict->keys[i]);
        jv_list_push(e->arena, pair, in.u.dict->vals[i]);
        jv_list_push(e->arena, l, pair);
    }
    *out = l;
    return true;
}

bool jinja_dict_items(jinja_eval *e, const jinja_node *site, jv in, jv *out) { return dict_pairs(e, site, in, out); }

static bool f_items(jinja_eval *e, const jinja_node *site, jv in, const jinja_args *a, jv *out) {
    (void)a;
    if (!dict_pairs(e, site, in, out)) return false;
    out->u.list->is_generator = true;
    return true;
}

static bool f_dictsort(jinja_eval *e, const jinja_node *site, jv in, const jinja_args *a, jv *out) {
    bool cs = jv_truthy(jinja_arg(a, 0, "case_sensitive", jv_bool(false)));
    jv by = jinja_arg(a, 1, "by", jv_str_ref("key", 3));
    bool rev = jv_truthy(jinja_arg(a, 2, "reverse", jv_bool(false)));
    jv pairs;
    if (!dict_pairs(e, site, in, &pairs)) return false;
    bool by_value = by.kind == JV_STRING && by.u.s.len == 5 && memcmp(by.u.s.ptr, "value", 5) == 0;
    return sorted(e, site, pairs, jv_int(by_value ? 1 : 0), cs, rev, out);
}

static bool f_unique(jinja_eval *e, const jinja_node *site, jv in, const jinja_args *a, jv *out) {
    bool cs = jv_truthy(jinja_arg(a, 0, "case_sensitive", jv_bool(false)));
    jv attr = jinja_arg(a, 1, "attribute", jv_none()), items;
    if (!jinja_iterate(e, site, in, &items)) return false;
    size_t n = items.u.list->n;
    jv l = jv_list_new(e->arena, n), seen = jv_list_new(e->arena, n);
    if (l.kind != JV_LIST || seen.kind != JV_LIST) return MEM(e, site);
    for (size_t i = 0; i < n; i++) {
        jv key;
        if (!sort_key(e, site, items.u.list->items[i], attr, cs, &key)) return false;
        bool dup;
        if (!jinja_charge(e, site, seen.u.list->n) || !jinja_contains(e, site, seen, key, &dup)) return false;
        if (dup) continue;
        jv_list_push(e->arena, seen, key);
        jv_list_push(e->arena, l, items.u.list->items[i]);
    }
    l.u.list->is_generator = true;
    *out = l;
    return true;
}

static bool f_minmax(jinja_eval *e, const jinja_node *site, jv in, const jinja_args *a, bool max, jv *out) {
    bool cs = jv_truthy(jinja_arg(a, 0, "case_sensitive", jv_bool(false)));
    jv attr = jinja_arg(a, 1, "attribute", jv_none()), items;
    if (!jinja_iterate(e, site, in, &items)) return false;
    *out = jv_undefined();
    jv best_key = jv_undefined();
    for (size_t i = 0; i < items.u.list->n; i++) {
        jv key;
        if (!sort_key(e, site, items.u.list->items[i], attr, cs, &key)) return false;
        int c = 0;
        if (i && !jinja_compare(e, site, key, best_key, &c)) return false;
        if (i == 0 || (max ? c > 0 : c < 0)) {
            best_key = key;
            *out = items.u.list->items[i];
        }
    }
    return true;
}
static bool f_max(jinja_eval *e, const jinja_node *site, jv in, const jinja_args *a, jv *out) { return f_minmax(e, site, in, a, true, out); }
static bool f_min(jinja_eval *e, const jinja_node *site, jv in, const jinja_args *a, jv *out) { return f_minmax(e, site, in, a, false, out); }

static bool f_sum(jinja_eval *e, const jinja_node *site, jv in, const jinja_args *a, jv *out) {
    jv attr = jinja_arg(a, 0, "attribute", jv_none()), total = jinja_arg(a, 1, "start", jv_int(0)), items;
    if (!jinja_iterate(e, site, in, &items)) return false;
    for (size_t i = 0; i < items.u.list->n; i++) {
        jv item = items.u.list->items[i];
        if (attr.kind != JV_NONE) item = attr_path(e, site, item, attr);
        if (!jinja_binary(e, site, JOP_ADD, total, item, &total)) return false;
    }
    *out = total;
    return true;
}

/* select/reject/selectattr/rejectattr: keep items whose (attribute's) test
 * result is `want`; with no test name, truthiness decides. */
/* Jinja's lazy generators only fail when consumed; a scalar gives an empty one. */
static bool lazy_items(jinja_eval *e, const jinja_node *site, jv in, jv *items) {
    if (in.kind == JV_NONE || in.kind == JV_BOOL || in.kind == JV_INT || in.kind == JV_FLOAT) in = jv_undefined();
    return jinja_iterate(e, site, in, items);
}

static bool filter_items(jinja_eval *e, const jinja_node *site, jv in, const jinja_args *a, bool by_attr, bool want,
                         jv *out) {
    jv items;
    if (!lazy_items(e, site, in, &items)) return false;
    size_t first = by_attr ? 1 : 0;
    jv attr = by_attr ? jinja_arg(a, 0, "attribute", jv_none()) : jv_none();
    int test = -1;
    if (a->npos > first) {
        jv name = a->pos[first];
        if (name.kind != JV_STRING || (test = jinja_test_find(name.u.s.ptr, name.u.s.len)) < 0)
            return jinja_fail(e, site, EI_ERR_FORMAT, "unknown test in select/reject");
    }
    jinja_args targs = {.pos = a->npos > first + 1 ? a->pos + first + 1 : NULL,
                        .npos = a->npos > first + 1 ? a->npos - first - 1 : 0};
    jv l = jv_list_new(e->arena, items.u.list->n);
    if (l.kind != JV_LIST) return MEM(e, site);
    for (size_t i = 0; i < items.u.list->n; i++) {
        jv item = items.u.list->items[i], subject = by_attr ? attr_path(e, site, item, attr) : item;
        bool r;
        if (test >= 0) {
            if (!jinja_apply_test(e, site, test, subject, &targs, &r)) return false;
        } else {
            r = jv_truthy(subject);
        }
        if (r == want) jv_list_push(e->arena, l, item);
    }
    l.u.list->is_generator = true;
    *out = l;
    return true;
}
static bool f_select(jinja_eval *e, const jinja_node *site, jv in, const jinja_args *a, jv *out) { return filter_items(e, site, in, a, false, true, out); }
static bool f_reject(jinja_eval *e, const jinja_node *site, jv in, const jinja_args *a, jv *out) { return filter_items(e, site, in, a, false, false, out); }
static bool f_selectattr(jinja_eval *e, const jinja_node *site, jv in, const jinja_args *a, jv *out) { return filter_items(e, site, in, a, true, true, out); }
static bool f_rejectattr(jinja_eval *e, const jinja_node *site, jv in, const jinja_args *a, jv *out) { return filter_items(e, site, in, a, true, false, out); }

static bool f_map(jinja_eval *e, const jinja_node *site, jv in, const jinja_args *a, jv *out) {
    jv items;
    if (!lazy_items(e, site, in, &items)) return false;
    jv attr = jinja_arg(a, SIZE_MAX, "attribute", jv_none()), dflt = jinja_arg(a, SIZE_MAX, "default", jv_undefined());
    int filter = -1;
    if (attr.kind == JV_NONE) {
        jv name = jinja_arg(a, 0, NULL, jv_none());
        if (name.kind != JV_STRING || (filter = jinja_filter_find(name.u.s.ptr, name.u.s.len)) < 0)
            return jinja_fail(e, site, EI_ERR_FORMAT, "map needs attribute= or a known filter name");
    }
    jinja_args fargs = {.pos = a->npos > 1 ? a->pos + 1 : NULL, .npos = a->npos > 1 ? a->npos - 1 : 0};
    jv l = jv_list_new(e->arena, items.u.list->n);
    if (l.kind != JV_LIST) return MEM(e, site);
    for (size_t i = 0; i < items.u.list->n; i++) {
        jv v = items.u.list->items[i];
        if (filter >= 0) {
            if (!jinja_apply_filter(e, site, filter, v, &fargs, &v)) return false;
        } else {
            v = attr_path(e, site, v, attr);
            if (v.kind == JV_UNDEFINED && dflt.kind != JV_UNDEFINED) v = dflt;
        }
        jv_list_push(e->arena, l, v);
    }
    l.u.list->is_generator = true;
    *out = l;
    return true;
}

/* ---- the table --------------------------------------------------------------------------------------- */

static const struct { const char *name; jinja_filter_fn fn; } FILTERS[] = {
    {"abs", f_abs}, {"capitalize", f_capitalize}, {"count", f_length}, {"d", f_default},
    {"default", f_default}, {"dictsort", f_dictsort}, {"e", f_escape}, {"escape", f_escape},
    {"first", f_first}, {"float", f_float}, {"format", f_format}, {"indent", f_indent}, {"int", f_int},
    {"items", f_items}, {"join", f_join}, {"last", f_last}, {"length", f_length}, {"list", f_list},
    {"lower", f_lower}, {"map", f_map}, {"max", f_max}, {"min", f_min}, {"reject", f_reject},
    {"rejectattr", f_rejectattr}, {"replace", f_replace}, {"reverse", f_reverse}, {"round", f_round},
    {"safe", f_safe}, {"select", f_select}, {"selectattr", f_selectattr}, {"sort", f_sort},
    {"string", f_string}, {"sum", f_sum}, {"title", f_title}, {"tojson", f_tojson}, {"trim", f_trim},
    {"unique", f_unique}, {"upper", f_upper}, {"wordcount", f_wordcount},
};

int jinja_filter_find(const char *name, size_t len) {
    for (size_t i = 0; i < sizeof FILTERS / sizeof FILTERS[0]; i++)
        if (strlen(FILTERS[i].name) == len && memcmp(FILTERS[i].name, name, len) == 0) return (int)i;
    return -1;
}

bool jinja_apply_filter(jinja_eval *e, const jinja_node *site, int id, jv in, const jinja_args *a, jv *out) {
    if (id < 0 || (size_t)id >= sizeof FILTERS / sizeof FILTERS[0])
        return jinja_fail(e, site, EI_ERR_FORMAT, "unknown filter");
    return FILTERS[id].fn(e, site, in, a, out);
}
