"""The `json` answer format: one canonical JSON object as the assistant's text.

    {"tool":"track_order","arguments":{"order_id":"ORD-1234"}}
    [{"tool":"lock_doors","arguments":{"lock_state":"lock"}},{"tool":"toggle_headlights","arguments":{"light_state":"on"}}]
    {"tool":"no_tool","reason":"greeting"}

The default, and the only format the tiny scratch base (whose template renders no tool calls) and
baked mode can use. Everything here wraps toolrouter.formats.parse (the strict parser and the
canonical writer) and toolrouter.formats.grammar (the answer grammar); this module adds no parsing
of its own. The response template is ours because the envelope is ours: it maps a call to an
OpenAI `tool_calls` entry and a no_tool to plain `content` (its reason).
"""
from __future__ import annotations

import json
from typing import Optional

from toolrouter.core.catalogue import Catalogue
from toolrouter.core.schema import NO_TOOL
from toolrouter.formats.parse import ParseResult, format_calls, format_no_tool, parse_tool_call

# End-of-turn tokens a decoded answer may still carry (when decoded with special tokens kept).
_END = r"(?:<\|im_end\|>|<\|eot_id\|>|<\|end\|>|<end_of_turn>|<\|endoftext\|>)?\s*$"
DEFAULT_ANCHOR = "<|im_start|>assistant\n"


def generation_prompt(tokenizer) -> str:
    """The text a chat template adds for `add_generation_prompt=True` (e.g. `<|im_start|>assistant\\n`):
    where an answer starts, which a response template needs as its start anchor."""
    conv = [{"role": "user", "content": "x"}]
    try:
        with_prompt = tokenizer.apply_chat_template(conv, add_generation_prompt=True, tokenize=False)
        without = tokenizer.apply_chat_template(conv, tokenize=False)
    except Exception:  # a template that refuses this conversation: fall back to ChatML's header
        return DEFAULT_ANCHOR
    return with_prompt[len(without):] if with_prompt.startswith(without) and with_prompt != without else DEFAULT_ANCHOR


class JsonFormat:
    """Today's canonical envelope (see the module docstring)."""

    name = "json"

    def system_prompt(self, catalogue: Catalogue, mode: str) -> str:
        return catalogue.render(mode)

    def template_tools(self, catalogue: Catalogue, mode: str) -> Optional[list[dict]]:
        return catalogue.template_tools(mode)

    def answer_text(self, target, catalogue: Catalogue) -> str:
        """The canonical text of a target: what the model is trained to write (a list target: the JSON
        array of its calls)."""
        if isinstance(target, dict) and target["tool"] == NO_TOOL:
            return format_no_tool(target.get("reason", ""))
        return format_calls(target if isinstance(target, list) else [target], catalogue)

    def assistant_message(self, target, catalogue: Catalogue) -> dict:
        return {"role": "assistant", "content": self.answer_text(target, catalogue)}

    def target_of(self, message: dict):
        """The target an assistant message says: a call or no_tool dict, or a list of calls."""
        return json.loads(message["content"])

    def parse(self, text, catalogue: Catalogue) -> ParseResult:
        return parse_tool_call(text, catalogue)

    def grammar(self, catalogue: Catalogue) -> Optional[str]:
        """None: toolrouter.formats.grammar's own answer grammar (compile_grammar's default)."""
        return None

    def response_template(self, tokenizer=None) -> dict:
        """A transformers `response_template`: a call becomes `tool_calls` (arguments as an object), a
        no_tool becomes `content` (its reason); text that is neither lands in `unparsed`. A list of calls
        gives one `tool_calls` entry per call: the `[` opens the first call, and a call closes at its `}`
        followed by `,` and the next call, by `]` and the end, or by the end."""
        anchor = generation_prompt(tokenizer) if tokenizer is not None else DEFAULT_ANCHOR
        tool = r'\{\s*"tool"\s*:\s*'
        return {
            "defaults": {"role": "assistant"},
            "start_anchor": anchor,
            "fields": {
                "tool_calls": {
                    "open_pattern": r"\[?\s*" + tool + rf'"(?P<name>(?!{NO_TOOL}")[^"]+)"\s*,\s*"arguments"\s*:\s*',
                    "close_pattern": r"\}(?:\s*,\s*(?=" + tool + r")|\s*\]" + _END + "|" + _END + ")",
                    "repeats": True,
                    "content": "json",
                    "transform": {"type": "function", "function": {"name": "{name}", "arguments": "{content}"}},
                },
                "content": {
                    "open_pattern": tool + rf'"{NO_TOOL}"\s*,\s*"reason"\s*:\s*',
                    "close_pattern": r"\}" + _END,
                    "content": "json",
                },
                "unparsed": {"close_pattern": r"(?:<\|im_end\|>|<\|eot_id\|>)\s*"},
            },
        }

    def to_run(self) -> dict:
        return {"format": self.name}

