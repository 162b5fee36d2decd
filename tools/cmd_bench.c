/*
 * cmd_bench.c — `edgeinfer bench`: prompt-processing (pp) and generation
 * (tg) speed, measured the way llama-bench measures it, with its JSON field
 * names so the two can be compared by one script.
 *
 * pp N: N tokens decoded as one batch from an empty cache.
 * tg N: N tokens decoded one at a time from an empty cache.
 * -d D (llama-bench's n_depth): both start from a cache already holding D
 * tokens (decoded once, untimed; each run cuts the cache back to them), so
 * attention over a long context is part of what is timed.
 * Each test runs once to warm up, then -r times; tokens/s are averaged over
 * the repetitions, with their standard deviation.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "edgeinfer.h"
#include "model_path.h"

typedef struct bench_args {
    const char *model;
    int n_prompt, n_gen, n_depth, n_threads, reps;
    int json;
} bench_args;

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* One timed run of a pp or tg test after the first `depth` tokens already
 * in the cache; returns nanoseconds, or -1 on error. */
static double run_once(ei_context *c, const int32_t *toks, int n, int depth, int one_at_a_time) {
    ei_context_truncate(c, depth);
    double t0 = now_ns();
    if (one_at_a_time) {
        for (int i = 0; i < n; i++)
            if (ei_decode(c, &toks[i], 1)) return -1;
    } else if (ei_decode(c, toks, n)) {
        return -1;
    }
    return now_ns() - t0;
}

typedef struct result {
    int n_prompt, n_gen, n_depth;
    double avg_ts, stddev_ts, avg_ns, stddev_ns;
} result;

static int measure(ei_context *c, const int32_t *toks, int n, int depth, int tg, int reps, result *r) {
    if (run_once(c, toks, n, depth, tg) < 0) return -1; /* warm-up */
    double sum_ts = 0, sum2_ts = 0, sum_ns = 0, sum2_ns = 0;
    for (int i = 0; i < reps; i++) {
        double ns = run_once(c, toks, n, depth, tg);
        if (ns < 0) return -1;
        double ts = n * 1e9 / ns;
        sum_ts += ts;
        sum2_ts += ts * ts;
        sum_ns += ns;
        sum2_ns += ns * ns;
    }
    r->avg_ts = sum_ts / reps;
    r->avg_ns = sum_ns / reps;
    r->stddev_ts = reps > 1 ? sqrt(fmax(0, (sum2_ts - reps * r->avg_ts * r->avg_ts) / (reps - 1))) : 0;
    r->stddev_ns = reps > 1 ? sqrt(fmax(0, (sum2_ns - reps * r->avg_ns * r->avg_ns) / (reps - 1))) : 0;
    return 0;
}

/* "llama 135M Q4_1"-like description, as llama-bench's model_type. */
static void model_type(const ei_model *m, char *buf, size_t size) {
    const ei_gguf *g = ei_model_gguf(m);
    int64_t ft = -1;
    ei_gguf_get_int(g, "general.file_type", &ft);
    /* llama.cpp's llama_model_ftype_name; bit 1024: the writer did not know */
    static const char *const ftypes[] = {
        [0] = "all F32", [1] = "F16", [2] = "Q4_0", [3] = "Q4_1", [7] = "Q8_0", [8] = "Q5_0", [9] = "Q5_1",
        [10] = "Q2_K - Medium", [11] = "Q3_K - Small", [12] = "Q3_K - Medium", [13] = "Q3_K - Large",
        [14] = "Q4_K - Small", [15] = "Q4_K - Medium", [16] = "Q5_K - Small", [17] = "Q5_K - Medium",
        [18] = "Q6_K", [19] = "IQ2_XXS - 2.0625 bpw", [20] = "IQ2_XS - 2.3125 bpw", [21] = "Q2_K - Small",
        [22] = "IQ3_XS - 3.3 bpw", [23] = "IQ3_XXS - 3.0625 bpw", [24] = "IQ1_S - 1.5625 bpw",
        [25] = "IQ4_NL - 4.5 bpw", [26] = "IQ3_S - 3.4375 bpw", [27] = "IQ3_S mix - 3.66 bpw",
        [28] = "IQ2_S - 2.5 bpw", [29] = "IQ2_M - 2.7 bpw", [30] = "IQ4_XS - 4.25 bpw", [31] = "IQ1_M - 1.75 bpw",
        [32] = "BF16", [36] = "TQ1_0 - 1.69 bpw ternary", [37] = "TQ2_0 - 2.06 bpw ternary", [38] = "MXFP4 MoE",
    };
    const bool guessed = ft >= 0 && (ft & 1024);
    if (ft >= 0) ft &= ~(int64_t)1024;
    const char *name = ft >= 0 && ft < (int64_t)(sizeof ftypes / sizeof ftypes[0]) && ftypes[ft] ? ftypes[ft] : "?";
    char fts[64];
    snprintf(fts, sizeof fts, "%s%s", guessed ? "(guessed) " : "", name);
    double p = (double)ei_model_n_params(m);
    if (p >= 1e9) snprintf(buf, size, "%s %.1fB %s", ei_model_arch(m), p / 1e9, fts);
    else snprintf(buf, size, "%s %.0fM %s", ei_model_arch(m), p / 1e6, fts);
}

static int parse_int(const char *flag, const char *v, int lo, int hi, int *out) {
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (errno || end == v || *end || x < lo || x > hi) {
        fprintf(stderr, "edgeinfer bench: %s: '%s' is not an integer in [%d, %d]\n", flag, v, lo, hi);
        return -1;
    }
    *out = (int)x;
    return 0;
}

static void usage(FILE *f) {
    fprintf(f, "usage: edgeinfer bench -m MODEL [-p 512] [-n 128] [-d 0] [-t THREADS] [-r 5] [-o md|json]\n"
               "  -p N  prompt tokens for the pp test (0 skips it)\n"
               "  -n N  generated tokens for the tg test (0 skips it)\n"
               "  -d N  tokens already in the cache when each test starts (depth)\n");
}

int cmd_bench(int argc, char **argv) {
    bench_args a = {.n_prompt = 512, .n_gen = 128, .n_threads = 0, .reps = 5};
    for (int i = 1; i < argc; i++) {
        const char *f = argv[i];
        if (!strcmp(f, "-h") || !strcmp(f, "--help")) {
            usage(stdout);
            return 0;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "edgeinfer bench: %s needs a value (or is unknown)\n", f);
            return 2;
        }
        const char *v = argv[++i];
        int bad = 0;
        if (!strcmp(f, "-m")) a.model = v;
        else if (!strcmp(f, "-p")) bad = parse_int(f, v, 0, 1 << 20, &a.n_prompt);
        else if (!strcmp(f, "-n")) bad = parse_int(f, v, 0, 1 << 20, &a.n_gen);
        else if (!strcmp(f, "-d")) bad = parse_int(f, v, 0, 1 << 20, &a.n_depth);
        else if (!strcmp(f, "-t")) bad = parse_int(f, v, 0, 1024, &a.n_threads);
        else if (!strcmp(f, "-r")) bad = parse_int(f, v, 1, 1000, &a.reps);
        else if (!strcmp(f, "-o")) {
            if (!strcmp(v, "json")) a.json = 1;
            else if (strcmp(v, "md") != 0) bad = -1;
        } else {
            fprintf(stderr, "edgeinfer bench: unknown option '%s'\n", f);
            bad = -1;
        }
        if (bad) {
            usage(stderr);
            return 2;
        }
    }
    if (!a.model) {
        usage(stderr);
        return 2;
    }
    char path[2048];
    if (resolve_model(a.model, path, sizeof path)) return 1;
    ei_model *m;
    ei_model_params mp = ei_model_default_params();
    mp.n_threads = a.n_threads;
    double t_load = now_ns();
    if (ei_model_load(path, &mp, &m)) {
        fprintf(stderr, "edgeinfer bench: %s\n", ei_last_error());
        return 1;
    }
    t_load = now_ns() - t_load;
    const int n_test = a.n_prompt > a.n_gen ? a.n_prompt : a.n_gen, n_max = a.n_depth + n_test;
    ei_context_params cp = ei_context_default_params();
    cp.n_ctx = n_max > 0 ? n_max : 1;
    cp.n_batch = a.n_prompt > 0 ? a.n_prompt : a.n_depth > 0 ? 512 : 1;
    ei_context *c;
    if (ei_context_new(m, &cp, &c)) {
        fprintf(stderr, "edgeinfer bench: %s\n", ei_last_error());
        ei_model_free(m);
        return 1;
    }
    /* deterministic token ids spread over the vocabulary, BOS first */
    int32_t *toks = malloc((size_t)(n_max > 0 ? n_max : 1) * sizeof *toks);
    uint64_t x = 12345;
    for (int i = 0; i < n_max; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        toks[i] = (int32_t)((x >> 33) % (uint64_t)ei_model_n_vocab(m));
    }
    if (n_max > 0 && ei_token_bos(m) >= 0) toks[0] = ei_token_bos(m);

    result res[2];
    int n_res = 0, rc = 0;
    /* the depth: decoded once; every run cuts the cache back to it */
    if (a.n_depth > 0 && n_test > 0 && ei_decode(c, toks, a.n_depth)) rc = 1;
    const int32_t *test_toks = toks + a.n_depth;
    if (!rc && a.n_prompt > 0) {
        res[n_res] = (result){.n_prompt = a.n_prompt, .n_depth = a.n_depth};
        if (measure(c, test_toks, a.n_prompt, a.n_depth, 0, a.reps, &res[n_res])) rc = 1;
        n_res++;
    }
    if (!rc && a.n_gen > 0) {
        res[n_res] = (result){.n_gen = a.n_gen, .n_depth = a.n_depth};
        if (measure(c, test_toks, a.n_gen, a.n_depth, 1, a.reps, &res[n_res])) rc = 1;
        n_res++;
    }
    if (rc) fprintf(stderr, "edgeinfer bench: %s\n", ei_last_error());

    char type[128], size[32];
    model_type(m, type, sizeof type);
    snprintf(size, sizeof size, "%.2f MiB", ei_model_size(m) / (1024.0 * 1024.0));
    int threads = ei_model_n_threads(m);
    if (!rc && a.json) {
        cJSON *arr = cJSON_CreateArray();
        for (int i = 0; i < n_res; i++) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "model_filename", path);
            cJSON_AddStringToObject(o, "model_type", type);
            cJSON_AddNumberToObject(o, "model_size", (double)ei_model_size(m));
            cJSON_AddNumberToObject(o, "model_n_params", (double)ei_model_n_params(m));
            cJSON_AddStringToObject(o, "backends", "CPU");
            cJSON_AddNumberToObject(o, "n_threads", threads);
            cJSON_AddNumberToObject(o, "n_prompt", res[i].n_prompt);
            cJSON_AddNumberToObject(o, "n_gen", res[i].n_gen);
            cJSON_AddNumberToObject(o, "n_depth", res[i].n_depth);
            cJSON_AddNumberToObject(o, "avg_ns", res[i].avg_ns);
            cJSON_AddNumberToObject(o, "stddev_ns", res[i].stddev_ns);
            cJSON_AddNumberToObject(o, "avg_ts", res[i].avg_ts);
            cJSON_AddNumberToObject(o, "stddev_ts", res[i].stddev_ts);
            cJSON_AddNumberToObject(o, "load_ms", t_load / 1e6);
            cJSON_AddItemToArray(arr, o);
        }
        char *s = cJSON_Print(arr);
        puts(s);
        cJSON_free(s);
        cJSON_Delete(arr);
    } else if (!rc) {
        printf("| model | size | params | backend | threads | test | t/s |\n");
        printf("| --- | ---: | ---: | --- | ---: | ---: | ---: |\n");
        for (int i = 0; i < n_res; i++) {
            char test[48];
            int len = snprintf(test, sizeof test, "%s%d", res[i].n_prompt ? "pp" : "tg",
                               res[i].n_prompt ? res[i].n_prompt : res[i].n_gen);
            if (res[i].n_depth > 0) snprintf(test + len, sizeof test - (size_t)len, " @ d%d", res[i].n_depth);
            printf("| %s | %s | %.2f M | CPU | %d | %s | %.2f ± %.2f |\n", type, size, ei_model_n_params(m) / 1e6,
                   threads, test, res[i].avg_ts, res[i].stddev_ts);
        }
        fprintf(stderr, "load time: %.1f ms\n", t_load / 1e6);
    }
    free(toks);
    ei_context_free(c);
    ei_model_free(m);
    return rc;
}
