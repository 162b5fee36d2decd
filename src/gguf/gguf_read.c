/*
 * gguf_read.c — map and validate a GGUF file (versions 2 and 3).
 *
 * A GGUF file is untrusted input. Everything is checked while parsing, before
 * a handle is returned: every read is bounds-checked against the buffer,
 * every count is compared with the bytes left before anything is allocated
 * for it (so allocations stay proportional to the file size), every size
 * computation is checked for overflow. After a successful open, accessors can
 * trust the parsed tables and tensor extents without further checks.
 *
 * Tensor data is never copied: ei_tensor_info.data points into the mapping.
 * Strings (keys, string values, tensor names) are copied once into an arena
 * with a NUL terminator, so callers get C strings.
 *
 * Layout (little-endian):
 *   "GGUF" u32 version, u64 n_tensors, u64 n_kv
 *   n_kv     x { string key, u32 type, value }
 *   n_tensors x { string name, u32 n_dims, u64 ne[n_dims], u32 type, u64 offset }
 *   padding to general.alignment, then the data section
 *   string = u64 length + bytes; array = u32 elem_type, u64 n, elements
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gguf/gguf_types.h"
#include "quant/quant.h"
#include "util/error.h"

/* ---- arena: owns every string and decoded array of a handle ------------- */

typedef struct arena_chunk {
    struct arena_chunk *next;
    size_t used, cap;
    _Alignas(16) unsigned char data[];
} arena_chunk;

static void *arena_alloc(arena_chunk **head, size_t n) {
    n = (n + 15) & ~(size_t)15;
    arena_chunk *c = *head;
    if (!c || c->cap - c->used < n) {
        size_t cap = n > (size_t)1 << 16 ? n : (size_t)1 << 16;
        c = malloc(sizeof *c + cap);
        if (!c) return NULL;
        c->next = *head;
        c->used = 0;
        c->cap = cap;
        *head = c;
    }
    void *p = c->data + c->used;
    c->used += n;
    return p;
}

static void arena_free(arena_chunk *c) {
    while (c) {
        arena_chunk *next = c->next;
        free(c);
        c = next;
    }
}

typedef struct named named;

/* ---- the handle ---------------------------------------------------------- */

struct ei_gguf {
    const uint8_t *base; /* whole file */
    size_t size;
    int mapped;          /* base came from mmap and is ours to unmap */
    uint32_t version;
    uint32_t alignment;
    uint64_t data_offset;

    int64_t n_kv;
    const char **keys;      /* (n_kv) */
    ei_gguf_value *values;  /* (n_kv) */
    named *kv_sorted;       /* (n_kv) keys sorted, for lookup */

    int64_t n_tensors;
    ei_tensor_info *tensors; /* (n_tensors) */
    named *t_sorted;         /* (n_tensors) names sorted, for lookup */

    arena_chunk *arena;
};

/* ---- bounds-checked cursor ---------------------------------------------- */

typedef struct cursor {
    const uint8_t *p;
    size_t size, pos;
    ei_gguf *g;
} cursor;

static size_t left(const cursor *c) { return c->size - c->pos; }

static ei_status need(const cursor *c, size_t n, const char *what) {
    if (n > left(c))
        return ei_error(EI_ERR_FORMAT, "truncated file: %s needs %zu bytes at offset %zu, %zu left",
                        what, n, c->pos, left(c));
    return EI_OK;
}

static ei_status read_bytes(cursor *c, void *dst, size_t n, const char *what) {
    ei_status s = need(c, n, what);
    if (s) return s;
    memcpy(dst, c->p + c->pos, n);
    c->pos += n;
    return EI_OK;
}

static ei_status read_u32(cursor *c, uint32_t *v, const char *what) { return read_bytes(c, v, 4, what); }
static ei_status read_u64(cursor *c, uint64_t *v, const char *what) { return read_bytes(c, v, 8, what); }

/* A GGUF string, copied NUL-terminated into the arena. */
static ei_status read_str(cursor *c, ei_gguf_str *out, const char *what) {
    uint64_t len;
    ei_status s = read_u64(c, &len, what);
    if (s) return s;
    if (len > left(c))
        return ei_error(EI_ERR_FORMAT, "%s: string length %llu exceeds the %zu bytes left in the file",
                        what, (unsigned long long)len, left(c));
    char *dst = arena_alloc(&c->g->arena, (size_t)len + 1);
    if (!dst) return ei_error(EI_ERR_NOMEM, "%s: out of memory for a string of %llu bytes", what,
                              (unsigned long long)len);
    memcpy(dst, c->p + c->pos, (size_t)len);
    dst[len] = '\0';
    c->pos += (size_t)len;
    out->ptr = dst;
    out->len = len;
    return EI_OK;
}

/* ---- metadata values ---------------------------------------------------- */

static ei_status read_value(cursor *c, ei_gguf_value *v, uint32_t type, int depth, const char *key);

/* Widen a scalar of `type` at p into v. */
static ei_status decode_scalar(const uint8_t *p, uint32_t type, ei_gguf_value *v, const char *key) {
    v->type = (ei_gguf_type)type;
    switch (type) {
    case EI_GGUF_UINT8: v->v.u64 = p[0]; break;
    case EI_GGUF_INT8: { int8_t x; memcpy(&x, p, 1); v->v.i64 = x; break; }
    case EI_GGUF_UINT16: { uint16_t x; memcpy(&x, p, 2); v->v.u64 = x; break; }
    case EI_GGUF_INT16: { int16_t x; memcpy(&x, p, 2); v->v.i64 = x; break; }
    case EI_GGUF_UINT32: { uint32_t x; memcpy(&x, p, 4); v->v.u64 = x; break; }
    case EI_GGUF_INT32: { int32_t x; memcpy(&x, p, 4); v->v.i64 = x; break; }
    case EI_GGUF_UINT64: { uint64_t x; memcpy(&x, p, 8); v->v.u64 = x; break; }
    case EI_GGUF_INT64: { int64_t x; memcpy(&x, p, 8); v->v.i64 = x; break; }
    case EI_GGUF_FLOAT32: { float x; memcpy(&x, p, 4); v->v.f64 = x; break; }
    case EI_GGUF_FLOAT64: { double x; memcpy(&x, p, 8); v->v.f64 = x; break; }
    case EI_GGUF_BOOL:
        if (p[0] > 1) return ei_error(EI_ERR_FORMAT, "key \"%s\": bool value %u is neither 0 nor 1", key, p[0]);
        v->v.u64 = p[0];
        break;
    default:
        return ei_error(EI_ERR_FORMAT, "key \"%s\": unknown value type %u", key, type);
    }
    return EI_OK;
}

static ei_status read_array(cursor *c, ei_gguf_value *v, int depth, const char *key) {
    uint32_t et;
    uint64_t n;
    ei_status s = read_u32(c, &et, "array element type");
    if (!s) s = read_u64(c, &n, "array length");
    if (s) return ei_error_prefix(s, "key \"%s\"", key);
    v->type = EI_GGUF_ARRAY;
    v->v.arr.elem_type = (ei_gguf_type)et;
    v->v.arr.n = n;

    size_t esize = ei_gguf_scalar_size((int)et);
    if (esize) {
        /* Scalars stay in the file; bools are checked once here so accessors
         * can trust them. */
        if (n > left(c) / esize)
            return ei_error(EI_ERR_FORMAT, "key \"%s\": array of %llu %s exceeds the %zu bytes left in the file",
                            key, (unsigned long long)n, ei_gguf_type_name((int)et), left(c));
        if (et == EI_GGUF_BOOL)
            for (uint64_t i = 0; i < n; i++)
                if (c->p[c->pos + i] > 1)
                    return ei_error(EI_ERR_FORMAT, "key \"%s\": bool element %llu is neither 0 nor 1", key,
                                    (unsigned long long)i);
        v->v.arr.data = c->p + c->pos;
        c->pos += (size_t)(n * esize);
        return EI_OK;
    }
    if (et == EI_GGUF_STRING) {
        /* each string takes at least its 8-byte length */
        if (n > left(c) / 8)
            return ei_error(EI_ERR_FORMAT, "key \"%s\": array of %llu strings exceeds the %zu bytes left in the file",
                            key, (unsigned long long)n, left(c));
        ei_gguf_str *strs = arena_alloc(&c->g->arena, (size_t)n * sizeof *strs + 1);
        if (!strs) return ei_error(EI_ERR_NOMEM, "key \"%s\": out of memory", key);
        for (uint64_t i = 0; i < n; i++) {
            s = read_str(c, &strs[i], "array string");
            if (s) return ei_error_prefix(s, "key \"%s\" element %llu", key, (unsigned long long)i);
        }
        v->v.arr.data = strs;
        return EI_OK;
    }
    if (et == EI_GGUF_ARRAY) {
        if (depth + 1 >= EI_GGUF_MAX_DEPTH)
            return ei_error(EI_ERR_FORMAT, "key \"%s\": arrays nested deeper than %d levels", key,
                            EI_GGUF_MAX_DEPTH);
        /* each nested array takes at least its 4-byte type and 8-byte length */
        if (n > left(c) / 12)
            return ei_error(EI_ERR_FORMAT, "key \"%s\": array of %llu arrays exceeds the %zu bytes left in the file",
                            key, (unsigned long long)n, left(c));
        ei_gguf_value *items = arena_alloc(&c->g->arena, (size_t)n * sizeof *items + 1);
        if (!items) return ei_error(EI_ERR_NOMEM, "key \"%s\": out of memory", key);
        for (uint64_t i = 0; i < n; i++) {
            s = read_value(c, &items[i], EI_GGUF_ARRAY, depth + 1, key);
            if (s) return s;
        }
        v->v.arr.data = items;
        return EI_OK;
    }
    return ei_error(EI_ERR_FORMAT, "key \"%s\": unknown array element type %u", key, et);
}

static ei_status read_value(cursor *c, ei_gguf_value *v, uint32_t type, int depth, const char *key) {
    if (type == EI_GGUF_STRING) {
        v->type = EI_GGUF_STRING;
        ei_status s = read_str(c, &v->v.str, "string value");
        return s ? ei_error_prefix(s, "key \"%s\"", key) : EI_OK;
    }
    if (type == EI_GGUF_ARRAY) return read_array(c, v, depth, key);
    size_t n = ei_gguf_scalar_size((int)type);
    if (!n) return ei_error(EI_ERR_FORMAT, "key \"%s\": unknown value type %u", key, type);
    ei_status s = need(c, n, "value");
    if (s) return ei_error_prefix(s, "key \"%s\"", key);
    s = decode_scalar(c->p + c->pos, type, v, key);
    c->pos += n;
    return s;
}

/* ---- sorting for duplicate detection and lookup ------------------------- */

/* A name with its index, sorted by name: found by binary search, and
 * duplicates end up side by side. No globals, so opens may run in parallel. */
struct named {
    const char *name;
    int64_t index;
};

static int cmp_named(const void *a, const void *b) {
    return strcmp(((const named *)a)->name, ((const named *)b)->name);
}

/* Sort v[0..n) by name; return the index of a duplicated name or -1. */
static int64_t sort_and_find_dup(named *v, int64_t n) {
    qsort(v, (size_t)n, sizeof *v, cmp_named);
    for (int64_t i = 1; i < n; i++)
        if (strcmp(v[i - 1].name, v[i].name) == 0) return v[i].index;
    return -1;
}

static int64_t find_sorted(const named *v, int64_t n, const char *name) {
    int64_t lo = 0, hi = n;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        int r = strcmp(v[mid].name, name);
        if (r == 0) return v[mid].index;
        if (r < 0) lo = mid + 1;
        else hi = mid;
    }
    return -1;
}

/* ---- header, metadata, tensor table ------------------------------------- */

static ei_status parse_header(cursor *c, uint64_t *n_tensors, uint64_t *n_kv) {
    ei_gguf *g = c->g;
    if (c->size == 0) return ei_error(EI_ERR_FORMAT, "empty file");
    char magic[4];
    ei_status s = read_bytes(c, magic, 4, "magic");
    if (s) return s;
    if (memcmp(magic, EI_GGUF_MAGIC, 4) != 0)
        return ei_error(EI_ERR_FORMAT, "bad magic: not a GGUF file (first bytes %02x %02x %02x %02x)",
                        (uint8_t)magic[0], (uint8_t)magic[1], (uint8_t)magic[2], (uint8_t)magic[3]);
    if ((s = read_u32(c, &g->version, "version"))) return s;
    if (g->version == 1)
        return ei_error(EI_ERR_UNSUPPORTED, "GGUF version 1 is not supported (versions 2 and 3 are)");
    if ((g->version & 0xFFFF) == 0 && (g->version >> 24) >= 1 && (g->version >> 24) <= 3)
        return ei_error(EI_ERR_UNSUPPORTED, "big-endian GGUF (version %u byte-swapped) is not supported",
                        g->version >> 24);
    if (g->version != 2 && g->version != 3)
        return ei_error(EI_ERR_UNSUPPORTED, "GGUF version %u is not supported (versions 2 and 3 are)", g->version);
    if ((s = read_u64(c, n_tensors, "tensor count"))) return s;
    if ((s = read_u64(c, n_kv, "key-value count"))) return s;
    /* Smallest possible entries: a key-value is an 8-byte length, a 1-byte
     * key, a 4-byte type and a 1-byte value; a tensor info is an 8-byte
     * length, a 1-byte name, a 4-byte n_dims, one 8-byte dim, a 4-byte type
     * and an 8-byte offset. Larger counts cannot fit in the file. */
    if (*n_kv > left(c) / 14)
        return ei_error(EI_ERR_FORMAT, "key-value count %llu cannot fit in the %zu bytes left in the file",
                        (unsigned long long)*n_kv, left(c));
    if (*n_tensors > left(c) / 33)
        return ei_error(EI_ERR_FORMAT, "tensor count %llu cannot fit in the %zu bytes left in the file",
                        (unsigned long long)*n_tensors, left(c));
    return EI_OK;
}

static ei_status parse_metadata(cursor *c, uint64_t n_kv) {
    ei_gguf *g = c->g;
    g->keys = calloc((size_t)n_kv + 1, sizeof *g->keys);
    g->values = calloc((size_t)n_kv + 1, sizeof *g->values);
    g->kv_sorted = calloc((size_t)n_kv + 1, sizeof *g->kv_sorted);
    if (!g->keys || !g->values || !g->kv_sorted) return ei_error(EI_ERR_NOMEM, "out of memory for %llu keys",
                                                                  (unsigned long long)n_kv);
    for (uint64_t i = 0; i < n_kv; i++) {
        ei_gguf_str key;
        ei_status s = read_str(c, &key, "key");
        if (s) return ei_error_prefix(s, "key-value %llu", (unsigned long long)i);
        if (key.len == 0) return ei_error(EI_ERR_FORMAT, "key-value %llu: empty key", (unsigned long long)i);
        if (strlen(key.ptr) != key.len)
            return ei_error(EI_ERR_FORMAT, "key-value %llu: key contains a NUL byte", (unsigned long long)i);
        g->keys[i] = key.ptr;
        g->kv_sorted[i] = (named){key.ptr, (int64_t)i};
        uint32_t type;
        if ((s = read_u32(c, &type, "value type"))) return ei_error_prefix(s, "key \"%s\"", key.ptr);
        if ((s = read_value(c, &g->values[i], type, 0, key.ptr))) return s;
        g->n_kv = (int64_t)i + 1;
    }
    int64_t dup = sort_and_find_dup(g->kv_sorted, g->n_kv);
    if (dup >= 0) return ei_error(EI_ERR_FORMAT, "key \"%s\": duplicate key", g->keys[dup]);

    g->alignment = EI_GGUF_DEFAULT_ALIGNMENT;
    int64_t ai = find_sorted(g->kv_sorted, g->n_kv, "general.alignment");
    if (ai >= 0) {
        const ei_gguf_value *v = &g->values[ai];
        if (v->type != EI_GGUF_UINT32)
            return ei_error(EI_ERR_FORMAT, "key \"general.alignment\": type %s, expected uint32",
                            ei_gguf_type_name(v->type));
        if (v->v.u64 == 0 || (v->v.u64 & (v->v.u64 - 1)) != 0)
            return ei_error(EI_ERR_FORMAT, "key \"general.alignment\": %llu is not a power of two",
                            (unsigned long long)v->v.u64);
        g->alignment = (uint32_t)v->v.u64;
    }
    return EI_OK;
}

static ei_status parse_tensor_info(cursor *c, uint64_t i, ei_tensor_info *t) {
    ei_gguf_str name;
    ei_status s = read_str(c, &name, "tensor name");
    if (s) return ei_error_prefix(s, "tensor %llu", (unsigned long long)i);
    if (name.len == 0) return ei_error(EI_ERR_FORMAT, "tensor %llu: empty name", (unsigned long long)i);
    if (name.len > EI_GGUF_MAX_NAME)
        return ei_error(EI_ERR_FORMAT, "tensor %llu: name of %llu bytes is longer than %d", (unsigned long long)i,
                        (unsigned long long)name.len, EI_GGUF_MAX_NAME);
    if (strlen(name.ptr) != name.len)
        return ei_error(EI_ERR_FORMAT, "tensor %llu: name contains a NUL byte", (unsigned long long)i);
    t->name = name.ptr;

    if ((s = read_u32(c, &t->n_dims, "n_dims"))) return ei_error_prefix(s, "tensor \"%s\"", t->name);
    if (t->n_dims < 1 || t->n_dims > EI_MAX_DIMS)
        return ei_error(EI_ERR_FORMAT, "tensor \"%s\": %u dimensions (1 to %d allowed)", t->name, t->n_dims,
                        EI_MAX_DIMS);
    for (int d = 0; d < EI_MAX_DIMS; d++) t->ne[d] = 1;
    for (uint32_t d = 0; d < t->n_dims; d++) {
        uint64_t ne;
        if ((s = read_u64(c, &ne, "dimension"))) return ei_error_prefix(s, "tensor \"%s\"", t->name);
        if (ne == 0 || ne > (uint64_t)INT64_MAX)
            return ei_error(EI_ERR_FORMAT, "tensor \"%s\": dimension %u is %lld", t->name, d, (long long)ne);
        t->ne[d] = (int64_t)ne;
    }
    uint32_t type;
    if ((s = read_u32(c, &type, "tensor type"))) return ei_error_prefix(s, "tensor \"%s\"", t->name);
    if (!ei_type_known((int)type))
        return ei_error(EI_ERR_FORMAT, "tensor \"%s\": unknown type id %u", t->name, type);
    t->type = (ei_type)type;
    if ((s = read_u64(c, &t->offset, "tensor offset"))) return ei_error_prefix(s, "tensor \"%s\"", t->name);

    /* elements and bytes, with overflow checks */
    size_t bs = ei_type_block_size((int)type);
    if (t->ne[0] % (int64_t)bs != 0)
        return ei_error(EI_ERR_FORMAT, "tensor \"%s\": row of %lld elements is not a whole number of %s blocks of %zu",
                        t->name, (long long)t->ne[0], ei_type_name((int)type), bs);
    uint64_t rows = 1;
    for (int d = 1; d < EI_MAX_DIMS; d++) {
        if ((uint64_t)t->ne[d] > UINT64_MAX / rows) goto overflow;
        rows *= (uint64_t)t->ne[d];
    }
    if (rows > (uint64_t)INT64_MAX / (uint64_t)t->ne[0]) goto overflow; /* element count fits int64 */
    uint64_t blocks = (uint64_t)(t->ne[0] / (int64_t)bs), bb = ei_type_block_bytes((int)type);
    if (blocks > UINT64_MAX / bb) goto overflow;
    uint64_t row_bytes = blocks * bb;
    if (rows > UINT64_MAX / row_bytes) goto overflow;
    t->size = row_bytes * rows;
    return EI_OK;
overflow:
    return ei_error(EI_ERR_FORMAT, "tensor \"%s\": shape [%lld, %lld, %lld, %lld] overflows", t->name,
                    (long long)t->ne[0], (long long)t->ne[1], (long long)t->ne[2], (long long)t->ne[3]);
}

static int cmp_by_offset(const void *a, const void *b) {
    uint64_t x = (*(const ei_tensor_info *const *)a)->offset, y = (*(const ei_tensor_info *const *)b)->offset;
    return x < y ? -1 : x > y;
}

static ei_status parse_tensors(cursor *c, uint64_t n) {
    ei_gguf *g = c->g;
    g->tensors = calloc((size_t)n + 1, sizeof *g->tensors);
    g->t_sorted = calloc((size_t)n + 1, sizeof *g->t_sorted);
    if (!g->tensors || !g->t_sorted)
        return ei_error(EI_ERR_NOMEM, "out of memory for %llu tensors", (unsigned long long)n);
    for (uint64_t i = 0; i < n; i++) {
        ei_status s = parse_tensor_info(c, i, &g->tensors[i]);
        if (s) return s;
        g->t_sorted[i] = (named){g->tensors[i].name, (int64_t)i};
        g->n_tensors = (int64_t)i + 1;
    }
    int64_t dup = sort_and_find_dup(g->t_sorted, g->n_tensors);
    if (dup >= 0) return ei_error(EI_ERR_FORMAT, "tensor \"%s\": duplicate tensor name", g->tensors[dup].name);

    /* The data section starts at the next multiple of the alignment. */
    uint64_t pos = c->pos, a = g->alignment;
    if (pos > UINT64_MAX - (a - 1)) return ei_error(EI_ERR_FORMAT, "data section offset overflows");
    g->data_offset = (pos + a - 1) / a * a;
    if (n == 0) return EI_OK; /* vocabulary-only file: no data section needed */
    if (g->data_offset > c->size)
        return ei_error(EI_ERR_FORMAT, "data section would start at %llu, past the end of the %zu-byte file",
                        (unsigned long long)g->data_offset, c->size);
    uint64_t data_size = c->size - g->data_offset;

    for (int64_t i = 0; i < g->n_tensors; i++) {
        ei_tensor_info *t = &g->tensors[i];
        if (t->offset % a != 0)
            return ei_error(EI_ERR_FORMAT, "tensor \"%s\": offset %llu not aligned to %llu", t->name,
                            (unsigned long long)t->offset, (unsigned long long)a);
        if (t->offset > data_size || t->size > data_size - t->offset)
            return ei_error(EI_ERR_FORMAT,
                            "tensor \"%s\": data [%llu, +%llu) runs past the end of the data section (%llu bytes)",
                            t->name, (unsigned long long)t->offset, (unsigned long long)t->size,
                            (unsigned long long)data_size);
        t->data = c->p + g->data_offset + t->offset;
    }

    /* No two tensors may share bytes. */
    const ei_tensor_info **order = malloc((size_t)g->n_tensors * sizeof *order);
    if (!order) return ei_error(EI_ERR_NOMEM, "out of memory");
    for (int64_t i = 0; i < g->n_tensors; i++) order[i] = &g->tensors[i];
    qsort(order, (size_t)g->n_tensors, sizeof *order, cmp_by_offset);
    ei_status s = EI_OK;
    for (int64_t i = 1; i < g->n_tensors; i++) {
        const ei_tensor_info *p = order[i - 1], *q = order[i];
        if (p->offset + p->size > q->offset) {
            s = ei_error(EI_ERR_FORMAT, "tensor \"%s\": data overlaps tensor \"%s\"", q->name, p->name);
            break;
        }
    }
    free(order);
    return s;
}

static ei_status parse(ei_gguf *g) {
    cursor c = {g->base, g->size, 0, g};
    uint64_t n_tensors = 0, n_kv = 0;
    ei_status s = parse_header(&c, &n_tensors, &n_kv);
    if (!s) s = parse_metadata(&c, n_kv);
    if (!s) s = parse_tensors(&c, n_tensors);
    return s;
}

/* ---- open / close ------------------------------------------------------- */

ei_status ei_gguf_open_memory(const void *buf, size_t size, ei_gguf **out) {
    if (!out) return ei_error(EI_ERR_ARG, "ei_gguf_open_memory: NULL out");
    *out = NULL;
    if (!buf && size) return ei_error(EI_ERR_ARG, "ei_gguf_open_memory: NULL buffer");
    ei_gguf *g = calloc(1, sizeof *g);
    if (!g) return ei_error(EI_ERR_NOMEM, "out of memory");
    g->base = buf;
    g->size = size;
    ei_status s = parse(g);
    if (s) {
        ei_gguf_close(g);
        return s;
    }
    *out = g;
    return EI_OK;
}

ei_status ei_gguf_open(const char *path, ei_gguf **out) {
    if (!out || !path) return ei_error(EI_ERR_ARG, "ei_gguf_open: NULL argument");
    *out = NULL;
    /* O_NONBLOCK: a FIFO must not block open() before the regular-file check */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) return ei_error(EI_ERR_IO, "%s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return ei_error(EI_ERR_IO, "%s: %s", path, strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return ei_error(EI_ERR_IO, "%s: not a regular file", path);
    }
    if (st.st_size == 0) {
        close(fd);
        return ei_error(EI_ERR_FORMAT, "%s: empty file", path);
    }
    void *base = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    int e = errno;
    close(fd); /* the mapping keeps the file */
    if (base == MAP_FAILED) return ei_error(EI_ERR_IO, "%s: mmap: %s", path, strerror(e));

    ei_gguf *g = calloc(1, sizeof *g);
    if (!g) {
        munmap(base, (size_t)st.st_size);
        return ei_error(EI_ERR_NOMEM, "out of memory");
    }
    g->base = base;
    g->size = (size_t)st.st_size;
    g->mapped = 1;
    ei_status s = parse(g);
    if (s) {
        ei_gguf_close(g);
        return ei_error_prefix(s, "%s", path);
    }
    *out = g;
    return EI_OK;
}

void ei_gguf_close(ei_gguf *g) {
    if (!g) return;
    if (g->mapped) munmap((void *)g->base, g->size);
    free(g->keys);
    free(g->values);
    free(g->kv_sorted);
    free(g->tensors);
    free(g->t_sorted);
    arena_free(g->arena);
    free(g);
}

/* ---- accessors ---------------------------------------------------------- */

uint32_t ei_gguf_version(const ei_gguf *g) { return g->version; }
uint32_t ei_gguf_alignment(const ei_gguf *g) { return g->alignment; }
uint64_t ei_gguf_data_offset(const ei_gguf *g) { return g->data_offset; }
uint64_t ei_gguf_file_size(const ei_gguf *g) { return g->size; }
int64_t ei_gguf_n_kv(const ei_gguf *g) { return g->n_kv; }
int64_t ei_gguf_n_tensors(const ei_gguf *g) { return g->n_tensors; }

const char *ei_gguf_kv_key(const ei_gguf *g, int64_t i) {
    return i >= 0 && i < g->n_kv ? g->keys[i] : NULL;
}

const ei_gguf_value *ei_gguf_kv_value(const ei_gguf *g, int64_t i) {
    return i >= 0 && i < g->n_kv ? &g->values[i] : NULL;
}

int64_t ei_gguf_find_key(const ei_gguf *g, const char *key) {
    return key ? find_sorted(g->kv_sorted, g->n_kv, key) : -1;
}

const ei_tensor_info *ei_gguf_tensor(const ei_gguf *g, int64_t i) {
    return i >= 0 && i < g->n_tensors ? &g->tensors[i] : NULL;
}

int64_t ei_gguf_find_tensor(const ei_gguf *g, const char *name) {
    return name ? find_sorted(g->t_sorted, g->n_tensors, name) : -1;
}

static ei_status lookup(const ei_gguf *g, const char *key, const ei_gguf_value **v) {
    int64_t i = ei_gguf_find_key(g, key);
    if (i < 0) return ei_error(EI_ERR_NOT_FOUND, "key \"%s\" not found", key ? key : "(null)");
    *v = &g->values[i];
    return EI_OK;
}

static ei_status wrong_type(const char *key, const ei_gguf_value *v, const char *expected) {
    return ei_error(EI_ERR_TYPE, "key \"%s\": type %s, expected %s", key, ei_gguf_type_name(v->type), expected);
}

ei_status ei_gguf_get_str(const ei_gguf *g, const char *key, const char **out) {
    const ei_gguf_value *v = NULL;
    ei_status s = lookup(g, key, &v);
    if (s) return s;
    if (v->type != EI_GGUF_STRING) return wrong_type(key, v, "string");
    *out = v->v.str.ptr;
    return EI_OK;
}

/* Widen any integer value to int64, refusing uint64 values above INT64_MAX. */
static ei_status value_to_int(const ei_gguf_value *v, int64_t *out) {
    switch (v->type) {
    case EI_GGUF_INT8: case EI_GGUF_INT16: case EI_GGUF_INT32: case EI_GGUF_INT64:
        *out = v->v.i64;
        return EI_OK;
    case EI_GGUF_UINT8: case EI_GGUF_UINT16: case EI_GGUF_UINT32: case EI_GGUF_UINT64:
        if (v->v.u64 > (uint64_t)INT64_MAX) return ei_error(EI_ERR_TYPE, "value %llu does not fit int64",
                                                             (unsigned long long)v->v.u64);
        *out = (int64_t)v->v.u64;
        return EI_OK;
    default:
        return EI_ERR_TYPE;
    }
}

ei_status ei_gguf_get_int(const ei_gguf *g, const char *key, int64_t *out) {
    const ei_gguf_value *v = NULL;
    ei_status s = lookup(g, key, &v);
    if (s) return s;
    if (!ei_gguf_type_is_int(v->type)) return wrong_type(key, v, "an integer");
    s = value_to_int(v, out);
    return s ? ei_error_prefix(s, "key \"%s\"", key) : EI_OK;
}

ei_status ei_gguf_get_float(const ei_gguf *g, const char *key, double *out) {
    const ei_gguf_value *v = NULL;
    ei_status s = lookup(g, key, &v);
    if (s) return s;
    if (v->type != EI_GGUF_FLOAT32 && v->type != EI_GGUF_FLOAT64) return wrong_type(key, v, "a float");
    *out = v->v.f64;
    return EI_OK;
}

ei_status ei_gguf_get_bool(const ei_gguf *g, const char *key, bool *out) {
    const ei_gguf_value *v = NULL;
    ei_status s = lookup(g, key, &v);
    if (s) return s;
    if (v->type != EI_GGUF_BOOL) return wrong_type(key, v, "bool");
    *out = v->v.u64 != 0;
    return EI_OK;
}

ei_status ei_gguf_get_arr(const ei_gguf *g, const char *key, const ei_gguf_value **out) {
    const ei_gguf_value *v = NULL;
    ei_status s = lookup(g, key, &v);
    if (s) return s;
    if (v->type != EI_GGUF_ARRAY) return wrong_type(key, v, "array");
    *out = v;
    return EI_OK;
}

/* ---- array elements ----------------------------------------------------- */

static ei_status check_elem(const ei_gguf_value *a, uint64_t i) {
    if (!a || a->type != EI_GGUF_ARRAY) return ei_error(EI_ERR_TYPE, "value is not an array");
    if (i >= a->v.arr.n)
        return ei_error(EI_ERR_ARG, "index %llu out of range for an array of %llu", (unsigned long long)i,
                        (unsigned long long)a->v.arr.n);
    return EI_OK;
}

ei_status ei_gguf_arr_int(const ei_gguf_value *a, uint64_t i, int64_t *out) {
    ei_status s = check_elem(a, i);
    if (s) return s;
    int et = a->v.arr.elem_type;
    if (!ei_gguf_type_is_int(et) && et != EI_GGUF_BOOL)
        return ei_error(EI_ERR_TYPE, "array of %s read as integers", ei_gguf_type_name(et));
    size_t es = ei_gguf_scalar_size(et);
    ei_gguf_value v = {0};
    if (et == EI_GGUF_BOOL) {
        *out = ((const uint8_t *)a->v.arr.data)[i];
        return EI_OK;
    }
    decode_scalar((const uint8_t *)a->v.arr.data + i * es, (uint32_t)et, &v, "");
    return value_to_int(&v, out);
}

ei_status ei_gguf_arr_float(const ei_gguf_value *a, uint64_t i, double *out) {
    ei_status s = check_elem(a, i);
    if (s) return s;
    int et = a->v.arr.elem_type;
    if (et != EI_GGUF_FLOAT32 && et != EI_GGUF_FLOAT64)
        return ei_error(EI_ERR_TYPE, "array of %s read as floats", ei_gguf_type_name(et));
    ei_gguf_value v = {0};
    decode_scalar((const uint8_t *)a->v.arr.data + i * ei_gguf_scalar_size(et), (uint32_t)et, &v, "");
    *out = v.v.f64;
    return EI_OK;
}

ei_status ei_gguf_arr_str(const ei_gguf_value *a, uint64_t i, ei_gguf_str *out) {
    ei_status s = check_elem(a, i);
    if (s) return s;
    if (a->v.arr.elem_type != EI_GGUF_STRING)
        return ei_error(EI_ERR_TYPE, "array of %s read as strings", ei_gguf_type_name(a->v.arr.elem_type));
    *out = ((const ei_gguf_str *)a->v.arr.data)[i];
    return EI_OK;
}

ei_status ei_gguf_arr_arr(const ei_gguf_value *a, uint64_t i, const ei_gguf_value **out) {
    ei_status s = check_elem(a, i);
    if (s) return s;
    if (a->v.arr.elem_type != EI_GGUF_ARRAY)
        return ei_error(EI_ERR_TYPE, "array of %s read as arrays", ei_gguf_type_name(a->v.arr.elem_type));
    *out = &((const ei_gguf_value *)a->v.arr.data)[i];
    return EI_OK;
}

ei_status ei_gguf_check_types_supported(const ei_gguf *g) {
    for (int64_t i = 0; i < g->n_tensors; i++) {
        const ei_tensor_info *t = &g->tensors[i];
        if (!ei_type_supported(t->type))
            return ei_error(EI_ERR_UNSUPPORTED, "tensor %s: type %s not supported", t->name,
                            ei_type_name(t->type));
    }
    return EI_OK;
}
