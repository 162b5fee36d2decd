/*
 * neon_vec_dot_check.c — every kernel level this CPU runs against the
 * scalar reference, without cmocka (tests/test_neon.sh cross-compiles it
 * for aarch64 and runs it under qemu-aarch64, where no cmocka is
 * installed). It checks what tests/test_vec_dot.c checks of the levels:
 *
 * - every type's dot kernel gives the scalar kernel's bits (the NMSE
 *   against scalar, printed per level and type, is 0), over 5 weight rows
 *   x 7 activation rows at sizes of 1, 2, 3, 5, 9, 17 blocks, 2048 and
 *   4096 + 3 blocks, weights Gaussian of varying scale with zero rows and
 *   outliers, activations with outliers and zero blocks;
 * - a row's result is the same bits in tiles of 1-4 activation rows, and
 *   in dot_rows' groups of 1-4 weight rows;
 * - every level's activation quantizer writes the scalar one's bytes
 *   (NaN, infinities, huge and subnormal scales, ties included);
 * - random block bytes (NaN and infinite scales included): the scalar
 *   result at every level;
 * - llama.cpp's test-quantize-fns bound against the unquantized data;
 * - the level detected and selected (EDGEINFER_CPU), when asked:
 *   neon_vec_dot_check [expected-selected-level]
 *
 * Built natively on x86-64 it checks the x86 levels the same way.
 * Exit status 0: all passed; 1: a failure (printed).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/cpu/vec_dot.h"
#include "edgeinfer.h"
#include "quant/blocks.h"
#include "quant/fp16.h"
#include "quant/quant.h"

static const ei_type types[] = {EI_TYPE_Q4_0, EI_TYPE_Q8_0, EI_TYPE_Q4_K,   EI_TYPE_Q6_K,   EI_TYPE_Q4_1,
                                EI_TYPE_Q5_K, EI_TYPE_Q5_0, EI_TYPE_Q3_K,   EI_TYPE_Q2_K,   EI_TYPE_IQ4_NL,
                                EI_TYPE_IQ4_XS, EI_TYPE_F16, EI_TYPE_Q5_1,  EI_TYPE_BF16,   EI_TYPE_F32};
#define N_TYPES (sizeof types / sizeof *types)

static int failures;

#define FAIL(...)                                                                                 \
    do {                                                                                          \
        printf("FAIL: " __VA_ARGS__);                                                             \
        printf("\n");                                                                             \
        if (++failures > 20) {                                                                    \
            printf("too many failures\n");                                                        \
            exit(1);                                                                              \
        }                                                                                         \
    } while (0)

#define CHECK(cond)                                                                               \
    do {                                                                                          \
        if (!(cond)) {                                                                            \
            printf("FAIL: %s:%d: %s\n", __FILE__, __LINE__, #cond);                               \
            exit(1);                                                                              \
        }                                                                                         \
    } while (0)

static int same_bits(float a, float b) { return memcmp(&a, &b, sizeof a) == 0 || (isnan(a) && isnan(b)); }

/* ---- data (as tests/test_vec_dot.c makes it) ------------------------------- */

static uint64_t rand_u64(uint64_t *s) { /* xorshift64* */
    uint64_t x = *s ? *s : 0x9E3779B97F4A7C15ull;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1Dull;
}

static void gaussian(uint64_t *seed, float *x, int64_t n, float scale) {
    for (int64_t i = 0; i < n; i += 2) {
        const double u = ((rand_u64(seed) >> 11) + 1.0) * 0x1p-53;
        const double v = (rand_u64(seed) >> 11) * 0x1p-53;
        double r = sqrt(-2 * log(u));
        x[i] = (float)(scale * r * cos(6.283185307179586 * v));
        if (i + 1 < n) x[i + 1] = (float)(scale * r * sin(6.283185307179586 * v));
    }
}

static void *xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    CHECK(p != NULL);
    return p;
}

static size_t row_bytes(ei_type t, int64_t n) {
    const ei_type_traits *tt = ei_type_traits_of(t);
    return (size_t)n / tt->block_size * tt->block_bytes;
}

static int64_t block_of(ei_type t) { return ei_type_traits_of(t)->block_size > 32 ? 256 : 32; }

static void *make_weights(ei_type t, int64_t n, int rows, uint64_t *seed, size_t *rb) {
    const ei_type_traits *tt = ei_type_traits_of(t);
    *rb = row_bytes(t, n);
    unsigned char *w = xmalloc(*rb * (size_t)rows);
    float *x = xmalloc(sizeof(float) * (size_t)n);
    for (int r = 0; r < rows; r++) {
        gaussian(seed, x, n, powf(10.0f, (float)(r % 5) - 2.0f));
        if (r % 7 == 3) memset(x, 0, sizeof(float) * (size_t)n);
        if (r % 7 == 5)
            for (int64_t i = 0; i < n; i += 64) x[i] *= 20.0f;
        tt->quantize(x, w + (size_t)r * *rb, n);
    }
    free(x);
    return w;
}

static float *make_inputs(int64_t n, int rows, uint64_t *seed) {
    float *x = xmalloc(sizeof(float) * (size_t)n * (size_t)rows);
    gaussian(seed, x, n * rows, 1.0f);
    for (int r = 0; r < rows; r++) {
        float *xr = x + (size_t)r * n;
        if (r % 5 == 2)
            for (int64_t i = 3; i < n; i += 97) xr[i] *= 30.0f;
        if (r % 5 == 4) memset(xr, 0, sizeof(float) * (size_t)(n < 32 ? n : 32));
    }
    return x;
}

static void *quantize_rows(const ei_vec_dot_table *t, ei_type act, const float *x, int64_t n, int rows, size_t *stride) {
    *stride = ei_vec_dot_act_row_bytes(act, n);
    CHECK(*stride > 0 && *stride % 64 == 0);
    void *a = aligned_alloc(64, *stride * (size_t)rows);
    CHECK(a != NULL);
    memset(a, 0xA5, *stride * (size_t)rows); /* padding must not matter */
    for (int r = 0; r < rows; r++) t->quantize[act](x + (size_t)r * n, (char *)a + (size_t)r * *stride, n);
    return a;
}

/* ---- every level against scalar ------------------------------------------------ */

static double compare_level(const ei_vec_dot_table *t, ei_type wt, uint64_t *seed) {
    const ei_vec_dot_table *ref = ei_vec_dot_table_for(EI_CPU_SCALAR);
    const ei_type act = ei_vec_dot_act_type(wt);
    const int64_t bs = block_of(wt);
    const int64_t sizes[] = {bs, 2 * bs, 3 * bs, 5 * bs, 9 * bs, 17 * bs, 2048, 4096 + 3 * bs};
    const char *ln = ei_cpu_level_name(t->level), *tn = ei_type_name(wt);
    double num = 0, den = 0;
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
        const int64_t n = sizes[k];
        enum { RW = 5, RA = 7 };
        size_t wrb, stride;
        unsigned char *w = make_weights(wt, n, RW, seed, &wrb);
        float *x = make_inputs(n, RA, seed);
        void *a = quantize_rows(ref, act, x, n, RA, &stride);
        for (int rw = 0; rw < RW; rw++) {
            const void *wr = w + (size_t)rw * wrb;
            float want[RA], one[RA];
            for (int ra = 0; ra < RA; ra++) {
                ref->dot[wt](n, wr, (char *)a + (size_t)ra * stride, stride, 1, &want[ra]);
                t->dot[wt](n, wr, (char *)a + (size_t)ra * stride, stride, 1, &one[ra]);
                const double e = (double)one[ra] - want[ra];
                num += e * e;
                den += (double)want[ra] * want[ra];
                if (!same_bits(one[ra], want[ra]))
                    FAIL("%s %s n=%lld w%d a%d: %.9g, scalar %.9g (not the same bits)", ln, tn, (long long)n, rw, ra,
                         one[ra], want[ra]);
            }
            if (t->dot_rows[wt] && rw == 0)
                for (int ra = 0; ra < RA; ra++)
                    for (int nw = 1; nw <= EI_VEC_DOT_MAX_ROWS; nw++)
                        for (int w0 = 0; w0 + nw <= RW; w0++) {
                            float sw[EI_VEC_DOT_MAX_ROWS];
                            t->dot_rows[wt](n, w + (size_t)w0 * wrb, wrb, nw, (char *)a + (size_t)ra * stride, sw);
                            for (int q = 0; q < nw; q++) {
                                float alone;
                                t->dot[wt](n, w + (size_t)(w0 + q) * wrb, (char *)a + (size_t)ra * stride, stride, 1, &alone);
                                if (!same_bits(sw[q], alone))
                                    FAIL("%s %s n=%lld: weight row %d of %d rows gives %.9g, alone %.9g", ln, tn,
                                         (long long)n, w0 + q, nw, sw[q], alone);
                            }
                        }
            for (int nr = 2; nr <= EI_VEC_DOT_MAX_ROWS; nr++)
                for (int r0 = 0; r0 + nr <= RA; r0++) {
                    float s[EI_VEC_DOT_MAX_ROWS];
                    t->dot[wt](n, wr, (char *)a + (size_t)r0 * stride, stride, nr, s);
                    for (int q = 0; q < nr; q++)
                        if (memcmp(&s[q], &one[r0 + q], sizeof(float)) != 0)
                            FAIL("%s %s n=%lld: row %d in a tile of %d gives %.9g, alone %.9g", ln, tn, (long long)n,
                                 r0 + q, nr, s[q], one[r0 + q]);
                }
        }
        free(a);
        free(x);
        free(w);
    }
    return den > 0 ? num / den : num;
}

static void check_levels(int top) {
    const ei_vec_dot_table *scalar = ei_vec_dot_table_for(EI_CPU_SCALAR);
    for (int l = 0; l <= top; l++) {
        const ei_vec_dot_table *t = ei_vec_dot_table_for((ei_cpu_level)l);
        for (size_t i = 0; i < N_TYPES; i++) {
            uint64_t seed = 1000 + i;
            const double e = compare_level(t, types[i], &seed);
            const char *same = t->dot[types[i]] == scalar->dot[types[i]] ? " (scalar kernel)"
                               : l > 0 && t->dot[types[i]] == ei_vec_dot_table_for((ei_cpu_level)(l - 1))->dot[types[i]]
                                   ? " (level below)"
                                   : "";
            printf("%-10s %-7s NMSE vs scalar %.2e%s%s\n", ei_cpu_level_name((ei_cpu_level)l), ei_type_name(types[i]), e,
                   same, t->dot_rows[types[i]] ? " +dot_rows" : "");
            if (!(e == 0)) FAIL("%s %s: NMSE %g, not 0", ei_cpu_level_name((ei_cpu_level)l), ei_type_name(types[i]), e);
        }
    }
}

/* ---- activation quantizers ------------------------------------------------------ */

static const ei_type act_types[] = {EI_TYPE_Q8_0, EI_TYPE_Q8_1, EI_TYPE_Q8_K, EI_TYPE_F16, EI_TYPE_BF16, EI_TYPE_F32};

static void compare_act_rows(ei_type act, const unsigned char *want, const unsigned char *got, int64_t n, const char *what) {
    size_t parts[3][2]; /* offset, length: the data, padding excluded */
    int np = 0;
    if (act == EI_TYPE_Q8_0 || act == EI_TYPE_Q8_1) {
        const size_t bb = ei_type_traits_of(act)->block_bytes, nb = (size_t)n / 32;
        const ei_q8_layout l = ei_q8_layout_of(bb, n);
        parts[np][0] = 0, parts[np++][1] = nb * bb;
        parts[np][0] = l.qs, parts[np++][1] = (size_t)n;
        parts[np][0] = l.ds, parts[np++][1] = 8 * nb;
    } else {
        parts[np][0] = 0, parts[np++][1] = row_bytes(act, n);
    }
    for (int p = 0; p < np; p++)
        for (size_t k = 0; k < parts[p][1]; k++)
            if (want[parts[p][0] + k] != got[parts[p][0] + k]) {
                FAIL("%s %s n=%lld: part %d byte %zu: %u, scalar %u", what, ei_type_name(act), (long long)n, p, k,
                     got[parts[p][0] + k], want[parts[p][0] + k]);
                return;
            }
}

static void check_act_quantizers(int top) {
    const ei_vec_dot_table *ref = ei_vec_dot_table_for(EI_CPU_SCALAR);
    const int64_t sizes[] = {256, 512, 1280, 4096 + 256};
    for (int l = 1; l <= top; l++) {
        const ei_vec_dot_table *t = ei_vec_dot_table_for((ei_cpu_level)l);
        uint64_t seed = 99;
        for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
            const int64_t n = sizes[k];
            float *x = make_inputs(n, 1, &seed);
            for (int i = 32; i < 64; i++) x[i] *= 1e30f;
            for (int i = 64; i < 96; i++) x[i] *= 1e-40f;
            x[100] = NAN;
            x[140] = INFINITY;
            x[141] = -INFINITY;
            for (int i = 160; i < 192; i++) x[i] = (float)(i - 176) * 0.5f; /* codes at ties */
            x[200] = -NAN;
            x[230] = 65520.0f; /* f16: rounds to infinity */
            x[231] = 1e-8f;    /* f16: subnormal */
            /* (no signalling NaN: the scalar quantizer's fmaxf treats one
             * as the C library does, which differs between x86 and aarch64) */
            if (n >= 512) /* amax 127: id = 1 (Q8_K: iscale = -1), x.5 values are exact ties */
                for (int i = 256; i < 288; i++) x[i] = i == 256 ? 127.0f : (float)(i - 272) + 0.5f;
            for (size_t a = 0; a < sizeof act_types / sizeof *act_types; a++) {
                const ei_type act = act_types[a];
                size_t stride;
                unsigned char *want = quantize_rows(ref, act, x, n, 1, &stride);
                unsigned char *got = quantize_rows(t, act, x, n, 1, &stride);
                compare_act_rows(act, want, got, n, ei_cpu_level_name(t->level));
                free(want);
                free(got);
            }
            free(x);
        }
        printf("%-10s activation quantizers: the scalar bytes\n", ei_cpu_level_name((ei_cpu_level)l));
    }
}

/* ---- hostile bytes ------------------------------------------------------------------ */

static void check_random_blocks(int top) {
    uint64_t seed = 31337;
    const int64_t n = 768;
    for (int l = 1; l <= top; l++) {
        const ei_vec_dot_table *t = ei_vec_dot_table_for((ei_cpu_level)l);
        for (int rep = 0; rep < 4; rep++)
            for (size_t i = 0; i < N_TYPES; i++) {
                const ei_type wt = types[i], act = ei_vec_dot_act_type(wt);
                const size_t rb = row_bytes(wt, n);
                size_t stride;
                unsigned char *w = xmalloc(rb * 4);
                for (size_t k = 0; k < rb * 4; k++) w[k] = (unsigned char)rand_u64(&seed);
                float *x = make_inputs(n, 4, &seed);
                void *a = quantize_rows(t, act, x, n, 4, &stride);
                float s[4], s1, want, rows[4];
                t->dot[wt](n, w, a, stride, 4, s);
                t->dot[wt](n, w, (char *)a + stride, stride, 1, &s1);
                ei_vec_dot_table_for(EI_CPU_SCALAR)->dot[wt](n, w, (char *)a + stride, stride, 1, &want);
                if (!same_bits(s[1], s1) || !same_bits(s1, want))
                    FAIL("%s %s: random blocks: %.9g in a tile, %.9g alone, scalar %.9g", ei_cpu_level_name(t->level),
                         ei_type_name(wt), s[1], s1, want);
                if (t->dot_rows[wt]) {
                    t->dot_rows[wt](n, w, rb, 4, (char *)a + stride, rows);
                    for (int q = 0; q < 4; q++) {
                        float ws;
                        ei_vec_dot_table_for(EI_CPU_SCALAR)->dot[wt](n, w + (size_t)q * rb, (char *)a + stride, stride, 1, &ws);
                        if (!same_bits(rows[q], ws))
                            FAIL("%s %s: random blocks: dot_rows row %d %.9g, scalar %.9g", ei_cpu_level_name(t->level),
                                 ei_type_name(wt), q, rows[q], ws);
                    }
                }
                free(a);
                free(x);
                free(w);
            }
    }
    printf("random block bytes: the scalar results at every level\n");
}

/* llama.cpp's test-quantize-fns: |dot - exact| / 4096 < 0.02 (0.04 for Q2_K) */
static void check_llama_bound(int top) {
    enum { N = 4096 };
    float *x = xmalloc(N * sizeof *x), *y = xmalloc(N * sizeof *y);
    double exact = 0;
    for (int i = 0; i < N; i++) {
        x[i] = (float)(0.1 + 2.0f * cosf((float)i));
        y[i] = (float)(0.1 + 2.0f * cosf((float)i + 1.0f));
        exact += (double)x[i] * y[i];
    }
    for (int l = 0; l <= top; l++) {
        const ei_vec_dot_table *t = ei_vec_dot_table_for((ei_cpu_level)l);
        for (size_t i = 0; i < N_TYPES; i++) {
            const ei_type wt = types[i], act = ei_vec_dot_act_type(wt);
            void *w = xmalloc(row_bytes(wt, N));
            ei_type_traits_of(wt)->quantize(x, w, N);
            size_t stride;
            void *a = quantize_rows(t, act, y, N, 1, &stride);
            float s;
            t->dot[wt](N, w, a, stride, 1, &s);
            const double err = fabs(s - exact) / N, bound = wt == EI_TYPE_Q2_K ? 0.04 : 0.02;
            if (!(err < bound)) FAIL("%s %s: dot error %g exceeds %g", ei_cpu_level_name(t->level), ei_type_name(wt), err, bound);
            free(a);
            free(w);
        }
    }
    printf("test-quantize-fns bound: met at every level\n");
    free(x);
    free(y);
}

int main(int argc, char **argv) {
    const ei_cpu_features *f = ei_cpu_features_get();
    const ei_cpu_level top = ei_cpu_level_supported(), sel = ei_cpu_level_selected();
    printf("cpu: neon %d dotprod %d avx2 %d avx512f %d; level supported %s, selected %s\n", f->neon, f->neon_dotprod, f->avx2,
           f->avx512f, ei_cpu_level_name(top), ei_cpu_level_name(sel));
    CHECK(sel <= top);
    for (int l = 0; l < EI_CPU_LEVEL_COUNT; l++) {
        const ei_vec_dot_table *t = ei_vec_dot_table_for((ei_cpu_level)l);
        if (l <= (int)top) {
            CHECK(t != NULL && (int)t->level == l);
            for (size_t i = 0; i < N_TYPES; i++) {
                CHECK(t->dot[types[i]] != NULL);
                CHECK(t->quantize[ei_vec_dot_act_type(types[i])] != NULL);
            }
        } else {
            CHECK(t == NULL);
        }
    }
    CHECK(ei_vec_dot_selected() == ei_vec_dot_table_for(sel));
    ei_cpu_level l;
    CHECK(ei_cpu_level_parse("neon", &l) && l == EI_CPU_NEON);
    CHECK(ei_cpu_level_parse("neondot", &l) && l == EI_CPU_NEON_DOTPROD);
    CHECK(ei_cpu_level_parse("neon-dotprod", &l) && l == EI_CPU_NEON_DOTPROD);
    CHECK(ei_cpu_level_parse("avx2", &l) && l == EI_CPU_AVX2);
    CHECK(ei_cpu_level_parse("scalar", &l) && l == EI_CPU_SCALAR);
    CHECK(!ei_cpu_level_parse("sve", &l));
    CHECK(strcmp(ei_cpu_level_name(EI_CPU_NEON_DOTPROD), "neondot") == 0);
#if defined(__aarch64__)
    CHECK(top >= EI_CPU_NEON);
    CHECK(top == (f->neon_dotprod ? EI_CPU_NEON_DOTPROD : EI_CPU_NEON));
#endif
    if (argc > 1) { /* the level the environment should have selected */
        ei_cpu_level want;
        CHECK(ei_cpu_level_parse(argv[1], &want));
        if (want != sel) FAIL("selected level %s, expected %s", ei_cpu_level_name(sel), argv[1]);
    }
    check_act_quantizers((int)top);
    check_random_blocks((int)top);
    check_llama_bound((int)top);
    check_levels((int)top);
    if (failures) {
        printf("%d failure(s)\n", failures);
        return 1;
    }
    printf("all passed\n");
    return 0;
}
