"""A scripted OpenAI chat-completions server for tests/test_teacher.py (stdlib only, a real process).

    python tests/teacher_server.py        # prints its port on the first line of stdout

POST /v1/chat/completions answers by the next action of the script (then `default`):
    "good"       k requests that say every value of the target in the prompt, made unique by the seed
    "malformed"  prose instead of JSON
    "offtarget"  k requests that say none of the values
    "dupes"      one good request k times
    "slow"       "good" after sleeping `slow_s` seconds (longer than the client's timeout)
    "429", "500", "401", ...  that HTTP status with an OpenAI-style error body
    {"fixed": [texts]}  these requests verbatim ("{values}" becomes the target's values)
POST /reset {"script": [...], "default": "good", "slow_s": 2} resets the script and counters.
GET /stats -> {"requests", "max_inflight", "actions", "auth", "usage_total"}.
"""
import json
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
STATE = {}


def reset(script=(), default="good", slow_s=2.0):
    STATE.update(script=list(script), default=default, slow_s=slow_s, requests=0, inflight=0, max_inflight=0,
                 actions=[], auth=[], usage_total=0)


def values_of(arguments):
    out = []
    for v in arguments.values():
        items = v if isinstance(v, list) else [v]
        for x in items:
            if isinstance(x, bool):
                continue
            out.append(str(x).replace("_", " "))
    return out


def good(prompt, k, seed):
    match = re.search(r"^(\{\"tool\".*\})$", prompt, re.M)
    if match:
        target = json.loads(match.group(1))
        words = target["tool"].replace("_", " ")
        vals = " and ".join(values_of(target["arguments"])) or "it"
        frames = ["{w} {v}", "could you {w} for {v}, thanks", "i need you to {w}: {v}", "hey, {v}. please {w}",
                  "{v} - {w} asap", "can u {w}? {v}"]
        return [frames[i % len(frames)].format(w=words, v=vals) + f" (ref {seed % 100000} {i})" for i in range(k)]
    reason = re.search(r"because: (.*)", prompt).group(1)
    return [f"note {seed % 100000} {i}: something about {reason}" for i in range(k)]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # quiet
        pass

    def _send(self, status, obj, headers=()):
        data = json.dumps(obj).encode()
        try:
            self.send_response(status)
        except (BrokenPipeError, ConnectionResetError):
            return
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        try:
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout test)
            pass

    def do_GET(self):
        with LOCK:
            self._send(200, {k: STATE[k] for k in ("requests", "max_inflight", "actions", "auth", "usage_total")})

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        if self.path == "/reset":
            with LOCK:
                reset(**body)
            return self._send(200, {"ok": True})
        if not self.path.endswith("/chat/completions"):
            return self._send(404, {"error": {"message": f"no route {self.path}"}})
        with LOCK:
            STATE["requests"] += 1
            STATE["inflight"] += 1
            STATE["max_inflight"] = max(STATE["max_inflight"], STATE["inflight"])
            action = STATE["script"].pop(0) if STATE["script"] else STATE["default"]
            STATE["actions"].append(action)
            STATE["auth"].append(self.headers.get("Authorization"))
            slow_s = STATE["slow_s"]
        try:
            self._answer(body, action, slow_s)
        finally:
            with LOCK:
                STATE["inflight"] -= 1

    def _answer(self, body, action, slow_s):
        prompt = body["messages"][-1]["content"]
        k = int(re.search(r"Write (\d+) different", prompt).group(1))
        seed = int(body.get("seed", 0))
        if action == "slow":
            time.sleep(slow_s)
            action = "good"
        if isinstance(action, str) and action.isdigit():
            time.sleep(0.01)  # the client is still waiting on this connection, as with a real server
            return self._send(int(action), {"error": {"message": f"scripted {action}", "type": "server_error"}})
        if action == "good":
            content = json.dumps({"requests": good(prompt, k, seed)})
        elif action == "malformed":
            content = "Sure! Here are some requests:\n1. track my order\n2. where is it"
        elif action == "offtarget":
            content = json.dumps({"requests": [f"can you help me with something {seed % 1000} {i}" for i in range(k)]})
        elif action == "dupes":
            content = "```json\n" + json.dumps({"requests": good(prompt, 1, seed) * k}) + "\n```"
        elif isinstance(action, dict) and "fixed" in action:
            match = re.search(r"^(\{\"tool\".*\})$", prompt, re.M)
            vals = " ".join(values_of(json.loads(match.group(1))["arguments"])) if match else ""
            content = json.dumps({"requests": [t.replace("{values}", vals) for t in action["fixed"]]})
        else:
            return self._send(500, {"error": {"message": f"unknown scripted action {action!r}"}})
        prompt_tokens, completion_tokens = len(prompt) // 4, len(content) // 4
        with LOCK:
            STATE["usage_total"] += prompt_tokens + completion_tokens
        self._send(200, {
            "id": f"chatcmpl-{STATE['requests']}", "object": "chat.completion", "created": 0, "model": body["model"],
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                      "total_tokens": prompt_tokens + completion_tokens}})


if __name__ == "__main__":
    reset()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    sys.exit(0)
