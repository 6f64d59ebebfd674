"""toolrouter.eval.metrics: every matching rule, every rate and its interval, the typed miss reasons,
per-tool figures and the confusion matrix, each against numbers worked out by hand below.

    .venv/bin/python -m pytest tests/test_metrics.py -q
"""
import json
from typing import Literal, Optional

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, Field

from toolrouter import Catalogue, FreeText, Tool, format_no_tool
from toolrouter.eval.metrics import (METRICS, argument_misses, check_thresholds, compare_metrics, pick_alternative,
                                reason_kind, score_case, summarize, token_f1, value_miss, wilson)


class Weather(Tool):
    """Get the weather forecast."""

    city: str = Field(description="City name.")
    unit: Literal["c", "f"] = Field(default="c", description="Temperature unit.")
    days: int = Field(default=1, ge=1, le=7, description="Days ahead.")


class Note(Tool):
    """Write a note."""

    text: FreeText = Field(description="The note.")
    tags: Optional[list[str]] = Field(default=None, description="Tags, any order.",
                                      json_schema_extra={"uniqueItems": True})


class Place(BaseModel):
    """A place."""

    city: str = Field(description="City.")
    country: str = Field(default="FR", description="Country code.")


class Trip(Tool):
    """Plan a trip."""

    stops: list[str] = Field(description="Stops, in order.")
    dest: Place = Field(description="Destination.")
    budget: Optional[float] = Field(default=None, description="Budget.")


CAT = Catalogue([Weather, Note, Trip], name="test")
SCHEMA = {name: CAT[name].parameters for name in CAT.names}


def call(tool, **args):
    return json.dumps({"tool": tool, "arguments": args})


def misses(tool, gold, pred):
    return argument_misses(gold, pred, SCHEMA[tool])


# ---------------------------------------------------------------------------------------------
# matching rules, one by one

def test_numbers_compare_numerically():
    num = {"type": "number"}
    assert value_miss(22, 22.0, num, "x") is None
    assert value_miss(0.3, 0.1 + 0.2, num, "x") is None  # 0.30000000000000004: within 1e-9 relative
    assert value_miss(22, 22.001, num, "x") == ("x", "wrong_value")
    assert value_miss(1, True, num, "x") == ("x", "wrong_value")  # a boolean is not a number
    assert value_miss(True, True, {"type": "boolean"}, "x") is None


def test_strings_normalized_but_choices_exact():
    s = {"type": "string"}
    assert value_miss("New York", "  new   YORK ", s, "x") is None  # trim, collapse, casefold
    assert value_miss("Caf\u00e9", "Cafe\u0301", s, "x") is None  # NFC: composed == decomposed
    assert value_miss("straße", "STRASSE", s, "x") is None  # casefold, not lower
    assert value_miss("Paris", "Lyon", s, "x") == ("x", "wrong_value")
    choice = {"type": "string", "enum": ["Low", "low"]}
    assert value_miss("low", "Low", choice, "x") == ("x", "wrong_choice")
    assert value_miss("low", "low", choice, "x") is None


def test_free_text_matches_when_present_and_nonempty():
    assert misses("note", {"text": "buy milk"}, {"text": "something else entirely"}) == []
    assert misses("note", {"text": "buy milk"}, {"text": "   "}) == [("text", "empty_free_text")]
    # SQuAD token F1: gold [buy, milk, and, eggs], pred [buy, milk] -> P 1, R 1/2, F1 2/3
    assert token_f1("Buy milk and eggs.", "buy milk") == pytest.approx(2 / 3)
    assert token_f1("a b", "c") == 0.0 and token_f1("", "") == 1.0


def test_lists_ordered_or_multiset():
    assert misses("trip", {"stops": ["a", "b"], "dest": {"city": "x"}},
                  {"stops": ["b", "a"], "dest": {"city": "x"}}) == [("stops", "wrong_order")]
    assert misses("trip", {"stops": ["a", "b"], "dest": {"city": "x"}},
                  {"stops": ["a"], "dest": {"city": "x"}}) == [("stops", "wrong_length")]
    assert misses("trip", {"stops": ["a", "b"], "dest": {"city": "x"}},
                  {"stops": ["a", "c"], "dest": {"city": "x"}}) == [("stops[1]", "wrong_value")]
    # uniqueItems: a set, order free
    assert misses("note", {"text": "t", "tags": ["A", "b"]}, {"text": "t", "tags": ["B", "a"]}) == []
    assert misses("note", {"text": "t", "tags": ["a", "b"]}, {"text": "t", "tags": ["a", "c"]}) == [("tags", "wrong_items")]


def test_multiset_with_any_of_items_needs_a_real_matching():
    # gold item 0 accepts x or y, item 1 only x; pred [x, y]: greedy would give x to item 0 and fail.
    items = {"type": "array", "uniqueItems": True, "items": {"type": "string"}}
    assert value_miss([{"any_of": ["x", "y"]}, "x"], ["x", "y"], items, "t") is None
    assert value_miss([{"any_of": ["x", "y"]}, "x"], ["y", "z"], items, "t") == ("t", "wrong_items")


def test_objects_recursive_with_nested_defaults():
    gold = {"stops": ["a"], "dest": {"city": "Nice"}}
    assert misses("trip", gold, {"stops": ["a"], "dest": {"city": "nice", "country": "FR"}}) == []
    assert misses("trip", gold, {"stops": ["a"], "dest": {"city": "Nice", "country": "IT"}}) == [
        ("dest.country", "unexpected_vs_default")]
    assert misses("trip", gold, {"stops": ["a"], "dest": {"city": "Rome"}}) == [("dest.city", "wrong_value")]


def test_omitted_optional_equals_its_default():
    assert misses("weather", {"city": "Oslo"}, {"city": "Oslo", "unit": "c", "days": 1}) == []
    assert misses("weather", {"city": "Oslo", "unit": "c"}, {"city": "Oslo"}) == []
    assert misses("weather", {"city": "Oslo", "unit": "f"}, {"city": "Oslo"}) == [("unit", "missing_vs_default")]
    assert misses("weather", {"city": "Oslo"}, {"city": "Oslo", "days": 3}) == [("days", "unexpected_vs_default")]
    # no default: omitted matches only omitted
    assert misses("trip", {"stops": [], "dest": {"city": "x"}, "budget": 10},
                  {"stops": [], "dest": {"city": "x"}}) == [("budget", "missing")]
    assert misses("trip", {"stops": [], "dest": {"city": "x"}},
                  {"stops": [], "dest": {"city": "x"}, "budget": 10.0}) == [("budget", "unexpected")]
    # every miss is listed, in schema order
    assert misses("weather", {"city": "Oslo", "unit": "f"}, {"city": "Bergen", "days": 2}) == [
        ("city", "wrong_value"), ("unit", "missing_vs_default"), ("days", "unexpected_vs_default")]


def test_any_of_and_null_means_omitted():
    assert misses("weather", {"city": {"any_of": ["NYC", "New York"]}}, {"city": "new york"}) == []
    assert misses("weather", {"city": {"any_of": ["NYC", "New York"]}}, {"city": "Boston"}) == [("city", "wrong_value")]
    budget = {"stops": [], "dest": {"city": "x"}, "budget": {"any_of": [None, 50]}}
    assert misses("trip", budget, {"stops": [], "dest": {"city": "x"}}) == []
    assert misses("trip", budget, {"stops": [], "dest": {"city": "x"}, "budget": 50.0}) == []
    assert misses("trip", budget, {"stops": [], "dest": {"city": "x"}, "budget": 60}) == [("budget", "unexpected")]
    assert pick_alternative({"a": {"any_of": [None, 1]}, "b": [{"any_of": [2, 3]}]}, 0) == {"b": [2]}
    assert pick_alternative({"a": {"any_of": [None, 1]}, "b": [{"any_of": [2, 3]}]}, 5) == {"a": 1, "b": [3]}


def test_a_null_prediction_is_an_omission():
    trip = {"stops": [], "dest": {"city": "x"}}
    # the parser lets null stand on budget (Optional[float] = None), and it means omitted
    assert score_case({"tool": "trip", "arguments": trip}, call("trip", **trip, budget=None), CAT).exact
    # a gold value that is only null (omitted) is matched by an omission or by an explicit null
    for gold in ({**trip, "budget": None}, {**trip, "budget": {"any_of": [None]}}):
        assert score_case({"tool": "trip", "arguments": gold}, call("trip", **trip, budget=None), CAT).exact
        assert score_case({"tool": "trip", "arguments": gold}, call("trip", **trip), CAT).exact
        assert score_case({"tool": "trip", "arguments": gold}, call("trip", **trip, budget=5), CAT).reasons == [
            "argument:trip.budget:unexpected"]
    # a null default is no default: omitted matches only omitted (or null)
    schema = {"type": "object", "properties": {"q": {"type": "string", "default": None}}, "required": []}
    assert argument_misses({}, {"q": None}, schema) == []
    assert argument_misses({"q": "a"}, {}, schema) == [("q", "missing")]
    # null where the schema refuses it is an invalid output, not an omission
    assert score_case({"tool": "weather", "arguments": {"city": "Oslo"}}, call("weather", city="Oslo", unit=None),
                      CAT).reasons == ["invalid:wrong_type"]


# ---------------------------------------------------------------------------------------------
# ten cases scored by hand

CASES = [  # (gold target, output)
    ({"tool": "weather", "arguments": {"city": "Paris"}}, call("weather", city="paris")),  # 1 exact
    ({"tool": "weather", "arguments": {"city": "Oslo", "unit": "f"}}, call("weather", city="Oslo")),  # 2 unit missed
    ({"tool": "weather", "arguments": {"city": "Rome"}}, call("weather", city="Rome", days=1)),  # 3 exact (default)
    ({"tool": "note", "arguments": {"text": "buy milk and eggs"}}, call("note", text="buy milk")),  # 4 exact, F1 2/3
    ({"tool": "note", "arguments": {"text": "call mom"}}, call("weather", city="X")),  # 5 wrong tool
    ({"tool": "no_tool", "reason": "hi"}, format_no_tool("greeting")),  # 6 exact
    ({"tool": "no_tool"}, call("weather", city="Paris")),  # 7 false call
    ({"tool": "no_tool"}, "sure, here you go"),  # 8 invalid
    ({"tool": "weather", "arguments": {"city": "Lima"}}, format_no_tool("?")),  # 9 missed call
    ({"tool": "weather", "arguments": {"city": "Kyiv"}}, call("weather", city="Kyiv", extra=1)),  # 10 invalid
]


@pytest.fixture(scope="module")
def report():
    return summarize([score_case(gold, out, CAT) for gold, out in CASES], CAT.names)


def test_rates_by_hand(report):
    m = report["metrics"]
    # valid: all but 8 and 10 -> 8/10
    assert (m["valid_tool_call_rate"]["numerator"], m["valid_tool_call_rate"]["denominator"]) == (8, 10)
    # right tool among valid: 1, 2, 3, 4, 6 -> 5/10
    assert (m["tool_name_accuracy"]["numerator"], m["tool_name_accuracy"]["denominator"]) == (5, 10)
    # same real tool: 1, 2, 3, 4; arguments match in 1, 3, 4 -> 3/4
    assert (m["argument_match_accuracy"]["numerator"], m["argument_match_accuracy"]["denominator"]) == (3, 4)
    # gold no_tool: 6, 7, 8; a valid real call only in 7 (8 is invalid, not a call) -> 1/3
    assert (m["false_tool_call_rate"]["numerator"], m["false_tool_call_rate"]["denominator"]) == (1, 3)
    # gold real tool: 1, 2, 3, 4, 5, 9, 10; a valid no_tool only in 9 -> 1/7
    assert (m["missed_call_rate"]["numerator"], m["missed_call_rate"]["denominator"]) == (1, 7)
    # exact: 1, 3, 4, 6 -> 4/10
    assert (m["exact_match_rate"]["numerator"], m["exact_match_rate"]["denominator"]) == (4, 10)
    assert m["exact_match_rate"]["value"] == 0.4 and m["argument_match_accuracy"]["value"] == 0.75
    # free text: only case 4 has the right tool with a free-text argument -> mean F1 2/3
    assert m["free_text_f1"] == {"value": pytest.approx(2 / 3), "count": 1}
    assert report["free_text_f1_by_argument"] == {"note.text": {"mean": pytest.approx(2 / 3), "count": 1}}
    assert set(METRICS) == set(m)


def test_wilson_interval():
    # 8/10: centre (0.8 + 1.92/10) / 1.384 = 0.7168, half 1.96 * sqrt(0.016 + 0.0096) / 1.384 = 0.2266
    lo, hi = wilson(8, 10)
    assert lo == pytest.approx(0.4902, abs=1e-4) and hi == pytest.approx(0.9433, abs=1e-4)
    assert wilson(0, 10)[0] == 0.0 and wilson(10, 10)[1] == 1.0
    assert wilson(0, 0) is None


def test_empty_denominator_is_null(report):
    no_calls = summarize([score_case({"tool": "no_tool"}, format_no_tool("x"), CAT)])
    m = no_calls["metrics"]
    assert m["argument_match_accuracy"] == {"value": None, "numerator": 0, "denominator": 0, "ci95": None}
    assert m["missed_call_rate"]["value"] is None and m["free_text_f1"]["value"] is None
    assert m["exact_match_rate"]["value"] == 1.0


def test_confusion_per_tool_and_reasons(report):
    c = report["confusion"]
    assert c["rows"] == ["weather", "note", "trip", "no_tool"]
    assert c["columns"] == ["weather", "note", "trip", "no_tool", "invalid"]
    assert c["matrix"] == [
        [3, 0, 0, 1, 1],  # weather: 1, 2, 3 right; 9 no_tool; 10 invalid
        [1, 1, 0, 0, 0],  # note: 5 -> weather; 4 right
        [0, 0, 0, 0, 0],
        [1, 0, 0, 1, 1],  # no_tool: 7 -> weather; 6 right; 8 invalid
    ]
    t = report["per_tool"]
    # weather predicted in 1, 2, 3, 5, 7 -> precision 3/5; gold in 1, 2, 3, 9, 10 -> recall 3/5
    assert t["weather"] == {"gold": 5, "predicted": 5, "correct": 3, "precision": 0.6, "recall": 0.6, "exact": 2}
    assert t["note"] == {"gold": 2, "predicted": 1, "correct": 1, "precision": 1.0, "recall": 0.5, "exact": 1}
    assert t["no_tool"]["precision"] == 0.5 and t["no_tool"]["recall"] == pytest.approx(1 / 3)
    assert "trip" not in t  # neither gold nor predicted
    assert report["reasons"] == {"argument:weather.unit:missing_vs_default": 1, "wrong_tool": 1, "false_call": 1,
                                 "invalid:not_json": 1, "missed_call": 1, "invalid:unexpected_argument": 1}
    assert report["reason_kinds"]["argument:missing_vs_default"] == 1
    assert reason_kind("argument:trip.dest.city:wrong_value") == "argument:wrong_value"


def test_thresholds_and_compare(report):
    m = report["metrics"]
    assert check_thresholds(m, {"exact_match_rate": 0.4}, {"false_tool_call_rate": 0.34}) == []
    missed = check_thresholds(m, {"exact_match_rate": 0.5}, {"false_tool_call_rate": 0.3})
    assert missed == ["exact_match_rate = 0.4000 is below the minimum 0.5",
                      "false_tool_call_rate = 0.3333 is above the maximum 0.3"]
    null = summarize([score_case({"tool": "no_tool"}, format_no_tool("x"), CAT)])["metrics"]
    assert "no cases" in check_thresholds(null, {"argument_match_accuracy": 0.5}, {})[0]
    rows = {name: (a, b, d) for name, a, b, d in compare_metrics(null, m)}
    assert rows["exact_match_rate"] == (1.0, 0.4, pytest.approx(-0.6))
    assert rows["argument_match_accuracy"] == (None, 0.75, None)


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
                    max_leaves=8)


@settings(max_examples=150, deadline=None)
@given(tool=st.sampled_from(["weather", "note", "trip", "no_tool", "x"]), args=JSON, text=st.text(max_size=30))
def test_scoring_never_raises(tool, args, text):
    for output in (text, json.dumps({"tool": tool, "arguments": args}), json.dumps({"tool": tool, "arguments": {
            "city": args, "text": args, "tags": args, "stops": args, "dest": args, "unit": "c"}})):
        for gold, _ in CASES[:6]:
            score = score_case(gold, output, CAT)
            assert score.exact == (not score.reasons)
