"""The `native` answer format: the base model's own tool-call format, rendered by its chat template.

Rows carry the catalogue in TRL's `tools` column and the answer as an assistant `tool_calls` entry
(arguments as a dict, keys in schema order); the chat template writes both, so the model is trained
on exactly the format it was post-trained on, and a server's tool parser finds its calls. A no_tool
is a plain assistant text answer (the OpenAI convention): its reason is the text.

Two template families, told apart by the chat template text:
  hermes  Qwen2.5 / Qwen3:  <tool_call>\\n{"name": "track_order", "arguments": {"order_id": "ORD-1"}}\\n</tool_call>
          several calls: one block each, "\\n" between them (as the templates write them)
  llama3  Llama 3.1 / 3.2:  {"name": "track_order", "parameters": {"order_id": "ORD-1"}}
          one call a turn: the template raises on more, and so does assistant_message here
Both templates write the arguments with `tojson` (json.dumps with ", " and ": " separators), so the
canonical call text here uses those separators, and the grammar allows exactly that text.

Parsing: the wrapper is recognised here and the JSON body goes through toolrouter.formats.parse's
strict decoder and argument validation, so native answers get the same typed errors (duplicate keys,
huge numbers, wrong types ...) as the JSON envelope. transformers' response parser is lenient by design
(json.loads, last duplicate key wins); it is what the response template (TRL's, for these families)
gives `tokenizer.parse_response` and servers, and tests check that both read the same calls.
"""
from __future__ import annotations

import json
import re
from typing import Optional

from toolrouter.core.catalogue import Catalogue
from toolrouter.core.schema import NO_TOOL, ToolrouterError
from toolrouter.formats.parse import MAX_CALLS, MAX_CHARS, ParseResult, decode, format_call, validate_arguments

# Answer instructions only: the chat template brings the tool list and how to write a call, so this
# text must not describe any answer syntax (it would contradict the template's own instructions).
NATIVE_RULES = ("Call exactly one of the tools when one fits the request. When no tool fits, or a required "
                "argument is missing, do not call a tool: say why in one short sentence.")
NATIVE_MODES = ("template", "baked")
FAMILIES = {
    # family: (text before the call's JSON object, text after it, arguments key, end-of-turn token)
    "hermes": ("<tool_call>\n", "\n</tool_call>", "arguments", "<|im_end|>"),
    "llama3": ("", "", "parameters", "<|eot_id|>"),
}


def template_family(chat_template: Optional[str], base: str = "the base model") -> str:
    """`hermes` or `llama3` from a chat template's text, or one clear error naming the base and the fix."""
    text = chat_template if isinstance(chat_template, str) else (chat_template or {}).get("default", "") \
        if isinstance(chat_template, dict) else ""
    if "<tool_call>" in text and "tool_calls" in text:
        return "hermes"
    if '"parameters": ' in text and "<|eot_id|>" in text and "tool_calls" in text:
        return "llama3"
    why = "it has no chat template" if not text else "its chat template does not render tools and tool calls"
    raise ToolrouterError(
        f"format native needs a base whose chat template renders `tools` and assistant `tool_calls`, but {base}: "
        f"{why}. Use format: json with this base (toolrouter train --recipe NAME format=json), or a base with a "
        "tool-calling template (Qwen2.5/Qwen3 <tool_call>, Llama 3.1/3.2 JSON calls)")


class NativeFormat:
    """The base model's tool-call format (see the module docstring). `family`: hermes or llama3."""

    name = "native"

    def __init__(self, family: str = "hermes"):
        if family not in FAMILIES:
            raise ToolrouterError(f"unknown native template family {family!r}; known: {', '.join(FAMILIES)}")
        self.family = family
        self.open, self.close, self.args_key, self.end_of_turn = FAMILIES[family]
        # Llama 3.1's template raises on more than one tool call in a turn ("This model only supports
        # single tool-calls at once!"); Qwen's write one <tool_call> block per call.
        self.several = family == "hermes"

    # --- prompt ----------------------------------------------------------------------------------
    def system_prompt(self, catalogue: Catalogue, mode: str) -> str:
        check_mode(mode)
        return "You are a tool router. " + NATIVE_RULES

    def template_tools(self, catalogue: Catalogue, mode: str) -> Optional[list[dict]]:
        check_mode(mode)
        return catalogue.to_openai() if mode == "template" else None

    # --- training targets --------------------------------------------------------------------------
    def assistant_message(self, target, catalogue: Catalogue) -> dict:
        """The assistant message of a target: a no_tool is plain text, calls are `tool_calls` (several
        calls: several entries, in order; a family whose template says one call at most refuses)."""
        if isinstance(target, dict) and target["tool"] == NO_TOOL:
            return {"role": "assistant", "content": target.get("reason", "")}
        calls = target if isinstance(target, list) else [target]
        if len(calls) > 1 and not self.several:
            raise ToolrouterError(
                f"format native ({self.family}): the {self.family} chat template writes one tool call per assistant "
                f"turn, and this target has {len(calls)}. Use format: json (a list of calls), or a hermes-family "
                "base (Qwen2.5/Qwen3), whose template writes several <tool_call> blocks")
        entries = []
        for call in calls:
            # Schema key order, as format_call writes it; a dict, never a string (templates `tojson` it).
            arguments = json.loads(format_call(call["tool"], call.get("arguments", {}), catalogue))["arguments"]
            entries.append({"type": "function", "function": {"name": call["tool"], "arguments": arguments}})
        return {"role": "assistant", "content": "", "tool_calls": entries}

    def target_of(self, message: dict):
        """The target of an assistant message: one call, a list of calls (several `tool_calls`), or a
        no_tool whose reason is the text."""
        calls = []
        for entry in message.get("tool_calls") or []:
            fn = entry["function"]
            args = fn.get("arguments", {})
            calls.append({"tool": fn["name"], "arguments": json.loads(args) if isinstance(args, str) else args})
        if not calls:
            return {"tool": NO_TOOL, "reason": message.get("content") or ""}
        return calls[0] if len(calls) == 1 else calls

    def answer_text(self, target, catalogue: Catalogue) -> str:
        """What the chat template writes for the target after the generation prompt, end-of-turn excluded
        (several hermes calls: one <tool_call> block each, a newline between them, as Qwen's templates)."""
        message = self.assistant_message(target, catalogue)
        if "tool_calls" not in message:
            return message["content"]
        return "\n".join(self.open + '{"name": ' + json.dumps(e["function"]["name"], ensure_ascii=False)
                         + f', "{self.args_key}": ' + json.dumps(e["function"]["arguments"], ensure_ascii=False)
                         + "}" + self.close for e in message["tool_calls"])

    # --- parsing -------------------------------------------------------------------------------------
    def parse(self, text, catalogue: Catalogue) -> ParseResult:
        """A validated call, a no_tool (any plain text), or a typed invalid. Never raises."""
        if not isinstance(text, str):
            return _invalid("not_json", f"expected text, got {type(text).__name__}")
        if len(text) > MAX_CHARS:
            return _invalid("too_long", f"output is {len(text)} characters (limit {MAX_CHARS})")
        stripped = text.strip()
        if not stripped:
            return _invalid("empty", "output is empty")
        if self.family == "llama3":
            if not stripped.startswith("{"):
                return ParseResult(kind="no_tool", tool=NO_TOOL, reason=stripped)
            value, failure = decode(stripped)
            return failure or self._call(value, catalogue)
        if not stripped.startswith("<tool_call>"):
            if "<tool_call>" in stripped:
                return _invalid("bad_envelope", f"text before the tool call: {stripped[:40]!r}")
            return ParseResult(kind="no_tool", tool=NO_TOOL, reason=stripped)
        calls, rest = [], stripped
        while rest.startswith("<tool_call>"):  # one block per call, whitespace between blocks
            if len(calls) == MAX_CALLS:
                return _invalid("bad_call_list", f"more than {MAX_CALLS} tool calls in one answer")
            body = rest[len("<tool_call>"):]
            end = body.find("</tool_call>")
            if end < 0:
                return _invalid("truncated", "the answer ends before </tool_call>")
            value, failure = decode(body[:end])
            result = failure or self._call(value, catalogue)
            if result.kind == "invalid":
                return result if not calls else _invalid(result.error, f"call {len(calls) + 1}: {result.message}",
                                                         result.tool)
            calls.append({"tool": result.tool, "arguments": result.arguments})
            rest = body[end + len("</tool_call>"):].strip()
        if rest:
            return _invalid("trailing_text", f"text after the tool call: {rest[:40]!r}")
        return ParseResult(kind="call", tool=calls[0]["tool"], arguments=calls[0]["arguments"], calls=tuple(calls))

    def _call(self, value, catalogue: Catalogue) -> ParseResult:
        if not isinstance(value, dict):
            return _invalid("not_an_object", f"expected a JSON object, got {type(value).__name__}")
        name = value.get("name")
        if not isinstance(name, str):
            return _invalid("bad_envelope", 'the call needs a "name" key with a string value')
        spec = catalogue.get(name)
        if spec is None:
            return _invalid("unknown_tool", f"no tool named {name[:80]!r} in the catalogue", name)
        extra = set(value) - {"name", self.args_key}
        if extra:
            return _invalid("bad_envelope", f'a call has only "name" and "{self.args_key}"; unexpected keys '
                                            f"{sorted(extra)}", name)
        arguments = value.get(self.args_key)
        if not isinstance(arguments, dict):
            return _invalid("bad_envelope", f'a call needs "{self.args_key}" as a JSON object', name)
        problem = validate_arguments(spec, arguments)
        if problem:
            return _invalid(problem[0], problem[1], name)
        return ParseResult(kind="call", tool=name, arguments=arguments)

    # --- constrained decoding ------------------------------------------------------------------------
    def grammar(self, catalogue: Catalogue) -> str:
        """xgrammar EBNF: one canonical call in the template's wrapper (hermes: 1..MAX_CALLS of them, a
        newline between), or a plain-text no_tool (one line that cannot start a call). The call's JSON
        comes from toolrouter.formats.grammar's builder with the templates' `tojson` separators."""
        from toolrouter.formats.grammar import answer_ebnf

        options = [{"type": "object",
                    "properties": {"name": {"const": s.name}, self.args_key: s.parameters},
                    "required": ["name", self.args_key], "additionalProperties": False} for s in catalogue]
        body = answer_ebnf(catalogue, schema={"anyOf": options}, separators=(", ", ": "))
        body, renamed = re.subn(r"(?m)^root ::= ", "native_call ::= ", body, count=1)
        if not renamed:
            raise ToolrouterError("native grammar: the JSON-schema converter wrote no root rule")
        call = " ".join(json.dumps(x) if x != "native_call" else x for x in (self.open, "native_call", self.close) if x)
        # The no_tool text: one line whose first character cannot open a call ("{" for llama3) nor be a
        # space (templates trim, the parser strips); for hermes no "<" at all, so no `<tool_call>` inside.
        first, rest = (r'[^<\0-\x20]', r'[^<\0-\x1f]') if self.family == "hermes" else (r'[^{\0-\x20]', r'[^\0-\x1f]')
        rules = [f"native_block ::= {call}", f"native_text ::= {first} {rest}*"]
        if self.several:  # 1..MAX_CALLS blocks, "\n" between them, unrolled (see grammar._envelope_rules)
            rules.append("root ::= native_block native_more_1 | native_text")
            rules += [f'native_more_{k} ::= "" | "\\n" native_block'
                      + (f" native_more_{k + 1}" if k < MAX_CALLS - 1 else "") for k in range(1, MAX_CALLS)]
        else:
            rules.append("root ::= native_block | native_text")
        return "\n".join(rules) + "\n" + body

    # --- serving -------------------------------------------------------------------------------------
    def response_template(self, tokenizer=None) -> dict:
        """TRL's response template of the family (what `tokenizer.parse_response` reads). TRL's llama3 one
        only closes a call at `<|eot_id|>`, which decoding (and a server) strips as a special token: here a
        call also closes at the end of the text."""
        import copy

        from trl.chat_template_utils import llama3_template, qwen3_template

        if self.family == "hermes":
            return copy.deepcopy(qwen3_template)
        template = copy.deepcopy(llama3_template)
        template["fields"]["tool_calls"]["close_pattern"] = r"\}(?:<\|eot_id\|>\s*|\s*$)"
        return template

    def to_run(self) -> dict:
        return {"format": self.name, "format_family": self.family}


def check_mode(mode: str) -> None:
    if mode not in NATIVE_MODES:
        raise ToolrouterError(f"format native shows the tools through the chat template (`tools=`), so it needs mode "
                              f"template (or baked, tools in the weights); got mode {mode!r}. Set mode: template, or "
                              "use format: json for modes compact and json")


def _invalid(error: str, message: str, tool: Optional[str] = None) -> ParseResult:
    return ParseResult(kind="invalid", tool=tool, error=error, message=message)
