/*
 * textstream.h — generated text on its way to the caller: pieces of tokens
 * go in, and come out only once they end on a whole UTF-8 character and can
 * no longer turn out to be the start of a stop string. A stop string ends
 * the stream; it and what follows are never handed out.
 *
 * Used by ei_generate and by the server's slots (one stream per request).
 */
#ifndef EI_RUNTIME_TEXTSTREAM_H
#define EI_RUNTIME_TEXTSTREAM_H

#include <stdbool.h>
#include <stddef.h>

#include "edgeinfer.h"

typedef struct ei_text_stream {
    const char *const *stop; /* not copied: must outlive the stream */
    size_t n_stop;
    char *buf; /* text not yet handed out */
    size_t len, cap;
} ei_text_stream;

typedef enum ei_stream_state {
    EI_STREAM_GO,        /* go on */
    EI_STREAM_STOPPED,   /* a stop string was found: finish with STOP */
    EI_STREAM_CANCELLED, /* the callback returned false */
    EI_STREAM_NOMEM,
} ei_stream_state;

void ei_stream_init(ei_text_stream *ts, const char *const *stop, size_t n_stop);
/* Add a token's bytes; hands out through cb what is safe to show. After
 * STOPPED or at the end of generation, call ei_stream_finish for the rest. */
ei_stream_state ei_stream_push(ei_text_stream *ts, const char *piece, size_t n, ei_text_callback cb, void *user);
/* No more text is coming: hand out the rest (an incomplete UTF-8 tail too). */
ei_stream_state ei_stream_finish(ei_text_stream *ts, ei_text_callback cb, void *user);
void ei_stream_free(ei_text_stream *ts);

#endif
