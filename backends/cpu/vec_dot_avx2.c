/*
 * vec_dot_avx2.c — AVX2 + FMA + F16C kernels (see vec_dot.h).
 *
 * Compiled for any x86-64: every function carries its own target
 * attribute, and the table only points here when the CPU has AVX2, FMA and
 * F16C. One block of 32 values fills a 256-bit register; products of
 * unsigned weight codes and signed activation codes are formed by
 * maddubs (u8 x s8 -> s16 pairs) and madd (-> s32), which never saturate
 * here: weights are at most 63 unsigned (|w| <= 128 with the sign trick),
 * activations at most 128 in magnitude. Signed values (Q4_0's q - 8, ...)
 * go through the sign trick (|v| times a with v's sign), so every 32-bit
 * lane holds exactly the sum of its four products, as in ggml's kernels.
 *
 * Each kernel is written once for a tile of nr activation rows (nr a
 * compile-time constant in the always-inlined body): the weight block is
 * unpacked once per tile, and each row runs the same operations in the
 * same order whatever nr is. Float terms are added in the canonical order
 * of vec_dot_scalar.c: every kernel here gives the scalar kernel's bits.
 */
#include "backends/cpu/vec_dot.h"

#if defined(__x86_64__)

#include <math.h>

#include "backends/cpu/vec_dot_avx2.h"
#include "quant/blocks.h"
#include "quant/fp16.h"
#include "quant/quant.h"


/* low lane: 16-bit element 2g everywhere, high lane: element 2g + 1 (the
 * two scales of a group of 32 values, 16 values each) */
AI __m256i pair16(__m256i v, int g) {
    const __m128i lo = _mm_set1_epi16((short)(((4 * g + 1) << 8) | (4 * g)));
    const __m128i hi = _mm_set1_epi16((short)(((4 * g + 3) << 8) | (4 * g + 2)));
    return _mm256_shuffle_epi8(v, _mm256_set_m128i(hi, lo));
}

/* A Q8_0 / Q8_1 activation row as the kernels read it. */
typedef struct q8row {
    const int8_t *qs;
    const float *ds;
} q8row;

AI void q8rows(const void *a, size_t as, int nr, size_t block_bytes, int64_t n, q8row *out) {
    const ei_q8_layout l = ei_q8_layout_of(block_bytes, n);
    for (int r = 0; r < nr; r++) {
        const char *base = (const char *)a + (size_t)r * as;
        out[r].qs = (const int8_t *)(base + l.qs);
        out[r].ds = (const float *)(base + l.ds);
    }
}

/* ---- blocks of 32 against Q8_0 / Q8_1 -----------------------------------------
 * ggml's order: one accumulator per row, block after block (IQ4_NL: two,
 * even and odd blocks). Signed values go through the sign trick, so every
 * 32-bit lane holds exactly the sum of its four products. */

enum { W_Q4_0, W_Q5_0, W_Q8_0, W_IQ4_NL, W_Q4_1, W_Q5_1, W_MXFP4 };

AI size_t block32_bytes(int kind) {
    switch (kind) {
    case W_Q4_0: return sizeof(block_q4_0);
    case W_Q5_0: return sizeof(block_q5_0);
    case W_Q8_0: return sizeof(block_q8_0);
    case W_IQ4_NL: return sizeof(block_iq4_nl);
    case W_Q4_1: return sizeof(block_q4_1);
    case W_MXFP4: return sizeof(block_mxfp4);
    default: return sizeof(block_q5_1);
    }
}

/* The 32 values of a weight block (signed, *sign set) or its unsigned codes
 * (Q4_1, Q5_1), with its scale d (the f16 d; MXFP4: 2^(e - 128)) and m. */
AI __m256i block32_values(int kind, const char *wb, bool *sign, float *d, float *m) {
    uint16_t hd, hm;
    memcpy(&hd, wb, 2);
    *d = kind == W_MXFP4 ? ei_e8m0_half((uint8_t)wb[0]) : h2f(hd);
    *m = 0;
    *sign = true;
    switch (kind) {
    case W_Q4_0: return _mm256_sub_epi8(nibbles(((const block_q4_0 *)wb)->qs), _mm256_set1_epi8(8));
    case W_Q5_0: {
        const block_q5_0 *x = (const block_q5_0 *)wb;
        const __m256i q = _mm256_or_si256(nibbles(x->qs), _mm256_and_si256(bits32(x->qh), _mm256_set1_epi8(0x10)));
        return _mm256_sub_epi8(q, _mm256_set1_epi8(16));
    }
    case W_Q8_0: return load(((const block_q8_0 *)wb)->qs);
    case W_IQ4_NL:
        return _mm256_shuffle_epi8(_mm256_broadcastsi128_si256(load128(ei_kvalues_iq4nl)),
                                   nibbles(((const block_iq4_nl *)wb)->qs));
    case W_MXFP4:
        return _mm256_shuffle_epi8(_mm256_broadcastsi128_si256(load128(ei_kvalues_mxfp4)),
                                   nibbles(((const block_mxfp4 *)wb)->qs));
    case W_Q4_1:
        *sign = false;
        memcpy(&hm, wb + 2, 2);
        *m = h2f(hm);
        return nibbles(((const block_q4_1 *)wb)->qs);
    default: {
        const block_q5_1 *x = (const block_q5_1 *)wb;
        *sign = false;
        memcpy(&hm, wb + 2, 2);
        *m = h2f(hm);
        return _mm256_or_si256(nibbles(x->qs), _mm256_and_si256(bits32(x->qh), _mm256_set1_epi8(0x10)));
    }
    }
}

/* lanes of sum(v a): |v| times a with v's sign for signed values */
AI __m256i block32_lanes(__m256i v, bool sign, const int8_t *a) {
    return sign ? dot_us(_mm256_sign_epi8(v, v), _mm256_sign_epi8(load(a), v)) : dot_us(v, load(a));
}

AI void block32_k(int kind, int64_t n, const void *vw, const void *va, size_t as, const int nr, float *s) {
    const bool q8_1 = kind == W_Q4_1 || kind == W_Q5_1;
    const int64_t nb = n / 32;
    q8row A[MAXR];
    q8rows(va, as, nr, q8_1 ? sizeof(block_q8_1) : sizeof(block_q8_0), n, A);
    __m256 acc[2][MAXR];
    float summs[MAXR];
    for (int r = 0; r < nr; r++) {
        acc[0][r] = acc[1][r] = _mm256_setzero_ps();
        summs[r] = 0;
    }
    /* IQ4_NL: whole pairs into acc[0] / acc[1], then an odd last block */
    const int64_t nfull = kind == W_IQ4_NL ? nb & ~(int64_t)1 : nb;
    for (int64_t b = 0; b < nfull; b++) {
        bool sign;
        float dw, mw;
        const __m256i v = block32_values(kind, (const char *)vw + (size_t)b * block32_bytes(kind), &sign, &dw, &mw);
        const int k = kind == W_IQ4_NL ? (int)(b & 1) : 0;
        for (int r = 0; r < nr; r++) {
            if (q8_1) summs[r] = fmaf(mw, A[r].ds[2 * b + 1], summs[r]);
            const __m256 f = _mm256_cvtepi32_ps(block32_lanes(v, sign, A[r].qs + 32 * b));
            acc[k][r] = _mm256_fmadd_ps(_mm256_set1_ps(dw * A[r].ds[2 * b]), f, acc[k][r]);
        }
    }
    for (int r = 0; r < nr; r++) {
        float t = kind == W_IQ4_NL ? hsum_ps(_mm256_add_ps(acc[0][r], acc[1][r])) : hsum_ps(acc[0][r]);
        if (q8_1) t += summs[r];
        s[r] = t;
    }
    if (nfull < nb) { /* IQ4_NL's odd last block: its integer, by fma onto the total */
        bool sign;
        float dw, mw;
        const int64_t b = nb - 1;
        const __m256i v = block32_values(kind, (const char *)vw + (size_t)b * block32_bytes(kind), &sign, &dw, &mw);
        for (int r = 0; r < nr; r++)
            s[r] = fmaf(A[r].ds[2 * b] * dw, (float)hsum_epi32(block32_lanes(v, sign, A[r].qs + 32 * b)), s[r]);
    }
}

/* nw weight rows against one activation row: the rows' chains interleave.
 * The rows of a matrix lie one after another, so the weights a later call
 * reads start nw rows on: prefetching there keeps loads ahead of the
 * arithmetic (rows of a few hundred bytes are too short for the hardware
 * prefetchers to get going). */
#define PREFETCH_TILES 2
AI void block32_rows_k(int kind, int64_t n, const void *vw, size_t ws, const int nw, const void *va, float *s) {
    const bool q8_1 = kind == W_Q4_1 || kind == W_Q5_1;
    const int64_t nb = n / 32;
    q8row A;
    q8rows(va, 0, 1, q8_1 ? sizeof(block_q8_1) : sizeof(block_q8_0), n, &A);
    __m256 acc[2][MAXR];
    float summs[MAXR];
    for (int k = 0; k < nw; k++) {
        acc[0][k] = acc[1][k] = _mm256_setzero_ps();
        summs[k] = 0;
    }
    const int64_t nfull = kind == W_IQ4_NL ? nb & ~(int64_t)1 : nb;
    for (int64_t b = 0; b < nfull; b++) {
        const int c = kind == W_IQ4_NL ? (int)(b & 1) : 0;
        const float da = A.ds[2 * b];
        for (int k = 0; k < nw; k++) {
            bool sign;
            float dw, mw;
            const char *wb = (const char *)vw + (size_t)k * ws + (size_t)b * block32_bytes(kind);
            _mm_prefetch(wb + PREFETCH_TILES * nw * ws, _MM_HINT_T0);
            const __m256i v = block32_values(kind, wb, &sign, &dw, &mw);
            if (q8_1) summs[k] = fmaf(mw, A.ds[2 * b + 1], summs[k]);
            const __m256 f = _mm256_cvtepi32_ps(block32_lanes(v, sign, A.qs + 32 * b));
            acc[c][k] = _mm256_fmadd_ps(_mm256_set1_ps(dw * da), f, acc[c][k]);
        }
    }
    for (int k = 0; k < nw; k++) {
        float t = kind == W_IQ4_NL ? hsum_ps(_mm256_add_ps(acc[0][k], acc[1][k])) : hsum_ps(acc[0][k]);
        if (q8_1) t += summs[k];
        s[k] = t;
    }
    if (nfull < nb) {
        const int64_t b = nb - 1;
        for (int k = 0; k < nw; k++) {
            bool sign;
            float dw, mw;
            const __m256i v =
                block32_values(kind, (const char *)vw + (size_t)k * ws + (size_t)b * block32_bytes(kind), &sign, &dw, &mw);
            s[k] = fmaf(A.ds[2 * b] * dw, (float)hsum_epi32(block32_lanes(v, sign, A.qs + 32 * b)), s[k]);
        }
    }
}

#define ROWS(name, kind)                                                                                 \
    TGT static void name(int64_t n, const void *w, size_t ws, int nw, const void *a, float *s) {         \
        switch (nw) {                                                                                    \
        case 1: block32_rows_k(kind, n, w, ws, 1, a, s); break;                                          \
        case 2: block32_rows_k(kind, n, w, ws, 2, a, s); break;                                          \
        case 3: block32_rows_k(kind, n, w, ws, 3, a, s); break;                                          \
        case 4: block32_rows_k(kind, n, w, ws, 4, a, s); break;                                          \
        default: break;                                                                                  \
        }                                                                                                \
    }
ROWS(rows_q4_0, W_Q4_0)
ROWS(rows_q5_0, W_Q5_0)
ROWS(rows_q8_0, W_Q8_0)
ROWS(rows_iq4_nl, W_IQ4_NL)
ROWS(rows_q4_1, W_Q4_1)
ROWS(rows_q5_1, W_Q5_1)
ROWS(rows_mxfp4, W_MXFP4)

AI void dot_q4_0_k(int64_t n, const void *w, const void *a, size_t as, int nr, float *s) { block32_k(W_Q4_0, n, w, a, as, nr, s); }
AI void dot_q5_0_k(int64_t n, const void *w, const void *a, size_t as, int nr, float *s) { block32_k(W_Q5_0, n, w, a, as, nr, s); }
AI void dot_q8_0_k(int64_t n, const void *w, const void *a, size_t as, int nr, float *s) { block32_k(W_Q8_0, n, w, a, as, nr, s); }
AI void dot_iq4_nl_k(int64_t n, const void *w, const void *a, size_t as, int nr, float *s) { block32_k(W_IQ4_NL, n, w, a, as, nr, s); }
AI void dot_q4_1_k(int64_t n, const void *w, const void *a, size_t as, int nr, float *s) { block32_k(W_Q4_1, n, w, a, as, nr, s); }
AI void dot_q5_1_k(int64_t n, const void *w, const void *a, size_t as, int nr, float *s) { block32_k(W_Q5_1, n, w, a, as, nr, s); }
TILED(dot_q4_0)
TILED(dot_q5_0)
TILED(dot_q8_0)
TILED(dot_iq4_nl)
TILED(dot_q4_1)
AI void dot_mxfp4_k(int64_t n, const void *w, const void *a, size_t as, int nr, float *s) { block32_k(W_MXFP4, n, w, a, as, nr, s); }
TILED(dot_q5_1)
TILED(dot_mxfp4)

/* ---- K-quants and IQ4_XS against Q8_K --------------------------------------------
 * Per super-block: one vector of exact 32-bit partial sums per row, scaled
 * by d once; minimum (or offset) terms from the bsums. */

/* Q4_K / Q5_K scales: 8 6-bit scales (bytes 0-7) and mins (8-15) */
AI __m256i k4_scales_mins(const uint8_t *scales) {
    const uint32_t kmask1 = 0x3f3f3f3f, kmask2 = 0x0f0f0f0f, kmask3 = 0x03030303;
    uint32_t u[4];
    memcpy(u, scales, 12);
    u[3] = ((u[2] >> 4) & kmask2) | (((u[1] >> 6) & kmask3) << 4);
    const uint32_t uaux = u[1] & kmask1;
    u[1] = (u[2] & kmask2) | (((u[0] >> 6) & kmask3) << 4);
    u[2] = uaux;
    u[0] &= kmask1;
    return _mm256_cvtepu8_epi16(_mm_set_epi32((int)u[3], (int)u[2], (int)u[1], (int)u[0]));
}

/* sum over the 8 groups of 32 of min * (bsums of the group) */
AI __m128i k4_min_products(__m128i mins, const int16_t *bsums) {
    const __m256i bs = load(bsums);
    return _mm_madd_epi16(mins, _mm_hadd_epi16(_mm256_castsi256_si128(bs), _mm256_extracti128_si256(bs, 1)));
}

AI void dot_q4_K_k(int64_t n, const void *vw, const void *va, size_t as, const int nr, float *s) {
    const block_q4_K *w = vw;
    Q8K_ROWS();
    __m256 acc[MAXR];
    __m128 accm[MAXR];
    for (int r = 0; r < nr; r++) acc[r] = _mm256_setzero_ps(), accm[r] = _mm_setzero_ps();
    const __m256i m4 = _mm256_set1_epi8(0x0F);
    for (int64_t b = 0; b < n / QK_K; b++) {
        const __m256i sm = k4_scales_mins(w[b].scales);
        const __m256i sc = _mm256_broadcastsi128_si256(_mm256_castsi256_si128(sm));
        const __m128i mins = _mm256_extracti128_si256(sm, 1);
        const float dw = h2f(w[b].d), dmw = h2f(w[b].dmin);
        __m256i isum[MAXR];
        for (int r = 0; r < nr; r++) {
            isum[r] = _mm256_setzero_si256();
            accm[r] = _mm_fmadd_ps(_mm_set1_ps(dmw * A[r][b].d), _mm_cvtepi32_ps(k4_min_products(mins, A[r][b].bsums)),
                                   accm[r]);
        }
        for (int j = 0; j < QK_K / 64; j++) {
            const __m256i x = load(w[b].qs + 32 * j);
            const __m256i lo = _mm256_and_si256(x, m4), hi = _mm256_and_si256(_mm256_srli_epi16(x, 4), m4);
            const __m256i sl = bcast16(sc, 2 * j), sh = bcast16(sc, 2 * j + 1);
            for (int r = 0; r < nr; r++) {
                const int8_t *q8 = A[r][b].qs + 64 * j;
                const __m256i pl = dot_us_scaled(lo, load(q8), sl), ph = dot_us_scaled(hi, load(q8 + 32), sh);
                isum[r] = _mm256_add_epi32(isum[r], _mm256_add_epi32(pl, ph));
            }
        }
        for (int r = 0; r < nr; r++)
            acc[r] = _mm256_fmadd_ps(_mm256_set1_ps(dw * A[r][b].d), _mm256_cvtepi32_ps(isum[r]), acc[r]);
    }
    for (int r = 0; r < nr; r++) s[r] = hsum_ps(acc[r]) - hsum_ps128(accm[r]);
}

AI void dot_q5_K_k(int64_t n, const void *vw, const void *va, size_t as, const int nr, float *s) {
    const block_q5_K *w = vw;
    Q8K_ROWS();
    __m256 acc[MAXR];
    float summs[MAXR]; /* minimum terms: one integer per super-block, by fma (ggml's Q5_K) */
    for (int r = 0; r < nr; r++) acc[r] = _mm256_setzero_ps(), summs[r] = 0;
    const __m256i m4 = _mm256_set1_epi8(0x0F), one = _mm256_set1_epi8(1);
    for (int64_t b = 0; b < n / QK_K; b++) {
        const __m256i sm = k4_scales_mins(w[b].scales);
        const __m256i sc = _mm256_broadcastsi128_si256(_mm256_castsi256_si128(sm));
        const __m128i mins = _mm256_extracti128_si256(sm, 1);
        const float dw = h2f(w[b].d), dmw = h2f(w[b].dmin);
        const __m256i hb = load(w[b].qh);
        __m256i isum[MAXR];
        for (int r = 0; r < nr; r++) {
            isum[r] = _mm256_setzero_si256();
            const __m128i mp = k4_min_products(mins, A[r][b].bsums);
            const __m128i m2 = _mm_add_epi32(mp, _mm_unpackhi_epi64(mp, mp));
            const int msum = _mm_cvtsi128_si32(_mm_add_epi32(m2, _mm_shuffle_epi32(m2, 1)));
            summs[r] = fmaf(-A[r][b].d * dmw, (float)msum, summs[r]);
        }
        for (int j = 0; j < QK_K / 64; j++) {
            const __m256i x = load(w[b].qs + 32 * j);
            const __m256i hl = _mm256_slli_epi16(_mm256_and_si256(_mm256_srl_epi16(hb, _mm_cvtsi32_si128(2 * j)), one), 4);
            const __m256i hh = _mm256_slli_epi16(_mm256_and_si256(_mm256_srl_epi16(hb, _mm_cvtsi32_si128(2 * j + 1)), one), 4);
            const __m256i lo = _mm256_or_si256(_mm256_and_si256(x, m4), hl);
            const __m256i hi = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(x, 4), m4), hh);
            const __m256i sl = bcast16(sc, 2 * j), sh = bcast16(sc, 2 * j + 1);
            for (int r = 0; r < nr; r++) {
                const int8_t *q8 = A[r][b].qs + 64 * j;
                const __m256i pl = dot_us_scaled(lo, load(q8), sl), ph = dot_us_scaled(hi, load(q8 + 32), sh);
                isum[r] = _mm256_add_epi32(isum[r], _mm256_add_epi32(pl, ph));
            }
        }
        for (int r = 0; r < nr; r++)
            acc[r] = _mm256_fmadd_ps(_mm256_set1_ps(dw * A[r][b].d), _mm256_cvtepi32_ps(isum[r]), acc[r]);
    }
    for (int r = 0; r < nr; r++) s[r] = hsum_ps(acc[r]) + summs[r];
}

/* Q6_K: codes u in 0..63 stand for u - 32; the 32 comes off as
 * 32 * sum(scale * bsum) per super-block. */
AI void dot_q6_K_k(int64_t n, const void *vw, const void *va, size_t as, const int nr, float *s) {
    const block_q6_K *w = vw;
    Q8K_ROWS();
    __m256 acc[MAXR];
    for (int r = 0; r < nr; r++) acc[r] = _mm256_setzero_ps();
    const __m256i m4 = _mm256_set1_epi8(0x0F), m2 = _mm256_set1_epi8(0x03);
    for (int64_t b = 0; b < n / QK_K; b++) {
        const __m256i sc16 = _mm256_cvtepi8_epi16(load128(w[b].scales)); /* 16 scales as int16 */
        __m256i isum[MAXR];
        for (int r = 0; r < nr; r++)
            isum[r] = _mm256_sub_epi32(_mm256_setzero_si256(),
                                       _mm256_slli_epi32(_mm256_madd_epi16(sc16, load(A[r][b].bsums)), 5));
        for (int k = 0; k < QK_K / 128; k++) {
            const __m256i scv = k ? _mm256_permute2x128_si256(sc16, sc16, 0x11) : _mm256_permute2x128_si256(sc16, sc16, 0x00);
            const uint8_t *ql = w[b].ql + 64 * k;
            const __m256i h = load(w[b].qh + 32 * k), l0 = load(ql), l1 = load(ql + 32);
            __m256i u[4];
            u[0] = _mm256_or_si256(_mm256_and_si256(l0, m4), _mm256_slli_epi16(_mm256_and_si256(h, m2), 4));
            u[1] = _mm256_or_si256(_mm256_and_si256(l1, m4),
                                   _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(h, 2), m2), 4));
            u[2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l0, 4), m4),
                                   _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(h, 4), m2), 4));
            u[3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l1, 4), m4),
                                   _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(h, 6), m2), 4));
            for (int g = 0; g < 4; g++) {
                const __m256i scg = pair16(scv, g);
                for (int r = 0; r < nr; r++)
                    isum[r] = _mm256_add_epi32(isum[r], dot_us_scaled(u[g], load(A[r][b].qs + 128 * k + 32 * g), scg));
            }
        }
        const float dw = h2f(w[b].d);
        for (int r = 0; r < nr; r++)
            acc[r] = _mm256_fmadd_ps(_mm256_set1_ps(dw * A[r][b].d), _mm256_cvtepi32_ps(isum[r]), acc[r]);
    }
    for (int r = 0; r < nr; r++) s[r] = hsum_ps(acc[r]);
}

/* Q3_K: values 2-bit code - 4 (high bit clear), exact per lane (sign trick). */
AI void dot_q3_K_k(int64_t n, const void *vw, const void *va, size_t as, const int nr, float *s) {
    const block_q3_K *w = vw;
    Q8K_ROWS();
    __m256 acc[MAXR];
    for (int r = 0; r < nr; r++) acc[r] = _mm256_setzero_ps();
    const __m256i m2 = _mm256_set1_epi8(0x03), one = _mm256_set1_epi8(1);
    for (int64_t b = 0; b < n / QK_K; b++) {
        const uint32_t kmask1 = 0x03030303, kmask2 = 0x0f0f0f0f;
        uint32_t aux[4];
        memcpy(aux, w[b].scales, 12);
        const uint32_t tmp = aux[2];
        aux[2] = ((aux[0] >> 4) & kmask2) | (((tmp >> 4) & kmask1) << 4);
        aux[3] = ((aux[1] >> 4) & kmask2) | (((tmp >> 6) & kmask1) << 4);
        aux[0] = (aux[0] & kmask2) | (((tmp >> 0) & kmask1) << 4);
        aux[1] = (aux[1] & kmask2) | (((tmp >> 2) & kmask1) << 4);
        /* from registers: a 16-byte load of the four words just stored would
         * stall on store forwarding */
        const __m128i sc8 = _mm_sub_epi8(_mm_set_epi32((int)aux[3], (int)aux[2], (int)aux[1], (int)aux[0]), _mm_set1_epi8(32));
        const __m256i sc16 = _mm256_cvtepi8_epi16(sc8);
        __m256i isum[MAXR];
        for (int r = 0; r < nr; r++) isum[r] = _mm256_setzero_si256();
        const __m256i hm = load(w[b].hmask);
        for (int k = 0; k < QK_K / 128; k++) {
            const __m256i scv = k ? _mm256_permute2x128_si256(sc16, sc16, 0x11) : _mm256_permute2x128_si256(sc16, sc16, 0x00);
            const __m256i q = load(w[b].qs + 32 * k);
            for (int g = 0; g < 4; g++) {
                const __m256i lo = _mm256_and_si256(_mm256_srl_epi16(q, _mm_cvtsi32_si128(2 * g)), m2);
                const __m256i hi = _mm256_and_si256(_mm256_srl_epi16(hm, _mm_cvtsi32_si128(4 * k + g)), one);
                /* the value: code - 4 where the high bit is clear */
                const __m256i v = _mm256_sub_epi8(_mm256_or_si256(lo, _mm256_slli_epi16(hi, 2)), _mm256_set1_epi8(4));
                const __m256i av = _mm256_sign_epi8(v, v), scg = pair16(scv, g);
                for (int r = 0; r < nr; r++)
                    isum[r] = _mm256_add_epi32(
                        isum[r], dot_us_scaled(av, _mm256_sign_epi8(load(A[r][b].qs + 128 * k + 32 * g), v), scg));
            }
        }
        const float dw = h2f(w[b].d);
        for (int r = 0; r < nr; r++)
            acc[r] = _mm256_fmadd_ps(_mm256_set1_ps(dw * A[r][b].d), _mm256_cvtepi32_ps(isum[r]), acc[r]);
    }
    for (int r = 0; r < nr; r++) s[r] = hsum_ps(acc[r]);
}

AI void dot_q2_K_k(int64_t n, const void *vw, const void *va, size_t as, const int nr, float *s) {
    const block_q2_K *w = vw;
    Q8K_ROWS();
    __m256 acc[MAXR]; /* the minimum terms too, first in each super-block (ggml's Q2_K) */
    for (int r = 0; r < nr; r++) acc[r] = _mm256_setzero_ps();
    const __m256i m2 = _mm256_set1_epi8(0x03);
    for (int64_t b = 0; b < n / QK_K; b++) {
        const __m128i sb = load128(w[b].scales);
        const __m256i sc16 = _mm256_cvtepu8_epi16(_mm_and_si128(sb, _mm_set1_epi8(0x0F)));
        const __m256i mn16 = _mm256_cvtepu8_epi16(_mm_and_si128(_mm_srli_epi16(sb, 4), _mm_set1_epi8(0x0F)));
        const float dw = h2f(w[b].d), dmw = h2f(w[b].dmin);
        __m256i isum[MAXR];
        for (int r = 0; r < nr; r++) {
            isum[r] = _mm256_setzero_si256();
            acc[r] = _mm256_fmadd_ps(_mm256_set1_ps(-A[r][b].d * dmw),
                                     _mm256_cvtepi32_ps(_mm256_madd_epi16(mn16, load(A[r][b].bsums))), acc[r]);
        }
        for (int k = 0; k < QK_K / 128; k++) {
            const __m256i scv = k ? _mm256_permute2x128_si256(sc16, sc16, 0x11) : _mm256_permute2x128_si256(sc16, sc16, 0x00);
            const __m256i q = load(w[b].qs + 32 * k);
            for (int g = 0; g < 4; g++) {
                const __m256i u = _mm256_and_si256(_mm256_srl_epi16(q, _mm_cvtsi32_si128(2 * g)), m2);
                const __m256i scg = pair16(scv, g);
                for (int r = 0; r < nr; r++)
                    isum[r] = _mm256_add_epi32(isum[r], dot_us_scaled(u, load(A[r][b].qs + 128 * k + 32 * g), scg));
            }
        }
        for (int r = 0; r < nr; r++)
            acc[r] = _mm256_fmadd_ps(_mm256_set1_ps(dw * A[r][b].d), _mm256_cvtepi32_ps(isum[r]), acc[r]);
    }
    for (int r = 0; r < nr; r++) s[r] = hsum_ps(acc[r]);
}

AI void dot_iq4_xs_k(int64_t n, const void *vw, const void *va, size_t as, const int nr, float *s) {
    const block_iq4_xs *w = vw;
    Q8K_ROWS();
    __m256 acc[MAXR];
    for (int r = 0; r < nr; r++) acc[r] = _mm256_setzero_ps();
    const __m256i table = _mm256_broadcastsi128_si256(load128(ei_kvalues_iq4nl));
    for (int64_t b = 0; b < n / QK_K; b++) {
        __m256i isum[MAXR];
        for (int r = 0; r < nr; r++) isum[r] = _mm256_setzero_si256();
        for (int ib = 0; ib < QK_K / 32; ib++) {
            const int ls = ((w[b].scales_l[ib / 2] >> 4 * (ib % 2)) & 0xF) | (((w[b].scales_h >> 2 * ib) & 3) << 4);
            const __m256i v = _mm256_shuffle_epi8(table, nibbles(w[b].qs + 16 * ib));
            const __m256i va_ = _mm256_sign_epi8(v, v), scale = _mm256_set1_epi16((short)(ls - 32));
            for (int r = 0; r < nr; r++) {
                const __m256i a = _mm256_sign_epi8(load(A[r][b].qs + 32 * ib), v);
                isum[r] = _mm256_add_epi32(isum[r], dot_us_scaled(va_, a, scale));
            }
        }
        const float dw = h2f(w[b].d);
        for (int r = 0; r < nr; r++)
            acc[r] = _mm256_fmadd_ps(_mm256_set1_ps(dw * A[r][b].d), _mm256_cvtepi32_ps(isum[r]), acc[r]);
    }
    for (int r = 0; r < nr; r++) s[r] = hsum_ps(acc[r]);
}

TILED(dot_q4_K)
TILED(dot_q5_K)
TILED(dot_q6_K)
TILED(dot_q3_K)
TILED(dot_q2_K)
TILED(dot_iq4_xs)

/* ---- float types -------------------------------------------------------------------
 * The canonical order (vec_dot_scalar.c): one accumulator of 8 lanes per
 * output over steps of 8, then the rest one by one, added last. The
 * activations are f32 rows (F16 and BF16 weights' rounded to f16 / bf16 by
 * their quantizer). Every kernel is float_steps over a block of NW weight
 * rows x NA activation rows, one accumulator per output: dot (1 x nr),
 * dot_rows (nw x 1: generation, nw chains hide the FMA latency) and the
 * prompt tile (3 x 4, chunk by chunk). */

enum { F_F32, F_F16, F_BF16 };

AI __m256 load8f(int kind, const void *p, int64_t i) {
    if (kind == F_F32) return _mm256_loadu_ps((const float *)p + i);
    const __m128i h = load128((const uint16_t *)p + i);
    if (kind == F_F16) return _mm256_cvtph_ps(h);
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
}

AI float load1f(int kind, const void *p, int64_t i) {
    if (kind == F_F32) return ((const float *)p)[i];
    const uint16_t h = ((const uint16_t *)p)[i];
    return kind == F_F16 ? ei_fp16_to_fp32(h) : ei_bf16_to_fp32(h);
}

/* acc[q][c] += the products of weight row q (w + q * ws) and activation
 * row c over values [i0, i1), steps of 8 (i1 - i0 a multiple of 8). */
AI void float_steps(int kind, const char *w, size_t ws, const int NW, const float *const *a, const int NA, int64_t i0,
                    int64_t i1, __m256 (*acc)[MAXR]) {
    for (int64_t i = i0; i < i1; i += 8) {
        __m256 x[MAXR];
        for (int q = 0; q < NW; q++) {
            x[q] = load8f(kind, w + (size_t)q * ws, i);
            __asm__("" : "+x"(x[q])); /* (as av below) */
        }
        for (int c = 0; c < NA; c++) {
            __m256 av = _mm256_loadu_ps(a[c] + i);
            /* one load for the NW products: without this GCC folded the
             * load into each fma, and the loads, not the fmas, set the pace */
            __asm__("" : "+x"(av));
            for (int q = 0; q < NW; q++) acc[q][c] = _mm256_fmadd_ps(x[q], av, acc[q][c]);
        }
    }
}

/* An output's end: the tail one by one (multiply, then add), added last. */
AI float float_end(int kind, int64_t n, const void *w, const float *a, __m256 acc) {
    float t = 0;
    for (int64_t i = n / 8 * 8; i < n; i++) t += load1f(kind, w, i) * a[i];
    return hsum_ps(acc) + t;
}

AI void float_k(int kind, int64_t n, const void *w, const void *va, size_t as, const int nr, float *s) {
    const float *a[MAXR];
    __m256 acc[1][MAXR];
    for (int r = 0; r < nr; r++) {
        a[r] = (const float *)((const char *)va + (size_t)r * as);
        acc[0][r] = _mm256_setzero_ps();
    }
    float_steps(kind, w, 0, 1, a, nr, 0, n / 8 * 8, acc);
    for (int r = 0; r < nr; r++) s[r] = float_end(kind, n, w, a[r], acc[0][r]);
}

AI void float_rows_k(int kind, int64_t n, const void *w, size_t ws, const int nw, const void *va, float *s) {
    const float *a[1] = {va};
    __m256 acc[MAXR][MAXR];
    for (int q = 0; q < nw; q++) acc[q][0] = _mm256_setzero_ps();
    float_steps(kind, w, ws, nw, a, 1, 0, n / 8 * 8, acc);
    for (int q = 0; q < nw; q++) s[q] = float_end(kind, n, (const char *)w + (size_t)q * ws, a[0], acc[q][0]);
}

/* ---- float tiles (prompts) ---------------------------------------------------------------
 * A pass holds NW x NA accumulators (3 x 4: 12 of the 16 registers, with
 * three weight registers, each 8 values converted once for four activation
 * rows, and one activation register). The values are taken in chunks of
 * FT_CHUNK: the tile's activation chunk (4 rows x 2 KiB) stays in L1 while
 * all the weight rows pass over it, their accumulators kept in memory
 * between chunks (a chunk only splits each output's one chain: same bits).
 * 2048 x 2048 against 64 rows, one thread (tests/microbench/vec_dot_bench.c
 * -r 64): the order of four sums per output had to run them one after
 * another as 2 x 4 passes of 8 steps (F16 8.5 ms, 63 % of this core's FMA
 * peak; 3 x 4 passes were no faster: the passes' overhead set the pace). */
#define FT_CHUNK 512

AI void float_pass(int kind, const char *wo, size_t ws, const int NW, const float *const *a, const int NA, int64_t i0,
                   int64_t i1, __m256 (*state)[MAXR]) {
    __m256 acc[MAXR][MAXR];
    for (int q = 0; q < NW; q++)
        for (int c = 0; c < NA; c++) acc[q][c] = state[q][c];
    float_steps(kind, wo, ws, NW, a, NA, i0, i1, acc);
    for (int q = 0; q < NW; q++)
        for (int c = 0; c < NA; c++) state[q][c] = acc[q][c];
}

AI void float_tile(int kind, int64_t n, const void *w, size_t ws, int nw, const void *va, size_t as, const int NA,
                   float *y, size_t ys) {
    const float *a[MAXR];
    for (int c = 0; c < NA; c++) a[c] = (const float *)((const char *)va + (size_t)c * as);
    __m256 state[EI_VEC_DOT_TILE_W][MAXR];
    for (int o = 0; o < nw; o++)
        for (int c = 0; c < NA; c++) state[o][c] = _mm256_setzero_ps();
    const int64_t n8 = n / 8 * 8;
    for (int64_t i0 = 0; i0 < n8; i0 += FT_CHUNK) {
        const int64_t i1 = i0 + FT_CHUNK < n8 ? i0 + FT_CHUNK : n8;
        int nw_pass;
        for (int o = 0; o < nw; o += nw_pass) { /* rows in threes; four left as two pairs (8 chains, not 4) */
            const char *wo = (const char *)w + (size_t)o * ws;
            nw_pass = nw - o == 4 ? 2 : nw - o >= 3 ? 3 : nw - o;
            if (nw_pass == 3) float_pass(kind, wo, ws, 3, a, NA, i0, i1, state + o);
            else if (nw_pass == 2) float_pass(kind, wo, ws, 2, a, NA, i0, i1, state + o);
            else float_pass(kind, wo, ws, 1, a, NA, i0, i1, state + o);
        }
    }
    for (int o = 0; o < nw; o++)
        for (int c = 0; c < NA; c++)
            y[(size_t)c * ys + o] = float_end(kind, n, (const char *)w + (size_t)o * ws, a[c], state[o][c]);
}

#define FLOAT_KERNELS(f32name, kind)                                                                         \
    TGT static void tile_##f32name(int64_t n, const void *w, size_t ws, int nw, const void *a, size_t as,    \
                                   int na, float *y, size_t ys) {                                          \
        switch (na) {                                                                                        \
        case 1: float_tile(kind, n, w, ws, nw, a, as, 1, y, ys); break;                                       \
        case 2: float_tile(kind, n, w, ws, nw, a, as, 2, y, ys); break;                                       \
        case 3: float_tile(kind, n, w, ws, nw, a, as, 3, y, ys); break;                                       \
        default: float_tile(kind, n, w, ws, nw, a, as, 4, y, ys); break;                                      \
        }                                                                                                    \
    }                                                                                                        \
    TGT static void rows_##f32name(int64_t n, const void *w, size_t ws, int nw, const void *a, float *s) {   \
        switch (nw) {                                                                                        \
        case 1: float_rows_k(kind, n, w, ws, 1, a, s); break;                                                \
        case 2: float_rows_k(kind, n, w, ws, 2, a, s); break;                                                \
        case 3: float_rows_k(kind, n, w, ws, 3, a, s); break;                                                \
        default: float_rows_k(kind, n, w, ws, 4, a, s); break;                                               \
        }                                                                                                    \
    }                                                                                                        \
    AI void dot_##f32name##_k(int64_t n, const void *w, const void *a, size_t as, int nr, float *s) {        \
        float_k(kind, n, w, a, as, nr, s);                                                                   \
    }                                                                                                        \
    TILED(dot_##f32name)
FLOAT_KERNELS(f32, F_F32)
FLOAT_KERNELS(f16, F_F16)
FLOAT_KERNELS(bf16, F_BF16)

/* ---- activation quantizers ------------------------------------------------------------
 * Bit for bit the scalar ones: the same float operations in the same order
 * (x * id, then rounding half to even; Q8_K: ggml's nearest_int emulated
 * exactly), NaN and infinities mapped as the scalar code maps them. */

/* round half to even (as ggml's x86 quantizers), NaN -> 0, clamped to [-127, 127] */
AI __m256i round_q8(__m256 v) {
    __m256 r = _mm256_round_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    r = _mm256_and_ps(r, _mm256_cmp_ps(v, v, _CMP_ORD_Q)); /* NaN -> 0 */
    r = _mm256_min_ps(_mm256_max_ps(r, _mm256_set1_ps(-127.0f)), _mm256_set1_ps(127.0f));
    return _mm256_cvtps_epi32(r);
}

/* 4 x 8 int32 (each in int8 range) -> 32 int8 in order */
AI __m256i pack32(__m256i a, __m256i b, __m256i c, __m256i d) {
    const __m256i ab = _mm256_packs_epi32(a, b), cd = _mm256_packs_epi32(c, d);
    return _mm256_permutevar8x32_epi32(_mm256_packs_epi16(ab, cd), _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

AI float abs_max32(const float *x) {
    const __m256 nz = _mm256_set1_ps(-0.0f);
    __m256 m = _mm256_setzero_ps();
    for (int k = 0; k < 4; k++) m = _mm256_max_ps(_mm256_andnot_ps(nz, _mm256_loadu_ps(x + 8 * k)), m); /* NaN -> keep m */
    __m128 h = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
    h = _mm_max_ps(h, _mm_movehl_ps(h, h));
    h = _mm_max_ss(h, _mm_movehdup_ps(h));
    return _mm_cvtss_f32(h);
}

AI void quantize_q8_k(const float *x, void *row, int64_t n, bool q8_1) {
    const size_t bb = q8_1 ? sizeof(block_q8_1) : sizeof(block_q8_0);
    const ei_q8_layout l = ei_q8_layout_of(bb, n);
    char *base = row;
    int8_t *qs = (int8_t *)(base + l.qs);
    float *ds = (float *)(base + l.ds);
    ei_q8_clear_pad(row, bb, n);
    for (int64_t b = 0; b < n / 32; b++, x += 32) {
        const float amax = abs_max32(x);
        const float d = amax / 127.f, id = amax != 0.0f ? 127.f / amax : 0.0f;
        const __m256 vid = _mm256_set1_ps(id);
        __m256i q[4];
        for (int k = 0; k < 4; k++) q[k] = round_q8(_mm256_mul_ps(_mm256_loadu_ps(x + 8 * k), vid));
        const __m256i codes = pack32(q[0], q[1], q[2], q[3]);
        char *blk = base + (size_t)b * bb;
        const uint16_t hd = ei_fp32_to_fp16(d);
        memcpy(blk, &hd, 2);
        float s = 0;
        if (q8_1) {
            const int sum = hsum_epi32(_mm256_add_epi32(_mm256_add_epi32(q[0], q[1]), _mm256_add_epi32(q[2], q[3])));
            const uint16_t hs = ei_fp32_to_fp16(d * (float)sum);
            memcpy(blk + 2, &hs, 2);
            s = ei_fp16_to_fp32(hs);
        }
        _mm256_storeu_si256((__m256i *)(blk + (q8_1 ? 4 : 2)), codes);
        _mm256_storeu_si256((__m256i *)(qs + 32 * b), codes);
        ds[2 * b] = ei_fp16_to_fp32(hd);
        ds[2 * b + 1] = s;
    }
}

TGT static void quantize_q8_0(const float *x, void *a, int64_t n) { quantize_q8_k(x, a, n, false); }
TGT static void quantize_q8_1(const float *x, void *a, int64_t n) { quantize_q8_k(x, a, n, true); }

/* ggml's nearest_int: (bits(f + 1.5 * 2^23) & 0x7fffff) - 0x400000 */
AI __m256i nearest_int(__m256 f) {
    const __m256i i = _mm256_castps_si256(_mm256_add_ps(f, _mm256_set1_ps(12582912.f)));
    return _mm256_sub_epi32(_mm256_and_si256(i, _mm256_set1_epi32(0x007fffff)), _mm256_set1_epi32(0x00400000));
}

TGT static void quantize_q8_K(const float *x, void *a, int64_t n) {
    block_q8_K *y = a;
    const __m256 nz = _mm256_set1_ps(-0.0f);
    for (int64_t b = 0; b < n / QK_K; b++, x += QK_K) {
        __m256 m = _mm256_setzero_ps();
        for (int k = 0; k < QK_K / 8; k++) m = _mm256_max_ps(_mm256_andnot_ps(nz, _mm256_loadu_ps(x + 8 * k)), m);
        __m128 h = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
        h = _mm_max_ps(h, _mm_movehl_ps(h, h));
        h = _mm_max_ss(h, _mm_movehdup_ps(h));
        const float amax = _mm_cvtss_f32(h);
        if (!amax) {
            memset(&y[b], 0, sizeof y[b]);
            continue;
        }
        /* the first value of largest magnitude, with its sign */
        float max = 0;
        const __m256 vamax = _mm256_set1_ps(amax);
        for (int k = 0; k < QK_K / 8; k++) {
            const int mask = _mm256_movemask_ps(_mm256_cmp_ps(_mm256_andnot_ps(nz, _mm256_loadu_ps(x + 8 * k)), vamax, _CMP_EQ_OQ));
            if (mask) {
                max = x[8 * k + __builtin_ctz((unsigned)mask)];
                break;
            }
        }
        const float iscale = -127.f / max;
        const __m256 vs = _mm256_set1_ps(iscale);
        const __m256i lo = _mm256_set1_epi32(-128), hi = _mm256_set1_epi32(127);
        for (int k = 0; k < QK_K / 32; k++) {
            __m256i q[4];
            for (int j = 0; j < 4; j++)
                q[j] = _mm256_min_epi32(_mm256_max_epi32(nearest_int(_mm256_mul_ps(vs, _mm256_loadu_ps(x + 32 * k + 8 * j))), lo), hi);
            _mm256_storeu_si256((__m256i *)(y[b].qs + 32 * k), pack32(q[0], q[1], q[2], q[3]));
            y[b].bsums[2 * k] = (int16_t)hsum_epi32(_mm256_add_epi32(q[0], q[1]));
            y[b].bsums[2 * k + 1] = (int16_t)hsum_epi32(_mm256_add_epi32(q[2], q[3]));
        }
        y[b].d = 1 / iscale;
    }
}

TGT static void quantize_f16(const float *x, void *a, int64_t n) { /* rounded to f16, kept as f32 */
    float *y = a;
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(y + i, _mm256_cvtph_ps(_mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT)));
    for (; i < n; i++) y[i] = ei_round_f16(x[i]);
}

/* ---- the table ------------------------------------------------------------------------ */

void ei_vec_dot_fill_avx2(ei_vec_dot_table *t) {
    t->dot[EI_TYPE_F32] = dot_f32;
    t->dot[EI_TYPE_F16] = dot_f16;
    t->dot[EI_TYPE_BF16] = dot_bf16;
    t->tile[EI_TYPE_F32] = tile_f32;
    t->tile[EI_TYPE_F16] = tile_f16;
    t->tile[EI_TYPE_BF16] = tile_bf16;
    t->dot_rows[EI_TYPE_F32] = rows_f32;
    t->dot_rows[EI_TYPE_F16] = rows_f16;
    t->dot_rows[EI_TYPE_BF16] = rows_bf16;
    t->dot[EI_TYPE_Q4_0] = dot_q4_0;
    t->dot[EI_TYPE_Q4_1] = dot_q4_1;
    t->dot[EI_TYPE_Q5_0] = dot_q5_0;
    t->dot[EI_TYPE_Q5_1] = dot_q5_1;
    t->dot[EI_TYPE_Q8_0] = dot_q8_0;
    t->dot[EI_TYPE_IQ4_NL] = dot_iq4_nl;
    t->dot[EI_TYPE_Q2_K] = dot_q2_K;
    t->dot[EI_TYPE_Q3_K] = dot_q3_K;
    t->dot[EI_TYPE_Q4_K] = dot_q4_K;
    t->dot[EI_TYPE_Q5_K] = dot_q5_K;
    t->dot[EI_TYPE_Q6_K] = dot_q6_K;
    t->dot[EI_TYPE_IQ4_XS] = dot_iq4_xs;
    t->dot_rows[EI_TYPE_Q4_0] = rows_q4_0;
    t->dot_rows[EI_TYPE_Q5_0] = rows_q5_0;
    t->dot_rows[EI_TYPE_Q8_0] = rows_q8_0;
    t->dot_rows[EI_TYPE_IQ4_NL] = rows_iq4_nl;
    t->dot_rows[EI_TYPE_Q4_1] = rows_q4_1;
    t->dot_rows[EI_TYPE_Q5_1] = rows_q5_1;
    t->dot[EI_TYPE_MXFP4] = dot_mxfp4;
    t->dot_rows[EI_TYPE_MXFP4] = rows_mxfp4;
    t->quantize[EI_TYPE_F16] = quantize_f16;
    t->quantize[EI_TYPE_Q8_0] = quantize_q8_0;
    t->quantize[EI_TYPE_Q8_1] = quantize_q8_1;
    t->quantize[EI_TYPE_Q8_K] = quantize_q8_K;
    ei_vec_dot_fill_avx2_iq(t);
}

#endif
