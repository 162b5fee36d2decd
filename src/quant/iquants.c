/*
 * iquants.c — reference conversions of the non-linear 4-bit types IQ4_NL
 * (blocks of 32) and IQ4_XS (super-blocks of 256 with 6-bit sub-block
 * scales). Each 4-bit code indexes a fixed table of 16 levels.
 *
 * Quantization is ggml's quantize_iq4_nl / quantize_iq4_xs without an
 * importance matrix (what llama-quantize writes), byte for byte: for each
 * block of 32, start from the scale that maps the largest value onto the
 * outermost level, try 15 scales around it and keep the one with the
 * smallest x^2-weighted squared error, then (IQ4_XS) quantize the block
 * scales to 6 bits and re-pick every code with the rounded scale.
 * Newer ggml's quantize_row_iq4_nl_ref takes a cheaper path (no search);
 * we keep the search: files come out better and identical to llama-quantize's.
 */
#include <math.h>
#include <string.h>

#include "quant/blocks.h"
#include "quant/fp16.h"
#include "quant/kernels.h"

const int8_t ei_kvalues_iq4nl[16] = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};

/* MXFP4's FP4 (E2M1) levels, doubled so that they are integers */
const int8_t ei_kvalues_mxfp4[16] = {0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12};

void ei_dequantize_mxfp4(const void *src, float *dst, int64_t n) {
    const block_mxfp4 *x = src;
    for (int64_t b = 0; b < n / QK_MXFP4; b++) {
        const float d = ei_e8m0_half(x[b].e);
        for (int j = 0; j < QK_MXFP4 / 2; j++) {
            dst[QK_MXFP4 * b + j] = (float)ei_kvalues_mxfp4[x[b].qs[j] & 0xF] * d;
            dst[QK_MXFP4 * b + j + QK_MXFP4 / 2] = (float)ei_kvalues_mxfp4[x[b].qs[j] >> 4] * d;
        }
    }
}

#define GROUP_MAX_EPS 1e-15f

/* ggml's round-to-nearest-even trick, as in kquants.c (exact for |f| < 2^22;
 * other inputs give some integer that callers clamp). */
static inline int nearest_int(float f) {
    float val = f + 12582912.f;
    int i;
    memcpy(&i, &val, sizeof i);
    return (i & 0x007fffff) - 0x00400000;
}

/* Index of the level nearest to x (levels sorted ascending). */
static int best_index(const int8_t *val, float x) {
    if (x <= val[0]) return 0;
    if (x >= val[15]) return 15;
    int ml = 0, mu = 15;
    while (mu - ml > 1) {
        int mav = (ml + mu) / 2;
        if (x < val[mav]) mu = mav;
        else ml = mav;
    }
    return x - val[mu - 1] < val[mu] - x ? mu - 1 : mu;
}

/* One super-block of `sbs` values in sub-blocks of 32: scales[] per
 * sub-block; with more than one sub-block the scales are themselves
 * quantized to 6 bits (IQ4_XS). */
static void quantize_iq4(int sbs, const float *x, uint16_t *dh, uint8_t *q4, uint16_t *scales_h, uint8_t *scales_l) {
    const int8_t *values = ei_kvalues_iq4nl;
    const int ntry = 7, nb = sbs / 32;
    float scales[QK_K / 32], weight[32];
    uint8_t L[QK_K];
    memset(q4, 0, (size_t)sbs / 2);
    memset(L, 0, sizeof L);
    *dh = ei_fp32_to_fp16(0.f);
    float max_scale = 0, amax_scale = 0;
    for (int ib = 0; ib < nb; ib++) {
        const float *xb = x + ib * 32;
        uint8_t *Lb = L + ib * 32;
        for (int j = 0; j < 32; j++) weight[j] = xb[j] * xb[j];
        float amax = 0, max = 0;
        for (int j = 0; j < 32; j++)
            if (fabsf(xb[j]) > amax) {
                amax = fabsf(xb[j]);
                max = xb[j];
            }
        if (amax < GROUP_MAX_EPS) {
            scales[ib] = 0;
            continue;
        }
        float d = -max / values[0], id = 1 / d, sumqx = 0, sumq2 = 0;
        for (int j = 0; j < 32; j++) {
            int l = best_index(values, id * xb[j]);
            Lb[j] = (uint8_t)l;
            float q = values[l], w = weight[j];
            sumqx += w * q * xb[j];
            sumq2 += w * q * q;
        }
        d = sumq2 > 0 ? sumqx / sumq2 : 0.f;
        float best = d * sumqx;
        for (int itry = -ntry; itry <= ntry; itry++) {
            id = (itry + values[0]) / max;
            sumqx = sumq2 = 0;
            for (int j = 0; j < 32; j++) {
                int l = best_index(values, id * xb[j]);
                float q = values[l], w = weight[j];
                sumqx += w * q * xb[j];
                sumq2 += w * q * q;
            }
            if (sumq2 > 0 && sumqx * sumqx > best * sumq2) {
                d = sumqx / sumq2;
                best = d * sumqx;
            }
        }
        scales[ib] = d;
        if (fabsf(d) > amax_scale) {
            amax_scale = fabsf(d);
            max_scale = d;
        }
    }
    if (nb > 1) {
        memset(scales_h, 0, sizeof *scales_h);
        float d = -max_scale / 32, id = d ? 1 / d : 0.f;
        *dh = ei_fp32_to_fp16(d);
        for (int ib = 0; ib < nb; ib++) {
            int l = nearest_int(id * scales[ib]);
            l = l < -32 ? -32 : l > 31 ? 31 : l;
            float dl = d * l, idl = dl ? 1 / dl : 0.f;
            for (int j = 0; j < 32; j++) L[ib * 32 + j] = (uint8_t)best_index(values, idl * x[ib * 32 + j]);
            l += 32;
            uint8_t l_l = (uint8_t)(l & 0xf), l_h = (uint8_t)(l >> 4);
            if (ib % 2 == 0) scales_l[ib / 2] = l_l;
            else scales_l[ib / 2] |= (uint8_t)(l_l << 4);
            *scales_h |= (uint16_t)(l_h << 2 * (ib % 16));
        }
    } else {
        *dh = ei_fp32_to_fp16(scales[0]);
        float id = scales[0] ? 1 / scales[0] : 0;
        for (int j = 0; j < sbs; j++) L[j] = (uint8_t)best_index(values, id * x[j]);
    }
    for (int i = 0; i < sbs / 32; i++)
        for (int j = 0; j < 16; j++) q4[16 * i + j] = (uint8_t)(L[32 * i + j] | (L[32 * i + 16 + j] << 4));
}

void ei_quantize_iq4_nl(const float *x, void *dst, int64_t n) {
    block_iq4_nl *y = dst;
    for (int64_t b = 0; b < n / QK4_NL; b++) quantize_iq4(QK4_NL, x + b * QK4_NL, &y[b].d, y[b].qs, NULL, NULL);
}

void ei_dequantize_iq4_nl(const void *src, float *y, int64_t n) {
    const block_iq4_nl *x = src;
    for (int64_t b = 0; b < n / QK4_NL; b++, y += QK4_NL) {
        const float d = ei_fp16_to_fp32(x[b].d);
        for (int j = 0; j < QK4_NL / 2; j++) {
            y[j] = d * ei_kvalues_iq4nl[x[b].qs[j] & 0xf];
            y[j + QK4_NL / 2] = d * ei_kvalues_iq4nl[x[b].qs[j] >> 4];
        }
    }
}

void ei_quantize_iq4_xs(const float *x, void *dst, int64_t n) {
    block_iq4_xs *y = dst;
    for (int64_t b = 0; b < n / QK_K; b++)
        quantize_iq4(QK_K, x + b * QK_K, &y[b].d, y[b].qs, &y[b].scales_h, y[b].scales_l);
}

void ei_dequantize_iq4_xs(const void *src, float *y, int64_t n) {
    const block_iq4_xs *x = src;
    for (int64_t b = 0; b < n / QK_K; b++) {
        const uint8_t *qs = x[b].qs;
        const float d = ei_fp16_to_fp32(x[b].d);
        for (int ib = 0; ib < QK_K / 32; ib++) {
            const int ls = ((x[b].scales_l[ib / 2] >> 4 * (ib % 2)) & 0xf) | (((x[b].scales_h >> 2 * ib) & 3) << 4);
            const float dl = d * (ls - 32);
            for (int j = 0; j < 16; j++) {
                y[j + 0] = dl * ei_kvalues_iq4nl[qs[j] & 0xf];
                y[j + 16] = dl * ei_kvalues_iq4nl[qs[j] >> 4];
            }
            y += 32;
            qs += 16;
        }
    }
}
