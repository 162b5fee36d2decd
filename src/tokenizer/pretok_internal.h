/*
 * pretok_internal.h — the parts of the pre-tokenizer behind pretokenize.h:
 * the rule tables (pretok_rules.c) and llama.cpp's hand-written splitters
 * (pretok_fast.c). Private to src/tokenizer and its tests.
 *
 * A split works on code points, as llama.cpp's unicode_regex_split does:
 * each rule turns a list of pieces (lengths in code points, summing to the
 * text's length) into a finer one.
 */
#ifndef EI_TOKENIZER_PRETOK_INTERNAL_H
#define EI_TOKENIZER_PRETOK_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The text being split. */
typedef struct pretok_text {
    const uint32_t *cps;   /* (n) code points, decoded like ei_utf8_next */
    const uint16_t *flags; /* (n) ei_unicode_flags of each */
    size_t n;
} pretok_text;

/* Piece lengths in code points (llama.cpp's bpe_offsets), without the
 * zero-length pieces llama.cpp sometimes keeps: they hold no bytes, so
 * they make no tokens. */
typedef struct pretok_pieces {
    size_t *len; /* (n) */
    size_t n, cap;
} pretok_pieces;

/* Append a piece (a zero length is dropped); false when out of memory. */
bool pretok_pieces_push(pretok_pieces *p, size_t len);

/* ---- rule tables (pretok_rules.c) ---------------------------------------- */

typedef struct pretok_rules {
    const char *const *regexes; /* NULL-terminated, applied in order */
    bool byte_encode;           /* false: the pieces are BPE'd as raw UTF-8 (llama.cpp's byte_encode) */
} pretok_rules;

/* The rule set for a tokenizer.ggml.pre value; NULL if unknown. */
const pretok_rules *pretok_rules_find(const char *pre_name);

/* Every name pretok_rules_find knows, for tests: NULL past the last. */
const char *pretok_rules_name(size_t i);

/* ---- hand-written splitters (pretok_fast.c) -------------------------------- */

/* llama.cpp replaces some regexes by code (unicode_regex_split_custom);
 * their results differ from the regexes' in corner cases, so the same code
 * runs here, chosen by the same exact string comparison. */
typedef enum pretok_fast {
    FAST_NONE,
    FAST_GPT2,     /* 's|'t|...| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S) */
    FAST_LLAMA3,   /* (?i:'s|...)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|... */
    FAST_QWEN2,    /* as llama3 with \p{N} */
    FAST_QWEN35,   /* as qwen2 with [\p{L}\p{M}]+ */
    FAST_KIMI_K2,  /* "\p{Han}+": all of Kimi K2's rules */
    FAST_AFMOE,    /* digit runs cut into 1-2 then 3s; also tiny_aya's \d{1,3}(?=(?:\d{3})*\b) */
    FAST_NEWLINES, /* [^\n]+|[\n]+ */
} pretok_fast;

pretok_fast pretok_fast_for(const char *regex);

/* Split each piece of `in` into `out` (appended). false when out of memory. */
bool pretok_fast_split(pretok_fast kind, const pretok_text *t, const pretok_pieces *in, pretok_pieces *out);

#endif
