/*
 * vocab.h — a model's vocabulary and tokenizer, loaded from the GGUF keys
 * tokenizer.ggml.* (model, tokens, scores, token_type, merges, pre,
 * bos/eos/unk/sep/pad/eot/eom token ids, add_bos_token, add_eos_token,
 * add_space_prefix, …). Works on vocabulary-only files. The public
 * ei_tokenize/ei_detokenize/ei_token_* calls are thin wrappers over these.
 */
#ifndef EI_TOKENIZER_VOCAB_H
#define EI_TOKENIZER_VOCAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "edgeinfer.h"

typedef struct ei_vocab ei_vocab;

/* Load from the open GGUF (which must outlive the vocab only if the
 * implementation keeps pointers into it; it may). A missing or inconsistent
 * key is an error naming the key; an unsupported tokenizer.ggml.model or
 * .pre is EI_ERR_UNSUPPORTED naming it. */
ei_status ei_vocab_load(const ei_gguf *g, ei_vocab **out);
void ei_vocab_free(ei_vocab *v);

int32_t ei_vocab_n_tokens(const ei_vocab *v);

/* Same contracts as ei_tokenize, ei_token_to_piece, ei_detokenize in
 * edgeinfer.h. */
ei_status ei_vocab_tokenize(const ei_vocab *v, const char *text, size_t len, bool add_special, bool parse_special,
                            int32_t *out, int32_t cap, int32_t *n);
ei_status ei_vocab_token_to_piece(const ei_vocab *v, int32_t token, bool special, char *buf, size_t cap,
                                  size_t *len);
ei_status ei_vocab_detokenize(const ei_vocab *v, const int32_t *tokens, int32_t n, bool special, char *buf,
                              size_t cap, size_t *len);

int32_t ei_vocab_bos(const ei_vocab *v); /* -1 if none */
int32_t ei_vocab_eos(const ei_vocab *v); /* -1 if none */
bool ei_vocab_is_eog(const ei_vocab *v, int32_t token);
bool ei_vocab_adds_bos(const ei_vocab *v);

#endif
