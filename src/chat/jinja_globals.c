/*
 * jinja_globals.c — the functions a template can call by name: Jinja's
 * range(), namespace() and dict(), and HuggingFace's raise_exception() and
 * strftime_now(). range() is capped at 100000 items like Jinja's sandbox.
 */
#include <string.h>
#include <time.h>

#include "chat/jinja_internal.h"

enum { G_RANGE, G_NAMESPACE, G_DICT, G_RAISE, G_STRFTIME, G_COUNT };

static const char *const NAMES[G_COUNT] = {"range", "namespace", "dict", "raise_exception", "strftime_now"};

#define MAX_RANGE 100000

int jinja_global_find(const char *name, size_t len) {
    for (int i = 0; i < G_COUNT; i++)
        if (strlen(NAMES[i]) == len && memcmp(NAMES[i], name, len) == 0) return i;
    return -1;
}

static bool g_range(jinja_eval *e, const jinja_node *site, const jinja_args *a, jv *out) {
    int64_t v[3] = {0, 0, 1};
    if (a->npos < 1 || a->npos > 3) return jinja_fail(e, site, EI_ERR_FORMAT, "range() takes 1 to 3 arguments");
    for (size_t i = 0; i < a->npos; i++) {
        jv x = a->pos[i];
        if (x.kind != JV_INT && x.kind != JV_BOOL)
            return jinja_fail(e, site, EI_ERR_FORMAT, "range() arguments must be integers, not '%s'", jv_kind_name(x));
        v[a->npos == 1 ? 1 : i] = x.kind == JV_INT ? x.u.i : x.u.b;
    }
    int64_t start = v[0], stop = v[1], step = v[2];
    if (step == 0) return jinja_fail(e, site, EI_ERR_FORMAT, "range() step must not be zero");
    /* count without overflow: work in doubles only for the size check */
    double count_d = step > 0 ? ((double)stop - (double)start) / (double)step : ((double)start - (double)stop) / (double)-step;
    if (count_d > MAX_RANGE)
        return jinja_fail(e, site, EI_ERR_FORMAT, "range() too big (more than %d items)", MAX_RANGE);
    jv l = jv_list_new(e->arena, 0);
    if (l.kind != JV_LIST) return jinja_fail_memory(e, site);
    for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step) {
        if (!jv_list_push(e->arena, l, jv_int(i))) return jinja_fail_memory(e, site);
        if ((step > 0 && i > INT64_MAX - step) || (step < 0 && i < INT64_MIN - step)) break;
    }
    if (!jinja_charge(e, site, l.u.list->n)) return false;
    *out = l;
    return true;
}

/* namespace(mapping?, name=value, ...) and dict(...): a fresh dict. */
static bool g_dict(jinja_eval *e, const jinja_node *site, const jinja_args *a, bool ns, jv *out) {
    jv d = jv_dict_new(e->arena, a->nkw);
    if (d.kind != JV_DICT) return jinja_fail_memory(e, site);
    d.u.dict->is_namespace = ns;
    if (a->npos > 1) return jinja_fail(e, site, EI_ERR_FORMAT, "%s() takes at most one positional argument", ns ? "namespace" : "dict");
    if (a->npos == 1) {
        jv src = a->pos[0];
        if (src.kind != JV_DICT) return jinja_fail(e, site, EI_ERR_FORMAT, "%s() argument must be a mapping", ns ? "namespace" : "dict");
        for (size_t i = 0; i < src.u.dict->n; i++)
            if (!jv_dict_set(e->arena, d, src.u.dict->keys[i], src.u.dict->vals[i])) return jinja_fail_memory(e, site);
    }
    for (size_t i = 0; i < a->nkw; i++)
        if (!jv_dict_set(e->arena, d, jv_str_ref(a->kwnames[i]->name, a->kwnames[i]->name_len), a->kw[i]))
            return jinja_fail_memory(e, site);
    *out = d;
    return true;
}

static bool g_raise(jinja_eval *e, const jinja_node *site, const jinja_args *a) {
    jv msg;
    if (!jinja_to_string(e, site, jinja_arg(a, 0, "message", jv_str_ref("", 0)), &msg)) return false;
    return jinja_fail(e, site, EI_ERR_ARG, "%.*s", (int)(msg.u.s.len > 600 ? 600 : msg.u.s.len), msg.u.s.ptr);
}

/* datetime.now().strftime(fmt); a pinned clock (tests) is read as UTC. */
static bool g_strftime(jinja_eval *e, const jinja_node *site, const jinja_args *a, jv *out) {
    jv fmt = jinja_arg(a, 0, "format", jv_undefined());
    if (fmt.kind != JV_STRING) return jinja_fail(e, site, EI_ERR_FORMAT, "strftime_now() needs a format string");
    if (fmt.u.s.len > 256) return jinja_fail(e, site, EI_ERR_FORMAT, "strftime_now() format too long");
    char f[260], buf[1024];
    memcpy(f, fmt.u.s.ptr, fmt.u.s.len);
    f[fmt.u.s.len] = '\0';
    struct tm tm;
    time_t t = e->opts->now >= 0 ? (time_t)e->opts->now : time(NULL);
    bool ok = e->opts->now >= 0 ? gmtime_r(&t, &tm) != NULL : localtime_r(&t, &tm) != NULL;
    if (!ok) return jinja_fail(e, site, EI_ERR_FORMAT, "strftime_now(): cannot read the clock");
    size_t n = f[0] ? strftime(buf, sizeof buf, f, &tm) : 0;
    *out = jv_str_copy(e->arena, buf, n);
    return out->kind == JV_STRING || jinja_fail_memory(e, site);
}

bool jinja_call_global(jinja_eval *e, const jinja_node *site, int id, const jinja_args *a, jv *out) {
    switch (id) {
    case G_RANGE: return g_range(e, site, a, out);
    case G_NAMESPACE: return g_dict(e, site, a, true, out);
    case G_DICT: return g_dict(e, site, a, false, out);
    case G_RAISE: return g_raise(e, site, a);
    case G_STRFTIME: return g_strftime(e, site, a, out);
    default: return jinja_fail(e, site, EI_ERR_FORMAT, "unknown function");
    }
}
