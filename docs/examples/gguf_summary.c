/*
 * gguf_summary.c — the smallest program that links the installed
 * libedgeinfer: open a GGUF file and print its architecture, key count and
 * tensor count.
 *
 *   cc gguf_summary.c $(pkg-config --cflags --libs edgeinfer) -o gguf_summary
 *   ./gguf_summary model.gguf
 */
#include <edgeinfer.h>
#include <stdio.h>

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s FILE.gguf\n", argv[0]);
        return 2;
    }
    ei_gguf *g;
    if (ei_gguf_open(argv[1], &g) != EI_OK) {
        fprintf(stderr, "%s\n", ei_last_error());
        return 1;
    }
    const char *arch = "(none)";
    ei_gguf_get_str(g, "general.architecture", &arch); /* leaves arch as is when absent */
    printf("architecture: %s\nkeys: %lld\ntensors: %lld\n", arch, (long long)ei_gguf_n_kv(g),
           (long long)ei_gguf_n_tensors(g));
    ei_gguf_close(g);
    return 0;
}
