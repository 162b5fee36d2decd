/*
 * vec_dot_bench.c — weight read speed of the CPU backend's matrix-vector
 * product, per weight type, per kernel level, on 1 and 2 threads.
 *
 * Not a test (timings never decide pass/fail): a tool for docs/cpu-kernels.md.
 * Build after the library (see docs/cpu-kernels.md):
 *   cc -O2 -std=c11 -D_GNU_SOURCE -Iinclude -Isrc -I. tests/microbench/vec_dot_bench.c \
 *      build-simd/lib/libedgeinfer.a -lpthread -lm -o build-simd/vec_dot_bench
 * Run: build-simd/vec_dot_bench [-K] [-r batch] [-s seconds] [-n rows] [-k cols] [TYPE...]
 *
 * For each level the CPU supports, a child process (this program again,
 * with EDGEINFER_CPU set) times the backend's matmul with one activation
 * row (what generation does) on a rows x cols weight (2048 x 2048 by
 * default):
 *   hot:  the same matrix again and again (it stays in cache: kernel speed)
 *   cold: a rotation over copies filling 1.5 GiB (read from DRAM, as a
 *         model's weights are; the L3 here is large).
 * GB/s is weight bytes read per second, from the fastest single product
 * over the given duration (the machine is shared: other processes only
 * ever slow a product down), and in parentheses from the median. The activation quantization and the thread
 * pool's start and stop are included: they are part of every product.
 * -r B multiplies B activation rows at once (a prompt batch; GB/s is then
 * still weight bytes per product, and the time per product is printed).
 * -K times the kernel alone instead (one thread, hot, no pool): the
 * dispatched dot product over all rows, activations quantized once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "backends/cpu/cpu_features.h"
#include "backends/cpu/vec_dot.h"
#include "edgeinfer.h"
#include "quant/quant.h"
#include "runtime/backend.h"
#include "runtime/backends.h"

static const ei_type all_types[] = {EI_TYPE_Q4_0, EI_TYPE_Q8_0, EI_TYPE_Q4_K,   EI_TYPE_Q6_K,   EI_TYPE_Q4_1,
                                    EI_TYPE_Q5_K, EI_TYPE_Q5_0, EI_TYPE_Q3_K,   EI_TYPE_Q2_K,   EI_TYPE_IQ4_NL,
                                    EI_TYPE_IQ4_XS, EI_TYPE_F16, EI_TYPE_Q5_1,  EI_TYPE_BF16,   EI_TYPE_F32};

static int batch = 1; /* activation rows per product (-r) */

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static uint64_t rng = 88172645463325252ull;
static float frand(void) {
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (float)((rng >> 40) * (1.0 / 16777216.0)) * 2.0f - 1.0f;
}

/* Each product timed alone for `secs`: the fastest and the median, in
 * seconds. The machine is shared: the fastest is the kernel's speed, the
 * median what a busy machine gives. */
typedef struct timing {
    double best, median;
} timing;

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

#define MAX_SAMPLES 200000
static double samples[MAX_SAMPLES];

static timing summarize(int n) {
    qsort(samples, (size_t)n, sizeof *samples, cmp_double);
    return (timing){samples[0], samples[n / 2]};
}

static timing time_matmul(ei_backend *be, ei_tensor *w, const unsigned char *data, size_t mat_bytes, int copies,
                          const float *x, float *y, double secs) {
    int n = 0;
    double start = now();
    for (long it = 0; n < MAX_SAMPLES && (n < 5 || now() - start < secs); it++) {
        w->data = data + (size_t)(it % copies) * mat_bytes;
        double t0 = now();
        be->ops->matmul(be, w, x, batch, y);
        samples[n++] = now() - t0;
    }
    return summarize(n);
}

static int kernel_only;

/* The kernel alone: rows dots of one activation row (four weight rows per
 * call where the type has that kernel, as the backend), one thread, hot. */
static timing time_kernel(const ei_tensor *w, const float *x, double secs) {
    const ei_vec_dot_table *vt = ei_vec_dot_selected();
    const ei_type act = ei_vec_dot_act_type(w->type);
    const size_t stride = ei_vec_dot_act_row_bytes(act, w->ne[0]), rb = ei_type_row_bytes(w->type, w->ne[0]);
    void *a = aligned_alloc(64, stride);
    vt->quantize[act](x, a, w->ne[0]);
    volatile float sink = 0;
    int n = 0;
    double start = now();
    while (n < MAX_SAMPLES && (n < 5 || now() - start < secs)) {
        double t0 = now();
        if (vt->dot_rows[w->type]) /* as the backend does with one input row */
            for (int64_t o = 0; o < w->ne[1]; o += 4) {
                float s[4];
                const int nw = w->ne[1] - o < 4 ? (int)(w->ne[1] - o) : 4;
                vt->dot_rows[w->type](w->ne[0], (const char *)w->data + (size_t)o * rb, rb, nw, a, s);
                sink += s[0];
            }
        else
            for (int64_t o = 0; o < w->ne[1]; o++) {
                float s;
                vt->dot[w->type](w->ne[0], (const char *)w->data + (size_t)o * rb, a, stride, 1, &s);
                sink += s;
            }
        samples[n++] = now() - t0;
    }
    free(a);
    return summarize(n);
}

static void run_level(ei_cpu_level level, const ei_type *types, int n_types, int64_t rows, int64_t cols, double secs) {
    float *x = malloc(sizeof(float) * (size_t)cols * batch), *y = malloc(sizeof(float) * (size_t)rows * batch);
    float *src = malloc(sizeof(float) * (size_t)cols * 64);
    for (int64_t i = 0; i < cols * batch; i++) x[i] = frand();
    for (int64_t i = 0; i < cols * 64; i++) src[i] = frand();
    for (int i = 0; i < n_types; i++) {
        const ei_type t = types[i];
        const size_t rb = ei_type_row_bytes(t, cols), mat = rb * (size_t)rows;
        const int copies = kernel_only ? 1 : (int)(((size_t)1536 << 20) / mat + 1);
        unsigned char *data = aligned_alloc(64, (mat * (size_t)copies + 63) & ~(size_t)63);
        if (!rb || !data) {
            fprintf(stderr, "%s: cannot allocate\n", ei_type_name(t));
            free(data);
            continue;
        }
        /* 64 distinct quantized rows, repeated: the values do not change the
         * speed (types without a quantizer: random bytes, any of which is a block) */
        unsigned char *rows64 = malloc(rb * 64);
        if (ei_type_traits_of(t)->quantize) ei_type_traits_of(t)->quantize(src, rows64, cols * 64);
        else for (size_t k = 0; k < rb * 64; k++) rows64[k] = (unsigned char)(rand() >> 7);
        for (int64_t r = 0; r < rows; r++) memcpy(data + (size_t)r * rb, rows64 + (size_t)(r % 64) * rb, rb);
        for (int c = 1; c < copies; c++) memcpy(data + (size_t)c * mat, data, mat);
        free(rows64);
        ei_tensor w = {.name = "w", .type = t, .ne = {cols, rows, 1, 1}, .data = data};
        if (kernel_only) {
            timing k = time_kernel(&w, x, secs);
            printf("%-7s %-10s kernel 1 thread  hot %6.1f GB/s (median %6.1f)\n", ei_type_name(t),
                   ei_cpu_level_name(level), mat / k.best * 1e-9, mat / k.median * 1e-9);
            fflush(stdout);
            free(data);
            continue;
        }
        for (int nt = 1; nt <= 2; nt++) {
            ei_backend *be = NULL;
            if (ei_cpu_backend_new(nt, &be) != EI_OK) continue;
            timing hot = time_matmul(be, &w, data, mat, 1, x, y, secs);
            timing cold = time_matmul(be, &w, data, mat, copies, x, y, secs);
            printf("%-7s %-10s %d thread%s  hot %6.1f GB/s (median %6.1f)  cold %6.1f GB/s (median %6.1f)  %7.1f us\n",
                   ei_type_name(t), ei_cpu_level_name(level), nt, nt > 1 ? "s" : " ", mat / hot.best * 1e-9,
                   mat / hot.median * 1e-9, mat / cold.best * 1e-9, mat / cold.median * 1e-9, cold.best * 1e6);
            fflush(stdout);
            be->ops->free(be);
        }
        free(data);
    }
    free(src);
    free(x);
    free(y);
}

int main(int argc, char **argv) {
    double secs = 0.3;
    int64_t rows = 2048, cols = 2048;
    ei_type types[64];
    int n_types = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-s") && i + 1 < argc) secs = atof(argv[++i]);
        else if (!strcmp(argv[i], "-n") && i + 1 < argc) rows = atoll(argv[++i]);
        else if (!strcmp(argv[i], "-k") && i + 1 < argc) cols = atoll(argv[++i]);
        else if (!strcmp(argv[i], "-K")) kernel_only = 1;
        else if (!strcmp(argv[i], "-r") && i + 1 < argc) batch = atoi(argv[++i]);
        else {
            int found = 0;
            for (int t = 0; t < EI_TYPE_COUNT && n_types < 64; t++)
                if (!strcmp(ei_type_name(t), argv[i])) types[n_types++] = (ei_type)t, found = 1;
            if (!found) {
                fprintf(stderr, "usage: %s [-K] [-r batch] [-s seconds] [-n rows] [-k cols] [TYPE...]\n", argv[0]);
                return 2;
            }
        }
    }
    if (!n_types) {
        n_types = (int)(sizeof all_types / sizeof *all_types);
        memcpy(types, all_types, sizeof all_types);
    }
    if (cols % 256 || rows < 1 || batch < 1 || batch > 4096) {
        fprintf(stderr, "cols must be a multiple of 256\n");
        return 2;
    }
    if (getenv("EI_BENCH_CHILD")) { /* one level, chosen by EDGEINFER_CPU when the library starts */
        run_level(ei_cpu_level_selected(), types, n_types, rows, cols, secs);
        return 0;
    }
    const char *only = getenv("EDGEINFER_CPU");
    ei_cpu_level top = ei_cpu_level_supported(), want;
    printf("# %lld x %lld weight times %d activation row%s, weight bytes read per second (fastest and median product "
           "over %.2f s)\n", (long long)rows, (long long)cols, batch, batch > 1 ? "s" : "", secs);
    fflush(stdout);
    for (int l = 0; l <= (int)top; l++) {
        if (only && ei_cpu_level_parse(only, &want) && (int)want != l) continue;
        pid_t pid = fork();
        if (pid == 0) { /* a fresh process per level: the level is chosen once per process */
            setenv("EDGEINFER_CPU", ei_cpu_level_name((ei_cpu_level)l), 1);
            setenv("EI_BENCH_CHILD", "1", 1);
            execv("/proc/self/exe", argv);
            _exit(127);
        }
        int st;
        if (pid > 0) waitpid(pid, &st, 0);
    }
    return 0;
}
