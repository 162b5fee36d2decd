/*
 * sched.c — the scheduler: one thread that owns the model's contexts and
 * turns queued choices into tokens.
 *
 * Slots. cfg.parallel contexts of the one model, each with its own KV
 * cache. A slot keeps the tokens of its last prompt and answer after it is
 * done, so a request that starts the same way (the next turn of a chat) is
 * put in that slot and only its new tail is decoded.
 *
 * A step. (1) prompt work: one chunk of at most n_batch tokens of one
 * slot's prompt while others are generating (round robin, so a long prompt
 * delays the others' next token by one chunk at a time), every waiting
 * prompt's next chunk when none is; (2) every slot with fresh logits
 * samples its next token (json_object masking, logprobs, stop strings,
 * limits); (3) the sampled tokens of all slots are decoded together by one
 * ei_decode_multi, which reads each weight once for all of them.
 *
 * Locking. Slots, samplers and contexts belong to this thread alone. The
 * queue and everything a job shares with MHD's threads is touched under
 * srv.lock; connections are resumed after the lock is released.
 */
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "json_constraint.h"
#include "runtime/textstream.h"
#include "server.h"

typedef struct slot {
    int id;
    ei_context *ctx;
    int32_t *cache; /* (n_ctx) the tokens in ctx's KV cache, a host-side mirror */
    int32_t n_cache;
    srv_choice *c;  /* NULL: free */
    int32_t n_fed;  /* prompt tokens in the cache */
    ei_sampler *smp;
    ei_text_stream ts;
    jc_state jc;
    int32_t pending; /* sampled, to be decoded next step; -1 none */
    bool has_logits;
    uint64_t last_used;
} slot;

typedef struct sched {
    slot *slots;
    int n_slots;
    pthread_t thread;
    bool started;
    int rr; /* round robin over prompt work */
    uint64_t use_counter;
    double last_poll;
    /* the vocabulary's texts, for masking and streaming */
    char *vbytes;
    uint32_t *voff; /* (n_vocab + 1) */
    bool *veog;     /* (n_vocab) */
    jc_vocab vocab;
    float *work; /* (n_vocab) masked logits */
    /* one multi-decode's operands */
    ei_context **ctxs;
    int32_t *toks;
    slot **rows;
} sched;

/* ---- small helpers ------------------------------------------------------------- */

static void *take_wake_locked(srv_job *j) {
    if (!j->suspended || !j->conn) return NULL;
    j->suspended = false;
    return j->conn;
}

static uint64_t splitmix(uint64_t x) {
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

static void slot_release(sched *sc, slot *sl) {
    ei_sampler_free(sl->smp);
    sl->smp = NULL;
    ei_stream_free(&sl->ts);
    sl->c = NULL;
    sl->pending = -1;
    sl->has_logits = false;
    sl->last_used = ++sc->use_counter;
}

/* ---- finishing a choice ---------------------------------------------------------- */

/* A choice leaves its slot (or the queue). srv.lock held. Emits what the
 * client is owed, and when it was the job's last choice completes the job
 * and drops the scheduler's reference. Returns the connection to resume. */
static void *finish_locked(srv *s, srv_choice *c, ei_finish_reason why, const api_error *err) {
    srv_job *j = c->job;
    c->finish = why;
    c->done = true;
    j->n_left--;
    s->metrics.prompt_tokens += (uint64_t)c->n_prompt;
    s->metrics.prompt_tokens_cached += (uint64_t)c->n_reused;
    s->metrics.generated_tokens += (uint64_t)c->n_gen;
    if (err && !j->error_sent) { /* the first error decides the response */
        j->error_sent = true;
        if (j->par.stream) {
            api_stream_error(j, err);
        } else {
            free(j->body);
            j->body = api_error_json(err);
            j->status = err->status;
            if (err->status == 503) j->retry_after = "1";
        }
    }
    if (j->par.stream && !j->gone && !err && why != EI_FINISH_CANCELLED) api_stream_finish(j, c);
    if (j->n_left > 0) return take_wake_locked(j);
    if (j->par.stream) {
        if (!j->gone) api_stream_end(j);
    } else if (!j->error_sent) {
        j->body = api_final_json(j);
        j->status = j->body ? 200 : 500;
    }
    j->finished = true;
    metrics_observe(&s->metrics.latency, now_s() - j->t_start);
    void *wake = take_wake_locked(j);
    job_unref_locked(j);
    return wake;
}

static void finish_slot(srv *s, slot *sl, ei_finish_reason why, const api_error *err) {
    srv_choice *c = sl->c;
    if (!c) return;
    pthread_mutex_lock(&s->lock);
    void *wake = finish_locked(s, c, why, err);
    s->busy_slots--;
    pthread_mutex_unlock(&s->lock);
    if (wake) http_resume(wake);
    slot_release(s->sched, sl);
}

/* ---- streaming text out ------------------------------------------------------------ */

static bool on_text(const char *text, size_t len, void *user) {
    slot *sl = user;
    srv_choice *c = sl->c;
    srv_job *j = c->job;
    srv *s = j->srv;
    pthread_mutex_lock(&s->lock);
    bool go = !j->gone;
    void *wake = NULL;
    if (go) {
        if (j->par.stream) {
            if (api_stream_text(j, c, text, len)) go = false;
            wake = take_wake_locked(j);
        } else if (sbuf_add(&c->text, text, len)) {
            go = false;
        }
    }
    pthread_mutex_unlock(&s->lock);
    if (wake) http_resume(wake);
    return go;
}

/* The held-back tail of the text (an unfinished stop string, a partial
 * character) once nothing more is coming. */
static void flush_tail(slot *sl) { ei_stream_finish(&sl->ts, on_text, sl); }

/* ---- starting a choice -------------------------------------------------------------- */

static int32_t common_prefix(const int32_t *a, int32_t na, const int32_t *b, int32_t nb) {
    int32_t n = 0;
    while (n < na && n < nb && a[n] == b[n]) n++;
    return n;
}

/* The free slot that already holds the longest start of this prompt, else
 * the one unused the longest. */
static slot *pick_slot(sched *sc, const srv_choice *c) {
    slot *best = NULL;
    int32_t best_common = -1;
    for (int i = 0; i < sc->n_slots; i++) {
        slot *sl = &sc->slots[i];
        if (sl->c) continue;
        int32_t common = common_prefix(sl->cache, sl->n_cache, c->prompt, c->n_prompt);
        if (common > best_common || (common == best_common && sl->last_used < best->last_used)) {
            best = sl;
            best_common = common;
        }
    }
    return best;
}

static void start_choice(srv *s, slot *sl, srv_choice *c) {
    srv_job *j = c->job;
    sl->c = c;
    sl->pending = -1;
    sl->has_logits = false;
    int32_t common = common_prefix(sl->cache, sl->n_cache, c->prompt, c->n_prompt);
    if (common == c->n_prompt) common--; /* one token must be decoded for fresh logits */
    ei_context_truncate(sl->ctx, common);
    sl->n_cache = common;
    sl->n_fed = common;
    c->n_reused = common;

    ei_sampler_params sp = j->par.sp;
    if (!j->par.seeded) {
        pthread_mutex_lock(&s->lock);
        sp.seed = splitmix(++s->seed_counter ^ (uint64_t)time(NULL));
        pthread_mutex_unlock(&s->lock);
    }
    ei_status st = ei_sampler_new(&sp, s->n_vocab, &sl->smp);
    ei_stream_init(&sl->ts, (const char *const *)j->par.stop, j->par.n_stop);
    jc_init(&sl->jc);
    if (st != EI_OK) {
        api_error e;
        api_fail(&e, 500, "server_error", NULL, NULL, "cannot start sampling: %s", ei_last_error());
        finish_slot(s, sl, EI_FINISH_STOP, &e);
        return;
    }
    for (int32_t i = 0; i < c->n_prompt; i++) ei_sampler_accept(sl->smp, c->prompt[i]);

    void *wake = NULL;
    pthread_mutex_lock(&s->lock);
    if (j->par.stream && !j->gone) api_stream_role(j, c); /* chat: the role; completions: the echo */
    wake = take_wake_locked(j);
    pthread_mutex_unlock(&s->lock);
    if (wake) http_resume(wake);
    if (j->par.max_tokens == 0) finish_slot(s, sl, EI_FINISH_LENGTH, NULL);
}

/* ---- sampling one token -------------------------------------------------------------- */

/* Log-probabilities from raw logits: the chosen token's and the k best. */
static void record_logprobs(srv *s, srv_choice *c, const float *logits, int32_t tok, int k) {
    if (c->n_lp == c->cap_lp) {
        int32_t cap = c->cap_lp ? c->cap_lp * 2 : 64;
        srv_logprob *lp = realloc(c->lp, (size_t)cap * sizeof *lp);
        if (!lp) return;
        c->lp = lp;
        c->cap_lp = cap;
    }
    int32_t n = s->n_vocab;
    float mx = -INFINITY;
    for (int32_t i = 0; i < n; i++)
        if (logits[i] > mx) mx = logits[i];
    double sum = 0;
    for (int32_t i = 0; i < n; i++)
        if (logits[i] > -INFINITY) sum += exp((double)logits[i] - mx);
    float log_z = mx + (float)log(sum);
    srv_logprob *l = &c->lp[c->n_lp++];
    l->token = tok;
    l->logprob = logits[tok] - log_z;
    if (!(l->logprob > -1e30f)) l->logprob = -9999.0f; /* JSON has no -inf */
    l->n_top = 0;
    for (int32_t i = 0; i < n && k > 0; i++) { /* insertion into the k best, kept sorted */
        float v = logits[i];
        if (!(v > -INFINITY)) continue;
        if (l->n_top == k && v <= l->top_logprob[k - 1]) continue;
        int p = l->n_top < k ? l->n_top++ : k - 1;
        while (p > 0 && l->top_logprob[p - 1] < v) {
            l->top_logprob[p] = l->top_logprob[p - 1];
            l->top_token[p] = l->top_token[p - 1];
            p--;
        }
        l->top_logprob[p] = v;
        l->top_token[p] = i;
    }
    for (int i = 0; i < l->n_top; i++) l->top_logprob[i] -= log_z;
}

static void sample_slot(srv *s, slot *sl) {
    sched *sc = s->sched;
    srv_choice *c = sl->c;
    srv_job *j = c->job;
    const srv_params *par = &j->par;
    sl->has_logits = false;
    if (par->max_tokens >= 0 && c->n_gen >= par->max_tokens) {
        flush_tail(sl);
        finish_slot(s, sl, EI_FINISH_LENGTH, NULL);
        return;
    }
    const float *logits = ei_get_logits(sl->ctx, -1);
    if (!logits) {
        api_error e;
        api_fail(&e, 500, "server_error", NULL, NULL, "no logits after decoding");
        finish_slot(s, sl, EI_FINISH_STOP, &e);
        return;
    }
    const float *lg = logits;
    if (par->json_mode) {
        memcpy(sc->work, logits, (size_t)s->n_vocab * sizeof *sc->work);
        if (jc_mask(&sl->jc, &sc->vocab, sc->work) == 0) {
            flush_tail(sl);
            finish_slot(s, sl, EI_FINISH_STOP, NULL);
            return;
        }
        lg = sc->work;
    }
    int32_t tok;
    if (ei_sampler_sample(sl->smp, lg, &tok) != EI_OK) { /* every token banned */
        flush_tail(sl);
        finish_slot(s, sl, EI_FINISH_STOP, NULL);
        return;
    }
    if (c->n_gen == 0) {
        pthread_mutex_lock(&s->lock);
        if (j->t_first == 0) {
            j->t_first = now_s();
            metrics_observe(&s->metrics.ttft, j->t_first - j->t_start);
        }
        pthread_mutex_unlock(&s->lock);
    }
    if (sc->veog[tok]) {
        flush_tail(sl);
        finish_slot(s, sl, EI_FINISH_STOP, NULL);
        return;
    }
    ei_sampler_accept(sl->smp, tok);
    c->n_gen++;
    if (par->logprobs) record_logprobs(s, c, logits, tok, par->top_logprobs);

    const char *piece = sc->vbytes + sc->voff[tok];
    size_t len = sc->voff[tok + 1] - sc->voff[tok];
    if (par->json_mode) jc_push(&sl->jc, piece, len);
    ei_stream_state st = ei_stream_push(&sl->ts, piece, len, on_text, sl);
    if (st == EI_STREAM_STOPPED) {
        flush_tail(sl);
        finish_slot(s, sl, EI_FINISH_STOP, NULL);
        return;
    }
    if (st == EI_STREAM_CANCELLED) {
        finish_slot(s, sl, EI_FINISH_CANCELLED, NULL);
        return;
    }
    if (st == EI_STREAM_NOMEM) {
        api_error e;
        api_fail(&e, 500, "server_error", NULL, NULL, "out of memory");
        finish_slot(s, sl, EI_FINISH_STOP, &e);
        return;
    }
    /* prompt + answer never exceed the context (the last token needs no room: it is not decoded) */
    bool full = ei_context_n_past(sl->ctx) + 1 >= ei_context_n_ctx(sl->ctx);
    if ((par->json_mode && jc_done(&sl->jc)) || full || (par->max_tokens >= 0 && c->n_gen >= par->max_tokens)) {
        flush_tail(sl);
        finish_slot(s, sl, par->json_mode && jc_done(&sl->jc) ? EI_FINISH_STOP : EI_FINISH_LENGTH, NULL);
        return;
    }
    sl->pending = tok;
}

/* ---- one step ------------------------------------------------------------------------- */

static void decode_failed(srv *s, slot *sl, const char *what) {
    api_error e;
    api_fail(&e, 500, "server_error", NULL, NULL, "%s failed: %s", what, ei_last_error());
    /* the cache holds what the context says it holds */
    int32_t n = ei_context_n_past(sl->ctx);
    if (n < sl->n_cache) sl->n_cache = n;
    if (sl->n_fed > sl->n_cache) sl->n_fed = sl->n_cache;
    finish_slot(s, sl, EI_FINISH_STOP, &e);
}

static void step(srv *s) {
    sched *sc = s->sched;
    bool generating = false;
    for (int i = 0; i < sc->n_slots; i++)
        if (sc->slots[i].c && sc->slots[i].n_fed >= sc->slots[i].c->n_prompt) generating = true;

    /* (1) prompt work */
    for (int k = 0; k < sc->n_slots; k++) {
        slot *sl = &sc->slots[(sc->rr + k) % sc->n_slots];
        srv_choice *c = sl->c;
        if (!c || sl->n_fed >= c->n_prompt) continue;
        int32_t n = c->n_prompt - sl->n_fed;
        if (n > s->cfg.n_batch) n = s->cfg.n_batch;
        if (ei_decode(sl->ctx, c->prompt + sl->n_fed, n) != EI_OK) {
            decode_failed(s, sl, "prompt decoding");
            continue;
        }
        memcpy(sl->cache + sl->n_cache, c->prompt + sl->n_fed, (size_t)n * sizeof *sl->cache);
        sl->n_cache += n;
        sl->n_fed += n;
        if (sl->n_fed == c->n_prompt) sl->has_logits = true;
        if (generating) {
            sc->rr = (int)(sl - sc->slots + 1) % sc->n_slots;
            break;
        }
    }

    /* (2) sample wherever there are fresh logits */
    for (int i = 0; i < sc->n_slots; i++) {
        slot *sl = &sc->slots[i];
        if (sl->c && sl->has_logits) sample_slot(s, sl);
    }

    /* (3) decode every sampled token in one pass */
    int n = 0;
    for (int i = 0; i < sc->n_slots; i++) {
        slot *sl = &sc->slots[i];
        if (!sl->c || sl->pending < 0) continue;
        sc->rows[n] = sl;
        sc->ctxs[n] = sl->ctx;
        sc->toks[n] = sl->pending;
        n++;
    }
    if (n == 0) return;
    /* alone, ei_decode: exactly the arithmetic of `edgeinfer run` */
    ei_status st = n == 1 ? ei_decode(sc->ctxs[0], sc->toks, 1) : ei_decode_multi(sc->ctxs, sc->toks, n);
    pthread_mutex_lock(&s->lock);
    s->metrics.decode_steps++;
    s->metrics.decode_rows += (uint64_t)n;
    pthread_mutex_unlock(&s->lock);
    for (int i = 0; i < n; i++) {
        slot *sl = sc->rows[i];
        if (st != EI_OK) {
            decode_failed(s, sl, "decoding");
            continue;
        }
        sl->cache[sl->n_cache++] = sl->pending;
        sl->pending = -1;
        sl->has_logits = true;
    }
}

/* ---- the queue ------------------------------------------------------------------------- */

static srv_choice *queue_pop_locked(srv *s) {
    if (!s->q_len) return NULL;
    srv_choice *c = s->queue[s->q_head];
    s->q_head = (s->q_head + 1) % s->q_cap;
    s->q_len--;
    return c;
}

/* Drop queued choices of clients that left, or all of them when stopping;
 * collects connections to resume in wake[]. */
static int purge_queue_locked(srv *s, void **wake, int max_wake) {
    int n_wake = 0;
    int len = s->q_len;
    for (int i = 0; i < len; i++) {
        srv_choice *c = queue_pop_locked(s);
        if (!c->job->gone && s->stopping < 2) {
            s->queue[(s->q_head + s->q_len) % s->q_cap] = c;
            s->q_len++;
            continue;
        }
        api_error e, *err = NULL;
        if (s->stopping && !c->job->gone) {
            api_fail(&e, 503, "server_error", NULL, "server_shutting_down", "The server is shutting down.");
            err = &e;
        }
        void *w = finish_locked(s, c, EI_FINISH_CANCELLED, err);
        if (w && n_wake < max_wake) wake[n_wake++] = w;
    }
    return n_wake;
}

/* Poll the sockets of waiting connections: a client that closed its end is
 * gone now, not when its next token fails to send. */
static void poll_clients_locked(srv *s) {
    sched *sc = s->sched;
    double t = now_s();
    if (t - sc->last_poll < 0.02) return;
    sc->last_poll = t;
    for (int i = 0; i < sc->n_slots; i++) {
        srv_choice *c = sc->slots[i].c;
        if (!c) continue;
        srv_job *j = c->job;
        if (j->gone || !j->suspended || j->fd < 0) continue;
        struct pollfd p = {.fd = j->fd, .events = POLLRDHUP};
        if (poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL))) {
            j->gone = true;
            s->metrics.cancelled++;
        }
    }
    for (int i = 0; i < s->q_len; i++) {
        srv_job *j = s->queue[(s->q_head + i) % s->q_cap]->job;
        if (j->gone || !j->suspended || j->fd < 0) continue;
        struct pollfd p = {.fd = j->fd, .events = POLLRDHUP};
        if (poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL))) {
            j->gone = true;
            s->metrics.cancelled++;
        }
    }
}

int sched_submit(srv *s, srv_job *j, api_error *e) {
    pthread_mutex_lock(&s->lock);
    int room = s->cfg.queue + (s->cfg.parallel - s->busy_slots) - s->q_len;
    if (s->stopping || !s->sched) {
        pthread_mutex_unlock(&s->lock);
        return api_fail(e, 503, "server_error", NULL, "server_shutting_down", "The server is shutting down.");
    }
    if (j->n_choices > room || s->q_len + j->n_choices > s->q_cap) {
        s->metrics.rejected++;
        pthread_mutex_unlock(&s->lock);
        return api_fail(e, 503, "server_error", NULL, "server_overloaded",
                        "The server is busy: %d requests are already waiting. Retry shortly.", s->q_len);
    }
    for (int i = 0; i < j->n_choices; i++) {
        s->queue[(s->q_head + s->q_len) % s->q_cap] = &j->choices[i];
        s->q_len++;
    }
    j->refs++; /* the scheduler's */
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->lock);
    return 0;
}

/* ---- the thread ---------------------------------------------------------------------------- */

static void *sched_main(void *arg) {
    srv *s = arg;
    sched *sc = s->sched;
    srv_choice **starting = calloc((size_t)sc->n_slots, sizeof *starting);
    void *wake[64];
    for (;;) {
        int n_start = 0, n_wake = 0;
        bool stop_now = false, idle = true, quit = false;
        pthread_mutex_lock(&s->lock);
        poll_clients_locked(s);
        n_wake = purge_queue_locked(s, wake, 64);
        stop_now = s->stopping >= 2;
        /* admit: queued choices into free slots */
        int free_slots = s->cfg.parallel - s->busy_slots;
        while (s->stopping < 2 && free_slots > 0 && s->q_len > 0 && starting) {
            srv_choice *c = queue_pop_locked(s);
            starting[n_start++] = c;
            free_slots--;
            s->busy_slots++;
        }
        for (int i = 0; i < sc->n_slots; i++)
            if (sc->slots[i].c) idle = false;
        if (idle && n_start == 0) {
            if (s->stopping && s->q_len == 0) quit = true;
            else if (n_wake == 0) {
                struct timespec ts;
                clock_gettime(CLOCK_REALTIME, &ts);
                ts.tv_nsec += 100 * 1000000L;
                if (ts.tv_nsec >= 1000000000L) {
                    ts.tv_sec++;
                    ts.tv_nsec -= 1000000000L;
                }
                pthread_cond_timedwait(&s->cv, &s->lock, &ts);
            }
        }
        pthread_mutex_unlock(&s->lock);
        for (int i = 0; i < n_wake; i++) http_resume(wake[i]);
        if (quit) break;

        /* choices whose client left, or everything on a hard stop */
        for (int i = 0; i < sc->n_slots; i++) {
            slot *sl = &sc->slots[i];
            if (!sl->c) continue;
            pthread_mutex_lock(&s->lock);
            bool gone = sl->c->job->gone;
            pthread_mutex_unlock(&s->lock);
            if (gone) {
                finish_slot(s, sl, EI_FINISH_CANCELLED, NULL);
            } else if (stop_now) {
                api_error e;
                api_fail(&e, 503, "server_error", NULL, "server_shutting_down", "The server is shutting down.");
                finish_slot(s, sl, EI_FINISH_CANCELLED, &e);
            }
        }
        for (int i = 0; i < n_start; i++) {
            slot *sl = pick_slot(sc, starting[i]);
            start_choice(s, sl, starting[i]);
        }
        step(s);
    }
    free(starting);
    return NULL;
}

/* ---- start and stop --------------------------------------------------------------------- */

static int build_vocab(srv *s, sched *sc) {
    int32_t n = s->n_vocab;
    sc->voff = malloc(((size_t)n + 1) * sizeof *sc->voff);
    sc->veog = malloc((size_t)n * sizeof *sc->veog);
    sc->work = malloc((size_t)n * sizeof *sc->work);
    sbuf b = {0};
    if (!sc->voff || !sc->veog || !sc->work) return -1;
    char piece[256];
    for (int32_t i = 0; i < n; i++) {
        sc->voff[i] = (uint32_t)b.len;
        sc->veog[i] = ei_token_is_eog(s->model, i);
        size_t len = 0;
        if (ei_token_to_piece(s->model, i, false, piece, sizeof piece, &len) != EI_OK) len = 0;
        if (len > sizeof piece) { /* a very long token */
            char *big = malloc(len);
            if (!big || ei_token_to_piece(s->model, i, false, big, len, &len) != EI_OK || sbuf_add(&b, big, len)) {
                free(big);
                sbuf_free(&b);
                return -1;
            }
            free(big);
        } else if (sbuf_add(&b, piece, len)) {
            sbuf_free(&b);
            return -1;
        }
        if (b.len > UINT32_MAX / 2) {
            sbuf_free(&b);
            return -1;
        }
    }
    sc->voff[n] = (uint32_t)b.len;
    if (sbuf_add(&b, "", 0)) return -1;
    sc->vbytes = b.p;
    sc->vocab = (jc_vocab){n, sc->vbytes, sc->voff, sc->veog};
    return 0;
}

static void sched_free(sched *sc) {
    if (!sc) return;
    for (int i = 0; i < sc->n_slots; i++) {
        ei_sampler_free(sc->slots[i].smp);
        ei_stream_free(&sc->slots[i].ts);
        ei_context_free(sc->slots[i].ctx);
        free(sc->slots[i].cache);
    }
    free(sc->slots);
    free(sc->vbytes);
    free(sc->voff);
    free(sc->veog);
    free(sc->work);
    free(sc->ctxs);
    free(sc->toks);
    free(sc->rows);
    free(sc);
}

int sched_start(srv *s) {
    sched *sc = calloc(1, sizeof *sc);
    if (!sc) return -1;
    int n = s->cfg.parallel;
    sc->n_slots = n;
    sc->slots = calloc((size_t)n, sizeof *sc->slots);
    sc->ctxs = calloc((size_t)n, sizeof *sc->ctxs);
    sc->toks = calloc((size_t)n, sizeof *sc->toks);
    sc->rows = calloc((size_t)n, sizeof *sc->rows);
    if (!sc->slots || !sc->ctxs || !sc->toks || !sc->rows) {
        sched_free(sc);
        fprintf(stderr, "edgeinfer serve: out of memory\n");
        return -1;
    }
    ei_context_params cp = ei_context_default_params();
    cp.n_ctx = s->cfg.n_ctx;
    cp.n_batch = s->cfg.n_batch > n ? s->cfg.n_batch : n; /* ei_decode_multi needs n rows */
    for (int i = 0; i < n; i++) {
        slot *sl = &sc->slots[i];
        sl->id = i;
        sl->pending = -1;
        if (ei_context_new(s->model, &cp, &sl->ctx) != EI_OK) {
            fprintf(stderr, "edgeinfer serve: cannot create the context of slot %d: %s\n", i, ei_last_error());
            sched_free(sc);
            return -1;
        }
        sl->cache = malloc((size_t)ei_context_n_ctx(sl->ctx) * sizeof *sl->cache);
        if (!sl->cache) {
            sched_free(sc);
            fprintf(stderr, "edgeinfer serve: out of memory\n");
            return -1;
        }
    }
    s->n_ctx = ei_context_n_ctx(sc->slots[0].ctx);
    if (s->cfg.n_batch > s->n_ctx) s->cfg.n_batch = s->n_ctx;
    if (build_vocab(s, sc)) {
        fprintf(stderr, "edgeinfer serve: cannot read the vocabulary: %s\n", ei_last_error());
        sched_free(sc);
        return -1;
    }
    s->q_cap = s->cfg.queue + s->cfg.parallel;
    s->queue = calloc((size_t)s->q_cap, sizeof *s->queue);
    if (!s->queue) {
        sched_free(sc);
        return -1;
    }
    pthread_mutex_lock(&s->lock);
    s->sched = sc;
    pthread_mutex_unlock(&s->lock);
    if (pthread_create(&sc->thread, NULL, sched_main, s) != 0) {
        pthread_mutex_lock(&s->lock);
        s->sched = NULL;
        pthread_mutex_unlock(&s->lock);
        sched_free(sc);
        fprintf(stderr, "edgeinfer serve: cannot start the scheduler thread\n");
        return -1;
    }
    sc->started = true;
    return 0;
}

void sched_cancel_all(srv *s) {
    pthread_mutex_lock(&s->lock);
    s->stopping = 2;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->lock);
}

void sched_stop(srv *s, double drain_s) {
    pthread_mutex_lock(&s->lock);
    if (s->stopping < 1) s->stopping = 1;
    pthread_cond_broadcast(&s->cv);
    sched *sc = s->sched;
    pthread_mutex_unlock(&s->lock);
    if (!sc) return;
    double deadline = now_s() + drain_s;
    for (;;) {
        pthread_mutex_lock(&s->lock);
        int busy = s->busy_slots + s->q_len;
        int stopping = s->stopping;
        pthread_mutex_unlock(&s->lock);
        if (busy == 0 || stopping >= 2) break;
        if (now_s() > deadline) {
            sched_cancel_all(s);
            break;
        }
        struct timespec ts = {0, 20 * 1000000L};
        nanosleep(&ts, NULL);
    }
    if (sc->started) pthread_join(sc->thread, NULL);
    pthread_mutex_lock(&s->lock);
    s->sched = NULL;
    pthread_mutex_unlock(&s->lock);
    sched_free(sc);
    free(s->queue);
    s->queue = NULL;
}
