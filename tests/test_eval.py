"""toolrouter.eval.evaluate: gold + predictions files -> report JSON/PNG and exit code; every bad input is
listed at once with exit 2; thresholds set exit 1; the real gold sets validate and score as
expected; the generation path (--model, --run, --split test) runs a tiny in-process model.

    .venv/bin/python -m pytest tests/test_eval.py -q
"""
import json
from pathlib import Path
from typing import Literal, Optional

import pytest
from pydantic import Field

from toolrouter import Catalogue, FreeText, Tool, format_call, format_no_tool, load_catalogue
from toolrouter.eval.evaluate import load_gold, main
from toolrouter.eval.metrics import pick_alternative
from toolrouter.core.schema import run_cli

REPO = Path(__file__).resolve().parent.parent


class Weather(Tool):
    """Get the weather forecast."""

    city: str = Field(description="City name.")
    unit: Literal["c", "f"] = Field(default="c", description="Temperature unit.")
    days: int = Field(default=1, ge=1, le=7, description="Days ahead.")


class Note(Tool):
    """Write a note."""

    text: FreeText = Field(description="The note.")
    tags: Optional[list[str]] = Field(default=None, description="Tags.", json_schema_extra={"uniqueItems": True})


CAT = Catalogue([Weather, Note], name="test")


def call(tool, **args):
    return json.dumps({"tool": tool, "arguments": args})


def write_jsonl(path, rows):
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows), encoding="utf-8")
    return str(path)


@pytest.fixture
def files(tmp_path):
    """A catalogue file, six gold cases and their predictions (ids in another order)."""
    cat = tmp_path / "test_tools.json"
    cat.write_text(json.dumps(CAT.to_openai()), encoding="utf-8")
    gold = [
        {"id": "a", "prompt": "weather in Paris", "target": {"tool": "weather", "arguments": {"city": "Paris"}}},
        {"id": "b", "prompt": "Oslo in fahrenheit", "target": {"tool": "weather", "arguments": {"city": "Oslo", "unit": "f"}}},
        {"id": "c", "prompt": "note: buy milk and eggs", "target": {"tool": "note", "arguments": {"text": "buy milk and eggs"}}},
        {"id": "d", "prompt": "hello", "target": {"tool": "no_tool", "reason": "greeting"}},
        {"id": "e", "prompt": "thanks", "target": {"tool": "no_tool"}},
        {"id": "f", "prompt": "weather in New York",
         "target": {"tool": "weather", "arguments": {"city": {"any_of": ["NYC", "New York"]}}}},
    ]
    preds = [
        {"id": "f", "output": call("weather", city="nyc")},  # exact (any_of, case-folded)
        {"id": "a", "output": call("weather", city="Paris", unit="c")},  # exact (default written out)
        {"id": "b", "output": call("weather", city="Oslo")},  # unit f omitted: missing_vs_default
        {"id": "c", "output": call("note", text="buy milk")},  # exact; F1 2/3
        {"id": "d", "output": call("weather", city="Paris")},  # false call
        {"id": "e", "output": "no idea"},  # invalid: not_json
    ]
    return {"dir": tmp_path, "cat": str(cat), "gold": write_jsonl(tmp_path / "gold.jsonl", gold),
            "preds": write_jsonl(tmp_path / "preds.jsonl", preds), "gold_rows": gold, "pred_rows": preds}


def run(argv, capsys):
    code = run_cli(main, argv)
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def test_predictions_scored_by_hand(files, capsys):
    report_path = files["dir"] / "out" / "report.json"
    code, out, err = run(["--catalogue", files["cat"], "--gold", files["gold"], "--predictions", files["preds"],
                          "--report-json", str(report_path)], capsys)
    assert code == 0, err
    report = json.loads(report_path.read_text())
    m = report["metrics"]
    counts = {k: (v["numerator"], v["denominator"]) for k, v in m.items() if k != "free_text_f1"}
    assert counts == {
        "valid_tool_call_rate": (5, 6),  # all but e
        "tool_name_accuracy": (4, 6),  # a, b, c, f (d called a tool, e invalid)
        "argument_match_accuracy": (3, 4),  # a, c, f of a, b, c, f
        "false_tool_call_rate": (1, 2),  # d of d, e (e is invalid, not a call)
        "missed_call_rate": (0, 4),
        "exact_match_rate": (3, 6),  # a, c, f
    }
    assert m["free_text_f1"]["value"] == pytest.approx(2 / 3)
    assert m["exact_match_rate"]["ci95"][0] < 0.5 < m["exact_match_rate"]["ci95"][1]
    failures = {f["id"]: f for f in report["failures"]}
    assert set(failures) == {"b", "d", "e"}
    assert failures["b"]["reason"] == "argument:weather.unit:missing_vs_default"
    assert failures["b"]["prompt"] == "Oslo in fahrenheit" and failures["b"]["gold"]["arguments"]["unit"] == "f"
    assert failures["d"]["reason"] == "false_call" and failures["e"]["reason"] == "invalid:not_json"
    assert failures["e"]["output"] == "no idea"
    assert report["confusion"]["matrix"][-1] == [1, 0, 0, 1]  # gold no_tool: d -> weather, e -> invalid
    assert report["reasons"] == {"argument:weather.unit:missing_vs_default": 1, "false_call": 1, "invalid:not_json": 1}
    png = report_path.with_suffix(".confusion.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "exact_match_rate" in out and "3/6" in out and "false_call" in out


def test_match_by_line_without_ids(files, capsys):
    by_id = {p["id"]: p["output"] for p in files["pred_rows"]}
    lines = [{"output": by_id[g["id"]]} for g in files["gold_rows"]]
    preds = write_jsonl(files["dir"] / "by_line.jsonl", lines)
    report = files["dir"] / "r.json"
    code, _, _ = run(["--catalogue", files["cat"], "--gold", files["gold"], "--predictions", preds,
                      "--report-json", str(report)], capsys)
    assert code == 0
    assert json.loads(report.read_text())["metrics"]["exact_match_rate"]["numerator"] == 3


def test_thresholds_set_the_exit_code(files, capsys):
    base = ["--catalogue", files["cat"], "--gold", files["gold"], "--predictions", files["preds"]]
    assert run(base + ["--min", "exact_match_rate=0.5", "--max", "false_tool_call_rate=0.5"], capsys)[0] == 0
    code, _, err = run(base + ["--min", "exact_match_rate=0.6", "--min", "valid_tool_call_rate=0.9",
                               "--max", "false_tool_call_rate=0.4"], capsys)
    assert code == 1
    assert "exact_match_rate = 0.5000 is below the minimum 0.6" in err
    assert "valid_tool_call_rate = 0.8333 is below the minimum 0.9" in err
    assert "false_tool_call_rate = 0.5000 is above the maximum 0.4" in err
    code, _, err = run(base + ["--min", "exact_match=0.5", "--max", "false_tool_call_rate"], capsys)
    assert code == 2
    assert "unknown metric 'exact_match'" in err and "expected METRIC=VALUE" in err


def test_compare_prints_every_change(files, capsys):
    old = files["dir"] / "old.json"
    old.write_text(json.dumps({"metrics": {"exact_match_rate": {"value": 0.25}, "missed_call_rate": {"value": 0.0}}}))
    code, out, _ = run(["--catalogue", files["cat"], "--gold", files["gold"], "--predictions", files["preds"],
                        "--compare", str(old)], capsys)
    assert code == 0
    assert "+0.250" in out and "+0.000" in out and "change against the old report" in out


def test_bad_gold_lists_every_problem(files, capsys):
    lines = [
        {"id": "1", "prompt": "ok", "target": {"tool": "weather", "arguments": {"city": "Rome"}}},
        '{"id": "2", "prompt": "broken',
        {"id": "3", "prompt": "x", "target": {"tool": "fly", "arguments": {}}},
        {"id": "4", "prompt": "x", "target": {"tool": "weather", "arguments": {"city": "Rome", "days": 9}}},
        {"id": "5", "promt": "typo", "target": {"tool": "no_tool"}},
        "",
        {"id": "1", "prompt": "dup", "target": {"tool": "no_tool"}},
        {"id": "8", "prompt": "x", "target": {"tool": "weather", "arguments": {"city": {"any_of": ["a", 5]}}}},
        {"id": "9", "prompt": "x", "target": {"tool": "weather"}},
        [1, 2],
    ]
    gold = write_jsonl(files["dir"] / "bad.jsonl", lines)
    code, _, err = run(["--catalogue", files["cat"], "--gold", gold, "--predictions", files["preds"]], capsys)
    assert code == 2
    assert "bad.jsonl:2: not valid JSON" in err
    assert "bad.jsonl:3: target tool 'fly' is not in catalogue" in err
    assert "bad.jsonl:4: target is not a valid call" in err and "out_of_range" in err
    assert "bad.jsonl:5: unknown key(s) ['promt']" in err and 'give exactly one of "prompt"' in err
    assert "bad.jsonl:7: duplicate id '1' (first at" in err
    assert "bad.jsonl:8: target is not a valid call for catalogue test_tools (any_of alternative 2): wrong_type" in err
    assert "bad.jsonl:9: target: a call needs \"arguments\" as a JSON object" in err
    assert "bad.jsonl:10: a gold case must be a JSON object" in err
    assert "bad.jsonl:1:" not in err and "bad.jsonl:6:" not in err


def test_several_call_targets_scored_by_hand(files, capsys):
    paris, oslo = {"tool": "weather", "arguments": {"city": "Paris"}}, {"tool": "weather", "arguments": {"city": "Oslo"}}
    note = {"tool": "note", "arguments": {"text": "buy milk"}}
    gold = [{"id": "a", "prompt": "Paris and Oslo", "target": [paris, oslo]},
            {"id": "b", "prompt": "Paris, and note milk", "target": [paris, note]},
            {"id": "c", "prompt": "Paris", "target": paris}]
    preds = [{"id": "a", "output": json.dumps([oslo, paris])},  # exact in another order
             {"id": "b", "output": json.dumps([paris, note, oslo])},  # one extra call
             {"id": "c", "output": json.dumps([paris, {"tool": "weather", "arguments": {"city": "Rome"}}])}]  # extra
    report_path = files["dir"] / "several.json"
    code, out, err = run(["--catalogue", files["cat"], "--gold", write_jsonl(files["dir"] / "g.jsonl", gold),
                          "--predictions", write_jsonl(files["dir"] / "p.jsonl", preds),
                          "--report-json", str(report_path)], capsys)
    assert code == 0, err
    report = json.loads(report_path.read_text())
    assert report["metrics"]["exact_match_rate"]["numerator"] == 1
    c = report["calls"]
    # gold 2 + 2 + 1 = 5 calls, predicted 2 + 3 + 2 = 7, matched 2 + 2 + 1 = 5, extra 0 + 1 + 1 = 2
    assert (c["gold_calls"], c["pred_calls"], c["matched"], c["missing"], c["extra"], c["wrong"]) == (5, 7, 5, 0, 2, 0)
    assert c["several_call_cases"] == 2 and c["several_call_exact"]["value"] == 0.5
    assert {f["id"]: f["reasons"] for f in report["failures"]} == {"b": ["extra_call:weather"],
                                                                     "c": ["extra_call:weather"]}
    assert "calls (order-free): 5 gold, 7 predicted" in out and "extra" in out


def test_bad_several_call_targets(files, capsys):
    paris = {"tool": "weather", "arguments": {"city": "Paris"}}
    lines = [{"id": "1", "prompt": "x", "target": [paris]},
             {"id": "2", "prompt": "x", "target": [paris, {"tool": "no_tool", "reason": "r"}]},
             {"id": "3", "prompt": "x", "target": [paris, {"tool": "weather", "arguments": {"city": "Rome", "days": 9}}]},
             {"id": "4", "prompt": "x", "target": [paris] * 9},
             {"id": "5", "prompt": "x", "target": [paris, {"tool": "fly", "arguments": {}}]},
             {"id": "6", "prompt": "x", "target": []}]
    gold = write_jsonl(files["dir"] / "bad_several.jsonl", lines)
    code, _, err = run(["--catalogue", files["cat"], "--gold", gold, "--predictions", files["preds"]], capsys)
    assert code == 2
    assert "bad_several.jsonl:1: target: a list of calls has 2 to 8 calls, this one 1; write one call as the object" in err
    assert "bad_several.jsonl:2: target[1]: no_tool cannot stand in a list of calls" in err
    assert "bad_several.jsonl:3: target[1] is not a valid call for catalogue test_tools: out_of_range" in err
    assert "bad_several.jsonl:4: target: a list of calls has 2 to 8 calls, this one 9" in err
    assert "bad_several.jsonl:5: target[1] tool 'fly' is not in catalogue" in err
    assert "bad_several.jsonl:6: target: a list of calls has 2 to 8 calls, this one 0" in err


def test_bad_predictions_and_paths(files, capsys):
    base = ["--catalogue", files["cat"], "--gold", files["gold"], "--predictions"]
    preds = write_jsonl(files["dir"] / "p.jsonl", [{"id": "a", "output": "x"}, {"id": "a", "output": "y"},
                                                   {"id": "zz", "output": "x"}, '{"id": "b"', {"id": "c", "output": 3}])
    code, _, err = run(base + [preds], capsys)
    assert code == 2
    assert "p.jsonl:4: not valid JSON" in err and 'p.jsonl:5: expected {"id"?: str, "output": str}' in err
    preds = write_jsonl(files["dir"] / "p2.jsonl", [{"id": "a", "output": "x"}, {"id": "a", "output": "y"},
                                                    {"id": "zz", "output": "x"}])
    code, _, err = run(base + [preds], capsys)
    assert "p2.jsonl:2: duplicate prediction id 'a'" in err
    assert "no prediction for 5 gold case(s): b, c, d, e, f" in err and "1 prediction id(s) not in the gold file: zz" in err
    code, _, err = run(base + [write_jsonl(files["dir"] / "p3.jsonl", [{"output": "x"}] * 5)], capsys)
    assert code == 2 and "5 predictions for 6 gold cases" in err
    code, _, err = run(base + [write_jsonl(files["dir"] / "p4.jsonl", [{"output": "x"}, {"id": "a", "output": "x"}])],
                       capsys)
    assert code == 2 and "no id on line(s) 1" in err
    code, _, err = run(["--catalogue", files["cat"], "--gold", "nope.jsonl", "--predictions", "nope2.jsonl"], capsys)
    assert code == 2 and "gold file nope.jsonl not found" in err
    code, _, err = run(["--catalogue", "no_such_catalogue", "--gold", files["gold"], "--predictions", files["preds"]],
                       capsys)
    assert code == 2 and "unknown catalogue 'no_such_catalogue'" in err
    code, _, err = run(["--gold", files["gold"], "--predictions", files["preds"]], capsys)
    assert code == 2 and "no catalogue to score against" in err


def test_messages_and_per_case_tools(files, capsys):
    lookup = {"type": "function", "function": {"name": "lookup", "description": "Look a word up.", "parameters": {
        "type": "object", "properties": {"word": {"type": "string", "description": "The word."}}, "required": ["word"]}}}
    gold = write_jsonl(files["dir"] / "g.jsonl", [
        {"id": "m", "messages": [{"role": "user", "content": "weather?"}, {"role": "assistant", "content": "where?"},
                                 {"role": "user", "content": "Lima"}],
         "target": {"tool": "weather", "arguments": {"city": "Lima"}}},
        {"id": "t", "prompt": "define cat", "tools": [lookup], "target": {"tool": "lookup", "arguments": {"word": "cat"}}},
        {"id": "u", "prompt": "define dog", "tools": [lookup], "target": {"tool": "lookup", "arguments": {"word": "dog"}}},
    ])
    preds = write_jsonl(files["dir"] / "p.jsonl", [
        {"id": "m", "output": call("weather", city="Lima")},
        {"id": "t", "output": call("lookup", word="CAT")},
        {"id": "u", "output": call("weather", city="dog")},  # weather is not offered in this case: invalid
    ])
    report = files["dir"] / "r.json"
    code, _, _ = run(["--catalogue", files["cat"], "--gold", gold, "--predictions", preds, "--report-json", str(report)],
                     capsys)
    assert code == 0
    r = json.loads(report.read_text())
    assert r["metrics"]["exact_match_rate"]["numerator"] == 2
    assert r["failures"][0]["reason"] == "invalid:unknown_tool"
    assert r["per_tool"]["lookup"]["gold"] == 2
    bad = write_jsonl(files["dir"] / "bad.jsonl", [
        {"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}], "target": {"tool": "no_tool"}},
        {"prompt": "x", "tools": [{"type": "function", "function": {"name": "f", "parameters": {
            "type": "object", "properties": {"d": {"type": "object"}}}}}], "target": {"tool": "no_tool"}},
    ])
    code, _, err = run(["--catalogue", files["cat"], "--gold", bad, "--predictions", preds], capsys)
    assert code == 2
    assert "bad.jsonl:1: \"messages\" must end with the user turn" in err
    assert "bad.jsonl:2: catalogue" in err and "free-form dicts are not supported" in err


# ---------------------------------------------------------------------------------------------
# the hand-written gold sets

@pytest.mark.parametrize("name", ["support_router", "car_control"])
def test_real_gold_sets(name, tmp_path, capsys):
    catalogue = load_catalogue(name)
    gold = REPO / "toolrouter" / "evals" / f"{name}.jsonl"
    problems = []
    cases = load_gold(gold, catalogue, problems)
    assert problems == [] and len(cases) == len(gold.read_text().splitlines())
    canonical = [{"id": c.id, "output": format_no_tool(c.target.get("reason", "")) if c.target["tool"] == "no_tool"
                  else format_call(c.target["tool"], pick_alternative(c.target["arguments"], 0), catalogue)}
                 for c in cases]
    report = tmp_path / "r.json"
    argv = ["--catalogue", name, "--gold", str(gold), "--report-json", str(report), "--predictions"]
    assert run(argv + [write_jsonl(tmp_path / "p.jsonl", canonical)], capsys)[0] == 0
    m = json.loads(report.read_text())["metrics"]
    assert all(m[k]["value"] == 1.0 for k in ("valid_tool_call_rate", "tool_name_accuracy", "argument_match_accuracy",
                                              "exact_match_rate"))
    assert m["false_tool_call_rate"]["value"] == 0.0 and m["missed_call_rate"]["value"] == 0.0
    nothing = [{"id": c.id, "output": format_no_tool("no")} for c in cases]
    code, _, err = run(argv + [write_jsonl(tmp_path / "n.jsonl", nothing), "--max", "missed_call_rate=0.5"], capsys)
    assert code == 1 and "missed_call_rate = 1.0000 is above the maximum 0.5" in err
    m = json.loads(report.read_text())["metrics"]
    assert m["false_tool_call_rate"]["value"] == 0.0 and m["missed_call_rate"]["value"] == 1.0
    no_tool = sum(c.target["tool"] == "no_tool" for c in cases)
    assert m["exact_match_rate"]["numerator"] == no_tool and m["argument_match_accuracy"]["value"] is None


# ---------------------------------------------------------------------------------------------
# generation with a tiny in-process model (random weights: outputs are whatever they are, the
# plumbing is what is checked)

@pytest.fixture(scope="module")
def model_dir(tmp_path_factory, tiny_model, tiny_tokenizer):
    path = tmp_path_factory.mktemp("tiny_model")
    tiny_model.save_pretrained(path)
    tiny_tokenizer.save_pretrained(path)
    return path


def test_generate_with_model(model_dir, tmp_path, capsys):
    pytest.importorskip("toolrouter.infer.generate")
    gold = write_jsonl(tmp_path / "g.jsonl", [json.loads(l) for l in (REPO / "toolrouter/evals/support_router.jsonl")
                                              .read_text().splitlines()[:4]])
    report = tmp_path / "r.json"
    code, _, err = run(["--model", str(model_dir), "--catalogue", "support_router", "--gold", gold,
                        "--max-new-tokens", "6", "--batch-size", "2", "--report-json", str(report)], capsys)
    assert code == 0, err
    r = json.loads(report.read_text())
    assert r["n"] == 4 and r["mode"] == "compact" and r["source"] == str(model_dir)
    assert len(r["failures"]) == 4 - r["metrics"]["exact_match_rate"]["numerator"]


def test_run_dir_split_and_model_card(model_dir, tmp_path, capsys):
    pytest.importorskip("toolrouter.infer.generate")
    import shutil

    run_dir = tmp_path / "runs" / "tiny"
    shutil.copytree(model_dir, run_dir)
    catalogue = load_catalogue("support_router")
    (run_dir / "catalogue.json").write_text(json.dumps(catalogue.to_openai()))
    (run_dir / "run.json").write_text(json.dumps({
        "name": "tiny", "mode": "json", "catalogue": "support_router", "catalogue_sha256": catalogue.fingerprint(),
        "base_model": "tiny", "adapter": False, "max_new_tokens": 6,
        "eval": {"gold": "gold.jsonl", "min": {"exact_match_rate": 0.9}, "max": {}}}))
    (run_dir / "README.md").write_text("# tiny\n\n## Metrics\n<!-- metrics -->\n(not evaluated yet)\n<!-- /metrics -->\nend\n")
    rows = [json.loads(l) for l in (REPO / "toolrouter/evals/support_router.jsonl").read_text().splitlines()]
    write_jsonl(run_dir / "gold.jsonl", rows[:3])
    (run_dir / "data").mkdir()
    write_jsonl(run_dir / "data" / "test.gold.jsonl", rows[3:5])

    code, out, err = run(["--run", str(run_dir), "--batch-size", "4"], capsys)
    assert code == 1 and "exact_match_rate" in err  # the recipe's threshold, a random model misses it
    r = json.loads((run_dir / "eval.json").read_text())
    assert r["n"] == 3 and r["mode"] == "json" and r["gold"].endswith("gold.jsonl")
    assert (run_dir / "eval.confusion.png").is_file()
    card = (run_dir / "README.md").read_text()
    assert "(not evaluated yet)" not in card and "| exact_match_rate |" in card and card.endswith("<!-- /metrics -->\nend\n")

    code, _, err = run(["--run", str(run_dir), "--split", "test", "--min", "exact_match_rate=0"], capsys)
    assert code == 0, err
    assert json.loads((run_dir / "eval.json").read_text())["n"] == 2


# ---------------------------------------------------------------------------------------------
# a minimum token F1 for free text: --free-text-min-f1, the run's eval.free_text_min_f1, a gold case's own

def test_free_text_min_f1_flag_and_gold_cases(files, capsys):
    report = files["dir"] / "r.json"
    base = ["--catalogue", files["cat"], "--gold", files["gold"], "--predictions", files["preds"],
            "--report-json", str(report)]
    # case c: gold "buy milk and eggs", output "buy milk": P 2/2, R 2/4, token F1 2/3
    code, out, _ = run(base, capsys)
    r = json.loads(report.read_text())
    assert code == 0 and r["metrics"]["exact_match_rate"]["numerator"] == 3
    assert r["free_text_min_f1"] == {"value": None, "source": None, "cases_with_own": 0}
    assert "free text matches at" not in out and "note.text" in out  # the per-argument F1 table
    assert "free_text_min_f1" not in r["failures"][0]

    code, out, _ = run(base + ["--free-text-min-f1", "0.66"], capsys)
    r = json.loads(report.read_text())
    assert r["metrics"]["exact_match_rate"]["numerator"] == 3 and "c" not in {f["id"] for f in r["failures"]}
    assert r["free_text_min_f1"] == {"value": 0.66, "source": "--free-text-min-f1", "cases_with_own": 0}
    assert "free text matches at token F1 >= 0.66 (--free-text-min-f1)" in out

    code, out, _ = run(base + ["--free-text-min-f1", "0.67"], capsys)
    r = json.loads(report.read_text())
    assert code == 0 and r["metrics"]["exact_match_rate"]["numerator"] == 2
    assert r["metrics"]["argument_match_accuracy"]["numerator"] == 2  # a, f of a, b, c, f
    assert r["metrics"]["free_text_f1"] == {"value": pytest.approx(2 / 3), "count": 1}  # the figure stays
    failure = {f["id"]: f for f in r["failures"]}["c"]
    assert failure["reason"] == "argument:note.text:low_f1" and failure["free_text_min_f1"] == 0.67
    assert failure["free_text_f1"] == [{"argument": "note.text", "f1": pytest.approx(2 / 3)}]
    assert "argument:note.text:low_f1" in out
    # the F1 is a metric like the rates: --min gates on it
    code, _, err = run(base + ["--min", "free_text_f1=0.7"], capsys)
    assert code == 1 and "free_text_f1 = 0.6667 is below the minimum 0.7" in err

    # a gold case's own minimum wins over the flag (and over no flag)
    rows = [dict(row, free_text_min_f1=0.6) if row["id"] == "c" else row for row in files["gold_rows"]]
    own = write_jsonl(files["dir"] / "own.jsonl", rows)
    own_argv = ["--catalogue", files["cat"], "--gold", own, "--predictions", files["preds"], "--report-json", str(report)]
    code, out, _ = run(own_argv + ["--free-text-min-f1", "0.9"], capsys)
    r = json.loads(report.read_text())
    assert r["metrics"]["exact_match_rate"]["numerator"] == 3
    assert r["free_text_min_f1"] == {"value": 0.9, "source": "--free-text-min-f1", "cases_with_own": 1}
    assert "1 gold case(s) set their own" in out
    rows = [dict(row, free_text_min_f1=0.7) if row["id"] == "c" else row for row in files["gold_rows"]]
    own = write_jsonl(files["dir"] / "own.jsonl", rows)
    code, _, _ = run(own_argv, capsys)
    r = json.loads(report.read_text())
    assert {f["id"]: f["reason"] for f in r["failures"]}["c"] == "argument:note.text:low_f1"
    assert r["free_text_min_f1"] == {"value": None, "source": None, "cases_with_own": 1}


def test_bad_free_text_min_f1(files, capsys):
    note = {"tool": "note", "arguments": {"text": "buy milk"}}
    gold = write_jsonl(files["dir"] / "bad.jsonl", [
        {"id": "1", "prompt": "x", "target": note, "free_text_min_f1": 1.5},
        {"id": "2", "prompt": "x", "target": note, "free_text_min_f1": "0.5"},
        {"id": "3", "prompt": "x", "target": note, "free_text_min_f1": True},
        {"id": "4", "prompt": "x", "target": {"tool": "weather", "arguments": {"city": "Oslo"}}, "free_text_min_f1": 0.5},
        {"id": "5", "prompt": "x", "target": {"tool": "no_tool"}, "free_text_min_f1": 0.5},
        {"id": "6", "prompt": "x", "target": note, "free_text_min_f1": 0.5},
        {"id": "7", "prompt": "x", "target": note, "free_text_min_f2": 0.5},
    ])
    code, _, err = run(["--catalogue", files["cat"], "--gold", gold, "--predictions", files["preds"]], capsys)
    assert code == 2
    for line, got in ((1, "1.5"), (2, '"0.5"'), (3, "true")):
        assert (f'bad.jsonl:{line}: "free_text_min_f1" is the least token F1 (0 to 1) at which this case\'s free-text '
                f'arguments count as matched, e.g. "free_text_min_f1": 0.5; got {got}') in err
    for line in (4, 5):
        assert (f'bad.jsonl:{line}: "free_text_min_f1" applies to free-text arguments and this target gives none; '
                "remove it (free-text arguments in catalogue test_tools: note.text)") in err
    assert "bad.jsonl:6:" not in err
    assert "bad.jsonl:7: unknown key(s) ['free_text_min_f2']" in err and "free_text_min_f1)" in err

    base = ["--catalogue", files["cat"], "--gold", files["gold"], "--predictions", files["preds"]]
    for value in ("abc", "1.2", "-0.1", "nan"):
        code, _, err = run(base + ["--free-text-min-f1", value], capsys)
        assert code == 2 and (f"--free-text-min-f1 {value}: the least token F1 at which free text counts as matched "
                              "is a number from 0 to 1, e.g. --free-text-min-f1 0.5") in err
    bfcl = REPO / "tests" / "assets" / "bfcl" / "BFCL_v4_simple_python.json"
    code, _, err = run(["--bfcl", str(bfcl), "--predictions", files["preds"], "--free-text-min-f1", "0.5"], capsys)
    assert code == 2 and "--free-text-min-f1 is for free-text (x-free-text) arguments" in err


def _run_dir(path, eval_settings):
    path.mkdir(parents=True, exist_ok=True)
    catalogue = load_catalogue("support_router")
    (path / "catalogue.json").write_text(json.dumps(catalogue.to_openai()))
    (path / "run.json").write_text(json.dumps({
        "name": "tiny", "mode": "json", "catalogue": "support_router", "catalogue_sha256": catalogue.fingerprint(),
        "base_model": "tiny", "adapter": False, "max_new_tokens": 6, "eval": eval_settings}))
    return path


def test_free_text_min_f1_precedence_run_then_flag(tmp_path):
    import argparse

    from toolrouter.eval.evaluate import add_arguments, resolve

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    run_dir = _run_dir(tmp_path / "run", {"gold": "gold.jsonl", "min": {}, "max": {}, "free_text_min_f1": 0.5})

    def setup(*argv):
        problems = []
        s = resolve(parser.parse_args(list(argv)), problems)
        return (s.free_text_min_f1, s.free_text_min_f1_from), problems

    assert setup("--run", str(run_dir)) == ((0.5, f"{run_dir} eval.free_text_min_f1"), [])
    assert setup("--run", str(run_dir), "--free-text-min-f1", "0.2") == ((0.2, "--free-text-min-f1"), [])
    assert setup("--run", str(run_dir), "--free-text-min-f1", "0") == ((0.0, "--free-text-min-f1"), [])
    # like the thresholds, only --run takes the run's eval settings
    assert setup("--model", str(run_dir), "--gold", "g.jsonl") == ((None, None), [])
    old = _run_dir(tmp_path / "old", {"gold": "gold.jsonl", "min": {}, "max": {}})  # a run from before the field
    assert setup("--run", str(old)) == ((None, None), [])
    bad = _run_dir(tmp_path / "bad", {"gold": "gold.jsonl", "free_text_min_f1": "high"})
    assert setup("--run", str(bad))[1] == [f'{bad}: eval.free_text_min_f1 must be a number from 0 to 1 (got "high"); '
                                           "fix it in the run's run.json (or recipe.yaml) eval section"]


def test_recipe_free_text_min_f1():
    from toolrouter.errors import ToolrouterError
    from toolrouter.train.recipe import Recipe, load_recipe

    import yaml

    assert load_recipe("support_router_tiny").eval.free_text_min_f1 is None
    recipe = load_recipe("support_router_tiny", ["eval.free_text_min_f1=0.5"])
    assert recipe.eval.free_text_min_f1 == 0.5
    assert Recipe.model_validate(yaml.safe_load(recipe.to_yaml())).eval.free_text_min_f1 == 0.5  # saved with the run
    for value, message in (("1.5", "less than or equal to 1"), ("-1", "greater than or equal to 0"),
                           ("true", "a valid number"), ("abc", "a valid number")):
        with pytest.raises(ToolrouterError) as e:
            load_recipe("support_router_tiny", [f"eval.free_text_min_f1={value}"])
        assert "support_router_tiny.yaml: eval.free_text_min_f1: " in str(e.value) and message in str(e.value)


def test_run_free_text_min_f1_reaches_the_report_and_card(model_dir, tmp_path, capsys):
    pytest.importorskip("toolrouter.infer.generate")
    import shutil

    run_dir = tmp_path / "runs" / "tiny"
    shutil.copytree(model_dir, run_dir)
    _run_dir(run_dir, {"gold": "gold.jsonl", "min": {}, "max": {}, "free_text_min_f1": 0.5})
    (run_dir / "README.md").write_text("# tiny\n\n<!-- metrics -->\n<!-- /metrics -->\n")
    rows = [json.loads(l) for l in (REPO / "toolrouter/evals/support_router.jsonl").read_text().splitlines()]
    write_jsonl(run_dir / "gold.jsonl", rows[:2])

    code, out, err = run(["--run", str(run_dir), "--batch-size", "2"], capsys)
    assert code == 0, err
    r = json.loads((run_dir / "eval.json").read_text())
    assert r["free_text_min_f1"] == {"value": 0.5, "source": f"{run_dir} eval.free_text_min_f1", "cases_with_own": 0}
    assert f"Free text matches at token F1 >= 0.5 ({run_dir} eval.free_text_min_f1)." in (run_dir / "README.md").read_text()
    code, _, err = run(["--run", str(run_dir), "--batch-size", "2", "--free-text-min-f1", "0.25"], capsys)
    assert code == 0, err
    assert json.loads((run_dir / "eval.json").read_text())["free_text_min_f1"]["value"] == 0.25
    assert "Free text matches at token F1 >= 0.25 (--free-text-min-f1)." in (run_dir / "README.md").read_text()
