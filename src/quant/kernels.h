/*
 * kernels.h — the scalar reference conversions, one pair per type, that the
 * type table (quant.c) points to. n is a multiple of the type's block size.
 */
#ifndef EI_QUANT_KERNELS_H
#define EI_QUANT_KERNELS_H

#include <stdint.h>

#define EI_DECLARE_TYPE(t)                                          \
    void ei_dequantize_##t(const void *src, float *dst, int64_t n); \
    void ei_quantize_##t(const float *src, void *dst, int64_t n);

EI_DECLARE_TYPE(f32)
EI_DECLARE_TYPE(f16)
EI_DECLARE_TYPE(bf16)
EI_DECLARE_TYPE(f64)
EI_DECLARE_TYPE(q4_0)
EI_DECLARE_TYPE(q4_1)
EI_DECLARE_TYPE(q5_0)
EI_DECLARE_TYPE(q5_1)
EI_DECLARE_TYPE(q8_0)
EI_DECLARE_TYPE(q8_1)
EI_DECLARE_TYPE(q2_K)
EI_DECLARE_TYPE(q3_K)
EI_DECLARE_TYPE(q4_K)
EI_DECLARE_TYPE(q5_K)
EI_DECLARE_TYPE(q6_K)
EI_DECLARE_TYPE(q8_K)
EI_DECLARE_TYPE(iq4_nl)
EI_DECLARE_TYPE(iq4_xs)

#undef EI_DECLARE_TYPE

/* Types read but not written here (no reference quantizer). */
void ei_dequantize_mxfp4(const void *src, float *dst, int64_t n);
void ei_dequantize_iq2_xxs(const void *src, float *dst, int64_t n);
void ei_dequantize_iq2_xs(const void *src, float *dst, int64_t n);
void ei_dequantize_iq2_s(const void *src, float *dst, int64_t n);
void ei_dequantize_iq3_xxs(const void *src, float *dst, int64_t n);
void ei_dequantize_iq3_s(const void *src, float *dst, int64_t n);
void ei_dequantize_iq1_s(const void *src, float *dst, int64_t n);
void ei_dequantize_iq1_m(const void *src, float *dst, int64_t n);
void ei_dequantize_tq1_0(const void *src, float *dst, int64_t n);
void ei_dequantize_tq2_0(const void *src, float *dst, int64_t n);

#endif
