"""toolrouter.formats.parse: the answer format, the canonical text, strict argument validation with typed
errors, robustness on hostile input (never raises, bounded time) and dispatch.

    .venv/bin/python -m pytest tests/test_parse.py -q
"""
import json
import sys
import time
from pathlib import Path
from typing import Literal, Optional

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, Field

import toolrouter.formats.parse as parse_module
from toolrouter import (Catalogue, DispatchError, ParseResult, Tool, ToolrouterError, dispatch, dispatch_all,
                        format_call, format_calls, format_no_tool, load_catalogue, parse_tool_call)
from toolrouter.core.catalogue import catalogue_from_openai
from toolrouter.formats.parse import ERRORS, MAX_CALLS, MAX_CHARS, format_result

CAR = load_catalogue("car_control")
SUPPORT = load_catalogue("support_router")
KINDS = {"call", "no_tool", "invalid"}


class Point(BaseModel):
    """A point."""

    x: int = Field(description="x")
    y: int = Field(description="y")


class Label(Tool):
    """Print a label."""

    text: str = Field(min_length=1, max_length=5, description="Label text.")
    tags: Optional[list[Literal["a", "b", "c"]]] = Field(default=None, max_length=2, description="Tags.")
    at: Optional[Point] = Field(default=None, description="Where.")


PROBE = Catalogue([Label], name="probe")


def call(tool, **arguments):
    return json.dumps({"tool": tool, "arguments": arguments})


# --- the canonical form -------------------------------------------------------------------------

def test_format_call_uses_schema_order_and_compact_separators():
    canonical = '{"tool":"set_temperature","arguments":{"temperature":21,"unit":"celsius","area":["driver"]}}'
    for args in ({"area": ["driver"], "unit": "celsius", "temperature": 21},
                 {"unit": "celsius", "temperature": 21, "area": ["driver"]},
                 {"temperature": 21, "unit": "celsius", "area": ["driver"]}):
        assert format_call("set_temperature", args, CAR) == canonical


def test_format_call_orders_nested_objects_and_keeps_unicode():
    text = format_call("label", {"at": {"y": 2, "x": 1}, "text": "café"}, PROBE)
    assert text == '{"tool":"label","arguments":{"text":"café","at":{"x":1,"y":2}}}'
    assert format_call("check_battery_health", {}, CAR) == '{"tool":"check_battery_health","arguments":{}}'


def test_format_no_tool():
    assert format_no_tool("no tool can book flights") == '{"tool":"no_tool","reason":"no tool can book flights"}'


def test_format_result():
    result = parse_tool_call('{"arguments": {"lock_state": "lock"}, "tool": "lock_doors"}', CAR)
    assert format_result(result, CAR) == '{"tool":"lock_doors","arguments":{"lock_state":"lock"}}'
    assert format_result(parse_tool_call('{"tool":"no_tool","reason":"r"}', CAR), CAR) == format_no_tool("r")
    with pytest.raises(ToolrouterError):
        format_result(parse_tool_call("nope", CAR), CAR)


# --- parse_tool_call: the good cases ---------------------------------------------------------------

def test_a_call():
    result = parse_tool_call('{"tool":"set_cruise_control","arguments":{"speed":100}}', CAR)
    assert result == ParseResult(kind="call", tool="set_cruise_control", arguments={"speed": 100})
    assert result.ok and result.error is None
    assert result.to_dict() == {"kind": "call", "tool": "set_cruise_control", "arguments": {"speed": 100}}


def test_a_no_tool():
    result = parse_tool_call('{"tool": "no_tool", "reason": "I cannot order pizza."}', CAR)
    assert (result.kind, result.tool, result.reason, result.arguments) == ("no_tool", "no_tool",
                                                                            "I cannot order pizza.", {})
    assert result.ok and result.to_dict() == {"kind": "no_tool", "tool": "no_tool", "reason": "I cannot order pizza."}


def test_defaults_are_not_filled_in():
    result = parse_tool_call('{"tool":"activate_defroster","arguments":{"defroster_zone":"rear"}}', CAR)
    assert result.kind == "call" and result.arguments == {"defroster_zone": "rear"}
    assert parse_tool_call('{"tool":"start_engine","arguments":{}}', CAR).arguments == {}


def test_arguments_are_returned_as_given():
    result = parse_tool_call(call("set_temperature", temperature=21, area=["rear-left", "driver"]), CAR)
    assert result.arguments == {"temperature": 21, "area": ["rear-left", "driver"]}
    assert type(result.arguments["temperature"]) is int  # not coerced to 21.0


@pytest.mark.parametrize("pad", [" ", "\n", "\t \r\n", "\n\n   "])
def test_whitespace_around_the_object_is_fine(pad):
    text = pad + '{"tool":"lock_doors","arguments":{"lock_state":"unlock"}}' + pad
    assert parse_tool_call(text, CAR).kind == "call"


@pytest.mark.parametrize("text, error", [
    ('```json\n{"tool":"no_tool","reason":"x"}\n```', "not_json"),
    ('```\n{"tool":"no_tool","reason":"x"}\n```', "not_json"),
    ('Sure! {"tool":"no_tool","reason":"x"}', "not_json"),
    ('{"tool":"no_tool","reason":"x"} Hope that helps.', "trailing_text"),
    ('{"tool":"no_tool","reason":"x"}\n{"tool":"no_tool","reason":"y"}', "trailing_text"),
    ('{"tool":"no_tool","reason":"x"}```', "trailing_text"),
    ("<tool_call>{\"tool\":\"no_tool\",\"reason\":\"x\"}</tool_call>", "not_json"),
    ("{'tool': 'no_tool', 'reason': 'x'}", "not_json"),  # a Python literal is not JSON
    ("__import__('os').system('true')", "not_json"),  # and nothing is evaluated
])
def test_anything_else_around_the_object_is_invalid(text, error):
    result = parse_tool_call(text, CAR)
    assert (result.kind, result.error) == ("invalid", error) and result.message


def test_no_eval_in_the_parser():
    source = Path(parse_module.__file__).read_text()
    for banned in ("eval(", "literal_eval", "exec(", "pickle"):
        assert banned not in source


# --- strictness -----------------------------------------------------------------------------------

@pytest.mark.parametrize("tool, arguments, error", [
    ("set_cruise_control", {"speed": "50"}, "wrong_type"),          # "5" is not an int
    ("set_cruise_control", {"speed": 50.0}, "wrong_type"),          # 5.0 is not an int
    ("set_cruise_control", {"speed": True}, "wrong_type"),          # true is not an int
    ("set_temperature", {"temperature": True}, "wrong_type"),       # true is not a number
    ("set_temperature", {"temperature": "21"}, "wrong_type"),
    ("check_battery_health", {"include_history": 1}, "wrong_type"),
    ("check_battery_health", {"include_history": "true"}, "wrong_type"),
    ("play_music", {"volume": None}, "wrong_type"),                 # null for an argument with a default
    ("set_navigation_destination", {"destination": None}, "wrong_type"),  # null for a required argument
    ("set_temperature", {"temperature": 21, "area": [None]}, "wrong_type"),  # null as a list item
    ("set_temperature", {"temperature": 21, "area": "driver"}, "wrong_type"),  # a list, not a string
    ("set_navigation_destination", {"destination": 5}, "wrong_type"),
    ("set_temperature", {"temperature": 21, "unit": "CELSIUS"}, "not_in_choices"),  # case matters
    ("adjust_seat", {"position": "forward", "seat_type": "passenger"}, "not_in_choices"),
    ("set_temperature", {"temperature": 21, "area": ["driver", "driver"]}, "not_unique"),
    ("set_temperature", {"temperature": 21, "area": ["back"]}, "not_in_choices"),
    ("set_temperature", {"temperature": 0.5}, "out_of_range"),
    ("set_temperature", {"temperature": 90.5}, "out_of_range"),
    ("activate_defroster", {"duration_minutes": 31}, "out_of_range"),
    ("set_cruise_control", {"speed": 9}, "out_of_range"),
])
def test_strict_validation(tool, arguments, error):
    result = parse_tool_call(call(tool, **arguments), CAR)
    assert (result.kind, result.error, result.tool) == ("invalid", error, tool)
    assert tool in result.message


@pytest.mark.parametrize("tool, arguments", [
    ("set_temperature", {"temperature": 1}), ("set_temperature", {"temperature": 90}),
    ("set_temperature", {"temperature": 21.5, "unit": "fahrenheit", "area": []}),
    ("set_temperature", {"temperature": 21, "area": ["rear-right", "driver", "front-passenger", "rear-left"]}),
    ("set_cruise_control", {"speed": 10}), ("set_cruise_control", {"speed": 150}),
    ("check_battery_health", {"include_history": True}),
    ("play_music", {"track": ""}), ("play_music", {"track": "a\u0000b"}),
    ("play_music", {"track": None}), ("set_temperature", {"temperature": 21, "area": None}),  # null = omitted
    ("control_window", {"window_position": "open", "window_location": "rear-left"}),
])
def test_valid_edges(tool, arguments):
    result = parse_tool_call(call(tool, **arguments), CAR)
    assert result.kind == "call" and result.arguments == arguments


# --- one test per error kind ------------------------------------------------------------------------

ORDER = '{"tool":"track_order","arguments":{"order_id":"ORD-1"}}'
REACH = {  # error kind -> (text, catalogue)
    "empty": (" \n\t ", CAR),
    "too_long": (" " * MAX_CHARS + ORDER, SUPPORT),
    "not_json": ("I think you want track_order.", SUPPORT),
    "truncated": ('{"tool":"track_order","arguments":{"order_id":"ORD-', SUPPORT),
    "trailing_text": (ORDER + " done", SUPPORT),
    "too_deep": ('{"tool":"no_tool","reason":"x","r":' + "[" * 200 + "]" * 200 + "}", SUPPORT),
    "duplicate_key": ('{"tool":"track_order","arguments":{"order_id":"ORD-1","order_id":"ORD-2"}}', SUPPORT),
    "non_finite_number": ('{"tool":"set_temperature","arguments":{"temperature":NaN}}', CAR),
    "not_an_object": ('["track_order", {"order_id": "ORD-1"}]', SUPPORT),
    "bad_envelope": ('{"name":"track_order","arguments":{"order_id":"ORD-1"}}', SUPPORT),
    "unknown_tool": ('{"tool":"cancel_order","arguments":{"order_id":"ORD-1"}}', SUPPORT),
    "missing_argument": ('{"tool":"request_refund","arguments":{"order_id":"ORD-1"}}', SUPPORT),
    "unexpected_argument": ('{"tool":"track_order","arguments":{"order_id":"ORD-1","urgent":true}}', SUPPORT),
    "wrong_type": ('{"tool":"track_order","arguments":{"order_id":1234}}', SUPPORT),
    "not_in_choices": ('{"tool":"lock_doors","arguments":{"lock_state":"open"}}', CAR),
    "out_of_range": ('{"tool":"play_music","arguments":{"volume":11}}', CAR),
    "pattern_mismatch": ('{"tool":"track_order","arguments":{"order_id":"1234"}}', SUPPORT),
    "wrong_length": ('{"tool":"label","arguments":{"text":"too long"}}', PROBE),
    "not_unique": ('{"tool":"adjust_temperature","arguments":{"action":"increase","area":["driver","driver"]}}',
                   CAR),
    "invalid_value": ('{"tool":"escalate","arguments":{"reason":"\\ud800"}}', SUPPORT),
    "bad_call_list": ("[" + ORDER + ',{"tool":"no_tool","reason":"x"}]', SUPPORT),
}


def test_every_error_kind_has_a_case():
    assert set(REACH) == set(ERRORS) and len(ERRORS) == len(set(ERRORS))


@pytest.mark.parametrize("error", ERRORS)
def test_error_kind_is_reachable(error):
    text, catalogue = REACH[error]
    result = parse_tool_call(text, catalogue)
    assert result.kind == "invalid" and result.error == error, result
    assert result.message and not result.ok and result.arguments == {}
    assert result.to_dict() == {"kind": "invalid", "tool": result.tool, "error": error, "message": result.message}


@pytest.mark.parametrize("text, error", [
    ('{"arguments":{}}', "bad_envelope"),                                     # no "tool"
    ('{"tool":5,"arguments":{}}', "bad_envelope"),                             # tool not a string
    ('{"tool":"label"}', "bad_envelope"),                                      # no arguments
    ('{"tool":"label","arguments":[]}', "bad_envelope"),                       # arguments not an object
    ('{"tool":"label","arguments":null}', "bad_envelope"),
    ('{"tool":"label","arguments":{"text":"ok"},"reason":"x"}', "bad_envelope"),
    ('{"tool":"no_tool","reason":"x","arguments":{}}', "bad_envelope"),
    ('{"tool":"no_tool","reason":5}', "bad_envelope"),
    ('{"tool":"NO_TOOL","reason":"x"}', "unknown_tool"),
    ('{"tool":"Lock_Doors","arguments":{"lock_state":"lock"}}', "unknown_tool"),
    ('"no_tool"', "not_an_object"),
    ("null", "not_an_object"),
    ("42", "not_an_object"),
    ('{"tool":"label","arguments":{"text":""}}', "wrong_length"),
    ('{"tool":"label","arguments":{"text":"ok","tags":["a","b","c"]}}', "wrong_length"),
    ('{"tool":"label","arguments":{"text":"ok","at":{"x":1}}}', "missing_argument"),
    ('{"tool":"label","arguments":{"text":"ok","at":{"x":1,"y":2,"z":3}}}', "unexpected_argument"),
    ('{"tool":"label","arguments":{"text":"ok","at":{"x":1,"y":"2"}}}', "wrong_type"),
    ('{"tool":"label","arguments":{"text":"ok","at":[1,2]}}', "wrong_type"),
    ('{"tool":"label","arguments":{"text":"ok","at":{"x":1,"y":2},"at":{"x":1,"y":2}}}', "duplicate_key"),
    ('{"tool":"label","arguments":{"text":"ok"', "truncated"),
    ('{"tool":"label","arguments":{"text":"ok"},', "truncated"),
    ('{"tool":"lab', "truncated"),
    ('{"tool":"label",]', "not_json"),
])
def test_more_invalid_shapes(text, error):
    result = parse_tool_call(text, PROBE)
    assert (result.kind, result.error) == ("invalid", error), result


def test_no_tool_reason_may_be_omitted():
    result = parse_tool_call('{"tool":"no_tool"}', CAR)
    assert result.kind == "no_tool" and result.reason == ""


CHOICES = catalogue_from_openai([{"type": "function", "function": {"name": "pick", "description": "Pick.", "parameters": {
    "type": "object", "required": [], "properties": {
        "n": {"type": "integer", "enum": [1, 2, 3]}, "flag": {"type": "boolean", "enum": [True]},
        "x": {"type": "number", "enum": [0.5, 1.0]}, "level": {"type": "integer", "enum": [1, 2], "default": 1},
        "note": {"type": "string", "default": None}, "ns": {"type": "array", "items": {"type": "integer", "enum": [1, 2]}}}}}}],
    "choices")


@pytest.mark.parametrize("arguments, error", [
    ({"n": 2}, None), ({"n": 2.0}, "wrong_type"), ({"n": True}, "wrong_type"), ({"n": "2"}, "not_in_choices"),
    ({"ns": [1, 2]}, None), ({"ns": [1, 2.0]}, "wrong_type"), ({"ns": [True]}, "wrong_type"),
    ({"flag": True}, None), ({"flag": 1}, "wrong_type"),
    ({"x": 1}, None), ({"x": 0.5}, None), ({"x": True}, "wrong_type"),  # a number choice takes an integer
    ({"n": 4}, "not_in_choices"),
    # null: only an optional argument without a default, or with a null default
    ({"n": None}, None), ({"note": None}, None), ({"level": None}, "wrong_type"), ({"ns": [None]}, "wrong_type"),
])
def test_choices_keep_their_type_and_null_stands_where_the_schema_allows(arguments, error):
    result = parse_tool_call(call("pick", **arguments), CHOICES)
    assert (result.kind, result.error) == (("call", None) if error is None else ("invalid", error)), result.message


def test_the_same_call_validates_the_same_from_a_json_catalogue(tmp_path):
    path = tmp_path / "car.json"
    path.write_text(json.dumps(CAR.to_openai()))
    from_json = load_catalogue(path)
    texts = [text for text, cat in REACH.values() if cat is CAR] + [
        call("set_temperature", temperature=21, area=["driver"]), call("play_music", volume=5.0),
        call("play_music", track=None), call("set_cruise_control", speed="50")]
    for text in texts:
        assert parse_tool_call(text, from_json) == parse_tool_call(text, CAR)


# --- hostile input: never raises, bounded time -------------------------------------------------------

HOSTILE = {
    "1 MB of [": ("[" * 1_000_000, "too_long"),
    "just under the limit of [": ("[" * (MAX_CHARS - 1), "too_deep"),
    "deep but closed": ("[" * 50_000 + "]" * 50_000, "too_deep"),
    "deep objects": ('{"a":' * 15_000 + "1" + "}" * 15_000, "too_deep"),
    "deep in arguments, near the recursion limit":
        (call("set_temperature", temperature=21)[:-2] + ',"area":' + "[" * 990 + "]" * 990 + "}}", "too_deep"),
    "deep inside an unknown key":
        (call("set_temperature", temperature=21)[:-2] + ',"zz":' + "[" * 995 + "null" + "]" * 995 + "}}",
         "too_deep"),
    "100k-digit integer": (call("set_cruise_control", speed=1)[:-3] + "9" * 100_000 + "}}", "too_long"),
    "90k-digit integer": ("9" * 90_000, "non_finite_number"),
    "5k-digit integer argument": (call("set_cruise_control", speed=1)[:-3] + "9" * 5_000 + "}}", "non_finite_number"),
    "-5k-digit integer": (call("set_cruise_control", speed=1)[:-3] + "-" + "9" * 5_000 + "}}", "non_finite_number"),
    "huge float mantissa": (call("set_temperature", temperature=1)[:-3] + "9" * 5_000 + ".5}}", "non_finite_number"),
    "NaN": (call("set_temperature", temperature=1).replace("1}", "NaN}"), "non_finite_number"),
    "Infinity": (call("set_temperature", temperature=1).replace("1}", "Infinity}"), "non_finite_number"),
    "-Infinity": (call("set_temperature", temperature=1).replace("1}", "-Infinity}"), "non_finite_number"),
    "1e999": (call("set_temperature", temperature=1).replace("1}", "1e999}"), "non_finite_number"),
    "-1e999": (call("set_temperature", temperature=1).replace("1}", "-1e999}"), "non_finite_number"),
    "duplicate tool key": ('{"tool":"lock_doors","tool":"no_tool","reason":"x"}', "duplicate_key"),
    "escaped lone surrogate in a value": (call("play_music", track="x").replace("x", "\\ud800"), "invalid_value"),
    "escaped lone low surrogate in a key": ('{"tool":"play_music","arguments":{"\\udc00":1}}', "invalid_value"),
    "escaped lone surrogate in a no_tool reason": ('{"tool":"no_tool","reason":"\\udfff"}', "invalid_value"),
    "raw surrogate in a value": (call("play_music", track="x").replace('"x"', '"\ud800"'), "invalid_value"),
    "raw surrogate in the tool name": ('{"tool":"\udc80","arguments":{}}', "invalid_value"),
    "raw surrogate outside JSON": ("\ud800" * 10, "not_json"),
    "NUL byte before the object": ('\x00{"tool":"no_tool","reason":"x"}', "not_json"),
    "raw NUL inside a string": ('{"tool":"no_tool","reason":"a\x00b"}', "not_json"),
    "NUL bytes only": ("\x00" * 1000, "not_json"),
    "unterminated string of 99k": ('{"tool":"' + "a" * 99_000, "truncated"),
    "a wide object": ("{" + ",".join(f'"k{i}":{i}' for i in range(7_000)) + "}", "bad_envelope"),
    "wide arguments": ('{"tool":"set_temperature","arguments":{"temperature":21,'
                       + ",".join(f'"k{i}":[{i}]' for i in range(5_000)) + "}}", "unexpected_argument"),
    "a long list argument": (call("set_temperature", temperature=21, area=["driver"] * 9_000), "not_unique"),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_input(name):
    text, error = HOSTILE[name]
    start = time.perf_counter()
    result = parse_tool_call(text, CAR)
    elapsed = time.perf_counter() - start
    assert (result.kind, result.error) == ("invalid", error), result
    assert len(result.message) < 500
    assert elapsed < 0.5, f"{name}: {elapsed:.3f} s"  # a generous bound; typical is under 10 ms


def test_huge_integers_are_refused_whatever_pythons_int_limit():
    old = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)  # an application may lift the limit; the parser must not depend on it
    try:
        start = time.perf_counter()
        result = parse_tool_call("9" * 99_000, CAR)
        assert (result.kind, result.error) == ("invalid", "non_finite_number")
        assert time.perf_counter() - start < 0.5
    finally:
        sys.set_int_max_str_digits(old)
    assert parse_tool_call(call("set_cruise_control", speed=int("1" * 100)), CAR).error == "out_of_range"


def test_a_surrogate_pair_escape_is_fine():
    result = parse_tool_call(call("play_music", track="x").replace("x", "\\ud83c\\udfb5"), CAR)
    assert result.kind == "call" and result.arguments == {"track": "\U0001f3b5"}


def test_non_string_input_is_invalid_not_an_exception():
    for value in (None, b'{"tool":"no_tool"}', 42, ["x"]):
        result = parse_tool_call(value, CAR)
        assert (result.kind, result.error) == ("invalid", "not_json")


def test_never_raises_from_deep_in_the_call_stack():
    def nested(depth):
        if depth:
            return nested(depth - 1)
        return [parse_tool_call(text, CAR) for text, _ in HOSTILE.values()]

    results = nested(800)  # most of the recursion limit is already used by the caller
    assert all(r.kind == "invalid" and r.error in ERRORS for r in results)


def _check(result):
    assert isinstance(result, ParseResult) and result.kind in KINDS
    if result.kind == "invalid":
        assert result.error in ERRORS and result.message
    else:
        assert result.error is None
    return result


JSONISH = st.lists(st.sampled_from(list('{}[]",:\\ 0123456789.eE+-truefalsnNIy') + [
    '"tool"', '"no_tool"', '"arguments"', '"reason"', '"lock_doors"', '"lock_state"', '"lock"', "\\u", "d800",
    "NaN", "Infinity"]), max_size=60).map("".join)
ANY_TEXT = st.one_of(
    st.text(max_size=200),
    st.text(st.characters(codec=None, categories=["Cs", "Cc", "Zs", "Po", "Ps", "Pe", "Nd"]), max_size=60),
    JSONISH,
    st.builds(lambda a, b: a + b, JSONISH, st.text(st.characters(categories=["Cs"]), max_size=3)),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ANY_TEXT)
def test_arbitrary_text_never_raises(text):
    _check(parse_tool_call(text, CAR))


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
    | st.sampled_from(["no_tool", "lock_doors", "set_temperature", "driver", "celsius"]),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(
        st.sampled_from(["tool", "arguments", "reason", "temperature", "area", "unit", "x"]) | st.text(max_size=5),
        children, max_size=4),
    max_leaves=20)
ENVELOPES = st.fixed_dictionaries(
    {"tool": st.sampled_from(CAR.names + ["no_tool", "nope"]) | JSON_VALUES},
    optional={"arguments": st.dictionaries(st.sampled_from(["temperature", "area", "unit", "speed", "track", "x"]),
                                           JSON_VALUES, max_size=4) | JSON_VALUES,
              "reason": JSON_VALUES})


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(JSON_VALUES, ENVELOPES), st.sampled_from([None, 0, 2]))
def test_arbitrary_json_values_never_raise(value, indent):
    text = json.dumps(value, indent=indent)
    result = _check(parse_tool_call(text, CAR))
    if not isinstance(value, (dict, list)):
        assert result.kind == "invalid"
    if result.kind == "call":  # whatever passes is a valid call of a real tool
        assert result.tool in CAR and result.arguments == value["arguments"]


def strategy_for(schema):
    """Valid values of one argument schema (the subset of JSON schema that catalogues use)."""
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kind = schema["type"]
    lo, hi = schema.get("minimum"), schema.get("maximum")
    if kind == "integer":
        return st.integers(min_value=lo, max_value=hi)
    if kind == "number":
        return st.integers(min_value=lo, max_value=hi) | st.floats(min_value=lo, max_value=hi, allow_nan=False,
                                                                   allow_infinity=False)
    if kind == "boolean":
        return st.booleans()
    if kind == "string":
        if schema.get("pattern") == r"^ORD-\d+$":
            return st.from_regex(r"\AORD-[0-9]{1,8}\Z")
        assert "pattern" not in schema
        return st.text(max_size=30)
    if kind == "array":
        return st.lists(strategy_for(schema["items"]), unique=bool(schema.get("uniqueItems")), max_size=5)
    return arguments_strategy(schema)


def arguments_strategy(parameters):
    required = set(parameters.get("required", []))
    props = parameters["properties"]
    return st.fixed_dictionaries({k: strategy_for(s) for k, s in props.items() if k in required},
                                 optional={k: strategy_for(s) for k, s in props.items() if k not in required})


@pytest.mark.parametrize("tool", CAR.names + [f"support:{n}" for n in SUPPORT.names])
def test_round_trip(tool):
    catalogue = SUPPORT if tool.startswith("support:") else CAR
    spec = catalogue[tool.split(":")[-1]]

    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(arguments_strategy(spec.parameters), st.randoms(use_true_random=False))
    def check(arguments, rnd):
        shuffled = list(arguments.items())
        rnd.shuffle(shuffled)  # the dict's own order must not matter
        text = format_call(spec.name, dict(shuffled), catalogue)
        assert text == format_call(spec.name, arguments, catalogue)
        result = parse_tool_call(text, catalogue)
        assert (result.kind, result.tool, result.error) == ("call", spec.name, None), result
        assert result.arguments == arguments
        assert list(result.arguments) == [k for k in spec.properties if k in arguments]  # schema order
        assert format_call(result.tool, result.arguments, catalogue) == text

    check()


def test_round_trip_keeps_floats_exact():
    for t in (1, 1.5, 21.000000000000004, 89.99999999999999, 1e-0 + 1e-15):
        result = parse_tool_call(format_call("set_temperature", {"temperature": t}, CAR), CAR)
        assert result.arguments["temperature"] == t and type(result.arguments["temperature"]) is type(t)


# --- several calls in one answer ------------------------------------------------------------------

LOCK = {"tool": "lock_doors", "arguments": {"lock_state": "lock"}}
LIGHTS = {"tool": "toggle_headlights", "arguments": {"light_state": "on"}}


def test_several_calls_parse_in_order_with_the_first_as_tool():
    text = json.dumps([LOCK, LIGHTS])
    result = parse_tool_call(text, CAR)
    assert (result.kind, result.tool, result.arguments) == ("call", "lock_doors", {"lock_state": "lock"})
    assert result.calls == (LOCK, LIGHTS)
    assert result.to_dict() == {"kind": "call", "tool": "lock_doors", "arguments": {"lock_state": "lock"},
                                "calls": [LOCK, LIGHTS]}
    assert parse_tool_call(json.dumps([LIGHTS, LOCK]), CAR).calls == (LIGHTS, LOCK)  # order as written
    same = parse_tool_call(json.dumps([LOCK, LOCK]), CAR)  # the same call twice is two calls
    assert same.kind == "call" and len(same.calls) == 2


def test_one_call_keeps_its_result_and_dict():
    result = parse_tool_call(json.dumps(LOCK), CAR)
    assert result.calls == (LOCK,) and "calls" not in result.to_dict()
    assert ParseResult(kind="call", tool="lock_doors", arguments={"lock_state": "lock"}) == result
    assert parse_tool_call('{"tool":"no_tool","reason":"r"}', CAR).calls == ()
    assert parse_tool_call("nope", CAR).calls == ()
    one = parse_tool_call(json.dumps([LOCK]), CAR)  # a one-item list reads as that call
    assert one == result and format_result(one, CAR) == format_call("lock_doors", LOCK["arguments"], CAR)


def test_format_calls_writes_one_object_or_a_compact_array():
    lock = '{"tool":"lock_doors","arguments":{"lock_state":"lock"}}'
    temp = '{"tool":"set_temperature","arguments":{"temperature":21,"unit":"celsius"}}'
    assert format_calls([LOCK], CAR) == lock
    several = format_calls([LOCK, {"tool": "set_temperature", "arguments": {"unit": "celsius", "temperature": 21}}], CAR)
    assert several == f"[{lock},{temp}]"
    result = parse_tool_call(several, CAR)
    assert format_result(result, CAR) == several and len(result.calls) == 2
    with pytest.raises(ToolrouterError, match="no calls"):
        format_calls([], CAR)
    with pytest.raises(ToolrouterError, match=f"at most {MAX_CALLS}"):
        format_calls([LOCK] * (MAX_CALLS + 1), CAR)


@pytest.mark.parametrize("value, error, where", [
    ([], "bad_call_list", "empty"),
    ([LOCK, {"tool": "no_tool", "reason": "x"}], "bad_call_list", "call 2: no_tool"),
    ([{"tool": "no_tool", "reason": "x"}, LOCK], "bad_call_list", "call 1: no_tool"),
    ([LOCK] * (MAX_CALLS + 1), "bad_call_list", f"at most {MAX_CALLS}"),
    ([LOCK, {"tool": "lock_doors", "arguments": {"lock_state": "open"}}], "not_in_choices", "call 2 of 2"),
    ([LOCK, {"tool": "fly", "arguments": {}}], "unknown_tool", "call 2 of 2"),
    ([LOCK, "lock_doors"], "not_an_object", "call 2 of 2"),
    ([LOCK, [LIGHTS]], "not_an_object", "call 2 of 2"),  # lists do not nest
    ([{"tool": "lock_doors"}, LIGHTS], "bad_envelope", "call 1 of 2"),
])
def test_a_bad_list_of_calls_is_invalid_with_a_typed_reason(value, error, where):
    result = parse_tool_call(json.dumps(value), CAR)
    assert (result.kind, result.error, result.calls) == ("invalid", error, ()), result
    assert where in result.message


def test_max_calls_is_allowed():
    assert len(parse_tool_call(json.dumps([LOCK] * MAX_CALLS), CAR).calls) == MAX_CALLS


def test_a_huge_list_of_calls_is_refused_fast():
    start = time.perf_counter()
    result = parse_tool_call(json.dumps([LOCK] * 1_500), CAR)
    assert result.error == "bad_call_list" and time.perf_counter() - start < 0.5


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ENVELOPES, max_size=MAX_CALLS + 2))
def test_lists_of_arbitrary_envelopes_never_raise(values):
    result = _check(parse_tool_call(json.dumps(values), CAR))
    if result.kind == "call":  # a valid list: every item a valid call, in order
        assert len(values) <= MAX_CALLS and [c["tool"] for c in result.calls] == [v["tool"] for v in values]
    assert result.kind != "no_tool"


# --- dispatch -----------------------------------------------------------------------------------

def record(**kwargs):
    return kwargs


def test_dispatch_calls_the_handler_with_the_arguments():
    result = parse_tool_call('{"tool":"activate_defroster","arguments":{"defroster_zone":"rear"}}', CAR)
    assert dispatch(result, {"activate_defroster": record}) == {"defroster_zone": "rear"}


def test_dispatch_with_a_catalogue_fills_in_defaults():
    result = parse_tool_call('{"tool":"activate_defroster","arguments":{"defroster_zone":"rear"}}', CAR)
    assert dispatch(result, {"activate_defroster": record}, CAR) == {"defroster_zone": "rear", "duration_minutes": 10}
    result = parse_tool_call('{"tool":"play_music","arguments":{}}', CAR)
    assert dispatch(result, {"play_music": record}, CAR) == {"track": None, "volume": 5}
    result = parse_tool_call('{"tool":"set_temperature","arguments":{"temperature":20}}', CAR)
    assert dispatch(result, {"set_temperature": record}, CAR) == {"temperature": 20, "unit": "celsius", "area": None}


def test_dispatch_returns_what_the_handler_returns():
    calls = []
    result = parse_tool_call('{"tool":"track_order","arguments":{"order_id":"ORD-7"}}', SUPPORT)
    out = dispatch(result, {"track_order": lambda order_id: calls.append(order_id) or f"status of {order_id}",
                            "escalate": lambda reason: None})
    assert out == "status of ORD-7" and calls == ["ORD-7"]


def test_dispatch_refuses_no_tool():
    with pytest.raises(DispatchError, match="no_tool.*'out of scope'"):
        dispatch(parse_tool_call('{"tool":"no_tool","reason":"out of scope"}', CAR), {"no_tool": record})


def test_dispatch_refuses_invalid_output():
    with pytest.raises(DispatchError, match="invalid output \\(out_of_range"):
        dispatch(parse_tool_call('{"tool":"play_music","arguments":{"volume":11}}', CAR), {"play_music": record})


def test_dispatch_all_runs_every_call_in_order():
    seen = []
    handlers = {"lock_doors": lambda **kw: seen.append(("lock", kw)) or "locked",
                "toggle_headlights": lambda **kw: seen.append(("lights", kw)) or "lit"}
    result = parse_tool_call(json.dumps([LOCK, LIGHTS]), CAR)
    assert dispatch_all(result, handlers) == ["locked", "lit"]
    assert seen == [("lock", {"lock_state": "lock"}), ("lights", {"light_state": "on"})]
    with pytest.raises(DispatchError, match="2 calls; dispatch runs one: use dispatch_all"):
        dispatch(result, handlers)
    assert dispatch_all(parse_tool_call(json.dumps(LOCK), CAR), handlers) == ["locked"]


def test_dispatch_all_runs_nothing_when_a_handler_is_missing():
    seen = []
    result = parse_tool_call(json.dumps([LOCK, LIGHTS]), CAR)
    with pytest.raises(DispatchError, match="no handler registered for tool 'toggle_headlights'"):
        dispatch_all(result, {"lock_doors": lambda **kw: seen.append(kw)})
    assert seen == []


def test_dispatch_refuses_an_unregistered_tool():
    result = parse_tool_call('{"tool":"lock_doors","arguments":{"lock_state":"lock"}}', CAR)
    with pytest.raises(DispatchError, match="no handler registered for tool 'lock_doors'; handlers exist for: "
                                            "play_music, start_engine"):
        dispatch(result, {"start_engine": record, "play_music": record})
    with pytest.raises(DispatchError, match="handlers exist for: none"):
        dispatch(result, {})
    assert issubclass(DispatchError, ToolrouterError)
