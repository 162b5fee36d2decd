/*
 * fp16.h — IEEE half and bfloat16 conversions, exact and portable.
 *
 * Guarantees (checked by tests/test_quant.c against numpy and gguf-py):
 *   - f16 -> f32 and bf16 -> f32 are exact for every bit pattern (NaN stays
 *     NaN with its payload, subnormal halves become normal floats).
 *   - f32 -> f16 rounds to nearest even, as numpy's astype(float16) and the
 *     F16C instruction do: subnormal results, overflow to infinity, NaN
 *     kept NaN (quieted, upper payload bits kept).
 *   - f32 -> bf16 rounds to nearest even and quiets NaN, bit for bit as
 *     gguf-py's BF16 and ggml's ggml_compute_fp32_to_bf16.
 * The scalar functions are static inline because every kernel converts
 * scales one at a time; the row functions (fp16.c) are for whole tensors.
 */
#ifndef EI_QUANT_FP16_H
#define EI_QUANT_FP16_H

#include <stdint.h>
#include <string.h>

static inline uint32_t ei_f32_bits(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

static inline float ei_bits_f32(uint32_t u) {
    float f;
    memcpy(&f, &u, 4);
    return f;
}

static inline float ei_fp16_to_fp32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16, exp = (h >> 10) & 0x1F, man = h & 0x3FF;
    if (exp == 0x1F) return ei_bits_f32(sign | 0x7F800000 | (man << 13)); /* inf, nan */
    if (exp == 0) {
        if (man == 0) return ei_bits_f32(sign);
        /* subnormal: man * 2^-24, exact in f32 */
        float v = (float)man * (1.0f / 16777216.0f);
        return sign ? -v : v;
    }
    return ei_bits_f32(sign | ((exp + 112) << 23) | (man << 13));
}

static inline uint16_t ei_fp32_to_fp16(float f) {
    uint32_t x = ei_f32_bits(f);
    uint32_t sign = (x >> 16) & 0x8000, exp = (x >> 23) & 0xFF, man = x & 0x7FFFFF;
    if (exp == 0xFF) return (uint16_t)(sign | 0x7C00 | (man ? 0x200 | (man >> 13) : 0)); /* inf, quiet nan */
    int e = (int)exp - 127 + 15;
    if (e >= 0x1F) return (uint16_t)(sign | 0x7C00); /* overflow to inf */
    if (e <= 0) {
        /* subnormal or zero: shift the implicit-one mantissa right, round to
         * nearest even; below half the smallest subnormal everything is 0 */
        if (e < -10) return (uint16_t)sign;
        uint32_t m = man | 0x800000;
        int shift = 14 - e;
        uint32_t half = 1u << (shift - 1), rest = m & ((1u << shift) - 1), q = m >> shift;
        if (rest > half || (rest == half && (q & 1))) q++;
        return (uint16_t)(sign | q);
    }
    uint32_t q = ((uint32_t)e << 10) | (man >> 13), rest = man & 0x1FFF;
    if (rest > 0x1000 || (rest == 0x1000 && (q & 1))) q++; /* a carry into the exponent is still right */
    return (uint16_t)(sign | q);
}

static inline float ei_bf16_to_fp32(uint16_t h) { return ei_bits_f32((uint32_t)h << 16); }

static inline uint16_t ei_fp32_to_bf16(float f) {
    uint32_t x = ei_f32_bits(f);
    if ((x & 0x7FFFFFFF) > 0x7F800000) return (uint16_t)((x >> 16) | 64); /* quiet nan */
    return (uint16_t)((x + (0x7FFF + ((x >> 16) & 1))) >> 16);
}

/* f rounded to the nearest f16 / bf16 value, as f32 (exact) */
static inline float ei_round_f16(float f) { return ei_fp16_to_fp32(ei_fp32_to_fp16(f)); }
static inline float ei_round_bf16(float f) { return ei_bf16_to_fp32(ei_fp32_to_bf16(f)); }

/* Whole rows, n elements each way (fp16.c). */
void ei_fp16_to_fp32_row(const uint16_t *x, float *y, int64_t n);
void ei_fp32_to_fp16_row(const float *x, uint16_t *y, int64_t n);
/* the same, element by element through the functions above (tests) */
void ei_fp16_to_fp32_row_ref(const uint16_t *x, float *y, int64_t n);
void ei_fp32_to_fp16_row_ref(const float *x, uint16_t *y, int64_t n);
void ei_bf16_to_fp32_row(const uint16_t *x, float *y, int64_t n);
void ei_fp32_to_bf16_row(const float *x, uint16_t *y, int64_t n);

#endif
