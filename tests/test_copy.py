"""The copy constraint: copied arguments are spans of the request, everything else as the catalogue grammar."""
import json
import re

import pytest

from toolrouter import format_call, format_no_tool, load_catalogue, parse_tool_call
from toolrouter.formats.copy import (boundaries, copied_fields, copy_catalogue, copy_grammars, pattern_candidates,
                                    reads_lowercase, restore_case)
from toolrouter.formats.grammar import accepts_text

pytestmark = pytest.mark.usefixtures("one_thread")


def test_copied_fields_follow_the_data_convention():
    assert copied_fields(load_catalogue("support_router")) == {
        "track_order": {"order_id": "pattern"},
        "request_refund": {"order_id": "pattern", "reason": "text"},
        "escalate": {"reason": "text"}}
    # enums, numbers and booleans are never copied; free strings are
    assert copied_fields(load_catalogue("car_control")) == {
        "play_music": {"track": "text"}, "set_navigation_destination": {"destination": "text"}}


def test_home_assistant_copies_names_and_text_but_not_spoken_times_or_dates():
    fields = copied_fields(load_catalogue("tests/assets/natural/home_assistant.py"))
    assert fields["send_text"] == {"to": "text", "message": "text"}
    assert fields["get_weather"] == {"city": "text"}
    assert "date" not in fields.get("create_reminder", {})  # "next friday" -> 2026-..: said in other words
    assert "time" not in fields.get("set_alarm", {})  # "wake me at 7" -> 07:00, said in other words
    dining = copied_fields(load_catalogue("tests/assets/natural/dining_travel.py"))
    assert dining["check_flight_status"] == {"flight_number": "pattern"}  # "ba284" -> BA284
    assert "time" not in dining["book_table"] and "date" not in dining["book_table"]


def test_span_edges_are_word_and_chunk_edges():
    text = "text mom: I'm late!"
    starts, ends = boundaries(text)
    spans = {text[s:e] for s in starts for e in ends if e > s}
    assert {"mom", "mom:", "I'm late", "I'm late!", "text mom: I'm late!"} <= spans
    assert "om" not in spans and "I'm lat" not in spans and " mom" not in spans


def test_pattern_candidates_are_matching_spans_in_the_pattern_s_case():
    assert pattern_candidates(["refund ord-48213 pls, not ORD-1"], r"^ORD-\d+$") == ["ORD-48213", "ORD-1"]
    assert pattern_candidates(["where is ORD-662014?"], r"^ORD-\d+$") == ["ORD-662014"]
    assert pattern_candidates(["no id here"], r"^ORD-\d+$") == []


def test_copy_catalogue_leaves_the_catalogue_alone_without_text():
    cat = load_catalogue("support_router")
    assert copy_catalogue(cat, []) is cat
    derived = copy_catalogue(cat, ["refund ORD-48213, it broke"])
    assert derived["request_refund"].properties["order_id"]["enum"] == ["ORD-48213"]
    assert derived["track_order"].properties["order_id"]["enum"] == ["ORD-48213"]
    assert cat["request_refund"].properties["order_id"]["pattern"]  # the original is untouched
    # no ID in the request: the pattern rule stays, so a missing-ID answer is still possible elsewhere
    assert "pattern" in copy_catalogue(cat, ["hi there"])["track_order"].properties["order_id"]


def test_an_optional_code_the_request_does_not_say_is_left_out():
    """The data writes an optional code only where its request says it, so a request with none gets none: a scratch
    router wrote zip_code "20161" under the pattern from "a 2016 Subaru Outback" (auto_care). A required one keeps
    its pattern (above), and one the request says is the enum of its spans."""
    cars = load_catalogue("tests/assets/natural/auto_care.py")
    quote = copy_catalogue(cars, ["how much to replace the alternator on a 2016 Subaru Outback"])["get_repair_quote"]
    assert "zip_code" not in quote.properties and "zip_code" in cars["get_repair_quote"].properties
    said = copy_catalogue(cars, ["new clutch for a 2012 Ford Focus, I'm in 60614"])["get_repair_quote"]
    assert said.properties["zip_code"]["enum"] == ["60614"]


def test_the_grammar_allows_only_spans_for_copied_arguments(tiny_tokenizer):
    cat = load_catalogue("support_router")
    request = "The headphones from ord-662014 stopped working after two days. I want my money back."
    conv = [{"role": "system", "content": "x"}, {"role": "user", "content": request}]
    (compiled,) = copy_grammars(cat, [conv], tiny_tokenizer, stop_token_ids=[tiny_tokenizer.eos_token_id])
    good = format_call("request_refund", {"order_id": "ORD-662014", "reason": "stopped working after two days"}, cat)
    assert accepts_text(compiled, good)
    assert accepts_text(compiled, format_call("request_refund", {"order_id": "ORD-662014",
                                                                 "reason": "stopped working after two days."}, cat))
    for bad_id, reason in [("ORD-626014", "stopped working after two days"),  # a lost or swapped digit
                           ("ORD-66201", "stopped working after two days"),
                           ("ORD-662014", "arrived broken"),  # not said
                           ("ORD-662014", "topped working"),  # not at a word start
                           ("ORD-662014", "stopped working after tw")]:
        assert not accepts_text(compiled, format_call("request_refund", {"order_id": bad_id, "reason": reason}, cat))
    assert accepts_text(compiled, format_call("escalate", {"reason": "I want my money back"}, cat))
    assert accepts_text(compiled, format_no_tool("anything at all"))  # no_tool reasons are not copied


def test_json_escapes_and_unicode_in_spans(tiny_tokenizer):
    cat = load_catalogue("car_control")
    request = 'play "Café del Mar" \\ loud'
    conv = [{"role": "user", "content": request}]
    (compiled,) = copy_grammars(cat, [conv], tiny_tokenizer)
    for track in ['"Café del Mar"', "Café del Mar", 'play "Café', "\\ loud"]:
        assert accepts_text(compiled, format_call("play_music", {"track": track}, cat)), track
    assert not accepts_text(compiled, format_call("play_music", {"track": "Cafe del Mar"}, cat))
    # enums keep the catalogue grammar; a tool whose required number the request does not say is left out
    assert accepts_text(compiled, format_call("toggle_headlights", {"light_state": "off"}, cat))
    assert not accepts_text(compiled, format_call("set_temperature", {"temperature": 21, "unit": "celsius"}, cat))


def test_a_router_with_copy_answers_only_spans(tiny_model, tiny_tokenizer):
    """A random model routing under the copy grammars: every copied value it writes is a span."""
    from toolrouter.serve.router import Router

    cat = load_catalogue("support_router")
    requests = ["refund ORD-48213 the lamp arrived broken", "where is ord-90221?", "get me a human, I was charged twice",
                "hello"]
    router = Router(tiny_model, tiny_tokenizer, cat, copy=True, max_new_tokens=80)
    for request, result in zip(requests, router.route_batch(requests)):
        if result.kind != "call":
            continue
        if "reason" in result.arguments:
            assert result.arguments["reason"] in request, (request, result)
        if "order_id" in result.arguments and re.search(r"(?i)ord-\d", request):  # else the plain pattern
            assert result.arguments["order_id"].lower() in request.lower(), (request, result)


def test_a_lowercasing_template_gets_lower_cased_spans_restored_to_the_request_s_case(tiny_tokenizer):
    from conftest import _texts
    from toolrouter.formats.grammar import answer_ebnf
    from toolrouter.train.tiny import build_tokenizer

    lower_tok = build_tokenizer(_texts(), vocab_size=512, template="chatml_lower")
    assert reads_lowercase(lower_tok) and not reads_lowercase(tiny_tokenizer)
    cat = load_catalogue("car_control")
    conv = [{"role": "user", "content": "Put on HOTEL California, volume 8"}]
    (compiled,) = copy_grammars(cat, [conv], lower_tok)
    lowered = format_call("play_music", {"track": "hotel california", "volume": 8}, cat)
    assert accepts_text(compiled, lowered)
    assert not accepts_text(compiled, format_call("play_music", {"track": "HOTEL California", "volume": 8}, cat))
    # the same grammar for every casing of the request: the answer cannot change with casing alone
    assert (answer_ebnf(copy_catalogue(cat, ["Put on HOTEL California, volume 8"], lower=True))
            == answer_ebnf(copy_catalogue(cat, ["PUT ON hotel california, VOLUME 8"], lower=True)))
    restored, untouched, other = restore_case(
        [lowered, format_call("play_music", {"track": "HOTEL"}, cat), format_no_tool("hotel california")],
        [conv] * 3, cat)
    assert restored == format_call("play_music", {"track": "HOTEL California", "volume": 8}, cat)
    assert untouched == '{"tool":"play_music","arguments":{"track":"HOTEL"}}'  # defaults stay omitted
    assert other == format_no_tool("hotel california")  # only copied arguments change
    from toolrouter.formats.parse import format_calls

    two = [{"tool": "play_music", "arguments": {"track": "hotel california"}},
           {"tool": "set_navigation_destination", "arguments": {"destination": "put on hotel"}}]
    (restored_two,) = restore_case([format_calls(two, cat)], [conv], cat)
    two[0]["arguments"]["track"], two[1]["arguments"]["destination"] = "HOTEL California", "Put on HOTEL"
    assert restored_two == format_calls(two, cat)  # every call of a several-call answer


def test_eval_copy_flag_decodes_spans_only(tiny_model, tiny_tokenizer, tmp_path, capsys):
    """`toolrouter eval --copy` on a run dir (catalogue from its JSON snapshot: the schema draft decides
    what is copied): every refund reason and order ID written is a span of its prompt."""
    from conftest import write_tiny_run
    from toolrouter.cli import main as cli_main

    run = write_tiny_run(tmp_path / "run", tiny_model, tiny_tokenizer, 80)
    prompts = ["refund ORD-48213 the lamp arrived broken", "Where is ORD-5521?", "I want a human, my card was stolen"]
    gold = tmp_path / "gold.jsonl"
    gold.write_text("".join(json.dumps({"id": f"c{i}", "prompt": p, "target": {"tool": "no_tool", "reason": "x"}}) + "\n"
                            for i, p in enumerate(prompts)))
    report = tmp_path / "report.json"
    assert cli_main(["eval", "--model", str(run), "--gold", str(gold), "--copy", "--report-json", str(report)]) == 0
    cat = load_catalogue(run / "catalogue.json")
    for failure in json.loads(report.read_text())["failures"]:
        result = parse_tool_call(failure["output"], cat)
        assert result.kind in ("call", "no_tool")  # --copy implies --constrained
        args = result.arguments if result.kind == "call" else {}
        if "reason" in args:
            assert args["reason"] in failure["prompt"], failure
        if "order_id" in args and re.search(r"ORD-\d", failure["prompt"]):  # else the plain pattern
            assert args["order_id"] in failure["prompt"], failure


def test_history_values_can_be_copied_tool_results_and_earlier_calls():
    from toolrouter.formats.copy import request_texts

    conv = [{"role": "user", "content": "where is my last order?"},
            {"role": "assistant", "content": None, "tool_calls": [{"type": "function", "function": {
                "name": "track_order", "arguments": '{"order_id": "ORD-48213"}'}}]},
            {"role": "tool", "content": '{"status": "delivered", "order_id": "ORD-48213"}'},
            {"role": "assistant", "content": '{"tool":"escalate","arguments":{"reason":"box was soaked"}}'},
            {"role": "assistant", "content": "It was delivered yesterday."},
            {"role": "user", "content": "refund that one too"}]
    texts = request_texts(conv)
    assert texts[0] == "where is my last order?" and texts[-1] == "refund that one too"
    assert "ORD-48213" in texts and "box was soaked" in texts
    assert "It was delivered yesterday." not in texts  # a spoken reply is not a source
    cat = load_catalogue("support_router")
    derived = copy_catalogue(cat, texts)
    assert derived["request_refund"].properties["order_id"]["enum"] == ["ORD-48213"]


def test_training_rows_write_copied_values_as_a_lowercasing_model_reads_them():
    from toolrouter.formats import get_format
    from toolrouter.formats.copy import lower_copied
    from toolrouter.formats.parse import format_calls

    cat, fmt = load_catalogue("car_control"), get_format("json")
    system = {"role": "system", "content": "s"}

    def row(request, target):
        return {"messages": [system, {"role": "user", "content": request}, fmt.assistant_message(target, cat)]}

    song = row("Put on Hotel California, volume 8",
               {"tool": "play_music", "arguments": {"track": "Hotel California", "volume": 8}})
    absent = row("play something", {"tool": "play_music", "arguments": {"track": "Hotel California"}})
    enum = row("Lock the doors", {"tool": "lock_doors", "arguments": {"lock": True}})
    negative = row("Thanks", {"tool": "no_tool", "reason": "Thanks"})
    several = row("Play Yellow and drive to Paris Airport", [
        {"tool": "play_music", "arguments": {"track": "Yellow"}},
        {"tool": "set_navigation_destination", "arguments": {"destination": "Paris Airport"}}])
    out = lower_copied([song, absent, enum, negative, several], cat, fmt)
    assert out[0]["messages"][-1]["content"] == format_call("play_music", {"track": "hotel california", "volume": 8}, cat)
    assert out[0]["messages"][:2] == song["messages"][:2]  # the request itself is left as written
    assert song["messages"][-1]["content"].count("Hotel California") == 1  # the input row is not modified
    assert out[1] is absent and out[2] is enum and out[3] is negative  # not a span / not copied / no call
    assert out[4]["messages"][-1]["content"] == format_calls(
        [{"tool": "play_music", "arguments": {"track": "yellow"}},
         {"tool": "set_navigation_destination", "arguments": {"destination": "paris airport"}}], cat)
    # and restore_case is its inverse on the request it came from
    (back,) = restore_case([out[0]["messages"][-1]["content"]], [song["messages"][:2]], cat)
    assert back == song["messages"][-1]["content"]


def test_numbers_times_and_dates_are_read_from_the_request_as_the_data_says_them():
    from toolrouter.formats.copy import said_fields

    dining = load_catalogue("tests/assets/natural/dining_travel.py")
    readers = said_fields(dining)["book_table"]
    assert set(readers) == {"party_size", "date", "time"}  # restaurant is copied text, not said
    request = ["table for four at Sakura on March 12, 2027 at quarter past eight in the evening"]
    # one reader alone keeps each of its readings ("eight" and the 12 of the date may be a party size)
    assert readers["party_size"].read(request) == [4, 12, 8]  # in order of appearance
    assert readers["date"].read(request) == ["2027-03-12"]
    assert readers["time"].read(request) == ["20:15"]  # the longest reading: not 08:15 or 20:00 inside it
    assert readers["time"].read(["get me up at 10 past 7"]) == ["07:10"]
    iso = ["book Nobu for 12 people on 2026-12-24 at 21:00, ORD-7 and 7pm"]
    assert readers["party_size"].read(iso) == [12]  # not 24/21/7 inside a date, a time, an ID or "7pm"
    assert readers["date"].read(iso) == ["2026-12-24"] and readers["time"].read(iso) == ["21:00", "19:00"]
    assert readers["party_size"].read(["a table at Sakura"]) == []  # nothing said: no restriction
    # the grammar: the tool's readers together keep the longest readings, so the date's 12 and the
    # time's "eight" are not party sizes; nothing said: the catalogue's own rule
    props = {s.name: s.properties for s in copy_catalogue(dining, request)}["book_table"]
    assert props["party_size"]["enum"] == [4] and props["time"]["enum"] == ["20:15"]
    assert props["date"]["enum"] == ["2027-03-12"] and "minimum" not in props["party_size"]
    assert "enum" not in {s.name: s.properties for s in copy_catalogue(dining, ["a table please"])}["book_table"]["time"]
    # a number range of a hand-written bank: car_control's temperatures, in digits with a unit sign
    car = said_fields(load_catalogue("car_control"))
    assert car["set_temperature"]["temperature"].read(["make it 21.5°, fan on 3"]) in ([21.5], [21.5, 3])


def test_a_run_whose_recipe_says_copy_copies_whenever_it_is_constrained(tiny_model, tiny_tokenizer, tmp_path):
    """eval.copy_spans: true in the recipe (saved in run.json): `eval --run --constrained`, `route` and `serve` copy
    spans without --copy; --no-copy gives the catalogue grammar alone; free decoding stays free."""
    from conftest import write_tiny_run
    from toolrouter.cli import main as cli_main
    from toolrouter.serve.router import Router
    from toolrouter.train.recipe import EvalConfig

    assert EvalConfig().copy_spans is False
    run = write_tiny_run(tmp_path / "run", tiny_model, tiny_tokenizer, 80)
    info = json.loads((run / "run.json").read_text())
    (run / "run.json").write_text(json.dumps({**info, "eval": {"copy_spans": True}}))
    prompts = ["refund ORD-48213 the lamp arrived broken", "Where is ORD-5521?", "escalate: my card was stolen"]
    gold = tmp_path / "gold.jsonl"
    gold.write_text("".join(json.dumps({"id": f"c{i}", "prompt": p, "target": {"tool": "no_tool", "reason": "x"}}) + "\n"
                            for i, p in enumerate(prompts)))
    decoded = {}
    for flags in (["--constrained"], ["--constrained", "--no-copy"], [], ["--copy"]):
        report = tmp_path / "report.json"
        assert cli_main(["eval", "--run", str(run), "--gold", str(gold), *flags, "--report-json", str(report)]) in (0, 1)
        out = json.loads(report.read_text())
        decoded[" ".join(flags)] = out["decoding"]
        if out["decoding"] == "copy":
            cat = load_catalogue(run / "catalogue.json")
            for failure in out["failures"]:
                result = parse_tool_call(failure["output"], cat)
                if result.kind == "call" and "reason" in result.arguments:
                    assert result.arguments["reason"] in failure["prompt"], failure
    assert decoded == {"--constrained": "copy", "--constrained --no-copy": "constrained", "": "free", "--copy": "copy"}
    assert Router.load(str(run)).copy is True
    assert Router.load(str(run), copy=False).copy is False
    (run / "run.json").write_text(json.dumps(info))  # a run without the setting: off
    assert Router.load(str(run)).copy is False
    assert cli_main(["eval", "--run", str(run), "--gold", str(gold), "--copy", "--no-copy"]) == 2


def _asks(*requests: str) -> list[list[dict]]:
    """One single-turn conversation per request."""
    return [[{"role": "user", "content": r}] for r in requests]


def test_two_copied_arguments_of_one_call_are_two_places_of_the_request(tiny_tokenizer):
    """copy_decode: "from the gym to the mall" written as pickup "the gym", destination "the gym" is decoded
    again with each argument kept off the other's place, and the answer whose values follow the words the
    data says before them ("from" {pickup}, "to" {destination}) wins; values standing after each other's
    words are swapped. `generate` here answers in turn from a script and checks each answer against the
    grammar it is given, as constrained decoding would."""
    from toolrouter.formats.copy import anchors, copy_decode

    cat = load_catalogue("tests/assets/natural/dining_travel.py")
    where = anchors(cat)
    assert "from" in where["book_taxi"]["pickup"] and "to" in where["book_taxi"]["destination"]
    assert "from" not in where["book_taxi"]["destination"]
    taxi = lambda p, d: format_call("book_taxi", {"pickup": p, "destination": d}, cat)  # noqa: E731
    convs = _asks("taxi from the gym to the mall", "taxi from the airport to the hilton",
                  "taxi from the marina to the casino", "taxi to the beach from the zoo")
    script = [
        [taxi("the gym", "the gym"), taxi("the hilton", "the hilton"), taxi("the casino", "the marina"),
         taxi("the zoo", "the beach")],
        [taxi("the gym", "the mall"), taxi("the hilton", "the airport")],  # second argument kept apart
        [taxi("the mall", "the gym"), taxi("the airport", "the hilton")],  # first argument kept apart
    ]
    calls = []

    def generate(conversations, grammars):
        answers = script[len(calls)]
        calls.append(len(conversations))
        for answer, grammar in zip(answers, grammars):
            assert accepts_text(grammar, answer), answer
        return answers

    out = copy_decode(generate, cat, convs, tiny_tokenizer)
    assert calls == [4, 2, 2]  # only the two colliding rows are decoded again, once each way
    assert [parse_tool_call(a, cat).arguments for a in out] == [
        {"pickup": "the gym", "destination": "the mall"}, {"pickup": "the airport", "destination": "the hilton"},
        {"pickup": "the marina", "destination": "the casino"}, {"pickup": "the zoo", "destination": "the beach"}]
    # the grammars of the second pass keep the argument off the other's place
    (apart,) = copy_grammars(cat, convs[:1], tiny_tokenizer, apart=[{("book_taxi", "destination"): "the gym"}])
    assert accepts_text(apart, taxi("the gym", "the mall"))
    assert not accepts_text(apart, taxi("the gym", "the gym"))


def test_a_copied_value_after_none_of_its_anchor_words_is_decoded_again_off_it(tiny_tokenizer):
    """copy_decode: a copied value that stands after none of the words the data says before its argument
    ("money's" as the city of "french food in Lyon, money's no object") while such a word stands elsewhere
    in the request is decoded again with the value kept off, up to STRAY_TRIES times, each try also off the
    tries before; an answer whose values stand after their words more often wins. A try whose new value is
    what another argument of the call says ("at 19:30" is the time) does not, and the first answer stays. A
    value that runs into the word of the next argument ("the marina to") is kept off that word only. (The
    restaurant is asked in lower case: its casing says nothing of where a name starts, `name_starts`.)"""
    from toolrouter.formats.copy import STRAY_TRIES, copy_decode

    assert STRAY_TRIES == 3
    cat = load_catalogue("tests/assets/natural/dining_travel.py")
    food = lambda c: format_call("find_restaurants", {"city": c, "cuisine": "french"}, cat)  # noqa: E731
    table = lambda r: format_call("book_table", {"restaurant": r, "party_size": 2, "date": "2026-12-31",  # noqa: E731
                                                 "time": "19:30"}, cat)
    taxi = lambda p, d: format_call("book_taxi", {"pickup": p, "destination": d}, cat)  # noqa: E731
    # (the first in lower case: a city starts at any word there)
    convs = _asks("french food in lyon, money's no object", "reserve chez marie for two, 2026-12-31 at 19:30",
                  "french food in Lyon", "a cab from the marina to the casino")
    script = [
        [food("money's"), table("chez marie"), food("Lyon"), taxi("the marina to", "the casino")],
        # both still no better: each goes on, off both values so far; the pickup that ran into the
        # destination's word "to" is kept off that word only, and without it wins
        [food("no object"), table("19:30"), taxi("the marina", "the casino")],
        [food("lyon"), table("reserve")],  # lyon stands after "in": it wins; "reserve" is after no "at"
        [table("2026-12-31")],  # after no "at" either, and the date's own value
    ]
    calls = []
    refused = [[[], [], [], []],  # per pass, per row decoded: the answers its grammar must refuse
               [[food("money's")], [table("chez marie")], [taxi("the marina to", "the casino")]],
               [[food("money's"), food("no object")], [table("chez marie"), table("19:30")]],
               [[table("chez marie"), table("19:30"), table("reserve")]]]

    def generate(conversations, grammars):
        answers = script[len(calls)]
        for answer, grammar, off in zip(answers, grammars, refused[len(calls)], strict=True):
            assert accepts_text(grammar, answer), answer
            assert not any(accepts_text(grammar, o) for o in off), off
        calls.append(len(conversations))
        return answers

    out = copy_decode(generate, cat, convs, tiny_tokenizer)
    assert calls == [4, 3, 2, 1]  # the anchored row is never decoded again; the others until won or tried out
    assert [parse_tool_call(a, cat).arguments.get("city", parse_tool_call(a, cat).arguments.get("restaurant"))
            for a in out[:3]] == ["lyon", "chez marie", "Lyon"]
    assert parse_tool_call(out[3], cat).arguments == {"pickup": "the marina", "destination": "the casino"}


def test_two_codes_of_one_call_are_two_places_of_the_request(tiny_tokenizer):
    """copy_decode keeps pattern arguments apart as it does texts: "convert 20 AUD to NZD" written with
    AUD as both currencies is decoded again with each kept off the other's code, and the answer whose
    codes stand after their words ("to" NZD) wins; a code after none of its words while one stands
    elsewhere ("to" in "50 EUR to GBP") is decoded again off it. The grammars of the later passes refuse
    the code kept off."""
    from toolrouter.formats.copy import anchors, copied_fields, copy_decode

    cat = load_catalogue("tests/assets/natural/office_tools.py")
    assert copied_fields(cat)["convert_currency"] == {"from_currency": "pattern", "to_currency": "pattern"}
    assert {"to", "into"} <= anchors(cat)["convert_currency"]["to_currency"]
    conv = lambda a, f, t: format_call("convert_currency", {"amount": a, "from_currency": f,  # noqa: E731
                                                            "to_currency": t}, cat)
    convs = _asks("convert 20 AUD to NZD", "how much is 50 EUR to GBP?")
    script = [[conv(20, "AUD", "AUD"), conv(50, "GBP", "EUR")],
              [conv(20, "AUD", "NZD")],  # to_currency kept off AUD
              [conv(20, "NZD", "AUD")],  # from_currency kept off AUD
              [conv(50, "EUR", "GBP")]]  # the stray to_currency kept off EUR
    refused = [[[], []], [[conv(20, "AUD", "AUD")]], [[conv(20, "AUD", "AUD")]], [[conv(50, "GBP", "EUR")]]]
    calls = []

    def generate(conversations, grammars):
        for answer, grammar, off in zip(script[len(calls)], grammars, refused[len(calls)], strict=True):
            assert accepts_text(grammar, answer), answer
            assert not any(accepts_text(grammar, o) for o in off), off
        calls.append(len(conversations))
        return script[len(calls) - 1]

    out = copy_decode(generate, cat, convs, tiny_tokenizer)
    assert calls == [2, 1, 1, 1]
    assert [parse_tool_call(a, cat).arguments for a in out] == [
        {"amount": 20, "from_currency": "AUD", "to_currency": "NZD"},
        {"amount": 50, "from_currency": "EUR", "to_currency": "GBP"}]


def test_a_value_that_stops_inside_a_name_or_phrase_runs_on_to_its_end(tiny_tokenizer):
    """copy_decode, last: a copied value that stops where its request shows a name or phrase goes on
    runs on to its end: after a word no phrase ends on ("my" -> "my hotel"), inside a run of
    capitalised words or a name and its number ("12 Oak" -> "12 Oak Street", "Invoice" -> "Invoice
    4471"); never into a word that introduces an argument ("the Ritz" before "to"), across punctuation,
    into the pronoun I, or by capitals in a request typed in Title Case. A lower-cased value (a model
    that reads requests lower-cased) runs on lower-cased, for restore_case."""
    from toolrouter.formats.copy import _stretched, copy_decode

    stops = {"to", "from", "at", "on"}
    cases = {("12 Oak", "a big car from 12 Oak Street to the stadium"): "12 Oak Street",
             ("my", "standard taxi from the museum to my hotel"): "my hotel",
             ("the Golden", "I'm going to the Golden Gate Bridge"): "the Golden Gate Bridge",
             ("Invoice", "email jane@x.com with the subject Invoice 4471"): "Invoice 4471",
             ("central", "a ride from Central Station"): "central station",
             ("the Ritz", "a luxury car from the Ritz to the opera house"): "the Ritz",
             ("Lyon", "french food in Lyon, money's no object"): "Lyon",
             ("Sam", "text Sam I'm late"): "Sam",
             ("The Ritz", "Book A Luxury Car From The Ritz Hotel"): "The Ritz",
             ("nowhere", "a ride from Central Station"): "nowhere"}
    assert {k: _stretched(*k[:1], [k[1]], stops) for k in cases} == cases

    cat = load_catalogue("tests/assets/natural/dining_travel.py")
    taxi = lambda p, d: format_call("book_taxi", {"pickup": p, "destination": d}, cat)  # noqa: E731
    convs = _asks("taxi from 12 Oak Street to my hotel", "a cab from the Ritz to the opera")
    answers = [taxi("12 Oak", "my"), taxi("the Ritz", "the opera")]
    out = copy_decode(lambda c, g: [], cat, convs, tiny_tokenizer, answers=answers)
    assert [parse_tool_call(a, cat).arguments for a in out] == [
        {"pickup": "12 Oak Street", "destination": "my hotel"}, {"pickup": "the Ritz", "destination": "the opera"}]


def test_a_title_summary_or_message_runs_on_to_the_end_of_its_clause(tiny_tokenizer):
    """A copied value that the data draws as a phrase or sentence (a title, a subject, a problem summary,
    a message: CLAUSE_KINDS) runs on to the end of its clause, up to the next word that introduces an
    argument, punctuation or a closing "please"; a name does not ("the pizza" stays a timer's label)."""
    from toolrouter.formats.copy import _bank_fields, copy_decode

    office = load_catalogue("tests/assets/natural/office_tools.py")
    assert set(_bank_fields(office)[3]) == {("send_email", "subject"), ("create_ticket", "summary"),
                                            ("schedule_meeting", "title")}
    assert not _bank_fields(load_catalogue("support_router"))[3]  # its bank's values are names and IDs
    email = lambda s: format_call("send_email", {"to": "mark@acme.io", "subject": s}, office)  # noqa: E731
    ticket = lambda s: format_call("create_ticket", {"summary": s, "priority": "high"}, office)  # noqa: E731
    convs = _asks("send an email to mark@acme.io about the offsite agenda please",
                  "new ticket: printer on floor 3 is jammed, high priority")
    out = copy_decode(lambda c, g: [], office, convs, tiny_tokenizer, answers=[email("the offsite"), ticket("printer")])
    assert [parse_tool_call(a, office).arguments for a in out] == [
        {"to": "mark@acme.io", "subject": "the offsite agenda"},
        {"summary": "printer on floor 3 is jammed", "priority": "high"}]
    home = load_catalogue("tests/assets/natural/home_assistant.py")
    timer = format_call("start_timer", {"minutes": 25, "label": "the pizza"}, home)
    (same,) = copy_decode(lambda c, g: [], home, _asks("start a 25 minute timer for the pizza oven"), tiny_tokenizer,
                          answers=[timer])
    assert parse_tool_call(same, home).arguments["label"] == "the pizza"


def test_a_value_inside_a_run_of_capitalised_words_is_the_whole_run(tiny_tokenizer):
    """A copied value that stands inside a name the request's capitals show is that name: "Water" of
    "The Covenant of Water", "Wing" of "Fourth Wing", "Meet" of "Meet the Author: Ann Patchett" (across
    one small word that introduces no argument, and a colon). The name ends there: "Circe by two more
    weeks" stays "Circe", "rate Breaking Bad five stars" stays "Breaking Bad". A sentence's first word,
    months and "I" start none; no run crosses a word that introduces an argument ("Dune in Central":
    "in" is the branch's), other punctuation, or a request typed in Title Case; a value with lower-case
    words ("the Beacon Hill") is left to the rules before."""
    from toolrouter.formats.copy import _name_run, copy_decode

    stops = {"at", "in", "for", "called"}
    runs = {("Water", "can you renew The Covenant of Water, im not done with it yet"): "The Covenant of Water",
            ("Wing", "hold the ebook of Fourth Wing pls"): "Fourth Wing",
            ("Meet", "can you sign two people up for Meet the Author: Ann Patchett"): "Meet the Author: Ann Patchett",
            ("Power Broker", "I need 3 more weeks with The Power Broker"): "The Power Broker",
            ("Dune", "hold Dune in Central"): "Dune",
            ("Central", "book a room at Central on January 12, 2027"): "Central",
            ("Watanabe", "what's Kenji Watanabe's extension?"): "Kenji Watanabe",
            ("Women", "could you hold a copy of The Women and send it to Lakeview"): "The Women"}
    assert {k: _name_run(k[0], [k[1]], stops)[0] for k in runs} == runs
    assert _name_run("Circe", ["extend Circe by two more weeks"], stops) == ("Circe", True)
    assert _name_run("Knicks", ["the Knicks game is on March 2"], stops) == ("Knicks", False)
    assert _name_run("the Beacon Hill", ["pickup at the Beacon Hill branch"], stops) is None
    assert _name_run("Ritz", ["Book A Car From The Ritz To The Opera"], stops) is None
    assert _name_run("Is", ["Is the Orange Line running?"], stops) == ("Is", True)  # a first word may be any word
    assert _name_run("Cats", ["Cats was awful, one star"], stops) == ("Cats", True)

    cat = load_catalogue("tests/assets/natural/library.py")
    renew = lambda t: format_call("renew_loan", {"title": t}, cat)  # noqa: E731
    convs = _asks("can you renew The Covenant of Water, im not done with it yet", "extend Circe by two more weeks")
    out = copy_decode(lambda c, g: [], cat, convs, tiny_tokenizer, answers=[renew("Water"), renew("Circe")])
    assert [parse_tool_call(a, cat).arguments.get("title") for a in out] == ["The Covenant of Water", "Circe"]


def test_a_name_never_takes_another_arguments_number(tiny_tokenizer):
    """A copied name stops before the number another argument of the call holds: "give Carlos 30
    dollars" keeps recipient "Carlos" (a capitalised name and a number would otherwise run on, as
    "Invoice 4471" does), and a copied "PG&E 84" of "pay PG&E 84.50" is cut back to "PG&E"."""
    from toolrouter.formats.copy import copy_decode

    cat = load_catalogue("tests/assets/natural/banking.py")
    give = format_call("transfer_money", {"recipient": "Carlos", "amount": 30}, cat)
    pay = format_call("pay_bill", {"payee": "PG&E 84", "amount": 84.5}, cat)
    out = copy_decode(lambda c, g: [], cat, _asks("give Carlos 30 dollars", "pay PG&E 84.50"), tiny_tokenizer,
                      answers=[give, pay])
    assert [parse_tool_call(a, cat).arguments for a in out] == [
        {"recipient": "Carlos", "amount": 30}, {"payee": "PG&E", "amount": 84.5}]


def test_a_title_stops_where_the_tools_own_place_is_said(tiny_tokenizer):
    """A title runs on to the end of its clause, but not into a phrase about the tool's own thing: "add
    Dune to my watchlist" keeps "Dune" ("watchlist" is the tool's word), "put Frozen on the bedroom tv"
    keeps "Frozen"; a title followed by words that name nothing of the tool's still runs on to the end of
    its clause ("the last" -> "the last of us for later": the rule cannot tell where a title ends)."""
    from toolrouter.formats.copy import copy_decode

    cat = load_catalogue("tests/assets/natural/media.py")
    add = lambda t: format_call("add_to_watchlist", {"title": t}, cat)  # noqa: E731
    cast = format_call("cast_to_tv", {"title": "Frozen", "tv": "bedroom"}, cat)
    convs = _asks("add Dune to my watchlist", "put Frozen on the bedroom tv", "save the last of us for later please",
                  "can you save Arrival to my watchlist", "can you save Arrival to my watchlist")
    out = copy_decode(lambda c, g: [], cat, convs, tiny_tokenizer,
                      answers=[add("Dune"), cast, add("the last"), add("Arrival to my watchlist"), add("Arrival to")])
    # a copied "Arrival to my watchlist" is cut, and so is one that stopped on its "to"
    assert [parse_tool_call(a, cat).arguments["title"] for a in out] == [
        "Dune", "Frozen", "the last of us for later", "Arrival", "Arrival"]


def test_a_name_starts_where_the_requests_casing_says_names_start(tiny_tokenizer):
    """A name's span (a person, company or restaurant, or an argument said to be a name) starts at a run
    of capitalised words when the request is in sentence case with capitalised words past its first:
    the router reads requests lower-cased and took "see" for the pet in "can Rocky see the vet". A
    request in lower case, capitals or Title Case says nothing, and keeps every span."""
    from toolrouter.formats.copy import copy_grammars, name_starts

    text = "Max needs his shots, can we see the vet on January 12, 2027?"
    assert [text[i:i + 3] for i in name_starts(text)] == ["Max"]  # January is no name
    food = "order 3 bags of Blue Buffalo for the dog"
    assert [food[i:] for i in name_starts(food)] == ["Blue Buffalo for the dog"]  # never "Buffalo"
    assert [t[i:i + 5] for t in ["write to Professor Smith, I'm late"] for i in name_starts(t)] == ["Smith"]
    for said_nothing in ("book max at the vet", "BOOK MAX AT THE VET", "Book Max At The Vet", "I want a walk"):
        assert name_starts(said_nothing) == []
    cat = load_catalogue("tests/assets/natural/pets.py")
    sentence, lower = copy_grammars(cat, _asks(text, text.lower()), tiny_tokenizer)
    vet = lambda name: format_call("book_vet", {"pet_name": name, "date": "2027-01-12"}, cat)  # noqa: E731
    assert any(accepts_text(sentence, vet(n)) for n in ("Max", "max"))
    assert not any(accepts_text(sentence, vet(n)) for n in ("see", "see the vet", "shots", "january"))
    assert accepts_text(lower, vet("see"))  # all lower case: any span, as before
    # a field that is no name is left alone: the dog park's place may be any span
    park, = copy_grammars(cat, _asks("any dog parks near the old mill, Sam?"), tiny_tokenizer)
    assert accepts_text(park, format_call("find_dog_park", {"near": "the old mill"}, cat))


def test_an_optional_number_the_request_does_not_say_is_left_out(tiny_tokenizer):
    """The data writes a number, time or date only when its request says it, so a request that says none
    has none to give: an optional one is left out ("show me dogs up for adoption" was answered with
    max_age 1), and so is a tool that needs one ("log a walk" is the missing-argument no_tool, not a
    walk of 30 minutes); a tool needing one is kept where no other tool would be left (a required call,
    tool_choice "required", keeps its catalogue rule)."""
    cat = load_catalogue("tests/assets/natural/pets.py")
    bare, aged, walk = copy_grammars(cat, _asks("show me dogs up for adoption", "adoptable cats no older than 3",
                                                "log a walk"), tiny_tokenizer)
    adopt = lambda animal, **age: format_call("search_adoptions", {"animal": animal, **age}, cat)  # noqa: E731
    assert accepts_text(bare, adopt("dog")) and not accepts_text(bare, adopt("dog", max_age=1))
    assert accepts_text(aged, adopt("cat", max_age=3)) and not accepts_text(aged, adopt("cat", max_age=1))
    assert not accepts_text(walk, format_call("log_walk", {"minutes": 30}, cat))
    assert accepts_text(walk, format_no_tool("missing minutes for log_walk"))
    forced, = copy_grammars(cat, _asks("log a walk"), tiny_tokenizer, no_tool=False)
    assert accepts_text(forced, format_call("log_walk", {"minutes": 30}, cat))
    # a value said outside what the data draws ("72 degrees" for a car's temperature) still keeps its tool
    long, = copy_grammars(cat, _asks("log a walk of 500 minutes"), tiny_tokenizer)
    assert accepts_text(long, format_call("log_walk", {"minutes": 300}, cat))


def test_a_value_does_not_end_on_the_article_of_a_phrase_it_stopped_in(tiny_tokenizer):
    from toolrouter.formats.copy import copy_decode

    cat = load_catalogue("tests/assets/natural/pets.py")
    food = lambda b: format_call("order_pet_food", {"brand": b, "animal": "dog", "bags": 5}, cat)  # noqa: E731
    out = copy_decode(lambda c, g: [], cat, _asks("get five bags of Pedigree for my dog", "order Dog Chow for"),
                      tiny_tokenizer, answers=[food("Pedigree for my"), food("Dog Chow for")])
    # the request goes on past "for my": cut back; "for" ends the second request: left as copied
    assert [parse_tool_call(a, cat).arguments["brand"] for a in out] == ["Pedigree", "Dog Chow for"]


def test_money_and_thousands_are_read_as_numbers():
    """"$200", "€84.50" and "12,000" are numbers a request says (before, only bare digits were, so a
    tool needing an amount said "$200" was left out of "transfer $200 to my savings")."""
    from toolrouter.formats.copy import said_fields

    banking = said_fields(load_catalogue("tests/assets/natural/banking.py"))
    assert banking["transfer_money"]["amount"].read(["transfer $200 to my savings"]) == [200]
    assert banking["pay_bill"]["amount"].read(["pay PG&E €84.50 today"]) == [84.5]
    health = said_fields(load_catalogue("tests/assets/natural/health.py"))
    assert health["set_step_goal"]["steps"].read(["change my daily goal to 12,000 steps"]) == [12000]


def test_a_copied_value_never_starts_with_a_preposition_nor_is_an_article_alone(tiny_tokenizer):
    # a small router's worst spans: "search for online photography classes" -> topic "for", "submit my Essay
    # on Hamlet" -> assignment "my"; a value may still start with an article when it goes on ("the online ...")
    cat = load_catalogue("tests/assets/natural/school.py")
    topic = lambda t: format_call("find_course", {"topic": t}, cat)  # noqa: E731
    essay = lambda a: format_call("submit_assignment", {"course": "ENG 210", "assignment": a}, cat)  # noqa: E731
    find, submit, only = copy_grammars(cat, _asks("search for the online photography classes",
                                                  "submit my Essay on Hamlet for ENG 210", "for"), tiny_tokenizer)
    assert accepts_text(find, topic("online photography")) and accepts_text(find, topic("photography classes"))
    assert accepts_text(find, topic("the online photography"))
    assert not any(accepts_text(find, topic(t)) for t in ("for", "for the online photography", "the"))
    assert accepts_text(submit, essay("Essay on Hamlet"))
    # (the catalogue shows assignments as capitalised names, "Lab Report 3": one starts at its capital)
    assert not any(accepts_text(submit, essay(a)) for a in ("my", "on Hamlet", "my Essay on Hamlet"))
    assert accepts_text(only, topic("for"))  # a request of nothing else keeps it: the grammar is never empty


def test_a_no_tool_whose_missing_argument_the_request_says_is_decoded_again_as_that_tool(tiny_tokenizer):
    from toolrouter.formats.copy import copy_decode

    cat = load_catalogue("tests/assets/natural/school.py")
    room = format_call("book_study_room", {"date": "2027-02-01", "time": "11:00", "hours": 2}, cat)
    asks = _asks("book me a room in the library on February 1, 2027 at 11 for two hours",  # says the time
                 "book a study room for tomorrow",  # says neither time nor hours: the reason stands
                 "I need a study room January 14, 2027 from 9 for an hour")  # "an hour": 1
    first = [format_no_tool("missing time for book_study_room"), format_no_tool("missing time and hours for "
                                                                                "book_study_room"),
             format_no_tool("missing hours for book_study_room")]
    calls = []

    def generate(conversations, grammars):
        calls.append([c[-1]["content"] for c in conversations])
        (grammar,) = grammars  # one tool, a call required: no no_tool, no other tool
        assert not accepts_text(grammar, format_no_tool("missing time for book_study_room"))
        assert not accepts_text(grammar, format_call("pay_tuition", {"amount": 11}, cat))
        if "February" in conversations[0][-1]["content"]:
            assert accepts_text(grammar, room)
            return [room]
        return [format_call("book_study_room", {"date": "2027-01-14", "time": "09:00", "hours": 1}, cat)]

    out = copy_decode(generate, cat, asks, tiny_tokenizer, answers=first)
    assert [c[0].split()[0] for c in calls] == ["book", "I"]
    assert out[0] == room and out[1] == first[1]
    assert parse_tool_call(out[2], cat).arguments["hours"] == 1


def test_a_message_that_starts_late_runs_back_to_the_word_that_introduces_it(tiny_tokenizer):
    from toolrouter.formats.copy import copy_decode

    cat = load_catalogue("tests/assets/natural/school.py")
    mail = lambda p, m: format_call("email_professor", {"professor": p, "message": m}, cat)  # noqa: E731
    asks = _asks("email Patel saying thanks for the recommendation letter",
                 "send an email to Professor Garcia: can we meet during office hours?",
                 "message Professor Brown that the link to the quiz is broken",  # Brown stands between: as it is
                 "email Okafor saying see you. the lab is done",  # a sentence ends between: as it is
                 "message Professor Brown that the link to the quiz is broken",  # "to" is not Brown's: runs on
                 "send a note saying running late to Professor Kim")  # "to" Kim's: stops
    first = [mail("Patel", "letter"), mail("Garcia", "meet during office hours"),
             mail("Brown", "the link to the quiz is broken"), mail("Okafor", "the lab is done"),
             mail("Brown", "that the link"), mail("Kim", "running late")]
    out = copy_decode(lambda c, g: [], cat, asks, tiny_tokenizer, answers=first)
    assert [parse_tool_call(a, cat).arguments["message"] for a in out] == [
        "thanks for the recommendation letter", "can we meet during office hours?", "the link to the quiz is broken",
        "the lab is done", "that the link to the quiz is broken", "running late"]


def test_a_lone_number_is_no_date_so_a_tool_that_needs_one_is_left_out():
    from toolrouter.formats.copy import _bank_fields, _says_a_value

    assert not _says_a_value(["turn in Problem Set 5 for Physics"], "date")
    assert all(_says_a_value([t], "date") for t in ("on the 5th", "12/3 at noon", "January 14", "in 2027", "tomorrow"))
    assert _says_a_value(["turn in Problem Set 5 for Physics"], "number")  # still a number
    cat = load_catalogue("tests/assets/natural/school.py")
    bank = _bank_fields(cat)
    fields, said, names = bank.copied, bank.said, bank.names
    derived = copy_catalogue(cat, ["turn in Problem Set 5 for Physics"], fields, lower=True, said=said, names=names,
                             unsaid_out=True)
    assert "book_study_room" not in derived.names and "submit_assignment" in derived.names


def test_a_bare_number_is_a_time_only_where_no_time_is_said_as_one():
    cat = load_catalogue("tests/assets/natural/school.py")
    from toolrouter.formats.copy import _bank_fields

    bank = _bank_fields(cat)
    fields, said, names = bank.copied, bank.said, bank.names

    def times(text):
        derived = copy_catalogue(cat, [text], fields, lower=True, said=said, names=names, unsaid_out=True)
        return derived["book_study_room"].properties["time"].get("enum")

    assert times("a study room for 6 on December 15, 2026 at 6pm for 2 hours") == ["18:00"]  # not 06:00 of "for 6"
    assert times("a study room on February 1, 2027 at 11 for two hours") == ["11:00"]  # a bare one, when alone


def test_a_tool_subset_of_a_catalogue_whose_bank_names_other_tools_copies(tmp_path, tiny_tokenizer):
    # a run dir keeps the drafted bank beside its catalogue, and its near-miss groups name their tools
    # (`tool: check_grade`); a subset of the catalogue (a belied no_tool's one tool, the server's tools)
    # compiled that bank and stopped on "no tool 'check_grade' in the catalogue"
    import shutil

    from toolrouter.data.draft import draft_yaml
    from toolrouter.formats.copy import copy_decode

    shutil.copy("tests/assets/natural/school.py", tmp_path / "school.py")
    cat = load_catalogue(str(tmp_path / "school.py"))
    (tmp_path / "school.bank.yaml").write_text(draft_yaml(cat))
    assert "tool: check_grade" in (tmp_path / "school.bank.yaml").read_text()
    room = format_call("book_study_room", {"date": "2027-02-01", "time": "11:00", "hours": 2}, cat)
    out = copy_decode(lambda c, g: [room], cat, _asks("book a room on February 1, 2027 at 11 for two hours"),
                      tiny_tokenizer, answers=[format_no_tool("missing time for book_study_room")])
    assert out == [room]


def test_a_city_starts_where_the_requests_casing_says_a_name_starts(tiny_tokenizer):
    # "where can we stay in Queenstown?" wrote city "we": a city is a name, as a person's or a company's is
    cat = load_catalogue("tests/assets/natural/home_assistant.py")
    weather = lambda c: format_call("get_weather", {"city": c}, cat)  # noqa: E731
    (sentence, lower) = copy_grammars(cat, _asks("will it rain where we stay in Oslo on Friday?",
                                                 "will it rain where we stay in oslo on friday?"), tiny_tokenizer)
    assert accepts_text(sentence, weather("Oslo")) and not accepts_text(sentence, weather("we"))
    assert accepts_text(lower, weather("stay"))  # lower case says nothing of where names are
    assert not accepts_text(lower, weather("we"))  # but no place starts with a pronoun


def test_a_date_said_without_its_year_takes_the_one_year_the_request_says():
    """"from December 21 to December 31, 2026": the first date is 2026-12-21 (the reader found only the
    second, so the router could write no other start). No year said, or two: such a date says nothing."""
    from toolrouter.formats.copy import said_fields

    reader = said_fields(load_catalogue("tests/assets/natural/workplace.py"))["request_time_off"]["start_date"]
    assert reader.read(["vacation from December 21 to December 31, 2026"]) == ["2026-12-21", "2026-12-31"]
    assert reader.read(["personal leave March 3 through March 5, 2027?"]) == ["2027-03-03", "2027-03-05"]
    assert reader.read(["off from the 3rd of May to the 9th of May 2027"]) == ["2027-05-03", "2027-05-09"]
    assert reader.read(["vacation from December 21 to December 31"]) == []
    assert reader.read(["from December 21, 2026 to January 4, 2027 and May 2"]) == ["2026-12-21", "2027-01-04"]
    assert reader.read(["February 30 to March 2, 2027"]) == ["2027-03-02"]  # no such day


def test_a_holiday_is_read_as_its_date_of_the_year_said():
    """"a wake up call on New Year's Day 2027" says 2027-01-01 (the data names holidays: values.say_date), and
    Thanksgiving is the fourth Thursday of the year said."""
    from toolrouter.formats.copy import said_fields

    reader = said_fields(load_catalogue("tests/assets/natural/workplace.py"))["request_time_off"]["start_date"]
    assert reader.read(["Could I have a day off on New Year's Day 2027?"]) == ["2027-01-01"]
    assert reader.read(["off for thanksgiving 2026 please"]) == ["2026-11-26"]
    assert reader.read(["off on christmas eve, 2026 and christmas day, 2026"]) == ["2026-12-24", "2026-12-25"]


def test_two_dates_of_one_call_are_the_two_the_request_says_each_where_its_words_put_it(tiny_tokenizer):
    """copy_decode: a router that writes one date for both ends of a range ("2027-02-15 to 2027-02-19" ->
    start and end both 2027-02-15) gets the two the request says, in the order it says them; a swapped pair
    is put back where the words before them say ("through" ends a range); one date said stays one date."""
    from toolrouter.formats.copy import copy_decode

    cat = load_catalogue("tests/assets/natural/workplace.py")
    off = lambda a, b: format_call("request_time_off", {"start_date": a, "end_date": b}, cat)  # noqa: E731
    asks = _asks("request time off 2027-02-15 to 2027-02-19", "vacation from December 21 to December 31, 2026",
                 "personal leave March 3 through March 5, 2027", "a sick day on December 2, 2026",
                 "off 2027-06-01 and 2027-06-04")
    first = [off("2027-02-15", "2027-02-15"), off("2026-12-31", "2026-12-31"), off("2027-03-05", "2027-03-03"),
             off("2026-12-02", "2026-12-02"), off("2027-06-04", "2027-06-01")]

    def generate(conversations, grammars):
        raise AssertionError("placed by rule, not decoded again")

    out = [parse_tool_call(a, cat).arguments for a in copy_decode(generate, cat, asks, tiny_tokenizer, answers=first)]
    assert [(o["start_date"], o["end_date"]) for o in out] == [
        ("2027-02-15", "2027-02-19"), ("2026-12-21", "2026-12-31"), ("2027-03-03", "2027-03-05"),
        ("2026-12-02", "2026-12-02"),
        ("2027-06-04", "2027-06-01")]  # two dates whose words say nothing of which is which: the router's pair


def test_a_no_tool_whose_missing_choice_the_request_says_is_decoded_again(tiny_tokenizer):
    """"missing month for check_payslip" of "can I see my March 2026 payslip?": the data says the month
    ("March"), so the router's own reason is belied and it decodes again as that tool; "get my payslip"
    says no month, and its no_tool stands."""
    from toolrouter.formats.copy import copy_decode

    cat = load_catalogue("tests/assets/natural/workplace.py")
    slip = format_call("check_payslip", {"month": "march", "year": 2026}, cat)
    asks = _asks("can I see my March 2026 payslip?", "get my payslip")
    first = [format_no_tool("missing month for check_payslip")] * 2
    seen = []

    def generate(conversations, grammars):
        seen.append(conversations[0][-1]["content"])
        assert accepts_text(grammars[0], slip) and not accepts_text(grammars[0], first[0])
        return [slip]

    out = copy_decode(generate, cat, asks, tiny_tokenizer, answers=first)
    assert seen == ["can I see my March 2026 payslip?"]
    assert out == [slip, first[1]]


def test_a_name_in_a_short_sentence_case_request_starts_where_its_capitals_do(tiny_tokenizer):
    """"who's Olivia Park in HR?" has more capitalised words than not, but its small words ("in") are lower
    case: it is sentence case, and the colleague's name starts at "Olivia" (the router wrote "Park"). A
    name copied with its possessive ("Kenji Watanabe's extension") is the name."""
    from toolrouter.formats.copy import copy_decode, name_starts

    text = "who's Olivia Park in HR?"
    assert [text[i:i + 6] for i in name_starts(text)] == ["Olivia", "HR?"]
    assert name_starts("Olivia Park In HR") == [] and name_starts("OLIVIA PARK IN HR") == []
    cat = load_catalogue("tests/assets/natural/workplace.py")
    (grammar,) = copy_grammars(cat, _asks(text), tiny_tokenizer)
    find = lambda n: format_call("find_colleague", {"name": n, "department": "hr"}, cat)  # noqa: E731
    assert accepts_text(grammar, find("Olivia Park")) and not accepts_text(grammar, find("Park"))
    asks = _asks("what's Kenji Watanabe's extension?")
    out = copy_decode(lambda c, g: [], cat, asks, tiny_tokenizer,
                      answers=[format_call("find_colleague", {"name": "Kenji Watanabe's"}, cat)])
    assert parse_tool_call(out[0], cat).arguments == {"name": "Kenji Watanabe"}


def test_a_rate_is_no_count_and_a_head_count_in_people_is_the_guests():
    """"under $150 a night ... 5 nights": "a night" after a price is a rate, so the nights are 5, not 1;
    "for 4 people ... 6 nights": four people are the guests, and the 4 is no number of nights; "for a
    week" is 7 nights."""
    from toolrouter.formats.copy import said_fields, said_readings

    hotels = said_fields(load_catalogue("tests/assets/natural/travel.py"))["search_hotels"]

    def read(text):
        out = {}
        for *_, value, arg in said_readings(hotels, [text]):
            out.setdefault(arg, set()).add(value)
        return out

    assert read("hotels in Cape Town under $150 a night, check in February 2, 2027, 5 nights") == {
        "check_in": {"2027-02-02"}, "nights": {5}, "max_price": {150}}
    assert read("hotel in Seoul for 4 people, 2027-04-10, 6 nights") == {
        "check_in": {"2027-04-10"}, "nights": {6}, "guests": {4}}
    assert read("a place in Chicago, arriving December 20, 2026, for a week")["nights"] == {7}
    assert read("a hotel in Oslo for a night on May 3, 2027")["nights"] == {1}


def test_a_no_tool_missing_a_name_the_requests_casing_shows_is_decoded_again(tiny_tokenizer):
    """"missing from_city for book_train" of "book the train Rome to Naples April 2, 2027": the casing shows
    two names, as many as the tool needs, so the reason is belied; "a train to Naples on April 2, 2027"
    shows one, and in lower case nothing is shown: those reasons stand."""
    from toolrouter.formats.copy import copy_decode

    cat = load_catalogue("tests/assets/natural/travel.py")
    train = format_call("book_train", {"from_city": "Rome", "to_city": "Naples", "date": "2027-04-02"}, cat)
    asks = _asks("book the train Rome to Naples April 2, 2027", "a train to Naples on April 2, 2027",
                 "book the train rome to naples april 2, 2027", "Book a train to Naples on April 2, 2027")
    first = [format_no_tool("missing from_city for book_train")] * 4
    hotel = format_call("search_hotels", {"city": "Montreal", "check_in": "2027-01-22", "nights": 1}, cat)
    (again,) = copy_decode(lambda c, g: [hotel], cat, _asks("Montreal hotels, 1 night, January 22, 2027"),
                           tiny_tokenizer, answers=[format_no_tool("missing city for search_hotels")])
    assert again == hotel  # a first word that is no opener nor the catalogue's may be the name
    seen = []

    def generate(conversations, grammars):
        seen.append(conversations[0][-1]["content"])
        return [train]

    out = copy_decode(generate, cat, asks, tiny_tokenizer, answers=first)
    assert seen == [asks[0][0]["content"]]
    assert out == [train, first[1], first[2], first[3]]  # a capitalised first word is no name shown


def test_a_belied_no_tools_call_is_kept_apart_under_its_one_tool_grammar(tiny_tokenizer):
    """The call a belied no_tool gave ("Rome to Naples" as from Naples to Naples) is decoded again with its two
    cities kept apart under the same one-tool grammar, a call required: under the whole catalogue's the router
    answered its no_tool again and the two cities stayed one."""
    from toolrouter.formats.copy import copy_decode

    cat = load_catalogue("tests/assets/natural/travel.py")
    train = lambda a, b: format_call("book_train", {"from_city": a, "to_city": b, "date": "2027-04-02"}, cat)  # noqa: E731
    no = format_no_tool("missing from_city for book_train")
    script = [train("Naples", "Naples"), train("Rome", "Naples"), train("Naples", "Rome")]
    grammars_seen = []

    def generate(conversations, grammars):
        (grammar,) = grammars
        grammars_seen.append(grammar)
        assert not accepts_text(grammar, no)
        return [script[len(grammars_seen) - 1]]

    out = copy_decode(generate, cat, _asks("book the train Rome to Naples April 2, 2027"), tiny_tokenizer, answers=[no])
    assert len(grammars_seen) == 3
    assert parse_tool_call(out[0], cat).arguments == {"from_city": "Rome", "to_city": "Naples", "date": "2027-04-02"}


def test_a_name_or_place_starts_with_no_pronoun_auxiliary_or_wh_word(tiny_tokenizer):
    """"how do I get from Union Station to the Art Institute": the router wrote start "do i get"; a place (or
    a name) is no span that starts with "do", "i" or "how". A message may: "can we meet during office hours?"."""
    travel = load_catalogue("tests/assets/natural/travel.py")
    ask = "how do I get from Union Station to the Art Institute on public transport?"
    (grammar,) = copy_grammars(travel, _asks(ask), tiny_tokenizer)
    way = lambda s: format_call("get_directions", {"destination": "the Art Institute", "start": s}, travel)  # noqa: E731
    assert accepts_text(grammar, way("Union Station"))
    assert not any(accepts_text(grammar, way(s)) for s in ("do I get", "I get", "how do I get"))
    school = load_catalogue("tests/assets/natural/school.py")
    (mail,) = copy_grammars(school, _asks("email Professor Garcia: can we meet during office hours?"), tiny_tokenizer)
    assert accepts_text(mail, format_call("email_professor", {"professor": "Garcia",
                                                              "message": "can we meet during office hours?"}, school))


def test_an_id_without_a_pattern_is_a_chunk_shaped_like_one(tiny_tokenizer):
    """An order number the data draws from its ID provider ("482913", "AB1234", "XYZ-123") always has a digit;
    the router copied "one ticket" and "just" for it. Where the request has such a chunk the ID is one of
    them; a day or a year is none ("1", "2026"); where it has none the spans stay."""
    from toolrouter.formats.copy import _ID_SHAPE, format_candidates

    assert format_candidates(["reading for December 1, 2026: ref 46015 or #4471, AB1234"], _ID_SHAPE) == [
        "46015", "#4471", "AB1234"]
    cat = load_catalogue("tests/assets/natural/events.py")
    send = lambda o: format_call("transfer_ticket", {"order_number": o, "recipient_email": "sam.lee@outlook.com"},  # noqa: E731
                                 cat)
    shaped, bare = copy_grammars(cat, _asks("transfer one ticket from TK-90577 to sam.lee@outlook.com",
                                            "send my tickets to sam.lee@outlook.com"), tiny_tokenizer)
    assert not any(accepts_text(shaped, send(o)) for o in ("one ticket", "just", "ticket"))
    assert any(accepts_text(shaped, send(o)) for o in ("TK-90577", "tk-90577"))
    assert accepts_text(bare, send("my tickets"))  # no ID-shaped chunk: any span, as before


def test_a_field_shown_by_capitalised_examples_is_a_name_and_a_numbered_code_may_be_short(tiny_tokenizer):
    """A field whose catalogue examples are two or more capitalised words ("Red Line", "Route 14") is a name:
    in a sentence-case request its span starts where a name does (the router took "delayed" for the line in
    "is the Red Line delayed?"). One example says nothing ("near": "Riverside" may be "the old mill"). An
    ID shown by a plain-number example ("4021") may be a chunk of 3 or 4 digits, never a year: "zone 519"."""
    from toolrouter.formats.copy import _bank_fields

    cat = load_catalogue("tests/assets/natural/commute.py")
    bank = _bank_fields(cat)
    assert ("check_service_alerts", "line") in bank.names and ("pay_parking", "zone_code") in bank.numbered
    assert ("find_dog_park", "near") not in _bank_fields(load_catalogue("tests/assets/natural/pets.py")).names
    line = lambda v: format_call("check_service_alerts", {"line": v}, cat)  # noqa: E731
    park = lambda z: format_call("pay_parking", {"zone_code": z, "duration_minutes": 15}, cat)  # noqa: E731
    alerts, meter, year = copy_grammars(cat, _asks("is the Red Line delayed?", "feed the meter in zone 6604 for 15 minutes",
                                                   "zone 519 on January 3, 2027 for 15 minutes"), tiny_tokenizer)
    assert accepts_text(alerts, line("Red Line")) and not any(accepts_text(alerts, line(v)) for v in ("delayed", "the Red Line"))
    assert accepts_text(meter, park("6604")) and not any(accepts_text(meter, park(v)) for v in ("meter", "in", "15"))
    assert accepts_text(year, park("519")) and not accepts_text(year, park("2027"))


def test_a_required_name_copied_as_a_word_that_names_nothing_is_the_missing_ask(tiny_tokenizer):
    """A required copied name or place that is only words naming nothing ("unlock a scooter for me" ->
    station "me", "how many books ..." -> query "many") is the data's missing ask (decoding it again kept off
    it, as a value astray is, gave "check" for "how many books can I check out": tried, not kept); a message
    may be any words ("where are you"), and a word the request capitalises may be a title."""
    from toolrouter.formats.copy import copy_decode

    cat = load_catalogue("tests/assets/natural/commute.py")
    bike = lambda s: format_call("rent_bike", {"station": s, "vehicle": "scooter"}, cat)  # noqa: E731
    out = copy_decode(lambda c, g: [], cat, _asks("unlock a scooter for me", "unlock a scooter at City Hall"),
                      tiny_tokenizer, answers=[bike("me"), bike("City Hall")])
    assert parse_tool_call(out[0], cat).reason == "missing station for rent_bike"
    assert parse_tool_call(out[1], cat).arguments["station"] == "City Hall"
    home = load_catalogue("tests/assets/natural/home_assistant.py")
    text = format_call("send_text", {"to": "Maria", "message": "where are you"}, home)
    (same,) = copy_decode(lambda c, g: [], home, _asks("txt Maria where are you"), tiny_tokenizer, answers=[text])
    assert parse_tool_call(same, home).arguments == {"to": "Maria", "message": "where are you"}
    support = load_catalogue("support_router")  # free text is scored by overlap: any words may be its reason
    refund = format_call("request_refund", {"order_id": "ORD-27614", "reason": "it"}, support)
    assert copy_decode(lambda c, g: [], support, _asks("My kid ordered ORD-27614 without permission. Can you refund it?"),
                       tiny_tokenizer, answers=[refund]) == [refund]
    (kept,) = copy_decode(lambda c, g: [], cat, _asks("unlock a scooter for me"), tiny_tokenizer, answers=[bike("me")],
                          no_tool=False)  # a call required: kept as it is
    assert parse_tool_call(kept, cat).arguments["station"] == "me"


def test_a_name_astray_is_the_one_the_request_shows_after_its_own_preposition(tiny_tokenizer):
    """A copied name or place that stands after none of its anchor words is the one name the request's
    capitals show right after a preposition only that argument is introduced by ("from" the origin, "to"
    the destination); then it runs on as any copied name ("Pier" -> "Pier 52"). Unchanged where the value
    stands after its word, where the request shows no such name, or where another argument holds it."""
    from toolrouter.formats.copy import copy_decode

    cat = load_catalogue("tests/assets/natural/commute.py")
    trip = lambda o, d: format_call("plan_transit_trip", {"origin": o, "destination": d}, cat)  # noqa: E731
    convs = _asks("I need to get from Chinatown to Faneuil Hall in the morning",
                  "can I take the ferry from Pier 52 to Bainbridge Island",
                  "subway from Central Square to Kendall, my friend uses a wheelchair",
                  "from the hotel lobby to the airport")
    out = copy_decode(lambda c, g: [], cat, convs, tiny_tokenizer,
                      answers=[trip("the morning", "Faneuil Hall"), trip("the ferry", "Bainbridge Island"),
                               trip("wheelchair", "Central Square"), trip("the airport", "the airport")])
    assert [parse_tool_call(a, cat).arguments for a in out] == [
        {"origin": "Chinatown", "destination": "Faneuil Hall"},
        {"origin": "Pier 52", "destination": "Bainbridge Island", "mode": "ferry"},  # (the mode it says: _said_values)
        {"origin": "Central Square", "destination": "Kendall", "mode": "subway"},
        {"origin": "the airport", "destination": "the airport"}]  # no capitals: the router's own guess stays


def test_an_out_of_scope_no_tool_for_a_request_naming_what_one_tool_does_is_decoded_again_as_it(tiny_tokenizer):
    """A no_tool the router calls out of scope (or a question about what it can do), for a request that
    names something by its capitals and says one tool's own words more than any other's, is decoded again
    as that tool, a call required ("sign me up for Toddler Storytime": register_for_event). A missing
    argument, a near miss or a domain question is the router's own answer, and a request that names
    nothing ("write me a haiku about autumn leaves") or says no tool's words stays out of scope."""
    from toolrouter.formats.copy import _tool_words, copy_decode, named_in_scope

    cat = load_catalogue("tests/assets/natural/library.py")
    words = _tool_words(cat)
    ask = ["sign me up for Toddler Storytime"]
    assert named_in_scope(cat, ask, "out of scope: advice", words) == "register_for_event"
    assert named_in_scope(cat, ask, "question: capabilities", words) == "register_for_event"
    for reason in ("missing event_name for register_for_event", "not supported: cancel event",
                   "question no tool answers: event", "greeting"):
        assert named_in_scope(cat, ask, reason, words) is None
    assert named_in_scope(cat, ["sign me up for toddler storytime"], "out of scope: advice", words) is None
    assert named_in_scope(cat, ["what's the weather in Paris?"], "out of scope: weather", words) is None

    event = format_call("register_for_event", {"event_name": "Toddler Storytime"}, cat)

    def generate(conversations, grammars):
        (grammar,) = grammars  # one tool, a call required
        assert not accepts_text(grammar, format_no_tool("out of scope: advice")) and accepts_text(grammar, event)
        return [event]

    out = copy_decode(generate, cat, _asks(*ask, "what's the weather in Paris?"), tiny_tokenizer,
                      answers=[format_no_tool("out of scope: advice"), format_no_tool("out of scope: weather")])
    assert out == [event, format_no_tool("out of scope: weather")]
    # the call that grammar required stays a call, even where its name names nothing ("me")
    me = format_call("register_for_event", {"event_name": "me"}, cat)
    assert copy_decode(lambda c, g: [me], cat, _asks("Toddler Storytime: sign me up"), tiny_tokenizer,
                       answers=[format_no_tool("out of scope: advice")]) == [me]


def test_an_argument_the_request_says_is_what_it_says(tiny_tokenizer):
    """copy_decode: an optional argument the request says in the data's words and the router left out is
    read in ("remind me an hour before" -> reminder_minutes 60; "quarter past eight in the morning" is 08:15,
    the reading said first; a choice said in the plural: "concerts"); a bare number says no optional value
    ("one GA ticket": no max_price), and a reading another argument stands on is not read twice."""
    from toolrouter.formats.copy import copy_decode

    def generate(conversations, grammars):
        raise AssertionError("read by rule, not decoded again")

    events = load_catalogue("tests/assets/natural/events.py")
    cal = {"title": "Coldplay", "date": "2027-06-12", "start_time": "19:30"}
    asks = _asks("put Coldplay in my calendar for June 12, 2027 at 7:30pm and remind me an hour before",
                 "any concerts in Seattle under $50?", "I need one GA ticket for Khruangbin",
                 "put Coldplay in my calendar for June 12, 2027 at 7:30pm")
    first = [format_call("add_to_calendar", cal, events),
             format_call("find_events", {"city": "Seattle", "max_price": 50}, events),
             format_call("find_events", {"city": "Khruangbin"}, events),
             format_call("add_to_calendar", cal, events)]
    out = [parse_tool_call(a, events).arguments for a in copy_decode(generate, events, asks, tiny_tokenizer, answers=first)]
    assert out == [{**cal, "reminder_minutes": 60}, {"city": "Seattle", "category": "concert", "max_price": 50},
                   {"city": "Khruangbin"}, cal]
    assert list(out[1]) == ["city", "category", "max_price"]  # in the schema's order

    home = load_catalogue("tests/assets/natural/home_services.py")
    visit = {"service": "plumbing", "date": "2027-02-02"}
    (ask,) = _asks("schedule a plumbing visit February 2, 2027, quarter past eight in the morning")
    (answer,) = copy_decode(generate, home, [ask], tiny_tokenizer, answers=[format_call("book_service", visit, home)])
    assert parse_tool_call(answer, home).arguments == {**visit, "arrival_time": "08:15"}
    # a choice the request belies is the one it says
    asks = _asks("water meter shows 988", "sunday cleaning every week, 8 hours, we have a big house")
    first = [format_call("submit_meter_reading", {"meter": "electricity", "reading": 988}, home),
             format_call("schedule_recurring_cleaning", {"frequency": "weekly", "day": "thursday", "hours": 8}, home)]
    out = [parse_tool_call(a, home).arguments for a in copy_decode(generate, home, asks, tiny_tokenizer, answers=first)]
    assert out == [{"meter": "water", "reading": 988}, {"frequency": "weekly", "day": "sunday", "hours": 8}]


def test_a_call_whose_tool_the_request_names_far_less_than_another_is_decoded_again_as_that_one(tiny_tokenizer):
    """copy_decode: "electricity meter reading 45872" read as track_technician (the number's shape) says
    "meter" and "reading", two words only submit_meter_reading has: decoded again as that tool, a call
    required. A call whose words are said as much as any other tool's stands (said_tool is None)."""
    from toolrouter.formats.copy import copy_decode, said_tool

    home = load_catalogue("tests/assets/natural/home_services.py")
    meter = format_call("submit_meter_reading", {"meter": "electricity", "reading": 45872}, home)
    track = format_call("track_technician", {"booking_reference": "45872"}, home)
    seen = []

    def generate(conversations, grammars):
        seen.append(conversations[0][-1]["content"])
        assert accepts_text(grammars[0], meter) and not accepts_text(grammars[0], track)
        return [meter]

    asks = _asks("electricity meter reading 45872", "track my technician for HS-19876")
    first = [track, format_call("track_technician", {"booking_reference": "HS-19876"}, home)]
    assert copy_decode(generate, home, asks, tiny_tokenizer, answers=first) == [meter, first[1]]
    assert seen == ["electricity meter reading 45872"]
    assert said_tool(home, ["track my technician for HS-19876"], "track_technician") is None
    assert said_tool(home, ["gas meter says 03391"], "track_technician") is None  # one word ("meter") is no lead
    travel = load_catalogue("tests/assets/natural/travel.py")
    assert said_tool(travel, ["find hotels in Porto for 3 nights from March 14, 2027"], "book_train") == "search_hotels"
    # no tool leads where the words are shared: car_control's zones and seats are many tools' words
    cars = load_catalogue("car_control")
    assert said_tool(cars, ["Raise the temperature a notch in the driver, passenger, rear"], "adjust_temperature") is None


def test_a_call_whose_required_time_or_date_the_request_never_says_is_the_missing_ask(tiny_tokenizer):
    """copy_decode: "put Coldplay in my calendar for June 12, 2027" says no time, so a call with a start time
    the router made up ("07:00") is the data's own "missing start_time for add_to_calendar"; with the time
    said ("at 7:30pm", "at noon") the call stands, and the server's required call (no_tool=False) is kept."""
    from toolrouter.formats.copy import copy_decode

    def generate(conversations, grammars):
        raise AssertionError("judged by rule, not decoded again")

    events = load_catalogue("tests/assets/natural/events.py")
    made_up = format_call("add_to_calendar", {"title": "Coldplay", "date": "2027-06-12", "start_time": "07:00"}, events)
    noon = format_call("add_to_calendar", {"title": "Coldplay", "date": "2027-06-12", "start_time": "12:00"}, events)
    asks = _asks("put Coldplay in my calendar for June 12, 2027", "put Coldplay in my calendar for June 12, 2027 at noon")
    out = copy_decode(generate, events, asks, tiny_tokenizer, answers=[made_up, noon])
    assert parse_tool_call(out[0], events).reason == "missing start_time for add_to_calendar"
    assert out[1] == noon
    assert copy_decode(generate, events, asks[:1], tiny_tokenizer, answers=[made_up], no_tool=False) == [made_up]


def test_a_call_for_a_request_that_leads_with_an_action_no_tool_does_is_the_near_miss(tiny_tokenizer):
    """copy_decode: "can you please cancel my tickets for Wicked" read as a call is the data's near-miss
    no_tool ("not supported: cancel tickets"); "change the thermostat to 17" asks a tool that sets it, and a
    catalogue whose tools do the verb ("remove" for a shopping list) keeps the call."""
    from toolrouter.formats.copy import copy_decode, near_miss_verb

    def generate(conversations, grammars):
        raise AssertionError("judged by rule, not decoded again")

    events = load_catalogue("tests/assets/natural/events.py")
    call = format_call("buy_tickets", {"event_name": "Wicked", "quantity": 2}, events)
    (out,) = copy_decode(generate, events, _asks("can you please cancel my 2 tickets for Wicked"), tiny_tokenizer,
                         answers=[call])
    assert parse_tool_call(out, events).reason == "not supported: cancel 2"
    assert near_miss_verb(events, "remove the Knicks game from my calendar") == "remove"
    assert near_miss_verb(events, "buy 2 tickets for Wicked") is None
    household = load_catalogue("tests/assets/natural/household.py")
    assert near_miss_verb(household, "change the thermostat to 17 in the bedroom") is None
    from pydantic import Field

    from toolrouter import Tool
    from toolrouter.core.catalogue import Catalogue

    class RemoveFromList(Tool):
        """Remove an item from my shopping list."""
        item: str = Field(description="The item.")

    assert near_miss_verb(Catalogue([RemoveFromList], name="t"), "remove milk from the list") is None


def test_a_value_the_catalogue_shows_led_by_a_number_keeps_the_number():
    """auto_care shows vehicles as "2015 Honda Accord"; the router copied "Subaru Outback" of "a 2016 Subaru
    Outback". The number that leads the copied value in the request joins it; one inside another number does not."""
    from toolrouter.formats.copy import _bank_fields, _number_led

    assert _bank_fields(load_catalogue("tests/assets/natural/auto_care.py")).led == {("get_repair_quote", "vehicle")}
    assert _bank_fields(load_catalogue("support_router")).led == set()
    assert _number_led("Subaru Outback", ["replace the alternator on a 2016 Subaru Outback"]) == "2016 Subaru Outback"
    assert _number_led("Kia Soul", ["a 3.5 Kia Soul"]) == "Kia Soul"
    assert _number_led("2020 Kia Soul", ["my 2020 Kia Soul"]) == "2020 Kia Soul"


def test_a_no_tool_reason_the_data_never_writes_is_said_by_its_kind():
    """The reason is free under the grammar and a scratch router wanders off in it; what a user reads is the kind
    of the data's reason it starts like. Reasons the data writes, missing asks of the tool's own arguments and the
    near-miss rule's "not supported: ..." stay as they are."""
    from toolrouter.formats.copy import _bank_fields, _reason_kind

    hotel = load_catalogue("tests/assets/natural/hotel_stay.py")
    known = _bank_fields(hotel).reasons
    assert "greeting" in known and "missing item for order_room_service" in known

    def kind(reason):
        return _reason_kind(reason, known, hotel)

    for kept in ("greeting", "missing item for order_room_service", "not supported: cancel my room service",
                 "missing date and start_time for book_spa_treatment"):
        assert kind(kept) == kept
    assert kind("out of scope:30505050505no_tool") == "out of scope"
    assert kind("question no tool share late checkout") == "question no tool answers"
    assert kind("missingtrue}} of scope:report_room_issue") == "missing an argument"
    assert kind("missing foo for order_room_service") == "missing an argument"  # no such argument
    assert kind("xyz") == "no tool fits"


def test_an_optional_name_or_place_copied_as_a_word_that_names_none_is_left_out():
    """A scratch router adds an optional shop or location where a natural request says more words than the
    templates do, and copies the nearest word (auto_care: shop "bring" of "I'll bring it in at 8", location
    "almost" of "I'm almost on empty", shop "Dec 10" of "on Dec 10 2026"). A bare lower-case word or words on
    another argument's reading are no name or place; "home", a capitalised name and "the airport" stay."""
    from toolrouter.formats.copy import _bank_fields, _names_no_place, said_readings

    cat = load_catalogue("tests/assets/natural/auto_care.py")
    bank = _bank_fields(cat)
    optional = {a for t, a in bank.phrases if t == "book_car_service"} - set(cat["book_car_service"].required)
    assert optional == {"shop"}
    readers = {**bank.said["book_car_service"], **bank.chosen["book_car_service"]}

    def kept(args, text):
        return _names_no_place(args, [text], optional, said_readings(readers, [text]))

    call = {"service": "full_service", "date": "2027-01-02"}
    text = "full service on the 2nd of January 2027 please, I'll bring it in at 8"
    assert kept({**call, "shop": "bring"}, text) == call
    assert kept({**call, "shop": "the 2nd"}, text) == call  # the date's words
    assert kept({**call, "date": "2026-12-10", "shop": "Dec 10"},
                "book my car in for the brakes on Dec 10 2026") == {**call, "date": "2026-12-10"}
    for shop, said in (("Midas", "oil change at Midas on January 2, 2027"), ("home", "oil change at home, Jan 2 2027"),
                       ("the garage", "oil change at the garage on January 2, 2027")):
        assert kept({**call, "shop": shop}, said) == {**call, "shop": shop}
    # a required name is never left out here (a required one that names nothing is the missing ask instead)
    assert _names_no_place({"location": "almost"}, ["I'm almost on empty"], set(), []) == {"location": "almost"}
