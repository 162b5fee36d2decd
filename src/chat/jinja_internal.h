/*
 * jinja_internal.h — what the pieces of the Jinja interpreter share and the
 * rest of the engine does not see: tokens (jinja_lexer.c), the syntax tree
 * (jinja_parser.c), the evaluator state (jinja_eval.c), and the signatures
 * of filters and tests (jinja_filters.c, jinja_tests.c), methods and global
 * functions (jinja_methods.c, jinja_globals.c).
 */
#ifndef EI_CHAT_JINJA_INTERNAL_H
#define EI_CHAT_JINJA_INTERNAL_H

#include "chat/jinja.h"

/* ---- tokens ---------------------------------------------------------------- */

typedef enum jtok_kind {
    JT_EOF,
    JT_TEXT,        /* literal template text (already whitespace-controlled) */
    JT_VAR_BEGIN,   /* {{ */
    JT_VAR_END,     /* }} */
    JT_BLOCK_BEGIN, /* {% */
    JT_BLOCK_END,   /* %} */
    JT_NAME,
    JT_STRING,      /* text holds the decoded string */
    JT_INT,
    JT_FLOAT,
    JT_OP,
} jtok_kind;

typedef enum jop {
    JOP_NONE,
    JOP_ADD, JOP_SUB, JOP_MUL, JOP_DIV, JOP_FLOORDIV, JOP_MOD, JOP_POW, JOP_TILDE,
    JOP_EQ, JOP_NE, JOP_LT, JOP_LE, JOP_GT, JOP_GE,
    JOP_ASSIGN, JOP_PIPE, JOP_DOT, JOP_COMMA, JOP_COLON,
    JOP_LPAREN, JOP_RPAREN, JOP_LBRACKET, JOP_RBRACKET, JOP_LBRACE, JOP_RBRACE,
    /* only in the syntax tree */
    JOP_AND, JOP_OR, JOP_NOT, JOP_IN, JOP_NOTIN, JOP_NEG, JOP_POS,
} jop;

typedef struct jtok {
    jtok_kind kind;
    jop op;
    const char *text; /* name, decoded string, or raw text */
    size_t len;
    int64_t i;
    double f;
    int line, col;
} jtok;

/* Split `src` into tokens, applying whitespace control (-, +, trim_blocks,
 * lstrip_blocks) to the text between tags. Tokens live in `a`. */
ei_status jinja_lex(jinja_arena *a, const char *src, size_t len, jtok **out, size_t *n_out);

/* ---- syntax tree -------------------------------------------------------------- */

typedef enum jinja_node_kind {
    /* expressions */
    JN_LITERAL,   /* value */
    JN_NAME,      /* name */
    JN_GETATTR,   /* a.name */
    JN_GETITEM,   /* a[b] */
    JN_SLICE,     /* a[b:c:d], missing parts NULL */
    JN_CALL,      /* a(args, kwargs) */
    JN_FILTER,    /* a | name(args, kwargs); a is NULL in filter blocks */
    JN_TEST,      /* a is [not] name(args) */
    JN_UNARY,     /* op a */
    JN_BINARY,    /* a op b (and/or short-circuit) */
    JN_COMPARE,   /* a op1 b op2 c ...: first operand a, operands in args, ops in ops */
    JN_COND,      /* b if a else c */
    JN_LIST,      /* [args] */
    JN_TUPLE,     /* (args) */
    JN_DICT,      /* {args[i]: kwargs[i]} */
    JN_KWARG,     /* name=a, inside call arguments */
    /* statements */
    JN_BODY,      /* args: statements in order */
    JN_TEXT,      /* value: literal output */
    JN_OUTPUT,    /* {{ a }} */
    JN_IF,        /* if a: body b; else c (c is an IF for elif, a BODY, or NULL) */
    JN_FOR,       /* for targets(args) in a [if b]: body c; else d */
    JN_SET,       /* set target(a) = b; target is NAME, GETATTR (namespace) or TUPLE */
    JN_SET_BLOCK, /* set target(a) [| filters b]: body c */
    JN_MACRO,     /* macro name(args: NAME params, each with default in ->a): body c */
    JN_CALL_BLOCK,/* call(args: params) a(...): body c is caller() */
    JN_FILTER_BLOCK, /* filter b (a FILTER chain over NULL): body c */
    JN_BREAK,
    JN_CONTINUE,
} jinja_node_kind;

typedef struct jinja_node jinja_node;

typedef struct jinja_nodes {
    jinja_node **v;
    size_t n, cap;
} jinja_nodes;

struct jinja_node {
    jinja_node_kind kind;
    jop op;
    bool negated; /* JN_TEST: "is not" */
    int line, col;
    const char *name; /* NAME, GETATTR, FILTER, TEST, KWARG, MACRO, SET target name */
    size_t name_len;
    jv value;         /* LITERAL, TEXT */
    jinja_node *a, *b, *c, *d;
    jinja_nodes args;   /* positional arguments, items, statements, params */
    jinja_nodes kwargs; /* KWARG nodes, dict values */
    jop *ops;           /* COMPARE: one per operand in args */
    int filter_id;      /* FILTER/TEST: index in the filter/test table */
};

struct jinja_template {
    jinja_arena *arena; /* owns the tokens and the tree */
    jinja_node *root;   /* a BODY */
    jinja_limits limits;
};

/* Parse tokens into a tree in `a`. */
ei_status jinja_parse_tokens(jinja_arena *a, const jtok *toks, size_t n, const jinja_limits *lim,
                             jinja_node **root);

/* ---- evaluation --------------------------------------------------------------- */

typedef struct jinja_scope {
    struct jinja_scope *parent;
    const char **names;
    size_t *name_lens;
    jv *vals;
    size_t n, cap;
} jinja_scope;

typedef struct jinja_loop {
    int64_t index0, length;
    jv list; /* the iterated values, for previtem/nextitem */
} jinja_loop;

typedef struct jinja_eval {
    jinja_arena *arena;
    jinja_buf *out;        /* where output goes now (set blocks and macros swap it) */
    jinja_scope *globals;  /* template-level names ({% set %} at top level) */
    jinja_scope *scope;    /* innermost scope: a loop iteration, a macro call, or globals */
    jv context;            /* the caller's dict */
    const jinja_render_opts *opts;
    uint64_t steps;
    int depth;
    int control;           /* 1: break, 2: continue pending */
    ei_status status;      /* of the first failure */
} jinja_eval;

/* Record a failure at `site` (line:col in the message); returns false so
 * callers write `return jinja_fail(...)`. */
bool jinja_fail(jinja_eval *e, const jinja_node *site, ei_status s, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
/* A failure for an exhausted arena: memory limit or out of memory. */
bool jinja_fail_memory(jinja_eval *e, const jinja_node *site);
/* A failure for a text buffer that refused an append: longer than the
 * output limit, or out of memory. */
bool jinja_fail_buffer(jinja_eval *e, const jinja_node *site, const jinja_buf *b);
/* Count work proportional to `units`; false (with the error set) once the
 * step budget is spent. */
bool jinja_charge(jinja_eval *e, const jinja_node *site, uint64_t units);

bool jinja_eval_expr(jinja_eval *e, const jinja_node *n, jv *out);

/* Arguments of a filter, test, method or global, evaluated. */
typedef struct jinja_args {
    const jv *pos;
    size_t npos;
    const jinja_node *const *kwnames; /* KWARG nodes (their names) */
    const jv *kw;
    size_t nkw;
} jinja_args;

/* Positional argument `i`, else keyword `name`, else `dflt`. */
jv jinja_arg(const jinja_args *a, size_t i, const char *name, jv dflt);

typedef bool (*jinja_filter_fn)(jinja_eval *e, const jinja_node *site, jv in, const jinja_args *a, jv *out);
typedef bool (*jinja_test_fn)(jinja_eval *e, const jinja_node *site, jv in, const jinja_args *a, bool *out);

/* Index in the table, or -1. */
int jinja_filter_find(const char *name, size_t len);
int jinja_test_find(const char *name, size_t len);
bool jinja_apply_filter(jinja_eval *e, const jinja_node *site, int id, jv in, const jinja_args *a, jv *out);
bool jinja_apply_test(jinja_eval *e, const jinja_node *site, int id, jv in, const jinja_args *a, bool *out);

/* obj.name(args) for strings, dicts and lists. */
bool jinja_call_method(jinja_eval *e, const jinja_node *site, jv obj, const char *name, size_t name_len,
                       const jinja_args *a, jv *out);

/* Global functions: range, namespace, dict, raise_exception, strftime_now. */
int jinja_global_find(const char *name, size_t len); /* -1 if none */
bool jinja_call_global(jinja_eval *e, const jinja_node *site, int id, const jinja_args *a, jv *out);

/* ---- helpers shared by filters, methods and the evaluator ------------------- */

/* A new string a+b in the arena. */
bool jinja_concat(jinja_eval *e, const jinja_node *site, jv a, jv b, jv *out);
/* str(v) as a string value (strings returned as they are). */
bool jinja_to_string(jinja_eval *e, const jinja_node *site, jv v, jv *out);
/* Python's ordering for sort/comparisons; false with an error if the types
 * do not order (e.g. str < int). */
bool jinja_compare(jinja_eval *e, const jinja_node *site, jv a, jv b, int *cmp);
/* Items of an iterable as a list value: lists as they are, strings by
 * character (UTF-8 aware), dicts by key. */
bool jinja_iterate(jinja_eval *e, const jinja_node *site, jv v, jv *list_out);
/* obj.name or obj[name]: attribute first for dicts and namespaces, then
 * item (Jinja's getattr); undefined when missing. */
jv jinja_getattr(jinja_eval *e, jv obj, const char *name, size_t len);
/* obj[key] with Python indexing (negative indices); undefined when missing. */
bool jinja_getitem(jinja_eval *e, const jinja_node *site, jv obj, jv key, jv *out);
/* Python whitespace (str.isspace) at p: its byte length, or 0. */
size_t jinja_space_len(const char *p, size_t n);
/* Byte length of the UTF-8 sequence at p (1 for a stray byte). */
size_t jinja_utf8_len(const char *p, size_t n);
/* a op b for + - * / // % ** ~ (and/or are handled by the evaluator). */
bool jinja_binary(jinja_eval *e, const jinja_node *site, jop op, jv a, jv b, jv *out);
/* v[start:stop:step] for strings (by character), lists and tuples; NULL
 * bounds are omitted ones. */
bool jinja_slice(jinja_eval *e, const jinja_node *site, jv v, const jv *start, const jv *stop, const jv *step,
                 jv *out);
/* `needle in haystack`. */
bool jinja_contains(jinja_eval *e, const jinja_node *site, jv haystack, jv needle, bool *out);
/* Python str.strip/lstrip/rstrip: `chars` NULL for whitespace; which is 1
 * (left), 2 (right) or 3 (both). Returns a view into `s`. */
jv jinja_strip(jv s, const jv *chars, int which);
/* Python str.replace(old, new, count); count < 0 for all. */
bool jinja_replace(jinja_eval *e, const jinja_node *site, jv s, jv old, jv new_, int64_t count, jv *out);
/* Python's fmt % args (%s %r %d %i %%): a tuple gives several arguments, a
 * mapping none (the format must then use no conversion), anything else one. */
bool jinja_percent_format(jinja_eval *e, const jinja_node *site, jv fmt, jv args, jv *out);
/* A dict's (key, value) tuples as a list (undefined gives an empty list). */
bool jinja_dict_items(jinja_eval *e, const jinja_node *site, jv in, jv *out);
/* Number of items: characters of a string, items of a list, keys of a dict. */
bool jinja_length(jinja_eval *e, const jinja_node *site, jv v, int64_t *out);

#endif
