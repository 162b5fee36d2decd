/*
 * textstream.c — see textstream.h.
 */
#include <stdlib.h>
#include <string.h>

#include "runtime/textstream.h"

void ei_stream_init(ei_text_stream *ts, const char *const *stop, size_t n_stop) {
    memset(ts, 0, sizeof *ts);
    ts->stop = stop;
    ts->n_stop = stop ? n_stop : 0;
}

void ei_stream_free(ei_text_stream *ts) {
    free(ts->buf);
    ts->buf = NULL;
    ts->len = ts->cap = 0;
}

static bool add(ei_text_stream *ts, const char *s, size_t n) {
    if (ts->len + n + 1 > ts->cap) {
        size_t cap = (ts->len + n + 1) * 2;
        char *b = realloc(ts->buf, cap);
        if (!b) return false;
        ts->buf = b;
        ts->cap = cap;
    }
    memcpy(ts->buf + ts->len, s, n);
    ts->len += n;
    ts->buf[ts->len] = '\0';
    return true;
}

/* Length of the longest prefix of s[0..n) that ends on a whole UTF-8
 * character (an incomplete sequence at the end is held back). */
static size_t utf8_complete(const char *s, size_t n) {
    size_t i = n, back = 0;
    while (i > 0 && back < 4) {
        unsigned char c = (unsigned char)s[i - 1];
        if ((c & 0xC0) != 0x80) { /* a lead byte or ASCII */
            size_t need = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 1;
            return back + 1 >= need ? n : i - 1;
        }
        i--;
        back++;
    }
    return n; /* not UTF-8 at all: pass it on rather than hold it forever */
}

/* Offset of the first stop string in the buffer, or -1; *hold: how many
 * bytes at the end could still become one. */
static long find_stop(const ei_text_stream *ts, size_t *hold) {
    long first = -1;
    *hold = 0;
    for (size_t i = 0; i < ts->n_stop; i++) {
        const char *s = ts->stop[i];
        size_t sl = s ? strlen(s) : 0;
        if (!sl) continue;
        if (ts->len >= sl) {
            const char *hit = memmem(ts->buf, ts->len, s, sl);
            if (hit && (first < 0 || hit - ts->buf < first)) first = hit - ts->buf;
        }
        for (size_t k = sl - 1; k > 0; k--) /* longest proper prefix of s ending the text */
            if (k <= ts->len && memcmp(ts->buf + ts->len - k, s, k) == 0) {
                if (k > *hold) *hold = k;
                break;
            }
    }
    return first;
}

/* Hand out buf[0..upto) up to a whole character; false if cb said stop. */
static bool flush(ei_text_stream *ts, size_t upto, ei_text_callback cb, void *user) {
    size_t n = utf8_complete(ts->buf, upto);
    bool go = true;
    if (n && cb) go = cb(ts->buf, n, user);
    memmove(ts->buf, ts->buf + n, ts->len - n);
    ts->len -= n;
    ts->buf[ts->len] = '\0';
    return go;
}

ei_stream_state ei_stream_push(ei_text_stream *ts, const char *piece, size_t n, ei_text_callback cb, void *user) {
    if (!add(ts, piece, n)) return EI_STREAM_NOMEM;
    size_t hold;
    long stop_at = find_stop(ts, &hold);
    if (stop_at >= 0) {
        ts->len = (size_t)stop_at; /* the stop string and what follows are dropped */
        ts->buf[ts->len] = '\0';
        return flush(ts, ts->len, cb, user) ? EI_STREAM_STOPPED : EI_STREAM_CANCELLED;
    }
    return flush(ts, ts->len - hold, cb, user) ? EI_STREAM_GO : EI_STREAM_CANCELLED;
}

ei_stream_state ei_stream_finish(ei_text_stream *ts, ei_text_callback cb, void *user) {
    bool go = true;
    if (ts->len && cb) go = cb(ts->buf, ts->len, user);
    ts->len = 0;
    return go ? EI_STREAM_GO : EI_STREAM_CANCELLED;
}
