/*
 * test_parity.c — the whole model against llama.cpp on the same file.
 *
 * For each model with a golden file in tests/data/parity/ (made by
 * tests/golden/make_parity_golden.py from llama.cpp's own logits), decode the
 * same token chunks and compare next-token distributions: mean
 * KL-divergence(llama.cpp || ours) over the golden top-k tokens plus a "rest"
 * bin must stay below 0.002, and the most likely token must agree at 99 % of
 * positions or more. Greedy continuations of a few prompts must be identical.
 *
 * Where llama.cpp does not meet those bars against itself (one batch vs one
 * token at a time, recorded in the golden file: on random-weight models,
 * where many next-token choices are near-ties that rounding alone flips,
 * and on both default models: SmolLM2 Q4_1 and Gemma 3 Q4_K_M measured
 * KLD 0.0038 and 0.0064, same top 96.2 %), the bar is llama.cpp's own: our
 * KLD no larger than its self-KLD, our agreement at most two points below
 * its self-agreement (about five standard errors over 2000 positions).
 * Likewise a greedy continuation is compared up to the first step where
 * llama.cpp's two best tokens are closer than three times llama.cpp's own
 * logit noise (sqrt(2 KLD) estimates its spread; at least TIE_MARGIN): a
 * near-tie either engine may break either way. The number of steps compared
 * is printed.
 *
 * Models: the default models from the cache (models/fetch.sh) and the
 * random-weight Llamas (Q8_0; the ten read-only types in turn; the K-quants
 * and IQ4_XS in turn) written by
 * tests/golden/make_random_model.py into the
 * build directory by scripts/test.sh. Absent models skip. The sanitized
 * build skips this test: it would take too long there, and the same code
 * paths run under the sanitizers in test_model.c on a tiny model.
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

#include "edgeinfer.h"
#include "testutil.h"

#define KLD_MAX 0.002
#define SAME_TOP_MIN 0.99
#define TIE_MARGIN 0.1f /* logit gap (10 % in probability) below which the best token is a near-tie */

typedef struct reader {
    const unsigned char *p;
    size_t size, pos;
} reader;

static uint32_t rd_u32(reader *r) {
    uint32_t v = 0;
    if (r->pos + 4 <= r->size) memcpy(&v, r->p + r->pos, 4);
    r->pos += 4;
    return v;
}

static const void *rd_bytes(reader *r, size_t n) {
    const void *p = r->pos + n <= r->size ? r->p + r->pos : NULL;
    r->pos += n;
    return p;
}

#ifdef EI_TEST_SANITIZED
static const int sanitized = 1;
#else
static const int sanitized = 0;
#endif

static void run_parity(const char *golden_name, const char *model_path) {
    if (sanitized) skip();
    char gpath[1024];
    snprintf(gpath, sizeof gpath, "%s/tests/data/parity/%s", EI_SOURCE_DIR, golden_name);
    size_t gsize;
    unsigned char *gbuf = tu_read_file(gpath, &gsize);
    if (!gbuf || !tu_exists(model_path)) {
        free(gbuf);
        print_message("skipping %s: %s missing\n", golden_name, gbuf ? model_path : gpath);
        skip();
    }
    reader r = {gbuf, gsize, 0};
    const char *magic = rd_bytes(&r, 4);
    assert_non_null(magic);
    assert_memory_equal(magic, "EIPG", 4);
    assert_int_equal(rd_u32(&r), 2);
    uint32_t n_vocab = rd_u32(&r), top_k = rd_u32(&r), n_chunks = rd_u32(&r);
    float self_kld, self_same;
    memcpy(&self_kld, rd_bytes(&r, 4), 4);
    memcpy(&self_same, rd_bytes(&r, 4), 4);
    double same_min = self_same - 0.02 < SAME_TOP_MIN ? self_same - 0.02 : SAME_TOP_MIN;
    float tie_margin = 3.0f * sqrtf(2.0f * self_kld) > TIE_MARGIN ? 3.0f * sqrtf(2.0f * self_kld) : TIE_MARGIN;
    double kld_max_allowed = self_kld > KLD_MAX ? self_kld : KLD_MAX;

    ei_model *m;
    ei_model_params mp = ei_model_default_params();
    if (ei_model_load(model_path, &mp, &m)) fail_msg("%s", ei_last_error());
    assert_int_equal(ei_model_n_vocab(m), (int)n_vocab);

    double kld_sum = 0, kld_max = 0;
    long positions = 0, same_top = 0;
    ei_context *ctx = NULL;
    for (uint32_t c = 0; c < n_chunks; c++) {
        uint32_t n = rd_u32(&r);
        const int32_t *toks = rd_bytes(&r, (size_t)n * 4);
        assert_non_null(toks);
        if (!ctx) {
            ei_context_params cp = ei_context_default_params();
            cp.n_ctx = (int32_t)n;
            cp.logits_all = true;
            if (ei_context_new(m, &cp, &ctx)) fail_msg("%s", ei_last_error());
        }
        assert_int_equal(ei_context_truncate(ctx, 0), EI_OK);
        int32_t *copy = malloc(n * sizeof *copy);
        memcpy(copy, toks, n * sizeof *copy);
        if (ei_decode(ctx, copy, (int32_t)n)) fail_msg("%s", ei_last_error());
        free(copy);
        for (uint32_t i = 0; i + 1 < n; i++) {
            const int32_t *ids = rd_bytes(&r, top_k * 4);
            const float *lp = rd_bytes(&r, top_k * 4);
            const float *lp_rest = rd_bytes(&r, 4);
            assert_non_null(lp_rest);
            const float *logits = ei_get_logits(ctx, (int32_t)i);
            assert_non_null(logits);
            double mx = -INFINITY, sum = 0;
            int32_t best = 0;
            for (uint32_t t = 0; t < n_vocab; t++)
                if (logits[t] > mx) {
                    mx = logits[t];
                    best = (int32_t)t;
                }
            for (uint32_t t = 0; t < n_vocab; t++) sum += exp(logits[t] - mx);
            double lse = mx + log(sum), q_top = 0, kld = 0;
            for (uint32_t k = 0; k < top_k; k++) {
                int32_t id;
                float l;
                memcpy(&id, &ids[k], 4);
                memcpy(&l, &lp[k], 4);
                double lq = logits[id] - lse;
                q_top += exp(lq);
                kld += exp(l) * (l - lq);
            }
            float lr;
            memcpy(&lr, lp_rest, 4);
            double q_rest = 1.0 - q_top;
            if (q_rest < 1e-30) q_rest = 1e-30;
            kld += exp(lr) * (lr - log(q_rest));
            kld_sum += kld;
            if (kld > kld_max) kld_max = kld;
            int32_t ref_best;
            memcpy(&ref_best, &ids[0], 4);
            same_top += best == ref_best;
            positions++;
        }
    }
    double mean = kld_sum / positions, same = (double)same_top / positions;
    print_message("%s: %ld positions, mean KLD %.6f (max %.4f), same top %.2f%% "
                  "(llama.cpp against itself: KLD %.6f, same top %.2f%%)\n",
                  golden_name, positions, mean, kld_max, 100 * same, self_kld, 100 * self_same);
    assert_true(mean < kld_max_allowed);
    assert_true(same >= same_min);

    /* greedy continuations */
    uint32_t n_prompts = rd_u32(&r);
    for (uint32_t pi = 0; pi < n_prompts; pi++) {
        uint32_t n = rd_u32(&r);
        const int32_t *prompt = rd_bytes(&r, (size_t)n * 4);
        uint32_t g = rd_u32(&r);
        const int32_t *want = rd_bytes(&r, (size_t)g * 4);
        const float *margin = rd_bytes(&r, (size_t)g * 4);
        assert_non_null(margin);
        ei_context *gc;
        ei_context_params cp = ei_context_default_params();
        cp.n_ctx = (int32_t)(n + g + 1);
        assert_int_equal(ei_context_new(m, &cp, &gc), EI_OK);
        int32_t *buf = malloc((n > 1 ? n : 1) * sizeof *buf);
        memcpy(buf, prompt, n * sizeof *buf);
        if (ei_decode(gc, buf, (int32_t)n)) fail_msg("%s", ei_last_error());
        free(buf);
        uint32_t k = 0;
        for (; k < g; k++) {
            float mk;
            memcpy(&mk, &margin[k], 4);
            if (mk < tie_margin) break;
            const float *logits = ei_get_logits(gc, -1);
            int32_t best = 0;
            for (int32_t t = 1; t < (int32_t)n_vocab; t++)
                if (logits[t] > logits[best]) best = t;
            int32_t w;
            memcpy(&w, &want[k], 4);
            if (best != w) fail_msg("%s: prompt %u differs at generated token %u: %d, llama.cpp %d", golden_name, pi, k,
                                    best, w);
            if (k + 1 < g && ei_decode(gc, &best, 1)) fail_msg("%s", ei_last_error());
        }
        print_message("%s: prompt %u: %u of %u greedy tokens identical%s\n", golden_name, pi, k, g,
                      k < g ? " (then a near-tie)" : "");
        ei_context_free(gc);
    }
    assert_int_equal(r.pos, gsize); /* the whole golden file was read */
    ei_context_free(ctx);
    ei_model_free(m);
    free(gbuf);
}

static void test_parity_random_llama(void **state) {
    (void)state;
    char path[1024];
    snprintf(path, sizeof path, "%s/models/random-llama-q8_0.gguf", EI_BINARY_DIR);
    run_parity("random-llama-q8_0.bin", path);
}

/* Every read-only type (IQ1-IQ3, TQ, MXFP4) in one model: random blocks,
 * ten types in turn over the matrices (make_random_model.py --type iq-mix). */
static void test_parity_random_llama_iq(void **state) {
    (void)state;
    char path[1024];
    snprintf(path, sizeof path, "%s/models/random-llama-iq-mix.gguf", EI_BINARY_DIR);
    run_parity("random-llama-iq-mix.bin", path);
}

/* The K-quants and IQ4_XS in one model (make_random_model.py --type k-mix):
 * the packed Q2_K/Q4_K/Q5_K/Q6_K kernels and the unpacked Q3_K/IQ4_XS
 * prompt path against llama.cpp. */
static void test_parity_random_llama_k(void **state) {
    (void)state;
    char path[1024];
    snprintf(path, sizeof path, "%s/models/random-llama-k-mix.gguf", EI_BINARY_DIR);
    run_parity("random-llama-k-mix.bin", path);
}

static void test_parity_smollm2(void **state) {
    (void)state;
    run_parity("smollm2-135m.bin", tu_default_model("SmolLM2-135M-Instruct.Q4_1.gguf"));
}

static void test_parity_gemma3(void **state) {
    (void)state;
    run_parity("gemma3-270m.bin", tu_default_model("gemma-3-270m-q4_k_m.gguf"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parity_random_llama),
        cmocka_unit_test(test_parity_random_llama_iq),
        cmocka_unit_test(test_parity_random_llama_k),
        cmocka_unit_test(test_parity_smollm2),
        cmocka_unit_test(test_parity_gemma3),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
