/*
 * vocab_internal.h — the insides of ei_vocab, shared by the files of the
 * tokenizer: vocab.c (loading), vocab_special.c (special-token partition and
 * the tokenize entry point), vocab_spm.c, vocab_bpe.c, vocab_wpm.c (one
 * algorithm each, for one fragment of plain text) and vocab_detok.c.
 *
 * Everything here mirrors llama.cpp's llama_vocab (src/llama-vocab.cpp):
 * the same defaults, attributes and rules, so that token ids agree.
 */
#ifndef EI_TOKENIZER_VOCAB_INTERNAL_H
#define EI_TOKENIZER_VOCAB_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tokenizer/pretokenize.h"
#include "tokenizer/vocab.h"

typedef enum ei_vocab_type {
    EI_VOCAB_SPM, /* tokenizer.ggml.model = "llama": SentencePiece BPE by scores, byte fallback */
    EI_VOCAB_BPE, /* "gpt2": byte-level BPE by merge rank after a pre-tokenizer split */
    EI_VOCAB_WPM, /* "bert": WordPiece, greedy longest match */
} ei_vocab_type;

/* Token attributes, numbered as llama.cpp's llama_token_attr. */
enum {
    EI_TATTR_UNDEFINED = 0,
    EI_TATTR_UNKNOWN = 1 << 0,
    EI_TATTR_UNUSED = 1 << 1,
    EI_TATTR_NORMAL = 1 << 2,
    EI_TATTR_CONTROL = 1 << 3,
    EI_TATTR_USER_DEFINED = 1 << 4,
    EI_TATTR_BYTE = 1 << 5,
    EI_TATTR_NORMALIZED = 1 << 6,
    EI_TATTR_LSTRIP = 1 << 7,
    EI_TATTR_RSTRIP = 1 << 8,
    EI_TATTR_SINGLE_WORD = 1 << 9,
};

typedef struct ei_vtoken {
    const char *text; /* into ei_vocab.text_buf; NUL-terminated */
    uint32_t len;
    uint32_t attr;    /* EI_TATTR_* bits */
    float score;      /* SPM merge priority (log probability) */
} ei_vtoken;

/* One BPE merge "left right" of rank = its index. */
typedef struct ei_vmerge {
    const char *left, *right; /* into ei_vocab.merge_buf */
    uint32_t llen, rlen;
} ei_vmerge;

struct ei_vocab {
    ei_vocab_type type;
    char pre[64];         /* tokenizer.ggml.pre as used (BPE), "" for none */

    int32_t n_tokens;
    ei_vtoken *tok;       /* (n_tokens) */
    char *text_buf;       /* all token texts, NUL-separated */
    int32_t *tok_slots;   /* open-addressing table text -> id, -1 empty (tok_mask + 1 slots) */
    uint32_t tok_mask;
    int32_t max_token_len;/* bytes of the longest token text */
    int32_t byte_tok[256];/* fallback token of each byte, -1 if none (see ei_vocab_byte_token) */

    /* BPE */
    int32_t n_merges;
    ei_vmerge *merge;     /* (n_merges) rank-ordered */
    char *merge_buf;
    int32_t *merge_slots; /* (left, right) -> rank, -1 empty (merge_mask + 1 slots) */
    uint32_t merge_mask;
    ei_pretok *pretok;
    bool byte_encode;     /* GPT-2 bytes-to-unicode mapping (false: raw UTF-8, <0xXX> byte tokens) */
    bool ignore_merges;   /* a pre-token that is a whole token is taken as is (llama3 and kin) */
    bool gemma4;          /* runs of newlines that are a token are taken as is */

    /* special token ids, -1 where none */
    int32_t bos, eos, eot, eom, unk, sep, pad, mask;
    int32_t fim_pre, fim_suf, fim_mid, fim_pad, fim_rep, fim_sep;

    /* tokenizer flags, llama.cpp's defaults per model and pre-tokenizer */
    bool add_space_prefix, add_bos, add_eos, add_sep;
    bool clean_spaces, remove_extra_whitespaces, escape_whitespaces;
    bool lowercase, strip_accents; /* WPM normalizer */

    int32_t *special;     /* tokens matched in text before tokenizing, longest text first */
    int32_t n_special;
    int32_t *eog;         /* end-of-generation ids, ascending */
    int32_t n_eog;
};

/* A growable list of token ids. */
typedef struct ei_tokvec {
    int32_t *v;
    size_t n, cap;
} ei_tokvec;

ei_status ei_tokvec_push(ei_tokvec *t, int32_t id);

/* FNV-1a over bytes, continuing from h (start with EI_HASH_INIT). */
#define EI_HASH_INIT 0xcbf29ce484222325ull
uint64_t ei_vocab_hash(uint64_t h, const char *s, size_t n);

/* Id of the token whose text is exactly s[0..n), or -1. */
int32_t ei_vocab_find(const ei_vocab *v, const char *s, size_t n);

/* Rank of the BPE merge (left, right), or -1. */
int32_t ei_vocab_merge_rank(const ei_vocab *v, const char *l, size_t ln, const char *r, size_t rn);

/* Byte length of the UTF-8 sequence that lead byte c starts, by its high
 * four bits, as llama.cpp's unicode_len_utf8 (0xF8..0xFF count as 4). */
static inline size_t ei_vocab_utf8_len(unsigned char c) {
    static const unsigned char lookup[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
    return lookup[c >> 4];
}

/* The token for one byte when nothing longer matched: SPM and byte-less
 * BPE "<0xXX>" (then the byte itself as a one-byte token); -1 if none. */
int32_t ei_vocab_byte_token(const ei_vocab *v, unsigned char byte);

/* The tokenizers: append the ids of one fragment of plain text to out. */
ei_status ei_spm_tokenize(const ei_vocab *v, const char *text, size_t len, ei_tokvec *out);
ei_status ei_bpe_tokenize(const ei_vocab *v, const char *text, size_t len, ei_tokvec *out);
ei_status ei_wpm_tokenize(const ei_vocab *v, const char *text, size_t len, ei_tokvec *out);

/* GPT-2's byte-to-unicode table: the code point byte b is written as. */
uint32_t ei_bpe_byte_to_cpt(unsigned char b);
/* Its inverse: the byte for code point cp, or -1 if cp is not in the table. */
int ei_bpe_cpt_to_byte(uint32_t cp);

#endif
