/*
 * run_args.h — the flags of `edgeinfer run`, in llama.cpp's spelling where
 * llama.cpp has one.
 */
#ifndef EI_TOOLS_RUN_ARGS_H
#define EI_TOOLS_RUN_ARGS_H

#include <stdbool.h>

#include "edgeinfer.h"

#define RUN_MAX_STOP 16
#define RUN_MAX_BIAS 64

typedef struct run_args {
    const char *model_arg;     /* -m: file or catalog name */
    const char *prompt;        /* -p: one-shot */
    const char *system;        /* --system */
    const char *chat_template; /* --chat-template: built-in name or Jinja source */
    int n_predict;             /* -n: -1 unlimited */
    int n_ctx;                 /* -c: 0 = model default */
    int n_threads;             /* -t: 0 = physical cores */
    int n_gpu_layers;          /* -ngl: accepted; no GPU backend yet */
    bool raw;                  /* --raw: no chat template */
    bool context_shift;        /* --context-shift */
    bool quiet;                /* --quiet: no speed line */
    ei_sampler_params sampling;
    char *stop[RUN_MAX_STOP];  /* --stop, repeatable */
    int n_stop;
    ei_logit_bias bias[RUN_MAX_BIAS]; /* -l/--logit-bias, repeatable */
    ei_kv_type kv_type;        /* -ctk/--cache-type-k: f16 (default), q8_0, f32 */
} run_args;

/* Returns -1 when the command should go on, else the exit code to return
 * (0 after --help, 2 on a usage error, message printed). */
int run_args_parse(int argc, char **argv, run_args *a);
void run_args_free(run_args *a);

#endif
