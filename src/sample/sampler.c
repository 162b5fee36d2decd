/*
 * sampler.c — the sampling chain of edgeinfer.h: logit bias, penalties,
 * top-k, typical, top-p, min-p, temperature, then one draw; each stage as
 * llama.cpp defines it (src/llama-sampling.cpp), in llama.cpp's default order.
 * docs/sampling.md describes the stages and the choices made here.
 *
 * Guarantees:
 *   - The caller's logits are never written. NaN counts as -inf, +inf as
 *     FLT_MAX (the largest logit wins outright); if every token ends up at
 *     -inf (NaN, -inf or banned) the call fails with EI_ERR_ARG.
 *   - Deterministic: candidates are ordered by (logit descending, id
 *     ascending), a total order, so ties always resolve to the lowest id, and
 *     the generator is xoshiro256** (rng.h). One seed, one sequence of
 *     tokens, on every platform whose expf/logf round alike (IEEE-754 libms
 *     agree to within an ulp; a draw can differ only on such a knife edge).
 *   - Each non-greedy sample consumes exactly one random number; greedy
 *     consumes none.
 *   - Cost per call, n = n_vocab: one read of the logits, no copy. With
 *     top-k (and for greedy) that read is a k-heap scan that skips blocks
 *     with nothing above the heap's worst, so the vocabulary is never
 *     sorted; the rest is O(k log k). Bias and penalties touch only their
 *     own tokens. Without top-k: top-p finds the nucleus by bucketing and
 *     a weighted quickselect (O(n), no sort); typical sampling sorts all
 *     candidates, as it must.
 *   - All memory is allocated at creation, except the penalty window, which
 *     grows to penalty_last_n on use; if that growth fails, the next sample
 *     reports EI_ERR_NOMEM.
 */
#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#elif defined(__ARM_NEON) && defined(__aarch64__)
#include <arm_neon.h>
#endif

#include "edgeinfer.h"
#include "sample/rng.h"
#include "util/error.h"

/* Top-k at most this large selects with a k-heap in one pass over the
 * vocabulary; larger k builds all candidates and uses quickselect. */
#define EI_TOPK_HEAP_MAX 4096

typedef struct cand {
    int32_t id;
    float logit;
    float p;   /* probability, once a stage computed it */
    float key; /* typical sampling's |-log p - entropy| */
} cand;

typedef struct bias_entry {
    int32_t token;
    float bias; /* the sum of every entry for this token */
    bool ban;   /* some entry was -INFINITY */
} bias_entry;

struct ei_sampler {
    ei_sampler_params par; /* logit_bias cleared: the merged copy is below */
    int32_t n_vocab;
    ei_rng rng;

    bias_entry *bias; /* (n_bias) sorted by token, one entry per token */
    size_t n_bias;

    cand *cand;  /* (n_vocab) the candidates that survive each stage */

    /* Tokens whose logit bias or penalties change (at most n_vocab). Only
     * these are copied; every other logit is read in place. */
    float *work;            /* (n_vocab) the changed logit, for marked tokens only */
    unsigned char *mark;    /* (n_vocab) 1 while a token is in mod[] */
    int32_t *mod;           /* (n_vocab) the changed tokens of this call */
    int32_t n_mod;

    /* Penalty history, kept only when some penalty is active. */
    bool penalize;
    int32_t *count;    /* (n_vocab) occurrences of each token in the window */
    int32_t *distinct; /* (n_vocab) tokens with count > 0, n_distinct of them */
    int32_t *slot;     /* (n_vocab) where a counted token sits in distinct */
    int32_t n_distinct;
    int32_t *hist;     /* ring of the last penalty_last_n tokens (last_n > 0) */
    size_t hist_cap, hist_head, hist_len;
    bool nomem;        /* the ring could not grow: the history is incomplete */
};

ei_sampler_params ei_sampler_default_params(void) {
    ei_sampler_params p = {
        .temperature = 0.8f,
        .top_k = 40,
        .top_p = 0.95f,
        .min_p = 0.05f,
        .typical_p = 1.0f,
        .repeat_penalty = 1.0f,
        .frequency_penalty = 0.0f,
        .presence_penalty = 0.0f,
        .penalty_last_n = 64,
        .seed = 0,
        .logit_bias = NULL,
        .n_logit_bias = 0,
    };
    return p;
}

/* ---- ordering --------------------------------------------------------- */

static inline float clean_logit(float v) {
    if (v != v) return -INFINITY;
    return v > FLT_MAX ? FLT_MAX : v;
}

/* The total order of candidates: higher logit first, then lower id. */
static inline bool better(const cand *a, const cand *b) {
    return a->logit > b->logit || (a->logit == b->logit && a->id < b->id);
}

static int cmp_better(const void *x, const void *y) {
    const cand *a = x, *b = y;
    return better(a, b) ? -1 : better(b, a) ? 1 : 0;
}

static int cmp_typical(const void *x, const void *y) {
    const cand *a = x, *b = y;
    if (a->key < b->key) return -1;
    if (a->key > b->key) return 1;
    return cmp_better(x, y);
}

static inline void swap_cand(cand *a, cand *b) {
    cand t = *a;
    *a = *b;
    *b = t;
}

/* Quicksort's partition of c[lo..hi) (hi - lo >= 2) around the median of
 * three: returns p with c[lo..p) better than c[p], c[p+1..hi) worse. */
static int32_t partition(cand *c, int32_t lo, int32_t hi) {
    int32_t mid = lo + (hi - lo) / 2;
    if (better(&c[mid], &c[lo])) swap_cand(&c[mid], &c[lo]);
    if (better(&c[hi - 1], &c[lo])) swap_cand(&c[hi - 1], &c[lo]);
    if (better(&c[hi - 1], &c[mid])) swap_cand(&c[hi - 1], &c[mid]);
    /* now c[lo] >= c[mid] >= c[hi-1]: the median is the pivot */
    swap_cand(&c[mid], &c[hi - 1]);
    const cand pivot = c[hi - 1];
    /* Branch-free Lomuto: always swap, advance on a win. On shuffled logits
     * the branchy form mispredicts every other element. */
    int32_t store = lo;
    for (int32_t i = lo; i < hi - 1; i++) {
        cand x = c[i];
        bool win = better(&x, &pivot);
        c[i] = c[store];
        c[store] = x;
        store += win;
    }
    swap_cand(&c[store], &c[hi - 1]);
    return store;
}

/* Rearrange c[0..m) so that c[0..t) holds its t best entries (in no order).
 * Quickselect; an input that defeats the pivot choice 64 times falls back to
 * a full sort of what is left, so the worst case stays O(m log m). */
static void select_best(cand *c, int32_t m, int32_t t) {
    int32_t lo = 0, hi = m, rounds = 0;
    if (t <= 0 || t >= m) return;
    while (hi - lo > 1) {
        if (++rounds > 64) {
            qsort(c + lo, (size_t)(hi - lo), sizeof *c, cmp_better);
            return;
        }
        int32_t store = partition(c, lo, hi);
        if (t == store || t == store + 1) return;
        if (t < store) hi = store;
        else lo = store + 1;
    }
}

/* ---- stages ------------------------------------------------------------- */

/* "a is worse than b" for the k-heap, whose root is its worst entry. */
static inline bool worse(float la, int32_t ia, const cand *b) {
    return la < b->logit || (la == b->logit && ia > b->id);
}

static void heap_push(cand *h, int32_t m, cand x) {
    int32_t j = m;
    while (j > 0) {
        int32_t parent = (j - 1) / 2;
        if (!worse(x.logit, x.id, &h[parent])) break;
        h[j] = h[parent];
        j = parent;
    }
    h[j] = x;
}

static void heap_replace_root(cand *h, int32_t m, cand x) {
    int32_t j = 0;
    for (;;) {
        int32_t l = 2 * j + 1;
        if (l >= m) break;
        int32_t w = l;
        if (l + 1 < m && worse(h[l + 1].logit, h[l + 1].id, &h[l])) w = l + 1;
        if (!worse(h[w].logit, h[w].id, &x)) break;
        h[j] = h[w];
        j = w;
    }
    h[j] = x;
}

/* Whether any of x[0..16) is above `root` (NaN is not). The scan spends
 * nearly all its time here, so SSE2 / NEON do it four lanes at a time. */
static inline bool any_above16(const float *x, float root) {
#if defined(__SSE2__)
    __m128 r = _mm_set1_ps(root);
    __m128 a = _mm_or_ps(_mm_cmpgt_ps(_mm_loadu_ps(x), r), _mm_cmpgt_ps(_mm_loadu_ps(x + 4), r));
    __m128 b = _mm_or_ps(_mm_cmpgt_ps(_mm_loadu_ps(x + 8), r), _mm_cmpgt_ps(_mm_loadu_ps(x + 12), r));
    return _mm_movemask_ps(_mm_or_ps(a, b)) != 0;
#elif defined(__ARM_NEON) && defined(__aarch64__)
    float32x4_t r = vdupq_n_f32(root);
    uint32x4_t a = vorrq_u32(vcgtq_f32(vld1q_f32(x), r), vcgtq_f32(vld1q_f32(x + 4), r));
    uint32x4_t b = vorrq_u32(vcgtq_f32(vld1q_f32(x + 8), r), vcgtq_f32(vld1q_f32(x + 12), r));
    return vmaxvq_u32(vorrq_u32(a, b)) != 0;
#else
    int any = 0;
    for (int j = 0; j < 16; j++) any |= x[j] > root;
    return any != 0;
#endif
}

/* The best `cap` of the raw logits[0..n) (cleaned; -inf never enters) into
 * the heap h, in one pass. Ids arrive in increasing order, so a newcomer that
 * ties the root loses: only a logit strictly above the root gets in. Blocks
 * of 16 with nothing above the root are skipped by one SIMD test, which is
 * what almost every block of a real distribution is. */
static int32_t heap_scan(const float *logits, int32_t n, int32_t cap, cand *h) {
    enum { B = 16 };
    int32_t m = 0, i = 0;
    for (; i < n && m < cap; i++) {
        float v = clean_logit(logits[i]);
        if (v != -INFINITY) heap_push(h, m++, (cand){i, v, 0.0f, 0.0f});
    }
    if (m < cap) return m;
    float root = h[0].logit;
    for (; i < n; i += B) {
        const float *x = logits + i;
        int32_t len = n - i < B ? n - i : B;
        if (len == B && !any_above16(x, root)) continue;
        for (int32_t j = 0; j < len; j++) {
            if (!(x[j] > root)) continue;
            float v = clean_logit(x[j]); /* +inf -> FLT_MAX, which may tie the root */
            if (v <= root) continue;
            heap_replace_root(h, m, (cand){i + j, v, 0.0f, 0.0f});
            root = h[0].logit;
        }
    }
    return m;
}

/* The k best candidates, sorted, counting bias and penalties: the scan over
 * the raw logits keeps k + n_mod (any of which may be a changed token), the
 * changed tokens are then replaced by their new logits. */
static int32_t top_k_select(ei_sampler *s, const float *logits, int32_t k, cand *c) {
    int32_t cap = k + s->n_mod < s->n_vocab ? k + s->n_mod : s->n_vocab;
    int32_t m = heap_scan(logits, s->n_vocab, cap, c);
    if (s->n_mod > 0) {
        int32_t j = 0;
        for (int32_t i = 0; i < m; i++)
            if (!s->mark[c[i].id]) c[j++] = c[i];
        m = j;
        for (int32_t i = 0; i < s->n_mod; i++) {
            int32_t t = s->mod[i];
            if (s->work[t] != -INFINITY) c[m++] = (cand){t, s->work[t], 0.0f, 0.0f};
        }
    }
    if (m > k) {
        select_best(c, m, k);
        m = k;
    }
    qsort(c, (size_t)m, sizeof *c, cmp_better);
    return m;
}

/* Every token that is not -inf, in id order: one write-only pass, then the
 * changed tokens are found by id (binary search) and patched. A token whose
 * raw logit is -inf stays -inf whatever bias or penalty it gets, so patching
 * never has to insert. */
static int32_t all_candidates(ei_sampler *s, const float *logits, cand *c) {
    const int32_t n = s->n_vocab;
    int32_t m = 0;
    for (int32_t i = 0; i < n; i++) {
        float v = clean_logit(logits[i]);
        c[m] = (cand){i, v, 0.0f, 0.0f};
        m += v != -INFINITY;
    }
    bool dropped = false;
    for (int32_t j = 0; j < s->n_mod; j++) {
        int32_t t = s->mod[j], lo = 0, hi = m;
        while (lo < hi) {
            int32_t mid = lo + (hi - lo) / 2;
            if (c[mid].id < t) lo = mid + 1;
            else hi = mid;
        }
        if (lo == m || c[lo].id != t) continue;
        c[lo].logit = s->work[t];
        dropped |= s->work[t] == -INFINITY;
    }
    if (dropped) {
        int32_t k = 0;
        for (int32_t i = 0; i < m; i++)
            if (c[i].logit != -INFINITY) c[k++] = c[i];
        m = k;
    }
    return m;
}

static float max_logit(const cand *c, int32_t m, bool sorted) {
    if (sorted) return c[0].logit;
    float mx = c[0].logit;
    for (int32_t i = 1; i < m; i++)
        if (c[i].logit > mx) mx = c[i].logit;
    return mx;
}

/* p = exp(logit - max) over the current candidates; returns their sum. */
static double exp_weights(cand *c, int32_t m, bool sorted, float *max_out) {
    const float mx = max_logit(c, m, sorted);
    *max_out = mx;
    double sum = 0.0;
    for (int32_t i = 0; i < m; i++) {
        c[i].p = expf(c[i].logit - mx);
        sum += c[i].p;
    }
    return sum;
}

/* p = softmax(logit) over the current candidates (temperature 1). */
static void softmax(cand *c, int32_t m, bool sorted) {
    float mx;
    const float inv = (float)(1.0 / exp_weights(c, m, sorted, &mx));
    for (int32_t i = 0; i < m; i++) c[i].p *= inv;
}

/* Locally typical sampling (Meister et al. 2022), as llama.cpp: order by
 * |-log p - H| and keep the shortest prefix whose mass exceeds typical_p. */
static int32_t stage_typical(cand *c, int32_t m, bool sorted, float typical_p) {
    softmax(c, m, sorted);
    double entropy = 0.0;
    for (int32_t i = 0; i < m; i++)
        if (c[i].p > 0.0f) entropy -= (double)c[i].p * log((double)c[i].p);
    for (int32_t i = 0; i < m; i++)
        c[i].key = c[i].p > 0.0f ? (float)fabs(-log((double)c[i].p) - entropy) : INFINITY;
    qsort(c, (size_t)m, sizeof *c, cmp_typical);
    double cum = 0.0;
    for (int32_t i = 0; i < m; i++) {
        cum += c[i].p;
        if (cum > typical_p) return i + 1;
    }
    return m;
}

/* Given c[0..lo) the lo best candidates with mass acc < top_p, and
 * c[lo..hi) the next best in no order: the count r of the smallest
 * best-first set with mass >= top_p, moved to c[0..r) (p: weights, top_p
 * scaled alike). Weighted quickselect,
 * expected O(hi - lo); 64 failed pivots fall back to a sort. */
static int32_t weighted_select(cand *c, int32_t lo, int32_t hi, double acc, double top_p) {
    int32_t rounds = 0;
    while (hi - lo > 1) { /* the answer r satisfies lo < r <= hi */
        if (++rounds > 64) {
            qsort(c + lo, (size_t)(hi - lo), sizeof *c, cmp_better);
            for (int32_t i = lo; i < hi; i++) {
                acc += c[i].p;
                if (acc >= top_p) return i + 1;
            }
            return hi;
        }
        int32_t store = partition(c, lo, hi);
        double left = 0.0;
        for (int32_t i = lo; i < store; i++) left += c[i].p;
        if (acc + left >= top_p) {
            hi = store;
            continue;
        }
        acc += left;
        if (acc + c[store].p >= top_p) return store + 1;
        acc += c[store].p;
        lo = store + 1;
    }
    return hi; /* also when rounding kept the mass just short of top_p */
}

/* Top-p buckets: 1/16 nat of logit below the maximum each, the last open. */
#define EI_NUCLEUS_BUCKETS 512
static inline int32_t nucleus_bucket(float mx, float logit) {
    float d = (mx - logit) * 16.0f;
    return d < (float)(EI_NUCLEUS_BUCKETS - 1) ? (int32_t)d : EI_NUCLEUS_BUCKETS - 1;
}

/* Nucleus: the smallest best-first set whose mass reaches top_p. Sorted
 * candidates are walked. Unsorted ones (no top-k: up to the whole
 * vocabulary, and a flat distribution has a wide nucleus) are not sorted:
 * bucketing by logit finds the bucket where the mass crosses top_p; the
 * buckets above it are in, those below out, and a weighted quickselect
 * settles the crossing bucket. The nucleus is left in c[0..r), unordered. */
static int32_t stage_top_p(cand *c, int32_t m, bool sorted, float p) {
    /* the weights are left unnormalized: mass is compared with p * sum */
    float mx;
    const double top_p = p * exp_weights(c, m, sorted, &mx);
    if (sorted) {
        double cum = 0.0;
        for (int32_t i = 0; i < m; i++) {
            cum += c[i].p;
            if (cum >= top_p) return i + 1;
        }
        return m;
    }
    double mass[EI_NUCLEUS_BUCKETS] = {0};
    for (int32_t i = 0; i < m; i++) mass[nucleus_bucket(mx, c[i].logit)] += c[i].p;
    double acc = 0.0;
    int32_t cross = 0;
    while (cross < EI_NUCLEUS_BUCKETS - 1 && acc + mass[cross] < top_p) acc += mass[cross++];
    /* Drop the buckets below the crossing one: a write-only compaction.
     * Then c[0..lo): the buckets above it; c[lo..hi): the crossing one.
     * (In-place swaps of these 16-byte records stall on store forwarding;
     * the second pass branches, but only the few crossing records move.) */
    int32_t hi = 0, lo = 0;
    for (int32_t i = 0; i < m; i++) {
        const cand x = c[i];
        c[hi] = x;
        hi += nucleus_bucket(mx, x.logit) <= cross;
    }
    for (int32_t i = 0; i < hi; i++) {
        if (nucleus_bucket(mx, c[i].logit) == cross) continue;
        if (i != lo) swap_cand(&c[i], &c[lo]);
        lo++;
    }
    return weighted_select(c, lo, hi, acc, top_p);
}

/* Keep tokens with p >= min_p * p_max, i.e. logit >= max + log(min_p);
 * order is kept. At least the best token survives (min_p > 1). */
static int32_t stage_min_p(cand *c, int32_t m, bool sorted, float min_p) {
    float threshold = max_logit(c, m, sorted) + logf(min_p);
    int32_t j = 0;
    for (int32_t i = 0; i < m; i++)
        if (c[i].logit >= threshold) c[j++] = c[i];
    if (j == 0) {
        int32_t best = 0;
        for (int32_t i = 1; i < m; i++)
            if (better(&c[i], &c[best])) best = i;
        c[0] = c[best];
        j = 1;
    }
    return j;
}

/* Softmax at the temperature, then one uniform draw walked through the
 * cumulative mass in candidate order. */
static int32_t draw(ei_sampler *s, cand *c, int32_t m, bool sorted, float temperature) {
    float mx = max_logit(c, m, sorted);
    double sum = 0.0;
    for (int32_t i = 0; i < m; i++) {
        c[i].p = expf((c[i].logit - mx) / temperature);
        sum += c[i].p;
    }
    double target = ei_rng_uniform(&s->rng) * sum;
    double cum = 0.0;
    int32_t pick = 0;
    for (int32_t i = 0; i < m; i++) {
        if (c[i].p <= 0.0f) continue;
        pick = i;
        cum += c[i].p;
        if (cum > target) break;
    }
    return c[pick].id;
}

/* ---- history ------------------------------------------------------------ */

static void count_add(ei_sampler *s, int32_t t) {
    if (s->count[t] == 0) {
        s->slot[t] = s->n_distinct;
        s->distinct[s->n_distinct++] = t;
    }
    if (s->count[t] < INT32_MAX) s->count[t]++;
}

static void count_remove(ei_sampler *s, int32_t t) {
    if (--s->count[t] > 0) return;
    int32_t j = s->slot[t];
    int32_t last = s->distinct[--s->n_distinct];
    s->distinct[j] = last;
    s->slot[last] = j;
}

/* Grow the ring toward penalty_last_n entries; it is not full, so its
 * entries are hist[head .. head+len) modulo cap. */
static bool hist_grow(ei_sampler *s) {
    size_t last_n = (size_t)s->par.penalty_last_n;
    size_t cap = s->hist_cap < 32 ? 64 : s->hist_cap * 2;
    if (cap > last_n) cap = last_n;
    int32_t *h = malloc(cap * sizeof *h);
    if (!h) return false;
    for (size_t i = 0; i < s->hist_len; i++) h[i] = s->hist[(s->hist_head + i) % s->hist_cap];
    free(s->hist);
    s->hist = h;
    s->hist_cap = cap;
    s->hist_head = 0;
    return true;
}

void ei_sampler_accept(ei_sampler *s, int32_t token) {
    if (!s || !s->penalize || s->nomem || token < 0 || token >= s->n_vocab) return;
    if (s->par.penalty_last_n > 0) {
        size_t last_n = (size_t)s->par.penalty_last_n;
        if (s->hist_len == last_n) { /* full (so cap == last_n): replace the oldest */
            int32_t old = s->hist[s->hist_head];
            s->hist[s->hist_head] = token;
            s->hist_head = (s->hist_head + 1) % s->hist_cap;
            count_add(s, token);
            count_remove(s, old);
            return;
        }
        if (s->hist_len == s->hist_cap && !hist_grow(s)) {
            s->nomem = true;
            return;
        }
        s->hist[(s->hist_head + s->hist_len) % s->hist_cap] = token;
        s->hist_len++;
    }
    count_add(s, token);
}

void ei_sampler_reset(ei_sampler *s) {
    if (!s) return;
    if (s->penalize) {
        for (int32_t i = 0; i < s->n_distinct; i++) s->count[s->distinct[i]] = 0;
        s->n_distinct = 0;
        s->hist_len = 0;
        s->hist_head = 0;
        s->nomem = false;
    }
    ei_rng_seed(&s->rng, s->par.seed);
}

/* ---- the chain ---------------------------------------------------------- */

static void mark_changed(ei_sampler *s, const float *logits, int32_t t) {
    if (s->mark[t]) return;
    s->mark[t] = 1;
    s->mod[s->n_mod++] = t;
    s->work[t] = clean_logit(logits[t]);
}

/* Bias, then penalties, into work[] for the tokens they touch (listed in
 * mod[], marked in mark[]); every other logit stays as the caller gave it. */
static void apply_bias_and_penalties(ei_sampler *s, const float *logits) {
    s->n_mod = 0;
    if (s->n_bias == 0 && (!s->penalize || s->n_distinct == 0)) return;
    for (size_t i = 0; i < s->n_bias; i++) mark_changed(s, logits, s->bias[i].token);
    if (s->penalize)
        for (int32_t i = 0; i < s->n_distinct; i++) mark_changed(s, logits, s->distinct[i]);

    float *w = s->work;
    for (size_t i = 0; i < s->n_bias; i++) {
        const bias_entry *b = &s->bias[i];
        w[b->token] = b->ban ? -INFINITY : clean_logit(w[b->token] + b->bias);
    }
    if (!s->penalize) return;
    const float rep = s->par.repeat_penalty, freq = s->par.frequency_penalty;
    const float pres = s->par.presence_penalty;
    for (int32_t i = 0; i < s->n_distinct; i++) {
        int32_t t = s->distinct[i];
        float v = w[t];
        v = v <= 0.0f ? v * rep : v / rep;
        v -= (float)s->count[t] * freq + pres;
        w[t] = clean_logit(v);
    }
}

static void unmark_changed(ei_sampler *s) {
    for (int32_t i = 0; i < s->n_mod; i++) s->mark[s->mod[i]] = 0;
    s->n_mod = 0;
}

ei_status ei_sampler_sample(ei_sampler *s, const float *logits, int32_t *token) {
    if (token) *token = -1;
    if (!s || !logits || !token) return ei_error(EI_ERR_ARG, "ei_sampler_sample: NULL argument");
    if (s->nomem) return ei_error(EI_ERR_NOMEM, "ei_sampler_sample: out of memory recording the penalty window");
    const int32_t n = s->n_vocab;
    const bool greedy = !(s->par.temperature > 0.0f);
    apply_bias_and_penalties(s, logits);

    /* Candidates: the top k (greedy is top 1) or every token that is not -inf. */
    cand *c = s->cand;
    int32_t m, k = greedy ? 1 : s->par.top_k;
    bool sorted = false;
    if (k > 0 && k < n && k <= EI_TOPK_HEAP_MAX) {
        m = top_k_select(s, logits, k, c);
        sorted = true;
    } else {
        m = all_candidates(s, logits, c);
        if (k > 0 && k < m) {
            select_best(c, m, k);
            m = k;
            qsort(c, (size_t)m, sizeof *c, cmp_better);
            sorted = true;
        }
    }
    unmark_changed(s);
    if (m == 0)
        return ei_error(EI_ERR_ARG, "ei_sampler_sample: no token can be drawn: every logit is NaN or -inf, or banned");
    if (greedy) { /* c[0]: the top-1 selection, or the only token there is */
        *token = c[0].id;
        return EI_OK;
    }

    if (s->par.typical_p < 1.0f) {
        m = stage_typical(c, m, sorted, s->par.typical_p);
        sorted = false;
    }
    if (s->par.top_p < 1.0f) m = stage_top_p(c, m, sorted, s->par.top_p);
    if (s->par.min_p > 0.0f) m = stage_min_p(c, m, sorted, s->par.min_p);
    *token = draw(s, c, m, sorted, s->par.temperature);
    return EI_OK;
}

/* ---- creation ----------------------------------------------------------- */

static int cmp_bias_token(const void *x, const void *y) {
    const ei_logit_bias *a = x, *b = y;
    return (a->token > b->token) - (a->token < b->token);
}

static ei_status check_params(const ei_sampler_params *p, int32_t n_vocab) {
    const struct {
        const char *name;
        float v;
    } f[] = {
        {"temperature", p->temperature},       {"top_p", p->top_p},
        {"min_p", p->min_p},                   {"typical_p", p->typical_p},
        {"repeat_penalty", p->repeat_penalty}, {"frequency_penalty", p->frequency_penalty},
        {"presence_penalty", p->presence_penalty},
    };
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
        if (!isfinite(f[i].v))
            return ei_error(EI_ERR_ARG, "ei_sampler_new: %s is %g, not a finite number", f[i].name,
                            (double)f[i].v);
    if (!(p->repeat_penalty > 0.0f))
        return ei_error(EI_ERR_ARG, "ei_sampler_new: repeat_penalty %g must be positive (1 disables it)",
                        (double)p->repeat_penalty);
    if (p->penalty_last_n < -1)
        return ei_error(EI_ERR_ARG, "ei_sampler_new: penalty_last_n %d: use -1 (whole history), 0 (off) or a count",
                        (int)p->penalty_last_n);
    if (p->n_logit_bias > 0 && !p->logit_bias)
        return ei_error(EI_ERR_ARG, "ei_sampler_new: n_logit_bias is %zu but logit_bias is NULL", p->n_logit_bias);
    for (size_t i = 0; i < p->n_logit_bias; i++) {
        const ei_logit_bias *b = &p->logit_bias[i];
        if (b->token < 0 || b->token >= n_vocab)
            return ei_error(EI_ERR_ARG, "ei_sampler_new: logit_bias[%zu]: token %d outside the vocabulary [0, %d)", i,
                            (int)b->token, (int)n_vocab);
        if (isnan(b->bias) || b->bias == INFINITY)
            return ei_error(EI_ERR_ARG, "ei_sampler_new: logit_bias[%zu] (token %d): bias %g must be finite or -inf", i,
                            (int)b->token, (double)b->bias);
    }
    return EI_OK;
}

/* One entry per token: the biases summed, a -INFINITY anywhere bans. */
static ei_status merge_bias(ei_sampler *s, const ei_sampler_params *p) {
    if (p->n_logit_bias == 0) return EI_OK;
    ei_logit_bias *tmp = malloc(p->n_logit_bias * sizeof *tmp);
    s->bias = malloc(p->n_logit_bias * sizeof *s->bias);
    if (!tmp || !s->bias) {
        free(tmp);
        return ei_error(EI_ERR_NOMEM, "ei_sampler_new: out of memory for %zu logit biases", p->n_logit_bias);
    }
    memcpy(tmp, p->logit_bias, p->n_logit_bias * sizeof *tmp);
    qsort(tmp, p->n_logit_bias, sizeof *tmp, cmp_bias_token);
    for (size_t i = 0; i < p->n_logit_bias;) {
        bias_entry e = {tmp[i].token, 0.0f, false};
        double sum = 0.0;
        for (; i < p->n_logit_bias && tmp[i].token == e.token; i++) {
            if (tmp[i].bias == -INFINITY) e.ban = true;
            else sum += tmp[i].bias;
        }
        e.bias = (float)sum; /* an overflow to +inf is clamped when applied */
        s->bias[s->n_bias++] = e;
    }
    free(tmp);
    return EI_OK;
}

ei_status ei_sampler_new(const ei_sampler_params *p, int32_t n_vocab, ei_sampler **out) {
    if (out) *out = NULL;
    if (!p || !out) return ei_error(EI_ERR_ARG, "ei_sampler_new: params and out must not be NULL");
    if (n_vocab <= 0) return ei_error(EI_ERR_ARG, "ei_sampler_new: n_vocab %d must be positive", (int)n_vocab);
    ei_status st = check_params(p, n_vocab);
    if (st) return st;
    if ((size_t)n_vocab > SIZE_MAX / sizeof(cand))
        return ei_error(EI_ERR_NOMEM, "ei_sampler_new: n_vocab %d too large", (int)n_vocab);

    ei_sampler *s = calloc(1, sizeof *s);
    if (!s) return ei_error(EI_ERR_NOMEM, "ei_sampler_new: out of memory");
    s->par = *p;
    s->par.logit_bias = NULL;
    s->par.n_logit_bias = 0;
    s->n_vocab = n_vocab;
    s->penalize = p->penalty_last_n != 0 &&
                  (p->repeat_penalty != 1.0f || p->frequency_penalty != 0.0f || p->presence_penalty != 0.0f);

    size_t n = (size_t)n_vocab;
    s->cand = malloc(n * sizeof *s->cand);
    bool ok = s->cand != NULL;
    if (ok && (s->penalize || p->n_logit_bias > 0)) {
        s->work = malloc(n * sizeof *s->work);
        s->mark = calloc(n, 1);
        s->mod = malloc(n * sizeof *s->mod);
        ok = s->work && s->mark && s->mod;
    }
    if (ok && s->penalize) {
        s->count = calloc(n, sizeof *s->count);
        s->distinct = malloc(n * sizeof *s->distinct);
        s->slot = malloc(n * sizeof *s->slot);
        ok = s->count && s->distinct && s->slot;
    }
    if (!ok) {
        ei_sampler_free(s);
        return ei_error(EI_ERR_NOMEM, "ei_sampler_new: out of memory for a vocabulary of %d", (int)n_vocab);
    }
    if ((st = merge_bias(s, p))) {
        ei_sampler_free(s);
        return st;
    }
    ei_rng_seed(&s->rng, p->seed);
    *out = s;
    return EI_OK;
}

void ei_sampler_free(ei_sampler *s) {
    if (!s) return;
    free(s->bias);
    free(s->work);
    free(s->mark);
    free(s->mod);
    free(s->cand);
    free(s->count);
    free(s->distinct);
    free(s->slot);
    free(s->hist);
    free(s);
}
