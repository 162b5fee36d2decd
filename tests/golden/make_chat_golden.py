#!/usr/bin/env python3
"""make_chat_golden.py — expected outputs for tests/test_chat_template.c.

Renders every template in tests/data/chat_templates/templates/ with every
conversation in tests/data/chat_templates/cases.json, using jinja2 set up the
way HuggingFace transformers renders chat templates
(transformers/utils/chat_template_utils.py):

  - ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
    extensions=[loopcontrols])
  - globals raise_exception(msg) -> TemplateError, strftime_now(fmt)
    (pinned here to cases.json's "now", read as UTC, so outputs are stable)
  - filter tojson = json.dumps(x, ensure_ascii=False, indent=..., ...)
  - render(messages=..., tools=<list or None>, documents=None,
           add_generation_prompt=..., bos_token=..., eos_token=..., **extra)

A template entry may list "conversations" to render only those (the
synthetic features_*.jinja templates exercise the interpreter, not a model).

Writes expected/<template>__<conversation>.txt with the exact output, or
.err when rendering fails: first line "raise" (the template called
raise_exception; the message follows) or "error" (another exception, e.g. a
template that cannot handle list content).

Usage: python3 -m venv /tmp/jvenv && /tmp/jvenv/bin/pip install jinja2
       /tmp/jvenv/bin/python tests/golden/make_chat_golden.py
"""
import datetime
import json
import os
import sys

import jinja2
from jinja2.ext import loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "data", "chat_templates")


def make_env(now):
    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

    def strftime_now(fmt):
        return datetime.datetime.fromtimestamp(now, datetime.timezone.utc).strftime(fmt)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    return env


def render(env, source, tokens, conv):
    template = env.from_string(source)
    return template.render(messages=conv["messages"], tools=conv.get("tools"), documents=None,
                           add_generation_prompt=conv["add_generation_prompt"],
                           bos_token=tokens["bos_token"], eos_token=tokens["eos_token"], **conv.get("extra", {}))


def main():
    with open(os.path.join(DATA, "cases.json"), encoding="utf-8") as f:
        cases = json.load(f)
    env = make_env(cases["now"])
    out_dir = os.path.join(DATA, "expected")
    os.makedirs(out_dir, exist_ok=True)
    for old in os.listdir(out_dir):
        os.remove(os.path.join(out_dir, old))
    counts = {"txt": 0, "raise": 0, "error": 0}
    for name, tokens in cases["templates"].items():
        with open(os.path.join(DATA, "templates", name + ".jinja"), encoding="utf-8", newline="") as f:
            source = f.read()
        for conv_name, conv in cases["conversations"].items():
            if "conversations" in tokens and conv_name not in tokens["conversations"]:
                continue
            base = os.path.join(out_dir, f"{name}__{conv_name}")
            try:
                text = render(env, source, tokens, conv)
            except jinja2.exceptions.TemplateError as e:
                if type(e) is jinja2.exceptions.TemplateError:  # raise_exception()
                    body, kind = f"raise\n{e.message}", "raise"
                else:
                    body, kind = f"error\n{type(e).__name__}: {e}", "error"
                with open(base + ".err", "w", encoding="utf-8", newline="") as f:
                    f.write(body)
                counts[kind] += 1
                continue
            except Exception as e:  # TypeError and friends: the template cannot handle this input
                with open(base + ".err", "w", encoding="utf-8", newline="") as f:
                    f.write(f"error\n{type(e).__name__}: {e}")
                counts["error"] += 1
                continue
            with open(base + ".txt", "w", encoding="utf-8", newline="") as f:
                f.write(text)
            counts["txt"] += 1
    print(f"jinja2 {jinja2.__version__}: {counts['txt']} outputs, {counts['raise']} raise_exception, "
          f"{counts['error']} other errors", file=sys.stderr)


if __name__ == "__main__":
    main()
