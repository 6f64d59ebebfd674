"""Loss masks on conversations, checked on collated batches from the real TRL collator: with
`training.loss_on: final` only the last answer (and its end of turn) is labelled; with `all_assistant`
every assistant turn is; user and tool turns, the system prompt and padding never are. Expected spans
are computed independently, by rendering each prefix of the conversation with the chat template."""
import json

import pytest

from toolrouter.train.recipe import load_recipe

TINY = ["model.tiny.layers=1", "model.tiny.hidden=32", "model.tiny.heads=2", "model.tiny.vocab_size=400"]


def conv_recipe(tmp_path, *overrides, several=0.3, fmt="json", mode="compact"):
    path = tmp_path / "conv.yaml"
    path.write_text(f"catalogue: support_router\nformat: {fmt}\nmode: {mode}\n"
                    f"data: {{n: 60, conversations: {{history: 1.0, several: {several}}}}}\n"
                    f"output_dir: {tmp_path / 'run'}\n"
                    "training: {max_steps: 4, lr: 3.0e-3, batch_size: 4, save_steps: 50, logging_steps: 1, "
                    "warmup: 0, bf16: false}\neval: {max_new_tokens: 48}\n")
    return load_recipe(path, [*TINY, *overrides])


def assistant_spans(tok, row, eot: str) -> list[tuple[int, int]]:
    """(start, end) token spans of each assistant answer: from the end of the generation prompt
    through the end-of-turn token, by rendering prefixes of the conversation."""
    kw = {"tools": row["tools"]} if row.get("tools") else {}
    spans = []
    for i, m in enumerate(row["messages"]):
        if m["role"] != "assistant":
            continue
        start = len(tok.apply_chat_template(row["messages"][:i], add_generation_prompt=True, tokenize=True,
                                            return_dict=True, **kw)["input_ids"])
        upto = tok.apply_chat_template(row["messages"][:i + 1], tokenize=True, return_dict=True, **kw)["input_ids"]
        end = max(j for j in range(start, len(upto)) if upto[j] == tok.convert_tokens_to_ids(eot)) + 1
        spans.append((start, end))
    return spans


def check_batches(trainer, recipe, eot: str, every: bool) -> int:
    tok = trainer.processing_class
    rows = [json.loads(line) for line in open(recipe.run_dir / "data" / "train.jsonl")]
    expected = {}
    for row in rows:
        kw = {"tools": row["tools"]} if row.get("tools") else {}
        full = tok.apply_chat_template(row["messages"], tokenize=True, return_dict=True, **kw)["input_ids"]
        spans = assistant_spans(tok, row, eot)
        expected[tuple(full)] = (spans if every else spans[-1:], row)
    seen = multi = 0
    for i, batch in enumerate(trainer.get_train_dataloader()):
        if i == 4:
            break
        for ids, labels, mask in zip(batch["input_ids"].tolist(), batch["labels"].tolist(),
                                     batch["attention_mask"].tolist()):
            spans, row = expected[tuple(ids[:sum(mask)])]
            want = [-100] * len(ids)
            for start, end in spans:
                want[start:end] = ids[start:end]
            assert labels == want, (row["messages"], tok.decode([t for t, lab in zip(ids, labels) if lab != -100]))
            # what is labelled is assistant text only: never a user or tool turn
            text = tok.decode([t for t, lab in zip(ids, labels) if lab != -100])
            for m in row["messages"]:
                if m["role"] in ("user", "tool") and len(m["content"]) > 12:
                    assert m["content"] not in text
            n_answers = sum(m["role"] == "assistant" for m in row["messages"])
            multi += n_answers > 1
            seen += 1
    assert seen >= 12 and multi >= 6  # conversations with earlier answers were checked
    return seen


@pytest.mark.parametrize("loss_on", ["final", "all_assistant"])
def test_conversation_mask_chatml(tmp_path, loss_on, one_thread):
    from toolrouter.train.trainer import build_trainer

    recipe = conv_recipe(tmp_path, f"training.loss_on={loss_on}")
    trainer, info = build_trainer(recipe)
    assert info["loss_on"] == loss_on
    assert info["loss_masking"] == ("completion_and_assistant" if loss_on == "final" else "assistant_only")
    check_batches(trainer, recipe, "<|im_end|>", every=loss_on == "all_assistant")


@pytest.mark.parametrize("loss_on", ["final", "all_assistant"])
def test_conversation_mask_native_qwen(tmp_path, loss_on, one_thread):
    """Qwen2.5's template (TRL marks it): assistant tool_calls and role tool rendered as Qwen does."""
    from toolrouter.train.trainer import build_trainer

    recipe = conv_recipe(tmp_path, f"training.loss_on={loss_on}", "model.tiny.template=qwen2_5", fmt="native",
                         mode="template")
    trainer, info = build_trainer(recipe)
    assert info["loss_on"] == loss_on
    check_batches(trainer, recipe, "<|im_end|>", every=loss_on == "all_assistant")


def test_all_assistant_needs_a_marked_template(tmp_path, one_thread):
    from toolrouter.errors import ToolrouterError
    from toolrouter.train.trainer import choose_loss

    assert choose_loss("all_assistant", True, "json", True, "b") == (False, "all_assistant")
    assert choose_loss("final", True, "json", True, "b") == (True, "final")
    assert choose_loss("all_assistant", True, "json", False, "b") == (False, "final")  # single-turn: as before
    with pytest.raises(ToolrouterError, match="loss_on: final"):
        choose_loss("all_assistant", False, "json", True, "some/base")
