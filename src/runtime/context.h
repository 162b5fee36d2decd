/*
 * context.h — the state of one conversation: KV cache, position, and the
 * scratch activations of a forward pass (all in backend memory).
 */
#ifndef EI_RUNTIME_CONTEXT_H
#define EI_RUNTIME_CONTEXT_H

#include "model/model.h"

struct ei_context {
    ei_model *m;
    int n_ctx, n_batch;
    bool logits_all;
    int n_past;

    ei_kv_layer *kv; /* (n_layer) */
    int32_t *tokens; /* (n_ctx) host: the token at each cached position */

    /* scratch for up to n_batch rows */
    float *x;      /* (n_batch, n_embd) residual stream */
    float *xb;     /* (n_batch, n_embd) normed input / branch output */
    float *q;      /* (n_batch, n_head * head_dim) */
    float *k, *v;  /* (n_batch, n_head_kv * head_dim) */
    float *att;    /* (n_batch, n_head * head_dim) attention output */
    float *hb;     /* (n_batch, n_ff) gate, then activation */
    float *hb2;    /* (n_batch, n_ff) up */
    float *logits; /* (n_batch or 1, n_vocab) on the backend */
    int32_t *pos;  /* (n_batch) host: positions of the rows */
    const ei_kv_layer **kv_rows; /* (n_batch) host: each row's cache layer in ei_decode_multi */
    float *logits_multi; /* (multi_cap, n_vocab) on the backend: ei_decode_multi's logits */
    int multi_cap;

    float *logits_host; /* (logits_cap, n_vocab) host copy */
    int logits_cap;     /* rows logits_host can hold */
    int n_logits;       /* rows of logits from the last decode */
};

/* One forward pass of n <= n_batch tokens (forward.c), using c's scratch.
 * owners NULL: the tokens continue c's sequence at positions n_past..;
 * logits for the last row, or for all rows when logits_all. Otherwise row i
 * is the next token of context owners[i] (all of c's model), read and
 * written in that context's cache, and every row gets logits (in
 * c->logits_multi, which must hold n rows). The caller advances n_past. */
ei_status ei_forward(ei_context *c, ei_context *const *owners, const int32_t *tokens, int n, float *logits_out);

#endif
