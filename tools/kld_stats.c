/*
 * kld_stats.c — see kld_stats.h. Where llama.cpp computes in float (the
 * per-token -log p, products like nll*nll, the percentiles) so do we; the
 * sums are double as there. Sums run in token order (llama.cpp splits them
 * over threads), so results agree to rounding, not always to the last bit.
 */
#include "kld_stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kld_file.h"

/* std::max as the C++ library defines it (order matters for NaN) */
static float fmax_cpp(float a, float b) { return a < b ? b : a; }

double ppl_token_nll(int32_t n_vocab, const float *logits, int32_t tok) {
    float max_logit = logits[0];
    for (int32_t i = 1; i < n_vocab; i++) max_logit = fmax_cpp(max_logit, logits[i]);
    double sum_exp = 0.0;
    for (int32_t i = 0; i < n_vocab; i++) sum_exp += expf(logits[i] - max_logit);
    return -((logits[tok] - max_logit) - log(sum_exp));
}

int ppl_print_final(FILE *out, FILE *err, double nll, double nll2, int64_t count) {
    nll2 /= (double)count;
    nll /= (double)count;
    const double ppl = exp(nll);
    nll2 -= nll * nll;
    if (nll2 > 0) {
        nll2 = sqrt(nll2 / (double)(count - 1));
        fprintf(out, "Final estimate: PPL = %.4f +/- %.5f\n", ppl, nll2 * ppl);
        return 0;
    }
    fprintf(err, "Unexpected negative standard deviation of log(prob)\n");
    return -1;
}

double kld_token(int32_t n_vocab, const float *logits, const uint16_t *base_rec, int32_t tok, kld_sums *s,
                 float *p_diff_out) {
    float max_logit = logits[0];
    int32_t imax = 0;
    for (int32_t i = 1; i < n_vocab; i++) {
        if (logits[i] > max_logit) {
            max_logit = logits[i];
            imax = i;
        }
    }
    double sum_exp = 0.0;
    for (int32_t i = 0; i < n_vocab; i++) sum_exp += expf(logits[i] - max_logit);
    const float log_sum_exp = (float)log(sum_exp);
    float scale, min_log_prob;
    memcpy(&scale, base_rec, sizeof scale);
    memcpy(&min_log_prob, base_rec + 2, sizeof min_log_prob);
    const uint16_t *q = base_rec + 4;

    const float nll = max_logit + log_sum_exp - logits[tok];
    s->sum_nll += nll;
    s->sum_nll2 += nll * nll;

    const float nll_base = -(scale * q[tok] + min_log_prob);
    s->sum_nll_base += nll_base;
    s->sum_nll_base2 += nll_base * nll_base;
    s->sum_nll_nll_base += nll * nll_base;

    max_logit += log_sum_exp;
    double sum = 0;
    int32_t imax_base = -1;
    float p_log_base_max = 0;
    for (int32_t i = 0; i < n_vocab; i++) {
        const float p_log_base = scale * q[i] + min_log_prob;
        if (i == 0 || p_log_base > p_log_base_max) {
            p_log_base_max = p_log_base;
            imax_base = i;
        }
        if (p_log_base > -16.f) {
            const float p_base = expf(p_log_base);
            sum += p_base * (p_log_base - logits[i] + max_logit);
        }
    }
    s->sum_kld += sum;
    s->sum_kld2 += sum * sum;
    s->count++;
    if (imax == imax_base) s->n_same_top++;

    const float p_base = expf(-nll_base);
    const float p = expf(-nll);
    const float p_diff = p - p_base;
    s->sum_p_diff += p_diff;
    const double p_diff2 = p_diff * p_diff;
    s->sum_p_diff2 += p_diff2;
    s->sum_p_diff4 += p_diff2 * p_diff2;
    s->max_p_diff = fmax_cpp(s->max_p_diff, fabsf(p_diff));
    *p_diff_out = p_diff;
    return sum;
}

/* mean of a quantity and the standard error of that mean (0 below 11 samples) */
typedef struct mean_unc {
    double val, unc;
} mean_unc;

static mean_unc mean_and_uncertainty(double sum, double sum2, size_t count) {
    mean_unc r = {0, 0};
    if (count < 1) return r;
    r.val = sum / (double)count;
    double df = sum2 / (double)count - r.val * r.val;
    r.unc = df > 0 && count > 10 ? sqrt(df / (double)(count - 1)) : 0.;
    return r;
}

static double covariance(double suma, double sumb, double sumab, size_t count) {
    if (count < 10) return 0.0;
    double var = sumab / (double)count - (suma / (double)count) * (sumb / (double)count);
    var /= (double)(count - 1);
    return var;
}

void kld_print_table_header(FILE *out) {
    fprintf(out, "chunk             PPL               ln(PPL(Q)/PPL(base))          KL Divergence              Δp RMS"
                 "            Same top p\n");
}

void kld_print_chunk(FILE *out, int chunk, const kld_sums *s) {
    fprintf(out, "%4d", chunk);

    mean_unc log_ppl = mean_and_uncertainty(s->sum_nll, s->sum_nll2, s->count);
    const double ppl_val = exp(log_ppl.val);
    const double ppl_unc = ppl_val * log_ppl.unc;
    fprintf(out, "    %9.4f ± %9.4f", ppl_val, ppl_unc);

    mean_unc log_ppl_base = mean_and_uncertainty(s->sum_nll_base, s->sum_nll_base2, s->count);
    const double log_ppl_cov = covariance(s->sum_nll, s->sum_nll_base, s->sum_nll_nll_base, s->count);
    const double ratio_val = log_ppl.val - log_ppl_base.val;
    const double ratio_unc = sqrt(log_ppl.unc * log_ppl.unc + log_ppl_base.unc * log_ppl_base.unc - 2.0 * log_ppl_cov);
    fprintf(out, "    %10.5f ± %10.5f", ratio_val, ratio_unc);

    mean_unc kl_div = mean_and_uncertainty(s->sum_kld, s->sum_kld2, s->count);
    fprintf(out, "    %10.5f ± %10.5f", kl_div.val, kl_div.unc);

    mean_unc p_diff_mse = mean_and_uncertainty(s->sum_p_diff2, s->sum_p_diff4, s->count);
    const double rms_val = sqrt(p_diff_mse.val);
    const double rms_unc = 0.5 / rms_val * p_diff_mse.unc;
    fprintf(out, "    %6.3f ± %6.3f %%", 100.0 * rms_val, 100.0 * rms_unc);

    double p_top_val = 1. * (double)s->n_same_top / (double)s->count;
    double p_top_unc = sqrt(p_top_val * (1 - p_top_val) / (double)(s->count - 1));
    fprintf(out, "    %6.3f ± %6.3f %%", 100.0 * p_top_val, 100.0 * p_top_unc);
    fprintf(out, "\n");
}

/* A total order even with NaN (last): qsort must never see an inconsistent
 * comparison, whatever a broken model or file produced. */
static int cmp_float(const void *a, const void *b) {
    float x = *(const float *)a, y = *(const float *)b;
    int xn = !!isnan(x), yn = !!isnan(y);
    if (xn || yn) return xn - yn;
    return (x > y) - (x < y);
}

/* Linear interpolation between the two nearest ranks, in float as llama.cpp. */
static float percentile(const float *v, size_t n, float fraction) {
    if (fraction <= 0) return v[0];
    if (fraction >= 1) return v[n - 1];
    float p = fraction * (float)(n - 1);
    size_t ip = (size_t)p;
    p -= (float)ip;
    return (1 - p) * v[ip] + p * v[ip + 1 < n - 1 ? ip + 1 : n - 1];
}

static float median(const float *v, size_t n) {
    return n % 2 == 0 ? 0.5f * (v[n / 2] + v[n / 2 - 1]) : v[n / 2];
}

int kld_print_summary(FILE *out, const kld_sums *s, float *kld_values, float *p_diff_values, size_t n) {
    if (s->count < 100 || n == 0) return -1; /* too few values for statistics */
    qsort(kld_values, n, sizeof *kld_values, cmp_float);
    qsort(p_diff_values, n, sizeof *p_diff_values, cmp_float);

    fprintf(out, "====== Perplexity statistics ======\n");
    mean_unc log_ppl = mean_and_uncertainty(s->sum_nll, s->sum_nll2, s->count);
    const double ppl_val = exp(log_ppl.val);
    const double ppl_unc = ppl_val * log_ppl.unc;
    fprintf(out, "Mean PPL(Q)                   : %10.6f ± %10.6f\n", ppl_val, ppl_unc);

    mean_unc log_ppl_base = mean_and_uncertainty(s->sum_nll_base, s->sum_nll_base2, s->count);
    const double ppl_base_val = exp(log_ppl_base.val);
    const double ppl_base_unc = ppl_base_val * log_ppl_base.unc;
    fprintf(out, "Mean PPL(base)                : %10.6f ± %10.6f\n", ppl_base_val, ppl_base_unc);

    const double log_ppl_cov = covariance(s->sum_nll, s->sum_nll_base, s->sum_nll_nll_base, s->count);
    const double log_ppl_cor = log_ppl_cov / (log_ppl.unc * log_ppl_base.unc);
    fprintf(out, "Cor(ln(PPL(Q)), ln(PPL(base))): %6.2f%%\n", 100.0 * log_ppl_cor);

    const double ratio_val = log_ppl.val - log_ppl_base.val;
    const double ratio_unc = sqrt(log_ppl.unc * log_ppl.unc + log_ppl_base.unc * log_ppl_base.unc - 2.0 * log_ppl_cov);
    fprintf(out, "Mean ln(PPL(Q)/PPL(base))     : %10.6f ± %10.6f\n", ratio_val, ratio_unc);

    const double ppl_ratio_val = exp(ratio_val);
    const double ppl_ratio_unc = ppl_ratio_val * ratio_unc;
    fprintf(out, "Mean PPL(Q)/PPL(base)         : %10.6f ± %10.6f\n", ppl_ratio_val, ppl_ratio_unc);

    const double ppl_cov = ppl_val * ppl_base_val * log_ppl_cov;
    const double ppl_diff_val = ppl_val - ppl_base_val;
    const double ppl_diff_unc = sqrt(ppl_unc * ppl_unc + ppl_base_unc * ppl_base_unc - 2.0 * ppl_cov);
    fprintf(out, "Mean PPL(Q)-PPL(base)         : %10.6f ± %10.6f\n", ppl_diff_val, ppl_diff_unc);
    fprintf(out, "\n");

    fprintf(out, "====== KL divergence statistics ======\n");
    mean_unc kl_div = mean_and_uncertainty(s->sum_kld, s->sum_kld2, s->count);
    fprintf(out, "Mean    KLD: %10.6f ± %10.6f\n", kl_div.val, kl_div.unc);
    const float *k = kld_values;
    fprintf(out, "Maximum KLD: %10.6f\n", k[n - 1]);
    fprintf(out, "99.9%%   KLD: %10.6f\n", percentile(k, n, 0.999f));
    fprintf(out, "99.0%%   KLD: %10.6f\n", percentile(k, n, 0.990f));
    fprintf(out, "95.0%%   KLD: %10.6f\n", percentile(k, n, 0.950f));
    fprintf(out, "90.0%%   KLD: %10.6f\n", percentile(k, n, 0.900f));
    fprintf(out, "Median  KLD: %10.6f\n", median(k, n));
    fprintf(out, "10.0%%   KLD: %10.6f\n", percentile(k, n, 0.100f));
    fprintf(out, " 5.0%%   KLD: %10.6f\n", percentile(k, n, 0.050f));
    fprintf(out, " 1.0%%   KLD: %10.6f\n", percentile(k, n, 0.010f));
    fprintf(out, " 0.1%%   KLD: %10.6f\n", percentile(k, n, 0.001f));
    fprintf(out, "Minimum KLD: %10.6f\n", k[0]);
    fprintf(out, "\n");

    fprintf(out, "====== Token probability statistics ======\n");
    mean_unc p_diff = mean_and_uncertainty(s->sum_p_diff, s->sum_p_diff2, s->count);
    fprintf(out, "Mean    Δp: %6.3f ± %5.3f %%\n", 100.0 * p_diff.val, 100.0 * p_diff.unc);
    const float *d = p_diff_values;
    fprintf(out, "Maximum Δp: %6.3f%%\n", 100.0 * d[n - 1]);
    fprintf(out, "99.9%%   Δp: %6.3f%%\n", 100.0 * percentile(d, n, 0.999f));
    fprintf(out, "99.0%%   Δp: %6.3f%%\n", 100.0 * percentile(d, n, 0.990f));
    fprintf(out, "95.0%%   Δp: %6.3f%%\n", 100.0 * percentile(d, n, 0.950f));
    fprintf(out, "90.0%%   Δp: %6.3f%%\n", 100.0 * percentile(d, n, 0.900f));
    fprintf(out, "75.0%%   Δp: %6.3f%%\n", 100.0 * percentile(d, n, 0.750f));
    fprintf(out, "Median  Δp: %6.3f%%\n", 100.0 * median(d, n));
    fprintf(out, "25.0%%   Δp: %6.3f%%\n", 100.0 * percentile(d, n, 0.250f));
    fprintf(out, "10.0%%   Δp: %6.3f%%\n", 100.0 * percentile(d, n, 0.100f));
    fprintf(out, " 5.0%%   Δp: %6.3f%%\n", 100.0 * percentile(d, n, 0.050f));
    fprintf(out, " 1.0%%   Δp: %6.3f%%\n", 100.0 * percentile(d, n, 0.010f));
    fprintf(out, " 0.1%%   Δp: %6.3f%%\n", 100.0 * percentile(d, n, 0.001f));
    fprintf(out, "Minimum Δp: %6.3f%%\n", 100.0 * d[0]);

    mean_unc p_diff_mse = mean_and_uncertainty(s->sum_p_diff2, s->sum_p_diff4, s->count);
    const double rms_val = sqrt(p_diff_mse.val);
    const double rms_unc = 0.5 / rms_val * p_diff_mse.unc;
    fprintf(out, "RMS Δp    : %6.3f ± %5.3f %%\n", 100.0 * rms_val, 100.0 * rms_unc);

    const double same_top_p = 1.0 * (double)s->n_same_top / (double)s->count;
    fprintf(out, "Same top p: %6.3f ± %5.3f %%\n", 100.0 * same_top_p,
            100.0 * sqrt(same_top_p * (1.0 - same_top_p) / (double)(s->count - 1)));
    return 0;
}
