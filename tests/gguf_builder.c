/*
 * gguf_builder.c — see gguf_builder.h. Independent of the library on purpose.
 */
#include "gguf_builder.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void gb_init(gb *b) { memset(b, 0, sizeof *b); }

void gb_free(gb *b) {
    free(b->buf);
    gb_init(b);
}

unsigned char *gb_take(gb *b, size_t *len) {
    /* An exact-size copy, so a reader overrunning the end hits a redzone. */
    unsigned char *p = malloc(b->len ? b->len : 1);
    if (!p) abort();
    if (b->len) memcpy(p, b->buf, b->len);
    if (len) *len = b->len;
    gb_free(b);
    return p;
}

static void gb_reserve(gb *b, size_t n) {
    if (b->cap - b->len >= n) return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap - b->len < n) cap *= 2;
    unsigned char *p = realloc(b->buf, cap);
    if (!p) abort();
    b->buf = p;
    b->cap = cap;
}

size_t gb_raw(gb *b, const void *p, size_t n) {
    size_t at = b->len;
    gb_reserve(b, n);
    if (n) memcpy(b->buf + b->len, p, n);
    b->len += n;
    return at;
}

/* Little-endian regardless of the host. */
static size_t gb_le(gb *b, uint64_t x, int nbytes) {
    unsigned char t[8];
    for (int i = 0; i < nbytes; i++) t[i] = (unsigned char)(x >> (8 * i));
    return gb_raw(b, t, (size_t)nbytes);
}

size_t gb_u8(gb *b, uint8_t x) { return gb_le(b, x, 1); }
size_t gb_u16(gb *b, uint16_t x) { return gb_le(b, x, 2); }
size_t gb_u32(gb *b, uint32_t x) { return gb_le(b, x, 4); }
size_t gb_u64(gb *b, uint64_t x) { return gb_le(b, x, 8); }
size_t gb_i64(gb *b, int64_t x) { return gb_le(b, (uint64_t)x, 8); }

size_t gb_f32(gb *b, float x) {
    uint32_t u;
    memcpy(&u, &x, 4);
    return gb_u32(b, u);
}

size_t gb_f64(gb *b, double x) {
    uint64_t u;
    memcpy(&u, &x, 8);
    return gb_u64(b, u);
}

size_t gb_strn(gb *b, const char *s, uint64_t n) {
    size_t at = gb_u64(b, n);
    gb_raw(b, s, (size_t)n);
    return at;
}

size_t gb_str(gb *b, const char *s) { return gb_strn(b, s, strlen(s)); }

void gb_pad(gb *b, size_t align) {
    while (b->len % align) gb_u8(b, 0);
}

size_t gb_fill(gb *b, size_t n, unsigned seed) {
    size_t at = b->len;
    for (size_t i = 0; i < n; i++) gb_u8(b, (uint8_t)(i * 7 + seed));
    return at;
}

static void gb_patch(gb *b, size_t off, uint64_t x, int nbytes) {
    if (off + (size_t)nbytes > b->len) {
        fprintf(stderr, "gb_patch: offset %zu outside the image (%zu bytes)\n", off, b->len);
        abort();
    }
    for (int i = 0; i < nbytes; i++) b->buf[off + (size_t)i] = (unsigned char)(x >> (8 * i));
}

void gb_patch_u8(gb *b, size_t off, uint8_t x) { gb_patch(b, off, x, 1); }
void gb_patch_u32(gb *b, size_t off, uint32_t x) { gb_patch(b, off, x, 4); }
void gb_patch_u64(gb *b, size_t off, uint64_t x) { gb_patch(b, off, x, 8); }

size_t gb_header(gb *b, uint32_t version, uint64_t n_tensors, uint64_t n_kv) {
    gb_raw(b, "GGUF", 4);
    size_t at = gb_u32(b, version);
    gb_u64(b, n_tensors);
    gb_u64(b, n_kv);
    return at;
}

size_t gb_kv(gb *b, const char *key, uint32_t type) {
    gb_str(b, key);
    return gb_u32(b, type);
}

void gb_kv_str(gb *b, const char *key, const char *val) {
    gb_kv(b, key, GB_STRING);
    gb_str(b, val);
}

void gb_kv_u32(gb *b, const char *key, uint32_t val) {
    gb_kv(b, key, GB_UINT32);
    gb_u32(b, val);
}

size_t gb_arr(gb *b, uint32_t elem_type, uint64_t n) {
    gb_u32(b, elem_type);
    return gb_u64(b, n);
}

size_t gb_tensor(gb *b, const char *name, uint32_t n_dims, const int64_t *ne, uint32_t type,
                 uint64_t offset) {
    gb_str(b, name);
    size_t at = gb_u32(b, n_dims);
    for (uint32_t d = 0; d < n_dims; d++) gb_i64(b, ne[d]);
    gb_u32(b, type);
    gb_u64(b, offset);
    return at;
}

void gb_build_valid(gb *b, gb_layout *lay) {
    gb_layout l;
    memset(&l, 0, sizeof l);
    l.version = gb_header(b, 3, 2, GB_N_KV);
    l.n_tensors = l.version + 4;
    l.n_kv = l.version + 12;

    gb_kv_str(b, "general.architecture", "llama");
    l.name_type = gb_kv(b, "general.name", GB_STRING);
    l.name_len = gb_str(b, "tiny");
    l.align_type = gb_kv(b, "general.alignment", GB_UINT32);
    l.align_val = gb_u32(b, 32);

    gb_kv(b, "t.u8", GB_UINT8), gb_u8(b, 200);
    gb_kv(b, "t.i8", GB_INT8), gb_u8(b, (uint8_t)-100);
    gb_kv(b, "t.u16", GB_UINT16), gb_u16(b, 60000);
    gb_kv(b, "t.i16", GB_INT16), gb_u16(b, (uint16_t)-30000);
    gb_kv(b, "t.u32", GB_UINT32), gb_u32(b, 4000000000u);
    gb_kv(b, "t.i32", GB_INT32), gb_u32(b, (uint32_t)-2000000000);
    gb_kv(b, "t.f32", GB_FLOAT32), gb_f32(b, 1.5f);
    gb_kv(b, "t.bool", GB_BOOL), gb_u8(b, 1);
    gb_kv(b, "t.u64", GB_UINT64), gb_u64(b, 1ull << 40);
    gb_kv(b, "t.i64", GB_INT64), gb_i64(b, -(1ll << 40));
    gb_kv(b, "t.f64", GB_FLOAT64), gb_f64(b, -2.25);
    gb_kv(b, "t.u64_max", GB_UINT64), gb_u64(b, UINT64_MAX);
    gb_kv_str(b, "t.str_empty", "");
    gb_kv(b, "t.str_nul", GB_STRING), gb_strn(b, "a\0b", 3);

    gb_kv(b, "t.arr_u8", GB_ARRAY), gb_arr(b, GB_UINT8, 3);
    gb_u8(b, 1), gb_u8(b, 2), gb_u8(b, 3);
    gb_kv(b, "t.arr_i8", GB_ARRAY), gb_arr(b, GB_INT8, 2);
    gb_u8(b, (uint8_t)-1), gb_u8(b, (uint8_t)-128);
    gb_kv(b, "t.arr_u16", GB_ARRAY), gb_arr(b, GB_UINT16, 1);
    gb_u16(b, 65535);
    gb_kv(b, "t.arr_i16", GB_ARRAY), gb_arr(b, GB_INT16, 2);
    gb_u16(b, (uint16_t)-2), gb_u16(b, 2);
    gb_kv(b, "t.arr_u32", GB_ARRAY);
    l.arr_u32_type = b->len;
    l.arr_u32_n = gb_arr(b, GB_UINT32, 3);
    gb_u32(b, 7), gb_u32(b, 8), gb_u32(b, 9);
    gb_kv(b, "t.arr_i32", GB_ARRAY), gb_arr(b, GB_INT32, 3);
    gb_u32(b, (uint32_t)-1), gb_u32(b, 0), gb_u32(b, 7);
    gb_kv(b, "t.arr_f32", GB_ARRAY), gb_arr(b, GB_FLOAT32, 2);
    gb_f32(b, 0.5f), gb_f32(b, -1.0f);
    gb_kv(b, "t.arr_bool", GB_ARRAY), gb_arr(b, GB_BOOL, 2);
    gb_u8(b, 1), gb_u8(b, 0);
    gb_kv(b, "t.arr_u64", GB_ARRAY), gb_arr(b, GB_UINT64, 2);
    gb_u64(b, 5), gb_u64(b, 1ull << 40);
    gb_kv(b, "t.arr_i64", GB_ARRAY), gb_arr(b, GB_INT64, 0);
    gb_kv(b, "t.arr_f64", GB_ARRAY), gb_arr(b, GB_FLOAT64, 1);
    gb_f64(b, 3.25);
    gb_kv(b, "t.arr_str", GB_ARRAY);
    l.arr_str_n = gb_arr(b, GB_STRING, 3);
    l.arr_str0_len = gb_str(b, "a");
    gb_str(b, "bc"), gb_str(b, "");
    /* [[1, 2], [3]] of int16 */
    gb_kv(b, "t.arr_nested", GB_ARRAY);
    l.nested_n = gb_arr(b, GB_ARRAY, 2);
    l.nested_inner_type = b->len;
    gb_arr(b, GB_INT16, 2), gb_u16(b, 1), gb_u16(b, 2);
    gb_arr(b, GB_INT16, 1), gb_u16(b, 3);
    /* [[["x"]]] */
    gb_kv(b, "t.arr_deep", GB_ARRAY), gb_arr(b, GB_ARRAY, 1);
    gb_arr(b, GB_ARRAY, 1), gb_arr(b, GB_STRING, 1), gb_str(b, "x");

    const int64_t ne0[2] = {8, 2};     /* F32: 8 * 4 * 2 = 64 bytes */
    const int64_t ne1[3] = {32, 2, 1}; /* Q4_0: 18 bytes per 32 elements, 2 rows = 36 bytes */
    l.t0_name_len = b->len;
    l.t0_n_dims = gb_tensor(b, GB_T0_NAME, 2, ne0, GB_F32, 0);
    l.t0_ne = l.t0_n_dims + 4;
    l.t0_type = l.t0_ne + 2 * 8;
    l.t0_offset = l.t0_type + 4;
    l.t1_n_dims = gb_tensor(b, GB_T1_NAME, 3, ne1, GB_Q4_0, 64);
    l.t1_ne = l.t1_n_dims + 4;
    l.t1_type = l.t1_ne + 3 * 8;
    l.t1_offset = l.t1_type + 4;

    gb_pad(b, 32);
    l.data = b->len;
    l.t0_data = gb_fill(b, 64, 1);
    l.t1_data = gb_fill(b, 36, 2); /* nothing after it: see the header */
    if (lay) *lay = l;
}
