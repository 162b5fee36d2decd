/*
 * quant.h — the tensor type-traits table.
 *
 * One row per GGML tensor type: its name, block geometry, and the scalar
 * reference conversions to and from f32. These reference functions are the
 * ground truth every SIMD or GPU kernel is tested against. Types whose layout
 * is known but that have no reference code here (IQ2_XXS, ...) have NULL
 * function pointers: files holding them can be listed, not computed with.
 */
#ifndef EI_QUANT_QUANT_H
#define EI_QUANT_QUANT_H

#include <stddef.h>
#include <stdint.h>

#include "edgeinfer.h"

/* n is always a multiple of block_size; src/dst hold n elements' worth. */
typedef void (*ei_dequantize_fn)(const void *src, float *dst, int64_t n);
typedef void (*ei_quantize_fn)(const float *src, void *dst, int64_t n);

typedef struct ei_type_traits {
    const char *name;         /* "Q4_K" */
    size_t block_size;        /* elements per block */
    size_t block_bytes;       /* bytes per block */
    ei_dequantize_fn dequantize; /* NULL: no reference code */
    ei_quantize_fn quantize;     /* NULL: no reference quantizer */
} ei_type_traits;

/* Row of the table for type id t, or NULL if t is not a known type. */
const ei_type_traits *ei_type_traits_of(int t);

#endif
