/*
 * kld_file.c — see kld_file.h. The arithmetic in kld_compress follows
 * llama.cpp's perplexity.cpp operation by operation (float where it uses
 * float, double where it uses double), so the same logits give the same
 * bytes.
 */
#include "kld_file.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

size_t kld_record_len(int32_t n_vocab) { return 2 * (((size_t)n_vocab + 1) / 2) + 4; }

int32_t kld_scored_per_chunk(int32_t n_ctx) { return n_ctx - 1 - n_ctx / 2; }

int kld_host_little_endian(void) {
    const uint16_t one = 1;
    unsigned char b;
    memcpy(&b, &one, 1);
    return b == 1;
}

/* Round to nearest by the 1.5*2^23 trick, as llama.cpp does: the bit copy
 * makes it defined for any input (NaN and huge values give garbage, not UB). */
static int nearest_int(float fval) {
    float val = fval + 12582912.f;
    int32_t i;
    memcpy(&i, &val, sizeof i);
    return (i & 0x007fffff) - 0x00400000;
}

/* std::max / std::min as the C++ library defines them (order matters for NaN) */
static float fmax_cpp(float a, float b) { return a < b ? b : a; }
static float fmin_cpp(float a, float b) { return b < a ? b : a; }

double kld_compress(int32_t n_vocab, const float *logits, uint16_t *rec, int32_t tok) {
    float max_logit = logits[0], min_logit = logits[0];
    for (int32_t i = 1; i < n_vocab; i++) {
        max_logit = fmax_cpp(max_logit, logits[i]);
        min_logit = fmin_cpp(min_logit, logits[i]);
    }
    min_logit = fmax_cpp(min_logit, max_logit - 16);
    double sum_exp = 0.0;
    for (int32_t i = 0; i < n_vocab; i++) sum_exp += expf(logits[i] - max_logit);
    const float log_sum_exp = (float)log(sum_exp);
    const float min_log_prob = min_logit - max_logit - log_sum_exp;
    const float scale = (max_logit - min_logit) / 65535.f;
    memcpy(rec, &scale, sizeof scale);
    memcpy(rec + 2, &min_log_prob, sizeof min_log_prob);
    uint16_t *q = rec + 4;
    if (scale != 0) {
        const float inv_scale = 1 / scale;
        for (int32_t i = 0; i < n_vocab; i++)
            q[i] = logits[i] > min_logit ? (uint16_t)nearest_int(inv_scale * (logits[i] - min_logit)) : 0;
    } else {
        memset(q, 0, (size_t)n_vocab * sizeof *q);
    }
    if (n_vocab % 2) q[n_vocab] = 0; /* padding: llama.cpp leaves its zero-filled buffer there */
    return max_logit + log_sum_exp - logits[tok];
}

int kld_write_header(FILE *f, const kld_header *h, const int32_t *tokens) {
    int32_t v[3] = {h->n_ctx, h->n_vocab, h->n_chunk};
    size_t n = (size_t)h->n_ctx * (size_t)h->n_chunk;
    if (fwrite(KLD_MAGIC, 1, 8, f) != 8 || fwrite(v, sizeof v[0], 3, f) != 3) return -1;
    if (n && fwrite(tokens, sizeof *tokens, n, f) != n) return -1;
    return 0;
}

int kld_write_record(FILE *f, const uint16_t *rec, size_t len) {
    return fwrite(rec, sizeof *rec, len, f) == len ? 0 : -1;
}

/* a * b into *out unless it exceeds 2^63 */
static int mul_u64(uint64_t a, uint64_t b, uint64_t *out) {
    if (a && b > (UINT64_C(1) << 63) / a) return -1;
    *out = a * b;
    return 0;
}

int kld_reader_open(kld_reader *r, const char *path, char *err, size_t errsize) {
    memset(r, 0, sizeof *r);
    if (!kld_host_little_endian()) {
        snprintf(err, errsize, "%s: the logits file format is little-endian, this host is not", path);
        return -1;
    }
    r->f = fopen(path, "rb");
    if (!r->f) {
        snprintf(err, errsize, "failed to open %s: %s", path, strerror(errno));
        return -1;
    }
    char magic[8];
    int32_t v[3];
    size_t got = fread(magic, 1, 8, r->f);
    if (got != 8 || memcmp(magic, KLD_MAGIC, 8) != 0) {
        snprintf(err, errsize, "%s does not look like a file containing log-probabilities (no \"_logits_\" magic)",
                 path);
        goto fail;
    }
    if (fread(v, sizeof v[0], 3, r->f) != 3) {
        snprintf(err, errsize, "%s: truncated header: failed reading n_ctx, n_vocab, n_chunk", path);
        goto fail;
    }
    r->h.n_ctx = v[0];
    r->h.n_vocab = v[1];
    r->h.n_chunk = v[2];
    if (r->h.n_ctx < KLD_MIN_CTX) {
        snprintf(err, errsize, "%s: n_ctx %d is out of range (at least %d)", path, r->h.n_ctx, KLD_MIN_CTX);
        goto fail;
    }
    if (r->h.n_vocab <= 0) {
        snprintf(err, errsize, "%s: n_vocab %d is out of range", path, r->h.n_vocab);
        goto fail;
    }
    if (r->h.n_chunk <= 0) {
        snprintf(err, errsize, "%s: n_chunk %d: the file holds no chunks", path, r->h.n_chunk);
        goto fail;
    }
    r->rec_len = kld_record_len(r->h.n_vocab);

    /* Size the file must have; every product checked, so a hostile header
     * cannot make us allocate more than the file holds. */
    uint64_t n_tok, tok_bytes, n_rec, rec_bytes, chunk_bytes;
    if (mul_u64((uint64_t)r->h.n_ctx, (uint64_t)r->h.n_chunk, &n_tok) || mul_u64(n_tok, 4, &tok_bytes) ||
        mul_u64((uint64_t)r->h.n_chunk, (uint64_t)kld_scored_per_chunk(r->h.n_ctx), &n_rec) ||
        mul_u64(n_rec, (uint64_t)r->rec_len * 2, &rec_bytes)) {
        snprintf(err, errsize, "%s: header sizes overflow (n_ctx %d, n_vocab %d, n_chunk %d)", path, r->h.n_ctx,
                 r->h.n_vocab, r->h.n_chunk);
        goto fail;
    }
    uint64_t need = KLD_HEADER_BYTES + tok_bytes + rec_bytes;
    chunk_bytes = (uint64_t)kld_scored_per_chunk(r->h.n_ctx) * r->rec_len * 2;
    struct stat st;
    if (fstat(fileno(r->f), &st) == 0 && S_ISREG(st.st_mode)) {
        uint64_t size = (uint64_t)st.st_size;
        if (size < need) {
            uint64_t have = size > KLD_HEADER_BYTES + tok_bytes ? (size - KLD_HEADER_BYTES - tok_bytes) / chunk_bytes : 0;
            snprintf(err, errsize,
                     "%s is truncated: %llu bytes, but n_ctx %d, n_vocab %d, n_chunk %d need %llu "
                     "(it holds %llu complete chunks)",
                     path, (unsigned long long)size, r->h.n_ctx, r->h.n_vocab, r->h.n_chunk,
                     (unsigned long long)need, (unsigned long long)have);
            goto fail;
        }
    }
    if (n_tok > SIZE_MAX / sizeof *r->tokens || n_tok > (uint64_t)INT32_MAX) {
        snprintf(err, errsize, "%s: %llu tokens are too many", path, (unsigned long long)n_tok);
        goto fail;
    }
    r->tokens = malloc((size_t)n_tok * sizeof *r->tokens);
    if (!r->tokens) {
        snprintf(err, errsize, "%s: out of memory for %llu tokens", path, (unsigned long long)n_tok);
        goto fail;
    }
    if (fread(r->tokens, sizeof *r->tokens, (size_t)n_tok, r->f) != (size_t)n_tok) {
        snprintf(err, errsize, "%s: failed reading evaluation tokens (file truncated)", path);
        goto fail;
    }
    for (uint64_t i = 0; i < n_tok; i++) {
        if (r->tokens[i] < 0 || r->tokens[i] >= r->h.n_vocab) {
            snprintf(err, errsize, "%s: token %d at index %llu is outside the vocabulary of %d", path, r->tokens[i],
                     (unsigned long long)i, r->h.n_vocab);
            goto fail;
        }
    }
    return 0;
fail:
    kld_reader_close(r);
    return -1;
}

int kld_reader_record(kld_reader *r, uint16_t *rec) {
    return fread(rec, sizeof *rec, r->rec_len, r->f) == r->rec_len ? 0 : -1;
}

void kld_reader_close(kld_reader *r) {
    if (r->f) fclose(r->f);
    free(r->tokens);
    memset(r, 0, sizeof *r);
}
