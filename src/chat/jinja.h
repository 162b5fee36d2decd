/*
 * jinja.h — a Jinja2 subset interpreter, enough for the chat templates that
 * GGUF files carry (tokenizer.chat_template) and that HuggingFace renders.
 *
 * The contract: jinja_parse() turns template text into a reusable template
 * (syntax errors carry line:col); jinja_render() evaluates it against a
 * context dictionary and returns the output. Rendering follows HuggingFace
 * transformers' environment: trim_blocks and lstrip_blocks on, undefined
 * names render as "" and are falsy, raise_exception() and strftime_now()
 * exist, tojson does not escape non-ASCII.
 *
 * Guarantees against hostile templates: the template length, output size,
 * memory, evaluation steps (loops) and nesting depth are bounded; exceeding
 * any of them is an error, never a crash or a hang. Values are immutable
 * except namespace() objects, so they are shared freely; everything a
 * render allocates lives in one arena freed at the end.
 *
 * The supported subset is listed in docs/chat-templates.md.
 */
#ifndef EI_CHAT_JINJA_H
#define EI_CHAT_JINJA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "edgeinfer.h"

/* ---- arena: bump allocation with a byte cap ------------------------------ */

typedef struct jinja_arena jinja_arena;

/* A new arena that refuses allocations beyond `limit_bytes` in total
 * (0: no limit). NULL when out of memory. */
jinja_arena *jinja_arena_new(size_t limit_bytes);
void jinja_arena_free(jinja_arena *a);
/* Zeroed, 16-byte aligned memory; NULL when over the cap or out of memory. */
void *jinja_arena_alloc(jinja_arena *a, size_t n);
/* True once an allocation has been refused for the cap (not plain OOM). */
bool jinja_arena_over_limit(const jinja_arena *a);

/* ---- values ------------------------------------------------------------- */

typedef enum jv_kind {
    JV_UNDEFINED = 0, /* a name or attribute that does not exist */
    JV_NONE,
    JV_BOOL,
    JV_INT,
    JV_FLOAT,
    JV_STRING,
    JV_LIST,    /* also tuples (is_tuple set): they print as (a, b) */
    JV_DICT,    /* insertion-ordered; namespace() objects are dicts with is_namespace */
    JV_MACRO,   /* a {% macro %} or the caller() of a {% call %} block */
    JV_BUILTIN, /* a global function: range, namespace, raise_exception, ... */
    JV_LOOP,    /* the `loop` variable inside a for loop */
} jv_kind;

typedef struct jv_list jv_list;
typedef struct jv_dict jv_dict;
struct jinja_node;
struct jinja_loop;
struct jinja_scope;

typedef struct jv {
    jv_kind kind;
    union {
        bool b;
        int64_t i;
        double f;
        struct {
            const char *ptr; /* not NUL-terminated; may contain any bytes */
            size_t len;
        } s;
        jv_list *list;
        jv_dict *dict;
        struct {
            const struct jinja_node *node; /* the macro or call block */
            struct jinja_scope *closure;   /* where caller() bodies see names */
        } macro;
        int builtin;
        struct jinja_loop *loop;
    } u;
} jv;

struct jv_list {
    jv *items;
    size_t n, cap;
    bool is_tuple;
    /* What Jinja's map/select/reject/unique/items filters return is a
     * Python generator: always truthy, not a sequence, without a length,
     * printed as "<generator object>". */
    bool is_generator;
};

struct jv_dict {
    jv *keys;
    jv *vals;
    size_t n, cap;
    bool is_namespace;
};

static inline jv jv_undefined(void) { jv v = {0}; v.kind = JV_UNDEFINED; return v; }
static inline jv jv_none(void) { jv v = {0}; v.kind = JV_NONE; return v; }
static inline jv jv_bool(bool b) { jv v = {0}; v.kind = JV_BOOL; v.u.b = b; return v; }
static inline jv jv_int(int64_t i) { jv v = {0}; v.kind = JV_INT; v.u.i = i; return v; }
static inline jv jv_float(double f) { jv v = {0}; v.kind = JV_FLOAT; v.u.f = f; return v; }
/* A string that points at `p` without copying: `p` must outlive the render. */
static inline jv jv_str_ref(const char *p, size_t n) {
    jv v = {0};
    v.kind = JV_STRING;
    v.u.s.ptr = p ? p : "";
    v.u.s.len = p ? n : 0;
    return v;
}
static inline jv jv_cstr_ref(const char *p) {
    size_t n = 0;
    if (p) while (p[n]) n++;
    return jv_str_ref(p, n);
}

/* Constructors that allocate return a JV_UNDEFINED value when the arena
 * refuses (callers check with jv_ok or the arena). */
jv jv_str_copy(jinja_arena *a, const char *p, size_t n);
jv jv_list_new(jinja_arena *a, size_t cap_hint);
bool jv_list_push(jinja_arena *a, jv list, jv item);
jv jv_dict_new(jinja_arena *a, size_t cap_hint);
/* Insert or replace. */
bool jv_dict_set(jinja_arena *a, jv dict, jv key, jv val);
bool jv_dict_set_cstr(jinja_arena *a, jv dict, const char *key, jv val);
/* JV_UNDEFINED when absent. */
jv jv_dict_get(jv dict, jv key);
jv jv_dict_get_cstr(jv dict, const char *key);

bool jv_truthy(jv v);
/* Python ==: 1 == 1.0, lists and dicts compare deeply. */
bool jv_equal(jv a, jv b);
/* Python's str(v) appended to a growable buffer; false when out of memory. */
typedef struct jinja_buf {
    char *data;
    size_t len, cap;
    size_t limit; /* 0: none; appends past it fail and set over_limit */
    bool over_limit;
    bool oom;
} jinja_buf;
bool jinja_buf_append(jinja_buf *b, const char *p, size_t n);
bool jinja_buf_append_str(jinja_buf *b, const char *s);
void jinja_buf_free(jinja_buf *b);
bool jv_append_str(jinja_buf *b, jv v);  /* str(v): "None", "True", "[1, 'a']" */
bool jv_append_repr(jinja_buf *b, jv v); /* repr(v): strings quoted */
/* A name for error messages: "string", "list", "undefined", ... */
const char *jv_kind_name(jv v);

/* ---- JSON ------------------------------------------------------------------ */

/* Parse JSON text into values allocated in `a`. Integers that fit in int64
 * become JV_INT, other numbers JV_FLOAT. EI_ERR_FORMAT with the byte offset on
 * malformed input. Nesting is bounded. */
ei_status jinja_json_parse(jinja_arena *a, const char *text, size_t len, jv *out);
/* json.dumps(v, ensure_ascii=False, indent=indent (<0: none),
 * separators=default, sort_keys=sort_keys), as HuggingFace's tojson. False
 * when the value cannot be serialized (macro, ...) or out of memory. */
bool jinja_json_dump(jinja_buf *b, jv v, int indent, bool sort_keys);

/* ---- templates ---------------------------------------------------------- */

typedef struct jinja_template jinja_template;

typedef struct jinja_limits {
    size_t max_template_bytes; /* source longer than this: error */
    size_t max_output_bytes;
    size_t max_memory_bytes;  /* everything a render allocates */
    uint64_t max_steps;       /* expression evaluations + loop iterations */
    int max_depth;            /* nesting of expressions, blocks and macro calls */
} jinja_limits;

/* 512 KiB template, 1 MiB output, 64 MiB memory, 20M steps, depth 200. */
jinja_limits jinja_default_limits(void);

typedef struct jinja_render_opts {
    jinja_limits limits;
    /* The clock of strftime_now(), in seconds since the epoch (local time is
     * used for formatting); negative means "now". Tests pin it. */
    int64_t now;
} jinja_render_opts;

/* Parse `len` bytes of template source. On failure the message reads
 * "syntax error at LINE:COL: ..." (or names the unknown filter/test). */
ei_status jinja_parse(const char *src, size_t len, const jinja_limits *limits, jinja_template **out);
void jinja_template_free(jinja_template *t);

/* Render with the names of `context` (a JV_DICT, or JV_UNDEFINED for none)
 * as globals. *out is malloc'd and NUL-terminated; *out_len (optional)
 * excludes the NUL. raise_exception(msg) fails with EI_ERR_ARG and the
 * message "template raised an exception at LINE:COL: msg"; other failures
 * are EI_ERR_FORMAT ("... at LINE:COL: ..."), or EI_ERR_NOMEM. */
ei_status jinja_render(const jinja_template *t, jv context, const jinja_render_opts *opts, char **out,
                       size_t *out_len);

#endif
