"""What an answer format is: the one object that knows what a router's answer looks like.

A format owns, for its way of answering:
  - the prompt: the system prompt text (its answer instructions, if any) and the `tools=` list the
    chat template renders;
  - training targets: a target (`{"tool", "arguments"}`, `{"tool": "no_tool", "reason"}`, or a list of
    2..MAX_CALLS calls) becomes the assistant message of a row, and back (`target_of`);
  - the parser: model text -> ParseResult (call(s) | no_tool | invalid with a typed reason), never raising;
  - the grammar of constrained decoding (xgrammar EBNF, canonical form only);
  - the `response_template` that `tokenizer.parse_response` (and a server reading the tokenizer config)
    uses to turn the raw text into an OpenAI-style message with `tool_calls`.

Data, training, eval, generation and routing receive a format and never look inside an answer.
Formats are plain classes with the same methods (no base class to inherit from): `json_format.JsonFormat`
(the canonical envelope) and `native.NativeFormat` (the base model's own tool-call format).
"""
from __future__ import annotations

from typing import Optional, Protocol, Union

from toolrouter.core.catalogue import Catalogue
from toolrouter.formats.parse import ParseResult


class AnswerFormat(Protocol):
    name: str

    def system_prompt(self, catalogue: Catalogue, mode: str) -> str: ...

    def template_tools(self, catalogue: Catalogue, mode: str) -> Optional[list[dict]]: ...

    def assistant_message(self, target: Union[dict, list], catalogue: Catalogue) -> dict: ...

    def target_of(self, message: dict) -> Union[dict, list]: ...

    def answer_text(self, target: Union[dict, list], catalogue: Catalogue) -> str: ...

    def parse(self, text, catalogue: Catalogue) -> ParseResult: ...

    def grammar(self, catalogue: Catalogue) -> str: ...

    def response_template(self) -> dict: ...

    def to_run(self) -> dict: ...
