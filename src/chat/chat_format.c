/*
 * chat.c — ei_chat_format: a conversation rendered with the model's chat
 * template, ready to tokenize.
 *
 * The template is, in order: the one the caller names (a built-in or Jinja
 * source), the file's tokenizer.chat_template, or a built-in chosen by
 * architecture (some files, like the Gemma 3 270M base model, carry none).
 * When the tokenizer adds BOS itself, a BOS the template writes at the start
 * is dropped, so the prompt does not begin with two.
 */
#include <stdlib.h>
#include <string.h>

#include "chat/chat_template.h"
#include "model/model.h"
#include "util/error.h"

void ei_free(void *p) { free(p); }

/* Text of token `id` from the vocabulary, or "" (the template then writes
 * nothing for it). */
static const char *token_text(const ei_model *m, int32_t id) {
    const ei_gguf_value *tokens;
    ei_gguf_str s;
    if (id < 0 || ei_gguf_get_arr(m->gguf, "tokenizer.ggml.tokens", &tokens) ||
        ei_gguf_arr_str(tokens, (uint64_t)id, &s))
        return "";
    return s.ptr;
}

static const char *default_template(const ei_model *m) {
    const char *t;
    if (ei_gguf_get_str(m->gguf, "tokenizer.chat_template", &t) == EI_OK && *t) return t;
    switch (m->cfg.arch) {
    case EI_ARCH_GEMMA: case EI_ARCH_GEMMA2: case EI_ARCH_GEMMA3: return "gemma";
    case EI_ARCH_PHI3: return "phi3";
    default: return "chatml";
    }
}

ei_status ei_chat_format(const ei_model *m, const char *tmpl, const ei_chat_message *msgs, size_t n,
                         bool add_generation_prompt, char **out) {
    if (!m || !out || (!msgs && n)) return ei_error(EI_ERR_ARG, "ei_chat_format: NULL argument");
    *out = NULL;
    for (size_t i = 0; i < n; i++)
        if (!msgs[i].role || !msgs[i].content)
            return ei_error(EI_ERR_ARG, "message %zu: role and content are required", i);
    const char *src = tmpl && *tmpl ? tmpl : default_template(m);
    const char *bos = token_text(m, ei_token_bos(m)), *eos = token_text(m, ei_token_eos(m));
    char *text = NULL;
    ei_status s = ei_chat_apply(src, msgs, n, add_generation_prompt, bos, eos, &text);
    if (s) return s;
    size_t bl = strlen(bos);
    if (ei_model_adds_bos(m) && bl && strncmp(text, bos, bl) == 0) memmove(text, text + bl, strlen(text + bl) + 1);
    *out = text;
    return EI_OK;
}
