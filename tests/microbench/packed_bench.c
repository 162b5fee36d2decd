/*
 * packed_bench.c — arithmetic speed of the selected packed kernel
 * (backends/cpu/packed.h) per weight type and per number of activation
 * rows, on one thread, with the weights hot in cache: what a step of
 * continuous batching (1-8 rows) costs per weight row when memory is not
 * the limit. Prints, for nc = 1..8, microseconds per product and
 * multiply-adds per nanosecond (weights x rows). Not a test.
 *
 *   cc -O2 -std=c11 -D_GNU_SOURCE -Iinclude -Isrc -I. tests/microbench/packed_bench.c \
 *      build/lib/libedgeinfer.a -lpthread -lm -o build/packed_bench
 *   build/packed_bench [-n cols] [-r rows] [-s seconds] [TYPE...]   (default Q4_0 Q4_1 Q8_0 Q4_K Q6_K)
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backends/cpu/packed.h"
#include "backends/cpu/vec_dot.h"
#include "edgeinfer.h"
#include "quant/blocks.h"
#include "quant/quant.h"

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static float frand(uint64_t *s) {
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return (float)((*s >> 40) & 0xFFFFFF) / (float)0x1000000 * 2.0f - 1.0f;
}

static void bench_type(ei_type t, int64_t n, int rows, double secs) {
    if (!ei_pack_bytes(t, n, rows)) n = (n + 255) / 256 * 256; /* K-quants: whole super-blocks */
    ei_pack_kernel_fn k = ei_pack_kernel_selected(t);
    const size_t rb = ei_type_row_bytes(t, n), pb = ei_pack_bytes(t, n, rows);
    if (!k || !pb) {
        printf("%-6s not packed on this CPU or shape\n", ei_type_name(t));
        return;
    }
    uint64_t seed = 42;
    float *x = malloc(sizeof(float) * (size_t)n * PACK_COLS);
    char *w = malloc(rb * (size_t)rows);
    void *p = aligned_alloc(64, (pb + 63) & ~(size_t)63);
    for (int r = 0; r < rows; r++) {
        for (int64_t i = 0; i < n; i++) x[i] = frand(&seed);
        if (ei_type_traits_of(t)->quantize) ei_type_traits_of(t)->quantize(x, w + (size_t)r * rb, n);
        else /* MXFP4 (read-only here): random codes, exponents near 2^0 (far
              * from subnormal products, which would time microcode assists) */
            for (int64_t i = 0; i < n / 32; i++) {
                block_mxfp4 *blk = (block_mxfp4 *)(w + (size_t)r * rb) + i;
                blk->e = (uint8_t)(120 + (i % 16));
                for (int k = 0; k < 16; k++) blk->qs[k] = (uint8_t)(frand(&seed) * 127);
            }
    }
    ei_pack_groups(t, w, n, 0, rows / PACK_ROWS, p);
    const size_t as = ei_pack_act_row_bytes(t, n), gb = ei_pack_bytes(t, n, PACK_ROWS);
    char *a = aligned_alloc(64, as * PACK_COLS);
    memset(a, 0, as * PACK_COLS);
    for (int c = 0; c < PACK_COLS; c++) {
        for (int64_t i = 0; i < n; i++) x[i] = frand(&seed);
        ei_vec_dot_selected()->quantize[ei_pack_act_type(t)](x, a + (size_t)c * as, n);
        ei_pack_act_finish(t, a + (size_t)c * as, n);
    }
    float *y = malloc(sizeof(float) * (size_t)rows * PACK_COLS);
    for (int nc = 1; nc <= PACK_COLS; nc++) {
        double best = 1e9;
        const double end = now() + secs;
        while (now() < end) {
            const double t0 = now();
            for (int g = 0; g < rows / PACK_ROWS; g++)
                k(n, (const char *)p + (size_t)g * gb, a, as, nc, y + (size_t)g * PACK_ROWS, (size_t)rows);
            const double dt = now() - t0;
            if (dt < best) best = dt;
        }
        printf("%-6s %5lld x %-5d nc %d  %8.1f us  %6.2f MAC/ns  %6.1f us per row\n", ei_type_name(t),
               (long long)rows, (int)n, nc, best * 1e6, (double)rows * n * nc / best * 1e-9, best * 1e6 / nc);
    }
    free(x);
    free(w);
    free(p);
    free(a);
    free(y);
}

int main(int argc, char **argv) {
    int64_t n = 576;
    int rows = 1536;
    double secs = 0.3;
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i += 2) {
        if (i + 1 >= argc) break;
        if (!strcmp(argv[i], "-n")) n = atoll(argv[i + 1]);
        else if (!strcmp(argv[i], "-r")) rows = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "-s")) secs = atof(argv[i + 1]);
    }
    if (i < argc) {
        for (; i < argc; i++) {
            int t = 0;
            while (t < EI_TYPE_COUNT && (!ei_type_name(t) || strcmp(ei_type_name(t), argv[i]))) t++;
            if (t == EI_TYPE_COUNT) {
                fprintf(stderr, "unknown type %s\n", argv[i]);
                return 1;
            }
            bench_type((ei_type)t, n, rows, secs);
        }
        return 0;
    }
    const ei_type def[] = {EI_TYPE_Q4_0, EI_TYPE_Q4_1, EI_TYPE_Q8_0, EI_TYPE_Q4_K, EI_TYPE_Q6_K};
    for (size_t d = 0; d < sizeof def / sizeof def[0]; d++) bench_type(def[d], n, rows, secs);
    return 0;
}
