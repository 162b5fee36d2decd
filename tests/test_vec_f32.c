/*
 * test_vec_f32.c — the f32 helpers of the CPU backend (backends/cpu/vec_f32.h):
 * the dispatched versions give the portable versions' bits, at every
 * length 0..100 and with values of mixed magnitude.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "../backends/cpu/vec_f32.h"
#include "quant/fp16.h"
#include "testutil.h"

static float rnd(uint64_t *seed) {
    const uint64_t r = tu_rand_u64(seed);
    const float m = (float)((r >> 40) & 0xFFFF) / 65536.0f - 0.5f;
    return m * (float)(1 << ((r >> 20) & 15)); /* magnitudes 2^-1 .. 2^14 */
}

static void test_same_bits(void **state) {
    (void)state;
    uint64_t seed = 3;
    float a[100], b[100], y1[100], y2[100];
    for (int n = 0; n <= 100; n++) {
        for (int i = 0; i < n; i++) {
            a[i] = rnd(&seed);
            b[i] = rnd(&seed);
            y1[i] = y2[i] = rnd(&seed);
        }
        const float d1 = ei_dot_f32(a, b, n), d2 = ei_dot_f32_ref(a, b, n);
        assert_memory_equal(&d1, &d2, 4);
        const float w = rnd(&seed);
        ei_axpy_f32(y1, a, w, n);
        ei_axpy_f32_ref(y2, a, w, n);
        if (n) assert_memory_equal(y1, y2, (size_t)n * 4);
    }
    /* the f16 forms equal the f32 ones on the converted values */
    uint16_t h[100];
    float hf[100];
    for (int n = 0; n <= 100; n++) {
        for (int i = 0; i < n; i++) {
            h[i] = ei_fp32_to_fp16(rnd(&seed));
            hf[i] = ei_fp16_to_fp32(h[i]);
            a[i] = rnd(&seed);
            y1[i] = y2[i] = rnd(&seed);
        }
        const float d1 = ei_dot_f32_f16(a, h, n), d2 = ei_dot_f32_ref(a, hf, n);
        assert_memory_equal(&d1, &d2, 4);
        const float w = rnd(&seed);
        ei_axpy_f32_f16(y1, h, w, n);
        ei_axpy_f32_ref(y2, hf, w, n);
        if (n) assert_memory_equal(y1, y2, (size_t)n * 4);
    }
    /* the row forms: several queries against several rows of f16, strided,
     * every head size, more rows than one converted chunk holds */
    {
        enum { R = 333, HD = 256, STRIDE = HD + 24, NQ = 3 };
        static uint16_t rows[R * STRIDE];
        static float rf[R * HD], sv[NQ * R], sr[NQ * R], o3[NQ * HD], o4[NQ * HD], qv[NQ * HD];
        for (int i = 0; i < R * STRIDE; i++) rows[i] = ei_fp32_to_fp16(rnd(&seed));
        const int hds[] = {8, 64, 72, 256, 13, 80, 120, 176}; /* the one-query sum: 64 dims, then 8 to 56 */
        for (int k = 0; k < 8; k++)
            for (int nq = 1; nq <= NQ; nq++)
                for (int nr = 1; nr <= R; nr += 83) {
                    const int hd = hds[k];
                    for (int i = 0; i < nq * hd; i++) qv[i] = rnd(&seed);
                    ei_scores_f16(qv, nq, rows, STRIDE * 2, nr, hd, sv, R);
                    for (int t = 0; t < nr; t++)
                        for (int i = 0; i < hd; i++) rf[t * HD + i] = ei_fp16_to_fp32(rows[t * STRIDE + i]);
                    for (int m = 0; m < nq; m++) {
                        for (int t = 0; t < nr; t++) sr[m * R + t] = ei_dot_f32_ref(qv + m * hd, rf + t * HD, hd);
                        assert_memory_equal(sv + m * R, sr + m * R, (size_t)nr * 4);
                    }
                    for (int i = 0; i < nq * hd; i++) o3[i] = o4[i] = rnd(&seed);
                    ei_wsum_f16(o3, nq, sr, R, rows, STRIDE * 2, nr, hd);
                    for (int m = 0; m < nq; m++)
                        for (int t = 0; t < nr; t++) ei_axpy_f32_ref(o4 + m * hd, rf + t * HD, sr[m * R + t], hd);
                    assert_memory_equal(o3, o4, (size_t)(nq * hd) * 4);
                }
    }
    /* and the dot product is a dot product */
    const float x[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    assert_true(ei_dot_f32(x, x, 9) == 285.0f);
}

/* attention's products: every length 1..150 of keys, head sizes of 1, 64,
 * 80 and 256, against the portable versions, bit for bit */
static void test_attention_products(void **state) {
    (void)state;
    uint64_t seed = 5;
    enum { N = 150, LD = 160, HD = 256 };
    static float q[HD], kt[HD * LD], v[N * HD], s1[N], s2[N], o1[HD], o2[HD];
    const int hds[] = {1, 64, 80, 256};
    for (int i = 0; i < HD * LD; i++) kt[i] = rnd(&seed);
    for (int i = 0; i < N * HD; i++) v[i] = rnd(&seed);
    for (int h = 0; h < 4; h++)
        for (int n = 1; n <= N; n += 7) {
            const int hd = hds[h];
            for (int i = 0; i < hd; i++) q[i] = rnd(&seed);
            ei_scores_f32(q, 1, 0, kt, LD, n, hd, s1, 0);
            ei_scores_f32_ref(q, kt, LD, n, hd, s2);
            assert_memory_equal(s1, s2, (size_t)n * 4);
            for (int i = 0; i < hd; i++) o1[i] = o2[i] = rnd(&seed);
            ei_wsum_f32(o1, s1, v, n, hd);
            ei_wsum_f32_ref(o2, s1, v, n, hd);
            assert_memory_equal(o1, o2, (size_t)hd * 4);
            /* two outputs at once (the second with reversed weights): the
             * bits of one reference call each */
            static float p1[HD], p2[HD], r1[HD], r2[HD], sr[N];
            for (int t = 0; t < n; t++) sr[t] = s1[n - 1 - t];
            for (int i = 0; i < hd; i++) p1[i] = r1[i] = rnd(&seed), p2[i] = r2[i] = rnd(&seed);
            ei_wsum2_f32(p1, p2, s1, sr, v, n, hd);
            ei_wsum_f32_ref(r1, s1, v, n, hd);
            ei_wsum_f32_ref(r2, sr, v, n, hd);
            assert_memory_equal(p1, r1, (size_t)hd * 4);
            assert_memory_equal(p2, r2, (size_t)hd * 4);
        }
    /* several queries at once: each gets its own row of scores, the same bits */
    {
        enum { NQ = 5, LDS = N + 3 };
        static float qm[NQ * HD], sm[NQ * LDS], one[N];
        for (int h = 0; h < 4; h++)
            for (int n = 1; n <= N; n += 37) {
                const int hd = hds[h];
                for (int i = 0; i < NQ * HD; i++) qm[i] = rnd(&seed);
                ei_scores_f32(qm, NQ, HD, kt, LD, n, hd, sm, LDS);
                for (int i = 0; i < NQ; i++) {
                    ei_scores_f32_ref(qm + i * HD, kt, LD, n, hd, one);
                    assert_memory_equal(sm + i * LDS, one, (size_t)n * 4);
                }
            }
    }
    /* and they compute what they say */
    const float qq[2] = {1, 2}, kk[2 * 3] = {1, 2, 3, 4, 5, 6}; /* keys (1,4) (2,5) (3,6) */
    float ss[3];
    ei_scores_f32(qq, 1, 0, kk, 3, 3, 2, ss, 0);
    assert_true(ss[0] == 9.0f && ss[1] == 12.0f && ss[2] == 15.0f);
}

/* ulps between two finite floats of one sign */
static int64_t ulps(float a, float b) {
    int32_t ia, ib;
    memcpy(&ia, &a, 4);
    memcpy(&ib, &b, 4);
    return ia > ib ? (int64_t)ia - ib : (int64_t)ib - ia;
}

/* exp and SiLU: the dispatched forms give the portable bits at every
 * length (tails included) and on the edges (clamps, zeros, NaN); exp is
 * within 2 ulp of the true value wherever it is not clamped, and the
 * clamped ends are 0 and exp(88.3). */
static void test_exp_silu(void **state) {
    (void)state;
    uint64_t seed = 11;
    enum { N = 203 };
    float x[N], x1[N], x2[N], u[N], y1[N], y2[N];
    for (int n = 0; n <= N; n += 7) {
        for (int i = 0; i < n; i++) {
            x[i] = ((float)(tu_rand_u64(&seed) >> 40) / 16777216.0f - 0.5f) * 200.0f; /* -100 .. 100 */
            u[i] = rnd(&seed);
        }
        if (n > 8) { /* the edges, inside a vector */
            const float edge[] = {0.0f, -0.0f, -86.6f, -86.59f, 88.3f, 88.31f, 1e30f, -1e30f};
            memcpy(x + 1, edge, sizeof edge);
            x[0] = NAN;
        }
        memcpy(x1, x, sizeof(float) * n);
        memcpy(x2, x, sizeof(float) * n);
        ei_exp_sub_f32(x1, n, 1.5f);
        ei_exp_sub_f32_ref(x2, n, 1.5f);
        if (n) assert_memory_equal(x1, x2, sizeof(float) * n);
        ei_silu_mul_f32(x, u, n, y1);
        ei_silu_mul_f32_ref(x, u, n, y2);
        if (n > 8) assert_true(y1[0] != y1[0]); /* NaN in, NaN out */
        for (int i = n > 8; i < n; i++) assert_memory_equal(&y1[i], &y2[i], 4);
    }
    for (float v = -86.5f; v < 88.3f; v += 0.0137f) {
        const float e = ei_expf(v), want = (float)exp((double)v);
        if (ulps(e, want) > 2) fail_msg("exp(%.9g) = %.9g, want %.9g", v, e, want);
    }
    assert_true(ei_expf(-86.61f) == 0.0f && ei_expf(-INFINITY) == 0.0f && ei_expf(NAN) == 0.0f);
    assert_true(ei_expf(1000.0f) == ei_expf(88.3f) && ei_expf(88.3f) > 2e38f);
    /* silu itself: x * sigmoid(x) within a few ulp where it is not tiny */
    for (float v = -20.0f; v < 20.0f; v += 0.011f) {
        const float one = 1.0f;
        float y;
        ei_silu_mul_f32(&v, &one, 1, &y);
        const float want = (float)((double)v / (1.0 + exp(-(double)v)));
        if (ulps(y, want) > 4) fail_msg("silu(%.9g) = %.9g, want %.9g", v, y, want);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_same_bits), cmocka_unit_test(test_attention_products),
                                       cmocka_unit_test(test_exp_silu)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
