/*
 * packed_scalar.c — repacking of weight rows into groups of 16 (packed.h),
 * the packed activation extras, and the reference kernels: plain C that
 * reads one code at a time, as slow as it is obvious. The SIMD kernels are
 * tested against these bit for bit (tests/test_packed.c).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "backends/cpu/cpu_features.h"
#include "backends/cpu/packed.h"
#include "backends/cpu/packed_prefetch.h"
#include "backends/cpu/vec_dot.h"
#include "quant/blocks.h"
#include "quant/fp16.h"
#include "quant/quant.h"

/* ---- layout ---------------------------------------------------------------
 * Offsets inside one packed block (see packed.h). */

enum {
    Q80_UNITS = 32,
    B32_M = 32, /* Q4_1's and Q5_1's m[16] (the other blocks of 32: units_at) */
    Q4K_DMIN = 32, Q4K_SC = 64, Q4K_M = 192, Q4K_UNITS = 320,
    Q5K_HI = Q4K_UNITS + 2048, /* Q5_K: Q4_K's fields, then the fifth bits */
    Q6K_SC = 32, Q6K_LO = 288, Q6K_HI = 288 + 2048,
    Q2K_DMIN = 32, Q2K_SCM = 64, Q2K_CODES = 320,
    Q3K_SC = 32, Q3K_LO = 288, Q3K_HI = 288 + 1024,
    XS_SC = 32, XS_UNITS = 32 + 128,
};

/* The blocks of 32 in nibble units (Q4_0, Q4_1, Q5_0, Q5_1, IQ4_NL,
 * MXFP4): d[16] (MXFP4: e[16]), Q4_1's and Q5_1's m[16], then the four
 * units of the codes' low 4 bits; Q5_0's and Q5_1's unit of fifth bits
 * follows them. */
static size_t units_at(ei_type t) {
    return t == EI_TYPE_MXFP4 ? 16 : t == EI_TYPE_Q4_1 || t == EI_TYPE_Q5_1 ? B32_M + 32 : 32;
}
static bool has_fifth_bits(ei_type t) { return t == EI_TYPE_Q5_0 || t == EI_TYPE_Q5_1; }

/* The fields of a file block of those types (NULL where the type has none). */
typedef struct {
    uint16_t *d, *m;
    uint8_t *e, *qh, *qs;
} b32_fields;

static b32_fields b32_fields_of(ei_type t, void *x) {
    b32_fields f = {0};
    switch (t) {
    case EI_TYPE_Q4_0: { block_q4_0 *b = x; f.d = &b->d, f.qs = b->qs; break; }
    case EI_TYPE_Q4_1: { block_q4_1 *b = x; f.d = &b->d, f.m = &b->m, f.qs = b->qs; break; }
    case EI_TYPE_Q5_0: { block_q5_0 *b = x; f.d = &b->d, f.qh = b->qh, f.qs = b->qs; break; }
    case EI_TYPE_Q5_1: { block_q5_1 *b = x; f.d = &b->d, f.m = &b->m, f.qh = b->qh, f.qs = b->qs; break; }
    case EI_TYPE_IQ4_NL: { block_iq4_nl *b = x; f.d = &b->d, f.qs = b->qs; break; }
    default: { block_mxfp4 *b = x; f.e = &b->e, f.qs = b->qs; break; }
    }
    return f;
}

bool ei_pack_type_supported(ei_type t) { return ei_pack_block_bytes(t) != 0; }

static bool is_float(ei_type t) { return t == EI_TYPE_F16 || t == EI_TYPE_BF16; }

static int64_t block_values(ei_type t) {
    return t == EI_TYPE_F16 ? 8 : t == EI_TYPE_BF16 ? 16 : ei_pack_act_type(t) == EI_TYPE_Q8_K ? QK_K : 32;
}

size_t ei_pack_block_bytes(ei_type t) {
    switch (t) {
    case EI_TYPE_Q8_0: return 32 + 8 * 64;
    case EI_TYPE_Q4_0: case EI_TYPE_Q4_1: case EI_TYPE_Q5_0: case EI_TYPE_Q5_1: case EI_TYPE_IQ4_NL: case EI_TYPE_MXFP4:
        return units_at(t) + 4 * 64 + (has_fifth_bits(t) ? 64 : 0);
    case EI_TYPE_Q4_K: return Q4K_UNITS + 32 * 64;
    case EI_TYPE_Q5_K: return Q5K_HI + 8 * 64;
    case EI_TYPE_Q6_K: return Q6K_HI + 16 * 64;
    case EI_TYPE_Q2_K: return Q2K_CODES + 16 * 64;
    case EI_TYPE_Q3_K: return Q3K_HI + 8 * 64;
    case EI_TYPE_IQ4_XS: return XS_UNITS + 32 * 64;
    case EI_TYPE_F16: return PACK_ROWS * 8 * 2;
    case EI_TYPE_BF16: return PACK_ROWS * 16 * 2;
    default: return 0;
    }
}

size_t ei_pack_bytes(ei_type t, int64_t n, int64_t n_out) {
    const size_t bb = ei_pack_block_bytes(t);
    if (!bb || n <= 0 || n_out <= 0 || n % block_values(t) || n_out % PACK_ROWS) return 0;
    const size_t blocks = (size_t)(n / block_values(t)), groups = (size_t)(n_out / PACK_ROWS);
    if (blocks > SIZE_MAX / bb / groups) return 0;
    return blocks * groups * bb;
}

/* A nibble unit (Q4_0's layout): value k of the 8u..8u+7 covered by unit u
 * is in byte 4r + k % 4, low nibble for k % 8 < 4. */
static int get_nibble(const uint8_t *units, int r, int k) {
    const uint8_t v = units[64 * (k / 8) + 4 * r + k % 4];
    return k % 8 < 4 ? v & 15 : v >> 4;
}

/* A 2-bit unit (Q6_K's high bits, Q2_K's and Q3_K's codes): value k of
 * the 16v..16v+15 covered by unit v is bits 2t..2t+1 of byte 4r + k % 4,
 * t = k % 16 / 4. */
static int get_crumb(const uint8_t *units, int r, int k) {
    return (units[64 * (k / 16) + 4 * r + k % 4] >> (2 * (k % 16 / 4))) & 3;
}

/* A 1-bit unit (Q5_0's and Q5_K's fifth bits, Q3_K's third): value k of
 * the 32j..32j+31 covered by unit j is bit k % 32 / 4 of byte 4r + k % 4. */
static int get_bit(const uint8_t *units, int r, int k) {
    return (units[64 * (k / 32) + 4 * r + k % 4] >> (k % 32 / 4)) & 1;
}

/* Value k's code in a packed Q3_K block (row r): 0..7, the value plus 4. */
static int q3k_code(const uint8_t *blk, int r, int k) {
    return get_crumb(blk + Q3K_LO, r, k) | get_bit(blk + Q3K_HI, r, k) << 2;
}

/* Q2_K's (and Q3_K's low bits') file order: value 128n + 32g + l is bits 2g..2g+1 of qs[32n + l]. */
static int q2k_file_code(const uint8_t *qs, int k) { return (qs[32 * (k / 128) + k % 32] >> (2 * (k % 128 / 32))) & 3; }

static void put_f16(uint8_t *blk, size_t off, int r, uint16_t h) { memcpy(blk + off + 2 * r, &h, 2); }
static float get_f16(const uint8_t *blk, size_t off, int r) {
    uint16_t h;
    memcpy(&h, blk + off + 2 * r, 2);
    return ei_fp16_to_fp32(h);
}

/* 6-bit scale and minimum of sub-block j of a Q4_K super-block (ggml's
 * packing of scales[12]). */
static void scale_min_k4(int j, const uint8_t *q, int *sc, int *m) {
    if (j < 4) {
        *sc = q[j] & 63;
        *m = q[j + 4] & 63;
    } else {
        *sc = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
        *m = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
    }
}

/* Codes in nibble units (Q4_0's layout) for row r: whole bytes, each
 * written once: byte 4r + i of unit u = code 8u + i | code 8u + 4 + i << 4. */
static void put_units(uint8_t *units, int r, const uint8_t *codes, int n) {
    for (int u = 0; u < n / 8; u++)
        for (int i = 0; i < 4; i++)
            units[64 * u + 4 * r + i] = (uint8_t)((codes[8 * u + i] & 15) | (codes[8 * u + 4 + i] & 15) << 4);
}

/* Bits `shift`, `shift` + 1 of each code into 2-bit units (get_crumb's layout). */
static void put_crumbs(uint8_t *units, int r, const uint8_t *codes, int n, int shift) {
    for (int v = 0; v < n / 16; v++)
        for (int i = 0; i < 4; i++) {
            uint8_t byte = 0;
            for (int t = 0; t < 4; t++) byte |= (uint8_t)(((codes[16 * v + 4 * t + i] >> shift) & 3) << (2 * t));
            units[64 * v + 4 * r + i] = byte;
        }
}

/* Bit `shift` of each code into 1-bit units (get_bit's layout). */
static void put_bits(uint8_t *units, int r, const uint8_t *codes, int n, int shift) {
    for (int j = 0; j < n / 32; j++)
        for (int i = 0; i < 4; i++) {
            uint8_t byte = 0;
            for (int g = 0; g < 8; g++) byte |= (uint8_t)(((codes[32 * j + 4 * g + i] >> shift) & 1) << g);
            units[64 * j + 4 * r + i] = byte;
        }
}

/* Row r's file block x into packed block blk; every byte of the packed
 * block belongs to exactly one row and is written whole. */
static void pack_one(ei_type t, const void *x, int r, uint8_t *blk) {
    uint8_t c[256]; /* the row's codes for this block, in order */
    switch (t) {
    case EI_TYPE_Q8_0: {
        const block_q8_0 *b = x;
        put_f16(blk, 0, r, b->d);
        /* four codes at a time (a unit's bytes of row r are consecutive);
         * w + 128 as u8 is w with its sign bit flipped */
        for (int u = 0; u < 8; u++) {
            uint32_t v;
            memcpy(&v, b->qs + 4 * u, 4);
            v ^= 0x80808080u;
            memcpy(blk + Q80_UNITS + 64 * u + 4 * r, &v, 4);
        }
        break;
    }
    case EI_TYPE_Q4_0: case EI_TYPE_Q4_1: case EI_TYPE_Q5_0: case EI_TYPE_Q5_1: case EI_TYPE_IQ4_NL: case EI_TYPE_MXFP4: {
        const b32_fields f = b32_fields_of(t, (void *)x); /* (read only here) */
        for (int k = 0; k < 16; k++) {
            c[k] = f.qs[k] & 15;
            c[k + 16] = f.qs[k] >> 4;
        }
        if (f.e) blk[r] = *f.e;
        else put_f16(blk, 0, r, *f.d);
        if (f.m) put_f16(blk, B32_M, r, *f.m);
        put_units(blk + units_at(t), r, c, 32);
        if (f.qh) {
            uint32_t qh;
            memcpy(&qh, f.qh, 4);
            for (int k = 0; k < 32; k++) c[k] = (uint8_t)((qh >> k) & 1); /* value k's fifth bit */
            put_bits(blk + units_at(t) + 256, r, c, 32, 0);
        }
        break;
    }
    case EI_TYPE_Q4_K: case EI_TYPE_Q5_K: {
        /* Q5_K is Q4_K's block (d, dmin, scales[12] at the same offsets)
         * with qh[32] before qs */
        const block_q4_K *b = x;
        const uint8_t *qs = t == EI_TYPE_Q4_K ? b->qs : ((const block_q5_K *)x)->qs;
        put_f16(blk, 0, r, b->d);
        put_f16(blk, Q4K_DMIN, r, b->dmin);
        for (int j = 0; j < 8; j++) {
            int sc, m;
            scale_min_k4(j, b->scales, &sc, &m);
            blk[Q4K_SC + 16 * j + r] = (uint8_t)sc;
            blk[Q4K_M + 32 * (j / 2) + 2 * r + j % 2] = (uint8_t)m;
        }
        /* qs[32p + l]: value 64p + l (low nibble) and 64p + 32 + l (high) */
        for (int p = 0; p < 4; p++)
            for (int l = 0; l < 32; l++) {
                c[64 * p + l] = qs[32 * p + l] & 15;
                c[64 * p + 32 + l] = qs[32 * p + l] >> 4;
            }
        put_units(blk + Q4K_UNITS, r, c, 256);
        if (t == EI_TYPE_Q5_K) {
            const uint8_t *qh = ((const block_q5_K *)x)->qh;
            for (int k = 0; k < 256; k++) c[k] = (uint8_t)((qh[k % 32] >> (k / 32)) & 1); /* value k's fifth bit */
            put_bits(blk + Q5K_HI, r, c, 256, 0);
        }
        break;
    }
    case EI_TYPE_Q6_K: {
        const block_q6_K *b = x;
        put_f16(blk, 0, r, b->d);
        for (int j = 0; j < 16; j++) blk[Q6K_SC + 16 * j + r] = (uint8_t)b->scales[j];
        /* ggml's order: halves of 128; in each, l in [0, 32) gives values
         * l, l + 32, l + 64, l + 96 from ql[l], ql[l + 32] and qh[l] */
        for (int h = 0; h < 2; h++)
            for (int l = 0; l < 32; l++) {
                const uint8_t *ql = b->ql + 64 * h, *qh = b->qh + 32 * h;
                c[128 * h + l] = (uint8_t)((ql[l] & 15) | ((qh[l] >> 0) & 3) << 4);
                c[128 * h + l + 32] = (uint8_t)((ql[l + 32] & 15) | ((qh[l] >> 2) & 3) << 4);
                c[128 * h + l + 64] = (uint8_t)((ql[l] >> 4) | ((qh[l] >> 4) & 3) << 4);
                c[128 * h + l + 96] = (uint8_t)((ql[l + 32] >> 4) | ((qh[l] >> 6) & 3) << 4);
            }
        put_units(blk + Q6K_LO, r, c, 256);
        put_crumbs(blk + Q6K_HI, r, c, 256, 4);
        break;
    }
    case EI_TYPE_Q3_K: {
        const block_q3_K *b = x;
        int8_t sc[16];
        put_f16(blk, 0, r, b->d);
        ei_q3_K_scales(b->scales, sc);
        for (int j = 0; j < 16; j++) blk[Q3K_SC + 16 * j + r] = (uint8_t)(sc[j] - 32);
        /* value k's high bit: bit 4 (k / 128) + (k % 128) / 32 of hmask[k % 32] */
        for (int k = 0; k < 256; k++)
            c[k] = (uint8_t)(q2k_file_code(b->qs, k) | ((b->hmask[k % 32] >> (4 * (k / 128) + k % 128 / 32)) & 1) << 2);
        put_crumbs(blk + Q3K_LO, r, c, 256, 0);
        put_bits(blk + Q3K_HI, r, c, 256, 2);
        break;
    }
    case EI_TYPE_IQ4_XS: {
        const block_iq4_xs *b = x;
        put_f16(blk, 0, r, b->d);
        for (int j = 0; j < 8; j++) {
            const int ls = ((b->scales_l[j / 2] >> 4 * (j % 2)) & 15) | ((b->scales_h >> 2 * j) & 3) << 4;
            blk[XS_SC + 16 * j + r] = (uint8_t)(int8_t)(ls - 32);
        }
        /* qs[16j + l]: value 32j + l (low nibble) and 32j + 16 + l (high) */
        for (int j = 0; j < 8; j++)
            for (int l = 0; l < 16; l++) {
                c[32 * j + l] = b->qs[16 * j + l] & 15;
                c[32 * j + 16 + l] = b->qs[16 * j + l] >> 4;
            }
        put_units(blk + XS_UNITS, r, c, 256);
        break;
    }
    case EI_TYPE_Q2_K: {
        const block_q2_K *b = x;
        put_f16(blk, 0, r, b->d);
        put_f16(blk, Q2K_DMIN, r, b->dmin);
        for (int j = 0; j < 16; j++) blk[Q2K_SCM + 16 * j + r] = b->scales[j]; /* scale | min << 4, as the file's */
        for (int k = 0; k < 256; k++) c[k] = (uint8_t)q2k_file_code(b->qs, k);
        put_crumbs(blk + Q2K_CODES, r, c, 256, 0);
        break;
    }
    default: break;
    }
}

/* A float row's blocks of `piece` bytes to every `stride` bytes of out.
 * Inlined, so a constant piece is a fixed-size move rather than a call to
 * memcpy per block: F16's 16-byte pieces were 18 % of a 1.1B F16 load. */
static inline __attribute__((always_inline)) void scatter_row(uint8_t *out, const uint8_t *row, int64_t nb, size_t piece,
                                                              size_t stride) {
    for (int64_t b = 0; b < nb; b++) {
        pack_prefetch_lines(row + (size_t)b * piece + PACK_PREFETCH_SMALL, row + (size_t)(b + 1) * piece + PACK_PREFETCH_SMALL);
        memcpy(out + (size_t)b * stride, row + (size_t)b * piece, piece);
    }
}

void ei_pack_groups(ei_type t, const void *src, int64_t n, int64_t g0, int64_t g1, void *dst) {
    const size_t bb = ei_pack_block_bytes(t), row_bytes = ei_type_row_bytes(t, n);
    const size_t file_block = ei_type_row_bytes(t, block_values(t));
    const int64_t nb = n / block_values(t);
    for (int64_t g = g0; g < g1; g++) {
        uint8_t *out = (uint8_t *)dst + (size_t)g * (size_t)nb * bb;
        if (is_float(t)) { /* a block's values of each row in turn */
            for (int r = 0; r < PACK_ROWS; r++) {
                const uint8_t *row = (const uint8_t *)src + (size_t)(g * PACK_ROWS + r) * row_bytes;
                if (t == EI_TYPE_F16) scatter_row(out + 16 * r, row, nb, 16, bb); /* 8 values */
                else scatter_row(out + 32 * r, row, nb, 32, bb);                  /* BF16: 16 values */
            }
            continue;
        }
        for (int r = 0; r < PACK_ROWS; r++) {
            const char *row = (const char *)src + (size_t)(g * PACK_ROWS + r) * row_bytes;
            for (int64_t b = 0; b < nb; b++) {
                pack_prefetch_lines((const uint8_t *)row + (size_t)b * file_block + PACK_PREFETCH_SMALL,
                                    (const uint8_t *)row + (size_t)(b + 1) * file_block + PACK_PREFETCH_SMALL);
                pack_one(t, row + (size_t)b * file_block, r, out + (size_t)b * bb);
            }
        }
    }
}

/* Row r's file block from packed block blk: pack_one backwards (every
 * field of the file's block is a function of the packed bytes, Q4_K's
 * scales[12] included: 8 + 8 six-bit values fill its 96 bits). */
static void unpack_one(ei_type t, const uint8_t *blk, int r, void *x) {
    uint8_t c[256]; /* the row's codes for this block, in order */
    switch (t) {
    case EI_TYPE_F16: memcpy(x, blk + 16 * r, 16); break;
    case EI_TYPE_BF16: memcpy(x, blk + 32 * r, 32); break;
    case EI_TYPE_Q8_0: {
        block_q8_0 *b = x;
        memcpy(&b->d, blk + 2 * r, 2);
        for (int k = 0; k < 32; k++) b->qs[k] = (int8_t)(blk[Q80_UNITS + 64 * (k / 4) + 4 * r + k % 4] - 128);
        break;
    }
    case EI_TYPE_Q4_0: case EI_TYPE_Q4_1: case EI_TYPE_Q5_0: case EI_TYPE_Q5_1: case EI_TYPE_IQ4_NL: case EI_TYPE_MXFP4: {
        const b32_fields f = b32_fields_of(t, x);
        const uint8_t *units = blk + units_at(t);
        for (int k = 0; k < 16; k++) f.qs[k] = (uint8_t)(get_nibble(units, r, k) | get_nibble(units, r, k + 16) << 4);
        if (f.e) *f.e = blk[r];
        else memcpy(f.d, blk + 2 * r, 2);
        if (f.m) memcpy(f.m, blk + B32_M + 2 * r, 2);
        if (f.qh) {
            uint32_t qh = 0;
            for (int k = 0; k < 32; k++) qh |= (uint32_t)get_bit(units + 256, r, k) << k;
            memcpy(f.qh, &qh, 4);
        }
        break;
    }
    case EI_TYPE_Q4_K: case EI_TYPE_Q5_K: {
        block_q4_K *b = x;
        uint8_t *qs = t == EI_TYPE_Q4_K ? b->qs : ((block_q5_K *)x)->qs;
        memcpy(&b->d, blk + 2 * r, 2);
        memcpy(&b->dmin, blk + Q4K_DMIN + 2 * r, 2);
        int sc[8], m[8];
        for (int j = 0; j < 8; j++) {
            sc[j] = blk[Q4K_SC + 16 * j + r];
            m[j] = blk[Q4K_M + 32 * (j / 2) + 2 * r + j % 2];
        }
        for (int j = 0; j < 4; j++) { /* scale_min_k4 backwards */
            b->scales[j] = (uint8_t)((sc[j] & 63) | (sc[j + 4] >> 4) << 6);
            b->scales[j + 4] = (uint8_t)((m[j] & 63) | (m[j + 4] >> 4) << 6);
            b->scales[j + 8] = (uint8_t)((sc[j + 4] & 15) | (m[j + 4] & 15) << 4);
        }
        for (int k = 0; k < 256; k++) c[k] = (uint8_t)get_nibble(blk + Q4K_UNITS, r, k);
        for (int p = 0; p < 4; p++)
            for (int l = 0; l < 32; l++) qs[32 * p + l] = (uint8_t)(c[64 * p + l] | c[64 * p + 32 + l] << 4);
        if (t == EI_TYPE_Q5_K) {
            uint8_t *qh = ((block_q5_K *)x)->qh;
            memset(qh, 0, 32);
            for (int k = 0; k < 256; k++) qh[k % 32] |= (uint8_t)(get_bit(blk + Q5K_HI, r, k) << (k / 32));
        }
        break;
    }
    case EI_TYPE_Q6_K: {
        block_q6_K *b = x;
        memcpy(&b->d, blk + 2 * r, 2);
        for (int j = 0; j < 16; j++) b->scales[j] = (int8_t)blk[Q6K_SC + 16 * j + r];
        for (int k = 0; k < 256; k++) {
            c[k] = (uint8_t)(get_nibble(blk + Q6K_LO, r, k) | get_crumb(blk + Q6K_HI, r, k) << 4);
        }
        for (int h = 0; h < 2; h++)
            for (int l = 0; l < 32; l++) {
                const uint8_t *v = c + 128 * h;
                b->ql[64 * h + l] = (uint8_t)((v[l] & 15) | (v[l + 64] & 15) << 4);
                b->ql[64 * h + l + 32] = (uint8_t)((v[l + 32] & 15) | (v[l + 96] & 15) << 4);
                b->qh[32 * h + l] = (uint8_t)(v[l] >> 4 | (v[l + 32] >> 4) << 2 | (v[l + 64] >> 4) << 4 | (v[l + 96] >> 4) << 6);
            }
        break;
    }
    case EI_TYPE_Q3_K: {
        block_q3_K *b = x;
        memcpy(&b->d, blk + 2 * r, 2);
        uint8_t sc[16]; /* 6-bit, biased by 32: ei_q3_K_scales backwards */
        for (int j = 0; j < 16; j++) sc[j] = (uint8_t)((int8_t)blk[Q3K_SC + 16 * j + r] + 32);
        for (int j = 0; j < 8; j++) b->scales[j] = (uint8_t)((sc[j] & 15) | (sc[j + 8] & 15) << 4);
        for (int j = 0; j < 4; j++)
            b->scales[8 + j] = (uint8_t)((sc[j] >> 4) | (sc[j + 4] >> 4) << 2 | (sc[j + 8] >> 4) << 4 | (sc[j + 12] >> 4) << 6);
        memset(b->qs, 0, sizeof b->qs);
        memset(b->hmask, 0, sizeof b->hmask);
        for (int k = 0; k < 256; k++) {
            const int code = q3k_code(blk, r, k);
            b->qs[32 * (k / 128) + k % 32] |= (uint8_t)((code & 3) << (2 * (k % 128 / 32)));
            b->hmask[k % 32] |= (uint8_t)((code >> 2) << (4 * (k / 128) + k % 128 / 32));
        }
        break;
    }
    case EI_TYPE_IQ4_XS: {
        block_iq4_xs *b = x;
        memcpy(&b->d, blk + 2 * r, 2);
        b->scales_h = 0;
        memset(b->scales_l, 0, sizeof b->scales_l);
        for (int j = 0; j < 8; j++) {
            const int ls = (int8_t)blk[XS_SC + 16 * j + r] + 32;
            b->scales_l[j / 2] |= (uint8_t)((ls & 15) << 4 * (j % 2));
            b->scales_h |= (uint16_t)((ls >> 4) << 2 * j);
        }
        for (int j = 0; j < 8; j++)
            for (int l = 0; l < 16; l++)
                b->qs[16 * j + l] = (uint8_t)(get_nibble(blk + XS_UNITS, r, 32 * j + l) |
                                              get_nibble(blk + XS_UNITS, r, 32 * j + 16 + l) << 4);
        break;
    }
    case EI_TYPE_Q2_K: {
        block_q2_K *b = x;
        memcpy(&b->d, blk + 2 * r, 2);
        memcpy(&b->dmin, blk + Q2K_DMIN + 2 * r, 2);
        for (int j = 0; j < 16; j++) b->scales[j] = blk[Q2K_SCM + 16 * j + r];
        memset(b->qs, 0, sizeof b->qs);
        for (int k = 0; k < 256; k++)
            b->qs[32 * (k / 128) + k % 32] |= (uint8_t)(get_crumb(blk + Q2K_CODES, r, k) << (2 * (k % 128 / 32)));
        break;
    }
    default: break;
    }
}

void ei_pack_unpack_row(ei_type t, const void *packed, int64_t n, int64_t row, void *dst) {
    const size_t bb = ei_pack_block_bytes(t), file_block = ei_type_row_bytes(t, block_values(t));
    const int64_t nb = n / block_values(t);
    const uint8_t *group = (const uint8_t *)packed + (size_t)(row / PACK_ROWS) * (size_t)nb * bb;
    for (int64_t b = 0; b < nb; b++)
        unpack_one(t, group + (size_t)b * bb, (int)(row % PACK_ROWS), (char *)dst + (size_t)b * file_block);
}

/* ---- activations ----------------------------------------------------------- */

ei_type ei_pack_act_type(ei_type w) {
    switch (w) {
    case EI_TYPE_Q2_K: case EI_TYPE_Q3_K: case EI_TYPE_Q4_K: case EI_TYPE_Q5_K: case EI_TYPE_Q6_K: case EI_TYPE_IQ4_XS:
        return EI_TYPE_Q8_K;
    case EI_TYPE_Q4_1: case EI_TYPE_Q5_1: return EI_TYPE_Q8_1;
    case EI_TYPE_F16: case EI_TYPE_BF16: return w; /* f32 rows rounded to f16 / bf16 (vec_dot.h) */
    default: return EI_TYPE_Q8_0;
    }
}

size_t ei_pack_act_row_bytes(ei_type w, int64_t n) {
    const ei_type act = ei_pack_act_type(w);
    const size_t base = ei_vec_dot_act_row_bytes(act, n);
    if (!base || w == EI_TYPE_F16) return base;
    if (w == EI_TYPE_BF16) return base + ei_align64((size_t)n * 2); /* + the values as bf16 */
    if (act == EI_TYPE_Q8_K) return base + ei_align64((size_t)(n / 32) * 2);
    return base + ei_align64((size_t)(n / 32) * 4);
}

void ei_pack_act_finish(ei_type w, void *row, int64_t n) {
    if (w == EI_TYPE_F16) return;
    if (w == EI_TYPE_BF16) { /* the f32 values are bf16 already: their high halves */
        const float *x = row;
        uint16_t *h = (uint16_t *)((char *)row + ei_vec_dot_act_row_bytes(EI_TYPE_BF16, n));
        for (int64_t i = 0; i < n; i++) {
            uint32_t u;
            memcpy(&u, &x[i], 4);
            h[i] = (uint16_t)(u >> 16);
        }
        return;
    }
    const ei_type act = ei_pack_act_type(w);
    char *extra = (char *)row + ei_vec_dot_act_row_bytes(act, n);
    if (act == EI_TYPE_Q8_K) {
        const block_q8_K *b = row;
        int16_t *sum32 = (int16_t *)extra;
        for (int64_t j = 0; j < n / 32; j++) sum32[j] = (int16_t)(b[j / 8].bsums[2 * (j % 8)] + b[j / 8].bsums[2 * (j % 8) + 1]);
        return;
    }
    const ei_q8_layout l = ei_q8_layout_of(act == EI_TYPE_Q8_1 ? sizeof(block_q8_1) : sizeof(block_q8_0), n);
    const int8_t *qs = (const int8_t *)((char *)row + l.qs);
    int32_t *sum = (int32_t *)extra;
    for (int64_t b = 0; b < n / 32; b++) {
        int s = 0;
        for (int k = 0; k < 32; k++) s += qs[32 * b + k];
        sum[b] = s;
    }
}

/* ---- reference kernels ---------------------------------------------------- */

static void kernel_q8_0_family(ei_type t, int64_t n, const void *group, const void *a, size_t a_stride, int nc,
                               float *y, size_t y_stride) {
    const size_t bb = ei_pack_block_bytes(t);
    const int64_t nb = n / 32;
    const ei_type act = ei_pack_act_type(t);
    const ei_q8_layout l = ei_q8_layout_of(act == EI_TYPE_Q8_1 ? sizeof(block_q8_1) : sizeof(block_q8_0), n);
    const size_t extra = ei_vec_dot_act_row_bytes(act, n);
    const int off = t == EI_TYPE_Q8_0 ? 128 : t == EI_TYPE_Q4_0 ? 8 : t == EI_TYPE_Q5_0 ? 16 : 0;
    for (int c = 0; c < nc; c++) {
        const char *row = (const char *)a + (size_t)c * a_stride;
        const int8_t *qs = (const int8_t *)(row + l.qs);
        const float *ds = (const float *)(row + l.ds);
        const int32_t *sum = (const int32_t *)(row + extra);
        for (int r = 0; r < PACK_ROWS; r++) {
            float s = 0.0f;
            for (int64_t b = 0; b < nb; b++) {
                const uint8_t *blk = (const uint8_t *)group + (size_t)b * bb;
                int isum = 0;
                for (int k = 0; k < 32; k++) {
                    int code;
                    if (t == EI_TYPE_Q8_0) code = blk[Q80_UNITS + 64 * (k / 4) + 4 * r + k % 4];
                    else {
                        const uint8_t *units = blk + units_at(t);
                        code = get_nibble(units, r, k);
                        if (has_fifth_bits(t)) code |= get_bit(units + 256, r, k) << 4;
                        if (t == EI_TYPE_IQ4_NL) code = ei_kvalues_iq4nl[code];
                        if (t == EI_TYPE_MXFP4) code = ei_kvalues_mxfp4[code];
                    }
                    isum += code * qs[32 * b + k];
                }
                isum -= off * sum[b];
                const float dw = t == EI_TYPE_MXFP4 ? ei_e8m0_half(blk[r]) : get_f16(blk, 0, r);
                s = fmaf(dw * ds[2 * b], (float)isum, s);
                if (t == EI_TYPE_Q4_1 || t == EI_TYPE_Q5_1) s = fmaf(get_f16(blk, B32_M, r), ds[2 * b + 1], s);
            }
            y[(size_t)c * y_stride + r] = s;
        }
    }
}

static void kernel_k(ei_type t, int64_t n, const void *group, const void *a, size_t a_stride, int nc, float *y,
                     size_t y_stride) {
    const size_t bb = ei_pack_block_bytes(t);
    const int64_t nb = n / QK_K;
    const size_t extra = ei_vec_dot_act_row_bytes(EI_TYPE_Q8_K, n);
    for (int c = 0; c < nc; c++) {
        const block_q8_K *ab = (const block_q8_K *)((const char *)a + (size_t)c * a_stride);
        const int16_t *sum32 = (const int16_t *)((const char *)ab + extra);
        for (int r = 0; r < PACK_ROWS; r++) {
            float s = 0.0f;
            for (int64_t b = 0; b < nb; b++) {
                const uint8_t *blk = (const uint8_t *)group + (size_t)b * bb;
                const int8_t *qa = ab[b].qs;
                int isum = 0, imin = 0;
                if (t == EI_TYPE_Q4_K || t == EI_TYPE_Q5_K) {
                    for (int j = 0; j < 8; j++) {
                        int sub = 0;
                        for (int k = 32 * j; k < 32 * j + 32; k++) {
                            const int hi = t == EI_TYPE_Q5_K ? get_bit(blk + Q5K_HI, r, k) : 0;
                            sub += (get_nibble(blk + Q4K_UNITS, r, k) | hi << 4) * qa[k];
                        }
                        isum += blk[Q4K_SC + 16 * j + r] * sub;
                        imin += blk[Q4K_M + 32 * (j / 2) + 2 * r + j % 2] * sum32[8 * b + j];
                    }
                    s = fmaf(get_f16(blk, 0, r) * ab[b].d, (float)isum, s);
                    s = fmaf(-(get_f16(blk, Q4K_DMIN, r) * ab[b].d), (float)imin, s);
                } else if (t == EI_TYPE_Q3_K) {
                    for (int j = 0; j < 16; j++) {
                        int sub = 0;
                        for (int k = 16 * j; k < 16 * j + 16; k++) sub += q3k_code(blk, r, k) * qa[k];
                        isum += (int8_t)blk[Q3K_SC + 16 * j + r] * (sub - 4 * ab[b].bsums[j]);
                    }
                    s = fmaf(get_f16(blk, 0, r) * ab[b].d, (float)isum, s);
                } else if (t == EI_TYPE_Q2_K) {
                    for (int j = 0; j < 16; j++) {
                        int sub = 0;
                        for (int k = 16 * j; k < 16 * j + 16; k++) sub += get_crumb(blk + Q2K_CODES, r, k) * qa[k];
                        const int scm = blk[Q2K_SCM + 16 * j + r];
                        isum += (scm & 15) * sub;
                        imin += (scm >> 4) * ab[b].bsums[j];
                    }
                    s = fmaf(get_f16(blk, 0, r) * ab[b].d, (float)isum, s);
                    s = fmaf(-(get_f16(blk, Q2K_DMIN, r) * ab[b].d), (float)imin, s);
                } else if (t == EI_TYPE_IQ4_XS) {
                    for (int j = 0; j < 8; j++) {
                        int sub = 0;
                        for (int k = 32 * j; k < 32 * j + 32; k++) sub += ei_kvalues_iq4nl[get_nibble(blk + XS_UNITS, r, k)] * qa[k];
                        isum += (int8_t)blk[XS_SC + 16 * j + r] * sub;
                    }
                    s = fmaf(get_f16(blk, 0, r) * ab[b].d, (float)isum, s);
                } else {
                    for (int j = 0; j < 16; j++) {
                        int sub = 0;
                        for (int k = 16 * j; k < 16 * j + 16; k++) {
                            sub += (get_nibble(blk + Q6K_LO, r, k) | get_crumb(blk + Q6K_HI, r, k) << 4) * qa[k];
                        }
                        isum += (int8_t)blk[Q6K_SC + 16 * j + r] * (sub - 32 * ab[b].bsums[j]);
                    }
                    s = fmaf(get_f16(blk, 0, r) * ab[b].d, (float)isum, s);
                }
            }
            y[(size_t)c * y_stride + r] = s;
        }
    }
}

/* F16: vec_dot's float order (vec_dot_scalar.c): 8 lanes, lane l the
 * fused products of values 8m + l, then ei_hsum8, plus the empty tail */
static void kernel_f16(ei_type t, int64_t n, const void *group, const void *a, size_t a_stride, int nc, float *y,
                       size_t y_stride) {
    (void)t;
    const uint8_t *g = group;
    for (int c = 0; c < nc; c++) {
        const float *x = (const float *)((const char *)a + (size_t)c * a_stride);
        for (int r = 0; r < PACK_ROWS; r++) {
            float acc[8] = {0};
            for (int64_t b = 0; b < n / 8; b++)
                for (int l = 0; l < 8; l++) {
                    uint16_t h;
                    memcpy(&h, g + (size_t)b * PACK_ROWS * 16 + 16 * r + 2 * l, 2);
                    acc[l] = fmaf(ei_fp16_to_fp32(h), x[8 * b + l], acc[l]);
                }
            y[(size_t)c * y_stride + r] = ei_hsum8(acc) + 0.0f; /* + the empty tail */
        }
    }
}

/* BF16: vdpbf16ps's steps (AVX512_BF16), its denormal rules included. */
static float bf16_daz(uint16_t h) { return (h & 0x7F80) ? ei_bf16_to_fp32(h) : ((h & 0x8000) ? -0.0f : 0.0f); }
static float ftz(float x) { return fabsf(x) < 0x1p-126f ? copysignf(0.0f, x) : x; }

static void kernel_bf16(ei_type t, int64_t n, const void *group, const void *a, size_t a_stride, int nc, float *y,
                        size_t y_stride) {
    (void)t;
    const uint8_t *g = group;
    const size_t extra = ei_vec_dot_act_row_bytes(EI_TYPE_BF16, n);
    for (int c = 0; c < nc; c++) {
        const uint16_t *x = (const uint16_t *)((const char *)a + (size_t)c * a_stride + extra);
        for (int r = 0; r < PACK_ROWS; r++) {
            float acc[8] = {0};
            for (int64_t b = 0; b < n / 16; b++)
                for (int l = 0; l < 8; l++)
                    for (int k = 1; k >= 0; k--) { /* the odd value of the pair first */
                        uint16_t h;
                        memcpy(&h, g + (size_t)b * PACK_ROWS * 32 + 32 * r + 2 * (2 * l + k), 2);
                        acc[l] = ftz(fmaf(bf16_daz(h), bf16_daz(x[16 * b + 2 * l + k]), ftz(acc[l])));
                    }
            y[(size_t)c * y_stride + r] = ei_hsum8(acc) + 0.0f;
        }
    }
}

#define REF(name, T, fn)                                                                                         \
    static void name(int64_t n, const void *g, const void *a, size_t as, int nc, float *y, size_t ys) {      \
        fn(T, n, g, a, as, nc, y, ys);                                                                         \
    }
REF(ref_q8_0, EI_TYPE_Q8_0, kernel_q8_0_family)
REF(ref_q4_0, EI_TYPE_Q4_0, kernel_q8_0_family)
REF(ref_q4_1, EI_TYPE_Q4_1, kernel_q8_0_family)
REF(ref_q5_0, EI_TYPE_Q5_0, kernel_q8_0_family)
REF(ref_q5_1, EI_TYPE_Q5_1, kernel_q8_0_family)
REF(ref_q2_K, EI_TYPE_Q2_K, kernel_k)
REF(ref_q3_K, EI_TYPE_Q3_K, kernel_k)
REF(ref_q4_K, EI_TYPE_Q4_K, kernel_k)
REF(ref_q5_K, EI_TYPE_Q5_K, kernel_k)
REF(ref_q6_K, EI_TYPE_Q6_K, kernel_k)
REF(ref_iq4_nl, EI_TYPE_IQ4_NL, kernel_q8_0_family)
REF(ref_mxfp4, EI_TYPE_MXFP4, kernel_q8_0_family)
REF(ref_iq4_xs, EI_TYPE_IQ4_XS, kernel_k)
REF(ref_f16, EI_TYPE_F16, kernel_f16)
REF(ref_bf16, EI_TYPE_BF16, kernel_bf16)

ei_pack_kernel_fn ei_pack_kernel_scalar(ei_type t) {
    switch (t) {
    case EI_TYPE_Q8_0: return ref_q8_0;
    case EI_TYPE_Q4_0: return ref_q4_0;
    case EI_TYPE_Q4_1: return ref_q4_1;
    case EI_TYPE_Q5_0: return ref_q5_0;
    case EI_TYPE_Q5_1: return ref_q5_1;
    case EI_TYPE_Q2_K: return ref_q2_K;
    case EI_TYPE_Q3_K: return ref_q3_K;
    case EI_TYPE_Q4_K: return ref_q4_K;
    case EI_TYPE_Q5_K: return ref_q5_K;
    case EI_TYPE_Q6_K: return ref_q6_K;
    case EI_TYPE_IQ4_NL: return ref_iq4_nl;
    case EI_TYPE_MXFP4: return ref_mxfp4;
    case EI_TYPE_IQ4_XS: return ref_iq4_xs;
    case EI_TYPE_F16: return ref_f16;
    case EI_TYPE_BF16: return ref_bf16;
    default: return NULL;
    }
}

/* Packing pays where a kernel reads 8 or 16 rows per register: AVX2 and
 * AVX-512. A type with no AVX-512 VNNI kernel would take the AVX2 one
 * there (every packed kernel gives the reference's bits, but BF16's AVX2
 * kernel: packed_float.c). EDGEINFER_PACK=0 turns packing off (to compare). */
ei_pack_kernel_fn ei_pack_kernel_selected(ei_type t) {
    const char *env = getenv("EDGEINFER_PACK");
    if (env && strcmp(env, "0") == 0) return NULL;
#if defined(__x86_64__)
    const ei_cpu_level level = ei_cpu_level_selected();
    if (is_float(t)) { /* BF16's AVX-512 kernel needs AVX512_BF16 (packed_float.c) */
        const bool avx512 = level == EI_CPU_AVX512 || level == EI_CPU_AVX512_VNNI;
        if (avx512 && (t == EI_TYPE_F16 || ei_cpu_features_get()->avx512bf16)) return ei_pack_kernel_float_avx512(t);
        return level == EI_CPU_AVX2 || avx512 ? ei_pack_kernel_float_avx2(t) : NULL;
    }
    const ei_pack_kernel_fn vnni = level == EI_CPU_AVX512_VNNI ? ei_pack_kernel_avx512vnni(t) : NULL;
    if (vnni) return vnni;
    if (level == EI_CPU_AVX2 || level == EI_CPU_AVX512 || level == EI_CPU_AVX512_VNNI) return ei_pack_kernel_avx2(t);
#endif
    (void)t;
    return NULL;
}
