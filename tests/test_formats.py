"""toolrouter.formats: each answer format's training message, parser, grammar and response template,
checked against the chat templates that render them (TRL's shipped Qwen2.5 and Llama 3.1 templates
on scratch tokenizers that carry their special tokens; the tiny base's ChatML for json).

The rendered template-mode prompts are snapshot-tested (tests/snapshots/<catalogue>.template.native.<template>.txt):
what the model sees in native format is the template's own tool instructions plus our answer rule,
which names no answer syntax. Regenerate after an intended change:

    UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest tests/test_formats.py -q
"""
import json
import os
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from toolrouter import NO_TOOL, ToolrouterError, load_catalogue
from toolrouter.eval.metrics import pick_alternative
from toolrouter.formats import calls_of, format_of_run, get_format, target_of_row
from toolrouter.formats.parse import MAX_CALLS, format_call, format_calls, parse_tool_call

REPO = Path(__file__).resolve().parent.parent
SNAPSHOTS = Path(__file__).parent / "snapshots"
TEMPLATES = {"qwen2_5": "hermes", "llama3_1": "llama3"}


def gold_targets(name: str, limit: int = 40) -> list[dict]:
    """Targets of the hand-written gold set (first any_of alternative), calls and no_tools."""
    rows = [json.loads(l) for l in (REPO / "toolrouter/evals" / f"{name}.jsonl").read_text().splitlines() if l.strip()]
    out = []
    for row in rows[:limit]:
        t = row["target"]
        out.append(t if t["tool"] == NO_TOOL else {"tool": t["tool"], "arguments": pick_alternative(t["arguments"], 0)})
    assert any(t["tool"] == NO_TOOL for t in out) and any(t["tool"] != NO_TOOL for t in out)
    return out


def _corpus():
    texts = []
    for name in ("support_router", "car_control"):
        cat = load_catalogue(name)
        texts += [cat.render("compact"), json.dumps(cat.to_openai())]
        texts += [json.dumps(t) for t in gold_targets(name)]
    return texts * 2


@pytest.fixture(scope="module", params=sorted(TEMPLATES))
def native(request):
    """(scratch tokenizer with TRL's `request.param` template, its native format)."""
    from toolrouter.train.tiny import build_tokenizer

    tok = build_tokenizer(_corpus(), vocab_size=600, template=request.param)
    fmt = get_format("native", tok)
    assert fmt.family == TEMPLATES[request.param]
    return tok, fmt


def rendered(tok, fmt, cat, target, mode="template"):
    """(prompt text, completion text) of one row as the chat template renders it."""
    conv = [{"role": "system", "content": fmt.system_prompt(cat, mode)}, {"role": "user", "content": "a request"}]
    tools = fmt.template_tools(cat, mode)
    prompt = tok.apply_chat_template(conv, tools=tools, add_generation_prompt=True, tokenize=False)
    full = tok.apply_chat_template(conv + [fmt.assistant_message(target, cat)], tools=tools, tokenize=False)
    assert full.startswith(prompt)
    return prompt, full[len(prompt):]


@pytest.mark.parametrize("name", ["support_router", "car_control"])
def test_native_answer_is_what_the_template_writes_and_parses_back(native, name):
    """For every gold target: the template renders the answer as answer_text + end of turn; our parser
    and transformers' parse_response (TRL's response template) both read back the same call / reason."""
    tok, fmt = native
    cat = load_catalogue(name)
    tok.response_template = fmt.response_template(tok)
    for target in gold_targets(name):
        prompt, completion = rendered(tok, fmt, cat, target)
        text = fmt.answer_text(target, cat)
        assert completion.rstrip("\n") == text + fmt.end_of_turn
        ours = fmt.parse(text, cat)
        theirs = tok.parse_response(completion, prefix=prompt)
        if target["tool"] == NO_TOOL:
            assert ours.kind == "no_tool" and ours.reason == target["reason"]
            assert theirs.get("content") == target["reason"] and not theirs.get("tool_calls")
        else:
            assert ours.kind == "call" and ours.tool == target["tool"] and ours.arguments == target["arguments"]
            (call,) = theirs["tool_calls"]
            assert call["function"] == {"name": target["tool"], "arguments": target["arguments"]}
        assert fmt.target_of(fmt.assistant_message(target, cat)) == target


def test_native_message_keeps_schema_order_and_dict_arguments():
    cat = load_catalogue("car_control")
    fmt = get_format("native", family="hermes")
    msg = fmt.assistant_message({"tool": "set_temperature", "arguments": {"unit": "celsius", "temperature": 21}}, cat)
    args = msg["tool_calls"][0]["function"]["arguments"]
    assert isinstance(args, dict) and list(args) == ["temperature", "unit"]
    no = fmt.assistant_message({"tool": NO_TOOL, "reason": "a greeting"}, cat)
    assert no == {"role": "assistant", "content": "a greeting"}  # no tool_calls key at all (Llama's `in` test)


@pytest.mark.parametrize("name", ["support_router", "car_control"])
def test_grammar_accepts_every_gold_answer_token_by_token(native, name):
    from toolrouter.formats.grammar import accepts, compile_grammar

    tok, fmt = native
    cat = load_catalogue(name)
    eot = tok.convert_tokens_to_ids(fmt.end_of_turn)
    compiled = compile_grammar(cat, tok, stop_token_ids=[eot], ebnf=fmt.grammar(cat))
    for target in gold_targets(name):
        _, completion = rendered(tok, fmt, cat, target)
        ids = tok(completion.rstrip("\n"), add_special_tokens=False)["input_ids"]
        assert ids[-1] == eot
        assert accepts(compiled, ids[:-1], eot), completion


def _variants(fmt, cat, target) -> list[str]:
    """Non-canonical spellings of a call that a lenient reader would still take."""
    text = fmt.answer_text(target, cat)
    args = target["arguments"]
    key = "arguments" if fmt.name == "json" else fmt.args_key
    head = '{"tool":' if fmt.name == "json" else '{"name":'
    out = [text.replace(", ", ",").replace(": ", ":") if fmt.name != "json" else text.replace(",", ", "),
           text.replace(head, head.replace(":", " :")),
           text + " ",
           " " + text]
    if len(args) > 1:  # arguments out of schema order
        swapped = dict(reversed(list(args.items())))
        out.append(text.replace(json.dumps(args, ensure_ascii=False), json.dumps(swapped, ensure_ascii=False))
                   .replace(json.dumps(args, ensure_ascii=False, separators=(",", ":")),
                            json.dumps(swapped, ensure_ascii=False, separators=(",", ":"))))
    if fmt.name == "native":
        out.append(text.replace(f'"{key}"', '"arguments"' if key == "parameters" else '"parameters"'))
        if fmt.family == "hermes":
            out.append(text.replace("<tool_call>\n", "<tool_call>"))
    return [v for v in out if v != text]


@pytest.mark.parametrize("which", ["json", "qwen2_5", "llama3_1"])
def test_grammar_rejects_non_canonical_variants(which, tiny_tokenizer):
    from toolrouter.formats.grammar import accepts_text, compile_grammar
    from toolrouter.train.tiny import build_tokenizer

    cat = load_catalogue("car_control")
    tok = tiny_tokenizer if which == "json" else build_tokenizer(_corpus(), vocab_size=400, template=which)
    fmt = get_format("json") if which == "json" else get_format("native", tok)
    compiled = compile_grammar(cat, tok, ebnf=fmt.grammar(cat))
    calls = [t for t in gold_targets("car_control") if t["tool"] != NO_TOOL]
    checked = 0
    for target in calls:
        assert accepts_text(compiled, fmt.answer_text(target, cat))
        for variant in _variants(fmt, cat, target):
            assert not accepts_text(compiled, variant), variant
            checked += 1
    assert checked > 3 * len(calls)


def test_native_parser_typed_errors():
    cat = load_catalogue("support_router")
    hermes, llama = get_format("native", family="hermes"), get_format("native", family="llama3")
    call = '{"name": "track_order", "arguments": {"order_id": "ORD-12"}}'
    assert hermes.parse(f"<tool_call>\n{call}\n</tool_call>", cat).kind == "call"
    cases = {
        f"<tool_call>\n{call}": "truncated",
        f"<tool_call>\n{call[:-3]}\n</tool_call>": "truncated",
        f"<tool_call>\n{call}\n</tool_call>\n<tool_call>\n{call}": "truncated",
        f"<tool_call>\n{call}\n</tool_call>\n<tool_call>\n{call[:-3]}\n</tool_call>": "truncated",
        f"<tool_call>\n{call}\n</tool_call>\nand <tool_call>\n{call}\n</tool_call>": "trailing_text",
        f"<tool_call>\n{call}\n</tool_call>\n" * (MAX_CALLS + 1): "bad_call_list",
        '<tool_call>\n{"name": "escalate", "arguments": {"reason": "x"}}\n</tool_call>\n<tool_call>\n'
        '{"name": "refund_all", "arguments": {}}\n</tool_call>': "unknown_tool",
        f"sure!\n<tool_call>\n{call}\n</tool_call>": "bad_envelope",
        f"<tool_call>\n{call}\n</tool_call> done": "trailing_text",
        '<tool_call>\n{"name": "track_order", "name": "escalate", "arguments": {}}\n</tool_call>': "duplicate_key",
        '<tool_call>\n{"name": "refund_all", "arguments": {}}\n</tool_call>': "unknown_tool",
        '<tool_call>\n{"name": "no_tool", "arguments": {}}\n</tool_call>': "unknown_tool",
        '<tool_call>\n{"name": "track_order", "arguments": {"order_id": 12}}\n</tool_call>': "wrong_type",
        '<tool_call>\n{"name": "track_order", "arguments": {"order_id": "12"}}\n</tool_call>': "pattern_mismatch",
        '<tool_call>\n{"name": "track_order", "parameters": {"order_id": "ORD-1"}}\n</tool_call>': "bad_envelope",
        '<tool_call>\n[1, 2]\n</tool_call>': "not_an_object",
        "   ": "empty",
    }
    for text, error in cases.items():
        result = hermes.parse(text, cat)
        assert result.kind == "invalid" and result.error == error, (text, result)
    two = hermes.parse(f"<tool_call>\n{call}\n</tool_call>\n<tool_call>\n{call}\n</tool_call>", cat)
    assert two.kind == "call" and len(two.calls) == 2  # the same call twice is two calls
    assert hermes.parse(f"<tool_call>\n{call}\n</tool_call>\n" * MAX_CALLS, cat).kind == "call"
    assert llama.parse(call.replace('"arguments"', '"parameters"'), cat).arguments == {"order_id": "ORD-12"}
    assert llama.parse(call, cat).error == "bad_envelope"  # Llama 3.1 says "parameters"
    assert llama.parse('{"name": "track_order", "parameters": {', cat).error == "truncated"
    assert hermes.parse(None, cat).error == "not_json" and hermes.parse("x" * 200_000, cat).error == "too_long"
    assert hermes.parse("  I can't help with the weather.\n", cat).reason == "I can't help with the weather."


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300), st.sampled_from(["hermes", "llama3"]))
def test_native_parser_never_raises(text, family):
    cat = load_catalogue("support_router")
    fmt = get_format("native", family=family)
    for candidate in (text, "<tool_call>\n" + text, "<tool_call>\n" + text + "\n</tool_call>", "{" + text):
        result = fmt.parse(candidate, cat)
        assert result.kind in ("call", "no_tool", "invalid")


def test_json_format_wraps_the_envelope(tiny_tokenizer):
    """json: the parser is parse_tool_call, the message is the canonical text, and the response template
    (what the tiny demo's tokenizer carries) maps a call to tool_calls and a no_tool to its reason."""
    cat = load_catalogue("support_router")
    fmt = get_format("json")
    target = {"tool": "request_refund", "arguments": {"reason": "broken", "order_id": "ORD-9"}}
    text = format_call("request_refund", target["arguments"], cat)
    assert fmt.assistant_message(target, cat) == {"role": "assistant", "content": text}
    assert fmt.parse(text, cat) == parse_tool_call(text, cat)
    assert fmt.system_prompt(cat, "compact") == cat.render("compact") and fmt.grammar(cat) is None
    tiny_tokenizer.response_template = fmt.response_template(tiny_tokenizer)
    try:
        parsed = tiny_tokenizer.parse_response(text + "<|im_end|>", prefix="")
        assert parsed["tool_calls"] == [{"type": "function", "function": {
            "name": "request_refund", "arguments": {"order_id": "ORD-9", "reason": "broken"}}}]
        assert "content" not in parsed
        no = tiny_tokenizer.parse_response('{"tool":"no_tool","reason":"a \\"greeting\\""}', prefix="")
        assert no == {"role": "assistant", "content": 'a "greeting"'}
        prompt = tiny_tokenizer.apply_chat_template([{"role": "user", "content": "hi"}], add_generation_prompt=True,
                                                    tokenize=False)
        assert tiny_tokenizer.parse_response(text, prefix=prompt)["tool_calls"][0]["function"]["name"] == "request_refund"
    finally:
        tiny_tokenizer.response_template = None


def test_a_template_without_tool_calls_gets_one_clear_error(tiny_tokenizer):
    with pytest.raises(ToolrouterError) as e:
        get_format("native", tiny_tokenizer, base="runs/x/base")
    msg = str(e.value)
    assert "runs/x/base" in msg and "format: json" in msg and "Qwen2.5" in msg


def test_native_needs_template_or_baked_mode():
    cat = load_catalogue("support_router")
    fmt = get_format("native", family="hermes")
    assert fmt.template_tools(cat, "template") == cat.to_openai() and fmt.template_tools(cat, "baked") is None
    with pytest.raises(ToolrouterError, match="mode template"):
        fmt.system_prompt(cat, "compact")


def test_formats_of_runs_and_rows():
    assert format_of_run(None).name == "json" and format_of_run({"mode": "compact"}).name == "json"
    fmt = format_of_run({"format": "native", "format_family": "llama3"})
    assert fmt.name == "native" and fmt.family == "llama3"
    with pytest.raises(ToolrouterError, match="unknown answer format"):
        get_format("xml")
    cat = load_catalogue("support_router")
    target = {"tool": "escalate", "arguments": {"reason": "wants a human"}}
    row = {"messages": [get_format("native").assistant_message(target, cat)], "meta": {"format": "native"}}
    assert target_of_row(row) == target
    assert target_of_row({"messages": [get_format("json").assistant_message(target, cat)]}) == target


def test_template_mode_prompt_snapshot_has_one_answer_syntax(native):
    """The whole native template-mode prompt as the base sees it: the template's tool list and call
    instructions, our rule (no syntax of its own). Pinned as a snapshot; never our JSON envelope."""
    tok, fmt = native
    template = {family: name for name, family in TEMPLATES.items()}[fmt.family]
    cat = load_catalogue("support_router")
    prompt, _ = rendered(tok, fmt, cat, {"tool": NO_TOOL, "reason": "x"})
    assert '"tool"' not in prompt and "no_tool" not in prompt  # nothing of the json envelope
    assert prompt.count("You are a tool router.") == 1
    path = SNAPSHOTS / f"support_router.template.native.{template}.txt"
    if os.environ.get("UPDATE_SNAPSHOTS"):
        path.write_text(prompt, encoding="utf-8")
    assert prompt == path.read_text(encoding="utf-8")


def test_json_template_mode_on_a_tool_calling_base_is_refused(native):
    """json + template mode on Qwen/Llama would say "answer {"tool": ...}" next to the template's
    "return <tool_call>": refused with the fix."""
    from toolrouter.train.trainer import check_template_fits

    tok, fmt = native
    with pytest.raises(ToolrouterError, match="format: native"):
        check_template_fits(get_format("json"), "template", tok, "Qwen/Qwen2.5-0.5B-Instruct")
    check_template_fits(get_format("json"), "compact", tok, "Qwen/Qwen2.5-0.5B-Instruct")  # no tools= there
    check_template_fits(fmt, "template", tok, "Qwen/Qwen2.5-0.5B-Instruct")


# --- several calls ------------------------------------------------------------------------------

CALLS = [{"tool": "lock_doors", "arguments": {"lock_state": "lock"}},
         {"tool": "set_temperature", "arguments": {"unit": "celsius", "temperature": 21}}]


def test_calls_of_every_kind_of_target():
    assert calls_of(CALLS[0]) == [CALLS[0]]
    assert calls_of({"tool": NO_TOOL, "reason": "r"}) == []
    assert calls_of(CALLS) == CALLS and calls_of(CALLS) is not CALLS


def test_json_format_writes_and_reads_back_a_list_of_calls(tiny_tokenizer):
    cat = load_catalogue("car_control")
    fmt = get_format("json")
    text = fmt.answer_text(CALLS, cat)
    assert text == ('[{"tool":"lock_doors","arguments":{"lock_state":"lock"}},'
                    '{"tool":"set_temperature","arguments":{"temperature":21,"unit":"celsius"}}]')
    assert text == format_calls(CALLS, cat)
    message = fmt.assistant_message(CALLS, cat)
    assert message == {"role": "assistant", "content": text}
    assert fmt.target_of(message) == CALLS
    result = fmt.parse(text, cat)
    assert result.kind == "call" and list(result.calls) == CALLS
    assert fmt.answer_text(CALLS[0], cat) == format_call("lock_doors", {"lock_state": "lock"}, cat)  # one: bare
    # the response template (what vLLM's parser reads for an exported run) gives one tool_calls entry per call
    tiny_tokenizer.response_template = fmt.response_template(tiny_tokenizer)
    try:
        three = fmt.answer_text(CALLS + [CALLS[0]], cat)
        for end in ("<|im_end|>", ""):
            parsed = tiny_tokenizer.parse_response(three + end, prefix="")
            assert parsed == {"role": "assistant", "tool_calls": [
                {"type": "function", "function": {"name": c["tool"], "arguments": json.loads(format_call(
                    c["tool"], c["arguments"], cat))["arguments"]}} for c in CALLS + [CALLS[0]]]}
        nested = {"tool": "set_temperature", "arguments": {"temperature": 21, "area": ["driver", "rear-left"]}}
        parsed = tiny_tokenizer.parse_response(fmt.answer_text([nested, CALLS[0]], cat) + "<|im_end|>", prefix="")
        assert [c["function"]["arguments"] for c in parsed["tool_calls"]] == [nested["arguments"], CALLS[0]["arguments"]]
    finally:
        tiny_tokenizer.response_template = None


def test_native_several_calls_are_what_the_template_writes(native):
    """hermes: the template writes one <tool_call> block per call, newline-separated; answer_text is that
    text, our parser and transformers' parse_response read both calls back in order. llama3: the template
    refuses several calls, and so does the format, with a message naming the fix."""
    tok, fmt = native
    cat = load_catalogue("car_control")
    if fmt.family == "llama3":
        with pytest.raises(ToolrouterError, match="one tool call per assistant turn.*format: json"):
            fmt.assistant_message(CALLS, cat)
        message = {"role": "assistant", "content": "", "tool_calls": [
            {"type": "function", "function": {"name": c["tool"], "arguments": c["arguments"]}} for c in CALLS]}
        with pytest.raises(Exception, match="single tool-calls"):  # the template's own refusal
            tok.apply_chat_template([{"role": "user", "content": "x"}, message], tokenize=False)
        return
    prompt, completion = rendered(tok, fmt, cat, CALLS)
    text = fmt.answer_text(CALLS, cat)
    assert completion.rstrip("\n") == text + fmt.end_of_turn and text.count("<tool_call>") == 2
    ours = fmt.parse(text, cat)
    assert ours.kind == "call" and [c["tool"] for c in ours.calls] == ["lock_doors", "set_temperature"]
    assert ours.calls[1]["arguments"] == {"temperature": 21, "unit": "celsius"}
    tok.response_template = fmt.response_template(tok)
    try:
        theirs = tok.parse_response(completion, prefix=prompt)
    finally:
        tok.response_template = None
    assert [c["function"]["name"] for c in theirs["tool_calls"]] == ["lock_doors", "set_temperature"]
    assert fmt.target_of(fmt.assistant_message(CALLS, cat)) == [
        CALLS[0], {"tool": "set_temperature", "arguments": {"temperature": 21, "unit": "celsius"}}]


def test_native_grammar_allows_several_calls_where_the_template_does(native):
    from toolrouter.formats.grammar import accepts_text, compile_grammar

    tok, fmt = native
    cat = load_catalogue("car_control")
    compiled = compile_grammar(cat, tok, ebnf=fmt.grammar(cat))
    one = fmt.answer_text(CALLS[0], cat)
    assert accepts_text(compiled, one)
    if fmt.family == "llama3":  # one call a turn
        assert not accepts_text(compiled, one + "\n" + one)
        return
    assert accepts_text(compiled, fmt.answer_text(CALLS, cat))
    assert accepts_text(compiled, "\n".join([one] * MAX_CALLS))
    assert not accepts_text(compiled, "\n".join([one] * (MAX_CALLS + 1)))
    assert not accepts_text(compiled, one + "\n\n" + one) and not accepts_text(compiled, one + one)
    assert not accepts_text(compiled, one + "\nthen I am done")
