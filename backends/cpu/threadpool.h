/*
 * threadpool.h — a persistent pool of worker threads for the CPU backend.
 *
 * ei_pool_run(pool, n, fn, ctx) calls fn(ctx, i) for every i in [0, n),
 * spread over the workers and the calling thread, and returns when all are
 * done. Work is handed out in chunks through an atomic counter, so uneven
 * tasks still keep every core busy.
 */
#ifndef EI_CPU_THREADPOOL_H
#define EI_CPU_THREADPOOL_H

#include <stdint.h>

typedef struct ei_pool ei_pool;
typedef void (*ei_pool_fn)(void *ctx, int64_t i);

/* n_threads counts the caller: 1 means no extra threads. NULL on failure. */
ei_pool *ei_pool_new(int n_threads);
void ei_pool_free(ei_pool *p);
int ei_pool_threads(const ei_pool *p);
void ei_pool_run(ei_pool *p, int64_t n, ei_pool_fn fn, void *ctx);

#endif
