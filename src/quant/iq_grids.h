/*
 * iq_grids.h — the IQ1, IQ2 and IQ3 lattice types and the ternary types
 * (TQ1_0, TQ2_0) as integers.
 *
 * Each of these types stores super-blocks of 256 values whose dequantized
 * value j is, exactly as ggml rounds it,
 *
 *     (unit * scale[j / 16]) * code[j]
 *
 * with unit the block's f16 scale times a power of two, scale a small odd
 * integer per 16 values and code a small signed integer: a grid point's
 * value times its sign (IQ2, IQ3), 8 * grid value +- 1 (IQ1, whose
 * +-1/8 shift is folded in), the ternary digit. ei_iq_unpack writes that
 * form; the dequantizers and every vec_dot kernel start from it, so the
 * integer sums a kernel forms are exact and the same on every CPU.
 *
 * The grids (iq_grids.c) are data of the file format: a code of 8 (or 11)
 * bits picks one of these fixed points of 8 values (4 for IQ3), one value
 * per byte, little-endian.
 */
#ifndef EI_QUANT_IQ_GRIDS_H
#define EI_QUANT_IQ_GRIDS_H

#include <stdbool.h>
#include <stdint.h>

#include "edgeinfer.h"
#include "quant/blocks.h"

extern const uint64_t ei_iq2xxs_grid[256]; /* bytes 8, 25, 43 */
extern const uint64_t ei_iq2xs_grid[512];
extern const uint64_t ei_iq2s_grid[1024];
extern const uint32_t ei_iq3xxs_grid[256]; /* bytes 4 .. 62 */
extern const uint32_t ei_iq3s_grid[512];   /* bytes 1 .. 15 */
extern const uint64_t ei_iq1s_grid[2048];  /* bytes -1, 0, 1 as int8 */

typedef struct ei_iq_unpacked {
    float unit;           /* value j = (unit * scale[j / 16]) * code[j] */
    int8_t scale[QK_K / 16];
    int8_t code[QK_K];
} ei_iq_unpacked;

/* True for the types ei_iq_unpack takes: IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS,
 * IQ3_S, IQ1_S, IQ1_M, TQ1_0, TQ2_0. */
bool ei_iq_unpackable(ei_type t);

/* One super-block of type t (ei_iq_unpackable) as integers. Any bytes are a
 * valid block (a NaN or infinite f16 scale gives a NaN or infinite unit). */
void ei_iq_unpack(ei_type t, const void *block, ei_iq_unpacked *u);

/* IQ2/IQ3's 7 stored sign bits of 8 values -> 8 bits (the eighth makes the
 * count of minus signs even) */
static inline unsigned ei_iq_signs8(unsigned s7) { return s7 | (unsigned)(__builtin_parity(s7) << 7); }

#endif
