"""Limits of a running `edgeinfer serve` started with --parallel 1 --queue 1
--timeout T on the tiny test model: a full queue answers 503 with
Retry-After, an absurd max_tokens is clamped to the context, and clients
that trickle their request (slowloris) or never send one are cut off after
T seconds while everyone else is served.

usage: test_limits.py BASE_URL TIMEOUT_S N_CTX
"""
import json
import random
import socket
import sys
import threading
import time

from common import Runner, metrics, raw_socket, request, wait_until

BASE, TIMEOUT, N_CTX = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])


def long_request():
    return {"messages": [{"role": "user", "content": "go"}], "max_tokens": N_CTX, "temperature": 1.0,
            "logit_bias": {"2": -100}}


def test_queue_full_is_503():
    out, lock = [], threading.Lock()

    def worker():
        r = request(BASE, "POST", "/v1/chat/completions", long_request())
        with lock:
            out.append(r)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    codes = sorted(r.status for r in out)
    assert codes.count(200) >= 2 and codes.count(503) >= 1 and set(codes) <= {200, 503}, codes
    for r in out:
        if r.status == 503:
            assert r.headers.get("retry-after", "").isdigit(), r.headers
            e = r.json()["error"]
            assert e["type"] and e["message"] and e["code"] == "server_overloaded", e
    assert metrics(BASE)["edgeinfer_requests_rejected_total"] >= 1


def test_max_tokens_absurd_is_clamped():
    """max_tokens far past the context: clamped, the answer fills exactly what is left."""
    r = request(BASE, "POST", "/v1/completions",
                {"prompt": "x", "max_tokens": 10 ** 15, "temperature": 0, "logit_bias": {"2": -100}})
    assert r.status == 200, r.body
    u = r.json()["usage"]
    assert u["prompt_tokens"] + u["completion_tokens"] == N_CTX, u
    assert r.json()["choices"][0]["finish_reason"] == "length"


def closed_within(sock, seconds):
    """Does the server close this socket within `seconds`? (Keeps it fed slowly.)"""
    sock.settimeout(0.25)
    t0 = time.time()
    while time.time() - t0 < seconds:
        try:
            sock.send(b"a")
        except OSError:
            return True
        try:
            if sock.recv(1024) == b"":
                return True
        except TimeoutError:
            pass
        except OSError:
            return True
    return False


def test_slowloris_headers():
    s = raw_socket(BASE)
    s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    t0 = time.time()
    # meanwhile the server answers others at once
    r = request(BASE, "GET", "/health", timeout=5)
    assert r.status == 200
    assert closed_within(s, TIMEOUT + 5), "slow client kept its connection"
    took = time.time() - t0
    assert took >= TIMEOUT * 0.5, took
    print(f"    slow header sender cut off after {took:.1f} s")


def test_slowloris_body():
    s = raw_socket(BASE)
    s.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n{")
    assert closed_within(s, TIMEOUT + 5), "slow body sender kept its connection"


def test_idle_connection_closed():
    s = raw_socket(BASE)
    s.settimeout(TIMEOUT + 5)
    t0 = time.time()
    try:
        assert s.recv(10) == b""
    except ConnectionResetError:
        pass
    assert time.time() - t0 < TIMEOUT + 4


def test_fuzzed_bodies():
    """Mutated and type-confused bodies: every one gets 200 or 400, none hurts the server."""
    rng = random.Random(7)
    values = [None, True, 0, -1, 1.5, 1e300, -1e300, "", "x", "\u0000", [], [1], ["a"], {}, {"a": 1}, [[1]],
              "\ud800", 2 ** 63, "\xff", [None], {"type": "json_object"}, {"type": 5}]
    fields = ["messages", "prompt", "model", "temperature", "top_p", "n", "stop", "seed", "presence_penalty",
              "frequency_penalty", "logit_bias", "logprobs", "top_logprobs", "response_format", "stream",
              "stream_options", "user", "top_k", "min_p", "repeat_penalty", "echo", "content", "tokens",
              "best_of", "suffix", "add_special", "with_pieces"]
    paths = ["/v1/chat/completions", "/v1/completions", "/tokenize", "/detokenize"]
    seen = set()
    for i in range(300):
        body = {"messages": [{"role": "user", "content": "hi"}], "prompt": "hi", "content": "hi", "tokens": [5]}
        for _ in range(rng.randint(1, 4)):
            body[rng.choice(fields)] = rng.choice(values)
        if rng.random() < 0.3:
            body["messages"] = [{"role": rng.choice(["user", "system", "assistant", "x", 5]),
                                 "content": rng.choice(values + ["text"])} for _ in range(rng.randint(0, 3))]
        text = json.dumps(body)
        if rng.random() < 0.5:  # byte-level damage
            b = bytearray(text.encode())
            for _ in range(rng.randint(1, 5)):
                b[rng.randrange(len(b))] = rng.randrange(256)
            text = bytes(b)
        # a small max_tokens first: cJSON keeps the first of duplicate keys
        raw = text if isinstance(text, bytes) else text.encode()
        raw = b'{"max_tokens": 4, "n_predict": 4, ' + raw[1:] if raw[:1] == b"{" else raw
        r = request(BASE, "POST", rng.choice(paths), raw, {"Content-Type": "application/json"})
        assert r.status in (200, 400), (r.status, raw[:200], r.body[:200])
        r.body.decode("utf-8")
        json.loads(r.body) if not r.headers.get("content-type", "").startswith("text/event-stream") else None
        seen.add(r.status)
    assert seen == {200, 400}, seen
    # garbage at the HTTP level
    for i in range(50):
        s = raw_socket(BASE)
        junk = bytes(rng.randrange(256) for _ in range(rng.randint(1, 300)))
        if i % 2:
            junk = b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n" + junk + b"\r\n\r\n"
        try:
            s.sendall(junk)
            s.shutdown(socket.SHUT_WR)
            s.settimeout(5)
            s.recv(4096)
        except OSError:
            pass
        s.close()
    assert request(BASE, "GET", "/health").status == 200


def test_still_serving():
    r = request(BASE, "POST", "/v1/chat/completions",
                {"messages": [{"role": "user", "content": "hi"}], "max_tokens": 3})
    assert r.status == 200, r.body
    assert wait_until(lambda: metrics(BASE)["edgeinfer_slots_busy"] == 0, 5)


def main():
    r = Runner("server limits")
    for t in [test_queue_full_is_503, test_max_tokens_absurd_is_clamped, test_slowloris_headers,
              test_slowloris_body, test_idle_connection_closed, test_fuzzed_bodies, test_still_serving]:
        r.run(t)
    r.finish()


if __name__ == "__main__":
    main()
