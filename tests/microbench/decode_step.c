/*
 * decode_step.c — what one step of continuous batching costs. Times, on one
 * model, milliseconds per step of:
 *   ei_decode of one token (what a lone client gets),
 *   ei_decode_multi of 2..N tokens of N contexts (the server's step),
 *   ei_decode of a P-token prompt (the prompt work a new request brings),
 * each context holding a prompt of P tokens first. The server's throughput
 * gain over one client is about N * t(1) / t(N). Not a test: timings never
 * decide pass/fail; docs/server.md records what it showed.
 *
 *   cc -O2 -std=c11 -D_GNU_SOURCE -Iinclude tests/microbench/decode_step.c \
 *      build/lib/libedgeinfer.a -lpthread -lm -o /tmp/decode_step
 *   /tmp/decode_step MODEL [N=4] [P=48] [STEPS=64] [THREADS=0]
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "edgeinfer.h"

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static void check(ei_status s, const char *what) {
    if (s == EI_OK) return;
    fprintf(stderr, "%s: %s\n", what, ei_last_error());
    exit(1);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s MODEL [N] [P] [STEPS] [THREADS]\n", argv[0]);
        return 2;
    }
    const int n = argc > 2 ? atoi(argv[2]) : 4, p = argc > 3 ? atoi(argv[3]) : 48;
    const int steps = argc > 4 ? atoi(argv[4]) : 64;
    ei_model_params mp = ei_model_default_params();
    mp.n_threads = argc > 5 ? atoi(argv[5]) : 0;
    ei_model *m;
    check(ei_model_load(argv[1], &mp, &m), "load");
    ei_context_params cp = ei_context_default_params();
    cp.n_ctx = p + 4 * steps + 8;
    ei_context **ctx = calloc((size_t)n, sizeof *ctx);
    int32_t *prompt = malloc((size_t)p * sizeof *prompt), *toks = malloc((size_t)n * sizeof *toks);
    const int32_t n_vocab = ei_model_n_vocab(m);
    for (int i = 0; i < p; i++) prompt[i] = 100 + (i * 7919) % (n_vocab - 200);
    for (int i = 0; i < n; i++) {
        check(ei_context_new(m, &cp, &ctx[i]), "context");
        check(ei_decode(ctx[i], prompt, p), "prompt");
    }
    printf("%s: %d threads, contexts holding %d tokens\n", argv[1], ei_model_n_threads(m), p);

    /* warm up, then one token at a time */
    for (int s = 0; s < 4; s++) check(ei_decode(ctx[0], &prompt[s], 1), "decode");
    double t0 = now();
    for (int s = 0; s < steps; s++) check(ei_decode(ctx[0], &prompt[s % p], 1), "decode");
    const double single = (now() - t0) / steps;
    printf("  decode 1 token        %7.3f ms/step  %7.1f tok/s\n", single * 1e3, 1 / single);

    for (int rows = 2; rows <= n; rows++) {
        for (int i = 0; i < rows; i++) toks[i] = prompt[i];
        t0 = now();
        for (int s = 0; s < steps / 2; s++) check(ei_decode_multi(ctx, toks, rows), "decode_multi");
        const double t = (now() - t0) / (steps / 2);
        printf("  decode_multi %d rows   %7.3f ms/step  %7.1f tok/s  %.2fx one client\n", rows, t * 1e3, rows / t,
               rows * single / t);
    }

    ei_context *fresh;
    check(ei_context_new(m, &cp, &fresh), "context");
    t0 = now();
    for (int s = 0; s < 4; s++) {
        check(ei_context_truncate(fresh, 0), "truncate");
        check(ei_decode(fresh, prompt, p), "prompt");
    }
    const double pt = (now() - t0) / 4;
    printf("  prompt of %d tokens   %7.3f ms       %7.1f tok/s\n", p, pt * 1e3, p / pt);
    ei_context_free(fresh);
    for (int i = 0; i < n; i++) ei_context_free(ctx[i]);
    ei_model_free(m);
    free(ctx);
    free(prompt);
    free(toks);
    return 0;
}
