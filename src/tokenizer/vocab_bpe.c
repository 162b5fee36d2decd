/*
 * vocab_bpe.c — byte-level BPE ("gpt2" vocabularies), as llama.cpp's
 * llm_tokenizer_bpe_session: the pre-tokenizer (pretokenize.h) splits the
 * text into words; each word is rewritten code point by code point (an
 * invalid UTF-8 byte becomes U+FFFD) and, for byte-level vocabularies,
 * byte by byte through GPT-2's bytes-to-unicode table; then the adjacent
 * pair of symbols with the lowest merge rank is merged first (ties: the
 * leftmost), until no pair has a merge. Each final symbol is its token;
 * one that is not a token falls back to single-byte tokens where they
 * exist (and is dropped where they do not, as in llama.cpp).
 *
 * Cost: O(n log n) per word (a binary heap of candidate pairs, stale ones
 * dropped when popped); merge ranks come from a hash table of pairs.
 */
#include <stdlib.h>
#include <string.h>

#include "tokenizer/unicode.h"
#include "tokenizer/vocab_internal.h"
#include "util/error.h"

/* ---- GPT-2 bytes-to-unicode ------------------------------------------------- */

/* Bytes that stand for themselves: '!'..'~', U+00A1..U+00AC, U+00AE..U+00FF. */
static bool printable(unsigned b) { return (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae); }

/* The other 68 bytes are numbered from U+0100 in byte order: 0x00..0x20
 * (33), 0x7F..0xA0 (34), 0xAD (1). */
uint32_t ei_bpe_byte_to_cpt(unsigned char b) {
    if (printable(b)) return b;
    if (b <= 0x20) return 256u + b;
    if (b <= 0xa0) return 256u + 33 + (b - 0x7fu);
    return 256u + 67; /* 0xAD */
}

int ei_bpe_cpt_to_byte(uint32_t cp) {
    if (cp < 256) return printable(cp) ? (int)cp : -1;
    if (cp < 256 + 33) return (int)(cp - 256);
    if (cp < 256 + 67) return (int)(cp - 256 - 33 + 0x7f);
    if (cp == 256 + 67) return 0xad;
    return -1;
}

/* ---- merging ------------------------------------------------------------------ */

typedef struct sym {
    int32_t prev, next;
    size_t off, n; /* bytes [off, off+n) of the word; n = 0 once merged away */
} sym;

typedef struct bigram {
    int32_t left, right, rank;
    size_t size;
} bigram;

typedef struct work {
    char *word;            /* the current word, rewritten */
    size_t word_len, word_cap;
    sym *s;
    size_t s_cap;
    bigram *h;             /* binary heap */
    size_t h_n, h_cap;
    char utf8[256][8];     /* the rewritten form of each byte */
    unsigned char utf8_len[256];
} work;

static bool before(const bigram *a, const bigram *b) {
    if (a->rank != b->rank) return a->rank < b->rank;
    return a->left < b->left;
}

static ei_status heap_push(work *w, bigram x) {
    if (w->h_n == w->h_cap) {
        size_t cap = w->h_cap ? w->h_cap * 2 : 64;
        bigram *b = realloc(w->h, cap * sizeof *b);
        if (!b) return ei_error(EI_ERR_NOMEM, "out of memory");
        w->h = b;
        w->h_cap = cap;
    }
    size_t i = w->h_n++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!before(&x, &w->h[p])) break;
        w->h[i] = w->h[p];
        i = p;
    }
    w->h[i] = x;
    return EI_OK;
}

static bigram heap_pop(work *w) {
    bigram top = w->h[0], x = w->h[--w->h_n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= w->h_n) break;
        if (c + 1 < w->h_n && before(&w->h[c + 1], &w->h[c])) c++;
        if (!before(&w->h[c], &x)) break;
        w->h[i] = w->h[c];
        i = c;
    }
    if (w->h_n) w->h[i] = x;
    return top;
}

static ei_status add_bigram(const ei_vocab *v, work *w, int32_t l, int32_t r) {
    if (l < 0 || r < 0) return EI_OK;
    const sym *a = &w->s[l], *b = &w->s[r];
    int32_t rank = ei_vocab_merge_rank(v, w->word + a->off, a->n, w->word + b->off, b->n);
    if (rank < 0) return EI_OK;
    return heap_push(w, (bigram){l, r, rank, a->n + b->n});
}

static ei_status word_append(work *w, const char *p, size_t n) {
    if (w->word_len + n > w->word_cap) {
        size_t cap = w->word_cap ? w->word_cap : 256;
        while (cap < w->word_len + n) cap *= 2;
        char *x = realloc(w->word, cap);
        if (!x) return ei_error(EI_ERR_NOMEM, "out of memory");
        w->word = x;
        w->word_cap = cap;
    }
    memcpy(w->word + w->word_len, p, n);
    w->word_len += n;
    return EI_OK;
}

/* The word of text[0..len) as the merges see it. */
static ei_status rewrite(const ei_vocab *v, work *w, const char *text, size_t len) {
    w->word_len = 0;
    size_t pos = 0;
    ei_status s = EI_OK;
    while (pos < len && !s) {
        uint32_t cp = ei_utf8_next(text, len, &pos);
        if (cp > 0x10FFFF) cp = 0xFFFD; /* llama.cpp throws here; we go on */
        char u[4];
        int n = ei_utf8_put(cp, u);
        if (!v->byte_encode) {
            s = word_append(w, u, (size_t)n);
            continue;
        }
        for (int i = 0; i < n && !s; i++) {
            unsigned char b = (unsigned char)u[i];
            s = word_append(w, w->utf8[b], w->utf8_len[b]);
        }
    }
    return s;
}

/* Only newlines (gemma4's special case). */
static bool all_newlines(const char *p, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (p[i] != '\n') return false;
    return n > 0;
}

static ei_status merge_word(const ei_vocab *v, work *w, ei_tokvec *out) {
    size_t len = w->word_len;
    if (len == 0) return EI_OK;
    if (len > (size_t)INT32_MAX) return ei_error(EI_ERR_ARG, "word of %zu bytes is too long", len);
    if (len > w->s_cap) {
        sym *s = realloc(w->s, len * sizeof *s);
        if (!s) return ei_error(EI_ERR_NOMEM, "out of memory");
        w->s = s;
        w->s_cap = len;
    }
    sym *s = w->s;
    int32_t n = 0;
    if ((v->ignore_merges || (v->gemma4 && all_newlines(w->word, len))) && ei_vocab_find(v, w->word, len) >= 0) {
        s[n++] = (sym){-1, -1, 0, len};
    } else {
        for (size_t off = 0; off < len; n++) {
            size_t cl = ei_vocab_utf8_len((unsigned char)w->word[off]);
            if (cl > len - off) cl = len - off;
            s[n] = (sym){n - 1, off + cl == len ? -1 : n + 1, off, cl};
            off += cl;
        }
    }
    w->h_n = 0;
    ei_status st = EI_OK;
    for (int32_t i = 1; i < n && !st; i++) st = add_bigram(v, w, i - 1, i);
    while (w->h_n && !st) {
        bigram b = heap_pop(w);
        sym *l = &s[b.left], *r = &s[b.right];
        if (l->n == 0 || r->n == 0 || l->n + r->n != b.size) continue; /* stale */
        l->n += r->n;
        r->n = 0;
        l->next = r->next;
        if (r->next >= 0) s[r->next].prev = b.left;
        st = add_bigram(v, w, l->prev, b.left);
        if (!st) st = add_bigram(v, w, b.left, l->next);
    }
    for (int32_t i = 0; i != -1 && !st; i = s[i].next) {
        if (s[i].n == 0) continue;
        const char *p = w->word + s[i].off;
        int32_t id = ei_vocab_find(v, p, s[i].n);
        if (id >= 0) {
            st = ei_tokvec_push(out, id);
            continue;
        }
        for (size_t j = 0; j < s[i].n && !st; j++) {
            int32_t b = ei_vocab_byte_token(v, (unsigned char)p[j]);
            if (b >= 0) st = ei_tokvec_push(out, b);
        }
    }
    return st;
}

ei_status ei_bpe_tokenize(const ei_vocab *v, const char *text, size_t len, ei_tokvec *out) {
    if (len == 0) return EI_OK;
    ei_span *sp = NULL;
    size_t n_sp = 0;
    ei_status s = ei_pretok_split(v->pretok, text, len, &sp, &n_sp);
    if (s) return s;
    work *w = calloc(1, sizeof *w);
    if (!w) {
        free(sp);
        return ei_error(EI_ERR_NOMEM, "out of memory");
    }
    for (int b = 0; b < 256; b++) w->utf8_len[b] = (unsigned char)ei_utf8_put(ei_bpe_byte_to_cpt((unsigned char)b), w->utf8[b]);
    for (size_t i = 0; i < n_sp && !s; i++) {
        if (sp[i].off > len || sp[i].len > len - sp[i].off) {
            s = ei_error(EI_ERR_ARG, "pre-tokenizer span out of range");
            break;
        }
        s = rewrite(v, w, text + sp[i].off, sp[i].len);
        if (!s) s = merge_word(v, w, out);
    }
    free(w->word);
    free(w->s);
    free(w->h);
    free(w);
    free(sp);
    return s;
}
