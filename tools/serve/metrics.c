/*
 * metrics.c — counters of the server and GET /metrics in Prometheus' text
 * exposition format (version 0.0.4). All counts are updated under srv.lock.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server.h"

/* upper bounds of the latency buckets, seconds (the last is +Inf) */
static const double bounds[SRV_N_BUCKETS - 1] = {0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};

static const char *const endpoint_names[EP_COUNT] = {
    "chat_completions", "completions", "models", "health", "metrics", "tokenize", "detokenize", "other",
};
static const char *const class_names[6] = {"2xx", "400", "401", "404_405_413", "5xx", "other"};

void metrics_observe(srv_histogram *h, double seconds) {
    int b = 0;
    while (b < SRV_N_BUCKETS - 1 && seconds > bounds[b]) b++;
    h->bucket[b]++;
    h->count++;
    h->sum += seconds;
}

void metrics_count_request(srv_metrics *m, int endpoint, int status) {
    int cls = status >= 200 && status < 300 ? 0
              : status == 400                 ? 1
              : status == 401 || status == 403 ? 2
              : status == 404 || status == 405 || status == 413 ? 3
              : status >= 500                 ? 4
                                              : 5;
    if (endpoint < 0 || endpoint >= EP_COUNT) endpoint = EP_OTHER;
    m->requests[endpoint][cls]++;
}

static void histogram(sbuf *b, const char *name, const char *help, const srv_histogram *h) {
    char line[256];
    snprintf(line, sizeof line, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
    sbuf_adds(b, line);
    uint64_t cum = 0;
    for (int i = 0; i < SRV_N_BUCKETS; i++) {
        cum += h->bucket[i];
        if (i < SRV_N_BUCKETS - 1) snprintf(line, sizeof line, "%s_bucket{le=\"%g\"} %llu\n", name, bounds[i],
                                            (unsigned long long)cum);
        else snprintf(line, sizeof line, "%s_bucket{le=\"+Inf\"} %llu\n", name, (unsigned long long)cum);
        sbuf_adds(b, line);
    }
    snprintf(line, sizeof line, "%s_sum %.6f\n%s_count %llu\n", name, h->sum, name, (unsigned long long)h->count);
    sbuf_adds(b, line);
}

static void counter(sbuf *b, const char *name, const char *type, const char *help, double v) {
    char line[512];
    snprintf(line, sizeof line, "# HELP %s %s\n# TYPE %s %s\n%s %.17g\n", name, help, name, type, name, v);
    sbuf_adds(b, line);
}

char *metrics_render(const srv *s) {
    const srv_metrics *m = &s->metrics;
    sbuf b = {0};
    char line[256];
    sbuf_adds(&b, "# HELP edgeinfer_requests_total HTTP requests answered, by endpoint and status class.\n"
                  "# TYPE edgeinfer_requests_total counter\n");
    for (int e = 0; e < EP_COUNT; e++)
        for (int c = 0; c < 6; c++) {
            if (!m->requests[e][c] && !(c == 0 && e < EP_MODELS)) continue;
            snprintf(line, sizeof line, "edgeinfer_requests_total{endpoint=\"%s\",status=\"%s\"} %llu\n",
                     endpoint_names[e], class_names[c], (unsigned long long)m->requests[e][c]);
            sbuf_adds(&b, line);
        }
    counter(&b, "edgeinfer_requests_rejected_total", "counter", "Requests refused with 503 because the queue was full.",
            (double)m->rejected);
    counter(&b, "edgeinfer_requests_cancelled_total", "counter", "Requests whose client disconnected before the end.",
            (double)m->cancelled);
    counter(&b, "edgeinfer_prompt_tokens_total", "counter", "Prompt tokens of finished requests.",
            (double)m->prompt_tokens);
    counter(&b, "edgeinfer_prompt_tokens_cached_total", "counter",
            "Prompt tokens found in a slot's KV cache (not decoded again).", (double)m->prompt_tokens_cached);
    counter(&b, "edgeinfer_generated_tokens_total", "counter", "Tokens generated.", (double)m->generated_tokens);
    counter(&b, "edgeinfer_decode_steps_total", "counter", "Batched generation passes.", (double)m->decode_steps);
    counter(&b, "edgeinfer_decode_rows_total", "counter",
            "Rows (slots) decoded by those passes; rows/steps is the mean batch.", (double)m->decode_rows);
    histogram(&b, "edgeinfer_request_duration_seconds", "Time from a generation request's arrival to its last token.",
              &m->latency);
    histogram(&b, "edgeinfer_time_to_first_token_seconds", "Time from a generation request's arrival to its first token.",
              &m->ttft);
    counter(&b, "edgeinfer_queue_depth", "gauge", "Choices waiting for a slot.", (double)s->q_len);
    counter(&b, "edgeinfer_slots_busy", "gauge", "Slots working on a request.", (double)s->busy_slots);
    counter(&b, "edgeinfer_slots_total", "gauge", "Slots (--parallel).", (double)s->cfg.parallel);
    counter(&b, "edgeinfer_model_loaded", "gauge", "1 once the model is loaded.", atomic_load(&s->ready) ? 1 : 0);
    if (sbuf_add(&b, "", 0)) {
        sbuf_free(&b);
        return NULL;
    }
    return b.p;
}
