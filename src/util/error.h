/*
 * error.h — how the library reports failure.
 *
 * A failing call records a formatted message in a per-thread buffer and
 * returns the status; ei_last_error() reads it back. Nothing is printed.
 */
#ifndef EI_UTIL_ERROR_H
#define EI_UTIL_ERROR_H

#include "edgeinfer.h"

#if defined(__GNUC__)
#define EI_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define EI_PRINTF(f, a)
#endif

/* Record a message for `s` and return `s`, so callers write
 * `return ei_error(EI_ERR_FORMAT, "bad magic");`. */
ei_status ei_error(ei_status s, const char *fmt, ...) EI_PRINTF(2, 3);

/* Prefix the current message with "prefix: ", keeping the status. */
ei_status ei_error_prefix(ei_status s, const char *fmt, ...) EI_PRINTF(2, 3);

void ei_error_clear(void);

#endif
