/*
 * error.c — per-thread last-error message (see error.h).
 */
#include "util/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define EI_ERROR_MAX 1024

static _Thread_local char last_error[EI_ERROR_MAX];

/* Formats into a local buffer first: callers may pass ei_last_error() as an
 * argument (to change the status of a message they pass on). */
ei_status ei_error(ei_status s, const char *fmt, ...) {
    char msg[EI_ERROR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    memcpy(last_error, msg, sizeof msg);
    return s;
}

ei_status ei_error_prefix(ei_status s, const char *fmt, ...) {
    char prefix[EI_ERROR_MAX];
    char old[EI_ERROR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, last_error, sizeof old);
    /* Truncation is acceptable: the start of the message says the most. */
    if (snprintf(last_error, sizeof last_error, "%s: %s", prefix, old) < 0) last_error[0] = '\0';
    return s;
}

void ei_error_clear(void) { last_error[0] = '\0'; }

const char *ei_last_error(void) { return last_error; }

const char *ei_status_str(ei_status s) {
    switch (s) {
    case EI_OK: return "ok";
    case EI_ERR_ARG: return "invalid argument";
    case EI_ERR_IO: return "i/o error";
    case EI_ERR_FORMAT: return "format error";
    case EI_ERR_UNSUPPORTED: return "unsupported";
    case EI_ERR_NOMEM: return "out of memory";
    case EI_ERR_NOT_FOUND: return "not found";
    case EI_ERR_TYPE: return "wrong type";
    }
    return "unknown status";
}

const char *ei_version(void) { return "0.1.0"; }
