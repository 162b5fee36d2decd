/*
 * test_gguf.c — the GGUF reader and writer on well-formed files: a file
 * written with every value type reads back the same; real files (the shared
 * vocabulary files and the default models, where present) survive a
 * read -> write -> read round trip with the same keys, values and tensor
 * bytes. Malformed input is covered by test_gguf_malformed.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "edgeinfer.h"
#include "testutil.h"

/* Deep equality of two values; floats compared bit for bit. */
static int value_equal(const ei_gguf_value *a, const ei_gguf_value *b) {
    if (a->type != b->type) return 0;
    switch (a->type) {
    case EI_GGUF_STRING:
        return a->v.str.len == b->v.str.len && memcmp(a->v.str.ptr, b->v.str.ptr, a->v.str.len) == 0;
    case EI_GGUF_FLOAT32: case EI_GGUF_FLOAT64:
        return memcmp(&a->v.f64, &b->v.f64, sizeof(double)) == 0;
    case EI_GGUF_INT8: case EI_GGUF_INT16: case EI_GGUF_INT32: case EI_GGUF_INT64:
        return a->v.i64 == b->v.i64;
    case EI_GGUF_ARRAY:
        break;
    default:
        return a->v.u64 == b->v.u64;
    }
    if (a->v.arr.elem_type != b->v.arr.elem_type || a->v.arr.n != b->v.arr.n) return 0;
    for (uint64_t i = 0; i < a->v.arr.n; i++) {
        int et = a->v.arr.elem_type;
        if (et == EI_GGUF_STRING) {
            ei_gguf_str x, y;
            if (ei_gguf_arr_str(a, i, &x) || ei_gguf_arr_str(b, i, &y)) return 0;
            if (x.len != y.len || memcmp(x.ptr, y.ptr, x.len)) return 0;
        } else if (et == EI_GGUF_ARRAY) {
            const ei_gguf_value *x, *y;
            if (ei_gguf_arr_arr(a, i, &x) || ei_gguf_arr_arr(b, i, &y)) return 0;
            if (!value_equal(x, y)) return 0;
        } else if (et == EI_GGUF_FLOAT32 || et == EI_GGUF_FLOAT64) {
            double x, y;
            if (ei_gguf_arr_float(a, i, &x) || ei_gguf_arr_float(b, i, &y)) return 0;
            if (memcmp(&x, &y, sizeof x)) return 0;
        } else {
            int64_t x, y;
            ei_status sa = ei_gguf_arr_int(a, i, &x), sb = ei_gguf_arr_int(b, i, &y);
            if (sa != sb || (sa == EI_OK && x != y)) return 0;
        }
    }
    return 1;
}

/* Read `path`, write it back with the writer, read the copy, compare. */
static void roundtrip_file(const char *path) {
    ei_gguf *a, *b;
    ei_status s = ei_gguf_open(path, &a);
    if (s) fail_msg("%s: %s", path, ei_last_error());
    ei_gguf_writer *w;
    assert_int_equal(ei_gguf_writer_new(&w), EI_OK);
    for (int64_t i = 0; i < ei_gguf_n_kv(a); i++)
        assert_int_equal(ei_gguf_writer_set_value(w, ei_gguf_kv_key(a, i), ei_gguf_kv_value(a, i)), EI_OK);
    for (int64_t i = 0; i < ei_gguf_n_tensors(a); i++) {
        const ei_tensor_info *t = ei_gguf_tensor(a, i);
        assert_int_equal(ei_gguf_writer_add_tensor(w, t->name, t->type, t->n_dims, t->ne, t->data), EI_OK);
    }
    const char *out = tu_temp_path("roundtrip.gguf");
    s = ei_gguf_writer_write(w, out);
    if (s) fail_msg("write %s: %s", out, ei_last_error());
    ei_gguf_writer_free(w);

    s = ei_gguf_open(out, &b);
    if (s) fail_msg("reopen %s: %s", out, ei_last_error());
    assert_int_equal(ei_gguf_n_kv(a), ei_gguf_n_kv(b));
    assert_int_equal(ei_gguf_n_tensors(a), ei_gguf_n_tensors(b));
    for (int64_t i = 0; i < ei_gguf_n_kv(a); i++) {
        const char *key = ei_gguf_kv_key(a, i);
        int64_t j = ei_gguf_find_key(b, key);
        assert_true(j >= 0);
        if (!value_equal(ei_gguf_kv_value(a, i), ei_gguf_kv_value(b, j))) fail_msg("%s: key %s differs", path, key);
    }
    for (int64_t i = 0; i < ei_gguf_n_tensors(a); i++) {
        const ei_tensor_info *t = ei_gguf_tensor(a, i);
        int64_t j = ei_gguf_find_tensor(b, t->name);
        assert_true(j >= 0);
        const ei_tensor_info *u = ei_gguf_tensor(b, j);
        assert_int_equal(t->type, u->type);
        assert_int_equal(t->n_dims, u->n_dims);
        assert_memory_equal(t->ne, u->ne, sizeof t->ne);
        assert_int_equal(t->size, u->size);
        assert_true(memcmp(t->data, u->data, t->size) == 0);
    }
    ei_gguf_close(a);
    ei_gguf_close(b);
    unlink(out);
}

static void test_write_every_type(void **state) {
    (void)state;
    ei_gguf_writer *w;
    assert_int_equal(ei_gguf_writer_new(&w), EI_OK);
    assert_int_equal(ei_gguf_writer_set_str(w, "general.architecture", "llama"), EI_OK);
    assert_int_equal(ei_gguf_writer_set_u32(w, "u32", 4000000000u), EI_OK);
    assert_int_equal(ei_gguf_writer_set_i32(w, "i32", -7), EI_OK);
    assert_int_equal(ei_gguf_writer_set_u64(w, "u64", 1ull << 40), EI_OK);
    assert_int_equal(ei_gguf_writer_set_f32(w, "f32", 0.25f), EI_OK);
    assert_int_equal(ei_gguf_writer_set_bool(w, "flag", true), EI_OK);
    assert_int_equal(ei_gguf_writer_set_u32(w, "replaced", 1), EI_OK);
    assert_int_equal(ei_gguf_writer_set_u32(w, "replaced", 2), EI_OK);
    const ei_gguf_value small[] = {
        {.type = EI_GGUF_UINT8, .v.u64 = 250}, {.type = EI_GGUF_INT8, .v.i64 = -100},
        {.type = EI_GGUF_UINT16, .v.u64 = 65000}, {.type = EI_GGUF_INT16, .v.i64 = -30000},
        {.type = EI_GGUF_INT64, .v.i64 = INT64_MIN}, {.type = EI_GGUF_FLOAT64, .v.f64 = -1e300},
    };
    const char *small_keys[] = {"u8", "i8", "u16", "i16", "i64", "f64"};
    for (int i = 0; i < 6; i++) assert_int_equal(ei_gguf_writer_set_value(w, small_keys[i], &small[i]), EI_OK);
    const int32_t ints[] = {1, -2, 3};
    assert_int_equal(ei_gguf_writer_set_arr_data(w, "ints", EI_GGUF_INT32, ints, 3), EI_OK);
    const char *strs[] = {"a", "", "h\xc3\xa9llo"};
    assert_int_equal(ei_gguf_writer_set_arr_str(w, "strs", strs, 3), EI_OK);
    /* [[1, -2, 3], ["a", "", "héllo"]] */
    ei_gguf_value inner[2] = {
        {.type = EI_GGUF_ARRAY, .v.arr = {EI_GGUF_INT32, 3, ints}},
        {.type = EI_GGUF_ARRAY, .v.arr = {EI_GGUF_STRING, 3, NULL}},
    };
    ei_gguf_str sv[3] = {{"a", 1}, {"", 0}, {"h\xc3\xa9llo", 6}};
    inner[1].v.arr.data = sv;
    ei_gguf_value nested = {.type = EI_GGUF_ARRAY, .v.arr = {EI_GGUF_ARRAY, 2, inner}};
    assert_int_equal(ei_gguf_writer_set_value(w, "nested", &nested), EI_OK);

    float f32[4 * 3];
    for (int i = 0; i < 12; i++) f32[i] = (float)i - 5.5f;
    const int64_t ne2[2] = {4, 3};
    assert_int_equal(ei_gguf_writer_add_tensor(w, "a.weight", EI_TYPE_F32, 2, ne2, f32), EI_OK);
    unsigned char q4[2 * 18];
    for (int i = 0; i < 36; i++) q4[i] = (unsigned char)(i * 7);
    q4[0] = 0; q4[1] = 0x3c; q4[18] = 0; q4[19] = 0x3c; /* finite f16 scales */
    const int64_t ne1[1] = {64};
    assert_int_equal(ei_gguf_writer_add_tensor(w, "b.weight", EI_TYPE_Q4_0, 1, ne1, q4), EI_OK);
    /* refused: duplicate name, partial block, bad dims */
    assert_int_equal(ei_gguf_writer_add_tensor(w, "a.weight", EI_TYPE_F32, 2, ne2, f32), EI_ERR_ARG);
    const int64_t bad[1] = {33};
    assert_int_equal(ei_gguf_writer_add_tensor(w, "c", EI_TYPE_Q4_0, 1, bad, q4), EI_ERR_ARG);
    assert_int_equal(ei_gguf_writer_add_tensor(w, "d", EI_TYPE_F32, 5, ne2, f32), EI_ERR_ARG);

    const char *path = tu_temp_path("every.gguf");
    assert_int_equal(ei_gguf_writer_write(w, path), EI_OK);
    ei_gguf_writer_free(w);

    ei_gguf *g;
    if (ei_gguf_open(path, &g)) fail_msg("%s", ei_last_error());
    assert_int_equal(ei_gguf_version(g), 3);
    assert_int_equal(ei_gguf_n_kv(g), 16);
    const char *s;
    int64_t x;
    double d;
    bool b;
    assert_int_equal(ei_gguf_get_str(g, "general.architecture", &s), EI_OK);
    assert_string_equal(s, "llama");
    assert_int_equal(ei_gguf_get_int(g, "u32", &x), EI_OK);
    assert_int_equal(x, 4000000000ll);
    assert_int_equal(ei_gguf_get_int(g, "i32", &x), EI_OK);
    assert_int_equal(x, -7);
    assert_int_equal(ei_gguf_get_int(g, "replaced", &x), EI_OK);
    assert_int_equal(x, 2);
    assert_int_equal(ei_gguf_get_int(g, "i64", &x), EI_OK);
    assert_true(x == INT64_MIN);
    assert_int_equal(ei_gguf_get_int(g, "u8", &x), EI_OK);
    assert_int_equal(x, 250);
    assert_int_equal(ei_gguf_get_int(g, "i8", &x), EI_OK);
    assert_int_equal(x, -100);
    assert_int_equal(ei_gguf_get_float(g, "f32", &d), EI_OK);
    assert_true(d == 0.25);
    assert_int_equal(ei_gguf_get_float(g, "f64", &d), EI_OK);
    assert_true(d == -1e300);
    assert_int_equal(ei_gguf_get_bool(g, "flag", &b), EI_OK);
    assert_true(b);
    /* wrong types and missing keys name the key */
    assert_int_equal(ei_gguf_get_str(g, "u32", &s), EI_ERR_TYPE);
    assert_non_null(strstr(ei_last_error(), "u32"));
    assert_int_equal(ei_gguf_get_int(g, "f32", &x), EI_ERR_TYPE);
    assert_int_equal(ei_gguf_get_float(g, "u32", &d), EI_ERR_TYPE);
    assert_int_equal(ei_gguf_get_bool(g, "u8", &b), EI_ERR_TYPE);
    assert_int_equal(ei_gguf_get_int(g, "no.such.key", &x), EI_ERR_NOT_FOUND);
    assert_non_null(strstr(ei_last_error(), "no.such.key"));

    const ei_gguf_value *arr, *sub;
    ei_gguf_str es;
    assert_int_equal(ei_gguf_get_arr(g, "nested", &arr), EI_OK);
    assert_int_equal(arr->v.arr.n, 2);
    assert_int_equal(ei_gguf_arr_arr(arr, 0, &sub), EI_OK);
    assert_int_equal(ei_gguf_arr_int(sub, 1, &x), EI_OK);
    assert_int_equal(x, -2);
    assert_int_equal(ei_gguf_arr_arr(arr, 1, &sub), EI_OK);
    assert_int_equal(ei_gguf_arr_str(sub, 2, &es), EI_OK);
    assert_int_equal(es.len, 6);
    assert_string_equal(es.ptr, "h\xc3\xa9llo");
    assert_int_equal(ei_gguf_arr_str(sub, 3, &es), EI_ERR_ARG);  /* out of range */
    assert_int_equal(ei_gguf_arr_int(sub, 0, &x), EI_ERR_TYPE);   /* strings as ints */
    assert_int_equal(ei_gguf_get_arr(g, "strs", &arr), EI_OK);
    assert_int_equal(ei_gguf_arr_str(arr, 1, &es), EI_OK);
    assert_int_equal(es.len, 0);

    assert_int_equal(ei_gguf_n_tensors(g), 2);
    int64_t ti = ei_gguf_find_tensor(g, "a.weight");
    assert_true(ti >= 0);
    const ei_tensor_info *t = ei_gguf_tensor(g, ti);
    assert_int_equal(t->ne[0], 4);
    assert_int_equal(t->ne[1], 3);
    assert_int_equal(t->ne[2], 1);
    assert_int_equal(t->size, sizeof f32);
    assert_memory_equal(t->data, f32, sizeof f32);
    assert_int_equal((uintptr_t)t->data % 32, 0); /* mapping is page-aligned; data aligned within */
    t = ei_gguf_tensor(g, ei_gguf_find_tensor(g, "b.weight"));
    assert_int_equal(t->type, EI_TYPE_Q4_0);
    assert_int_equal(t->size, 36);
    assert_memory_equal(t->data, q4, 36);
    assert_int_equal(ei_gguf_find_tensor(g, "missing"), -1);
    assert_int_equal(ei_gguf_check_types_supported(g), EI_OK);
    ei_gguf_close(g);
    roundtrip_file(path);
    unlink(path);
}

static void test_custom_alignment(void **state) {
    (void)state;
    ei_gguf_writer *w;
    assert_int_equal(ei_gguf_writer_new(&w), EI_OK);
    assert_int_equal(ei_gguf_writer_set_u32(w, "general.alignment", 64), EI_OK);
    float x[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    const int64_t ne[1] = {8};
    assert_int_equal(ei_gguf_writer_add_tensor(w, "x", EI_TYPE_F32, 1, ne, x), EI_OK);
    assert_int_equal(ei_gguf_writer_add_tensor(w, "y", EI_TYPE_F32, 1, ne, x), EI_OK);
    const char *path = tu_temp_path("align.gguf");
    assert_int_equal(ei_gguf_writer_write(w, path), EI_OK);
    ei_gguf *g;
    assert_int_equal(ei_gguf_open(path, &g), EI_OK);
    assert_int_equal(ei_gguf_alignment(g), 64);
    assert_int_equal(ei_gguf_data_offset(g) % 64, 0);
    assert_int_equal(ei_gguf_tensor(g, 1)->offset, 64);
    ei_gguf_close(g);
    /* a bad alignment is refused at write time and leaves no file */
    unlink(path);
    assert_int_equal(ei_gguf_writer_set_u32(w, "general.alignment", 48), EI_OK);
    assert_int_equal(ei_gguf_writer_write(w, path), EI_ERR_ARG);
    assert_false(tu_exists(path));
    ei_gguf_writer_free(w);
}

static void test_write_to_bad_path(void **state) {
    (void)state;
    ei_gguf_writer *w;
    assert_int_equal(ei_gguf_writer_new(&w), EI_OK);
    assert_int_equal(ei_gguf_writer_write(w, "/nonexistent-dir/x.gguf"), EI_ERR_IO);
    assert_non_null(strstr(ei_last_error(), "/nonexistent-dir/x.gguf"));
    ei_gguf_writer_free(w);
}

static void test_roundtrip_shared_vocab(void **state) {
    (void)state;
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/testdata/vocab", EI_SHARED_DIR);
    DIR *d = opendir(dir);
    if (!d) skip();
    struct dirent *e;
    int n = 0;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < 5 || strcmp(e->d_name + len - 5, ".gguf") != 0) continue;
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        roundtrip_file(path);
        n++;
    }
    closedir(d);
    assert_true(n >= 10);
}

/* The default models, if models/fetch.sh has put them in the cache. */
static void test_roundtrip_default_models(void **state) {
    (void)state;
    const char *base = tu_models_dir();
    DIR *d = opendir(base);
    if (!d) skip();
    struct dirent *e;
    int n = 0;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < 5 || strcmp(e->d_name + len - 5, ".gguf") != 0) continue;
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", base, e->d_name);
        roundtrip_file(path);
        n++;
    }
    closedir(d);
    if (n == 0) skip();
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_write_every_type),
        cmocka_unit_test(test_custom_alignment),
        cmocka_unit_test(test_write_to_bad_path),
        cmocka_unit_test(test_roundtrip_shared_vocab),
        cmocka_unit_test(test_roundtrip_default_models),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
