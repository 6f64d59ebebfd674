"""recipe -> data + base model (+ LoRA / 4-bit) -> TRL SFTTrainer -> a run dir that eval and route read.

    toolrouter train --recipe support_router_tiny                      # offline, CPU, what `make demo` runs
    toolrouter train --recipe support_router training.max_steps=50     # any key overridden by its dotted path
    toolrouter train --recipe support_router --resume                  # continue from the last checkpoint
    accelerate launch --config_file $(toolrouter recipe path accelerate/ddp) -m toolrouter.train.trainer --recipe support_router
    toolrouter merge runs/support_router [--out DIR]                   # adapter -> full safetensors model

Loss: rows stay conversational (`messages`) and TRL's `assistant_only_loss=True` labels exactly the
tokens inside the chat template's `{% generation %}` block. The tiny base's template puts the answer
*and* `<|im_end|>` there, so the model learns to stop. For a real base TRL swaps in a marked copy of
the template when it knows it (exact match: Qwen2.5/3, Llama 3, Gemma, Phi-3, ...); for any other
template (it raises) we turn the rows into prompt/completion pairs and let `completion_only_loss`
label everything after the rendered generation prompt, which also covers the end-of-turn token.

Run dir (`recipe.run_dir`, read by eval/route): run.json, catalogue.json, recipe.yaml, the model
(adapter or full) + tokenizer, data/ (the splits, test.gold.jsonl), data_report.json, loss.csv,
loss.png, README.md, checkpoints/, and base/ for the tiny scratch base. Only the main process writes.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import sys
from pathlib import Path
from typing import Optional

from toolrouter.errors import ToolrouterError
from toolrouter.infer.loading import load_pretrained, resolve_base
from toolrouter.io import atomic_write, read_json, read_jsonl, read_run, write_json, write_run, write_text
from toolrouter.train.recipe import Recipe, load_recipe


# ---------------------------------------------------------------------------------------------
# small helpers

def choose_device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def bf16_supported(device: str) -> bool:
    import torch

    if device == "cuda":
        return torch.cuda.is_bf16_supported()
    try:  # oneDNN runs bf16 natively on AVX512-BF16/AMX CPUs (~2x tokens/s here), emulates it elsewhere
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


# ---------------------------------------------------------------------------------------------
# data

def get_splits(recipe: Recipe, catalogue, run_dir: Path, resume: bool) -> tuple[dict, dict]:
    """The train/val/test rows and the data report: built from the recipe (deterministic from its
    seed), read from `data.path`, or, on --resume, read back from the run dir so a resumed run sees
    exactly the rows the checkpoint was trained on."""
    data_dir = run_dir / "data"
    source = data_dir if resume and (data_dir / "train.jsonl").is_file() else recipe.data.path
    if source is None:
        from toolrouter.data.pipeline import build_dataset

        ds = build_dataset(catalogue, n=recipe.data.n, seed=recipe.data.seed,
                           no_tool_ratio=recipe.data.no_tool_ratio, mode=recipe.mode, robust=recipe.data.robust,
                           answer_format=recipe.format, conversations=recipe.data.conversations)
        return ds.splits, ds.report
    folder = Path(source)
    if not (folder / "train.jsonl").is_file():
        raise ToolrouterError(f"data.path {folder}: no train.jsonl there; point data.path at a folder written by "
                              "`toolrouter data build` (train/val/test.jsonl), or remove it to build the data")
    fix = "rebuild it with `toolrouter data build`"
    if (folder / "manifest.json").is_file() or (folder / "report.json").is_file():  # written by data build
        from toolrouter.io import folder_problems

        problems = folder_problems(folder)
        if problems:
            raise ToolrouterError(f"data {folder} is not one complete data set ({'; '.join(problems)}): it may be "
                                  f"half-written or mixed from two builds; {fix}")
    splits = {s: [row for _, row in read_jsonl(folder / f"{s}.jsonl", fix=fix)] if (folder / f"{s}.jsonl").is_file()
              else [] for s in ("train", "val", "test")}
    report_path = folder / "report.json"
    report = read_json(report_path, fix) if report_path.is_file() else {
        "source": str(folder), **{s: len(rows) for s, rows in splits.items()}}
    return splits, report


def check_rows(rows: list[dict], mode: str, where: str, answer_format: str = "json") -> None:
    for i, row in enumerate(rows[:50]):  # the data module verifies every row; this catches a foreign folder
        row_format = (row.get("meta") or {}).get("format", "json") if isinstance(row, dict) else "json"
        if row_format != answer_format:
            raise ToolrouterError(f"{where}: row {i + 1}: built for format {row_format}, but the recipe says format "
                                  f"{answer_format}; rebuild the data with `toolrouter data build --format "
                                  f"{answer_format}` or set format: {row_format}")
        roles = [m.get("role") for m in row.get("messages", [])] if isinstance(row, dict) else []
        if roles[-1:] != ["assistant"]:
            raise ToolrouterError(f"{where}: row {i + 1}: expected {{\"messages\": [system, user, assistant]}} "
                                  "ending with the assistant answer")
        if mode == "template" and "tools" not in row:
            raise ToolrouterError(f"{where}: row {i + 1}: template mode needs a \"tools\" list in every row; "
                                  "build the data with mode template")


def to_trl_rows(rows: list[dict], completion_only: bool) -> list[dict]:
    """Data rows -> what SFTTrainer reads: `messages` (or prompt/completion) and `tools` as a JSON
    string (a list of nested schemas would be coerced to one Arrow struct type, nulls added).
    Assistant `tool_calls` (format native) are kept as they are: see trl_dataset for how they survive Arrow."""
    out = []
    for row in rows:
        msgs = [{k: m[k] for k in ("role", "content", "tool_calls") if k in m} for m in row["messages"]]
        item = {"prompt": msgs[:-1], "completion": msgs[-1:]} if completion_only else {"messages": msgs}
        if row.get("tools"):
            item["tools"] = json.dumps(row["tools"], ensure_ascii=False)
        out.append(item)
    return out


def trl_dataset(items: list[dict]):
    """A datasets.Dataset of to_trl_rows' items. Message lists are stored as JSON per message (datasets'
    Json feature): Arrow would otherwise merge every row's messages into one struct type, so each
    no_tool turn would grow `tool_calls: None` (Llama 3.1's template then renders it as a call) and each
    call's arguments would grow every other tool's keys as nulls."""
    from datasets import Dataset, Features, Json, List, Value

    if not items:
        return None
    features = {k: List(Json()) for k in ("messages", "prompt", "completion") if k in items[0]}
    if "tools" in items[0]:
        features["tools"] = Value("string")
    return Dataset.from_list(items, features=Features(features))


def stop_labels_at_end_of_turn(dataset, eot_id: int):
    """Unlabel what a template writes after the answer's end-of-turn token (Qwen's marked block ends
    `<|im_end|>\n`): the model stops at `<|im_end|>` and never writes the newline. Per labelled span,
    so packed rows keep every answer."""
    def trim(example):
        labels, after_end = list(example["labels"]), False
        for i, (token, label) in enumerate(zip(example["input_ids"], labels)):
            if label == -100:
                after_end = False
            elif after_end:
                labels[i] = -100
            elif token == eot_id:
                after_end = True
        return {"labels": labels}

    return dataset.map(trim, desc="Labels stop at the end of turn")


def labels_start_after_generation_prompt(dataset, prompt_ids: list[int]):
    """Unlabel the generation prompt's tail where a marked block starts inside it (Qwen's marked template
    opens the block before the newline after `<|im_start|>assistant`): with every assistant turn labelled
    (loss_on all_assistant) the model would otherwise be trained to write the prompt's own newline."""
    n = len(prompt_ids)

    def trim(example):
        ids, labels = example["input_ids"], list(example["labels"])
        for s in range(1, len(labels)):
            if labels[s] == -100 or labels[s - 1] != -100:
                continue  # not the start of a labelled span
            for back in range(1, n):  # the prompt begins `back` tokens before the span and runs into it
                if s - back >= 0 and ids[s - back:s - back + n] == prompt_ids:
                    for j in range(s, s - back + n):
                        labels[j] = -100
                    break
        return {"labels": labels}

    return dataset.map(trim, desc="Labels start after the generation prompt")


def check_template_fits(fmt, mode: str, tokenizer, base: str) -> None:
    """One clear error when the base's chat template and the answer format would contradict each other:
    format json in template mode on a base whose template adds its own tool-call instructions (e.g. Qwen's
    "return <tool_call>...") would tell the model two different answer syntaxes."""
    from toolrouter.formats.native import template_family

    if fmt.name != "json" or mode != "template":
        return
    try:
        family = template_family(tokenizer.chat_template, base)
    except ToolrouterError:
        return  # a template without tool-call instructions (the tiny base's): nothing to contradict
    raise ToolrouterError(f"mode template with format json on {base}: its chat template ({family} tool calls) "
                          "writes its own tool-call instructions next to the tools, which contradict the JSON "
                          "envelope's rules. Use format: native (the base's own tool calls), or mode compact or "
                          "json with format json")


def choose_loss(loss_on: str, marked: bool, fmt_name: str, multi_turn: bool, base: str) -> tuple[bool, str]:
    """(completion_only, what carries the loss) for `training.loss_on`. Single-turn rows: as before (one
    assistant turn, so both settings agree). Conversations, `final`: prompt/completion pairs (the history
    is the prompt), with the generation markers on top when the template has them, so only the last
    answer and its end of turn are labelled. `all_assistant`: messages with assistant_only_loss, which
    labels every `{% generation %}` block: every assistant turn, never a user or tool turn."""
    if not multi_turn:
        return not marked or fmt_name == "native", "final"
    if loss_on == "final":
        return True, "final"
    if not marked:
        raise ToolrouterError(f"training.loss_on: all_assistant needs a chat template with {{% generation %}} markers "
                              f"(or one TRL knows how to mark), and the template of {base} has none; use "
                              "training.loss_on: final (the last answer only)")
    return False, "all_assistant"


def template_is_marked(tokenizer) -> bool:
    """True when assistant_only_loss works: the template has {% generation %} or TRL can patch it."""
    from trl.chat_template_utils import get_training_chat_template

    try:
        get_training_chat_template(tokenizer)
        return True
    except ValueError:
        return False


# ---------------------------------------------------------------------------------------------
# models

def run_bank(catalogue) -> str:
    """The phrasing bank the run's data speaks (the catalogue's own bank file, else the draft of its
    schema), saved beside the run's catalogue.json snapshot as catalogue.bank.yaml: the snapshot is the
    tools as the prompt shows them, without field examples, formats or synonyms, and span copying at
    eval, route and serve (toolrouter.formats.copy) reads which arguments are copied, and the words said
    before them, from the same bank that made the data."""
    from toolrouter.data.bank import bank_path
    from toolrouter.data.draft import draft_yaml

    path = bank_path(catalogue)
    return path.read_text() if path else draft_yaml(catalogue)


def build_tiny_base(recipe: Recipe, catalogue, splits: dict, base_dir: Path) -> None:
    """The scratch base: a BPE tokenizer trained on the train rows + catalogue renders, a random-init
    Llama sized by `model.tiny`; saved to run_dir/base/ so an adapter's base resolves offline."""
    from toolrouter.formats import get_format
    from toolrouter.train.tiny import ARCH_OF_TEMPLATE, build_model, build_tokenizer, chat_template

    t = recipe.model.tiny
    template = t.template or ("qwen2_5" if recipe.format == "native" else "chatml")
    fmt = get_format(recipe.format, family="llama3" if template == "llama3_1" else "hermes")
    system = fmt.system_prompt(catalogue, recipe.mode)
    texts = [system, json.dumps(catalogue.to_openai(), ensure_ascii=False)]
    rows = splits["train"]
    lower = template == "chatml_lower"  # the tokenizer learns the text as the model will read it
    if lower:
        from toolrouter.formats.copy import lower_copied

        rows = lower_copied(rows, catalogue, fmt)
    for row in rows:
        texts += [m["content"].lower() if lower and m["role"] == "user" else m["content"]
                  for m in row["messages"] if m["role"] != "system"]
        if recipe.format != "json":  # every answer as the template writes it, earlier turns' included
            texts += [fmt.answer_text(fmt.target_of(m), catalogue) for m in row["messages"] if m["role"] == "assistant"]
    # The system prompt, identical in every row, becomes a single token (see tiny.build_tokenizer):
    # rows shrink from ~210 to ~55 tokens for support_router, so each step costs ~4x less. A real
    # template renders more around it (its tool list and instructions): that whole shared prefix is the token.
    whole = [system] if template == "chatml" else [_shared_prefix(chat_template(template), fmt, catalogue, recipe.mode)]
    tokenizer = build_tokenizer(texts, vocab_size=t.vocab_size, whole=whole, template=template,
                                space_tokens=t.space_tokens)
    model = build_model(tokenizer, layers=t.layers, hidden=t.hidden, heads=t.heads, intermediate=t.intermediate,
                        max_positions=max(recipe.training.max_length, 512), seed=recipe.training.seed,
                        arch=ARCH_OF_TEMPLATE[template])
    base_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(base_dir)
    tokenizer.save_pretrained(base_dir)


def _shared_prefix(template: str, fmt, catalogue, mode: str) -> str:
    """What `template` renders before the user's words, for the full catalogue (no tokenizer needed)."""
    from transformers.utils.chat_template_utils import render_jinja_template

    mark = "\x00user\x00"
    conv = [{"role": "system", "content": fmt.system_prompt(catalogue, mode)}, {"role": "user", "content": mark}]
    rendered, _ = render_jinja_template(conversations=[conv], chat_template=template,
                                        tools=fmt.template_tools(catalogue, mode), bos_token="", eos_token="")
    return rendered[0][:rendered[0].index(mark)]


def quantization(recipe: Recipe, device: str, bf16: bool):
    """BitsAndBytesConfig for QLoRA, or one clear error where bitsandbytes cannot run it."""
    if recipe.quantization is None:
        return None
    import torch
    from transformers import BitsAndBytesConfig

    try:
        import bitsandbytes  # noqa: F401
    except ImportError:
        raise ToolrouterError("quantization (QLoRA) needs bitsandbytes: pip install 'toolrouter[qlora]', "
                              "or remove the quantization section from the recipe") from None
    if device not in ("cuda", "cpu"):
        raise ToolrouterError(f"quantization (QLoRA): bitsandbytes has no 4-bit kernels for device {device!r}; "
                              "train on CUDA or CPU, or remove the quantization section")
    q = recipe.quantization
    return BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type=q.quant_type,
                              bnb_4bit_use_double_quant=q.double_quant,
                              bnb_4bit_compute_dtype=torch.bfloat16 if bf16 else torch.float32)


def keep_4bit_trainable(model) -> int:
    """bitsandbytes 0.50 on AVX512-BF16 CPUs repacks a Linear4bit's weight for a fast inference
    kernel on its first no-grad eval-mode forward (a generate, or trainer.evaluate()). The kernel has
    no autograd, so every later LoRA gradient is exactly 0.0, with only a warning. Turn it off."""
    n = 0
    for module in model.modules():
        if hasattr(module, "support_avx512bf16_for_cpu"):
            module.support_avx512bf16_for_cpu = False
            n += 1
    return n


def lora_config(recipe: Recipe):
    if recipe.lora is None:
        return None
    from peft import LoraConfig

    lo = recipe.lora
    return LoraConfig(r=lo.r, lora_alpha=lo.alpha, lora_dropout=lo.dropout, target_modules=lo.target_modules,
                      modules_to_save=lo.modules_to_save, task_type="CAUSAL_LM")


# ---------------------------------------------------------------------------------------------
# the trainer

def packing_for(packing: str, device: str, quantized: bool = False) -> str:
    """training.packing with `auto` resolved for the device and base (the reasons, with the measured
    figures: recipe.TrainingConfig): padding_free for a bf16 base on CUDA, none otherwise."""
    if packing != "auto":
        return packing
    return "padding_free" if device.startswith("cuda") and not quantized else "none"


def attention_for(recipe: Recipe, device: str) -> Optional[str]:
    """model.attention with `auto` resolved: eager for the tiny base on CPU (1.35-1.4x the steps a second
    of sdpa: recipe.ModelConfig), else None (the library's default)."""
    if recipe.model.attention != "auto":
        return recipe.model.attention
    return "eager" if recipe.is_tiny and device == "cpu" else None


def sft_config(recipe: Recipe, run_dir: Path, device: str, bf16: bool, has_val: bool):
    from trl import SFTConfig

    t = recipe.training
    packing = packing_for(t.packing, device, quantized=recipe.quantization is not None)
    # warmup < 1 is a ratio of all optimizer steps (transformers reads a float in [0, 1) that way).
    warmup = t.warmup if t.warmup < 1 else int(t.warmup)
    return SFTConfig(
        output_dir=str(run_dir / "checkpoints"),
        num_train_epochs=t.epochs, max_steps=t.max_steps or -1,
        learning_rate=t.lr, lr_scheduler_type=t.scheduler, warmup_steps=warmup, weight_decay=t.weight_decay,
        lr_scheduler_kwargs={"min_lr_rate": t.min_lr_ratio} if t.min_lr_ratio is not None else {},
        per_device_train_batch_size=t.batch_size, per_device_eval_batch_size=t.batch_size,
        gradient_accumulation_steps=t.grad_accum,
        # No padding to a fixed length: the collator pads each batch to its longest row.
        # Random batches on purpose: train_sampling_strategy="group_by_length" lifts the real-token share
        # from 0.80 to 0.99 but row length tracks tool and template, so batches stop being mixed: the
        # tiny demo recipe fell from exact 0.863 to 0.545 on its held-out split (measured 2026-11-21).
        max_length=None if packing == "padding_free" else t.max_length,  # TRL's rule without packing
        packing=packing == "bfd", packing_strategy="bfd", padding_free=packing == "padding_free",
        assistant_only_loss=True, completion_only_loss=False,  # see the module docstring
        activation_checkpointing=t.gradient_checkpointing,  # transformers 5's name for gradient checkpointing
        bf16=bf16, fp16=False, use_cpu=device == "cpu",
        seed=t.seed, data_seed=t.seed,
        save_strategy="steps", save_steps=t.save_steps, save_total_limit=t.save_total_limit,
        logging_steps=t.logging_steps, logging_first_step=True,
        eval_strategy="steps" if t.eval_steps and has_val else "no", eval_steps=t.eval_steps,
        ddp_find_unused_parameters=False,  # every parameter gets a gradient; skips a graph walk per step
        report_to="none",
    )


def build_trainer(recipe: Recipe, resume: bool = False, callbacks: Optional[list] = None):
    """Everything up to `trainer.train()`: data, base model, LoRA/4-bit, SFTTrainer. The main process
    writes the run's inputs (recipe.yaml, catalogue.json, data/, data_report.json, base/).
    Returns (trainer, info) where info holds what the run card and run.json need."""
    import torch
    from trl import SFTTrainer

    from toolrouter import load_catalogue

    run_dir = recipe.run_dir
    catalogue = load_catalogue(recipe.catalogue)
    if not recipe.is_tiny:
        resolve_base(recipe.model.base)  # fail fast, before anything is built or written
    device = choose_device()
    bf16 = bf16_supported(device) if recipe.training.bf16 == "auto" else recipe.training.bf16
    if bf16 and not bf16_supported(device):
        raise ToolrouterError(f"training.bf16: true, but this {device} has no bf16 support; set training.bf16=auto")
    qconfig = quantization(recipe, device, bf16)
    splits, report = get_splits(recipe, catalogue, run_dir, resume)
    where = recipe.data.path or "the built data"
    check_rows(splits["train"], recipe.mode, where, recipe.format)
    if not splits["train"]:
        raise ToolrouterError(f"{where}: the train split is empty")

    base_dir = run_dir / "base"
    # SFTConfig sets up torch.distributed, so the main-process-first barrier below works under DDP.
    args = sft_config(recipe, run_dir, device, bf16, has_val=bool(splits["val"]))
    is_main = args.process_index == 0
    with args.main_process_first(local=False, desc="build the run's inputs"):
        if is_main:
            run_dir.mkdir(parents=True, exist_ok=True)
            write_text(run_dir / "recipe.yaml", recipe.to_yaml())
            write_json(run_dir / "catalogue.json", catalogue.to_openai())
            write_text(run_dir / "catalogue.bank.yaml", run_bank(catalogue))
            if not (resume and (run_dir / "data" / "train.jsonl").is_file()):
                write_splits(splits, report, run_dir / "data")
            write_json(run_dir / "data_report.json", report)
            if recipe.is_tiny and not (resume and (base_dir / "config.json").is_file()):
                build_tiny_base(recipe, catalogue, splits, base_dir)

    if recipe.is_tiny:
        base_name = str(base_dir.resolve())
        tokenizer, model = load_pretrained(base_name)
    else:
        base_name = recipe.model.base
        # A frozen base (LoRA) can sit in bf16; full fine-tuning keeps fp32 master weights (autocast does bf16).
        dtype = torch.bfloat16 if bf16 and recipe.lora is not None else torch.float32
        tokenizer, model = load_pretrained(base_name, dtype=dtype, quantization_config=qconfig)
    if qconfig is not None and device == "cpu":
        keep_4bit_trainable(model)
    attention = attention_for(recipe, device)
    if attention is not None:  # while training only: the saved config does not keep it
        model.set_attn_implementation(attention)

    from toolrouter.formats import get_format

    fmt = get_format(recipe.format, tokenizer, base=recipe.model.base if not recipe.is_tiny else base_name)
    check_template_fits(fmt, recipe.mode, tokenizer, recipe.model.base)
    marked = template_is_marked(tokenizer)
    multi_turn = any(sum(m["role"] == "assistant" for m in row["messages"]) > 1 for row in splits["train"])
    completion_only, loss_on = choose_loss(recipe.training.loss_on, marked, fmt.name, multi_turn, base_name)
    if not marked:
        print(f"note: the chat template of {base_name} has no {{% generation %}} markers and TRL cannot patch it; "
              "training on prompt/completion pairs (loss on the answer and what follows it)", file=sys.stderr)
    # Native rows train on prompt/completion pairs too, with the generation markers (if any) on top: a
    # marked template's block also holds the newline after `<|im_start|>assistant`, which the prompt
    # already ends with; completion ∧ assistant mask labels exactly the call and its end of turn.
    args.assistant_only_loss, args.completion_only_loss = marked, completion_only
    masking = ("completion_and_assistant" if marked else "completion_only") if completion_only else "assistant_only"
    train_rows, val_rows = splits["train"], splits["val"]
    from toolrouter.formats.copy import lower_copied, reads_lowercase

    if reads_lowercase(tokenizer):  # copied values as the model reads them; restore_case undoes it at inference
        train_rows, val_rows = lower_copied(train_rows, catalogue, fmt), lower_copied(val_rows, catalogue, fmt)
    train_ds = trl_dataset(to_trl_rows(train_rows, completion_only))
    val_ds = trl_dataset(to_trl_rows(val_rows, completion_only))
    trainer = SFTTrainer(model=model, args=args, train_dataset=train_ds, eval_dataset=val_ds,
                         processing_class=tokenizer, peft_config=lora_config(recipe), callbacks=callbacks)
    if loss_on == "all_assistant":
        from toolrouter.formats.json_format import generation_prompt

        prompt_ids = tokenizer(generation_prompt(tokenizer), add_special_tokens=False)["input_ids"]
        trainer.train_dataset = labels_start_after_generation_prompt(trainer.train_dataset, prompt_ids)
        if trainer.eval_dataset is not None:
            trainer.eval_dataset = labels_start_after_generation_prompt(trainer.eval_dataset, prompt_ids)
    if fmt.name == "native":
        eot = tokenizer.convert_tokens_to_ids(fmt.end_of_turn)
        trainer.train_dataset = stop_labels_at_end_of_turn(trainer.train_dataset, eot)
        if trainer.eval_dataset is not None:
            trainer.eval_dataset = stop_labels_at_end_of_turn(trainer.eval_dataset, eot)
    info = {"catalogue": catalogue, "device": device, "bf16": bf16, "base_model": base_name,
            "attention": model.config._attn_implementation,
            "loss_masking": masking, "loss_on": loss_on, "data_report": report, "format": fmt,
            "splits": {k: len(v) for k, v in splits.items()}}
    return trainer, info


def write_splits(splits: dict, report: dict, out: Path) -> None:
    """The rows as the data module writes them: train/val/test.jsonl, test.gold.jsonl (what
    `toolrouter eval --run RUN --split test` scores) and report.json."""
    from toolrouter.data.pipeline import Dataset as Rows, write_dataset

    write_dataset(Rows(splits=splits, report=report), out)


# ---------------------------------------------------------------------------------------------
# after training: the run card

def write_loss_log(log_history: list[dict], run_dir: Path) -> list[dict]:
    """loss.csv (step, epoch, loss, eval_loss, learning_rate) and loss.png from the trainer's log."""
    rows = [{"step": e["step"], "epoch": round(e.get("epoch", 0), 4), "loss": e.get("loss", ""),
             "eval_loss": e.get("eval_loss", ""), "learning_rate": e.get("learning_rate", "")}
            for e in log_history if "loss" in e or "eval_loss" in e]
    def write_csv(tmp: str) -> None:
        with open(tmp, "w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=["step", "epoch", "loss", "eval_loss", "learning_rate"])
            writer.writeheader()
            writer.writerows(rows)

    atomic_write(run_dir / "loss.csv", write_csv)

    import matplotlib

    matplotlib.use("Agg")  # no display: write the PNG only
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    for key, label in (("loss", "train"), ("eval_loss", "validation")):
        points = [(r["step"], r[key]) for r in rows if r[key] != ""]
        if points:
            ax.plot(*zip(*points), label=label, marker="o" if key == "eval_loss" else None)
    ax.set_xlabel("step")
    ax.set_ylabel("loss (answer tokens)")
    ax.set_yscale("log")
    ax.set_title(run_dir.name)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    atomic_write(run_dir / "loss.png", lambda tmp: fig.savefig(tmp, format="png", dpi=100), suffix=".png")
    plt.close(fig)
    return rows


def finish_run(trainer, recipe: Recipe, info: dict, train_output) -> dict:
    """Save the model (every rank joins: FSDP gathers the weights) and, on the main process, the run card."""
    run_dir = recipe.run_dir
    trainer.save_model(str(run_dir))
    history = trainer.state.log_history
    evals = [e for e in history if "eval_loss" in e]
    if evals and evals[-1]["step"] == trainer.state.global_step:
        metrics = evals[-1]  # the last eval_steps pass already scored the final weights
    else:
        metrics = trainer.evaluate() if trainer.eval_dataset is not None else {}
    if not trainer.is_world_process_zero():
        return {}
    fmt = info["format"]
    # The response template goes into tokenizer_config.json: parse_response and servers read answers with it.
    trainer.processing_class.response_template = fmt.response_template(trainer.processing_class)
    trainer.processing_class.save_pretrained(str(run_dir))
    (run_dir / "training_args.bin").unlink(missing_ok=True)  # a pickle; the resolved recipe.yaml says it all
    catalogue = info["catalogue"]
    run = {
        "name": recipe.name, "mode": recipe.mode, **fmt.to_run(), "catalogue": catalogue.name,
        "catalogue_sha256": catalogue.fingerprint(), "base_model": info["base_model"],
        "adapter": recipe.lora is not None, "max_new_tokens": recipe.eval.max_new_tokens,
        "base_dir": "base" if recipe.is_tiny else None,
        "data_dir": "data", "eval": recipe.eval.model_dump(),
        "loss_masking": info["loss_masking"], "loss_on": info["loss_on"], "device": info["device"], "bf16": info["bf16"],
        "attention": info["attention"],  # while training; inference loads the library's default
        "quantization": recipe.quantization.model_dump() if recipe.quantization else None,
        "world_size": trainer.args.world_size, "global_step": trainer.state.global_step,
        "train_loss": next((e["loss"] for e in reversed(history) if "loss" in e), train_output.training_loss),
        "train_loss_mean": train_output.training_loss, "eval_loss": metrics.get("eval_loss"),
        "train_runtime_s": round(train_output.metrics.get("train_runtime", 0.0), 1),
    }
    write_loss_log(history, run_dir)
    from toolrouter.train.card import build_card

    write_text(run_dir / "README.md", str(build_card(recipe, run, info)))
    write_run(run_dir, run)  # last: its presence marks a finished run
    return run


def train(recipe: Recipe, resume: bool = False, overwrite: bool = False, callbacks: Optional[list] = None) -> dict:
    """Train `recipe` into `recipe.run_dir`; returns run.json's content (empty on non-main ranks)."""
    from toolrouter.train.checkpoints import check_resume, clear_run_dir, resume_checkpoint

    run_dir = recipe.run_dir
    last = None
    is_main = int(os.environ.get("RANK", "0")) == 0
    if resume:
        if not check_resume(run_dir, recipe):
            return read_json(run_dir / "run.json")
        last = str(resume_checkpoint(run_dir, main_process=is_main))
    elif run_dir.is_dir() and not run_dir.is_symlink() and any(run_dir.iterdir()):
        if not overwrite:
            raise ToolrouterError(f"{run_dir} already holds a run; pass --resume to continue it from its last "
                                  "checkpoint, or --overwrite to start it over")
        if is_main:
            clear_run_dir(run_dir)
    elif run_dir.is_symlink() or run_dir.exists():  # a file or a dangling link where the run dir goes
        clear_run_dir(run_dir)  # refuses it with the fix
    trainer, info = build_trainer(recipe, resume=resume, callbacks=callbacks)
    output = trainer.train(resume_from_checkpoint=last)
    state = trainer.state
    print(f"[rank {trainer.args.process_index}/{trainer.args.world_size}] trained to step {state.global_step}",
          flush=True)
    run = finish_run(trainer, recipe, info, output)
    if run:
        print(f"wrote {run_dir} (step {run['global_step']}, train loss {run['train_loss']:.4f}"
              + (f", val loss {run['eval_loss']:.4f}" if run["eval_loss"] is not None else "") + ")", flush=True)
    return run


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """`toolrouter train`'s options (declared once: the CLI tree and `python -m` both use them)."""
    parser.add_argument("--recipe", required=True, help="shipped recipe name (recipes/NAME.yaml) or a .yaml path")
    parser.add_argument("overrides", nargs="*", metavar="KEY=VALUE",
                        help="override recipe keys by dotted path, e.g. training.max_steps=50 model.base=/models/qwen")
    parser.add_argument("--resume", action="store_true", help="continue from the run dir's last checkpoint")
    parser.add_argument("--overwrite", action="store_true", help="delete an existing run dir and start over")


def command(args: argparse.Namespace) -> int:
    if args.resume and args.overwrite:
        raise ToolrouterError("--resume and --overwrite exclude each other: pick one")
    recipe = load_recipe(args.recipe, args.overrides)
    train(recipe, resume=args.resume, overwrite=args.overwrite)
    return 0


def main(argv: Optional[list[str]] = None) -> int:
    """`python -m toolrouter.train.trainer --recipe ...` (what `accelerate launch -m` runs) = `toolrouter train`."""
    from toolrouter.cli import main as cli_main

    return cli_main(["train", *(sys.argv[1:] if argv is None else argv)])


# ---------------------------------------------------------------------------------------------
# merge

def add_merge_arguments(parser: argparse.ArgumentParser) -> None:
    """`toolrouter merge`'s options."""
    parser.add_argument("run", help="a run dir with run.json and an adapter (adapter_model.safetensors)")
    parser.add_argument("--out", help="output folder (default RUN/merged)")


def merge_command(args: argparse.Namespace) -> int:
    """`toolrouter merge RUN [--out DIR]`: fold a run's LoRA adapter into its base and save a full
    safetensors model that plain `transformers` loads (AutoModelForCausalLM.from_pretrained)."""
    run_dir = Path(args.run)
    out = Path(args.out) if args.out else run_dir / "merged"
    merge(run_dir, out)
    print(f"wrote {out} (merged full model, safetensors)")
    return 0


def merge_main(argv: Optional[list[str]] = None) -> int:
    """`python -m` this module = `toolrouter merge` (the one command tree in toolrouter/cli.py)."""
    from toolrouter.cli import main as cli_main

    return cli_main(["merge", *(sys.argv[1:] if argv is None else argv)])


def merge(run_dir: Path, out: Path) -> Path:
    from peft import PeftModel

    info, _ = read_run(run_dir)
    run = info.model_dump()
    if not info.adapter or not (run_dir / "adapter_config.json").is_file():
        raise ToolrouterError(f"{run_dir}: this run is a full model already (no LoRA adapter); nothing to merge, "
                              "load it as it is")
    base = run_dir / run["base_dir"] if run.get("base_dir") else None
    base = str(base) if base is not None and base.is_dir() else run["base_model"]
    # The base in its own saved dtype; a 4-bit (QLoRA) base is reloaded unquantized, since merging
    # into NF4 weights would round the adapter's update away.
    tokenizer, model = load_pretrained(base, dtype="auto")
    model = PeftModel.from_pretrained(model, str(run_dir)).merge_and_unload()
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(out))  # safetensors is the default format
    # The run's own tokenizer files, response template included (servers read answers with it).
    tokenizer = type(tokenizer).from_pretrained(str(run_dir))
    if getattr(tokenizer, "response_template", None) is None:  # a run from before answer formats: json
        from toolrouter.formats import format_of_run

        tokenizer.response_template = format_of_run(run, tokenizer).response_template(tokenizer)
    tokenizer.save_pretrained(str(out))
    shutil.copy(run_dir / "catalogue.json", out / "catalogue.json")
    if (run_dir / "catalogue.bank.yaml").is_file():
        shutil.copy(run_dir / "catalogue.bank.yaml", out / "catalogue.bank.yaml")
    from toolrouter.train.card import merged_card

    write_text(out / "README.md", str(merged_card(run_dir / "README.md", run_dir, out)))
    write_run(out, {**run, "adapter": False, "base_model": str(out.resolve()), "base_dir": None,
                    "merged_from": str(run_dir)})
    return out


if __name__ == "__main__":
    sys.exit(main())  # main() goes through the command tree, which renders errors (exit 2)
