/*
 * chat_builtin.c — the named templates behind --chat-template NAME.
 *
 * Each is the Jinja source a real model ships, byte for byte the file named
 * beside it under tests/data/chat_templates/templates/ (test_chat_template.c
 * checks that), so built-ins are rendered by the same interpreter as GGUF
 * templates and are covered by the same golden outputs.
 */
#include <string.h>

#include "chat/chat_template.h"

typedef struct builtin {
    const char *name;
    const char *about;
    const char *source;
} builtin;

static const builtin BUILTINS[] = {
    {"chatml", "ChatML (OpenHermes 2.5; the format of SmolLM2, Qwen 2/2.5 without tools, Yi, ...)",
     /* tests/data/chat_templates/templates/chatml.jinja */
        "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_"
        "end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"},
    {"llama2", "Llama 2 chat: [INST] ... [/INST] with <<SYS>> in the first turn",
     /* tests/data/chat_templates/templates/llama2.jinja */
        "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}{% set system_message ="
        " messages[0]['content'] %}{% else %}{% set loop_messages = messages %}{% set system_message = false %"
        "}{% endif %}{% for message in loop_messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 ="
        "= 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{%"
        " endif %}{% if loop.index0 == 0 and system_message != false %}{% set content = '<<SYS>>\\n' + system_"
        "message + '\\n<</SYS>>\\n\\n' + message['content'] %}{% else %}{% set content = message['content'] %}"
        "{% endif %}{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' "
        "}}{% elif message['role'] == 'assistant' %}{{ ' '  + content.strip() + ' ' + eos_token }}{% endif %}{"
        "% endfor %}"},
    {"llama3", "Llama 3 instruct: <|start_header_id|>role<|end_header_id|> ... <|eot_id|>",
     /* tests/data/chat_templates/templates/llama3.jinja */
        "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_"
        "id|>' + message['role'] + '<|end_header_id|>\n"
        "\n"
        "'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + c"
        "ontent %}{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>ass"
        "istant<|end_header_id|>\n"
        "\n"
        "' }}{% endif %}"},
    {"gemma", "Gemma 3 (also right for Gemma 2 and 1): <start_of_turn>user/model, system text folded into the first user turn",
     /* tests/data/chat_templates/templates/gemma3.jinja */
        "{{ bos_token }}\n"
        "{%- if messages[0]['role'] == 'system' -%}\n"
        "    {%- if messages[0]['content'] is string -%}\n"
        "        {%- set first_user_prefix = messages[0]['content'] + '\n"
        "\n"
        "' -%}\n"
        "    {%- else -%}\n"
        "        {%- set first_user_prefix = messages[0]['content'][0]['text'] + '\n"
        "\n"
        "' -%}\n"
        "    {%- endif -%}\n"
        "    {%- set loop_messages = messages[1:] -%}\n"
        "{%- else -%}\n"
        "    {%- set first_user_prefix = \"\" -%}\n"
        "    {%- set loop_messages = messages -%}\n"
        "{%- endif -%}\n"
        "{%- for message in loop_messages -%}\n"
        "    {%- if (message['role'] == 'user') != (loop.index0 % 2 == 0) -%}\n"
        "        {{ raise_exception(\"Conversation roles must alternate user/assistant/user/assistant/...\") }"
        "}\n"
        "    {%- endif -%}\n"
        "    {%- if (message['role'] == 'assistant') -%}\n"
        "        {%- set role = \"model\" -%}\n"
        "    {%- else -%}\n"
        "        {%- set role = message['role'] -%}\n"
        "    {%- endif -%}\n"
        "    {{ '<start_of_turn>' + role + '\n"
        "' + (first_user_prefix if loop.first else \"\") }}\n"
        "    {%- if message['content'] is string -%}\n"
        "        {{ message['content'] | trim }}\n"
        "    {%- elif message['content'] is iterable -%}\n"
        "        {%- for item in message['content'] -%}\n"
        "            {%- if item['type'] == 'image' -%}\n"
        "                {{ '<start_of_image>' }}\n"
        "            {%- elif item['type'] == 'text' -%}\n"
        "                {{ item['text'] | trim }}\n"
        "            {%- endif -%}\n"
        "        {%- endfor -%}\n"
        "    {%- else -%}\n"
        "        {{ raise_exception(\"Invalid content type\") }}\n"
        "    {%- endif -%}\n"
        "    {{ '<end_of_turn>\n"
        "' }}\n"
        "{%- endfor -%}\n"
        "{%- if add_generation_prompt -%}\n"
        "    {{'<start_of_turn>model\n"
        "'}}\n"
        "{%- endif -%}\n"},
    {"phi3", "Phi-3 mini: <|user|> ... <|end|> <|assistant|>",
     /* tests/data/chat_templates/templates/phi3_mini.jinja */
        "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') %}{{'<|user|>' + '\n"
        "' + message['content'] + '<|end|>' + '\n"
        "' + '<|assistant|>' + '\n"
        "'}}{% elif (message['role'] == 'assistant') %}{{message['content'] + '<|end|>' + '\n"
        "'}}{% endif %}{% endfor %}"},
    {"mistral", "Mistral 7B Instruct v0.2 ('v1'): [INST] ... [/INST], system prompt prefixed to the first user turn",
     /* tests/data/chat_templates/templates/mistral_v1.jinja */
        "{%- if messages[0]['role'] == 'system' %}\n"
        "    {%- set system_message = messages[0]['content'] %}\n"
        "    {%- set loop_messages = messages[1:] %}\n"
        "{%- else %}\n"
        "    {%- set loop_messages = messages %}\n"
        "{%- endif %}\n"
        "\n"
        "{{- bos_token }}\n"
        "{%- for message in loop_messages %}\n"
        "    {%- if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}\n"
        "        {{- raise_exception('After the optional system message, conversation roles must alternate use"
        "r/assistant/user/assistant/...') }}\n"
        "    {%- endif %}\n"
        "    {%- if message['role'] == 'user' %}\n"
        "        {%- if loop.first and system_message is defined %}\n"
        "            {{- ' [INST] ' + system_message + '\\n\\n' + message['content'] + ' [/INST]' }}\n"
        "        {%- else %}\n"
        "            {{- ' [INST] ' + message['content'] + ' [/INST]' }}\n"
        "        {%- endif %}\n"
        "    {%- elif message['role'] == 'assistant' %}\n"
        "        {{- ' ' + message['content'] + eos_token}}\n"
        "    {%- else %}\n"
        "        {{- raise_exception('Only user and assistant roles are supported, with the exception of an in"
        "itial optional system message!') }}\n"
        "    {%- endif %}\n"
        "{%- endfor %}\n"},
    {"zephyr", "Zephyr: <|system|>/<|user|>/<|assistant|> turns ended by eos",
     /* tests/data/chat_templates/templates/zephyr.jinja */
        "{% for message in messages %}\n"
        "{% if message['role'] == 'user' %}\n"
        "{{ '<|user|>\n"
        "' + message['content'] + eos_token }}\n"
        "{% elif message['role'] == 'system' %}\n"
        "{{ '<|system|>\n"
        "' + message['content'] + eos_token }}\n"
        "{% elif message['role'] == 'assistant' %}\n"
        "{{ '<|assistant|>\n"
        "'  + message['content'] + eos_token }}\n"
        "{% endif %}\n"
        "{% if loop.last and add_generation_prompt %}\n"
        "{{ '<|assistant|>' }}\n"
        "{% endif %}\n"
        "{% endfor %}"},
};

#define N_BUILTINS (sizeof BUILTINS / sizeof BUILTINS[0])

const char *ei_chat_builtin_source(const char *name) {
    if (!name) return NULL;
    for (size_t i = 0; i < N_BUILTINS; i++)
        if (strcmp(BUILTINS[i].name, name) == 0) return BUILTINS[i].source;
    return NULL;
}

size_t ei_chat_builtin_count(void) { return N_BUILTINS; }

const char *ei_chat_builtin_name(size_t i) { return i < N_BUILTINS ? BUILTINS[i].name : NULL; }

const char *const *ei_chat_builtin_names(void) {
    static const char *const names[] = {"chatml", "llama2", "llama3", "gemma", "phi3", "mistral", "zephyr", NULL};
    return names;
}

const char *ei_chat_builtin_list(void) { return "chatml, llama2, llama3, gemma, phi3, mistral, zephyr"; }
