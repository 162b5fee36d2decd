/*
 * server.h — `edgeinfer serve`: the pieces of the OpenAI-compatible server
 * and the one structure they share.
 *
 *   http.c     libmicrohttpd (epoll + thread pool): routing, API key, body
 *              limit, slow-client watchdog, suspend/resume of waiting
 *              connections, one log line per request
 *   api.c      OpenAI JSON in: validation, OpenAI's error shape, prompts
 *   api_out.c  OpenAI JSON out: completions, chunks, usage, logprobs, models
 *   sched.c    the scheduler: one thread owns the model and the slots and
 *              decodes all busy slots together each step (continuous
 *              batching), reusing each slot's cached prefix
 *   metrics.c  counters and the Prometheus text of GET /metrics
 *   json_constraint.c  response_format json_object
 *
 * Threads. MHD's threads only parse, validate, tokenize, queue and stream;
 * the scheduler thread alone touches contexts and samplers. They meet in
 * srv.lock (one mutex) and srv.cv: the queue of choices, each job's output
 * and its flags. A connection that waits (for a queue place, for tokens) is
 * suspended in MHD and resumed by the scheduler when there is something for
 * it; MHD functions are never called with srv.lock held, except
 * MHD_suspend_connection from inside MHD's own callbacks.
 *
 * Lifetimes. A job (one HTTP request that generates) is reference counted:
 * one reference for the connection, one for a streaming response, one for
 * the scheduler while any of its choices is queued or in a slot.
 */
#ifndef EI_SERVE_SERVER_H
#define EI_SERVE_SERVER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "edgeinfer.h"

/* ---- configuration --------------------------------------------------------- */

typedef struct srv_config {
    const char *model_path;
    const char *host;          /* "127.0.0.1" */
    int port;                  /* 8080 */
    int n_ctx;                 /* per slot; 0: the model's (at most 4096) */
    int parallel;              /* slots decoded together: 4 */
    int queue;                 /* choices waiting behind the slots: 64 */
    const char *api_key;       /* NULL: no authentication */
    int timeout_s;             /* a request must arrive whole, and a connection may idle, this long: 600 */
    const char *alias;         /* the model's id in the API; NULL: the file's name without .gguf */
    const char *chat_template; /* NULL: the model's own */
    int n_threads;             /* 0: physical cores */
    int n_batch;               /* prompt tokens per forward pass (per step): 512 */
    int http_threads;          /* MHD's thread pool: 4 */
    size_t max_body;           /* bytes: 16 MiB */
    int max_depth;             /* JSON nesting: 64 */
} srv_config;

void srv_config_defaults(srv_config *c);

/* ---- a growable byte buffer ------------------------------------------------- */

typedef struct sbuf {
    char *p; /* NUL-terminated while len < cap */
    size_t len, cap;
} sbuf;

int sbuf_add(sbuf *b, const char *s, size_t n); /* 0, or -1 out of memory */
int sbuf_adds(sbuf *b, const char *s);
void sbuf_free(sbuf *b);

/* Copy s[0..n) into b, replacing each invalid UTF-8 sequence by U+FFFD. */
int sbuf_add_utf8(sbuf *b, const char *s, size_t n);
/* A malloc'd copy with invalid UTF-8 replaced; NULL when out of memory. */
char *utf8_sanitize(const char *s, size_t n);

/* ---- requests ---------------------------------------------------------------- */

typedef enum job_kind { JOB_CHAT, JOB_COMPLETION } job_kind;

#define SRV_MAX_TOP_LOGPROBS 20
#define SRV_MAX_STOP 16

/* What one request asks of generation; shared by its choices. */
typedef struct srv_params {
    int32_t max_tokens; /* < 0: until the context is full */
    ei_sampler_params sp;
    bool seeded;        /* the request gave a seed (else one is drawn per choice) */
    ei_logit_bias *bias;
    size_t n_bias;
    char *stop[SRV_MAX_STOP];
    size_t n_stop;
    bool json_mode;     /* response_format json_object */
    bool logprobs;
    int top_logprobs;   /* 0..20 */
    bool echo;          /* completions: the prompt text comes first */
    bool stream, include_usage;
} srv_params;

/* Log-probabilities of one generated token. */
typedef struct srv_logprob {
    int32_t token;
    float logprob;
    int n_top;
    int32_t top_token[SRV_MAX_TOP_LOGPROBS];
    float top_logprob[SRV_MAX_TOP_LOGPROBS];
} srv_logprob;

struct srv_job;

/* One prompt, one answer: the unit a slot works on. */
typedef struct srv_choice {
    struct srv_job *job;
    int index;
    int32_t *prompt; /* (n_prompt) */
    int32_t n_prompt;
    char *echo_text; /* completions with echo: the prompt as text */
    /* written by the scheduler */
    sbuf text;          /* the answer so far (non-streaming: all of it) */
    srv_logprob *lp;    /* (n_lp) every generated token's, when asked */
    int32_t n_lp, cap_lp, lp_sent; /* lp_sent: entries already streamed */
    size_t text_offset; /* completions logprobs: bytes before the next token */
    int32_t n_gen, n_reused;
    ei_finish_reason finish;
    bool done;
} srv_choice;

typedef struct srv_job {
    /* set before queueing, then read-only */
    struct srv *srv;
    job_kind kind;
    char id[64];
    int64_t created;
    char *model;
    srv_params par;
    srv_choice *choices;
    int n_choices;
    double t_start;

    /* guarded by srv.lock */
    int refs;
    void *conn;      /* the MHD connection while it lives */
    int fd;          /* its socket, polled for a client that went away */
    bool suspended;  /* waiting in MHD for the scheduler to resume it */
    bool gone;       /* the client disconnected: stop working on it */
    bool finished;   /* every choice is done and the output complete */
    int n_left;      /* choices not done */
    sbuf out;        /* streaming: SSE bytes not yet sent start at out_sent */
    size_t out_sent;
    int status;      /* non-streaming: the response, once finished */
    char *body;
    char *retry_after; /* a 503's Retry-After */
    double t_first;  /* when the first token was sampled (0: not yet) */
    bool error_sent;
} srv_job;

/* Drop one reference (srv.lock held); frees the job at zero. */
void job_unref_locked(srv_job *j);
void job_free(srv_job *j);

/* ---- metrics ----------------------------------------------------------------- */

enum { EP_CHAT, EP_COMPLETIONS, EP_MODELS, EP_HEALTH, EP_METRICS, EP_TOKENIZE, EP_DETOKENIZE, EP_OTHER, EP_COUNT };
#define SRV_N_BUCKETS 12

typedef struct srv_histogram {
    uint64_t bucket[SRV_N_BUCKETS]; /* cumulative at output time, per-bucket here */
    uint64_t count;
    double sum;
} srv_histogram;

typedef struct srv_metrics {
    uint64_t requests[EP_COUNT][6]; /* by status class: 2xx, 400, 401/403, 404/405/413, 5xx, other */
    uint64_t prompt_tokens, prompt_tokens_cached, generated_tokens;
    uint64_t decode_steps, decode_rows; /* batched generation passes and their rows */
    uint64_t rejected;                  /* refused because the queue was full */
    uint64_t cancelled;                 /* clients that left before the end */
    srv_histogram latency, ttft;
} srv_metrics;

void metrics_observe(srv_histogram *h, double seconds);
void metrics_count_request(srv_metrics *m, int endpoint, int status);
/* The Prometheus text (malloc'd); srv.lock held. */
char *metrics_render(const struct srv *s);

/* ---- the server -------------------------------------------------------------- */

struct sched;
struct http;

typedef struct srv {
    srv_config cfg;
    pthread_mutex_t lock;
    pthread_cond_t cv;

    atomic_int ready;     /* the model is loaded and the scheduler runs */
    ei_model *model;
    int32_t n_vocab, n_ctx;
    char *model_id;
    int64_t created;

    /* choices waiting for a slot (a ring), guarded by lock */
    srv_choice **queue;
    int q_head, q_len, q_cap;
    int stopping;          /* 0 running; 1 draining (finish what runs); 2 cancel everything */
    int busy_slots;
    uint64_t seed_counter; /* seeds for requests that gave none */

    srv_metrics metrics;
    struct sched *sched;
    struct http *http;
} srv;

/* The text of a token (malloc'd, raw bytes, not NUL-safe: *len counts). */
char *srv_token_piece(const struct srv *s, int32_t tok, size_t *len);

/* api.c, api_out.c ------------------------------------------------------------ */

typedef struct api_error {
    int status;         /* HTTP status */
    char message[512];
    const char *type;   /* "invalid_request_error", ... */
    const char *param;  /* NULL: null */
    const char *code;   /* NULL: null */
} api_error;

/* Fill e; returns -1 so `return api_fail(...)` reads naturally. */
int api_fail(api_error *e, int status, const char *type, const char *param, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
/* {"error": {...}} as a malloc'd string. */
char *api_error_json(const api_error *e);

/* Parse and validate a /v1/chat/completions or /v1/completions body into a
 * new job (prompts rendered and tokenized, limits checked). NULL with e set
 * on any problem. Called on MHD's threads. */
srv_job *api_parse_job(srv *s, job_kind kind, const char *body, size_t len, api_error *e);

/* Pre-scan of a body: deeper nesting than max_depth is refused before
 * cJSON sees it. */
bool api_depth_ok(const char *body, size_t len, int max_depth);

/* Streaming output, appended to j->out (srv.lock held by the caller). */
int api_stream_text(srv_job *j, srv_choice *c, const char *text, size_t n);
int api_stream_role(srv_job *j, srv_choice *c);
int api_stream_finish(srv_job *j, srv_choice *c);
int api_stream_end(srv_job *j); /* usage chunk when asked, then [DONE] */
int api_stream_error(srv_job *j, const api_error *e);
/* The non-streaming body once every choice is done. */
char *api_final_json(srv_job *j);

char *api_models_json(const srv *s, const char *only_id); /* NULL only_id: the list */
char *api_tokenize(srv *s, const char *body, size_t len, api_error *e);
char *api_detokenize(srv *s, const char *body, size_t len, api_error *e);

/* sched.c ------------------------------------------------------------------- */

/* Contexts for cfg.parallel slots, vocabulary tables, the thread. */
int sched_start(srv *s);
/* Queue every choice of j (takes the scheduler's reference). 0 on success;
 * -1 (e filled: 503 queue full / shutting down) otherwise. */
int sched_submit(srv *s, srv_job *j, api_error *e);
/* Stop: with drain, running choices finish (up to drain_s seconds) and queued
 * ones are refused; then the thread is joined and the slots freed. */
void sched_stop(srv *s, double drain_s);
/* Take a second signal into account: cancel what still runs. */
void sched_cancel_all(srv *s);

/* http.c -------------------------------------------------------------------- */

int http_start(srv *s);
/* Refuse new connections (quiesce), then, once no request is in flight or
 * after wait_s seconds, stop MHD. */
void http_stop(srv *s, double wait_s);
/* Resume a suspended connection (a job's conn, taken under srv.lock while
 * clearing j->suspended; called after the lock is released). */
void http_resume(void *conn);
/* Stop accepting connections (the first step of shutting down). */
void http_quiesce(srv *s);
/* End requests that have not arrived whole within cfg.timeout_s. */
void http_watchdog(srv *s);

double now_s(void); /* monotonic clock */

#endif
