"""Conversations in the synthetic data (toolrouter.data.conversation): off by default with the rows
unchanged, on with history, follow-ups, supplied arguments and several-call requests, every call
verified, declared in banks or drafted from the schema. Pure Python: no torch."""
import json

import pytest
import yaml

from toolrouter import load_catalogue
from toolrouter.core.schema import NO_TOOL, ToolrouterError
from toolrouter.data.bank import bank_path
from toolrouter.data.conversation import (ConversationSettings, calls_of, format_history, gold_messages, openai_message,
                                          target_of_openai)
from toolrouter.data.pipeline import build_dataset, write_dataset
from toolrouter.eval.evaluate import load_gold
from toolrouter.formats import get_format, target_of_row
from toolrouter.formats.parse import format_call, parse_tool_call
from toolrouter.train.recipe import load_recipe

ON = {"history": 0.6, "several": 0.3}


def rows(ds):
    return [r for split in ds.splits.values() for r in split]


@pytest.fixture(scope="module")
def car():
    return build_dataset("car_control", n=600, seed=3, mode="baked", no_tool_ratio=0.2, conversations=ON)


def test_off_by_default_rows_unchanged():
    plain = build_dataset("car_control", n=300, seed=1, mode="compact")
    assert plain.splits == build_dataset("car_control", n=300, seed=1, mode="compact", conversations=None).splits
    assert all(len(r["messages"]) == 3 and "conversation" not in r["meta"] for r in rows(plain))
    assert "conversations" not in plain.report
    # the same call with conversations on keeps every single-turn row it does not touch, in place
    on = build_dataset("car_control", n=300, seed=1, mode="compact", conversations=ON)
    for split in plain.splits:
        assert len(on.splits[split]) == len(plain.splits[split])
        kept = [(a, b) for a, b in zip(plain.splits[split], on.splits[split]) if "conversation" not in b["meta"]]
        assert kept and all(a == b for a, b in kept)


def test_bank_conversation_section_does_not_touch_single_turn_rows(tmp_path):
    """The built-in banks gained a `conversations:` section: the rows without conversations are the
    rows of the same bank without that section."""
    import shutil

    src = load_catalogue("car_control").source
    text = bank_path(load_catalogue("car_control")).read_text()
    for name in ("a", "b"):  # same catalogue and bank, outside the package (no built-in gold set to avoid)
        shutil.copy(src, tmp_path / f"{name}.py")
        (tmp_path / f"{name}.bank.yaml").write_text(text)
    bank = yaml.safe_load(text)
    assert bank.pop("conversations")["follow_ups"]
    (tmp_path / "b.bank.yaml").write_text(yaml.safe_dump(bank))
    with_section = build_dataset(str(tmp_path / "a.py"), n=200, seed=0, mode="baked")
    without = build_dataset(str(tmp_path / "b.py"), n=200, seed=0, mode="baked")
    assert without.splits == with_section.splits


def test_every_kind_appears_and_every_call_verifies(car):
    cat = load_catalogue("car_control")
    fmt = get_format("json")
    kinds = {}
    for row in rows(car):
        kind = row["meta"].get("conversation", "single_turn")
        kinds[kind] = kinds.get(kind, 0) + 1
        msgs = row["messages"]
        assert [m["role"] for m in msgs[:1]] == ["system"] and msgs[-1]["role"] == "assistant" and msgs[-2]["role"] == "user"
        called = 0
        for m in msgs[1:]:
            if m["role"] == "assistant":
                target = fmt.target_of(m)
                for call in calls_of(target):
                    result = parse_tool_call(format_call(call["tool"], call["arguments"], cat), cat)
                    assert result.kind == "call" and result.arguments == call["arguments"]
                called = len(calls_of(target))
            elif m["role"] == "tool":
                assert called > 0  # results only after calls, one per call
                called -= 1
                json.loads(m["content"])
        target = target_of_row(row)
        if kind == "several":
            assert isinstance(target, list) and 2 <= len(target) <= 3
            assert row["meta"]["tool"] == "+".join(c["tool"] for c in target)
        elif isinstance(target, list):
            pytest.fail(f"a list target outside a several row: {row}")
    assert set(kinds) == {"single_turn", "several", "follow_up", "supplied", "history"}, kinds
    assert car.report["conversations"]["train"]["several"] == sum(
        r["meta"].get("conversation") == "several" for r in car.splits["train"])
    # no_tool rows get history too, and stay no_tool
    assert any(r["meta"].get("conversation") == "history" and r["meta"]["tool"] == NO_TOOL for r in rows(car))


def test_follow_ups_keep_what_they_do_not_change(car):
    fmt = get_format("json")
    checked = 0
    for row in rows(car):
        if row["meta"].get("conversation") != "follow_up":
            continue
        earlier, now = fmt.target_of(row["messages"][2]), target_of_row(row)
        assert row["messages"][3]["role"] == "tool" and row["messages"][4]["role"] == "user"
        if earlier["tool"] == now["tool"] == "set_temperature":
            # unit is always kept, so a follow-up value is read in the earlier unit
            assert now["arguments"].get("unit") == earlier["arguments"].get("unit")
            assert now["arguments"] != earlier["arguments"]  # a follow-up that says a value changes it
            checked += 1
        if now["tool"] == "toggle_headlights":
            assert now["arguments"]["light_state"] != earlier["arguments"]["light_state"]
            checked += 1
    assert checked >= 3


def test_deterministic_and_seed_dependent():
    a = build_dataset("support_router", n=200, seed=5, conversations=ON)
    b = build_dataset("support_router", n=200, seed=5, conversations=ON)
    c = build_dataset("support_router", n=200, seed=6, conversations=ON)
    assert a.splits == b.splits and a.splits != c.splits


def test_support_router_refund_that_one_too():
    ds = build_dataset("support_router", n=600, seed=0, conversations={"history": 1.0, "several": 0.0})
    fmt = get_format("json")
    refunds = [r for r in rows(ds) if r["meta"].get("conversation") == "follow_up"
               and fmt.target_of(r["messages"][2])["tool"] == "request_refund"]
    assert refunds
    for row in refunds:
        earlier, now = fmt.target_of(row["messages"][2]), target_of_row(row)
        assert now["arguments"]["reason"] == earlier["arguments"]["reason"]  # keep: [reason]
        assert now["arguments"]["order_id"] != earlier["arguments"]["order_id"]


def test_generic_catalogue_gets_drafted_follow_ups(tmp_path):
    """A catalogue without a bank: follow-ups drafted from the schema, combinations of any two tools."""
    tools = [{"type": "function", "function": {"name": "set_volume", "description": "Set the speaker volume.",
              "parameters": {"type": "object", "properties": {
                  "level": {"type": "integer", "minimum": 0, "maximum": 10, "description": "Volume level."}},
                  "required": ["level"]}}},
             {"type": "function", "function": {"name": "set_mode", "description": "Set the speaker mode.",
              "parameters": {"type": "object", "properties": {
                  "mode": {"type": "string", "enum": ["music", "movie", "voice"], "description": "Mode."}},
                  "required": ["mode"]}}}]
    path = tmp_path / "speaker.json"
    path.write_text(json.dumps(tools))
    ds = build_dataset(str(path), n=300, seed=0, conversations={"history": 1.0, "several": 0.3})
    kinds = {r["meta"].get("conversation") for r in rows(ds)}
    assert {"follow_up", "several", "history"} <= kinds
    fmt = get_format("json")
    for row in rows(ds):
        if row["meta"].get("conversation") == "follow_up":
            earlier, now = fmt.target_of(row["messages"][2]), target_of_row(row)
            assert now["tool"] == earlier["tool"] and now["arguments"] != earlier["arguments"]


def test_bank_conversation_problems_are_reported(tmp_path):
    import shutil

    shutil.copy(load_catalogue("car_control").source, tmp_path / "cars.py")
    bank = yaml.safe_load(bank_path(load_catalogue("car_control")).read_text())
    bank["conversations"]["follow_ups"]["lock_doors"] = [{"say": ["{lock_state} it"], "keep": ["colour"]},
                                                         {"say": ["now {volume}"]}]
    bank["conversations"]["results"]["play_music"] = ["{not json"]
    bank["conversations"]["combinations"].append(["lock_doors"])
    (tmp_path / "cars.bank.yaml").write_text(yaml.safe_dump(bank))
    with pytest.raises(ToolrouterError) as e:
        build_dataset(str(tmp_path / "cars.py"), n=50, seed=0)
    text = str(e.value)
    assert "conversations.follow_ups.lock_doors[0]: lock_doors has no argument(s) ['colour']" in text
    assert "conversations.follow_ups.lock_doors[1].say[0]: unknown slot {volume}" in text
    assert "conversations.results.play_music[0]: not JSON text" in text
    assert "a combination names two or three tools (got ['lock_doors'])" in text


def test_gold_split_is_format_neutral_and_loads(tmp_path, car):
    write_dataset(car, tmp_path)
    gold = [json.loads(line) for line in (tmp_path / "test.gold.jsonl").read_text().splitlines()]
    convs = [g for g in gold if "messages" in g]
    assert convs and all(g["messages"][-1]["role"] == "user" for g in convs)
    assert all("prompt" in g and "meta" not in g for g in gold if "messages" not in g)
    earlier = [m for g in convs for m in g["messages"] if m["role"] == "assistant"]
    assert any(m.get("tool_calls") for m in earlier)
    # the conversations load as gold cases (list targets are the several-call eval's: tested there)
    (tmp_path / "conv.jsonl").write_text("".join(json.dumps(g) + "\n" for g in convs if isinstance(g["target"], dict)))
    problems = []
    cases = load_gold(tmp_path / "conv.jsonl", load_catalogue("car_control"), problems)
    assert problems == [] and len(cases) == sum(isinstance(g["target"], dict) for g in convs) > 10
    assert all(c.messages[-1]["role"] == "user" and c.meta["kind"] in ("follow_up", "supplied", "history") for c in cases)
    # rendered back for the model, a case's history is exactly the row's history
    fmt, cat = get_format("json"), load_catalogue("car_control")
    test_rows = car.splits["test"]
    for g, row in zip(gold, test_rows):
        if "messages" in g:
            assert format_history(g["messages"], fmt, cat) == row["messages"][1:-1]
            assert {"kind": row["meta"]["conversation"]} == g["meta"]


def test_openai_message_round_trip():
    one = {"tool": "lock_doors", "arguments": {"lock_state": "lock"}}
    two = [one, {"tool": "toggle_headlights", "arguments": {"light_state": "on"}}]
    none = {"tool": NO_TOOL, "reason": "What speed?"}
    for target in (one, two, none):
        assert target_of_openai(openai_message(target)) == target
    assert target_of_openai({"role": "assistant", "tool_calls": [
        {"type": "function", "function": {"name": "x", "arguments": '{"a": 1}'}}]}) == {"tool": "x", "arguments": {"a": 1}}
    # history already written as an envelope stays as it is
    kept = {"role": "assistant", "content": '{"tool":"no_tool","reason":"hi"}'}
    assert format_history([kept], get_format("json"), load_catalogue("car_control")) == [kept]
    spoken = {"role": "assistant", "content": "What speed?"}
    assert format_history([spoken], get_format("json"), load_catalogue("car_control")) == [
        {"role": "assistant", "content": '{"tool":"no_tool","reason":"What speed?"}'}]


def test_recipe_settings_are_checked(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text("catalogue: car_control\ndata: {conversations: {history: 0.5, several: 1.5, turns: 3}}\n")
    with pytest.raises(ToolrouterError) as e:
        load_recipe(path)
    text = str(e.value)
    assert "data.conversations.several" in text and "data.conversations.turns" in text
    path.write_text("catalogue: car_control\ndata: {conversations: {follow_up: 0.9, supplied: 0.3}}\n")
    with pytest.raises(ToolrouterError, match="follow_up \\+ supplied"):
        load_recipe(path)
    recipe = load_recipe("car_control_multiturn_tiny")
    assert recipe.data.conversations == ConversationSettings(history=0.45, several=0.2, max_earlier=1)
    assert recipe.training.loss_on == "final" and recipe.eval.gold.endswith("evals/car_control_multiturn.jsonl")
    assert load_recipe("car_control_tiny").data.conversations is None  # the existing recipes: off


def test_eval_by_meta_kind_hand_computed(tmp_path, capsys):
    """`toolrouter eval --by meta.kind`: the rates per kind, here exact 1/2 follow_up, 1/1 negative, 0/1 (none)."""
    from toolrouter.cli import main

    call = {"role": "assistant", "content": "", "tool_calls": [
        {"type": "function", "function": {"name": "toggle_headlights", "arguments": {"light_state": "on"}}}]}
    history = [{"role": "user", "content": "headlights on"}, call, {"role": "tool", "content": '{"status":"ok"}'}]
    gold = [
        {"id": "a", "messages": [*history, {"role": "user", "content": "turn them off again"}],
         "target": {"tool": "toggle_headlights", "arguments": {"light_state": "off"}}, "meta": {"kind": "follow_up"}},
        {"id": "b", "messages": [*history, {"role": "user", "content": "and lock up"}],
         "target": {"tool": "lock_doors", "arguments": {"lock_state": "lock"}}, "meta": {"kind": "follow_up"}},
        {"id": "c", "messages": [*history, {"role": "user", "content": "thanks!"}],
         "target": {"tool": "no_tool", "reason": "thanks"}, "meta": {"kind": "negative"}},
        {"id": "d", "prompt": "start the car", "target": {"tool": "start_engine", "arguments": {}}},
    ]
    outputs = ['{"tool":"toggle_headlights","arguments":{"light_state":"off"}}',
               '{"tool":"lock_doors","arguments":{"lock_state":"unlock"}}',
               '{"tool":"no_tool","reason":"you are welcome"}', '{"tool":"no_tool","reason":"?"}']
    (tmp_path / "gold.jsonl").write_text("".join(json.dumps(g) + "\n" for g in gold))
    (tmp_path / "pred.jsonl").write_text("".join(json.dumps({"id": g["id"], "output": o}) + "\n"
                                                 for g, o in zip(gold, outputs)))
    code = main(["eval", "--predictions", str(tmp_path / "pred.jsonl"), "--gold", str(tmp_path / "gold.jsonl"),
                 "--catalogue", "car_control", "--by", "meta.kind", "--report-json", str(tmp_path / "r.json")])
    assert code == 0, capsys.readouterr().err
    assert "per meta.kind" in capsys.readouterr().out
    by = json.loads((tmp_path / "r.json").read_text())["by"]
    assert by["key"] == "meta.kind" and list(by["groups"]) == ["(none)", "follow_up", "negative"]
    exact = {k: (g["cases"], g["metrics"]["exact_match_rate"]["value"]) for k, g in by["groups"].items()}
    assert exact == {"(none)": (1, 0.0), "follow_up": (2, 0.5), "negative": (1, 1.0)}
