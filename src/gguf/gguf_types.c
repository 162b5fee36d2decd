/*
 * gguf_types.c — names and sizes of GGUF metadata value types.
 */
#include "gguf/gguf_types.h"

size_t ei_gguf_scalar_size(int t) {
    switch (t) {
    case EI_GGUF_UINT8: case EI_GGUF_INT8: case EI_GGUF_BOOL: return 1;
    case EI_GGUF_UINT16: case EI_GGUF_INT16: return 2;
    case EI_GGUF_UINT32: case EI_GGUF_INT32: case EI_GGUF_FLOAT32: return 4;
    case EI_GGUF_UINT64: case EI_GGUF_INT64: case EI_GGUF_FLOAT64: return 8;
    default: return 0;
    }
}

int ei_gguf_type_is_int(int t) {
    switch (t) {
    case EI_GGUF_UINT8: case EI_GGUF_INT8: case EI_GGUF_UINT16: case EI_GGUF_INT16:
    case EI_GGUF_UINT32: case EI_GGUF_INT32: case EI_GGUF_UINT64: case EI_GGUF_INT64:
        return 1;
    default:
        return 0;
    }
}

const char *ei_gguf_type_name(int t) {
    static const char *const names[EI_GGUF_TYPE_COUNT] = {
        "uint8", "int8", "uint16", "int16", "uint32", "int32", "float32",
        "bool", "string", "array", "uint64", "int64", "float64",
    };
    if (t < 0 || t >= EI_GGUF_TYPE_COUNT) return "unknown";
    return names[t];
}
