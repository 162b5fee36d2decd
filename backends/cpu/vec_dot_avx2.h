/*
 * vec_dot_avx2.h — what the AVX2 kernel files (vec_dot_avx2.c,
 * vec_dot_avx2_iq.c) share: target attributes, loads, reductions, the
 * maddubs/madd products and the tile wrapper. x86-64 only; include it
 * inside #if defined(__x86_64__).
 */
#ifndef EI_CPU_VEC_DOT_AVX2_H
#define EI_CPU_VEC_DOT_AVX2_H

#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#include "backends/cpu/vec_dot.h"
#include "quant/blocks.h"

#define TGT __attribute__((target("avx2,fma,f16c")))
#define AI static inline __attribute__((always_inline, target("avx2,fma,f16c")))
#define MAXR EI_VEC_DOT_MAX_ROWS

/* ---- helpers ---------------------------------------------------------------- */

AI __m256i load(const void *p) { return _mm256_loadu_si256((const __m256i *)p); }
AI __m128i load128(const void *p) { return _mm_loadu_si128((const __m128i *)p); }

AI float hsum_ps(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

AI float hsum_ps128(__m128 s) {
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

AI int hsum_epi32(__m256i v) {
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_unpackhi_epi64(s, s));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 1));
    return _mm_cvtsi128_si32(s);
}

AI float h2f(uint16_t h) { return _cvtsh_ss(h); }

/* 16 bytes of 4-bit codes -> 32 bytes: low nibbles, then high nibbles */
AI __m256i nibbles(const uint8_t *q) {
    const __m128i x = load128(q);
    return _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(x, 4), x), _mm256_set1_epi8(0x0F));
}

/* 32 bits -> 32 bytes, 0xFF where the bit is set */
AI __m256i bits32_of(uint32_t x) {
    const __m256i shuf = _mm256_set_epi64x(0x0303030303030303, 0x0202020202020202, 0x0101010101010101, 0);
    __m256i b = _mm256_shuffle_epi8(_mm256_set1_epi32((int)x), shuf);
    b = _mm256_or_si256(b, _mm256_set1_epi64x(0x7fbfdfeff7fbfdfe));
    return _mm256_cmpeq_epi8(b, _mm256_set1_epi64x(-1));
}

/* 32 bits at qh -> 32 bytes, 0xFF where the bit is set */
AI __m256i bits32(const uint8_t *qh) {
    uint32_t x;
    memcpy(&x, qh, 4);
    return bits32_of(x);
}

/* sum of u8 x s8 products, four adjacent per 32-bit lane */
AI __m256i dot_us(__m256i u, __m256i s) { return _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1)); }

/* the same with the int16 pair sums multiplied by scales (16-bit lanes) */
AI __m256i dot_us_scaled(__m256i u, __m256i s, __m256i scales) {
    return _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), scales);
}

/* the broadcast of 16-bit element k of each 128-bit lane */
AI __m256i bcast16(__m256i v, int k) {
    return _mm256_shuffle_epi8(v, _mm256_set1_epi16((short)(((2 * k + 1) << 8) | (2 * k))));
}

/* One wrapper per kernel: nr becomes a constant in the inlined body. */
#define TILED(name)                                                                               \
    TGT static void name(int64_t n, const void *w, const void *a, size_t as, int nr, float *s) {  \
        switch (nr) {                                                                             \
        case 1: name##_k(n, w, a, as, 1, s); break;                                               \
        case 2: name##_k(n, w, a, as, 2, s); break;                                               \
        case 3: name##_k(n, w, a, as, 3, s); break;                                               \
        case 4: name##_k(n, w, a, as, 4, s); break;                                               \
        default: break;                                                                           \
        }                                                                                         \
    }

#define Q8K_ROWS()                                                                                \
    const block_q8_K *A[MAXR];                                                                    \
    for (int r = 0; r < nr; r++) A[r] = (const block_q8_K *)((const char *)va + (size_t)r * as)

#endif
