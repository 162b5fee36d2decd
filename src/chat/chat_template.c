/*
 * chat_template.c — conversations to prompt text (see chat_template.h).
 *
 * Resolves a template (built-in name or Jinja source), turns the messages
 * and options into the variables HuggingFace passes to chat templates, and
 * renders them with the Jinja interpreter. Failures are reworded for the
 * person at the terminal: what failed, where, and which built-in to try.
 */
#include <stdlib.h>
#include <string.h>

#include "chat/chat_template.h"
#include "chat/jinja.h"
#include "util/error.h"

/* A --chat-template argument that is a name rather than Jinja source. */
static bool looks_like_name(const char *s) {
    size_t n = strlen(s);
    if (n == 0 || n > 64) return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
              c == '.'))
            return false;
    }
    return true;
}

static ei_status resolve(const char *tpl, const char **source) {
    if (!tpl) return ei_error(EI_ERR_ARG, "no chat template given; use --chat-template NAME (one of: %s)", ei_chat_builtin_list());
    const char *builtin = ei_chat_builtin_source(tpl);
    if (builtin) {
        *source = builtin;
        return EI_OK;
    }
    if (looks_like_name(tpl))
        return ei_error(EI_ERR_NOT_FOUND, "unknown chat template '%s'; use --chat-template NAME (one of: %s)", tpl,
                        ei_chat_builtin_list());
    *source = tpl;
    return EI_OK;
}

/* Reword the interpreter's message; out-of-memory stays as it is. */
static ei_status explain(ei_status s) {
    if (s == EI_ERR_NOMEM) return s;
    return ei_error(s, "chat template: %s; use --chat-template NAME (one of: %s)", ei_last_error(), ei_chat_builtin_list());
}

static jv str_or_none(const char *s) { return s ? jv_cstr_ref(s) : jv_none(); }

static ei_status message_value(jinja_arena *a, const ei_chat_turn *m, size_t index, jv *out) {
    jv d = jv_dict_new(a, 6);
    if (d.kind != JV_DICT) return ei_error(EI_ERR_NOMEM, "out of memory");
    jv content = jv_none();
    if (m->content) {
        content = jv_cstr_ref(m->content);
    } else if (m->parts) {
        content = jv_list_new(a, m->n_parts);
        if (content.kind != JV_LIST) return ei_error(EI_ERR_NOMEM, "out of memory");
        for (size_t i = 0; i < m->n_parts; i++) {
            jv part = jv_dict_new(a, 2);
            if (part.kind != JV_DICT || !jv_dict_set_cstr(a, part, "type", str_or_none(m->parts[i].type ? m->parts[i].type : "text")))
                return ei_error(EI_ERR_NOMEM, "out of memory");
            if (m->parts[i].text && !jv_dict_set_cstr(a, part, "text", jv_cstr_ref(m->parts[i].text)))
                return ei_error(EI_ERR_NOMEM, "out of memory");
            jv_list_push(a, content, part);
        }
    }
    bool ok = jv_dict_set_cstr(a, d, "role", str_or_none(m->role)) && jv_dict_set_cstr(a, d, "content", content);
    if (ok && m->name) ok = jv_dict_set_cstr(a, d, "name", jv_cstr_ref(m->name));
    if (ok && m->tool_call_id) ok = jv_dict_set_cstr(a, d, "tool_call_id", jv_cstr_ref(m->tool_call_id));
    if (ok && m->tool_calls_json) {
        jv calls;
        ei_status s = jinja_json_parse(a, m->tool_calls_json, strlen(m->tool_calls_json), &calls);
        if (s != EI_OK) return ei_error_prefix(s == EI_ERR_NOMEM ? s : EI_ERR_ARG, "message %zu: tool_calls", index);
        ok = jv_dict_set_cstr(a, d, "tool_calls", calls);
    }
    if (ok && m->reasoning_content) ok = jv_dict_set_cstr(a, d, "reasoning_content", jv_cstr_ref(m->reasoning_content));
    if (!ok) return ei_error(EI_ERR_NOMEM, "out of memory");
    *out = d;
    return EI_OK;
}

/* The variables of HuggingFace's apply_chat_template, then the extras. */
static ei_status build_context(jinja_arena *a, const ei_chat_turn *msgs, size_t n, const ei_chat_options *o, jv *out) {
    jv ctx = jv_dict_new(a, 8), list = jv_list_new(a, n);
    if (ctx.kind != JV_DICT || list.kind != JV_LIST) return ei_error(EI_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        jv m;
        ei_status s = message_value(a, &msgs[i], i, &m);
        if (s != EI_OK) return s;
        jv_list_push(a, list, m);
    }
    jv tools = jv_none();
    if (o->tools_json) {
        ei_status s = jinja_json_parse(a, o->tools_json, strlen(o->tools_json), &tools);
        if (s != EI_OK) return ei_error_prefix(s == EI_ERR_NOMEM ? s : EI_ERR_ARG, "tools");
    }
    bool ok = jv_dict_set_cstr(a, ctx, "messages", list) && jv_dict_set_cstr(a, ctx, "tools", tools) &&
              jv_dict_set_cstr(a, ctx, "documents", jv_none()) &&
              jv_dict_set_cstr(a, ctx, "add_generation_prompt", jv_bool(o->add_generation_prompt)) &&
              jv_dict_set_cstr(a, ctx, "bos_token", jv_cstr_ref(o->bos_token ? o->bos_token : "")) &&
              jv_dict_set_cstr(a, ctx, "eos_token", jv_cstr_ref(o->eos_token ? o->eos_token : ""));
    if (!ok) return ei_error(EI_ERR_NOMEM, "out of memory");
    if (o->extra_context_json) {
        jv extra;
        ei_status s = jinja_json_parse(a, o->extra_context_json, strlen(o->extra_context_json), &extra);
        if (s != EI_OK) return ei_error_prefix(s == EI_ERR_NOMEM ? s : EI_ERR_ARG, "extra template variables");
        if (extra.kind != JV_DICT) return ei_error(EI_ERR_ARG, "extra template variables must be a JSON object");
        for (size_t i = 0; i < extra.u.dict->n; i++)
            if (!jv_dict_set(a, ctx, extra.u.dict->keys[i], extra.u.dict->vals[i]))
                return ei_error(EI_ERR_NOMEM, "out of memory");
    }
    *out = ctx;
    return EI_OK;
}

ei_status ei_chat_apply_ex(const char *template_src_or_name, const ei_chat_turn *msgs, size_t n,
                           const ei_chat_options *opts, char **out) {
    if (!out) return ei_error(EI_ERR_ARG, "ei_chat_apply: out is NULL");
    *out = NULL;
    if (n && !msgs) return ei_error(EI_ERR_ARG, "ei_chat_apply: messages are NULL");
    ei_chat_options o = {.now = -1};
    if (opts) o = *opts;
    const char *source;
    ei_status s = resolve(template_src_or_name, &source);
    if (s != EI_OK) return s;

    jinja_limits limits = jinja_default_limits();
    if (o.max_output_bytes) limits.max_output_bytes = o.max_output_bytes;
    jinja_template *t;
    s = jinja_parse(source, strlen(source), &limits, &t);
    if (s != EI_OK) return explain(s);

    jinja_arena *a = jinja_arena_new(0);
    if (!a) {
        jinja_template_free(t);
        return ei_error(EI_ERR_NOMEM, "out of memory");
    }
    jv ctx;
    s = build_context(a, msgs, n, &o, &ctx);
    if (s == EI_OK) {
        jinja_render_opts ro = {.limits = limits, .now = o.now};
        s = jinja_render(t, ctx, &ro, out, NULL);
        if (s != EI_OK) s = explain(s);
    }
    jinja_arena_free(a);
    jinja_template_free(t);
    return s;
}

ei_status ei_chat_apply(const char *template_src_or_name, const ei_chat_message *msgs, size_t n,
                        bool add_generation_prompt, const char *bos_token, const char *eos_token, char **out) {
    if (!out) return ei_error(EI_ERR_ARG, "ei_chat_apply: out is NULL");
    *out = NULL;
    if (n && !msgs) return ei_error(EI_ERR_ARG, "ei_chat_apply: messages are NULL");
    ei_chat_turn *turns = n ? calloc(n, sizeof *turns) : NULL;
    if (n && !turns) return ei_error(EI_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        turns[i].role = msgs[i].role;
        turns[i].content = msgs[i].content;
    }
    ei_chat_options o = {.add_generation_prompt = add_generation_prompt, .bos_token = bos_token,
                         .eos_token = eos_token, .now = -1};
    ei_status s = ei_chat_apply_ex(template_src_or_name, turns, n, &o, out);
    free(turns);
    return s;
}

ei_status ei_chat_template_check(const char *template_src_or_name) {
    const char *source;
    ei_status s = resolve(template_src_or_name, &source);
    if (s != EI_OK) return s;
    jinja_limits limits = jinja_default_limits();
    jinja_template *t;
    s = jinja_parse(source, strlen(source), &limits, &t);
    if (s != EI_OK) return explain(s);
    jinja_template_free(t);
    return EI_OK;
}
