/*
 * vec_f32.h — the f32 vector helpers of the CPU backend (attention, the
 * reference matmul path), with AVX2 versions that give the portable
 * versions' bits: the dot product keeps eight partial sums (lane i takes
 * elements i, i + 8, ...) added in a fixed tree, and no multiply-add is
 * fused, so a vector lane does exactly what the scalar code does.
 */
#ifndef EI_CPU_VEC_F32_H
#define EI_CPU_VEC_F32_H

#include <stddef.h>
#include <stdint.h>

/* sum of a[i] * b[i] */
float ei_dot_f32(const float *a, const float *b, int64_t n);
/* y[i] += w * x[i] */
void ei_axpy_f32(float *y, const float *x, float w, int64_t n);

/* Attention's two products against a chunk of n keys, with no fused
 * multiply-add, so vector lanes over keys or over dimensions give the
 * portable bits:
 *   s[i * lds + t] = sum over d of q[i * ldq + d] * kt[d * ld + t]
 *          for nq queries (each block of keys is read once for all of them;
 *          kt: the keys transposed, hd rows of ld floats: make ld an odd
 *          multiple of 8 so that the rows do not share L1 sets),
 *          summed in ei_dot_f32's order, so s[t] is ei_dot_f32(q, key t):
 *          the prompt path (transposed keys) and generation (ei_scores_f16
 *          on the cache's rows) give the same bits, and a prompt decoded in
 *          one batch leaves the logits of the same tokens decoded one by one
 *   out[i] += sum over t of w[t] * v[t * hd + i] (v: n rows of hd), in order t = 0, 1, ... */
void ei_scores_f32(const float *q, int nq, int64_t ldq, const float *kt, int64_t ld, int64_t n, int hd, float *s,
                   int64_t lds);
void ei_wsum_f32(float *out, const float *w, const float *v, int64_t n, int hd);
/* ei_wsum_f32 for two outputs over the same n rows (out_a with weights w_a,
 * out_b with w_b), the bits of two calls: the rows are read once */
void ei_wsum2_f32(float *out_a, float *out_b, const float *w_a, const float *w_b, const float *v, int64_t n, int hd);

/* The same as ei_dot_f32 and ei_axpy_f32 with the second vector given as
 * f16 (converted exactly): attention in generation reads an f16 cache
 * this way, without a conversion pass. */
float ei_dot_f32_f16(const float *a, const uint16_t *b, int64_t n);
void ei_axpy_f32_f16(float *y, const uint16_t *x, float w, int64_t n);
/* nq queries (the query heads sharing one KV head; q: nq rows of hd)
 * over n f16 rows of hd values, stride bytes apart, starting at rows:
 *   s[m * lds + t] = ei_dot_f32_f16(q + m * hd, row t, hd)
 *   out[m * hd ..] += sum over t of w[m * ldw + t] * row t   (ei_axpy_f32_f16 row after row)
 * Each row is converted once for all nq queries. */
void ei_scores_f16(const float *q, int nq, const void *rows, size_t stride, int64_t n, int hd, float *s,
                   int64_t lds);
void ei_wsum_f16(float *out, int nq, const float *w, int64_t ldw, const void *rows, size_t stride, int64_t n, int hd);

/* exp for activations and softmax, with no libm call in the loop:
 * x = k ln2 + r (|r| <= ln2/2, ln2 split in two for an exact k ln2),
 * exp(r) by Cephes' degree-7 polynomial in fused multiply-adds, 2^k from
 * its exponent bits. Below -86.6 (and for NaN) the result is 0, above
 * 88.3 it is exp(88.3): every result is 0 or a normal float. Within 1 ulp
 * of exp rounded to float for every float between (checked once, all 2e9
 * of them; test_vec_f32 samples them at 2 ulp); the AVX2 lanes give the
 * portable bits.
 *   ei_exp_sub_f32:   x[i] = exp(x[i] - c)              (softmax)
 *   ei_silu_mul_f32:  y[i] = g[i] / (1 + exp(-g[i])) * u[i]   (SwiGLU; y may be g or u) */
float ei_expf(float x);
void ei_exp_sub_f32(float *x, int64_t n, float c);
void ei_silu_mul_f32(const float *g, const float *u, int64_t n, float *y);

/* the portable versions (tests) */
void ei_exp_sub_f32_ref(float *x, int64_t n, float c);
void ei_silu_mul_f32_ref(const float *g, const float *u, int64_t n, float *y);
void ei_scores_f32_ref(const float *q, const float *kt, int64_t ld, int64_t n, int hd, float *s);
void ei_wsum_f32_ref(float *out, const float *w, const float *v, int64_t n, int hd);
float ei_dot_f32_ref(const float *a, const float *b, int64_t n);
void ei_axpy_f32_ref(float *y, const float *x, float w, int64_t n);

#endif
