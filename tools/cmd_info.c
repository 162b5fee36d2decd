/*
 * cmd_info.c — `edgeinfer info FILE [--json]`: a GGUF file's metadata and
 * tensor table. Text for people (long strings and arrays summarised), or
 * JSON for programs. A file the reader rejects gives its message on stderr
 * and exit status 1.
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "edgeinfer.h"

/* Arrays longer than this, and strings longer than TEXT_MAX_STR bytes, are
 * summarised: a tokenizer's 150k tokens help nobody on a terminal. */
#define MAX_ITEMS 8
#define TEXT_MAX_STR 64
#define JSON_MAX_ITEMS 64

static void print_escaped(const char *s, uint64_t len, uint64_t max) {
    putchar('"');
    for (uint64_t i = 0; i < len && i < max; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') printf("\\%c", c);
        else if (c == '\n') fputs("\\n", stdout);
        else if (c == '\t') fputs("\\t", stdout);
        else if (c == '\r') fputs("\\r", stdout);
        else if (c < 0x20 || c == 0x7f) printf("\\x%02x", c);
        else putchar(c);
    }
    putchar('"');
    if (len > max) printf("... (%llu bytes)", (unsigned long long)len);
}

static void print_scalar(const ei_gguf_value *v) {
    switch (v->type) {
    case EI_GGUF_INT8: case EI_GGUF_INT16: case EI_GGUF_INT32: case EI_GGUF_INT64:
        printf("%lld", (long long)v->v.i64);
        break;
    case EI_GGUF_BOOL: fputs(v->v.u64 ? "true" : "false", stdout); break;
    case EI_GGUF_FLOAT32: case EI_GGUF_FLOAT64: printf("%g", v->v.f64); break;
    case EI_GGUF_STRING: print_escaped(v->v.str.ptr, v->v.str.len, TEXT_MAX_STR); break;
    default: printf("%llu", (unsigned long long)v->v.u64); break;
    }
}

static void print_value(const ei_gguf_value *v) {
    if (v->type != EI_GGUF_ARRAY) {
        print_scalar(v);
        return;
    }
    uint64_t n = v->v.arr.n;
    int et = v->v.arr.elem_type;
    putchar('[');
    for (uint64_t i = 0; i < n && i < MAX_ITEMS; i++) {
        if (i) fputs(", ", stdout);
        if (et == EI_GGUF_STRING) {
            ei_gguf_str s;
            ei_gguf_arr_str(v, i, &s);
            print_escaped(s.ptr, s.len, TEXT_MAX_STR);
        } else if (et == EI_GGUF_ARRAY) {
            const ei_gguf_value *sub;
            ei_gguf_arr_arr(v, i, &sub);
            print_value(sub);
        } else if (et == EI_GGUF_FLOAT32 || et == EI_GGUF_FLOAT64) {
            double x;
            ei_gguf_arr_float(v, i, &x);
            printf("%g", x);
        } else {
            int64_t x;
            if (ei_gguf_arr_int(v, i, &x) == EI_OK) printf("%lld", (long long)x);
            else fputs("(>int64)", stdout);
        }
    }
    if (n > MAX_ITEMS) printf(", ... %llu more", (unsigned long long)(n - MAX_ITEMS));
    putchar(']');
}

static void type_label(const ei_gguf_value *v, char *buf, size_t size) {
    if (v->type == EI_GGUF_ARRAY)
        snprintf(buf, size, "%s[%llu]", ei_gguf_type_name(v->v.arr.elem_type), (unsigned long long)v->v.arr.n);
    else
        snprintf(buf, size, "%s", ei_gguf_type_name(v->type));
}

static void shape_str(const ei_tensor_info *t, char *buf, size_t size) {
    size_t off = (size_t)snprintf(buf, size, "[");
    for (uint32_t d = 0; d < t->n_dims && off < size; d++)
        off += (size_t)snprintf(buf + off, size - off, "%s%lld", d ? ", " : "", (long long)t->ne[d]);
    if (off < size) snprintf(buf + off, size - off, "]");
}

static void human_size(uint64_t n, char *buf, size_t size) {
    if (n >= (1ull << 30)) snprintf(buf, size, "%.2f GiB", n / (double)(1ull << 30));
    else if (n >= (1ull << 20)) snprintf(buf, size, "%.2f MiB", n / (double)(1ull << 20));
    else if (n >= (1ull << 10)) snprintf(buf, size, "%.2f KiB", n / (double)(1ull << 10));
    else snprintf(buf, size, "%llu B", (unsigned long long)n);
}

static void print_text(const char *path, const ei_gguf *g) {
    uint64_t total = 0;
    for (int64_t i = 0; i < ei_gguf_n_tensors(g); i++) total += ei_gguf_tensor(g, i)->size;
    char tsize[32], fsize[32];
    human_size(total, tsize, sizeof tsize);
    human_size(ei_gguf_file_size(g), fsize, sizeof fsize);
    printf("file: %s\n", path);
    printf("GGUF version %u, %lld keys, %lld tensors (%s), alignment %u, data at offset %llu, file %s\n",
           ei_gguf_version(g), (long long)ei_gguf_n_kv(g), (long long)ei_gguf_n_tensors(g), tsize,
           ei_gguf_alignment(g), (unsigned long long)ei_gguf_data_offset(g), fsize);
    printf("\nmetadata:\n");
    for (int64_t i = 0; i < ei_gguf_n_kv(g); i++) {
        const ei_gguf_value *v = ei_gguf_kv_value(g, i);
        char label[48];
        type_label(v, label, sizeof label);
        printf("  %-44s %-16s = ", ei_gguf_kv_key(g, i), label);
        print_value(v);
        putchar('\n');
    }
    if (ei_gguf_n_tensors(g) == 0) {
        printf("\ntensors: none (vocabulary-only file)\n");
        return;
    }
    printf("\ntensors:\n  %-40s %-8s %-24s %12s %14s\n", "name", "type", "shape", "size", "offset");
    for (int64_t i = 0; i < ei_gguf_n_tensors(g); i++) {
        const ei_tensor_info *t = ei_gguf_tensor(g, i);
        char shape[96], size[32];
        shape_str(t, shape, sizeof shape);
        human_size(t->size, size, sizeof size);
        printf("  %-40s %-8s %-24s %12s %14llu%s\n", t->name, ei_type_name(t->type), shape, size,
               (unsigned long long)t->offset, ei_type_supported(t->type) ? "" : "  (type not supported)");
    }
}

/* ---- JSON --------------------------------------------------------------- */

static cJSON *json_value(const ei_gguf_value *v);

static cJSON *json_scalar(const ei_gguf_value *v) {
    switch (v->type) {
    case EI_GGUF_INT8: case EI_GGUF_INT16: case EI_GGUF_INT32: case EI_GGUF_INT64:
        return cJSON_CreateNumber((double)v->v.i64);
    case EI_GGUF_BOOL: return cJSON_CreateBool(v->v.u64 != 0);
    case EI_GGUF_FLOAT32: case EI_GGUF_FLOAT64: return cJSON_CreateNumber(v->v.f64);
    case EI_GGUF_STRING: return cJSON_CreateString(v->v.str.ptr); /* shown up to an inner NUL, if any */
    default: return cJSON_CreateNumber((double)v->v.u64);
    }
}

/* Arrays up to JSON_MAX_ITEMS are plain JSON arrays; longer ones become
 * {"type": "array", "elem_type": T, "n": N, "head": [first items]}. */
static cJSON *json_array(const ei_gguf_value *v) {
    uint64_t n = v->v.arr.n;
    int et = v->v.arr.elem_type;
    uint64_t shown = n > JSON_MAX_ITEMS ? 8 : n;
    cJSON *arr = cJSON_CreateArray();
    for (uint64_t i = 0; i < shown; i++) {
        cJSON *item = NULL;
        if (et == EI_GGUF_STRING) {
            ei_gguf_str s;
            ei_gguf_arr_str(v, i, &s);
            item = cJSON_CreateString(s.ptr);
        } else if (et == EI_GGUF_ARRAY) {
            const ei_gguf_value *sub;
            ei_gguf_arr_arr(v, i, &sub);
            item = json_value(sub);
        } else if (et == EI_GGUF_FLOAT32 || et == EI_GGUF_FLOAT64) {
            double x;
            ei_gguf_arr_float(v, i, &x);
            item = cJSON_CreateNumber(x);
        } else if (et == EI_GGUF_BOOL) {
            int64_t x;
            ei_gguf_arr_int(v, i, &x);
            item = cJSON_CreateBool(x != 0);
        } else {
            int64_t x = 0;
            ei_gguf_arr_int(v, i, &x);
            item = cJSON_CreateNumber((double)x);
        }
        cJSON_AddItemToArray(arr, item);
    }
    if (shown == n) return arr;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "type", "array");
    cJSON_AddStringToObject(o, "elem_type", ei_gguf_type_name(et));
    cJSON_AddNumberToObject(o, "n", (double)n);
    cJSON_AddItemToObject(o, "head", arr);
    return o;
}

static cJSON *json_value(const ei_gguf_value *v) {
    return v->type == EI_GGUF_ARRAY ? json_array(v) : json_scalar(v);
}

static int print_json(const char *path, const ei_gguf *g) {
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "file", path);
    cJSON_AddNumberToObject(root, "version", ei_gguf_version(g));
    cJSON_AddNumberToObject(root, "alignment", ei_gguf_alignment(g));
    cJSON_AddNumberToObject(root, "data_offset", (double)ei_gguf_data_offset(g));
    cJSON_AddNumberToObject(root, "file_size", (double)ei_gguf_file_size(g));
    cJSON *meta = cJSON_AddObjectToObject(root, "metadata");
    for (int64_t i = 0; i < ei_gguf_n_kv(g); i++)
        cJSON_AddItemToObject(meta, ei_gguf_kv_key(g, i), json_value(ei_gguf_kv_value(g, i)));
    cJSON *tensors = cJSON_AddArrayToObject(root, "tensors");
    for (int64_t i = 0; i < ei_gguf_n_tensors(g); i++) {
        const ei_tensor_info *t = ei_gguf_tensor(g, i);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", t->name);
        cJSON_AddStringToObject(o, "type", ei_type_name(t->type));
        cJSON *shape = cJSON_AddArrayToObject(o, "shape");
        for (uint32_t d = 0; d < t->n_dims; d++) cJSON_AddItemToArray(shape, cJSON_CreateNumber((double)t->ne[d]));
        cJSON_AddNumberToObject(o, "size", (double)t->size);
        cJSON_AddNumberToObject(o, "offset", (double)t->offset);
        cJSON_AddBoolToObject(o, "supported", ei_type_supported(t->type));
        cJSON_AddItemToArray(tensors, o);
    }
    char *s = cJSON_Print(root);
    cJSON_Delete(root);
    if (!s) {
        fprintf(stderr, "edgeinfer info: out of memory building JSON\n");
        return 1;
    }
    puts(s);
    cJSON_free(s);
    return 0;
}

static void info_usage(FILE *f) {
    fprintf(f, "usage: edgeinfer info FILE [--json]\n"
               "  Print a GGUF file's metadata and tensor table (--json: as JSON).\n");
}

int cmd_info(int argc, char **argv) {
    const char *path = NULL;
    int json = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json")) json = 1;
        else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            info_usage(stdout);
            return 0;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "edgeinfer info: unknown option '%s'\n", argv[i]);
            info_usage(stderr);
            return 2;
        } else if (!path) path = argv[i];
        else {
            fprintf(stderr, "edgeinfer info: more than one file given\n");
            return 2;
        }
    }
    if (!path) {
        info_usage(stderr);
        return 2;
    }
    ei_gguf *g;
    if (ei_gguf_open(path, &g) != EI_OK) {
        fprintf(stderr, "edgeinfer info: %s\n", ei_last_error());
        return 1;
    }
    int rc = 0;
    if (json) rc = print_json(path, g);
    else print_text(path, g);
    ei_gguf_close(g);
    if (fflush(stdout) != 0) rc = 1;
    return rc;
}
