"""Data for a catalogue without a phrasing bank: values from the schema (toolrouter.data.values),
natural templates and negatives (toolrouter.data.draft), and `toolrouter bank draft`.

    .venv/bin/python -m pytest tests/test_data_schema.py -q
"""
import json
import os
import random
import re
from pathlib import Path
from typing import Literal, Optional

import pytest
from pydantic import ConfigDict, Field

from toolrouter import Tool, load_catalogue, parse_tool_call
from toolrouter.core.catalogue import Catalogue
from toolrouter.core.schema import spec_from_model
from toolrouter.data.bank import ASIDES, _Compiled, read_bank
from toolrouter.data.draft import draft_yaml, learned_templates, main as bank_main, tool_templates
from toolrouter.data.pipeline import build_dataset, write_dataset
from toolrouter.data.values import (arg_kind, bool_forms, number_words, raw_properties, sample_call, sample_negative,
                                    say_adjective, say_date, say_number, say_time)

ASSETS = Path(__file__).parent / "assets" / "natural"
HOME = str(ASSETS / "home_assistant.py")
DINING = str(ASSETS / "dining_travel.py")
SPLITS = ("train", "val", "test")


@pytest.fixture(scope="module")
def home():
    return build_dataset(HOME, n=3000, seed=0)


@pytest.fixture(scope="module")
def dining():
    return build_dataset(DINING, n=3000, seed=0)


def _calls(ds, split="train"):
    for row in ds.splits[split]:
        target = json.loads(row["messages"][2]["content"])
        yield row["messages"][1]["content"], target


# --- spoken forms ---------------------------------------------------------------------------------

def test_times_are_said_the_way_people_say_them():
    assert {"quarter past eight", "8:15", "8:15am"} <= set(say_time("08:15"))
    assert {"7", "7am", "7 o'clock", "seven in the morning"} <= set(say_time("07:00"))
    assert {"7pm", "7 in the evening"} <= set(say_time("19:00")) and "7" not in say_time("19:00")
    assert "quarter to eight" in say_time("07:45") and "half past six" in say_time("06:30")
    assert "noon" in say_time("12:00") and "midnight" in say_time("00:00")
    assert "quarter past eight in the evening" in say_time("20:15")
    # "like 2 o'clock" for a check-out is 14:00: o'clock is said of 12-4 in the afternoon, 5-11 in the morning,
    # never of one hour twice ("5 o'clock" stays 05:00, "7 o'clock" 07:00)
    assert {"2 o'clock", "two o'clock"} <= set(say_time("14:00")) and "seven o'clock" in say_time("07:00")
    assert not any("o'clock" in f for f in say_time("17:00") + say_time("19:00"))


def test_numbers_are_said_in_digits_words_and_units():
    assert {"an hour", "60 minutes", "sixty minutes", "1 hour"} <= set(say_number(60, "minute"))
    assert {"half an hour", "30 minutes"} <= set(say_number(30, "minute"))
    assert {"2 hours", "two hours"} <= set(say_number(120, "minute"))
    assert {"4 people", "four people"} <= set(say_number(4, "people"))
    # a head count by who comes ("for me and my wife"), and never one of them for another count
    assert {"me and my wife", "both of us", "the two of us"} <= set(say_number(2, "people"))
    assert {"me and 3 friends", "the four of us"} <= set(say_number(4, "guest"))
    assert not any("me and" in f for n in (1, 3, 5) for f in say_number(n, "people") if f"{n - 1} " not in f
                   and number_words(n - 1) + " " not in f)
    assert {"a week", "7 days"} <= set(say_number(7, "day"))
    assert say_number(12) == ["12", "twelve"]
    assert {"25 minute", "25-minute"} <= set(say_adjective(25, "minute")) and "seven-minute" in say_adjective(7, "minute")


def test_dates_keep_their_year():
    forms = say_date("2026-12-03")
    assert {"2026-12-03", "December 3, 2026", "December 3rd, 2026", "3 December 2026"} <= set(forms)
    assert all("2026" in f for f in forms)
    # a holiday also by its name, with its year; a movable one on its own day of that year
    assert {"New Year's Day 2027", "New Year's Day, 2027"} <= set(say_date("2027-01-01"))
    assert "Thanksgiving 2026" in say_date("2026-11-26") and "Thanksgiving 2027" in say_date("2027-11-25")
    assert "Memorial Day 2026" in say_date("2026-05-25") and not any("Day" in f for f in forms)


def test_every_spoken_form_in_the_data_maps_back_to_its_value(home):
    """A request says the target's value in one of that value's forms, never another value's."""
    seen = {"time": 0, "minutes": 0}
    for text, target in _calls(home):
        args = target.get("arguments", {})
        low = text.lower()
        if target["tool"] == "set_alarm":
            assert any(re.search(r"(?<![\w:])" + re.escape(f.lower()) + r"(?![\w:])", low)
                       for f in say_time(args["time"])), (text, args)
            seen["time"] += 1
        if target["tool"] == "start_timer":
            forms = say_number(args["minutes"], "minute") + say_adjective(args["minutes"], "minute")
            assert any(f.lower() in low for f in forms), (text, args)
            if re.search(r"\bfor an hour\b", low):
                assert args["minutes"] == 60, text
            seen["minutes"] += 1
    assert seen["time"] > 50 and seen["minutes"] > 50


# --- values from the schema ------------------------------------------------------------------------

def test_argument_kinds_come_from_name_description_format_and_pattern():
    cat = load_catalogue(HOME)
    kinds = {(t.name, a): arg_kind(a, s) for t in cat for a, s in raw_properties(t).items()}
    assert kinds[("get_weather", "city")] == "city"
    assert kinds[("set_alarm", "time")] == "time"
    assert kinds[("create_reminder", "date")] == "date"
    assert kinds[("send_text", "to")] == "person"
    assert kinds[("send_text", "message")] == "message"
    assert kinds[("start_timer", "minutes")] == "number"
    assert raw_properties(cat["get_weather"])["city"]["examples"] == ["Paris", "Oslo"]  # pydantic drops them in ToolSpec


def test_generic_data_has_no_schema_echo(home, dining):
    for ds in (home, dining):
        cat = load_catalogue(ds.report["catalogue"] == "home_assistant" and HOME or DINING)
        for split in SPLITS:
            for row in ds.splits[split]:
                text = row["messages"][1]["content"].lower()
                for value in json.loads(row["messages"][2]["content"]).get("arguments", {}).values():
                    text = text.replace(str(value).lower(), "<value>")  # a message may say "what time is it"
                text = text.replace("what time is", "<message>")  # ... also where a missing-argument ask says it
                for tool in cat:
                    for arg in tool.properties:
                        w = arg.replace("_", " ")
                        assert not re.search(rf"\b{re.escape(w)}\s*(:|=|is)\s", text), (arg, text)
                        assert not re.search(rf"\bwith {re.escape(w)} \S", text), (arg, text)
                assert "get the weather forecast for a city" not in text


def test_drafted_requests_say_no_raw_name_or_value():
    """The drafted data of a bankless catalogue with snake-case enum values, counts named "X_count" and yes/no
    arguments named for their act (auto_care) never says an enum value as written ("winter_swap"), a name
    before or around a number ("tire count 4", "with tire count of 4"), "not" + a name ("not store old set")
    or a description's list as the thing acted on ("a tire appointment: seasonal swap")."""
    path = str(ASSETS / "auto_care.py")
    cat = load_catalogue(path)
    names = {a.replace("_", " ") for t in cat for a, sc in t.properties.items()
             if "_" in a and sc.get("type") != "string"}
    assert {"tire count", "max miles", "store old set"} <= names  # ("work order 58213" names a string: fine)
    ds = build_dataset(cat, n=1500, seed=0)
    counts = []
    for split in SPLITS:
        for row in ds.splits[split]:
            text = row["messages"][1]["content"].lower()
            target = json.loads(row["messages"][2]["content"])
            assert not re.search(r"[a-z]_[a-z]", text), text
            assert "appointment: seasonal" not in text, text
            for name in names:
                assert f"not {name}" not in text, (name, text)
            for name in ("tire count", "max miles"):
                assert not re.search(rf"\b{name}( of)? \d", text), (name, text)
            if target.get("tool") == "schedule_tire_change" and "tire_count" in target["arguments"]:
                n = target["arguments"]["tire_count"]
                counts.append(n)
                assert re.search(rf"\b({n}|{number_words(n)}) tires?\b", text), text
    assert set(counts) == {1, 2, 3, 4}  # "1 tire", never "a tire": "a tire rotation" is no count


def test_values_follow_pattern_format_and_bounds(home, dining):
    for ds, path in ((home, HOME), (dining, DINING)):
        cat = load_catalogue(path)
        for split in SPLITS:
            for _, target in _calls(ds, split):
                if target["tool"] == "no_tool":
                    continue
                props = raw_properties(cat[target["tool"]])
                for arg, value in target["arguments"].items():
                    schema = props[arg]
                    if "pattern" in schema:
                        assert re.search(schema["pattern"], value), (arg, value)
                    if arg == "time":
                        h, m = map(int, value.split(":"))
                        assert 0 <= h < 24 and 0 <= m < 60, value
                    if schema.get("format") == "date":
                        assert re.fullmatch(r"20\d\d-\d\d-\d\d", value), value
                    if "minimum" in schema:
                        assert schema["minimum"] <= value <= schema["maximum"], (arg, value)


def test_every_enum_value_and_optional_argument_is_said_and_omitted(home, dining):
    for ds, path in ((home, HOME), (dining, DINING)):
        cat = load_catalogue(path)
        said: dict = {}
        values: dict = {}
        for _, target in _calls(ds):
            if target["tool"] == "no_tool":
                continue
            for arg in cat[target["tool"]].properties:
                said.setdefault((target["tool"], arg), set()).add(arg in target["arguments"])
            for arg, v in target["arguments"].items():
                values.setdefault((target["tool"], arg), set()).add(json.dumps(v))
        for tool in cat:
            for arg, schema in tool.properties.items():
                if arg not in tool.required:
                    assert said[(tool.name, arg)] == {True, False}, (tool.name, arg)
                if "enum" in schema:
                    assert values[(tool.name, arg)] >= {json.dumps(v) for v in schema["enum"]}, (tool.name, arg)


def test_no_tool_share_and_negative_kinds(home):
    for split in SPLITS:
        rows = home.splits[split]
        share = sum(json.loads(r["messages"][2]["content"])["tool"] == "no_tool" for r in rows) / len(rows)
        assert 0.10 <= share <= 0.20
    kinds = {r["meta"]["kind"] for r in home.splits["train"]}
    assert {"no_tool:greeting", "no_tool:out_of_scope", "no_tool:missing_argument", "no_tool:near_miss"} <= kinds
    reasons = {json.loads(r["messages"][2]["content"]).get("reason") for r in home.splits["train"]}
    assert "out of scope: weather" not in reasons  # home_assistant does weather
    assert "not supported: cancel alarm" in reasons


def test_same_seed_same_bytes_other_seed_other_rows(tmp_path):
    a = write_dataset(build_dataset(DINING, n=300, seed=3), tmp_path / "a")
    b = write_dataset(build_dataset(DINING, n=300, seed=3), tmp_path / "b")
    c = write_dataset(build_dataset(DINING, n=300, seed=4), tmp_path / "c")
    for name in ("train.jsonl", "val.jsonl", "test.jsonl"):
        assert (a / name).read_bytes() == (b / name).read_bytes()
        assert (a / name).read_bytes() != (c / name).read_bytes()


def test_a_build_is_the_same_bytes_in_another_process(tmp_path):
    """Byte-identical across processes, whatever their string hashing: value pools come from Faker, and a
    locale list built from a set (Faker's it_IT cities) once made each process draw other cities."""
    import subprocess
    import sys

    code = ("import sys; from toolrouter.data.pipeline import build_dataset, write_dataset; "
            "write_dataset(build_dataset(sys.argv[1], n=300, seed=3), sys.argv[2])")
    for hashseed in ("1", "2"):
        subprocess.run([sys.executable, "-c", code, DINING, str(tmp_path / hashseed)], check=True,
                       env={**os.environ, "PYTHONHASHSEED": hashseed})
    for name in ("train.jsonl", "val.jsonl", "test.jsonl"):
        assert (tmp_path / "1" / name).read_bytes() == (tmp_path / "2" / name).read_bytes()


# --- synonyms and example requests -------------------------------------------------------------------

class OrderCab(Tool):
    """Order a taxi from one place to another."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        "get me a cab from the Ritz to the opera",
        {"request": "I need a big car to the airport from home", "arguments": {"pickup": "home",
                                                                             "destination": "the airport",
                                                                             "car_type": "xl"}}]})
    pickup: str = Field(description="Where to be picked up.")
    destination: str = Field(description="Where to go.")
    car_type: Optional[Literal["standard", "xl"]] = Field(
        default=None, description="Car size.", json_schema_extra={"synonyms": {"xl": ["a big car", "a van"]}})


def test_declared_synonyms_say_the_right_value():
    cat = Catalogue([spec_from_model(OrderCab)], name="cab")
    ds = build_dataset(cat, n=600, seed=0)
    hits = 0
    for text, target in _calls(ds):
        if "a van" in text.lower() or "a big car" in text.lower():
            assert target["arguments"].get("car_type") == "xl", text
            hits += 1
    assert hits > 5


def test_everyday_words_say_common_enum_values_and_never_a_siblings():
    """A report of "air_conditioning" is also "the ac" / "air con", a "heating" one "the heater"
    (data/everyday.yaml); a word two values of one enum could mean says neither, a declared synonym replaces
    the table's, and no everyday form opens with an article (it fills the value's slot: "the {problem}")."""
    from toolrouter.data.values import COMMON_SYNONYMS, enum_forms

    forms = enum_forms(["air_conditioning", "heating", "wifi", "tv"])
    assert {"ac", "air con"} <= set(forms["air_conditioning"]) and "heater" in forms["heating"]
    assert {"internet", "wi-fi"} <= set(forms["wifi"]) and "television" in forms["tv"]
    # the value's own words are said twice, so still the most often said form
    assert forms["heating"][:2] == ["heating", "heating"]
    # "internet" is wifi's everyday word and a value of its own here: it says only itself
    forms = enum_forms(["wifi", "internet"])
    assert "internet" not in forms["wifi"] and "wifi" not in forms["internet"]
    assert enum_forms(["tv"], {"tv": ["the telly"]})["tv"] == ["tv", "the telly"]
    assert all(k == k.lower() and "_" not in k for k in COMMON_SYNONYMS)
    assert not [f for v in COMMON_SYNONYMS.values() for f in v if re.match(r"(a|an|the|my) ", f)]


def test_example_requests_become_templates():
    spec = spec_from_model(OrderCab)
    raw = raw_properties(spec)
    kinds = {a: arg_kind(a, s) for a, s in raw.items()}
    learned = learned_templates(spec, raw, kinds)
    # string example: places found by their prepositions; dict example: values located, optional in [...]
    assert "get me a cab from {pickup} to {destination}" in learned
    assert "i need {car_type} to {destination} from {pickup}" in learned, learned
    assert set(learned) <= set(tool_templates(spec))


def test_the_users_example_requests_are_a_fifth_of_a_tools_requests_and_never_held_out(tmp_path):
    """One learned template among ~50 drafted ones said the way the user asks in 2 % of a tool's rows
    (auto_care: "how much to ... on a ..." 59 of 2,550 quotes). The draft writes them under `examples`, a
    fifth of the tool's training requests say them, and none is kept for the test split alone."""
    from toolrouter.data.draft import draft_tool
    from toolrouter.data.pipeline import EXAMPLE_SHARE

    spec = spec_from_model(OrderCab)
    drafted = draft_tool(spec)
    assert "get me a cab from {pickup} to {destination}" in drafted["examples"]
    assert not set(drafted["examples"]) & set(drafted["templates"])
    ds = build_dataset(Catalogue([OrderCab]), n=2000, seed=0)
    said = [text.lower() for text, target in _calls(ds) if target.get("tool") == "order_cab"]
    before = re.compile("^(" + "|".join(re.escape(a.lower()) for a in ASIDES) + r")(, |\. |; | - |\.\.\. )")
    said = [before.sub("", t) for t in said]  # an aside before the ask (ASIDES)
    learned = sum(bool(re.match(r"(get me a cab from .+ to |i need .+ to .+ from )", t)) for t in said)
    assert EXAMPLE_SHARE - 0.05 < learned / len(said) < EXAMPLE_SHARE + 0.1, (learned, len(said))
    bank = _Compiled(Catalogue([OrderCab]), None, "generic")
    assert any(t.example for t in bank.tools["order_cab"])
    # a hand-written bank may list its own example templates; they load and compile like the draft's
    path = tmp_path / "cab.bank.yaml"
    path.write_text(draft_yaml(Catalogue([OrderCab])))
    assert read_bank(path).tools["order_cab"].examples == drafted["examples"]


def test_a_problem_summary_in_an_example_is_the_rest_of_the_request():
    """"my monitor keeps flickering": the device is found by its word, the problem is what follows it (the
    example was skipped: "keeps flickering" is none of the field's examples)."""
    spec = load_catalogue(str(ASSETS / "workplace.py"))["report_it_issue"]
    raw = raw_properties(spec)
    assert learned_templates(spec, raw, {a: arg_kind(a, s) for a, s in raw.items()}) == ["my {device} {problem}"]


def test_an_example_finds_an_enum_by_every_word_the_data_says_it_with():
    """"how do I get to the Louvre on foot": "on foot" is walking (a common synonym the data says), so the
    example teaches "{destination} {mode}", not "on foot" as words that set no mode."""
    spec = load_catalogue(str(ASSETS / "travel.py"))["get_directions"]
    raw = raw_properties(spec)
    assert learned_templates(spec, raw, {a: arg_kind(a, s) for a, s in raw.items()}) == [
        "how do I get to {destination} {mode}"]


def test_nouns_in_ies_and_questions_about_information_a_tool_gives():
    """"activities" is "activity" (it was "change my activitie"), "movies" is "movie"; a question about the
    information a tool gives ("what are the rules for visa requirements?") is no negative: it is what the tool
    answers, and such negatives taught the router that "visa requirements for India" asks no tool."""
    from toolrouter.data.draft import negative_groups
    from toolrouter.data.values import plural, singular

    assert singular("activities") == "activity" and singular("movies") == "movie" and singular("bags") == "bag"
    assert plural("activity") == "activities" and plural("day") == "days" and plural("box") == "boxes"
    groups = negative_groups(load_catalogue(str(ASSETS / "travel.py")))
    asked = {g["reason"] for g in groups["domain_question"]}
    # (and none about what a tool searches for: find_activities, search_hotels)
    assert "question no tool answers: train" in asked and not any("activit" in r or "hotel" in r for r in asked)
    assert not any("requirement" in r or "direction" in r for r in asked)
    said = " ".join(t for g in groups["near_miss"] + groups["domain_question"] for t in g["templates"])
    assert "activitie " not in said and "activitys" not in said


def test_a_tool_is_also_asked_as_a_terse_list_of_its_values():
    """"new expense, 15 bucks, meals, Pret": people fill a request in like a form; free text goes last and an
    optional value never opens the list. Three such frames a tool, not more."""
    workplace = load_catalogue(str(ASSETS / "workplace.py"))
    expense = tool_templates(workplace["submit_expense"])
    assert "expense: {amount}, {category}[, {merchant}]" in expense
    assert "expense, {category}[, {merchant}], {amount}" in expense
    assert sum(bool(re.search(r"(?::|,) \{", t)) for t in expense) == 3
    assert "it issue: {device}, {problem}" in tool_templates(workplace["report_it_issue"])
    assert not any(": {" in t for t in tool_templates(workplace["check_payslip"]))  # one required value: no list


def test_sample_call_is_the_seam_for_other_sources():
    cat = load_catalogue(HOME)
    rng = random.Random(0)
    for _ in range(50):
        tool, args = sample_call(cat, rng)
        assert parse_tool_call(json.dumps({"tool": tool, "arguments": args}), cat).kind == "call"
    tool, args = sample_call(cat, random.Random(1), tool="set_alarm")
    assert tool == "set_alarm" and re.fullmatch(r"\d\d:\d\d", args["time"])
    assert sample_call(cat, random.Random(7)) == sample_call(cat, random.Random(7))
    kind, reason = sample_negative(cat, random.Random(0))
    assert kind in ("greeting", "out_of_scope", "missing_argument", "near_miss") and reason


# --- toolrouter bank draft ------------------------------------------------------------------------------

def test_bank_draft_loads_back_and_makes_the_generic_data(tmp_path, capsys):
    out = tmp_path / "home_assistant.bank.yaml"
    assert bank_main(["draft", HOME, "--out", str(out)]) == 0
    assert "5 tools" in capsys.readouterr().out
    spec = read_bank(out)
    assert set(spec.tools) == set(load_catalogue(HOME).names)
    # the draft beside a copy of the catalogue gives the same rows as the generic path
    for name in ("home_assistant.py", "home_assistant.jsonl"):  # the gold set beside it decontaminates both
        (tmp_path / name).write_text((ASSETS / name).read_text())
    drafted = build_dataset(str(tmp_path / "home_assistant.py"), n=400, seed=2)
    generic = build_dataset(HOME, n=400, seed=2)
    assert drafted.report["bank"] == "home_assistant.bank.yaml"
    assert drafted.splits == generic.splits


def test_bank_draft_refuses_to_overwrite(tmp_path, capsys):
    from toolrouter.core.schema import run_cli

    out = tmp_path / "mine.bank.yaml"
    out.write_text("my edits\n")
    assert run_cli(bank_main, ["draft", HOME, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert str(out) in err and "already exists" in err
    assert out.read_text() == "my edits\n"


def test_bank_draft_prints_valid_yaml(capsys):
    import yaml

    assert bank_main(["draft", DINING]) == 0
    text = capsys.readouterr().out
    data = yaml.safe_load(text)
    assert "book_taxi" in data["tools"] and data["negatives"]["near_miss"]
    assert text == draft_yaml(load_catalogue(DINING))
    _Compiled(load_catalogue(DINING), read_bank_text(text), "stdout")


def read_bank_text(text):
    from toolrouter.data.bank import BankSpec
    import yaml

    return BankSpec.model_validate(yaml.safe_load(text))


def test_a_gold_set_beside_the_catalogue_is_never_generated(home):
    from toolrouter.data.pipeline import _norm

    assert home.report["decontaminated_against"] == "home_assistant.jsonl"
    gold = {_norm(json.loads(line)["prompt"]) for line in (ASSETS / "home_assistant.jsonl").read_text().splitlines()}
    generated = {_norm(r["messages"][1]["content"]) for rows in home.splits.values() for r in rows}
    assert not gold & generated
    # without the file beside it, the short generic asks ("hi", "tell me a joke") do come up
    cat = load_catalogue(HOME)
    bare = build_dataset(Catalogue(list(cat), name=cat.name, source="memory"), n=3000, seed=0)
    assert gold & {_norm(r["messages"][1]["content"]) for rows in bare.splits.values() for r in rows}


def test_near_misses_never_use_an_action_a_tool_does():
    from toolrouter.data.draft import negative_groups

    tools = [{"type": "function", "function": {"name": "book_room", "description": "Book a hotel room.",
              "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}},
             {"type": "function", "function": {"name": "update_booking", "description": "Update a booking.",
              "parameters": {"type": "object", "properties": {}}}}]
    from toolrouter.core.catalogue import catalogue_from_openai

    groups = negative_groups(catalogue_from_openai(tools, "test"))["near_miss"]
    reasons = {g["reason"] for g in groups}
    assert "not supported: cancel room" in reasons
    assert not any(v in r for r in reasons for v in ("update", "change", "edit", "rename", "reschedule"))


def test_cli_bank_draft(tmp_path, capsys):
    from toolrouter.cli import main as cli

    out = tmp_path / "d.bank.yaml"
    assert cli(["bank", "draft", DINING, "--out", str(out)]) == 0
    assert read_bank(out).tools["book_table"].templates
    assert cli(["bank", "draft", str(tmp_path / "nope.py")]) == 2
    assert "nope.py" in capsys.readouterr().err


def test_every_argument_kind_gets_values():
    """One tool with an argument of every kind the providers know: the build verifies every target."""
    props = {"invoice_id": {"type": "string"}, "email": {"type": "string"}, "website": {"type": "string"},
             "phone": {"type": "string"}, "country": {"type": "string"}, "company": {"type": "string"},
             "product": {"type": "string"}, "query": {"type": "string"}, "title": {"type": "string"},
             "note": {"type": "string"}, "address": {"type": "string"}, "when": {"type": "string", "format": "date-time"},
             "session": {"type": "string", "format": "uuid"}, "anything": {"type": "string"},
             "seats": {"type": "integer", "minimum": 1, "maximum": 9}, "price": {"type": "number"}}
    from toolrouter.core.catalogue import catalogue_from_openai

    cat = catalogue_from_openai([{"type": "function", "function": {
        "name": "do_everything", "description": "Do everything at once.",
        "parameters": {"type": "object", "properties": props, "required": list(props)}}}], "test")
    ds = build_dataset(cat, n=200, seed=0)
    calls = [t for _, t in _calls(ds) if t["tool"] == "do_everything"]
    assert calls and all(set(t["arguments"]) == set(props) for t in calls)
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:00", t["arguments"]["when"]) for t in calls)


def test_lists_of_strings_draw_from_a_provider():
    from toolrouter.core.catalogue import catalogue_from_openai

    cat = catalogue_from_openai([{"type": "function", "function": {
        "name": "invite", "description": "Invite people to a meeting.",
        "parameters": {"type": "object", "properties": {
            "attendees": {"type": "array", "items": {"type": "string"}, "description": "People to invite."}},
            "required": ["attendees"]}}}], "test")
    ds = build_dataset(cat, n=200, seed=0)
    people = {p for _, t in _calls(ds) if t["tool"] == "invite" for p in t["arguments"]["attendees"]}
    assert len(people) > 30 and not people & {"blue", "project alpha", "the usual"}  # not the old word list


def test_enum_values_are_said_bare_with_their_name_and_with_the_description_noun(dining):
    """"thai", "thai cuisine" and "thai food" (cuisine: "Type of food."); "a luxury car" names the taxi
    (car_type: "Size or class of the car."); "cheap" and "cheap price range" (price_range: "Budget.")."""
    from toolrouter.data.draft import arg_phrases, head_noun

    cat = load_catalogue(DINING)
    find, taxi = cat.get("find_restaurants"), cat.get("book_taxi")
    cuisine, price, car = (raw_properties(find)["cuisine"], raw_properties(find)["price_range"],
                           raw_properties(taxi)["car_type"])
    assert (head_noun(cuisine), head_noun(price), head_noun(car)) == ("food", None, "car")
    assert arg_phrases("cuisine", cuisine, "enum") == ["{cuisine}", "{cuisine} cuisine", "{cuisine} food"]
    assert arg_phrases("price_range", price, "enum") == ["{price_range}", "{price_range} price range"]
    requests = [r.lower() for r, t in _calls(dining) if t["tool"] in ("find_restaurants", "book_taxi")]
    for said in (r"\b(?:italian|japanese|mexican|indian|chinese|thai|french|vegetarian) food\b",
                 r"\ba (?:standard|xl|luxury) car\b", r"\b(?:cheap|moderate|expensive) price range\b"):
        assert any(re.search(said, r) for r in requests), said
    bare = [r for r, t in _calls(dining) if t["tool"] == "find_restaurants" and "price_range" in t["arguments"]
            and not re.search(r"price range|food|cuisine", r.lower())]
    assert bare  # values said bare too: "cheap chinese restaurants in Toronto"


def test_filler_words_are_unknown_to_the_bank_and_never_stand_next_to_a_value(tmp_path):
    """A bank with `filler: 0.3` (here the dining draft saved with it): that share of requests gets common
    words no template says ("will it *snow* in Denver"); the words around a value stay the template's, so
    the phrase that says which argument a value is ("in", "from", "to") is never split off it."""
    import yaml

    from toolrouter.data.bank import BankSpec
    from toolrouter.data.draft import draft_bank
    from toolrouter.data.pipeline import _NOT_FILLER, _literal_words, filler_words

    cat = load_catalogue(DINING)
    (tmp_path / "dining.py").write_text(Path(DINING).read_text())
    (tmp_path / "dining.bank.yaml").write_text(yaml.safe_dump({"filler": 0.3, **draft_bank(cat)}))
    bank = _Compiled(cat, BankSpec.model_validate({"filler": 0.3, **draft_bank(cat)}), "dining")
    words = set(filler_words(cat, bank))
    assert len(words) > 500
    templates = [t for ts in [*bank.tools.values(), *bank.negatives.values()] for t in ts]
    said = set().union(*(_literal_words(t.seq) for t in templates))
    assert not words & said and not words & _NOT_FILLER
    assert not words & set(re.findall(r"[a-z']+", json.dumps(cat.to_openai()).lower()))
    assert {t.filler for t in templates if t.decorate} == {0.3}
    rows = list(_calls(build_dataset(str(tmp_path / "dining.py"), n=3000, seed=0)))

    def outside_values(request, target):  # a value's own words ("the Garden Kitchen") are not filler
        text = request.lower()
        for v in sorted((str(v) for v in target.get("arguments", {}).values()), key=len, reverse=True):
            text = text.replace(v.lower(), " ")
        return set(re.findall(r"[a-z']+", text))

    with_filler = [r for r, t in rows if words & outside_values(r, t)]
    assert 0.15 * len(rows) < len(with_filler) < 0.45 * len(rows)

    def typo_of_said(w):  # pipeline._typo swaps, drops or doubles one letter: "from" -> "form"
        return any(sorted(w) == sorted(t) or any(w[:k] + w[k + 1:] == t or t[:k] + t[k + 1:] == w
                                                  for k in range(len(w))) for t in said if abs(len(t) - len(w)) <= 1)

    words = {w for w in words if not typo_of_said(w)}
    checked = 0
    for request, target in rows:
        text = request.lower()
        values = [v for v in target.get("arguments", {}).values() if isinstance(v, str) and v.lower() in text]
        for value in sorted(values, key=len, reverse=True):
            text = text.replace(value.lower(), " <v> ")
        tokens = re.findall(r"<v>|,|[a-z']+", text)
        for i, tok in enumerate(tokens):
            if tok == "<v>":
                checked += 1
                if (i and tokens[i - 1] in words) or (i + 1 < len(tokens) and tokens[i + 1] in words):
                    raise AssertionError(f"filler next to a value: {request!r}")
    assert checked > 1000


def test_filler_is_off_unless_a_bank_asks():
    """No filler by default, drafted or hand-written (built-in data unchanged); `filler:` is a share."""
    from toolrouter.data.bank import BankSpec, bank_path

    for cat in (load_catalogue("support_router"), load_catalogue(DINING)):
        path = bank_path(cat)
        bank = _Compiled(cat, read_bank(path) if path else None, str(path))
        assert {t.filler for ts in [*bank.tools.values(), *bank.negatives.values()] for t in ts} == {0.0}
    assert BankSpec.model_validate({"filler": 0.5}).filler == 0.5
    with pytest.raises(ValueError, match="filler"):
        BankSpec.model_validate({"filler": 1.5})


def test_asides_hold_no_value_and_come_around_a_quarter_of_drafted_requests(tmp_path):
    """Natural requests carry clauses that say nothing to the router ("it's been a long day", "my friend
    recommended this"). A drafted bank says one (bank.ASIDES) before or after a quarter of its requests,
    calls and negatives alike, with the answer unchanged; an aside holds no value of any kind (no digit,
    day, time, quantity, urgency or negation word). Hand-written banks get none unless they ask
    (`aside_share`), so built-in data stays as it was; `asides:` lists a bank's own."""
    from toolrouter.data.bank import ASIDE_SHARE, BankSpec, bank_path

    forbidden = re.compile(r"\d|\b(not|no|never|n't|now|late|later|soon|asap|urgent|again|every|all|both|today|"
                           r"tomorrow|tonight|morning|evening|night|week|weekend|two|three|couple|few|home|here|"
                           r"there|instead|cancel|stop|change)\b", re.I)
    assert len(ASIDES) > 80 and len(set(ASIDES)) == len(ASIDES)
    assert not [a for a in ASIDES if forbidden.search(a.replace("n't", " n't"))]
    ds = build_dataset(Catalogue([OrderCab]), n=2000, seed=0)
    lowered = [a.lower() for a in ASIDES]
    calls = negatives = 0
    for request, target in _calls(ds):
        text = request.lower()
        said = [a for a in lowered if re.search(r"(^|[,.;(-] )" + re.escape(a) + r"($|[,.;)?!]|\.\.\. | - )", text)]
        if not said:
            continue
        values = [str(v).lower() for v in target.get("arguments", {}).values()]
        assert not any(a in v for a in said for v in values), request  # an aside is never inside a value
        calls += target["tool"] != "no_tool"
        negatives += target["tool"] == "no_tool"
    rows = len(ds.splits["train"])
    assert 0.6 * ASIDE_SHARE < (calls + negatives) / rows < 1.2 * ASIDE_SHARE, (calls, negatives, rows)
    assert negatives > 20
    for cat in (load_catalogue("support_router"), load_catalogue("car_control")):  # hand-written banks: none
        bank = _Compiled(cat, read_bank(bank_path(cat)), cat.name)
        assert {t.aside for ts in [*bank.tools.values(), *bank.negatives.values()] for t in ts} == {0.0}
    # a bank's own: every decorated request of the catalogue beside it says one
    import yaml

    (tmp_path / "cab.py").write_text(
        "from pydantic import Field\nfrom toolrouter import Tool\n\n\nclass OrderCab(Tool):\n"
        "    \"\"\"Order a taxi to a place.\"\"\"\n    destination: str = Field(description=\"Where to go.\")\n\n\n"
        "CATALOGUE = [OrderCab]\n")
    drafted = yaml.safe_load(draft_yaml(load_catalogue(str(tmp_path / "cab.py"))))
    assert drafted["aside_share"] == ASIDE_SHARE  # a saved draft keeps its asides
    drafted.update(aside_share=1.0, asides=["my brakes have been squeaking"])
    (tmp_path / "cab.bank.yaml").write_text(yaml.safe_dump(drafted))
    rows = list(_calls(build_dataset(str(tmp_path / "cab.py"), n=200, seed=0)))
    assert all("squeaking" in r.lower() for r, t in rows if t["tool"] == "order_cab")
    with pytest.raises(ValueError, match="aside_share"):
        BankSpec.model_validate({"aside_share": 2})


def test_a_plural_noun_ending_in_us_stays_whole():
    from toolrouter.data.draft import _singular

    assert [_singular(w) for w in ("flights", "status", "bus", "class", "analysis", "alarms")] == [
        "flight", "status", "bus", "class", "analysis", "alarm"]


def test_titles_summaries_and_currencies_are_said_as_people_say_them(tmp_path):
    """A catalogue with a meeting title, an email subject, a problem summary and ISO currency codes under a
    pattern (tests/assets/natural/office_tools.py): titles of several words after "titled"/"about"/"subject:",
    summaries as problems ("the VPN keeps crashing"), real currency codes (upper-case in every target, as
    the pattern says, even in a request typed in lower case), from_/to_ arguments said "from"/"to", amounts
    bare; no schema echo ("from currency XYZ", "amount 5"). Copying keeps an email to the spans shaped like one."""
    from faker.providers.currency import Provider as Currencies

    from toolrouter.formats.copy import copied_fields, copy_catalogue

    office = str(ASSETS / "office_tools.py")
    rows = list(_calls(build_dataset(office, n=3000, seed=0)))
    codes = {code for code, _ in Currencies.currencies}
    money = [(r, t["arguments"]) for r, t in rows if t["tool"] == "convert_currency"]
    assert len(money) > 200
    for request, args in money:
        assert args["from_currency"] in codes and args["to_currency"] in codes
        assert args["from_currency"].lower() in request.lower() and args["to_currency"].lower() in request.lower()
        assert not re.search(r"(?i)\b(from|to) currency\b|\bamount (of )?\d", request), request
    assert any(a["from_currency"].lower() in r and a["from_currency"] not in r for r, a in money)  # typed lower
    assert sum(bool(re.search(r"(?i)\bfrom " + re.escape(a["from_currency"]), r)) for r, a in money) > len(money) / 4
    # said as people say money, without the object: "convert 250 GBP to JPY", "how much is 1000 CHF in CAD?";
    # amounts of money up to thousands; "an amount of money" only ever in the schema
    bare = [r for r, a in money if re.search(rf"(?i)\b{a['amount']:g} {a['from_currency']}\b", r)]
    assert len(bare) > len(money) / 5 and any(r.lower().startswith("how much is") for r in bare)
    assert sum(a["amount"] > 100 for _, a in money) > len(money) / 2
    assert not any("amount of money" in r.lower() for r, _ in money)
    titles = [a["title"] for _, t in rows if t["tool"] == "schedule_meeting" for a in [t["arguments"]]]
    assert sum(len(t.split()) for t in titles) / len(titles) > 2
    subjects = [r for r, t in rows if t["tool"] == "send_email"]
    assert not any(re.search(r"(?i)\bsend (to|at|called|titled|about|subject)\b", r) for r in subjects)  # "send" takes its object
    assert sum(bool(re.search(r"(?i)\b(schedule|book) (the )?" + re.escape(a["title"]), r))
               for r, t in rows if t["tool"] == "schedule_meeting" for a in [t["arguments"]]) > 20  # the title as object
    assert any(re.search(r"(?i)\bsubject: ", r) for r in subjects) and any(" titled " in r.lower() for r in subjects)
    summaries = [(r, t["arguments"]["summary"]) for r, t in rows if t["tool"] == "create_ticket"]
    assert sum(bool(re.search(r"(?i)\b(is down|is slow|keeps crashing|times out)$", s)) for _, s in summaries) > 50
    assert not any(" :" in r for r, _ in summaries)
    cat = load_catalogue(office)
    assert copied_fields(cat)["send_email"]["to"] == "format:email"
    assert copied_fields(cat)["convert_currency"]["from_currency"] == "pattern"
    copied = copy_catalogue(cat, ["email jane.doe@example.com with the subject Invoice 4471"])
    assert copied["send_email"].properties["to"]["enum"] == ["jane.doe@example.com"]
    # a run's snapshot has no `format`, but its catalogue.bank.yaml (the draft, written by training) says
    # the address is drawn as an email: copied the same way
    from toolrouter.train.trainer import run_bank

    run = tmp_path / "run"
    run.mkdir()
    (run / "catalogue.json").write_text(json.dumps(cat.to_openai()))
    (run / "catalogue.bank.yaml").write_text(run_bank(cat))
    snapshot = load_catalogue(run / "catalogue.json")
    assert "format" not in snapshot["send_email"].properties["to"]
    assert copied_fields(snapshot) == copied_fields(cat)



def test_a_polar_twin_turns_over_the_choice_not_a_word_inside_a_copied_value():
    """The contrastive twin of a request turns its polar choice over ("low" -> "high" priority). Where the
    choice's word also stands inside another argument's copied value (the summary "low disk space
    warning"), the twin turns over the choice's own occurrence and the value stays a span. (A 20,000-row
    office_tools build drew such a request and stopped on it: the twin's summary was no span.)"""
    from toolrouter.data.bank import _Compiled
    from toolrouter.data.pipeline import _Builder

    cat = load_catalogue(str(ASSETS / "office_tools.py"))
    builder = _Builder(cat, _Compiled(cat, None, "generic"), "compact", robust=False)
    tpl = next(t for t in builder.bank.tools["create_ticket"] if "priority" in t.samplers)
    builder.polar = ("priority", "", "low", "high")
    args = {"summary": "low disk space warning", "priority": "low"}
    twin = builder.contrastive_twin(tpl, "open a ticket: low disk space warning, low priority", args, random.Random(0))
    assert twin == ("open a ticket: low disk space warning, high priority", {**args, "priority": "high"})
    # no occurrence of its own: no twin
    assert builder.contrastive_twin(tpl, "open a ticket: low disk space warning", args, random.Random(0)) is None


def test_every_drafted_call_says_its_required_arguments():
    """Each drafted call template of every natural catalogue says every required argument (a frame that
    put a required enum before an object it does not name lost it, and the build stopped on a target
    that did not verify: household's translate_text); a message's verb ("text ...") is drafted only for
    a tool with a recipient, so "translate_text" gets no "text saying ..."."""
    from toolrouter.data.draft import draft_bank

    for name in ("household", "office_tools", "dining_travel", "home_assistant"):
        cat = load_catalogue(str(ASSETS / f"{name}.py"))
        for tool, drafted in draft_bank(cat)["tools"].items():
            for template in drafted["templates"]:
                for arg in cat[tool].required:
                    assert re.search(r"\{" + arg + r"[:}]", template), (name, tool, template)
    household = draft_bank(load_catalogue(str(ASSETS / "household.py")))["tools"]
    assert not any(re.match(r"(please |can you )?text\b", t) for t in household["translate_text"]["templates"])
    assert any(re.match(r"text\b", t) for t in draft_bank(load_catalogue(str(ASSETS / "home_assistant.py")))
               ["tools"]["send_text"]["templates"])


def test_an_argument_that_is_the_object_is_said_in_its_place():
    """A tool whose description's object is a placeholder for an argument ("Add an item to the shopping
    list" with `item`, "Translate a piece of text" with `text`) or whose argument is described as what
    the verb acts on ("Song, artist or playlist to play.") is asked with the value in the object's place:
    "add 6 eggs to the shopping list", "translate good morning into spanish", "play Daft Punk"; the
    placeholder is never said in a call ("add an item to the shopping list for milk"). A language said
    with "into" does not qualify the object ("a spanish piece of text")."""
    from toolrouter.data.draft import draft_bank

    tools = draft_bank(load_catalogue(str(ASSETS / "household.py")))["tools"]
    shop, play, tr = (tools[t]["templates"] for t in ("add_to_shopping_list", "play_music", "translate_text"))
    assert "(add|put|create) [{quantity}] {item} to (the|my) shopping list" in shop
    assert not any("an item" in t for t in shop)
    assert any(t.startswith("(play|put on) {query}") for t in play) and not any("for {query}" in t for t in play)
    assert "translate {text} (to {target_language}|into {target_language})" in tr
    assert not any("piece of text" in t or "{target_language} text" in t for t in tr)


class _Transfer(Tool):
    """Send money to a person or another account."""

    model_config = ConfigDict(json_schema_extra={"examples": ["send 50 dollars to Anna for pizza"]})
    recipient: str = Field(description="Person or account that receives the money.")
    amount: float = Field(gt=0, le=10000, description="Amount to send, in dollars.")
    note: Optional[str] = Field(default=None, description="Short note that goes with the payment.")


class _PayBill(Tool):
    """Pay a bill to a company."""

    model_config = ConfigDict(json_schema_extra={"examples": ["pay the electric bill, 84.50 to PG&E"]})
    payee: str = Field(description="Company the bill is from.")
    amount: float = Field(gt=0, description="Amount to pay, in dollars.")


class _Balance(Tool):
    """Check how much money is in an account."""

    account: Optional[Literal["checking", "savings"]] = Field(default=None, description="Which account.")


class _FreezeCard(Tool):
    """Freeze a card so nobody can use it."""

    card: Literal["debit", "credit"] = Field(description="Which card to freeze.")


class _SetBudgetAlert(Tool):
    """Get an alert when monthly spending in a category goes over a limit."""

    category: Literal["groceries", "travel"] = Field(description="Spending category to watch.")
    limit: int = Field(ge=10, le=10000, description="Monthly limit in dollars.")


class _Atm(Tool):
    """Find ATMs near a place."""

    near: str = Field(description="Address, street or neighbourhood to search around.")


def _templates(model):
    return tool_templates(spec_from_model(model))


def test_a_descriptions_placeholders_and_clauses_say_the_arguments():
    """What the description says around its placeholders is how requests say the arguments: "Pay a bill
    to a company" -> "to {payee}" (never "payee {payee}"), "Find ATMs near a place" -> "near {near}";
    a name that says nothing takes its kind from the description's first noun (payee: company, near:
    place); a company names the object's kind ("pay the Comcast bill"); a "when" clause is said with its
    arguments ("alert me when monthly spending in groceries goes over $400") and a made thing is not asked
    for ("tell me an alert"); a wh-clause is asked as the question ("how much money is in my savings
    account?"); an object stops at "so" ("freeze a card", not "a card so nobody can use it")."""
    assert arg_kind("payee", {"type": "string", "description": "Company the bill is from."}) == "company"
    assert arg_kind("near", {"type": "string", "description": "Address, street or neighbourhood."}) == "place"
    pay = _templates(_PayBill)
    assert any("to {payee}" in t for t in pay) and not any("payee {payee}" in t for t in pay)
    assert "(pay|settle) (the|my) {payee} bill {amount}" in pay
    assert "pay the electric bill, {amount} to {payee}" in pay  # the example's "to" stays in the template
    assert any("near {near}" in t for t in _templates(_Atm))
    alert = _templates(_SetBudgetAlert)
    assert "alert me (when|if) monthly spending in {category} goes over {limit}" in alert
    assert not any(t.startswith(("tell me", "what's", "show me")) for t in alert)
    assert "how much money is in my [{account}] account?" in _templates(_Balance)
    freeze = _templates(_FreezeCard)
    assert any(t.startswith(("(freeze|lock|block) a {card} card", "(freeze|lock|block) (a {card} card")) for t in freeze)
    assert not any("nobody" in t for t in freeze)


def test_money_is_said_as_the_object():
    """A tool that sends money, with its amount in dollars, is asked with the amount in the object's place
    and the recipient before it too ("send $50 to Anna", "give Carlos 30 dollars"); the name's own verb
    joins the description's ("transfer"); dollars are said "$50" and "50 bucks"; a payment's note says what
    it is for ("for pizza", from a purpose list, not a message sentence), and an example's trailing note
    keeps its "for"."""
    from toolrouter.data.values import slot_values

    class TransferMoney(_Transfer):
        """Send money to a person or another account."""

    money = _templates(TransferMoney)
    assert not any("money" in t for t in money)
    assert any(re.search(r"\(send\|transfer\|move\) \{amount\} \(to \{recipient\}", t) for t in money)
    assert any(re.search(r"\(send\|transfer\|move\|give\|wire\) \{recipient\} \{amount\}", t) for t in money)
    assert "send {amount} to {recipient} [for {note}]" in money
    from toolrouter.data.draft import missing_groups  # the asks missing one argument say it so too

    one_missing = [t for g in missing_groups(spec_from_model(TransferMoney))[1:] for t in g["templates"]]
    assert one_missing and not any("money" in t for t in one_missing)
    assert any(re.fullmatch(r"\(send\|transfer\|move\) +\{amount\}", t) for t in one_missing)
    assert {"$50", "50 bucks", "50 dollars"} <= set(say_number(50, "dollar"))
    assert "$15.50" in say_number(15.5, "dollar")
    note = slot_values("transfer_money", "note", raw_properties(spec_from_model(TransferMoney))["note"])
    assert note["provider"] == "purpose"


def test_near_misses_undo_a_tools_verb():
    """The action that undoes a tool's verb is a near-miss no_tool ("unfreeze my debit card"), said with
    the tool's own enum values, unless a tool of the catalogue does it."""
    from toolrouter.data.draft import negative_groups

    class Unfreeze(Tool):
        """Unfreeze a card."""

        card: Literal["debit", "credit"] = Field(description="Which card.")

    def undo(*models):
        groups = negative_groups(Catalogue(list(models), name="t"))["near_miss"]
        return [t for g in groups if g["reason"].startswith("not supported: unfreeze") for t in g["templates"]]

    assert "unfreeze my debit card" in undo(_FreezeCard, _Atm)
    assert undo(_FreezeCard, Unfreeze) == []

    class TransferMoney(_Transfer):
        """Send money to a person or another account."""

    # only actions that fit the thing: nothing without a date or time is rescheduled, nothing without a
    # title renamed; money is a payment
    reasons = {g["reason"] for g in negative_groups(Catalogue([_FreezeCard, TransferMoney], name="t"))["near_miss"]}
    assert "not supported: cancel payment" in reasons and not any(r.endswith(" money") for r in reasons)
    assert not any(r.startswith(("not supported: reschedule", "not supported: rename")) for r in reasons)


def test_a_stores_tools_are_asked_the_way_people_ask_them():
    """The object's noun that names an argument ("Add a product to the shopping cart" with `product`) is
    said by its value ("add 2 yoga mats to the shopping cart"); a highest price is "under $80" (not "max
    price 80"); a search is also asked as a want ("i'm looking for running shoes"); "Find out where an
    order is" is asked "where is my order 482913?" and the name's verb joins ("track"); an enum described
    as what something "is about" is said "about billing", not as an adjective; the near-miss that undoes
    "add" says the field's own examples ("remove yoga mat from the shopping cart")."""
    from toolrouter.data.draft import negative_groups

    class SearchProducts(Tool):
        """Search the store for products."""

        query: str = Field(description="What to look for.")
        max_price: Optional[float] = Field(default=None, gt=0, description="Highest price in dollars.")

    class AddToCart(Tool):
        """Add a product to the shopping cart."""

        product: str = Field(description="Name of the product.", examples=["yoga mat"])
        quantity: Optional[int] = Field(default=None, ge=1, le=20, description="How many.")

    class TrackOrder(Tool):
        """Find out where an order is."""

        order_id: str = Field(pattern=r"^\d{6}$", description="Six-digit order number.")

    class ContactSupport(Tool):
        """Ask a human agent for help."""

        topic: Literal["billing", "shipping"] = Field(description="What the problem is about.")

    search = _templates(SearchProducts)
    assert "(search|find|look for) {query} [(under {max_price}|below {max_price}|for less than {max_price}|" \
           "up to {max_price})]" in search
    assert any(t.startswith("i'm looking for {query}") for t in search)
    assert not any("max price" in t for t in search)
    cart = _templates(AddToCart)
    assert "(add|put|create) [{quantity}] {product} to (the|my) shopping cart" in cart  # the user's own cart
    track = _templates(TrackOrder)
    assert "where is (my|the) order {order_id}?" in track and any(t.startswith("(find out|track)") for t in track)
    support = _templates(ContactSupport)
    assert any("about {topic}" in t for t in support) and not any("{topic} agent" in t for t in support)
    near = [t for g in negative_groups(Catalogue([AddToCart], name="t"))["near_miss"] for t in g["templates"]]
    assert "remove yoga mat from the shopping cart" in near


def test_a_number_named_by_a_plural_noun_counts_it():
    # "Number of glasses." / `glasses`: "3 glasses", "1 glass", "one glass"; never "a glass", which also names the
    # thing uncounted ("a tire rotation" was read as one tire); "Steps per day." counts steps, not days
    assert say_number(3, "glasses")[0] == "3 glasses"
    assert {"1 glass", "one glass"} <= set(say_number(1, "glasses")) and "a glass" not in say_number(1, "glasses")
    assert "an hour" in say_number(60, "minute") and "a ticket" in say_number(1, "ticket")  # units of measure keep it
    from toolrouter.data.values import unit_of
    assert unit_of("glasses", {"type": "integer", "description": "Number of glasses."}) == "glasses"
    assert unit_of("bag_count", {"type": "integer", "description": "Number of bags."}) == "bags"
    assert unit_of("steps", {"type": "integer", "description": "Steps per day."}) == "steps"
    assert unit_of("status", {"type": "integer"}) is None and unit_of("ratio", {"type": "number"}) is None
    # and the object it counts keeps what it is of: "log 3 glasses of water" (the old draft said
    # "log glasses 3" and left "water" to the negatives alone)
    health = load_catalogue(str(ASSETS / "health.py"))
    templates = tool_templates(health["log_water"])
    assert any("{glasses} of water" in t for t in templates)
    assert not any(re.search(r"glasses \{glasses\}", t) for t in templates)


def _user_rows(ds, word):
    rows = [r for r in ds.splits["train"] if re.search(rf"\b{word}\b", r["messages"][-2]["content"].lower())]
    return rows, [r for r in rows if '"no_tool"' not in r["messages"][-1]["content"]]


def test_my_and_it_are_said_in_calls_not_only_in_negatives():
    """A word people use in requests ("freeze my debit card", "add it to my cart") that the data puts only
    in negatives teaches the router that it means no_tool. Before this, rows with "my" were 17 % calls
    for health and "it" 0 % for every natural catalogue."""
    for name in ("health", "banking"):
        ds = build_dataset(str(ASSETS / f"{name}.py"), n=3000, seed=0)
        for word in ("my", "it"):
            rows, calls = _user_rows(ds, word)
            assert len(rows) > 50 and len(calls) / len(rows) > 0.6, (name, word, len(calls), len(rows))
    cards = tool_templates(load_catalogue(str(ASSETS / "banking.py"))["freeze_card"])
    assert any(re.search(r"\bmy \{card\} card\b", t) for t in cards)
    assert any(", (freeze it|lock it|block it)" in t for t in cards)
    # the user's own thing, not what is searched for: "find a pharmacy", never "find my pharmacy"
    assert not any("my pharmacy" in t for t in tool_templates(load_catalogue(str(ASSETS / "health.py"))["find_pharmacy"]))
    # a verb with a particle takes "it" before it: "put it on", not "put on it"
    music = tool_templates(load_catalogue(str(ASSETS / "household.py"))["play_music"])
    assert any("put it on" in t for t in music) and not any("put on it" in t for t in music)


def test_the_thing_acted_on_is_named_with_its_own_noun():
    # "add the movie Parasite to my watchlist": the old draft never said "movie" in a call
    watch = tool_templates(load_catalogue(str(ASSETS / "media.py"))["add_to_watchlist"])
    assert any("the movie {title}" in t for t in watch)


def test_an_enum_described_with_a_closing_preposition_is_said_with_it():
    # "Which animal the food is for.": "for the dog", never "dog animal"; "Order pet food to be delivered.":
    # the object is "pet food", its purpose clause is not said
    food = tool_templates(load_catalogue(str(ASSETS / "pets.py"))["order_pet_food"])
    assert any("for the {animal}" in t for t in food) and any("for my {animal}" in t for t in food)
    assert not any("{animal} animal" in t or "to be delivered" in t for t in food)


def test_the_data_report_names_words_whose_rows_are_mostly_no_tool():
    """cue_words: a gold-free check of what the data teaches a router about a word. Rows with "my" that are
    all near-misses ("cancel my card") while the calls say "a card" make "my" a sign of no_tool."""
    from toolrouter.data.pipeline import cue_words

    banking = load_catalogue(str(ASSETS / "banking.py"))
    row = lambda text, tool: {"messages": [{"role": "user", "content": text}], "meta": {"tool": tool}}  # noqa: E731
    rows = [row("cancel my card", "no_tool")] * 30 + [row("freeze a card", "freeze_card")] * 30
    assert cue_words(rows, banking) == [{"word": "my", "rows": 30, "call_share": 0.0}]  # "cancel": no tool's word
    water = [row("cancel my water", "no_tool")] * 25
    assert {"word": "water", "rows": 25, "call_share": 0.0, "tool": "log_water"} in cue_words(
        water, load_catalogue(str(ASSETS / "health.py")))  # a tool's own word, in negatives alone
    rows += [row("freeze my card", "freeze_card")] * 31  # now most rows with "my" are calls
    assert cue_words(rows, banking) == []
    # the drafted data of a catalogue says these words in its calls, and its report carries the check
    ds = build_dataset(str(ASSETS / "banking.py"), n=3000, seed=0)
    assert not {"my", "it", "the", "a"} & {c["word"] for c in ds.report["cue_words"]}


def test_a_name_whose_second_word_is_a_preposition_starts_with_a_verb():
    # cast_to_tv described as "Play a movie or show on a TV": people say "cast Top Gun to the basement TV"
    from toolrouter.data.draft import Phrase

    assert "cast" in Phrase(load_catalogue(str(ASSETS / "media.py"))["cast_to_tv"]).verbs


def test_near_misses_say_the_thing_by_its_value_too():
    """"cancel order 482913" and "remove Dune" were called: every near-miss said its thing with no value,
    so a value in a request read as a call. A near-miss group now says the tool's first required ID,
    title or product through the tool's own slot (GroupSpec.tool), and its first two required names,
    dates or times as the tool's calls say them ("change my grade in Biology 101"), never a bare place
    or person."""
    from toolrouter.data.draft import negative_groups

    shop = negative_groups(load_catalogue(str(ASSETS / "shop.py")))["near_miss"]
    assert any(g.get("tool") == "track_order" and "delete (my|the) order {order_id}" in g["templates"] for g in shop)
    banking = negative_groups(load_catalogue(str(ASSETS / "banking.py")))["near_miss"]
    # payee, recipient, near: never bare ("delete Cairo"), only after the thing's noun, as calls say them
    # ("cancel my payment to {recipient}"), and not for a search ("remove my atm near ...")
    slots = [t for g in banking for t in g["templates"] if "{" in t]
    assert slots and not any(re.match(r"(can you )?\w+ \{", t) for t in slots)
    assert any(re.fullmatch(r"cancel \(my\|the\) payment \(to \{recipient\}.*", t) for t in slots)
    assert not any("{near}" in t for t in slots)
    school = negative_groups(load_catalogue(str(ASSETS / "school.py")))["near_miss"]
    assert any(g.get("tool") == "check_grade" and "change (my|the) grade (in {course}|course {course}|for {course})"
               in g["templates"] for g in school)
    ds = build_dataset(str(ASSETS / "shop.py"), n=3000, seed=0)
    said = [r for r in ds.splits["train"] if r["meta"]["tool"] == "no_tool" and re.search(r"order \d{6}", r["messages"][-2]["content"].lower())]
    assert said and all('"no_tool"' in r["messages"][-1]["content"] for r in said)


def test_a_boolean_is_said_as_its_quality_not_its_name_and_yes_or_no():
    # "online_only" ("Only online classes."): "online" or "online only", false "not just online"; never the
    # old echo "online only online only yes" or "with online only"
    school = build_dataset(str(ASSETS / "school.py"), n=1500, seed=0)
    said = {True: 0, False: 0}
    for text, target in _calls(school):
        if target.get("tool") != "find_course":
            continue
        low = text.lower()
        assert not re.search(r"online only (online only|yes|no)\b|with(out)? online only", low), text
        value = target["arguments"].get("online_only")
        if value is not None:
            said[value] += 1
            assert ("not just online" in low) == (value is False), text
            assert "online" in low, text
    assert said[True] > 10 and said[False] > 5
    assert bool_forms("include_tax", {})[False] == ["without tax", "no tax"]
    assert bool_forms("urgent", {"synonyms": {"true": ["asap"]}})[True] == ["asap", "urgent"]


def test_the_name_of_a_pet_or_child_is_a_persons_name_not_a_label():
    assert arg_kind("pet_name", {"type": "string", "description": "The pet's name."}) == "person"
    assert arg_kind("child_name", {"type": "string", "description": "Name of the child."}) == "person"
    assert arg_kind("playlist_name", {"type": "string", "description": "Name of the playlist."}) == "label"
    vet = tool_templates(load_catalogue(str(ASSETS / "pets.py"))["book_vet"])
    assert any("for {pet_name}" in t for t in vet) and not any("called {pet_name}" in t for t in vet)


def test_someone_named_by_role_is_a_name_and_a_merchant_a_company_a_country_a_country():
    """A colleague's name, a professor, a pet are people said by name (drawn from names, never "mom");
    a surname is a surname; a merchant is a company said "at Staples"; a field described as a country is a
    country even when named "destination"; a starting point is where one comes from."""
    from toolrouter.data.draft import arg_phrases
    from toolrouter.data.values import provider_pool, slot_values

    s = lambda d: {"type": "string", "description": d}  # noqa: E731
    assert arg_kind("name", s("The colleague's name.")) == "person"
    assert arg_kind("professor", s("The professor's last name.")) == "person"
    assert slot_values("t", "name", s("The colleague's name."))["provider"] == "person_name"
    assert slot_values("t", "pet_name", s("The pet's name."))["provider"] == "person_name"
    assert slot_values("t", "professor", s("The professor's last name."))["provider"] == "surname"
    assert slot_values("t", "to", s("Contact name or phone number."))["provider"] == "person"  # "text mom"
    names = provider_pool("person_name", "name", [])
    assert "mom" not in names and "my boss" not in names and any(" " in n for n in names)
    surnames = provider_pool("surname", "professor", [])
    assert sum(" " in n for n in surnames) < len(surnames) / 10 and "mom" not in surnames  # ("de la Fuente")
    assert arg_kind("merchant", s("Where the money was spent.")) == "company"
    assert "at {merchant}" in arg_phrases("merchant", s("Where the money was spent."), "company")
    assert arg_kind("destination", s("Country to visit.")) == "country"
    assert "to {destination}" in arg_phrases("destination", s("Country to visit."), "country")
    assert arg_kind("passport", s("Country that issued my passport.")) == "country"
    assert "with a {passport} passport" in arg_phrases("passport", s("Country that issued my passport."), "country")
    assert arg_kind("destination", s("Where to go.")) == "place_to"
    assert arg_kind("start", s("Starting point; my current location if left out.")) == "place_from"
    assert arg_kind("start", s("When it starts.")) == "text"


def test_a_yes_no_question_of_the_users_own_is_asked_as_one_and_a_name_looked_up_is_the_object():
    """"Check whether I need a visa to visit a country." is asked "do i need a visa for {destination}?" (it
    was only "check visa requirements for ...", and the router took "do I need a visa for Vietnam?" for a
    question no tool answers); "Look up a colleague ..." with "The colleague's name." looks the name up
    ("look up {name} in the company directory"), not "a colleague with {name}"."""
    travel = load_catalogue(str(ASSETS / "travel.py"))
    visa = tool_templates(travel["check_visa_requirements"])
    assert any(t.startswith("do i need a visa (to {destination}|for {destination}") for t in visa)
    assert any(t.startswith("do i need a visa to visit {destination}") for t in visa)
    colleague = tool_templates(load_catalogue(str(ASSETS / "workplace.py"))["find_colleague"])
    assert any(t.startswith("(look up|find") and "{name} in the company directory" in t for t in colleague)
    # a yes/no question of the thing's own stays as it was: "is BA284 on time?"
    flight = tool_templates(load_catalogue(str(ASSETS / "dining_travel.py"))["check_flight_status"])
    assert not any(t.startswith("do i ") for t in flight) and any(t.startswith("is {") for t in flight)


def test_a_formal_verb_is_also_said_with_its_everyday_words():
    school = load_catalogue(str(ASSETS / "school.py"))
    submit = " ".join(tool_templates(school["submit_assignment"]))
    assert "turn in" in submit and "hand in" in submit
    assert "settle" in " ".join(tool_templates(school["pay_tuition"]))
    # and none that says another thing: pet food is ordered or got, never "called" or "booked"
    food = " ".join(tool_templates(load_catalogue(str(ASSETS / "pets.py"))["order_pet_food"]))
    assert not re.search(r"\b(call|book)\b", food)


def test_questions_about_a_tools_thing_that_no_tool_answers_are_negatives():
    from toolrouter.data.draft import negative_groups

    school = load_catalogue(str(ASSETS / "school.py"))
    questions = [t for g in negative_groups(school)["domain_question"] for t in g["templates"]]
    assert "what's the policy on grades?" in questions and "how long does a study room take?" in questions
    assert "what can you (do|help me with)?" in questions  # the capability asks stay
    ds = build_dataset(str(ASSETS / "school.py"), n=2000, seed=0)
    rows = [r for r in ds.splits["train"] if r["meta"].get("kind") == "no_tool:domain_question"]
    assert rows and all('"no_tool"' in r["messages"][-1]["content"] for r in rows)
    assert any("policy on" in r["messages"][-2]["content"].lower() for r in rows)


def test_a_boolean_named_by_a_thing_a_need_a_modal_or_an_action_on_something_is_said_as_people_say_it():
    # "not needs projector", "not reminder", "with on arrival", "not would book again" were the data's
    assert bool_forms("needs_projector", {}) == {True: ["with a projector", "need a projector"],
                                                 False: ["no projector", "without a projector"]}
    assert bool_forms("reminder", {}) == {True: ["with a reminder", "reminder"], False: ["no reminder", "without a reminder"]}
    assert bool_forms("notify_on_arrival", {}) == {True: ["notify on arrival"], False: ["don't notify on arrival"]}
    assert bool_forms("would_book_again", {}) == {True: ["would book again"], False: ["wouldn't book again"]}
    assert bool_forms("accessible_seating", {})[False] == ["no accessible seating", "without accessible seating"]
    assert bool_forms("urgent", {}) == {True: ["urgent"], False: ["not urgent"]}  # a quality stays one


def test_a_unit_the_description_says_a_number_is_in_wins_and_a_lead_time_is_said_before():
    """"Highest ticket price, in dollars." is dollars, not tickets ("under 287 tickets" was the data's price);
    "Minutes before the start to remind me." is said "remind me an hour before", never as the event's length
    ("a 297-minute calendar")."""
    from toolrouter.data.draft import arg_phrases
    from toolrouter.data.values import unit_of

    assert unit_of("max_price", {"type": "number", "description": "Highest ticket price, in dollars."}) == "dollar"
    assert unit_of("duration", {"type": "integer", "description": "Length in minutes."}) == "minute"
    lead = {"type": "integer", "description": "Minutes before the start to remind me."}
    assert arg_phrases("reminder_minutes", lead, "number")[:2] == ["remind me {reminder_minutes} before",
                                                                   "{reminder_minutes} before"]
    events = load_catalogue(str(ASSETS / "events.py"))
    templates = tool_templates(events["add_to_calendar"])
    assert not any("{reminder_minutes:adj} calendar" in t or "for {reminder_minutes}" in t for t in templates)
    assert any("remind me {reminder_minutes} before" in t for t in templates)
    prices = [t for t in tool_templates(events["find_events"]) if "{max_price}" in t]
    assert prices and not any("{max_price} ticket" in t for t in prices)


def test_a_code_shown_by_example_is_a_code_and_a_branch_is_a_place():
    """A plate shown as "7KXB219" is drawn from the ID provider (the data said "license plate pasta"); a
    library branch is a place ("at Central"); words shown as words stay words."""
    from toolrouter.data.values import slot_values

    plate = {"type": "string", "description": "Plate of the car.", "examples": ["7KXB219"]}
    assert slot_values("pay_parking", "license_plate", plate)["provider"] == "id"
    line = {"type": "string", "description": "The line or route.", "examples": ["Red Line", "Route 14"]}
    assert slot_values("check_service_alerts", "line", line)["provider"] == "text"
    assert arg_kind("branch", {"type": "string", "description": "Library branch."}) == "place"
    words = {"type": "string", "description": "What to look for.", "examples": ["sourdough baking"]}
    assert slot_values("search", "query", words) == {"provider": "query", "pool": ["sourdough baking"]}


def test_a_problem_is_reported_by_what_is_wrong():
    """A tool that reports something broken is asked by the symptom ("the {tv} won't turn on", "there's a problem
    with the {heating}"), not only as the report ("tell the front desk ... with the wifi", which is all the draft
    said before: hotel_stay's router answered no_tool to "TV won't turn on"); what went wrong ("flat tire") is said
    as a call for help, never as a thing that "isn't working"."""
    from toolrouter.data.draft import _broken_arg

    hotel = load_catalogue(str(ASSETS / "hotel_stay.py"))
    cars = load_catalogue(str(ASSETS / "auto_care.py"))
    work = load_catalogue(str(ASSETS / "workplace.py"))

    def broken(spec):
        raw = raw_properties(spec)
        return _broken_arg(spec, raw, {a: arg_kind(a, s) for a, s in raw.items()}, spec.required)

    assert broken(hotel["report_room_issue"]) == ("problem", True)  # "What the problem is with."
    assert broken(work["report_it_issue"]) == ("device", True)  # "The device that has the problem."
    assert broken(cars["request_roadside_assistance"]) == ("problem", False)  # "What help is needed."
    assert broken(hotel["order_room_service"]) is None and broken(cars["book_car_service"]) is None
    room = tool_templates(hotel["report_room_issue"])
    assert any(t.startswith("(the|my) {problem} (isn't working|") for t in room)
    assert any(t.startswith("there's (a problem|an issue|something wrong) with (the|my) {problem}") for t in room)
    roadside = " ".join(tool_templates(cars["request_roadside_assistance"]))
    assert "{problem}" in roadside and "isn't working" not in roadside and "need help" in roadside
    rows = [text for text, target in _calls(build_dataset(str(ASSETS / "hotel_stay.py"), n=1500, seed=0))
            if target.get("tool") == "report_room_issue"]
    assert any(re.search(r"(isn't working|won't turn on|stopped working|problem with|is broken|won't work|"
                         r"doesn't work)", r.lower()) for r in rows)


def test_what_a_tool_asks_someone_to_do_is_said_as_that_act():
    """"Ask to leave the room later than ..." is said "can i leave the room later at 2?" (the user's own act, asked
    leave for), "Ask housekeeping to clean the room" as "can someone clean the room", "have housekeeping clean the
    room"; "ask" with no act after it ("Ask a human agent for help") gives nothing new."""
    from toolrouter.data.draft import _asked_act

    assert _asked_act("Ask to leave the room later than the usual check-out time.") == (None, "leave the room later")
    assert _asked_act("Ask housekeeping to clean the room or bring something up.") == ("housekeeping", "clean the room")
    assert _asked_act("Ask the landlord to fix a leak.") == ("the landlord", "fix a leak")
    for other in ("Ask a human agent for help.", "Request days off work.", "Get directions to a place.",
                  "Order a taxi from one place to another."):
        assert _asked_act(other) is None, other
    hotel = load_catalogue(str(ASSETS / "hotel_stay.py"))
    late = tool_templates(hotel["request_late_checkout"])
    assert any(t.startswith("can (i|we) leave the room later (at {checkout_time}") for t in late)
    clean = tool_templates(hotel["request_housekeeping"])
    assert any(t.startswith("have housekeeping clean the room") for t in clean)
    assert any(t.startswith("can (you|someone|housekeeping) clean the room") for t in clean)


def test_what_is_ordered_is_asked_for_as_a_want():
    hotel = load_catalogue(str(ASSETS / "hotel_stay.py"))
    food = tool_templates(hotel["order_room_service"])
    assert any(t.startswith("can i get [{quantity}] {item}") for t in food)
    assert any(t.startswith("i'll have [{quantity}] {item}") for t in food)
    # not for what is added or searched: "can i get milk" adds nothing to a shopping list
    shopping = " ".join(tool_templates(load_catalogue(str(ASSETS / "household.py"))["add_to_shopping_list"]))
    assert "can i get {item}" not in shopping and "i'll have" not in shopping


def test_a_boolean_that_says_an_act_is_said_as_that_act():
    """"Whether to text me when the car is ready." is "text me" and "no need to text me" (the data said "text when
    ready" / "not text when ready"); "Whether I need a courtesy car ..." is "need a courtesy car" / "don't need a
    courtesy car"; a quality ("Whether it is urgent.") says no act, and the name's forms stay after the act's."""
    from toolrouter.data.values import bool_act

    assert bool_act("Whether to text me when the car is ready.") == {
        True: ["text me", "please text me"], False: ["don't text me", "no need to text me"]}
    assert bool_act("Whether the front desk should keep my bags after I check out.")[True][0] == "keep my bags"
    assert bool_act("Whether I need a courtesy car while it's in.") == {
        True: ["need a courtesy car"], False: ["don't need a courtesy car"]}
    assert bool_act("Whether it is urgent.") is None and bool_act("Only online classes.") is None
    assert bool_act("Whether to repeat the call every morning of my stay.") is None  # too long to be said whole
    forms = bool_forms("text_when_ready", {"description": "Whether to text me when the car is ready."})
    assert forms[True][:2] == ["text me", "please text me"] and "no need to text me" in forms[False]
    assert forms[True][2:] == ["text when ready"]  # the name's own words follow the act; "not" + them does not:
    assert forms[False] == ["don't text me", "no need to text me"]  # "not text when ready" echoed the schema
    forms = bool_forms("loaner_car", {"description": "Whether I need a courtesy car while it's in."})
    assert forms == {True: ["need a courtesy car", "loaner car"], False: ["don't need a courtesy car"]}


def test_a_dish_is_food_and_a_count_of_the_item_is_said_bare():
    """"Dish or drink to order." draws dishes ("pad thai"), not products ("a yoga mat", which room service got), and
    "How many of the item." says its count before the item ("2 club sandwich"), never "6 items club sandwich"; a
    clause is no object ("report the front desk something in my room is broken" is gone)."""
    from toolrouter.data.values import FOODS, unit_of

    hotel = load_catalogue(str(ASSETS / "hotel_stay.py"))
    raw = raw_properties(hotel["order_room_service"])
    assert arg_kind("item", raw["item"]) == "food"
    assert unit_of("quantity", raw["quantity"]) is None and unit_of("items", {"type": "integer"}) == "item"
    assert arg_kind("food", {"type": "string", "description": "Pet food brand."}) != "food"  # a pet's food is a product
    rows = [(text, target) for text, target in _calls(build_dataset(str(ASSETS / "hotel_stay.py"), n=1500, seed=0))]
    items = [t["arguments"]["item"] for _, t in rows if t.get("tool") == "order_room_service"]
    assert items and sum(i.lower() in FOODS for i in items) > len(items) / 2
    assert not any(re.search(r"\bitems?\b", text) for text, t in rows if t.get("tool") == "order_room_service")
    assert not any("something in my room is broken" in text.lower() for text, _ in rows)


def test_phrasal_verbs_with_me_are_said_for_signing_up_and_renewing():
    """Library's router answered no_tool to "sign me up for ...", "rsvp me for ...", "enroll me in ...": the draft said
    only "sign up for"; "renew" is also "extend"."""
    library = load_catalogue(str(ASSETS / "library.py"))
    signup = " ".join(tool_templates(library["register_for_event"]))
    assert "sign me up" in signup and "put me down" in signup and "enroll" in signup
    assert "extend" in " ".join(tool_templates(library["renew_loan"]))


def test_no_domain_question_about_a_thing_searched_for_nor_a_price_asked_of_a_quote():
    """"where's the nearest gas station" is find_gas_station's call: questions about a searched thing ("what are the
    rules for gas stations?") taught auto_care's router the opposite; a quote tool gives prices, so "how much does a
    repair quote usually cost?" is no negative beside "rough price for new brake pads?"."""
    from toolrouter.data.draft import negative_groups

    groups = negative_groups(load_catalogue(str(ASSETS / "auto_care.py")))["domain_question"]
    reasons = {g["reason"]: g["templates"] for g in groups}
    assert "question no tool answers: gas station" not in reasons
    assert "how much does a repair quote usually cost?" not in reasons["question no tool answers: repair quote"]
    assert "how much does a car service usually cost?" in reasons["question no tool answers: car service"]


def test_values_of_a_field_its_provider_knows_nothing_of_are_shaped_like_its_examples():
    """"Year, make and model of the car." is read as any words: the provider drew "gym" and "marathon training"
    for a car (auto_care). With examples, most values take their shape: a year a recent year, a code its
    letters with new digits, function words kept, other words swapped between the examples or made up."""
    from toolrouter.data.values import provider_pool, shaped_values, slot_values

    cars = ["2015 Honda Accord", "2019 Ford F-150"]
    shaped = shaped_values(cars, random.Random(0), 200)
    assert len(shaped) == len(set(shaped)) > 150 and not set(shaped) & set(cars)
    assert all(re.fullmatch(r"(199[5-9]|20[0-2]\d) [A-Z][\w-]*( [A-Z][\w-]*)?", v) for v in shaped), shaped[:5]
    assert any("Honda" in v or "Ford" in v for v in shaped) and any(re.search(r"\bF-\d{3}\b", v) for v in shaped)
    jobs = shaped_values(["replace the timing belt", "fix a cracked windshield"], random.Random(0), 100)
    assert all(v.split()[0] in ("replace", "fix") and v.split()[1] in ("the", "a") for v in jobs)
    assert sum(v.split()[0] == "fix" for v in jobs) > 20 < sum(v.split()[0] == "replace" for v in jobs)
    parties = shaped_values(["Maya's birthday party", "the Henderson wedding"], random.Random(1), 50)
    assert any(re.fullmatch(r"[A-Z]\w+'s birthday party", v) for v in parties)  # "Maya's" -> "Dijoux's"
    # a pool: mostly shaped, the examples a tenth, none of the generic labels ("gym") that were a third
    pool = provider_pool("text", "vehicle", cars)
    year_led = sum(bool(re.match(r"\d{4} ", v)) for v in pool)
    assert year_led > 0.75 * len(pool) and 0.08 < sum(v in cars for v in pool) / len(pool) < 0.12
    assert pool.count("gym") <= 1 < provider_pool("text", "vehicle", []).count("gym")
    # an ID shown as "WO-58213": half its values that shape; a place's examples a third ("I-90 near exit 12")
    ids = provider_pool("id", "work_order", ["WO-58213", "WO-7730"])
    assert 0.45 < sum(bool(re.fullmatch(r"WO-\d{4,5}", v)) for v in ids) / len(ids) < 0.65
    places = provider_pool("place", "location", ["I-90 near exit 12"])
    assert 0.2 < sum(bool(re.fullmatch(r"I-\d\d near \w+ \d\d", v)) for v in places) / len(places) < 0.4
    # free text shown by examples is shaped too, not drawn as messages ("meet me at the hotel at 7:40 am")
    job = {"type": "string", "description": "What needs fixing.", "x-free-text": True,
           "examples": ["replace the timing belt"]}
    assert slot_values("t", "job", job)["provider"] == "text"
    assert slot_values("t", "job", {**job, "examples": []})["provider"] == "message"


def test_times_are_mostly_on_the_hour_or_its_halves_and_quarters():
    """People name the hour most ("at 9", "7pm"): 40 % of drawn times are on the hour, 30 % on a quarter or
    half, and the rest any five minutes or any minute (the data had said "9" for a morning hour in 1 % of
    its times, and the router read "I'll bring it in at 8" as a shop named "the 2nd")."""
    from toolrouter.data.values import draw

    rng = random.Random(0)
    minutes = [int(draw("time", rng)[3:]) for _ in range(4000)]
    assert 0.37 < minutes.count(0) / 4000 < 0.43
    assert 0.3 < sum(m in (15, 30, 45) for m in minutes) / 4000 < 0.38  # (a fifth of the five-minute draws too)
    assert sum(m % 5 != 0 for m in minutes) > 0


class _NewPhone(Tool):
    """Order a new phone for my line."""

    model: str = Field(description="Make and model of the phone.", examples=["iPhone 16 Pro", "Pixel 9"])
    colour: Optional[str] = Field(default=None, description="Colour of the phone.")
    storage_gb: Optional[int] = Field(default=None, ge=64, le=1024, description="Storage size.")


class _Lesson(Tool):
    """Book a swimming lesson."""

    date: str = Field(description="Day of the lesson, YYYY-MM-DD.")
    pool: Optional[str] = Field(default=None, description="Pool location; leave out for my usual pool.",
                                examples=["Eastside", "Harbour"])
    coach: Optional[str] = Field(default=None, description="Coach's name; leave out for whoever is free.")


def test_a_fields_kind_is_read_from_its_descriptions_head_and_a_value_that_names_the_object_is_said_as_it():
    """Fields no name rule knew fell to "any words", said "for {value}" or "{name} {value}": a club location
    drew "most enough" and "result community" ("book the fitness class for most enough"), a trainer "cake" and
    "Opportunity", a phone's colour "Micaela Ratione", its storage "storage gb 805", its model "order a phone
    for iPhone 72 Koog" (the generated data of the held-out fitness_club and phone_carrier, read as a user
    reads theirs). Now a place named in the description's head is a place, said "at the Eastside pool" too; a
    role's name is a person's name; a colour is a colour ("in black"); a measure named by its abbreviation is
    said with it ("256 GB"); a value described as what the object is ("Make and model of the phone.") is
    said in the object's place ("order Pixel 9")."""
    from toolrouter.data.draft import arg_phrases
    from toolrouter.data.values import (COLOURS, english_words, head_words, provider_pool, say_number, shaped_values,
                                        slot_values, unit_of)

    lesson = raw_properties(spec_from_model(_Lesson))
    assert head_words(lesson["pool"]) == ["pool", "location"]
    assert arg_kind("pool", lesson["pool"]) == "place"
    assert {"at {pool}", "at the {pool} pool"} <= set(arg_phrases("pool", lesson["pool"], "place"))
    assert arg_kind("coach", lesson["coach"]) == "person"
    assert slot_values("book_lesson", "coach", lesson["coach"])["provider"] == "person_name"
    # (the location *of* something is no place to go: "Injury location on the body" names no venue)
    assert arg_kind("injury", {"type": "string", "description": "Injury location of the body, e.g. knee."}) == "text"
    phone = raw_properties(spec_from_model(_NewPhone))
    assert arg_kind("colour", phone["colour"]) == "color" and "in {colour}" in arg_phrases("colour", phone["colour"],
                                                                                           "color")
    colours = provider_pool("color", "colour", [])
    assert sum(c in COLOURS for c in colours) / len(colours) > 0.3 and all(c.islower() or " " in c for c in COLOURS)
    assert unit_of("storage_gb", phone["storage_gb"]) == "gb" and say_number(256, "gb") == ["256 GB"]
    templates = tool_templates(spec_from_model(_NewPhone))
    assert any(re.match(r"\(order\|get\) \{model\}", t) for t in templates), templates[:5]
    assert not any(re.search(r"phone \(?for \{model\}", t) for t in templates)
    # a new lower-case word in a shaped value is as often a common English word as a made-up one
    jobs = shaped_values(["replace the timing belt", "fix a cracked windshield"], random.Random(0), 200)
    new = [w for v in jobs for w in v.split() if w not in "replace the timing belt fix a cracked windshield".split()]
    english = sum(w in set(english_words()) for w in new)
    assert len(new) > 100 and 0.3 < english / len(new) < 0.7, (english, len(new))


class RentHedgeTrimmer(Tool):
    """Book a hedge trimmer rental at a branch."""

    branch: Optional[str] = Field(default=None, description="Which branch to pick it up at.", examples=["Northgate"])
    name: str = Field(description="Name to put the rental under.")
    helper: Optional[str] = Field(default=None, description="The helper I'd like, by name.",
                                  examples=["Maria Lopez", "Tom Becker"])
    where: Optional[str] = Field(default=None, description="Where in the garden.", examples=["back fence"])


class ClaimRefund(Tool):
    """Claim a refund for a tool bought here that broke."""

    tool: str = Field(description="The tool the claim is for.")
    what_happened: str = Field(description="What went wrong with it, in a few words.")


class InspectTool(Tool):
    """Ask the workshop what is wrong with a tool."""

    tool: str = Field(description="The tool that is broken.", examples=["hedge trimmer", "leaf blower"])
    symptoms: str = Field(description="What it does, in a few words.", examples=["motor stalls under load"])


def test_names_places_and_problems_read_from_descriptions_and_a_catalogues_own_examples():
    """Read off the generated data of garden_center and coworking (held out; their cases unread): a booking's
    name drew "tea" and "dog walk", a designer shown as "Maria Lopez" drew "yourself manager", a branch a
    restaurant's name ("Chez Dale"), "where in the building" was said "where 3rd floor kitchen", what went wrong
    with a plant was a task ("text Briana back"), a plant with no examples "pizza" and "yoga" though another tool
    shows plants, and "diagnose_plant_problem" was "ask a diagnose plant problem"."""
    from toolrouter.data.draft import Phrase, draft_tool, shared_examples
    from toolrouter.data.values import slot_values

    hedge = raw_properties(spec_from_model(RentHedgeTrimmer))
    assert arg_kind("branch", hedge["branch"]) == "place" and arg_kind("where", hedge["where"]) == "place"
    assert slot_values("t", "name", hedge["name"])["provider"] == "person_name"
    assert slot_values("t", "helper", hedge["helper"])["provider"] == "person_name"
    # a field with no examples borrows its namesake's, and a problem with none the catalogue's problems
    catalogue = Catalogue([spec_from_model(m) for m in (ClaimRefund, InspectTool)])
    shared = shared_examples(catalogue)
    slots = draft_tool(catalogue["claim_refund"], shared)["slots"]
    assert slots["tool"]["pool"] == ["hedge trimmer", "leaf blower"]
    assert slots["what_happened"] == {"provider": "summary", "pool": ["motor stalls under load"]}
    assert draft_tool(catalogue["claim_refund"])["slots"]["tool"].get("pool") is None
    # a name's first word the description never says is the tool's verb
    phrase = Phrase(spec_from_model(InspectTool))
    assert "inspect" in phrase.verbs and phrase.noun == "tool"
