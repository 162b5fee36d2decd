/*
 * json_constraint.h — response_format {"type": "json_object"}: keep the
 * generated text a valid JSON object, token by token.
 *
 * A byte-level recognizer of RFC 8259 JSON whose top-level value must be an
 * object (leading whitespace allowed). Its state is a small value that is
 * copied freely: to test a token, copy the state and push the token's bytes.
 * Before each sampling step jc_mask sets to -inf the logit of every token
 * whose text would make the output invalid (or that has no text), so the
 * sampler can only continue a valid prefix; once the top-level object has
 * closed, only end-of-generation tokens are left.
 *
 * Guarantees: strings hold valid UTF-8 (no overlong forms, no surrogates,
 * no control characters), escapes are JSON's, numbers follow the grammar
 * exactly, nesting is at most JC_MAX_DEPTH deep, and whitespace outside
 * strings comes in runs of at most JC_MAX_WS bytes (so a model cannot pad
 * forever). Cost of jc_mask: one 256-entry first-byte table, then a walk
 * over the bytes of only the tokens whose first byte can follow.
 */
#ifndef EI_SERVE_JSON_CONSTRAINT_H
#define EI_SERVE_JSON_CONSTRAINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JC_MAX_DEPTH 64
#define JC_MAX_WS 32

typedef struct jc_state {
    uint64_t stack;   /* bit d set: the container at depth d is an object (else an array) */
    uint8_t mode;     /* what may come next (jc_mode in the .c) */
    uint8_t depth;    /* open containers */
    uint8_t is_key;   /* the string being read is an object key */
    uint8_t aux;      /* literal: index into the literal; \u escape: hex digits left */
    uint8_t lit;      /* which literal (true/false/null) */
    uint8_t need;     /* UTF-8 continuation bytes still expected in a string */
    uint8_t lo, hi;   /* range of the next continuation byte */
    uint8_t ws;       /* length of the current whitespace run */
} jc_state;

/* The token texts of a vocabulary, laid out once per model: token i's bytes
 * are bytes[off[i] .. off[i + 1]); eog[i] marks end-of-generation tokens. */
typedef struct jc_vocab {
    int32_t n;
    const char *bytes;
    const uint32_t *off; /* (n + 1) */
    const bool *eog;     /* (n) */
} jc_vocab;

void jc_init(jc_state *s);
/* Advance over n bytes; false (state then undefined) if they cannot be part
 * of a valid JSON object text at this point. */
bool jc_push(jc_state *s, const char *bytes, size_t n);
/* Would these bytes be a valid continuation? s is not changed. */
bool jc_accepts(const jc_state *s, const char *bytes, size_t n);
/* Has the top-level object closed? Then nothing but the end may follow. */
bool jc_done(const jc_state *s);
/* Set logits[i] = -inf for every token i that may not come next. Returns
 * the number of tokens left allowed. */
int32_t jc_mask(const jc_state *s, const jc_vocab *v, float *logits);

#endif
