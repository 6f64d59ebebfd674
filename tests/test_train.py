"""Training on the tiny scratch base, in-process, CPU: the loss mask, the run dir, resume, merge,
QLoRA gradients, fail-fast base loading, and two-process DDP (slow)."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import make_rows, write_rows
from toolrouter.train.recipe import load_recipe
from toolrouter.core.schema import ToolrouterError

REPO = Path(__file__).resolve().parent.parent
TINY = ["model.tiny.layers=1", "model.tiny.hidden=32", "model.tiny.heads=2", "model.tiny.vocab_size=320"]


def tiny_recipe(tmp_path, rows_dir, *overrides, name="run"):
    """A recipe file on the tiny base with the shared test rows; overrides as on the command line."""
    path = tmp_path / f"{name}.yaml"
    path.write_text(f"catalogue: support_router\ndata: {{path: {rows_dir}}}\noutput_dir: {tmp_path / name}\n"
                    "training: {max_steps: 6, lr: 3.0e-3, batch_size: 4, save_steps: 3, logging_steps: 1, warmup: 0}\n")
    return load_recipe(path, [*TINY, *overrides])


def check_labels(trainer, tokenizer, rows, n_batches=2):
    """Every collated row: labels == input ids exactly on answer + <|im_end|>, -100 everywhere else
    (system, user, template tokens, padding). The expected span is computed independently."""
    by_ids = {}
    for row in rows:
        full = tokenizer.apply_chat_template(row["messages"], tokenize=True, return_dict=True)["input_ids"]
        prompt = tokenizer.apply_chat_template(row["messages"][:2], add_generation_prompt=True, tokenize=True,
                                               return_dict=True)["input_ids"]
        by_ids[tuple(full)] = (len(prompt), row["messages"][2]["content"])
    seen = 0
    for i, batch in enumerate(trainer.get_train_dataloader()):
        if i == n_batches:
            break
        assert batch["input_ids"].shape[0] > 1
        lengths = batch["attention_mask"].sum(1)
        assert lengths.max() == batch["input_ids"].shape[1]  # dynamic padding: to the longest row only
        for ids, labels, mask in zip(batch["input_ids"].tolist(), batch["labels"].tolist(),
                                     batch["attention_mask"].tolist()):
            n = sum(mask)
            start, answer = by_ids[tuple(ids[:n])]
            labelled = [j for j, lab in enumerate(labels) if lab != -100]
            assert labels[start:labelled[-1] + 1] == ids[start:labelled[-1] + 1]
            assert labelled == list(range(start, labelled[-1] + 1))  # one contiguous span from the answer on
            assert tokenizer.decode([ids[j] for j in labelled]) == answer + "<|im_end|>"
            assert all(labels[j] == -100 for j in range(n, len(ids)))  # padding
            seen += 1
    assert seen >= 4


def test_loss_mask_is_answer_plus_end_of_turn(tmp_path, rows_dir):
    from toolrouter.train.trainer import build_trainer

    recipe = tiny_recipe(tmp_path, rows_dir)
    trainer, info = build_trainer(recipe)
    assert info["loss_masking"] == "assistant_only" and trainer.args.assistant_only_loss
    rows = [json.loads(l) for l in open(Path(rows_dir) / "train.jsonl")]
    check_labels(trainer, trainer.processing_class, rows)
    # The run's inputs are written before training: base/, the resolved recipe, the data and its report.
    run = recipe.run_dir
    assert (run / "base" / "config.json").is_file() and (run / "base" / "tokenizer.json").is_file()
    assert (run / "data" / "test.gold.jsonl").is_file() and (run / "data_report.json").is_file()
    assert load_recipe(run / "recipe.yaml").model_copy(update={"name": recipe.name}) == recipe


def test_tiny_base_trains_with_eager_attention_on_cpu_and_it_is_the_same_model(tmp_path, rows_dir):
    """model.attention: auto picks eager for the tiny base on CPU (1.35x sdpa's steps a second there);
    the kernel changes the speed, not the model: the same batch gives the same loss under both, and
    the saved weights load with the library's default again."""
    import torch
    from transformers import AutoModelForCausalLM

    from toolrouter.train.trainer import build_trainer

    trainer, info = build_trainer(tiny_recipe(tmp_path, rows_dir, "training.bf16=false"))
    model = trainer.model
    assert info["attention"] == model.config._attn_implementation == "eager"
    batch = next(iter(trainer.get_train_dataloader()))
    assert (batch["attention_mask"] == 0).any()  # padded rows: the mask matters to both kernels
    model.eval()
    with torch.no_grad():
        eager = model(**batch).loss
        model.set_attn_implementation("sdpa")
        sdpa = model(**batch).loss
    assert torch.allclose(eager, sdpa, atol=1e-5), (eager, sdpa)
    model.set_attn_implementation("eager")
    model.save_pretrained(tmp_path / "saved")
    assert AutoModelForCausalLM.from_pretrained(tmp_path / "saved").config._attn_implementation == "sdpa"
    trainer, info = build_trainer(tiny_recipe(tmp_path, rows_dir, "model.attention=sdpa", name="sdpa"))
    assert info["attention"] == trainer.model.config._attn_implementation == "sdpa"


def test_unmarked_template_falls_back_to_prompt_completion(tmp_path, rows_dir, tiny_tokenizer, tiny_model):
    """A base whose template has no {% generation %} and that TRL cannot patch trains on
    prompt/completion pairs: labels cover the answer, <|im_end|> and the template's newline."""
    from toolrouter.train.tiny import CHAT_TEMPLATE
    from toolrouter.train.trainer import build_trainer

    base = tmp_path / "plain_base"
    tiny_tokenizer.save_pretrained(base)
    tiny_model.save_pretrained(base)
    tokenizer = tiny_tokenizer.__class__.from_pretrained(base)
    tokenizer.chat_template = CHAT_TEMPLATE.replace("{% generation %}", "").replace("{% endgeneration %}", "")
    tokenizer.save_pretrained(base)
    recipe = tiny_recipe(tmp_path, rows_dir, f"model.base={base}", "model.tiny=null", "training.bf16=false")
    trainer, info = build_trainer(recipe)
    assert info["loss_masking"] == "completion_only"
    batch = next(iter(trainer.get_train_dataloader()))
    for ids, labels in zip(batch["input_ids"].tolist(), batch["labels"].tolist()):
        text = tokenizer.decode([i for i, lab in zip(ids, labels) if lab != -100])
        assert text.startswith('{"tool":') and text.endswith("<|im_end|>\n"), text
        assert "You are a tool router" not in text


def test_known_real_template_is_patched_by_trl(tmp_path, rows_dir, tiny_tokenizer, tiny_model):
    """A real base with the stock Qwen2.5 template (no generation markers): TRL swaps in its marked
    copy, so assistant_only_loss still labels the answer and <|im_end|>. Offline: the template is the
    one TRL ships, on the tiny tokenizer."""
    import trl

    from toolrouter.train.trainer import build_trainer

    qwen = (Path(trl.__file__).parent / "chat_templates" / "qwen2_5.jinja").read_text(encoding="utf-8")
    base = tmp_path / "qwen_like"
    tiny_model.save_pretrained(base)
    tiny_tokenizer.save_pretrained(base)
    saved = tiny_tokenizer.__class__.from_pretrained(base)
    saved.chat_template = qwen
    saved.save_pretrained(base)
    recipe = tiny_recipe(tmp_path, rows_dir, f"model.base={base}", "model.tiny=null", "training.bf16=false")
    trainer, info = build_trainer(recipe)
    assert info["loss_masking"] == "assistant_only"
    batch = next(iter(trainer.get_train_dataloader()))
    for ids, labels in zip(batch["input_ids"].tolist(), batch["labels"].tolist()):
        text = saved.decode([i for i, lab in zip(ids, labels) if lab != -100])
        assert text.startswith('\n{"tool":') and text.endswith("}<|im_end|>\n"), text  # Qwen's block
        assert "tool router" not in text and "assistant" not in text


@pytest.fixture(scope="module")
def lora_run(tmp_path_factory, rows_dir):
    """One short LoRA run on the tiny base (all linear layers), shared by the run-dir and merge tests."""
    from toolrouter.train.trainer import train

    tmp = tmp_path_factory.mktemp("lora")
    recipe = tiny_recipe(tmp, rows_dir, "lora.r=8", "lora.alpha=16", "lora.dropout=0", "training.max_steps=8",
                         "training.eval_steps=4", "training.lr=1.0e-2")
    run = train(recipe)
    return recipe, run


def test_run_dir_holds_everything(lora_run):
    from toolrouter import load_catalogue

    recipe, run = lora_run
    d = recipe.run_dir
    for name in ("adapter_model.safetensors", "adapter_config.json", "tokenizer.json", "recipe.yaml",
                 "catalogue.json", "data_report.json", "loss.csv", "loss.png", "README.md", "run.json"):
        assert (d / name).is_file(), name
    assert not (d / "training_args.bin").exists()
    on_disk = json.loads((d / "run.json").read_text())
    assert on_disk == json.loads(json.dumps(run))
    assert {"name", "mode", "catalogue", "catalogue_sha256", "base_model", "adapter", "max_new_tokens"} <= set(run)
    assert run["adapter"] is True and run["catalogue"] == "support_router" and run["global_step"] == 8
    snapshot = load_catalogue(d / "catalogue.json")
    assert snapshot.fingerprint() == run["catalogue_sha256"] == load_catalogue("support_router").fingerprint()
    # the bank that made the data sits beside the snapshot, so copying reads the data's own convention
    from toolrouter.data.bank import bank_path

    assert (d / "catalogue.bank.yaml").read_text() == bank_path(load_catalogue("support_router")).read_text()
    assert bank_path(snapshot) == d / "catalogue.bank.yaml"
    assert Path(run["base_model"]) == (d / "base").resolve()
    assert json.loads((d / "adapter_config.json").read_text())["base_model_name_or_path"] == run["base_model"]
    lines = (d / "loss.csv").read_text().splitlines()
    assert lines[0] == "step,epoch,loss,eval_loss,learning_rate"
    losses = [float(l.split(",")[2]) for l in lines[1:] if l.split(",")[2]]
    assert len(losses) == 8 and losses[-1] < losses[0]  # it learns
    assert sum(1 for l in lines[1:] if l.split(",")[3]) == 2  # eval at steps 4 and 8, not repeated at the end
    assert (d / "loss.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    card = (d / "README.md").read_text()
    assert "<!-- metrics -->" in card and "<!-- /metrics -->" in card
    assert "support_router" in card and "LoRA r=8" in card and "compact" in card


def test_merge_gives_same_logits_with_plain_transformers(lora_run, tmp_path, capsys):
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    from toolrouter.train.trainer import merge_main

    recipe, run = lora_run
    out = tmp_path / "merged"
    assert merge_main([str(recipe.run_dir), "--out", str(out)]) == 0
    assert (out / "model.safetensors").is_file() and not (out / "adapter_config.json").exists()
    merged = AutoModelForCausalLM.from_pretrained(out).eval()
    base = AutoModelForCausalLM.from_pretrained(recipe.run_dir / "base")
    adapted = PeftModel.from_pretrained(base, str(recipe.run_dir)).eval()
    ids = torch.tensor([[5, 17, 42, 99, 7, 3]])
    with torch.no_grad():
        a, m = adapted(ids).logits, merged(ids).logits
    assert torch.allclose(a, m, atol=1e-4), (a - m).abs().max()
    with torch.no_grad():
        untouched = AutoModelForCausalLM.from_pretrained(recipe.run_dir / "base")(ids).logits
    assert (untouched - m).abs().max() > 1e-3  # the adapter is really in the merged weights
    assert json.loads((out / "run.json").read_text())["adapter"] is False


def test_merge_refuses_a_full_model_run(tmp_path, capsys):
    from toolrouter import load_catalogue
    from toolrouter.cli import main

    (tmp_path / "catalogue.json").write_text(json.dumps(load_catalogue("support_router").to_openai()))
    (tmp_path / "run.json").write_text(json.dumps({"mode": "compact", "adapter": False}))
    assert main(["merge", str(tmp_path)]) == 2
    assert "a full model already (no LoRA adapter); nothing to merge" in capsys.readouterr().err
    assert main(["merge", str(tmp_path / "nothing")]) == 2
    assert "is not a run directory (no run.json)" in capsys.readouterr().err


class Crash(Exception):
    pass


def test_resume_after_a_crash_reaches_the_same_step(tmp_path, rows_dir):
    """A run dies after its step-3 checkpoint; --resume continues from it to max_steps."""
    from transformers import TrainerCallback

    from toolrouter.train.trainer import train

    class DieAtStep5(TrainerCallback):
        def on_step_end(self, args, state, control, **kwargs):
            if state.global_step == 5:
                raise Crash()

    recipe = tiny_recipe(tmp_path, rows_dir)
    with pytest.raises(Crash):
        train(recipe, callbacks=[DieAtStep5()])
    assert (recipe.run_dir / "checkpoints" / "checkpoint-3").is_dir()
    assert not (recipe.run_dir / "run.json").exists()
    with pytest.raises(ToolrouterError, match="already holds a run; pass --resume"):
        train(recipe)
    run = train(recipe, resume=True)
    assert run["global_step"] == 6
    state = json.loads((recipe.run_dir / "checkpoints" / "checkpoint-6" / "trainer_state.json").read_text())
    steps = [e["step"] for e in state["log_history"] if "loss" in e]
    assert steps == [1, 2, 3, 4, 5, 6]  # steps 4-5 of the dead run are redone once, from checkpoint-3


def test_resume_without_checkpoint_is_a_clear_error(tmp_path, rows_dir):
    from toolrouter.train.trainer import train

    with pytest.raises(ToolrouterError, match="--resume: no checkpoint in .* run without --resume"):
        train(tiny_recipe(tmp_path, rows_dir), resume=True)


def test_qlora_adapter_keeps_learning_after_eval(tmp_path, rows_dir, tiny_tokenizer, tiny_model):
    """4-bit tiny base + LoRA on CPU. bitsandbytes repacks 4-bit weights on the first no-grad
    eval-mode forward, after which LoRA gradients are silently 0.0; the trainer must prevent it."""
    pytest.importorskip("bitsandbytes")
    import torch
    from bitsandbytes.nn import Linear4bit
    from transformers import TrainerCallback

    from toolrouter.train.trainer import build_trainer

    base = tmp_path / "base"
    tiny_model.save_pretrained(base)
    tiny_tokenizer.save_pretrained(base)
    recipe = tiny_recipe(tmp_path, rows_dir, f"model.base={base}", "model.tiny=null", "lora.r=8",
                         "lora.dropout=0", "quantization.bits=4", "training.max_steps=4", "training.eval_steps=2",
                         "training.lr=1.0e-2", "training.save_steps=100")
    dead = []  # per optimizer step: the LoRA B matrices whose gradient is missing or exactly zero

    class GradNorms(TrainerCallback):
        def on_pre_optimizer_step(self, args, state, control, model=None, **kwargs):
            # lora_B, not lora_A: A's gradient is B^T(...), exactly 0 while B is still its zero init.
            dead.append([n for n, p in model.named_parameters()
                         if "lora_B" in n and (p.grad is None or not p.grad.abs().sum() > 0)])

    trainer, _ = build_trainer(recipe, callbacks=[GradNorms()])
    assert sum(isinstance(m, Linear4bit) for m in trainer.model.modules()) >= 4  # really quantized
    lora = {n: p.detach().clone() for n, p in trainer.model.named_parameters() if "lora_B" in n}
    trainer.evaluate()  # the eval pass that used to freeze the adapter
    trainer.train()  # with an eval at step 2, mid-training
    # Without the fix the first step after the eval pass gets exactly 0.0 on 10 of the 14 B matrices
    # (every one whose gradient flows back through a repacked 4-bit matmul).
    assert len(dead) == 4 and dead == [[], [], [], []], dead
    after = dict(trainer.model.named_parameters())
    assert all(not torch.equal(after[n].detach(), p) for n, p in lora.items())


def test_unloadable_base_names_the_model_and_the_fix(tmp_path, rows_dir, capsys, monkeypatch):
    from toolrouter.cli import main

    path = tmp_path / "r.yaml"
    path.write_text(f"catalogue: support_router\ndata: {{path: {rows_dir}}}\noutput_dir: {tmp_path / 'out'}\n"
                    "lora: {r: 4}\n")
    assert main(["train", "--recipe", str(path), "model.base=/no/such/folder"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: cannot load the base model '/no/such/folder'") and "model.base=/path/to/folder" in err
    assert "Traceback" not in err and not (tmp_path / "out").exists()  # nothing written
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    start = time.perf_counter()
    assert main(["train", "--recipe", str(path), "model.base=nobody/not-a-cached-model"]) == 2
    err = capsys.readouterr().err
    assert "'nobody/not-a-cached-model'" in err and "HF_HUB_OFFLINE is set" in err
    assert time.perf_counter() - start < 10


@pytest.mark.slow
def test_sigkill_mid_run_then_resume(tmp_path, rows_dir):
    """A real crash: the training process is SIGKILLed once its first checkpoint is complete
    (trainer_state.json is what transformers writes last); --resume finishes the run."""
    recipe = tiny_recipe(tmp_path, rows_dir, "training.max_steps=40", "training.save_steps=5")
    cmd = [sys.executable, "-m", "toolrouter.train.trainer", "--recipe", str(tmp_path / "run.yaml"), *TINY,
           "training.max_steps=40", "training.save_steps=5"]
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ckpt = recipe.run_dir / "checkpoints" / "checkpoint-5"
    deadline = time.time() + 120
    while not (ckpt / "trainer_state.json").is_file() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.2)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert ckpt.is_dir() and not (recipe.run_dir / "run.json").exists()
    out = subprocess.run(cmd + ["--resume"], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert json.loads((recipe.run_dir / "run.json").read_text())["global_step"] == 40


def test_two_process_ddp_on_cpu(tmp_path, rows_dir):
    """`accelerate launch --config_file toolrouter/recipes/accelerate/ddp.yaml --num_processes 2` on CPU (gloo):
    both ranks train (world size 2), only rank 0 writes the run dir."""
    recipe = tiny_recipe(tmp_path, rows_dir, "training.max_steps=4")
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "accelerate.commands.launch", "--config_file", "toolrouter/recipes/accelerate/ddp.yaml",
           "--num_processes", "2", "-m", "toolrouter.train.trainer", "--recipe", str(tmp_path / "run.yaml"), *TINY,
           "training.max_steps=4"]
    out = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=600, env=env)
    assert out.returncode == 0, out.stderr[-3000:]
    text = out.stdout + out.stderr
    assert "[rank 0/2] trained to step 4" in text and "[rank 1/2] trained to step 4" in text
    assert text.count(f"wrote {recipe.run_dir}") == 1
    run = json.loads((recipe.run_dir / "run.json").read_text())
    assert run["world_size"] == 2 and run["global_step"] == 4


def test_chatml_lower_template_lowercases_user_turns_only():
    """The case normaliser of the tiny recipes: every casing of a request is the same model input;
    system prompt and answer keep their case, and the answer (with <|im_end|>) is still the loss span."""
    from toolrouter.train.tiny import build_tokenizer

    texts = ["Lock the doors", "You are a tool router.", '{"tool":"lock_doors","arguments":{"lock_state":"lock"}}'] * 5
    tok = build_tokenizer(texts, vocab_size=300, template="chatml_lower")
    answer = '{"tool":"play_music","arguments":{"track":"Hotel California"}}'
    renders = set()
    for request in ["Play Hotel California", "PLAY HOTEL CALIFORNIA", "play hotel california"]:
        conv = [{"role": "system", "content": "You are a Tool Router."}, {"role": "user", "content": request},
                {"role": "assistant", "content": answer}]
        text = tok.apply_chat_template(conv, tokenize=False)
        assert "You are a Tool Router." in text and answer in text
        renders.add(text)
        out = tok.apply_chat_template(conv, tokenize=True, return_dict=True, return_assistant_tokens_mask=True)
        ids = [t for t, m in zip(out["input_ids"], out["assistant_masks"]) if m]
        assert tok.decode(ids) == answer + "<|im_end|>"
    assert len(renders) == 1 and "play hotel california" in renders.pop()


def test_space_tokens_make_a_word_the_same_tokens_in_the_request_and_the_answer():
    from toolrouter.train.tiny import build_tokenizer

    texts = ["take me to the rome airport please", '{"destination":"rome airport"}', "in rome", "to rome"] * 50
    glued, spaced = (build_tokenizer(texts, vocab_size=300, space_tokens=s) for s in (False, True))

    def word_tokens(tok, text, word):
        ids = tok(text, add_special_tokens=False)["input_ids"]
        return [tok.convert_ids_to_tokens(i) for i in ids if word in tok.decode([i]) or tok.decode([i]) in word
                and tok.decode([i]).strip()]

    request, answer = "to rome airport", '{"destination":"rome airport"}'
    assert word_tokens(glued, request, "rome") != word_tokens(glued, answer, "rome")  # "Ġrome" vs "rome"
    assert word_tokens(spaced, request, "rome") == word_tokens(spaced, answer, "rome")
    for text in (request, answer, "a  b\n c"):  # lossless both ways
        assert spaced.decode(spaced(text, add_special_tokens=False)["input_ids"]) == text
