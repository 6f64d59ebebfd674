"""Model text -> a valid call | no_tool | invalid(typed reason). Never raises on any `str`.

The answer format is exactly one JSON value, whitespace around it allowed:
    {"tool": NAME, "arguments": {...}}      a call (arguments in schema order when we write it)
    [{"tool": ...}, {"tool": ...}]           several calls (2..MAX_CALLS), in the order said
    {"tool": "no_tool", "reason": "..."}    no tool fits, or a required argument is missing
no_tool is never inside a list: an answer calls tools or it does not. `format_call`/`format_calls`/
`format_no_tool` write the canonical form (schema key order, compact separators) that training
targets use and that grammar-constrained decoding produces.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Optional

from pydantic import ValidationError

from toolrouter.core.catalogue import Catalogue
from toolrouter.core.schema import NO_TOOL, ToolrouterError, ToolSpec

# The fixed taxonomy of invalid outputs (each failure is countable by kind).
ERRORS = (
    "empty", "too_long", "not_json", "truncated", "trailing_text", "too_deep", "duplicate_key",
    "non_finite_number", "not_an_object", "bad_envelope", "unknown_tool", "missing_argument",
    "unexpected_argument", "wrong_type", "not_in_choices", "out_of_range", "pattern_mismatch",
    "wrong_length", "not_unique", "invalid_value", "bad_call_list",
)
MAX_CHARS = 100_000  # a routing answer is a few hundred characters; refuse megabytes up front
# An answer nests 3-5 levels ({"arguments": {"area": [...]}}); bounding it keeps every recursive
# step after decoding (null check, validation, re-encoding) far from Python's recursion limit.
MAX_DEPTH = 64
MAX_INT_DIGITS = 100  # no argument needs more; longer integers are refused before int() sees them
# Calls in one answer. A request names a handful of actions ("lock the doors and turn the headlights
# on"); BFCL's parallel cases have 2-4. A bound keeps a looping model's list (and the grammar) finite.
MAX_CALLS = 8


@dataclass(frozen=True)
class ParseResult:
    """What the model answered: kind is "call" (one call or several), "no_tool" or "invalid".

    `calls` holds every call as {"tool", "arguments"}, in the order written; `tool`/`arguments` are the
    first call's, so code that reads one call keeps working. A call result built with only `tool` and
    `arguments` gets `calls` filled in."""

    kind: str
    tool: Optional[str] = None
    arguments: dict = field(default_factory=dict)  # as given, validated; defaults not filled in
    reason: Optional[str] = None  # the no_tool reason
    error: Optional[str] = None  # one of ERRORS when invalid
    message: str = ""
    calls: tuple = ()  # ({"tool", "arguments"}, ...) when kind is "call"; () otherwise

    def __post_init__(self):
        if self.kind == "call" and not self.calls:
            object.__setattr__(self, "calls", ({"tool": self.tool, "arguments": self.arguments},))

    @property
    def ok(self) -> bool:
        return self.kind != "invalid"

    def to_dict(self) -> dict:
        if self.kind == "call" and len(self.calls) > 1:
            return {"kind": "call", "tool": self.tool, "arguments": self.arguments, "calls": list(self.calls)}
        if self.kind == "call":
            return {"kind": "call", "tool": self.tool, "arguments": self.arguments}
        if self.kind == "no_tool":
            return {"kind": "no_tool", "tool": NO_TOOL, "reason": self.reason}
        return {"kind": "invalid", "tool": self.tool, "error": self.error, "message": self.message}


def _invalid(error: str, message: str, tool: Optional[str] = None) -> ParseResult:
    return ParseResult(kind="invalid", tool=tool, error=error, message=message)


class _Reject(Exception):
    def __init__(self, error: str, message: str):
        self.error, self.message = error, message


def _pairs(pairs: list) -> dict:
    out = {}
    for key, value in pairs:
        if key in out:
            raise _Reject("duplicate_key", f"key {key!r} appears twice in one object")
        out[key] = value
    return out


def _constant(name: str) -> Any:
    raise _Reject("non_finite_number", f"{name} is not a JSON number")


def _int(text: str) -> int:
    if len(text) > MAX_INT_DIGITS + 1:  # + 1 for a minus sign
        raise _Reject("non_finite_number", f"integer with {len(text.lstrip('-'))} digits is out of range")
    return int(text)


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _Reject("non_finite_number", f"number {text[:20]}... overflows a float")
    return value


_DECODER = json.JSONDecoder(object_pairs_hook=_pairs, parse_constant=_constant, parse_float=_float,
                            parse_int=_int)


def _too_deep(value: Any) -> bool:
    """True when containers nest more than MAX_DEPTH levels (iterative: no recursion to overflow)."""
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, (dict, list)):
            if depth > MAX_DEPTH:
                return True
            stack.extend((child, depth + 1) for child in (node.values() if isinstance(node, dict) else node))
    return False


def _looks_truncated(text: str) -> bool:
    """True when `text` is a prefix of some JSON value: brackets or a string left open."""
    stack, in_string, escape = [], False, False
    for ch in text:
        if in_string:
            if escape:
                escape = False
            elif ch == "\\":
                escape = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "{[":
            stack.append(ch)
        elif ch in "}]":
            if not stack or "{[".index(stack.pop()) != "}]".index(ch):
                return False
    return in_string or bool(stack) or text.rstrip().endswith((",", ":"))


def decode(text: Any) -> tuple[Any, Optional[ParseResult]]:
    """Decode one JSON value with the strict rules above; (value, None) or (None, invalid)."""
    if not isinstance(text, str):
        return None, _invalid("not_json", f"expected text, got {type(text).__name__}")
    if len(text) > MAX_CHARS:
        return None, _invalid("too_long", f"output is {len(text)} characters (limit {MAX_CHARS})")
    stripped = text.strip()
    if not stripped:
        return None, _invalid("empty", "output is empty")
    try:
        value, end = _DECODER.raw_decode(stripped)
    except _Reject as e:
        return None, _invalid(e.error, e.message)
    except RecursionError:
        return None, _invalid("too_deep", "JSON nesting is too deep")
    except json.JSONDecodeError as e:
        if _looks_truncated(stripped):
            return None, _invalid("truncated", f"output ends before the JSON value is complete ({e.msg})")
        return None, _invalid("not_json", f"not JSON: {e.msg} at character {e.pos}")
    except (ValueError, OverflowError) as e:  # e.g. an integer with more digits than Python allows
        return None, _invalid("non_finite_number", f"number out of range: {str(e)[:80]}")
    if end != len(stripped):
        return None, _invalid("trailing_text", f"text after the JSON object: {stripped[end:end + 40]!r}")
    if _too_deep(value):
        return None, _invalid("too_deep", f"JSON nesting is deeper than {MAX_DEPTH} levels")
    try:  # a lone surrogate (raw, or escaped as \ud800) is not Unicode text: it cannot be written out
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return None, _invalid("invalid_value", "the answer contains a lone surrogate (not valid Unicode)")
    return value, None


_PYDANTIC_KINDS = {
    "missing": "missing_argument", "extra_forbidden": "unexpected_argument",
    "literal_error": "not_in_choices", "enum": "not_in_choices",
    "greater_than": "out_of_range", "greater_than_equal": "out_of_range",
    "less_than": "out_of_range", "less_than_equal": "out_of_range",
    "string_pattern_mismatch": "pattern_mismatch",
    "string_too_short": "wrong_length", "string_too_long": "wrong_length",
    "too_short": "wrong_length", "too_long": "wrong_length",
}


def _error_kind(pydantic_type: str) -> str:
    if pydantic_type in _PYDANTIC_KINDS:
        return _PYDANTIC_KINDS[pydantic_type]
    if pydantic_type.endswith(("_type", "_parsing")) or pydantic_type in ("model_attributes_type", "dict_type"):
        return "wrong_type"
    return "invalid_value"


def validate_arguments(spec: ToolSpec, arguments: dict) -> Optional[tuple[str, str]]:
    """None when `arguments` is valid for `spec`, else (error kind, message) of the first problem."""
    # More keys than the schema has properties: some key is unexpected. Said before the walks below,
    # whose cost grows with the keys (an 84 kB answer of 5,000 keys took 11 ms, now ~5).
    props = spec.parameters.get("properties", {})
    if isinstance(arguments, dict) and len(arguments) > len(props):
        key = next(k for k in arguments if k not in props)
        return "unexpected_argument", f"{spec.name}: unexpected key {str(key)[:80]!r}"
    null = _null_path(spec.parameters, arguments, spec.name)
    if null:  # Pydantic's Optional fields take null anywhere; the schema says where null may stand
        return "wrong_type", f"{null}: null is not a value here; only an optional argument without a default may be null"
    try:
        # JSON mode + strict: "5" is not an int, 5.0 is not an int, true is not an int; enums by value.
        spec.model.model_validate_json(json.dumps(arguments), strict=True)
    except ValidationError as e:
        err = e.errors(include_url=False)[0]
        where = ".".join(str(p) for p in err["loc"]) or "arguments"
        return _error_kind(err["type"]), f"{spec.name}: {where}: {err['msg']}"
    except (ValueError, TypeError) as e:  # e.g. lone surrogates cannot be encoded
        return "invalid_value", f"{spec.name}: {str(e)[:120]}"
    extra = _extra_keys(spec.parameters, arguments, spec.name)
    if extra:
        return "unexpected_argument", extra
    choice = _choice_type_path(spec.parameters, arguments, spec.name)
    if choice:
        return "wrong_type", choice
    dup = _duplicate_items(spec.parameters, arguments, spec.name)
    return ("not_unique", dup) if dup else None


def _extra_keys(schema: dict, value: Any, where: str) -> Optional[str]:
    """Keys the schema does not list, at any depth: a nested plain BaseModel ignores extras, but the
    schema says additionalProperties: false, and a JSON-loaded catalogue must judge the same."""
    if isinstance(value, dict) and "properties" in schema:
        props = schema["properties"]
        for key, sub in value.items():
            if key not in props:
                return f"{where}: unexpected key {str(key)[:80]!r}"
            found = _extra_keys(props[key], sub, f"{where}.{key}")
            if found:
                return found
    elif isinstance(value, list):
        for item in value:
            found = _extra_keys(schema.get("items", {}), item, f"{where}[]")
            if found:
                return found
    return None


def _null_path(schema: dict, value: Any, where: str, nullable: bool = False) -> Optional[str]:
    """Where a null stands that the schema does not allow, else None. Null may only be the value
    of an optional argument with no default or a null default (Optional[X] = None, "default": null),
    and there it means "omitted"; anything goes inside a free-form object (dict[str, Any])."""
    if value is None:
        return None if nullable else where
    if isinstance(value, dict):
        if schema.get("type") == "object" and not schema.get("properties"):
            return None
        props, required = schema.get("properties", {}), set(schema.get("required", []))
        for key, sub in value.items():
            sub_schema = props.get(key, {})
            found = _null_path(sub_schema, sub, f"{where}.{key}",
                               key not in required and sub_schema.get("default") is None)
            if found:
                return found
    elif isinstance(value, list):
        for item in value:
            found = _null_path(schema.get("items", {}), item, f"{where}[]")
            if found:
                return found
    return None


_JSON_KINDS = ((bool, "boolean"), (int, "integer"), (float, "number"), (str, "string"))


def _json_kind(value: Any) -> Optional[str]:
    return next((kind for cls, kind in _JSON_KINDS if isinstance(value, cls)), None)


def _choice_type_path(schema: dict, value: Any, where: str) -> Optional[str]:
    """A choice given with another JSON type than the choice it equals, else None. Pydantic's
    Literal compares with ==, so 2.0 and true pass for the choice 2 (and 1 for true); a choice
    matches only its own type, except that a "number" choice takes an integer (1 for 1.0)."""
    if "enum" in schema and value is not None and not isinstance(value, (dict, list)):
        kind = _json_kind(value)
        for choice in schema["enum"]:
            same = _json_kind(choice) == kind or (schema.get("type") == "number"
                                                  and {kind, _json_kind(choice)} == {"integer", "number"})
            if choice == value and same:
                return None
        return f"{where}: {json.dumps(value)[:80]} has type {kind}; the choices are {json.dumps(schema['enum'])[:120]}"
    if isinstance(value, dict):
        for key, sub in schema.get("properties", {}).items():
            found = _choice_type_path(sub, value[key], f"{where}.{key}") if key in value else None
            if found:
                return found
    elif isinstance(value, list):
        for item in value:
            found = _choice_type_path(schema.get("items", {}), item, f"{where}[]")
            if found:
                return found
    return None


def _duplicate_items(schema: dict, value: Any, where: str) -> Optional[str]:
    """Order-free lists (uniqueItems) must not repeat an element; Pydantic lists don't check it."""
    if isinstance(value, dict):
        for key, sub in schema.get("properties", {}).items():
            if key in value:
                found = _duplicate_items(sub, value[key], f"{where}.{key}")
                if found:
                    return found
    elif isinstance(value, list):
        if schema.get("uniqueItems"):
            seen = [json.dumps(v, sort_keys=True) for v in value]
            if len(set(seen)) != len(seen):
                return f"{where}: items must be unique"
        for item in value:
            found = _duplicate_items(schema.get("items", {}), item, f"{where}[]")
            if found:
                return found
    return None


def parse_tool_call(text: Any, catalogue: Catalogue) -> ParseResult:
    """Read a model's answer against `catalogue`: a validated call (or list of calls), a no_tool, or
    a typed invalid.

    Never raises: every failure is a ParseResult with kind "invalid", an `error` from ERRORS and a
    readable `message`. Arguments are validated strictly (no coercion) and returned as given. A list
    answer is valid only when every item is a valid call; its first failure is the answer's."""
    value, failure = decode(text)
    if failure:
        return failure
    if isinstance(value, list):
        return read_call_list(value, catalogue, validate=True)
    result = read_envelope(value, catalogue)
    if result.kind != "call":
        return result
    problem = validate_arguments(catalogue[result.tool], result.arguments)
    if problem:
        return _invalid(problem[0], problem[1], result.tool)
    return result


def read_envelope(value: Any, catalogue: Catalogue) -> ParseResult:
    """The answer's envelope, checked: a no_tool with its reason, an invalid (not an object, no
    "tool", an unknown tool, extra keys, "arguments" not an object), or a call to a tool of
    `catalogue` whose arguments are NOT validated yet (parse_tool_call does that next). The eval
    checks gold targets with it too, so both read an answer the same way."""
    if not isinstance(value, dict):
        return _invalid("not_an_object", f"expected a JSON object, got {type(value).__name__}")
    tool = value.get("tool")
    if not isinstance(tool, str):
        return _invalid("bad_envelope", 'the object needs a "tool" key with a string value')
    if tool == NO_TOOL:
        extra = set(value) - {"tool", "reason"}
        if extra:
            return _invalid("bad_envelope", f"no_tool takes only a reason; unexpected keys {sorted(extra)}", tool)
        reason = value.get("reason", "")
        if not isinstance(reason, str):
            return _invalid("bad_envelope", "the no_tool reason must be a string", tool)
        return ParseResult(kind="no_tool", tool=NO_TOOL, reason=reason)
    if catalogue.get(tool) is None:
        return _invalid("unknown_tool", f"no tool named {tool[:80]!r} in the catalogue", tool)
    extra = set(value) - {"tool", "arguments"}
    if extra:
        return _invalid("bad_envelope", f"a call has only \"tool\" and \"arguments\"; unexpected keys {sorted(extra)}", tool)
    arguments = value.get("arguments")
    if not isinstance(arguments, dict):
        return _invalid("bad_envelope", 'a call needs "arguments" as a JSON object ({} when there are none)', tool)
    return ParseResult(kind="call", tool=tool, arguments=arguments)


def read_call_list(value: list, catalogue: Catalogue, validate: bool = True) -> ParseResult:
    """A list answer: 1..MAX_CALLS calls (no no_tool among them), each checked like a single answer
    (its arguments validated when `validate`). The result's `calls` are all of them, `tool`/`arguments`
    the first's. A one-item list reads as that one call; the canonical form of one call is the bare
    object, and only targets (checked by the eval and the data) insist on it."""
    if not value:
        return _invalid("bad_call_list", "an empty list of calls; answer no_tool when no tool fits")
    if len(value) > MAX_CALLS:
        return _invalid("bad_call_list", f"{len(value)} calls in one answer (at most {MAX_CALLS})")
    calls = []
    for i, item in enumerate(value, 1):
        result = read_envelope(item, catalogue)
        if result.kind == "no_tool":
            return _invalid("bad_call_list", f"call {i}: no_tool cannot stand in a list of calls; answer it alone",
                            NO_TOOL)
        if result.kind == "call" and validate:
            problem = validate_arguments(catalogue[result.tool], result.arguments)
            if problem:
                result = _invalid(problem[0], problem[1], result.tool)
        if result.kind == "invalid":
            return _invalid(result.error, f"call {i} of {len(value)}: {result.message}", result.tool)
        calls.append({"tool": result.tool, "arguments": result.arguments})
    return ParseResult(kind="call", tool=calls[0]["tool"], arguments=calls[0]["arguments"], calls=tuple(calls))


# ---------------------------------------------------------------------------------------------
# canonical form

def _ordered(schema: dict, value: Any) -> Any:
    if isinstance(value, dict) and "properties" in schema:
        props = schema["properties"]
        keys = [k for k in props if k in value] + [k for k in value if k not in props]
        return {k: _ordered(props.get(k, {}), value[k]) for k in keys}
    if isinstance(value, list):
        return [_ordered(schema.get("items", {}), v) for v in value]
    return value


def canonical_json(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def format_call(tool: str, arguments: Mapping, catalogue: Catalogue) -> str:
    """The canonical text of a call: keys in schema order, compact separators."""
    spec = catalogue[tool]
    return canonical_json({"tool": tool, "arguments": _ordered(spec.parameters, dict(arguments))})


def format_calls(calls: list, catalogue: Catalogue) -> str:
    """The canonical text of an answer of calls ({"tool", "arguments"} each): one call is the bare
    object (format_call), several are a JSON array of canonical call objects, compact separators."""
    calls = list(calls)
    if not calls:
        raise ToolrouterError("format_calls: no calls to write (a no_tool answer is format_no_tool)")
    if len(calls) > MAX_CALLS:
        raise ToolrouterError(f"format_calls: {len(calls)} calls in one answer (at most {MAX_CALLS})")
    texts = [format_call(c["tool"], c.get("arguments", {}), catalogue) for c in calls]
    return texts[0] if len(texts) == 1 else "[" + ",".join(texts) + "]"


def format_no_tool(reason: str) -> str:
    return canonical_json({"tool": NO_TOOL, "reason": reason})


def format_result(result: ParseResult, catalogue: Catalogue) -> str:
    if result.kind == "call":
        return format_calls(result.calls, catalogue)
    if result.kind == "no_tool":
        return format_no_tool(result.reason or "")
    raise ToolrouterError(f"cannot format an invalid result ({result.error})")


# ---------------------------------------------------------------------------------------------
# dispatch

class DispatchError(ToolrouterError):
    pass


def dispatch(result: ParseResult, handlers: Mapping[str, Callable[..., Any]], catalogue: Optional[Catalogue] = None) -> Any:
    """Call the handler registered for a valid call with its validated arguments (defaults filled
    in by the tool's model) and return what it returns. Refuses no_tool, invalid output, an answer
    of several calls (dispatch_all runs those) and tools without a handler with a DispatchError that
    says which."""
    if result.kind == "call" and len(result.calls) > 1:
        raise DispatchError(f"the router answered {len(result.calls)} calls; dispatch runs one: use dispatch_all")
    return dispatch_all(result, handlers, catalogue)[0]


def dispatch_all(result: ParseResult, handlers: Mapping[str, Callable[..., Any]],
                 catalogue: Optional[Catalogue] = None) -> list:
    """Run every call of a valid answer in order (as dispatch does one) and return the handlers'
    results as a list. Every call's handler is looked up before any runs, so a missing handler
    refuses the whole answer instead of running half of it."""
    if result.kind == "no_tool":
        raise DispatchError(f"no tool to dispatch: the router answered no_tool ({result.reason!r})")
    if result.kind != "call":
        raise DispatchError(f"refusing to dispatch invalid output ({result.error}: {result.message})")
    for call in result.calls:
        if call["tool"] not in handlers:
            raise DispatchError(f"no handler registered for tool {call['tool']!r}; "
                                f"handlers exist for: {', '.join(sorted(handlers)) or 'none'}")
    out = []
    for call in result.calls:
        kwargs = dict(call["arguments"])
        if catalogue is not None and call["tool"] in catalogue:
            model = catalogue[call["tool"]].model.model_validate_json(json.dumps(call["arguments"]), strict=True)
            kwargs = {f.alias or name: getattr(model, name) for name, f in type(model).model_fields.items()}
        out.append(handlers[call["tool"]](**kwargs))
    return out
