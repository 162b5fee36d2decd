/*
 * vocab_wpm.c — WordPiece ("bert" vocabularies), as llama.cpp's
 * llm_tokenizer_wpm_session. Normalize like BertNormalizer: decompose
 * (first code point of the NFD form, as llama.cpp's table keeps), drop
 * control characters, NUL, U+FFFD and (when stripping accents) combining
 * marks, lower-case; split at white space, and make every punctuation
 * mark, ASCII symbol and CJK ideograph a word of its own. Then each word,
 * prefixed with U+2581 (the converter wrote word-initial tokens so, and
 * dropped the "##" of continuations), is covered by greedy longest-match
 * tokens, byte by byte; a word that cannot be covered is one unknown token.
 *
 * Cost: O(word length * longest token) hash look-ups per word.
 */
#include <stdlib.h>
#include <string.h>

#include "tokenizer/unicode.h"
#include "tokenizer/vocab_internal.h"
#include "util/error.h"

static bool is_chinese_char(uint32_t c) {
    return (c >= 0x04E00 && c <= 0x09FFF) || (c >= 0x03400 && c <= 0x04DBF) || (c >= 0x20000 && c <= 0x2A6DF) ||
           (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) ||
           (c >= 0x2B920 && c <= 0x2CEAF) || /* 0x2B820 in Unicode; 0x2B920 as in HF's Rust code */
           (c >= 0x0F900 && c <= 0x0FAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

typedef struct buf {
    char *p;
    size_t n, cap;
} buf;

static ei_status buf_put(buf *b, const char *p, size_t n) {
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
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

/* Tokens of one word (w holds U+2581 then the word). */
static ei_status word_tokens(const ei_vocab *v, const char *w, size_t n, ei_tokvec *out) {
    size_t start = out->n;
    ei_status s = EI_OK;
    for (size_t i = 0; i < n && !s; i++) {
        size_t j = i + (size_t)v->max_token_len + 1;
        if (j > n) j = n;
        int32_t id = -1;
        for (; j > i; j--)
            if ((id = ei_vocab_find(v, w + i, j - i)) >= 0) break;
        if (id < 0) { /* discard the word's tokens */
            out->n = start;
            break;
        }
        s = ei_tokvec_push(out, id);
        i = j - 1;
    }
    if (!s && out->n == start && v->unk >= 0) s = ei_tokvec_push(out, v->unk);
    return s;
}

static ei_status flush(const ei_vocab *v, buf *word, ei_tokvec *out) {
    if (word->n <= 3) return EI_OK; /* only the U+2581 prefix: no word */
    ei_status s = word_tokens(v, word->p, word->n, out);
    word->n = 3;
    return s;
}

ei_status ei_wpm_tokenize(const ei_vocab *v, const char *text, size_t len, ei_tokvec *out) {
    buf word = {0};
    ei_status s = buf_put(&word, "\xe2\x96\x81", 3);
    size_t pos = 0;
    while (pos < len && !s) {
        uint32_t cp = ei_utf8_next(text, len, &pos);
        if (v->strip_accents) {
            uint32_t d[4];
            if (ei_unicode_nfd(cp, d) > 0) cp = d[0];
        }
        unsigned f = ei_unicode_flags(cp);
        if (f & EI_UCAT_WHITESPACE) {
            s = flush(v, &word, out);
            continue;
        }
        if (cp == 0 || cp == 0xFFFD || (f & EI_UCAT_CONTROL)) continue;
        if (v->strip_accents && (f & EI_UCAT_ACCENT_MARK)) continue;
        char u[4];
        int n = ei_utf8_put(v->lowercase ? ei_unicode_tolower(cp) : cp, u);
        if ((f & EI_UCAT_PUNCTUATION) || (cp < 0x7F && (f & EI_UCAT_SYMBOL)) || is_chinese_char(cp)) {
            s = flush(v, &word, out);
            if (!s) s = buf_put(&word, u, (size_t)n);
            if (!s) s = flush(v, &word, out);
        } else {
            s = buf_put(&word, u, (size_t)n);
        }
    }
    if (!s) s = flush(v, &word, out);
    free(word.p);
    return s;
}
