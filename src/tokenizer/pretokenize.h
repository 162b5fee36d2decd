/*
 * pretokenize.h — byte-level BPE pre-tokenization: split text into the
 * pieces that BPE merges never cross, by the rule set that the GGUF key
 * tokenizer.ggml.pre names ("llama-bpe", "qwen2", "smollm", "gpt-2", …), with
 * the same results as llama.cpp's unicode_regex_split for that name.
 */
#ifndef EI_TOKENIZER_PRETOKENIZE_H
#define EI_TOKENIZER_PRETOKENIZE_H

#include <stdbool.h>
#include <stddef.h>

#include "edgeinfer.h"

typedef struct ei_pretok ei_pretok;

/* The rule set for a tokenizer.ggml.pre value (NULL or "default": llama.cpp's
 * default, the GPT-2 rules). An unknown name is EI_ERR_UNSUPPORTED naming it. */
ei_status ei_pretok_new(const char *pre_name, ei_pretok **out);
void ei_pretok_free(ei_pretok *p);

/* One piece: bytes [off, off+len) of the text given to ei_pretok_split. */
typedef struct ei_span {
    size_t off, len;
} ei_span;

/* Split text[0..len) into pieces, in order, covering every byte exactly
 * once. *spans is allocated (free() it) and *n set. Invalid UTF-8 never
 * fails (each bad byte acts as U+FFFD). EI_ERR_NOMEM only. */
ei_status ei_pretok_split(const ei_pretok *p, const char *text, size_t len, ei_span **spans, size_t *n);

/* Whether the BPE that follows maps each byte of a piece to its GPT-2
 * stand-in character before looking up merges (llama.cpp's byte_encode):
 * true for all rule sets but "gemma4", "granite-embed-multi-311m",
 * "sarvam-moe" and "whitespace", whose vocabularies hold raw UTF-8. */
bool ei_pretok_byte_encode(const ei_pretok *p);

#endif
