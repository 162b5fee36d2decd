/*
 * cmd_perplexity.c — `edgeinfer perplexity`: a model's perplexity over a
 * text, and the KL divergence between a model and a base model's saved
 * distributions, as llama.cpp's llama-perplexity computes and prints them.
 *
 *   perplexity:  the text is tokenized once (BOS as the vocabulary asks)
 *                and cut into chunks of n_ctx tokens; each chunk runs from an
 *                empty cache with its first token replaced by BOS (when the
 *                vocabulary adds one), and only its second half is scored,
 *                so every scored token has at least n_ctx/2 tokens of context.
 *   --kl-divergence-base F:  the same, and the base distributions of the
 *                scored tokens go to F (kld_file.h).
 *   --kl-divergence-base F --kl-divergence:  the tokens come from F, and the
 *                model is compared with the distributions stored there.
 *
 * stdout carries the results (the running "[1]x,[2]y" line, the final
 * estimate, the KLD table and statistics); progress and errors go to stderr.
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "edgeinfer.h"
#include "kld_file.h"
#include "kld_stats.h"
#include "model_path.h"

#define PPL_MAX_CTX (1 << 24) /* the largest context ei_context_new accepts */

/* ======================================================================== */
/* Arguments                                                                 */
/* ======================================================================== */

typedef struct ppl_opts {
    const char *model, *text, *kld_base;
    const char *model_path; /* the resolved -m */
    int32_t n_ctx;    /* tokens per chunk */
    int32_t n_chunks; /* chunks at most; < 0: all */
    int32_t n_threads, n_batch;
    bool kld, ctx_given;
} ppl_opts;

static void ppl_usage(FILE *f) {
    fprintf(f,
            "usage: edgeinfer perplexity -m MODEL -f TEXT [options]\n"
            "       edgeinfer perplexity -m MODEL --kl-divergence-base FILE --kl-divergence [options]\n"
            "\n"
            "Perplexity of MODEL over the text in TEXT, computed as llama-perplexity does: the\n"
            "text is cut into chunks of N tokens and the second half of each chunk is scored.\n"
            "\n"
            "options:\n"
            "  -m, --model FILE            GGUF file, or a name from the model catalog\n"
            "  -f, --file FILE             text to evaluate\n"
            "  -c, --ctx-size N            tokens per chunk (default 512)\n"
            "      --chunks K              evaluate at most K chunks (default: all)\n"
            "  -t, --threads N             CPU threads (default: physical cores)\n"
            "  -b, --batch-size N          tokens per forward pass (default 512)\n"
            "      --kl-divergence-base F  without --kl-divergence: also save the model's token\n"
            "                              distributions to F (llama.cpp's _logits_ format);\n"
            "                              with it: read F and compare this model with them\n"
            "      --kl-divergence         KL-divergence statistics against F (tokens from F; no -f)\n"
            "  -h, --help                  this text\n");
}

/* A whole decimal int32 in [lo, hi]; 0, or -1 with a message. */
static int parse_int(const char *opt, const char *s, long lo, long hi, int32_t *out) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) {
        fprintf(stderr, "edgeinfer perplexity: %s needs an integer in [%ld, %ld], not '%s'\n", opt, lo, hi, s);
        return -1;
    }
    *out = (int32_t)v;
    return 0;
}

/* 0: run; 1: help printed; 2: usage error (message printed). */
static int parse_args(int argc, char **argv, ppl_opts *o) {
    *o = (ppl_opts){.n_ctx = 512, .n_chunks = -1, .n_threads = 0, .n_batch = 512};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            ppl_usage(stdout);
            return 1;
        }
        if (!strcmp(a, "--kl-divergence")) {
            o->kld = true;
            continue;
        }
        static const char *const with_value[] = {"-m", "--model", "-f", "--file", "-c", "--ctx-size", "--chunks",
                                                 "-t", "--threads", "-b", "--batch-size", "--kl-divergence-base"};
        bool known = false;
        for (size_t k = 0; k < sizeof with_value / sizeof *with_value; k++) known |= !strcmp(a, with_value[k]);
        if (!known) {
            fprintf(stderr, "edgeinfer perplexity: unknown argument '%s'\n", a);
            ppl_usage(stderr);
            return 2;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "edgeinfer perplexity: %s needs a value\n", a);
            return 2;
        }
        const char *v = argv[++i];
        int bad = 0;
        if (!strcmp(a, "-m") || !strcmp(a, "--model")) o->model = v;
        else if (!strcmp(a, "-f") || !strcmp(a, "--file")) o->text = v;
        else if (!strcmp(a, "--kl-divergence-base")) o->kld_base = v;
        else if (!strcmp(a, "-c") || !strcmp(a, "--ctx-size")) {
            bad = parse_int(a, v, KLD_MIN_CTX, PPL_MAX_CTX, &o->n_ctx);
            o->ctx_given = true;
        } else if (!strcmp(a, "--chunks")) {
            bad = parse_int(a, v, -1, INT32_MAX, &o->n_chunks);
            if (!bad && o->n_chunks == 0) {
                fprintf(stderr, "edgeinfer perplexity: --chunks must be positive (or -1 for all)\n");
                bad = -1;
            }
        } else if (!strcmp(a, "-t") || !strcmp(a, "--threads")) bad = parse_int(a, v, 1, 1024, &o->n_threads);
        else bad = parse_int(a, v, 1, PPL_MAX_CTX, &o->n_batch);
        if (bad) return 2;
    }
    if (!o->model) {
        fprintf(stderr, "edgeinfer perplexity: a model is needed (-m)\n");
        ppl_usage(stderr);
        return 2;
    }
    if (o->kld && !o->kld_base) {
        fprintf(stderr, "edgeinfer perplexity: --kl-divergence needs --kl-divergence-base FILE, the file holding the "
                        "base model's log-probabilities\n");
        return 2;
    }
    if (!o->kld && !o->text) {
        fprintf(stderr, "edgeinfer perplexity: a text to evaluate is needed (-f FILE)\n");
        ppl_usage(stderr);
        return 2;
    }
    if (o->kld && o->text)
        fprintf(stderr, "edgeinfer perplexity: note: --kl-divergence takes its tokens from %s; -f %s is not used\n",
                o->kld_base, o->text);
    return 0;
}

/* ======================================================================== */
/* Helpers                                                                   */
/* ======================================================================== */

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The whole file (any kind: a pipe works too) with one trailing newline
 * removed, as llama.cpp's -f does. 0, or -1 with a message. */
static int read_text(const char *path, char **out, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "edgeinfer perplexity: cannot open %s: %s\n", path, strerror(errno));
        return -1;
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap) break;
        if (cap > ((size_t)INT32_MAX - 64) / 2) { /* tokens are counted in int32 */
            fprintf(stderr, "edgeinfer perplexity: %s is too large (more than %d bytes)\n", path, INT32_MAX / 2);
            free(buf);
            fclose(f);
            return -1;
        }
        char *nb = realloc(buf, cap * 2);
        if (!nb) free(buf);
        buf = nb;
        cap *= 2;
    }
    int err = buf ? ferror(f) : 0;
    fclose(f);
    if (!buf) {
        fprintf(stderr, "edgeinfer perplexity: out of memory reading %s\n", path);
        return -1;
    }
    if (err) {
        fprintf(stderr, "edgeinfer perplexity: error reading %s\n", path);
        free(buf);
        return -1;
    }
    if (n && buf[n - 1] == '\n') n--;
    buf[n] = 0; /* n < cap: the loop ended on a short read */
    *out = buf;
    *len = n;
    return 0;
}

/* text -> tokens with BOS as the vocabulary asks; 0, or -1 with a message */
static int tokenize_all(const ei_model *m, const char *text, size_t len, int32_t **out, int32_t *n_out) {
    int32_t cap = (int32_t)len + 16, n = 0; /* len < INT32_MAX/2 (read_text) */
    int32_t *toks = malloc((size_t)cap * sizeof *toks);
    if (!toks) {
        fprintf(stderr, "edgeinfer perplexity: out of memory for tokens\n");
        return -1;
    }
    ei_status s = ei_tokenize(m, text, len, true, false, toks, cap, &n);
    if (s == EI_OK && n > cap) {
        int32_t *t = realloc(toks, (size_t)n * sizeof *toks);
        if (!t) {
            free(toks);
            fprintf(stderr, "edgeinfer perplexity: out of memory for %d tokens\n", n);
            return -1;
        }
        toks = t;
        cap = n;
        s = ei_tokenize(m, text, len, true, false, toks, cap, &n);
    }
    if (s != EI_OK || n > cap) {
        fprintf(stderr, "edgeinfer perplexity: tokenizing failed: %s\n", s ? ei_last_error() : "token count changed");
        free(toks);
        return -1;
    }
    *out = toks;
    *n_out = n;
    return 0;
}

/* Do two paths name the same existing file? */
static bool same_file(const char *a, const char *b) {
    struct stat sa, sb;
    return a && b && stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* A new file beside `path` (same folder, so a rename replaces `path` at
 * once), with the permissions fopen would give; its name goes to *tmp.
 * Writing there first means a failure or an interrupt never leaves a
 * half-written file under the final name, and a file someone still has
 * mapped (the model!) is never truncated. NULL with errno on failure. */
static FILE *open_temp_beside(const char *path, char **tmp) {
    size_t n = strlen(path) + sizeof ".XXXXXX";
    *tmp = malloc(n);
    if (!*tmp) {
        errno = ENOMEM;
        return NULL;
    }
    snprintf(*tmp, n, "%s.XXXXXX", path);
    int fd = mkstemp(*tmp);
    if (fd < 0) {
        int e = errno;
        free(*tmp);
        *tmp = NULL;
        errno = e;
        return NULL;
    }
    mode_t um = umask(0);
    umask(um);
    fchmod(fd, 0666 & ~um); /* mkstemp makes it 0600; failing to widen that is harmless */
    FILE *f = fdopen(fd, "wb");
    if (!f) {
        int e = errno;
        close(fd);
        unlink(*tmp);
        free(*tmp);
        *tmp = NULL;
        errno = e;
    }
    return f;
}

static void print_eta(const char *fn, double seconds, int32_t n_chunk) {
    fprintf(stderr, "%s: %.2f seconds per pass - ETA ", fn, seconds);
    double total = floor(seconds * n_chunk); /* whole seconds, as llama.cpp's int (without its overflow) */
    if (total >= 60 * 60) {
        fprintf(stderr, "%.0f hours ", floor(total / (60 * 60)));
        total = fmod(total, 60 * 60);
    }
    fprintf(stderr, "%.2f minutes\n", total / 60.0);
}

/* ======================================================================== */
/* Evaluating one chunk                                                      */
/* ======================================================================== */

/* Called for each scored position pos (n_ctx/2 .. n_ctx-2) with the
 * logits[n_vocab] that predict token pos+1; non-zero stops the chunk. */
typedef int (*score_fn)(void *user, int32_t pos, const float *logits);

/* Run tokens[n_ctx] from an empty cache, in pieces of n_batch starting at
 * position 0 as llama.cpp splits them; tokens[0] becomes bos when bos >= 0.
 * `buf` holds n_ctx tokens of scratch. 0, or -1 with a message. */
static int eval_chunk(ei_context *ctx, const int32_t *tokens, int32_t n_ctx, int32_t n_batch, int32_t bos,
                      int32_t *buf, score_fn fn, void *user) {
    memcpy(buf, tokens, (size_t)n_ctx * sizeof *buf);
    if (bos >= 0) buf[0] = bos;
    const int32_t first = n_ctx / 2;
    ei_status s = ei_context_truncate(ctx, 0);
    for (int32_t j = 0; !s && j < n_ctx; j += n_batch) {
        int32_t len = n_ctx - j < n_batch ? n_ctx - j : n_batch;
        s = ei_decode(ctx, buf + j, len);
        for (int32_t r = 0; !s && r < len; r++) {
            int32_t pos = j + r;
            if (pos < first || pos > n_ctx - 2) continue;
            const float *logits = ei_get_logits(ctx, r);
            if (!logits) {
                fprintf(stderr, "edgeinfer perplexity: no logits for position %d\n", pos);
                return -1;
            }
            if (fn(user, pos, logits)) return -1;
        }
    }
    if (s) {
        fprintf(stderr, "edgeinfer perplexity: failed to decode: %s\n", ei_last_error());
        return -1;
    }
    return 0;
}

/* ======================================================================== */
/* Perplexity (and writing the base file)                                    */
/* ======================================================================== */

typedef struct ppl_state {
    int32_t n_vocab;
    const int32_t *chunk_tokens; /* this chunk's n_ctx tokens */
    double nll, nll2;
    int64_t count;
    FILE *out;      /* the base file while it is being written, or NULL */
    char *tmp_path; /* its temporary name until it is complete */
    uint16_t *rec;  /* (kld_record_len(n_vocab)) */
    size_t rec_len;
} ppl_state;

static int ppl_score(void *user, int32_t pos, const float *logits) {
    ppl_state *st = user;
    int32_t tok = st->chunk_tokens[pos + 1];
    double v;
    if (st->out) {
        v = kld_compress(st->n_vocab, logits, st->rec, tok);
        if (kld_write_record(st->out, st->rec, st->rec_len)) {
            fprintf(stderr, "edgeinfer perplexity: writing the logits file failed: %s\n", strerror(errno));
            return -1;
        }
    } else {
        v = ppl_token_nll(st->n_vocab, logits, tok);
    }
    st->nll += v;
    st->nll2 += v * v;
    st->count++;
    return 0;
}

/* n_tokens >= 2*n_ctx (checked by the caller, as llama.cpp asks) */
static int run_perplexity(const ppl_opts *o, ei_model *m, ei_context *ctx, const int32_t *tokens, int32_t n_tokens) {
    const int32_t n_ctx = o->n_ctx, n_vocab = ei_model_n_vocab(m);
    const int32_t n_chunk_max = n_tokens / n_ctx;
    const int32_t n_chunk = o->n_chunks < 0 || o->n_chunks > n_chunk_max ? n_chunk_max : o->n_chunks;
    const int32_t bos = ei_model_adds_bos(m) ? ei_token_bos(m) : -1;
    const int32_t n_batch = o->n_batch < n_ctx ? o->n_batch : n_ctx;

    ppl_state st = {.n_vocab = n_vocab};
    int32_t *buf = malloc((size_t)n_ctx * sizeof *buf);
    int rc = 1;
    if (!buf) {
        fprintf(stderr, "edgeinfer perplexity: out of memory\n");
        return 1;
    }
    if (o->kld_base) {
        if (same_file(o->kld_base, o->model_path) || same_file(o->kld_base, o->text)) {
            fprintf(stderr, "edgeinfer perplexity: refusing to overwrite %s with the logits file: it is an input\n",
                    o->kld_base);
            goto done;
        }
        st.rec_len = kld_record_len(n_vocab);
        st.rec = malloc(st.rec_len * sizeof *st.rec);
        errno = ENOMEM;
        st.out = st.rec ? open_temp_beside(o->kld_base, &st.tmp_path) : NULL;
        kld_header h = {n_ctx, n_vocab, n_chunk};
        if (!st.out || kld_write_header(st.out, &h, tokens)) {
            fprintf(stderr, "edgeinfer perplexity: failed to write %s: %s\n", o->kld_base, strerror(errno));
            goto done;
        }
        fprintf(stderr, "perplexity: saving all logits to %s\n", o->kld_base);
    }
    fprintf(stderr, "perplexity: calculating perplexity over %d chunks, n_ctx=%d, batch_size=%d, n_seq=1\n", n_chunk,
            n_ctx, n_batch);
    for (int32_t i = 0; i < n_chunk; i++) {
        double t0 = now_s();
        st.chunk_tokens = tokens + (size_t)i * n_ctx;
        if (eval_chunk(ctx, st.chunk_tokens, n_ctx, n_batch, bos, buf, ppl_score, &st)) goto done;
        if (i == 0) print_eta("perplexity", now_s() - t0, n_chunk);
        printf("[%d]%.4f,", i + 1, exp(st.nll / (double)st.count));
        fflush(stdout);
    }
    printf("\n");
    if (st.out) {
        FILE *f = st.out;
        st.out = NULL;
        if (fclose(f) || rename(st.tmp_path, o->kld_base)) {
            fprintf(stderr, "edgeinfer perplexity: writing %s failed: %s\n", o->kld_base, strerror(errno));
            goto done;
        }
        free(st.tmp_path);
        st.tmp_path = NULL;
    }
    /* a non-positive variance (say, one scored token) is llama.cpp's message, not a failure */
    ppl_print_final(stdout, stderr, st.nll, st.nll2, st.count);
    rc = 0;
done:
    if (st.out) fclose(st.out);
    if (st.tmp_path) unlink(st.tmp_path); /* a half-written base file would only mislead */
    free(st.tmp_path);
    free(st.rec);
    free(buf);
    return rc;
}

/* ======================================================================== */
/* KL divergence against a base file                                         */
/* ======================================================================== */

typedef struct kld_state {
    int32_t n_vocab;
    const int32_t *chunk_tokens;
    kld_reader *rd;
    uint16_t *rec;
    kld_sums sums;
    float *kld_values, *p_diff_values; /* one per scored token */
    size_t n_values;
    int32_t chunk;
} kld_state;

static int kld_score(void *user, int32_t pos, const float *logits) {
    kld_state *st = user;
    if (kld_reader_record(st->rd, st->rec)) {
        fprintf(stderr, "edgeinfer perplexity: failed reading log-probs for chunk %d of %d (file truncated)\n", st->chunk + 1,
                st->rd->h.n_chunk);
        return -1;
    }
    float p_diff;
    double kld = kld_token(st->n_vocab, logits, st->rec, st->chunk_tokens[pos + 1], &st->sums, &p_diff);
    st->kld_values[st->n_values] = (float)kld;
    st->p_diff_values[st->n_values] = p_diff;
    st->n_values++;
    return 0;
}

static int run_kl_divergence(const ppl_opts *o, ei_model *m, ei_context *ctx, kld_reader *rd) {
    const int32_t n_ctx = rd->h.n_ctx, n_chunk = rd->h.n_chunk;
    const int32_t bos = ei_model_adds_bos(m) ? ei_token_bos(m) : -1;
    const int32_t n_batch = o->n_batch < n_ctx ? o->n_batch : n_ctx;
    /* n_chunk * scored <= the file's records, which the reader checked against its size */
    size_t n_scored = (size_t)n_chunk * (size_t)kld_scored_per_chunk(n_ctx);
    kld_state st = {.n_vocab = rd->h.n_vocab, .rd = rd};
    int32_t *buf = malloc((size_t)n_ctx * sizeof *buf);
    st.rec = malloc(rd->rec_len * sizeof *st.rec);
    st.kld_values = malloc(n_scored * sizeof *st.kld_values);
    st.p_diff_values = malloc(n_scored * sizeof *st.p_diff_values);
    int rc = 1;
    if (!buf || !st.rec || !st.kld_values || !st.p_diff_values) {
        fprintf(stderr, "edgeinfer perplexity: out of memory for %zu scored tokens\n", n_scored);
        goto done;
    }
    fprintf(stderr, "kl_divergence: computing over %d chunks, n_ctx=%d, batch_size=%d, n_seq=1\n", n_chunk, n_ctx,
            n_batch);
    for (int32_t i = 0; i < n_chunk; i++) {
        double t0 = now_s();
        st.chunk = i;
        st.chunk_tokens = rd->tokens + (size_t)i * n_ctx;
        if (eval_chunk(ctx, st.chunk_tokens, n_ctx, n_batch, bos, buf, kld_score, &st)) goto done;
        if (i == 0) {
            print_eta("kl_divergence", now_s() - t0, n_chunk);
            printf("\n");
            kld_print_table_header(stdout);
        }
        kld_print_chunk(stdout, i + 1, &st.sums);
        fflush(stdout);
    }
    printf("\n");
    if (kld_print_summary(stdout, &st.sums, st.kld_values, st.p_diff_values, st.n_values))
        fprintf(stderr, "kl_divergence: only %zu scored tokens: too few for the summary statistics (100 or more)\n",
                st.sums.count);
    rc = 0;
done:
    free(buf);
    free(st.rec);
    free(st.kld_values);
    free(st.p_diff_values);
    return rc;
}

/* ======================================================================== */
/* The command                                                               */
/* ======================================================================== */

int cmd_perplexity(int argc, char **argv) {
    ppl_opts o;
    int a = parse_args(argc, argv, &o);
    if (a) return a == 1 ? 0 : 2;

    char path[4096];
    if (resolve_model(o.model, path, sizeof path)) return 1;
    o.model_path = path;

    /* everything about the inputs is checked before the model loads */
    kld_reader rd = {0};
    char *text = NULL;
    size_t text_len = 0;
    if (o.kld) {
        char err[512];
        if (kld_reader_open(&rd, o.kld_base, err, sizeof err)) {
            fprintf(stderr, "edgeinfer perplexity: %s\n", err);
            return 1;
        }
        if (o.ctx_given && o.n_ctx != rd.h.n_ctx)
            fprintf(stderr, "edgeinfer perplexity: note: %s was computed with n_ctx %d; using it instead of -c %d\n",
                    o.kld_base, rd.h.n_ctx, o.n_ctx);
        o.n_ctx = rd.h.n_ctx;
    } else if (read_text(o.text, &text, &text_len)) {
        return 1;
    }

    int rc = 1;
    ei_model *m = NULL;
    ei_context *ctx = NULL;
    int32_t *tokens = NULL;
    ei_model_params mp = ei_model_default_params();
    if (o.n_threads > 0) mp.n_threads = o.n_threads;
    if (ei_model_load(path, &mp, &m) != EI_OK) {
        fprintf(stderr, "edgeinfer perplexity: cannot load %s: %s\n", path, ei_last_error());
        goto done;
    }
    if (o.kld && rd.h.n_vocab != ei_model_n_vocab(m)) {
        fprintf(stderr, "edgeinfer perplexity: inconsistent vocabulary: %s has %d tokens, the model %d\n", o.kld_base,
                rd.h.n_vocab, ei_model_n_vocab(m));
        goto done;
    }
    if (o.n_ctx > ei_model_n_ctx_train(m) && ei_model_n_ctx_train(m) > 0)
        fprintf(stderr, "perplexity: model was trained on only %d context tokens (%d specified)\n",
                ei_model_n_ctx_train(m), o.n_ctx);

    int32_t n_tokens = 0;
    if (!o.kld) { /* tokenized before the context exists: a too-short text costs no allocation */
        fprintf(stderr, "perplexity: tokenizing the input ..\n");
        double t0 = now_s();
        if (tokenize_all(m, text, text_len, &tokens, &n_tokens)) goto done;
        fprintf(stderr, "perplexity: tokenization took %g ms\n", 1e3 * (now_s() - t0));
        free(text);
        text = NULL;
        if (n_tokens < 2 * o.n_ctx) {
            fprintf(stderr,
                    "edgeinfer perplexity: you need at least %d tokens to evaluate perplexity with a context of %d\n",
                    2 * o.n_ctx, o.n_ctx);
            fprintf(stderr, "edgeinfer perplexity: the data file you provided tokenizes to only %d tokens\n", n_tokens);
            goto done;
        }
    }

    ei_context_params cp = ei_context_default_params();
    cp.n_ctx = o.n_ctx;
    cp.n_batch = o.n_batch < o.n_ctx ? o.n_batch : o.n_ctx;
    cp.logits_all = true;
    if (ei_context_new(m, &cp, &ctx) != EI_OK) {
        fprintf(stderr, "edgeinfer perplexity: cannot create a context of %d tokens: %s\n", o.n_ctx, ei_last_error());
        goto done;
    }

    rc = o.kld ? run_kl_divergence(&o, m, ctx, &rd) : run_perplexity(&o, m, ctx, tokens, n_tokens);
done:
    free(tokens);
    free(text);
    ei_context_free(ctx);
    ei_model_free(m);
    kld_reader_close(&rd);
    return rc;
}
