/*
 * packed_prefetch.h — software prefetch ahead of the packed kernels'
 * weight stream (packed_avx2.c, packed_avx512.c).
 *
 * With one activation row (generation) a packed kernel is bound by memory
 * latency, and software prefetch keeps more lines in flight than the
 * hardware prefetchers do. The blocks of 32 values (288-544 bytes for 16
 * rows) are prefetched PACK_PREFETCH_SMALL ahead, each line once; the
 * K-quants' large blocks (2-3 KiB) PACK_PREFETCH_LARGE ahead, spread over
 * the block's sub-blocks: issued all at once, one block's worth of
 * prefetches overflows the outstanding-miss slots and memory idles while
 * the block computes. tests/microbench/gemv_stream.c measures the effect
 * (docs/cpu-kernels.md has the figures). Past the end of the matrix the
 * prefetches touch addresses that may not be mapped: prefetch never
 * faults.
 */
#ifndef EI_CPU_PACKED_PREFETCH_H
#define EI_CPU_PACKED_PREFETCH_H

#include <stddef.h>
#include <stdint.h>

#define PACK_PREFETCH_SMALL 2048
#define PACK_PREFETCH_LARGE 4096

/* Prefetch each cache line that starts in [from, to), once, to L1. */
static inline __attribute__((always_inline)) void pack_prefetch_lines(const uint8_t *from, const uint8_t *to) {
    for (uintptr_t a = ((uintptr_t)from + 63) & ~(uintptr_t)63; a < (uintptr_t)to; a += 64)
        __builtin_prefetch((const void *)a, 0, 3);
}

/* A block of 32 values of `bytes`, PACK_PREFETCH_SMALL ahead. */
static inline __attribute__((always_inline)) void pack_prefetch_block(const uint8_t *blk, size_t bytes) {
    pack_prefetch_lines(blk + PACK_PREFETCH_SMALL, blk + PACK_PREFETCH_SMALL + bytes);
}

/* Part `part` of `parts` of a K-quant block of `bytes`, PACK_PREFETCH_LARGE ahead. */
static inline __attribute__((always_inline)) void pack_prefetch_part(const uint8_t *blk, size_t bytes, int part,
                                                                     int parts) {
    const uint8_t *ahead = blk + PACK_PREFETCH_LARGE;
    pack_prefetch_lines(ahead + bytes * (size_t)part / (size_t)parts,
                        ahead + bytes * (size_t)(part + 1) / (size_t)parts);
}

#endif
