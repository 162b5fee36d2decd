"""Helpers shared by the server tests: raw HTTP (stdlib only, so the tests do
not depend on which HTTP library the openai package bundles), SSE parsing,
metrics parsing, and a tiny test runner."""
import http.client
import json
import re
import socket
import sys
import time
import traceback
import urllib.parse


class Resp:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = {k.lower(): v for k, v in headers}
        self.body = body

    def json(self):
        return json.loads(self.body)


def request(base, method, path, body=None, headers=None, timeout=120):
    """One request; body may be bytes, str or a JSON-able object."""
    u = urllib.parse.urlparse(base)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
    h = dict(headers or {})
    if body is not None and not isinstance(body, (bytes, str)):
        body = json.dumps(body)
        h.setdefault("Content-Type", "application/json")
    if isinstance(body, str):
        body = body.encode()
    conn.request(method, path, body=body, headers=h)
    r = conn.getresponse()
    data = r.read()
    conn.close()
    return Resp(r.status, r.getheaders(), data)


def sse_events(body):
    """The data: payloads of a text/event-stream body, in order."""
    out = []
    for block in body.decode().split("\n\n"):
        block = block.strip()
        if not block:
            continue
        assert block.startswith("data: "), block[:80]
        out.append(block[6:])
    return out


def metrics(base, headers=None):
    """GET /metrics as {name_with_labels: value}."""
    r = request(base, "GET", "/metrics", headers=headers)
    assert r.status == 200, r.status
    vals = {}
    for line in r.body.decode().splitlines():
        if not line or line.startswith("#"):
            continue
        m = re.match(r"^(\S+) (\S+)$", line)
        assert m, "bad metrics line: " + line
        vals[m.group(1)] = float(m.group(2))
    return vals


def raw_socket(base):
    u = urllib.parse.urlparse(base)
    return socket.create_connection((u.hostname, u.port), timeout=30)


def wait_until(pred, timeout=10.0, step=0.05):
    t0 = time.time()
    while time.time() - t0 < timeout:
        if pred():
            return True
        time.sleep(step)
    return False


class Runner:
    """Run test functions, report each, exit non-zero if any failed."""

    def __init__(self, name):
        self.name = name
        self.failed = []
        self.passed = 0

    def run(self, fn, *args):
        t0 = time.time()
        try:
            fn(*args)
            self.passed += 1
            print(f"  ok   {fn.__name__} ({time.time() - t0:.1f}s)", flush=True)
        except Exception:
            self.failed.append(fn.__name__)
            print(f"  FAIL {fn.__name__}", flush=True)
            traceback.print_exc()
            sys.stdout.flush()

    def finish(self):
        print(f"{self.name}: {self.passed} passed, {len(self.failed)} failed {self.failed or ''}", flush=True)
        sys.exit(1 if self.failed else 0)
