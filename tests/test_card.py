"""The run's model card is a Hugging Face card (front matter huggingface_hub reads, model-index once
evaluated), run-dir files are ordinary 0644 files, and a json-format run's tokenizer (and its merge)
turns answers into OpenAI-style messages with parse_response."""
import json
import os
import stat

import pytest

from conftest import write_rows, make_rows
from toolrouter import format_call, format_no_tool, load_catalogue
from toolrouter.train.recipe import load_recipe

TINY = ["model.tiny.layers=1", "model.tiny.hidden=32", "model.tiny.heads=2", "model.tiny.vocab_size=320"]


def mode_of(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture(scope="module")
def json_run(tmp_path_factory):
    """A short LoRA run on the tiny base in json format (what `make demo` makes, smaller), then merged."""
    from toolrouter.train.trainer import merge, train

    tmp = tmp_path_factory.mktemp("card")
    rows = write_rows(tmp / "rows", {"train": make_rows(32, 0), "val": make_rows(4, 1), "test": make_rows(6, 2)})
    path = tmp / "demo.yaml"
    path.write_text(f"catalogue: support_router\ndata: {{path: {rows}}}\noutput_dir: {tmp / 'run'}\n"
                    "lora: {r: 4, alpha: 8, dropout: 0}\n"
                    "training: {max_steps: 3, lr: 3.0e-3, batch_size: 4, save_steps: 50, logging_steps: 1, warmup: 0}\n"
                    "eval: {max_new_tokens: 8, min: {exact_match_rate: 0.0}, max: {}}\n")
    old = os.umask(0o022)
    try:
        recipe = load_recipe(path, TINY)
        run = train(recipe)
        merged = merge(recipe.run_dir, tmp / "merged")
    finally:
        os.umask(old)
    return recipe, run, merged


def test_run_card_front_matter(json_run):
    from huggingface_hub import ModelCard

    recipe, run, _ = json_run
    card = ModelCard.load(recipe.run_dir / "README.md")
    data = card.data.to_dict()
    assert data["library_name"] == "peft" and data["pipeline_tag"] == "text-generation"
    assert data["license"] == "apache-2.0" and "base_model" not in data  # the scratch base is no Hub model
    assert {"toolrouter", "tool-calling", "answer-format-json", "lora"} <= set(data["tags"])
    assert "<!-- metrics -->" in card.text and "vllm serve" in card.text and "--tool-call-parser" in card.text
    assert run["format"] == "json"
    for name in ("README.md", "run.json", "loss.png", "loss.csv", "tokenizer_config.json"):
        assert mode_of(recipe.run_dir / name) == 0o644, name


def test_json_run_tokenizer_parses_answers_into_tool_calls(json_run):
    """What makes a server's response-template parser work for the json format: the run's tokenizer
    config carries the template, and so does the merged model's."""
    from transformers import AutoTokenizer

    recipe, _, merged = json_run
    cat = load_catalogue("support_router")
    call = format_call("request_refund", {"order_id": "ORD-77", "reason": "broken"}, cat)
    for folder in (recipe.run_dir, merged):
        tok = AutoTokenizer.from_pretrained(folder)
        parsed = tok.parse_response(call, prefix="")
        assert parsed["tool_calls"] == [{"type": "function", "function": {
            "name": "request_refund", "arguments": {"order_id": "ORD-77", "reason": "broken"}}}]
        assert tok.parse_response(format_no_tool("chit-chat"), prefix="") == {"role": "assistant",
                                                                              "content": "chit-chat"}


def test_eval_fills_the_model_index_and_writes_ordinary_files(json_run):
    from huggingface_hub import ModelCard

    from toolrouter.eval.evaluate import main

    recipe, _, _ = json_run
    old = os.umask(0o022)
    try:
        assert main(["--run", str(recipe.run_dir), "--split", "test", "--batch-size", "6"]) == 0
    finally:
        os.umask(old)
    report = json.loads((recipe.run_dir / "eval.json").read_text())
    card = ModelCard.load(recipe.run_dir / "README.md")
    results = {r.metric_type: r.metric_value for r in card.data.eval_results}
    assert results["exact_match_rate"] == round(report["metrics"]["exact_match_rate"]["value"], 4)
    assert set(results) >= {"exact_match_rate", "false_tool_call_rate", "tool_name_accuracy"}
    assert card.data.to_dict()["model-index"][0]["name"] == recipe.name
    assert "| exact_match_rate |" in card.text and "Not evaluated yet" not in card.text
    assert card.data.library_name == "peft"  # the rest of the front matter survives
    for name in ("README.md", "eval.json", "eval.confusion.png"):
        assert mode_of(recipe.run_dir / name) == 0o644, name


def test_merged_model_has_its_own_card(json_run):
    from huggingface_hub import ModelCard

    _, _, merged = json_run
    card = ModelCard.load(merged / "README.md")
    assert card.data.library_name == "transformers" and "merged" in card.data.tags and "lora" not in card.data.tags
    assert "toolrouter merge" in card.text
