/*
 * testutil.c — see testutil.h.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

unsigned char *tu_read_file(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    if (fseek(f, 0, SEEK_END) != 0) { fclose(f); return NULL; }
    long n = ftell(f);
    if (n < 0) { fclose(f); return NULL; }
    rewind(f);
    unsigned char *buf = malloc((size_t)n + 1);
    if (!buf) { fclose(f); return NULL; }
    if (fread(buf, 1, (size_t)n, f) != (size_t)n) { free(buf); fclose(f); return NULL; }
    fclose(f);
    buf[n] = 0;
    if (size) *size = (size_t)n;
    return buf;
}

int tu_write_file(const char *path, const void *data, size_t size) {
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t w = fwrite(data, 1, size, f);
    int rc = fclose(f);
    return (w == size && rc == 0) ? 0 : -1;
}

const char *tu_temp_path(const char *suffix) {
    static char buf[8][256];
    static int counter;
    char *p = buf[counter % 8];
    const char *dir = getenv("TMPDIR");
    snprintf(p, 256, "%s/ei-test-%d-%d-%s", dir && *dir ? dir : "/tmp", (int)getpid(), counter, suffix);
    counter++;
    return p;
}

int tu_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

uint64_t tu_rand_u64(uint64_t *s) {
    uint64_t x = *s ? *s : 0x9E3779B97F4A7C15ull;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *s = x;
    return x;
}

float tu_rand_f32(uint64_t *s) {
    return (float)((tu_rand_u64(s) >> 40) * (1.0 / 16777216.0)) * 2.0f - 1.0f;
}

const char *tu_models_dir(void) {
    static char buf[1024];
    const char *home = getenv("EDGEINFER_HOME");
    if (home && *home) snprintf(buf, sizeof buf, "%s/models", home);
    else snprintf(buf, sizeof buf, "%s/.cache/edgeinfer/models", getenv("HOME") ? getenv("HOME") : "/root");
    return buf;
}

const char *tu_default_model(const char *file) {
    static char buf[1200];
    snprintf(buf, sizeof buf, "%s/%s", tu_models_dir(), file);
    return buf;
}
