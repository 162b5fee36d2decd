/*
 * regex.h — a small backtracking regular-expression matcher over code
 * points, with the semantics of libstdc++'s std::regex in ECMAScript mode
 * (what llama.cpp's pre-tokenizer runs), for the patterns of the rule sets
 * in pretokenize.c. Private to the tokenizer.
 *
 * Syntax: alternation |, groups ( ) (?: ), lookahead (?= ) (?! ), the
 * quantifiers * + ? {n} {n,} {n,m} and their lazy forms, . and $, classes
 * [...] [^...] with ranges, escapes \s \S \d \D \w \W (ASCII-only, as in
 * the C locale) \r \n \t \f \v \0 \xHH \uHHHH and escaped punctuation.
 * Anything else (^, \b, back-references, (?i), a quantifier over something
 * that can match empty) is refused at compile time: the rule sets never use
 * it, and refusing keeps the matcher free of the empty-loop and
 * word-boundary corner cases in which libstdc++ differs from the standard.
 *
 * Matching is depth-first in priority order (leftmost alternative first,
 * greedy quantifiers longest first), so the first match found is the
 * ECMAScript match. The backtracking stack lives on the heap; the only C
 * recursion is one level per nested lookahead.
 */
#ifndef EI_TOKENIZER_REGEX_H
#define EI_TOKENIZER_REGEX_H

#include <stddef.h>
#include <stdint.h>

#include "edgeinfer.h"

typedef struct ei_regex ei_regex;

/* Compile a pattern given as code points. EI_ERR_UNSUPPORTED (with a
 * message naming the position) for syntax outside the subset above,
 * EI_ERR_NOMEM. */
ei_status ei_regex_compile(const uint32_t *pat, size_t n, ei_regex **out);
void ei_regex_free(ei_regex *re);

/* Backtracking memory, reusable across searches; zero-initialize, then
 * release with ei_regex_stack_free. One per thread. */
typedef struct ei_regex_stack {
    void *frames;
    size_t n, cap;
} ei_regex_stack;
void ei_regex_stack_free(ei_regex_stack *st);

enum {
    EI_RX_NOT_NULL = 1u << 0,   /* an empty match does not count (std::regex match_not_null) */
    EI_RX_CONTINUOUS = 1u << 1, /* a match must start at `from` (match_continuous) */
};

/* Find the leftmost match within text[from, end): tries each start from
 * `from` to `end` inclusive, as std::regex_search does; lookahead and $
 * see text up to `end` only. Returns 1 and sets [*mb, *me), 0 if there is
 * no match, -1 when out of memory. */
int ei_regex_search(const ei_regex *re, const uint32_t *text, size_t from, size_t end, unsigned flags,
                    ei_regex_stack *st, size_t *mb, size_t *me);

#endif
