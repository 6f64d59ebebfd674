"""Question 2, eval throughput: examples/s of generate_answers batched (32) vs one at a time, and
how close that ratio comes to the model's own floor.

    .venv/bin/python benchmarks/bench_eval.py                          # trains a tiny run first (~1-2 min)
    .venv/bin/python benchmarks/bench_eval.py --run runs/support_router_tiny --n 128

Same model, same gold prompts (the first --n cases of evals/support_router.jsonl, prompted as
`toolrouter eval` prompts them), greedy, unconstrained (eval's default), max_new_tokens from the run.
Batched = what `toolrouter eval` does (prompts sorted by length, left padding, KV cache);
one at a time = the same function with batch_size=1. The two alternate chunk by chunk (32 cases
batched, then the same 32 one at a time), so a shared CPU's load drift hits both; a warm-up call is
excluded.

The floor: one forward step of the same model (one new token per row over a KV cache as long as the
mean prompt, what every decoding step is) timed at batch 1 and at batch 32, median of 30 steps each.
32 x t(batch 1) / t(batch 32) is the most batching can give (the floor ratio); batched eval is reported
as a fraction of it (target >= 0.8). What eats the rest: answers of different lengths (a batch runs
until its longest answer ends, less so now that finished rows leave it), prefill, Python per step.
"""
from __future__ import annotations

import argparse
import time

from common import describe, figure, gold_conversations, quiet, run_or_build, set_threads, workdir, write_result

TARGET = 10.0  # batched >= 10x one at a time
FLOOR_TARGET = 0.8  # batched/one-at-a-time >= 0.8 of the forward-step floor ratio


def step_time(model, batch: int, context: int, steps: int = 30) -> float:
    """Median seconds of one decoding forward step (batch rows, one token each, `context` cached tokens)."""
    import statistics

    import torch
    from transformers import DynamicCache

    torch.manual_seed(0)
    cache = DynamicCache(config=model.config)
    vocab = model.config.vocab_size
    times = []
    with torch.inference_mode():
        model(input_ids=torch.randint(0, vocab, (batch, context)), cache=cache, use_cache=True, logits_to_keep=1)
        for i in range(steps + 3):
            ids = torch.randint(0, vocab, (batch, 1))
            positions = torch.full((batch, 1), context + i)
            t = time.perf_counter()
            model(input_ids=ids, position_ids=positions, cache=cache, use_cache=True, logits_to_keep=1).logits.float()
            times.append(time.perf_counter() - t)
    return statistics.median(times[3:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--run", help="a run dir to measure (default: train a tiny one in a temp dir)")
    parser.add_argument("--n", type=int, default=64, help="gold cases (default 64: two full batches of 32)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1: see benchmarks/README.md)")
    args = parser.parse_args()
    quiet()
    set_threads(args.threads)
    started = time.time()

    from toolrouter.infer.generate import generate_answers, render_prompts
    from toolrouter.infer.loading import load_for_inference

    with workdir() as tmp:
        run = run_or_build(args.run, tmp)
        loaded = load_for_inference(run, device="cpu")
    max_new = int(loaded.run.get("max_new_tokens") or 128)
    convs = gold_conversations(loaded.catalogue.name, loaded.mode, args.n)
    tools = loaded.catalogue.template_tools(loaded.mode)
    tools = [tools] * len(convs) if tools else None

    def answer(batch_size: int, which: slice):
        return generate_answers(loaded.model, loaded.tokenizer, convs[which], tools=tools[which] if tools else None,
                                max_new_tokens=max_new, batch_size=batch_size)

    answer(args.batch_size, slice(0, 4))  # warm-up: first-call allocations, lazy imports
    # Chunk by chunk, batched then one at a time: load drifting on a shared CPU hits both alike.
    batched, single, batched_s, single_s = [], [], 0.0, 0.0
    for start in range(0, len(convs), args.batch_size):
        chunk = slice(start, start + args.batch_size)
        t0 = time.perf_counter()
        batched += answer(args.batch_size, chunk)
        t1 = time.perf_counter()
        single += answer(1, chunk)
        batched_s, single_s = batched_s + t1 - t0, single_s + time.perf_counter() - t1

    n = len(convs)
    prompt_tokens = [len(loaded.tokenizer(p, add_special_tokens=False)["input_ids"])
                     for p in render_prompts(loaded.tokenizer, convs, tools)]
    context = round(sum(prompt_tokens) / n)
    t1, tb = step_time(loaded.model, 1, context), step_time(loaded.model, args.batch_size, context)
    floor = args.batch_size * t1 / tb
    answer_tokens = [len(loaded.tokenizer(a, add_special_tokens=False)["input_ids"]) for a in batched]
    ratio = single_s / batched_s
    figures = [
        figure("cases", f"gold cases (evals/{loaded.catalogue.name}.jsonl)", n, "cases"),
        figure("answer_tokens_mean", "mean answer length", round(sum(answer_tokens) / n, 1), "tokens"),
        figure("examples_per_s_batched", f"examples/s, batch {args.batch_size}", round(n / batched_s, 1), "ex/s"),
        figure("examples_per_s_single", "examples/s, one at a time", round(n / single_s, 1), "ex/s"),
        figure("speedup", f"batch {args.batch_size} / one at a time", round(ratio, 1), "x",
               target=f">= {TARGET:g}x", met=ratio >= TARGET),
        figure("floor_step_ms", f"forward step floor, batch 1 / batch {args.batch_size} ({context}-token cache)",
               f"{1000 * t1:.2f} / {1000 * tb:.2f}", "ms"),
        figure("floor_ratio", f"floor ratio: {args.batch_size} x t(batch 1) / t(batch {args.batch_size})",
               round(floor, 1), "x"),
        figure("fraction_of_floor", "batched speedup / floor ratio", round(ratio / floor, 2), "",
               target=f">= {FLOOR_TARGET}", met=ratio / floor >= FLOOR_TARGET),
        figure("same_answers", "answers identical batched and one at a time",
               f"{sum(a == b for a, b in zip(batched, single))}/{n}"),
    ]
    notes = [f"model: {describe(loaded)}; fp32 on CPU (loading.inference_dtype), max_new_tokens {max_new}, "
             f"torch threads: {args.threads}."]
    write_result("eval", "2. Eval throughput: generate_answers batched vs one at a time",
                 f"benchmarks/bench_eval.py --n {args.n}", figures, started, notes)

if __name__ == "__main__":
    main()
