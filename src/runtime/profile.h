/*
 * profile.h — EDGEINFER_PROFILE=1 wraps a model's backend in one that
 * times every op and prints a table to stderr when the model is freed
 * (profile.c).
 */
#ifndef EI_RUNTIME_PROFILE_H
#define EI_RUNTIME_PROFILE_H

#include <stdbool.h>

#include "runtime/backend.h"

/* True when EDGEINFER_PROFILE is set to something other than "" or "0". */
bool ei_profile_wanted(void);
/* Replace *be by a timing wrapper around it (left as is if out of memory);
 * freeing the wrapper frees *be's old value too. */
void ei_profile_wrap(ei_backend **be);

#endif
