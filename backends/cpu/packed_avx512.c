/*
 * packed_avx512.c — the packed kernels (packed.h) for AVX-512 with VNNI.
 *
 * One 512-bit register holds four consecutive values of each of the 16
 * rows of a group (a "unit" of the packed layout, or a nibble half of
 * one); vpdpbusd multiplies them, as unsigned codes, by the same four
 * activation bytes broadcast to every lane and adds each row's four
 * products into its 32-bit lane. A weight register is loaded (and its
 * nibbles unpacked) once and serves NC activation rows. Integer sums per
 * block (sub-block for the K-quants) are exact; the float steps are the
 * canonical ones of packed.h, lane by lane, so every lane computes what
 * the scalar reference computes for its row.
 *
 * Offset codes (Q4_0's q - 8, Q8_0's w + 128, Q3_K's q - 4, IQ4_NL's and
 * IQ4_XS's levels + 128) are corrected with the activation's block or
 * sub-block sums. With one activation row the kernels of the large
 * K-quant blocks (Q2_K, Q3_K, Q5_K, Q6_K, IQ4_XS) prefetch (packed_prefetch.h);
 * the others streamed at the plain read's speed without it.
 *
 * Compiled for any x86-64 with per-function target attributes; used only
 * when the CPU has AVX512-VNNI (ei_pack_kernel_selected).
 */
#include "backends/cpu/packed.h"

#if defined(__x86_64__)

#include <immintrin.h>
#include <string.h>

#include "backends/cpu/packed_prefetch.h"
#include "backends/cpu/vec_dot.h"
#include "quant/blocks.h"

#define TARGET "avx512f,avx512bw,avx512vl,avx512vnni,avx2,fma,f16c"
#define AI static inline __attribute__((always_inline, target(TARGET)))
#define TG __attribute__((target(TARGET)))

AI __m512i load(const void *p) { return _mm512_loadu_si512(p); }
AI __m512i bcast32(const void *p) {
    int32_t v;
    memcpy(&v, p, 4);
    return _mm512_set1_epi32(v);
}
AI __m512 f16x16(const void *p) { return _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)p)); }
AI __m512i lo4(__m512i x) { return _mm512_and_si512(x, _mm512_set1_epi8(0x0F)); }
AI __m512i hi4(__m512i x) { return _mm512_and_si512(_mm512_srli_epi16(x, 4), _mm512_set1_epi8(0x0F)); }
/* The 8 code registers of a unit run (four 64-byte units of two nibbles:
 * values 8u + i low, 8u + 4 + i high, Q4_0's layout) */
AI void nibbles8(const uint8_t *units, __m512i W[8]) {
    for (int u = 0; u < 4; u++) {
        const __m512i x = load(units + 64 * u);
        W[2 * u] = lo4(x);
        W[2 * u + 1] = hi4(x);
    }
}

/* Q5_0's fifth bits (bit g of each byte of unit h) as 0x10 of code register g */
AI void or_fifth_bits(__m512i W[8], __m512i h) {
    const __m512i h4 = _mm512_slli_epi16(h, 4), m = _mm512_set1_epi8(0x10);
    for (int g = 0; g < 8; g++) {
        const __m512i x = g < 4 ? _mm512_srli_epi16(h4, (unsigned)g) : _mm512_srli_epi16(h, (unsigned)(g - 4));
        W[g] = _mm512_or_si512(W[g], _mm512_and_si512(x, m));
    }
}

/* IQ4_NL's 16 levels plus 128 (1..241: unsigned codes for vpdpbusd; the
 * 128 comes off through the activations' sums) in every 128-bit lane */
AI __m512i iq4nl_levels_u8(void) {
    const __m128i l = _mm_add_epi8(_mm_loadu_si128((const __m128i *)ei_kvalues_iq4nl), _mm_set1_epi8((char)0x80));
    return _mm512_broadcast_i32x4(l);
}

/* Sixteen E8M0 exponents (one per row) as ei_e8m0_half gives them: 2^(e - 128),
 * the two smallest as subnormals. */
AI __m512 e8m0_half16(const uint8_t *p) {
    const __m512i e = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)p));
    const __m512i normal = _mm512_slli_epi32(_mm512_sub_epi32(e, _mm512_set1_epi32(1)), 23);
    const __m512i subnormal = _mm512_sllv_epi32(_mm512_set1_epi32(0x00200000), e);
    return _mm512_castsi512_ps(_mm512_mask_blend_epi32(_mm512_cmplt_epi32_mask(e, _mm512_set1_epi32(2)), normal, subnormal));
}

/* MXFP4's doubled FP4 levels (-12..12) plus 12 in every 128-bit lane */
AI __m512i mxfp4_levels_u8(void) {
    return _mm512_broadcast_i32x4(_mm_setr_epi8(12, 13, 14, 15, 16, 18, 20, 24, 12, 11, 10, 9, 8, 6, 4, 0));
}

/* ---- Q4_0, Q8_0 against Q8_0 activations, Q4_1 against Q8_1 ------------------------------- */

AI void tile_q8f(ei_type T, int64_t n, const uint8_t *group, const char *a, size_t as, const int NC, float *y,
                 size_t ys) {
    const size_t bb = ei_pack_block_bytes(T);
    const int64_t nb = n / 32;
    const bool one = T == EI_TYPE_Q4_1 || T == EI_TYPE_Q5_1; /* m terms, Q8_1 activations */
    const ei_type act = one ? EI_TYPE_Q8_1 : EI_TYPE_Q8_0;
    const ei_q8_layout l = ei_q8_layout_of(one ? sizeof(block_q8_1) : sizeof(block_q8_0), n);
    const size_t extra = ei_vec_dot_act_row_bytes(act, n);
    const int off = T == EI_TYPE_Q8_0 || T == EI_TYPE_IQ4_NL ? 128
                    : T == EI_TYPE_MXFP4                     ? 12
                    : T == EI_TYPE_Q4_0                      ? 8
                    : T == EI_TYPE_Q5_0                      ? 16
                                                             : 0;
    const size_t units = one ? 64 : T == EI_TYPE_MXFP4 ? 16 : 32;
    __m512 acc[PACK_COLS];
    for (int c = 0; c < NC; c++) acc[c] = _mm512_setzero_ps();
    for (int64_t b = 0; b < nb; b++) {
        const uint8_t *blk = group + (size_t)b * bb;
        const __m512 dw = T == EI_TYPE_MXFP4 ? e8m0_half16(blk) : f16x16(blk);
        __m512i W[8];
        if (T == EI_TYPE_Q8_0) {
            for (int u = 0; u < 8; u++) W[u] = load(blk + units + 64 * u);
        } else {
            nibbles8(blk + units, W);
            if (T == EI_TYPE_IQ4_NL)
                for (int g = 0; g < 8; g++) W[g] = _mm512_shuffle_epi8(iq4nl_levels_u8(), W[g]);
            if (T == EI_TYPE_MXFP4)
                for (int g = 0; g < 8; g++) W[g] = _mm512_shuffle_epi8(mxfp4_levels_u8(), W[g]);
            if (T == EI_TYPE_Q5_0 || T == EI_TYPE_Q5_1) or_fifth_bits(W, load(blk + units + 256)); /* the unit after the nibbles */
        }
        for (int c = 0; c < NC; c++) {
            const char *row = a + (size_t)c * as;
            const int8_t *qa = (const int8_t *)(row + l.qs) + 32 * b;
            __m512i i0 = off ? _mm512_set1_epi32(-off * ((const int32_t *)(row + extra))[b]) : _mm512_setzero_si512();
            __m512i i1 = _mm512_setzero_si512();
            for (int g = 0; g < 8; g += 2) { /* two chains: shorter latency, same integers */
                i0 = _mm512_dpbusd_epi32(i0, W[g], bcast32(qa + 4 * g));
                i1 = _mm512_dpbusd_epi32(i1, W[g + 1], bcast32(qa + 4 * g + 4));
            }
            const float da = ((const float *)(row + l.ds))[2 * b];
            acc[c] = _mm512_fmadd_ps(_mm512_mul_ps(dw, _mm512_set1_ps(da)),
                                     _mm512_cvtepi32_ps(_mm512_add_epi32(i0, i1)), acc[c]);
            if (one)
                acc[c] = _mm512_fmadd_ps(f16x16(blk + 32), _mm512_set1_ps(((const float *)(row + l.ds))[2 * b + 1]), acc[c]);
        }
    }
    for (int c = 0; c < NC; c++) _mm512_storeu_ps(y + (size_t)c * ys, acc[c]);
}

/* ---- Q4_K, Q5_K and Q6_K against Q8_K activations ----------------------------------- */

/* Q5_K (T) is Q4_K's block with a unit of fifth bits per sub-block after
 * it, as Q5_0's (packed.h): codes 0..31, the same sums. */
AI void tile_q4_K(ei_type T, int64_t n, const uint8_t *group, const char *a, size_t as, const int NC, float *y,
                  size_t ys) {
    const size_t bb = ei_pack_block_bytes(T);
    const int64_t nb = n / QK_K;
    const size_t extra = ei_vec_dot_act_row_bytes(EI_TYPE_Q8_K, n);
    __m512 acc[PACK_COLS];
    for (int c = 0; c < NC; c++) acc[c] = _mm512_setzero_ps();
    for (int64_t b = 0; b < nb; b++) {
        const uint8_t *blk = group + (size_t)b * bb;
        __m512i isum[PACK_COLS];
        for (int c = 0; c < NC; c++) isum[c] = _mm512_setzero_si512();
        for (int j = 0; j < 8; j++) {
            if (T == EI_TYPE_Q5_K) pack_prefetch_part(blk, bb, j, 8); /* (see Q6_K's) */
            const __m512i sc = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(blk + 64 + 16 * j)));
            __m512i W[8];
            nibbles8(blk + 320 + 64 * 4 * j, W);
            if (T == EI_TYPE_Q5_K) or_fifth_bits(W, load(blk + 320 + 2048 + 64 * j)); /* sub-block j's unit */
            for (int c = 0; c < NC; c++) {
                const int8_t *qa = ((const block_q8_K *)(a + (size_t)c * as))[b].qs + 32 * j;
                __m512i i0 = _mm512_setzero_si512(), i1 = _mm512_setzero_si512();
                for (int g = 0; g < 8; g += 2) {
                    i0 = _mm512_dpbusd_epi32(i0, W[g], bcast32(qa + 4 * g));
                    i1 = _mm512_dpbusd_epi32(i1, W[g + 1], bcast32(qa + 4 * g + 4));
                }
                isum[c] = _mm512_add_epi32(isum[c], _mm512_mullo_epi32(_mm512_add_epi32(i0, i1), sc));
            }
        }
        const __m512 dw = f16x16(blk), dmin = f16x16(blk + 32);
        __m512i mp[4];
        for (int p = 0; p < 4; p++) mp[p] = _mm512_cvtepu8_epi16(_mm256_loadu_si256((const __m256i *)(blk + 192 + 32 * p)));
        for (int c = 0; c < NC; c++) {
            const char *row = a + (size_t)c * as;
            const int16_t *sum32 = (const int16_t *)(row + extra) + 8 * b;
            __m512i imin = _mm512_setzero_si512();
            for (int p = 0; p < 4; p++) imin = _mm512_dpwssd_epi32(imin, mp[p], bcast32(sum32 + 2 * p));
            const __m512 da = _mm512_set1_ps(((const block_q8_K *)row)[b].d);
            acc[c] = _mm512_fmadd_ps(_mm512_mul_ps(dw, da), _mm512_cvtepi32_ps(isum[c]), acc[c]);
            acc[c] = _mm512_fnmadd_ps(_mm512_mul_ps(dmin, da), _mm512_cvtepi32_ps(imin), acc[c]);
        }
    }
    for (int c = 0; c < NC; c++) _mm512_storeu_ps(y + (size_t)c * ys, acc[c]);
}

/* acc[c] += d_w * d_a * isum[c]: the end of super-block b of the K-quants
 * without minimum terms (Q3_K, Q6_K, IQ4_XS) */
AI void add_superblock(const uint8_t *blk, const char *a, size_t as, int64_t b, const int NC, const __m512i *isum,
                       __m512 *acc) {
    const __m512 dw = f16x16(blk);
    for (int c = 0; c < NC; c++) {
        const __m512 da = _mm512_set1_ps(((const block_q8_K *)(a + (size_t)c * as))[b].d);
        acc[c] = _mm512_fmadd_ps(_mm512_mul_ps(dw, da), _mm512_cvtepi32_ps(isum[c]), acc[c]);
    }
}

/* Q6_K, Q3_K and Q2_K: 16 sub-blocks of 16 values. Q6_K and Q3_K: signed
 * scales at byte 32, codes 0..63 (Q6_K, q = value + 32) or 0..7 (Q3_K,
 * q = value + 4), the offset off through the activation's 16-value sums;
 * Q6_K's low nibbles in Q4_0's units, two high bits per value in 2-bit
 * units; Q3_K's two low bits of value 16v + 4t + i in bits 2t..2t+1 of unit
 * v, the third in bit 4(v % 2) + t of unit v / 2 of the high part. Q2_K:
 * codes 0..3 in Q3_K's 2-bit units, the file's scale | min << 4 bytes at
 * byte 64, the minimum terms from the 16-value sums (packed.h). */
AI void tile_k16(ei_type T, int64_t n, const uint8_t *group, const char *a, size_t as, const int NC, float *y,
                 size_t ys) {
    const size_t bb = ei_pack_block_bytes(T);
    const int64_t nb = n / QK_K;
    const int off = T == EI_TYPE_Q6_K ? 32 : T == EI_TYPE_Q3_K ? 4 : 0;
    const __m512i m4 = _mm512_set1_epi8(0x0F), m30 = _mm512_set1_epi8(0x30);
    const __m512i m3 = _mm512_set1_epi8(0x03), m04 = _mm512_set1_epi8(0x04);
    __m512 acc[PACK_COLS];
    for (int c = 0; c < NC; c++) acc[c] = _mm512_setzero_ps();
    for (int64_t b = 0; b < nb; b++) {
        const uint8_t *blk = group + (size_t)b * bb;
        __m512i isum[PACK_COLS], imin[PACK_COLS];
        for (int c = 0; c < NC; c++) isum[c] = imin[c] = _mm512_setzero_si512();
        for (int j = 0; j < 16; j++) {
            /* These prefetch (packed_prefetch.h): gemv_stream on a Zen 4,
             * one row, product / plain read, medians: Q6_K 57-59 % without,
             * 89-94 % with; Q4_0, Q8_0 and Q4_K 94-100 % without and 2-6
             * points less with it (the hardware prefetchers keep up with
             * their shorter blocks), Q3_K 39-41 % without. */
            pack_prefetch_part(blk, bb, j, 16);
            __m512i sc, mj = _mm512_setzero_si512(), W[4];
            if (T == EI_TYPE_Q2_K) { /* scale | min << 4; codes 0..3 */
                const __m512i scm = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(blk + 64 + 16 * j)));
                sc = _mm512_and_si512(scm, _mm512_set1_epi32(15));
                mj = _mm512_srli_epi32(scm, 4);
                const __m512i L = load(blk + 320 + 64 * j);
                for (int t = 0; t < 4; t++) W[t] = _mm512_and_si512(_mm512_srli_epi16(L, (unsigned)(2 * t)), m3);
            } else {
                sc = _mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)(blk + 32 + 16 * j)));
            }
            if (T == EI_TYPE_Q6_K) { /* low nibble | two high bits at 4..5 */
                const __m512i L0 = load(blk + 288 + 128 * j), L1 = load(blk + 288 + 128 * j + 64);
                const __m512i H = load(blk + 288 + 2048 + 64 * j);
                W[0] = _mm512_or_si512(_mm512_and_si512(L0, m4), _mm512_and_si512(_mm512_slli_epi16(H, 4), m30));
                W[1] = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(L0, 4), m4),
                                       _mm512_and_si512(_mm512_slli_epi16(H, 2), m30));
                W[2] = _mm512_or_si512(_mm512_and_si512(L1, m4), _mm512_and_si512(H, m30));
                W[3] = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(L1, 4), m4),
                                       _mm512_and_si512(_mm512_srli_epi16(H, 2), m30));
            } else if (T == EI_TYPE_Q3_K) { /* two low bits | the third at 2 */
                const __m512i L = load(blk + 288 + 64 * j), H = load(blk + 288 + 1024 + 64 * (j / 2));
                for (int t = 0; t < 4; t++) {
                    const int k = 4 * (j % 2) + t; /* the third bit's position */
                    const __m512i hb = k >= 2 ? _mm512_srli_epi16(H, (unsigned)(k - 2)) : _mm512_slli_epi16(H, (unsigned)(2 - k));
                    W[t] = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(L, (unsigned)(2 * t)), m3), _mm512_and_si512(hb, m04));
                }
            }
            for (int c = 0; c < NC; c++) {
                const block_q8_K *ab = (const block_q8_K *)(a + (size_t)c * as) + b;
                const int8_t *qa = ab->qs + 16 * j;
                __m512i i0 = _mm512_set1_epi32(-off * ab->bsums[j]), i1 = _mm512_setzero_si512();
                i0 = _mm512_dpbusd_epi32(i0, W[0], bcast32(qa));
                i1 = _mm512_dpbusd_epi32(i1, W[1], bcast32(qa + 4));
                i0 = _mm512_dpbusd_epi32(i0, W[2], bcast32(qa + 8));
                i1 = _mm512_dpbusd_epi32(i1, W[3], bcast32(qa + 12));
                isum[c] = _mm512_add_epi32(isum[c], _mm512_mullo_epi32(_mm512_add_epi32(i0, i1), sc));
                if (T == EI_TYPE_Q2_K) imin[c] = _mm512_add_epi32(imin[c], _mm512_mullo_epi32(mj, _mm512_set1_epi32(ab->bsums[j])));
            }
        }
        add_superblock(blk, a, as, b, NC, isum, acc);
        if (T == EI_TYPE_Q2_K) {
            const __m512 dmin = f16x16(blk + 32);
            for (int c = 0; c < NC; c++) {
                const __m512 da = _mm512_set1_ps(((const block_q8_K *)(a + (size_t)c * as))[b].d);
                acc[c] = _mm512_fnmadd_ps(_mm512_mul_ps(dmin, da), _mm512_cvtepi32_ps(imin[c]), acc[c]);
            }
        }
    }
    for (int c = 0; c < NC; c++) _mm512_storeu_ps(y + (size_t)c * ys, acc[c]);
}

/* IQ4_XS: Q4_K's sub-blocks of 32 in Q4_0's units, codes looked up as
 * IQ4_NL's (levels plus 128), signed 6-bit scales (scale - 32), no minimum */
AI void tile_iq4_xs(int64_t n, const uint8_t *group, const char *a, size_t as, const int NC, float *y, size_t ys) {
    const size_t bb = ei_pack_block_bytes(EI_TYPE_IQ4_XS);
    const int64_t nb = n / QK_K;
    const size_t extra = ei_vec_dot_act_row_bytes(EI_TYPE_Q8_K, n);
    const __m512i levels = iq4nl_levels_u8();
    __m512 acc[PACK_COLS];
    for (int c = 0; c < NC; c++) acc[c] = _mm512_setzero_ps();
    for (int64_t b = 0; b < nb; b++) {
        const uint8_t *blk = group + (size_t)b * bb;
        __m512i isum[PACK_COLS];
        for (int c = 0; c < NC; c++) isum[c] = _mm512_setzero_si512();
        for (int j = 0; j < 8; j++) {
            pack_prefetch_part(blk, bb, j, 8); /* (see Q6_K's) */
            const __m512i sc = _mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)(blk + 32 + 16 * j)));
            __m512i W[8];
            nibbles8(blk + 160 + 64 * 4 * j, W);
            for (int g = 0; g < 8; g++) W[g] = _mm512_shuffle_epi8(levels, W[g]);
            for (int c = 0; c < NC; c++) {
                const char *row = a + (size_t)c * as;
                const int8_t *qa = ((const block_q8_K *)row)[b].qs + 32 * j;
                const int16_t sum32 = ((const int16_t *)(row + extra))[8 * b + j];
                __m512i i0 = _mm512_set1_epi32(-128 * sum32), i1 = _mm512_setzero_si512();
                for (int g = 0; g < 8; g += 2) {
                    i0 = _mm512_dpbusd_epi32(i0, W[g], bcast32(qa + 4 * g));
                    i1 = _mm512_dpbusd_epi32(i1, W[g + 1], bcast32(qa + 4 * g + 4));
                }
                isum[c] = _mm512_add_epi32(isum[c], _mm512_mullo_epi32(_mm512_add_epi32(i0, i1), sc));
            }
        }
        add_superblock(blk, a, as, b, NC, isum, acc);
    }
    for (int c = 0; c < NC; c++) _mm512_storeu_ps(y + (size_t)c * ys, acc[c]);
}

/* One function per (type, column count), the count a constant so that the
 * loops over columns unroll and the accumulators stay in registers. */
#define TILE_FNS(name, call)                                                                                       \
    TG static void name##_1(int64_t n, const void *g, const void *a, size_t as, int nc, float *y, size_t ys) {     \
        (void)nc; call(1);                                                                                         \
    }                                                                                                              \
    TG static void name##_n(int64_t n, const void *g, const void *a, size_t as, int nc, float *y, size_t ys) {     \
        switch (nc) {                                                                                              \
        case 2: call(2); break;                                                                                    \
        case 3: call(3); break;                                                                                    \
        case 4: call(4); break;                                                                                    \
        case 5: call(5); break;                                                                                    \
        case 6: call(6); break;                                                                                    \
        case 7: call(7); break;                                                                                    \
        default: call(8); break;                                                                                   \
        }                                                                                                          \
    }                                                                                                              \
    TG static void name(int64_t n, const void *g, const void *a, size_t as, int nc, float *y, size_t ys) {         \
        if (nc == 1) name##_1(n, g, a, as, nc, y, ys);                                                             \
        else name##_n(n, g, a, as, nc, y, ys);                                                                     \
    }

#define CALL_Q80(NC) tile_q8f(EI_TYPE_Q8_0, n, g, a, as, NC, y, ys)
#define CALL_Q40(NC) tile_q8f(EI_TYPE_Q4_0, n, g, a, as, NC, y, ys)
#define CALL_Q41(NC) tile_q8f(EI_TYPE_Q4_1, n, g, a, as, NC, y, ys)
#define CALL_Q50(NC) tile_q8f(EI_TYPE_Q5_0, n, g, a, as, NC, y, ys)
#define CALL_Q4K(NC) tile_q4_K(EI_TYPE_Q4_K, n, g, a, as, NC, y, ys)
#define CALL_Q5K(NC) tile_q4_K(EI_TYPE_Q5_K, n, g, a, as, NC, y, ys)
#define CALL_Q6K(NC) tile_k16(EI_TYPE_Q6_K, n, g, a, as, NC, y, ys)
#define CALL_Q51(NC) tile_q8f(EI_TYPE_Q5_1, n, g, a, as, NC, y, ys)
#define CALL_Q3K(NC) tile_k16(EI_TYPE_Q3_K, n, g, a, as, NC, y, ys)
#define CALL_Q2K(NC) tile_k16(EI_TYPE_Q2_K, n, g, a, as, NC, y, ys)
#define CALL_MX(NC) tile_q8f(EI_TYPE_MXFP4, n, g, a, as, NC, y, ys)
#define CALL_NL(NC) tile_q8f(EI_TYPE_IQ4_NL, n, g, a, as, NC, y, ys)
#define CALL_XS(NC) tile_iq4_xs(n, g, a, as, NC, y, ys)
TILE_FNS(vnni_q8_0, CALL_Q80)
TILE_FNS(vnni_q4_0, CALL_Q40)
TILE_FNS(vnni_q4_1, CALL_Q41)
TILE_FNS(vnni_q5_0, CALL_Q50)
TILE_FNS(vnni_q4_K, CALL_Q4K)
TILE_FNS(vnni_q5_K, CALL_Q5K)
TILE_FNS(vnni_q6_K, CALL_Q6K)
TILE_FNS(vnni_q5_1, CALL_Q51)
TILE_FNS(vnni_q3_K, CALL_Q3K)
TILE_FNS(vnni_q2_K, CALL_Q2K)
TILE_FNS(vnni_iq4_nl, CALL_NL)
TILE_FNS(vnni_mxfp4, CALL_MX)
TILE_FNS(vnni_iq4_xs, CALL_XS)

ei_pack_kernel_fn ei_pack_kernel_avx512vnni(ei_type t) {
    switch (t) {
    case EI_TYPE_Q8_0: return vnni_q8_0;
    case EI_TYPE_Q4_0: return vnni_q4_0;
    case EI_TYPE_Q4_1: return vnni_q4_1;
    case EI_TYPE_Q5_0: return vnni_q5_0;
    case EI_TYPE_Q4_K: return vnni_q4_K;
    case EI_TYPE_Q5_K: return vnni_q5_K;
    case EI_TYPE_Q6_K: return vnni_q6_K;
    case EI_TYPE_Q5_1: return vnni_q5_1;
    case EI_TYPE_Q3_K: return vnni_q3_K;
    case EI_TYPE_Q2_K: return vnni_q2_K;
    case EI_TYPE_IQ4_NL: return vnni_iq4_nl;
    case EI_TYPE_MXFP4: return vnni_mxfp4;
    case EI_TYPE_IQ4_XS: return vnni_iq4_xs;
    default: return NULL;
    }
}

#endif
