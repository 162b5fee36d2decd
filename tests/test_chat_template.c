/*
 * test_chat_template.c — chat templates and the Jinja interpreter under them.
 *
 * Golden: every template under tests/data/chat_templates/templates/ (real
 * ones from GGUF files and model repositories, and synthetic ones that
 * exercise the interpreter) renders every conversation of cases.json byte
 * for byte as jinja2 configured like HuggingFace does
 * (tests/golden/make_chat_golden.py wrote expected/). Where jinja2 failed,
 * we must fail too; where the template called raise_exception(), with the
 * same message.
 *
 * Then the built-ins, and bad input: templates that raise, do not parse,
 * use unknown filters, loop or recurse without end, print or allocate
 * without bound, are too long; invalid UTF-8 and malformed JSON.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chat/chat_template.h"
#include "chat/jinja.h"
#include "edgeinfer.h"
#include "testutil.h"

#define DATA_DIR EI_SOURCE_DIR "/tests/data/chat_templates"
#define PINNED_NOW 1721995200 /* 2024-07-26 12:00:00 UTC, as cases.json */

static char *read_text(const char *path) {
    size_t n;
    return (char *)tu_read_file(path, &n);
}

static char *template_path(const char *name, char *buf, size_t cap) {
    snprintf(buf, cap, "%s/templates/%s.jinja", DATA_DIR, name);
    return buf;
}

/* Render Jinja source with one user message and no options. */
static ei_status render1(const char *src, const char *user, char **out) {
    ei_chat_turn m = {.role = "user", .content = user};
    ei_chat_options o = {.now = PINNED_NOW, .bos_token = "<s>", .eos_token = "</s>"};
    return ei_chat_apply_ex(src, &m, 1, &o, out);
}

static void assert_renders(const char *src, const char *want) {
    char *out = NULL;
    ei_status s = render1(src, "hi", &out);
    if (s != EI_OK) fail_msg("template %s failed: %s", src, ei_last_error());
    if (strcmp(out, want) != 0) fail_msg("template %s\n  gave [%s]\n  want [%s]", src, out, want);
    free(out);
}

static void assert_fails(const char *src, ei_status want, const char *const *needles) {
    char *out = NULL;
    ei_status s = render1(src, "hi", &out);
    if (s == EI_OK) fail_msg("template %.60s rendered (%zu bytes) but should fail", src, strlen(out));
    assert_null(out);
    const char *msg = ei_last_error();
    if (s != want) fail_msg("template %.60s: status %s, want %s (%s)", src, ei_status_str(s), ei_status_str(want), msg);
    for (; needles && *needles; needles++)
        if (!strstr(msg, *needles)) fail_msg("message [%s] lacks [%s]", msg, *needles);
}

/* ---- golden --------------------------------------------------------------------------------- */

/* JSON text of a value, NUL-terminated in the arena (NULL when absent). */
static const char *json_of(jinja_arena *a, jv v) {
    if (v.kind == JV_UNDEFINED) return NULL;
    jinja_buf b = {0};
    assert_true(jinja_json_dump(&b, v, -1, false));
    jv s = jv_str_copy(a, b.data, b.len);
    jinja_buf_free(&b);
    return s.u.s.ptr;
}

/* Strings from the JSON parser are not NUL-terminated: copy each. */
static const char *cstr(jinja_arena *a, jv v) {
    if (v.kind != JV_STRING) return NULL;
    return jv_str_copy(a, v.u.s.ptr, v.u.s.len).u.s.ptr;
}

static ei_chat_turn *turns_of(jinja_arena *a, jv list) {
    size_t n = list.u.list->n;
    ei_chat_turn *t = jinja_arena_alloc(a, (n ? n : 1) * sizeof *t);
    for (size_t i = 0; i < n; i++) {
        jv m = list.u.list->items[i], content = jv_dict_get_cstr(m, "content");
        t[i].role = cstr(a, jv_dict_get_cstr(m, "role"));
        t[i].content = cstr(a, content);
        if (content.kind == JV_LIST) {
            ei_chat_part *parts = jinja_arena_alloc(a, (content.u.list->n + 1) * sizeof *parts);
            for (size_t k = 0; k < content.u.list->n; k++) {
                parts[k].type = cstr(a, jv_dict_get_cstr(content.u.list->items[k], "type"));
                parts[k].text = cstr(a, jv_dict_get_cstr(content.u.list->items[k], "text"));
            }
            t[i].parts = parts;
            t[i].n_parts = content.u.list->n;
        }
        t[i].name = cstr(a, jv_dict_get_cstr(m, "name"));
        t[i].tool_call_id = cstr(a, jv_dict_get_cstr(m, "tool_call_id"));
        t[i].reasoning_content = cstr(a, jv_dict_get_cstr(m, "reasoning_content"));
        t[i].tool_calls_json = json_of(a, jv_dict_get_cstr(m, "tool_calls"));
    }
    return t;
}

/* One template x conversation against its expected file; returns 0 if it
 * matches, printing the difference otherwise. */
static int check_case(jinja_arena *a, const char *tname, jv tokens, const char *source, const char *cname, jv conv,
                      int64_t now) {
    char path[512];
    snprintf(path, sizeof path, "%s/expected/%s__%s.txt", DATA_DIR, tname, cname);
    char *want = read_text(path);
    char *want_err = NULL;
    if (!want) {
        snprintf(path, sizeof path, "%s/expected/%s__%s.err", DATA_DIR, tname, cname);
        want_err = read_text(path);
        if (!want_err) {
            print_error("%s x %s: no expected output (run tests/golden/make_chat_golden.py)\n", tname, cname);
            return 1;
        }
    }
    jv msgs = jv_dict_get_cstr(conv, "messages");
    ei_chat_options o = {
        .add_generation_prompt = jv_truthy(jv_dict_get_cstr(conv, "add_generation_prompt")),
        .bos_token = cstr(a, jv_dict_get_cstr(tokens, "bos_token")),
        .eos_token = cstr(a, jv_dict_get_cstr(tokens, "eos_token")),
        .tools_json = json_of(a, jv_dict_get_cstr(conv, "tools")),
        .extra_context_json = json_of(a, jv_dict_get_cstr(conv, "extra")),
        .now = now,
    };
    char *out = NULL;
    ei_status s = ei_chat_apply_ex(source, turns_of(a, msgs), msgs.u.list->n, &o, &out);
    int bad = 0;
    if (want) {
        if (s != EI_OK) {
            print_error("%s x %s: failed: %s\n", tname, cname, ei_last_error());
            bad = 1;
        } else if (strcmp(out, want) != 0) {
            size_t i = 0;
            while (out[i] && out[i] == want[i]) i++;
            print_error("%s x %s: differs at byte %zu\n  got:  [%.80s]\n  want: [%.80s]\n", tname, cname, i, out + i,
                        want + i);
            bad = 1;
        }
    } else {
        bool raised = strncmp(want_err, "raise\n", 6) == 0;
        if (s == EI_OK) {
            print_error("%s x %s: rendered, but jinja2 failed with %s\n", tname, cname, want_err);
            bad = 1;
        } else if (raised && (s != EI_ERR_ARG || !strstr(ei_last_error(), want_err + 6))) {
            print_error("%s x %s: want raise_exception(%s), got %s: %s\n", tname, cname, want_err + 6,
                        ei_status_str(s), ei_last_error());
            bad = 1;
        }
    }
    free(out);
    free(want);
    free(want_err);
    return bad;
}

static void test_golden_outputs(void **state) {
    (void)state;
    char *cases_text = read_text(DATA_DIR "/cases.json");
    assert_non_null(cases_text);
    jinja_arena *a = jinja_arena_new(0);
    jv cases;
    assert_int_equal(jinja_json_parse(a, cases_text, strlen(cases_text), &cases), EI_OK);
    jv templates = jv_dict_get_cstr(cases, "templates"), convs = jv_dict_get_cstr(cases, "conversations");
    int64_t now = jv_dict_get_cstr(cases, "now").u.i;
    int failures = 0, checked = 0;
    for (size_t t = 0; t < templates.u.dict->n; t++) {
        const char *tname = cstr(a, templates.u.dict->keys[t]);
        jv tokens = templates.u.dict->vals[t], only = jv_dict_get_cstr(tokens, "conversations");
        char path[512];
        char *source = read_text(template_path(tname, path, sizeof path));
        assert_non_null(source);
        for (size_t c = 0; c < convs.u.dict->n; c++) {
            jv cname = convs.u.dict->keys[c];
            if (only.kind == JV_LIST) {
                bool listed = false;
                for (size_t k = 0; k < only.u.list->n; k++) listed |= jv_equal(only.u.list->items[k], cname);
                if (!listed) continue;
            }
            failures += check_case(a, tname, tokens, source, cstr(a, cname), convs.u.dict->vals[c], now);
            checked++;
        }
        free(source);
    }
    print_message("golden: %d template x conversation cases, %d failed\n", checked, failures);
    jinja_arena_free(a);
    free(cases_text);
    assert_true(checked > 250);
    assert_int_equal(failures, 0);
}

/* ---- built-ins ------------------------------------------------------------------------------------ */

static const char *const BUILTIN_FILES[][2] = {
    {"chatml", "chatml"}, {"llama2", "llama2"}, {"llama3", "llama3"}, {"gemma", "gemma3"},
    {"phi3", "phi3_mini"}, {"mistral", "mistral_v1"}, {"zephyr", "zephyr"},
};

static void test_builtins_are_the_real_templates(void **state) {
    (void)state;
    size_t n = sizeof BUILTIN_FILES / sizeof BUILTIN_FILES[0];
    assert_int_equal(ei_chat_builtin_count(), n);
    const char *const *names = ei_chat_builtin_names();
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(ei_chat_builtin_name(i), BUILTIN_FILES[i][0]);
        assert_string_equal(names[i], BUILTIN_FILES[i][0]);
        char path[512];
        char *file = read_text(template_path(BUILTIN_FILES[i][1], path, sizeof path));
        assert_non_null(file);
        assert_string_equal(ei_chat_builtin_source(BUILTIN_FILES[i][0]), file);
        assert_int_equal(ei_chat_template_check(BUILTIN_FILES[i][0]), EI_OK);
        free(file);
    }
    assert_null(names[n]);
    assert_null(ei_chat_builtin_source("nope"));
    assert_null(ei_chat_builtin_name(n));
}

static void test_builtin_by_name(void **state) {
    (void)state;
    ei_chat_message msgs[] = {{"system", "Be brief."}, {"user", "Hi"}, {"assistant", "Hello."}, {"user", "Bye"}};
    char *out = NULL;
    assert_int_equal(ei_chat_apply("chatml", msgs, 4, true, "<s>", "</s>", &out), EI_OK);
    assert_string_equal(out, "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
                             "<|im_start|>assistant\nHello.<|im_end|>\n<|im_start|>user\nBye<|im_end|>\n"
                             "<|im_start|>assistant\n");
    free(out);
    assert_int_equal(ei_chat_apply("gemma", msgs, 4, true, "<bos>", "<eos>", &out), EI_OK);
    assert_string_equal(out, "<bos><start_of_turn>user\nBe brief.\n\nHi<end_of_turn>\n<start_of_turn>model\n"
                             "Hello.<end_of_turn>\n<start_of_turn>user\nBye<end_of_turn>\n<start_of_turn>model\n");
    free(out);
    assert_int_equal(ei_chat_apply("llama3", msgs + 1, 1, true, "<|begin_of_text|>", "<|eot_id|>", &out), EI_OK);
    assert_string_equal(out, "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
                             "<|start_header_id|>assistant<|end_header_id|>\n\n");
    free(out);
    assert_int_equal(ei_chat_apply("llama2", msgs, 2, false, "<s>", "</s>", &out), EI_OK);
    assert_string_equal(out, "<s>[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHi [/INST]");
    free(out);
    /* every built-in renders a plain conversation */
    for (size_t i = 0; i < ei_chat_builtin_count(); i++) {
        assert_int_equal(ei_chat_apply(ei_chat_builtin_name(i), msgs + 1, 3, true, "<s>", "</s>", &out), EI_OK);
        assert_non_null(strstr(out, "Hello."));
        free(out);
    }
}

/* The template of a real GGUF file, read through the GGUF reader. */
static void test_template_from_gguf(void **state) {
    (void)state;
    const char *path = EI_SHARED_DIR "/testdata/vocab/ggml-vocab-phi-3.gguf";
    if (!tu_exists(path)) skip();
    ei_gguf *g;
    assert_int_equal(ei_gguf_open(path, &g), EI_OK);
    const char *tmpl;
    assert_int_equal(ei_gguf_get_str(g, "tokenizer.chat_template", &tmpl), EI_OK);
    ei_chat_message msgs[] = {{"user", "Hi"}, {"assistant", "Hello"}, {"user", "Bye"}};
    char *out = NULL;
    assert_int_equal(ei_chat_apply(tmpl, msgs, 3, true, "<s>", "<|endoftext|>", &out), EI_OK);
    assert_string_equal(out, "<s><|user|>\nHi<|end|>\n<|assistant|>\nHello<|end|>\n<|user|>\nBye<|end|>\n<|assistant|>\n");
    free(out);
    ei_gguf_close(g);
}

/* ---- interpreter details not covered by the golden files ------------------------------------- */

static void test_undefined_is_lenient(void **state) {
    (void)state;
    assert_renders("[{{ foo }}|{{ foo.bar.baz }}|{{ foo['x'] }}|{% if foo %}x{% endif %}|{{ foo is defined }}]",
                   "[||||False]");
    assert_renders("{{ messages[9].content }}|{{ messages[0].content }}", "|hi");
    assert_renders("{% for x in nothing %}x{% else %}none{% endfor %}", "none");
    assert_renders("{{ none }}|{{ true }}|{{ 1.5 }}", "None|True|1.5");
}

static void test_whitespace_control(void **state) {
    (void)state;
    assert_renders("a  {%- if true -%}  b  {%- endif -%}  c", "abc");
    assert_renders("{% if true %}\nx\n{% endif %}\ny", "x\ny");
    assert_renders("  {% if true %}x{% endif %}", "x");
    assert_renders("  {%+ if true %}x{% endif %}", "  x");
    assert_renders("{% if true +%}\nx{% endif %}", "\nx");
    assert_renders("{{ 'a' }}\n{{ 'b' }}", "a\nb");
    assert_renders("x\r\ny\r\n", "x\ny");
    assert_renders("a {# note #} b", "a  b");
    assert_renders("{% raw %}{{ x }}{% endraw %}", "{{ x }}");
    assert_renders("{{ {'a': {'b': 1}}['a']['b'] }}", "1");
}

static void test_generation_block_and_loop_controls(void **state) {
    (void)state;
    assert_renders("{% generation %}g{{ 1 }}{% endgeneration %}", "g1");
    assert_renders("{% for i in range(5) %}{% if i == 3 %}{% break %}{% endif %}{{ i }}{% endfor %}", "012");
    assert_renders("{% for m in messages %}{{ loop.index }}{{ m.role }}{% endfor %}", "1user");
}

static void test_strftime_and_extra_variables(void **state) {
    (void)state;
    assert_renders("{{ strftime_now('%d %b %Y') }}", "26 Jul 2024");
    ei_chat_turn m = {.role = "user", .content = "x"};
    ei_chat_options o = {.now = PINNED_NOW, .extra_context_json = "{\"date_string\": \"01 Jan 2025\", \"n\": 3}"};
    char *out = NULL;
    assert_int_equal(ei_chat_apply_ex("{{ date_string }}/{{ n + 1 }}/{{ tools }}/{{ documents }}", &m, 1, &o, &out), EI_OK);
    assert_string_equal(out, "01 Jan 2025/4/None/None");
    free(out);
}

static void test_tool_fields(void **state) {
    (void)state;
    ei_chat_part parts[] = {{"text", "a"}, {"image", NULL}, {NULL, "b"}};
    ei_chat_turn m[] = {
        {.role = "user", .parts = parts, .n_parts = 3, .name = "ann"},
        {.role = "assistant", .tool_calls_json = "[{\"id\": \"c1\", \"function\": {\"name\": \"f\", \"arguments\": {\"x\": 1}}}]"},
        {.role = "tool", .content = "42", .tool_call_id = "c1"},
    };
    ei_chat_options o = {.now = PINNED_NOW, .tools_json = "[{\"type\": \"function\"}]"};
    char *out = NULL;
    const char *src = "{% for p in messages[0].content %}{{ p.type }}:{{ p.text }},{% endfor %}{{ messages[0].name }}|"
                      "{{ messages[1].content is none }}{{ messages[1].tool_calls[0].function | tojson }}|"
                      "{{ messages[2].tool_call_id }}={{ messages[2].content }}|{{ tools | length }}";
    assert_int_equal(ei_chat_apply_ex(src, m, 3, &o, &out), EI_OK);
    assert_string_equal(out, "text:a,image:,text:b,ann|True{\"name\": \"f\", \"arguments\": {\"x\": 1}}|c1=42|1");
    free(out);
}

/* head + unit * count + tail, malloc'd. */
static char *repeated(const char *head, const char *unit, size_t count, const char *tail) {
    size_t hl = strlen(head), ul = strlen(unit), tl = strlen(tail);
    char *s = malloc(hl + ul * count + tl + 1);
    assert_non_null(s);
    memcpy(s, head, hl);
    for (size_t i = 0; i < count; i++) memcpy(s + hl + i * ul, unit, ul);
    memcpy(s + hl + ul * count, tail, tl + 1);
    return s;
}

/* ---- bad input ----------------------------------------------------------------------------------- */

static void test_raise_exception_message(void **state) {
    (void)state;
    const char *const n1[] = {"Conversation roles must alternate", "1:14", "--chat-template NAME (one of: chatml", NULL};
    assert_fails("{% if 1 %}{{ raise_exception('Conversation roles must alternate') }}{% endif %}", EI_ERR_ARG, n1);
    /* a real template rejecting a conversation: Gemma 2 has no system role */
    char path[512];
    char *gemma2 = read_text(template_path("gemma2", path, sizeof path));
    ei_chat_message msgs[] = {{"system", "s"}, {"user", "u"}};
    char *out = NULL;
    assert_int_equal(ei_chat_apply(gemma2, msgs, 2, true, "<bos>", "<eos>", &out), EI_ERR_ARG);
    assert_null(out);
    assert_non_null(strstr(ei_last_error(), "System role not supported"));
    free(gemma2);
}

static void test_syntax_errors_say_where(void **state) {
    (void)state;
    const char *const n1[] = {"syntax error at 2:14", "--chat-template NAME (one of: chatml, llama2", NULL};
    assert_fails("{% for m in messages %}\nab {{ m.role }", EI_ERR_FORMAT, n1);
    const char *const n2[] = {"missing '{% endif %}'", NULL};
    assert_fails("{% if true %}abc", EI_ERR_FORMAT, n2);
    const char *const n3[] = {"syntax error at 1:4", "unexpected 'endfor'", NULL};
    assert_fails("{% endfor %}", EI_ERR_FORMAT, n3);
    const char *const n4[] = {"unknown tag 'frob'", NULL};
    assert_fails("x\n  {% frob %}", EI_ERR_FORMAT, n4);
    const char *const n5[] = {"unterminated string", NULL};
    assert_fails("{{ 'abc }}", EI_ERR_FORMAT, n5);
    const char *const n6[] = {"missing end of comment", NULL};
    assert_fails("{# never closed", EI_ERR_FORMAT, n6);
    const char *const n7[] = {"tag 'include' is not supported", NULL};
    assert_fails("{% include 'x.html' %}", EI_ERR_FORMAT, n7);
    const char *const n9[] = {"'break' outside of a for loop", NULL};
    assert_fails("{% if true %}{% break %}{% endif %}", EI_ERR_FORMAT, n9);
    assert_fails("{% for x in [1] %}{% macro m() %}{% continue %}{% endmacro %}{% endfor %}", EI_ERR_FORMAT, NULL);
    const char *const n8[] = {"expected an expression", NULL};
    assert_fails("{{ }}", EI_ERR_FORMAT, n8);
    assert_fails("{{ 1 + }}", EI_ERR_FORMAT, NULL);
    assert_fails("{% set %}", EI_ERR_FORMAT, NULL);
    assert_fails("{{ (1 }}", EI_ERR_FORMAT, NULL);
    assert_fails("{{ 1) }}", EI_ERR_FORMAT, NULL);
    assert_fails("{% for %}{% endfor %}", EI_ERR_FORMAT, NULL);
    assert_fails("{% macro %}{% endmacro %}", EI_ERR_FORMAT, NULL);
}

static void test_unknown_filter_and_test(void **state) {
    (void)state;
    const char *const n1[] = {"unknown filter 'frobnicate' at 1:15", "--chat-template", NULL};
    assert_fails("{{ messages | frobnicate }}", EI_ERR_UNSUPPORTED, n1);
    const char *const n2[] = {"unknown test 'shiny'", NULL};
    assert_fails("{% if x is shiny %}{% endif %}", EI_ERR_UNSUPPORTED, n2);
    const char *const n3[] = {"unknown chat template 'chatmlx'", "one of: chatml", NULL};
    char *out = NULL;
    assert_int_equal(ei_chat_apply("chatmlx", NULL, 0, true, NULL, NULL, &out), EI_ERR_NOT_FOUND);
    for (const char *const *n = n3; *n; n++) assert_non_null(strstr(ei_last_error(), *n));
}

static void test_runtime_errors(void **state) {
    (void)state;
    const char *const n1[] = {"render error at 1:8", "unsupported operand types for +: 'string' and 'int'", NULL};
    assert_fails("{{ 'a' + 1 }}", EI_ERR_FORMAT, n1);
    assert_fails("{{ 1 // 0 }}", EI_ERR_FORMAT, NULL);
    assert_fails("{{ 1 / 0 }}", EI_ERR_FORMAT, NULL);
    assert_fails("{{ 9223372036854775807 + 1 }}", EI_ERR_FORMAT, NULL);
    assert_fails("{{ nothing() }}", EI_ERR_FORMAT, NULL);
    assert_fails("{% set x.y = 1 %}", EI_ERR_FORMAT, NULL);
    assert_fails("{% for a, b in [1] %}{% endfor %}", EI_ERR_FORMAT, NULL);
    assert_fails("{{ messages.append(1) }}", EI_ERR_FORMAT, NULL);
    assert_fails("{{ 'x'.nomethod() }}", EI_ERR_FORMAT, NULL);
    assert_fails("{{ 1 < 'a' }}", EI_ERR_FORMAT, NULL);
    assert_fails("{{ 5 | tojson if false else (range | tojson) }}", EI_ERR_FORMAT, NULL);
}

static void test_limits(void **state) {
    (void)state;
    const char *const steps[] = {"ran too long", NULL};
    assert_fails("{% set l = range(10000) | list %}{% for a in l %}{% for b in l %}{% endfor %}{% endfor %}",
                 EI_ERR_FORMAT, steps);
    /* a loop that allocates as it goes stops at the memory cap instead */
    const char *const render[] = {"render error", NULL};
    assert_fails("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}", EI_ERR_FORMAT, render);
    const char *const depth[] = {"nesting deeper than", NULL};
    assert_fails("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}", EI_ERR_FORMAT, depth);
    const char *const output[] = {"output longer than 1048576 bytes", NULL};
    assert_fails("{% for i in range(100000) %}{{ 'x' * 100 }}{% endfor %}", EI_ERR_FORMAT, output);
    const char *const memory[] = {"bytes of memory", NULL};
    assert_fails("{% set ns = namespace(s='x') %}{% for i in range(64) %}{% set ns.s = ns.s + ns.s %}{% endfor %}",
                 EI_ERR_FORMAT, memory);
    const char *const range[] = {"range() too big", NULL};
    assert_fails("{{ range(1000000000) | length }}", EI_ERR_FORMAT, range);
    assert_fails("{{ 'x' * 1000000000000 }}", EI_ERR_FORMAT, NULL);

    /* deep nesting in the source: brackets, blocks, operators */
    const char *const nested[] = {"nested too deeply", NULL};
    char *deep = repeated("{{ ", "(", 100000, "1 }}");
    assert_fails(deep, EI_ERR_FORMAT, nested);
    free(deep);
    deep = repeated("", "{% if true %}", 5000, "");
    assert_fails(deep, EI_ERR_FORMAT, nested);
    free(deep);
    deep = repeated("{{ ", "not ", 20000, "1 }}");
    assert_fails(deep, EI_ERR_FORMAT, nested);
    free(deep);
    deep = repeated("{{ 1", " if 1 else 1", 20000, " }}");
    assert_fails(deep, EI_ERR_FORMAT, nested);
    free(deep);
    deep = repeated("{{ ", "-", 20000, "1 }}");
    assert_fails(deep, EI_ERR_FORMAT, nested);
    free(deep);
    deep = repeated("{% macro m() %}", "{% macro m() %}", 3000, "");
    assert_fails(deep, EI_ERR_FORMAT, nested);
    free(deep);
    deep = repeated("{% if 0 %}", "{% elif 0 %}", 40000, "{% endif %}");
    assert_fails(deep, EI_ERR_FORMAT, nested);
    free(deep);
    /* a namespace that contains itself prints without recursing forever */
    char *out = NULL;
    assert_int_equal(render1("{% set ns = namespace(a=1) %}{% set ns.me = ns %}{{ ns }}{{ ns == ns }}{{ [ns] == [ns] }}"
                             "{{ ns | string | length > 0 }}", "x", &out), EI_OK);
    assert_non_null(strstr(out, "..."));
    free(out);
    /* ... and one that contains itself twice fails at the output cap instead of taking 2^64 steps */
    assert_fails("{% set ns = namespace() %}{% set ns.l = [ns, ns] %}{{ ns | string | length }}", EI_ERR_FORMAT, output);
    assert_fails("{% set ns = namespace() %}{% set ns.l = [ns, ns] %}{{ ns is lower }}{{ '%s' % ns }}", EI_ERR_FORMAT, NULL);
    const char *const tojson[] = {"not JSON serializable", NULL};
    assert_fails("{% set ns = namespace() %}{% set ns.me = ns %}{{ ns | tojson }}", EI_ERR_FORMAT, tojson);

    /* template length */
    size_t big = 600 * 1024;
    char *huge = malloc(big + 1);
    memset(huge, 'x', big);
    huge[big] = '\0';
    const char *const toolong[] = {"template is too long", NULL};
    assert_fails(huge, EI_ERR_FORMAT, toolong);
    free(huge);
}

static void test_output_limit_option(void **state) {
    (void)state;
    ei_chat_turn m = {.role = "user", .content = "0123456789"};
    ei_chat_options o = {.now = PINNED_NOW, .max_output_bytes = 16};
    char *out = NULL;
    assert_int_equal(ei_chat_apply_ex("{{ messages[0].content }}{{ messages[0].content }}", &m, 1, &o, &out), EI_ERR_FORMAT);
    assert_non_null(strstr(ei_last_error(), "output longer than 16 bytes"));
    assert_int_equal(ei_chat_apply_ex("{{ messages[0].content }}", &m, 1, &o, &out), EI_OK);
    assert_string_equal(out, "0123456789");
    free(out);
}

static void test_invalid_utf8_passes_through(void **state) {
    (void)state;
    const char *bad = "\xff\xfe ok \xc3 \xe2\x82 \xf0\x9f\x98\x80 end\x80";
    ei_chat_message msgs[] = {{"user", bad}};
    char *out = NULL;
    assert_int_equal(ei_chat_apply("chatml", msgs, 1, true, NULL, NULL, &out), EI_OK);
    char want[256];
    snprintf(want, sizeof want, "<|im_start|>user\n%s<|im_end|>\n<|im_start|>assistant\n", bad);
    assert_string_equal(out, want);
    free(out);
    /* string operations on it must not crash: trim, slicing, reverse, title, tojson, split, length */
    const char *src = "{% set c = messages[0].content %}{{ c | trim | length }}{{ c[::-1] | length }}{{ c | reverse | length }}"
                      "{{ c | title | length }}{{ c | tojson | length }}{{ c.split() | length }}{{ c[1:4] | length }}"
                      "{{ c.strip('\xff') | length }}{{ c | list | length }}{{ c.find('ok') }}";
    assert_int_equal(render1(src, bad, &out), EI_OK);
    free(out);
}

static void test_malformed_json_inputs(void **state) {
    (void)state;
    ei_chat_turn m = {.role = "assistant", .tool_calls_json = "[{\"id\": }]"};
    char *out = NULL;
    assert_int_equal(ei_chat_apply_ex("{{ 1 }}", &m, 1, NULL, &out), EI_ERR_ARG);
    assert_non_null(strstr(ei_last_error(), "tool_calls"));
    ei_chat_options o = {.tools_json = "[1, 2", .now = -1};
    assert_int_equal(ei_chat_apply_ex("{{ 1 }}", NULL, 0, &o, &out), EI_ERR_ARG);
    o.tools_json = NULL;
    o.extra_context_json = "[1]";
    assert_int_equal(ei_chat_apply_ex("{{ 1 }}", NULL, 0, &o, &out), EI_ERR_ARG);
    o.extra_context_json = "{\"a\": \"\\ud83d\\ude00\\u00e9\", \"b\": -1.5e3, \"c\": [true, false, null], \"d\": 12345678901234567890}";
    assert_int_equal(ei_chat_apply_ex("{{ a }} {{ b }} {{ c }} {{ d }}", NULL, 0, &o, &out), EI_OK);
    assert_string_equal(out, "\xf0\x9f\x98\x80\xc3\xa9 -1500.0 [True, False, None] 1.2345678901234567e+19");
    free(out);
    /* deep JSON is refused, not a stack overflow */
    char deep[4096];
    memset(deep, '[', 4000);
    deep[4000] = '\0';
    o.extra_context_json = NULL;
    o.tools_json = deep;
    assert_int_equal(ei_chat_apply_ex("{{ 1 }}", NULL, 0, &o, &out), EI_ERR_ARG);
    assert_null(out);
}

static void test_arguments(void **state) {
    (void)state;
    char *out = NULL;
    assert_int_equal(ei_chat_apply(NULL, NULL, 0, true, NULL, NULL, &out), EI_ERR_ARG);
    assert_int_equal(ei_chat_apply("chatml", NULL, 2, true, NULL, NULL, &out), EI_ERR_ARG);
    assert_int_equal(ei_chat_apply("chatml", NULL, 0, true, NULL, NULL, NULL), EI_ERR_ARG);
    assert_int_equal(ei_chat_apply("chatml", NULL, 0, true, NULL, NULL, &out), EI_OK);
    assert_string_equal(out, "<|im_start|>assistant\n");
    free(out);
    assert_int_equal(ei_chat_template_check("{% if %}"), EI_ERR_FORMAT);
    assert_int_equal(ei_chat_template_check("plain text {{ 1 }}"), EI_OK);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden_outputs),
        cmocka_unit_test(test_builtins_are_the_real_templates),
        cmocka_unit_test(test_builtin_by_name),
        cmocka_unit_test(test_template_from_gguf),
        cmocka_unit_test(test_undefined_is_lenient),
        cmocka_unit_test(test_whitespace_control),
        cmocka_unit_test(test_generation_block_and_loop_controls),
        cmocka_unit_test(test_strftime_and_extra_variables),
        cmocka_unit_test(test_tool_fields),
        cmocka_unit_test(test_raise_exception_message),
        cmocka_unit_test(test_syntax_errors_say_where),
        cmocka_unit_test(test_unknown_filter_and_test),
        cmocka_unit_test(test_runtime_errors),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_output_limit_option),
        cmocka_unit_test(test_invalid_utf8_passes_through),
        cmocka_unit_test(test_malformed_json_inputs),
        cmocka_unit_test(test_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
