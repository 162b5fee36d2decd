/*
 * membw.c — DRAM read bandwidth with N threads: the ceiling for token
 * generation, which reads every weight once per token.
 *
 * Not a test (timings never decide pass/fail): scripts/bench_vs_llamacpp.py
 * builds and runs it to express generation speed as a share of this limit.
 * Standalone, no library needed:
 *   cc -O2 -march=native -pthread tests/microbench/membw.c -o build/membw
 * Run: membw [-t threads=2] [-m MiB=2048] [-r passes=10] [-j]
 *
 * Each thread first writes its own contiguous slice of one buffer (so its
 * pages are its own, and really allocated), then every pass all threads
 * start together at a barrier and sum their slice with the widest vector
 * loads the compiler targets (AVX-512, AVX2, SSE2 or scalar), four
 * independent accumulators deep. A pass's time is from the barrier to the
 * last thread's end. The buffer must be much larger than the last-level
 * cache (480 MiB here), hence 2 GiB by default.
 *
 * Reports GB/s (1e9 bytes per second) of the best pass — the machine is
 * shared, and other work only ever slows a pass — and of the median.
 * -j prints one JSON object instead of a line of text.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#if defined(__AVX512F__) || defined(__AVX2__) || defined(__SSE2__)
#include <immintrin.h>
#endif

typedef struct worker {
    pthread_t th;
    int id;
    const uint8_t *p;
    size_t n; /* bytes, a multiple of 256 */
    uint64_t sink;
} worker;

static pthread_barrier_t g_start, g_end;
static int g_passes;
static double *g_times;

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static uint64_t read_sum(const uint8_t *p, size_t n) {
#if defined(__AVX512F__)
    __m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0;
    for (size_t i = 0; i < n; i += 256) {
        a0 = _mm512_add_epi64(a0, _mm512_load_si512((const void *)(p + i)));
        a1 = _mm512_add_epi64(a1, _mm512_load_si512((const void *)(p + i + 64)));
        a2 = _mm512_add_epi64(a2, _mm512_load_si512((const void *)(p + i + 128)));
        a3 = _mm512_add_epi64(a3, _mm512_load_si512((const void *)(p + i + 192)));
    }
    return (uint64_t)_mm512_reduce_add_epi64(_mm512_add_epi64(_mm512_add_epi64(a0, a1), _mm512_add_epi64(a2, a3)));
#elif defined(__AVX2__)
    __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
    for (size_t i = 0; i < n; i += 128) {
        a0 = _mm256_add_epi64(a0, _mm256_load_si256((const __m256i *)(p + i)));
        a1 = _mm256_add_epi64(a1, _mm256_load_si256((const __m256i *)(p + i + 32)));
        a2 = _mm256_add_epi64(a2, _mm256_load_si256((const __m256i *)(p + i + 64)));
        a3 = _mm256_add_epi64(a3, _mm256_load_si256((const __m256i *)(p + i + 96)));
    }
    __m256i s = _mm256_add_epi64(_mm256_add_epi64(a0, a1), _mm256_add_epi64(a2, a3));
    uint64_t r[4];
    _mm256_storeu_si256((__m256i *)r, s);
    return r[0] + r[1] + r[2] + r[3];
#elif defined(__SSE2__)
    __m128i a0 = _mm_setzero_si128(), a1 = a0, a2 = a0, a3 = a0;
    for (size_t i = 0; i < n; i += 64) {
        a0 = _mm_add_epi64(a0, _mm_load_si128((const __m128i *)(p + i)));
        a1 = _mm_add_epi64(a1, _mm_load_si128((const __m128i *)(p + i + 16)));
        a2 = _mm_add_epi64(a2, _mm_load_si128((const __m128i *)(p + i + 32)));
        a3 = _mm_add_epi64(a3, _mm_load_si128((const __m128i *)(p + i + 48)));
    }
    uint64_t r[2];
    _mm_storeu_si128((__m128i *)r, _mm_add_epi64(_mm_add_epi64(a0, a1), _mm_add_epi64(a2, a3)));
    return r[0] + r[1];
#else
    const uint64_t *q = (const uint64_t *)p;
    uint64_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    for (size_t i = 0; i < n / 8; i += 4) {
        a0 += q[i];
        a1 += q[i + 1];
        a2 += q[i + 2];
        a3 += q[i + 3];
    }
    return a0 + a1 + a2 + a3;
#endif
}

static void *work(void *arg) {
    worker *w = arg;
    memset((void *)w->p, 1 + w->id, w->n); /* first touch by the reader */
    for (int k = 0; k < g_passes; k++) {
        pthread_barrier_wait(&g_start);
        double t0 = w->id == 0 ? now_s() : 0;
        w->sink += read_sum(w->p, w->n);
        pthread_barrier_wait(&g_end);
        if (w->id == 0) g_times[k] = now_s() - t0;
    }
    return NULL;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static const char *isa(void) {
#if defined(__AVX512F__)
    return "avx512";
#elif defined(__AVX2__)
    return "avx2";
#elif defined(__SSE2__)
    return "sse2";
#else
    return "scalar";
#endif
}

int main(int argc, char **argv) {
    int threads = 2, json = 0;
    long mib = 2048;
    g_passes = 10;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-j")) json = 1;
        else if (i + 1 < argc && !strcmp(argv[i], "-t")) threads = atoi(argv[++i]);
        else if (i + 1 < argc && !strcmp(argv[i], "-m")) mib = atol(argv[++i]);
        else if (i + 1 < argc && !strcmp(argv[i], "-r")) g_passes = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: membw [-t threads=2] [-m MiB=2048] [-r passes=10] [-j]\n");
            return 2;
        }
    }
    if (threads < 1 || threads > 1024 || mib < 1 || g_passes < 1) {
        fprintf(stderr, "membw: bad arguments\n");
        return 2;
    }
    size_t total = (size_t)mib << 20;
    size_t slice = total / (size_t)threads / 256 * 256;
    total = slice * (size_t)threads;
    uint8_t *buf = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (buf == MAP_FAILED) {
        fprintf(stderr, "membw: mmap %zu bytes: %s\n", total, strerror(errno));
        return 1;
    }
#ifdef MADV_HUGEPAGE
    madvise(buf, total, MADV_HUGEPAGE); /* fewer TLB misses; fine if refused */
#endif
    g_times = calloc((size_t)g_passes, sizeof *g_times);
    worker *w = calloc((size_t)threads, sizeof *w);
    if (!g_times || !w) return 1;
    pthread_barrier_init(&g_start, NULL, (unsigned)threads);
    pthread_barrier_init(&g_end, NULL, (unsigned)threads);
    for (int i = 0; i < threads; i++) {
        w[i] = (worker){.id = i, .p = buf + (size_t)i * slice, .n = slice};
        if (pthread_create(&w[i].th, NULL, work, &w[i])) {
            fprintf(stderr, "membw: pthread_create failed\n");
            return 1;
        }
    }
    uint64_t sink = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(w[i].th, NULL);
        sink += w[i].sink;
    }
    qsort(g_times, (size_t)g_passes, sizeof *g_times, cmp_double);
    double best = total / g_times[0] / 1e9, median = total / g_times[g_passes / 2] / 1e9;
    if (json)
        printf("{\"threads\": %d, \"bytes\": %zu, \"passes\": %d, \"isa\": \"%s\", \"best_gbps\": %.2f, "
               "\"median_gbps\": %.2f, \"sink\": %llu}\n",
               threads, total, g_passes, isa(), best, median, (unsigned long long)(sink & 0xff));
    else
        printf("membw: %d threads, %.0f MiB, %s loads, %d passes: best %.2f GB/s, median %.2f GB/s\n", threads,
               total / 1048576.0, isa(), g_passes, best, median);
    munmap(buf, total);
    return 0;
}
