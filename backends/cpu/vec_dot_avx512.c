/*
 * vec_dot_avx512.c — AVX-512 (F, BW, VL) kernels, with and without VNNI
 * (see vec_dot.h; the kernels are in vec_dot_avx512.inc, compiled twice).
 *
 * Like the AVX2 file, compiled for any x86-64 with per-function target
 * attributes; the table points here only when the CPU and the OS support
 * AVX-512 (and VNNI for the VNNI variant). Types without a kernel here
 * (Q2_K, Q3_K, IQ4_XS, the float types, the activation quantizers) keep
 * the AVX2 ones from the level below.
 */
#include "backends/cpu/vec_dot.h"

#if defined(__x86_64__)

#include <immintrin.h>
#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "quant/blocks.h"
#include "quant/fp16.h"

#define MAXR EI_VEC_DOT_MAX_ROWS

#define VNNI 0
#define TARGET "avx512f,avx512bw,avx512vl,avx2,fma,f16c"
#define FN(x) x##_avx512
#include "vec_dot_avx512.inc"
#undef VNNI
#undef TARGET
#undef FN

#define VNNI 1
#define TARGET "avx512f,avx512bw,avx512vl,avx512vnni,avx2,fma,f16c"
#define FN(x) x##_vnni
#include "vec_dot_avx512.inc"
#undef VNNI
#undef TARGET
#undef FN

void ei_vec_dot_fill_avx512(ei_vec_dot_table *t, int vnni) {
    if (vnni) fill_vnni(t);
    else fill_avx512(t);
}

#endif
