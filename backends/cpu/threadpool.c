/*
 * threadpool.c — see threadpool.h.
 *
 * Workers sleep on a condition variable between jobs (a generation step has
 * a few hundred jobs; waking costs microseconds). Within a job, indices are
 * claimed from an atomic counter; the caller works too and then waits for
 * the workers to check out.
 */
#include "backends/cpu/threadpool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

struct ei_pool {
    int n_threads;
    pthread_t *threads;
    pthread_mutex_t mu;
    pthread_cond_t start, done;
    uint64_t generation; /* bumped for each job */
    int active;          /* workers still in the current job */
    int stop;
    /* the current job */
    ei_pool_fn fn;
    void *ctx;
    int64_t n;
    atomic_llong next;
};

static void work(ei_pool *p) {
    for (;;) {
        int64_t i = atomic_fetch_add(&p->next, 1);
        if (i >= p->n) break;
        p->fn(p->ctx, i);
    }
}

static void *worker(void *arg) {
    ei_pool *p = arg;
    uint64_t seen = 0;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->stop && p->generation == seen) pthread_cond_wait(&p->start, &p->mu);
        if (p->stop) break;
        seen = p->generation;
        pthread_mutex_unlock(&p->mu);
        work(p);
        pthread_mutex_lock(&p->mu);
        if (--p->active == 0) pthread_cond_signal(&p->done);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

ei_pool *ei_pool_new(int n_threads) {
    if (n_threads < 1) n_threads = 1;
    ei_pool *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->n_threads = n_threads;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->start, NULL);
    pthread_cond_init(&p->done, NULL);
    p->threads = calloc((size_t)n_threads, sizeof *p->threads);
    if (!p->threads) {
        ei_pool_free(p);
        return NULL;
    }
    for (int t = 1; t < n_threads; t++) {
        if (pthread_create(&p->threads[t], NULL, worker, p) != 0) {
            p->n_threads = t; /* keep the ones that started */
            break;
        }
    }
    return p;
}

void ei_pool_free(ei_pool *p) {
    if (!p) return;
    pthread_mutex_lock(&p->mu);
    p->stop = 1;
    pthread_cond_broadcast(&p->start);
    pthread_mutex_unlock(&p->mu);
    if (p->threads)
        for (int t = 1; t < p->n_threads; t++) pthread_join(p->threads[t], NULL);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->start);
    pthread_cond_destroy(&p->done);
    free(p->threads);
    free(p);
}

int ei_pool_threads(const ei_pool *p) { return p->n_threads; }

void ei_pool_run(ei_pool *p, int64_t n, ei_pool_fn fn, void *ctx) {
    if (n <= 0) return;
    if (p->n_threads == 1 || n == 1) {
        for (int64_t i = 0; i < n; i++) fn(ctx, i);
        return;
    }
    pthread_mutex_lock(&p->mu);
    p->fn = fn;
    p->ctx = ctx;
    p->n = n;
    atomic_store(&p->next, 0);
    p->active = p->n_threads - 1;
    p->generation++;
    pthread_cond_broadcast(&p->start);
    pthread_mutex_unlock(&p->mu);
    work(p);
    pthread_mutex_lock(&p->mu);
    while (p->active > 0) pthread_cond_wait(&p->done, &p->mu);
    pthread_mutex_unlock(&p->mu);
}
