/*
 * generate.c — prompt in, streamed text out: prefix reuse, the sampling
 * loop, stop strings, whole-UTF-8 streaming, and what happens at the end of
 * the context (finish with LENGTH, or shift and go on).
 *
 * Text is handed to the callback only once it can no longer turn out to be
 * the start of a stop string and ends on a whole UTF-8 character, so a
 * caller never prints half a character or the beginning of a stop string.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "runtime/context.h"
#include "runtime/textstream.h"
#include "util/error.h"

ei_generate_params ei_generate_default_params(void) {
    ei_generate_params p = {
        .max_tokens = -1,
        .sampling = ei_sampler_default_params(),
        .stop = NULL,
        .n_stop = 0,
        .context_shift = false,
        .n_keep = 0,
    };
    return p;
}

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* ---- the loop ----------------------------------------------------------- */

/* Make room for one more token: keep the first n_keep, drop half of the
 * rest, and recompute the cache for what remains (exact, and simpler than
 * re-rotating cached keys). */
static ei_status shift_context(ei_context *c, int n_keep) {
    int n_past = c->n_past;
    if (n_keep < 0) n_keep = 0;
    if (n_keep > n_past - 2) n_keep = n_past - 2 > 0 ? n_past - 2 : 0;
    int n_discard = (n_past - n_keep) / 2;
    int n_rest = n_past - n_keep - n_discard;
    int32_t *rest = malloc((size_t)(n_rest > 0 ? n_rest : 1) * sizeof *rest);
    if (!rest) return ei_error(EI_ERR_NOMEM, "out of memory");
    memcpy(rest, c->tokens + n_keep + n_discard, (size_t)n_rest * sizeof *rest);
    ei_status s = ei_context_truncate(c, n_keep);
    if (!s && n_rest > 0) s = ei_decode(c, rest, n_rest);
    free(rest);
    return s;
}

ei_status ei_generate(ei_context *c, const int32_t *prompt, int32_t n_prompt, const ei_generate_params *gp,
                      ei_text_callback cb, void *user, ei_generate_result *res) {
    if (!c || (!prompt && n_prompt)) return ei_error(EI_ERR_ARG, "ei_generate: NULL argument");
    if (n_prompt <= 0) return ei_error(EI_ERR_ARG, "empty prompt: nothing to continue");
    ei_generate_params defaults = ei_generate_default_params();
    if (!gp) gp = &defaults;
    if (n_prompt >= c->n_ctx)
        return ei_error(EI_ERR_ARG, "the prompt has %d tokens but the context holds %d (raise -c or shorten the prompt)",
                        n_prompt, c->n_ctx);
    ei_generate_result r = {.n_prompt = n_prompt};
    const ei_model *m = c->m;

    /* reuse the cached prefix; at least one token must be decoded for logits */
    int common = 0;
    while (common < c->n_past && common < n_prompt && c->tokens[common] == prompt[common]) common++;
    if (common == n_prompt) common--;
    r.n_reused = common;
    ei_status s = ei_context_truncate(c, common);
    if (s) return s;

    ei_sampler *smp;
    if ((s = ei_sampler_new(&gp->sampling, m->cfg.n_vocab, &smp))) return s;
    for (int i = 0; i < n_prompt; i++) ei_sampler_accept(smp, prompt[i]);

    double t0 = now_ms();
    s = ei_decode(c, prompt + common, n_prompt - common);
    double t1 = now_ms();
    r.prompt_ms = t1 - t0;

    ei_text_stream text;
    ei_stream_init(&text, gp->stop, gp->n_stop);
    size_t piece_cap = 256;
    char *piece = malloc(piece_cap);
    if (!piece) s = ei_error(EI_ERR_NOMEM, "out of memory");
    r.finish = EI_FINISH_LENGTH;
    while (!s) {
        if (gp->max_tokens >= 0 && r.n_generated >= gp->max_tokens) break;
        int32_t tok;
        if ((s = ei_sampler_sample(smp, ei_get_logits(c, -1), &tok))) break;
        if (ei_token_is_eog(m, tok)) {
            r.finish = EI_FINISH_STOP;
            break;
        }
        ei_sampler_accept(smp, tok);
        r.n_generated++;

        size_t len;
        if ((s = ei_token_to_piece(m, tok, false, piece, piece_cap, &len))) break;
        if (len > piece_cap) { /* a long token: grow and ask again */
            char *p = realloc(piece, len);
            if (!p) {
                s = ei_error(EI_ERR_NOMEM, "out of memory");
                break;
            }
            piece = p;
            piece_cap = len;
            if ((s = ei_token_to_piece(m, tok, false, piece, piece_cap, &len))) break;
        }
        ei_stream_state st = ei_stream_push(&text, piece, len, cb, user);
        if (st == EI_STREAM_NOMEM) s = ei_error(EI_ERR_NOMEM, "out of memory");
        if (st != EI_STREAM_GO) {
            r.finish = st == EI_STREAM_STOPPED ? EI_FINISH_STOP : EI_FINISH_CANCELLED;
            break;
        }
        if (c->n_past >= c->n_ctx) {
            if (!gp->context_shift) break; /* LENGTH */
            if ((s = shift_context(c, gp->n_keep))) break;
        }
        s = ei_decode(c, &tok, 1);
    }
    /* the rest, an incomplete UTF-8 tail included: nothing more is coming */
    if (!s && r.finish != EI_FINISH_CANCELLED && ei_stream_finish(&text, cb, user) == EI_STREAM_CANCELLED)
        r.finish = EI_FINISH_CANCELLED;
    ei_stream_free(&text);
    free(piece);
    r.gen_ms = now_ms() - t1;
    ei_sampler_free(smp);
    if (res) *res = r;
    return s;
}
