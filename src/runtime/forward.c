/*
 * forward.c — the forward pass, written once for every architecture and
 * every backend. It reads top to bottom like the paper:
 *
 *   embed -> for each layer:
 *              norm -> q,k,v (+bias) -> (q/k norm) -> RoPE -> cache k,v
 *              -> attention -> output projection -> (post-norm) -> residual
 *              norm -> gate, up -> act(gate)*up -> down -> (post-norm) -> residual
 *          -> final norm -> vocabulary logits (-> soft-cap)
 *
 * Architectures differ only by the switches of ei_model_config.
 */
#include <string.h>

#include "runtime/context.h"
#include "util/error.h"

static ei_rope_params rope_for_layer(const ei_model *m, int il) {
    const ei_model_config *c = &m->cfg;
    bool swa = c->sliding_window > 0 && c->swa_layer[il];
    /* gemma3's local layers keep the original base and no scaling */
    bool local = swa && c->arch == EI_ARCH_GEMMA3;
    ei_rope_params p = {
        .mode = c->rope_mode,
        .n_rot = c->n_rot,
        .freq_base = local ? c->rope_freq_base_swa : c->rope_freq_base,
        .freq_scale = local ? 1.0f : c->rope_freq_scale,
        .ext_factor = local ? 0.0f : c->yarn_ext_factor,
        .attn_factor = local ? 1.0f : c->yarn_attn_factor,
        .beta_fast = c->yarn_beta_fast,
        .beta_slow = c->yarn_beta_slow,
        .n_ctx_orig = c->n_ctx_orig,
        .freq_factors = local ? NULL : m->rope_freqs,
    };
    return p;
}

/* The cache side of attention for one layer: store the new keys and values
 * of all n rows and attend for rows [r0, n). One sequence: every row in
 * ctx's cache. Several (owners, r0 = 0): row i belongs to owners[i] and
 * sees only that context's cache. */
static void attend(ei_context *ctx, ei_context *const *owners, int n, int r0, int il, const ei_attn_params *ap) {
    const ei_backend_ops *op = ctx->m->be->ops;
    ei_backend *be = ctx->m->be;
    const int wq = ap->n_head * ap->head_dim, wkv = ap->n_head_kv * ap->head_dim;
    if (!owners) {
        op->kv_store(be, &ctx->kv[il], ctx->k, ctx->v, n, wkv, ctx->pos);
        op->attention(be, ctx->q + (size_t)r0 * wq, ctx->pos + r0, n - r0, &ctx->kv[il], ctx->n_past + n, ap,
                      ctx->att + (size_t)r0 * wq);
        return;
    }
    for (int i = 0; i < n; i++) {
        ei_kv_layer *kv = &owners[i]->kv[il];
        op->kv_store(be, kv, ctx->k + (size_t)i * wkv, ctx->v + (size_t)i * wkv, 1, wkv, &ctx->pos[i]);
        ctx->kv_rows[i] = kv;
    }
    op->attention_multi(be, ctx->q, ctx->pos, n, ctx->kv_rows, ap, ctx->att);
}

ei_status ei_forward(ei_context *ctx, ei_context *const *owners, const int32_t *tokens, int n, float *logits_out) {
    ei_model *m = ctx->m;
    const ei_model_config *c = &m->cfg;
    ei_backend *be = m->be;
    const ei_backend_ops *op = be->ops;
    const int e = c->n_embd, hd = c->head_dim;
    const int wq = c->n_head * hd, wkv = c->n_head_kv * hd;

    for (int i = 0; i < n; i++) ctx->pos[i] = owners ? owners[i]->n_past : ctx->n_past + i;

    /* embed: x[i] = token_embd[tokens[i]] (* sqrt(n_embd) for gemma) */
    op->get_rows(be, &m->tok_embd, tokens, n, ctx->x);
    if (c->embd_scale != 1.0f) op->scale(be, ctx->x, (int64_t)n * e, c->embd_scale);

    /* Only rows [first, n) leave the last layer (the rows whose logits are
     * wanted). The last layer stores every row's keys and values, but its
     * attention, output projection and feed-forward run on those rows
     * alone: each row's arithmetic is its own, so their bits do not change
     * (llama.cpp drops the other rows before the last feed-forward). */
    const int first = ctx->logits_all || owners ? 0 : n - 1, rows = n - first;

    for (int il = 0; il < c->n_layer; il++) {
        const ei_layer *L = &m->layers[il];
        const int r0 = il == c->n_layer - 1 ? first : 0, nr = n - r0;
        float *x = ctx->x + (size_t)r0 * e, *xb = ctx->xb + (size_t)r0 * e;

        /* ---- attention ---- */
        op->rms_norm(be, ctx->x, L->attn_norm, n, e, c->norm_eps, ctx->xb);
        const ei_tensor *qkv[] = {&L->wq, &L->wk, &L->wv};
        float *const qkv_out[] = {ctx->q, ctx->k, ctx->v};
        op->matmul_shared(be, qkv, 3, ctx->xb, n, qkv_out);
        if (L->bq) {
            op->add_bias(be, ctx->q, L->bq, n, wq);
            op->add_bias(be, ctx->k, L->bk, n, wkv);
            op->add_bias(be, ctx->v, L->bv, n, wkv);
        }
        if (L->q_norm) {
            op->rms_norm(be, ctx->q, L->q_norm, n * c->n_head, hd, c->norm_eps, ctx->q);
            op->rms_norm(be, ctx->k, L->k_norm, n * c->n_head_kv, hd, c->norm_eps, ctx->k);
        }
        ei_rope_params rp = rope_for_layer(m, il);
        op->rope(be, ctx->q, n, c->n_head, hd, ctx->pos, &rp);
        op->rope(be, ctx->k, n, c->n_head_kv, hd, ctx->pos, &rp);
        ei_attn_params ap = {
            .n_head = c->n_head,
            .n_head_kv = c->n_head_kv,
            .head_dim = hd,
            .scale = c->attn_scale,
            .softcap = c->attn_softcap,
            .window = c->sliding_window > 0 && c->swa_layer[il] ? c->sliding_window : 0,
        };
        attend(ctx, owners, n, r0, il, &ap);
        op->matmul(be, &L->wo, ctx->att + (size_t)r0 * wq, nr, xb);
        if (L->post_attn_norm) op->rms_norm(be, xb, L->post_attn_norm, nr, e, c->norm_eps, xb);
        op->add(be, x, xb, (int64_t)nr * e, x);

        /* ---- feed-forward ---- */
        op->rms_norm(be, x, L->ffn_norm, nr, e, c->norm_eps, xb);
        const ei_tensor *gate_up[] = {&L->ffn_gate, &L->ffn_up};
        float *const gate_up_out[] = {ctx->hb, ctx->hb2};
        op->matmul_shared(be, gate_up, 2, xb, nr, gate_up_out);
        op->glu(be, ctx->hb, ctx->hb2, (int64_t)nr * c->n_ff, c->act, ctx->hb);
        op->matmul(be, &L->ffn_down, ctx->hb, nr, xb);
        if (L->post_ffn_norm) op->rms_norm(be, xb, L->post_ffn_norm, nr, e, c->norm_eps, xb);
        op->add(be, x, xb, (int64_t)nr * e, x);
    }

    /* ---- output: the rows whose logits are wanted ---- */
    float *xo = ctx->x + (size_t)first * e;
    op->rms_norm(be, xo, m->output_norm, rows, e, c->norm_eps, xo);
    float *logits = owners ? ctx->logits_multi : ctx->logits;
    op->matmul(be, &m->output, xo, rows, logits);
    if (c->final_softcap > 0) op->softcap(be, logits, (int64_t)rows * c->n_vocab, c->final_softcap);
    return op->download(be, logits_out, logits, (size_t)rows * c->n_vocab * sizeof(float));
}
