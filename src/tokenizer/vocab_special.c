/*
 * vocab_special.c — text to token ids: the entry point ei_vocab_tokenize.
 *
 * First the text is cut at occurrences of special tokens, as llama.cpp's
 * tokenizer_st_partition does: every control, unknown and user-defined
 * token, longest text first, splits each remaining piece of plain text at
 * each of its occurrences, left to right (control and unknown tokens only
 * when parse_special; user-defined ones always). A token with the lstrip
 * attribute eats the white space before it, rstrip the white space after.
 * Then each plain piece goes to the vocabulary's algorithm, with BOS/EOS
 * (SEP for WordPiece) around the whole when add_special, as llama.cpp's
 * llama_vocab::impl::tokenize does.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "tokenizer/vocab_internal.h"
#include "util/error.h"

/* A piece of the text: a special token (tok >= 0) or plain text [off, off+len). */
typedef struct frag {
    int32_t tok;
    size_t off, len;
} frag;

typedef struct fraglist {
    frag *f;
    size_t n, cap;
} fraglist;

static ei_status frag_push(fraglist *l, int32_t tok, size_t off, size_t len) {
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        frag *f = realloc(l->f, cap * sizeof *f);
        if (!f) return ei_error(EI_ERR_NOMEM, "out of memory");
        l->f = f;
        l->cap = cap;
    }
    l->f[l->n++] = (frag){tok, off, len};
    return EI_OK;
}

/* isspace() in the C locale, which llama.cpp's strip uses. */
static bool c_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

/* Split every plain fragment of `in` at the occurrences of token id into `out`. */
static ei_status split_at(const ei_vocab *v, const char *text, int32_t id, const fraglist *in, fraglist *out) {
    const ei_vtoken *t = &v->tok[id];
    out->n = 0;
    ei_status s = EI_OK;
    for (size_t i = 0; i < in->n && !s; i++) {
        frag f = in->f[i];
        if (f.tok >= 0) {
            s = frag_push(out, f.tok, 0, 0);
            continue;
        }
        size_t off = f.off, len = f.len;
        while (len > 0 && !s) {
            const char *m = memmem(text + off, len, t->text, t->len);
            if (!m) {
                s = frag_push(out, -1, off, len);
                break;
            }
            size_t at = (size_t)(m - text), left = at - off;
            if (t->attr & EI_TATTR_LSTRIP)
                while (left > 0 && c_space(text[off + left - 1])) left--;
            if (left > 0 && (s = frag_push(out, -1, off, left))) break;
            if ((s = frag_push(out, id, 0, 0))) break;
            size_t r_off = at + t->len, r_len = off + len - r_off;
            if (t->attr & EI_TATTR_RSTRIP)
                while (r_len > 0 && c_space(text[r_off])) r_off++, r_len--;
            off = r_off;
            len = r_len;
        }
    }
    return s;
}

#define QUAD_BITS 20

static uint32_t quad_hash(const char *p) {
    uint32_t x;
    memcpy(&x, p, 4);
    return (x * 2654435761u) >> (32 - QUAD_BITS);
}

/* Could token t occur in the text whose byte n-grams `seen` records? */
static bool may_occur(const uint8_t *seen, const ei_vtoken *t) {
    const uint8_t *one = seen, *two = seen + 256 / 8, *four = two + 65536 / 8;
    const char *s = t->text;
    if (t->len == 1) {
        unsigned c = (unsigned char)s[0];
        return one[c >> 3] & (1u << (c & 7));
    }
    if (t->len < 4) {
        for (uint32_t i = 0; i + 1 < t->len; i++) {
            unsigned p = (unsigned)(unsigned char)s[i] << 8 | (unsigned char)s[i + 1];
            if (!(two[p >> 3] & (1u << (p & 7)))) return false;
        }
        return true;
    }
    for (uint32_t i = 0; i + 3 < t->len; i++) {
        uint32_t q = quad_hash(s + i);
        if (!(four[q >> 3] & (1u << (q & 7)))) return false;
    }
    return true;
}

/* The text cut at special tokens, into *out (frag list, owned by caller). */
static ei_status partition(const ei_vocab *v, const char *text, size_t len, bool parse_special, fraglist *out) {
    fraglist a = {0}, b = {0};
    ei_status s = frag_push(&a, -1, 0, len);
    /* Which bytes, byte pairs and (hashed) byte quadruples occur: most
     * special tokens have a piece that never does, and are dismissed
     * without a search. */
    enum { PAIRS = 65536 / 8, QUADS = (1u << QUAD_BITS) / 8 };
    uint8_t *seen = s ? NULL : calloc(256 / 8 + PAIRS + QUADS, 1);
    if (!s && !seen) s = ei_error(EI_ERR_NOMEM, "out of memory");
    if (!s) {
        uint8_t *one = seen, *two = seen + 256 / 8, *four = two + PAIRS;
        for (size_t i = 0; i < len; i++) {
            unsigned c = (unsigned char)text[i];
            one[c >> 3] |= (uint8_t)(1u << (c & 7));
            if (i + 1 < len) {
                unsigned p = c << 8 | (unsigned char)text[i + 1];
                two[p >> 3] |= (uint8_t)(1u << (p & 7));
            }
            if (i + 3 < len) {
                uint32_t q = quad_hash(text + i);
                four[q >> 3] |= (uint8_t)(1u << (q & 7));
            }
        }
    }
    /* the plain fragments (indices into a), rebuilt after each split */
    size_t *plain = s ? NULL : malloc(sizeof *plain);
    size_t n_plain = 1;
    if (!s && !plain) s = ei_error(EI_ERR_NOMEM, "out of memory");
    if (!s) plain[0] = 0;
    for (int32_t k = 0; k < v->n_special && !s && n_plain; k++) {
        int32_t id = v->special[k];
        const ei_vtoken *t = &v->tok[id];
        if (!parse_special && (t->attr & (EI_TATTR_CONTROL | EI_TATTR_UNKNOWN))) continue;
        if (t->len == 0 || t->len > len) continue;
        if (!may_occur(seen, t)) continue;
        bool found = false;
        for (size_t i = 0; i < n_plain && !found; i++) {
            const frag *f = &a.f[plain[i]];
            found = f->len >= t->len && memmem(text + f->off, f->len, t->text, t->len);
        }
        if (!found) continue;
        if ((s = split_at(v, text, id, &a, &b))) break;
        fraglist tmp = a;
        a = b;
        b = tmp;
        size_t *np = realloc(plain, (a.n ? a.n : 1) * sizeof *plain);
        if (!np) {
            s = ei_error(EI_ERR_NOMEM, "out of memory");
            break;
        }
        plain = np;
        n_plain = 0;
        for (size_t i = 0; i < a.n; i++)
            if (a.f[i].tok < 0) plain[n_plain++] = i;
    }
    free(plain);
    free(seen);
    free(b.f);
    if (s) {
        free(a.f);
        return s;
    }
    *out = a;
    return EI_OK;
}

/* The fragment with each space written as U+2581, SentencePiece's escape,
 * and an escaped space first when `prefix`. */
static char *escape_spaces(const char *s, size_t len, bool prefix, size_t *out_len) {
    size_t n = prefix ? 3 : 0;
    for (size_t i = 0; i < len; i++) n += s[i] == ' ' ? 3 : 1;
    char *buf = malloc(n ? n : 1);
    if (!buf) return NULL;
    size_t k = 0;
    if (prefix) buf[k++] = '\xe2', buf[k++] = '\x96', buf[k++] = '\x81';
    for (size_t i = 0; i < len; i++) {
        if (s[i] == ' ') buf[k++] = '\xe2', buf[k++] = '\x96', buf[k++] = '\x81';
        else buf[k++] = s[i];
    }
    *out_len = k;
    return buf;
}

static ei_status run_fragments(const ei_vocab *v, const char *text, const fraglist *fl, bool add_special,
                               ei_tokvec *out) {
    ei_status s = EI_OK;
    bool prev_special = true; /* SentencePiece: a space before the first text */
    if (add_special && v->type != EI_VOCAB_WPM && v->add_bos && v->bos >= 0) s = ei_tokvec_push(out, v->bos);
    if (add_special && v->type == EI_VOCAB_WPM && v->bos >= 0) s = ei_tokvec_push(out, v->bos);
    for (size_t i = 0; i < fl->n && !s; i++) {
        const frag *f = &fl->f[i];
        if (f->tok >= 0) {
            s = ei_tokvec_push(out, f->tok);
            prev_special = true;
            continue;
        }
        const char *p = text + f->off;
        switch (v->type) {
        case EI_VOCAB_SPM: {
            size_t n;
            char *buf = escape_spaces(p, f->len, v->add_space_prefix && prev_special, &n);
            if (!buf) return ei_error(EI_ERR_NOMEM, "out of memory");
            s = ei_spm_tokenize(v, buf, n, out);
            free(buf);
            break;
        }
        case EI_VOCAB_BPE:
            if (v->escape_whitespaces) {
                size_t n;
                char *buf = escape_spaces(p, f->len, false, &n);
                if (!buf) return ei_error(EI_ERR_NOMEM, "out of memory");
                s = ei_bpe_tokenize(v, buf, n, out);
                free(buf);
            } else {
                s = ei_bpe_tokenize(v, p, f->len, out);
            }
            break;
        case EI_VOCAB_WPM: s = ei_wpm_tokenize(v, p, f->len, out); break;
        }
        prev_special = false;
    }
    if (s) return s;
    if (add_special && v->type != EI_VOCAB_WPM && v->add_eos && v->eos >= 0) s = ei_tokvec_push(out, v->eos);
    if (add_special && v->type == EI_VOCAB_WPM && v->sep >= 0) s = ei_tokvec_push(out, v->sep);
    return s;
}

ei_status ei_vocab_tokenize(const ei_vocab *v, const char *text, size_t len, bool add_special, bool parse_special,
                            int32_t *out, int32_t cap, int32_t *n) {
    if (!v || !n) return ei_error(EI_ERR_ARG, "ei_tokenize: NULL argument");
    *n = 0;
    if ((!text && len) || cap < 0 || (!out && cap > 0))
        return ei_error(EI_ERR_ARG, "ei_tokenize: bad buffer (text %s, len %zu, out %s, cap %d)", text ? "set" : "NULL",
                        len, out ? "set" : "NULL", cap);
    fraglist fl = {0};
    ei_status s = len ? partition(v, text, len, parse_special, &fl) : EI_OK;
    ei_tokvec tv = {0};
    if (!s) s = run_fragments(v, text, &fl, add_special, &tv);
    free(fl.f);
    if (!s && tv.n > INT32_MAX) s = ei_error(EI_ERR_ARG, "ei_tokenize: more than %d tokens", INT32_MAX);
    if (!s) {
        size_t k = tv.n < (size_t)cap ? tv.n : (size_t)cap;
        if (k) memcpy(out, tv.v, k * sizeof *out);
        *n = (int32_t)tv.n;
    }
    free(tv.v);
    return s;
}
