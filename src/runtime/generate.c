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

/* ---- text not yet handed out -------------------------------------------- */

typedef struct pending {
    char *buf;
    size_t len, cap;
} pending;

static ei_status pending_add(pending *p, const char *s, size_t n) {
    if (p->len + n + 1 > p->cap) {
        size_t cap = (p->len + n + 1) * 2;
        char *b = realloc(p->buf, cap);
        if (!b) return ei_error(EI_ERR_NOMEM, "out of memory");
        p->buf = b;
        p->cap = cap;
    }
    memcpy(p->buf + p->len, s, n);
    p->len += n;
    p->buf[p->len] = '\0';
    return EI_OK;
}

/* Length of the longest prefix of s[0..n) that ends on a whole UTF-8
 * character (an incomplete sequence at the end is held back). */
static size_t utf8_complete(const char *s, size_t n) {
    size_t i = n, back = 0;
    while (i > 0 && back < 4) {
        unsigned char c = (unsigned char)s[i - 1];
        if ((c & 0xC0) != 0x80) { /* a lead byte or ASCII */
            size_t need = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 1;
            return back + 1 >= need ? n : i - 1;
        }
        i--;
        back++;
    }
    return n; /* not UTF-8 at all: pass it on rather than hold it forever */
}

/* Find the first stop string in p; return its offset or -1. Also report how
 * many bytes at the end could still become one (a partial match). */
static long find_stop(const pending *p, const ei_generate_params *gp, size_t *hold) {
    long first = -1;
    *hold = 0;
    for (size_t i = 0; i < gp->n_stop; i++) {
        const char *s = gp->stop[i];
        size_t sl = strlen(s);
        if (!sl) continue;
        const char *hit = NULL;
        for (size_t off = 0; off + sl <= p->len; off++)
            if (memcmp(p->buf + off, s, sl) == 0) {
                hit = p->buf + off;
                break;
            }
        if (hit && (first < 0 || hit - p->buf < first)) first = hit - p->buf;
        for (size_t k = sl - 1; k > 0; k--) /* longest proper prefix of s ending the text */
            if (k <= p->len && memcmp(p->buf + p->len - k, s, k) == 0) {
                if (k > *hold) *hold = k;
                break;
            }
    }
    return first;
}

/* Hand out what is safe; returns false if the callback asked to stop. */
static bool flush(pending *p, size_t upto, ei_text_callback cb, void *user) {
    size_t n = utf8_complete(p->buf, upto);
    bool go = true;
    if (n && cb) go = cb(p->buf, n, user);
    memmove(p->buf, p->buf + n, p->len - n);
    p->len -= n;
    if (p->buf) p->buf[p->len] = '\0';
    return go;
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

    pending text = {0};
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

        char piece[256];
        size_t len;
        if ((s = ei_token_to_piece(m, tok, false, piece, sizeof piece, &len))) break;
        if ((s = pending_add(&text, piece, len < sizeof piece ? len : sizeof piece))) break;
        size_t hold;
        long stop_at = find_stop(&text, gp, &hold);
        if (stop_at >= 0) {
            text.len = (size_t)stop_at; /* the stop string and what follows are dropped */
            r.finish = EI_FINISH_STOP;
            break;
        }
        if (!flush(&text, text.len - hold, cb, user)) {
            r.finish = EI_FINISH_CANCELLED;
            break;
        }
        if (c->n_past >= c->n_ctx) {
            if (!gp->context_shift) break; /* LENGTH */
            if ((s = shift_context(c, gp->n_keep))) break;
        }
        s = ei_decode(c, &tok, 1);
    }
    if (!s && r.finish != EI_FINISH_CANCELLED && text.len) {
        /* the rest, incomplete UTF-8 included: nothing more is coming */
        if (cb && !cb(text.buf, text.len, user)) r.finish = EI_FINISH_CANCELLED;
    }
    r.gen_ms = now_ms() - t1;
    free(text.buf);
    ei_sampler_free(smp);
    if (res) *res = r;
    return s;
}
