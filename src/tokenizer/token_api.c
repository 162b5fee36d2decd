/*
 * token_api.c — the public token calls of edgeinfer.h (ei_tokenize,
 * ei_token_to_piece, ei_detokenize, ei_token_bos/eos, ei_token_is_eog,
 * ei_model_adds_bos): thin wrappers over the model's ei_vocab.
 */
#include "model/model.h"
#include "tokenizer/vocab.h"
#include "util/error.h"

static const ei_vocab *vocab_of(const ei_model *m, const char *fn, ei_status *s) {
    if (!m) {
        *s = ei_error(EI_ERR_ARG, "%s: NULL model", fn);
        return NULL;
    }
    if (!m->vocab) {
        *s = ei_error(EI_ERR_ARG, "%s: the model has no vocabulary", fn);
        return NULL;
    }
    *s = EI_OK;
    return m->vocab;
}

ei_status ei_tokenize(const ei_model *m, const char *text, size_t len, bool add_special, bool parse_special,
                      int32_t *out, int32_t cap, int32_t *n) {
    ei_status s;
    const ei_vocab *v = vocab_of(m, "ei_tokenize", &s);
    if (n && !v) *n = 0;
    return v ? ei_vocab_tokenize(v, text, len, add_special, parse_special, out, cap, n) : s;
}

ei_status ei_token_to_piece(const ei_model *m, int32_t token, bool special, char *buf, size_t cap, size_t *len) {
    ei_status s;
    const ei_vocab *v = vocab_of(m, "ei_token_to_piece", &s);
    if (len && !v) *len = 0;
    return v ? ei_vocab_token_to_piece(v, token, special, buf, cap, len) : s;
}

ei_status ei_detokenize(const ei_model *m, const int32_t *tokens, int32_t n, bool special, char *buf, size_t cap,
                        size_t *len) {
    ei_status s;
    const ei_vocab *v = vocab_of(m, "ei_detokenize", &s);
    if (len && !v) *len = 0;
    return v ? ei_vocab_detokenize(v, tokens, n, special, buf, cap, len) : s;
}

int32_t ei_token_bos(const ei_model *m) { return m && m->vocab ? ei_vocab_bos(m->vocab) : -1; }
int32_t ei_token_eos(const ei_model *m) { return m && m->vocab ? ei_vocab_eos(m->vocab) : -1; }
bool ei_token_is_eog(const ei_model *m, int32_t token) { return m && m->vocab && ei_vocab_is_eog(m->vocab, token); }
bool ei_model_adds_bos(const ei_model *m) { return m && m->vocab && ei_vocab_adds_bos(m->vocab); }
