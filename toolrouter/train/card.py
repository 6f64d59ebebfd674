"""The run's Hugging Face model card (README.md), built with huggingface_hub's card classes.

    card = build_card(recipe, run, info)             # after training: YAML front matter + the run's story
    card.save(run_dir / "README.md")
    fill_metrics(run_dir / "README.md", report, gold)  # after `toolrouter eval --run`: metrics + model-index

The front matter is what the Hub (and `huggingface_hub.ModelCard.load`) reads: base_model (a Hub id
only: the scratch base has none), library_name (peft for an adapter, transformers for a full model),
pipeline_tag, tags, license where known (the base's own card, else none; the scratch base is ours,
Apache-2.0), and, once evaluated, a `model-index` with the tool metrics on the gold set.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

from toolrouter.io import METRICS_END as EVAL_END, METRICS_START as EVAL_START, write_text
# Metrics that go into the model-index (rates in [0, 1]; names as toolrouter.eval.metrics defines them).
INDEX_METRICS = ("exact_match_rate", "tool_name_accuracy", "argument_match_accuracy", "valid_tool_call_rate",
                 "false_tool_call_rate", "missed_call_rate")


def base_license(base: str) -> Optional[str]:
    """The license in the base model's own card (a local folder or the local Hub cache), if any."""
    from huggingface_hub import ModelCard

    path = Path(base) / "README.md"
    if not path.is_file():
        try:
            from huggingface_hub import try_to_load_from_cache

            cached = try_to_load_from_cache(base, "README.md")
        except Exception:  # not a repo id
            cached = None
        path = Path(cached) if isinstance(cached, str) else None
    if path is None or not path.is_file():
        return None
    try:
        return ModelCard.load(path).data.license
    except Exception:  # a README without valid front matter
        return None


def serve_command(model_dir: str, fmt) -> str:
    """The `vllm serve` line that gives OpenAI clients `tool_calls` for this run's answer format."""
    # json: vLLM's response-template parser reads the template saved in tokenizer_config.json.
    parser = "response_template" if fmt.name == "json" else "llama3_json" if fmt.family == "llama3" else "hermes"
    return f"vllm serve {model_dir} --enable-auto-tool-choice --tool-call-parser {parser}"


def build_card(recipe, run: dict, info: dict):
    """The ModelCard of a finished run: front matter (ModelCardData) and the body text."""
    from huggingface_hub import ModelCard, ModelCardData

    fmt = info["format"]
    t = recipe.training
    finetune = (f"LoRA r={recipe.lora.r} alpha={recipe.lora.alpha} on {recipe.lora.target_modules}"
                + (f", full {recipe.lora.modules_to_save}" if recipe.lora.modules_to_save else "")
                if recipe.lora else "full fine-tuning")
    if recipe.quantization:
        finetune += f" over a 4-bit {recipe.quantization.quant_type} base (QLoRA)"
    base = "built-in tiny scratch base (`base/`: " + ", ".join(
        f"{k}={v}" for k, v in recipe.model.tiny.model_dump().items() if v is not None) + ")" \
        if recipe.is_tiny else f"`{recipe.model.base}`"
    steps = f"{t.max_steps} steps" if t.max_steps else f"{t.epochs:g} epochs"
    report = info["data_report"]
    summary = ", ".join(f"{k} {v}" for k, v in info["splits"].items()) + " rows"
    no_tool = report.get("splits", {}).get("train", {}).get("no_tool_share")
    if no_tool is not None:
        summary += f", no_tool share {no_tool:.2f} in train"
    catalogue = info["catalogue"]
    answer = ("one JSON object (`{\"tool\": ..., \"arguments\": {...}}`) or an explicit "
              "`{\"tool\": \"no_tool\", \"reason\": ...}`" if fmt.name == "json" else
              "the base model's own tool call (its chat template's format) or, when no tool fits, a plain "
              "sentence saying why")
    lines = [
        f"# {recipe.name}",
        "",
        f"A tool router fine-tuned with `toolrouter train --recipe {recipe.name}`. It answers {answer}.",
        "",
        f"- base: {base}",
        f"- catalogue: `{catalogue.name}` ({len(catalogue)} tools: {', '.join(catalogue.names)}), sha256 "
        f"`{run['catalogue_sha256'][:16]}...`",
        f"- prompt mode: `{recipe.mode}`; answer format: `{fmt.name}`"
        + (f" ({fmt.family} tool calls)" if fmt.name == "native" else ""),
        f"- fine-tuning: {finetune}; loss on "
        + ("every assistant turn of a conversation" if info.get("loss_on") == "all_assistant" else "the answer")
        + f" and its end-of-turn token ({info['loss_masking']})",
        f"- data: {summary}"
        + (f" (seed {recipe.data.seed}, no_tool ratio {recipe.data.no_tool_ratio}, robust {recipe.data.robust}"
           + (f", conversations: history {recipe.data.conversations.history}, several calls "
              f"{recipe.data.conversations.several}" if recipe.data.conversations else "") + ")"
           if recipe.data.path is None else f" from `{recipe.data.path}`") + "; report in `data_report.json`",
        f"- training: {steps} ({run['global_step']} optimizer steps), lr {t.lr:g} {t.scheduler}, batch "
        f"{t.batch_size} x {t.grad_accum} accumulation x {run['world_size']} process(es), max length {t.max_length}, "
        f"{'bf16' if info['bf16'] else 'fp32'} on {info['device']}, seed {t.seed}",
        f"- last logged train loss {run['train_loss']:.4f}" + (f", validation loss {run['eval_loss']:.4f}"
                                                           if run.get("eval_loss") is not None else "")
        + f"; {run['train_runtime_s']:.0f} s",
        "",
        "![loss](loss.png)",
        "",
        "## Evaluation",
        "",
        EVAL_START,
        f"Not evaluated yet: `toolrouter eval --run {recipe.run_dir}` fills this section.",
        EVAL_END,
        "",
        "## Use",
        "",
        "```",
        f"toolrouter route --run {recipe.run_dir} \"a request in plain words\"",
        "```",
        "",
        "The tokenizer config carries a response template, so `tokenizer.parse_response(text, prefix=\"\")` "
        "turns an answer into an OpenAI-style message (`tool_calls` for a call, `content` for no_tool). "
        "Serving " + ("the merged model (`toolrouter merge`)" if recipe.lora else "this folder")
        + " with vLLM:",
        "",
        "```",
        serve_command(f"{recipe.run_dir}/merged" if recipe.lora else str(recipe.run_dir), fmt),
        "```",
        "",
    ]
    data = ModelCardData(
        model_name=recipe.name,
        base_model=None if recipe.is_tiny else recipe.model.base,
        library_name="peft" if recipe.lora else "transformers",
        pipeline_tag="text-generation",
        license="apache-2.0" if recipe.is_tiny else base_license(recipe.model.base),
        tags=["toolrouter", "tool-calling", "function-calling", "trl", "sft", f"answer-format-{fmt.name}"]
        + (["lora"] if recipe.lora else []),
    )
    return ModelCard(f"---\n{data.to_yaml()}\n---\n\n" + "\n".join(lines))


def merged_card(run_card_path: Path, run_dir: Path, out: Path):
    """The merge output's card: the run's card, now a full transformers model whose base is the run's."""
    from huggingface_hub import ModelCard, ModelCardData

    card = ModelCard.load(run_card_path) if run_card_path.is_file() else ModelCard("---\n---\n")
    data = card.data.to_dict()
    data.update(library_name="transformers", tags=sorted(set(data.get("tags") or []) - {"lora"} | {"merged"}))
    note = (f"\n\nMerged from the LoRA run `{run_dir}` by `toolrouter merge`: a full safetensors model that plain "
            "`transformers` (and vLLM) load without PEFT.\n")
    return ModelCard(f"---\n{ModelCardData(**data).to_yaml()}\n---\n" + card.text.rstrip("\n") + note)


def fill_metrics(readme: Path, report: dict, gold: str, table: str) -> bool:
    """Put `table` between the card's metrics markers and the metrics into its model-index; False when
    the card has no markers. Written atomically with normal permissions."""
    from huggingface_hub import EvalResult, ModelCard, ModelCardData

    if not readme.is_file():
        return False
    card = ModelCard.load(readme)
    text = card.text
    start, end = text.find(EVAL_START), text.find(EVAL_END)
    if start < 0 or end < start:
        return False
    body = text[:start + len(EVAL_START)] + "\n" + table + "\n" + text[end:]
    data = card.data.to_dict()
    data.pop("model-index", None)
    data.pop("eval_results", None)
    name = data.pop("model_name", None) or readme.parent.name
    results = [EvalResult(task_type="text-generation", task_name="tool routing", dataset_type="toolrouter-gold",
                          dataset_name=Path(str(gold)).name, metric_type=key, metric_name=key,
                          metric_value=round(report["metrics"][key]["value"], 4))
               for key in INDEX_METRICS if report.get("metrics", {}).get(key, {}).get("value") is not None]
    front = ModelCardData(model_name=name, eval_results=results or None, **data).to_yaml()
    write_text(readme, f"---\n{front}\n---\n" + body)  # atomic, ordinary permissions
    return True
