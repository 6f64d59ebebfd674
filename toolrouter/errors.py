"""User-facing errors and the one place they are rendered.

    raise ToolrouterError("recipes/x.yaml: training.lr: must be > 0 (got -1)")   # exit 2, no traceback
    lines = validation_lines("recipes/x.yaml", err, Recipe)    # a Pydantic ValidationError, one line each
    yaml_message("banks/x.yaml", err)                          # "banks/x.yaml: not valid YAML at line 3: ..."

Every bad input ends as one ToolrouterError whose message names the file, the place and the fix;
`run_cli` prints it as `error: MESSAGE` and returns 2. Pydantic problems are written as
`SOURCE: key.path: message (got VALUE)`, an unknown key lists the keys allowed there. Pure module:
it imports nothing of toolrouter, so every layer can use it.
"""
from __future__ import annotations

import sys
from typing import Any, Callable, Optional


class ToolrouterError(Exception):
    """A user-facing error: the CLI prints its message and exits 2, without a traceback."""


def run_cli(main: Callable, argv=None) -> int:
    """Run a command's main(argv): a ToolrouterError becomes one message on stderr and exit 2."""
    try:
        return main(argv) or 0
    except ToolrouterError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except RecursionError:  # a last net: every reader checks nesting itself, naming the file
        print("error: an input is nested too deeply to process (Python's recursion limit); look for a JSON "
              "value nested hundreds of levels deep in the files given, and flatten it", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _section(annotation: Any) -> tuple[Optional[type], int]:
    """The Pydantic model inside a field's annotation and how many container levels (a dict key, a
    list index) stand between: Model -> 0, Optional[Model] -> 0, dict[str, Model] -> 1, dict[str, list[Model]] -> 2."""
    from typing import Union, get_args, get_origin

    from pydantic import BaseModel

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, 0
    origin, args = get_origin(annotation), get_args(annotation)
    if origin in (dict, list, tuple, set, frozenset) and args:
        model, depth = _section(args[-1])
        return (model, depth + 1) if model else (None, 0)
    if origin is Union or type(annotation).__name__ == "UnionType":
        for arg in args:
            model, depth = _section(arg)
            if model:
                return model, depth
    return None, 0


def _model_at(model: Any, loc: tuple) -> Optional[type]:
    """The Pydantic model of the section at `loc` under `model` (for listing the keys allowed there)."""
    parts = list(loc)
    while parts:
        field = model.model_fields.get(parts[0]) if isinstance(parts[0], str) else None
        if field is None:
            return None
        model, depth = _section(field.annotation)
        if model is None or len(parts) < depth + 1:
            return None
        parts = parts[depth + 1:]
    return model


def validation_lines(source: str, error, model: Optional[type] = None,
                     overrides: Optional[dict[str, str]] = None) -> list[str]:
    """One line per problem of a Pydantic ValidationError: `SOURCE: key.path: message (got VALUE)`
    (no `SOURCE: ` when source is empty).
    With `model` (the validated class) an unknown key lists the keys allowed at its place; a key
    set by an override (`overrides`: dotted key -> the override text) says so."""
    lines = []
    for err in error.errors(include_url=False):
        loc = ".".join(str(p) for p in err["loc"]) or "(top level)"
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            parent = _model_at(model, err["loc"][:-1]) if model is not None else None
            allowed = ", ".join(parent.model_fields) if parent else ""
            msg = f"unknown key; allowed here: {allowed}" if allowed else "unknown key"
        elif (err["type"] != "missing" and "input" in err and not isinstance(err["input"], dict)
              and "(got " not in msg):
            msg += f" (got {err['input']!r})"
        line = f"{source}: {loc}: {msg}" if source else f"{loc}: {msg}"
        if overrides and loc in overrides:
            line += f" [from override {overrides[loc]}]"
        lines.append(line)
    return lines


def validation_message(source: str, error, model: Optional[type] = None,
                       overrides: Optional[dict[str, str]] = None, what: str = "the file") -> str:
    """validation_lines joined under a count: the text of the ToolrouterError for a whole file."""
    lines = validation_lines(source, error, model, overrides)
    head = f"{len(lines)} problems in {what}:\n" if len(lines) > 1 else ""
    return head + "\n".join(lines)


def yaml_message(source: str, error) -> str:
    """`SOURCE: not valid YAML at line N: problem` for a yaml.YAMLError."""
    mark = getattr(error, "problem_mark", None)
    where = f" at line {mark.line + 1}" if mark else ""
    return f"{source}: not valid YAML{where}: {getattr(error, 'problem', None) or error}"
