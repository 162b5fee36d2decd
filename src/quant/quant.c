/*
 * quant.c — the tensor type table and the public ei_type_* functions.
 *
 * Every GGML type id has a row: name, block geometry (so a GGUF reader can
 * size any tensor), and the reference conversions where this library has
 * them. Ids that GGML retired (4, 5, 31-33, 36-38) have no row. Sizes are
 * GGML's (checked against gguf-py's GGML_QUANT_SIZES by tests/test_quant.c).
 *
 * ei_dequantize/ei_quantize check their arguments (EI_ERR_ARG: unknown id,
 * NULL buffer, n negative or not whole blocks) and refuse a type without
 * reference code with EI_ERR_UNSUPPORTED naming it; they never crash on
 * the data itself.
 */
#include "quant/quant.h"

#include <stdint.h>

#include "quant/blocks.h"
#include "quant/kernels.h"
#include "util/error.h"

static const ei_type_traits table[EI_TYPE_COUNT] = {
    [EI_TYPE_F32] = {"F32", 1, 4, ei_dequantize_f32, ei_quantize_f32},
    [EI_TYPE_F16] = {"F16", 1, 2, ei_dequantize_f16, ei_quantize_f16},
    [EI_TYPE_BF16] = {"BF16", 1, 2, ei_dequantize_bf16, ei_quantize_bf16},
    [EI_TYPE_F64] = {"F64", 1, 8, ei_dequantize_f64, ei_quantize_f64},
    [EI_TYPE_Q4_0] = {"Q4_0", QK4_0, sizeof(block_q4_0), ei_dequantize_q4_0, ei_quantize_q4_0},
    [EI_TYPE_Q4_1] = {"Q4_1", QK4_1, sizeof(block_q4_1), ei_dequantize_q4_1, ei_quantize_q4_1},
    [EI_TYPE_Q5_0] = {"Q5_0", QK5_0, sizeof(block_q5_0), ei_dequantize_q5_0, ei_quantize_q5_0},
    [EI_TYPE_Q5_1] = {"Q5_1", QK5_1, sizeof(block_q5_1), ei_dequantize_q5_1, ei_quantize_q5_1},
    [EI_TYPE_Q8_0] = {"Q8_0", QK8_0, sizeof(block_q8_0), ei_dequantize_q8_0, ei_quantize_q8_0},
    [EI_TYPE_Q8_1] = {"Q8_1", QK8_1, sizeof(block_q8_1), ei_dequantize_q8_1, ei_quantize_q8_1},
    [EI_TYPE_Q2_K] = {"Q2_K", QK_K, sizeof(block_q2_K), ei_dequantize_q2_K, ei_quantize_q2_K},
    [EI_TYPE_Q3_K] = {"Q3_K", QK_K, sizeof(block_q3_K), ei_dequantize_q3_K, ei_quantize_q3_K},
    [EI_TYPE_Q4_K] = {"Q4_K", QK_K, sizeof(block_q4_K), ei_dequantize_q4_K, ei_quantize_q4_K},
    [EI_TYPE_Q5_K] = {"Q5_K", QK_K, sizeof(block_q5_K), ei_dequantize_q5_K, ei_quantize_q5_K},
    [EI_TYPE_Q6_K] = {"Q6_K", QK_K, sizeof(block_q6_K), ei_dequantize_q6_K, ei_quantize_q6_K},
    [EI_TYPE_Q8_K] = {"Q8_K", QK_K, sizeof(block_q8_K), ei_dequantize_q8_K, ei_quantize_q8_K},
    [EI_TYPE_IQ4_NL] = {"IQ4_NL", QK4_NL, sizeof(block_iq4_nl), ei_dequantize_iq4_nl, ei_quantize_iq4_nl},
    [EI_TYPE_IQ4_XS] = {"IQ4_XS", QK_K, sizeof(block_iq4_xs), ei_dequantize_iq4_xs, ei_quantize_iq4_xs},
    /* Read, not written: no reference quantizer (these need an importance
     * matrix and a lattice search; llama-quantize writes them). */
    [EI_TYPE_IQ2_XXS] = {"IQ2_XXS", QK_K, sizeof(block_iq2_xxs), ei_dequantize_iq2_xxs, NULL},
    [EI_TYPE_IQ2_XS] = {"IQ2_XS", QK_K, sizeof(block_iq2_xs), ei_dequantize_iq2_xs, NULL},
    [EI_TYPE_IQ2_S] = {"IQ2_S", QK_K, sizeof(block_iq2_s), ei_dequantize_iq2_s, NULL},
    [EI_TYPE_IQ3_XXS] = {"IQ3_XXS", QK_K, sizeof(block_iq3_xxs), ei_dequantize_iq3_xxs, NULL},
    [EI_TYPE_IQ3_S] = {"IQ3_S", QK_K, sizeof(block_iq3_s), ei_dequantize_iq3_s, NULL},
    [EI_TYPE_IQ1_S] = {"IQ1_S", QK_K, sizeof(block_iq1_s), ei_dequantize_iq1_s, NULL},
    [EI_TYPE_IQ1_M] = {"IQ1_M", QK_K, sizeof(block_iq1_m), ei_dequantize_iq1_m, NULL},
    [EI_TYPE_TQ1_0] = {"TQ1_0", QK_K, sizeof(block_tq1_0), ei_dequantize_tq1_0, NULL},
    [EI_TYPE_TQ2_0] = {"TQ2_0", QK_K, sizeof(block_tq2_0), ei_dequantize_tq2_0, NULL},
    [EI_TYPE_MXFP4] = {"MXFP4", QK_MXFP4, sizeof(block_mxfp4), ei_dequantize_mxfp4, NULL},
    /* Integer tensors hold indices or counts, not weights: converting them
     * to float would only let a model load that cannot run. */
    [EI_TYPE_I8] = {"I8", 1, 1, NULL, NULL},
    [EI_TYPE_I16] = {"I16", 1, 2, NULL, NULL},
    [EI_TYPE_I32] = {"I32", 1, 4, NULL, NULL},
    [EI_TYPE_I64] = {"I64", 1, 8, NULL, NULL},
};

const ei_type_traits *ei_type_traits_of(int t) {
    if (t < 0 || t >= EI_TYPE_COUNT || !table[t].name) return NULL;
    return &table[t];
}

bool ei_type_known(int t) { return ei_type_traits_of(t) != NULL; }

bool ei_type_supported(int t) {
    const ei_type_traits *tt = ei_type_traits_of(t);
    return tt && tt->dequantize;
}

const char *ei_type_name(int t) {
    const ei_type_traits *tt = ei_type_traits_of(t);
    return tt ? tt->name : "unknown";
}

size_t ei_type_block_size(int t) {
    const ei_type_traits *tt = ei_type_traits_of(t);
    return tt ? tt->block_size : 0;
}

size_t ei_type_block_bytes(int t) {
    const ei_type_traits *tt = ei_type_traits_of(t);
    return tt ? tt->block_bytes : 0;
}

/* 0 also when the size would not fit in size_t: a GGUF reader sizes tensors
 * from untrusted dimensions and must not see a wrapped-around product. */
size_t ei_type_row_bytes(int t, int64_t n) {
    const ei_type_traits *tt = ei_type_traits_of(t);
    if (!tt || n < 0 || n % (int64_t)tt->block_size) return 0;
    const uint64_t blocks = (uint64_t)(n / (int64_t)tt->block_size);
    if (blocks > SIZE_MAX / tt->block_bytes) return 0;
    return (size_t)blocks * tt->block_bytes;
}

static ei_status check(int t, const void *a, const void *b, int64_t n, const ei_type_traits **out) {
    const ei_type_traits *tt = ei_type_traits_of(t);
    if (!tt) return ei_error(EI_ERR_ARG, "unknown tensor type id %d", t);
    if (!a || !b) return ei_error(EI_ERR_ARG, "type %s: NULL buffer", tt->name);
    if (n < 0 || n % (int64_t)tt->block_size)
        return ei_error(EI_ERR_ARG, "type %s: %lld elements is not a whole number of blocks of %zu", tt->name,
                        (long long)n, tt->block_size);
    *out = tt;
    return EI_OK;
}

ei_status ei_dequantize(int t, const void *src, float *dst, int64_t n) {
    const ei_type_traits *tt = NULL;
    ei_status s = check(t, src, dst, n, &tt);
    if (s) return s;
    if (!tt->dequantize) return ei_error(EI_ERR_UNSUPPORTED, "type %s: no reference dequantizer", tt->name);
    tt->dequantize(src, dst, n);
    return EI_OK;
}

ei_status ei_quantize(int t, const float *src, void *dst, int64_t n) {
    const ei_type_traits *tt = NULL;
    ei_status s = check(t, src, dst, n, &tt);
    if (s) return s;
    if (!tt->quantize) return ei_error(EI_ERR_UNSUPPORTED, "type %s: no reference quantizer", tt->name);
    tt->quantize(src, dst, n);
    return EI_OK;
}
