/*
 * f16_vs_ggml.c — an F16 weight times f32 activation rows through ggml's
 * mul_mat (llama.cpp's tinyBLAS for these shapes) and through the CPU
 * backend's matmul, alternating in one process, on the same data, two
 * threads. Prints the best time of each and their ratio, and the largest
 * difference of the outputs (0: the two sum in the same order). Not a test:
 * a side-by-side that is steadier than two processes on a shared machine.
 *
 * Build against llama.cpp's static ggml (scripts/bench_vs_llamacpp.py
 * builds it under ~/.cache/edgeinfer/llama.cpp-pypi-VERSION):
 *   LL=~/.cache/edgeinfer/llama.cpp-pypi-0.3.36
 *   cc -O2 -std=gnu11 -D_GNU_SOURCE -Iinclude -Isrc -I. -I$LL/src/ggml/include \
 *      tests/microbench/f16_vs_ggml.c build/lib/libedgeinfer.a $LL/build/ggml/src/libggml-cpu.a \
 *      $LL/build/ggml/src/libggml-base.a -lgomp -lstdc++ -lpthread -lm -o build/f16_vs_ggml
 *   OMP_WAIT_POLICY=passive build/f16_vs_ggml ROWS COLS BATCH [ROUNDS=10] [COPIES=1]
 * ROWS x COLS is the weight (the 1.1B Llama: 2048 2048, 512 2048, 8192 2048,
 * 2048 8192), BATCH the activation rows; COPIES > 1 rotates over that many
 * copies of the weight so that it comes from memory, as a model's does.
 * OMP_WAIT_POLICY=passive: ggml's OpenMP workers otherwise spin after each
 * product and take the cores from the backend's threads.
 * WEIGHTS=FILE:OFFSET:STRIDE takes copy c's weight from a model file mapped
 * as the engines map it, at OFFSET + c * STRIDE (`edgeinfer info FILE`
 * prints the offsets; STRIDE from one layer's tensor to the next's).
 * The backend's copies are packed as a model's are (prepare_weight, where
 * the CPU packs F16); EDGEINFER_PACK=0 times the plain path instead.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "edgeinfer.h"
#include "ggml-cpu.h"
#include "ggml.h"
#include "runtime/backend.h"
#include "runtime/backends.h"

#define THREADS 2
#define MAX_COPIES 16

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static uint64_t rng = 1;
static float frand(void) {
    rng = rng * 6364136223846793005ull + 1;
    return (float)((int)(rng >> 40) % 2001 - 1000) / 1000.0f;
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: %s ROWS COLS BATCH [ROUNDS] [COPIES]\n", argv[0]);
        return 2;
    }
    const int n = atoi(argv[1]), k = atoi(argv[2]), m = atoi(argv[3]);
    const int rounds = argc > 4 ? atoi(argv[4]) : 10, copies = argc > 5 ? atoi(argv[5]) : 1;
    if (n <= 0 || k <= 0 || m <= 0 || rounds <= 0 || copies <= 0 || copies > MAX_COPIES) {
        fprintf(stderr, "bad sizes\n");
        return 2;
    }
    const size_t w_bytes = (size_t)n * k * 2;
    struct ggml_init_params ip = {w_bytes * copies + (size_t)m * k * 4 * 3 + (size_t)m * n * 4 * copies + (256u << 20),
                                  NULL, false};
    struct ggml_context *ctx = ggml_init(ip);
    struct ggml_tensor *x = ggml_new_tensor_2d(ctx, GGML_TYPE_F32, k, m);
    for (size_t i = 0; i < (size_t)m * k; i++) ((float *)x->data)[i] = frand();
    struct ggml_tensor *w[MAX_COPIES], *out[MAX_COPIES];
    struct ggml_cgraph *graph[MAX_COPIES];
    ei_tensor ew[MAX_COPIES];
    for (int c = 0; c < copies; c++) {
        w[c] = ggml_new_tensor_2d(ctx, GGML_TYPE_F16, k, n);
        if (c == 0)
            for (size_t i = 0; i < (size_t)n * k; i++) ((ggml_fp16_t *)w[0]->data)[i] = ggml_fp32_to_fp16(frand());
        else memcpy(w[c]->data, w[0]->data, w_bytes);
        out[c] = ggml_mul_mat(ctx, w[c], x);
        graph[c] = ggml_new_graph(ctx);
        ggml_build_forward_expand(graph[c], out[c]);
        ew[c] = (ei_tensor){.name = "w", .type = EI_TYPE_F16, .ne = {k, n, 1, 1}, .data = w[c]->data};
    }
    const char *from = getenv("WEIGHTS");
    if (from) { /* FILE:OFFSET:STRIDE */
        char path[4096];
        long long off = 0, stride = 0;
        if (sscanf(from, "%4095[^:]:%lld:%lld", path, &off, &stride) != 3) return 2;
        FILE *f = fopen(path, "rb");
        if (!f || fseek(f, 0, SEEK_END)) return 2;
        const long size = ftell(f);
        const char *map = mmap(NULL, (size_t)size, PROT_READ, MAP_SHARED, fileno(f), 0);
        if (map == MAP_FAILED || off + (copies - 1) * stride + (long long)w_bytes > size) return 2;
        for (int c = 0; c < copies; c++) {
            w[c]->data = (char *)(uintptr_t)(map + off + c * stride); /* (read only, as in a model) */
            ew[c].data = w[c]->data;
        }
    }
    ei_backend *be = NULL;
    if (ei_cpu_backend_new(THREADS, &be) != EI_OK) return 1;
    for (int c = 0; c < copies; c++) { /* packed as a model's are (EDGEINFER_PACK=0: the plain path) */
        ew[c].be = be;
        if (be->ops->prepare_weight(be, &ew[c], false) != EI_OK) return 1;
    }
    float *y = malloc(sizeof(float) * (size_t)m * n);
    if (!y) return 1;
    double best_ggml = 1e9, best_ours = 1e9;
    for (int r = 0; r < rounds; r++) {
        double t0 = now();
        ggml_graph_compute_with_ctx(ctx, graph[r % copies], THREADS);
        const double tg = now() - t0;
        t0 = now();
        be->ops->matmul(be, &ew[r % copies], x->data, m, y);
        const double te = now() - t0;
        best_ggml = tg < best_ggml ? tg : best_ggml;
        best_ours = te < best_ours ? te : best_ours;
    }
    const int last = (rounds - 1) % copies;
    double max_diff = 0;
    for (size_t i = 0; i < (size_t)m * n; i++) {
        const double d = ((float *)out[last]->data)[i] - y[i];
        max_diff = d > max_diff ? d : -d > max_diff ? -d : max_diff;
    }
    const double fma8 = (double)n * k * m / 8; /* 8-lane multiply-adds */
    printf("%5d x %5d x %4d  ggml %8.2f ms (%.2f G FMA/s per thread)  edgeinfer %8.2f ms (%.2f)  ggml/edgeinfer %.3f  "
           "max diff %.2g\n",
           n, k, m, best_ggml * 1e3, fma8 / best_ggml / 1e9 / THREADS, best_ours * 1e3, fma8 / best_ours / 1e9 / THREADS,
           best_ggml / best_ours, max_diff);
    for (int c = 0; c < copies; c++) be->ops->release_weight(be, &ew[c]);
    be->ops->free(be);
    free(y);
    ggml_free(ctx);
    return 0;
}
