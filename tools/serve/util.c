/*
 * util.c — small helpers of the server: defaults, the clock, a growable
 * byte buffer, a token's text, and UTF-8 repair (every string the server
 * writes into JSON is valid UTF-8, whatever bytes a client sent or a model
 * produced).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server.h"

void srv_config_defaults(srv_config *c) {
    memset(c, 0, sizeof *c);
    c->host = "127.0.0.1";
    c->port = 8080;
    c->parallel = 4;
    c->queue = 64;
    c->timeout_s = 600;
    c->n_batch = 512;
    c->http_threads = 4;
    c->max_body = (size_t)16 << 20;
    c->max_depth = 64;
}

double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int sbuf_add(sbuf *b, const char *s, size_t n) {
    if (n > (size_t)-1 / 2 - b->len - 1) return -1;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1) cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) return -1;
        b->p = p;
        b->cap = cap;
    }
    if (n) memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
    return 0;
}

int sbuf_adds(sbuf *b, const char *s) { return sbuf_add(b, s, strlen(s)); }

void sbuf_free(sbuf *b) {
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

/* Length of the valid UTF-8 character at s[0..n), or 0 if it is not one
 * (overlong forms, surrogates and code points past U+10FFFF are invalid). */
static size_t utf8_char_len(const unsigned char *s, size_t n) {
    unsigned c = s[0];
    if (c < 0x80) return 1;
    size_t len;
    unsigned lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) len = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
    } else return 0;
    if (n < len) return 0;
    if (s[1] < lo || s[1] > hi) return 0;
    for (size_t i = 2; i < len; i++)
        if ((s[i] & 0xC0) != 0x80) return 0;
    return len;
}

int sbuf_add_utf8(sbuf *b, const char *s, size_t n) {
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0, run = 0; /* run: valid bytes not yet copied, ending at i */
    while (i < n) {
        size_t k = utf8_char_len(u + i, n - i);
        if (k) {
            i += k;
            run += k;
            continue;
        }
        if (sbuf_add(b, s + i - run, run) || sbuf_add(b, "\xEF\xBF\xBD", 3)) return -1;
        run = 0;
        i++;
    }
    return sbuf_add(b, s + n - run, run);
}

char *utf8_sanitize(const char *s, size_t n) {
    sbuf b = {0};
    if (sbuf_add_utf8(&b, s, n) || sbuf_add(&b, "", 0)) {
        sbuf_free(&b);
        return NULL;
    }
    return b.p;
}

/* The text of a token (malloc'd, raw bytes, *len set). */
char *srv_token_piece(const srv *s, int32_t tok, size_t *len) {
    char small[64];
    size_t n = 0;
    if (ei_token_to_piece(s->model, tok, false, small, sizeof small, &n) != EI_OK) n = 0;
    char *p = malloc(n + 1);
    if (!p) return NULL;
    if (n <= sizeof small) memcpy(p, small, n);
    else if (ei_token_to_piece(s->model, tok, false, p, n, &n) != EI_OK) n = 0;
    p[n] = '\0';
    *len = n;
    return p;
}
