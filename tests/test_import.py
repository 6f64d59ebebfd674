"""`toolrouter data import` of whole conversations from the three common formats (small committed
fixtures in tests/assets/import): OpenAI fine-tuning JSONL, ShareGPT (from/value with function_call
and observation turns) and TRL conversational rows (messages, or prompt + completion). History, tool
results and several calls per turn are kept; every call is checked against the catalogue; a bad row
is named by line with what to fix."""
import json
from pathlib import Path

from toolrouter.cli import main
from toolrouter.data.pipeline import SPLITS, import_openai
from toolrouter.formats import get_format

ASSETS = Path(__file__).parent / "assets" / "import"
JSON = get_format("json")


def rows_of(out: Path) -> list[dict]:
    return [json.loads(line) for s in SPLITS for line in (out / f"{s}.jsonl").read_text().splitlines()]


def by_request(rows: list[dict]) -> dict[str, dict]:
    return {r["messages"][1]["content"]: r for r in rows}


def roles(row) -> list[str]:
    return [m["role"] for m in row["messages"]]


def answer(row):
    return JSON.target_of(row["messages"][-1])


def test_openai_conversations(tmp_path, capsys):
    out = tmp_path / "o"
    code = main(["data", "import", str(ASSETS / "openai.jsonl"), "--catalogue", "car_control", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert "openai.jsonl: 1 row(s) did not validate (the 4 valid rows were written" in err
    assert "line 5: message 2 (assistant): out_of_range" in err and "set_cruise_control" in err
    rows = by_request(rows_of(out))
    follow = rows["set the driver side to 21"]
    assert roles(follow) == ["system", "user", "assistant", "tool", "user", "assistant"]
    assert follow["messages"][0]["content"] != "You are a car assistant."  # the catalogue's prompt replaces it
    assert JSON.target_of(follow["messages"][2]) == {"tool": "set_temperature",
                                                    "arguments": {"temperature": 21, "area": ["driver"]}}
    assert follow["messages"][3] == {"role": "tool", "content": '{"status": "ok"}'}
    assert answer(follow) == {"tool": "set_temperature", "arguments": {"temperature": 21, "area": ["rear-left", "rear-right"]}}
    assert follow["meta"]["conversation"] == "imported" and follow["meta"]["turns"] == 2
    several = rows["lock the doors and turn the headlights on"]
    assert answer(several) == [{"tool": "lock_doors", "arguments": {"lock_state": "lock"}},
                               {"tool": "toggle_headlights", "arguments": {"light_state": "on"}}]
    assert several["meta"]["tool"] == "lock_doors+toggle_headlights"
    thanks = rows["headlights on"]
    assert answer(thanks) == {"tool": "no_tool", "reason": "You're welcome."}
    asked = rows["set cruise control"]  # a spoken reply in the history is a no_tool turn
    assert JSON.target_of(asked["messages"][2]) == {"tool": "no_tool", "reason": "What speed?"}
    assert answer(asked) == {"tool": "set_cruise_control", "arguments": {"speed": 65}}


def test_sharegpt_function_call_and_observation(tmp_path, capsys):
    out = tmp_path / "s"
    code = main(["data", "import", str(ASSETS / "sharegpt.jsonl"), "--out", str(out), "--mode", "template"])
    err = capsys.readouterr().err
    assert code == 2 and "line 4: conversations[0]: unknown speaker 'bot'" in err and "Traceback" not in err
    rows = by_request(rows_of(out))
    assert len(rows) == 3
    lock = rows["lock the car"]  # tools from the row (bare ShareGPT definitions), shown in template mode
    assert [t["function"]["name"] for t in lock["tools"]] == ["lock_doors", "toggle_headlights"]
    assert roles(lock) == ["system", "user", "assistant", "tool", "assistant", "user", "assistant"]
    assert lock["messages"][3]["content"] == '{"doors": "locked"}'
    assert JSON.target_of(lock["messages"][4]) == {"tool": "no_tool", "reason": "Done, the doors are locked."}
    assert answer(lock) == {"tool": "lock_doors", "arguments": {"lock_state": "unlock"}}
    assert answer(rows["unlock and lights off"]) == [{"tool": "lock_doors", "arguments": {"lock_state": "unlock"}},
                                                     {"tool": "toggle_headlights", "arguments": {"light_state": "off"}}]
    assert answer(rows["what's the weather?"]) == {"tool": "no_tool", "reason": "I can't check the weather."}


def test_trl_messages_and_prompt_completion(tmp_path):
    ds = import_openai(ASSETS / "trl.jsonl", catalogue="car_control")
    assert ds.problems == ["line 4: message 2 (tool): a tool result with no assistant call before it; put the "
                           "assistant's tool_calls before its results"]
    rows = by_request([r for rows in ds.splits.values() for r in rows])
    window = rows["open the driver window"]
    assert roles(window) == ["system", "user", "assistant", "tool", "user", "assistant"]
    assert answer(window) == {"tool": "control_window", "arguments": {"window_position": "close", "window_location": "driver"}}
    assert answer(rows["fan on high and 18 degrees"]) == [{"tool": "set_fan_speed", "arguments": {"speed": "high"}},
                                                          {"tool": "set_temperature", "arguments": {"temperature": 18}}]
    skip = rows["play some jazz"]  # prompt + completion, a tool result given as an object
    assert skip["messages"][3] == {"role": "tool", "content": '{"status": "playing"}'}
    assert answer(skip) == {"tool": "no_tool", "reason": "I can't skip songs."}
    assert ds.report["formats_read"] == {"trl": 2, "openai": 1}


def test_forced_source_and_bad_values(tmp_path, capsys):
    src = tmp_path / "x.jsonl"
    src.write_text(json.dumps({"conversations": [{"from": "human", "value": "hi"},
                                                 {"from": "function_call", "value": "{not json"}]}) + "\n"
                   + json.dumps({"messages": [{"role": "user", "content": "lights"},
                                              {"role": "assistant", "tool_calls": [{"type": "function", "function": {
                                                  "name": "toggle_headlights", "arguments": {"light_state": "dim"}}}]}]})
                   + "\n")
    code = main(["data", "import", str(src), "--catalogue", "car_control", "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err and "nothing was written" in err
    assert "line 1: conversations[1] (function_call) is not valid JSON text" in err
    assert "line 2: not_in_choices" in err and "light_state" in err
    assert not (tmp_path / "o").exists()
    code = main(["data", "import", str(src), "--from", "sharegpt", "--catalogue", "car_control", "--out", str(tmp_path / "p")])
    err = capsys.readouterr().err
    assert code == 2 and "line 2: \"conversations\" must be a non-empty list" in err
