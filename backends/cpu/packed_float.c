/*
 * packed_float.c — the packed kernels (packed.h) of F16 and BF16 weights:
 * AVX-512 (F, VL: AVX2's 256-bit instructions with 32 registers; BF16 with
 * AVX512_BF16's vdpbf16ps) and AVX2 (16 registers; BF16 too where the
 * CPU lacks vdpbf16ps).
 *
 * Why packed: generation reads a float matrix once per token, and the
 * plain kernel (vec_dot_avx2.c, dot_rows) walks four rows side by side,
 * four streams of one 4 KiB page each for a 2048-wide F16 row. On a Zen 4
 * that kept one core at 17-19 GB/s against 30 GB/s for a single stream of
 * the same bytes (a standalone test, 512 MiB of F16, one thread: four rows
 * side by side 16-17 GB/s, the same rows interleaved 8 values at a time
 * 29-31 GB/s, a plain read 28-31 GB/s); software prefetch ahead of the
 * four streams made it slower. A packed block holds 8 (F16) or 16 (BF16)
 * values of each of the 16 rows of a group, so a group is one stream.
 *
 * The arithmetic is vec_dot's float order (vec_dot_scalar.c): per output
 * one accumulator of 8 lanes, lane l the fused products of values 8m + l,
 * block after block, then ((l0 + l4) + (l2 + l6)) + ((l1 + l5) + (l3 + l7))
 * plus 0 (the tail a row of whole blocks does not have). Packing a float
 * matrix changes no bits: the plain kernels and these give the same
 * results, and the activations are the same f32 rows (rounded to f16 or
 * bf16 by the vec_dot quantizer). The one exception is BF16 with
 * vdpbf16ps, which has its own order (packed_scalar.c's reference).
 *
 * The accumulators are kept in registers for a pass of RW rows x NA
 * activation rows over CHUNK_VALUES values, and in memory between passes
 * (a pass only splits each output's one chain: same bits). The 32
 * registers of AVX-512 VL take all 16 rows at once for generation and
 * 8 x 3 for prompts. On a Zen 4, 2048 x 8192 F16 against 512 rows, two
 * threads, beside ggml's mul_mat (f16_vs_ggml.c, ggml time / ours, two
 * rounds): 4 x 4 passes over 32 blocks 0.90-0.95, 4 x 4 over 64 0.94-0.97,
 * 8 x 3 over 32 0.96-1.00, 8 x 3 over 64 1.01-1.02, 8 x 2 0.94-0.97, 2 x 8
 * 0.68 (the unpacked tile of vec_dot_avx2.c: 1.05). BF16, 1.1B pp512, two
 * alternating runs: 8 x 3 166-167 t/s, 4 x 4 159-162, 8 x 2 134-146, 8 x 3
 * over 1024 values 134-153.
 *
 * AVX2: 16 registers. F16 passes are 4 x 3 with the activations loaded
 * first (12 accumulators, 3 activations, one converted weight: 4 vcvtph2ps
 * with a memory operand per 12 FMAs); BF16's widening (vpmovzxwd, vpslld)
 * costs more, so its passes are 3 x 4 with the weights converted first (3
 * per 12 FMAs) and the sixteenth row alone. Generation: all 16 rows in one
 * pass, a few accumulators spilled (two passes of 8 rows, each over half
 * of every block, reached 89 % of a plain read against 93-95 %). On the
 * Zen 4 with the AVX2 level forced, 1.1B pp512, three alternating runs
 * against the unpacked tile: F16 4 x 3 89-93 t/s, 3 x 4 87-91, unpacked
 * 92-97; BF16 3 x 4 80-82, 4 x 3 76-79, 2 x 6 69-70, unpacked 81-86. The
 * same files' tg32: F16 15-19.5 against 12.7-13.8 t/s unpacked, BF16
 * 15-20 against 11.7-11.8. Prompts lose up to a few percent, generation
 * gains a third or more: the floats pack on AVX2 too.
 */
#include "backends/cpu/packed.h"

#if defined(__x86_64__)

#include <immintrin.h>
#include <stdint.h>

#include "backends/cpu/vec_dot_avx2.h" /* hsum_ps: the lanes' fixed reduction */

#define TARGET "avx512f,avx512vl,avx2,fma,f16c"
#define TARGET_BF16 TARGET ",avx512bf16"
#define AI_512 static inline __attribute__((always_inline, target(TARGET)))
#define AI_BF16 static inline __attribute__((always_inline, target(TARGET_BF16)))
#define TARGET_AVX2 "avx2,fma,f16c"
#define AI_AVX2 static inline __attribute__((always_inline, target(TARGET_AVX2)))

/* A pass over 512 values at a time: 64 F16 blocks of a group (16 KiB) or 32
 * BF16 ones (16 KiB), and of up to PACK_COLS activation rows (8 x 2 KiB
 * f32, 8 x 1 KiB bf16), stay in L1 across the passes over them. */
#define CHUNK_VALUES 512
#define MAX_NA 4 /* activation rows in a pass at most */

/* A pass's accumulators (RW rows x NA columns from r0, c0) from and back
 * to the group's state, kept in memory between passes. Macros, as each
 * target (AVX2, AVX-512) needs its own copy. */
#define LOAD_STATE(acc, state, r0, RW, c0, NA)                                                                     \
    for (int q = 0; q < (RW); q++)                                                                               \
        for (int c = 0; c < (NA); c++) (acc)[q][c] = (state)[(r0) + q][(c0) + c];
#define STORE_STATE(acc, state, r0, RW, c0, NA)                                                                    \
    for (int q = 0; q < (RW); q++)                                                                               \
        for (int c = 0; c < (NA); c++) (state)[(r0) + q][(c0) + c] = (acc)[q][c];

/* state[r][c] += rows r0..r0+RW-1 of blocks [b0, b1) of VALS values
 * against activation rows c0..c0+NA-1 (a[c] the f32 row of column c), in
 * steps of 8 values (LOAD8 widens 8 weights to f32). The activations
 * first (NA + 1 registers beside the accumulators), or with W_FIRST the
 * weights (RW + 1). */
#define DEFINE_PASS_8(name, AI, VALS, LOAD8, W_FIRST)                                                             \
    AI void name(const uint8_t *group, int64_t b0, int64_t b1, int r0, const int RW, const char *const *a, int c0,  \
                 const int NA, __m256 (*state)[PACK_COLS]) {                                                     \
        __m256 acc[PACK_ROWS][MAX_NA];                                                                           \
        LOAD_STATE(acc, state, r0, RW, c0, NA)                                                                   \
        for (int64_t b = b0; b < b1; b++) {                                                                      \
            const uint8_t *blk = group + (size_t)b * (PACK_ROWS * 2 * (VALS)); /* 16 rows x VALS values */        \
            for (int s = 0; s < (VALS) / 8; s++) {                                                               \
                const int64_t i = (VALS) * b + 8 * s;                                                            \
                if ((W_FIRST) && NA > 1) { /* (one column: the activation first) */          \
                    __m256 x[PACK_ROWS];                                                                         \
                    for (int q = 0; q < RW; q++) x[q] = LOAD8(blk + 2 * (VALS) * (r0 + q) + 16 * s);              \
                    for (int c = 0; c < NA; c++) {                                                               \
                        const __m256 av = _mm256_loadu_ps((const float *)a[c0 + c] + i);                         \
                        for (int q = 0; q < RW; q++) acc[q][c] = _mm256_fmadd_ps(x[q], av, acc[q][c]);          \
                    }                                                                                            \
                } else {                                                                                         \
                    __m256 av[MAX_NA];                                                                           \
                    for (int c = 0; c < NA; c++) av[c] = _mm256_loadu_ps((const float *)a[c0 + c] + i);          \
                    for (int q = 0; q < RW; q++) {                                                               \
                        const __m256 x = LOAD8(blk + 2 * (VALS) * (r0 + q) + 16 * s);                             \
                        for (int c = 0; c < NA; c++) acc[q][c] = _mm256_fmadd_ps(x, av[c], acc[q][c]);           \
                    }                                                                                            \
                }                                                                                                \
            }                                                                                                    \
        }                                                                                                        \
        STORE_STATE(acc, state, r0, RW, c0, NA)                                                                  \
    }
/* 8 values of a row to f32 */
#define LOAD8_F16(p) _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(p)))
#define LOAD8_BF16(p) _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(p))), 16))
DEFINE_PASS_8(pass_f16, AI_512, 8, LOAD8_F16, 0)
DEFINE_PASS_8(pass_f16_avx2, AI_AVX2, 8, LOAD8_F16, 0)
DEFINE_PASS_8(pass_bf16_avx2, AI_AVX2, 16, LOAD8_BF16, 1)

/* BF16 with AVX512_BF16: one vdpbf16ps per 16 values (lane l: the pair 2l,
 * 2l + 1, the odd one first), as packed_scalar.c's reference */
AI_BF16 void pass_bf16(const uint8_t *group, int64_t b0, int64_t b1, int r0, const int RW, const char *const *a,
                       int c0, const int NA, __m256 (*state)[PACK_COLS]) {
    __m256 acc[PACK_ROWS][MAX_NA];
    LOAD_STATE(acc, state, r0, RW, c0, NA)
    for (int64_t b = b0; b < b1; b++) {
        const uint8_t *blk = group + (size_t)b * 512; /* 16 rows x 16 values */
        __m256bh av[MAX_NA];
        for (int c = 0; c < NA; c++) av[c] = (__m256bh)_mm256_loadu_si256((const __m256i *)(a[c0 + c] + 32 * b));
        for (int q = 0; q < RW; q++) {
            const __m256bh x = (__m256bh)_mm256_loadu_si256((const __m256i *)(blk + 32 * (r0 + q)));
            for (int c = 0; c < NA; c++) acc[q][c] = _mm256_dpbf16_ps(acc[q][c], x, av[c]);
        }
    }
    STORE_STATE(acc, state, r0, RW, c0, NA)
}

/* The whole product of a group (blocks of VALS values, PASS their pass):
 * all 16 rows per pass for one column, RW x NA for more (NA columns a pass,
 * then what is left; NA at most 4; a last row alone where RW does not
 * divide 16). A macro, as the passes need different targets. */
#define GROUP_BODY(PASS, VALS, RW, NA)                                                                            \
    const int64_t nb = n / (VALS), chunk = CHUNK_VALUES / (VALS);                                                \
    const char *a[PACK_COLS];                                                                                    \
    __m256 state[PACK_ROWS][PACK_COLS];                                                                          \
    for (int c = 0; c < nc; c++) a[c] = (const char *)va + (size_t)c * as + act_offset;                          \
    for (int r = 0; r < PACK_ROWS; r++)                                                                          \
        for (int c = 0; c < nc; c++) state[r][c] = _mm256_setzero_ps();                                          \
    for (int64_t b0 = 0; b0 < nb; b0 += chunk) {                                                                 \
        const int64_t b1 = b0 + chunk < nb ? b0 + chunk : nb;                                                    \
        if (nc == 1) {                                                                                           \
            PASS(group, b0, b1, 0, PACK_ROWS, a, 0, 1, state);                                                   \
            continue;                                                                                            \
        }                                                                                                        \
        int step;                                                                                                \
        for (int c0 = 0; c0 < nc; c0 += step) {                                                                  \
            step = nc - c0 >= NA ? NA : nc - c0;                                                                 \
            for (int r0 = 0; r0 < PACK_ROWS; r0 += RW) {                                                         \
                if (PACK_ROWS - r0 < RW) { /* RW not a divisor of 16: the last row alone */                        \
                    for (int r = r0; r < PACK_ROWS; r++)                                                           \
                        if (step == NA) PASS(group, b0, b1, r, 1, a, c0, NA, state);                             \
                        else for (int c = c0; c < c0 + step; c++) PASS(group, b0, b1, r, 1, a, c, 1, state);      \
                    break;                                                                                       \
                }                                                                                                \
                if (step == NA) PASS(group, b0, b1, r0, RW, a, c0, NA, state);                                   \
                else if (step == 3) PASS(group, b0, b1, r0, RW, a, c0, 3, state);                                \
                else if (step == 2) PASS(group, b0, b1, r0, RW, a, c0, 2, state);                                \
                else PASS(group, b0, b1, r0, RW, a, c0, 1, state);                                               \
            }                                                                                                    \
        }                                                                                                        \
    }                                                                                                            \
    for (int c = 0; c < nc; c++)                                                                                 \
        for (int r = 0; r < PACK_ROWS; r++) y[(size_t)c * ys + r] = hsum_ps(state[r][c]) + 0.0f;

__attribute__((target(TARGET))) static void avx512_f16(int64_t n, const void *vg, const void *va, size_t as, int nc,
                                                       float *y, size_t ys) {
    const uint8_t *group = vg;
    const size_t act_offset = 0; /* the f32 values */
    GROUP_BODY(pass_f16, 8, 8, 3)
}

__attribute__((target(TARGET_BF16))) static void avx512_bf16(int64_t n, const void *vg, const void *va, size_t as,
                                                             int nc, float *y, size_t ys) {
    const uint8_t *group = vg;
    const size_t act_offset = ei_vec_dot_act_row_bytes(EI_TYPE_BF16, n); /* the bf16 copy (packed.h) */
    GROUP_BODY(pass_bf16, 16, 8, 3)
}

/* AVX2 (the header says why these shapes) */
__attribute__((target(TARGET_AVX2))) static void avx2_f16(int64_t n, const void *vg, const void *va, size_t as, int nc,
                                                          float *y, size_t ys) {
    const uint8_t *group = vg;
    const size_t act_offset = 0;
    GROUP_BODY(pass_f16_avx2, 8, 4, 3)
}

/* BF16 without vdpbf16ps: the same passes, two steps of 8 per block of 16
 * values, in vec_dot's order (the bits of the unpacked kernels, not those
 * of the AVX512_BF16 kernel above) */
__attribute__((target(TARGET_AVX2))) static void avx2_bf16(int64_t n, const void *vg, const void *va, size_t as,
                                                           int nc, float *y, size_t ys) {
    const uint8_t *group = vg;
    const size_t act_offset = 0; /* the f32 values */
    GROUP_BODY(pass_bf16_avx2, 16, 3, 4)
}

ei_pack_kernel_fn ei_pack_kernel_float_avx2(ei_type t) {
    return t == EI_TYPE_F16 ? avx2_f16 : t == EI_TYPE_BF16 ? avx2_bf16 : NULL;
}

ei_pack_kernel_fn ei_pack_kernel_float_avx512(ei_type t) {
    return t == EI_TYPE_F16 ? avx512_f16 : t == EI_TYPE_BF16 ? avx512_bf16 : NULL;
}

#endif
