"""Router: a trained run as a function from a request to a validated tool call, and `toolrouter route`.

    router = Router.load("runs/support_router_tiny")           # constrained decoding on by default
    result = router.route("where is my order ORD-1234?")       # ParseResult: call | no_tool | invalid
    router.dispatch(result, {"track_order": track})            # calls track(order_id="ORD-1234")

    toolrouter route --run runs/support_router_tiny "where is my order ORD-1234?"
    cat requests.txt | toolrouter route --run runs/support_router_tiny     # one JSON line per request

Requests are prompted exactly as the run was trained (its catalogue snapshot and prompt mode). With
constrained decoding (toolrouter.formats.grammar) every answer parses as a call or a no_tool, whatever the
weights, given a token budget that fits one (64 is plenty for the built-in catalogues): strings are
bounded and the last tokens of the budget close the answer. An answer still cut off by max_new_tokens
comes back as invalid (`truncated`), never repaired.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Callable, Mapping, Optional, Sequence

from toolrouter.core.catalogue import MODES, Catalogue, load_catalogue
from toolrouter.formats.parse import ParseResult, dispatch, parse_tool_call
from toolrouter.core.schema import ToolrouterError, run_cli

DEFAULT_MAX_NEW_TOKENS = 128  # a routing answer is a few dozen tokens; run.json may say otherwise


class Router:
    """A model, its tokenizer, the catalogue and prompt mode it was trained with."""

    def __init__(self, model, tokenizer, catalogue: Catalogue, mode: str = "compact", constrained: bool = True,
                 max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS, batch_size: int = 32, run: Optional[dict] = None):
        if mode not in MODES:
            raise ToolrouterError(f"unknown prompt mode {mode!r}; choose one of: {', '.join(MODES)}")
        self.model, self.tokenizer, self.catalogue, self.mode = model, tokenizer, catalogue, mode
        self.constrained, self.max_new_tokens, self.batch_size, self.run = constrained, max_new_tokens, batch_size, run

    @classmethod
    def load(cls, path, constrained: bool = True, catalogue=None, mode: Optional[str] = None,
             device: Optional[str] = None, max_new_tokens: Optional[int] = None) -> "Router":
        """Load a run dir (catalogue, mode and max_new_tokens come from it) or any model
        `load_for_inference` takes; a model without a run needs `catalogue=` (and `mode=`, default
        compact). `catalogue` is a Catalogue or anything load_catalogue takes."""
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
        return cls(loaded.model, loaded.tokenizer, catalogue, mode=mode or loaded.mode or "compact",
                   constrained=constrained, run=loaded.run,
                   max_new_tokens=max_new_tokens or int(run.get("max_new_tokens") or DEFAULT_MAX_NEW_TOKENS))

    def messages(self, request: str, history: Optional[Sequence[dict]] = None) -> list[dict]:
        """The conversation for one request: system prompt, earlier turns (if any), the request."""
        if not isinstance(request, str):
            raise ToolrouterError(f"a request must be a string, got {type(request).__name__}")
        return ([{"role": "system", "content": self.catalogue.render(self.mode)}] + list(history or [])
                + [{"role": "user", "content": request}])

    def answer_texts(self, requests: Sequence[str], histories: Optional[Sequence] = None,
                     progress: bool = False) -> list[str]:
        """The model's raw answers to `requests` (what route_batch parses)."""
        from toolrouter.infer.generate import generate_answers

        histories = list(histories) if histories is not None else [None] * len(requests)
        if len(histories) != len(requests):
            raise ToolrouterError(f"histories: {len(histories)} for {len(requests)} requests; give one each (or None)")
        conversations = [self.messages(r, h) for r, h in zip(requests, histories)]
        tools = self.catalogue.template_tools(self.mode)
        return generate_answers(self.model, self.tokenizer, conversations,
                                tools=[tools] * len(conversations) if tools else None,
                                max_new_tokens=self.max_new_tokens, batch_size=self.batch_size,
                                catalogue=self.catalogue, constrained=self.constrained, progress=progress)

    def route(self, request: str, history: Optional[Sequence[dict]] = None) -> ParseResult:
        """Route one request (after optional earlier turns): a call, a no_tool, or invalid."""
        return self.route_batch([request], [history])[0]

    def route_batch(self, requests: Sequence[str], histories: Optional[Sequence] = None,
                    progress: bool = False) -> list[ParseResult]:
        """Route many requests in batches; results in input order."""
        return [parse_tool_call(text, self.catalogue) for text in self.answer_texts(requests, histories, progress)]

    def dispatch(self, result: ParseResult, handlers: Mapping[str, Callable[..., Any]]) -> Any:
        """Call the handler of a routed call with its validated arguments, defaults filled in from the
        catalogue; a no_tool or invalid result raises toolrouter.DispatchError."""
        return dispatch(result, handlers, catalogue=self.catalogue)


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
                         device=args.device, max_new_tokens=args.max_new_tokens)
    if args.request is not None:
        print(json.dumps(router.route(args.request).to_dict(), ensure_ascii=False))
        return 0
    # One request per line, answered as it arrives: works interactively and behind a pipe.
    for line in sys.stdin:
        request = line.rstrip("\r\n")
        if request.strip():
            print(json.dumps(router.route(request).to_dict(), ensure_ascii=False), flush=True)
    return 0


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="toolrouter route",
        description="Route requests with a trained run; prints one JSON result per request "
                    '({"kind": "call"|"no_tool"|"invalid", ...}).')
    add_arguments(parser)
    return command(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(run_cli(main))
