/*
 * blas_vs_packed.c — should prompt batches go through OpenBLAS? Times, for
 * a K x N weight and M activation rows, on 2 threads:
 *   packed: the CPU backend's matmul with the weight packed (integer GEMM
 *           on the quantized weight, what edgeinfer runs);
 *   blas:   the weight dequantized to f32 once per product (as a BLAS path
 *           must, or keep an f32 copy: 4-8x the memory) + cblas_sgemm.
 * Not a test (timings never decide pass/fail): the measurement behind the
 * choice recorded in docs/cpu-kernels.md.
 *
 *   cc -O2 -std=c11 -D_GNU_SOURCE -Iinclude -Isrc -I. -I/usr/include/x86_64-linux-gnu/openblas-pthread \
 *      tests/microbench/blas_vs_packed.c build/lib/libedgeinfer.a -lopenblas -lpthread -lm -o /tmp/blas_vs_packed
 *   /tmp/blas_vs_packed [TYPE] [M...]      (default Q4_0, M = 32 64 128 512)
 */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "edgeinfer.h"
#include "quant/quant.h"
#include "runtime/backend.h"
#include "runtime/backends.h"

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
    ei_type type = EI_TYPE_COUNT;
    const char *name = argc > 1 ? argv[1] : "Q4_0";
    for (int t = 0; t < EI_TYPE_COUNT; t++)
        if (ei_type_supported((ei_type)t) && strcmp(ei_type_name((ei_type)t), name) == 0) type = (ei_type)t;
    if (type == EI_TYPE_COUNT) {
        fprintf(stderr, "unknown type %s\n", name);
        return 1;
    }
    int ms[16] = {32, 64, 128, 512}, n_ms = 4;
    if (argc > 2) {
        n_ms = 0;
        for (int i = 2; i < argc && n_ms < 16; i++) ms[n_ms++] = atoi(argv[i]);
    }
    const int K = 2048, N = 2048, threads = 2;
    openblas_set_num_threads(threads);
    float *wf = malloc(sizeof(float) * (size_t)K * N), *deq = malloc(sizeof(float) * (size_t)K * N);
    const size_t rb = ei_type_row_bytes(type, K);
    void *wq = malloc(rb * N);
    srand(1);
    for (size_t i = 0; i < (size_t)K * N; i++) wf[i] = (float)rand() / RAND_MAX - 0.5f;
    ei_type_traits_of(type)->quantize(wf, wq, (int64_t)K * N);
    ei_backend *be;
    if (ei_cpu_backend_new(threads, &be)) return 1;
    ei_tensor w = {"w", type, {K, N, 1, 1}, wq, be, NULL};
    be->ops->prepare_weight(be, &w, false);
    printf("%s %d x %d, %d threads, packed: %s\n", ei_type_name(type), N, K, threads, w.packed ? "yes" : "no");
    printf("| M | packed ms | blas ms (dequant + sgemm) | sgemm alone ms |\n| ---: | ---: | ---: | ---: |\n");
    for (int mi = 0; mi < n_ms; mi++) {
        const int M = ms[mi];
        float *x = malloc(sizeof(float) * (size_t)M * K), *y = malloc(sizeof(float) * (size_t)M * N);
        for (size_t i = 0; i < (size_t)M * K; i++) x[i] = (float)rand() / RAND_MAX - 0.5f;
        double best_p = 1e9, best_b = 1e9, best_s = 1e9;
        for (int rep = 0; rep < 5; rep++) {
            double t0 = now();
            be->ops->matmul(be, &w, x, M, y);
            double t1 = now();
            ei_type_traits_of(type)->dequantize(wq, deq, (int64_t)K * N);
            double t2 = now();
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, N, K, 1.0f, x, K, deq, K, 0.0f, y, N);
            double t3 = now();
            if (t1 - t0 < best_p) best_p = t1 - t0;
            if (t3 - t1 < best_b) best_b = t3 - t1;
            if (t3 - t2 < best_s) best_s = t3 - t2;
        }
        printf("| %d | %.2f | %.2f | %.2f |\n", M, best_p * 1e3, best_b * 1e3, best_s * 1e3);
        free(x);
        free(y);
    }
    be->ops->release_weight(be, &w);
    be->ops->free(be);
    free(wf);
    free(deq);
    free(wq);
    return 0;
}
