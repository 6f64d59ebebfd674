"""Question 3, prompt cost: prompt tokens (and characters) per request in each catalogue mode
(compact, json, template, baked), on both built-in catalogues, with one tokenizer.

    .venv/bin/python benchmarks/bench_prompt.py          # a few seconds

The tokenizer is the tiny base's byte-level BPE (toolrouter.train.tiny.build_tokenizer, 1024 vocab), trained
here on rows of both catalogues in all four modes (toolrouter.data.pipeline.build_dataset) plus the OpenAI tool
lists, so no mode is favoured by what the tokenizer saw. Unlike a training run's tokenizer it does NOT
make the system prompt one token (`whole=`), since that would hide the cost being measured.
Characters do not depend on any tokenizer; tokens of a production tokenizer (Qwen's 151k BPE) would
be fewer per character, with about the same ratios between modes.

A request is prompted as in training and routing: [system: catalogue.render(mode), user: request]
through the chat template with `tools=catalogue.template_tools(mode)` and the generation prompt. The
requests are the prompts of evals/<catalogue>.jsonl. "Catalogue tokens" are a prompt's tokens beyond
the same request's baked prompt (the generic prompt that names no tool).
"""
from __future__ import annotations

import argparse
import json
import time

from common import REPO, figure, quiet, write_result

CATALOGUES = ("support_router", "car_control")
COMPACT_VS_JSON = 0.5  # compact prompt tokens <= 0.5x json


def shared_tokenizer(rows_per_mode: int = 200):
    from toolrouter import MODES, load_catalogue
    from toolrouter.data.pipeline import build_dataset
    from toolrouter.train.tiny import build_tokenizer

    texts = []
    for name in CATALOGUES:
        catalogue = load_catalogue(name)
        texts.append(json.dumps(catalogue.to_openai(), ensure_ascii=False))
        for mode in MODES:
            for row in build_dataset(catalogue, n=rows_per_mode, mode=mode).splits["train"]:
                texts += [m["content"] for m in row["messages"]]
    return build_tokenizer(texts, vocab_size=1024)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.parse_args()
    quiet()
    started = time.time()
    from toolrouter import MODES, load_catalogue

    tokenizer = shared_tokenizer()
    figures, table = [], {}
    baked_prompts = set()
    for name in CATALOGUES:
        catalogue = load_catalogue(name)
        requests = [json.loads(line)["prompt"] for line in (REPO / "toolrouter" / "evals" / f"{name}.jsonl").read_text().splitlines()
                    if line.strip() and "prompt" in json.loads(line)]
        per_mode = {}
        for mode in MODES:
            tools = catalogue.template_tools(mode)
            tokens = chars = 0
            for request in requests:
                messages = [{"role": "system", "content": catalogue.render(mode)}, {"role": "user", "content": request}]
                text = tokenizer.apply_chat_template(messages, tools=tools, add_generation_prompt=True, tokenize=False)
                tokens += len(tokenizer(text, add_special_tokens=False)["input_ids"])
                chars += len(text)
            per_mode[mode] = {"tokens": tokens / len(requests), "chars": chars / len(requests)}
            if mode == "baked":
                baked_prompts.add(catalogue.render(mode))
        for mode in MODES:
            m = per_mode[mode]
            m["catalogue_tokens"] = m["tokens"] - per_mode["baked"]["tokens"]
            m["catalogue_chars"] = m["chars"] - per_mode["baked"]["chars"]
            figures.append(figure(f"{name}_{mode}_tokens", f"{name} ({len(catalogue)} tools), {mode}: prompt tokens "
                                  f"per request", round(m["tokens"], 1), "tokens"))
            figures.append(figure(f"{name}_{mode}_chars", f"{name}, {mode}: prompt characters per request",
                                  round(m["chars"]), "chars"))
        ratio = per_mode["compact"]["tokens"] / per_mode["json"]["tokens"]
        figures.append(figure(f"{name}_compact_vs_json", f"{name}: compact / json prompt tokens", round(ratio, 2), "x",
                              target=f"<= {COMPACT_VS_JSON}x", met=ratio <= COMPACT_VS_JSON))
        cat_ratio = per_mode["compact"]["catalogue_tokens"] / per_mode["json"]["catalogue_tokens"]
        figures.append(figure(f"{name}_compact_vs_json_catalogue", f"{name}: compact / json catalogue tokens "
                              "(beyond baked)", round(cat_ratio, 2), "x"))
        table[name] = {"requests": len(requests), "tools": len(catalogue), **per_mode}
    # Baked names no tool: its system prompt is the same text for every catalogue, so it carries 0 catalogue tokens.
    baked_same = len(baked_prompts) == 1
    figures.append(figure("baked_catalogue_tokens", "baked: catalogue tokens (system prompt identical for both "
                          "catalogues)", 0 if baked_same else "differs", "tokens", target="0", met=baked_same))
    notes = [f"tokenizer: tiny BPE, {len(tokenizer)} tokens, trained on both catalogues in all modes; "
             f"chat template: toolrouter.train.tiny's ChatML-like one (template mode appends the tool list as JSON).",
             "A training run's own tiny tokenizer turns its whole system prompt into one token, so in a tiny run every "
             "mode costs ~1 token of catalogue; these figures are for a tokenizer that reads the text."]
    write_result("prompt", "3. Prompt cost: tokens and characters per request by catalogue mode",
                 "benchmarks/bench_prompt.py", figures, started, notes, extra={"per_catalogue": table})


if __name__ == "__main__":
    main()
