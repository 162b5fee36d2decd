/*
 * test_sampler.c — the sampling chain, stage by stage, on logits built to
 * have known softmax probabilities: greedy and its tie rule, temperature,
 * top-k (heap and quickselect paths, up to Gemma 3's 262144 tokens), top-p
 * (including the chunked partial sort), min-p, locally typical sampling,
 * repetition / frequency / presence penalties over the last N tokens, logit
 * bias and bans, seeding and reset, the empirical distribution against
 * softmax, invalid parameters, and NaN / +-inf logits.
 *
 * Draws use fixed seeds, so every statistical check is deterministic; the
 * tolerances are still set at several standard deviations so that a change
 * of generator would not turn them into false failures.
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
#include <time.h>

#include "edgeinfer.h"
#include "sample/rng.h"
#include "testutil.h"

/* ---- helpers ------------------------------------------------------------ */

/* Temperature 1 and every truncation stage off: a plain softmax draw. */
static ei_sampler_params plain(void) {
    ei_sampler_params p = ei_sampler_default_params();
    p.temperature = 1.0f;
    p.top_k = 0;
    p.top_p = 1.0f;
    p.min_p = 0.0f;
    p.typical_p = 1.0f;
    return p;
}

static ei_sampler *make(const ei_sampler_params *p, int32_t n_vocab) {
    ei_sampler *s = NULL;
    assert_int_equal(ei_sampler_new(p, n_vocab, &s), EI_OK);
    assert_non_null(s);
    return s;
}

static int32_t one(ei_sampler *s, const float *logits) {
    int32_t t = -2;
    assert_int_equal(ei_sampler_sample(s, logits, &t), EI_OK);
    return t;
}

/* counts[n_vocab] += how often each token is drawn in `draws` samples. */
static void histogram(ei_sampler *s, const float *logits, int32_t n_vocab, int draws, int *counts) {
    memset(counts, 0, (size_t)n_vocab * sizeof *counts);
    for (int i = 0; i < draws; i++) {
        int32_t t = one(s, logits);
        assert_true(t >= 0 && t < n_vocab);
        counts[t]++;
    }
}

static void logits_of(const double *probs, int n, float *logits) {
    for (int i = 0; i < n; i++) logits[i] = probs[i] > 0 ? (float)log(probs[i]) : -INFINITY;
}

static void random_logits(float *l, int32_t n, float scale, uint64_t seed) {
    uint64_t st = seed;
    for (int32_t i = 0; i < n; i++) l[i] = scale * tu_rand_f32(&st);
}

static int32_t argmax(const float *l, int32_t n) {
    int32_t b = 0;
    for (int32_t i = 1; i < n; i++)
        if (l[i] > l[b]) b = i;
    return b;
}

/* in_top[i] = 1 if token i is among the k best (logit desc, id asc). */
static const float *g_sort_logits;
static int cmp_idx(const void *x, const void *y) {
    int32_t a = *(const int32_t *)x, b = *(const int32_t *)y;
    if (g_sort_logits[a] != g_sort_logits[b]) return g_sort_logits[a] > g_sort_logits[b] ? -1 : 1;
    return (a > b) - (a < b);
}
static unsigned char *top_set(const float *l, int32_t n, int32_t k) {
    int32_t *idx = malloc((size_t)n * sizeof *idx);
    unsigned char *in = calloc((size_t)n, 1);
    assert_non_null(idx);
    assert_non_null(in);
    for (int32_t i = 0; i < n; i++) idx[i] = i;
    g_sort_logits = l;
    qsort(idx, (size_t)n, sizeof *idx, cmp_idx);
    for (int32_t i = 0; i < k; i++) in[idx[i]] = 1;
    free(idx);
    return in;
}

static double softmax_at(const float *l, int n, int i, double temp) {
    double mx = l[argmax(l, n)], sum = 0;
    for (int j = 0; j < n; j++) sum += exp((l[j] - mx) / temp);
    return exp((l[i] - mx) / temp) / sum;
}

/* ---- defaults and the generator ----------------------------------------- */

static void test_defaults(void **state) {
    (void)state;
    ei_sampler_params p = ei_sampler_default_params();
    assert_float_equal(p.temperature, 0.8f, 0);
    assert_int_equal(p.top_k, 40);
    assert_float_equal(p.top_p, 0.95f, 0);
    assert_float_equal(p.min_p, 0.05f, 0);
    assert_float_equal(p.typical_p, 1.0f, 0);
    assert_float_equal(p.repeat_penalty, 1.0f, 0);
    assert_float_equal(p.frequency_penalty, 0.0f, 0);
    assert_float_equal(p.presence_penalty, 0.0f, 0);
    assert_int_equal(p.penalty_last_n, 64);
    assert_null(p.logit_bias);
    assert_int_equal(p.n_logit_bias, 0);
}

/* The published reference outputs: splitmix64 from 0, xoshiro256** from
 * state {1, 2, 3, 4}. Same numbers here means same draws everywhere. */
static void test_rng_reference_vectors(void **state) {
    (void)state;
    uint64_t x = 0;
    assert_true(ei_splitmix64(&x) == 0xE220A8397B1DCDAFull);
    assert_true(ei_splitmix64(&x) == 0x6E789E6AA1B965F4ull);
    assert_true(ei_splitmix64(&x) == 0x06C45D188009454Full);
    ei_rng r = {{1, 2, 3, 4}};
    assert_true(ei_rng_next(&r) == 11520ull);
    assert_true(ei_rng_next(&r) == 0ull);
    assert_true(ei_rng_next(&r) == 1509978240ull);
    assert_true(ei_rng_next(&r) == 1215971899390074240ull);
    ei_rng_seed(&r, 42);
    for (int i = 0; i < 1000; i++) {
        double u = ei_rng_uniform(&r);
        assert_true(u >= 0.0 && u < 1.0);
    }
}

/* ---- greedy and temperature --------------------------------------------- */

static void test_greedy_is_argmax(void **state) {
    (void)state;
    enum { N = 1000 };
    float l[N];
    ei_sampler_params p = ei_sampler_default_params();
    for (int neg = 0; neg < 2; neg++) {
        p.temperature = neg ? -1.0f : 0.0f;
        ei_sampler *s = make(&p, N);
        for (uint64_t seed = 1; seed <= 20; seed++) {
            random_logits(l, N, 10.0f, seed);
            assert_int_equal(one(s, l), argmax(l, N));
        }
        ei_sampler_free(s);
    }
}

static void test_greedy_ties_lowest_id(void **state) {
    (void)state;
    ei_sampler_params p = ei_sampler_default_params();
    p.temperature = 0.0f;
    ei_sampler *s = make(&p, 6);
    const float a[6] = {1, 5, 3, 5, 5, 0};
    assert_int_equal(one(s, a), 1);
    const float b[6] = {2, 2, 2, 2, 2, 2};
    assert_int_equal(one(s, b), 0);
    ei_sampler_free(s);
}

/* With a gap of at least 1e-3 between the two best, temperature 1e-6 puts
 * exp(-1000) = 0 on everything but the argmax. */
static void test_temperature_to_zero_is_greedy(void **state) {
    (void)state;
    enum { N = 500 };
    float l[N];
    for (int variant = 0; variant < 2; variant++) {
        ei_sampler_params p = variant ? plain() : ei_sampler_default_params();
        p.temperature = 1e-6f;
        ei_sampler *s = make(&p, N);
        int checked = 0;
        for (uint64_t seed = 1; seed <= 60; seed++) {
            random_logits(l, N, 10.0f, seed);
            int32_t b = argmax(l, N);
            float second = -INFINITY;
            for (int i = 0; i < N; i++)
                if (i != b && l[i] > second) second = l[i];
            if (l[b] - second < 1e-3f) continue;
            for (int r = 0; r < 10; r++) assert_int_equal(one(s, l), b);
            checked++;
        }
        assert_true(checked > 30);
        ei_sampler_free(s);
    }
}

static void test_temperature_scales_distribution(void **state) {
    (void)state;
    enum { N = 6, DRAWS = 20000 };
    float l[N];
    int h[N];
    random_logits(l, N, 2.0f, 77);
    const float temps[] = {0.5f, 2.0f};
    for (int t = 0; t < 2; t++) {
        ei_sampler_params p = plain();
        p.temperature = temps[t];
        p.seed = 1234 + (uint64_t)t;
        ei_sampler *s = make(&p, N);
        histogram(s, l, N, DRAWS, h);
        for (int i = 0; i < N; i++)
            assert_true(fabs((double)h[i] / DRAWS - softmax_at(l, N, i, temps[t])) < 0.015);
        ei_sampler_free(s);
    }
}

/* ---- top-k -------------------------------------------------------------- */

static void test_top_k_1_is_greedy(void **state) {
    (void)state;
    enum { N = 3000 };
    float l[N];
    ei_sampler_params p = plain();
    p.top_k = 1;
    p.temperature = 5.0f;
    ei_sampler *s = make(&p, N);
    for (uint64_t seed = 1; seed <= 30; seed++) {
        random_logits(l, N, 1.0f, seed);
        for (int r = 0; r < 5; r++) assert_int_equal(one(s, l), argmax(l, N));
    }
    ei_sampler_free(s);
}

/* Exactly the k best ever come out, and each of them does. */
static void check_top_k(int32_t n, int32_t k, float scale, int draws, int all_must_appear) {
    float *l = malloc((size_t)n * sizeof *l);
    int *h = malloc((size_t)n * sizeof *h);
    assert_non_null(l);
    assert_non_null(h);
    random_logits(l, n, scale, 1000 + (uint64_t)k);
    unsigned char *in = top_set(l, n, k);
    ei_sampler_params p = plain();
    p.top_k = k;
    p.seed = 99;
    ei_sampler *s = make(&p, n);
    histogram(s, l, n, draws, h);
    int seen = 0;
    for (int32_t i = 0; i < n; i++) {
        if (!in[i]) assert_int_equal(h[i], 0);
        else seen += h[i] > 0;
    }
    if (all_must_appear) assert_int_equal(seen, k);
    else assert_true(seen > 0);
    ei_sampler_free(s);
    free(in);
    free(h);
    free(l);
}

static void test_top_k_keeps_exactly_k(void **state) {
    (void)state;
    check_top_k(100, 7, 1.0f, 5000, 1);        /* heap path */
    check_top_k(262144, 40, 1.0f, 1500, 1);    /* heap path, Gemma 3's vocabulary */
    check_top_k(20000, 5000, 0.01f, 800, 0);  /* quickselect path */
    check_top_k(20000, 19999, 0.01f, 800, 0); /* all but one */
}

static void test_top_k_ties_lowest_ids(void **state) {
    (void)state;
    enum { N = 10 };
    float l[N] = {0};
    int h[N];
    ei_sampler_params p = plain();
    p.top_k = 3;
    ei_sampler *s = make(&p, N);
    histogram(s, l, N, 3000, h);
    for (int i = 0; i < N; i++) {
        if (i < 3) assert_true(h[i] > 800);
        else assert_int_equal(h[i], 0);
    }
    ei_sampler_free(s);
    /* the same through the quickselect path */
    enum { M = 10000 };
    float *big = calloc(M, sizeof *big);
    int *hb = malloc(M * sizeof *hb);
    assert_non_null(big);
    assert_non_null(hb);
    p.top_k = 5000;
    s = make(&p, M);
    histogram(s, big, M, 5000, hb);
    for (int i = 5000; i < M; i++) assert_int_equal(hb[i], 0);
    ei_sampler_free(s);
    free(hb);
    free(big);
}

/* ---- top-p, min-p, typical ---------------------------------------------- */

/* Tokens with probabilities probs[] placed at ids perm[] of a vocabulary of n. */
static void place(const double *probs, const int *perm, int n, float *l) {
    double q[16] = {0};
    for (int i = 0; i < n; i++) q[perm[i]] = probs[i];
    logits_of(q, n, l);
}

static void test_top_p_smallest_set(void **state) {
    (void)state;
    enum { N = 5, DRAWS = 6000 };
    const double probs[N] = {0.5, 0.25, 0.125, 0.0625, 0.0625};
    const int perm[N] = {3, 0, 4, 1, 2}; /* prob rank -> token id */
    float l[N];
    int h[N];
    place(probs, perm, N, l);
    /* cumulative mass: 0.5, 0.75, 0.875, 0.9375, 1 */
    const float ps[] = {0.3f, 0.7f, 0.8f, 0.9f, 0.99f};
    const int keep[] = {1, 2, 3, 4, 5};
    for (int c = 0; c < 5; c++) {
        ei_sampler_params p = plain();
        p.top_p = ps[c];
        ei_sampler *s = make(&p, N);
        histogram(s, l, N, DRAWS, h);
        double kept = 0;
        for (int r = 0; r < keep[c]; r++) kept += probs[r];
        for (int r = 0; r < N; r++) {
            int t = perm[r];
            if (r >= keep[c]) assert_int_equal(h[t], 0);
            else assert_true(fabs((double)h[t] / DRAWS - probs[r] / kept) < 0.025);
        }
        ei_sampler_free(s);
    }
}

/* Without top-k the nucleus is found by partial sorting in growing chunks;
 * here it is 900 tokens deep (past the first chunk of 256 and the next of
 * 1024 only partly), made of tied logits, so the lowest 900 ids of the tie
 * are kept. */
static void test_top_p_deep_nucleus(void **state) {
    (void)state;
    enum { N = 5000, DRAWS = 20000 };
    float *l = malloc(N * sizeof *l);
    int *h = malloc(N * sizeof *h);
    assert_non_null(l);
    assert_non_null(h);
    for (int i = 0; i < N; i++) l[i] = -30.0f;
    for (int i = 0; i < 1000; i++) l[2 * i] = 0.0f; /* even ids 0..1998: p ~ 1/1000 each */
    ei_sampler_params p = plain();
    p.top_p = 0.8995f; /* reached by the 900th tied token */
    ei_sampler *s = make(&p, N);
    histogram(s, l, N, DRAWS, h);
    int max_seen = -1, distinct = 0;
    for (int i = 0; i < N; i++) {
        if (!h[i]) continue;
        assert_true(i % 2 == 0 && i <= 1798);
        max_seen = i;
        distinct++;
    }
    assert_true(max_seen >= 1790);
    assert_true(distinct > 880);
    ei_sampler_free(s);
    free(h);
    free(l);
}

/* Random logits against a brute-force nucleus (sort everything, walk the
 * cumulative mass): through the unsorted path (bucketing plus weighted
 * quickselect) and the sorted one (after top-k). Every draw is inside the
 * reference nucleus, and the tokens drawn cover nearly all of its mass. */
static void check_nucleus(int32_t n, float scale, int32_t top_k, float top_p, uint64_t seed) {
    enum { DRAWS = 6000 };
    float *l = malloc((size_t)n * sizeof *l);
    int32_t *idx = malloc((size_t)n * sizeof *idx);
    double *w = malloc((size_t)n * sizeof *w);
    int *h = malloc((size_t)n * sizeof *h);
    unsigned char *in = calloc((size_t)n, 1);
    assert_true(l && idx && w && h && in);
    random_logits(l, n, scale, seed);
    for (int32_t i = 0; i < n; i++) idx[i] = i;
    g_sort_logits = l;
    qsort(idx, (size_t)n, sizeof *idx, cmp_idx);
    int32_t m = top_k > 0 && top_k < n ? top_k : n;
    double sum = 0, cum = 0, kept = 0;
    for (int32_t i = 0; i < m; i++) sum += w[i] = expf(l[idx[i]] - l[idx[0]]);
    int32_t r = 0;
    while (r < m) {
        cum += w[r++];
        if (cum >= top_p * sum) break;
    }
    for (int32_t i = 0; i < r; i++) in[idx[i]] = 1, kept += w[i];
    ei_sampler_params p = plain();
    p.top_k = top_k;
    p.top_p = top_p;
    p.seed = seed;
    ei_sampler *s = make(&p, n);
    histogram(s, l, n, DRAWS, h);
    /* covered: the nucleus mass drawn at least once; expected: its mean */
    double covered = 0, expected = 0;
    for (int32_t i = 0; i < r; i++) {
        covered += h[idx[i]] ? w[i] / kept : 0;
        expected += w[i] / kept * (1.0 - pow(1.0 - w[i] / kept, DRAWS));
    }
    for (int32_t i = 0; i < n; i++)
        if (!in[i]) assert_int_equal(h[i], 0);
    assert_true(covered > expected - 0.02);
    ei_sampler_free(s);
    free(in);
    free(h);
    free(w);
    free(idx);
    free(l);
}

static void test_top_p_matches_reference(void **state) {
    (void)state;
    const float ps[] = {0.3f, 0.6f, 0.9f};
    for (int i = 0; i < 3; i++) {
        check_nucleus(5000, 8.0f, 0, ps[i], 11 + (uint64_t)i);    /* unsorted: buckets */
        check_nucleus(5000, 0.5f, 0, ps[i], 21 + (uint64_t)i);    /* flat: all in a few buckets */
        check_nucleus(5000, 8.0f, 2000, ps[i], 31 + (uint64_t)i); /* sorted, after top-k */
    }
}

static void test_min_p(void **state) {
    (void)state;
    enum { N = 5, DRAWS = 6000 };
    const double probs[N] = {0.4, 0.3, 0.2, 0.05, 0.05};
    const int perm[N] = {2, 4, 0, 3, 1};
    float l[N];
    int h[N];
    place(probs, perm, N, l);
    /* p >= min_p * 0.4: 0.2 -> 0.08 keeps three; 0.6 -> 0.24 keeps two;
     * 0.1 -> 0.04 keeps all; 1.5 keeps only the best */
    const float mps[] = {0.2f, 0.6f, 0.1f, 1.5f};
    const int keep[] = {3, 2, 5, 1};
    for (int c = 0; c < 4; c++) {
        ei_sampler_params p = plain();
        p.min_p = mps[c];
        ei_sampler *s = make(&p, N);
        histogram(s, l, N, DRAWS, h);
        double kept = 0;
        for (int r = 0; r < keep[c]; r++) kept += probs[r];
        for (int r = 0; r < N; r++) {
            int t = perm[r];
            if (r >= keep[c]) assert_int_equal(h[t], 0);
            else assert_true(fabs((double)h[t] / DRAWS - probs[r] / kept) < 0.025);
        }
        ei_sampler_free(s);
    }
}

/* p = {0.4, 0.3, 0.2, 0.1}: entropy H = 1.2799 nats; |-ln p - H| =
 * {0.363, 0.076, 0.330, 1.023}, so the typical order is 1, 2, 0, 3 with
 * cumulative mass 0.3, 0.5, 0.9, 1.0; the set stops at the first mass that
 * exceeds typical_p. The most likely token is not the most typical. */
static void test_typical(void **state) {
    (void)state;
    enum { N = 4, DRAWS = 6000 };
    const double probs[N] = {0.4, 0.3, 0.2, 0.1};
    float l[N];
    int h[N];
    logits_of(probs, N, l);
    const float tps[] = {0.25f, 0.45f, 0.55f, 0.95f};
    const unsigned char sets[4][N] = {{0, 1, 0, 0}, {0, 1, 1, 0}, {1, 1, 1, 0}, {1, 1, 1, 1}};
    for (int c = 0; c < 4; c++) {
        ei_sampler_params p = plain();
        p.typical_p = tps[c];
        ei_sampler *s = make(&p, N);
        histogram(s, l, N, DRAWS, h);
        double kept = 0;
        for (int i = 0; i < N; i++) kept += sets[c][i] ? probs[i] : 0;
        for (int i = 0; i < N; i++) {
            if (!sets[c][i]) assert_int_equal(h[i], 0);
            else assert_true(fabs((double)h[i] / DRAWS - probs[i] / kept) < 0.025);
        }
        ei_sampler_free(s);
    }
    /* greedy is the argmax after bias and penalties: typical does not apply */
    ei_sampler_params p = plain();
    p.typical_p = 0.45f;
    p.temperature = 0.0f;
    ei_sampler *s = make(&p, N);
    assert_int_equal(one(s, l), 0);
    ei_sampler_free(s);
}

/* The chain runs top-k, then top-p on the renormalized top-k, then min-p:
 * probs {0.3, 0.25, 0.2, 0.15, 0.1}; top-k 4 leaves {.3,.25,.2,.15}/.9,
 * cumulative .333, .611, .833; top-p 0.8 keeps three; min-p 0.7 then needs
 * p >= 0.7 * 0.3 = 0.21 and keeps two. */
static void test_stage_order(void **state) {
    (void)state;
    enum { N = 5, DRAWS = 6000 };
    const double probs[N] = {0.3, 0.25, 0.2, 0.15, 0.1};
    float l[N];
    int h[N];
    logits_of(probs, N, l);
    ei_sampler_params p = plain();
    p.top_k = 4;
    p.top_p = 0.8f;
    ei_sampler *s = make(&p, N);
    histogram(s, l, N, DRAWS, h);
    assert_true(h[0] && h[1] && h[2]);
    assert_int_equal(h[3], 0);
    assert_int_equal(h[4], 0);
    ei_sampler_free(s);
    p.min_p = 0.7f;
    s = make(&p, N);
    histogram(s, l, N, DRAWS, h);
    assert_true(fabs((double)h[0] / DRAWS - 0.3 / 0.55) < 0.025);
    assert_int_equal(h[0] + h[1], DRAWS);
    ei_sampler_free(s);
}

/* ---- penalties ---------------------------------------------------------- */

static ei_sampler *greedy_with(float rep, float freq, float pres, int32_t last_n, int32_t n) {
    ei_sampler_params p = ei_sampler_default_params();
    p.temperature = 0.0f;
    p.repeat_penalty = rep;
    p.frequency_penalty = freq;
    p.presence_penalty = pres;
    p.penalty_last_n = last_n;
    return make(&p, n);
}

static void test_repeat_penalty_divides_positive(void **state) {
    (void)state;
    const float l[4] = {3.0f, 2.0f, -10.0f, -10.0f};
    /* 3 / 1.4 = 2.14 stays ahead of 2; 3 / 1.6 = 1.875 falls behind */
    ei_sampler *s = greedy_with(1.4f, 0, 0, 64, 4);
    ei_sampler_accept(s, 0);
    assert_int_equal(one(s, l), 0);
    ei_sampler_free(s);
    s = greedy_with(1.6f, 0, 0, 64, 4);
    assert_int_equal(one(s, l), 0);
    ei_sampler_accept(s, 0);
    assert_int_equal(one(s, l), 1);
    ei_sampler_free(s);
    /* applied once per token, whatever its count: 3 / 1.6 = 1.875 > 1.5 */
    const float m[4] = {3.0f, 1.5f, -10.0f, -10.0f};
    s = greedy_with(1.6f, 0, 0, 64, 4);
    for (int i = 0; i < 5; i++) ei_sampler_accept(s, 0);
    assert_int_equal(one(s, m), 0);
    ei_sampler_free(s);
}

static void test_repeat_penalty_multiplies_negative(void **state) {
    (void)state;
    const float l[4] = {-1.0f, -1.2f, -10.0f, -10.0f};
    /* -1 * 1.1 = -1.1 still beats -1.2; -1 * 1.25 = -1.25 does not (and
     * dividing would have raised it to -0.8) */
    ei_sampler *s = greedy_with(1.1f, 0, 0, 64, 4);
    ei_sampler_accept(s, 0);
    assert_int_equal(one(s, l), 0);
    ei_sampler_free(s);
    s = greedy_with(1.25f, 0, 0, 64, 4);
    ei_sampler_accept(s, 0);
    assert_int_equal(one(s, l), 1);
    ei_sampler_free(s);
    /* a penalty below 1 rewards repetition: positive logits grow */
    const float u[4] = {1.0f, 1.2f, -10.0f, -10.0f};
    s = greedy_with(0.8f, 0, 0, 64, 4);
    ei_sampler_accept(s, 0);
    assert_int_equal(one(s, u), 0); /* 1 / 0.8 = 1.25 */
    ei_sampler_free(s);
}

static void test_penalty_window(void **state) {
    (void)state;
    const float l[4] = {3.0f, 2.0f, -10.0f, -10.0f};
    ei_sampler *s = greedy_with(1.6f, 0, 0, 2, 4);
    ei_sampler_accept(s, 0);
    ei_sampler_accept(s, 2);
    assert_int_equal(one(s, l), 1); /* window {0, 2} */
    ei_sampler_accept(s, 3);
    assert_int_equal(one(s, l), 0); /* window {2, 3}: 0 left it */
    ei_sampler_accept(s, 0);
    assert_int_equal(one(s, l), 1);
    ei_sampler_free(s);

    /* 0 disables penalties */
    s = greedy_with(1.6f, 1.0f, 1.0f, 0, 4);
    ei_sampler_accept(s, 0);
    assert_int_equal(one(s, l), 0);
    ei_sampler_free(s);

    /* a window of 1000 fills in steps (the ring grows) and then slides */
    enum { N = 2000 };
    float *w = malloc(N * sizeof *w);
    assert_non_null(w);
    for (int i = 0; i < N; i++) w[i] = -100.0f;
    w[0] = 1.0f;
    w[1] = 0.9f;
    s = greedy_with(2.0f, 0, 0, 1000, N);
    ei_sampler_accept(s, 0);
    for (int i = 0; i < 999; i++) ei_sampler_accept(s, 5 + i % 7);
    assert_int_equal(one(s, w), 1); /* token 0 is the oldest of 1000 */
    ei_sampler_accept(s, 5);
    assert_int_equal(one(s, w), 0); /* and now it is gone */
    ei_sampler_free(s);

    /* -1: the whole history */
    s = greedy_with(2.0f, 0, 0, -1, N);
    ei_sampler_accept(s, 0);
    for (int i = 0; i < 5000; i++) ei_sampler_accept(s, 5 + i % 7);
    assert_int_equal(one(s, w), 1);
    ei_sampler_free(s);
    free(w);
}

static void test_frequency_and_presence(void **state) {
    (void)state;
    const float l[3] = {1.0f, 0.0f, -10.0f};
    /* frequency: 1 - 3 * 0.3 = 0.1 > 0; 1 - 3 * 0.34 = -0.02 < 0 */
    ei_sampler *s = greedy_with(1.0f, 0.3f, 0, 64, 3);
    for (int i = 0; i < 3; i++) ei_sampler_accept(s, 0);
    assert_int_equal(one(s, l), 0);
    ei_sampler_free(s);
    s = greedy_with(1.0f, 0.34f, 0, 64, 3);
    for (int i = 0; i < 3; i++) ei_sampler_accept(s, 0);
    assert_int_equal(one(s, l), 1);
    ei_sampler_free(s);
    /* presence: once, whatever the count */
    s = greedy_with(1.0f, 0, 0.99f, 64, 3);
    for (int i = 0; i < 5; i++) ei_sampler_accept(s, 0);
    assert_int_equal(one(s, l), 0);
    ei_sampler_free(s);
    s = greedy_with(1.0f, 0, 1.01f, 64, 3);
    ei_sampler_accept(s, 0);
    assert_int_equal(one(s, l), 1);
    ei_sampler_free(s);
    /* both: 1 - 2 * 0.25 - 0.49 = 0.01; with 0.51, -0.01 */
    s = greedy_with(1.0f, 0.25f, 0.49f, 64, 3);
    ei_sampler_accept(s, 0);
    ei_sampler_accept(s, 0);
    assert_int_equal(one(s, l), 0);
    ei_sampler_free(s);
    s = greedy_with(1.0f, 0.25f, 0.51f, 64, 3);
    ei_sampler_accept(s, 0);
    ei_sampler_accept(s, 0);
    assert_int_equal(one(s, l), 1);
    ei_sampler_free(s);
    /* repeat, then frequency and presence: 2 / 2 - 1 * 0.5 - 0.4 = 0.1 > 0 */
    const float m[3] = {2.0f, 0.0f, -10.0f};
    s = greedy_with(2.0f, 0.5f, 0.4f, 64, 3);
    ei_sampler_accept(s, 0);
    assert_int_equal(one(s, m), 0);
    ei_sampler_free(s);
    s = greedy_with(2.0f, 0.5f, 0.6f, 64, 3);
    ei_sampler_accept(s, 0);
    assert_int_equal(one(s, m), 1);
    ei_sampler_free(s);
    /* counts only the last N: window 3, 0 0 1 1 1 leaves no 0 in it */
    s = greedy_with(1.0f, 0.34f, 0, 3, 3);
    ei_sampler_accept(s, 0);
    ei_sampler_accept(s, 0);
    ei_sampler_accept(s, 1);
    ei_sampler_accept(s, 1);
    ei_sampler_accept(s, 1);
    assert_int_equal(one(s, l), 0);
    ei_sampler_free(s);
}

static void test_accept_ignores_out_of_range(void **state) {
    (void)state;
    const float l[3] = {1.0f, 0.0f, -10.0f};
    ei_sampler *s = greedy_with(1.0f, 5.0f, 5.0f, 64, 3);
    ei_sampler_accept(s, -1);
    ei_sampler_accept(s, 3);
    ei_sampler_accept(s, INT32_MAX);
    assert_int_equal(one(s, l), 0);
    ei_sampler_accept(NULL, 0);
    ei_sampler_free(s);
}

/* ---- logit bias --------------------------------------------------------- */

static void test_logit_bias(void **state) {
    (void)state;
    enum { N = 5 };
    const float l[N] = {5.0f, 4.0f, 3.0f, 1.0f, 0.0f};
    int h[N];
    ei_logit_bias ban0 = {0, -INFINITY};
    ei_sampler_params p = ei_sampler_default_params();
    p.temperature = 0.0f;
    p.logit_bias = &ban0;
    p.n_logit_bias = 1;
    ei_sampler *s = make(&p, N);
    assert_int_equal(one(s, l), 1);
    ei_sampler_free(s);

    /* banned under sampling too, with every stage on */
    p = ei_sampler_default_params();
    p.temperature = 1.5f;
    p.logit_bias = &ban0;
    p.n_logit_bias = 1;
    s = make(&p, N);
    histogram(s, l, N, 3000, h);
    assert_int_equal(h[0], 0);
    assert_true(h[1] > 0);
    ei_sampler_free(s);
    p.top_k = 0;
    p.top_p = 1.0f;
    p.min_p = 0.0f;
    s = make(&p, N);
    histogram(s, l, N, 3000, h);
    assert_int_equal(h[0], 0);
    ei_sampler_free(s);

    /* +2.5 lifts token 2 to 5.5; two entries for one token add up */
    ei_logit_bias b[3] = {{2, 2.5f}, {1, 0.6f}, {1, 0.6f}};
    p = ei_sampler_default_params();
    p.temperature = 0.0f;
    p.logit_bias = b;
    p.n_logit_bias = 1;
    s = make(&p, N);
    assert_int_equal(one(s, l), 2);
    ei_sampler_free(s);
    p.logit_bias = b + 1;
    p.n_logit_bias = 2;
    s = make(&p, N);
    assert_int_equal(one(s, l), 1); /* 4 + 1.2 = 5.2 */
    ei_sampler_free(s);

    /* a ban beats any other bias on the same token, and a +inf logit */
    ei_logit_bias c[2] = {{3, 100.0f}, {3, -INFINITY}};
    const float m[N] = {0.0f, 1.0f, 2.0f, INFINITY, -1.0f};
    p.logit_bias = c;
    p.n_logit_bias = 2;
    s = make(&p, N);
    assert_int_equal(one(s, m), 2);
    ei_sampler_free(s);

    /* copied at creation: the caller's array may change afterwards */
    ei_logit_bias d = {4, 10.0f};
    p.logit_bias = &d;
    p.n_logit_bias = 1;
    s = make(&p, N);
    d.token = 0;
    d.bias = -INFINITY;
    assert_int_equal(one(s, l), 4);
    ei_sampler_free(s);
}

/* ---- seeds and reset ---------------------------------------------------- */

static void draws(ei_sampler *s, const float *l, int n, int32_t *out) {
    for (int i = 0; i < n; i++) out[i] = one(s, l);
}

static void test_seed(void **state) {
    (void)state;
    enum { N = 50, D = 500 };
    float l[N];
    int32_t a[D], b[D], c[D];
    random_logits(l, N, 2.0f, 5);
    ei_sampler_params p = plain();
    p.seed = 12345;
    ei_sampler *s1 = make(&p, N), *s2 = make(&p, N);
    p.seed = 12346;
    ei_sampler *s3 = make(&p, N);
    draws(s1, l, D, a);
    draws(s2, l, D, b);
    draws(s3, l, D, c);
    assert_memory_equal(a, b, sizeof a);
    int differ = 0;
    for (int i = 0; i < D; i++) differ += a[i] != c[i];
    assert_true(differ > D / 2);
    ei_sampler_free(s1);
    ei_sampler_free(s2);
    ei_sampler_free(s3);

    /* the default chain too */
    p = ei_sampler_default_params();
    p.seed = 7;
    s1 = make(&p, N);
    s2 = make(&p, N);
    draws(s1, l, D, a);
    draws(s2, l, D, b);
    assert_memory_equal(a, b, sizeof a);
    ei_sampler_free(s1);
    ei_sampler_free(s2);
}

static void test_reset(void **state) {
    (void)state;
    enum { N = 50, D = 200 };
    float l[N];
    int32_t a[D], b[D];
    random_logits(l, N, 2.0f, 6);
    ei_sampler_params p = ei_sampler_default_params();
    p.repeat_penalty = 1.3f;
    p.frequency_penalty = 0.1f;
    p.seed = 42;
    ei_sampler *s = make(&p, N);
    for (int i = 0; i < D; i++) {
        a[i] = one(s, l);
        ei_sampler_accept(s, a[i]);
    }
    ei_sampler_reset(s);
    for (int i = 0; i < D; i++) {
        b[i] = one(s, l);
        ei_sampler_accept(s, b[i]);
    }
    assert_memory_equal(a, b, sizeof a);
    ei_sampler_free(s);

    /* the history is forgotten */
    const float m[4] = {3.0f, 2.0f, -10.0f, -10.0f};
    s = greedy_with(2.0f, 0, 0, 64, 4);
    ei_sampler_accept(s, 0);
    assert_int_equal(one(s, m), 1);
    ei_sampler_reset(s);
    assert_int_equal(one(s, m), 0);
    ei_sampler_free(s);
    ei_sampler_reset(NULL);
}

/* ---- the distribution --------------------------------------------------- */

static void test_frequencies_match_softmax(void **state) {
    (void)state;
    enum { N = 8, DRAWS = 20000 };
    float l[N];
    int h[N];
    random_logits(l, N, 2.0f, 8);
    ei_sampler_params p = plain();
    p.seed = 2024;
    ei_sampler *s = make(&p, N);
    histogram(s, l, N, DRAWS, h);
    /* sd of a frequency is at most sqrt(0.25 / 20000) = 0.0035 */
    for (int i = 0; i < N; i++) assert_true(fabs((double)h[i] / DRAWS - softmax_at(l, N, i, 1.0)) < 0.012);
    ei_sampler_free(s);

    /* a large vocabulary, through the unsorted path */
    enum { M = 4096 };
    float *big = malloc(M * sizeof *big);
    int *hb = malloc(M * sizeof *hb);
    assert_non_null(big);
    assert_non_null(hb);
    for (int i = 0; i < M; i++) big[i] = -20.0f;
    for (int i = 0; i < 4; i++) big[1000 * i + 7] = (float)i * 0.5f;
    s = make(&p, M);
    histogram(s, big, M, DRAWS, hb);
    for (int i = 0; i < 4; i++)
        assert_true(fabs((double)hb[1000 * i + 7] / DRAWS - softmax_at(big, M, 1000 * i + 7, 1.0)) < 0.012);
    ei_sampler_free(s);
    free(hb);
    free(big);
}

/* ---- bad input ---------------------------------------------------------- */

static void expect_arg(const ei_sampler_params *p, int32_t n, const char *word) {
    ei_sampler *s = (ei_sampler *)(uintptr_t)1;
    assert_int_equal(ei_sampler_new(p, n, &s), EI_ERR_ARG);
    assert_null(s);
    assert_non_null(strstr(ei_last_error(), word));
}

static void test_invalid_params(void **state) {
    (void)state;
    ei_sampler_params p = ei_sampler_default_params();
    ei_sampler *s = NULL;
    assert_int_equal(ei_sampler_new(NULL, 10, &s), EI_ERR_ARG);
    assert_true(strlen(ei_last_error()) > 0);
    assert_int_equal(ei_sampler_new(&p, 10, NULL), EI_ERR_ARG);
    expect_arg(&p, 0, "n_vocab");
    expect_arg(&p, -5, "n_vocab");

    ei_sampler_params q = p;
    q.temperature = NAN;
    expect_arg(&q, 10, "temperature");
    q = p;
    q.top_p = INFINITY;
    expect_arg(&q, 10, "top_p");
    q = p;
    q.min_p = NAN;
    expect_arg(&q, 10, "min_p");
    q = p;
    q.typical_p = -INFINITY;
    expect_arg(&q, 10, "typical_p");
    q = p;
    q.repeat_penalty = 0.0f;
    expect_arg(&q, 10, "repeat_penalty");
    q = p;
    q.repeat_penalty = -1.0f;
    expect_arg(&q, 10, "repeat_penalty");
    q = p;
    q.frequency_penalty = NAN;
    expect_arg(&q, 10, "frequency_penalty");
    q = p;
    q.presence_penalty = INFINITY;
    expect_arg(&q, 10, "presence_penalty");
    q = p;
    q.penalty_last_n = -2;
    expect_arg(&q, 10, "penalty_last_n");

    ei_logit_bias b[2] = {{1, 1.0f}, {10, 1.0f}};
    q = p;
    q.logit_bias = b;
    q.n_logit_bias = 2;
    expect_arg(&q, 10, "token 10");
    b[1].token = -1;
    expect_arg(&q, 10, "token -1");
    b[1] = (ei_logit_bias){2, NAN};
    expect_arg(&q, 10, "bias");
    b[1] = (ei_logit_bias){2, INFINITY};
    expect_arg(&q, 10, "bias");
    q.logit_bias = NULL;
    expect_arg(&q, 10, "logit_bias");

    /* the extremes that are valid */
    q = p;
    q.top_k = -3;
    q.top_p = 0.0f;
    q.min_p = 2.0f;
    q.typical_p = 0.0f;
    q.temperature = -1.0f;
    q.frequency_penalty = -2.0f;
    q.presence_penalty = -2.0f;
    q.penalty_last_n = -1;
    s = make(&q, 10);
    ei_sampler_free(s);

    /* sample */
    const float l[4] = {0, 1, 2, 3};
    int32_t t = 0;
    s = make(&p, 4);
    assert_int_equal(ei_sampler_sample(NULL, l, &t), EI_ERR_ARG);
    assert_int_equal(ei_sampler_sample(s, NULL, &t), EI_ERR_ARG);
    assert_int_equal(t, -1);
    assert_int_equal(ei_sampler_sample(s, l, NULL), EI_ERR_ARG);
    assert_true(strlen(ei_last_error()) > 0);
    ei_sampler_free(s);
    ei_sampler_free(NULL);
}

/* NaN counts as -inf; +inf as the largest finite logit (tokens at +inf
 * share the draw); nothing drawable is EI_ERR_ARG. */
static void test_nonfinite_logits(void **state) {
    (void)state;
    enum { N = 6 };
    int h[N];
    const float a[N] = {NAN, 1.0f, 2.0f, NAN, -INFINITY, 1.5f};
    ei_sampler_params g = ei_sampler_default_params();
    g.temperature = 0.0f;
    ei_sampler *s = make(&g, N);
    assert_int_equal(one(s, a), 2);
    ei_sampler_free(s);
    for (int variant = 0; variant < 2; variant++) {
        ei_sampler_params p = variant ? plain() : ei_sampler_default_params();
        p.temperature = 3.0f;
        p.repeat_penalty = 1.2f;
        s = make(&p, N);
        ei_sampler_accept(s, 0);
        ei_sampler_accept(s, 4);
        histogram(s, a, N, 3000, h);
        assert_int_equal(h[0] + h[3] + h[4], 0);
        assert_true(h[1] > 0 && h[2] > 0 && h[5] > 0);
        ei_sampler_free(s);
    }

    const float b[N] = {0.0f, 1.0f, INFINITY, NAN, 100.0f, -INFINITY};
    ei_sampler_params p = plain();
    s = make(&p, N);
    histogram(s, b, N, 500, h);
    assert_int_equal(h[2], 500);
    ei_sampler_free(s);
    g.temperature = 0.0f;
    s = make(&g, N);
    assert_int_equal(one(s, b), 2);
    ei_sampler_free(s);

    const float c[N] = {0.0f, INFINITY, 3.0f, INFINITY, NAN, 1.0f};
    p = ei_sampler_default_params();
    p.temperature = 1.0f;
    s = make(&p, N);
    histogram(s, c, N, 4000, h);
    assert_int_equal(h[1] + h[3], 4000);
    assert_true(h[1] > 1700 && h[3] > 1700);
    ei_sampler_free(s);

    /* nothing drawable */
    const float d[N] = {NAN, NAN, -INFINITY, NAN, -INFINITY, NAN};
    int32_t t = 0;
    for (int variant = 0; variant < 3; variant++) {
        p = variant == 0 ? g : variant == 1 ? ei_sampler_default_params() : plain();
        s = make(&p, N);
        assert_int_equal(ei_sampler_sample(s, d, &t), EI_ERR_ARG);
        assert_int_equal(t, -1);
        assert_non_null(strstr(ei_last_error(), "NaN"));
        ei_sampler_free(s);
    }
    ei_logit_bias ban[2] = {{0, -INFINITY}, {1, -INFINITY}};
    const float e[2] = {1.0f, 2.0f};
    p = ei_sampler_default_params();
    p.logit_bias = ban;
    p.n_logit_bias = 2;
    s = make(&p, 2);
    assert_int_equal(ei_sampler_sample(s, e, &t), EI_ERR_ARG);
    ei_sampler_free(s);

    /* huge finite logits and penalties that overflow do not produce NaN */
    const float f[3] = {3e38f, -3e38f, 3.4e38f};
    p = plain();
    p.frequency_penalty = -3e38f;
    s = make(&p, 3);
    ei_sampler_accept(s, 0);
    ei_sampler_accept(s, 0);
    histogram(s, f, 3, 200, h);
    assert_int_equal(h[1], 0);
    ei_sampler_free(s);
}

/* ---- scale -------------------------------------------------------------- */

/* Gemma 3's vocabulary with the default chain; prints the time per sample
 * (informative only: timings are never a pass/fail criterion). */
static void test_large_vocab_default_chain(void **state) {
    (void)state;
    enum { N = 262144, D = 200, CHECKED = 12 };
    float *l = malloc(N * sizeof *l), *lp = malloc(N * sizeof *lp);
    assert_non_null(l);
    assert_non_null(lp);
    random_logits(l, N, 8.0f, 262144);
    ei_sampler_params p = ei_sampler_default_params();
    p.repeat_penalty = 1.1f;
    ei_sampler *s = make(&p, N);
    /* each draw is among the 40 best of the penalized logits */
    memcpy(lp, l, N * sizeof *l);
    for (int i = 0; i < CHECKED; i++) {
        unsigned char *in = top_set(lp, N, 40);
        int32_t t = one(s, l);
        assert_true(in[t]);
        free(in);
        if (lp[t] == l[t]) lp[t] = l[t] <= 0 ? l[t] * 1.1f : l[t] / 1.1f;
        ei_sampler_accept(s, t);
    }
    ei_sampler_free(s);

    s = make(&p, N);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < D; i++) ei_sampler_accept(s, one(s, l));
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double us = ((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) / 1e3 / D;
    printf("# sampler: n_vocab %d, default chain + repeat penalty: %.1f us per sample\n", N, us);
    ei_sampler_free(s);
    free(lp);
    free(l);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_rng_reference_vectors),
        cmocka_unit_test(test_greedy_is_argmax),
        cmocka_unit_test(test_greedy_ties_lowest_id),
        cmocka_unit_test(test_temperature_to_zero_is_greedy),
        cmocka_unit_test(test_temperature_scales_distribution),
        cmocka_unit_test(test_top_k_1_is_greedy),
        cmocka_unit_test(test_top_k_keeps_exactly_k),
        cmocka_unit_test(test_top_k_ties_lowest_ids),
        cmocka_unit_test(test_top_p_smallest_set),
        cmocka_unit_test(test_top_p_deep_nucleus),
        cmocka_unit_test(test_top_p_matches_reference),
        cmocka_unit_test(test_min_p),
        cmocka_unit_test(test_typical),
        cmocka_unit_test(test_stage_order),
        cmocka_unit_test(test_repeat_penalty_divides_positive),
        cmocka_unit_test(test_repeat_penalty_multiplies_negative),
        cmocka_unit_test(test_penalty_window),
        cmocka_unit_test(test_frequency_and_presence),
        cmocka_unit_test(test_accept_ignores_out_of_range),
        cmocka_unit_test(test_logit_bias),
        cmocka_unit_test(test_seed),
        cmocka_unit_test(test_reset),
        cmocka_unit_test(test_frequencies_match_softmax),
        cmocka_unit_test(test_invalid_params),
        cmocka_unit_test(test_nonfinite_logits),
        cmocka_unit_test(test_large_vocab_default_chain),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
