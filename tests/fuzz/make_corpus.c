/*
 * make_corpus.c — writes the seed corpus of fuzz_gguf into a folder.
 *
 * Small GGUF images (each under 4 KiB), valid and slightly invalid, built
 * with tests/gguf_builder.c so that every branch of the reader has a nearby
 * starting point: the reference image, a vocabulary-only file, a header-only
 * file, one file per value type, tensors of several types, and a few broken
 * files (truncated, bad alignment, overlapping tensors, too-deep nesting,
 * version 1). The output is checked in under tests/fuzz/corpus/; rerun only
 * to change the seeds:
 *
 *   cc -std=c11 -I tests tests/fuzz/make_corpus.c -o /tmp/mkc && /tmp/mkc tests/fuzz/corpus
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gguf_builder.c"

static const char *dir;

static void save(gb *b, const char *name) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s.gguf", dir, name);
    if (b->len >= 4096) {
        fprintf(stderr, "%s: %zu bytes, over the 4 KiB budget\n", name, b->len);
        exit(1);
    }
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(b->buf, 1, b->len, f) != b->len || fclose(f) != 0) {
        perror(path);
        exit(1);
    }
    gb_free(b);
}

/* A file with a single key of value type `type` (arrays: of uint32). */
static void one_value_type(uint32_t type) {
    static const char *names[] = {"uint8", "int8", "uint16", "int16", "uint32", "int32", "float32",
                                  "bool", "string", "array", "uint64", "int64", "float64"};
    char name[64];
    gb b;
    gb_init(&b);
    gb_header(&b, 3, 0, 1);
    gb_kv(&b, "general.value", type);
    switch (type) {
    case GB_UINT8: case GB_INT8: case GB_BOOL: gb_u8(&b, 1); break;
    case GB_UINT16: case GB_INT16: gb_u16(&b, 0xFFFF); break;
    case GB_UINT32: case GB_INT32: gb_u32(&b, 0x80000000u); break;
    case GB_FLOAT32: gb_f32(&b, 3.5f); break;
    case GB_UINT64: case GB_INT64: gb_u64(&b, 0x8000000000000000ull); break;
    case GB_FLOAT64: gb_f64(&b, -0.25); break;
    case GB_STRING: gb_str(&b, "hello"); break;
    case GB_ARRAY: gb_arr(&b, GB_UINT32, 2), gb_u32(&b, 1), gb_u32(&b, 2); break;
    }
    snprintf(name, sizeof name, "value_%s", names[type]);
    save(&b, name);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s OUTPUT_DIR\n", argv[0]);
        return 2;
    }
    dir = argv[1];
    gb b;

    gb_init(&b);
    gb_build_valid(&b, NULL);
    save(&b, "valid_reference");

    gb_init(&b);
    gb_build_valid(&b, NULL);
    b.len /= 2;
    save(&b, "bad_truncated_half");

    gb_init(&b);
    gb_header(&b, 3, 0, 0);
    save(&b, "valid_header_only");

    gb_init(&b);
    gb_header(&b, 3, 0, 5);
    gb_kv_str(&b, "general.architecture", "llama");
    gb_kv_str(&b, "tokenizer.ggml.model", "gpt2");
    gb_kv(&b, "tokenizer.ggml.tokens", GB_ARRAY), gb_arr(&b, GB_STRING, 4);
    gb_str(&b, "a"), gb_str(&b, "b"), gb_str(&b, "ab"), gb_str(&b, "<s>");
    gb_kv(&b, "tokenizer.ggml.scores", GB_ARRAY), gb_arr(&b, GB_FLOAT32, 4);
    for (int i = 0; i < 4; i++) gb_f32(&b, (float)-i);
    gb_kv(&b, "tokenizer.ggml.token_type", GB_ARRAY), gb_arr(&b, GB_INT32, 4);
    for (int i = 0; i < 4; i++) gb_u32(&b, i == 3 ? 3 : 1);
    save(&b, "valid_vocab_only");

    for (uint32_t t = 0; t <= GB_FLOAT64; t++) one_value_type(t);

    /* nested arrays at the depth limit, and one past it */
    for (int levels = 8; levels <= 9; levels++) {
        gb_init(&b);
        gb_header(&b, 3, 0, 1);
        gb_kv(&b, "t.deep", GB_ARRAY);
        for (int i = 1; i < levels; i++) gb_arr(&b, GB_ARRAY, 1);
        gb_arr(&b, GB_STRING, 1), gb_str(&b, "x");
        save(&b, levels == 8 ? "valid_nested_8" : "bad_nested_9");
    }

    /* tensors of several types, each one block (or a few elements) */
    {
        const struct { const char *name; uint32_t type; int64_t ne0; size_t bytes; } ts[] = {
            {"f32.weight", GB_F32, 4, 16},     {"f16.weight", GB_F16, 8, 16},
            {"q4_0.weight", GB_Q4_0, 32, 18},  {"q8_0.weight", GB_Q8_0, 32, 34},
            {"q4_k.weight", GB_Q4_K, 256, 144}, {"iq2_xxs.weight", GB_IQ2_XXS, 256, 66},
        };
        const int n = (int)(sizeof ts / sizeof ts[0]);
        gb_init(&b);
        gb_header(&b, 3, (uint64_t)n, 2);
        gb_kv_str(&b, "general.architecture", "llama");
        gb_kv_u32(&b, "general.alignment", 32);
        uint64_t off = 0;
        for (int i = 0; i < n; i++) {
            gb_tensor(&b, ts[i].name, 1, &ts[i].ne0, ts[i].type, off);
            off += (ts[i].bytes + 31) / 32 * 32;
        }
        gb_pad(&b, 32);
        for (int i = 0; i < n; i++) {
            gb_fill(&b, ts[i].bytes, (unsigned)i);
            if (i + 1 < n) gb_pad(&b, 32);
        }
        save(&b, "valid_tensor_types");
    }

    /* slightly broken */
    {
        gb_layout lay;
        gb_init(&b);
        gb_build_valid(&b, &lay);
        gb_patch_u32(&b, lay.align_val, 48);
        save(&b, "bad_alignment_48");

        gb_init(&b);
        gb_build_valid(&b, &lay);
        gb_patch_u64(&b, lay.t1_offset, 32);
        save(&b, "bad_overlap");

        gb_init(&b);
        gb_build_valid(&b, &lay);
        gb_patch_u32(&b, lay.version, 1);
        save(&b, "bad_version_1");

        gb_init(&b);
        gb_build_valid(&b, &lay);
        gb_patch_u64(&b, lay.t0_ne, 7);
        save(&b, "bad_shape");

        /* 4 * (2^62 + 1) bytes wraps to 4 in 64 bits (found by this fuzzer) */
        gb_init(&b);
        gb_header(&b, 3, 1, 0);
        const int64_t ne = (1ll << 62) + 1;
        gb_tensor(&b, "big.weight", 1, &ne, GB_F32, 0);
        gb_pad(&b, 32);
        gb_fill(&b, 64, 0);
        save(&b, "bad_size_wraps");
    }
    return 0;
}
