/*
 * backend.h — the seam between the engine and the hardware.
 *
 * A backend owns memory (weights, KV cache, activations) and runs the ops of
 * the forward pass on it. The forward pass (forward.c) is written once
 * against this table; a backend is a set of kernels plus buffer management.
 * The core never includes a backend's own headers: backends are reached only
 * through this table, created by the constructor named in backends.h.
 *
 * Conventions
 *   - Activations are contiguous f32 row-major matrices [rows][cols] living
 *     in the backend's memory (device pointers on a GPU).
 *   - Weights are ei_tensor views of the backend's memory; a CPU backend
 *     uses the mmap'd file in place.
 *   - Ops do not fail: every shape was validated when the model was loaded.
 *     Buffer allocation and transfers may fail and return a status.
 */
#ifndef EI_RUNTIME_BACKEND_H
#define EI_RUNTIME_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "edgeinfer.h"

typedef struct ei_backend ei_backend;

/* A weight: a GGUF tensor as placed in one backend's memory. */
typedef struct ei_tensor {
    const char *name;
    ei_type type;
    int64_t ne[EI_MAX_DIMS]; /* ne[0] = row length (input dim), ne[1] = rows (output dim) */
    const void *data;
    ei_backend *be;
    /* the backend's own copy for matmul in a layout it prefers (the CPU's
     * row groups of backends/cpu/packed.h), or NULL: set by prepare_weight.
     * data stays valid for get_rows. */
    void *packed;
} ei_tensor;

typedef enum ei_rope_mode {
    EI_ROPE_NORM = 0, /* rotate adjacent pairs (x[2i], x[2i+1]): llama */
    EI_ROPE_NEOX = 2, /* rotate halves (x[i], x[i + n_rot/2]): qwen, gemma, phi3 */
} ei_rope_mode;

typedef struct ei_rope_params {
    ei_rope_mode mode;
    int n_rot;            /* leading dims of each head that rotate; the rest pass through */
    float freq_base;
    float freq_scale;     /* 1/linear factor */
    float ext_factor;     /* YaRN extrapolation mix; 0 off */
    float attn_factor;    /* magnitude scale of cos/sin */
    float beta_fast, beta_slow;
    int n_ctx_orig;
    const float *freq_factors; /* (n_rot/2) divisors of each frequency, or NULL (llama3, longrope) */
} ei_rope_params;

typedef enum ei_act {
    EI_ACT_SILU,      /* silu(gate) * up: SwiGLU */
    EI_ACT_GELU_TANH, /* gelu(gate) * up with the tanh approximation: GeGLU */
} ei_act;

/* One layer's KV cache: row p holds the keys (values) of position p, all
 * KV heads side by side: [n_ctx][n_head_kv * head_dim] of `type`. */
typedef struct ei_kv_layer {
    ei_type type; /* F16, F32 or Q8_0 */
    void *k, *v;
    size_t row_bytes;
} ei_kv_layer;

typedef struct ei_attn_params {
    int n_head, n_head_kv, head_dim;
    float scale;       /* applied to q.k */
    float softcap;     /* 0: none; else cap * tanh(s / cap) (gemma2) */
    int window;        /* 0: full causal; else keys with pos_q - pos_k >= window are masked */
} ei_attn_params;

typedef struct ei_backend_ops {
    const char *name;
    void (*free)(ei_backend *be);

    /* memory */
    ei_status (*alloc)(ei_backend *be, size_t bytes, void **ptr);
    void (*release)(ei_backend *be, void *ptr);
    ei_status (*upload)(ei_backend *be, void *dst, const void *src, size_t n);
    ei_status (*download)(ei_backend *be, void *dst, const void *src, size_t n);
    /* true when host memory (the mmap'd file) can be used as weights directly */
    bool host_memory;

    /* A matrix used by matmul: the backend may make its own copy in a
     * layout of its choice (t->packed), or leave t alone. release_weight
     * frees that copy. Both may be NULL. file_mapped: t->data lies in a
     * read-only file mapping, so the backend may give its pages back to the
     * kernel as it copies them (madvise; they are read again from the file
     * if ever touched), which keeps the peak memory near one copy. */
    ei_status (*prepare_weight)(ei_backend *be, ei_tensor *t, bool file_mapped);
    void (*release_weight)(ei_backend *be, ei_tensor *t);

    /* ops */
    /* out[i][:] = dequantized row ids[i] of w */
    void (*get_rows)(ei_backend *be, const ei_tensor *w, const int32_t *ids, int n, float *out);
    /* y[r][o] = sum_i x[r][i] * w[o][i]  (x: [rows][w.ne0], y: [rows][w.ne1]) */
    void (*matmul)(ei_backend *be, const ei_tensor *w, const float *x, int rows, float *y);
    /* ys[i] = matmul of ws[i] for n_w matrices reading the same x (Q, K, V;
     * gate, up): a backend may prepare x once for all of them */
    void (*matmul_shared)(ei_backend *be, const ei_tensor *const *ws, int n_w, const float *x, int rows,
                          float *const *ys);
    /* y[r] = x[r] / rms(x[r]) * w (w may be NULL), rows of n elements; y may be x */
    void (*rms_norm)(ei_backend *be, const float *x, const float *w, int rows, int n, float eps, float *y);
    /* y = a + b, n elements; y may alias a or b */
    void (*add)(ei_backend *be, const float *a, const float *b, int64_t n, float *y);
    /* x[r][:] += bias[:] */
    void (*add_bias)(ei_backend *be, float *x, const float *bias, int rows, int n);
    /* x *= s */
    void (*scale)(ei_backend *be, float *x, int64_t n, float s);
    /* x[r] = cap * tanh(x[r] / cap) */
    void (*softcap)(ei_backend *be, float *x, int64_t n, float cap);
    /* rotate x: [rows][n_head][head_dim], row r at position pos[r] */
    void (*rope)(ei_backend *be, float *x, int rows, int n_head, int head_dim, const int32_t *pos,
                 const ei_rope_params *p);
    /* y = act(gate) * up, n elements */
    void (*glu)(ei_backend *be, const float *gate, const float *up, int64_t n, ei_act act, float *y);
    /* store rows of k and v ([rows][n_head_kv*head_dim]) at positions pos[] */
    void (*kv_store)(ei_backend *be, ei_kv_layer *kv, const float *k, const float *v, int rows, int width,
                     const int32_t *pos);
    /* out[r] = softmax(q[r] . K[0..n_kv) * scale, causal+window mask) . V,
     * q: [rows][n_head*head_dim] at positions pos[r]; keys 0..n_kv-1 of the
     * cache are positions 0..n_kv-1. */
    void (*attention)(ei_backend *be, const float *q, const int32_t *pos, int rows, const ei_kv_layer *kv,
                      int n_kv, const ei_attn_params *p, float *out);
    /* continuous batching: row r is one query of its own sequence, at
     * position pos[r], against its own cache kv[r] (keys 0..pos[r]); the
     * same result, row for row, as attention() with rows = 1 */
    void (*attention_multi)(ei_backend *be, const float *q, const int32_t *pos, int rows,
                            const ei_kv_layer *const *kv, const ei_attn_params *p, float *out);
} ei_backend_ops;

struct ei_backend {
    const ei_backend_ops *ops;
};

#endif
