/*
 * fp16.c — row conversions between f32 and the 16-bit float formats.
 *
 * Element for element the scalar conversions of fp16.h, so a row converted
 * here equals the same values converted one by one (and gguf-py's output).
 * On x86-64 CPUs with F16C the f16 rows go through its instructions
 * (vcvtph2ps / vcvtps2ph with round to nearest even), which give the same
 * bits (tests/test_quant.c checks every f16 and a range of f32 patterns;
 * a group holding a NaN half takes the portable path, which keeps its
 * payload where F16C would quiet it):
 * the KV cache and attention convert millions of values per token.
 */
#include "quant/fp16.h"

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>

/* F16C and AVX with the OS saving YMM state (cpuid leaf 1, xgetbv): read
 * directly, as clang 14 has no "f16c" for __builtin_cpu_supports. */
static int have_f16c(void) {
    static int cached = -1; /* benign race: every thread computes the same value */
    if (cached < 0) {
        unsigned a, b, c, d;
        int ok = 0;
        if (__get_cpuid(1, &a, &b, &c, &d) && (c & bit_F16C) && (c & bit_AVX) && (c & bit_OSXSAVE)) {
            unsigned lo, hi;
            __asm__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
            ok = (lo & 6) == 6; /* XMM and YMM state */
        }
        cached = ok;
    }
    return cached;
}

__attribute__((target("avx,f16c"))) static void f16_to_f32_f16c(const uint16_t *x, float *y, int64_t n) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m128i h = _mm_loadu_si128((const __m128i *)(x + i));
        /* F16C quiets signalling NaNs; the portable conversion keeps them */
        const __m128i nan = _mm_cmpgt_epi16(_mm_and_si128(h, _mm_set1_epi16(0x7FFF)), _mm_set1_epi16(0x7C00));
        if (_mm_movemask_epi8(nan))
            for (int k = 0; k < 8; k++) y[i + k] = ei_fp16_to_fp32(x[i + k]);
        else
            _mm256_storeu_ps(y + i, _mm256_cvtph_ps(h));
    }
    for (; i < n; i++) y[i] = ei_fp16_to_fp32(x[i]);
}

__attribute__((target("avx,f16c"))) static void f32_to_f16_f16c(const float *x, uint16_t *y, int64_t n) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm_storeu_si128((__m128i *)(y + i), _mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT));
    for (; i < n; i++) y[i] = ei_fp32_to_fp16(x[i]);
}
#endif

void ei_fp16_to_fp32_row(const uint16_t *x, float *y, int64_t n) {
#if defined(__x86_64__)
    if (have_f16c()) {
        f16_to_f32_f16c(x, y, n);
        return;
    }
#endif
    ei_fp16_to_fp32_row_ref(x, y, n);
}

void ei_fp32_to_fp16_row(const float *x, uint16_t *y, int64_t n) {
#if defined(__x86_64__)
    if (have_f16c()) {
        f32_to_f16_f16c(x, y, n);
        return;
    }
#endif
    ei_fp32_to_fp16_row_ref(x, y, n);
}

void ei_fp16_to_fp32_row_ref(const uint16_t *x, float *y, int64_t n) {
    for (int64_t i = 0; i < n; i++) y[i] = ei_fp16_to_fp32(x[i]);
}

void ei_fp32_to_fp16_row_ref(const float *x, uint16_t *y, int64_t n) {
    for (int64_t i = 0; i < n; i++) y[i] = ei_fp32_to_fp16(x[i]);
}

void ei_bf16_to_fp32_row(const uint16_t *x, float *y, int64_t n) {
    for (int64_t i = 0; i < n; i++) y[i] = ei_bf16_to_fp32(x[i]);
}

void ei_fp32_to_bf16_row(const float *x, uint16_t *y, int64_t n) {
    for (int64_t i = 0; i < n; i++) y[i] = ei_fp32_to_bf16(x[i]);
}
