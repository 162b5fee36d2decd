/*
 * unicode_data.h — the layout of the generated tables in unicode_data.c
 * (scripts/gen_unicode.py). Private to unicode.c.
 */
#ifndef EI_TOKENIZER_UNICODE_DATA_H
#define EI_TOKENIZER_UNICODE_DATA_H

#include <stddef.h>
#include <stdint.h>

typedef struct ei_ucd_lower_run {
    uint32_t first, last; /* code points [first, last] ... */
    int32_t delta;        /* ... map to cp + delta ... */
    uint32_t stride;      /* ... for every stride-th one from first */
} ei_ucd_lower_run;

typedef struct ei_ucd_nfd_entry {
    uint32_t cp;
    uint16_t off; /* into ei_ucd_nfd_pool */
    uint16_t len; /* 2..4 (1 for singletons such as U+212B -> U+00C5) */
} ei_ucd_nfd_entry;

extern const char ei_ucd_version[];
extern const uint16_t ei_ucd_latin1_flags[256];
extern const size_t ei_ucd_n_flag_ranges;
extern const uint32_t ei_ucd_flag_first[];
extern const uint16_t ei_ucd_flag_value[];
extern const size_t ei_ucd_n_lower_runs;
extern const ei_ucd_lower_run ei_ucd_lower_runs[];
extern const size_t ei_ucd_n_nfd;
extern const ei_ucd_nfd_entry ei_ucd_nfd[];
extern const uint32_t ei_ucd_nfd_pool[];

#endif
