/*
 * backends.h — constructors of the backends this build contains. The CPU
 * backend is always built; others are added by their CMake options.
 */
#ifndef EI_RUNTIME_BACKENDS_H
#define EI_RUNTIME_BACKENDS_H

#include "runtime/backend.h"

/* n_threads: worker threads including the caller (>= 1). */
ei_status ei_cpu_backend_new(int n_threads, ei_backend **out);

#endif
