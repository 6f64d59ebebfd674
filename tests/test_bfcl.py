"""toolrouter.eval.bfcl: BFCL questions + possible answers -> gold cases with per-case tools and any_of
values. The full simple_python (400) and multiple (200) sets score 100 % exact when each
prediction is built from the first acceptable value of the raw BFCL answer; irrelevance is no_tool.

    .venv/bin/python -m pytest tests/test_bfcl.py -q
"""
import json
from pathlib import Path

import pytest

from toolrouter import ToolrouterError, parse_tool_call
from toolrouter.eval.bfcl import bfcl_catalogue, convert_acceptable, convert_function, convert_schema, load_bfcl
from toolrouter.eval.evaluate import main
from toolrouter.core.schema import run_cli

ASSETS = Path(__file__).resolve().parent / "assets" / "bfcl"
CATEGORIES = {"simple_python": 400, "multiple": 200}


def questions(cat):
    return ASSETS / f"BFCL_v4_{cat}.json"


def answers(cat):
    return ASSETS / "possible_answer" / f"BFCL_v4_{cat}.json"


def test_schema_quirks():
    assert convert_schema({"type": "float", "description": "d"}) == {"type": "number", "description": "d"}
    assert convert_schema({"type": "tuple", "items": {"type": "float"}}) == {"type": "array", "items": {"type": "number"}}
    assert convert_schema({"type": "any"}) == {"type": "string"}
    assert convert_schema({"type": "integer", "optional": True, "format": "x", "default": 3}) == {"type": "integer", "default": 3}
    assert convert_schema({"type": "integer", "default": "None"}) == {"type": "integer"}  # not a valid default: dropped
    nested = convert_schema({"type": "dict", "properties": {"a": {"type": "float"}}, "required": ["a"]})
    assert nested == {"type": "object", "properties": {"a": {"type": "number"}}, "required": ["a"],
                      "additionalProperties": False}
    assert convert_schema({"type": "dict", "description": "free", "default": "None"}) == {"type": "object",
                                                                                          "description": "free"}


def test_tools_with_dots_underscores_and_free_form_dicts():
    fn = {"name": "poker.winner", "description": "d", "parameters": {"type": "dict", "properties": {
        "cards": {"type": "dict", "description": "player -> cards"},
        "_class": {"type": "string", "description": "c"}}, "required": ["cards", "_class"]}}
    cat = bfcl_catalogue([convert_function(fn)])
    assert cat.names == ["poker.winner"]
    ok = parse_tool_call('{"tool":"poker.winner","arguments":{"cards":{"Al":["A"],"Bo":[2]},"_class":"x"}}', cat)
    assert ok.kind == "call" and ok.arguments["cards"] == {"Al": ["A"], "Bo": [2]}
    bad = parse_tool_call('{"tool":"poker.winner","arguments":{"cards":[1],"_class":"x"}}', cat)
    assert bad.kind == "invalid" and bad.error == "wrong_type"


def test_acceptable_values():
    assert convert_acceptable([5]) == 5
    assert convert_acceptable(["units", ""]) == {"any_of": ["units", None]}  # "" = may be omitted
    assert convert_acceptable(["", True]) == {"any_of": [None, True]}
    assert convert_acceptable([""]) is None  # omitted
    assert convert_acceptable(["", 25.0], required=True) == 25.0  # omitting a required argument is never valid
    assert convert_acceptable([{"math": [90], "art": ["", 1]}]) == {"math": 90, "art": {"any_of": [None, 1]}}
    assert convert_acceptable([[{"f": ["a", "b"]}]]) == [{"f": {"any_of": ["a", "b"]}}]


def test_load_cases():
    cases = load_bfcl(questions("simple_python"), answers("simple_python"))
    assert len(cases) == 400
    first = cases[0]
    assert first["prompt"].startswith("Find the area of a triangle")
    assert first["target"] == {"tool": "calculate_triangle_area",
                               "arguments": {"base": 10, "height": 5, "unit": {"any_of": ["units", None]}}}
    assert first["tools"][0]["function"]["parameters"]["type"] == "object"
    assert cases[1]["target"]["tool"] == "math.factorial"
    # acceptable values the schema itself refuses are dropped ("GF" is not a diet choice)
    by_id = {c["id"]: c for c in cases}
    assert by_id["simple_python_358"]["target"]["arguments"]["diet"] == ["Gluten Free"]  # not "GF", "gluten free"
    assert "venue" not in by_id["simple_python_307"]["target"]["arguments"]  # ["", true] on a string: omitted only
    assert by_id["simple_python_200"]["target"]["arguments"]["fuel_efficiency"] == 25.0
    irrelevance = load_bfcl(ASSETS / "BFCL_v4_irrelevance.json")
    assert len(irrelevance) == 240 and {c["target"]["tool"] for c in irrelevance} == {"no_tool"}
    with pytest.raises(ToolrouterError, match="pass the matching possible_answer file"):
        load_bfcl(questions("multiple"))


def first_acceptable(values, required=False):
    """The first acceptable value of a raw BFCL answer ("" = omit; skipped on a required argument)."""
    values = [v for v in values if not (required and v == "")]
    return None if values[0] == "" else concrete(values[0])


def concrete(value):
    if isinstance(value, dict):
        return {k: v for k, v in ((k, first_acceptable(vs)) for k, vs in value.items()) if v is not None}
    return [concrete(v) for v in value] if isinstance(value, list) else value


@pytest.mark.parametrize("cat", CATEGORIES)
def test_first_acceptable_values_score_100_percent(cat, tmp_path, capsys):
    functions = {json.loads(l)["id"]: json.loads(l)["function"] for l in questions(cat).read_text().splitlines()}
    preds = []
    for line in answers(cat).read_text().splitlines():
        row = json.loads(line)
        (name, params), = row["ground_truth"][0].items()
        required = next(f for f in functions[row["id"]] if f["name"] == name)["parameters"].get("required", [])
        args = {k: v for k, v in ((k, first_acceptable(vs, k in required)) for k, vs in params.items()) if v is not None}
        preds.append(json.dumps({"id": row["id"], "output": json.dumps({"tool": name, "arguments": args})}))
    (tmp_path / "p.jsonl").write_text("\n".join(preds) + "\n")
    report = tmp_path / "r.json"
    code = run_cli(main, ["--bfcl", str(questions(cat)), "--bfcl-answers", str(answers(cat)),
                          "--predictions", str(tmp_path / "p.jsonl"), "--report-json", str(report),
                          "--min", "exact_match_rate=1"])
    assert code == 0, capsys.readouterr().err
    m = json.loads(report.read_text())["metrics"]
    assert m["exact_match_rate"]["numerator"] == m["exact_match_rate"]["denominator"] == CATEGORIES[cat]


def test_omission_and_wrong_values_on_bfcl(tmp_path):
    # simple_python_0: unit accepts "units" or omitted; base must be 10
    outputs = ['{"tool":"calculate_triangle_area","arguments":{"base":10,"height":5}}',
               '{"tool":"calculate_triangle_area","arguments":{"base":10,"height":5,"unit":"Units"}}',
               '{"tool":"calculate_triangle_area","arguments":{"base":10,"height":5,"unit":"cm"}}',
               '{"tool":"calculate_triangle_area","arguments":{"base":10.0,"height":5}}']
    from toolrouter.eval.evaluate import cases_from_records, evaluate

    record = load_bfcl(questions("simple_python"), answers("simple_python"))[0]
    problems = []
    cases = cases_from_records([("q:0", record)] * 1, None, bfcl_catalogue, problems)
    assert problems == []
    report = evaluate(cases * 4, outputs)
    reasons = [f["reason"] for f in report["failures"]]
    # "Units" matches "units" (case-folded); 10.0 is not an integer: invalid
    assert report["metrics"]["exact_match_rate"]["numerator"] == 2
    assert reasons == ["argument:calculate_triangle_area.unit:wrong_value", "invalid:wrong_type"]


def test_irrelevance_needs_a_valid_no_tool(tmp_path, capsys):
    ids = [json.loads(l)["id"] for l in (ASSETS / "BFCL_v4_irrelevance.json").read_text().splitlines()]
    report = tmp_path / "r.json"
    for output, exact in (("abc", 0), ('{"tool":"no_tool","reason":"none fits"}', 240)):
        (tmp_path / "p.jsonl").write_text("".join(json.dumps({"id": i, "output": output}) + "\n" for i in ids))
        code = run_cli(main, ["--bfcl", str(ASSETS / "BFCL_v4_irrelevance.json"), "--predictions",
                              str(tmp_path / "p.jsonl"), "--report-json", str(report)])
        assert code == 0
        m = json.loads(report.read_text())["metrics"]
        assert m["exact_match_rate"]["numerator"] == exact  # BFCL would pass "abc" (gorilla#443); we do not
        assert m["false_tool_call_rate"]["numerator"] == 0
