"""toolrouter.core.schema: a Pydantic Tool class -> ToolSpec (name, description, clean JSON schema,
validator), the OpenAI-style JSON -> ToolSpec path, the unsupported-type checks, and run_cli.

    .venv/bin/python -m pytest tests/test_schema.py -q
"""
import enum
import json
from typing import Any, Literal, Optional, Union

import pytest
from pydantic import BaseModel, Field, ValidationError

from toolrouter import FreeText, Tool, ToolrouterError, ToolSpec
from toolrouter.formats.parse import validate_arguments
from toolrouter.core.schema import (FREE_TEXT_KEY, clean_schema, enum_choices, run_cli, schema_problems, snake_case,
                               spec_from_model, spec_from_openai)


class Colour(enum.Enum):
    RED = "red"
    GREEN = "green"


class Size(enum.IntEnum):
    SMALL = 1
    LARGE = 2


class Address(BaseModel):
    """A postal address."""

    street: str = Field(description="Street and number.")
    zip_code: Optional[str] = Field(default=None, description="Postal code.")


class PaintRoom(Tool):
    """Paint a room
    of the house."""

    colour: Colour = Field(description="Paint colour.")
    coats: int = Field(default=2, ge=1, le=3, description="Number of coats.")
    size: Size = Field(default=Size.SMALL, description="Brush size.")
    rooms: set[Literal["kitchen", "hall", "attic"]] = Field(description="Rooms to paint, in any order.")
    walls: Optional[list[Literal["north", "south"]]] = Field(
        default=None, description="Walls.", json_schema_extra={"uniqueItems": True})
    ratio: float = Field(default=0.5, gt=0, lt=1, description="Mix ratio.")
    note: Optional[FreeText] = Field(default=None, description="Anything else.")
    address: Optional[Address] = Field(default=None, description="Where.")
    urgent: bool = Field(default=False, description="Rush job.")


class Factorial(Tool):
    """Compute a factorial."""

    tool_name = "math.factorial"
    n: int = Field(ge=0, description="The number.")


# --- names and descriptions --------------------------------------------------------------------

@pytest.mark.parametrize("cls_name, expected", [
    ("TrackOrder", "track_order"), ("SetTemperature", "set_temperature"), ("HTTPRequest", "http_request"),
    ("GetURLForID", "get_url_for_id"), ("Escalate", "escalate"), ("Tool2Go", "tool2_go"),
    ("already_snake", "already_snake"),
])
def test_snake_case(cls_name, expected):
    assert snake_case(cls_name) == expected


def test_derived_and_explicit_names():
    assert spec_from_model(PaintRoom).name == "paint_room"
    assert spec_from_model(Factorial).name == "math.factorial"
    # tool_name is a ClassVar: not an argument
    assert "tool_name" not in spec_from_model(Factorial).properties
    assert "tool_name" not in Factorial.model_fields


def test_description_is_the_docstring_whitespace_folded():
    assert spec_from_model(PaintRoom).description == "Paint a room of the house."
    assert spec_from_model(Factorial).description == "Compute a factorial."


# --- the parameters schema ---------------------------------------------------------------------

def test_required_means_no_default():
    spec = spec_from_model(PaintRoom)
    assert spec.required == ["colour", "rooms"]
    assert list(spec.properties) == ["colour", "coats", "size", "rooms", "walls", "ratio", "note", "address",
                                     "urgent"]  # declaration order
    assert spec.parameters["type"] == "object"
    assert spec.parameters["additionalProperties"] is False


def test_every_field_keeps_its_description():
    props = spec_from_model(PaintRoom).properties
    assert props["colour"]["description"] == "Paint colour."
    assert props["note"]["description"] == "Anything else."
    assert props["address"]["description"] == "Where."


def test_choices_from_literal_and_enum_classes():
    props = spec_from_model(PaintRoom).properties
    assert props["colour"] == {"enum": ["red", "green"], "type": "string", "description": "Paint colour."}
    assert props["size"]["enum"] == [1, 2] and props["size"]["type"] == "integer"
    assert props["size"]["default"] == 1
    assert enum_choices(props["colour"]) == ["red", "green"]
    assert enum_choices(props["coats"]) is None


def test_bounds_from_ge_le_and_gt_lt():
    props = spec_from_model(PaintRoom).properties
    assert (props["coats"]["minimum"], props["coats"]["maximum"], props["coats"]["default"]) == (1, 3, 2)
    assert (props["ratio"]["exclusiveMinimum"], props["ratio"]["exclusiveMaximum"]) == (0, 1)
    assert "minimum" not in props["ratio"]


def test_set_type_is_an_order_free_list():
    rooms = spec_from_model(PaintRoom).properties["rooms"]
    assert rooms["type"] == "array" and rooms["uniqueItems"] is True
    assert rooms["items"] == {"enum": ["kitchen", "hall", "attic"], "type": "string"}


def test_unique_items_via_json_schema_extra():
    walls = spec_from_model(PaintRoom).properties["walls"]
    assert walls["type"] == "array" and walls["uniqueItems"] is True
    assert "anyOf" not in walls and "default" not in walls  # Optional[...] = None folds away


def test_free_text_marks_the_schema():
    props = spec_from_model(PaintRoom).properties
    assert props["note"] == {"type": "string", FREE_TEXT_KEY: True, "description": "Anything else."}


def test_optional_none_is_omittable_not_nullable():
    props = spec_from_model(PaintRoom).properties
    for name in ("walls", "note", "address"):
        assert "anyOf" not in props[name] and "default" not in props[name]
        assert "null" not in json.dumps(props[name])


def test_schema_is_clean_no_titles_no_refs():
    blob = json.dumps(spec_from_model(PaintRoom).parameters)
    assert "$ref" not in blob and "$defs" not in blob and '"title"' not in blob
    address = spec_from_model(PaintRoom).properties["address"]
    assert address["type"] == "object" and address["additionalProperties"] is False
    assert address["required"] == ["street"]
    assert list(address["properties"]) == ["street", "zip_code"]


def test_clean_schema_inlines_refs_and_folds_optional():
    raw = {"$defs": {"C": {"title": "C", "enum": ["a", "b"], "type": "string"}},
           "properties": {"c": {"$ref": "#/$defs/C", "description": "d"},
                          "o": {"anyOf": [{"type": "integer"}, {"type": "null"}], "default": None, "title": "O"}},
           "title": "T", "type": "object"}
    assert clean_schema(raw) == {
        "properties": {"c": {"enum": ["a", "b"], "type": "string", "description": "d"}, "o": {"type": "integer"}},
        "type": "object", "additionalProperties": False}


def test_python_model_validates_the_arguments():
    model = spec_from_model(PaintRoom).model
    model.model_validate({"colour": "red", "rooms": ["hall"]})
    with pytest.raises(ValidationError):
        model.model_validate({"colour": "red", "rooms": ["hall"], "extra": 1})  # extra="forbid"
    with pytest.raises(ValidationError):
        model.model_validate({"colour": "blue", "rooms": []})


# --- ToolSpec ------------------------------------------------------------------------------------

def test_toolspec_to_openai_equality_and_hash():
    spec = spec_from_model(Factorial)
    assert spec.to_openai() == {"type": "function", "function": {
        "name": "math.factorial", "description": "Compute a factorial.",
        "parameters": {"type": "object", "properties": {"n": {"description": "The number.", "minimum": 0,
                                                              "type": "integer"}},
                       "required": ["n"], "additionalProperties": False}}}
    again = spec_from_model(Factorial)
    assert spec == again and hash(spec) == hash(again)
    assert spec != spec_from_model(PaintRoom)
    assert spec != "math.factorial"


# --- JSON (OpenAI-style) -> ToolSpec --------------------------------------------------------------

def test_openai_round_trip_gives_an_equal_spec_that_validates_the_same():
    spec = spec_from_model(PaintRoom)
    back, problems = spec_from_openai(json.loads(json.dumps(spec.to_openai())), "[0]")
    assert problems == [] and back == spec
    cases = [
        {"colour": "red", "rooms": ["hall"]},
        {"colour": "green", "rooms": [], "coats": 3, "size": 2, "walls": ["north"], "ratio": 0.25,
         "note": "x", "address": {"street": "1 Main St"}, "urgent": True},
        {"colour": "purple", "rooms": ["hall"]},
        {"colour": "red", "rooms": ["cellar"]},
        {"colour": "red", "rooms": ["hall"], "coats": 4},
        {"colour": "red", "rooms": ["hall"], "ratio": 1},
        {"colour": "red", "rooms": ["hall"], "size": 3},
        {"colour": "red"},
        {"colour": "red", "rooms": ["hall"], "bogus": 1},
        {"colour": "red", "rooms": ["hall"], "address": {"street": "x", "bogus": 1}},
        {"colour": "red", "rooms": ["hall"], "address": {}},
    ]
    # validate_arguments is what parse_tool_call uses: same verdict and same error kind either way
    verdicts = [(validate_arguments(spec, args) or ("ok",))[0] for args in cases]
    assert verdicts == [(validate_arguments(back, args) or ("ok",))[0] for args in cases]
    assert verdicts == ["ok", "ok", "not_in_choices", "not_in_choices", "out_of_range", "out_of_range",
                        "not_in_choices", "missing_argument", "unexpected_argument", "unexpected_argument",
                        "missing_argument"]


def test_openai_definition_without_parameters_or_wrapper():
    spec, problems = spec_from_openai({"name": "ping", "description": "Ping."}, "[0]")
    assert problems == [] and spec.name == "ping" and spec.properties == {} and spec.required == []
    spec.model.model_validate({})


@pytest.mark.parametrize("definition, fragment", [
    ("nope", "must be an object"),
    ({"type": "function", "function": {"description": "no name"}}, "expected"),
    ({"type": "function", "function": {"name": "f", "parameters": "x"}}, "'parameters' must be"),
    ({"type": "function", "function": {"name": "f", "parameters": {"type": "array"}}}, "'parameters' must be"),
])
def test_openai_definition_problems(definition, fragment):
    spec, problems = spec_from_openai(definition, "[3]")
    assert spec is None and len(problems) == 1
    assert problems[0].startswith("[3]") and fragment in problems[0]


# --- unsupported argument types -------------------------------------------------------------------

@pytest.mark.parametrize("schema, fragment", [
    ({}, "no 'type'"),                                                       # Any
    ({"type": "object"}, "free-form dicts"),                                  # dict
    ({"type": "object", "additionalProperties": {"type": "integer"}}, "free-form dicts"),  # dict[str, int]
    ({"anyOf": [{"type": "integer"}, {"type": "string"}]}, "anyOf"),         # Union
    ({"oneOf": [{"type": "integer"}, {"type": "string"}]}, "oneOf"),
    ({"type": "array"}, "need 'items'"),
    ({"type": "array", "items": {}}, "no 'type'"),
    ({"type": "null"}, "unsupported argument type 'null'"),
    ({"type": "object", "properties": {"a": {"type": "string"}}, "required": ["b"]}, "'b' is not in properties"),
    ({"enum": []}, "non-empty"),
    ("string", "must be an object"),
])
def test_schema_problems_name_the_place(schema, fragment):
    problems = schema_problems(schema, "tool.arg")
    assert len(problems) == 1 and problems[0].startswith("tool.arg") and fragment in problems[0]


@pytest.mark.parametrize("schema", [
    {"type": "string"}, {"type": "integer", "minimum": 1}, {"type": "number"}, {"type": "boolean"},
    {"enum": ["a", "b"], "type": "string"}, {"enum": [1, 2]},
    {"type": "array", "items": {"type": "string"}, "uniqueItems": True},
    {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]},
])
def test_supported_schemas_have_no_problems(schema):
    assert schema_problems(schema, "x") == []


def test_python_annotations_that_are_unsupported():
    class Bad(Tool):
        """Bad."""

        a: Any = Field(description="a")
        b: dict = Field(description="b")
        c: Union[int, str] = Field(description="c")
        d: Optional[Union[int, str]] = Field(default=None, description="d")
        e: dict[str, int] = Field(description="e")

    spec = spec_from_model(Bad)
    found = {name: schema_problems(sub, f"bad.{name}") for name, sub in spec.properties.items()}
    assert all(len(found[name]) == 1 for name in "abcde"), found
    assert "Any" in found["a"][0]
    assert "free-form" in found["b"][0] and "free-form" in found["e"][0]
    assert "anyOf" in found["c"][0] and "anyOf" in found["d"][0]


# --- run_cli ---------------------------------------------------------------------------------------

def test_run_cli_turns_toolrouter_error_into_exit_2(capsys):
    def fails(argv):
        raise ToolrouterError(f"bad thing in {argv}")

    assert run_cli(fails, ["x"]) == 2
    err = capsys.readouterr().err
    assert err == "error: bad thing in ['x']\n"
    assert run_cli(lambda argv: None, []) == 0
    assert run_cli(lambda argv: 3, []) == 3


def test_toolspec_is_the_public_type():
    assert isinstance(spec_from_model(Factorial), ToolSpec)
