/*
 * jinja_eval.c — runs a parsed template: statements write to the output
 * buffer, expressions produce values.
 *
 * Scoping follows Jinja2: every for-loop iteration and every macro call gets
 * a fresh scope (so {% set %} inside a loop does not leak out, which is why
 * templates use namespace()); if-blocks do not. Names resolve innermost
 * scope first, then the template's top level, then the caller's context,
 * then the global functions. Every expression and loop iteration costs a
 * step, and nesting is bounded, so no template can hang or overflow the
 * stack.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "chat/jinja_internal.h"
#include "util/error.h"

/* ---- failures and budgets ------------------------------------------------------------ */

bool jinja_fail(jinja_eval *e, const jinja_node *site, ei_status s, const char *fmt, ...) {
    if (e->status != EI_OK) return false; /* keep the first, most precise failure */
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    const char *what = s == EI_ERR_ARG ? "template raised an exception" : "render error";
    if (site) ei_error(s, "%s at %d:%d: %s", what, site->line, site->col, msg);
    else ei_error(s, "%s: %s", what, msg);
    e->status = s;
    return false;
}

bool jinja_fail_memory(jinja_eval *e, const jinja_node *site) {
    if (jinja_arena_over_limit(e->arena))
        return jinja_fail(e, site, EI_ERR_FORMAT, "template used more than %zu bytes of memory",
                          e->opts->limits.max_memory_bytes);
    return jinja_fail(e, site, EI_ERR_NOMEM, "out of memory");
}

bool jinja_fail_buffer(jinja_eval *e, const jinja_node *site, const jinja_buf *b) {
    if (b->over_limit)
        return jinja_fail(e, site, EI_ERR_FORMAT, "output longer than %zu bytes", e->opts->limits.max_output_bytes);
    return jinja_fail(e, site, EI_ERR_NOMEM, "out of memory");
}

bool jinja_charge(jinja_eval *e, const jinja_node *site, uint64_t units) {
    e->steps += units;
    if (e->steps > e->opts->limits.max_steps)
        return jinja_fail(e, site, EI_ERR_FORMAT, "template ran too long (more than %llu steps; an endless loop?)",
                          (unsigned long long)e->opts->limits.max_steps);
    return true;
}

static bool enter(jinja_eval *e, const jinja_node *site) {
    if (++e->depth > e->opts->limits.max_depth)
        return jinja_fail(e, site, EI_ERR_FORMAT, "nesting deeper than %d (runaway recursion?)", e->opts->limits.max_depth);
    return true;
}

jv jinja_arg(const jinja_args *a, size_t i, const char *name, jv dflt) {
    if (i < a->npos) return a->pos[i];
    size_t len = name ? strlen(name) : 0;
    for (size_t k = 0; name && k < a->nkw; k++)
        if (a->kwnames[k]->name_len == len && memcmp(a->kwnames[k]->name, name, len) == 0) return a->kw[k];
    return dflt;
}

/* ---- scopes ---------------------------------------------------------------------------------- */

static jinja_scope *scope_new(jinja_eval *e, jinja_scope *parent) {
    jinja_scope *s = jinja_arena_alloc(e->arena, sizeof *s);
    if (s) s->parent = parent;
    return s;
}

static bool scope_set(jinja_eval *e, jinja_scope *s, const char *name, size_t len, jv v) {
    for (size_t i = 0; i < s->n; i++)
        if (s->name_lens[i] == len && memcmp(s->names[i], name, len) == 0) {
            s->vals[i] = v;
            return true;
        }
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 8;
        const char **names = jinja_arena_alloc(e->arena, cap * sizeof *names);
        size_t *lens = jinja_arena_alloc(e->arena, cap * sizeof *lens);
        jv *vals = jinja_arena_alloc(e->arena, cap * sizeof *vals);
        if (!names || !lens || !vals) return false;
        if (s->n) {
            memcpy(names, s->names, s->n * sizeof *names);
            memcpy(lens, s->name_lens, s->n * sizeof *lens);
            memcpy(vals, s->vals, s->n * sizeof *vals);
        }
        s->names = names;
        s->name_lens = lens;
        s->vals = vals;
        s->cap = cap;
    }
    s->names[s->n] = name;
    s->name_lens[s->n] = len;
    s->vals[s->n] = v;
    s->n++;
    return true;
}

static bool scope_find(const jinja_scope *s, const char *name, size_t len, jv *out) {
    for (; s; s = s->parent)
        for (size_t i = s->n; i-- > 0;)
            if (s->name_lens[i] == len && memcmp(s->names[i], name, len) == 0) {
                *out = s->vals[i];
                return true;
            }
    return false;
}

static jv lookup(jinja_eval *e, const char *name, size_t len) {
    jv v;
    if (scope_find(e->scope, name, len, &v)) return v;
    if (e->context.kind == JV_DICT) {
        v = jv_dict_get(e->context, jv_str_ref(name, len));
        if (v.kind != JV_UNDEFINED) return v;
    }
    int g = jinja_global_find(name, len);
    if (g >= 0) {
        jv f = {0};
        f.kind = JV_BUILTIN;
        f.u.builtin = g;
        return f;
    }
    return jv_undefined();
}

static bool bind(jinja_eval *e, const jinja_node *site, const char *name, size_t len, jv v) {
    return scope_set(e, e->scope, name, len, v) || jinja_fail_memory(e, site);
}

/* ---- expressions -------------------------------------------------------------------------- */

/* Evaluate n->args and n->kwargs into arrays in the arena. */
static bool eval_args(jinja_eval *e, const jinja_node *n, jinja_args *a) {
    memset(a, 0, sizeof *a);
    jv *pos = n->args.n ? jinja_arena_alloc(e->arena, n->args.n * sizeof(jv)) : NULL;
    jv *kw = n->kwargs.n ? jinja_arena_alloc(e->arena, n->kwargs.n * sizeof(jv)) : NULL;
    if ((n->args.n && !pos) || (n->kwargs.n && !kw)) return jinja_fail_memory(e, n);
    for (size_t i = 0; i < n->args.n; i++)
        if (!jinja_eval_expr(e, n->args.v[i], &pos[i])) return false;
    for (size_t i = 0; i < n->kwargs.n; i++)
        if (!jinja_eval_expr(e, n->kwargs.v[i]->a, &kw[i])) return false;
    a->pos = pos;
    a->npos = n->args.n;
    a->kwnames = (const jinja_node *const *)n->kwargs.v;
    a->kw = kw;
    a->nkw = n->kwargs.n;
    return true;
}

static bool exec_body(jinja_eval *e, const jinja_node *body);

/* Run `body` with output captured into a new string value. */
static bool capture(jinja_eval *e, const jinja_node *site, const jinja_node *body, jv *out) {
    jinja_buf buf = {.limit = e->opts->limits.max_output_bytes};
    jinja_buf *saved = e->out;
    e->out = &buf;
    bool ok = exec_body(e, body);
    e->out = saved;
    if (ok) {
        *out = jv_str_copy(e->arena, buf.data ? buf.data : "", buf.len);
        if (out->kind != JV_STRING) ok = jinja_fail_memory(e, site);
    }
    jinja_buf_free(&buf);
    return ok;
}

static bool call_macro_with_caller(jinja_eval *e, const jinja_node *site, jv macro, const jinja_args *a, jv caller,
                                   jv *out) {
    const jinja_node *m = macro.u.macro.node;
    if (!enter(e, site)) return false;
    jinja_scope *s = scope_new(e, macro.u.macro.closure);
    if (!s) return jinja_fail_memory(e, site);
    jinja_scope *saved = e->scope;
    e->scope = s;
    bool ok = true;
    for (size_t i = 0; ok && i < m->args.n; i++) {
        const jinja_node *param = m->args.v[i];
        jv v = jinja_arg(a, i, NULL, jv_undefined());
        if (i >= a->npos) {
            bool found = false;
            for (size_t k = 0; k < a->nkw; k++)
                if (a->kwnames[k]->name_len == param->name_len &&
                    memcmp(a->kwnames[k]->name, param->name, param->name_len) == 0) {
                    v = a->kw[k];
                    found = true;
                }
            if (!found && param->a) ok = jinja_eval_expr(e, param->a, &v);
        }
        if (ok) ok = bind(e, site, param->name, param->name_len, v);
    }
    if (ok && caller.kind == JV_MACRO) ok = bind(e, site, "caller", 6, caller);
    int control = e->control;
    e->control = 0;
    if (ok) ok = capture(e, site, m->c, out);
    e->control = control;
    e->scope = saved;
    e->depth--;
    return ok;
}

static bool eval_call(jinja_eval *e, const jinja_node *n, jv caller, jv *out) {
    const jinja_node *callee = n->a;
    jinja_args a;
    if (callee->kind == JN_GETATTR) {
        jv obj;
        if (!jinja_eval_expr(e, callee->a, &obj)) return false;
        if (obj.kind == JV_STRING || obj.kind == JV_LIST || obj.kind == JV_LOOP ||
            (obj.kind == JV_DICT && !obj.u.dict->is_namespace)) {
            jv member = jinja_getattr(e, obj, callee->name, callee->name_len);
            if (member.kind != JV_MACRO && member.kind != JV_BUILTIN) {
                if (!eval_args(e, n, &a)) return false;
                return jinja_call_method(e, n, obj, callee->name, callee->name_len, &a, out);
            }
        }
    }
    jv f;
    if (!jinja_eval_expr(e, callee, &f)) return false;
    if (!eval_args(e, n, &a)) return false;
    if (f.kind == JV_MACRO) return call_macro_with_caller(e, n, f, &a, caller, out);
    if (f.kind == JV_BUILTIN) return jinja_call_global(e, n, f.u.builtin, &a, out);
    if (callee->kind == JN_NAME)
        return jinja_fail(e, n, EI_ERR_FORMAT, "'%.*s' is %s and cannot be called", (int)callee->name_len, callee->name,
                          f.kind == JV_UNDEFINED ? "undefined" : "not a function");
    return jinja_fail(e, n, EI_ERR_FORMAT, "'%s' object is not callable", jv_kind_name(f));
}

/* Apply a chain of FILTER nodes whose innermost input is NULL to `in`. */
static bool apply_filter_chain(jinja_eval *e, const jinja_node *f, jv in, jv *out) {
    if (f->a && !apply_filter_chain(e, f->a, in, &in)) return false;
    jinja_args a;
    if (!eval_args(e, f, &a)) return false;
    return jinja_apply_filter(e, f, f->filter_id, in, &a, out);
}

static bool eval_compare(jinja_eval *e, const jinja_node *n, jv *out) {
    jv left;
    if (!jinja_eval_expr(e, n->a, &left)) return false;
    for (size_t i = 0; i < n->args.n; i++) {
        jv right;
        if (!jinja_eval_expr(e, n->args.v[i], &right)) return false;
        bool r;
        int c;
        switch (n->ops[i]) {
        case JOP_EQ: r = jv_equal(left, right); break;
        case JOP_NE: r = !jv_equal(left, right); break;
        case JOP_IN: case JOP_NOTIN:
            if (!jinja_contains(e, n, right, left, &r)) return false;
            if (n->ops[i] == JOP_NOTIN) r = !r;
            break;
        default:
            if (!jinja_compare(e, n, left, right, &c)) return false;
            r = n->ops[i] == JOP_LT ? c < 0 : n->ops[i] == JOP_LE ? c <= 0 : n->ops[i] == JOP_GT ? c > 0 : c >= 0;
        }
        if (!r) {
            *out = jv_bool(false);
            return true;
        }
        left = right;
    }
    *out = jv_bool(true);
    return true;
}

static bool eval_collection(jinja_eval *e, const jinja_node *n, jv *out) {
    if (n->kind == JN_DICT) {
        jv d = jv_dict_new(e->arena, n->args.n);
        if (d.kind != JV_DICT) return jinja_fail_memory(e, n);
        for (size_t i = 0; i < n->args.n; i++) {
            jv k, v;
            if (!jinja_eval_expr(e, n->args.v[i], &k) || !jinja_eval_expr(e, n->kwargs.v[i], &v)) return false;
            if (!jv_dict_set(e->arena, d, k, v)) return jinja_fail_memory(e, n);
        }
        *out = d;
        return true;
    }
    jv l = jv_list_new(e->arena, n->args.n);
    if (l.kind != JV_LIST) return jinja_fail_memory(e, n);
    l.u.list->is_tuple = n->kind == JN_TUPLE;
    for (size_t i = 0; i < n->args.n; i++) {
        jv v;
        if (!jinja_eval_expr(e, n->args.v[i], &v)) return false;
        jv_list_push(e->arena, l, v);
    }
    *out = l;
    return true;
}

static bool eval_inner(jinja_eval *e, const jinja_node *n, jv *out) {
    jv a, b;
    switch (n->kind) {
    case JN_LITERAL:
        *out = n->value;
        return true;
    case JN_NAME:
        *out = lookup(e, n->name, n->name_len);
        return true;
    case JN_GETATTR:
        if (!jinja_eval_expr(e, n->a, &a)) return false;
        *out = jinja_getattr(e, a, n->name, n->name_len);
        return true;
    case JN_GETITEM:
        return jinja_eval_expr(e, n->a, &a) && jinja_eval_expr(e, n->b, &b) && jinja_getitem(e, n, a, b, out);
    case JN_SLICE: {
        jv parts[3] = {jv_none(), jv_none(), jv_none()};
        const jinja_node *pn[3] = {n->b, n->c, n->d};
        if (!jinja_eval_expr(e, n->a, &a)) return false;
        for (int i = 0; i < 3; i++)
            if (pn[i] && !jinja_eval_expr(e, pn[i], &parts[i])) return false;
        return jinja_slice(e, n, a, &parts[0], &parts[1], &parts[2], out);
    }
    case JN_CALL:
        return eval_call(e, n, jv_undefined(), out);
    case JN_FILTER: {
        jinja_args args;
        return jinja_eval_expr(e, n->a, &a) && eval_args(e, n, &args) &&
               jinja_apply_filter(e, n, n->filter_id, a, &args, out);
    }
    case JN_TEST: {
        jinja_args args;
        bool r;
        if (!jinja_eval_expr(e, n->a, &a) || !eval_args(e, n, &args) ||
            !jinja_apply_test(e, n, n->filter_id, a, &args, &r))
            return false;
        *out = jv_bool(n->negated ? !r : r);
        return true;
    }
    case JN_UNARY:
        if (!jinja_eval_expr(e, n->a, &a)) return false;
        if (n->op == JOP_NOT) {
            *out = jv_bool(!jv_truthy(a));
            return true;
        }
        if (a.kind == JV_INT || a.kind == JV_BOOL) {
            int64_t i = a.kind == JV_INT ? a.u.i : a.u.b;
            if (n->op == JOP_NEG && i == INT64_MIN) return jinja_fail(e, n, EI_ERR_FORMAT, "integer overflow in '-'");
            *out = jv_int(n->op == JOP_NEG ? -i : i);
            return true;
        }
        if (a.kind == JV_FLOAT) {
            *out = jv_float(n->op == JOP_NEG ? -a.u.f : a.u.f);
            return true;
        }
        return jinja_fail(e, n, EI_ERR_FORMAT, "bad operand type for unary %s: '%s'", n->op == JOP_NEG ? "-" : "+",
                          jv_kind_name(a));
    case JN_BINARY:
        if (!jinja_eval_expr(e, n->a, &a)) return false;
        if (n->op == JOP_AND || n->op == JOP_OR) {
            bool t = jv_truthy(a);
            if ((n->op == JOP_AND && !t) || (n->op == JOP_OR && t)) {
                *out = a;
                return true;
            }
            return jinja_eval_expr(e, n->b, out);
        }
        return jinja_eval_expr(e, n->b, &b) && jinja_binary(e, n, n->op, a, b, out);
    case JN_COMPARE:
        return eval_compare(e, n, out);
    case JN_COND:
        if (!jinja_eval_expr(e, n->a, &a)) return false;
        if (jv_truthy(a)) return jinja_eval_expr(e, n->b, out);
        if (n->c) return jinja_eval_expr(e, n->c, out);
        *out = jv_undefined();
        return true;
    case JN_LIST: case JN_TUPLE: case JN_DICT:
        return eval_collection(e, n, out);
    default:
        return jinja_fail(e, n, EI_ERR_FORMAT, "not an expression");
    }
}

bool jinja_eval_expr(jinja_eval *e, const jinja_node *n, jv *out) {
    if (!enter(e, n) || !jinja_charge(e, n, 1)) return false;
    bool ok = eval_inner(e, n, out);
    e->depth--;
    return ok;
}

/* ---- statements ------------------------------------------------------------------------------- */

static bool emit(jinja_eval *e, const jinja_node *site, jv v) {
    bool ok = v.kind == JV_STRING ? jinja_buf_append(e->out, v.u.s.ptr, v.u.s.len) : jv_append_str(e->out, v);
    return ok || jinja_fail_buffer(e, site, e->out);
}

/* Assign `v` to a target: a name, a tuple of names, or namespace.attr. */
static bool assign(jinja_eval *e, const jinja_node *target, jv v) {
    if (target->kind == JN_NAME) return bind(e, target, target->name, target->name_len, v);
    if (target->kind == JN_GETATTR) {
        jv ns = lookup(e, target->a->name, target->a->name_len);
        if (ns.kind != JV_DICT || !ns.u.dict->is_namespace)
            return jinja_fail(e, target, EI_ERR_FORMAT, "cannot assign attribute on non-namespace object '%.*s'",
                              (int)target->a->name_len, target->a->name);
        return jv_dict_set(e->arena, ns, jv_str_ref(target->name, target->name_len), v) || jinja_fail_memory(e, target);
    }
    jv items;
    if (!jinja_iterate(e, target, v, &items)) return false;
    if (items.u.list->n != target->args.n)
        return jinja_fail(e, target, EI_ERR_FORMAT, "cannot unpack %zu values into %zu names", items.u.list->n,
                          target->args.n);
    for (size_t i = 0; i < target->args.n; i++)
        if (!assign(e, target->args.v[i], items.u.list->items[i])) return false;
    return true;
}

static bool bind_loop_targets(jinja_eval *e, const jinja_node *n, jv item) {
    if (n->args.n == 1) return assign(e, n->args.v[0], item);
    jinja_node tuple = *n;
    tuple.kind = JN_TUPLE;
    return assign(e, &tuple, item);
}

static bool exec_for(jinja_eval *e, const jinja_node *n) {
    jv iterable, items;
    if (!jinja_eval_expr(e, n->a, &iterable) || !jinja_iterate(e, n->a, iterable, &items)) return false;
    jinja_scope *saved = e->scope;
    bool ok = true;
    if (n->b) { /* the loop's "if": filter first, so loop.length counts what remains */
        jv kept = jv_list_new(e->arena, items.u.list->n);
        if (kept.kind != JV_LIST) return jinja_fail_memory(e, n);
        jinja_scope *probe = scope_new(e, saved);
        if (!probe) return jinja_fail_memory(e, n);
        for (size_t i = 0; ok && i < items.u.list->n; i++) {
            jv cond;
            ok = jinja_charge(e, n, 1);
            if (!ok) break;
            probe->n = 0;
            e->scope = probe;
            ok = bind_loop_targets(e, n, items.u.list->items[i]) && jinja_eval_expr(e, n->b, &cond);
            if (ok && jv_truthy(cond)) jv_list_push(e->arena, kept, items.u.list->items[i]);
        }
        e->scope = saved;
        if (!ok) return false;
        items = kept;
    }
    jinja_loop *loop = jinja_arena_alloc(e->arena, sizeof *loop);
    if (!loop) return jinja_fail_memory(e, n);
    loop->length = (int64_t)items.u.list->n;
    loop->list = items;
    jv loop_value = {0};
    loop_value.kind = JV_LOOP;
    loop_value.u.loop = loop;
    /* One scope for all iterations, emptied each time: a fresh scope per
     * iteration would cost memory in proportion to the iterations. */
    jinja_scope *iteration = scope_new(e, saved);
    if (!iteration) return jinja_fail_memory(e, n);
    for (size_t i = 0; ok && i < items.u.list->n; i++) {
        loop->index0 = (int64_t)i;
        if (!jinja_charge(e, n, 1)) {
            ok = false;
            break;
        }
        iteration->n = 0;
        e->scope = iteration;
        ok = bind(e, n, "loop", 4, loop_value) && bind_loop_targets(e, n, items.u.list->items[i]) &&
             exec_body(e, n->c);
        int control = e->control;
        e->control = 0;
        if (control == 1) break;
    }
    e->scope = saved;
    if (ok && items.u.list->n == 0 && n->d) ok = exec_body(e, n->d);
    return ok;
}

static bool exec_stmt(jinja_eval *e, const jinja_node *n) {
    jv v;
    switch (n->kind) {
    case JN_TEXT:
        return emit(e, n, n->value);
    case JN_OUTPUT:
        return jinja_eval_expr(e, n->a, &v) && emit(e, n, v);
    case JN_IF:
        if (!jinja_eval_expr(e, n->a, &v)) return false;
        if (jv_truthy(v)) return exec_body(e, n->b);
        if (!n->c) return true;
        return n->c->kind == JN_IF ? exec_stmt(e, n->c) : exec_body(e, n->c);
    case JN_FOR:
        return exec_for(e, n);
    case JN_SET:
        return jinja_eval_expr(e, n->b, &v) && assign(e, n->a, v);
    case JN_SET_BLOCK:
        if (!capture(e, n, n->c, &v)) return false;
        if (n->b && !apply_filter_chain(e, n->b, v, &v)) return false;
        return assign(e, n->a, v);
    case JN_FILTER_BLOCK:
        return capture(e, n, n->c, &v) && apply_filter_chain(e, n->b, v, &v) && emit(e, n, v);
    case JN_MACRO:
        v.kind = JV_MACRO;
        v.u.macro.node = n;
        v.u.macro.closure = e->scope;
        return bind(e, n, n->name, n->name_len, v);
    case JN_CALL_BLOCK: {
        jv caller = {0};
        caller.kind = JV_MACRO;
        caller.u.macro.node = n; /* its params are args, its body c: a macro shape */
        caller.u.macro.closure = e->scope;
        return eval_call(e, n->a, caller, &v) && emit(e, n, v);
    }
    case JN_BREAK:
        e->control = 1;
        return true;
    case JN_CONTINUE:
        e->control = 2;
        return true;
    case JN_BODY:
        return exec_body(e, n);
    default:
        return jinja_fail(e, n, EI_ERR_FORMAT, "not a statement");
    }
}

static bool exec_body(jinja_eval *e, const jinja_node *body) {
    if (!enter(e, body)) return false;
    bool ok = true;
    for (size_t i = 0; ok && i < body->args.n && !e->control; i++) ok = exec_stmt(e, body->args.v[i]);
    e->depth--;
    return ok;
}

/* ---- entry point --------------------------------------------------------------------------- */

jinja_limits jinja_default_limits(void) {
    jinja_limits l = {
        .max_template_bytes = 512u * 1024u,
        .max_output_bytes = 1024u * 1024u,
        .max_memory_bytes = 64u * 1024u * 1024u,
        .max_steps = 20u * 1000u * 1000u,
        .max_depth = 200,
    };
    return l;
}

ei_status jinja_render(const jinja_template *t, jv context, const jinja_render_opts *opts, char **out,
                       size_t *out_len) {
    if (!t || !out) return ei_error(EI_ERR_ARG, "jinja_render: NULL argument");
    *out = NULL;
    jinja_render_opts o;
    if (opts) {
        o = *opts;
    } else {
        o.limits = t->limits;
        o.now = -1;
    }
    jinja_limits d = jinja_default_limits();
    if (!o.limits.max_output_bytes) o.limits.max_output_bytes = d.max_output_bytes;
    if (!o.limits.max_memory_bytes) o.limits.max_memory_bytes = d.max_memory_bytes;
    if (!o.limits.max_steps) o.limits.max_steps = d.max_steps;
    if (o.limits.max_depth <= 0) o.limits.max_depth = d.max_depth;

    jinja_buf buf = {.limit = o.limits.max_output_bytes};
    jinja_eval e = {.out = &buf, .context = context, .opts = &o};
    e.arena = jinja_arena_new(o.limits.max_memory_bytes);
    if (!e.arena) return ei_error(EI_ERR_NOMEM, "out of memory");
    e.globals = e.scope = scope_new(&e, NULL);
    bool ok = e.globals != NULL ? exec_body(&e, t->root) : jinja_fail_memory(&e, NULL);
    jinja_arena_free(e.arena);
    if (!ok) {
        jinja_buf_free(&buf);
        return e.status != EI_OK ? e.status : ei_error(EI_ERR_FORMAT, "render failed");
    }
    if (!buf.data && !jinja_buf_append(&buf, "", 0)) return ei_error(EI_ERR_NOMEM, "out of memory");
    *out = buf.data;
    if (out_len) *out_len = buf.len;
    return EI_OK;
}
