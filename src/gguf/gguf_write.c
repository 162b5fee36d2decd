/*
 * gguf_write.c — build a GGUF file (version 3) from keys and tensors.
 *
 * Values are deep-copied into the writer, in the same ei_gguf_value form the
 * reader exposes, so a file read can be written back key by key. Tensor data
 * is referenced, not copied. The file is written under a temporary name in
 * the same directory and renamed into place, so a failure never leaves a
 * truncated file at the destination.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gguf/gguf_types.h"
#include "util/error.h"

typedef struct wkv {
    char *key;
    ei_gguf_value value; /* owns its strings and arrays */
} wkv;

typedef struct wtensor {
    char *name;
    ei_type type;
    uint32_t n_dims;
    int64_t ne[EI_MAX_DIMS];
    uint64_t size;
    const void *data;
} wtensor;

struct ei_gguf_writer {
    wkv *kv;
    int64_t n_kv, cap_kv;
    wtensor *tensors;
    int64_t n_tensors, cap_tensors;
};

ei_status ei_gguf_writer_new(ei_gguf_writer **out) {
    if (!out) return ei_error(EI_ERR_ARG, "ei_gguf_writer_new: NULL out");
    *out = calloc(1, sizeof **out);
    return *out ? EI_OK : ei_error(EI_ERR_NOMEM, "out of memory");
}

/* ---- deep copy and free of values --------------------------------------- */

static void value_free(ei_gguf_value *v) {
    if (v->type == EI_GGUF_STRING) {
        free((void *)v->v.str.ptr);
    } else if (v->type == EI_GGUF_ARRAY) {
        if (v->v.arr.elem_type == EI_GGUF_STRING) {
            ei_gguf_str *s = (ei_gguf_str *)v->v.arr.data;
            for (uint64_t i = 0; i < v->v.arr.n; i++) free((void *)s[i].ptr);
        } else if (v->v.arr.elem_type == EI_GGUF_ARRAY) {
            ei_gguf_value *a = (ei_gguf_value *)v->v.arr.data;
            for (uint64_t i = 0; i < v->v.arr.n; i++) value_free(&a[i]);
        }
        free((void *)v->v.arr.data);
    }
    v->type = EI_GGUF_UINT8;
}

static char *copy_bytes(const char *p, uint64_t n) {
    if (n >= SIZE_MAX) return NULL;
    char *d = malloc((size_t)n + 1);
    if (!d) return NULL;
    if (n) memcpy(d, p, (size_t)n);
    d[n] = '\0';
    return d;
}

static ei_status value_copy(ei_gguf_value *dst, const ei_gguf_value *src, int depth) {
    *dst = *src;
    if (src->type == EI_GGUF_STRING) {
        dst->v.str.ptr = copy_bytes(src->v.str.ptr, src->v.str.len);
        return dst->v.str.ptr ? EI_OK : ei_error(EI_ERR_NOMEM, "out of memory");
    }
    if (src->type != EI_GGUF_ARRAY) {
        return ei_gguf_scalar_size(src->type) ? EI_OK
                                              : ei_error(EI_ERR_ARG, "unknown value type %d", (int)src->type);
    }
    if (depth >= EI_GGUF_MAX_DEPTH) return ei_error(EI_ERR_ARG, "arrays nested deeper than %d", EI_GGUF_MAX_DEPTH);
    uint64_t n = src->v.arr.n;
    int et = src->v.arr.elem_type;
    size_t es = ei_gguf_scalar_size(et);
    if (!es && et != EI_GGUF_STRING && et != EI_GGUF_ARRAY)
        return ei_error(EI_ERR_ARG, "unknown array element type %d", et);
    size_t item = es ? es : et == EI_GGUF_STRING ? sizeof(ei_gguf_str) : sizeof(ei_gguf_value);
    if (n > SIZE_MAX / item - 1) return ei_error(EI_ERR_NOMEM, "array of %llu too large", (unsigned long long)n);
    void *data = calloc((size_t)n + 1, item);
    if (!data) return ei_error(EI_ERR_NOMEM, "out of memory");
    dst->v.arr.data = data;
    dst->v.arr.n = 0; /* grows as elements are copied, so value_free is always safe */
    if (es) {
        if (n) memcpy(data, src->v.arr.data, (size_t)n * es);
        dst->v.arr.n = n;
        return EI_OK;
    }
    for (uint64_t i = 0; i < n; i++) {
        if (et == EI_GGUF_STRING) {
            const ei_gguf_str *s = &((const ei_gguf_str *)src->v.arr.data)[i];
            ei_gguf_str *d = &((ei_gguf_str *)data)[i];
            d->ptr = copy_bytes(s->ptr, s->len);
            d->len = s->len;
            if (!d->ptr) return ei_error(EI_ERR_NOMEM, "out of memory");
        } else {
            ei_status st = value_copy(&((ei_gguf_value *)data)[i], &((const ei_gguf_value *)src->v.arr.data)[i],
                                      depth + 1);
            if (st) {
                dst->v.arr.n = i; /* the failed element cleaned itself */
                return st;
            }
        }
        dst->v.arr.n = i + 1;
    }
    return EI_OK;
}

void ei_gguf_writer_free(ei_gguf_writer *w) {
    if (!w) return;
    for (int64_t i = 0; i < w->n_kv; i++) {
        free(w->kv[i].key);
        value_free(&w->kv[i].value);
    }
    for (int64_t i = 0; i < w->n_tensors; i++) free(w->tensors[i].name);
    free(w->kv);
    free(w->tensors);
    free(w);
}

/* ---- setting keys ------------------------------------------------------- */

ei_status ei_gguf_writer_set_value(ei_gguf_writer *w, const char *key, const ei_gguf_value *v) {
    if (!w || !key || !v) return ei_error(EI_ERR_ARG, "ei_gguf_writer_set_value: NULL argument");
    if (!*key) return ei_error(EI_ERR_ARG, "empty key");
    ei_gguf_value copy;
    ei_status s = value_copy(&copy, v, 0);
    if (s) {
        value_free(&copy);
        return ei_error_prefix(s, "key \"%s\"", key);
    }
    for (int64_t i = 0; i < w->n_kv; i++) {
        if (strcmp(w->kv[i].key, key) == 0) {
            value_free(&w->kv[i].value);
            w->kv[i].value = copy;
            return EI_OK;
        }
    }
    if (w->n_kv == w->cap_kv) {
        int64_t cap = w->cap_kv ? w->cap_kv * 2 : 16;
        wkv *kv = realloc(w->kv, (size_t)cap * sizeof *kv);
        if (!kv) {
            value_free(&copy);
            return ei_error(EI_ERR_NOMEM, "out of memory");
        }
        w->kv = kv;
        w->cap_kv = cap;
    }
    char *k = copy_bytes(key, strlen(key));
    if (!k) {
        value_free(&copy);
        return ei_error(EI_ERR_NOMEM, "out of memory");
    }
    w->kv[w->n_kv++] = (wkv){k, copy};
    return EI_OK;
}

ei_status ei_gguf_writer_set_str(ei_gguf_writer *w, const char *key, const char *str) {
    if (!str) return ei_error(EI_ERR_ARG, "key \"%s\": NULL string", key ? key : "");
    ei_gguf_value v = {.type = EI_GGUF_STRING, .v.str = {str, strlen(str)}};
    return ei_gguf_writer_set_value(w, key, &v);
}

ei_status ei_gguf_writer_set_u32(ei_gguf_writer *w, const char *key, uint32_t x) {
    ei_gguf_value v = {.type = EI_GGUF_UINT32, .v.u64 = x};
    return ei_gguf_writer_set_value(w, key, &v);
}

ei_status ei_gguf_writer_set_i32(ei_gguf_writer *w, const char *key, int32_t x) {
    ei_gguf_value v = {.type = EI_GGUF_INT32, .v.i64 = x};
    return ei_gguf_writer_set_value(w, key, &v);
}

ei_status ei_gguf_writer_set_u64(ei_gguf_writer *w, const char *key, uint64_t x) {
    ei_gguf_value v = {.type = EI_GGUF_UINT64, .v.u64 = x};
    return ei_gguf_writer_set_value(w, key, &v);
}

ei_status ei_gguf_writer_set_f32(ei_gguf_writer *w, const char *key, float x) {
    ei_gguf_value v = {.type = EI_GGUF_FLOAT32, .v.f64 = x};
    return ei_gguf_writer_set_value(w, key, &v);
}

ei_status ei_gguf_writer_set_bool(ei_gguf_writer *w, const char *key, bool x) {
    ei_gguf_value v = {.type = EI_GGUF_BOOL, .v.u64 = x ? 1 : 0};
    return ei_gguf_writer_set_value(w, key, &v);
}

ei_status ei_gguf_writer_set_arr_data(ei_gguf_writer *w, const char *key, ei_gguf_type elem_type,
                                      const void *data, uint64_t n) {
    if (!ei_gguf_scalar_size(elem_type))
        return ei_error(EI_ERR_ARG, "key \"%s\": set_arr_data takes scalar element types, not %s", key ? key : "",
                        ei_gguf_type_name(elem_type));
    if (n && !data) return ei_error(EI_ERR_ARG, "key \"%s\": NULL data", key ? key : "");
    ei_gguf_value v = {.type = EI_GGUF_ARRAY, .v.arr = {elem_type, n, data}};
    return ei_gguf_writer_set_value(w, key, &v);
}

ei_status ei_gguf_writer_set_arr_str(ei_gguf_writer *w, const char *key, const char *const *strs, uint64_t n) {
    if (n && !strs) return ei_error(EI_ERR_ARG, "key \"%s\": NULL strings", key ? key : "");
    if (n > SIZE_MAX / sizeof(ei_gguf_str) - 1) return ei_error(EI_ERR_NOMEM, "array too large");
    ei_gguf_str *view = malloc(((size_t)n + 1) * sizeof *view);
    if (!view) return ei_error(EI_ERR_NOMEM, "out of memory");
    for (uint64_t i = 0; i < n; i++) {
        if (!strs[i]) {
            free(view);
            return ei_error(EI_ERR_ARG, "key \"%s\": NULL string at %llu", key ? key : "", (unsigned long long)i);
        }
        view[i] = (ei_gguf_str){strs[i], strlen(strs[i])};
    }
    ei_gguf_value v = {.type = EI_GGUF_ARRAY, .v.arr = {EI_GGUF_STRING, n, view}};
    ei_status s = ei_gguf_writer_set_value(w, key, &v);
    free(view);
    return s;
}

/* ---- tensors ------------------------------------------------------------ */

ei_status ei_gguf_writer_add_tensor(ei_gguf_writer *w, const char *name, ei_type type, uint32_t n_dims,
                                    const int64_t *ne, const void *data) {
    if (!w || !name || !ne || !data) return ei_error(EI_ERR_ARG, "ei_gguf_writer_add_tensor: NULL argument");
    size_t len = strlen(name);
    if (len == 0 || len > EI_GGUF_MAX_NAME)
        return ei_error(EI_ERR_ARG, "tensor \"%s\": name must be 1 to %d bytes", name, EI_GGUF_MAX_NAME);
    if (!ei_type_known(type)) return ei_error(EI_ERR_ARG, "tensor \"%s\": unknown type %d", name, (int)type);
    if (n_dims < 1 || n_dims > EI_MAX_DIMS)
        return ei_error(EI_ERR_ARG, "tensor \"%s\": %u dimensions (1 to %d allowed)", name, n_dims, EI_MAX_DIMS);
    for (int64_t i = 0; i < w->n_tensors; i++)
        if (strcmp(w->tensors[i].name, name) == 0)
            return ei_error(EI_ERR_ARG, "tensor \"%s\": duplicate tensor name", name);
    wtensor t = {.type = type, .n_dims = n_dims, .data = data};
    uint64_t rows = 1;
    for (int d = 0; d < EI_MAX_DIMS; d++) {
        t.ne[d] = d < (int)n_dims ? ne[d] : 1;
        if (t.ne[d] < 1) return ei_error(EI_ERR_ARG, "tensor \"%s\": dimension %d is %lld", name, d, (long long)t.ne[d]);
        if (d > 0) {
            if ((uint64_t)t.ne[d] > UINT64_MAX / rows) return ei_error(EI_ERR_ARG, "tensor \"%s\": shape overflows", name);
            rows *= (uint64_t)t.ne[d];
        }
    }
    uint64_t row_bytes = ei_type_row_bytes(type, t.ne[0]);
    if (!row_bytes)
        return ei_error(EI_ERR_ARG, "tensor \"%s\": row of %lld is not a whole number of %s blocks", name,
                        (long long)t.ne[0], ei_type_name(type));
    if (rows > UINT64_MAX / row_bytes) return ei_error(EI_ERR_ARG, "tensor \"%s\": shape overflows", name);
    t.size = row_bytes * rows;
    if (w->n_tensors == w->cap_tensors) {
        int64_t cap = w->cap_tensors ? w->cap_tensors * 2 : 16;
        wtensor *ts = realloc(w->tensors, (size_t)cap * sizeof *ts);
        if (!ts) return ei_error(EI_ERR_NOMEM, "out of memory");
        w->tensors = ts;
        w->cap_tensors = cap;
    }
    t.name = copy_bytes(name, len);
    if (!t.name) return ei_error(EI_ERR_NOMEM, "out of memory");
    w->tensors[w->n_tensors++] = t;
    return EI_OK;
}

/* ---- serialization ------------------------------------------------------ */

/* The host must be little-endian, as the file is: every supported target is. */
static int put(FILE *f, const void *p, size_t n) { return fwrite(p, 1, n, f) == n ? 0 : -1; }
static int put_u32(FILE *f, uint32_t x) { return put(f, &x, 4); }
static int put_u64(FILE *f, uint64_t x) { return put(f, &x, 8); }
static int put_str(FILE *f, const char *p, uint64_t n) { return put_u64(f, n) || put(f, p, (size_t)n); }

static int put_zeros(FILE *f, uint64_t n) {
    static const unsigned char zeros[64];
    while (n) {
        size_t k = n < sizeof zeros ? (size_t)n : sizeof zeros;
        if (put(f, zeros, k)) return -1;
        n -= k;
    }
    return 0;
}

static int put_scalar(FILE *f, int type, const ei_gguf_value *v) {
    uint8_t b[8];
    switch (type) {
    case EI_GGUF_UINT8: case EI_GGUF_BOOL: b[0] = (uint8_t)v->v.u64; return put(f, b, 1);
    case EI_GGUF_INT8: { int8_t x = (int8_t)v->v.i64; return put(f, &x, 1); }
    case EI_GGUF_UINT16: { uint16_t x = (uint16_t)v->v.u64; return put(f, &x, 2); }
    case EI_GGUF_INT16: { int16_t x = (int16_t)v->v.i64; return put(f, &x, 2); }
    case EI_GGUF_UINT32: { uint32_t x = (uint32_t)v->v.u64; return put(f, &x, 4); }
    case EI_GGUF_INT32: { int32_t x = (int32_t)v->v.i64; return put(f, &x, 4); }
    case EI_GGUF_UINT64: return put(f, &v->v.u64, 8);
    case EI_GGUF_INT64: return put(f, &v->v.i64, 8);
    case EI_GGUF_FLOAT32: { float x = (float)v->v.f64; return put(f, &x, 4); }
    case EI_GGUF_FLOAT64: return put(f, &v->v.f64, 8);
    }
    return -1;
}

/* The value without its leading type (the caller writes that). */
static int put_value(FILE *f, const ei_gguf_value *v) {
    if (v->type == EI_GGUF_STRING) return put_str(f, v->v.str.ptr, v->v.str.len);
    if (v->type != EI_GGUF_ARRAY) return put_scalar(f, v->type, v);
    int et = v->v.arr.elem_type;
    if (put_u32(f, (uint32_t)et) || put_u64(f, v->v.arr.n)) return -1;
    size_t es = ei_gguf_scalar_size(et);
    if (es) return put(f, v->v.arr.data, (size_t)v->v.arr.n * es);
    for (uint64_t i = 0; i < v->v.arr.n; i++) {
        if (et == EI_GGUF_STRING) {
            const ei_gguf_str *s = &((const ei_gguf_str *)v->v.arr.data)[i];
            if (put_str(f, s->ptr, s->len)) return -1;
        } else if (put_value(f, &((const ei_gguf_value *)v->v.arr.data)[i])) {
            return -1;
        }
    }
    return 0;
}

static ei_status writer_alignment(const ei_gguf_writer *w, uint64_t *align) {
    *align = EI_GGUF_DEFAULT_ALIGNMENT;
    for (int64_t i = 0; i < w->n_kv; i++) {
        if (strcmp(w->kv[i].key, "general.alignment") != 0) continue;
        const ei_gguf_value *v = &w->kv[i].value;
        if (v->type != EI_GGUF_UINT32 || v->v.u64 == 0 || (v->v.u64 & (v->v.u64 - 1)))
            return ei_error(EI_ERR_ARG, "key \"general.alignment\" must be a uint32 power of two");
        *align = v->v.u64;
    }
    return EI_OK;
}

static int write_all(const ei_gguf_writer *w, FILE *f, uint64_t align) {
    if (put(f, EI_GGUF_MAGIC, 4) || put_u32(f, 3) || put_u64(f, (uint64_t)w->n_tensors) ||
        put_u64(f, (uint64_t)w->n_kv))
        return -1;
    for (int64_t i = 0; i < w->n_kv; i++) {
        const wkv *kv = &w->kv[i];
        if (put_str(f, kv->key, strlen(kv->key)) || put_u32(f, (uint32_t)kv->value.type) ||
            put_value(f, &kv->value))
            return -1;
    }
    uint64_t offset = 0;
    for (int64_t i = 0; i < w->n_tensors; i++) {
        const wtensor *t = &w->tensors[i];
        if (put_str(f, t->name, strlen(t->name)) || put_u32(f, t->n_dims)) return -1;
        for (uint32_t d = 0; d < t->n_dims; d++)
            if (put_u64(f, (uint64_t)t->ne[d])) return -1;
        if (put_u32(f, (uint32_t)t->type) || put_u64(f, offset)) return -1;
        offset += (t->size + align - 1) / align * align;
    }
    if (w->n_tensors == 0) return 0;
    long pos = ftell(f);
    if (pos < 0) return -1;
    if (put_zeros(f, ((uint64_t)pos + align - 1) / align * align - (uint64_t)pos)) return -1;
    for (int64_t i = 0; i < w->n_tensors; i++) {
        const wtensor *t = &w->tensors[i];
        uint64_t padded = (t->size + align - 1) / align * align;
        if (put(f, t->data, (size_t)t->size) || put_zeros(f, padded - t->size)) return -1;
    }
    return 0;
}

ei_status ei_gguf_writer_write(ei_gguf_writer *w, const char *path) {
    if (!w || !path) return ei_error(EI_ERR_ARG, "ei_gguf_writer_write: NULL argument");
    uint64_t align;
    ei_status s = writer_alignment(w, &align);
    if (s) return s;
    size_t plen = strlen(path);
    char *tmp = malloc(plen + 16);
    if (!tmp) return ei_error(EI_ERR_NOMEM, "out of memory");
    snprintf(tmp, plen + 16, "%s.tmp.XXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        s = ei_error(EI_ERR_IO, "%s: %s", tmp, strerror(errno));
        free(tmp);
        return s;
    }
    fchmod(fd, 0644); /* mkstemp makes 0600; a model file is meant to be shared */
    FILE *f = fdopen(fd, "wb");
    if (!f) {
        s = ei_error(EI_ERR_IO, "%s: %s", tmp, strerror(errno));
        close(fd);
        unlink(tmp);
        free(tmp);
        return s;
    }
    int bad = write_all(w, f, align);
    int e = errno;
    if (fflush(f) != 0 && !bad) { bad = 1; e = errno; }
    if (fclose(f) != 0 && !bad) { bad = 1; e = errno; }
    if (!bad && rename(tmp, path) != 0) { bad = 1; e = errno; }
    if (bad) {
        s = ei_error(EI_ERR_IO, "%s: write failed: %s", path, strerror(e));
        unlink(tmp);
    }
    free(tmp);
    return s;
}
