/*
 * cmd_run.c — `edgeinfer run`: chat with a model in the terminal.
 *
 * Interactive: a line editor with history, answers streamed as they come,
 * Ctrl-C stops the answer (a second Ctrl-C, or Ctrl-D, quits), and the
 * commands /clear, /system TEXT, /save FILE, /load FILE, /help, /bye.
 * One-shot (-p TEXT): only the generated text goes to stdout, so scripts can
 * use it; logs and speed go to stderr.
 *
 * Each turn renders the whole conversation with the chat template; the
 * context reuses the cached prefix, so history is not processed again.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "edgeinfer.h"
#include "lineedit.h"
#include "model_path.h"
#include "run_args.h"

/* ---- the conversation --------------------------------------------------- */

typedef struct conversation {
    char *system;          /* NULL: none */
    ei_chat_message *msgs; /* user/assistant turns; strings owned */
    size_t n, cap;
} conversation;

/* A copy of s with every invalid UTF-8 sequence replaced by U+FFFD, so a
 * saved conversation is always valid JSON text (a small model can emit
 * tokens that are fragments of characters). */
static char *utf8_clean_dup(const char *s) {
    size_t n = strlen(s);
    char *out = malloc(n * 3 + 1), *o = out; /* each bad byte grows to 3 */
    if (!out) return NULL;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        int len = *p < 0x80 ? 1 : (*p & 0xE0) == 0xC0 ? 2 : (*p & 0xF0) == 0xE0 ? 3 : (*p & 0xF8) == 0xF0 ? 4 : 0;
        int ok = len > 0;
        for (int i = 1; ok && i < len; i++) ok = (p[i] & 0xC0) == 0x80;
        if (ok && len > 1) { /* no overlongs, surrogates or code points past U+10FFFF */
            uint32_t cp = p[0] & (0x7F >> len);
            for (int i = 1; i < len; i++) cp = cp << 6 | (p[i] & 0x3F);
            ok = cp >= (len == 2 ? 0x80u : len == 3 ? 0x800u : 0x10000u) && cp <= 0x10FFFF &&
                 !(cp >= 0xD800 && cp <= 0xDFFF);
        }
        if (ok) {
            memcpy(o, p, (size_t)len);
            o += len;
            p += len;
        } else {
            memcpy(o, "\xEF\xBF\xBD", 3);
            o += 3;
            p++;
        }
    }
    *o = '\0';
    return out;
}

static int conv_add(conversation *cv, const char *role, const char *content) {
    if (cv->n == cv->cap) {
        size_t cap = cv->cap ? cv->cap * 2 : 16;
        ei_chat_message *m = realloc(cv->msgs, cap * sizeof *m);
        if (!m) return -1;
        cv->msgs = m;
        cv->cap = cap;
    }
    char *r = strdup(role), *c = utf8_clean_dup(content);
    if (!r || !c) {
        free(r);
        free(c);
        return -1;
    }
    cv->msgs[cv->n++] = (ei_chat_message){r, c};
    return 0;
}

static void conv_pop(conversation *cv) {
    if (!cv->n) return;
    cv->n--;
    free((char *)cv->msgs[cv->n].role);
    free((char *)cv->msgs[cv->n].content);
}

static void conv_clear(conversation *cv) {
    for (size_t i = 0; i < cv->n; i++) {
        free((char *)cv->msgs[i].role);
        free((char *)cv->msgs[i].content);
    }
    cv->n = 0;
}

static void conv_free(conversation *cv) {
    conv_clear(cv);
    free(cv->msgs);
    free(cv->system);
}

/* The messages to render: the system prompt first, then the turns. */
static ei_chat_message *conv_view(const conversation *cv, size_t *n) {
    ei_chat_message *v = malloc((cv->n + 1) * sizeof *v);
    if (!v) return NULL;
    size_t k = 0;
    if (cv->system) v[k++] = (ei_chat_message){"system", cv->system};
    if (cv->n) memcpy(v + k, cv->msgs, cv->n * sizeof *v);
    *n = k + cv->n;
    return v;
}

static int conv_save(const conversation *cv, const char *path) {
    cJSON *root = cJSON_CreateObject();
    if (cv->system) cJSON_AddStringToObject(root, "system", cv->system);
    cJSON *arr = cJSON_AddArrayToObject(root, "messages");
    for (size_t i = 0; i < cv->n; i++) {
        cJSON *m = cJSON_CreateObject();
        cJSON_AddStringToObject(m, "role", cv->msgs[i].role);
        cJSON_AddStringToObject(m, "content", cv->msgs[i].content);
        cJSON_AddItemToArray(arr, m);
    }
    char *s = cJSON_Print(root);
    cJSON_Delete(root);
    if (!s) return -1;
    FILE *f = fopen(path, "w");
    int rc = f && fputs(s, f) >= 0 && fputc('\n', f) != EOF ? 0 : -1;
    if (f && fclose(f) != 0) rc = -1;
    cJSON_free(s);
    return rc;
}

static int conv_load(conversation *cv, const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len + 4096 + 1 > cap) {
            cap = (len + 4096 + 1) * 2;
            char *b = realloc(buf, cap);
            if (!b) break;
            buf = b;
        }
        size_t r = fread(buf + len, 1, 4096, f);
        len += r;
        if (r < 4096) break;
    }
    fclose(f);
    if (!buf) return -1;
    buf[len] = '\0';
    cJSON *root = cJSON_Parse(buf);
    free(buf);
    const cJSON *msgs = cJSON_GetObjectItemCaseSensitive(root, "messages");
    if (!cJSON_IsArray(msgs)) {
        cJSON_Delete(root);
        return -1;
    }
    conversation loaded = {0};
    const cJSON *sys = cJSON_GetObjectItemCaseSensitive(root, "system");
    if (cJSON_IsString(sys)) loaded.system = strdup(sys->valuestring);
    const cJSON *m;
    int bad = 0;
    cJSON_ArrayForEach(m, msgs) {
        const cJSON *role = cJSON_GetObjectItemCaseSensitive(m, "role");
        const cJSON *content = cJSON_GetObjectItemCaseSensitive(m, "content");
        if (!cJSON_IsString(role) || !cJSON_IsString(content) || conv_add(&loaded, role->valuestring,
                                                                           content->valuestring)) {
            bad = 1;
            break;
        }
    }
    cJSON_Delete(root);
    if (bad) {
        conv_free(&loaded);
        return -1;
    }
    conv_free(cv);
    *cv = loaded;
    return 0;
}

/* ---- one turn ----------------------------------------------------------- */

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig) {
    (void)sig;
    interrupted++;
}

typedef struct turn_out {
    char *text;
    size_t len, cap;
    int oom;
} turn_out;

static bool on_text(const char *text, size_t len, void *user) {
    turn_out *o = user;
    fwrite(text, 1, len, stdout);
    fflush(stdout);
    if (o->len + len + 1 > o->cap) {
        size_t cap = (o->len + len + 1) * 2;
        char *t = realloc(o->text, cap);
        if (!t) {
            o->oom = 1;
            return false;
        }
        o->text = t;
        o->cap = cap;
    }
    memcpy(o->text + o->len, text, len);
    o->len += len;
    o->text[o->len] = '\0';
    return !interrupted;
}

typedef struct session {
    const run_args *a;
    ei_model *m;
    ei_context *ctx;
    conversation cv;
} session;

/* Tokens of the rendered conversation; NULL (message printed) on failure. */
static int32_t *render_tokens(session *s, bool add_generation_prompt, int32_t *n) {
    size_t nm;
    ei_chat_message *view = conv_view(&s->cv, &nm);
    char *prompt = NULL;
    int32_t *toks = NULL;
    if (!view) goto out;
    if (s->a->raw) { /* no template: the last user message as is */
        prompt = strdup(nm ? view[nm - 1].content : "");
    } else if (ei_chat_format(s->m, s->a->chat_template, view, nm, add_generation_prompt, &prompt)) {
        fprintf(stderr, "edgeinfer: %s\n", ei_last_error());
        prompt = NULL;
        goto out;
    }
    if (!prompt) goto out;
    int32_t need = 0;
    ei_tokenize(s->m, prompt, strlen(prompt), true, !s->a->raw, NULL, 0, &need);
    toks = malloc((size_t)(need > 0 ? need : 1) * sizeof *toks);
    if (toks && ei_tokenize(s->m, prompt, strlen(prompt), true, !s->a->raw, toks, need, n)) {
        fprintf(stderr, "edgeinfer: %s\n", ei_last_error());
        free(toks);
        toks = NULL;
    }
out:
    if (s->a->raw) free(prompt);
    else ei_free(prompt);
    free(view);
    return toks;
}

/* Tokens the system prompt takes: what a context shift keeps. */
static int32_t system_tokens(session *s) {
    if (!s->cv.system || s->a->raw) return 0;
    conversation only = {.system = s->cv.system};
    conversation saved = s->cv;
    s->cv = only;
    int32_t n = 0;
    int32_t *t = render_tokens(s, false, &n);
    s->cv = saved;
    free(t);
    return n;
}

/* Run one answer to the conversation as it stands; returns 0 on success. */
static int answer(session *s, bool interactive) {
    int32_t n;
    int32_t *toks = render_tokens(s, true, &n);
    if (!toks) return -1;
    ei_generate_params gp = ei_generate_default_params();
    gp.max_tokens = s->a->n_predict;
    gp.sampling = s->a->sampling;
    gp.context_shift = s->a->context_shift;
    gp.n_keep = system_tokens(s);
    gp.stop = (const char *const *)s->a->stop;
    gp.n_stop = s->a->n_stop;
    turn_out out = {0};
    ei_generate_result r;
    interrupted = 0;
    ei_status st = ei_generate(s->ctx, toks, n, &gp, on_text, &out, &r);
    free(toks);
    if (st) {
        fprintf(stderr, "%sedgeinfer: %s\n", out.len ? "\n" : "", ei_last_error());
        if (interactive) fprintf(stderr, "(use /clear to start over, or a larger -c)\n");
        free(out.text);
        return -1;
    }
    if (interactive || out.len == 0 || out.text[out.len - 1] != '\n') putchar('\n');
    fflush(stdout);
    conv_add(&s->cv, "assistant", out.text ? out.text : "");
    free(out.text);
    if (r.finish == EI_FINISH_LENGTH && s->a->n_predict < 0)
        fprintf(stderr, "[the context is full (%d tokens): /clear starts over; -c raises the size; "
                        "--context-shift drops old turns instead]\n", ei_context_n_ctx(s->ctx));
    if (!s->a->quiet)
        fprintf(stderr, "[prompt %d tokens (%d cached), %.1f tok/s | answer %d tokens, %.1f tok/s%s]\n", r.n_prompt,
                r.n_reused, r.prompt_ms > 0 ? (r.n_prompt - r.n_reused) * 1000.0 / r.prompt_ms : 0.0, r.n_generated,
                r.gen_ms > 0 ? r.n_generated * 1000.0 / r.gen_ms : 0.0,
                r.finish == EI_FINISH_CANCELLED ? ", stopped" : "");
    return 0;
}

/* ---- the interactive loop ----------------------------------------------- */

static void help(void) {
    fprintf(stderr, "commands:\n"
                    "  /clear          forget the conversation\n"
                    "  /system TEXT    set the system prompt (and clear)\n"
                    "  /save FILE      save the conversation as JSON\n"
                    "  /load FILE      load a saved conversation\n"
                    "  /bye            quit (also Ctrl-D)\n"
                    "Ctrl-C stops an answer; Ctrl-C at the prompt quits.\n");
}

static int interactive(session *s) {
    le_state *le = le_new(STDIN_FILENO, STDERR_FILENO);
    if (!le) {
        fprintf(stderr, "edgeinfer: cannot start the line editor\n");
        return 1;
    }
    fprintf(stderr, "edgeinfer: chatting with %s (%s). /help for commands.\n", s->a->model_arg,
            ei_model_arch(s->m));
    for (;;) {
        char *line = NULL;
        le_result lr = le_readline(le, ">>> ", &line);
        if (lr == LE_EOF || lr == LE_INTERRUPT || lr == LE_ERROR) break;
        if (!line[0]) {
            free(line);
            continue;
        }
        le_history_add(le, line);
        if (line[0] == '/') {
            char *arg = strchr(line, ' ');
            if (arg) *arg++ = '\0';
            if (!strcmp(line, "/bye") || !strcmp(line, "/exit") || !strcmp(line, "/quit")) {
                free(line);
                break;
            } else if (!strcmp(line, "/clear")) {
                conv_clear(&s->cv);
                ei_context_truncate(s->ctx, 0);
                fprintf(stderr, "(conversation cleared)\n");
            } else if (!strcmp(line, "/system") && arg) {
                free(s->cv.system);
                s->cv.system = strdup(arg);
                conv_clear(&s->cv);
                fprintf(stderr, "(system prompt set; conversation cleared)\n");
            } else if (!strcmp(line, "/save") && arg) {
                if (conv_save(&s->cv, arg)) fprintf(stderr, "cannot save to %s: %s\n", arg, strerror(errno));
                else fprintf(stderr, "(saved to %s)\n", arg);
            } else if (!strcmp(line, "/load") && arg) {
                if (conv_load(&s->cv, arg)) fprintf(stderr, "cannot load %s: not a saved conversation\n", arg);
                else fprintf(stderr, "(loaded %zu messages from %s)\n", s->cv.n, arg);
            } else {
                help();
            }
            free(line);
            continue;
        }
        conv_add(&s->cv, "user", line);
        free(line);
        if (answer(s, true)) conv_pop(&s->cv); /* the turn did not happen */
    }
    fprintf(stderr, "\n");
    le_free(le);
    return 0;
}

int cmd_run(int argc, char **argv) {
    run_args a;
    int rc = run_args_parse(argc, argv, &a);
    char path[2048];
    if (rc < 0 && resolve_model(a.model_arg, path, sizeof path)) rc = 1;
    if (rc >= 0) {
        run_args_free(&a);
        return rc;
    }

    session s = {.a = &a};
    ei_model_params mp = ei_model_default_params();
    mp.n_threads = a.n_threads;
    if (ei_model_load(path, &mp, &s.m)) {
        fprintf(stderr, "edgeinfer: %s\n", ei_last_error());
        run_args_free(&a);
        return 1;
    }
    ei_context_params cp = ei_context_default_params();
    cp.n_ctx = a.n_ctx;
    cp.kv_type = a.kv_type;
    if (ei_context_new(s.m, &cp, &s.ctx)) {
        fprintf(stderr, "edgeinfer: %s\n", ei_last_error());
        ei_model_free(s.m);
        run_args_free(&a);
        return 1;
    }
    if (a.system) s.cv.system = strdup(a.system);

    struct sigaction sa = {0};
    sa.sa_handler = on_sigint;
    sigaction(SIGINT, &sa, NULL);

    if (a.prompt && !a.prompt[0]) {
        fprintf(stderr, "edgeinfer: empty prompt: -p needs some text\n");
        rc = 1;
    } else if (a.prompt) {
        conv_add(&s.cv, "user", a.prompt);
        rc = answer(&s, false) ? 1 : 0;
    } else {
        rc = interactive(&s);
    }
    conv_free(&s.cv);
    ei_context_free(s.ctx);
    ei_model_free(s.m);
    run_args_free(&a);
    return rc;
}
