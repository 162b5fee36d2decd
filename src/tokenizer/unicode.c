/*
 * unicode.c — UTF-8 decoding and code point properties, as llama.cpp's
 * unicode.cpp defines them, over the tables that scripts/gen_unicode.py
 * generates into unicode_data.c (Unicode 15.1, llama.cpp's version).
 *
 * Guarantees: every function is total — any byte string, any uint32_t —
 * with no allocation and no undefined behaviour.
 */
#include "tokenizer/unicode.h"

#include "tokenizer/unicode_data.h"

#define REPLACEMENT 0xFFFDu

/* ---- UTF-8 ------------------------------------------------------------ */

static int is_cont(unsigned char c) { return (c & 0xC0) == 0x80; }

/* llama.cpp's unicode_cpt_from_utf8 checks only the lead byte's length
 * class and that enough continuation bytes follow; overlong forms (C0 80 ->
 * U+0000), surrogates (ED A0 80 -> U+D800) and F5..F7 leads (up to
 * U+1FFFFF) decode as their bits say. A stray continuation byte, an F8..FF
 * lead or a truncated sequence is one U+FFFD for its first byte only
 * (llama.cpp's unicode_cpts_from_utf8 then resumes at the next byte). */
uint32_t ei_utf8_next(const char *s, size_t len, size_t *pos) {
    size_t i = *pos;
    if (i >= len) return REPLACEMENT; /* nothing to consume: callers loop while *pos < len */
    const unsigned char *u = (const unsigned char *)s + i;
    size_t left = len - i;
    unsigned char c = u[0];
    uint32_t cp;
    size_t n;
    if (c < 0x80) {
        cp = c;
        n = 1;
    } else if (c < 0xC0) {
        n = 0;
    } else if (c < 0xE0) {
        n = (left >= 2 && is_cont(u[1])) ? 2 : 0;
        cp = n ? ((uint32_t)(c & 0x1F) << 6) | (u[1] & 0x3Fu) : 0;
    } else if (c < 0xF0) {
        n = (left >= 3 && is_cont(u[1]) && is_cont(u[2])) ? 3 : 0;
        cp = n ? ((uint32_t)(c & 0x0F) << 12) | ((uint32_t)(u[1] & 0x3F) << 6) | (u[2] & 0x3Fu) : 0;
    } else if (c < 0xF8) {
        n = (left >= 4 && is_cont(u[1]) && is_cont(u[2]) && is_cont(u[3])) ? 4 : 0;
        cp = n ? ((uint32_t)(c & 0x07) << 18) | ((uint32_t)(u[1] & 0x3F) << 12) | ((uint32_t)(u[2] & 0x3F) << 6) |
                     (u[3] & 0x3Fu)
               : 0;
    } else {
        n = 0;
    }
    if (n == 0) {
        *pos = i + 1;
        return REPLACEMENT;
    }
    *pos = i + n;
    return cp;
}

/* Surrogates are encoded like any other code point, as llama.cpp's
 * unicode_cpt_to_utf8 does, so that decoding ED A0 80 and encoding it again
 * gives the same bytes. Above U+10FFFF llama.cpp throws; we write U+FFFD. */
int ei_utf8_put(uint32_t cp, char out[4]) {
    unsigned char *o = (unsigned char *)out;
    if (cp > 0x10FFFF) cp = REPLACEMENT;
    if (cp < 0x80) {
        o[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (unsigned char)(0xC0 | (cp >> 6));
        o[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (unsigned char)(0xE0 | (cp >> 12));
        o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (unsigned char)(0xF0 | (cp >> 18));
    o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

int ei_utf8_len(unsigned char c) {
    if (c < 0xC0) return 1; /* ASCII, or a continuation byte */
    if (c < 0xE0) return 2;
    if (c < 0xF0) return 3;
    if (c < 0xF8) return 4;
    return 1;
}

int ei_utf8_len_llama(unsigned char c) {
    static const unsigned char by_high_nibble[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
    return by_high_nibble[c >> 4];
}

/* ---- properties --------------------------------------------------------- */

/* Index of the last entry whose key is <= cp, for a table sorted by key
 * whose first key is <= cp (the caller checks). */
#define UPPER_BOUND_MINUS_ONE(result, n, key_of_i, cp)                                                               \
    do {                                                                                                             \
        size_t lo_ = 0, hi_ = (n);                                                                                   \
        while (hi_ - lo_ > 1) {                                                                                      \
            size_t i = lo_ + (hi_ - lo_) / 2;                                                                        \
            if ((key_of_i) <= (cp))                                                                                  \
                lo_ = i;                                                                                             \
            else                                                                                                     \
                hi_ = i;                                                                                             \
        }                                                                                                            \
        (result) = lo_;                                                                                              \
    } while (0)

unsigned ei_unicode_flags(uint32_t cp) {
    if (cp < 256) return ei_ucd_latin1_flags[cp];
    if (cp >= 0x110000) return EI_UCAT_UNDEFINED;
    size_t r;
    UPPER_BOUND_MINUS_ONE(r, ei_ucd_n_flag_ranges, ei_ucd_flag_first[i], cp);
    return ei_ucd_flag_value[r];
}

uint32_t ei_unicode_tolower(uint32_t cp) {
    if (cp < 0x80) return (cp >= 'A' && cp <= 'Z') ? cp + 32 : cp;
    if (ei_ucd_n_lower_runs == 0 || cp < ei_ucd_lower_runs[0].first) return cp;
    size_t r;
    UPPER_BOUND_MINUS_ONE(r, ei_ucd_n_lower_runs, ei_ucd_lower_runs[i].first, cp);
    const ei_ucd_lower_run *run = &ei_ucd_lower_runs[r];
    if (cp > run->last || (cp - run->first) % run->stride != 0) return cp;
    return (uint32_t)((int64_t)cp + run->delta);
}

/* Hangul syllables decompose by arithmetic (Unicode 3.12), so the table
 * leaves their 11172 entries out. */
enum { S_BASE = 0xAC00, L_BASE = 0x1100, V_BASE = 0x1161, T_BASE = 0x11A7, V_COUNT = 21, T_COUNT = 28,
       N_COUNT = V_COUNT * T_COUNT, S_COUNT = 19 * N_COUNT };

int ei_unicode_nfd(uint32_t cp, uint32_t out[4]) {
    if (cp >= S_BASE && cp < S_BASE + S_COUNT) {
        uint32_t s = cp - S_BASE;
        out[0] = L_BASE + s / N_COUNT;
        out[1] = V_BASE + (s % N_COUNT) / T_COUNT;
        if (s % T_COUNT == 0) return 2;
        out[2] = T_BASE + s % T_COUNT;
        return 3;
    }
    out[0] = cp;
    if (ei_ucd_n_nfd == 0 || cp < ei_ucd_nfd[0].cp || cp >= 0x110000) return 1;
    size_t r;
    UPPER_BOUND_MINUS_ONE(r, ei_ucd_n_nfd, ei_ucd_nfd[i].cp, cp);
    const ei_ucd_nfd_entry *e = &ei_ucd_nfd[r];
    if (e->cp != cp) return 1;
    for (int k = 0; k < e->len && k < 4; k++) out[k] = ei_ucd_nfd_pool[e->off + (size_t)k];
    return e->len < 4 ? e->len : 4;
}

const char *ei_unicode_version(void) { return ei_ucd_version; }
