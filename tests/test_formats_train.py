"""The native answer format end to end on scratch bases wearing real templates (TRL's Qwen2.5 and
Llama 3.1 copies, Qwen2- and Llama-shaped random-init models): the loss mask of a collated batch,
a short training run whose outputs parse back with the format's parser and with the run tokenizer's
parse_response, and eval of that run."""
import json
from pathlib import Path

import pytest

from toolrouter import load_catalogue
from toolrouter.formats import get_format, target_of_row
from toolrouter.train.recipe import load_recipe

TINY = ["model.tiny.layers=1", "model.tiny.hidden=32", "model.tiny.heads=2", "model.tiny.vocab_size=400"]
TEMPLATES = ("qwen2_5", "llama3_1")


def native_recipe(tmp_path, template, *overrides, name="run"):
    path = tmp_path / f"{name}.yaml"
    path.write_text(f"catalogue: support_router\nformat: native\nmode: template\ndata: {{n: 80}}\n"
                    f"output_dir: {tmp_path / name}\n"
                    "training: {max_steps: 6, lr: 3.0e-3, batch_size: 4, save_steps: 50, logging_steps: 1, "
                    "warmup: 0, bf16: false}\neval: {max_new_tokens: 48}\n")
    return load_recipe(path, [*TINY, f"model.tiny.template={template}", *overrides])


@pytest.mark.parametrize("template", TEMPLATES)
def test_native_batch_labels_exactly_the_call_and_its_end_of_turn(tmp_path, template, one_thread):
    """Collated rows: labels == input ids exactly on the answer the template writes after the generation
    prompt, through its end-of-turn token; -100 on the system turn, the tools, the request, the
    template's tokens around the answer and the padding. Expected spans computed independently."""
    from toolrouter.train.trainer import build_trainer

    recipe = native_recipe(tmp_path, template)
    trainer, info = build_trainer(recipe)
    tok, fmt = trainer.processing_class, info["format"]
    assert fmt.family == {"qwen2_5": "hermes", "llama3_1": "llama3"}[template]
    # Qwen2.5's template is one TRL marks (prompt/completion and generation block); Llama 3.1's is not.
    assert info["loss_masking"] == ("completion_and_assistant" if template == "qwen2_5" else "completion_only")
    cat = load_catalogue("support_router")
    expected = {}
    for row in (json.loads(l) for l in open(recipe.run_dir / "data" / "train.jsonl")):
        assert row["meta"]["format"] == "native" and "tools" in row
        full = tok.apply_chat_template(row["messages"], tools=row["tools"], tokenize=True, return_dict=True)["input_ids"]
        prompt = tok.apply_chat_template(row["messages"][:-1], tools=row["tools"], add_generation_prompt=True,
                                         tokenize=True, return_dict=True)["input_ids"]
        answer = tok(fmt.answer_text(target_of_row(row), cat) + fmt.end_of_turn, add_special_tokens=False)["input_ids"]
        assert full[len(prompt):len(prompt) + len(answer)] == answer
        expected[tuple(full)] = (len(prompt), len(answer))
    seen = calls = 0
    for i, batch in enumerate(trainer.get_train_dataloader()):
        if i == 3:
            break
        for ids, labels, mask in zip(batch["input_ids"].tolist(), batch["labels"].tolist(),
                                     batch["attention_mask"].tolist()):
            start, length = expected[tuple(ids[:sum(mask)])]
            want = [-100] * len(ids)
            want[start:start + length] = ids[start:start + length]
            assert labels == want
            calls += tok.decode(ids[start:start + length]).startswith(("<tool_call>", "{"))
            seen += 1
    assert seen >= 8 and 0 < calls < seen  # calls and plain-text no_tools both checked


@pytest.fixture(scope="module", params=TEMPLATES)
def native_run(request, tmp_path_factory):
    from toolrouter.train.trainer import train

    tmp = tmp_path_factory.mktemp(f"native_{request.param}")
    recipe = native_recipe(tmp, request.param, "training.max_steps=12", "training.lr=1.0e-2")
    run = train(recipe)
    return recipe, run


def test_native_run_outputs_parse_back_both_ways(native_run):
    """The trained run's answers (constrained and free) read the same with the format's parser and with
    AutoTokenizer.from_pretrained(run).parse_response; constrained ones are all valid."""
    from transformers import AutoTokenizer

    from toolrouter.serve.router import Router

    recipe, run = native_run
    assert run["format"] == "native" and run["format_family"] in ("hermes", "llama3")
    tok = AutoTokenizer.from_pretrained(recipe.run_dir)
    assert tok.response_template is not None
    gold = [json.loads(l) for l in open(recipe.run_dir / "data" / "test.gold.jsonl")][:12]
    prompts = [g["prompt"] for g in gold]
    kinds = set()
    for constrained in (True, False):
        router = Router.load(recipe.run_dir, constrained=constrained, max_new_tokens=48)
        assert router.fmt.name == "native" and router.fmt.family == run["format_family"]
        texts = router.answer_texts(prompts)
        for text in texts:
            ours = router.fmt.parse(text, router.catalogue)
            kinds.add(ours.kind)
            if constrained:
                assert ours.kind in ("call", "no_tool"), (text, ours)
            if ours.kind == "invalid":  # e.g. a call cut off by max_new_tokens: transformers' parser raises
                continue
            theirs = tok.parse_response(text, prefix="")
            if ours.kind == "call":
                (call,) = theirs["tool_calls"]
                assert call["function"] == {"name": ours.tool, "arguments": ours.arguments}
            elif ours.kind == "no_tool":
                assert not theirs.get("tool_calls") and theirs.get("content", "").strip() == ours.reason
    # The prompt the router builds is the format's: our rule, the tools through the template.
    rendered = tok.apply_chat_template(router.messages("hi"), tools=router.fmt.template_tools(router.catalogue, "template"),
                                       add_generation_prompt=True, tokenize=False)
    assert "track_order" in rendered and '"tool"' not in rendered


def test_native_run_evaluates_with_its_format(native_run, capsys):
    from toolrouter.eval.evaluate import main

    recipe, run = native_run
    code = main(["--run", str(recipe.run_dir), "--split", "test", "--constrained", "--batch-size", "16",
                 "--max-new-tokens", "48"])
    assert code in (0, 1)
    report = json.loads((recipe.run_dir / "eval.json").read_text())
    assert report["metrics"]["valid_tool_call_rate"]["value"] == 1.0  # constrained: every answer parses
    card = (recipe.run_dir / "README.md").read_text()
    assert "| exact_match_rate |" in card and "answer-format-native" in card
