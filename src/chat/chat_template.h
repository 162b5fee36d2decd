/*
 * chat_template.h — turning a conversation into the prompt text a model was
 * trained on, by its chat template.
 *
 * A template is either Jinja source (a GGUF's tokenizer.chat_template, or a
 * file) or the name of a built-in (chatml, llama2, llama3, gemma, phi3,
 * mistral, zephyr — for --chat-template). Built-ins are Jinja sources too, so
 * there is one rendering path: the Jinja subset of jinja.h, configured as
 * HuggingFace transformers renders chat templates. The variables a template
 * sees are HuggingFace's: messages, add_generation_prompt, bos_token,
 * eos_token, tools (none unless given), documents (none), plus any extras.
 *
 * Errors: a template that does not parse or render fails with a message
 * that says what failed and where (line:col) and suggests
 * "use --chat-template NAME (one of: chatml, llama2, ...)". A template
 * that calls raise_exception() (e.g. "Conversation roles must alternate")
 * fails with EI_ERR_ARG and that message.
 */
#ifndef EI_CHAT_TEMPLATE_H
#define EI_CHAT_TEMPLATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "edgeinfer.h"

/* One part of a message's content given as a list, OpenAI style:
 * {"type": "text", "text": ...}; other types (e.g. "image") have text NULL. */
typedef struct ei_chat_part {
    const char *type;
    const char *text;
} ei_chat_part;

/* A message with everything templates may look at. The public
 * ei_chat_message (edgeinfer.h) is the role + content subset. */
typedef struct ei_chat_turn {
    const char *role;               /* "system", "user", "assistant", "tool", ... */
    const char *content;            /* the text; NULL to use parts, or for no content (none) */
    const ei_chat_part *parts;      /* content as a list of parts when content is NULL */
    size_t n_parts;
    const char *name;               /* optional: message["name"] */
    const char *tool_call_id;       /* optional: message["tool_call_id"] */
    const char *tool_calls_json;    /* optional: JSON array for message["tool_calls"] */
    const char *reasoning_content;  /* optional: message["reasoning_content"] */
} ei_chat_turn;

typedef struct ei_chat_options {
    bool add_generation_prompt;     /* end with the assistant's turn opening */
    const char *bos_token;          /* NULL: "" */
    const char *eos_token;          /* NULL: "" */
    const char *tools_json;         /* optional JSON array: the `tools` variable */
    const char *extra_context_json; /* optional JSON object: more variables
                                     * (enable_thinking, date_string, ...) */
    int64_t now;                    /* strftime_now()'s clock (UTC seconds); < 0: the current local time */
    size_t max_output_bytes;        /* 0: 1 MiB */
} ei_chat_options;

/* Render `msgs` with a template (Jinja source, or a built-in's name).
 * *out is malloc'd, NUL-terminated; the caller frees it. Text in messages
 * is copied through byte for byte (invalid UTF-8 included). */
ei_status ei_chat_apply(const char *template_src_or_name, const ei_chat_message *msgs, size_t n,
                        bool add_generation_prompt, const char *bos_token, const char *eos_token, char **out);

/* The same with full messages and every option; opts NULL means defaults
 * (no generation prompt, empty bos/eos). */
ei_status ei_chat_apply_ex(const char *template_src_or_name, const ei_chat_turn *msgs, size_t n,
                           const ei_chat_options *opts, char **out);

/* Parse only: EI_OK if the template (source or name) is usable. */
ei_status ei_chat_template_check(const char *template_src_or_name);

/* A built-in template's Jinja source by name, or NULL. */
const char *ei_chat_builtin_source(const char *name);
/* Built-ins by index, i < ei_chat_builtin_count(): their names. */
size_t ei_chat_builtin_count(void);
const char *ei_chat_builtin_name(size_t i);
/* "chatml, llama2, llama3, gemma, phi3, mistral, zephyr" (for messages);
 * ei_chat_builtin_names() in edgeinfer.h gives the same as an array. */
const char *ei_chat_builtin_list(void);

#endif
