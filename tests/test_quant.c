/*
 * test_quant.c — the tensor type table and its reference kernels.
 *
 * - dequantization is bit-exact with gguf-py (golden files made by
 *   tests/golden/make_quant_golden.py) for every type gguf-py dequantizes;
 * - quantization is byte-exact with gguf-py for every type it quantizes;
 * - the others (K-quants, Q8_K, Q8_1, IQ4_NL, IQ4_XS) round-trip synthetic
 *   data within llama.cpp's test-quantize-fns bounds, with its data and its
 *   error measure (see docs/quant.md);
 * - argument errors are reported, never crash.
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

#include "edgeinfer.h"
#include "quant/blocks.h"
#include "quant/fp16.h"
#include "testutil.h"

typedef struct golden {
    unsigned char *buf;
    uint32_t type, n, n_bytes;
    const unsigned char *blocks;
    const float *floats;
} golden;

static int load(const char *name, const char *ext, golden *g) {
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/data/quant/%s.%s", EI_SOURCE_DIR, name, ext);
    size_t size;
    g->buf = tu_read_file(path, &size);
    if (!g->buf) return 0;
    assert_memory_equal(g->buf, "EIQG", 4);
    memcpy(&g->type, g->buf + 4, 4);
    memcpy(&g->n, g->buf + 8, 4);
    memcpy(&g->n_bytes, g->buf + 12, 4);
    assert_int_equal(size, 16 + g->n_bytes + 4 * (size_t)g->n);
    g->blocks = g->buf + 16;
    g->floats = (const float *)(g->buf + 16 + g->n_bytes);
    return 1;
}

static const char *const dequant_types[] = {"F16", "BF16", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0",
                                            "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "IQ4_NL", "IQ4_XS"};
static const char *const quant_types[] = {"F16", "BF16", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0"};

static void test_dequantize_matches_gguf_py(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof dequant_types / sizeof *dequant_types; i++) {
        golden g;
        if (!load(dequant_types[i], "deq", &g)) fail_msg("golden file for %s missing", dequant_types[i]);
        assert_string_equal(ei_type_name((int)g.type), dequant_types[i]);
        assert_int_equal(ei_type_row_bytes((int)g.type, g.n), g.n_bytes);
        float *out = malloc(g.n * sizeof *out);
        assert_int_equal(ei_dequantize((int)g.type, g.blocks, out, g.n), EI_OK);
        for (uint32_t k = 0; k < g.n; k++) {
            float want;
            memcpy(&want, &g.floats[k], 4);
            if (memcmp(&out[k], &want, 4) != 0 && !(isnan(out[k]) && isnan(want)))
                fail_msg("%s: element %u: %.9g, gguf-py %.9g", dequant_types[i], k, out[k], want);
        }
        free(out);
        free(g.buf);
    }
}

static void test_quantize_matches_gguf_py(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof quant_types / sizeof *quant_types; i++) {
        golden g;
        if (!load(quant_types[i], "q", &g)) fail_msg("golden file for %s missing", quant_types[i]);
        float *in = malloc(g.n * sizeof *in);
        memcpy(in, g.floats, g.n * sizeof *in);
        unsigned char *out = malloc(g.n_bytes);
        assert_int_equal(ei_quantize((int)g.type, in, out, g.n), EI_OK);
        for (uint32_t k = 0; k < g.n_bytes; k++)
            if (out[k] != g.blocks[k]) fail_msg("%s: byte %u: %u, gguf-py %u", quant_types[i], k, out[k], g.blocks[k]);
        free(in);
        free(out);
        free(g.buf);
    }
}

/* llama.cpp's test-quantize-fns: data 0.1 + 2 cos(i + offset), error
 * sqrt(sum of squared differences) / n over 4096 values. */
#define RT_N (32 * 128)

static double roundtrip_error(int type, float offset) {
    float *x = malloc(RT_N * sizeof *x), *y = malloc(RT_N * sizeof *y);
    void *q = malloc(ei_type_row_bytes(type, RT_N));
    for (int i = 0; i < RT_N; i++) x[i] = 0.1f + 2 * cosf((float)i + offset);
    assert_int_equal(ei_quantize(type, x, q, RT_N), EI_OK);
    assert_int_equal(ei_dequantize(type, q, y, RT_N), EI_OK);
    double sum = 0;
    for (int i = 0; i < RT_N; i++) sum += ((double)x[i] - y[i]) * ((double)x[i] - y[i]);
    free(x);
    free(y);
    free(q);
    return sqrt(sum) / RT_N;
}

static void test_roundtrip_error_bounds(void **state) {
    (void)state;
    static const struct {
        int type;
        double max;
    } cases[] = {
        {EI_TYPE_Q2_K, 0.0075}, /* 2-bit bound */
        {EI_TYPE_Q3_K, 0.0040}, /* 3-bit bound */
        {EI_TYPE_Q4_K, 0.002},  {EI_TYPE_Q5_K, 0.002},   {EI_TYPE_Q6_K, 0.002}, {EI_TYPE_Q8_K, 0.002},
        {EI_TYPE_Q8_1, 0.002},  {EI_TYPE_IQ4_NL, 0.002}, {EI_TYPE_IQ4_XS, 0.002},
        {EI_TYPE_Q4_0, 0.002},  {EI_TYPE_Q4_1, 0.002},   {EI_TYPE_Q5_0, 0.002}, {EI_TYPE_Q5_1, 0.002},
        {EI_TYPE_Q8_0, 0.002},  {EI_TYPE_F16, 0.002},    {EI_TYPE_BF16, 0.002},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        double e = roundtrip_error(cases[i].type, 0.0f);
        print_message("%-7s round-trip error %.6f (bound %.4f)\n", ei_type_name(cases[i].type), e, cases[i].max);
        if (!(e < cases[i].max)) fail_msg("%s: error %g exceeds %g", ei_type_name(cases[i].type), e, cases[i].max);
    }
}

/* Q8_1's s = d * sum(qs); Q8_K's bsums are sums of 16 codes; Q8_K's d is
 * exact f32 so its dequantization is d * q. */
static void test_activation_block_sums(void **state) {
    (void)state;
    uint64_t seed = 3;
    float x[QK_K];
    for (int i = 0; i < QK_K; i++) x[i] = tu_rand_f32(&seed) * 3;
    block_q8_1 b1[QK_K / 32];
    assert_int_equal(ei_quantize(EI_TYPE_Q8_1, x, b1, QK_K), EI_OK);
    for (int b = 0; b < QK_K / 32; b++) {
        int sum = 0;
        for (int j = 0; j < 32; j++) sum += b1[b].qs[j];
        /* s is rounded to f16 from the unrounded scale: equal within f16 precision */
        float want = ei_fp16_to_fp32(b1[b].d) * (float)sum, got = ei_fp16_to_fp32(b1[b].s);
        assert_true(fabsf(got - want) <= 2e-3f * fabsf(want) + 1e-6f);
    }
    block_q8_K bk;
    assert_int_equal(ei_quantize(EI_TYPE_Q8_K, x, &bk, QK_K), EI_OK);
    for (int g = 0; g < QK_K / 16; g++) {
        int sum = 0;
        for (int j = 0; j < 16; j++) sum += bk.qs[g * 16 + j];
        assert_int_equal(bk.bsums[g], sum);
    }
    float y[QK_K];
    assert_int_equal(ei_dequantize(EI_TYPE_Q8_K, &bk, y, QK_K), EI_OK);
    for (int i = 0; i < QK_K; i++) assert_true(y[i] == bk.d * bk.qs[i]);
}

static void test_fp16_conversions(void **state) {
    (void)state;
    /* exhaustive: every finite half converts to f32 and back unchanged */
    for (uint32_t h = 0; h < 0x10000; h++) {
        if ((h & 0x7C00) == 0x7C00) continue;
        assert_int_equal(ei_fp32_to_fp16(ei_fp16_to_fp32((uint16_t)h)), h);
    }
    assert_int_equal(ei_fp32_to_fp16(1e6f), 0x7C00);                /* overflow to inf */
    assert_int_equal(ei_fp32_to_fp16(-INFINITY), 0xFC00);
    assert_true((ei_fp32_to_fp16(NAN) & 0x7FFF) > 0x7C00);         /* still a NaN */
    assert_int_equal(ei_fp32_to_fp16(1.0f + 1.0f / 2048), 0x3C00);  /* tie rounds to even */
    assert_int_equal(ei_fp32_to_fp16(1.0f + 3.0f / 2048), 0x3C02);
    assert_int_equal(ei_fp32_to_fp16(5.96046448e-08f), 0x0001);     /* smallest subnormal */
    assert_int_equal(ei_fp32_to_fp16(2.98023224e-08f), 0x0000);     /* half of it: tie to even (0) */
    assert_int_equal(ei_fp32_to_bf16(1.0f), 0x3F80);
    assert_true(ei_bf16_to_fp32(0x3F80) == 1.0f);
}

static void test_table_and_errors(void **state) {
    (void)state;
    assert_string_equal(ei_type_name(EI_TYPE_Q4_K), "Q4_K");
    assert_string_equal(ei_type_name(4), "unknown"); /* a retired id */
    assert_string_equal(ei_type_name(-1), "unknown");
    assert_string_equal(ei_type_name(1000), "unknown");
    assert_true(ei_type_known(EI_TYPE_IQ2_XXS));
    assert_false(ei_type_supported(EI_TYPE_IQ2_XXS));
    assert_true(ei_type_supported(EI_TYPE_IQ4_XS));
    assert_int_equal(ei_type_block_size(EI_TYPE_Q6_K), 256);
    assert_int_equal(ei_type_block_bytes(EI_TYPE_Q6_K), 210);
    assert_int_equal(ei_type_row_bytes(EI_TYPE_Q4_0, 64), 36);
    assert_int_equal(ei_type_row_bytes(EI_TYPE_Q4_0, 33), 0); /* partial block */
    assert_int_equal(ei_type_row_bytes(EI_TYPE_F32, 3), 12);
    float x[64] = {0};
    unsigned char q[64 * 4];
    assert_int_equal(ei_quantize(EI_TYPE_Q4_0, x, q, 33), EI_ERR_ARG);
    assert_non_null(strstr(ei_last_error(), "Q4_0"));
    assert_int_equal(ei_quantize(4, x, q, 32), EI_ERR_ARG);
    assert_int_equal(ei_quantize(EI_TYPE_Q4_0, NULL, q, 32), EI_ERR_ARG);
    assert_int_equal(ei_dequantize(EI_TYPE_Q4_0, q, NULL, 32), EI_ERR_ARG);
}

static void test_unsupported_types_are_named(void **state) {
    (void)state;
    float x[256] = {0};
    unsigned char q[256] = {0};
    assert_int_equal(ei_dequantize(EI_TYPE_IQ2_XXS, q, x, 256), EI_ERR_UNSUPPORTED);
    assert_non_null(strstr(ei_last_error(), "IQ2_XXS"));
    assert_int_equal(ei_quantize(EI_TYPE_TQ1_0, x, q, 256), EI_ERR_UNSUPPORTED);
    assert_non_null(strstr(ei_last_error(), "TQ1_0"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dequantize_matches_gguf_py),
        cmocka_unit_test(test_quantize_matches_gguf_py),
        cmocka_unit_test(test_roundtrip_error_bounds),
        cmocka_unit_test(test_activation_block_sums),
        cmocka_unit_test(test_fp16_conversions),
        cmocka_unit_test(test_table_and_errors),
        cmocka_unit_test(test_unsupported_types_are_named),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
