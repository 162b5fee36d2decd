/*
 * test_tokenizer.c — the tokenizers against llama.cpp.
 *
 * - every vocabulary file of ../shared/testdata/vocab with .inp/.out
 *   (llama.cpp's test-tokenizer-0 data): the ids of every input, tokenized
 *   without special tokens, equal llama.cpp's exactly; mismatches are
 *   counted per file; every vocabulary file there loads;
 * - llama.cpp's test-tokenizer-1-spm round trips on the SentencePiece
 *   vocabulary: every token, and every code point, survives
 *   detokenize -> tokenize -> detokenize;
 * - the default models (in the model cache, where present): token ids,
 *   detokenized text, pieces, BOS/EOS and the end-of-generation set equal
 *   golden data from llama.cpp (tests/golden/make_tokenizer_golden.py) —
 *   chat markup with parse_special, code, Unicode, emoji, invalid UTF-8,
 *   white space runs, the empty string;
 * - bad input: invalid UTF-8 is never an error, small buffers report the
 *   size needed, bad ids and NULLs are EI_ERR_ARG, malformed vocabularies
 *   (built in memory) are errors naming the key, never crashes.
 * Files that are absent make their test skip.
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
#include <time.h>

#include "edgeinfer.h"
#include "testutil.h"
#include "tokenizer/vocab.h"

#include "gguf_builder.c"

#define VOCAB_DIR EI_SHARED_DIR "/testdata/vocab"

/* ---- helpers ----------------------------------------------------------------- */

static ei_model *load_vocab(const char *path) {
    ei_model_params mp = ei_model_default_params();
    mp.vocab_only = true;
    ei_model *m = NULL;
    if (ei_model_load(path, &mp, &m)) fail_msg("%s: %s", path, ei_last_error());
    return m;
}

/* Tokens of text into a malloc'd array (*n of them), checking the size
 * protocol on the way: a first call without a buffer says how many. */
static int32_t *tokenize(const ei_model *m, const char *text, size_t len, bool add, bool parse, int32_t *n) {
    int32_t need = -1;
    assert_int_equal(ei_tokenize(m, text, len, add, parse, NULL, 0, &need), EI_OK);
    int32_t *ids = malloc(((size_t)need + 1) * sizeof *ids);
    assert_non_null(ids);
    assert_int_equal(ei_tokenize(m, text, len, add, parse, ids, need, n), EI_OK);
    assert_int_equal(*n, need);
    return ids;
}

static char *detokenize(const ei_model *m, const int32_t *ids, int32_t n, bool special, size_t *len) {
    size_t need;
    char small[8];
    assert_int_equal(ei_detokenize(m, ids, n, special, small, sizeof small, &need), EI_OK);
    char *buf = malloc(need + 1);
    assert_non_null(buf);
    assert_int_equal(ei_detokenize(m, ids, n, special, buf, need + 1, len), EI_OK);
    assert_int_equal(*len, need);
    assert_int_equal(buf[need], '\0');
    return buf;
}

static int hexval(int c) { return c <= '9' ? c - '0' : (c | 32) - 'a' + 10; }

/* Hex (or "-" for empty) into bytes; returns the length. */
static size_t unhex(const char *h, size_t hl, char *out) {
    if (hl == 1 && h[0] == '-') return 0;
    size_t n = 0;
    for (size_t i = 0; i + 1 < hl; i += 2) out[n++] = (char)(hexval(h[i]) * 16 + hexval(h[i + 1]));
    return n;
}

/* Space-separated integers into ids; returns the count. */
static int32_t parse_ids(const char *s, int32_t *ids, int32_t cap) {
    int32_t n = 0;
    char *end;
    for (;;) {
        while (*s == ' ' || *s == '\t' || *s == '\r') s++;
        if (!*s || *s == '\n' || *s == ':') break;
        long v = strtol(s, &end, 10);
        if (end == s) break;
        if (n < cap) ids[n] = (int32_t)v;
        n++;
        s = end;
    }
    return n;
}

static void utf8_put(uint32_t cp, char *out, size_t *n) {
    unsigned char *u = (unsigned char *)out;
    if (cp < 0x80) u[0] = (unsigned char)cp, *n = 1;
    else if (cp < 0x800) u[0] = (unsigned char)(0xc0 | cp >> 6), u[1] = (unsigned char)(0x80 | (cp & 0x3f)), *n = 2;
    else if (cp < 0x10000)
        u[0] = (unsigned char)(0xe0 | cp >> 12), u[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f)),
        u[2] = (unsigned char)(0x80 | (cp & 0x3f)), *n = 3;
    else
        u[0] = (unsigned char)(0xf0 | cp >> 18), u[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f)),
        u[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f)), u[3] = (unsigned char)(0x80 | (cp & 0x3f)), *n = 4;
}

/* ---- llama.cpp's vocabulary test data ---------------------------------------- */

/* One vocabulary file's .inp/.out, split as test-tokenizer-0 splits them;
 * returns the number of mismatches (-1 when the file has no test data). */
static int run_vocab_tests(const char *gguf, int *n_tests) {
    char path[1100];
    size_t ni, no;
    snprintf(path, sizeof path, "%s.inp", gguf);
    char *inp = (char *)tu_read_file(path, &ni);
    snprintf(path, sizeof path, "%s.out", gguf);
    char *out = (char *)tu_read_file(path, &no);
    if (!inp || !out) {
        free(inp);
        free(out);
        return -1;
    }
    ei_model *m = load_vocab(gguf);
    /* .out: lines as std::getline gives them */
    size_t n_lines = 0, cap_lines = 64;
    char **lines = malloc(cap_lines * sizeof *lines);
    for (char *p = out; p < out + no;) {
        char *e = memchr(p, '\n', (size_t)(out + no - p));
        if (!e) e = out + no;
        *e = '\0';
        if (n_lines == cap_lines) lines = realloc(lines, (cap_lines *= 2) * sizeof *lines);
        lines[n_lines++] = p;
        p = e + 1;
    }
    const char *sep = "\n__ggml_vocab_test__\n";
    size_t sl = strlen(sep), pos = 0, k = 0;
    int bad = 0;
    int32_t *want = malloc(65536 * sizeof *want);
    while (pos < ni) {
        char *next = memmem(inp + pos, ni - pos, sep, sl);
        size_t len = next ? (size_t)(next - (inp + pos)) : ni - pos;
        if (k >= n_lines) fail_msg("%s: more inputs than output lines", gguf);
        int32_t nw = parse_ids(lines[k], want, 65536), ng;
        int32_t *got = tokenize(m, inp + pos, len, false, false, &ng);
        if (ng != nw || memcmp(got, want, (size_t)ng * sizeof *got)) {
            if (bad < 3) {
                print_message("  mismatch on input %zu \"%.*s\": %d ids, want %d\n", k, (int)(len < 60 ? len : 60),
                              inp + pos, ng, nw);
            }
            bad++;
        }
        free(got);
        k++;
        if (!next) break;
        pos = (size_t)(next - inp) + sl;
    }
    if (k != n_lines) fail_msg("%s: %zu inputs but %zu output lines", gguf, k, n_lines);
    *n_tests = (int)k;
    free(want);
    free(lines);
    free(inp);
    free(out);
    ei_model_free(m);
    return bad;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void test_vocab_files(void **state) {
    (void)state;
    DIR *d = opendir(VOCAB_DIR);
    if (!d) {
        print_message("skipping: %s absent\n", VOCAB_DIR);
        skip();
    }
    char *names[256];
    int n = 0;
    for (struct dirent *e; (e = readdir(d)) && n < 256;) {
        size_t l = strlen(e->d_name);
        if (l > 5 && !strcmp(e->d_name + l - 5, ".gguf")) names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof *names, cmp_str);
    int total_bad = 0, files = 0;
    for (int i = 0; i < n; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", VOCAB_DIR, names[i]);
        int n_tests = 0;
        int bad = run_vocab_tests(path, &n_tests);
        if (bad < 0) { /* no test data: it must load all the same */
            ei_model_free(load_vocab(path));
            print_message("%-36s loads (no test data)\n", names[i]);
        } else {
            print_message("%-36s %3d inputs, %d mismatches\n", names[i], n_tests, bad);
            total_bad += bad;
            files++;
        }
        free(names[i]);
    }
    if (files == 0) skip();
    assert_int_equal(total_bad, 0);
}

/* test-tokenizer-1-spm: every token and every code point round-trips. */
static void test_spm_round_trip(void **state) {
    (void)state;
    const char *path = VOCAB_DIR "/ggml-vocab-llama-spm.gguf";
    if (!tu_exists(path)) skip();
    ei_model *m = load_vocab(path);
    int32_t nv = ei_model_n_vocab(m);
    assert_true(nv > 0);
    int bad = 0;
    for (int32_t i = 0; i < nv; i++) {
        size_t sl, cl;
        char *str = detokenize(m, &i, 1, true, &sl);
        int32_t n;
        int32_t *ids = tokenize(m, str, sl, false, true, &n);
        char *check = detokenize(m, ids, n, true, &cl);
        if (cl != sl || memcmp(check, str, sl)) {
            if (bad++ < 3) print_message("token %d: \"%s\" comes back as \"%s\"\n", i, str, check);
        }
        free(str);
        free(ids);
        free(check);
    }
    for (uint32_t cp = 0; cp < 0x110000; cp++) {
        if ((cp >= 0xD800 && cp <= 0xDFFF) || (cp >= 0x40000 && cp <= 0xE0000)) continue;
        char s[4];
        size_t sl, cl;
        utf8_put(cp, s, &sl);
        int32_t n;
        int32_t *ids = tokenize(m, s, sl, false, true, &n);
        char *check = detokenize(m, ids, n, true, &cl);
        if (cp != 0x2581 && (cl != sl || memcmp(check, s, sl))) {
            if (bad++ < 6) print_message("code point U+%04X does not come back\n", cp);
        }
        free(ids);
        free(check);
    }
    ei_model_free(m);
    assert_int_equal(bad, 0);
}

/* ---- the default models against golden data ------------------------------------ */

static const char *const default_models[] = {"SmolLM2-135M-Instruct.Q4_1", "gemma-3-270m-q4_k_m"};

static int check_golden(const char *stem) {
    char path[1200], gpath[1200];
    const char *models = tu_models_dir();
    snprintf(path, sizeof path, "%s/%s.gguf", models, stem);
    snprintf(gpath, sizeof gpath, "%s/tests/data/tokenizer/%s.golden", EI_SOURCE_DIR, stem);
    if (!tu_exists(path)) {
        print_message("skipping %s: not in %s\n", stem, models);
        return -1;
    }
    char *golden = (char *)tu_read_file(gpath, NULL);
    if (!golden) fail_msg("golden file %s missing: run tests/golden/make_tokenizer_golden.py", gpath);
    ei_model *m = load_vocab(path);
    int32_t nv = ei_model_n_vocab(m);
    int bad = 0, n_tok = 0, n_detok = 0, n_piece = 0;
    size_t cap = 1 << 16;
    char *text = malloc(cap), *want = malloc(cap);
    int32_t *ids = malloc(cap * sizeof *ids);
    for (char *line = strtok(golden, "\n"); line; line = strtok(NULL, "\n")) {
        char *colon = strstr(line, " : ");
        if (!strncmp(line, "n_tokens ", 9)) {
            assert_int_equal(nv, atoi(line + 9));
        } else if (!strncmp(line, "bos ", 4)) {
            assert_int_equal(ei_token_bos(m), atoi(line + 4));
        } else if (!strncmp(line, "eos ", 4)) {
            assert_int_equal(ei_token_eos(m), atoi(line + 4));
        } else if (!strncmp(line, "adds_bos ", 9)) {
            assert_int_equal(ei_model_adds_bos(m), atoi(line + 9));
        } else if (!strncmp(line, "eog", 3)) {
            int32_t n = parse_ids(line + 3, ids, (int32_t)cap), k = 0;
            for (int32_t t = 0; t < nv; t++) {
                bool want_eog = k < n && ids[k] == t;
                if (want_eog) k++;
                if (ei_token_is_eog(m, t) != want_eog) {
                    if (bad++ < 5) print_message("%s: token %d: is_eog %d, want %d\n", stem, t, !want_eog, want_eog);
                }
            }
            assert_false(ei_token_is_eog(m, -1));
            assert_false(ei_token_is_eog(m, nv));
        } else if (!strncmp(line, "tok ", 4) && colon) {
            int add = line[4] - '0', parse = line[6] - '0';
            char *h = line + 8;
            size_t tl = unhex(h, (size_t)(colon - h), text);
            int32_t nw = parse_ids(colon + 3, ids, (int32_t)cap), ng;
            int32_t *got = tokenize(m, text, tl, add, parse, &ng);
            if (ng != nw || memcmp(got, ids, (size_t)ng * sizeof *got)) {
                if (bad++ < 5) print_message("%s: tok %d %d \"%.*s\": %d ids, want %d\n", stem, add, parse, (int)tl, text, ng, nw);
            }
            free(got);
            n_tok++;
        } else if (!strncmp(line, "detok ", 6) && colon) {
            int special = line[6] - '0';
            int32_t n = parse_ids(line + 8, ids, (int32_t)cap);
            size_t wl = unhex(colon + 3, strlen(colon + 3), want), gl;
            char *got = detokenize(m, ids, n, special, &gl);
            if (gl != wl || memcmp(got, want, wl)) {
                if (bad++ < 5) print_message("%s: detok \"%.*s\", want \"%.*s\"\n", stem, (int)gl, got, (int)wl, want);
            }
            free(got);
            n_detok++;
        } else if (!strncmp(line, "piece ", 6) && colon) {
            int32_t id;
            int special;
            assert_int_equal(sscanf(line + 6, "%d %d", &id, &special), 2);
            size_t wl = unhex(colon + 3, strlen(colon + 3), want), gl;
            char got[4096];
            assert_int_equal(ei_token_to_piece(m, id, special, got, sizeof got, &gl), EI_OK);
            if (gl != wl || memcmp(got, want, wl)) {
                if (bad++ < 5) print_message("%s: piece %d (special %d) \"%.*s\", want \"%.*s\"\n", stem, id, special, (int)gl, got, (int)wl, want);
            }
            n_piece++;
        }
    }
    print_message("%-30s %d tokenizations, %d detokenizations, %d pieces: %d mismatches\n", stem, n_tok, n_detok,
                  n_piece, bad);
    assert_true(n_tok > 0 && n_detok > 0 && n_piece > 0);
    free(text);
    free(want);
    free(ids);
    free(golden);
    ei_model_free(m);
    return bad;
}

static void test_default_models(void **state) {
    (void)state;
    int ran = 0, bad = 0;
    for (size_t i = 0; i < sizeof default_models / sizeof default_models[0]; i++) {
        int b = check_golden(default_models[i]);
        if (b >= 0) ran++, bad += b;
    }
    if (!ran) skip();
    assert_int_equal(bad, 0);
}

/* Tokenizing 100 KB of text, timed for information (never a pass/fail). */
static void test_speed_report(void **state) {
    (void)state;
    char path[1200];
    int ran = 0;
    size_t len = 100 * 1024;
    char *text = malloc(len);
    static const char *const words[] = {"the ", "tokenizer ", "splits ", "text, ", "and ", "merges ", "pairs. ",
                                        "Hello ", "world!\n", "42 ", "ünïcödé ", "🦙 ", "    indented\n"};
    uint64_t rs = 7;
    for (size_t k = 0; k < len;) {
        const char *w = words[tu_rand_u64(&rs) % (sizeof words / sizeof words[0])];
        size_t wl = strlen(w);
        if (k + wl > len) wl = len - k;
        memcpy(text + k, w, wl);
        k += wl;
    }
    for (size_t i = 0; i < sizeof default_models / sizeof default_models[0]; i++) {
        snprintf(path, sizeof path, "%s/%s.gguf", tu_models_dir(), default_models[i]);
        if (!tu_exists(path)) continue;
        ei_model *m = load_vocab(path);
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        int32_t n;
        int32_t *ids = tokenize(m, text, len, true, true, &n);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
        print_message("%-30s 100 KB -> %d tokens in %.1f ms (two passes)\n", default_models[i], n, ms);
        free(ids);
        ei_model_free(m);
        ran++;
    }
    free(text);
    if (!ran) skip();
}

/* ---- bad input -------------------------------------------------------------------- */

static void check_robust(const char *path) {
    ei_model *m = load_vocab(path);
    int32_t nv = ei_model_n_vocab(m);
    uint64_t rs = 12345;
    char text[64];
    int32_t ids[512];
    for (int it = 0; it < 3000; it++) {
        size_t len = tu_rand_u64(&rs) % sizeof text;
        for (size_t i = 0; i < len; i++) text[i] = (char)tu_rand_u64(&rs);
        int32_t n;
        bool add = it & 1, parse = it & 2;
        assert_int_equal(ei_tokenize(m, text, len, add, parse, ids, 512, &n), EI_OK);
        assert_true(n >= 0 && n <= 512);
        for (int32_t i = 0; i < n; i++) assert_true(ids[i] >= 0 && ids[i] < nv);
        char out[2048];
        size_t ol;
        assert_int_equal(ei_detokenize(m, ids, n, it & 4, out, sizeof out, &ol), EI_OK);
        /* random ids, too */
        for (int32_t i = 0; i < 8; i++) ids[i] = (int32_t)(tu_rand_u64(&rs) % (uint64_t)nv);
        assert_int_equal(ei_detokenize(m, ids, 8, it & 8, out, sizeof out, &ol), EI_OK);
    }
    ei_model_free(m);
}

static void test_invalid_utf8_never_fails(void **state) {
    (void)state;
    const char *files[] = {"ggml-vocab-llama-spm.gguf", "ggml-vocab-gpt-2.gguf", "ggml-vocab-bert-bge.gguf",
                           "ggml-vocab-phi-3.gguf", "ggml-vocab-deepseek-llm.gguf"};
    int ran = 0;
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", VOCAB_DIR, files[i]);
        if (!tu_exists(path)) continue;
        check_robust(path);
        ran++;
    }
    if (!ran) skip();
}

static void test_buffers_and_arguments(void **state) {
    (void)state;
    const char *path = VOCAB_DIR "/ggml-vocab-llama-spm.gguf";
    if (!tu_exists(path)) skip();
    ei_model *m = load_vocab(path);
    const char *text = "Hello world, this is a test";
    int32_t all[64], few[3] = {-7, -7, -7}, n = -1;
    assert_int_equal(ei_tokenize(m, text, strlen(text), true, false, all, 64, &n), EI_OK);
    int32_t full = n;
    assert_true(full > 3);
    assert_int_equal(ei_tokenize(m, text, strlen(text), true, false, few, 2, &n), EI_OK);
    assert_int_equal(n, full);                        /* the size needed */
    assert_memory_equal(few, all, 2 * sizeof *few);   /* the first ids written */
    assert_int_equal(few[2], -7);                     /* nothing beyond cap */
    assert_int_equal(ei_tokenize(m, text, strlen(text), true, false, NULL, 0, &n), EI_OK);
    assert_int_equal(n, full);
    assert_int_equal(ei_tokenize(m, "", 0, true, false, all, 64, &n), EI_OK);
    assert_int_equal(n, 1); /* BOS alone */
    assert_int_equal(ei_tokenize(m, NULL, 0, false, false, all, 64, &n), EI_OK);
    assert_int_equal(n, 0);
    /* bad arguments */
    assert_int_equal(ei_tokenize(NULL, text, 3, true, false, all, 64, &n), EI_ERR_ARG);
    assert_int_equal(ei_tokenize(m, NULL, 3, true, false, all, 64, &n), EI_ERR_ARG);
    assert_int_equal(ei_tokenize(m, text, 3, true, false, NULL, 5, &n), EI_ERR_ARG);
    assert_int_equal(ei_tokenize(m, text, 3, true, false, all, -1, &n), EI_ERR_ARG);
    assert_int_equal(ei_tokenize(m, text, 3, true, false, all, 64, NULL), EI_ERR_ARG);

    /* pieces */
    char buf[64];
    size_t len;
    int32_t hello = all[1];
    assert_int_equal(ei_tokenize(m, text, strlen(text), true, false, all, 64, &n), EI_OK);
    hello = all[1];
    assert_int_equal(ei_token_to_piece(m, hello, false, buf, sizeof buf, &len), EI_OK);
    assert_int_equal(len, 6);
    assert_memory_equal(buf, " Hello", 6);
    memset(buf, '#', sizeof buf);
    assert_int_equal(ei_token_to_piece(m, hello, false, buf, 2, &len), EI_OK);
    assert_int_equal(len, 6);
    assert_int_equal(buf[2], '#');
    assert_int_equal(ei_token_to_piece(m, hello, false, NULL, 0, &len), EI_OK);
    assert_int_equal(len, 6);
    assert_int_equal(ei_token_to_piece(m, ei_token_bos(m), false, buf, sizeof buf, &len), EI_OK);
    assert_int_equal(len, 0); /* control token, not special */
    assert_int_equal(ei_token_to_piece(m, ei_token_bos(m), true, buf, sizeof buf, &len), EI_OK);
    assert_int_equal(len, 3);
    assert_memory_equal(buf, "<s>", 3);
    assert_int_equal(ei_token_to_piece(m, -1, true, buf, sizeof buf, &len), EI_ERR_ARG);
    assert_int_equal(ei_token_to_piece(m, ei_model_n_vocab(m), true, buf, sizeof buf, &len), EI_ERR_ARG);

    /* detokenize: SentencePiece's leading space goes from the first piece */
    assert_int_equal(ei_detokenize(m, all + 1, n - 1, false, buf, sizeof buf, &len), EI_OK);
    assert_int_equal(len, strlen(text));
    assert_string_equal(buf, text);
    memset(buf, '#', sizeof buf);
    assert_int_equal(ei_detokenize(m, all + 1, n - 1, false, buf, 5, &len), EI_OK);
    assert_int_equal(len, strlen(text));
    assert_memory_equal(buf, text, 5);
    assert_int_equal(buf[5], '#');
    assert_int_equal(ei_detokenize(m, all, n, false, NULL, 0, &len), EI_OK);
    assert_int_equal(ei_detokenize(m, all, 0, false, buf, sizeof buf, &len), EI_OK);
    assert_int_equal(len, 0);
    assert_string_equal(buf, "");
    int32_t badid[2] = {5, 1 << 30};
    assert_int_equal(ei_detokenize(m, badid, 2, false, buf, sizeof buf, &len), EI_ERR_ARG);
    assert_int_equal(ei_detokenize(m, all, -1, false, buf, sizeof buf, &len), EI_ERR_ARG);
    assert_int_equal(ei_detokenize(m, NULL, 2, false, buf, sizeof buf, &len), EI_ERR_ARG);

    /* a vocabulary-only model runs nothing */
    ei_context *c = NULL;
    assert_int_equal(ei_context_new(m, NULL, &c), EI_ERR_ARG);
    assert_null(c);
    assert_non_null(strstr(ei_last_error(), "vocab"));
    ei_model_free(m);
}

/* ---- vocabularies built in memory --------------------------------------------------- */

typedef struct vb {
    gb b;
    size_t n_kv_off;
    uint64_t n_kv;
} vb;

static void vb_init(vb *v) {
    gb_init(&v->b);
    v->n_kv_off = gb_header(&v->b, 3, 0, 0) + 4 + 8;
    v->n_kv = 0;
}

static void vb_str(vb *v, const char *key, const char *val) {
    gb_kv_str(&v->b, key, val);
    v->n_kv++;
}

static void vb_u32(vb *v, const char *key, uint32_t val) {
    gb_kv_u32(&v->b, key, val);
    v->n_kv++;
}

static void vb_bool(vb *v, const char *key, int val) {
    gb_kv(&v->b, key, GB_BOOL);
    gb_u8(&v->b, (uint8_t)val);
    v->n_kv++;
}

static void vb_strs(vb *v, const char *key, const char *const *s, int n) {
    gb_kv(&v->b, key, GB_ARRAY);
    gb_arr(&v->b, GB_STRING, (uint64_t)n);
    for (int i = 0; i < n; i++) gb_str(&v->b, s[i]);
    v->n_kv++;
}

static void vb_f32s(vb *v, const char *key, const float *x, int n) {
    gb_kv(&v->b, key, GB_ARRAY);
    gb_arr(&v->b, GB_FLOAT32, (uint64_t)n);
    for (int i = 0; i < n; i++) gb_f32(&v->b, x[i]);
    v->n_kv++;
}

static void vb_i32s(vb *v, const char *key, const int32_t *x, int n) {
    gb_kv(&v->b, key, GB_ARRAY);
    gb_arr(&v->b, GB_INT32, (uint64_t)n);
    for (int i = 0; i < n; i++) gb_u32(&v->b, (uint32_t)x[i]);
    v->n_kv++;
}

/* Load the image; returns the status (vocab in *out when EI_OK). */
static ei_status vb_load(vb *v, ei_gguf **g, ei_vocab **out) {
    gb_patch_u64(&v->b, v->n_kv_off, v->n_kv);
    *out = NULL;
    if (ei_gguf_open_memory(v->b.buf, v->b.len, g)) fail_msg("image refused: %s", ei_last_error());
    return ei_vocab_load(*g, out);
}

static void vb_expect(vb *v, ei_status want, const char *needle) {
    ei_gguf *g;
    ei_vocab *voc;
    ei_status s = vb_load(v, &g, &voc);
    if (s != want || (needle && !strstr(ei_last_error(), needle)))
        fail_msg("want status %d with \"%s\", got %d: %s", want, needle ? needle : "", s, ei_last_error());
    if (!s) ei_vocab_free(voc);
    assert_true(s != EI_OK || voc != NULL);
    ei_gguf_close(g);
    gb_free(&v->b);
}

static const char *const spm_tokens[] = {"<unk>", "<s>", "</s>", "\xe2\x96\x81", "a", "b", "\xe2\x96\x81" "a", "ab",
                                         "\xe2\x96\x81" "ab", "<0x63>", "<|user|>"};
static const float spm_scores[] = {0, 0, 0, -1, -2, -3, -4, -5, -1, 0, 0};
static const int32_t spm_types[] = {2, 3, 3, 1, 1, 1, 1, 1, 1, 6, 4};
#define N_SPM 11

static void spm_base(vb *v, int n_tokens, int n_scores, int n_types) {
    vb_init(v);
    vb_str(v, "tokenizer.ggml.model", "llama");
    vb_strs(v, "tokenizer.ggml.tokens", spm_tokens, n_tokens);
    if (n_scores) vb_f32s(v, "tokenizer.ggml.scores", spm_scores, n_scores);
    if (n_types) vb_i32s(v, "tokenizer.ggml.token_type", spm_types, n_types);
}

static void test_tiny_spm(void **state) {
    (void)state;
    vb v;
    spm_base(&v, N_SPM, N_SPM, N_SPM);
    ei_gguf *g;
    ei_vocab *voc;
    assert_int_equal(vb_load(&v, &g, &voc), EI_OK);
    int32_t ids[32], n;
    /* " ab a" -> ▁ab ▁a; "c" has only a byte token; "d" none: unknown */
    assert_int_equal(ei_vocab_tokenize(voc, "ab a c d", 8, true, false, ids, 32, &n), EI_OK);
    int32_t want[] = {1, 8, 6, 3, 9, 3, 0};
    assert_int_equal(n, 7);
    assert_memory_equal(ids, want, sizeof want);
    /* user-defined tokens are split out even without parse_special */
    assert_int_equal(ei_vocab_tokenize(voc, "a<|user|>b", 10, false, false, ids, 32, &n), EI_OK);
    int32_t want2[] = {6, 10, 3, 5};
    assert_int_equal(n, 4);
    assert_memory_equal(ids, want2, sizeof want2);
    /* control tokens only with parse_special */
    assert_int_equal(ei_vocab_tokenize(voc, "</s>", 4, false, true, ids, 32, &n), EI_OK);
    assert_int_equal(n, 1);
    assert_int_equal(ids[0], 2);
    assert_true(ei_vocab_is_eog(voc, 2));
    assert_false(ei_vocab_is_eog(voc, 1));
    char buf[32];
    size_t len;
    int32_t seq[] = {1, 8, 9, 6};
    assert_int_equal(ei_vocab_detokenize(voc, seq, 4, false, buf, sizeof buf, &len), EI_OK);
    assert_int_equal(len, 6);
    assert_memory_equal(buf, " abc a", 6); /* after BOS the space stays, as in llama.cpp */
    assert_int_equal(ei_vocab_detokenize(voc, seq + 1, 3, true, buf, sizeof buf, &len), EI_OK);
    assert_memory_equal(buf, "abc a", 5);
    ei_vocab_free(voc);
    ei_gguf_close(g);
    gb_free(&v.b);
}

static void test_tiny_bpe(void **state) {
    (void)state;
    /* byte-level: space is \u0120 */
    const char *tokens[] = {"a", "b", "\xc4\xa0", "ab", "\xc4\xa0" "a", "\xc4\xa0" "ab", "<|endoftext|>"};
    const char *merges[] = {"\xc4\xa0 a", "a b", "\xc4\xa0" "a b"};
    int32_t types[] = {1, 1, 1, 1, 1, 1, 3};
    vb v;
    vb_init(&v);
    vb_str(&v, "tokenizer.ggml.model", "gpt2");
    vb_str(&v, "tokenizer.ggml.pre", "gpt-2");
    vb_strs(&v, "tokenizer.ggml.tokens", tokens, 7);
    vb_i32s(&v, "tokenizer.ggml.token_type", types, 7);
    vb_strs(&v, "tokenizer.ggml.merges", merges, 3);
    vb_u32(&v, "tokenizer.ggml.eos_token_id", 6);
    vb_u32(&v, "tokenizer.ggml.bos_token_id", 6);
    ei_gguf *g;
    ei_vocab *voc;
    assert_int_equal(vb_load(&v, &g, &voc), EI_OK);
    int32_t ids[32], n;
    assert_int_equal(ei_vocab_tokenize(voc, "ab ab a<|endoftext|>", 20, false, true, ids, 32, &n), EI_OK);
    int32_t want[] = {3, 5, 4, 6};
    assert_int_equal(n, 4);
    assert_memory_equal(ids, want, sizeof want);
    assert_true(ei_vocab_is_eog(voc, 6));
    char buf[32];
    size_t len;
    assert_int_equal(ei_vocab_detokenize(voc, ids, 4, true, buf, sizeof buf, &len), EI_OK);
    assert_string_equal(buf, "ab ab a<|endoftext|>");
    assert_int_equal(ei_vocab_detokenize(voc, ids, 4, false, buf, sizeof buf, &len), EI_OK);
    assert_string_equal(buf, "ab ab a");
    ei_vocab_free(voc);
    ei_gguf_close(g);
    gb_free(&v.b);
}

static void test_malformed_vocab(void **state) {
    (void)state;
    vb v;
    /* no model key */
    vb_init(&v);
    vb_strs(&v, "tokenizer.ggml.tokens", spm_tokens, N_SPM);
    vb_expect(&v, EI_ERR_FORMAT, "tokenizer.ggml.model");
    /* unsupported tokenizers are named */
    const char *unsupported[] = {"t5", "rwkv", "plamo2", "no_vocab", "sentencepiece-xyz"};
    for (size_t i = 0; i < sizeof unsupported / sizeof unsupported[0]; i++) {
        vb_init(&v);
        vb_str(&v, "tokenizer.ggml.model", unsupported[i]);
        vb_strs(&v, "tokenizer.ggml.tokens", spm_tokens, N_SPM);
        vb_expect(&v, EI_ERR_UNSUPPORTED, unsupported[i]);
    }
    /* an unknown pre-tokenizer */
    vb_init(&v);
    vb_str(&v, "tokenizer.ggml.model", "gpt2");
    vb_str(&v, "tokenizer.ggml.pre", "no-such-pre");
    vb_strs(&v, "tokenizer.ggml.tokens", spm_tokens, N_SPM);
    vb_strs(&v, "tokenizer.ggml.merges", spm_tokens, 2);
    vb_expect(&v, EI_ERR_UNSUPPORTED, "no-such-pre");
    /* model of the wrong type */
    vb_init(&v);
    vb_u32(&v, "tokenizer.ggml.model", 3);
    vb_expect(&v, EI_ERR_TYPE, "tokenizer.ggml.model");
    /* no tokens; tokens of the wrong type; empty */
    vb_init(&v);
    vb_str(&v, "tokenizer.ggml.model", "llama");
    vb_expect(&v, EI_ERR_FORMAT, "tokenizer.ggml.tokens");
    vb_init(&v);
    vb_str(&v, "tokenizer.ggml.model", "llama");
    vb_i32s(&v, "tokenizer.ggml.tokens", spm_types, N_SPM);
    vb_expect(&v, EI_ERR_TYPE, "tokenizer.ggml.tokens");
    vb_init(&v);
    vb_str(&v, "tokenizer.ggml.model", "llama");
    vb_str(&v, "tokenizer.ggml.tokens", "abc");
    vb_expect(&v, EI_ERR_TYPE, "tokenizer.ggml.tokens");
    vb_init(&v);
    vb_str(&v, "tokenizer.ggml.model", "llama");
    vb_strs(&v, "tokenizer.ggml.tokens", spm_tokens, 0);
    vb_expect(&v, EI_ERR_FORMAT, "tokenizer.ggml.tokens");
    /* lengths that differ */
    spm_base(&v, N_SPM, N_SPM - 1, N_SPM);
    vb_expect(&v, EI_ERR_FORMAT, "tokenizer.ggml.scores");
    spm_base(&v, N_SPM, N_SPM, N_SPM + 0);
    vb_expect(&v, EI_OK, NULL);
    spm_base(&v, N_SPM - 1, N_SPM, N_SPM);
    vb_expect(&v, EI_ERR_FORMAT, "tokenizer.ggml.scores");
    spm_base(&v, N_SPM, N_SPM, N_SPM - 2);
    vb_expect(&v, EI_ERR_FORMAT, "tokenizer.ggml.token_type");
    /* element types */
    spm_base(&v, N_SPM, 0, 0);
    vb_strs(&v, "tokenizer.ggml.scores", spm_tokens, N_SPM);
    vb_expect(&v, EI_ERR_TYPE, "tokenizer.ggml.scores");
    spm_base(&v, N_SPM, N_SPM, 0);
    vb_f32s(&v, "tokenizer.ggml.token_type", spm_scores, N_SPM);
    vb_expect(&v, EI_ERR_TYPE, "tokenizer.ggml.token_type");
    /* special ids out of range, negative, of the wrong type */
    const char *id_keys[] = {"tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id",
                             "tokenizer.ggml.unknown_token_id", "tokenizer.ggml.padding_token_id",
                             "tokenizer.ggml.eot_token_id", "tokenizer.ggml.fim_pre_token_id"};
    for (size_t i = 0; i < sizeof id_keys / sizeof id_keys[0]; i++) {
        spm_base(&v, N_SPM, N_SPM, N_SPM);
        vb_u32(&v, id_keys[i], N_SPM);
        vb_expect(&v, EI_ERR_FORMAT, id_keys[i]);
        spm_base(&v, N_SPM, N_SPM, N_SPM);
        vb_u32(&v, id_keys[i], 0xFFFFFFFFu);
        vb_expect(&v, EI_ERR_FORMAT, id_keys[i]);
        spm_base(&v, N_SPM, N_SPM, N_SPM);
        vb_str(&v, id_keys[i], "1");
        vb_expect(&v, EI_ERR_TYPE, id_keys[i]);
    }
    /* add_bos_token without a BOS (the default id 1 is beyond one token)
     * loads, as in llama.cpp; tokenizing adds nothing */
    spm_base(&v, 1, 1, 1);
    vb_bool(&v, "tokenizer.ggml.add_bos_token", 1);
    {
        ei_gguf *g;
        ei_vocab *voc;
        assert_int_equal(vb_load(&v, &g, &voc), EI_OK);
        assert_int_equal(ei_vocab_bos(voc), -1);
        assert_false(ei_vocab_adds_bos(voc));
        int32_t ids[8], n;
        assert_int_equal(ei_vocab_tokenize(voc, "x", 1, true, true, ids, 8, &n), EI_OK);
        /* no BOS; each byte of "\u2581x" has no token nor byte token: unknown */
        assert_int_equal(n, 4);
        for (int i = 0; i < 4; i++) assert_int_equal(ids[i], 0);
        ei_vocab_free(voc);
        ei_gguf_close(g);
        gb_free(&v.b);
    }
    spm_base(&v, N_SPM, N_SPM, N_SPM);
    vb_u32(&v, "tokenizer.ggml.add_bos_token", 1);
    vb_expect(&v, EI_ERR_TYPE, "tokenizer.ggml.add_bos_token");
    /* a duplicate token */
    const char *dup[] = {"<unk>", "a", "b", "a"};
    vb_init(&v);
    vb_str(&v, "tokenizer.ggml.model", "llama");
    vb_strs(&v, "tokenizer.ggml.tokens", dup, 4);
    vb_expect(&v, EI_ERR_FORMAT, "duplicate");
    /* BPE without merges, merges of the wrong type */
    vb_init(&v);
    vb_str(&v, "tokenizer.ggml.model", "gpt2");
    vb_strs(&v, "tokenizer.ggml.tokens", spm_tokens, N_SPM);
    vb_expect(&v, EI_ERR_FORMAT, "tokenizer.ggml.merges");
    vb_init(&v);
    vb_str(&v, "tokenizer.ggml.model", "gpt2");
    vb_strs(&v, "tokenizer.ggml.tokens", spm_tokens, N_SPM);
    vb_i32s(&v, "tokenizer.ggml.merges", spm_types, 3);
    vb_expect(&v, EI_ERR_TYPE, "tokenizer.ggml.merges");
    /* odd but valid: merges without a space, empty tokens, a NUL inside a token */
    const char *odd_merges[] = {"ab", "", " ", "a  b"};
    const char *odd_tokens[] = {"a", "", "b", "ab"};
    vb_init(&v);
    vb_str(&v, "tokenizer.ggml.model", "gpt2");
    vb_strs(&v, "tokenizer.ggml.tokens", odd_tokens, 4);
    vb_strs(&v, "tokenizer.ggml.merges", odd_merges, 4);
    vb_expect(&v, EI_OK, NULL);
    /* a bert vocabulary whose default ids lie beyond it */
    vb_init(&v);
    vb_str(&v, "tokenizer.ggml.model", "bert");
    vb_strs(&v, "tokenizer.ggml.tokens", spm_tokens, N_SPM);
    vb_expect(&v, EI_OK, NULL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vocab_files),
        cmocka_unit_test(test_spm_round_trip),
        cmocka_unit_test(test_default_models),
        cmocka_unit_test(test_speed_report),
        cmocka_unit_test(test_invalid_utf8_never_fails),
        cmocka_unit_test(test_buffers_and_arguments),
        cmocka_unit_test(test_tiny_spm),
        cmocka_unit_test(test_tiny_bpe),
        cmocka_unit_test(test_malformed_vocab),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
