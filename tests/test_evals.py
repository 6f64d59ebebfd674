"""evals/: the hand-written gold sets stay valid, sized, covering, and out of the generated data."""
import json
import unicodedata
from collections import Counter
from pathlib import Path

import pytest

from toolrouter import load_catalogue, parse_tool_call
from toolrouter.data.pipeline import build_dataset
from toolrouter.formats.parse import format_call, format_no_tool

EVALS = Path(__file__).resolve().parent.parent / "toolrouter" / "evals"
NAMES = ("support_router", "car_control")


def _cases(name):
    return [json.loads(line) for line in (EVALS / f"{name}.jsonl").read_text().splitlines() if line.strip()]


def _norm(text):
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


def _first(value):
    """A concrete argument value: the first option of an any_of."""
    if isinstance(value, dict) and set(value) == {"any_of"}:
        return value["any_of"][0]
    return value


@pytest.mark.parametrize("name", NAMES)
def test_gold_sets_are_sized_and_valid(name):
    cat, cases = load_catalogue(name), _cases(name)
    assert len(cases) >= 120
    share = sum(c["target"]["tool"] == "no_tool" for c in cases) / len(cases)
    assert 0.20 <= share <= 0.30
    assert len({c["id"] for c in cases}) == len(cases)
    for case in cases:
        t = case["target"]
        text = (format_no_tool(t.get("reason", "")) if t["tool"] == "no_tool" else
                format_call(t["tool"], {k: _first(v) for k, v in t["arguments"].items()}, cat))
        result = parse_tool_call(text, cat)
        assert result.ok, (case["id"], result.message)
    assert {c["target"]["tool"] for c in cases} >= set(cat.names)  # every tool covered


def test_car_control_gold_covers_every_choice():
    cat, cases = load_catalogue("car_control"), _cases("car_control")
    seen = Counter()
    for case in cases:
        for arg, value in case["target"].get("arguments", {}).items():
            for v in (value if isinstance(value, list) else [_first(value)]):
                seen[(case["target"]["tool"], arg, v)] += 1
    for spec in cat:
        for arg, schema in spec.properties.items():
            choices = schema.get("enum") or schema.get("items", {}).get("enum") or []
            for choice in choices:
                assert seen[(spec.name, arg, choice)], (spec.name, arg, choice)


@pytest.mark.parametrize("name", NAMES)
def test_no_gold_prompt_appears_in_generated_data(name):
    gold = {_norm(c["prompt"]) for c in _cases(name)}
    for seed in (0, 1):
        dataset = build_dataset(name, n=3000, seed=seed)
        generated = {_norm(r["messages"][1]["content"]) for rows in dataset.splits.values() for r in rows}
        assert not gold & generated, sorted(gold & generated)[:5]
        assert dataset.report["decontaminated_against"] == f"evals/{name}.jsonl"
