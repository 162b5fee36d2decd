/*
 * chat_once.c — the whole library in one page: load a model, render a chat
 * with its template, tokenize, and stream a greedy answer to stdout.
 *
 *   cc chat_once.c $(pkg-config --cflags --libs edgeinfer) -o chat_once
 *   ./chat_once MODEL.gguf "What is the capital of France?" [max_tokens]
 *
 * With --raw before the model path the prompt is continued as plain text,
 * without a chat template.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <edgeinfer.h>

static bool print_text(const char *text, size_t len, void *user) {
    (void)user;
    fwrite(text, 1, len, stdout);
    fflush(stdout);
    return true; /* false would stop the generation */
}

static int fail(const char *what) {
    fprintf(stderr, "chat_once: %s: %s\n", what, ei_last_error());
    return 1;
}

int main(int argc, char **argv) {
    bool raw = argc > 1 && strcmp(argv[1], "--raw") == 0;
    if (raw) {
        argc--;
        argv++;
    }
    if (argc < 3) {
        fprintf(stderr, "usage: chat_once [--raw] MODEL.gguf PROMPT [max_tokens]\n");
        return 2;
    }
    int max_tokens = argc > 3 ? atoi(argv[3]) : 64;

    ei_model *model;
    if (ei_model_load(argv[1], NULL, &model)) return fail("load");
    ei_context_params cp = ei_context_default_params();
    cp.n_ctx = 1024;
    ei_context *ctx;
    if (ei_context_new(model, &cp, &ctx)) {
        ei_model_free(model);
        return fail("context");
    }

    /* The prompt text: the chat template of the file, or the raw prompt. */
    const char *text = argv[2];
    char *rendered = NULL; /* from ei_chat_format, freed with ei_free */
    if (!raw) {
        ei_chat_message msg = {"user", argv[2]};
        if (ei_chat_format(model, NULL, &msg, 1, true, &rendered)) {
            ei_context_free(ctx);
            ei_model_free(model);
            return fail("chat template");
        }
        text = rendered;
    }

    /* Tokenize: ask for the size first, then fill. */
    int32_t n = 0;
    ei_tokenize(model, text, strlen(text), true, !raw, NULL, 0, &n);
    int32_t *tokens = malloc((size_t)(n > 0 ? n : 1) * sizeof *tokens);
    int rc = 0;
    if (!tokens || ei_tokenize(model, text, strlen(text), true, !raw, tokens, n, &n)) {
        rc = fail("tokenize");
    } else {
        ei_generate_params gp = ei_generate_default_params();
        gp.max_tokens = max_tokens;
        gp.sampling.temperature = 0; /* greedy: the same answer every time */
        ei_generate_result r;
        if (ei_generate(ctx, tokens, n, &gp, print_text, NULL, &r)) {
            rc = fail("generate");
        } else {
            printf("\n");
            fprintf(stderr, "[%d prompt tokens, %d generated, %s]\n", r.n_prompt, r.n_generated,
                    r.finish == EI_FINISH_STOP ? "stop" : "length");
        }
    }
    free(tokens);
    ei_free(rendered);
    ei_context_free(ctx);
    ei_model_free(model);
    return rc;
}
