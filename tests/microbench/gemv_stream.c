/*
 * gemv_stream.c — how close a one-row matrix product (what generation
 * runs) comes to a plain read of the same bytes. One large packed matrix,
 * far larger than the last-level cache, is multiplied by one activation
 * row through the CPU backend (quantization, pool, packed kernel: the
 * path generation takes), alternating pass by pass with a plain summing
 * read of the packed copy on the same pool, so both see the same machine.
 * Prints GB/s of each (best and median pass) and their ratio. Not a test.
 * A type that does not pack (F16, BF16, F32, the lattices) is read in the
 * file's layout through its dot kernels, as generation reads it.
 *
 *   cc -O2 -std=c11 -D_GNU_SOURCE -Iinclude -Isrc -I. tests/microbench/gemv_stream.c \
 *      build/lib/libedgeinfer.a -lpthread -lm -o build/gemv_stream
 *   build/gemv_stream [-t threads=2] [-m MiB=512] [-n width=2048] [-k parts=1] [-s seconds=6] [TYPE=Q4_0]
 *
 * -k K splits the pass into K products of a K-th of the rows each (a 1.1B
 * model's token is about 70 of 2-20 MiB): what starting and ending a
 * product costs against one long stream.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backends/cpu/packed.h"
#include "backends/cpu/threadpool.h"
#include "quant/quant.h"
#include "runtime/backends.h"

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b) {
    const double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

#define READ_TASK (1u << 20)
typedef struct read_job {
    const uint64_t *p;
    size_t words;
    uint64_t sums[4096];
} read_job;

/* membw.c's loop: 32-byte loads into four accumulators where the CPU has
 * AVX2 (the widest read the packed kernels do) */
#if defined(__x86_64__)
#include <immintrin.h>
__attribute__((target("avx2"))) static uint64_t sum_avx2(const uint64_t *p, size_t w0, size_t w1) {
    __m256i a = _mm256_setzero_si256(), b = a, c = a, d = a;
    size_t i = w0;
    for (; i + 16 <= w1; i += 16) {
        a = _mm256_add_epi64(a, _mm256_loadu_si256((const __m256i *)(p + i)));
        b = _mm256_add_epi64(b, _mm256_loadu_si256((const __m256i *)(p + i + 4)));
        c = _mm256_add_epi64(c, _mm256_loadu_si256((const __m256i *)(p + i + 8)));
        d = _mm256_add_epi64(d, _mm256_loadu_si256((const __m256i *)(p + i + 12)));
    }
    uint64_t s[4];
    _mm256_storeu_si256((__m256i *)s, _mm256_add_epi64(_mm256_add_epi64(a, b), _mm256_add_epi64(c, d)));
    for (; i < w1; i++) s[0] += p[i];
    return s[0] + s[1] + s[2] + s[3];
}
#endif

static void read_task(void *ctx, int64_t t) {
    read_job *j = ctx;
    const size_t w0 = (size_t)t * (READ_TASK / 8), w1 = w0 + READ_TASK / 8 < j->words ? w0 + READ_TASK / 8 : j->words;
#if defined(__x86_64__)
    if (__builtin_cpu_supports("avx2")) {
        j->sums[t % 4096] += sum_avx2(j->p, w0, w1);
        return;
    }
#endif
    uint64_t a = 0, b = 0, c = 0, d = 0;
    for (size_t i = w0; i + 4 <= w1; i += 4) {
        a += j->p[i];
        b += j->p[i + 1];
        c += j->p[i + 2];
        d += j->p[i + 3];
    }
    j->sums[t % 4096] += a + b + c + d;
}

int main(int argc, char **argv) {
    int threads = 2, parts = 1;
    int64_t n = 2048;
    double mib = 512, secs = 6;
    int i = 1;
    for (; i + 1 < argc && argv[i][0] == '-'; i += 2) {
        if (!strcmp(argv[i], "-t")) threads = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "-m")) mib = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "-n")) n = atoll(argv[i + 1]);
        else if (!strcmp(argv[i], "-s")) secs = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "-k")) parts = atoi(argv[i + 1]);
    }
    ei_type type = EI_TYPE_Q4_0;
    if (i < argc) {
        int t = 0;
        while (t < EI_TYPE_COUNT && (!ei_type_name(t) || strcmp(ei_type_name(t), argv[i]))) t++;
        if (t == EI_TYPE_COUNT) {
            fprintf(stderr, "unknown type %s\n", argv[i]);
            return 1;
        }
        type = (ei_type)t;
    }
    const size_t rb = ei_type_row_bytes(type, n);
    const int64_t rows = (int64_t)(mib * 1048576.0 / rb) / (16 * parts) * (16 * parts);
    /* random blocks: their values do not change the kernel's speed */
    char *w = malloc(rb * (size_t)rows);
    uint64_t s = 42;
    for (size_t k = 0; k < rb * (size_t)rows; k++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        w[k] = (char)(s >> 56);
    }
    /* float weights: the exponent's top bit cleared, so no infinities or NaNs */
    const size_t fbytes = type == EI_TYPE_F32 ? 4 : type == EI_TYPE_F16 || type == EI_TYPE_BF16 ? 2 : 0;
    for (size_t k = fbytes - 1; fbytes && k < rb * (size_t)rows; k += fbytes) w[k] &= (char)0xBF;
    ei_backend *be;
    if (ei_cpu_backend_new(threads, &be)) return 1;
    ei_tensor t = {"w", type, {n, rows, 1, 1}, w, be, NULL};
    if (be->ops->prepare_weight(be, &t, false)) return 1;
    const bool own_w = !t.packed; /* unpacked: the kernels read w */
    if (t.packed) {
        free(w);
        t.data = NULL;
    }
    const void *stream = t.packed ? t.packed : t.data;
    const size_t bytes = t.packed ? ei_pack_bytes(type, n, rows) : rb * (size_t)rows;
    float *x = malloc(sizeof(float) * (size_t)n), *y = malloc(sizeof(float) * (size_t)rows);
    for (int64_t k = 0; k < n; k++) x[k] = (float)((k * 7919) % 255) / 127.0f - 1.0f;
    ei_pool *pool = ei_pool_new(threads);
    read_job *rj = calloc(1, sizeof *rj);
    rj->p = stream;
    rj->words = bytes / 8;
    const int64_t read_tasks = (int64_t)((bytes + READ_TASK - 1) / READ_TASK);

    enum { MAX_PASSES = 4096 };
    static double tg[MAX_PASSES], tr[MAX_PASSES];
    int passes = 0;
    /* the pass as `parts` products of rows / parts rows each (views of the
     * one packed copy): what the split into smaller matrices costs */
    ei_tensor *views = malloc(sizeof *views * (size_t)parts);
    for (int k = 0; k < parts; k++) {
        views[k] = t;
        views[k].ne[1] = rows / parts;
        if (t.packed) views[k].packed = (char *)t.packed + ei_pack_bytes(type, n, rows / parts) * (size_t)k;
        else views[k].data = w + rb * (size_t)(rows / parts) * (size_t)k;
    }
    be->ops->matmul(be, &t, x, 1, y); /* warm-up */
    const double end = now() + secs;
    while (passes < MAX_PASSES && now() < end) {
        double t0 = now();
        for (int k = 0; k < parts; k++) be->ops->matmul(be, &views[k], x, 1, y + rows / parts * k);
        double t1 = now();
        ei_pool_run(pool, read_tasks, read_task, rj);
        tg[passes] = t1 - t0;
        tr[passes] = now() - t1;
        passes++;
    }
    qsort(tg, passes, sizeof *tg, cmp_double);
    qsort(tr, passes, sizeof *tr, cmp_double);
    const double gb = bytes * 1e-9;
    printf("%s %lld x %lld, %.0f MiB %s as %d matri%s, %d threads, %d passes\n", ei_type_name(type),
           (long long)rows, (long long)n, bytes / 1048576.0, t.packed ? "packed" : "unpacked", parts, parts > 1 ? "ces" : "x", threads, passes);
    printf("  product  best %6.2f GB/s  median %6.2f GB/s\n", gb / tg[0], gb / tg[passes / 2]);
    printf("  read     best %6.2f GB/s  median %6.2f GB/s\n", gb / tr[0], gb / tr[passes / 2]);
    printf("  product / read: best %.0f %%  median %.0f %%\n", 100.0 * tr[0] / tg[0],
           100.0 * tr[passes / 2] / tg[passes / 2]);
    uint64_t sink = 0;
    for (int k = 0; k < 4096; k++) sink += rj->sums[k];
    fprintf(stderr, "(checksum %llu, y[0] %g)\n", (unsigned long long)sink, y[0]);
    be->ops->release_weight(be, &t);
    if (own_w) free(w);
    be->ops->free(be);
    ei_pool_free(pool);
    free(rj);
    free(views);
    free(x);
    free(y);
    return 0;
}
