"""`toolrouter …`: the command line. Nothing imports this module.

Each command's heavy imports live inside it, so `toolrouter --help` is instant. Commands with
many options (data, train, merge, eval, route) own their argument parsers in their modules and are
also runnable as `python -m toolrouter.<module>` (what `accelerate launch -m` needs).
"""
from __future__ import annotations

import argparse
import json
import sys

DELEGATED = {  # command -> (module, function)
    "data": ("toolrouter.data.pipeline", "main"),
    "train": ("toolrouter.train.trainer", "main"),
    "merge": ("toolrouter.train.trainer", "merge_main"),
    "eval": ("toolrouter.eval.evaluate", "main"),
    "route": ("toolrouter.serve.router", "main"),
    "bank": ("toolrouter.data.draft", "main"),
}
SUMMARY = """commands:
  catalogue list|show|export|validate   inspect, render and check tool catalogues
  data build|import                     make or import verified SFT data
  bank draft CATALOGUE [--out FILE]     write a starter phrasing bank drafted from the schema
  train --recipe NAME [key=value ...]   fine-tune a router from a YAML recipe
  merge RUN                             merge a run's adapter into a full model (safetensors)
  eval --gold FILE (--model|--predictions|--run)   score a router; exit 1 under a threshold
  route --run RUN ["request"]           route requests with a trained run (stdin if none)

Run `toolrouter COMMAND --help` for a command's options."""


def catalogue_main(argv: list[str]) -> int:
    from toolrouter import load_catalogue
    from toolrouter.core.catalogue import MODES, builtin_names

    parser = argparse.ArgumentParser(prog="toolrouter catalogue", description="Inspect tool catalogues.")
    sub = parser.add_subparsers(dest="action", required=True)
    sub.add_parser("list", help="list the built-in catalogues")
    show = sub.add_parser("show", help="print the system prompt of a catalogue")
    show.add_argument("name", help="built-in name or path (.py module or OpenAI-style .json)")
    show.add_argument("--mode", choices=MODES, default="compact")
    export = sub.add_parser("export", help="print the catalogue as JSON")
    export.add_argument("name")
    export.add_argument("--format", choices=("openai", "jsonschema"), default="openai",
                        help="openai: tool definitions; jsonschema: the schema of one answer")
    validate = sub.add_parser("validate", help="check a catalogue file; lists every problem")
    validate.add_argument("path")
    args = parser.parse_args(argv)

    if args.action == "list":
        for name in builtin_names():
            cat = load_catalogue(name)
            print(f"{name}\t{len(cat)} tools: {', '.join(cat.names)}")
    elif args.action == "show":
        print(load_catalogue(args.name).render(args.mode))
    elif args.action == "export":
        cat = load_catalogue(args.name)
        out = cat.to_openai() if args.format == "openai" else cat.answer_schema()
        print(json.dumps(out, indent=2, ensure_ascii=False))
    else:
        cat = load_catalogue(args.path)
        print(f"ok: {args.path}: {len(cat)} tools ({', '.join(cat.names)})")
    return 0


def main(argv: list[str] | None = None) -> int:
    from importlib import import_module

    from toolrouter.core.schema import run_cli

    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print("usage: toolrouter COMMAND [options]\n\n" + SUMMARY)
        return 0 if argv else 2
    command, rest = argv[0], argv[1:]
    if command == "catalogue":
        return run_cli(catalogue_main, rest)
    if command in DELEGATED:
        module, func = DELEGATED[command]
        return run_cli(getattr(import_module(module), func), rest)
    print(f"toolrouter: unknown command {command!r}\n\n{SUMMARY}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
