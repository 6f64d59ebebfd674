"""Conversation history written format-neutrally (gold files' `messages`) and back.

A gold case's earlier assistant turns are OpenAI-style messages (`tool_calls`, or text for a spoken
reply or a no_tool); `format_history` renders them as the run's answer format writes an answer, so
the history a model is evaluated on looks like what it was trained on. Pure (no torch); used by
data (gold splits, import), eval (gold cases) and the copy constraint (values from earlier calls).
"""
from __future__ import annotations

import json

from toolrouter.core.schema import NO_TOOL
from toolrouter.formats import calls_of


# ---------------------------------------------------------------------------------------------
# format-neutral history (gold files) and back

def openai_message(target) -> dict:
    """A target as an OpenAI-style assistant message: `tool_calls` for calls, text for a no_tool."""
    calls = calls_of(target)
    if not calls:
        return {"role": "assistant", "content": target.get("reason", "")}
    return {"role": "assistant", "content": "", "tool_calls": [
        {"type": "function", "function": {"name": c["tool"], "arguments": c.get("arguments", {})}} for c in calls]}


def target_of_openai(message: dict):
    """An OpenAI-style assistant message as a target: its tool_calls (one call, or a list of several),
    else a no_tool whose reason is the text. Arguments given as JSON text are decoded."""
    calls = []
    for call in message.get("tool_calls") or []:
        fn = call.get("function") if isinstance(call, dict) else None
        if not isinstance(fn, dict) or not isinstance(fn.get("name"), str):
            raise ValueError('a tool call needs {"function": {"name": ..., "arguments": ...}}')
        args = fn.get("arguments", {})
        if isinstance(args, str):
            args = json.loads(args) if args.strip() else {}
        if not isinstance(args, dict):
            raise ValueError(f"{fn['name']}: arguments must be a JSON object")
        calls.append({"tool": fn["name"], "arguments": args})
    if not calls:
        return {"tool": NO_TOOL, "reason": message.get("content") or ""}
    return calls[0] if len(calls) == 1 else calls


def gold_messages(row: dict, fmt) -> list[dict]:
    """A data row's turns before its answer, system prompt excluded, with earlier answers written
    format-neutrally (openai_message): what a gold case's `messages` holds."""
    out = []
    for m in row["messages"][1:-1]:
        if m["role"] == "assistant":
            out.append(openai_message(fmt.target_of(m)))
        else:
            out.append({"role": m["role"], "content": m["content"]})
    return out


def format_history(turns: list[dict], fmt, catalogue) -> list[dict]:
    """Gold turns for a model: each earlier assistant message (OpenAI style) rendered as the answer
    format writes an answer, so the history looks like what the model was trained on."""
    return [fmt.assistant_message(target_of_openai(m), catalogue) if m.get("role") == "assistant"
            and not _answer_text(m) else m for m in turns]


def _answer_text(message: dict) -> bool:
    """True when an assistant message's text is already an answer envelope ({"tool": ...}): kept as it is."""
    content = message.get("content")
    if message.get("tool_calls") or not isinstance(content, str) or not content.lstrip().startswith(("{", "[")):
        return False
    try:
        value = json.loads(content)
    except json.JSONDecodeError:
        return False
    return isinstance(value, dict) and "tool" in value or isinstance(value, list) and all(
        isinstance(v, dict) and "tool" in v for v in value)
