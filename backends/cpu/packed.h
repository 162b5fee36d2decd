/*
 * packed.h — weights repacked at load into groups of 16 interleaved rows,
 * for matrix products where one 512-bit register holds one value of each
 * of 16 output rows.
 *
 * Why: with rows side by side, a vpdpbusd against one broadcast group of
 * four activation bytes advances 16 dot products at once, and no
 * horizontal sum is ever needed. The same kernel serves generation (one
 * activation row, bound by memory: the packed rows are as many bytes as the
 * file's) and prompts or batches (several activation rows per pass over a
 * group's weights, bound by arithmetic: each weight register feeds up to
 * PACK_COLS rows).
 *
 * Canonical arithmetic (the scalar reference in packed_scalar.c; every SIMD
 * kernel gives its bits): activations are quantized as for vec_dot (Q8_0 of
 * ggml's x86 code; Q8_K), then for output (row r, activation c), over the
 * blocks b in order,
 *
 *   Q4_0, Q5_0, Q8_0, IQ4_NL, MXFP4:  isum = sum of w * a over the block (exact int32;
 *                IQ4_NL's w its level of the code, MXFP4's the doubled FP4 level)
 *                s = fmaf(d_w * d_a, (float)isum, s)   (MXFP4: d_w = ei_e8m0_half(e))
 *   Q4_1, Q5_1: isum = sum of q * a (codes 0..15, 0..31)
 *                s = fmaf(d_w * d_a, (float)isum, s); s = fmaf(m_w, s_a, s)
 *                (s_a: the Q8_1 activation block's f16 s, as ggml uses it)
 *   Q4_K, Q5_K:  per super-block: isum = sum_j sc_j * (sum of q * a over sub-block j)
 *                               imin = sum_j m_j * (sum of a over sub-block j)
 *                s = fmaf(d_w * d_a, (float)isum, s); s = fmaf(-(dmin_w * d_a), (float)imin, s)
 *   Q2_K:        per super-block: isum = sum_j sc_j * (sum of q * a over sub-block j of 16)
 *                               imin = sum_j m_j * (sum of a over sub-block j)
 *                s = fmaf(d_w * d_a, (float)isum, s); s = fmaf(-(dmin_w * d_a), (float)imin, s)
 *   Q3_K:        per super-block: isum = sum_j sc_j * (sum of (q - 4) * a over sub-block j of 16)
 *                s = fmaf(d_w * d_a, (float)isum, s)   (sc_j signed: the file's 6-bit scale - 32)
 *   Q6_K:        per super-block: isum = sum_j sc_j * (sum of (q - 32) * a over sub-block j of 16)
 *                s = fmaf(d_w * d_a, (float)isum, s)
 *   IQ4_XS:      per super-block: isum = sum_j sc_j * (sum of w * a over sub-block j of 32)
 *                s = fmaf(d_w * d_a, (float)isum, s)   (w the level of the code, sc_j the 6-bit scale - 32)
 *   F16:         vec_dot's float order, not the one above: activations are f32 rows rounded to
 *                f16; 8 lanes, lane l = fmaf(w, a, lane l) over values 8m + l, then
 *                ((l0 + l4) + (l2 + l6)) + ((l1 + l5) + (l3 + l7)) + 0 (packed_float.c)
 *   BF16:        vdpbf16ps's (AVX512_BF16): activations rounded to bf16; 8 lanes, lane l over
 *                the pairs 16m + 2l + 1, then 16m + 2l: lane = ftz(fmaf(daz(w), daz(a), ftz(lane))),
 *                daz/ftz taking values below 2^-126 as zero (signed); then as F16
 *
 * starting from s = 0, with d_w (and m_w, dmin_w) the file's f16 scales
 * as f32. Results depend only on the weight row and the activation row:
 * not on the thread count, the batch size or the tile an output falls in.
 * (This order differs from ggml's vec_dot, whose lanes keep 8 partial
 * float sums per row; the difference is rounding noise, see
 * docs/cpu-kernels.md.)
 *
 * Layout: a packed matrix is its row groups one after another; a group is
 * its packed blocks in order, one per block of the type (32 values, or 256
 * for the K-quants), each block holding the 16 rows' data for it:
 *
 *   Q8_0  d[16] f16 | 8 units of 64 bytes: unit u, byte 4r+i = w[r][4u+i] + 128 (as u8)
 *   Q4_0  d[16] f16 | 4 units of 64 bytes: unit u, byte 4r+i = q[r][8u+i] | q[r][8u+4+i] << 4
 *   Q4_1  d[16] f16 | m[16] f16 | 4 units as Q4_0
 *   Q5_1  as Q4_1 (low 4 bits of q) | 64 bytes of fifth bits as Q5_0's
 *   Q5_0  d[16] f16 | 4 units as Q4_0 (low 4 bits of q) | 64 bytes: byte 4r+i bit g = q[r][4g+i] >> 4
 *   Q4_K  d[16] f16 | dmin[16] f16 | sc[8][16] u8 | m[4][16][2] u8 (pairs m[2p], m[2p+1] per row) |
 *         32 units as Q4_0 (the 256 values in order)
 *   Q5_K  as Q4_K (low 4 bits of q) | 8 units of 64 bytes of fifth bits, one per sub-block j:
 *         byte 4r+i bit g = q[r][32j+4g+i] >> 4 (Q5_0's)
 *   Q6_K  d[16] f16 | sc[16][16] i8 | 32 units as Q4_0 (low 4 bits of q) | 16 units of 64 bytes of
 *         high bits: unit v, byte 4r+i bits 2t..2t+1 = q[r][16v+4t+i] >> 4
 *   Q2_K  d[16] f16 | dmin[16] f16 | scm[16][16] u8 (the file's sc | m << 4 of sub-block j, row r) |
 *         16 units of 64 bytes of codes: unit v, byte 4r+i bits 2t..2t+1 = q[r][16v+4t+i]
 *   Q3_K  d[16] f16 | sc[16][16] i8 | 16 units as Q2_K's (q & 3) | 8 units of 64 bytes of third
 *         bits, one per 32 values j: byte 4r+i bit g = q[r][32j+4g+i] >> 2 (Q5_0's); q = value + 4
 *   IQ4_NL d[16] f16 | 4 units as Q4_0 (q the code, 0..15, of one of the 16 levels)
 *   MXFP4 e[16] u8 (the E8M0 exponents) | 4 units as Q4_0 (codes of the FP4 levels)
 *   IQ4_XS d[16] f16 | sc[8][16] i8 (6-bit scale - 32) | 32 units as Q4_0 (codes, the 256 values in order)
 *   F16 (blocks of 8 values)   bytes 16r..16r+15 = w[r][8b..8b+7], the file's 2-byte values
 *   BF16 (blocks of 16 values) bytes 32r..32r+31 = w[r][16b..16b+15], the file's 2-byte values
 *
 * (The block bytes equal 16 times the file's, apart from the unpacked 6-bit
 * scales: Q4_K 148 against 144, Q5_K 180 against 176, Q3_K 114 against 110,
 * IQ4_XS 138 against 136 per row.)
 */
#ifndef EI_CPU_PACKED_H
#define EI_CPU_PACKED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "edgeinfer.h"

#define PACK_ROWS 16 /* rows interleaved in a group */
#define PACK_COLS 8  /* activation rows one kernel call takes */

/* True if weights of this type can be packed (and the kernels exist). */
bool ei_pack_type_supported(ei_type t);

/* Bytes of one packed block (16 rows); 0 if the type does not pack. */
size_t ei_pack_block_bytes(ei_type t);

/* Bytes of a packed (n_out x n) matrix; 0 if it cannot be packed (type,
 * n not a whole number of blocks, n_out not a multiple of 16). */
size_t ei_pack_bytes(ei_type t, int64_t n, int64_t n_out);

/* Repack row groups [g0, g1) of a file matrix src (rows of n values) into
 * dst, the start of the packed matrix (ei_pack_bytes): groups are
 * independent, so several threads can share the work. */
void ei_pack_groups(ei_type t, const void *src, int64_t n, int64_t g0, int64_t g1, void *dst);

/* Row `row` of a packed (n_out x n) matrix back in the file's layout
 * (ei_type_row_bytes(t, n) bytes at dst, equal to the bytes packed): the
 * embedding lookup of a tied output matrix reads the packed copy, so the
 * file's pages, given back at load, are not mapped again. */
void ei_pack_unpack_row(ei_type t, const void *packed, int64_t n, int64_t row, void *dst);

/* ---- activations --------------------------------------------------------
 * A packed product's activation row: for Q4_0, Q8_0 (Q4_1, Q5_1) a Q8_0 (Q8_1)
 * row of vec_dot.h (its aux part: codes and f32 scales) followed by int32
 * sum[nb] (the sum of each block's codes); for the K-quants and IQ4_XS a
 * Q8_K row followed by int16 sum32[n / 32] (the sums over sub-blocks of 32);
 * for F16 an f32 row of vec_dot.h (values rounded to f16); for BF16 that f32
 * row (rounded to bf16) followed by the same values as bf16 (uint16 [n]). */
ei_type ei_pack_act_type(ei_type w);                /* EI_TYPE_Q8_0, _Q8_1 or _Q8_K */
size_t ei_pack_act_row_bytes(ei_type w, int64_t n); /* a multiple of 64 */
/* Fill the packed extras of a row whose act-type part is already written. */
void ei_pack_act_finish(ei_type w, void *row, int64_t n);

/* y[c * y_stride + r] for the 16 rows of group g (r in [0, 16)) and
 * activation rows c in [0, nc), nc in [1, PACK_COLS]; activation row c at
 * a + c * a_stride. */
typedef void (*ei_pack_kernel_fn)(int64_t n, const void *group, const void *a, size_t a_stride, int nc, float *y,
                                  size_t y_stride);

/* The reference kernel (portable C) and the selected one for a type. */
ei_pack_kernel_fn ei_pack_kernel_scalar(ei_type t);
ei_pack_kernel_fn ei_pack_kernel_selected(ei_type t); /* NULL: do not pack on this CPU */

#if defined(__x86_64__)
ei_pack_kernel_fn ei_pack_kernel_avx512vnni(ei_type t); /* AVX512-VNNI */
ei_pack_kernel_fn ei_pack_kernel_avx2(ei_type t);       /* AVX2 + FMA + F16C */
ei_pack_kernel_fn ei_pack_kernel_float_avx512(ei_type t); /* F16, BF16: AVX-512 F/VL (32 registers) */
ei_pack_kernel_fn ei_pack_kernel_float_avx2(ei_type t);   /* F16, BF16: AVX2 + FMA + F16C, vec_dot's order */
#endif

#endif
