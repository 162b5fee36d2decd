/*
 * context.c — create a context (KV cache and scratch in backend memory),
 * decode batches of tokens, hand out logits.
 *
 * The cache holds one sequence: row p of each layer's K and V is position p.
 * Reusing a prefix is truncating the cache to it; the rows past it are
 * simply overwritten by the next decode.
 */
#include <stdlib.h>
#include <string.h>

#include "quant/quant.h"
#include "runtime/context.h"
#include "util/error.h"

ei_context_params ei_context_default_params(void) {
    ei_context_params p = {.n_ctx = 0, .n_batch = 512, .kv_type = EI_KV_F16, .logits_all = false};
    return p;
}

static ei_status ctx_alloc(ei_context *c, size_t bytes, void *ptr) {
    ei_backend *be = c->m->be;
    return be->ops->alloc(be, bytes, (void **)ptr);
}

static void ctx_release(ei_context *c, void *ptr) {
    if (ptr) c->m->be->ops->release(c->m->be, ptr);
}

void ei_context_free(ei_context *c) {
    if (!c) return;
    if (c->kv) {
        for (int il = 0; il < c->m->cfg.n_layer; il++) {
            ctx_release(c, c->kv[il].k);
            ctx_release(c, c->kv[il].v);
        }
        free(c->kv);
    }
    void *scratch[] = {c->x, c->xb, c->q, c->k, c->v, c->att, c->hb, c->hb2, c->logits, c->logits_multi};
    for (size_t i = 0; i < sizeof scratch / sizeof scratch[0]; i++) ctx_release(c, scratch[i]);
    free(c->pos);
    free(c->kv_rows);
    free(c->tokens);
    free(c->logits_host);
    free(c);
}

ei_status ei_context_new(ei_model *m, const ei_context_params *p, ei_context **out) {
    if (!m || !out) return ei_error(EI_ERR_ARG, "ei_context_new: NULL argument");
    *out = NULL;
    if (m->vocab_only) return ei_error(EI_ERR_ARG, "ei_context_new: the model was loaded vocab_only (no weights)");
    ei_context_params defaults = ei_context_default_params();
    if (!p) p = &defaults;
    const ei_model_config *cfg = &m->cfg;
    ei_type kv_type = p->kv_type == EI_KV_Q8_0 ? EI_TYPE_Q8_0 : p->kv_type == EI_KV_F32 ? EI_TYPE_F32 : EI_TYPE_F16;
    if (p->kv_type == EI_KV_Q8_0 && cfg->head_dim % 32 != 0)
        return ei_error(EI_ERR_ARG, "q8_0 KV cache needs a head size that is a multiple of 32 (this model: %d)",
                        cfg->head_dim);
    int n_ctx = p->n_ctx > 0 ? p->n_ctx : (cfg->n_ctx_train < 4096 ? cfg->n_ctx_train : 4096);
    if (n_ctx > (1 << 24)) return ei_error(EI_ERR_ARG, "context of %d tokens is too large", n_ctx);
    int n_batch = p->n_batch > 0 ? p->n_batch : 512;
    if (n_batch > n_ctx) n_batch = n_ctx;

    ei_context *c = calloc(1, sizeof *c);
    if (!c) return ei_error(EI_ERR_NOMEM, "out of memory");
    c->m = m;
    c->n_ctx = n_ctx;
    c->n_batch = n_batch;
    c->logits_all = p->logits_all;

    size_t e = (size_t)cfg->n_embd, wq = (size_t)cfg->n_head * cfg->head_dim;
    size_t wkv = (size_t)cfg->n_head_kv * cfg->head_dim, b = (size_t)n_batch;
    size_t logit_rows = p->logits_all ? b : 1;
    ei_status s = EI_OK;
    c->kv = calloc((size_t)cfg->n_layer, sizeof *c->kv);
    c->pos = calloc(b, sizeof *c->pos);
    c->kv_rows = calloc(b, sizeof *c->kv_rows);
    c->tokens = calloc((size_t)n_ctx, sizeof *c->tokens);
    if (!c->kv || !c->pos || !c->kv_rows || !c->tokens) s = ei_error(EI_ERR_NOMEM, "out of memory");
    size_t row_bytes = ei_type_row_bytes(kv_type, (int64_t)wkv);
    for (int il = 0; il < cfg->n_layer && !s; il++) {
        c->kv[il].type = kv_type;
        c->kv[il].row_bytes = row_bytes;
        s = ctx_alloc(c, row_bytes * (size_t)n_ctx, &c->kv[il].k);
        if (!s) s = ctx_alloc(c, row_bytes * (size_t)n_ctx, &c->kv[il].v);
    }
    if (!s) s = ctx_alloc(c, b * e * sizeof(float), &c->x);
    if (!s) s = ctx_alloc(c, b * e * sizeof(float), &c->xb);
    if (!s) s = ctx_alloc(c, b * wq * sizeof(float), &c->q);
    if (!s) s = ctx_alloc(c, b * wkv * sizeof(float), &c->k);
    if (!s) s = ctx_alloc(c, b * wkv * sizeof(float), &c->v);
    if (!s) s = ctx_alloc(c, b * wq * sizeof(float), &c->att);
    if (!s) s = ctx_alloc(c, b * (size_t)cfg->n_ff * sizeof(float), &c->hb);
    if (!s) s = ctx_alloc(c, b * (size_t)cfg->n_ff * sizeof(float), &c->hb2);
    if (!s) s = ctx_alloc(c, logit_rows * (size_t)cfg->n_vocab * sizeof(float), &c->logits);
    if (s) {
        ei_context_free(c);
        return s;
    }
    *out = c;
    return EI_OK;
}

int32_t ei_context_n_ctx(const ei_context *c) { return c->n_ctx; }
int32_t ei_context_n_past(const ei_context *c) { return c->n_past; }

ei_status ei_context_truncate(ei_context *c, int32_t n_keep) {
    if (n_keep < 0 || n_keep > c->n_past)
        return ei_error(EI_ERR_ARG, "cannot keep %d of %d cached tokens", n_keep, c->n_past);
    c->n_past = n_keep;
    c->n_logits = 0;
    return EI_OK;
}

ei_status ei_decode(ei_context *c, const int32_t *tokens, int32_t n) {
    if (!c || (!tokens && n)) return ei_error(EI_ERR_ARG, "ei_decode: NULL argument");
    if (n <= 0) return ei_error(EI_ERR_ARG, "ei_decode: empty batch");
    if (n > c->n_ctx - c->n_past)
        return ei_error(EI_ERR_ARG, "%d tokens do not fit: %d of the context's %d positions are used", n, c->n_past,
                        c->n_ctx);
    int n_vocab = c->m->cfg.n_vocab;
    for (int i = 0; i < n; i++)
        if (tokens[i] < 0 || tokens[i] >= n_vocab)
            return ei_error(EI_ERR_ARG, "token %d at index %d is outside the vocabulary of %d", tokens[i], i, n_vocab);

    int rows = c->logits_all ? n : 1;
    if (rows > c->logits_cap) {
        float *h = realloc(c->logits_host, (size_t)rows * n_vocab * sizeof(float));
        if (!h) return ei_error(EI_ERR_NOMEM, "out of memory for logits");
        c->logits_host = h;
        c->logits_cap = rows;
    }
    int start = c->n_past;
    for (int i = 0; i < n; i += c->n_batch) {
        int len = n - i < c->n_batch ? n - i : c->n_batch;
        /* without logits_all every chunk writes its last row to the same
         * place, and the last chunk's is the one that stays */
        float *dst = c->logits_all ? c->logits_host + (size_t)i * n_vocab : c->logits_host;
        ei_status s = ei_forward(c, NULL, tokens + i, len, dst);
        if (s) {
            c->n_past = start; /* nothing half-done stays visible */
            c->n_logits = 0;
            return s;
        }
        memcpy(c->tokens + c->n_past, tokens + i, (size_t)len * sizeof *tokens);
        c->n_past += len;
    }
    c->n_logits = rows;
    return EI_OK;
}

static ei_status reserve_logits_host(ei_context *c, int rows) {
    if (rows <= c->logits_cap) return EI_OK;
    float *h = realloc(c->logits_host, (size_t)rows * c->m->cfg.n_vocab * sizeof(float));
    if (!h) return ei_error(EI_ERR_NOMEM, "out of memory for logits");
    c->logits_host = h;
    c->logits_cap = rows;
    return EI_OK;
}

ei_status ei_decode_multi(ei_context *const *ctxs, const int32_t *tokens, int32_t n) {
    if (!ctxs || !tokens) return ei_error(EI_ERR_ARG, "ei_decode_multi: NULL argument");
    if (n <= 0) return ei_error(EI_ERR_ARG, "ei_decode_multi: empty batch");
    ei_context *lead = ctxs[0];
    if (!lead) return ei_error(EI_ERR_ARG, "ei_decode_multi: NULL context");
    if (n > lead->n_batch)
        return ei_error(EI_ERR_ARG, "ei_decode_multi: %d rows exceed the first context's batch of %d", n, lead->n_batch);
    int n_vocab = lead->m->cfg.n_vocab;
    for (int i = 0; i < n; i++) {
        ei_context *c = ctxs[i];
        if (!c || c->m != lead->m) return ei_error(EI_ERR_ARG, "ei_decode_multi: context %d is not of the same model", i);
        for (int j = 0; j < i; j++)
            if (ctxs[j] == c) return ei_error(EI_ERR_ARG, "ei_decode_multi: context %d appears twice", i);
        if (c->n_past >= c->n_ctx)
            return ei_error(EI_ERR_ARG, "ei_decode_multi: context %d is full (%d positions)", i, c->n_ctx);
        if (tokens[i] < 0 || tokens[i] >= n_vocab)
            return ei_error(EI_ERR_ARG, "token %d at index %d is outside the vocabulary of %d", tokens[i], i, n_vocab);
    }
    for (int i = 0; i < n; i++) {
        ei_status s = reserve_logits_host(ctxs[i], i == 0 ? n : 1);
        if (s) return s;
    }
    if (n > lead->multi_cap) {
        ei_backend *be = lead->m->be;
        ctx_release(lead, lead->logits_multi);
        lead->logits_multi = NULL;
        lead->multi_cap = 0;
        ei_status s = be->ops->alloc(be, (size_t)n * n_vocab * sizeof(float), (void **)&lead->logits_multi);
        if (s) return s;
        lead->multi_cap = n;
    }
    /* all rows' logits land in the lead's host buffer, then move to their owners */
    ei_status s = ei_forward(lead, ctxs, tokens, n, lead->logits_host);
    for (int i = 0; i < n; i++) ctxs[i]->n_logits = 0;
    if (s) return s;
    for (int i = n - 1; i >= 0; i--) { /* backwards: row 0 is already in place */
        ei_context *c = ctxs[i];
        if (i) memcpy(c->logits_host, lead->logits_host + (size_t)i * n_vocab, (size_t)n_vocab * sizeof(float));
        c->tokens[c->n_past++] = tokens[i];
        c->n_logits = 1;
    }
    return EI_OK;
}

const float *ei_get_logits(ei_context *c, int32_t i) {
    if (!c || c->n_logits == 0) return NULL;
    if (i < 0) i = c->n_logits - 1;
    if (i >= c->n_logits) return NULL;
    return c->logits_host + (size_t)i * c->m->cfg.n_vocab;
}
