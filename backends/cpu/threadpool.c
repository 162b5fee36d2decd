/*
 * threadpool.c — see threadpool.h.
 *
 * A generation step runs a few hundred jobs of tens of microseconds each,
 * with short single-threaded gaps between them. Waking a sleeping thread
 * costs several microseconds (a futex and the scheduler), so between jobs
 * workers spin on the job counter, and only after SPIN_NS without a job do
 * they sleep on a condition variable (a chat waiting for its user must not
 * burn a core). The caller likewise spins, then sleeps, until the workers
 * check out. The spin is short: when other processes compete for the
 * cores, a thread spinning for a descheduled one only steals its time.
 *
 * Publication: the caller writes the job, then bumps `generation`
 * (seq_cst); a worker that sees the new generation reads the job. A worker
 * about to sleep registers in `sleepers` and re-checks the generation under
 * the mutex; the caller, after bumping, wakes sleepers if it sees any. With
 * seq_cst on both counters one of the two always sees the other's write,
 * so no wake-up is lost.
 */
#include "backends/cpu/threadpool.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CPU_RELAX() _mm_pause()
#elif defined(__aarch64__)
#define CPU_RELAX() __asm__ __volatile__("yield")
#else
#define CPU_RELAX() ((void)0)
#endif

#define SPIN_NS 100000 /* 100 us: longer than the usual gap inside a decode step */

struct ei_pool {
    int n_threads;
    pthread_t *threads;
    pthread_mutex_t mu;
    pthread_cond_t start, done;
    atomic_ullong generation; /* bumped for each job */
    atomic_int sleepers;      /* workers waiting on `start` */
    atomic_int checked_out;   /* workers done with the current job */
    atomic_int caller_asleep; /* the caller waits on `done` */
    atomic_int stop;
    /* the current job */
    ei_pool_fn fn;
    void *ctx;
    int64_t n;
    atomic_llong next;
};

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* One step of a spin: pause first; past a few microseconds, give the core
 * to any other runnable thread (sched_yield returns at once when there is
 * none), so that a spinning thread never starves the one it waits for when
 * other processes compete for the cores. */
static void relax(unsigned spins) {
    if (spins < 256) CPU_RELAX();
    else sched_yield();
}

static void work(ei_pool *p) {
    for (;;) {
        int64_t i = atomic_fetch_add(&p->next, 1);
        if (i >= p->n) break;
        p->fn(p->ctx, i);
    }
}

/* Wait for a generation other than seen (or stop): spin, then sleep. */
static uint64_t wait_job(ei_pool *p, uint64_t seen) {
    uint64_t t0 = 0;
    for (unsigned spins = 0;; spins++) {
        uint64_t g = atomic_load(&p->generation);
        if (g != seen || atomic_load(&p->stop)) return g;
        relax(spins);
        if ((spins & 63) != 63) continue;
        if (!t0) t0 = now_ns();
        else if (now_ns() - t0 > SPIN_NS) break;
    }
    pthread_mutex_lock(&p->mu);
    atomic_fetch_add(&p->sleepers, 1);
    uint64_t g;
    while ((g = atomic_load(&p->generation)) == seen && !atomic_load(&p->stop)) pthread_cond_wait(&p->start, &p->mu);
    atomic_fetch_sub(&p->sleepers, 1);
    pthread_mutex_unlock(&p->mu);
    return g;
}

static void *worker(void *arg) {
    ei_pool *p = arg;
    uint64_t seen = 0;
    for (;;) {
        seen = wait_job(p, seen);
        if (atomic_load(&p->stop)) break;
        work(p);
        if (atomic_fetch_add(&p->checked_out, 1) + 1 == p->n_threads - 1 && atomic_load(&p->caller_asleep)) {
            pthread_mutex_lock(&p->mu);
            pthread_cond_signal(&p->done);
            pthread_mutex_unlock(&p->mu);
        }
    }
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

static void wake_sleepers(ei_pool *p) {
    if (atomic_load(&p->sleepers) == 0) return;
    pthread_mutex_lock(&p->mu);
    pthread_cond_broadcast(&p->start);
    pthread_mutex_unlock(&p->mu);
}

void ei_pool_free(ei_pool *p) {
    if (!p) return;
    atomic_store(&p->stop, 1);
    pthread_mutex_lock(&p->mu);
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
    p->fn = fn;
    p->ctx = ctx;
    p->n = n;
    atomic_store(&p->next, 0);
    atomic_store(&p->checked_out, 0);
    atomic_fetch_add(&p->generation, 1);
    wake_sleepers(p);
    work(p);
    /* the workers finish their last index: spin a while, then sleep */
    const int want = p->n_threads - 1;
    uint64_t t0 = 0;
    for (unsigned spins = 0; atomic_load(&p->checked_out) < want; spins++) {
        relax(spins);
        if ((spins & 63) != 63) continue;
        if (!t0) {
            t0 = now_ns();
        } else if (now_ns() - t0 > SPIN_NS) {
            pthread_mutex_lock(&p->mu);
            atomic_store(&p->caller_asleep, 1);
            while (atomic_load(&p->checked_out) < want) pthread_cond_wait(&p->done, &p->mu);
            atomic_store(&p->caller_asleep, 0);
            pthread_mutex_unlock(&p->mu);
            break;
        }
    }
}
