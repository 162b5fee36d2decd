/*
 * vec_dot_neon.c — aarch64 Advanced SIMD (NEON) kernels (see vec_dot.h),
 * two levels: plain NEON (every aarch64 CPU) and NEON with the dot-product
 * instructions (sdot, FEAT_DotProd, Armv8.2 and later).
 *
 * The integer kernels are written once in vec_dot_neon.inc and compiled
 * twice here: without dotprod (the four products of a lane by smull +
 * pairwise adds) and with it (one sdot per 16 values; only those
 * functions carry the dotprod target, so a plain aarch64 build runs on
 * any aarch64 CPU and takes them only where HWCAP_ASIMDDP says so). The
 * float kernels and the activation quantizers need nothing beyond the
 * base ISA and serve both levels.
 *
 * Every kernel gives the scalar kernel's bits: the eight float lanes of
 * the canonical order (vec_dot_scalar.c) are two 128-bit registers (lanes
 * 0-3: values 0-15 of each group of 32, lanes 4-7: values 16-31), each
 * lane the exact sum of its four products (sdot computes exactly that
 * lane), converted and fused-multiply-added (fmla) block after block in
 * the scalar order, reduced as hsum8. The quantizers write the scalar
 * ones' bytes (fcvtns is round half to even with NaN -> 0).
 */
#include "backends/cpu/vec_dot.h"

#if defined(__aarch64__)

#include <arm_neon.h>
#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "quant/blocks.h"
#include "quant/fp16.h"
#include "quant/quant.h"

#define AI static inline __attribute__((always_inline))
#define MAXR EI_VEC_DOT_MAX_ROWS

/* ---- helpers (base ISA: usable from both levels) ------------------------------ */

/* hsum8 of vec_dot_scalar.c: ((v0 + v4) + (v2 + v6)) + ((v1 + v5) + (v3 + v7)),
 * lanes 0-3 in lo, 4-7 in hi */
AI float hsum8v(float32x4_t lo, float32x4_t hi) {
    const float32x4_t t = vaddq_f32(lo, hi);
    const float32x2_t u = vadd_f32(vget_low_f32(t), vget_high_f32(t));
    return vget_lane_f32(u, 0) + vget_lane_f32(u, 1);
}

/* hsum4: (v0 + v2) + (v1 + v3) */
AI float hsum4v(float32x4_t v) {
    const float32x2_t u = vadd_f32(vget_low_f32(v), vget_high_f32(v));
    return vget_lane_f32(u, 0) + vget_lane_f32(u, 1);
}

/* acc + d * (float)lanes, fused, as the scalar chain_add */
AI float32x4_t fma_lanes(float32x4_t acc, float d, int32x4_t lanes) {
    return vfmaq_f32(acc, vcvtq_f32_s32(lanes), vdupq_n_f32(d));
}

/* f16 -> f32 by the hardware (exact; a signalling NaN comes out quiet, a
 * NaN all the same) */
AI float h2f(uint16_t h) { return vgetq_lane_f32(vcvt_f32_f16(vreinterpret_f16_u16(vdup_n_u16(h))), 0); }

/* lane i = sum of the four products of values 4i..4i+3, exact for any
 * int8 inputs (smull, then pairwise widening adds) */
AI int32x4_t lanes16_mull(int8x16_t w, int8x16_t a) {
    const int16x8_t p0 = vmull_s8(vget_low_s8(w), vget_low_s8(a)), p1 = vmull_high_s8(w, a);
    return vpaddq_s32(vpaddlq_s16(p0), vpaddlq_s16(p1));
}

/* lane i of sum over 16-value sub-blocks k of c[k] * bsums[k]: pairs (2i, 2i+1),
 * lanes 0-3 in *lo, 4-7 in *hi (the scalar bsum_lanes8) */
AI void bsum_lanes8v(int16x8_t c0, int16x8_t c1, const int16_t *bsums, int32x4_t *lo, int32x4_t *hi) {
    const int16x8_t b0 = vld1q_s16(bsums), b1 = vld1q_s16(bsums + 8);
    *lo = vpaddq_s32(vmull_s16(vget_low_s16(c0), vget_low_s16(b0)), vmull_high_s16(c0, b0));
    *hi = vpaddq_s32(vmull_s16(vget_low_s16(c1), vget_low_s16(b1)), vmull_high_s16(c1, b1));
}

/* Q4_K / Q5_K minimum terms, 4 lanes: min pairs (2i, 2i+1) times the sums of 32 */
AI int32x4_t k4_min_lanesv(const uint8_t mn[8], const int16_t *bsums) {
    const int16x8_t ps = vpaddq_s16(vld1q_s16(bsums), vld1q_s16(bsums + 8)); /* |sum of 32| <= 4096 */
    const int16x8_t m = vreinterpretq_s16_u16(vmovl_u8(vld1_u8(mn)));
    return vpaddq_s32(vmull_s16(vget_low_s16(m), vget_low_s16(ps)), vmull_high_s16(m, ps));
}

/* The eight 6-bit (scale, min) pairs of Q4_K / Q5_K. */
AI void k4_scales(const uint8_t *q, uint8_t sc[8], uint8_t m[8]) {
    for (int j = 0; j < 4; j++) {
        sc[j] = q[j] & 63;
        m[j] = q[j + 4] & 63;
        sc[j + 4] = (uint8_t)((q[j + 8] & 0xF) | ((q[j] >> 6) << 4));
        m[j + 4] = (uint8_t)((q[j + 8] >> 4) | ((q[j + 4] >> 6) << 4));
    }
}

/* 32 bits (Q5_0 / Q5_1's qh) -> 0x10 in the bytes of the values whose bit
 * is set: values 0-15 in *h0, 16-31 in *h1 */
AI void high_bits32(const uint8_t *qh, uint8x16_t *h0, uint8x16_t *h1) {
    uint32_t x;
    memcpy(&x, qh, 4);
    static const uint8_t idx0[16] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1};
    static const uint8_t bit[16] = {1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128};
    const uint8x16_t bytes = vreinterpretq_u8_u32(vdupq_n_u32(x)), sel = vld1q_u8(bit), i0 = vld1q_u8(idx0);
    const uint8x16_t m = vdupq_n_u8(0x10);
    *h0 = vandq_u8(vtstq_u8(vqtbl1q_u8(bytes, i0), sel), m);
    *h1 = vandq_u8(vtstq_u8(vqtbl1q_u8(bytes, vaddq_u8(i0, vdupq_n_u8(2))), sel), m);
}

/* A Q8_0 / Q8_1 activation row as the kernels read it (its aux part). */
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

/* One wrapper per kernel: nr becomes a constant in the inlined body. */
#define TILED(name, tgt)                                                                          \
    tgt static void name(int64_t n, const void *w, const void *a, size_t as, int nr, float *s) { \
        switch (nr) {                                                                             \
        case 1: name##_k(n, w, a, as, 1, s); break;                                               \
        case 2: name##_k(n, w, a, as, 2, s); break;                                               \
        case 3: name##_k(n, w, a, as, 3, s); break;                                               \
        case 4: name##_k(n, w, a, as, 4, s); break;                                               \
        default: break;                                                                           \
        }                                                                                         \
    }

enum { W_Q4_0, W_Q5_0, W_Q8_0, W_IQ4_NL, W_Q4_1, W_Q5_1 };

AI size_t block32_bytes(int kind) {
    switch (kind) {
    case W_Q4_0: return sizeof(block_q4_0);
    case W_Q5_0: return sizeof(block_q5_0);
    case W_Q8_0: return sizeof(block_q8_0);
    case W_IQ4_NL: return sizeof(block_iq4_nl);
    case W_Q4_1: return sizeof(block_q4_1);
    default: return sizeof(block_q5_1);
    }
}

/* The 32 values of a weight block (0-15 in *v0, 16-31 in *v1): the signed
 * values (q - 8, q - 16, w, IQ4_NL's levels) or the unsigned codes (Q4_1,
 * Q5_1), with its f16 d (and m). */
AI void block32_values(int kind, const char *wb, int8x16_t *v0, int8x16_t *v1, uint16_t *d, uint16_t *m) {
    memcpy(d, wb, 2);
    *m = 0;
    const uint8x16_t m4 = vdupq_n_u8(0x0F);
    switch (kind) {
    case W_Q4_0: {
        const uint8x16_t q = vld1q_u8(((const block_q4_0 *)wb)->qs);
        *v0 = vsubq_s8(vreinterpretq_s8_u8(vandq_u8(q, m4)), vdupq_n_s8(8));
        *v1 = vsubq_s8(vreinterpretq_s8_u8(vshrq_n_u8(q, 4)), vdupq_n_s8(8));
        break;
    }
    case W_Q5_0: {
        const block_q5_0 *x = (const block_q5_0 *)wb;
        const uint8x16_t q = vld1q_u8(x->qs);
        uint8x16_t h0, h1;
        high_bits32(x->qh, &h0, &h1);
        *v0 = vsubq_s8(vreinterpretq_s8_u8(vorrq_u8(vandq_u8(q, m4), h0)), vdupq_n_s8(16));
        *v1 = vsubq_s8(vreinterpretq_s8_u8(vorrq_u8(vshrq_n_u8(q, 4), h1)), vdupq_n_s8(16));
        break;
    }
    case W_Q8_0: {
        const int8_t *q = ((const block_q8_0 *)wb)->qs;
        *v0 = vld1q_s8(q);
        *v1 = vld1q_s8(q + 16);
        break;
    }
    case W_IQ4_NL: {
        const int8x16_t table = vld1q_s8(ei_kvalues_iq4nl);
        const uint8x16_t q = vld1q_u8(((const block_iq4_nl *)wb)->qs);
        *v0 = vqtbl1q_s8(table, vandq_u8(q, m4));
        *v1 = vqtbl1q_s8(table, vshrq_n_u8(q, 4));
        break;
    }
    case W_Q4_1: {
        const uint8x16_t q = vld1q_u8(((const block_q4_1 *)wb)->qs);
        memcpy(m, wb + 2, 2);
        *v0 = vreinterpretq_s8_u8(vandq_u8(q, m4));
        *v1 = vreinterpretq_s8_u8(vshrq_n_u8(q, 4));
        break;
    }
    default: {
        const block_q5_1 *x = (const block_q5_1 *)wb;
        const uint8x16_t q = vld1q_u8(x->qs);
        uint8x16_t h0, h1;
        high_bits32(x->qh, &h0, &h1);
        memcpy(m, wb + 2, 2);
        *v0 = vreinterpretq_s8_u8(vorrq_u8(vandq_u8(q, m4), h0));
        *v1 = vreinterpretq_s8_u8(vorrq_u8(vshrq_n_u8(q, 4), h1));
        break;
    }
    }
}

/* ---- the integer kernels, twice ---------------------------------------------------- */

/* without dotprod */
#define NS(name) name##_neon
#define TGT
#define AIK AI
#define LANES16(w, a) lanes16_mull(w, a)
#include "vec_dot_neon.inc"
#undef NS
#undef TGT
#undef AIK
#undef LANES16

/* with dotprod: only these functions may use sdot */
#if defined(__clang__)
#define EI_DOTPROD_TARGET "dotprod"
#else
#define EI_DOTPROD_TARGET "arch=armv8.2-a+dotprod"
#endif
#define NS(name) name##_dot
#define TGT __attribute__((target(EI_DOTPROD_TARGET)))
#define AIK static inline __attribute__((always_inline, target(EI_DOTPROD_TARGET)))
#if defined(__clang__) && !defined(__ARM_FEATURE_DOTPROD)
/* clang's arm_neon.h (before 16) declares vdotq_s32 only where the whole
 * file targets dotprod: the instruction itself, in this function only */
AIK int32x4_t sdot_asm(int32x4_t acc, int8x16_t w, int8x16_t a) {
    __asm__("sdot %0.4s, %1.16b, %2.16b" : "+w"(acc) : "w"(w), "w"(a));
    return acc;
}
#define LANES16(w, a) sdot_asm(vdupq_n_s32(0), w, a)
#else
#define LANES16(w, a) vdotq_s32(vdupq_n_s32(0), w, a)
#endif
#include "vec_dot_neon.inc"
#undef NS
#undef TGT
#undef AIK
#undef LANES16

/* ---- float types -------------------------------------------------------------------
 * The scalar order: one accumulator of 8 lanes (two registers) per output
 * over steps of 8, then the rest one by one (multiply, then add: not
 * fused), added last. dot_rows takes up to four weight rows against the
 * one activation row of generation: four independent chains. */

enum { F_F32, F_F16, F_BF16 };

/* 4 values from element i */
AI float32x4_t load4f(int kind, const void *p, int64_t i) {
    if (kind == F_F32) return vld1q_f32((const float *)p + i);
    const uint16x4_t h = vld1_u16((const uint16_t *)p + i);
    if (kind == F_F16) return vcvt_f32_f16(vreinterpret_f16_u16(h));
    return vreinterpretq_f32_u32(vshll_n_u16(h, 16));
}

AI float load1f(int kind, const void *p, int64_t i) {
    if (kind == F_F32) return ((const float *)p)[i];
    const uint16_t h = ((const uint16_t *)p)[i];
    return kind == F_F16 ? ei_fp16_to_fp32(h) : ei_bf16_to_fp32(h);
}

/* acc[q][h][c] += weight row q (w + q * ws) times activation row c, values
 * [0, n / 8 * 8) in steps of 8 (h: lanes 0-3 / 4-7) */
AI void float_steps(int kind, int64_t n, const char *w, size_t ws, const int NW, const float *const *a, const int NA,
                    float32x4_t (*acc)[2][MAXR]) {
    for (int64_t i = 0; i + 8 <= n; i += 8)
        for (int h = 0; h < 2; h++)
            for (int q = 0; q < NW; q++) {
                const float32x4_t x = load4f(kind, w + (size_t)q * ws, i + 4 * h);
                for (int c = 0; c < NA; c++) acc[q][h][c] = vfmaq_f32(acc[q][h][c], x, vld1q_f32(a[c] + i + 4 * h));
            }
}

AI float float_end(int kind, int64_t n, const void *w, const float *a, float32x4_t lo, float32x4_t hi) {
    float t = 0;
    for (int64_t j = n / 8 * 8; j < n; j++) t += load1f(kind, w, j) * a[j];
    return hsum8v(lo, hi) + t;
}

AI void float_k(int kind, int64_t n, const void *w, const void *va, size_t as, const int nr, float *s) {
    const float *a[MAXR];
    float32x4_t acc[1][2][MAXR];
    for (int r = 0; r < nr; r++) {
        a[r] = (const float *)((const char *)va + (size_t)r * as);
        acc[0][0][r] = acc[0][1][r] = vdupq_n_f32(0.0f);
    }
    float_steps(kind, n, w, 0, 1, a, nr, acc);
    for (int r = 0; r < nr; r++) s[r] = float_end(kind, n, w, a[r], acc[0][0][r], acc[0][1][r]);
}

AI void float_rows_k(int kind, int64_t n, const void *w, size_t ws, const int nw, const void *va, float *s) {
    const float *a[1] = {va};
    float32x4_t acc[MAXR][2][MAXR];
    for (int q = 0; q < nw; q++) acc[q][0][0] = acc[q][1][0] = vdupq_n_f32(0.0f);
    float_steps(kind, n, w, ws, nw, a, 1, acc);
    for (int q = 0; q < nw; q++)
        s[q] = float_end(kind, n, (const char *)w + (size_t)q * ws, a[0], acc[q][0][0], acc[q][1][0]);
}

AI void dot_f32_k(int64_t n, const void *w, const void *a, size_t as, int nr, float *s) { float_k(F_F32, n, w, a, as, nr, s); }
AI void dot_f16_k(int64_t n, const void *w, const void *a, size_t as, int nr, float *s) { float_k(F_F16, n, w, a, as, nr, s); }
AI void dot_bf16_k(int64_t n, const void *w, const void *a, size_t as, int nr, float *s) { float_k(F_BF16, n, w, a, as, nr, s); }
TILED(dot_f32, )
TILED(dot_f16, )
TILED(dot_bf16, )

#define FLOAT_ROWS(name, kind)                                                                             \
    static void name(int64_t n, const void *w, size_t ws, int nw, const void *a, float *s) {               \
        switch (nw) {                                                                                      \
        case 1: float_rows_k(kind, n, w, ws, 1, a, s); break;                                              \
        case 2: float_rows_k(kind, n, w, ws, 2, a, s); break;                                              \
        case 3: float_rows_k(kind, n, w, ws, 3, a, s); break;                                              \
        default: float_rows_k(kind, n, w, ws, 4, a, s); break;                                             \
        }                                                                                                  \
    }
FLOAT_ROWS(rows_f32, F_F32)
FLOAT_ROWS(rows_f16, F_F16)
FLOAT_ROWS(rows_bf16, F_BF16)

/* ---- activation quantizers ------------------------------------------------------------
 * Bit for bit the scalar ones: the same float operations in the same order
 * (x * id, then rounding half to even; Q8_K: ggml's nearest_int emulated
 * exactly), NaN and infinities mapped as the scalar code maps them. */

/* |x| with NaN -> 0: the largest magnitude ignores NaN, as fmaxf does */
AI float32x4_t abs_nonan(float32x4_t x) { return vbslq_f32(vceqq_f32(x, x), vabsq_f32(x), vdupq_n_f32(0.0f)); }

/* x * id rounded half to even (fcvtns: NaN -> 0, saturating), clamped to +-127 */
AI int32x4_t round_q8(float32x4_t x, float id) {
    const int32x4_t q = vcvtnq_s32_f32(vmulq_n_f32(x, id));
    return vminq_s32(vmaxq_s32(q, vdupq_n_s32(-127)), vdupq_n_s32(127));
}

/* 4 x 4 int32 (each in int8 range) -> 16 int8 in order */
AI int8x16_t pack16(int32x4_t a, int32x4_t b, int32x4_t c, int32x4_t d) {
    const int16x8_t ab = vcombine_s16(vqmovn_s32(a), vqmovn_s32(b)), cd = vcombine_s16(vqmovn_s32(c), vqmovn_s32(d));
    return vcombine_s8(vqmovn_s16(ab), vqmovn_s16(cd));
}

static void quantize_q8_neon(const float *x, void *row, int64_t n, bool q8_1) {
    const size_t bb = q8_1 ? sizeof(block_q8_1) : sizeof(block_q8_0);
    const ei_q8_layout l = ei_q8_layout_of(bb, n);
    char *base = row;
    int8_t *qs = (int8_t *)(base + l.qs);
    float *ds = (float *)(base + l.ds);
    ei_q8_clear_pad(row, bb, n);
    for (int64_t b = 0; b < n / 32; b++, x += 32) {
        float32x4_t xv[8], m = vdupq_n_f32(0.0f);
        for (int k = 0; k < 8; k++) {
            xv[k] = vld1q_f32(x + 4 * k);
            m = vmaxq_f32(m, abs_nonan(xv[k]));
        }
        const float amax = vmaxvq_f32(m);
        const float d = amax / 127.f, id = amax != 0.0f ? 127.f / amax : 0.0f;
        int32x4_t q[8];
        for (int k = 0; k < 8; k++) q[k] = round_q8(xv[k], id);
        const int8x16_t c0 = pack16(q[0], q[1], q[2], q[3]), c1 = pack16(q[4], q[5], q[6], q[7]);
        char *blk = base + (size_t)b * bb;
        const uint16_t hd = ei_fp32_to_fp16(d);
        memcpy(blk, &hd, 2);
        float s = 0;
        if (q8_1) {
            const int sum = vaddlvq_s8(c0) + vaddlvq_s8(c1);
            const uint16_t hs = ei_fp32_to_fp16(d * (float)sum);
            memcpy(blk + 2, &hs, 2);
            s = ei_fp16_to_fp32(hs);
        }
        int8_t *out = (int8_t *)(blk + (q8_1 ? 4 : 2));
        vst1q_s8(out, c0);
        vst1q_s8(out + 16, c1);
        vst1q_s8(qs + 32 * b, c0);
        vst1q_s8(qs + 32 * b + 16, c1);
        ds[2 * b] = ei_fp16_to_fp32(hd);
        ds[2 * b + 1] = s;
    }
}

static void quantize_q8_0(const float *x, void *a, int64_t n) { quantize_q8_neon(x, a, n, false); }
static void quantize_q8_1(const float *x, void *a, int64_t n) { quantize_q8_neon(x, a, n, true); }

/* ggml's nearest_int: (bits(f + 1.5 * 2^23) & 0x7fffff) - 0x400000, f = s * x
 * (a product, then a sum: not fused) */
AI int32x4_t nearest_int(float32x4_t x, float s) {
    const int32x4_t i = vreinterpretq_s32_f32(vaddq_f32(vmulq_n_f32(x, s), vdupq_n_f32(12582912.f)));
    return vsubq_s32(vandq_s32(i, vdupq_n_s32(0x007fffff)), vdupq_n_s32(0x00400000));
}

static void quantize_q8_K(const float *x, void *a, int64_t n) {
    block_q8_K *y = a;
    for (int64_t b = 0; b < n / QK_K; b++, x += QK_K) {
        float32x4_t m = vdupq_n_f32(0.0f);
        for (int k = 0; k < QK_K / 4; k++) m = vmaxq_f32(m, abs_nonan(vld1q_f32(x + 4 * k)));
        const float amax = vmaxvq_f32(m);
        if (!amax) {
            memset(&y[b], 0, sizeof y[b]);
            continue;
        }
        /* the first value of largest magnitude, with its sign */
        float max = 0;
        const float32x4_t vamax = vdupq_n_f32(amax);
        for (int k = 0; k < QK_K / 4; k++)
            if (vmaxvq_u32(vceqq_f32(vabsq_f32(vld1q_f32(x + 4 * k)), vamax))) {
                int j = 4 * k;
                while (fabsf(x[j]) != amax) j++;
                max = x[j];
                break;
            }
        const float iscale = -127.f / max;
        const int32x4_t lo = vdupq_n_s32(-128), hi = vdupq_n_s32(127);
        for (int k = 0; k < QK_K / 16; k++) {
            int32x4_t q[4];
            for (int j = 0; j < 4; j++)
                q[j] = vminq_s32(vmaxq_s32(nearest_int(vld1q_f32(x + 16 * k + 4 * j), iscale), lo), hi);
            const int8x16_t c = pack16(q[0], q[1], q[2], q[3]);
            vst1q_s8(y[b].qs + 16 * k, c);
            y[b].bsums[k] = (int16_t)vaddlvq_s8(c);
        }
        y[b].d = 1 / iscale;
    }
}

/* F16 / BF16 weights' activations: rounded to f16 / bf16, kept as f32 */
static void quantize_f16(const float *x, void *a, int64_t n) {
    float *y = a;
    int64_t i = 0;
    /* fcvtn: round to nearest even, overflow to infinity, a NaN kept quiet
     * with its upper payload bits: ei_fp32_to_fp16's bits */
    for (; i + 4 <= n; i += 4) vst1q_f32(y + i, vcvt_f32_f16(vcvt_f16_f32(vld1q_f32(x + i))));
    for (; i < n; i++) y[i] = ei_round_f16(x[i]);
}

static void quantize_bf16(const float *x, void *a, int64_t n) {
    float *y = a;
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) {
        const uint32x4_t u = vreinterpretq_u32_f32(vld1q_f32(x + i));
        /* round to nearest even: u + 0x7fff + bit 16; NaN: quieted, truncated */
        const uint32x4_t r = vaddq_u32(u, vaddq_u32(vdupq_n_u32(0x7FFF), vandq_u32(vshrq_n_u32(u, 16), vdupq_n_u32(1))));
        const uint32x4_t nan = vcgtq_u32(vandq_u32(u, vdupq_n_u32(0x7FFFFFFF)), vdupq_n_u32(0x7F800000));
        const uint32x4_t v = vbslq_u32(nan, vorrq_u32(vshrq_n_u32(u, 16), vdupq_n_u32(64)), vshrq_n_u32(r, 16));
        vst1q_f32(y + i, vreinterpretq_f32_u32(vshlq_n_u32(v, 16)));
    }
    for (; i < n; i++) y[i] = ei_round_bf16(x[i]);
}

/* ---- the table ------------------------------------------------------------------------ */

void ei_vec_dot_fill_neon(ei_vec_dot_table *t, int dotprod) {
    /* the scalar table unpacks IQ4_XS and Q3_K rows for prompts, for its
     * scalar dot_unpacked; these NEON dot kernels are faster than that */
    t->unpack_row[EI_TYPE_IQ4_XS] = t->unpack_row[EI_TYPE_Q3_K] = NULL;
    if (dotprod) { /* the table below's float kernels and quantizers stay */
        fill_int_dot(t);
        return;
    }
    fill_int_neon(t);
    t->dot[EI_TYPE_F32] = dot_f32;
    t->dot[EI_TYPE_F16] = dot_f16;
    t->dot[EI_TYPE_BF16] = dot_bf16;
    t->dot_rows[EI_TYPE_F32] = rows_f32;
    t->dot_rows[EI_TYPE_F16] = rows_f16;
    t->dot_rows[EI_TYPE_BF16] = rows_bf16;
    t->quantize[EI_TYPE_F16] = quantize_f16;
    t->quantize[EI_TYPE_BF16] = quantize_bf16;
    t->quantize[EI_TYPE_Q8_0] = quantize_q8_0;
    t->quantize[EI_TYPE_Q8_1] = quantize_q8_1;
    t->quantize[EI_TYPE_Q8_K] = quantize_q8_K;
}

#endif
