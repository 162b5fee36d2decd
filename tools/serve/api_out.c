/*
 * api_out.c — the OpenAI API's JSON: responses out. Chat completions,
 * completions, their streaming chunks (server-sent events), usage, logprobs
 * and the model list, shaped as OpenAI's API reference shows them. Every
 * string written is valid UTF-8 (util.c repairs what a model produced).
 */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "server.h"

#define FINGERPRINT "edgeinfer-0.1"

/* ---- output: pieces ---------------------------------------------------------------------- */

static const char *finish_name(ei_finish_reason f) { return f == EI_FINISH_LENGTH ? "length" : "stop"; }

static cJSON *byte_array(const char *p, size_t n) {
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++) cJSON_AddItemToArray(a, cJSON_CreateNumber((unsigned char)p[i]));
    return a;
}

/* Chat logprobs entries [from, to) as OpenAI's "content" array. */
static cJSON *chat_logprobs(const srv *s, const srv_choice *c, int32_t from, int32_t to) {
    cJSON *lp = cJSON_CreateObject();
    cJSON *content = cJSON_AddArrayToObject(lp, "content");
    for (int32_t i = from; i < to; i++) {
        const srv_logprob *l = &c->lp[i];
        cJSON *ent = cJSON_CreateObject();
        size_t n = 0;
        char *piece = srv_token_piece(s, l->token, &n);
        char *txt = piece ? utf8_sanitize(piece, n) : NULL;
        cJSON_AddStringToObject(ent, "token", txt ? txt : "");
        cJSON_AddNumberToObject(ent, "logprob", l->logprob);
        cJSON_AddItemToObject(ent, "bytes", byte_array(piece ? piece : "", piece ? n : 0));
        free(txt);
        free(piece);
        cJSON *top = cJSON_AddArrayToObject(ent, "top_logprobs");
        for (int k = 0; k < l->n_top; k++) {
            cJSON *t = cJSON_CreateObject();
            char *tp = srv_token_piece(s, l->top_token[k], &n);
            char *tt = tp ? utf8_sanitize(tp, n) : NULL;
            cJSON_AddStringToObject(t, "token", tt ? tt : "");
            cJSON_AddNumberToObject(t, "logprob", l->top_logprob[k]);
            cJSON_AddItemToObject(t, "bytes", byte_array(tp ? tp : "", tp ? n : 0));
            free(tt);
            free(tp);
            cJSON_AddItemToArray(top, t);
        }
        cJSON_AddItemToArray(content, ent);
    }
    cJSON_AddNullToObject(lp, "refusal");
    return lp;
}

/* Legacy completions logprobs: tokens, token_logprobs, top_logprobs, text_offset. */
static cJSON *completion_logprobs(const srv *s, const srv_choice *c, int32_t from, int32_t to, size_t *offset) {
    cJSON *lp = cJSON_CreateObject();
    cJSON *toks = cJSON_AddArrayToObject(lp, "tokens");
    cJSON *tlp = cJSON_AddArrayToObject(lp, "token_logprobs");
    cJSON *top = cJSON_AddArrayToObject(lp, "top_logprobs");
    cJSON *off = cJSON_AddArrayToObject(lp, "text_offset");
    for (int32_t i = from; i < to; i++) {
        const srv_logprob *l = &c->lp[i];
        size_t n = 0;
        char *piece = srv_token_piece(s, l->token, &n);
        char *txt = piece ? utf8_sanitize(piece, n) : NULL;
        cJSON_AddItemToArray(toks, cJSON_CreateString(txt ? txt : ""));
        cJSON_AddItemToArray(tlp, cJSON_CreateNumber(l->logprob));
        cJSON_AddItemToArray(off, cJSON_CreateNumber((double)*offset));
        *offset += n;
        free(txt);
        free(piece);
        cJSON *t = cJSON_CreateObject();
        for (int k = 0; k < l->n_top; k++) {
            char *tp = srv_token_piece(s, l->top_token[k], &n);
            char *tt = tp ? utf8_sanitize(tp, n) : NULL;
            if (tt && !cJSON_GetObjectItemCaseSensitive(t, tt)) cJSON_AddNumberToObject(t, tt, l->top_logprob[k]);
            free(tt);
            free(tp);
        }
        cJSON_AddItemToArray(top, t);
    }
    return lp;
}

static cJSON *usage_json(const srv_job *j) {
    int64_t prompt = 0, gen = 0, cached = 0;
    for (int i = 0; i < j->n_choices; i++) {
        prompt += j->choices[i].n_prompt;
        gen += j->choices[i].n_gen;
        cached += j->choices[i].n_reused;
    }
    cJSON *u = cJSON_CreateObject();
    cJSON_AddNumberToObject(u, "prompt_tokens", (double)prompt);
    cJSON_AddNumberToObject(u, "completion_tokens", (double)gen);
    cJSON_AddNumberToObject(u, "total_tokens", (double)(prompt + gen));
    cJSON *d = cJSON_AddObjectToObject(u, "prompt_tokens_details");
    cJSON_AddNumberToObject(d, "cached_tokens", (double)cached);
    return u;
}

static cJSON *envelope(const srv_job *j, const char *object) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", j->id);
    cJSON_AddStringToObject(o, "object", object);
    cJSON_AddNumberToObject(o, "created", (double)j->created);
    cJSON_AddStringToObject(o, "model", j->model);
    cJSON_AddStringToObject(o, "system_fingerprint", FINGERPRINT);
    return o;
}

/* ---- output: streaming ---------------------------------------------------------------------- */

static int emit_event(srv_job *j, cJSON *o) {
    char *s = o ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    if (!s) return -1;
    int rc = sbuf_adds(&j->out, "data: ") | sbuf_adds(&j->out, s) | sbuf_adds(&j->out, "\n\n");
    cJSON_free(s);
    return rc ? -1 : 0;
}

/* One chunk for choice c: text (may be NULL), the logprobs not yet sent,
 * and a finish reason when finish. */
static int stream_chunk(srv_job *j, srv_choice *c, const char *text, size_t n, bool role, bool finish) {
    srv *s = j->srv;
    bool chat = j->kind == JOB_CHAT;
    cJSON *o = envelope(j, chat ? "chat.completion.chunk" : "text_completion");
    cJSON *choices = cJSON_AddArrayToObject(o, "choices");
    cJSON *ch = cJSON_CreateObject();
    cJSON_AddItemToArray(choices, ch);
    char *t = text ? utf8_sanitize(text, n) : NULL;
    if (chat) {
        cJSON_AddNumberToObject(ch, "index", c->index);
        cJSON *d = cJSON_AddObjectToObject(ch, "delta");
        if (role) {
            cJSON_AddStringToObject(d, "role", "assistant");
            cJSON_AddStringToObject(d, "content", "");
        }
        if (t) cJSON_AddStringToObject(d, "content", t);
    } else {
        cJSON_AddStringToObject(ch, "text", t ? t : "");
        cJSON_AddNumberToObject(ch, "index", c->index);
    }
    free(t);
    if (j->par.logprobs && c->lp_sent < c->n_lp && !role)
        cJSON_AddItemToObject(ch, "logprobs", chat ? chat_logprobs(s, c, c->lp_sent, c->n_lp)
                                                   : completion_logprobs(s, c, c->lp_sent, c->n_lp, &c->text_offset));
    else cJSON_AddNullToObject(ch, "logprobs");
    if (!role) c->lp_sent = c->n_lp;
    if (finish) cJSON_AddStringToObject(ch, "finish_reason", finish_name(c->finish));
    else cJSON_AddNullToObject(ch, "finish_reason");
    if (j->par.include_usage) cJSON_AddNullToObject(o, "usage");
    return emit_event(j, o);
}

int api_stream_role(srv_job *j, srv_choice *c) {
    if (j->kind == JOB_CHAT) return stream_chunk(j, c, NULL, 0, true, false);
    if (j->par.echo && c->echo_text) { /* completions echo the prompt first */
        c->text_offset = strlen(c->echo_text);
        return stream_chunk(j, c, c->echo_text, strlen(c->echo_text), false, false);
    }
    return 0;
}

int api_stream_text(srv_job *j, srv_choice *c, const char *text, size_t n) {
    return stream_chunk(j, c, text, n, false, false);
}

int api_stream_finish(srv_job *j, srv_choice *c) { return stream_chunk(j, c, NULL, 0, false, true); }

int api_stream_end(srv_job *j) {
    int rc = 0;
    if (j->par.include_usage) {
        cJSON *o = envelope(j, j->kind == JOB_CHAT ? "chat.completion.chunk" : "text_completion");
        cJSON_AddArrayToObject(o, "choices");
        cJSON_AddItemToObject(o, "usage", usage_json(j));
        rc = emit_event(j, o);
    }
    return rc | sbuf_adds(&j->out, "data: [DONE]\n\n");
}

int api_stream_error(srv_job *j, const api_error *e) {
    char *s = api_error_json(e);
    if (!s) return -1;
    int rc = sbuf_adds(&j->out, "data: ") | sbuf_adds(&j->out, s) | sbuf_adds(&j->out, "\n\n");
    cJSON_free(s);
    return rc ? -1 : 0;
}

/* ---- output: whole responses ------------------------------------------------------------------ */

char *api_final_json(srv_job *j) {
    srv *s = j->srv;
    bool chat = j->kind == JOB_CHAT;
    cJSON *o = envelope(j, chat ? "chat.completion" : "text_completion");
    cJSON *choices = cJSON_AddArrayToObject(o, "choices");
    for (int i = 0; i < j->n_choices; i++) {
        srv_choice *c = &j->choices[i];
        cJSON *ch = cJSON_CreateObject();
        cJSON_AddItemToArray(choices, ch);
        sbuf text = {0};
        if (!chat && j->par.echo && c->echo_text) sbuf_adds(&text, c->echo_text);
        sbuf_add_utf8(&text, c->text.p ? c->text.p : "", c->text.len);
        sbuf_add(&text, "", 0);
        cJSON_AddNumberToObject(ch, "index", c->index);
        if (chat) {
            cJSON *m = cJSON_AddObjectToObject(ch, "message");
            cJSON_AddStringToObject(m, "role", "assistant");
            cJSON_AddStringToObject(m, "content", text.p ? text.p : "");
            cJSON_AddNullToObject(m, "refusal");
        } else {
            cJSON_AddStringToObject(ch, "text", text.p ? text.p : "");
        }
        sbuf_free(&text);
        if (j->par.logprobs) {
            size_t off = !chat && j->par.echo && c->echo_text ? strlen(c->echo_text) : 0;
            cJSON_AddItemToObject(ch, "logprobs", chat ? chat_logprobs(s, c, 0, c->n_lp)
                                                       : completion_logprobs(s, c, 0, c->n_lp, &off));
        } else {
            cJSON_AddNullToObject(ch, "logprobs");
        }
        cJSON_AddStringToObject(ch, "finish_reason", finish_name(c->finish));
    }
    cJSON_AddItemToObject(o, "usage", usage_json(j));
    char *out = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return out;
}

/* ---- models ---------------------------------------------------------------- */

static cJSON *model_object(const srv *s) {
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "id", s->model_id);
    cJSON_AddStringToObject(m, "object", "model");
    cJSON_AddNumberToObject(m, "created", (double)s->created);
    cJSON_AddStringToObject(m, "owned_by", "edgeinfer");
    if (atomic_load(&s->ready)) {
        cJSON *meta = cJSON_AddObjectToObject(m, "meta");
        cJSON_AddStringToObject(meta, "architecture", ei_model_arch(s->model));
        cJSON_AddNumberToObject(meta, "n_vocab", s->n_vocab);
        cJSON_AddNumberToObject(meta, "n_ctx", s->n_ctx);
        cJSON_AddNumberToObject(meta, "n_ctx_train", ei_model_n_ctx_train(s->model));
        cJSON_AddNumberToObject(meta, "n_params", (double)ei_model_n_params(s->model));
        cJSON_AddNumberToObject(meta, "size", (double)ei_model_size(s->model));
    }
    return m;
}

char *api_models_json(const srv *s, const char *only_id) {
    cJSON *o;
    if (only_id) {
        if (strcmp(only_id, s->model_id)) return NULL;
        o = model_object(s);
    } else {
        o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "object", "list");
        cJSON *data = cJSON_AddArrayToObject(o, "data");
        cJSON_AddItemToArray(data, model_object(s));
    }
    char *out = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return out;
}
