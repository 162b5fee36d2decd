/*
 * vec_f32.c — see vec_f32.h.
 */
#include "backends/cpu/vec_f32.h"

#include "backends/cpu/cpu_features.h"

float ei_dot_f32_ref(const float *a, const float *b, int64_t n) {
    float s[8] = {0};
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int k = 0; k < 8; k++) s[k] += a[i + k] * b[i + k];
    float sum = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
    for (; i < n; i++) sum += a[i] * b[i];
    return sum;
}

void ei_axpy_f32_ref(float *y, const float *x, float w, int64_t n) {
    for (int64_t i = 0; i < n; i++) y[i] += w * x[i];
}

#if defined(__x86_64__)
#include <immintrin.h>

__attribute__((target("avx2"))) static float dot_avx2(const float *a, const float *b, int64_t n) {
    __m256 acc = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) acc = _mm256_add_ps(acc, _mm256_mul_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i)));
    float s[8];
    _mm256_storeu_ps(s, acc);
    float sum = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
    for (; i < n; i++) sum += a[i] * b[i];
    return sum;
}

__attribute__((target("avx2"))) static void axpy_avx2(float *y, const float *x, float w, int64_t n) {
    const __m256 wv = _mm256_set1_ps(w);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(y + i, _mm256_add_ps(_mm256_loadu_ps(y + i), _mm256_mul_ps(wv, _mm256_loadu_ps(x + i))));
    for (; i < n; i++) y[i] += w * x[i];
}

static int use_avx2(void) {
    const ei_cpu_level l = ei_cpu_level_selected();
    return l == EI_CPU_AVX2 || l == EI_CPU_AVX512 || l == EI_CPU_AVX512_VNNI;
}
#endif

float ei_dot_f32(const float *a, const float *b, int64_t n) {
#if defined(__x86_64__)
    if (use_avx2()) return dot_avx2(a, b, n);
#endif
    return ei_dot_f32_ref(a, b, n);
}

void ei_axpy_f32(float *y, const float *x, float w, int64_t n) {
#if defined(__x86_64__)
    if (use_avx2()) {
        axpy_avx2(y, x, w, n);
        return;
    }
#endif
    ei_axpy_f32_ref(y, x, w, n);
}
