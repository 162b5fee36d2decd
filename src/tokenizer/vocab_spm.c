/*
 * vocab_spm.c — SentencePiece BPE ("llama" vocabularies), as llama.cpp's
 * llm_tokenizer_spm_session: the text (spaces already escaped as U+2581)
 * starts as one symbol per UTF-8 character; the adjacent pair whose
 * concatenation is the token of highest score is merged first (ties: the
 * leftmost), repeatedly, until no pair forms a token. Each final symbol is
 * its token, or else its bytes as byte tokens (<0xXX>).
 *
 * Cost: O(n log n) in the text length (a binary heap of candidate pairs;
 * stale candidates are dropped when popped).
 */
#include <stdlib.h>

#include "tokenizer/vocab_internal.h"
#include "util/error.h"

typedef struct sym {
    int32_t prev, next;
    size_t off, n; /* bytes [off, off+n) of the text; n = 0 once merged away */
} sym;

typedef struct bigram {
    int32_t left, right;
    float score;
    size_t size;
} bigram;

typedef struct heap {
    bigram *b;
    size_t n, cap;
} heap;

/* Does a come out of the queue before b? Higher score, then leftmost. */
static bool before(const bigram *a, const bigram *b) {
    if (a->score != b->score) return a->score > b->score;
    return a->left < b->left;
}

static ei_status heap_push(heap *h, bigram x) {
    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 64;
        bigram *b = realloc(h->b, cap * sizeof *b);
        if (!b) return ei_error(EI_ERR_NOMEM, "out of memory");
        h->b = b;
        h->cap = cap;
    }
    size_t i = h->n++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!before(&x, &h->b[p])) break;
        h->b[i] = h->b[p];
        i = p;
    }
    h->b[i] = x;
    return EI_OK;
}

static bigram heap_pop(heap *h) {
    bigram top = h->b[0], x = h->b[--h->n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= h->n) break;
        if (c + 1 < h->n && before(&h->b[c + 1], &h->b[c])) c++;
        if (!before(&h->b[c], &x)) break;
        h->b[i] = h->b[c];
        i = c;
    }
    if (h->n) h->b[i] = x;
    return top;
}

static ei_status try_add(const ei_vocab *v, const char *text, const sym *s, int32_t l, int32_t r, heap *h) {
    if (l < 0 || r < 0) return EI_OK;
    size_t size = s[l].n + s[r].n;
    int32_t id = ei_vocab_find(v, text + s[l].off, size);
    if (id < 0) return EI_OK;
    return heap_push(h, (bigram){l, r, v->tok[id].score, size});
}

ei_status ei_spm_tokenize(const ei_vocab *v, const char *text, size_t len, ei_tokvec *out) {
    if (len == 0) return EI_OK;
    if (len > (size_t)INT32_MAX) return ei_error(EI_ERR_ARG, "text of %zu bytes is too long", len);
    sym *s = malloc(len * sizeof *s);
    if (!s) return ei_error(EI_ERR_NOMEM, "out of memory");
    int32_t n = 0;
    for (size_t off = 0; off < len; n++) {
        size_t cl = ei_vocab_utf8_len((unsigned char)text[off]);
        if (cl > len - off) cl = len - off;
        s[n] = (sym){n - 1, off + cl == len ? -1 : n + 1, off, cl};
        off += cl;
    }
    heap h = {0};
    ei_status st = EI_OK;
    for (int32_t i = 1; i < n && !st; i++) st = try_add(v, text, s, i - 1, i, &h);
    while (h.n && !st) {
        bigram b = heap_pop(&h);
        sym *l = &s[b.left], *r = &s[b.right];
        if (l->n == 0 || r->n == 0 || l->n + r->n != b.size) continue; /* stale */
        l->n += r->n;
        r->n = 0;
        l->next = r->next;
        if (r->next >= 0) s[r->next].prev = b.left;
        st = try_add(v, text, s, l->prev, b.left, &h);
        if (!st) st = try_add(v, text, s, b.left, l->next, &h);
    }
    for (int32_t i = 0; i != -1 && !st; i = s[i].next) {
        int32_t id = ei_vocab_find(v, text + s[i].off, s[i].n);
        if (id >= 0) {
            st = ei_tokvec_push(out, id);
            continue;
        }
        /* no token: its bytes as byte tokens (unknown where the vocabulary
         * has no token for a byte, where llama.cpp would throw) */
        for (size_t j = 0; j < s[i].n && !st; j++) {
            int32_t b = ei_vocab_byte_token(v, (unsigned char)text[s[i].off + j]);
            if (b < 0) b = v->unk;
            if (b >= 0) st = ei_tokvec_push(out, b);
        }
    }
    free(h.b);
    free(s);
    return st;
}
