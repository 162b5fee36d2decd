/*
 * fuzz_gguf.c — libFuzzer target for the GGUF reader.
 *
 * Opens the input with ei_gguf_open_memory and, when it opens, walks
 * everything a caller could touch: every key, every value (recursively
 * through arrays with the ei_gguf_arr_* accessors), every tensor (its first
 * and last data byte), then ei_gguf_check_types_supported. Besides the
 * sanitizers' checks, the reader's promises are asserted: a handle that
 * opened describes the buffer consistently (see CHECK below). A violated
 * promise traps, which libFuzzer reports as a crash.
 *
 * Build and run: tests/fuzz/run.sh (see docs/gguf.md, "Fuzzing").
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "edgeinfer.h"

#define CHECK(cond) \
    do { \
        if (!(cond)) __builtin_trap(); \
    } while (0)

static volatile unsigned char sink;

static void touch(const void *p, uint64_t n) {
    if (n == 0) return;
    sink = ((const unsigned char *)p)[0];
    sink = ((const unsigned char *)p)[n - 1];
}

static void walk_value(const ei_gguf_value *v, int depth) {
    CHECK(depth <= 8);
    int64_t iv;
    double fv;
    ei_gguf_str sv;
    const ei_gguf_value *av;
    switch (v->type) {
    case EI_GGUF_STRING:
        touch(v->v.str.ptr, v->v.str.len + 1);
        CHECK(v->v.str.ptr[v->v.str.len] == '\0');
        return;
    case EI_GGUF_BOOL:
        CHECK(v->v.u64 <= 1);
        return;
    case EI_GGUF_ARRAY:
        break;
    default:
        CHECK(v->type < EI_GGUF_TYPE_COUNT);
        return;
    }
    const uint64_t n = v->v.arr.n;
    const int et = v->v.arr.elem_type;
    for (uint64_t i = 0; i < n; i++) {
        ei_status s;
        switch (et) {
        case EI_GGUF_STRING:
            CHECK(ei_gguf_arr_str(v, i, &sv) == EI_OK);
            touch(sv.ptr, sv.len + 1);
            CHECK(sv.ptr[sv.len] == '\0');
            break;
        case EI_GGUF_ARRAY:
            CHECK(ei_gguf_arr_arr(v, i, &av) == EI_OK);
            CHECK(av->type == EI_GGUF_ARRAY);
            walk_value(av, depth + 1);
            break;
        case EI_GGUF_FLOAT32:
        case EI_GGUF_FLOAT64:
            CHECK(ei_gguf_arr_float(v, i, &fv) == EI_OK);
            CHECK(ei_gguf_arr_int(v, i, &iv) == EI_ERR_TYPE);
            break;
        default:
            s = ei_gguf_arr_int(v, i, &iv); /* a uint64 above INT64_MAX does not fit */
            CHECK(s == EI_OK || (s == EI_ERR_TYPE && et == EI_GGUF_UINT64));
            if (et == EI_GGUF_BOOL) CHECK(iv == 0 || iv == 1);
            CHECK(ei_gguf_arr_str(v, i, &sv) == EI_ERR_TYPE);
            break;
        }
    }
    CHECK(ei_gguf_arr_int(v, n, &iv) != EI_OK);
}

static void walk(const ei_gguf *g, const uint8_t *data, size_t size) {
    const uint32_t align = ei_gguf_alignment(g);
    CHECK(align != 0 && (align & (align - 1)) == 0);
    CHECK(ei_gguf_file_size(g) == size);
    const char *str;
    int64_t iv;
    double fv;
    bool bv;
    const ei_gguf_value *av;
    for (int64_t i = 0; i < ei_gguf_n_kv(g); i++) {
        const char *key = ei_gguf_kv_key(g, i);
        const ei_gguf_value *v = ei_gguf_kv_value(g, i);
        CHECK(key && key[0] && v);
        CHECK(ei_gguf_find_key(g, key) == i); /* keys are unique C strings */
        walk_value(v, 1);
        /* each typed accessor either fits or says why */
        CHECK(ei_gguf_get_str(g, key, &str) == (v->type == EI_GGUF_STRING ? EI_OK : EI_ERR_TYPE));
        CHECK(ei_gguf_get_bool(g, key, &bv) == (v->type == EI_GGUF_BOOL ? EI_OK : EI_ERR_TYPE));
        CHECK(ei_gguf_get_arr(g, key, &av) == (v->type == EI_GGUF_ARRAY ? EI_OK : EI_ERR_TYPE));
        ei_status s = ei_gguf_get_float(g, key, &fv);
        CHECK(s == EI_OK || s == EI_ERR_TYPE);
        s = ei_gguf_get_int(g, key, &iv);
        CHECK(s == EI_OK || s == EI_ERR_TYPE);
    }
    const uint64_t data_off = ei_gguf_data_offset(g);
    for (int64_t i = 0; i < ei_gguf_n_tensors(g); i++) {
        const ei_tensor_info *t = ei_gguf_tensor(g, i);
        CHECK(t && t->name && t->name[0]);
        CHECK(ei_gguf_find_tensor(g, t->name) == i);
        CHECK(t->n_dims >= 1 && t->n_dims <= EI_MAX_DIMS);
        /* bytes of the shape, computed here with overflow checks rather
         * than trusted from ei_type_row_bytes */
        const uint64_t bs = ei_type_block_size(t->type);
        CHECK(bs > 0 && t->ne[0] % (int64_t)bs == 0);
        uint64_t bytes;
        CHECK(!__builtin_mul_overflow((uint64_t)t->ne[0] / bs, (uint64_t)ei_type_block_bytes(t->type), &bytes));
        CHECK(bytes > 0);
        for (int d = 0; d < EI_MAX_DIMS; d++) {
            CHECK(t->ne[d] >= 1);
            if ((uint32_t)d >= t->n_dims) CHECK(t->ne[d] == 1);
            if (d > 0) CHECK(!__builtin_mul_overflow(bytes, (uint64_t)t->ne[d], &bytes));
        }
        CHECK(t->size == bytes); /* the size is the shape's, not a wrapped product */
        CHECK(t->offset % align == 0);
        CHECK(data_off <= size && t->offset <= size - data_off && t->size <= size - data_off - t->offset);
        CHECK((const uint8_t *)t->data == data + data_off + t->offset);
        touch(t->data, t->size);
    }
    ei_status s = ei_gguf_check_types_supported(g);
    CHECK(s == EI_OK || s == EI_ERR_UNSUPPORTED);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ei_gguf *g = NULL;
    ei_status s = ei_gguf_open_memory(data, size, &g);
    if (s != EI_OK) {
        CHECK(g == NULL);
        CHECK(ei_last_error()[0] != '\0');
        CHECK(s == EI_ERR_FORMAT || s == EI_ERR_UNSUPPORTED || s == EI_ERR_NOMEM);
        return 0;
    }
    CHECK(g != NULL);
    walk(g, data, size);
    ei_gguf_close(g);
    return 0;
}
