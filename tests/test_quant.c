/*
 * test_quant.c — the tensor type table and its reference kernels.
 *
 * - the table's names and sizes agree with gguf-py's GGML_QUANT_SIZES;
 * - dequantization is bit-exact with gguf-py (golden files made by
 *   tests/golden/make_quant_golden.py) for every type gguf-py dequantizes;
 * - quantization is byte-exact with gguf-py for every type it quantizes;
 * - the others (K-quants, Q8_K, Q8_1, IQ4_NL, IQ4_XS) round-trip data
 *   within llama.cpp's test-quantize-fns bounds (its data and measure), and
 *   Gaussian data within relative-RMSE bounds (see docs/quant.md);
 * - Q8_1's s and Q8_K's bsums hold what the dot products expect;
 * - argument errors are reported, and no input (NaN, infinity, random
 *   block bytes) is undefined behaviour (run under the sanitizers).
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
#include "quant/quant.h"
#include "testutil.h"

/* ---- golden files -------------------------------------------------------- */

/* Layout in make_quant_golden.py: header, n floats, then n_bytes of blocks. */
typedef struct golden {
    unsigned char *buf;
    uint32_t type, n, n_bytes;
    const unsigned char *floats; /* n little-endian f32 */
    const unsigned char *blocks;
} golden;

static void load(const char *name, const char *ext, golden *g) {
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/data/quant/%s.%s", EI_SOURCE_DIR, name, ext);
    size_t size;
    g->buf = tu_read_file(path, &size);
    if (!g->buf) fail_msg("golden file %s missing: run tests/golden/make_quant_golden.py", path);
    assert_true(size >= 16);
    assert_memory_equal(g->buf, "EIQG", 4);
    memcpy(&g->type, g->buf + 4, 4);
    memcpy(&g->n, g->buf + 8, 4);
    memcpy(&g->n_bytes, g->buf + 12, 4);
    assert_int_equal(size, 16 + 4 * (size_t)g->n + g->n_bytes);
    assert_string_equal(ei_type_name((int)g->type), name);
    assert_int_equal(ei_type_row_bytes((int)g->type, g->n), g->n_bytes);
    g->floats = g->buf + 16;
    g->blocks = g->buf + 16 + 4 * (size_t)g->n;
}

static const char *const dequant_types[] = {
    "F16",  "BF16", "Q4_0", "Q4_1",    "Q5_0",   "Q5_1",  "Q8_0",    "Q2_K",  "Q3_K",  "Q4_K",  "Q5_K",  "Q6_K",
    "IQ4_NL", "IQ4_XS", "IQ2_XXS", "IQ2_XS", "IQ2_S", "IQ3_XXS", "IQ3_S", "IQ1_S", "IQ1_M", "TQ1_0", "TQ2_0", "MXFP4"};
static const char *const quant_types[] = {"F16", "BF16", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0"};

/* Every row of gguf-py's GGML_QUANT_SIZES with an id in our enum is in the
 * table with the same name and sizes; ids beyond it are not known. */
static void test_table_matches_gguf_py(void **state) {
    (void)state;
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/data/quant/types.txt", EI_SOURCE_DIR);
    char *text = (char *)tu_read_file(path, NULL);
    assert_non_null(text);
    int n_rows = 0, n_known = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        int id;
        char name[32];
        unsigned long bs, bytes;
        assert_int_equal(sscanf(line, "%d %31s %lu %lu", &id, name, &bs, &bytes), 4);
        n_rows++;
        if (id >= EI_TYPE_COUNT) {
            print_message("gguf-py type %s (%d) is newer than ei_type\n", name, id);
            assert_false(ei_type_known(id));
            continue;
        }
        assert_true(ei_type_known(id));
        assert_string_equal(ei_type_name(id), name);
        assert_int_equal(ei_type_block_size(id), bs);
        /* gguf-py's Q8_1 size is stale (f32 d and s); ggml's is 2 f16 + 32 */
        assert_int_equal(ei_type_block_bytes(id), id == EI_TYPE_Q8_1 ? 36 : bytes);
    }
    assert_true(n_rows >= 31);
    for (int t = -2; t < EI_TYPE_COUNT + 2; t++) n_known += ei_type_known(t);
    assert_int_equal(n_known, 32); /* every id of the enum, no other */
    free(text);
}

static void test_dequantize_matches_gguf_py(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof dequant_types / sizeof *dequant_types; i++) {
        golden g;
        load(dequant_types[i], "deq", &g);
        float *out = malloc(g.n * sizeof *out);
        void *blocks = malloc(g.n_bytes);
        memcpy(blocks, g.blocks, g.n_bytes); /* aligned as a tensor would be */
        assert_int_equal(ei_dequantize((int)g.type, blocks, out, g.n), EI_OK);
        for (uint32_t k = 0; k < g.n; k++) {
            float want;
            memcpy(&want, g.floats + 4 * (size_t)k, 4);
            /* NaN payloads may differ: numpy's f16 conversion quiets or not by CPU */
            if (memcmp(&out[k], &want, 4) != 0 && !(isnan(out[k]) && isnan(want)))
                fail_msg("%s: element %u: %.9g, gguf-py %.9g", dequant_types[i], k, out[k], want);
        }
        print_message("%-7s %4u values bit-exact\n", dequant_types[i], g.n);
        free(blocks);
        free(out);
        free(g.buf);
    }
}

static void test_quantize_matches_gguf_py(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof quant_types / sizeof *quant_types; i++) {
        golden g;
        load(quant_types[i], "q", &g);
        float *in = malloc(g.n * sizeof *in);
        memcpy(in, g.floats, g.n * sizeof *in);
        unsigned char *out = malloc(g.n_bytes);
        assert_int_equal(ei_quantize((int)g.type, in, out, g.n), EI_OK);
        for (uint32_t k = 0; k < g.n_bytes; k++)
            if (out[k] != g.blocks[k]) fail_msg("%s: byte %u: %u, gguf-py %u", quant_types[i], k, out[k], g.blocks[k]);
        print_message("%-7s %4u bytes byte-exact\n", quant_types[i], g.n_bytes);
        free(in);
        free(out);
        free(g.buf);
    }
}

/* ---- round-trip error ------------------------------------------------------ */

static void quantize_roundtrip(int type, const float *x, int n, float *y) {
    void *q = malloc(ei_type_row_bytes(type, n));
    assert_non_null(q);
    assert_int_equal(ei_quantize(type, x, q, n), EI_OK);
    assert_int_equal(ei_dequantize(type, q, y, n), EI_OK);
    free(q);
}

/* llama.cpp's tests/test-quantize-fns.cpp: 4096 values 0.1 + 2 cos(i), and
 * its "rmse", sqrt(sum of squared errors) / n. Bounds are its constants:
 * MAX_QUANTIZATION_TOTAL_ERROR 0.002, _2BITS 0.0075 (Q2_K), _3BITS 0.0040
 * (Q3_K). */
#define LL_N (32 * 128)

static double llama_total_error(int type) {
    float *x = malloc(LL_N * sizeof *x), *y = malloc(LL_N * sizeof *y);
    for (int i = 0; i < LL_N; i++) x[i] = (float)(0.1 + 2.0f * cosf((float)i)); /* as theirs: double sum */
    quantize_roundtrip(type, x, LL_N, y);
    double sum = 0;
    for (int i = 0; i < LL_N; i++) sum += ((double)x[i] - y[i]) * ((double)x[i] - y[i]);
    free(x);
    free(y);
    return sqrt(sum) / LL_N;
}

static void test_roundtrip_llama_bounds(void **state) {
    (void)state;
    static const struct {
        int type;
        double max;
    } cases[] = {
        {EI_TYPE_Q2_K, 0.0075}, {EI_TYPE_Q3_K, 0.0040},  {EI_TYPE_Q4_K, 0.002},   {EI_TYPE_Q5_K, 0.002},
        {EI_TYPE_Q6_K, 0.002},  {EI_TYPE_Q8_K, 0.002},   {EI_TYPE_Q8_1, 0.002},   {EI_TYPE_IQ4_NL, 0.002},
        {EI_TYPE_IQ4_XS, 0.002}, {EI_TYPE_Q4_0, 0.002},  {EI_TYPE_Q4_1, 0.002},   {EI_TYPE_Q5_0, 0.002},
        {EI_TYPE_Q5_1, 0.002},  {EI_TYPE_Q8_0, 0.002},   {EI_TYPE_F16, 0.002},    {EI_TYPE_BF16, 0.002},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        double e = llama_total_error(cases[i].type);
        print_message("%-7s test-quantize-fns error %.6f (bound %.4f)\n", ei_type_name(cases[i].type), e,
                      cases[i].max);
        if (!(e < cases[i].max)) fail_msg("%s: error %g exceeds %g", ei_type_name(cases[i].type), e, cases[i].max);
    }
}

/* Standard normal values (Box-Muller over the shared xorshift): weights
 * look like this, unlike the cosine above. */
static void gaussian(uint64_t *seed, float *x, int n) {
    for (int i = 0; i < n; i += 2) {
        const double u = ((tu_rand_u64(seed) >> 11) + 1.0) * 0x1p-53; /* (0, 1]: log(u) finite */
        const double v = (tu_rand_u64(seed) >> 11) * 0x1p-53;
        double r = sqrt(-2 * log(u));
        x[i] = (float)(r * cos(6.283185307179586 * v));
        if (i + 1 < n) x[i + 1] = (float)(r * sin(6.283185307179586 * v));
    }
}

/* Relative RMSE, sqrt(mean (x - y)^2) / sqrt(mean x^2), on 8192 standard
 * normal values (seed 42). Bounds are the measured value plus 10%, measured
 * with our quantizers, which are byte-identical with ggml's reference ones
 * (docs/quant.md): a change that makes quantization noticeably worse than
 * llama.cpp's fails here. EI_QUANT_MEASURE=1 prints without checking. */
#define RT_N 8192

static void test_roundtrip_gaussian_rmse(void **state) {
    (void)state;
    static const struct {
        int type;
        double max;
    } cases[] = {
        {EI_TYPE_Q2_K, 0.322},   {EI_TYPE_Q3_K, 0.168},   {EI_TYPE_Q4_K, 0.0786},  {EI_TYPE_Q5_K, 0.0396},
        {EI_TYPE_Q6_K, 0.0198},  {EI_TYPE_Q8_K, 0.0077},  {EI_TYPE_Q8_1, 0.0059},  {EI_TYPE_IQ4_NL, 0.0841},
        {EI_TYPE_IQ4_XS, 0.0848}, {EI_TYPE_Q4_0, 0.0948}, {EI_TYPE_Q4_1, 0.0858},  {EI_TYPE_Q5_0, 0.0467},
        {EI_TYPE_Q5_1, 0.0412},  {EI_TYPE_Q8_0, 0.0059},  {EI_TYPE_F16, 0.00023},  {EI_TYPE_BF16, 0.0018},
    };
    float *x = malloc(RT_N * sizeof *x), *y = malloc(RT_N * sizeof *y);
    uint64_t seed = 42;
    gaussian(&seed, x, RT_N);
    double sx = 0;
    for (int i = 0; i < RT_N; i++) sx += (double)x[i] * x[i];
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        quantize_roundtrip(cases[c].type, x, RT_N, y);
        double se = 0;
        for (int i = 0; i < RT_N; i++) se += ((double)x[i] - y[i]) * ((double)x[i] - y[i]);
        double e = sqrt(se / sx);
        print_message("%-7s relative RMSE %.5f (bound %.5f)\n", ei_type_name(cases[c].type), e, cases[c].max);
        if (getenv("EI_QUANT_MEASURE")) continue;
        if (!(e < cases[c].max)) fail_msg("%s: relative RMSE %g exceeds %g", ei_type_name(cases[c].type), e, cases[c].max);
    }
    free(x);
    free(y);
}

/* ---- activation formats ------------------------------------------------------ */

/* Q8_1's s is f16(d * sum(qs)) with ggml's unrounded d = amax / 127;
 * Q8_K's bsums are the sums of its 16-value groups and its d is f32, so its
 * dequantization is exactly d * q. */
static void test_activation_block_sums(void **state) {
    (void)state;
    uint64_t seed = 3;
    float x[4 * QK_K];
    gaussian(&seed, x, 4 * QK_K);
    for (int i = 0; i < QK_K; i++) x[i] = fabsf(x[i]); /* one super-block with a large sum */
    block_q8_1 b1[4 * QK_K / 32];
    assert_int_equal(ei_quantize(EI_TYPE_Q8_1, x, b1, 4 * QK_K), EI_OK);
    for (int b = 0; b < 4 * QK_K / 32; b++) {
        float amax = 0;
        int sum = 0;
        for (int j = 0; j < 32; j++) {
            amax = fmaxf(amax, fabsf(x[32 * b + j]));
            sum += b1[b].qs[j];
        }
        const float d = amax / 127;
        assert_int_equal(b1[b].d, ei_fp32_to_fp16(d));
        assert_int_equal(b1[b].s, ei_fp32_to_fp16((float)sum * d));
    }
    block_q8_K bk[4];
    assert_int_equal(ei_quantize(EI_TYPE_Q8_K, x, bk, 4 * QK_K), EI_OK);
    float y[4 * QK_K];
    assert_int_equal(ei_dequantize(EI_TYPE_Q8_K, bk, y, 4 * QK_K), EI_OK);
    for (int b = 0; b < 4; b++) {
        for (int g = 0; g < QK_K / 16; g++) {
            int sum = 0;
            for (int j = 0; j < 16; j++) sum += bk[b].qs[g * 16 + j];
            assert_int_equal(bk[b].bsums[g], sum);
        }
        for (int i = 0; i < QK_K; i++) assert_true(y[b * QK_K + i] == bk[b].d * bk[b].qs[i]);
    }
    /* an all-zero block: zero scale, codes and sums */
    float z[QK_K] = {0};
    assert_int_equal(ei_quantize(EI_TYPE_Q8_K, z, bk, QK_K), EI_OK);
    assert_true(bk[0].d == 0.0f);
    for (int g = 0; g < QK_K / 16; g++) assert_int_equal(bk[0].bsums[g], 0);
}

/* ---- 16-bit floats --------------------------------------------------------- */

static void test_fp16_conversions(void **state) {
    (void)state;
    /* exhaustive: every finite half converts to f32 and back unchanged */
    for (uint32_t h = 0; h < 0x10000; h++) {
        if ((h & 0x7C00) == 0x7C00) continue;
        assert_int_equal(ei_fp32_to_fp16(ei_fp16_to_fp32((uint16_t)h)), h);
    }
    assert_int_equal(ei_fp32_to_fp16(1e6f), 0x7C00); /* overflow to inf */
    assert_int_equal(ei_fp32_to_fp16(65519.0f), 0x7BFF); /* largest finite, rounded down */
    assert_int_equal(ei_fp32_to_fp16(65520.0f), 0x7C00); /* tie: rounds to even = inf */
    assert_int_equal(ei_fp32_to_fp16(-INFINITY), 0xFC00);
    assert_true((ei_fp32_to_fp16(NAN) & 0x7FFF) > 0x7C00); /* still a NaN */
    assert_true(isnan(ei_fp16_to_fp32(0x7C01)));
    assert_int_equal(ei_fp32_to_fp16(1.0f + 1.0f / 2048), 0x3C00); /* tie rounds to even */
    assert_int_equal(ei_fp32_to_fp16(1.0f + 3.0f / 2048), 0x3C02);
    assert_int_equal(ei_fp32_to_fp16(0x1p-24f), 0x0001); /* smallest subnormal */
    assert_int_equal(ei_fp32_to_fp16(0x1p-25f), 0x0000); /* half of it: tie to even (0) */
    assert_int_equal(ei_fp32_to_fp16(0x1.8p-25f), 0x0001);
    assert_int_equal(ei_fp32_to_fp16(0x1.ff8p-15f), 0x03FF); /* largest subnormal */
    assert_int_equal(ei_fp32_to_fp16(0x1.ffcp-15f), 0x0400); /* tie above it: even = smallest normal */
    assert_int_equal(ei_fp32_to_fp16(-0.0f), 0x8000);
    assert_int_equal(ei_fp32_to_bf16(1.0f), 0x3F80);
    assert_int_equal(ei_fp32_to_bf16(0x1.01p0f), 0x3F80);  /* tie to even */
    assert_int_equal(ei_fp32_to_bf16(0x1.03p0f), 0x3F82);
    assert_int_equal(ei_fp32_to_bf16(3.4e38f), 0x7F80);    /* rounds up to inf */
    assert_int_equal(ei_fp32_to_bf16(ei_bits_f32(0x7F800001)), 0x7FC0); /* signalling NaN quieted */
    assert_true(ei_bf16_to_fp32(0x3F80) == 1.0f);
    /* rows equal element-by-element conversion */
    uint64_t seed = 9;
    float x[64], y[64];
    uint16_t h[64];
    for (int i = 0; i < 64; i++) x[i] = ei_bits_f32((uint32_t)tu_rand_u64(&seed));
    ei_fp32_to_fp16_row(x, h, 64);
    for (int i = 0; i < 64; i++) assert_int_equal(h[i], ei_fp32_to_fp16(x[i]));
    ei_fp16_to_fp32_row(h, y, 64);
    for (int i = 0; i < 64; i++) assert_memory_equal(&(float){ei_fp16_to_fp32(h[i])}, &y[i], 4);
    ei_fp32_to_bf16_row(x, h, 64);
    for (int i = 0; i < 64; i++) assert_int_equal(h[i], ei_fp32_to_bf16(x[i]));
    ei_bf16_to_fp32_row(h, y, 64);
    for (int i = 0; i < 64; i++) assert_memory_equal(&(float){ei_bf16_to_fp32(h[i])}, &y[i], 4);
}

/* The row conversions (F16C where the CPU has it) against the portable
 * element-by-element ones: every f16 pattern, and a million f32 patterns
 * (random bits: NaNs, infinities, subnormals, ties) at odd lengths. */
static void test_fp16_rows_all_patterns(void **state) {
    (void)state;
    enum { N = 1 << 16 };
    uint16_t *h = malloc(N * 2), *h2 = malloc(N * 2);
    float *y = malloc(N * 4), *y2 = malloc(N * 4), *x = malloc(N * 4);
    assert_true(h && h2 && y && y2 && x);
    for (uint32_t i = 0; i < N; i++) h[i] = (uint16_t)i;
    ei_fp16_to_fp32_row(h, y, N);
    ei_fp16_to_fp32_row_ref(h, y2, N);
    assert_memory_equal(y, y2, N * 4);
    uint64_t seed = 77;
    for (int round = 0; round < 16; round++) {
        for (int i = 0; i < N; i++) x[i] = ei_bits_f32((uint32_t)tu_rand_u64(&seed));
        for (int i = 0; i < N; i += 97) x[i] = ei_bits_f32((uint32_t)(tu_rand_u64(&seed) & 0x8FFFFFFF) | 0x37000000); /* near f16 range */
        const int n = N - round; /* odd tails */
        ei_fp32_to_fp16_row(x, h, n);
        ei_fp32_to_fp16_row_ref(x, h2, n);
        assert_memory_equal(h, h2, (size_t)n * 2);
    }
    free(h);
    free(h2);
    free(y);
    free(y2);
    free(x);
}

static void test_f32_f64_exact(void **state) {
    (void)state;
    uint64_t seed = 5;
    float x[33], y[33];
    unsigned char q[33 * 8];
    for (int i = 0; i < 33; i++) x[i] = tu_rand_f32(&seed) * 1e3f;
    x[0] = INFINITY;
    x[1] = -0.0f;
    x[2] = 1e-40f;
    assert_int_equal(ei_quantize(EI_TYPE_F64, x, q, 33), EI_OK);
    assert_int_equal(ei_dequantize(EI_TYPE_F64, q, y, 33), EI_OK);
    assert_memory_equal(x, y, sizeof x);
    double d;
    memcpy(&d, q + 8 * 3, 8);
    assert_true(d == (double)x[3]);
    assert_int_equal(ei_quantize(EI_TYPE_F32, x, q, 33), EI_OK);
    assert_int_equal(ei_dequantize(EI_TYPE_F32, q, y, 33), EI_OK);
    assert_memory_equal(x, y, sizeof x);
}

/* ---- arguments and hostile data ---------------------------------------------- */

static void test_table_and_errors(void **state) {
    (void)state;
    assert_string_equal(ei_type_name(EI_TYPE_Q4_K), "Q4_K");
    assert_string_equal(ei_type_name(4), "unknown"); /* a retired id */
    assert_string_equal(ei_type_name(-1), "unknown");
    assert_string_equal(ei_type_name(EI_TYPE_COUNT), "unknown");
    assert_string_equal(ei_type_name(1000), "unknown");
    assert_false(ei_type_known(4));
    assert_false(ei_type_supported(4));
    assert_int_equal(ei_type_block_size(4), 0);
    assert_int_equal(ei_type_block_bytes(-7), 0);
    assert_int_equal(ei_type_row_bytes(4, 32), 0);
    assert_true(ei_type_known(EI_TYPE_IQ2_XXS));
    assert_true(ei_type_supported(EI_TYPE_IQ2_XXS));
    assert_true(ei_type_known(EI_TYPE_I32));
    assert_false(ei_type_supported(EI_TYPE_I32));
    assert_true(ei_type_supported(EI_TYPE_IQ4_XS));
    assert_int_equal(ei_type_block_size(EI_TYPE_Q6_K), 256);
    assert_int_equal(ei_type_block_bytes(EI_TYPE_Q6_K), 210);
    assert_int_equal(ei_type_row_bytes(EI_TYPE_Q4_0, 64), 36);
    assert_int_equal(ei_type_row_bytes(EI_TYPE_Q4_0, 33), 0); /* partial block */
    assert_int_equal(ei_type_row_bytes(EI_TYPE_Q4_K, 255), 0);
    assert_int_equal(ei_type_row_bytes(EI_TYPE_Q4_0, -32), 0);
    assert_int_equal(ei_type_row_bytes(EI_TYPE_Q4_0, 0), 0);
    assert_int_equal(ei_type_row_bytes(EI_TYPE_F32, 3), 12);
    assert_int_equal(ei_type_row_bytes(EI_TYPE_I64, INT64_MAX), 0); /* would overflow size_t */
    assert_int_equal(ei_type_row_bytes(EI_TYPE_F32, INT64_MAX / 2 + 1), 0); /* 2^64 bytes */
    assert_int_equal(ei_type_row_bytes(EI_TYPE_F32, INT64_MAX / 8), (size_t)(INT64_MAX / 8) * 4);

    float x[64] = {0};
    unsigned char q[64 * 4];
    assert_int_equal(ei_quantize(EI_TYPE_Q4_0, x, q, 33), EI_ERR_ARG);
    assert_non_null(strstr(ei_last_error(), "Q4_0"));
    assert_int_equal(ei_dequantize(EI_TYPE_Q4_K, q, x, 32), EI_ERR_ARG);
    assert_non_null(strstr(ei_last_error(), "Q4_K"));
    assert_int_equal(ei_quantize(EI_TYPE_Q4_0, x, q, -32), EI_ERR_ARG);
    assert_int_equal(ei_dequantize(EI_TYPE_F32, q, x, -1), EI_ERR_ARG);
    assert_int_equal(ei_quantize(4, x, q, 32), EI_ERR_ARG);
    assert_non_null(strstr(ei_last_error(), "4"));
    assert_int_equal(ei_dequantize(-1, q, x, 32), EI_ERR_ARG);
    assert_int_equal(ei_dequantize(EI_TYPE_COUNT, q, x, 32), EI_ERR_ARG);
    assert_int_equal(ei_quantize(EI_TYPE_Q4_0, NULL, q, 32), EI_ERR_ARG);
    assert_int_equal(ei_quantize(EI_TYPE_Q4_0, x, NULL, 32), EI_ERR_ARG);
    assert_int_equal(ei_dequantize(EI_TYPE_Q4_0, q, NULL, 32), EI_ERR_ARG);
    assert_int_equal(ei_dequantize(EI_TYPE_Q4_0, NULL, x, 32), EI_ERR_ARG);
    /* zero elements is a valid, empty conversion */
    assert_int_equal(ei_quantize(EI_TYPE_Q4_K, x, q, 0), EI_OK);
    assert_int_equal(ei_dequantize(EI_TYPE_Q4_K, q, x, 0), EI_OK);
}

/* Every known type without reference code is refused by name: the
 * integer types both ways, the read-only types (IQ1-IQ3, TQ, MXFP4) when
 * quantizing. */
static void test_unsupported_types_are_named(void **state) {
    (void)state;
    float x[256] = {0};
    unsigned char q[256 * 8] = {0};
    char want[64];
    int n_unsupported = 0, n_read_only = 0;
    for (int t = 0; t < EI_TYPE_COUNT; t++) {
        if (!ei_type_known(t)) continue;
        const int n = (int)ei_type_block_size(t);
        if (!ei_type_supported(t)) {
            n_unsupported++;
            assert_int_equal(ei_dequantize(t, q, x, n), EI_ERR_UNSUPPORTED);
            snprintf(want, sizeof want, "type %s: no reference dequantizer", ei_type_name(t));
            assert_string_equal(ei_last_error(), want);
        }
        if (ei_quantize(t, x, q, n) == EI_OK) continue;
        n_read_only += ei_type_supported(t);
        snprintf(want, sizeof want, "type %s: no reference quantizer", ei_type_name(t));
        assert_string_equal(ei_last_error(), want);
    }
    assert_int_equal(n_unsupported, 4); /* I8 .. I64 */
    assert_int_equal(n_read_only, 10);  /* 7 IQ1-IQ3, 2 TQ, MXFP4 */
    assert_false(ei_type_supported(EI_TYPE_I32));
    assert_true(ei_type_supported(EI_TYPE_MXFP4));
}

/* NaN, infinities, values near FLT_MAX and f32 subnormals (whose scales
 * underflow so 1/d overflows) must quantize to some block without undefined
 * behaviour, and random bytes must dequantize without it; the sanitized
 * build checks both. Finite, moderate inputs must give finite outputs. */
static void test_hostile_inputs(void **state) {
    (void)state;
    enum { N = 4 * QK_K };
    float *x = malloc(N * sizeof *x), *y = malloc(N * sizeof *y);
    unsigned char *q = malloc(N * 8);
    uint64_t seed = 11;
    for (int t = 0; t < EI_TYPE_COUNT; t++) {
        if (!ei_type_supported(t)) continue;
        const size_t bytes = ei_type_row_bytes(t, N);
        for (int kind = 0; kind < 6; kind++) {
            for (int i = 0; i < N; i++) {
                const float r = tu_rand_f32(&seed);
                switch (kind) {
                case 0: x[i] = (i % 7 == 0) ? NAN : r; break;
                case 1: x[i] = (i % 5 == 0) ? (i % 2 ? INFINITY : -INFINITY) : r; break;
                case 2: x[i] = r * 3.4e38f; break;
                case 3: x[i] = r * 1e-40f; break;
                case 4: x[i] = (i / 32) % 2 ? 0.0f : r * 1e-38f; break;
                default: x[i] = (i / 32) % 3 == 0 ? 0.0f : r; break;
                }
            }
            if (!ei_type_traits_of(t)->quantize) break; /* read-only: random bytes below */
            assert_int_equal(ei_quantize(t, x, q, N), EI_OK);
            assert_int_equal(ei_dequantize(t, q, y, N), EI_OK);
            if (kind == 5)
                for (int i = 0; i < N; i++) assert_true(isfinite(y[i]));
        }
        for (size_t i = 0; i < bytes; i++) q[i] = (unsigned char)tu_rand_u64(&seed);
        assert_int_equal(ei_dequantize(t, q, y, N), EI_OK);
    }
    free(x);
    free(y);
    free(q);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_matches_gguf_py),
        cmocka_unit_test(test_dequantize_matches_gguf_py),
        cmocka_unit_test(test_quantize_matches_gguf_py),
        cmocka_unit_test(test_roundtrip_llama_bounds),
        cmocka_unit_test(test_roundtrip_gaussian_rmse),
        cmocka_unit_test(test_activation_block_sums),
        cmocka_unit_test(test_fp16_conversions),
        cmocka_unit_test(test_fp16_rows_all_patterns),
        cmocka_unit_test(test_f32_f64_exact),
        cmocka_unit_test(test_table_and_errors),
        cmocka_unit_test(test_unsupported_types_are_named),
        cmocka_unit_test(test_hostile_inputs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
