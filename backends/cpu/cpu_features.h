/*
 * cpu_features.h — what the CPU we run on can execute, and which kernel
 * level the CPU backend uses.
 *
 * Detection is cpuid (the instruction sets) plus xgetbv (whether the OS
 * saves the wide registers: a CPU with AVX-512 under an OS that does not
 * save zmm state must not use it). It runs once; the answer never changes.
 * On other architectures everything is false and the level is scalar.
 *
 * EDGEINFER_CPU=scalar|avx2|avx512|avx512vnni lowers the level (for tests
 * and comparisons); asking for more than the CPU has, or an unknown name,
 * changes nothing.
 */
#ifndef EI_CPU_FEATURES_H
#define EI_CPU_FEATURES_H

#include <stdbool.h>

typedef enum ei_cpu_level {
    EI_CPU_SCALAR = 0,  /* portable C */
    EI_CPU_AVX2,        /* AVX2 + FMA + F16C */
    EI_CPU_AVX512,      /* the above + AVX-512 F, BW, VL */
    EI_CPU_AVX512_VNNI, /* the above + AVX512-VNNI (vpdpbusd) */
    EI_CPU_LEVEL_COUNT
} ei_cpu_level;

typedef struct ei_cpu_features {
    bool avx, avx2, fma, f16c;
    bool avx512f, avx512bw, avx512vl, avx512dq, avx512vnni;
    bool os_avx, os_avx512; /* the OS saves ymm (zmm and mask) registers */
} ei_cpu_features;

const ei_cpu_features *ei_cpu_features_get(void);
/* The best level this CPU and OS can run. */
ei_cpu_level ei_cpu_level_supported(void);
/* The level the backend uses: supported, lowered by EDGEINFER_CPU. */
ei_cpu_level ei_cpu_level_selected(void);
/* "scalar", "avx2", "avx512", "avx512vnni"; "?" out of range. */
const char *ei_cpu_level_name(ei_cpu_level level);
/* The level named s (as above; also "avx512-vnni"); false if unknown. */
bool ei_cpu_level_parse(const char *s, ei_cpu_level *out);

#endif
