/*
 * packed_avx2.c — the packed kernels (packed.h) for AVX2 (+ FMA, F16C),
 * for the x86-64 CPUs without AVX512-VNNI.
 *
 * A 64-byte unit of the packed layout holds four consecutive values of
 * each of 16 rows; its first 32 bytes (rows 0-7) or last 32 (rows 8-15)
 * fill a 256-bit register, so a group is done as two halves of 8 rows,
 * one row per 32-bit lane. maddubs multiplies the unsigned weight codes by
 * four activation bytes broadcast to every lane (u8 x s8 -> s16 pairs);
 * several such products are added in 16 bits, as many as cannot overflow
 * with |a| <= 128 (8 for 4-bit codes: 8 * 2 * 15 * 128 < 32768; 4 for
 * 5-bit ones; 2 for Q6_K's 6-bit ones), then madd widens them to
 * 32 bits, by ones or by the rows' sub-block scales. Q8_0's codes (w + 128)
 * would overflow that, so its signed values take the sign trick (|w| times
 * a with w's sign) one unit at a time, as do IQ4_NL's and IQ4_XS's levels
 * (looked up by a byte shuffle). Every 32-bit lane ends with exactly
 * the integer the scalar reference computes, and the float steps are the
 * canonical ones of packed.h, lane by lane: the reference's bits.
 *
 * Each weight register is unpacked once and serves up to four activation
 * rows (PACK_COLS = 8 are taken in two calls). Q4_0, Q4_1, Q8_0, Q3_K,
 * IQ4_NL and MXFP4 for any count, Q5_0, Q5_1 and Q4_K up to 3 columns, IQ4_XS
 * up to 2, and Q2_K and Q5_K for one, take both
 * halves in one pass, so each activation broadcast serves all 16 rows;
 * Q6_K, whose unpacked halves would not fit the 16 registers together,
 * and the others for more columns (their accumulators would spill) take
 * one half per pass (CALL_* below, with the timings).
 */
#include "backends/cpu/packed.h"

#if defined(__x86_64__)

#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#include "backends/cpu/packed_prefetch.h"
#include "backends/cpu/vec_dot.h"
#include "quant/blocks.h"

#define TARGET "avx2,fma,f16c"
#define AI static inline __attribute__((always_inline, target(TARGET)))
#define TG __attribute__((target(TARGET)))
#define MAX_NC 4 /* activation rows per pass over a group's weights */
/* Software prefetch (packed_prefetch.h): by the first half's pass, the one
 * reading from memory. tests/microbench/gemv_stream.c against a read with
 * 32-byte loads on a Zen 3, three alternating rounds, medians: Q8_0 80 %
 * with every 64 bytes of the block prefetched 4 KiB ahead, 88 % with each
 * line once 1-3 KiB ahead; Q4_0 84 and 84-86 %; Q6_K with one column 77 %
 * with a block's prefetches issued at once, 94 % spread over its sub-blocks. */
AI void prefetch_block(const uint8_t *blk, size_t bytes, int h) {
    if (!h) pack_prefetch_block(blk, bytes);
}

AI __m256i load(const void *p) { return _mm256_loadu_si256((const __m256i *)p); }
AI __m256i bcast32(const void *p) {
    int32_t v;
    memcpy(&v, p, 4);
    return _mm256_set1_epi32(v);
}
/* eight f16 (one per row of the half) as f32 */
AI __m256 f16x8(const void *p) { return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p)); }
AI __m256i lo4(__m256i x) { return _mm256_and_si256(x, _mm256_set1_epi8(0x0F)); }
AI __m256i hi4(__m256i x) { return _mm256_and_si256(_mm256_srli_epi16(x, 4), _mm256_set1_epi8(0x0F)); }
AI __m256i ones16(void) { return _mm256_set1_epi16(1); }
/* eight bytes (one per row) -> 32-bit lanes holding the value in both 16-bit halves */
AI __m256i scale_pairs_u8(const void *p) {
    const __m256i s = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)p));
    return _mm256_or_si256(s, _mm256_slli_epi32(s, 16));
}
/* the same for signed bytes (the low half's sign bits cleared) */
AI __m256i scale_pairs_i8(const void *p) {
    const __m256i s = _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)p));
    return _mm256_or_si256(_mm256_and_si256(s, _mm256_set1_epi32(0xFFFF)), _mm256_slli_epi32(s, 16));
}
/* A byte per row of sub-blocks 2p and 2p+1 (rows 8hh..8hh+7, one 16-byte
 * row of 16 rows per sub-block from `at`), interleaved: each row's pair. */
AI __m128i sub_block_pairs(const uint8_t *at, int hh, int p) {
    const __m128i lo = _mm_loadl_epi64((const __m128i *)(at + 16 * (2 * p) + 8 * hh));
    const __m128i hi = _mm_loadl_epi64((const __m128i *)(at + 16 * (2 * p + 1) + 8 * hh));
    return _mm_unpacklo_epi8(lo, hi);
}
/* Bit g of each byte of x moved to bit `to` (the rest zero): one 16-bit
 * shift (the bits it moves across the byte boundary land outside the mask). */
AI __m256i bit_to(__m256i x, int g, int to) {
    const __m256i moved = g < to ? _mm256_slli_epi16(x, to - g) : g > to ? _mm256_srli_epi16(x, g - to) : x;
    return _mm256_and_si256(moved, _mm256_set1_epi8((char)(1 << to)));
}

/* ---- Q4_0, Q4_1, Q5_0, Q5_1 and Q8_0 against Q8_0 / Q8_1 --------------------------------- */

/* Q5_0 and Q5_1 up to 3 columns, both halves at once (one broadcast
 * serves 16 rows); their 5-bit codes are summed four units at a time. */
/* (bit_to's shift, written out: through bit_to, group_q5 with 3 columns
 * compiled 4-5 % slower in tests/microbench/packed_bench.c) */
AI __m256i q5_unit(__m256i x, __m256i hb, int g) {
    const __m256i hg = g < 4 ? _mm256_slli_epi16(hb, 4 - g) : g > 4 ? _mm256_srli_epi16(hb, g - 4) : hb;
    return _mm256_or_si256(g & 1 ? hi4(x) : lo4(x), _mm256_and_si256(hg, _mm256_set1_epi8(0x10)));
}

AI void group_q5(ei_type T, int64_t n, const uint8_t *group, const char *a, size_t as, const int NC, float *y,
                 size_t ys) {
    const bool one = T == EI_TYPE_Q5_1; /* Q5_1: Q4_1's d and m before the units, no offset */
    const size_t bb = ei_pack_block_bytes(T), units = one ? 64 : 32;
    const int64_t nb = n / 32;
    const ei_q8_layout l = ei_q8_layout_of(one ? sizeof(block_q8_1) : sizeof(block_q8_0), n);
    const size_t extra = ei_vec_dot_act_row_bytes(one ? EI_TYPE_Q8_1 : EI_TYPE_Q8_0, n);
    __m256 acc[2][MAX_NC];
    for (int c = 0; c < NC; c++) acc[0][c] = acc[1][c] = _mm256_setzero_ps();
    for (int64_t b = 0; b < nb; b++) {
        const uint8_t *blk = group + (size_t)b * bb;
        prefetch_block(blk, bb, 0);
        __m256i isum[2][MAX_NC], x0 = _mm256_setzero_si256(), x1 = x0;
        const __m256i hb0 = load(blk + units + 256), hb1 = load(blk + units + 256 + 32); /* the fifth bits */
        for (int c = 0; c < NC; c++) isum[0][c] = isum[1][c] = _mm256_setzero_si256();
        for (int g0 = 0; g0 < 8; g0 += 4) {
            __m256i s16[2][MAX_NC];
            for (int c = 0; c < NC; c++) s16[0][c] = s16[1][c] = _mm256_setzero_si256();
            for (int g = g0; g < g0 + 4; g++) {
                if (!(g & 1)) {
                    x0 = load(blk + units + 64 * (g >> 1));
                    x1 = load(blk + units + 64 * (g >> 1) + 32);
                }
                const __m256i w0 = q5_unit(x0, hb0, g), w1 = q5_unit(x1, hb1, g);
                for (int c = 0; c < NC; c++) {
                    const __m256i av = bcast32((const int8_t *)(a + (size_t)c * as + l.qs) + 32 * b + 4 * g);
                    s16[0][c] = _mm256_add_epi16(s16[0][c], _mm256_maddubs_epi16(w0, av));
                    s16[1][c] = _mm256_add_epi16(s16[1][c], _mm256_maddubs_epi16(w1, av));
                }
            }
            for (int h = 0; h < 2; h++)
                for (int c = 0; c < NC; c++) isum[h][c] = _mm256_add_epi32(isum[h][c], _mm256_madd_epi16(s16[h][c], ones16()));
        }
        for (int h = 0; h < 2; h++) {
            const __m256 dw = f16x8(blk + 16 * h);
            for (int c = 0; c < NC; c++) {
                const char *row = a + (size_t)c * as;
                __m256i is = isum[h][c];
                if (!one) is = _mm256_add_epi32(is, _mm256_set1_epi32(-16 * ((const int32_t *)(row + extra))[b]));
                const float da = ((const float *)(row + l.ds))[2 * b];
                acc[h][c] = _mm256_fmadd_ps(_mm256_mul_ps(dw, _mm256_set1_ps(da)), _mm256_cvtepi32_ps(is), acc[h][c]);
                if (one)
                    acc[h][c] = _mm256_fmadd_ps(f16x8(blk + 32 + 16 * h),
                                                _mm256_set1_ps(((const float *)(row + l.ds))[2 * b + 1]), acc[h][c]);
            }
        }
    }
    for (int h = 0; h < 2; h++)
        for (int c = 0; c < NC; c++) _mm256_storeu_ps(y + (size_t)c * ys + 8 * h, acc[h][c]);
}

/* Q5_0 and Q5_1 for 4 columns, one half of 8 rows per pass: group_q5's two halves
 * need 24 accumulators (float, 32-bit and 16-bit sums) and spill. Its own
 * function: group_q4_K's way (the halves as parameters) did not pay here. */
AI void half_q5(ei_type T, int64_t n, const uint8_t *group, int h, const char *a, size_t as, const int NC, float *y,
                size_t ys) {
    const bool one = T == EI_TYPE_Q5_1;
    const size_t bb = ei_pack_block_bytes(T), units = one ? 64 : 32;
    const int64_t nb = n / 32;
    const ei_q8_layout l = ei_q8_layout_of(one ? sizeof(block_q8_1) : sizeof(block_q8_0), n);
    const size_t extra = ei_vec_dot_act_row_bytes(one ? EI_TYPE_Q8_1 : EI_TYPE_Q8_0, n);
    __m256 acc[MAX_NC];
    for (int c = 0; c < NC; c++) acc[c] = _mm256_setzero_ps();
    for (int64_t b = 0; b < nb; b++) {
        const uint8_t *blk = group + (size_t)b * bb;
        prefetch_block(blk, bb, h);
        __m256i isum[MAX_NC], x = _mm256_setzero_si256();
        const __m256i hb = load(blk + units + 256 + 32 * h); /* the fifth bits */
        for (int c = 0; c < NC; c++) isum[c] = _mm256_setzero_si256();
        for (int g0 = 0; g0 < 8; g0 += 4) {
            __m256i s16[MAX_NC];
            for (int c = 0; c < NC; c++) s16[c] = _mm256_setzero_si256();
            for (int g = g0; g < g0 + 4; g++) {
                if (!(g & 1)) x = load(blk + units + 64 * (g >> 1) + 32 * h);
                const __m256i w = q5_unit(x, hb, g);
                for (int c = 0; c < NC; c++) {
                    const __m256i av = bcast32((const int8_t *)(a + (size_t)c * as + l.qs) + 32 * b + 4 * g);
                    s16[c] = _mm256_add_epi16(s16[c], _mm256_maddubs_epi16(w, av));
                }
            }
            for (int c = 0; c < NC; c++) isum[c] = _mm256_add_epi32(isum[c], _mm256_madd_epi16(s16[c], ones16()));
        }
        const __m256 dw = f16x8(blk + 16 * h);
        for (int c = 0; c < NC; c++) {
            const char *row = a + (size_t)c * as;
            __m256i is = isum[c];
            if (!one) is = _mm256_add_epi32(is, _mm256_set1_epi32(-16 * ((const int32_t *)(row + extra))[b]));
            const float da = ((const float *)(row + l.ds))[2 * b];
            acc[c] = _mm256_fmadd_ps(_mm256_mul_ps(dw, _mm256_set1_ps(da)), _mm256_cvtepi32_ps(is), acc[c]);
            if (one) acc[c] = _mm256_fmadd_ps(f16x8(blk + 32 + 16 * h), _mm256_set1_ps(((const float *)(row + l.ds))[2 * b + 1]), acc[c]);
        }
    }
    for (int c = 0; c < NC; c++) _mm256_storeu_ps(y + (size_t)c * ys + 8 * h, acc[c]);
}

/* Q4_0 and Q4_1, both halves at once: each activation broadcast serves the
 * 16 rows (the 4-bit codes of both halves fit the registers, with four
 * activation rows). */
AI void group_q4(ei_type T, int64_t n, const uint8_t *group, const char *a, size_t as, const int NC, float *y,
                 size_t ys) {
    const size_t bb = ei_pack_block_bytes(T);
    const int64_t nb = n / 32;
    const ei_type act = T == EI_TYPE_Q4_1 ? EI_TYPE_Q8_1 : EI_TYPE_Q8_0;
    const ei_q8_layout l = ei_q8_layout_of(T == EI_TYPE_Q4_1 ? sizeof(block_q8_1) : sizeof(block_q8_0), n);
    const size_t extra = ei_vec_dot_act_row_bytes(act, n);
    const size_t units = T == EI_TYPE_Q4_1 ? 64 : 32;
    __m256 acc[2][MAX_NC];
    for (int c = 0; c < NC; c++) acc[0][c] = acc[1][c] = _mm256_setzero_ps();
    for (int64_t b = 0; b < nb; b++) {
        const uint8_t *blk = group + (size_t)b * bb;
        prefetch_block(blk, bb, 0);
        __m256i s16[2][MAX_NC], x0 = _mm256_setzero_si256(), x1 = x0;
        for (int c = 0; c < NC; c++) s16[0][c] = s16[1][c] = _mm256_setzero_si256();
        for (int g = 0; g < 8; g++) { /* all eight value units in 16 bits */
            if (!(g & 1)) {
                x0 = load(blk + units + 64 * (g >> 1));
                x1 = load(blk + units + 64 * (g >> 1) + 32);
            }
            const __m256i w0 = g & 1 ? hi4(x0) : lo4(x0), w1 = g & 1 ? hi4(x1) : lo4(x1);
            for (int c = 0; c < NC; c++) {
                const __m256i av = bcast32((const int8_t *)(a + (size_t)c * as + l.qs) + 32 * b + 4 * g);
                s16[0][c] = _mm256_add_epi16(s16[0][c], _mm256_maddubs_epi16(w0, av));
                s16[1][c] = _mm256_add_epi16(s16[1][c], _mm256_maddubs_epi16(w1, av));
            }
        }
        for (int h = 0; h < 2; h++) {
            const __m256 dw = f16x8(blk + 16 * h);
            for (int c = 0; c < NC; c++) {
                const char *row = a + (size_t)c * as;
                __m256i isum = _mm256_madd_epi16(s16[h][c], ones16());
                if (T == EI_TYPE_Q4_0) isum = _mm256_add_epi32(isum, _mm256_set1_epi32(-8 * ((const int32_t *)(row + extra))[b]));
                const float da = ((const float *)(row + l.ds))[2 * b];
                acc[h][c] = _mm256_fmadd_ps(_mm256_mul_ps(dw, _mm256_set1_ps(da)), _mm256_cvtepi32_ps(isum), acc[h][c]);
                if (T == EI_TYPE_Q4_1)
                    acc[h][c] = _mm256_fmadd_ps(f16x8(blk + 32 + 16 * h),
                                                _mm256_set1_ps(((const float *)(row + l.ds))[2 * b + 1]), acc[h][c]);
            }
        }
    }
    for (int h = 0; h < 2; h++)
        for (int c = 0; c < NC; c++) _mm256_storeu_ps(y + (size_t)c * ys + 8 * h, acc[h][c]);
}

/* Q8_0, both halves at once (one broadcast serves 16 rows): the codes
 * (w + 128) turned back into signed values, |w| times a with w's sign,
 * widened unit by unit (a unit's pairs can reach 2 * 128 * 128). */
AI void group_q8_0(int64_t n, const uint8_t *group, const char *a, size_t as, const int NC, float *y, size_t ys) {
    const size_t bb = ei_pack_block_bytes(EI_TYPE_Q8_0);
    const int64_t nb = n / 32;
    const ei_q8_layout l = ei_q8_layout_of(sizeof(block_q8_0), n);
    __m256 acc[2][MAX_NC];
    for (int c = 0; c < NC; c++) acc[0][c] = acc[1][c] = _mm256_setzero_ps();
    for (int64_t b = 0; b < nb; b++) {
        const uint8_t *blk = group + (size_t)b * bb;
        prefetch_block(blk, bb, 0);
        __m256i isum[2][MAX_NC];
        for (int c = 0; c < NC; c++) isum[0][c] = isum[1][c] = _mm256_setzero_si256();
        for (int u = 0; u < 8; u++) {
            const __m256i w0 = _mm256_xor_si256(load(blk + 32 + 64 * u), _mm256_set1_epi8((char)0x80));
            const __m256i w1 = _mm256_xor_si256(load(blk + 32 + 64 * u + 32), _mm256_set1_epi8((char)0x80));
            const __m256i aw0 = _mm256_abs_epi8(w0), aw1 = _mm256_abs_epi8(w1);
            for (int c = 0; c < NC; c++) {
                const __m256i av = bcast32((const int8_t *)(a + (size_t)c * as + l.qs) + 32 * b + 4 * u);
                const __m256i p0 = _mm256_maddubs_epi16(aw0, _mm256_sign_epi8(av, w0));
                const __m256i p1 = _mm256_maddubs_epi16(aw1, _mm256_sign_epi8(av, w1));
                isum[0][c] = _mm256_add_epi32(isum[0][c], _mm256_madd_epi16(p0, ones16()));
                isum[1][c] = _mm256_add_epi32(isum[1][c], _mm256_madd_epi16(p1, ones16()));
            }
        }
        for (int h = 0; h < 2; h++) {
            const __m256 dw = f16x8(blk + 16 * h);
            for (int c = 0; c < NC; c++) {
                const float da = ((const float *)(a + (size_t)c * as + l.ds))[2 * b];
                acc[h][c] = _mm256_fmadd_ps(_mm256_mul_ps(dw, _mm256_set1_ps(da)), _mm256_cvtepi32_ps(isum[h][c]), acc[h][c]);
            }
        }
    }
    for (int h = 0; h < 2; h++)
        for (int c = 0; c < NC; c++) _mm256_storeu_ps(y + (size_t)c * ys + 8 * h, acc[h][c]);
}

/* ---- IQ4_NL and MXFP4 against Q8_0 ------------------------------------------------------- */

/* The 16 levels of IQ4_NL (signed) in both 128-bit lanes, for a byte shuffle. */
AI __m256i iq4nl_levels(void) { return _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)ei_kvalues_iq4nl)); }

/* Eight E8M0 exponents (one per row) as ei_e8m0_half gives them: 2^(e - 128),
 * the two smallest as subnormals. */
AI __m256 e8m0_half8(const uint8_t *p) {
    const __m256i e = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)p));
    const __m256i normal = _mm256_slli_epi32(_mm256_sub_epi32(e, _mm256_set1_epi32(1)), 23);
    const __m256i subnormal = _mm256_sllv_epi32(_mm256_set1_epi32(0x00200000), e);
    return _mm256_castsi256_ps(_mm256_blendv_epi8(normal, subnormal, _mm256_cmpgt_epi32(_mm256_set1_epi32(2), e)));
}

/* IQ4_NL and MXFP4, both halves at once: a unit's codes are looked up in
 * the 16 levels by one shuffle that serves every column. IQ4_NL's levels
 * (-127..113) take Q8_0's sign trick unit by unit (a pair of products can
 * reach 2 * 127 * 127); MXFP4's doubled FP4 levels (-12..12) are looked up
 * plus 12, as unsigned codes, summed four units at a time in 16 bits
 * (4 * 2 * 24 * 128 < 32768), and the 12 taken off through the block's
 * activation sum, as Q4_0's 8. */
AI void group_nl(ei_type T, int64_t n, const uint8_t *group, const char *a, size_t as, const int NC, float *y,
                 size_t ys) {
    const bool mx = T == EI_TYPE_MXFP4;
    const size_t bb = ei_pack_block_bytes(T), units = mx ? 16 : 32;
    const int64_t nb = n / 32;
    const ei_q8_layout l = ei_q8_layout_of(sizeof(block_q8_0), n);
    const size_t extra = ei_vec_dot_act_row_bytes(EI_TYPE_Q8_0, n);
    const __m256i levels = mx ? _mm256_setr_epi8(12, 13, 14, 15, 16, 18, 20, 24, 12, 11, 10, 9, 8, 6, 4, 0, 12, 13, 14,
                                                 15, 16, 18, 20, 24, 12, 11, 10, 9, 8, 6, 4, 0)
                              : iq4nl_levels();
    __m256 acc[2][MAX_NC];
    for (int h = 0; h < 2; h++)
        for (int c = 0; c < NC; c++) acc[h][c] = _mm256_setzero_ps();
    for (int64_t b = 0; b < nb; b++) {
        const uint8_t *blk = group + (size_t)b * bb;
        prefetch_block(blk, bb, 0);
        __m256i isum[2][MAX_NC], x[2] = {_mm256_setzero_si256(), _mm256_setzero_si256()};
        for (int h = 0; h < 2; h++)
            for (int c = 0; c < NC; c++) isum[h][c] = _mm256_setzero_si256();
        for (int g0 = 0; g0 < 8; g0 += 4) {
            __m256i s16[2][MAX_NC];
            for (int h = 0; h < 2; h++)
                for (int c = 0; c < NC; c++) s16[h][c] = _mm256_setzero_si256();
            for (int g = g0; g < g0 + 4; g++) {
                __m256i w[2], aw[2];
                for (int h = 0; h < 2; h++) {
                    if (!(g & 1)) x[h] = load(blk + units + 64 * (g >> 1) + 32 * h);
                    w[h] = _mm256_shuffle_epi8(levels, g & 1 ? hi4(x[h]) : lo4(x[h]));
                    aw[h] = _mm256_abs_epi8(w[h]);
                }
                for (int c = 0; c < NC; c++) {
                    const __m256i av = bcast32((const int8_t *)(a + (size_t)c * as + l.qs) + 32 * b + 4 * g);
                    for (int h = 0; h < 2; h++) {
                        if (mx) s16[h][c] = _mm256_add_epi16(s16[h][c], _mm256_maddubs_epi16(w[h], av));
                        else {
                            const __m256i p = _mm256_maddubs_epi16(aw[h], _mm256_sign_epi8(av, w[h]));
                            isum[h][c] = _mm256_add_epi32(isum[h][c], _mm256_madd_epi16(p, ones16()));
                        }
                    }
                }
            }
            if (mx)
                for (int h = 0; h < 2; h++)
                    for (int c = 0; c < NC; c++) isum[h][c] = _mm256_add_epi32(isum[h][c], _mm256_madd_epi16(s16[h][c], ones16()));
        }
        for (int h = 0; h < 2; h++) {
            const __m256 dw = mx ? e8m0_half8(blk + 8 * h) : f16x8(blk + 16 * h);
            for (int c = 0; c < NC; c++) {
                const char *row = a + (size_t)c * as;
                __m256i is = isum[h][c];
                if (mx) is = _mm256_add_epi32(is, _mm256_set1_epi32(-12 * ((const int32_t *)(row + extra))[b]));
                const float da = ((const float *)(row + l.ds))[2 * b];
                acc[h][c] = _mm256_fmadd_ps(_mm256_mul_ps(dw, _mm256_set1_ps(da)), _mm256_cvtepi32_ps(is), acc[h][c]);
            }
        }
    }
    for (int h = 0; h < 2; h++)
        for (int c = 0; c < NC; c++) _mm256_storeu_ps(y + (size_t)c * ys + 8 * h, acc[h][c]);
}

/* IQ4_XS against Q8_K: halves H0 .. H0 + NH - 1 (both: NH = 2, H0 = 0).
 * IQ4_NL's levels and sign trick; each unit's products are widened by
 * their rows' sub-block scales (madd against the scale pairs). */
AI void group_xs(int64_t n, const uint8_t *group, const int H0, const int NH, const char *a, size_t as, const int NC,
                 float *y, size_t ys) {
    const size_t bb = ei_pack_block_bytes(EI_TYPE_IQ4_XS);
    const int64_t nb = n / QK_K;
    const __m256i levels = iq4nl_levels();
    __m256 acc[2][MAX_NC];
    for (int h = 0; h < NH; h++)
        for (int c = 0; c < NC; c++) acc[h][c] = _mm256_setzero_ps();
    for (int64_t b = 0; b < nb; b++) {
        const uint8_t *blk = group + (size_t)b * bb;
        __m256i isum[2][MAX_NC];
        for (int h = 0; h < NH; h++)
            for (int c = 0; c < NC; c++) isum[h][c] = _mm256_setzero_si256();
        for (int j = 0; j < 8; j++) {
            if (H0 == 0) pack_prefetch_part(blk, bb, j, 8);
            __m256i x[2] = {_mm256_setzero_si256(), _mm256_setzero_si256()}, sc[2];
            for (int h = 0; h < NH; h++) sc[h] = scale_pairs_i8(blk + 32 + 16 * j + 8 * (H0 + h));
            for (int g = 0; g < 8; g++) {
                __m256i w[2], aw[2];
                for (int h = 0; h < NH; h++) {
                    if (!(g & 1)) x[h] = load(blk + 160 + 64 * (4 * j + (g >> 1)) + 32 * (H0 + h));
                    w[h] = _mm256_shuffle_epi8(levels, g & 1 ? hi4(x[h]) : lo4(x[h]));
                    aw[h] = _mm256_abs_epi8(w[h]);
                }
                for (int c = 0; c < NC; c++) {
                    const __m256i av = bcast32(((const block_q8_K *)(a + (size_t)c * as))[b].qs + 32 * j + 4 * g);
                    for (int h = 0; h < NH; h++) {
                        const __m256i p = _mm256_maddubs_epi16(aw[h], _mm256_sign_epi8(av, w[h]));
                        isum[h][c] = _mm256_add_epi32(isum[h][c], _mm256_madd_epi16(p, sc[h]));
                    }
                }
            }
        }
        for (int h = 0; h < NH; h++) {
            const __m256 dw = f16x8(blk + 16 * (H0 + h));
            for (int c = 0; c < NC; c++) {
                const float da = ((const block_q8_K *)(a + (size_t)c * as))[b].d;
                acc[h][c] = _mm256_fmadd_ps(_mm256_mul_ps(dw, _mm256_set1_ps(da)), _mm256_cvtepi32_ps(isum[h][c]), acc[h][c]);
            }
        }
    }
    for (int h = 0; h < NH; h++)
        for (int c = 0; c < NC; c++) _mm256_storeu_ps(y + (size_t)c * ys + 8 * (H0 + h), acc[h][c]);
}

/* ---- Q4_K and Q6_K against Q8_K ---------------------------------------------------------- */

/* Q4_K and Q5_K (Q4_K's fields, and a fifth bit per value packed as
 * Q5_0's): halves H0 .. H0 + NH - 1 of a group (both: NH = 2, H0 = 0).
 * A sub-block's eight units are summed in 16 bits for 4-bit codes, four
 * at a time for 5-bit ones. */
AI void group_k4(ei_type T, int64_t n, const uint8_t *group, const int H0, const int NH, const char *a, size_t as,
                 const int NC, float *y, size_t ys) {
    const bool five = T == EI_TYPE_Q5_K;
    const int G = five ? 4 : 8; /* units per 16-bit sum */
    const size_t bb = ei_pack_block_bytes(T), hi = 320 + 2048;
    const int64_t nb = n / QK_K;
    const size_t extra = ei_vec_dot_act_row_bytes(EI_TYPE_Q8_K, n);
    __m256 acc[2][MAX_NC];
    for (int h = 0; h < NH; h++)
        for (int c = 0; c < NC; c++) acc[h][c] = _mm256_setzero_ps();
    for (int64_t b = 0; b < nb; b++) {
        const uint8_t *blk = group + (size_t)b * bb;
        __m256i isum[2][MAX_NC];
        for (int h = 0; h < NH; h++)
            for (int c = 0; c < NC; c++) isum[h][c] = _mm256_setzero_si256();
        for (int j = 0; j < 8; j++) {
            if (H0 == 0) pack_prefetch_part(blk, bb, j, 8);
            __m256i x[2] = {_mm256_setzero_si256(), _mm256_setzero_si256()}, hb[2] = {x[0], x[1]}, sc[2];
            for (int h = 0; h < NH; h++) {
                if (five) hb[h] = load(blk + hi + 64 * j + 32 * (H0 + h));
                sc[h] = scale_pairs_u8(blk + 64 + 16 * j + 8 * (H0 + h));
            }
            for (int g0 = 0; g0 < 8; g0 += G) {
                __m256i s16[2][MAX_NC];
                for (int h = 0; h < NH; h++)
                    for (int c = 0; c < NC; c++) s16[h][c] = _mm256_setzero_si256();
                for (int g = g0; g < g0 + G; g++) {
                    __m256i w[2];
                    for (int h = 0; h < NH; h++) {
                        if (!(g & 1)) x[h] = load(blk + 320 + 64 * (4 * j + (g >> 1)) + 32 * (H0 + h));
                        w[h] = five ? q5_unit(x[h], hb[h], g) : g & 1 ? hi4(x[h]) : lo4(x[h]);
                    }
                    for (int c = 0; c < NC; c++) {
                        const __m256i av = bcast32(((const block_q8_K *)(a + (size_t)c * as))[b].qs + 32 * j + 4 * g);
                        for (int h = 0; h < NH; h++) s16[h][c] = _mm256_add_epi16(s16[h][c], _mm256_maddubs_epi16(w[h], av));
                    }
                }
                for (int h = 0; h < NH; h++)
                    for (int c = 0; c < NC; c++) isum[h][c] = _mm256_add_epi32(isum[h][c], _mm256_madd_epi16(s16[h][c], sc[h]));
            }
        }
        for (int h = 0; h < NH; h++) {
            const int hh = H0 + h;
            const __m256 dw = f16x8(blk + 16 * hh), dmin = f16x8(blk + 32 + 16 * hh);
            __m256i mp[4]; /* (m[2p], m[2p+1]) of each row as 16-bit pairs */
            for (int p = 0; p < 4; p++)
                mp[p] = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(blk + 192 + 32 * p + 16 * hh)));
            for (int c = 0; c < NC; c++) {
                const char *row = a + (size_t)c * as;
                const int16_t *sum32 = (const int16_t *)(row + extra) + 8 * b;
                __m256i imin = _mm256_setzero_si256();
                for (int p = 0; p < 4; p++) imin = _mm256_add_epi32(imin, _mm256_madd_epi16(mp[p], bcast32(sum32 + 2 * p)));
                const __m256 da = _mm256_set1_ps(((const block_q8_K *)row)[b].d);
                acc[h][c] = _mm256_fmadd_ps(_mm256_mul_ps(dw, da), _mm256_cvtepi32_ps(isum[h][c]), acc[h][c]);
                acc[h][c] = _mm256_fnmadd_ps(_mm256_mul_ps(dmin, da), _mm256_cvtepi32_ps(imin), acc[h][c]);
            }
        }
    }
    for (int h = 0; h < NH; h++)
        for (int c = 0; c < NC; c++) _mm256_storeu_ps(y + (size_t)c * ys + 8 * (H0 + h), acc[h][c]);
}

/* Q2_K and Q3_K: halves H0 .. H0 + NH - 1 of a group. A sub-block of 16
 * values is one unit of 2-bit codes (four per byte); Q3_K adds a third bit
 * per value, packed as Q5_0's fifth bits (two sub-blocks per unit). A
 * sub-block's four maddubs are summed in 16 bits and widened by its scale
 * (Q3_K's signed). Against the activation's 16-value sums (bsums): Q2_K's
 * minimums, Q3_K's offset of 4 (as Q6_K's 32). */
AI void group_k16(ei_type T, int64_t n, const uint8_t *group, const int H0, const int NH, const char *a, size_t as,
                  const int NC, float *y, size_t ys) {
    const bool three = T == EI_TYPE_Q3_K;
    const size_t bb = ei_pack_block_bytes(T), sc_at = three ? 32 : 64, lo_at = three ? 288 : 320, hi_at = 288 + 1024;
    const int64_t nb = n / QK_K;
    const __m256i m3 = _mm256_set1_epi8(3);
    const __m128i m15 = _mm_set1_epi8(0x0F);
    __m256 acc[2][MAX_NC];
    for (int h = 0; h < NH; h++)
        for (int c = 0; c < NC; c++) acc[h][c] = _mm256_setzero_ps();
    for (int64_t b = 0; b < nb; b++) {
        const uint8_t *blk = group + (size_t)b * bb;
        __m256i isum[2][MAX_NC];
        for (int h = 0; h < NH; h++)
            for (int c = 0; c < NC; c++) isum[h][c] = _mm256_setzero_si256();
        for (int j = 0; j < 16; j++) {
            if (H0 == 0) pack_prefetch_part(blk, bb, j, 16);
            __m256i x[2], hb[2] = {_mm256_setzero_si256(), _mm256_setzero_si256()}, sc[2];
            for (int h = 0; h < NH; h++) {
                x[h] = load(blk + lo_at + 64 * j + 32 * (H0 + h));
                if (three) hb[h] = load(blk + hi_at + 64 * (j / 2) + 32 * (H0 + h));
                const uint8_t *sp = blk + sc_at + 16 * j + 8 * (H0 + h);
                if (three) sc[h] = scale_pairs_i8(sp);
                else { /* Q2_K's scale is the low nibble of its scale|min byte */
                    const __m256i s = _mm256_cvtepu8_epi32(_mm_and_si128(_mm_loadl_epi64((const __m128i *)sp), m15));
                    sc[h] = _mm256_or_si256(s, _mm256_slli_epi32(s, 16));
                }
            }
            __m256i s16[2][MAX_NC];
            for (int t = 0; t < 4; t++) {
                const int g = 4 * (j % 2) + t; /* Q3_K: the bit of hb for these values */
                __m256i w[2];
                for (int h = 0; h < NH; h++) {
                    w[h] = _mm256_and_si256(t ? _mm256_srli_epi16(x[h], 2 * t) : x[h], m3);
                    if (three) w[h] = _mm256_or_si256(w[h], bit_to(hb[h], g, 2));
                }
                for (int c = 0; c < NC; c++) {
                    const __m256i av = bcast32(((const block_q8_K *)(a + (size_t)c * as))[b].qs + 16 * j + 4 * t);
                    for (int h = 0; h < NH; h++) {
                        const __m256i p = _mm256_maddubs_epi16(w[h], av);
                        s16[h][c] = t ? _mm256_add_epi16(s16[h][c], p) : p;
                    }
                }
            }
            for (int h = 0; h < NH; h++)
                for (int c = 0; c < NC; c++) isum[h][c] = _mm256_add_epi32(isum[h][c], _mm256_madd_epi16(s16[h][c], sc[h]));
        }
        for (int h = 0; h < NH; h++) {
            const int hh = H0 + h;
            const __m256 dw = f16x8(blk + 16 * hh);
            __m256i pr[8]; /* per row, 16-bit pairs of sub-blocks 2p, 2p+1: Q2_K's minimums, Q3_K's scales */
            for (int p = 0; p < 8; p++) {
                const __m128i u = sub_block_pairs(blk + sc_at, hh, p);
                pr[p] = three ? _mm256_cvtepi8_epi16(u) : _mm256_cvtepu8_epi16(_mm_and_si128(_mm_srli_epi16(u, 4), m15));
            }
            for (int c = 0; c < NC; c++) {
                const block_q8_K *ab = (const block_q8_K *)(a + (size_t)c * as) + b;
                __m256i corr = _mm256_setzero_si256();
                for (int p = 0; p < 8; p++) corr = _mm256_add_epi32(corr, _mm256_madd_epi16(pr[p], bcast32(ab->bsums + 2 * p)));
                const __m256 da = _mm256_set1_ps(ab->d);
                if (three) {
                    const __m256i is = _mm256_sub_epi32(isum[h][c], _mm256_slli_epi32(corr, 2));
                    acc[h][c] = _mm256_fmadd_ps(_mm256_mul_ps(dw, da), _mm256_cvtepi32_ps(is), acc[h][c]);
                } else {
                    acc[h][c] = _mm256_fmadd_ps(_mm256_mul_ps(dw, da), _mm256_cvtepi32_ps(isum[h][c]), acc[h][c]);
                    acc[h][c] = _mm256_fnmadd_ps(_mm256_mul_ps(f16x8(blk + 32 + 16 * hh), da), _mm256_cvtepi32_ps(corr), acc[h][c]);
                }
            }
        }
    }
    for (int h = 0; h < NH; h++)
        for (int c = 0; c < NC; c++) _mm256_storeu_ps(y + (size_t)c * ys + 8 * (H0 + h), acc[h][c]);
}

/* Half h (rows 8h..8h+7) of Q6_K super-block b, added to acc[0..NC). */
AI void half_block_q6_K(const uint8_t *blk, int64_t b, int h, const char *a, size_t as, const int NC, __m256 *acc) {
    const __m256i m4 = _mm256_set1_epi8(0x0F), m30 = _mm256_set1_epi8(0x30);
    __m256i isum[MAX_NC];
    for (int c = 0; c < NC; c++) isum[c] = _mm256_setzero_si256();
    for (int j = 0; j < 16; j++) {
        if (h == 0) pack_prefetch_part(blk, ei_pack_block_bytes(EI_TYPE_Q6_K), j, 16);
        const __m256i sc = scale_pairs_i8(blk + 32 + 16 * j + 8 * h);
        const __m256i L0 = load(blk + 288 + 128 * j + 32 * h), L1 = load(blk + 288 + 128 * j + 64 + 32 * h);
        const __m256i H = load(blk + 288 + 2048 + 64 * j + 32 * h);
        /* codes 0..63: low nibble | two high bits at 4..5 */
        const __m256i W[4] = {
            _mm256_or_si256(_mm256_and_si256(L0, m4), _mm256_and_si256(_mm256_slli_epi16(H, 4), m30)),
            _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(L0, 4), m4),
                            _mm256_and_si256(_mm256_slli_epi16(H, 2), m30)),
            _mm256_or_si256(_mm256_and_si256(L1, m4), _mm256_and_si256(H, m30)),
            _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(L1, 4), m4),
                            _mm256_and_si256(_mm256_srli_epi16(H, 2), m30)),
        };
        for (int c = 0; c < NC; c++) {
            const int8_t *qa = ((const block_q8_K *)(a + (size_t)c * as))[b].qs + 16 * j;
            const __m256i s0 = _mm256_add_epi16(_mm256_maddubs_epi16(W[0], bcast32(qa)),
                                                _mm256_maddubs_epi16(W[1], bcast32(qa + 4)));
            const __m256i s1 = _mm256_add_epi16(_mm256_maddubs_epi16(W[2], bcast32(qa + 8)),
                                                _mm256_maddubs_epi16(W[3], bcast32(qa + 12)));
            isum[c] = _mm256_add_epi32(isum[c], _mm256_add_epi32(_mm256_madd_epi16(s0, sc), _mm256_madd_epi16(s1, sc)));
        }
    }
    /* the codes' offset of 32: minus 32 * sum over j of sc_j * bsums_j */
    __m256i scp[8]; /* (sc[2p], sc[2p+1]) of each row as 16-bit pairs */
    for (int p = 0; p < 8; p++) scp[p] = _mm256_cvtepi8_epi16(sub_block_pairs(blk + 32, h, p));
    const __m256 dw = f16x8(blk + 16 * h);
    for (int c = 0; c < NC; c++) {
        const block_q8_K *ab = (const block_q8_K *)(a + (size_t)c * as) + b;
        __m256i sb = _mm256_setzero_si256();
        for (int p = 0; p < 8; p++) sb = _mm256_add_epi32(sb, _mm256_madd_epi16(scp[p], bcast32(ab->bsums + 2 * p)));
        isum[c] = _mm256_sub_epi32(isum[c], _mm256_slli_epi32(sb, 5));
        acc[c] = _mm256_fmadd_ps(_mm256_mul_ps(dw, _mm256_set1_ps(ab->d)), _mm256_cvtepi32_ps(isum[c]), acc[c]);
    }
}

/* Both halves of each super-block before the next one (the unpacked halves
 * would not fit the 16 registers together): the group streams from memory
 * without a pause, which one pass per half over the whole group left
 * (the second pass read only cache, and memory idled: packed at 65 % of a
 * plain read's bandwidth with one column, tests/microbench/gemv_stream.c). */
AI void group_q6_K(int64_t n, const uint8_t *group, const char *a, size_t as, const int NC, float *y, size_t ys) {
    const size_t bb = ei_pack_block_bytes(EI_TYPE_Q6_K);
    const int64_t nb = n / QK_K;
    __m256 acc[2][MAX_NC];
    for (int h = 0; h < 2; h++)
        for (int c = 0; c < NC; c++) acc[h][c] = _mm256_setzero_ps();
    for (int64_t b = 0; b < nb; b++) {
        const uint8_t *blk = group + (size_t)b * bb;
        for (int h = 0; h < 2; h++) half_block_q6_K(blk, b, h, a, as, NC, acc[h]);
    }
    for (int h = 0; h < 2; h++)
        for (int c = 0; c < NC; c++) _mm256_storeu_ps(y + (size_t)c * ys + 8 * h, acc[h][c]);
}

/* One function per (type, column count), the count a constant so that the
 * loops over columns unroll and the accumulators stay in registers; more
 * than MAX_NC columns go MAX_NC at a time. */
#define TILE_FNS(name, call)                                                                                       \
    TG static void name##_cols(int64_t n, const uint8_t *g, const char *a, size_t as, int nc, float *y, size_t ys) { \
        switch (nc) {                                                                                              \
        case 1: call(1); break;                                                                                    \
        case 2: call(2); break;                                                                                    \
        case 3: call(3); break;                                                                                    \
        default: call(4); break;                                                                                   \
        }                                                                                                          \
    }                                                                                                              \
    TG static void name(int64_t n, const void *g, const void *a, size_t as, int nc, float *y, size_t ys) {         \
        for (int c = 0; c < nc; c += MAX_NC)                                                                       \
            name##_cols(n, g, (const char *)a + (size_t)c * as, as, nc - c < MAX_NC ? nc - c : MAX_NC,             \
                        y + (size_t)c * ys, ys);                                                                   \
    }

#define HALVES(call) for (int h = 0; h < 2; h++) call
/* Q4_K and Q5_0: both halves per pass up to 3 columns (one broadcast serves
 * 16 rows), one half per pass for 4, whose three sets of accumulators
 * (float, 32-bit and 16-bit sums of 16 rows) would not fit the 16
 * registers: tests/microbench/packed_bench.c, 4 columns, best of four runs:
 * Q4_K 2048 x 768 21.2 instead of 22.7 us per column (3 columns: 23.5
 * against 22.2, so both halves), Q5_0 2048 x 640 21.4 instead of 25.6.
 * Q5_K (its fifth bits take two more registers) both halves for one column
 * only: 2048 x 768, 2 columns 62.5 against 70 us, 3 columns 80 against 85;
 * Q2_K likewise (2 columns 48 against 53 us, 3 and 4 within 1-5 %). Q3_K
 * both halves for every count (2 columns 60 against 66 us, 4: 99 against
 * 104). IQ4_NL and MXFP4 both halves for every count (one half per pass
 * was 0-8 % slower at 3 and 4 columns); IQ4_XS both up to 2 columns (one
 * half per pass at 3: 29 against 31.5 us per column, at 4: 27.3 against 28.1). */
#define CALL_Q80(NC) group_q8_0(n, g, a, as, NC, y, ys)
#define CALL_Q40(NC) group_q4(EI_TYPE_Q4_0, n, g, a, as, NC, y, ys)
#define CALL_Q41(NC) group_q4(EI_TYPE_Q4_1, n, g, a, as, NC, y, ys)
#define CALL_Q50(NC)                                                                                           \
    if (NC < 4) group_q5(EI_TYPE_Q5_0, n, g, a, as, NC, y, ys);                                                \
    else HALVES(half_q5(EI_TYPE_Q5_0, n, g, h, a, as, NC, y, ys))
#define CALL_Q51(NC)                                                                                           \
    if (NC < 4) group_q5(EI_TYPE_Q5_1, n, g, a, as, NC, y, ys);                                                \
    else HALVES(half_q5(EI_TYPE_Q5_1, n, g, h, a, as, NC, y, ys))
#define CALL_Q4K(NC)                                                                                           \
    if (NC < 4) group_k4(EI_TYPE_Q4_K, n, g, 0, 2, a, as, NC, y, ys);                                          \
    else HALVES(group_k4(EI_TYPE_Q4_K, n, g, h, 1, a, as, NC, y, ys))
#define CALL_Q5K(NC)                                                                                           \
    if (NC < 2) group_k4(EI_TYPE_Q5_K, n, g, 0, 2, a, as, NC, y, ys);                                          \
    else HALVES(group_k4(EI_TYPE_Q5_K, n, g, h, 1, a, as, NC, y, ys))
#define CALL_Q2K(NC)                                                                                           \
    if (NC < 2) group_k16(EI_TYPE_Q2_K, n, g, 0, 2, a, as, NC, y, ys);                                         \
    else HALVES(group_k16(EI_TYPE_Q2_K, n, g, h, 1, a, as, NC, y, ys))
#define CALL_Q3K(NC) group_k16(EI_TYPE_Q3_K, n, g, 0, 2, a, as, NC, y, ys)
#define CALL_Q6K(NC) group_q6_K(n, g, a, as, NC, y, ys)
#define CALL_NL(NC) group_nl(EI_TYPE_IQ4_NL, n, g, a, as, NC, y, ys)
#define CALL_MX(NC) group_nl(EI_TYPE_MXFP4, n, g, a, as, NC, y, ys)
#define CALL_XS(NC)                                                                                            \
    if (NC < 3) group_xs(n, g, 0, 2, a, as, NC, y, ys);                                                 \
    else HALVES(group_xs(n, g, h, 1, a, as, NC, y, ys))
TILE_FNS(avx2_q8_0, CALL_Q80)
TILE_FNS(avx2_q4_0, CALL_Q40)
TILE_FNS(avx2_q4_1, CALL_Q41)
TILE_FNS(avx2_q5_0, CALL_Q50)
TILE_FNS(avx2_q5_1, CALL_Q51)
TILE_FNS(avx2_q2_K, CALL_Q2K)
TILE_FNS(avx2_q3_K, CALL_Q3K)
TILE_FNS(avx2_q4_K, CALL_Q4K)
TILE_FNS(avx2_q5_K, CALL_Q5K)
TILE_FNS(avx2_q6_K, CALL_Q6K)
TILE_FNS(avx2_iq4_nl, CALL_NL)
TILE_FNS(avx2_mxfp4, CALL_MX)
TILE_FNS(avx2_iq4_xs, CALL_XS)

ei_pack_kernel_fn ei_pack_kernel_avx2(ei_type t) {
    switch (t) {
    case EI_TYPE_Q8_0: return avx2_q8_0;
    case EI_TYPE_Q4_0: return avx2_q4_0;
    case EI_TYPE_Q4_1: return avx2_q4_1;
    case EI_TYPE_Q5_0: return avx2_q5_0;
    case EI_TYPE_Q5_1: return avx2_q5_1;
    case EI_TYPE_Q2_K: return avx2_q2_K;
    case EI_TYPE_Q3_K: return avx2_q3_K;
    case EI_TYPE_Q4_K: return avx2_q4_K;
    case EI_TYPE_Q5_K: return avx2_q5_K;
    case EI_TYPE_Q6_K: return avx2_q6_K;
    case EI_TYPE_IQ4_NL: return avx2_iq4_nl;
    case EI_TYPE_MXFP4: return avx2_mxfp4;
    case EI_TYPE_IQ4_XS: return avx2_iq4_xs;
    default: return NULL;
    }
}

#endif
