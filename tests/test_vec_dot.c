/*
 * test_vec_dot.c — the CPU dot-product kernels (backends/cpu/vec_dot.h).
 *
 * - cpu feature detection and the EDGEINFER_CPU names;
 * - the scalar kernel of every type equals the dot product of the
 *   dequantized weights and activations (computed in double) up to float
 *   rounding, and meets llama.cpp's test-quantize-fns bound against the
 *   unquantized data;
 * - every SIMD level this CPU runs gives the scalar kernel's results within
 *   bit for bit (and so a normalized mean squared error of 0; see
 *   docs/cpu-kernels.md), on random weights quantized by the reference
 *   quantizers, sizes with odd block counts, and activation tiles of 1..4
 *   rows;
 * - a row's result is bit-identical whatever the tile size, and in the
 *   several-weight-rows kernels (so outputs do not depend on threads or
 *   batching), and every level's activation
 *   quantizer writes the scalar one's bytes, NaN and infinity included;
 * - random block bytes (any scale, NaN and infinity included) run through
 *   every kernel without undefined behaviour (sanitized build), with the
 *   scalar kernel's result;
 * - the backend's matmul: same bits on 1 and 2 threads, equal to the
 *   kernel called directly, for row counts around the tile and group sizes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../backends/cpu/vec_dot.h"
#include "edgeinfer.h"
#include "quant/blocks.h"
#include "quant/fp16.h"
#include "quant/iq_grids.h"
#include "quant/quant.h"
#include "runtime/backend.h"
#include "runtime/backends.h"
#include "testutil.h"

/* Priority order of the issue; every type with a kernel. */
static const ei_type types[] = {EI_TYPE_Q4_0, EI_TYPE_Q8_0, EI_TYPE_Q4_K,   EI_TYPE_Q6_K,   EI_TYPE_Q4_1,
                                EI_TYPE_Q5_K, EI_TYPE_Q5_0, EI_TYPE_Q3_K,   EI_TYPE_Q2_K,   EI_TYPE_IQ4_NL,
                                EI_TYPE_IQ4_XS, EI_TYPE_F16, EI_TYPE_Q5_1,  EI_TYPE_BF16,   EI_TYPE_F32,
                                /* read only: no quantizer, random blocks (random_scaled_blocks) */
                                EI_TYPE_IQ2_XXS, EI_TYPE_IQ2_XS, EI_TYPE_IQ2_S, EI_TYPE_IQ3_XXS, EI_TYPE_IQ3_S,
                                EI_TYPE_IQ1_S, EI_TYPE_IQ1_M, EI_TYPE_TQ1_0, EI_TYPE_TQ2_0, EI_TYPE_MXFP4};
#define N_TYPES (sizeof types / sizeof *types)

/* Every level adds the same exact integers in the same float order as the
 * scalar kernels (vec_dot_scalar.c, "the canonical float order"): results
 * must be the same bits. The NMSE, sum (simd - scalar)^2 / sum scalar^2,
 * is printed and held to 0 as well. */
static int same_bits(float a, float b) { return memcmp(&a, &b, sizeof a) == 0 || (isnan(a) && isnan(b)); }

/* ---- data ------------------------------------------------------------------ */

static void gaussian(uint64_t *seed, float *x, int64_t n, float scale) {
    for (int64_t i = 0; i < n; i += 2) {
        const double u = ((tu_rand_u64(seed) >> 11) + 1.0) * 0x1p-53;
        const double v = (tu_rand_u64(seed) >> 11) * 0x1p-53;
        double r = sqrt(-2 * log(u));
        x[i] = (float)(scale * r * cos(6.283185307179586 * v));
        if (i + 1 < n) x[i + 1] = (float)(scale * r * sin(6.283185307179586 * v));
    }
}

/* Random blocks of a type without a quantizer (every byte pattern is a
 * valid block), with the block scale set to a finite value of magnitude
 * 10^(r % 5 - 4) .. (so that rows differ in scale as make_weights' do; a
 * zero scale every seventh row), either sign. */
static void random_scaled_blocks(ei_type t, unsigned char *w, int64_t n, int r, uint64_t *seed) {
    const size_t bb = ei_type_block_bytes(t), nb = (size_t)(n / (int64_t)ei_type_block_size(t));
    for (size_t k = 0; k < bb * nb; k++) w[k] = (unsigned char)tu_rand_u64(seed);
    for (size_t b = 0; b < nb; b++) {
        unsigned char *blk = w + b * bb;
        const float mag = r % 7 == 3 ? 0.0f : powf(10.0f, (float)(r % 5) - 4.0f) * (1.0f + (float)(tu_rand_u64(seed) % 100) / 50.0f);
        const uint16_t h = ei_fp32_to_fp16(tu_rand_u64(seed) & 1 ? -mag : mag);
        if (t == EI_TYPE_MXFP4) {
            blk[0] = (uint8_t)(110 + r % 5 * 3 + (int)(tu_rand_u64(seed) % 3)); /* 2^-18 .. 2^-4 */
        } else if (t == EI_TYPE_IQ1_M) { /* the f16 bits in the top nibbles of the four scale words */
            for (int q = 0; q < 4; q++) blk[48 + 2 * q + 1] = (uint8_t)((blk[48 + 2 * q + 1] & 0x0F) | ((h >> 4 * q) & 0xF) << 4);
        } else {
            const size_t off = t == EI_TYPE_TQ1_0 ? 52 : t == EI_TYPE_TQ2_0 ? 64 : 0;
            memcpy(blk + off, &h, 2);
        }
    }
}

/* Rows of n weights quantized with the reference quantizer: Gaussian rows
 * of varying scale, a zero row, a row with one outlier per 64 values
 * (types without a quantizer: random_scaled_blocks). */
static void *make_weights(ei_type t, int64_t n, int rows, uint64_t *seed, size_t *row_bytes) {
    const ei_type_traits *tt = ei_type_traits_of(t);
    *row_bytes = ei_type_row_bytes(t, n);
    if (!tt->quantize) {
        unsigned char *w = malloc(*row_bytes * (size_t)rows);
        assert_non_null(w);
        for (int r = 0; r < rows; r++) random_scaled_blocks(t, w + (size_t)r * *row_bytes, n, r, seed);
        return w;
    }
    unsigned char *w = malloc(*row_bytes * (size_t)rows);
    float *x = malloc(sizeof(float) * (size_t)n);
    assert_non_null(w);
    assert_non_null(x);
    for (int r = 0; r < rows; r++) {
        gaussian(seed, x, n, powf(10.0f, (float)(r % 5) - 2.0f));
        if (r % 7 == 3) memset(x, 0, sizeof(float) * (size_t)n);
        if (r % 7 == 5)
            for (int64_t i = 0; i < n; i += 64) x[i] *= 20.0f;
        tt->quantize(x, w + (size_t)r * *row_bytes, n);
    }
    free(x);
    return w;
}

static float *make_inputs(int64_t n, int rows, uint64_t *seed) {
    float *x = malloc(sizeof(float) * (size_t)n * (size_t)rows);
    assert_non_null(x);
    gaussian(seed, x, n * rows, 1.0f);
    for (int r = 0; r < rows; r++) {
        float *xr = x + (size_t)r * n;
        if (r % 5 == 2) /* outliers, as real activations have */
            for (int64_t i = 3; i < n; i += 97) xr[i] *= 30.0f;
        if (r % 5 == 4) memset(xr, 0, sizeof(float) * (size_t)(n < 32 ? n : 32)); /* an all-zero block */
    }
    return x;
}

/* rows of activations quantized by table t; stride *stride bytes */
static void *quantize_rows(const ei_vec_dot_table *t, ei_type act, const float *x, int64_t n, int rows,
                           size_t *stride) {
    *stride = ei_vec_dot_act_row_bytes(act, n);
    assert_true(*stride > 0);
    assert_int_equal(*stride % 64, 0);
    void *a = aligned_alloc(64, *stride * (size_t)rows);
    assert_non_null(a);
    memset(a, 0xA5, *stride * (size_t)rows); /* padding must not matter */
    for (int r = 0; r < rows; r++) t->quantize[act](x + (size_t)r * n, (char *)a + (size_t)r * *stride, n);
    return a;
}

static int64_t block_of(ei_type t) { return (int64_t)ei_type_block_size(t) > 32 ? 256 : 32; }

/* ---- cpu features ---------------------------------------------------------- */

static void test_cpu_levels(void **state) {
    (void)state;
    ei_cpu_level top = ei_cpu_level_supported(), sel = ei_cpu_level_selected();
    const ei_cpu_features *f = ei_cpu_features_get();
    print_message("cpu: avx2 %d fma %d f16c %d avx512f %d bw %d vl %d vnni %d os_avx %d os_avx512 %d\n", f->avx2, f->fma,
                  f->f16c, f->avx512f, f->avx512bw, f->avx512vl, f->avx512vnni, f->os_avx, f->os_avx512);
    print_message("cpu level: supported %s, selected %s\n", ei_cpu_level_name(top), ei_cpu_level_name(sel));
    assert_true(sel <= top);
    for (int l = 0; l < EI_CPU_LEVEL_COUNT; l++) {
        const ei_vec_dot_table *t = ei_vec_dot_table_for((ei_cpu_level)l);
        if (l <= (int)top) {
            assert_non_null(t);
            assert_int_equal(t->level, l);
            for (size_t i = 0; i < N_TYPES; i++) {
                assert_non_null(t->dot[types[i]]);
                assert_non_null(t->quantize[ei_vec_dot_act_type(types[i])]);
            }
        } else {
            assert_null(t);
        }
    }
    assert_null(ei_vec_dot_table_for((ei_cpu_level)-1));
    assert_null(ei_vec_dot_table_for(EI_CPU_LEVEL_COUNT));
    assert_ptr_equal(ei_vec_dot_selected(), ei_vec_dot_table_for(sel));
    ei_cpu_level l;
    assert_true(ei_cpu_level_parse("scalar", &l) && l == EI_CPU_SCALAR);
    assert_true(ei_cpu_level_parse("avx2", &l) && l == EI_CPU_AVX2);
    assert_true(ei_cpu_level_parse("avx512", &l) && l == EI_CPU_AVX512);
    assert_true(ei_cpu_level_parse("avx512vnni", &l) && l == EI_CPU_AVX512_VNNI);
    assert_false(ei_cpu_level_parse("sse9", &l));
    assert_false(ei_cpu_level_parse(NULL, &l));
    assert_string_equal(ei_cpu_level_name((ei_cpu_level)99), "?");
    /* no kernel, no rows: the backend takes its reference path */
    assert_int_equal(ei_vec_dot_act_type(EI_TYPE_F64), EI_TYPE_COUNT);
    assert_int_equal(ei_vec_dot_act_type(EI_TYPE_I32), EI_TYPE_COUNT);
    assert_int_equal(ei_vec_dot_act_type(EI_TYPE_IQ2_XXS), EI_TYPE_Q8_K);
    assert_int_equal(ei_vec_dot_act_type(EI_TYPE_MXFP4), EI_TYPE_Q8_0);
    assert_int_equal(ei_vec_dot_act_row_bytes(EI_TYPE_Q8_0, 48), 0);
    assert_int_equal(ei_vec_dot_act_row_bytes(EI_TYPE_Q8_K, 128), 0);
    assert_int_equal(ei_vec_dot_act_row_bytes(EI_TYPE_Q8_0, 0), 0);
    assert_int_equal(ei_vec_dot_act_row_bytes(EI_TYPE_Q4_0, 32), 0);
}

/* ---- scalar kernels against the dequantized data ------------------------- */

/* The activation row's values as the kernel sees them. */
/* F16 and BF16 activation rows hold their rounded values as f32 (vec_dot.h) */
static bool rounded_f32_act(ei_type act) { return act == EI_TYPE_F16 || act == EI_TYPE_BF16; }

static void dequantize_act(ei_type act, const void *a, float *y, int64_t n) {
    if (rounded_f32_act(act)) memcpy(y, a, sizeof(float) * (size_t)n);
    else assert_int_equal(ei_dequantize(act, a, y, n), EI_OK); /* the blocks come first */
}

/* Q4_1 / Q5_1 blocks add m times the activation block's sum, which ggml
 * takes from Q8_1's s: d * sum(q) rounded to f16, not the sum of the
 * dequantized values. This is the difference, sum over blocks of
 * m (s - sum a). */
static double q8_1_sum_correction(ei_type wt, const unsigned char *w, const void *a, const float *af, int64_t n) {
    const size_t wbb = ei_type_block_bytes(wt);
    const block_q8_1 *ab = a;
    double c = 0;
    for (int64_t b = 0; b < n / 32; b++) {
        uint16_t m;
        memcpy(&m, w + (size_t)b * wbb + 2, 2); /* after d, in both types */
        double sa = 0;
        for (int j = 0; j < 32; j++) sa += af[32 * b + j];
        c += (double)ei_fp16_to_fp32(m) * ((double)ei_fp16_to_fp32(ab[b].s) - sa);
    }
    return c;
}

static void test_scalar_matches_dequantized(void **state) {
    (void)state;
    const ei_vec_dot_table *t = ei_vec_dot_table_for(EI_CPU_SCALAR);
    uint64_t seed = 7;
    for (size_t i = 0; i < N_TYPES; i++) {
        const ei_type wt = types[i], act = ei_vec_dot_act_type(wt);
        const int64_t bs = block_of(wt);
        const int64_t sizes[] = {bs, 3 * bs, 7 * bs, 4096 + (bs == 32 ? 32 : 0)};
        double worst = 0;
        for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
            const int64_t n = sizes[k];
            const int rows_w = 9, rows_a = 5;
            size_t wrb, stride;
            unsigned char *w = make_weights(wt, n, rows_w, &seed, &wrb);
            float *x = make_inputs(n, rows_a, &seed);
            void *a = quantize_rows(t, act, x, n, rows_a, &stride);
            float *wf = malloc(sizeof(float) * (size_t)n), *af = malloc(sizeof(float) * (size_t)n);
            for (int ra = 0; ra < rows_a; ra++) {
                dequantize_act(act, (char *)a + (size_t)ra * stride, af, n);
                for (int rw = 0; rw < rows_w; rw++) {
                    assert_int_equal(ei_dequantize(wt, w + (size_t)rw * wrb, wf, n), EI_OK);
                    double ref = 0, mag = 0;
                    for (int64_t e = 0; e < n; e++) {
                        ref += (double)wf[e] * af[e];
                        mag += fabs((double)wf[e] * af[e]);
                    }
                    if (act == EI_TYPE_Q8_1) ref += q8_1_sum_correction(wt, w + (size_t)rw * wrb, (char *)a + (size_t)ra * stride, af, n);
                    float s;
                    t->dot[wt](n, w + (size_t)rw * wrb, (char *)a + (size_t)ra * stride, stride, 1, &s);
                    double err = fabs(s - ref) / (mag > 0 ? mag : 1);
                    if (err > worst) worst = err;
                    if (!(err <= 2e-6))
                        fail_msg("%s n=%lld w%d a%d: %.9g, dequantized %.9g (|error| / sum |w a| = %.3g)",
                                 ei_type_name(wt), (long long)n, rw, ra, s, ref, err);
                }
            }
            free(wf);
            free(af);
            free(a);
            free(x);
            free(w);
        }
        print_message("%-7s scalar vs dequantized: worst |error| / sum |w a| %.2e\n", ei_type_name(wt), worst);
    }
}

/* llama.cpp's tests/test-quantize-fns.cpp, vec_dot_product_error: 4096
 * values 0.1 + 2 cos(i + offset), weights offset 0, activations offset 1;
 * |dot - exact dot| / 4096 below 0.02 (0.04 for Q2_K), at every level. */
static void test_llama_dot_bound(void **state) {
    (void)state;
    enum { N = 4096 };
    float *x = malloc(N * sizeof *x), *y = malloc(N * sizeof *y);
    double exact = 0;
    for (int i = 0; i < N; i++) {
        x[i] = (float)(0.1 + 2.0f * cosf((float)i));
        y[i] = (float)(0.1 + 2.0f * cosf((float)i + 1.0f));
        exact += (double)x[i] * y[i];
    }
    for (int l = 0; l < EI_CPU_LEVEL_COUNT; l++) {
        const ei_vec_dot_table *t = ei_vec_dot_table_for((ei_cpu_level)l);
        if (!t) continue;
        for (size_t i = 0; i < N_TYPES; i++) {
            const ei_type wt = types[i], act = ei_vec_dot_act_type(wt);
            if (!ei_type_traits_of(wt)->quantize) continue; /* read only */
            void *w = malloc(ei_type_row_bytes(wt, N));
            ei_type_traits_of(wt)->quantize(x, w, N);
            size_t stride;
            void *a = quantize_rows(t, act, y, N, 1, &stride);
            float s;
            t->dot[wt](N, w, a, stride, 1, &s);
            double err = fabs(s - exact) / N, bound = wt == EI_TYPE_Q2_K ? 0.04 : 0.02;
            if (l == 0) print_message("%-7s test-quantize-fns dot error %.6f (bound %.2f)\n", ei_type_name(wt), err, bound);
            if (!(err < bound)) fail_msg("%s %s: dot error %g exceeds %g", ei_cpu_level_name((ei_cpu_level)l), ei_type_name(wt), err, bound);
            free(a);
            free(w);
        }
    }
    free(x);
    free(y);
}

/* ---- every level against scalar -------------------------------------------- */

/* One level, one type: rows_w x rows_a dots at several sizes, through tiles
 * of every size; returns the NMSE against scalar. Also checks that a row's
 * result is the same bits in every tile size. */
static double compare_level(const ei_vec_dot_table *t, ei_type wt, uint64_t *seed) {
    const ei_vec_dot_table *ref = ei_vec_dot_table_for(EI_CPU_SCALAR);
    const ei_type act = ei_vec_dot_act_type(wt);
    const int64_t bs = block_of(wt);
    const int64_t sizes[] = {bs, 2 * bs, 3 * bs, 5 * bs, 9 * bs, 17 * bs, 2048, 4096 + 3 * bs};
    double num = 0, den = 0;
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
        const int64_t n = sizes[k];
        const int rows_w = 5, rows_a = 7;
        size_t wrb, stride;
        unsigned char *w = make_weights(wt, n, rows_w, seed, &wrb);
        float *x = make_inputs(n, rows_a, seed);
        void *a = quantize_rows(ref, act, x, n, rows_a, &stride);
        for (int rw = 0; rw < rows_w; rw++) {
            const void *wr = w + (size_t)rw * wrb;
            float want[7], one[7];
            for (int ra = 0; ra < rows_a; ra++) {
                ref->dot[wt](n, wr, (char *)a + (size_t)ra * stride, stride, 1, &want[ra]);
                t->dot[wt](n, wr, (char *)a + (size_t)ra * stride, stride, 1, &one[ra]);
                double e = (double)one[ra] - want[ra];
                num += e * e;
                den += (double)want[ra] * want[ra];
                if (!same_bits(one[ra], want[ra]))
                    fail_msg("%s %s n=%lld w%d a%d: %.9g, scalar %.9g (not the same bits)", ei_cpu_level_name(t->level),
                             ei_type_name(wt), (long long)n, rw, ra, one[ra], want[ra]);
            }
            if (t->dot_rows[wt] && rw == 0) /* several weight rows against one activation row */
                for (int ra = 0; ra < rows_a; ra++)
                    for (int nw = 1; nw <= EI_VEC_DOT_MAX_ROWS; nw++)
                        for (int w0 = 0; w0 + nw <= rows_w; w0++) {
                            float sw[EI_VEC_DOT_MAX_ROWS];
                            t->dot_rows[wt](n, w + (size_t)w0 * wrb, wrb, nw, (char *)a + (size_t)ra * stride, sw);
                            for (int k = 0; k < nw; k++) {
                                float alone;
                                t->dot[wt](n, w + (size_t)(w0 + k) * wrb, (char *)a + (size_t)ra * stride, stride, 1, &alone);
                                if (!same_bits(sw[k], alone))
                                    fail_msg("%s %s n=%lld: weight row %d of %d rows gives %.9g, alone %.9g",
                                             ei_cpu_level_name(t->level), ei_type_name(wt), (long long)n, w0 + k, nw, sw[k],
                                             alone);
                            }
                        }
            for (int nr = 2; nr <= EI_VEC_DOT_MAX_ROWS; nr++)
                for (int r0 = 0; r0 + nr <= rows_a; r0++) {
                    float s[EI_VEC_DOT_MAX_ROWS];
                    t->dot[wt](n, wr, (char *)a + (size_t)r0 * stride, stride, nr, s);
                    for (int q = 0; q < nr; q++)
                        if (memcmp(&s[q], &one[r0 + q], sizeof(float)) != 0)
                            fail_msg("%s %s n=%lld: row %d in a tile of %d gives %.9g, alone %.9g",
                                     ei_cpu_level_name(t->level), ei_type_name(wt), (long long)n, r0 + q, nr, s[q],
                                     one[r0 + q]);
                }
        }
        free(a);
        free(x);
        free(w);
    }
    return den > 0 ? num / den : num;
}

static void test_levels_match_scalar(void **state) {
    (void)state;
    for (int l = 0; l < EI_CPU_LEVEL_COUNT; l++) {
        const ei_vec_dot_table *t = ei_vec_dot_table_for((ei_cpu_level)l);
        if (!t) {
            print_message("%s: not supported here, skipped\n", ei_cpu_level_name((ei_cpu_level)l));
            continue;
        }
        for (size_t i = 0; i < N_TYPES; i++) {
            uint64_t seed = 1000 + i;
            double e = compare_level(t, types[i], &seed);
            const char *same = t->dot[types[i]] == ei_vec_dot_table_for(EI_CPU_SCALAR)->dot[types[i]] ? " (scalar kernel)"
                               : l > 0 && t->dot[types[i]] == ei_vec_dot_table_for((ei_cpu_level)(l - 1))->dot[types[i]]
                                   ? " (level below)"
                                   : "";
            print_message("%-10s %-7s NMSE vs scalar %.2e%s\n", ei_cpu_level_name((ei_cpu_level)l),
                          ei_type_name(types[i]), e, same);
            if (!(e == 0)) fail_msg("%s %s: NMSE %g, not 0", ei_cpu_level_name((ei_cpu_level)l), ei_type_name(types[i]), e);
        }
    }
}

/* Unpacked rows (the lattice and ternary types, IQ4_XS, Q3_K): every level's unpacker
 * writes the scalar one's bytes, and dot_unpacked on them gives dot's bits
 * on the packed row, in every tile size. */
static void test_unpacked_rows(void **state) {
    (void)state;
    const ei_vec_dot_table *ref = ei_vec_dot_table_for(EI_CPU_SCALAR);
    uint64_t seed = 777;
    int n_checked = 0;
    for (int l = 0; l < EI_CPU_LEVEL_COUNT; l++) {
        const ei_vec_dot_table *t = ei_vec_dot_table_for((ei_cpu_level)l);
        if (!t) continue;
        assert_non_null(t->dot_unpacked);
        for (size_t i = 0; i < N_TYPES; i++) {
            const ei_type wt = types[i];
            if (!ei_iq_unpackable(wt)) {
                assert_null(t->unpack_row[wt]);
                continue;
            }
            /* a level may keep its own dot for IQ4_XS and Q3_K (NEON: both; AVX2:
             * IQ4_XS, whose codes exceed the 64 its dot_unpacked takes) */
            if (!t->unpack_row[wt] && (wt == EI_TYPE_IQ4_XS || wt == EI_TYPE_Q3_K) && l != EI_CPU_SCALAR) continue;
            assert_non_null(t->unpack_row[wt]);
            for (int64_t n = QK_K; n <= 5 * QK_K; n += 2 * QK_K) {
                size_t wrb, stride;
                const int rows_w = 5, rows_a = 6;
                unsigned char *w = make_weights(wt, n, rows_w, &seed, &wrb);
                float *x = make_inputs(n, rows_a, &seed);
                void *a = quantize_rows(ref, EI_TYPE_Q8_K, x, n, rows_a, &stride);
                const size_t ub = ei_unpacked_row_bytes(n);
                unsigned char *u = calloc(1, ub), *u_ref = calloc(1, ub);
                for (int rw = 0; rw < rows_w; rw++) {
                    const unsigned char *wr = w + (size_t)rw * wrb;
                    t->unpack_row[wt](n, wr, u);
                    ref->unpack_row[wt](n, wr, u_ref);
                    if (memcmp(u, u_ref, ei_unpacked_data_bytes(n)) != 0)
                        fail_msg("%s %s n=%lld: unpacked row differs from scalar", ei_cpu_level_name(t->level),
                                 ei_type_name(wt), (long long)n);
                    for (int nr = 1; nr <= EI_VEC_DOT_MAX_ROWS; nr++)
                        for (int r0 = 0; r0 + nr <= rows_a; r0++) {
                            float s[EI_VEC_DOT_MAX_ROWS], want[EI_VEC_DOT_MAX_ROWS];
                            t->dot_unpacked(n, u, (char *)a + (size_t)r0 * stride, stride, nr, s);
                            t->dot[wt](n, wr, (char *)a + (size_t)r0 * stride, stride, nr, want);
                            for (int q = 0; q < nr; q++)
                                if (!same_bits(s[q], want[q]))
                                    fail_msg("%s %s n=%lld: unpacked %.9g, dot %.9g", ei_cpu_level_name(t->level),
                                             ei_type_name(wt), (long long)n, s[q], want[q]);
                            n_checked++;
                        }
                }
                free(u);
                free(u_ref);
                free(a);
                free(x);
                free(w);
            }
        }
    }
    print_message("%d unpacked tiles checked\n", n_checked);
}

/* ---- activation quantizers ---------------------------------------------------- */

static const ei_type act_types[] = {EI_TYPE_Q8_0, EI_TYPE_Q8_1, EI_TYPE_Q8_K, EI_TYPE_F16, EI_TYPE_BF16, EI_TYPE_F32};

/* Bytes of a row that hold data (padding excluded), compared one part at a time. */
static void compare_act_rows(ei_type act, const unsigned char *want, const unsigned char *got, int64_t n,
                             const char *what) {
    size_t parts[3][2]; /* offset, length */
    int np = 0;
    if (act == EI_TYPE_Q8_0 || act == EI_TYPE_Q8_1) {
        size_t bb = ei_type_block_bytes(act), nb = (size_t)n / 32;
        ei_q8_layout l = ei_q8_layout_of(bb, n);
        parts[np][0] = 0, parts[np++][1] = nb * bb;
        parts[np][0] = l.qs, parts[np++][1] = (size_t)n;
        parts[np][0] = l.ds, parts[np++][1] = 8 * nb;
    } else if (rounded_f32_act(act)) {
        parts[np][0] = 0, parts[np++][1] = (size_t)n * sizeof(float);
    } else {
        parts[np][0] = 0, parts[np++][1] = ei_type_row_bytes(act, n);
    }
    for (int p = 0; p < np; p++)
        for (size_t k = 0; k < parts[p][1]; k++)
            if (want[parts[p][0] + k] != got[parts[p][0] + k])
                fail_msg("%s %s n=%lld: part %d byte %zu: %u, scalar %u", what, ei_type_name(act), (long long)n, p, k,
                         got[parts[p][0] + k], want[parts[p][0] + k]);
}

static void test_act_quantizers_identical(void **state) {
    (void)state;
    const ei_vec_dot_table *ref = ei_vec_dot_table_for(EI_CPU_SCALAR);
    const int64_t sizes[] = {256, 512, 1280, 4096 + 256};
    for (int l = 0; l < EI_CPU_LEVEL_COUNT; l++) {
        const ei_vec_dot_table *t = ei_vec_dot_table_for((ei_cpu_level)l);
        if (!t) continue;
        uint64_t seed = 99;
        for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
            const int64_t n = sizes[k];
            float *x = make_inputs(n, 1, &seed);
            /* special blocks of 32: huge, tiny (subnormal scales), NaN, infinity, ties at .5 */
            for (int i = 32; i < 64; i++) x[i] *= 1e30f;
            for (int i = 64; i < 96; i++) x[i] *= 1e-40f;
            x[100] = NAN;
            x[140] = INFINITY;
            x[141] = -INFINITY;
            for (int i = 160; i < 192; i++) x[i] = (float)(i - 176) * 0.5f; /* amax 7.5: codes at ties */
            x[200] = -NAN;
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
    }
}

/* ggml's x86 activation quantizer (quantize_row_q8_0 / _q8_1 in
 * ggml-cpu/arch/x86/quants.c), written out plainly: d = amax / 127 as f16,
 * codes x * (127 / amax) rounded half to even, s = f16(d * sum). */
static void ggml_x86_q8(const float *x, void *dst, int64_t n, int q8_1) {
    const size_t bb = q8_1 ? 36 : 34;
    for (int64_t b = 0; b < n / 32; b++) {
        const float *xb = x + 32 * b;
        unsigned char *blk = (unsigned char *)dst + (size_t)b * bb;
        float amax = 0;
        for (int j = 0; j < 32; j++) amax = fabsf(xb[j]) > amax ? fabsf(xb[j]) : amax;
        const float d = amax / 127.f, id = amax != 0.0f ? 127.f / amax : 0.0f;
        int8_t *q = (int8_t *)(blk + (q8_1 ? 4 : 2));
        int sum = 0;
        for (int j = 0; j < 32; j++) {
            q[j] = (int8_t)nearbyintf(xb[j] * id);
            sum += q[j];
        }
        uint16_t h = ei_fp32_to_fp16(d);
        memcpy(blk, &h, 2);
        if (q8_1) {
            h = ei_fp32_to_fp16(d * (float)sum);
            memcpy(blk + 2, &h, 2);
        }
    }
}

/* The scalar quantizers' rows hold ggml's blocks (Q8_0 / Q8_1 as ggml's x86
 * code quantizes activations, within one code of the reference quantizer;
 * the others as the type table's quantizer) and an aux part consistent
 * with them. */
static void test_act_rows_layout(void **state) {
    (void)state;
    const ei_vec_dot_table *t = ei_vec_dot_table_for(EI_CPU_SCALAR);
    uint64_t seed = 5;
    const int64_t n = 512;
    float *x = make_inputs(n, 1, &seed);
    for (size_t a = 0; a < sizeof act_types / sizeof *act_types; a++) {
        const ei_type act = act_types[a];
        const int q8 = act == EI_TYPE_Q8_0 || act == EI_TYPE_Q8_1;
        size_t stride, rb = ei_type_row_bytes(act, n);
        unsigned char *row = quantize_rows(t, act, x, n, 1, &stride);
        unsigned char *blocks = malloc(rb), *ref = malloc(rb);
        if (q8) ggml_x86_q8(x, blocks, n, act == EI_TYPE_Q8_1);
        else assert_int_equal(ei_quantize(act, x, blocks, n), EI_OK);
        if (rounded_f32_act(act)) { /* the type's values */
            float *v = malloc(sizeof(float) * (size_t)n);
            assert_int_equal(ei_dequantize(act, blocks, v, n), EI_OK);
            assert_memory_equal(row, v, sizeof(float) * (size_t)n);
            free(v);
        } else
            assert_memory_equal(row, blocks, rb);
        if (q8) {
            ei_q8_layout l = ei_q8_layout_of(ei_type_block_bytes(act), n);
            float *deq = malloc(sizeof(float) * (size_t)n), *deq_ref = malloc(sizeof(float) * (size_t)n);
            assert_int_equal(ei_dequantize(act, blocks, deq, n), EI_OK);
            assert_int_equal(ei_quantize(act, x, ref, n), EI_OK);
            assert_int_equal(ei_dequantize(act, ref, deq_ref, n), EI_OK);
            const int8_t *qs = (const int8_t *)(row + l.qs);
            const float *ds = (const float *)(row + l.ds);
            for (int64_t b = 0; b < n / 32; b++) {
                for (int j = 0; j < 32; j++) {
                    assert_true((float)qs[32 * b + j] * ds[2 * b] == deq[32 * b + j]);
                    assert_true(fabsf(deq[32 * b + j] - deq_ref[32 * b + j]) <= ds[2 * b] * 1.0001f);
                }
                if (act == EI_TYPE_Q8_1)
                    assert_true(ds[2 * b + 1] == ei_fp16_to_fp32(((const block_q8_1 *)blocks)[b].s));
                else
                    assert_true(ds[2 * b + 1] == 0.0f);
            }
            for (size_t k = ei_type_row_bytes(act, n); k < l.qs; k++) assert_int_equal(row[k], 0); /* padding */
            free(deq);
            free(deq_ref);
        }
        assert_true(stride >= rb);
        free(blocks);
        free(ref);
        free(row);
    }
    free(x);
}

/* ---- hostile bytes ------------------------------------------------------------- */

static void test_random_blocks(void **state) {
    (void)state;
    uint64_t seed = 31337;
    const int64_t n = 768;
    for (int l = 0; l < EI_CPU_LEVEL_COUNT; l++) {
        const ei_vec_dot_table *t = ei_vec_dot_table_for((ei_cpu_level)l);
        if (!t) continue;
        for (size_t i = 0; i < N_TYPES; i++) {
            const ei_type wt = types[i], act = ei_vec_dot_act_type(wt);
            size_t rb = ei_type_row_bytes(wt, n), stride;
            unsigned char *w = malloc(rb);
            for (size_t k = 0; k < rb; k++) w[k] = (unsigned char)tu_rand_u64(&seed);
            float *x = make_inputs(n, 4, &seed);
            void *a = quantize_rows(t, act, x, n, 4, &stride);
            float s[4], s1, want;
            t->dot[wt](n, w, a, stride, 4, s);
            t->dot[wt](n, w, (char *)a + stride, stride, 1, &s1);
            ei_vec_dot_table_for(EI_CPU_SCALAR)->dot[wt](n, w, (char *)a + stride, stride, 1, &want);
            /* the same bits whatever the tile and the level (a NaN's sign
             * and payload may differ: which operand's NaN an FMA returns
             * depends on the register form the compiler picked) */
            if (!same_bits(s[1], s1) || !same_bits(s1, want))
                fail_msg("%s %s: random blocks: %.9g in a tile, %.9g alone, scalar %.9g", ei_cpu_level_name(t->level),
                         ei_type_name(wt), s[1], s1, want);
            free(a);
            free(x);
            free(w);
        }
    }
}

/* ---- the backend's matmul ---------------------------------------------------------- */

static void run_matmul(int threads, const ei_tensor *w, const float *x, int rows, float *y) {
    ei_backend *be = NULL;
    assert_int_equal(ei_cpu_backend_new(threads, &be), EI_OK);
    be->ops->matmul(be, w, x, rows, y);
    be->ops->free(be);
}

static void test_matmul(void **state) {
    (void)state;
    /* IQ3_XXS, IQ1_M: through unpacked rows beyond one tile of activation
     * rows; the float types through the tile kernels (several weight rows
     * per call, rows chunked), over a length with steps of 8 and a tail;
     * 260 rows: two groups (float batches go 256 rows at a time) */
    const ei_type mtypes[] = {EI_TYPE_Q4_0, EI_TYPE_Q4_K, EI_TYPE_Q6_K,    EI_TYPE_Q4_1, EI_TYPE_F16,
                              EI_TYPE_BF16, EI_TYPE_F32,  EI_TYPE_IQ3_XXS, EI_TYPE_IQ1_M};
    const int row_counts[] = {1, 3, 4, 5, 64, 67, 260};
    const ei_vec_dot_table *vt = ei_vec_dot_selected();
    uint64_t seed = 4242;
    for (size_t i = 0; i < sizeof mtypes / sizeof *mtypes; i++) {
        const ei_type wt = mtypes[i], act = ei_vec_dot_act_type(wt);
        const bool is_float = wt == EI_TYPE_F16 || wt == EI_TYPE_BF16 || wt == EI_TYPE_F32;
        const int64_t n = is_float ? 1012 : 512, n_out = 37;
        size_t wrb, stride;
        void *wd = make_weights(wt, n, (int)n_out, &seed, &wrb);
        ei_tensor w = {.name = "w", .type = wt, .ne = {n, n_out, 1, 1}, .data = wd};
        for (size_t k = 0; k < sizeof row_counts / sizeof *row_counts; k++) {
            const int rows = row_counts[k];
            float *x = make_inputs(n, rows, &seed);
            float *y1 = malloc(sizeof(float) * (size_t)rows * n_out), *y2 = malloc(sizeof(float) * (size_t)rows * n_out);
            run_matmul(1, &w, x, rows, y1);
            run_matmul(2, &w, x, rows, y2);
            assert_memory_equal(y1, y2, sizeof(float) * (size_t)rows * n_out);
            void *a = quantize_rows(vt, act, x, n, rows, &stride);
            for (int r = 0; r < rows; r++)
                for (int64_t o = 0; o < n_out; o++) {
                    float s;
                    vt->dot[wt](n, (char *)wd + (size_t)o * wrb, (char *)a + (size_t)r * stride, stride, 1, &s);
                    if (memcmp(&s, &y1[(size_t)r * n_out + o], sizeof s) != 0)
                        fail_msg("%s rows=%d: y[%d][%lld] %.9g, kernel %.9g", ei_type_name(wt), rows, r, (long long)o,
                                 y1[(size_t)r * n_out + o], s);
                }
            free(a);
            free(x);
            free(y1);
            free(y2);
        }
        free(wd);
    }
    /* a type without a kernel (F64) takes the reference path */
    {
        const int64_t n = 64, n_out = 5;
        const int rows = 3;
        double wd[64 * 5];
        float x[64 * 3], y[5 * 3];
        for (int k = 0; k < 64 * 5; k++) wd[k] = (double)((k * 7) % 13) - 6.0;
        for (int k = 0; k < 64 * 3; k++) x[k] = (float)((k * 5) % 11) - 5.0f;
        ei_tensor w = {.name = "w", .type = EI_TYPE_F64, .ne = {n, n_out, 1, 1}, .data = wd};
        run_matmul(2, &w, x, rows, y);
        for (int r = 0; r < rows; r++)
            for (int o = 0; o < n_out; o++) {
                double want = 0;
                for (int e = 0; e < n; e++) want += wd[o * n + e] * x[r * n + e];
                assert_true(y[r * n_out + o] == (float)want); /* small integers: exact */
            }
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cpu_levels),
        cmocka_unit_test(test_act_rows_layout),
        cmocka_unit_test(test_scalar_matches_dequantized),
        cmocka_unit_test(test_llama_dot_bound),
        cmocka_unit_test(test_act_quantizers_identical),
        cmocka_unit_test(test_levels_match_scalar),
        cmocka_unit_test(test_random_blocks),
        cmocka_unit_test(test_unpacked_rows),
        cmocka_unit_test(test_matmul),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
