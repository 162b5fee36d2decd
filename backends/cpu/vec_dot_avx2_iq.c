/*
 * vec_dot_avx2_iq.c — AVX2 kernels for the lattice types (IQ1_S, IQ1_M,
 * IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS, IQ3_S) and the ternary ones (TQ1_0,
 * TQ2_0). (MXFP4, blocks of 32 through a table like IQ4_NL, is in
 * vec_dot_avx2.c with them.)
 *
 * A group of 32 weights becomes one 256-bit register of magnitudes plus
 * their signs: the grid points are looked up by index (four 8-value points
 * or eight 4-value ones per register) and the stored sign bits expanded to
 * bytes; the activations take the signs (sign trick), so each 32-bit lane
 * holds exactly the integer lane of the scalar kernel (klanes), times the
 * sub-block scales by madd. Per super-block one FMA of (unit * d_a) per
 * row, then the fixed reduction: the scalar kernel's bits (tested).
 */
#include "backends/cpu/vec_dot.h"

#if defined(__x86_64__)

#include "backends/cpu/vec_dot_avx2.h"
#include "quant/blocks.h"
#include "quant/iq_grids.h"

/* 7 stored sign bits -> 8 bytes, -1 where the value is negative and 1
 * where not (the eighth sign from the parity): signs as emit takes them;
 * filled once with the table */
static uint64_t sign_bytes[128];

/* four groups of 7 stored sign bits (IQ2_XXS, IQ3_XXS) -> the signs of 32 values */
AI __m256i signs_of(uint32_t meta) {
    return _mm256_set_epi64x((long long)sign_bytes[(meta >> 21) & 127], (long long)sign_bytes[(meta >> 14) & 127],
                             (long long)sign_bytes[(meta >> 7) & 127], (long long)sign_bytes[meta & 127]);
}

/* a sign mask (0xFF: negative) as the signs emit takes */
AI __m256i sgn_of(__m256i neg) { return _mm256_or_si256(neg, _mm256_set1_epi8(1)); }

AI __m256i grid8x4(const uint64_t *grid, unsigned i0, unsigned i1, unsigned i2, unsigned i3) {
    return _mm256_set_epi64x((long long)grid[i3], (long long)grid[i2], (long long)grid[i1], (long long)grid[i0]);
}

AI __m256i grid4x8(const uint32_t *grid, const unsigned idx[8]) {
    return _mm256_set_epi32((int)grid[idx[7]], (int)grid[idx[6]], (int)grid[idx[5]], (int)grid[idx[4]], (int)grid[idx[3]],
                            (int)grid[idx[2]], (int)grid[idx[1]], (int)grid[idx[0]]);
}

/* IQ1's codes of an 8-value point: 8 * (grid value -1/0/1) + sigma per
 * byte, entry i for sigma = +1 and 2048 + i for -1 (so the stored sigma
 * bit is the index's twelfth); filled once with the tables. One load per
 * point instead of the grid's, three doublings and the add of sigma. */
static uint64_t iq1_code_grid[2 * 2048];

/* The 32 points of an IQ1 super-block as indices into iq1_code_grid,
 * eight at a time in vector lanes (cheaper than forming each in scalar
 * code, as for IQ3_S): qs[k] | the point's 3 high bits << 8 | its sigma
 * bit << 11, from `h`, a 32-bit word of qh broadcast to every lane, shifted
 * right lane by lane by `at` (the high bits) and `sigma_at`. */
AI void iq1_indices8(const uint8_t *qs, uint32_t h, __m256i at, __m256i sigma_at, uint32_t out[8]) {
    const __m256i hv = _mm256_set1_epi32((int)h);
    const __m256i hi = _mm256_and_si256(_mm256_srlv_epi32(hv, at), _mm256_set1_epi32(7));
    const __m256i sigma = _mm256_and_si256(_mm256_srlv_epi32(hv, sigma_at), _mm256_set1_epi32(1));
    const __m256i lo = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)qs));
    const __m256i idx = _mm256_or_si256(lo, _mm256_or_si256(_mm256_slli_epi32(hi, 8), _mm256_slli_epi32(sigma, 11)));
    _mm256_storeu_si256((__m256i *)out, idx);
}

/* the scales of a group of 32: values 0-15 (lanes 0-3) and 16-31 (4-7) */
AI __m256i group_scales(int lo, int hi) { return _mm256_set_m128i(_mm_set1_epi16((short)hi), _mm_set1_epi16((short)lo)); }

/* Where a super-block's groups go: added to isum[0..nr) against
 * activation block b of the rows A (dot), or, when code is not NULL,
 * stored as integers (unpack). Always inlined with constant arguments, so
 * each use compiles to one of the two. */
typedef struct sink {
    const block_q8_K *const *A;
    int64_t b;
    __m256i *isum;
    int8_t *code;
    int16_t *scale;
} sink;

/* one scale for the whole group */
AI __m256i one_scale(int sc) { return _mm256_set1_epi16((short)sc); }

/* IQ2_XS / IQ2_S: the 16 4-bit scales s (value 2s + 1) of a super-block as
 * 16-bit lanes, even ones (first halves) in the low 128 bits, odd ones in
 * the high; group ib's pair is then bcast16(v, ib) */
AI __m256i nibble_scales(const uint8_t s[8]) {
    uint64_t x;
    memcpy(&x, s, 8);
    const __m128i nib = _mm_and_si128(_mm_set_epi64x((long long)(x >> 4), (long long)x), _mm_set1_epi8(0x0F));
    return _mm256_cvtepi8_epi16(_mm_add_epi8(_mm_add_epi8(nib, nib), _mm_set1_epi8(1)));
}

/* Group ib: the magnitudes of its 32 codes, their signs (sgn's: -1, 0 or
 * 1 per byte), the 16-bit scales of its two halves (lanes 0-3, 4-7) and
 * the same as integers (the compiler keeps whichever form the sink uses). */
AI void emit(const sink *k, const int nr, int ib, __m256i mag, __m256i sgn, __m256i scales, int lo, int hi) {
    if (k->code) {
        _mm256_storeu_si256((__m256i *)(k->code + 32 * ib), _mm256_sign_epi8(mag, sgn));
        k->scale[2 * ib] = (int16_t)lo;
        k->scale[2 * ib + 1] = (int16_t)hi;
        return;
    }
    for (int r = 0; r < nr; r++) {
        const __m256i a = _mm256_sign_epi8(load(k->A[r][k->b].qs + 32 * ib), sgn);
        k->isum[r] = _mm256_add_epi32(k->isum[r], dot_us_scaled(mag, a, scales));
    }
}

/* the same from signed codes (IQ1, TQ) */
AI void emit_codes(const sink *k, const int nr, int ib, __m256i code, __m256i scales, int lo, int hi) {
    emit(k, nr, ib, _mm256_sign_epi8(code, code), code, scales, lo, hi);
}

/* A super-block as integers (iq_grids.h), group by group, into the sink.
 * The group loops are unrolled (a GCC pragma; it left them rolled): the
 * scale shuffles and bit positions become constants. One thread, 2048 x
 * 2048 against one row, time of ggml's kernel / ours in a side-by-side
 * run: IQ2_S 0.79-0.82 -> 1.00-1.06, IQ2_XXS 0.95 -> 1.12, IQ3_XXS 1.01 ->
 * 1.08, the others unchanged in the noise. */
AI void superblock(ei_type T, const void *blk, const sink *k, const int nr) {
    switch (T) {
    case EI_TYPE_IQ2_XXS: {
        const block_iq2_xxs *x = blk;
#pragma GCC unroll 8
        for (int ib = 0; ib < QK_K / 32; ib++) {
            const uint8_t *q = (const uint8_t *)x->qs + 8 * ib;
            uint32_t meta;
            memcpy(&meta, q + 4, 4);
            const int sc = 2 * (int)(meta >> 28) + 1;
            emit(k, nr, ib, grid8x4(ei_iq2xxs_grid, q[0], q[1], q[2], q[3]), signs_of(meta), one_scale(sc), sc, sc);
        }
        break;
    }
    case EI_TYPE_IQ2_XS: {
        const block_iq2_xs *x = blk;
        const __m256i scales = nibble_scales(x->scales);
#pragma GCC unroll 8
        for (int ib = 0; ib < QK_K / 32; ib++) {
            const uint16_t *q = x->qs + 4 * ib;
            const __m256i sgn = _mm256_set_epi64x((long long)sign_bytes[q[3] >> 9], (long long)sign_bytes[q[2] >> 9],
                                                  (long long)sign_bytes[q[1] >> 9], (long long)sign_bytes[q[0] >> 9]);
            emit(k, nr, ib, grid8x4(ei_iq2xs_grid, q[0] & 511, q[1] & 511, q[2] & 511, q[3] & 511), sgn,
                 bcast16(scales, ib), 2 * (x->scales[ib] & 0xF) + 1, 2 * (x->scales[ib] >> 4) + 1);
        }
        break;
    }
    case EI_TYPE_IQ2_S: {
        const block_iq2_s *x = blk;
        const __m256i scales = nibble_scales(x->scales);
#pragma GCC unroll 8
        for (int ib = 0; ib < QK_K / 32; ib++) {
            const uint8_t *q = x->qs + 4 * ib;
            const unsigned qh = x->qh[ib];
            emit(k, nr, ib,
                 grid8x4(ei_iq2s_grid, q[0] | (qh << 8 & 0x300), q[1] | (qh << 6 & 0x300), q[2] | (qh << 4 & 0x300),
                         q[3] | (qh << 2 & 0x300)),
                 sgn_of(bits32(x->qs + QK_K / 8 + 4 * ib)), bcast16(scales, ib), 2 * (x->scales[ib] & 0xF) + 1,
                 2 * (x->scales[ib] >> 4) + 1);
        }
        break;
    }
    case EI_TYPE_IQ3_XXS: {
        const block_iq3_xxs *x = blk;
#pragma GCC unroll 8
        for (int ib = 0; ib < QK_K / 32; ib++) {
            const uint8_t *q = x->qs + 8 * ib;
            uint32_t meta;
            memcpy(&meta, x->qs + QK_K / 4 + 4 * ib, 4);
            const unsigned idx[8] = {q[0], q[1], q[2], q[3], q[4], q[5], q[6], q[7]};
            const int sc = 2 * (int)(meta >> 28) + 1; /* (a gather for the grid was slower on Zen 3) */
            emit(k, nr, ib, grid4x8(ei_iq3xxs_grid, idx), signs_of(meta), one_scale(sc), sc, sc);
        }
        break;
    }
    case EI_TYPE_IQ3_S: {
        const block_iq3_s *x = blk;
        const __m256i ninth_shift = _mm256_set_epi32(1, 2, 3, 4, 5, 6, 7, 8);
#pragma GCC unroll 8
        for (int ib = 0; ib < QK_K / 32; ib++) {
            /* the 9-bit indices in vector lanes (bit k of qh is the ninth bit of
             * index k), then read back one by one: cheaper than forming each
             * in scalar code */
            const __m256i lo8 = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(x->qs + 8 * ib)));
            const __m256i hi1 = _mm256_and_si256(_mm256_sllv_epi32(_mm256_set1_epi32(x->qh[ib]), ninth_shift),
                                                 _mm256_set1_epi32(256));
            unsigned idx[8];
            _mm256_storeu_si256((__m256i *)idx, _mm256_or_si256(lo8, hi1));
            const int sc = 2 * ((x->scales[ib / 2] >> 4 * (ib % 2)) & 0xF) + 1;
            emit(k, nr, ib, grid4x8(ei_iq3s_grid, idx), sgn_of(bits32(x->signs + 4 * ib)), one_scale(sc), sc, sc);
        }
        break;
    }
    case EI_TYPE_IQ1_S: {
        /* group ib's qh: 3 high bits per point, then its scale, then sigma (bit 15) */
        const block_iq1_s *x = blk;
        uint32_t idx[32];
        for (int v = 0; v < 4; v++) { /* groups 2v and 2v + 1, whose two qh make one 32-bit word */
            uint32_t h;
            memcpy(&h, x->qh + 2 * v, 4);
            iq1_indices8(x->qs + 8 * v, h, _mm256_setr_epi32(0, 3, 6, 9, 16, 19, 22, 25),
                         _mm256_setr_epi32(15, 15, 15, 15, 31, 31, 31, 31), idx + 8 * v);
        }
#pragma GCC unroll 8
        for (int ib = 0; ib < QK_K / 32; ib++) {
            const uint32_t *i4 = idx + 4 * ib;
            const int sc = 2 * ((x->qh[ib] >> 12) & 7) + 1;
            emit_codes(k, nr, ib, grid8x4(iq1_code_grid, i4[0], i4[1], i4[2], i4[3]), one_scale(sc), sc, sc);
        }
        break;
    }
    case EI_TYPE_IQ1_M: {
        const block_iq1_m *x = blk;
        uint16_t s4[4];
        memcpy(s4, x->scales, sizeof s4);
        /* a point's 4 bits of qh: 3 high bits, then sigma (the low nibble for even points) */
        uint32_t idx[32];
        for (int v = 0; v < 4; v++) { /* groups 2v and 2v + 1: four bytes of qh */
            uint32_t h;
            memcpy(&h, x->qh + 4 * v, 4);
            iq1_indices8(x->qs + 8 * v, h, _mm256_setr_epi32(0, 4, 8, 12, 16, 20, 24, 28),
                         _mm256_setr_epi32(3, 7, 11, 15, 19, 23, 27, 31), idx + 8 * v);
        }
#pragma GCC unroll 8
        for (int ib = 0; ib < QK_K / 32; ib++) {
            const uint32_t *i4 = idx + 4 * ib;
            const int lo = 2 * ((s4[ib / 2] >> 6 * (ib % 2)) & 7) + 1, hi = 2 * ((s4[ib / 2] >> (6 * (ib % 2) + 3)) & 7) + 1;
            emit_codes(k, nr, ib, grid8x4(iq1_code_grid, i4[0], i4[1], i4[2], i4[3]), group_scales(lo, hi), lo, hi);
        }
        break;
    }
    case EI_TYPE_TQ2_0: {
        const block_tq2_0 *x = blk;
#pragma GCC unroll 8
        for (int ib = 0; ib < QK_K / 32; ib++) {
            const __m256i q = _mm256_srli_epi16(load(x->qs + 32 * (ib / 4)), 2 * (ib % 4));
            emit_codes(k, nr, ib, _mm256_sub_epi8(_mm256_and_si256(q, _mm256_set1_epi8(3)), _mm256_set1_epi8(1)),
                       one_scale(1), 1, 1);
        }
        break;
    }
    case EI_TYPE_Q3_K: { /* not a lattice: only unpacked here (its own dot is in vec_dot_avx2.c) */
        const block_q3_K *x = blk;
        int8_t sc[16];
        ei_q3_K_scales(x->scales, sc);
        const __m256i hm = load(x->hmask);
#pragma GCC unroll 8
        for (int ib = 0; ib < QK_K / 32; ib++) { /* 32 values: bits 2g of qs[32k..], bit 4k + g of hmask */
            const int kk = ib / 4, g = ib % 4;
            const __m256i lo = _mm256_and_si256(_mm256_srli_epi16(load(x->qs + 32 * kk), 2 * g), _mm256_set1_epi8(3));
            const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(hm, ib), _mm256_set1_epi8(1));
            const __m256i v = _mm256_sub_epi8(_mm256_or_si256(lo, _mm256_slli_epi16(hi, 2)), _mm256_set1_epi8(4));
            const int s0 = sc[2 * ib] - 32, s1 = sc[2 * ib + 1] - 32;
            emit_codes(k, nr, ib, v, group_scales(s0, s1), s0, s1);
        }
        break;
    }
    default: { /* TQ1_0: base-3 digits, unpacked by the reference code (a rare type) */
        ei_iq_unpacked u;
        ei_iq_unpack(T, blk, &u);
        for (int ib = 0; ib < QK_K / 32; ib++)
            emit_codes(k, nr, ib, load(u.code + 32 * ib), group_scales(u.scale[2 * ib], u.scale[2 * ib + 1]),
                       u.scale[2 * ib], u.scale[2 * ib + 1]);
        break;
    }
    }
}

AI void lattice_k(ei_type T, size_t block_bytes, int64_t n, const void *vw, const void *va, size_t as, const int nr,
                  float *s) {
    Q8K_ROWS();
    __m256 acc[MAXR];
    for (int r = 0; r < nr; r++) acc[r] = _mm256_setzero_ps();
    for (int64_t b = 0; b < n / QK_K; b++) {
        const uint8_t *blk = (const uint8_t *)vw + (size_t)b * block_bytes;
        __m256i isum[MAXR];
        for (int r = 0; r < nr; r++) isum[r] = _mm256_setzero_si256();
        const sink k = {.A = A, .b = b, .isum = isum};
        superblock(T, blk, &k, nr);
        const float unit = h2f(ei_iq_d(T, blk)) * ei_iq_unit_scale(T);
        for (int r = 0; r < nr; r++)
            acc[r] = _mm256_fmadd_ps(_mm256_set1_ps(unit * A[r][b].d), _mm256_cvtepi32_ps(isum[r]), acc[r]);
    }
    for (int r = 0; r < nr; r++) s[r] = hsum_ps(acc[r]);
}

/* A row as integers (vec_dot.h's unpacked rows). */
AI void unpack_k(ei_type T, size_t block_bytes, int64_t n, const void *vw, void *vu) {
    int8_t *code = vu;
    int16_t *scale = (int16_t *)((char *)vu + ei_unpacked_scales_at(n));
    float *unit = (float *)((char *)vu + ei_unpacked_units_at(n));
    int32_t *bias = (int32_t *)((char *)vu + ei_unpacked_bias_at(n));
    for (int64_t b = 0; b < n / QK_K; b++) {
        const uint8_t *blk = (const uint8_t *)vw + (size_t)b * block_bytes;
        const sink k = {.code = code + QK_K * b, .scale = scale + 16 * b};
        superblock(T, blk, &k, 1);
        unit[b] = h2f(ei_iq_d(T, blk)) * ei_iq_unit_scale(T);
        __m256i sum = _mm256_setzero_si256(); /* the lanes of 128 (unsigned) times the codes */
        for (int ib = 0; ib < QK_K / 32; ib++)
            sum = _mm256_add_epi32(sum, dot_us_scaled(_mm256_set1_epi8((char)0x80), load(code + QK_K * b + 32 * ib),
                                                      group_scales(scale[16 * b + 2 * ib], scale[16 * b + 2 * ib + 1])));
        _mm256_storeu_si256((__m256i *)(bias + 8 * b), sum);
    }
}

/* An unpacked row against Q8_K rows: lattice_k's bits at a fraction of the
 * cost. The activations are made unsigned (+ 128, by flipping the top bit)
 * and multiplied by the signed codes, so no sign trick per row; the row's
 * bias (128 * code * scale, per lane) taken off per super-block leaves the
 * exact lane sums. maddubs cannot saturate while |code| <= 64 (2 * 255 * 64
 * < 32768): every unpackable type but IQ4_XS (codes to 127, so its
 * unpack_row is not in this table). 16 IQ3_S rows against 64, one thread:
 * 37.5 -> 33.3 us (the sign trick's per-row sign; the xor costs nothing
 * measurable: the two multiplies set the pace). */
AI void dot_unpacked_k(int64_t n, const void *vu, const void *va, size_t as, const int nr, float *s) {
    Q8K_ROWS();
    const int8_t *code = vu;
    const int16_t *scale = (const int16_t *)((const char *)vu + ei_unpacked_scales_at(n));
    const float *unit = (const float *)((const char *)vu + ei_unpacked_units_at(n));
    const int32_t *bias = (const int32_t *)((const char *)vu + ei_unpacked_bias_at(n));
    /* a group's two 16-bit scales, broadcast as one 32-bit value: the low
     * one to lanes 0-3 (values 0-15), the high one to lanes 4-7 */
    const __m256i pick = _mm256_set_epi8(3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1,
                                         0, 1, 0, 1, 0);
    const __m256i top = _mm256_set1_epi8((char)0x80);
    __m256 acc[MAXR];
    for (int r = 0; r < nr; r++) acc[r] = _mm256_setzero_ps();
    for (int64_t b = 0; b < n / QK_K; b++) {
        __m256i isum[MAXR];
        for (int r = 0; r < nr; r++) isum[r] = _mm256_setzero_si256();
#pragma GCC unroll 1 /* unrolled, the four rows' sums spilled to the stack */
        for (int ib = 0; ib < QK_K / 32; ib++) {
            const __m256i c = load(code + QK_K * b + 32 * ib);
            int32_t pair;
            memcpy(&pair, scale + 16 * b + 2 * ib, 4);
            const __m256i scales = _mm256_shuffle_epi8(_mm256_set1_epi32(pair), pick);
            for (int r = 0; r < nr; r++) {
                const __m256i a = _mm256_xor_si256(load(A[r][b].qs + 32 * ib), top);
                isum[r] = _mm256_add_epi32(isum[r], dot_us_scaled(a, c, scales));
            }
        }
        const __m256i bias_b = load(bias + 8 * b);
        for (int r = 0; r < nr; r++)
            acc[r] = _mm256_fmadd_ps(_mm256_set1_ps(unit[b] * A[r][b].d),
                                     _mm256_cvtepi32_ps(_mm256_sub_epi32(isum[r], bias_b)), acc[r]);
    }
    for (int r = 0; r < nr; r++) s[r] = hsum_ps(acc[r]);
}
TILED(dot_unpacked)

#define LATTICE(name, T)                                                                                        \
    AI void dot_##name##_k(int64_t n, const void *w, const void *a, size_t as, const int nr, float *s) {         \
        lattice_k(T, sizeof(block_##name), n, w, a, as, nr, s);                                                  \
    }                                                                                                           \
    TILED(dot_##name)                                                                                           \
    TGT static void unpack_##name(int64_t n, const void *w, void *u) { unpack_k(T, sizeof(block_##name), n, w, u); }
LATTICE(iq2_xxs, EI_TYPE_IQ2_XXS)
LATTICE(iq2_xs, EI_TYPE_IQ2_XS)
LATTICE(iq2_s, EI_TYPE_IQ2_S)
LATTICE(iq3_xxs, EI_TYPE_IQ3_XXS)
LATTICE(iq3_s, EI_TYPE_IQ3_S)
LATTICE(iq1_s, EI_TYPE_IQ1_S)
LATTICE(iq1_m, EI_TYPE_IQ1_M)
LATTICE(tq1_0, EI_TYPE_TQ1_0)
LATTICE(tq2_0, EI_TYPE_TQ2_0)
TGT static void unpack_q3_K(int64_t n, const void *w, void *u) { unpack_k(EI_TYPE_Q3_K, sizeof(block_q3_K), n, w, u); }


void ei_vec_dot_fill_avx2_iq(ei_vec_dot_table *t) {
    for (unsigned i = 0; i < 128; i++) { /* called once, while the tables are built */
        uint64_t m = 0;
        for (int j = 0; j < 8; j++) m |= (uint64_t)(ei_iq_signs8(i) >> j & 1 ? 0xFF : 0x01) << 8 * j;
        sign_bytes[i] = m;
    }
    for (int sigma = 0; sigma < 2; sigma++)
        for (unsigned i = 0; i < 2048; i++) {
            uint64_t m = 0;
            for (int j = 0; j < 8; j++) {
                const int8_t g = (int8_t)(ei_iq1s_grid[i] >> 8 * j);
                m |= (uint64_t)(uint8_t)(int8_t)(8 * g + (sigma ? -1 : 1)) << 8 * j;
            }
            iq1_code_grid[2048 * sigma + i] = m;
        }
    t->dot[EI_TYPE_IQ2_XXS] = dot_iq2_xxs;
    t->dot[EI_TYPE_IQ2_XS] = dot_iq2_xs;
    t->dot[EI_TYPE_IQ2_S] = dot_iq2_s;
    t->dot[EI_TYPE_IQ3_XXS] = dot_iq3_xxs;
    t->dot[EI_TYPE_IQ3_S] = dot_iq3_s;
    t->dot[EI_TYPE_IQ1_S] = dot_iq1_s;
    t->dot[EI_TYPE_IQ1_M] = dot_iq1_m;
    t->dot[EI_TYPE_TQ1_0] = dot_tq1_0;
    t->dot[EI_TYPE_TQ2_0] = dot_tq2_0;
    t->unpack_row[EI_TYPE_IQ2_XXS] = unpack_iq2_xxs;
    t->unpack_row[EI_TYPE_IQ2_XS] = unpack_iq2_xs;
    t->unpack_row[EI_TYPE_IQ2_S] = unpack_iq2_s;
    t->unpack_row[EI_TYPE_IQ3_XXS] = unpack_iq3_xxs;
    t->unpack_row[EI_TYPE_IQ3_S] = unpack_iq3_s;
    t->unpack_row[EI_TYPE_IQ1_S] = unpack_iq1_s;
    t->unpack_row[EI_TYPE_IQ1_M] = unpack_iq1_m;
    t->unpack_row[EI_TYPE_TQ1_0] = unpack_tq1_0;
    t->unpack_row[EI_TYPE_TQ2_0] = unpack_tq2_0;
    t->unpack_row[EI_TYPE_Q3_K] = unpack_q3_K;
    t->unpack_row[EI_TYPE_IQ4_XS] = NULL; /* (the scalar table's: codes beyond dot_unpacked's 64) */
    t->dot_unpacked = dot_unpacked;
}

#endif
