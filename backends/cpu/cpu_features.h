/*
 * cpu_features.h — what the CPU we run on can execute, and which kernel
 * level the CPU backend uses.
 *
 * Detection is cpuid (the instruction sets) plus xgetbv (whether the OS
 * saves the wide registers: a CPU with AVX-512 under an OS that does not
 * save zmm state must not use it). It runs once; the answer never changes.
 * On aarch64 (Linux) it is getauxval(AT_HWCAP): ASIMD (NEON) and ASIMDDP
 * (the dot-product instructions, sdot). On other architectures everything
 * is false and the level is scalar.
 *
 * EDGEINFER_CPU=scalar|avx2|avx512|avx512vnni (x86-64) or
 * scalar|neon|neondot (aarch64) lowers the level (for tests and
 * comparisons); asking for more than the CPU has, a level of the other
 * architecture, or an unknown name changes nothing.
 */
#ifndef EI_CPU_FEATURES_H
#define EI_CPU_FEATURES_H

#include <stdbool.h>

/* The levels of the architecture we are built for come right after scalar,
 * in order (each includes the ones before), so that every level up to the
 * supported one has a kernel table; the other architecture's levels follow
 * (names only: never supported). x86-64's values are the same as before
 * aarch64 was added. */
typedef enum ei_cpu_level {
    EI_CPU_SCALAR = 0,    /* portable C */
#if defined(__aarch64__)
    EI_CPU_NEON,          /* Advanced SIMD (every aarch64 CPU) */
    EI_CPU_NEON_DOTPROD,  /* the above + the dot-product instructions (sdot) */
#endif
    EI_CPU_AVX2,          /* AVX2 + FMA + F16C */
    EI_CPU_AVX512,        /* the above + AVX-512 F, BW, VL */
    EI_CPU_AVX512_VNNI,   /* the above + AVX512-VNNI (vpdpbusd) */
#if !defined(__aarch64__)
    EI_CPU_NEON,
    EI_CPU_NEON_DOTPROD,
#endif
    EI_CPU_LEVEL_COUNT
} ei_cpu_level;

typedef struct ei_cpu_features {
    bool avx, avx2, fma, f16c;
    bool avx512f, avx512bw, avx512vl, avx512dq, avx512vnni;
    bool avx512bf16; /* vdpbf16ps: not a level of its own; the packed BF16 kernel asks for it */
    bool os_avx, os_avx512; /* the OS saves ymm (zmm and mask) registers */
    bool neon, neon_dotprod; /* aarch64: HWCAP_ASIMD, HWCAP_ASIMDDP */
} ei_cpu_features;

const ei_cpu_features *ei_cpu_features_get(void);
/* The best level this CPU and OS can run. */
ei_cpu_level ei_cpu_level_supported(void);
/* The level the backend uses: supported, lowered by EDGEINFER_CPU. */
ei_cpu_level ei_cpu_level_selected(void);
/* "scalar", "avx2", "avx512", "avx512vnni", "neon", "neondot"; "?" out of
 * range. */
const char *ei_cpu_level_name(ei_cpu_level level);
/* The level named s (as above; also "avx512-vnni", "neon-dotprod"); false if
 * unknown. */
bool ei_cpu_level_parse(const char *s, ei_cpu_level *out);

#endif
