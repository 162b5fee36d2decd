/*
 * test_batch.c — continuous batching: ei_decode_multi decodes one token for
 * each of several contexts in one pass and must give every context the
 * logits and the cache it would have had decoding alone.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "edgeinfer.h"
#include "testutil.h"

#define N_SEQ 3

static const char *arch_model(const char *name) {
    static char buf[1024];
    snprintf(buf, sizeof buf, "%s/models/arch/%s.gguf", EI_BINARY_DIR, name);
    return buf;
}

static float max_abs_diff(const float *a, const float *b, int n) {
    float d = 0;
    for (int i = 0; i < n; i++) {
        float x = fabsf(a[i] - b[i]);
        if (!(x <= d)) d = x; /* NaN shows as NaN */
    }
    return d;
}

/* Sequences of different lengths go on together; after each batched step
 * their logits equal those of a context that decoded the same tokens alone,
 * token by token. */
static void check_model_kv(const char *path, ei_kv_type kv_type) {
    const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    if (!tu_exists(path)) {
        print_message("skipping %s: %s missing (scripts/test.sh writes it)\n", name, path);
        skip();
    }
    ei_model *m;
    assert_int_equal(ei_model_load(path, NULL, &m), EI_OK);
    const int n_vocab = ei_model_n_vocab(m);
    ei_context_params cp = ei_context_default_params();
    cp.n_ctx = 64;
    cp.kv_type = kv_type;
    ei_context *batched[N_SEQ], *alone[N_SEQ];
    uint64_t rng = 7;
    int32_t prompt[N_SEQ][8];
    for (int s = 0; s < N_SEQ; s++) {
        assert_int_equal(ei_context_new(m, &cp, &batched[s]), EI_OK);
        assert_int_equal(ei_context_new(m, &cp, &alone[s]), EI_OK);
        int len = 2 + 3 * s; /* different lengths: rows at different positions */
        for (int i = 0; i < len; i++) prompt[s][i] = (int32_t)(tu_rand_u64(&rng) % (uint64_t)n_vocab);
        assert_int_equal(ei_decode(batched[s], prompt[s], len), EI_OK);
        for (int i = 0; i < len; i++) assert_int_equal(ei_decode(alone[s], &prompt[s][i], 1), EI_OK);
        /* a prompt decoded in one batch leaves the logits (and the cache) of
         * the same tokens decoded one by one: a server that reuses a cached
         * prefix and decodes only the rest answers as it would from scratch */
        const float *a = ei_get_logits(batched[s], -1), *b = ei_get_logits(alone[s], -1);
        assert_non_null(a);
        assert_non_null(b);
        if (memcmp(a, b, sizeof(float) * (size_t)n_vocab))
            fail_msg("%s: prompt of %d: batch and one by one differ by up to %g", name, len, max_abs_diff(a, b, n_vocab));
    }
    for (int step = 0; step < 5; step++) {
        int32_t next[N_SEQ];
        for (int s = 0; s < N_SEQ; s++) next[s] = (int32_t)(tu_rand_u64(&rng) % (uint64_t)n_vocab);
        /* a different order each step: row 0 (the scratch owner) changes */
        ei_context *order[N_SEQ];
        int32_t toks[N_SEQ];
        for (int s = 0; s < N_SEQ; s++) {
            int k = (s + step) % N_SEQ;
            order[s] = batched[k];
            toks[s] = next[k];
        }
        assert_int_equal(ei_decode_multi(order, toks, N_SEQ), EI_OK);
        for (int s = 0; s < N_SEQ; s++) {
            assert_int_equal(ei_decode(alone[s], &next[s], 1), EI_OK);
            assert_int_equal(ei_context_n_past(batched[s]), ei_context_n_past(alone[s]));
            const float *a = ei_get_logits(batched[s], -1), *b = ei_get_logits(alone[s], -1);
            assert_non_null(a);
            assert_non_null(b);
            /* bit for bit: the server counts on it (greedy answers do not
             * depend on the company a request keeps) */
            if (memcmp(a, b, sizeof(float) * (size_t)n_vocab))
                fail_msg("%s: step %d seq %d: logits differ by up to %g", name, step, s, max_abs_diff(a, b, n_vocab));
        }
    }
    /* bad calls: a context twice, a token outside the vocabulary */
    ei_context *twice[2] = {batched[0], batched[0]};
    int32_t t2[2] = {1, 1};
    assert_int_equal(ei_decode_multi(twice, t2, 2), EI_ERR_ARG);
    int32_t bad = n_vocab;
    assert_int_equal(ei_decode_multi(batched, &bad, 1), EI_ERR_ARG);
    assert_int_equal(ei_decode_multi(batched, t2, 0), EI_ERR_ARG);
    for (int s = 0; s < N_SEQ; s++) {
        ei_context_free(batched[s]);
        ei_context_free(alone[s]);
    }
    ei_model_free(m);
}

static void check_model(const char *path) { check_model_kv(path, EI_KV_F16); }

static void test_llama(void **state) {
    (void)state;
    check_model(arch_model("llama"));
}

static void test_gemma3(void **state) { /* sliding window, QK-norm */
    (void)state;
    check_model(arch_model("gemma3"));
}

static void test_qwen2(void **state) { /* biases */
    (void)state;
    check_model(arch_model("qwen2"));
}

static const char *random_llama(void) {
    static char buf[1024];
    snprintf(buf, sizeof buf, "%s/models/random-llama-q8_0.gguf", EI_BINARY_DIR);
    return buf;
}

static void test_cache_types(void **state) { /* the attention paths of the other caches */
    (void)state;
    check_model_kv(arch_model("gemma3"), EI_KV_F32);
    check_model_kv(random_llama(), EI_KV_Q8_0); /* head_dim 32: a whole Q8_0 block */
}

/* head_dim 32: the 8-lane partial sums of attention's scores matter */
static void test_random_llama(void **state) {
    (void)state;
    check_model(random_llama());
}

/* real head sizes (64, 256) and real quantized weights */
static void test_smollm2(void **state) {
    (void)state;
    check_model(tu_default_model("SmolLM2-135M-Instruct.Q4_1.gguf"));
}

static void test_gemma3_270m(void **state) {
    (void)state;
    check_model(tu_default_model("gemma-3-270m-q4_k_m.gguf"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_llama),
        cmocka_unit_test(test_gemma3),
        cmocka_unit_test(test_qwen2),
        cmocka_unit_test(test_cache_types),
        cmocka_unit_test(test_random_llama),
        cmocka_unit_test(test_smollm2),
        cmocka_unit_test(test_gemma3_270m),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
