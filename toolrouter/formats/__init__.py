"""Answer formats: everything that knows what a router's answer looks like (see formats/base.py).

    fmt = get_format("json")                       # the canonical envelope (default)
    fmt = get_format("native", tokenizer)          # the base's own tool calls; family from its chat template
    fmt = format_of_run(run_json, tokenizer)       # what a run dir was trained with

A target (a data row's answer, a gold case's `target`) is one of
    {"tool": NAME, "arguments": {...}}                 one call
    {"tool": "no_tool", "reason": "..."}               no call
    [{"tool": ..., "arguments": ...}, ...]             several calls (2..MAX_CALLS), in the order said
and `calls_of(target)` gives its calls as a list ([] for no_tool) whichever it is.
"""
from __future__ import annotations

from typing import Optional

from toolrouter.core.schema import NO_TOOL, ToolrouterError

FORMATS = ("json", "native")


def get_format(name: str = "json", tokenizer=None, base: str = "the base model", family: Optional[str] = None):
    """The answer-format object `name`. `native` needs its template family: given, or read from
    `tokenizer`'s chat template (one clear error naming `base` when that template cannot render tools)."""
    if name == "json":
        from toolrouter.formats.json_format import JsonFormat

        return JsonFormat()
    if name == "native":
        from toolrouter.formats.native import NativeFormat, template_family

        if family is None:
            family = template_family(getattr(tokenizer, "chat_template", None), base) if tokenizer is not None \
                else "hermes"
        return NativeFormat(family)
    raise ToolrouterError(f"unknown answer format {name!r}; choose one of: {', '.join(FORMATS)}")


def format_of_run(run: Optional[dict], tokenizer=None):
    """The format a run was trained with (run.json's `format`, json for runs from before formats)."""
    run = run or {}
    return get_format(run.get("format") or "json", tokenizer, family=run.get("format_family"))


def calls_of(target) -> list[dict]:
    """The call dicts of a target: [] for a no_tool, [target] for one call, the list for several."""
    if isinstance(target, list):
        return list(target)
    if target.get("tool") == NO_TOOL:
        return []
    return [target]


def target_of_row(row: dict):
    """A data row's target ({"tool", "arguments"}, {"tool": "no_tool", "reason"} or a list of calls),
    whatever its format: native rows say so in their meta and answer with `tool_calls` or plain text."""
    fmt = get_format((row.get("meta") or {}).get("format") or "json")
    return fmt.target_of(row["messages"][-1])
