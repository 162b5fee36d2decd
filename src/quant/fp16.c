/*
 * fp16.c — row conversions between f32 and the 16-bit float formats.
 *
 * Element for element the scalar conversions of fp16.h, so a row converted
 * here equals the same values converted one by one (and gguf-py's output).
 * Plain loops: the compiler vectorizes them, and SIMD backends bring their
 * own versions tested against these.
 */
#include "quant/fp16.h"

void ei_fp16_to_fp32_row(const uint16_t *x, float *y, int64_t n) {
    for (int64_t i = 0; i < n; i++) y[i] = ei_fp16_to_fp32(x[i]);
}

void ei_fp32_to_fp16_row(const float *x, uint16_t *y, int64_t n) {
    for (int64_t i = 0; i < n; i++) y[i] = ei_fp32_to_fp16(x[i]);
}

void ei_bf16_to_fp32_row(const uint16_t *x, float *y, int64_t n) {
    for (int64_t i = 0; i < n; i++) y[i] = ei_bf16_to_fp32(x[i]);
}

void ei_fp32_to_bf16_row(const float *x, uint16_t *y, int64_t n) {
    for (int64_t i = 0; i < n; i++) y[i] = ei_fp32_to_bf16(x[i]);
}
