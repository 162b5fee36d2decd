/*
 * jinja_parser.c — tokens to a syntax tree, by recursive descent in the
 * order of jinja2/parser.py so that precedence matches Jinja exactly:
 *
 *   condexpr (a if c else b) < or < and < not < compare (== != < <= > >= in,
 *   not in) < + - < ~ < * / // % < ** < unary - + < primary with postfix
 *   (.attr [item] [a:b:c] (call)) and filters/tests (| f, is t).
 *
 * Statements: if/elif/else, for (targets, "if" filter, else), set (name,
 * tuple, namespace attribute, block form), macro, call blocks, filter blocks,
 * break/continue, and HuggingFace's {% generation %} (rendered as its body).
 * Unknown filters and tests are rejected here, as Jinja does at compile time.
 * Nesting depth is bounded so deep input cannot exhaust the C stack.
 */
#include <stdio.h>
#include <string.h>

#include "chat/jinja_internal.h"
#include "util/error.h"

typedef struct parser {
    jinja_arena *arena;
    const jtok *t;
    size_t n, i;
    int depth, max_depth;
    int loops; /* for-loop bodies we are in: break/continue need one */
} parser;

static const jtok *cur(parser *p) { return &p->t[p->i < p->n ? p->i : p->n - 1]; }
static const jtok *peek(parser *p, size_t k) { return &p->t[p->i + k < p->n ? p->i + k : p->n - 1]; }
static void advance(parser *p) { if (p->i + 1 < p->n) p->i++; }

static bool is_op(const jtok *t, jop op) { return t->kind == JT_OP && t->op == op; }
static bool is_name(const jtok *t, const char *kw) {
    return t->kind == JT_NAME && t->len == strlen(kw) && memcmp(t->text, kw, t->len) == 0;
}

static const char *describe(const jtok *t, char *buf, size_t cap) {
    switch (t->kind) {
    case JT_EOF: return "end of template";
    case JT_TEXT: return "template text";
    case JT_VAR_BEGIN: return "'{{'";
    case JT_VAR_END: return "'}}'";
    case JT_BLOCK_BEGIN: return "'{%'";
    case JT_BLOCK_END: return "'%}'";
    case JT_STRING: return "string literal";
    case JT_INT: case JT_FLOAT: return "number";
    default:
        snprintf(buf, cap, "'%.*s'", (int)(t->len > 40 ? 40 : t->len), t->text);
        return buf;
    }
}

static ei_status fail_at(const jtok *t, const char *fmt, const char *arg) {
    char what[256];
    snprintf(what, sizeof what, fmt, arg);
    return ei_error(EI_ERR_FORMAT, "syntax error at %d:%d: %s", t->line, t->col, what);
}

static ei_status unexpected(parser *p, const char *expected) {
    char buf[64], msg[160];
    snprintf(msg, sizeof msg, "expected %s, got %s", expected, describe(cur(p), buf, sizeof buf));
    return fail_at(cur(p), "%s", msg);
}

static ei_status expect_op(parser *p, jop op, const char *text) {
    if (!is_op(cur(p), op)) {
        char what[32];
        snprintf(what, sizeof what, "'%s'", text);
        return unexpected(p, what);
    }
    advance(p);
    return EI_OK;
}

static ei_status expect_kind(parser *p, jtok_kind k, const char *what) {
    if (cur(p)->kind != k) return unexpected(p, what);
    advance(p);
    return EI_OK;
}

static jinja_node *node_new(parser *p, jinja_node_kind kind, const jtok *at) {
    jinja_node *n = jinja_arena_alloc(p->arena, sizeof *n);
    if (!n) return NULL;
    n->kind = kind;
    n->line = at->line;
    n->col = at->col;
    n->filter_id = -1;
    return n;
}

static bool nodes_push(parser *p, jinja_nodes *v, jinja_node *n) {
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 4;
        jinja_node **d = jinja_arena_alloc(p->arena, cap * sizeof *d);
        if (!d) return false;
        if (v->n) memcpy(d, v->v, v->n * sizeof *d);
        v->v = d;
        v->cap = cap;
    }
    v->v[v->n++] = n;
    return true;
}

#define NOMEM() ei_error(EI_ERR_NOMEM, "out of memory while parsing the template")
#define TRY(x) do { ei_status s_ = (x); if (s_ != EI_OK) return s_; } while (0)
#define NEW(var, kind, at) do { (var) = node_new(p, (kind), (at)); if (!(var)) return NOMEM(); } while (0)
#define PUSH(vec, n) do { if (!nodes_push(p, (vec), (n))) return NOMEM(); } while (0)

static ei_status enter(parser *p) {
    if (++p->depth > p->max_depth) return fail_at(cur(p), "%s", "template nested too deeply");
    return EI_OK;
}

static ei_status parse_expression(parser *p, bool with_condexpr, jinja_node **out);
static ei_status parse_tuple(parser *p, bool with_condexpr, bool explicit_parens, jinja_node **out);
static ei_status parse_unary(parser *p, bool with_filter, jinja_node **out);
static ei_status parse_primary(parser *p, jinja_node **out);
static ei_status parse_postfix(parser *p, jinja_node **node);

/* ---- calls, filters, tests ------------------------------------------------------ */

/* "(" args ")" into n->args and n->kwargs. */
static ei_status parse_call_args(parser *p, jinja_node *n) {
    TRY(expect_op(p, JOP_LPAREN, "("));
    while (!is_op(cur(p), JOP_RPAREN)) {
        if (n->args.n || n->kwargs.n) {
            TRY(expect_op(p, JOP_COMMA, ","));
            if (is_op(cur(p), JOP_RPAREN)) break;
        }
        if (cur(p)->kind == JT_NAME && is_op(peek(p, 1), JOP_ASSIGN)) {
            jinja_node *kw = NULL;
            NEW(kw, JN_KWARG, cur(p));
            kw->name = cur(p)->text;
            kw->name_len = cur(p)->len;
            advance(p);
            advance(p);
            TRY(parse_expression(p, true, &kw->a));
            PUSH(&n->kwargs, kw);
        } else {
            if (n->kwargs.n) return fail_at(cur(p), "%s", "positional argument after keyword argument");
            if (is_op(cur(p), JOP_MUL) || is_op(cur(p), JOP_POW))
                return fail_at(cur(p), "%s", "*args and **kwargs are not supported");
            jinja_node *arg = NULL;
            TRY(parse_expression(p, true, &arg));
            PUSH(&n->args, arg);
        }
    }
    return expect_op(p, JOP_RPAREN, ")");
}

static ei_status parse_filter(parser *p, jinja_node *in, jinja_node **out) {
    /* the pipe is already consumed */
    const jtok *name = cur(p);
    if (name->kind != JT_NAME) return unexpected(p, "a filter name");
    jinja_node *f = NULL;
    NEW(f, JN_FILTER, name);
    f->a = in;
    f->name = name->text;
    f->name_len = name->len;
    f->filter_id = jinja_filter_find(name->text, name->len);
    if (f->filter_id < 0)
        return ei_error(EI_ERR_UNSUPPORTED, "unknown filter '%.*s' at %d:%d", (int)name->len, name->text, name->line,
                        name->col);
    advance(p);
    if (is_op(cur(p), JOP_LPAREN)) TRY(parse_call_args(p, f));
    *out = f;
    return EI_OK;
}

static ei_status parse_test(parser *p, jinja_node *in, jinja_node **out) {
    const jtok *is_tok = cur(p);
    advance(p); /* "is" */
    bool negated = false;
    if (is_name(cur(p), "not")) {
        negated = true;
        advance(p);
    }
    const jtok *name = cur(p);
    if (name->kind != JT_NAME) return unexpected(p, "a test name");
    jinja_node *t = NULL;
    NEW(t, JN_TEST, is_tok);
    t->a = in;
    t->negated = negated;
    t->name = name->text;
    t->name_len = name->len;
    t->filter_id = jinja_test_find(name->text, name->len);
    if (t->filter_id < 0)
        return ei_error(EI_ERR_UNSUPPORTED, "unknown test '%.*s' at %d:%d", (int)name->len, name->text, name->line,
                        name->col);
    advance(p);
    const jtok *c = cur(p);
    if (is_op(c, JOP_LPAREN)) {
        TRY(parse_call_args(p, t));
    } else if ((c->kind == JT_NAME || c->kind == JT_STRING || c->kind == JT_INT || c->kind == JT_FLOAT ||
                is_op(c, JOP_LBRACKET) || is_op(c, JOP_LBRACE)) &&
               !is_name(c, "else") && !is_name(c, "or") && !is_name(c, "and") && !is_name(c, "is")) {
        /* one argument without parentheses: "is divisibleby 3", "is equalto x" */
        jinja_node *arg = NULL;
        TRY(parse_primary(p, &arg));
        TRY(parse_postfix(p, &arg));
        PUSH(&t->args, arg);
    }
    *out = t;
    return EI_OK;
}

/* ---- postfix: .attr [item] [slice] (call) ------------------------------------ */

static ei_status parse_subscribed(parser *p, jinja_node **out) {
    const jtok *at = cur(p);
    jinja_node *parts[3] = {NULL, NULL, NULL};
    if (!is_op(cur(p), JOP_COLON)) {
        TRY(parse_expression(p, true, &parts[0]));
        if (!is_op(cur(p), JOP_COLON)) {
            *out = parts[0];
            return EI_OK;
        }
    }
    advance(p); /* first colon */
    if (!is_op(cur(p), JOP_COLON) && !is_op(cur(p), JOP_RBRACKET) && !is_op(cur(p), JOP_COMMA))
        TRY(parse_expression(p, true, &parts[1]));
    if (is_op(cur(p), JOP_COLON)) {
        advance(p);
        if (!is_op(cur(p), JOP_RBRACKET) && !is_op(cur(p), JOP_COMMA)) TRY(parse_expression(p, true, &parts[2]));
    }
    jinja_node *s = NULL;
    NEW(s, JN_SLICE, at);
    s->b = parts[0];
    s->c = parts[1];
    s->d = parts[2];
    *out = s;
    return EI_OK;
}

static ei_status parse_postfix(parser *p, jinja_node **node) {
    for (;;) {
        const jtok *t = cur(p);
        if (is_op(t, JOP_DOT)) {
            advance(p);
            const jtok *a = cur(p);
            if (a->kind == JT_NAME) {
                jinja_node *g = NULL;
                NEW(g, JN_GETATTR, t);
                g->a = *node;
                g->name = a->text;
                g->name_len = a->len;
                advance(p);
                *node = g;
            } else if (a->kind == JT_INT) {
                jinja_node *g, *lit;
                NEW(g, JN_GETITEM, t);
                NEW(lit, JN_LITERAL, a);
                lit->value = jv_int(a->i);
                g->a = *node;
                g->b = lit;
                advance(p);
                *node = g;
            } else {
                return unexpected(p, "an attribute name");
            }
        } else if (is_op(t, JOP_LBRACKET)) {
            advance(p);
            jinja_node *sub = NULL;
            TRY(parse_subscribed(p, &sub));
            if (is_op(cur(p), JOP_COMMA)) return fail_at(cur(p), "%s", "tuple subscripts are not supported");
            TRY(expect_op(p, JOP_RBRACKET, "]"));
            if (sub->kind == JN_SLICE) {
                sub->a = *node;
                *node = sub;
            } else {
                jinja_node *g = NULL;
                NEW(g, JN_GETITEM, t);
                g->a = *node;
                g->b = sub;
                *node = g;
            }
        } else if (is_op(t, JOP_LPAREN)) {
            jinja_node *c = NULL;
            NEW(c, JN_CALL, t);
            c->line = (*node)->line; /* errors point at the callee, not "(" */
            c->col = (*node)->col;
            c->a = *node;
            TRY(parse_call_args(p, c));
            *node = c;
        } else {
            return EI_OK;
        }
    }
}

static ei_status parse_filter_expr(parser *p, jinja_node **node) {
    for (;;) {
        const jtok *t = cur(p);
        if (is_op(t, JOP_PIPE)) {
            advance(p);
            TRY(parse_filter(p, *node, node));
        } else if (is_name(t, "is")) {
            TRY(parse_test(p, *node, node));
        } else if (is_op(t, JOP_LPAREN)) {
            jinja_node *c = NULL;
            NEW(c, JN_CALL, t);
            c->a = *node;
            TRY(parse_call_args(p, c));
            *node = c;
        } else {
            return EI_OK;
        }
    }
}

/* ---- primaries ------------------------------------------------------------------- */

static ei_status parse_list_or_dict(parser *p, bool dict, jinja_node **out) {
    const jtok *open = cur(p);
    jinja_node *n = NULL;
    NEW(n, dict ? JN_DICT : JN_LIST, open);
    advance(p);
    jop close = dict ? JOP_RBRACE : JOP_RBRACKET;
    while (!is_op(cur(p), close)) {
        if (n->args.n) {
            TRY(expect_op(p, JOP_COMMA, ","));
            if (is_op(cur(p), close)) break;
        }
        jinja_node *item = NULL;
        TRY(parse_expression(p, true, &item));
        PUSH(&n->args, item);
        if (dict) {
            TRY(expect_op(p, JOP_COLON, ":"));
            jinja_node *val = NULL;
            TRY(parse_expression(p, true, &val));
            PUSH(&n->kwargs, val);
        }
    }
    advance(p);
    *out = n;
    return EI_OK;
}

static ei_status parse_primary(parser *p, jinja_node **out) {
    TRY(enter(p));
    const jtok *t = cur(p);
    jinja_node *n = NULL;
    if (t->kind == JT_NAME) {
        NEW(n, JN_LITERAL, t);
        if (is_name(t, "true") || is_name(t, "True")) n->value = jv_bool(true);
        else if (is_name(t, "false") || is_name(t, "False")) n->value = jv_bool(false);
        else if (is_name(t, "none") || is_name(t, "None")) n->value = jv_none();
        else {
            n->kind = JN_NAME;
            n->name = t->text;
            n->name_len = t->len;
        }
        advance(p);
    } else if (t->kind == JT_STRING) {
        /* adjacent literals concatenate: 'a' 'b' */
        size_t total = 0, k = p->i;
        while (k < p->n && p->t[k].kind == JT_STRING) total += p->t[k++].len;
        NEW(n, JN_LITERAL, t);
        if (k == p->i + 1) {
            n->value = jv_str_ref(t->text, t->len);
            advance(p);
        } else {
            char *d = jinja_arena_alloc(p->arena, total + 1);
            if (!d) return NOMEM();
            size_t off = 0;
            while (cur(p)->kind == JT_STRING) {
                memcpy(d + off, cur(p)->text, cur(p)->len);
                off += cur(p)->len;
                advance(p);
            }
            n->value = jv_str_ref(d, total);
        }
    } else if (t->kind == JT_INT || t->kind == JT_FLOAT) {
        NEW(n, JN_LITERAL, t);
        n->value = t->kind == JT_INT ? jv_int(t->i) : jv_float(t->f);
        advance(p);
    } else if (is_op(t, JOP_LPAREN)) {
        advance(p);
        TRY(parse_tuple(p, true, true, &n));
        TRY(expect_op(p, JOP_RPAREN, ")"));
    } else if (is_op(t, JOP_LBRACKET)) {
        TRY(parse_list_or_dict(p, false, &n));
    } else if (is_op(t, JOP_LBRACE)) {
        TRY(parse_list_or_dict(p, true, &n));
    } else {
        return unexpected(p, "an expression");
    }
    p->depth--;
    *out = n;
    return EI_OK;
}

/* ---- operators ------------------------------------------------------------------ */

static ei_status parse_unary(parser *p, bool with_filter, jinja_node **out) {
    TRY(enter(p));
    const jtok *t = cur(p);
    jinja_node *n = NULL;
    if (is_op(t, JOP_SUB) || is_op(t, JOP_ADD)) {
        NEW(n, JN_UNARY, t);
        n->op = is_op(t, JOP_SUB) ? JOP_NEG : JOP_POS;
        advance(p);
        TRY(parse_unary(p, false, &n->a));
    } else {
        TRY(parse_primary(p, &n));
    }
    TRY(parse_postfix(p, &n));
    if (with_filter) TRY(parse_filter_expr(p, &n));
    p->depth--;
    *out = n;
    return EI_OK;
}

static jinja_node *binary(parser *p, const jtok *at, jop op, jinja_node *l, jinja_node *r) {
    jinja_node *n = node_new(p, JN_BINARY, at);
    if (n) {
        n->op = op;
        n->a = l;
        n->b = r;
    }
    return n;
}

static ei_status parse_pow(parser *p, jinja_node **out) {
    TRY(parse_unary(p, true, out));
    while (is_op(cur(p), JOP_POW)) {
        const jtok *at = cur(p);
        advance(p);
        jinja_node *r = NULL;
        TRY(parse_unary(p, true, &r));
        if (!(*out = binary(p, at, JOP_POW, *out, r))) return NOMEM();
    }
    return EI_OK;
}

static ei_status parse_math2(parser *p, jinja_node **out) {
    TRY(parse_pow(p, out));
    for (;;) {
        const jtok *at = cur(p);
        if (!(is_op(at, JOP_MUL) || is_op(at, JOP_DIV) || is_op(at, JOP_FLOORDIV) || is_op(at, JOP_MOD))) return EI_OK;
        advance(p);
        jinja_node *r = NULL;
        TRY(parse_pow(p, &r));
        if (!(*out = binary(p, at, at->op, *out, r))) return NOMEM();
    }
}

static ei_status parse_concat(parser *p, jinja_node **out) {
    TRY(parse_math2(p, out));
    while (is_op(cur(p), JOP_TILDE)) {
        const jtok *at = cur(p);
        advance(p);
        jinja_node *r = NULL;
        TRY(parse_math2(p, &r));
        if (!(*out = binary(p, at, JOP_TILDE, *out, r))) return NOMEM();
    }
    return EI_OK;
}

static ei_status parse_math1(parser *p, jinja_node **out) {
    TRY(parse_concat(p, out));
    while (is_op(cur(p), JOP_ADD) || is_op(cur(p), JOP_SUB)) {
        const jtok *at = cur(p);
        advance(p);
        jinja_node *r = NULL;
        TRY(parse_concat(p, &r));
        if (!(*out = binary(p, at, at->op, *out, r))) return NOMEM();
    }
    return EI_OK;
}

static ei_status parse_compare(parser *p, jinja_node **out) {
    jinja_node *first = NULL;
    TRY(parse_math1(p, &first));
    jinja_node *cmp = NULL;
    jop ops[64];
    size_t nops = 0;
    for (;;) {
        const jtok *t = cur(p);
        jop op = JOP_NONE;
        if (t->kind == JT_OP && (t->op == JOP_EQ || t->op == JOP_NE || t->op == JOP_LT || t->op == JOP_LE ||
                                 t->op == JOP_GT || t->op == JOP_GE)) {
            op = t->op;
            advance(p);
        } else if (is_name(t, "in")) {
            op = JOP_IN;
            advance(p);
        } else if (is_name(t, "not") && is_name(peek(p, 1), "in")) {
            op = JOP_NOTIN;
            advance(p);
            advance(p);
        } else {
            break;
        }
        if (nops == sizeof ops / sizeof ops[0]) return fail_at(t, "%s", "comparison chain too long");
        if (!cmp) {
            NEW(cmp, JN_COMPARE, t);
            cmp->a = first;
        }
        jinja_node *operand = NULL;
        TRY(parse_math1(p, &operand));
        PUSH(&cmp->args, operand);
        ops[nops++] = op;
    }
    if (!cmp) {
        *out = first;
        return EI_OK;
    }
    cmp->ops = jinja_arena_alloc(p->arena, nops * sizeof(jop));
    if (!cmp->ops) return NOMEM();
    memcpy(cmp->ops, ops, nops * sizeof(jop));
    *out = cmp;
    return EI_OK;
}

static ei_status parse_not(parser *p, jinja_node **out) {
    if (is_name(cur(p), "not")) {
        TRY(enter(p));
        jinja_node *n = NULL;
        NEW(n, JN_UNARY, cur(p));
        n->op = JOP_NOT;
        advance(p);
        TRY(parse_not(p, &n->a));
        p->depth--;
        *out = n;
        return EI_OK;
    }
    return parse_compare(p, out);
}

static ei_status parse_and(parser *p, jinja_node **out) {
    TRY(parse_not(p, out));
    while (is_name(cur(p), "and")) {
        const jtok *at = cur(p);
        advance(p);
        jinja_node *r = NULL;
        TRY(parse_not(p, &r));
        if (!(*out = binary(p, at, JOP_AND, *out, r))) return NOMEM();
    }
    return EI_OK;
}

static ei_status parse_or(parser *p, jinja_node **out) {
    TRY(parse_and(p, out));
    while (is_name(cur(p), "or")) {
        const jtok *at = cur(p);
        advance(p);
        jinja_node *r = NULL;
        TRY(parse_and(p, &r));
        if (!(*out = binary(p, at, JOP_OR, *out, r))) return NOMEM();
    }
    return EI_OK;
}

static ei_status parse_condexpr(parser *p, jinja_node **out) {
    TRY(parse_or(p, out));
    while (is_name(cur(p), "if")) {
        TRY(enter(p));
        jinja_node *c = NULL;
        NEW(c, JN_COND, cur(p));
        advance(p);
        c->b = *out;
        TRY(parse_or(p, &c->a));
        if (is_name(cur(p), "else")) {
            advance(p);
            TRY(parse_condexpr(p, &c->c));
        }
        p->depth--;
        *out = c;
    }
    return EI_OK;
}

static ei_status parse_expression(parser *p, bool with_condexpr, jinja_node **out) {
    TRY(enter(p));
    TRY(with_condexpr ? parse_condexpr(p, out) : parse_or(p, out));
    p->depth--;
    return EI_OK;
}

/* Tokens that end a bare tuple: the tag end, ")" and the words a statement
 * expects next. */
static bool tuple_end(parser *p) {
    const jtok *t = cur(p);
    return t->kind == JT_VAR_END || t->kind == JT_BLOCK_END || t->kind == JT_EOF || is_op(t, JOP_RPAREN) ||
           is_name(t, "in") || is_name(t, "recursive");
}

/* Expressions separated by commas: one expression alone, else a tuple. */
static ei_status parse_tuple(parser *p, bool with_condexpr, bool explicit_parens, jinja_node **out) {
    const jtok *at = cur(p);
    jinja_node *tuple = NULL, *first = NULL;
    for (;;) {
        if (first) TRY(expect_op(p, JOP_COMMA, ","));
        if (tuple_end(p)) break;
        jinja_node *e = NULL;
        TRY(parse_expression(p, with_condexpr, &e));
        if (!first) {
            first = e;
        } else {
            if (!tuple) {
                NEW(tuple, JN_TUPLE, at);
                PUSH(&tuple->args, first);
            }
            PUSH(&tuple->args, e);
        }
        if (!is_op(cur(p), JOP_COMMA)) break;
        if (!tuple) {
            NEW(tuple, JN_TUPLE, at);
            PUSH(&tuple->args, first);
        }
    }
    if (tuple) {
        *out = tuple;
        return EI_OK;
    }
    if (first) {
        *out = first;
        return EI_OK;
    }
    if (!explicit_parens) return unexpected(p, "an expression");
    NEW(tuple, JN_TUPLE, at);
    *out = tuple;
    return EI_OK;
}

/* ---- statements ------------------------------------------------------------------- */

static ei_status subparse(parser *p, const char *const *end_tags, jinja_node **body);

/* After "{%": true if the tag name is one of `tags` (the stream stays there). */
static bool at_tag(parser *p, const char *const *tags) {
    for (; tags && *tags; tags++)
        if (is_name(cur(p), *tags)) return true;
    return false;
}

/* Body up to one of `end_tags`; consumes the end tag's name only. */
static ei_status parse_body(parser *p, const char *const *end_tags, jinja_node **body) {
    TRY(expect_kind(p, JT_BLOCK_END, "'%}'"));
    return subparse(p, end_tags, body);
}

/* The closing "{% endX %}" where the stream stands at "endX". */
static ei_status close_tag(parser *p) {
    advance(p); /* the end tag's name */
    return expect_kind(p, JT_BLOCK_END, "'%}'");
}

/* An assignment target: a name, a tuple of names, or (with_ns) ns.attr. */
static ei_status parse_target(parser *p, bool with_ns, jinja_node **out) {
    const jtok *at = cur(p);
    jinja_node *tuple = NULL;
    for (;;) {
        const jtok *t = cur(p);
        if (t->kind != JT_NAME) return unexpected(p, "a variable name");
        jinja_node *n = NULL;
        NEW(n, JN_NAME, t);
        n->name = t->text;
        n->name_len = t->len;
        advance(p);
        if (with_ns && is_op(cur(p), JOP_DOT)) {
            advance(p);
            const jtok *a = cur(p);
            if (a->kind != JT_NAME) return unexpected(p, "an attribute name");
            jinja_node *g = NULL;
            NEW(g, JN_GETATTR, t);
            g->a = n;
            g->name = a->text;
            g->name_len = a->len;
            advance(p);
            n = g;
        }
        if (!tuple && !is_op(cur(p), JOP_COMMA)) {
            *out = n;
            return EI_OK;
        }
        if (!tuple) NEW(tuple, JN_TUPLE, at);
        PUSH(&tuple->args, n);
        if (!is_op(cur(p), JOP_COMMA)) break;
        advance(p);
        if (is_name(cur(p), "in") || is_op(cur(p), JOP_ASSIGN) || cur(p)->kind == JT_BLOCK_END) break;
    }
    *out = tuple;
    return EI_OK;
}

static ei_status parse_if(parser *p, jinja_node **out) {
    static const char *const ends[] = {"elif", "else", "endif", NULL};
    static const char *const endif[] = {"endif", NULL};
    jinja_node *n = NULL;
    TRY(enter(p)); /* elif chains recurse */
    NEW(n, JN_IF, cur(p));
    advance(p); /* if / elif */
    TRY(parse_tuple(p, false, false, &n->a));
    TRY(parse_body(p, ends, &n->b));
    if (is_name(cur(p), "elif")) {
        TRY(parse_if(p, &n->c)); /* consumes through endif */
        p->depth--;
        *out = n;
        return EI_OK;
    }
    if (is_name(cur(p), "else")) {
        advance(p);
        TRY(parse_body(p, endif, &n->c));
    }
    TRY(close_tag(p));
    p->depth--;
    *out = n;
    return EI_OK;
}

static ei_status parse_for(parser *p, jinja_node **out) {
    static const char *const ends[] = {"endfor", "else", NULL};
    static const char *const endfor[] = {"endfor", NULL};
    jinja_node *n = NULL;
    NEW(n, JN_FOR, cur(p));
    advance(p);
    jinja_node *target = NULL;
    TRY(parse_target(p, false, &target));
    if (target->kind == JN_TUPLE) n->args = target->args;
    else PUSH(&n->args, target);
    if (!is_name(cur(p), "in")) return unexpected(p, "'in'");
    advance(p);
    TRY(parse_tuple(p, false, false, &n->a));
    if (is_name(cur(p), "if")) {
        advance(p);
        TRY(parse_expression(p, true, &n->b));
    }
    if (is_name(cur(p), "recursive")) return fail_at(cur(p), "%s", "recursive loops are not supported");
    p->loops++;
    TRY(parse_body(p, ends, &n->c));
    p->loops--;
    if (is_name(cur(p), "else")) {
        advance(p);
        TRY(parse_body(p, endfor, &n->d));
    }
    TRY(close_tag(p));
    *out = n;
    return EI_OK;
}

static ei_status parse_filter_chain(parser *p, jinja_node **out) {
    jinja_node *chain = NULL;
    TRY(parse_filter(p, NULL, &chain));
    while (is_op(cur(p), JOP_PIPE)) {
        advance(p);
        TRY(parse_filter(p, chain, &chain));
    }
    *out = chain;
    return EI_OK;
}

static ei_status parse_set(parser *p, jinja_node **out) {
    static const char *const endset[] = {"endset", NULL};
    const jtok *at = cur(p);
    advance(p);
    jinja_node *target = NULL;
    TRY(parse_target(p, true, &target));
    jinja_node *n = NULL;
    if (is_op(cur(p), JOP_ASSIGN)) {
        advance(p);
        NEW(n, JN_SET, at);
        n->a = target;
        TRY(parse_tuple(p, true, false, &n->b));
        TRY(expect_kind(p, JT_BLOCK_END, "'%}'"));
    } else {
        NEW(n, JN_SET_BLOCK, at);
        n->a = target;
        if (is_op(cur(p), JOP_PIPE)) {
            advance(p);
            TRY(parse_filter_chain(p, &n->b));
        }
        TRY(parse_body(p, endset, &n->c));
        TRY(close_tag(p));
    }
    *out = n;
    return EI_OK;
}

/* "(a, b=default)" into n->args as NAME nodes with ->a the default. */
static ei_status parse_signature(parser *p, jinja_node *n) {
    TRY(expect_op(p, JOP_LPAREN, "("));
    bool defaults = false;
    while (!is_op(cur(p), JOP_RPAREN)) {
        if (n->args.n) TRY(expect_op(p, JOP_COMMA, ","));
        const jtok *t = cur(p);
        if (t->kind != JT_NAME) return unexpected(p, "a parameter name");
        jinja_node *param = NULL;
        NEW(param, JN_NAME, t);
        param->name = t->text;
        param->name_len = t->len;
        advance(p);
        if (is_op(cur(p), JOP_ASSIGN)) {
            advance(p);
            TRY(parse_expression(p, true, &param->a));
            defaults = true;
        } else if (defaults) {
            return fail_at(t, "%s", "non-default parameter follows default parameter");
        }
        PUSH(&n->args, param);
    }
    return expect_op(p, JOP_RPAREN, ")");
}

static ei_status parse_macro(parser *p, jinja_node **out) {
    static const char *const end[] = {"endmacro", NULL};
    jinja_node *n = NULL;
    NEW(n, JN_MACRO, cur(p));
    advance(p);
    const jtok *name = cur(p);
    if (name->kind != JT_NAME) return unexpected(p, "a macro name");
    n->name = name->text;
    n->name_len = name->len;
    advance(p);
    TRY(parse_signature(p, n));
    int loops = p->loops; /* a macro body is not inside the loop around it */
    p->loops = 0;
    TRY(parse_body(p, end, &n->c));
    p->loops = loops;
    TRY(close_tag(p));
    *out = n;
    return EI_OK;
}

static ei_status parse_call_block(parser *p, jinja_node **out) {
    static const char *const end[] = {"endcall", NULL};
    jinja_node *n = NULL;
    NEW(n, JN_CALL_BLOCK, cur(p));
    advance(p);
    if (is_op(cur(p), JOP_LPAREN)) TRY(parse_signature(p, n));
    TRY(parse_expression(p, true, &n->a));
    if (n->a->kind != JN_CALL) return fail_at(cur(p), "%s", "expected a macro call after 'call'");
    int loops = p->loops;
    p->loops = 0;
    TRY(parse_body(p, end, &n->c));
    p->loops = loops;
    TRY(close_tag(p));
    *out = n;
    return EI_OK;
}

static ei_status parse_statement(parser *p, jinja_node **out) {
    const jtok *t = cur(p);
    if (t->kind != JT_NAME) return unexpected(p, "a tag name");
    if (is_name(t, "if")) return parse_if(p, out);
    if (is_name(t, "for")) return parse_for(p, out);
    if (is_name(t, "set")) return parse_set(p, out);
    if (is_name(t, "macro")) return parse_macro(p, out);
    if (is_name(t, "call")) return parse_call_block(p, out);
    if (is_name(t, "filter")) {
        static const char *const end[] = {"endfilter", NULL};
        jinja_node *n = NULL;
        NEW(n, JN_FILTER_BLOCK, t);
        advance(p);
        TRY(parse_filter_chain(p, &n->b));
        TRY(parse_body(p, end, &n->c));
        TRY(close_tag(p));
        *out = n;
        return EI_OK;
    }
    if (is_name(t, "generation")) {
        static const char *const end[] = {"endgeneration", NULL};
        advance(p);
        TRY(parse_body(p, end, out));
        return close_tag(p);
    }
    if (is_name(t, "break") || is_name(t, "continue")) {
        if (!p->loops) return fail_at(t, "'%s' outside of a for loop", is_name(t, "break") ? "break" : "continue");
        jinja_node *n = NULL;
        NEW(n, is_name(t, "break") ? JN_BREAK : JN_CONTINUE, t);
        advance(p);
        TRY(expect_kind(p, JT_BLOCK_END, "'%}'"));
        *out = n;
        return EI_OK;
    }
    char name[64];
    snprintf(name, sizeof name, "%.*s", (int)(t->len > 40 ? 40 : t->len), t->text);
    if (is_name(t, "include") || is_name(t, "extends") || is_name(t, "import") || is_name(t, "from") ||
        is_name(t, "block") || is_name(t, "with") || is_name(t, "autoescape") || is_name(t, "do"))
        return fail_at(t, "tag '%s' is not supported", name);
    return fail_at(t, "unknown tag '%s'", name);
}

static ei_status subparse(parser *p, const char *const *end_tags, jinja_node **body) {
    TRY(enter(p));
    jinja_node *b = NULL;
    NEW(b, JN_BODY, cur(p));
    for (;;) {
        const jtok *t = cur(p);
        if (t->kind == JT_EOF) {
            if (end_tags && end_tags[0]) {
                const char *closing = end_tags[0];
                for (const char *const *k = end_tags; *k; k++)
                    if (strncmp(*k, "end", 3) == 0) closing = *k;
                char msg[128];
                snprintf(msg, sizeof msg, "unexpected end of template: missing '{%% %s %%}'", closing);
                return fail_at(t, "%s", msg);
            }
            break;
        }
        if (t->kind == JT_TEXT) {
            jinja_node *n = NULL;
            NEW(n, JN_TEXT, t);
            n->value = jv_str_ref(t->text, t->len);
            PUSH(&b->args, n);
            advance(p);
        } else if (t->kind == JT_VAR_BEGIN) {
            jinja_node *n = NULL;
            NEW(n, JN_OUTPUT, t);
            advance(p);
            TRY(parse_tuple(p, true, false, &n->a));
            TRY(expect_kind(p, JT_VAR_END, "'}}'"));
            PUSH(&b->args, n);
        } else if (t->kind == JT_BLOCK_BEGIN) {
            advance(p);
            if (at_tag(p, end_tags)) break;
            const jtok *name = cur(p);
            if (name->kind == JT_NAME && name->len > 3 && memcmp(name->text, "end", 3) == 0) {
                char msg[96];
                snprintf(msg, sizeof msg, "unexpected '%.*s'", (int)(name->len > 40 ? 40 : name->len), name->text);
                return fail_at(name, "%s", msg);
            }
            if ((is_name(name, "else") || is_name(name, "elif")) && name->kind == JT_NAME)
                return fail_at(name, "unexpected '%s'", is_name(name, "else") ? "else" : "elif");
            jinja_node *n = NULL;
            TRY(parse_statement(p, &n));
            PUSH(&b->args, n);
        } else {
            char buf[64];
            return fail_at(t, "unexpected %s", describe(t, buf, sizeof buf));
        }
    }
    p->depth--;
    *body = b;
    return EI_OK;
}

ei_status jinja_parse_tokens(jinja_arena *a, const jtok *toks, size_t n, const jinja_limits *lim, jinja_node **root) {
    parser p = {.arena = a, .t = toks, .n = n, .max_depth = lim->max_depth > 0 ? lim->max_depth : 200};
    return subparse(&p, NULL, root);
}

ei_status jinja_parse(const char *src, size_t len, const jinja_limits *limits, jinja_template **out) {
    *out = NULL;
    jinja_limits lim = limits ? *limits : jinja_default_limits();
    if (!src) return ei_error(EI_ERR_ARG, "template source is NULL");
    if (lim.max_template_bytes && len > lim.max_template_bytes)
        return ei_error(EI_ERR_FORMAT, "template is too long (%zu bytes; the limit is %zu)", len, lim.max_template_bytes);
    jinja_arena *a = jinja_arena_new(0);
    jinja_template *t = a ? jinja_arena_alloc(a, sizeof *t) : NULL;
    if (!t) {
        jinja_arena_free(a);
        return ei_error(EI_ERR_NOMEM, "out of memory");
    }
    jtok *toks;
    size_t ntoks;
    ei_status s = jinja_lex(a, src, len, &toks, &ntoks);
    if (s == EI_OK) s = jinja_parse_tokens(a, toks, ntoks, &lim, &t->root);
    if (s != EI_OK) {
        jinja_arena_free(a);
        return s;
    }
    t->arena = a;
    t->limits = lim;
    *out = t;
    return EI_OK;
}

void jinja_template_free(jinja_template *t) {
    if (t) jinja_arena_free(t->arena);
}
