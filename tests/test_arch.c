/*
 * test_arch.c — every architecture's forward pass against llama.cpp, on tiny
 * random-weight models (tests/golden/make_arch_models.py writes them into
 * the build directory; llama.cpp's logits for them are in tests/data/arch/).
 * Also: batch and one-token-at-a-time decoding agree, the thread count does
 * not change a bit, and broken models and bad calls fail with clear errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "edgeinfer.h"
#include "testutil.h"

static const char *model_path(const char *arch) {
    static char buf[1024];
    snprintf(buf, sizeof buf, "%s/models/arch/%s.gguf", EI_BINARY_DIR, arch);
    return buf;
}

typedef struct golden {
    unsigned char *buf;
    uint32_t n_vocab, n_tokens, n_gen;
    const int32_t *tokens;
    const float *logits; /* (n_tokens, n_vocab) */
    const int32_t *gen;
} golden;

static int load_golden(const char *arch, golden *g) {
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/data/arch/%s.logits", EI_SOURCE_DIR, arch);
    size_t size;
    g->buf = tu_read_file(path, &size);
    if (!g->buf) return 0;
    assert_true(size >= 16);
    assert_memory_equal(g->buf, "EIAL", 4);
    uint32_t h[3];
    memcpy(h, g->buf + 4, 12);
    assert_int_equal(h[0], 1);
    g->n_vocab = h[1];
    g->n_tokens = h[2];
    size_t off = 16;
    g->tokens = (const int32_t *)(g->buf + off);
    off += 4 * (size_t)g->n_tokens;
    g->logits = (const float *)(g->buf + off);
    off += 4 * (size_t)g->n_tokens * g->n_vocab;
    memcpy(&g->n_gen, g->buf + off, 4);
    g->gen = (const int32_t *)(g->buf + off + 4);
    assert_int_equal(off + 4 + 4 * (size_t)g->n_gen, size);
    return 1;
}

/* KL(p || q) of two logit rows. */
static double kld(const float *p, const float *q, int n) {
    double mp = -INFINITY, mq = -INFINITY, sp = 0, sq = 0;
    for (int i = 0; i < n; i++) {
        if (p[i] > mp) mp = p[i];
        if (q[i] > mq) mq = q[i];
    }
    for (int i = 0; i < n; i++) {
        sp += exp(p[i] - mp);
        sq += exp(q[i] - mq);
    }
    double lp = mp + log(sp), lq = mq + log(sq), k = 0;
    for (int i = 0; i < n; i++) k += exp(p[i] - lp) * ((p[i] - lp) - (q[i] - lq));
    return k;
}

static int argmax(const float *x, int n) {
    int b = 0;
    for (int i = 1; i < n; i++)
        if (x[i] > x[b]) b = i;
    return b;
}

static void check_arch(const char *arch) {
    golden g = {0};
    if (!load_golden(arch, &g) || !tu_exists(model_path(arch))) {
        print_message("skipping %s: model or golden logits missing (scripts/test.sh writes the models)\n", arch);
        free(g.buf);
        skip();
    }
    ei_model *m;
    ei_model_params mp = ei_model_default_params();
    mp.n_threads = 2;
    if (ei_model_load(model_path(arch), &mp, &m)) fail_msg("%s: %s", arch, ei_last_error());
    assert_string_equal(ei_model_arch(m), arch);
    assert_int_equal(ei_model_n_vocab(m), (int)g.n_vocab);

    ei_context *c;
    ei_context_params cp = ei_context_default_params();
    cp.n_ctx = 64;
    cp.logits_all = true;
    assert_int_equal(ei_context_new(m, &cp, &c), EI_OK);
    int32_t toks[64];
    memcpy(toks, g.tokens, g.n_tokens * sizeof *toks);
    if (ei_decode(c, toks, (int32_t)g.n_tokens)) fail_msg("%s", ei_last_error());
    double worst = 0, max_diff = 0;
    for (uint32_t i = 0; i < g.n_tokens; i++) {
        const float *ours = ei_get_logits(c, (int32_t)i), *ref = g.logits + (size_t)i * g.n_vocab;
        assert_non_null(ours);
        double k = kld(ref, ours, (int)g.n_vocab);
        if (k > worst) worst = k;
        for (uint32_t t = 0; t < g.n_vocab; t++) {
            assert_true(isfinite(ours[t]));
            double d = fabs((double)ours[t] - ref[t]);
            if (d > max_diff) max_diff = d;
        }
        if (argmax(ours, (int)g.n_vocab) != argmax(ref, (int)g.n_vocab))
            print_message("%s: position %u top token differs\n", arch, i);
    }
    print_message("%s: worst KLD %.2e, max |logit diff| %.2e\n", arch, worst, max_diff);
    assert_true(worst < 1e-4);
    ei_context_free(c);

    /* one token at a time gives the same logits (within f16 cache rounding,
     * which is identical on both paths: exact here) and continues greedily
     * exactly like llama.cpp */
    cp.logits_all = false;
    assert_int_equal(ei_context_new(m, &cp, &c), EI_OK);
    for (uint32_t i = 0; i < g.n_tokens; i++) assert_int_equal(ei_decode(c, &toks[i], 1), EI_OK);
    for (uint32_t k = 0; k < g.n_gen; k++) {
        int32_t t = argmax(ei_get_logits(c, -1), (int)g.n_vocab);
        assert_int_equal(t, g.gen[k]);
        assert_int_equal(ei_decode(c, &t, 1), EI_OK);
    }
    ei_context_free(c);
    ei_model_free(m);
    free(g.buf);
}

static void test_llama(void **s) { (void)s; check_arch("llama"); }
static void test_qwen2(void **s) { (void)s; check_arch("qwen2"); }
static void test_qwen3(void **s) { (void)s; check_arch("qwen3"); }
static void test_gemma(void **s) { (void)s; check_arch("gemma"); }
static void test_gemma2(void **s) { (void)s; check_arch("gemma2"); }
static void test_gemma3(void **s) { (void)s; check_arch("gemma3"); }
static void test_phi3(void **s) { (void)s; check_arch("phi3"); }

/* Same logits, bit for bit, with 1 and 3 threads. */
static void test_threads_do_not_change_results(void **state) {
    (void)state;
    if (!tu_exists(model_path("gemma3"))) skip();
    float *out[2];
    int n_vocab = 0;
    for (int run = 0; run < 2; run++) {
        ei_model *m;
        ei_model_params mp = ei_model_default_params();
        mp.n_threads = run == 0 ? 1 : 3;
        assert_int_equal(ei_model_load(model_path("gemma3"), &mp, &m), EI_OK);
        ei_context *c;
        assert_int_equal(ei_context_new(m, NULL, &c), EI_OK);
        int32_t toks[12] = {1, 40, 41, 42, 300, 301, 5, 6, 7, 8, 9, 10};
        assert_int_equal(ei_decode(c, toks, 12), EI_OK);
        n_vocab = ei_model_n_vocab(m);
        out[run] = malloc((size_t)n_vocab * sizeof(float));
        memcpy(out[run], ei_get_logits(c, -1), (size_t)n_vocab * sizeof(float));
        ei_context_free(c);
        ei_model_free(m);
    }
    assert_memory_equal(out[0], out[1], (size_t)n_vocab * sizeof(float));
    free(out[0]);
    free(out[1]);
}

/* Copy a model through the writer, changing one thing. */
static const char *copy_model(const char *src, const char *set_arch, const char *drop_key, const char *drop_tensor,
                              const char *reshape_tensor) {
    ei_gguf *g;
    assert_int_equal(ei_gguf_open(src, &g), EI_OK);
    ei_gguf_writer *w;
    assert_int_equal(ei_gguf_writer_new(&w), EI_OK);
    for (int64_t i = 0; i < ei_gguf_n_kv(g); i++) {
        const char *key = ei_gguf_kv_key(g, i);
        if (drop_key && !strcmp(key, drop_key)) continue;
        assert_int_equal(ei_gguf_writer_set_value(w, key, ei_gguf_kv_value(g, i)), EI_OK);
    }
    if (set_arch) assert_int_equal(ei_gguf_writer_set_str(w, "general.architecture", set_arch), EI_OK);
    for (int64_t i = 0; i < ei_gguf_n_tensors(g); i++) {
        const ei_tensor_info *t = ei_gguf_tensor(g, i);
        if (drop_tensor && !strcmp(t->name, drop_tensor)) continue;
        int64_t ne[4] = {t->ne[0], t->ne[1], t->ne[2], t->ne[3]};
        uint32_t nd = t->n_dims;
        if (reshape_tensor && !strcmp(t->name, reshape_tensor)) { /* same bytes, rows halved and doubled */
            ne[0] /= 2;
            ne[1] *= 2;
        }
        assert_int_equal(ei_gguf_writer_add_tensor(w, t->name, t->type, nd, ne, t->data), EI_OK);
    }
    const char *out = tu_temp_path("broken.gguf");
    assert_int_equal(ei_gguf_writer_write(w, out), EI_OK);
    ei_gguf_writer_free(w);
    ei_gguf_close(g);
    return out;
}

static void expect_load_error(const char *path, ei_status want, const char *needle) {
    ei_model *m = NULL;
    ei_status s = ei_model_load(path, NULL, &m);
    assert_null(m);
    if (s != want || !strstr(ei_last_error(), needle))
        fail_msg("want status %d with \"%s\", got %d: %s", want, needle, s, ei_last_error());
    unlink(path);
}

static void test_broken_models(void **state) {
    (void)state;
    const char *src = model_path("llama");
    if (!tu_exists(src)) skip();
    expect_load_error(copy_model(src, "mamba", NULL, NULL, NULL), EI_ERR_UNSUPPORTED, "mamba");
    expect_load_error(copy_model(src, NULL, "llama.block_count", NULL, NULL), EI_ERR_FORMAT, "llama.block_count");
    expect_load_error(copy_model(src, NULL, "general.architecture", NULL, NULL), EI_ERR_FORMAT,
                      "general.architecture");
    expect_load_error(copy_model(src, NULL, NULL, "blk.1.attn_q.weight", NULL), EI_ERR_FORMAT, "blk.1.attn_q.weight");
    expect_load_error(copy_model(src, NULL, NULL, NULL, "blk.0.ffn_up.weight"), EI_ERR_FORMAT, "blk.0.ffn_up.weight");
    /* a vocabulary-only file is not a model */
    char vocab[1024];
    snprintf(vocab, sizeof vocab, "%s/testdata/vocab/ggml-vocab-llama-spm.gguf", EI_SHARED_DIR);
    if (tu_exists(vocab)) {
        ei_model *m = NULL;
        assert_int_not_equal(ei_model_load(vocab, NULL, &m), EI_OK);
        assert_non_null(strstr(ei_last_error(), "token_embd.weight"));
    }
}

static void test_bad_decode_calls(void **state) {
    (void)state;
    if (!tu_exists(model_path("llama"))) skip();
    ei_model *m;
    assert_int_equal(ei_model_load(model_path("llama"), NULL, &m), EI_OK);
    ei_context *c;
    ei_context_params cp = ei_context_default_params();
    cp.n_ctx = 16;
    assert_int_equal(ei_context_new(m, &cp, &c), EI_OK);
    int32_t toks[20];
    for (int i = 0; i < 20; i++) toks[i] = 3 + i;
    /* longer than the context: refused, nothing cached */
    assert_int_equal(ei_decode(c, toks, 20), EI_ERR_ARG);
    assert_non_null(strstr(ei_last_error(), "16"));
    assert_int_equal(ei_context_n_past(c), 0);
    /* empty batch, bad ids */
    assert_int_equal(ei_decode(c, toks, 0), EI_ERR_ARG);
    int32_t bad[2] = {5, 320};
    assert_int_equal(ei_decode(c, bad, 2), EI_ERR_ARG);
    bad[1] = -1;
    assert_int_equal(ei_decode(c, bad, 2), EI_ERR_ARG);
    assert_int_equal(ei_context_n_past(c), 0);
    assert_null(ei_get_logits(c, -1));
    /* fill exactly, then one more is refused */
    assert_int_equal(ei_decode(c, toks, 16), EI_OK);
    assert_int_equal(ei_context_n_past(c), 16);
    assert_int_equal(ei_decode(c, toks, 1), EI_ERR_ARG);
    assert_null(ei_get_logits(c, 1)); /* only the last row is kept */
    assert_non_null(ei_get_logits(c, 0));
    /* truncating reuses the prefix: same logits as a fresh decode */
    float *a = malloc(320 * sizeof(float));
    memcpy(a, ei_get_logits(c, -1), 320 * sizeof(float));
    assert_int_equal(ei_context_truncate(c, 8), EI_OK);
    assert_int_equal(ei_decode(c, toks + 8, 8), EI_OK);
    assert_memory_equal(a, ei_get_logits(c, -1), 320 * sizeof(float));
    assert_int_equal(ei_context_truncate(c, 17), EI_ERR_ARG);
    free(a);
    ei_context_free(c);
    ei_model_free(m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_llama),
        cmocka_unit_test(test_qwen2),
        cmocka_unit_test(test_qwen3),
        cmocka_unit_test(test_gemma),
        cmocka_unit_test(test_gemma2),
        cmocka_unit_test(test_gemma3),
        cmocka_unit_test(test_phi3),
        cmocka_unit_test(test_threads_do_not_change_results),
        cmocka_unit_test(test_broken_models),
        cmocka_unit_test(test_bad_decode_calls),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
