/*
 * jinja_tests.c — the tests of "x is name(args)" with Jinja2's meanings,
 * including its quirks: an undefined value counts as iterable and as a
 * sequence, a dict counts as a sequence, a bool counts as a number but not
 * as an integer. Unknown test names are rejected when the template is
 * parsed.
 */
#include <string.h>

#include "chat/jinja_internal.h"

static bool t_defined(jinja_eval *e, const jinja_node *s, jv v, const jinja_args *a, bool *r) { (void)e; (void)s; (void)a; *r = v.kind != JV_UNDEFINED; return true; }
static bool t_undefined(jinja_eval *e, const jinja_node *s, jv v, const jinja_args *a, bool *r) { (void)e; (void)s; (void)a; *r = v.kind == JV_UNDEFINED; return true; }
static bool t_none(jinja_eval *e, const jinja_node *s, jv v, const jinja_args *a, bool *r) { (void)e; (void)s; (void)a; *r = v.kind == JV_NONE; return true; }
static bool t_boolean(jinja_eval *e, const jinja_node *s, jv v, const jinja_args *a, bool *r) { (void)e; (void)s; (void)a; *r = v.kind == JV_BOOL; return true; }
static bool t_true(jinja_eval *e, const jinja_node *s, jv v, const jinja_args *a, bool *r) { (void)e; (void)s; (void)a; *r = v.kind == JV_BOOL && v.u.b; return true; }
static bool t_false(jinja_eval *e, const jinja_node *s, jv v, const jinja_args *a, bool *r) { (void)e; (void)s; (void)a; *r = v.kind == JV_BOOL && !v.u.b; return true; }
static bool t_integer(jinja_eval *e, const jinja_node *s, jv v, const jinja_args *a, bool *r) { (void)e; (void)s; (void)a; *r = v.kind == JV_INT; return true; }
static bool t_float(jinja_eval *e, const jinja_node *s, jv v, const jinja_args *a, bool *r) { (void)e; (void)s; (void)a; *r = v.kind == JV_FLOAT; return true; }
static bool t_number(jinja_eval *e, const jinja_node *s, jv v, const jinja_args *a, bool *r) { (void)e; (void)s; (void)a; *r = v.kind == JV_INT || v.kind == JV_FLOAT || v.kind == JV_BOOL; return true; }
static bool t_string(jinja_eval *e, const jinja_node *s, jv v, const jinja_args *a, bool *r) { (void)e; (void)s; (void)a; *r = v.kind == JV_STRING; return true; }
static bool t_mapping(jinja_eval *e, const jinja_node *s, jv v, const jinja_args *a, bool *r) { (void)e; (void)s; (void)a; *r = v.kind == JV_DICT && !v.u.dict->is_namespace; return true; }
static bool t_callable(jinja_eval *e, const jinja_node *s, jv v, const jinja_args *a, bool *r) { (void)e; (void)s; (void)a; *r = v.kind == JV_MACRO || v.kind == JV_BUILTIN; return true; }

static bool t_iterable(jinja_eval *e, const jinja_node *s, jv v, const jinja_args *a, bool *r) {
    (void)e; (void)s; (void)a;
    *r = v.kind == JV_STRING || v.kind == JV_LIST || (v.kind == JV_DICT && !v.u.dict->is_namespace) || v.kind == JV_UNDEFINED;
    return true;
}

static bool t_sequence(jinja_eval *e, const jinja_node *s, jv v, const jinja_args *a, bool *r) {
    if (!t_iterable(e, s, v, a, r)) return false;
    if (v.kind == JV_LIST && v.u.list->is_generator) *r = false;
    return true;
}

/* str(v).islower() / .isupper(), as Jinja's tests (ASCII letters). */
static bool t_lower_upper(jv v, bool upper) {
    jinja_buf b = {.limit = 1u << 20};
    if (v.kind != JV_STRING) {
        if (!jv_append_str(&b, v)) {
            jinja_buf_free(&b);
            return false;
        }
        v = jv_str_ref(b.data ? b.data : "", b.len);
    }
    bool cased = false, ok = true;
    for (size_t i = 0; ok && i < v.u.s.len; i++) {
        char c = v.u.s.ptr[i];
        if (c >= 'a' && c <= 'z') {
            ok = !upper;
            cased = true;
        } else if (c >= 'A' && c <= 'Z') {
            ok = upper;
            cased = true;
        }
    }
    jinja_buf_free(&b);
    return ok && cased;
}
static bool t_lower(jinja_eval *e, const jinja_node *s, jv v, const jinja_args *a, bool *r) { (void)e; (void)s; (void)a; *r = t_lower_upper(v, false); return true; }
static bool t_upper(jinja_eval *e, const jinja_node *s, jv v, const jinja_args *a, bool *r) { (void)e; (void)s; (void)a; *r = t_lower_upper(v, true); return true; }

static bool int_arg(jinja_eval *e, const jinja_node *s, jv v, int64_t *out) {
    if (v.kind == JV_FLOAT && v.u.f == (double)(int64_t)v.u.f) *out = (int64_t)v.u.f;
    else if (v.kind == JV_INT) *out = v.u.i;
    else if (v.kind == JV_BOOL) *out = v.u.b;
    else return jinja_fail(e, s, EI_ERR_FORMAT, "test needs an integer, not '%s'", jv_kind_name(v));
    return true;
}

static bool t_odd_even(jinja_eval *e, const jinja_node *s, jv v, bool odd, bool *r) {
    int64_t i = 0;
    if (!int_arg(e, s, v, &i)) return false;
    *r = ((i % 2) != 0) == odd;
    return true;
}
static bool t_odd(jinja_eval *e, const jinja_node *s, jv v, const jinja_args *a, bool *r) { (void)a; return t_odd_even(e, s, v, true, r); }
static bool t_even(jinja_eval *e, const jinja_node *s, jv v, const jinja_args *a, bool *r) { (void)a; return t_odd_even(e, s, v, false, r); }

static bool t_divisibleby(jinja_eval *e, const jinja_node *s, jv v, const jinja_args *a, bool *r) {
    int64_t x = 0, d = 0;
    if (!int_arg(e, s, v, &x) || !int_arg(e, s, jinja_arg(a, 0, "num", jv_undefined()), &d)) return false;
    if (d == 0) return jinja_fail(e, s, EI_ERR_FORMAT, "division by zero in divisibleby");
    *r = d == -1 || x % d == 0;
    return true;
}

static bool t_eq(jinja_eval *e, const jinja_node *s, jv v, const jinja_args *a, bool *r) { (void)e; (void)s; *r = jv_equal(v, jinja_arg(a, 0, "other", jv_undefined())); return true; }
static bool t_ne(jinja_eval *e, const jinja_node *s, jv v, const jinja_args *a, bool *r) { (void)e; (void)s; *r = !jv_equal(v, jinja_arg(a, 0, "other", jv_undefined())); return true; }

static bool t_order(jinja_eval *e, const jinja_node *s, jv v, const jinja_args *a, int want, bool or_equal, bool *r) {
    int c;
    if (!jinja_compare(e, s, v, jinja_arg(a, 0, "other", jv_undefined()), &c)) return false;
    *r = c == want || (or_equal && c == 0);
    return true;
}
static bool t_lt(jinja_eval *e, const jinja_node *s, jv v, const jinja_args *a, bool *r) { return t_order(e, s, v, a, -1, false, r); }
static bool t_le(jinja_eval *e, const jinja_node *s, jv v, const jinja_args *a, bool *r) { return t_order(e, s, v, a, -1, true, r); }
static bool t_gt(jinja_eval *e, const jinja_node *s, jv v, const jinja_args *a, bool *r) { return t_order(e, s, v, a, 1, false, r); }
static bool t_ge(jinja_eval *e, const jinja_node *s, jv v, const jinja_args *a, bool *r) { return t_order(e, s, v, a, 1, true, r); }

static bool t_in(jinja_eval *e, const jinja_node *s, jv v, const jinja_args *a, bool *r) {
    return jinja_contains(e, s, jinja_arg(a, 0, "seq", jv_undefined()), v, r);
}

static bool t_sameas(jinja_eval *e, const jinja_node *s, jv v, const jinja_args *a, bool *r) {
    (void)e; (void)s;
    jv o = jinja_arg(a, 0, "other", jv_undefined());
    if (v.kind != o.kind) *r = false;
    else if (v.kind == JV_LIST) *r = v.u.list == o.u.list;
    else if (v.kind == JV_DICT) *r = v.u.dict == o.u.dict;
    else *r = jv_equal(v, o);
    return true;
}

static bool t_filter_test(jinja_eval *e, const jinja_node *s, jv v, const jinja_args *a, bool *r, bool filters) {
    (void)e; (void)s; (void)a;
    *r = v.kind == JV_STRING &&
         (filters ? jinja_filter_find(v.u.s.ptr, v.u.s.len) : jinja_test_find(v.u.s.ptr, v.u.s.len)) >= 0;
    return true;
}
static bool t_filter(jinja_eval *e, const jinja_node *s, jv v, const jinja_args *a, bool *r) { return t_filter_test(e, s, v, a, r, true); }
static bool t_test(jinja_eval *e, const jinja_node *s, jv v, const jinja_args *a, bool *r) { return t_filter_test(e, s, v, a, r, false); }

static const struct { const char *name; jinja_test_fn fn; } TESTS[] = {
    {"boolean", t_boolean}, {"callable", t_callable}, {"defined", t_defined}, {"divisibleby", t_divisibleby},
    {"eq", t_eq}, {"equalto", t_eq}, {"even", t_even}, {"false", t_false}, {"filter", t_filter},
    {"float", t_float}, {"ge", t_ge}, {"greaterthan", t_gt}, {"gt", t_gt}, {"in", t_in},
    {"integer", t_integer}, {"iterable", t_iterable}, {"le", t_le}, {"lessthan", t_lt}, {"lower", t_lower},
    {"lt", t_lt}, {"mapping", t_mapping}, {"ne", t_ne}, {"none", t_none}, {"number", t_number},
    {"odd", t_odd}, {"sameas", t_sameas}, {"sequence", t_sequence}, {"string", t_string}, {"test", t_test},
    {"true", t_true}, {"undefined", t_undefined}, {"upper", t_upper},
};

int jinja_test_find(const char *name, size_t len) {
    for (size_t i = 0; i < sizeof TESTS / sizeof TESTS[0]; i++)
        if (strlen(TESTS[i].name) == len && memcmp(TESTS[i].name, name, len) == 0) return (int)i;
    return -1;
}

bool jinja_apply_test(jinja_eval *e, const jinja_node *site, int id, jv in, const jinja_args *a, bool *out) {
    if (id < 0 || (size_t)id >= sizeof TESTS / sizeof TESTS[0]) return jinja_fail(e, site, EI_ERR_FORMAT, "unknown test");
    return TESTS[id].fn(e, site, in, a, out);
}
