/*
 * cmd_serve.c — `edgeinfer serve`: an OpenAI-compatible HTTP server
 * (docs/server.md). This file parses the flags and runs the lifecycle:
 * listen first (GET /health answers 503 while the model loads), load the
 * model, start the scheduler, then wait for SIGINT/SIGTERM. On the first
 * signal new connections are refused and what is in flight finishes (for at
 * most --drain seconds); a second signal cancels it at once.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "edgeinfer.h"
#include "model_path.h"
#include "serve/server.h"

static void usage(FILE *f) {
    fprintf(f,
            "usage: edgeinfer serve -m MODEL [options]\n"
            "  Serve MODEL (a GGUF file or a catalog name) with OpenAI's HTTP API: /v1/chat/completions,\n"
            "  /v1/completions, /v1/models, /health, /metrics, /tokenize, /detokenize (docs/server.md).\n"
            "  --host ADDR             address to listen on (default 127.0.0.1)\n"
            "  --port N                port (default 8080; 0 picks a free one, logged on stderr)\n"
            "  -c, --ctx-size N        context of each slot (default: the model's, at most 4096)\n"
            "  -np, --parallel N       slots decoded together (default 4)\n"
            "  --queue N               requests waiting behind the slots before 503 (default 64)\n"
            "  --api-key KEY           require 'Authorization: Bearer KEY' (not for /health)\n"
            "  --timeout S             a request must arrive within S seconds; idle connections close\n"
            "                          after S seconds (default 600)\n"
            "  --alias NAME            the model's id in the API (default: the file name)\n"
            "  --chat-template NAME    built-in template or Jinja source instead of the model's own\n"
            "  -t, --threads N         compute threads (default: physical cores)\n"
            "  -b, --batch-size N      prompt tokens per step (default 512)\n"
            "  --http-threads N        HTTP threads (default 4)\n"
            "  --max-body BYTES        largest request body (default 16777216)\n"
            "  --drain S               on SIGINT/SIGTERM, let running requests finish for S seconds (default 30)\n"
            "  -ngl, --n-gpu-layers N  accepted; CPU only for now\n");
}

static int num(const char *flag, const char *v, double lo, double hi, double *out) {
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (errno || end == v || *end || !(x >= lo && x <= hi)) {
        fprintf(stderr, "edgeinfer serve: %s: '%s' is not a number in [%g, %g]\n", flag, v, lo, hi);
        return -1;
    }
    *out = x;
    return 0;
}

/* -1: go on; otherwise the exit code. */
static int parse_args(int argc, char **argv, srv_config *c, const char **model_arg, double *drain) {
    for (int i = 1; i < argc; i++) {
        const char *f = argv[i];
        if (!strcmp(f, "-h") || !strcmp(f, "--help")) {
            usage(stdout);
            return 0;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "edgeinfer serve: %s needs a value (or is unknown)\n", f);
            usage(stderr);
            return 2;
        }
        const char *v = argv[++i];
        double x = 0;
#define NUM(lo, hi) if (num(f, v, lo, hi, &x)) return 2
        if (!strcmp(f, "-m") || !strcmp(f, "--model")) *model_arg = v;
        else if (!strcmp(f, "--host")) c->host = v;
        else if (!strcmp(f, "--port")) { NUM(0, 65535); c->port = (int)x; }
        else if (!strcmp(f, "-c") || !strcmp(f, "--ctx-size")) { NUM(0, 1 << 24); c->n_ctx = (int)x; }
        else if (!strcmp(f, "-np") || !strcmp(f, "--parallel")) { NUM(1, 256); c->parallel = (int)x; }
        else if (!strcmp(f, "--queue")) { NUM(0, 1 << 20); c->queue = (int)x; }
        else if (!strcmp(f, "--api-key")) c->api_key = v;
        else if (!strcmp(f, "--timeout")) { NUM(1, 86400); c->timeout_s = (int)x; }
        else if (!strcmp(f, "--alias")) c->alias = v;
        else if (!strcmp(f, "--chat-template")) c->chat_template = v;
        else if (!strcmp(f, "-t") || !strcmp(f, "--threads")) { NUM(0, 1024); c->n_threads = (int)x; }
        else if (!strcmp(f, "-b") || !strcmp(f, "--batch-size")) { NUM(1, 1 << 20); c->n_batch = (int)x; }
        else if (!strcmp(f, "--http-threads")) { NUM(1, 256); c->http_threads = (int)x; }
        else if (!strcmp(f, "--max-body")) { NUM(1024, 1ull << 40); c->max_body = (size_t)x; }
        else if (!strcmp(f, "--drain")) { NUM(0, 86400); *drain = x; }
        else if (!strcmp(f, "-ngl") || !strcmp(f, "--n-gpu-layers")) { NUM(0, 1e6); }
        else {
            fprintf(stderr, "edgeinfer serve: unknown option '%s'\n", f);
            usage(stderr);
            return 2;
        }
#undef NUM
    }
    if (!*model_arg) {
        fprintf(stderr, "edgeinfer serve: -m MODEL is required\n");
        usage(stderr);
        return 2;
    }
    if (c->api_key && !c->api_key[0]) c->api_key = NULL;
    return -1;
}

/* The model's id: the alias, else the file name without its folder and .gguf. */
static char *model_id(const srv_config *c, const char *path) {
    if (c->alias) return strdup(c->alias);
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t n = strlen(base);
    if (n > 5 && !strcmp(base + n - 5, ".gguf")) n -= 5;
    return strndup(base, n);
}

/* Wait for SIGINT/SIGTERM up to `seconds`; true if one came. */
static bool wait_signal(const sigset_t *set, double seconds) {
    struct timespec ts = {(time_t)seconds, (long)((seconds - (time_t)seconds) * 1e9)};
    siginfo_t info;
    return sigtimedwait(set, &info, &ts) > 0;
}

int cmd_serve(int argc, char **argv) {
    srv_config cfg;
    srv_config_defaults(&cfg);
    const char *model_arg = NULL;
    double drain = 30;
    int rc = parse_args(argc, argv, &cfg, &model_arg, &drain);
    if (rc >= 0) return rc;
    char path[4096];
    if (resolve_model(model_arg, path, sizeof path)) return 1;
    cfg.model_path = path;

    /* signals are taken by sigtimedwait in this thread alone; every thread
     * started from here on inherits the mask */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    srv s;
    memset(&s, 0, sizeof s);
    s.cfg = cfg;
    pthread_mutex_init(&s.lock, NULL);
    pthread_cond_init(&s.cv, NULL);
    s.model_id = model_id(&cfg, path);
    s.created = (int64_t)time(NULL);
    s.seed_counter = (uint64_t)time(NULL) * 0x2545F4914F6CDD1Dull;
    rc = 1;
    if (!s.model_id || http_start(&s)) goto stop_http;

    /* for tests: hold the loading state long enough to be seen (GET /health: 503) */
    const char *delay = getenv("EDGEINFER_SERVE_LOAD_DELAY_MS");
    if (delay && atoi(delay) > 0) {
        struct timespec ts = {atoi(delay) / 1000, (atoi(delay) % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }
    double t0 = now_s();
    ei_model_params mp = ei_model_default_params();
    mp.n_threads = cfg.n_threads;
    if (ei_model_load(path, &mp, &s.model) != EI_OK) {
        fprintf(stderr, "edgeinfer serve: %s\n", ei_last_error());
        goto stop_http;
    }
    s.n_vocab = ei_model_n_vocab(s.model);
    if (sched_start(&s)) goto stop_http;
    atomic_store(&s.ready, 1);
    fprintf(stderr, "edgeinfer serve: model %s (%s) ready in %.0f ms: %d slots of %d tokens, %d threads\n", s.model_id,
            ei_model_arch(s.model), (now_s() - t0) * 1e3, s.cfg.parallel, s.n_ctx, ei_model_n_threads(s.model));

    while (!wait_signal(&set, 0.25)) http_watchdog(&s);
    fprintf(stderr, "edgeinfer serve: shutting down (finishing requests in flight; again to cancel them)\n");
    http_quiesce(&s);
    {
        /* begin draining, and listen for a second signal while it lasts */
        pthread_mutex_lock(&s.lock);
        s.stopping = 1;
        pthread_cond_broadcast(&s.cv);
        pthread_mutex_unlock(&s.lock);
        double deadline = now_s() + drain;
        for (;;) {
            pthread_mutex_lock(&s.lock);
            int busy = s.busy_slots + s.q_len;
            pthread_mutex_unlock(&s.lock);
            if (busy == 0 || now_s() > deadline) break;
            if (wait_signal(&set, 0.05)) {
                fprintf(stderr, "edgeinfer serve: cancelling requests in flight\n");
                sched_cancel_all(&s);
                break;
            }
            http_watchdog(&s);
        }
    }
    sched_stop(&s, 0);
    rc = 0;
stop_http:
    http_stop(&s, 5.0);
    ei_model_free(s.model);
    free(s.model_id);
    pthread_cond_destroy(&s.cv);
    pthread_mutex_destroy(&s.lock);
    if (rc == 0) fprintf(stderr, "edgeinfer serve: stopped\n");
    return rc;
}
