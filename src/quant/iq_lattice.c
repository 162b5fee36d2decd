/*
 * iq_lattice.c — the IQ1/IQ2/IQ3 lattice types and the ternary types as
 * integers (iq_grids.h), and their reference dequantizers. Layouts and
 * scale formulas are ggml's (ggml-common.h, dequantize_row_iq2_xxs and its
 * siblings); the power of two that ggml applies to each sub-block scale
 * (0.25 * (0.5 + s) = (2s + 1) / 8, say) is moved into the unit, which
 * rounds the same way because scaling by a power of two is exact.
 *
 * There are no quantizers for these types here: they need an importance
 * matrix and a lattice search (llama-quantize writes them); models that use
 * them load and run.
 */
#include <string.h>

#include "quant/iq_grids.h"
#include "quant/kernels.h"

static inline int grid_byte(uint64_t g, int j) { return (int)((g >> (8 * j)) & 0xFF); }

/* 8 values of an IQ2 grid point with 8 sign bits */
static void signed8(uint64_t g, unsigned signs, int8_t *code) {
    for (int j = 0; j < 8; j++) code[j] = (int8_t)((signs >> j & 1) ? -grid_byte(g, j) : grid_byte(g, j));
}

/* 4 values of an IQ3 grid point with sign bits `from` .. `from` + 3 */
static void signed4(uint32_t g, unsigned signs, int from, int8_t *code) {
    for (int j = 0; j < 4; j++) code[j] = (int8_t)((signs >> (from + j) & 1) ? -grid_byte(g, j) : grid_byte(g, j));
}

/* 8 values of an IQ1 grid point (-1, 0, 1) shifted by sigma / 8, times 8 */
static void shifted8(uint64_t g, int sigma, int8_t *code) {
    for (int j = 0; j < 8; j++) code[j] = (int8_t)(8 * (int8_t)grid_byte(g, j) + sigma);
}

static void both_halves(ei_iq_unpacked *u, int ib32, int scale) { u->scale[2 * ib32] = u->scale[2 * ib32 + 1] = (int8_t)scale; }

static void unpack_iq2_xxs(const block_iq2_xxs *x, ei_iq_unpacked *u) {
    for (int ib = 0; ib < QK_K / 32; ib++) {
        uint8_t idx[4];
        uint32_t meta; /* 4 x 7 sign bits, then the 4-bit scale */
        memcpy(idx, (const uint8_t *)x->qs + 8 * ib, 4);
        memcpy(&meta, (const uint8_t *)x->qs + 8 * ib + 4, 4);
        both_halves(u, ib, 2 * (int)(meta >> 28) + 1);
        for (int l = 0; l < 4; l++) signed8(ei_iq2xxs_grid[idx[l]], ei_iq_signs8((meta >> 7 * l) & 127), u->code + 32 * ib + 8 * l);
    }
}

static void unpack_iq2_xs(const block_iq2_xs *x, ei_iq_unpacked *u) {
    for (int ib = 0; ib < QK_K / 32; ib++) {
        u->scale[2 * ib] = (int8_t)(2 * (x->scales[ib] & 0xF) + 1);
        u->scale[2 * ib + 1] = (int8_t)(2 * (x->scales[ib] >> 4) + 1);
        for (int l = 0; l < 4; l++) {
            const unsigned q = x->qs[4 * ib + l]; /* 9-bit grid index, 7 sign bits */
            signed8(ei_iq2xs_grid[q & 511], ei_iq_signs8(q >> 9), u->code + 32 * ib + 8 * l);
        }
    }
}

static void unpack_iq2_s(const block_iq2_s *x, ei_iq_unpacked *u) {
    const uint8_t *signs = x->qs + QK_K / 8; /* the second half of qs: 8 explicit sign bits per 8 values */
    for (int ib = 0; ib < QK_K / 32; ib++) {
        u->scale[2 * ib] = (int8_t)(2 * (x->scales[ib] & 0xF) + 1);
        u->scale[2 * ib + 1] = (int8_t)(2 * (x->scales[ib] >> 4) + 1);
        for (int l = 0; l < 4; l++) {
            const unsigned idx = x->qs[4 * ib + l] | ((unsigned)x->qh[ib] << (8 - 2 * l) & 0x300);
            signed8(ei_iq2s_grid[idx], signs[4 * ib + l], u->code + 32 * ib + 8 * l);
        }
    }
}

static void unpack_iq3_xxs(const block_iq3_xxs *x, ei_iq_unpacked *u) {
    const uint8_t *meta_bytes = x->qs + QK_K / 4; /* per 32 values: 4 x 7 sign bits, 4-bit scale */
    for (int ib = 0; ib < QK_K / 32; ib++) {
        uint32_t meta;
        memcpy(&meta, meta_bytes + 4 * ib, 4);
        both_halves(u, ib, 2 * (int)(meta >> 28) + 1);
        for (int l = 0; l < 4; l++) {
            const unsigned signs = ei_iq_signs8((meta >> 7 * l) & 127);
            int8_t *code = u->code + 32 * ib + 8 * l;
            signed4(ei_iq3xxs_grid[x->qs[8 * ib + 2 * l]], signs, 0, code);
            signed4(ei_iq3xxs_grid[x->qs[8 * ib + 2 * l + 1]], signs, 4, code + 4);
        }
    }
}

static void unpack_iq3_s(const block_iq3_s *x, ei_iq_unpacked *u) {
    for (int ib = 0; ib < QK_K / 32; ib++) {
        both_halves(u, ib, 2 * ((x->scales[ib / 2] >> 4 * (ib % 2)) & 0xF) + 1);
        const unsigned qh = x->qh[ib]; /* the ninth bit of each of the 8 grid indices */
        for (int l = 0; l < 4; l++) {
            const unsigned i1 = x->qs[8 * ib + 2 * l] | (qh << (8 - 2 * l) & 256);
            const unsigned i2 = x->qs[8 * ib + 2 * l + 1] | (qh << (7 - 2 * l) & 256);
            int8_t *code = u->code + 32 * ib + 8 * l;
            signed4(ei_iq3s_grid[i1], x->signs[4 * ib + l], 0, code);
            signed4(ei_iq3s_grid[i2], x->signs[4 * ib + l], 4, code + 4);
        }
    }
}

static void unpack_iq1_s(const block_iq1_s *x, ei_iq_unpacked *u) {
    for (int ib = 0; ib < QK_K / 32; ib++) {
        const unsigned qh = x->qh[ib]; /* 4 x 3 high index bits, 3-bit scale, shift sign */
        both_halves(u, ib, 2 * ((qh >> 12) & 7) + 1);
        const int sigma = qh & 0x8000 ? -1 : 1;
        for (int l = 0; l < 4; l++)
            shifted8(ei_iq1s_grid[x->qs[4 * ib + l] | ((qh >> 3 * l) & 7) << 8], sigma, u->code + 32 * ib + 8 * l);
    }
}

static void unpack_iq1_m(const block_iq1_m *x, ei_iq_unpacked *u) {
    uint16_t sc[4];
    memcpy(sc, x->scales, sizeof sc);
    for (int ib = 0; ib < QK_K / 32; ib++) {
        u->scale[2 * ib] = (int8_t)(2 * ((sc[ib / 2] >> 6 * (ib % 2)) & 7) + 1);
        u->scale[2 * ib + 1] = (int8_t)(2 * ((sc[ib / 2] >> (6 * (ib % 2) + 3)) & 7) + 1);
        for (int l = 0; l < 4; l++) {
            const unsigned qh = x->qh[2 * ib + l / 2] >> 4 * (l % 2); /* 3 high index bits, shift sign */
            shifted8(ei_iq1s_grid[x->qs[4 * ib + l] | (qh & 7) << 8], qh & 8 ? -1 : 1, u->code + 32 * ib + 8 * l);
        }
    }
}

/* TQ1_0: five base-3 digits per byte, read as ggml does: digit n of byte q
 * is ((q * 3^n mod 256) * 3) >> 8 */
static int trit(uint8_t q, int n) {
    static const uint8_t pow3[5] = {1, 3, 9, 27, 81};
    const uint8_t shifted = (uint8_t)(q * pow3[n]);
    return ((unsigned)shifted * 3) >> 8;
}

static void unpack_tq1_0(const block_tq1_0 *x, ei_iq_unpacked *u) {
    memset(u->scale, 1, sizeof u->scale);
    int8_t *code = u->code;
    for (int n = 0; n < 5; n++) /* the first 32 bytes: 160 values */
        for (int m = 0; m < 32; m++) *code++ = (int8_t)(trit(x->qs[m], n) - 1);
    for (int n = 0; n < 5; n++) /* the last 16: 80 */
        for (int m = 32; m < 48; m++) *code++ = (int8_t)(trit(x->qs[m], n) - 1);
    for (int n = 0; n < 4; n++) /* qh: 4 digits each, 16 */
        for (int m = 0; m < 4; m++) *code++ = (int8_t)(trit(x->qh[m], n) - 1);
}

static void unpack_tq2_0(const block_tq2_0 *x, ei_iq_unpacked *u) {
    memset(u->scale, 1, sizeof u->scale);
    for (int j = 0; j < 2; j++)
        for (int l = 0; l < 4; l++)
            for (int m = 0; m < 32; m++) u->code[128 * j + 32 * l + m] = (int8_t)(((x->qs[32 * j + m] >> 2 * l) & 3) - 1);
}

/* Two types of the same form that are not lattices: IQ4_XS (a 6-bit scale
 * minus 32 per 32 values, IQ4_NL's 16 levels) and Q3_K (a 6-bit scale
 * minus 32 per 16 values, 3-bit codes minus 4). ggml's dequantization,
 * (d * scale) * code, is this form with the unit d. */
static void unpack_iq4_xs(const block_iq4_xs *x, ei_iq_unpacked *u) {
    for (int ib = 0; ib < QK_K / 32; ib++) {
        const int ls = ((x->scales_l[ib / 2] >> 4 * (ib % 2)) & 0xF) | (((x->scales_h >> 2 * ib) & 3) << 4);
        u->scale[2 * ib] = u->scale[2 * ib + 1] = (int8_t)(ls - 32);
        for (int j = 0; j < 16; j++) {
            u->code[32 * ib + j] = ei_kvalues_iq4nl[x->qs[16 * ib + j] & 0xF];
            u->code[32 * ib + 16 + j] = ei_kvalues_iq4nl[x->qs[16 * ib + j] >> 4];
        }
    }
}

static void unpack_q3_K(const block_q3_K *x, ei_iq_unpacked *u) {
    ei_q3_K_scales(x->scales, u->scale);
    for (int j = 0; j < 16; j++) u->scale[j] = (int8_t)(u->scale[j] - 32);
    /* value 128k + 32g + l: bits 2g..2g+1 of qs[32k + l], high bit 4k + g of hmask[l] (clear: minus 4) */
    for (int k = 0; k < 2; k++)
        for (int g = 0; g < 4; g++)
            for (int l = 0; l < 32; l++)
                u->code[128 * k + 32 * g + l] =
                    (int8_t)(((x->qs[32 * k + l] >> 2 * g) & 3) - ((x->hmask[l] >> (4 * k + g)) & 1 ? 0 : 4));
}

bool ei_iq_unpackable(ei_type t) {
    switch (t) {
    case EI_TYPE_IQ2_XXS: case EI_TYPE_IQ2_XS: case EI_TYPE_IQ2_S: case EI_TYPE_IQ3_XXS: case EI_TYPE_IQ3_S:
    case EI_TYPE_IQ1_S: case EI_TYPE_IQ1_M: case EI_TYPE_TQ1_0: case EI_TYPE_TQ2_0:
    case EI_TYPE_IQ4_XS: case EI_TYPE_Q3_K: return true;
    default: return false;
    }
}

void ei_iq_unpack(ei_type t, const void *block, ei_iq_unpacked *u) {
    switch (t) {
    case EI_TYPE_IQ2_XXS: unpack_iq2_xxs(block, u); break;
    case EI_TYPE_IQ2_XS: unpack_iq2_xs(block, u); break;
    case EI_TYPE_IQ2_S: unpack_iq2_s(block, u); break;
    case EI_TYPE_IQ3_XXS: unpack_iq3_xxs(block, u); break;
    case EI_TYPE_IQ3_S: unpack_iq3_s(block, u); break;
    case EI_TYPE_IQ1_S: unpack_iq1_s(block, u); break;
    case EI_TYPE_IQ1_M: unpack_iq1_m(block, u); break;
    case EI_TYPE_TQ1_0: unpack_tq1_0(block, u); break;
    case EI_TYPE_TQ2_0: unpack_tq2_0(block, u); break;
    case EI_TYPE_IQ4_XS: unpack_iq4_xs(block, u); break;
    case EI_TYPE_Q3_K: unpack_q3_K(block, u); break;
    default: memset(u, 0, sizeof *u); return;
    }
    u->unit = ei_iq_unit(t, block);
}

static void dequantize(ei_type t, size_t block_bytes, const void *src, float *dst, int64_t n) {
    for (int64_t b = 0; b < n / QK_K; b++) {
        ei_iq_unpacked u;
        ei_iq_unpack(t, (const uint8_t *)src + (size_t)b * block_bytes, &u);
        for (int j = 0; j < QK_K; j++) dst[QK_K * b + j] = (u.unit * (float)u.scale[j / 16]) * (float)u.code[j];
    }
}

#define DEQUANTIZE(name, T)                                                                      \
    void ei_dequantize_##name(const void *src, float *dst, int64_t n) {                           \
        dequantize(T, sizeof(block_##name), src, dst, n);                                          \
    }
DEQUANTIZE(iq2_xxs, EI_TYPE_IQ2_XXS)
DEQUANTIZE(iq2_xs, EI_TYPE_IQ2_XS)
DEQUANTIZE(iq2_s, EI_TYPE_IQ2_S)
DEQUANTIZE(iq3_xxs, EI_TYPE_IQ3_XXS)
DEQUANTIZE(iq3_s, EI_TYPE_IQ3_S)
DEQUANTIZE(iq1_s, EI_TYPE_IQ1_S)
DEQUANTIZE(iq1_m, EI_TYPE_IQ1_M)
DEQUANTIZE(tq1_0, EI_TYPE_TQ1_0)
DEQUANTIZE(tq2_0, EI_TYPE_TQ2_0)
