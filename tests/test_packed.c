/*
 * test_packed.c — weights repacked in groups of 16 rows and their kernels
 * (backends/cpu/packed.h).
 *
 * - the reference kernel of each packed type equals the dot product of the
 *   dequantized weight row and the dequantized activation row (in double)
 *   up to float rounding: the packing loses nothing and puts every value
 *   where the kernels read it;
 * - the AVX-512 VNNI and AVX2 kernels (where this CPU has them) give the reference
 *   kernel's bits for every column count 1..PACK_COLS, sizes of one and of
 *   several blocks, with zero, tiny and huge rows;
 * - an output's bits do not depend on the column count it was computed in;
 * - the backend's matmul with packed weights: same bits on 1 and 2 threads
 *   and for any number of activation rows, and close to the unpacked path.
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

#include "../backends/cpu/cpu_features.h"
#include "../backends/cpu/packed.h"
#include "../backends/cpu/vec_dot.h"
#include "edgeinfer.h"
#include "quant/blocks.h"
#include "quant/fp16.h"
#include "quant/quant.h"
#include "runtime/backend.h"
#include "runtime/backends.h"
#include "testutil.h"

static const ei_type types[] = {EI_TYPE_Q4_0, EI_TYPE_Q8_0, EI_TYPE_Q4_1, EI_TYPE_Q5_0, EI_TYPE_Q5_1, EI_TYPE_IQ4_NL,
                                EI_TYPE_MXFP4, EI_TYPE_Q2_K, EI_TYPE_Q3_K, EI_TYPE_Q4_K, EI_TYPE_Q5_K,
                                EI_TYPE_Q6_K, EI_TYPE_IQ4_XS, EI_TYPE_F16, EI_TYPE_BF16};
#define N_TYPES (sizeof types / sizeof *types)

/* K-quants: super-blocks of 256 values */
static bool is_k(ei_type t) { return ei_pack_act_type(t) == EI_TYPE_Q8_K; }
static bool is_float(ei_type t) { return t == EI_TYPE_F16 || t == EI_TYPE_BF16; }

static int same_bits(float a, float b) { return memcmp(&a, &b, sizeof a) == 0; }

#if defined(__x86_64__)
/* packed_float.c's kernel for F16 or BF16 runs on this CPU (AVX-512; BF16
 * also AVX512_BF16) */
static bool float_kernel_runs(ei_type t) {
    const ei_cpu_level level = ei_cpu_level_supported();
    return (level == EI_CPU_AVX512 || level == EI_CPU_AVX512_VNNI) &&
           (t == EI_TYPE_F16 || ei_cpu_features_get()->avx512bf16);
}
#endif

static void gaussian(uint64_t *seed, float *x, int64_t n, float scale) {
    for (int64_t i = 0; i < n; i++) {
        const double u = ((tu_rand_u64(seed) >> 11) + 1.0) * 0x1p-53;
        const double v = (tu_rand_u64(seed) >> 11) * 0x1p-53;
        x[i] = (float)(scale * sqrt(-2 * log(u)) * cos(6.283185307179586 * v));
    }
}

/* MXFP4 (no quantizer here): random codes, exponents 2^-12..2^12 by row,
 * row 5 all zero codes, rows 6 and 7 the subnormal scales (e = 0, 1) */
static void random_mxfp4(char *w, int64_t n, int rows, uint64_t *seed) {
    block_mxfp4 *b = (block_mxfp4 *)w;
    for (int r = 0; r < rows; r++)
        for (int64_t i = 0; i < n / 32; i++, b++) {
            b->e = (uint8_t)(r == 6 ? 0 : r == 7 ? 1 : 116 + (tu_rand_u64(seed) % 24));
            for (int k = 0; k < 16; k++) b->qs[k] = r == 5 ? 0 : (uint8_t)tu_rand_u64(seed);
        }
}

/* rows x n weights, quantized by the reference quantizer; row scales vary
 * over 10^-3..10^3, row 5 is zero */
static void *make_weights(ei_type t, int64_t n, int rows, uint64_t *seed) {
    const size_t rb = ei_type_row_bytes(t, n);
    char *w = malloc(rb * (size_t)rows);
    float *x = malloc(sizeof(float) * (size_t)n);
    assert_non_null(w);
    assert_non_null(x);
    if (!ei_type_traits_of(t)->quantize) {
        assert_int_equal(t, EI_TYPE_MXFP4);
        random_mxfp4(w, n, rows, seed);
        free(x);
        return w;
    }
    for (int r = 0; r < rows; r++) {
        gaussian(seed, x, n, powf(10.0f, (float)(r % 7) - 3.0f));
        if (r == 5) memset(x, 0, sizeof(float) * (size_t)n);
        ei_type_traits_of(t)->quantize(x, w + (size_t)r * rb, n);
    }
    free(x);
    return w;
}

/* nc activation rows for weight type t, as the backend writes them */
static char *make_acts(ei_type t, int64_t n, int nc, uint64_t *seed, size_t *stride, float *x) {
    const ei_type act = ei_pack_act_type(t);
    *stride = ei_pack_act_row_bytes(t, n);
    char *a = aligned_alloc(64, *stride * (size_t)nc);
    assert_non_null(a);
    memset(a, 0, *stride * (size_t)nc);
    for (int c = 0; c < nc; c++) {
        gaussian(seed, x + (size_t)c * n, n, c == 2 ? 1e-3f : 1.0f);
        ei_vec_dot_selected()->quantize[act](x + (size_t)c * n, a + (size_t)c * *stride, n);
        ei_pack_act_finish(t, a + (size_t)c * *stride, n);
    }
    return a;
}

/* the activation values the kernels see: the quantized ones */
static void dequant_act(ei_type t, const char *row, int64_t n, float *out) {
    if (is_float(t)) { /* f32 values, already rounded */
        memcpy(out, row, sizeof(float) * (size_t)n);
        return;
    }
    ei_type_traits_of(ei_pack_act_type(t))->dequantize(row, out, n);
}

static void *pack(ei_type t, const void *w, int64_t n, int rows) {
    const size_t bytes = ei_pack_bytes(t, n, rows);
    assert_true(bytes > 0);
    void *p = aligned_alloc(64, (bytes + 63) & ~(size_t)63);
    assert_non_null(p);
    ei_pack_groups(t, w, n, 0, rows / PACK_ROWS, p);
    return p;
}

static void check_type(ei_type t, int64_t n) {
    const int rows = 32, nc = PACK_COLS;
    uint64_t seed = 0x5eed0000u + (uint64_t)t * 977 + (uint64_t)n;
    void *w = make_weights(t, n, rows, &seed);
    void *p = pack(t, w, n, rows);
    float *x = malloc(sizeof(float) * (size_t)n * nc), *wf = malloc(sizeof(float) * (size_t)n);
    float *af = malloc(sizeof(float) * (size_t)n * nc);
    size_t as;
    char *a = make_acts(t, n, nc, &seed, &as, x);
    for (int c = 0; c < nc; c++) dequant_act(t, a + (size_t)c * as, n, af + (size_t)c * n);
    const size_t group_bytes = ei_pack_bytes(t, n, PACK_ROWS), rb = ei_type_row_bytes(t, n);

    float ref[2][PACK_COLS][PACK_ROWS];
    for (int g = 0; g < rows / PACK_ROWS; g++)
        ei_pack_kernel_scalar(t)(n, (char *)p + g * group_bytes, a, as, nc, &ref[g][0][0], PACK_ROWS);

    /* the reference against double arithmetic on the dequantized values */
    for (int g = 0; g < 2; g++)
        for (int r = 0; r < PACK_ROWS; r++) {
            ei_type_traits_of(t)->dequantize((char *)w + (size_t)(g * PACK_ROWS + r) * rb, wf, n);
            for (int c = 0; c < nc; c++) {
                double s = 0, mag = 0;
                for (int64_t k = 0; k < n; k++) {
                    s += (double)wf[k] * af[(size_t)c * n + k];
                    mag += fabs((double)wf[k] * af[(size_t)c * n + k]);
                }
                /* Q4_1, Q5_1: the m term uses the activation's f16 s (ggml's
                 * Q8_1: f16 of the unrounded d times the sum of the codes),
                 * not the f16 d times that sum: two roundings of 2^-11 apart */
                double allow = 1e-5 * mag + 1e-30;
                if (t == EI_TYPE_Q4_1 || t == EI_TYPE_Q5_1)
                    for (int64_t b = 0; b < n / 32; b++) {
                        const char *wrow = (char *)w + (size_t)(g * PACK_ROWS + r) * rb;
                        const uint16_t m = t == EI_TYPE_Q4_1 ? ((const block_q4_1 *)wrow)[b].m : ((const block_q5_1 *)wrow)[b].m;
                        const block_q8_1 *ab = (const block_q8_1 *)(a + (size_t)c * as) + b;
                        allow += fabs(ei_fp16_to_fp32(m) * ei_fp16_to_fp32(ab->s)) * 0x1p-9;
                    }
                const double err = fabs(ref[g][c][r] - s);
                if (err > allow) {
                    print_error("%s n=%lld row %d col %d: packed %.9g, dequantized %.9g (mag %g)\n", ei_type_name(t),
                                (long long)n, g * PACK_ROWS + r, c, ref[g][c][r], s, mag);
                    fail();
                }
            }
        }

    /* every SIMD kernel this CPU runs against the reference, every column
     * count, bit for bit */
    ei_pack_kernel_fn simd[3];
    const char *simd_name[3];
    int n_simd = 0;
#if defined(__x86_64__)
    const ei_cpu_level level = ei_cpu_level_supported();
    if (level == EI_CPU_AVX512_VNNI && ei_pack_kernel_avx512vnni(t)) { /* else the AVX2 kernel runs there */
        simd_name[n_simd] = "avx512vnni";
        simd[n_simd++] = ei_pack_kernel_avx512vnni(t);
    }
    if (is_float(t) && float_kernel_runs(t)) {
        simd_name[n_simd] = "avx512";
        simd[n_simd++] = ei_pack_kernel_float_avx512(t);
    }
    if ((!is_float(t) || ei_pack_kernel_float_avx2(t)) &&
        (level == EI_CPU_AVX2 || level == EI_CPU_AVX512 || level == EI_CPU_AVX512_VNNI)) {
        simd_name[n_simd] = "avx2";
        simd[n_simd++] = is_float(t) ? ei_pack_kernel_float_avx2(t) : ei_pack_kernel_avx2(t);
    }
#endif
    /* BF16's AVX2 kernel keeps vec_dot's order (packed_float.c), not the
     * reference's (vdpbf16ps): it is held against the scalar dot of the
     * file's rows, the bits of the unpacked path */
    float ref_dot[2][PACK_COLS][PACK_ROWS];
    if (t == EI_TYPE_BF16)
        for (int g = 0; g < 2; g++)
            for (int r = 0; r < PACK_ROWS; r++)
                for (int c = 0; c < nc; c++)
                    ei_vec_dot_table_for(EI_CPU_SCALAR)->dot[t](n, (char *)w + (size_t)(g * PACK_ROWS + r) * rb,
                                                                 a + (size_t)c * as, as, 1, &ref_dot[g][c][r]);
    for (int i = 0; i < n_simd; i++) {
        assert_non_null(simd[i]);
        const bool vec_dot_order = t == EI_TYPE_BF16 && simd[i] == ei_pack_kernel_float_avx2(t);
        for (int k = 1; k <= nc; k++)
            for (int g = 0; g < 2; g++) {
                float out[PACK_COLS][PACK_ROWS];
                simd[i](n, (char *)p + g * group_bytes, a, as, k, &out[0][0], PACK_ROWS);
                for (int c = 0; c < k; c++)
                    for (int r = 0; r < PACK_ROWS; r++)
                        if (!same_bits(out[c][r], vec_dot_order ? ref_dot[g][c][r] : ref[g][c][r])) {
                            print_error("%s %s n=%lld nc=%d row %d col %d: simd %.9g, reference %.9g\n", simd_name[i],
                                        ei_type_name(t), (long long)n, k, g * PACK_ROWS + r, c, out[c][r], ref[g][c][r]);
                            fail();
                        }
            }
    }
    if (!n_simd) print_message("  (no packed SIMD kernel on this CPU: reference only)\n");
    free(w);
    free(p);
    free(x);
    free(wf);
    free(af);
    free(a);
}

static void test_kernels(void **state) {
    (void)state;
    for (size_t i = 0; i < N_TYPES; i++) {
        check_type(types[i], is_k(types[i]) ? 256 : 32);
        check_type(types[i], is_k(types[i]) ? 256 * 3 : 32 * 7);
    }
}

static void test_sizes(void **state) {
    (void)state;
    assert_int_equal(ei_pack_bytes(EI_TYPE_Q4_0, 64, 32), 2 * 2 * 288);
    assert_int_equal(ei_pack_bytes(EI_TYPE_Q4_0, 64, 31), 0);  /* rows not a multiple of 16 */
    assert_int_equal(ei_pack_bytes(EI_TYPE_Q4_K, 128, 16), 0); /* not a whole super-block */
    assert_int_equal(ei_pack_bytes(EI_TYPE_IQ2_XXS, 256, 16), 0); /* not packed */
    for (size_t i = 0; i < N_TYPES; i++) {
        const int64_t n = is_k(types[i]) ? 512 : 64;
        const size_t file = ei_type_row_bytes(types[i], n) * PACK_ROWS;
        const size_t packed = ei_pack_bytes(types[i], n, PACK_ROWS);
        /* as many bytes as the file's, but Q3_K's, Q4_K's, Q5_K's and IQ4_XS's unpacked scales */
        if (types[i] == EI_TYPE_Q4_K) assert_int_equal(packed, file / 144 * 148);
        else if (types[i] == EI_TYPE_Q5_K) assert_int_equal(packed, file / 176 * 180);
        else if (types[i] == EI_TYPE_Q3_K) assert_int_equal(packed, file / 110 * 114); /* signed 8-bit scales */
        else if (types[i] == EI_TYPE_IQ4_XS) assert_int_equal(packed, file / 136 * 138);
        else assert_int_equal(packed, file);
    }
}

/* A packed row read back gives the file's bytes, whatever they are (random
 * bytes: every bit of every field), and the backend's embedding lookup of a
 * packed matrix gives the same floats as of the file's rows. */
static void test_unpack(void **state) {
    (void)state;
    for (size_t i = 0; i < N_TYPES; i++) {
        const ei_type t = types[i];
        const int64_t n = is_k(t) ? 512 : 96;
        const int rows = 32;
        const size_t rb = ei_type_row_bytes(t, n);
        uint64_t seed = 7 + i;
        unsigned char *w = malloc(rb * rows), *back = malloc(rb);
        for (size_t k = 0; k < rb * rows; k++) w[k] = (unsigned char)tu_rand_u64(&seed);
        void *p = pack(t, w, n, rows);
        for (int r = 0; r < rows; r++) {
            memset(back, 0xA5, rb);
            ei_pack_unpack_row(t, p, n, r, back);
            if (memcmp(back, w + (size_t)r * rb, rb)) {
                print_error("%s: row %d unpacked differs from the file's\n", ei_type_name(t), r);
                fail();
            }
        }
        free(p);
        free(w);
        free(back);
        if (!ei_pack_kernel_selected(t)) continue; /* this CPU does not pack: nothing to look up */

        void *q = make_weights(t, n, rows, &seed);
        ei_backend *be;
        assert_int_equal(ei_cpu_backend_new(1, &be), EI_OK);
        ei_tensor plain = {"w", t, {n, rows, 1, 1}, q, be, NULL}, packed = plain;
        assert_int_equal(be->ops->prepare_weight(be, &packed, false), EI_OK);
        assert_non_null(packed.packed);
        const int32_t ids[] = {0, 31, 5, 16, 15, 5};
        const int n_ids = (int)(sizeof ids / sizeof ids[0]);
        float *e1 = malloc(sizeof(float) * (size_t)n * n_ids), *e2 = malloc(sizeof(float) * (size_t)n * n_ids);
        be->ops->get_rows(be, &plain, ids, n_ids, e1);
        be->ops->get_rows(be, &packed, ids, n_ids, e2);
        assert_memory_equal(e1, e2, sizeof(float) * (size_t)n * n_ids);
        be->ops->release_weight(be, &packed);
        be->ops->free(be);
        free(q);
        free(e1);
        free(e2);
    }
}

/* Products sharing one input (Q, K, V; gate, up) give the bits of the
 * products one by one: K-quants mixed (one activation format), 32-blocks
 * mixed (Q4_0, Q5_0, Q8_0 share Q8_0; IQ4_NL and MXFP4 too; Q4_1 and Q5_1 Q8_1; IQ4_XS the
 * K-quants' Q8_K), and a mix that cannot share (Q4_0 with Q4_1: Q8_0 and Q8_1). */
static void test_matmul_shared(void **state) {
    (void)state;
    const ei_type sets[][3] = {{EI_TYPE_Q4_K, EI_TYPE_Q6_K, EI_TYPE_Q5_K},
                               {EI_TYPE_Q4_0, EI_TYPE_Q5_0, EI_TYPE_Q8_0},
                               {EI_TYPE_Q4_0, EI_TYPE_Q4_1, EI_TYPE_Q4_0},
                               {EI_TYPE_Q4_1, EI_TYPE_Q5_1, EI_TYPE_Q4_1},
                               {EI_TYPE_IQ4_NL, EI_TYPE_MXFP4, EI_TYPE_Q8_0},
                               {EI_TYPE_IQ4_XS, EI_TYPE_Q6_K, EI_TYPE_Q4_K},
                               {EI_TYPE_F16, EI_TYPE_F16, EI_TYPE_F16}};
    const int outs[3] = {48, 16, 32};
    for (size_t k = 0; k < sizeof sets / sizeof sets[0]; k++) {
        const int64_t n = is_k(sets[k][0]) ? 512 : 96;
        uint64_t seed = 1234 + k;
        ei_backend *be;
        assert_int_equal(ei_cpu_backend_new(2, &be), EI_OK);
        void *w[3];
        ei_tensor t[3];
        const ei_tensor *ts[3];
        float *ys[3], *y1[3];
        float *x = malloc(sizeof(float) * (size_t)n * 9);
        gaussian(&seed, x, n * 9, 1.0f);
        for (int i = 0; i < 3; i++) {
            w[i] = make_weights(sets[k][i], n, outs[i], &seed);
            t[i] = (ei_tensor){"w", sets[k][i], {n, outs[i], 1, 1}, w[i], be, NULL};
            assert_int_equal(be->ops->prepare_weight(be, &t[i], false), EI_OK);
            ts[i] = &t[i];
            ys[i] = malloc(sizeof(float) * (size_t)outs[i] * 9);
            y1[i] = malloc(sizeof(float) * (size_t)outs[i] * 9);
        }
        for (int rows = 1; rows <= 9; rows += 4) {
            be->ops->matmul_shared(be, ts, 3, x, rows, ys);
            for (int i = 0; i < 3; i++) {
                be->ops->matmul(be, ts[i], x, rows, y1[i]);
                assert_memory_equal(ys[i], y1[i], sizeof(float) * (size_t)outs[i] * rows);
            }
        }
        for (int i = 0; i < 3; i++) {
            be->ops->release_weight(be, &t[i]);
            free(w[i]);
            free(ys[i]);
            free(y1[i]);
        }
        free(x);
        be->ops->free(be);
    }
}

/* The backend with packed weights: thread count and batch size do not
 * change an output's bits; the result is close to the unpacked path. */
static void test_matmul(void **state) {
    (void)state;
    for (size_t i = 0; i < N_TYPES; i++) {
        const ei_type t = types[i];
        const int64_t n = is_k(t) ? 512 : 96;
        const int n_out = 48, max_rows = 21;
        uint64_t seed = 99 + i;
        void *w = make_weights(t, n, n_out, &seed);
        float *x = malloc(sizeof(float) * (size_t)n * max_rows);
        gaussian(&seed, x, n * max_rows, 1.0f);
        float *y1 = malloc(sizeof(float) * n_out * max_rows), *y2 = malloc(sizeof(float) * n_out * max_rows);
        float *yu = malloc(sizeof(float) * n_out * max_rows);
        ei_backend *b1, *b2;
        assert_int_equal(ei_cpu_backend_new(1, &b1), EI_OK);
        assert_int_equal(ei_cpu_backend_new(2, &b2), EI_OK);
        ei_tensor plain = {"w", t, {n, n_out, 1, 1}, w, b1, NULL};
        ei_tensor packed = plain;
        assert_int_equal(b1->ops->prepare_weight(b1, &packed, false), EI_OK);
        b1->ops->matmul(b1, &plain, x, max_rows, yu);
        b1->ops->matmul(b1, &packed, x, max_rows, y1);
        for (int rows = 1; rows <= max_rows; rows += 4) {
            b2->ops->matmul(b2, &packed, x, rows, y2);
            for (int k = 0; k < rows * n_out; k++) assert_true(same_bits(y1[k], y2[k]));
        }
        double num = 0, den = 0;
        for (int k = 0; k < max_rows * n_out; k++) {
            num += (y1[k] - yu[k]) * (double)(y1[k] - yu[k]);
            den += (double)yu[k] * yu[k];
        }
        /* float order only: the same integers and scales as the plain path;
         * F16 keeps vec_dot's order: the same bits */
        if (t == EI_TYPE_F16)
            for (int k = 0; k < max_rows * n_out; k++)
                if (!same_bits(y1[k], yu[k])) {
                    print_error("%s: packed %.9g, unpacked %.9g at %d\n", ei_type_name(t), y1[k], yu[k], k);
                    fail();
                }
        if (!(num <= 1e-10 * den)) {
            print_error("%s: packed against unpacked, nmse %g\n", ei_type_name(t), num / den);
            fail();
        }
        b1->ops->release_weight(b1, &packed);
        b1->ops->free(b1);
        b2->ops->free(b2);
        free(w);
        free(x);
        free(y1);
        free(y2);
        free(yu);
    }
}

/* BF16's packed order is vdpbf16ps's, whose inputs and results below
 * 2^-126 count as zero: weights and activations mixing denormals, tiny
 * normals whose products underflow, and ordinary values, against the
 * reference's emulation of those rules, bit for bit (where the CPU runs it). */
static void test_bf16_denormals(void **state) {
    (void)state;
    const int64_t n = 64;
    uint64_t seed = 4242;
    uint16_t *w = malloc(sizeof(uint16_t) * (size_t)n * PACK_ROWS);
    assert_non_null(w);
    for (int64_t i = 0; i < n * PACK_ROWS; i++) {
        const uint64_t r = tu_rand_u64(&seed);
        const uint16_t sign = (uint16_t)((r & 1) << 15), man = (uint16_t)((r >> 1) & 0x7F);
        /* by row: all denormal; all tiny (products below 2^-126); mixed */
        const unsigned row = (unsigned)(i / n), kind = row % 4 < 2 ? row % 4 : (unsigned)(r >> 8) % 4;
        const unsigned exp = kind == 0 ? 0 : kind == 1 ? 1 + (unsigned)(r >> 16) % 8 : 100 + (unsigned)(r >> 16) % 40;
        w[i] = (uint16_t)(sign | exp << 7 | man);
    }
    float x[2][64];
    for (int c = 0; c < 2; c++)
        for (int64_t i = 0; i < n; i++) {
            const uint64_t r = tu_rand_u64(&seed);
            /* column 0 ordinary values, column 1 mixed */
            const unsigned kind = c == 0 ? 2 : (unsigned)r % 4;
            const uint32_t exp = kind == 0 ? 0 : kind == 1 ? 1 + (uint32_t)(r >> 8) % 8 : 110 + (uint32_t)(r >> 8) % 30;
            const uint32_t bits = (uint32_t)((r >> 20) & 1) << 31 | exp << 23 | (uint32_t)((r >> 24) & 0x7F) << 16;
            memcpy(&x[c][i], &bits, 4);
        }
    void *p = pack(EI_TYPE_BF16, w, n, PACK_ROWS);
    const size_t as = ei_pack_act_row_bytes(EI_TYPE_BF16, n);
    char *a = aligned_alloc(64, as * 2);
    assert_non_null(a);
    for (int c = 0; c < 2; c++) {
        memcpy(a + as * (size_t)c, x[c], sizeof(float) * (size_t)n); /* exact bf16 values */
        ei_pack_act_finish(EI_TYPE_BF16, a + as * (size_t)c, n);
    }
    float ref[2][PACK_ROWS], out[2][PACK_ROWS];
    ei_pack_kernel_scalar(EI_TYPE_BF16)(n, p, a, as, 2, &ref[0][0], PACK_ROWS);
#if defined(__x86_64__)
    if (float_kernel_runs(EI_TYPE_BF16)) {
        for (int nc = 1; nc <= 2; nc++) {
            ei_pack_kernel_float_avx512(EI_TYPE_BF16)(n, p, a, as, nc, &out[0][0], PACK_ROWS);
            for (int c = 0; c < nc; c++)
                for (int r = 0; r < PACK_ROWS; r++)
                    if (!same_bits(out[c][r], ref[c][r])) {
                        print_error("bf16 denormals nc=%d row %d col %d: simd %a, reference %a\n", nc, r, c, out[c][r], ref[c][r]);
                        fail();
                    }
        }
    } else print_message("  (no AVX512_BF16 here: reference only)\n");
#endif
    free(w);
    free(p);
    free(a);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sizes),
        cmocka_unit_test(test_kernels),
        cmocka_unit_test(test_matmul),
        cmocka_unit_test(test_unpack),
        cmocka_unit_test(test_matmul_shared),
        cmocka_unit_test(test_bf16_denormals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
