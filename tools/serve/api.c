/*
 * api.c — the OpenAI API's JSON: requests in.
 *
 * A body is checked for depth before cJSON parses it, then every field the
 * server knows is type- and range-checked; a problem is an api_error in
 * OpenAI's shape ({"error": {"message", "type", "param", "code"}}) naming
 * the field. Unknown fields are ignored. Message text is repaired to valid
 * UTF-8, rendered with the chat template and tokenized here, on MHD's
 * threads, so a prompt that does not fit is refused before anything is
 * queued. What goes out is api_out.c's.
 */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server.h"

#define MAX_MESSAGES 4096
#define MAX_PROMPTS 16

/* ---- errors ---------------------------------------------------------------------- */

int api_fail(api_error *e, int status, const char *type, const char *param, const char *code, const char *fmt, ...) {
    e->status = status;
    e->type = type;
    e->param = param;
    e->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof e->message, fmt, ap);
    va_end(ap);
    return -1;
}

static int bad_request(api_error *e, const char *param, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int bad_request(api_error *e, const char *param, const char *code, const char *fmt, ...) {
    e->status = 400;
    e->type = "invalid_request_error";
    e->param = param;
    e->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof e->message, fmt, ap);
    va_end(ap);
    return -1;
}

static cJSON *add_str_or_null(cJSON *o, const char *name, const char *v) {
    return v ? cJSON_AddStringToObject(o, name, v) : cJSON_AddNullToObject(o, name);
}

char *api_error_json(const api_error *e) {
    cJSON *root = cJSON_CreateObject();
    cJSON *err = cJSON_AddObjectToObject(root, "error");
    char *msg = utf8_sanitize(e->message, strlen(e->message));
    add_str_or_null(err, "message", msg ? msg : "error");
    free(msg);
    add_str_or_null(err, "type", e->type ? e->type : "invalid_request_error");
    add_str_or_null(err, "param", e->param);
    add_str_or_null(err, "code", e->code);
    char *s = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    return s;
}

/* ---- checking a body ---------------------------------------------------------------- */

bool api_depth_ok(const char *body, size_t len, int max_depth) {
    int depth = 0;
    bool in_str = false, esc = false;
    for (size_t i = 0; i < len; i++) {
        char c = body[i];
        if (in_str) {
            if (esc) esc = false;
            else if (c == '\\') esc = true;
            else if (c == '"') in_str = false;
        } else if (c == '"') {
            in_str = true;
        } else if (c == '{' || c == '[') {
            if (++depth > max_depth) return false;
        } else if (c == '}' || c == ']') {
            depth--;
        }
    }
    return true;
}

static cJSON *parse_body(const srv *s, const char *body, size_t len, api_error *e) {
    if (len == 0) {
        bad_request(e, NULL, NULL, "The request body is empty: expected a JSON object.");
        return NULL;
    }
    if (memchr(body, '\0', len)) {
        bad_request(e, NULL, NULL, "We could not parse the JSON body of your request: it contains a NUL byte.");
        return NULL;
    }
    if (!api_depth_ok(body, len, s->cfg.max_depth)) {
        bad_request(e, NULL, NULL, "The JSON body of your request is nested deeper than %d levels.",
                    s->cfg.max_depth);
        return NULL;
    }
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(body, len, &end, false);
    if (root) { /* nothing but whitespace may follow */
        while (end < body + len && (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r')) end++;
        if (end != body + len) {
            cJSON_Delete(root);
            root = NULL;
        }
    }
    if (!root) {
        size_t at = end && end >= body && end <= body + len ? (size_t)(end - body) : 0;
        bad_request(e, NULL, NULL,
                    "We could not parse the JSON body of your request (error near byte %zu). The OpenAI API "
                    "expects a JSON payload.", at);
        return NULL;
    }
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        bad_request(e, NULL, NULL, "The JSON body of your request must be an object.");
        return NULL;
    }
    return root;
}

/* ---- typed fields: 0 absent or null, 1 set, -1 error -------------------------------- */

static const char *type_name(const cJSON *v) {
    if (cJSON_IsString(v)) return "a string";
    if (cJSON_IsNumber(v)) return "a number";
    if (cJSON_IsBool(v)) return "a boolean";
    if (cJSON_IsArray(v)) return "an array";
    if (cJSON_IsObject(v)) return "an object";
    return "null";
}

static int wrong_type(api_error *e, const char *name, const char *want, const cJSON *v) {
    return bad_request(e, name, "invalid_type", "Invalid type for '%s': expected %s, but got %s instead.", name, want,
                       type_name(v));
}

static const cJSON *field(const cJSON *o, const char *name) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsNull(v) ? NULL : v;
}

static int get_bool(const cJSON *o, const char *name, bool *out, api_error *e) {
    const cJSON *v = field(o, name);
    if (!v) return 0;
    if (!cJSON_IsBool(v)) return wrong_type(e, name, "a boolean", v);
    *out = cJSON_IsTrue(v);
    return 1;
}

static int get_number(const cJSON *o, const char *name, double lo, double hi, double *out, api_error *e) {
    const cJSON *v = field(o, name);
    if (!v) return 0;
    if (!cJSON_IsNumber(v)) return wrong_type(e, name, "a number", v);
    double x = v->valuedouble;
    if (!(x >= lo && x <= hi))
        return bad_request(e, name, "invalid_value", "Invalid '%s': %g is not in [%g, %g].", name, x, lo, hi);
    *out = x;
    return 1;
}

/* An integer; values beyond [lo, hi] are an error unless clamp, when they
 * are brought into range (max_tokens: absurd values mean "as many as fit"). */
static int get_int(const cJSON *o, const char *name, double lo, double hi, bool clamp, int64_t *out, api_error *e) {
    const cJSON *v = field(o, name);
    if (!v) return 0;
    if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) || isinf(v->valuedouble))
        return wrong_type(e, name, "an integer", v);
    double x = v->valuedouble;
    if (x < lo || x > hi) {
        if (!clamp || x < lo)
            return bad_request(e, name, "invalid_value", "Invalid '%s': %.0f is not in [%.0f, %.0f].", name, x, lo, hi);
        x = hi;
    }
    *out = (int64_t)x;
    return 1;
}

static int get_string(const cJSON *o, const char *name, const char **out, api_error *e) {
    const cJSON *v = field(o, name);
    if (!v) return 0;
    if (!cJSON_IsString(v)) return wrong_type(e, name, "a string", v);
    *out = v->valuestring;
    return 1;
}

/* ---- tokens ---------------------------------------------------------------------------- */

/* Tokenize text into a malloc'd array; NULL with e set on failure. With
 * limit > 0, a text of more tokens than that is only counted (*n set, the
 * array holds the first `limit`): a prompt that cannot fit costs no memory. */
static int32_t *tokenize_limit(srv *s, const char *text, size_t len, bool add_special, bool parse_special,
                               int32_t limit, int32_t *n, api_error *e) {
    int32_t cap = len + 16 < (size_t)INT32_MAX / 2 ? (int32_t)len + 16 : INT32_MAX / 2;
    if (limit > 0 && cap > limit) cap = limit;
    int32_t *t = malloc((size_t)cap * sizeof *t);
    if (!t) {
        api_fail(e, 500, "server_error", NULL, NULL, "out of memory");
        return NULL;
    }
    ei_status st = ei_tokenize(s->model, text, len, add_special, parse_special, t, cap, n);
    if (st == EI_OK && *n > cap && limit > 0 && cap == limit) return t; /* too long: counted only */
    if (st == EI_OK && *n > cap) {
        int32_t need = *n;
        int32_t *t2 = realloc(t, (size_t)need * sizeof *t);
        if (!t2) {
            free(t);
            api_fail(e, 500, "server_error", NULL, NULL, "out of memory");
            return NULL;
        }
        t = t2;
        cap = need;
        if (ei_tokenize(s->model, text, len, add_special, parse_special, t, cap, n) != EI_OK) *n = -1;
    } else if (st != EI_OK) {
        *n = -1;
    }
    if (*n < 0) {
        free(t);
        api_fail(e, 500, "server_error", NULL, NULL, "tokenization failed: %s", ei_last_error());
        return NULL;
    }
    return t;
}

static int32_t *tokenize(srv *s, const char *text, size_t len, bool add_special, bool parse_special, int32_t *n,
                         api_error *e) {
    return tokenize_limit(s, text, len, add_special, parse_special, 0, n, e);
}

/* ---- chat messages ------------------------------------------------------------------------- */

typedef struct msg_list {
    ei_chat_message *m;
    char **owned;
    size_t n;
} msg_list;

static void msgs_free(msg_list *l) {
    for (size_t i = 0; i < l->n; i++) free(l->owned[i]);
    free(l->owned);
    free(l->m);
}

static int parse_messages(const cJSON *root, msg_list *l, api_error *e) {
    const cJSON *msgs = cJSON_GetObjectItemCaseSensitive(root, "messages");
    if (!msgs || cJSON_IsNull(msgs))
        return bad_request(e, "messages", "missing_required_parameter", "Missing required parameter: 'messages'.");
    if (!cJSON_IsArray(msgs)) return wrong_type(e, "messages", "an array", msgs);
    int n = cJSON_GetArraySize(msgs);
    if (n == 0)
        return bad_request(e, "messages", "empty_array",
                           "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an "
                           "empty array instead.");
    if (n > MAX_MESSAGES)
        return bad_request(e, "messages", "array_above_max_length", "Invalid 'messages': more than %d messages.",
                           MAX_MESSAGES);
    l->m = calloc((size_t)n, sizeof *l->m);
    l->owned = calloc((size_t)n, sizeof *l->owned);
    if (!l->m || !l->owned) return api_fail(e, 500, "server_error", NULL, NULL, "out of memory");
    int i = 0;
    const cJSON *msg;
    cJSON_ArrayForEach(msg, msgs) {
        if (!cJSON_IsObject(msg))
            return bad_request(e, "messages", "invalid_type",
                               "Invalid type for 'messages[%d]': expected an object, but got %s instead.", i,
                               type_name(msg));
        const cJSON *role = cJSON_GetObjectItemCaseSensitive(msg, "role");
        if (!role || cJSON_IsNull(role))
            return bad_request(e, "messages", "missing_required_parameter",
                               "Missing required parameter: 'messages[%d].role'.", i);
        if (!cJSON_IsString(role))
            return bad_request(e, "messages", "invalid_type",
                               "Invalid type for 'messages[%d].role': expected a string, but got %s instead.", i,
                               type_name(role));
        const char *r = role->valuestring;
        if (!strcmp(r, "developer")) r = "system"; /* OpenAI's newer name for it */
        if (strcmp(r, "system") && strcmp(r, "user") && strcmp(r, "assistant")) {
            char *shown = utf8_sanitize(role->valuestring, strnlen(role->valuestring, 64));
            bad_request(e, "messages", "invalid_value",
                        "Invalid value: '%s' for 'messages[%d].role'. Supported values are: 'system', 'developer', "
                        "'user' and 'assistant'.", shown ? shown : "?", i);
            free(shown);
            return -1;
        }
        const cJSON *content = cJSON_GetObjectItemCaseSensitive(msg, "content");
        sbuf text = {0};
        int rc = 0;
        if (cJSON_IsString(content)) {
            rc = sbuf_add_utf8(&text, content->valuestring, strlen(content->valuestring));
        } else if (cJSON_IsArray(content)) {
            const cJSON *part;
            int k = 0;
            cJSON_ArrayForEach(part, content) {
                const cJSON *type = cJSON_GetObjectItemCaseSensitive(part, "type");
                const cJSON *t = cJSON_GetObjectItemCaseSensitive(part, "text");
                if (!cJSON_IsObject(part) || !cJSON_IsString(type)) {
                    sbuf_free(&text);
                    return bad_request(e, "messages", "invalid_type",
                                       "Invalid 'messages[%d].content[%d]': expected an object with a 'type'.", i, k);
                }
                if (strcmp(type->valuestring, "text")) {
                    sbuf_free(&text);
                    return bad_request(e, "messages", "invalid_value",
                                       "Invalid 'messages[%d].content[%d].type': only 'text' parts are supported.",
                                       i, k);
                }
                if (!cJSON_IsString(t)) {
                    sbuf_free(&text);
                    return bad_request(e, "messages", "invalid_type",
                                       "Invalid type for 'messages[%d].content[%d].text': expected a string.", i, k);
                }
                if (k > 0) rc |= sbuf_adds(&text, "\n");
                rc |= sbuf_add_utf8(&text, t->valuestring, strlen(t->valuestring));
                k++;
            }
            rc |= sbuf_add(&text, "", 0);
        } else if ((!content || cJSON_IsNull(content)) && !strcmp(r, "assistant")) {
            rc = sbuf_add(&text, "", 0); /* an assistant turn that only called tools */
        } else if (!content || cJSON_IsNull(content)) {
            return bad_request(e, "messages", "missing_required_parameter",
                               "Missing required parameter: 'messages[%d].content'.", i);
        } else {
            return bad_request(e, "messages", "invalid_type",
                               "Invalid type for 'messages[%d].content': expected a string or an array of text "
                               "parts, but got %s instead.", i, type_name(content));
        }
        if (rc) {
            sbuf_free(&text);
            return api_fail(e, 500, "server_error", NULL, NULL, "out of memory");
        }
        l->owned[i] = text.p;
        l->m[i].role = r; /* points into the cJSON tree or a literal: lives as long as parsing */
        l->m[i].content = text.p;
        l->n = (size_t)++i;
    }
    return 0;
}

/* The built-in for a model that carries no template of its own (Gemma 3
 * 270M's GGUF has none): its family's, else ChatML. */
static const char *fallback_template(const srv *s) {
    const char *arch = ei_model_arch(s->model);
    if (!strncmp(arch, "gemma", 5)) return "gemma";
    if (!strcmp(arch, "phi3")) return "phi3";
    return "chatml";
}

static char *render_chat(srv *s, const msg_list *l, api_error *e) {
    const char *tmpl = s->cfg.chat_template;
    char *out = NULL;
    ei_status st = ei_chat_format(s->model, tmpl, l->m, l->n, true, &out);
    if (st != EI_OK && !tmpl && ei_gguf_find_key(ei_model_gguf(s->model), "tokenizer.chat_template") < 0)
        st = ei_chat_format(s->model, fallback_template(s), l->m, l->n, true, &out);
    if (st != EI_OK) {
        bad_request(e, "messages", NULL, "The chat template could not render these messages: %s", ei_last_error());
        return NULL;
    }
    return out;
}

/* ---- sampling and the other shared fields ---------------------------------------------- */

static int parse_stop(const cJSON *root, srv_params *p, api_error *e) {
    const cJSON *v = field(root, "stop");
    if (!v) return 0;
    if (cJSON_IsString(v)) {
        if (!v->valuestring[0]) return 0;
        p->stop[p->n_stop] = strdup(v->valuestring);
        return p->stop[p->n_stop++] ? 0 : api_fail(e, 500, "server_error", NULL, NULL, "out of memory");
    }
    if (!cJSON_IsArray(v)) return wrong_type(e, "stop", "a string or an array of strings", v);
    if (cJSON_GetArraySize(v) > SRV_MAX_STOP)
        return bad_request(e, "stop", "array_above_max_length", "Invalid 'stop': at most %d stop sequences.",
                           SRV_MAX_STOP);
    const cJSON *x;
    cJSON_ArrayForEach(x, v) {
        if (!cJSON_IsString(x)) return wrong_type(e, "stop", "a string or an array of strings", v);
        if (!x->valuestring[0]) continue;
        p->stop[p->n_stop] = strdup(x->valuestring);
        if (!p->stop[p->n_stop++]) return api_fail(e, 500, "server_error", NULL, NULL, "out of memory");
    }
    return 0;
}

static int parse_logit_bias(srv *s, const cJSON *root, srv_params *p, api_error *e) {
    const cJSON *v = field(root, "logit_bias");
    if (!v) return 0;
    if (!cJSON_IsObject(v)) return wrong_type(e, "logit_bias", "an object", v);
    int n = cJSON_GetArraySize(v);
    if (n > 1024) return bad_request(e, "logit_bias", "invalid_value", "Invalid 'logit_bias': more than 1024 tokens.");
    if (n == 0) return 0;
    p->bias = calloc((size_t)n, sizeof *p->bias);
    if (!p->bias) return api_fail(e, 500, "server_error", NULL, NULL, "out of memory");
    const cJSON *x;
    cJSON_ArrayForEach(x, v) {
        char *end;
        long id = strtol(x->string, &end, 10);
        if (!x->string[0] || *end || id < 0 || id >= s->n_vocab)
            return bad_request(e, "logit_bias", "invalid_value",
                               "Invalid 'logit_bias': key '%.32s' is not a token id of this model (0..%d).",
                               x->string, s->n_vocab - 1);
        if (!cJSON_IsNumber(x) || !(x->valuedouble >= -100 && x->valuedouble <= 100))
            return bad_request(e, "logit_bias", "invalid_value",
                               "Invalid 'logit_bias': the bias of token %ld must be a number in [-100, 100].", id);
        /* OpenAI: -100 bans the token, 100 forces it */
        float b = x->valuedouble <= -100 ? -INFINITY : (float)x->valuedouble;
        p->bias[p->n_bias++] = (ei_logit_bias){(int32_t)id, b};
    }
    p->sp.logit_bias = p->bias;
    p->sp.n_logit_bias = p->n_bias;
    return 0;
}

static int parse_common(srv *s, const cJSON *root, job_kind kind, srv_params *p, api_error *e) {
    p->sp = ei_sampler_default_params();
    p->max_tokens = kind == JOB_COMPLETION ? 16 : -1; /* OpenAI's defaults */
    double x;
    int64_t i;
    int r;
    const char *str;
    if (get_string(root, "model", &str, e) < 0) return -1;
    if (get_string(root, "user", &str, e) < 0) return -1;
    if (get_bool(root, "stream", &p->stream, e) < 0) return -1;

    const cJSON *so = field(root, "stream_options");
    if (so) {
        if (!cJSON_IsObject(so)) return wrong_type(e, "stream_options", "an object", so);
        if (!p->stream)
            return bad_request(e, "stream_options", "invalid_value",
                               "The 'stream_options' parameter is only allowed when 'stream' is enabled.");
        if (get_bool(so, "include_usage", &p->include_usage, e) < 0) return -1;
    }

    /* max_completion_tokens wins over the older max_tokens; n_predict is llama-server's */
    const char *mt_names[] = {"n_predict", "max_tokens", "max_completion_tokens"};
    for (int k = 0; k < 3; k++) {
        r = get_int(root, mt_names[k], k == 0 ? -1 : 0, 1e15, true, &i, e);
        if (r < 0) return -1;
        if (r) p->max_tokens = i > INT32_MAX ? INT32_MAX : (int32_t)i;
    }

    if ((r = get_int(root, "n", 1, 128, false, &i, e)) < 0) return -1;
    if (r && i != 1) return bad_request(e, "n", "invalid_value", "Invalid 'n': only n = 1 is supported.");
    if ((r = get_int(root, "best_of", 1, 128, false, &i, e)) < 0) return -1;
    if (r && i != 1) return bad_request(e, "best_of", "invalid_value", "Invalid 'best_of': only 1 is supported.");

    if ((r = get_number(root, "temperature", 0, 2, &x, e)) < 0) return -1;
    if (r) p->sp.temperature = (float)x;
    if ((r = get_number(root, "top_p", 0, 1, &x, e)) < 0) return -1;
    if (r) p->sp.top_p = (float)x;
    if ((r = get_number(root, "presence_penalty", -2, 2, &x, e)) < 0) return -1;
    if (r) p->sp.presence_penalty = (float)x;
    if ((r = get_number(root, "frequency_penalty", -2, 2, &x, e)) < 0) return -1;
    if (r) p->sp.frequency_penalty = (float)x;
    /* llama-server's extras */
    if ((r = get_int(root, "top_k", -1, 1e9, true, &i, e)) < 0) return -1;
    if (r) p->sp.top_k = (int32_t)i;
    if ((r = get_number(root, "min_p", 0, 1, &x, e)) < 0) return -1;
    if (r) p->sp.min_p = (float)x;
    if ((r = get_number(root, "typical_p", 0, 1, &x, e)) < 0) return -1;
    if (r) p->sp.typical_p = (float)x;
    if ((r = get_number(root, "repeat_penalty", 0, 100, &x, e)) < 0) return -1;
    if (r) p->sp.repeat_penalty = (float)x;
    if ((r = get_int(root, "repeat_last_n", -1, 1e9, true, &i, e)) < 0) return -1;
    if (r) p->sp.penalty_last_n = (int32_t)i;

    if ((r = get_int(root, "seed", -9.2e18, 1.8e19, false, &i, e)) < 0) return -1;
    if (r) {
        const cJSON *sv = field(root, "seed");
        p->sp.seed = sv->valuedouble < 0 ? (uint64_t)(int64_t)sv->valuedouble : (uint64_t)sv->valuedouble;
        p->seeded = true;
    }
    if (parse_stop(root, p, e) || parse_logit_bias(s, root, p, e)) return -1;

    const cJSON *rf = field(root, "response_format");
    if (rf) {
        if (!cJSON_IsObject(rf)) return wrong_type(e, "response_format", "an object", rf);
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(rf, "type");
        if (!cJSON_IsString(t))
            return bad_request(e, "response_format.type", "missing_required_parameter",
                               "Missing required parameter: 'response_format.type'.");
        if (!strcmp(t->valuestring, "json_object")) p->json_mode = true;
        else if (strcmp(t->valuestring, "text"))
            return bad_request(e, "response_format.type", "invalid_value",
                               "Invalid 'response_format.type': supported values are 'text' and 'json_object'.");
    }

    /* whatever else the sampler refuses (it knows its own rules) is the client's mistake */
    ei_sampler *probe = NULL;
    if (ei_sampler_new(&p->sp, s->n_vocab, &probe) != EI_OK)
        return bad_request(e, NULL, "invalid_value", "Invalid sampling parameters: %s", ei_last_error());
    ei_sampler_free(probe);

    if (kind == JOB_CHAT) {
        if (get_bool(root, "logprobs", &p->logprobs, e) < 0) return -1;
        if ((r = get_int(root, "top_logprobs", 0, SRV_MAX_TOP_LOGPROBS, false, &i, e)) < 0) return -1;
        if (r) {
            if (!p->logprobs)
                return bad_request(e, "top_logprobs", "invalid_value",
                                   "Invalid 'top_logprobs': 'logprobs' must be set to true when 'top_logprobs' is "
                                   "given.");
            p->top_logprobs = (int)i;
        }
    } else {
        if ((r = get_int(root, "logprobs", 0, 5, false, &i, e)) < 0) return -1;
        if (r) {
            p->logprobs = true;
            p->top_logprobs = (int)i;
        }
        if (get_bool(root, "echo", &p->echo, e) < 0) return -1;
        if (get_string(root, "suffix", &str, e) < 0) return -1;
    }
    return 0;
}

/* ---- jobs ------------------------------------------------------------------------------- */

void job_free(srv_job *j) {
    if (!j) return;
    for (int i = 0; i < j->n_choices; i++) {
        srv_choice *c = &j->choices[i];
        free(c->prompt);
        free(c->echo_text);
        free(c->lp);
        sbuf_free(&c->text);
    }
    free(j->choices);
    for (size_t i = 0; i < j->par.n_stop; i++) free(j->par.stop[i]);
    free(j->par.bias);
    free(j->model);
    free(j->body);
    sbuf_free(&j->out);
    free(j);
}

void job_unref_locked(srv_job *j) {
    if (j && --j->refs == 0) job_free(j);
}

static srv_job *job_new(srv *s, job_kind kind, int n_choices) {
    srv_job *j = calloc(1, sizeof *j);
    if (!j) return NULL;
    j->choices = calloc((size_t)n_choices, sizeof *j->choices);
    if (!j->choices) {
        free(j);
        return NULL;
    }
    j->srv = s;
    j->kind = kind;
    j->n_choices = n_choices;
    j->n_left = n_choices;
    j->fd = -1;
    j->created = (int64_t)time(NULL);
    j->t_start = now_s();
    static atomic_uint_fast64_t counter;
    uint64_t k = atomic_fetch_add(&counter, 1) + 1;
    uint64_t mix = (k * 0x9E3779B97F4A7C15ull) ^ ((uint64_t)j->created << 20) ^ (uint64_t)(now_s() * 1e9);
    snprintf(j->id, sizeof j->id, "%s%016llx%08llx", kind == JOB_CHAT ? "chatcmpl-" : "cmpl-",
             (unsigned long long)mix, (unsigned long long)k);
    for (int i = 0; i < n_choices; i++) {
        j->choices[i].job = j;
        j->choices[i].index = i;
    }
    return j;
}

/* Check the prompt against the context, clamp max_tokens; c->prompt set. */
static int fit_prompt(srv *s, srv_job *j, srv_choice *c, api_error *e) {
    if (c->n_prompt <= 0)
        return bad_request(e, j->kind == JOB_CHAT ? "messages" : "prompt", "invalid_value",
                           "The prompt is empty: there is nothing to continue.");
    if (c->n_prompt >= s->n_ctx)
        return bad_request(e, j->kind == JOB_CHAT ? "messages" : "prompt", "context_length_exceeded",
                           "This model's maximum context length is %d tokens. However, your %s resulted in %d tokens. "
                           "Please reduce the length of the %s.", s->n_ctx,
                           j->kind == JOB_CHAT ? "messages" : "prompt", c->n_prompt,
                           j->kind == JOB_CHAT ? "messages" : "prompt");
    return 0;
}

static void set_model_name(srv *s, srv_job *j, const cJSON *root) {
    (void)root;
    j->model = strdup(s->model_id); /* the one model served, whatever name was asked for */
}

static int completion_prompts(srv *s, srv_job **out, const cJSON *root, bool echo, api_error *e) {
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(root, "prompt");
    if (!p || cJSON_IsNull(p))
        return bad_request(e, "prompt", "missing_required_parameter", "Missing required parameter: 'prompt'.");
    /* the shapes: "text"; ["a", "b"]; [1, 2, 3]; [[1, 2], [3]] */
    int n = 1;
    bool tokens_one = false;
    if (cJSON_IsArray(p)) {
        int len = cJSON_GetArraySize(p);
        if (len == 0)
            return bad_request(e, "prompt", "empty_array", "Invalid 'prompt': empty array.");
        const cJSON *first = cJSON_GetArrayItem(p, 0);
        if (cJSON_IsNumber(first)) tokens_one = true;
        else n = len;
        if (n > MAX_PROMPTS)
            return bad_request(e, "prompt", "array_above_max_length", "Invalid 'prompt': at most %d prompts.",
                               MAX_PROMPTS);
    } else if (!cJSON_IsString(p)) {
        return wrong_type(e, "prompt", "a string, an array of strings or an array of token ids", p);
    }
    srv_job *j = job_new(s, JOB_COMPLETION, n);
    if (!j) return api_fail(e, 500, "server_error", NULL, NULL, "out of memory");
    *out = j;
    for (int i = 0; i < n; i++) {
        srv_choice *c = &j->choices[i];
        const cJSON *item = cJSON_IsString(p) ? p : tokens_one ? p : cJSON_GetArrayItem(p, i);
        if (cJSON_IsString(item)) {
            char *text = utf8_sanitize(item->valuestring, strlen(item->valuestring));
            if (!text) return api_fail(e, 500, "server_error", NULL, NULL, "out of memory");
            c->echo_text = text;
            c->prompt = tokenize_limit(s, text, strlen(text), true, true, s->n_ctx + 1, &c->n_prompt, e);
            if (!c->prompt) return -1;
        } else if (cJSON_IsArray(item)) {
            int len = cJSON_GetArraySize(item);
            if (len == 0) return bad_request(e, "prompt", "empty_array", "Invalid 'prompt': empty token array.");
            if (len > s->n_ctx)
                return bad_request(e, "prompt", "context_length_exceeded",
                                   "This model's maximum context length is %d tokens. However, your prompt resulted "
                                   "in %d tokens. Please reduce the length of the prompt.", s->n_ctx, len);
            c->prompt = malloc((size_t)len * sizeof *c->prompt);
            if (!c->prompt) return api_fail(e, 500, "server_error", NULL, NULL, "out of memory");
            const cJSON *t;
            cJSON_ArrayForEach(t, item) {
                if (!cJSON_IsNumber(t) || t->valuedouble != floor(t->valuedouble) || t->valuedouble < 0 ||
                    t->valuedouble >= s->n_vocab)
                    return bad_request(e, "prompt", "invalid_value",
                                       "Invalid 'prompt': token ids must be integers in [0, %d).", s->n_vocab);
                c->prompt[c->n_prompt++] = (int32_t)t->valuedouble;
            }
            if (echo) { /* the prompt as text, to come first in the answer */
                char small[8];
                size_t need = 0;
                ei_detokenize(s->model, c->prompt, c->n_prompt, false, small, sizeof small, &need);
                char *raw = malloc(need + 1);
                if (raw && ei_detokenize(s->model, c->prompt, c->n_prompt, false, raw, need + 1, &need) == EI_OK)
                    c->echo_text = utf8_sanitize(raw, need);
                free(raw);
                if (!c->echo_text) return api_fail(e, 500, "server_error", NULL, NULL, "out of memory");
            }
        } else {
            return wrong_type(e, "prompt", "a string, an array of strings or an array of token ids", item);
        }
        if (fit_prompt(s, j, c, e)) return -1;
    }
    return 0;
}

srv_job *api_parse_job(srv *s, job_kind kind, const char *body, size_t len, api_error *e) {
    cJSON *root = parse_body(s, body, len, e);
    if (!root) return NULL;
    srv_job *j = NULL;
    srv_params par = {0};
    msg_list ml = {0};
    char *prompt = NULL;
    int rc = parse_common(s, root, kind, &par, e);
    if (!rc && kind == JOB_CHAT) {
        rc = parse_messages(root, &ml, e);
        if (!rc) prompt = render_chat(s, &ml, e);
        if (!rc && !prompt) rc = -1;
        if (!rc) {
            j = job_new(s, JOB_CHAT, 1);
            if (!j) rc = api_fail(e, 500, "server_error", NULL, NULL, "out of memory");
        }
        if (!rc) {
            srv_choice *c = &j->choices[0];
            c->prompt = tokenize_limit(s, prompt, strlen(prompt), true, true, s->n_ctx + 1, &c->n_prompt, e);
            rc = c->prompt ? fit_prompt(s, j, c, e) : -1;
        }
    } else if (!rc) {
        rc = completion_prompts(s, &j, root, par.echo, e);
    }
    if (j) {
        j->par = par; /* the job owns the stop strings and biases from here */
        memset(&par, 0, sizeof par);
        if (j->par.bias) j->par.sp.logit_bias = j->par.bias;
        if (!rc) set_model_name(s, j, root);
        if (!rc && !j->model) rc = api_fail(e, 500, "server_error", NULL, NULL, "out of memory");
    }
    for (size_t i = 0; i < par.n_stop; i++) free(par.stop[i]);
    free(par.bias);
    msgs_free(&ml);
    ei_free(prompt);
    cJSON_Delete(root);
    if (rc) {
        job_free(j);
        return NULL;
    }
    return j;
}

/* ---- tokenize, detokenize ---------------------------------------------------------------------- */

char *api_tokenize(srv *s, const char *body, size_t len, api_error *e) {
    cJSON *root = parse_body(s, body, len, e);
    if (!root) return NULL;
    char *out = NULL;
    const char *content = NULL;
    bool add_special = false, parse_special = true, with_pieces = false;
    int r = get_string(root, "content", &content, e);
    if (r == 0) bad_request(e, "content", "missing_required_parameter", "Missing required parameter: 'content'.");
    if (r <= 0 || get_bool(root, "add_special", &add_special, e) < 0 ||
        get_bool(root, "parse_special", &parse_special, e) < 0 || get_bool(root, "with_pieces", &with_pieces, e) < 0) {
        cJSON_Delete(root);
        return NULL;
    }
    int32_t n = 0;
    int32_t *toks = tokenize(s, content, strlen(content), add_special, parse_special, &n, e);
    if (toks) {
        cJSON *o = cJSON_CreateObject();
        cJSON *arr = cJSON_AddArrayToObject(o, "tokens");
        for (int32_t i = 0; i < n; i++) {
            if (!with_pieces) {
                cJSON_AddItemToArray(arr, cJSON_CreateNumber(toks[i]));
                continue;
            }
            cJSON *t = cJSON_CreateObject();
            cJSON_AddNumberToObject(t, "id", toks[i]);
            size_t pn = 0;
            char *piece = srv_token_piece(s, toks[i], &pn);
            char *txt = piece ? utf8_sanitize(piece, pn) : NULL;
            cJSON_AddStringToObject(t, "piece", txt ? txt : "");
            free(txt);
            free(piece);
            cJSON_AddItemToArray(arr, t);
        }
        out = cJSON_PrintUnformatted(o);
        cJSON_Delete(o);
        free(toks);
    }
    cJSON_Delete(root);
    return out;
}

char *api_detokenize(srv *s, const char *body, size_t len, api_error *e) {
    cJSON *root = parse_body(s, body, len, e);
    if (!root) return NULL;
    char *out = NULL;
    const cJSON *t = field(root, "tokens");
    if (!t) {
        bad_request(e, "tokens", "missing_required_parameter", "Missing required parameter: 'tokens'.");
    } else if (!cJSON_IsArray(t)) {
        wrong_type(e, "tokens", "an array of token ids", t);
    } else {
        int n = cJSON_GetArraySize(t);
        int32_t *toks = malloc((size_t)(n ? n : 1) * sizeof *toks);
        int k = 0;
        const cJSON *x;
        bool ok = toks != NULL;
        cJSON_ArrayForEach(x, t) {
            if (!ok) break;
            if (!cJSON_IsNumber(x) || x->valuedouble != floor(x->valuedouble) || x->valuedouble < 0 ||
                x->valuedouble >= s->n_vocab) {
                bad_request(e, "tokens", "invalid_value", "Invalid 'tokens': ids must be integers in [0, %d).",
                            s->n_vocab);
                ok = false;
                break;
            }
            toks[k++] = (int32_t)x->valuedouble;
        }
        if (!toks) api_fail(e, 500, "server_error", NULL, NULL, "out of memory");
        if (ok) {
            char small[8];
            size_t need = 0;
            ei_detokenize(s->model, toks, k, false, small, sizeof small, &need);
            char *raw = malloc(need + 1);
            if (raw && ei_detokenize(s->model, toks, k, false, raw, need + 1, &need) == EI_OK) {
                char *txt = utf8_sanitize(raw, need);
                cJSON *o = cJSON_CreateObject();
                cJSON_AddStringToObject(o, "content", txt ? txt : "");
                out = cJSON_PrintUnformatted(o);
                cJSON_Delete(o);
                free(txt);
            } else {
                api_fail(e, 500, "server_error", NULL, NULL, "detokenization failed: %s", ei_last_error());
            }
            free(raw);
        }
        free(toks);
    }
    cJSON_Delete(root);
    return out;
}
