/*
 * model.h — a loaded model: configuration, weights bound by name and shape,
 * the backend that holds them.
 */
#ifndef EI_MODEL_MODEL_H
#define EI_MODEL_MODEL_H

#include "model/config.h"
#include "runtime/backend.h"
#include "tokenizer/vocab.h"

/* One transformer block's weights. Matrices are [n_in -> n_out] as ei_tensor
 * with ne[0] = n_in, ne[1] = n_out. Vectors (norms, biases) are f32 on the
 * backend. NULL where the architecture has no such weight. */
typedef struct ei_layer {
    const float *attn_norm;      /* (n_embd) */
    ei_tensor wq;                /* (n_embd -> n_head * head_dim) */
    ei_tensor wk, wv;            /* (n_embd -> n_head_kv * head_dim) */
    const float *bq, *bk, *bv;   /* biases of q, k, v (qwen2) */
    const float *q_norm, *k_norm;/* (head_dim) per-head RMS norm weights (qwen3, gemma3) */
    ei_tensor wo;                /* (n_head * head_dim -> n_embd) */
    const float *post_attn_norm; /* (n_embd) gemma2/3 */
    const float *ffn_norm;       /* (n_embd) */
    ei_tensor ffn_gate, ffn_up;  /* (n_embd -> n_ff) */
    ei_tensor ffn_down;          /* (n_ff -> n_embd) */
    const float *post_ffn_norm;  /* (n_embd) gemma2/3 */
} ei_layer;

struct ei_model {
    ei_gguf *gguf;
    ei_model_config cfg;
    ei_backend *be;
    ei_tensor tok_embd;          /* (n_embd -> n_vocab): row t is token t's embedding */
    const float *output_norm;    /* (n_embd) */
    ei_tensor output;            /* (n_embd -> n_vocab); the embedding itself when tied */
    const float *rope_freqs;     /* (n_rot/2) llama3 / longrope frequency divisors, or NULL */
    ei_layer *layers;            /* (n_layer) */
    void **owned;                /* backend buffers made at load (converted vectors) */
    int n_owned, cap_owned;
    uint64_t n_params, n_bytes;
    int n_threads;
    ei_vocab *vocab;             /* the tokenizer (tokenizer.ggml.* keys) */
    bool vocab_only;             /* loaded with ei_model_params.vocab_only: no weights */
};

#endif
