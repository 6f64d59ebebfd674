"""Casing variety in generated data and the recasing used to count casing flips (no torch)."""
import re

from toolrouter.data.pipeline import build_dataset
from toolrouter.eval.casing import _value_words, count_flips, recase


def test_recase_keeps_values_and_changes_the_rest():
    target = {"tool": "play_music", "arguments": {"song": "Hotel California", "order_id": "ORD-48213"}}
    keep = _value_words(target, "please play hotel california, order ord-48213")
    prompt = "Please PLAY Hotel California, order ORD-48213"
    assert recase(prompt, "lower", keep) == "please play Hotel California, order ORD-48213"
    assert recase(prompt, "upper", keep) == "PLEASE PLAY Hotel California, ORDER ORD-48213"
    assert recase(prompt, "title", keep) == "Please Play Hotel California, Order ORD-48213"
    assert recase(prompt, "sentence", keep) == "Please play Hotel California, order ORD-48213"
    assert recase("Lock the doors", "lower") == "lock the doors"


def test_value_words_of_several_calls():
    target = [{"tool": "play_music", "arguments": {"track": "Hotel California"}},
              {"tool": "set_navigation_destination", "arguments": {"destination": "Main Street"}}]
    prompt = "play Hotel California and drive to Main Street"
    assert _value_words(target, prompt) == {"hotel", "california", "main", "street"}


def test_count_flips_compares_tool_and_casefolded_arguments():
    ref = [{"tool": "lock_doors", "arguments": {"lock_state": "lock"}}, {"kind": "no_tool"}]
    answers = {"as_written": ref,
               "lower": [{"tool": "lock_doors", "arguments": {"lock_state": "LOCK"}}, {"kind": "no_tool"}],
               "upper": [{"tool": "lock_doors", "arguments": {"lock_state": "unlock"}}, {"kind": "no_tool"}],
               "title": [ref[0], {"tool": "start_engine", "arguments": {}}]}
    result = count_flips(answers)
    assert result["flips_per_style"] == {"lower": 0, "upper": 1, "title": 1}
    assert result["flipped_cases"] == 2 and result["flipped"] == [0, 1]


def test_generated_requests_come_in_every_casing_with_values_verbatim():
    rows = build_dataset("car_control", n=3000, seed=0, mode="baked").splits["train"]
    texts = [r["messages"][1]["content"] for r in rows]
    letters = [re.sub(r"[^A-Za-z ]", "", t).strip() for t in texts]
    assert sum(t == t.lower() for t in letters) > 0.15 * len(rows)  # all lower
    caps = [t for t in texts if len(re.findall(r"\b[A-Z]{3,}\b", t)) >= 2]
    assert len(caps) > 0.03 * len(rows)  # ALL CAPS around the values
    title = [t for t in letters if len(t.split()) >= 3 and all(w[:1].isupper() for w in t.split())]
    assert len(title) > 0.03 * len(rows)  # Title Case
    # sentence case also where the request opens with an enum word ("Unlock the car", "Disable sport mode")
    opens = {r["messages"][1]["content"].split()[0] for r in rows if r["meta"]["tool"] == "lock_doors"}
    assert "Unlock" in opens and "unlock" in opens
    for r in rows:  # copied values stay spans of the request, in the case the target has them
        if r["meta"]["tool"] == "play_music":
            text, target = r["messages"][1]["content"], r["messages"][2]["content"]
            for value in re.findall(r'"track":"([^"]+)"', target):
                assert value in text


def test_support_data_has_ids_of_every_length_and_bare_escalation_calls():
    rows = build_dataset("support_router", n=3000, seed=0).splits["train"]
    lengths = {len(m) for r in rows for m in re.findall(r'"order_id":"ORD-(\d+)"', r["messages"][2]["content"])}
    assert lengths == {4, 5, 6, 7, 8}
    # a bare ask for a person is an escalate call whose reason is the ask itself
    bare = [r for r in rows if r["meta"]["tool"] == "escalate"
            and r["messages"][2]["content"].endswith('"human"}}')]
    assert bare and all("human" in r["messages"][1]["content"].lower() for r in bare)


def test_a_paraphrased_value_keeps_no_words():
    target = {"tool": "escalate", "arguments": {"reason": "customer wants a human"}}
    assert _value_words(target, "I want a human") == set()
    assert recase("I want a human", "upper", _value_words(target, "I want a human")) == "I WANT A HUMAN"
