"""`toolrouter data build|import`: determinism, ratios, verified targets, held-out templates and
values, enum coverage, robust prompts, generic catalogues, bank errors, and the CLI's error paths.

    .venv/bin/python -m pytest tests/test_data.py -q
"""
import json
import os
import random
import re
import time
from pathlib import Path

import pytest

from toolrouter import load_catalogue, parse_tool_call
from toolrouter.core.catalogue import catalogue_from_openai
from toolrouter.cli import main
from toolrouter.data.pipeline import (NEGATIVE_KINDS, _expand, bank_path, build_dataset, compile_template, import_openai,
                             read_bank, write_dataset)
from toolrouter.core.schema import ToolrouterError

SPLITS = ("train", "val", "test")


@pytest.fixture(scope="module")
def support():
    return build_dataset("support_router", n=2000, seed=0)


@pytest.fixture(scope="module")
def car():
    return build_dataset("car_control", n=2000, seed=0)


def _read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def _request(row):
    return row["messages"][1]["content"]


def _target(row):
    return json.loads(row["messages"][2]["content"])


# --- the done criteria ---------------------------------------------------------------------------

def test_cli_build_twice_gives_identical_files(tmp_path, capsys):
    a, b = tmp_path / "a", tmp_path / "b"
    for out in (a, b):
        assert main(["data", "build", "--catalogue", "support_router", "--n", "2000", "--seed", "0",
                     "--out", str(out)]) == 0
    names = sorted(p.name for p in a.iterdir())
    assert names == ["manifest.json", "report.json", "test.gold.jsonl", "test.jsonl", "train.jsonl", "val.jsonl"]
    for name in names:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    assert len(_read(a / "train.jsonl")) == 1600 and len(_read(a / "test.jsonl")) == 200
    printed = capsys.readouterr().out
    assert "train" in printed and "rows/s" in printed and "15.0%" in printed
    # another seed gives other rows
    assert main(["data", "build", "--catalogue", "support_router", "--n", "2000", "--seed", "1",
                 "--out", str(tmp_path / "c")]) == 0
    assert (tmp_path / "c" / "train.jsonl").read_bytes() != (a / "train.jsonl").read_bytes()


@pytest.mark.parametrize("name", ["support", "car"])
def test_no_tool_share_of_every_split_is_in_range(name, request):
    ds = request.getfixturevalue(name)
    for split in SPLITS:
        rows = ds.splits[split]
        share = sum(_target(r)["tool"] == "no_tool" for r in rows) / len(rows)
        assert 0.10 <= share <= 0.20, (split, share)
        assert ds.report["splits"][split]["no_tool_share"] == round(share, 4)
    assert [len(ds.splits[s]) for s in SPLITS] == [1600, 200, 200]


@pytest.mark.parametrize("name", ["support", "car"])
def test_every_target_parses_and_matches_its_meta(name, request):
    ds = request.getfixturevalue(name)
    cat = load_catalogue("support_router" if name == "support" else "car_control")
    for split in SPLITS:
        for row in ds.splits[split]:
            assert [m["role"] for m in row["messages"]] == ["system", "user", "assistant"]
            assert row["messages"][0]["content"] == cat.render("compact")
            result = parse_tool_call(row["messages"][2]["content"], cat)
            assert result.kind in ("call", "no_tool"), row
            meta = row["meta"]
            assert set(meta) - {"twin"} == {"tool", "kind", "template"}
            if result.kind == "call":
                assert {k: v for k, v in meta.items() if k != "twin"} == {
                    "tool": result.tool, "kind": "call", "template": meta["template"]}
            else:
                assert "twin" not in meta  # only calls with a polar choice have contrastive twins
                assert meta["tool"] == "no_tool" and meta["kind"].split(":")[1] in NEGATIVE_KINDS


@pytest.mark.parametrize("name", ["support", "car"])
def test_test_templates_and_requests_never_occur_in_train(name, request):
    ds = request.getfixturevalue(name)
    train_templates = {r["meta"]["template"] for r in ds.splits["train"]}
    val_templates = {r["meta"]["template"] for r in ds.splits["val"]}
    test_templates = {r["meta"]["template"] for r in ds.splits["test"]}
    assert test_templates and not (test_templates & train_templates)
    assert not (test_templates & val_templates)
    assert ds.report["templates"]["test_templates_seen_in_train"] == []
    # every tool and every negative kind is asked in test with held-out phrasings
    assert {r["meta"]["tool"] for r in ds.splits["test"]} == {r["meta"]["tool"] for r in ds.splits["train"]}
    assert {r["meta"]["kind"] for r in ds.splits["test"]} == {f"no_tool:{k}" for k in NEGATIVE_KINDS} | {"call"}
    # no request text (case and spacing aside) in two splits, and no duplicates within one
    seen = {}
    for split in SPLITS:
        for row in ds.splits[split]:
            key = " ".join(_request(row).lower().split())
            assert key not in seen, (key, seen.get(key), split)
            seen[key] = split


def test_every_car_control_enum_value_occurs_in_train(car):
    cat = load_catalogue("car_control")
    seen = {}
    for row in car.splits["train"]:
        target = _target(row)
        for arg, value in target.get("arguments", {}).items():
            for v in value if isinstance(value, list) else [value]:
                seen.setdefault((target["tool"], arg), set()).add(json.dumps(v))
    for tool in cat:
        for arg, schema in tool.properties.items():
            values = schema.get("enum") or schema.get("items", {}).get("enum") or []
            for v in values:
                assert json.dumps(v) in seen.get((tool.name, arg), set()), f"{tool.name}.{arg}={v} missing"
    cov = car.report["enum_coverage"]["train"]
    assert all(c["missing"] == [] for c in cov.values()) and len(cov) == 20


# --- slot values ---------------------------------------------------------------------------------

def test_test_ids_and_numbers_are_drawn_apart_from_train(support, car):
    def values(ds, split, tool, arg):
        return {json.dumps(_target(r)["arguments"][arg]) for r in ds.splits[split]
                if _target(r)["tool"] == tool and arg in _target(r)["arguments"]}

    for tool in ("track_order", "request_refund"):
        train, test = values(support, "train", tool, "order_id"), values(support, "test", tool, "order_id")
        assert len(test) > 30 and not (train & test)
    for tool, arg in (("set_cruise_control", "speed"), ("activate_defroster", "duration_minutes"),
                      ("set_navigation_destination", "destination")):
        train, test = values(car, "train", tool, arg), values(car, "test", tool, arg)
        assert test and not (train & test), (tool, arg, train & test)
    # free text: test refund reasons are never training reasons
    train, test = values(support, "train", "request_refund", "reason"), values(support, "test", "request_refund", "reason")
    assert test and not ({t.lower() for t in train} & {t.lower() for t in test})


def test_free_text_is_a_span_of_the_request_and_ids_follow_the_pattern(support):
    for row in support.splits["train"] + support.splits["test"]:
        target = _target(row)
        args = target.get("arguments", {})
        if "reason" in args:
            assert args["reason"] in _request(row)
        if "order_id" in args:
            assert re.fullmatch(r"ORD-\d{4,8}", args["order_id"])  # every length from 4 to 8 digits
            assert args["order_id"].lower() in _request(row).lower()


def test_missing_argument_reasons_name_the_tool_and_argument(support):
    reasons = {_target(r)["reason"] for s in SPLITS for r in support.splits[s]
               if r["meta"]["kind"] == "no_tool:missing_argument"}
    assert reasons <= {"missing order_id for track_order", "missing order_id for request_refund",
                       "missing reason for request_refund", "missing order_id and reason for request_refund"}
    assert len(reasons) == 4


def test_optional_arguments_appear_present_and_absent(car):
    rows = [_target(r) for r in car.splits["train"] if r["meta"]["kind"] == "call"]
    for tool, arg in (("set_temperature", "unit"), ("set_temperature", "area"), ("play_music", "track"),
                      ("play_music", "volume"), ("adjust_seat", "seat_type"), ("control_window", "window_location"),
                      ("activate_defroster", "duration_minutes"), ("check_battery_health", "include_history")):
        present = [arg in t["arguments"] for t in rows if t["tool"] == tool]
        assert any(present) and not all(present), (tool, arg)
    # lists: one item up to all four, in more than one order
    areas = [tuple(t["arguments"]["area"]) for t in rows if "area" in t.get("arguments", {})]
    assert {len(a) for a in areas} == {1, 2, 3, 4}
    pairs = {a for a in areas if len(a) == 2}
    assert any(a[::-1] in pairs for a in pairs), pairs  # some pair said in both orders


# --- the banks -----------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["support_router", "car_control"])
def test_builtin_banks_have_30_templates_per_tool_and_dozens_per_negative_kind(name):
    cat = load_catalogue(name)
    bank = read_bank(bank_path(cat))
    assert set(bank.tools) == set(cat.names)
    for tool, tb in bank.tools.items():
        assert len(set(tb.templates)) >= 30, (tool, len(tb.templates))
    for kind in ("greeting", "domain_question", "out_of_scope", "near_miss"):
        assert sum(len(g.templates) for g in bank.negatives[kind]) >= 30, kind
    missing = sum(len(m.templates) for tb in bank.tools.values() for m in tb.missing)
    assert missing >= 30


def test_template_syntax_expands_alternatives_optionals_and_slots():
    seq = compile_template("(hi|hello) there[, {name}]!")
    outs = set()
    rng = random.Random(0)
    for _ in range(200):
        items = []
        _expand(seq, rng, items)
        outs.add("".join(x if isinstance(x, str) else "<" + x.arg + ">" for x in items))
    assert outs == {"hi there!", "hello there!", "hi there, <name>!", "hello there, <name>!"}
    for bad, message in (("(a|b", "never closed"), ("a)b", "unbalanced ')'"), ("{x", "never closed"), ("[a", "never closed")):
        with pytest.raises(ValueError, match=re.escape(message)):
            compile_template(bad)


def test_a_bad_bank_reports_every_problem_at_once(tmp_path):
    (tmp_path / "shop.json").write_text(json.dumps(load_catalogue("support_router").to_openai()))
    (tmp_path / "shop.bank.yaml").write_text(
        "tools:\n"
        "  track_order:\n"
        "    templates: ['where is {order}', '(unclosed {order_id}']\n"
        "  escalate:\n"
        "    slots: {reasn: {pool: [x]}}\n"
        "    templates: ['{reason:loud} now']\n")
    with pytest.raises(ToolrouterError) as err:
        build_dataset(str(tmp_path / "shop.json"), n=100)
    text = str(err.value)
    assert "shop.bank.yaml: 4 problem(s)" in text
    for part in ("tools.track_order.templates[0]: unknown slot {order}", "tools.track_order.templates[1]: '(' at character 0 is never closed",
                 "tools.escalate.slots.reasn: escalate has no argument 'reasn'", "{reason:loud} names a surface group"):
        assert part in text, part
    (tmp_path / "shop.bank.yaml").write_text("tools:\n  track_order:\n    templats: [x]\n")
    with pytest.raises(ToolrouterError, match=r"tools.track_order.templates: Field required"):
        build_dataset(str(tmp_path / "shop.json"), n=100)


def test_a_slot_value_outside_the_schema_stops_the_build_naming_the_template(tmp_path):
    (tmp_path / "car.json").write_text(json.dumps(load_catalogue("car_control").subset(["set_cruise_control"]).to_openai()))
    (tmp_path / "car.bank.yaml").write_text(
        "tools:\n  set_cruise_control:\n    slots: {speed: {formats: ['{} mph']}}\n"
        "    templates: ['cruise at {speed}', 'hold {speed} please']\n"
        "    missing: [{args: [speed], templates: ['cruise at {speed}']}]\n")
    with pytest.raises(ToolrouterError, match=r"says \{speed\}, which this group declares missing"):
        build_dataset(str(tmp_path / "car.json"), n=100)


# --- robust prompts ------------------------------------------------------------------------------

def test_robust_targets_are_correct_for_the_catalogue_shown():
    ds = build_dataset("support_router", n=600, seed=3, mode="json", robust=True)
    full = load_catalogue("support_router")
    orders, hidden, distractors = set(), 0, 0
    for split in SPLITS:
        for row in ds.splits[split]:
            tools = json.loads(row["messages"][0]["content"].split("\n")[1])
            shown = catalogue_from_openai(tools, "prompt")
            result = parse_tool_call(row["messages"][2]["content"], shown)
            assert result.kind in ("call", "no_tool")
            if split == "test":
                assert shown.names == full.names  # the demo's test split shows the real catalogue
                continue
            orders.add(tuple(shown.names))
            distractors += any(n not in full for n in shown.names)
            template_tool = row["meta"]["template"].split("/")[0]
            if result.kind == "no_tool" and template_tool in full:  # a real tool's ask, its tool not shown
                hidden += 1
                assert template_tool not in shown and result.reason.startswith("not supported: ")
            if row["meta"]["kind"] == "no_tool:missing_argument":
                assert row["meta"]["template"].split("/")[1] in shown
    assert len(orders) > 20 and hidden > 5 and distractors > 100
    for split in SPLITS:
        share = ds.report["splits"][split]["no_tool_share"]
        assert 0.10 <= share <= 0.20


def test_template_mode_rows_carry_the_tools():
    ds = build_dataset("car_control", n=100, mode="template")
    row = ds.splits["train"][0]
    assert list(row) == ["messages", "tools", "meta"]
    assert row["tools"] == load_catalogue("car_control").to_openai()


# --- catalogues without a bank -------------------------------------------------------------------

def test_a_catalogue_without_a_bank_gets_generic_templates(tmp_path):
    tools = [
        {"type": "function", "function": {"name": "get_weather", "description": "Get the weather (forecast) for a city.",
         "parameters": {"type": "object", "properties": {
             "city": {"type": "string", "description": "City."},
             "unit": {"type": "string", "enum": ["c", "f"]},
             "days": {"type": "integer", "minimum": 1, "maximum": 14},
             "max-results": {"type": "integer"}},
             "required": ["city"]}}},
        {"type": "function", "function": {"name": "inventory.lookup", "description": "Look up a SKU.",
         "parameters": {"type": "object", "properties": {
             "sku": {"type": "string", "pattern": "^[A-Z]{3}-[0-9]{4}$"},
             "warehouses": {"type": "array", "items": {"type": "string", "enum": ["north", "south", "east"]},
                            "uniqueItems": True},
             "tags": {"type": "array", "items": {"type": "string"}},
             "exact": {"type": "boolean"},
             "box": {"type": "object", "properties": {"w": {"type": "number"}, "h": {"type": "number"}},
                     "required": ["w"]}},
             "required": ["sku"]}}},
        {"type": "function", "function": {"name": "ping", "description": "", "parameters": {}}},
    ]
    path = tmp_path / "mine.json"
    path.write_text(json.dumps(tools))
    cat = load_catalogue(str(path))
    ds = build_dataset(str(path), n=400, seed=1)
    assert ds.report["bank"] == "generic (no bank file)"
    called = set()
    for split in SPLITS:
        for row in ds.splits[split]:
            result = parse_tool_call(row["messages"][2]["content"], cat)
            assert result.kind in ("call", "no_tool"), row
            called.add(result.tool)
    assert called >= {"get_weather", "inventory.lookup", "ping", "no_tool"}
    # the generic "out of scope: weather" negatives are dropped: this catalogue does weather
    reasons = {_target(r).get("reason") for r in ds.splits["train"]}
    assert "out of scope: weather" not in reasons and "missing city for get_weather" in reasons


# --- import --------------------------------------------------------------------------------------

def test_import_writes_valid_rows_and_lists_bad_lines(tmp_path, capsys):
    good_call = {"messages": [{"role": "system", "content": "ignored"},
                              {"role": "user", "content": "where is ORD-1234?"},
                              {"role": "assistant", "tool_calls": [{"type": "function", "function": {
                                  "name": "track_order", "arguments": "{\"order_id\": \"ORD-1234\"}"}}]}]}
    dict_args = {"messages": [{"role": "user", "content": "refund ORD-9, it broke"},
                              {"role": "assistant", "tool_calls": [{"type": "function", "function": {
                                  "name": "request_refund", "arguments": {"reason": "it broke", "order_id": "ORD-9"}}}]}]}
    no_tool = {"messages": [{"role": "user", "content": "hello!"}, {"role": "assistant", "content": "greeting"}]}
    bad_id = {"messages": [{"role": "user", "content": "track 12"}, {"role": "assistant", "tool_calls": [
        {"type": "function", "function": {"name": "track_order", "arguments": "{\"order_id\": \"12\"}"}}]}]}
    unknown = {"messages": [{"role": "user", "content": "cancel"}, {"role": "assistant", "tool_calls": [
        {"type": "function", "function": {"name": "cancel_order", "arguments": "{}"}}]}]}
    lines = [json.dumps(good_call), json.dumps(dict_args), "", json.dumps(no_tool), "{not json", json.dumps(bad_id),
             json.dumps(unknown)]
    src = tmp_path / "ft.jsonl"
    src.write_text("\n".join(lines) + "\n")
    out = tmp_path / "out"
    code = main(["data", "import", str(src), "--catalogue", "support_router", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert "3 row(s) did not validate (the 3 valid rows were written" in err
    assert "line 5: not valid JSON" in err and "line 6: pattern_mismatch" in err and "line 7: unknown tool 'cancel_order'" in err
    rows = [r for s in SPLITS for r in _read(out / f"{s}.jsonl")]
    targets = sorted(r["messages"][2]["content"] for r in rows)
    assert targets == ['{"tool":"no_tool","reason":"greeting"}',
                       '{"tool":"request_refund","arguments":{"order_id":"ORD-9","reason":"it broke"}}',
                       '{"tool":"track_order","arguments":{"order_id":"ORD-1234"}}']
    assert all(r["messages"][0]["content"] == load_catalogue("support_router").render("compact") for r in rows)
    # all good: exit 0; tools taken from each row when no --catalogue is given
    tools = load_catalogue("support_router").to_openai()
    src.write_text(json.dumps({**good_call, "tools": tools}) + "\n")
    assert main(["data", "import", str(src), "--out", str(tmp_path / "out2"), "--mode", "template"]) == 0
    row = [r for s in SPLITS for r in _read(tmp_path / "out2" / f"{s}.jsonl")][0]
    assert row["tools"] == tools and row["meta"]["kind"] == "call"
    ds = import_openai(src, catalogue=None)
    assert ds.problems == []


# --- files and errors ----------------------------------------------------------------------------

def test_gold_file_has_prompt_and_target_objects(tmp_path, support):
    write_dataset(support, tmp_path)
    gold = _read(tmp_path / "test.gold.jsonl")
    test = _read(tmp_path / "test.jsonl")
    assert len(gold) == len(test) == 200
    assert gold[0] == {"id": "test-00000", "prompt": _request(test[0]), "target": _target(test[0])}
    assert all(isinstance(g["target"], dict) and "tool" in g["target"] for g in gold)
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["catalogue"] == "support_router" and report["splits"]["train"]["rows"] == 1600
    assert not list(tmp_path.glob(".*.tmp"))


@pytest.mark.parametrize("argv, message", [
    (["--catalogue", "nope"], "unknown catalogue 'nope'"),
    (["--catalogue", "support_router", "--no-tool-ratio", "0.5"], "--no-tool-ratio must be between 0.1 and 0.2"),
    (["--catalogue", "support_router", "--no-tool-ratio", "0.05"], "--no-tool-ratio must be between 0.1 and 0.2"),
    (["--catalogue", "support_router", "--n", "3"], "--n must be an integer of at least 10"),
    (["--catalogue", "support_router", "--mode", "baked", "--robust"], "--robust shuffles and subsets"),
])
def test_bad_arguments_exit_2_with_a_clear_message(tmp_path, capsys, argv, message):
    code = main(["data", "build", "--out", str(tmp_path / "d"), *argv])
    err = capsys.readouterr().err
    assert code == 2 and message in err and "Traceback" not in err
    assert not (tmp_path / "d").exists()


def test_unwritable_out_dir_exits_2(tmp_path, capsys):
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    code = main(["data", "build", "--catalogue", "support_router", "--n", "50", "--out", str(blocker / "sub")])
    err = capsys.readouterr().err
    assert code == 2 and "cannot write the dataset to" in err and "--out" in err and "Traceback" not in err
    code = main(["data", "import", str(tmp_path / "missing.jsonl"), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2 and "cannot read" in err and "missing.jsonl" in err


@pytest.mark.slow
def test_100k_rows_in_under_30_seconds():
    start = time.perf_counter()
    ds = build_dataset("car_control", n=100_000, seed=0)
    elapsed = time.perf_counter() - start
    assert sum(len(r) for r in ds.splits.values()) == 100_000
    assert elapsed < 30, f"{elapsed:.1f} s"


def test_polar_choices_get_contrastive_twins_with_the_same_words_around_them():
    from toolrouter.data.pipeline import opposite
    from toolrouter.data.bank import _Choice

    choice = _Choice(["tilt-forward", "tilt-backward", "up", "down", "forward"], {"": {i: ["x"] for i in range(5)}})
    assert opposite(choice, "tilt-forward") == "tilt-backward" and opposite(choice, "up") == "down"
    assert opposite(choice, "forward") is None  # no "backward" among the values
    lock = _Choice(["lock", "unlock"], {"": {0: ["lock"], 1: ["unlock"]}})
    assert opposite(lock, "unlock") == "lock"
    ds = build_dataset("car_control", n=2000, seed=0, no_tool_ratio=0.2, mode="baked")
    rows = ds.splits["train"]
    twins = [i for i, r in enumerate(rows) if r["meta"].get("twin")]
    assert 0.05 * len(rows) < len(twins) < 0.3 * len(rows)
    cat = load_catalogue("car_control")
    shared = 0
    for i in twins:
        twin = rows[i]
        # a twin takes the next call slot after the row it was made from
        source = next(r for r in reversed(rows[:i]) if r["meta"]["kind"] == "call")
        assert source["meta"]["template"] == twin["meta"]["template"] and not source["meta"].get("twin")
        a, b = (parse_tool_call(r["messages"][2]["content"], cat) for r in (source, twin))
        assert a.tool == b.tool
        changed = [k for k in set(a.arguments) | set(b.arguments) if a.arguments.get(k) != b.arguments.get(k)]
        assert len(changed) == 1  # one choice turned over, every other argument as it was
        words_a, words_b = source["messages"][1]["content"].split(), twin["messages"][1]["content"].split()
        # the twin is its source with the choice's surface swapped (a surface may be the whole request,
        # "Less airflow" / "A little more air"), so most twins share words around it
        text_a, text_b = source["messages"][1]["content"], twin["messages"][1]["content"]
        assert text_a != text_b
        shared += bool(os.path.commonprefix([text_a, text_b]).strip()
                       or os.path.commonprefix([text_a[::-1], text_b[::-1]]).strip(" .!?"))
    assert shared >= 0.8 * len(twins)


def test_novel_free_text_is_made_of_words_no_pool_has_and_is_held_out_by_split(tmp_path):
    """A bank slot with `novel: 0.3` (here car_control's track and destination): about a third of its
    values are made-up names from a 10,000-word list, never the bank's pool, copied verbatim, and test
    values never occur in train."""
    import shutil

    import yaml

    from toolrouter.data.bank import bank_path
    from toolrouter.data.values import novel_value, novel_words

    assert len(novel_words()) == 10000 == len({w.lower() for w in novel_words()})
    assert [novel_value(random.Random(3)) for _ in range(2)] == [novel_value(random.Random(3))] * 2  # seeded
    source = bank_path(load_catalogue("car_control"))
    shutil.copy(source.with_name("car_control.py"), tmp_path / "cars.py")
    bank = yaml.safe_load(source.read_text())
    args = (("play_music", "track"), ("set_navigation_destination", "destination"))
    for tool, arg in args:
        bank["tools"][tool]["slots"][arg]["novel"] = 0.3
    (tmp_path / "cars.bank.yaml").write_text(yaml.safe_dump(bank))
    ds = build_dataset(str(tmp_path / "cars.py"), n=3000, seed=0, mode="baked")
    for tool, arg in args:
        spec = bank["tools"][tool]["slots"][arg]
        known = {p.lower() for p in spec["pool"]}
        parts = {w.lower() for part in spec["compose"] for w in part}
        by_split = {}
        for split in ("train", "test"):
            values = [_target(r)["arguments"][arg] for r in ds.splits[split]
                      if _target(r)["tool"] == tool and arg in _target(r)["arguments"]]
            novel = [v for v in values if v.lower() not in known and not set(v.lower().split()) <= parts]
            if split == "train":  # the test split holds a handful: only its disjointness is checked
                assert 0.15 * len(values) <= len(novel) <= 0.5 * len(values), (tool, len(novel), len(values))
            by_split[split] = set(novel)
        assert not by_split["train"] & by_split["test"]
        for row in ds.splits["train"]:
            t = _target(row)
            if t["tool"] == tool and arg in t["arguments"]:
                assert t["arguments"][arg] in _request(row)  # copied verbatim, whatever the request's casing


def test_novel_share_outside_0_1_is_a_bank_error(tmp_path):
    from toolrouter.data.bank import SlotSpec

    with pytest.raises(ValueError, match="novel"):
        SlotSpec(novel=1.5)


def test_a_negative_group_may_say_a_tools_slots_and_names_a_missing_tool(tmp_path):
    (tmp_path / "shop.json").write_text(json.dumps(load_catalogue("support_router").to_openai()))
    (tmp_path / "shop.bank.yaml").write_text(
        "negatives:\n  near_miss:\n"
        "    - {reason: 'not supported: cancel order', tool: track_order, templates: ['cancel order {order_id}']}\n")
    ds = build_dataset(str(tmp_path / "shop.json"), n=300)
    cancels = [r for s in ds.splits.values() for r in s if r["messages"][-2]["content"].lower().startswith("cancel order")]
    assert cancels and all(re.search(r"(?i)ord-\d+", r["messages"][-2]["content"]) for r in cancels)
    (tmp_path / "shop.bank.yaml").write_text(
        "negatives:\n  near_miss:\n    - {reason: x, tool: track_ordr, templates: ['cancel order {order_id}']}\n")
    with pytest.raises(ToolrouterError, match=r"negatives.near_miss\[0\].tool: no tool 'track_ordr' in the catalogue"):
        build_dataset(str(tmp_path / "shop.json"), n=100)
