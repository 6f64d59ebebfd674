"""Batched greedy generation (optionally grammar-constrained) and model loading, with the random-init
tiny model: constrained output is always a valid, canonical answer, whatever the weights."""
import copy
import json

import pytest

from toolrouter import ToolrouterError, load_catalogue, parse_tool_call
from toolrouter.core.catalogue import MODES
from toolrouter.infer.generate import generate_answers, render_prompts, stop_token_ids
from toolrouter.formats.parse import format_result
from toolrouter.infer.loading import Loaded, inference_dtype, load_for_inference

from test_grammar import normalize_numbers  # tests/ is on sys.path (pytest rootdir conftest)

REQUESTS = [
    "where is my order ORD-48213?", "hi", "refund ORD-3021 pls, wrong size", "I want to talk to a human",
    "set the temperature to 22 degrees in the back", "wipers faster", "play Blinding Lights at volume 7",
    "what's the weather like?", "lock the doors", "navigate to the airport, terminal 2",
]


pytestmark = pytest.mark.usefixtures("one_thread")


def conversations(cat, n: int, modes=MODES):
    """n conversations cycling through `modes`, and their per-conversation `tools` lists."""
    convs, tools = [], []
    for i in range(n):
        mode = modes[i % len(modes)]
        convs.append([{"role": "system", "content": cat.render(mode)},
                      {"role": "user", "content": REQUESTS[i % len(REQUESTS)]}])
        tools.append(cat.template_tools(mode))
    return convs, tools


@pytest.mark.parametrize("name,modes", [("support_router", MODES), ("car_control", ("compact", "template", "baked"))])
def test_constrained_random_model_always_answers_validly(tiny_model, tiny_tokenizer, name, modes):
    cat = load_catalogue(name)
    convs, tools = conversations(cat, 20, modes)
    # 64 tokens: this model tends to loop inside strings (order IDs, reasons) until the last 24 steps
    # of the budget, where the processor closes every answer.
    texts = generate_answers(tiny_model, tiny_tokenizer, convs, tools=tools, max_new_tokens=64,
                             catalogue=cat, constrained=True)
    assert len(texts) == 20
    for text in texts:
        result = parse_tool_call(text, cat)
        assert result.kind in ("call", "no_tool"), (text, result.error, result.message)
        assert format_result(result, cat) == normalize_numbers(text)  # the training targets' exact form
    # Unconstrained, the same untrained model writes no valid answer at all.
    free = generate_answers(tiny_model, tiny_tokenizer, convs[:4], tools=tools[:4], max_new_tokens=20)
    assert all(parse_tool_call(t, cat).kind == "invalid" for t in free)


def test_truncated_output_is_reported_not_repaired(tiny_model, tiny_tokenizer):
    import xgrammar as xgr

    from toolrouter.formats.grammar import compile_grammar

    cat = load_catalogue("support_router")
    convs, tools = conversations(cat, 4)
    cut = generate_answers(tiny_model, tiny_tokenizer, convs, tools=tools, max_new_tokens=6, catalogue=cat,
                           constrained=True)
    compiled = compile_grammar(cat, tiny_tokenizer)
    for text in cut:
        result = parse_tool_call(text, cat)
        assert result.kind == "invalid" and result.error == "truncated", text
        # Returned exactly as generated: a start of a grammar answer, nothing appended to close it.
        matcher = xgr.GrammarMatcher(compiled)
        assert matcher.accept_string(text) and not matcher.is_completed()


def test_batched_equals_one_at_a_time_in_input_order(tiny_model, tiny_tokenizer):
    cat = load_catalogue("car_control")
    convs, tools = conversations(cat, 8, ("baked", "template", "compact"))
    for constrained in (False, True):
        one = generate_answers(tiny_model, tiny_tokenizer, convs, tools=tools, max_new_tokens=24, batch_size=1,
                               catalogue=cat, constrained=constrained)
        batched = generate_answers(tiny_model, tiny_tokenizer, convs, tools=tools, max_new_tokens=24, batch_size=3,
                                   catalogue=cat, constrained=constrained)
        assert batched == one
    assert generate_answers(tiny_model, tiny_tokenizer, [], catalogue=cat, constrained=True) == []


def test_decoding_stays_greedy_whatever_the_model_generation_config_asks(tiny_model, tiny_tokenizer):
    cat = load_catalogue("support_router")
    convs, _ = conversations(cat, 2, ("baked",))
    sampler = copy.deepcopy(tiny_model)
    # Qwen2.5-Instruct ships do_sample, temperature 0.7, top_p 0.8, top_k 20, repetition_penalty 1.05.
    sampler.generation_config.update(do_sample=True, temperature=0.7, top_p=0.8, top_k=20, repetition_penalty=5.0)
    assert (generate_answers(sampler, tiny_tokenizer, convs, max_new_tokens=16)
            == generate_answers(tiny_model, tiny_tokenizer, convs, max_new_tokens=16))


def test_prompts_render_exactly_as_training_does(tiny_tokenizer):
    cat = load_catalogue("support_router")
    conv = [{"role": "system", "content": cat.render("template")}, {"role": "user", "content": "hi"}]
    [prompt] = render_prompts(tiny_tokenizer, [conv], tools=[cat.template_tools("template")])
    assert prompt == tiny_tokenizer.apply_chat_template(conv, tools=cat.to_openai(), add_generation_prompt=True,
                                                        tokenize=False)
    assert prompt.endswith("<|im_start|>assistant\n") and '"track_order"' in prompt
    # One tool list for all conversations is accepted too; a wrong count is an error.
    assert render_prompts(tiny_tokenizer, [conv, conv], tools=cat.to_openai()) == [prompt, prompt]
    with pytest.raises(ToolrouterError, match="2 tool lists for 3 conversations"):
        render_prompts(tiny_tokenizer, [conv] * 3, tools=[None, None])


def test_progress_bar_and_bad_arguments(tiny_model, tiny_tokenizer, capsys):
    cat = load_catalogue("support_router")
    convs, _ = conversations(cat, 2, ("compact",))
    generate_answers(tiny_model, tiny_tokenizer, convs, max_new_tokens=2, progress=True)
    assert "generating" in capsys.readouterr().err
    with pytest.raises(ToolrouterError, match="needs the catalogue"):
        generate_answers(tiny_model, tiny_tokenizer, convs, constrained=True)
    with pytest.raises(ToolrouterError, match="batch_size"):
        generate_answers(tiny_model, tiny_tokenizer, convs, batch_size=0)


def test_stop_token_ids(tiny_model, tiny_tokenizer):
    ids = stop_token_ids(tiny_tokenizer, tiny_model)
    assert ids[0] == tiny_tokenizer.convert_tokens_to_ids("<|im_end|>")
    assert tiny_tokenizer.convert_tokens_to_ids("<|endoftext|>") in ids  # a known end-of-turn token


def test_stop_token_ids_are_the_end_of_turn_tokens_the_vocab_has(tiny_tokenizer):
    """Looked up one by one (get_vocab builds 151k entries for Qwen on every call): the same ids as
    the whole vocabulary gives, and a token the vocab lacks (mapped to unk or None) is not taken."""
    from toolrouter.infer.generate import END_OF_TURN

    vocab = tiny_tokenizer.get_vocab()
    assert set(stop_token_ids(tiny_tokenizer)) == {tiny_tokenizer.eos_token_id} | {
        vocab[t] for t in END_OF_TURN if t in vocab}
    assert any(t not in vocab for t in END_OF_TURN)  # the lookup of a missing token was exercised


# ---------------------------------------------------------------------------------------------
# loading

def write_run(folder, model, tokenizer, cat, mode="compact", adapter=False, **extra):
    """A run dir as `toolrouter train` writes it (run.json, catalogue.json, tokenizer, model); an
    adapter run keeps its base in <run>/base, like the scratch base."""
    folder.mkdir(parents=True, exist_ok=True)
    if adapter:
        from peft import LoraConfig, get_peft_model

        model.save_pretrained(folder / "base")
        tokenizer.save_pretrained(folder / "base")
        get_peft_model(model, LoraConfig(r=4, target_modules=["q_proj", "v_proj"])).save_pretrained(folder)
        config = json.loads((folder / "adapter_config.json").read_text())
        config["base_model_name_or_path"] = "runs/elsewhere/base"  # relative to another cwd: must not matter
        (folder / "adapter_config.json").write_text(json.dumps(config))
    else:
        model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    (folder / "catalogue.json").write_text(json.dumps(cat.to_openai()))
    run = {"name": folder.name, "mode": mode, "catalogue": cat.name, "catalogue_sha256": cat.fingerprint(),
           "base_model": "tiny", "adapter": adapter, "max_new_tokens": 400,
           "base_dir": "base" if adapter else None, **extra}
    (folder / "run.json").write_text(json.dumps(run))
    return folder


def test_load_a_full_model_run(tiny_model, tiny_tokenizer, tmp_path):
    cat = load_catalogue("support_router")
    run = write_run(tmp_path / "full", tiny_model, tiny_tokenizer, cat, mode="template")
    loaded = load_for_inference(run)
    assert isinstance(loaded, Loaded) and loaded.mode == "template" and loaded.catalogue == cat
    assert loaded.run["max_new_tokens"] == 400 and loaded.catalogue.name == "support_router"
    assert loaded.model.dtype == inference_dtype("cpu") and not loaded.model.training
    convs, tools = conversations(cat, 3, ("template",))
    same = copy.deepcopy(tiny_model).to(loaded.model.dtype)
    assert (generate_answers(loaded.model, loaded.tokenizer, convs, tools=tools, catalogue=cat, constrained=True)
            == generate_answers(same, tiny_tokenizer, convs, tools=tools, catalogue=cat, constrained=True))
    # A plain model dir (no run.json) loads too, without a catalogue.
    (run / "run.json").unlink()
    (run / "catalogue.json").unlink()
    plain = load_for_inference(run)
    assert plain.catalogue is None and plain.mode is None and plain.run is None


def test_load_an_adapter_run_with_its_base_inside(tiny_tokenizer, tmp_path):
    import torch

    from toolrouter.train.tiny import build_model

    cat = load_catalogue("car_control")
    model = build_model(tiny_tokenizer, layers=1, hidden=32, heads=2)
    run = write_run(tmp_path / "adapter", model, tiny_tokenizer, cat, mode="baked", adapter=True)
    loaded = load_for_inference(run)
    assert loaded.mode == "baked" and loaded.catalogue == cat
    assert not hasattr(loaded.model, "peft_config")  # merged: plain weights decode fastest
    base = build_model(tiny_tokenizer, layers=1, hidden=32, heads=2)
    # LoRA B starts at zero, so the merged model computes exactly what its base does.
    ids = torch.tensor([[5, 6, 7]])
    assert torch.allclose(loaded.model.float()(ids).logits, base(ids).logits, atol=1e-2)


def test_load_errors_name_the_path_and_the_fix(tiny_model, tiny_tokenizer, tmp_path):
    with pytest.raises(ToolrouterError, match=r"runs/missing does not exist; pass a run directory"):
        load_for_inference("runs/missing")
    with pytest.raises(ToolrouterError, match=r"does not exist"):
        load_for_inference(tmp_path / "nothing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ToolrouterError, match=r"empty: no model in this directory"):
        load_for_inference(tmp_path / "empty")
    cat = load_catalogue("support_router")
    run = write_run(tmp_path / "bad_mode", tiny_model, tiny_tokenizer, cat, mode="fancy")
    with pytest.raises(ToolrouterError, match=r"run.json: mode: Input should be 'compact', 'json', 'template' or "
                                              r"'baked' \(got 'fancy'\)"):
        load_for_inference(run)
    run = write_run(tmp_path / "edited", tiny_model, tiny_tokenizer, cat)
    (run / "catalogue.json").write_text(json.dumps(cat.subset(["escalate"]).to_openai()))
    with pytest.raises(ToolrouterError, match=r"catalogue.json: its tools do not match run.json"):
        load_for_inference(run)
    (run / "catalogue.json").unlink()
    with pytest.raises(ToolrouterError, match=r"has no catalogue.json"):
        load_for_inference(run)
    (run / "run.json").write_text("{not json")
    with pytest.raises(ToolrouterError, match=r"run.json: not readable JSON"):
        load_for_inference(run)
