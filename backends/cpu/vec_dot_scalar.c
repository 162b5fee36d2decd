/*
 * vec_dot_scalar.c — the reference dot products (portable C) and the
 * dispatch tables of every level (see vec_dot.h).
 *
 * Each kernel computes what ggml's vec_dot for its pair of types computes:
 * the same exact integer sums per block (per super-block for the
 * K-quants), scaled by the same rounded scales, and the float terms added
 * in the order of ggml's x86 kernels (below), which the SIMD kernels
 * follow too: every level gives the same bits, and llama.cpp's on x86.
 */
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>

#include "backends/cpu/vec_dot.h"
#include "quant/blocks.h"
#include "quant/fp16.h"
#include "quant/iq_grids.h"
#include "quant/quant.h"

/* ---- activation types and rows ------------------------------------------- */

ei_type ei_vec_dot_act_type(ei_type w) {
    switch (w) {
    case EI_TYPE_F32: return EI_TYPE_F32;
    case EI_TYPE_F16: return EI_TYPE_F16;
    case EI_TYPE_BF16: return EI_TYPE_BF16;
    case EI_TYPE_Q4_0: case EI_TYPE_Q5_0: case EI_TYPE_Q8_0: case EI_TYPE_IQ4_NL: case EI_TYPE_MXFP4:
        return EI_TYPE_Q8_0;
    case EI_TYPE_Q4_1: case EI_TYPE_Q5_1: return EI_TYPE_Q8_1;
    case EI_TYPE_Q2_K: case EI_TYPE_Q3_K: case EI_TYPE_Q4_K: case EI_TYPE_Q5_K: case EI_TYPE_Q6_K:
    case EI_TYPE_IQ4_XS: return EI_TYPE_Q8_K;
    default: return ei_iq_unpackable(w) ? EI_TYPE_Q8_K : EI_TYPE_COUNT;
    }
}

size_t ei_vec_dot_act_row_bytes(ei_type act, int64_t n) {
    if (n <= 0 || n > ((int64_t)1 << 40)) return 0;
    switch (act) {
    case EI_TYPE_F32: case EI_TYPE_F16: case EI_TYPE_BF16: return ei_align64((size_t)n * 4); /* f32 values */
    case EI_TYPE_Q8_0: return n % QK8_0 ? 0 : ei_q8_layout_of(sizeof(block_q8_0), n).bytes;
    case EI_TYPE_Q8_1: return n % QK8_1 ? 0 : ei_q8_layout_of(sizeof(block_q8_1), n).bytes;
    case EI_TYPE_Q8_K: return n % QK_K ? 0 : ei_align64((size_t)(n / QK_K) * sizeof(block_q8_K));
    default: return 0;
    }
}

void ei_q8_fill_aux(void *row, ei_type act, int64_t n) {
    const size_t bb = act == EI_TYPE_Q8_1 ? sizeof(block_q8_1) : sizeof(block_q8_0);
    const ei_q8_layout l = ei_q8_layout_of(bb, n);
    char *base = row;
    int8_t *qs = (int8_t *)(base + l.qs);
    float *ds = (float *)(base + l.ds);
    ei_q8_clear_pad(row, bb, n);
    for (int64_t b = 0; b < n / 32; b++) {
        const char *blk = base + (size_t)b * bb;
        uint16_t hd, hs = 0;
        memcpy(&hd, blk, 2);
        if (act == EI_TYPE_Q8_1) memcpy(&hs, blk + 2, 2);
        memcpy(qs + 32 * b, blk + (act == EI_TYPE_Q8_1 ? 4 : 2), 32);
        ds[2 * b] = ei_fp16_to_fp32(hd);
        ds[2 * b + 1] = act == EI_TYPE_Q8_1 ? ei_fp16_to_fp32(hs) : 0.0f;
    }
}

static void quantize_f32(const float *x, void *a, int64_t n) { memcpy(a, x, (size_t)n * sizeof(float)); }
/* F16 and BF16 weights' activations: rounded to f16 / bf16 as ggml rounds
 * them, kept as f32 (each value exact), so the kernels convert only the
 * weights */
static void quantize_f16(const float *x, void *a, int64_t n) {
    float *y = a;
    for (int64_t i = 0; i < n; i++) y[i] = ei_round_f16(x[i]);
}
static void quantize_bf16(const float *x, void *a, int64_t n) {
    float *y = a;
    for (int64_t i = 0; i < n; i++) y[i] = ei_round_bf16(x[i]);
}
static void quantize_q8_K(const float *x, void *a, int64_t n) { ei_type_traits_of(EI_TYPE_Q8_K)->quantize(x, a, n); }

/* Q8_0 / Q8_1 as ggml's x86 code quantizes activations (quantize_row_q8_0
 * and _q8_1 in ggml-cpu/arch/x86/quants.c, which llama.cpp runs on every
 * x86 CPU with AVX): d = amax / 127 stored as f16, codes x * (127 / amax)
 * rounded half to even; Q8_1's s = f16(d * sum of codes). (The reference
 * quantizers of src/quant/ use x / d and round half away from zero: the
 * same codes but at the rare ties and last-bit differences of the two
 * scales.) A NaN gives code 0 and is ignored by amax; codes are clamped to
 * +-127, so infinities give defined blocks. */
static inline int8_t act_code(float v) {
    if (v != v) return 0;
    v = nearbyintf(v); /* the default rounding: half to even */
    return (int8_t)(v > 127.0f ? 127 : v < -127.0f ? -127 : (int)v);
}

static void quantize_q8(const float *x, void *row, int64_t n, bool q8_1) {
    const size_t bb = q8_1 ? sizeof(block_q8_1) : sizeof(block_q8_0);
    char *base = row;
    for (int64_t b = 0; b < n / 32; b++, x += 32) {
        float amax = 0.0f;
        for (int j = 0; j < 32; j++) amax = fmaxf(amax, fabsf(x[j]));
        const float d = amax / 127.f, id = amax != 0.0f ? 127.f / amax : 0.0f;
        char *blk = base + (size_t)b * bb;
        int8_t *q = (int8_t *)(blk + (q8_1 ? 4 : 2));
        int sum = 0;
        for (int j = 0; j < 32; j++) {
            q[j] = act_code(x[j] * id);
            sum += q[j];
        }
        const uint16_t hd = ei_fp32_to_fp16(d);
        memcpy(blk, &hd, 2);
        if (q8_1) {
            const uint16_t hs = ei_fp32_to_fp16(d * (float)sum);
            memcpy(blk + 2, &hs, 2);
        }
    }
    ei_q8_fill_aux(row, q8_1 ? EI_TYPE_Q8_1 : EI_TYPE_Q8_0, n);
}

static void quantize_q8_0(const float *x, void *a, int64_t n) { quantize_q8(x, a, n, false); }
static void quantize_q8_1(const float *x, void *a, int64_t n) { quantize_q8(x, a, n, true); }

/* ---- the canonical float order ----------------------------------------------
 *
 * Every level adds the float terms in one order, so results are the same
 * bits on every CPU (tested), and that order is llama.cpp's on x86 (the
 * AVX2 vec_dot kernels of ggml-cpu/arch/x86/quants.c, as its x86 builds
 * run them): the same integers, the same rounded scales, the same fused
 * multiply-adds in the same sequence. Per block of 32 (per super-block for
 * the K-quants), eight exact 32-bit integers ("lanes": lane i holds the
 * products of values 4i..4i+3 of each group of 32) are converted to float
 * and fused-multiply-added into an accumulator of 8 lanes, block after
 * block; ei_hsum8 (vec_dot.h) is the fixed reduction of the 8 lanes. In detail:
 *   - Q4_0, Q5_0, Q8_0, Q4_1, Q5_1: one accumulator, lane = sum(v a) with
 *     v the signed values (q - 8, q - 16, w) or Q4_1/Q5_1's unsigned codes;
 *     Q4_1/Q5_1's m s terms by fmaf into one sum, added last;
 *   - IQ4_NL: blocks in pairs, even into one accumulator, odd into another;
 *     an odd last block by fmaf onto the total;
 *   - Q4_K: minimum terms in 4 lanes, subtracted last; Q5_K: minimum terms
 *     by fmaf into one sum; Q2_K: minimum terms into the same accumulator,
 *     before each super-block's values; Q3_K, Q6_K, IQ4_XS: as written.
 *   - MXFP4: as Q8_0, the block scale its E8M0 exponent (ei_e8m0_half);
 *   - IQ1/IQ2/IQ3 and TQ1_0/TQ2_0 (our order; ggml's kernels for these
 *     differ among themselves): the super-block as integers
 *     (iq_grids.h), lanes as the K-quants', one accumulator, the scale
 *     (unit * d_a) with unit the f16 scale times its power of two.
 *   - float types (our order; ggml's F16 dot keeps four accumulators):
 *     one accumulator of 8 lanes over steps of 8, lane l the products of
 *     values 8m + l, then the rest one by one (multiply, then add), added
 *     last. One chain per output lets a prompt tile hold an output in one
 *     register (vec_dot_avx2.c); dot_rows hides the FMA latency in
 *     generation with several weight rows' chains. */

static inline float hsum4(const float v[4]) { return (v[0] + v[2]) + (v[1] + v[3]); }

static inline void chain_add(float acc[8], float d, const int32_t lanes[8]) {
    for (int i = 0; i < 8; i++) acc[i] = fmaf(d, (float)lanes[i], acc[i]);
}

/* ---- float types ---------------------------------------------------------------- */

#define FLOAT_DOT(name, T, conv)                                                                  \
    static float name(int64_t n, const void *vw, const void *va) {                                \
        const T *w = vw;                                                                          \
        const float *a = va; /* the activations as f32 (rounded to T by the quantizer) */         \
        float acc[8] = {0};                                                                       \
        int64_t i = 0;                                                                            \
        for (; i + 8 <= n; i += 8)                                                                \
            for (int l = 0; l < 8; l++) acc[l] = fmaf(conv(w[i + l]), a[i + l], acc[l]);          \
        float t = 0;                                                                              \
        for (; i < n; i++) t += conv(w[i]) * a[i];                                                \
        return ei_hsum8(acc) + t;                                                                 \
    }

#define IDENTITY(x) (x)
FLOAT_DOT(dot1_f32, float, IDENTITY)
FLOAT_DOT(dot1_f16, uint16_t, ei_fp16_to_fp32)
FLOAT_DOT(dot1_bf16, uint16_t, ei_bf16_to_fp32)

/* ---- blocks of 32 against Q8_0 / Q8_1 -------------------------------------------- */

static inline void lanes32(const int8_t w[32], const int8_t a[32], int32_t lanes[8]) {
    for (int i = 0; i < 8; i++) {
        int32_t t = 0;
        for (int k = 0; k < 4; k++) t += w[4 * i + k] * a[4 * i + k];
        lanes[i] = t;
    }
}

/* 16 bytes of 4-bit codes -> 32 codes: low nibbles, then high nibbles */
static inline void nibbles(const uint8_t q[16], int8_t out[32]) {
    for (int j = 0; j < 16; j++) {
        out[j] = (int8_t)(q[j] & 0x0F);
        out[j + 16] = (int8_t)(q[j] >> 4);
    }
}

static inline void add_high_bits(const uint8_t qh[4], int8_t codes[32]) {
    uint32_t h;
    memcpy(&h, qh, 4);
    for (int j = 0; j < 32; j++) codes[j] = (int8_t)(codes[j] | (((h >> j) & 1) << 4));
}

static float dot1_q4_0(int64_t n, const void *vw, const void *va) {
    const block_q4_0 *w = vw;
    const block_q8_0 *a = va;
    float acc[8] = {0};
    for (int64_t b = 0; b < n / QK4_0; b++) {
        int8_t q[32];
        int32_t lanes[8];
        nibbles(w[b].qs, q);
        for (int j = 0; j < 32; j++) q[j] = (int8_t)(q[j] - 8);
        lanes32(q, a[b].qs, lanes);
        chain_add(acc, ei_fp16_to_fp32(w[b].d) * ei_fp16_to_fp32(a[b].d), lanes);
    }
    return ei_hsum8(acc);
}

static float dot1_q5_0(int64_t n, const void *vw, const void *va) {
    const block_q5_0 *w = vw;
    const block_q8_0 *a = va;
    float acc[8] = {0};
    for (int64_t b = 0; b < n / QK5_0; b++) {
        int8_t q[32];
        int32_t lanes[8];
        nibbles(w[b].qs, q);
        add_high_bits(w[b].qh, q);
        for (int j = 0; j < 32; j++) q[j] = (int8_t)(q[j] - 16);
        lanes32(q, a[b].qs, lanes);
        chain_add(acc, ei_fp16_to_fp32(w[b].d) * ei_fp16_to_fp32(a[b].d), lanes);
    }
    return ei_hsum8(acc);
}

static float dot1_q8_0(int64_t n, const void *vw, const void *va) {
    const block_q8_0 *w = vw;
    const block_q8_0 *a = va;
    float acc[8] = {0};
    for (int64_t b = 0; b < n / QK8_0; b++) {
        int32_t lanes[8];
        lanes32(w[b].qs, a[b].qs, lanes);
        chain_add(acc, ei_fp16_to_fp32(w[b].d) * ei_fp16_to_fp32(a[b].d), lanes);
    }
    return ei_hsum8(acc);
}

static inline void iq4_values(const uint8_t q[16], int8_t out[32]) {
    nibbles(q, out);
    for (int j = 0; j < 32; j++) out[j] = ei_kvalues_iq4nl[(int)out[j]];
}

static float dot1_iq4_nl(int64_t n, const void *vw, const void *va) {
    const block_iq4_nl *w = vw;
    const block_q8_0 *a = va;
    const int64_t nb = n / QK4_NL;
    float acc[2][8] = {{0}};
    int64_t b = 0;
    for (; b + 1 < nb; b += 2)
        for (int k = 0; k < 2; k++) {
            int8_t q[32];
            int32_t lanes[8];
            iq4_values(w[b + k].qs, q);
            lanes32(q, a[b + k].qs, lanes);
            chain_add(acc[k], ei_fp16_to_fp32(a[b + k].d) * ei_fp16_to_fp32(w[b + k].d), lanes);
        }
    float v[8];
    for (int i = 0; i < 8; i++) v[i] = acc[0][i] + acc[1][i];
    float sum = ei_hsum8(v);
    for (; b < nb; b++) {
        int8_t q[32];
        int32_t t = 0;
        iq4_values(w[b].qs, q);
        for (int j = 0; j < 32; j++) t += q[j] * a[b].qs[j];
        sum = fmaf(ei_fp16_to_fp32(a[b].d) * ei_fp16_to_fp32(w[b].d), (float)t, sum);
    }
    return sum;
}

static float dot1_mxfp4(int64_t n, const void *vw, const void *va) {
    const block_mxfp4 *w = vw;
    const block_q8_0 *a = va;
    float acc[8] = {0};
    for (int64_t b = 0; b < n / QK_MXFP4; b++) {
        int8_t q[32];
        int32_t lanes[8];
        nibbles(w[b].qs, q);
        for (int j = 0; j < 32; j++) q[j] = ei_kvalues_mxfp4[(int)q[j]];
        lanes32(q, a[b].qs, lanes);
        chain_add(acc, ei_e8m0_half(w[b].e) * ei_fp16_to_fp32(a[b].d), lanes);
    }
    return ei_hsum8(acc);
}

/* Q4_1 / Q5_1: d_w d_a sum(q a) + m_w s_a, s_a Q8_1's f16 block sum */
static float dot1_q4_1(int64_t n, const void *vw, const void *va) {
    const block_q4_1 *w = vw;
    const block_q8_1 *a = va;
    float acc[8] = {0}, summs = 0;
    for (int64_t b = 0; b < n / QK4_1; b++) {
        int8_t q[32];
        int32_t lanes[8];
        summs = fmaf(ei_fp16_to_fp32(w[b].m), ei_fp16_to_fp32(a[b].s), summs);
        nibbles(w[b].qs, q);
        lanes32(q, a[b].qs, lanes);
        chain_add(acc, ei_fp16_to_fp32(w[b].d) * ei_fp16_to_fp32(a[b].d), lanes);
    }
    return ei_hsum8(acc) + summs;
}

static float dot1_q5_1(int64_t n, const void *vw, const void *va) {
    const block_q5_1 *w = vw;
    const block_q8_1 *a = va;
    float acc[8] = {0}, summs = 0;
    for (int64_t b = 0; b < n / QK5_1; b++) {
        int8_t q[32];
        int32_t lanes[8];
        summs = fmaf(ei_fp16_to_fp32(w[b].m), ei_fp16_to_fp32(a[b].s), summs);
        nibbles(w[b].qs, q);
        add_high_bits(w[b].qh, q);
        lanes32(q, a[b].qs, lanes);
        chain_add(acc, ei_fp16_to_fp32(w[b].d) * ei_fp16_to_fp32(a[b].d), lanes);
    }
    return ei_hsum8(acc) + summs;
}

/* ---- K-quants and IQ4_XS against Q8_K ----------------------------------------------
 * Each super-block's values are unpacked to codes in value order with a
 * scale per 16 values; lane i sums scale * code * activation over values
 * 4i..4i+3 of each group of 32. Offsets and minimums go through the
 * bsums (sums of 16 activation codes). */

/* lanes[i] += sum over groups g of 32 of scale(16-value sub-block) * codes * a */
static inline void klanes(const int8_t codes[QK_K], const int scales16[16], const int8_t *a, int32_t lanes[8]) {
    for (int g = 0; g < QK_K / 32; g++)
        for (int i = 0; i < 8; i++) {
            int32_t t = 0;
            for (int k = 0; k < 4; k++) t += codes[32 * g + 4 * i + k] * a[32 * g + 4 * i + k];
            lanes[i] += scales16[2 * g + (i >= 4)] * t;
        }
}

/* lane i of sum over 16-value sub-blocks j of c[j] * bsums[j]: pairs (2i, 2i+1) */
static inline void bsum_lanes8(const int c[16], const int16_t bsums[16], int32_t out[8]) {
    for (int i = 0; i < 8; i++) out[i] = c[2 * i] * bsums[2 * i] + c[2 * i + 1] * bsums[2 * i + 1];
}

typedef struct kacc {
    float lane[8], min[8];
} kacc;

static inline void kacc_add(kacc *acc, float d, const int32_t lanes[8]) {
    for (int i = 0; i < 8; i++) acc->lane[i] = fmaf(d, (float)lanes[i], acc->lane[i]);
}

/* The eight 6-bit (scale, min) pairs of Q4_K / Q5_K. */
static inline void k4_scales(const uint8_t *q, uint8_t sc[8], uint8_t m[8]) {
    for (int j = 0; j < 4; j++) {
        sc[j] = q[j] & 63;
        m[j] = q[j + 4] & 63;
        sc[j + 4] = (uint8_t)((q[j + 8] & 0xF) | ((q[j] >> 6) << 4));
        m[j + 4] = (uint8_t)((q[j + 8] >> 4) | ((q[j + 4] >> 6) << 4));
    }
}

/* Q4_K / Q5_K minimum terms, 4 lanes: min pairs (2i, 2i+1) times the sums of 32 */
static inline void k4_min_lanes(const uint8_t mn[8], const int16_t bsums[16], int32_t out[4]) {
    int32_t ps[8];
    for (int k = 0; k < 8; k++) ps[k] = bsums[2 * k] + bsums[2 * k + 1];
    for (int i = 0; i < 4; i++) out[i] = mn[2 * i] * ps[2 * i] + mn[2 * i + 1] * ps[2 * i + 1];
}

static float dot1_q45_K(bool five, int64_t n, const void *vw, const void *va) {
    const block_q8_K *a = va;
    kacc acc = {{0}, {0}};
    const size_t bb = five ? sizeof(block_q5_K) : sizeof(block_q4_K);
    for (int64_t b = 0; b < n / QK_K; b++) {
        const char *wb = (const char *)vw + (size_t)b * bb;
        const uint8_t *scales = five ? ((const block_q5_K *)wb)->scales : ((const block_q4_K *)wb)->scales;
        const uint8_t *qs = five ? ((const block_q5_K *)wb)->qs : ((const block_q4_K *)wb)->qs;
        uint16_t hd, hdm;
        memcpy(&hd, wb, 2);
        memcpy(&hdm, wb + 2, 2);
        uint8_t sc[8], mn[8];
        k4_scales(scales, sc, mn);
        int8_t codes[QK_K];
        int s16[16];
        for (int j = 0; j < QK_K / 64; j++)
            for (int l = 0; l < 32; l++) {
                codes[64 * j + l] = (int8_t)(qs[32 * j + l] & 0xF);
                codes[64 * j + 32 + l] = (int8_t)(qs[32 * j + l] >> 4);
                if (five) {
                    const uint8_t h = ((const block_q5_K *)wb)->qh[l];
                    codes[64 * j + l] = (int8_t)(codes[64 * j + l] | (((h >> (2 * j)) & 1) << 4));
                    codes[64 * j + 32 + l] = (int8_t)(codes[64 * j + 32 + l] | (((h >> (2 * j + 1)) & 1) << 4));
                }
            }
        for (int k = 0; k < 16; k++) s16[k] = sc[k / 2];
        int32_t lanes[8] = {0}, mins[4];
        klanes(codes, s16, a[b].qs, lanes);
        kacc_add(&acc, ei_fp16_to_fp32(hd) * a[b].d, lanes);
        k4_min_lanes(mn, a[b].bsums, mins);
        const float dm = ei_fp16_to_fp32(hdm) * a[b].d;
        if (five) /* one integer, into one sum (ggml's Q5_K) */
            acc.min[0] = fmaf(-a[b].d * ei_fp16_to_fp32(hdm), (float)(((mins[0] + mins[2]) + (mins[1] + mins[3]))), acc.min[0]);
        else /* 4 lanes (ggml's Q4_K) */
            for (int i = 0; i < 4; i++) acc.min[i] = fmaf(dm, (float)mins[i], acc.min[i]);
    }
    return five ? ei_hsum8(acc.lane) + acc.min[0] : ei_hsum8(acc.lane) - hsum4(acc.min);
}

static float dot1_q4_K(int64_t n, const void *w, const void *a) { return dot1_q45_K(false, n, w, a); }
static float dot1_q5_K(int64_t n, const void *w, const void *a) { return dot1_q45_K(true, n, w, a); }

/* Q6_K: codes u in 0..63 stand for u - 32 (32 * sum(scale * bsum) off) */
static float dot1_q6_K(int64_t n, const void *vw, const void *va) {
    const block_q6_K *w = vw;
    const block_q8_K *a = va;
    kacc acc = {{0}, {0}};
    for (int64_t b = 0; b < n / QK_K; b++) {
        int8_t codes[QK_K];
        int s16[16];
        for (int k = 0; k < QK_K / 128; k++)
            for (int l = 0; l < 32; l++) {
                const uint8_t *ql = w[b].ql + 64 * k, h = w[b].qh[32 * k + l];
                codes[128 * k + l] = (int8_t)((ql[l] & 0xF) | ((h & 3) << 4));
                codes[128 * k + 32 + l] = (int8_t)((ql[l + 32] & 0xF) | (((h >> 2) & 3) << 4));
                codes[128 * k + 64 + l] = (int8_t)((ql[l] >> 4) | (((h >> 4) & 3) << 4));
                codes[128 * k + 96 + l] = (int8_t)((ql[l + 32] >> 4) | (((h >> 6) & 3) << 4));
            }
        for (int k = 0; k < 16; k++) s16[k] = w[b].scales[k];
        int32_t lanes[8] = {0}, corr[8];
        bsum_lanes8(s16, a[b].bsums, corr);
        for (int i = 0; i < 8; i++) lanes[i] = -32 * corr[i];
        klanes(codes, s16, a[b].qs, lanes);
        kacc_add(&acc, ei_fp16_to_fp32(w[b].d) * a[b].d, lanes);
    }
    return ei_hsum8(acc.lane);
}

/* Q3_K: values (2-bit code) - 4 (high bit clear) in -4..3, exact per lane */
static float dot1_q3_K(int64_t n, const void *vw, const void *va) {
    const block_q3_K *w = vw;
    const block_q8_K *a = va;
    kacc acc = {{0}, {0}};
    for (int64_t b = 0; b < n / QK_K; b++) {
        int8_t sc[16], codes[QK_K];
        int s16[16];
        ei_q3_K_scales(w[b].scales, sc);
        for (int k = 0; k < 16; k++) s16[k] = sc[k] - 32;
        for (int k = 0; k < QK_K / 128; k++)
            for (int g = 0; g < 4; g++)
                for (int l = 0; l < 32; l++)
                    codes[128 * k + 32 * g + l] = (int8_t)(((w[b].qs[32 * k + l] >> (2 * g)) & 3) -
                                                           (((w[b].hmask[l] >> (4 * k + g)) & 1) ? 0 : 4));
        int32_t lanes[8] = {0};
        klanes(codes, s16, a[b].qs, lanes);
        kacc_add(&acc, ei_fp16_to_fp32(w[b].d) * a[b].d, lanes);
    }
    return ei_hsum8(acc.lane);
}

static float dot1_q2_K(int64_t n, const void *vw, const void *va) {
    const block_q2_K *w = vw;
    const block_q8_K *a = va;
    kacc acc = {{0}, {0}};
    for (int64_t b = 0; b < n / QK_K; b++) {
        int8_t codes[QK_K];
        int s16[16], m16[16];
        for (int k = 0; k < 16; k++) s16[k] = w[b].scales[k] & 0xF, m16[k] = w[b].scales[k] >> 4;
        for (int k = 0; k < QK_K / 128; k++)
            for (int g = 0; g < 4; g++)
                for (int l = 0; l < 32; l++) codes[128 * k + 32 * g + l] = (int8_t)((w[b].qs[32 * k + l] >> (2 * g)) & 3);
        int32_t lanes[8] = {0}, mins[8];
        klanes(codes, s16, a[b].qs, lanes);
        bsum_lanes8(m16, a[b].bsums, mins);
        /* minimum terms first, into the same accumulator (ggml's Q2_K) */
        const float dm = -a[b].d * ei_fp16_to_fp32(w[b].dmin);
        for (int i = 0; i < 8; i++) acc.lane[i] = fmaf(dm, (float)mins[i], acc.lane[i]);
        kacc_add(&acc, a[b].d * ei_fp16_to_fp32(w[b].d), lanes);
    }
    return ei_hsum8(acc.lane);
}

static float dot1_iq4_xs(int64_t n, const void *vw, const void *va) {
    const block_iq4_xs *w = vw;
    const block_q8_K *a = va;
    kacc acc = {{0}, {0}};
    for (int64_t b = 0; b < n / QK_K; b++) {
        int8_t codes[QK_K];
        int s16[16];
        for (int ib = 0; ib < QK_K / 32; ib++) {
            const int ls = ((w[b].scales_l[ib / 2] >> 4 * (ib % 2)) & 0xF) | (((w[b].scales_h >> 2 * ib) & 3) << 4);
            s16[2 * ib] = s16[2 * ib + 1] = ls - 32;
            nibbles(w[b].qs + 16 * ib, codes + 32 * ib);
            for (int j = 0; j < 32; j++) codes[32 * ib + j] = ei_kvalues_iq4nl[(int)codes[32 * ib + j]];
        }
        int32_t lanes[8] = {0};
        klanes(codes, s16, a[b].qs, lanes);
        kacc_add(&acc, ei_fp16_to_fp32(w[b].d) * a[b].d, lanes);
    }
    return ei_hsum8(acc.lane);
}

/* The lattice and ternary types: codes and scales per 16 values (iq_grids.h). */
static inline void lattice_block(const int8_t *code, const int s16[16], float unit, const block_q8_K *a, kacc *acc) {
    int32_t lanes[8] = {0};
    klanes(code, s16, a->qs, lanes);
    kacc_add(acc, unit * a->d, lanes);
}

static float dot1_lattice(ei_type t, size_t block_bytes, int64_t n, const void *vw, const void *va) {
    const block_q8_K *a = va;
    kacc acc = {{0}, {0}};
    for (int64_t b = 0; b < n / QK_K; b++) {
        ei_iq_unpacked u;
        ei_iq_unpack(t, (const uint8_t *)vw + (size_t)b * block_bytes, &u);
        int s16[16];
        for (int j = 0; j < 16; j++) s16[j] = u.scale[j];
        lattice_block(u.code, s16, u.unit, &a[b], &acc);
    }
    return ei_hsum8(acc.lane);
}

/* An unpacked row (vec_dot.h) against Q8_K: dot1_lattice's bits. */
static float dot1_unpacked(int64_t n, const void *vu, const void *va) {
    const int8_t *code = vu;
    const int16_t *scale = (const int16_t *)((const char *)vu + ei_unpacked_scales_at(n));
    const float *unit = (const float *)((const char *)vu + ei_unpacked_units_at(n));
    const block_q8_K *a = va;
    kacc acc = {{0}, {0}};
    for (int64_t b = 0; b < n / QK_K; b++) {
        int s16[16];
        for (int j = 0; j < 16; j++) s16[j] = scale[16 * b + j];
        lattice_block(code + QK_K * b, s16, unit[b], &a[b], &acc);
    }
    return ei_hsum8(acc.lane);
}

static void unpack_row(ei_type t, size_t block_bytes, int64_t n, const void *w, void *vu) {
    int8_t *code = vu;
    int16_t *scale = (int16_t *)((char *)vu + ei_unpacked_scales_at(n));
    float *unit = (float *)((char *)vu + ei_unpacked_units_at(n));
    int32_t *bias = (int32_t *)((char *)vu + ei_unpacked_bias_at(n));
    for (int64_t b = 0; b < n / QK_K; b++) {
        ei_iq_unpacked u;
        ei_iq_unpack(t, (const uint8_t *)w + (size_t)b * block_bytes, &u);
        memcpy(code + QK_K * b, u.code, QK_K);
        for (int j = 0; j < 16; j++) scale[16 * b + j] = u.scale[j];
        unit[b] = u.unit;
        int32_t *lane = bias + 8 * b; /* lane i: values 4i .. 4i + 3 of each group of 32 */
        for (int i = 0; i < 8; i++) lane[i] = 0;
        for (int j = 0; j < QK_K; j++) lane[j % 32 / 4] += 128 * u.code[j] * u.scale[j / 16];
    }
}

#define LATTICE(name, T)                                                                           \
    static float dot1_##name(int64_t n, const void *w, const void *a) {                             \
        return dot1_lattice(T, sizeof(block_##name), n, w, a);                                        \
    }                                                                                               \
    static void unpack_##name(int64_t n, const void *w, void *u) { unpack_row(T, sizeof(block_##name), n, w, u); }
LATTICE(iq2_xxs, EI_TYPE_IQ2_XXS)
LATTICE(iq2_xs, EI_TYPE_IQ2_XS)
LATTICE(iq2_s, EI_TYPE_IQ2_S)
LATTICE(iq3_xxs, EI_TYPE_IQ3_XXS)
LATTICE(iq3_s, EI_TYPE_IQ3_S)
LATTICE(iq1_s, EI_TYPE_IQ1_S)
LATTICE(iq1_m, EI_TYPE_IQ1_M)
LATTICE(tq1_0, EI_TYPE_TQ1_0)
LATTICE(tq2_0, EI_TYPE_TQ2_0)
/* IQ4_XS and Q3_K keep their own dot (the same bits: codes and scales in
 * klanes, one kacc_add of d * d_a per super-block) and unpack for prompts */
static void unpack_iq4_xs(int64_t n, const void *w, void *u) { unpack_row(EI_TYPE_IQ4_XS, sizeof(block_iq4_xs), n, w, u); }
static void unpack_q3_K(int64_t n, const void *w, void *u) { unpack_row(EI_TYPE_Q3_K, sizeof(block_q3_K), n, w, u); }

/* ---- the table -------------------------------------------------------------- */

#define ROWS(name)                                                                                \
    static void name(int64_t n, const void *w, const void *a, size_t as, int nr, float *s) {      \
        for (int r = 0; r < nr; r++) s[r] = name##_1(n, w, (const char *)a + (size_t)r * as);      \
    }

#define dot_f32_1 dot1_f32
#define dot_f16_1 dot1_f16
#define dot_bf16_1 dot1_bf16
#define dot_q4_0_1 dot1_q4_0
#define dot_q4_1_1 dot1_q4_1
#define dot_q5_0_1 dot1_q5_0
#define dot_q5_1_1 dot1_q5_1
#define dot_q8_0_1 dot1_q8_0
#define dot_iq4_nl_1 dot1_iq4_nl
#define dot_q2_K_1 dot1_q2_K
#define dot_q3_K_1 dot1_q3_K
#define dot_q4_K_1 dot1_q4_K
#define dot_q5_K_1 dot1_q5_K
#define dot_q6_K_1 dot1_q6_K
#define dot_iq4_xs_1 dot1_iq4_xs
#define dot_unpacked_1 dot1_unpacked
#define dot_mxfp4_1 dot1_mxfp4
#define dot_iq2_xxs_1 dot1_iq2_xxs
#define dot_iq2_xs_1 dot1_iq2_xs
#define dot_iq2_s_1 dot1_iq2_s
#define dot_iq3_xxs_1 dot1_iq3_xxs
#define dot_iq3_s_1 dot1_iq3_s
#define dot_iq1_s_1 dot1_iq1_s
#define dot_iq1_m_1 dot1_iq1_m
#define dot_tq1_0_1 dot1_tq1_0
#define dot_tq2_0_1 dot1_tq2_0
ROWS(dot_f32)
ROWS(dot_f16)
ROWS(dot_bf16)
ROWS(dot_q4_0)
ROWS(dot_q4_1)
ROWS(dot_q5_0)
ROWS(dot_q5_1)
ROWS(dot_q8_0)
ROWS(dot_iq4_nl)
ROWS(dot_q2_K)
ROWS(dot_q3_K)
ROWS(dot_q4_K)
ROWS(dot_q5_K)
ROWS(dot_q6_K)
ROWS(dot_iq4_xs)
ROWS(dot_unpacked)
ROWS(dot_mxfp4)
ROWS(dot_iq2_xxs)
ROWS(dot_iq2_xs)
ROWS(dot_iq2_s)
ROWS(dot_iq3_xxs)
ROWS(dot_iq3_s)
ROWS(dot_iq1_s)
ROWS(dot_iq1_m)
ROWS(dot_tq1_0)
ROWS(dot_tq2_0)

void ei_vec_dot_fill_scalar(ei_vec_dot_table *t) {
    memset(t, 0, sizeof *t);
    t->level = EI_CPU_SCALAR;
    t->dot[EI_TYPE_F32] = dot_f32;
    t->dot[EI_TYPE_F16] = dot_f16;
    t->dot[EI_TYPE_BF16] = dot_bf16;
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
    t->dot[EI_TYPE_MXFP4] = dot_mxfp4;
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
    t->unpack_row[EI_TYPE_IQ4_XS] = unpack_iq4_xs;
    t->unpack_row[EI_TYPE_Q3_K] = unpack_q3_K;
    t->dot_unpacked = dot_unpacked;
    t->quantize[EI_TYPE_F32] = quantize_f32;
    t->quantize[EI_TYPE_F16] = quantize_f16;
    t->quantize[EI_TYPE_BF16] = quantize_bf16;
    t->quantize[EI_TYPE_Q8_0] = quantize_q8_0;
    t->quantize[EI_TYPE_Q8_1] = quantize_q8_1;
    t->quantize[EI_TYPE_Q8_K] = quantize_q8_K;
}

static ei_vec_dot_table tables[EI_CPU_LEVEL_COUNT];
static int n_tables;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void build_tables(void) {
    ei_cpu_level top = ei_cpu_level_supported();
    ei_vec_dot_fill_scalar(&tables[0]);
    n_tables = 1;
#if defined(__x86_64__)
    for (int l = EI_CPU_AVX2; l <= (int)top; l++) {
        tables[l] = tables[l - 1];
        tables[l].level = (ei_cpu_level)l;
        if (l == EI_CPU_AVX2) ei_vec_dot_fill_avx2(&tables[l]);
        else ei_vec_dot_fill_avx512(&tables[l], l == EI_CPU_AVX512_VNNI);
        n_tables = l + 1;
    }
#elif defined(__aarch64__)
    for (int l = EI_CPU_NEON; l <= (int)top; l++) {
        tables[l] = tables[l - 1];
        tables[l].level = (ei_cpu_level)l;
        ei_vec_dot_fill_neon(&tables[l], l == EI_CPU_NEON_DOTPROD);
        n_tables = l + 1;
    }
#else
    (void)top;
#endif
}

const ei_vec_dot_table *ei_vec_dot_table_for(ei_cpu_level level) {
    pthread_once(&once, build_tables);
    const int l = (int)level; /* the enum may be unsigned: compare as int */
    return l >= 0 && l < n_tables ? &tables[l] : NULL;
}

const ei_vec_dot_table *ei_vec_dot_selected(void) {
    const ei_vec_dot_table *t = ei_vec_dot_table_for(ei_cpu_level_selected());
    return t ? t : ei_vec_dot_table_for(EI_CPU_SCALAR);
}
