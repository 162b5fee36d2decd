/*
 * legacy.c — reference conversions of the plain and 32-element block types:
 * F32, F16, BF16, F64, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q8_1.
 *
 * Quantizers follow ggml's reference code (quantize_row_*_ref), which
 * gguf-py reproduces bit for bit; dequantizers do their float operations in
 * the same order as gguf-py, so results are identical to the last bit (the
 * build uses -ffp-contract=off). Any float input, NaN and infinities
 * included, gives some block without undefined behaviour.
 */
#include <math.h>
#include <string.h>

#include "quant/blocks.h"
#include "quant/fp16.h"
#include "quant/kernels.h"

/* Code = (int)v clamped to [0, hi], the truncation ggml and gguf-py use
 * after adding the level offset. v is in range for any finite block; NaN or
 * infinity (a block whose scale is a subnormal float, so 1/d overflows)
 * must still give a code, not a float-to-int conversion out of range. */
static inline int trunc_code(float v, int hi) {
    if (!(v >= 0.0f)) return 0;
    if (v >= (float)hi) return hi;
    return (int)v;
}

/* Q8 code: round half away from zero (roundf, as ggml; gguf-py's np_roundf). */
static inline int8_t round_q8(float v) {
    if (v != v) return 0;
    v = roundf(v);
    return (int8_t)(v > 127.0f ? 127 : v < -127.0f ? -127 : (int)v);
}

/* ---- plain types -------------------------------------------------------- */

void ei_dequantize_f32(const void *src, float *dst, int64_t n) { memcpy(dst, src, (size_t)n * sizeof(float)); }
void ei_quantize_f32(const float *src, void *dst, int64_t n) { memcpy(dst, src, (size_t)n * sizeof(float)); }

void ei_dequantize_f16(const void *src, float *dst, int64_t n) { ei_fp16_to_fp32_row(src, dst, n); }
void ei_quantize_f16(const float *src, void *dst, int64_t n) { ei_fp32_to_fp16_row(src, dst, n); }
void ei_dequantize_bf16(const void *src, float *dst, int64_t n) { ei_bf16_to_fp32_row(src, dst, n); }
void ei_quantize_bf16(const float *src, void *dst, int64_t n) { ei_fp32_to_bf16_row(src, dst, n); }

/* F64 is the one other plain float type: conversions round to nearest (C's). */
void ei_dequantize_f64(const void *src, float *dst, int64_t n) {
    const unsigned char *p = src;
    for (int64_t i = 0; i < n; i++) {
        double v;
        memcpy(&v, p + 8 * i, 8); /* GGUF aligns tensors, but a caller's buffer may not be */
        dst[i] = (float)v;
    }
}

void ei_quantize_f64(const float *src, void *dst, int64_t n) {
    unsigned char *p = dst;
    for (int64_t i = 0; i < n; i++) {
        double v = src[i];
        memcpy(p + 8 * i, &v, 8);
    }
}

/* ---- Q4_0: 4-bit, scale only; levels -8..7 ------------------------------- */

void ei_quantize_q4_0(const float *x, void *dst, int64_t n) {
    block_q4_0 *y = dst;
    for (int64_t b = 0; b < n / QK4_0; b++, x += QK4_0) {
        float amax = 0.0f, max = 0.0f; /* the value of largest magnitude, sign kept */
        for (int j = 0; j < QK4_0; j++)
            if (amax < fabsf(x[j])) {
                amax = fabsf(x[j]);
                max = x[j];
            }
        const float d = max / -8, id = d ? 1.0f / d : 0.0f;
        y[b].d = ei_fp32_to_fp16(d);
        for (int j = 0; j < QK4_0 / 2; j++) {
            const int q0 = trunc_code(x[j] * id + 8.5f, 15), q1 = trunc_code(x[QK4_0 / 2 + j] * id + 8.5f, 15);
            y[b].qs[j] = (uint8_t)(q0 | (q1 << 4));
        }
    }
}

void ei_dequantize_q4_0(const void *src, float *y, int64_t n) {
    const block_q4_0 *x = src;
    for (int64_t b = 0; b < n / QK4_0; b++, y += QK4_0) {
        const float d = ei_fp16_to_fp32(x[b].d);
        for (int j = 0; j < QK4_0 / 2; j++) {
            y[j] = d * (float)((x[b].qs[j] & 0x0F) - 8);
            y[j + QK4_0 / 2] = d * (float)((x[b].qs[j] >> 4) - 8);
        }
    }
}

/* ---- Q4_1: 4-bit with a minimum ----------------------------------------- */

void ei_quantize_q4_1(const float *x, void *dst, int64_t n) {
    block_q4_1 *y = dst;
    for (int64_t b = 0; b < n / QK4_1; b++, x += QK4_1) {
        float min = x[0], max = x[0];
        for (int j = 1; j < QK4_1; j++) {
            if (x[j] < min) min = x[j];
            if (x[j] > max) max = x[j];
        }
        const float d = (max - min) / 15, id = d ? 1.0f / d : 0.0f;
        y[b].d = ei_fp32_to_fp16(d);
        y[b].m = ei_fp32_to_fp16(min);
        for (int j = 0; j < QK4_1 / 2; j++) {
            const int q0 = trunc_code((x[j] - min) * id + 0.5f, 15);
            const int q1 = trunc_code((x[QK4_1 / 2 + j] - min) * id + 0.5f, 15);
            y[b].qs[j] = (uint8_t)(q0 | (q1 << 4));
        }
    }
}

void ei_dequantize_q4_1(const void *src, float *y, int64_t n) {
    const block_q4_1 *x = src;
    for (int64_t b = 0; b < n / QK4_1; b++, y += QK4_1) {
        const float d = ei_fp16_to_fp32(x[b].d), m = ei_fp16_to_fp32(x[b].m);
        for (int j = 0; j < QK4_1 / 2; j++) {
            y[j] = d * (float)(x[b].qs[j] & 0x0F) + m;
            y[j + QK4_1 / 2] = d * (float)(x[b].qs[j] >> 4) + m;
        }
    }
}

/* ---- Q5_0 / Q5_1: a fifth bit per weight in qh -------------------------- */

void ei_quantize_q5_0(const float *x, void *dst, int64_t n) {
    block_q5_0 *y = dst;
    for (int64_t b = 0; b < n / QK5_0; b++, x += QK5_0) {
        float amax = 0.0f, max = 0.0f;
        for (int j = 0; j < QK5_0; j++)
            if (amax < fabsf(x[j])) {
                amax = fabsf(x[j]);
                max = x[j];
            }
        const float d = max / -16, id = d ? 1.0f / d : 0.0f;
        y[b].d = ei_fp32_to_fp16(d);
        uint32_t qh = 0;
        for (int j = 0; j < QK5_0 / 2; j++) {
            const int q0 = trunc_code(x[j] * id + 16.5f, 31), q1 = trunc_code(x[QK5_0 / 2 + j] * id + 16.5f, 31);
            y[b].qs[j] = (uint8_t)((q0 & 0x0F) | ((q1 & 0x0F) << 4));
            qh |= ((uint32_t)(q0 & 0x10) >> 4) << j;
            qh |= ((uint32_t)(q1 & 0x10) >> 4) << (j + QK5_0 / 2);
        }
        memcpy(y[b].qh, &qh, 4);
    }
}

void ei_dequantize_q5_0(const void *src, float *y, int64_t n) {
    const block_q5_0 *x = src;
    for (int64_t b = 0; b < n / QK5_0; b++, y += QK5_0) {
        const float d = ei_fp16_to_fp32(x[b].d);
        uint32_t qh;
        memcpy(&qh, x[b].qh, 4);
        for (int j = 0; j < QK5_0 / 2; j++) {
            const int h0 = (qh >> j) & 1, h1 = (qh >> (j + 16)) & 1;
            y[j] = d * (float)(((x[b].qs[j] & 0x0F) | (h0 << 4)) - 16);
            y[j + QK5_0 / 2] = d * (float)(((x[b].qs[j] >> 4) | (h1 << 4)) - 16);
        }
    }
}

void ei_quantize_q5_1(const float *x, void *dst, int64_t n) {
    block_q5_1 *y = dst;
    for (int64_t b = 0; b < n / QK5_1; b++, x += QK5_1) {
        float min = x[0], max = x[0];
        for (int j = 1; j < QK5_1; j++) {
            if (x[j] < min) min = x[j];
            if (x[j] > max) max = x[j];
        }
        const float d = (max - min) / 31, id = d ? 1.0f / d : 0.0f;
        y[b].d = ei_fp32_to_fp16(d);
        y[b].m = ei_fp32_to_fp16(min);
        uint32_t qh = 0;
        for (int j = 0; j < QK5_1 / 2; j++) {
            const int q0 = trunc_code((x[j] - min) * id + 0.5f, 31);
            const int q1 = trunc_code((x[QK5_1 / 2 + j] - min) * id + 0.5f, 31);
            y[b].qs[j] = (uint8_t)((q0 & 0x0F) | ((q1 & 0x0F) << 4));
            qh |= ((uint32_t)(q0 & 0x10) >> 4) << j;
            qh |= ((uint32_t)(q1 & 0x10) >> 4) << (j + QK5_1 / 2);
        }
        memcpy(y[b].qh, &qh, 4);
    }
}

void ei_dequantize_q5_1(const void *src, float *y, int64_t n) {
    const block_q5_1 *x = src;
    for (int64_t b = 0; b < n / QK5_1; b++, y += QK5_1) {
        const float d = ei_fp16_to_fp32(x[b].d), m = ei_fp16_to_fp32(x[b].m);
        uint32_t qh;
        memcpy(&qh, x[b].qh, 4);
        for (int j = 0; j < QK5_1 / 2; j++) {
            const int h0 = (qh >> j) & 1, h1 = (qh >> (j + 16)) & 1;
            y[j] = d * (float)((x[b].qs[j] & 0x0F) | (h0 << 4)) + m;
            y[j + QK5_1 / 2] = d * (float)((x[b].qs[j] >> 4) | (h1 << 4)) + m;
        }
    }
}

/* ---- Q8_0 / Q8_1: 8-bit, the activations' format for dot products -------- */

void ei_quantize_q8_0(const float *x, void *dst, int64_t n) {
    block_q8_0 *y = dst;
    for (int64_t b = 0; b < n / QK8_0; b++, x += QK8_0) {
        float amax = 0.0f;
        for (int j = 0; j < QK8_0; j++) amax = fmaxf(amax, fabsf(x[j]));
        const float d = amax / 127, id = d ? 1.0f / d : 0.0f;
        y[b].d = ei_fp32_to_fp16(d);
        for (int j = 0; j < QK8_0; j++) y[b].qs[j] = round_q8(x[j] * id);
    }
}

void ei_dequantize_q8_0(const void *src, float *y, int64_t n) {
    const block_q8_0 *x = src;
    for (int64_t b = 0; b < n / QK8_0; b++, y += QK8_0) {
        const float d = ei_fp16_to_fp32(x[b].d);
        for (int j = 0; j < QK8_0; j++) y[j] = (float)x[b].qs[j] * d;
    }
}

void ei_quantize_q8_1(const float *x, void *dst, int64_t n) {
    block_q8_1 *y = dst;
    for (int64_t b = 0; b < n / QK8_1; b++, x += QK8_1) {
        float amax = 0.0f;
        for (int j = 0; j < QK8_1; j++) amax = fmaxf(amax, fabsf(x[j]));
        const float d = amax / 127, id = d ? 1.0f / d : 0.0f;
        y[b].d = ei_fp32_to_fp16(d);
        int sum = 0;
        for (int j = 0; j < QK8_1; j++) {
            y[b].qs[j] = round_q8(x[j] * id);
            sum += y[b].qs[j];
        }
        y[b].s = ei_fp32_to_fp16((float)sum * d); /* the unrounded d, as ggml */
    }
}

void ei_dequantize_q8_1(const void *src, float *y, int64_t n) {
    const block_q8_1 *x = src;
    for (int64_t b = 0; b < n / QK8_1; b++, y += QK8_1) {
        const float d = ei_fp16_to_fp32(x[b].d);
        for (int j = 0; j < QK8_1; j++) y[j] = (float)x[b].qs[j] * d;
    }
}
