/*
 * vec_f32.c — see vec_f32.h.
 */
#include "backends/cpu/vec_f32.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

#include "backends/cpu/cpu_features.h"
#include "quant/fp16.h"

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

void ei_scores_f32_ref(const float *q, const float *kt, int64_t ld, int64_t n, int hd, float *s) {
    const int hd8 = hd & ~7;
    for (int64_t t = 0; t < n; t++) {
        float p[8] = {0};
        for (int d = 0; d < hd8; d += 8)
            for (int k = 0; k < 8; k++) p[k] += q[d + k] * kt[(size_t)(d + k) * ld + t];
        float sum = ((p[0] + p[1]) + (p[2] + p[3])) + ((p[4] + p[5]) + (p[6] + p[7]));
        for (int d = hd8; d < hd; d++) sum += q[d] * kt[(size_t)d * ld + t];
        s[t] = sum;
    }
}

void ei_wsum_f32_ref(float *out, const float *w, const float *v, int64_t n, int hd) {
    for (int64_t t = 0; t < n; t++)
        for (int i = 0; i < hd; i++) out[i] += w[t] * v[(size_t)t * hd + i];
}

#define EXP_LO -86.6f /* exp(-86.6) ~ 2.4e-38: 2^k stays a normal float */
#define EXP_HI 88.3f  /* exp(88.3) ~ 2.2e38 */
#define LOG2E 1.44269504088896341f
#define LN2_HI 0.693359375f /* few bits: k * LN2_HI is exact */
#define LN2_LO -2.12194440e-4f
static const float exp_poly[6] = {1.9875691500e-4f, 1.3981999507e-3f, 8.3334519073e-3f,
                                  4.1665795894e-2f, 1.6666665459e-1f, 5.0000001201e-1f};

float ei_expf(float x) {
    if (!(x > EXP_LO)) return 0.0f;
    x = x < EXP_HI ? x : EXP_HI; /* as vminps(x, hi) */
    const float k = nearbyintf(x * LOG2E);
    float r = fmaf(k, -LN2_HI, x);
    r = fmaf(k, -LN2_LO, r);
    float p = exp_poly[0];
    for (int i = 1; i < 6; i++) p = fmaf(p, r, exp_poly[i]);
    const float e = fmaf(p, r * r, r) + 1.0f;
    const int32_t bits = ((int32_t)k + 127) << 23;
    float two_k;
    memcpy(&two_k, &bits, sizeof two_k);
    return e * two_k;
}

void ei_exp_sub_f32_ref(float *x, int64_t n, float c) {
    for (int64_t i = 0; i < n; i++) x[i] = ei_expf(x[i] - c);
}

void ei_silu_mul_f32_ref(const float *g, const float *u, int64_t n, float *y) {
    for (int64_t i = 0; i < n; i++) y[i] = g[i] / (1.0f + ei_expf(-g[i])) * u[i];
}

#if defined(__x86_64__)
#include <immintrin.h>

/* ei_expf on eight lanes, operation for operation */
static inline __attribute__((always_inline, target("avx2,fma"))) __m256 exp8(__m256 x) {
    const __m256 keep = _mm256_cmp_ps(x, _mm256_set1_ps(EXP_LO), _CMP_GT_OQ);
    x = _mm256_min_ps(x, _mm256_set1_ps(EXP_HI));
    const __m256 k = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(LOG2E)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fmadd_ps(k, _mm256_set1_ps(-LN2_HI), x);
    r = _mm256_fmadd_ps(k, _mm256_set1_ps(-LN2_LO), r);
    __m256 p = _mm256_set1_ps(exp_poly[0]);
    for (int i = 1; i < 6; i++) p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(exp_poly[i]));
    const __m256 e = _mm256_add_ps(_mm256_fmadd_ps(p, _mm256_mul_ps(r, r), r), _mm256_set1_ps(1.0f));
    const __m256i bits = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(k), _mm256_set1_epi32(127)), 23);
    return _mm256_and_ps(_mm256_mul_ps(e, _mm256_castsi256_ps(bits)), keep);
}

__attribute__((target("avx2,fma"))) static void exp_sub_avx2(float *x, int64_t n, float c) {
    const __m256 cv = _mm256_set1_ps(c);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(x + i, exp8(_mm256_sub_ps(_mm256_loadu_ps(x + i), cv)));
    ei_exp_sub_f32_ref(x + i, n - i, c);
}

__attribute__((target("avx2,fma"))) static void silu_mul_avx2(const float *g, const float *u, int64_t n, float *y) {
    const __m256 one = _mm256_set1_ps(1.0f), sign = _mm256_set1_ps(-0.0f);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256 gv = _mm256_loadu_ps(g + i);
        const __m256 s = _mm256_div_ps(gv, _mm256_add_ps(one, exp8(_mm256_xor_ps(gv, sign))));
        _mm256_storeu_ps(y + i, _mm256_mul_ps(s, _mm256_loadu_ps(u + i)));
    }
    ei_silu_mul_f32_ref(g + i, u + i, n - i, y + i);
}

static int level_cached = -1; /* benign race: every thread computes the same value */
static ei_cpu_level level(void) {
    if (level_cached < 0) level_cached = (int)ei_cpu_level_selected();
    return (ei_cpu_level)level_cached;
}


#define T512 __attribute__((target("avx512f")))

/* the first `left` of 16 lanes (none for left <= 0, all for left >= 16) */
static inline __mmask16 lanes16(int64_t left) {
    return left >= 16 ? (__mmask16)0xFFFF : left > 0 ? (__mmask16)((1u << left) - 1) : 0;
}

/* 16 keys (lanes) at once, in ei_dot_f32's order over d: eight partial
 * sums (d mod 8) added in its tree, then the tail */
T512 static __m512 scores16(const float *q, const float *kt, int64_t ld, int hd, __mmask16 m) {
    const int hd8 = hd & ~7;
    __m512 p[8];
    for (int k = 0; k < 8; k++) p[k] = _mm512_setzero_ps();
    for (int d = 0; d < hd8; d += 8)
        for (int k = 0; k < 8; k++)
            p[k] = _mm512_add_ps(p[k], _mm512_mul_ps(_mm512_set1_ps(q[d + k]),
                                                     _mm512_maskz_loadu_ps(m, kt + (size_t)(d + k) * ld)));
    __m512 sum = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(p[0], p[1]), _mm512_add_ps(p[2], p[3])),
                               _mm512_add_ps(_mm512_add_ps(p[4], p[5]), _mm512_add_ps(p[6], p[7])));
    for (int d = hd8; d < hd; d++)
        sum = _mm512_add_ps(sum, _mm512_mul_ps(_mm512_set1_ps(q[d]), _mm512_maskz_loadu_ps(m, kt + (size_t)d * ld)));
    return sum;
}

T512 static void scores_avx512(const float *q, int nq, int64_t ldq, const float *kt, int64_t ld, int64_t n, int hd,
                               float *s, int64_t lds) {
    for (int64_t t = 0; t < n; t += 16) { /* a block of keys, from L1, for every query */
        const __mmask16 m = lanes16(n - t);
        for (int i = 0; i < nq; i++) _mm512_mask_storeu_ps(s + i * lds + t, m, scores16(q + i * ldq, kt + t, ld, hd, m));
    }
}

T512 static void wsum_avx512(float *out, const float *w, const float *v, int64_t n, int hd) {
    for (int i = 0; i < hd; i += 64) { /* up to four registers of dimensions kept over all keys */
        const int len = hd - i < 64 ? hd - i : 64;
        __mmask16 m[4];
        __m512 a[4];
        for (int r = 0; r < 4; r++) {
            m[r] = lanes16(len - 16 * r);
            a[r] = _mm512_maskz_loadu_ps(m[r], out + i + 16 * r);
        }
        for (int64_t t = 0; t < n; t++) {
            const __m512 wt = _mm512_set1_ps(w[t]);
            const float *vt = v + (size_t)t * hd + i;
            for (int r = 0; r < 4; r++)
                a[r] = _mm512_add_ps(a[r], _mm512_mul_ps(wt, _mm512_maskz_loadu_ps(m[r], vt + 16 * r)));
        }
        for (int r = 0; r < 4; r++) _mm512_mask_storeu_ps(out + i + 16 * r, m[r], a[r]);
    }
}

/* wsum_avx512 for two outputs over the same rows: eight chains of adds
 * where one output's 64 dimensions had four (a prompt's weighted sums,
 * from L1, waited on the adds' latency), each row loaded once for both;
 * every output value computed as wsum_avx512 does it. */
T512 static void wsum2_avx512(float *oa, float *ob, const float *wa, const float *wb, const float *v, int64_t n,
                              int hd) {
    for (int i = 0; i < hd; i += 64) {
        const int len = hd - i < 64 ? hd - i : 64;
        __mmask16 m[4];
        __m512 a[4], b[4];
        for (int r = 0; r < 4; r++) {
            m[r] = lanes16(len - 16 * r);
            a[r] = _mm512_maskz_loadu_ps(m[r], oa + i + 16 * r);
            b[r] = _mm512_maskz_loadu_ps(m[r], ob + i + 16 * r);
        }
        for (int64_t t = 0; t < n; t++) {
            const __m512 wta = _mm512_set1_ps(wa[t]), wtb = _mm512_set1_ps(wb[t]);
            const float *vt = v + (size_t)t * hd + i;
            for (int r = 0; r < 4; r++) {
                const __m512 x = _mm512_maskz_loadu_ps(m[r], vt + 16 * r);
                a[r] = _mm512_add_ps(a[r], _mm512_mul_ps(wta, x));
                b[r] = _mm512_add_ps(b[r], _mm512_mul_ps(wtb, x));
            }
        }
        for (int r = 0; r < 4; r++) {
            _mm512_mask_storeu_ps(oa + i + 16 * r, m[r], a[r]);
            _mm512_mask_storeu_ps(ob + i + 16 * r, m[r], b[r]);
        }
    }
}

/* the same two products with 8 lanes (AVX2, no FMA: the same bits) */
__attribute__((target("avx2"))) static __m256 scores8(const float *q, const float *kt, int64_t ld, int hd, __m256i m) {
    const int hd8 = hd & ~7;
    __m256 p[8];
    for (int k = 0; k < 8; k++) p[k] = _mm256_setzero_ps();
    for (int d = 0; d < hd8; d += 8)
        for (int k = 0; k < 8; k++)
            p[k] = _mm256_add_ps(p[k], _mm256_mul_ps(_mm256_set1_ps(q[d + k]),
                                                     _mm256_maskload_ps(kt + (size_t)(d + k) * ld, m)));
    __m256 sum = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(p[0], p[1]), _mm256_add_ps(p[2], p[3])),
                               _mm256_add_ps(_mm256_add_ps(p[4], p[5]), _mm256_add_ps(p[6], p[7])));
    for (int d = hd8; d < hd; d++)
        sum = _mm256_add_ps(sum, _mm256_mul_ps(_mm256_set1_ps(q[d]), _mm256_maskload_ps(kt + (size_t)d * ld, m)));
    return sum;
}

/* lanes t < left of a mask of 8 */
__attribute__((target("avx2"))) static __m256i mask8(int64_t left) {
    const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(left >= 8 ? 8 : (int)left), idx);
}

__attribute__((target("avx2"))) static void scores_avx2(const float *q, int nq, int64_t ldq, const float *kt,
                                                         int64_t ld, int64_t n, int hd, float *s, int64_t lds) {
    for (int64_t t = 0; t < n; t += 8) { /* a block of keys, from L1, for every query */
        const __m256i m = mask8(n - t);
        for (int i = 0; i < nq; i++) _mm256_maskstore_ps(s + i * lds + t, m, scores8(q + i * ldq, kt + t, ld, hd, m));
    }
}

/* up to eight registers of dimensions kept over all keys: eight independent
 * chains of adds keep both add pipes busy (four left them waiting on latency) */
__attribute__((target("avx2"))) static void wsum_avx2(float *out, const float *w, const float *v, int64_t n, int hd) {
    for (int i = 0; i < hd; i += 64) {
        __m256i m[8];
        __m256 a[8];
        for (int r = 0; r < 8; r++) {
            m[r] = mask8(hd - i - 8 * r > 0 ? hd - i - 8 * r : 0);
            a[r] = _mm256_maskload_ps(out + i + 8 * r, m[r]);
        }
        for (int64_t t = 0; t < n; t++) {
            const __m256 wt = _mm256_set1_ps(w[t]);
            const float *vt = v + (size_t)t * hd + i;
            for (int r = 0; r < 8; r++)
                a[r] = _mm256_add_ps(a[r], _mm256_mul_ps(wt, _mm256_maskload_ps(vt + 8 * r, m[r])));
        }
        for (int r = 0; r < 8; r++) _mm256_maskstore_ps(out + i + 8 * r, m[r], a[r]);
    }
}

static int use_avx512(void) {
    const ei_cpu_level l = level();
    return l == EI_CPU_AVX512 || l == EI_CPU_AVX512_VNNI;
}

/* the eight lanes of a dot product's partial sums added in its fixed tree */
static inline __attribute__((always_inline, target("avx2"))) float hsum8_tree(__m256 acc) {
    float s[8];
    _mm256_storeu_ps(s, acc);
    return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
}

__attribute__((target("avx2"))) static float dot_avx2(const float *a, const float *b, int64_t n) {
    __m256 acc = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) acc = _mm256_add_ps(acc, _mm256_mul_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i)));
    float sum = hsum8_tree(acc);
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

__attribute__((target("avx2,f16c"))) static float dot_f16_avx2(const float *a, const uint16_t *b, int64_t n) {
    __m256 acc = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        acc = _mm256_add_ps(acc, _mm256_mul_ps(_mm256_loadu_ps(a + i),
                                               _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(b + i)))));
    float sum = hsum8_tree(acc);
    for (; i < n; i++) sum += a[i] * ei_fp16_to_fp32(b[i]);
    return sum;
}

__attribute__((target("avx2,f16c"))) static void axpy_f16_avx2(float *y, const uint16_t *x, float w, int64_t n) {
    const __m256 wv = _mm256_set1_ps(w);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(y + i, _mm256_add_ps(_mm256_loadu_ps(y + i),
                                              _mm256_mul_ps(wv, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(x + i))))));
    for (; i < n; i++) y[i] += w * ei_fp16_to_fp32(x[i]);
}

static int use_avx2(void) {
    const ei_cpu_level l = level();
    return l == EI_CPU_AVX2 || l == EI_CPU_AVX512 || l == EI_CPU_AVX512_VNNI;
}

/* Several queries (the heads that share one KV head) against the same f16
 * rows: a chunk of rows is converted to f32 once (exact) and every query
 * reads it from L1; 16 KiB of converted rows per chunk. */
#define F16_CHUNK_FLOATS 4096

/* The cache rows of one KV head are hd f16 values every stride bytes (the
 * other heads' values between): a strided walk the hardware prefetchers
 * left to memory latency. At depth 2048 SmolLM2's generation attention
 * read its 1.5 MiB per layer at about 5 GB/s (EDGEINFER_PROFILE: 290-314
 * us a layer against some 30 us of arithmetic). So each row is fetched
 * ROW_PREFETCH rows ahead, into L2 (prefetcht1): into L1 (prefetcht0) the
 * lines in flight were bounded by L1's miss buffers, and the reads still
 * waited (32 rows ahead, L1: 180-192 us a layer; L2: 32 rows 133-148, 64
 * rows 113-133, 128 rows 118-125, 256 rows 131-135). Past the last row the
 * prefetches touch bytes that may not be mapped, which prefetch never
 * faults on. */
#define ROW_PREFETCH 64
static inline __attribute__((always_inline)) void prefetch_row(const char *row, size_t bytes) {
    for (size_t i = 0; i < bytes; i += 64) __builtin_prefetch(row + i, 0, 2);
}

/* the rows [t0, t0 + nt) as f32, hd values each, packed one after another */
__attribute__((target("avx2,f16c"))) static void rows_f16_to_f32(const char *rows, size_t stride, int64_t t0,
                                                                  int64_t nt, int hd, float *dst) {
    for (int64_t t = 0; t < nt; t++) {
        prefetch_row(rows + (size_t)(t0 + t + ROW_PREFETCH) * stride, 2 * (size_t)hd);
        const uint16_t *r = (const uint16_t *)(rows + (size_t)(t0 + t) * stride);
        for (int i = 0; i < hd; i += 8)
            _mm256_storeu_ps(dst + (size_t)t * hd + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(r + i))));
    }
}

/* hsum8_tree of four accumulators at once: the same additions (pairs,
 * then pairs of pairs within each 128-bit half, then the two halves) */
static inline __attribute__((always_inline, target("avx2"))) __m128 hsum8_tree_x4(__m256 a0, __m256 a1, __m256 a2,
                                                                                 __m256 a3) {
    const __m256 h = _mm256_hadd_ps(_mm256_hadd_ps(a0, a1), _mm256_hadd_ps(a2, a3));
    return _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
}

/* eight values of a row: f16 converted (exactly) or f32 */
static inline __attribute__((always_inline, target("avx2,f16c"))) __m256 load_row8(const char *row, int i, int f16) {
    return f16 ? _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)((const uint16_t *)row + i)))
               : _mm256_loadu_ps((const float *)row + i);
}

/* s[t] = the dot product of q with row t (n rows of hd values, stride bytes
 * apart, f16 or f32), four keys at a time: four independent chains, each
 * key's sum operation for operation dot_avx2's; hd a multiple of 8 */
static inline __attribute__((always_inline, target("avx2,f16c"))) void
scores_rows_avx2(const float *q, const char *rows, size_t stride, int64_t n, int hd, float *s, int f16) {
    int64_t t = 0;
    for (; t + 4 <= n; t += 4) {
        const char *k0 = rows + (size_t)t * stride, *k1 = k0 + stride, *k2 = k1 + stride, *k3 = k2 + stride;
        if (f16)
            for (int r = 0; r < 4; r++) prefetch_row(k0 + (size_t)(ROW_PREFETCH + r) * stride, 2 * (size_t)hd);
        __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        for (int i = 0; i < hd; i += 8) {
            const __m256 qi = _mm256_loadu_ps(q + i);
            a0 = _mm256_add_ps(a0, _mm256_mul_ps(qi, load_row8(k0, i, f16)));
            a1 = _mm256_add_ps(a1, _mm256_mul_ps(qi, load_row8(k1, i, f16)));
            a2 = _mm256_add_ps(a2, _mm256_mul_ps(qi, load_row8(k2, i, f16)));
            a3 = _mm256_add_ps(a3, _mm256_mul_ps(qi, load_row8(k3, i, f16)));
        }
        _mm_storeu_ps(s + t, hsum8_tree_x4(a0, a1, a2, a3));
    }
    for (; t < n; t++) {
        const char *k = rows + (size_t)t * stride;
        s[t] = f16 ? dot_f16_avx2(q, (const uint16_t *)k, hd) : dot_avx2(q, (const float *)k, hd);
    }
}

__attribute__((target("avx2,f16c"))) static void scores_f16_avx2(const float *q, int nq, const char *rows,
                                                                  size_t stride, int64_t n, int hd, float *s,
                                                                  int64_t lds) {
    if (hd % 8 || hd > F16_CHUNK_FLOATS) {
        for (int m = 0; m < nq; m++)
            for (int64_t t = 0; t < n; t++)
                s[m * lds + t] = dot_f16_avx2(q + (size_t)m * hd, (const uint16_t *)(rows + (size_t)t * stride), hd);
        return;
    }
    if (nq == 1) { /* nothing to share: convert as the rows are read */
        scores_rows_avx2(q, rows, stride, n, hd, s, 1);
        return;
    }
    float k[F16_CHUNK_FLOATS];
    const int64_t chunk = F16_CHUNK_FLOATS / hd;
    for (int64_t t0 = 0; t0 < n; t0 += chunk) {
        const int64_t nt = n - t0 < chunk ? n - t0 : chunk;
        rows_f16_to_f32(rows, stride, t0, nt, hd, k);
        for (int m = 0; m < nq; m++)
            scores_rows_avx2(q + (size_t)m * hd, (const char *)k, sizeof(float) * (size_t)hd, nt, hd, s + m * lds + t0, 0);
    }
}

/* out[0 .. 8 NV) += sum over t of w[t] * row t's first 8 NV values (f16),
 * t in order: NV accumulators that stay in registers over all the rows
 * (an array indexed by a run-time count lived on the stack, and every row
 * waited on a store and a reload: 3x slower) */
static inline __attribute__((always_inline, target("avx2,f16c"))) void
wsum_f16_dims(float *out, const float *w, const char *rows, size_t stride, int64_t n, const int NV) {
    __m256 acc[8];
    for (int i = 0; i < NV; i++) acc[i] = _mm256_loadu_ps(out + 8 * i);
    for (int64_t t = 0; t < n; t++) {
        prefetch_row(rows + (size_t)(t + ROW_PREFETCH) * stride, 16 * (size_t)NV);
        const __m256 wt = _mm256_set1_ps(w[t]);
        const uint16_t *r = (const uint16_t *)(rows + (size_t)t * stride);
        for (int i = 0; i < NV; i++)
            acc[i] = _mm256_add_ps(acc[i], _mm256_mul_ps(wt, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(r + 8 * i)))));
    }
    for (int i = 0; i < NV; i++) _mm256_storeu_ps(out + 8 * i, acc[i]);
}

__attribute__((target("avx2,f16c"))) static void wsum_f16_avx2(float *out, int nq, const float *w, int64_t ldw,
                                                                const char *rows, size_t stride, int64_t n, int hd) {
    if (hd % 8 || hd > 256) {
        for (int m = 0; m < nq; m++)
            for (int64_t t = 0; t < n; t++)
                axpy_f16_avx2(out + (size_t)m * hd, (const uint16_t *)(rows + (size_t)t * stride), w[m * ldw + t], hd);
        return;
    }
    if (nq == 1) { /* nothing to share: convert as the rows are read */
        for (int i = 0; i < hd; i += 64) switch ((hd - i) / 8) {
            case 1: wsum_f16_dims(out + i, w, rows + 2 * i, stride, n, 1); break;
            case 2: wsum_f16_dims(out + i, w, rows + 2 * i, stride, n, 2); break;
            case 3: wsum_f16_dims(out + i, w, rows + 2 * i, stride, n, 3); break;
            case 4: wsum_f16_dims(out + i, w, rows + 2 * i, stride, n, 4); break;
            case 5: wsum_f16_dims(out + i, w, rows + 2 * i, stride, n, 5); break;
            case 6: wsum_f16_dims(out + i, w, rows + 2 * i, stride, n, 6); break;
            case 7: wsum_f16_dims(out + i, w, rows + 2 * i, stride, n, 7); break;
            default: wsum_f16_dims(out + i, w, rows + 2 * i, stride, n, 8); break;
            }
        return;
    }
    float v[F16_CHUNK_FLOATS];
    const int64_t chunk = F16_CHUNK_FLOATS / hd;
    for (int64_t t0 = 0; t0 < n; t0 += chunk) {
        const int64_t nt = n - t0 < chunk ? n - t0 : chunk;
        rows_f16_to_f32(rows, stride, t0, nt, hd, v);
        /* the prompt path's weighted sum on the converted rows: the same bits */
        for (int m = 0; m < nq; m++) wsum_avx2(out + (size_t)m * hd, w + m * ldw + t0, v, nt, hd);
    }
}
#endif

void ei_exp_sub_f32(float *x, int64_t n, float c) {
#if defined(__x86_64__)
    if (use_avx2()) {
        exp_sub_avx2(x, n, c);
        return;
    }
#endif
    ei_exp_sub_f32_ref(x, n, c);
}

void ei_silu_mul_f32(const float *g, const float *u, int64_t n, float *y) {
#if defined(__x86_64__)
    if (use_avx2()) {
        silu_mul_avx2(g, u, n, y);
        return;
    }
#endif
    ei_silu_mul_f32_ref(g, u, n, y);
}

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

void ei_scores_f32(const float *q, int nq, int64_t ldq, const float *kt, int64_t ld, int64_t n, int hd, float *s,
                   int64_t lds) {
#if defined(__x86_64__)
    if (use_avx512()) {
        scores_avx512(q, nq, ldq, kt, ld, n, hd, s, lds);
        return;
    }
    if (use_avx2()) {
        scores_avx2(q, nq, ldq, kt, ld, n, hd, s, lds);
        return;
    }
#endif
    for (int i = 0; i < nq; i++) ei_scores_f32_ref(q + i * ldq, kt, ld, n, hd, s + i * lds);
}

void ei_wsum2_f32(float *out_a, float *out_b, const float *w_a, const float *w_b, const float *v, int64_t n, int hd) {
#if defined(__x86_64__)
    if (use_avx512()) {
        wsum2_avx512(out_a, out_b, w_a, w_b, v, n, hd);
        return;
    }
#endif
    ei_wsum_f32(out_a, w_a, v, n, hd);
    ei_wsum_f32(out_b, w_b, v, n, hd);
}

void ei_wsum_f32(float *out, const float *w, const float *v, int64_t n, int hd) {
#if defined(__x86_64__)
    if (use_avx512()) {
        wsum_avx512(out, w, v, n, hd);
        return;
    }
    if (use_avx2()) {
        wsum_avx2(out, w, v, n, hd);
        return;
    }
#endif
    ei_wsum_f32_ref(out, w, v, n, hd);
}

/* vcvtph2ps quiets a signalling NaN where the portable conversion keeps
 * it; either way the product is a NaN, so the results agree. */
float ei_dot_f32_f16(const float *a, const uint16_t *b, int64_t n) {
#if defined(__x86_64__)
    if (use_avx2()) return dot_f16_avx2(a, b, n);
#endif
    float s[8] = {0};
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int k = 0; k < 8; k++) s[k] += a[i + k] * ei_fp16_to_fp32(b[i + k]);
    float sum = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
    for (; i < n; i++) sum += a[i] * ei_fp16_to_fp32(b[i]);
    return sum;
}

void ei_axpy_f32_f16(float *y, const uint16_t *x, float w, int64_t n) {
#if defined(__x86_64__)
    if (use_avx2()) {
        axpy_f16_avx2(y, x, w, n);
        return;
    }
#endif
    for (int64_t i = 0; i < n; i++) y[i] += w * ei_fp16_to_fp32(x[i]);
}

void ei_scores_f16(const float *q, int nq, const void *rows, size_t stride, int64_t n, int hd, float *s,
                   int64_t lds) {
#if defined(__x86_64__)
    if (use_avx2()) {
        scores_f16_avx2(q, nq, rows, stride, n, hd, s, lds);
        return;
    }
#endif
    for (int m = 0; m < nq; m++)
        for (int64_t t = 0; t < n; t++)
            s[m * lds + t] = ei_dot_f32_f16(q + (size_t)m * hd, (const uint16_t *)((const char *)rows + (size_t)t * stride), hd);
}

void ei_wsum_f16(float *out, int nq, const float *w, int64_t ldw, const void *rows, size_t stride, int64_t n, int hd) {
#if defined(__x86_64__)
    if (use_avx2()) {
        wsum_f16_avx2(out, nq, w, ldw, rows, stride, n, hd);
        return;
    }
#endif
    for (int m = 0; m < nq; m++)
        for (int64_t t = 0; t < n; t++)
            ei_axpy_f32_f16(out + (size_t)m * hd, (const uint16_t *)((const char *)rows + (size_t)t * stride),
                            w[m * ldw + t], hd);
}
