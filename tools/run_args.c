/*
 * run_args.c — parse the flags of `edgeinfer run` (see run_args.h).
 */
#include "run_args.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f) {
    fprintf(f,
            "usage: edgeinfer run -m MODEL [options]\n"
            "  Chat with MODEL (a GGUF file or a catalog name such as smollm2-135m).\n"
            "  -p, --prompt TEXT       answer TEXT once and exit (only the answer goes to stdout)\n"
            "  --system TEXT           system prompt\n"
            "  --chat-template NAME    built-in template (chatml, llama2, llama3, gemma, phi3, mistral,\n"
            "                          zephyr) or a Jinja source, instead of the model's own\n"
            "  --raw                   no chat template: continue the prompt text as is\n"
            "  -n, --n-predict N       generate at most N tokens (default -1: until done)\n"
            "  -c, --ctx-size N        context size (default: the model's, at most 4096)\n"
            "  --context-shift         when the context is full, drop old turns and go on\n"
            "  -t, --threads N         threads (default: physical cores)\n"
            "  -s, --seed N            random seed (default 0)\n"
            "  --temp T                temperature (default 0.8; 0 = greedy)\n"
            "  --top-k N               (default 40)        --top-p P    (default 0.95)\n"
            "  --min-p P               (default 0.05)      --typical P  (default 1.0, off)\n"
            "  --repeat-penalty F      (default 1.0, off)  --repeat-last-n N (default 64)\n"
            "  --presence-penalty F    --frequency-penalty F\n"
            "  --stop TEXT             stop before TEXT (repeatable)\n"
            "  -l, --logit-bias T+B    add B to token T's logit (15043+1; 2-inf bans it; repeatable)\n"
            "  -ctk, --cache-type-k T  KV cache type: f16 (default), q8_0, f32\n"
            "  -ngl, --n-gpu-layers N  layers on the GPU (accepted; CPU only for now)\n"
            "  -q, --quiet             no speed line after each answer\n");
}

static int num(const char *flag, const char *v, double lo, double hi, double *out) {
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (errno || end == v || *end || x < lo || x > hi) {
        fprintf(stderr, "edgeinfer run: %s: '%s' is not a number in [%g, %g]\n", flag, v, lo, hi);
        return -1;
    }
    *out = x;
    return 0;
}

/* llama.cpp's TOKEN_ID(+/-)BIAS: "15043+1", "15043-0.5", "2-inf". */
static int parse_bias(const char *v, run_args *a) {
    if (a->sampling.n_logit_bias == RUN_MAX_BIAS) {
        fprintf(stderr, "edgeinfer run: at most %d --logit-bias entries\n", RUN_MAX_BIAS);
        return -1;
    }
    char *end;
    errno = 0;
    long tok = strtol(v, &end, 10);
    double bias;
    if (errno || end == v || tok < 0 || tok > INT32_MAX || (*end != '+' && *end != '-')) goto bad;
    if (!strcmp(end, "-inf")) {
        bias = -INFINITY;
    } else {
        char *e2;
        bias = strtod(end, &e2);
        if (e2 == end || *e2 || !isfinite(bias)) goto bad;
    }
    a->bias[a->sampling.n_logit_bias++] = (ei_logit_bias){(int32_t)tok, (float)bias};
    a->sampling.logit_bias = a->bias;
    return 0;
bad:
    fprintf(stderr, "edgeinfer run: --logit-bias: '%s' is not TOKEN_ID(+/-)BIAS, e.g. 15043+1 or 2-inf\n", v);
    return -1;
}

int run_args_parse(int argc, char **argv, run_args *a) {
    memset(a, 0, sizeof *a);
    a->n_predict = -1;
    a->sampling = ei_sampler_default_params();
    for (int i = 1; i < argc; i++) {
        const char *f = argv[i];
        if (!strcmp(f, "-h") || !strcmp(f, "--help")) {
            usage(stdout);
            return 0;
        }
        /* flags without a value */
        if (!strcmp(f, "--raw")) { a->raw = true; continue; }
        if (!strcmp(f, "--context-shift")) { a->context_shift = true; continue; }
        if (!strcmp(f, "-q") || !strcmp(f, "--quiet")) { a->quiet = true; continue; }
        if (i + 1 >= argc) {
            fprintf(stderr, "edgeinfer run: %s needs a value (or is unknown)\n", f);
            usage(stderr);
            return 2;
        }
        const char *v = argv[++i];
        double x = 0;
#define NUM(lo, hi) if (num(f, v, lo, hi, &x)) return 2
        if (!strcmp(f, "-m") || !strcmp(f, "--model")) a->model_arg = v;
        else if (!strcmp(f, "-p") || !strcmp(f, "--prompt")) a->prompt = v;
        else if (!strcmp(f, "--system")) a->system = v;
        else if (!strcmp(f, "--chat-template")) a->chat_template = v;
        else if (!strcmp(f, "-n") || !strcmp(f, "--n-predict")) { NUM(-1, 1e9); a->n_predict = (int)x; }
        else if (!strcmp(f, "-c") || !strcmp(f, "--ctx-size")) { NUM(0, 1 << 24); a->n_ctx = (int)x; }
        else if (!strcmp(f, "-t") || !strcmp(f, "--threads")) { NUM(0, 1024); a->n_threads = (int)x; }
        else if (!strcmp(f, "-ngl") || !strcmp(f, "--n-gpu-layers")) { NUM(0, 1e6); a->n_gpu_layers = (int)x; }
        else if (!strcmp(f, "-s") || !strcmp(f, "--seed")) { NUM(0, 1.8e19); a->sampling.seed = (uint64_t)x; }
        else if (!strcmp(f, "--temp")) { NUM(0, 100); a->sampling.temperature = (float)x; }
        else if (!strcmp(f, "--top-k")) { NUM(0, 1e9); a->sampling.top_k = (int)x; }
        else if (!strcmp(f, "--top-p")) { NUM(0, 1); a->sampling.top_p = (float)x; }
        else if (!strcmp(f, "--min-p")) { NUM(0, 1); a->sampling.min_p = (float)x; }
        else if (!strcmp(f, "--typical")) { NUM(0, 1); a->sampling.typical_p = (float)x; }
        else if (!strcmp(f, "--repeat-penalty")) { NUM(0, 100); a->sampling.repeat_penalty = (float)x; }
        else if (!strcmp(f, "--repeat-last-n")) { NUM(-1, 1e9); a->sampling.penalty_last_n = (int)x; }
        else if (!strcmp(f, "--presence-penalty")) { NUM(-100, 100); a->sampling.presence_penalty = (float)x; }
        else if (!strcmp(f, "--frequency-penalty")) { NUM(-100, 100); a->sampling.frequency_penalty = (float)x; }
        else if (!strcmp(f, "--stop")) {
            if (a->n_stop == RUN_MAX_STOP) {
                fprintf(stderr, "edgeinfer run: at most %d --stop strings\n", RUN_MAX_STOP);
                return 2;
            }
            a->stop[a->n_stop++] = strdup(v);
        } else if (!strcmp(f, "-l") || !strcmp(f, "--logit-bias")) {
            if (parse_bias(v, a)) return 2;
        } else if (!strcmp(f, "-ctk") || !strcmp(f, "--cache-type-k") || !strcmp(f, "-ctv") ||
                   !strcmp(f, "--cache-type-v")) {
            if (!strcmp(v, "f16")) a->kv_type = EI_KV_F16;
            else if (!strcmp(v, "q8_0")) a->kv_type = EI_KV_Q8_0;
            else if (!strcmp(v, "f32")) a->kv_type = EI_KV_F32;
            else {
                fprintf(stderr, "edgeinfer run: %s: '%s' is not one of f16, q8_0, f32\n", f, v);
                return 2;
            }
        } else {
            fprintf(stderr, "edgeinfer run: unknown option '%s'\n", f);
            usage(stderr);
            return 2;
        }
#undef NUM
    }
    if (!a->model_arg) {
        fprintf(stderr, "edgeinfer run: -m MODEL is required\n");
        usage(stderr);
        return 2;
    }
    if (a->n_gpu_layers > 0)
        fprintf(stderr, "edgeinfer run: -ngl %d: no GPU backend in this build; running on the CPU\n",
                a->n_gpu_layers);
    return -1;
}

void run_args_free(run_args *a) {
    for (int i = 0; i < a->n_stop; i++) free(a->stop[i]);
    a->n_stop = 0;
}
