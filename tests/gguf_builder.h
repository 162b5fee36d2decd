/*
 * gguf_builder.h — a tiny byte builder for crafting GGUF images in tests.
 *
 * It appends little-endian fields to a growable buffer and patches them in
 * place, so a test can write a valid file and then break exactly one field.
 * It deliberately knows nothing of the library (not even edgeinfer.h): the
 * tests must not trust the writer they are checking the reader against.
 * Allocation failure aborts (tests only).
 *
 * Tests include gguf_builder.c directly (tests/CMakeLists.txt compiles only
 * test_*.c and testutil.c into each test program).
 */
#ifndef EI_TESTS_GGUF_BUILDER_H
#define EI_TESTS_GGUF_BUILDER_H

#include <stddef.h>
#include <stdint.h>

/* GGUF metadata value types, as numbered by the file format. */
enum {
    GB_UINT8 = 0, GB_INT8 = 1, GB_UINT16 = 2, GB_INT16 = 3, GB_UINT32 = 4, GB_INT32 = 5,
    GB_FLOAT32 = 6, GB_BOOL = 7, GB_STRING = 8, GB_ARRAY = 9, GB_UINT64 = 10, GB_INT64 = 11,
    GB_FLOAT64 = 12
};

/* A few GGML tensor type ids, as numbered by the file format. */
enum { GB_F32 = 0, GB_F16 = 1, GB_Q4_0 = 2, GB_Q8_0 = 8, GB_Q4_K = 12, GB_IQ2_XXS = 16, GB_I32 = 26 };

typedef struct gb {
    unsigned char *buf;
    size_t len;
    size_t cap;
} gb;

void gb_init(gb *b);
void gb_free(gb *b);
/* Hand the bytes to the caller (malloc'd, exactly b->len long) and reset b. */
unsigned char *gb_take(gb *b, size_t *len);

/* Appenders return the offset at which the field starts, for later patching. */
size_t gb_raw(gb *b, const void *p, size_t n);
size_t gb_u8(gb *b, uint8_t x);
size_t gb_u16(gb *b, uint16_t x);
size_t gb_u32(gb *b, uint32_t x);
size_t gb_u64(gb *b, uint64_t x);
size_t gb_i64(gb *b, int64_t x);
size_t gb_f32(gb *b, float x);
size_t gb_f64(gb *b, double x);
/* GGUF string: u64 length, then the bytes (no terminator). */
size_t gb_str(gb *b, const char *s);
size_t gb_strn(gb *b, const char *s, uint64_t n);
/* Zero bytes up to the next multiple of `align` (a power of two or not). */
void gb_pad(gb *b, size_t align);
/* n bytes of a deterministic pattern (i * 7 + seed). */
size_t gb_fill(gb *b, size_t n, unsigned seed);

void gb_patch_u8(gb *b, size_t off, uint8_t x);
void gb_patch_u32(gb *b, size_t off, uint32_t x);
void gb_patch_u64(gb *b, size_t off, uint64_t x);

/* ---- GGUF shapes built from the primitives ---- */

/* "GGUF", version, tensor count, kv count. Returns the offset of the version. */
size_t gb_header(gb *b, uint32_t version, uint64_t n_tensors, uint64_t n_kv);
/* Key then value type; the caller appends the value. Returns the offset of
 * the value-type field. */
size_t gb_kv(gb *b, const char *key, uint32_t type);
void gb_kv_str(gb *b, const char *key, const char *val);
void gb_kv_u32(gb *b, const char *key, uint32_t val);
/* Array header (element type, count) after gb_kv(..., GB_ARRAY) or as a
 * nested element. Returns the offset of the count. */
size_t gb_arr(gb *b, uint32_t elem_type, uint64_t n);
/* Tensor info: name, n_dims, ne[0..n_dims), type, offset. Returns the offset
 * of the n_dims field. */
size_t gb_tensor(gb *b, const char *name, uint32_t n_dims, const int64_t *ne, uint32_t type,
                 uint64_t offset);

/* ---- the reference image ---- */

/* Where the fields of the reference image lie, for tests that break one. */
typedef struct gb_layout {
    size_t version;       /* u32 */
    size_t n_tensors;     /* u64 */
    size_t n_kv;          /* u64 */
    size_t name_len;      /* u64: length of the value of general.name */
    size_t name_type;     /* u32: value type of general.name */
    size_t align_type;    /* u32: value type of general.alignment */
    size_t align_val;     /* u32: value of general.alignment */
    size_t arr_u32_type;  /* u32: element type of t.arr_u32 */
    size_t arr_u32_n;     /* u64: count of t.arr_u32 */
    size_t arr_str_n;     /* u64: count of t.arr_str */
    size_t arr_str0_len;  /* u64: length of t.arr_str[0] */
    size_t nested_n;      /* u64: count of t.arr_nested */
    size_t nested_inner_type; /* u32: element type of t.arr_nested[0] */
    size_t t0_name_len;   /* u64: length of the first tensor's name */
    size_t t0_n_dims;     /* u32 */
    size_t t0_ne;         /* int64[2] */
    size_t t0_type;       /* u32 */
    size_t t0_offset;     /* u64 */
    size_t t1_n_dims;     /* u32 */
    size_t t1_ne;         /* int64[3] */
    size_t t1_type;       /* u32 */
    size_t t1_offset;     /* u64 */
    size_t data;          /* start of the data section */
    size_t t0_data;       /* file offset of the first tensor's bytes (64 of them) */
    size_t t1_data;       /* file offset of the second tensor's bytes (36 of them) */
} gb_layout;

/* Names and contents of the reference image (see gb_build_valid). */
#define GB_T0_NAME "token_embd.weight"
#define GB_T1_NAME "blk.0.attn_q.weight"
#define GB_N_KV 31

/* A small valid GGUF v3 file: keys of every scalar type, strings (empty, with
 * an embedded NUL), arrays of every scalar type, of strings and nested three
 * deep, general.alignment = 32, and two tensors: token_embd.weight F32
 * {8, 2} at offset 0 and blk.0.attn_q.weight Q4_0 {32, 2, 1} at offset 64.
 * The file ends exactly at the end of the last tensor's bytes, so every
 * shorter prefix is invalid. */
void gb_build_valid(gb *b, gb_layout *lay);

#endif
