/*
 * gguf_types.h — facts about GGUF metadata value types shared by the reader
 * and the writer.
 */
#ifndef EI_GGUF_TYPES_H
#define EI_GGUF_TYPES_H

#include <stddef.h>

#include "edgeinfer.h"

#define EI_GGUF_MAGIC "GGUF"
#define EI_GGUF_DEFAULT_ALIGNMENT 32u
/* Arrays of arrays deeper than this are refused: no real file nests at all,
 * and unbounded recursion on hostile input would exhaust the stack. */
#define EI_GGUF_MAX_DEPTH 8
/* Longest tensor name accepted (llama.cpp stores names in 64-byte fields). */
#define EI_GGUF_MAX_NAME 255

/* Bytes a scalar of type t takes in the file; 0 for STRING, ARRAY, unknown. */
size_t ei_gguf_scalar_size(int t);
int ei_gguf_type_is_int(int t);

#endif
