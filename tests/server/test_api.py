"""The OpenAI API of a running `edgeinfer serve`, as clients use it: the
official openai package for the happy paths, raw HTTP for every error class
and for what the client cannot express (bad JSON, wrong types, huge bodies,
dropped connections).

usage: test_api.py BASE_URL API_KEY MODEL_ID N_CTX MAX_BODY [--real] [--light]
  --real   the model has a real vocabulary and chat template (answers are text)
  --light  fewer and shorter generations (sanitized builds)
"""
import json
import socket
import sys
import threading
import time

import openai

from common import Runner, metrics, raw_socket, request, sse_events, wait_until

BASE, KEY, MODEL, N_CTX, MAX_BODY = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
REAL = "--real" in sys.argv
LIGHT = "--light" in sys.argv
AUTH = {"Authorization": "Bearer " + KEY}
client = openai.OpenAI(base_url=BASE + "/v1", api_key=KEY, max_retries=0, timeout=600)
GEN = 12 if LIGHT else 24  # tokens per answer in most tests


def chat(content, **kw):
    kw.setdefault("max_tokens", GEN)
    kw.setdefault("temperature", 0)
    return client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": content}], **kw)


def eog_bias():
    """logit_bias that bans the end-of-generation tokens (so an answer runs on)."""
    bias = {}
    for text in ["</s>", "<|im_end|>", "<|endoftext|>", "<end_of_turn>", "<|eot_id|>", "<eos>"]:
        r = request(BASE, "POST", "/tokenize", {"content": text, "parse_special": True}, AUTH)
        toks = r.json()["tokens"]
        if len(toks) == 1:
            bias[str(toks[0])] = -100
    return bias


def check_error_shape(r, status, param=None, code=None):
    assert r.status == status, (r.status, r.body[:300])
    e = r.json()["error"]
    assert set(e) == {"message", "type", "param", "code"}, e
    assert isinstance(e["message"], str) and e["message"], e
    assert isinstance(e["type"], str), e
    if param is not None:
        assert e["param"] == param, e
    if code is not None:
        assert e["code"] == code, e
    return e


# ---- endpoints ------------------------------------------------------------------------------

def test_health_and_models():
    r = request(BASE, "GET", "/health")
    assert r.status == 200 and r.json() == {"status": "ok"}, r.body
    ids = [m.id for m in client.models.list().data]
    assert ids == [MODEL], ids
    m = client.models.retrieve(MODEL)
    assert m.id == MODEL and m.object == "model" and m.owned_by, m
    try:
        client.models.retrieve("no-such-model")
        raise AssertionError("unknown model retrieved")
    except openai.NotFoundError as e:
        assert e.status_code == 404


def test_chat_non_streaming():
    r = chat("Say hello in one word.")
    assert r.object == "chat.completion" and r.id.startswith("chatcmpl-") and r.model == MODEL, r
    assert len(r.choices) == 1
    c = r.choices[0]
    assert c.index == 0 and c.message.role == "assistant" and isinstance(c.message.content, str)
    assert c.finish_reason in ("stop", "length"), c.finish_reason
    u = r.usage
    assert u.prompt_tokens > 0 and 0 < u.completion_tokens <= GEN and u.total_tokens == u.prompt_tokens + u.completion_tokens
    if REAL:
        assert c.message.content.strip(), "empty answer"


def test_chat_streaming_matches():
    whole = chat("Name three colors.")
    chunks = list(chat("Name three colors.", stream=True, stream_options={"include_usage": True}))
    assert chunks[0].choices[0].delta.role == "assistant", chunks[0]
    text, finish = "", None
    for ch in chunks[:-1]:
        assert ch.object == "chat.completion.chunk" and ch.id == chunks[0].id, ch
        assert len(ch.choices) == 1 and ch.usage is None, ch
        text += ch.choices[0].delta.content or ""
        finish = ch.choices[0].finish_reason or finish
    last = chunks[-1]
    assert last.choices == [] and last.usage is not None, last
    assert last.usage.completion_tokens == whole.usage.completion_tokens, (last.usage, whole.usage)
    assert text == whole.choices[0].message.content, (text, whole.choices[0].message.content)
    assert finish == whole.choices[0].finish_reason


def test_stream_sse_format():
    """Raw SSE: data: lines, ending in data: [DONE]; no usage chunk unless asked."""
    r = request(BASE, "POST", "/v1/chat/completions",
                {"model": MODEL, "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 4, "stream": True},
                AUTH)
    assert r.status == 200 and r.headers["content-type"].startswith("text/event-stream"), r.headers
    ev = sse_events(r.body)
    assert ev[-1] == "[DONE]", ev[-1]
    objs = [json.loads(e) for e in ev[:-1]]
    assert all(o["object"] == "chat.completion.chunk" and "usage" not in o for o in objs), objs
    assert objs[-1]["choices"][0]["finish_reason"] in ("stop", "length")


def test_content_parts():
    a = chat("What is two plus two?")
    b = client.chat.completions.create(model=MODEL, max_tokens=GEN, temperature=0, messages=[
        {"role": "user", "content": [{"type": "text", "text": "What is two plus two?"}]}])
    assert a.choices[0].message.content == b.choices[0].message.content
    s = client.chat.completions.create(model=MODEL, max_tokens=4, temperature=0, messages=[
        {"role": "system", "content": "You are terse."}, {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello."}, {"role": "user", "content": "Bye"}])
    assert s.choices[0].finish_reason in ("stop", "length")


def test_completions():
    r = client.completions.create(model=MODEL, prompt="The capital of France is", max_tokens=GEN, temperature=0)
    assert r.object == "text_completion" and r.id.startswith("cmpl-") and len(r.choices) == 1, r
    text = r.choices[0].text
    assert r.usage.completion_tokens > 0
    stream = client.completions.create(model=MODEL, prompt="The capital of France is", max_tokens=GEN,
                                       temperature=0, stream=True)
    assert "".join(c.choices[0].text for c in stream if c.choices) == text
    # a prompt given as tokens answers as the text does
    toks = request(BASE, "POST", "/tokenize", {"content": "The capital of France is", "add_special": True},
                   AUTH).json()["tokens"]
    t = client.completions.create(model=MODEL, prompt=toks, max_tokens=GEN, temperature=0)
    assert t.choices[0].text == text, (t.choices[0].text, text)
    # several prompts: one choice each, in order
    m = client.completions.create(model=MODEL, prompt=["The capital of France is", "One, two,"], max_tokens=GEN,
                                  temperature=0)
    assert [c.index for c in m.choices] == [0, 1] and m.choices[0].text == text, m
    # the default max_tokens is OpenAI's 16
    d = client.completions.create(model=MODEL, prompt="Once upon a time", temperature=0,
                                  logit_bias=eog_bias())
    assert d.usage.completion_tokens == 16, d.usage


def test_completions_echo_logprobs():
    r = client.completions.create(model=MODEL, prompt="Hello", max_tokens=5, temperature=0, echo=True, logprobs=2)
    c = r.choices[0]
    assert c.text.startswith("Hello"), c.text
    lp = c.logprobs
    n = r.usage.completion_tokens
    assert len(lp.tokens) == len(lp.token_logprobs) == len(lp.top_logprobs) == len(lp.text_offset) == n
    assert all(x <= 0 for x in lp.token_logprobs)
    assert all(1 <= len(t) <= 2 for t in lp.top_logprobs)
    assert lp.text_offset[0] == len("Hello")


def test_chat_logprobs():
    r = chat("Count to three.", logprobs=True, top_logprobs=3)
    content = r.choices[0].logprobs.content
    assert len(content) == r.usage.completion_tokens
    for e in content:
        assert e.logprob <= 0 and isinstance(e.bytes, list) and len(e.top_logprobs) == 3
        tops = [t.logprob for t in e.top_logprobs]
        assert tops == sorted(tops, reverse=True)
        assert abs(tops[0] - e.logprob) < 1e-4, (tops, e.logprob)  # greedy: the chosen one is the best
    if REAL:
        assert "".join(e.token for e in content) == r.choices[0].message.content


def test_stop_strings():
    base = chat("Write the numbers from one to twenty in words.", max_tokens=GEN).choices[0].message.content
    # a stop string from the middle of the answer, of plain characters (a random
    # model's answer may hold replacement characters that were never bytes of it)
    plain = [i for i in range(2, len(base) - 3) if all(c.isascii() and c.isalnum() for c in base[i:i + 3])]
    if not plain:
        return
    stop = base[plain[0]:plain[0] + 3]
    cut = base[:base.index(stop)]
    r = chat("Write the numbers from one to twenty in words.", max_tokens=GEN, stop=[stop, "zzzz-never"])
    assert r.choices[0].message.content == cut, (r.choices[0].message.content, cut)
    assert r.choices[0].finish_reason == "stop"
    s = chat("Write the numbers from one to twenty in words.", max_tokens=GEN, stop=stop, stream=True)
    assert "".join(c.choices[0].delta.content or "" for c in s if c.choices) == cut


def test_seed_reproducible():
    a = chat("Tell me a word.", temperature=1.0, seed=1234, top_p=1.0).choices[0].message.content
    b = chat("Tell me a word.", temperature=1.0, seed=1234, top_p=1.0).choices[0].message.content
    assert a == b, (a, b)


def test_penalties_and_extras_accepted():
    r = chat("Hi", presence_penalty=0.5, frequency_penalty=0.5, user="u1",
             extra_body={"top_k": 20, "min_p": 0.1, "repeat_penalty": 1.1, "max_completion_tokens": 3})
    assert r.usage.completion_tokens <= 3


def test_logit_bias():
    """Banning every token the greedy answer starts with changes its start."""
    first = chat("Say yes.", logprobs=True, max_tokens=1).choices[0].logprobs.content[0]
    r = request(BASE, "POST", "/tokenize", {"content": first.token}, AUTH).json()["tokens"]
    if len(r) != 1:
        return
    again = chat("Say yes.", logprobs=True, max_tokens=1, logit_bias={str(r[0]): -100})
    assert again.choices[0].logprobs.content[0].token != first.token


def test_json_mode():
    r = chat("Describe a cat as a JSON object with the keys name and age.", max_tokens=96 if not LIGHT else 48,
             response_format={"type": "json_object"})
    c = r.choices[0]
    if c.finish_reason == "stop":
        obj = json.loads(c.message.content)
        assert isinstance(obj, dict), obj
    else:  # out of tokens: a valid prefix, never anything but JSON
        assert c.message.content.lstrip()[:1] in ("{", ""), c.message.content
    if REAL and not LIGHT:
        assert c.finish_reason == "stop", c


def test_prefix_reuse():
    msgs = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Largest planet?"}]
    a = client.chat.completions.create(model=MODEL, messages=msgs, max_tokens=GEN, temperature=0)
    msgs += [{"role": "assistant", "content": a.choices[0].message.content},
             {"role": "user", "content": "Smallest?"}]
    b = client.chat.completions.create(model=MODEL, messages=msgs, max_tokens=GEN, temperature=0)
    cached = b.usage.prompt_tokens_details.cached_tokens
    assert cached >= a.usage.prompt_tokens - 1, (cached, a.usage.prompt_tokens)


def test_tokenize_roundtrip():
    r = request(BASE, "POST", "/tokenize", {"content": "Hello world", "with_pieces": True}, AUTH)
    assert r.status == 200, r.body
    toks = r.json()["tokens"]
    assert toks and all(set(t) == {"id", "piece"} for t in toks)
    d = request(BASE, "POST", "/detokenize", {"tokens": [t["id"] for t in toks]}, AUTH)
    assert d.status == 200 and d.json()["content"] == "Hello world", d.body


# ---- errors ------------------------------------------------------------------------------------

def test_errors_through_client():
    for bad in ([], [{"role": "robot", "content": "x"}], [{"role": "user"}]):
        try:
            client.chat.completions.create(model=MODEL, messages=bad, max_tokens=2)
            raise AssertionError(f"accepted {bad}")
        except openai.BadRequestError as e:
            assert e.status_code == 400 and e.body["message"] and "type" in e.body, e.body
    wrong = openai.OpenAI(base_url=BASE + "/v1", api_key="wrong-key", max_retries=0)
    try:
        wrong.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "x"}], max_tokens=2)
        raise AssertionError("wrong key accepted")
    except openai.AuthenticationError as e:
        assert e.status_code == 401


def test_errors_raw():
    P = "/v1/chat/completions"
    ok = {"model": MODEL, "messages": [{"role": "user", "content": "hi"}], "max_tokens": 2}

    def post(body, headers=AUTH, path=P):
        return request(BASE, "POST", path, body, headers)

    check_error_shape(post(b'{"model": "x", "messages": [}'), 400)              # malformed JSON
    check_error_shape(post(b''), 400)                                            # empty body
    check_error_shape(post(b'[1, 2]'), 400)                                      # not an object
    check_error_shape(post(b'{"messages": []} trailing'), 400)                   # trailing garbage
    check_error_shape(post(b'{"messages": [{"role": "user", "content": "a\x00"}]}'), 400)  # NUL byte
    check_error_shape(post({"model": MODEL}), 400, "messages", "missing_required_parameter")
    check_error_shape(post({**ok, "messages": []}), 400, "messages", "empty_array")
    check_error_shape(post({**ok, "messages": [{"role": "wizard", "content": "x"}]}), 400, "messages", "invalid_value")
    check_error_shape(post({**ok, "messages": "hi"}), 400, "messages", "invalid_type")
    check_error_shape(post({**ok, "messages": [{"role": "user", "content": 5}]}), 400, "messages", "invalid_type")
    check_error_shape(post({**ok, "messages": [{"role": "user", "content": [{"type": "image_url"}]}]}), 400)
    for field, value in [("temperature", "hot"), ("max_tokens", 1.5), ("max_tokens", "7"), ("top_p", [1]),
                         ("stream", "yes"), ("stop", 5), ("stop", [1]), ("seed", "s"), ("logit_bias", [1]),
                         ("logprobs", 1), ("model", 7), ("user", 7), ("response_format", "json"),
                         ("presence_penalty", "x"), ("n", "1")]:
        check_error_shape(post({**ok, field: value}), 400, field, "invalid_type")
    for field, value in [("temperature", 3), ("top_p", 1.5), ("max_tokens", -1), ("n", 2), ("top_logprobs", 30),
                         ("presence_penalty", 9), ("logit_bias", {"abc": 1}), ("logit_bias", {"1": 500}),
                         ("response_format", {"type": "yaml"})]:
        e = check_error_shape(post({**ok, field: value}), 400)
        assert e["param"] in (field, field + ".type"), e
    check_error_shape(post({**ok, "top_logprobs": 2}), 400, "top_logprobs")       # needs logprobs: true
    check_error_shape(post({**ok, "stream_options": {"include_usage": True}}), 400, "stream_options")
    check_error_shape(post(b'{"messages": ' + b'[' * 5000 + b']' * 5000 + b'}'), 400)  # deep nesting
    # a prompt longer than the context names both sizes
    long_text = "hello " * (N_CTX * 2)
    e = check_error_shape(post({**ok, "messages": [{"role": "user", "content": long_text}]}), 400,
                          "messages", "context_length_exceeded")
    assert str(N_CTX) in e["message"], e
    e = check_error_shape(post({"model": MODEL, "prompt": long_text}, path="/v1/completions"), 400, "prompt",
                          "context_length_exceeded")
    check_error_shape(post({"model": MODEL}, path="/v1/completions"), 400, "prompt", "missing_required_parameter")
    check_error_shape(post({"model": MODEL, "prompt": [[1, 2], [1e9]]}, path="/v1/completions"), 400, "prompt")
    # route, method, key
    check_error_shape(request(BASE, "GET", "/v1/nothing-here", headers=AUTH), 404)
    check_error_shape(request(BASE, "POST", "/v2/chat/completions", ok, AUTH), 404)
    r = request(BASE, "GET", P, headers=AUTH)
    check_error_shape(r, 405)
    assert "POST" in r.headers.get("allow", ""), r.headers
    check_error_shape(request(BASE, "DELETE", "/v1/models", headers=AUTH), 405)
    check_error_shape(post(ok, headers={}), 401, None, "invalid_api_key")
    check_error_shape(post(ok, headers={"Authorization": "Bearer " + KEY + "x"}), 401)
    check_error_shape(post(ok, headers={"Authorization": KEY}), 401)
    check_error_shape(request(BASE, "GET", "/v1/models"), 401)
    assert request(BASE, "GET", "/health").status == 200  # no key needed
    # tokenize errors
    check_error_shape(request(BASE, "POST", "/tokenize", {"text": "x"}, AUTH), 400, "content")
    check_error_shape(request(BASE, "POST", "/detokenize", {"tokens": [-1]}, AUTH), 400, "tokens")


def test_body_too_large():
    """413 on the headers alone: the body is never sent, the answer still comes."""
    s = raw_socket(BASE)
    s.sendall(("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
               "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % (KEY, MAX_BODY + 1)).encode())
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    s.close()
    assert data.startswith(b"HTTP/1.1 413"), data[:100]
    # the same through an ordinary client that sends the body
    r = request(BASE, "POST", "/v1/chat/completions", b"{" + b" " * (MAX_BODY + 10) + b"}",
                {**AUTH, "Expect": "100-continue"})
    assert r.status == 413, r.status


def test_invalid_utf8_content():
    body = (b'{"model": "m", "max_tokens": 3, "messages": [{"role": "user", "content": "caf\xc3 \xff\xfe \xed\xa0\x80 '
            b'ok"}]}')
    r = request(BASE, "POST", "/v1/chat/completions", body, {**AUTH, "Content-Type": "application/json"})
    assert r.status == 200, r.body
    r.body.decode("utf-8")  # the answer is valid UTF-8 whatever came in
    r.json()
    t = request(BASE, "POST", "/tokenize", b'{"content": "\xff\xfe", "with_pieces": true}', AUTH)
    assert t.status == 200 and t.body.decode("utf-8")


# ---- concurrency --------------------------------------------------------------------------------

def test_concurrent_clients_correct():
    n_clients = 32
    prompts = [f"Give one word that rhymes with {w}." for w in
               ["cat", "dog", "sun", "tree", "blue", "car", "day", "night"]]
    ref = {p: chat(p).choices[0].message.content for p in prompts}
    results, errors = {}, []

    def worker(k):
        p = prompts[k % len(prompts)]
        try:
            if k % 2:
                text = "".join(c.choices[0].delta.content or "" for c in chat(p, stream=True) if c.choices)
            else:
                text = chat(p).choices[0].message.content
            results[k] = (p, text)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(repr(e))

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(n_clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[:3]
    wrong = [(p, t, ref[p]) for p, t in results.values() if t != ref[p]]
    assert len(results) == n_clients and not wrong, wrong[:3]
    m = metrics(BASE, AUTH)
    assert m["edgeinfer_decode_rows_total"] > m["edgeinfer_decode_steps_total"], "no step ever batched two slots"


def test_disconnect_mid_stream_frees_slot():
    before = metrics(BASE, AUTH)
    body = json.dumps({"model": MODEL, "messages": [{"role": "user", "content": "Tell me a very long story."}],
                       "max_tokens": N_CTX, "temperature": 1.0, "stream": True, "logit_bias": eog_bias()}).encode()
    s = raw_socket(BASE)
    s.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + KEY.encode() +
              b"\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
    data = b""
    while data.count(b"data: ") < 3:
        data += s.recv(4096)
    t0 = time.time()
    s.close()
    assert wait_until(lambda: metrics(BASE, AUTH)["edgeinfer_slots_busy"] == 0, 5), "slot still busy"
    freed = time.time() - t0
    after = metrics(BASE, AUTH)
    assert after["edgeinfer_requests_cancelled_total"] == before["edgeinfer_requests_cancelled_total"] + 1
    gen = after["edgeinfer_generated_tokens_total"] - before["edgeinfer_generated_tokens_total"]
    assert gen < N_CTX // 2, f"generated {gen} tokens: the slot ran on after the client left"
    print(f"    slot freed {freed * 1000:.0f} ms after the disconnect, {gen:.0f} tokens generated")
    # and the server goes on answering
    assert chat("Hi", max_tokens=2).choices[0].finish_reason in ("stop", "length")


def test_metrics():
    m = metrics(BASE, AUTH)
    for name in ["edgeinfer_generated_tokens_total", "edgeinfer_prompt_tokens_total", "edgeinfer_queue_depth",
                 "edgeinfer_time_to_first_token_seconds_count", "edgeinfer_request_duration_seconds_sum",
                 'edgeinfer_requests_total{endpoint="chat_completions",status="2xx"}',
                 'edgeinfer_requests_total{endpoint="chat_completions",status="400"}',
                 "edgeinfer_slots_total"]:
        assert name in m, name
    assert m["edgeinfer_generated_tokens_total"] > 0 and m["edgeinfer_time_to_first_token_seconds_count"] > 0
    assert m['edgeinfer_time_to_first_token_seconds_bucket{le="+Inf"}'] == m["edgeinfer_time_to_first_token_seconds_count"]


def main():
    r = Runner("server API")
    for t in [test_health_and_models, test_chat_non_streaming, test_chat_streaming_matches, test_stream_sse_format,
              test_content_parts, test_completions, test_completions_echo_logprobs, test_chat_logprobs,
              test_stop_strings, test_seed_reproducible, test_penalties_and_extras_accepted, test_logit_bias,
              test_json_mode, test_prefix_reuse, test_tokenize_roundtrip,
              test_errors_through_client, test_errors_raw, test_body_too_large, test_invalid_utf8_content,
              test_concurrent_clients_correct, test_disconnect_mid_stream_frees_slot, test_metrics]:
        r.run(t)
    r.finish()


if __name__ == "__main__":
    main()
