/*
 * cmd_tokenize.c — `edgeinfer tokenize -m MODEL (-p TEXT | -f FILE | --stdin)
 * [--ids] [--no-bos] [--no-parse-special] [--no-escape] [--show-count]
 * [--log-disable]`: text to token ids, as llama.cpp's llama-tokenize.
 *
 * Only the vocabulary is loaded, so vocabulary-only GGUF files work too.
 * Output: one line per token, "%6d -> 'piece'" (special tokens show their
 * text), or with --ids one line "[1, 2, 3]"; --show-count adds
 * "Total number of tokens: N". BOS (and EOS/SEP where the vocabulary adds
 * them) come first/last unless --no-bos or the model does not add BOS;
 * special-token text like "<|im_start|>" becomes its token unless
 * --no-parse-special.
 *
 * Escapes (\n, \r, \t, \', \", \\, \xHH) are processed in -p TEXT unless
 * --no-escape; a file and standard input are taken byte for byte.
 * Exit status: 0, 1 on a load or read failure, 2 on a usage error.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "edgeinfer.h"
#include "model_path.h"

static void tokenize_usage(FILE *f) {
    fprintf(f,
            "usage: edgeinfer tokenize -m MODEL (-p TEXT | -f FILE | --stdin) [options]\n"
            "  Tokenize text with a model's vocabulary and print the tokens.\n"
            "  -m, --model MODEL       GGUF file (a vocabulary-only file will do) or catalog name\n"
            "  -p, --prompt TEXT       the text (escapes like \\n processed unless --no-escape)\n"
            "  -f, --file FILE         read the text from FILE, as is\n"
            "  --stdin                 read the text from standard input, as is\n"
            "  --ids                   print only the ids, as [1, 2, 3]\n"
            "  --show-count            print the number of tokens at the end\n"
            "  --no-bos                do not add BOS (or the other tokens the vocabulary adds)\n"
            "  --no-parse-special      treat special-token text like <|im_start|> as plain text\n"
            "  --no-escape             take -p TEXT as is\n"
            "  --log-disable           accepted for llama-tokenize compatibility (nothing is logged)\n");
}

/* llama.cpp's string_process_escapes, in place; returns the new length. */
static size_t process_escapes(char *s, size_t n) {
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '\\' || i + 1 >= n) {
            s[o++] = s[i];
            continue;
        }
        char c = s[++i];
        switch (c) {
        case 'n': s[o++] = '\n'; break;
        case 'r': s[o++] = '\r'; break;
        case 't': s[o++] = '\t'; break;
        case '\'': s[o++] = '\''; break;
        case '"': s[o++] = '"'; break;
        case '\\': s[o++] = '\\'; break;
        default:
            if (c == 'x' && i + 2 < n) { /* as llama.cpp: a character must follow the two digits */
                char h[3] = {s[i + 1], s[i + 2], 0};
                char *end;
                long v = strtol(h, &end, 16);
                if (end == h + 2 && h[0] != '-' && h[0] != '+' && h[0] != ' ') {
                    s[o++] = (char)v;
                    i += 2;
                    break;
                }
            }
            s[o++] = '\\';
            s[o++] = c;
        }
    }
    return o;
}

/* The whole of f into a malloc'd buffer. */
static char *read_all(FILE *f, size_t *len) {
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    if (!buf) return NULL;
    for (;;) {
        if (n == cap) {
            char *b = realloc(buf, cap *= 2);
            if (!b) {
                free(buf);
                return NULL;
            }
            buf = b;
        }
        size_t k = fread(buf + n, 1, cap - n, f);
        n += k;
        if (k == 0) break;
    }
    if (ferror(f)) {
        free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}

int cmd_tokenize(int argc, char **argv) {
    const char *model = NULL, *prompt = NULL, *file = NULL;
    int use_stdin = 0, ids = 0, no_bos = 0, no_parse_special = 0, no_escape = 0, show_count = 0, sources = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int has_val = i + 1 < argc;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            tokenize_usage(stdout);
            return 0;
        } else if (!strcmp(a, "--ids")) ids = 1;
        else if (!strcmp(a, "--no-bos")) no_bos = 1;
        else if (!strcmp(a, "--no-parse-special")) no_parse_special = 1;
        else if (!strcmp(a, "--no-escape")) no_escape = 1;
        else if (!strcmp(a, "--show-count")) show_count = 1;
        else if (!strcmp(a, "--log-disable")) continue;
        else if (!strcmp(a, "--stdin")) use_stdin = 1, sources++;
        else if ((!strcmp(a, "-m") || !strcmp(a, "--model")) && has_val) {
            if (model) {
                fprintf(stderr, "edgeinfer tokenize: model given more than once\n");
                return 2;
            }
            model = argv[++i];
        } else if ((!strcmp(a, "-p") || !strcmp(a, "--prompt")) && has_val) prompt = argv[++i], sources++;
        else if ((!strcmp(a, "-f") || !strcmp(a, "--file")) && has_val) file = argv[++i], sources++;
        else if (!strcmp(a, "-m") || !strcmp(a, "--model") || !strcmp(a, "-p") || !strcmp(a, "--prompt") ||
                 !strcmp(a, "-f") || !strcmp(a, "--file")) {
            fprintf(stderr, "edgeinfer tokenize: option %s needs a value\n", a);
            return 2;
        } else {
            fprintf(stderr, "edgeinfer tokenize: unknown option '%s'\n", a);
            tokenize_usage(stderr);
            return 2;
        }
    }
    if (!model) {
        fprintf(stderr, "edgeinfer tokenize: a model is required (-m MODEL)\n");
        tokenize_usage(stderr);
        return 2;
    }
    if (sources != 1) {
        fprintf(stderr, "edgeinfer tokenize: give exactly one of -p TEXT, -f FILE, --stdin\n");
        return 2;
    }

    char path[4096];
    if (resolve_model(model, path, sizeof path)) return 1;
    char *text = NULL;
    size_t len = 0;
    if (prompt) {
        len = strlen(prompt);
        text = malloc(len + 1);
        if (text) {
            memcpy(text, prompt, len + 1);
            if (!no_escape) len = process_escapes(text, len);
        }
    } else if (file) {
        FILE *f = fopen(file, "rb");
        if (!f) {
            fprintf(stderr, "edgeinfer tokenize: %s: %s\n", file, strerror(errno));
            return 1;
        }
        text = read_all(f, &len);
        fclose(f);
    } else if (use_stdin) {
        text = read_all(stdin, &len);
    }
    if (!text) {
        fprintf(stderr, "edgeinfer tokenize: cannot read the text%s%s\n", file ? " of " : "", file ? file : "");
        return 1;
    }

    ei_model_params mp = ei_model_default_params();
    mp.vocab_only = true;
    ei_model *m;
    if (ei_model_load(path, &mp, &m) != EI_OK) {
        fprintf(stderr, "edgeinfer tokenize: %s\n", ei_last_error());
        free(text);
        return 1;
    }
    bool add_special = ei_model_adds_bos(m) && !no_bos;
    int32_t n = 0;
    int32_t *toks = NULL;
    ei_status s = ei_tokenize(m, text, len, add_special, !no_parse_special, NULL, 0, &n);
    if (!s && n > 0) {
        toks = malloc((size_t)n * sizeof *toks);
        if (!toks) s = EI_ERR_NOMEM;
        else s = ei_tokenize(m, text, len, add_special, !no_parse_special, toks, n, &n);
    }
    free(text);
    if (s) {
        fprintf(stderr, "edgeinfer tokenize: %s\n", s == EI_ERR_NOMEM ? "out of memory" : ei_last_error());
        free(toks);
        ei_model_free(m);
        return 1;
    }
    int rc = 0;
    if (ids) {
        putchar('[');
        for (int32_t i = 0; i < n; i++) printf(i ? ", %d" : "%d", toks[i]);
        puts("]");
    } else {
        char small[256];
        char *piece = small;
        size_t cap = sizeof small;
        for (int32_t i = 0; i < n && !rc; i++) {
            size_t plen;
            if (ei_token_to_piece(m, toks[i], true, piece, cap, &plen)) rc = 1;
            if (!rc && plen > cap) {
                char *p = malloc(plen);
                if (!p || ei_token_to_piece(m, toks[i], true, p, plen, &plen)) rc = 1;
                if (piece != small) free(piece);
                piece = p;
                cap = plen;
            }
            if (rc) {
                fprintf(stderr, "edgeinfer tokenize: %s\n", ei_last_error());
                break;
            }
            printf("%6d -> '", toks[i]);
            fwrite(piece, 1, plen, stdout);
            fputs("'\n", stdout);
        }
        if (piece != small) free(piece);
    }
    if (show_count) printf("Total number of tokens: %d\n", n);
    free(toks);
    ei_model_free(m);
    if (fflush(stdout) != 0) rc = 1;
    return rc;
}
