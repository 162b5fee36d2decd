/*
 * config.c — hyper-parameters from GGUF metadata, per architecture.
 *
 * What a family does beyond its metadata (rope style, embedding scale,
 * which layers slide their attention window) is written here as data, in
 * one table row and a few lines per family, following what llama.cpp does
 * for the same files.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "model/config.h"
#include "util/error.h"

typedef struct arch_info {
    const char *name;
    ei_arch arch;
    ei_rope_mode rope_mode;
    ei_act act;
} arch_info;

static const arch_info archs[] = {
    {"llama", EI_ARCH_LLAMA, EI_ROPE_NORM, EI_ACT_SILU},
    {"qwen2", EI_ARCH_QWEN2, EI_ROPE_NEOX, EI_ACT_SILU},
    {"qwen3", EI_ARCH_QWEN3, EI_ROPE_NEOX, EI_ACT_SILU},
    {"gemma", EI_ARCH_GEMMA, EI_ROPE_NEOX, EI_ACT_GELU_TANH},
    {"gemma2", EI_ARCH_GEMMA2, EI_ROPE_NEOX, EI_ACT_GELU_TANH},
    {"gemma3", EI_ARCH_GEMMA3, EI_ROPE_NEOX, EI_ACT_GELU_TANH},
    {"phi3", EI_ARCH_PHI3, EI_ROPE_NEOX, EI_ACT_SILU},
};

/* ---- typed reads of "<arch>.<suffix>" with clear errors ------------------ */

typedef struct reader {
    const ei_gguf *g;
    const char *arch;
    char key[128];
} reader;

static const char *key_of(reader *r, const char *suffix) {
    snprintf(r->key, sizeof r->key, "%s.%s", r->arch, suffix);
    return r->key;
}

/* An integer that may also be stored as an array of equal per-layer values. */
static ei_status get_int(reader *r, const char *suffix, bool required, int64_t def, int64_t lo, int64_t hi,
                         int *out) {
    const char *key = key_of(r, suffix);
    int64_t v = def;
    int64_t i = ei_gguf_find_key(r->g, key);
    if (i < 0) {
        if (required) return ei_error(EI_ERR_FORMAT, "missing key \"%s\"", key);
    } else {
        const ei_gguf_value *val = ei_gguf_kv_value(r->g, i);
        if (val->type == EI_GGUF_ARRAY) {
            if (val->v.arr.n == 0) return ei_error(EI_ERR_FORMAT, "key \"%s\": empty array", key);
            for (uint64_t k = 0; k < val->v.arr.n; k++) {
                int64_t x;
                if (ei_gguf_arr_int(val, k, &x) != EI_OK)
                    return ei_error(EI_ERR_FORMAT, "key \"%s\": expected integers", key);
                if (k > 0 && x != v)
                    return ei_error(EI_ERR_UNSUPPORTED, "key \"%s\": different values per layer are not supported",
                                    key);
                v = x;
            }
        } else if (ei_gguf_get_int(r->g, key, &v) != EI_OK) {
            return ei_error(EI_ERR_FORMAT, "%s", ei_last_error());
        }
    }
    if (v < lo || v > hi)
        return ei_error(EI_ERR_FORMAT, "key \"%s\": %lld outside [%lld, %lld]", key, (long long)v, (long long)lo,
                        (long long)hi);
    *out = (int)v;
    return EI_OK;
}

static ei_status get_float(reader *r, const char *suffix, bool required, float def, float *out) {
    const char *key = key_of(r, suffix);
    double v;
    ei_status s = ei_gguf_get_float(r->g, key, &v);
    if (s == EI_ERR_NOT_FOUND && !required) {
        *out = def;
        return EI_OK;
    }
    if (s) return ei_error(EI_ERR_FORMAT, "%s", ei_last_error());
    if (!isfinite(v)) return ei_error(EI_ERR_FORMAT, "key \"%s\": not a finite number", key);
    *out = (float)v;
    return EI_OK;
}

#define TRY(x)                    \
    do {                          \
        ei_status s_ = (x);       \
        if (s_) return s_;        \
    } while (0)

static ei_status load_rope_scaling(reader *r, ei_model_config *c) {
    const char *key = key_of(r, "rope.scaling.type");
    const char *type = "none";
    ei_status s = ei_gguf_get_str(r->g, key, &type);
    if (s && s != EI_ERR_NOT_FOUND) return ei_error(EI_ERR_FORMAT, "%s", ei_last_error());
    float factor = 0;
    TRY(get_float(r, "rope.scaling.factor", false, 0.0f, &factor));
    if (factor == 0) TRY(get_float(r, "rope.scale_linear", false, 0.0f, &factor)); /* older files */
    /* As llama.cpp: the factor scales positions whatever the type says;
     * "yarn" adds the extrapolation mix; "longrope" (phi3) brings its
     * frequency factors as tensors. */
    c->rope_freq_scale = factor > 0 ? 1.0f / factor : 1.0f;
    c->rope_scaling = factor > 0 ? EI_ROPE_SCALING_LINEAR : EI_ROPE_SCALING_NONE;
    if (!strcmp(type, "yarn")) {
        if (factor <= 0) return ei_error(EI_ERR_FORMAT, "YaRN scaling without \"%s.rope.scaling.factor\"", r->arch);
        c->rope_scaling = EI_ROPE_SCALING_YARN;
        c->yarn_ext_factor = 1.0f;
    } else if (strcmp(type, "none") && strcmp(type, "linear") && strcmp(type, "longrope")) {
        return ei_error(EI_ERR_UNSUPPORTED, "key \"%s\": rope scaling \"%s\" not supported", key, type);
    }
    TRY(get_int(r, "rope.scaling.original_context_length", false, c->n_ctx_train, 1, 1 << 30, &c->n_ctx_orig));
    TRY(get_float(r, "rope.scaling.attn_factor", false, 1.0f, &c->yarn_attn_factor));
    TRY(get_float(r, "rope.scaling.yarn_beta_fast", false, 32.0f, &c->yarn_beta_fast));
    TRY(get_float(r, "rope.scaling.yarn_beta_slow", false, 1.0f, &c->yarn_beta_slow));
    return EI_OK;
}

/* Layers that use the sliding window: every layer whose index modulo
 * `pattern` is not the last of the group (gemma2: every other layer starting
 * with the first; gemma3: five of every six). */
static void set_swa_pattern(ei_model_config *c, int pattern) {
    for (int il = 0; il < c->n_layer; il++) c->swa_layer[il] = pattern <= 1 || il % pattern < pattern - 1;
}

ei_status ei_model_config_load(const ei_gguf *g, ei_model_config *c) {
    memset(c, 0, sizeof *c);
    const char *name;
    ei_status s = ei_gguf_get_str(g, "general.architecture", &name);
    if (s) return ei_error(s == EI_ERR_NOT_FOUND ? EI_ERR_FORMAT : s, "%s", ei_last_error());
    const arch_info *ai = NULL;
    for (size_t i = 0; i < sizeof archs / sizeof archs[0]; i++)
        if (!strcmp(archs[i].name, name)) ai = &archs[i];
    if (!ai) {
        char list[256] = "";
        for (size_t i = 0; i < sizeof archs / sizeof archs[0]; i++) {
            strncat(list, i ? ", " : "", sizeof list - strlen(list) - 1);
            strncat(list, archs[i].name, sizeof list - strlen(list) - 1);
        }
        return ei_error(EI_ERR_UNSUPPORTED, "unknown model architecture \"%s\" (supported: %s)", name, list);
    }
    c->arch = ai->arch;
    snprintf(c->arch_name, sizeof c->arch_name, "%s", name);
    c->rope_mode = ai->rope_mode;
    c->act = ai->act;
    reader r = {.g = g, .arch = c->arch_name};

    TRY(get_int(&r, "context_length", true, 0, 1, 1 << 30, &c->n_ctx_train));
    TRY(get_int(&r, "embedding_length", true, 0, 1, 1 << 20, &c->n_embd));
    TRY(get_int(&r, "block_count", true, 0, 1, EI_MAX_LAYERS, &c->n_layer));
    TRY(get_int(&r, "feed_forward_length", true, 0, 1, 1 << 22, &c->n_ff));
    TRY(get_int(&r, "attention.head_count", true, 0, 1, 1 << 12, &c->n_head));
    TRY(get_int(&r, "attention.head_count_kv", false, c->n_head, 1, c->n_head, &c->n_head_kv));
    if (c->n_head % c->n_head_kv != 0)
        return ei_error(EI_ERR_FORMAT, "key \"%s.attention.head_count_kv\": %d does not divide %d heads", name,
                        c->n_head_kv, c->n_head);
    int def_hd = c->n_embd / c->n_head;
    TRY(get_int(&r, "attention.key_length", false, def_hd, 1, 1 << 12, &c->head_dim));
    int vlen;
    TRY(get_int(&r, "attention.value_length", false, c->head_dim, 1, 1 << 12, &vlen));
    if (vlen != c->head_dim)
        return ei_error(EI_ERR_UNSUPPORTED, "key \"%s.attention.value_length\": %d differs from key length %d", name,
                        vlen, c->head_dim);
    if (c->head_dim % 2) return ei_error(EI_ERR_FORMAT, "head size %d is odd", c->head_dim);
    TRY(get_float(&r, "attention.layer_norm_rms_epsilon", true, 0, &c->norm_eps));
    TRY(get_int(&r, "rope.dimension_count", false, c->head_dim, 2, c->head_dim, &c->n_rot));
    if (c->n_rot % 2) return ei_error(EI_ERR_FORMAT, "key \"%s.rope.dimension_count\": %d is odd", name, c->n_rot);
    TRY(get_float(&r, "rope.freq_base", false, 10000.0f, &c->rope_freq_base));
    if (c->rope_freq_base <= 0) return ei_error(EI_ERR_FORMAT, "key \"%s.rope.freq_base\" must be positive", name);
    c->rope_freq_base_swa = c->rope_freq_base;
    c->yarn_attn_factor = 1.0f;
    TRY(load_rope_scaling(&r, c));
    TRY(get_int(&r, "vocab_size", false, 0, 0, 1 << 24, &c->n_vocab)); /* else from the embedding tensor */

    c->attn_scale = 1.0f / sqrtf((float)c->head_dim);
    c->embd_scale = 1.0f;
    switch (c->arch) {
    case EI_ARCH_LLAMA:
        break;
    case EI_ARCH_QWEN2:
        c->qkv_bias = true;
        break;
    case EI_ARCH_QWEN3:
        c->qk_norm = true;
        break;
    case EI_ARCH_PHI3:
        c->fused_qkv = true;
        c->fused_gate_up = true;
        TRY(get_int(&r, "attention.sliding_window", false, 0, 0, 1 << 30, &c->sliding_window));
        set_swa_pattern(c, 1);
        break;
    case EI_ARCH_GEMMA:
        c->embd_scale = sqrtf((float)c->n_embd);
        break;
    case EI_ARCH_GEMMA2:
    case EI_ARCH_GEMMA3:
        c->embd_scale = sqrtf((float)c->n_embd);
        c->post_norms = true;
        TRY(get_int(&r, "attention.sliding_window", true, 0, 1, 1 << 30, &c->sliding_window));
        if (c->arch == EI_ARCH_GEMMA2) {
            TRY(get_float(&r, "attn_logit_softcapping", false, 50.0f, &c->attn_softcap));
            TRY(get_float(&r, "final_logit_softcapping", false, 30.0f, &c->final_softcap));
            set_swa_pattern(c, 2);
        } else {
            c->qk_norm = true;
            TRY(get_float(&r, "final_logit_softcapping", false, 0.0f, &c->final_softcap));
            set_swa_pattern(c, 6);
            c->rope_freq_base_swa = 10000.0f; /* local layers keep the original base */
        }
        /* The 27B models scale by the width per head, not the head size. */
        if ((c->arch == EI_ARCH_GEMMA2 && c->n_layer == 46) || (c->arch == EI_ARCH_GEMMA3 && c->n_layer == 62))
            c->attn_scale = 1.0f / sqrtf((float)(c->n_embd / c->n_head));
        break;
    }
    return EI_OK;
}
