"""Question 8, scaling: how data building, a training step and eval grow with the number of rows, the
catalogue's size and the prompt mode.

    .venv/bin/python benchmarks/bench_scaling.py            # ~3-5 min on one shared core
    .venv/bin/python benchmarks/bench_scaling.py --quick    # no 100k build, no 100-tool JSON: a smoke run

  data    build_dataset("support_router", n) for n = 2k, 20k, 100k: verified rows/s (pure Python, one core).
  train   one optimizer step (forward, backward, AdamW) on one row = [system: the catalogue in the prompt
          mode, user: a request, assistant: its answer], for catalogues of 3 (support_router), 18
          (car_control) and 100 tools (synthetic: car_control's and support_router's tools copied under
          new names until there are 100), compact and json mode; median of 3 steps after a warm-up
          (1 step for rows over 8k tokens). One row, not a batch: the 100-tool JSON row is ~11k tokens.
  eval    one generate_answers call on 8 requests at batch 8, max_new_tokens 32, unconstrained (eval's
          default), the prefix cache on (its default: the catalogue prefix is computed once in the call,
          and its time is included): examples/s.

The model and tokenizer are bench_prefix_cache's: a random Qwen2-shaped model (4 layers x 256, here with
16,384 positions) and a 1024-token BPE that reads the catalogue (bench_prompt.shared_tokenizer), so the
prompt's length is what a catalogue really costs. The same requests (car_control's gold prompts) go
with every catalogue: only the system prompt changes.
"""
from __future__ import annotations

import argparse
import json
import statistics
import time

from common import REPO, figure, quiet, set_threads, write_result

ROWS = (2_000, 20_000, 100_000)
MODES = ("compact", "json")
EVAL_N, EVAL_MAX_NEW = 8, 32


def synthetic_catalogue(size: int):
    """`size` tools: the built-in catalogues' tools, copied with a numeric suffix until there are `size`."""
    import dataclasses

    from toolrouter import load_catalogue
    from toolrouter.core.catalogue import Catalogue

    base = [*load_catalogue("car_control"), *load_catalogue("support_router")]
    specs = []
    for i in range(size):
        spec = base[i % len(base)]
        specs.append(spec if i < len(base) else dataclasses.replace(spec, name=f"{spec.name}_{i // len(base) + 1}"))
    return Catalogue(specs, name=f"synthetic_{size}")


def catalogues() -> list:
    from toolrouter import load_catalogue

    return [load_catalogue("support_router"), load_catalogue("car_control"), synthetic_catalogue(100)]


def data_rates(quick: bool) -> dict[int, float]:
    from toolrouter.data.pipeline import build_dataset

    build_dataset("support_router", n=200, seed=0)  # imports out of the timing
    rates = {}
    for n in ROWS[:2] if quick else ROWS:
        start = time.perf_counter()
        ds = build_dataset("support_router", n=n, seed=0)
        rates[n] = sum(len(rows) for rows in ds.splits.values()) / (time.perf_counter() - start)
        print(f"  data {n:,} rows: {rates[n]:,.0f} rows/s", flush=True)
    return rates


def requests(n: int) -> list[str]:
    lines = (REPO / "toolrouter" / "evals" / "car_control.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["prompt"] for line in lines if line.strip() and "prompt" in json.loads(line)][:n]


def train_step(model, tokenizer, catalogue, mode: str) -> tuple[int, float]:
    """(tokens in the row, median seconds of one optimizer step on it)."""
    import torch

    messages = [{"role": "system", "content": catalogue.render(mode)}, {"role": "user", "content": requests(1)[0]},
                {"role": "assistant", "content": '{"tool": "no_tool", "reason": "a scaling benchmark"}'}]
    ids = torch.tensor([tokenizer.apply_chat_template(messages, tokenize=True, return_dict=True)["input_ids"]])
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-5)
    model.train()
    times = []
    for _ in range(2 if ids.shape[1] > 8000 else 4):
        start = time.perf_counter()
        loss = model(input_ids=ids, labels=ids).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        times.append(time.perf_counter() - start)
    model.eval()
    return ids.shape[1], statistics.median(times[1:])


def eval_rate(model, tokenizer, catalogue, mode: str) -> float:
    """Examples/s of one generate_answers call on EVAL_N requests (its catalogue prefix forward included)."""
    from toolrouter.infer.generate import generate_answers

    convs = [[{"role": "system", "content": catalogue.render(mode)}, {"role": "user", "content": r}]
             for r in requests(EVAL_N)]
    start = time.perf_counter()
    generate_answers(model, tokenizer, convs, max_new_tokens=EVAL_MAX_NEW, batch_size=EVAL_N, prefix_cache=True)
    return EVAL_N / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--quick", action="store_true", help="no 100k-row build and no 100-tool JSON row")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1: see benchmarks/README.md)")
    args = parser.parse_args()
    quiet()
    started = time.time()
    rates = data_rates(args.quick)

    import torch

    from bench_prefix_cache import random_qwen2
    from bench_prompt import shared_tokenizer

    set_threads(args.threads)
    tokenizer = shared_tokenizer()
    model = random_qwen2(tokenizer, torch.float32, positions=16384)
    figures = [figure(f"data_{n}", f"data build, support_router, {n:,} rows", round(rate), "rows/s")
               for n, rate in rates.items()]
    matrix = []
    for catalogue in catalogues():
        for mode in MODES:
            if args.quick and len(catalogue) > 18 and mode == "json":
                continue
            tokens, step_s = train_step(model, tokenizer, catalogue, mode)
            per_s = eval_rate(model, tokenizer, catalogue, mode)
            key = f"{len(catalogue)}_{mode}"
            matrix.append({"tools": len(catalogue), "catalogue": catalogue.name, "mode": mode, "row_tokens": tokens,
                           "train_step_s": round(step_s, 3), "eval_examples_per_s": round(per_s, 2)})
            print(f"  {catalogue.name} ({len(catalogue)} tools) {mode}: {tokens} tokens a row, train step "
                  f"{step_s:.2f} s, eval {per_s:.1f} ex/s", flush=True)
            figures += [
                figure(f"train_{key}", f"{len(catalogue)} tools, {mode}: train step, one {tokens:,}-token row",
                       round(step_s, 3), "s"),
                figure(f"eval_{key}", f"{len(catalogue)} tools, {mode}: eval examples/s (batch {EVAL_N}, prefix cache)",
                       round(per_s, 1), "ex/s"),
            ]
    notes = [f"model: random Qwen2-shaped, 4 layers x 256 ({sum(p.numel() for p in model.parameters()) / 1e6:.1f} M "
             f"parameters), float32, torch threads {args.threads}; tokenizer: {len(tokenizer)}-token BPE that reads "
             "the catalogue; the 100-tool catalogue is the built-in tools copied under new names.",
             "train step = forward + backward + AdamW on one row (a plain torch step, not the SFTTrainer: what grows "
             "with the catalogue is the model's work on the prompt); eval = one generate_answers call, "
             f"{EVAL_N} requests, batch {EVAL_N}, max_new_tokens {EVAL_MAX_NEW}, unconstrained, the catalogue "
             "prefix computed once in the call (its time included)."]
    write_result("scaling", "8. Scaling: data rows/s by size; train step and eval by catalogue size and prompt mode",
                 "benchmarks/bench_scaling.py" + (" --quick" if args.quick else ""), figures, started, notes,
                 extra={"data_rows_per_s": {str(n): round(r) for n, r in rates.items()}, "matrix": matrix})


if __name__ == "__main__":
    main()
