"""`toolrouter serve`: the real server process on 127.0.0.1, driven with the official `openai` client.

The run dir holds the random-init tiny model: whatever it answers, the grammar makes it a valid call
or no_tool, so the checks are how each kind of answer is mapped to the OpenAI shape, that the answer
space follows `tools` and `tool_choice`, and that the server agrees with the in-process Router.
"""
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from toolrouter import load_catalogue

openai = pytest.importorskip("openai")

CAT = load_catalogue("support_router")
TOOLS = {t["function"]["name"]: t for t in CAT.to_openai()}
REQUESTS = ["where is my order ORD-1234?", "hi there", "refund ORD-99 please, it broke", "let me talk to a human",
            "what's the weather?", "track ORD-5555", "thanks!", "my parcel ORD-77 never came"]


@pytest.fixture(scope="module")
def run_dir(tiny_model, tiny_tokenizer, tmp_path_factory):
    from conftest import write_tiny_run

    # The random model fills its budget; the grammar closes every answer in the last 24 tokens of it.
    return write_tiny_run(tmp_path_factory.mktemp("runs") / "support_router_tiny", tiny_model, tiny_tokenizer, 96)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(run_dir, tmp_path_factory):
    """The server as a process: (base_url, process, log path); stopped with SIGTERM afterwards."""
    yield from _serve(run_dir, tmp_path_factory)


def _serve(run_dir, tmp_path_factory):
    port = _free_port()
    log = tmp_path_factory.mktemp("serve") / "server.log"
    env = {**os.environ, "TOKENIZERS_PARALLELISM": "false"}
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "toolrouter.serve.openai_server", "--run", str(run_dir),
                                 "--port", str(port), "--threads", "1", "--max-batch", "32"],
                                stdout=out, stderr=subprocess.STDOUT, env=env)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120
    while True:
        try:
            with urllib.request.urlopen(base + "/health", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.time() > deadline:
            proc.kill()
            pytest.fail(f"server did not start:\n{log.read_text()}")
        time.sleep(0.2)
    yield base, proc, log
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)


@pytest.fixture(scope="module")
def client(server):
    return openai.OpenAI(base_url=server[0] + "/v1", api_key="unused", max_retries=0, timeout=120)


def ask(client, text, **kwargs):
    return client.chat.completions.create(model="support_router_tiny",
                                          messages=[{"role": "user", "content": text}], **kwargs)


def check_valid(choice, allowed=tuple(TOOLS), no_tool=True):
    """The reply is one call to an allowed tool with schema-valid arguments, or (if allowed) a no_tool."""
    message = choice.message
    if choice.finish_reason == "tool_calls":  # one call, or several (each with its own id)
        assert message.content is None and 1 <= len(message.tool_calls) <= 8
        assert len({call.id for call in message.tool_calls}) == len(message.tool_calls)
        for call in message.tool_calls:
            assert call.type == "function" and call.id.startswith("call_") and call.function.name in allowed
            CAT[call.function.name].model.model_validate(json.loads(call.function.arguments))
        return message.tool_calls[0].function.name
    assert no_tool and choice.finish_reason == "stop" and not message.tool_calls
    assert json.loads(message.content)["tool"] == "no_tool"
    return "no_tool"


def post(base, body: bytes, path="/v1/chat/completions", headers=None):
    """(status, JSON body) of a raw POST: malformed requests the openai client would not send."""
    request = urllib.request.Request(base + path, data=body, method="POST",
                                     headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=60) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_models_and_health(server, client):
    assert [m.id for m in client.models.list().data] == ["support_router_tiny"]
    assert client.models.retrieve("support_router_tiny").id == "support_router_tiny"
    with urllib.request.urlopen(server[0] + "/health") as r:
        health = json.loads(r.read())
    assert health["status"] == "ok" and health["model"] == "support_router_tiny"


def test_auto_answers_are_the_routers(client, run_dir, one_thread):
    """Each reply is the in-process Router's answer, mapped: a call -> tool_calls, a no_tool -> content."""
    from toolrouter import Router

    router = Router.load(run_dir)
    kinds = set()
    for text in REQUESTS[:4]:
        expected = router.route(text)
        choice = ask(client, text, tools=list(TOOLS.values()), temperature=0.7).choices[0]
        kinds.add(check_valid(choice))
        if expected.kind == "call":
            calls = [(c.function.name, json.loads(c.function.arguments)) for c in choice.message.tool_calls]
            assert calls == [(c["tool"], c["arguments"]) for c in expected.calls]
            assert choice.finish_reason == "tool_calls"
        else:
            assert expected.kind == "no_tool" and json.loads(choice.message.content)["reason"] == expected.reason
    reply = ask(client, REQUESTS[0])  # no `tools`: the whole catalogue
    assert reply.usage.prompt_tokens > 0 and reply.usage.completion_tokens > 0
    assert reply.model == "support_router_tiny" and reply.object == "chat.completion"


def test_tool_choice_forces_and_forbids(client):
    tools = list(TOOLS.values())
    for name in TOOLS:
        forced = ask(client, "hi there", tools=tools, tool_choice={"type": "function", "function": {"name": name}})
        assert check_valid(forced.choices[0], allowed=(name,), no_tool=False) == name
    required = ask(client, "hi there", tools=tools, tool_choice="required").choices[0]
    assert check_valid(required, no_tool=False) in TOOLS
    for text in REQUESTS[:3]:
        none = ask(client, text, tools=tools, tool_choice="none").choices[0]
        assert check_valid(none, allowed=()) == "no_tool"


def test_a_subset_of_the_tools(client):
    only = [TOOLS["escalate"]]
    for text in REQUESTS[:3]:
        assert check_valid(ask(client, text, tools=only).choices[0], allowed=("escalate",)) in ("escalate", "no_tool")
        assert check_valid(ask(client, text, tools=only, tool_choice="required").choices[0],
                           allowed=("escalate",), no_tool=False) == "escalate"
    two = [TOOLS["request_refund"], TOOLS["track_order"]]  # any order
    assert check_valid(ask(client, REQUESTS[0], tools=two, tool_choice="required").choices[0],
                       allowed=("request_refund", "track_order"), no_tool=False)


def test_a_foreign_or_changed_tool_is_a_400(client):
    foreign = {"type": "function", "function": {"name": "send_email", "description": "Send an email.",
                                                "parameters": {"type": "object", "properties": {}}}}
    with pytest.raises(openai.BadRequestError) as e:
        ask(client, "hi", tools=[TOOLS["track_order"], foreign])
    error = e.value.body
    assert "send_email" in error["message"] and error["param"] == "tools[1].function.name"
    assert error["type"] == "invalid_request_error" and error["code"] == "unknown_tool"
    changed = json.loads(json.dumps(TOOLS["track_order"]))
    changed["function"]["parameters"]["properties"]["order_id"]["type"] = "integer"  # same name, other schema
    with pytest.raises(openai.BadRequestError) as e:
        ask(client, "hi", tools=[changed])
    assert "'track_order' differs" in e.value.body["message"]
    assert e.value.body["param"] == "tools[0].function.parameters.properties.order_id.type"
    with pytest.raises(openai.BadRequestError, match="not among the request's tools"):
        ask(client, "hi", tools=[TOOLS["escalate"]], tool_choice={"type": "function", "function": {"name": "track_order"}})


def test_malformed_requests_get_json_errors_and_the_server_keeps_serving(server, client):
    base = server[0]
    good = {"model": "support_router_tiny", "messages": [{"role": "user", "content": "hi"}]}
    cases = [
        (b"{not json", 400, None, "not valid JSON"),
        (b"[1, 2]", 400, None, "JSON object"),
        (json.dumps({"model": "support_router_tiny"}).encode(), 400, "messages", "Field required"),
        (json.dumps({**good, "messages": []}).encode(), 400, "messages", "at least 1"),
        (json.dumps({**good, "messages": [{"role": "robot", "content": "x"}]}).encode(), 400, "messages[0].role", ""),
        (json.dumps({**good, "messages": [{"role": "assistant", "content": "x"}]}).encode(), 400,
         "messages[0].role", "must be the user's request"),
        (json.dumps({**good, "messages": [{"role": "user", "content": "x"}] * 65}).encode(), 400, "messages", "limit"),
        (json.dumps({**good, "max_tokens": 0}).encode(), 400, "max_tokens", ""),
        (json.dumps({**good, "max_tokens": 4000}).encode(), 400, "messages", "context"),
        (json.dumps({**good, "tool_choice": "sometimes"}).encode(), 400, "tool_choice", ""),
        (json.dumps({**good, "n": 3}).encode(), 400, "n", "one answer"),
        (json.dumps({**good, "model": "gpt-4o"}).encode(), 404, "model", "does not exist"),
        (json.dumps({**good, "messages": [{"role": "user", "content": "x" * (1 << 20)}]}).encode(), 413, None, "limit"),
    ]
    for body, status, param, words in cases:
        got, reply = post(base, body)
        assert got == status, (body[:80], reply)
        assert set(reply["error"]) == {"message", "type", "param", "code"} and reply["error"]["param"] == param
        assert words in reply["error"]["message"], reply
    assert post(base, b"{}", path="/v1/nowhere")[0] == 404
    status, reply = post(base, json.dumps(good).encode())  # still serving
    assert status == 200 and reply["choices"][0]["finish_reason"] in ("stop", "tool_calls")


def test_64_concurrent_requests_are_batched(server, client):
    def health():
        with urllib.request.urlopen(server[0] + "/health") as r:
            return json.loads(r.read())

    before = health()
    texts = [REQUESTS[i % len(REQUESTS)] for i in range(64)]
    with ThreadPoolExecutor(64) as pool:
        replies = list(pool.map(lambda t: ask(client, t, tools=list(TOOLS.values())), texts))
    assert len(replies) == 64
    for reply in replies:
        check_valid(reply.choices[0])
    after = health()
    assert after["requests"] - before["requests"] == 64
    assert after["batches"] - before["batches"] <= 16  # answered in batches, not one by one


def test_streaming_sends_one_delta(client):
    stream = ask(client, "hi", tool_choice={"type": "function", "function": {"name": "escalate"}}, stream=True)
    chunks = list(stream)
    calls = [c.choices[0].delta.tool_calls for c in chunks if c.choices[0].delta.tool_calls]
    assert len(calls) == 1 and calls[0][0].function.name == "escalate" and calls[0][0].index == 0
    CAT["escalate"].model.model_validate(json.loads(calls[0][0].function.arguments))
    assert chunks[-1].choices[0].finish_reason == "tool_calls"
    chunks = list(ask(client, "hi", tool_choice="none", stream=True))
    content = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert json.loads(content)["tool"] == "no_tool" and chunks[-1].choices[0].finish_reason == "stop"


@pytest.fixture(scope="module")
def lists_server(tiny_tokenizer, tmp_path_factory):
    """A server whose model always answers with a list of calls: the tiny model with its final norm
    zeroed, so every logit is 0 and greedy decoding takes the lowest token id the grammar allows:
    `[` before `{`, `,` (another call) before `]` (ids follow the byte order). A real model process
    that answers several calls, what a trained router does for "lock the doors and turn the lights on"."""
    from conftest import write_tiny_run

    from toolrouter.train.tiny import build_model

    model = build_model(tiny_tokenizer, layers=2, hidden=64, heads=4).eval()
    model.model.norm.weight.data.zero_()
    run = write_tiny_run(tmp_path_factory.mktemp("runs") / "support_router_tiny", model, tiny_tokenizer, 1024)
    for served in _serve(run, tmp_path_factory):
        yield served + (run,)


def test_several_calls_come_back_as_several_tool_calls(lists_server, one_thread):
    """Several calls: one tool_calls entry each, unique ids, in the order written, the same calls as
    the in-process Router's; streamed as one delta with indexes 0..n-1; an earlier assistant turn with
    several tool_calls is history the server accepts."""
    from toolrouter import Router

    base, _, _, run = lists_server
    client = openai.OpenAI(base_url=base + "/v1", api_key="unused", max_retries=0, timeout=300)
    expected = Router.load(run).route("lock it all down")
    assert expected.kind == "call" and len(expected.calls) >= 2
    reply = ask(client, "lock it all down")
    choice = reply.choices[0]
    assert choice.finish_reason == "tool_calls" and check_valid(choice) == expected.tool
    assert [(c.function.name, json.loads(c.function.arguments)) for c in choice.message.tool_calls] == [
        (c["tool"], c["arguments"]) for c in expected.calls]
    ids = [c.id for c in choice.message.tool_calls]
    assert len(set(ids)) == len(ids) == len(expected.calls)

    chunks = list(ask(client, "lock it all down", stream=True))
    deltas = [c.choices[0].delta.tool_calls for c in chunks if c.choices[0].delta.tool_calls]
    assert len(deltas) == 1 and [d.index for d in deltas[0]] == list(range(len(expected.calls)))
    assert [d.function.name for d in deltas[0]] == [c["tool"] for c in expected.calls]
    assert chunks[-1].choices[0].finish_reason == "tool_calls"

    earlier = choice.message.model_dump(exclude_none=True)
    follow_up = client.chat.completions.create(model="support_router_tiny", messages=[
        {"role": "user", "content": "lock it all down"}, earlier, {"role": "user", "content": "and again"}])
    assert follow_up.choices[0].finish_reason == "tool_calls"
    bad = dict(earlier, tool_calls=earlier["tool_calls"] + [{"id": "x", "type": "function",
                                                              "function": {"name": "fly", "arguments": "{}"}}])
    with pytest.raises(openai.BadRequestError) as e:
        client.chat.completions.create(model="support_router_tiny", messages=[
            {"role": "user", "content": "a"}, bad, {"role": "user", "content": "b"}])
    assert f"messages[1].tool_calls[{len(expected.calls)}]" in str(e.value)


def test_cli_refuses_a_missing_run(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "toolrouter.serve.openai_server", "--run", str(tmp_path / "nope")],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "no run.json there" in proc.stderr and "Traceback" not in proc.stderr


def test_sigterm_answers_requests_in_flight_then_exits(server, client):
    """Last: stops the module's server. Requests it has taken in before SIGTERM are all answered."""
    base, proc, log = server
    results, errors = [], []

    def one(text):
        try:  # a long budget keeps the random model busy, so the requests are in flight at SIGTERM
            results.append(ask(client, text, max_tokens=400))
        except Exception as e:  # noqa: BLE001 (reported below)
            errors.append(e)

    threads = [threading.Thread(target=one, args=(t,)) for t in REQUESTS]
    for t in threads:
        t.start()
    deadline, in_flight = time.time() + 30, 0
    while in_flight < len(REQUESTS) and time.time() < deadline:
        with urllib.request.urlopen(base + "/health") as r:
            in_flight = json.loads(r.read())["in_flight"]
    assert in_flight == len(REQUESTS)
    proc.send_signal(signal.SIGTERM)
    for t in threads:
        t.join(timeout=120)
    # uvicorn re-raises the signal once it has shut down, so the exit status says SIGTERM.
    assert proc.wait(timeout=60) in (0, -signal.SIGTERM)
    assert not errors and len(results) == len(REQUESTS)
    assert all(r.choices[0].finish_reason in ("stop", "tool_calls") for r in results)
    assert "Finished server process" in log.read_text()


def test_restricted_grammars_per_row(tiny_model, tiny_tokenizer, one_thread):
    """What the server's answer space rests on: a grammar without no_tool, one of no_tool alone, and
    one grammar per row in a single batched generate."""
    from toolrouter.formats.grammar import accepts_text, compile_grammar
    from toolrouter.formats.parse import parse_tool_call
    from toolrouter.infer.generate import generate_answers

    call, none = '{"tool":"escalate","arguments":{"reason":"x"}}', '{"tool":"no_tool","reason":"x"}'
    required = compile_grammar(CAT.subset(["escalate"]), tiny_tokenizer, no_tool=False)
    only_no_tool = compile_grammar(CAT.subset([]), tiny_tokenizer)
    assert accepts_text(required, call) and not accepts_text(required, none)
    assert accepts_text(only_no_tool, none) and not accepts_text(only_no_tool, call)
    with pytest.raises(Exception, match="no answer is possible"):
        compile_grammar(CAT.subset([]), tiny_tokenizer, no_tool=False)
    convs = [[{"role": "system", "content": CAT.render("compact")}, {"role": "user", "content": text}]
             for text in REQUESTS[:4]]
    texts = generate_answers(tiny_model, tiny_tokenizer, convs, max_new_tokens=96, catalogue=CAT, constrained=True,
                             grammars=[required, only_no_tool, required, only_no_tool])
    results = [parse_tool_call(t, CAT) for t in texts]
    assert [(r.kind, r.tool) for r in results] == [("call", "escalate"), ("no_tool", "no_tool")] * 2


def test_export_writes_a_plain_model_folder_for_vllm(run_dir, tmp_path, one_thread):
    """`toolrouter export`: safetensors, the chat template (ignoring `tools` for a compact run), and a
    response template that turns the json envelope into tool_calls; the folder routes like the run."""
    from transformers import AutoTokenizer

    from toolrouter import Router
    from toolrouter.serve.export import main as export_main

    out = tmp_path / "exported"
    assert export_main([str(run_dir), "--to", str(out)]) == 0
    assert (out / "model.safetensors").is_file() and not list(out.glob("*.bin"))
    tokenizer = AutoTokenizer.from_pretrained(out)
    conv = [{"role": "system", "content": CAT.render("compact")}, {"role": "user", "content": "hi"}]
    assert (tokenizer.apply_chat_template(conv, tools=CAT.to_openai(), tokenize=False)
            == tokenizer.apply_chat_template(conv, tokenize=False))
    prefix = tokenizer.apply_chat_template(conv, add_generation_prompt=True, tokenize=False)
    parsed = tokenizer.parse_response('{"tool":"track_order","arguments":{"order_id":"ORD-1"}}<|im_end|>', prefix=prefix)
    assert parsed["tool_calls"][0]["function"]["name"] == "track_order"
    assert not tokenizer.parse_response('{"tool":"no_tool","reason":"hi"}<|im_end|>', prefix=prefix).get("tool_calls")
    assert Router.load(out).route_batch(REQUESTS[:3]) == Router.load(run_dir).route_batch(REQUESTS[:3])
    proc = subprocess.run([sys.executable, "-m", "toolrouter.serve.export", str(run_dir), "--to", str(out)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "not empty" in proc.stderr and "Traceback" not in proc.stderr


def test_copy_grammars_per_request_in_the_server_batcher(tiny_model, tiny_tokenizer, one_thread):
    """`toolrouter serve --copy`: each request gets its own copy grammar, a required call stays required,
    and a random model's copied values are spans of its request."""
    from toolrouter.formats.parse import parse_tool_call
    from toolrouter.serve.openai_server import Batcher, Job
    from toolrouter.serve.router import Router

    router = Router(tiny_model, tiny_tokenizer, CAT, copy=True, max_new_tokens=80)
    batcher = Batcher(router)
    requests = ["refund ORD-48213 the lamp arrived broken", "get me a human, I was charged twice"]
    jobs = [Job(router.messages(text), ("request_refund", "escalate"), False, 80) for text in requests]
    batcher._run(jobs)
    for text, job in zip(requests, jobs):
        result = parse_tool_call(job.future.result(timeout=60), CAT)
        assert result.kind == "call" and result.tool in ("request_refund", "escalate")  # no no_tool: required
        assert result.arguments["reason"] in text, (text, result)
        if "ORD-" in text:  # the ID said is the only one it may write (a pattern copied as said)
            assert result.arguments["order_id"] == "ORD-48213"


def test_the_server_decodes_astray_copies_again_as_route_does(tiny_model, tiny_tokenizer, one_thread, monkeypatch):
    """`toolrouter serve` with copy runs copy_decode's later passes over its batch (values that collide or
    stand after none of their anchor words decoded again, per tool subset, a required call still required),
    so a request gets the answer the library's copy_decode (what `route` and `eval` use) gives it."""
    from toolrouter.formats.copy import copy_decode
    from toolrouter.infer import generate as gen
    from toolrouter.infer.generate import _vocab_size, stop_token_ids
    from toolrouter.serve.openai_server import Batcher, Job
    from toolrouter.serve.router import Router

    cat = load_catalogue("tests/assets/natural/dining_travel.py")
    router = Router(tiny_model, tiny_tokenizer, cat, copy=True, max_new_tokens=80)
    requests = ["taxi from the gym to the mall", "any good italian places in Rome?", "a cab to Union Square from home",
                "fancy french food in Lyon, money's no object", "pick me up at the office and take me to 5 Elm Road"]
    tools = ("book_taxi", "find_restaurants")
    convs = [router.messages(text) for text in requests]

    def generate(conversations, grammars):
        return gen.generate_answers(tiny_model, tiny_tokenizer, conversations, max_new_tokens=80, catalogue=cat,
                                    constrained=True, grammars=grammars)

    expected = copy_decode(generate, cat.subset(tools), convs, tiny_tokenizer, _vocab_size(tiny_model, tiny_tokenizer),
                           stop_token_ids(tiny_tokenizer, tiny_model), router.fmt, no_tool=False)
    calls, real = [], gen.generate_answers

    def counted(*args, **kwargs):
        calls.append(len(args[2]))
        return real(*args, **kwargs)

    monkeypatch.setattr(gen, "generate_answers", counted)
    jobs = [Job(conv, tools, False, 80) for conv in convs]
    Batcher(router)._run(jobs)
    assert calls[0] == len(requests) and len(calls) > 1  # the batch, then the rows decoded again
    assert [job.future.result(timeout=60) for job in jobs] == expected
    assert all(router.fmt.parse(text, cat).tool in tools for text in expected)
