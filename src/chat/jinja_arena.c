/*
 * jinja_arena.c — the bump allocator behind templates and renders.
 *
 * Memory comes in chunks of at least 64 KiB and is released all at once.
 * The total handed out is capped, which is how a hostile template that
 * builds ever longer strings is stopped: the allocation fails, the render
 * reports "memory limit", and nothing leaks.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chat/jinja.h"

#define CHUNK_MIN (64u * 1024u)
#define ALIGN 16u

typedef struct chunk {
    struct chunk *next;
    size_t size, used;
    _Alignas(16) unsigned char data[];
} chunk;

struct jinja_arena {
    chunk *head;
    size_t limit, total;
    bool over_limit;
};

jinja_arena *jinja_arena_new(size_t limit_bytes) {
    jinja_arena *a = calloc(1, sizeof *a);
    if (a) a->limit = limit_bytes;
    return a;
}

void jinja_arena_free(jinja_arena *a) {
    if (!a) return;
    chunk *c = a->head;
    while (c) {
        chunk *next = c->next;
        free(c);
        c = next;
    }
    free(a);
}

bool jinja_arena_over_limit(const jinja_arena *a) { return a->over_limit; }

void *jinja_arena_alloc(jinja_arena *a, size_t n) {
    if (n == 0) n = 1;
    if (n > SIZE_MAX - ALIGN) return NULL;
    n = (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
    if (a->limit && (n > a->limit || a->total > a->limit - n)) {
        a->over_limit = true;
        return NULL;
    }
    chunk *c = a->head;
    if (!c || c->size - c->used < n) {
        size_t size = n > CHUNK_MIN ? n : CHUNK_MIN;
        if (size > SIZE_MAX - sizeof(chunk)) return NULL;
        c = malloc(sizeof(chunk) + size);
        if (!c) return NULL;
        c->size = size;
        c->used = 0;
        c->next = a->head;
        a->head = c;
    }
    void *p = c->data + c->used;
    c->used += n;
    a->total += n;
    memset(p, 0, n);
    return p;
}
