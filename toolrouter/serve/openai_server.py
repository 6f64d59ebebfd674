"""`toolrouter serve`: a trained run behind an OpenAI-compatible chat-completions endpoint.

    toolrouter serve --run runs/support_router_tiny                      # http://127.0.0.1:8000/v1
    make serve RUN=runs/support_router_tiny

    from openai import OpenAI
    client = OpenAI(base_url="http://127.0.0.1:8000/v1", api_key="unused")
    reply = client.chat.completions.create(model="support_router_tiny", tools=tools,
                                           messages=[{"role": "user", "content": "where is ORD-48213?"}])
    reply.choices[0].message.tool_calls[0].function   # name="track_order", arguments='{"order_id":"ORD-48213"}'

Endpoints: POST /v1/chat/completions, GET /v1/models, GET /v1/models/{id}, GET /health. What a router
does with the OpenAI request shape:
  - Calls come back as `message.tool_calls` (one entry per call, each with its own id, arguments a JSON
    string) with finish_reason "tool_calls"; a no_tool comes back as `message.content` = the answer text
    (`{"tool":"no_tool","reason":"..."}`, what vLLM returns for the exported model too) with "stop".
  - `tools` must be the run's catalogue or a subset of it, each compared by name and parameters
    schema: a router is trained for a closed catalogue, so any other tool is a 400 naming it. No
    `tools` means the whole catalogue. The prompt stays the one the run was trained with; the grammar
    restricts the answer to the requested tools and `tool_choice` (auto: a tool or no_tool; none:
    no_tool only; required: a tool; {"type": "function", ...}: that tool).
  - The model's own system prompt is the catalogue's: system/developer messages are ignored, tool
    messages too; earlier user/assistant turns are the history, and the last message must be the
    user's request. Routing is greedy: temperature, top_p, seed and other sampling fields are
    accepted and ignored. max_tokens / max_completion_tokens bound the answer (default: the run's).
  - `stream: true` sends server-sent events: one delta with the whole tool call (or content), one
    with finish_reason, then [DONE].
Concurrent requests are batched: one worker thread owns the model, takes every request waiting
(or waits up to --wait-ms for more) up to --max-batch, and answers them with one batched greedy
generate, each row under its own grammar. Errors are OpenAI-style bodies
{"error": {"message", "type", "param", "code"}}; SIGINT/SIGTERM stop accepting connections, answer
the requests already in, then exit.
"""
# No `from __future__ import annotations`: FastAPI reads the endpoints' annotations (Request) at runtime.
import argparse
import asyncio
import concurrent.futures
import json
import queue
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from toolrouter.errors import ToolrouterError

MAX_BODY_BYTES = 1 << 20  # 1 MiB: a routing request is a few kB even with the tool list
MAX_MESSAGES = 64
MAX_PENDING = 1024  # requests waiting for the model before the server answers 503
MAX_TOKENS = 4096
COLLECT_CAP_MS = 50  # the longest a batch waits for more requests (see Batcher)


# ---------------------------------------------------------------------------------------------
# the request shape (what of OpenAI's a router reads; other fields are accepted and ignored)

class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")  # clients send fields a router has no use for


class FunctionDef(_Open):
    name: str
    description: Optional[str] = None
    parameters: Optional[dict] = None


class ToolDef(_Open):
    type: Literal["function"]
    function: FunctionDef


class Message(_Open):
    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: Union[str, list, None] = None
    tool_calls: Optional[list] = None


class FunctionName(_Open):
    name: str


class NamedToolChoice(_Open):
    type: Literal["function"]
    function: FunctionName


class ChatRequest(_Open):
    model: str
    messages: list[Message] = Field(min_length=1)
    tools: Optional[list[ToolDef]] = None
    tool_choice: Union[Literal["auto", "none", "required"], NamedToolChoice, None] = None
    max_tokens: Optional[int] = Field(default=None, ge=1, le=MAX_TOKENS)
    max_completion_tokens: Optional[int] = Field(default=None, ge=1, le=MAX_TOKENS)
    stream: bool = False
    n: Optional[int] = None


class ApiError(Exception):
    """An OpenAI-style error response."""

    def __init__(self, status: int, message: str, param: Optional[str] = None, code: Optional[str] = None,
                 kind: str = "invalid_request_error"):
        super().__init__(message)
        self.status, self.message, self.param, self.code, self.kind = status, message, param, code, kind

    def body(self) -> dict:
        return {"error": {"message": self.message, "type": self.kind, "param": self.param, "code": self.code}}


def _loc(loc) -> str:
    """Pydantic's ("messages", 0, "role") -> "messages[0].role", without the tags it adds for the
    members of a union ("str", "literal['auto',...]", "NamedToolChoice")."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part.isidentifier() and not part[0].isupper() and part not in ("str", "list", "none", "dict"):
            out += f".{part}" if out else part
    return out


# ---------------------------------------------------------------------------------------------
# request -> (conversation, allowed tools, no_tool allowed, budget)

def _text(content, where: str) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    parts = []
    for i, part in enumerate(content):
        if not isinstance(part, dict) or part.get("type") != "text" or not isinstance(part.get("text"), str):
            raise ApiError(400, f"{where}.content[{i}]: only text parts are supported by a router",
                           param=f"{where}.content")
        parts.append(part["text"])
    return "".join(parts)


def _first_difference(a: Any, b: Any, path: str) -> Optional[str]:
    """Where two JSON values first differ, as a path (None when equal)."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in list(a) + [k for k in b if k not in a]:
            if key not in a or key not in b:
                return f"{path}.{key}"
            found = _first_difference(a[key], b[key], f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return next((d for i, (x, y) in enumerate(zip(a, b)) if (d := _first_difference(x, y, f"{path}[{i}]"))),
                    None)
    return None if a == b and type(a) is type(b) else path


def allowed_tools(catalogue, tools: Optional[list[ToolDef]]) -> list[str]:
    """The requested tools' names in catalogue order, each checked against the catalogue by name and
    parameters schema (the description is not compared: the prompt shows the trained one)."""
    if tools is None:
        return list(catalogue.names)
    names = set()
    for i, tool in enumerate(tools):
        name = tool.function.name
        spec = catalogue.get(name)
        if spec is None:
            raise ApiError(400, f"tools[{i}]: tool {name!r} is not in this router's catalogue "
                                f"({', '.join(catalogue.names)}); a router answers only for the tools it was "
                                "trained on", param=f"tools[{i}].function.name", code="unknown_tool")
        # OpenAI's defaults filled in as the catalogue loader fills them; equal to the catalogue's schema
        # is all the checking a request's tool needs (no per-request Pydantic model).
        given = {"type": "object", "properties": {}, "required": [], "additionalProperties": False,
                 **(tool.function.parameters or {})}
        where = _first_difference(given, spec.parameters, "parameters")
        if where:
            raise ApiError(400, f"tools[{i}]: tool {name!r} differs from the router's catalogue at {where}; send "
                                "the definition the run was trained on (GET the catalogue with `toolrouter "
                                "catalogue export`, or leave `tools` out for all of them)",
                           param=f"tools[{i}].function.{where}", code="tool_mismatch")
        names.add(name)
    return [n for n in catalogue.names if n in names]


def answer_space(names: list[str], tool_choice) -> tuple[tuple[str, ...], bool]:
    """(tools a call may name, whether no_tool is allowed) for a tool_choice."""
    if tool_choice in (None, "auto"):
        return tuple(names), True
    if tool_choice == "none":
        return (), True
    if not names:
        raise ApiError(400, f"tool_choice {tool_choice!r} needs a tool, but `tools` is empty", param="tool_choice")
    if tool_choice == "required":
        return tuple(names), False
    wanted = tool_choice.function.name
    if wanted not in names:
        raise ApiError(400, f"tool_choice names {wanted!r}, which is not among the request's tools "
                            f"({', '.join(names)})", param="tool_choice.function.name")
    return (wanted,), False


def conversation(router, messages: list[Message]) -> list[dict]:
    """The router's conversation: its own system prompt, earlier user/assistant turns, the request."""
    from toolrouter.formats.parse import format_calls

    last = messages[-1]
    if last.role != "user":
        raise ApiError(400, f"messages[{len(messages) - 1}]: the last message must be the user's request (role "
                            f"'user', got {last.role!r}); a router routes a request, it does not read tool results",
                       param=f"messages[{len(messages) - 1}].role")
    history = []
    for i, m in enumerate(messages[:-1]):
        if m.role == "user":
            history.append({"role": "user", "content": _text(m.content, f"messages[{i}]")})
        elif m.role == "assistant":
            text = _text(m.content, f"messages[{i}]")
            if m.tool_calls:  # earlier routed calls: the answer text the router wrote (a list for several)
                calls = []
                for k, entry in enumerate(m.tool_calls):
                    fn = entry.get("function", {}) if isinstance(entry, dict) else {}
                    try:
                        calls.append({"tool": fn["name"], "arguments": json.loads(fn["arguments"])})
                        format_calls(calls[-1:], router.catalogue)
                    except (KeyError, TypeError, ValueError, ToolrouterError):
                        raise ApiError(400, f"messages[{i}].tool_calls[{k}]: expected a function call with a name "
                                            "from the catalogue and JSON arguments",
                                       param=f"messages[{i}].tool_calls") from None
                try:
                    text = format_calls(calls, router.catalogue)
                except ToolrouterError as e:  # more calls than an answer holds
                    raise ApiError(400, f"messages[{i}].tool_calls: {e}", param=f"messages[{i}].tool_calls") from None
            history.append({"role": "assistant", "content": text})
    return router.messages(_text(last.content, f"messages[{len(messages) - 1}]"), history)


# ---------------------------------------------------------------------------------------------
# the batcher: one thread owns the model

@dataclass
class Job:
    conversation: list[dict]
    tools: tuple[str, ...]
    no_tool: bool
    max_new_tokens: int
    future: concurrent.futures.Future = field(default_factory=concurrent.futures.Future)


class Batcher:
    """Collects requests and answers them in batches on one worker thread (the model's only user).

    The worker takes every job already waiting, then keeps collecting while jobs keep coming, each
    within `wait_ms` of the one before (at most COLLECT_CAP_MS in all), up to `max_batch`. A burst
    (clients answered by the last batch sending their next requests, one by one, through the event
    loop) thus becomes one full batch instead of a few ragged ones, and a lone request pays
    `wait_ms`. Jobs with different token budgets go to separate generate() calls; different tool
    subsets share one, each row with its own grammar."""

    def __init__(self, router, max_batch: int = 32, wait_ms: float = 5.0):
        self.router, self.max_batch, self.wait = router, max_batch, wait_ms / 1000
        self.queue: queue.Queue = queue.Queue()  # Jobs, then None to stop
        self.grammars: dict = {}
        self.batches = self.rows = 0  # counters for /health
        self.thread = threading.Thread(target=self._loop, name="toolrouter-batcher", daemon=True)

    def start(self) -> None:
        # Warm-up: grammar compile and first-call allocations happen before the first request.
        self._run([Job(self.router.messages("hello"), tuple(self.router.catalogue.names), True,
                       self.router.max_new_tokens)])
        self.batches = self.rows = 0
        self.thread.start()

    def submit(self, job: Job) -> concurrent.futures.Future:
        if self.queue.qsize() >= MAX_PENDING:
            raise ApiError(503, f"the server has {MAX_PENDING} requests waiting; retry later",
                           kind="server_error", code="overloaded")
        self.queue.put(job)
        return job.future

    def close(self) -> None:
        """Answer what is queued, then stop the worker."""
        self.queue.put(None)
        if self.thread.is_alive():
            self.thread.join()

    def _loop(self) -> None:
        stop = False
        while not stop:
            job = self.queue.get()
            if job is None:
                return
            jobs = [job]
            cap = time.monotonic() + COLLECT_CAP_MS / 1000
            while len(jobs) < self.max_batch:
                try:
                    nxt = self.queue.get(timeout=max(0.0, min(self.wait, cap - time.monotonic())))
                except queue.Empty:
                    break
                if nxt is None:
                    stop = True
                    break
                jobs.append(nxt)
            # A request whose client went away is dropped here, before it costs a row.
            self._run([j for j in jobs if j.future.set_running_or_notify_cancel()])

    def _catalogue(self, tools: tuple[str, ...]):
        """The router's catalogue, or the subset of it a request allows."""
        cat = self.router.catalogue
        return cat if list(tools) == cat.names else cat.subset(tools)

    def _grammar(self, tools: tuple[str, ...], no_tool: bool):
        from toolrouter.formats.grammar import compile_grammar
        from toolrouter.infer.generate import _vocab_size, stop_token_ids

        key = (tools, no_tool)
        if key not in self.grammars:
            router, cat = self.router, self._catalogue(tools)
            self.grammars[key] = compile_grammar(cat, router.tokenizer, vocab_size=_vocab_size(router.model,
                                                 router.tokenizer), stop_token_ids=stop_token_ids(
                                                 router.tokenizer, router.model), no_tool=no_tool)
        return self.grammars[key]

    def _copy_grammar(self, job: Job):
        from toolrouter.formats.copy import copy_grammars
        from toolrouter.infer.generate import _vocab_size, stop_token_ids

        router, cat = self.router, self._catalogue(job.tools)
        if not len(cat):
            return self._grammar(job.tools, job.no_tool)  # no_tool alone: nothing to copy into
        (grammar,) = copy_grammars(cat, [job.conversation], router.tokenizer, _vocab_size(router.model, router.tokenizer),
                                   stop_token_ids(router.tokenizer, router.model), router.fmt, no_tool=job.no_tool)
        return grammar

    def _copy_decode(self, group: list[Job], texts: list[str], budget: int) -> list[str]:
        """copy_decode's later passes over a decoded batch, per tool subset: only the rows whose copied
        values collide or stand after none of their anchor words are decoded again."""
        from toolrouter.formats.copy import copy_decode
        from toolrouter.infer.generate import _vocab_size, generate_answers, stop_token_ids

        router, out = self.router, list(texts)

        def generate(conversations, grammars):
            return generate_answers(router.model, router.tokenizer, conversations,
                                    tools=router.catalogue.template_tools(router.mode), max_new_tokens=budget,
                                    batch_size=self.max_batch, catalogue=router.catalogue, constrained=True,
                                    grammars=grammars, prefix_cache=router.prefix_cache)

        subsets: dict[tuple, list[int]] = {}
        for k, job in enumerate(group):
            subsets.setdefault((job.tools, job.no_tool), []).append(k)
        for (tools, no_tool), rows in subsets.items():
            cat = self._catalogue(tools)
            if not len(cat):
                continue
            again = copy_decode(generate, cat, [group[k].conversation for k in rows], router.tokenizer,
                                _vocab_size(router.model, router.tokenizer),
                                stop_token_ids(router.tokenizer, router.model), router.fmt, no_tool=no_tool,
                                answers=[texts[k] for k in rows])
            for k, text in zip(rows, again):
                out[k] = text
        return out

    def _run(self, jobs: list[Job]) -> None:
        from toolrouter.infer.generate import generate_answers

        router = self.router
        by_budget: dict[int, list[Job]] = {}
        for job in jobs:
            by_budget.setdefault(job.max_new_tokens, []).append(job)
        for budget, group in by_budget.items():
            try:
                grammars = None
                if router.constrained:  # with copy, each request its own grammar (formats.copy)
                    grammars = [self._copy_grammar(j) if router.copy else self._grammar(j.tools, j.no_tool)
                                for j in group]
                tools = router.catalogue.template_tools(router.mode)
                texts = generate_answers(router.model, router.tokenizer, [j.conversation for j in group],
                                         tools=tools, max_new_tokens=budget, batch_size=self.max_batch,
                                         catalogue=router.catalogue, constrained=router.constrained,
                                         grammars=grammars, prefix_cache=router.prefix_cache)
                if router.constrained and router.copy:  # decoded again where a copy went astray, as Router does
                    texts = self._copy_decode(group, texts, budget)
                if router.lowercase:  # a run that reads requests lower-cased copies values lower-cased
                    from toolrouter.formats.copy import restore_case

                    texts = restore_case(texts, [j.conversation for j in group], router.catalogue, router.fmt)
            except Exception as e:  # one bad batch must not stop the server: its requests get a 500
                for job in group:
                    job.future.set_exception(e)
                continue
            self.batches += 1
            self.rows += len(group)
            for job, text in zip(group, texts):
                job.future.set_result(text)


# ---------------------------------------------------------------------------------------------
# responses

def completion_message(result, text: str, tools: tuple[str, ...]) -> tuple[dict, str]:
    """(message, finish_reason) for a parsed answer: its calls as `tool_calls` (unique ids), a no_tool
    as content. Anything else (only possible without the grammar, or cut off by max_tokens; a call to a
    tool the request did not allow) is returned as content."""
    if result.kind == "call" and all(c["tool"] in tools for c in result.calls):
        calls = [{"id": f"call_{uuid.uuid4().hex[:24]}", "type": "function",
                  "function": {"name": c["tool"],
                               "arguments": json.dumps(c["arguments"], ensure_ascii=False, separators=(",", ":"))}}
                 for c in result.calls]  # several calls: one entry each, in the order the model wrote them
        return {"role": "assistant", "content": None, "tool_calls": calls}, "tool_calls"
    finish = "length" if result.kind == "invalid" and result.error == "truncated" else "stop"
    return {"role": "assistant", "content": text.strip()}, finish


def create_app(router, model_id: str, max_batch: int = 32, wait_ms: float = 5.0):
    """The FastAPI app serving `router` as model `model_id` (the batcher starts with the app)."""
    from contextlib import asynccontextmanager

    from fastapi import FastAPI, Request
    from fastapi.responses import JSONResponse, StreamingResponse
    from starlette.exceptions import HTTPException as StarletteHTTPException

    from toolrouter.formats.parse import parse_tool_call

    batcher = Batcher(router, max_batch=max_batch, wait_ms=wait_ms)
    context = int(getattr(router.model.config, "max_position_embeddings", 0) or 0)
    created = int(time.time())
    template_tools = router.catalogue.template_tools(router.mode)

    @asynccontextmanager
    async def lifespan(app):
        batcher.start()
        yield
        # uvicorn has stopped accepting and finished the open requests (or given up on them).
        await asyncio.get_running_loop().run_in_executor(None, batcher.close)

    app = FastAPI(title="toolrouter", lifespan=lifespan, docs_url=None, redoc_url=None)
    in_flight = [0]  # requests handed to the batcher and not answered yet (event-loop thread only)

    @app.exception_handler(ApiError)
    async def api_error(request, exc: ApiError):
        return JSONResponse(exc.body(), status_code=exc.status)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request, exc):
        return JSONResponse(ApiError(exc.status_code, str(exc.detail), code=str(exc.status_code)).body(),
                            status_code=exc.status_code)

    @app.exception_handler(Exception)
    async def server_error(request, exc):
        return JSONResponse(ApiError(500, f"{type(exc).__name__}: {exc}", kind="server_error").body(), status_code=500)

    def model_card() -> dict:
        return {"id": model_id, "object": "model", "created": created, "owned_by": "toolrouter",
                "tools": router.catalogue.names}

    @app.get("/health")
    async def health():
        return {"status": "ok", "model": model_id, "batches": batcher.batches, "requests": batcher.rows,
                "in_flight": in_flight[0]}

    @app.get("/v1/models")
    async def models():
        return {"object": "list", "data": [model_card()]}

    @app.get("/v1/models/{name:path}")
    async def model(name: str):
        if name != model_id:
            raise ApiError(404, f"model {name!r} does not exist; this server serves {model_id!r}",
                           param="model", code="model_not_found")
        return model_card()

    async def read_json(request: Request) -> Any:
        # Read up to the limit, not just the Content-Length header: refused unread, a large body
        # breaks the client's pipe before it can read the 413.
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_BODY_BYTES:
                raise ApiError(413, f"request body exceeds the limit of {MAX_BODY_BYTES} bytes", code="request_too_large")
        try:
            return json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise ApiError(400, f"request body is not valid JSON: {e}", code="invalid_json") from None

    @app.post("/v1/chat/completions")
    async def chat_completions(request: Request):
        data = await read_json(request)
        if not isinstance(data, dict):
            raise ApiError(400, "request body must be a JSON object")
        try:
            req = ChatRequest.model_validate(data)
        except ValidationError as e:
            err = e.errors()[0]
            where = _loc(err["loc"])
            raise ApiError(400, f"{where or 'body'}: {err['msg']}", param=where or None) from None
        if req.model != model_id:
            raise ApiError(404, f"model {req.model!r} does not exist; this server serves {model_id!r}",
                           param="model", code="model_not_found")
        if req.n not in (None, 1):
            raise ApiError(400, f"n={req.n}: a router gives one answer per request; set n to 1", param="n")
        if len(req.messages) > MAX_MESSAGES:
            raise ApiError(400, f"{len(req.messages)} messages; the limit is {MAX_MESSAGES}", param="messages")
        names = allowed_tools(router.catalogue, req.tools)
        tools, no_tool = answer_space(names, req.tool_choice)
        conv = conversation(router, req.messages)
        budget = req.max_completion_tokens or req.max_tokens or router.max_new_tokens
        prompt_tokens = len(router.tokenizer.apply_chat_template(conv, tools=template_tools, add_generation_prompt=True,
                                                                 tokenize=True, return_dict=True)["input_ids"])
        if context and prompt_tokens + budget > context:
            raise ApiError(400, f"the prompt is {prompt_tokens} tokens and the answer may take {budget}; the model's "
                                f"context is {context} tokens: shorten the messages or lower max_tokens",
                           param="messages", code="context_length_exceeded")

        future = batcher.submit(Job(conv, tools, no_tool, budget))
        in_flight[0] += 1
        try:
            text = await asyncio.wrap_future(future)
        finally:
            in_flight[0] -= 1
        result = parse_tool_call(text, router.catalogue)
        message, finish = completion_message(result, text, tools)
        completion_tokens = len(router.tokenizer(text, add_special_tokens=False)["input_ids"]) + (finish != "length")
        reply_id, now = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())
        if not req.stream:
            return {"id": reply_id, "object": "chat.completion", "created": now, "model": model_id,
                    "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
                    # completion_tokens counts the answer re-encoded (+ its end-of-turn token)
                    "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                              "total_tokens": prompt_tokens + completion_tokens}}

        def chunk(delta: dict, finish_reason: Optional[str]) -> str:
            return "data: " + json.dumps({"id": reply_id, "object": "chat.completion.chunk", "created": now,
                                          "model": model_id, "choices": [{"index": 0, "delta": delta,
                                                                          "finish_reason": finish_reason}]},
                                         ensure_ascii=False) + "\n\n"

        delta = dict(message)
        if "tool_calls" in delta:
            delta["tool_calls"] = [{"index": k, **call} for k, call in enumerate(delta["tool_calls"])]

        async def events():
            yield chunk(delta, None)
            yield chunk({}, finish)
            yield "data: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})

    return app


# ---------------------------------------------------------------------------------------------
# command line

def add_arguments(parser: argparse.ArgumentParser) -> None:
    """`toolrouter serve`'s options."""
    parser.add_argument("--run", required=True, help="run directory (runs/<name>, written by `toolrouter train`)")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    parser.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    parser.add_argument("--max-batch", type=int, default=32, help="requests answered by one batched generate (default 32)")
    parser.add_argument("--wait-ms", type=float, default=5.0,
                        help="how long an unfilled batch waits for more requests (default 5 ms)")
    parser.add_argument("--no-constrained", dest="constrained", action="store_false",
                        help="decode without the grammar (answers may then be invalid; they come back as content)")
    parser.add_argument("--copy", action="store_const", const=True,
                        help="copied arguments (free text, names, IDs) only as spans of the request, and numbers, "
                             "times and dates only as values it says (constrained decoding; toolrouter.formats.copy); "
                             "default: as the run's recipe says (eval.copy_spans)")
    parser.add_argument("--no-copy", dest="copy", action="store_const", const=False,
                        help="the catalogue grammar alone, even where the run's recipe says eval.copy_spans: true")
    parser.add_argument("--device", help="cpu, cuda, cuda:1 ... (default: cuda if available)")
    parser.add_argument("--threads", type=int, help="torch CPU threads (default: torch's; 1 on a shared machine)")


def command(args: argparse.Namespace) -> int:
    if args.max_batch < 1 or args.wait_ms < 0 or not 0 <= args.port < 65536:
        raise ToolrouterError(f"--max-batch ({args.max_batch}) must be >= 1, --wait-ms ({args.wait_ms}) >= 0 and "
                              f"--port ({args.port}) in 0..65535")

    import uvicorn

    from toolrouter.serve.router import Router, _run_path

    path = _run_path(args.run)
    if not (Path(path) / "run.json").is_file():
        raise ToolrouterError(f"--run {args.run}: no run.json there; pass a run directory written by "
                              "`toolrouter train` (runs/<name>)")
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    router = Router.load(path, constrained=args.constrained, device=args.device, copy=args.copy)
    if router.fmt.name != "json":
        # The server's per-request grammars and history rendering speak the json envelope only so far.
        raise ToolrouterError(f"--run {args.run}: the run answers in the {router.fmt.name!r} format, which "
                              "`toolrouter serve` does not serve yet; serve it with vLLM (`toolrouter export`, "
                              "see README) or train with format: json")
    model_id = (router.run or {}).get("name") or Path(path).name
    app = create_app(router, model_id, max_batch=args.max_batch, wait_ms=args.wait_ms)
    print(f"serving {path} as model {model_id!r} on http://{args.host}:{args.port}/v1 "
          f"({('grammar-constrained, copying spans' if router.copy else 'grammar-constrained') if router.constrained else 'unconstrained'}, batches of up to {args.max_batch}, "
          f"tools: {', '.join(router.catalogue.names)})", flush=True)
    config = uvicorn.Config(app, host=args.host, port=args.port, log_level="info", access_log=False,
                            timeout_graceful_shutdown=30)
    uvicorn.Server(config).run()
    return 0


def main(argv: Optional[list[str]] = None) -> int:
    """`python -m` this module = `toolrouter serve` (the one command tree in toolrouter/cli.py)."""
    from toolrouter.cli import main as cli_main

    return cli_main(["serve", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    sys.exit(main())  # main() goes through the command tree, which renders errors (exit 2)
