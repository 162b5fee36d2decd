/*
 * kld_stats.h — the statistics of llama-perplexity: perplexity with its
 * error estimate, and for --kl-divergence the comparison of a model Q with
 * a base model's compressed distributions (kld_file.h). Every formula, its
 * float/double arithmetic and the printed wording follow llama.cpp's
 * perplexity.cpp, so the same logits print the same numbers.
 */
#ifndef EI_TOOLS_KLD_STATS_H
#define EI_TOOLS_KLD_STATS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* -log p(tok) under softmax(logits[n_vocab]), as llama.cpp's plain
 * perplexity computes it. */
double ppl_token_nll(int32_t n_vocab, const float *logits, int32_t tok);

/* "Final estimate: PPL = X +/- Y" from the sums of -log p and its square
 * over count tokens; 0, or -1 (and llama.cpp's message) when the variance
 * is not positive. */
int ppl_print_final(FILE *out, FILE *err, double nll, double nll2, int64_t count);

typedef struct kld_sums {
    double sum_nll, sum_nll2;           /* -log p of model Q */
    double sum_nll_base, sum_nll_base2; /* -log p of the base model */
    double sum_nll_nll_base;
    double sum_kld, sum_kld2;                   /* KL(base || Q) per token */
    double sum_p_diff, sum_p_diff2, sum_p_diff4; /* p_Q(tok) - p_base(tok) */
    float max_p_diff;
    size_t n_same_top; /* tokens where Q's and the base's most likely token agree */
    size_t count;
} kld_sums;

/* One scored position: Q's logits[n_vocab], the base's record for it, the
 * token that follows. Adds to s; returns the KL divergence and sets *p_diff. */
double kld_token(int32_t n_vocab, const float *logits, const uint16_t *base_rec, int32_t tok, kld_sums *s,
                 float *p_diff);

/* The table header printed after the first chunk, and one row per chunk. */
void kld_print_table_header(FILE *out);
void kld_print_chunk(FILE *out, int chunk, const kld_sums *s);

/* The three summary sections. Sorts kld_values[n] and p_diff_values[n]
 * (one per scored token). llama.cpp prints nothing below 100 tokens: so do
 * we, returning -1. */
int kld_print_summary(FILE *out, const kld_sums *s, float *kld_values, float *p_diff_values, size_t n);

#endif
