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


# ---------------------------------------------------------------------------------------------
# several calls: ten cases scored by hand

def calls(*pairs):
    return json.dumps([{"tool": t, "arguments": a} for t, a in pairs])


PARIS, OSLO = {"city": "Paris"}, {"city": "Oslo"}
W = "weather"
SEVERAL = [  # (gold target, output)
    ([{"tool": W, "arguments": PARIS}, {"tool": W, "arguments": OSLO}],
     calls((W, OSLO), (W, {"city": "paris"}))),  # A exact, in another order
    ([{"tool": W, "arguments": PARIS}, {"tool": "note", "arguments": {"text": "buy milk"}}],
     call(W, city="Paris")),  # B the note call is missing
    ([{"tool": W, "arguments": PARIS}, {"tool": W, "arguments": OSLO}],
     calls((W, PARIS), (W, {"city": "Rome"}))),  # C one wrong call (Oslo -> Rome)
    ([{"tool": W, "arguments": PARIS}, {"tool": "note", "arguments": {"text": "x"}}],
     calls((W, PARIS), ("note", {"text": "x"}), (W, OSLO))),  # D one extra call
    ([{"tool": W, "arguments": PARIS}, {"tool": W, "arguments": OSLO}], format_no_tool("?")),  # E missed
    ({"tool": "no_tool", "reason": "hi"}, calls((W, PARIS), (W, OSLO))),  # F false call, 2 extra
    ({"tool": W, "arguments": PARIS}, calls((W, PARIS), (W, PARIS))),  # G one gold call, said twice
    ([{"tool": W, "arguments": PARIS}, {"tool": W, "arguments": OSLO}],
     json.dumps([{"tool": W, "arguments": PARIS}, {"tool": "no_tool", "reason": "x"}])),  # H invalid
    ([{"tool": W, "arguments": {"city": {"any_of": ["Paris", "Oslo"]}}}, {"tool": W, "arguments": PARIS}],
     calls((W, PARIS), (W, OSLO))),  # I exact only by a real matching (greedy pairs Paris first)
    ([{"tool": W, "arguments": {"city": "Paris", "unit": "f"}}, {"tool": "note", "arguments": {"text": "call mom"}}],
     calls(("note", {"text": "call mom"}), (W, PARIS))),  # J one wrong call (unit), one matched
]


@pytest.fixture(scope="module")
def several():
    scores = [score_case(gold, out, CAT) for gold, out in SEVERAL]
    return scores, summarize(scores, CAT.names)


def test_several_calls_per_case_by_hand(several):
    scores, _ = several
    got = [(s.exact, s.matched, s.missing, s.extra, s.wrong) for s in scores]
    assert got == [(True, 2, 0, 0, 0), (False, 1, 1, 0, 0), (False, 1, 0, 0, 1), (False, 2, 0, 1, 0),
                   (False, 0, 2, 0, 0), (False, 0, 0, 2, 0), (False, 1, 0, 1, 0), (False, 0, 2, 0, 0),
                   (True, 2, 0, 0, 0), (False, 1, 0, 0, 1)]
    assert [s.reasons for s in scores] == [
        [], ["missing_call:note"], ["argument:weather.city:wrong_value"], ["extra_call:weather"], ["missed_call"],
        ["false_call"], ["extra_call:weather"], ["invalid:bad_call_list"], [],
        ["argument:weather.unit:missing_vs_default"]]
    assert [s.gold_tool for s in scores[:2]] == ["weather+weather", "note+weather"]
    assert [s.pred_tool for s in scores[3:8]] == ["note+weather+weather", "no_tool", "weather+weather",
                                                  "weather+weather", "invalid"]
    assert scores[0].parsed["calls"][0] == {"tool": W, "arguments": OSLO}


def test_several_calls_rates_by_hand(several):
    _, report = several
    m = {k: (v["numerator"], v["denominator"]) for k, v in report["metrics"].items() if k != "free_text_f1"}
    assert m == {
        "valid_tool_call_rate": (9, 10),  # all but H
        "tool_name_accuracy": (4, 10),  # the same multiset of tools: A, C, I, J
        "argument_match_accuracy": (2, 4),  # of A, C, I, J: A and I
        "false_tool_call_rate": (1, 1),  # F
        "missed_call_rate": (1, 9),  # E, of all but F
        "exact_match_rate": (2, 10),  # A, I
    }
    c = report["calls"]
    # gold 2+2+2+2+2+0+1+2+2+2 = 17; predicted (valid) 2+1+2+3+0+2+2+0+2+2 = 16
    # matched 2+1+1+2+0+0+1+0+2+1 = 10; wrong C, J = 2; missing B 1, E 2, H 2 = 5; extra D 1, F 2, G 1 = 4
    assert {k: c[k] for k in ("gold_calls", "pred_calls", "matched", "missing", "extra", "wrong")} == {
        "gold_calls": 17, "pred_calls": 16, "matched": 10, "missing": 5, "extra": 4, "wrong": 2}
    assert c["matched"] + c["wrong"] + c["missing"] == c["gold_calls"]
    assert c["matched"] + c["wrong"] + c["extra"] == c["pred_calls"]
    assert c["call_recall"]["value"] == 10 / 17 and c["call_precision"]["value"] == 10 / 16
    assert c["missing_call_rate"]["value"] == 5 / 17 and c["wrong_call_rate"]["value"] == 2 / 17
    assert c["extra_call_rate"]["value"] == 4 / 16
    assert (c["cases_with_missing"], c["cases_with_extra"], c["cases_with_wrong"]) == (3, 3, 2)
    assert c["several_call_cases"] == 8 and c["several_call_exact"]["value"] == 2 / 8  # A, I of all but F, G
    assert c["several_call_answers"] == 7  # A C D F G I J
    assert report["reason_kinds"]["extra_call"] == 2 and report["reason_kinds"]["missing_call"] == 1
    assert reason_kind("missing_call:note") == "missing_call"


def test_call_counts_of_the_one_call_cases_by_hand(report):
    c = report["calls"]
    # gold calls: 1-5, 9, 10 = 7; predicted: 1-5 and 7 = 6; matched 1, 3, 4; wrong 2 (unit);
    # missing 5 (note), 9 (no_tool), 10 (invalid); extra 5 (weather), 7 (false call)
    assert {k: c[k] for k in ("gold_calls", "pred_calls", "matched", "missing", "extra", "wrong")} == {
        "gold_calls": 7, "pred_calls": 6, "matched": 3, "missing": 3, "extra": 2, "wrong": 1}
    assert c["several_call_cases"] == 0 and c["several_call_exact"]["value"] is None


def _one_call_reference(target, output):
    """score_case as it was before several calls (commit 64e7791), kept as the reference the one-call
    scoring must still equal: (gold tool, predicted tool, valid, exact, args compared, args match, reasons)."""
    from toolrouter.formats.parse import parse_tool_call

    result = parse_tool_call(output, CAT)
    gold = target["tool"]
    if result.kind == "invalid":
        return gold, "invalid", False, False, False, False, [f"invalid:{result.error}"]
    pred = result.tool
    if pred != gold:
        return gold, pred, True, False, False, False, [
            "false_call" if gold == "no_tool" else "missed_call" if pred == "no_tool" else "wrong_tool"]
    if gold == "no_tool":
        return gold, pred, True, True, False, False, []
    found = argument_misses(target.get("arguments", {}), result.arguments, CAT[gold].parameters)
    return gold, pred, True, not found, True, not found, [f"argument:{gold}.{p}:{k}" for p, k in found]


ONE_CALL_GOLDS = [gold for gold, _ in CASES] + [{"tool": "trip", "arguments": {"stops": ["a", "b"], "dest": {"city": "Nice"}}}]
ONE_CALL_OUTPUT = st.one_of(
    st.builds(lambda city, unit, days: call("weather", city=city, **unit, **days),
              st.sampled_from(["Paris", "paris", "Oslo", "Lima", "Rome"]), st.sampled_from([{}, {"unit": "c"}, {"unit": "f"}]),
              st.sampled_from([{}, {"days": 1}, {"days": 3}])),
    st.builds(lambda text: call("note", text=text), st.sampled_from(["buy milk", "call mom", "", "x"])),
    st.builds(lambda stops, city: call("trip", stops=stops, dest={"city": city}),
              st.sampled_from([["a", "b"], ["b", "a"], ["a"]]), st.sampled_from(["Nice", "nice", "Lyon"])),
    st.sampled_from([format_no_tool("x"), "not json", call("weather"), call("nope")]))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(ONE_CALL_GOLDS), ONE_CALL_OUTPUT), min_size=1, max_size=12))
def test_one_call_answers_score_exactly_as_before(pairs):
    """With one call (or none) on both sides, every case and the six rates equal the one-call scoring."""
    scores = [score_case(gold, out, CAT) for gold, out in pairs]
    for score, (gold, out) in zip(scores, pairs):
        assert (score.gold_tool, score.pred_tool, score.valid, score.exact, score.args_compared, score.args_match,
                score.reasons) == _one_call_reference(gold, out)
    report = summarize(scores, CAT.names)
    ref = [_one_call_reference(gold, out) for gold, out in pairs]
    n, valid = len(ref), [r for r in ref if r[2]]
    compared = [r for r in ref if r[4]]
    assert report["metrics"]["valid_tool_call_rate"]["numerator"] == len(valid)
    assert report["metrics"]["tool_name_accuracy"]["numerator"] == sum(r[0] == r[1] for r in valid)
    assert (report["metrics"]["argument_match_accuracy"]["numerator"],
            report["metrics"]["argument_match_accuracy"]["denominator"]) == (sum(r[5] for r in compared), len(compared))
    assert report["metrics"]["exact_match_rate"]["numerator"] == sum(r[3] for r in ref)
    assert report["metrics"]["exact_match_rate"]["denominator"] == n


# ---------------------------------------------------------------------------------------------
# a minimum token F1 for free text (recipe eval.free_text_min_f1, --free-text-min-f1, a gold case's own)

NOTE = {"tool": "note", "arguments": {"text": "buy milk and eggs"}}


def test_min_f1_decides_free_text_at_the_boundary():
    gold = {"text": "buy milk and eggs"}
    # gold [buy, milk, and, eggs], pred [buy, milk]: P 2/2, R 2/4, F1 2 * 1 * 0.5 / 1.5 = 2/3
    assert token_f1("buy milk and eggs", "buy milk") == pytest.approx(2 / 3)
    assert argument_misses(gold, {"text": "buy milk"}, SCHEMA["note"]) == []  # no minimum: present is enough
    assert argument_misses(gold, {"text": "buy milk"}, SCHEMA["note"], min_f1=0.66) == []
    assert argument_misses(gold, {"text": "buy milk"}, SCHEMA["note"], min_f1=0.67) == [("text", "low_f1")]
    assert argument_misses(gold, {"text": "sell bread"}, SCHEMA["note"], min_f1=0.0) == []  # 0 = present is enough
    assert argument_misses(gold, {"text": "  "}, SCHEMA["note"], min_f1=0.5) == [("text", "empty_free_text")]
    # exactly on the minimum matches: gold [a, b, c, d, e], pred [a, b, c]: P 1, R 3/5, F1 2 * 0.6 / 1.6 = 3/4,
    # which the float arithmetic gives as 0.7499999999999999; a relative 1e-9 keeps it a match
    assert token_f1("a b c d e", "a b c") < 0.75
    assert argument_misses({"text": "a b c d e"}, {"text": "a b c"}, SCHEMA["note"], min_f1=0.75) == []
    # pred [a, b]: P 1, R 2/5, F1 0.8 / 1.4 = 4/7 = 0.571
    assert argument_misses({"text": "a b c d e"}, {"text": "A, b!"}, SCHEMA["note"], min_f1=0.58) == [("text", "low_f1")]
    assert argument_misses({"text": "a b c d e"}, {"text": "A, b!"}, SCHEMA["note"], min_f1=0.57) == []


def test_min_f1_takes_the_best_any_of_alternative():
    gold = {"text": {"any_of": ["purchase dairy products", "buy milk"]}}
    # pred [buy, milk, now]: against "buy milk" P 2/3, R 1, F1 (4/3) / (5/3) = 0.8; against the other 0
    assert argument_misses(gold, {"text": "buy milk now"}, SCHEMA["note"], min_f1=0.8) == []
    assert argument_misses(gold, {"text": "buy milk now"}, SCHEMA["note"], min_f1=0.81) == [("text", "low_f1")]


def test_min_f1_in_score_case_and_the_report():
    low = score_case(NOTE, call("note", text="buy milk"), CAT, min_f1=0.7)
    assert (low.exact, low.args_compared, low.args_match, low.reasons) == (False, True, False,
                                                                           ["argument:note.text:low_f1"])
    assert low.free_text_f1 == [("note.text", pytest.approx(2 / 3))]  # the F1 figure does not depend on the minimum
    ok = score_case(NOTE, call("note", text="buy milk"), CAT, min_f1=0.6)
    assert ok.exact and ok.free_text_f1 == low.free_text_f1
    assert score_case(NOTE, call("note", text="sell bread"), CAT, min_f1=0).exact  # as with no minimum
    report = summarize([low, ok], CAT.names)
    assert report["metrics"]["argument_match_accuracy"]["numerator"] == 1
    assert report["metrics"]["free_text_f1"] == {"value": pytest.approx(2 / 3), "count": 2}
    assert report["reason_kinds"] == {"argument:low_f1": 1}


def test_min_f1_with_several_calls_of_one_tool():
    gold = [{"tool": "note", "arguments": {"text": "buy milk"}}, {"tool": "note", "arguments": {"text": "call mom"}}]
    out = calls(("note", {"text": "call my mom"}), ("note", {"text": "buy some milk"}))
    # right pairs: "call mom"/"call my mom" and "buy milk"/"buy some milk", each P 2/3, R 1, F1 0.8; crossed: 0
    right = score_case(gold, out, CAT, min_f1=0.8)
    assert right.exact and right.matched == 2
    assert sorted(f for _, f in right.free_text_f1) == [pytest.approx(0.8), pytest.approx(0.8)]
    low = score_case(gold, out, CAT, min_f1=0.9)
    assert (low.exact, low.matched, low.wrong) == (False, 0, 2)
    assert low.reasons == ["argument:note.text:low_f1", "argument:note.text:low_f1"]


def test_gives_free_text():
    from toolrouter.eval.metrics import gives_free_text

    assert gives_free_text({"text": "x"}, SCHEMA["note"])
    assert not gives_free_text({"text": None, "tags": ["a"]}, SCHEMA["note"])  # null: omitted
    assert gives_free_text({"text": {"any_of": [None, "x"]}}, SCHEMA["note"])
    assert not gives_free_text({"city": "Oslo"}, SCHEMA["weather"])
