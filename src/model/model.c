/*
 * model.c — load a model: map the GGUF file, read its configuration, and bind
 * every weight by name with its type and shape checked.
 *
 * Weights stay in the mapping when the backend can use host memory (the CPU
 * backend); 1-D weights (norms, biases) that are not f32 in the file are
 * converted once into backend memory so every op sees f32 vectors. The
 * backend may repack the matrices into a layout of its own
 * (prepare_weight); it may give the file's pages of a repacked matrix back
 * to the kernel as it goes (they come back from the file if ever read).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model/model.h"
#include "quant/quant.h"
#include "runtime/backends.h"
#include "runtime/profile.h"
#include "util/error.h"

ei_model_params ei_model_default_params(void) {
    ei_model_params p = {.n_threads = 0, .n_gpu_layers = 0};
    return p;
}

/* Physical cores: logical CPUs halved when SMT siblings are present is a
 * guess we avoid; read the kernel's core ids instead, falling back to the
 * online CPU count. */
static int physical_cores(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    int cores = 0;
    char seen[4096] = {0};
    for (long cpu = 0; cpu < n && cpu < 4096; cpu++) {
        char path[128];
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu%ld/topology/core_id", cpu);
        FILE *f = fopen(path, "r");
        if (!f) return n > 0 ? (int)n : 1;
        int id = -1;
        if (fscanf(f, "%d", &id) != 1) id = -1;
        fclose(f);
        if (id >= 0 && id < 4096 && !seen[id]) {
            seen[id] = 1;
            cores++;
        }
    }
    return cores > 0 ? cores : (n > 0 ? (int)n : 1);
}

/* ---- binding ------------------------------------------------------------ */

typedef struct binder {
    ei_model *m;
    char name[128];
} binder;

static const char *layer_name(binder *b, int il, const char *suffix) {
    if (il < 0) snprintf(b->name, sizeof b->name, "%s", suffix);
    else snprintf(b->name, sizeof b->name, "blk.%d.%s", il, suffix);
    return b->name;
}

static const ei_tensor_info *find(binder *b, const char *name) {
    int64_t i = ei_gguf_find_tensor(b->m->gguf, name);
    return i < 0 ? NULL : ei_gguf_tensor(b->m->gguf, i);
}

static ei_status check_shape(const ei_tensor_info *t, int n_dims, int64_t ne0, int64_t ne1) {
    int64_t want[EI_MAX_DIMS] = {ne0, n_dims > 1 ? ne1 : 1, 1, 1};
    for (int d = 0; d < EI_MAX_DIMS; d++)
        if (t->ne[d] != want[d])
            return ei_error(EI_ERR_FORMAT, "tensor \"%s\": shape [%lld, %lld, %lld, %lld], expected [%lld, %lld]",
                            t->name, (long long)t->ne[0], (long long)t->ne[1], (long long)t->ne[2],
                            (long long)t->ne[3], (long long)ne0, (long long)ne1);
    if (!ei_type_supported(t->type))
        return ei_error(EI_ERR_UNSUPPORTED, "tensor %s: type %s not supported", t->name, ei_type_name(t->type));
    return EI_OK;
}

static void account(ei_model *m, const ei_tensor_info *t) {
    m->n_params += (uint64_t)(t->ne[0] * t->ne[1] * t->ne[2] * t->ne[3]);
    m->n_bytes += t->size;
}

/* A matrix [ne0 -> ne1]; `required` false leaves t->data NULL when absent. */
static ei_status bind_matrix(binder *b, int il, const char *suffix, int64_t ne0, int64_t ne1, bool required,
                             ei_tensor *t) {
    const ei_tensor_info *ti = find(b, layer_name(b, il, suffix));
    memset(t, 0, sizeof *t);
    if (!ti) return required ? ei_error(EI_ERR_FORMAT, "missing tensor \"%s\"", b->name) : EI_OK;
    ei_status s = check_shape(ti, 2, ne0, ne1);
    if (s) return s;
    *t = (ei_tensor){ti->name, ti->type, {ti->ne[0], ti->ne[1], 1, 1}, ti->data, b->m->be, NULL};
    account(b->m, ti);
    return EI_OK;
}

/* Rows [r0, r0 + n) of a matrix: fused weights (phi3's qkv, gate+up) are
 * split into views without copying, since rows are contiguous. */
static ei_tensor row_view(const ei_tensor *t, int64_t r0, int64_t n) {
    ei_tensor v = *t;
    v.data = (const char *)t->data + (size_t)r0 * ei_type_row_bytes(t->type, t->ne[0]);
    v.ne[1] = n;
    return v;
}

static ei_status keep_owned(ei_model *m, void *p) {
    if (m->n_owned == m->cap_owned) {
        int cap = m->cap_owned ? m->cap_owned * 2 : 64;
        void **o = realloc(m->owned, (size_t)cap * sizeof *o);
        if (!o) return ei_error(EI_ERR_NOMEM, "out of memory");
        m->owned = o;
        m->cap_owned = cap;
    }
    m->owned[m->n_owned++] = p;
    return EI_OK;
}

/* A vector of n f32 (converted if the file stores another type), always
 * copied into the backend's memory: a few KiB each, but read from the file
 * mapping every norm would map in the page cache's whole folio around it
 * (up to 2 MiB on ext4), most of the packed matrices' pages given back at
 * load. */
static ei_status bind_vector(binder *b, int il, const char *suffix, int64_t n, bool required, const float **out) {
    const ei_tensor_info *ti = find(b, layer_name(b, il, suffix));
    *out = NULL;
    if (!ti) return required ? ei_error(EI_ERR_FORMAT, "missing tensor \"%s\"", b->name) : EI_OK;
    ei_status s = check_shape(ti, 1, n, 1);
    if (s) return s;
    account(b->m, ti);
    ei_backend *be = b->m->be;
    float *host = malloc((size_t)n * sizeof *host);
    if (!host) return ei_error(EI_ERR_NOMEM, "out of memory");
    ei_type_traits_of(ti->type)->dequantize(ti->data, host, n);
    void *dev;
    s = be->ops->alloc(be, (size_t)n * sizeof(float), &dev);
    if (!s) s = be->ops->upload(be, dev, host, (size_t)n * sizeof(float));
    free(host);
    if (s) return s;
    *out = dev;
    return keep_owned(b->m, dev);
}

static ei_status bind_layer(binder *b, int il) {
    const ei_model_config *c = &b->m->cfg;
    ei_layer *L = &b->m->layers[il];
    int64_t e = c->n_embd, q = (int64_t)c->n_head * c->head_dim, kv = (int64_t)c->n_head_kv * c->head_dim;
    ei_status s;
#define T(x) \
    if ((s = (x))) return s
    T(bind_vector(b, il, "attn_norm.weight", e, true, &L->attn_norm));
    if (c->fused_qkv) {
        ei_tensor qkv;
        T(bind_matrix(b, il, "attn_qkv.weight", e, q + 2 * kv, true, &qkv));
        L->wq = row_view(&qkv, 0, q);
        L->wk = row_view(&qkv, q, kv);
        L->wv = row_view(&qkv, q + kv, kv);
    } else {
        T(bind_matrix(b, il, "attn_q.weight", e, q, true, &L->wq));
        T(bind_matrix(b, il, "attn_k.weight", e, kv, true, &L->wk));
        T(bind_matrix(b, il, "attn_v.weight", e, kv, true, &L->wv));
    }
    T(bind_vector(b, il, "attn_q.bias", q, c->qkv_bias, &L->bq));
    T(bind_vector(b, il, "attn_k.bias", kv, c->qkv_bias, &L->bk));
    T(bind_vector(b, il, "attn_v.bias", kv, c->qkv_bias, &L->bv));
    T(bind_vector(b, il, "attn_q_norm.weight", c->head_dim, c->qk_norm, &L->q_norm));
    T(bind_vector(b, il, "attn_k_norm.weight", c->head_dim, c->qk_norm, &L->k_norm));
    T(bind_matrix(b, il, "attn_output.weight", q, e, true, &L->wo));
    T(bind_vector(b, il, "post_attention_norm.weight", e, c->post_norms, &L->post_attn_norm));
    T(bind_vector(b, il, "ffn_norm.weight", e, true, &L->ffn_norm));
    if (c->fused_gate_up) {
        ei_tensor up;
        T(bind_matrix(b, il, "ffn_up.weight", e, 2 * (int64_t)c->n_ff, true, &up));
        L->ffn_gate = row_view(&up, 0, c->n_ff);
        L->ffn_up = row_view(&up, c->n_ff, c->n_ff);
    } else {
        T(bind_matrix(b, il, "ffn_gate.weight", e, c->n_ff, true, &L->ffn_gate));
        T(bind_matrix(b, il, "ffn_up.weight", e, c->n_ff, true, &L->ffn_up));
    }
    T(bind_matrix(b, il, "ffn_down.weight", c->n_ff, e, true, &L->ffn_down));
    T(bind_vector(b, il, "post_ffw_norm.weight", e, c->post_norms, &L->post_ffn_norm));
#undef T
    return EI_OK;
}

static ei_status bind_all(ei_model *m) {
    binder b = {.m = m};
    ei_model_config *c = &m->cfg;
    const ei_tensor_info *emb = find(&b, "token_embd.weight");
    if (!emb) return ei_error(EI_ERR_FORMAT, "missing tensor \"token_embd.weight\"");
    if (c->n_vocab == 0) c->n_vocab = (int)emb->ne[1];
    ei_status s = bind_matrix(&b, -1, "token_embd.weight", c->n_embd, c->n_vocab, true, &m->tok_embd);
    if (s) return s;
    if ((s = bind_vector(&b, -1, "output_norm.weight", c->n_embd, true, &m->output_norm))) return s;
    if ((s = bind_matrix(&b, -1, "output.weight", c->n_embd, c->n_vocab, false, &m->output))) return s;
    if (!m->output.data) m->output = m->tok_embd; /* tied embeddings */
    if ((s = bind_vector(&b, -1, "rope_freqs.weight", c->n_rot / 2, false, &m->rope_freqs))) return s;
    /* longrope (phi3 128k): the long factors apply beyond the original context */
    if (!m->rope_freqs && (s = bind_vector(&b, -1, "rope_factors_long.weight", c->n_rot / 2, false, &m->rope_freqs)))
        return s;
    m->layers = calloc((size_t)c->n_layer, sizeof *m->layers);
    if (!m->layers) return ei_error(EI_ERR_NOMEM, "out of memory");
    for (int il = 0; il < c->n_layer; il++)
        if ((s = bind_layer(&b, il))) return s;
    return EI_OK;
}

/* Every matrix matmul reads, once each. */
static int model_matrices(ei_model *m, ei_tensor **out) {
    int n = 0;
    out[n++] = &m->output;
    for (int il = 0; il < m->cfg.n_layer; il++) {
        ei_layer *L = &m->layers[il];
        ei_tensor *ts[] = {&L->wq, &L->wk, &L->wv, &L->wo, &L->ffn_gate, &L->ffn_up, &L->ffn_down};
        for (size_t i = 0; i < sizeof ts / sizeof *ts; i++) out[n++] = ts[i];
    }
    return n;
}

static ei_status prepare_weights(ei_model *m) {
    ei_backend *be = m->be;
    if (!be->ops->prepare_weight) return EI_OK;
    ei_tensor **ts = malloc(sizeof *ts * (1 + 7 * (size_t)m->cfg.n_layer));
    if (!ts) return ei_error(EI_ERR_NOMEM, "out of memory");
    const int n = model_matrices(m, ts);
    ei_status s = EI_OK;
    for (int i = 0; i < n && !s; i++) {
        if (!ts[i]->data) continue;
        s = be->ops->prepare_weight(be, ts[i], true);
    }
    free(ts);
    /* A tied embedding's lookups read the output head's copy (why: the
     * backend's get_rows). The copy belongs to m->output, which alone
     * releases it. */
    if (!s && m->tok_embd.data == m->output.data) m->tok_embd.packed = m->output.packed;
    return s;
}

static void release_weights(ei_model *m) {
    if (!m->be || !m->be->ops->release_weight || !m->layers) return;
    ei_tensor **ts = malloc(sizeof *ts * (1 + 7 * (size_t)m->cfg.n_layer));
    if (!ts) return; /* cannot happen in practice; the memory goes at exit */
    const int n = model_matrices(m, ts);
    for (int i = 0; i < n; i++)
        if (ts[i]->packed) m->be->ops->release_weight(m->be, ts[i]);
    free(ts);
}

/* vocab_only: the tokenizer and the architecture's name, nothing else. */
static ei_status load_vocab_only(ei_model *m) {
    m->vocab_only = true;
    const char *arch = NULL;
    if (ei_gguf_get_str(m->gguf, "general.architecture", &arch) == EI_OK)
        snprintf(m->cfg.arch_name, sizeof m->cfg.arch_name, "%s", arch);
    ei_status s = ei_vocab_load(m->gguf, &m->vocab);
    if (!s) m->cfg.n_vocab = ei_vocab_n_tokens(m->vocab);
    return s;
}

ei_status ei_model_load(const char *path, const ei_model_params *p, ei_model **out) {
    if (!path || !out) return ei_error(EI_ERR_ARG, "ei_model_load: NULL argument");
    *out = NULL;
    ei_model_params defaults = ei_model_default_params();
    if (!p) p = &defaults;
    ei_model *m = calloc(1, sizeof *m);
    if (!m) return ei_error(EI_ERR_NOMEM, "out of memory");
    ei_status s = ei_gguf_open(path, &m->gguf); /* its messages name the path already */
    if (s) {
        free(m);
        return s;
    }
    m->n_threads = p->n_threads > 0 ? p->n_threads : physical_cores();
    if (p->vocab_only) {
        s = load_vocab_only(m);
    } else {
        s = ei_model_config_load(m->gguf, &m->cfg);
        if (!s) s = ei_cpu_backend_new(m->n_threads, &m->be);
        if (!s && ei_profile_wanted()) ei_profile_wrap(&m->be);
        if (!s) s = bind_all(m);
        if (!s) s = prepare_weights(m);
        if (!s) s = ei_vocab_load(m->gguf, &m->vocab);
    }
    if (s) {
        ei_model_free(m);
        return ei_error_prefix(s, "%s", path);
    }
    *out = m;
    return EI_OK;
}

void ei_model_free(ei_model *m) {
    if (!m) return;
    release_weights(m);
    for (int i = 0; i < m->n_owned; i++) m->be->ops->release(m->be, m->owned[i]);
    free(m->owned);
    free(m->layers);
    ei_vocab_free(m->vocab);
    if (m->be) m->be->ops->free(m->be);
    ei_gguf_close(m->gguf);
    free(m);
}

int32_t ei_model_n_vocab(const ei_model *m) { return m->cfg.n_vocab; }
int32_t ei_model_n_ctx_train(const ei_model *m) { return m->cfg.n_ctx_train; }
int32_t ei_model_n_embd(const ei_model *m) { return m->cfg.n_embd; }
int32_t ei_model_n_layer(const ei_model *m) { return m->cfg.n_layer; }
const char *ei_model_arch(const ei_model *m) { return m->cfg.arch_name; }
int32_t ei_model_n_threads(const ei_model *m) { return m->n_threads; }
const ei_gguf *ei_model_gguf(const ei_model *m) { return m->gguf; }
uint64_t ei_model_size(const ei_model *m) { return m->n_bytes; }
uint64_t ei_model_n_params(const ei_model *m) { return m->n_params; }
