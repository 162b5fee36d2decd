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
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "edgeinfer.h"
#include "quant/blocks.h"
#include "quant/fp16.h"

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
 * IQ3_S, IQ1_S, IQ1_M, TQ1_0, TQ2_0, and IQ4_XS and Q3_K (not lattices,
 * but of the same form: a prompt batch of them unpacks rows the same way). */
bool ei_iq_unpackable(ei_type t);

/* One super-block of type t (ei_iq_unpackable) as integers, unit
 * ei_iq_unit's. Any bytes are a valid block (a NaN or infinite f16 scale
 * gives a NaN or infinite unit). */
void ei_iq_unpack(ei_type t, const void *block, ei_iq_unpacked *u);

/* The unit of a super-block of type t (ei_iq_unpackable): its f16 scale
 * d (IQ1_M's gathered from the top nibbles of its four scale words) times
 * the type's power of two. The parts are apart so that a SIMD kernel can
 * convert d with its own instruction (the same value); inline, as the
 * kernels take them once per super-block. */
static inline uint16_t ei_iq_d(ei_type t, const void *block) {
    const uint8_t *p = block;
    uint16_t h;
    switch (t) {
    case EI_TYPE_IQ1_M: {
        uint16_t sc[4];
        memcpy(sc, p + offsetof(block_iq1_m, scales), sizeof sc);
        return (uint16_t)((sc[0] >> 12) | ((sc[1] >> 8) & 0x00F0) | ((sc[2] >> 4) & 0x0F00) | (sc[3] & 0xF000));
    }
    case EI_TYPE_TQ1_0: memcpy(&h, p + offsetof(block_tq1_0, d), 2); return h;
    case EI_TYPE_TQ2_0: memcpy(&h, p + offsetof(block_tq2_0, d), 2); return h;
    case EI_TYPE_Q3_K: memcpy(&h, p + offsetof(block_q3_K, d), 2); return h;
    default: memcpy(&h, p, 2); return h; /* the IQ2/IQ3/IQ1_S/IQ4_XS blocks start with it */
    }
}

static inline float ei_iq_unit_scale(ei_type t) {
    switch (t) {
    case EI_TYPE_IQ3_S: case EI_TYPE_TQ1_0: case EI_TYPE_TQ2_0: case EI_TYPE_IQ4_XS: case EI_TYPE_Q3_K: return 1.0f;
    case EI_TYPE_IQ3_XXS: return 0.25f; /* 0.5 * (0.5 + s) = (2s + 1) / 4 */
    default: return 0.125f;             /* 0.25 * (0.5 + s), IQ1's 1/8 shift */
    }
}

static inline float ei_iq_unit(ei_type t, const void *block) {
    return ei_fp16_to_fp32(ei_iq_d(t, block)) * ei_iq_unit_scale(t);
}

/* IQ2/IQ3's 7 stored sign bits of 8 values -> 8 bits (the eighth makes the
 * count of minus signs even) */
static inline unsigned ei_iq_signs8(unsigned s7) { return s7 | (unsigned)(__builtin_parity(s7) << 7); }

#endif
