/*
 * cpu_features.c — see cpu_features.h.
 */
#include "backends/cpu/cpu_features.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#define EI_X86 1
#endif

#if defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h>
#ifndef HWCAP_ASIMD
#define HWCAP_ASIMD (1UL << 1)
#endif
#ifndef HWCAP_ASIMDDP
#define HWCAP_ASIMDDP (1UL << 20)
#endif
#endif

static ei_cpu_features features;
static ei_cpu_level supported = EI_CPU_SCALAR, selected = EI_CPU_SCALAR;
static pthread_once_t once = PTHREAD_ONCE_INIT;

#ifdef EI_X86
/* XCR0: which register states the OS saves (only valid with OSXSAVE). */
static unsigned long long read_xcr0(void) {
    unsigned int lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((unsigned long long)hi << 32) | lo;
}

static void detect_x86(ei_cpu_features *f) {
    unsigned int a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return;
    bool osxsave = c & (1u << 27);
    f->fma = c & (1u << 12);
    f->avx = c & (1u << 28);
    f->f16c = c & (1u << 29);
    if (osxsave) {
        unsigned long long xcr0 = read_xcr0();
        f->os_avx = (xcr0 & 0x6) == 0x6;            /* xmm, ymm */
        f->os_avx512 = f->os_avx && (xcr0 & 0xE0) == 0xE0; /* opmask, zmm0-15 upper, zmm16-31 */
    }
    if (__get_cpuid_max(0, NULL) < 7) return;
    __cpuid_count(7, 0, a, b, c, d);
    f->avx2 = b & (1u << 5);
    f->avx512f = b & (1u << 16);
    f->avx512dq = b & (1u << 17);
    f->avx512bw = b & (1u << 30);
    f->avx512vl = b & (1u << 31);
    f->avx512vnni = c & (1u << 11);
    if (a >= 1) { /* leaf 7 sub-leaf 1 */
        __cpuid_count(7, 1, a, b, c, d);
        f->avx512bf16 = a & (1u << 5);
    }
}
#endif

#if defined(__aarch64__)
static void detect_aarch64(ei_cpu_features *f) {
#if defined(__linux__)
    const unsigned long hwcap = getauxval(AT_HWCAP);
    f->neon = hwcap & HWCAP_ASIMD;
    f->neon_dotprod = f->neon && (hwcap & HWCAP_ASIMDDP);
#else
    /* Advanced SIMD is part of every aarch64 CPU; the dot product is only
     * used where the OS reports it */
    f->neon = true;
#endif
}
#endif

static void detect(void) {
#ifdef EI_X86
    detect_x86(&features);
#endif
#if defined(__aarch64__)
    detect_aarch64(&features);
#endif
    const ei_cpu_features *f = &features;
#if defined(__aarch64__)
    if (f->neon) supported = f->neon_dotprod ? EI_CPU_NEON_DOTPROD : EI_CPU_NEON;
#else
    if (f->os_avx && f->avx && f->avx2 && f->fma && f->f16c) {
        supported = EI_CPU_AVX2;
        if (f->os_avx512 && f->avx512f && f->avx512bw && f->avx512vl) {
            supported = EI_CPU_AVX512;
            if (f->avx512vnni) supported = EI_CPU_AVX512_VNNI;
        }
    }
#endif
    selected = supported;
    ei_cpu_level want;
    const char *env = getenv("EDGEINFER_CPU");
    /* this architecture's levels are scalar..supported (cpu_features.h):
     * the other architecture's names come above and are ignored */
    if (env && ei_cpu_level_parse(env, &want) && want < selected) selected = want;
}

const ei_cpu_features *ei_cpu_features_get(void) {
    pthread_once(&once, detect);
    return &features;
}

ei_cpu_level ei_cpu_level_supported(void) {
    pthread_once(&once, detect);
    return supported;
}

ei_cpu_level ei_cpu_level_selected(void) {
    pthread_once(&once, detect);
    return selected;
}

static const char *const names[EI_CPU_LEVEL_COUNT] = {
    [EI_CPU_SCALAR] = "scalar",       [EI_CPU_AVX2] = "avx2", [EI_CPU_AVX512] = "avx512",
    [EI_CPU_AVX512_VNNI] = "avx512vnni", [EI_CPU_NEON] = "neon", [EI_CPU_NEON_DOTPROD] = "neondot"};

const char *ei_cpu_level_name(ei_cpu_level level) {
    const int l = (int)level;
    return l >= 0 && l < EI_CPU_LEVEL_COUNT ? names[l] : "?";
}

bool ei_cpu_level_parse(const char *s, ei_cpu_level *out) {
    if (!s) return false;
    for (int l = 0; l < EI_CPU_LEVEL_COUNT; l++)
        if (strcmp(s, names[l]) == 0) {
            *out = (ei_cpu_level)l;
            return true;
        }
    if (strcmp(s, "avx512-vnni") == 0) {
        *out = EI_CPU_AVX512_VNNI;
        return true;
    }
    if (strcmp(s, "neon-dotprod") == 0 || strcmp(s, "neondotprod") == 0) {
        *out = EI_CPU_NEON_DOTPROD;
        return true;
    }
    return false;
}
