"""Router: a trained run as a function from a request to a validated tool call, and `toolrouter route`.

    router = Router.load("runs/support_router_tiny")           # constrained decoding on by default
    result = router.route("where is my order ORD-1234?")       # ParseResult: call | no_tool | invalid
    router.dispatch(result, {"track_order": track})            # calls track(order_id="ORD-1234")
    result.calls                                               # every call: ({"tool", "arguments"}, ...)
    router.dispatch_all(result, handlers)                      # runs each call in order, returns a list

    toolrouter route --run runs/support_router_tiny "where is my order ORD-1234?"
    cat requests.txt | toolrouter route --run runs/support_router_tiny     # one JSON line per request

Requests are prompted exactly as the run was trained (its catalogue snapshot and prompt mode). With
constrained decoding (toolrouter.formats.grammar) every answer parses as a call or a no_tool, whatever the
weights, given a token budget that fits one (64 is plenty for one call of the built-in catalogues; an
answer of several calls needs that per call): strings are bounded and the last tokens of the budget
close the answer. An answer still cut off by max_new_tokens
comes back as invalid (`truncated`), never repaired.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any, Callable, Mapping, Optional, Sequence

from toolrouter.core.catalogue import MODES, Catalogue, load_catalogue
from toolrouter.formats.parse import ParseResult, dispatch, dispatch_all
from toolrouter.core.schema import ToolrouterError

DEFAULT_MAX_NEW_TOKENS = 128  # a routing answer is a few dozen tokens; run.json may say otherwise
# A request is a sentence or a short conversation turn. Past this it is refused before the tokenizer
# sees it: a 1 MB request used to be tokenised and decoded for 9 minutes at 3.1 GB (issue 18).
MAX_REQUEST_CHARS = 32_000
_SURROGATE = re.compile("[\ud800-\udfff]")


def clean_request(request: str) -> tuple[str, Optional[ParseResult]]:
    """(the request with lone surrogates replaced by U+FFFD, or a refusal). A lone surrogate (from
    JSON "\\ud800" or undecodable bytes) cannot be encoded for the tokenizer, and used to fail the
    whole batch; a request over MAX_REQUEST_CHARS is refused as `too_long`."""
    if len(request) > MAX_REQUEST_CHARS:
        return request, ParseResult(kind="invalid", error="too_long",
                                    message=f"the request is {len(request):,} characters; the router takes at most "
                                            f"{MAX_REQUEST_CHARS:,}: send the part that asks for an action")
    # In a Python str every surrogate is lone (a valid pair is one code point already).
    return _SURROGATE.sub("\ufffd", request), None


def context_refusal(prompt_tokens: int, max_new_tokens: int, context: Optional[int]) -> Optional[ParseResult]:
    """A `too_long` refusal when the prompt plus the answer budget exceeds the model's positions
    (max_position_embeddings): past them a model decodes garbage, e.g. the tiny router invented
    `ORD-3338282232323328...` past 512 positions and returned it as a valid call."""
    if context is None or prompt_tokens + max_new_tokens <= context:
        return None
    return ParseResult(kind="invalid", error="too_long",
                       message=f"the prompt is {prompt_tokens} tokens; with {max_new_tokens} for the answer that is "
                               f"past the model's {context} positions: shorten the request (or its history)")


class Router:
    """A model, its tokenizer, the catalogue and prompt mode it was trained with."""

    def __init__(self, model, tokenizer, catalogue: Catalogue, mode: str = "compact", constrained: bool = True,
                 max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS, batch_size: int = 32, run: Optional[dict] = None,
                 prefix_cache: bool = True, fmt=None, copy: bool = False):
        from toolrouter.formats import get_format

        if mode not in MODES:
            raise ToolrouterError(f"unknown prompt mode {mode!r}; choose one of: {', '.join(MODES)}")
        self.model, self.tokenizer, self.catalogue, self.mode = model, tokenizer, catalogue, mode
        self.fmt = fmt or get_format("json")  # the answer format: prompt, grammar and parser
        self.constrained, self.max_new_tokens, self.batch_size, self.run = constrained, max_new_tokens, batch_size, run
        self.copy = copy  # with constrained: copied arguments only as spans of the request (formats.copy)
        from toolrouter.formats.copy import reads_lowercase

        self.lowercase = reads_lowercase(tokenizer)  # its template lower-cases requests: answers get their case back
        # The system prompt (the catalogue) is the same for every request: its KV cache is computed on
        # the first request and reused by every later one (infer.generate.PrefixCache).
        self.prefix_cache = False
        if prefix_cache:
            from toolrouter.infer.generate import PrefixCache, _supports_prefix_cache

            self.prefix_cache = PrefixCache(model) if _supports_prefix_cache(model) else False

    @classmethod
    def load(cls, path, constrained: bool = True, catalogue=None, mode: Optional[str] = None,
             device: Optional[str] = None, max_new_tokens: Optional[int] = None,
             copy: Optional[bool] = None) -> "Router":
        """Load a run dir (catalogue, mode and max_new_tokens come from it) or any model
        `load_for_inference` takes; a model without a run needs `catalogue=` (and `mode=`, default
        compact). `catalogue` is a Catalogue or anything load_catalogue takes. `copy` (with
        `constrained`): copied arguments only as spans of the request; None: as the run's recipe says
        (eval.copy_spans), else off."""
        from toolrouter.infer.loading import load_for_inference

        loaded = load_for_inference(path, device=device)
        if catalogue is not None:
            catalogue = load_catalogue(catalogue)
        elif loaded.catalogue is not None:
            catalogue = loaded.catalogue
        else:
            raise ToolrouterError(f"{path} has no run.json/catalogue.json, so the router does not know its tools; "
                                  "pass catalogue= (a built-in name, a .py/.json path or a Catalogue)")
        run = loaded.run or {}
        if copy is None:
            copy = bool((run.get("eval") or {}).get("copy_spans"))
        return cls(loaded.model, loaded.tokenizer, catalogue, mode=mode or loaded.mode or "compact",
                   constrained=constrained, run=loaded.run, fmt=loaded.format, copy=copy,
                   max_new_tokens=max_new_tokens or int(run.get("max_new_tokens") or DEFAULT_MAX_NEW_TOKENS))

    def messages(self, request: str, history: Optional[Sequence[dict]] = None) -> list[dict]:
        """The conversation for one request: system prompt, earlier turns (if any), the request."""
        if not isinstance(request, str):
            raise ToolrouterError(f"a request must be a string, got {type(request).__name__}")
        return ([{"role": "system", "content": self.fmt.system_prompt(self.catalogue, self.mode)}] + list(history or [])
                + [{"role": "user", "content": request}])

    def prepare(self, requests: Sequence[str], histories: Optional[Sequence] = None
                ) -> tuple[list[Optional[list[dict]]], dict[int, ParseResult]]:
        """Each request's conversation (None where refused) and the refusals by index: a request too
        long in characters or in tokens (prompt + max_new_tokens past the model's positions) is
        refused as `too_long`, lone surrogates are replaced. One bad request never fails the batch."""
        from toolrouter.infer.generate import render_prompts

        histories = list(histories) if histories is not None else [None] * len(requests)
        if len(histories) != len(requests):
            raise ToolrouterError(f"histories: {len(histories)} for {len(requests)} requests; give one each (or None)")
        context = getattr(getattr(self.model, "config", None), "max_position_embeddings", None)
        tools = self.fmt.template_tools(self.catalogue, self.mode)
        system_chars = len(self.fmt.system_prompt(self.catalogue, self.mode))
        conversations: list[Optional[list[dict]]] = []
        refused: dict[int, ParseResult] = {}
        for i, (request, history) in enumerate(zip(requests, histories)):
            conv = None
            if not isinstance(request, str):
                raise ToolrouterError(f"a request must be a string, got {type(request).__name__}")
            request, refusal = clean_request(request)
            if refusal is None:
                conv = self.messages(request, history)
                prompt = render_prompts(self.tokenizer, [conv], [tools] if tools else None)[0]
                if len(prompt) - system_chars > 4 * MAX_REQUEST_CHARS:  # a huge history
                    refusal = ParseResult(kind="invalid", error="too_long",
                                          message=f"the conversation is {len(prompt):,} characters: send a shorter "
                                                  "history (the router needs the last turns only)")
                elif context is not None and len(prompt.encode("utf-8", "replace")) + 8 + self.max_new_tokens > context:
                    # Only a prompt that might not fit is tokenised here (generation tokenises it again):
                    # a token spans at least one UTF-8 byte, +8 for tokens a tokenizer adds (a dummy prefix).
                    n = len(self.tokenizer(prompt, add_special_tokens=False)["input_ids"])
                    refusal = context_refusal(n, self.max_new_tokens, context)
            if refusal is not None:
                refused[i], conv = refusal, None
            conversations.append(conv)
        return conversations, refused

    def _generate(self, conversations: list, progress: bool = False) -> list[str]:
        from toolrouter.infer.generate import generate_answers

        tools = self.fmt.template_tools(self.catalogue, self.mode)

        def generate(convs, grammars=None):
            return generate_answers(self.model, self.tokenizer, convs, tools=[tools] * len(convs) if tools else None,
                                    max_new_tokens=self.max_new_tokens, batch_size=self.batch_size,
                                    catalogue=self.catalogue, constrained=self.constrained, progress=progress,
                                    prefix_cache=self.prefix_cache, fmt=self.fmt, grammars=grammars)

        copying = self.copy and self.constrained and bool(conversations)
        if copying:
            from toolrouter.formats.copy import copy_decode
            from toolrouter.infer.generate import _vocab_size, stop_token_ids

            answers = copy_decode(generate, self.catalogue, conversations, self.tokenizer,
                                  _vocab_size(self.model, self.tokenizer), stop_token_ids(self.tokenizer, self.model),
                                  self.fmt)
        else:
            answers = generate(conversations)
        if copying or self.lowercase:  # a lower-cased copy gets the request's case back
            from toolrouter.formats.copy import restore_case

            answers = restore_case(answers, conversations, self.catalogue, self.fmt)
        return answers

    def answer_texts(self, requests: Sequence[str], histories: Optional[Sequence] = None,
                     progress: bool = False) -> list[str]:
        """The model's raw answers to `requests` ("" for a request `prepare` refused)."""
        conversations, refused = self.prepare(requests, histories)
        keep = [i for i in range(len(requests)) if i not in refused]
        texts = dict(zip(keep, self._generate([conversations[i] for i in keep], progress)))
        return [texts.get(i, "") for i in range(len(requests))]

    def route(self, request: str, history: Optional[Sequence[dict]] = None) -> ParseResult:
        """Route one request (after optional earlier turns): a call, a no_tool, or invalid. An answer of
        several calls is one result of kind "call": `calls` holds them all, `tool`/`arguments` the first."""
        return self.route_batch([request], [history])[0]

    def route_batch(self, requests: Sequence[str], histories: Optional[Sequence] = None,
                    progress: bool = False) -> list[ParseResult]:
        """Route many requests in batches; results in input order. A refused request (see `prepare`)
        comes back invalid (`too_long`) in its place; the others are routed as usual."""
        conversations, refused = self.prepare(requests, histories)
        keep = [i for i in range(len(requests)) if i not in refused]
        texts = self._generate([conversations[i] for i in keep], progress)
        results = {**refused, **{i: self.fmt.parse(t, self.catalogue) for i, t in zip(keep, texts)}}
        return [results[i] for i in range(len(requests))]

    def dispatch(self, result: ParseResult, handlers: Mapping[str, Callable[..., Any]]) -> Any:
        """Call the handler of a routed call with its validated arguments, defaults filled in from the
        catalogue; a no_tool or invalid result, or one of several calls, raises toolrouter.DispatchError."""
        return dispatch(result, handlers, catalogue=self.catalogue)

    def dispatch_all(self, result: ParseResult, handlers: Mapping[str, Callable[..., Any]]) -> list:
        """Call the handler of every routed call in order (as dispatch does one) and return their results;
        a missing handler refuses the whole answer before any handler runs."""
        return dispatch_all(result, handlers, catalogue=self.catalogue)


def _run_path(text: str) -> str:
    """--run accepts runs/<name> or just <name> when runs/<name> exists."""
    if not Path(text).exists() and "/" not in text and (Path("runs") / text).is_dir():
        return str(Path("runs") / text)
    return text


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """`toolrouter route`'s options."""
    parser.add_argument("request", nargs="?",
                        help="the request; without it, requests are read from stdin, one per line")
    parser.add_argument("--run", required=True,
                        help="run directory (runs/<name>), or a model dir / Hub id with --catalogue")
    parser.add_argument("--no-constrained", dest="constrained", action="store_false",
                        help="decode without the catalogue grammar (answers may then be invalid)")
    parser.add_argument("--copy", action="store_const", const=True, help="copied arguments (free text, names, IDs) "
                        "only as spans of the request (toolrouter.formats.copy); default: as the run's recipe says "
                        "(eval.copy_spans)")
    parser.add_argument("--no-copy", dest="copy", action="store_const", const=False,
                        help="the catalogue grammar alone, even where the run's recipe says eval.copy_spans: true")
    parser.add_argument("--catalogue", help="the tools, for a model that is not a run dir (built-in name or path)")
    parser.add_argument("--mode", choices=MODES,
                        help="prompt mode, for a model that is not a run dir (default compact)")
    parser.add_argument("--max-new-tokens", type=int, help="answer length limit (default: the run's, else 128)")
    parser.add_argument("--device", help="cpu, cuda, cuda:1 ... (default: cuda if available)")


def command(args: argparse.Namespace) -> int:
    if args.max_new_tokens is not None and args.max_new_tokens < 1:
        raise ToolrouterError(f"--max-new-tokens must be >= 1, got {args.max_new_tokens}")

    path = _run_path(args.run)
    if not Path(path).exists() and args.catalogue is None:  # a Hub id only makes sense with --catalogue
        raise ToolrouterError(f"--run {args.run}: no such run directory; pass runs/<name>, a directory written "
                              "by `toolrouter train` (or a model dir / Hub id with --catalogue)")
    router = Router.load(path, constrained=args.constrained, catalogue=args.catalogue, mode=args.mode,
                         device=args.device, max_new_tokens=args.max_new_tokens, copy=args.copy)
    if args.request is not None:
        print(json.dumps(router.route(args.request).to_dict(), ensure_ascii=False))
        return 0
    # One request per line, answered as it arrives: works interactively and behind a pipe. Bytes that
    # are not UTF-8 become lone surrogates (then U+FFFD), so one bad line never stops the loop.
    if hasattr(sys.stdin, "reconfigure"):
        sys.stdin.reconfigure(errors="surrogateescape")
    for line in sys.stdin:
        request = line.rstrip("\r\n")
        if request.strip():
            print(json.dumps(router.route(request).to_dict(), ensure_ascii=False), flush=True)
    return 0


def main(argv: Optional[list[str]] = None) -> int:
    """`python -m` this module = `toolrouter route` (the one command tree in toolrouter/cli.py)."""
    from toolrouter.cli import main as cli_main

    return cli_main(["route", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    sys.exit(main())  # main() goes through the command tree, which renders errors (exit 2)
