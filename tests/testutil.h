/*
 * testutil.h — small helpers shared by the cmocka tests.
 * Include after <cmocka.h> (and its prerequisites).
 */
#ifndef EI_TESTUTIL_H
#define EI_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>

/* Read a whole file into a malloc'd buffer (NUL-terminated); NULL if absent. */
unsigned char *tu_read_file(const char *path, size_t *size);
/* Write bytes to a file; returns 0 on success. */
int tu_write_file(const char *path, const void *data, size_t size);
/* A fresh path under the system temp dir, unique to this process: "/tmp/ei-test-PID-N-suffix". */
const char *tu_temp_path(const char *suffix);
/* The fetch cache's models folder ($EDGEINFER_HOME/models, else
 * ~/.cache/edgeinfer/models; /root when HOME is unset). */
const char *tu_models_dir(void);
/* The path of a default model in the fetch cache ($EDGEINFER_HOME/models,
 * else ~/.cache/edgeinfer/models): "SmolLM2-135M-Instruct.Q4_1.gguf" etc.
 * A static buffer, overwritten by the next call. */
const char *tu_default_model(const char *file);
/* 1 if `path` exists. */
int tu_exists(const char *path);
/* Deterministic pseudo-random numbers (xorshift) for test data. */
uint64_t tu_rand_u64(uint64_t *state);
float tu_rand_f32(uint64_t *state); /* uniform in [-1, 1) */

#endif
