/*
 * vocab_detok.c — token ids back to text, as llama.cpp's token_to_piece
 * and detokenize.
 *
 * A piece: control and unknown tokens give nothing unless `special` (then
 * their text); user-defined tokens their text; byte tokens (<0xXX>) their
 * byte; normal tokens their text with SentencePiece's U+2581 as a space
 * (SPM, WPM, and BPE vocabularies that escape spaces) or, for byte-level
 * BPE, each code point mapped back through GPT-2's bytes-to-unicode table
 * (a code point outside it is written "[UNK_BYTE_0x..<text>]", as
 * llama.cpp writes it). Pieces are bytes: a character split across tokens
 * is simply the concatenation.
 *
 * Detokenize (llama_detokenize with remove_special false): the pieces in
 * order; when the vocabulary adds a space prefix (SentencePiece), the
 * first piece loses one leading space; then, for vocabularies with
 * clean_up_tokenization_spaces, " ?", " !", " .", " ," lose their space,
 * " ' " and the contractions " 's", " 'm", " 're", " 've" are tightened.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tokenizer/unicode.h"
#include "tokenizer/vocab_internal.h"
#include "util/error.h"

typedef struct sbuf {
    char *p;
    size_t n, cap;
} sbuf;

static ei_status put(sbuf *b, const char *p, size_t n) {
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->n + n) cap *= 2;
        char *x = realloc(b->p, cap);
        if (!x) return ei_error(EI_ERR_NOMEM, "out of memory");
        b->p = x;
        b->cap = cap;
    }
    memcpy(b->p + b->n, p, n);
    b->n += n;
    return EI_OK;
}

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* The byte of a byte token "<0xXX>" (the two characters after "<0x"). */
static char token_byte(const ei_vtoken *t) {
    int v = 0;
    for (uint32_t i = 3; i < 5 && i < t->len; i++) {
        int h = hexval(t->text[i]);
        if (h < 0) break;
        v = v * 16 + h;
    }
    return (char)v;
}

/* Text with each U+2581 as a space. */
static ei_status unescape(sbuf *b, const char *s, size_t n) {
    ei_status st = EI_OK;
    size_t i = 0;
    while (i < n && !st) {
        if (i + 3 <= n && !memcmp(s + i, "\xe2\x96\x81", 3)) {
            st = put(b, " ", 1);
            i += 3;
        } else {
            st = put(b, s + i, 1);
            i++;
        }
    }
    return st;
}

/* Byte-level BPE text back to bytes. */
static ei_status decode_bytes(sbuf *b, const ei_vtoken *t) {
    size_t pos = 0;
    ei_status st = EI_OK;
    while (pos < t->len && !st) {
        uint32_t cp = ei_utf8_next(t->text, t->len, &pos);
        int byte = ei_bpe_cpt_to_byte(cp);
        if (byte >= 0) {
            char c = (char)byte;
            st = put(b, &c, 1);
            continue;
        }
        char u[4], hex[40] = "[UNK_BYTE_0x";
        int n = ei_utf8_put(cp > 0x10FFFF ? 0xFFFD : cp, u);
        size_t k = strlen(hex);
        for (int i = 0; i < n; i++) k += (size_t)snprintf(hex + k, sizeof hex - k, "%02x", (unsigned char)u[i]);
        st = put(b, hex, k);
        if (!st) st = put(b, t->text, t->len);
        if (!st) st = put(b, "]", 1);
    }
    return st;
}

/* Append the piece of token id (valid) to b. */
static ei_status piece(const ei_vocab *v, int32_t id, bool special, sbuf *b) {
    const ei_vtoken *t = &v->tok[id];
    uint32_t a = t->attr;
    const uint32_t special_attr = EI_TATTR_UNKNOWN | EI_TATTR_CONTROL;
    if (!special && (a & special_attr)) return EI_OK;
    if (a & (special_attr | EI_TATTR_USER_DEFINED)) return put(b, t->text, t->len);
    if (a & EI_TATTR_NORMAL) {
        if (v->type == EI_VOCAB_BPE && !v->escape_whitespaces) return decode_bytes(b, t);
        return unescape(b, t->text, t->len);
    }
    if (a & EI_TATTR_BYTE) {
        if (v->type == EI_VOCAB_WPM) return EI_OK; /* llama.cpp aborts here */
        char c = token_byte(t);
        return put(b, &c, 1);
    }
    return EI_OK; /* undefined or unused: nothing */
}

ei_status ei_vocab_token_to_piece(const ei_vocab *v, int32_t token, bool special, char *buf, size_t cap,
                                  size_t *len) {
    if (!v || !len || (!buf && cap)) return ei_error(EI_ERR_ARG, "ei_token_to_piece: NULL argument");
    *len = 0;
    if (token < 0 || token >= v->n_tokens)
        return ei_error(EI_ERR_ARG, "token %d outside the vocabulary of %d tokens", token, v->n_tokens);
    sbuf b = {0};
    ei_status s = piece(v, token, special, &b);
    if (!s) {
        *len = b.n;
        size_t k = b.n < cap ? b.n : cap;
        if (k) memcpy(buf, b.p, k);
    }
    free(b.p);
    return s;
}

/* llama.cpp's clean_up_tokenization_spaces passes, in place. */
static size_t clean_spaces(char *text, size_t total) {
    /* " ?", " !", " .", " ," lose the space */
    size_t t1 = total, n = total ? 1 : 0;
    for (size_t i = 1; i < t1; i++) {
        char x = text[i];
        if (text[i - 1] == ' ' && (x == '?' || x == '!' || x == '.' || x == ',')) n--;
        text[n++] = x;
    }
    /* " ' " becomes "'" */
    size_t t2 = n;
    n = t2 ? 1 : 0;
    for (size_t i = 1; i < t2; i++) {
        char x = text[i];
        if (x == '\'' && i + 1 < t2 && text[i - 1] == ' ' && text[i + 1] == ' ') {
            n--;
            text[++i] = '\0';
        }
        text[n++] = x;
    }
    /* " 's", " 'm", " 're", " 've" lose the space */
    size_t t3 = n;
    n = t3 ? 1 : 0;
    for (size_t i = 1; i < t3; i++) {
        char x = text[i];
        if (text[i - 1] == ' ' && x == '\'' && i + 1 < t3) {
            char x1 = text[i + 1];
            if (x1 == 's' || x1 == 'm') n--;
            else if (i + 2 < t3 && ((x1 == 'r' && text[i + 2] == 'e') || (x1 == 'v' && text[i + 2] == 'e'))) n--;
        }
        text[n++] = x;
    }
    return n;
}

ei_status ei_vocab_detokenize(const ei_vocab *v, const int32_t *tokens, int32_t n, bool special, char *buf,
                              size_t cap, size_t *len) {
    if (!v || !len || (!tokens && n > 0) || n < 0 || (!buf && cap))
        return ei_error(EI_ERR_ARG, "ei_detokenize: bad argument");
    *len = 0;
    for (int32_t i = 0; i < n; i++)
        if (tokens[i] < 0 || tokens[i] >= v->n_tokens)
            return ei_error(EI_ERR_ARG, "tokens[%d] = %d is outside the vocabulary of %d tokens", i, tokens[i],
                            v->n_tokens);
    sbuf b = {0};
    ei_status s = EI_OK;
    bool remove_space = v->add_space_prefix;
    for (int32_t i = 0; i < n && !s; i++) {
        size_t at = b.n;
        s = piece(v, tokens[i], special, &b);
        if (!s && remove_space && b.n > at && b.p[at] == ' ') {
            memmove(b.p + at, b.p + at + 1, b.n - at - 1);
            b.n--;
        }
        remove_space = false;
    }
    if (!s && v->clean_spaces && b.n) b.n = clean_spaces(b.p, b.n);
    if (!s) {
        *len = b.n;
        size_t k = b.n < cap ? b.n : cap;
        if (k) memcpy(buf, b.p, k);
        if (b.n < cap) buf[b.n] = '\0';
    }
    free(b.p);
    return s;
}
