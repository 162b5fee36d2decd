/*
 * profile.c — EDGEINFER_PROFILE=1: where a model's time goes, op by op.
 *
 * A backend that wraps another: every op is passed on unchanged, and the
 * compute ops (and the load-time prepare_weight) are timed, separately for
 * one-row calls (generation) and calls of several rows (prompts, batches).
 * When the model is freed, a table goes to stderr: per op and row kind,
 * calls, total milliseconds, microseconds per call and share of the time.
 * The forward pass is not touched; with the variable unset nothing is
 * wrapped and nothing costs anything. The counters are plain: one thread
 * drives a model's ops at a time, as in every edgeinfer front end (the
 * server's scheduler included).
 */
#include "runtime/profile.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

enum {
    P_PREPARE,
    P_GET_ROWS,
    P_MATMUL,
    P_MATMUL_SHARED,
    P_RMS_NORM,
    P_ADD,
    P_ADD_BIAS,
    P_SCALE,
    P_SOFTCAP,
    P_ROPE,
    P_GLU,
    P_KV_STORE,
    P_ATTENTION,
    P_ATTENTION_MULTI,
    P_COUNT
};

static const char *const op_names[P_COUNT] = {
    "prepare_weight", "get_rows", "matmul", "matmul_shared", "rms_norm", "add", "add_bias",
    "scale", "softcap", "rope", "glu", "kv_store", "attention", "attention_multi",
};

typedef struct prof_backend {
    ei_backend base;
    ei_backend *inner;
    double ns[P_COUNT][2]; /* [op][0: one row, 1: several] */
    long calls[P_COUNT][2];
    int several; /* the rows of the last op that has rows: element-wise ops count with it */
} prof_backend;

static prof_backend *pb(ei_backend *be) { return (prof_backend *)be; }
static ei_backend *in(ei_backend *be) { return pb(be)->inner; }

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* Time one call of the inner backend's op; `several` picks the column. */
#define TIMED(be, id, several_, call)                     \
    do {                                                  \
        prof_backend *p_ = pb(be);                        \
        p_->several = (several_) ? 1 : 0;                 \
        const double t0_ = now_ns();                      \
        call;                                             \
        p_->ns[id][p_->several] += now_ns() - t0_;        \
        p_->calls[id][p_->several]++;                     \
    } while (0)

static void print_table(const prof_backend *p) {
    double total = 0;
    for (int i = 0; i < P_COUNT; i++) total += p->ns[i][0] + p->ns[i][1];
    if (total <= 0) return;
    fprintf(stderr, "edgeinfer profile (%s backend): op, rows, calls, ms, us/call, share\n",
                    p->inner->ops->name);
    for (int i = 0; i < P_COUNT; i++)
        for (int k = 0; k < 2; k++) {
            if (!p->calls[i][k]) continue;
            const char *rows = i == P_PREPARE ? "load" : k ? "batch" : "1 row";
            fprintf(stderr, "  %-16s %-6s %9ld %10.1f %10.1f %6.1f %%\n", op_names[i], rows,
                    p->calls[i][k], p->ns[i][k] / 1e6, p->ns[i][k] / 1e3 / (double)p->calls[i][k],
                    100.0 * p->ns[i][k] / total);
        }
}

static void prof_free(ei_backend *be) {
    if (!be) return;
    print_table(pb(be));
    ei_backend *inner = in(be);
    inner->ops->free(inner);
    free((void *)be->ops);
    free(be);
}

static ei_status prof_alloc(ei_backend *be, size_t bytes, void **ptr) { return in(be)->ops->alloc(in(be), bytes, ptr); }
static void prof_release(ei_backend *be, void *ptr) { in(be)->ops->release(in(be), ptr); }
static ei_status prof_upload(ei_backend *be, void *dst, const void *src, size_t n) {
    return in(be)->ops->upload(in(be), dst, src, n);
}
static ei_status prof_download(ei_backend *be, void *dst, const void *src, size_t n) {
    return in(be)->ops->download(in(be), dst, src, n);
}

static ei_status prof_prepare_weight(ei_backend *be, ei_tensor *t, bool file_mapped) {
    if (!in(be)->ops->prepare_weight) return EI_OK;
    ei_status s;
    TIMED(be, P_PREPARE, 0, s = in(be)->ops->prepare_weight(in(be), t, file_mapped));
    return s;
}
static void prof_release_weight(ei_backend *be, ei_tensor *t) {
    if (in(be)->ops->release_weight) in(be)->ops->release_weight(in(be), t);
}

static void prof_get_rows(ei_backend *be, const ei_tensor *w, const int32_t *ids, int n, float *out) {
    TIMED(be, P_GET_ROWS, n > 1, in(be)->ops->get_rows(in(be), w, ids, n, out));
}
static void prof_matmul(ei_backend *be, const ei_tensor *w, const float *x, int rows, float *y) {
    TIMED(be, P_MATMUL, rows > 1, in(be)->ops->matmul(in(be), w, x, rows, y));
}
static void prof_matmul_shared(ei_backend *be, const ei_tensor *const *ws, int n_w, const float *x, int rows,
                               float *const *ys) {
    TIMED(be, P_MATMUL_SHARED, rows > 1, in(be)->ops->matmul_shared(in(be), ws, n_w, x, rows, ys));
}
static void prof_rms_norm(ei_backend *be, const float *x, const float *w, int rows, int n, float eps, float *y) {
    TIMED(be, P_RMS_NORM, rows > 1, in(be)->ops->rms_norm(in(be), x, w, rows, n, eps, y));
}
/* element-wise ops do not know their rows: they count with the op before */
static void prof_add(ei_backend *be, const float *a, const float *b, int64_t n, float *y) {
    TIMED(be, P_ADD, pb(be)->several, in(be)->ops->add(in(be), a, b, n, y));
}
static void prof_add_bias(ei_backend *be, float *x, const float *bias, int rows, int n) {
    TIMED(be, P_ADD_BIAS, rows > 1, in(be)->ops->add_bias(in(be), x, bias, rows, n));
}
static void prof_scale(ei_backend *be, float *x, int64_t n, float s) {
    TIMED(be, P_SCALE, pb(be)->several, in(be)->ops->scale(in(be), x, n, s));
}
static void prof_softcap(ei_backend *be, float *x, int64_t n, float cap) {
    TIMED(be, P_SOFTCAP, pb(be)->several, in(be)->ops->softcap(in(be), x, n, cap));
}
static void prof_rope(ei_backend *be, float *x, int rows, int n_head, int head_dim, const int32_t *pos,
                      const ei_rope_params *p) {
    TIMED(be, P_ROPE, rows > 1, in(be)->ops->rope(in(be), x, rows, n_head, head_dim, pos, p));
}
static void prof_glu(ei_backend *be, const float *gate, const float *up, int64_t n, ei_act act, float *y) {
    TIMED(be, P_GLU, pb(be)->several, in(be)->ops->glu(in(be), gate, up, n, act, y));
}
static void prof_kv_store(ei_backend *be, ei_kv_layer *kv, const float *k, const float *v, int rows, int width,
                          const int32_t *pos) {
    TIMED(be, P_KV_STORE, rows > 1, in(be)->ops->kv_store(in(be), kv, k, v, rows, width, pos));
}
static void prof_attention(ei_backend *be, const float *q, const int32_t *pos, int rows, const ei_kv_layer *kv,
                           int n_kv, const ei_attn_params *p, float *out) {
    TIMED(be, P_ATTENTION, rows > 1, in(be)->ops->attention(in(be), q, pos, rows, kv, n_kv, p, out));
}
static void prof_attention_multi(ei_backend *be, const float *q, const int32_t *pos, int rows,
                                 const ei_kv_layer *const *kv, const ei_attn_params *p, float *out) {
    TIMED(be, P_ATTENTION_MULTI, rows > 1, in(be)->ops->attention_multi(in(be), q, pos, rows, kv, p, out));
}

static const ei_backend_ops prof_ops = {
    .name = "profile",
    .free = prof_free,
    .alloc = prof_alloc,
    .release = prof_release,
    .upload = prof_upload,
    .download = prof_download,
    .prepare_weight = prof_prepare_weight,
    .release_weight = prof_release_weight,
    .get_rows = prof_get_rows,
    .matmul = prof_matmul,
    .matmul_shared = prof_matmul_shared,
    .rms_norm = prof_rms_norm,
    .add = prof_add,
    .add_bias = prof_add_bias,
    .scale = prof_scale,
    .softcap = prof_softcap,
    .rope = prof_rope,
    .glu = prof_glu,
    .kv_store = prof_kv_store,
    .attention = prof_attention,
    .attention_multi = prof_attention_multi,
};

bool ei_profile_wanted(void) {
    const char *v = getenv("EDGEINFER_PROFILE");
    return v && *v && *v != '0';
}

void ei_profile_wrap(ei_backend **be) {
    prof_backend *p = calloc(1, sizeof *p);
    if (!p) return; /* no profile: the model runs unwrapped */
    /* host_memory is a property of the inner backend: copy the ops table */
    ei_backend_ops *ops = malloc(sizeof *ops);
    if (!ops) {
        free(p);
        return;
    }
    *ops = prof_ops;
    ops->host_memory = (*be)->ops->host_memory;
    p->base.ops = ops;
    p->inner = *be;
    *be = &p->base;
}
