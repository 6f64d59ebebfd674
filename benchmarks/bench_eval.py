"""Question 2, eval throughput: examples/s of generate_answers batched (32) vs one at a time.

    .venv/bin/python benchmarks/bench_eval.py                          # trains a tiny run first (~1-2 min)
    .venv/bin/python benchmarks/bench_eval.py --run runs/support_router_tiny --n 128

Same model, same gold prompts (the first --n cases of evals/support_router.jsonl, prompted as
`toolrouter eval` prompts them), greedy, unconstrained (eval's default), max_new_tokens from the run.
Batched = what `toolrouter eval` does (prompts sorted by length, left padding, KV cache);
one at a time = the same function with batch_size=1. The two alternate chunk by chunk (32 cases
batched, then the same 32 one at a time), so a shared CPU's load drift hits both; a warm-up call is
excluded.
"""
from __future__ import annotations

import argparse
import time

from common import describe, figure, gold_conversations, quiet, run_or_build, set_threads, workdir, write_result

TARGET = 10.0  # batched >= 10x one at a time


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

    from toolrouter.infer.generate import generate_answers, load_for_inference

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
    answer_tokens = [len(loaded.tokenizer(a, add_special_tokens=False)["input_ids"]) for a in batched]
    ratio = single_s / batched_s
    figures = [
        figure("cases", f"gold cases (evals/{loaded.catalogue.name}.jsonl)", n, "cases"),
        figure("answer_tokens_mean", "mean answer length", round(sum(answer_tokens) / n, 1), "tokens"),
        figure("examples_per_s_batched", f"examples/s, batch {args.batch_size}", round(n / batched_s, 1), "ex/s"),
        figure("examples_per_s_single", "examples/s, one at a time", round(n / single_s, 1), "ex/s"),
        figure("speedup", f"batch {args.batch_size} / one at a time", round(ratio, 1), "x",
               target=f">= {TARGET:g}x", met=ratio >= TARGET),
        figure("same_answers", "answers identical batched and one at a time",
               f"{sum(a == b for a, b in zip(batched, single))}/{n}"),
    ]
    notes = [f"model: {describe(loaded)}; fp32 on CPU (generate.inference_dtype), max_new_tokens {max_new}, "
             f"torch threads: {args.threads}."]
    write_result("eval", "2. Eval throughput: generate_answers batched vs one at a time",
                 f"benchmarks/bench_eval.py --n {args.n}", figures, started, notes)

if __name__ == "__main__":
    main()
