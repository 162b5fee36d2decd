/*
 * jinja_ops.c — operations on values with Python's semantics: arithmetic
 * (int overflow is an error rather than a bignum), ordering, membership,
 * indexing and slicing (strings by UTF-8 character), attribute lookup, and
 * turning values into lists to iterate.
 */
#include <math.h>
#include <string.h>

#include "chat/jinja_internal.h"

/* ---- UTF-8 and whitespace ------------------------------------------------------------ */

size_t jinja_utf8_len(const char *p, size_t n) {
    unsigned char c = (unsigned char)p[0];
    size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
    if (len > n) return 1;
    for (size_t i = 1; i < len; i++)
        if (((unsigned char)p[i] & 0xC0) != 0x80) return 1;
    return len;
}

static unsigned long utf8_decode(const char *p, size_t len) {
    const unsigned char *u = (const unsigned char *)p;
    switch (len) {
    case 2: return ((unsigned long)(u[0] & 0x1F) << 6) | (u[1] & 0x3F);
    case 3: return ((unsigned long)(u[0] & 0x0F) << 12) | ((unsigned long)(u[1] & 0x3F) << 6) | (u[2] & 0x3F);
    case 4:
        return ((unsigned long)(u[0] & 0x07) << 18) | ((unsigned long)(u[1] & 0x3F) << 12) |
               ((unsigned long)(u[2] & 0x3F) << 6) | (u[3] & 0x3F);
    default: return u[0];
    }
}

size_t jinja_space_len(const char *p, size_t n) {
    if (!n) return 0;
    unsigned char c = (unsigned char)p[0];
    if (c < 0x80) return (c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1C && c <= 0x1F)) ? 1 : 0;
    size_t len = jinja_utf8_len(p, n);
    if (len == 1) return 0;
    unsigned long cp = utf8_decode(p, len);
    bool space = cp == 0x85 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 ||
                 cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
    return space ? len : 0;
}

static bool is_ascii(const char *p, size_t n) {
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)p[i] >= 0x80) return false;
    return true;
}

/* Number of characters (code points) in a string. */
static size_t char_count(const char *p, size_t n) {
    size_t count = 0;
    for (size_t i = 0; i < n; i += jinja_utf8_len(p + i, n - i)) count++;
    return count;
}

/* Byte offset of character `index` (index <= char count). */
static size_t char_offset(const char *p, size_t n, size_t index) {
    size_t i = 0;
    while (index-- && i < n) i += jinja_utf8_len(p + i, n - i);
    return i;
}

/* ---- conversions ---------------------------------------------------------------------- */

bool jinja_to_string(jinja_eval *e, const jinja_node *site, jv v, jv *out) {
    if (v.kind == JV_STRING) {
        *out = v;
        return true;
    }
    if (v.kind == JV_UNDEFINED) {
        *out = jv_str_ref("", 0);
        return true;
    }
    jinja_buf b = {.limit = e->opts->limits.max_output_bytes};
    if (!jv_append_str(&b, v)) {
        jinja_fail_buffer(e, site, &b);
        jinja_buf_free(&b);
        return false;
    }
    *out = jv_str_copy(e->arena, b.data ? b.data : "", b.len);
    jinja_buf_free(&b);
    return out->kind == JV_STRING || jinja_fail_memory(e, site);
}

bool jinja_concat(jinja_eval *e, const jinja_node *site, jv a, jv b, jv *out) {
    size_t n = a.u.s.len + b.u.s.len;
    if (!jinja_charge(e, site, n / 64)) return false;
    char *d = jinja_arena_alloc(e->arena, n + 1);
    if (!d) return jinja_fail_memory(e, site);
    if (a.u.s.len) memcpy(d, a.u.s.ptr, a.u.s.len);
    if (b.u.s.len) memcpy(d + a.u.s.len, b.u.s.ptr, b.u.s.len);
    *out = jv_str_ref(d, n);
    return true;
}

bool jinja_iterate(jinja_eval *e, const jinja_node *site, jv v, jv *list_out) {
    switch (v.kind) {
    case JV_LIST:
        *list_out = v;
        return true;
    case JV_UNDEFINED:
        *list_out = jv_list_new(e->arena, 0);
        return list_out->kind == JV_LIST || jinja_fail_memory(e, site);
    case JV_DICT: {
        jv l = jv_list_new(e->arena, v.u.dict->n);
        if (l.kind != JV_LIST) return jinja_fail_memory(e, site);
        for (size_t i = 0; i < v.u.dict->n; i++) jv_list_push(e->arena, l, v.u.dict->keys[i]);
        *list_out = l;
        return true;
    }
    case JV_STRING: {
        const char *p = v.u.s.ptr;
        size_t n = v.u.s.len;
        if (!jinja_charge(e, site, n / 8)) return false;
        jv l = jv_list_new(e->arena, n);
        if (l.kind != JV_LIST) return jinja_fail_memory(e, site);
        for (size_t i = 0; i < n;) {
            size_t len = jinja_utf8_len(p + i, n - i);
            jv_list_push(e->arena, l, jv_str_ref(p + i, len));
            i += len;
        }
        *list_out = l;
        return true;
    }
    default:
        return jinja_fail(e, site, EI_ERR_FORMAT, "'%s' object is not iterable", jv_kind_name(v));
    }
}

bool jinja_length(jinja_eval *e, const jinja_node *site, jv v, int64_t *out) {
    switch (v.kind) {
    case JV_STRING: *out = (int64_t)char_count(v.u.s.ptr, v.u.s.len); return true;
    case JV_LIST:
        if (v.u.list->is_generator) break;
        *out = (int64_t)v.u.list->n;
        return true;
    case JV_DICT: *out = (int64_t)v.u.dict->n; return true;
    case JV_UNDEFINED: *out = 0; return true;
    default: break;
    }
    return jinja_fail(e, site, EI_ERR_FORMAT, "object of type '%s' has no length", jv_kind_name(v));
}

/* ---- comparison and membership ------------------------------------------------------ */

static bool is_num(jv v) { return v.kind == JV_BOOL || v.kind == JV_INT || v.kind == JV_FLOAT; }
static double num_f(jv v) { return v.kind == JV_FLOAT ? v.u.f : v.kind == JV_INT ? (double)v.u.i : (double)v.u.b; }
static int64_t num_i(jv v) { return v.kind == JV_INT ? v.u.i : (int64_t)v.u.b; }

bool jinja_compare(jinja_eval *e, const jinja_node *site, jv a, jv b, int *cmp) {
    if (is_num(a) && is_num(b)) {
        if (a.kind != JV_FLOAT && b.kind != JV_FLOAT) {
            int64_t x = num_i(a), y = num_i(b);
            *cmp = x < y ? -1 : x > y;
        } else {
            double x = num_f(a), y = num_f(b);
            *cmp = x < y ? -1 : x > y;
        }
        return true;
    }
    if (a.kind == JV_STRING && b.kind == JV_STRING) {
        size_t n = a.u.s.len < b.u.s.len ? a.u.s.len : b.u.s.len;
        int c = n ? memcmp(a.u.s.ptr, b.u.s.ptr, n) : 0;
        *cmp = c ? (c < 0 ? -1 : 1) : a.u.s.len < b.u.s.len ? -1 : a.u.s.len > b.u.s.len;
        return true;
    }
    if (a.kind == JV_LIST && b.kind == JV_LIST && a.u.list->is_tuple == b.u.list->is_tuple) {
        const jv_list *x = a.u.list, *y = b.u.list;
        for (size_t i = 0; i < x->n && i < y->n; i++) {
            if (jv_equal(x->items[i], y->items[i])) continue;
            return jinja_compare(e, site, x->items[i], y->items[i], cmp);
        }
        *cmp = x->n < y->n ? -1 : x->n > y->n;
        return true;
    }
    return jinja_fail(e, site, EI_ERR_FORMAT, "cannot order '%s' and '%s'", jv_kind_name(a), jv_kind_name(b));
}

bool jinja_contains(jinja_eval *e, const jinja_node *site, jv hay, jv needle, bool *out) {
    switch (hay.kind) {
    case JV_STRING:
        if (needle.kind != JV_STRING)
            return jinja_fail(e, site, EI_ERR_FORMAT, "'in <string>' requires a string, not '%s'", jv_kind_name(needle));
        if (!jinja_charge(e, site, hay.u.s.len / 64)) return false;
        if (needle.u.s.len == 0) {
            *out = true;
        } else {
            *out = false;
            for (size_t i = 0; i + needle.u.s.len <= hay.u.s.len; i++)
                if (memcmp(hay.u.s.ptr + i, needle.u.s.ptr, needle.u.s.len) == 0) {
                    *out = true;
                    break;
                }
        }
        return true;
    case JV_LIST:
        if (!jinja_charge(e, site, hay.u.list->n / 16)) return false;
        *out = false;
        for (size_t i = 0; i < hay.u.list->n; i++)
            if (jv_equal(hay.u.list->items[i], needle)) {
                *out = true;
                break;
            }
        return true;
    case JV_DICT:
        *out = jv_dict_get(hay, needle).kind != JV_UNDEFINED;
        return true;
    case JV_UNDEFINED:
        *out = false;
        return true;
    default:
        return jinja_fail(e, site, EI_ERR_FORMAT, "argument of type '%s' is not iterable", jv_kind_name(hay));
    }
}

/* ---- indexing --------------------------------------------------------------------------- */

static jv loop_attr(const jinja_loop *l, const char *name, size_t len) {
#define IS(s) (len == sizeof(s) - 1 && memcmp(name, s, len) == 0)
    if (IS("index")) return jv_int(l->index0 + 1);
    if (IS("index0")) return jv_int(l->index0);
    if (IS("revindex")) return jv_int(l->length - l->index0);
    if (IS("revindex0")) return jv_int(l->length - l->index0 - 1);
    if (IS("first")) return jv_bool(l->index0 == 0);
    if (IS("last")) return jv_bool(l->index0 == l->length - 1);
    if (IS("length")) return jv_int(l->length);
    if (IS("depth")) return jv_int(1);
    if (IS("depth0")) return jv_int(0);
    if (IS("previtem")) return l->index0 > 0 ? l->list.u.list->items[l->index0 - 1] : jv_undefined();
    if (IS("nextitem")) return l->index0 + 1 < l->length ? l->list.u.list->items[l->index0 + 1] : jv_undefined();
#undef IS
    return jv_undefined();
}

jv jinja_getattr(jinja_eval *e, jv obj, const char *name, size_t len) {
    (void)e;
    if (obj.kind == JV_DICT) return jv_dict_get(obj, jv_str_ref(name, len));
    if (obj.kind == JV_LOOP) return loop_attr(obj.u.loop, name, len);
    return jv_undefined();
}

bool jinja_getitem(jinja_eval *e, const jinja_node *site, jv obj, jv key, jv *out) {
    *out = jv_undefined();
    switch (obj.kind) {
    case JV_DICT:
        *out = jv_dict_get(obj, key);
        return true;
    case JV_LOOP:
        if (key.kind == JV_STRING) *out = loop_attr(obj.u.loop, key.u.s.ptr, key.u.s.len);
        return true;
    case JV_LIST:
    case JV_STRING: {
        if (key.kind != JV_INT && key.kind != JV_BOOL) return true; /* undefined, as Jinja's getattr fallback */
        if (obj.kind == JV_LIST && obj.u.list->is_generator) return true;
        int64_t i = num_i(key);
        if (obj.kind == JV_LIST) {
            int64_t n = (int64_t)obj.u.list->n;
            if (i < 0) i += n;
            if (i >= 0 && i < n) *out = obj.u.list->items[i];
            return true;
        }
        const char *p = obj.u.s.ptr;
        size_t n = obj.u.s.len;
        if (!jinja_charge(e, site, n / 64)) return false;
        bool ascii = is_ascii(p, n);
        int64_t count = ascii ? (int64_t)n : (int64_t)char_count(p, n);
        if (i < 0) i += count;
        if (i < 0 || i >= count) return true;
        size_t off = ascii ? (size_t)i : char_offset(p, n, (size_t)i);
        *out = jv_str_ref(p + off, jinja_utf8_len(p + off, n - off));
        return true;
    }
    default:
        return true;
    }
}

/* Python's slice.indices(): clamp bounds for a sequence of `n` items. */
static bool slice_bounds(jinja_eval *e, const jinja_node *site, int64_t n, const jv *start, const jv *stop,
                         const jv *step, int64_t *b, int64_t *en, int64_t *st) {
    int64_t s = 1;
    if (step && step->kind != JV_NONE && step->kind != JV_UNDEFINED) {
        if (step->kind != JV_INT) return jinja_fail(e, site, EI_ERR_FORMAT, "slice step must be an integer");
        s = step->u.i;
        if (s == 0) return jinja_fail(e, site, EI_ERR_FORMAT, "slice step cannot be zero");
    }
    int64_t lo = s < 0 ? -1 : 0, hi = s < 0 ? n - 1 : n;
    int64_t bounds[2] = {s < 0 ? hi : lo, s < 0 ? lo : hi};
    const jv *given[2] = {start, stop};
    for (int k = 0; k < 2; k++) {
        const jv *g = given[k];
        if (!g || g->kind == JV_NONE || g->kind == JV_UNDEFINED) continue;
        if (g->kind != JV_INT && g->kind != JV_BOOL) return jinja_fail(e, site, EI_ERR_FORMAT, "slice indices must be integers");
        int64_t v = num_i(*g);
        if (v < 0) {
            v += n;
            if (v < lo) v = lo;
        } else if (v > hi) {
            v = hi;
        }
        bounds[k] = v;
    }
    *b = bounds[0];
    *en = bounds[1];
    *st = s;
    return true;
}

bool jinja_slice(jinja_eval *e, const jinja_node *site, jv v, const jv *start, const jv *stop, const jv *step,
                 jv *out) {
    /* Jinja answers a failed subscript with undefined */
    if ((v.kind != JV_LIST && v.kind != JV_STRING) || (v.kind == JV_LIST && v.u.list->is_generator)) {
        *out = jv_undefined();
        return true;
    }
    jv items = v;
    bool ascii = v.kind == JV_STRING && is_ascii(v.u.s.ptr, v.u.s.len);
    if (v.kind == JV_STRING && !ascii && !jinja_iterate(e, site, v, &items)) return false;
    int64_t n = v.kind == JV_STRING && ascii ? (int64_t)v.u.s.len : (int64_t)items.u.list->n;
    int64_t b = 0, en = 0, st = 1;
    if (!slice_bounds(e, site, n, start, stop, step, &b, &en, &st)) return false;
    if (!jinja_charge(e, site, (uint64_t)n / 16)) return false;
    if (ascii && st == 1) {
        *out = jv_str_ref(v.u.s.ptr + b, en > b ? (size_t)(en - b) : 0);
        return true;
    }
    jinja_buf sb = {.limit = e->opts->limits.max_output_bytes};
    jv l = jv_undefined();
    if (v.kind == JV_LIST) {
        l = jv_list_new(e->arena, 0);
        if (l.kind != JV_LIST) return jinja_fail_memory(e, site);
        l.u.list->is_tuple = v.u.list->is_tuple;
    }
    for (int64_t i = b; st > 0 ? i < en : i > en; i += st) {
        bool ok;
        if (v.kind == JV_LIST) ok = jv_list_push(e->arena, l, items.u.list->items[i]);
        else if (ascii) ok = jinja_buf_append(&sb, v.u.s.ptr + i, 1);
        else ok = jinja_buf_append(&sb, items.u.list->items[i].u.s.ptr, items.u.list->items[i].u.s.len);
        if (!ok) {
            if (v.kind == JV_LIST) jinja_fail_memory(e, site);
            else jinja_fail_buffer(e, site, &sb);
            jinja_buf_free(&sb);
            return false;
        }
    }
    if (v.kind == JV_LIST) {
        *out = l;
        return true;
    }
    *out = jv_str_copy(e->arena, sb.data ? sb.data : "", sb.len);
    jinja_buf_free(&sb);
    return out->kind == JV_STRING || jinja_fail_memory(e, site);
}

/* ---- arithmetic ----------------------------------------------------------------------------- */

static const char *op_text(jop op) {
    switch (op) {
    case JOP_ADD: return "+";
    case JOP_SUB: return "-";
    case JOP_MUL: return "*";
    case JOP_DIV: return "/";
    case JOP_FLOORDIV: return "//";
    case JOP_MOD: return "%";
    case JOP_POW: return "**";
    default: return "?";
    }
}

/* s * count for strings and lists. */
static bool repeat(jinja_eval *e, const jinja_node *site, jv seq, int64_t count, jv *out) {
    if (count < 0) count = 0;
    if (seq.kind == JV_STRING) {
        size_t len = seq.u.s.len;
        if (len && (uint64_t)count > SIZE_MAX / len) return jinja_fail_memory(e, site);
        size_t total = len * (size_t)count;
        if (!jinja_charge(e, site, total / 64)) return false;
        char *d = jinja_arena_alloc(e->arena, total + 1);
        if (!d) return jinja_fail_memory(e, site);
        for (int64_t i = 0; i < count; i++) memcpy(d + (size_t)i * len, seq.u.s.ptr, len);
        *out = jv_str_ref(d, total);
        return true;
    }
    size_t n = seq.u.list->n;
    if (n && (uint64_t)count > SIZE_MAX / sizeof(jv) / n) return jinja_fail_memory(e, site);
    if (!jinja_charge(e, site, n * (uint64_t)count / 16)) return false;
    jv l = jv_list_new(e->arena, n * (size_t)count);
    if (l.kind != JV_LIST) return jinja_fail_memory(e, site);
    l.u.list->is_tuple = seq.u.list->is_tuple;
    for (int64_t i = 0; i < count; i++)
        for (size_t k = 0; k < n; k++) jv_list_push(e->arena, l, seq.u.list->items[k]);
    *out = l;
    return true;
}

static bool int_pow(int64_t base, int64_t exp, int64_t *out) {
    int64_t r = 1;
    while (exp > 0) {
        if (exp & 1)
            if (__builtin_mul_overflow(r, base, &r)) return false;
        exp >>= 1;
        if (exp && __builtin_mul_overflow(base, base, &base)) return false;
    }
    *out = r;
    return true;
}

static bool numeric(jinja_eval *e, const jinja_node *site, jop op, jv a, jv b, jv *out) {
    bool fl = a.kind == JV_FLOAT || b.kind == JV_FLOAT || op == JOP_DIV;
    if (op == JOP_POW && !fl && num_i(b) < 0) fl = true;
    if (fl) {
        double x = num_f(a), y = num_f(b), r;
        switch (op) {
        case JOP_ADD: r = x + y; break;
        case JOP_SUB: r = x - y; break;
        case JOP_MUL: r = x * y; break;
        case JOP_DIV:
        case JOP_FLOORDIV:
        case JOP_MOD:
            if (y == 0) return jinja_fail(e, site, EI_ERR_FORMAT, "division by zero");
            if (op == JOP_DIV) {
                r = x / y;
            } else { /* CPython's float_divmod, so 1.0 // 0.1 is 9.0 as there */
                double mod = fmod(x, y), div = (x - mod) / y;
                if (mod != 0) {
                    if ((y < 0) != (mod < 0)) {
                        mod += y;
                        div -= 1.0;
                    }
                } else {
                    mod = copysign(0.0, y);
                }
                double fdiv;
                if (div != 0) {
                    fdiv = floor(div);
                    if (div - fdiv > 0.5) fdiv += 1.0;
                } else {
                    fdiv = copysign(0.0, x / y);
                }
                r = op == JOP_FLOORDIV ? fdiv : mod;
            }
            break;
        default: r = pow(x, y); break;
        }
        *out = jv_float(r);
        return true;
    }
    int64_t x = num_i(a), y = num_i(b), r = 0;
    bool overflow = false;
    switch (op) {
    case JOP_ADD: overflow = __builtin_add_overflow(x, y, &r); break;
    case JOP_SUB: overflow = __builtin_sub_overflow(x, y, &r); break;
    case JOP_MUL: overflow = __builtin_mul_overflow(x, y, &r); break;
    case JOP_FLOORDIV:
    case JOP_MOD:
        if (y == 0) return jinja_fail(e, site, EI_ERR_FORMAT, "integer division or modulo by zero");
        if (x == INT64_MIN && y == -1) {
            overflow = op == JOP_FLOORDIV;
            r = 0;
            break;
        }
        r = x / y;
        if ((x % y != 0) && ((x < 0) != (y < 0))) r--;
        if (op == JOP_MOD) r = x - r * y;
        break;
    default: overflow = !int_pow(x, y, &r); break;
    }
    if (overflow) return jinja_fail(e, site, EI_ERR_FORMAT, "integer overflow in '%s'", op_text(op));
    *out = jv_int(r);
    return true;
}

bool jinja_binary(jinja_eval *e, const jinja_node *site, jop op, jv a, jv b, jv *out) {
    if (op == JOP_TILDE) {
        jv x, y;
        return jinja_to_string(e, site, a, &x) && jinja_to_string(e, site, b, &y) && jinja_concat(e, site, x, y, out);
    }
    if (is_num(a) && is_num(b)) return numeric(e, site, op, a, b, out);
    if (op == JOP_ADD && a.kind == JV_STRING && b.kind == JV_STRING) return jinja_concat(e, site, a, b, out);
    if (op == JOP_MOD && a.kind == JV_STRING) return jinja_percent_format(e, site, a, b, out);
    if (op == JOP_ADD && a.kind == JV_LIST && b.kind == JV_LIST && a.u.list->is_tuple == b.u.list->is_tuple) {
        jv l = jv_list_new(e->arena, a.u.list->n + b.u.list->n);
        if (l.kind != JV_LIST) return jinja_fail_memory(e, site);
        l.u.list->is_tuple = a.u.list->is_tuple;
        for (size_t i = 0; i < a.u.list->n; i++) jv_list_push(e->arena, l, a.u.list->items[i]);
        for (size_t i = 0; i < b.u.list->n; i++) jv_list_push(e->arena, l, b.u.list->items[i]);
        *out = l;
        return true;
    }
    if (op == JOP_MUL && (a.kind == JV_STRING || a.kind == JV_LIST) && (b.kind == JV_INT || b.kind == JV_BOOL))
        return repeat(e, site, a, num_i(b), out);
    if (op == JOP_MUL && (b.kind == JV_STRING || b.kind == JV_LIST) && (a.kind == JV_INT || a.kind == JV_BOOL))
        return repeat(e, site, b, num_i(a), out);
    if (a.kind == JV_UNDEFINED || b.kind == JV_UNDEFINED)
        return jinja_fail(e, site, EI_ERR_FORMAT, "undefined value used in '%s' (with '%s')", op_text(op),
                          jv_kind_name(a.kind == JV_UNDEFINED ? b : a));
    return jinja_fail(e, site, EI_ERR_FORMAT, "unsupported operand types for %s: '%s' and '%s'", op_text(op),
                      jv_kind_name(a), jv_kind_name(b));
}
