"""toolrouter.core.catalogue: loading (built-in name, .py module, OpenAI-style .json), all-at-once
problem reports, the built-in catalogues exactly as specified, and the rendered prompt modes.

Rendered prompts are snapshot-tested: each mode of each built-in catalogue is pinned in
`tests/snapshots/<catalogue>.<mode>.txt` and compared exactly, so a change to prompt text shows up
as a diff. After an intended change, regenerate the files and review the diff:

    UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest tests/test_catalogue.py -q
"""
import json
import os
from pathlib import Path

import pytest
from pydantic import Field

from toolrouter import MODES, Catalogue, CatalogueError, FreeText, Tool, ToolrouterError, load_catalogue
from toolrouter.core.catalogue import BAKED_PROMPT, builtin_names, compact_line

SNAPSHOTS = Path(__file__).parent / "snapshots"
BUILTINS = ("support_router", "car_control")
AREA = ["driver", "front-passenger", "rear-left", "rear-right"]


@pytest.fixture(scope="module")
def support():
    return load_catalogue("support_router")


@pytest.fixture(scope="module")
def car():
    return load_catalogue("car_control")


# --- the built-in catalogues, exactly as specified -------------------------------------------------

def test_builtin_names():
    assert builtin_names() == ["car_control", "support_router"]


def test_support_router_spec(support):
    assert support.names == ["track_order", "request_refund", "escalate"]
    order_id = support["track_order"].properties["order_id"]
    assert order_id["type"] == "string" and order_id["pattern"] == r"^ORD-\d+$"
    assert support["track_order"].required == ["order_id"]
    assert support["track_order"].description == "Get the status of an order."
    refund = support["request_refund"]
    assert list(refund.properties) == ["order_id", "reason"] and refund.required == ["order_id", "reason"]
    assert refund.properties["order_id"] == order_id
    assert refund.properties["reason"]["type"] == "string" and refund.properties["reason"]["x-free-text"] is True
    escalate = support["escalate"]
    assert list(escalate.properties) == ["reason"] and escalate.required == ["reason"]
    assert escalate.properties["reason"]["x-free-text"] is True


def _arg(schema):
    """A compact, comparable summary of one argument schema: (type, choices, min, max, unique)."""
    if schema["type"] == "array":
        return ("set", tuple(schema["items"]["enum"])) if schema.get("uniqueItems") else ("list",)
    return (schema["type"], tuple(schema.get("enum", ())) or None, schema.get("minimum"), schema.get("maximum"))


ENUM = lambda *v: ("string", v, None, None)  # noqa: E731
SET_AREA = ("set", tuple(AREA))
# tool -> [(argument, summary, required, default)], in declaration order
CAR_SPEC = {
    "set_temperature": [("temperature", ("number", None, 1, 90), True, None),
                        ("unit", ENUM("celsius", "fahrenheit"), False, "celsius"),
                        ("area", SET_AREA, False, None)],
    "adjust_temperature": [("action", ENUM("increase", "decrease"), True, None), ("area", SET_AREA, False, None)],
    "set_fan_speed": [("speed", ENUM("low", "medium", "high"), True, None), ("area", SET_AREA, False, None)],
    "adjust_fan_speed": [("speed", ENUM("increase", "decrease"), True, None), ("area", SET_AREA, False, None)],
    "adjust_seat": [("position", ENUM("forward", "backward", "up", "down", "tilt-forward", "tilt-backward"), True,
                     None), ("seat_type", ENUM(*AREA), False, "driver")],
    "control_window": [("window_position", ENUM("open", "close"), True, None),
                       ("window_location", ENUM(*AREA), False, None)],
    "adjust_wiper_speed": [("speed", ENUM("increase", "decrease"), True, None)],
    "set_wiper_speed": [("speed", ENUM("low", "medium", "high"), True, None)],
    "activate_defroster": [("defroster_zone", ENUM("front", "rear", "all"), False, "all"),
                           ("duration_minutes", ("integer", None, 1, 30), False, 10)],
    "start_engine": [("method", ENUM("remote", "keyless", "keyed"), False, "keyless")],
    "lock_doors": [("lock_state", ENUM("lock", "unlock"), True, None)],
    "play_music": [("track", ("string", None, None, None), False, None),
                   ("volume", ("integer", None, 1, 10), False, 5)],
    "toggle_headlights": [("light_state", ENUM("on", "off"), True, None)],
    "set_navigation_destination": [("destination", ("string", None, None, None), True, None)],
    "control_ambient_lighting": [("color", ENUM("warm", "red", "blue", "dark", "white"), True, None),
                                 ("intensity", ("integer", None, 1, 10), False, 5)],
    "set_cruise_control": [("speed", ("integer", None, 10, 150), True, None)],
    "check_battery_health": [("include_history", ("boolean", None, None, None), False, False)],
    "toggle_sport_mode": [("action", ENUM("activate", "deactivate"), True, None)],
}


def test_car_control_spec_table(car):
    assert len(car) == 18 and car.names == list(CAR_SPEC)
    for tool, args in CAR_SPEC.items():
        spec = car[tool]
        assert spec.description, tool
        assert list(spec.properties) == [a[0] for a in args], tool
        assert spec.required == [a[0] for a in args if a[2]], tool
        for name, summary, _, default in args:
            schema = spec.properties[name]
            assert schema["description"], (tool, name)
            assert _arg(schema) == summary, (tool, name)
            assert schema.get("default") == default, (tool, name)
            assert "x-free-text" not in schema, (tool, name)


def test_car_control_defaults_come_from_the_models(car):
    made = car["activate_defroster"].model()
    assert (made.defroster_zone, made.duration_minutes) == ("all", 10)
    assert car["play_music"].model().volume == 5 and car["play_music"].model().track is None


# --- loading -------------------------------------------------------------------------------------

def test_load_catalogue_by_name_module_path_json_and_instance(tmp_path, support):
    module = Path(__file__).parent.parent / "toolrouter" / "catalogues" / "support_router.py"
    assert load_catalogue(str(module)) == support
    assert load_catalogue(module) == support
    path = tmp_path / "exported.json"
    path.write_text(json.dumps(support.to_openai()))
    from_json = load_catalogue(path)
    assert from_json == support and from_json.name == "exported"
    assert load_catalogue(support) is support
    assert support.name == "support_router" and support.module is not None


def test_load_a_user_module(tmp_path):
    path = tmp_path / "paint.py"
    path.write_text(
        "from __future__ import annotations\n"
        "import enum\n"
        "from typing import Literal, Optional\n"
        "from pydantic import Field\n"
        "from toolrouter import FreeText, Tool\n"
        "class Colour(enum.Enum):\n"
        "    RED = 'red'\n"
        "    GREEN = 'green'\n"
        "class Paint(Tool):\n"
        "    '''Paint the wall.'''\n"
        "    colour: Colour = Field(description='Colour.')\n"
        "    rooms: set[Literal['kitchen', 'hall']] = Field(default_factory=set, description='Rooms.')\n"
        "    note: Optional[FreeText] = Field(default=None, description='A note.')\n"
        "class Clean(Tool):\n"
        "    '''Clean up.'''\n"
        "    tool_name = 'house.clean'\n"
    )
    cat = load_catalogue(path)
    assert cat.name == "paint" and cat.names == ["paint", "house.clean"]
    assert cat["paint"].properties["colour"]["enum"] == ["red", "green"]
    assert cat["paint"].properties["rooms"]["uniqueItems"] is True


def test_module_catalogue_list_order_wins(tmp_path):
    path = tmp_path / "ordered.py"
    path.write_text(
        "from pydantic import Field\nfrom toolrouter import Tool\n"
        "class A(Tool):\n    '''A.'''\n"
        "class B(Tool):\n    '''B.'''\n"
        "CATALOGUE = [B, A]\n")
    assert load_catalogue(path).names == ["b", "a"]


@pytest.mark.parametrize("arg, fragment", [
    ("no_such_catalogue", "built-in ones are car_control, support_router"),
    ("missing/dir/tools.json", "not found"),
    ("missing.py", "not found"),
])
def test_load_errors_name_the_fix(arg, fragment):
    with pytest.raises(ToolrouterError) as e:
        load_catalogue(arg)
    assert fragment in str(e.value) and arg in str(e.value)


@pytest.mark.parametrize("filename, text, fragment", [
    ("tools.yaml", "- a", "unsupported file type '.yaml'"),
    ("broken.json", '[{"type": "function",', "not valid JSON"),
    ("obj.json", '{"tools": []}', "top level must be a list"),
    ("boom.py", "raise RuntimeError('boom')\n", "importing the module failed: RuntimeError: boom"),
    ("empty.py", "x = 1\n", "no tools found"),
])
def test_bad_files(tmp_path, filename, text, fragment):
    path = tmp_path / filename
    path.write_text(text)
    with pytest.raises(ToolrouterError) as e:
        load_catalogue(path)
    assert fragment in str(e.value) and str(path) in str(e.value)


BAD_MODULE = '''
from typing import Any, Union
from pydantic import Field
from toolrouter import Tool

class TrackOrder(Tool):
    """Get the status of an order."""
    order_id: str = Field(description="The order.")

class Track(Tool):
    """Duplicate name."""
    tool_name = "track_order"
    order_id: str = Field(description="The order.")

class NoTool(Tool):
    """Reserved."""
    tool_name = "no_tool"

class Dashed(Tool):
    """Bad name."""
    tool_name = "bad-name"

class AnyArg(Tool):
    """Any."""
    blob: Any = Field(description="Anything.")

class DictArg(Tool):
    """Dict."""
    blob: dict = Field(description="A dict.")

class UnionArg(Tool):
    """Union."""
    blob: Union[int, str] = Field(description="A union.")

class Undocumented(Tool):
    x: int
'''
BAD_MODULE_FRAGMENTS = [
    "tool 'track_order': duplicate name", "tool 'no_tool': the name 'no_tool' is reserved",
    "tool 'bad-name': not a valid name", "AnyArg (any_arg).blob: argument has no 'type' (Any",
    "DictArg (dict_arg).blob: objects need 'properties'",
    "UnionArg (union_arg).blob: unsupported argument type (anyOf)",
    "Undocumented: no docstring", "Undocumented.x: no description",
]


def test_one_error_lists_every_problem_of_a_module(tmp_path):
    path = tmp_path / "bad_tools.py"
    path.write_text(BAD_MODULE)
    with pytest.raises(CatalogueError) as e:
        load_catalogue(path)
    assert len(e.value.problems) == len(BAD_MODULE_FRAGMENTS)
    for fragment in BAD_MODULE_FRAGMENTS:
        assert sum(fragment in p for p in e.value.problems) == 1, fragment
        assert fragment in str(e.value)
    assert str(e.value).startswith(f"catalogue {path}: 8 problem(s):")


def _fn(name, properties=None, required=()):
    return {"type": "function", "function": {"name": name, "description": f"{name}.", "parameters": {
        "type": "object", "properties": properties or {}, "required": list(required)}}}


BAD_JSON = [
    _fn("lookup", {"q": {"type": "string"}}),
    _fn("lookup"),
    _fn("no_tool"),
    _fn("bad name"),
    _fn("math..sqrt"),
    _fn("anything", {"x": {}}),
    _fn("free_dict", {"x": {"type": "object"}}),
    _fn("union", {"x": {"anyOf": [{"type": "integer"}, {"type": "string"}]}}),
    _fn("missing_prop", {"x": {"type": "string"}}, required=["y"]),
    "not a definition",
]
BAD_JSON_FRAGMENTS = [
    "tool 'lookup': duplicate name", "tool 'no_tool': the name 'no_tool' is reserved",
    "tool 'bad name': not a valid name", "tool 'math..sqrt': not a valid name",
    "[5] (anything).x: argument has no 'type'", "[6] (free_dict).x: objects need 'properties'",
    "[7] (union).x: unsupported argument type (anyOf)", "[8] (missing_prop): required argument 'y'",
    "[9]: a tool definition must be an object",
]


def test_one_error_lists_every_problem_of_a_json_file(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(BAD_JSON))
    with pytest.raises(CatalogueError) as e:
        load_catalogue(path)
    assert len(e.value.problems) == len(BAD_JSON_FRAGMENTS), e.value.problems
    for fragment in BAD_JSON_FRAGMENTS:
        assert sum(fragment in p for p in e.value.problems) == 1, fragment


def test_name_problems_alone_are_reported_for_json(tmp_path):
    path = tmp_path / "names.json"
    path.write_text(json.dumps([_fn("a"), _fn("a"), _fn("no_tool"), _fn("9lives")]))
    with pytest.raises(CatalogueError) as e:
        load_catalogue(path)
    assert len(e.value.problems) == 3


def load_catalogue_from(definitions):
    from toolrouter.core.catalogue import catalogue_from_openai
    return catalogue_from_openai(definitions, "inline.json")


@pytest.mark.parametrize("name, ok", [
    ("track_order", True), ("math.factorial", True), ("a.b.c", True), ("_private", True), ("v2", True),
    ("bad-name", False), ("9lives", False), ("", False), (".a", False), ("a.", False), ("a..b", False),
    ("has space", False), ("no_tool", False),
])
def test_tool_names(name, ok):
    definitions = [_fn(name)]
    if ok:
        assert load_catalogue_from(definitions).names == [name]
    else:
        with pytest.raises(CatalogueError) as e:
            load_catalogue_from(definitions)
        assert len(e.value.problems) == 1 and repr(name) in e.value.problems[0]


def test_catalogue_rejects_non_tools():
    with pytest.raises(CatalogueError) as e:
        Catalogue([int, "x"])
    assert len(e.value.problems) == 2 and "item 0" in e.value.problems[0] and "item 1" in e.value.problems[1]


# --- container, exports -----------------------------------------------------------------------------

def test_container_behaviour(car):
    assert "lock_doors" in car and "no_tool" not in car
    assert car["lock_doors"].name == "lock_doors" and car.get("nope") is None
    assert [s.name for s in car] == car.names
    assert repr(load_catalogue("support_router")) == \
        "Catalogue('support_router', tools=['track_order', 'request_refund', 'escalate'])"


def test_subset_keeps_the_order_given(car):
    sub = car.subset(["lock_doors", "set_temperature"])
    assert sub.names == ["lock_doors", "set_temperature"] and sub.name == "car_control"
    assert sub["lock_doors"] == car["lock_doors"]
    with pytest.raises(KeyError):
        car.subset(["nope"])


def test_openai_export_round_trips_through_json(car, support, tmp_path):
    for cat in (car, support):
        path = tmp_path / f"{cat.name}.json"
        path.write_text(json.dumps(cat.to_openai(), indent=2))
        back = load_catalogue(path)
        assert back == cat and back.fingerprint() == cat.fingerprint()
    assert car != support


def test_fingerprint_is_a_stable_sha256_of_the_tool_list(support):
    fp = support.fingerprint()
    assert len(fp) == 64 and fp == load_catalogue("support_router").fingerprint()
    assert support.subset(["escalate", "track_order"]).fingerprint() != fp  # order matters


def test_answer_schema(support):
    schema = support.answer_schema()
    options = schema["anyOf"]
    assert [o["properties"]["tool"]["const"] for o in options] == support.names + ["no_tool"]
    assert options[0]["properties"]["arguments"] == support["track_order"].parameters
    assert options[-1]["required"] == ["tool", "reason"]
    assert all(o["additionalProperties"] is False for o in options)
    assert all(list(o["properties"])[0] == "tool" for o in options)


# --- prompt modes ---------------------------------------------------------------------------------

def test_compact_is_one_line_per_tool(support, car):
    text = support.render("compact")
    assert "- track_order(order_id: str /^ORD-\\d+$/): Get the status of an order." in text.splitlines()
    assert "- escalate(reason: text): Hand the conversation off to a human agent." in text.splitlines()
    for cat in (support, car):
        lines = [line for line in cat.render("compact").splitlines() if line.startswith("- ")]
        assert len(lines) == len(cat) and [line[2:].split("(")[0] for line in lines] == cat.names


def test_compact_shows_choices_bounds_defaults_and_sets(car):
    assert compact_line(car["set_temperature"]) == (
        '- set_temperature(temperature: number 1..90, unit?: "celsius"|"fahrenheit" = "celsius", '
        'area?: set["driver"|"front-passenger"|"rear-left"|"rear-right"]): Set the cabin temperature.')
    assert compact_line(car["activate_defroster"]) == (
        '- activate_defroster(defroster_zone?: "front"|"rear"|"all" = "all", '
        'duration_minutes?: int 1..30 = 10): Turn on the defroster.')
    assert compact_line(car["check_battery_health"]) == (
        "- check_battery_health(include_history?: bool = false): Report the battery's health.")


def test_compact_line_of_a_tool_without_arguments():
    class Ping(Tool):
        """Check the service is up"""

    assert compact_line(Catalogue([Ping])["ping"]) == "- ping(): Check the service is up."


def test_json_mode_contains_the_openai_list(car):
    text = car.render("json")
    embedded = [line for line in text.splitlines() if line.startswith("[")]
    assert len(embedded) == 1 and json.loads(embedded[0]) == car.to_openai()


def test_template_mode_has_no_tool_list(car, support):
    for cat in (car, support):
        text = cat.render("template")
        assert not any(name in text for name in cat.names)
        assert cat.template_tools("template") == cat.to_openai()
        for mode in ("compact", "json", "baked"):
            assert cat.template_tools(mode) is None
    assert car.render("template") == support.render("template")


def test_baked_is_one_generic_prompt(car, support):
    class Other(Tool):
        """Something else entirely."""

        thing: FreeText = Field(description="A thing.")

    texts = {cat.render("baked") for cat in (car, support, Catalogue([Other]))}
    assert texts == {BAKED_PROMPT}
    for cat in (car, support):
        assert not any(name in BAKED_PROMPT for name in cat.names)
    assert "other" not in BAKED_PROMPT


def test_every_mode_states_the_answer_format(car):
    for mode in MODES:
        text = car.render(mode)
        assert '{"tool": "no_tool", "reason": "<why>"}' in text and "exactly one JSON object" in text


def test_unknown_mode(car):
    with pytest.raises(ToolrouterError, match="unknown prompt mode 'fancy'; choose one of: compact, json"):
        car.render("fancy")


@pytest.mark.parametrize("catalogue", BUILTINS)
@pytest.mark.parametrize("mode", MODES)
def test_snapshot(catalogue, mode):
    text = load_catalogue(catalogue).render(mode)
    path = SNAPSHOTS / f"{catalogue}.{mode}.txt"
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        SNAPSHOTS.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"missing snapshot {path}; create it with UPDATE_SNAPSHOTS=1"
    assert text == path.read_text(encoding="utf-8"), (
        f"{catalogue} {mode} prompt changed; if intended, rerun with UPDATE_SNAPSHOTS=1 and review the diff")
