/*
 * test_gguf_malformed.c — the GGUF reader on hostile input.
 *
 * Every malformed-input class gets one test: the image is crafted byte by
 * byte with tests/gguf_builder.c (not the library's writer), opened both from
 * an exact-size heap copy (so the sanitized build catches any read past the
 * end) and from a real file (the mmap path), and must be refused with a
 * non-OK status, no handle, and a message naming the key or tensor at fault.
 * The loops (every truncation, 2000 random byte flips) require each input
 * to either open with consistent tables or fail cleanly.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "edgeinfer.h"
#include "testutil.h"

#include "gguf_builder.c"

/* ---- helpers ------------------------------------------------------------- */

/* What a loop is at, for failure messages ("" outside loops). */
static char context[160];

static char not_a_handle;
#define BOGUS_HANDLE ((ei_gguf *)(void *)&not_a_handle)

/* Open from an exact-size heap copy of img. */
static ei_status open_copy(const unsigned char *img, size_t n, ei_gguf **g) {
    unsigned char *copy = malloc(n ? n : 1);
    assert_non_null(copy);
    if (n) memcpy(copy, img, n);
    *g = BOGUS_HANDLE;
    ei_status s = ei_gguf_open_memory(copy, n, g);
    if (s == EI_OK) {
        /* the buffer must outlive the handle: walk it now, then free both */
        ei_gguf_close(*g);
        *g = NULL;
        free(copy);
        return EI_OK;
    }
    free(copy);
    return s;
}

/* Write img to a temp file and ei_gguf_open it. */
static ei_status open_file(const unsigned char *img, size_t n, ei_gguf **g) {
    const char *path = tu_temp_path("malformed.gguf");
    assert_int_equal(tu_write_file(path, img, n), 0);
    *g = BOGUS_HANDLE;
    ei_status s = ei_gguf_open(path, g);
    unlink(path);
    return s;
}

/* One rejection, checked: status, no handle, message. */
static void check_rejection(const char *how, ei_status s, ei_gguf *g, ei_status want, const char *mention,
                            int line) {
    if (s == EI_OK) {
        ei_gguf_close(g);
        fail_msg("line %d (%s)%s: malformed input opened", line, how, context);
    }
    if (want != EI_OK && s != want)
        fail_msg("line %d (%s): status %s, expected %s (%s)", line, how, ei_status_str(s), ei_status_str(want),
                 ei_last_error());
    if (g != NULL) fail_msg("line %d (%s): failed open left a handle behind", line, how);
    const char *msg = ei_last_error();
    if (msg[0] == '\0') fail_msg("line %d (%s): no error message", line, how);
    if (mention && !strstr(msg, mention))
        fail_msg("line %d (%s): message \"%s\" does not mention \"%s\"", line, how, msg, mention);
}

/* img must be refused from memory and from a file with status `want` (any
 * failure if want is EI_OK) and a message naming `mention` (if non-NULL). */
static void expect_reject_(const unsigned char *img, size_t n, ei_status want, const char *mention, int line) {
    ei_gguf *g;
    ei_status s = open_copy(img, n, &g);
    check_rejection("memory", s, g, want, mention, line);
    s = open_file(img, n, &g);
    check_rejection("file", s, g, want, mention, line);
}
#define expect_reject(img, n, want, mention) expect_reject_(img, n, want, mention, __LINE__)

/* The same for a builder's bytes; frees the builder. */
#define expect_reject_gb(b, want, mention) \
    do { \
        expect_reject_((b)->buf, (b)->len, want, mention, __LINE__); \
        gb_free(b); \
    } while (0)

/* The reference image with one field patched must be refused. */
static void reject_patched_(size_t off, int width, uint64_t val, ei_status want, const char *mention, int line) {
    gb b;
    gb_init(&b);
    gb_build_valid(&b, NULL);
    if (width == 4) gb_patch_u32(&b, off, (uint32_t)val);
    else if (width == 8) gb_patch_u64(&b, off, val);
    else gb_patch_u8(&b, off, (uint8_t)val);
    expect_reject_(b.buf, b.len, want, mention, line);
    gb_free(&b);
}
#define reject_patched32(off, val, want, mention) reject_patched_(off, 4, val, want, mention, __LINE__)
#define reject_patched64(off, val, want, mention) reject_patched_(off, 8, val, want, mention, __LINE__)

static gb_layout valid_layout(void) {
    gb b;
    gb_layout lay;
    gb_init(&b);
    gb_build_valid(&b, &lay);
    gb_free(&b);
    return lay;
}

/* Open the builder's bytes from memory; the caller closes g, then gb_free. */
static ei_gguf *open_ok(const gb *b) {
    ei_gguf *g = NULL;
    ei_status s = ei_gguf_open_memory(b->buf, b->len, &g);
    if (s) fail_msg("valid image refused: %s: %s", ei_status_str(s), ei_last_error());
    assert_non_null(g);
    return g;
}

/* A file of one key and the given tensors (infos, padding to 32, then
 * data_bytes of data). */
typedef struct tspec {
    const char *name;
    uint32_t n_dims;
    int64_t ne[5];
    uint32_t type;
    uint64_t offset;
} tspec;

static void build_tensors(gb *b, const tspec *t, int n, size_t data_bytes) {
    gb_init(b);
    gb_header(b, 3, (uint64_t)n, 1);
    gb_kv_str(b, "general.architecture", "llama");
    for (int i = 0; i < n; i++) gb_tensor(b, t[i].name, t[i].n_dims, t[i].ne, t[i].type, t[i].offset);
    gb_pad(b, 32);
    gb_fill(b, data_bytes, 3);
}

static void reject_tensors_(const tspec *t, int n, size_t data_bytes, const char *mention, int line) {
    gb b;
    build_tensors(&b, t, n, data_bytes);
    expect_reject_(b.buf, b.len, EI_ERR_FORMAT, mention, line);
    gb_free(&b);
}
#define reject_tensors(t, n, data_bytes, mention) reject_tensors_(t, n, data_bytes, mention, __LINE__)

/* ---- consistency of an opened handle (used by the loops) ---------------- */

static volatile unsigned char sink;

static void walk_value(const ei_gguf_value *v, int depth) {
    assert_true(depth <= 8);
    switch (v->type) {
    case EI_GGUF_STRING:
        assert_non_null(v->v.str.ptr);
        assert_int_equal(v->v.str.ptr[v->v.str.len], '\0');
        return;
    case EI_GGUF_BOOL:
        assert_true(v->v.u64 <= 1);
        return;
    case EI_GGUF_ARRAY:
        break;
    default:
        assert_true((int)v->type >= 0 && v->type < EI_GGUF_TYPE_COUNT);
        return;
    }
    const uint64_t n = v->v.arr.n;
    const int et = v->v.arr.elem_type;
    int64_t iv;
    double fv;
    ei_gguf_str sv;
    const ei_gguf_value *av;
    for (uint64_t i = 0; i < n; i++) {
        if (et == EI_GGUF_STRING) {
            assert_int_equal(ei_gguf_arr_str(v, i, &sv), EI_OK);
            assert_int_equal(sv.ptr[sv.len], '\0');
        } else if (et == EI_GGUF_ARRAY) {
            assert_int_equal(ei_gguf_arr_arr(v, i, &av), EI_OK);
            assert_int_equal(av->type, EI_GGUF_ARRAY);
            walk_value(av, depth + 1);
        } else if (et == EI_GGUF_FLOAT32 || et == EI_GGUF_FLOAT64) {
            assert_int_equal(ei_gguf_arr_float(v, i, &fv), EI_OK);
        } else if (et == EI_GGUF_UINT64) {
            ei_status s = ei_gguf_arr_int(v, i, &iv); /* may not fit int64 */
            assert_true(s == EI_OK || s == EI_ERR_TYPE);
        } else {
            assert_int_equal(ei_gguf_arr_int(v, i, &iv), EI_OK);
            if (et == EI_GGUF_BOOL) assert_true(iv == 0 || iv == 1);
        }
    }
    assert_int_equal(ei_gguf_arr_int(v, n, &iv) == EI_OK, 0);
}

/* Every table of g agrees with the file it came from. */
static void walk_handle(const ei_gguf *g, const unsigned char *base) {
    const uint64_t size = ei_gguf_file_size(g);
    const uint32_t align = ei_gguf_alignment(g);
    assert_true(align != 0 && (align & (align - 1)) == 0);
    for (int64_t i = 0; i < ei_gguf_n_kv(g); i++) {
        const char *key = ei_gguf_kv_key(g, i);
        assert_non_null(key);
        assert_true(key[0] != '\0');
        assert_int_equal(ei_gguf_find_key(g, key), i);
        walk_value(ei_gguf_kv_value(g, i), 1);
    }
    for (int64_t i = 0; i < ei_gguf_n_tensors(g); i++) {
        const ei_tensor_info *t = ei_gguf_tensor(g, i);
        assert_non_null(t);
        assert_true(t->name[0] != '\0');
        assert_int_equal(ei_gguf_find_tensor(g, t->name), i);
        assert_true(t->n_dims >= 1 && t->n_dims <= EI_MAX_DIMS);
        /* bytes of the shape, computed here with overflow checks rather
         * than trusted from ei_type_row_bytes */
        const uint64_t bs = ei_type_block_size(t->type);
        assert_true(bs > 0 && t->ne[0] % (int64_t)bs == 0);
        uint64_t bytes;
        assert_true(!__builtin_mul_overflow((uint64_t)t->ne[0] / bs, (uint64_t)ei_type_block_bytes(t->type), &bytes));
        assert_true(bytes > 0);
        for (int d = 0; d < EI_MAX_DIMS; d++) {
            assert_true(t->ne[d] >= 1);
            if ((uint32_t)d >= t->n_dims) assert_int_equal(t->ne[d], 1);
            if (d > 0) assert_false(__builtin_mul_overflow(bytes, (uint64_t)t->ne[d], &bytes));
        }
        assert_true(t->size == bytes);
        assert_int_equal(t->offset % align, 0);
        assert_true(ei_gguf_data_offset(g) <= size);
        assert_true(t->offset <= size - ei_gguf_data_offset(g));
        assert_true(t->size <= size - ei_gguf_data_offset(g) - t->offset);
        if (base) assert_ptr_equal(t->data, base + ei_gguf_data_offset(g) + t->offset);
        const unsigned char *d = t->data;
        sink = d[0];
        sink = d[t->size - 1];
    }
    ei_status s = ei_gguf_check_types_supported(g);
    assert_true(s == EI_OK || s == EI_ERR_UNSUPPORTED);
}

/* Either refused cleanly, or opened with consistent tables. Returns 1 if it
 * opened. The memory path uses an exact-size copy. */
static int open_or_fail_cleanly(const unsigned char *img, size_t n, int use_file, const char *what, size_t k) {
    ei_gguf *g = BOGUS_HANDLE;
    ei_status s;
    unsigned char *copy = NULL;
    const char *path = NULL;
    if (use_file) {
        path = tu_temp_path("loop.gguf");
        assert_int_equal(tu_write_file(path, img, n), 0);
        s = ei_gguf_open(path, &g);
    } else {
        copy = malloc(n ? n : 1);
        assert_non_null(copy);
        if (n) memcpy(copy, img, n);
        s = ei_gguf_open_memory(copy, n, &g);
    }
    if (s != EI_OK) {
        if (g != NULL) fail_msg("%s %zu: failed open left a handle", what, k);
        if (ei_last_error()[0] == '\0') fail_msg("%s %zu: no error message", what, k);
        if (s != EI_ERR_FORMAT && s != EI_ERR_UNSUPPORTED)
            fail_msg("%s %zu: unexpected status %s (%s)", what, k, ei_status_str(s), ei_last_error());
    } else {
        assert_non_null(g);
        walk_handle(g, copy);
        ei_gguf_close(g);
    }
    free(copy);
    if (path) unlink(path);
    return s == EI_OK;
}

/* ---- the reference image reads back right -------------------------------- */

static void check_reference(const ei_gguf *g, size_t size, const unsigned char *base) {
    const gb_layout lay = valid_layout();
    const char *str;
    int64_t iv;
    double fv;
    bool bv;
    const ei_gguf_value *a, *a2;
    ei_gguf_str sv;

    assert_int_equal(ei_gguf_version(g), 3);
    assert_int_equal(ei_gguf_alignment(g), 32);
    assert_int_equal(ei_gguf_file_size(g), size);
    assert_int_equal(ei_gguf_data_offset(g), lay.data);
    assert_int_equal(ei_gguf_n_kv(g), GB_N_KV);
    assert_string_equal(ei_gguf_kv_key(g, 0), "general.architecture");
    assert_string_equal(ei_gguf_kv_key(g, 2), "general.alignment");
    assert_string_equal(ei_gguf_kv_key(g, GB_N_KV - 1), "t.arr_deep");
    assert_null(ei_gguf_kv_key(g, GB_N_KV));
    assert_null(ei_gguf_kv_key(g, -1));
    for (int64_t i = 0; i < GB_N_KV; i++) assert_int_equal(ei_gguf_find_key(g, ei_gguf_kv_key(g, i)), i);
    assert_int_equal(ei_gguf_find_key(g, "no.such.key"), -1);

    /* scalars */
    assert_int_equal(ei_gguf_get_str(g, "general.architecture", &str), EI_OK);
    assert_string_equal(str, "llama");
    assert_int_equal(ei_gguf_get_str(g, "general.name", &str), EI_OK);
    assert_string_equal(str, "tiny");
    assert_int_equal(ei_gguf_get_int(g, "general.alignment", &iv), EI_OK);
    assert_int_equal(iv, 32);
    const struct { const char *key; int64_t val; ei_gguf_type type; } ints[] = {
        {"t.u8", 200, EI_GGUF_UINT8},          {"t.i8", -100, EI_GGUF_INT8},
        {"t.u16", 60000, EI_GGUF_UINT16},      {"t.i16", -30000, EI_GGUF_INT16},
        {"t.u32", 4000000000, EI_GGUF_UINT32}, {"t.i32", -2000000000, EI_GGUF_INT32},
        {"t.u64", 1ll << 40, EI_GGUF_UINT64},  {"t.i64", -(1ll << 40), EI_GGUF_INT64},
    };
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
        if (ei_gguf_get_int(g, ints[i].key, &iv) != EI_OK) fail_msg("%s: %s", ints[i].key, ei_last_error());
        assert_int_equal(iv, ints[i].val);
        assert_int_equal(ei_gguf_kv_value(g, ei_gguf_find_key(g, ints[i].key))->type, ints[i].type);
    }
    assert_int_equal(ei_gguf_get_float(g, "t.f32", &fv), EI_OK);
    assert_true(fv == 1.5);
    assert_int_equal(ei_gguf_get_float(g, "t.f64", &fv), EI_OK);
    assert_true(fv == -2.25);
    assert_int_equal(ei_gguf_get_bool(g, "t.bool", &bv), EI_OK);
    assert_true(bv);
    const ei_gguf_value *v = ei_gguf_kv_value(g, ei_gguf_find_key(g, "t.u64_max"));
    assert_int_equal(v->type, EI_GGUF_UINT64);
    assert_true(v->v.u64 == UINT64_MAX);
    assert_int_equal(ei_gguf_get_int(g, "t.u64_max", &iv), EI_ERR_TYPE); /* does not fit int64 */
    assert_non_null(strstr(ei_last_error(), "t.u64_max"));
    assert_int_equal(ei_gguf_get_str(g, "t.str_empty", &str), EI_OK);
    assert_string_equal(str, "");
    v = ei_gguf_kv_value(g, ei_gguf_find_key(g, "t.str_nul"));
    assert_int_equal(v->type, EI_GGUF_STRING);
    assert_int_equal(v->v.str.len, 3);
    assert_memory_equal(v->v.str.ptr, "a\0b", 4);

    /* typed-accessor errors name the key */
    assert_int_equal(ei_gguf_get_str(g, "t.u32", &str), EI_ERR_TYPE);
    assert_non_null(strstr(ei_last_error(), "t.u32"));
    assert_int_equal(ei_gguf_get_int(g, "general.name", &iv), EI_ERR_TYPE);
    assert_non_null(strstr(ei_last_error(), "general.name"));
    assert_int_equal(ei_gguf_get_float(g, "t.i32", &fv), EI_ERR_TYPE);
    assert_non_null(strstr(ei_last_error(), "t.i32"));
    assert_int_equal(ei_gguf_get_bool(g, "t.u8", &bv), EI_ERR_TYPE);
    assert_non_null(strstr(ei_last_error(), "t.u8"));
    assert_int_equal(ei_gguf_get_arr(g, "general.name", &a), EI_ERR_TYPE);
    assert_non_null(strstr(ei_last_error(), "general.name"));
    assert_int_equal(ei_gguf_get_int(g, "t.f32", &iv), EI_ERR_TYPE);
    assert_int_equal(ei_gguf_get_str(g, "no.such.key", &str), EI_ERR_NOT_FOUND);
    assert_non_null(strstr(ei_last_error(), "no.such.key"));
    assert_int_equal(ei_gguf_get_int(g, "no.such.key", &iv), EI_ERR_NOT_FOUND);
    assert_int_equal(ei_gguf_get_arr(g, "no.such.key", &a), EI_ERR_NOT_FOUND);

    /* arrays of every scalar type */
    const struct { const char *key; ei_gguf_type et; uint64_t n; int64_t vals[3]; } iarr[] = {
        {"t.arr_u8", EI_GGUF_UINT8, 3, {1, 2, 3}},   {"t.arr_i8", EI_GGUF_INT8, 2, {-1, -128}},
        {"t.arr_u16", EI_GGUF_UINT16, 1, {65535}},   {"t.arr_i16", EI_GGUF_INT16, 2, {-2, 2}},
        {"t.arr_u32", EI_GGUF_UINT32, 3, {7, 8, 9}}, {"t.arr_i32", EI_GGUF_INT32, 3, {-1, 0, 7}},
        {"t.arr_bool", EI_GGUF_BOOL, 2, {1, 0}},     {"t.arr_u64", EI_GGUF_UINT64, 2, {5, 1ll << 40}},
        {"t.arr_i64", EI_GGUF_INT64, 0, {0}},
    };
    for (size_t k = 0; k < sizeof iarr / sizeof iarr[0]; k++) {
        if (ei_gguf_get_arr(g, iarr[k].key, &a) != EI_OK) fail_msg("%s: %s", iarr[k].key, ei_last_error());
        assert_int_equal(a->type, EI_GGUF_ARRAY);
        assert_int_equal(a->v.arr.elem_type, iarr[k].et);
        assert_int_equal(a->v.arr.n, iarr[k].n);
        for (uint64_t i = 0; i < iarr[k].n; i++) {
            if (ei_gguf_arr_int(a, i, &iv) != EI_OK) fail_msg("%s[%d]: %s", iarr[k].key, (int)i, ei_last_error());
            assert_int_equal(iv, iarr[k].vals[i]);
        }
        assert_int_equal(ei_gguf_arr_int(a, iarr[k].n, &iv), EI_ERR_ARG);
        assert_int_equal(ei_gguf_arr_int(a, UINT64_MAX, &iv), EI_ERR_ARG);
        if (iarr[k].n) {
            assert_int_equal(ei_gguf_arr_float(a, 0, &fv), EI_ERR_TYPE);
            assert_int_equal(ei_gguf_arr_str(a, 0, &sv), EI_ERR_TYPE);
            assert_int_equal(ei_gguf_arr_arr(a, 0, &a2), EI_ERR_TYPE);
        }
    }
    assert_int_equal(ei_gguf_get_arr(g, "t.arr_f32", &a), EI_OK);
    assert_int_equal(a->v.arr.elem_type, EI_GGUF_FLOAT32);
    assert_int_equal(a->v.arr.n, 2);
    assert_int_equal(ei_gguf_arr_float(a, 0, &fv), EI_OK);
    assert_true(fv == 0.5);
    assert_int_equal(ei_gguf_arr_float(a, 1, &fv), EI_OK);
    assert_true(fv == -1.0);
    assert_int_equal(ei_gguf_arr_int(a, 0, &iv), EI_ERR_TYPE);
    assert_int_equal(ei_gguf_arr_float(a, 2, &fv), EI_ERR_ARG);
    assert_int_equal(ei_gguf_get_arr(g, "t.arr_f64", &a), EI_OK);
    assert_int_equal(ei_gguf_arr_float(a, 0, &fv), EI_OK);
    assert_true(fv == 3.25);

    assert_int_equal(ei_gguf_get_arr(g, "t.arr_str", &a), EI_OK);
    assert_int_equal(a->v.arr.elem_type, EI_GGUF_STRING);
    assert_int_equal(a->v.arr.n, 3);
    const char *strs[] = {"a", "bc", ""};
    for (uint64_t i = 0; i < 3; i++) {
        assert_int_equal(ei_gguf_arr_str(a, i, &sv), EI_OK);
        assert_int_equal(sv.len, strlen(strs[i]));
        assert_string_equal(sv.ptr, strs[i]);
    }
    assert_int_equal(ei_gguf_arr_str(a, 3, &sv), EI_ERR_ARG);
    assert_int_equal(ei_gguf_arr_int(a, 0, &iv), EI_ERR_TYPE);

    /* [[1, 2], [3]] */
    assert_int_equal(ei_gguf_get_arr(g, "t.arr_nested", &a), EI_OK);
    assert_int_equal(a->v.arr.elem_type, EI_GGUF_ARRAY);
    assert_int_equal(a->v.arr.n, 2);
    assert_int_equal(ei_gguf_arr_arr(a, 0, &a2), EI_OK);
    assert_int_equal(a2->v.arr.elem_type, EI_GGUF_INT16);
    assert_int_equal(a2->v.arr.n, 2);
    assert_int_equal(ei_gguf_arr_int(a2, 1, &iv), EI_OK);
    assert_int_equal(iv, 2);
    assert_int_equal(ei_gguf_arr_arr(a, 1, &a2), EI_OK);
    assert_int_equal(a2->v.arr.n, 1);
    assert_int_equal(ei_gguf_arr_int(a2, 0, &iv), EI_OK);
    assert_int_equal(iv, 3);
    assert_int_equal(ei_gguf_arr_arr(a, 2, &a2), EI_ERR_ARG);
    assert_int_equal(ei_gguf_arr_int(a, 0, &iv), EI_ERR_TYPE);
    /* [[["x"]]] */
    assert_int_equal(ei_gguf_get_arr(g, "t.arr_deep", &a), EI_OK);
    assert_int_equal(ei_gguf_arr_arr(a, 0, &a2), EI_OK);
    assert_int_equal(ei_gguf_arr_arr(a2, 0, &a2), EI_OK);
    assert_int_equal(a2->v.arr.elem_type, EI_GGUF_STRING);
    assert_int_equal(ei_gguf_arr_str(a2, 0, &sv), EI_OK);
    assert_string_equal(sv.ptr, "x");

    /* tensors */
    assert_int_equal(ei_gguf_n_tensors(g), 2);
    const ei_tensor_info *t = ei_gguf_tensor(g, 0);
    assert_string_equal(t->name, GB_T0_NAME);
    assert_int_equal(t->type, EI_TYPE_F32);
    assert_int_equal(t->n_dims, 2);
    assert_int_equal(t->ne[0], 8);
    assert_int_equal(t->ne[1], 2);
    assert_int_equal(t->ne[2], 1);
    assert_int_equal(t->ne[3], 1);
    assert_int_equal(t->offset, 0);
    assert_int_equal(t->size, 64);
    assert_non_null(t->data);
    if (base) assert_ptr_equal(t->data, base + lay.t0_data);
    for (size_t i = 0; i < 64; i++) assert_int_equal(((const unsigned char *)t->data)[i], (unsigned char)(i * 7 + 1));
    t = ei_gguf_tensor(g, 1);
    assert_string_equal(t->name, GB_T1_NAME);
    assert_int_equal(t->type, EI_TYPE_Q4_0);
    assert_int_equal(t->n_dims, 3);
    assert_int_equal(t->ne[0], 32);
    assert_int_equal(t->ne[1], 2);
    assert_int_equal(t->ne[2], 1);
    assert_int_equal(t->ne[3], 1);
    assert_int_equal(t->offset, 64);
    assert_int_equal(t->size, 36);
    if (base) assert_ptr_equal(t->data, base + lay.t1_data);
    for (size_t i = 0; i < 36; i++) assert_int_equal(((const unsigned char *)t->data)[i], (unsigned char)(i * 7 + 2));
    assert_null(ei_gguf_tensor(g, 2));
    assert_null(ei_gguf_tensor(g, -1));
    assert_int_equal(ei_gguf_find_tensor(g, GB_T0_NAME), 0);
    assert_int_equal(ei_gguf_find_tensor(g, GB_T1_NAME), 1);
    assert_int_equal(ei_gguf_find_tensor(g, "output.weight"), -1);
    assert_int_equal(ei_gguf_check_types_supported(g), EI_OK);
}

static void test_valid_reads_back(void **state) {
    (void)state;
    gb b;
    gb_init(&b);
    gb_build_valid(&b, NULL);
    ei_gguf *g = open_ok(&b);
    check_reference(g, b.len, b.buf);
    walk_handle(g, b.buf);
    ei_gguf_close(g);

    /* the same through the mmap path */
    const char *path = tu_temp_path("valid.gguf");
    assert_int_equal(tu_write_file(path, b.buf, b.len), 0);
    g = NULL;
    ei_status s = ei_gguf_open(path, &g);
    if (s) fail_msg("%s", ei_last_error());
    check_reference(g, b.len, NULL);
    walk_handle(g, NULL);
    ei_gguf_close(g);
    unlink(path);
    gb_free(&b);
}

static void test_minimal_and_vocab_only_valid(void **state) {
    (void)state;
    /* header only: no keys, no tensors */
    gb b;
    gb_init(&b);
    gb_header(&b, 3, 0, 0);
    ei_gguf *g = open_ok(&b);
    assert_int_equal(ei_gguf_n_kv(g), 0);
    assert_int_equal(ei_gguf_n_tensors(g), 0);
    assert_int_equal(ei_gguf_check_types_supported(g), EI_OK);
    ei_gguf_close(g);
    gb_free(&b);

    /* vocabulary-only: the file ends right after the last value, before
     * where the (empty) data section would start, as real vocab files do */
    gb_init(&b);
    gb_header(&b, 3, 0, 3);
    gb_kv_str(&b, "tokenizer.ggml.model", "gpt2");
    gb_kv(&b, "tokenizer.ggml.tokens", GB_ARRAY), gb_arr(&b, GB_STRING, 3);
    gb_str(&b, "a"), gb_str(&b, "b"), gb_str(&b, "ab");
    gb_kv_u32(&b, "general.alignment", 64);
    assert_true(b.len % 64 != 0);
    g = open_ok(&b);
    assert_int_equal(ei_gguf_n_tensors(g), 0);
    assert_int_equal(ei_gguf_alignment(g), 64);
    walk_handle(g, b.buf);
    ei_gguf_close(g);
    const char *path = tu_temp_path("vocab.gguf");
    assert_int_equal(tu_write_file(path, b.buf, b.len), 0);
    g = NULL;
    if (ei_gguf_open(path, &g)) fail_msg("%s", ei_last_error());
    ei_gguf_close(g);
    unlink(path);
    gb_free(&b);
}

/* ---- files and arguments ------------------------------------------------- */

static void test_empty_file(void **state) {
    (void)state;
    expect_reject((const unsigned char *)"", 0, EI_ERR_FORMAT, NULL);
    ei_gguf *g = BOGUS_HANDLE;
    assert_int_equal(ei_gguf_open_memory(NULL, 0, &g), EI_ERR_FORMAT);
    assert_null(g);
}

static void test_bad_paths_and_arguments(void **state) {
    (void)state;
    ei_gguf *g = BOGUS_HANDLE;
    const char *missing = tu_temp_path("does-not-exist.gguf");
    assert_int_equal(ei_gguf_open(missing, &g), EI_ERR_IO);
    assert_null(g);
    assert_non_null(strstr(ei_last_error(), missing));
    g = BOGUS_HANDLE;
    assert_true(ei_gguf_open("/tmp", &g) != EI_OK); /* a directory */
    assert_null(g);
    assert_int_equal(ei_gguf_open(NULL, &g), EI_ERR_ARG);
    assert_int_equal(ei_gguf_open(missing, NULL), EI_ERR_ARG);
    assert_int_equal(ei_gguf_open_memory("GGUF", 4, NULL), EI_ERR_ARG);
    g = BOGUS_HANDLE;
    assert_int_equal(ei_gguf_open_memory(NULL, 10, &g), EI_ERR_ARG);
    assert_null(g);
}

/* ---- truncation and corruption loops ------------------------------------- */

static void truncate_every_prefix(int use_file) {
    gb b;
    gb_init(&b);
    gb_build_valid(&b, NULL);
    for (size_t n = 0; n < b.len; n++) {
        if (open_or_fail_cleanly(b.buf, n, use_file, "prefix length", n))
            fail_msg("prefix of %zu of %zu bytes opened", n, b.len);
    }
    if (!open_or_fail_cleanly(b.buf, b.len, use_file, "full length", b.len)) fail_msg("%s", ei_last_error());
    gb_free(&b);
}

static void test_truncated_every_offset_memory(void **state) {
    (void)state;
    truncate_every_prefix(0);
}

static void test_truncated_every_offset_file(void **state) {
    (void)state;
    truncate_every_prefix(1);
}

static void random_flips(int use_file) {
    gb b;
    gb_layout lay;
    gb_init(&b);
    gb_build_valid(&b, &lay);
    unsigned char *img = malloc(b.len);
    assert_non_null(img);
    uint64_t rng = 0x5EED0001u;
    int opened = 0, refused = 0;
    for (int k = 0; k < 2000; k++) {
        memcpy(img, b.buf, b.len);
        int flips = 1 + (int)(tu_rand_u64(&rng) % 4);
        for (int f = 0; f < flips; f++) {
            /* mostly in the metadata, where a flip changes the parse */
            size_t span = (tu_rand_u64(&rng) % 4) ? lay.data : b.len;
            size_t pos = (size_t)(tu_rand_u64(&rng) % span);
            img[pos] ^= (unsigned char)(1 + tu_rand_u64(&rng) % 255);
        }
        if (open_or_fail_cleanly(img, b.len, use_file, "mutation", (size_t)k)) opened++;
        else refused++;
    }
    print_message("%d of 2000 mutations opened, %d refused\n", opened, refused);
    /* both outcomes must occur, or the loop tests nothing */
    assert_true(opened > 0);
    assert_true(refused > 0);
    free(img);
    gb_free(&b);
}

static void test_random_byte_flips_memory(void **state) {
    (void)state;
    random_flips(0);
}

static void test_random_byte_flips_file(void **state) {
    (void)state;
    random_flips(1);
}

/* ---- header -------------------------------------------------------------- */

static void test_bad_magic(void **state) {
    (void)state;
    const char *magics[] = {"GGUG", "ggml", "FUGG", "GGJT", "\0\0\0\0", "GGU\xc6"};
    for (size_t i = 0; i < sizeof magics / sizeof magics[0]; i++) {
        gb b;
        gb_init(&b);
        gb_build_valid(&b, NULL);
        memcpy(b.buf, magics[i], 4);
        expect_reject_gb(&b, EI_ERR_FORMAT, NULL);
    }
    expect_reject((const unsigned char *)"GGU", 3, EI_ERR_FORMAT, NULL);
}

static void test_versions(void **state) {
    (void)state;
    const size_t v = valid_layout().version;
    reject_patched32(v, 1, EI_ERR_UNSUPPORTED, NULL);
    reject_patched32(v, 0, EI_OK, NULL);
    reject_patched32(v, 4, EI_ERR_UNSUPPORTED, NULL);
    reject_patched32(v, 5, EI_ERR_UNSUPPORTED, NULL);
    reject_patched32(v, 0xFFFFFFFFu, EI_ERR_UNSUPPORTED, NULL);
    /* a big-endian file's version reads byte-swapped */
    reject_patched32(v, 0x03000000u, EI_ERR_UNSUPPORTED, NULL);
    reject_patched32(v, 0x02000000u, EI_ERR_UNSUPPORTED, NULL);
}

static void test_huge_counts(void **state) {
    (void)state;
    const gb_layout lay = valid_layout();
    const uint64_t huge[] = {1ull << 63, UINT64_MAX, 1ull << 32, 1000, 1000000};
    for (size_t i = 0; i < sizeof huge / sizeof huge[0]; i++) {
        reject_patched64(lay.n_tensors, huge[i], EI_ERR_FORMAT, NULL);
        reject_patched64(lay.n_kv, huge[i], EI_ERR_FORMAT, NULL);
    }
    /* one more than present: the parse runs into what follows */
    reject_patched64(lay.n_kv, GB_N_KV + 1, EI_ERR_FORMAT, NULL);
    reject_patched64(lay.n_tensors, 3, EI_ERR_FORMAT, NULL);
    /* a header claiming many entries with nothing after it */
    gb b;
    gb_init(&b);
    gb_header(&b, 3, 1ull << 63, 1ull << 63);
    expect_reject_gb(&b, EI_ERR_FORMAT, NULL);
}

/* ---- keys and values ----------------------------------------------------- */

static void test_string_lengths(void **state) {
    (void)state;
    const gb_layout lay = valid_layout();
    const uint64_t bad[] = {UINT64_MAX, 1ull << 63, UINT64_MAX - 7, 1000000, 4096};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        reject_patched64(lay.name_len, bad[i], EI_ERR_FORMAT, "general.name");
        reject_patched64(lay.arr_str0_len, bad[i], EI_ERR_FORMAT, "t.arr_str");
        reject_patched64(lay.t0_name_len, bad[i], EI_ERR_FORMAT, NULL);
        reject_patched64(24, bad[i], EI_ERR_FORMAT, NULL); /* the first key's length */
    }
}

static void test_array_lengths(void **state) {
    (void)state;
    const gb_layout lay = valid_layout();
    /* 2^62 uint32s and 2^61 strings are 2^64 bytes: a wrapping multiply reads 0 */
    const uint64_t bad[] = {UINT64_MAX, 1ull << 63, 1ull << 62, 1ull << 61, 1ull << 60, 1000000, 400};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        reject_patched64(lay.arr_u32_n, bad[i], EI_ERR_FORMAT, "t.arr_u32");
        reject_patched64(lay.arr_str_n, bad[i], EI_ERR_FORMAT, "t.arr_str");
        reject_patched64(lay.nested_n, bad[i], EI_ERR_FORMAT, "t.arr_nested");
    }
    /* an array at the very end of the file, one element short */
    gb b;
    gb_init(&b);
    gb_header(&b, 3, 0, 1);
    gb_kv(&b, "tokenizer.ggml.scores", GB_ARRAY), gb_arr(&b, GB_FLOAT32, 3);
    gb_f32(&b, 1), gb_f32(&b, 2);
    expect_reject_gb(&b, EI_ERR_FORMAT, "tokenizer.ggml.scores");
}

static void test_unknown_value_type(void **state) {
    (void)state;
    const gb_layout lay = valid_layout();
    const uint32_t bad[] = {13, 14, 255, 0x80000000u, 0xFFFFFFFFu};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        reject_patched32(lay.name_type, bad[i], EI_ERR_FORMAT, "general.name");
}

static void test_unknown_array_element_type(void **state) {
    (void)state;
    const gb_layout lay = valid_layout();
    const uint32_t bad[] = {13, 1000, 0xFFFFFFFFu};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        reject_patched32(lay.arr_u32_type, bad[i], EI_ERR_FORMAT, "t.arr_u32");
        reject_patched32(lay.nested_inner_type, bad[i], EI_ERR_FORMAT, "t.arr_nested");
    }
}

/* A key holding `levels` arrays nested in one another, the innermost
 * holding one uint8. */
static void build_nested(gb *b, int levels) {
    gb_init(b);
    gb_header(b, 3, 0, 1);
    gb_kv(b, "t.deep", GB_ARRAY);
    for (int i = 1; i < levels; i++) gb_arr(b, GB_ARRAY, 1);
    gb_arr(b, GB_UINT8, 1);
    gb_u8(b, 42);
}

static void test_nesting_depth(void **state) {
    (void)state;
    gb b;
    build_nested(&b, 8); /* the limit: accepted */
    ei_gguf *g = open_ok(&b);
    const ei_gguf_value *a;
    assert_int_equal(ei_gguf_get_arr(g, "t.deep", &a), EI_OK);
    for (int i = 1; i < 8; i++) assert_int_equal(ei_gguf_arr_arr(a, 0, &a), EI_OK);
    int64_t x;
    assert_int_equal(ei_gguf_arr_int(a, 0, &x), EI_OK);
    assert_int_equal(x, 42);
    ei_gguf_close(g);
    gb_free(&b);

    const int too_deep[] = {9, 10, 64, 100000};
    for (size_t i = 0; i < sizeof too_deep / sizeof too_deep[0]; i++) {
        build_nested(&b, too_deep[i]);
        expect_reject_gb(&b, EI_ERR_FORMAT, "t.deep");
    }
}

static void test_duplicate_keys(void **state) {
    (void)state;
    gb b;
    gb_init(&b);
    gb_header(&b, 3, 0, 3);
    gb_kv_str(&b, "general.name", "a");
    gb_kv_u32(&b, "general.x", 1);
    gb_kv_u32(&b, "general.name", 2);
    expect_reject_gb(&b, EI_ERR_FORMAT, "general.name");
}

static void test_empty_and_nul_keys(void **state) {
    (void)state;
    gb b;
    gb_init(&b);
    gb_header(&b, 3, 0, 1);
    gb_kv_u32(&b, "", 1);
    expect_reject_gb(&b, EI_ERR_FORMAT, NULL);
    /* a key with a NUL inside could only be looked up by its prefix */
    gb_init(&b);
    gb_header(&b, 3, 0, 1);
    gb_strn(&b, "t.k\0ey", 6), gb_u32(&b, GB_UINT8), gb_u8(&b, 1);
    expect_reject_gb(&b, EI_ERR_FORMAT, NULL);
    /* "a\0b" and "a\0c" would both read as "a" through the C-string API */
    gb_init(&b);
    gb_header(&b, 3, 0, 2);
    gb_strn(&b, "a\0b", 3), gb_u32(&b, GB_UINT8), gb_u8(&b, 1);
    gb_strn(&b, "a\0c", 3), gb_u32(&b, GB_UINT8), gb_u8(&b, 2);
    expect_reject_gb(&b, EI_ERR_FORMAT, NULL);
}

static void test_bool_out_of_range(void **state) {
    (void)state;
    /* a bool byte other than 0/1 is refused, or else reads as 0 or 1 */
    gb b;
    gb_init(&b);
    gb_header(&b, 3, 0, 1);
    gb_kv(&b, "t.b", GB_BOOL), gb_u8(&b, 2);
    ei_gguf *g = NULL;
    if (ei_gguf_open_memory(b.buf, b.len, &g) == EI_OK) {
        assert_true(ei_gguf_kv_value(g, 0)->v.u64 <= 1);
        ei_gguf_close(g);
    } else {
        assert_non_null(strstr(ei_last_error(), "t.b"));
    }
    gb_free(&b);
}

static void test_alignment_key(void **state) {
    (void)state;
    const gb_layout lay = valid_layout();
    /* same-size wrong types */
    reject_patched32(lay.align_type, GB_INT32, EI_ERR_FORMAT, "general.alignment");
    reject_patched32(lay.align_type, GB_FLOAT32, EI_ERR_FORMAT, "general.alignment");
    /* bad values */
    const uint32_t bad[] = {0, 3, 48, 33, 0xFFFFFFFFu, 0x80000001u};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        reject_patched32(lay.align_val, bad[i], EI_ERR_FORMAT, "general.alignment");

    /* other-size wrong types, in a vocabulary-only file */
    gb b;
    gb_init(&b);
    gb_header(&b, 3, 0, 1);
    gb_kv(&b, "general.alignment", GB_UINT64), gb_u64(&b, 32);
    expect_reject_gb(&b, EI_ERR_FORMAT, "general.alignment");
    gb_init(&b);
    gb_header(&b, 3, 0, 1);
    gb_kv(&b, "general.alignment", GB_UINT16), gb_u16(&b, 32);
    expect_reject_gb(&b, EI_ERR_FORMAT, "general.alignment");
    gb_init(&b);
    gb_header(&b, 3, 0, 1);
    gb_kv_str(&b, "general.alignment", "32");
    expect_reject_gb(&b, EI_ERR_FORMAT, "general.alignment");
    gb_init(&b);
    gb_header(&b, 3, 0, 1);
    gb_kv(&b, "general.alignment", GB_ARRAY), gb_arr(&b, GB_UINT32, 1), gb_u32(&b, 32);
    expect_reject_gb(&b, EI_ERR_FORMAT, "general.alignment");
}

/* ---- tensors ------------------------------------------------------------- */

static void test_tensor_n_dims(void **state) {
    (void)state;
    tspec t = {"bad.weight", 0, {4, 1, 1, 1, 1}, GB_F32, 0};
    reject_tensors(&t, 1, 64, "bad.weight");
    t.n_dims = 5;
    reject_tensors(&t, 1, 64, "bad.weight");
    /* huge counts with only five dims following: must not read 2^32 of them */
    const uint32_t huge[] = {0xFFFFFFFFu, 0x80000000u, 6};
    for (size_t i = 0; i < sizeof huge / sizeof huge[0]; i++) {
        gb b;
        gb_init(&b);
        gb_header(&b, 3, 1, 0);
        gb_str(&b, "bad.weight");
        gb_u32(&b, huge[i]);
        for (int d = 0; d < 5; d++) gb_i64(&b, 4);
        gb_u32(&b, GB_F32), gb_u64(&b, 0);
        gb_pad(&b, 32);
        gb_fill(&b, 64, 0);
        expect_reject_gb(&b, EI_ERR_FORMAT, "bad.weight");
    }
}

static void test_tensor_dims_zero_or_negative(void **state) {
    (void)state;
    const int64_t bad[] = {0, -1, INT64_MIN, -4};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        tspec t = {"bad.weight", 2, {bad[i], 4}, GB_F32, 0};
        reject_tensors(&t, 1, 64, "bad.weight");
        tspec u = {"bad.weight", 2, {4, bad[i]}, GB_F32, 0};
        reject_tensors(&u, 1, 64, "bad.weight");
        tspec w = {"bad.weight", 4, {4, 1, 1, bad[i]}, GB_F32, 0};
        reject_tensors(&w, 1, 64, "bad.weight");
    }
}

static void test_tensor_dims_overflow(void **state) {
    (void)state;
    const tspec bad[] = {
        /* element count past int64 */
        {"big.weight", 2, {1ll << 32, 1ll << 32}, GB_F32, 0},
        {"big.weight", 4, {1ll << 31, 1ll << 31, 1ll << 31, 1ll << 31}, GB_F32, 0},
        {"big.weight", 2, {INT64_MAX, 2}, GB_F32, 0},
        {"big.weight", 3, {1, 1ll << 62, 4}, GB_F32, 0},
        /* element count fits int64, byte count does not (4 * 2^62 = 2^64,
         * which wraps to 0, and 4 * (2^62 + 1) wraps to 4) */
        {"big.weight", 1, {1ll << 62}, GB_F32, 0},
        {"big.weight", 1, {(1ll << 62) + 1}, GB_F32, 0},
        {"big.weight", 2, {1ll << 61, 2}, GB_F32, 0},
        {"big.weight", 1, {INT64_MAX}, GB_F16, 0},
        {"big.weight", 1, {1ll << 61}, 28 /* F64 */, 0},
        /* fits everything, but not the file */
        {"big.weight", 2, {1ll << 40, 1ll << 20}, GB_Q4_0, 0},
        {"big.weight", 1, {1ll << 40}, GB_F32, 0},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(context, sizeof context, " shape %zu (ne[0] = %lld, type %u)", i, (long long)bad[i].ne[0],
                 bad[i].type);
        reject_tensors(&bad[i], 1, 64, "big.weight");
    }
    context[0] = '\0';
}

static void test_tensor_unknown_type(void **state) {
    (void)state;
    const uint32_t bad[] = {4, 5, 31, 32, 33, 36, 37, 38, 40, 41, 1000, 0x80000000u, 0xFFFFFFFFu};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        tspec t = {"odd.weight", 1, {256}, bad[i], 0};
        reject_tensors(&t, 1, 4096, "odd.weight");
    }
    const gb_layout lay = valid_layout();
    reject_patched32(lay.t1_type, 4, EI_ERR_FORMAT, GB_T1_NAME);
}

static void test_tensor_partial_block(void **state) {
    (void)state;
    tspec t = {"q.weight", 2, {33, 1}, GB_Q4_0, 0};
    reject_tensors(&t, 1, 128, "q.weight");
    tspec u = {"k.weight", 2, {128, 2}, GB_Q4_K, 0};
    reject_tensors(&u, 1, 1024, "k.weight");
    tspec w = {"iq.weight", 1, {255}, GB_IQ2_XXS, 0};
    reject_tensors(&w, 1, 1024, "iq.weight");
    const gb_layout lay = valid_layout();
    reject_patched64(lay.t1_ne, 16, EI_ERR_FORMAT, GB_T1_NAME);
}

static void test_tensor_offset_unaligned(void **state) {
    (void)state;
    tspec t = {"a.weight", 1, {4}, GB_F32, 17};
    reject_tensors(&t, 1, 64, "a.weight");
    const gb_layout lay = valid_layout();
    reject_patched64(lay.t1_offset, 65, EI_ERR_FORMAT, GB_T1_NAME);
    reject_patched64(lay.t1_offset, 80, EI_ERR_FORMAT, GB_T1_NAME);
    /* aligned to 32 but not to the file's 64 */
    gb b;
    gb_init(&b);
    gb_header(&b, 3, 1, 1);
    gb_kv_u32(&b, "general.alignment", 64);
    gb_tensor(&b, "a.weight", 1, (const int64_t[]){4}, GB_F32, 32);
    gb_pad(&b, 64);
    gb_fill(&b, 128, 0);
    expect_reject_gb(&b, EI_ERR_FORMAT, "a.weight");
}

static void test_tensor_offset_outside_data(void **state) {
    (void)state;
    const uint64_t bad[] = {1ull << 40, UINT64_MAX - 31, 1ull << 63, 64, 96, 128};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        tspec t = {"a.weight", 1, {4}, GB_F32, bad[i]};
        reject_tensors(&t, 1, 64, "a.weight");
    }
    const gb_layout lay = valid_layout();
    reject_patched64(lay.t1_offset, 1ull << 62, EI_ERR_FORMAT, GB_T1_NAME);
}

static void test_tensor_past_eof(void **state) {
    (void)state;
    /* 64 bytes of data claimed, 63 present */
    tspec t = {"a.weight", 1, {16}, GB_F32, 0};
    reject_tensors(&t, 1, 63, "a.weight");
    /* the data section would start past the end of the file */
    gb b;
    gb_init(&b);
    gb_header(&b, 3, 1, 0);
    gb_tensor(&b, "a.weight", 1, (const int64_t[]){4}, GB_F32, 0);
    expect_reject_gb(&b, EI_ERR_FORMAT, NULL);
    /* a larger shape on the reference image's last tensor */
    const gb_layout lay = valid_layout();
    reject_patched64(lay.t1_ne + 8, 3, EI_ERR_FORMAT, GB_T1_NAME);
}

static void test_tensor_overlap(void **state) {
    (void)state;
    /* a: 64 bytes at 0 */
    const tspec same[2] = {{"a.weight", 1, {16}, GB_F32, 0}, {"b.weight", 1, {8}, GB_F32, 0}};
    reject_tensors(same, 2, 128, "b.weight");
    const tspec inside[2] = {{"a.weight", 1, {16}, GB_F32, 0}, {"b.weight", 1, {4}, GB_F32, 32}};
    reject_tensors(inside, 2, 128, "a.weight");
    const tspec tail[2] = {{"a.weight", 1, {16}, GB_F32, 0}, {"b.weight", 1, {16}, GB_F32, 32}};
    reject_tensors(tail, 2, 128, "a.weight");
    /* listed out of file order */
    const tspec rev[2] = {{"b.weight", 1, {16}, GB_F32, 32}, {"a.weight", 1, {16}, GB_F32, 0}};
    reject_tensors(rev, 2, 128, "a.weight");
    /* the reference image with both tensors at 0 */
    const gb_layout lay = valid_layout();
    reject_patched64(lay.t1_offset, 0, EI_ERR_FORMAT, GB_T1_NAME);
    /* adjacent is fine */
    gb b;
    const tspec adj[2] = {{"b.weight", 1, {16}, GB_F32, 64}, {"a.weight", 1, {16}, GB_F32, 0}};
    build_tensors(&b, adj, 2, 128);
    ei_gguf *g = open_ok(&b);
    walk_handle(g, b.buf);
    ei_gguf_close(g);
    gb_free(&b);
}

static void test_tensor_names(void **state) {
    (void)state;
    const tspec dup[2] = {{"a.weight", 1, {8}, GB_F32, 0}, {"a.weight", 1, {8}, GB_F32, 32}};
    reject_tensors(dup, 2, 64, "a.weight");
    const tspec empty = {"", 1, {8}, GB_F32, 0};
    reject_tensors(&empty, 1, 64, NULL);
    gb b;
    gb_init(&b);
    gb_header(&b, 3, 1, 0);
    gb_strn(&b, "a\0b", 3), gb_u32(&b, 1), gb_i64(&b, 8), gb_u32(&b, GB_F32), gb_u64(&b, 0);
    gb_pad(&b, 32);
    gb_fill(&b, 32, 0);
    expect_reject_gb(&b, EI_ERR_FORMAT, NULL);
}

/* A tensor of a type no kernel reads (here I32, an integer type) is
 * refused by name; a read-only weight type (IQ2_XXS) passes the check. */
static void test_unsupported_type_named(void **state) {
    (void)state;
    gb b;
    const tspec t[2] = {{"tok.weight", 1, {8}, GB_F32, 0}, {"blk.0.attn_q.weight", 2, {256, 2}, GB_IQ2_XXS, 32}};
    build_tensors(&b, t, 2, 32 + 2 * 66); /* IQ2_XXS: 66 bytes per 256 */
    ei_gguf *g = open_ok(&b);
    const ei_tensor_info *ti = ei_gguf_tensor(g, 1);
    assert_int_equal(ti->type, EI_TYPE_IQ2_XXS);
    assert_int_equal(ti->size, 132);
    assert_int_equal(ei_gguf_check_types_supported(g), EI_OK);
    ei_gguf_close(g);
    gb_free(&b);

    const tspec u[2] = {{"tok.weight", 1, {8}, GB_F32, 0}, {"blk.0.attn_q.weight", 2, {8, 2}, GB_I32, 32}};
    build_tensors(&b, u, 2, 32 + 64);
    g = open_ok(&b);
    assert_int_equal(ei_gguf_check_types_supported(g), EI_ERR_UNSUPPORTED);
    const char *msg = ei_last_error();
    if (!strstr(msg, "blk.0.attn_q.weight") || !strstr(msg, "I32") || !strstr(msg, "not supported"))
        fail_msg("message \"%s\"", msg);
    ei_gguf_close(g);
    gb_free(&b);
}

static int reset_context(void **state) {
    (void)state;
    context[0] = '\0';
    return 0;
}

#define TEST(f) cmocka_unit_test_setup(f, reset_context)

int main(void) {
    const struct CMUnitTest tests[] = {
        TEST(test_valid_reads_back),
        TEST(test_minimal_and_vocab_only_valid),
        TEST(test_empty_file),
        TEST(test_bad_paths_and_arguments),
        TEST(test_truncated_every_offset_memory),
        TEST(test_truncated_every_offset_file),
        TEST(test_random_byte_flips_memory),
        TEST(test_random_byte_flips_file),
        TEST(test_bad_magic),
        TEST(test_versions),
        TEST(test_huge_counts),
        TEST(test_string_lengths),
        TEST(test_array_lengths),
        TEST(test_unknown_value_type),
        TEST(test_unknown_array_element_type),
        TEST(test_nesting_depth),
        TEST(test_duplicate_keys),
        TEST(test_empty_and_nul_keys),
        TEST(test_bool_out_of_range),
        TEST(test_alignment_key),
        TEST(test_tensor_n_dims),
        TEST(test_tensor_dims_zero_or_negative),
        TEST(test_tensor_dims_overflow),
        TEST(test_tensor_unknown_type),
        TEST(test_tensor_partial_block),
        TEST(test_tensor_offset_unaligned),
        TEST(test_tensor_offset_outside_data),
        TEST(test_tensor_past_eof),
        TEST(test_tensor_overlap),
        TEST(test_tensor_names),
        TEST(test_unsupported_type_named),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
