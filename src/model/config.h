/*
 * config.h — a model's hyper-parameters and architecture switches.
 *
 * Architectures are data: every supported decoder-only model is the one
 * generic transformer block of forward.c with the switches below set from
 * the GGUF metadata ("<arch>.<key>") and from what each family is known to
 * do (rope style, embedding scale, sliding-window pattern, ...).
 */
#ifndef EI_MODEL_CONFIG_H
#define EI_MODEL_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "edgeinfer.h"
#include "runtime/backend.h"

typedef enum ei_arch {
    EI_ARCH_LLAMA,
    EI_ARCH_QWEN2,
    EI_ARCH_QWEN3,
    EI_ARCH_GEMMA,
    EI_ARCH_GEMMA2,
    EI_ARCH_GEMMA3,
    EI_ARCH_PHI3,
} ei_arch;

typedef enum ei_rope_scaling {
    EI_ROPE_SCALING_NONE,
    EI_ROPE_SCALING_LINEAR,
    EI_ROPE_SCALING_YARN, /* llama3 and longrope bring frequency factors as tensors instead */
} ei_rope_scaling;

#define EI_MAX_LAYERS 512

typedef struct ei_model_config {
    ei_arch arch;
    char arch_name[32];  /* "llama", "gemma3", ... as the file says */

    int n_vocab;
    int n_ctx_train;
    int n_embd;          /* model width */
    int n_layer;
    int n_head;
    int n_head_kv;
    int head_dim;        /* key/value length per head */
    int n_ff;
    float norm_eps;

    /* RoPE */
    ei_rope_mode rope_mode;
    int n_rot;
    float rope_freq_base;
    float rope_freq_base_swa; /* for sliding-window layers (gemma3: 10000) */
    ei_rope_scaling rope_scaling;
    float rope_freq_scale;    /* 1/factor */
    float yarn_ext_factor, yarn_attn_factor, yarn_beta_fast, yarn_beta_slow;
    int n_ctx_orig;

    /* the block */
    bool qkv_bias;           /* qwen2 */
    bool qk_norm;            /* qwen3, gemma3: RMS-norm of each q/k head */
    bool post_norms;         /* gemma2/3: norms after attention and after the MLP */
    bool fused_qkv;          /* phi3: one attn_qkv matrix */
    bool fused_gate_up;      /* phi3: ffn_up holds [gate; up] */
    ei_act act;
    float attn_scale;        /* multiplies q.k */
    float attn_softcap;      /* 0 none */
    float final_softcap;     /* 0 none */
    float embd_scale;        /* token embeddings are multiplied by this (gemma: sqrt(n_embd)) */
    int sliding_window;      /* 0: none */
    bool swa_layer[EI_MAX_LAYERS]; /* which layers use the sliding window */
} ei_model_config;

/* Read the hyper-parameters of the architecture named by general.architecture.
 * A missing or inconsistent key is EI_ERR_FORMAT naming the key; an unknown
 * architecture is EI_ERR_UNSUPPORTED naming it. */
ei_status ei_model_config_load(const ei_gguf *g, ei_model_config *c);

#endif
