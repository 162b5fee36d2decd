/*
 * vec_f32.h — the f32 vector helpers of the CPU backend (attention, the
 * reference matmul path), with AVX2 versions that give the portable
 * versions' bits: the dot product keeps eight partial sums (lane i takes
 * elements i, i + 8, ...) added in a fixed tree, and no multiply-add is
 * fused, so a vector lane does exactly what the scalar code does.
 */
#ifndef EI_CPU_VEC_F32_H
#define EI_CPU_VEC_F32_H

#include <stdint.h>

/* sum of a[i] * b[i] */
float ei_dot_f32(const float *a, const float *b, int64_t n);
/* y[i] += w * x[i] */
void ei_axpy_f32(float *y, const float *x, float w, int64_t n);

/* the portable versions (tests) */
float ei_dot_f32_ref(const float *a, const float *b, int64_t n);
void ei_axpy_f32_ref(float *y, const float *x, float w, int64_t n);

#endif
