/*
 * main.c — `edgeinfer VERB ...`: dispatch to the verb's command.
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "edgeinfer.h"

typedef struct verb {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *help;
} verb;

static const verb verbs[] = {
    {"run", cmd_run, "chat with a model in the terminal, or answer one prompt (-p)"},
    {"serve", cmd_serve, "OpenAI-compatible HTTP server (/v1/chat/completions, /v1/completions, ...)"},
    {"info", cmd_info, "print a GGUF file's metadata and tensor table"},
    {"tokenize", cmd_tokenize, "text -> token ids with a model's vocabulary (flags like llama-tokenize)"},
    {"bench", cmd_bench, "prompt and generation speed (like llama-bench)"},
    {"perplexity", cmd_perplexity, "perplexity and KL divergence over a text (like llama-perplexity)"},
};

static void usage(FILE *f) {
    fprintf(f, "usage: edgeinfer VERB [ARGS...]\n\nverbs:\n");
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++) fprintf(f, "  %-12s %s\n", verbs[i].name, verbs[i].help);
    fprintf(f, "\n`edgeinfer VERB --help` describes a verb.\n");
}

int main(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("edgeinfer %s\n", ei_version());
        return 0;
    }
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
        if (!strcmp(argv[1], verbs[i].name)) return verbs[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "edgeinfer: unknown verb '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
