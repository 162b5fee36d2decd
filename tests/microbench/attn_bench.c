/*
 * attn_bench.c — what attention costs in generation: one query row (all
 * heads) against an f16 cache of D positions through the CPU backend's
 * attention op, as a decode step at depth D runs it once per layer.
 * Prints microseconds per call (best and median) and the cache bytes read
 * per second. Not a test.
 *
 *   cc -O2 -std=c11 -D_GNU_SOURCE -Iinclude -Isrc -I. tests/microbench/attn_bench.c \
 *      build/lib/libedgeinfer.a -lpthread -lm -o build/attn_bench
 *   build/attn_bench [-D depth=2048] [-H heads=9] [-K kv_heads=3] [-d head_dim=64] [-L layers=30] [-t threads=2]
 *                    [-s seconds=2]
 * The calls rotate over L layers' caches, as a decode step does (the
 * model's whole cache rarely fits the caches; -L 1 keeps one hot).
 *   (defaults: SmolLM2-135M; the 1.1B Llama shape is -H 32 -K 4 -d 64, Gemma 3 270M -H 4 -K 1 -d 256)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "quant/fp16.h"
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

int main(int argc, char **argv) {
    int depth = 2048, heads = 9, kv_heads = 3, hd = 64, threads = 2, layers = 30;
    double secs = 2;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "-D")) depth = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "-H")) heads = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "-K")) kv_heads = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "-d")) hd = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "-t")) threads = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "-s")) secs = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "-L")) layers = atoi(argv[i + 1]);
    }
    if (depth < 1 || heads < 1 || kv_heads < 1 || heads % kv_heads || hd < 1 || layers < 1) {
        fprintf(stderr, "attn_bench: bad shape\n");
        return 1;
    }
    const size_t row_bytes = (size_t)kv_heads * hd * sizeof(uint16_t), cache = row_bytes * (size_t)depth;
    uint16_t *k = malloc(cache * layers), *v = malloc(cache * layers);
    float *q = malloc(sizeof(float) * (size_t)heads * hd), *out = malloc(sizeof(float) * (size_t)heads * hd);
    uint64_t s = 7;
    for (size_t i = 0; i < cache / 2 * layers; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        k[i] = ei_fp32_to_fp16((float)((s >> 40) & 0xFFFF) / 32768.0f - 1.0f);
        v[i] = ei_fp32_to_fp16((float)((s >> 20) & 0xFFFF) / 32768.0f - 1.0f);
    }
    for (int i = 0; i < heads * hd; i++) q[i] = (float)((i * 7919) % 255) / 127.0f - 1.0f;
    ei_backend *be;
    if (ei_cpu_backend_new(threads, &be)) return 1;
    ei_kv_layer *kv = malloc(sizeof *kv * (size_t)layers);
    for (int l = 0; l < layers; l++) kv[l] = (ei_kv_layer){EI_TYPE_F16, (char *)k + cache * l, (char *)v + cache * l, row_bytes};
    ei_attn_params p = {heads, kv_heads, hd, 0.125f, 0.0f, 0};
    const int32_t pos = depth - 1;
    enum { MAX_CALLS = 100000 };
    static double t[MAX_CALLS];
    int calls = 0;
    be->ops->attention(be, q, &pos, 1, &kv[0], depth, &p, out); /* warm-up */
    const double end = now() + secs;
    while (calls < MAX_CALLS && now() < end) {
        const double t0 = now();
        be->ops->attention(be, q, &pos, 1, &kv[calls % layers], depth, &p, out);
        t[calls++] = now() - t0;
    }
    qsort(t, calls, sizeof *t, cmp_double);
    printf("depth %d, %d heads, %d KV heads, head_dim %d, %d threads, %d layers: best %.1f us, median %.1f us per call, "
           "%.2f GB/s of cache (median)\n",
           depth, heads, kv_heads, hd, threads, layers, t[0] * 1e6, t[calls / 2] * 1e6, 2.0 * cache / t[calls / 2] * 1e-9);
    be->ops->free(be);
    free(kv);
    free(k);
    free(v);
    free(q);
    free(out);
    return 0;
}
