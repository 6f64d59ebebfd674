"""`toolrouter …`: the command line, one argparse tree. Library code never imports this module; a
command module's own `main()` (`python -m toolrouter.train.trainer ...`, what `accelerate launch -m`
runs) calls into it, so there is one parser per command.

Each command's options are declared once, by an `add_arguments(parser)` beside the command's code
(its `command(args)` runs it). Only the module of the command being run is imported, so
`toolrouter --help` stays instant (no torch, no command modules).
"""
from __future__ import annotations

import argparse
import json
import sys
from importlib import import_module
from typing import Optional

from toolrouter.errors import run_cli

# command -> (module, its add_arguments, its command function, one-line help). None: defined below.
COMMANDS = {
    "catalogue": (None, "add_catalogue_arguments", "catalogue_command",
                  "inspect, render and check tool catalogues (list, show, export, validate)"),
    "recipe": (None, "add_recipe_arguments", "recipe_command",
               "list the shipped recipes and print their text or file path (accelerate configs too)"),
    "data": ("toolrouter.data.pipeline", "add_arguments", "command", "make or import verified SFT data (build, import)"),
    "train": ("toolrouter.train.trainer", "add_arguments", "command", "fine-tune a router from a YAML recipe"),
    "merge": ("toolrouter.train.trainer", "add_merge_arguments", "merge_command",
              "merge a run's LoRA adapter into a full model (safetensors)"),
    "eval": ("toolrouter.eval.evaluate", "add_arguments", "command",
             "score a router on a gold set; exit 1 under a threshold"),
    "route": ("toolrouter.serve.router", "add_arguments", "command",
              "route requests with a trained run (stdin if no request is given)"),
    "bank": ("toolrouter.data.draft", "add_arguments", "command",
             "write a starter phrasing bank drafted from a catalogue's schema (draft)"),
    "serve": ("toolrouter.serve.openai_server", "add_arguments", "command",
              "serve a run as an OpenAI-compatible chat-completions endpoint"),
    "export": ("toolrouter.serve.export", "add_arguments", "command",
               "write a run as a plain model folder for vLLM (merged safetensors, tokenizer, response template)"),
}


def add_catalogue_arguments(parser: argparse.ArgumentParser) -> None:
    """`toolrouter catalogue`'s actions and options."""
    from toolrouter.core.catalogue import MODES

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


def catalogue_command(args: argparse.Namespace) -> int:
    from toolrouter.core.catalogue import builtin_names, load_catalogue

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


def add_recipe_arguments(parser: argparse.ArgumentParser) -> None:
    """`toolrouter recipe`'s actions: where a pip install put the recipes and accelerate configs."""
    sub = parser.add_subparsers(dest="action", required=True)
    sub.add_parser("list", help="list the shipped recipes and accelerate configs")
    show = sub.add_parser("show", help="print a shipped recipe's YAML (a starting point for your own)")
    show.add_argument("name", help="recipe name, e.g. support_router_tiny")
    path = sub.add_parser("path", help="print the file path of a recipe or accelerate config, e.g. for "
                                       "`accelerate launch --config_file $(toolrouter recipe path accelerate/ddp)`")
    path.add_argument("name", help="recipe name, or accelerate/<config> (ddp, fsdp)")


def _accelerate_configs() -> list[str]:
    from toolrouter.train.recipe import RECIPES_DIR

    return sorted(f"accelerate/{p.stem}" for p in (RECIPES_DIR / "accelerate").glob("*.yaml"))


def recipe_command(args: argparse.Namespace) -> int:
    from toolrouter.core.schema import ToolrouterError
    from toolrouter.train.recipe import RECIPES_DIR, find_recipe, shipped_recipes

    if args.action == "list":
        for name in shipped_recipes() + _accelerate_configs():
            print(name)
        return 0
    if args.action == "path" and args.name.startswith("accelerate/"):
        path = RECIPES_DIR / f"{args.name}.yaml"
        if not path.is_file():
            raise ToolrouterError(f"accelerate config {args.name!r} not found: shipped are "
                                  f"{', '.join(_accelerate_configs())}")
    else:
        path = find_recipe(args.name)
    print(path.resolve() if args.action == "path" else path.read_text(encoding="utf-8"), end="\n" if args.action == "path" else "")
    return 0


def build_parser(command: Optional[str] = None) -> argparse.ArgumentParser:
    """The command tree; only `command`'s options are added (its module imported), the rest list
    their one-line help."""
    parser = argparse.ArgumentParser(prog="toolrouter", description="Pydantic tools -> a small fine-tuned tool router.",
                                     epilog="Run `toolrouter COMMAND --help` for a command's options.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (module, add, run, summary) in COMMANDS.items():
        p = sub.add_parser(name, help=summary, description=summary[0].upper() + summary[1:])
        if name == command:
            where = import_module(module) if module else sys.modules[__name__]
            getattr(where, add)(p)
            p.set_defaults(_command=getattr(where, run))
    return parser


def main(argv: Optional[list[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(argv[0] if argv and argv[0] in COMMANDS else None)
    if not argv:
        parser.print_help()
        return 2
    args = parser.parse_args(argv)
    return run_cli(lambda _: args._command(args))


if __name__ == "__main__":
    sys.exit(main())
