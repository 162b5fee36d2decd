/*
 * vec_dot.h — dot products of a quantized weight row with quantized
 * activation rows, one table of kernels per instruction-set level.
 *
 * As in ggml, the activations of a matrix product are quantized once to the
 * type ggml pairs with the weight type (its "vec_dot_type"), and each dot
 * product is an integer sum per block scaled by the two block scales:
 *
 *   weight                              activation
 *   Q4_0 Q5_0 Q8_0 IQ4_NL               Q8_0
 *   Q4_1 Q5_1                           Q8_1
 *   Q2_K Q3_K Q4_K Q5_K Q6_K IQ4_XS     Q8_K
 *   F16 / BF16 / F32                    F16 / BF16 / F32
 *
 * The scalar kernels compute what ggml's vec_dot computes (same integer
 * sums, same rounding of every scale: f16 block scales, Q8_1's f16 block
 * sum, Q8_K's f32 scale), adding the float terms in the order of ggml's x86
 * kernels; they are the reference the SIMD kernels are tested against
 * (tests/test_vec_dot.c, docs/cpu-kernels.md). The SIMD kernels form the
 * same integers and add them in the same order: every level gives the same
 * bits (and llama.cpp's, on x86, for the same activations). The Q8_0 and
 * Q8_1 activations are quantized as ggml's x86 code does (round half to
 * even, scale 127 / amax).
 *
 * An activation row of type Q8_0 or Q8_1 carries, after ggml's blocks, the
 * same data again in a form SIMD kernels read faster ("aux", each part
 * 64-byte aligned from the row start; rows are 64-byte aligned):
 *   int8_t  qs[n]       the codes of all blocks, contiguous
 *   float   ds[nb][2]   each block's f16 d and s as f32 (s: Q8_1; 0 for Q8_0)
 * Padding is zero (ei_q8_clear_pad): the AVX-512 kernels read past an odd
 * last block (and give it no weight). Every level's quantizer writes
 * identical rows (tested), so any level's kernel can read any level's
 * rows. Rows of the other types are plain ggml blocks (Q8_K) or f32
 * values: F16 and BF16 activations are rounded to f16 / bf16 (as ggml
 * rounds them) but stored as f32, each value exact, so that a kernel
 * converts only the weights.
 *
 * Results of a kernel depend only on its inputs: the same row against the
 * same activation gives the same bits whatever nr is (a tile of rows is
 * computed row by row in the same order; only a NaN's sign and payload may
 * differ), so outputs never depend on the thread count or on how a batch
 * is split into tiles.
 */
#ifndef EI_CPU_VEC_DOT_H
#define EI_CPU_VEC_DOT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "cpu_features.h" /* beside this file: tests include it by relative path */
#include "edgeinfer.h"

/* The most activation rows one kernel call takes. */
#define EI_VEC_DOT_MAX_ROWS 4

/* s[r] = dot(weight row w, activation row r) for r in [0, nr), nr in
 * [1, EI_VEC_DOT_MAX_ROWS]; activation row r starts at a + r * a_stride
 * bytes. n (elements) is a positive multiple of the weight type's block
 * size (256 for the types paired with Q8_K). */
typedef void (*ei_vec_dot_fn)(int64_t n, const void *w, const void *a, size_t a_stride, int nr, float *s);

/* Write the activation row for x[0..n) (n as above) at a,
 * ei_vec_dot_act_row_bytes(type, n) bytes. */
typedef void (*ei_act_quantize_fn)(const float *x, void *a, int64_t n);

/* s[k] = dot(weight row w + k * w_stride bytes, activation row a) for k in
 * [0, nw), nw in [1, EI_VEC_DOT_MAX_ROWS]: several weight rows against one
 * activation row (generation), their independent sums interleaved so that
 * no latency chain limits the speed. Each s[k] has the bits dot gives for
 * that weight row alone. */
typedef void (*ei_vec_dot_rows_fn)(int64_t n, const void *w, size_t w_stride, int nw, const void *a, float *s);

/* y[c * y_stride + k] = dot(weight row w + k * w_stride bytes, activation
 * row a + c * a_stride bytes) for k in [0, nw), c in [0, na), na in
 * [1, EI_VEC_DOT_MAX_ROWS], nw at most EI_VEC_DOT_TILE_W: a block of a
 * prompt's product (the float types: several weight rows against several
 * activation rows, register-tiled). Each output has the bits dot gives. */
#define EI_VEC_DOT_TILE_W 24 /* a float task's rows at most: eight of the AVX2 tile's passes of three */
typedef void (*ei_vec_dot_tile_fn)(int64_t n, const void *w, size_t w_stride, int nw, const void *a, size_t a_stride,
                                   int na, float *y, size_t y_stride);

/* Write weight row w (n values, a type ei_iq_unpackable) at u as integers
 * (the layout below), once for many activation rows: prompt batches of the
 * lattice and ternary types, whose grid lookups cost more than the
 * products, and of IQ4_XS and Q3_K. */
typedef void (*ei_unpack_row_fn)(int64_t n, const void *w, void *u);

typedef struct ei_vec_dot_table {
    ei_cpu_level level;
    ei_vec_dot_fn dot[EI_TYPE_COUNT];            /* by weight type; NULL: no kernel */
    ei_vec_dot_rows_fn dot_rows[EI_TYPE_COUNT];  /* by weight type; NULL: use dot row by row */
    ei_act_quantize_fn quantize[EI_TYPE_COUNT];  /* by activation type */
    ei_unpack_row_fn unpack_row[EI_TYPE_COUNT];  /* by weight type; NULL: none */
    ei_vec_dot_fn dot_unpacked;                  /* an unpacked row against Q8_K rows: dot's bits */
    ei_vec_dot_tile_fn tile[EI_TYPE_COUNT];      /* by weight type; NULL: dot tile by tile */
} ei_vec_dot_table;


/* The activation type paired with weight type w; EI_TYPE_COUNT if none. */
ei_type ei_vec_dot_act_type(ei_type w);

/* Bytes of one activation row of n elements, a multiple of 64; 0 if n is
 * not a positive multiple of the type's block size or act has no rows. */
size_t ei_vec_dot_act_row_bytes(ei_type act, int64_t n);

/* The kernels of one level (types a level lacks come from the level
 * below); NULL if this CPU or this build cannot run that level. */
const ei_vec_dot_table *ei_vec_dot_table_for(ei_cpu_level level);

/* The kernels of ei_cpu_level_selected(). */
const ei_vec_dot_table *ei_vec_dot_selected(void);

/* ---- the aux part of Q8_0 / Q8_1 rows ------------------------------------ */

typedef struct ei_q8_layout {
    size_t qs, ds, bytes; /* offsets from the row start; total bytes */
} ei_q8_layout;

static inline size_t ei_align64(size_t x) { return (x + 63) & ~(size_t)63; }

/* The fixed reduction of 8 lanes every level uses (vec_dot_scalar.c),
 * packed F16 and BF16 too (packed_scalar.c). */
static inline float ei_hsum8(const float v[8]) {
    return ((v[0] + v[4]) + (v[2] + v[6])) + ((v[1] + v[5]) + (v[3] + v[7]));
}

/* n a multiple of 32; block_bytes 34 (Q8_0) or 36 (Q8_1) */
static inline ei_q8_layout ei_q8_layout_of(size_t block_bytes, int64_t n) {
    size_t nb = (size_t)n / 32;
    ei_q8_layout l;
    l.qs = ei_align64(nb * block_bytes);
    l.ds = l.qs + ei_align64((size_t)n);
    l.bytes = l.ds + ei_align64(8 * nb);
    return l;
}

/* Zero the padding after each part of a Q8_0 / Q8_1 row of n values. */
static inline void ei_q8_clear_pad(void *row, size_t block_bytes, int64_t n) {
    const ei_q8_layout l = ei_q8_layout_of(block_bytes, n);
    const size_t nb = (size_t)n / 32;
    char *p = row;
    memset(p + nb * block_bytes, 0, l.qs - nb * block_bytes);
    memset(p + l.qs + (size_t)n, 0, l.ds - l.qs - (size_t)n);
    memset(p + l.ds + 8 * nb, 0, l.bytes - l.ds - 8 * nb);
}

/* ---- unpacked rows (iq_grids.h's form, row by row) ------------------------
 *   int8_t code[n] | int16_t scale[n / 16] | float unit[n / 256] | int32_t bias[n / 256][8]
 * value j = (unit[j / 256] * scale[j / 16]) * code[j]. The scales are 16-bit
 * so that a kernel takes a group of 32's two with one load. bias[b][i] is
 * 128 * the sum of code * scale over values 4i .. 4i + 3 of every group of
 * 32 in super-block b: a kernel that multiplies the activations made
 * unsigned (+ 128) by the signed codes (AVX2 maddubs, no sign trick per
 * activation row) takes it off each lane and has the exact sums. */
static inline size_t ei_unpacked_scales_at(int64_t n) { return (size_t)n; }
static inline size_t ei_unpacked_units_at(int64_t n) { return (size_t)n + (size_t)n / 8; }
static inline size_t ei_unpacked_bias_at(int64_t n) { return ei_unpacked_units_at(n) + (size_t)n / 64; }
static inline size_t ei_unpacked_data_bytes(int64_t n) { return ei_unpacked_bias_at(n) + (size_t)n / 8; }
static inline size_t ei_unpacked_row_bytes(int64_t n) { return ei_align64(ei_unpacked_data_bytes(n)); }

/* ---- per-level fillers (each ISA file); a table starts as a copy of the
 * level below and replaces what it does better ------------------------------ */

void ei_vec_dot_fill_scalar(ei_vec_dot_table *t);
#if defined(__x86_64__)
void ei_vec_dot_fill_avx2(ei_vec_dot_table *t);
void ei_vec_dot_fill_avx2_iq(ei_vec_dot_table *t); /* the lattice, ternary and MXFP4 types */
void ei_vec_dot_fill_avx512(ei_vec_dot_table *t, int vnni);
#endif
#if defined(__aarch64__)
void ei_vec_dot_fill_neon(ei_vec_dot_table *t, int dotprod);
#endif

/* The scalar Q8_0 / Q8_1 aux writer: fills qs and ds (and zeroes the
 * padding) from the blocks already at the row start. */
void ei_q8_fill_aux(void *row, ei_type act, int64_t n);

#endif
